"""Every verdict true: data coverage, dates said right, statistics named for what they are, one rounding."""
from __future__ import annotations

import datetime as dt
import io
import json
import math
import re

import pandas as pd
import pytest

from ceasefire_analysis.coverage import data_coverage_of, is_stale
from ceasefire_analysis.errors import InputError
from ceasefire_analysis.formatting import format_fraction, format_share, format_value, percent_points
from ceasefire_analysis.indicators import build_indicators, lookup
from ceasefire_analysis.loading import load_data_dir
from ceasefire_analysis.periods import Month
from ceasefire_analysis.review import open_review

from conftest import write_rows


def _incidents(days_and_counts):
    return [{"incident_id": f"C-{day}-{i}", "occurred_on": day, "incident_type": "homicide"}
            for day, n in days_and_counts for i in range(n)]


def _steady_city(make_city, last_day="2017-03-15", name="city"):
    """Two homicides a month from 2014 up to ``last_day``, and other files through the same day."""
    days = [f"{y}-{m:02d}-{d:02d}" for y in (2014, 2015, 2016, 2017) for m in range(1, 13) for d in (5, 15)]
    days = [d for d in days if d <= last_day]
    meetings = [{"meeting_id": f"M{i}", "scheduled_on": d, "kind": "coordination", "held": "yes",
                 "opd_lead_present": "yes", "hsd_lead_present": "yes", "risk_focus": "yes"}
                for i, d in enumerate(days) if d >= "2016-01-01"]
    comms = [{"participant_id": f"PFN-{i}", "occurred_on": d, "kind": "custom_notification", "highest_risk": "yes"}
             for i, d in enumerate(days) if d >= "2016-06-01"]
    return make_city(name, incidents=_incidents((d, 1) for d in days), meetings=meetings, communications=comms)


def _params(folder, **extra):
    return {"city": "Cutville", "period_start": "2017-02", "period_end": "2017-03", "data_dir": str(folder),
            "annual_benchmarks": {"homicides": {2017: 24}, "direct_communications": {2017: 12}}, **extra}


# --------------------------------------------------------------------------- 1. data coverage

def test_an_extract_cut_mid_month_marks_no_window_it_does_not_cover(make_city):
    folder = _steady_city(make_city, "2017-03-15")
    review = open_review(None, **_params(folder))
    assert review.coverage.through == dt.date(2017, 3, 15)
    table = review.indicators
    # Feb-Mar: 2 + 2 so far = 4 against 4 would be "meets"; the data stop on 15 March, so nothing is marked
    assert lookup(table, "homicides", "period") == 4 and lookup(table, "homicides", "period", "benchmark") == 4
    for window in ("ytd", "period"):
        assert lookup(table, "homicides", window, "status") == "incomplete"
        assert math.isnan(lookup(table, "homicides", window, "p_vs_benchmark"))
        assert math.isnan(lookup(table, "homicides", window, "p_vs_prior_year"))
        assert lookup(table, "homicides", window, "verdict") == ""
    # staffing is dated by its snapshot (1 Jan 2017, before the period): unmarked, with its reason
    staffing = table["indicator"].str.startswith("staffing_")
    assert set(table.loc[(table["window"] == "as_of") & ~staffing, "status"]) == {"incomplete", "not_recorded"}  # Worksheet 3 rows of inputs this city lacks say so
    assert lookup(table, "staffing_pct_ceasefire", "as_of", "status") == ""
    assert lookup(table, "staffing_pct_ceasefire", "as_of", "benchmark_note").startswith("no staffing report in")
    assert not table["status"].isin(["meets", "does_not_meet"]).any()
    # the prior year and the 3-year average are whole windows inside the data: still shown
    assert lookup(table, "homicides", "period", "prior_year") == 4
    assert review.incomplete_warning().startswith("2017-02_2017-03: the data run through 15 Mar 2017")


def test_pages_and_csv_of_a_cut_extract_carry_no_mark_verdict_or_p_value(make_city):
    from ceasefire_analysis.reports import indicators_csv
    from ceasefire_analysis.tables import headline_html, outcome_worksheet_html, activity_worksheet_html

    review = open_review(None, **_params(_steady_city(make_city, "2017-03-15")))
    worksheet = outcome_worksheet_html(review).data + activity_worksheet_html(review).data
    index = headline_html(review)
    for page in (worksheet, index):
        assert "Meets" not in page and "Does not meet" not in page
        assert "so far, data through 15 Mar 2017" in page
        assert "Within normal variation" not in page and "chance of a count" not in page
    csv = pd.read_csv(io.StringIO(indicators_csv(review.indicators)))
    assert set(csv["status"].dropna()) == {"incomplete", "not_recorded"}  # never a mark
    assert csv.filter(like="p_vs_").isna().all().all()


