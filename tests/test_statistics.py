"""Chance, seasonality, pace and control limits against scipy/statsmodels and hand calculation."""
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from scipy.special import gammaln

from ceasefire_analysis.indicators import lookup
from ceasefire_analysis.periods import Month, Window
from ceasefire_analysis.statistics import (
    HIGHER, LOWER, WITHIN, c_chart_limits, compare_rates, control_chart, minimum_detectable_counts,
    pace_probability, poisson_tail, seasonal_benchmark, seasonal_shares, verdict,
)


def test_poisson_tail_against_scipy():
    assert poisson_tail(14, 12) == pytest.approx(0.318, abs=0.001)  # "about a 1 in 3 chance"
    assert poisson_tail(14, 12) == pytest.approx(1 - sps.poisson.cdf(13, 12))
    assert poisson_tail(63, 76.75) == pytest.approx(sps.poisson.cdf(63, 76.75))
    assert poisson_tail(12, 12) == pytest.approx(sps.poisson.sf(11, 12))  # a tie reads upwards
    assert poisson_tail(0, 0) == 1.0 and poisson_tail(2, 0) == 0.0
    assert math.isnan(poisson_tail(3, math.nan))


def test_verdicts_at_the_threshold():
    assert verdict(14, 12, poisson_tail(14, 12)) == WITHIN
    assert verdict(20, 12, poisson_tail(20, 12)) == HIGHER  # P(X >= 20 | 12) = 0.021
    assert verdict(19, 12, poisson_tail(19, 12)) == WITHIN  # P(X >= 19 | 12) = 0.037
    assert verdict(5, 12, poisson_tail(5, 12)) == LOWER
    assert verdict(1, 1, math.nan) == ""


def etest_by_definition(count: int, reference_total: int, reference_periods: int) -> float:
    """The E-test p-value written out from its definition (Krishnamoorthy & Thomson 2004), by brute force.

    Under "same rate", both counts are Poisson with the pooled rate (count + reference) / (1 + periods)
    per period; the p-value is the chance, at that rate, of a score statistic
    (x1 - x2 / t) / sqrt((x1 + x2) / t) at least as far from 0 as the one observed.
    """
    t = reference_periods
    rate = (count + reference_total) / (1 + t)

    def grid(mean: float) -> np.ndarray:  # every count with a chance worth adding, at the pooled rate
        return np.arange(int(mean + 15 * math.sqrt(mean) + 50))

    def pmf(k: np.ndarray, mean: float) -> np.ndarray:
        return np.exp(k * math.log(mean) - mean - gammaln(k + 1))

    x1, x2 = grid(rate)[:, None], grid(rate * t)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.where(x1 + x2 > 0, (x1 - x2 / t) / np.sqrt((x1 + x2) / t), 0.0)
    observed = abs(count - reference_total / t) / math.sqrt((count + reference_total) / t)
    chance = pmf(grid(rate), rate)[:, None] * pmf(grid(rate * t), rate * t)[None, :]
    return float(chance[np.abs(score) >= observed - 1e-12].sum())


def score_test_by_formula(count: int, reference_total: int, reference_periods: int) -> float:
    """Two-sided p-value of the score statistic above against the normal distribution."""
    t = reference_periods
    z = (count - reference_total / t) / math.sqrt((count + reference_total) / t)
    return math.erfc(abs(z) / math.sqrt(2))


def test_rate_comparison_is_the_e_test_by_its_definition():
    assert compare_rates(14, 11) == pytest.approx(etest_by_definition(14, 11, 1), rel=1e-9)
    assert compare_rates(14, 11) == pytest.approx(0.564, abs=5e-4)
    assert compare_rates(14, 36, 3) == pytest.approx(etest_by_definition(14, 36, 3), rel=1e-9)
    assert compare_rates(30, 12) == pytest.approx(etest_by_definition(30, 12, 1), rel=1e-9)
    assert compare_rates(30, 12) < 0.05 < compare_rates(14, 11)  # 30 against 12 is beyond chance
    assert compare_rates(12, 36, 3) == pytest.approx(1.0)  # exactly the reference rate
    assert math.isnan(compare_rates(0, 0))


def _monthly(values_by_year):
    index, values = [], []
    for year, vals in values_by_year.items():
        for m, v in enumerate(vals, start=1):
            index.append(pd.Period(f"{year}-{m:02d}", freq="M"))
            values.append(v)
    return pd.Series(values, index=pd.PeriodIndex(index, freq="M"))


