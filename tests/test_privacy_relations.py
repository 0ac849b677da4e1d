"""No hidden count can be worked back out from what a partner or public report publishes.

The test states the relations a reader can use between published numbers, reads what the
reports publish (indicators.csv and callin_outcomes.csv as written, and the group sizes
shown on the call-in page), and tries every value a hidden cell could take: a hidden cell is
safe only if at least two values fit everything published. The attacker here is written
independently of the package's own suppression (a plain search, not its integer program).
"""
from __future__ import annotations

import io
import math
import re

import pandas as pd
import pytest

from ceasefire_analysis.outcomes import GROUPS, OUTCOME_ORDER, breakdown_for_review, group_sizes_text, \
    outcomes_csv
from ceasefire_analysis.reports import indicators_csv
from ceasefire_analysis.review import open_review

THRESHOLD = 5
SOURCES = ("call_in", "custom_notification", "ceasefire_other", "outreach", "non_ceasefire_other")


# --------------------------------------------------------------------------- the attacker

def values_that_fit(target: str, published: dict[str, int], hidden: dict[str, range | list[int]],
                    relations: list[dict[str, int]], enough: int = 2) -> set[int]:
    """Values of ``target`` consistent with every relation, stopping once ``enough`` are found."""
    names = sorted(hidden, key=lambda n: (n != target, -sum(n in r for r in relations)))
    found: set[int] = set()

    def bounds(relation, assigned):
        low = high = 0
        for cell, coef in relation.items():
            if cell in published:
                low += coef * published[cell]
                high += coef * published[cell]
            elif cell in assigned:
                low += coef * assigned[cell]
                high += coef * assigned[cell]
            else:
                lo, hi = min(hidden[cell]), max(hidden[cell])
                low += min(coef * lo, coef * hi)
                high += max(coef * lo, coef * hi)
        return low, high

    def search(i, assigned):
        for relation in relations:
            low, high = bounds(relation, assigned)
            if low > 0 or high < 0:
                return False
        if i == len(names):
            return True
        for value in hidden[names[i]]:
            assigned[names[i]] = value
            if search(i + 1, assigned):
                if i > 0:
                    del assigned[names[i]]
                    return True
                found.add(value)
                if len(found) >= enough:
                    del assigned[names[i]]
                    return True
            del assigned[names[i]]
        return False

    search(0, {})
    return found


def solvable_cells(published: dict[str, int], hidden_labels: dict[str, str], relations: list[dict[str, int]],
                   extra_unknowns: dict[str, int]) -> list[str]:
    """Hidden cells (and small unpublished ones) that only one value fits."""
    ceiling = 2 * max(published.values())
    domains: dict[str, range | list[int]] = {}
    for cell, label in hidden_labels.items():
        domains[cell] = range(1, THRESHOLD) if label.startswith("fewer than") else [0] + list(
            range(THRESHOLD, ceiling + 1))
    for cell in extra_unknowns:
        domains[cell] = range(0, ceiling + 1)
    targets = list(hidden_labels) + [c for c, v in extra_unknowns.items() if 0 < v < THRESHOLD]
    used = [r for r in relations if all(c in published or c in domains for c in r)]
    return [c for c in targets if len(values_that_fit(c, published, domains, used)) < 2]


# --------------------------------------------------------------------------- a city with small cells

def _person_rows():
    comms, events, cases = [], [], []
    # first reached at a call-in: 10 people, 4 later killed; by custom notification: 25 people, 11 killed
    plan = {"call_in": [("murder_victim", 4), ("shooting_victim", 2), ("arrest_violent_or_gun", 1), (None, 3)],
            "custom_notification": [("murder_victim", 11), ("shooting_victim", 3), ("arrest_violent_or_gun", 8),
                                    (None, 3)]}
    n = 0
    for kind, outcomes in plan.items():
        for outcome, count in outcomes:
            for _ in range(count):
                n += 1
                pid = f"PFN-{n:03d}"
                comms.append({"participant_id": pid, "occurred_on": f"2016-{n % 9 + 1:02d}-15", "kind": kind,
                              "highest_risk": "yes"})
                if outcome:
                    events.append({"participant_id": pid, "occurred_on": "2017-01-20", "event": outcome})
    # the review period: 3 people at call-ins, 9 by custom notification; 2 of the 12 not on the highest-risk list
    for i in range(12):
        comms.append({"participant_id": f"PFN-{200 + i}", "occurred_on": "2017-02-14",
                      "kind": "call_in" if i < 3 else "custom_notification", "highest_risk": "no" if i < 2 else "yes"})
    # active caseload at the end of March by referral source: 3, 8, 6, 12, 20
    k = 0
    for source, count in zip(SOURCES, (3, 8, 6, 12, 20)):
        for _ in range(count):
            k += 1
            cases.append({"participant_id": f"PFN-{400 + k}", "enrolled_on": "2016-06-01", "exited_on": "",
                          "referral_source": source, "opd_highest_risk": "yes"})
    return comms, events, cases


