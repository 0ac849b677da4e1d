"""Tables and text for the reports, built as HTML from the indicator table.

Everything here formats numbers that are computed elsewhere (the pace and the counts that would stand out
come from ``indicators.outcome_pace`` and ``statistics.stand_out_counts``, the chance beside a missed share
from ``statistics.shortfall_chance``); nothing is computed or retyped here.
Status is always a word plus a symbol, so it reads in greyscale and to a screen reader.
"""
from __future__ import annotations

import datetime as dt
import html
import math
from dataclasses import dataclass

import pandas as pd
from IPython.display import HTML

from . import schema
from .coverage import so_far_text
from .formatting import (
    is_missing,
    as_of_header, format_benchmark, format_benchmark_of, format_chance, format_count, format_day, format_day_span, format_fraction, format_long_day, format_share,
    format_value, page_identity, row_window_label, window_label, windows_span_label,
)
from .counts import monthly_counts
from .indicators import (CONTEXT_BENCHMARK_INDICATORS, LABELS, coverage_of, incident_months, outcome_pace,
                         partial_window_end, unrecorded_years)
from .params import NEXT_STEP_STATUSES, NOT_REPORTED
from .periods import same_days_years_earlier
from .privacy import hidden_text, suppresses_small_counts, visible_note, visible_steps, without_absolute_paths
from .reader import running_header_html
from .review import PeriodReview, provenance
from .schema import DOES_NOT_MEET, INCOMPLETE, MEETS, NOT_RECORDED, WINDOW_AS_OF, WINDOW_PERIOD, WINDOW_YTD
from .statistics import NOT_TESTED, VERDICT_ALPHA, not_tested_text, shortfall_chance, stand_out_counts

REPORT_CSS = """
<style>
.cf-report { font-family: -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif; color: #1a1a1a; }
.cf-report h1 { font-size: 1.6em; margin-bottom: 0.2em; }
.cf-banner { background: #fff4ce; border: 2px dashed #8a6d00; padding: 0.5em 0.8em; margin: 0.6em 0; font-weight: 600; }
.cf-note { color: #444; font-size: 0.95em; }
table.cf-table { border-collapse: collapse; margin: 0.8em 0 1.4em 0; font-size: 0.95em; }
table.cf-table caption { caption-side: top; text-align: left; font-weight: 700; font-size: 1.1em; padding-bottom: 0.4em; }
table.cf-table th, table.cf-table td { border: 1px solid #999; padding: 0.35em 0.6em; vertical-align: top; text-align: left !important; }
table.cf-table th { background: #e8e8e8; }
table.cf-table td.num { text-align: right !important; font-variant-numeric: tabular-nums; }
table.cf-table tr.section td { font-weight: 700; background: #f2f2f2; }
table.cf-table tr.sub td:first-child { padding-left: 1.8em; color: #333; }
td.meets { background: #d9f2d9; }
td.misses { background: #f9d6d5; font-weight: 600; }
.cf-provenance { font-size: 0.8em; color: #555; border-top: 1px solid #bbb; margin-top: 2em; padding-top: 0.5em; word-break: break-all; }
</style>
"""


@dataclass(frozen=True)
class Cell:
    """One table cell: its text and an optional CSS class."""

    text: str
    css: str = ""


def _cell_html(cell: Cell | str, tag: str = "td", label: str = "", row_name: str = "") -> str:
    cell = cell if isinstance(cell, Cell) else Cell(str(cell))
    css = f' class="{cell.css}"' if cell.css else ""
    data_label = f' data-label="{html.escape(label)}"' if label else ""
    data_row = f' data-row="{html.escape(row_name)}"' if row_name else ""
    return f"<{tag}{css}{data_label}{data_row}>{html.escape(cell.text).replace(chr(10), '<br>')}</{tag}>"


def html_table(header: list[str], rows: list[list[Cell | str]], caption: str = "",
               row_classes: list[str] | None = None, stacked: bool = False) -> str:
    """A plain, accessible HTML table (header cells are <th>).

    ``stacked`` tables become one card per row on a phone (reader.css): each cell carries its column's
    name, so a mark in the last columns is read without scrolling sideways. A row whose first cell is
    empty (an indicator's second window) carries the name of the row above it, which a card shows
    (``data-row``), so a card read alone still says what it counts.
    """
    parts = ['<table class="cf-table cf-stack">' if stacked else '<table class="cf-table">']
    if caption:
        parts.append(f"<caption>{html.escape(caption)}</caption>")
    parts.append("<thead><tr>" + "".join(_cell_html(h, "th") for h in header) + "</tr></thead><tbody>")
    labels = [header[j] if stacked and j else "" for j in range(len(header))]  # the first cell names the row
    row_name = ""
    for i, row in enumerate(rows):
        row_class = row_classes[i] if row_classes else ""
        css = f' class="{row_class}"' if row_class else ""
        first = (row[0].text if isinstance(row[0], Cell) else str(row[0])) if row else ""
        # a section row names a group, not the rows under it
        row_name = "" if row_class == "section" else first or row_name
        repeated = row_name if stacked and not first and row_class != "section" else ""
        parts.append(f"<tr{css}>" + "".join(_cell_html(c, label=labels[j] if j < len(labels) else "",
                                                       row_name=repeated if j == 0 else "")
                                             for j, c in enumerate(row)) + "</tr>")
    parts.append("</tbody></table>")
    return "".join(parts)


