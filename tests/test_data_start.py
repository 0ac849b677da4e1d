"""Data that START mid-way: the first day of the incident data is treated like the last (attack3 A2, A5, A6, A8,
A9, A10, A15). A month or year the data start in after its first day is partial, never whole."""
from __future__ import annotations

import datetime as dt
import html
import math
import re

import pytest

from ceasefire_analysis.indicators import lookup
from ceasefire_analysis.review import open_review

HOMICIDE_DAYS, NONFATAL_DAYS = (15, 20, 25), (16, 22)


def _incidents(first: str, last: str) -> list[dict]:
    """Homicides on days 15, 20 and 25 and non-fatal shootings on days 16 and 22 of every month from
    ``first`` to ``last`` (ISO days)."""
    rows = []
    for y in range(2014, 2021):
        for m in range(1, 13):
            for days, kind in ((HOMICIDE_DAYS, "homicide"), (NONFATAL_DAYS, "nonfatal_injury_shooting")):
                for d in days:
                    day = dt.date(y, m, d).isoformat()
                    if first <= day <= last:
                        rows.append({"incident_id": f"C-{day}-{kind[:3]}", "occurred_on": day, "incident_type": kind})
    return rows


def _params(folder, start: str, end: str, **extra) -> dict:
    return {"city": "Lateville", "period_start": start, "period_end": end, "data_dir": str(folder),
            "annual_benchmarks": {"homicides": {y: 24 for y in range(2014, 2021)},
                                  "nonfatal_injury_shootings": {y: 30 for y in range(2014, 2021)}}, **extra}


def _activities(first: str, last: str) -> dict[str, list[dict]]:
    """Communications, enrolments, staffing reports and meetings on the 20th or 28th of every month between two
    days, so that no activity file ends early."""
    days = [dt.date(y, m, d).isoformat() for y in range(2014, 2021) for m in range(1, 13) for d in (20, 28)]
    days = [d for d in days if first <= d <= last]
    return {
        "communications": [{"participant_id": f"PFN-{i}", "occurred_on": d, "kind": "call_in", "highest_risk": "yes"}
                           for i, d in enumerate(days)],
        "case_management": [{"participant_id": f"PFN-{i}", "enrolled_on": d, "exited_on": "",
                             "referral_source": "call_in", "opd_highest_risk": "no"} for i, d in enumerate(days)],
        "staffing": [{"as_of": d, "unit": "CRT", "unit_group": "ceasefire", "authorized": "10", "filled": "8"}
                     for d in days],
        "meetings": [{"meeting_id": f"M{i}", "scheduled_on": d, "kind": "coordination", "held": "yes",
                      "opd_lead_present": "yes", "hsd_lead_present": "yes", "risk_focus": "yes"}
                     for i, d in enumerate(days)],
    }


@pytest.fixture
def late_city(make_city):
    """Incidents from 15 Jul 2017 (mid-month) to 31 Mar 2018; the other files from 20 Jul 2017 to 28 Mar 2018."""
    return make_city("late", incidents=_incidents("2017-07-15", "2018-03-31"),
                     **_activities("2017-07-15", "2018-03-31"))


def _legend(chart) -> list[str]:
    return [t.get_text() for ax in chart.figure.axes if ax.get_legend() for t in ax.get_legend().get_texts()] + \
        [t.get_text() for legend in chart.figure.legends for t in legend.get_texts()]


# --------------------------------------------------------------------------- A2 + A5: control charts, months, years

def test_a_default_baseline_of_fewer_than_12_whole_months_draws_no_limits_and_says_why(late_city):
    from ceasefire_analysis.charts import MIN_BASELINE_MONTHS, control_chart_figure

    review = open_review(None, **_params(late_city, "2017-12", "2018-01", data_through="2018-03-31"))
    chart = control_chart_figure(review, "homicides")
    # before: limits from Jul-Nov 2017, the half month of 15-31 Jul among them
    assert MIN_BASELINE_MONTHS == 12
    assert not hasattr(chart, "figure")
    text = chart.data
    assert "no control limits: they need at least 12 whole months" in text
    assert "there are only 4 (Aug–Nov 2017)" in text
    assert "the incident data start 15 Jul 2017" in text


