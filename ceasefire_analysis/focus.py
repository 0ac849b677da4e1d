"""Worksheet 3, "Focus, scale and quality": is the partnership working with the right people,
at the right scale, fast enough?

The seed asks whether the work has "the right focus, at the right scale and with the right
quality to reduce violence citywide". These indicators answer it from records, following the
questions of the evaluations of Oakland's strategy: how much of the violence involves groups,
whether the people shot or suspected were known to the partnership beforehand, how fast it
reaches people after a shooting, how much of the estimated very-high-risk population it
reaches, what happens to people flagged at shooting reviews, and where the city stands on its
"safe city" path. Definitions, with their tie rules, are in ``docs/indicators.md``.

This module sits below ``indicators`` and ``loading`` in the import order (it takes the
tables as a plain dict), so the period review can add its rows without an import cycle.
The functions above ``focus_worksheet`` are pure: they take DataFrames and plain values. An
indicator whose input (file, column or parameter) a city does not have is a row with status
``not_recorded`` and no actual. Counts of people are protected for partner and public
audiences in one place, :func:`protect_people_counts`, through the privacy module's relation-aware
suppression.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import replace
from fractions import Fraction

import pandas as pd

from . import schema
from .coverage import data_coverage_of
from .formatting import format_count
from .indicators import share_pct
from .params import ReviewParams
from .periods import Month, ReviewWindows, Window, exact, round_half_up
from .privacy import (COMPLEMENTARY, SMALL, Relation, earlier_report_relations, earlier_report_windows, suppress_cells,
                      suppresses_small_counts, window_difference)
from .schema import NOT_RECORDED, SUSPECT, VICTIM, WINDOW_AS_OF, WINDOW_YEAR, WINDOW_YTD

WORKSHEET = "focus"
SHOOTING_TYPES = (schema.HOMICIDE, schema.NONFATAL)
RESPONSE_DAYS = 14
RETENTION_DAYS = 90
REACH_DAYS = 365
ROLE_SUFFIXES = {None: "", VICTIM: "_victims", SUSPECT: "_suspects"}

SECTIONS = {
    "group": "1. Group involvement",
    "known": "2. Known before the shooting",
    "groups": "3. Groups reached before their shootings",
    "response": "4. Response after a group-involved shooting",
    "scale": "5. Scale",
    "flagged": "6. People flagged at shooting reviews",
    "safe_city": "7. Safe-city path",
}
FOCUS_LABELS = {
    "group_involved_homicides_pct": "Homicides that were group-involved",
    "group_involved_nonfatal_injury_shootings_pct": "Non-fatal injury shootings that were group-involved",
    "known_before_people": "People linked to a shooting in the partnership's records (victims and suspects)",
    "known_before_reached_pct": "  of them, reached by direct communication before the shooting",
    "known_before_enrolled_pct": "  of them, enrolled in case management before the shooting",
    "known_before_people_victims": "Victims identified in the partnership's records",
    "known_before_reached_pct_victims": "  of these victims, reached before they were shot",
    "known_before_enrolled_pct_victims": "  of these victims, enrolled before they were shot",
    "known_before_people_suspects": "Suspects identified in the partnership's records",
    "known_before_reached_pct_suspects": "  of these suspects, reached before the shooting",
    "known_before_enrolled_pct_suspects": "  of these suspects, enrolled before the shooting",
    "groups_involved": "Groups tied to group-involved shootings",
    "groups_reached_pct": "  with a flagged member reached in the year before their first shooting",
    "response_median_days": "Median days from a group-involved shooting to the first direct communication",
    "response_within_14_days_pct": "Group-involved shootings followed by a direct communication within 14 days",
    "response_none": "Group-involved shootings with no direct communication yet",
    "reach_vs_vhr_pct": "People reached in the last 365 days, as a share of the estimated very-high-risk population",
    "flagged_people": "People first flagged at a shooting review this year",
    "flagged_reached": "  reached by direct communication since",
    "flagged_enrolled": "  enrolled in case management since",
    "flagged_retained_90_days_pct": "  enrolments still open 90 days after they began",
    "flagged_median_days_to_communication": "  median days from flag to first direct communication",
    "flagged_median_days_communication_to_enrolment": "  median days from first communication to enrolment",
    "safe_city_shootings": "Homicides and non-fatal injury shootings against the safe-city path",
}


# --------------------------------------------------------------------------- inputs

def shootings(incidents: pd.DataFrame) -> pd.DataFrame:
    """Homicide and non-fatal injury shooting rows (one per victim), as counted in Worksheet 1."""
    return incidents[incidents["incident_type"].isin(SHOOTING_TYPES)]


def people_shot(incidents: pd.DataFrame, start: dt.date, end: dt.date) -> int:
    """Everyone shot from ``start`` to ``end`` (homicide and non-fatal injury shooting rows, one per victim),
    known to the partnership or not: Worksheet 1's two counts together.

    >>> df = pd.DataFrame({"occurred_on": pd.to_datetime(["2017-01-31", "2017-02-01", "2017-02-02"]),
    ...                    "incident_type": ["homicide", "nonfatal_injury_shooting", "non_injury_shooting"]})
    >>> people_shot(df, dt.date(2017, 2, 1), dt.date(2017, 2, 28))
    1
    """
    rows = shootings(incidents)
    return int(_in(rows["occurred_on"], start, end).sum())


def people_shot_words(homicide_scope: str, count: int | None = None) -> str:
    """Worksheet 1's two counts together in words true to what the city's homicides count: with homicides of every
    cause (``homicide_scope: all``) some were not shot, so they are "people killed or shot".

    >>> people_shot_words("all", 79), people_shot_words("firearm", 1), people_shot_words("all")
    ('79 people killed or shot', '1 person shot', 'people killed or shot')
    """
    what = "killed or shot" if homicide_scope != "firearm" else "shot"
    if count is None:
        return f"people {what}"
    return f"{format_count(count)} {'person' if count == 1 else 'people'} {what}"


def shootings_total_words(homicide_scope: str) -> str:
    """The safe-city total (homicides plus non-fatal injury shootings), named as :func:`people_shot_words` does.

    >>> shootings_total_words("all"), shootings_total_words("firearm")
    ('homicides and shootings', 'shootings')
    """
    return "shootings" if homicide_scope == "firearm" else "homicides and shootings"


def group_involvement(incidents: pd.DataFrame) -> pd.Series | None:
    """Per row, whether the shooting review found a group involved; None when neither column is recorded.

    ``group_involved`` decides where it is filled; where it is blank (or absent) a
    non-blank ``group`` means involved.

    >>> df = pd.DataFrame({"group": ["A", None, None, "B"],
    ...                    "group_involved": pd.array([pd.NA, True, pd.NA, False], dtype="boolean")})
    >>> group_involvement(df).tolist()
    [True, True, False, False]
    >>> group_involvement(pd.DataFrame({"x": [1]})) is None
    True
    """
    has_group, has_flag = "group" in incidents, "group_involved" in incidents
    if not (has_group or has_flag):
        return None
    named = incidents["group"].notna() if has_group else pd.Series(False, index=incidents.index)
    if not has_flag:
        return named.astype(bool)
    flag = incidents["group_involved"].astype("boolean")
    return flag.fillna(named).astype(bool)


def _covered(window: Window, data_start: dt.date | None, through: dt.date) -> bool:
    """True when the data span every month of ``window``: from the first incident's month to the period's end
    (month by month, as Worksheet 1 reads coverage)."""
    return data_start is not None and data_start.replace(day=1) <= window.start and window.end <= through


def _in(dates: pd.Series, start: dt.date, end: dt.date) -> pd.Series:
    return (dates >= pd.Timestamp(start)) & (dates <= pd.Timestamp(end))


def incident_dates(incidents: pd.DataFrame) -> pd.DataFrame:
    """One row per shooting incident: ``incident_id``, its date, whether group-involved and its group.

    An incident's date is its earliest row's; it is group-involved if any of its rows is,
    and its group is the first non-blank one.
    """
    rows = shootings(incidents)
    involved = group_involvement(rows)
    frame = pd.DataFrame({
        "incident_id": rows["incident_id"],
        "occurred_on": rows["occurred_on"],
        "involved": False if involved is None else involved,
        "group": rows["group"] if "group" in rows else None,
    })
    return frame.groupby("incident_id", sort=True).agg(
        occurred_on=("occurred_on", "min"), involved=("involved", "any"), group=("group", "first")).reset_index()


# --------------------------------------------------------------------------- 1. group involvement

def group_involved_share(incidents: pd.DataFrame, incident_type: str, start: dt.date,
                         end: dt.date, involved: pd.Series | None = None) -> tuple[int, int] | None:
    """(group-involved rows, all rows) of one incident type from ``start`` to ``end``; None if not recorded.

    ``involved``: ``group_involvement(incidents)``, when the caller has it already (it asks for many windows).

    >>> df = pd.DataFrame({"occurred_on": pd.to_datetime(["2017-01-01", "2017-01-31", "2017-02-01"]),
    ...                    "incident_type": "homicide", "group": ["A", None, "B"]})
    >>> group_involved_share(df, "homicide", dt.date(2017, 1, 1), dt.date(2017, 1, 31))
    (1, 2)
    """
    involved = group_involvement(incidents) if involved is None else involved
    if involved is None:
        return None
    chosen = (incidents["incident_type"] == incident_type) & _in(incidents["occurred_on"], start, end)
    return int((involved & chosen).sum()), int(chosen.sum())


# --------------------------------------------------------------------------- 2. known before

def linked_people(incidents: pd.DataFrame, incident_people: pd.DataFrame, start: dt.date, end: dt.date,
                  role: str | None = None, dates: pd.DataFrame | None = None) -> pd.DataFrame:
    """Distinct people linked to a shooting from ``start`` to ``end`` (in ``role``, or any role),
    with the date of their first such shooting (``first_on``). ``dates``: ``incident_dates(incidents)``, when the
    caller has it already."""
    dates = incident_dates(incidents) if dates is None else dates
    dates = dates[_in(dates["occurred_on"], start, end)]
    links = incident_people if role is None else incident_people[incident_people["role"] == role]
    linked = links.merge(dates[["incident_id", "occurred_on"]], on="incident_id", how="inner")
    return linked.groupby("participant_id", sort=True)["occurred_on"].min().rename("first_on").reset_index()


def _first_date(frame: pd.DataFrame | None, column: str) -> pd.Series:
    """Earliest ``column`` date per participant (empty when the table is absent)."""
    if frame is None or frame.empty:
        return pd.Series(dtype="datetime64[ns]")
    return frame.groupby("participant_id")[column].min()


def known_before(people: pd.DataFrame, communications: pd.DataFrame | None,
                 case_management: pd.DataFrame | None) -> dict[str, int | None]:
    """Of ``people`` (from :func:`linked_people`), how many were reached or enrolled strictly before ``first_on``.

    ``reached``/``enrolled`` are None when the communications / case-management table is absent.

    >>> people = pd.DataFrame({"participant_id": ["a", "b"], "first_on": pd.to_datetime(["2017-02-10"] * 2)})
    >>> comms = pd.DataFrame({"participant_id": ["a", "b"], "occurred_on": pd.to_datetime(["2017-02-09", "2017-02-10"])})
    >>> known_before(people, comms, None)
    {'people': 2, 'reached': 1, 'enrolled': None}
    """
    out: dict[str, int | None] = {"people": len(people)}
    for key, table, column in (("reached", communications, "occurred_on"),
                               ("enrolled", case_management, "enrolled_on")):
        if table is None:
            out[key] = None
            continue
        first = people["participant_id"].map(_first_date(table, column))
        out[key] = int((first < people["first_on"]).sum())
    return out


# --------------------------------------------------------------------------- 3. groups reached

def groups_reached(incidents: pd.DataFrame, review_flags: pd.DataFrame | None,
                   communications: pd.DataFrame | None, start: dt.date, end: dt.date,
                   dates: pd.DataFrame | None = None) -> dict[str, int | None]:
    """Groups of the window's group-involved shootings, and how many had a flagged member reached beforehand.

    A group is reached when anyone flagged with it on or before ``end`` had a direct
    communication in the 365 days before the group's first shooting in the window (that
    day excluded). ``reached`` is None without flags (or flags tied to no group: the optional
    ``group`` column absent or blank in every row) or communications. ``dates``: ``incident_dates(incidents)``,
    when the caller has it already.
    """
    dates = incident_dates(incidents) if dates is None else dates
    chosen = dates[_in(dates["occurred_on"], start, end) & dates["involved"] & dates["group"].notna()]
    first = chosen.groupby("group")["occurred_on"].min()
    out: dict[str, int | None] = {"groups": len(first), "reached": None}
    if review_flags is None or communications is None or "group" not in review_flags:
        return out
    flags = review_flags[(review_flags["flagged_on"] <= pd.Timestamp(end)) & review_flags["group"].isin(first.index)]
    members = flags[["group", "participant_id"]].drop_duplicates()
    contacts = members.merge(communications[["participant_id", "occurred_on"]], on="participant_id")
    shot_on = contacts["group"].map(first)
    before = (contacts["occurred_on"] < shot_on) & (contacts["occurred_on"] >= shot_on - pd.Timedelta(days=REACH_DAYS))
    out["reached"] = int(contacts.loc[before, "group"].nunique())
    return out


# --------------------------------------------------------------------------- 4. response

def response_times(incidents: pd.DataFrame, incident_people: pd.DataFrame | None,
                   review_flags: pd.DataFrame | None, communications: pd.DataFrame,
                   start: dt.date, end: dt.date, dates: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per group-involved shooting incident in the window: its date, first response date and days (NaN if none).

    The people of an incident are its victims and suspects and those flagged with its
    group on or after its date (whenever flagged); the response is the first direct
    communication with any of them from the incident's date to ``end``, both included. ``dates``:
    ``incident_dates(incidents)``, when the caller has it already.
    """
    dates = incident_dates(incidents) if dates is None else dates
    chosen = dates[_in(dates["occurred_on"], start, end) & dates["involved"]]
    pairs = []
    if incident_people is not None:
        linked = incident_people[incident_people["role"].isin((VICTIM, SUSPECT))]
        pairs.append(linked[["incident_id", "participant_id"]].merge(chosen[["incident_id"]], on="incident_id"))
    if review_flags is not None and "group" in review_flags:
        flagged = chosen.dropna(subset=["group"]).merge(review_flags[["participant_id", "flagged_on", "group"]],
                                                        on="group")
        flagged = flagged[flagged["flagged_on"] >= flagged["occurred_on"]]
        pairs.append(flagged[["incident_id", "participant_id"]])
    people = pd.concat(pairs, ignore_index=True) if pairs else pd.DataFrame(columns=["incident_id", "participant_id"])
    contacts = people.drop_duplicates().merge(chosen[["incident_id", "occurred_on"]], on="incident_id") \
        .merge(communications[["participant_id", "occurred_on"]].rename(columns={"occurred_on": "contact_on"}),
               on="participant_id")
    contacts = contacts[(contacts["contact_on"] >= contacts["occurred_on"]) & (contacts["contact_on"] <= pd.Timestamp(end))]
    first = contacts.groupby("incident_id")["contact_on"].min()
    out = chosen[["incident_id", "occurred_on"]].reset_index(drop=True)
    out["response_on"] = out["incident_id"].map(first)
    out["days"] = (out["response_on"] - out["occurred_on"]).dt.days
    return out


