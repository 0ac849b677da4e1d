"""Reading a city's data folder: validation against the data contract, typing, pseudonymising.

Every problem found is collected (file, row as numbered in the file, column, what was
wrong, what was expected) and raised together as :class:`InputError`, so a user sees
the whole list at once. Raw files are only ever opened for reading.
"""
from __future__ import annotations

import contextlib
import csv
import datetime as dt
import difflib
import hashlib
import io
import json
import math
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import schema
from .config import CACHE_DIR, DEMO_MARKER, cache_root, sha256_of
from .errors import InputError, Problem
from .files import keep_out_of_git
from .quality import drop_repeated_rows, reconcile_victims
from .privacy import key_fingerprint, pseudonymise, refuse_identifiers_in_free_text, resolve_id_key
from .schema import BOOL, CATEGORY, DATE, INT, PARTICIPANT, TEXT, Column, FileSpec

# A date, and after it at most a real time of day (00:00 to 23:59, seconds, fractions, a time zone), as
# spreadsheets and databases export it: anything else after the date (a name stuck onto it) is an error.
_TIME_OF_DAY = r"(?:[ T](?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
_DATE_RE = r"^\d{4}-\d{2}-\d{2}" + _TIME_OF_DAY + "$"
_DATE_THEN_TEXT_RE = r"^\d{4}-\d{2}-\d{2}[ T]"
_INT_RE = r"^\d+$"
_OTHER_DELIMITERS = (";", "\t", "|")
CACHE_VERSION = "5"  # bump when the processed tables change shape or meaning
CACHE_KEEP = 8  # processed caches kept (the most recently used); older ones are deleted
CACHE_RECORD = "record.json"
_CACHE_NAME_RE = re.compile(r"^[0-9a-f]{24}$")
# An id that is really a spreadsheet's totals line ("TOTAL 575", "Grand total", "sum").
_TOTAL_RE = re.compile(r"^\s*(?:grand[\s_-]*)?(?:sub[\s_-]*)?(?:total|sum)s?\b", re.IGNORECASE)
# A bad value is shown in a message only when it is plausibly the column's own kind and cannot be an
# identifier; anything else is described, never echoed, because a value in the wrong column (columns
# shifted) can be a name, a user name, a person number or a social security number (see ``shown_value``).
_WELL_FORMED_DATE_RE = re.compile(_DATE_RE)
_SMALL_NUMBER_RE = re.compile(r"^[+-]?\d{1,4}(?:[.,]\d{1,2})?$")  # -3, 2.5: no room for a person number
_SLASHED_DATE_RE = re.compile(r"^\d{1,2}[/.]\d{1,2}[/.]\d{2,4}$")
_CODE_WORD_RE = re.compile(r"^[a-z_\-]{1,30}$")  # a lower-case code without digits or spaces, as allowed values are
_CLOSE_CUTOFF = 0.75


@dataclass(frozen=True)
class InputFile:
    """What a run read from one input file, for provenance."""

    name: str
    path: str
    sha256: str
    rows: int


@dataclass
class CityData:
    """The typed, pseudonymised tables of one data folder.

    Absent optional files are ``None``.
    """

    data_dir: Path
    tables: dict[str, pd.DataFrame | None]
    inputs: list[InputFile] = field(default_factory=list)
    # victims listed as both non-fatal and homicide, dropped from the non-fatal count
    reconciled_victims: pd.DataFrame | None = None
    # per table: rows that repeat an earlier row exactly, in all and apart from it (see ``identical_rows``)
    duplicate_rows: dict[str, dict[str, int]] = field(default_factory=dict)
    # tables derived from these once per load (e.g. ``counts.monthly_counts``), so each is computed once
    derived: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False, compare=False)
    # per table: rows dated after ``data_through`` left out, and later dates cleared (see ``coverage.data_as_of``)
    left_out: dict[str, dict[str, int]] = field(default_factory=dict)

    def __getattr__(self, name: str) -> pd.DataFrame | None:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    def copy(self) -> CityData:
        """A copy whose tables (and tables derived from them) the caller may change without touching these."""
        copied = _copy_of(self)
        copied.derived.update({name: frame.copy() for name, frame in self.derived.items()})
        return copied

    def refuse_identifiers_in(self, texts: list[tuple[str, str]], audience: str, source: str = "") -> None:
        """Stop a partner or public run whose free text (``(params key, text)`` pairs, as the audience would
        see them) names one of this data's case numbers or people (see
        :func:`privacy.refuse_identifiers_in_free_text`)."""
        if audience == "internal":
            return
        cases: set[str] = set()
        people: set[str] = set()
        for table in self.tables.values():
            if table is None:
                continue
            if "incident_id" in table:
                cases |= set(table["incident_id"].dropna().astype(str))
            for column in ("participant_id", "victim_id"):
                if column in table:
                    people |= set(table[column].dropna().astype(str))
        key = resolve_id_key(self.data_dir) if people else None
        refuse_identifiers_in_free_text(texts, cases, people, key, audience, source)

    def input_records(self) -> list[dict]:
        """File name, SHA-256 and row count of every input read, for provenance."""
        records = []
        for i in self.inputs:
            record = {"file": Path(i.path).name, "sha256": i.sha256, "rows": i.rows}
            if i.name in self.duplicate_rows:
                record["identical_rows"] = self.duplicate_rows[i.name]["identical"]
                record["identical_rows_apart"] = self.duplicate_rows[i.name]["apart"]
            if i.name in self.left_out:
                record["rows_after_data_through"] = self.left_out[i.name]["rows"]
                record["dates_cleared_after_data_through"] = self.left_out[i.name]["dates"]
            if f"{i.name}_before_data_from" in self.left_out:  # data cut at data_from never pass for uncut data
                record["rows_before_data_from"] = self.left_out[f"{i.name}_before_data_from"]["rows"]
            records.append(record)
        return records

    def date_range(self) -> tuple[dt.date | None, dt.date | None]:
        """First and last incident dates, the span the data covers."""
        incidents = self.tables.get("incidents")
        if incidents is None or incidents.empty:
            return None, None
        return incidents["occurred_on"].min().date(), incidents["occurred_on"].max().date()


