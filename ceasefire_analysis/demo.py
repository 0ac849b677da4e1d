"""The seeded generator of the synthetic demo city (``data/raw/demo/``).

The demo is shaped like Oakland, 2014-01-01 to 2017-03-31 (direct communications
from 2013), so that ``params/2017-02_2017-03.yaml`` reproduces every number in the
seed deck's Feb–Mar 2017 worksheets. Numbers that the seed pins are set exactly
(see ``PINNED_MONTHS`` and the 2017 blocks below); everything else is drawn from a
seeded random generator. Annual totals for 2014–2016 follow the published figures:
homicides from FBI UCR (80, 85, 85; historical_sources.md [K1]) and non-fatal injury
shootings from press reports citing OPD (411, 341, 331; [N25], [N26], [N8]).

Every person and case number here is invented. Identifiers are shaped like police
personal-file numbers (``PFN-0123456``) so that pseudonymisation is exercised, but
they belong to no one.

Run ``python -m ceasefire_analysis.demo data/raw/demo`` (or ``make demo-data``).
"""
from __future__ import annotations

import calendar
import csv
import datetime as dt
import sys
from pathlib import Path

import numpy as np

from .config import DEMO_MARKER, demo_marker_text

SEED = 20170331
FIRST_DAY = dt.date(2014, 1, 1)
LAST_DAY = dt.date(2017, 3, 31)

ANNUAL_TOTALS = {
    "homicide": {2014: 80, 2015: 85, 2016: 85},
    "nonfatal_injury_shooting": {2014: 411, 2015: 341, 2016: 331},
}
# January-March counts chosen so that YTD, Feb-Mar, prior-year and three-year
# averages equal the seed worksheet (e.g. homicide YTD averages (22+20+12)/3 = 18).
PINNED_MONTHS = {
    "homicide": {
        2014: (9, 6, 7), 2015: (8, 5, 7), 2016: (1, 5, 6), 2017: (2, 7, 7),
    },
    "nonfatal_injury_shooting": {
        2014: (36, 27, 26), 2015: (34, 22, 23), 2016: (20, 25, 27), 2017: (18, 21, 24),
    },
}
# Violence in Oakland peaks in summer; weights for months April-December.
SEASONAL_WEIGHTS = np.array([1.0, 1.05, 1.1, 1.2, 1.2, 1.1, 1.0, 0.95, 1.0])
AREAS = ["Area 1", "Area 2", "Area 3", "Area 4", "Area 5"]
AREA_WEIGHTS = np.array([0.12, 0.14, 0.16, 0.26, 0.32])
GROUPS = [f"Group {chr(65 + i)}{chr(65 + j)}" for i in range(3) for j in range(8)]


def _random_day(rng: np.random.Generator, year: int, month: int, last: dt.date = LAST_DAY) -> dt.date:
    days = calendar.monthrange(year, month)[1]
    day = dt.date(year, month, int(rng.integers(1, days + 1)))
    return min(day, last)


def _monthly_counts(rng: np.random.Generator, kind: str) -> dict[tuple[int, int], int]:
    counts: dict[tuple[int, int], int] = {}
    for year, pinned in PINNED_MONTHS[kind].items():
        for i, n in enumerate(pinned):
            counts[(year, i + 1)] = n
        if year in ANNUAL_TOTALS[kind]:
            rest = ANNUAL_TOTALS[kind][year] - sum(pinned)
            split = rng.multinomial(rest, SEASONAL_WEIGHTS / SEASONAL_WEIGHTS.sum())
            for i, n in enumerate(split):
                counts[(year, i + 4)] = int(n)
    return counts


def _next_tuesday(day: dt.date) -> dt.date:
    ahead = (1 - day.weekday()) % 7 or 7
    return day + dt.timedelta(days=ahead)


