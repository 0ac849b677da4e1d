"""One review period, opened: its parameters, its data and its indicators.

This is what a period notebook holds after its first code cell. Notebooks call
:func:`open_review` with their parameters; everything they show is computed here or
by the library functions it feeds.
"""
from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from . import __version__
from .config import DEMO_PARAMS, resolve_path
from .errors import CeasefireError, InputError, ParamsError, Problem
from .coverage import (Coverage, data_as_of, data_coverage_of, data_from_cut, data_from_warning, incident_coverage,
                       later_records_warning)
from .formatting import format_day
from .handoff import SNAPSHOT_KEY, opened_from_snapshot
from .focus import focus_worksheet
from .indicators import (LABELS, build_indicators, coverage_of, earlier_report_activities, has_incomplete,
                         mark_incomplete, missing_seasonal_years_warning, staffing_snapshot_day)
from .privacy import (protect_indicators, provenance_label, shows_participant_rows, suppresses_small_counts,
                      visible_note, visible_steps)
from .quality import duplicate_row_warnings, quality_warnings
from .loading import CityData, empty_file_warnings, load_data_dir, load_history
from .params import (DEFAULTS, NOT_REPORTED, ReviewParams, baseline_overlap_warning, demo_name_warning, display_path,
                     notebook_params, parameters_in, params_from_values, read_params_file)
from .periods import Month
from .schema import INCOMPLETE


