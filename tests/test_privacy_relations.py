"""No hidden count can be worked back out from what a partner or public report publishes.

The test states the relations a reader can use between published numbers, reads what the
reports publish (indicators.csv and callin_outcomes.csv as written, and the group sizes
shown on the call-in page), and tries every value a hidden cell could take: a hidden cell is
safe only if at least two values fit everything published. The attacker here is written
independently of the package's own suppression (a plain search, not its integer program).
"""
from __future__ import annotations

import html
import io
import math
import re
from fractions import Fraction

import pandas as pd
import pytest

from ceasefire_analysis.outcomes import GROUPS, OUTCOME_ORDER, breakdown_for_review, group_sizes_text, \
    outcomes_csv
from ceasefire_analysis.formatting import format_share
from ceasefire_analysis.reports import indicators_csv
from ceasefire_analysis.review import open_review

THRESHOLD = 5
SOURCES = ("call_in", "custom_notification", "ceasefire_other", "outreach", "non_ceasefire_other")


# --------------------------------------------------------------------------- the attacker

def values_that_fit(target: str, published: dict[str, int], hidden: dict[str, range | list[int]],
                    relations: list[dict[str, int]], enough: int = 2) -> set[int]:
    """Values of ``target`` consistent with every relation, stopping once ``enough`` are found.

    A plain search over whole numbers: each relation narrows the values its unknown cells can take
    given the others' ranges (repeated until nothing changes), then the cell with the fewest values
    left is tried value by value.
    """
    # each relation as its published part (a constant) and its unknown cells with their coefficient
    prepared = [(sum(coef * published[c] for c, coef in relation.items() if c in published),
                 [(c, coef) for c, coef in relation.items() if c not in published])
                for relation in relations]

    def narrowed(domains: dict[str, list[int]]) -> dict[str, list[int]] | None:
        domains = dict(domains)
        changed = True
        while changed:
            changed = False
            for constant, free in prepared:
                spans = [(coef * domains[c][0], coef * domains[c][-1]) for c, coef in free]
                low = constant + sum(min(a, b) for a, b in spans)
                high = constant + sum(max(a, b) for a, b in spans)
                if low > 0 or high < 0:
                    return None
                for (cell, coef), (a, b) in zip(free, spans):
                    # the others' part lies in [low - own low, high - own high]; the whole must reach 0
                    others_low, others_high = low - min(a, b), high - max(a, b)
                    kept = [v for v in domains[cell] if -others_high <= coef * v <= -others_low]
                    if not kept:
                        return None
                    if len(kept) < len(domains[cell]):
                        domains[cell] = kept
                        changed = True
        return domains

    def feasible(domains: dict[str, list[int]]) -> bool:
        domains = narrowed(domains)
        if domains is None:
            return False
        open_cells = [c for c, values in domains.items() if len(values) > 1]
        if not open_cells:
            return True
        cell = min(open_cells, key=lambda c: len(domains[c]))
        return any(feasible({**domains, cell: [v]}) for v in domains[cell])

    start = narrowed({c: sorted(set(v)) for c, v in hidden.items()})
    found: set[int] = set()
    if start is None:
        return found
    for value in start[target]:
        if feasible({**start, target: [value]}):
            found.add(value)
            if len(found) >= enough:
                break
    return found


