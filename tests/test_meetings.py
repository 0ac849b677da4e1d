"""Meeting packs: task arithmetic, params, and both packs rendered for the demo."""
import datetime as dt
import math

import pandas as pd
import pytest

from ceasefire_analysis.config import PARAMS_DIR
from ceasefire_analysis.errors import ParamsError
from ceasefire_analysis.indicators import lookup
from ceasefire_analysis.meetings import (
    days_overdue, is_on_time, last_meeting_before, median_days_to_complete, meeting_params_from_values, on_time_rate,
    open_on, repeat_groups, shooting_incidents, weekly_comparison,
)
from ceasefire_analysis.reports import run_periods

TASKS = pd.DataFrame({
    "task_id": ["a", "b", "c", "d", "e"],
    "assigned_on": pd.to_datetime(["2017-03-01", "2017-03-01", "2017-03-01", "2017-03-05", "2017-03-20"]),
    "due_on": pd.to_datetime(["2017-03-10", "2017-03-10", "2017-03-10", "2017-03-12", "2017-04-01"]),
    "completed_on": pd.to_datetime(["2017-03-10", "2017-03-11", None, None, None]),
    "owner": ["OPD", "OPD", "HSD", "HSD", "CBO"],
})


def test_on_time_and_overdue_arithmetic():
    assert is_on_time(TASKS).tolist() == [True, False, False, False, False]  # done on the due date is on time
    open_then = open_on(TASKS, dt.date(2017, 3, 15))
    assert open_then["task_id"].tolist() == ["c", "d"]  # e not yet assigned on the 15th
    assert days_overdue(open_then, dt.date(2017, 3, 15)).tolist() == [5, 3]
    assert days_overdue(TASKS.iloc[[4]], dt.date(2017, 3, 25)).tolist() == [0]  # not yet due
    assert open_on(TASKS, dt.date(2017, 3, 10))["task_id"].tolist() == ["b", "c", "d"]  # a done that day
    due, done, rate = on_time_rate(TASKS, dt.date(2017, 3, 1), dt.date(2017, 3, 31))
    assert (due, done) == (4, 1) and rate == 0.25
    assert math.isnan(on_time_rate(TASKS, dt.date(2016, 1, 1), dt.date(2016, 1, 31))[2])
    assert median_days_to_complete(TASKS, dt.date(2017, 3, 1), dt.date(2017, 3, 31)) == 9.5  # 9 and 10 days


def test_incident_helpers():
    inc = pd.DataFrame({
        "incident_id": ["A", "A", "B", "C", "D"],
        "occurred_on": pd.to_datetime(["2017-03-01", "2017-03-01", "2017-03-05", "2017-03-20", "2016-03-21"]),
        "incident_type": ["nonfatal_injury_shooting", "homicide", "non_injury_shooting", "homicide", "homicide"],
        "group": ["G1", "G1", "G1", "G2", None],
    })
    merged = shooting_incidents(inc)
    assert merged.set_index("incident_id").loc["A", "incident_type"] == "homicide"
    assert merged.set_index("incident_id").loc["A", "victims"] == 2
    assert merged.set_index("incident_id").loc["B", "victims"] == 0
    groups = repeat_groups(inc, dt.date(2017, 3, 25))
    assert groups["group"].tolist() == ["G1"] and groups["shootings"].tolist() == [2]  # incidents, not victims
    week = weekly_comparison(inc, dt.date(2017, 3, 20), dt.date(2017, 3, 26)).set_index("type")
    assert week.loc["Homicide", "this_window"] == 1 and week.loc["Homicide", "same_dates_last_year"] == 1
    # four previous 7-day windows (20 Feb - 19 Mar): A's homicide on 1 March
    assert week.loc["Homicide", "average_of_4_before"] == 0.25