def reconciled_city_data(data_dir: Path, tables: dict[str, pd.DataFrame | None], inputs: list[InputFile],
                         duplicates: dict[str, dict[str, int]]) -> CityData:
    """The loaded tables as a :class:`CityData`, after the one step that changes counts: a victim listed both
    as a homicide and as a non-fatal shooting is dropped from the non-fatal count (``quality.reconcile_victims``);
    the rows dropped are kept in ``reconciled_victims`` for the quality warnings. Exact repeats of a row in a
    file keyed by a person are counted once (``quality.drop_repeated_rows``; ``duplicate_rows`` keeps how many)."""
    tables = drop_repeated_rows(tables)
    incidents = tables.get("incidents")
    reconciled = None
    if incidents is not None:
        tables["incidents"], reconciled = reconcile_victims(incidents)
    return CityData(data_dir, tables, inputs, reconciled_victims=reconciled, duplicate_rows=duplicates)


def _decode(raw: bytes, filename: str) -> tuple[str | None, list[Problem]]:
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [Problem(filename, line, None,
                              f"byte 0x{raw[exc.start]:02x} is not valid UTF-8 text",
                              "a file saved as UTF-8 (in Excel: 'CSV UTF-8')")]


def parse_csv_lines(text: str, name: str) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Rows of a CSV text as a text frame indexed by each record's first line in the file.

    The file's own line numbers are kept whatever comes before a row (blank lines,
    values with line breaks inside quotes), so every message points at the right line.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    previous_end = 0
    try:
        for row in reader:
            first_line, previous_end = previous_end + 1, reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # a blank line
            if header is None:
                header = row
                continue
            if len(row) > len(header):
                return None, [Problem(name, first_line, None,
                                      f"the row has {len(row)} values but the header names {len(header)} columns",
                                      "one value per column, separated by commas")]
            rows.append(row + [""] * (len(header) - len(row)))
            lines.append(first_line)
    except csv.Error as exc:
        return None, [Problem(name, reader.line_num, None, f"the row cannot be read as CSV ({exc})",
                              "values separated by commas, quotes closed")]
    header = header or []
    frame = pd.DataFrame(rows, columns=range(len(header)), index=pd.Index(lines, dtype="int64"), dtype=object)
    return frame.set_axis(header, axis=1), []


def normalise_headers(headers: list[str]) -> list[str]:
    """Header names as the contract spells them: trimmed, lower-case, spaces and hyphens read as ``_``.

    ``Reviewed On`` and ``group-involved`` are the contract's ``reviewed_on`` and ``group_involved``.
    The ``_`` reading is used only where it is unambiguous: a header whose ``_`` form another header
    already has (``Victim ID`` beside ``victim_id``) keeps its own, and :func:`contract_name_warnings`
    names it.

    >>> normalise_headers([" Incident_ID", "Reviewed On", "group-involved", "Victim ID", "victim_id"])
    ['incident_id', 'reviewed_on', 'group_involved', 'victim id', 'victim_id']
    """
    plain = [h.strip().lower() for h in headers]
    joined = [re.sub(r"[\s\-]+", "_", h) for h in plain]
    return [j if j == h or (plain.count(j) == 0 and joined.count(j) == 1) else h for h, j in zip(plain, joined)]


def _repeated_columns(columns: list[str], name: str) -> list[Problem]:
    """A header naming a column twice: which of the two is meant cannot be known."""
    seen: set[str] = set()
    problems = []
    for column in columns:
        if column and column in seen:
            problems.append(Problem(name, 1, column, "the header names this column twice",
                                    "each column named once"))
        seen.add(column)
    return problems


