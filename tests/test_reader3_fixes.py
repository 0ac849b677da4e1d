"""Reader review 3 (N1, N3, N9, N10, N11, N14, N5, N13): each finding's fix, on small hand-made cities."""
from __future__ import annotations

import math

import pytest

from ceasefire_analysis.charts import Chart, control_chart_figure, year_to_date_curves
from ceasefire_analysis.indicators import lookup, outcome_pace
from ceasefire_analysis.loading import load_data_dir
from ceasefire_analysis.review import PeriodReview
from ceasefire_analysis.schema import DOES_NOT_MEET, MEETS


def incident(i: str, day: str, kind: str = "homicide") -> dict:
    return {"incident_id": i, "occurred_on": day, "incident_type": kind}


@pytest.fixture
def gap_year_city(make_city, city_params):
    """An incident-only city whose export has no record at all in 2016 (a lost annual file): 2015 has one homicide
    and one non-fatal shooting a month, 2017 three homicides and two non-fatal shootings in Feb-Mar."""
    rows = [incident(f"H15{m:02d}", f"2015-{m:02d}-10") for m in range(1, 13)]
    rows += [incident(f"N15{m:02d}", f"2015-{m:02d}-11", "nonfatal_injury_shooting") for m in range(1, 13)]
    rows += [incident("H1", "2017-02-03"), incident("H2", "2017-03-04"), incident("H3", "2017-03-20"),
             incident("N1", "2017-02-05", "nonfatal_injury_shooting"),
             incident("N2", "2017-03-06", "nonfatal_injury_shooting")]
    folder = make_city("gap_year", incidents=rows, communications=None, case_management=None, staffing=None,
                       meetings=None)

    def review(**values) -> PeriodReview:
        params = city_params(folder, data_from="2015-01-01", data_through="2017-03-31", **values)
        return PeriodReview(params=params, data=load_data_dir(folder), params_label="test")

    review.folder = folder
    return review


@pytest.mark.parametrize("indicator", ["homicides", "nonfatal_injury_shootings"])
@pytest.mark.parametrize("window", ["period", "ytd"])
def test_no_benchmark_is_derived_from_a_year_without_any_record(gap_year_city, indicator, window):
    table = gap_year_city().indicators
    # 2016 holds no incident of any kind: "2016 count less 10%" would be 0, and 3 homicides would "not meet" it
    assert math.isnan(lookup(table, indicator, window, "benchmark"))
    assert lookup(table, indicator, window, "status") not in (MEETS, DOES_NOT_MEET)
    assert lookup(table, indicator, window, "verdict") == ""
    assert math.isnan(lookup(table, indicator, window, "p_vs_benchmark"))
    assert lookup(table, indicator, window, "benchmark_note") == (
        "no benchmark: no records for 2016 (check the extract), and no 2017 benchmark set")
    # nor a prior-year or three-year comparison that reads the empty year as 0
    assert math.isnan(lookup(table, indicator, window, "prior_year"))
    assert math.isnan(lookup(table, indicator, window, "three_year_average"))
    assert math.isnan(lookup(table, indicator, window, "p_vs_prior_year"))


def test_an_empty_year_gives_no_pace_chance_no_prior_curve_and_no_control_limits(gap_year_city):
    review = gap_year_city()
    assert outcome_pace(review.data, review.params, review.indicators).empty
    assert year_to_date_curves(review, "homicides")["prior"].isna().all()
    # the default baseline (Feb 2014 - Jan 2017, within the data: Jan 2015 - Jan 2017) takes in 2016
    chart = control_chart_figure(review, "homicides")
    assert not isinstance(chart, Chart)
    assert "includes 2016, with no incident records at all (check the extract)" in chart.data


def test_a_year_with_any_record_still_gives_its_derived_benchmark(gap_year_city):
    # one non-injury shooting in 2016: the year was recorded, and its 0 homicides are a true 0
    with open(gap_year_city.folder / "incidents.csv", "a", encoding="utf-8") as fh:
        fh.write("X1,2016-06-01,non_injury_shooting\n")
    table = gap_year_city().indicators
    assert lookup(table, "homicides", "period", "benchmark") == 0  # 0 less 10%
    assert lookup(table, "homicides", "period", "status") == DOES_NOT_MEET  # 3 homicides against 0
    assert lookup(table, "homicides", "period", "benchmark_note") == "2016 count less 10% — no 2017 benchmark set"
    assert lookup(table, "homicides", "period", "prior_year") == 0


def _text(fragment: str) -> str:
    import html
    import re

    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment)))


@pytest.mark.parametrize("scope,words,total", [("all", "people killed or shot", "Total homicides and shootings"),
                                               ("firearm", "people shot", "Total shootings")])
def test_worksheet_3_names_everyone_killed_or_shot_as_the_homicide_scope_says(demo_params, demo_data, scope, words,
                                                                               total):
    import dataclasses

    from ceasefire_analysis.focus_report import focus_worksheet_html, safe_city_html

    review = PeriodReview(params=dataclasses.replace(demo_params, homicide_scope=scope), data=demo_data,
                          params_label="test")
    page = _text(focus_worksheet_html(review).data)
    # 79 = 16 homicides + 63 non-fatal injury shootings in 2017 to 31 March (Worksheet 1's two YTD counts)
    assert f"50 of the 79 {words} " in page
    assert f"19% of all 79 {words} " in page
    if scope == "all":
        assert "people shot" not in page  # a stabbing is not a shooting
    safe = _text(safe_city_html(review).data)
    assert f" {total} " in safe
    assert ("homicides of every cause plus non-fatal injury shootings" in safe) == (scope == "all")