def solvable_cells(published: dict[str, int], hidden_labels: dict[str, str], relations: list[dict[str, int]],
                   extra_unknowns: dict[str, int]) -> list[str]:
    """Hidden cells (and small unpublished ones) that only one value fits."""
    ceiling = 2 * max(published.values())
    domains: dict[str, range | list[int]] = {}
    for cell, label in hidden_labels.items():
        # "fewer than 5": 1 to 4; hidden to protect another cell: 0 or 5 and up; "hidden" alone (a row hidden with
        # its band, whatever its own size): any count
        domains[cell] = range(1, THRESHOLD) if label.startswith("fewer than") else range(0, ceiling + 1) \
            if label == "hidden" else [0] + list(range(THRESHOLD, ceiling + 1))
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
                if outcome:  # before 31 Dec 2016, the day partner and public copies of early 2017 read
                    events.append({"participant_id": pid, "occurred_on": "2016-11-20", "event": outcome})
    # the review period: 3 people at call-ins, 9 by custom notification; 2 of the 12 not on the highest-risk list
    for i in range(12):
        comms.append({"participant_id": f"PFN-{200 + i}", "occurred_on": "2017-02-14",
                      "kind": "call_in" if i < 3 else "custom_notification", "highest_risk": "no" if i < 2 else "yes"})
    # an arrest in March 2017 keeps participant_events.csv current (not an old extract) through the review period
    events.append({"participant_id": "PFN-211", "occurred_on": "2017-03-20", "event": "arrest_violent_or_gun"})
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

    def review(audience, period_start="2017-02", period_end="2017-03"):
        return open_review(None, **{"city": "Smallville", "period_start": period_start, "period_end": period_end,
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
    table = pd.read_csv(io.StringIO(indicators_csv(review.indicators, review.params.audience)), keep_default_na=False,
                        dtype=str)
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
    internal = small_city("internal", "2016-11", "2016-12")  # the day partner and public copies read: 31 Dec 2016
    truth, _, _ = read_breakdown(internal, tmp_path / "internal")
    truth.update({f"{g}/size": sum(truth[f"{g}/{o}"] for o in OUTCOME_ORDER) for g in GROUPS})
    assert truth["all/murder_victim"] == 15 and truth["call_in/murder_victim"] == 4  # the issue's example
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


def test_january_cannot_be_worked_out_from_the_year_to_date_and_the_review_period(january_city):
    audience = "public"
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
    # partner copies publish exactly what public ones do, so the search above (the slow part) covers them too
    assert read_indicators(january_city("partner")) == (published, hidden, unknown)


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
    """Everyone flagged = the sum of the bands; in a band, people = reached + enrolled - both + neither, and
    reached (enrolled) = both + reached only (enrolled only)."""
    relations = [{"total": 1, **{f"{b}/people": -1 for b in bands}}]
    for b in bands:
        relations.append({f"{b}/people": 1, f"{b}/reached": -1, f"{b}/enrolled": -1, f"{b}/both": 1,
                          f"{b}/neither": -1})
        relations.append({f"{b}/reached": 1, f"{b}/both": -1, f"{b}/reached_only": -1})
        relations.append({f"{b}/enrolled": 1, f"{b}/both": -1, f"{b}/enrolled_only": -1})
    return relations


@pytest.mark.parametrize("table", [
    [[3, 1, 1, 1], [7, 7, 0, 0], [12, 6, 6, 3]],
    [[30, 20, 10, 8], [9, 6, 3, 2], [6, 6, 6, 0]],  # small 'neither' counts inside shown bands
    [[25, 10, 10, 10], [2, 1, 0, 1], [0, 0, 0, 0]],  # one small band, one empty
    [[40, 30, 20, 5], [15, 10, 10, 5], [8, 8, 8, 0]],  # nothing small (nor any "only" count)
    # reader4 F0 (113 flagged once: 72 reached, 14 enrolled, 39 neither gave 2 enrolled, never reached), in small:
    # every shown count is 5 or more, but 30 - 20 - 8 = 2 people enrolled only
    [[30, 20, 5, 8], [9, 6, 5, 0], [6, 6, 6, 0]],
])
@pytest.mark.parametrize("audience", ["partner", "public"])
def test_no_hidden_cell_of_the_chronic_flags_table_can_be_solved(table, audience):
    from ceasefire_analysis.meetings import flagged_by_reviews_cells, meeting_params_from_values

    bands = ["1 review", "2 reviews", "3 or more reviews"]
    frame = pd.DataFrame([[b, *r] for b, r in zip(bands, table)],
                         columns=["flagged_at", "people", "reached", "enrolled", "neither"])
    truth = {"total": int(frame["people"].sum())}
    for b, (people, reached, enrolled, neither) in zip(bands, table):
        both = reached + enrolled + neither - people
        truth.update({f"{b}/people": people, f"{b}/reached": reached, f"{b}/enrolled": enrolled,
                      f"{b}/neither": neither, f"{b}/both": both, f"{b}/reached_only": reached - both,
                      f"{b}/enrolled_only": enrolled - both})
    _check_relations_hold(truth, chronic_relations(bands))
    params = meeting_params_from_values({"meeting": "coordination", "city": "X", "data_dir": "data/raw/demo",
                                         "meeting_on": "2017-03-09", "audience": audience})
    published, hidden = read_chronic(flagged_by_reviews_cells(frame, truth["total"], params), bands)
    for cell, value in published.items():
        assert truth[cell] == value
    unknowns = {f"{b}/{c}": truth[f"{b}/{c}"] for b in bands for c in ("both", "reached_only", "enrolled_only")}
    assert solvable_cells(published, hidden, chronic_relations(bands), unknowns) == []
    assert (hidden == {}) == (table[0][0] == 40)  # hidden exactly when something is small


# --------------------------------------------------------------------------- follow-up curves (cumulative incidence)

def _cohort_rows(page: str) -> list[tuple[int, int, str, str, str]]:
    """The 'by year of first contact' rows a reader sees: year, cohort size, outcome, incidence, still followed."""
    rows = []
    for year, size, outcome, incidence, followed in re.findall(
            r"<td[^>]*>People first reached in (\d{4}) \(([\d,]+) people\): ([^<]+)</td>\s*<td[^>]*>12 months</td>\s*<td[^>]*>([^<]*)</td>"
            r"\s*<td[^>]*>([^<]*)</td>", page):
        rows.append((int(year), int(size.replace(",", "")), html.unescape(outcome), html.unescape(incidence),
                     html.unescape(followed)))
    return rows


def events_that_fit(size: int, incidence: str, followed: str, outcome: str) -> set[int]:
    """People with the outcome within 12 months that fit a cohort row whose 12 months are all observed.

    With full follow-up the incidence is the count over the cohort's size, and for "Shot or killed" (nothing
    competes with it) the people no longer followed are exactly those shot or killed.
    """
    fits = set(range(size + 1))
    percent = re.match(r"(\d+)%", incidence)
    if percent:
        fits &= {k for k in fits if format_share(k / size) == percent.group(0)}
    if followed.replace(",", "").isdigit():
        still = {int(followed.replace(",", ""))}
    elif re.fullmatch(r"[\d,]+–[\d,]+", followed):
        low, high = (int(x.replace(",", "")) for x in followed.split("–"))
        still = set(range(low, high + 1))
    else:
        still = set(range(0, THRESHOLD)) if followed.startswith("fewer than") else set(range(size + 1))
    if outcome == "Shot or killed":
        fits &= {size - f for f in still}
    else:
        fits &= {k for k in fits if any(k <= size - f for f in still)}
    return fits


def recovered_small_counts(page: str, complete_years: range) -> dict[tuple[int, str], int]:
    """Each cohort row whose count of events (or of people without the event) the page pins to 1..threshold-1."""
    leaks = {}
    for year, size, outcome, incidence, followed in _cohort_rows(page):
        if year not in complete_years:
            continue
        fits = events_that_fit(size, incidence, followed, outcome)
        if len(fits) == 1:
            (k,) = fits
            if 0 < k < THRESHOLD or 0 < size - k < THRESHOLD:
                leaks[(year, outcome)] = k
    return leaks


FOLLOWED_INCIDENTS = [{"incident_id": f"C-{i}", "occurred_on": day, "incident_type": "homicide"}
                      for i, day in enumerate(["2014-01-05", "2017-02-10", "2017-03-31"])]


def _followed_cohorts() -> tuple[list[dict], list[dict]]:
    """2015: 20 people first reached, 1 shot within a year; 2014: 30 reached, 8 arrested within a year."""
    comms, events = [], []
    for i in range(20):
        comms.append({"participant_id": f"PFN-A{i}", "occurred_on": f"2015-03-{10 + i % 9}", "kind": "call_in",
                      "highest_risk": "yes"})
    events.append({"participant_id": "PFN-A0", "occurred_on": "2015-09-19", "event": "shooting_victim"})
    for i in range(30):
        comms.append({"participant_id": f"PFN-B{i}", "occurred_on": f"2014-0{1 + i % 9}-12",
                      "kind": "custom_notification", "highest_risk": "yes"})
        if i < 8:
            events.append({"participant_id": f"PFN-B{i}", "occurred_on": f"2014-1{i % 3}-20",
                           "event": "arrest_violent_or_gun"})
    return comms, events


def test_the_curve_attacker_finds_the_issue_s_leak_in_an_internal_page(make_city):
    """The search recovers 1 person shot in the 2015 cohort from '5% (…) | 19' beside '(20 people)'."""
    from ceasefire_analysis.outcomes import callin_outcomes_report

    comms, events = _followed_cohorts()
    folder = make_city(communications=comms, participant_events=events, incidents=FOLLOWED_INCIDENTS)
    review = open_review(None, city="S", period_start="2017-02", period_end="2017-03", data_dir=str(folder),
                         audience="internal", small_count_threshold=THRESHOLD)
    page = callin_outcomes_report(review).cohort_table.data
    assert recovered_small_counts(page, range(2013, 2016)) == {(2015, "Shot or killed"): 1}


@pytest.mark.parametrize("audience", ["partner", "public"])
def test_no_small_count_follows_from_the_cumulative_incidence_tables(make_city, audience):
    from ceasefire_analysis.outcomes import callin_outcomes_report

    comms, events = _followed_cohorts()
    folder = make_city(communications=comms, participant_events=events, incidents=FOLLOWED_INCIDENTS)
    review = open_review(None, city="S", period_start="2017-02", period_end="2017-03", data_dir=str(folder),
                         audience=audience, small_count_threshold=THRESHOLD)
    report = callin_outcomes_report(review)
    page = report.cohort_table.data
    assert len(_cohort_rows(page)) == 4
    assert recovered_small_counts(page, range(2013, 2016)) == {}
    # what can be shown still is: 8 of 30 arrested within a year of a 2014 contact
    assert re.search(r"People first reached in 2014 \(30 people\): Arrested[^<]*</td>\s*<td[^>]*>12 months</td>\s*<td[^>]*>27%", page)
    for table in (report.curves_table.data, report.cohort_table.data, report.comparison.data):
        assert not re.search(r"<td[^>]*>\d+</td>\s*</tr>", table), "an exact number still followed"


def test_everyone_s_curve_cannot_give_a_hidden_year_back_by_subtraction():
    """Everyone's events at 12 months = the sum over entry years: hiding one small year alone is not enough."""
    from ceasefire_analysis.privacy import protect_cumulative_events

    events = {"all:x": {12: 21}, "y2014:x": {12: 8}, "y2015:x": {12: 1}, "y2016:x": {12: 12}}
    sizes = {"all:x": 90, "y2014:x": 30, "y2015:x": 20, "y2016:x": 40}
    hidden = protect_cumulative_events(events, sizes, THRESHOLD, [("all:x", ["y2014:x", "y2015:x", "y2016:x"])])
    assert ("y2015:x", 12) in hidden and len(hidden) >= 2
    published = {s: p[12] for s, p in events.items() if (s, 12) not in hidden}
    labels = {s: "fewer than 5" if p[12] < THRESHOLD else "hidden" for s, p in events.items() if (s, 12) in hidden}
    relation = [{"all:x": 1, "y2014:x": -1, "y2015:x": -1, "y2016:x": -1}]
    assert solvable_cells(published, labels, relation, {}) == []


def test_public_call_in_page_of_a_small_city_gives_no_small_count_back(tmp_path, monkeypatch):
    """The tester's case, rendered: the demo thinned to one participant in five, as a public page."""
    import shutil

    from ceasefire_analysis.config import DEMO_PARAMS
    from ceasefire_analysis.outcomes import callin_outcomes_report
    from ceasefire_analysis.params import load_params
    from ceasefire_analysis.reports import render_notebook

    monkeypatch.setenv("CEASEFIRE_ID_KEY", "test-key-for-a-thinned-demo-at-least-32-characters")
    data = tmp_path / "data"
    shutil.copytree(load_params(DEMO_PARAMS).data_dir, data)
    (data / "SYNTHETIC_DEMO.sha256").unlink(missing_ok=True)
    comms = pd.read_csv(data / "communications.csv", dtype=str)
    ids = sorted(comms["participant_id"].unique())
    kept = set(ids[::5])
    for name in ("communications", "participant_events", "comparison_group"):
        table = pd.read_csv(data / f"{name}.csv", dtype=str, keep_default_na=False)
        if name == "comparison_group":
            kept_here = set(sorted(table["participant_id"].unique())[::5])
        else:
            kept_here = kept
        table[table["participant_id"].isin(kept_here)].to_csv(data / f"{name}.csv", index=False)
    params = tmp_path / "params.yaml"
    params.write_text('city: Stockton\nperiod_start: "2017-02"\nperiod_end: "2017-03"\ndata_dir: data\n'
                      "audience: public\n")
    internal = callin_outcomes_report(open_review(str(params), audience="internal")).cohort_table.data
    complete = range(2000, 2016)  # entry years whose 12 months all end before 31 Mar 2017
    assert recovered_small_counts(internal, complete), "the thinned city must have a small count to protect"

    staging = tmp_path / "out" / "run__2017-02_2017-03"
    staging.mkdir(parents=True)
    result = render_notebook("callin_outcomes", str(params), str(staging))
    assert result.status == "ok", result.message
    page = (staging / "callin_outcomes.html").read_text(encoding="utf-8")
    assert _cohort_rows(page), "the page shows the cohort table"
    assert recovered_small_counts(page, complete) == {}
    assert "hidden (would reveal a small number)" in page


# --------------------------------------------------------------------------- free text naming a case or a person

def _free_text_city(make_city):
    return make_city(incidents=[{"incident_id": "OPD-17-125592", "occurred_on": "2017-02-15",
                                 "incident_type": "homicide"}],
                     communications=[{"participant_id": "PFN-0012345", "occurred_on": "2017-02-10",
                                      "kind": "call_in", "highest_risk": "yes"}])


@pytest.mark.parametrize("key, value", [
    ("next_steps", ["Follow up OPD-17-125592 with the family."]),
    ("notes", {"homicides": "See case opd-17-125592"}),
    ("previous_next_steps", [{"text": "Reach PFN-0012345 again", "status": "done", "note": ""}]),
])
def test_partner_and_public_runs_refuse_free_text_naming_a_case_or_person(make_city, key, value):
    from ceasefire_analysis.errors import ParamsError
    from ceasefire_analysis.review import open_review

    folder = _free_text_city(make_city)
    base = {"city": "Testville", "period_start": "2017-02", "period_end": "2017-03", "data_dir": str(folder),
            key: value}
    for audience in ("partner", "public"):
        with pytest.raises(ParamsError) as refused:
            open_review(None, **base, audience=audience)
        message = str(refused.value)
        assert f"params key '{key}" in message and "125592" not in message and "0012345" not in message
        assert message.count(". ") == 0  # one sentence
    internal = open_review(None, **base, audience="internal")  # the staff's own report keeps it
    assert internal.params.audience == "internal"
    marked = {k: v for k, v in base.items()}
    marked[key] = (["internal: " + value[0]] if key == "next_steps" else
                   {"homicides": "internal: " + value["homicides"]} if key == "notes" else
                   [{**value[0], "text": "internal: " + value[0]["text"]}])
    assert open_review(None, **marked, audience="public").params.audience == "public"  # internal-only text passes


def test_ordinary_free_text_is_not_taken_for_an_identifier(make_city):
    from ceasefire_analysis.review import open_review

    folder = make_city(incidents=[{"incident_id": "A", "occurred_on": "2017-02-15", "incident_type": "homicide"}])
    review = open_review(None, city="Testville", period_start="2017-02", period_end="2017-03", data_dir=str(folder),
                         audience="public", next_steps=["Plan A: training on 3.17.17 for 2017"])
    assert review.params.next_steps == ("Plan A: training on 3.17.17 for 2017",)


def test_a_partner_pack_refuses_a_partnership_note_naming_a_case(make_city):
    from ceasefire_analysis.errors import ParamsError
    from ceasefire_analysis.meetings import open_meeting

    folder = _free_text_city(make_city)
    values = {"meeting": "coordination", "city": "Testville", "data_dir": str(folder), "meeting_on": "2017-03-09",
              "partnership_notes": ["Family of OPD-17-125592 asks for a contact"]}
    with pytest.raises(ParamsError, match="'partnership_notes'"):
        open_meeting(None, **values, audience="partner")
    assert open_meeting(None, **values, audience="internal").params.audience == "internal"


# --------------------------------------------------------------------------- Worksheet 3: the linked total beside its roles

def _role_parts_that_fit(table: pd.DataFrame, kind: str, window: str) -> dict[str, set[int]]:
    """What the published rows of indicators.csv leave possible for the people of a Worksheet 3 share
    ("reached"/"enrolled" before the shooting), for all people linked, victims and suspects.

    A shown share is read as every whole count that rounds to it over its shown base; a hidden one is
    1-4 ("fewer than 5") or 0 / 5 or more. The relation: linked = victims + suspects - twice, where
    twice (people who were both and are counted in both parts) lies from 0 to the people who were both.
    """
    rows = table[(table["window"] == window) & table["indicator"].str.startswith("known_before_")]
    by = dict(zip(rows["indicator"], rows.to_dict("records")))
    people = {s: int(float(by[f"known_before_people{s}"]["actual"])) for s in ("", "_victims", "_suspects")}
    both = people["_victims"] + people["_suspects"] - people[""]
    domains = {}
    for suffix, base in people.items():
        r = by[f"known_before_{kind}_pct{suffix}"]
        if r["actual"] != "":
            shown = float(r["actual"])
            domains[suffix] = {n for n in range(base + 1) if abs(100 * n / base - shown) < 0.5 + 1e-9}
        elif r["suppressed"] == "small":
            domains[suffix] = set(range(1, THRESHOLD))
        else:
            domains[suffix] = {0} | set(range(THRESHOLD, base + 1))
    fits = {s: set() for s in people}
    for total in domains[""]:
        for victims in domains["_victims"]:
            for suspects in domains["_suspects"]:
                if 0 <= victims + suspects - total <= both:
                    for s, v in (("", total), ("_victims", victims), ("_suspects", suspects)):
                        fits[s].add(v)
    return fits


def _focus_rows_with(total: int, victims: int, suspects: int, enrolled: tuple[int, int, int]) -> pd.DataFrame:
    """Worksheet 3's linked people (all, victims, suspects), each with its share enrolled before the shooting."""
    rows = focus_rows(total, victims, suspects, enrolled)
    rows["indicator"] = rows["indicator"].str.replace("reached", "enrolled")
    rows["unit"] = ["people" if i.startswith("known_before_people") else "percent" for i in rows["indicator"]]
    return rows


@pytest.mark.parametrize("total,victims,suspects,enrolled", [
    (90, 50, 40, (8, 4, 4)),  # the reviewer's demo YTD: 9% of 90 with both roles "fewer than 5"
    (73, 38, 35, (8, 4, 4)),  # the review period
    (60, 35, 30, (6, 2, 4)),  # five people both: the twice-counted people are bounded by them
    (50, 30, 20, (7, 4, 3)),
])
def test_the_linked_share_does_not_give_the_hidden_role_shares_back(total, victims, suspects, enrolled):
    from ceasefire_analysis.focus import protect_people_counts

    rows = protect_people_counts(_focus_rows_with(total, victims, suspects, enrolled), "public", THRESHOLD)
    table = pd.read_csv(io.StringIO(indicators_csv(rows.drop(columns=[c for c in rows if c.startswith("_")]),
                                                   "public")), keep_default_na=False, dtype=str)
    assert set(table.loc[table["indicator"].str.contains("_pct_"), "suppressed"]) == {"small"}
    fits = _role_parts_that_fit(table, "enrolled", "ytd")
    assert enrolled[0] in fits[""] and enrolled[1] in fits["_victims"] and enrolled[2] in fits["_suspects"]
    assert len(fits["_victims"]) >= 2 and len(fits["_suspects"]) >= 2, fits


def test_the_demo_s_public_csv_and_page_do_not_give_the_hidden_enrolled_shares_back():
    from ceasefire_analysis.focus_report import focus_worksheet_html

    review = open_review(None, audience="public")
    table = pd.read_csv(io.StringIO(indicators_csv(review.indicators, "public")), keep_default_na=False, dtype=str)
    for window in ("ytd", "period"):
        rows = table[(table["window"] == window) & table["indicator"].str.startswith("known_before_enrolled")]
        assert set(rows.loc[rows["indicator"] != "known_before_enrolled_pct", "suppressed"]) == {"small"}
        for kind in ("reached", "enrolled"):
            fits = _role_parts_that_fit(table, kind, window)
            for suffix in ("_victims", "_suspects"):
                row = table[(table["window"] == window) & (table["indicator"] == f"known_before_{kind}_pct{suffix}")]
                if row["actual"].iloc[0] == "":
                    assert len(fits[suffix]) >= 2, (kind, window, suffix, fits)
    shares = table[(table["unit"] == "percent") & (table["actual"] != "")]
    assert all(float(v).is_integer() for v in shares["actual"])  # never more precise than the page
    page = focus_worksheet_html(review).data
    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*enrolled in case management before the shooting(?:(?!</tr>).)*</tr>",
                    page, re.S).group(0)
    assert "%" not in row and "hidden" in html.unescape(row), row


# --------------------------------------------------------------------------- Worksheet 3: the year to date beside the review period

ROLES = ("", "_victims", "_suspects")
KINDS = ("reached", "enrolled")


def _fits_share(shown: str, base: int) -> list[int]:
    """Every count of people that a whole percent printed over ``base`` people can stand for (half up)."""
    percent = int(float(shown))
    return [n for n in range(base + 1) if math.floor(Fraction(100 * n, base) + Fraction(1, 2)) == percent]


def read_focus_windows(table: pd.DataFrame) -> tuple[dict[str, int], dict[str, list[int] | range], dict[str, str]]:
    """What a partner or public indicators.csv publishes about Worksheet 3's people linked to shootings, per window:
    the exact counts, the cells a printed share leaves a few values for (each count its rounded percentage fits
    over its shown base), and the hidden cells with their label."""
    exact, rounded, hidden = {}, {}, {}
    rows = {(r["indicator"], r["window"]): r for r in table.to_dict("records") if r["indicator"].startswith("known_")}
    for (indicator, window), r in rows.items():
        cell = f"{indicator}/{window}"
        if r["actual"] == "":
            hidden[cell] = "fewer than 5" if r["suppressed"] == "small" else "hidden"
        elif indicator.startswith("known_before_people"):
            exact[cell] = int(float(r["actual"]))
        else:
            base = rows[(indicator.replace("_reached_pct", "_people").replace("_enrolled_pct", "_people"), window)]
            rounded[cell] = _fits_share(r["actual"], int(float(base["actual"])))
    return exact, rounded, hidden


def focus_window_relations(windows: tuple[str, str] = ("ytd", "period")) -> list[dict[str, int]]:
    """The relations a reader can use between Worksheet 3's two windows.

    In each window: people linked = victims + suspects - the people who were both; a share's people + the rest
    = its base; the linked people reached = victims reached + suspects reached - those counted twice (at most the
    people who were both). Across the windows (the year to date holds the review period): the people linked =
    the review period's + those linked only in the months between, exactly; and, approximately, the same for
    each share's people and its rest (exact unless someone linked in both windows was reached between their
    two shootings, which a reader can take as rare).
    """
    outer, inner = windows
    relations = []
    for w in windows:
        relations.append({f"known_before_people/{w}": 1, f"known_before_people_victims/{w}": -1,
                          f"known_before_people_suspects/{w}": -1, f"both/{w}": 1})
        for kind in KINDS:
            for s in ROLES:
                relations.append({f"known_before_people{s}/{w}": 1, f"known_before_{kind}_pct{s}/{w}": -1,
                                  f"{kind}_rest{s}/{w}": -1})
            relations.append({f"known_before_{kind}_pct/{w}": 1, f"known_before_{kind}_pct_victims/{w}": -1,
                              f"known_before_{kind}_pct_suspects/{w}": -1, f"{kind}_twice/{w}": 1})
            relations.append({f"both/{w}": 1, f"{kind}_twice/{w}": -1, f"{kind}_once/{w}": -1})
    for c in _nested_cells():
        relations.append({f"{c}/{outer}": 1, f"{c}/{inner}": -1, f"{c}/between": -1})
    return relations


def _nested_cells() -> list[str]:
    """Worksheet 3's cells that count people over a window: a role's people, its people reached or enrolled
    before the shooting, and the rest."""
    return [c for s in ROLES for c in [f"known_before_people{s}"] + [f"known_before_{k}_pct{s}" for k in KINDS]
            + [f"{k}_rest{s}" for k in KINDS]]


def focus_window_truth(internal_table: pd.DataFrame, windows: tuple[str, str] = ("ytd", "period")) -> dict[str, int]:
    """Every cell of :func:`focus_window_relations` from the internal report's rows (shares over their base)."""
    rows = {(r["indicator"], r["window"]): r for r in internal_table.to_dict("records")}
    truth = {}
    for w in windows:
        for s in ROLES:
            people = int(rows[(f"known_before_people{s}", w)]["actual"])
            truth[f"known_before_people{s}/{w}"] = people
            for kind in KINDS:
                part = round(float(rows[(f"known_before_{kind}_pct{s}", w)]["actual"]) * people / 100) if people else 0
                truth[f"known_before_{kind}_pct{s}/{w}"] = part
                truth[f"{kind}_rest{s}/{w}"] = people - part
        truth[f"both/{w}"] = sum(truth[f"known_before_people{s}/{w}"] for s in ROLES[1:]) - truth[
            f"known_before_people/{w}"]
        for kind in KINDS:
            truth[f"{kind}_twice/{w}"] = sum(truth[f"known_before_{kind}_pct{s}/{w}"] for s in ROLES[1:]) - truth[
                f"known_before_{kind}_pct/{w}"]
            truth[f"{kind}_once/{w}"] = truth[f"both/{w}"] - truth[f"{kind}_twice/{w}"]
    outer, inner = windows
    for cell in _nested_cells():
        truth[f"{cell}/between"] = truth[f"{cell}/{outer}"] - truth[f"{cell}/{inner}"]
    return truth


def solvable_focus_cells(table: pd.DataFrame, truth: dict[str, int],
                         windows: tuple[str, str] = ("ytd", "period")) -> list[str]:
    """Hidden cells, and small unpublished ones (the months between), that only one value fits."""
    exact, rounded, hidden = read_focus_windows(table)
    for cell, value in exact.items():
        assert truth[cell] == value, cell  # nothing published is wrong
    for cell, fits in rounded.items():
        assert truth[cell] in fits, cell
    ceiling = 2 * max(exact.values())
    domains: dict[str, range | list[int]] = dict(rounded)
    for cell, label in hidden.items():
        domains[cell] = range(1, THRESHOLD) if label.startswith("fewer than") else [0] + list(range(THRESHOLD,
                                                                                                     ceiling + 1))
    relations = focus_window_relations(windows)
    for cell in {c for r in relations for c in r} - exact.keys() - domains.keys():
        domains[cell] = range(0, ceiling + 1)
    targets = list(hidden) + [c for c in domains if c.endswith("/between") and 0 < truth[c] < THRESHOLD]
    return [c for c in targets if len(values_that_fit(c, exact, domains, relations)) < 2]


def _linked_city(make_city, january_suspects: int, january_reached: int):
    """Shootings in January and in February-March 2017, each with its victim and suspect in incident_people.csv.

    February-March: 30 victims (12 reached before), 20 suspects (8 reached). January only: 10 victims (5 reached)
    and ``january_suspects`` suspects, ``january_reached`` of them reached. With 5 and 1 the year to date prints
    25 suspects, 36% reached (9 is the only count that fits); the review period 20, 40% (8): January's 1 suspect
    reached and 4 not follow by subtraction unless something is hidden (the demo's case, 40 and 35)."""
    incidents, links, comms = [], [], []

    def linked(role: str, count: int, reached: int, day: str, tag: str):
        for i in range(count):
            incident = f"C-{tag}{role[0]}{i}"
            incidents.append({"incident_id": incident, "occurred_on": day, "incident_type": "nonfatal_injury_shooting"})
            person = f"PFN-{tag}{role[0]}{i}"
            links.append({"incident_id": incident, "participant_id": person, "role": role})
            if i < reached:
                comms.append({"participant_id": person, "occurred_on": "2016-11-02", "kind": "custom_notification",
                              "highest_risk": "yes"})

    linked("victim", 30, 12, "2017-02-20", "P")
    linked("suspect", 20, 8, "2017-03-07", "P")
    linked("victim", 10, 5, "2017-01-18", "J")
    linked("suspect", january_suspects, january_reached, "2017-01-25", "J")
    folder = make_city(incidents=incidents, incident_people=links, communications=comms)

    def review(audience, period_start="2017-02", period_end="2017-03"):
        return open_review(None, city="Linktown", period_start=period_start, period_end=period_end,
                           data_dir=str(folder), audience=audience, small_count_threshold=THRESHOLD)
    return review


def _csv(review) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(indicators_csv(review.indicators, review.params.audience)), keep_default_na=False,
                       dtype=str)