NOT_RECORDED_TEXT = "Not recorded for this city"
# What a city's homicide count holds (params key homicide_scope); exports differ.
HOMICIDE_SCOPE_TEXT = {
    "all": "homicides of every cause",
    "firearm": "firearm homicides only (shooting murders)",
}


def gap_note(r: pd.Series, through) -> str:
    """What an incomplete row's count covers: its own ``coverage_note``, else the data's end."""
    note = r.get("coverage_note")
    return note if isinstance(note, str) and note else so_far_text(through)


def status_cell(status: str, detail: str = "", through=None) -> Cell:
    """The meets / does-not-meet mark: a symbol, a word and a colour; an incomplete window gets no mark."""
    if status == MEETS:
        return Cell("✔ Meets benchmark" + (f"\n{detail}" if detail else ""), "meets")
    if status == DOES_NOT_MEET:
        return Cell("✘ Does not meet benchmark" + (f"\n{detail}" if detail else ""), "misses")
    if status == INCOMPLETE:
        return Cell("Incomplete: no mark until the data cover the whole window"
                    + (f" ({so_far_text(through)})" if through else ""))
    if status == NOT_RECORDED:
        return Cell(NOT_RECORDED_TEXT)
    return Cell("No benchmark" if not detail else detail)


def _exact(row, column: str):
    """A benchmark column's unrounded value (``<column>_exact``) when the row has one, else the column itself."""
    exact_value = row.get(f"{column}_exact")
    return row[column] if is_missing(exact_value) else exact_value


def exact_column(frame: pd.DataFrame, column: str) -> pd.Series:
    """:func:`_exact` for every row of a table at once."""
    exact = f"{column}_exact"
    return frame[exact].where(frame[exact].notna(), frame[column]) if exact in frame else frame[column]


def _text(value) -> str:
    """A text field of the indicators table as shown: empty when missing (NaN, None), never 'nan'.

    >>> _text(float("nan")), _text(None), _text("no 2016 benchmark set")
    ('', '', 'no 2016 benchmark set')
    """
    return value if isinstance(value, str) else ""


def _find_row(table: pd.DataFrame, indicator: str, window: str) -> pd.Series | None:
    """The indicators table's row for ``indicator`` over ``window``, or None when it has none."""
    match = table[(table["indicator"] == indicator) & (table["window"] == window)]
    return None if match.empty else match.iloc[0]


def window_cells(review: PeriodReview) -> dict[str, str]:
    """What each window of the worksheets is called, by its months."""
    period = review.params.windows
    return {WINDOW_YTD: f"Year to date\n{window_label(period.ytd)}", WINDOW_PERIOD: f"Review period\n{window_label(period.period)}"}


def deciding_rule(review: PeriodReview) -> str:
    """One sentence: which benchmark decides the mark."""
    if review.params.seasonal_benchmarks:
        return ("The mark is decided by the seasonal benchmark (the annual benchmark split by each month's share of "
                f"the counts in the {review.params.seasonal_years} years before); the even-months benchmark is shown "
                "as context. Where no seasonal benchmark can be set, the even-months one decides.")
    return ("The mark is decided by the benchmark spread evenly over the months (the annual benchmark / 12 per "
            "month).")


def review_unrecorded_years(review: PeriodReview) -> set[int]:
    """The years inside the review's incident data with no incident of any kind (see :func:`indicators.unrecorded_years`)."""
    coverage = review.coverage or coverage_of(review.data, review.params)
    return unrecorded_years(monthly_counts(review.data), incident_months(review.data, coverage))


def _reference_cell(value, windows: list, p_value, review: PeriodReview, actual,
                    so_far: tuple[dt.date, dt.date] | None = None) -> Cell:
    """The prior year or 3-year average, with its months (or, for a window counted so far, from ``so_far``'s
    first to last day, the same days: :func:`periods.same_days_years_earlier`) and the E-test against the actual count."""
    span = window_label(windows[0]) if len(windows) == 1 else windows_span_label(windows)
    if so_far is not None and not is_missing(value):
        start, through = so_far
        ordered = sorted(windows, key=lambda w: w.first)
        spans = [format_day_span(*same_days_years_earlier(start, through, start.year - w.first.year))
                 for w in (ordered[0], ordered[-1])]
        span = "same days: " + (spans[-1] if len(ordered) == 1 else f"{spans[0]} to {spans[-1]}")
    if is_missing(value):
        months = review.incident_coverage.last_full_month if review.coverage else None
        first = review.incident_coverage.start if review.coverage else review.data.date_range()[0]
        # a mid-month start names its day: "the incident data start Mar 2015" would read as all of March
        reason = ("no incident data" if first is None else f"the incident data start {first:%b %Y}" if first.day == 1
                  else f"the incident data start {format_day(pd.Timestamp(first).date())}")
        if months is not None and windows[-1].last > months:
            reason = "the data do not cover those months"
        empty = sorted({m.year for w in windows for m in w.months} & review_unrecorded_years(review))
        if empty:  # a year of lost extracts, not a year of 0 (indicators.unrecorded_years)
            reason = f"no records at all for {' or '.join(map(str, empty))} (check the extract)"
        return Cell(f"n/a: {reason} ({span})")
    text = f"{format_benchmark(value)} ({span})"  # a 3-year average is an expected count: 0.3, not 0
    if not is_missing(p_value) and not is_missing(actual):
        text += f" — {change_verdict(actual, value, p_value)} ({format_chance(p_value)})"
    return Cell(text, "num")