def test_data_through_from_params_decides_coverage(make_city):
    folder = _steady_city(make_city, "2017-03-31")
    review = open_review(None, **_params(folder, data_through="2017-03-31"))
    assert review.coverage.source == "params"
    assert lookup(review.indicators, "homicides", "period", "status") == "meets"
    earlier = open_review(None, **_params(folder, data_through="2017-03-10"))
    assert lookup(earlier.indicators, "homicides", "period", "status") == "incomplete"
    assert any(w.startswith("Records dated after data_through (10 Mar 2017) are left out") and
               "The latest is dated 15 Mar 2017" in w for w in earlier.warnings)


def test_a_period_after_the_data_end_is_refused_naming_the_last_date(make_city):
    folder = _steady_city(make_city, "2017-03-15")
    with pytest.raises(InputError, match="starts after the data's last date, 15 Mar 2017"):
        open_review(None, **_params(folder, period_start="2017-11", period_end="2017-12"))


def test_a_period_after_the_data_end_stops_the_run_before_any_notebook(make_city, tmp_path):
    from ceasefire_analysis.reports import run_params_files

    folder = _steady_city(make_city, "2017-03-15")
    params = tmp_path / "late.yaml"
    params.write_text(f"city: T\nperiod_start: '2017-11'\nperiod_end: '2017-12'\ndata_dir: {folder}\n")
    log = io.StringIO()
    results = run_params_files([params], tmp_path / "out", notebooks=(), stream=log)
    assert "15 Mar 2017" in results[0].error and "not run" in log.getvalue()
    assert not (tmp_path / "out" / "2017-11_2017-12").exists()


