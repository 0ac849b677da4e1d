"""An optional input with its header and no rows (a city with no meetings yet) is an empty table, said so on the
page; a required file with no rows stays a clear error naming the file."""
from __future__ import annotations

from ceasefire_analysis.loading import validate_data_dir
from ceasefire_analysis.meetings import open_meeting, pack_header
from ceasefire_analysis.indicators import lookup
from ceasefire_analysis.review import open_review
from ceasefire_analysis.tables import quality_html

MEETINGS_HEADER = "meeting_id,scheduled_on,kind,held,opd_lead_present,hsd_lead_present,risk_focus\n"
TASKS_HEADER = "task_id,assigned_on,due_on,completed_on,owner,meeting,incident_id,description\n"


def test_a_header_only_optional_file_is_read_as_nothing_recorded_and_the_page_says_so(make_city, tmp_path):
    folder = make_city(incidents=[{"incident_id": "C-1", "occurred_on": "2017-03-31", "incident_type": "homicide"}])
    (folder / "meetings.csv").write_text(MEETINGS_HEADER)
    (folder / "tasks.csv").write_text(TASKS_HEADER)
    assert validate_data_dir(folder) == []
    review = open_review(None, city="Newtown", period_start="2017-02", period_end="2017-03", data_dir=str(folder))
    assert review.data.meetings is not None and review.data.meetings.empty
    assert lookup(review.indicators, "coordination_meetings", "period") == 0  # counted: none held, not unknown
    page = quality_html(review).data
    assert "meetings.csv holds a header but no rows: nothing is recorded in it yet" in page
    assert "tasks.csv holds a header but no rows" in page
    params = tmp_path / "coordination.yaml"
    params.write_text(f"meeting: coordination\ncity: T\ndata_dir: {folder}\nmeeting_on: '2017-03-30'\n")
    assert "meetings.csv holds a header but no rows" in pack_header(open_meeting(str(params))).data


def test_a_required_file_with_only_its_header_is_still_an_error_naming_it(make_city):
    folder = make_city()
    (folder / "incidents.csv").write_text("incident_id,occurred_on,incident_type\n")
    problems = [p for p in validate_data_dir(folder) if p.file == "incidents.csv"]
    assert len(problems) == 1 and "header but no rows" in str(problems[0])
    assert "incidents.csv is required" in str(problems[0])