def change_verdict(actual: float, reference: float, p_value: float) -> str:
    """A count against an earlier count in a few words, by the E-test's p-value at the verdict threshold.

    >>> change_verdict(14, 11, 0.56), change_verdict(30, 11, 0.001), change_verdict(3, 11, 0.01)
    ('no clear change', 'clearly higher now', 'clearly lower now')
    """
    if p_value >= VERDICT_ALPHA or actual == reference:
        return "no clear change"
    return "clearly higher now" if actual > reference else "clearly lower now"


def change_explanation() -> str:
    """The one sentence under Worksheet 1 that says what the words beside the earlier counts mean."""
    return ("Beside the same months a year earlier and the 3-year average: the E-test (a test for a change in "
            "the rate of a count) gives the chance of a difference at least as large as the one between this "
            "window's count and that figure if the rate had not changed, in brackets; below "
            f"{format_share(VERDICT_ALPHA, places=1)} the change is called clear (“clearly higher now” or “clearly lower now”), "
            "otherwise “no clear change”.")


def outcome_worksheet_html(review: PeriodReview) -> HTML:
    """Worksheet 1 laid out like the seed: benchmark, actual, status, prior year, 3-year average, notes."""
    table = review.indicators
    params = review.params
    windows = params.windows.by_name()
    labels = window_cells(review)
    seasonal = "benchmark_seasonal" in table.columns
    through = review.coverage.through if review.coverage else None
    header = ["Indicator", "Window"]
    header += ["Benchmark (even months; context)", "Seasonal benchmark (decides the mark)"] if seasonal else \
        ["Benchmark"]
    header += ["Actual", "Status", "Could it be chance? (if the true rate equalled the benchmark)",
               "Same months a year earlier", "3-year average of the same months", "Notes re trends"]
    rows, classes = [], []
    for indicator in ("homicides", "nonfatal_injury_shootings", "non_injury_shootings"):
        for i, (window, window_label_text) in enumerate(labels.items()):
            r = _find_row(table, indicator, window)
            incomplete = r["status"] == INCOMPLETE
            detail = ""
            if r["status"] == DOES_NOT_MEET and not math.isnan(r["pct_over_benchmark"]):
                detail = (f"{format_share(r['pct_over_benchmark'])} over benchmark; "
                          f"a {format_share(r['cut_to_meet'])} cut would meet it")
            not_recorded = r["status"] == NOT_RECORDED  # every cell of the row says so, never a count or a reason
            note = _text(r.get("benchmark_note"))
            benchmark = (Cell(NOT_RECORDED_TEXT.lower()) if not_recorded else
                         Cell(format_benchmark(_exact(r, "benchmark")) + (f"\n({note})" if note else ""), "num")
                         if not is_missing(r["benchmark"]) else
                         Cell(f"No benchmark: {note}" if note else "No benchmark"))
            # a window that starts after the data's last day has no count at all, nor anything to compare
            nothing_yet = incomplete and is_missing(r["actual"])
            actual = (NOT_RECORDED_TEXT.lower() if r["status"] == NOT_RECORDED else
                      "N" + gap_note(r, through)[1:] if nothing_yet else
                      format_count(r["actual"]) + (f"\n({gap_note(r, through)})" if incomplete else ""))
            cells = [LABELS[indicator] if i == 0 else "", window_label_text, benchmark]
            if seasonal:
                value = _exact(r, "benchmark_seasonal")
                cells.append(Cell(format_benchmark(value), "num") if not is_missing(value) else
                             Cell("—") if is_missing(r["benchmark"]) else
                             Cell("n/a (no seasonal pattern to split by; the even-months benchmark decides)"))
            # "so far, data through ..." only when the data's end cuts the window, not its start
            ends_early = incomplete and gap_note(r, through).startswith("so far")
            cells += [Cell(actual, "num"), status_cell(r["status"], detail, through if ends_early else None)]
            if incomplete:
                cells.append(Cell("Not tested: the window is not complete"))
            else:
                cells.append(Cell(chance_text(r)))
            window_obj = windows[window]
            compared = r.get("compared_through") if incomplete and isinstance(r.get("compared_through"), str) else ""
            incidents = review.incident_coverage
            so_far_to = partial_window_end(window_obj, incidents.through) if compared and incidents else None
            compared = (window_obj.start, so_far_to) if so_far_to is not None else None
            cells += [Cell(NOT_RECORDED_TEXT.lower())] * 2 if not_recorded else \
                [Cell("n/a: no data yet for this window, so nothing to compare")] * 2 if nothing_yet else [
                _reference_cell(r["prior_year"], [window_obj.shift_years(-1)], r.get("p_vs_prior_year"), review,
                                r["actual"], compared),
                _reference_cell(r["three_year_average"], [window_obj.shift_years(-k) for k in (3, 2, 1)],
                                r.get("p_vs_three_year_average"), review, r["actual"], compared),
            ]
            cells.append(note_for(review, indicator) if i == 0 else "")
            rows.append(cells)
            classes.append("")
    caption = "Worksheet 1: outcome indicators (fewer is better: an outcome meets its benchmark at or below it)"
    rule = (f'<p class="cf-note">{html.escape(change_explanation())}</p>'
            f'<p class="cf-note">{html.escape(deciding_rule(review))}</p>')
    scope = (f'<p class="cf-note">Homicides here are {HOMICIDE_SCOPE_TEXT[params.homicide_scope]}.</p>')
    return HTML(html_table(header, rows, caption, classes, stacked=True) + rule + scope)