def test_the_partial_first_month_is_never_a_baseline_month_and_is_drawn_apart(make_city):
    from ceasefire_analysis.charts import control_chart_figure

    folder = make_city("late", incidents=_incidents("2015-07-15", "2017-03-31"))
    review = open_review(None, **_params(folder, "2016-12", "2017-01", data_through="2017-03-31"))
    chart = control_chart_figure(review, "homicides")
    title = " ".join(chart.figure.axes[0].get_title().split())  # a long title is wrapped to fit
    # the baseline starts at the first whole month, August 2015 (it took in 15-31 Jul 2015 before)
    assert "baseline Aug 2015–Nov 2016: 16 whole months" in title
    legend = _legend(chart)
    assert any(t.startswith("15–31 Jul only (partial month: the data start 15 Jul 2015") for t in legend)
    # a hand-set baseline that takes in the partial month is refused, naming the first whole month
    review = open_review(None, **_params(folder, "2016-12", "2017-01", data_through="2017-03-31",
                                         control_chart={"baseline_start": "2015-07", "baseline_end": "2016-06"}))
    assert "starts before the data's first whole month (Aug 2015; the incident data start 15 Jul 2015)" in \
        html.unescape(control_chart_figure(review, "homicides").data)


def test_the_month_by_month_chart_draws_the_partial_first_month_apart(late_city):
    from ceasefire_analysis.charts import monthly_counts_chart

    review = open_review(None, **_params(late_city, "2017-12", "2018-01", data_through="2018-03-31"))
    legend = _legend(monthly_counts_chart(review, "homicides"))
    assert "15–31 Jul only (partial month: the incident data start 15 Jul 2017)" in legend


def test_the_history_chart_marks_a_first_year_the_data_start_within_as_partial(late_city):
    from ceasefire_analysis.history import annual_incident_counts, history_report

    review = open_review(None, **_params(late_city, "2017-12", "2018-01", data_through="2018-03-31"))
    counts = annual_incident_counts(review.data.incidents, dt.date(2018, 1, 31), review.incident_coverage.start)
    assert counts.set_index("year")["partial"].to_dict() == {2017: True, 2018: True}
    # a first incident on 3 January with data_from 1 January: the year is whole
    counts = annual_incident_counts(review.data.incidents[review.data.incidents["occurred_on"].dt.year == 2018],
                                    dt.date(2018, 12, 31), dt.date(2018, 1, 1))
    assert counts.set_index("year")["partial"].to_dict() == {2018: False}
    report = history_report(review)
    assert "2017 from 15 Jul 2017" in " ".join(report.homicides_chart.figure.axes[0].get_title().split())  # wrapped
    ticks = report.homicides_chart.figure.axes[0].get_xticks()
    assert all(float(t).is_integer() for t in ticks)  # before: 2016.75, 2017.25 ...
    assert "the first year (2017) counts only from 15 Jul 2017" in report.sources.data


def test_a_complete_review_year_is_whole_on_the_history_page(make_city):
    """A9: '2019 only 1 Jan–31 Dec 2019' and an open circle for a year whose 31 Dec is covered."""
    from ceasefire_analysis.history import history_report

    folder = make_city("whole", incidents=_incidents("2017-01-01", "2019-12-31"), **_activities("2017-01-01", "2019-12-31"))
    review = open_review(None, **_params(folder, "2019-11", "2019-12", data_from="2017-01-01", data_through="2019-12-31"))
    report = history_report(review)
    title = report.homicides_chart.figure.axes[0].get_title()
    # before: "... (from incidents.csv; 2019 only 1 Jan–31 Dec 2019)"; no year of the chart is partial
    assert title.startswith("Homicides per year, 2017–2019 (from ") and ";" not in title and "only" not in title
    assert "partial year (open circle)" not in _legend(report.homicides_chart) or \
        not any(len(line.get_xdata()) for line in report.homicides_chart.figure.axes[0].lines
                if line.get_label() == "partial year (open circle)")
    assert "every year charted is whole" in report.sources.data
    assert "counts only to" not in report.sources.data


# --------------------------------------------------------------------------- A6: the year so far