@dataclass
class PeriodReview:
    """Everything a period's reports show.

    The indicator table is computed on first use: the history and call-in outcome
    reports never need it, and its statistics are the costliest part of opening a period.
    """

    params: ReviewParams
    data: CityData
    params_label: str
    coverage: Coverage | None = None
    warnings: list[str] = field(default_factory=list)
    opened_at: dt.datetime = field(default_factory=lambda: dt.datetime.now().astimezone())
    # warnings that also go to the terminal (they change what is counted): incidents left out before data_from
    terminal_warnings: list[str] = field(default_factory=list)
    _indicators: pd.DataFrame | None = field(default=None, repr=False)
    _history: dict[str, pd.DataFrame] | None = field(default=None, repr=False)
    _previous_steps: tuple[pd.DataFrame, str] | None = field(default=None, repr=False)
    _is_demo: bool | None = field(default=None, repr=False)
    _incident_coverage: Coverage | None = field(default=None, repr=False)

    @property
    def indicators(self) -> pd.DataFrame:
        if self._indicators is None:
            coverage = self.coverage or coverage_of(self.data, self.params)
            table = build_indicators(self.data, self.params, coverage)
            if suppresses_small_counts(self.params.audience):
                earlier = earlier_report_activities(self.data, self.params, coverage.through)
                table = protect_indicators(table, self.params.small_count_threshold, earlier)
            focus = mark_incomplete(focus_worksheet(self.data.tables, self.params), coverage,
                                    incident_coverage(coverage, self.data.incidents))
            table = pd.concat([table, focus], ignore_index=True)
            if "suppressed" in table:
                table["suppressed"] = table["suppressed"].fillna("")
            self._indicators = table
        return self._indicators

    @property
    def history(self) -> dict[str, pd.DataFrame]:
        """The annual history series of ``params.history_dir``, by file stem (read once, when the period is opened)."""
        if self._history is None:
            self._history = load_history(self.params.history_dir)
        return self._history

    @property
    def previous_steps(self) -> tuple[pd.DataFrame, str]:
        """What became of the last review's next steps, and where that came from (see :func:`previous_next_steps`)."""
        if self._previous_steps is None:
            self._previous_steps = previous_next_steps(self.params)
        return self._previous_steps

    @property
    def later_notes(self) -> list[tuple[str, str, dt.date]]:
        """Notes that report something after the period's end (see :func:`notes_dated_after`): left out of its pages."""
        return notes_dated_after(self.params, self.previous_steps[0])

    def shown_note(self, key: str, text: str) -> str:
        """``text``, the note under ``key`` (``notes.<indicator>``, ``previous_next_steps[i].note``), or '' when it
        reports something after the period's end: a January review shows what was known by the end of January."""
        return "" if any(k == key for k, _, _ in self.later_notes) else text

    def later_notes_line(self) -> str:
        """The sentence a page carries when notes were left out ('' when none were)."""
        count = len(self.later_notes)
        if not count:
            return ""
        return (f"{count} note{'s' if count != 1 else ''} dated after this period (after "
                f"{format_day(self.params.windows.end)}) {'are' if count != 1 else 'is'} not shown: a review shows "
                "what was known by the end of its period.")

    def later_notes_warning(self) -> str | None:
        """One line for the terminal naming the notes left out and the day each names (None when none were)."""
        if not self.later_notes:
            return None
        named = "; ".join(f"{key} names {format_day(day)}" for key, _, day in self.later_notes)
        return (f"{self.params.period_id}: notes dated after the period's end ({format_day(self.params.windows.end)}) "
                f"are not shown: {named}. They belong to a later review: remove them from this params file (a plan, "
                "'set for 9 May', is kept).")

    @property
    def incident_coverage(self) -> Coverage | None:
        """How far the incidents file reaches: what shooting and homicide counts and charts are judged by."""
        if self.coverage is None:
            return None
        if self._incident_coverage is None:  # asked for by most tables and charts: worked out once
            self._incident_coverage = incident_coverage(self.coverage, self.data.incidents)
        return self._incident_coverage

    def incomplete_warning(self) -> str | None:
        """One line for the terminal when some window runs past the data's end, else None."""
        if not has_incomplete(self.indicators):
            return None
        incidents = self.incident_coverage
        extra = ""
        if incidents is not None and incidents.through is not None and incidents.through < self.coverage.through:
            extra = f" (the incidents through {format_day(incidents.through)})"
        elif incidents is not None and incidents.start is not None and \
                self.params.windows.period.start < incidents.start:
            extra = f" (the incidents from {format_day(incidents.start)})"
        # a file that ends early (stale) or starts late decides some rows: name it and its day, not only the data's end
        notes = self.indicators.loc[self.indicators["status"] == INCOMPLETE, "coverage_note"].fillna("")
        files = [f"{name}.csv ends {format_day(last)} (an old extract)" for name, last in self.coverage.stale
                 if notes.str.contains(f"in {name}.csv", regex=False).any()]
        files += sorted({n for n in notes if ".csv starts " in n})
        if incidents is not None and incidents.start is not None and \
                notes.str.startswith("the incident data start").any():
            # a late start, not the end, leaves these windows incomplete: name it first
            files.insert(0, f"incidents.csv starts {format_day(incidents.start)}"
                            f"{' (data_from)' if self.params.data_from is not None else ''}; "
                            "earlier days are not in the data")
            if not notes.str.startswith("so far").any():
                return (f"{self.params.period_id}: {files[0]}: indicators over windows that start earlier are "
                        "marked incomplete (count so far, no mark)"
                        + (f"; also: {'; '.join(files[1:])}" if files[1:] else ""))
        return (f"{self.params.period_id}: the data run through {format_day(self.coverage.through)}{extra}; "
                "indicators over windows the data do not cover are marked incomplete (count so far, no mark)"
                + (f": {'; '.join(files)}" if files else ""))

    def incident_span(self) -> tuple[dt.date | None, dt.date | None]:
        """The first and last incident days the pages name: the first is ``data_from`` when the params file gives it
        (the day the extract starts, as every comparison reads it), else the first incident's."""
        first, last = self.data.date_range()
        if first is not None and self.params.data_from is not None:
            first = self.params.data_from
        return first, last

    @property
    def is_demo(self) -> bool:
        """Whether the data are the shipped synthetic demo: decided once, when the period is opened (it reads the
        data folder), so every chart and page of a run says the same."""
        if self._is_demo is None:
            self._is_demo = self.params.is_demo
        return self._is_demo


def resolve_params(params_file: str | None = None, **given: Any) -> tuple[ReviewParams, str]:
    """Parameters from a notebook (see :func:`params.notebook_params`); the demo period by default."""
    return notebook_params(params_file or DEMO_PARAMS, given, params_from_values)


