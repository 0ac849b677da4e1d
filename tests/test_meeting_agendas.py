"""Meeting packs by agenda item: windows from the previous meeting, each section's arithmetic on small
hand-made data, the audience rules (planted identifiers searched for in every byte written), and the
bi-monthly review's carried-over next steps."""
import dataclasses
import datetime as dt
import json
import re

import pandas as pd
import pytest

from ceasefire_analysis.errors import ParamsError
from ceasefire_analysis.meetings import (
    active_groups, all_shootings_html, chronic_risk_html, coordination_strategy_html, deliverables_by_owner,
    flagged_in_window, flags_by_reviews, flags_over_time, lead_attendance, linked_group_pairs, look_back_window,
    meeting_params_from_values, not_yet_reviewed, open_meeting, pack_header, partnership_health_html,
    flagged_by_reviews_cells, people_count_cells, prior_deliverables_html, risk_assessment_html, with_window,
)
from ceasefire_analysis.params import load_params
from ceasefire_analysis.reports import run_params_files
from ceasefire_analysis.review import open_review, previous_next_steps
from ceasefire_analysis.tables import next_step_status_counts, next_steps_html

D = pd.Timestamp

MEETINGS = pd.DataFrame({
    "kind": ["shooting_review", "shooting_review", "coordination", "shooting_review", "coordination",
             "coordination"],
    "scheduled_on": pd.to_datetime(["2016-12-27", "2017-01-03", "2017-01-05", "2017-01-10", "2017-01-12",
                                    "2017-01-19"]),
    "held": pd.array([True, True, True, False, True, True], dtype="boolean"),
    "opd_lead_present": pd.array([True, True, True, False, True, False], dtype="boolean"),
    "hsd_lead_present": pd.array([False, False, False, False, True, True], dtype="boolean"),
})


def test_window_runs_from_the_last_meeting_of_the_kind_held_to_the_day_before_this_one():
    # a pack is prepared before its meeting (reader #17: the meeting day's shootings were listed); it starts on
    # the last meeting's day, where that meeting's pack stopped. 10 Jan was not held, so the review of 17 Jan
    # looks back to 3 Jan; the coordination meeting of 5 Jan (another kind) does not count
    assert look_back_window(MEETINGS, "shooting_review", dt.date(2017, 1, 17)) == \
        (dt.date(2017, 1, 3), dt.date(2017, 1, 16), dt.date(2017, 1, 3))
    # across the year boundary
    assert look_back_window(MEETINGS, "shooting_review", dt.date(2017, 1, 3)) == \
        (dt.date(2016, 12, 27), dt.date(2017, 1, 2), dt.date(2016, 12, 27))
    # a meeting of the same day is not its own previous meeting
    assert look_back_window(MEETINGS, "coordination", dt.date(2017, 1, 12))[2] == dt.date(2017, 1, 5)
    # nothing on record: the usual spacing before the meeting (7 days for a review, 14 for coordination)
    assert look_back_window(MEETINGS, "shooting_review", dt.date(2016, 12, 20))[:2] == \
        (dt.date(2016, 12, 13), dt.date(2016, 12, 19))
    assert look_back_window(MEETINGS.iloc[0:0], "coordination", dt.date(2017, 3, 1))[:2] == \
        (dt.date(2017, 2, 15), dt.date(2017, 2, 28))
    assert look_back_window(None, "coordination", dt.date(2017, 3, 1))[2] is None


def test_a_given_window_is_kept_and_the_previous_meeting_still_found():
    values = {"meeting": "coordination", "city": "X", "data_dir": "data/raw/demo", "meeting_on": "2017-01-19"}
    derived = with_window(meeting_params_from_values(values), MEETINGS)
    assert (derived.start, derived.end, derived.previous_meeting) == \
        (dt.date(2017, 1, 12), dt.date(2017, 1, 18), dt.date(2017, 1, 12))
    given = with_window(meeting_params_from_values({**values, "window_start": "2017-01-01",
                                                    "window_end": "2017-01-18"}), MEETINGS)
    assert (given.start, given.end, given.previous_meeting) == \
        (dt.date(2017, 1, 1), dt.date(2017, 1, 18), dt.date(2017, 1, 12))