@pytest.fixture
def small_city(make_city, city_params):
    comms, events, cases = _person_rows()
    incidents = [{"incident_id": f"C-{i}", "occurred_on": day, "incident_type": "homicide"}
                 for i, day in enumerate(["2016-03-01", "2017-02-10", "2017-03-31"])]
    folder = make_city(communications=comms, participant_events=events, case_management=cases, incidents=incidents)

    def review(audience):
        return open_review(None, **{"city": "Smallville", "period_start": "2017-02", "period_end": "2017-03",
                                    "data_dir": str(folder), "audience": audience,
                                    "small_count_threshold": THRESHOLD})
    return review


# --------------------------------------------------------------------------- the relations and the reading

def breakdown_relations() -> list[dict[str, int]]:
    """Everyone = call-in + custom notification (per outcome and in size); a group's outcomes add up to its size."""
    relations = [{f"{g}/size": 1, **{f"{g}/{o}": -1 for o in OUTCOME_ORDER}} for g in GROUPS]
    for column in list(OUTCOME_ORDER) + ["size"]:
        relations.append({f"all/{column}": 1, f"call_in/{column}": -1, f"custom_notification/{column}": -1})
    return relations


def read_breakdown(review, tmp_path) -> tuple[dict[str, int], dict[str, str], dict[str, int]]:
    """What the call-in report publishes: the CSV as written and the group sizes in its caption."""
    path = tmp_path / "callin_outcomes.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(outcomes_csv(review))
    table = pd.read_csv(path, comment="#", dtype=str, keep_default_na=False)
    published, hidden = {}, {}
    for _, r in table.iterrows():
        cell = f"{r['group']}/{r['outcome']}"
        if r["people"].isdigit():
            published[cell] = int(r["people"])
        else:
            hidden[cell] = r["people"]
        if r["people"].isdigit() and r["share"] and float(r["share"]) > 0:
            # a share beside a count gives the group's size
            published[f"{r['group']}/size"] = round(int(r["people"]) / float(r["share"]))
    _, breakdown = breakdown_for_review(review)
    sizes = group_sizes_text(breakdown, review)
    labels = {"everyone": "all", "first reached at a call-in": "call_in",
              "first reached by custom notification": "custom_notification"}
    for label, text in re.findall(r"([a-z -]+): ([^,]+)", sizes):
        cell = f"{labels[label.strip()]}/size"
        if text.strip().isdigit():
            published[cell] = int(text)
        elif cell not in published:
            hidden[cell] = text.strip()
    return published, hidden, {}


def worksheet_relations() -> list[dict[str, int]]:
    """People reached = call-ins + custom notifications; a share's parts add up to its group; the active
    caseload = the sum of its referral sources."""
    relations = []
    for w in ("ytd", "period"):
        relations.append({f"direct_communications/{w}": 1, f"call_ins/{w}": -1, f"custom_notifications/{w}": -1})
        relations.append({f"direct_communications/{w}": 1, f"direct_communications_highest_risk_pct/{w}": -1,
                          f"not_highest_risk/{w}": -1})
        relations.append({f"case_management_new/{w}": 1, f"case_management_opd_highest_risk_pct/{w}": -1,
                          f"not_flagged/{w}": -1})
    relations.append({"case_management_active/as_of": 1,
                      **{f"case_management_active_{s}/as_of": -1 for s in SOURCES}})
    return relations


