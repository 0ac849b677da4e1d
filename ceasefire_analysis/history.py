"""Long-run annual series: homicides, rates against the state, and the police footprint.

A history folder holds one CSV per annual series with columns
``year, value, source, definition[, note]``. The file names give the roles:
``homicides``, ``population``, ``state_homicides``, ``state_population``,
``sworn_officers`` (and ``sworn_officers_jan1``); any other file of the same shape is
an extra series. Nothing about a particular city is written here: the data and the
params file say which city, which eras and which facts to compute.
"""
from __future__ import annotations

import datetime as dt
import html
import math
import re
import textwrap
from dataclasses import dataclass

import pandas as pd
from IPython.display import HTML
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.ticker import MaxNLocator

from .charts import (BENCHMARK_COLOUR, Chart, CURRENT_COLOUR, PRIOR_COLOUR, _no_chart, content_key, label_axes,
                     name_the_city, new_figure, new_panels)
from .formatting import (format_change, format_count, format_day, format_day_span, format_decimal, is_missing,
                         year_runs_label)
from .indicators import lookup, recorded_incident_types
from .loading import ROLES, SERIES_COLUMNS, load_history, read_series  # noqa: F401 (re-exported)
from .quality import empty_months
from .periods import Month
from .review import PeriodReview
from .schema import HOMICIDE, NONFATAL, WINDOW_YTD
from .tables import HOMICIDE_SCOPE_TEXT, REPORT_CSS, html_table


# --------------------------------------------------------------------------- arithmetic