INCIDENTS = pd.DataFrame({
    "incident_id": ["A", "A", "B", "C", "D", "E", "F", "G", "G"],
    "occurred_on": pd.to_datetime(["2017-03-01", "2017-03-01", "2017-03-14", "2017-03-20", "2017-03-23",
                                   "2016-12-20", "2017-03-21", "2017-02-10", "2017-02-10"]),
    "incident_type": ["nonfatal_injury_shooting", "homicide", "non_injury_shooting", "homicide", "homicide",
                      "homicide", "non_injury_shooting", "nonfatal_injury_shooting", "nonfatal_injury_shooting"],
    "group": ["G1", "G1", "G1", None, "G2", "G3", "G2", "G1", "G2"],
    # A: never reviewed (two victims, one row); B: reviewed before the meeting; C: reviewed on the meeting
    # day (still open at the start of it); D: the week's own; E: older than 90 days; F: reviewed later
    "reviewed_on": pd.to_datetime([None, None, "2017-03-21", "2017-03-28", None, None, "2017-04-04",
                                   "2017-02-14", "2017-02-14"]),
})


def test_not_yet_reviewed_leaves_out_the_weeks_own_list_and_counts_each_shooting_once():
    pending = not_yet_reviewed(INCIDENTS, dt.date(2017, 3, 22), dt.date(2017, 3, 28))
    assert pending["incident_id"].tolist() == ["A", "C", "F"]
    assert pending.set_index("incident_id").loc["A", "victims"] == 2
    assert not_yet_reviewed(INCIDENTS.drop(columns="reviewed_on"), dt.date(2017, 3, 22),
                            dt.date(2017, 3, 28)).empty


def test_active_groups_over_30_and_90_days_and_pairs_linked_by_one_shooting():
    groups = active_groups(INCIDENTS, dt.date(2017, 3, 28)).set_index("group")
    # G1: A (1 Mar, two victim rows: one shooting), B (14 Mar), G (10 Feb); G2: D, F, G; G3 is too old
    assert groups.loc["G1", ["recent", "longer"]].tolist() == [2, 3]
    assert groups.loc["G2", ["recent", "longer"]].tolist() == [2, 3]
    assert "G3" not in groups.index
    assert groups.loc["G2", "last_shooting"] == D("2017-03-23")
    pairs = linked_group_pairs(INCIDENTS, dt.date(2016, 12, 29), dt.date(2017, 3, 28))
    assert pairs[["group_a", "group_b", "shootings"]].values.tolist() == [["G1", "G2", 1]]
    assert linked_group_pairs(INCIDENTS, dt.date(2017, 3, 1), dt.date(2017, 3, 28)).empty
    # through the people linked to a shooting: a suspect in D (G2's shooting) flagged with G3 before the day
    links = pd.DataFrame({"incident_id": ["D", "B", "D"], "participant_id": ["s", "t", "late"],
                          "role": ["suspect", "victim", "suspect"]})
    flags = pd.DataFrame({"participant_id": ["s", "t", "late"], "group": ["G3", None, "G4"],
                          "flagged_on": pd.to_datetime(["2017-03-01", "2017-03-01", "2017-04-01"])})
    pairs = linked_group_pairs(INCIDENTS, dt.date(2017, 3, 1), dt.date(2017, 3, 28), links, flags)
    assert pairs[["group_a", "group_b", "shootings"]].values.tolist() == [["G2", "G3", 1]]
    assert active_groups(INCIDENTS.drop(columns="group"), dt.date(2017, 3, 28)).empty


FLAGS = pd.DataFrame({
    "participant_id": ["x", "x", "x", "x", "y", "y", "z", "w", "old"],
    "flagged_on": pd.to_datetime(["2017-01-03", "2017-01-03", "2017-02-07", "2017-03-07", "2017-02-07",
                                  "2017-03-14", "2017-03-14", "2017-04-04", "2016-01-05"]),
    "group": ["G1", "G1", "G1", "G1", "G2", "G2", None, "G1", "G1"],
})
COMMS = pd.DataFrame({"participant_id": ["x", "z", "y"], "occurred_on": pd.to_datetime(
    ["2017-02-01", "2017-03-01", "2017-03-30"])})  # y is reached only after the meeting
CASES = pd.DataFrame({"participant_id": ["x"], "enrolled_on": pd.to_datetime(["2017-02-20"])})