def test_the_year_so_far_chart_draws_no_zeros_for_months_before_the_data_start(late_city):
    from ceasefire_analysis.charts import year_to_date_chart, year_to_date_curves

    review = open_review(None, **_params(late_city, "2017-11", "2017-12", data_through="2018-03-31"))
    curves = year_to_date_curves(review, "homicides")
    # before: Jan-Jun 2017 drawn as a running total of 0
    assert curves["current"].isna().all()
    chart = year_to_date_chart(review, "homicides")
    assert "no running total for 2017: the incident data start 15 Jul 2017" in chart.data
    # the next year: 2017 is no whole year to compare with, 2018 is drawn from 1 January
    review = open_review(None, **_params(late_city, "2018-02", "2018-03", data_through="2018-03-31"))
    curves = year_to_date_curves(review, "homicides")
    assert curves["prior"].isna().all()
    assert curves["current"].tolist()[:3] == [3.0, 6.0, 9.0]


def test_the_terminal_warning_names_the_late_start_not_the_end(late_city):
    review = open_review(None, **_params(late_city, "2017-11", "2017-12", data_through="2018-03-31"))
    assert lookup(review.indicators, "homicides", "ytd", "status") == "incomplete"
    warning = review.incomplete_warning()
    # before: "the data run through 31 Mar 2018; ..." with no word of the start
    assert warning.startswith("2017-11_2017-12: incidents.csv starts 15 Jul 2017; earlier days are not in the data: "
                              "indicators over windows that start earlier are marked incomplete")
    assert "run through" not in warning


# --------------------------------------------------------------------------- A15: a year to date with no covered day

@pytest.mark.parametrize("audience", ["internal", "public"])
def test_a_year_to_date_after_the_data_end_reads_no_data_yet_with_no_comparison(make_city, audience):
    """A Dec 2016-Jan 2017 review of an extract taken on 31 Dec 2016: Jan 2017 holds nothing yet."""
    from ceasefire_analysis.tables import activity_worksheet_html, headline_html, outcome_worksheet_html

    folder = make_city("ends", incidents=_incidents("2014-01-01", "2017-03-31"),
                       **_activities("2014-01-01", "2017-03-31"))
    review = open_review(None, **_params(folder, "2016-12", "2017-01", data_through="2016-12-31", audience=audience))
    table = review.indicators
    note = "no data yet for Jan 2017: the data run through 31 Dec 2016"
    for indicator in ("homicides", "nonfatal_injury_shootings", "direct_communications"):
        row = table[(table["indicator"] == indicator) & (table["window"] == "ytd")].iloc[0]
        # before: 0 "so far" against the whole Januaries of 2016 (3) and 2014-2016
        assert row["status"] == "incomplete" and row["coverage_note"] == note
        assert math.isnan(row["actual"])
        assert math.isnan(row["prior_year"]) and math.isnan(row["three_year_average"])
    # the review period is counted so far (December), against the same days a year earlier
    assert lookup(table, "homicides", "period") == 3
    assert lookup(table, "homicides", "period", "compared_through") == "2015-12-31"
    assert lookup(table, "homicides", "period", "prior_year") == 3
    page = html.unescape(outcome_worksheet_html(review).data)
    assert "No data yet for Jan 2017: the data run through 31 Dec 2016" in page
    assert "n/a: no data yet for this window, so nothing to compare" in page
    assert "(Jan 2016)" not in page
    assert note in html.unescape(activity_worksheet_html(review).data)
    assert "0 (so far" not in html.unescape(headline_html(review))


# --------------------------------------------------------------------------- A10: meeting packs