def response_summary(times: pd.DataFrame) -> dict[str, float | int]:
    """Median days over incidents with a response, share within 14 days of all, and incidents with none.

    >>> t = pd.DataFrame({"days": [0, 14, 15, float("nan")]})
    >>> response_summary(t)
    {'median_days': 14.0, 'within_14_pct': 50.0, 'none': 1, 'incidents': 4}
    """
    days = times["days"].dropna()
    return {"median_days": float(days.median()) if len(days) else math.nan,
            "within_14_pct": share_pct(int((days <= RESPONSE_DAYS).sum()), len(times)),
            "none": int(times["days"].isna().sum()), "incidents": len(times)}


# --------------------------------------------------------------------------- 5. scale

def people_reached_in_year(communications: pd.DataFrame, as_of: dt.date) -> int:
    """Distinct people with a direct communication in the 365 days ending ``as_of`` (both ends included).

    >>> c = pd.DataFrame({"participant_id": ["a", "b", "b"],
    ...                   "occurred_on": pd.to_datetime(["2016-04-01", "2016-03-31", "2017-03-31"])})
    >>> people_reached_in_year(c, dt.date(2017, 3, 31))
    2
    """
    first = as_of - dt.timedelta(days=REACH_DAYS - 1)
    return int(communications.loc[_in(communications["occurred_on"], first, as_of), "participant_id"].nunique())