def test_seasonal_split_sums_to_the_annual_benchmark():
    monthly = _monthly({2014: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 2015: [12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1],
                        2016: [0] * 6 + [13] * 6})
    shares = seasonal_shares(monthly, [2014, 2015, 2016])
    assert shares.sum() == pytest.approx(1.0)
    assert shares[0] == pytest.approx(13 / 234)  # January: 1 + 12 + 0 of 78 + 78 + 78
    full_year = Window(Month(2017, 1), Month(2017, 12))
    assert seasonal_benchmark({2017: 72}, full_year, shares) == pytest.approx(72)
    assert seasonal_benchmark({2017: 72}, Window(Month(2017, 1), Month(2017, 1)), shares) == pytest.approx(72 * 13 / 234)
    assert seasonal_shares(monthly, [2013, 2014]) is None  # a year outside the data
    assert seasonal_shares(_monthly({2014: [0] * 12}), [2014]) is None


def test_pace_probability():
    assert pace_probability(60, 72, 12) == 1.0  # December: the year is known
    assert pace_probability(73, 72, 6) == 0.0  # already over
    probabilities = [pace_probability(ytd, 72, 3) for ytd in range(10, 30)]
    assert all(a >= b for a, b in zip(probabilities, probabilities[1:])) and probabilities[0] > probabilities[-1]
    # hand: 16 so far by March, 54 expected in April-December: P(X <= 56 | 54)
    assert pace_probability(16, 72, 3) == pytest.approx(sps.poisson.cdf(56, 54))


def test_c_chart_limits_by_hand():
    centre, lower, upper = c_chart_limits([4, 9, 5, 6])
    assert centre == 6.0
    assert upper == pytest.approx(6 + 3 * math.sqrt(6)) and lower == 0.0  # 6 - 7.35 floored
    centre, lower, upper = c_chart_limits([100, 100])
    assert (lower, upper) == (70.0, 130.0)


def test_control_chart_flags_and_resets():
    values = {2015: [9] * 12, 2016: [9, 9, 30] + [4] * 9}
    monthly = _monthly(values)
    chart = control_chart(monthly, Month(2015, 1), Month(2016, 12), (Month(2015, 1), Month(2015, 12)))
    assert chart["centre"].iloc[0] == 9 and chart["upper"].iloc[0] == pytest.approx(18)
    assert chart.loc[chart["month"] == "2016-03", "outside"].item()  # 30 > 18
    assert chart.loc[chart["month"] == "2016-04", "run"].item()  # 9 months of 4 below the centre
    assert not chart.loc[chart["month"] == "2015-06", "run"].item()  # on the centre line: no side
    reset = control_chart(monthly, Month(2015, 1), Month(2016, 12), (Month(2015, 1), Month(2015, 12)),
                          resets=[Month(2016, 4)], baseline_months=6)
    late = reset[reset["month"] == "2016-10"].iloc[0]
    assert late["centre"] == 4 and late["segment"] == 1 and not late["run"]  # the new baseline absorbs the shift


def test_no_run_rule_below_a_centre_line_of_one():
    """reader2 R5: with 0.1 homicides a month every quiet stretch was "a run of 8"; from 1 up the rule holds."""
    rare = _monthly({2018: [1] + [0] * 11, 2019: [0] * 12})
    chart = control_chart(rare, Month(2018, 1), Month(2019, 12), (Month(2018, 1), Month(2018, 12)))
    assert chart["centre"].iloc[0] == pytest.approx(1 / 12) and not chart["run"].any()
    steady = _monthly({2018: [1, 1, 2, 1, 0, 1, 1, 2, 1, 1, 0, 1], 2019: [0] * 12})  # centre exactly 1
    chart = control_chart(steady, Month(2018, 1), Month(2019, 12), (Month(2018, 1), Month(2018, 12)))
    assert chart["centre"].iloc[0] == 1 and chart.loc[chart["month"] == "2019-06", "run"].item()


def test_minimum_detectable_counts_by_hand():
    assert minimum_detectable_counts(12) == (20, 5)
    high, low = minimum_detectable_counts(51.17)
    assert sps.poisson.sf(high - 1, 51.17) < 0.025 <= sps.poisson.sf(high - 2, 51.17)
    assert sps.poisson.cdf(low, 51.17) < 0.025 <= sps.poisson.cdf(low + 1, 51.17)
    assert minimum_detectable_counts(0.5) == (3, None)
    assert minimum_detectable_counts(0) == (None, None)


def test_demo_worksheet_verdicts(demo_indicators):
    assert lookup(demo_indicators, "homicides", "period", "p_vs_benchmark") == pytest.approx(0.318, abs=0.001)
    assert lookup(demo_indicators, "homicides", "period", "verdict") == WITHIN
    assert lookup(demo_indicators, "homicides", "period", "status") == "does_not_meet"  # the seed's rule stays
    assert lookup(demo_indicators, "homicides", "period", "benchmark_exact") == 12
    assert lookup(demo_indicators, "homicides", "period", "decided_by") == "flat"