def chance_text(r: pd.Series) -> str:
    """The verdict on a count against its benchmark, with the probability in words."""
    if r.get("status") == NOT_RECORDED:
        return ""
    if r.get("status") == INCOMPLETE:
        return "Not tested: the window is not complete"
    if not r.get("verdict"):
        return "No benchmark"
    p = r["p_vs_benchmark"]
    seasonal = r.get("decided_by") == "seasonal"
    if r["verdict"] == NOT_TESTED:
        return not_tested_text(seasonal)
    expected = r["benchmark_seasonal_exact"] if seasonal else r["benchmark_exact"]
    direction = "this high or higher" if r["actual"] >= expected else "this low or lower"
    which = "seasonal benchmark" if seasonal else "benchmark"
    return (f"{r['verdict'].capitalize()}\n(chance of a count {direction} if the true rate equalled the {which}: "
            f"{format_chance(p)})")


def how_to_read_html(review: PeriodReview) -> HTML:
    """What size of change the counts could show at all: the count that would stand out from chance per window."""
    table = review.indicators
    outcomes = table[table["worksheet"].eq("outcomes")]
    rows = []
    for i, r in stand_out_counts(outcomes).iterrows():
        up = (f"{format_count(r['high'])} or more (+{format_share(r['high_change'])})" if not is_missing(r["high"])
              else "n/a")
        down = (f"{format_count(r['low'])} or fewer (−{format_share(r['low_change'])})" if not is_missing(r["low"])
                else "no count is low enough")
        window = window_cells(review)[r["window"]].replace("\n", ", ")
        if r["status"] == INCOMPLETE:
            # thresholds for a whole window mean nothing beside a count of part of it
            through = review.coverage.through if review.coverage else None
            up, down = f"Not shown: the window is not complete ({gap_note(outcomes.loc[i], through)})", ""
        rows.append([r["label"], window, Cell(format_benchmark(r["benchmark_exact"]), "num"), up, down])
    intro = (f'<div class="cf-report"><h2>How to read this: what the counts can and cannot show</h2>'
             f"<p>Shootings and homicides are counted in small numbers, and small numbers vary by chance. "
             f"“Could it be chance?” gives the probability of a count at least as far from the benchmark, in "
             f"the same direction, if the true rate equalled the benchmark (a Poisson model with the benchmark as "
             f"the expected count). The benchmark is a target, often set below last year's count, so this asks "
             f"whether the count is out of line with the target, not whether anything has changed since last year; "
             f"the E-tests beside the prior year and the 3-year average ask that. Below {format_share(VERDICT_ALPHA, places=1)} "
             f"(fewer than 1 in {round(1 / VERDICT_ALPHA)}) the count is called higher or lower than expected; "
             f"otherwise it is within normal variation. {html.escape(deciding_rule(review))}</p>"
             f"<p>The table shows, for each window, the count that would stand out from chance against its "
             f"benchmark. This is not the size of change the count reliably detects: if the true rate really "
             f"moved to exactly that count, a window would reach it only about half the time. A real change must "
             f"be larger still to be seen most of the time, and a smaller one cannot be told from noise in one "
             f"window.</p></div>")
    table_html = html_table(["Indicator", "Window", "Benchmark", "Count that would stand out: as high as",
                             "or as low as"], rows,
                            "Counts that would stand out from chance against the benchmark") if rows else (
        '<p class="cf-note">No outcome has a benchmark for this period (none was set '
        "for this city, and the data hold no whole prior year to derive one), so there is nothing to test against.</p>")
    return HTML(REPORT_CSS + intro + table_html)


