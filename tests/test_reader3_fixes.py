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
        "no records at all for 2016 to derive one from (check the extract), and no 2017 benchmark set")
    # nor a prior-year or three-year comparison that reads the empty year as 0
    assert math.isnan(lookup(table, indicator, window, "prior_year"))
    assert math.isnan(lookup(table, indicator, window, "three_year_average"))
    assert math.isnan(lookup(table, indicator, window, "p_vs_prior_year"))


def test_an_empty_year_gives_no_pace_chance_no_prior_curve_and_no_control_limits(gap_year_city):
    from ceasefire_analysis.tables import outcome_worksheet_html

    review = gap_year_city()
    page = _text(outcome_worksheet_html(review).data)
    assert ("No benchmark: no records at all for 2016 to derive one from (check the extract), and no 2017 "
            "benchmark set") in page
    assert "n/a: no records at all for 2016 (check the extract) (Feb–Mar 2016)" in page
    assert "n/a: no records at all for 2016 (check the extract) (Feb–Mar 2014 to Feb–Mar 2016)" in page
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


@pytest.fixture
def cut_city(make_city, city_params):
    """Homicides on 1 Jan, 5 Mar and 20 Mar 2016 and on 3 Mar 2017; the extract is cut on 15 March 2017."""
    rows = [incident("A", "2016-01-01"), incident("B", "2016-03-05"), incident("C", "2016-03-20"),
            incident("D", "2017-03-03"), incident("E", "2017-03-31")]
    folder = make_city("cut", incidents=rows)

    def review() -> PeriodReview:
        from ceasefire_analysis.review import open_review

        return open_review(None, **{"city": "Testville", "period_start": "2017-02", "period_end": "2017-03",
                                    "data_dir": str(folder), "data_through": "2017-03-15",
                                    "data_from": "2015-01-01", "annual_benchmarks": {"homicides": {2017: 12}}})

    return review


def test_the_month_chart_sets_the_cut_month_beside_the_same_days_a_year_earlier(cut_city):
    from ceasefire_analysis.charts import monthly_counts_chart

    chart = monthly_counts_chart(cut_city(), "homicides")
    bars = {c.get_label(): [p.get_height() for p in c.patches] for c in chart.figure.axes[0].containers}
    # 1-15 Mar 2017 (1 homicide) against 1-15 Mar 2016 (1, on the 5th), not against all of March 2016 (2)
    assert bars["1–15 Mar 2016 only (the same days a year earlier)"] == [1]
    assert bars["Same month a year earlier"][-1] == 0  # Feb 2016, the last whole month beside a whole month
    assert len(bars["Same month a year earlier"]) == 11


def test_a_count_so_far_is_compared_with_as_many_days_a_year_earlier(cut_city):
    from ceasefire_analysis.tables import outcome_worksheet_html

    review = cut_city()
    table = review.indicators
    # YTD 1 Jan-15 Mar 2017 is 74 days; 2016 has 29 February, so its 74 days ending 15 March start on 2 January:
    # the homicide of 1 January 2016 is not in the comparison (1 Jan-15 Mar 2016 would be 75 days)
    assert lookup(table, "homicides", "ytd", "prior_year") == 1
    assert lookup(table, "homicides", "period", "prior_year") == 1  # 1 Feb-15 Mar 2017, 43 days: 2 Feb-15 Mar 2016
    page = _text(outcome_worksheet_html(review).data)
    assert "1 (same days: 2 Jan–15 Mar 2016)" in page
    assert "(same days: 2 Feb–15 Mar 2016)" in page


def test_the_packs_compare_a_window_across_29_february_with_one_as_long():
    import datetime as dt

    import pandas as pd

    from ceasefire_analysis.meetings import weekly_comparison

    incidents = pd.DataFrame({"incident_id": ["A", "B", "C"], "incident_type": ["homicide"] * 3,
                              "occurred_on": pd.to_datetime(["2016-02-24", "2016-02-25", "2016-03-09"])})
    # 24 Feb-9 Mar 2017 is 14 days; 24 Feb-9 Mar 2016 would be 15 (29 Feb): the year-earlier window is 25 Feb-9 Mar
    week = weekly_comparison(incidents, dt.date(2017, 2, 24), dt.date(2017, 3, 9)).set_index("type")
    assert week.loc["Homicide", "same_dates_last_year"] == 2
    # and a 2016 window across 29 February against 2015: 14 days ending 8 March 2015 (23 Feb-8 Mar)
    early = pd.DataFrame({"incident_id": ["A", "B"], "incident_type": ["homicide"] * 2,
                          "occurred_on": pd.to_datetime(["2015-02-22", "2015-02-23"])})
    week = weekly_comparison(early, dt.date(2016, 2, 24), dt.date(2016, 3, 8)).set_index("type")
    assert week.loc["Homicide", "same_dates_last_year"] == 1