def _read_table(path: Path, spec: FileSpec) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read a CSV (or .xlsx) as text columns with trimmed, lower-cased headers."""
    name = path.name
    if path.suffix.lower() == ".xlsx":
        try:
            sheet = pd.read_excel(path, dtype=str, keep_default_na=False, header=None)
        except Exception as exc:  # openpyxl and pandas raise many kinds for a bad workbook
            return None, [Problem(name, None, None,
                                  f"could not be read as an Excel workbook ({type(exc).__name__})")]
        sheet = sheet.fillna("")
        if sheet.empty:
            return None, [Problem(name, None, None, "the workbook is empty", "a header row naming the columns")]
        frame = sheet.iloc[1:].set_axis([str(c) for c in sheet.iloc[0]], axis=1)
        frame.index = frame.index + 1  # the sheet's own row numbers (header = 1)
        frame = frame[~frame.astype(str).apply(lambda c: c.str.strip().eq("")).all(axis=1)]  # blank rows, as in CSV
    else:
        text, problems = _decode(path.read_bytes(), name)
        if problems:
            return None, problems
        if not text.strip():
            return None, [Problem(name, None, None, "the file is empty", "a header row naming the columns")]
        frame, problems = parse_csv_lines(text, name)
        if frame is None:
            return None, problems
    frame.columns = normalise_headers([str(c) for c in frame.columns])
    repeated = _repeated_columns(list(frame.columns), name)
    if repeated:
        return None, repeated
    if len(frame.columns) == 1:
        header = frame.columns[0]
        for delim in _OTHER_DELIMITERS:
            if delim in header:
                shown = "tab" if delim == "\t" else repr(delim)
                return None, [Problem(name, 1, None, f"the columns are separated by {shown}",
                                      "columns separated by commas")]
    return frame, []


def describe_value(value: str) -> str:
    """Words for a value that must not be echoed: its shape and length, never its content.

    >>> describe_value("Marcus JOHNSON 1994-03-02")
    'a name-like text (25 characters)'
    >>> describe_value("PFN-0012345")
    'a code of letters and digits (11 characters)'
    >>> describe_value("19870412"), describe_value("123-45-6789")
    ('a number of 8 digits', 'a value of 11 characters with digits')
    """
    size = f"{len(value)} character{'s' if len(value) != 1 else ''}"
    words = re.findall(r"[^\W\d_]+", value)
    if len(words) >= 2 and any(w[:1].isupper() for w in words):
        return f"a name-like text ({size})"
    if words and re.search(r"\d", value):
        return f"a code of letters and digits ({size})"
    if words:
        return f"a text ({size})"
    if value.isdigit():
        return f"a number of {len(value)} digit{'s' if len(value) != 1 else ''}"
    if re.search(r"\d", value):
        return f"a value of {size} with digits"
    return f"a value of {size}"


def _close_allowed(value: str, col: Column) -> str | None:
    """The allowed value of a category or yes/no column that ``value`` is a near miss of, if any."""
    allowed = sorted(schema.TRUE_WORDS | schema.FALSE_WORDS) if col.kind == BOOL else list(col.allowed)
    close = difflib.get_close_matches(value.lower(), allowed, n=1, cutoff=_CLOSE_CUTOFF)
    return close[0] if close else None


def may_show(value: str, col: Column) -> bool:
    """Whether a bad value of ``col`` may be quoted in a message: the column's own kind, and no identifier.

    Only a well-formed date (wrong only because it does not exist or is in the future), a small number
    (-3, 2.5) or, in a category or yes/no column, a lower-case word without digits or spaces close to an
    allowed value ('homicid', 'yess'). A shifted column puts names, user names ('jwashington'), person numbers
    ('19870412', 'pfn-1234567') and social security numbers in these columns: those are described.
    Identifier and text columns never show their values.

    >>> from ceasefire_analysis.schema import INCIDENTS
    >>> kind = INCIDENTS.column("incident_type")
    >>> may_show("homicid", kind), may_show("jwashington", kind), may_show("homicide1", kind)
    (True, False, False)
    >>> may_show("Homocide X", kind)  # capitals and a space: it could be a name
    False
    """
    if col.kind == DATE:
        return bool(_WELL_FORMED_DATE_RE.match(value))
    if col.kind == INT:
        return bool(_SMALL_NUMBER_RE.match(value))
    if col.kind in (CATEGORY, BOOL):
        return bool(_CODE_WORD_RE.match(value)) and _close_allowed(value, col) is not None
    return False


def shown_value(value: str, col: Column) -> str:
    """A bad value as an error message may show it: quoted when :func:`may_show` allows, else described.

    A described value of a category column carries the closest allowed value as a hint, and a date
    column says when a value has the shape of a date written with slashes.
    """
    if may_show(value, col):
        return f"'{value}'"
    shown = describe_value(value)
    if col.kind == DATE and _SLASHED_DATE_RE.match(value):
        shown += ", shaped like a date with '/' or '.',"
    if col.kind == CATEGORY:
        close = _close_allowed(value, col)
        if close:
            shown += f", close to '{close}',"
    return shown


def _check_column(frame: pd.DataFrame, col: Column, filename: str, today: dt.date) -> tuple[pd.Series, list[Problem]]:
    """Validate one text column and return it typed."""
    values = frame[col.name].astype(str).str.strip()
    blank = values == ""
    problems: list[Problem] = []

    def report(mask: pd.Series, message: str) -> None:
        for idx in mask[mask].index[:50]:
            shown = shown_value(values.loc[idx], col)
            problems.append(Problem(filename, int(idx), col.name, message.format(value=shown), col.expected()))
        extra = int(mask.sum()) - 50
        if extra > 0:
            problems.append(Problem(filename, None, col.name, f"{extra} more rows with the same problem"))

    if not col.nullable:
        report(blank, "is blank")

    if col.kind == DATE:
        shaped = values.str.match(_DATE_RE)
        trailing = ~blank & ~shaped & values.str.match(_DATE_THEN_TEXT_RE)
        report(trailing, "{value} is a date followed by something that is not a time of day (only a time such as "
                         "14:30 or 14:30:00 may follow the date)")
        report(~blank & ~shaped & ~trailing, "{value} is not a date written YYYY-MM-DD")
        parsed = pd.to_datetime(values.str.slice(0, 10).where(shaped & ~blank), format="%Y-%m-%d", errors="coerce")
        report(~blank & shaped & parsed.isna(), "{value} is not a real calendar date")
        future = parsed > pd.Timestamp(today)
        report(future.fillna(False), "{value} is in the future")
        return parsed, problems
    if col.kind == BOOL:
        lowered = values.str.lower()
        is_true = lowered.isin(schema.TRUE_WORDS)
        is_false = lowered.isin(schema.FALSE_WORDS)
        report(~blank & ~is_true & ~is_false, "{value} is not a yes/no value")
        return is_true.where(~blank, other=pd.NA).astype("boolean"), problems
    if col.kind == INT:
        ok = values.str.match(_INT_RE)
        report(~blank & ~ok, "{value} is not a whole number of 0 or more")
        return pd.to_numeric(values.where(ok & ~blank), errors="coerce").astype("Int64"), problems
    if col.kind == CATEGORY:
        lowered = values.str.lower()
        report(~blank & ~lowered.isin(col.allowed), "{value} is not an allowed value")
        return lowered.where(~blank), problems
    if col.kind in (TEXT, PARTICIPANT):
        if col.kind == PARTICIPANT or col.name.endswith("_id") or col.name == "unit":
            report(~blank & values.str.match(_TOTAL_RE), "{value} looks like a totals line, not one record")
        return values.where(~blank), problems
    raise ValueError(f"unknown column kind {col.kind}")


def _cross_checks(spec: FileSpec, typed: pd.DataFrame, filename: str) -> list[Problem]:
    """Rules that involve more than one column or row."""
    problems: list[Problem] = []

    def each(mask: pd.Series, column: str, message: str, expected: str = "") -> None:
        for idx in mask[mask.fillna(False).astype(bool)].index[:50]:
            problems.append(Problem(filename, int(idx), column, message, expected))

    if spec is schema.CASE_MANAGEMENT:
        each(typed["exited_on"] < typed["enrolled_on"], "exited_on",
             "exit date is before the enrolment date", "an exit on or after enrolled_on")
    elif spec is schema.STAFFING:
        each(typed["filled"] > typed["authorized"], "filled",
             "more positions filled than authorized", "filled no larger than authorized")
        dup = typed.duplicated(["as_of", "unit"], keep="first")
        each(dup, "unit", "the same unit appears twice in one snapshot", "one row per unit per as_of date")
    elif spec is schema.INCIDENTS:
        non_injury = typed["incident_type"] == schema.NON_INJURY
        dup = typed[non_injury].duplicated(["incident_id"], keep="first").reindex(typed.index, fill_value=False)
        each(dup, "incident_id", "a non-injury shooting incident is listed twice", "one row per non-injury incident")
        if "victim_id" in typed and typed["victim_id"].notna().any():
            victims = typed[~non_injury & typed["victim_id"].notna()]
            dup = victims.duplicated(["incident_id", "victim_id", "incident_type"], keep="first")
            each(dup.reindex(typed.index, fill_value=False), "victim_id",
                 "the same victim of the same incident is listed twice", "one row per victim")
    elif spec is schema.MEETINGS:
        each(typed.duplicated(["meeting_id"], keep="first"), "meeting_id",
             "the meeting_id is used twice", "a unique meeting_id per row")
    elif spec is schema.TASKS:
        each(typed.duplicated(["task_id"], keep="first"), "task_id", "the task_id is used twice",
             "a unique task_id per row")
        each(typed["due_on"] < typed["assigned_on"], "due_on", "due before it was assigned",
             "a due date on or after assigned_on")
        each(typed["completed_on"] < typed["assigned_on"], "completed_on", "completed before it was assigned",
             "a completion date on or after assigned_on")
    return problems


def find_input(data_dir: Path, spec: FileSpec) -> Path | None:
    """The file for ``spec`` in ``data_dir`` (CSV preferred, then .xlsx), or None."""
    for suffix in (".csv", ".xlsx"):
        candidate = data_dir / f"{spec.name}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def ambiguous_inputs(data_dir: Path) -> list[Problem]:
    """A table given both as .csv and as .xlsx: which one is current cannot be known, so neither is read."""
    return [Problem(f"{spec.name}.xlsx", None, None,
                    f"{spec.name}.csv and {spec.name}.xlsx are both in {data_dir}: it is not known which one is current",
                    "one file per table: move the older one out of the folder")
            for spec in schema.FILE_SPECS
            if (data_dir / f"{spec.name}.csv").is_file() and (data_dir / f"{spec.name}.xlsx").is_file()]


def identical_rows(frame: pd.DataFrame, key: str | None = None) -> dict[str, int]:
    """Rows that repeat an earlier row exactly: in all, and those apart from their twin.

    A victim-level export lists an incident once per victim, one row under the other; an
    extract exported twice repeats rows away from the first copy. With ``key`` (the incident
    identifier), the rows of one incident listed together are one block, and a repeat inside
    its twin's block is beside it, whatever its position in the block: victims of one incident
    of different types (non-fatal, homicide, homicide, non-fatal) are not copies apart.

    >>> identical_rows(pd.DataFrame({"a": ["x", "x", "y", "x"]}))
    {'identical': 2, 'apart': 1}
    >>> victims = pd.DataFrame({"id": ["A", "A", "A", "A", "B", "A"],
    ...                         "type": ["nonfatal", "homicide", "homicide", "nonfatal", "nonfatal", "nonfatal"]})
    >>> identical_rows(victims, key="id")  # the last row is A's block again, after B: apart
    {'identical': 3, 'apart': 1}
    """
    repeated = frame.duplicated(keep="first")
    if key is not None and key in frame:
        block = (frame[key] != frame[key].shift()).cumsum().rename("__block")
        beside = pd.concat([frame, block], axis=1).duplicated(keep="first")
    else:
        beside = (frame == frame.shift()).all(axis=1)
    return {"identical": int(repeated.sum()), "apart": int((repeated & ~beside).sum())}


def read_input(path: Path, spec: FileSpec, today: dt.date | None = None) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read and check one file against its spec; return the typed frame (raw ids) and the problems."""
    today = today or dt.date.today()
    frame, problems = _read_table(path, spec)
    if frame is None:
        return None, problems
    filename = path.name
    missing = [c.name for c in spec.columns if c.required and c.name not in frame.columns]
    for name in missing:
        problems.append(Problem(filename, 1, name, "the column is missing from the header",
                                "a header with columns " + ", ".join(c.name for c in spec.columns if c.required)))
    if missing:
        return None, problems
    if frame.empty and spec.required:
        problems.append(Problem(filename, None, None, "the file has a header but no rows",
                                f"at least one data row: {filename} is required"))
        return None, problems
    # an optional file with only its header is an empty table (a city with no meetings yet), not an error
    typed = pd.DataFrame(index=frame.index)
    for col in spec.columns:
        if col.name not in frame.columns:
            continue
        typed[col.name], col_problems = _check_column(frame, col, filename, today)
        problems.extend(col_problems)
    if not problems:
        problems.extend(_cross_checks(spec, typed, filename))
    for name in schema.unrecorded_columns(spec, [c for c in typed.columns if typed[c].isna().all()]):
        del typed[name]
    typed.attrs["identical_rows"] = identical_rows(frame, "incident_id" if spec is schema.INCIDENTS else None)
    return typed, problems


