"""Notes that report a day after the period's end are left out of that period's pages, with a line on the page
and on the terminal (reader #18: "Training held on 17 March" on the Dec 2016-Jan 2017 worksheet)."""
from __future__ import annotations

import datetime as dt

from ceasefire_analysis.review import dates_named_in, open_review
from ceasefire_analysis.tables import activity_worksheet_html, next_steps_html, quality_html

NOTES = {"direct_communications": "Custom notification training convened on 3.17.17.",
         "case_management_new": "Meeting scheduled for 5-9 to align risk definitions.",
         "coordination_meetings": "Early January meeting cancelled for the workshop of 12 Jan 2017."}
STEPS = [{"text": "Convene a custom notification training.", "status": "done", "note": "Training held on 17 March."},
         {"text": "Agree one definition of very high risk.", "status": "in progress", "note": "Meeting set for 9 May."},
         {"text": "Recruit two more life coaches.", "status": "not started"}]


def _review(make_city, start, end):
    folder = make_city(incidents=[{"incident_id": "C-1", "occurred_on": "2016-12-15", "incident_type": "homicide"},
                                  {"incident_id": "C-2", "occurred_on": "2017-03-31", "incident_type": "homicide"}])
    return open_review(None, city="Notesville", period_start=start, period_end=end, data_dir=str(folder),
                       notes=NOTES, previous_next_steps=STEPS)


def test_dates_in_notes_are_read_in_the_ways_people_write_them():
    end = dt.date(2017, 1, 31)
    assert dates_named_in("convened on 3.17.17", end) == [(dt.date(2017, 3, 17), False)]
    assert dates_named_in("on 3/17/2017 and 2017-02-01", end) == [(dt.date(2017, 3, 17), False),
                                                                  (dt.date(2017, 2, 1), False)]
    assert dates_named_in("held March 17, 2016", end) == [(dt.date(2016, 3, 17), False)]
    # a day with no year is read in the year that puts it nearest the period's end
    assert dates_named_in("held on 20 December", end) == [(dt.date(2016, 12, 20), False)]
    assert dates_named_in("meeting set for 9 May", end) == [(dt.date(2017, 5, 9), True)]  # a plan
    assert dates_named_in("scheduled for 5-9; 31 Feb", end) == []


def test_a_january_review_leaves_out_notes_of_march_and_says_so(make_city):
    review = _review(make_city, "2016-12", "2017-01")
    assert [(key, day) for key, _, day in review.later_notes] == [
        ("notes.direct_communications", dt.date(2017, 3, 17)), ("previous_next_steps[0].note", dt.date(2017, 3, 17))]
    worksheet = activity_worksheet_html(review).data
    assert "3.17.17" not in worksheet
    assert "Meeting scheduled for 5-9" in worksheet and "workshop of 12 Jan 2017" in worksheet  # a plan, a January day
    steps = next_steps_html(review).data
    assert "Training held on 17 March" not in steps
    assert "Convene a custom notification training." in steps and "Meeting set for 9 May." in steps
    line = "2 notes dated after this period (after 31 Jan 2017) are not shown"
    assert line in quality_html(review).data
    warning = review.later_notes_warning()
    assert "notes.direct_communications names 17 Mar 2017" in warning and "previous_next_steps[0].note" in warning
    assert "convened" not in warning  # the day, not the note's text, goes to the terminal


def test_the_period_the_notes_were_written_for_shows_them_all(make_city):
    review = _review(make_city, "2017-02", "2017-03")
    assert review.later_notes == [] and review.later_notes_warning() is None
    assert "3.17.17" in activity_worksheet_html(review).data
    assert "Training held on 17 March" in next_steps_html(review).data
    assert "not shown" not in quality_html(review).data