def open_review(params_file: str | None = None, **given: Any) -> PeriodReview:
    """Load and check a period's parameters and data, and compute its indicators.

    Raises
    ------
    ParamsError, InputError
        With messages naming the key, or the file, row and column, at fault.
    """
    params, label = resolve_params(params_file, **given)
    require_known_note_keys(params, label)
    data = load_data_dir(params.data_dir)
    data.refuse_identifiers_in(free_texts(params), params.audience, label)
    coverage = coverage_of(data, params)
    require_period_within_data(coverage, params)
    require_data_in_period(data, params)
    require_period_within_incidents(coverage, data, params)
    history = load_history(params.history_dir)  # a broken history file stops the run here, before any notebook
    later_warning = None
    if params.data_through is not None:  # the one cut: every count, chart and warning below reads the data as of then
        data, later = data_as_of(data, params.data_through)
        later_warning = later_records_warning(later, params.data_through,
                                              {i.name: Path(i.path).name for i in data.inputs})
    from_warning = None
    if params.data_from is not None:  # the one cut at the start: incidents before data_from are not the extract's
        first = data.date_range()[0]
        data, rows = data_from_cut(data, params.data_from)
        from_warning = data_from_warning(rows, params.data_from, first) if rows else None
    last_day = min(params.windows.end, coverage.through) if params.data_through is not None else params.windows.end
    warnings = quality_warnings(data.incidents, data.reconciled_victims, last_day,
                                show_case_numbers=shows_participant_rows(params.audience))
    warnings += duplicate_row_warnings(data.duplicate_rows)
    warnings += empty_file_warnings(data)
    warnings += coverage.stale_warnings()
    if later_warning:
        warnings.append(later_warning)
    if from_warning:
        warnings.append(from_warning)
    seasonal = missing_seasonal_years_warning(data, params, coverage)
    warnings += [seasonal] if seasonal else []
    incidents = incident_coverage(coverage, data.incidents)
    if coverage.source == "params" and incidents.through is not None and incidents.through < coverage.through:
        warnings.append(f"WARNING: data_through is {format_day(coverage.through)}, but the last incident record is "
                        f"{format_day(incidents.through)}, longer before it than the incidents file's usual gaps "
                        "allow: it is likely an old extract. Shooting and homicide windows that end after "
                        f"{format_day(incidents.through)} are treated as not covered (incomplete, no mark).")
    if not coverage.covers(params.windows.end):
        warnings.append(f"The data run through {format_day(coverage.through)}, before the end of the review period "
                        f"({format_day(params.windows.end)}): counts over windows that end later are counts so far, "
                        "marked incomplete, with no meets / does-not-meet mark and no chance verdict.")
    warnings += stale_staffing_warnings(data, params)
    baseline_warning = baseline_overlap_warning(params)
    warnings += [baseline_warning] if baseline_warning else []
    name_warning = demo_name_warning(params)
    if name_warning:
        warnings.insert(0, name_warning)
    return PeriodReview(params=params, data=data, params_label=label, coverage=coverage, warnings=warnings,
                        terminal_warnings=[f"{params.period_id}: {from_warning}"] if from_warning else [], _history=history,
                        _previous_steps=previous_next_steps(params), _is_demo=params.is_demo)


