"""Worksheet 3, "Focus, scale and quality", as the worksheet report shows it.

The numbers come from the ``focus`` rows of the period's indicator table (computed in
``focus.py``, small counts of people already hidden for partner and public audiences);
this module only lays them out, and draws the safe-city path.
"""
from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd
from IPython.display import HTML

from .charts import (BENCHMARK_COLOUR, CURRENT_COLOUR, Chart, _no_chart, label_axes, mark_synthetic, name_the_city,
                     new_figure)
from .focus import (FOCUS_LABELS, SECTIONS, WORKSHEET, people_shot, people_shot_words, safe_city_table,
                    safe_city_through, shootings_total_words)
from .review import PeriodReview
from .formatting import as_of_header, format_count, format_day, format_share, window_label, windows_span_label
from .schema import INCOMPLETE, NOT_RECORDED, WINDOW_AS_OF, WINDOW_PERIOD, WINDOW_YEAR, WINDOW_YTD
from .tables import HOMICIDE_SCOPE_TEXT, REPORT_CSS, Cell, format_value, gap_note, html_table, suppressed_text

NOT_RECORDED_TEXT = "not recorded for this city"
# What each section needs, said when none of its indicators can be computed.
SECTION_INPUTS = {
    "group": "a group or group_involved column in incidents.csv",
    "known": "incident_people.csv (victims and suspects linked to shootings)",
    "groups": "the group column in incidents.csv (and review_flags.csv and communications.csv for groups reached)",
    "response": "communications.csv, and incident_people.csv or review_flags.csv",
    "scale": "communications.csv and an estimate of the highest-risk population",
    "flagged": "review_flags.csv",
}
LAYOUT = {
    "group": ["group_involved_homicides_pct", "group_involved_nonfatal_injury_shootings_pct"],
    "known": [f"known_before_{kind}{suffix}" for suffix in ("", "_victims", "_suspects")
              for kind in ("people", "reached_pct", "enrolled_pct")],
    "groups": ["groups_involved", "groups_reached_pct"],
    "response": ["response_median_days", "response_within_14_days_pct", "response_none"],
    "scale": ["reach_vs_vhr_pct"],
    "flagged": ["flagged_people", "flagged_reached", "flagged_enrolled", "flagged_retained_90_days_pct",
                "flagged_median_days_to_communication", "flagged_median_days_communication_to_enrolment"],
}
UNIT_WORDS = {"days": "days", "incidents": "shootings", "groups": "groups", "people": "people"}


def _value_text(r: pd.Series, threshold: int) -> str:
    hidden = suppressed_text(r, threshold)
    if hidden:
        return hidden
    if r["status"] == NOT_RECORDED:
        return NOT_RECORDED_TEXT
    value = r["actual"]
    if value is None or (isinstance(value, float) and math.isnan(value)):
        if r["indicator"] == "flagged_retained_90_days_pct":
            return "n/a (no enrolment of these people is 90 days old yet)"
        return "n/a (nothing to count)"
    if r["unit"] == "days":
        return f"{format_value(value, 'count')} day{'' if value == 1 else 's'}"
    return format_value(value, r["unit"])


def _of_everyone_shot(table: pd.DataFrame, r: pd.Series, review: PeriodReview) -> str:
    """Beside the victims the partnership's records identify, everyone shot in the window; beside a share of
    those victims, the same people as a share of everyone shot (the victims' row is only some of them)."""
    window = review.params.windows.by_name()[r["window"]]
    shot = people_shot(review.data.incidents, window.start, window.end)
    everyone = people_shot_words(review.params.homicide_scope, shot)
    if r["indicator"] == "known_before_people_victims":
        return f"\nof the {everyone}"
    victims = table[(table["indicator"] == "known_before_people_victims") & (table["window"] == r["window"])]
    if not shot or victims.empty or suppressed_text(r, 0) or math.isnan(r["actual"]) \
            or math.isnan(victims["actual"].iloc[0]):
        return ""
    part = round(r["actual"] * victims["actual"].iloc[0] / 100)
    return f"\n{format_share(part / shot)} of all {everyone}"


