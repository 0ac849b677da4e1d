"""Meeting packs: task arithmetic, params, and both packs rendered for the demo."""
import dataclasses
import datetime as dt
import html
import math
import re

import pandas as pd
import pytest

from ceasefire_analysis.config import PARAMS_DIR
from ceasefire_analysis.errors import ParamsError
from ceasefire_analysis.indicators import build_indicators, lookup
from ceasefire_analysis.meetings import (
    days_overdue, is_on_time, last_meeting_before, median_days_to_complete, meeting_params_from_values, on_time_rate,
    open_meeting, open_on, repeat_groups, shooting_incidents, weekly_comparison,
)
from ceasefire_analysis.reports import run_params_files

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
    base = {"meeting": "shooting_review", "city": "X", "data_dir": "data/raw/demo", "meeting_on": "2017-03-28"}
    assert meeting_params_from_values(base).folder_id == "shooting_review_2017-03-28"
    assert meeting_params_from_values({**base, "meeting_on": dt.date(2017, 3, 28)}).meeting_on == dt.date(2017, 3, 28)
    given = meeting_params_from_values({**base, "window_start": "2017-03-01", "window_end": "2017-03-27"})
    assert (given.start, given.end) == (dt.date(2017, 3, 1), dt.date(2017, 3, 27))
    with pytest.raises(ParamsError, match="'window_end'.*before"):
        meeting_params_from_values({**base, "window_start": "2017-03-10", "window_end": "2017-03-01"})
    with pytest.raises(ParamsError, match="'window_end'.*after 'meeting_on'"):
        meeting_params_from_values({**base, "window_start": "2017-03-10", "window_end": "2017-03-30"})
    with pytest.raises(ParamsError, match="'window_start' needs its partner"):
        meeting_params_from_values({**base, "window_start": "2017-03-10"})
    with pytest.raises(ParamsError, match="'meeting_on'"):
        meeting_params_from_values({**base, "meeting_on": "28/03/2017"})
    with pytest.raises(ParamsError, match="'meeting_on' is required"):
        meeting_params_from_values({k: v for k, v in base.items() if k != "meeting_on"})
    with pytest.raises(ParamsError, match="'meeting'"):
        meeting_params_from_values({**base, "meeting": "picnic"})
    with pytest.raises(ParamsError, match="'week_start'"):  # the old window keys are gone, with a clear error
        meeting_params_from_values({**base, "week_start": "2017-03-20"})
    with pytest.raises(ParamsError, match="'partnership_notes'"):
        meeting_params_from_values({**base, "partnership_notes": "one string"})


def test_last_meeting_before():
    meetings = pd.DataFrame({"kind": ["coordination"] * 3, "held": pd.array([True, False, True], dtype="boolean"),
                             "scheduled_on": pd.to_datetime(["2017-02-09", "2017-02-23", "2017-03-09"])})
    assert last_meeting_before(meetings, "coordination", dt.date(2017, 3, 9)) == dt.date(2017, 2, 9)


def test_worksheet_task_indicators_from_hand_made_tasks(demo_data, demo_params):
    # the demo city with TASKS in place of its tasks; the period is February-March 2017
    data = dataclasses.replace(demo_data, tables={**demo_data.tables, "tasks": TASKS}, derived={})
    table = build_indicators(data, demo_params)
    assert lookup(table, "deliverables_on_time_pct", "period") == 25.0  # a of a, b, c, d (due in March)
    assert lookup(table, "deliverables_on_time_pct", "period", "denominator") == 4
    assert lookup(table, "deliverables_median_days_to_complete", "period") == 9.5  # a took 9 days, b 10


@pytest.fixture(scope="module")
def packs(tmp_path_factory):
    out = tmp_path_factory.mktemp("packs")
    results = run_params_files([PARAMS_DIR / "shooting_review_2017-03-28.yaml", PARAMS_DIR / "coordination_2017-03-09.yaml"],
                          out, jobs=2)
    return results, out


def _text(page: str) -> str:
    """A page's visible text, in order (what a chair reads)."""
    body = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