def require_known_note_keys(params: ReviewParams, source: str) -> None:
    """A note under a key that names no indicator would never be shown: refuse it, naming the key."""
    for key in params.notes:
        if key not in LABELS:
            close = difflib.get_close_matches(key, list(LABELS), n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise ParamsError(f"'notes.{key}' in {source} is not an indicator of the worksheets, so its note would "
                              f"never be shown: {hint}notes take the indicator names of indicators.csv")


def stale_staffing_warnings(data: CityData, params: ReviewParams) -> list[str]:
    """One line when the latest staffing report was taken before the review period began (its figures get no mark)."""
    if data.staffing is None:
        return []
    snapshot = staffing_snapshot_day(data.staffing, params.windows.end)
    if snapshot is None or snapshot >= params.windows.period.start:
        return []
    return [f"Staffing figures come from a report dated {format_day(snapshot)}, before the review period began "
            f"({format_day(params.windows.period.start)}): they are shown as at that day, with no meets / "
            "does-not-meet mark."]


def require_period_within_data(coverage: Coverage, params: ReviewParams) -> None:
    """A period that starts after the data's last day has nothing to review: refuse it, naming that day."""
    start = params.windows.period.start
    if coverage.through is not None and start > coverage.through:
        where = "data_through in the params file" if coverage.source == "params" else "the latest record in the data"
        raise InputError([Problem(display_path(params.data_dir), None, None,
                                  f"the review period {params.windows.period.label()} starts after the data's last "
                                  f"date, {format_day(coverage.through)} ({where})",
                                  "a review period that starts on or before the data's last date, or a newer "
                                  "extract")])


def require_period_within_incidents(coverage: Coverage, data: CityData, params: ReviewParams) -> None:
    """Refuse a period the data cannot speak to at all.

    A period that ends before the first incident would get marks for counts of
    zero that are only the absence of data: refused, naming the incident data's first day. So
    would a period that starts after the last record of every file when ``data_through`` is set
    later still: refused, naming that record's date. (A period that starts after the last
    incident while other files run on is not refused: its incident windows are incomplete.)
    """
    incidents = incident_coverage(coverage, data.incidents)
    period = params.windows.period
    place = display_path(params.data_dir)
    if incidents.start is not None and period.end < incidents.start:
        raise InputError([Problem(place, None, None,
                                  f"the review period {period.label()} ends before the incident data start "
                                  f"({format_day(incidents.start)}, the first incident)",
                                  "a review period inside the incident data, or an extract that goes back further")])
    latest = data_coverage_of(data.tables).through if coverage.source == "params" else None
    if latest is not None and period.start > latest:
        raise InputError([Problem(place, None, None,
                                  f"the review period {period.label()} starts after the last record of every "
                                  f"file ({format_day(latest)}), though data_through is "
                                  f"{format_day(coverage.through)}",
                                  "a review period that starts on or before the last record, a newer extract, "
                                  "or data_through set to the day the extract was taken")])


def review_from_notebook(namespace: dict[str, Any]) -> PeriodReview:
    """:func:`open_review` with a period notebook's parameters: call it as ``review_from_notebook(globals())``.

    Keys set in the parameters cell are laid over the params file it names; a whole params
    set injected by papermill replaces it (see :func:`params.notebook_params`). With a
    ``snapshot`` (the folder ``ceasefire run`` saved the period it validated in), that period is
    returned as the run opened it: no params or data file is read and no indicator is computed again.
    """
    given = parameters_in(namespace, tuple(DEFAULTS))
    snapshot = namespace.get(SNAPSHOT_KEY)
    if snapshot:
        return opened_from_snapshot(snapshot, PeriodReview, given)
    return open_review(**given)


def require_data_in_period(data: CityData, params: ReviewParams) -> None:
    """A period with no record of any kind is a wrong period or a wrong folder, not a quiet one."""
    windows = params.windows
    columns = {"incidents": "occurred_on", "communications": "occurred_on", "case_management": "enrolled_on",
               "meetings": "scheduled_on"}
    start, end = pd.Timestamp(min(windows.period.start, windows.ytd.start)), pd.Timestamp(windows.end)
    for name, column in columns.items():
        table = data.tables.get(name)
        if table is not None and ((table[column] >= start) & (table[column] <= end)).any():
            return
    first, last = data.date_range()
    span = f"the incident data run from {first} to {last}" if first else "there are no incidents"
    raise InputError([Problem(display_path(params.data_dir), None, None,
                              f"no incident, communication, enrolment or meeting falls in {windows.period.label()} "
                              f"or its year to date ({span})",
                              "a period inside the data, or the right data_dir")])


def provenance(review: PeriodReview) -> dict[str, Any]:
    """What a reader needs to trace a report back to its inputs."""
    return {
        "period": review.params.period_id,
        "params": provenance_label(review.params_label, review.params.audience),
        "package_version": __version__,
        "inputs": review.data.input_records(),
        "coverage": review.coverage.as_record() if review.coverage else None,
        "run_at": review.opened_at.isoformat(timespec="seconds"),
    }


_MONTHS = {m.lower(): i for i, m in enumerate(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
     "December"], 1)}
