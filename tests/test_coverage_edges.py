"""A window is marked only when the file it is counted from covers it: both ends of the incident data."""
from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from ceasefire_analysis.coverage import Coverage, incident_coverage
from ceasefire_analysis.errors import InputError, ParamsError
from ceasefire_analysis.indicators import lookup
from ceasefire_analysis.review import PeriodReview, open_review
from ceasefire_analysis.tables import pace_html

MARKS = ("meets", "does_not_meet")
DAILY = tuple(range(1, 32))


def _days(first: str, last: str, days=(5, 15)) -> list[str]:
    out = [f"{y}-{m:02d}-{d:02d}" for y in range(2012, 2018) for m in range(1, 13) for d in days]
    return [d for d in out if first <= d <= last]


def _city(make_city, incidents_from="2014-01-05", incidents_to="2017-03-31", others_to="2017-03-31",
          incident_days=(5, 15, 31), communications_to=None):
    """Homicides on days 5 and 15 (and 31 where it exists) of every month between two dates;
    meetings and communications three times a month from 2013 up to ``others_to``."""
    days = []
    for y in range(2012, 2018):
        for m in range(1, 13):
            for d in incident_days:
                try:
                    days.append(dt.date(y, m, d).isoformat())
                except ValueError:
                    continue
    days = [d for d in days if incidents_from <= d <= incidents_to]
    incidents = [{"incident_id": f"C-{d}", "occurred_on": d, "incident_type": "homicide"} for d in days]
    others = _days("2013-01-01", others_to, days=(5, 15, 28))
    if others_to not in others:
        others.append(others_to)
    meetings = [{"meeting_id": f"M{i}", "scheduled_on": d, "kind": "coordination", "held": "yes",
                 "opd_lead_present": "yes", "hsd_lead_present": "yes", "risk_focus": "yes"}
                for i, d in enumerate(others)]
    comms = [{"participant_id": f"PFN-{i}", "occurred_on": d, "kind": "custom_notification", "highest_risk": "yes"}
             for i, d in enumerate(others) if communications_to is None or d <= communications_to]
    return make_city("city", incidents=incidents, meetings=meetings, communications=comms)


def _params(folder, start="2017-02", end="2017-03", **extra):
    benchmarks = {"homicides": {y: 240 for y in range(2012, 2018)},
                  "direct_communications": {y: 240 for y in range(2012, 2018)}}
    return {"city": "Edgeville", "period_start": start, "period_end": end, "data_dir": str(folder),
            "annual_benchmarks": benchmarks, **extra}


# --------------------------------------------------------------------------- before the incident data start

def test_a_period_wholly_before_the_incident_data_is_refused_naming_their_first_date(make_city):
    folder = _city(make_city)  # communications and meetings from 2013, incidents from 5 January 2014
    with pytest.raises(InputError, match=r"May–Jun 2013 ends before the incident data start \(5 Jan 2014"):
        open_review(None, **_params(folder, "2013-05", "2013-06"))


def test_a_window_partly_before_the_incident_data_gets_no_mark_and_says_why(make_city):
    from ceasefire_analysis.tables import headline_html, outcome_worksheet_html

    # incidents from 1 January 2014 (days 1, 15 and 31 of each month)
    folder = _city(make_city, incidents_from="2014-01-01", incidents_to="2014-03-31", incident_days=(1, 15, 31))
    review = open_review(None, **_params(folder, "2013-12", "2014-01", data_through="2014-03-31"))
    table = review.indicators
    # Dec 2013 - Jan 2014: Dec 2013 is before the first incident month, so the 3 homicides are not the window's
    assert lookup(table, "homicides", "period") == 3
    assert lookup(table, "homicides", "period", "status") == "incomplete"
    assert math.isnan(lookup(table, "homicides", "period", "p_vs_benchmark"))
    assert lookup(table, "homicides", "period", "verdict") == ""
    assert lookup(table, "homicides", "period", "coverage_note").startswith("the incident data start 1 Jan 2014")
    # the year to date is January 2014 alone, wholly inside the data: it keeps its mark (3 against 20)
    assert lookup(table, "homicides", "ytd", "status") == "meets"
    # an activity counted from communications, which run from 2013, is judged by its own file
    assert lookup(table, "direct_communications", "period", "status") in MARKS
    page = outcome_worksheet_html(review).data
    assert "the incident data start 1 Jan 2014; earlier months are not in the data" in page
    assert "the incident data start 1 Jan 2014" in headline_html(review)