def test_meeting_params_errors():
    base = {"meeting": "shooting_review", "city": "X", "data_dir": "data/raw/demo", "week_start": "2017-03-20",
            "week_end": "2017-03-26"}
    assert meeting_params_from_values(base).folder_id == "shooting_review_2017-03-20"
    assert meeting_params_from_values({**base, "week_start": dt.date(2017, 3, 20)}).start == dt.date(2017, 3, 20)
    with pytest.raises(ParamsError, match="'week_end'.*before"):
        meeting_params_from_values({**base, "week_end": "2017-03-01"})
    with pytest.raises(ParamsError, match="'week_start'"):
        meeting_params_from_values({**base, "week_start": "20/03/2017"})
    with pytest.raises(ParamsError, match="'window_start' does not apply"):
        meeting_params_from_values({**base, "window_start": "2017-03-01"})
    with pytest.raises(ParamsError, match="'meeting'"):
        meeting_params_from_values({**base, "meeting": "picnic"})
    with pytest.raises(ParamsError, match="'weekstart'"):
        meeting_params_from_values({**base, "weekstart": "2017-03-20"})


def test_last_meeting_before():
    meetings = pd.DataFrame({"kind": ["coordination"] * 3, "held": pd.array([True, False, True], dtype="boolean"),
                             "scheduled_on": pd.to_datetime(["2017-02-09", "2017-02-23", "2017-03-09"])})
    assert last_meeting_before(meetings, "coordination", dt.date(2017, 3, 9)) == dt.date(2017, 2, 9)


def test_worksheet_has_task_indicators(demo_indicators):
    assert 0 <= lookup(demo_indicators, "deliverables_on_time_pct", "period") <= 100
    assert lookup(demo_indicators, "deliverables_median_days_to_complete", "period") > 0


@pytest.fixture(scope="module")
def packs(tmp_path_factory):
    out = tmp_path_factory.mktemp("packs")
    results = run_periods([PARAMS_DIR / "shooting_review_2017-03-20.yaml", PARAMS_DIR / "coordination_2017-02-24.yaml"],
                          out, jobs=2)
    return results, out


def test_both_packs_render_offline(packs):
    results, out = packs
    assert [r.failures for r in results] == [[], []]
    review = (out / "shooting_review_2017-03-20" / "shooting_review.html").read_text()
    for heading in ("Prior deliverables", "Every shooting from 20 Mar to 26 Mar 2017", "Not yet reviewed",
                    "Active conflicts", "Same dates last year"):
        assert heading in review
    coordination = (out / "coordination_2017-02-24" / "coordination.html").read_text()
    for heading in ("Flagged at shooting reviews", "Open tasks by owner", "were completed on time",
                    "Since the last meeting", "partner"):
        assert heading in coordination
    assert "OPD-17-" not in coordination  # no case numbers for a partner audience
    for text in (review, coordination):
        assert "<script src" not in text and "PFN-" not in text
    assert (out / "shooting_review_2017-03-20" / "manifest.json").is_file()


def test_packs_without_task_or_flag_data_say_so(make_city, tmp_path):
    folder = make_city()
    review = tmp_path / "review.yaml"
    review.write_text(f"meeting: shooting_review\ncity: T\ndata_dir: {folder}\nweek_start: '2017-01-09'\n"
                      "week_end: '2017-01-15'\n")
    coordination = tmp_path / "coordination.yaml"
    coordination.write_text(f"meeting: coordination\ncity: T\ndata_dir: {folder}\nwindow_start: '2017-01-01'\n"
                            "window_end: '2017-01-14'\n")
    results = run_periods([review, coordination], tmp_path / "out")
    assert [r.failures for r in results] == [[], []]
    text = (tmp_path / "out" / "shooting_review_2017-01-09" / "shooting_review.html").read_text()
    assert "There is no task data" in text and "Every shooting from 09 Jan to 15 Jan 2017 (1)" in text
    text = (tmp_path / "out" / "coordination_2017-01-01" / "coordination.html").read_text()
    assert "no review_flags.csv" in text and "There is no task data" in text