@pytest.mark.parametrize("january_suspects, january_reached", [(5, 1), (2, 1)])
def test_january_s_suspects_cannot_be_worked_out_from_worksheet_3_s_two_windows(make_city, january_suspects,
                                                                                 january_reached):
    city = _linked_city(make_city, january_suspects, january_reached)
    internal = city("internal")
    truth = focus_window_truth(internal.indicators)
    _check_relations_hold(truth, focus_window_relations())  # true of this city (nobody linked in both windows)
    assert (truth["known_before_people_suspects/between"], truth["known_before_reached_pct_suspects/between"]) == (
        january_suspects, january_reached)
    # the attacker's own check finds the leak when everything is published as the internal page prints it
    everything = internal.indicators.assign(suppressed="")
    leaked = solvable_focus_cells(_csv_of(everything, "public"), truth)
    assert "known_before_reached_pct_suspects/between" in leaked and "reached_rest_suspects/between" in leaked
    public = _csv(city("public"))
    assert solvable_focus_cells(public, truth) == []
    assert public.equals(_csv(city("partner")))  # one rule for both audiences: the search covers the partner copy


def _csv_of(table: pd.DataFrame, audience: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(indicators_csv(table, audience)), keep_default_na=False, dtype=str)


def test_the_demo_s_january_suspects_are_not_given_back_by_worksheet_3_s_two_windows():
    """The reviewer's case: public Feb-Mar 2017, suspects 40 and 35, 25% and 26% reached: January 1 of 5."""
    internal = open_review(None, audience="internal")
    truth = focus_window_truth(internal.indicators)
    _check_relations_hold(truth, focus_window_relations())
    assert (truth["known_before_people_suspects/between"], truth["known_before_reached_pct_suspects/between"]) == (5, 1)
    assert solvable_focus_cells(_csv(open_review(None, audience="public")), truth) == []