def test_people_flagged_over_time_by_number_of_reviews_and_what_the_partnership_did():
    people = flags_over_time(FLAGS, COMMS, CASES, dt.date(2017, 3, 21)).set_index("participant_id")
    # x: three reviews (two flags on 3 Jan are one review); w is flagged after the day; "old" over a year ago
    assert people["reviews"].to_dict() == {"x": 3, "y": 2, "z": 1}
    assert people["reached"].to_dict() == {"x": True, "y": False, "z": True}
    assert people["enrolled"].to_dict() == {"x": True, "y": False, "z": False}
    table = flags_by_reviews(people.reset_index())
    assert table.values.tolist() == [["1 review", 1, 1, 0, 0], ["2 reviews", 1, 0, 0, 1],
                                     ["3 or more reviews", 1, 1, 1, 0]]
    assert flags_by_reviews(flags_over_time(FLAGS.iloc[0:0], None, None, dt.date(2017, 3, 21)))["people"].sum() == 0


def test_people_and_groups_flagged_in_a_window():
    people, per_group = flagged_in_window(FLAGS, dt.date(2017, 2, 7), dt.date(2017, 3, 14))
    assert people == 3 and per_group.to_dict() == {"G1": 1, "G2": 1}  # z has no group


def test_lead_attendance_and_deliverables_by_owner():
    assert lead_attendance(MEETINGS, "coordination", dt.date(2017, 1, 1), dt.date(2017, 1, 31)) == \
        {"scheduled": 3, "held": 3, "opd_lead_present": 2, "hsd_lead_present": 2}
    tasks = pd.DataFrame({"owner": ["A", "A", "B", "B"], "assigned_on": pd.to_datetime(["2017-03-01"] * 4),
                          "due_on": pd.to_datetime(["2017-03-10", "2017-03-28", "2017-03-05", "2017-03-05"]),
                          "completed_on": pd.to_datetime([None, None, "2017-03-21", "2017-03-22"])})
    # completed since the review of 21 Mar: the 22nd only (the 21st is the review day itself)
    assert deliverables_by_owner(tasks, dt.date(2017, 3, 28), dt.date(2017, 3, 21)).values.tolist() == \
        [["A", 2, 1, 18, 0], ["B", 0, 0, 0, 1]]


def test_people_counts_follow_the_audience():
    base = meeting_params_from_values({"meeting": "coordination", "city": "X", "data_dir": "data/raw/demo",
                                       "meeting_on": "2017-03-09"})
    assert people_count_cells([3, 0, 12], base) == ["3", "0", "12"]
    hidden = "hidden (would reveal a small number)"
    table = pd.DataFrame([["1 review", 3, 1, 1, 1], ["2 reviews", 7, 7, 0, 0], ["3 or more reviews", 12, 6, 6, 3]],
                         columns=["flagged_at", "people", "reached", "enrolled", "neither"])
    assert set(flagged_by_reviews_cells(table, 22, base).values()) == {"0", "1", "3", "6", "7", "12", "22"}
    for audience in ("partner", "public"):  # issue 12: no hidden count recoverable for either audience
        other = dataclasses.replace(base, audience=audience)
        assert people_count_cells([3, 7, 12], other) == ["fewer than 5", "7", "12"]  # nothing adds them up
        shown = flagged_by_reviews_cells(table, 22, other)
        # the total 22 is shown: the band of 3 would be 22 - 7 - 12, so a second band is hidden; not the 7,
        # whose 7 reached (and 0 enrolled, 0 neither) would give it back, but the 12
        assert shown["total"] == "22" and shown["1 review/people"] == "fewer than 5"
        assert shown["2 reviews/people"] == "7" and shown["3 or more reviews/people"] == hidden
        for band in ("1 review", "3 or more reviews"):  # a hidden band hides its whole row
            assert [shown[f"{band}/{c}"] for c in ("reached", "enrolled", "neither")] == ["hidden"] * 3


# --------------------------------------------------------------------------- a planted city, every audience

NOTE_NAME = "Perpetua Hollingsworth-Vane"  # written only in an internal: partnership note
PLANTED = {"case": "CASE-PLANTED-0001", "group": "Group Zebrafinch", "owner": "Owner Marmalade",
           "task": "Visit Tobias Quillfeather at home", "person": "PFN-PLANTED-77"}