def read_indicators(review) -> tuple[dict[str, int], dict[str, str], dict[str, int]]:
    """What indicators.csv publishes about people: counts, and the numerators of shares of people."""
    table = pd.read_csv(io.StringIO(indicators_csv(review.indicators)), keep_default_na=False, dtype=str)
    published, hidden, unknown = {}, {}, {}
    people = {"direct_communications", "call_ins", "custom_notifications", "case_management_new",
              "case_management_active"} | {f"case_management_active_{s}" for s in SOURCES}
    shares = {"direct_communications_highest_risk_pct": "not_highest_risk",
              "case_management_opd_highest_risk_pct": "not_flagged"}
    for _, r in table.iterrows():
        cell = f"{r['indicator']}/{r['window']}"
        column = "numerator" if r["indicator"] in shares else "actual"
        if r["indicator"] not in people and r["indicator"] not in shares:
            continue
        if r[column] != "":
            published[cell] = int(float(r[column]))
        else:
            hidden[cell] = "fewer than 5" if r.get("suppressed") == "small" else "hidden"
        if r["indicator"] in shares:
            unknown[f"{shares[r['indicator']]}/{r['window']}"] = None
    return published, hidden, unknown


def _true_rest(internal_review) -> dict[str, int]:
    """The true sizes of the unpublished parts (people not on the list, enrolments not flagged)."""
    t = internal_review.indicators
    out = {}
    for share, rest in (("direct_communications_highest_risk_pct", "not_highest_risk"),
                        ("case_management_opd_highest_risk_pct", "not_flagged")):
        for _, r in t[t["indicator"] == share].iterrows():
            out[f"{rest}/{r['window']}"] = int(r["denominator"] - r["numerator"])
    return out


def _check_relations_hold(values: dict[str, int], relations: list[dict[str, int]]) -> None:
    for relation in relations:
        if all(c in values for c in relation):
            assert sum(coef * values[c] for c, coef in relation.items()) == 0, relation


# --------------------------------------------------------------------------- the tests

@pytest.mark.parametrize("audience", ["partner", "public"])
def test_no_hidden_cell_of_the_call_in_breakdown_can_be_solved(small_city, tmp_path, audience):
    internal = small_city("internal")
    truth, _, _ = read_breakdown(internal, tmp_path / "internal")
    truth.update({f"{g}/size": sum(truth[f"{g}/{o}"] for o in OUTCOME_ORDER) for g in GROUPS})
    assert truth["all/murder_victim"] == 15 and truth["call_in/murder_victim"] == 4  # the example
    _check_relations_hold(truth, breakdown_relations())  # the relations are true of the real numbers

    published, hidden, _ = read_breakdown(small_city(audience), tmp_path / audience)
    assert hidden.get("call_in/murder_victim") == "fewer than 5"
    for cell, value in published.items():
        assert truth[cell] == value  # nothing published is wrong
    assert solvable_cells(published, hidden, breakdown_relations(), {}) == []


@pytest.mark.parametrize("audience", ["partner", "public"])
def test_no_hidden_cell_of_the_worksheet_can_be_solved(small_city, audience):
    internal = small_city("internal")
    truth, _, _ = read_indicators(internal)
    rest = _true_rest(internal)
    _check_relations_hold({**truth, **rest}, worksheet_relations())
    assert truth["call_ins/period"] == 3 and rest["not_highest_risk/period"] == 2

    review = small_city(audience)
    published, hidden, unknown = read_indicators(review)
    assert hidden["call_ins/period"] == "fewer than 5"
    assert hidden["case_management_active_call_in/as_of"] == "fewer than 5"
    for cell, value in published.items():
        assert truth[cell] == value
    # the unpublished parts are unknowns to the reader; the small ones must not be solvable either
    extra = {cell: rest[cell] for cell in unknown}
    assert solvable_cells(published, hidden, worksheet_relations(), extra) == []


def test_the_attacker_finds_what_the_old_rule_gave_away():
    """The search does catch a recoverable cell: everyone 15, custom notification 11, call-in hidden."""
    published = {"all/murder_victim": 15, "custom_notification/murder_victim": 11}
    hidden = {"call_in/murder_victim": "fewer than 5"}
    relation = [{"all/murder_victim": 1, "call_in/murder_victim": -1, "custom_notification/murder_victim": -1}]
    assert solvable_cells(published, hidden, relation, {}) == ["call_in/murder_victim"]


