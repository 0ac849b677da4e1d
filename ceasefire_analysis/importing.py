"""Importing a police export: one contract file from source files and a column map.

A column map is a small YAML file (examples in ``params/maps/``)::

    file: incidents                  # which contract file to write
    keep:                            # optional: keep only rows whose column has one of these values
      GUNSHOT_INJURY_I: ["y", "yes"]
    columns:
      incident_id: INCIDENT_KEY      # a source column, copied (trimmed)
      occurred_on:
        column: OCCUR_DATE
        format: ["%m/%d/%y", "%m/%d/%Y"]   # strptime formats, tried in order
        time: ignore                 # optional: drop a time of day after the date ("8/27/2006 0:00")
      incident_type:
        column: STATISTICAL_MURDER_FLAG
        values:                      # contract value: source values (trimmed, any case)
          homicide: ["true", "y"]
          nonfatal_injury_shooting: ["false", "n"]
      area: BORO
      # a fixed value in every row: {constant: VALUE}; a column the export lacks is left out of the map (a
      # column blank in every row, e.g. `group: {constant: ""}`, reads as "not recorded for this city")
    homicide_scope: firearm          # optional: what the export's homicides count (all or firearm);
                                     # `ceasefire import` reminds the user to set it in the params file
    # a category decided from more than one column: the first rule whose every condition holds
    #   incident_type:
    #     rules:
    #       - {when: {VICTIMIZATION_PRIMARY: [homicide]}, value: homicide}
    #       - {when: {GUNSHOT_INJURY_I: ["y", "yes"]}, value: nonfatal_injury_shooting}

Rows that a map cannot place (a value no mapping names, a date in no given format, a
blank required value, a row outside ``keep``) are dropped and counted by reason, never
guessed. Source files are only read.

Overlapping exports (NYPD's Historic file and its Year-To-Date file after an annual update)
must not count a shooting twice. A row of a later source that is identical, in every column
written, to a row of an earlier source is dropped as a "duplicate of a row in an earlier
source". Identical rows within one source are kept: a victim-level export lists an incident
once per victim, and two victims of one incident can read the same. So a later source keeps
only the copies of a row beyond the most that any earlier source held (three victims where
the earlier export had two: one is kept).
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import os
import re
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import schema
from .config import PARAMS_DIR
from .errors import CeasefireError, InputError
from .formatting import format_count
from .loading import read_input, shown_value, validate_data_dir
from .params import HOMICIDE_SCOPES
from .schema import CATEGORY, DATE, Column, FileSpec

MAP_KEYS = ("file", "keep", "columns", "homicide_scope")
DUPLICATE_REASON = "duplicate of a row in an earlier source"
MAX_EXAMPLES = 3  # rows shown per drop reason
COLUMN_KEYS = ("column", "format", "time", "values", "constant", "rules")
# a time of day after a date ("8/27/2006 0:00", "12:00:00 AM"), dropped when a date column says `time: ignore`
_TIME_OF_DAY_RE = re.compile(r"\s+(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?(?:\s*[AaPp]\.?[Mm]\.?)?$")


# ISO 8601 as written by spreadsheets and open-data portals: a date, optionally "T" and a time of day
_ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")


class MapError(CeasefireError):
    """A column map that cannot be used; the message names the key."""


class FolderError(CeasefireError):
    """The new file would leave its data folder failing ``ceasefire validate``."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"with it, the folder would fail `ceasefire validate` ({len(problems)} "
                         f"problem{'s' if len(problems) != 1 else ''}):\n{shown}{more}")


@dataclass(frozen=True)
class ColumnRule:
    """How one contract column is filled."""

    target: str
    column: str | None = None
    formats: tuple[str, ...] = ()
    ignore_time: bool = False  # a date column: a time of day after the date is dropped before the formats
    values: dict[str, str] = field(default_factory=dict)  # lower-cased source value -> contract value
    constant: str | None = None
    rules: tuple[tuple[dict[str, frozenset[str]], str], ...] = ()

    def source_columns(self) -> list[str]:
        cols = [self.column] if self.column else []
        for when, _ in self.rules:
            cols.extend(when)
        return cols