def make_incidents(rng: np.random.Generator) -> list[dict]:
    """Victim rows for homicides and injury shootings; one row per non-injury incident."""
    rows: list[dict] = []
    serial = 0

    def case_number(day: dt.date) -> str:
        nonlocal serial
        serial += 1
        return f"OPD-{day:%y}-{100000 + serial * 7 % 900000:06d}"

    def extras(day: dt.date) -> dict:
        reviewed = _next_tuesday(day)
        return {
            "area": AREAS[int(rng.choice(len(AREAS), p=AREA_WEIGHTS))],
            "group": GROUPS[int(rng.integers(len(GROUPS)))] if rng.random() < 0.45 else "",
            "reviewed_on": reviewed.isoformat() if reviewed <= LAST_DAY else "",
        }

    for kind in ("homicide", "nonfatal_injury_shooting"):
        for (year, month), n in sorted(_monthly_counts(rng, kind).items()):
            remaining = n
            while remaining > 0:
                day = _random_day(rng, year, month)
                incident = {"incident_id": case_number(day), "occurred_on": day.isoformat(),
                            "incident_type": kind, **extras(day)}
                # About one incident in eight wounds or kills two people: two rows, one case number.
                victims = 2 if remaining >= 2 and rng.random() < 0.12 else 1
                rows.extend(dict(incident) for _ in range(victims))
                remaining -= victims
    year, month = FIRST_DAY.year, FIRST_DAY.month
    while dt.date(year, month, 1) <= LAST_DAY:
        for _ in range(int(rng.poisson(70 if month in (5, 6, 7, 8, 9) else 58))):
            day = _random_day(rng, year, month)
            rows.append({"incident_id": case_number(day), "occurred_on": day.isoformat(),
                         "incident_type": "non_injury_shooting", **extras(day)})
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    rows.sort(key=lambda r: (r["occurred_on"], r["incident_id"], r["incident_type"]))
    return rows