def test_a_named_baseline_reaching_into_the_period_is_warned_on_the_page_the_terminal_and_the_chart(tmp_path, capsys):
    from ceasefire_analysis.config import DEMO_PARAMS
    from ceasefire_analysis.publishing import prepare_period
    from ceasefire_analysis.review import open_review
    from ceasefire_analysis.tables import quality_html

    # the demo's params (baseline Jan 2014-Dec 2016) copied for a December-January review
    params = tmp_path / "2016-12_2017-01.yaml"
    text = DEMO_PARAMS.read_text().replace('period_start: "2017-02"', 'period_start: "2016-12"')
    params.write_text(text.replace('period_end: "2017-03"', 'period_end: "2017-01"')
                      .replace("../data/raw/demo", str(DEMO_PARAMS.parent.parent / "data" / "raw" / "demo")))
    expected = ("The control charts' baseline (Jan 2014–Dec 2016) includes Dec 2016, a month of this review period "
                "(Dec 2016–Jan 2017)")
    review = open_review(str(params))
    assert any(w.startswith(expected) for w in review.warnings)
    assert expected in _text(quality_html(review).data)
    chart = control_chart_figure(review, "homicides")
    assert chart.title.endswith("(baseline Jan 2014–Dec 2016: 36 whole months, which includes review months)")
    prepare_period(params, tmp_path / "out")
    assert "baseline_end" not in " ".join(review.warnings)  # the room is not told which key to change
    assert (f"warning: {params.name}: {expected}: the limits the review months are judged against are learnt partly "
            "from those months, which makes a signal less likely. Set control_chart.baseline_end to 2016-11 or "
            "earlier") in capsys.readouterr().err
    # the Feb-Mar review the file was written for: no warning, and the default baseline ends before the period
    assert not any("baseline" in w for w in open_review(str(DEMO_PARAMS)).warnings)


@pytest.mark.parametrize("scope,definition,warned", [("all", "ucr_murder", True), ("all", "city_homicide", False),
                                                      ("firearm", "city_homicide", True)])
def test_the_history_bar_says_what_it_counts_beside_the_long_run_line(demo_params, demo_data, scope, definition,
                                                                     warned):
    import dataclasses

    from ceasefire_analysis.history import homicides_chart

    review = PeriodReview(params=dataclasses.replace(demo_params, homicide_scope=scope), data=demo_data,
                          params_label="demo")
    series = review.history["homicides"]
    series = series[series["year"] < 2017].assign(definition=definition)
    ax = homicides_chart(series, review).figure.axes[0]
    [bar_label] = [h.get_label() for h in ax.containers]
    what = {"all": "homicides of every cause", "firearm": "firearm homicides only (shooting murders)"}[scope]
    assert bar_label.startswith("2017 to date (1 Jan–31 Mar 2017, partial; synthetic demo data):\n" + what)
    assert ("not the line's definition: not one series" in bar_label) == warned


def test_every_chart_of_a_review_names_its_city_and_years(demo_params, demo_data):
    import dataclasses

    from ceasefire_analysis.charts import monthly_counts_chart, year_to_date_chart
    from ceasefire_analysis.focus_report import safe_city_chart
    from ceasefire_analysis.history import history_report
    from ceasefire_analysis.outcomes import callin_outcomes_report

    review = PeriodReview(params=dataclasses.replace(demo_params, city="Lakeside"), data=demo_data,
                          params_label="test")
    history = history_report(review)
    outcomes = callin_outcomes_report(review)
    charts = {"year to date": year_to_date_chart(review, "homicides"),
              "month": monthly_counts_chart(review, "homicides"),
              "control": control_chart_figure(review, "homicides"),
              "safe city": safe_city_chart(review),
              "history": history.homicides_chart, "rate": history.rate_chart, "footprint": history.footprint_chart,
              "status": outcomes.breakdown_chart, "curves": outcomes.curves_chart}
    for name, chart in charts.items():
        assert isinstance(chart, Chart), name
        assert chart.title.startswith("Lakeside / ") or chart.title.startswith("Lakeside: "), (name, chart.title)
    # the years where the title had none
    assert charts["footprint"].title.endswith("officers per 10,000 residents, 1969–2016")
    assert "safe-city path, 2016–2021 (10% fewer a year from 2016)" in charts["safe city"].title
    assert "to 31 March 2017" in charts["curves"].title.replace("\n", " ")


def test_the_glossary_defines_non_injury_shooting_apart_from_non_fatal_injury_shooting():
    from ceasefire_analysis.reader import glossary_html

    page = glossary_html("<td>Non-injury shooting</td><td>3</td>")
    assert "<dt>Non-injury shooting</dt><dd>shots fired at someone with no one hit" in page
    assert "<dt>Non-fatal injury shooting</dt>" not in page  # only the terms the page uses
    both = glossary_html("<p>Non-fatal injury shootings and non-injury shootings</p>")
    assert both.count("<dt>") == 2


def test_the_call_in_page_says_people_first_reached_in_a_year_not_entry_cohort(demo_params, demo_data, make_city,
                                                                             city_params):
    from ceasefire_analysis.history import history_report
    from ceasefire_analysis.outcomes import callin_outcomes_report

    review = PeriodReview(params=demo_params, data=demo_data, params_label="demo")
    table = _text(callin_outcomes_report(review).cohort_table.data)
    assert "People first reached in 2014 (" in table and "cohort" not in table.lower()
    # a city without published series: the history chart's title names no file
    folder = make_city("no_history", incidents=[incident("A", "2016-03-10"), incident("B", "2017-02-10")])
    city = PeriodReview(params=city_params(folder, history_dir=None), data=load_data_dir(folder), params_label="t")
    title = history_report(city).homicides_chart.title
    assert "Testville / Homicides per year, 2016–2017 (from this city's incident records;" in title
    assert ".csv" not in title
