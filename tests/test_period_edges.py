"""Reader findings on partial extracts and year-boundary periods (reader review 5-9)."""
import dataclasses

import pytest

from ceasefire_analysis.indicators import lookup
from ceasefire_analysis.periods import ReviewPeriod


@pytest.fixture(scope="module")
def year_boundary_review(demo_params, demo_data):
    from ceasefire_analysis.review import PeriodReview

    params = dataclasses.replace(demo_params, review=ReviewPeriod.from_months("2016-12", "2017-01"))
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