@pytest.fixture
def planted_city(make_city):
    incidents = [{"incident_id": f"{PLANTED['case'][:-1]}{i}", "occurred_on": day, "incident_type": kind,
                  "area": "Area 1", "group": PLANTED["group"] if i % 2 else "Group Otherside", "reviewed_on": ""}
                 for i, (day, kind) in enumerate(
                     [("2017-03-01", "homicide"), ("2017-03-02", "nonfatal_injury_shooting"),
                      ("2017-03-06", "non_injury_shooting"), ("2017-03-07", "homicide"),
                      ("2017-03-08", "nonfatal_injury_shooting")], start=1)]
    incidents.append({**incidents[0], "group": "Group Otherside"})  # a second victim: links the two groups
    incidents[0]["group"] = PLANTED["group"]
    meetings = [{"meeting_id": f"M{i}", "scheduled_on": day, "kind": kind, "held": "yes", "opd_lead_present": "yes",
                 "hsd_lead_present": "no", "risk_focus": "yes"}
                for i, (day, kind) in enumerate([("2017-02-23", "coordination"), ("2017-02-28", "shooting_review"),
                                                 ("2017-03-07", "shooting_review")])]
    tasks = [{"task_id": "T1", "assigned_on": "2017-02-28", "due_on": "2017-03-03", "completed_on": "",
              "owner": PLANTED["owner"], "meeting": "shooting_review", "incident_id": incidents[0]["incident_id"],
              "description": PLANTED["task"]}]
    flags = [{"participant_id": PLANTED["person"], "flagged_on": d, "group": PLANTED["group"]}
             for d in ("2017-02-28", "2017-03-07")]
    comms = [{"participant_id": PLANTED["person"], "occurred_on": "2017-03-02", "kind": "custom_notification",
              "highest_risk": "yes"}]
    return make_city(incidents=incidents, meetings=meetings, tasks=tasks, review_flags=flags, communications=comms)


def _pack(folder, meeting, audience, meeting_on="2017-03-09"):
    return open_meeting(None, meeting=meeting, city="Planted", data_dir=str(folder), meeting_on=meeting_on,
                        audience=audience, partnership_notes=["Keep the hospital line open."])


def _whole_pack(pack) -> str:
    if pack.params.meeting == "coordination":
        parts = [risk_assessment_html, coordination_strategy_html, chronic_risk_html, partnership_health_html]
    else:
        parts = [prior_deliverables_html, all_shootings_html]
    return "".join(f(pack).data for f in parts)


def test_planted_city_sections_by_audience(planted_city):
    internal = _whole_pack(_pack(planted_city, "coordination", "internal"))
    for planted in ("case", "group", "owner"):
        assert PLANTED[planted] in internal
    assert "Group Otherside – Group Zebrafinch" in internal  # the pair linked by one shooting
    assert "Keep the hospital line open." in internal
    partner = _whole_pack(_pack(planted_city, "coordination", "partner")) + \
        _whole_pack(_pack(planted_city, "shooting_review", "partner"))
    assert PLANTED["case"] not in partner and PLANTED["task"] not in partner and "PFN-" not in partner
    assert PLANTED["group"] in partner and PLANTED["owner"] in partner  # partners plan by group and owner
    assert "fewer than 5" in partner.lower()  # one person flagged: a small count
    review = _whole_pack(_pack(planted_city, "shooting_review", "internal", "2017-03-14"))
    assert PLANTED["task"] in review and "Completed since 7 Mar (last review)" in review
    given = open_meeting(None, meeting="coordination", city="Planted", data_dir=str(planted_city),
                         meeting_on="2017-03-09", window_start="2017-03-01", window_end="2017-03-08")
    header = pack_header(given).data
    assert "1 Mar to 8 Mar 2017 (as set in the params file)" in header
    assert "Coordination meeting, Thursday 9 March 2017" in header


