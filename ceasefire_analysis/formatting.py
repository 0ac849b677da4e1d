"""The one formatter: how every number, percentage, date and window reads in a report.

Percentages round half up everywhere (0.125 is 13%, never 12% as Python's round-half-even
would give), counts are whole numbers with thousands separators, and windows are named
by their months ("Dec 2016–Jan 2017"), never by a single year.
"""
from __future__ import annotations

import datetime as dt
import math

from .periods import Month, Window, exact, round_half_up

MISSING = "n/a"


def is_missing(value) -> bool:
    """True for None or NaN: a value that was not computed.

    >>> is_missing(None), is_missing(float("nan")), is_missing(0)
    (True, True, False)
    """
    return value is None or (isinstance(value, float) and math.isnan(value))


def percent_points(value: float) -> int:
    """A percentage (already times 100) rounded half up to a whole number.

    Floating-point noise is removed first, so 14.499999999 (from 0.145 * 100) rounds as 14.5.

    >>> percent_points(12.5), percent_points(87.5), percent_points(100 * 0.145), percent_points(-12.5)
    (13, 88, 15, -13)
    """
    return round_half_up(exact(repr(round(float(value), 9))))


def format_decimal(value: float, places: int = 1) -> str:
    """A number with ``places`` decimals, rounded half up (``:.1f`` rounds 0.25 to 0.2; this gives 0.3).

    >>> format_decimal(25.583333), format_decimal(0.25), format_decimal(6), format_decimal(1234.56, 0)
    ('25.6', '0.3', '6.0', '1,235')
    """
    if is_missing(value):
        return MISSING
    scale = 10 ** places
    units = round_half_up(exact(repr(round(float(value), 9))) * scale)
    whole, part = divmod(abs(units), scale)
    sign = "-" if units < 0 else ""
    return f"{sign}{whole:,}" + (f".{part:0{places}d}" if places else "")


def format_percent(value: float) -> str:
    """A value in percent, e.g. 87.5 -> '88%'; missing -> 'n/a'."""
    return MISSING if is_missing(value) else f"{percent_points(value)}%"


def format_share(fraction: float, places: int = 0) -> str:
    """A share as a percentage: 0.125 -> '13%'; with ``places`` decimals, 0.025 -> '2.5%'.

    >>> format_share(0.125), format_share(float("nan")), format_share(0.025, places=1)
    ('13%', 'n/a', '2.5%')
    """
    if is_missing(fraction):
        return MISSING
    return f"{percent_points(100 * fraction)}%" if not places else f"{format_decimal(100 * fraction, places)}%"


def format_change(fraction: float, places: int = 0) -> str:
    """A relative change as a signed percentage, rounded half up: 0.3656 -> '+37%', -0.16 -> '−16%'.

    >>> format_change(0.3656), format_change(0.3656, places=1), format_change(-0.16), format_change(0.0)
    ('+37%', '+36.6%', '−16%', '0%')
    """
    if is_missing(fraction):
        return MISSING
    text = format_share(abs(fraction), places)
    if text.strip("0.%") == "":
        return text
    return ("+" if fraction > 0 else "−") + text


def format_count(value) -> str:
    """A count as a whole number with thousands separators; missing -> 'n/a'.

    >>> format_count(1234.0), format_count(76.8)
    ('1,234', '77')
    """
    return MISSING if is_missing(value) else f"{round_half_up(exact(repr(round(float(value), 9)))):,}"


def format_benchmark(value) -> str:
    """An expected count (a benchmark): whole from 5 up; below 5, one decimal unless whole, because there the
    rounding is as large as the count and "0" beside "+800%" reads as nonsense.

    >>> format_benchmark(0.3333), format_benchmark(4.5), format_benchmark(3.0), format_benchmark(12.4)
    ('0.3', '4.5', '3', '12')
    >>> format_benchmark(4.96), format_benchmark(float("nan"))
    ('5.0', 'n/a')
    """
    if is_missing(value) or float(value) >= 5 or float(value) == int(float(value)):
        return format_count(value)
    return format_decimal(value, 1)


def format_benchmark_of(value, unit: str) -> str:
    """A benchmark as every page prints it (worksheet, period overview, front page): a share as a whole percent,
    a count by :func:`format_benchmark` (one decimal below 5).

    >>> format_benchmark_of(0.3333, "count"), format_benchmark_of(90.0, "percent"), format_benchmark_of(12.4, "count")
    ('0.3', '90%', '12')
    """
    return format_percent(value) if unit == "percent" else format_benchmark(value)


def format_value(value, unit: str) -> str:
    """Counts as whole numbers, percentages rounded half up with a % sign, missing as 'n/a'.

    >>> format_value(87.5, "percent"), format_value(16.0, "count"), format_value(float("nan"), "count")
    ('88%', '16', 'n/a')
    """
    return format_percent(value) if unit == "percent" else format_count(value)