# --------------------------------------------------------------------------- 6. flagged path

def flagged_path(review_flags: pd.DataFrame, communications: pd.DataFrame | None,
                 case_management: pd.DataFrame | None, start: dt.date, end: dt.date) -> dict[str, float | int | None]:
    """What happened, by ``end``, to the people whose first flag ever falls from ``start`` to ``end``.

    Returns ``people``, ``reached`` and ``enrolled`` (on or after the first flag, by ``end``),
    ``retained``/``retention_base`` (enrolments that began at least 90 days before ``end``
    and were not exited within 90 days of starting), and the medians of days from flag to
    first communication and from that communication to the first enrolment on or after it.
    Keys that need an absent table are None.
    """
    first_flag = review_flags.groupby("participant_id")["flagged_on"].min()
    cohort = first_flag[_in(first_flag, start, end)].rename("flag_on").reset_index()
    stop = pd.Timestamp(end)
    out: dict[str, float | int | None] = {"people": len(cohort), "reached": None, "enrolled": None,
                                          "retained": None, "retention_base": None,
                                          "median_days_to_communication": None,
                                          "median_days_communication_to_enrolment": None}
    reached = pd.DataFrame(columns=["participant_id", "contact_on"])
    if communications is not None:
        contacts = cohort.merge(communications[["participant_id", "occurred_on"]], on="participant_id")
        contacts = contacts[(contacts["occurred_on"] >= contacts["flag_on"]) & (contacts["occurred_on"] <= stop)]
        reached = contacts.groupby("participant_id").agg(flag_on=("flag_on", "first"),
                                                         contact_on=("occurred_on", "min")).reset_index()
        out["reached"] = len(reached)
        days = (reached["contact_on"] - reached["flag_on"]).dt.days
        out["median_days_to_communication"] = float(days.median()) if len(days) else math.nan
    if case_management is not None:
        enrolments = cohort.merge(case_management[["participant_id", "enrolled_on", "exited_on"]], on="participant_id")
        enrolments = enrolments[(enrolments["enrolled_on"] >= enrolments["flag_on"]) & (enrolments["enrolled_on"] <= stop)]
        out["enrolled"] = int(enrolments["participant_id"].nunique())
        old_enough = enrolments[enrolments["enrolled_on"] <= stop - pd.Timedelta(days=RETENTION_DAYS)]
        left_early = old_enough["exited_on"] <= old_enough["enrolled_on"] + pd.Timedelta(days=RETENTION_DAYS)
        out["retention_base"] = len(old_enough)
        out["retained"] = int((~left_early.fillna(False).astype(bool)).sum())
        if communications is not None:
            after = reached.merge(enrolments[["participant_id", "enrolled_on"]], on="participant_id")
            after = after[after["enrolled_on"] >= after["contact_on"]]
            first = after.groupby("participant_id").agg(contact_on=("contact_on", "first"),
                                                        enrolled_on=("enrolled_on", "min"))
            days = (first["enrolled_on"] - first["contact_on"]).dt.days
            out["median_days_communication_to_enrolment"] = float(days.median()) if len(days) else math.nan
    return out


