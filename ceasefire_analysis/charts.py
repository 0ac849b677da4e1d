"""Charts for the reports. Each returns a :class:`Chart` (a matplotlib figure that shows itself in a notebook
and in HTML reports), or, where the data cannot support the chart, a sentence saying why. A chart stands on its own:
a title that says what it shows, labelled axes with units, a legend, and the
synthetic-data label when the demo is shown.

Figures are built with ``matplotlib.figure.Figure`` (not pyplot), so a notebook shows
a chart once, when it is the cell's result, and no global state leaks between charts.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import io
import textwrap
from collections import OrderedDict

import matplotlib
import numpy as np
import pandas as pd
from IPython.display import HTML
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .counts import count_in_window, monthly_counts
from .formatting import window_label
from .coverage import so_far_text
from .indicators import (LABELS, OUTCOME_INDICATORS, coverage_of, incident_months, outcome_benchmarks,
                         recorded_incident_types, unrecorded_years)
from .formatting import format_count, format_day, format_day_span, format_decimal, format_share, so_far_to
from .periods import Month, Window, same_days_years_earlier
from .review import PeriodReview
from .statistics import RUN_RULE_MIN_CENTRE, control_chart
from .schema import INCOMPLETE

SYNTHETIC_LABEL = "SYNTHETIC DEMO DATA"
CURRENT_COLOUR = "#b2182b"
PRIOR_COLOUR = "#4d4d4d"
BENCHMARK_COLOUR = "#2166ac"
MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _no_chart(message: str) -> HTML:
    """What stands in for a chart the data cannot support: a sentence saying why."""
    return HTML(f'<div class="cf-report"><p class="cf-note"><strong>Chart not shown.</strong> '
                f"{html.escape(message)}</p></div>")


# PNGs of charts drawn from the same inputs, kept by the process (a warm kernel runs many periods' notebooks:
# the long-run history charts of a year are the same for each of its periods). See Chart's ``key``.
PNG_MEMO: OrderedDict[str, bytes] = OrderedDict()
PNG_MEMO_SIZE = 16


def content_key(*parts) -> str:
    """A key that changes whenever any of ``parts`` does: tables (values, index, columns and dtypes), dicts of
    them, numbers, strings. Give it everything a chart is drawn from (and its function's name).

    >>> a = pd.DataFrame({"year": [2015, 2016], "value": [80, 85]})
    >>> content_key("chart", a, 1969) == content_key("chart", a.copy(), 1969)
    True
    >>> content_key("chart", a, 1969) == content_key("chart", a.assign(value=[80, 86]), 1969)
    False
    """
    digest = hashlib.sha256()

    def add(part) -> None:
        if isinstance(part, (pd.DataFrame, pd.Series)):
            digest.update(repr((type(part).__name__, part.shape, part.dtypes if isinstance(part, pd.DataFrame)
                                else part.dtype, list(part.columns) if isinstance(part, pd.DataFrame)
                                else part.name)).encode())
            digest.update(pd.util.hash_pandas_object(part, index=True).to_numpy().tobytes())
        elif isinstance(part, dict):
            digest.update(b"{")
            for name in sorted(part, key=repr):
                add(name)
                add(part[name])
            digest.update(b"}")
        else:
            digest.update(repr(part).encode())
        digest.update(b"\0")

    for part in parts:
        add(part)
    return digest.hexdigest()


# Characters per line of a long legend entry, so two legend columns fit a chart 9.5 inches wide.
LEGEND_WRAP = 60


class Chart:
    """A finished figure that shows itself in a notebook and in HTML reports.

    Displayed as an embedded PNG with the chart's title and legend as its alternative text,
    so a screen reader (or an image that fails to show) still says what it was.
    A chart given a ``key`` (:func:`content_key` of everything it was drawn from) is rendered once per
    process for that key and the chart settings (rcParams) in force: the same chart again reuses the PNG.
    """

    def __init__(self, figure: Figure, key: str | None = None):
        self.figure = figure
        self.key = key
        self._png: bytes | None = None

    @property
    def title(self) -> str:
        titles = [t.get_text() for t in (self.figure._suptitle,) if t is not None]
        titles += [ax.get_title() for ax in self.figure.axes if ax.get_title()]
        return " / ".join(" ".join(t.split()) for t in titles) or "chart"  # a title wrapped to fit reads as one line

    @property
    def description(self) -> str:
        """The alternative text: the title, then the legend's entries, so the words a chart uses (and the
        page's glossary) reach a reader who cannot see it."""
        keys = [t.get_text() for ax in self.figure.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
        keys += [t.get_text() for legend in self.figure.legends for t in legend.get_texts()]
        keys = [" ".join(k.split()) for k in keys]  # a legend entry wrapped over lines reads as one phrase
        keys = list(dict.fromkeys(k for k in keys if k))
        return self.title + (f". Key: {'; '.join(keys)}" if keys else "")

    def _repr_png_(self) -> bytes:
        # IPython asks for every representation; render the figure once, not once per format
        if self._png is None:
            memo_key = None
            if self.key is not None:
                memo_key = content_key(self.key, dict(matplotlib.rcParams))
                self._png = PNG_MEMO.get(memo_key)
            if self._png is None:
                self._png = render_png(self.figure)
                if memo_key is not None:
                    PNG_MEMO[memo_key] = self._png
                    while len(PNG_MEMO) > PNG_MEMO_SIZE:
                        PNG_MEMO.popitem(last=False)
        return self._png

    def _repr_html_(self) -> str:
        data = base64.b64encode(self._repr_png_()).decode("ascii")
        return f'<img src="data:image/png;base64,{data}" alt="{html.escape(self.description)}" style="max-width:100%">'


def render_png(figure: Figure, dpi: float = 100) -> bytes:
    """The figure as PNG bytes, its layout worked out once.

    ``savefig`` on a figure with a layout engine (constrained layout, here) draws it twice: once without
    painting, to run the layout, then again to paint, running the layout again. Here the layout runs once at
    the dpi painted, then the figure is painted with the engine set aside, so the axes stay where the layout
    put them; the engine is put back afterwards. The same bytes as ``savefig`` (checked on every chart of six
    demo periods, and in tests/test_speed_mechanisms.py), in about half the time.
    """
    engine = figure.get_layout_engine()
    buffer = io.BytesIO()
    if engine is None:
        figure.savefig(buffer, format="png", dpi=dpi)
        return buffer.getvalue()
    shown_dpi = figure.dpi
    try:
        figure.dpi = dpi  # savefig lays out and paints at its own dpi
        engine.execute(figure)
        with matplotlib.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
            figure.set_layout_engine(None)  # no engine at all (with these settings on, None would pick one)
        figure.savefig(buffer, format="png", dpi=dpi)
    finally:
        figure.set_layout_engine(engine)
        figure.dpi = shown_dpi
    return buffer.getvalue()


def new_figure(width: float = 8.0, height: float = 4.2) -> tuple[Figure, object]:
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    return fig, fig.add_subplot()


def new_panels(width: float, height: float, rows: int, cols: int = 1, **kwargs) -> tuple[Figure, object]:
    """A figure of several panels (``kwargs`` go to ``Figure.subplots``)."""
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    return fig, fig.subplots(rows, cols, **kwargs)


def fitted_title(ax, title: str) -> str:
    """``title`` wrapped to the width of its panel: a centred title wider than the figure lost both its ends ("micides
    per month ... which includes r"). A title that fits stays one line; line breaks already in it are kept.
    """
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    font = FontProperties(size=matplotlib.rcParams["axes.titlesize"])
    room = ax.get_position().width * ax.figure.get_figwidth() * 72  # the panel's width in points
    lines = []
    for part in title.split("\n"):
        width = TextToPath().get_text_width_height_descent(part, font, ismath=False)[0]
        if width <= room:
            lines.append(part)
        else:  # as many characters a line as fit, with a margin for wider letters
            lines += textwrap.wrap(part, max(20, int(len(part) * room / width * 0.95)))
    return "\n".join(lines)


def label_axes(ax, xlabel: str, ylabel: str, title: str | None = None, grid_axis: str = "y",
               counts: bool = False) -> None:
    """Axis labels with units, a zero baseline, light grid lines and no box: the house style of every chart.

    With ``counts`` the y axis is ticked at whole numbers only: 0.25 of a homicide is not a count anyone had.

    seaborn's ``despine`` acts on this one Axes only; its global themes are not used, so no chart setting
    carries from one notebook into the next in a warm kernel.
    """
    import seaborn as sns  # heavy (it imports pyplot): the run's own process draws the front page without it

    sns.despine(ax=ax)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(fitted_title(ax, title))
    ax.set_ylim(bottom=0)
    if counts:
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis=grid_axis, alpha=0.3)


def year_monthly_counts(monthly: pd.DataFrame, column: str, year: int) -> np.ndarray:
    """Twelve monthly counts of ``column`` for ``year``; NaN for months outside the data."""
    return np.array([float(monthly.loc[p, column]) if (p := pd.Period(f"{year}-{m:02d}", freq="M")) in monthly.index
                     else np.nan for m in range(1, 13)])


def mark_synthetic(fig: Figure, is_demo: bool) -> None:
    """Stamp the synthetic-data label on a demo chart."""
    if is_demo:
        for ax in fig.axes:  # a watermark inside each plot: it cannot collide with titles or labels
            ax.text(0.5, 0.5, SYNTHETIC_LABEL, transform=ax.transAxes, ha="center", va="center", fontsize=20,
                    color="#8a6d00", alpha=0.18, fontweight="bold", rotation=20, zorder=0)


def name_the_city(fig: Figure, city: str) -> None:
    """Head a chart with the city it is about, on a line above its title (in front of a figure title it already
    has), so a chart lifted into a slide or printed alone still says where: Oakland's and New York's look alike."""
    if not city:
        return
    own = fig._suptitle.get_text() if fig._suptitle is not None else ""
    if own:  # wrapped to the figure's width (about 11 characters an inch at the title's size)
        fig.suptitle("\n".join(textwrap.wrap(f"{city}: {own}", int(fig.get_figwidth() * 11))))
    else:
        fig.suptitle(city, fontweight="bold")


def _so_far(review: PeriodReview) -> str:
    """A legend suffix when the incident data stop before the review period ends (the last month is partial)."""
    coverage = review.incident_coverage
    if coverage is None or coverage.through is None or coverage.covers(review.params.windows.end):
        return ""
    return f" ({so_far_text(coverage.through)})"


def partial_month(review: PeriodReview) -> tuple[Month, dt.date] | None:
    """The review period's month the data reach only part of, with the last day they cover; else None.

    A chart draws that month as partial ("1–15 Mar"): a half-month count beside whole months reads as a fall.
    The charts are of incidents, so this is the incidents file's coverage.
    """
    coverage = review.incident_coverage
    period = review.params.windows.period
    if coverage is None or coverage.through is None or coverage.covers(review.params.windows.end):
        return None
    month = Month(coverage.through.year, coverage.through.month)
    if not period.first <= month <= period.last or coverage.through == month.last_day:
        return None
    return month, coverage.through


def partial_days_label(month: Month, through: dt.date, start: dt.date | None = None) -> str:
    """The days of a partial month the data cover, e.g. '1–15 Mar'; from ``start`` when the data begin in that
    month ('15–31 Jul').

    >>> partial_days_label(Month(2017, 3), dt.date(2017, 3, 15))
    '1–15 Mar'
    >>> partial_days_label(Month(2017, 7), dt.date(2017, 7, 31), dt.date(2017, 7, 15))
    '15–31 Jul'
    """
    first = start.day if start is not None and (start.year, start.month) == (month.year, month.month) else 1
    return f"{first}–{through.day} {MONTH_NAMES[month.month - 1]}"


def partial_first_month(review: PeriodReview) -> tuple[Month, dt.date, dt.date] | None:
    """The month the incident data start in after its 1st, with the first and last day they cover of it; else None.

    The start's counterpart of :func:`partial_month`: a chart draws that month apart ("15–31 Jul"), and a control
    chart never takes it into a baseline nor judges it.
    """
    coverage = review.incident_coverage
    month = coverage.partial_first_month if coverage is not None else None
    if month is None:
        return None
    return month, coverage.start, min(month.last_day, coverage.through or month.last_day)


# The fewest whole months a default control-chart baseline may hold: with fewer, the centre line and limits rest on
# too few months to say what a usual month is (a year also takes in each season once). Said on the page.
MIN_BASELINE_MONTHS = 12


def default_baseline(period_first: Month, data_first: Month) -> tuple[Month, Month]:
    """The control-chart baseline when the params file names none: the (up to) 36 months that end just
    before the review period begins, within the data (``data_first``: the first month the data cover whole).

    >>> [str(m) for m in default_baseline(Month(2016, 12), Month(2010, 1))]
    ['2013-12', '2016-11']
    >>> [str(m) for m in default_baseline(Month(2017, 2), Month(2015, 6))]
    ['2015-06', '2017-01']
    """
    end = period_first.shift(-1)
    return max(end.shift(-35), data_first), end


def year_to_date_curves(review: PeriodReview, indicator: str) -> pd.DataFrame:
    """Cumulative monthly counts for the current and prior year, and the benchmark pace.

    Columns: ``month`` (1-12), ``current`` (through the period's last month, NaN after),
    ``prior`` (whole prior year), ``benchmark_pace`` (the benchmark of 1 January to the end of that month,
    as the worksheet sets a year-to-date benchmark: seasonal when seasonal benchmarks decide, else
    annual x month/12; NaN when none).
    """
    last = review.params.windows.period.last
    year = last.year
    monthly = monthly_counts(review.data)
    column = OUTCOME_INDICATORS[indicator]

    current = year_monthly_counts(monthly, column, year)
    current[last.month:] = np.nan
    current = np.cumsum(np.nan_to_num(current[:last.month], nan=0.0)).tolist() + [np.nan] * (12 - last.month)
    prior = np.cumsum(year_monthly_counts(monthly, column, year - 1))  # NaN throughout unless the year is covered
    if year - 1 in unrecorded_years(monthly, incident_months(review.data, review.coverage
                                                             or coverage_of(review.data, review.params))):
        prior[:] = np.nan  # a year without any record is a lost extract, not a year of 0
    incidents = review.incident_coverage
    if incidents is not None and incidents.starts_after(dt.date(year, 2, 1)):
        # the data start after January: the months before are not in the data, not months of 0
        current = [np.nan] * 12
    if incidents is not None and incidents.starts_after(dt.date(year - 1, 1, 1)):
        prior[:] = np.nan  # a year the data start within is not a whole year to compare with
    benchmarks = outcome_benchmarks(review.data, review.params, indicator, [year], review.coverage)
    pace = np.array([np.nan if (b := benchmarks.deciding(Window(Month(year, 1), Month(year, m)))) is None else b
                     for m in range(1, 13)], dtype=float)
    curves = pd.DataFrame({"month": range(1, 13), "current": np.array(current, dtype=float), "prior": prior,
                           "benchmark_pace": pace})
    curves.attrs["seasonal"] = benchmarks.shares is not None
    return curves


def year_to_date_chart(review: PeriodReview, indicator: str) -> Chart | HTML:
    """This year's running total against last year's and the benchmark pace."""
    if OUTCOME_INDICATORS[indicator] not in recorded_incident_types(review.data):
        return _no_chart(f"{LABELS[indicator]} are not recorded for this city.")
    curves = year_to_date_curves(review, indicator)
    year = review.params.windows.period.last.year
    label = LABELS[indicator]
    incidents = review.incident_coverage
    if incidents is not None and incidents.starts_after(dt.date(year, 2, 1)):
        return _no_chart(f"{label}: no running total for {year}: the incident data start "
                         f"{format_day(incidents.start)}, so the months of {year} before then are not in the data "
                         "(they would read as 0).")
    fig, ax = new_figure()
    prior_label = f"{year - 1}" if curves["prior"].notna().any() else f"{year - 1} (not in the data)"
    ax.plot(curves["month"], curves["prior"], color=PRIOR_COLOUR, linestyle="--", marker="s", markersize=4,
            label=prior_label)
    partial = partial_month(review)
    current = curves["current"].copy()
    if partial is not None and partial[0].year == year:
        # the partial month's running total belongs at the day the data stop, not at the month's end
        month, through = partial
        so_far = current.iloc[month.month - 1]
        current.iloc[month.month - 1] = np.nan
        x_partial = month.month - 1 + through.day / month.last_day.day
        before = current.iloc[month.month - 2] if month.month > 1 else 0.0
        ax.plot([month.month - 1 if month.month > 1 else 0, x_partial], [before, so_far], color=CURRENT_COLOUR,
                linewidth=1.5, linestyle="--")
        ax.plot([x_partial], [so_far], linestyle="none", marker="o", markersize=8, markerfacecolor="white",
                markeredgecolor=CURRENT_COLOUR, markeredgewidth=2,
                label=f"{partial_days_label(month, through)} only (partial month)")
        ax.annotate(partial_days_label(month, through), (x_partial, so_far), textcoords="offset points",
                    xytext=(0, 8), ha="center", fontsize=9)
    late = (f" (the data start {format_day(incidents.start)})" if incidents is not None
            and incidents.starts_after(dt.date(year, 1, 1)) else "")  # within January: drawn, its start named
    ax.plot(curves["month"], current, color=CURRENT_COLOUR, linewidth=2.5, marker="o",
            label=f"{year} to date{late}{_so_far(review)}")
    if curves["benchmark_pace"].notna().any():
        annual = curves["benchmark_pace"].iloc[-1]
        kind = "seasonal benchmark" if curves.attrs["seasonal"] else "benchmark"
        ax.plot(curves["month"], curves["benchmark_pace"], color=BENCHMARK_COLOUR, linestyle=":", linewidth=2,
                label=f"{year} {kind} pace ({format_count(annual)} a year)")
    ax.set_xticks(range(1, 13), MONTH_NAMES)
    ax.set_xlim(0.7, 12.3)
    # two lines: on one, the longest indicator's label runs off the chart's height
    label_axes(ax, "Month", f"{label},\nrunning total since 1 January",
               f"{label}: {year} so far against {year - 1} and the benchmark pace", counts=True)
    ax.legend(loc="upper left", frameon=False)
    name_the_city(fig, review.params.city)
    mark_synthetic(fig, review.is_demo)
    return Chart(fig)


def monthly_chart_months(review: PeriodReview, count: int = 12) -> list[Month]:
    """The ``count`` months ending at the review period's last month (a December–January review shows both).

    >>> [m.label() for m in Window(Month(2016, 2), Month(2017, 1)).months][-2:]
    ['Dec 2016', 'Jan 2017']
    """
    last = review.params.windows.period.last
    return Window(last.shift(1 - count), last).months


def monthly_counts_chart(review: PeriodReview, indicator: str) -> Chart | HTML:
    """Monthly counts of one outcome over the 12 months ending at the period's end, the review months
    highlighted, each beside the same month a year earlier; a partial month drawn as partial."""
    if OUTCOME_INDICATORS[indicator] not in recorded_incident_types(review.data):
        return _no_chart(f"{LABELS[indicator]} are not recorded for this city.")
    period = review.params.windows.period
    monthly = monthly_counts(review.data)
    column = OUTCOME_INDICATORS[indicator]
    label = LABELS[indicator]
    months = monthly_chart_months(review)
    through = review.incident_coverage.through if review.coverage else None

    def count(month: Month) -> float:
        key = pd.Period(str(month), freq="M")
        if through is not None and month.first_day > through:
            return np.nan
        return float(monthly.loc[key, column]) if key in monthly.index else np.nan

    opening = partial_first_month(review)
    current = np.array([count(m) for m in months])
    # a year-earlier month the data hold only part of is no comparison for a whole month: left out
    prior = np.array([np.nan if opening is not None and m.shift(-12) == opening[0] else count(m.shift(-12))
                      for m in months])
    in_review = np.array([period.first <= m <= period.last for m in months])
    partial = partial_month(review)
    is_partial = np.array([(partial is not None and m == partial[0]) or (opening is not None and m == opening[0])
                           for m in months])
    fig, ax = new_figure(9.0, 5.2)
    x = np.arange(len(months))
    ax.axvspan(x[in_review][0] - 0.5, x[in_review][-1] + 0.5, color="#fddbc7", alpha=0.5, zorder=0,
               label=f"Review period ({period.label()})")
    prior_label = ("Same month a year earlier" if not np.all(np.isnan(prior))
                   else "Same month a year earlier (not in the data)")
    whole = ~is_partial
    ax.bar(x[whole] - 0.2, prior[whole], width=0.4, color="#bababa", edgecolor=PRIOR_COLOUR, hatch="//",
           label=prior_label)
    if partial is not None and not np.isnan(prior[is_partial][0]):
        # a partial month beside the whole of its month a year earlier reads as a fall: compare the same days,
        # as the worksheet does
        first, last = same_days_years_earlier(partial[0].first_day, partial[1])
        days = (f"{partial_days_label(Month(last.year, last.month), last)} {last.year}" if first.day == 1
                else format_day_span(first, last))
        dates = review.data.incidents.loc[review.data.incidents["incident_type"] == column, "occurred_on"]
        ax.bar(x[is_partial] - 0.2, [count_in_window(dates, first, last)], width=0.4, color="white",
               edgecolor=PRIOR_COLOUR, hatch="//", linewidth=1.5,
               label=f"{days} only (the same days a year earlier)")
    ax.bar(x[whole & ~in_review] + 0.2, current[whole & ~in_review], width=0.4, color="#e7a5ab",
           edgecolor=CURRENT_COLOUR, label="Months before the review period")
    ax.bar(x[whole & in_review] + 0.2, current[whole & in_review], width=0.4, color=CURRENT_COLOUR,
           label="Review months")
    if partial is not None and partial[0] in months:
        i, days = months.index(partial[0]), partial_days_label(*partial)
        ax.bar([x[i] + 0.2], [current[i]], width=0.4, color="white", edgecolor=CURRENT_COLOUR,
               hatch="xx", linewidth=1.5, label=f"{days} only (partial month, {so_far_text(partial[1])})")
        ax.annotate(days, (x[i] + 0.2, np.nan_to_num(current[i])),
                    textcoords="offset points", xytext=(0, 4), ha="center", fontsize=9)
    if opening is not None and opening[0] in months:
        i = months.index(opening[0])
        days = partial_days_label(opening[0], opening[2], opening[1])
        ax.bar([x[i] + 0.2], [current[i]], width=0.4, color="white", edgecolor=CURRENT_COLOUR, hatch="xx",
               linewidth=1.5, label=f"{days} only (partial month: the incident data start {format_day(opening[1])})")
        ax.annotate(days, (x[i] + 0.2, np.nan_to_num(current[i])), textcoords="offset points", xytext=(0, 4),
                    ha="center", fontsize=9)
    benchmarks = outcome_benchmarks(review.data, review.params, indicator, {m.year for m in months}, review.coverage)
    for year in sorted(benchmarks.annual):
        annual = benchmarks.annual[year]
        in_year = [m.year == year for m in months]
        span = x[in_year]
        given = year in review.params.annual_benchmarks.get(indicator, {})
        how = "" if given else f"; {year - 1} count less {format_share(review.params.benchmark_reduction)}"
        if benchmarks.shares is None:
            ax.hlines(annual / 12, span[0] - 0.45, span[-1] + 0.45, color=BENCHMARK_COLOUR, linestyle=":",
                      linewidth=2, label=f"{year} benchmark per month ({format_decimal(annual / 12)}{how})")
            continue
        # seasonal benchmarks decide the worksheet's marks: each month's line is its share, as the table counts it
        per_month = [benchmarks.month(m) for m, inside in zip(months, in_year) if inside]
        ax.hlines(per_month, span - 0.45, span + 0.45, color=BENCHMARK_COLOUR, linestyle=":", linewidth=2,
                  label=f"{year} seasonal benchmark per month ({format_count(annual)} a year by month{how})")
    ax.set_xticks(x, [m.label() for m in months], rotation=45, ha="right")
    label_axes(ax, "Month", f"{label} per month",
               f"{label} per month, {months[0].label()}–{months[-1].label()}, against a year earlier", counts=True)
    fig.legend(loc="outside lower center", fontsize=8, frameon=False, ncol=2)
    name_the_city(fig, review.params.city)
    mark_synthetic(fig, review.is_demo)
    return Chart(fig)


def control_chart_figure(review: PeriodReview, indicator: str) -> Chart | HTML:
    """A c-chart of monthly counts with its limits, flagged months marked."""
    if OUTCOME_INDICATORS[indicator] not in recorded_incident_types(review.data):
        return _no_chart(f"{LABELS[indicator]} are not recorded for this city.")
    params = review.params
    last = params.windows.period.last
    monthly = monthly_counts(review.data)
    column = OUTCOME_INDICATORS[indicator]
    settings = params.control_chart
    if monthly.empty:
        return _no_chart(f"{LABELS[indicator]}: no incident data, so no control chart.")
    incidents = review.incident_coverage
    first_month = Month(monthly.index.min().year, monthly.index.min().month)
    if incidents is not None and incidents.first_full_month is not None:
        # a month the data start in after its 1st holds part of a month: never a baseline month
        first_month = max(first_month, incidents.first_full_month)
    starts_text = (f"the incident data start {format_day(incidents.start)}" if incidents is not None
                   and incidents.start is not None else f"the data start in {first_month.label()}")
    if "baseline_start" in settings:
        baseline = (settings["baseline_start"], settings["baseline_end"])
    else:
        baseline = default_baseline(params.windows.period.first, first_month)
    if "baseline_start" in settings and (baseline[0] < first_month or baseline[1] >= last):
        # the analyst named a baseline: say what is wrong with it and which months the data allow
        allowed = (f"months from {first_month} to {last.shift(-1)}" if first_month < last
                   else "no months: the data start in the review period's last month")
        before = (f"the data's first whole month ({first_month.label()}; {starts_text})"
                  if incidents is not None and incidents.partial_first_month is not None
                  else f"the data (incidents start in {first_month.label()})")
        wrong = (f"starts before {before}" if baseline[0] < first_month
                 else f"does not end before the review period's last month ({last.label()})")
        return _no_chart(f"{LABELS[indicator]}: no control limits: the baseline {baseline[0]} to {baseline[1]} "
                         f"set for this city {wrong}. "
                         f"Choose a baseline within {allowed}.")
    whole_months = Window(*baseline).n_months if baseline[0] <= baseline[1] else 0
    if baseline[1] < baseline[0] or baseline[0] < first_month or baseline[1] >= last or \
            ("baseline_start" not in settings and whole_months < MIN_BASELINE_MONTHS):
        held = (f"there {'is' if whole_months == 1 else 'are'} only {whole_months} "
                f"({window_label(Window(*baseline))})" if whole_months > 0 else "there are none")
        return _no_chart(f"{LABELS[indicator]}: no control limits: they need at least {MIN_BASELINE_MONTHS} whole "
                         f"months of incident data before the review period to say what a usual month is, and "
                         f"{held}: {starts_text}.")
    first = min(baseline[0], Month(last.year - 1, 1)) if Month(last.year - 1, 1) >= first_month else baseline[0]
    # only whole months are judged against the limits: a partial month is drawn apart, never flagged
    full = incidents.last_full_month if incidents is not None and incidents.through else None
    judged_last = last if full is None else max(min(last, full), baseline[1])
    chart = control_chart(monthly[column], first, judged_last, baseline, settings.get("resets", []),
                          settings.get("baseline_months", 12))
    unrecorded = unrecorded_years(monthly, incident_months(review.data, review.coverage
                                                           or coverage_of(review.data, params)))
    for seg in chart.attrs["segments"]:
        empty = sorted({m.year for m in Window(seg.baseline_first, seg.baseline_last).months} & unrecorded)
        if empty:  # limits from a year of lost extracts would flag every month with any shooting
            return _no_chart(f"{LABELS[indicator]}: no control limits: their baseline "
                             f"{window_label(Window(seg.baseline_first, seg.baseline_last))} includes "
                             f"{' and '.join(map(str, empty))}, with no incident records at all (check the extract).")
    label = LABELS[indicator]
    fig, ax = new_figure(9.5, 4.2)
    x = np.arange(len(chart))
    ax.plot(x, chart["count"], color=PRIOR_COLOUR, marker="o", markersize=3, linewidth=1, label="Monthly count")
    ax.step(x, chart["centre"], where="mid", color=BENCHMARK_COLOUR, linewidth=1.5, label="Centre line (baseline mean)")
    ax.step(x, chart["upper"], where="mid", color=CURRENT_COLOUR, linestyle="--", linewidth=1,
            label="Control limits (±3 standard deviations)")
    ax.step(x, chart["lower"], where="mid", color=CURRENT_COLOUR, linestyle="--", linewidth=1)
    flagged = chart["outside"] | chart["run"]
    no_run_rule = bool((chart["centre"] < RUN_RULE_MIN_CENTRE).any())
    signal = ("Signal: outside the limits or a run of 8 on one side" if not no_run_rule else
              f"Signal: outside the limits (the run of 8 is not used where the centre line is below "
              f"{format_count(RUN_RULE_MIN_CENTRE)} a month: most months are 0 by chance there)")
    # wrapped: one long entry in a two-column legend ran off the image's right edge (reader3 N7)
    ax.plot(x[flagged], chart.loc[flagged, "count"], linestyle="none", marker="D", markersize=8,
            markerfacecolor="none", markeredgecolor=CURRENT_COLOUR, markeredgewidth=2,
            label="\n".join(textwrap.wrap(signal, LEGEND_WRAP)))
    partial = partial_month(review)
    if partial is not None and partial[0] == judged_last.shift(1):
        key = pd.Period(str(partial[0]), freq="M")
        so_far = float(monthly.loc[key, column]) if key in monthly.index else 0.0
        days = partial_days_label(*partial)
        ax.plot([len(chart)], [so_far], linestyle="none", marker="o", markersize=7, markerfacecolor="white",
                markeredgecolor=CURRENT_COLOUR, markeredgewidth=2,
                label=f"{days} only (partial month, not judged against the limits)")
        ax.annotate(days, (len(chart), so_far), textcoords="offset points", xytext=(0, 8), ha="center", fontsize=8)
    opening = partial_first_month(review)
    if opening is not None and opening[0] == first.shift(-1):
        # the month the data start in after its 1st: drawn apart, like a partial last month, never judged
        key = pd.Period(str(opening[0]), freq="M")
        part = float(monthly.loc[key, column]) if key in monthly.index else 0.0
        days = partial_days_label(opening[0], opening[2], opening[1])
        ax.plot([-1], [part], linestyle="none", marker="o", markersize=7, markerfacecolor="white",
                markeredgecolor=CURRENT_COLOUR, markeredgewidth=2,
                label=f"{days} only (partial month: the data start {format_day(opening[1])}; "
                      "not judged against the limits)")
        ax.annotate(days, (-1, part), textcoords="offset points", xytext=(0, 8), ha="center", fontsize=8)
    ticks = [i for i, m in enumerate(chart["month"]) if m.endswith("-01")]
    if len(ticks) < 3:  # a short chart: one tick ("2018") says too little, so name the months
        step = max(1, -(-len(chart) // 8))
        ticks = list(range(0, len(chart), step))
        ax.set_xticks(ticks, [Month.parse(chart["month"][i]).label() for i in ticks], rotation=30, ha="right")
    else:
        ax.set_xticks(ticks, [chart["month"][i][:4] for i in ticks])
    seg = chart.attrs["segments"][0]
    base = Window(seg.baseline_first, seg.baseline_last)
    # a named baseline that reaches into the review period is warned about at the top of the page; the title says so
    overlap = ", which includes review months" if seg.baseline_last >= params.windows.period.first else ""
    label_axes(ax, "Month", f"{label} per month",
               f"{label} per month with control limits "
               f"(baseline {window_label(base)}: {base.n_months} whole month{'s' if base.n_months != 1 else ''}"
               f"{overlap})", counts=True)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, frameon=False, ncol=2)
    name_the_city(fig, review.params.city)
    mark_synthetic(fig, review.is_demo)
    return Chart(fig)


def _scorecard_panel_scale(ax, one: pd.DataFrame, counts: bool) -> None:
    """A small panel's y-axis: from 0 (or the lowest value) to 15% above its highest value or benchmark, so no
    point or benchmark dash sits on the top frame (autoscaling leaves a margin of the data's spread, none for one
    review or values close together); whole-number ticks for counts; at least 0 to 1, so an axis of zeros reads
    0-1 and not 0.00-0.05. A review whose value is hidden for this audience says so on the panel."""
    values = pd.concat([one["actual"], one["benchmark"]]).dropna()
    low = min(0.0, float(values.min())) if not values.empty else 0.0
    high = float(values.max()) if not values.empty else 0.0
    ax.set_ylim(low, low + 1.15 * max(high - low, 1.0))
    if counts:
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    hidden = (one["label"].notna() & one["actual"].isna()).to_numpy()  # the row is there, its value is not
    if hidden.all():
        ax.text(0.5, 0.5, "value hidden", transform=ax.transAxes, ha="center", va="center", fontsize=9,
                color="#555")
    else:
        for i in np.flatnonzero(hidden):
            ax.annotate("hidden", (i, 0), xycoords=("data", "axes fraction"), xytext=(0, 3),
                        textcoords="offset points", ha="center", va="bottom", fontsize=7, color="#555")


def scorecard_chart(scorecard: pd.DataFrame, columns: int = 3, title: str = "",
                    reviews: list[str] | None = None) -> Chart:
    """Each indicator's actual against its benchmark, review by review: one small panel per indicator.

    ``scorecard`` has one row per review and indicator, panels in the order of its rows: ``review`` (a label),
    ``label``, ``unit``, ``actual`` and ``benchmark`` (NaN when not shown), optionally ``status`` and ``through``
    (an incomplete review's count so far is drawn hollow, as the worksheet draws a partial month, and marked
    with the data's last day); ``reviews`` gives the reviews' time order (default: as they first appear);
    ``title`` names whose reviews they are (the city).
    """
    labels = list(dict.fromkeys(scorecard["label"]))
    rows = max(1, -(-len(labels) // columns))
    fig, axes = new_panels(3.0 * columns, 2.1 * rows + 0.4, rows, columns, squeeze=False)
    reviews = list(reviews) if reviews is not None else list(dict.fromkeys(scorecard["review"]))
    any_partial = False
    for ax, label in zip(axes.flat, labels):
        one = scorecard[scorecard["label"] == label].set_index("review").reindex(reviews)
        x = np.arange(len(reviews))
        ax.plot(x, one["benchmark"], color=BENCHMARK_COLOUR, linestyle=":", linewidth=2, marker="_", markersize=12,
                label="benchmark")
        partial = one["status"].eq(INCOMPLETE).to_numpy() if "status" in one else np.zeros(len(one), bool)
        if partial.any():  # dashed into the count so far, like the worksheet's partial month
            ax.plot(x, one["actual"], color=CURRENT_COLOUR, linestyle="--", linewidth=1)
        ax.plot(x, one["actual"].where(~partial), color=CURRENT_COLOUR, marker="o", markersize=4, label="actual")
        for i in np.flatnonzero(partial & one["actual"].notna().to_numpy()):
            any_partial = True
            through = one["through"].iloc[i] if "through" in one else None
            # the day goes in the legend: a label beside the point ran into the small panel's title
            ax.plot([x[i]], [one["actual"].iloc[i]], linestyle="none", marker="o", markersize=6,
                    markerfacecolor="white", markeredgecolor=CURRENT_COLOUR, markeredgewidth=1.5, clip_on=False,
                    label=f"{reviews[i]}: count {so_far_to(through if isinstance(through, dt.date) else None)}, "
                          "the data stop before the period's end")
        unit = "%" if (one["unit"] == "percent").any() else "count"
        label_axes(ax, "", unit, "\n".join(textwrap.wrap(label, 32)))
        _scorecard_panel_scale(ax, one, unit == "count")
        ax.title.set_fontsize(9)
        ax.set_xticks(x, reviews, fontsize=7, rotation=(90 if len(reviews) > 6 else 30) if len(reviews) > 3 else 0)
        ax.tick_params(axis="y", labelsize=7)
    for ax in list(axes.flat)[len(labels):]:
        ax.set_visible(False)
    legend = {}
    for ax in axes.flat:  # one entry per kind of line, the hollow "so far" point too wherever it is drawn
        legend.update(zip(ax.get_legend_handles_labels()[1], ax.get_legend_handles_labels()[0]))
    fig.legend(list(legend.values()), list(legend), loc="outside lower center", ncols=3 if any_partial else 2,
               fontsize=8)
    fig.suptitle(f"{title + ': a' if title else 'A'}ctual against benchmark at each review (review-period window)",
                 fontsize=11)
    return Chart(fig)

