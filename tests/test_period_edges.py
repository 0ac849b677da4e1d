"""Reader findings on partial extracts and year-boundary periods (reader review 5-9)."""
import dataclasses
import datetime as dt

import pytest

from ceasefire_analysis.indicators import lookup
from ceasefire_analysis.periods import ReviewWindows


@pytest.fixture(scope="module")
def year_boundary_review(demo_params, demo_data):
    from ceasefire_analysis.review import PeriodReview

    params = dataclasses.replace(demo_params, windows=ReviewWindows.from_months("2016-12", "2017-01"))
    return PeriodReview(params=params, data=demo_data, params_label="demo Dec-Jan")


def test_a_derived_december_benchmark_is_said_on_the_page_and_in_the_csv(year_boundary_review):
    from ceasefire_analysis.tables import headline_html, outcome_worksheet_html

    table = year_boundary_review.indicators
    note = "Dec 2016 part: 2015 count less 10% — no 2016 benchmark set"
    for indicator in ("homicides", "nonfatal_injury_shootings"):
        assert lookup(table, indicator, "period", "benchmark_note") == note
        assert lookup(table, indicator, "ytd", "benchmark_note") == ""  # Jan 2017: the given benchmark
    assert note in outcome_worksheet_html(year_boundary_review).data
    assert note in headline_html(year_boundary_review)


@pytest.fixture(scope="module")
def cut_review(demo_params, demo_data):
    """The demo period as if the extract had been taken on 15 March 2017."""
    from ceasefire_analysis.coverage import data_coverage_of
    from ceasefire_analysis.review import PeriodReview

    params = dataclasses.replace(demo_params, data_through=dt.date(2017, 3, 15))
    return PeriodReview(params=params, data=demo_data, params_label="demo cut",
                        coverage=data_coverage_of(demo_data.tables, params.data_through))


def _legend_texts(chart) -> list[str]:
    return [t.get_text() for legend in [*chart.figure.legends, *(ax.get_legend() for ax in chart.figure.axes)]
            if legend is not None for t in legend.get_texts()]


def test_the_safe_city_count_of_a_cut_extract_runs_to_the_extract_date(cut_review):
    from ceasefire_analysis.focus_report import safe_city_html

    assert "partial year: counted to 15 Mar 2017" in safe_city_html(cut_review).data
    row = cut_review.indicators.query("indicator == 'safe_city_shootings' and window_start == '2017-01-01'")
    assert row["window_end"].tolist() == ["2017-03-15"]


def test_a_partial_month_is_drawn_as_partial_in_every_monthly_chart(cut_review):
    from ceasefire_analysis.charts import control_chart_figure, monthly_counts_chart, year_to_date_chart

    bars = monthly_counts_chart(cut_review, "homicides")
    assert any("1–15 Mar only (partial month" in t for t in _legend_texts(bars))
    hatched = [p for p in bars.figure.axes[0].patches if p.get_hatch() == "xx"]
    assert len(hatched) == 1 and hatched[0].get_facecolor()[:3] == (1.0, 1.0, 1.0)
    assert any("1–15 Mar only" in t for t in _legend_texts(year_to_date_chart(cut_review, "homicides")))
    control = control_chart_figure(cut_review, "nonfatal_injury_shootings")
    assert any("not judged against the limits" in t for t in _legend_texts(control))
    # the judged line stops at February: March's half-month count is not a monthly count
    line = control.figure.axes[0].get_lines()[0]
    assert len(line.get_xdata()) == 38  # Jan 2014 .. Feb 2017


def test_month_by_month_across_a_year_boundary_shows_both_review_months_by_year(year_boundary_review):
    from ceasefire_analysis.charts import CURRENT_COLOUR, monthly_counts_chart
    from matplotlib.colors import to_rgba

    chart = monthly_counts_chart(year_boundary_review, "homicides")
    ax = chart.figure.axes[0]
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks[0] == "Feb 2016" and ticks[-2:] == ["Dec 2016", "Jan 2017"]
    review_bars = [p for p in ax.patches if p.get_facecolor() == to_rgba(CURRENT_COLOUR)]
    assert len(review_bars) == 2
    # the review months stand beside the same months a year earlier (Dec 2015, Jan 2016), not as "last year"
    heights = sorted(p.get_height() for p in review_bars)
    assert heights == sorted([_count(year_boundary_review, "2016-12"), _count(year_boundary_review, "2017-01")])
    assert any("2016 benchmark per month" in t and "2015 count less 10%" in t for t in _legend_texts(chart))


def _count(review, month: str) -> float:
    import pandas as pd

    from ceasefire_analysis.counts import monthly_counts
    from ceasefire_analysis.indicators import OUTCOME_INDICATORS

    return float(monthly_counts(review.data).loc[pd.Period(month, freq="M"), OUTCOME_INDICATORS["homicides"]])