def empty_file_warnings(data: CityData) -> list[str]:
    """One line per optional file that holds a header and no rows: it is read as nothing recorded yet, which the
    page must say (its counts read 0, where a missing file reads "not recorded for this city")."""
    return [f"{Path(i.path).name} holds a header but no rows: nothing is recorded in it yet, so its counts read 0."
            for i in data.inputs if i.rows == 0 and data.tables.get(i.name) is not None]


def _folder_problem(data_dir: Path) -> list[Problem]:
    if data_dir.is_dir():
        return []
    if data_dir.exists():  # ``validate nyc/data/incidents.csv``: the folder was meant
        return [Problem(str(data_dir), None, None, "this is a file, not a folder: give the folder that holds it "
                                                   f"({data_dir.parent})")]
    return [Problem(str(data_dir), None, None, "the data folder does not exist")]


def _read_folder(data_dir: Path, paths: dict[str, Path | None],
                 today: dt.date | None) -> tuple[dict[str, pd.DataFrame | None], list[Problem]]:
    """Read and check every file of a folder: typed tables (raw identifiers) and all problems found."""
    tables: dict[str, pd.DataFrame | None] = {}
    problems: list[Problem] = []
    for spec in schema.FILE_SPECS:
        tables[spec.name] = None
        path = paths[spec.name]
        if path is None:
            if spec.required:
                problems.append(Problem(spec.filename, None, None, f"the file is missing from {data_dir}",
                                        "a CSV file with the columns in docs/data_dictionary.md"))
            continue
        typed, file_problems = read_input(path, spec, today)
        problems.extend(file_problems)
        if typed is not None and not file_problems:
            tables[spec.name] = typed  # indexed by the file's line numbers until the checks across files are done
    if not problems:
        problems.extend(_links_to_unknown_incidents(tables))
    for name, typed in tables.items():
        if typed is not None:
            table = typed.reset_index(drop=True)
            table.attrs = dict(typed.attrs)
            tables[name] = table
    return tables, problems