def test_a_hidden_share_does_not_read_as_a_small_percentage():
    """'fewer than 5' in a row of percentages beside 'benchmark 75%' reads as 'under 5%' (reader2 R7)."""
    from ceasefire_analysis.focus_report import focus_worksheet_html
    from ceasefire_analysis.tables import suppressed_text

    share = pd.Series({"unit": "percent", "suppressed": "small"})
    assert suppressed_text(share, 5) == "hidden (fewer than 5 people behind it)"
    assert suppressed_text(share.replace("percent", "people"), 5) == "fewer than 5"
    page = html.unescape(focus_worksheet_html(open_review(None, audience="public")).data)
    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*these victims, enrolled before they were shot(?:(?!</tr>).)*</tr>",
                    page, re.S).group(0)
    assert "hidden (fewer than 5 people behind it)" in row
    assert not re.search(r"(?<!hidden \()fewer than 5", row), row


@pytest.mark.parametrize("within", [10, 3, 12])
def test_the_chronic_flags_total_does_not_give_away_the_people_flagged_before_the_last_meeting(within):
    """The coordination pack prints the people flagged since the last meeting and, in the chronic table, those of
    the last 365 days: 12 and 10 would say that 2 were flagged only before the last meeting."""
    from ceasefire_analysis.meetings import flagged_by_reviews_cells, meeting_params_from_values

    bands = ["1 review", "2 reviews", "3 or more reviews"]
    table = [[12, 6, 6, 5], [0, 0, 0, 0], [0, 0, 0, 0]]
    frame = pd.DataFrame([[b, *r] for b, r in zip(bands, table)],
                         columns=["flagged_at", "people", "reached", "enrolled", "neither"])
    truth = {"total": 12, "within": within, "earlier": 12 - within, "1 review/both": 5,
             **{f"{b}/both": 0 for b in bands[1:]}}
    for b, (people, reached, enrolled, neither) in zip(bands, table):
        truth.update({f"{b}/people": people, f"{b}/reached": reached, f"{b}/enrolled": enrolled,
                      f"{b}/neither": neither})
    relations = chronic_relations(bands) + [{"total": 1, "within": -1, "earlier": -1}]
    _check_relations_hold(truth, relations)
    params = meeting_params_from_values({"meeting": "coordination", "city": "X", "data_dir": "data/raw/demo",
                                         "meeting_on": "2017-03-09", "audience": "public"})
    shown = flagged_by_reviews_cells(frame, 12, params, within)
    published, hidden = read_chronic({c: v for c, v in shown.items() if c != "within"}, bands)
    if within >= THRESHOLD:
        published["within"] = within  # printed as it is by the pack's 'since the last meeting' block
    else:
        hidden["within"] = "fewer than 5"
    for cell, value in published.items():
        assert truth[cell] == value
    unknowns = {"earlier": truth["earlier"], **{f"{b}/both": truth[f"{b}/both"] for b in bands}}
    assert solvable_cells(published, hidden, relations, unknowns) == []
    assert ("total" in hidden) == (within == 10)  # 12 is shown when nothing small follows from it