def format_fraction(numerator, denominator) -> str:
    """A percentage with what it is made of: '79% (27 of 34)'.

    >>> format_fraction(27, 34), format_fraction(1, 8), format_fraction(0, 0)
    ('79% (27 of 34)', '13% (1 of 8)', 'n/a (none to count)')
    """
    if is_missing(numerator) or is_missing(denominator):
        return MISSING
    if not denominator:
        return f"{MISSING} (none to count)"
    return f"{format_share(numerator / denominator)} ({int(numerator):,} of {int(denominator):,})"


def format_day(day: dt.date) -> str:
    """A date as readers see it everywhere: '5 Mar 2017' (no leading zero).

    >>> format_day(dt.date(2017, 3, 5))
    '5 Mar 2017'
    """
    return f"{day.day} {day:%b %Y}"


def format_moment(moment: dt.datetime, with_time: bool = False) -> str:
    """A run's time as readers see it: its day, and the time of day when two runs of one day must be told apart.

    >>> format_moment(dt.datetime(2026, 11, 29, 15, 7)), format_moment(dt.datetime(2026, 11, 29, 15, 7), True)
    ('29 Nov 2026', '29 Nov 2026, 15:07')
    """
    return format_day(moment.date()) + (f", {moment:%H:%M}" if with_time else "")


def format_day_span(first: dt.date, last: dt.date, joiner: str = "–") -> str:
    """A span of days, naming the year once when both days share it and both years when they do not.

    A span cut across the turn of a year must name December's year too: in a Dec 2016–Jan 2017 review,
    "1 Dec–15 Jan 2016" reads as December 2016.

    >>> format_day_span(dt.date(2016, 1, 1), dt.date(2016, 3, 15))
    '1 Jan–15 Mar 2016'
    >>> format_day_span(dt.date(2015, 12, 1), dt.date(2016, 1, 15))
    '1 Dec 2015–15 Jan 2016'
    >>> format_day_span(dt.date(2016, 12, 25), dt.date(2017, 1, 7), " to ")
    '25 Dec 2016 to 7 Jan 2017'
    """
    start = format_day(first) if first.year != last.year else f"{first.day} {first:%b}"
    return f"{start}{joiner}{format_day(last)}"


def so_far_to(through: dt.date | None) -> str:
    """What a count over a window the data do not yet cover is, in a short cell: 'so far (to 15 Mar)'.

    >>> so_far_to(dt.date(2017, 3, 15)), so_far_to(None)
    ('so far (to 15 Mar)', 'so far')
    """
    return "so far" if through is None else f"so far (to {through.day} {through:%b})"


def format_long_day(day: dt.date) -> str:
    """A date in a sentence: '1 January 2014' (no leading zero).

    >>> format_long_day(dt.date(2014, 1, 1))
    '1 January 2014'
    """
    return f"{day.day} {day:%B %Y}"


def page_identity(city: str, what: str, audience: str) -> str:
    """What a page is, as its title and the running header of each printed page say it.

    >>> page_identity("Oakland", "review period Feb–Mar 2017", "partner")
    'Oakland — review period Feb–Mar 2017 — partner audience'
    """
    return f"{city} — {what} — {audience} audience"


def meeting_label(meeting_title: str, meeting_on: dt.date) -> str:
    """A meeting pack named by its day: 'Coordination meeting pack, meeting of 9 Mar 2017'.

    >>> meeting_label("Coordination meeting pack", dt.date(2017, 3, 9))
    'Coordination meeting pack, meeting of 9 Mar 2017'
    """
    return f"{meeting_title}, meeting of {format_day(meeting_on)}"


def window_label(window: Window) -> str:
    """A window named by its months.

    >>> from ceasefire_analysis.periods import Month
    >>> window_label(Window(Month(2016, 12), Month(2017, 1))), window_label(Window(Month(2017, 2), Month(2017, 3)))
    ('Dec 2016–Jan 2017', 'Feb–Mar 2017')
    """
    return window.label()


def review_length_label(n_months: int) -> str:
    """Reviews named by their length, for a scorecard that holds only reviews of that length.

    >>> review_length_label(2), review_length_label(12)
    ('2-month reviews', '12-month reviews')
    """
    return f"{n_months}-month reviews"


def windows_span_label(windows: list[Window]) -> str:
    """Several same-month windows in different years, e.g. the three behind a 3-year average.

    >>> from ceasefire_analysis.periods import Month
    >>> w = Window(Month(2016, 2), Month(2016, 3))
    >>> windows_span_label([w.shift_years(-2), w])
    'Feb–Mar 2014 to Feb–Mar 2016'
    """
    ordered = sorted(windows, key=lambda w: w.first)
    return f"{window_label(ordered[0])} to {window_label(ordered[-1])}"