def test_partner_and_public_pages_show_no_number_for_a_hidden_cell(small_city):
    from ceasefire_analysis.tables import activity_worksheet_html

    page = activity_worksheet_html(small_city("public")).data
    row = re.search(r"of whom at call-ins</td>(.*?)</tr>", page).group(1)
    assert "fewer than 5" in row and not re.search(r">\s*3\b", row)
    assert not math.isnan(small_city("public").indicators.query("indicator == 'direct_communications'")["actual"].iloc[0])


def test_entry_year_cohorts_do_not_give_away_a_small_year(make_city, tmp_path):
    """People first reached in each year add up to everyone: a lone small year must not follow by subtraction."""
    from ceasefire_analysis.outcomes import cohort_sizes_shown

    comms, events, cases = _person_rows()
    comms.append({"participant_id": "PFN-999", "occurred_on": "2015-05-05", "kind": "call_in", "highest_risk": "yes"})
    folder = make_city(communications=comms, participant_events=events, case_management=cases)
    review = open_review(None, city="S", period_start="2017-02", period_end="2017-03", data_dir=str(folder),
                         audience="public", small_count_threshold=THRESHOLD)
    cohort, breakdown = breakdown_for_review(review)
    shown = cohort_sizes_shown(cohort, breakdown, review)
    assert shown[2015] == "fewer than 5"
    published, hidden, _ = read_breakdown(review, tmp_path)
    for year, text in shown.items():
        if text.replace(",", "").isdigit():
            published[f"entry/{year}"] = int(text.replace(",", ""))
        else:
            hidden[f"entry/{year}"] = text
    relations = breakdown_relations() + [{"all/size": 1, **{f"entry/{y}": -1 for y in shown}}]
    assert solvable_cells(published, hidden, relations, {}) == []


# --------------------------------------------------------------------------- year to date and review period

NESTED = ("direct_communications", "call_ins", "custom_notifications", "case_management_new",
          "direct_communications_highest_risk_pct", "case_management_opd_highest_risk_pct",
          "not_highest_risk", "not_flagged")


def nesting_relations(outer: str = "ytd", inner: str = "period") -> list[dict[str, int]]:
    """The year to date = the review period + the earlier months of the year (unpublished), per count of people."""
    return [{f"{c}/{outer}": 1, f"{c}/{inner}": -1, f"{c}/earlier": -1} for c in NESTED]


def _true_earlier(truth: dict[str, int], outer: str = "ytd", inner: str = "period") -> dict[str, int]:
    return {f"{c}/earlier": truth[f"{c}/{outer}"] - truth[f"{c}/{inner}"] for c in NESTED
            if f"{c}/{outer}" in truth and f"{c}/{inner}" in truth}


@pytest.fixture
def january_city(make_city):
    """The reader's case: 5 enrolments in January 2017, 1 identified by police as highest risk; 49 in
    February-March, 14 of them: published as "54; 49" and "15 of 54; 14 of 49", January is 5 = 1 + 4."""
    comms, events, _ = _person_rows()
    cases = []
    for i in range(5):
        cases.append({"participant_id": f"PFN-J{i}", "enrolled_on": "2017-01-16", "exited_on": "",
                      "referral_source": "outreach", "opd_highest_risk": "yes" if i == 0 else "no"})
    for i in range(49):
        cases.append({"participant_id": f"PFN-F{i}", "enrolled_on": f"2017-0{2 + i % 2}-1{i % 9}", "exited_on": "",
                      "referral_source": SOURCES[i % 5], "opd_highest_risk": "yes" if i < 14 else "no"})
    folder = make_city(communications=comms, participant_events=events, case_management=cases)

    def review(audience, period_start="2017-02", period_end="2017-03"):
        return open_review(None, city="Jantown", period_start=period_start, period_end=period_end,
                           data_dir=str(folder), audience=audience, small_count_threshold=THRESHOLD)
    return review