# --------------------------------------------------------------------------- across reports: earlier years to date

def test_earlier_reports_are_those_of_the_same_cadence_in_the_same_year():
    from ceasefire_analysis.periods import Month, Window
    from ceasefire_analysis.privacy import earlier_report_windows

    def ends(first: tuple[int, int], last: tuple[int, int]) -> list[str]:
        windows = earlier_report_windows(Window(Month(*first), Month(*last)))
        assert all(w.first == Month(last[0], 1) for w in windows)  # each from 1 January of the review's year
        return [str(w.last) for w in windows]

    assert ends((2016, 5), (2016, 6)) == ["2016-04", "2016-02"]
    assert ends((2017, 2), (2017, 3)) == ["2017-01"]  # the Dec-Jan report's year to date is January
    assert ends((2016, 12), (2017, 1)) == []  # January alone: no earlier report of 2017
    assert ends((2016, 10), (2016, 12)) == ["2016-09", "2016-06", "2016-03"]
    assert ends((2016, 12), (2016, 12)) == [f"2016-{m:02d}" for m in range(11, 0, -1)]
    assert ends((2016, 1), (2016, 12)) == []


def _series_city(make_city, comms_by_window: dict[str, list[tuple[str, str]]],
                 enrolments_by_window: dict[str, list[str]], year: int = 2016):
    """A city whose people are reached (``(kind, highest_risk)`` each) and enrolled (``opd_highest_risk`` each)
    on the 15th of the first month of each window named ``"MM"``; a review by ``(period_start, period_end)``."""
    comms, cases = [], []
    for month, people in comms_by_window.items():
        for i, (kind, highest) in enumerate(people):
            comms.append({"participant_id": f"PFN-{month}-{i}", "occurred_on": f"{year}-{month}-15", "kind": kind,
                          "highest_risk": highest})
    for month, flags in enrolments_by_window.items():
        for i, flagged in enumerate(flags):
            cases.append({"participant_id": f"PFN-E{month}-{i}", "enrolled_on": f"{year}-{month}-16",
                          "exited_on": "", "referral_source": "outreach", "opd_highest_risk": flagged})
    incidents = [{"incident_id": f"C-{i}", "occurred_on": day, "incident_type": "homicide"}
                 for i, day in enumerate([f"{year - 1}-01-05", f"{year}-06-20"])]
    folder = make_city(communications=comms, case_management=cases, incidents=incidents)

    def review(audience, period_start, period_end):
        return open_review(None, city="Seriesville", period_start=period_start, period_end=period_end,
                           data_dir=str(folder), audience=audience, small_count_threshold=THRESHOLD)
    return review