def test_incident_coverage_starts_on_the_first_incidents_date():
    # F25: an extract that starts on 20 Jan (a rolling export) does not hold 1-19 Jan
    incidents = pd.DataFrame({"occurred_on": pd.to_datetime(["2014-01-20", "2014-03-02"])})
    coverage = incident_coverage(Coverage(dt.date(2014, 3, 31), "latest record (meetings)"), incidents)
    assert coverage.start == dt.date(2014, 1, 20) and coverage.through == dt.date(2014, 3, 2)
    assert coverage.covers_window(dt.date(2014, 2, 1), dt.date(2014, 2, 28))
    assert not coverage.covers_window(dt.date(2014, 1, 1), dt.date(2014, 2, 28))
    assert not coverage.covers_window(dt.date(2013, 12, 1), dt.date(2014, 1, 31))
    assert not coverage.covers_window(dt.date(2014, 3, 1), dt.date(2014, 3, 31))
    assert coverage.gap_text(dt.date(2014, 1, 1)) == "the incident data start 20 Jan 2014; earlier days are not in the data"
    # an extract whose first incident is on the 1st covers that whole month
    first_day = incident_coverage(Coverage(dt.date(2014, 3, 31), "params"),
                                  pd.DataFrame({"occurred_on": pd.to_datetime(["2014-01-01", "2014-03-30"])}))
    assert first_day.covers_window(dt.date(2014, 1, 1), dt.date(2014, 2, 28))


# --------------------------------------------------------------------------- after the incident data end

def test_incidents_cut_mid_month_get_no_mark_though_other_files_run_to_month_end(make_city):
    folder = _city(make_city, incidents_to="2017-03-15", others_to="2017-03-31")
    review = open_review(None, **_params(folder))
    assert review.coverage.through == dt.date(2017, 3, 31)  # the other files still say how far they reach
    table = review.indicators
    for window in ("ytd", "period"):
        assert lookup(table, "homicides", window, "status") == "incomplete"
        assert lookup(table, "homicides", window, "coverage_note") == "so far, data through 15 Mar 2017"
        # communications do run to 31 March: their indicator keeps its mark
        assert lookup(table, "direct_communications", window, "status") in MARKS
    assert "No pace is computed: the year to date is not complete (so far, data through 15 Mar 2017)" in \
        pace_html(review).data
    assert "(the incidents through 15 Mar 2017)" in review.incomplete_warning()
    # the year-earlier figure counts the same days as the incidents, and the charts draw 1-15 March apart
    assert lookup(table, "homicides", "ytd", "compared_through") == "2016-03-15"
    from ceasefire_analysis.charts import partial_month
    from ceasefire_analysis.periods import Month

    assert partial_month(review) == (Month(2017, 3), dt.date(2017, 3, 15))


def test_data_through_a_little_after_the_last_incident_keeps_the_marks(make_city):
    # ten days without an incident is within the incidents file's rhythm rule (at least four weeks)
    folder = _city(make_city, incidents_to="2017-03-21", others_to="2017-03-31", incident_days=DAILY)
    review = open_review(None, **_params(folder, data_through="2017-03-31"))
    assert lookup(review.indicators, "homicides", "period", "status") in MARKS
    assert not any(w.startswith("WARNING: data_through") for w in review.warnings)


def test_data_through_far_past_a_stale_incidents_file_warns_and_marks_nothing_after_it(make_city):
    # a shooting a day until 10 February, then seven weeks without one: the file is an old extract
    folder = _city(make_city, incidents_to="2017-02-10", others_to="2017-03-31", incident_days=DAILY)
    review = open_review(None, **_params(folder, data_through="2017-03-31"))
    table = review.indicators
    for window in ("ytd", "period"):
        assert lookup(table, "homicides", window, "status") == "incomplete"
        assert lookup(table, "homicides", window, "coverage_note") == "so far, data through 10 Feb 2017"
        assert lookup(table, "direct_communications", window, "status") in MARKS
    loud = [w for w in review.warnings if w.startswith("WARNING: data_through is 31 Mar 2017")]
    assert len(loud) == 1 and "last incident record is 10 Feb 2017" in loud[0]


