"""A meeting pack is prepared before its meeting: it covers the days from the last meeting of its kind to the
day before this one, so each day's shootings are in exactly one pack (reader #17: the coordination pack of
9 Mar 2017 listed three shootings of 9 Mar)."""
from __future__ import annotations

from ceasefire_analysis.meetings import all_shootings_html, open_meeting


def test_each_shooting_is_in_exactly_one_coordination_pack(make_city, tmp_path):
    days = {"P": "2017-02-23", "Q": "2017-03-01", "R": "2017-03-08", "S": "2017-03-09", "T": "2017-03-22"}
    incidents = [{"incident_id": i, "occurred_on": d, "incident_type": "nonfatal_injury_shooting", "reviewed_on": ""}
                 for i, d in days.items()]
    meetings = [{"meeting_id": f"M{i}", "scheduled_on": d, "kind": "coordination", "held": "yes",
                 "opd_lead_present": "yes", "hsd_lead_present": "yes", "risk_focus": "yes"}
                for i, d in enumerate(("2017-02-09", "2017-02-23", "2017-03-09", "2017-03-23"))]
    folder = make_city(incidents=incidents, meetings=meetings)
    listed = {}
    for day in ("2017-02-23", "2017-03-09", "2017-03-23"):
        params = tmp_path / f"coordination_{day}.yaml"
        params.write_text(f"meeting: coordination\ncity: T\ndata_dir: {folder}\nmeeting_on: '{day}'\n")
        pack = open_meeting(str(params))
        page = (all_shootings_html(pack).data.split("<caption>Every shooting", 1) + [""])[1].split("</table>", 1)[0]
        listed[day] = {i for i, d in days.items() if f"{int(d[-2:])} {'Feb' if d[5:7] == '02' else 'Mar'} 2017</td>" in page}
        assert pack.params.end.isoformat() < day  # the meeting day itself is not in its own pack
    assert listed["2017-03-09"] == {"P", "Q", "R"}  # 23 Feb (the last meeting's day) to 8 Mar
    assert listed["2017-03-23"] == {"S", "T"}  # the 9 Mar shooting goes to the next pack
    assert "P" not in listed["2017-02-23"]