def across_relations(later: str, earlier: str) -> list[dict[str, int]]:
    """Each report's own relations, and: the later year to date = the earlier one + the people counted since."""
    relations = []
    for label in (later, earlier):
        for r in worksheet_relations() + nesting_relations():
            relations.append({f"{label}:{c}": coef for c, coef in r.items()})
    for c in NESTED:
        relations.append({f"{later}:{c}/ytd": 1, f"{earlier}:{c}/ytd": -1, f"{c}/since_{earlier}": -1})
    return relations


def _reports_as_read(city, reports: dict[str, tuple[str, str]], audience: str):
    """The cells a reader of all the ``reports`` holds (prefixed by label), and the true values of every cell."""
    published, hidden, truth, unknown = {}, {}, {}, {}
    for label, (start, end) in reports.items():
        internal = city("internal", start, end)
        shown, concealed, rest = read_indicators(city(audience, start, end))
        true, _, _ = read_indicators(internal)
        true.update(_true_rest(internal))
        true.update(_true_earlier(true))
        truth.update({f"{label}:{c}": v for c, v in true.items()})
        published.update({f"{label}:{c}": v for c, v in shown.items()})
        hidden.update({f"{label}:{c}": v for c, v in concealed.items()})
        unknown.update({f"{label}:{c}": None for c in list(rest) + [f"{c}/earlier" for c in NESTED]})
    for cell, value in published.items():
        assert truth[cell] == value, cell  # nothing published is wrong
    return published, hidden, truth, unknown