@dataclass(frozen=True)
class ColumnMap:
    """A validated column map."""

    spec: FileSpec
    columns: tuple[ColumnRule, ...]
    keep: dict[str, frozenset[str]] = field(default_factory=dict)
    source: str = ""
    homicide_scope: str | None = None  # what the export's homicides count; the params file must say the same


@dataclass
class ImportResult:
    """What an import read, wrote and dropped."""

    out_path: Path
    rows_read: int = 0
    rows_written: int = 0
    dropped: Counter = field(default_factory=Counter)
    # per reason, the first few rows dropped for it ("row 5 of src.csv ('2020-13-01')"): the reason's
    # count stays one line however many distinct values an export holds (9,232 timestamps are one reason)
    examples: dict[str, list[str]] = field(default_factory=dict)
    folder_problems: list[str] = field(default_factory=list)  # the folder had them before the import

    @property
    def rows_dropped(self) -> int:
        return sum(self.dropped.values())

    def summary(self) -> str:
        lines = [f"read {self.rows_read} rows; wrote {self.rows_written} to {self.out_path}; "
                 f"dropped {self.rows_dropped}"]
        return "\n".join(lines + self.reasons())

    def reasons(self) -> list[str]:
        """One line per reason rows were dropped, most rows first."""
        return [f"  - {format_count(n)} row{'s' if n != 1 else ''}: {reason}"
                + (f", e.g. {'; '.join(self.examples[reason])}" if self.examples.get(reason) else "")
                for reason, n in sorted(self.dropped.items(), key=lambda kv: (-kv[1], kv[0]))]

    def drop(self, reason: str, example: str = "") -> None:
        """Count a dropped row under ``reason``, keeping it as an example while a reason has fewer than 3."""
        self.dropped[reason] += 1
        if example and len(self.examples.setdefault(reason, [])) < MAX_EXAMPLES:
            self.examples[reason].append(example)

    def not_written(self, why: str) -> str:
        """The message when nothing was written: why, and every reason rows were dropped."""
        lines = [f"nothing was written to {self.out_path}: {why}",
                 f"read {self.rows_read} rows; dropped {self.rows_dropped}" + (":" if self.dropped else "")]
        return "\n".join(lines + self.reasons())


# --------------------------------------------------------------------------- the map

def _words(values: Any, key: str, where: str) -> frozenset[str]:
    if isinstance(values, (str, int, float, bool)):
        values = [values]
    if not isinstance(values, list) or not values:
        raise MapError(f"'{key}'{where} must be a value or a list of values")
    return frozenset(_yaml_text(v).strip().lower() for v in values)


def _yaml_text(value: Any) -> str:
    # YAML reads true/false/yes/no unquoted as booleans: take them as the words the user wrote
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _conditions(when: Any, key: str, where: str) -> dict[str, frozenset[str]]:
    if not isinstance(when, dict) or not when:
        raise MapError(f"'{key}'{where} must be a mapping of source column to values")
    return {str(col): _words(vals, f"{key}.{col}", where) for col, vals in when.items()}