def test_a_period_after_every_file_ends_is_refused_though_data_through_is_later(make_city):
    folder = _city(make_city)  # everything ends 31 March 2017
    with pytest.raises(InputError, match=r"May–Jun 2017 starts after the last record of every file \(31 Mar 2017\)"):
        open_review(None, **_params(folder, "2017-05", "2017-06", data_through="2017-06-30"))


def test_an_activity_from_a_stale_file_is_judged_by_that_file(make_city):
    folder = _city(make_city, communications_to="2017-01-15")  # incidents and meetings run to 31 March
    review = open_review(None, **_params(folder))
    table = review.indicators
    for window in ("ytd", "period"):
        assert lookup(table, "direct_communications", window, "status") == "incomplete"
        assert lookup(table, "direct_communications", window, "coverage_note") == \
            "so far, data through 15 Jan 2017 in communications.csv, an old extract"
        assert lookup(table, "homicides", window, "status") in MARKS
        assert lookup(table, "coordination_meetings", window, "status") != "incomplete"
    assert any(w.startswith("communications: its last record is 15 Jan 2017") for w in review.warnings)


def test_params_refuse_a_data_through_later_than_today(make_city):
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    with pytest.raises(ParamsError, match="'data_through'.*not later than today"):
        open_review(None, **_params(_city(make_city), data_through=tomorrow))


# --------------------------------------------------------------------------- history with no incident rows

def test_history_of_a_year_without_incident_rows_says_so_instead_of_failing(make_city):
    from ceasefire_analysis.history import history_report
    from ceasefire_analysis.loading import load_data_dir
    from ceasefire_analysis.params import params_from_values

    folder = _city(make_city)
    params = params_from_values(_params(folder, "2013-05", "2013-06"))
    review = PeriodReview(params=params, data=load_data_dir(folder), params_label="test")
    report = history_report(review)  # was: KeyError: 'year'
    assert "Chart not shown" in report.homicides_chart.data
    assert "the first incident is on 5 Jan 2014" in report.homicides_chart.data


# --------------------------------------------------------------------------- extracts that start late (F25, F20)

def test_an_extract_starting_mid_month_gives_no_year_earlier_count_for_the_missing_days(make_city):
    """F25: a rolling export from 20 Mar 2015 does not hold 1-19 Mar 2015: Mar-Apr 2015 is not compared."""
    days = [d for d in _days("2015-03-20", "2016-04-30", days=(3, 12, 20, 27)) if d >= "2015-03-20"]
    incidents = [{"incident_id": f"C-{d}", "occurred_on": d, "incident_type": "homicide"} for d in days]
    folder = make_city(incidents=incidents)
    review = open_review(None, **_params(folder, "2016-03", "2016-04", data_through="2016-04-30"))
    table = review.indicators
    assert review.incident_coverage.start == dt.date(2015, 3, 20)
    # Mar-Apr 2016 lies wholly inside the data: counted and marked (8 homicides against 40)
    assert lookup(table, "homicides", "period") == 8
    assert lookup(table, "homicides", "period", "status") == "meets"
    # Mar-Apr 2015 starts before the data: no year-earlier count, no E-test (it held 1-19 Mar 2015 as 0 before)
    assert math.isnan(lookup(table, "homicides", "period", "prior_year"))
    assert math.isnan(lookup(table, "homicides", "period", "p_vs_prior_year"))
    # nor is 2015 a whole year to derive a 2016 benchmark from, or to learn a season from
    assert math.isnan(lookup(table, "homicides", "ytd", "prior_year"))
    from ceasefire_analysis.tables import outcome_worksheet_html

    assert "n/a: the incident data start 20 Mar 2015 (Mar–Apr 2015)" in outcome_worksheet_html(review).data
    # a window of the review itself that starts before the data is incomplete, naming the day
    early = open_review(None, **_params(folder, "2015-03", "2015-04", data_through="2016-04-30")).indicators
    assert lookup(early, "homicides", "period", "status") == "incomplete"
    assert lookup(early, "homicides", "period", "coverage_note") == \
        "the incident data start 20 Mar 2015; earlier days are not in the data"