@pytest.fixture
def bimonthly_city(make_city):
    """Jan-Feb 2016: 10 reached (3 at call-ins), 2 of them not on the highest-risk list; Mar-Apr: 10 (3 call-ins);
    May-Jun: 1, at a call-in. Enrolments: 12 in Mar-Apr (6 flagged highest risk), 7 in May-Jun (5 flagged)."""
    comms = {"01": [("call_in", "yes")] * 3 + [("custom_notification", "yes")] * 5
             + [("custom_notification", "no")] * 2,
             "03": [("call_in", "yes")] * 3 + [("custom_notification", "yes")] * 7,
             "05": [("call_in", "yes")]}
    enrolments = {"03": ["yes"] * 6 + ["no"] * 6, "05": ["yes"] * 5 + ["no"] * 2}
    return _series_city(make_city, comms, enrolments)


def test_a_bimonthly_series_does_not_give_the_later_period_back(bimonthly_city):
    """The tester's A14: "People reached 21 (Jan-Jun)" beside the Mar-Apr report's "20 (Jan-Apr)" is May-Jun's 1."""
    city = bimonthly_city
    truth, _, _ = read_indicators(city("internal", "2016-05", "2016-06"))
    before, _, _ = read_indicators(city("internal", "2016-03", "2016-04"))
    assert (truth["direct_communications/ytd"], before["direct_communications/ytd"]) == (21, 20)
    assert (truth["call_ins/ytd"], before["call_ins/ytd"]) == (7, 6)
    later = city("public", "2016-05", "2016-06").indicators.set_index(["indicator", "window"])["suppressed"]
    assert later["direct_communications", "period"] == "small"
    assert later["direct_communications", "ytd"] == "complementary"  # it was published as 21 before
    assert later["call_ins", "ytd"] == "complementary"

    reports = {"mar": ("2016-03", "2016-04"), "may": ("2016-05", "2016-06")}
    published, hidden, truth, unknown = _reports_as_read(city, reports, "public")
    relations = across_relations("may", "mar")
    since = {f"{c}/since_mar": truth[f"may:{c}/ytd"] - truth[f"mar:{c}/ytd"] for c in NESTED}
    assert since["direct_communications/since_mar"] == 1 and since["not_flagged/since_mar"] == 2
    _check_relations_hold({**truth, **since}, relations)
    unknowns = {c: truth[c] for c in unknown} | since
    # the attacker finds the leak when the later report publishes its year to date as the internal one does
    everything = dict(published, **{c: truth[c] for c in ("may:direct_communications/ytd", "may:call_ins/ytd")})
    leaked = solvable_cells(everything, {c: v for c, v in hidden.items() if c not in everything}, relations, unknowns)
    assert "direct_communications/since_mar" in leaked
    assert solvable_cells(published, hidden, relations, unknowns) == []