_MONTH_WORD = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE_PATTERNS = (  # (pattern, the groups' order: year, month, day)
    (re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b"), "ymd"),
    (re.compile(r"\b(\d{1,2})[./](\d{1,2})[./](\d{4}|\d{2})\b"), "mdy"),  # the US style of the seed: 3.17.17
    (re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)? {_MONTH_WORD}(?:,? (\d{{4}}))?", re.I), "dmy"),
    (re.compile(rf"\b{_MONTH_WORD} (\d{{1,2}})(?:st|nd|rd|th)?\b(?:,? (\d{{4}}))?", re.I), "mdy-word"),
)
# Words that make a later date a plan ("meeting set for 9 May"), which a review may well record, not an event.
_PLAN_BEFORE = re.compile(r"\b(scheduled|set|planned|plans?|due|will|expected|booked|by|before|until|next|"
                          r"deadline|target)\b[^.;]{0,16}$", re.I)


def dates_named_in(text: str, near: dt.date) -> list[tuple[dt.date, bool]]:
    """The days a free-text note names, each with whether it is named as a plan ("set for 9 May").

    Read: ``2017-03-17``, ``3.17.17`` and ``3/17/2017`` (month first, as the seed writes them), ``17 March``,
    ``March 17, 2017``. A day with no year takes the year that puts it nearest ``near``. A bare ``5-9`` is
    left alone (a range or a day?).

    >>> dates_named_in("Custom notification training convened on 3.17.17.", dt.date(2017, 1, 31))
    [(datetime.date(2017, 3, 17), False)]
    >>> dates_named_in("Training held on 17 March; review set for 9 May.", dt.date(2017, 1, 31))
    [(datetime.date(2017, 3, 17), False), (datetime.date(2017, 5, 9), True)]
    >>> dates_named_in("Workshop in December; 30 Feb is no day; 5-9 is a range", dt.date(2017, 1, 31))
    []
    """
    found = []
    for pattern, order in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            groups = match.groups()
            try:
                if order == "ymd":
                    year, month, day = (int(g) for g in groups)
                elif order == "mdy":
                    month, day, year = int(groups[0]), int(groups[1]), int(groups[2])
                    year += 2000 if year < 100 else 0
                else:
                    day_text, month_text, year_text = (groups if order == "dmy" else (groups[1], groups[0], groups[2]))
                    day, month = int(day_text), _MONTHS[next(m for m in _MONTHS if m.startswith(month_text.lower()[:3]))]
                    year = int(year_text) if year_text else None
                if year is None:
                    candidates = [dt.date(near.year + k, month, day) for k in (-1, 0, 1)]
                    named = min(candidates, key=lambda d: abs((d - near).days))
                else:
                    named = dt.date(year, month, day)
            except (ValueError, StopIteration):
                continue  # not a day ("30 Feb")
            found.append((match.start(), named, bool(_PLAN_BEFORE.search(text[:match.start()]))))
    return [(named, plan) for _, named, plan in sorted(found, key=lambda f: f[0])]


def notes_dated_after(params: ReviewParams, previous: pd.DataFrame) -> list[tuple[str, str, dt.date]]:
    """The notes that report something on a day after the period's end, as (key, text, that day).

    A note copied forward from a later review ("Training held on 17 March" on a December-January page) reads as
    part of the period it is shown with; a plan with a later day ("meeting set for 9 May") is kept.
    """
    end = params.windows.end
    notes = [(f"notes.{key}", text) for key, text in params.notes.items()]
    notes += [(f"previous_next_steps[{i}].note", str(note or "")) for i, note in enumerate(previous.get("note", []))]
    later = []
    for key, text in notes:
        after = [day for day, plan in dates_named_in(text or "", end) if day > end and not plan]
        if after:
            later.append((key, text, after[0]))
    return later


def free_texts(params: ReviewParams) -> list[tuple[str, str]]:
    """Every free text a period's reports show, as its audience sees it, with the params key it comes from."""
    audience = params.audience
    texts = [(f"notes.{key}", visible_note(text, audience)) for key, text in params.notes.items()]
    texts += [("next_steps", visible_note(text, audience)) for text in params.next_steps]
    previous, _ = previous_next_steps(params)
    texts += [("previous_next_steps", f"{step['text']} {step['note']}")
              for step in visible_steps(previous.to_dict("records"), audience)]
    return [(key, text) for key, text in texts if text]


def previous_next_steps(params: ReviewParams) -> tuple[pd.DataFrame, str]:
    """What became of the last review's next steps: a table (text, status, note) and where it came from.

    From the params key ``previous_next_steps`` when given. Otherwise, when the params file
    of the period just before this one (its last month is the month before this period's
    first) sits in the same folder, its ``next_steps`` with the status "not reported".
    Otherwise an empty table.
    """
    columns = ["text", "status", "note"]
    if params.previous_next_steps is not None:
        given = pd.DataFrame(list(params.previous_next_steps), columns=columns)
        return given, "as recorded for this review"
    found = previous_params_file(params)
    if found is None:
        return pd.DataFrame(columns=columns), ""
    path, steps = found
    rows = [[text, NOT_REPORTED, ""] for text in steps]
    return pd.DataFrame(rows, columns=columns), f"carried over from {display_path(path)}; their status was not reported"


def previous_params_file(params: ReviewParams) -> tuple[Path, list[str]] | None:
    """The params file of the period just before ``params``'s, in the same folder, and its next steps."""
    own = resolve_path(params.source) if params.source else None
    if own is None or not own.is_file():
        return None
    wanted = params.windows.period.first.shift(-1)
    for path in sorted(own.parent.glob("*.y*ml")):
        if path.resolve() == own.resolve():
            continue
        try:
            values = read_params_file(path)
            if "meeting" in values or "period_end" not in values:
                continue
            if Month.parse(values["period_end"], "period_end") != wanted or values.get("city") != params.city:
                continue
        except CeasefireError:
            continue  # a broken neighbour is not this review's problem
        steps = values.get("next_steps") or []
        return path, [str(s) for s in steps] if isinstance(steps, list) else []
    return None
