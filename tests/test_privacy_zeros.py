"""Zeros of people next to hidden cells (reader #18: "2 reviews | 9 | fewer than 5 | 0 | hidden" in a partner pack).

The rule (privacy.parts_of_small_totals): a 0 among the parts of a total that is itself small is hidden like a
small count, since it tells something about every one of those few people; a 0 in a larger group stays, and the
hidden cells beside it keep more than one possible value.
"""
from __future__ import annotations

import itertools
import math

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


def test_pinned_down_agrees_with_trying_every_value():
    # The solver's answer (with its shortcut: the true values are a second solution) against brute force: every
    # assignment of the hidden cells a reader would allow, kept when all relations hold.
    import itertools
    import random

    from ceasefire_analysis import privacy

    rng = random.Random(7)
    threshold = 5
    checked = pinned_seen = 0
    for _ in range(150):
        parts = {f"p{i}": rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 8, 11]) for i in range(rng.randint(2, 4))}
        names = list(parts)
        values = {**parts, "all": sum(parts.values())}
        relations = [Relation.total("all", names)]
        if len(names) >= 3 and rng.random() < 0.6:  # a second, overlapping relation
            values["sub"] = parts[names[0]] + parts[names[1]]
            relations.append(Relation.group("sub", names[:2]) if rng.random() < 0.5
                             else Relation.total("sub", names[:2]))
        cells = list(values)
        hidden = set(rng.sample(cells, rng.randint(1, min(3, len(cells)))))
        small = {c for c in cells if 0 < values[c] < threshold}
        hidden |= small
        free = {c for c in hidden if rng.random() < 0.15}
        maybe_zero = privacy.parts_of_small_totals(relations, small)
        unknowns = sorted(hidden)

        big = max([abs(v) for v in values.values()] + [threshold]) * 2 + 1  # the solver's own upper bound

        def allowed(c):
            if c in free:
                return range(0, big + 1)
            if c in small:
                return range(0 if c in maybe_zero else 1, threshold)
            return [0, *range(threshold, big + 1)]

        for cell in unknowns:
            privacy._PINNED.clear()
            answer = pinned_down(cell, values, relations, hidden, small, threshold, free)
            # brute force over the cells linked to this one (as the solver does); too large a space is skipped
            spaces = [allowed(c) for c in unknowns]
            if math.prod(len(s) for s in spaces) > 60_000:
                continue
            possible = set()
            for combo in itertools.product(*spaces):
                trial = {**values, **dict(zip(unknowns, combo))}
                if all(sum(coef * trial[c] for c, coef in r.terms) == 0 for r in relations):
                    possible.add(trial[cell])
            if not possible:
                continue  # relations that do not hold: the solver says not pinned, nothing to compare
            checked += 1
            pinned_seen += answer
            assert answer == (len(possible) == 1), (cell, values, hidden, small, free, possible)
    assert checked > 100 and pinned_seen > 10  # both answers were exercised


def test_a_relation_that_does_not_hold_for_the_true_values_is_still_solved_in_full():
    # 3 + 4 is not 8 (a count reconciled after the fact, say): the true values are no solution, so the solver's
    # shortcut (a smallest value other than the cell's own proves two values) must not be taken. Only a = b = 4
    # fits what is published, so both are pinned.
    from ceasefire_analysis import privacy

    privacy._PINNED.clear()
    values, relations = {"all": 8, "a": 3, "b": 4}, [Relation.total("all", ["a", "b"])]
    assert pinned_down("a", values, relations, {"a", "b"}, {"a", "b"}, 5)
    assert pinned_down("b", values, relations, {"a", "b"}, {"a", "b"}, 5)