def test_both_packs_render_offline_and_follow_their_agendas(packs):
    results, out = packs
    assert [r.failures for r in results] == [[], []]
    review = _text((out / "shooting_review_2017-03-28" / "shooting_review.html").read_text())
    assert "Weekly shooting review, Tuesday 28 March 2017" in review
    assert "21 Mar to 27 Mar 2017 (from the day of the shooting review of 21 Mar 2017 to the day before this " \
        "meeting: the pack is prepared before the meeting)" in review
    headings = ["1. Review prior deliverables", "2. Review all shootings", "3. Near-term strategy",
                "4. Assign new tasks and deliverables"]
    positions = [review.index(h) for h in headings]
    assert positions == sorted(positions)
    for text in ("Completed since 21 Mar (last review)", "Every shooting from 21 Mar to 27 Mar 2017",
                 "Earlier shootings not yet reviewed", "Flagged at reviews in the last 30 days", "Active conflicts",
                 "The same 7 days a year earlier (21 Mar to 27 Mar 2016)", "New tasks Owner Due date Task"):
        assert text in review
    raw = (out / "coordination_2017-03-09-partner" / "coordination.html").read_text()
    paragraphs = [_text(p).strip() for p in re.findall(r"<p[^>]*>(.*?)</p>", raw, flags=re.S)]
    assert paragraphs and not [p for p in paragraphs if p[:1].islower()]  # not "fewer than 5 people ..."
    coordination = _text(raw)
    assert "Coordination meeting, Thursday 9 March 2017" in coordination
    assert "23 Feb to 8 Mar 2017 (from the day of the coordination meeting of 23 Feb 2017" in coordination
    headings = ["1. Review shootings and assess risk", "2. Refine the near-term strategy",
                "3. Strategy for people who stay at very high risk", "4. Partnership health"]
    positions = [coordination.index(h) for h in headings]
    assert positions == sorted(positions)
    for text in ("Flagged at shooting reviews since the last meeting", "Shootings, last 90 days",
                 "by how many reviews flagged them", "Lead attendance", "were completed on time",
                 "Communications and enrolments since the last meeting", "Two life-coach posts are vacant",
                 "partner"):
        assert text in coordination
    for page in (review, coordination):
        assert not re.search(r"\. [a-z]", page.replace("e.g. ", ""))  # every sentence starts with a capital
    assert "OPD-17-" not in coordination  # no case numbers for a partner audience
    # another city's pack must not name Oakland's departments in its own labels
    assert "Held with the police lead present" in coordination and "(OPD) lead" not in coordination
    for name in ("shooting_review_2017-03-28/shooting_review.html", "coordination_2017-03-09-partner/coordination.html"):
        page = (out / name).read_text()
        assert "<script src" not in page and "PFN-" not in page and "p_" not in _text(page)
    assert (out / "shooting_review_2017-03-28" / "manifest.json").is_file()
    front = (out / "index.html").read_text()  # the folder's front page lists the packs, newest first
    assert front.index('href="shooting_review_2017-03-28/shooting_review.html"') < \
        front.index('href="coordination_2017-03-09-partner/coordination.html"')


def test_packs_without_task_or_flag_data_say_so(make_city, tmp_path):
    folder = make_city()
    review = tmp_path / "review.yaml"
    review.write_text(f"meeting: shooting_review\ncity: T\ndata_dir: {folder}\nmeeting_on: '2017-01-16'\n")
    coordination = tmp_path / "coordination.yaml"
    coordination.write_text(f"meeting: coordination\ncity: T\ndata_dir: {folder}\nmeeting_on: '2017-01-26'\n")
    results = run_params_files([review, coordination], tmp_path / "out")
    assert [r.failures for r in results] == [[], []]
    text = _text((tmp_path / "out" / "shooting_review_2017-01-16" / "shooting_review.html").read_text())
    # no earlier shooting review on record: the last 7 days
    assert "Deliverables are not tracked for this city" in text and "Every shooting from 9 Jan to 15 Jan 2017 (1)" in text
    assert "no earlier shooting review is on record" in text
    text = _text((tmp_path / "out" / "coordination_2017-01-26" / "coordination.html").read_text())
    assert "no review_flags.csv" in text and "Deliverables are not tracked for this city" in text
    assert "12 Jan to 25 Jan 2017 (from the day of the coordination meeting of 12 Jan 2017" in text
    assert "The incident data run to 15 Jan 2017" in text  # a meeting after the data's end says so


def _without_images(text):
    import re
    return re.sub(r"data:image/[^\"')]+", "", text)


def test_packs_are_light_and_explain_their_terms(packs):
    """A meeting pack is read on phones and paper: small, with the project's own stylesheet and a glossary."""
    _, out = packs
    for path in [out / "shooting_review_2017-03-28" / "shooting_review.html",
                 out / "coordination_2017-03-09-partner" / "coordination.html"]:
        text = path.read_text(encoding="utf-8")
        assert len(_without_images(text).encode()) < 60_000, path.name
        assert "jp-RenderedHTMLCommon {" not in text and "--jp-" not in text  # no JupyterLab theme CSS
    coordination = (out / "coordination_2017-03-09-partner" / "coordination.html").read_text(encoding="utf-8")
    glossary = coordination.split('<section class="cf-glossary">', 1)[1]  # a partner page
    assert "<dt>Coordination meeting</dt>" in glossary and "<dt>Shooting review</dt>" in glossary
    assert "<dt>Cumulative incidence</dt>" not in glossary  # only the terms the page uses


def test_coordination_pack_of_an_incident_only_city_says_not_recorded(make_city, tmp_path, monkeypatch):
    from ceasefire_analysis.meetings import coordination_strategy_html, open_meeting, partnership_health_html

    monkeypatch.delenv("CEASEFIRE_ID_KEY")  # no file carries a participant identifier: no key needed
    folder = make_city("incidents_only", communications=None, case_management=None, staffing=None, meetings=None)
    params = tmp_path / "coordination.yaml"
    params.write_text(f"meeting: coordination\ncity: T\ndata_dir: {folder}\nmeeting_on: '2017-01-26'\n")
    pack = open_meeting(str(params))
    strategy = coordination_strategy_html(pack).data
    assert strategy.count("not recorded for this city") == 3
    assert "Meetings are not recorded for this city" in partnership_health_html(pack).data