def _cell(table: pd.DataFrame, indicator: str, window: str, review: PeriodReview) -> Cell:
    match = table[(table["indicator"] == indicator) & (table["window"] == window)]
    if match.empty:
        return Cell("")
    r = match.iloc[0]
    threshold = review.params.small_count_threshold
    text = _value_text(r, threshold)
    if indicator.startswith("group_involved_") and r["status"] != NOT_RECORDED:
        window = review.params.windows.by_name()[r["window"]]
        text += (f"\nsame months a year earlier ({window_label(window.shift_years(-1))}): "
                 f"{format_value(r['prior_year'], 'percent')}"
                 f"\n{windows_span_label([window.shift_years(-3), window.shift_years(-1)])} together: "
                 f"{format_value(r['three_year_average'], 'percent')}")
    if indicator.startswith(("known_before_people_victims", "known_before_reached_pct_victims",
                             "known_before_enrolled_pct_victims")) and r["status"] != NOT_RECORDED:
        text += _of_everyone_shot(table, r, review)
    if r["status"] == INCOMPLETE and review.coverage is not None:
        text += f"\n({gap_note(r, review.coverage.through)})"
    return Cell(text, "num" if text[:1].isdigit() else "")


def focus_worksheet_html(review: PeriodReview) -> HTML:
    """Worksheet 3 as a table by section: YTD, the review period and the period's last day."""
    table = review.indicators
    table = table[table["worksheet"] == WORKSHEET]
    params = review.params
    header = ["Indicator", f"YTD ({params.windows.ytd.label()})", f"Period ({params.windows.period.label()})",
              as_of_header(params.windows.end, review.coverage.through if review.coverage else None)]
    rows, classes = [], []
    for section, indicators in LAYOUT.items():
        rows.append([Cell(SECTIONS[section]), "", "", ""])
        classes.append("section")
        chosen = table[table["indicator"].isin(indicators)]
        if (chosen["status"] == NOT_RECORDED).all():
            rows.append([f"Not recorded for this city: this needs {SECTION_INPUTS[section]}.", "", "", ""])
            classes.append("sub")
            continue
        for indicator in indicators:
            label = FOCUS_LABELS[indicator].strip()
            if indicator == "reach_vs_vhr_pct" and params.vhr_population_estimate:
                label += f" (estimate: {format_count(params.vhr_population_estimate)} people)"
            rows.append([label] +
                        [_cell(table, indicator, w, review) for w in (WINDOW_YTD, WINDOW_PERIOD, WINDOW_AS_OF)])
            classes.append("sub" if FOCUS_LABELS[indicator].startswith(" ") else "")
    people = people_shot_words(params.homicide_scope)
    intro = ('<div class="cf-report"><h2>Worksheet 3: Focus, scale and quality</h2>'
             "<p>Is the partnership working with the right people, at the right scale, fast enough? These "
             "indicators have no benchmark and are not marked as meeting or missing one; they are read against "
             "the same months of earlier years and against each other. Section 2 counts only the victims and "
             f"suspects the partnership's records identify (not everyone {people.removeprefix('people ')}: the "
             f"victims' row says of how many {people}), and each share in it is of the people in the row above it. "
             "Shares of people linked "
             "to shootings count each person once; a person who was both a victim and a suspect is counted in "
             "both of those rows. “n/a” means there was nothing to count in that window.</p></div>")
    caption = "Worksheet 3: focus, scale and quality (descriptive, no benchmarks)"
    return HTML(REPORT_CSS + intro + html_table(header, rows, caption, classes, stacked=True))


def _safe_city(review: PeriodReview) -> tuple[pd.DataFrame | None, str]:
    incidents = review.data.incidents
    start = incidents["occurred_on"].min().date() if not incidents.empty else None
    return safe_city_table(incidents, review.params.safe_city, safe_city_through(review.data.tables, review.params),
                           start)