def rate_per_100k(counts: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """Rate per 100,000 for every year both series have: columns year, count, population, rate.

    >>> c = pd.DataFrame({"year": [2012], "value": [127.0]})
    >>> p = pd.DataFrame({"year": [2012], "value": [399487.0]})
    >>> round(float(rate_per_100k(c, p)["rate"].iloc[0]), 2)
    31.79
    """
    joined = counts[["year", "value"]].merge(population[["year", "value"]], on="year", suffixes=("_count", "_pop"))
    joined = joined[joined["value_pop"] > 0]
    return pd.DataFrame({"year": joined["year"], "count": joined["value_count"], "population": joined["value_pop"],
                         "rate": joined["value_count"] / joined["value_pop"] * 100_000}).reset_index(drop=True)


def pct_change(series: pd.DataFrame, first_year: int, last_year: int) -> float:
    """Relative change of a series between two years (NaN when either is missing or the first is 0).

    >>> s = pd.DataFrame({"year": [2005, 2012], "value": [93.0, 127.0]})
    >>> round(pct_change(s, 2005, 2012), 4)
    0.3656
    """
    values = series.set_index("year")["value"]
    if first_year not in values or last_year not in values or values[first_year] == 0:
        return math.nan
    return float(values[last_year] / values[first_year] - 1)


def runs_below(series: pd.DataFrame, threshold: float, first_year: int, before_year: int,
               min_length: int = 2) -> list[tuple[int, int]]:
    """Runs of at least ``min_length`` consecutive years with a value below ``threshold``.

    Only years from ``first_year`` up to (not including) ``before_year`` count. A
    missing year breaks a run.

    >>> s = pd.DataFrame({"year": range(1969, 1976), "value": [74, 69, 89, 78, 100, 78, 111]})
    >>> runs_below(s, 90, 1969, 1976)
    [(1969, 1972)]
    """
    values = series.set_index("year")["value"]
    runs, start, previous = [], None, None
    for year in range(first_year, before_year):
        below = year in values and values[year] < threshold
        if below and start is None:
            start = year
        if not below and start is not None:
            runs.append((start, previous))
            start = None
        previous = year
    if start is not None:
        runs.append((start, previous))
    return [(a, b) for a, b in runs if b - a + 1 >= min_length]


def history_first_year(series: dict[str, pd.DataFrame], history_start: int | None = None) -> int | None:
    """The first year every long-run chart of a review shows: the params file's ``history_start`` when it gives
    one (the demo: 1969, where the seed deck's chart begins), else the earliest year of any series.

    >>> series = {"homicides": pd.DataFrame({"year": [1960, 1961]}), "sworn_officers": pd.DataFrame({"year": [1963]})}
    >>> history_first_year(series), history_first_year(series, 1969), history_first_year({})
    (1960, 1969, None)
    """
    if history_start is not None:
        return history_start
    years = [int(frame["year"].min()) for frame in series.values() if len(frame)]
    return min(years) if years else None


# how a reader names each standard series in "no ... figures for 1969–2016"
SERIES_WORDS = {"homicides": "homicide", "population": "population", "state_homicides": "state homicide",
                "state_population": "state population", "sworn_officers": "sworn-officer",
                "sworn_officers_jan1": "1 January sworn-officer"}


def series_in_span(series: dict[str, pd.DataFrame], first_year: int | None,
                   end_year: int) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """The series cut to the years the review's charts show (``first_year`` up to, not including, ``end_year``),
    and, for each series with no year left, a sentence saying so.

    A chart is drawn only from series with at least one year in its span; a series a city sent
    only for later years, or only for years before ``history_start``, gets a sentence, not a chart.

    >>> frame = pd.DataFrame({"year": [2018, 2019], "value": [740, 745]})
    >>> shown, missing = series_in_span({"sworn_officers": frame}, 1969, 2017)
    >>> shown, missing["sworn_officers"]
    ({}, 'No sworn-officer figures for 1969–2016 in sworn_officers.csv (it has 2018–2019).')
    """
    shown, missing = {}, {}
    for name, frame in series.items():
        cut = frame[(frame["year"] >= (first_year if first_year is not None else frame["year"].min()))
                    & (frame["year"] < end_year)].reset_index(drop=True)
        if len(cut):
            shown[name] = cut
            continue
        has = (f"it has {int(frame['year'].min())}–{int(frame['year'].max())}" if len(frame)
               else "it has no rows")
        span = f"{first_year}–{end_year - 1}" if first_year is not None else f"the years before {end_year}"
        missing[name] = (f"No {SERIES_WORDS.get(name, name.replace('_', ' '))} figures for {span} in "
                         f"{name}.csv ({has}).")
    return shown, missing


def counted_through(review: PeriodReview) -> dt.date:
    """The last day the review's own year is counted to: the period's end, or the incident data's end when earlier
    (an extract taken on 14 June says nothing about 15-30 June)."""
    end = review.params.windows.end
    coverage = getattr(review, "incident_coverage", None)
    through = coverage.through if coverage is not None else None
    return min(end, through) if through is not None else end


def _from_year(first_year: int | None, frame: pd.DataFrame) -> int:
    """``first_year``, or the first year of ``frame`` when none is given."""
    return int(frame["year"].min()) if first_year is None else first_year


def era_year(value) -> float:
    """An era boundary as a fractional year: 2012, 2012.75 or '2012-10' (October 2012 = 2012.75)."""
    if isinstance(value, str) and "-" in value:
        year, month = value.split("-")[:2]
        return int(year) + (int(month) - 1) / 12
    return float(value)


# --------------------------------------------------------------------------- the report

@dataclass
class HistoryReport:
    """What ``history.ipynb`` shows, each item ready to display."""

    header: HTML
    homicides_chart: Chart | HTML
    rate_chart: Chart | HTML
    footprint_chart: Chart | HTML
    facts: HTML
    sources: HTML
    extra_chart: Chart | HTML | None = None


def _not_shown_note(what: str, how: str) -> HTML:
    return HTML(f'<div class="cf-report"><p><strong>{html.escape(what)}</strong> {html.escape(how)}</p></div>')


def _definition_segments(series: pd.DataFrame):
    for definition, group in series.groupby("definition", sort=False):
        yield definition, group


# The published series' definitions that count what each homicide_scope counts (the incident file's homicides)
SCOPE_DEFINITIONS = {"all": {"city_homicide"}, "firearm": set()}
DEFINITION_LABELS = {
    "ucr_murder": "FBI UCR murder and non-negligent manslaughter",
    "city_homicide": "City / police count of all homicides (different definition)",
    "fbi_state_estimate_murder": "FBI state estimate",
    "ca_doj_homicide": "State Department of Justice homicides (different definition)",
    "leoka_sworn_officers": "Sworn officers (FBI police-employee counts)",
    "city_sworn_january_1": "Sworn officers on 1 January (city staffing report)",
}


def era_span_text(era: dict) -> str:
    """When an era ran, as its label on a chart says it: "2005–2014", "from Oct 2012".

    >>> era_span_text({"start": 2005, "end": 2014}), era_span_text({"start": 2012.75})
    ('2005–2014', 'from Oct 2012')
    """
    def when(value) -> str:
        year = era_year(value)
        month = min(12, math.floor((year - math.floor(year)) * 12 + 1e-9) + 1)  # 2012.75 and '2012-10': October
        return Month(math.floor(year), month).label() if month > 1 else str(math.floor(year))

    return f"{when(era['start'])}–{when(era['end'])}" if era.get("end") is not None else f"from {when(era['start'])}"


def _shade_eras(ax, eras, first: int, last: int) -> None:
    """Each era a shaded band, labelled with its name and when it ran. A label sits on the first line where it
    overlaps no other label (so where two eras overlap, the band where both apply reads as both, not as a third
    era, and two short neighbouring eras' names are not printed over each other); one that would run past the
    chart's right end ends at the end instead. Sets the chart's years: first - 1 to last + 1."""
    colours = ["#fde0c5", "#d1e5f0", "#e5f5e0", "#f2e5f7"]
    ax.set_xlim(first - 1, last + 1)
    figure = ax.figure
    renderer = RendererAgg(figure.bbox.width, figure.bbox.height, figure.dpi)  # to measure the labels (before layout)
    years_per_pixel = (last - first + 2) / max(ax.get_window_extent(renderer).width, 1.0)
    placed: list[tuple[float, float, int]] = []  # each label's years (left, right) and its line
    tallest = 0.0  # the tallest label so far, as a share of the chart's height: the lines' spacing
    for i, era in enumerate(eras):
        start = era_year(era["start"])
        end = era_year(era["end"]) if era.get("end") is not None else last + 0.5
        if end < first:
            continue
        left = max(start, first - 0.5)
        ax.axvspan(left, end, color=colours[i % len(colours)], alpha=0.6, zorder=0)
        name = "\n".join(textwrap.wrap(str(era["label"]), 22)) or str(era["label"])
        text = ax.text(left + 0.2, 0.97, f"{name}\n{era_span_text(era)}", transform=ax.get_xaxis_transform(),
                       va="top", fontsize=9, color="#333")
        width = text.get_window_extent(renderer).width * years_per_pixel
        x0 = left + 0.2
        if x0 + width > last + 1:  # past the chart's end: end there
            text.set_horizontalalignment("right")
            text.set_x(last + 0.8)
            x0 = last + 0.8 - width
        height = text.get_window_extent(renderer).height / max(ax.get_window_extent(renderer).height, 1.0)
        tallest = max(tallest, height)
        taken = {line for a, b, line in placed if a < x0 + width and x0 < b}
        line = min(set(range(len(taken) + 1)) - taken)
        text.set_y(0.97 - line * (tallest + 0.02))
        placed.append((x0, x0 + width, line))


def homicides_chart(series: pd.DataFrame, review: PeriodReview, first_year: int | None = None) -> Chart:
    """Homicides per year from ``first_year`` (default: the series' first), with definitional breaks, eras and
    this year's partial count."""
    first_year = _from_year(first_year, series)
    fig, ax = new_figure(9.5, 4.8)
    shown = series[series["year"] >= first_year]
    styles = [dict(color=CURRENT_COLOUR, marker="o", linestyle="-"),
              dict(color=PRIOR_COLOUR, marker="D", linestyle="--", markerfacecolor="white")]
    for i, (definition, group) in enumerate(_definition_segments(shown)):
        ax.plot(group["year"], group["value"], markersize=4, linewidth=1.8,
                label=DEFINITION_LABELS.get(definition, definition), **styles[i % len(styles)])
    definitions = list(dict.fromkeys(shown["definition"]))
    if len(definitions) > 1:
        break_year = shown.loc[shown["definition"] == definitions[1], "year"].min()
        ax.axvline(break_year - 0.5, color="#777", linestyle=":", linewidth=1)
        ax.annotate("definition changes", (break_year - 0.5, ax.get_ylim()[1] * 0.05), rotation=90, fontsize=8,
                    color="#555", ha="right")
    period = review.params.windows
    year = period.period.last.year
    # the worksheet's own year-to-date count (one number, counted once), not a second count of the raw rows;
    # it runs to the data's end when that is before the period's end, and the label says so
    to_date = lookup(review.indicators, "homicides", WINDOW_YTD)
    source = "synthetic demo data" if review.is_demo else "this city's incident data"
    if not is_missing(to_date):  # a city that records no homicide has no count so far to mark
        # the review's year is a partial bar (its count so far), never beside a full-year figure for it
        # the bar counts the incident file's homicides; the line may count another definition (UCR murder leaves
        # out justified homicides): the bar says what it counts, so nobody reads the two as one series
        scope = review.params.homicide_scope
        differs = definitions[-1] not in SCOPE_DEFINITIONS.get(scope, set()) if definitions else False
        ax.bar([year], [to_date], width=0.8, color="none", edgecolor=BENCHMARK_COLOUR, hatch="///", linewidth=1.5,
               label=f"{year} to date ({format_day_span(period.ytd.start, counted_through(review))}, partial; "
                     f"{source}):\n{HOMICIDE_SCOPE_TEXT[scope]}"
                     + (", not the line's definition: not one series" if differs else ""))
    last = year
    _shade_eras(ax, review.params.eras, first_year, last)
    label_axes(ax, "Year", "Homicides per year", f"Homicides per year, {first_year}–{last} ({last} to date)")
    ax.legend(loc="lower left", fontsize=8, frameon=True)
    name_the_city(fig, review.params.city)
    return Chart(fig)


def rate_comparison(series: dict[str, pd.DataFrame]) -> pd.DataFrame | None:
    """City and state rates per 100,000 by year, and their ratio (None without the four series)."""
    if not {"homicides", "population", "state_homicides", "state_population"} <= set(series):
        return None
    city = rate_per_100k(series["homicides"], series["population"])
    state = rate_per_100k(series["state_homicides"], series["state_population"])
    joined = city[["year", "rate"]].merge(state[["year", "rate"]], on="year", suffixes=("_city", "_state"))
    joined["ratio"] = joined["rate_city"] / joined["rate_state"]
    return joined


def series_before(series: dict[str, pd.DataFrame], year: int) -> dict[str, pd.DataFrame]:
    """Every annual series cut to the years before ``year`` (a review never charts its own or a later year's
    full-year figure: it did not exist yet when the review met).

    >>> frame = pd.DataFrame({"year": [2016, 2017, 2025], "value": [1, 2, 3]})
    >>> series_before({"x": frame}, 2017)["x"]["year"].tolist()
    [2016]
    """
    return {name: frame[frame["year"] < year].reset_index(drop=True) for name, frame in series.items()}


def rate_chart(rates: pd.DataFrame, first_year: int | None = None, last_year: int | None = None,
               city: str = "") -> Chart:
    """City and state murder rates and their ratio, from ``first_year`` (default: the first year both have);
    ``city`` heads the chart."""
    first_year = _from_year(first_year, rates)
    shown = rates[rates["year"] >= first_year]
    fig, (top, bottom) = new_panels(9.5, 6.2, 2, 1, sharex=True, height_ratios=[2, 1])
    top.plot(shown["year"], shown["rate_city"], color=CURRENT_COLOUR, marker="o", markersize=3, label="City")
    top.plot(shown["year"], shown["rate_state"], color=PRIOR_COLOUR, marker="s", markersize=3, linestyle="--",
             label="State")
    label_axes(top, "", "Murders per 100,000 residents",
               f"Murder rate per 100,000: city and state, {shown['year'].min()}–{shown['year'].max()} "
               "(computed from counts and population)")
    top.legend(frameon=False)
    bottom.plot(shown["year"], shown["ratio"], color=BENCHMARK_COLOUR, marker="o", markersize=3)
    label_axes(bottom, "Year", "City rate ÷ state rate")
    _end_at(bottom, first_year, last_year)
    name_the_city(fig, city)
    return Chart(fig, key=content_key("rate_chart", rates, first_year, last_year, city))


def _end_at(ax, first_year: int, last_year: int | None) -> None:
    """Every history chart of a review spans the same years, ending at the review's year."""
    if last_year is not None:
        ax.set_xlim(first_year - 1, last_year + 1)


def footprint_chart(series: dict[str, pd.DataFrame], first_year: int | None = None,
                    last_year: int | None = None, city: str = "") -> Chart | HTML:
    """Sworn officers, and officers per 10,000 residents, from ``first_year`` (default: the series' first);
    a sentence instead when the sworn-officer series has no year in the chart's span. ``city`` heads the chart."""
    sworn = series["sworn_officers"]
    first_year = _from_year(first_year, sworn) if len(sworn) else first_year
    in_span = (sworn["year"] >= (first_year or 0)) & (sworn["year"] <= (last_year or sworn["year"].max()))
    sworn = sworn[in_span]
    if sworn.empty:
        span = f" for {first_year}–{last_year}" if first_year is not None and last_year is not None else ""
        return _no_chart(f"No sworn-officer figures{span}.")
    fig, (top, bottom) = new_panels(9.5, 6.2, 2, 1, sharex=True)
    top.plot(sworn["year"], sworn["value"], color=CURRENT_COLOUR, marker="o", markersize=3,
             label=DEFINITION_LABELS.get(sworn["definition"].iloc[0], "sworn officers"))
    jan = series.get("sworn_officers_jan1")
    jan = jan[jan["year"] >= first_year] if jan is not None else None
    if jan is not None and len(jan):
        top.plot(jan["year"], jan["value"], color=PRIOR_COLOUR, marker="D", markersize=4, linestyle="--",
                 markerfacecolor="white", label=DEFINITION_LABELS.get(jan["definition"].iloc[0], "1 January"))
    label_axes(top, "", "Sworn officers", "Police footprint: sworn officers, and officers per 10,000 residents, "
               f"{sworn['year'].min()}–{sworn['year'].max()}")
    top.legend(frameon=False, loc="lower left")
    if "population" in series:
        per = rate_per_100k(sworn, series["population"])
        bottom.plot(per["year"], per["rate"] / 10, color=BENCHMARK_COLOUR, marker="o", markersize=3)
    label_axes(bottom, "Year", "Officers per 10,000 residents")
    _end_at(bottom, first_year, last_year)
    name_the_city(fig, city)
    return Chart(fig, key=content_key("footprint_chart", series, first_year, last_year, city))


def extra_series_chart(series: dict[str, pd.DataFrame], first_year: int | None = None,
                       last_year: int | None = None, city: str = "") -> Chart | None:
    """Small multiples of any series a city added beyond the standard roles (arrests, stops, ...); ``city`` heads
    the chart."""
    extras = {name: frame for name, frame in sorted(series.items()) if name not in ROLES}
    if not extras:
        return None
    fig, axes = new_panels(9.5, 2.6 * len(extras), len(extras), 1, squeeze=False)
    axes = axes[:, 0]
    first_year = history_first_year(extras, first_year)
    for ax, (name, frame) in zip(axes, extras.items()):
        shown = frame[frame["year"] >= first_year]
        for i, (definition, group) in enumerate(_definition_segments(shown)):
            ax.plot(group["year"], group["value"], marker="o", markersize=3,
                    color=[CURRENT_COLOUR, PRIOR_COLOUR][i % 2], linestyle=["-", "--"][i % 2],
                    label=DEFINITION_LABELS.get(definition, definition.replace("_", " ")))
        title = name.replace("_", " ").capitalize()
        label_axes(ax, "Year", title, f"{title} per year, {shown['year'].min()}–{shown['year'].max()}")
        ax.legend(frameon=False, fontsize=8)
        _end_at(ax, first_year, last_year)
    name_the_city(fig, city)
    return Chart(fig, key=content_key("extra_series_chart", extras, first_year, last_year, city))


def computed_facts(series: dict[str, pd.DataFrame], settings: dict, first_year: int | None = None) -> pd.DataFrame:
    """The seed's prose claims, recomputed from the data: columns fact, value, years, source.

    Runs of low years are counted from ``first_year`` (default: the homicide series' first year).
    """
    rows = []
    homicides = series.get("homicides")
    if homicides is not None:
        first_year = _from_year(first_year, homicides)
        for first, last in settings.get("changes", []):
            change = pct_change(homicides, first, last)
            if not math.isnan(change):
                values = homicides.set_index("year")["value"]
                rows.append({"fact": f"Change in homicides, {first} to {last}",
                             "value": f"{format_change(change, places=1)} ({format_count(values[first])} → "
                                      f"{format_count(values[last])})",
                             "years": f"{first}–{last}"})
            else:  # a fact asked for and silently dropped would read as "nothing to check"
                rows.append({"fact": f"Change in homicides, {first} to {last}",
                             "value": f"cannot be computed: {_missing_years(homicides, [first, last])}",
                             "years": f"{first}–{last}"})
        threshold = settings.get("threshold")
        before = settings.get("runs_before")
        if threshold is not None and before is not None and before - 1 < first_year:
            rows.append({"fact": f"Runs of two or more consecutive years under {threshold} homicides "
                                 f"before {before}",
                         "value": f"cannot be computed: the series start in {first_year}", "years": ""})
        elif threshold is not None and before is not None:
            runs = runs_below(homicides, threshold, first_year, before)
            listed = ", ".join(f"{a}–{b}" for a, b in runs) or "none"
            rows.append({"fact": f"Runs of two or more consecutive years under {threshold} homicides, "
                                 f"{first_year} to {before - 1}",
                         "value": f"{len(runs)}: {listed}", "years": f"{first_year}–{before - 1}"})
            later = [r for r in runs if r[0] > runs[0][1]] if runs else []
            if len(runs) > 1:
                rows.append({"fact": "The same count starting after the first run",
                             "value": f"{len(later)}: " + ", ".join(f"{a}–{b}" for a, b in later),
                             "years": f"{runs[0][1] + 1}–{before - 1}"})
    rates = rate_comparison(series)
    if rates is not None and not rates.empty:
        since = settings.get("ratio_since", int(rates["year"].min()))
        window = rates[rates["year"] >= since]
        if window.empty:
            rows.append({"fact": f"City murder rate as a multiple of the state rate, since {since}",
                         "value": f"cannot be computed: the rates run from {int(rates['year'].min())} to "
                                  f"{int(rates['year'].max())}", "years": ""})
        else:
            low, high = window.loc[window["ratio"].idxmin()], window.loc[window["ratio"].idxmax()]
            rows.append({"fact": f"City murder rate as a multiple of the state rate, since {since}",
                         "value": f"{format_decimal(low['ratio'])}× ({int(low['year'])}) to "
                                  f"{format_decimal(high['ratio'])}× "
                                  f"({int(high['year'])})",
                         "years": f"{int(window['year'].min())}–{int(window['year'].max())}"})
    return pd.DataFrame(rows, columns=["fact", "value", "years"])


def _missing_years(series: pd.DataFrame, years: list[int]) -> str:
    """Why a change between ``years`` cannot be computed: the years the series has no figure for, in words.

    >>> _missing_years(pd.DataFrame({"year": [2005], "value": [93.0]}), [1900, 2005, 2100])
    'no homicide figure for 1900 or 2100 (the series run 2005–2005)'
    """
    have = set(series["year"].astype(int))
    missing = [str(y) for y in years if y not in have]
    span = f" (the series run {int(series['year'].min())}–{int(series['year'].max())})" if have else ""
    if not missing:
        return "the first year's count is 0, so there is no percentage change"
    return f"no homicide figure for {' or '.join(missing)}{span}"


def claim_verdicts(series: dict[str, pd.DataFrame], settings: dict, first_year: int | None = None) -> list[str]:
    """Whether each of the deck's claims (``claimed_*`` in ``history_facts``) holds on the series, and why, in a
    sentence each: computed from the same figures as :func:`computed_facts`, the deck's own numbers from params.

    >>> s = {"homicides": pd.DataFrame({"year": [2005, 2012], "value": [93.0, 127.0]})}
    >>> claim_verdicts(s, {"changes": [[2005, 2012]], "claimed_change": 0.37})
    ['Deck: +37% from 2005 to 2012. Holds: the series give +36.6% (93 → 127), which rounds to the same whole percent.']
    """
    verdicts = []
    homicides = series.get("homicides")
    if homicides is not None and "claimed_change" in settings:
        claimed = settings["claimed_change"]
        for first, last in settings.get("changes", []):
            change = pct_change(homicides, first, last)
            if math.isnan(change):
                continue
            values = homicides.set_index("year")["value"]
            given = (f"{format_change(change, places=1)} ({format_count(values[first])} → "
                     f"{format_count(values[last])})")
            same = format_change(change) == format_change(claimed)
            verdicts.append(f"Deck: {format_change(claimed)} from {first} to {last}. "
                            + (f"Holds: the series give {given}, which rounds to the same whole percent." if same else
                               f"Does not hold: the series give {given}."))
    threshold, before = settings.get("threshold"), settings.get("runs_before")
    if homicides is not None and "claimed_runs" in settings and threshold is not None and before is not None:
        first_year = _from_year(first_year, homicides)
        claimed = settings["claimed_runs"]
        runs = runs_below(homicides, threshold, first_year, before)
        later = [r for r in runs if r[0] > runs[0][1]] if runs else []
        listed = ", ".join(f"{a}–{b}" for a, b in runs) or "none"
        what = (f"Deck: {claimed} period{'s' if claimed != 1 else ''} of two or more consecutive years under "
                f"{format_count(threshold)} homicides before {before}. ")
        if len(runs) == claimed:
            verdicts.append(what + f"Holds: the series from {first_year} have {len(runs)} ({listed}).")
        elif len(runs) > 1 and len(later) == claimed:
            after = ", ".join(f"{a}–{b}" for a, b in later)
            verdicts.append(what + f"Holds only if the count starts after {runs[0][1]}: from {first_year} the "
                                   f"series have {len(runs)} ({listed}); from {runs[0][1] + 1}, {len(later)} "
                                   f"({after}).")
        else:
            verdicts.append(what + f"Does not hold: the series from {first_year} have {len(runs)} ({listed}).")
    rates = rate_comparison(series)
    if rates is not None and not rates.empty and "claimed_ratio" in settings:
        low_claim, high_claim = settings["claimed_ratio"]
        against = settings.get("claimed_ratio_of", "national")
        since = settings.get("ratio_since", int(rates["year"].min()))
        window = rates[rates["year"] >= since]
        if window.empty:
            verdicts.append(f"Deck: {low_claim} to {high_claim} times the {against} rate since {since}. Cannot be "
                            f"checked here: the rates run from {int(rates['year'].min())} to "
                            f"{int(rates['year'].max())}.")
        else:
            inside = window["ratio"].between(low_claim, high_claim)
            spread = f"{format_decimal(window['ratio'].min())}× to {format_decimal(window['ratio'].max())}×"
            multiple = [format_count(x) if float(x).is_integer() else format_decimal(x) for x in (low_claim, high_claim)]
            what = (f"Deck: {multiple[0]} to {multiple[1]} times the {against} rate "
                    f"since {since}. ")
            years = f"{int(inside.sum())} of {len(window)} years from {since} fall in that range"
            if against != "state":
                verdicts.append(what + f"Cannot be checked here: these series give the state rate, not the "
                                       f"{against} one. Against the state the city's rate ran {spread}; {years}.")
            else:
                verdicts.append(what + ("Holds" if inside.all() else "Does not hold") +
                                f": the city's rate ran {spread} the state's; {years}.")
    return verdicts


def source_names(folder, keys: list[str]) -> list[str]:
    """Each source key with its name and address from the folder's SOURCES.md register ("- **K1** name: where"),
    so a reader without that file sees what each key is; a key not found there is given as it is."""
    register = {}
    path = folder / "SOURCES.md" if folder is not None else None
    if path is not None and path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            found = re.match(r"^\s*-\s*\*\*([A-Za-z0-9]+)\*\*\s*(.+)$", line)
            if found:
                register[found.group(1)] = source_for_readers(found.group(2))
    return [f"{key}: {register[key]}" if key in register else key for key in keys]


def source_for_readers(entry: str) -> str:
    """A register entry as the room reads it: no Markdown back-ticks or bold marks, and no commit hashes (they
    identify a file's version for whoever rebuilds the series; SOURCES.md keeps them).

    >>> source_for_readers("FBI UCR: GitHub `owner/repo`, `data/x.csv` (commits `0093e9af133d`, `39ba87aeac44`).")
    'FBI UCR: GitHub owner/repo, data/x.csv.'
    """
    text = re.sub(r"\s*\(commits?\s+`?[0-9a-f]{7,40}`?(?:\s*,\s*`?[0-9a-f]{7,40}`?)*\)", "", entry)
    return re.sub(r"\s+", " ", text.replace("`", "").replace("**", "")).strip()


def annual_incident_counts(incidents: pd.DataFrame, through, start: dt.date | None = None) -> pd.DataFrame:
    """Victims per year and incident type from ``incidents``, up to ``through`` (a date), one row a year.

    Columns: ``year``, ``homicide``, ``nonfatal_injury_shooting``, ``partial`` (True for the
    last year when ``through`` is before 31 December, and for a first year whose data begin
    after 1 January: ``start``, the first day the data cover; without it, when the first incident is after January).

    >>> inc = pd.DataFrame({"occurred_on": pd.to_datetime(["2015-03-01", "2016-05-01", "2017-01-09"]),
    ...                     "incident_type": ["homicide", "nonfatal_injury_shooting", "homicide"]})
    >>> annual_incident_counts(inc, pd.Timestamp("2017-03-31").date()).values.tolist()
    [[2015, 1, 0, True], [2016, 0, 1, False], [2017, 1, 0, True]]
    """
    end = pd.Timestamp(through)
    shown = incidents[incidents["occurred_on"] <= end]
    if shown.empty:
        return pd.DataFrame({"year": pd.Series(dtype=int), HOMICIDE: pd.Series(dtype=int),
                             NONFATAL: pd.Series(dtype=int), "partial": pd.Series(dtype=bool)})
    first = pd.Timestamp(start) if start is not None else shown["occurred_on"].min()
    years = range(min(first.year, shown["occurred_on"].min().year), end.year + 1)
    counts = (shown.assign(year=shown["occurred_on"].dt.year).groupby(["year", "incident_type"]).size()
              .unstack(fill_value=0).reindex(index=years, columns=[HOMICIDE, NONFATAL], fill_value=0))
    out = counts.reset_index().rename(columns={"index": "year"})
    out.columns.name = None
    out["partial"] = False
    # the first day the data cover decides, as on the worksheets; without it, the first incident's month
    if (first.month, first.day if start is not None else 1) != (1, 1):
        out.loc[out["year"] == first.year, "partial"] = True
    if (end.month, end.day) != (12, 31):
        out.loc[out["year"] == end.year, "partial"] = True
    return out


def data_start(review: PeriodReview) -> dt.date | None:
    """The first day the review's incident data cover (``data_from``, else the first incident's day)."""
    coverage = getattr(review, "incident_coverage", None)
    return coverage.start if coverage is not None else None


def partial_years_text(table: pd.DataFrame, through: dt.date, start: dt.date | None) -> str:
    """What a chart title adds for the partial years of :func:`annual_incident_counts`: '; 2017 from 15 Jul 2017;
    2018 only 1 Jan–31 Jan 2018', or nothing when every year charted is whole.

    >>> t = pd.DataFrame({"year": [2017, 2018, 2019], "partial": [True, False, False]})
    >>> partial_years_text(t, dt.date(2019, 12, 31), dt.date(2017, 7, 15))
    '; 2017 from 15 Jul 2017'
    """
    parts = []
    for year in table.loc[table["partial"], "year"]:
        if start is not None and year == start.year and (start.month, start.day) != (1, 1):
            end = f" to {format_day(through)}" if year == through.year and through < dt.date(year, 12, 31) else ""
            parts.append(f"{year} from {format_day(start)}{end}")
        else:
            parts.append(f"{year} only {format_day_span(dt.date(year, 1, 1), through)}")
    return "".join(f"; {p}" for p in parts)


def blank_years(incidents: pd.DataFrame, through: dt.date) -> list[int]:
    """Years from the first incident to ``through`` in which no incident of any kind is recorded in any month: a gap in
    the extract (the data-quality check names the empty months), drawn as a gap, never as a year of no shootings.

    >>> rows = pd.DataFrame({"occurred_on": pd.to_datetime(["2014-05-01", "2017-02-01"])})
    >>> blank_years(rows, dt.date(2017, 3, 31))
    [2015, 2016]
    """
    empty = set(empty_months(incidents, through))
    if incidents.empty:
        return []
    first = int(incidents["occurred_on"].min().year)
    return [year for year in range(first, through.year + 1)
            if all(f"{year}-{m:02d}" in empty for m in range(1, 13) if dt.date(year, m, 1) <= through)]


def incident_history_chart(review: PeriodReview) -> Chart | HTML:
    """Annual homicides and non-fatal injury shootings counted from the city's incidents (per area if known),
    from the params file's ``history_start`` when it gives one (it is never after the review's year)."""
    incidents = review.data.incidents
    through = counted_through(review)
    recorded = recorded_incident_types(review.data)
    types = [(t, label) for t, label in ((HOMICIDE, "Homicides"), (NONFATAL, "Non-fatal injury shootings"))
             if t in recorded]
    start = data_start(review)
    if annual_incident_counts(incidents, through, start).empty:
        first = incidents["occurred_on"].min() if not incidents.empty else None
        start = f"the first incident is on {format_day(first.date())}" if first is not None else "it has no rows"
        return _no_chart(f"incidents.csv has no incident on or before {format_day(through)} (the end of the review "
                         f"period, or of the data when earlier): {start}, so there are no annual counts to chart.")
    by_area = "area" in incidents and incidents["area"].notna().any()
    areas = sorted(incidents["area"].dropna().unique()) if by_area else []
    blank = blank_years(incidents, through)
    fig, axes = new_panels(9.5, 3.6 * len(types), len(types), 1, squeeze=False)
    for ax, (kind, label) in zip(axes[:, 0], types):
        table = annual_incident_counts(incidents, through, start)
        table = table[table["year"] >= (review.params.history_start or 0)]
        # a year with no incident of any kind recorded is a gap in the extract, not a year without shootings
        table = table.assign(**{kind: table[kind].where(~table["year"].isin(blank))})
        part = table[table["partial"]]
        ax.plot(table["year"], table[kind], color=CURRENT_COLOUR, linewidth=1.8, marker="o", markersize=4,
                label="whole city")
        ax.plot(part["year"], part[kind], marker="o", markersize=9, markerfacecolor="white", linestyle="none",
                color=CURRENT_COLOUR, label="partial year (open circle)")
        if len(areas) > 1:
            for i, area in enumerate(areas[:8]):
                sub = (annual_incident_counts(incidents[incidents["area"] == area], through, start)
                       .set_index("year")[kind]
                       .reindex(table["year"], fill_value=0)  # an area's quiet early years are zeros too
                       .where(~table["year"].isin(blank).to_numpy()))
                ax.plot(table["year"], sub.values, linewidth=1, alpha=0.8, label=str(area),
                        linestyle=["-", "--", ":", "-."][i % 4])
        last = int(table["year"].max())
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # years: never "2016.75"
        ax.set_xlim(int(table["year"].min()) - 0.5, last + 0.5)
        label_axes(ax, "Year", f"{label} per year",
                   f"{label} per year, {int(table['year'].min())}–{last} (from this city's incident records"
                   f"{partial_years_text(table, through, start)}"
                   f"{'; no incident of any kind recorded in ' + year_runs_label(blank) + ', left blank' if blank else ''})")
        ax.legend(loc="upper left", fontsize=7, frameon=True, ncol=2)
    name_the_city(fig, review.params.city)
    return Chart(fig)


def history_report(review: PeriodReview) -> HistoryReport:
    """Build everything the history notebook shows for a period."""
    params = review.params
    folder = params.history_dir
    end_year = params.windows.period.last.year
    loaded = review.history
    series = series_before(loaded, end_year)
    first_year = history_first_year(series, params.history_start)  # one span for every chart of the page
    charted, missing = series_in_span(loaded, first_year, end_year)
    purpose = ("Annual public figures, to read the review period against decades of experience." if series else
               "Annual counts from this city's own incident records, to read the review period against the years "
               "before it.")
    intro = [REPORT_CSS, '<div class="cf-report"><h1>History: the long run</h1>',
             f"<p><strong>{html.escape(params.city)}</strong>. {html.escape(purpose)}</p>"]
    if review.is_demo and series:  # only published series loaded are real figures; the incidents are synthetic
        intro.append('<div class="cf-banner">The long-run series below are REAL published figures for Oakland '
                     "and California (sources at the end). Only this year's partial count, the hatched bar, "
                     "comes from the SYNTHETIC demo incident data.</div>")
    intro.append("</div>")
    header = HTML("".join(intro))
    # how to add the series is the analyst's business (README, "Long-run history"), not the room's
    how = "These published series were not supplied for this city's report."

    scope = HOMICIDE_SCOPE_TEXT[params.homicide_scope]
    rate_roles = ("homicides", "population", "state_homicides", "state_population")
    rates = rate_comparison(charted)
    # a series missing from the rate or footprint chart is said in that chart's place; any other, under Sources
    said_in_place = set() if not series else {"sworn_officers"} | (set(rate_roles) if rates is None or rates.empty
                                                                   else set())
    not_charted = "".join(f"<p>{html.escape(sentence)}</p>" for name, sentence in missing.items()
                          if name not in said_in_place)
    if "homicides" not in charted:
        # without published annual series the city's own incident file still holds years of history
        through, start = counted_through(review), data_start(review)
        partial = []
        if start is not None and (start.month, start.day) != (1, 1):
            partial.append(f"the first year ({start.year}) counts only from {format_day(start)}")
        if through < dt.date(through.year, 12, 31):
            partial.append(f"the review's year ({params.windows.period.last.year}) counts only to "
                           f"{format_day(through)}")
        used_text = (f"Series used: annual counts from this city's incidents.csv ({scope}, and non-fatal injury "
                     "shootings), one victim a row"
                     + (f"; {' and '.join(partial)}, and {'they are' if len(partial) > 1 else 'it is'} marked as "
                        "partial." if partial else "; every year charted is whole.")
                     + ("" if loaded else " No published annual series were supplied."))
        homicides = incident_history_chart(review)
        used = HTML(f'<div class="cf-report"><h2>Sources</h2><p>{html.escape(used_text)}</p>{not_charted}'
                    f"<p>{html.escape(how)}</p></div>")
        if not series:
            return HistoryReport(header, homicides, HTML(""), HTML(""), HTML(""), used, HTML(""))
    else:
        homicides = homicides_chart(charted["homicides"], review, first_year)
    city = params.city
    rate = rate_chart(rates, first_year, end_year, city) if rates is not None and not rates.empty else _not_shown_note(
        " ".join(missing[r] for r in rate_roles if r in missing) or
        "Rates need homicides, population, state_homicides and state_population series, with years in common.",
        how)
    footprint = footprint_chart(charted, first_year, end_year, city) if "sworn_officers" in charted else _not_shown_note(
        missing.get("sworn_officers", "No police staffing series (sworn_officers.csv)."), how)
    facts = computed_facts(series, params.history_facts, first_year)
    verdicts = claim_verdicts(series, params.history_facts, first_year)
    facts_html = HTML(html_table(["Fact", "Value", "Years"], facts.values.tolist(),
                                 "Computed from the series above (the seed deck's claims, checked)")
                      + ('<div class="cf-report"><p>The seed deck\'s claims against these figures:</p><ul>'
                         + "".join(f"<li>{html.escape(v)}</li>" for v in verdicts) + "</ul></div>"
                         if verdicts else ""))
    used = sorted({s for frame in series.values() for s in frame["source"].unique()})
    notes = [f"{name.replace('_', ' ')}, {frame.loc[i, 'year']}: {frame.loc[i, 'note']}"
             for name, frame in sorted(series.items()) for i in frame.index if frame.loc[i, "note"]]
    # the folder the files came from is in manifest.json (params' history_dir); a repository path means nothing here
    sources_html = ('<div class="cf-report"><h2>Sources</h2><p>Series: the published annual figures listed below. '
                    "Rates are computed here from counts and population. The sources, by the key the series "
                    "files name them with:</p><ul>"
                    + "".join(f"<li>{html.escape(s)}</li>" for s in source_names(folder, used)) + "</ul>")
    if notes:
        sources_html += "<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>"
    sources_html += not_charted + "</div>"
    extra = extra_series_chart(charted, first_year, end_year, city) or HTML("")
    return HistoryReport(header, homicides, rate, footprint, facts_html, HTML(sources_html), extra)