def test_public_and_partner_packs_leak_nothing_in_any_byte_written(planted_city, tmp_path):
    files = []
    for meeting, audience in (("shooting_review", "public"), ("coordination", "public"), ("coordination", "partner")):
        path = tmp_path / f"{meeting}_{audience}.yaml"
        path.write_text(f"meeting: {meeting}\ncity: Planted\ndata_dir: {planted_city}\nmeeting_on: '2017-03-09'\n"
                        f"audience: {audience}\npartnership_notes: ['internal: call {NOTE_NAME} about the list', "
                        "'Keep the hospital line open.']\n")
        files.append(path)
    results = run_params_files(files[:2], tmp_path / "public", jobs=2)
    results += run_params_files(files[2:], tmp_path / "partner")
    assert [r.failures for r in results] == [[], [], []]
    public = [p for p in (tmp_path / "public").rglob("*") if p.is_file()]
    partner = [p for p in (tmp_path / "partner").rglob("*") if p.is_file()]
    assert len(public) > 4 and len(partner) > 2
    for folder in [*(tmp_path / "public").iterdir(), *(tmp_path / "partner").iterdir()]:
        assert not (folder / "executed").exists(), folder  # as for a period: executed notebooks are internal
    for path in public + partner:
        data = path.read_bytes()
        assert NOTE_NAME.lower().encode() not in data.lower(), path  # a staff-only note, in no byte written
        assert str(tmp_path).encode() not in data and str(planted_city).encode() not in data, path  # no absolute path
    manifest = json.loads((tmp_path / "partner" / "coordination_2017-03-09-partner" / "manifest.json").read_text())
    assert manifest["params"]["partnership_notes"] == ["Keep the hospital line open."]
    assert "Keep the hospital line open." in (tmp_path / "partner" / "coordination_2017-03-09-partner" /
                                              "coordination.html").read_text()
    for path in public:
        data = path.read_bytes().lower()
        for planted in PLANTED.values():
            assert planted.lower().encode() not in data, (path, planted)
        assert b"group otherside" not in data, path
    for path in partner:
        data = path.read_bytes().lower()
        for planted in ("case", "task", "person"):
            assert PLANTED[planted].lower().encode() not in data, (path, planted)
    page = (tmp_path / "public" / "coordination_2017-03-09-public" / "coordination.html").read_text()
    # counts, never rows: no shooting's date appears as a row
    assert "Wed 1 Mar" not in page and "Thu 2 Mar" not in page and "5 shootings from" in page
    assert "Wed 1 Mar" in (tmp_path / "partner" / "coordination_2017-03-09-partner" / "coordination.html").read_text()
    assert "Pairs of groups linked by shootings in the last 90 days: 1." in page


# --------------------------------------------------------------------------- the bi-monthly review's next steps

def _review_params(folder, name, start, end, extra=""):
    path = folder / name
    path.write_text(f"city: Testville\nperiod_start: '{start}'\nperiod_end: '{end}'\ndata_dir: data/raw/demo\n"
                    + extra)
    return path


def test_previous_next_steps_given_with_status_and_counted(tmp_path):
    path = _review_params(tmp_path, "2017-02_2017-03.yaml", "2017-02", "2017-03", (
        "previous_next_steps:\n"
        "  - {text: 'Train staff', status: done, note: 'Held 17 March'}\n"
        "  - {text: 'Align risk definitions', status: in progress}\n"
        "  - {text: 'Hire coaches', status: done}\n"))
    _review_params(tmp_path, "2016-12_2017-01.yaml", "2016-12", "2017-01", "next_steps: ['ignored when given']\n")
    steps, source = previous_next_steps(load_params(path))
    assert steps.values.tolist() == [["Train staff", "done", "Held 17 March"],
                                     ["Align risk definitions", "in progress", ""], ["Hire coaches", "done", ""]]
    assert next_step_status_counts(steps) == [("done", 2), ("in progress", 1)]
    assert source == "as recorded for this review"  # the room reads it: no file or key names