def pace_html(review: PeriodReview) -> HTML:
    """Probability that each outcome ends the year at or under its annual benchmark."""
    params = review.params
    last = params.windows.period.last
    outcome_coverage = review.incident_coverage
    if outcome_coverage is not None and not outcome_coverage.covers_window(params.windows.ytd.start,
                                                                           params.windows.ytd.end):
        gap = outcome_coverage.gap_text(params.windows.ytd.start) if outcome_coverage.through else "no incident data"
        return HTML(f'<p class="cf-note">No pace is computed: the year to date is not complete '
                    f"({html.escape(gap)}).</p>")
    pace = outcome_pace(review.data, params, review.indicators, review.coverage)
    rows = [[LABELS[r["indicator"]], Cell(format_count(r["ytd"]), "num"), Cell(format_count(r["annual_benchmark"]), "num"),
             Cell(format_share(r["chance_of_meeting"]), "num")] for _, r in pace.iterrows()]
    if not rows:
        return HTML('<p class="cf-note">No annual benchmark for this year, so no chance of meeting one.</p>')
    # the seasonal pattern is claimed only when it decided (with too few years the even-months benchmark does)
    seasonal = review.indicators.get("decided_by", pd.Series(dtype=object)).eq("seasonal").any()
    basis = "its seasonal pattern" if seasonal else "an even monthly pace"
    caption = (f"On pace? Chance that {last.year} ends at or under its annual benchmark, if the rest of the year "
               f"runs at the benchmark's pace ({basis})")
    return HTML(html_table(["Indicator", f"So far ({window_label(params.windows.ytd)})", f"{last.year} benchmark",
                            "Chance of meeting it"], rows, caption))


def activity_layout() -> list[tuple[str, list[tuple[str, bool]]]]:
    """Worksheet 2's sections and rows, ``(indicator, indented?)``; referral sources and unit groups come
    from the schema, so a source or group added there gets its row."""
    return [
        ("1. Direct communication", [("direct_communications", False), ("call_ins", True),
                                     ("custom_notifications", True), ("direct_communications_highest_risk_pct", False)]),
        ("2. Relationship-focused case management", [
            ("case_management_new", False), ("case_management_opd_highest_risk_pct", False),
            ("case_management_active", False)]
            + [(f"case_management_active_{source}", True) for source in schema.REFERRAL_SOURCES]),
        ("3. Targeted enforcement", [(f"staffing_pct_{group}", False) for group in schema.UNIT_GROUPS]
            + [("enforcement_vhr_pct_area", False), ("enforcement_vhr_pct_specialised", False)]),
        ("4. Partnership", [("coordination_meetings", False), ("coordination_meetings_leads_present", True),
                            ("coordination_meetings_risk_focus", True), ("deliverables_on_time_pct", False),
                            ("deliverables_median_days_to_complete", False)]),
    ]


def suppressed_text(r: pd.Series, threshold: int) -> str | None:
    """What a partner or public report shows instead of a hidden count or share, or None when it is not hidden."""
    flag = r.get("suppressed", "") if hasattr(r, "get") else ""
    return hidden_text(flag, threshold, share=r.get("unit") == "percent") if flag else None


def _shares_text(r: pd.Series) -> str:
    """A percentage with its parts ('79% (27 of 34)'), or the value alone when it has none."""
    if r["unit"] == "percent" and not is_missing(r.get("numerator")):
        return format_fraction(r["numerator"], r["denominator"])
    return format_value(r["actual"], r["unit"])


def capacity_cap_text(params) -> str:
    """Say so when the case managers' capacity, not the annual benchmark, sets the enrolment benchmark.

    A capped benchmark can turn a miss into a mark of "meets": the room must see which number decided it
    (the seed deck printed "200 is current capacity" on this row).

    >>> from types import SimpleNamespace
    >>> from ceasefire_analysis.periods import ReviewWindows
    >>> p = SimpleNamespace(windows=ReviewWindows.from_months("2017-02", "2017-03"), case_management_capacity=200,
    ...                     annual_benchmarks={"case_management_new": {2017: 250}})
    >>> capacity_cap_text(p)
    ' (benchmark 250 a year, capped at the current capacity of 200)'
    >>> capacity_cap_text(SimpleNamespace(**{**vars(p), "case_management_capacity": 300}))
    ''
    """
    cap = params.case_management_capacity
    years = {params.windows.period.first.year, params.windows.period.last.year}
    annual = params.annual_benchmarks.get("case_management_new", {})
    capped = sorted(y for y in years if y in annual and cap is not None and cap < annual[y])
    if not capped:
        return ""
    given = " and ".join(format_count(annual[y]) for y in capped)
    return f" (benchmark {given} a year, capped at the current capacity of {format_count(cap)})"