def test_after_a_december_january_report_the_february_march_year_to_date_is_hidden(make_city):
    """The Dec-Jan report's year to date is January: 10 reached; Feb-Mar's is January-March: 11, so 1 since."""
    comms = {"01": [("call_in", "yes")] * 5 + [("custom_notification", "yes")] * 5,
             "02": [("custom_notification", "yes")]}
    city = _series_city(make_city, comms, {"01": ["yes"] * 6}, year=2017)
    assert read_indicators(city("public", "2016-12", "2017-01"))[0]["direct_communications/ytd"] == 10
    later = city("public", "2017-02", "2017-03").indicators.set_index(["indicator", "window"])["suppressed"]
    assert later["direct_communications", "ytd"] == "complementary"
    assert later["custom_notifications", "ytd"] == "complementary"
    assert later["case_management_new", "ytd"] == ""  # no enrolment since January: nothing to protect there

    reports = {"dec": ("2016-12", "2017-01"), "feb": ("2017-02", "2017-03")}
    published, hidden, truth, unknown = _reports_as_read(city, reports, "public")
    relations = [r for r in across_relations("feb", "dec") if not any(c.startswith("dec:") and c.endswith(
        ("/earlier", "/period")) for c in r)]  # Dec-Jan's period holds its year to date: not the nesting above
    since = {f"{c}/since_dec": truth[f"feb:{c}/ytd"] - truth[f"dec:{c}/ytd"] for c in NESTED}
    _check_relations_hold({**truth, **since}, relations)
    assert solvable_cells(published, hidden, relations, {c: truth[c] for c in unknown} | since) == []


def test_nothing_more_is_hidden_when_every_difference_is_zero_or_large(make_city):
    comms = {"01": [("call_in", "yes")] * 5 + [("custom_notification", "yes")] * 5,
             "05": [("call_in", "yes")] * 5 + [("custom_notification", "yes")] * 6}
    city = _series_city(make_city, comms, {"01": ["yes"] * 5, "05": ["yes"] * 7})
    table = city("public", "2016-05", "2016-06").indicators
    people = table[table["indicator"].isin(["direct_communications", "call_ins", "custom_notifications",
                                            "case_management_new", "direct_communications_highest_risk_pct",
                                            "case_management_opd_highest_risk_pct"])]
    assert len(people) == 12 and (people["suppressed"] == "").all(), people[["indicator", "window", "suppressed"]]
    assert people.set_index(["indicator", "window"]).loc[("direct_communications", "ytd"), "actual"] == 21


@pytest.mark.parametrize("earlier, hidden_now", [
    ((39, 24, 15, (20, 12, 8)), True),  # one victim linked to a shooting since the earlier report
    ((30, 20, 10, (13, 8, 5)), True),  # 4 victims and 3 suspects reached before their shooting since
    ((35, 20, 15, (15, 7, 8)), False),  # 5, 5 and 0 since: nothing small
])
def test_worksheet_3_s_year_to_date_is_protected_against_an_earlier_report_s(earlier, hidden_now):
    from ceasefire_analysis.focus import protect_people_counts

    now = (40, 25, 15, (20, 12, 8))
    rows = focus_rows(*now)
    out = protect_people_counts(rows, "public", THRESHOLD, {"2017-01": focus_rows(*earlier)})
    assert (out["suppressed"] != "").any() == hidden_now
    assert (protect_people_counts(rows, "public", THRESHOLD)["suppressed"] == "").all()  # alone, nothing is small

    def cells(numbers):
        total, victims, suspects, reached = numbers
        cell = {"known_before_people": total, "known_before_people_victims": victims,
                "known_before_people_suspects": suspects, "both": victims + suspects - total}
        for suffix, part, people in zip(("", "_victims", "_suspects"), reached, (total, victims, suspects)):
            cell[f"known_before_reached_pct{suffix}"], cell[f"rest{suffix}"] = part, people - part
        return cell

    truth = {f"now:{c}": v for c, v in cells(now).items()} | {f"then:{c}": v for c, v in cells(earlier).items()}
    relations = [{f"{label}:{c}": coef for c, coef in r.items()} for label in ("now", "then") for r in focus_relations()]
    for c in cells(now):
        truth[f"{c}/since"] = truth[f"now:{c}"] - truth[f"then:{c}"]
        relations.append({f"now:{c}": 1, f"then:{c}": -1, f"{c}/since": -1})
    _check_relations_hold(truth, relations)
    published, hidden = read_focus(out)
    published = {f"now:{c}": v for c, v in published.items()}
    hidden = {f"now:{c}": v for c, v in hidden.items()}
    published.update({f"then:{c}": v for c, v in cells(earlier).items() if not c.startswith(("both", "rest"))})
    unknowns = {c: v for c, v in truth.items() if c.endswith("/since") or c.split(":")[-1].startswith(("both", "rest"))}
    assert solvable_cells(published, hidden, relations, unknowns) == []
