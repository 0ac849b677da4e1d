"""Is it real? Chance, seasonality and control limits for outcome counts.

Counts of shootings and homicides in a two-month window are small, and small counts
jump around by chance. A count of 14 against an expected 12 happens about one time in
three with nothing changed. These functions put a probability on each comparison, so a
partnership reacts to signals rather than noise.

Threshold: a comparison is called "higher than expected" or "lower than expected" when
its one-sided probability is below 2.5% (``VERDICT_ALPHA``; the same as a two-sided test
at 5%: fewer than 1 in 40 such readings arise by chance alone). Anything else is
"within normal variation".
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .periods import Month, Window

VERDICT_ALPHA = 0.025
WITHIN = "within normal variation"
HIGHER = "higher than expected"
LOWER = "lower than expected"
# The verdict when the benchmark expects no events at all: a Poisson rate of 0 makes any count above 0
# "impossible" (a chance of 0), a verdict with no data behind it; the mark still compares the count with 0.
NOT_TESTED = "not tested"


def not_tested_text(seasonal: bool = False) -> str:
    """Why a count is not tested for chance against a benchmark of 0 (for the page).

    >>> not_tested_text()[:60]
    'Not tested for chance: a benchmark of 0 expects no events at'
    """
    which = ("the seasonal benchmark of 0 (none in these months in the years the seasonal pattern is learnt from)"
             if seasonal else "a benchmark of 0")
    return (f"Not tested for chance: {which} expects no events at all, so chance cannot be weighed; "
            "the mark only compares the count with 0")


def poisson_tail(actual: int, mean: float) -> float:
    """One-sided probability of a count at least as far from ``mean`` as ``actual``, in the direction seen.

    P(X >= actual) when actual >= mean, P(X <= actual) when below it.

    >>> round(poisson_tail(14, 12), 2)
    0.32
    >>> round(poisson_tail(5, 12), 4)
    0.0203
    """
    from scipy import stats as sps  # heavy (scipy.stats): imported when a probability is computed

    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return math.nan
    if mean == 0:
        return 1.0 if actual == 0 else 0.0
    if actual >= mean:
        return float(sps.poisson.sf(actual - 1, mean))
    return float(sps.poisson.cdf(actual, mean))


def verdict(actual: float, expected: float, p_value: float, alpha: float = VERDICT_ALPHA) -> str:
    """Plain words for a one-sided probability.

    >>> verdict(14, 12, 0.32), verdict(25, 12, 0.001), verdict(3, 12, 0.002)
    ('within normal variation', 'higher than expected', 'lower than expected')
    """
    if p_value is None or math.isnan(p_value):
        return ""
    if p_value >= alpha:
        return WITHIN
    return HIGHER if actual > expected else LOWER


# The E-test sums over every pair of possible counts: its time and memory grow with the square of the
# counts (a city with thousands of shootings a window needs gigabytes). Above this many events in the two
# counts together, the score test is used instead: a closed formula whose normal approximation is
# excellent at such counts (p-values agree with the E-test to about 1e-4 at the switch; tested).
ETEST_MAX_TOTAL = 1000


def compare_rates(count: int, reference_total: int, reference_periods: int = 1) -> float:
    """Two-sided p-value that ``count`` (one period) and ``reference_total`` (over ``reference_periods``
    periods of the same length) come from the same Poisson rate.

    statsmodels' E-test (exact-style) while ``count + reference_total`` is at most
    ``ETEST_MAX_TOTAL`` (1000); above it, the score test, whose cost does not grow with
    the counts. NaN when both are zero (nothing to compare).

    >>> round(compare_rates(14, 11), 3)
    0.564
    >>> round(compare_rates(20000, 60000, 3), 3)  # a large city: answered at once, without the E-test's grid
    1.0
    """
    if count == 0 and reference_total == 0:
        return math.nan
    from statsmodels.stats.rates import test_poisson_2indep  # heavy: imported only when a test is run

    method = "etest" if count + reference_total <= ETEST_MAX_TOTAL else "score"
    with warnings.catch_warnings():
        # statsmodels divides by a zero reference rate for its ratio estimate; the p-value is still sound
        warnings.simplefilter("ignore", RuntimeWarning)
        result = test_poisson_2indep(count, 1.0, reference_total, float(reference_periods), method=method,
                                     alternative="two-sided")
    return float(result.pvalue)


# --------------------------------------------------------------------------- seasonality

def seasonal_shares(monthly: pd.Series, years: list[int]) -> np.ndarray | None:
    """Each calendar month's share of the counts over ``years`` (12 numbers summing to 1).

    ``monthly`` is indexed by monthly ``pd.Period``. None when a year is missing from
    the data or the total is zero (no pattern to learn).
    """
    totals = np.zeros(12)
    for year in years:
        for m in range(1, 13):
            period = pd.Period(f"{year}-{m:02d}", freq="M")
            if period not in monthly.index:
                return None
            totals[m - 1] += monthly[period]
    if totals.sum() == 0:
        return None
    return totals / totals.sum()


def seasonal_benchmark(annual_by_year: dict[int, float], window: Window, shares: np.ndarray | None) -> float | None:
    """A window's benchmark with the annual benchmark split by seasonal shares instead of 1/12 each.

    >>> shares = np.full(12, 1 / 12)
    >>> seasonal_benchmark({2017: 72}, Window(Month(2017, 2), Month(2017, 3)), shares)
    12.0
    """
    if shares is None:
        return None
    total = 0.0
    for month in window.months:
        if month.year not in annual_by_year:
            return None
        total += float(annual_by_year[month.year]) * float(shares[month.month - 1])
    return total


def pace_probability(ytd_count: int, annual_benchmark: float, last_month: int,
                     shares: np.ndarray | None = None) -> float:
    """Probability the year ends at or under its annual benchmark, given the count so far.

    The remaining months are assumed to run at the benchmark's pace, split by the
    seasonal shares when given (else 1/12 each); their count is Poisson.

    >>> pace_probability(60, 72, 12), pace_probability(73, 72, 12)
    (1.0, 0.0)
    """
    from scipy import stats as sps  # heavy (scipy.stats): imported when a probability is computed

    shares = shares if shares is not None else np.full(12, 1 / 12)
    remaining_mean = float(annual_benchmark) * float(shares[last_month:].sum())
    room = math.floor(float(annual_benchmark) - ytd_count)
    if room < 0:
        return 0.0
    if remaining_mean == 0:
        return 1.0
    return float(sps.poisson.cdf(room, remaining_mean))


# --------------------------------------------------------------------------- control charts

@dataclass(frozen=True)
class ControlSegment:
    """Limits of a c-chart over a stretch of months, and the baseline they came from."""

    first: Month
    last: Month
    baseline_first: Month
    baseline_last: Month
    centre: float
    lower: float
    upper: float


RUN_RULE_MIN_CENTRE = 1.0  # counts a month; below it a run of zero months is what chance gives


def c_chart_limits(baseline_counts: list[float]) -> tuple[float, float, float]:
    """Centre line and 3-sigma limits of a c-chart: c̄ ± 3√c̄, the lower limit floored at 0.

    >>> centre, lower, upper = c_chart_limits([4, 6, 5, 5])
    >>> centre, lower, round(upper, 4)
    (5.0, 0.0, 11.7082)
    """
    centre = float(np.mean(baseline_counts))
    spread = 3 * math.sqrt(centre)
    return centre, max(0.0, centre - spread), centre + spread


def control_chart(monthly: pd.Series, first: Month, last: Month, baseline: tuple[Month, Month],
                  resets: list[Month] = (), baseline_months: int = 12) -> pd.DataFrame:
    """A c-chart of monthly counts from ``first`` to ``last``.

    The limits come from the fixed ``baseline`` months; at each reset month (a strategy
    change named in the params file) new limits come from the first ``baseline_months``
    months from that reset on. Flags: ``outside`` (beyond a limit) and ``run`` (part of a
    run of 8 or more months on one side of the centre line). The run rule is not used where the centre line is
    below :data:`RUN_RULE_MIN_CENTRE` (1 a month): most months are then 0, below the line, by chance alone, so
    every quiet stretch would read as a signal.

    Columns: month, count, centre, lower, upper, outside, run, segment.
    """
    months = Window(first, last).months
    counts = [float(monthly.get(pd.Period(str(m), freq="M"), 0)) for m in months]
    frame = pd.DataFrame({"month": [str(m) for m in months], "count": counts})
    starts = [first] + sorted(r for r in resets if first < r <= last)
    segments: list[ControlSegment] = []
    for i, start in enumerate(starts):
        end = starts[i + 1].shift(-1) if i + 1 < len(starts) else last
        if i == 0:
            b_first, b_last = baseline
        else:
            b_first, b_last = start, min(start.shift(baseline_months - 1), end)
        base = [float(monthly.get(pd.Period(str(m), freq="M"), 0)) for m in Window(b_first, b_last).months]
        segments.append(ControlSegment(start, end, b_first, b_last, *c_chart_limits(base)))
    for column in ("centre", "lower", "upper"):
        frame[column] = np.nan
    frame["segment"] = 0
    for i, seg in enumerate(segments):
        mask = [(seg.first <= m <= seg.last) for m in months]
        frame.loc[mask, ["centre", "lower", "upper"]] = [seg.centre, seg.lower, seg.upper]
        frame.loc[mask, "segment"] = i
    frame["outside"] = (frame["count"] > frame["upper"]) | (frame["count"] < frame["lower"])
    side = np.sign(frame["count"] - frame["centre"]).to_numpy()
    run = np.zeros(len(frame), dtype=bool)
    start = 0
    for i in range(1, len(frame) + 1):
        if i == len(frame) or side[i] != side[start] or side[i] == 0 or frame["segment"].iat[i] != frame["segment"].iat[start]:
            if side[start] != 0 and i - start >= 8 and frame["centre"].iat[start] >= RUN_RULE_MIN_CENTRE:
                run[start:i] = True
            start = i
    frame["run"] = run
    frame.attrs["segments"] = segments
    return frame


# --------------------------------------------------------------------------- minimum detectable change

def minimum_detectable_counts(benchmark: float, alpha: float = VERDICT_ALPHA) -> tuple[int | None, int | None]:
    """The smallest count above, and the largest below, ``benchmark`` that would not be put down to chance.

    >>> minimum_detectable_counts(12)
    (20, 5)
    """
    from scipy import stats as sps  # heavy (scipy.stats): imported when a probability is computed

    if benchmark is None or benchmark <= 0:
        return None, None
    high = math.ceil(benchmark)
    while sps.poisson.sf(high - 1, benchmark) >= alpha:
        high += 1
    low = math.floor(benchmark)
    while low >= 0 and sps.poisson.cdf(low, benchmark) >= alpha:
        low -= 1
    return high, (low if low >= 0 else None)


def stand_out_counts(outcomes: pd.DataFrame, alpha: float = VERDICT_ALPHA) -> pd.DataFrame:
    """Per outcome row with a benchmark: the counts that would stand out from chance against the benchmark that
    decides its mark (the seasonal one when ``decided_by`` is ``seasonal``).

    Columns: the row's ``indicator``, ``window``, ``label``, ``status``; ``benchmark`` (the deciding benchmark as
    shown, rounded), ``benchmark_exact`` (unrounded); ``high`` and ``low`` (:func:`minimum_detectable_counts`;
    NaN when no count qualifies) and ``high_change``, ``low_change``: how far each lies from the benchmark, as a
    fraction of it. Rows without a benchmark are left out; the index is the input's.

    >>> rows = pd.DataFrame({"indicator": ["homicides"], "window": ["period"], "label": ["Homicides"],
    ...                      "status": ["meets"], "benchmark": [12], "benchmark_exact": [12.0]})
    >>> stand_out_counts(rows)[["high", "high_change", "low", "low_change"]].round(4).values.tolist()
    [[20.0, 0.6667, 5.0, 0.5833]]
    """
    with_benchmark = outcomes[outcomes["benchmark_exact"].notna()]
    seasonal = with_benchmark.get("decided_by", pd.Series("", index=with_benchmark.index)).eq("seasonal")
    out = with_benchmark[["indicator", "window", "label", "status"]].copy()
    if "benchmark_seasonal_exact" in with_benchmark:
        out["benchmark"] = with_benchmark["benchmark_seasonal"].where(seasonal, with_benchmark["benchmark"])
        out["benchmark_exact"] = with_benchmark["benchmark_seasonal_exact"].where(
            seasonal, with_benchmark["benchmark_exact"])
    else:
        out["benchmark"], out["benchmark_exact"] = with_benchmark["benchmark"], with_benchmark["benchmark_exact"]
    counts = [minimum_detectable_counts(float(b), alpha) for b in out["benchmark_exact"]]
    out["high"] = [math.nan if high is None else float(high) for high, _ in counts]
    out["low"] = [math.nan if low is None else float(low) for _, low in counts]
    out["high_change"] = out["high"] / out["benchmark_exact"] - 1
    out["low_change"] = 1 - out["low"] / out["benchmark_exact"]
    return out


def add_chance_columns(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Add ``p_vs_benchmark``, ``p_vs_prior_year``, ``p_vs_three_year_average`` and ``verdict`` to outcome rows.

    Needs ``actual``, ``benchmark_exact``, ``prior_year`` and ``three_year_total`` (and, when
    ``decided_by`` is ``seasonal``, ``benchmark_seasonal_exact``: the benchmark the mark is read against).
    Against a benchmark of 0 there is no test: ``p_vs_benchmark`` is NaN and ``verdict`` is ``NOT_TESTED``.
    """
    out = outcomes.copy()
    p_bench, p_prior, p_avg, verdicts = [], [], [], []
    for _, r in out.iterrows():
        if math.isnan(r["actual"]):  # not recorded for this city: nothing to test
            p_bench.append(math.nan), p_prior.append(math.nan), p_avg.append(math.nan), verdicts.append("")
            continue
        actual = int(r["actual"])
        # the chance is read against the benchmark that decides the mark (seasonal when it does)
        expected = r["benchmark_seasonal_exact"] if r.get("decided_by") == "seasonal" else r["benchmark_exact"]
        if not math.isnan(expected) and expected == 0:  # no chance to weigh (see NOT_TESTED)
            p_bench.append(math.nan)
            verdicts.append(NOT_TESTED)
        else:
            p = poisson_tail(actual, expected) if not math.isnan(expected) else math.nan
            p_bench.append(p)
            verdicts.append(verdict(actual, expected, p))
        p_prior.append(compare_rates(actual, int(r["prior_year"])) if not math.isnan(r["prior_year"]) else math.nan)
        total = r.get("three_year_total", math.nan)
        p_avg.append(compare_rates(actual, int(total), 3) if not math.isnan(total) else math.nan)
    out["p_vs_benchmark"] = p_bench
    out["p_vs_prior_year"] = p_prior
    out["p_vs_three_year_average"] = p_avg
    out["verdict"] = verdicts
    return out


def shortfall_chance(numerator: int, denominator: int, target_pct: float) -> float:
    """One-sided binomial probability of a share this low or lower if the true rate were the target.

    E.g. 119 of 135 actions (88%) against a 90% target: about 0.27, so the miss could be
    chance. NaN when there is nothing to test (no denominator, or at or above target).

    >>> round(shortfall_chance(119, 135, 90), 2)
    0.27
    """
    from scipy import stats as sps  # heavy (scipy.stats): imported when a probability is computed

    if not denominator or numerator / denominator * 100 >= target_pct or target_pct >= 100:
        return math.nan
    return float(sps.binomtest(int(numerator), int(denominator), target_pct / 100, alternative="less").pvalue)
