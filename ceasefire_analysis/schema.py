"""The data contract: every input file, its columns, their types and allowed values.

This is the one place that names columns. Loaders, indicators and reports import
the constants from here, so a renamed column is a one-line change.
The human-readable version of this contract is ``docs/data_dictionary.md``;
``tests/test_schema.py`` checks that the two agree.
"""
from __future__ import annotations

from dataclasses import dataclass

# Column kinds understood by the loader.
TEXT = "text"
DATE = "date"
BOOL = "bool"
INT = "int"
CATEGORY = "category"
PARTICIPANT = "participant"  # a person identifier: hashed at ingestion

TRUE_WORDS = frozenset({"true", "yes", "1", "y", "t"})
FALSE_WORDS = frozenset({"false", "no", "0", "n", "f"})

# Incident types
HOMICIDE = "homicide"
NONFATAL = "nonfatal_injury_shooting"
NON_INJURY = "non_injury_shooting"
INCIDENT_TYPES = (HOMICIDE, NONFATAL, NON_INJURY)

# Direct-communication kinds
CALL_IN = "call_in"
CUSTOM_NOTIFICATION = "custom_notification"
COMMUNICATION_KINDS = (CALL_IN, CUSTOM_NOTIFICATION)

# Case-management referral sources, in the seed's order
REFERRAL_SOURCES = (
    "call_in",
    "custom_notification",
    "ceasefire_other",
    "outreach",
    "non_ceasefire_other",
)

# Police units
UNIT_GROUPS = ("ceasefire", "siu", "gang", "area")
SPECIALISED_UNIT_GROUPS = ("ceasefire", "siu", "gang")

# Meetings
SHOOTING_REVIEW = "shooting_review"
COORDINATION = "coordination"
PERFORMANCE_REVIEW = "performance_review"
MEETING_KINDS = (SHOOTING_REVIEW, COORDINATION, PERFORMANCE_REVIEW)

# Participant events after a direct communication, in the order of precedence
# used by the seed's post-call-in breakdown (most serious first).
# Roles of a person linked to a shooting (incident_people.csv)
VICTIM = "victim"
SUSPECT = "suspect"
INCIDENT_ROLES = (VICTIM, SUSPECT)

PARTICIPANT_EVENTS = (
    "murder_victim",
    "shooting_victim",
    "arrest_violent_or_gun",
    "suspect_violent_not_arrested",
)


@dataclass(frozen=True)
class Column:
    """One column of an input file."""

    name: str
    kind: str
    required: bool = True
    allowed: tuple[str, ...] = ()
    nullable: bool = False
    description: str = ""

    def expected(self) -> str:
        """Describe, for an error message, what a valid value looks like."""
        if self.kind == DATE:
            return "a date as YYYY-MM-DD"
        if self.kind == BOOL:
            return "true/false, yes/no, 1/0 or y/n"
        if self.kind == INT:
            return "a whole number of 0 or more"
        if self.kind == CATEGORY:
            return "one of " + ", ".join(self.allowed)
        return "a non-blank value"


@dataclass(frozen=True)
class FileSpec:
    """One input file: its name, columns and whether a city must supply it."""

    name: str
    columns: tuple[Column, ...]
    required: bool = True
    description: str = ""

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


INCIDENTS = FileSpec(
    "incidents",
    (
        Column("incident_id", TEXT, description="police case number; victims of one incident share it"),
        Column("occurred_on", DATE, description="date of the shooting"),
        Column("incident_type", CATEGORY, allowed=INCIDENT_TYPES,
               description="homicide and non-fatal injury shooting: one row per victim; "
                           "non-injury shooting: one row per incident"),
        Column("area", TEXT, required=False, nullable=True, description="police area"),
        Column("victim_id", PARTICIPANT, required=False, nullable=True,
               description="victim identifier, to find a victim listed twice; hashed at ingestion"),
        Column("group", TEXT, required=False, nullable=True,
               description="group or conflict the shooting review attributed it to"),
        Column("group_involved", BOOL, required=False, nullable=True,
               description="the shooting review found a street group or its members involved; "
                           "when blank, a non-blank group means involved"),
        Column("reviewed_on", DATE, required=False, nullable=True,
               description="date of the shooting review that discussed it"),
    ),
    description="One row per victim of a homicide or non-fatal injury shooting; "
                "one row per non-injury shooting incident.",
)

