"""Data-quality checks that do not stop a run but must be seen in the report.

A missing monthly extract looks like a miracle month; a victim who died weeks after a
shooting can be listed twice; late reports make the last weeks look quiet. Each check
returns plain sentences for the reader.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from . import schema
from .formatting import format_count, month_runs_label
from .periods import Month

LATE_WINDOW_DAYS = 14
LATE_BASELINE_WEEKS = 12
LATE_RATIO = 0.5


def reconcile_victims(incidents: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Count a victim listed as both a non-fatal injury shooting and a homicide once, as a homicide.

    Needs the optional ``victim_id`` column; returns the incidents without the duplicate
    non-fatal rows, and those rows (``incident_id, victim_id, occurred_on``).
    """
    empty = incidents.iloc[0:0][[c for c in ("incident_id", "victim_id", "occurred_on") if c in incidents]]
    if "victim_id" not in incidents or incidents["victim_id"].isna().all():
        return incidents, empty
    with_id = incidents["victim_id"].notna()
    homicide_keys = set(map(tuple, incidents.loc[with_id & (incidents["incident_type"] == schema.HOMICIDE),
                                                 ["incident_id", "victim_id"]].to_numpy()))
    nonfatal = with_id & (incidents["incident_type"] == schema.NONFATAL)
    twice = nonfatal & pd.Series([tuple(k) in homicide_keys for k in
                                  incidents[["incident_id", "victim_id"]].to_numpy()], index=incidents.index)
    return incidents[~twice].reset_index(drop=True), incidents.loc[twice, ["incident_id", "victim_id", "occurred_on"]]


def counted_once(name: str) -> bool:
    """True for an input file where a row repeated exactly cannot be two real records, so it is counted once.

    Those are the files keyed by a person (an enrolment, a contact, an event of one person on one day):
    the same person enrolled twice on the same day with the same referral is one enrolment exported
    twice. Incidents are not: two victims of one incident can read the same. Enforcement actions have no
    key and repeat legitimately; staffing, meetings and tasks refuse a repeated key outright.

    >>> counted_once("case_management"), counted_once("incidents"), counted_once("enforcement_actions")
    (True, False, False)
    """
    spec = schema.SPECS_BY_NAME.get(name)
    return (spec is not None and name != schema.INCIDENTS.name
            and any(c.kind == schema.PARTICIPANT for c in spec.columns))


def drop_repeated_rows(tables: dict[str, pd.DataFrame | None]) -> dict[str, pd.DataFrame | None]:
    """The tables with exact repeats of a row removed from the files :func:`counted_once` names.

    >>> cm = pd.DataFrame({"participant_id": ["a", "a", "b"], "enrolled_on": ["2017-02-01"] * 3})
    >>> len(drop_repeated_rows({"case_management": cm})["case_management"])
    2
    """
    return {name: (table.drop_duplicates(keep="first").reset_index(drop=True)
                   if table is not None and counted_once(name) else table)
            for name, table in tables.items()}


def empty_months(incidents: pd.DataFrame, last_day: dt.date) -> list[str]:
    """Months from the first incident to ``last_day``'s month with no incident of any kind."""
    if incidents.empty:
        return []
    have = set(incidents["occurred_on"].dt.to_period("M"))
    months = pd.period_range(incidents["occurred_on"].min().to_period("M"), pd.Period(last_day, freq="M"), freq="M")
    return [str(m) for m in months if m not in have]


def late_reporting(incidents: pd.DataFrame, last_day: dt.date) -> str | None:
    """A warning when the last two weeks have under half the shootings of the twelve weeks before."""
    end = pd.Timestamp(last_day)
    recent_start = end - pd.Timedelta(days=LATE_WINDOW_DAYS - 1)
    base_start = recent_start - pd.Timedelta(weeks=LATE_BASELINE_WEEKS)
    dates = incidents["occurred_on"]
    recent = int(((dates >= recent_start) & (dates <= end)).sum())
    base = int(((dates >= base_start) & (dates < recent_start)).sum())
    expected = base * LATE_WINDOW_DAYS / (7 * LATE_BASELINE_WEEKS)
    if expected >= 4 and recent < LATE_RATIO * expected:
        return (f"Only {recent} shootings are recorded in the last {LATE_WINDOW_DAYS} days to {last_day:%d %B %Y}, "
                f"against about {format_count(expected)} expected from the {LATE_BASELINE_WEEKS} weeks before: reports may "
                "still be coming in, so the latest counts may rise.")
    return None