# --------------------------------------------------------------------------- 7. safe-city path

def safe_city_path(base_count: int, base_year: int, years: int, reduction: float) -> pd.DataFrame:
    """The path: ``base_count`` × (1 − ``reduction``)^k for k = 0..years, rounded half up.

    >>> safe_city_path(416, 2016, 3, 0.10)["path"].tolist()
    [416, 374, 337, 303]
    """
    keep = 1 - exact(reduction)
    return pd.DataFrame({"year": [base_year + k for k in range(years + 1)],
                         "path": [round_half_up(Fraction(base_count) * keep ** k) for k in range(years + 1)]})


def yearly_shootings(incidents: pd.DataFrame, years: list[int], through: dt.date,
                     data_start: dt.date | None) -> pd.DataFrame:
    """Homicides, non-fatal injury shootings and their total per year up to ``through``.

    ``partial`` marks a year the data cover only in part (the current year to ``through``,
    the year the data begin after 1 January, or an earlier year after whose last incident
    there is none before ``through``'s year); years after ``through`` have no counts.
    """
    data_end = incidents["occurred_on"].max().date() if not incidents.empty else None
    rows = []
    for year in years:
        first, last = dt.date(year, 1, 1), min(dt.date(year, 12, 31), through)
        if data_end is not None and year < through.year and data_end < last:
            last = data_end  # the data stop during this year: a missing extract is not a quiet year
        if first > through or data_start is None or data_start > last:
            rows.append({"year": year, "homicides": math.nan, "nonfatal_injury_shootings": math.nan,
                         "total": math.nan, "partial": False, "counted_to": None})
            continue
        chosen = incidents[_in(incidents["occurred_on"], first, last)]
        homicides = int((chosen["incident_type"] == schema.HOMICIDE).sum())
        nonfatal = int((chosen["incident_type"] == schema.NONFATAL).sum())
        partial = last < dt.date(year, 12, 31) or data_start > first
        rows.append({"year": year, "homicides": homicides, "nonfatal_injury_shootings": nonfatal,
                     "total": homicides + nonfatal, "partial": partial, "counted_to": last})
    return pd.DataFrame(rows)