def test_previous_periods_next_steps_carried_over_as_not_reported(tmp_path):
    # the previous period crosses the year boundary; another city's file and a meeting pack are ignored
    _review_params(tmp_path, "a_2016-12_2017-01.yaml", "2016-12", "2017-01",
                   "next_steps: ['Fill the open posts', 'Meet the hospital']\n")
    (tmp_path / "b_other_city.yaml").write_text("city: Elsewhere\nperiod_start: '2016-12'\nperiod_end: '2017-01'\n"
                                                "data_dir: data/raw/demo\nnext_steps: ['Not ours']\n")
    (tmp_path / "c_meeting.yaml").write_text("meeting: coordination\ncity: Testville\nmeeting_on: '2017-01-26'\n")
    (tmp_path / "d_broken.yaml").write_text("city: [unclosed\n")
    current = load_params(_review_params(tmp_path, "2017-02_2017-03.yaml", "2017-02", "2017-03"))
    steps, source = previous_next_steps(current)
    assert steps.values.tolist() == [["Fill the open posts", "not reported", ""],
                                     ["Meet the hospital", "not reported", ""]]
    assert "a_2016-12_2017-01.yaml" in source and "not reported" in source
    # not the period just before: nothing is carried over
    later = load_params(_review_params(tmp_path, "2017-04_2017-05.yaml", "2017-04", "2017-05"))
    assert previous_next_steps(later)[0].empty


def test_previous_next_steps_errors_name_the_key(city_params):
    with pytest.raises(ParamsError, match=r"'previous_next_steps\[2\].status'"):
        city_params("data/raw/demo", previous_next_steps=[{"text": "a", "status": "done"},
                                                          {"text": "b", "status": "finished"}])
    with pytest.raises(ParamsError, match=r"'previous_next_steps\[1\]'"):
        city_params("data/raw/demo", previous_next_steps=[{"text": "a", "status": "done", "owner": "x"}])
    with pytest.raises(ParamsError, match=r"'previous_next_steps'"):
        city_params("data/raw/demo", previous_next_steps="done")


def test_worksheet_shows_the_last_reviews_next_steps_before_this_reviews():
    review = open_review()  # the demo period
    text = re.sub(r"<[^>]+>", " ", next_steps_html(review).data)
    assert "3 next steps were agreed at the last review: 1 done; 1 in progress; 1 not started" in text
    assert text.index("The last review's next steps") < text.index("Next steps ")
    assert "Recruit two more life coaches." in text


# --------------------------------------------------------------------------- flagged people without a group

def _flagged_city(make_city):
    """The reader's case: 7 people flagged on 28 Feb and 7 Mar 2017, 2 with group CA, 2 with CH, 3 with none."""
    groups = ["Group CA", "Group CA", "Group CH", "Group CH", "", "", ""]
    flags = [{"participant_id": f"PFN-{i}", "flagged_on": "2017-02-28" if i % 2 else "2017-03-07", "group": g}
             for i, g in enumerate(groups)]
    meetings = [{"meeting_id": f"M{i}", "scheduled_on": day, "kind": "shooting_review", "held": "yes",
                 "opd_lead_present": "yes", "hsd_lead_present": "no", "risk_focus": "yes"}
                for i, day in enumerate(["2017-02-28", "2017-03-07"])]
    incidents = [{"incident_id": "C-1", "occurred_on": "2017-03-01", "incident_type": "homicide", "group": "Group CA",
                  "reviewed_on": "2017-03-07"}]
    return make_city(review_flags=flags, meetings=meetings, incidents=incidents)


def _flagged_section(page: str) -> tuple[str, list[tuple[str, str]]]:
    block = page[page.index("Flagged at reviews"):]
    sentence = re.search(r"<p>([^<]*flagged at shooting reviews[^<]*)</p>", block).group(1)
    rows = re.findall(r"<tr><td>([^<]*)</td><td[^>]*>([^<]*)</td></tr>", block.split("People flagged, by group")[1]
                      if "People flagged, by group" in block else "")
    return sentence, rows


def test_flagged_people_table_accounts_for_everyone_in_the_sentence(make_city):
    folder = _flagged_city(make_city)
    pack = _pack(folder, "shooting_review", "internal", "2017-03-28")
    sentence, rows = _flagged_section(all_shootings_html(pack).data)
    assert sentence.startswith("7 people were flagged") and "4 of them tied to 2 groups or conflicts" in sentence
    assert ("No group recorded", "3") in rows
    assert sum(int(n) for _, n in rows) == int(sentence.split()[0])  # the table adds up to the sentence's total
    partner = _pack(folder, "shooting_review", "partner", "2017-03-28")
    sentence, rows = _flagged_section(all_shootings_html(partner).data)
    assert sentence.startswith("7 people were flagged")
    assert [g for g, _ in rows] == ["Group CA", "Group CH", "No group recorded"]
    assert all(n == "fewer than 5" for _, n in rows)
    assert "some of them tied to 2 groups" in sentence  # 7 - 4 would give the 3 away