COMMUNICATIONS = FileSpec(
    "communications",
    (
        Column("participant_id", PARTICIPANT, description="person reached; hashed at ingestion"),
        Column("occurred_on", DATE, description="date of the call-in or notification"),
        Column("kind", CATEGORY, allowed=COMMUNICATION_KINDS, description="how the person was reached"),
        Column("highest_risk", BOOL,
               description="on the very-high-risk list from problem analysis and shooting reviews at the time"),
    ),
    required=False,
    description="One row per person per direct communication (optional: without it, its worksheet section says \"not recorded for this city\").",
)

CASE_MANAGEMENT = FileSpec(
    "case_management",
    (
        Column("participant_id", PARTICIPANT, description="person enrolled; hashed at ingestion"),
        Column("enrolled_on", DATE, description="date of enrolment"),
        Column("exited_on", DATE, nullable=True, description="date of exit; blank while active"),
        Column("referral_source", CATEGORY, allowed=REFERRAL_SOURCES, description="where the referral came from"),
        Column("opd_highest_risk", BOOL, description="identified by police as at highest risk of violence"),
    ),
    required=False,
    description="One row per enrolment in relationship-focused case management (optional: without it, its worksheet section says \"not recorded for this city\").",
)

STAFFING = FileSpec(
    "staffing",
    (
        Column("as_of", DATE, description="date of the staffing snapshot"),
        Column("unit", TEXT, description="unit name"),
        Column("unit_group", CATEGORY, allowed=UNIT_GROUPS, description="kind of unit"),
        Column("authorized", INT, description="authorized positions"),
        Column("filled", INT, description="positions filled (no more than authorized)"),
    ),
    required=False,
    description="One row per unit per staffing snapshot (optional: without it, its worksheet section says \"not recorded for this city\").",
)

ENFORCEMENT_ACTIONS = FileSpec(
    "enforcement_actions",
    (
        Column("occurred_on", DATE, description="date of the action"),
        Column("unit_group", CATEGORY, allowed=UNIT_GROUPS, description="kind of unit that acted"),
        Column("vhr_target", BOOL, description="aimed at a very-high-risk group or person"),
    ),
    required=False,
    description="One row per targeted enforcement action (optional).",
)

MEETINGS = FileSpec(
    "meetings",
    (
        Column("meeting_id", TEXT, description="meeting identifier"),
        Column("scheduled_on", DATE, description="date the meeting was scheduled for"),
        Column("kind", CATEGORY, allowed=MEETING_KINDS, description="which of the three meetings"),
        Column("held", BOOL, description="whether it took place"),
        Column("opd_lead_present", BOOL, description="police project lead attended"),
        Column("hsd_lead_present", BOOL, description="human-services project lead attended"),
        Column("risk_focus", BOOL, description="agenda focused on risk alignment"),
    ),
    required=False,
    description="One row per scheduled meeting (optional: without it, its worksheet section says \"not recorded for this city\").",
)

PARTICIPANT_EVENTS_FILE = FileSpec(
    "participant_events",
    (
        Column("participant_id", PARTICIPANT, description="person; hashed at ingestion"),
        Column("occurred_on", DATE, description="date of the event"),
        Column("event", CATEGORY, allowed=PARTICIPANT_EVENTS, description="what happened"),
    ),
    required=False,
    description="Criminal-justice and victimisation events of people reached by direct communication (optional).",
)

COMPARISON_GROUP = FileSpec(
    "comparison_group",
    (
        Column("participant_id", PARTICIPANT, description="person identified but not contacted; hashed at ingestion"),
        Column("identified_on", DATE, description="date the person was identified as very high risk"),
    ),
    required=False,
    description="People identified as very high risk but not (yet) reached by direct communication (optional); "
                "their events are in participant_events.csv.",
)