def test_the_terminal_warns_once_and_the_manifest_records_coverage(make_city, tmp_path):
    from ceasefire_analysis.reports import run_params_files

    folder = _steady_city(make_city, "2017-03-15")
    params = tmp_path / "cut.yaml"
    params.write_text(f"city: T\nperiod_start: '2017-02'\nperiod_end: '2017-03'\ndata_dir: {folder}\n")
    log = io.StringIO()
    run_params_files([params], tmp_path / "out", notebooks=(), stream=log)
    warnings = [line for line in log.getvalue().splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "15 Mar 2017" in warnings[0]
    manifest = json.loads((tmp_path / "out" / "2017-02_2017-03" / "manifest.json").read_text())
    assert manifest["coverage"]["data_through"] == "2017-03-15"
    index = (tmp_path / "out" / "2017-02_2017-03" / "index.html").read_text()
    assert "Meets" not in index and "Incomplete" in index


def test_a_stale_file_is_named_by_its_own_rhythm():
    weekly = pd.Series(pd.date_range("2016-01-04", "2017-03-27", freq="7D"))
    monthly = pd.Series(pd.date_range("2016-01-31", "2017-02-28", freq="ME"))
    assert not is_stale(weekly, dt.date(2017, 3, 31))
    assert not is_stale(monthly, dt.date(2017, 3, 31))  # a month since a monthly snapshot is its rhythm
    assert is_stale(weekly[:-8], dt.date(2017, 3, 31))  # two months without a weekly record
    tables = {"incidents": pd.DataFrame({"occurred_on": weekly}),
              "meetings": pd.DataFrame({"scheduled_on": weekly[:-8]})}
    coverage = data_coverage_of(tables)
    assert coverage.through == dt.date(2017, 3, 27) and [name for name, _ in coverage.stale] == ["meetings"]


def test_params_reject_a_malformed_data_through(make_city):
    from ceasefire_analysis.errors import ParamsError

    with pytest.raises(ParamsError, match="'data_through'.*YYYY-MM-DD"):
        open_review(None, **_params(make_city(), data_through="15/03/2017"))


# --------------------------------------------------------------------------- 2. dates said right

def test_a_year_boundary_period_is_labelled_by_its_months(make_city):
    from ceasefire_analysis.tables import headline_html, outcome_worksheet_html

    folder = _steady_city(make_city, "2017-01-31")
    review = open_review(None, city="T", period_start="2016-12", period_end="2017-01", data_dir=str(folder),
                         annual_benchmarks={"direct_communications": {2017: 120}})
    worksheet = outcome_worksheet_html(review).data
    assert "Dec 2016–Jan 2017" in worksheet and "Dec 2015–Jan 2016" in worksheet  # the window and a year before
    assert "Actual 2017" not in worksheet and "2016 (same months)" not in worksheet
    index = headline_html(review)
    assert "Dec 2016–Jan 2017" in index
    # direct communications: 2017 has a benchmark, December 2016 has none: the row stays and says why
    assert lookup(review.indicators, "direct_communications", "period", "benchmark_note") == "no 2016 benchmark set"
    assert "no 2016 benchmark set" in index


def test_the_default_control_chart_baseline_ends_before_the_review_period():
    from ceasefire_analysis.charts import default_baseline

    first, last = default_baseline(Month(2016, 12), Month(2010, 1))
    assert last == Month(2016, 11) and first == Month(2013, 12)


def test_a_2017_review_charts_nothing_after_2017(demo_params, demo_data):
    import matplotlib

    from ceasefire_analysis.history import history_report
    from ceasefire_analysis.review import PeriodReview

    review = PeriodReview(params=demo_params, data=demo_data, params_label="demo")
    report = history_report(review)
    charts = [c for c in (report.homicides_chart, report.rate_chart, report.footprint_chart) if hasattr(c, "figure")]
    assert len(charts) == 3
    for chart in charts:
        for ax in chart.figure.axes:
            assert ax.get_xlim()[1] <= 2018  # the axis ends at 2017 (+1 margin)
            for line in ax.get_lines():
                assert max(line.get_xdata(), default=0) < 2017  # no full-year figure for 2017 or later
            assert "2025" not in ax.get_title()
    homicides = charts[0].figure.axes[0]
    assert "1969–2017" in homicides.get_title()
    partial = [p for p in homicides.patches if isinstance(p, matplotlib.patches.Rectangle) and p.get_x() < 2017.5
               and p.get_x() + p.get_width() > 2016.5]
    assert partial and partial[0].get_height() == 16  # the year so far, as a partial bar


# --------------------------------------------------------------------------- 4. statistics and rounding

def test_one_formatter_rounds_every_percentage_half_up():
    assert format_share(0.125) == "13%" and format_value(12.5, "percent") == "13%"
    assert percent_points(100 * 0.145) == 15 and format_share(0.005) == "1%"
    assert format_fraction(27, 34) == "79% (27 of 34)"
    from ceasefire_analysis.outcomes import _pct
    assert _pct(0.125) == "13%"  # the call-in report, which used to round half to even (12%)


def test_chance_and_detectable_change_are_named_for_what_they_are(demo_params, demo_data):
    from ceasefire_analysis.review import PeriodReview
    from ceasefire_analysis.tables import how_to_read_html, outcome_worksheet_html

    review = PeriodReview(params=demo_params, data=demo_data, params_label="demo")
    worksheet = outcome_worksheet_html(review).data
    assert "if the true rate equalled the benchmark" in worksheet and "nothing changed" not in worksheet
    assert worksheet.count("no clear change (") + worksheet.count("clearly higher now (") \
        + worksheet.count("clearly lower now (") == 12  # beside the prior year and the 3-year average, 6 rows
    assert worksheet.count("the E-test (a test for a change in the rate of a count)") == 1
    assert "decided by the benchmark spread evenly" in worksheet
    how = how_to_read_html(review).data
    assert "76.8" not in how and "51.2" not in how and ">77<" in how and ">51<" in how
    assert "would stand out" in how and "about half the time" in how


def test_the_seasonal_rule_is_named_on_the_page(demo_params, demo_data):
    import dataclasses

    from ceasefire_analysis.review import PeriodReview
    from ceasefire_analysis.tables import outcome_worksheet_html

    params = dataclasses.replace(demo_params, seasonal_benchmarks=True)
    review = PeriodReview(params=params, data=demo_data, params_label="demo")
    page = outcome_worksheet_html(review).data
    assert "Seasonal benchmark (decides the mark)" in page and "decided by the seasonal benchmark" in page


def test_an_activity_miss_within_chance_says_so(demo_params, demo_data):
    from ceasefire_analysis.review import PeriodReview
    from ceasefire_analysis.tables import activity_worksheet_html, headline_html

    review = PeriodReview(params=demo_params, data=demo_data, params_label="demo")
    page = activity_worksheet_html(review).data
    assert "88% (119 of 135)" in page and "The shortfall could be chance: 27%" in page
    assert "79% (27 of 34)" in page
    # the on-time rate says which tasks it counts (by due date), as the coordination pack's rate does
    assert "79% (27 of 34)<br>of the tasks due 1 Jan to 31 Mar 2017" in page
    index = headline_html(review)
    assert re.search(r"Does not meet benchmark</td><td[^>]*>Within normal variation \(32%\)", index)


def test_every_status_is_an_allowed_value(demo_indicators, make_city):
    from ceasefire_analysis.schema import STATUSES

    cut = open_review(None, **_params(_steady_city(make_city, "2017-03-15"))).indicators
    for table in (demo_indicators, cut):
        assert set(table["status"]) <= set(STATUSES)


# --------------------------------------------------------------------------- 3. what public output leaves out

def test_public_output_leaves_out_internal_notes_and_absolute_paths(make_city, tmp_path):
    from ceasefire_analysis.reports import run_params_files
    from ceasefire_analysis.tables import next_steps_html, note_for

    folder = _steady_city(make_city, "2017-03-31")
    params = tmp_path / "public.yaml"
    params.write_text(f"city: T\nperiod_start: '2017-02'\nperiod_end: '2017-03'\ndata_dir: {folder}\n"
                      "audience: public\nnotes: {call_ins: 'internal: ask Officer Quill about the list', "
                      "coordination_meetings: 'Two meetings moved.'}\n"
                      "next_steps: ['internal: chase the Quill family', 'Publish the review.']\n")
    review = open_review(str(params))
    assert note_for(review, "call_ins") == "" and note_for(review, "coordination_meetings") == "Two meetings moved."
    steps = next_steps_html(review).data
    assert "Quill" not in steps and "Publish the review." in steps
    run_params_files([params], tmp_path / "out", notebooks=(), stream=io.StringIO())
    index = (tmp_path / "out" / "2017-02_2017-03-public" / "index.html").read_text()
    provenance = re.search(r'class="cf-provenance">(.*?)</p>', index).group(1)
    assert "params: public.yaml;" in provenance and str(tmp_path) not in index
    internal = open_review(None, **_params(folder, notes={"call_ins": "internal: ask Officer Quill"}))
    assert note_for(internal, "call_ins") == "ask Officer Quill"


def test_trend_charts_of_a_cut_extract_say_the_last_month_is_partial(make_city):
    from ceasefire_analysis.charts import monthly_counts_chart, year_to_date_chart

    review = open_review(None, **_params(_steady_city(make_city, "2017-03-15")))
    for chart in (year_to_date_chart(review, "homicides"), monthly_counts_chart(review, "homicides")):
        legends = [*chart.figure.legends, *(ax.get_legend() for ax in chart.figure.axes if ax.get_legend())]
        legend = [t.get_text() for lg in legends for t in lg.get_texts()]
        assert any("so far, data through 15 Mar 2017" in t for t in legend), legend


def test_a_hand_set_control_chart_baseline_outside_the_data_says_what_the_data_allow():
    """F19: a baseline before the data (2010-2012) or after the period got 'Name one with control_chart: ...'."""
    from ceasefire_analysis.charts import control_chart_figure
    from ceasefire_analysis.config import DEMO_DATA_DIR

    base = {"city": "Oakland (demo data, synthetic)", "data_dir": str(DEMO_DATA_DIR)}
    before = open_review(None, period_start="2016-05", period_end="2016-06",
                         control_chart={"baseline_start": "2010-01", "baseline_end": "2012-12"}, **base)
    text = control_chart_figure(before, "homicides").data
    assert "the baseline 2010-01 to 2012-12 set for this city " \
           "starts before the data (incidents start in Jan 2014)" in text
    assert "Choose a baseline within months from 2014-01 to 2016-05" in text and "Name one" not in text
    after = open_review(None, period_start="2016-07", period_end="2016-08",
                        control_chart={"baseline_start": "2016-09", "baseline_end": "2016-12"}, **base)
    text = control_chart_figure(after, "homicides").data
    assert "does not end before the review period&#x27;s last month (Aug 2016)" in text
    assert "months from 2014-01 to 2016-07" in text


def test_seasonal_years_the_data_do_not_hold_are_warned_and_the_pace_claims_no_seasonal_pattern():
    """F19: seasonal_years: 10 on 2.5 years of data: cells said n/a, but the pace title claimed 'its seasonal pattern'."""
    from ceasefire_analysis.config import DEMO_DATA_DIR
    from ceasefire_analysis.tables import pace_html

    review = open_review(None, city="Oakland (demo data, synthetic)", data_dir=str(DEMO_DATA_DIR),
                         period_start="2016-07", period_end="2016-08", seasonal_benchmarks=True, seasonal_years=10)
    assert not review.indicators["decided_by"].eq("seasonal").any()
    assert any("seasonal_years: 10, but the incident data hold only 2 (2014–2015) of the 10 whole years before 2016"
               in w for w in review.warnings)
    page = pace_html(review).data
    assert "its seasonal pattern" not in page and "an even monthly pace" in page
    # with the years there, the seasonal pattern decides and the title says so; no warning
    review = open_review(None, city="Oakland (demo data, synthetic)", data_dir=str(DEMO_DATA_DIR),
                         period_start="2016-07", period_end="2016-08", seasonal_benchmarks=True, seasonal_years=2)
    assert review.indicators["decided_by"].eq("seasonal").any()
    assert not any("seasonal_years" in w for w in review.warnings)
    assert "its seasonal pattern" in pace_html(review).data