def test_activity_windows_before_their_files_first_month_get_no_mark(make_city):
    """F20: meetings recorded from 5 Jan 2016 say nothing about 2014; a count of 0 there is not a ✘."""
    folder = _city(make_city, incidents_from="2014-01-01", incident_days=(1, 15))
    meetings = [{"meeting_id": f"M{i}", "scheduled_on": d, "kind": "coordination", "held": "yes",
                 "opd_lead_present": "yes", "hsd_lead_present": "yes", "risk_focus": "yes"}
                for i, d in enumerate(_days("2016-01-05", "2017-03-31", days=(5, 19)))]
    from conftest import write_rows

    write_rows(folder / "meetings.csv", meetings)
    table = open_review(None, **_params(folder, "2014-01", "2014-02")).indicators
    for indicator in ("coordination_meetings", "coordination_meetings_leads_present", "coordination_meetings_risk_focus"):
        for window in ("ytd", "period"):
            assert lookup(table, indicator, window, "status") == "incomplete"
            assert lookup(table, indicator, window, "coverage_note") == \
                "meetings.csv starts 5 Jan 2016; earlier months are not in it"
    # the incidents and communications do cover 2014: their rows keep their marks
    assert lookup(table, "homicides", "period", "status") in MARKS
    assert lookup(table, "direct_communications", "period", "status") in MARKS
    # the month of the first meeting counts: Jan-Feb 2016 is marked (4 held against 4)
    table = open_review(None, **_params(folder, "2016-01", "2016-02")).indicators
    assert lookup(table, "coordination_meetings", "period") == 4
    assert lookup(table, "coordination_meetings", "period", "status") in MARKS


def test_the_terminal_warning_names_the_file_that_ends_early_and_its_last_day(make_city):
    """F23: communications.csv ended 10 Jan 2013 while the rest ran to 31 Mar 2017; the warning named only 31 Mar."""
    folder = _city(make_city, communications_to="2016-06-28")
    review = open_review(None, **_params(folder))
    assert lookup(review.indicators, "direct_communications", "period", "status") == "incomplete"
    warning = review.incomplete_warning()
    assert "communications.csv ends 28 Jun 2016 (an old extract)" in warning
    # and a file that starts after the period names its first day
    folder = _city(make_city, incidents_from="2014-01-01", incident_days=(1, 15))
    from conftest import write_rows

    write_rows(folder / "meetings.csv", [{"meeting_id": f"M{i}", "scheduled_on": d, "kind": "coordination",
                                          "held": "yes", "opd_lead_present": "yes", "hsd_lead_present": "yes",
                                          "risk_focus": "yes"} for i, d in enumerate(_days("2016-01-05", "2017-03-31"))])
    warning = open_review(None, **_params(folder, "2014-01", "2014-02")).incomplete_warning()
    assert "marked incomplete (count so far, no mark): " in warning
    assert "meetings.csv starts 5 Jan 2016; earlier months are not in it" in warning
    assert "case_management.csv starts 11 Jan 2017" in warning  # the hand-made city's enrolments start in 2017


def test_data_from_names_the_extracts_first_day_when_it_is_before_the_first_incident(make_city):
    """F25's rule with data_from: a whole-year extract whose first shooting fell on 5 Jan still covers 1-4 Jan."""
    folder = _city(make_city)  # incidents from 5 Jan 2014
    params = _params(folder, "2015-02", "2015-03", data_through="2015-03-31")
    assert math.isnan(lookup(open_review(None, **params).indicators, "homicides", "ytd", "prior_year"))
    review = open_review(None, **params, data_from="2014-01-01")
    assert review.incident_coverage.start == dt.date(2014, 1, 1)
    # Jan-Mar 2014 by hand: days 5, 15 and 31 of January and March, 5 and 15 of February = 8
    assert lookup(review.indicators, "homicides", "ytd", "prior_year") == 8
    with pytest.raises(ParamsError, match="data_from"):
        open_review(None, **_params(folder, "2015-02", "2015-03", data_from="2015-04-01"))
