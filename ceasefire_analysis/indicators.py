"""The indicators of the bi-monthly performance review.

Worksheet 1 (outcomes): homicides and non-fatal injury shootings (and non-injury
shootings, without a benchmark) over YTD and the review period, against prorated
benchmarks, the prior year and the three-year average.
Worksheet 2 (activities): direct communication, case management, targeted
enforcement and partnership.

Counts over windows are read from a monthly count table rather than by filtering raw
rows for every window, so a ten-year backfill costs one group-by.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np
import pandas as pd

from . import schema
from .counts import (count_in_window, data_coverage, in_window, median_days_to_complete,  # noqa: F401
                     monthly_counts, monthly_incident_counts, on_time_rate, rows_in_window, window_is_covered,
                     window_total)
from .formatting import format_share, is_missing, window_label
from .coverage import (Coverage, before_file_start_text, data_coverage_of, incident_coverage, no_data_yet_text,
                       so_far_text)
from .loading import CityData
from .params import ReviewParams
from .periods import (Month, ReviewWindows, Window, exact, round_half_up, same_day_years_earlier,
                      same_days_years_earlier)
from .privacy import earlier_report_windows
from .schema import DOES_NOT_MEET, INCOMPLETE, MEETS, NOT_RECORDED, WINDOW_AS_OF, WINDOW_YTD
from .statistics import add_chance_columns, pace_probability, seasonal_benchmark, seasonal_shares

OUTCOME_INDICATORS = {
    "homicides": schema.HOMICIDE,
    "nonfatal_injury_shootings": schema.NONFATAL,
    "non_injury_shootings": schema.NON_INJURY,
}
# Outcome indicators held to an annual benchmark (non-injury shootings are shown without one).
BENCHMARKED_OUTCOMES = ("homicides", "nonfatal_injury_shootings")
# Indicators whose benchmark column holds context, never a mark: the active caseload beside the case managers'
# capacity. Incomplete or not, such a row is no benchmarked indicator (the period's index leaves it out).
CONTEXT_BENCHMARK_INDICATORS = frozenset({"case_management_active"})

LABELS = {
    "homicides": "Homicides",
    "nonfatal_injury_shootings": "Non-fatal injury shootings",
    "non_injury_shootings": "Non-injury shootings",
    "direct_communications": "People reached by direct communication",
    "call_ins": "  of whom at call-ins",
    "custom_notifications": "  of whom by custom notification",
    "direct_communications_highest_risk_pct": "People reached who are on the very-high-risk list",
    "case_management_new": "New case-management enrolments",
    "case_management_active": "Active caseload at period end",
    "case_management_opd_highest_risk_pct": "New enrolments identified by police as highest risk",
    "coordination_meetings": "Coordination meetings held",
    "coordination_meetings_leads_present": "  with police and human-services leads present",
    "coordination_meetings_risk_focus": "  with a risk-focused agenda",
    "deliverables_on_time_pct": "Deliverables due that were completed on time",
    "deliverables_median_days_to_complete": "Median days from assignment to completion",
    "enforcement_vhr_pct_area": "Area-unit enforcement actions on VHR targets",
    "enforcement_vhr_pct_specialised": "Specialised-unit enforcement actions on VHR targets",
}
REFERRAL_LABELS = {"call_in": "a call-in", "custom_notification": "custom notification",
                   "ceasefire_other": "other Ceasefire work", "outreach": "outreach",
                   "non_ceasefire_other": "non-Ceasefire sources"}
for _source in schema.REFERRAL_SOURCES:
    LABELS[f"case_management_active_{_source}"] = "  referred by " + REFERRAL_LABELS.get(_source, _source.replace("_", " "))
for _group in schema.UNIT_GROUPS:
    LABELS[f"staffing_pct_{_group}"] = f"Staffing of {_group.upper() if _group == 'siu' else _group} units"
    LABELS[f"staffing_units_{_group}"] = f"  number of {_group.upper() if _group == 'siu' else _group} units"


def coverage_of(data: CityData, params: ReviewParams) -> Coverage:
    """How far a period's data reach (``data_through`` from the params file, else the latest record)."""
    return data_coverage_of(data.tables, params.data_through, params.data_from)


def incident_months(data: CityData, coverage: Coverage) -> Window | None:
    """The whole months the incident data cover, for prior-year and benchmark arithmetic: from the first month they
    cover from its 1st (:attr:`Coverage.first_full_month`) to the last they cover to its end."""
    incidents = incident_coverage(coverage, data.incidents)
    first, last = incidents.first_full_month, incidents.last_full_month
    return Window(first, last) if first is not None and last is not None and first <= last else None


def partial_window_end(window: Window, through: dt.date | None) -> dt.date | None:
    """The data's last day when it falls inside ``window`` before its end (the window is counted so far), else None."""
    if through is None or not window.start <= through < window.end:
        return None
    return through


# --------------------------------------------------------------------------- benchmarks

def prorate_benchmark(annual_by_year: dict[int, float | int], window: Window) -> Fraction | None:
    """Exact benchmark for a window: each month gets 1/12 of its own year's annual benchmark.

    Returns ``None`` when a month's year has no annual benchmark.

    >>> prorate_benchmark({2017: 72}, Window(Month(2017, 1), Month(2017, 3)))
    Fraction(18, 1)
    >>> round_half_up(prorate_benchmark({2017: 307}, Window(Month(2017, 2), Month(2017, 3))))
    51
    >>> prorate_benchmark({2016: 60, 2017: 72}, Window(Month(2016, 12), Month(2017, 1)))
    Fraction(11, 1)
    """
    total = Fraction(0)
    for month in window.months:
        if month.year not in annual_by_year:
            return None
        total += exact(annual_by_year[month.year]) / 12
    return total


