"""Meeting packs: the weekly shooting review and the bi-weekly coordination meeting.

Each pack follows its meeting's agenda from the seed deck, in order, with the agenda
items as headings. A params file with ``meeting: shooting_review`` or
``meeting: coordination`` and ``meeting_on`` (the day the meeting is held) renders one
pack, named and titled by that day. A pack is prepared before its meeting: the look-back window
runs from the day of the last meeting of the same kind held before it (``meetings.csv``; that
meeting's own pack stopped the day before) to the day before the meeting, or is given as
``window_start`` and ``window_end``.

Task arithmetic: a task completed on or before its due date is on time; an open task
is overdue by the days from its due date to the day of reckoning.

Privacy: internal packs show everything; partner packs show no case number, no
participant-level row and no free-text task description; public packs show counts only
(no shooting rows, group names or task owners). Counts of people go through
:func:`shown_people_cells`, the one place a pack hides small numbers
(:func:`privacy.suppress_cells`, with the relations between the pack's counts stated).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import html
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from IPython.display import HTML

from . import __version__, schema
from .config import is_demo_dir, resolve_path
from .coverage import data_coverage_of
from .errors import InputError, ParamsError, Problem
from .counts import (days_overdue, is_on_time, median_days_to_complete, on_time_rate,  # noqa: F401
                     open_on, rows_in_window)
from .handoff import SNAPSHOT_KEY, opened_from_snapshot
from .loading import CityData, empty_file_warnings, load_data_dir
from .params import FileText, audience_and_threshold, display_path, notebook_params, parameters_in
from .formatting import format_day, format_day_span, format_decimal, format_share, is_missing, page_identity
from .indicators import recorded_incident_types
from .periods import same_days_years_earlier
from .privacy import (
    SMALL, Relation, hidden_text, provenance_label, shows_participant_rows, suppress_cells, window_difference,
    suppresses_small_counts, visible_note,
)
from .reader import running_header_html
from .tables import NOT_RECORDED_TEXT, REPORT_CSS, html_table

MEETING_KEYS = ("meeting", "city", "data_dir", "meeting_on", "window_start", "window_end", "audience",
                "small_count_threshold", "partnership_notes")
KINDS = (schema.SHOOTING_REVIEW, schema.COORDINATION)
# The keys an analyst changes in a meeting notebook's parameters cell (or with papermill -p); the rest come
# from its params file.
NOTEBOOK_MEETING_KEYS = ("meeting_on", "window_start", "window_end", "audience")
TITLES = {schema.SHOOTING_REVIEW: "Weekly shooting review", schema.COORDINATION: "Coordination meeting"}
# Look-back when no earlier meeting of the kind is on record: the meetings' usual spacing.
DEFAULT_LOOK_BACK_DAYS = {schema.SHOOTING_REVIEW: 7, schema.COORDINATION: 14}
# The seed deck's agendas, in order: (heading, what the item is for).
AGENDAS = {
    schema.SHOOTING_REVIEW: (
        ("Review prior deliverables",
         "What was asked of each unit and partner at earlier reviews, and where it stands."),
        ("Review all shootings", "Every fatal, non-fatal and non-injury shooting since the last review: which people "
                                 "and networks are at greatest risk of violence in the near term."),
        ("Near-term strategy", "Develop or refine the strategy to reduce the likelihood of further shootings: the "
                               "groups and conflicts to focus justice, outreach and community partners on."),
        ("Assign new tasks and deliverables", "A clear near-term plan: who does what by when, for accountability "
                                              "inside and outside the police department."),
    ),
    schema.COORDINATION: (
        ("Review shootings and assess risk", "Based on the police shooting reviews: which people and networks are "
                                             "at greatest risk of violence in the near term."),
        ("Refine the near-term strategy", "Custom notifications, hospital response, family support, life-coach "
                                          "follow-up, mediation, in-reach and street outreach for these conflicts."),
        ("Strategy for people who stay at very high risk", "People flagged at shooting review after shooting "
                                                           "review, and whether the partnership has reached them."),
        ("Partnership health", "Coordination, boundaries, client concerns about law enforcement, program strategy "
                               "and resource needs."),
    ),
}
NO_TASKS = "<p>Deliverables are not tracked for this city.</p>"  # how to add tasks.csv: README, not the room
NO_FLAGS = "<p>There is no review_flags.csv, so people flagged at shooting reviews cannot be counted.</p>"
TYPE_LABELS = {schema.HOMICIDE: "Homicide", schema.NONFATAL: "Non-fatal injury shooting",
               schema.NON_INJURY: "Non-injury shooting"}
UNREVIEWED_DAYS = 90
FLAGGED_RECENT_DAYS = 30
FLAGGED_HISTORY_DAYS = 365
NEW_TASK_ROWS = 8


@dataclass(frozen=True)
class MeetingParams:
    """A meeting pack's parameters; ``start``/``end`` (the look-back window) are set once meetings are read."""

    meeting: str
    city: str
    data_dir: Path
    meeting_on: dt.date
    start: dt.date | None = None
    end: dt.date | None = None
    audience: str = "internal"
    small_count_threshold: int = 5
    partnership_notes: tuple[str, ...] = ()
    previous_meeting: dt.date | None = None
    source: str = ""
    window_given: bool = False
    notes_written_for: str = ""  # the params file's own meeting, when the notebook asked for another (notes left out)

    @property
    def last_day(self) -> dt.date:
        """The pack's last day, to which its sections count: the window's end (by default the day before the
        meeting). The pack is prepared before the meeting: that day's shootings are not in it, nor is the meeting
        itself held yet."""
        return self.end or self.meeting_on

    @property
    def folder_id(self) -> str:
        return f"{self.meeting}_{self.meeting_on.isoformat()}"

    @property
    def internal(self) -> bool:
        return shows_participant_rows(self.audience)

    @property
    def public(self) -> bool:
        return self.audience == "public"