def test_flagged_cells_hide_what_would_give_the_people_without_a_group_away(make_city):
    from ceasefire_analysis.meetings import NO_GROUP, flagged_cells

    partner = _pack(_flagged_city(make_city), "shooting_review", "partner", "2017-03-28").params
    per_group = pd.Series({"G1": 9, "G2": 8, NO_GROUP: 3})
    total, tied, rows = flagged_cells(20, 17, per_group, partner)
    assert total == "20" and rows == ["9", "hidden (would reveal a small number)", "fewer than 5"]  # else 20-9-8
    assert tied == "some"  # 17 would give 20 - 17 = 3 away
    assert flagged_cells(20, 17, per_group, dataclasses.replace(partner, audience="internal")) == \
        ("20", "17", ["9", "8", "3"])


def test_people_flagged_with_no_group_are_not_tied_to_0_groups(make_city):
    """F16: a public pack said 'fewer than 5 of them tied to 0 groups or conflicts'."""
    flags = [{"participant_id": f"PFN-{i}", "flagged_on": "2017-03-07", "group": ""} for i in range(3)]
    meetings = [{"meeting_id": "M1", "scheduled_on": "2017-03-07", "kind": "shooting_review", "held": "yes",
                 "opd_lead_present": "yes", "hsd_lead_present": "no", "risk_focus": "yes"}]
    incidents = [{"incident_id": "C-1", "occurred_on": "2017-03-01", "incident_type": "homicide", "group": "Group CA",
                  "reviewed_on": "2017-03-07"}]
    folder = make_city(review_flags=flags, meetings=meetings, incidents=incidents)
    for audience, count in (("internal", "3 people were"), ("public", "Fewer than 5 people were")):
        sentence, _ = _flagged_section(all_shootings_html(_pack(folder, "shooting_review", audience, "2017-03-28")).data)
        assert sentence.startswith(count), sentence
        assert sentence.endswith("none of them with a group or conflict recorded.")
        assert "0 group" not in sentence and "tied to" not in sentence


@pytest.mark.parametrize("meeting", ["coordination", "shooting_review"])
def test_a_pack_without_tasks_or_notes_says_so_plainly(make_city, analyst_text, meeting):
    """reader2 R6: a city without tasks.csv or notes reads one plain sentence, not how to add them."""
    folder = make_city(tasks=None)
    pack = open_meeting(None, meeting=meeting, city="Plain", data_dir=str(folder), meeting_on="2017-02-09")
    text = pack_header(pack).data + _whole_pack(pack)
    assert "Deliverables are not tracked for this city." in text
    assert not analyst_text(text), analyst_text(text)


def test_a_pack_counts_to_its_last_day_not_the_meeting_day():
    # reader4 F5: the packs are prepared before the meeting, and their list of shootings stops the day before;
    # the other sections counted the meeting day too (the meeting itself as held, that day's shootings as active)
    from ceasefire_analysis.config import PARAMS_DIR
    from ceasefire_analysis.meetings import (active_groups, lead_attendance, near_term_strategy_html, open_meeting,
                                             partnership_health_html)

    coordination = open_meeting(str(PARAMS_DIR / "coordination_2017-03-09.yaml"))
    assert coordination.params.end == dt.date(2017, 3, 8)
    page = partnership_health_html(coordination).data
    assert "Coordination meetings, 9 Dec 2016 to 8 Mar 2017" in page
    held = lead_attendance(coordination.data.meetings, "coordination", dt.date(2016, 12, 9), dt.date(2017, 3, 8))["held"]
    assert re.search(rf"<td>Held</td><td[^>]*>{held}</td>", page)
    review = open_meeting(str(PARAMS_DIR / "shooting_review_2017-03-28.yaml"))
    page = near_term_strategy_html(review).data
    repeat = active_groups(review.data.incidents, dt.date(2017, 3, 27)).query("recent > 1")
    assert f"in the 30 days to 27 Mar 2017 ({len(repeat)})" in page and "to 28 Mar 2017" not in page
    assert "28 Mar 2017</td>" not in page  # no group's latest shooting is the meeting day's