def reduced_benchmark(prior_year_count: int, reduction: float) -> int:
    """Next year's benchmark: the prior year's count cut by ``reduction``, rounded half up.

    >>> reduced_benchmark(25, 0.10), reduced_benchmark(80, 0.10), reduced_benchmark(0, 0.10)
    (23, 72, 0)
    """
    return round_half_up(Fraction(prior_year_count) * (1 - exact(reduction)))


def unrecorded_years(monthly: pd.DataFrame, coverage: Window | None) -> set[int]:
    """Whole years inside the incident data's span with no incident of any kind: every month of them is one the
    data-quality check flags as empty (:func:`quality.empty_months`). Such a year is more likely a lost extract
    than a year without a shooting, so it is never read as a count of 0: no benchmark is derived from it, and no
    prior-year, three-year or seasonal comparison and no control limit is taken from it.

    >>> m = monthly_incident_counts(pd.DataFrame({"occurred_on": pd.to_datetime(["2019-05-01", "2021-02-03"]),
    ...                                           "incident_type": ["homicide", "homicide"]}))
    >>> sorted(unrecorded_years(m, Window(Month(2019, 6), Month(2021, 12))))
    [2020]
    """
    if coverage is None:
        return set()
    years = range(coverage.first.year, coverage.last.year + 1)
    whole = [y for y in years if window_is_covered(Window(Month(y, 1), Month(y, 12)), coverage)]
    totals = monthly.sum(axis=1)
    return {y for y in whole if int(totals[totals.index.year == y].sum()) == 0}


def window_is_recorded(window: Window, coverage: Window | None, unrecorded: set[int]) -> bool:
    """True when the data cover every month of ``window`` and none of its years is one without any record."""
    return window_is_covered(window, coverage) and not ({m.year for m in window.months} & unrecorded)


def outcome_benchmarks_by_year(indicator: str, years: list[int], monthly: pd.DataFrame,
                               coverage: Window | None, params: ReviewParams) -> dict[int, float]:
    """Annual benchmarks of an outcome for ``years``, from the monthly counts: as given in the params, or derived
    from a fully covered prior year (its count less ``benchmark_reduction``) that holds some record
    (:func:`unrecorded_years`: a year with no incident at all gives no benchmark)."""
    given = params.annual_benchmarks.get(indicator, {})
    column = OUTCOME_INDICATORS[indicator]
    unrecorded = unrecorded_years(monthly, coverage)
    out: dict[int, float] = {}
    for year in years:
        if year in given:
            out[year] = given[year]
            continue
        prior = Window(Month(year - 1, 1), Month(year - 1, 12))
        if window_is_recorded(prior, coverage, unrecorded):
            out[year] = reduced_benchmark(window_total(monthly, column, prior), params.benchmark_reduction)
    return out


@dataclass(frozen=True)
class OutcomeBenchmarks:
    """An outcome's benchmarks for a review: the one source the worksheet, the pace table and the charts read.

    ``annual`` holds the annual benchmark of each year asked for (given or derived); ``shares`` the
    seasonal month shares when seasonal benchmarks are on and the data allow them (else None: the
    benchmark is spread evenly, annual / 12 a month).
    """

    indicator: str
    annual: dict[int, float]
    shares: np.ndarray | None = None

    def flat(self, window: Window) -> Fraction | None:
        """The window's benchmark spread evenly over the months, exactly (None when a year has none)."""
        return prorate_benchmark(self.annual, window)

    def seasonal(self, window: Window) -> float | None:
        """The window's seasonal benchmark (None when seasonal benchmarks are off or cannot be set)."""
        return seasonal_benchmark(self.annual, window, self.shares)

    def deciding(self, window: Window) -> float | None:
        """The benchmark that decides a window's mark: the seasonal one when there is one, else the even one."""
        seasonal = self.seasonal(window)
        if seasonal is not None:
            return seasonal
        flat = self.flat(window)
        return None if flat is None else float(flat)

    def month(self, month: Month) -> float | None:
        """One month's share of its year's benchmark, as the worksheet counts it."""
        return self.deciding(Window(month, month))


def outcome_benchmarks(data: CityData, params: ReviewParams, indicator: str, years,
                       covered: Coverage | None = None) -> OutcomeBenchmarks:
    """The benchmarks of an outcome indicator for ``years``: the entry point for tables and charts alike.

    ``covered`` is the period's data coverage (by default computed from ``data`` and ``params``). The
    seasonal shares, when on, are those of the review's year (the ``seasonal_years`` before it), for
    every month, as the worksheet uses them.
    """
    monthly = monthly_counts(data)
    coverage = incident_months(data, covered or coverage_of(data, params))
    annual = outcome_benchmarks_by_year(indicator, sorted(set(years)), monthly, coverage, params)
    shares = None
    if params.seasonal_benchmarks and indicator in BENCHMARKED_OUTCOMES:
        shares = outcome_seasonal_shares(monthly, OUTCOME_INDICATORS[indicator], params.windows.period.last.year,
                                         coverage, params)
    return OutcomeBenchmarks(indicator, annual, shares)