def safe_city_table(incidents: pd.DataFrame, safe_city: dict, through: dt.date,
                    data_start: dt.date | None) -> tuple[pd.DataFrame | None, str]:
    """Each year of the safe-city path with its counts; or None and the reason it cannot be drawn."""
    if not safe_city:
        return None, "no safe-city goal has been set for this city"
    years = [safe_city["base_year"] + k for k in range(safe_city["years"] + 1)]
    counts = yearly_shootings(incidents, years, through, data_start)
    base_count = safe_city.get("base_count")
    if base_count is None:
        base = counts.iloc[0]
        if pd.isna(base["total"]) or base["partial"]:
            return None, (f"the data do not cover all of {safe_city['base_year']}, so its count cannot start the "
                          "path (the analyst can set that year's count in the review settings)")
        base_count = int(base["total"])
    path = safe_city_path(base_count, safe_city["base_year"], safe_city["years"], safe_city["reduction"])
    return counts.merge(path, on="year"), ""


# --------------------------------------------------------------------------- the worksheet

def _make_focus_row(section: str, indicator: str, window_name: str, window: Window | None, as_of: dt.date,
               actual, unit: str, **extra) -> dict:
    """One row of the indicators table (no benchmark or status: these indicators are read, not marked)."""
    row = {column: math.nan for column in schema.INDICATOR_COLUMNS}
    row.update(worksheet=WORKSHEET, section=SECTIONS[section], indicator=indicator,
               label=FOCUS_LABELS[indicator].strip(), window=window_name,
               window_start=(window.start if window else as_of).isoformat(),
               window_end=(window.end if window else as_of).isoformat(), actual=actual, unit=unit, status="")
    row.update(extra)
    if actual is None:
        row["actual"], row["status"] = math.nan, NOT_RECORDED
    return row


def _pct(counts: tuple[int, int] | None) -> float | None:
    return None if counts is None else share_pct(*counts)


def safe_city_through(tables: dict[str, pd.DataFrame | None], params: ReviewParams) -> dt.date:
    """The last day the safe-city counts run to: the period's end, or the data's end when that is earlier.

    An extract taken on 15 March is counted to 15 March, never to the month's end.
    """
    through = data_coverage_of(tables, params.data_through, params.data_from).through
    return params.windows.end if through is None else min(params.windows.end, through)


def focus_worksheet(tables: dict[str, pd.DataFrame | None], params: ReviewParams) -> pd.DataFrame:
    """Worksheet 3 as rows of the indicators table (``worksheet`` = ``focus``), counts of people protected.

    ``tables`` are a city's typed, pseudonymised tables (``CityData.tables``); absent ones are None. For partner
    and public audiences the same counts over each earlier report's year to date
    (``privacy.earlier_report_windows``) are taken as known to the reader (see :func:`protect_people_counts`).
    """
    out = focus_rows(tables, params)
    earlier = {}
    if suppresses_small_counts(params.audience):
        earlier = {str(window.last): focus_rows(tables, replace(params, windows=ReviewWindows(window)), people_only=True)
                   for window in earlier_report_windows(params.windows.period)}
    out = protect_people_counts(out, params.audience, params.small_count_threshold, earlier)
    return out.drop(columns=[c for c in out.columns if c.startswith("_")])