def test_seasonal_benchmark_decides_the_mark_when_asked(demo_params, demo_data):
    import dataclasses
    from ceasefire_analysis.indicators import build_indicators

    table = build_indicators(demo_data, dataclasses.replace(demo_params, seasonal_benchmarks=True))
    seasonal = lookup(table, "homicides", "period", "benchmark_seasonal_exact")
    # Feb-Mar share of 2014-2016 homicides: (6+7 + 5+7 + 5+6) / (80+85+85) = 36/250
    assert seasonal == pytest.approx(72 * 36 / 250)
    # non-fatal shootings, Feb-Mar: 45 meets the flat 51 but not the seasonal 43, and the seasonal one decides
    assert lookup(table, "nonfatal_injury_shootings", "period", "benchmark") == 51
    assert lookup(table, "nonfatal_injury_shootings", "period", "benchmark_seasonal") == 43
    assert lookup(table, "nonfatal_injury_shootings", "period", "status") == "does_not_meet"
    assert lookup(table, "nonfatal_injury_shootings", "period", "status_flat") == "meets"
    assert lookup(table, "nonfatal_injury_shootings", "period", "decided_by") == "seasonal"
    # the chance is read against the benchmark that decides: P(X >= 45 | mean 42.52)
    from scipy import stats
    assert lookup(table, "nonfatal_injury_shootings", "period", "p_vs_benchmark") == pytest.approx(
        stats.poisson.sf(44, lookup(table, "nonfatal_injury_shootings", "period", "benchmark_seasonal_exact")))


# --------------------------------------------------------------------------- bounded rate comparisons (issue 19)

@pytest.mark.parametrize("count,reference,periods", [(480, 520, 1), (430, 570, 1), (260, 740, 3), (200, 800, 3)])
def test_the_score_test_above_the_switch_agrees_with_the_e_test_at_it(count, reference, periods):
    from ceasefire_analysis.statistics import ETEST_MAX_TOTAL, compare_rates

    assert count + reference == ETEST_MAX_TOTAL  # the largest totals still given the E-test
    etest = compare_rates(count, reference, periods)
    # within 5e-4: at these sizes statsmodels can drop a count pair whose statistic ties the observed one
    # (rounding of x2 * (1/3)); the definition counts ties, each worth about 3e-4 here
    assert etest == pytest.approx(etest_by_definition(count, reference, periods), abs=5e-4)
    assert abs(etest - score_test_by_formula(count, reference, periods)) < 1e-3
    # one more event crosses the switch: the score test answers, and the E-test would have said the same
    above = compare_rates(count + 1, reference, periods)
    assert above == pytest.approx(score_test_by_formula(count + 1, reference, periods), rel=1e-9)
    assert abs(above - etest_by_definition(count + 1, reference, periods)) < 1e-3


def test_a_huge_count_gets_a_sound_answer_without_the_e_test_grid(monkeypatch):
    import statsmodels.stats.rates as rates

    from ceasefire_analysis.statistics import compare_rates

    def no_grid(*args, **kwargs):  # the E-test at these counts would need tens of gigabytes
        raise AssertionError("the E-test was used for a huge count")

    monkeypatch.setattr(rates, "etest_poisson_2indep", no_grid)
    assert compare_rates(50_000, 150_000, 3) == pytest.approx(1.0)
    assert compare_rates(50_000, 165_000, 3) < 1e-20  # 10% above the 3-year average at this size is no chance
    assert 0.05 < compare_rates(50_000, 149_000, 3) < 0.5


def test_stand_out_counts_by_hand_with_the_deciding_benchmark():
    """Against 12: P(X>=20) = 0.0213 < 2.5% <= P(X>=19) and P(X<=5) = e^-12 (1 + 12 + 72 + 288 + 864 + 2073.6)
    = 0.0203 < 2.5% <= P(X<=6); against 2: P(X>=6) = 1 - 7e^-2 - (4/15)e^-2 = 0.0166, P(X>=5) = 0.0527, and
    even 0 has P(X<=0) = e^-2 = 0.135, so no count is low enough. A seasonal row is read against its seasonal
    benchmark; a row without a benchmark is left out."""
    from ceasefire_analysis.statistics import stand_out_counts

    outcomes = pd.DataFrame({
        "indicator": ["homicides", "homicides", "nonfatal_injury_shootings", "non_injury_shootings"],
        "window": ["ytd", "period", "period", "period"], "label": ["H", "H", "N", "X"],
        "status": ["meets", "incomplete", "does_not_meet", ""],
        "benchmark": [13, 7, 30, math.nan], "benchmark_exact": [12.6, 7.0, 30.0, math.nan],
        "benchmark_seasonal": [12, math.nan, 2, math.nan], "benchmark_seasonal_exact": [12.0, math.nan, 2.0, math.nan],
        "decided_by": ["seasonal", "flat", "seasonal", ""]})
    table = stand_out_counts(outcomes)
    assert list(table.index) == [0, 1, 2]
    first, third = table.loc[0], table.loc[2]
    assert (first["benchmark"], first["benchmark_exact"], first["high"], first["low"]) == (12, 12.0, 20, 5)
    assert first["high_change"] == pytest.approx(8 / 12) and first["low_change"] == pytest.approx(7 / 12)
    assert (third["benchmark"], third["high"], third["high_change"]) == (2, 6, 2.0)
    assert math.isnan(third["low"]) and math.isnan(third["low_change"])
    assert table.loc[1, "benchmark"] == 7 and table.loc[1, "status"] == "incomplete"  # the flat one decides
    assert sps.poisson.sf(5, 2.0) == pytest.approx(1 - math.exp(-2) * (7 + 4 / 15))  # the hand sum above