def test_a_window_counted_so_far_is_compared_with_the_same_days_earlier(make_city, city_params):
    from ceasefire_analysis.indicators import build_indicators
    from ceasefire_analysis.loading import load_data_dir

    days = ["2014-01-01", "2014-03-15", "2014-03-16", "2015-02-01", "2015-03-31", "2016-02-29", "2016-03-15",
            "2016-03-16", "2016-03-31", "2017-01-05", "2017-03-15"]
    rows = [{"incident_id": f"C-{i}", "occurred_on": d, "incident_type": "homicide"} for i, d in enumerate(days)]
    folder = make_city(incidents=rows)
    params = city_params(folder, data_through="2017-03-15", annual_benchmarks={"homicides": {2017: 24}})
    table = build_indicators(load_data_dir(folder, use_cache=False), params)
    # 1 Jan-15 Mar 2016: 29 Feb and 15 Mar (a tie on the last day); the 16th and 31st are after the cut
    assert lookup(table, "homicides", "ytd", "prior_year") == 2
    assert lookup(table, "homicides", "period", "prior_year") == 2
    # 1 Jan-15 Mar of 2014, 2015, 2016: 2 + 1 + 2 = 5 -> 5/3 -> 2
    assert lookup(table, "homicides", "ytd", "three_year_total") == 5
    assert lookup(table, "homicides", "ytd", "compared_through") == "2016-03-15"
    # a complete extract keeps whole months
    whole = build_indicators(load_data_dir(folder, use_cache=False),
                             city_params(folder, data_through="2017-03-31", annual_benchmarks={"homicides": {2017: 24}}))
    assert lookup(whole, "homicides", "ytd", "prior_year") == 4
    assert lookup(whole, "homicides", "ytd", "compared_through") == ""


def test_worksheet_one_of_a_cut_extract_labels_the_same_days_and_withholds_thresholds(cut_review):
    from ceasefire_analysis.tables import how_to_read_html, outcome_worksheet_html

    page = outcome_worksheet_html(cut_review).data
    # as many days as 1 Jan-15 Mar 2017 (74), ending on 15 March: 2016 has a 29 February, so from 2 January (N14)
    assert "(same days: 2 Jan–15 Mar 2016)" in page and "(same days: 2 Feb–15 Mar 2016)" in page
    assert "(same days: 1 Jan–15 Mar 2014 to 2 Jan–15 Mar 2016)" in page
    assert "(Jan–Mar 2016)" not in page
    read = how_to_read_html(cut_review).data
    assert "or fewer" not in read and "or more" not in read
    assert "Not shown: the window is not complete (so far, data through 15 Mar 2017)" in read


def _staffing_city(make_city, snapshot_day: str):
    from ceasefire_analysis.review import open_review

    staffing = [{"as_of": "2016-06-30", "unit": "A1", "unit_group": "area", "authorized": 10, "filled": 10},
                {"as_of": snapshot_day, "unit": "A1", "unit_group": "area", "authorized": 10, "filled": 8}]
    rows = [{"incident_id": f"C-{i}", "occurred_on": d, "incident_type": "homicide"}
            for i, d in enumerate(["2016-01-05", "2017-01-05", "2017-03-20"])]
    folder = make_city(incidents=rows, staffing=staffing)
    return open_review(None, city="Testville", data_dir=str(folder), data_through="2017-03-31",
                       period_start="2017-02", period_end="2017-03")


def test_staffing_is_dated_by_its_snapshot_and_a_snapshot_before_the_period_gets_no_mark(make_city):
    from ceasefire_analysis.tables import activity_worksheet_html, headline_html

    review = _staffing_city(make_city, "2016-12-31")
    table = review.indicators
    assert lookup(table, "staffing_pct_area", "as_of", "window_end") == "2016-12-31"
    assert lookup(table, "staffing_pct_area", "as_of", "status") == ""
    assert lookup(table, "staffing_pct_area", "as_of", "benchmark_note") == (
        "no staffing report in the period: the latest is from 31 Dec 2016")
    assert any("Staffing figures come from a report dated 31 Dec 2016" in w for w in review.warnings)
    page = activity_worksheet_html(review).data
    assert "at 31 Dec 2016 (latest staffing report):<br>80% (8 of 10)" in page
    assert "No mark: no staffing report in the period" in page
    assert "at 31 Dec 2016 (latest staffing report)" in headline_html(review)
    assert "at 31 Mar 2017 (latest" not in headline_html(review)


def test_a_staffing_snapshot_inside_the_period_is_marked_and_dated(make_city):
    review = _staffing_city(make_city, "2017-02-28")
    assert lookup(review.indicators, "staffing_pct_area", "as_of", "window_end") == "2017-02-28"
    assert lookup(review.indicators, "staffing_pct_area", "as_of", "status") == "does_not_meet"
    assert not any("Staffing figures come" in w for w in review.warnings)
