"""Sentences shown to the room name no params key (reader2 R6, tester A12 follow-up)."""
import datetime as dt

import pandas as pd

from ceasefire_analysis.focus import safe_city_table


def test_a_safe_city_path_without_a_whole_base_year_says_why_in_plain_words():
    incidents = pd.DataFrame({"occurred_on": pd.to_datetime(["2015-07-20", "2016-03-01"]),
                              "incident_type": ["homicide", "nonfatal_injury_shooting"]})
    goal = {"base_year": 2015, "years": 2, "reduction": 0.1}
    table, reason = safe_city_table(incidents, goal, dt.date(2016, 12, 31), dt.date(2015, 7, 15))
    assert table is None
    assert reason.startswith("the data do not cover all of 2015, so its count cannot start the path")
    assert "safe_city." not in reason and "base_count" not in reason