def missing_benchmark_note(annual_by_year: dict[int, float], window: Window, derivable: bool = False,
                           unrecorded: set[int] = frozenset()) -> str:
    """Why a window has no benchmark: the years of its months that have none, in words. ``unrecorded`` are the
    years with no incident record at all (:func:`unrecorded_years`), which no benchmark is derived from.

    >>> missing_benchmark_note({2017: 72}, Window(Month(2016, 12), Month(2017, 1)))
    'no 2016 benchmark set'
    >>> missing_benchmark_note({}, Window(Month(2016, 12), Month(2017, 1)), derivable=True)
    'no 2016 or 2017 benchmark set, and no whole prior year in the data to derive one'
    >>> missing_benchmark_note({}, Window(Month(2022, 7), Month(2022, 8)), derivable=True, unrecorded={2021})
    'no records at all for 2021 to derive one from (check the extract), and no 2022 benchmark set'
    """
    missing = sorted({m.year for m in window.months} - set(annual_by_year))
    if not missing:
        return ""
    note = f"no {' or '.join(str(y) for y in missing)} benchmark set"
    empty = [y - 1 for y in missing if y - 1 in unrecorded] if derivable else []
    if empty:
        return (f"no records at all for {' or '.join(str(y) for y in empty)} to derive one from (check the "
                f"extract), and {note}")
    return note + (", and no whole prior year in the data to derive one" if derivable else "")


def derived_benchmark_note(given: dict[int, float], annual_by_year: dict[int, float], window: Window,
                           reduction: float) -> str:
    """Which part of a window's benchmark was derived (prior year's count less the reduction), in words.

    A benchmark nobody set must not pass silently beside one the partnership agreed.

    >>> derived_benchmark_note({2017: 72}, {2016: 60, 2017: 72}, Window(Month(2016, 12), Month(2017, 1)), 0.10)
    'Dec 2016 part: 2015 count less 10% — no 2016 benchmark set'
    >>> derived_benchmark_note({}, {2017: 70}, Window(Month(2017, 2), Month(2017, 3)), 0.10)
    '2016 count less 10% — no 2017 benchmark set'
    >>> derived_benchmark_note({2017: 72}, {2017: 72}, Window(Month(2017, 2), Month(2017, 3)), 0.10)
    ''
    """
    derived = sorted({m.year for m in window.months} & (set(annual_by_year) - set(given)))
    years = {m.year for m in window.months}
    parts = []
    for year in derived:
        months = [m for m in window.months if m.year == year]
        rule = f"{year - 1} count less {format_share(reduction)} — no {year} benchmark set"
        parts.append(rule if len(years) == 1 else f"{Window(months[0], months[-1]).label()} part: {rule}")
    return "; ".join(parts)


def outcome_status(actual: float, benchmark: float | None) -> str:
    """Outcomes (fewer is better) meet their benchmark when actual <= benchmark."""
    if benchmark is None or is_missing(benchmark) or is_missing(actual):
        return ""
    return MEETS if actual <= benchmark else DOES_NOT_MEET


def activity_status(actual: float, benchmark: float | None) -> str:
    """Activities (more is better) meet their benchmark when actual >= benchmark."""
    if benchmark is None or is_missing(benchmark) or is_missing(actual):
        return ""
    return MEETS if actual >= benchmark else DOES_NOT_MEET


def pct_over_benchmark(actual: float, benchmark: float | None) -> float:
    """How far over the benchmark, relative to it: (14 - 12) / 12 = 0.1667. NaN when not over or no benchmark.

    >>> round(pct_over_benchmark(14, 12), 4), pct_over_benchmark(10, 12)
    (0.1667, nan)
    """
    if benchmark is None or is_missing(benchmark) or actual <= benchmark or benchmark == 0:
        return math.nan
    return (actual - benchmark) / benchmark


def cut_to_meet(actual: float, benchmark: float | None) -> float:
    """Share of the actual that would have to go to meet the benchmark: (14 - 12) / 14 = 0.1429.

    >>> round(cut_to_meet(14, 12), 4), cut_to_meet(12, 12)
    (0.1429, nan)
    """
    if benchmark is None or is_missing(benchmark) or actual <= benchmark:
        return math.nan
    return (actual - benchmark) / actual


def share_pct(numerator: int, denominator: int) -> float:
    """Percentage, NaN for a zero denominator (nothing to take a share of).

    >>> share_pct(15, 54) > 27.7, share_pct(0, 0)
    (True, nan)
    """
    return 100.0 * numerator / denominator if denominator else math.nan


# --------------------------------------------------------------------------- activity measures

def distinct_people(communications: pd.DataFrame, window: Window, kind: str | None = None) -> pd.DataFrame:
    """People reached in a window (one row each), with whether any contact flagged them highest-risk."""
    rows = communications[in_window(communications["occurred_on"], window.start, window.end)]
    if kind is not None:
        rows = rows[rows["kind"] == kind]
    return rows.groupby("participant_id", sort=False)["highest_risk"].any().reset_index()