def duplicate_row_warnings(duplicate_rows: dict[str, dict[str, int]]) -> list[str]:
    """Sentences for input files with rows that repeat an earlier row exactly.

    ``duplicate_rows`` maps a table to ``{"identical": n, "apart": m}`` (see
    ``loading.identical_rows``). Not an error: a victim-level incident export lists an
    incident once per victim, its rows together, so for incidents only copies away from
    their incident's rows are flagged. Tables without an identifier (enforcement actions) repeat
    rows legitimately and are not flagged.

    >>> [text] = duplicate_row_warnings({"incidents": {"identical": 9, "apart": 7},
    ...                                  "communications": {"identical": 0, "apart": 0}})
    >>> text[:85], "(2 more repeat another row of their own incident, listed with it: several victims" in text
    ('The incidents file has 7 rows that repeat an earlier row exactly but sit away from it', True)
    >>> duplicate_row_warnings({"incidents": {"identical": 3, "apart": 0}})  # victims of one incident, one under another
    []
    """
    warnings = []
    for name, counts in sorted(duplicate_rows.items()):
        spec = schema.SPECS_BY_NAME.get(name)
        if spec is None or not any(c.kind == schema.PARTICIPANT or c.name.endswith("_id") for c in spec.columns):
            continue
        label = name.replace("_", " ")
        if name == schema.INCIDENTS.name and counts.get("apart", 0):
            adjacent = counts["identical"] - counts["apart"]
            beside = (f" ({adjacent} more repeat another row of their own incident, listed with it: several "
                      "victims of one incident, normal in an export with one row per victim)" if adjacent else "")
            warnings.append(f"The {label} file has {counts['apart']} rows that repeat an earlier row exactly but sit "
                            f"away from it, after rows of another incident{beside}. Copies far apart look like an "
                            "extract exported twice, which would make the counts too high. Check the file: ceasefire "
                            "import writes each incident's rows together (sorted by date and case number), so a "
                            "case number whose rows come back after other incidents' rows was exported twice; "
                            "rows listed together under one case number are its victims, not copies.")
        elif counted_once(name) and counts.get("identical", 0):
            warnings.append(f"The {label} file has {counts['identical']} rows that repeat an earlier row exactly "
                            "(every column the same): a repeat cannot be a second record of the same person, so "
                            "each was counted once. An extract exported twice may hide other problems: check the file.")
        elif name != schema.INCIDENTS.name and counts.get("identical", 0):
            warnings.append(f"The {label} file has {counts['identical']} rows that repeat an earlier row exactly "
                            "(every column the same): if the extract was exported twice the counts are too high. "
                            "Check the file.")
    return warnings


def quality_warnings(incidents: pd.DataFrame, reconciled: pd.DataFrame, period_end: dt.date,
                     show_case_numbers: bool = False) -> list[str]:
    """Every data-quality warning for a period, as sentences.

    Case numbers of victims listed twice are named only when ``show_case_numbers`` (an
    internal report); partner and public reports give the count alone.
    """
    warnings = []
    if not incidents.empty:
        last = incidents["occurred_on"].max().date()
        if last < period_end - dt.timedelta(days=LATE_WINDOW_DAYS):
            warnings.append(f"The incident data end on {last:%d %B %Y}, well before the last day this review reads "
                            f"({period_end:%d %B %Y}): the latest weeks may be missing.")
    gaps = empty_months(incidents, period_end)
    if gaps:
        warnings.append("No incident at all is recorded in " + month_runs_label([Month.parse(m) for m in gaps]) +
                        ": check that those months' extracts are complete before reading them as quiet months.")
    if len(reconciled):
        listed = ", ".join(sorted(reconciled["incident_id"].astype(str).unique()))
        which = f" (incidents {listed})" if show_case_numbers else ""
        warnings.append(f"{len(reconciled)} victim(s) appear both as a non-fatal injury shooting and as a homicide"
                        f"{which}; each is counted once, as a homicide.")
    late = late_reporting(incidents, period_end)
    if late:
        warnings.append(late)
    return warnings
