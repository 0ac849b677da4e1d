"""Partner and public call-in pages read one snapshot a year, so neighbouring reports cannot be subtracted.

reader3 N0: public Dec 2016-Jan 2017 printed "First reached at a call-in | Victim of a shooting (survived) | 25",
public Feb-Mar 2017 printed 26, murders unchanged: exactly one call-in participant was shot in Feb-Mar 2017.
The attacker here is the one of test_privacy_relations (a plain search over every value a hidden cell could take),
given two copies and the relation between them: for each group and outcome, the people at that outcome or a more
serious one in the later copy = those in the earlier copy + the people who reached it in between (never fewer).
"""
from __future__ import annotations

import datetime as dt

import pytest

from ceasefire_analysis.outcomes import (
    GROUPS, OUTCOME_ORDER, callin_outcomes_report, first_contacts, outcome_breakdown, outcomes_csv, snapshot_cells,
    status_day, year_end_hidden,
)
from ceasefire_analysis.privacy import suppress_cells
from ceasefire_analysis.review import open_review
from test_privacy_relations import THRESHOLD, breakdown_relations, read_breakdown, solvable_cells


def _true_cells(review) -> dict[str, int]:
    """The breakdown a page was computed from, read as of the day that page reads (no cell hidden)."""
    day = status_day(review)
    cohort = first_contacts(review.data.communications, day)
    breakdown = outcome_breakdown(cohort, review.data.participant_events, day)
    cells = {f"{r['group']}/{r['outcome']}": int(r["people"]) for _, r in breakdown.iterrows()}
    cells.update({f"{g}/size": sum(cells[f"{g}/{o}"] for o in OUTCOME_ORDER) for g in GROUPS})
    return cells


def rise_relations() -> list[dict[str, int]]:
    """Between copy a and the later copy b: each group's people at an outcome or a more serious one only grow."""
    relations = []
    for group in GROUPS:
        for k, outcome in enumerate(OUTCOME_ORDER):
            relation = {f"rise/{group}/{outcome}": -1}
            for o in OUTCOME_ORDER[:k + 1]:
                relation[f"b|{group}/{o}"] = 1
                relation[f"a|{group}/{o}"] = -1
            relations.append(relation)
    return relations


def two_copies_leak(earlier, later, tmp_path) -> list[str]:
    """What the attacker pins down (hidden cells of either copy, small rises) from two copies read together."""
    published, hidden = {}, {}
    for tag, review in (("a", earlier), ("b", later)):
        shown, labels, _ = read_breakdown(review, tmp_path / tag)
        published.update({f"{tag}|{c}": v for c, v in shown.items()})
        hidden.update({f"{tag}|{c}": v for c, v in labels.items()})
    relations = [{f"{tag}|{c}": k for c, k in r.items()} for tag in "ab" for r in breakdown_relations()]
    relations += rise_relations()
    a, b = _true_cells(earlier), _true_cells(later)
    rises = {}
    for group in GROUPS:
        for k, outcome in enumerate(OUTCOME_ORDER):
            levels = OUTCOME_ORDER[:k + 1]
            rises[f"rise/{group}/{outcome}"] = sum(b[f"{group}/{o}"] - a[f"{group}/{o}"] for o in levels)
    assert min(rises.values()) >= 0  # the relation is true of the real numbers
    return solvable_cells(published, hidden, relations, rises)


# --------------------------------------------------------------------------- the demo, as the reader found it

@pytest.fixture(scope="module")
def demo_public_pages():
    pages = {}
    for start, end in (("2016-12", "2017-01"), ("2017-02", "2017-03")):
        review = open_review(None, audience="public", period_start=start, period_end=end)
        pages[start] = (review, callin_outcomes_report(review))
    return pages