MEETING_TASK_KINDS = (SHOOTING_REVIEW, COORDINATION)

TASKS = FileSpec(
    "tasks",
    (
        Column("task_id", TEXT, description="task or deliverable identifier"),
        Column("assigned_on", DATE, description="date it was assigned"),
        Column("due_on", DATE, description="date it is due"),
        Column("completed_on", DATE, nullable=True, description="date it was done; blank while open"),
        Column("owner", TEXT, description="unit or partner responsible"),
        Column("meeting", CATEGORY, allowed=MEETING_TASK_KINDS, description="meeting that assigned it"),
        Column("incident_id", TEXT, required=False, nullable=True, description="shooting it follows up, if any"),
        Column("description", TEXT, required=False, nullable=True, description="what is to be done"),
    ),
    required=False,
    description="One row per task or deliverable assigned at a shooting review or coordination meeting (optional).",
)

REVIEW_FLAGS = FileSpec(
    "review_flags",
    (
        Column("participant_id", PARTICIPANT, description="person flagged as at risk; hashed at ingestion"),
        Column("flagged_on", DATE, description="date of the shooting review that flagged the person"),
        Column("group", TEXT, required=False, nullable=True, description="group or conflict the person is tied to"),
    ),
    required=False,
    description="People flagged at shooting reviews as at very high risk in the near term (optional).",
)

INCIDENT_PEOPLE = FileSpec(
    "incident_people",
    (
        Column("incident_id", TEXT, description="police case number of a shooting in incidents.csv"),
        Column("participant_id", PARTICIPANT, description="person linked to the shooting; hashed at ingestion"),
        Column("role", CATEGORY, allowed=INCIDENT_ROLES, description="how the person is linked to it"),
    ),
    required=False,
    description="Victims and suspects linked to shootings (optional); one row per person per role per incident.",
)

def unrecorded_columns(spec: FileSpec, blank_everywhere: list[str]) -> list[str]:
    """The optional columns of ``spec`` among ``blank_everywhere`` (columns with no value in any row): read as absent.

    An optional column that is blank in every row is one the city does not record (an export without
    group involvement, imported with ``group: {constant: ""}``): what needs it is "not recorded for this
    city", as when the column is missing, never a count or share of 0. A required column is never dropped.

    >>> unrecorded_columns(INCIDENTS, ["group", "incident_id"])
    ['group']
    """
    return [c.name for c in spec.columns if not c.required and c.name in blank_everywhere]


FILE_SPECS: tuple[FileSpec, ...] = (
    INCIDENTS,
    COMMUNICATIONS,
    CASE_MANAGEMENT,
    STAFFING,
    ENFORCEMENT_ACTIONS,
    MEETINGS,
    PARTICIPANT_EVENTS_FILE,
    COMPARISON_GROUP,
    TASKS,
    REVIEW_FLAGS,
    INCIDENT_PEOPLE,
)
SPECS_BY_NAME = {spec.name: spec for spec in FILE_SPECS}

# Columns of the indicators table written as indicators.csv.
INDICATOR_COLUMNS = (
    "worksheet",
    "section",
    "indicator",
    "label",
    "window",
    "window_start",
    "window_end",
    "actual",
    "unit",
    "benchmark",
    "status",
    "prior_year",
    "three_year_average",
    "pct_over_benchmark",
    "cut_to_meet",
)
WINDOW_YTD = "ytd"
WINDOW_PERIOD = "period"
WINDOW_AS_OF = "as_of"
WINDOW_YEAR = "year"
# An indicator whose input file, column or parameter the city does not have (blank actual).
NOT_RECORDED = "not_recorded"
MEETS = "meets"
DOES_NOT_MEET = "does_not_meet"
# A window that ends after the data's last day: the count so far, never judged.
INCOMPLETE = "incomplete"
# Every value the ``status`` column of indicators.csv may hold ("" means no benchmark).
STATUSES = (MEETS, DOES_NOT_MEET, INCOMPLETE, NOT_RECORDED, "")