def focus_rows(tables: dict[str, pd.DataFrame | None], params: ReviewParams, people_only: bool = False) -> pd.DataFrame:
    """Worksheet 3's rows as counted, nothing hidden, with the private ``_people``, ``_part``, ``_of``,
    ``_median_of`` and ``_base`` columns that say which counts of people each row shows (see
    :func:`protect_people_counts`). ``people_only``: only the rows of people counted over a window (people linked
    to shootings, the flagged path), as an earlier report's are needed; the others are left out, not counted."""
    windows = params.windows
    as_of = windows.end
    incidents = tables["incidents"]
    data_start = incidents["occurred_on"].min().date() if not incidents.empty else None
    comms, cm = tables.get("communications"), tables.get("case_management")
    links, flags = tables.get("incident_people"), tables.get("review_flags")
    rows: list[dict] = []
    add = rows.append
    # worked out once for all windows (each function below would otherwise work them out again)
    dates, involved = incident_dates(incidents), group_involvement(incidents)

    for indicator, kind in () if people_only else (("group_involved_homicides_pct", schema.HOMICIDE),
                                                   ("group_involved_nonfatal_injury_shootings_pct", schema.NONFATAL)):
        for window_name, window in windows.by_name().items():
            now = group_involved_share(incidents, kind, window.start, window.end, involved)
            earlier = [window.shift_years(-k) for k in (1, 2, 3)]
            shares = [group_involved_share(incidents, kind, w.start, w.end, involved) for w in earlier]
            prior = _pct(shares[0]) if now is not None and _covered(earlier[0], data_start, as_of) else math.nan
            pooled = math.nan
            if now is not None and all(_covered(w, data_start, as_of) for w in earlier):
                pooled = share_pct(sum(s[0] for s in shares), sum(s[1] for s in shares))
            add(_make_focus_row("group", indicator, window_name, window, as_of, _pct(now), "percent",
                           prior_year=prior, three_year_average=pooled))

    for window_name, window in windows.by_name().items():
        for role, suffix in ROLE_SUFFIXES.items():
            if links is None:
                known = {"people": None, "reached": None, "enrolled": None}
            else:
                known = known_before(linked_people(incidents, links, window.start, window.end, role, dates), comms, cm)
            people = known["people"]
            add(_make_focus_row("known", f"known_before_people{suffix}", window_name, window, as_of, people, "people",
                           _people=people))
            for key in ("reached", "enrolled"):
                part = known[key]
                add(_make_focus_row("known", f"known_before_{key}_pct{suffix}", window_name, window, as_of,
                               None if part is None else share_pct(part, people), "percent",
                               _part=part, _of=people, _base=f"known_before_people{suffix}"))

    for window_name, window in ({} if people_only else windows.by_name()).items():
        recorded = "group" in incidents
        groups = groups_reached(incidents, flags, comms, window.start, window.end, dates) if recorded else \
            {"groups": None, "reached": None}
        add(_make_focus_row("groups", "groups_involved", window_name, window, as_of, groups["groups"], "groups"))
        reached_pct = None if groups["reached"] is None else share_pct(groups["reached"], groups["groups"])
        add(_make_focus_row("groups", "groups_reached_pct", window_name, window, as_of, reached_pct, "percent"))

    for window_name, window in ({} if people_only else windows.by_name()).items():
        recorded = comms is not None and involved is not None and (links is not None or flags is not None)
        summary = response_summary(response_times(incidents, links, flags, comms, window.start, window.end, dates)) \
            if recorded else {"median_days": None, "within_14_pct": None, "none": None}
        add(_make_focus_row("response", "response_median_days", window_name, window, as_of, summary["median_days"], "days"))
        add(_make_focus_row("response", "response_within_14_days_pct", window_name, window, as_of,
                       summary["within_14_pct"], "percent"))
        add(_make_focus_row("response", "response_none", window_name, window, as_of, summary["none"], "incidents"))

    reached = None
    if comms is not None and params.vhr_population_estimate and not people_only:
        reached = people_reached_in_year(comms, as_of)
    add(_make_focus_row("scale", "reach_vs_vhr_pct", WINDOW_AS_OF, None, as_of,
                   None if reached is None else share_pct(reached, params.vhr_population_estimate), "percent",
                   _part=reached))

    ytd = windows.ytd
    path = flagged_path(flags, comms, cm, ytd.start, ytd.end) if flags is not None else {}
    cohort = path.get("people")
    add(_make_focus_row("flagged", "flagged_people", WINDOW_YTD, ytd, as_of, cohort, "people", _people=cohort))
    for key in ("reached", "enrolled"):
        add(_make_focus_row("flagged", f"flagged_{key}", WINDOW_YTD, ytd, as_of, path.get(key), "people",
                       _people=path.get(key), _part=path.get(key), _of=cohort, _base="flagged_people"))
    retained, base = path.get("retained"), path.get("retention_base")
    add(_make_focus_row("flagged", "flagged_retained_90_days_pct", WINDOW_YTD, ytd, as_of,
                   None if retained is None else share_pct(retained, base), "percent", _part=retained, _of=base))
    medians = (("flagged_median_days_to_communication", "median_days_to_communication", "reached"),
               ("flagged_median_days_communication_to_enrolment", "median_days_communication_to_enrolment",
                "enrolled"))
    for indicator, key, over in medians:
        add(_make_focus_row("flagged", indicator, WINDOW_YTD, ytd, as_of, path.get(key), "days", _median_of=path.get(over)))

    table, _ = (None, None) if people_only else \
        safe_city_table(incidents, params.safe_city, safe_city_through(tables, params), data_start)
    for r in ([] if table is None else table.to_dict("records")):
        if r["counted_to"] is None:
            continue
        window = Window(Month(r["year"], 1), Month(r["counted_to"].year, r["counted_to"].month))
        row = _make_focus_row("safe_city", "safe_city_shootings", WINDOW_YEAR, window, as_of, r["total"], "count")
        row["window_end"] = r["counted_to"].isoformat()
        row["benchmark"] = r["path"]
        row["label"] += f" ({r['year']}{', partial year' if r['partial'] else ''})"
        add(row)
    if table is None:
        add(_make_focus_row("safe_city", "safe_city_shootings", WINDOW_YEAR, windows.ytd, as_of, None, "count"))

    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- privacy