def _activity_cell(r: pd.Series | None, threshold: int = 5, through=None) -> Cell:
    if r is None:
        return Cell("")
    if r["status"] == NOT_RECORDED:
        return Cell(NOT_RECORDED_TEXT.lower())
    hidden = suppressed_text(r, threshold)
    if hidden:
        return Cell(hidden)
    value = _shares_text(r)
    if str(r["indicator"]).startswith("staffing_pct_"):
        value = f"{staffing_day_label(r)}:\n{value}"
    if r["indicator"] == "deliverables_on_time_pct" and not is_missing(r.get("denominator")):
        # by due date: a meeting pack's on-time rate counts other days, so each says which tasks it counts
        value += f"\nof the tasks due {tasks_due_label(r, through)}"
    if r["status"] == INCOMPLETE:
        bench = "" if is_missing(r["benchmark"]) else f"\nbenchmark {format_value(r['benchmark'], r['unit'])}"
        return Cell(f"{value}\n({gap_note(r, through)}){bench}\nIncomplete: no mark", "num")
    if is_missing(r["benchmark"]):
        note = _text(r.get("benchmark_note"))
        return Cell(f"{value}\nNo benchmark: {note}" if note else value, "num")
    mark = status_cell(r["status"])
    bench = format_value(r["benchmark"], r["unit"])
    if not r["status"] and _text(r.get("benchmark_note")):
        return Cell(f"{value}\nbenchmark {bench}\nNo mark: {r['benchmark_note']}", "num")
    if not r["status"]:
        return Cell(f"{value}\n(capacity {bench})" if r["indicator"] == "case_management_active" else value, "num")
    text = f"{value}\nbenchmark {bench}\n{mark.text}"
    if r["status"] == DOES_NOT_MEET and r["unit"] == "percent" and not is_missing(r.get("numerator")):
        p = shortfall_chance(r["numerator"], r["denominator"], r["benchmark"])
        if not is_missing(p) and p >= VERDICT_ALPHA:
            text += (f"\nThe shortfall could be chance: {format_chance(p)} chance of a share this low if the true "
                     f"rate were {bench} (binomial)")
    return Cell(text, mark.css)


def tasks_due_label(r: pd.Series, through: dt.date | None = None) -> str:
    """The days a deliverables row counts tasks due on: '1 Jan to 31 Mar 2017'; with the data's last day
    ``through`` inside the window, only to that day (tasks due later are not counted, see indicators.py).

    >>> row = pd.Series({"window_start": "2016-12-01", "window_end": "2017-01-31"})
    >>> tasks_due_label(row), tasks_due_label(row, dt.date(2017, 1, 15))
    ('1 Dec 2016 to 31 Jan 2017', '1 Dec 2016 to 15 Jan 2017')
    """
    start, end = dt.date.fromisoformat(str(r["window_start"])), dt.date.fromisoformat(str(r["window_end"]))
    end = end if through is None else min(end, through)
    return f"{format_day(start) if start.year != end.year else f'{start.day} {start:%b}'} to {format_day(end)}"


def staffing_day_label(r: pd.Series) -> str:
    """When a staffing figure was measured: 'at 31 Dec 2016 (latest staffing report)'."""
    return f"{row_window_label(r['window_start'], r['window_end'], as_of=True)} (latest staffing report)"


def activity_worksheet_html(review: PeriodReview) -> HTML:
    """Worksheet 2: activity indicators by section, YTD, period and point-in-time."""
    table = review.indicators
    params = review.params
    units = table.set_index("indicator")["actual"].to_dict()
    through = review.coverage.through if review.coverage else None
    header = ["Indicator", f"Year to date ({window_label(params.windows.ytd)})",
              f"Review period ({window_label(params.windows.period)})",
              as_of_header(params.windows.end, through), "Notes re trends"]
    rows, classes = [], []
    for section, indicators in activity_layout():
        rows.append([Cell(section, ""), "", "", "", ""])
        classes.append("section")
        for indicator, indented in indicators:
            if not (table["indicator"] == indicator).any():
                continue
            label = LABELS[indicator].strip()
            if indicator.startswith("staffing_pct_"):
                group = indicator.removeprefix("staffing_pct_")
                n_units = units.get(f"staffing_units_{group}", 0)
                if not math.isnan(n_units):
                    label += f" ({int(n_units)} unit{'s' if n_units != 1 else ''})"
            if indicator == "case_management_new":
                label += capacity_cap_text(params)
            threshold = params.small_count_threshold
            rows.append([label, _activity_cell(_find_row(table, indicator, WINDOW_YTD), threshold, through),
                         _activity_cell(_find_row(table, indicator, WINDOW_PERIOD), threshold, through),
                         _activity_cell(_find_row(table, indicator, WINDOW_AS_OF), threshold, through),
                         note_for(review, indicator)])
            classes.append("sub" if indented else "")
    caption = "Worksheet 2: activity indicators (more is better: an activity meets its benchmark at or above it)"
    return HTML(html_table(header, rows, caption, classes, stacked=True))


def note_for(review: PeriodReview, indicator: str) -> str:
    """The params file's note on an indicator, as this report's audience may see it."""
    note = visible_note(review.params.notes.get(indicator, ""), review.params.audience)
    return review.shown_note(f"notes.{indicator}", note)