def safe_city_html(review: PeriodReview) -> HTML:
    """The safe-city path as a table: each year's counts against the path, the partial year marked."""
    table, reason = _safe_city(review)
    title = '<div class="cf-report"><h2>The safe-city path</h2>'
    if table is None:
        return HTML(REPORT_CSS + title + f'<p class="cf-note">{html.escape(NOT_RECORDED_TEXT.capitalize())}: '
                    f"{html.escape(reason)}.</p></div>")
    s = review.params.safe_city
    last = review.params.windows.end
    rows = []
    for _, r in table.iterrows():
        if r["counted_to"] is None:
            note = "no data yet" if r["year"] > last.year else "before the data begin"
        elif r["partial"]:
            note = f"partial year: counted to {format_day(r['counted_to'])}"
        else:
            note = "whole year"
        rows.append([str(r["year"]), Cell(format_value(r["homicides"], "count"), "num"),
                     Cell(format_value(r["nonfatal_injury_shootings"], "count"), "num"),
                     Cell(format_value(r["total"], "count") + (" (partial)" if r["partial"] else ""), "num"),
                     Cell(format_value(r["path"], "count"), "num"), note])
    base = ("as set by the partnership" if s.get("base_count") is not None
            else f"the count of {s['base_year']}")
    total = shootings_total_words(review.params.homicide_scope)
    homicides = HOMICIDE_SCOPE_TEXT[review.params.homicide_scope]
    intro = (f"<p>“Safe city” status calls for {format_share(s['reduction'])} fewer {total} ({homicides} plus "
             f"non-fatal injury shootings) every year for {s['years']} years from {s['base_year']}. The path starts "
             f"from {html.escape(base)} and falls by that share each year, rounded to whole shootings. A partial "
             "year's count is not comparable with the whole-year path.</p></div>")
    return HTML(REPORT_CSS + title + intro + html_table(
        ["Year", "Homicides", "Non-fatal injury shootings", f"Total {total}", "Safe-city path", "Note"], rows,
        f"{total.capitalize()} each year against the safe-city path", stacked=True))


def safe_city_chart(review: PeriodReview) -> Chart | HTML:
    """Bars of each year's shootings (the partial year hatched and labelled) under the safe-city path line."""
    table, reason = _safe_city(review)
    if table is None:
        return _no_chart(f"The safe-city path is {NOT_RECORDED_TEXT}: {reason}.")
    fig, ax = new_figure(8.0, 4.4)
    years = table["year"].to_numpy()
    totals = table["total"].to_numpy(dtype=float)
    whole = ~table["partial"].to_numpy(dtype=bool)
    ax.bar(years[whole], np.nan_to_num(totals[whole]), color=CURRENT_COLOUR, alpha=0.85,
           label="Homicides + non-fatal injury shootings")
    partial = table["partial"].to_numpy(dtype=bool)
    if partial.any():
        ax.bar(years[partial], totals[partial], color="white", edgecolor=CURRENT_COLOUR, hatch="//",
               label="Partial year (so far)")
        for year, total, counted_to in zip(years[partial], totals[partial], table.loc[partial, "counted_to"]):
            ax.annotate(f"partial: to {counted_to.day} {counted_to:%b}", (year, total), textcoords="offset points",
                        xytext=(0, 4), ha="center", fontsize=9)
    ax.plot(years, table["path"], color=BENCHMARK_COLOUR, marker="o", linewidth=2, label="Safe-city path")
    ax.set_xticks(years, [str(y) for y in years])
    safe = review.params.safe_city
    total = shootings_total_words(review.params.homicide_scope)
    label_axes(ax, "Year", f"{total.capitalize()} (victims)",
               f"{total.capitalize()} against the safe-city path, {years[0]}–{years[-1]} "
               f"({format_share(safe['reduction'])} fewer a year from {safe['base_year']})")
    ax.legend(loc="upper right", fontsize=9)
    name_the_city(fig, review.params.city)
    mark_synthetic(fig, review.is_demo)
    return Chart(fig)