def focus_people_cells(rows: pd.DataFrame) -> tuple[dict[str, int], list[Relation], set[str], dict[str, list]]:
    """Worksheet 3's counts of people as cells and relations for :func:`privacy.suppress_cells`.

    The relations a reader can use: victims + suspects - (people who were both) = people linked
    to shootings; a share's people + the rest = the people it is of (its ``_base`` row, or its own
    ``_of``); the same indicator over two windows of the same months is the same count. A median
    over ``_median_of`` people is a cell of that size in no relation. Returns the values, the
    relations, the unpublished cells and, per cell, the rows it is shown in.
    """
    values: dict[str, int] = {}
    shown_in: dict[str, list] = {}
    relations: list[Relation] = []
    unpublished: set[str] = set()

    def count(row: pd.Series, key: str) -> int | None:
        value = row.get(key)
        return None if value is None or pd.isna(value) else int(value)

    def add(name: str, value: int, i) -> str:
        values[name] = value
        shown_in.setdefault(name, []).append(i)
        return name

    for i, row in rows.iterrows():  # first the counts of people, which shares may be of
        if count(row, "_people") is not None:
            add(f"{row['indicator']}/{row['window']}", count(row, "_people"), i)
    for i, row in rows.iterrows():
        key = f"{row['indicator']}/{row['window']}"
        part, whole, median_of = (count(row, k) for k in ("_part", "_of", "_median_of"))
        if part is not None:
            part_cell = key if key in values else add(f"{key}#part", part, i)
            base = row.get("_base")
            base_cell = f"{base}/{row['window']}" if isinstance(base, str) else None
            whole_cell = base_cell if base_cell in values else (
                add(f"{key}#of", whole, i) if whole is not None else None)  # a shown share gives its base away
            if whole_cell is not None:
                rest = f"{key}#rest"
                values[rest] = values[whole_cell] - part
                unpublished.add(rest)
                relations.append(Relation.total(whole_cell, [part_cell, rest]))
        if median_of is not None:
            add(f"{key}#over", median_of, i)
    for window in rows["window"].unique():
        total, victims, suspects = (f"known_before_people{suffix}/{window}" for suffix in ("", "_victims", "_suspects"))
        if {total, victims, suspects} <= values.keys():
            both = f"known_before_people_both/{window}"  # a victim of one shooting and a suspect in another
            values[both] = values[victims] + values[suspects] - values[total]
            unpublished.add(both)
            relations.append(Relation(((total, 1), (victims, -1), (suspects, -1), (both, 1))))
            relations += _role_share_relations(values, unpublished, window, both)
    spans = rows.groupby("window")[["window_start", "window_end"]].first() if "window_start" in rows else None
    if spans is not None:
        relations += _nested_people_relations(values, unpublished, spans)
        for first, second in ((a, b) for a in spans.index for b in spans.index if a < b):
            if tuple(spans.loc[first]) == tuple(spans.loc[second]):  # a January-February review's YTD is its period
                for name in [n for n in values if n.endswith(f"/{first}") and "#" not in n]:
                    twin = name[: -len(first)] + second
                    if twin in values:
                        relations.append(Relation(((name, 1), (twin, -1))))
    return values, relations, unpublished, shown_in