def demo_banner_html(review: PeriodReview) -> str:
    """The synthetic-data banner of a demo period's worksheet and index page: one wording for both, true for any
    period the demo is run for. The period named is the params file's; the seed deck is cited only as the
    model of the layout.

    >>> from types import SimpleNamespace
    >>> from ceasefire_analysis.periods import ReviewWindows
    >>> review = SimpleNamespace(params=SimpleNamespace(windows=ReviewWindows.from_months("2016-12", "2017-01")))
    >>> demo_banner_html(review).split(" are ")[0]
    '<div class="cf-banner">SYNTHETIC DEMO DATA: the numbers for Dec 2016–Jan 2017'
    """
    period = window_label(review.params.windows.period)
    return (f'<div class="cf-banner">SYNTHETIC DEMO DATA: the numbers for {html.escape(period)} are invented, laid '
            "out like the worksheets of Oakland's Ceasefire performance reviews in the seed deck (California "
            "Partnership for Safe Communities, June 2017). They describe no real person or event.</div>")


def report_header(review: PeriodReview, title: str, purpose: str) -> HTML:
    """Title, period, purpose and (for the demo) the synthetic-data banner, with the report styles."""
    params = review.params
    first, last = review.incident_span()
    parts = [REPORT_CSS, '<div class="cf-report">', f"<h1>{html.escape(title)}</h1>",
             f"<p><strong>{html.escape(params.city)}</strong> — review period {html.escape(params.windows.period.label())}"
             f" (year to date: {html.escape(params.windows.ytd.label())})</p>",
             f'<p class="cf-note">{html.escape(purpose)}</p>']
    if first is not None:
        parts.append(f'<p class="cf-note">Incident data run from {format_long_day(first)} to '
                     f'{format_long_day(last)}.</p>')
    if review.is_demo:
        parts.append(demo_banner_html(review))
    parts.append("</div>")
    return HTML("".join(parts))


def quality_html(review: PeriodReview) -> HTML:
    """Data-quality warnings and the audience of the report, shown before the numbers."""
    parts = ['<div class="cf-report">']
    audience = review.params.audience
    if suppresses_small_counts(audience):
        threshold = review.params.small_count_threshold
        parts.append(f'<p class="cf-note">Prepared for a <strong>{html.escape(audience)}</strong> audience: no '
                     f"participant-level information is shown; counts of people below {threshold} are hidden, and "
                     "so is any number from which one of them could be worked out.</p>")
    if review.later_notes_line():
        parts.append(f'<p class="cf-note">{html.escape(review.later_notes_line())}</p>')
    if review.warnings:
        items = "".join(f"<li>{html.escape(w)}</li>" for w in review.warnings)
        parts.append(f'<div class="cf-banner"><p>Data quality: read these numbers with care.</p><ul>{items}</ul></div>')
    else:
        parts.append('<p class="cf-note">Data-quality checks (empty months, victims listed twice, late '
                     "reports) found nothing to flag.</p>")
    parts.append("</div>")
    return HTML("".join(parts))


def next_steps_html(review: PeriodReview) -> HTML:
    """What became of the last review's next steps (with a count by status), then this review's next steps."""
    steps = [step for step in (visible_note(s, review.params.audience) for s in review.params.next_steps) if step]
    parts = ['<div class="cf-report">']
    if review.params.notes_written_for:  # another period's notes were left out: say so, not "none recorded" alone
        parts.append(f'<p class="cf-note">The notes on trends and the next steps on file were written for the '
                     f"{html.escape(review.params.notes_written_for)} review, so they are not shown for this one "
                     f"({html.escape(window_label(review.params.windows.period))}).</p>")
    parts.append(previous_next_steps_html(review))
    if not steps:
        parts.append("<h2>Next steps</h2><p>None recorded for this review.</p>")
    else:
        items = "".join(f"<li>{html.escape(s)}</li>" for s in steps)
        parts.append(f"<h2>Next steps</h2><ol>{items}</ol>")
    return HTML("".join(parts) + "</div>")


def next_step_status_counts(previous: pd.DataFrame) -> list[tuple[str, int]]:
    """Counts of the last review's next steps by status, in a fixed order, leaving out statuses with none.

    >>> next_step_status_counts(pd.DataFrame({"status": ["done", "not started", "done"]}))
    [('done', 2), ('not started', 1)]
    """
    counts = previous["status"].value_counts()
    return [(s, int(counts[s])) for s in NEXT_STEP_STATUSES + (NOT_REPORTED,) if counts.get(s, 0)]


def previous_next_steps_html(review: PeriodReview) -> str:
    """The last review's next steps with their status, as HTML text (see :func:`review.previous_next_steps`)."""
    previous, source = review.previous_steps
    if review.later_notes:  # a note reporting a day after the period's end is left out (the step and status stay)
        previous = previous.assign(note=[review.shown_note(f"previous_next_steps[{i}].note", note)
                                         for i, note in enumerate(previous["note"])])
    if review.params.audience != "internal":
        previous = pd.DataFrame(visible_steps(previous.to_dict("records"), review.params.audience),
                                columns=previous.columns)
        source = without_absolute_paths(source)
    title = "<h2>The last review's next steps</h2>"
    if previous.empty:
        return title + "<p>None recorded for the last review.</p>"
    summary = "; ".join(f"{n} {status}" for status, n in next_step_status_counts(previous))
    rows = [[r["text"], r["status"], r["note"]] for _, r in previous.iterrows()]
    return (title + f"<p>{len(previous)} next steps were agreed at the last review: {html.escape(summary)} "
            f"({html.escape(source)}).</p>" + html_table(["Next step", "Status", "Note"], rows, "", stacked=True))