@pytest.mark.parametrize("key,value,message", [
    ("small_count_threshold", 0, "'small_count_threshold' in m.yaml must be a whole number of 1 or more"),
    ("audience", "", "'audience' in m.yaml must be one of internal, partner, public"),
])
def test_meeting_and_period_params_share_one_rule_for_audience_and_threshold(key, value, message):
    # a threshold of 0 is not quietly 5, an empty audience not quietly internal: the same error as a period's
    from ceasefire_analysis.params import params_from_values

    meeting = {"meeting": "coordination", "city": "X", "data_dir": "data/raw/demo", "meeting_on": "2017-03-09"}
    period = {"city": "X", "period_start": "2017-02", "period_end": "2017-03", "data_dir": "data/raw/demo"}
    with pytest.raises(ParamsError) as from_meeting:
        meeting_params_from_values({**meeting, key: value}, "m.yaml")
    with pytest.raises(ParamsError) as from_period:
        params_from_values({**period, key: value}, "m.yaml")
    assert str(from_meeting.value) == str(from_period.value) == message
    assert meeting_params_from_values(meeting).small_count_threshold == 5  # absent: the default
    assert meeting_params_from_values(meeting).audience == "internal"


@pytest.mark.parametrize("audience", ["internal", "public"])
def test_shooting_review_pack_says_not_recorded_for_a_type_the_city_does_not_record(make_city, tmp_path, audience):
    from ceasefire_analysis.meetings import all_shootings_html, open_meeting

    # two victims of one homicide and one non-fatal shooting in the window; no non-injury shooting recorded at all
    rows = [{"incident_id": "A", "occurred_on": "2017-01-20", "incident_type": "homicide", "reviewed_on": ""},
            {"incident_id": "A", "occurred_on": "2017-01-20", "incident_type": "homicide", "reviewed_on": ""},
            {"incident_id": "B", "occurred_on": "2017-01-21", "incident_type": "nonfatal_injury_shooting",
             "reviewed_on": ""},
            {"incident_id": "C", "occurred_on": "2016-12-01", "incident_type": "homicide", "reviewed_on": ""},
            {"incident_id": "D", "occurred_on": "2016-06-01", "incident_type": "homicide",
             "reviewed_on": "2016-06-07"}]  # one review on record: a reviewed_on blank in every row is not recorded
    folder = make_city(incidents=rows)
    params = tmp_path / "review.yaml"
    params.write_text(f"meeting: shooting_review\ncity: T\ndata_dir: {folder}\nmeeting_on: '2017-01-24'\n"
                      f"window_start: '2017-01-18'\nwindow_end: '2017-01-24'\naudience: {audience}\n")
    page = all_shootings_html(open_meeting(str(params))).data
    context = page.partition("The window in context")[2].partition("</table>")[0]
    non_injury = context.partition("Non-injury shooting")[2].partition("</tr>")[0]
    assert non_injury.count("not recorded for this city") == 3 and ">0<" not in non_injury
    homicide = context.partition("Homicide")[2].partition("</tr>")[0]
    assert re.findall(r">(\d+)<", homicide)[0] == "2"  # victims
    if audience == "public":
        assert "2 shootings from" in page and "(a shooting with several victims is one)" in page
        unreviewed = page.partition("Not yet reviewed")[2].partition("</table>")[0]
        assert re.search(r"Non-injury shooting</td><td[^>]*>not recorded for this city", unreviewed)


def test_a_pack_long_after_the_data_is_refused_naming_both_days(tmp_path):
    from ceasefire_analysis.config import DEMO_DATA_DIR
    from ceasefire_analysis.errors import InputError

    values = {"meeting": "coordination", "city": "Testville", "data_dir": str(DEMO_DATA_DIR)}
    with pytest.raises(InputError) as refused:
        open_meeting(None, **values, meeting_on="2019-03-28")
    message = str(refused.value)
    assert "coordination meeting of 28 Mar 2019 is more than 28 days after the data's last record, on 31 Mar 2017" \
        in message
    # up to four weeks past the data's end (a quiet spell) the pack is made, and says where the data end
    assert open_meeting(None, **values, meeting_on="2017-04-28").params.meeting_on.isoformat() == "2017-04-28"
    with pytest.raises(InputError, match="shooting review of 29 Apr 2017 is more than 28 days"):
        open_meeting(None, **{**values, "meeting": "shooting_review"}, meeting_on="2017-04-29")


def test_shootings_listed_in_another_year_carry_their_year(packs):
    _, out = packs
    review = _text((out / "shooting_review_2017-03-28" / "shooting_review.html").read_text())
    listing = review.split("Every shooting from 21 Mar to 27 Mar 2017", 1)[1][:400]
    days = re.findall(r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (\d{1,2} Mar(?: \d{4})?)", listing)
    assert days and all(day.endswith(" 2017") for day in days)  # 2017 is not this year
