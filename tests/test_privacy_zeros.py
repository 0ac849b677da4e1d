"""Zeros of people next to hidden cells (reader #18: "2 reviews | 9 | fewer than 5 | 0 | hidden" in a partner pack).

The rule (privacy.parts_of_small_totals): a 0 among the parts of a total that is itself small is hidden like a
small count, since it tells something about every one of those few people; a 0 in a larger group stays, and the
hidden cells beside it keep more than one possible value.
"""
from __future__ import annotations

import itertools

import pandas as pd

from ceasefire_analysis.meetings import flagged_by_reviews_cells, meeting_params_from_values
from ceasefire_analysis.privacy import Relation, pinned_down, suppress_cells


def _partner_pack_params():
    return meeting_params_from_values({"meeting": "coordination", "city": "X", "data_dir": "data/raw/demo",
                                       "meeting_on": "2017-03-09", "audience": "partner"})


def test_a_zero_beside_hidden_cells_of_a_larger_group_reveals_none_of_them():
    # the pack's row: 9 people flagged at 2 reviews, 3 reached, none enrolled, 6 neither
    table = pd.DataFrame([["1 review", 118, 62, 20, 44], ["2 reviews", 9, 3, 0, 6], ["3 or more reviews", 7, 2, 0, 5]],
                         columns=["flagged_at", "people", "reached", "enrolled", "neither"])
    shown = flagged_by_reviews_cells(table, 134, _partner_pack_params())
    assert shown["2 reviews/people"] == "9" and shown["2 reviews/enrolled"] == "0"
    assert shown["2 reviews/reached"] == "fewer than 5" and shown["2 reviews/neither"].startswith("hidden")
    # what a reader can work out, counting every way the row could be filled in, with what the relations leave
    # out too (people reached and enrolled are at most those enrolled, here 0): reached 1 to 4, neither 0 or 5+
    solutions = [(r, n) for r, n, both in itertools.product(range(1, 5), [0] + list(range(5, 10)), range(0, 1))
                 if 9 == r + 0 + n - both]
    assert len(solutions) == 4  # reached is any of 1-4: nothing pinned


def test_a_zero_among_the_parts_of_a_small_group_is_hidden_as_a_small_count():
    relations = [Relation.group("group", ["killed", "shot", "arrested", "nothing"]),
                 Relation.total("all", ["group", "others"])]
    values = {"all": 40, "group": 3, "killed": 0, "shot": 0, "arrested": 1, "nothing": 2, "others": 37}
    hidden = suppress_cells(values, relations, 5)
    # "none of these 3 was killed or shot" was published as two zeros beside "fewer than 5"
    assert hidden["killed"] == hidden["shot"] == "small"
    assert hidden["group"] == "small" and hidden["arrested"] == hidden["nothing"] == "small"
    assert "others" in hidden  # else all - others gives the group's size back
    known = set(hidden)
    small = {c for c, k in hidden.items() if k == "small"}
    assert not any(pinned_down(c, values, relations, known, small, 5) for c in hidden)
    # a group of 5 or more keeps its zeros
    big = {**values, "group": 8, "nothing": 7, "others": 32}
    assert "killed" not in suppress_cells(big, relations, 5)
    # a sum that is no group of people (events by 12 months = by 6 months + the rise) keeps its zeros
    events = [Relation.total("by12", ["by6", "rise"])]
    assert "by6" not in suppress_cells({"by12": 3, "by6": 0, "rise": 3}, events, 5)
