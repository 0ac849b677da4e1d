"""Meeting packs: the weekly shooting review and the bi-weekly coordination meeting.

Their agendas (seed deck): review prior deliverables; review every fatal, non-fatal and
non-injury shooting since the last review; agree the near-term strategy; assign new
tasks. A params file with ``meeting: shooting_review`` (``week_start``, ``week_end``) or
``meeting: coordination`` (``window_start``, ``window_end``) renders one pack.

Task arithmetic: a task completed on or before its due date is on time; an open task
is overdue by the days from its due date to the day of reckoning.
"""
from __future__ import annotations

import datetime as dt
import html
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from IPython.display import HTML

from . import schema
from .config import resolve_path
from .errors import ParamsError
from .indicators import rows_in_window
from .loading import CityData, load_data_dir
from .params import AUDIENCES, notebook_params
from .tables import REPORT_CSS, html_table

MEETING_KEYS = ("meeting", "city", "data_dir", "week_start", "week_end", "window_start", "window_end", "audience",
                "small_count_threshold")
WINDOW_KEYS = {schema.SHOOTING_REVIEW: ("week_start", "week_end"), schema.COORDINATION: ("window_start", "window_end")}
TITLES = {schema.SHOOTING_REVIEW: "Weekly shooting review", schema.COORDINATION: "Coordination meeting"}
NO_TASKS = "<p>There is no task data: add tasks.csv (see docs/data_dictionary.md) to track deliverables.</p>"
TYPE_LABELS = {schema.HOMICIDE: "Homicide", schema.NONFATAL: "Non-fatal injury shooting",
               schema.NON_INJURY: "Non-injury shooting"}


@dataclass(frozen=True)
class MeetingParams:
    meeting: str
    city: str
    data_dir: Path
    start: dt.date
    end: dt.date
    audience: str = "internal"
    small_count_threshold: int = 5
    source: str = ""

    @property
    def folder_id(self) -> str:
        return f"{self.meeting}_{self.start.isoformat()}"