def test_a_pack_never_reads_windows_before_the_data_start_as_zero(late_city):
    from ceasefire_analysis.meetings import _shootings_block, open_meeting, pack_header, weekly_comparison

    pack = open_meeting(None, meeting="coordination", city="Lateville", data_dir=str(late_city),
                        window_start="2017-07-07", window_end="2017-07-20", meeting_on="2017-07-20")
    page = html.unescape(_shootings_block(pack))
    # before: "Homicide | 2 | 0 | 0.0": last year and the four earlier windows are before the data, read as 0
    assert "Homicide</td><td>2 (from 15 Jul only)</td><td>n/a (before the data start, 15 Jul 2017)</td>" \
           "<td>n/a (before the data start, 15 Jul 2017)</td>" in re.sub(r' (class="num"|data-label="[^"]*")', "", page)
    assert "The incident data start 15 Jul 2017: this window holds only 15 Jul to 20 Jul 2017" in page
    assert "The incident data start 15 Jul 2017: shootings before that day are not in these figures" in \
        html.unescape(pack_header(pack).data)
    # homicides on the 15th, 20th and 25th: the four 7-day windows before 19-25 Aug all lie in the data
    # (12-18 Aug: 1, 5-11 Aug: 0, 29 Jul-4 Aug: 0, 22-28 Jul: 1)
    week = weekly_comparison(pack.data.incidents, dt.date(2017, 8, 19), dt.date(2017, 8, 25),
                             dt.date(2017, 7, 15)).set_index("type")
    assert week.attrs["windows_in_data"] == 4
    assert week.loc["Homicide", "average_of_4_before"] == 0.5
    # before 5-11 Aug: 29 Jul-4 Aug (0), 22-28 Jul (1) and 15-21 Jul (2) are in the data, 8-14 Jul is not
    week = weekly_comparison(pack.data.incidents, dt.date(2017, 8, 5), dt.date(2017, 8, 11),
                             dt.date(2017, 7, 15)).set_index("type")
    assert week.attrs["windows_in_data"] == 3
    assert week.loc["Homicide", "average_of_4_before"] == 1.0
    assert math.isnan(week.loc["Homicide", "same_dates_last_year"])
    pack = open_meeting(None, meeting="shooting_review", city="Lateville", data_dir=str(late_city),
                        window_start="2017-08-05", window_end="2017-08-11", meeting_on="2017-08-11")
    page = html.unescape(_shootings_block(pack))
    assert "(of the 3 windows in the data)" in page
    assert "from 15 Jul only" not in page


# --------------------------------------------------------------------------- A8: data_from after the first record

def test_a_data_from_after_the_first_incident_leaves_earlier_rows_out_and_says_so(late_city):
    from ceasefire_analysis.tables import outcome_worksheet_html, quality_html, report_header

    review = open_review(None, **_params(late_city, "2018-02", "2018-03", data_through="2018-03-31",
                                         data_from="2017-08-01"))
    # 15-31 Jul 2017 held 3 homicides and 2 non-fatal shootings: left out
    assert review.data.incidents["occurred_on"].min().date() == dt.date(2017, 8, 15)
    warning = ("data_from is 1 Aug 2017, after the first incident record (15 Jul 2017): the 5 incident rows dated "
               "before it are left out of every count and chart of this review")
    assert any(w.startswith(warning) for w in review.warnings)
    assert [w[:len(warning) + 17] for w in review.terminal_warnings] == [f"2018-02_2018-03: {warning}"]  # printed
    assert warning in html.unescape(quality_html(review).data)
    # the header and the comparison cells name the same start (before: header 15 July, cells Aug 2017)
    assert "Incident data run from 1 August 2017 to 25 March 2018" in report_header(review, "W", "p").data
    assert "n/a: the incident data start Aug 2017 (Feb–Mar 2017)" in html.unescape(outcome_worksheet_html(review).data)
    records = {r["file"]: r for r in review.data.input_records()}
    assert records["incidents.csv"]["rows_before_data_from"] == 5


def test_a_window_cut_by_the_data_start_is_not_said_to_run_to_the_data_end(late_city):
    from ceasefire_analysis.tables import outcome_worksheet_html

    review = open_review(None, **_params(late_city, "2017-11", "2017-12", data_through="2018-03-31"))
    page = html.unescape(outcome_worksheet_html(review).data)
    assert "(the incident data start 15 Jul 2017; earlier days are not in the data)" in page
    # before: "Incomplete: no mark until the data cover the whole window (so far, data through 31 Mar 2018)"
    assert "so far, data through 31 Mar 2018" not in page


def test_a_year_with_no_record_at_all_is_a_gap_on_the_history_chart_not_a_zero(make_city):
    # reader4 F9: an export missing whole years drew them as years without a single shooting, on a page that did
    # not say the extract had a gap
    import math

    from ceasefire_analysis.history import history_report

    rows = [r for r in _incidents("2014-01-01", "2017-03-31") if not r["occurred_on"].startswith(("2015", "2016"))]
    folder = make_city("gappy", incidents=rows)
    review = open_review(None, **_params(folder, "2017-02", "2017-03", data_through="2017-03-31"))
    chart = history_report(review).homicides_chart
    ax = chart.figure.axes[0]
    line = ax.get_lines()[0]
    by_year = dict(zip(line.get_xdata(), line.get_ydata()))
    assert by_year[2014] > 0 and math.isnan(by_year[2015]) and math.isnan(by_year[2016]) and by_year[2017] > 0
    assert "no incident of any kind recorded in 2015–2016, left blank" in " ".join(ax.get_title().split())