def _links_to_unknown_incidents(tables: dict[str, pd.DataFrame | None]) -> list[Problem]:
    """People linked to an incident that incidents.csv does not list (a typo would silently drop them)."""
    links, incidents = tables.get("incident_people"), tables.get("incidents")
    if links is None or incidents is None:
        return []
    unknown = ~links["incident_id"].isin(set(incidents["incident_id"]))
    column = schema.INCIDENT_PEOPLE.column("incident_id")
    return [Problem(schema.INCIDENT_PEOPLE.filename, int(idx), "incident_id",
                    f"{shown_value(str(links.at[idx, 'incident_id']), column)} is not an incident_id in incidents.csv",
                    "the incident_id of a shooting listed in incidents.csv") for idx in unknown[unknown].index[:50]]


def validate_data_dir(data_dir: str | os.PathLike, today: dt.date | None = None) -> list[Problem]:
    """Check every file of a data folder; return the list of problems (empty when all is well).

    >>> from ceasefire_analysis.config import DEMO_DATA_DIR
    >>> validate_data_dir(DEMO_DATA_DIR)
    []
    """
    data_dir = Path(data_dir)
    if _folder_problem(data_dir):
        return _folder_problem(data_dir)
    paths = {spec.name: find_input(data_dir, spec) for spec in schema.FILE_SPECS}
    _, problems = _read_folder(data_dir, paths, today)
    problems = ambiguous_inputs(data_dir) + problems
    if (data_dir / "history").is_dir():
        try:
            load_history(data_dir / "history")
        except InputError as exc:
            problems.extend(exc.problems)
    return problems