def _date(value: Any, key: str, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ParamsError(f"'{key}'{where} must be a date written YYYY-MM-DD, got {value!r}") from None


def meeting_params_from_values(values: dict[str, Any], source: str = "") -> MeetingParams:
    """Check a meeting params file's values; errors name the key."""
    where = f" in {source}" if source else ""
    unknown = sorted(set(values) - set(MEETING_KEYS))
    if unknown:
        raise ParamsError(f"unknown key(s) {', '.join(repr(k) for k in unknown)}{where}; a meeting params file "
                          f"takes: {', '.join(MEETING_KEYS)}")
    meeting = values.get("meeting")
    if meeting not in WINDOW_KEYS:
        raise ParamsError(f"'meeting'{where} must be one of {', '.join(WINDOW_KEYS)}, got {meeting!r}")
    first_key, last_key = WINDOW_KEYS[meeting]
    for key in ("city", "data_dir", first_key, last_key):
        if values.get(key) in (None, ""):
            raise ParamsError(f"'{key}' is required{where} for a {meeting} pack")
    wrong = [k for ks in WINDOW_KEYS.values() for k in ks if k not in (first_key, last_key) and values.get(k)]
    if wrong:
        raise ParamsError(f"'{wrong[0]}'{where} does not apply to a {meeting} pack; use {first_key} and {last_key}")
    start, end = _date(values[first_key], first_key, where), _date(values[last_key], last_key, where)
    if end < start:
        raise ParamsError(f"'{last_key}'{where} ({end}) is before '{first_key}' ({start})")
    audience = values.get("audience") or "internal"
    if audience not in AUDIENCES:
        raise ParamsError(f"'audience'{where} must be one of {', '.join(AUDIENCES)}")
    threshold = values.get("small_count_threshold") or 5
    if not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 1:
        raise ParamsError(f"'small_count_threshold'{where} must be a whole number of 1 or more")
    return MeetingParams(meeting, str(values["city"]), resolve_path(values["data_dir"]), start, end, audience,
                         threshold, source)


def is_meeting_params(values: dict[str, Any]) -> bool:
    return "meeting" in values


# --------------------------------------------------------------------------- task arithmetic

def is_on_time(tasks: pd.DataFrame) -> pd.Series:
    """Completed on or before the due date (a task finished on its due date is on time).

    >>> t = pd.DataFrame({"due_on": pd.to_datetime(["2017-03-10"] * 3),
    ...                   "completed_on": pd.to_datetime(["2017-03-10", "2017-03-11", None])})
    >>> is_on_time(t).tolist()
    [True, False, False]
    """
    return (tasks["completed_on"].notna() & (tasks["completed_on"] <= tasks["due_on"])).astype(bool)


def open_on(tasks: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """Tasks assigned on or before ``day`` and not completed on or before it."""
    stamp = pd.Timestamp(day)
    return tasks[(tasks["assigned_on"] <= stamp) & ~(tasks["completed_on"] <= stamp)]


def days_overdue(tasks: pd.DataFrame, day: dt.date) -> pd.Series:
    """Days past due at ``day`` for open tasks (0 when not yet due).

    >>> t = pd.DataFrame({"due_on": pd.to_datetime(["2017-03-01", "2017-03-20"])})
    >>> days_overdue(t, dt.date(2017, 3, 10)).tolist()
    [9, 0]
    """
    return (pd.Timestamp(day) - tasks["due_on"]).dt.days.clip(lower=0).astype(int)


def on_time_rate(tasks: pd.DataFrame, start: dt.date, end: dt.date) -> tuple[int, int, float]:
    """Of the tasks due from ``start`` to ``end``: how many, how many done on time, and the share (NaN if none)."""
    due = rows_in_window(tasks, "due_on", start, end)
    done = int(is_on_time(due).sum())
    return len(due), done, (done / len(due) if len(due) else math.nan)


def median_days_to_complete(tasks: pd.DataFrame, start: dt.date, end: dt.date) -> float:
    """Median days from assignment to completion of tasks completed from ``start`` to ``end`` (NaN if none)."""
    done = rows_in_window(tasks, "completed_on", start, end)
    if done.empty:
        return math.nan
    return float((done["completed_on"] - done["assigned_on"]).dt.days.median())


def last_meeting_before(meetings: pd.DataFrame, kind: str, day: dt.date) -> dt.date | None:
    """Date of the last meeting of ``kind`` held before ``day``."""
    held = meetings[(meetings["kind"] == kind) & meetings["held"].fillna(False)
                    & (meetings["scheduled_on"] < pd.Timestamp(day))]
    return None if held.empty else held["scheduled_on"].max().date()


def repeat_groups(incidents: pd.DataFrame, end: dt.date, days: int = 30) -> pd.DataFrame:
    """Groups or conflicts tied to more than one shooting in the ``days`` days to ``end``."""
    if "group" not in incidents:
        return pd.DataFrame(columns=["group", "shootings", "last_shooting"])
    start = pd.Timestamp(end) - pd.Timedelta(days=days - 1)
    recent = incidents[(incidents["occurred_on"] >= start) & (incidents["occurred_on"] <= pd.Timestamp(end))
                       & incidents["group"].notna()]
    per_incident = recent.drop_duplicates(["incident_id"])
    counts = per_incident.groupby("group").agg(shootings=("incident_id", "nunique"), last_shooting=("occurred_on", "max"))
    counts = counts[counts["shootings"] > 1].sort_values(["shootings", "last_shooting"], ascending=False)
    return counts.reset_index()


def shooting_incidents(incidents: pd.DataFrame) -> pd.DataFrame:
    """One row per shooting incident (victim rows of one case merged), with its most serious type."""
    rank = {schema.HOMICIDE: 0, schema.NONFATAL: 1, schema.NON_INJURY: 2}
    ordered = incidents.assign(_rank=incidents["incident_type"].map(rank)).sort_values(["incident_id", "_rank"])
    victims = incidents.groupby("incident_id").size().rename("victims")
    out = ordered.drop_duplicates("incident_id").drop(columns="_rank").join(victims, on="incident_id")
    out.loc[out["incident_type"] == schema.NON_INJURY, "victims"] = 0
    return out.sort_values(["occurred_on", "incident_id"]).reset_index(drop=True)


def weekly_comparison(incidents: pd.DataFrame, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Counts by type in the window, the same dates a year earlier, and the average of the four windows before."""
    length = (end - start).days + 1

    def counts(a: pd.Timestamp, b: pd.Timestamp) -> pd.Series:
        rows = incidents[(incidents["occurred_on"] >= a) & (incidents["occurred_on"] <= b)]
        return rows["incident_type"].value_counts().reindex(list(TYPE_LABELS), fill_value=0)

    s, e = pd.Timestamp(start), pd.Timestamp(end)
    this = counts(s, e)
    year_ago = counts(s - pd.DateOffset(years=1), e - pd.DateOffset(years=1))
    before = [counts(s - pd.Timedelta(days=length * k), e - pd.Timedelta(days=length * k)) for k in range(1, 5)]
    average = sum(before) / 4
    return pd.DataFrame({"type": [TYPE_LABELS[t] for t in TYPE_LABELS], "this_window": this.to_numpy(),
                         "same_dates_last_year": year_ago.to_numpy(), "average_of_4_before": average.to_numpy()})


# --------------------------------------------------------------------------- the packs

@dataclass
class MeetingPack:
    params: MeetingParams
    data: CityData
    params_label: str
    opened_at: dt.datetime = field(default_factory=lambda: dt.datetime.now().astimezone())

    @property
    def is_demo(self) -> bool:
        from .config import is_demo_dir
        return is_demo_dir(self.params.data_dir)


def open_meeting(params_file: str | None = None, **given: Any) -> MeetingPack:
    """Load a meeting pack's parameters (injected keys, or else the params file) and data."""
    params, label = notebook_params(params_file, given, meeting_params_from_values)
    return MeetingPack(params, load_data_dir(params.data_dir), label)


def _h(text: str) -> str:
    return html.escape(str(text))


def pack_header(pack: MeetingPack) -> HTML:
    p = pack.params
    parts = [REPORT_CSS, '<div class="cf-report">', f"<h1>{_h(TITLES[p.meeting])}: {p.start:%d %b} – {p.end:%d %b %Y}</h1>",
             f"<p><strong>{_h(p.city)}</strong>. Agenda: review prior deliverables; review every shooting since "
             "the last meeting; agree the near-term strategy; assign new tasks.</p>"]
    if pack.is_demo:
        parts.append('<div class="cf-banner">SYNTHETIC DEMO DATA: invented incidents, people and tasks.</div>')
    if p.audience != "internal":
        parts.append(f'<p class="cf-note">Prepared for a <strong>{_h(p.audience)}</strong> audience: counts of '
                     "people and groups only, no names or case numbers.</p>")
    parts.append("</div>")
    return HTML("".join(parts))


def shootings_html(pack: MeetingPack) -> HTML:
    """Every shooting in the window (one row per incident), with the week's counts in context."""
    p = pack.params
    incidents = shooting_incidents(pack.data.incidents)
    window = rows_in_window(incidents, "occurred_on", p.start, p.end)
    internal = p.audience == "internal"
    rows = []
    for _, r in window.iterrows():
        row = [f"{r['occurred_on']:%a %d %b}", TYPE_LABELS[r["incident_type"]], str(int(r["victims"])),
               _clean(r.get("area")), _clean(r.get("group"))]
        rows.append(([_clean(r["incident_id"])] if internal else []) + row)
    header = (["Case"] if internal else []) + ["Date", "Type", "Victims", "Area", "Group or conflict"]
    listing = html_table(header, rows, f"Every shooting from {p.start:%d %b} to {p.end:%d %b %Y} ({len(window)})") \
        if rows else f"<p>No shooting is recorded from {p.start:%d %b} to {p.end:%d %b %Y}.</p>"
    comparison = weekly_comparison(pack.data.incidents, p.start, p.end)
    length = (p.end - p.start).days + 1
    crows = [[r["type"], str(r["this_window"]), str(r["same_dates_last_year"]), f"{r['average_of_4_before']:.1f}"]
             for _, r in comparison.iterrows()]
    context = html_table(["Type (victims; incidents for non-injury)", "This window", "Same dates last year",
                          f"Average of the 4 previous {length}-day windows"], crows, "The window in context")
    return HTML('<div class="cf-report">' + listing + context + "</div>")


def section(title: str, body: str) -> HTML:
    """One titled section of a meeting pack."""
    return HTML(f'<div class="cf-report"><h2>{_h(title)}</h2>{body}</div>')


def _clean(value) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA else str(value)


def unreviewed_html(pack: MeetingPack) -> HTML:
    p = pack.params
    incidents = shooting_incidents(pack.data.incidents)
    if "reviewed_on" not in incidents:
        return section("Not yet reviewed", "<p>The incident data have no reviewed_on column, so reviews cannot "
                                           "be tracked.</p>")
    upto = incidents[incidents["occurred_on"] <= pd.Timestamp(p.end)]
    pending = upto[upto["reviewed_on"].isna() | (upto["reviewed_on"] > pd.Timestamp(p.end))]
    pending = pending[pending["occurred_on"] >= pd.Timestamp(p.end) - pd.Timedelta(days=89)]
    internal = p.audience == "internal"
    rows = [([_clean(r["incident_id"])] if internal else []) +
            [f"{r['occurred_on']:%d %b %Y}", TYPE_LABELS[r["incident_type"]], _clean(r.get("area"))]
            for _, r in pending.iterrows()]
    body = html_table((["Case"] if internal else []) + ["Date", "Type", "Area"], rows,
                      f"Shootings of the last 90 days not yet reviewed ({len(pending)})") if rows else \
        "<p>Every shooting of the last 90 days has been reviewed.</p>"
    return section("Not yet reviewed", body)


def deliverables_html(pack: MeetingPack) -> HTML:
    """Prior deliverables by owner: open, overdue (with days), completed since the last meeting."""
    p = pack.params
    tasks = pack.data.tasks
    if tasks is None:
        return section("Prior deliverables", NO_TASKS)
    last = last_meeting_before(pack.data.meetings, p.meeting, p.start)
    since = last or (p.start - dt.timedelta(days=7))
    open_now = open_on(tasks, p.end)
    overdue = open_now[open_now["due_on"] < pd.Timestamp(p.end)]
    completed = tasks[(tasks["completed_on"] > pd.Timestamp(since)) & (tasks["completed_on"] <= pd.Timestamp(p.end))]
    owners = sorted(set(open_now["owner"]) | set(completed["owner"]))
    rows = []
    for owner in owners:
        o_over = overdue[overdue["owner"] == owner]
        worst = int(days_overdue(o_over, p.end).max()) if len(o_over) else 0
        rows.append([owner, str(int((open_now["owner"] == owner).sum())), str(len(o_over)),
                     f"{worst} days" if len(o_over) else "—", str(int((completed["owner"] == owner).sum()))])
    summary = html_table(["Owner", f"Open on {p.end:%d %b}", "Overdue", "Most overdue",
                          f"Completed since {since:%d %b}"], rows, "Deliverables by owner")
    # Descriptions are free text and may name people: internal packs only.
    internal = p.audience == "internal"
    detail_rows = [[r["owner"]] + ([_clean(r.get("description"))] if internal else []) +
                   [f"{r['due_on']:%d %b %Y}", f"{d} days"]
                   for (_, r), d in zip(overdue.iterrows(), days_overdue(overdue, p.end))]
    detail_rows.sort(key=lambda r: -int(r[-1].split()[0]))
    header = ["Owner"] + (["Deliverable"] if internal else []) + ["Due", "Overdue by"]
    detail = html_table(header, detail_rows,
                        f"Overdue deliverables ({len(detail_rows)})") if detail_rows else "<p>Nothing is overdue.</p>"
    return section("Prior deliverables", summary + detail)


def repeat_groups_html(pack: MeetingPack) -> HTML:
    groups = repeat_groups(pack.data.incidents, pack.params.end)
    rows = [[r["group"], str(r["shootings"]), f"{r['last_shooting']:%d %b %Y}"] for _, r in groups.iterrows()]
    body = html_table(["Group or conflict", "Shootings", "Latest"], rows,
                      "Groups or conflicts with more than one shooting in the last 30 days") if rows else \
        "<p>No group or conflict is tied to more than one shooting in the last 30 days.</p>"
    return section("Active conflicts", body)


def flagged_html(pack: MeetingPack) -> HTML:
    """People and groups flagged at shooting reviews in the window: counts, never names."""
    p = pack.params
    flags = pack.data.review_flags
    if flags is None:
        return section("Flagged at shooting reviews",
                       "<p>There is no review_flags.csv, so flagged people cannot be counted.</p>")
    window = rows_in_window(flags, "flagged_on", p.start, p.end)
    people = window["participant_id"].nunique()
    threshold = p.small_count_threshold
    shown = f"fewer than {threshold}" if p.audience != "internal" and 0 < people < threshold else str(people)
    groups = window["group"].dropna().value_counts() if "group" in window else pd.Series(dtype=int)
    rows = [[g, (f"fewer than {threshold}" if p.audience != "internal" and n < threshold else str(n))]
            for g, n in groups.items()]
    table = html_table(["Group or conflict", "People flagged"], rows, "By group") if rows else ""
    return section("Flagged at shooting reviews",
                   f"<p>{shown} people and {len(groups)} groups or conflicts were flagged as at very high risk from "
                   f"{p.start:%d %b} to {p.end:%d %b %Y}.</p>" + table)


def tasks_by_owner_html(pack: MeetingPack) -> HTML:
    """Open tasks by owner and age, and the on-time completion rate over the last 90 days."""
    p = pack.params
    tasks = pack.data.tasks
    if tasks is None:
        return section("Tasks", NO_TASKS)
    open_now = open_on(tasks, p.end)
    age = (pd.Timestamp(p.end) - open_now["assigned_on"]).dt.days
    rows = []
    for owner, ages in age.groupby(open_now["owner"]):
        rows.append([owner, str(len(ages)), f"{ages.median():.0f}", str(int(ages.max()))])
    table = html_table(["Owner", "Open tasks", "Median age (days)", "Oldest (days)"], rows, "Open tasks by owner")
    due, done, rate = on_time_rate(tasks, p.end - dt.timedelta(days=89), p.end)
    rate_text = (f"Of {due} deliverables due in the 90 days to {p.end:%d %b %Y}, {done} were completed on time "
                 f"({rate:.0%})." if due else "No deliverable fell due in the last 90 days.")
    return section("Tasks", table + f"<p>{rate_text}</p>")


def since_last_meeting_html(pack: MeetingPack) -> HTML:
    """Direct communications and enrolments since the last coordination meeting."""
    p = pack.params
    last = last_meeting_before(pack.data.meetings, p.meeting, p.start)
    since = (last + dt.timedelta(days=1)) if last else p.start
    window = rows_in_window(pack.data.communications, "occurred_on", since, p.end)
    enrolled = rows_in_window(pack.data.case_management, "enrolled_on", since, p.end)
    rows = [["People reached at call-ins", str(window.loc[window["kind"] == schema.CALL_IN, "participant_id"].nunique())],
            ["People reached by custom notification",
             str(window.loc[window["kind"] == schema.CUSTOM_NOTIFICATION, "participant_id"].nunique())],
            ["New case-management enrolments", str(len(enrolled))]]
    if p.audience != "internal":
        rows = [[label, f"fewer than {p.small_count_threshold}" if 0 < int(n) < p.small_count_threshold else n]
                for label, n in rows]
    return section("Since the last meeting", html_table(["Activity", f"{since:%d %b} – {p.end:%d %b %Y}"], rows, ""))


def pack_provenance(pack: MeetingPack) -> HTML:
    from . import __version__
    inputs = "; ".join(f"{Path(i.path).name} sha256 {i.sha256}" for i in pack.data.inputs)
    text = (f"Provenance — {pack.params.folder_id}; params: {pack.params_label}; ceasefire_analysis {__version__}; "
            f"inputs: {inputs}; run at {pack.opened_at.isoformat(timespec='seconds')}.")
    return HTML(f'<p class="cf-provenance">{_h(text)}</p>')