@pytest.mark.parametrize("audience", ["partner", "public"])
def test_january_cannot_be_worked_out_from_the_year_to_date_and_the_review_period(january_city, audience):
    internal = january_city("internal")
    truth, _, _ = read_indicators(internal)
    truth.update(_true_rest(internal))
    earlier = _true_earlier(truth)
    assert (truth["case_management_new/ytd"], truth["case_management_new/period"]) == (54, 49)
    assert (truth["case_management_opd_highest_risk_pct/ytd"], truth["case_management_opd_highest_risk_pct/period"]) \
        == (15, 14)
    assert earlier["case_management_opd_highest_risk_pct/earlier"] == 1 and earlier["not_flagged/earlier"] == 4
    relations = worksheet_relations() + nesting_relations()
    _check_relations_hold({**truth, **earlier}, relations)

    published, hidden, unknown = read_indicators(january_city(audience))
    for cell, value in published.items():
        assert truth[cell] == value
    # the attacker's own check finds the leak when everything is published
    everything = {c: v for c, v in truth.items() if not c.startswith(("not_", "reached_both"))}
    leaked = solvable_cells(everything, {}, relations, {**{c: truth[c] for c in unknown}, **earlier})
    assert "case_management_opd_highest_risk_pct/earlier" in leaked and "not_flagged/earlier" in leaked
    assert solvable_cells(published, hidden, relations, {**{c: truth[c] for c in unknown}, **earlier}) == []
    # what is hidden is the review period's share (its months appear in no other report), not the year to date
    assert "case_management_opd_highest_risk_pct/ytd" in published


def test_year_boundary_protects_december_and_hides_the_period(january_city):
    """December-January: the year to date (January) lies inside the period; December is the difference."""
    internal = january_city("internal", "2016-12", "2017-01")
    truth, _, _ = read_indicators(internal)
    truth.update(_true_rest(internal))
    earlier = _true_earlier(truth, outer="period", inner="ytd")
    relations = worksheet_relations() + nesting_relations(outer="period", inner="ytd")
    _check_relations_hold({**truth, **earlier}, relations)
    published, hidden, unknown = read_indicators(january_city("public", "2016-12", "2017-01"))
    assert solvable_cells(published, hidden, relations, {**{c: truth[c] for c in unknown}, **earlier}) == []


# --------------------------------------------------------------------------- Worksheet 3 and the meeting packs

def focus_rows(total: int, victims: int, suspects: int, reached: tuple[int, int, int]) -> pd.DataFrame:
    """Worksheet 3's people linked to shootings (all, victims, suspects) and the share of each reached before."""
    nan = math.nan
    rows = []
    for suffix, people, part in zip(("", "_victims", "_suspects"), (total, victims, suspects), reached):
        rows.append((f"known_before_people{suffix}", people, people, nan, nan, None))
        rows.append((f"known_before_reached_pct{suffix}", 100 * part / people if people else nan, nan, part, people,
                     f"known_before_people{suffix}"))
    out = pd.DataFrame(rows, columns=["indicator", "actual", "_people", "_part", "_of", "_base"])
    out["window"], out["window_start"], out["window_end"] = "ytd", "2017-01-01", "2017-03-31"
    out["prior_year"] = out["three_year_average"] = out["_median_of"] = nan
    return out


def read_focus(out: pd.DataFrame) -> tuple[dict[str, int], dict[str, str]]:
    """What Worksheet 3 publishes: counts of people, and a share's numerator (the share times its shown base)."""
    published, hidden = {}, {}
    actual = dict(zip(out["indicator"], out["actual"]))
    for _, r in out.iterrows():
        cell = r["indicator"]
        if not math.isnan(r["actual"]):
            base = r["_base"]
            published[cell] = int(r["actual"]) if base is None else round(r["actual"] * actual[base] / 100)
        else:
            hidden[cell] = "fewer than 5" if r["suppressed"] == "small" else "hidden"
    return published, hidden


def focus_relations() -> list[dict[str, int]]:
    """People linked = victims + suspects - people who were both; a share's base = reached + the rest."""
    relations = [{"known_before_people": 1, "known_before_people_victims": -1, "known_before_people_suspects": -1,
                  "both": 1}]
    for suffix in ("", "_victims", "_suspects"):
        relations.append({f"known_before_people{suffix}": 1, f"known_before_reached_pct{suffix}": -1,
                          f"rest{suffix}": -1})
    return relations