def _date(value: Any, key: str, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ParamsError(f"'{key}'{where} must be a date written YYYY-MM-DD, got {value!r}") from None


def meeting_params_from_values(values: dict[str, Any], source: str = "", base: Path | None = None) -> MeetingParams:
    """Check a meeting params file's values; errors name the key.

    A relative ``data_dir`` reads against ``base`` (the params file's folder), else the current folder.

    >>> p = meeting_params_from_values({"meeting": "coordination", "city": "X", "data_dir": "data/raw/demo",
    ...                                 "meeting_on": "2017-03-09"})
    >>> p.folder_id, p.start
    ('coordination_2017-03-09', None)
    """
    where = f" in {source}" if source else ""
    unknown = sorted(set(values) - set(MEETING_KEYS))
    if unknown:
        raise ParamsError(f"unknown key(s) {', '.join(repr(k) for k in unknown)}{where}; a meeting params file "
                          f"takes: {', '.join(MEETING_KEYS)}")
    meeting = values.get("meeting")
    if meeting not in KINDS:
        raise ParamsError(f"'meeting'{where} must be one of {', '.join(KINDS)}, got {meeting!r}")
    for key in ("city", "data_dir", "meeting_on"):
        if values.get(key) in (None, ""):
            raise ParamsError(f"'{key}' is required{where} for a {meeting} pack")
    meeting_on = _date(values["meeting_on"], "meeting_on", where)
    given = [k for k in ("window_start", "window_end") if values.get(k) not in (None, "")]
    start = end = None
    if len(given) == 1:
        raise ParamsError(f"'{given[0]}'{where} needs its partner: give both window_start and window_end, or "
                          "neither (the window then runs from the day of the last meeting of this kind to the day before "
                          "this one)")
    if given:
        start, end = (_date(values["window_start"], "window_start", where),
                      _date(values["window_end"], "window_end", where))
        if end < start:
            raise ParamsError(f"'window_end'{where} ({end}) is before 'window_start' ({start})")
        if end > meeting_on:
            raise ParamsError(f"'window_end'{where} ({end}) is after 'meeting_on' ({meeting_on})")
    audience, threshold = audience_and_threshold(values, source)  # the same rule as a period's params
    notes = values.get("partnership_notes") or []
    if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        raise ParamsError(f"'partnership_notes'{where} must be a list of text items")
    data_dir = resolve_path(values["data_dir"], Path.cwd() if base is None else Path(base))
    return MeetingParams(meeting, str(values["city"]), data_dir, meeting_on, start, end,
                         audience, threshold, tuple(notes), None, source, window_given=bool(given))


def is_meeting_params(values: dict[str, Any]) -> bool:
    return "meeting" in values


def look_back_window(meetings: pd.DataFrame | None, kind: str, meeting_on: dt.date
                     ) -> tuple[dt.date, dt.date, dt.date | None]:
    """The window a meeting looks back over: (first day, last day, previous meeting of the kind or None).

    A pack is prepared before its meeting (the seed: the coordination meeting works "based on PD shooting
    review"), so the window ends the day before the meeting: shootings of the meeting day are not yet known
    when the pack is made, and belong to the next pack. It starts on the day of the last meeting of ``kind``
    held before ``meeting_on``, where that meeting's own pack stopped, so each day is in exactly one pack;
    without one on record, the kind's usual spacing before the meeting (7 days for shooting reviews, 14 for
    coordination).

    >>> m = pd.DataFrame({"kind": ["coordination"] * 2, "held": [True, False],
    ...                   "scheduled_on": pd.to_datetime(["2017-02-23", "2017-03-02"])})
    >>> look_back_window(m, "coordination", dt.date(2017, 3, 9))
    (datetime.date(2017, 2, 23), datetime.date(2017, 3, 8), datetime.date(2017, 2, 23))
    """
    previous = last_meeting_before(meetings, kind, meeting_on) if meetings is not None else None
    start = previous if previous else meeting_on - dt.timedelta(days=DEFAULT_LOOK_BACK_DAYS[kind])
    return start, meeting_on - dt.timedelta(days=1), previous


def with_window(params: MeetingParams, meetings: pd.DataFrame | None) -> MeetingParams:
    """The params with the look-back window and previous meeting filled in (a given window is kept)."""
    start, end, previous = look_back_window(meetings, params.meeting, params.meeting_on)
    if params.start is not None:
        start, end = params.start, params.end
    return dataclasses.replace(params, start=start, end=end, previous_meeting=previous)


def deliverables_by_owner(tasks: pd.DataFrame, day: dt.date, since: dt.date) -> pd.DataFrame:
    """Per owner: tasks open on ``day``, overdue, the most days overdue, and completed after ``since``.

    >>> t = pd.DataFrame({"owner": ["A", "A", "B"], "assigned_on": pd.to_datetime(["2017-03-01"] * 3),
    ...                   "due_on": pd.to_datetime(["2017-03-05", "2017-03-20", "2017-03-05"]),
    ...                   "completed_on": pd.to_datetime([None, None, "2017-03-08"])})
    >>> deliverables_by_owner(t, dt.date(2017, 3, 10), dt.date(2017, 3, 7)).values.tolist()
    [['A', 2, 1, 5, 0], ['B', 0, 0, 0, 1]]
    """
    open_now = open_on(tasks, day)
    overdue = open_now[open_now["due_on"] < pd.Timestamp(day)]
    completed = tasks[(tasks["completed_on"] > pd.Timestamp(since)) & (tasks["completed_on"] <= pd.Timestamp(day))]
    rows = []
    for owner in sorted(set(open_now["owner"]) | set(completed["owner"])):
        mine = overdue[overdue["owner"] == owner]
        rows.append([owner, int((open_now["owner"] == owner).sum()), len(mine),
                     int(days_overdue(mine, day).max()) if len(mine) else 0, int((completed["owner"] == owner).sum())])
    return pd.DataFrame(rows, columns=["owner", "open", "overdue", "most_days_overdue", "completed_since"])


# --------------------------------------------------------------------------- meetings and shootings

def last_meeting_before(meetings: pd.DataFrame, kind: str, day: dt.date) -> dt.date | None:
    """Date of the last meeting of ``kind`` held before ``day``."""
    held = meetings[(meetings["kind"] == kind) & meetings["held"].fillna(False).astype(bool)
                    & (meetings["scheduled_on"] < pd.Timestamp(day))]
    return None if held.empty else held["scheduled_on"].max().date()


def lead_attendance(meetings: pd.DataFrame, kind: str, start: dt.date, end: dt.date) -> dict[str, int]:
    """Meetings of ``kind`` scheduled from ``start`` to ``end``: scheduled, held, and held with each lead present."""
    rows = rows_in_window(meetings[meetings["kind"] == kind], "scheduled_on", start, end)
    held = rows[rows["held"].fillna(False).astype(bool)]

    def present(column: str) -> int:
        return int(held[column].fillna(False).astype(bool).sum()) if column in held else 0

    return {"scheduled": len(rows), "held": len(held), "opd_lead_present": present("opd_lead_present"),
            "hsd_lead_present": present("hsd_lead_present")}


def repeat_groups(incidents: pd.DataFrame, end: dt.date, days: int = 30) -> pd.DataFrame:
    """Groups or conflicts tied to more than one shooting in the ``days`` days to ``end``."""
    active = active_groups(incidents, end, days, days)
    active = active[active["recent"] > 1].rename(columns={"recent": "shootings"})
    return active[["group", "shootings", "last_shooting"]].reset_index(drop=True)


def active_groups(incidents: pd.DataFrame, end: dt.date, recent_days: int = 30, longer_days: int = 90) -> pd.DataFrame:
    """Groups with a shooting in the ``longer_days`` to ``end``: shootings in both spans and the latest.

    Counts are incidents (a shooting with two victims counts once). Sorted by the recent
    count, the longer count, then the latest shooting.
    """
    columns = ["group", "recent", "longer", "last_shooting"]
    if "group" not in incidents:
        return pd.DataFrame(columns=columns)
    stamp = pd.Timestamp(end)
    rows = incidents[incidents["group"].notna() & (incidents["group"].astype(str).str.strip() != "")
                     & (incidents["occurred_on"] <= stamp)
                     & (incidents["occurred_on"] > stamp - pd.Timedelta(days=longer_days))]
    rows = rows.drop_duplicates(["incident_id", "group"])
    recent = rows["occurred_on"] > stamp - pd.Timedelta(days=recent_days)
    out = rows.assign(_recent=recent).groupby("group").agg(
        recent=("_recent", "sum"), longer=("incident_id", "nunique"), last_shooting=("occurred_on", "max"))
    out["recent"] = out["recent"].astype(int)
    out = out.reset_index().sort_values(["recent", "longer", "last_shooting", "group"],
                                        ascending=[False, False, False, True])
    return out[columns].reset_index(drop=True)


def linked_group_pairs(incidents: pd.DataFrame, start: dt.date, end: dt.date, links: pd.DataFrame | None = None,
                       flags: pd.DataFrame | None = None) -> pd.DataFrame:
    """Pairs of groups that one shooting from ``start`` to ``end`` ties together.

    A shooting's groups are the ``group`` values on its rows (e.g. a victim of each side)
    and, when ``incident_people.csv`` (``links``) and ``review_flags.csv`` (``flags``) are
    given, the groups that people linked to it (victims or suspects) were flagged with at
    a review on or before ``end``.

    >>> inc = pd.DataFrame({"incident_id": ["A", "A", "B"], "group": ["G2", "G1", "G1"],
    ...                     "occurred_on": pd.to_datetime(["2017-03-01", "2017-03-01", "2017-03-02"])})
    >>> linked_group_pairs(inc, dt.date(2017, 3, 1), dt.date(2017, 3, 31)).values.tolist()
    [['G1', 'G2', 1, Timestamp('2017-03-01 00:00:00')]]
    """
    columns = ["group_a", "group_b", "shootings", "last_shooting"]
    rows = rows_in_window(incidents, "occurred_on", start, end)
    named = (rows[["incident_id", "occurred_on", "group"]] if "group" in rows
             else pd.DataFrame(columns=["incident_id", "occurred_on", "group"]))
    if links is not None and flags is not None and "group" in flags:
        flagged = flags[(flags["flagged_on"] <= pd.Timestamp(end)) & flags["group"].notna()]
        linked = links[links["incident_id"].isin(rows["incident_id"])].merge(
            flagged[["participant_id", "group"]].drop_duplicates(), on="participant_id")
        linked = linked.merge(rows[["incident_id", "occurred_on"]].drop_duplicates("incident_id"), on="incident_id")
        named = pd.concat([named, linked[["incident_id", "occurred_on", "group"]]], ignore_index=True)
    named = named[named["group"].notna() & (named["group"].astype(str).str.strip() != "")]
    pairs: dict[tuple[str, str], list] = {}
    for incident_id, one in named.groupby("incident_id"):
        groups = sorted(set(one["group"].astype(str)))
        for i, a in enumerate(groups):
            for b in groups[i + 1:]:
                entry = pairs.setdefault((a, b), [set(), one["occurred_on"].max()])
                entry[0].add(incident_id)
                entry[1] = max(entry[1], one["occurred_on"].max())
    out = pd.DataFrame([[a, b, len(ids), last] for (a, b), (ids, last) in pairs.items()], columns=columns)
    return out.sort_values(["shootings", "last_shooting"], ascending=False).reset_index(drop=True)


def shooting_incidents(incidents: pd.DataFrame) -> pd.DataFrame:
    """One row per shooting incident (victim rows of one case merged), with its most serious type."""
    rank = {schema.HOMICIDE: 0, schema.NONFATAL: 1, schema.NON_INJURY: 2}
    ordered = incidents.assign(_rank=incidents["incident_type"].map(rank)).sort_values(["incident_id", "_rank"])
    victims = incidents.groupby("incident_id").size().rename("victims")
    out = ordered.drop_duplicates("incident_id").drop(columns="_rank").join(victims, on="incident_id")
    out.loc[out["incident_type"] == schema.NON_INJURY, "victims"] = 0
    return out.sort_values(["occurred_on", "incident_id"]).reset_index(drop=True)


def not_yet_reviewed(incidents: pd.DataFrame, start: dt.date, meeting_on: dt.date,
                     days: int = UNREVIEWED_DAYS) -> pd.DataFrame:
    """Shootings before the window, in the ``days`` days to the meeting, not reviewed before the meeting day.

    The window's own shootings are the meeting's main list, so they are not repeated here.
    One row per incident.

    >>> inc = pd.DataFrame({"incident_id": ["A", "A", "B", "C"], "incident_type": ["homicide"] * 4,
    ...                     "occurred_on": pd.to_datetime(["2017-03-01", "2017-03-01", "2017-03-02", "2017-03-22"]),
    ...                     "reviewed_on": pd.to_datetime([None, None, "2017-03-07", None])})
    >>> not_yet_reviewed(inc, dt.date(2017, 3, 22), dt.date(2017, 3, 28))["incident_id"].tolist()
    ['A']
    """
    merged = shooting_incidents(incidents)
    if "reviewed_on" not in merged:
        return merged.iloc[0:0]
    first = pd.Timestamp(meeting_on) - pd.Timedelta(days=days - 1)
    before = merged[(merged["occurred_on"] >= first) & (merged["occurred_on"] < pd.Timestamp(start))]
    return before[before["reviewed_on"].isna() | (before["reviewed_on"] >= pd.Timestamp(meeting_on))]


def weekly_comparison(incidents: pd.DataFrame, start: dt.date, end: dt.date,
                      data_start: dt.date | None = None) -> pd.DataFrame:
    """Counts by type in the window, the same days a year earlier (as many days, ending on the same date:
    :func:`periods.same_days_years_earlier`), and the average of the four windows before.

    A comparison window that begins before ``data_start`` (the first day the incident data cover) is not in the
    data: its count is NaN, never 0, and the average is over the earlier windows the data hold (NaN when none);
    ``attrs["windows_in_data"]`` says how many of the four that is.

    >>> inc = pd.DataFrame({"occurred_on": pd.to_datetime(["2017-07-16", "2017-07-25"]),
    ...                     "incident_type": ["homicide", "homicide"]})
    >>> week = weekly_comparison(inc, dt.date(2017, 7, 22), dt.date(2017, 7, 28), dt.date(2017, 7, 15))
    >>> row = week.loc[0]
    >>> [float(row[c]) for c in ("this_window", "same_dates_last_year", "average_of_4_before")]
    [1.0, nan, 1.0]
    >>> week.attrs["windows_in_data"]
    1
    """
    length = (end - start).days + 1

    def counts(a: pd.Timestamp, b: pd.Timestamp) -> pd.Series:
        rows = incidents[(incidents["occurred_on"] >= a) & (incidents["occurred_on"] <= b)]
        return rows["incident_type"].value_counts().reindex(list(TYPE_LABELS), fill_value=0)

    s, e = pd.Timestamp(start), pd.Timestamp(end)
    first = pd.Timestamp(data_start) if data_start is not None else None

    def in_data(a: pd.Timestamp) -> bool:
        return first is None or a >= first

    nothing = pd.Series(math.nan, index=list(TYPE_LABELS))
    this = counts(s, e)
    a, b = map(pd.Timestamp, same_days_years_earlier(start, end))
    year_ago = counts(a, b) if in_data(a) else nothing
    before = [counts(s - pd.Timedelta(days=length * k), e - pd.Timedelta(days=length * k)) for k in range(1, 5)
              if in_data(s - pd.Timedelta(days=length * k))]
    average = sum(before) / len(before) if before else nothing
    out = pd.DataFrame({"type": [TYPE_LABELS[t] for t in TYPE_LABELS], "this_window": this.to_numpy(),
                        "same_dates_last_year": year_ago.to_numpy(), "average_of_4_before": average.to_numpy()})
    out.attrs["windows_in_data"] = len(before)
    return out


# --------------------------------------------------------------------------- people flagged at reviews

def flagged_in_window(flags: pd.DataFrame, start: dt.date, end: dt.date) -> tuple[int, pd.Series]:
    """Distinct people flagged from ``start`` to ``end``, and distinct people per group (groups named only)."""
    window = rows_in_window(flags, "flagged_on", start, end)
    if "group" not in window:  # flags tied to no group (the optional column absent, or blank in every row)
        return int(window["participant_id"].nunique()), pd.Series(dtype="int64")
    named = window[window["group"].notna()]
    per_group = named.groupby("group")["participant_id"].nunique().sort_values(ascending=False)
    return int(window["participant_id"].nunique()), per_group


NO_GROUP = "No group recorded"


def flagged_by_group(flags: pd.DataFrame, start: dt.date, end: dt.date) -> tuple[int, int, pd.Series]:
    """Distinct people flagged from ``start`` to ``end``, how many of them were flagged with a group, and
    people per group with a last row ``No group recorded`` (people never flagged with a group in the window),
    so that the table accounts for everyone in the total (a person flagged with two groups is in both).

    >>> flags = pd.DataFrame({"participant_id": ["a", "b", "c", "c"], "group": ["G1", None, None, "G1"],
    ...                       "flagged_on": pd.to_datetime(["2017-03-01"] * 4)})
    >>> people, tied, table = flagged_by_group(flags, dt.date(2017, 3, 1), dt.date(2017, 3, 31))
    >>> people, tied, table.to_dict()
    (3, 2, {'G1': 2, 'No group recorded': 1})
    """
    people, per_group = flagged_in_window(flags, start, end)
    window = rows_in_window(flags, "flagged_on", start, end)
    tied = int(window.loc[window["group"].notna(), "participant_id"].nunique()) if "group" in window else 0
    if people > tied:
        per_group = pd.concat([per_group, pd.Series({NO_GROUP: people - tied})])
    return people, tied, per_group


def flags_over_time(flags: pd.DataFrame, communications: pd.DataFrame | None, case_management: pd.DataFrame | None,
                    end: dt.date, days: int = FLAGGED_HISTORY_DAYS) -> pd.DataFrame:
    """One row per person flagged in the ``days`` days to ``end``: reviews flagging them, first and last flag,
    and whether by ``end`` they had been reached by direct communication or enrolled in case management.

    A review is a distinct flag date; a person flagged twice on one day counts one review.
    """
    window = rows_in_window(flags, "flagged_on", end - dt.timedelta(days=days - 1), end)
    people = window.groupby("participant_id").agg(
        reviews=("flagged_on", "nunique"), first_flagged=("flagged_on", "min"), last_flagged=("flagged_on", "max"))

    def ids_by(table: pd.DataFrame | None, column: str) -> set:
        if table is None:
            return set()
        return set(table.loc[table[column] <= pd.Timestamp(end), "participant_id"].dropna())

    people["reached"] = people.index.isin(ids_by(communications, "occurred_on"))
    people["enrolled"] = people.index.isin(ids_by(case_management, "enrolled_on"))
    return people.reset_index().sort_values(["reviews", "last_flagged"], ascending=False).reset_index(drop=True)


def flags_by_reviews(people: pd.DataFrame) -> pd.DataFrame:
    """Counts of flagged people by how many reviews flagged them (1, 2, 3 or more) and what the partnership did.

    >>> p = pd.DataFrame({"reviews": [1, 1, 2, 4], "reached": [True, False, True, False],
    ...                   "enrolled": [False, False, True, False]})
    >>> flags_by_reviews(p).values.tolist()
    [['1 review', 2, 1, 0, 1], ['2 reviews', 1, 1, 1, 0], ['3 or more reviews', 1, 0, 0, 1]]
    """
    bands = (("1 review", 1, 1), ("2 reviews", 2, 2), ("3 or more reviews", 3, math.inf))
    rows = []
    for label, low, high in bands:
        band = people[(people["reviews"] >= low) & (people["reviews"] <= high)]
        neither = ~(band["reached"].astype(bool) | band["enrolled"].astype(bool))
        rows.append([label, len(band), int(band["reached"].sum()), int(band["enrolled"].sum()), int(neither.sum())])
    return pd.DataFrame(rows, columns=["flagged_at", "people", "reached", "enrolled", "neither"])


# --------------------------------------------------------------------------- the packs

@dataclass
class MeetingPack:
    params: MeetingParams
    data: CityData
    params_label: str
    opened_at: dt.datetime = field(default_factory=lambda: dt.datetime.now().astimezone())
    _is_demo: bool | None = field(default=None, repr=False)

    @property
    def is_demo(self) -> bool:
        """Whether the data are the shipped synthetic demo: decided once, when the pack is opened (it reads the
        data folder)."""
        if self._is_demo is None:
            self._is_demo = is_demo_dir(self.params.data_dir)
        return self._is_demo


# How far past the data's last record a meeting may be: a meeting interval, but never less than four weeks,
# so that a quiet month in a small city whose only file is incidents.csv is not taken for a stale extract
# (the staleness rule of coverage.py also waits at least four weeks).
MEETING_PAST_DATA_FLOOR_DAYS = 28


def require_meeting_near_data(params: MeetingParams, data: CityData) -> None:
    """A pack for a meeting long after the data's last record would look back over days the data do not hold:
    refuse it, as a review period after the data is, naming both days. Long is more than one meeting interval
    (7 or 14 days) and more than four weeks."""
    through = data_coverage_of(data.tables).through
    allowed = max(DEFAULT_LOOK_BACK_DAYS[params.meeting], MEETING_PAST_DATA_FLOOR_DAYS)
    if through is not None and params.meeting_on > through + dt.timedelta(days=allowed):
        kind = "shooting review" if params.meeting == schema.SHOOTING_REVIEW else "coordination meeting"
        raise InputError([Problem(
            display_path(params.data_dir), None, None,
            f"the {kind} of {format_day(params.meeting_on)} is more than {allowed} days after the data's last "
            f"record, on {format_day(through)}",
            f"a meeting day no later than {format_day(through + dt.timedelta(days=allowed))}, or a newer extract")])


def other_meeting_of(file_values: dict[str, Any], supplied: dict[str, Any]) -> str:
    """The params file's meeting ("the 9 Mar 2017 meeting") when a notebook sets another meeting day, else "".

    >>> other_meeting_of({"meeting_on": "2017-03-09"}, {"meeting_on": "2017-03-23"})
    'the 9 Mar 2017 meeting'
    >>> other_meeting_of({"meeting_on": "2017-03-09"}, {"meeting_on": dt.date(2017, 3, 9), "audience": "partner"})
    ''
    """
    if "meeting_on" not in supplied or str(supplied["meeting_on"]) == str(file_values.get("meeting_on")):
        return ""
    try:
        return f"the {_day(dt.date.fromisoformat(str(file_values['meeting_on'])))} meeting"
    except (KeyError, ValueError):  # the file's own day is not readable: name it as written
        return f"the meeting of {file_values.get('meeting_on')!s}"


# A meeting's: the partnership's notes, and a look-back window set by hand, both written for the meeting on the
# file's day (another day's pack takes the default window: the days since the last meeting).
MEETING_TEXT = FileText(other_meeting_of, {"partnership_notes": [], "window_start": None, "window_end": None})


def open_meeting(params_file: str | None = None, **given: Any) -> MeetingPack:
    """Load a meeting pack's parameters (injected keys, or else the params file) and data; fix its window."""
    params, label = notebook_params(params_file, given, meeting_params_from_values, NOTEBOOK_MEETING_KEYS,
                                    MEETING_TEXT)
    data = load_data_dir(params.data_dir)
    require_meeting_near_data(params, data)
    if params.audience == "partner":  # a public pack shows no partnership note
        data.refuse_identifiers_in([("partnership_notes", visible_note(note, params.audience))
                                    for note in params.partnership_notes], params.audience, label)
    return MeetingPack(with_window(params, data.meetings), data, label, _is_demo=is_demo_dir(params.data_dir))


def pack_from_notebook(namespace: dict[str, Any]) -> MeetingPack:
    """:func:`open_meeting` with a meeting notebook's parameters: call it as ``pack_from_notebook(globals())``.

    With a ``snapshot`` (the folder ``ceasefire run`` saved the pack it validated in), that pack is
    returned as the run opened it, without reading the params or data files again.
    """
    given = parameters_in(namespace, MEETING_KEYS)
    snapshot = namespace.get(SNAPSHOT_KEY)
    if snapshot:
        return opened_from_snapshot(snapshot, MeetingPack, given)
    return open_meeting(**given)


def shown_people_cells(values: dict[str, int], relations: list[Relation], params: MeetingParams,
                       unpublished: set[str] = frozenset(), fixed: set[str] = frozenset()) -> dict[str, str]:
    """Counts of people as shown to the pack's audience: the one place a pack hides small numbers.

    Internal packs show every count. Partner and public packs (the rule lives in ``privacy``) hide
    counts from 1 to ``small_count_threshold - 1`` ("fewer than 5") and every other count that the
    stated ``relations`` and the shown counts would give a hidden one away by
    (:func:`privacy.suppress_cells`). ``unpublished`` cells take part in the relations but are not returned;
    ``fixed`` cells are printed elsewhere as they are, so they are never hidden here (unless small).
    """
    shown = {cell: str(value) for cell, value in values.items() if cell not in unpublished}
    if not suppresses_small_counts(params.audience):
        return shown
    threshold = params.small_count_threshold
    for cell, kind in suppress_cells(values, relations, threshold, set(unpublished), fixed=set(fixed)).items():
        shown[cell] = hidden_text(kind, threshold)
    return shown


def people_count_cells(counts: list[int], params: MeetingParams) -> list[str]:
    """Counts of people that no shown number adds up to, as shown to the pack's audience (each hidden when small).

    >>> p = meeting_params_from_values({"meeting": "coordination", "city": "X", "data_dir": "data/raw/demo",
    ...                                 "meeting_on": "2017-03-09", "audience": "public"})
    >>> people_count_cells([3, 0, 12], p)
    ['fewer than 5', '0', '12']
    """
    shown = shown_people_cells({str(i): int(c) for i, c in enumerate(counts)}, [], params)
    return [shown[str(i)] for i in range(len(counts))]


def flagged_by_reviews_cells(table: pd.DataFrame, total: int, params: MeetingParams,
                             within: int | None = None) -> dict[str, str]:
    """The chronic-flags table's counts (from :func:`flags_by_reviews`) and its total, as shown to the audience.

    Cells are ``total`` and ``<band>/<column>``. The relations a reader can use: the total is the sum
    of the bands; in each band, people = reached + enrolled - (reached and enrolled) + neither, and reached
    (enrolled) = both + reached only (enrolled only), the overlap and the "only" counts unpublished. A band that is hidden hides its whole row. ``within`` is the people flagged in a
    shorter window inside this one that the pack prints elsewhere (since the last meeting): the total less
    it is the people flagged only before, a count of people protected like any other
    (:func:`privacy.window_difference`); ``within`` itself is printed as its own block shows it.
    """
    values: dict[str, int] = {"total": int(total)}
    relations: list[Relation] = []
    unpublished: set[str] = set()
    if within is not None:
        values["within"] = int(within)
        relation = window_difference(values, unpublished, "total", "within", "before_within")
        relations += [relation] if relation is not None else []
    for _, r in table.iterrows():
        band = r["flagged_at"]
        for column in ("people", "reached", "enrolled", "neither"):
            values[f"{band}/{column}"] = int(r[column])
        both = f"{band}/both"
        values[both] = int(r["reached"] + r["enrolled"] + r["neither"] - r["people"])
        # and the people reached only, or enrolled only: each a count of people a reader gets by subtraction
        # (people - reached - neither = enrolled only), protected like the overlap
        values[f"{band}/reached_only"] = int(r["reached"]) - values[both]
        values[f"{band}/enrolled_only"] = int(r["enrolled"]) - values[both]
        unpublished.update({both, f"{band}/reached_only", f"{band}/enrolled_only"})
        relations += [Relation(((f"{band}/people", 1), (f"{band}/reached", -1), (f"{band}/enrolled", -1),
                                (both, 1), (f"{band}/neither", -1))),
                      Relation.total(f"{band}/reached", [both, f"{band}/reached_only"]),
                      Relation.total(f"{band}/enrolled", [both, f"{band}/enrolled_only"])]
    relations.append(Relation.total("total", [f"{band}/people" for band in table["flagged_at"]]))
    shown = shown_people_cells(values, relations, params, unpublished, fixed={"within"})
    for band in table["flagged_at"]:
        if shown[f"{band}/people"] != str(values[f"{band}/people"]):  # the band is hidden: so is all about it
            shown.update({f"{band}/{column}": "hidden" for column in ("reached", "enrolled", "neither")})
    return shown


def _h(text: Any) -> str:
    return html.escape(str(text))


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _day(day: dt.date, year: bool = True) -> str:
    return f"{day.day} {day:%b %Y}" if year else f"{day.day} {day:%b}"


def _span(start: dt.date, end: dt.date) -> str:
    return format_day_span(start, end, " to ")


def _n(count: int, singular: str, plural: str) -> str:
    """``1 task``, ``2 tasks``."""
    return f"{count} {singular if count == 1 else plural}"


def _clean(value) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA else str(value)


# A table of at most this many rows moves whole to the next printed page rather than split (a 3-row table cut
# in two reads as two tables); a longer one (every shooting of two weeks) breaks between rows where it must.
KEEP_WHOLE_ROWS = 12


def keep_small_tables_whole(body: str) -> str:
    """``body`` with each table of at most :data:`KEEP_WHOLE_ROWS` rows classed ``cf-keep`` (kept whole on paper).

    >>> keep_small_tables_whole('<table class="cf-table"><tr><td>1</td></tr></table>')
    '<table class="cf-table cf-keep"><tr><td>1</td></tr></table>'
    """
    parts = body.split('<table class="cf-table')
    for i in range(1, len(parts)):
        rows = parts[i].split("</table>", 1)[0].count("<tr")
        if rows <= KEEP_WHOLE_ROWS + 1:  # + the header row
            parts[i] = " cf-keep" + parts[i]
    return '<table class="cf-table'.join(parts)


def _pack_table(header: list[str], rows: list, caption: str = "", row_classes: list[str] | None = None) -> str:
    """A pack's table: one card per row on a phone (reader.css), as the worksheets', so no column the meeting
    acts on (area, group, "of whom enrolled") is cut off at the screen's edge."""
    return html_table(header, rows, caption, row_classes, stacked=True)


def _block(title: str, body: str) -> str:
    return f"<h3>{_h(title)}</h3>{keep_small_tables_whole(body)}"


def agenda_item(pack: MeetingPack, number: int, body: str) -> HTML:
    """One agenda item of the pack's meeting: its heading and purpose from the seed, then ``body``."""
    heading, purpose = AGENDAS[pack.params.meeting][number - 1]
    return HTML(f'<div class="cf-report cf-agenda"><h2>{number}. {_h(heading)}</h2>'
                f'<p class="cf-note">{_h(purpose)}</p>{body}</div>')


PACK_CSS = """
<style>
.cf-agenda h2 { border-bottom: 2px solid #444; padding-bottom: 0.15em; margin-top: 1.6em; }
table.cf-fill { width: 99%; }  /* 100% and the collapsed outer border falls off a printed page's edge */
table.cf-fill td { height: 2.4em; }
table.cf-fill th:nth-child(1) { width: 25%; } table.cf-fill th:nth-child(2) { width: 15%; }
@media print {
  /* Sections follow on from each other (a pack is short: no section starts a page of its own); a heading stays
     with what follows it, a sentence or a small table is never cut across two pages, a long listing breaks
     between its rows. */
  .cf-agenda h2, .cf-agenda h3 { page-break-after: avoid; break-after: avoid; }
  table.cf-table { page-break-inside: auto; break-inside: auto; }
  table.cf-keep, .cf-report p, .cf-report li { page-break-inside: avoid; break-inside: avoid; }
  .cf-report p { orphans: 3; widows: 3; }
  table.cf-fill { page-break-before: auto; }
  .cf-provenance { display: none; }
}
</style>
"""


def pack_header(pack: MeetingPack) -> HTML:
    """Title (the meeting and its day), the look-back window, the agenda, and the audience and data notes."""
    p = pack.params
    kind_label = "shooting review" if p.meeting == schema.SHOOTING_REVIEW else "coordination meeting"
    since = ("as set in the params file" if p.window_given else
             f"from the day of the {kind_label} of {_day(p.previous_meeting)} to the day before this meeting: the "
             "pack is prepared before the meeting" if p.previous_meeting else
             f"no earlier {kind_label} is on record, so the {DEFAULT_LOOK_BACK_DAYS[p.meeting]} days before this "
             "meeting")
    agenda = "".join(f"<li>{_h(heading)}</li>" for heading, _ in AGENDAS[p.meeting])
    written_for = (f" The params file was written for {p.notes_written_for}: its own look-back window and notes are "
                   "not used for this one." if p.notes_written_for else "")
    parts = [REPORT_CSS, PACK_CSS, '<div class="cf-report">',
             f"<h1>{_h(TITLES[p.meeting])}, {p.meeting_on:%A} {p.meeting_on.day} {p.meeting_on:%B %Y}</h1>",
             f"<p><strong>{_h(p.city)}</strong>. This pack looks back over {_span(p.start, p.end)} ({_h(since)})."
             f"{_h(written_for)}</p>",
             f"<p>Agenda:</p><ol>{agenda}</ol>",
             running_header_html(page_identity(p.city, f"meeting of {format_day(p.meeting_on)}", p.audience))]
    if pack.is_demo:
        parts.append('<div class="cf-banner">SYNTHETIC DEMO DATA: invented incidents, people and tasks.</div>')
    first, last = pack.data.date_range()
    if first is not None and p.start is not None and p.start < first:  # the data's start, as their end below
        parts.append(f'<p class="cf-note">The incident data start {_day(first)}: shootings before that day are not '
                     "in these figures.</p>")
    if last is not None and last < p.end:
        parts.append(f'<p class="cf-note">The incident data run to {_day(last)}: shootings after that day are not '
                     "in these figures.</p>")
    parts += [f'<p class="cf-note">{_h(line)}</p>' for line in empty_file_warnings(pack.data)]
    if p.audience == "partner":
        parts.append('<p class="cf-note">Prepared for a <strong>partner</strong> audience: no case numbers, no '
                     "participant-level information and no task descriptions; counts of people below "
                     f"{p.small_count_threshold} are shown as “fewer than {p.small_count_threshold}”.</p>")
    elif p.public:
        parts.append('<p class="cf-note">Prepared for a <strong>public</strong> audience: counts only, with no '
                     "shooting listed, no group named and no task owner; counts of people below "
                     f"{p.small_count_threshold} are hidden.</p>")
    parts.append("</div>")
    return HTML("".join(parts))


# --------------------------------------------------------------------------- building blocks (HTML text)

def _shootings_block(pack: MeetingPack) -> str:
    """Every shooting in the window (one row per incident; counts only in public packs), and the window in context."""
    p = pack.params
    window = rows_in_window(shooting_incidents(pack.data.incidents), "occurred_on", p.start, p.end)
    span = _span(p.start, p.end)
    if window.empty:
        listing = f"<p>No shooting is recorded from {span}.</p>"
    elif p.public:
        listing = (f"<p>{_n(len(window), 'shooting', 'shootings')} from {span} (a shooting with several victims "
                   "is one); the counts by type below count victims.</p>")
    else:
        # the year goes with each day when the window crosses a year or lies in another year than this one
        dated = p.start.year != p.end.year or p.end.year != dt.date.today().year
        rows = [([_clean(r["incident_id"])] if p.internal else []) +
                [f"{r['occurred_on']:%a} {_day(r['occurred_on'], year=dated)}", TYPE_LABELS[r["incident_type"]],
                 str(int(r["victims"])),
                 _clean(r.get("area")), _clean(r.get("group"))] for _, r in window.iterrows()]
        header = (["Case"] if p.internal else []) + ["Date", "Type", "Victims", "Area", "Group or conflict"]
        listing = _pack_table(header, rows, f"Every shooting from {span} ({len(window)})")
    data_start = pack.data.date_range()[0]
    comparison = weekly_comparison(pack.data.incidents, p.start, p.end, data_start)
    length = (p.end - p.start).days + 1
    recorded = {TYPE_LABELS[t] for t in recorded_incident_types(pack.data)}
    not_recorded = [NOT_RECORDED_TEXT.lower()] * 3  # a type the city does not record is not a count of 0
    # windows before the incident data start are not in the data: "n/a", never a count of 0
    before_data = f"n/a (before the data start, {_day(data_start)})" if data_start is not None else "n/a"
    in_data = comparison.attrs["windows_in_data"]
    cut = data_start is not None and p.start < data_start <= p.end

    def average(value: float) -> str:
        if in_data == 0:
            return before_data
        return format_decimal(value) + (f" (of the {in_data} window{'s' if in_data > 1 else ''} in the data)"
                                        if in_data < 4 else "")

    def this_window(count: int) -> str:
        if data_start is not None and p.end < data_start:
            return before_data
        return f"{count} (from {_day(data_start, year=False)} only)" if cut else str(count)

    crows = [[r["type"], this_window(r["this_window"]),
              before_data if is_missing(r["same_dates_last_year"]) else str(int(r["same_dates_last_year"])),
              average(r["average_of_4_before"])]
             if r["type"] in recorded else [r["type"], *not_recorded] for _, r in comparison.iterrows()]
    context = _pack_table(["Type (victims; incidents for non-injury)", f"{span}",
                          f"The same {length} days a year earlier ({_span(*same_days_years_earlier(p.start, p.end))})",
                          f"Average of the 4 previous {length}-day windows"], crows, "The window in context")
    if cut:
        context = (f'<p class="cf-note">The incident data start {_day(data_start)}: this window holds only '
                   f"{_span(data_start, p.end)}, so its counts are not a whole {length}-day window.</p>" + context)
    return _block(f"Shootings from {span}", listing + context)


def _unreviewed_block(pack: MeetingPack) -> str:
    p = pack.params
    title = "Earlier shootings not yet reviewed"
    if "reviewed_on" not in pack.data.incidents:
        return _block(title, "<p>The incident data have no reviewed_on column, so reviews cannot be tracked.</p>")
    pending = not_yet_reviewed(pack.data.incidents, p.start, p.meeting_on)
    span = f"{UNREVIEWED_DAYS} days to {_day(p.meeting_on)}, before {_day(p.start, year=False)}"
    if pending.empty:
        return _block(title, f"<p>Every shooting of the {span} has been reviewed.</p>")
    if p.public:
        counts = pending["incident_type"].map(TYPE_LABELS).value_counts()
        recorded = recorded_incident_types(pack.data)
        rows = [[label, str(int(counts.get(label, 0))) if t in recorded else NOT_RECORDED_TEXT.lower()]
                for t, label in TYPE_LABELS.items()]
        return _block(title, _pack_table(["Type", "Shootings"], rows, f"Not yet reviewed, {span} ({len(pending)})"))
    rows = [([_clean(r["incident_id"])] if p.internal else []) +
            [_day(r["occurred_on"]), TYPE_LABELS[r["incident_type"]], _clean(r.get("area")), _clean(r.get("group"))]
            for _, r in pending.iterrows()]
    header = (["Case"] if p.internal else []) + ["Date", "Type", "Area", "Group or conflict"]
    return _block(title, _pack_table(header, rows, f"Not yet reviewed, {span} ({len(pending)})"))


def flagged_cells(people: int, tied: int, per_group: pd.Series, params: MeetingParams
                  ) -> tuple[str, str, list[str]]:
    """The flagged people's total, the number tied to groups and the by-group rows, as the audience sees them.

    The rows (groups, then ``No group recorded``) add up to the total when nobody is flagged with two
    groups: partner and public packs hide small counts and whatever that sum would give away
    (:func:`privacy.suppress_cells`). The number tied to groups is the total less those with no group,
    so it is given only when both of those are shown ("fewer than 5" when the total is small, else "some").
    """
    counts = [int(n) for n in per_group]
    if not suppresses_small_counts(params.audience):
        return str(people), str(tied), [str(c) for c in counts]
    rows = [f"row/{i}" for i in range(len(counts))]
    values = {"total": people, **dict(zip(rows, counts))}
    relations = [Relation.total("total", rows)] if sum(counts) == people else []  # nobody in two groups
    hide = suppress_cells(values, relations, params.small_count_threshold)
    seen = [hidden_text(hide[c], params.small_count_threshold) if c in hide else str(values[c])
            for c in ["total"] + rows]
    no_group = [c for c, g in zip(rows, per_group.index) if g == NO_GROUP]
    if "total" not in hide and not any(c in hide for c in no_group):
        tied_shown = str(tied)
    else:
        tied_shown = hidden_text(SMALL, params.small_count_threshold) if hide.get("total") == SMALL else "some"
    return seen[0], tied_shown, seen[1:]


def _flagged_block(pack: MeetingPack, start: dt.date, end: dt.date, title: str) -> str:
    """People and groups flagged at shooting reviews from ``start`` to ``end``: counts, never names."""
    p = pack.params
    flags = pack.data.review_flags
    if flags is None:
        return _block(title, NO_FLAGS)
    people, tied, per_group = flagged_by_group(flags, start, end)
    groups = len(per_group) - (NO_GROUP in per_group.index)
    shown, tied_shown, cells = flagged_cells(people, tied, per_group, p)
    tied_text = f"{tied_shown} of them " if NO_GROUP in per_group.index else ""
    # "fewer than 5 of them tied to 0 groups" contradicts itself: with no group recorded, say that instead
    tie = (f", {tied_text}tied to {groups} {'group or conflict' if groups == 1 else 'groups or conflicts'}" if groups
           else ", none of them with a group or conflict recorded" if people else "")
    text = _sentence(f"{shown} {'person was' if shown == '1' else 'people were'} flagged at shooting reviews as at "
                     f"very high risk from {_span(start, end)}{tie}.")
    table = ""
    if len(per_group) and not p.public:
        table = _pack_table(["Group or conflict", "People flagged"], [[g, c] for g, c in zip(per_group.index, cells)],
                           "People flagged, by group")
    return _block(title, f"<p>{_h(text)}</p>" + table)


def _groups_block(pack: MeetingPack, only_repeat: bool) -> str:
    """Groups with recent shootings (30 and 90 days) and pairs of groups linked by one shooting."""
    p = pack.params
    title = "Active conflicts"
    if "group" not in pack.data.incidents:
        return _block(title, "<p>The incident data have no group column, so conflicts cannot be tracked.</p>")
    through = p.last_day  # as the pack's list of shootings
    groups = active_groups(pack.data.incidents, through)
    if only_repeat:
        groups = groups[groups["recent"] > 1]
        what = "groups or conflicts tied to more than one shooting in the 30 days to " + _day(through)
    else:
        what = "groups or conflicts tied to a shooting in the 90 days to " + _day(through)
    if groups.empty:
        body = f"<p>There are no {what}.</p>"
    elif p.public:
        body = f"<p>Number of {what}: {len(groups)}" + (
            "." if only_repeat else
            f", of which {int((groups['recent'] > 0).sum())} had a shooting in the last 30 days.")
        body += "</p>"
    else:
        rows = [[r["group"], str(r["recent"]), str(r["longer"]), _day(r["last_shooting"])]
                for _, r in groups.iterrows()]
        body = _pack_table(["Group or conflict", "Shootings, last 30 days", "Shootings, last 90 days", "Latest"],
                          rows, _sentence(what) + f" ({len(groups)})")
    pairs = linked_group_pairs(pack.data.incidents, through - dt.timedelta(days=89), through,
                               pack.data.tables.get("incident_people"), pack.data.review_flags)
    if pairs.empty:
        body += ("<p>No shooting of the last 90 days ties two groups together (through its own rows or the "
                 "groups of the people linked to it), so the data link no pair of groups.</p>")
    elif p.public:
        body += f"<p>Pairs of groups linked by shootings in the last 90 days: {len(pairs)}.</p>"
    else:
        rows = [[f"{r['group_a']} – {r['group_b']}", str(r["shootings"]), _day(r["last_shooting"])]
                for _, r in pairs.iterrows()]
        body += _pack_table(["Groups", "Shootings linking them", "Latest"], rows,
                           "Pairs of groups linked by shootings in the last 90 days")
    return _block(title, body)


def _deliverables_block(pack: MeetingPack) -> str:
    """Prior deliverables by owner: open, overdue (with days), completed since the last meeting of the kind."""
    p = pack.params
    tasks = pack.data.tasks
    title = "Where the deliverables stand"
    if tasks is None:
        return _block(title, NO_TASKS)
    since = p.previous_meeting or (p.meeting_on - dt.timedelta(days=DEFAULT_LOOK_BACK_DAYS[p.meeting]))
    by_owner = deliverables_by_owner(tasks, p.meeting_on, since)
    since_label = f"Completed since {_day(since, year=False)}" + (" (last review)" if p.previous_meeting else "")
    if p.public:
        totals = by_owner[["open", "overdue", "completed_since"]].sum()
        return _block(title, f"<p>Deliverables open on {_day(p.meeting_on)}: {int(totals['open'])}, of which "
                             f"{int(totals['overdue'])} overdue. Completed since {_day(since)}: "
                             f"{int(totals['completed_since'])}.</p>")
    rows = [[r["owner"], str(r["open"]), str(r["overdue"]), f"{r['most_days_overdue']} days" if r["overdue"] else "—",
             str(r["completed_since"])] for _, r in by_owner.iterrows()]
    summary = _pack_table(["Owner", f"Open on {_day(p.meeting_on, year=False)}", "Overdue", "Most overdue",
                          since_label], rows,
                         "Deliverables by owner")
    open_now = open_on(tasks, p.meeting_on)
    overdue = open_now[open_now["due_on"] < pd.Timestamp(p.meeting_on)]
    overdue = overdue.assign(_days=days_overdue(overdue, p.meeting_on)).sort_values("_days", ascending=False)
    # Descriptions are free text and may name people: internal packs only.
    detail_rows = [[r["owner"]] + ([_clean(r.get("description"))] if p.internal else []) +
                   [_day(r["due_on"]), f"{r['_days']} days"] for _, r in overdue.iterrows()]
    header = ["Owner"] + (["Deliverable"] if p.internal else []) + ["Due", "Overdue by"]
    detail = _pack_table(header, detail_rows, f"Overdue deliverables ({len(detail_rows)})") if detail_rows else \
        "<p>Nothing is overdue.</p>"
    return _block(title, summary + detail)


def _since_last_block(pack: MeetingPack) -> str:
    """Direct communications and enrolments from the window's first day to the meeting."""
    p = pack.params
    communications, enrolments = pack.data.communications, pack.data.case_management
    labels = ["People reached at call-ins", "People reached by custom notification", "New case-management enrolments"]
    counts = [0, 0, 0]
    if communications is not None:
        comms = rows_in_window(communications, "occurred_on", p.start, p.end)
        counts[:2] = [int(comms.loc[comms["kind"] == schema.CALL_IN, "participant_id"].nunique()),
                      int(comms.loc[comms["kind"] == schema.CUSTOM_NOTIFICATION, "participant_id"].nunique())]
    if enrolments is not None:
        counts[2] = int(rows_in_window(enrolments, "enrolled_on", p.start, p.end)["participant_id"].nunique())
    cells = people_count_cells(counts, p)
    # a file the city does not keep is not a count of zero
    recorded = [communications is not None] * 2 + [enrolments is not None]
    cells = [cell if known else NOT_RECORDED_TEXT.lower() for cell, known in zip(cells, recorded)]
    return _block("Communications and enrolments since the last meeting",
                  _pack_table(["Activity", _span(p.start, p.end)], [list(r) for r in zip(labels, cells)], ""))


def _chronic_block(pack: MeetingPack) -> str:
    p = pack.params
    title = f"People flagged at shooting reviews in the last {FLAGGED_HISTORY_DAYS} days"
    if pack.data.review_flags is None:
        return _block(title, NO_FLAGS)
    people = flags_over_time(pack.data.review_flags, pack.data.communications, pack.data.case_management,
                             p.meeting_on)
    table = flags_by_reviews(people)
    first = p.meeting_on - dt.timedelta(days=FLAGGED_HISTORY_DAYS - 1)
    # the pack also prints the people flagged since the last meeting, a window inside this one
    within = flagged_by_group(pack.data.review_flags, p.start, p.end)[0] \
        if first <= p.start and p.end <= p.meeting_on else None
    shown = flagged_by_reviews_cells(table, len(people), p, within)
    rows = [[band] + [shown[f"{band}/{column}"] for column in ("people", "reached", "enrolled", "neither")]
            for band in table["flagged_at"]]
    total = shown["total"]
    intro = (f"<p>{_h(_sentence(total))} {'person was' if total == '1' else 'people were'} flagged at one or more "
             f"shooting reviews from {_span(first, p.meeting_on)}. "
             "Reached means a call-in or custom notification, enrolled a case-management enrolment, at any time up to "
             f"{_day(p.meeting_on)}. People flagged again and again and still not reached are the ones to plan "
             "for.</p>")
    body = intro + _pack_table(["Flagged at", "People", "Of whom reached", "Of whom enrolled", "Neither"], rows,
                              "People flagged at shooting reviews, by how many reviews flagged them")
    body += ('<p class="cf-note">Names are not shown in any pack: the package holds only pseudonyms. The chair '
             "works from the police list for the people behind these counts.</p>")
    return _block(title, body)


def _partnership_block(pack: MeetingPack) -> str:
    p = pack.params
    through = p.last_day
    first = through - dt.timedelta(days=89)
    if pack.data.meetings is None:
        parts = [_block("Lead attendance", f"<p>Meetings are {NOT_RECORDED_TEXT.lower()}: add meetings.csv to count "
                                           "them.</p>")]
    else:
        attendance = lead_attendance(pack.data.meetings, p.meeting, first, through)
        parts = [_block("Lead attendance", _pack_table(
            ["Coordination meetings, " + _span(first, through), "Number"],
            [["Scheduled", str(attendance["scheduled"])], ["Held", str(attendance["held"])],
             ["Held with the police lead present", str(attendance["opd_lead_present"])],
             ["Held with the human-services lead present", str(attendance["hsd_lead_present"])]], ""))]
    tasks = pack.data.tasks
    if tasks is None:
        parts.append(_block("Tasks", NO_TASKS))
    else:
        by_owner = deliverables_by_owner(tasks, p.meeting_on, p.previous_meeting or p.start)
        overdue = by_owner[by_owner["overdue"] > 0].sort_values("overdue", ascending=False)
        if overdue.empty:
            table = "<p>No task is overdue.</p>"
        elif p.public:
            table = (f"<p>Tasks overdue on {_day(p.meeting_on)}: {int(overdue['overdue'].sum())}, held by "
                     f"{_n(len(overdue), 'owner', 'owners')}.</p>")
        else:
            table = _pack_table(["Owner", "Open", "Overdue", "Most overdue"],
                               [[r["owner"], str(r["open"]), str(r["overdue"]), f"{r['most_days_overdue']} days"]
                                for _, r in overdue.iterrows()], f"Tasks overdue on {_day(p.meeting_on)}, by owner")
        due, done, rate = on_time_rate(tasks, first, through)
        rate_text = (f"Of {_n(due, 'task', 'tasks')} due from {_span(first, through)}, {done} "
                     f"{'was' if done == 1 else 'were'} completed on time "
                     f"({format_share(rate)})." if due else "No task fell due in the last 90 days.")
        parts.append(_block("Tasks overdue and on time", table + f"<p>{_h(rate_text)}</p>"))
    if p.public:
        notes = "<p>The partnership's own notes are not part of the public pack.</p>"
    elif p.notes_written_for:  # the notebook asked for another day than the params file's: its notes are not this one's
        notes = (f"<p>The notes in the params file were written for {_h(p.notes_written_for)}, so they are not shown "
                 f"for this one ({_h(_day(p.meeting_on))}).</p>")
    elif any(visible_note(n, p.audience) for n in p.partnership_notes):
        notes = "<ul>" + "".join(f"<li>{_h(visible_note(n, p.audience))}</li>" for n in p.partnership_notes
                                 if visible_note(n, p.audience)) + "</ul>"
    else:
        notes = "<p>None recorded.</p>"
    parts.append(_block("Notes: coordination, boundaries, client concerns about law enforcement, resource needs",
                        notes))
    return "".join(parts)


def _new_tasks_block(pack: MeetingPack) -> str:
    """An empty table to fill in during the meeting, one row per new task, that prints on paper."""
    rows = [["", "", ""] for _ in range(NEW_TASK_ROWS)]
    table = html_table(["Owner", "Due date", "Task (what, for which shooting or group)"], rows, "New tasks")
    return table.replace('<table class="cf-table">', '<table class="cf-table cf-fill">', 1)


# --------------------------------------------------------------------------- agenda items, in order

def prior_deliverables_html(pack: MeetingPack) -> HTML:
    """Shooting review, item 1: review prior deliverables."""
    return agenda_item(pack, 1, _deliverables_block(pack))


def all_shootings_html(pack: MeetingPack) -> HTML:
    """Shooting review, item 2: every shooting since the last review, earlier ones not yet reviewed, and
    the people and groups flagged at reviews in the last 30 days."""
    p = pack.params
    recent = p.meeting_on - dt.timedelta(days=FLAGGED_RECENT_DAYS - 1)
    flagged = _flagged_block(pack, recent, p.meeting_on, f"Flagged at reviews in the last {FLAGGED_RECENT_DAYS} days")
    return agenda_item(pack, 2, _shootings_block(pack) + _unreviewed_block(pack) + flagged)


def near_term_strategy_html(pack: MeetingPack) -> HTML:
    """Shooting review, item 3: the groups and conflicts to focus on."""
    return agenda_item(pack, 3, _groups_block(pack, only_repeat=True))


def new_tasks_html(pack: MeetingPack) -> HTML:
    """Shooting review, item 4: a table to assign new tasks and deliverables in the room."""
    return agenda_item(pack, 4, _new_tasks_block(pack))


def risk_assessment_html(pack: MeetingPack) -> HTML:
    """Coordination, item 1: shootings since the last coordination meeting and people flagged since then."""
    p = pack.params
    return agenda_item(pack, 1, _shootings_block(pack) +
                       _flagged_block(pack, p.start, p.end, "Flagged at shooting reviews since the last meeting"))


def coordination_strategy_html(pack: MeetingPack) -> HTML:
    """Coordination, item 2: active conflicts, and the outreach and enrolments since the last meeting."""
    return agenda_item(pack, 2, _groups_block(pack, only_repeat=False) + _since_last_block(pack))


def chronic_risk_html(pack: MeetingPack) -> HTML:
    """Coordination, item 3: people flagged at review after review, and whether they have been reached."""
    return agenda_item(pack, 3, _chronic_block(pack))


def partnership_health_html(pack: MeetingPack) -> HTML:
    """Coordination, item 4: lead attendance, tasks overdue by owner, on-time rate, the params file's notes."""
    return agenda_item(pack, 4, _partnership_block(pack))


def pack_provenance(pack: MeetingPack) -> HTML:
    inputs = "; ".join(f"{Path(i.path).name} sha256 {i.sha256}" for i in pack.data.inputs)
    text = (f"Provenance — {pack.params.folder_id}; params: {provenance_label(pack.params_label, pack.params.audience)}; ceasefire_analysis {__version__}; "
            f"inputs: {inputs}; run at {pack.opened_at.isoformat(timespec='seconds')}.")
    return HTML(f'<p class="cf-provenance">{_h(text)}</p>')