def period_identity(params) -> str:
    """A review period's page identity: 'Oakland — review period Feb–Mar 2017 — internal audience'."""
    return page_identity(params.city, f"review period {params.windows.period.label()}", params.audience)


def provenance_html(review: PeriodReview) -> HTML:
    """The closing provenance line: period, params, version, input hashes, run time; and the page's identity
    (city, period, audience) for its title and the header of every printed page."""
    p = provenance(review)
    inputs = "; ".join(f"{i['file']} ({i['rows']} rows) sha256 {i['sha256']}" for i in p["inputs"])
    text = (f"Provenance — period {p['period']}; params: {p['params']}; ceasefire_analysis {p['package_version']}; "
            f"inputs: {inputs}; run at {p['run_at']}.")
    return HTML('<p><a href="index.html">Back to the period overview</a></p>'
                f'<p class="cf-provenance">{html.escape(text)}</p>'
                + running_header_html(period_identity(review.params)))


def headline_status(indicators: pd.DataFrame) -> pd.DataFrame:
    """Indicators that have a benchmark (or a named reason for none), for the period's index page."""
    none = pd.Series(False, index=indicators.index)
    hidden = indicators["suppressed"].ne("") if "suppressed" in indicators else none
    noted = indicators["benchmark_note"].fillna("").ne("") if "benchmark_note" in indicators else none
    keep = (indicators["benchmark"].notna() & (indicators["status"].ne("") | hidden)) | noted
    # A cut extract marks every open row incomplete, also rows that would carry no mark with complete data: a
    # context benchmark (the caseload beside capacity) and a share with nothing to count (no staffing report for a
    # unit). The index lists neither, so a cut index has the rows a complete one has.
    nothing_counted = indicators["status"].eq(INCOMPLETE) & indicators["actual"].isna() & ~(hidden | noted)
    keep &= ~indicators["indicator"].isin(CONTEXT_BENCHMARK_INDICATORS) & ~nothing_counted
    return indicators[keep].reset_index(drop=True)


def headline_html(review: PeriodReview) -> str:
    """The index page's table: each benchmarked indicator's window by its months, count, benchmark, mark and
    the chance verdict beside it."""
    status = headline_status(review.indicators)
    through = review.coverage.through if review.coverage else None
    rows = []
    named = window_cells(review)  # "Year to date" / "Review period", as Worksheet 1 says them
    for _, r in status.iterrows():
        window = named.get(r["window"]) or row_window_label(r["window_start"], r["window_end"],
                                                            as_of=r["window"] == WINDOW_AS_OF, through=through)
        if str(r["indicator"]).startswith("staffing_pct_"):
            window = staffing_day_label(r)
        hidden = suppressed_text(r, review.params.small_count_threshold)
        actual = hidden or _shares_text(r)
        if r["status"] == INCOMPLETE:
            actual += f" ({gap_note(r, through)})"
        seasonal = r.get("decided_by") == "seasonal"
        bench_value = _exact(r, "benchmark_seasonal") if seasonal else _exact(r, "benchmark")
        note = r.get("benchmark_note") or ""
        benchmark = (format_benchmark_of(bench_value, r["unit"]) + (" (seasonal)" if seasonal else "")
                     + (f" ({note})" if note else "")
                     if not is_missing(bench_value) else f"none: {note or 'not set'}")
        if r["status"] in (MEETS, DOES_NOT_MEET, INCOMPLETE):
            mark = status_cell(r["status"])  # an incomplete count already says how far the data reach
        else:
            mark = Cell("hidden" if hidden else "—")
        if r["status"] == INCOMPLETE or hidden:
            chance = "—"
        elif r.get("verdict") == NOT_TESTED:
            chance = not_tested_text(seasonal)
        elif isinstance(r.get("verdict"), str) and r["verdict"]:
            chance = f"{r['verdict'].capitalize()} ({format_chance(r['p_vs_benchmark'])})"
        elif r["status"] == DOES_NOT_MEET and r["unit"] == "percent" and not is_missing(r.get("numerator")):
            p = shortfall_chance(r["numerator"], r["denominator"], r["benchmark"])
            chance = (f"The shortfall could be chance ({format_chance(p)}, binomial)"
                      if not is_missing(p) and p >= VERDICT_ALPHA
                      else f"Shortfall beyond chance ({format_chance(p)}, binomial)" if not is_missing(p) else "—")
        else:
            chance = "—"
        rows.append([r["label"], window, benchmark, actual, mark, chance])
    return html_table(["Indicator", "Window", "Benchmark", "Actual", "Status", "Could it be chance?"], rows,
                      "Headline status of every indicator with a benchmark", stacked=True)
