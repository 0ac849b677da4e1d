"""One source for each number the charts repeat: the benchmark lines are the worksheet's benchmarks, and the
history page's year-to-date homicides are the worksheet's count."""
import math

import numpy as np
import pytest
from matplotlib.collections import LineCollection

from ceasefire_analysis.charts import BENCHMARK_COLOUR, monthly_counts_chart, year_to_date_curves
from ceasefire_analysis.history import homicides_chart
from ceasefire_analysis.indicators import lookup, outcome_benchmarks
from ceasefire_analysis.loading import load_data_dir
from ceasefire_analysis.periods import Month, Window
from ceasefire_analysis.review import PeriodReview


@pytest.fixture
def seasonal_city(make_city, city_params):
    """Homicides 2014-2016: one a month and two more each March (14 a year), so each month's share of the
    three years is 3/42 = 1/14 and March's 9/42 = 3/14; 2017 has a few, to 31 March."""
    rows = []
    for year in (2014, 2015, 2016):
        rows += [{"incident_id": f"H{year}{m:02d}", "occurred_on": f"{year}-{m:02d}-10", "incident_type": "homicide"}
                 for m in range(1, 13)]
        rows += [{"incident_id": f"H{year}X{i}", "occurred_on": f"{year}-03-2{i}", "incident_type": "homicide"}
                 for i in (1, 2)]
    rows += [{"incident_id": f"H2017{i}", "occurred_on": day, "incident_type": "homicide"}
             for i, day in enumerate(["2017-01-05", "2017-02-11", "2017-03-31"])]
    folder = make_city(incidents=rows)

    def review(**values) -> PeriodReview:
        # the extract covers 2014 from 1 January (its first homicide is on the 10th): three whole years
        params = city_params(folder, annual_benchmarks={"homicides": {2017: 28}}, data_from="2014-01-01", **values)
        return PeriodReview(params=params, data=load_data_dir(folder), params_label="test")

    return review


def benchmark_lines(chart) -> list[tuple[float, float, float]]:
    """(x from, x to, y) of every benchmark line drawn on a monthly chart, left to right."""
    ax = chart.figure.axes[0]
    lines = [c for c in ax.collections if isinstance(c, LineCollection)
             and np.allclose(c.get_colors()[0][:3], _rgb(BENCHMARK_COLOUR))]
    return sorted((float(s[0][0]), float(s[1][0]), float(s[0][1])) for c in lines for s in c.get_segments())


def _rgb(colour: str) -> tuple[float, float, float]:
    return tuple(int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))


def test_seasonal_chart_lines_are_the_worksheets_month_shares(seasonal_city):
    review = seasonal_city(seasonal_benchmarks=True)
    table = review.indicators
    # hand-computed: 28 a year split 1/14 a month, March 3/14: Jan 2, Feb 2, Mar 6
    assert lookup(table, "homicides", "period", "benchmark_seasonal_exact") == pytest.approx(2 + 6)
    assert lookup(table, "homicides", "ytd", "benchmark_seasonal_exact") == pytest.approx(2 + 2 + 6)
    assert lookup(table, "homicides", "period", "decided_by") == "seasonal"

    pace = year_to_date_curves(review, "homicides")["benchmark_pace"].tolist()
    assert pace == pytest.approx([2, 4, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28])
    assert pace[2] == pytest.approx(lookup(table, "homicides", "ytd", "benchmark_seasonal_exact"))

    lines = benchmark_lines(monthly_counts_chart(review, "homicides"))  # Apr 2016 - Mar 2017, one line a month
    assert len(lines) == 12 and all(b - a == pytest.approx(0.9) for a, b, _ in lines)
    # 2016 has no benchmark given: its 2015 count (14) less 10% is 13 (12.6 rounded half up), split the same way
    assert [y for _, _, y in lines[:9]] == pytest.approx([13 / 14] * 9)
    assert [y for _, _, y in lines[9:]] == pytest.approx([2, 2, 6])
    assert sum(y for _, _, y in lines[10:]) == pytest.approx(
        lookup(table, "homicides", "period", "benchmark_seasonal_exact"))


def test_even_months_chart_lines_are_a_twelfth_as_before(seasonal_city):
    review = seasonal_city()
    pace = year_to_date_curves(review, "homicides")["benchmark_pace"].tolist()
    assert pace == pytest.approx([28 * m / 12 for m in range(1, 13)])
    assert pace[2] == pytest.approx(lookup(review.indicators, "homicides", "ytd", "benchmark_exact"))
    lines = benchmark_lines(monthly_counts_chart(review, "homicides"))
    assert [round(y, 6) for _, _, y in lines] == [round(13 / 12, 6), round(28 / 12, 6)]  # one line a year
    assert lines[1][1] - lines[1][0] == pytest.approx(2.9)  # Jan-Mar 2017


def test_seasonal_benchmarks_need_three_covered_years_else_the_even_split_decides(seasonal_city):
    review = seasonal_city(seasonal_benchmarks=True, seasonal_years=4)  # 2013 is not in the data
    benchmarks = outcome_benchmarks(review.data, review.params, "homicides", [2017])
    assert benchmarks.shares is None
    assert benchmarks.month(Month(2017, 3)) == pytest.approx(28 / 12)
    assert benchmarks.deciding(Window(Month(2017, 2), Month(2017, 3))) == pytest.approx(
        lookup(review.indicators, "homicides", "period", "benchmark_exact"))
    assert benchmarks.month(Month(2015, 3)) is None  # no 2015 benchmark: no whole 2014 count asked for


def test_the_history_star_is_the_worksheets_year_to_date_count(demo_params, demo_data, demo_indicators):
    def star_height(review):
        series = review.history["homicides"]
        ax = homicides_chart(series[series["year"] < 2017], review).figure.axes[0]
        bars = [p for p in ax.patches if p.get_hatch() == "///"]
        assert len(bars) == 1 and bars[0].get_x() + bars[0].get_width() / 2 == 2017
        return bars[0].get_height()

    review = PeriodReview(params=demo_params, data=demo_data, params_label="demo", _indicators=demo_indicators)
    assert star_height(review) == lookup(demo_indicators, "homicides", "ytd") == 16  # the seed's count
    # the star reads the table the worksheet shows: a table that said 99 would put the star at 99
    told = demo_indicators.copy()
    told.loc[(told["indicator"] == "homicides") & (told["window"] == "ytd"), "actual"] = 99
    assert star_height(PeriodReview(params=demo_params, data=demo_data, params_label="demo", _indicators=told)) == 99
    # a city whose table has no count (homicides not recorded) gets no star rather than a zero
    told.loc[(told["indicator"] == "homicides") & (told["window"] == "ytd"), "actual"] = math.nan
    review = PeriodReview(params=demo_params, data=demo_data, params_label="demo", _indicators=told)
    ax = homicides_chart(review.history["homicides"], review).figure.axes[0]
    assert not [p for p in ax.patches if p.get_hatch() == "///"]

