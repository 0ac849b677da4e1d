"""With ``data_through`` inside the files' span, every count reads the data as they stood on that day.

A "so far, data through D" count set beside a year-earlier count cut at D must itself stop at D,
whatever the files hold after it (a params file copied forward while a newer extract arrives).
The expected numbers below are counted by hand from the rows written in each test.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from ceasefire_analysis.indicators import lookup
from ceasefire_analysis.review import open_review, provenance

from conftest import write_rows


def _incident(day: str, kind: str = "homicide", n: int = 0) -> dict:
    return {"incident_id": f"C-{day}-{n}", "occurred_on": day, "incident_type": kind}


def _params(folder, start, end, through, **extra):
    return {"city": "Cutville", "period_start": start, "period_end": end, "data_dir": str(folder),
            "data_through": through, **extra}


def _feb_mar_2016_city(make_city):
    incidents = [_incident("2014-01-05"),
                 _incident("2015-02-10"), _incident("2015-02-20", "nonfatal_injury_shooting"),
                 _incident("2015-03-05"), _incident("2015-03-06", "nonfatal_injury_shooting"),
                 _incident("2016-02-03"), _incident("2016-02-29", "nonfatal_injury_shooting"),
                 # after data_through (29 Feb 2016): not in the extract as it stood then
                 _incident("2016-03-01"), _incident("2016-03-15", "nonfatal_injury_shooting"),
                 _incident("2016-03-20", "nonfatal_injury_shooting")]
    communications = [{"participant_id": "PFN-1", "occurred_on": "2016-02-10", "kind": "call_in", "highest_risk": "yes"},
                      {"participant_id": "PFN-2", "occurred_on": "2016-03-10", "kind": "call_in", "highest_risk": "yes"}]
    case_management = [{"participant_id": "PFN-1", "enrolled_on": "2016-01-11", "exited_on": "2016-03-05",
                        "referral_source": "call_in", "opd_highest_risk": "no"},
                       {"participant_id": "PFN-2", "enrolled_on": "2016-03-02", "exited_on": "",
                        "referral_source": "call_in", "opd_highest_risk": "no"}]
    staffing = [{"as_of": d, "unit": "CRT", "unit_group": "ceasefire", "authorized": "10", "filled": f}
                for d, f in (("2016-01-01", "8"), ("2016-03-01", "9"))]
    meetings = [{"meeting_id": f"M{i}", "scheduled_on": d, "kind": "coordination", "held": "yes",
                 "opd_lead_present": "yes", "hsd_lead_present": "yes", "risk_focus": "yes"}
                for i, d in enumerate(("2016-02-12", "2016-03-12"))]
    return make_city(incidents=incidents, communications=communications, case_management=case_management,
                     staffing=staffing, meetings=meetings)


def test_counts_so_far_stop_at_data_through_like_the_year_earlier_counts(make_city):
    folder = _feb_mar_2016_city(make_city)
    review = open_review(None, **_params(folder, "2016-02", "2016-03", "2016-02-29"))
    table = review.indicators
    # Feb-Mar 2016 through 29 Feb: the homicide of 3 Feb, the non-fatal shooting of 29 Feb (the old count
    # took March's rows too: 2 homicides, 3 non-fatal) ...
    assert lookup(table, "homicides", "period") == 1
    assert lookup(table, "nonfatal_injury_shootings", "period") == 1
    # ... beside the same days a year earlier, 1-28 Feb 2015: one of each
    assert lookup(table, "homicides", "period", "prior_year") == 1
    assert lookup(table, "nonfatal_injury_shootings", "period", "prior_year") == 1
    assert lookup(table, "homicides", "period", "coverage_note") == "so far, data through 29 Feb 2016"
    assert lookup(table, "homicides", "ytd") == 1 and lookup(table, "nonfatal_injury_shootings", "ytd") == 1
    # the other files too: the call-in of 10 Mar 2016 is after the data's end
    assert lookup(table, "direct_communications", "period") == 1
    # the header's date range is the data's as read
    assert review.data.date_range() == (dt.date(2014, 1, 5), dt.date(2016, 2, 29))


def test_the_cut_clears_later_events_and_leaves_out_later_rows_of_every_file(make_city):
    folder = _feb_mar_2016_city(make_city)
    review = open_review(None, **_params(folder, "2016-02", "2016-03", "2016-02-29"))
    tables = review.data.tables
    # the enrolment of 11 Jan is kept, still open on 29 Feb (its exit on 5 Mar is after); that of 2 Mar is not
    cases = tables["case_management"]
    assert len(cases) == 1 and pd.isna(cases["exited_on"].iloc[0])
    assert list(tables["staffing"]["as_of"].dt.date) == [dt.date(2016, 1, 1)]
    assert list(tables["meetings"]["scheduled_on"].dt.date) == [dt.date(2016, 2, 12)]
    assert len(tables["incidents"]) == 7 and len(tables["communications"]) == 1


def test_the_warning_says_per_file_how_many_later_records_were_left_out(make_city):
    folder = _feb_mar_2016_city(make_city)
    review = open_review(None, **_params(folder, "2016-02", "2016-03", "2016-02-29"))
    [warning] = [w for w in review.warnings if w.startswith("Records dated after data_through")]
    assert "(29 Feb 2016)" in warning
    assert "incidents.csv 3 rows;" in warning
    assert "communications.csv 1 row;" in warning
    assert "case_management.csv 1 row and 1 exit date cleared;" in warning
    assert "staffing.csv 1 row;" in warning and "meetings.csv 1 row." in warning
    assert "The latest is dated 20 Mar 2016" in warning
    # and the manifest's input records say so too
    records = {r["file"]: r for r in provenance(review)["inputs"]}
    assert records["incidents.csv"]["rows_after_data_through"] == 3
    assert records["case_management.csv"]["dates_cleared_after_data_through"] == 1


def test_a_cut_across_the_year_boundary(make_city):
    incidents = [_incident("2014-01-05"),
                 _incident("2015-12-10"), _incident("2016-01-10"), _incident("2016-01-20"),
                 _incident("2016-12-05"), _incident("2017-01-10"), _incident("2017-01-05", "nonfatal_injury_shooting"),
                 _incident("2017-01-20"), _incident("2017-01-25", "nonfatal_injury_shooting")]
    folder = make_city(incidents=incidents)
    table = open_review(None, **_params(folder, "2016-12", "2017-01", "2017-01-15")).indicators
    # 1 Dec 2016-15 Jan 2017: 5 Dec and 10 Jan (the old count also took 20 Jan) against 1 Dec 2015-15 Jan 2016:
    # 10 Dec and 10 Jan
    assert lookup(table, "homicides", "period") == 2
    assert lookup(table, "homicides", "period", "prior_year") == 2
    assert lookup(table, "nonfatal_injury_shootings", "period") == 1
    # the year to date, 1-15 Jan 2017: 10 Jan alone, against 1-15 Jan 2016: 10 Jan
    assert lookup(table, "homicides", "ytd") == 1
    assert lookup(table, "homicides", "ytd", "prior_year") == 1
    assert lookup(table, "nonfatal_injury_shootings", "ytd") == 1


def test_data_through_28_february_of_a_leap_year_leaves_out_29_february(make_city):
    incidents = [_incident("2014-01-05"), _incident("2015-02-28"),
                 _incident("2016-01-10"), _incident("2016-02-28"), _incident("2016-02-29")]
    folder = make_city(incidents=incidents)
    table = open_review(None, **_params(folder, "2016-01", "2016-02", "2016-02-28")).indicators
    assert lookup(table, "homicides", "period") == 2
    assert lookup(table, "homicides", "period", "prior_year") == 1
    assert lookup(table, "homicides", "period", "status") == "incomplete"


def test_a_file_that_reached_data_through_is_not_called_stale_once_its_later_rows_are_left_out(make_city):
    # weekly homicides to the end of 2015, none in Jan-Feb 2016, then one on 15 Mar 2016: the extract reached past
    # data_through (1 Mar 2016), so January-February 2016 were quiet, not missing, and February keeps its mark
    weekly = pd.date_range("2014-01-02", "2015-12-31", freq="7D").strftime("%Y-%m-%d")
    meetings = [{"meeting_id": "M1", "scheduled_on": "2016-02-12", "kind": "coordination", "held": "yes",
                 "opd_lead_present": "yes", "hsd_lead_present": "yes", "risk_focus": "yes"}]
    folder = make_city(incidents=[_incident(d) for d in weekly] + [_incident("2016-03-15")], meetings=meetings)
    benchmarks = {"homicides": {2015: 60, 2016: 60}}
    table = open_review(None, **_params(folder, "2016-01", "2016-02", "2016-03-01",
                                        annual_benchmarks=benchmarks)).indicators
    assert lookup(table, "homicides", "period") == 0
    assert lookup(table, "homicides", "period", "status") == "meets"


def test_same_days_across_the_year_boundary_name_both_years(make_city):
    from ceasefire_analysis.tables import outcome_worksheet_html

    # (one in mid-2014: a year with no record at all would be no comparison, see test_reader3_fixes)
    incidents = [_incident("2013-01-05"), _incident("2014-06-10"), _incident("2015-12-10"), _incident("2016-01-10"),
                 _incident("2016-12-05"), _incident("2017-01-10"), _incident("2017-01-20")]
    review = open_review(None, **_params(make_city(incidents=incidents), "2016-12", "2017-01", "2017-01-15"))
    page = outcome_worksheet_html(review).data
    # in a Dec 2016-Jan 2017 review "1 Dec-15 Jan 2016" reads as December 2016
    assert "same days: 1 Dec 2015–15 Jan 2016" in page
    assert "1 Dec 2013–15 Jan 2014 to 1 Dec 2015–15 Jan 2016" in page  # the 3-year average's days
    assert "same days: 1 Jan–15 Jan 2016" in page  # the year to date stays within one year: named once


def test_the_history_page_counts_the_review_year_to_the_data_end_not_the_period_end(make_city):
    from ceasefire_analysis.history import history_report

    incidents = [_incident(f"{y}-03-10") for y in range(2015, 2019)] + [_incident("2019-06-14")]
    review = open_review(None, **_params(make_city(incidents=incidents), "2019-05", "2019-06", None))
    report = history_report(review)
    title = report.homicides_chart.title
    # 2015 is partial too: the incident data start 10 Mar 2015 (attack3 A2)
    assert "Homicides per year, 2015–2019 (from this city's incident records; 2015 from 10 Mar 2015; " \
           "2019 only 1 Jan–14 Jun 2019)" in title
    assert "counts only to 14 Jun 2019" in report.sources.data and "30 June" not in report.sources.data


def test_data_cut_on_different_days_never_share_a_hand_off_key(make_city):
    # `ceasefire run` hands each period's tables to its notebooks under a key of the folder and its input records:
    # two periods of one folder with different data_through values must not read each other's cut
    from ceasefire_analysis.coverage import data_as_of
    from ceasefire_analysis.handoff import data_key
    from ceasefire_analysis.loading import load_data_dir

    data = load_data_dir(_feb_mar_2016_city(make_city), use_cache=False)
    feb, _ = data_as_of(data, dt.date(2016, 2, 29))
    march, _ = data_as_of(data, dt.date(2016, 3, 16))
    later, nothing = data_as_of(data, dt.date(2016, 12, 31))
    assert nothing == {} and later is data
    assert len({data_key(data), data_key(feb), data_key(march)}) == 3


def test_a_cut_heads_the_point_in_time_column_with_its_day_and_counts_only_tasks_already_due(make_city):
    """reader2 R4: "At 31 Mar" over 15 Mar figures; tasks due after the extract counted as not done on time."""
    from ceasefire_analysis.focus_report import focus_worksheet_html
    from ceasefire_analysis.tables import activity_worksheet_html

    tasks = [{"task_id": f"T{i}", "assigned_on": "2016-02-01", "due_on": due, "completed_on": done, "owner": "CRT",
              "meeting": "coordination"}
             for i, (due, done) in enumerate((("2016-02-10", "2016-02-09"), ("2016-02-20", "2016-02-25"),
                                              ("2016-02-28", "2016-02-27"), ("2016-03-20", "")))]
    folder = _feb_mar_2016_city(make_city)
    write_rows(folder / "tasks.csv", tasks)
    review = open_review(None, **_params(folder, "2016-02", "2016-03", "2016-02-29"))
    # 3 tasks due by 29 Feb, 2 on time; the one due 20 Mar could not be done yet and is not counted
    assert lookup(review.indicators, "deliverables_on_time_pct", "period", "denominator") == 3
    assert lookup(review.indicators, "deliverables_on_time_pct", "period", "numerator") == 2
    activities = activity_worksheet_html(review).data
    assert "67% (2 of 3)\nof the tasks due 1 Feb to 29 Feb 2016".replace("\n", "<br>") in activities
    for page in (activities, focus_worksheet_html(review).data):
        assert "At 29 Feb 2016 (latest data)" in page and "At 31 Mar 2016" not in page
    whole = open_review(None, **_params(folder, "2016-02", "2016-03", "2016-03-31"))
    assert "At 31 Mar 2016<" in activity_worksheet_html(whole).data
