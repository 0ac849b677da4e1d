"""Reading a city's data folder: validation against the data contract, typing, pseudonymising.

Every problem found is collected (file, row as numbered in the file, column, what was
wrong, what was expected) and raised together as :class:`InputError`, so a user sees
the whole list at once. Raw files are only ever opened for reading.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
import tempfile
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from . import schema
from .config import CACHE_DIR
from .errors import InputError, Problem
from .privacy import key_fingerprint, pseudonymise, resolve_id_key
from .schema import BOOL, CATEGORY, DATE, INT, PARTICIPANT, TEXT, Column, FileSpec

_DATE_RE = r"^\d{4}-\d{2}-\d{2}(?:[ T].*)?$"
_INT_RE = r"^\d+$"
_OTHER_DELIMITERS = (";", "\t", "|")
CACHE_VERSION = "2"  # bump when the processed tables change shape or meaning


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

    def __post_init__(self) -> None:
        from .quality import reconcile_victims

        incidents = self.tables.get("incidents")
        if incidents is not None and self.reconciled_victims is None:
            self.tables["incidents"], self.reconciled_victims = reconcile_victims(incidents)

    def __getattr__(self, name: str) -> pd.DataFrame | None:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    def input_records(self) -> list[dict]:
        """File name, SHA-256 and row count of every input read, for provenance."""
        return [{"file": Path(i.path).name, "sha256": i.sha256, "rows": i.rows} for i in self.inputs]

    @cached_property
    def monthly_counts(self) -> pd.DataFrame:
        """Incident counts by month and type (see ``indicators.monthly_incident_counts``), computed once."""
        from .indicators import monthly_incident_counts

        return monthly_incident_counts(self.tables["incidents"])

    def date_range(self) -> tuple[dt.date | None, dt.date | None]:
        """First and last incident dates, the span the data covers."""
        incidents = self.tables.get("incidents")
        if incidents is None or incidents.empty:
            return None, None
        return incidents["occurred_on"].min().date(), incidents["occurred_on"].max().date()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _decode(raw: bytes, filename: str) -> tuple[str | None, list[Problem]]:
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [Problem(filename, line, None,
                              f"byte 0x{raw[exc.start]:02x} is not valid UTF-8 text",
                              "a file saved as UTF-8 (in Excel: 'CSV UTF-8')")]


def _first_ragged_row(text: str) -> tuple[int | None, int, int]:
    """Line number, header width and field count of the first row longer than the header."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    for row in reader:
        if len(row) > len(header):
            return reader.line_num, len(header), len(row)
    return None, len(header), len(header)