def _column_rule(target: str, value: Any, spec: FileSpec, where: str) -> ColumnRule:
    key = f"columns.{target}"
    if isinstance(value, str):
        return ColumnRule(target, column=value)
    if not isinstance(value, dict):
        raise MapError(f"'{key}'{where} must be a source column name or a mapping with keys "
                       + ", ".join(COLUMN_KEYS))
    unknown = sorted(set(value) - set(COLUMN_KEYS))
    if unknown:
        raise MapError(f"unknown key {', '.join(repr(f'{key}.{u}') for u in unknown)}{where}; "
                       f"allowed keys are: {', '.join(COLUMN_KEYS)}")
    if "constant" in value:
        if len(value) > 1:
            raise MapError(f"'{key}.constant'{where} cannot be combined with other keys")
        return ColumnRule(target, constant=_yaml_text(value["constant"]).strip())
    if "rules" in value:
        if set(value) != {"rules"}:
            raise MapError(f"'{key}.rules'{where} cannot be combined with other keys")
        rules = value["rules"]
        if not isinstance(rules, list) or not rules:
            raise MapError(f"'{key}.rules'{where} must be a list of {{when: {{column: [values]}}, value: v}}")
        parsed = []
        for i, rule in enumerate(rules):
            rkey = f"{key}.rules[{i}]"
            if not isinstance(rule, dict) or set(rule) != {"when", "value"}:
                raise MapError(f"'{rkey}'{where} must have exactly the keys when and value")
            parsed.append((_conditions(rule["when"], f"{rkey}.when", where), _yaml_text(rule["value"]).strip()))
        rule_obj = ColumnRule(target, rules=tuple(parsed))
        _check_contract_values(rule_obj, [v for _, v in parsed], spec, f"{key}.rules", where)
        return rule_obj
    if "column" not in value or not isinstance(value["column"], str):
        raise MapError(f"'{key}.column'{where} is required: the source column to read")
    formats: tuple[str, ...] = ()
    if "format" in value:
        fmt = value["format"]
        fmt = [fmt] if isinstance(fmt, str) else fmt
        if not isinstance(fmt, list) or not fmt or not all(isinstance(f, str) and "%" in f for f in fmt):
            raise MapError(f"'{key}.format'{where} must be a strptime format such as \"%m/%d/%Y\" or a list of them")
        formats = tuple(fmt)
    ignore_time = False
    if "time" in value:
        if value["time"] != "ignore" or not formats:
            raise MapError(f"'{key}.time'{where} can only be `ignore`, beside a format: a time of day after "
                           "the date (\"8/27/2006 0:00\") is then dropped before the formats are tried")
        ignore_time = True
    values: dict[str, str] = {}
    if "values" in value:
        mapping = value["values"]
        if not isinstance(mapping, dict) or not mapping:
            raise MapError(f"'{key}.values'{where} must map each contract value to a list of source values")
        for contract_value, source_values in mapping.items():
            for word in _words(source_values, f"{key}.values.{contract_value}", where):
                if word in values and values[word] != _yaml_text(contract_value):
                    raise MapError(f"'{key}.values'{where} maps the source value '{word}' twice")
                values[word] = _yaml_text(contract_value).strip()
    rule_obj = ColumnRule(target, column=value["column"], formats=formats, ignore_time=ignore_time, values=values)
    if values:
        _check_contract_values(rule_obj, list(values.values()), spec, f"{key}.values", where)
    return rule_obj


def _check_contract_values(rule: ColumnRule, values: list[str], spec: FileSpec, key: str, where: str) -> None:
    col = spec.column(rule.target)
    if col.kind == CATEGORY:
        bad = sorted({v for v in values if v not in col.allowed})
        if bad:
            raise MapError(f"'{key}'{where}: {', '.join(repr(b) for b in bad)} is not a value of "
                           f"{rule.target}; use one of {', '.join(col.allowed)}")