def _role_share_relations(values: dict[str, int], unpublished: set[str], window: str, both: str) -> list[Relation]:
    """People linked and reached (or enrolled) before = victims reached + suspects reached - the people who
    were both and are counted in both parts.

    A person who was a victim and a suspect counts in the total when reached before their first shooting in
    either role, and in a role's part when reached before that role's first shooting; so the people counted
    twice (``…#twice``) are those reached before the later of the two, never more than the people who were
    both (the rest of them is ``…#once``). Without this, "9% of 90 linked" beside "fewer than 5" of the
    50 victims and of the 40 suspects gives 4 and 4 back.
    """
    relations = []
    for kind in ("reached", "enrolled"):
        total, victims, suspects = (f"known_before_{kind}_pct{suffix}/{window}#part"
                                    for suffix in ("", "_victims", "_suspects"))
        if not {total, victims, suspects} <= values.keys():
            continue
        twice, once = f"known_before_{kind}_both/{window}#twice", f"known_before_{kind}_both/{window}#once"
        values[twice] = values[victims] + values[suspects] - values[total]
        values[once] = values[both] - values[twice]
        unpublished.update((twice, once))
        relations += [Relation(((total, 1), (victims, -1), (suspects, -1), (twice, 1))),
                      Relation.total(both, [twice, once])]
    return relations


def _nested_people_relations(values: dict[str, int], unpublished: set[str], spans: pd.DataFrame) -> list[Relation]:
    """A window inside another (the review period inside the year to date, or the other way across a year
    boundary): the people linked over the longer window = those linked over the shorter one + the people
    linked only in the months between (unpublished), for all people and for each role; and the same for each
    share's people reached or enrolled before the shooting and its rest, as a reader would subtract them
    (:func:`privacy.window_difference` says why that is nearly, not always exactly, true)."""
    relations = []
    for outer in spans.index:
        for inner in spans.index:
            (o_start, o_end), (i_start, i_end) = tuple(spans.loc[outer]), tuple(spans.loc[inner])
            if outer == inner or (o_start, o_end) == (i_start, i_end) or not (o_start <= i_start and i_end <= o_end):
                continue
            for suffix in ("", "_victims", "_suspects"):
                cells = [(f"known_before_people{suffix}", "")] + [
                    (f"known_before_{kind}_pct{suffix}", tail) for kind in ("reached", "enrolled")
                    for tail in ("#part", "#rest")]
                for indicator, tail in cells:
                    longer, shorter = f"{indicator}/{outer}{tail}", f"{indicator}/{inner}{tail}"
                    if {longer, shorter} <= values.keys():
                        relation = window_difference(values, unpublished, longer, shorter,
                                                     f"{indicator}/{outer}-{inner}{tail}#between")
                        if relation is not None:
                            relations.append(relation)
    return relations


def protect_people_counts(rows: pd.DataFrame, audience: str, threshold: int,
                          earlier: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Hide small counts of people, and every count, share and median that would give one away, for
    partner and public audiences (through ``privacy.suppress_cells``, see :func:`focus_people_cells`).

    ``_people`` marks a count of people; ``_part``/``_of`` the people counted in a share (or a
    part of a shown total), ``_of`` blank when the denominator is not a count of people (the
    very-high-risk estimate); ``_median_of`` the people a median is taken over; ``_base`` the
    count of people a share is of (hidden with it). A hidden row gets ``suppressed`` = ``small``
    (its own count of people is small) or ``complementary`` (it would reveal one), no ``actual``
    and no comparison values. Internal reports are unchanged. ``earlier`` holds the rows (as :func:`focus_rows`
    counts them) of the earlier reports of the year, whose year-to-date counts a reader subtracts from these
    (``privacy.earlier_report_relations``).
    """
    if not suppresses_small_counts(audience):
        return rows
    out = rows.copy()
    out["suppressed"] = ""
    values, relations, unpublished, shown_in = focus_people_cells(out)
    earlier_counts = {label: focus_people_cells(r)[0] for label, r in (earlier or {}).items()}
    across, known, forced = earlier_report_relations(values, unpublished, earlier_counts, threshold)
    hidden = suppress_cells(values, relations + across, threshold, unpublished, fixed=known, forced=forced)
    for name, kind in sorted((c, k) for c, k in hidden.items() if c not in known):
        for i in shown_in[name]:
            # the row's own count (people, or a share's people) is small; a share of, or a median over, few
            # people is hidden as complementary
            own_count = kind == SMALL and not name.endswith(("#of", "#over"))
            if own_count or not out.at[i, "suppressed"]:
                out.at[i, "suppressed"] = SMALL if own_count else COMPLEMENTARY
    if "_base" in out:
        hidden_people = set(zip(out.loc[out["suppressed"] != "", "indicator"], out.loc[out["suppressed"] != "", "window"]))
        for i in out.index[out["_base"].notna()]:
            if (out.at[i, "_base"], out.at[i, "window"]) in hidden_people and not out.at[i, "suppressed"]:
                out.at[i, "suppressed"] = "complementary"
    hidden = out["suppressed"] != ""
    out.loc[hidden, ["actual", "prior_year", "three_year_average"]] = math.nan
    return out