def _cache_dir_for(hashes: dict[str, str], key: bytes, data_dir: Path) -> Path | None:
    root = cache_root(data_dir, CACHE_DIR)
    if root is None:
        return None
    digest = hashlib.sha256()
    digest.update(CACHE_VERSION.encode())
    digest.update(key_fingerprint(key).encode())
    for name, sha in sorted(hashes.items()):
        digest.update(f"{name}:{sha}".encode())
    return root / digest.hexdigest()[:24]


def _write_cache(target: Path, tables: dict[str, pd.DataFrame | None], rows: dict[str, int],
                 duplicates: dict[str, dict[str, int]]) -> None:
    """Write processed parquet into a temporary folder, then move it into place in one step.

    ``record.json`` holds each table's row count and the SHA-256 of its parquet file, so that a
    cache that was cut short or altered is noticed and rebuilt rather than trusted.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
    try:
        keep_out_of_git(target.parent)  # the cache holds the city's records: never committed, wherever it is
        hashes = {}
        for name, frame in tables.items():
            if frame is not None:
                frame.to_parquet(tmp / f"{name}.parquet", index=False)
                hashes[name] = sha256_of(tmp / f"{name}.parquet")
        record = {"rows": rows, "parquet_sha256": hashes, "duplicate_rows": duplicates}
        (tmp / CACHE_RECORD).write_text(json.dumps(record), encoding="utf-8")
        os.replace(tmp, target)
    except OSError:
        # Another process may have written the same cache first; that copy is as good as ours.
        shutil.rmtree(tmp, ignore_errors=True)


def read_cached_table(path: Path) -> pd.DataFrame:
    """One table of the parquet cache, read with pyarrow's file reader: the same frame as ``pd.read_parquet``
    (checked on every cached table), without the dataset layer pandas reads through, which loads four more
    of Arrow's libraries (about 6 MiB of the run's memory) to read one local file."""
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).read().to_pandas()


def _read_cache(cache: Path, data_dir: Path, paths: dict[str, Path | None], hashes: dict[str, str]) -> CityData | None:
    """The cached tables, or None when the cache is missing, unreadable or differs from its record."""
    try:
        record = json.loads((cache / CACHE_RECORD).read_text(encoding="utf-8"))
        tables: dict[str, pd.DataFrame | None] = {}
        for name in paths:
            if name not in hashes:
                tables[name] = None
                continue
            file = cache / f"{name}.parquet"
            if sha256_of(file) != record["parquet_sha256"][name]:
                return None
            tables[name] = read_cached_table(file)
            if len(tables[name]) != int(record["rows"][name]):
                return None
        inputs = [InputFile(n, str(paths[n]), hashes[n], int(record["rows"][n])) for n in paths if n in hashes]
        duplicates = {n: {k: int(v) for k, v in d.items()} for n, d in record.get("duplicate_rows", {}).items()}
    except Exception:  # noqa: BLE001 - a cache is disposable: anything wrong with it means "rebuild"
        return None
    with contextlib.suppress(OSError):
        os.utime(cache)  # most recently used: kept by pruning
    return reconciled_city_data(data_dir, tables, inputs, duplicates)


def prune_caches(cache_root: Path, keep: int | None = None, now: float | None = None) -> list[Path]:
    """Delete all but the ``keep`` most recently used caches, and temporary folders over a day old.

    Only folders shaped like the package's own (24 hex digits, or ``.tmp-``) are touched.
    """
    now = time.time() if now is None else now
    keep = CACHE_KEEP if keep is None else keep
    removed = []
    try:
        entries = [p for p in cache_root.iterdir() if p.is_dir() and not p.is_symlink()]
    except OSError:
        return removed
    caches = sorted((p for p in entries if _CACHE_NAME_RE.match(p.name)), key=lambda p: p.stat().st_mtime,
                    reverse=True)
    stale_tmp = [p for p in entries if p.name.startswith(".tmp-") and now - p.stat().st_mtime > 86400]
    for path in caches[keep:] + stale_tmp:
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


# Snapshots of data folders already loaded by this process (a kernel reused for many notebooks, or the
# process that prepares many periods), most recently used last; see load_data_dir.
_SNAPSHOTS: dict[tuple[str, str], CityData] = {}
SNAPSHOTS_KEPT = 2


def _copy_of(snapshot: CityData) -> CityData:
    """A CityData whose tables the caller may change without touching the snapshot."""
    tables = {name: None if frame is None else frame.copy() for name, frame in snapshot.tables.items()}
    reconciled = None if snapshot.reconciled_victims is None else snapshot.reconciled_victims.copy()
    duplicates = {name: dict(counts) for name, counts in snapshot.duplicate_rows.items()}
    return CityData(snapshot.data_dir, tables, list(snapshot.inputs), reconciled_victims=reconciled,
                    duplicate_rows=duplicates)


def _remember(key: tuple[str, str], data: CityData) -> None:
    _SNAPSHOTS.pop(key, None)
    _SNAPSHOTS[key] = data
    while len(_SNAPSHOTS) > SNAPSHOTS_KEPT:
        del _SNAPSHOTS[next(iter(_SNAPSHOTS))]


def clear_snapshots() -> None:
    """Forget the data folders this process has loaded."""
    _SNAPSHOTS.clear()


NO_IDENTIFIERS_KEY = b"no participant identifiers in this folder"


def header_of(path: Path) -> list[str]:
    """The normalised column names of an input file's header (its first non-blank line), without reading the rows."""
    if path.suffix.lower() == ".xlsx":
        header = [str(c) for c in pd.read_excel(path, nrows=0).columns]
    else:
        with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
            header = next((row for row in csv.reader(fh) if row and any(v.strip() for v in row)), [])
    return normalise_headers(header)