def map_from_values(values: Any, source: str = "") -> ColumnMap:
    """Check a column map (as read from YAML) and build :class:`ColumnMap`.

    >>> m = map_from_values({"file": "incidents", "columns": {"incident_id": "KEY",
    ...     "occurred_on": {"column": "DATE", "format": "%m/%d/%Y"},
    ...     "incident_type": {"constant": "homicide"}}})
    >>> [c.target for c in m.columns]
    ['incident_id', 'occurred_on', 'incident_type']
    """
    where = f" in {source}" if source else ""
    if not isinstance(values, dict):
        raise MapError(f"the column map{where} must hold key: value pairs (file, columns, keep)")
    unknown = sorted(set(values) - set(MAP_KEYS))
    if unknown:
        raise MapError(f"unknown key {', '.join(repr(u) for u in unknown)}{where}; allowed keys are: "
                       + ", ".join(MAP_KEYS))
    name = values.get("file")
    if name not in schema.SPECS_BY_NAME:
        raise MapError(f"'file'{where} must be one of {', '.join(schema.SPECS_BY_NAME)}")
    spec = schema.SPECS_BY_NAME[name]
    columns = values.get("columns")
    if not isinstance(columns, dict) or not columns:
        raise MapError(f"'columns'{where} must map contract columns of {spec.filename} to source columns")
    for target in columns:
        if target not in spec.column_names:
            raise MapError(f"'columns.{target}'{where} is not a column of {spec.filename}; its columns are "
                           + ", ".join(spec.column_names))
    missing = [c.name for c in spec.columns if c.required and c.name not in columns]
    if missing:
        raise MapError(f"'columns'{where} does not fill the required column{'s' if len(missing) > 1 else ''} "
                       f"{', '.join(missing)} of {spec.filename}")
    rules = []
    for c in spec.columns:  # contract order, so the output's columns are always in the same order
        if c.name in columns:
            rule = _column_rule(c.name, columns[c.name], spec, where)
            if c.kind == DATE and rule.column and not rule.formats:
                raise MapError(f"'columns.{c.name}.format'{where} is required: how the source writes dates, "
                               "e.g. \"%m/%d/%Y\"")
            rules.append(rule)
    keep = values.get("keep") or {}
    keep = _conditions(keep, "keep", where) if keep else {}
    scope = values.get("homicide_scope")
    if scope is not None and scope not in HOMICIDE_SCOPES:
        raise MapError(f"'homicide_scope'{where} must be one of {', '.join(HOMICIDE_SCOPES)}")
    return ColumnMap(spec, tuple(rules), keep, source, scope)