def test_two_neighbouring_public_demo_reports_print_the_same_call_in_page(demo_public_pages):
    (dec, dec_page), (feb, feb_page) = demo_public_pages["2016-12"], demo_public_pages["2017-02"]
    assert status_day(dec) == status_day(feb) == dt.date(2016, 12, 31)
    for part in ("breakdown_table", "curves_table", "cohort_table", "comparison"):
        assert getattr(dec_page, part).data == getattr(feb_page, part).data, part
    assert "Status on 31 Dec 2016" in feb_page.breakdown_table.data
    assert ("Status on 31 Dec 2016. Partner and public copies of this page are updated once a year, so that two "
            "reports cannot be subtracted to single out a person.") in feb_page.header.data
    body = [line for line in outcomes_csv(feb).splitlines() if not line.startswith("# Period")]
    assert body == [line for line in outcomes_csv(dec).splitlines() if not line.startswith("# Period")]
    assert "as of 2016-12-31" in outcomes_csv(feb)


def test_the_attacker_given_both_neighbouring_public_demo_pages_finds_no_small_change(demo_public_pages, tmp_path):
    """On the old pages the search finds the rise of 1 in 'First reached at a call-in | shot' (25 -> 26)."""
    assert two_copies_leak(demo_public_pages["2016-12"][0], demo_public_pages["2017-02"][0], tmp_path) == []


def test_internal_pages_keep_the_status_at_the_period_s_end():
    dec = open_review(None, period_start="2016-12", period_end="2017-01")
    feb = open_review(None)
    assert (status_day(dec), status_day(feb)) == (dt.date(2017, 1, 31), dt.date(2017, 3, 31))
    assert (_true_cells(dec)["call_in/shooting_victim"], _true_cells(feb)["call_in/shooting_victim"]) == (25, 26)
    report = callin_outcomes_report(feb)
    assert "Status on 31 Mar 2017" in report.breakdown_table.data
    assert "updated once a year" not in report.header.data
    assert "as of 2017-03-31" in outcomes_csv(feb)


# --------------------------------------------------------------------------- a city where one person is shot in a year

INCIDENTS = [{"incident_id": f"C-{i}", "occurred_on": day, "incident_type": "homicide"}
             for i, day in enumerate(["2015-01-05", "2016-01-05", "2017-01-05", "2017-03-31"])]


def _one_shot_in_2016() -> tuple[list[dict], list[dict]]:
    """2015: 30 people reached at call-ins and 30 by custom notification; 10 of each group shot and 10 arrested
    that year. 2016: 20 more of each, and ONE more person first reached at a call-in shot (10 -> 11)."""
    comms, events = [], []
    for kind, tag in (("call_in", "C"), ("custom_notification", "N")):
        for i in range(30):
            comms.append({"participant_id": f"PFN-{tag}{i}", "occurred_on": "2015-03-10", "kind": kind,
                          "highest_risk": "yes"})
            if i < 20:
                events.append({"participant_id": f"PFN-{tag}{i}", "occurred_on": "2015-08-01",
                               "event": "shooting_victim" if i < 10 else "arrest_violent_or_gun"})
        for i in range(20):
            comms.append({"participant_id": f"PFN-{tag}2016-{i}", "occurred_on": "2016-04-10", "kind": kind,
                          "highest_risk": "yes"})
    events.append({"participant_id": "PFN-C25", "occurred_on": "2016-06-01", "event": "shooting_victim"})
    # a contact and an arrest in 2017 keep the files current through the review periods
    comms.append({"participant_id": "PFN-L", "occurred_on": "2017-02-14", "kind": "call_in", "highest_risk": "yes"})
    events.append({"participant_id": "PFN-L", "occurred_on": "2017-03-20", "event": "arrest_violent_or_gun"})
    return comms, events


@pytest.fixture
def one_shot_city(make_city):
    comms, events = _one_shot_in_2016()
    folder = make_city(communications=comms, participant_events=events, incidents=INCIDENTS)

    def review(audience, year):
        return open_review(None, city="Onetown", period_start=f"{year}-02", period_end=f"{year}-03",
                           data_dir=str(folder), audience=audience, small_count_threshold=THRESHOLD)
    return review