def active_caseload(case_management: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Enrolments active at the end of ``as_of``: enrolled on or before it and not exited on or before it.

    >>> cm = pd.DataFrame({"enrolled_on": pd.to_datetime(["2017-01-01", "2017-01-01", "2017-04-01"]),
    ...                    "exited_on": pd.to_datetime(["2017-03-31", None, None])})
    >>> len(active_caseload(cm, dt.date(2017, 3, 31)))
    1
    """
    day = pd.Timestamp(as_of)
    active = (case_management["enrolled_on"] <= day) & ~(case_management["exited_on"] <= day)
    return case_management[active]


def latest_staffing(staffing: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Each unit's most recent snapshot on or before ``as_of``."""
    upto = staffing[staffing["as_of"] <= pd.Timestamp(as_of)]
    if upto.empty:
        return upto
    return upto.sort_values("as_of").groupby("unit", sort=False).tail(1)


def staffing_snapshot_day(staffing: pd.DataFrame, as_of: dt.date, groups: tuple[str, ...] | None = None
                          ) -> dt.date | None:
    """The day of the oldest of the latest staffing snapshots behind a figure at ``as_of`` (None: no snapshot).

    Staffing is reported now and then, not daily: a figure "at 31 Mar" may be a December report.

    >>> st = pd.DataFrame({"as_of": pd.to_datetime(["2016-06-30", "2016-12-31"]), "unit": ["A", "A"],
    ...                    "unit_group": ["area", "area"]})
    >>> staffing_snapshot_day(st, dt.date(2017, 3, 31))
    datetime.date(2016, 12, 31)
    """
    latest = latest_staffing(staffing, as_of)
    if groups is not None:
        latest = latest[latest["unit_group"].isin(groups)]
    return None if latest.empty else latest["as_of"].min().date()


def stale_staffing_note(snapshot: dt.date, period_start: dt.date) -> str:
    """Why a staffing figure gets no mark: its latest report was taken before the review period began.

    >>> stale_staffing_note(dt.date(2016, 12, 31), dt.date(2017, 2, 1))
    'no staffing report in the period: the latest is from 31 Dec 2016'
    """
    return f"no staffing report in the period: the latest is from {snapshot.day} {snapshot:%b %Y}"


def staffing_by_group(staffing: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Per unit group: units, positions authorized and filled, and the percentage filled."""
    latest = latest_staffing(staffing, as_of)
    grouped = latest.groupby("unit_group").agg(units=("unit", "nunique"), authorized=("authorized", "sum"),
                                               filled=("filled", "sum"))
    grouped = grouped.reindex(list(schema.UNIT_GROUPS)).fillna(0).astype(int)
    grouped["pct"] = [share_pct(f, a) for f, a in zip(grouped["filled"], grouped["authorized"])]
    return grouped


# --------------------------------------------------------------------------- the worksheets

def recorded_incident_types(data: CityData) -> set[str]:
    """Incident types the city's data hold at all (a victim reconciled to a homicide was recorded as non-fatal).

    A type outside this set is "not recorded for this city", never a count of zero.
    """
    recorded = set(data.incidents["incident_type"].dropna().unique())
    if data.reconciled_victims is not None and len(data.reconciled_victims):
        recorded.add(schema.NONFATAL)
    return recorded


def _make_row(worksheet: str, section: str, indicator: str, window_name: str, window: Window | None,
         as_of: dt.date, actual, unit: str, benchmark=None, status: str = "", prior_year=math.nan,
         three_year_average=math.nan, pct_over=math.nan, cut=math.nan, numerator=math.nan,
         denominator=math.nan) -> dict:
    """A new row of the indicators table, built from its parts (``tables._find_row`` fetches one)."""
    return {
        "worksheet": worksheet,
        "section": section,
        "indicator": indicator,
        "label": LABELS.get(indicator, indicator).strip(),
        "window": window_name,
        "window_start": (window.start if window else as_of).isoformat(),
        "window_end": (window.end if window else as_of).isoformat(),
        "actual": actual,
        "unit": unit,
        "benchmark": math.nan if benchmark is None else benchmark,
        "status": status,
        "prior_year": prior_year,
        "three_year_average": three_year_average,
        "pct_over_benchmark": pct_over,
        "cut_to_meet": cut,
        "numerator": numerator,
        "denominator": denominator,
    }


def outcome_worksheet(data: CityData, params: ReviewParams, covered: Coverage | None = None) -> pd.DataFrame:
    """Worksheet 1: outcome indicators over YTD and the period.

    ``benchmark`` is the window's benchmark rounded half up (what the seed prints);
    ``benchmark_exact`` keeps the unrounded value for statistics.
    """
    windows = params.windows
    incidents = data.incidents
    monthly = monthly_counts(data)
    covered = covered or coverage_of(data, params)
    coverage = incident_months(data, covered)
    incidents_through = incident_coverage(covered, incidents).through  # outcomes are counted from incidents
    unrecorded = unrecorded_years(monthly, coverage)
    rows = []
    recorded = recorded_incident_types(data)
    for indicator, column in OUTCOME_INDICATORS.items():
        if column not in recorded:  # a type a city never records (NYPD: non-injury shootings) is not a zero
            rows.extend(_make_row("outcomes", "Shootings and homicides", indicator, window_name, window, windows.end,
                             math.nan, "count", status=NOT_RECORDED)
                        for window_name, window in windows.by_name().items())
            continue
        for window_name, window in windows.by_name().items():
            actual = window_total(monthly, column, window)
            earlier = [window.shift_years(-k) for k in (1, 2, 3)]
            so_far_to = partial_window_end(window, incidents_through)
            if so_far_to is None:
                def earlier_count(k: int) -> int:
                    return window_total(monthly, column, earlier[k - 1])
            else:
                # a window counted so far is compared with the same days earlier (1 Jan-15 Mar), not whole months
                dates = incidents.loc[incidents["incident_type"] == column, "occurred_on"]

                def earlier_count(k: int) -> int:
                    return count_in_window(dates, *same_days_years_earlier(window.start, so_far_to, k))
            prior = earlier_count(1) if window_is_recorded(earlier[0], coverage, unrecorded) else math.nan
            if all(window_is_recorded(w, coverage, unrecorded) for w in earlier):
                three_year_total = sum(earlier_count(k) for k in (1, 2, 3))
                average = round_half_up(Fraction(three_year_total, 3))
            else:
                three_year_total, average = math.nan, math.nan
            exact_benchmark, seasonal, note = None, None, ""
            if indicator in BENCHMARKED_OUTCOMES:
                benchmarks = outcome_benchmarks(data, params, indicator, {m.year for m in window.months}, covered)
                annual = benchmarks.annual
                exact_benchmark = benchmarks.flat(window)
                note = (missing_benchmark_note(annual, window, True, unrecorded) if exact_benchmark is None else
                        derived_benchmark_note(params.annual_benchmarks.get(indicator, {}), annual, window,
                                               params.benchmark_reduction))
                seasonal = benchmarks.seasonal(window)
            benchmark = None if exact_benchmark is None else round_half_up(exact_benchmark)
            seasonal_rounded = None if seasonal is None else round_half_up(exact(round(seasonal, 9)))
            # with seasonal benchmarks on, the seasonal one decides the mark; the flat one is context
            deciding = seasonal_rounded if seasonal is not None else benchmark
            row = _make_row("outcomes", "Shootings and homicides", indicator, window_name, window, windows.end, actual,
                       "count", benchmark, outcome_status(actual, deciding), prior, average,
                       pct_over_benchmark(actual, deciding), cut_to_meet(actual, deciding))
            row["benchmark_exact"] = math.nan if exact_benchmark is None else float(exact_benchmark)
            row["three_year_total"] = three_year_total
            row["benchmark_note"] = note
            # the last day of the year-earlier comparison when the window is counted only so far
            row["compared_through"] = "" if so_far_to is None else same_day_years_earlier(so_far_to, 1).isoformat()
            row["decided_by"] = ("seasonal" if seasonal is not None else "flat") if benchmark is not None else ""
            if params.seasonal_benchmarks:
                row["benchmark_seasonal_exact"] = math.nan if seasonal is None else seasonal
                row["benchmark_seasonal"] = math.nan if seasonal is None else seasonal_rounded
                row["status_flat"] = outcome_status(actual, benchmark)
            rows.append(row)
    return add_chance_columns(pd.DataFrame(rows))


def outcome_seasonal_shares(monthly: pd.DataFrame, column: str, year: int, coverage: Window | None,
                            params: ReviewParams):
    """Monthly shares of an outcome over the ``seasonal_years`` full years before ``year`` (None if not covered)."""
    years = list(range(year - params.seasonal_years, year))
    unrecorded = unrecorded_years(monthly, coverage)
    if not all(window_is_recorded(Window(Month(y, 1), Month(y, 12)), coverage, unrecorded) for y in years):
        return None
    return seasonal_shares(monthly[column], years)


def missing_seasonal_years_warning(data: CityData, params: ReviewParams, coverage: Coverage) -> str:
    """The warning when ``seasonal_benchmarks`` is on but the incident data lack the ``seasonal_years`` whole years
    before the review's year ('' otherwise): the even-months benchmark then decides, and the page must say why."""
    if not params.seasonal_benchmarks:
        return ""
    year, n = params.windows.period.last.year, params.seasonal_years
    months = incident_months(data, coverage)
    unrecorded = unrecorded_years(monthly_counts(data), months)
    whole = [y for y in range(year - n, year)
             if window_is_recorded(Window(Month(y, 1), Month(y, 12)), months, unrecorded)]
    if len(whole) == n:
        return ""
    held = f"only {len(whole)} ({whole[0]}–{whole[-1]})" if whole else "none"
    return (f"seasonal_benchmarks is on with seasonal_years: {n}, but the incident data hold {held} of the {n} whole "
            f"years before {year} ({year - n}–{year - 1}): no seasonal pattern is learnt, and the even-months "
            "benchmark decides the marks and the pace. Lower seasonal_years, or supply the earlier years.")


def outcome_pace(data: CityData, params: ReviewParams, table: pd.DataFrame,
                 coverage: Coverage | None = None) -> pd.DataFrame:
    """The chance that each benchmarked outcome ends the review's year at or under its annual benchmark.

    The year to date's count comes from ``table`` (the indicators table); the rest of the year is assumed to
    run at the benchmark's pace, split by the seasonal shares when the seasonal benchmark decides the mark
    (:func:`statistics.pace_probability`). Outcomes with no annual benchmark for the year, or not recorded
    for the city, are left out. Columns: ``indicator``, ``ytd``, ``annual_benchmark``, ``chance_of_meeting``.
    """
    last = params.windows.period.last
    rows = []
    for indicator in BENCHMARKED_OUTCOMES:
        benchmarks = outcome_benchmarks(data, params, indicator, [last.year], coverage)
        annual = benchmarks.annual.get(last.year)
        ytd_row = table[(table["indicator"] == indicator) & (table["window"] == WINDOW_YTD)]
        if annual is None or ytd_row.empty or ytd_row["status"].iloc[0] == NOT_RECORDED:
            continue
        ytd = int(ytd_row["actual"].iloc[0])
        rows.append({"indicator": indicator, "ytd": ytd, "annual_benchmark": annual,
                     "chance_of_meeting": pace_probability(ytd, annual, last.month, benchmarks.shares)})
    return pd.DataFrame(rows, columns=["indicator", "ytd", "annual_benchmark", "chance_of_meeting"])


def activity_worksheet(data: CityData, params: ReviewParams, through: dt.date | None = None) -> pd.DataFrame:
    """Worksheet 2: direct communication, case management, enforcement and partnership.

    ``through`` is the data's last day (see :mod:`coverage`): the on-time share of deliverables counts only tasks
    due by then, since a task due after the extract was taken could not yet have been done.
    """
    windows = params.windows
    as_of = windows.end
    rows: list[dict] = []
    add = rows.append

    def prorated(indicator: str, window: Window, cap: int | None = None) -> int | None:
        annual = dict(params.annual_benchmarks.get(indicator, {}))
        if cap is not None:
            annual = {year: min(value, cap) for year, value in annual.items()}
        value = prorate_benchmark(annual, window) if annual else None
        return None if value is None else round_half_up(value)

    def note(indicator: str, window: Window) -> str:
        """Why a benchmarked activity has none for this window (empty when it has one or never had any)."""
        annual = params.annual_benchmarks.get(indicator, {})
        return missing_benchmark_note(annual, window) if annual else ""

    def not_recorded(section: str, indicators: list[tuple[str, str]], windowed: bool = True) -> None:
        named = windows.by_name().items() if windowed else [(WINDOW_AS_OF, None)]
        for window_name, window in named:
            for indicator, unit in indicators:
                add(_make_row("activities", section, indicator, window_name, window, as_of, math.nan, unit,
                         status=NOT_RECORDED))

    section = "1. Direct communication"
    comms = data.communications
    if comms is None:
        not_recorded(section, [("direct_communications", "people"), ("call_ins", "people"),
                               ("custom_notifications", "people"),
                               ("direct_communications_highest_risk_pct", "percent")])
    else:
        for window_name, window in windows.by_name().items():
            people = distinct_people(comms, window)
            total = len(people)
            benchmark = prorated("direct_communications", window)
            add(_make_row("activities", section, "direct_communications", window_name, window, as_of, total, "people",
                     benchmark, activity_status(total, benchmark)))
            rows[-1]["benchmark_note"] = note("direct_communications", window)
            for indicator, kind in (("call_ins", schema.CALL_IN), ("custom_notifications", schema.CUSTOM_NOTIFICATION)):
                add(_make_row("activities", section, indicator, window_name, window, as_of,
                         len(distinct_people(comms, window, kind)), "people"))
            highest = int(people["highest_risk"].sum())
            pct = share_pct(highest, total)
            target = params.share_targets["direct_communications_highest_risk_pct"]
            add(_make_row("activities", section, "direct_communications_highest_risk_pct", window_name, window, as_of, pct,
                     "percent", target, activity_status(pct, target), numerator=highest, denominator=total))

    section = "2. Relationship-focused case management"
    cm = data.case_management
    capacity = params.case_management_capacity
    if cm is None:
        not_recorded(section, [("case_management_new", "enrolments"),
                               ("case_management_opd_highest_risk_pct", "percent")])
        not_recorded(section, [("case_management_active", "people")]
                     + [(f"case_management_active_{s}", "people") for s in schema.REFERRAL_SOURCES], windowed=False)
    else:
        for window_name, window in windows.by_name().items():
            new = cm[in_window(cm["enrolled_on"], window.start, window.end)]
            benchmark = prorated("case_management_new", window, capacity)
            add(_make_row("activities", section, "case_management_new", window_name, window, as_of, len(new), "enrolments",
                     benchmark, activity_status(len(new), benchmark)))
            rows[-1]["benchmark_note"] = note("case_management_new", window)
            flagged = int(new["opd_highest_risk"].fillna(False).sum())
            pct = share_pct(flagged, len(new))
            target = params.share_targets["case_management_opd_highest_risk_pct"]
            add(_make_row("activities", section, "case_management_opd_highest_risk_pct", window_name, window, as_of, pct,
                     "percent", target, activity_status(pct, target), numerator=flagged, denominator=len(new)))
        active = active_caseload(cm, as_of)
        add(_make_row("activities", section, "case_management_active", WINDOW_AS_OF, None, as_of, len(active), "people",
                 capacity, ""))
        by_source = active["referral_source"].value_counts()
        for source in schema.REFERRAL_SOURCES:
            add(_make_row("activities", section, f"case_management_active_{source}", WINDOW_AS_OF, None, as_of,
                     int(by_source.get(source, 0)), "people"))

    section = "3. Targeted enforcement"
    if data.staffing is None:
        not_recorded(section, [(f"staffing_{kind}_{g}", unit) for g in schema.UNIT_GROUPS
                               for kind, unit in (("pct", "percent"), ("units", "units"))], windowed=False)
    else:
        staffing = staffing_by_group(data.staffing, as_of)
        for group in schema.UNIT_GROUPS:
            pct = staffing.loc[group, "pct"]
            target = params.share_targets["staffing_pct"]
            # the figure is dated by its snapshot; one taken before the period gets no mark
            snapshot = staffing_snapshot_day(data.staffing, as_of, (group,)) or as_of
            stale = snapshot < windows.period.start
            add(_make_row("activities", section, f"staffing_pct_{group}", WINDOW_AS_OF, None, snapshot, pct, "percent",
                     target, "" if stale else activity_status(pct, target),
                     numerator=int(staffing.loc[group, "filled"]), denominator=int(staffing.loc[group, "authorized"])))
            rows[-1]["benchmark_note"] = stale_staffing_note(snapshot, windows.period.start) if stale else ""
            add(_make_row("activities", section, f"staffing_units_{group}", WINDOW_AS_OF, None, snapshot,
                     int(staffing.loc[group, "units"]), "units"))
    actions = data.enforcement_actions
    if actions is not None:
        for window_name, window in windows.by_name().items():
            actions_in_window = actions[in_window(actions["occurred_on"], window.start, window.end)]
            for indicator, groups in (("enforcement_vhr_pct_area", ("area",)),
                                      ("enforcement_vhr_pct_specialised", schema.SPECIALISED_UNIT_GROUPS)):
                chosen = actions_in_window[actions_in_window["unit_group"].isin(groups)]
                on_target = int(chosen["vhr_target"].fillna(False).sum())
                pct = share_pct(on_target, len(chosen))
                target = params.share_targets[indicator]
                add(_make_row("activities", section, indicator, window_name, window, as_of, pct, "percent", target,
                         activity_status(pct, target), numerator=on_target, denominator=len(chosen)))

    section = "4. Partnership"
    meetings = data.meetings
    if meetings is None:
        not_recorded(section, [("coordination_meetings", "meetings"), ("coordination_meetings_leads_present", "meetings"),
                               ("coordination_meetings_risk_focus", "meetings")])
    else:
        coordination = meetings[(meetings["kind"] == schema.COORDINATION) & meetings["held"].fillna(False)]
        for window_name, window in windows.by_name().items():
            held = coordination[in_window(coordination["scheduled_on"], window.start, window.end)]
            benchmark_value = exact(params.coordination_meetings_per_month) * window.n_months
            benchmark = round_half_up(benchmark_value)
            add(_make_row("activities", section, "coordination_meetings", window_name, window, as_of, len(held), "meetings",
                     benchmark, activity_status(len(held), benchmark)))
            both = held["opd_lead_present"].fillna(False) & held["hsd_lead_present"].fillna(False)
            add(_make_row("activities", section, "coordination_meetings_leads_present", window_name, window, as_of,
                     int(both.sum()), "meetings"))
            add(_make_row("activities", section, "coordination_meetings_risk_focus", window_name, window, as_of,
                     int(held["risk_focus"].fillna(False).sum()), "meetings"))
    if data.tasks is not None:

        for window_name, window in windows.by_name().items():
            due_by = window.end if through is None else min(window.end, through)
            due, on_time, rate = on_time_rate(data.tasks, window.start, due_by)
            add(_make_row("activities", section, "deliverables_on_time_pct", window_name, window, as_of,
                     100 * rate, "percent", numerator=on_time, denominator=due))
            add(_make_row("activities", section, "deliverables_median_days_to_complete", window_name, window, as_of,
                     median_days_to_complete(data.tasks, window.start, window.end), "days"))
    table = pd.DataFrame(rows)
    # only benchmarked rows set one (none at all when every activity is not recorded)
    table["benchmark_note"] = table.reindex(columns=["benchmark_note"])["benchmark_note"].fillna("")
    return table


def earlier_report_activities(data: CityData, params: ReviewParams, through: dt.date | None = None
                              ) -> dict[str, pd.DataFrame]:
    """Worksheet 2 over the year to date of each earlier report of the year (``privacy.earlier_report_windows``),
    by its last month (``"2016-04"``): the counts a reader of this report is assumed to hold already.

    Counted by the same code as this report's rows, over windows of this report's data (cut as this report's
    are); only their year-to-date rows are meant to be read.
    """
    return {str(window.last): activity_worksheet(data, replace(params, windows=ReviewWindows(window)), through)
            for window in earlier_report_windows(params.windows.period)}


def build_indicators(data: CityData, params: ReviewParams, coverage: Coverage | None = None) -> pd.DataFrame:
    """Both worksheets as one tidy table (the content of ``indicators.csv``).

    Windows the data do not cover to their last day are marked ``incomplete`` (see
    :func:`mark_incomplete`).
    """
    coverage = coverage or coverage_of(data, params)
    table = pd.concat([outcome_worksheet(data, params, coverage), activity_worksheet(data, params, coverage.through)],
                      ignore_index=True)
    table = mark_incomplete(table, coverage, incident_coverage(coverage, data.incidents))
    columns = list(schema.INDICATOR_COLUMNS) + [c for c in table.columns if c not in schema.INDICATOR_COLUMNS]
    return table[columns]


# Columns that judge a count; none of them may be shown for a window the data do not cover.
JUDGEMENT_COLUMNS = ("pct_over_benchmark", "cut_to_meet", "p_vs_benchmark", "p_vs_prior_year",
                     "p_vs_three_year_average")


# The input file each windowed activity indicator is counted from, by the start of its name.
ACTIVITY_SOURCES = (("direct_communications", "communications"), ("call_ins", "communications"),
                    ("custom_notifications", "communications"), ("case_management", "case_management"),
                    ("enforcement", "enforcement_actions"), ("coordination_meetings", "meetings"),
                    ("deliverables", "tasks"))


def activity_source(indicator: str) -> str | None:
    """The input file a windowed activity indicator is counted from.

    >>> activity_source("call_ins"), activity_source("deliverables_on_time_pct")
    ('communications', 'tasks')
    """
    return next((source for prefix, source in ACTIVITY_SOURCES if indicator.startswith(prefix)), None)


def mark_incomplete(table: pd.DataFrame, coverage: Coverage, incidents: Coverage | None = None) -> pd.DataFrame:
    """Rows whose window the data do not cover: status ``incomplete``, no mark, verdict or p-value.

    A window is not covered when it ends after ``coverage.through``. Rows counted from incidents
    (worksheets ``outcomes`` and ``focus``) are also judged by ``incidents``, the incidents file's own coverage: a window that ends after it, or starts
    before the month of the first incident, is not covered either. A windowed activity counted
    from a file that ``coverage`` lists as stale is covered only to that file's last record, and from the
    month of that file's first record (``coverage.firsts``): a city that began recording meetings in 2016 has
    no count of 0 meetings in 2014.
    ``coverage_note`` says which end is missing. The count so far stays in ``actual``; the benchmark stays as context.
    """
    out = table.copy()
    starts, ends = pd.to_datetime(out["window_start"]), pd.to_datetime(out["window_end"])
    open_rows = ends > pd.Timestamp(coverage.through) if coverage.through is not None else ends.notna()
    note = pd.Series(so_far_text(coverage.through) if coverage.through is not None else "no dated records",
                     index=out.index, dtype=object)
    if incidents is not None:
        judged = out["worksheet"].isin(["outcomes", "focus"])
        if incidents.through is None:
            uncovered = ends.notna()
        else:
            uncovered = ends > pd.Timestamp(incidents.through)
            if incidents.start is not None:
                uncovered |= starts < pd.Timestamp(incidents.start)
        uncovered &= judged
        open_rows |= uncovered
        for i in out.index[uncovered]:
            note[i] = (incidents.gap_text(starts[i].date()) if incidents.through is not None
                       else "no incident records")
    # an activity counted from a stale file is covered only to that file's last record
    stale = dict(coverage.stale)
    if stale and "worksheet" in out:
        for i in out.index[out["worksheet"].eq("activities") & out["window"].ne(WINDOW_AS_OF)]:
            source = activity_source(out.at[i, "indicator"])
            if source in stale and ends[i] > pd.Timestamp(stale[source]):
                open_rows[i] = True
                note[i] = f"{so_far_text(stale[source])} in {source}.csv, an old extract"
    # an activity window that starts before the month of its file's first record has nothing to count there
    firsts = dict(coverage.firsts)
    if firsts and "worksheet" in out:
        for i in out.index[out["worksheet"].eq("activities") & out["window"].ne(WINDOW_AS_OF)]:
            source = activity_source(out.at[i, "indicator"])
            if source in firsts and starts[i] < pd.Timestamp(firsts[source].replace(day=1)):
                open_rows[i] = True
                note[i] = before_file_start_text(source, firsts[source])
    # a window that starts after the last day its file covers holds nothing yet: no count of 0, no comparison
    empty = pd.Series(False, index=out.index)
    if coverage.through is not None:
        last_days = pd.Series(pd.Timestamp(coverage.through), index=out.index)
        if incidents is not None and incidents.through is not None and "worksheet" in out:
            last_days[out["worksheet"].isin(["outcomes", "focus"])] = pd.Timestamp(incidents.through)
        empty = open_rows & (starts > last_days) & out["window"].ne(WINDOW_AS_OF)
        for i in out.index[empty]:
            note[i] = no_data_yet_text(window_label(Window(Month(starts[i].year, starts[i].month),
                                                           Month(ends[i].year, ends[i].month))),
                                       last_days[i].date())
    # a row that says its data are not recorded at all keeps saying so
    open_rows &= out["status"].fillna("").isin(["", MEETS, DOES_NOT_MEET])
    empty &= open_rows
    for column in ("actual", "prior_year", "three_year_average", "three_year_total", "numerator", "denominator"):
        if column in out:
            out.loc[empty, column] = math.nan
    out.loc[open_rows, "status"] = INCOMPLETE
    out["coverage_note"] = note.where(open_rows, "")
    for column in JUDGEMENT_COLUMNS:
        if column in out:
            out.loc[open_rows, column] = math.nan
    for column in ("verdict", "status_flat"):
        if column in out:
            out.loc[open_rows, column] = ""
    return out


def has_incomplete(table: pd.DataFrame) -> bool:
    """True when some indicator's window is not covered by the data."""
    return bool((table["status"] == INCOMPLETE).any())


def lookup(table: pd.DataFrame, indicator: str, window: str, column: str = "actual"):
    """One value from the indicators table, e.g. ``lookup(t, "homicides", "ytd")``."""
    match = table[(table["indicator"] == indicator) & (table["window"] == window)]
    if len(match) != 1:
        raise KeyError(f"{indicator}/{window}: {len(match)} rows")
    return match.iloc[0][column]