def consecutive_runs(items, follows) -> list[list]:
    """``items`` sorted and grouped into runs, each item ``follows(previous, item)`` the one before it.

    >>> consecutive_runs([2014, 2009, 2010, 2011], lambda a, b: b == a + 1)
    [[2009, 2010, 2011], [2014]]
    """
    runs: list[list] = []
    for item in sorted(set(items)):
        if runs and follows(runs[-1][-1], item):
            runs[-1].append(item)
        else:
            runs.append([item])
    return runs


def and_list(labels: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + f" and {labels[-1]}"


def year_runs_label(years: list[int]) -> str:
    """Years as runs: '2009–2016', '2009–2011 and 2014'.

    >>> year_runs_label([2009, 2010, 2011, 2014]), year_runs_label([2015])
    ('2009–2011 and 2014', '2015')
    """
    runs = consecutive_runs(years, lambda a, b: b == a + 1)
    return and_list([f"{r[0]}–{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs])


def month_runs_label(months: list[Month], most_runs: int = 3) -> str:
    """Months (e.g. those with no record) as runs in month words: "Dec 2016", "Sep 2006–Jun 2018 (142 months)".

    Up to ``most_runs`` runs are named; beyond that the longest run is named and the rest are counted
    ("and 31 other months between Aug 2018 and Jun 2022"), so a long gap never becomes a wall of dates.

    >>> month_runs_label([Month(2016, 12)])
    'Dec 2016'
    >>> month_runs_label([Month(2016, 11), Month(2016, 12), Month(2017, 1), Month(2017, 5)])
    'Nov 2016–Jan 2017 (3 months) and May 2017'
    >>> many = [Month(2006, 9).shift(i) for i in range(142)] + [Month(2018, 8).shift(i) for i in range(0, 62, 2)]
    >>> month_runs_label(many)
    'Sep 2006–Jun 2018 (142 months) and 31 other months between Aug 2018 and Aug 2023'
    """
    runs = consecutive_runs(months, lambda a, b: a.shift(1) == b)

    def run_label(run: list[Month]) -> str:
        if len(run) == 1:
            return run[0].label()
        return f"{window_label(Window(run[0], run[-1]))} ({len(run)} months)"

    if len(runs) <= most_runs:
        return and_list([run_label(run) for run in runs])
    longest = max(runs, key=len)
    others = [m for run in runs if run is not longest for m in run]
    return (f"{run_label(longest)} and {len(others)} other months between {others[0].label()} "
            f"and {others[-1].label()}")


def row_window_label(window_start: str, window_end: str, as_of: bool = False, through: dt.date | None = None) -> str:
    """The label of an indicators-table row's window from its ISO dates; a point in time reads 'at 31 Mar 2017',
    or at the data's last day when the data stop before it (``through``; see :func:`as_of_day`).

    >>> row_window_label("2016-12-01", "2017-01-31"), row_window_label("2017-03-31", "2017-03-31", as_of=True)
    ('Dec 2016–Jan 2017', 'at 31 Mar 2017')
    >>> row_window_label("2017-03-31", "2017-03-31", as_of=True, through=dt.date(2017, 3, 15))
    'at 15 Mar 2017 (latest data)'
    """
    start, end = dt.date.fromisoformat(str(window_start)), dt.date.fromisoformat(str(window_end))
    if as_of:
        return f"at {as_of_day(end, through)}"
    return window_label(Window(Month(start.year, start.month), Month(end.year, end.month)))


def as_of_day(end: dt.date, through: dt.date | None = None) -> str:
    """The day figures are read as of: ``end`` (the period's last day), or the data's last day when the extract
    stops before it, marked so ("15 Mar 2017 (latest data)"), so no label claims a day the data do not reach.

    >>> as_of_day(dt.date(2017, 3, 31)), as_of_day(dt.date(2017, 3, 31), dt.date(2017, 3, 15))
    ('31 Mar 2017', '15 Mar 2017 (latest data)')
    """
    if through is not None and through < end:
        return f"{format_day(through)} (latest data)"
    return format_day(end)


def as_of_header(end: dt.date, through: dt.date | None = None) -> str:
    """The heading of a worksheet's point-in-time column: the period's last day, or the data's last day when the
    extract stops before it (the figures are then as of that day, not the period's end).

    >>> as_of_header(dt.date(2017, 3, 31)), as_of_header(dt.date(2017, 3, 31), dt.date(2017, 3, 15))
    ('At 31 Mar 2017', 'At 15 Mar 2017 (latest data)')
    """
    return f"At {as_of_day(end, through)}"


def format_chance(p_value: float) -> str:
    """A probability in words for a chair: '32%', 'under 1%'.

    >>> format_chance(0.318), format_chance(0.004)
    ('32%', 'under 1%')
    """
    return MISSING if is_missing(p_value) else (format_share(p_value) if p_value >= 0.01 else "under 1%")