def test_a_cell_that_changes_by_one_between_two_year_end_snapshots_is_hidden(one_shot_city, tmp_path):
    internal = one_shot_city("internal", 2017)
    day_2015, day_2016 = dt.date(2015, 12, 31), dt.date(2016, 12, 31)
    comms, events = internal.data.communications, internal.data.participant_events
    before, _ = snapshot_cells(comms, events, day_2015)
    after, relations = snapshot_cells(comms, events, day_2016)
    assert (before["call_in/shooting_victim"], after["call_in/shooting_victim"]) == (10, 11)
    assert suppress_cells(after, relations, THRESHOLD) == {}  # on its own, the 2016 snapshot has nothing small
    hidden = year_end_hidden(comms, events, 2016, THRESHOLD)
    assert hidden[2015] == {}
    assert hidden[2016], "the rise of 1 must hide something"

    earlier, later = one_shot_city("public", 2016), one_shot_city("public", 2017)
    assert (status_day(earlier), status_day(later)) == (day_2015, day_2016)
    published, labels, _ = read_breakdown(later, tmp_path / "later")
    assert "call_in/shooting_victim" not in published  # 11 is not printed beside last year's 10
    assert set(labels) == set(hidden[2016]) - {c for c in hidden[2016] if c.startswith("entry/")}
    assert two_copies_leak(earlier, later, tmp_path) == []
    # the partner copy is protected the same way
    assert read_breakdown(one_shot_city("partner", 2017), tmp_path / "partner")[:2] == (published, labels)


def test_the_attacker_finds_the_rise_of_one_when_both_snapshots_are_printed_in_full(one_shot_city, tmp_path):
    """The search does find the person shot in 2016 from two complete copies (10 -> 11, murders 0 -> 0)."""
    internal = one_shot_city("internal", 2017)
    comms, events = internal.data.communications, internal.data.participant_events
    published = {}
    for tag, year in (("a", 2015), ("b", 2016)):
        cells, _ = snapshot_cells(comms, events, dt.date(year, 12, 31))
        published.update({f"{tag}|{c}": v for c, v in cells.items() if not c.startswith("entry/")})
    rises = {f"rise/{g}/{o}": 0 for g in GROUPS for o in OUTCOME_ORDER}
    rises["rise/call_in/shooting_victim"] = rises["rise/all/shooting_victim"] = 1
    leaked = solvable_cells(published, {}, rise_relations(), rises)
    assert "rise/call_in/shooting_victim" in leaked


def test_no_complete_year_yet_gives_partner_and_public_no_call_in_figures(make_city):
    comms = [{"participant_id": f"PFN-{i}", "occurred_on": "2017-01-10", "kind": "call_in", "highest_risk": "yes"}
             for i in range(12)]
    events = [{"participant_id": "PFN-1", "occurred_on": "2017-03-20", "event": "arrest_violent_or_gun"}]
    folder = make_city(communications=comms, participant_events=events,
                       incidents=[{"incident_id": "C-1", "occurred_on": "2017-01-02", "incident_type": "homicide"},
                                  {"incident_id": "C-2", "occurred_on": "2017-03-31", "incident_type": "homicide"}])
    values = {"city": "Newtown", "period_start": "2017-02", "period_end": "2017-03", "data_dir": str(folder)}
    for audience in ("partner", "public"):
        review = open_review(None, **values, audience=audience)
        report = callin_outcomes_report(review)
        assert "No figures yet" in report.header.data and "31 Dec 2016" in report.header.data
        assert report.breakdown_table.data == "" and report.cohort_table.data == ""
        assert outcomes_csv(review) is None
    internal = open_review(None, **values)
    assert "No figures yet" not in callin_outcomes_report(internal).header.data
    assert "as of 2017-03-31" in outcomes_csv(internal)


def test_year_end_suppression_is_decided_from_earlier_years_only(one_shot_city):
    """A later year's data never changes what an earlier year's copies hid (they were published already)."""
    internal = one_shot_city("internal", 2017)
    comms, events = internal.data.communications, internal.data.participant_events
    assert year_end_hidden(comms, events, 2016, THRESHOLD)[2015] == year_end_hidden(comms, events, 2015, THRESHOLD)[2015]