def load_map(path: str | os.PathLike) -> ColumnMap:
    """Read and check a column map file; a bare name (``nypd_shooting_incidents``) is a shipped map."""
    path = Path(path)
    if not path.exists() and path.parent == Path(".") and path.suffix == "":
        path = PARAMS_DIR / "maps" / f"{path.name}.yaml"
    if path.is_dir():
        raise MapError(f"column map {path} is a folder; give a map file (.yaml) or the name of a shipped map")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise MapError(f"column map {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MapError(f"column map {path} could not be read ({getattr(exc, 'strerror', None) or exc})") from None
    try:
        # every value of a map is text: read `yes`, `no`, `on`, `off` as the words written, not as booleans
        values = yaml.load(text, Loader=yaml.BaseLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise MapError(f"column map {path} is not valid YAML{f' at line {mark.line + 1}' if mark else ''}") from None
    return map_from_values(values, str(path))


# --------------------------------------------------------------------------- the sources

def decode_export(raw: bytes) -> str:
    """Text of an export: UTF-8 (with or without a byte-order mark), else Windows-1252.

    >>> decode_export(b"\\xef\\xbb\\xbfA,B")
    'A,B'
    >>> decode_export(b"caf\\xe9")
    'café'
    """
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def read_export(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and rows of a CSV (any line endings) or .xlsx export, every value as text.

    Each row comes with its number as a spreadsheet shows it (header = 1), for messages; blank rows are
    left out but keep their numbers.
    """
    if path.is_dir():
        raise CeasefireError(f"source {path} is a folder; give the export file(s) themselves, e.g. {path}/*.csv")
    if path.suffix.lower() == ".xlsx":
        import pandas as pd  # only a spreadsheet export needs it (to read .xlsx)

        try:
            frame = pd.read_excel(path, dtype=object, keep_default_na=False)
        except Exception as exc:  # openpyxl raises many kinds for a bad workbook
            raise CeasefireError(f"{path}: could not be read as an Excel workbook ({exc})") from None

        def text(v: Any) -> str:
            if isinstance(v, (dt.datetime, dt.date)):
                return v.strftime("%Y-%m-%d")
            return "" if v is None else str(v)

        return [str(c) for c in frame.columns], [(n, [text(v) for v in row])
                                                 for n, row in enumerate(frame.itertuples(index=False), start=2)]
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CeasefireError(f"source file {path} does not exist") from None
    except OSError as exc:
        raise CeasefireError(f"source file {path} could not be read ({exc.strerror or exc})") from None
    reader = csv.reader(io.StringIO(decode_export(raw), newline=""))
    header = next(reader, None)
    if header is None:
        raise CeasefireError(f"{path}: the file is empty; expected a header row naming the columns")
    return header, [(n, row) for n, row in enumerate(reader, start=2) if any(cell.strip() for cell in row)]


# --------------------------------------------------------------------------- one row

def _shown(raw: str, source_column: str, words: set[str] | frozenset[str]) -> str:
    """A source value as a drop reason may show it.

    A word the map itself names is quoted (the map's author wrote it); anything else follows the
    loader's rule (:func:`~ceasefire_analysis.loading.shown_value`): a shifted column can put a
    person's name or number here, and this line goes to the terminal and the scheduler's log.
    """
    if raw.lower() in words:
        return f"'{raw}'"
    return shown_value(raw, Column(source_column, CATEGORY, allowed=tuple(sorted(words))))


def _parse_date(value: str, formats: tuple[str, ...]) -> str | None:
    """The ISO date of ``value``, read with the first of ``formats`` that fits, else as ISO 8601.

    ISO 8601 is unambiguous, so it is accepted whatever the formats say: an Excel date cell arrives as
    ``2019-01-14``, and the open-data portals' API exports write ``2019-01-14T23:40:00.000`` (with a ``Z``
    or an offset at times); the date is taken as written.

    >>> _parse_date("01/14/2019", ("%m/%d/%Y",)), _parse_date("2019-01-14T23:40:00.000", ("%m/%d/%Y",))
    ('2019-01-14', '2019-01-14')
    >>> _parse_date("2019-01-14T23:40:00Z", ()), _parse_date("2019-13-14T00:00:00", ()) is None
    ('2019-01-14', True)
    """
    for fmt in formats:
        try:
            return dt.datetime.strptime(value, fmt).date().isoformat()
        except ValueError:
            continue
    if not _ISO_DATE_RE.match(value):
        return None
    try:
        return dt.datetime.fromisoformat(value).date().isoformat()
    except ValueError:
        return None


def _fill(rule: ColumnRule, row: dict[str, str], spec: FileSpec) -> tuple[str | None, str, str]:
    """The contract value for one column of one row, or None, the reason to drop the row and the value
    as the reason may show it (described unless it is safe to quote, see :func:`_shown`)."""
    col = spec.column(rule.target)
    if rule.constant is not None:
        return rule.constant, "", ""
    if rule.rules:
        for when, value in rule.rules:
            if all(row[c].strip().lower() in words for c, words in when.items()):
                return value, "", ""
        named: dict[str, set[str]] = {}
        for when, _ in rule.rules:
            for c, words in when.items():
                named.setdefault(c, set()).update(words)
        shown = ", ".join(f"{c} {_shown(row[c].strip(), c, named[c])}" for c in named)
        return None, f"{rule.target}: no rule matches {', '.join(named)}", shown
    raw = row[rule.column].strip()
    if raw == "" or raw.lower() == "(null)":
        if col.required and not col.nullable:
            return None, f"{rule.target}: {rule.column} is blank", ""
        return "", "", ""
    if rule.values:
        mapped = rule.values.get(raw.lower())
        if mapped is None:
            return (None, f"{rule.target}: {rule.column} matches no value in the map",
                    _shown(raw, rule.column, set(rule.values)))
        return mapped, "", ""
    if col.kind == DATE:
        parsed = _parse_date(_TIME_OF_DAY_RE.sub("", raw) if rule.ignore_time else raw, rule.formats)
        if parsed is None:
            return (None, f"{rule.target}: {rule.column} is in none of the formats {', '.join(rule.formats)} "
                          "(nor ISO 8601)", shown_value(raw, col))
        return parsed, "", ""
    return raw, "", ""


def row_order_key(targets: list[str], spec: FileSpec):
    """The order rows are written in: by date, then identifier (ISO dates sort as text); sources' order otherwise.

    Sorted (stably), the victims of one incident sit one under the other, as the duplicate-row check
    expects of a one-row-per-victim export, whatever order the export listed them in.

    >>> key = row_order_key(["incident_id", "occurred_on"], schema.INCIDENTS)
    >>> sorted([["B", "2019-01-02"], ["A", "2019-01-03"], ["A", "2019-01-02"], ["B", "2019-01-02"]], key=key)
    [['A', '2019-01-02'], ['B', '2019-01-02'], ['B', '2019-01-02'], ['A', '2019-01-03']]
    """
    dates = [i for i, t in enumerate(targets) if spec.column(t).kind == DATE]
    ids = [i for i, t in enumerate(targets) if t.endswith("_id")]
    positions = dates[:1] + ids[:1]
    return lambda row: tuple(row[i] for i in positions)


def homicide_scope_hint(column_map: ColumnMap) -> str:
    """The reminder ``import`` prints when a map's homicides are not of every cause ('' otherwise).

    The params file is the user's: it is named, never edited.

    >>> homicide_scope_hint(ColumnMap(schema.INCIDENTS, (), homicide_scope="firearm"))[:48]
    'homicides in this export are shooting murders on'
    """
    if column_map.homicide_scope != "firearm":
        return ""
    return ("homicides in this export are shooting murders only: set `homicide_scope: firearm` in your params "
            "file (new-city writes `all`), or the worksheet will call them homicides of every cause")


def _exists_message(path: Path) -> str:
    return (f"{path} already exists; import does not overwrite a file without --force (with --force it is "
            "replaced only if the folder still passes `ceasefire validate`)")


def import_export(column_map: ColumnMap, sources: list[str | os.PathLike], out_dir: str | os.PathLike,
                  today: dt.date | None = None, force: bool = False) -> ImportResult:
    """Write ``out_dir/<file>.csv`` from ``sources`` (concatenated in order) through ``column_map``.

    The file is written only when it passes the data contract and leaves the folder passing
    ``ceasefire validate`` (no new problem), and in one step. An existing file is replaced only
    with ``force``.

    Raises
    ------
    CeasefireError
        A source lacks a column the map names (the message lists the columns found), or
        the written rows would break the data contract.
    """
    spec = column_map.spec
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise CeasefireError(f"--out {out_dir} is a file; give the data folder to write {spec.filename} into")
    result = ImportResult(out_path=out_dir / spec.filename)
    if result.out_path.exists() and not force:
        raise CeasefireError(_exists_message(result.out_path))
    needed = list(dict.fromkeys([c for r in column_map.columns for c in r.source_columns()] + list(column_map.keep)))
    rows_out: list[list[str]] = []
    earlier: Counter = Counter()  # rows kept from the sources before this one
    for source in sources:
        here: Counter = Counter()
        path = Path(source)
        header, rows = read_export(path)
        clean = [h.strip() for h in header]
        lookup = {h.lower(): i for i, h in reversed(list(enumerate(clean)))}
        absent = [c for c in needed if c.strip().lower() not in lookup]
        if absent:
            raise CeasefireError(
                f"{path}: the column{'s' if len(absent) > 1 else ''} {', '.join(absent)} named in the map "
                f"{'are' if len(absent) > 1 else 'is'} not in the file; the columns found are: " + ", ".join(clean))
        index = {c: lookup[c.strip().lower()] for c in needed}
        for number, values in rows:
            result.rows_read += 1
            where = f"row {number} of {path.name}"
            row = {c: (values[i] if i < len(values) else "") for c, i in index.items()}
            outside = [c for c, words in column_map.keep.items() if row[c].strip().lower() not in words]
            if outside:
                c = outside[0]
                result.drop(f"kept only rows with {c} in {', '.join(sorted(column_map.keep[c]))}",
                            f"{where} ({c} {_shown(row[c].strip(), c, column_map.keep[c])})")
                continue
            filled, reason, shown = [], "", ""
            for rule in column_map.columns:
                value, reason, shown = _fill(rule, row, spec)
                if value is None:
                    break
                filled.append(value)
            if reason:
                result.drop(reason, f"{where} ({shown})" if shown else where)
                continue
            key = tuple(filled)
            here[key] += 1
            if here[key] <= earlier[key]:
                result.drop(DUPLICATE_REASON, where)
                continue
            rows_out.append(filled)
        earlier = earlier | here  # as many copies of a row as the source that holds most of them
    if not rows_out:
        why = ("every row was dropped (see the reasons below; a date format the map lacks, a wrong map?)"
               if result.rows_read else "the sources hold no rows")
        raise CeasefireError(result.not_written(why))
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    targets = [r.target for r in column_map.columns]
    writer.writerow(targets)
    writer.writerows(sorted(rows_out, key=row_order_key(targets, spec)))
    if result.out_path.exists() and not force:  # checked again here: the sources may have taken minutes
        raise CeasefireError(_exists_message(result.out_path))
    try:
        result.folder_problems = _write_checked(result.out_path, text.getvalue(), spec, today)
    except InputError as exc:
        raise CeasefireError(result.not_written(f"the {len(rows_out)} rows kept would break the data contract:\n"
                                                + str(exc).split("\n", 1)[1])) from None
    except FolderError as exc:
        raise CeasefireError(result.not_written(str(exc))) from None
    result.rows_written = len(rows_out)
    return result


def _folder_problems_with(path: Path, new_file: Path, today: dt.date | None) -> list[str]:
    """The problems ``validate`` would find in ``path``'s folder with ``new_file`` in place of ``path``.

    The folder is not touched: a scratch folder elsewhere links to its other files and to the new one.
    Messages name the real folder.
    """
    folder = path.parent
    staging = Path(tempfile.mkdtemp(prefix="ceasefire-import-check-"))
    try:
        for child in folder.iterdir():
            if child.name != path.name and not child.name.startswith("."):
                os.symlink(child.resolve(), staging / child.name)
        os.symlink(new_file.resolve(), staging / path.name)
        problems = validate_data_dir(staging, today)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [str(p).replace(str(staging), str(folder)) for p in problems]


def _write_checked(path: Path, text: str, spec: FileSpec, today: dt.date | None) -> list[str]:
    """Write a contract file in one step, only when it passes the contract's checks.

    The folder is checked as ``validate`` would check it with the new file in place: a problem the
    new file would bring (a file of the folder naming incidents the new one no longer holds, a
    ``.csv`` beside an ``.xlsx`` of the same table) refuses the write. Problems the folder already
    had are returned, to be shown.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CeasefireError(f"the folder {path.parent} could not be made ({exc.strerror or exc})") from None
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".csv", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        _, problems = read_input(Path(tmp), spec, today)
        if problems:
            raise InputError([dataclasses.replace(p, file=str(path)) for p in problems])
        before = set(map(str, validate_data_dir(path.parent, today)))
        after = _folder_problems_with(path, Path(tmp), today)
        brought = [p for p in after if p not in before]
        if brought:
            raise FolderError(brought)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return after