def _read_table(path: Path, spec: FileSpec) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read a CSV (or .xlsx) as text columns with trimmed, lower-cased headers."""
    name = path.name
    if path.suffix.lower() == ".xlsx":
        try:
            frame = pd.read_excel(path, dtype=str, keep_default_na=False)
        except Exception as exc:  # openpyxl and pandas raise many kinds for a bad workbook
            return None, [Problem(name, None, None, f"could not be read as an Excel workbook ({exc})")]
        frame = frame.fillna("")
    else:
        text, problems = _decode(path.read_bytes(), name)
        if problems:
            return None, problems
        if not text.strip():
            return None, [Problem(name, None, None, "the file is empty", "a header row naming the columns")]
        try:
            with warnings.catch_warnings():
                # pandas only warns (and drops values) when the first data row is longer than the header
                warnings.simplefilter("error", pd.errors.ParserWarning)
                frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False,
                                    skip_blank_lines=True, index_col=False)
        except (pd.errors.ParserError, pd.errors.ParserWarning):
            row, width, fields = _first_ragged_row(text)
            return None, [Problem(name, row, None, f"the row has {fields} values but the header names {width} columns",
                                  "one value per column, separated by commas")]
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if len(frame.columns) == 1:
        header = frame.columns[0]
        for delim in _OTHER_DELIMITERS:
            if delim in header:
                shown = "tab" if delim == "\t" else repr(delim)
                return None, [Problem(name, 1, None, f"the columns are separated by {shown}",
                                      "columns separated by commas")]
    return frame, []


def _check_column(frame: pd.DataFrame, col: Column, filename: str, today: dt.date) -> tuple[pd.Series, list[Problem]]:
    """Validate one text column and return it typed."""
    values = frame[col.name].astype(str).str.strip()
    blank = values == ""
    problems: list[Problem] = []

    def report(mask: pd.Series, message: str) -> None:
        for idx in mask[mask].index[:50]:
            shown = values.loc[idx]
            problems.append(Problem(filename, int(idx) + 2, col.name, message.format(value=shown), col.expected()))
        extra = int(mask.sum()) - 50
        if extra > 0:
            problems.append(Problem(filename, None, col.name, f"{extra} more rows with the same problem"))

    if not col.nullable:
        report(blank, "is blank")

    if col.kind == DATE:
        shaped = values.str.match(_DATE_RE)
        report(~blank & ~shaped, "'{value}' is not a date written YYYY-MM-DD")
        parsed = pd.to_datetime(values.str.slice(0, 10).where(shaped & ~blank), format="%Y-%m-%d", errors="coerce")
        report(~blank & shaped & parsed.isna(), "'{value}' is not a real calendar date")
        future = parsed > pd.Timestamp(today)
        report(future.fillna(False), "'{value}' is in the future")
        return parsed, problems
    if col.kind == BOOL:
        lowered = values.str.lower()
        is_true = lowered.isin(schema.TRUE_WORDS)
        is_false = lowered.isin(schema.FALSE_WORDS)
        report(~blank & ~is_true & ~is_false, "'{value}' is not a yes/no value")
        return is_true.where(~blank, other=pd.NA).astype("boolean"), problems
    if col.kind == INT:
        ok = values.str.match(_INT_RE)
        report(~blank & ~ok, "'{value}' is not a whole number of 0 or more")
        return pd.to_numeric(values.where(ok & ~blank), errors="coerce").astype("Int64"), problems
    if col.kind == CATEGORY:
        lowered = values.str.lower()
        report(~blank & ~lowered.isin(col.allowed), "'{value}' is not an allowed value")
        return lowered.where(~blank), problems
    if col.kind in (TEXT, PARTICIPANT):
        return values.where(~blank), problems
    raise ValueError(f"unknown column kind {col.kind}")


def _cross_checks(spec: FileSpec, typed: pd.DataFrame, filename: str) -> list[Problem]:
    """Rules that involve more than one column or row."""
    problems: list[Problem] = []

    def each(mask: pd.Series, column: str, message: str, expected: str = "") -> None:
        for idx in mask[mask.fillna(False).astype(bool)].index[:50]:
            problems.append(Problem(filename, int(idx) + 2, column, message, expected))

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
    if frame.empty:
        problems.append(Problem(filename, None, None, "the file has a header but no rows",
                                "at least one data row"))
        return None, problems
    typed = pd.DataFrame(index=frame.index)
    for col in spec.columns:
        if col.name not in frame.columns:
            continue
        typed[col.name], col_problems = _check_column(frame, col, filename, today)
        problems.extend(col_problems)
    if not problems:
        problems.extend(_cross_checks(spec, typed, filename))
    return typed, problems


def _folder_problem(data_dir: Path) -> list[Problem]:
    return [] if data_dir.is_dir() else [Problem(str(data_dir), None, None, "the data folder does not exist")]


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
            tables[spec.name] = typed.reset_index(drop=True)
    if not problems:
        problems.extend(_links_to_unknown_incidents(tables))
    return tables, problems


def _links_to_unknown_incidents(tables: dict[str, pd.DataFrame | None]) -> list[Problem]:
    """People linked to an incident that incidents.csv does not list (a typo would silently drop them)."""
    links, incidents = tables.get("incident_people"), tables.get("incidents")
    if links is None or incidents is None:
        return []
    unknown = ~links["incident_id"].isin(set(incidents["incident_id"]))
    return [Problem(schema.INCIDENT_PEOPLE.filename, int(idx) + 2, "incident_id",
                    f"'{links.at[idx, 'incident_id']}' is not an incident_id in incidents.csv",
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
    if (data_dir / "history").is_dir():
        from .history import load_history
        try:
            load_history(data_dir / "history")
        except InputError as exc:
            problems.extend(exc.problems)
    return problems


def _cache_dir_for(hashes: dict[str, str], key: bytes) -> Path:
    digest = hashlib.sha256()
    digest.update(CACHE_VERSION.encode())
    digest.update(key_fingerprint(key).encode())
    for name, sha in sorted(hashes.items()):
        digest.update(f"{name}:{sha}".encode())
    return CACHE_DIR / digest.hexdigest()[:24]


def _write_cache(target: Path, tables: dict[str, pd.DataFrame | None], rows: dict[str, int]) -> None:
    """Write processed parquet into a temporary folder, then move it into place in one step."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
    try:
        for name, frame in tables.items():
            if frame is not None:
                frame.to_parquet(tmp / f"{name}.parquet", index=False)
        (tmp / "rows.txt").write_text("".join(f"{k} {v}\n" for k, v in rows.items()))
        os.replace(tmp, target)
    except OSError:
        # Another process may have written the same cache first; that copy is as good as ours.
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)


def load_data_dir(data_dir: str | os.PathLike, today: dt.date | None = None, use_cache: bool = True) -> CityData:
    """Validate, type and pseudonymise every file of a data folder.

    Processed tables are cached as parquet under ``data/processed/cache/``, keyed by
    the SHA-256 of every input and the hashing key, so a second run on the same
    files skips the parsing.

    Raises
    ------
    InputError
        Listing every problem found, when any file breaks the data contract.
    """
    data_dir = Path(data_dir)
    if _folder_problem(data_dir):
        raise InputError(_folder_problem(data_dir))
    key = resolve_id_key(data_dir)
    paths = {spec.name: find_input(data_dir, spec) for spec in schema.FILE_SPECS}
    hashes = {name: sha256_of(p) for name, p in paths.items() if p is not None}
    cache = _cache_dir_for(hashes, key) if use_cache else None
    if cache is not None and (cache / "rows.txt").is_file():
        rows = dict(line.split() for line in (cache / "rows.txt").read_text().splitlines())
        tables = {name: (pd.read_parquet(cache / f"{name}.parquet") if name in hashes else None) for name in paths}
        inputs = [InputFile(n, str(paths[n]), hashes[n], int(rows[n])) for n in paths if n in hashes]
        return CityData(data_dir, tables, inputs)

    tables, problems = _read_folder(data_dir, paths, today)
    if problems:
        raise InputError(problems)
    for spec in schema.FILE_SPECS:
        typed = tables[spec.name]
        for col in spec.columns:
            if typed is not None and col.kind == PARTICIPANT and col.name in typed:
                typed[col.name] = pseudonymise(typed[col.name], key)
    inputs = [InputFile(n, str(paths[n]), hashes[n], len(t)) for n, t in tables.items() if t is not None]
    if cache is not None:
        _write_cache(cache, tables, {i.name: i.rows for i in inputs})
    return CityData(data_dir, tables, inputs)