def carries_identifiers(paths: dict[str, Path | None]) -> bool:
    """True when any present input file has a participant-identifier column (in its header)."""
    for spec in schema.FILE_SPECS:
        path = paths.get(spec.name)
        columns = [c.name for c in spec.columns if c.kind == PARTICIPANT]
        if path is None or not columns:
            continue
        if any(c.required for c in spec.columns if c.kind == PARTICIPANT):
            return True
        if set(header_of(path)) & set(columns):
            return True
    return False


# Entries of a data folder that are not data: the history series, notes, the demo's marker, an Excel lock file.
_NOT_DATA = ("history", "readme.md", "readme.txt", "sources.md")
_NAME_CUTOFF = 0.8  # how close a file or column name must be to a contract name to be called a near miss


def contract_name_warnings(data_dir: str | os.PathLike) -> list[str]:
    """Names in a data folder that the contract does not know, one sentence each.

    A column or file whose name is a near miss of a contract name (``reviewd_on``,
    ``Communications.csv``, ``case-management.csv``) is not read, and the numbers that need it
    change without an error: each is named with the name probably meant. Any other file in the
    folder that is not part of the contract is listed, so that nothing is ignored unseen.
    Header names are shown only when they are near misses of a contract name (a header row that
    is really a row of data never reaches a message).
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        return []
    warnings: list[str] = []
    names = [spec.name for spec in schema.FILE_SPECS]
    read = {spec.name: find_input(data_dir, spec) for spec in schema.FILE_SPECS}
    unknown: list[str] = []
    for entry in sorted(data_dir.iterdir()):
        lowered = entry.name.lower()
        if (entry.name.startswith((".", "~$")) or lowered in _NOT_DATA or entry.name == DEMO_MARKER
                or any(p is not None and entry.is_file() and os.path.samefile(entry, p) for p in read.values())):
            continue
        stem, _, suffix = lowered.partition(".")
        close = difflib.get_close_matches(re.sub(r"[\s\-]+", "_", stem.strip()), names, n=1, cutoff=_NAME_CUTOFF)
        if entry.is_file() and close and suffix.rsplit(".", 1)[-1] in ("csv", "xlsx", "xls"):
            also = f" (and {read[close[0]].name} is read)" if read[close[0]] is not None else ""
            warnings.append(f"{data_dir}: {entry.name} is not read{also}: the data contract's name for it is "
                            f"{close[0]}.csv (or .xlsx); rename it if it is meant")
        else:
            unknown.append(entry.name + ("/" if entry.is_dir() else ""))
    if unknown:
        warnings.append(f"{data_dir}: not part of the data contract, so not read: {', '.join(unknown)}")
    for spec in schema.FILE_SPECS:
        path = read[spec.name]
        if path is None:
            continue
        try:
            header = header_of(path)
        except Exception:  # an unreadable file is validation's to report, with its own message
            continue
        absent = [c for c in spec.column_names if c not in header]
        for column in header:
            if column in spec.column_names:
                continue
            joined = re.sub(r"[\s\-]+", "_", column)
            if joined in spec.column_names and joined in header:
                warnings.append(f"{path.name}: the column '{column}' is not read: the header also has '{joined}', "
                                "which is the one read; delete or rename one of them")
                continue
            close = difflib.get_close_matches(column, absent, n=1, cutoff=_NAME_CUTOFF)
            if close:
                warnings.append(f"{path.name}: the column '{column}' is not part of the data contract and is not "
                                f"read; did you mean '{close[0]}'?")
    return warnings


def load_data_dir(data_dir: str | os.PathLike, today: dt.date | None = None, use_cache: bool = True) -> CityData:
    """Validate, type and pseudonymise every file of a data folder.

    Processed tables are cached as parquet (``config.cache_root``: ``data/processed/cache/`` in a source
    checkout, ``.ceasefire_cache/`` next to the data folder when installed), keyed by
    the SHA-256 of every input and the hashing key, so a second run on the same
    files skips the parsing. The process also keeps the last few folders it loaded in
    memory under the same key, so a kernel that runs many notebooks of one city reads
    its data once; each call gets its own copy of the tables.

    Raises
    ------
    InputError
        Listing every problem found, when any file breaks the data contract.
    """
    data_dir = Path(data_dir)
    if _folder_problem(data_dir):
        raise InputError(_folder_problem(data_dir))
    ambiguous = ambiguous_inputs(data_dir)
    if ambiguous:
        raise InputError(ambiguous)
    paths = {spec.name: find_input(data_dir, spec) for spec in schema.FILE_SPECS}
    # a city that supplies no participant identifier (incidents only) needs no key to hash them
    key = resolve_id_key(data_dir) if carries_identifiers(paths) else NO_IDENTIFIERS_KEY
    hashes = {name: sha256_of(p) for name, p in paths.items() if p is not None}
    if not use_cache:
        return _load_data_dir(data_dir, paths, hashes, key, today, None)
    cache = _cache_dir_for(hashes, key, data_dir)
    memory_key = (str(data_dir.resolve()), str(cache))
    snapshot = _SNAPSHOTS.get(memory_key)
    if snapshot is None:
        snapshot = _load_data_dir(data_dir, paths, hashes, key, today, cache)
    _remember(memory_key, snapshot)
    return _copy_of(snapshot)


def _load_data_dir(data_dir: Path, paths: dict[str, Path | None], hashes: dict[str, str], key: bytes,
                   today: dt.date | None, cache: Path | None) -> CityData:
    """Load a folder from its parquet cache, or read, check and pseudonymise it (and fill the cache)."""
    if cache is not None and cache.is_dir():
        cached = _read_cache(cache, data_dir, paths, hashes)
        if cached is not None:
            return cached
        shutil.rmtree(cache, ignore_errors=True)  # cut short or altered: rebuilt below

    tables, problems = _read_folder(data_dir, paths, today)
    if problems:
        raise InputError(problems)
    duplicates = {name: t.attrs.pop("identical_rows") for name, t in tables.items()
                  if t is not None and "identical_rows" in t.attrs}
    for spec in schema.FILE_SPECS:
        typed = tables[spec.name]
        for col in spec.columns:
            if typed is not None and col.kind == PARTICIPANT and col.name in typed:
                typed[col.name] = pseudonymise(typed[col.name], key)
    inputs = [InputFile(n, str(paths[n]), hashes[n], len(t)) for n, t in tables.items() if t is not None]
    if cache is not None:
        _write_cache(cache, tables, {i.name: i.rows for i in inputs}, duplicates)
        prune_caches(cache.parent)
    return reconciled_city_data(data_dir, tables, inputs, duplicates)


SERIES_COLUMNS = ("year", "value", "source", "definition")
ROLES = ("homicides", "population", "state_homicides", "state_population", "sworn_officers",
         "sworn_officers_jan1")


# --------------------------------------------------------------------------- history series

def read_series(path: Path) -> pd.DataFrame:
    """Read and check one annual series file.

    Years must be whole numbers, unique, and contiguous within each definition;
    values must be numbers of 0 or more.

    Raises
    ------
    InputError
        Naming the file, row and column of every problem.
    """
    name = f"{path.parent.name}/{path.name}"  # e.g. history/homicides.csv, as a user would look for it
    problems: list[Problem] = []

    try:
        raw, unreadable = parse_csv_lines(path.read_bytes().decode("utf-8-sig"), name)
    except UnicodeDecodeError:
        raw, unreadable = None, [Problem(name, None, None, "could not be read as CSV (not UTF-8 text)",
                                         "a UTF-8 CSV file with columns " + ", ".join(SERIES_COLUMNS))]
    if raw is None:
        raise InputError(unreadable)
    raw.columns = [c.strip().lower() for c in raw.columns]
    missing = [c for c in SERIES_COLUMNS if c not in raw.columns]
    if missing:
        raise InputError([Problem(name, 1, c, "the column is missing from the header",
                                  "columns " + ", ".join(SERIES_COLUMNS)) for c in missing])
    years = pd.to_numeric(raw["year"].str.strip(), errors="coerce")
    values = pd.to_numeric(raw["value"].str.strip(), errors="coerce")
    for i in raw.index:
        if math.isnan(years[i]) or years[i] != int(years[i]):
            problems.append(Problem(name, i, "year", f"'{raw.at[i, 'year']}' is not a year", "a four-digit year"))
        if math.isnan(values[i]) or values[i] < 0:
            problems.append(Problem(name, i, "value", f"'{raw.at[i, 'value']}' is not a number of 0 or more",
                                    "a number of 0 or more"))
        if not raw.at[i, "definition"].strip():
            problems.append(Problem(name, i, "definition", "is blank", "what the number counts"))
    if problems:
        raise InputError(problems)
    frame = pd.DataFrame({"year": years.astype(int), "value": values.astype(float),
                          "source": raw["source"].str.strip(), "definition": raw["definition"].str.strip(),
                          "note": raw["note"].str.strip() if "note" in raw else ""})
    for i in frame.index[frame["year"].duplicated(keep="first")]:
        problems.append(Problem(name, i, "year", f"{frame.at[i, 'year']} appears twice", "one row per year"))
    for definition, group in frame.groupby("definition", sort=False):
        expected = set(range(group["year"].min(), group["year"].max() + 1))
        for year in sorted(expected - set(group["year"])):
            problems.append(Problem(name, None, "year", f"{year} is missing inside the '{definition}' years",
                                    "contiguous years within each definition"))
    if problems:
        raise InputError(problems)
    return frame.sort_values("year").reset_index(drop=True)


def load_history(history_dir: Path | None) -> dict[str, pd.DataFrame]:
    """Every series in a history folder, by file stem (empty when there is no folder)."""
    if history_dir is None or not Path(history_dir).is_dir():
        return {}
    problems: list[Problem] = []
    series: dict[str, pd.DataFrame] = {}
    for path in sorted(Path(history_dir).glob("*.csv")):
        try:
            series[path.stem] = read_series(path)
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    return series
