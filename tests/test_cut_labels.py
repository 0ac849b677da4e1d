"""A review cut by ``data_through`` inside its period says so wherever a day is named (reader2 R8, reader #11).

Each page that names "the period's end" must name the data's last day instead when the extract stops
before it: a count of six weeks read beside a two-month benchmark, unmarked, reads as a two-month count.
"""
from __future__ import annotations

import datetime as dt

from ceasefire_analysis.review import open_review


def _callin_city(make_city):
    contacts = [{"participant_id": f"PFN-{i}", "occurred_on": "2017-01-10", "kind": "call_in", "highest_risk": "yes"}
                for i in range(6)]
    contacts.append({"participant_id": "PFN-late", "occurred_on": "2017-03-20", "kind": "call_in",
                     "highest_risk": "no"})  # after the cut
    events = [{"participant_id": "PFN-1", "occurred_on": "2017-02-21", "event": "arrest_violent_or_gun"},
              {"participant_id": "PFN-2", "occurred_on": "2017-03-25", "event": "arrest_violent_or_gun"}]
    incidents = [{"incident_id": f"C-{m}", "occurred_on": f"2017-{m:02d}-05", "incident_type": "homicide"}
                 for m in (1, 2, 3)] + [{"incident_id": "C-x", "occurred_on": "2017-03-31", "incident_type": "homicide"}]
    return make_city(communications=contacts, participant_events=events, incidents=incidents)


def test_the_callin_page_of_a_cut_period_names_the_datas_last_day(make_city):
    from ceasefire_analysis.outcomes import breakdown_for_review, callin_outcomes_report, status_day

    folder = _callin_city(make_city)
    review = open_review(None, city="Cutville", period_start="2017-02", period_end="2017-03", data_dir=str(folder),
                         data_through="2017-03-15")
    assert status_day(review) == dt.date(2017, 3, 15)
    report = callin_outcomes_report(review)
    assert "up to 15 Mar 2017 (latest data)" in report.header.data
    assert "The data run through 15 Mar 2017, before the end of the review period (31 Mar 2017)" in report.header.data
    assert "Status on 15 Mar 2017 (latest data)" in report.breakdown_table.data
    for text in (report.header.data, report.breakdown_table.data):
        assert "31 March 2017" not in text and "Status on 31 Mar" not in text
    title = report.breakdown_chart.figure.axes[0].get_title()
    assert title.startswith("Status as of 15 Mar 2017 (latest data)")
    # by hand: six people reached on 10 Jan (PFN-late on 20 Mar is after the cut); PFN-1 arrested on 21 Feb,
    # PFN-2's arrest of 25 Mar is after the cut
    cohort, breakdown = breakdown_for_review(review)
    everyone = breakdown[breakdown["group"] == "all"].set_index("outcome")["people"]
    assert len(cohort) == 6 and everyone["arrest_violent_or_gun"] == 1 and everyone.sum() == 6


def test_the_callin_page_of_a_complete_period_names_the_periods_end(make_city):
    from ceasefire_analysis.outcomes import callin_outcomes_report

    folder = _callin_city(make_city)
    review = open_review(None, city="Fullville", period_start="2017-02", period_end="2017-03", data_dir=str(folder))
    report = callin_outcomes_report(review)
    assert "up to 31 Mar 2017, and" in report.header.data and "latest data" not in report.header.data
    assert "Status on 31 Mar 2017" in report.breakdown_table.data
    assert "The data run through" not in report.header.data


def test_a_cut_periods_index_lists_the_rows_of_a_complete_one(make_city):
    """reader #11: the cut index listed 'Active caseload at period end | at 31 Mar 2017 | 200 | 196 (so far…)',
    the case managers' capacity read as a benchmark, in a row the complete index does not have."""
    from ceasefire_analysis.tables import headline_html, headline_status

    cases = [{"participant_id": f"PFN-{i}", "enrolled_on": f"2017-0{1 + i % 3}-1{i % 9}", "exited_on": "",
              "referral_source": "call_in", "opd_highest_risk": "yes" if i % 2 else "no"} for i in range(12)]
    folder = make_city(case_management=cases,
                       incidents=[{"incident_id": "C-1", "occurred_on": "2016-01-05", "incident_type": "homicide"},
                                  {"incident_id": "C-2", "occurred_on": "2017-03-31", "incident_type": "homicide"}])
    values = dict(city="Cutville", period_start="2017-02", period_end="2017-03", data_dir=str(folder),
                  case_management_capacity=200, annual_benchmarks={"case_management_new": {2017: 250}})
    complete, cut = open_review(None, **values), open_review(None, **values, data_through="2017-03-15")
    rows = [list(zip(headline_status(r.indicators)["indicator"], headline_status(r.indicators)["window"]))
            for r in (complete, cut)]
    assert rows[0] == rows[1] and ("case_management_new", "period") in rows[0]
    assert "case_management_active" in set(cut.indicators["indicator"])  # still on the worksheet, not the index
    page = headline_html(cut)
    assert "Active caseload" not in page and "at 31 Mar 2017" not in page