# --------------------------------------------------------------------------- a benchmark of 0 (F15)

def test_a_benchmark_of_zero_is_not_tested_for_chance_but_the_mark_still_compares():
    from ceasefire_analysis.statistics import NOT_TESTED, add_chance_columns

    rows = pd.DataFrame({"actual": [1.0, 0.0, 1.0, 1.0], "benchmark_exact": [0.0, 0.0, 3.0, 0.5],
                         "decided_by": ["flat", "flat", "seasonal", "flat"],
                         "benchmark_seasonal_exact": [math.nan, math.nan, 0.0, math.nan],
                         "prior_year": [0.0, 0.0, 2.0, 1.0], "three_year_total": [math.nan] * 4})
    out = add_chance_columns(rows)
    # rate 0: no chance can be weighed, whatever the count (before: 'under 1%', 'higher than expected')
    assert list(out["verdict"][:3]) == [NOT_TESTED] * 3
    assert out["p_vs_benchmark"][:3].isna().all()
    # rate 0.5, one event: P(X >= 1) = 1 - exp(-0.5) = 0.3935, by hand
    assert out["p_vs_benchmark"][3] == pytest.approx(1 - math.exp(-0.5))
    assert out["verdict"][3] == "within normal variation"
    # the E-test against the year before is unchanged (1 vs 0 is a comparison of two counts, not of a rate 0)
    assert not math.isnan(out["p_vs_prior_year"][0])


def test_one_homicide_against_a_derived_benchmark_of_zero_reads_not_tested_on_the_pages(make_city):
    from ceasefire_analysis.indicators import lookup
    from ceasefire_analysis.review import open_review
    from ceasefire_analysis.tables import headline_html, outcome_worksheet_html

    incidents = ([{"incident_id": f"N-{y}-{m}", "occurred_on": f"{y}-{m:02d}-10",
                   "incident_type": "nonfatal_injury_shooting"} for y in (2014, 2015, 2016) for m in range(1, 13)]
                 + [{"incident_id": "N-first", "occurred_on": "2014-01-01", "incident_type": "nonfatal_injury_shooting"}]
                 + [{"incident_id": "H-1", "occurred_on": "2014-10-03", "incident_type": "homicide"},
                    {"incident_id": "H-2", "occurred_on": "2014-12-03", "incident_type": "homicide"},
                    {"incident_id": "H-3", "occurred_on": "2017-02-10", "incident_type": "homicide"},
                    {"incident_id": "N-last", "occurred_on": "2017-03-31", "incident_type": "nonfatal_injury_shooting"}])
    folder = make_city(incidents=incidents)
    review = open_review(None, city="Smallville", period_start="2017-02", period_end="2017-03", data_dir=str(folder))
    table = review.indicators
    # 2016 had no homicide: the derived 2017 benchmark is 0, prorated 0; one homicide does not meet it
    assert lookup(table, "homicides", "period", "benchmark") == 0
    assert lookup(table, "homicides", "period", "status") == "does_not_meet"
    assert lookup(table, "homicides", "period", "verdict") == "not tested"
    assert math.isnan(lookup(table, "homicides", "period", "p_vs_benchmark"))
    for page in (headline_html(review), outcome_worksheet_html(review).data):
        assert "Not tested for chance: a benchmark of 0 expects no events at all" in page
        assert "Higher than expected" not in page
    # seasonal: the prior years' homicides fell in Oct and Dec, so Feb-Mar's seasonal share is 0
    review = open_review(None, city="Smallville", period_start="2017-02", period_end="2017-03", data_dir=str(folder),
                         annual_benchmarks={"homicides": {2017: 3}}, seasonal_benchmarks=True, seasonal_years=3)
    table = review.indicators
    assert lookup(table, "homicides", "period", "decided_by") == "seasonal"
    assert lookup(table, "homicides", "period", "benchmark_seasonal") == 0
    assert lookup(table, "homicides", "period", "verdict") == "not tested"
    assert "the seasonal benchmark of 0" in headline_html(review)