class _People:
    """Invented personal-file numbers, never repeated."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.used: set[str] = set()

    def new(self) -> str:
        while True:
            pid = f"PFN-{int(self.rng.integers(100000, 9999999)):07d}"
            if pid not in self.used:
                self.used.add(pid)
                return pid


def make_communications(rng: np.random.Generator, people: _People) -> list[dict]:
    """Call-ins (a few sessions a year) and custom notifications, 2013 to March 2017."""
    rows: list[dict] = []

    def contact(pid: str, day: dt.date, kind: str, vhr: bool) -> None:
        rows.append({"participant_id": pid, "occurred_on": day.isoformat(), "kind": kind,
                     "highest_risk": "yes" if vhr else "no"})

    for year in (2013, 2014, 2015, 2016):
        for month in (2, 5, 8, 11):  # quarterly call-ins
            day = dt.date(year, month, 14 + int(rng.integers(0, 10)))
            for _ in range(int(rng.integers(10, 21))):
                contact(people.new(), day, "call_in", rng.random() < 0.85)
        for month in range(1, 13):
            for _ in range(int(rng.poisson(4 if year == 2013 else 6))):
                contact(people.new(), _random_day(rng, year, month), "custom_notification", rng.random() < 0.88)

    # 2017, pinned to the seed: call-ins 14 people (all Feb-Mar); custom notifications 22
    # people in January and 37 different people in Feb-Mar, three of them notified twice;
    # 68 of the 73 people on the very-high-risk list.
    vhr_flags = iter([True] * 68 + [False] * 5)
    for day, n in ((dt.date(2017, 2, 16), 7), (dt.date(2017, 3, 23), 7)):
        for _ in range(n):
            contact(people.new(), day, "call_in", next(vhr_flags))
    for month, n in ((1, 22), (2, 18), (3, 19)):
        for i in range(n):
            pid, vhr = people.new(), next(vhr_flags)
            contact(pid, _random_day(rng, 2017, month), "custom_notification", vhr)
            if month == 2 and i < 3:
                # Notified again in March: still one person in the count.
                contact(pid, dt.date(2017, 3, 1) + dt.timedelta(days=int(rng.integers(0, 20))),
                        "custom_notification", vhr)
    rows.sort(key=lambda r: (r["occurred_on"], r["participant_id"]))
    return rows


def make_case_management(rng: np.random.Generator, people: _People, communications: list[dict]) -> list[dict]:
    """Enrolments: exited ones from 2014, 129 still active from before 2017, 54 new in 2017."""
    rows: list[dict] = []
    reached_2017 = {k: [r["participant_id"] for r in communications
                        if r["occurred_on"].startswith("2017") and r["kind"] == k]
                    for k in ("call_in", "custom_notification")}

    def enrol(pid: str, day: dt.date, source: str, opd: bool, exit_day: dt.date | None = None) -> None:
        rows.append({"participant_id": pid, "enrolled_on": day.isoformat(),
                     "exited_on": exit_day.isoformat() if exit_day else "",
                     "referral_source": source, "opd_highest_risk": "Y" if opd else "N"})

    def pick_day(start: dt.date, end: dt.date) -> dt.date:
        return start + dt.timedelta(days=int(rng.integers(0, (end - start).days + 1)))

    sources = ["call_in", "custom_notification", "ceasefire_other", "outreach", "non_ceasefire_other"]
    weights = np.array([0.2, 0.07, 0.08, 0.2, 0.45])
    for _ in range(260):  # closed enrolments
        start = pick_day(dt.date(2014, 1, 1), dt.date(2016, 9, 30))
        stop = start + dt.timedelta(days=int(rng.integers(60, 400)))
        stop = min(stop, dt.date(2017, 3, 30))
        enrol(people.new(), start, sources[int(rng.choice(5, p=weights))], rng.random() < 0.3, stop)
    # Exited on the last day of the period: not active at its end (a tie on the boundary).
    enrol(people.new(), dt.date(2016, 5, 10), "outreach", False, dt.date(2017, 3, 31))
    for source, n in zip(sources, (28, 5, 10, 25, 61)):
        for _ in range(n):
            enrol(people.new(), pick_day(dt.date(2015, 6, 1), dt.date(2016, 12, 31)), source, rng.random() < 0.3)

    # 2017: 5 in January (1 flagged by police as highest risk), 49 in Feb-Mar (14 flagged).
    new_2017 = ["call_in"] * 10 + ["custom_notification"] * 8 + ["ceasefire_other"] * 4 + \
               ["outreach"] * 10 + ["non_ceasefire_other"] * 22
    order = rng.permutation(len(new_2017))
    january = set(order[:5].tolist())
    flagged = set(order[:1].tolist()) | set(order[5:19].tolist())
    pools = {k: list(v) for k, v in reached_2017.items()}
    for i, source in enumerate(new_2017):
        if i in january:
            day = pick_day(dt.date(2017, 1, 1), dt.date(2017, 1, 31))
        else:
            day = pick_day(dt.date(2017, 2, 1), dt.date(2017, 3, 31))
        pool = pools.get(source)
        pid = pool.pop() if pool else people.new()
        enrol(pid, day, source, i in flagged)
    rows.sort(key=lambda r: (r["enrolled_on"], r["participant_id"]))
    return rows


def make_staffing() -> list[dict]:
    """Three snapshots; the one dated on the period's last day gives the seed's percentages."""
    units = [("CRT Ceasefire", "ceasefire", 25), ("SIU East", "siu", 8), ("SIU West", "siu", 8),
             ("Gang Unit", "gang", 8)] + [(f"CRT {a}", "area", 12) for a in AREAS]
    filled = {
        "2016-06-30": [23, 7, 8, 8, 12, 11, 10, 12, 12],
        "2016-12-31": [21, 6, 7, 6, 11, 10, 11, 10, 12],
        "2017-03-31": [22, 6, 6, 7, 11, 11, 11, 11, 11],
    }
    return [{"as_of": as_of, "unit": name, "unit_group": group, "authorized": auth, "filled": f}
            for as_of, values in filled.items() for (name, group, auth), f in zip(units, values)]


def make_enforcement_actions(rng: np.random.Generator) -> list[dict]:
    rows = []
    day = dt.date(2016, 1, 1)
    while day <= LAST_DAY:
        for group, rate, share in (("area", 3.0, 0.55), ("ceasefire", 1.2, 0.93), ("siu", 0.6, 0.9),
                                   ("gang", 0.8, 0.92)):
            for _ in range(int(rng.poisson(rate))):
                rows.append({"occurred_on": day.isoformat(), "unit_group": group,
                             "vhr_target": "true" if rng.random() < share else "false"})
        day += dt.timedelta(days=1)
    return rows


def make_meetings(rng: np.random.Generator) -> list[dict]:
    rows = []

    def meeting(kind: str, day: dt.date, held=True, opd=True, hsd=True, risk=True) -> None:
        rows.append({"meeting_id": f"{kind[:3].upper()}-{day:%Y%m%d}", "scheduled_on": day.isoformat(),
                     "kind": kind, "held": str(held).lower(), "opd_lead_present": str(opd).lower(),
                     "hsd_lead_present": str(hsd).lower(), "risk_focus": str(risk).lower()})

    day = dt.date(2016, 1, 5)  # a Tuesday
    while day <= LAST_DAY:
        meeting("shooting_review", day, held=day != dt.date(2016, 12, 27), hsd=False, risk=True)
        day += dt.timedelta(days=7)
    for year, month in [(2016, m) for m in range(1, 13)]:
        for day in (dt.date(year, month, 9), dt.date(year, month, 23)):
            meeting("coordination", day, held=rng.random() < 0.9, opd=True, hsd=rng.random() < 0.85,
                    risk=rng.random() < 0.7)
    # 2017, pinned: 6 scheduled, 5 held (early February cancelled for the NNSC workshop);
    # the second January meeting lacked the human-services lead.
    meeting("coordination", dt.date(2017, 1, 12))
    meeting("coordination", dt.date(2017, 1, 26), hsd=False)
    meeting("coordination", dt.date(2017, 2, 9), held=False, opd=False, hsd=False, risk=False)
    meeting("coordination", dt.date(2017, 2, 23))
    meeting("coordination", dt.date(2017, 3, 9))
    meeting("coordination", dt.date(2017, 3, 23))
    for year, month in [(2016, 1), (2016, 3), (2016, 5), (2016, 7), (2016, 9), (2016, 11), (2017, 1), (2017, 3)]:
        meeting("performance_review", dt.date(year, month, 28), hsd=True)
    rows.sort(key=lambda r: (r["scheduled_on"], r["meeting_id"]))
    return rows


# Monthly hazards after a first direct communication; the scale follows published
# evaluations (e.g. Chicago VRS, Oakland Unite: violent-arrest risk of a few percent a
# quarter), not any target.
EVENT_HAZARDS = {
    "arrest_violent_or_gun": 0.012,
    "suspect_violent_not_arrested": 0.005,
    "shooting_victim": 0.004,
    "murder_victim": 0.0012,
}


def make_comparison_group(rng: np.random.Generator, people: _People) -> list[dict]:
    """People identified as very high risk at shooting reviews but not reached, 2014-2016."""
    rows = []
    for _ in range(180):
        start = dt.date(2014, 1, 1) + dt.timedelta(days=int(rng.integers(0, 3 * 365)))
        rows.append({"participant_id": people.new(), "identified_on": start.isoformat()})
    rows.sort(key=lambda r: (r["identified_on"], r["participant_id"]))
    return rows


def make_participant_events(rng: np.random.Generator, communications: list[dict],
                            comparison: list[dict]) -> list[dict]:
    first_contact: dict[str, dt.date] = {}
    for r in communications:
        day = dt.date.fromisoformat(r["occurred_on"])
        first_contact[r["participant_id"]] = min(day, first_contact.get(r["participant_id"], day))
    for r in comparison:
        first_contact[r["participant_id"]] = dt.date.fromisoformat(r["identified_on"])
    rows = []
    for pid, start in sorted(first_contact.items()):
        months = max(0, (LAST_DAY - start).days // 30)
        killed = False
        for m in range(1, months + 1):
            for event, hazard in EVENT_HAZARDS.items():
                if not killed and rng.random() < hazard:
                    day = start + dt.timedelta(days=30 * (m - 1) + int(rng.integers(1, 30)))
                    if day <= LAST_DAY:
                        rows.append({"participant_id": pid, "occurred_on": day.isoformat(), "event": event})
                        killed = event == "murder_victim"
    rows.sort(key=lambda r: (r["occurred_on"], r["participant_id"], r["event"]))
    return rows


OWNERS = ["OPD Ceasefire section", "OPD Criminal Investigation", "Oakland Unite case management",
          "Street outreach partner", "Hospital responders", "Probation"]
TASK_TEXT = ["Identify and locate people tied to the shooting", "Custom notification to associate",
             "Hospital visit and family support", "Conflict mediation between groups",
             "Check probation status and conditions", "Life-coach follow-up on referral"]


def make_tasks_and_flags(incidents: list[dict], meetings: list[dict], people: _People,
                         seed: int, communications: list[dict] = ()) -> tuple[list[dict], list[dict]]:
    """Deliverables assigned at shooting reviews and coordination meetings, and people flagged at reviews.

    Some people are flagged again at a later review, and some flagged people were already reached by
    a direct communication, so the coordination pack's "flagged over time" table has something to show.
    The choice is by position, not by a random draw, so the task rows stay as they were.
    """
    rng = np.random.default_rng(seed + 1)  # a stream of its own: the other tables stay as they were
    by_review: dict[str, list[dict]] = {}
    for r in incidents:
        if r["reviewed_on"] and r["incident_type"] != "non_injury_shooting":
            by_review.setdefault(r["reviewed_on"], []).append(r)
    tasks, flags = [], []
    serial = 0
    held = [m for m in meetings if m["held"] == "true" and m["kind"] in ("shooting_review", "coordination")
            and m["scheduled_on"] >= "2016-01-01"]
    for meeting in held:
        day = dt.date.fromisoformat(meeting["scheduled_on"])
        reviewed = by_review.get(meeting["scheduled_on"], []) if meeting["kind"] == "shooting_review" else []
        for _ in range(int(rng.integers(1, 4))):
            serial += 1
            due = day + dt.timedelta(days=int(rng.integers(5, 22)))
            late = rng.random() < 0.25
            done = due + dt.timedelta(days=int(rng.integers(1, 15))) if late else \
                day + dt.timedelta(days=int(rng.integers(1, (due - day).days + 1)))
            if rng.random() < 0.08:  # a few deliverables drag on for months
                done = due + dt.timedelta(days=int(rng.integers(30, 150)))
            if done > LAST_DAY:
                done = None
            incident = reviewed[int(rng.integers(len(reviewed)))]["incident_id"] if reviewed else ""
            tasks.append({"task_id": f"T-{serial:05d}", "assigned_on": day.isoformat(), "due_on": due.isoformat(),
                          "completed_on": done.isoformat() if done else "",
                          "owner": OWNERS[int(rng.integers(len(OWNERS)))], "meeting": meeting["kind"],
                          "incident_id": incident, "description": TASK_TEXT[int(rng.integers(len(TASK_TEXT)))]})
        if meeting["kind"] == "shooting_review":
            groups = [r["group"] for r in reviewed if r["group"]] or [""]
            reached_before = [c["participant_id"] for c in communications if c["occurred_on"] < day.isoformat()]
            for _ in range(int(rng.integers(0, 4))):
                k = len(flags)
                if k % 4 == 3 and k >= 6:  # flagged again: a person flagged at an earlier review (at most 3 a review)
                    pid = flags[k - 4 if k % 3 == 0 else k - 6]["participant_id"]
                elif k % 5 == 1 and reached_before:  # someone the partnership has already reached
                    pid = reached_before[-1 - (k % min(40, len(reached_before)))]
                else:
                    pid = people.new()
                flags.append({"participant_id": pid, "flagged_on": day.isoformat(),
                              "group": groups[int(rng.integers(len(groups)))]})
    return tasks, flags


def _pick(rng: np.random.Generator, pool: list[str]) -> str | None:
    return pool[int(rng.integers(len(pool)))] if pool else None


def make_focus_records(incidents: list[dict], communications: list[dict], case_management: list[dict],
                       flags: list[dict], meetings: list[dict], people: _People,
                       seed: int) -> tuple[list[dict], list[dict]]:
    """For Worksheet 3: the review's group finding on each incident (a ``group_involved`` column
    added in place), victims and suspects linked to shootings since 2016 (``incident_people``),
    and review flags of people the partnership then reached (returned as rows to append).

    A stream of its own, so every table and number drawn before stays exactly as it was.
    """
    rng = np.random.default_rng(seed + 18)
    new_people = _People(rng)
    new_people.used = set(people.used)
    finding: dict[str, str] = {}
    for r in incidents:
        if r["incident_id"] not in finding:
            if not r["reviewed_on"]:
                finding[r["incident_id"]] = ""  # not reviewed yet: the group column alone decides
            elif r["group"]:
                finding[r["incident_id"]] = "true"
            else:  # a few involve a group the review could not name
                finding[r["incident_id"]] = "true" if rng.random() < 0.08 else "false"
        r["group_involved"] = finding[r["incident_id"]]

    first_contact: dict[str, dt.date] = {}
    for r in communications:
        day = dt.date.fromisoformat(r["occurred_on"])
        first_contact[r["participant_id"]] = min(day, first_contact.get(r["participant_id"], day))
    first_enrolment = {r["participant_id"]: dt.date.fromisoformat(r["enrolled_on"]) for r in case_management}
    dead: set[str] = set()
    victims_so_far: list[str] = []

    def known_before(day: dt.date, pool: dict[str, dt.date]) -> str | None:
        return _pick(rng, [pid for pid, first in pool.items() if first < day and pid not in dead])

    def reached_after(day: dt.date) -> str | None:
        return _pick(rng, [pid for pid, first in first_contact.items()
                           if day <= first <= day + dt.timedelta(days=30) and pid not in dead])

    links: list[dict] = []
    seen: set[str] = set()
    for r in incidents:
        if r["incident_type"] == "non_injury_shooting" or r["occurred_on"] < "2016-01-01":
            continue
        day = dt.date.fromisoformat(r["occurred_on"])
        if rng.random() < 0.6:  # one victim row, one person (some victims are never identified to us)
            draw = rng.random()
            pid = (known_before(day, first_contact) if draw < 0.25 else
                   known_before(day, first_enrolment) if draw < 0.35 else None) or new_people.new()
            links.append({"incident_id": r["incident_id"], "participant_id": pid, "role": "victim"})
            victims_so_far.append(pid)
            if r["incident_type"] == "homicide":
                dead.add(pid)
        if r["incident_id"] in seen:
            continue
        seen.add(r["incident_id"])
        for _ in range(int(rng.choice(3, p=[0.5, 0.38, 0.12]))):
            draw = rng.random()
            pid = (known_before(day, first_contact) if draw < 0.3 else
                   reached_after(day) if draw < 0.6 else
                   _pick(rng, [v for v in victims_so_far if v not in dead]) if draw < 0.65 else None)
            links.append({"incident_id": r["incident_id"], "participant_id": pid or new_people.new(), "role": "suspect"})
    links = [dict(t) for t in dict.fromkeys(tuple(link.items()) for link in links)]  # one row per person and role

    # People flagged at a shooting review in the three weeks before they were first reached (or enrolled).
    reviews = sorted(m["scheduled_on"] for m in meetings if m["kind"] == "shooting_review" and m["held"] == "true")
    groups_by_review: dict[str, list[str]] = {}
    for r in incidents:
        if r["reviewed_on"] and r["group"]:
            groups_by_review.setdefault(r["reviewed_on"], []).append(r["group"])
    extra_flags = []
    for pid, first in sorted(first_contact.items()):
        enrolled = first_enrolment.get(pid)
        if enrolled is not None and enrolled.year >= 2017:
            first = min(first, enrolled)  # flagged before any of the follow-up
        if first.year < 2016 or rng.random() >= (0.8 if enrolled is not None else 0.4):
            continue
        earlier = [d for d in reviews if first - dt.timedelta(days=21) <= dt.date.fromisoformat(d) <= first]
        if not earlier:
            continue
        day = _pick(rng, earlier)
        extra_flags.append({"participant_id": pid, "flagged_on": day,
                            "group": _pick(rng, groups_by_review.get(day, [])) or ""})
    extra_flags.sort(key=lambda r: (r["flagged_on"], r["participant_id"]))
    return links, extra_flags


def write_csv(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def build_demo_tables(seed: int = SEED) -> dict[str, list[dict]]:
    """All demo tables as lists of rows (deterministic for a given seed)."""
    rng = np.random.default_rng(seed)
    people = _People(rng)
    incidents = make_incidents(rng)
    communications = make_communications(rng, people)
    case_management = make_case_management(rng, people, communications)
    staffing = make_staffing()
    enforcement = make_enforcement_actions(rng)
    meetings = make_meetings(rng)
    comparison = make_comparison_group(rng, people)
    events = make_participant_events(rng, communications, comparison)
    tasks, flags = make_tasks_and_flags(incidents, meetings, people, seed, communications)
    incident_people, later_flags = make_focus_records(incidents, communications, case_management, flags, meetings,
                                                      people, seed)
    return {
        "incidents": incidents,
        "communications": communications,
        "case_management": case_management,
        "staffing": staffing,
        "enforcement_actions": enforcement,
        "meetings": meetings,
        "participant_events": events,
        "comparison_group": comparison,
        "tasks": tasks,
        "review_flags": flags + later_flags,
        "incident_people": incident_people,
    }


def write_demo(target: Path, seed: int = SEED) -> list[Path]:
    """Write the demo folder and its marker (every file's SHA-256, by which the demo is recognised);
    return the files written."""
    written = []
    for name, rows in build_demo_tables(seed).items():
        path = Path(target) / f"{name}.csv"
        write_csv(path, rows)
        written.append(path)
    marker = Path(target) / DEMO_MARKER
    marker.write_text(demo_marker_text(Path(target)), encoding="utf-8")
    return written + [marker]


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("data/raw/demo")
    for p in write_demo(out):
        print(p)