@pytest.mark.parametrize("total,victims,suspects,reached", [
    (20, 17, 3, (10, 9, 1)),  # a small role beside a shown total
    (12, 9, 4, (6, 5, 2)),  # a small role, one person both
    (15, 8, 8, (9, 5, 5)),  # no small role, but one person both: 8 + 8 - 15
    (30, 22, 10, (27, 19, 9)),  # small rests: 3 victims and 1 suspect not reached
    (40, 25, 15, (20, 12, 8)),  # nothing small
])
def test_no_hidden_cell_of_worksheet_3_can_be_solved(total, victims, suspects, reached):
    from ceasefire_analysis.focus import protect_people_counts

    rows = focus_rows(total, victims, suspects, reached)
    truth = {"known_before_people": total, "known_before_people_victims": victims,
             "known_before_people_suspects": suspects, "both": victims + suspects - total}
    for suffix, part, people in zip(("", "_victims", "_suspects"), reached, (total, victims, suspects)):
        truth[f"known_before_reached_pct{suffix}"], truth[f"rest{suffix}"] = part, people - part
    _check_relations_hold(truth, focus_relations())
    published, hidden = read_focus(protect_people_counts(rows, "public", THRESHOLD))
    for cell, value in published.items():
        assert truth[cell] == value  # nothing published is wrong
    unknowns = {c: truth[c] for c in ("both", "rest", "rest_victims", "rest_suspects")}
    assert solvable_cells(published, hidden, focus_relations(), unknowns) == []
    if total == 40:
        assert hidden == {}  # no small count: everything is shown


def read_chronic(shown: dict[str, str], bands: list[str]) -> tuple[dict[str, int], dict[str, str]]:
    published, hidden = {}, {}
    for cell, text in shown.items():
        (published.__setitem__(cell, int(text)) if text.isdigit() else hidden.__setitem__(cell, text))
    return published, hidden


def chronic_relations(bands: list[str]) -> list[dict[str, int]]:
    """Everyone flagged = the sum of the bands; in a band, people = reached + enrolled - both + neither."""
    relations = [{"total": 1, **{f"{b}/people": -1 for b in bands}}]
    for b in bands:
        relations.append({f"{b}/people": 1, f"{b}/reached": -1, f"{b}/enrolled": -1, f"{b}/both": 1,
                          f"{b}/neither": -1})
    return relations


@pytest.mark.parametrize("table", [
    [[3, 1, 1, 1], [7, 7, 0, 0], [12, 6, 6, 3]],
    [[30, 20, 10, 8], [9, 6, 3, 2], [6, 6, 6, 0]],  # small 'neither' counts inside shown bands
    [[25, 10, 10, 10], [2, 1, 0, 1], [0, 0, 0, 0]],  # one small band, one empty
    [[40, 30, 20, 5], [15, 10, 10, 5], [8, 8, 5, 0]],  # nothing small
])
@pytest.mark.parametrize("audience", ["partner", "public"])
def test_no_hidden_cell_of_the_chronic_flags_table_can_be_solved(table, audience):
    from ceasefire_analysis.meetings import flagged_by_reviews_cells, meeting_params_from_values

    bands = ["1 review", "2 reviews", "3 or more reviews"]
    frame = pd.DataFrame([[b, *r] for b, r in zip(bands, table)],
                         columns=["flagged_at", "people", "reached", "enrolled", "neither"])
    truth = {"total": int(frame["people"].sum())}
    for b, (people, reached, enrolled, neither) in zip(bands, table):
        truth.update({f"{b}/people": people, f"{b}/reached": reached, f"{b}/enrolled": enrolled,
                      f"{b}/neither": neither, f"{b}/both": reached + enrolled + neither - people})
    _check_relations_hold(truth, chronic_relations(bands))
    params = meeting_params_from_values({"meeting": "coordination", "city": "X", "data_dir": "data/raw/demo",
                                         "meeting_on": "2017-03-09", "audience": audience})
    published, hidden = read_chronic(flagged_by_reviews_cells(frame, truth["total"], params), bands)
    for cell, value in published.items():
        assert truth[cell] == value
    unknowns = {f"{b}/both": truth[f"{b}/both"] for b in bands}
    assert solvable_cells(published, hidden, chronic_relations(bands), unknowns) == []
    assert (hidden == {}) == (table[0][0] == 40)  # hidden exactly when something is small
