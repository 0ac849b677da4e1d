"""How far the data reach: the date an extract runs through, and which windows it covers.

A review read from an extract taken on 15 March must not mark March as met: the rest of
the month is simply not in the file yet. The data are taken to run through
``data_through`` when the params file gives it (the day the extract was taken), else
through the latest date of anything recorded in any input file. A window is covered when
it ends on or before that day; an indicator over a window that is not covered is
``incomplete`` and carries no mark.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from .formatting import format_count, format_day
from .loading import CityData
from .periods import Month, Window

# Per input file, the columns that record something that happened (a due date or a
# scheduled date in the future says nothing about how far the extract reaches).
RECORD_DATE_COLUMNS = {
    "incidents": ("occurred_on",),
    "communications": ("occurred_on",),
    "case_management": ("enrolled_on", "exited_on"),
    "staffing": ("as_of",),
    "enforcement_actions": ("occurred_on",),
    "meetings": ("scheduled_on",),
    "participant_events": ("occurred_on",),
    "tasks": ("assigned_on", "completed_on"),
    "review_flags": ("flagged_on",),
}
# comparison_group is left out: its dates say when someone was identified, and the list
# stops growing once a comparison group is drawn, however recent the extract.

# Per input file, the column that dates the row itself, then the later events on the same row. A review
# reads the data as they stood on ``data_through``: a row dated after it is left out, a later event
# after it (an exit, a completion, a shooting review) had not happened yet and is cleared.
DATED_COLUMNS = {**RECORD_DATE_COLUMNS,
                 "incidents": ("occurred_on", "reviewed_on"),
                 "comparison_group": ("identified_on",)}
LATER_EVENT_NAMES = {"reviewed_on": "shooting-review date", "exited_on": "exit date",
                     "completed_on": "completion date"}

# A file is stale when its last record is this many of its own usual gaps before the end
# (the 90th percentile of the gaps between its record dates), longer than any gap it had in
# the year before, and never less than 4 weeks.
STALE_GAPS = 4
STALE_MIN_DAYS = 28


def so_far_text(through: dt.date) -> str:
    """The label of a count over a window the data do not yet cover.

    >>> so_far_text(dt.date(2017, 3, 15))
    'so far, data through 15 Mar 2017'
    """
    return f"so far, data through {format_day(through)}"


def no_data_yet_text(window: str, through: dt.date) -> str:
    """The label of a window that starts after the data's last day: nothing of it is in the data yet.

    >>> no_data_yet_text("Jan 2017", dt.date(2016, 12, 31))
    'no data yet for Jan 2017: the data run through 31 Dec 2016'
    """
    return f"no data yet for {window}: the data run through {format_day(through)}"


def before_start_text(start: dt.date) -> str:
    """The label of a count over a window that begins before the data do.

    >>> before_start_text(dt.date(2014, 1, 1))
    'the incident data start 1 Jan 2014; earlier months are not in the data'
    >>> before_start_text(dt.date(2015, 3, 20))
    'the incident data start 20 Mar 2015; earlier days are not in the data'
    """
    return f"the incident data start {format_day(start)}; earlier {'months' if start.day == 1 else 'days'} are not in the data"


def before_file_start_text(name: str, first: dt.date) -> str:
    """The label of an activity count over a window that begins before its file's first month.

    >>> before_file_start_text("meetings", dt.date(2016, 1, 5))
    'meetings.csv starts 5 Jan 2016; earlier months are not in it'
    """
    return f"{name}.csv starts {format_day(first)}; earlier months are not in it"


@dataclass(frozen=True)
class Coverage:
    """How far the data reach.

    ``through`` is the last day the data cover; ``source`` says where it came from
    (``params`` or the file that holds the latest record); ``stale`` lists files whose
    last record is well before ``through`` for their own rhythm, with that date.
    """

    through: dt.date | None
    source: str
    stale: tuple[tuple[str, dt.date], ...] = field(default_factory=tuple)
    # the first day the data cover (the first incident's date); None: not limited
    start: dt.date | None = None
    # files with a record on or after ``through``: they reach it, whatever :func:`data_as_of` later leaves out
    reaching: tuple[str, ...] = ()
    # per input file, the date of its first record: an activity window before that file's first month is not covered
    firsts: tuple[tuple[str, dt.date], ...] = field(default_factory=tuple)
    # ``data_from`` from the params file: the first day the incident extract covers, when the analyst knows it
    data_from: dt.date | None = None

    def covers(self, window_end: dt.date) -> bool:
        """True when the data run through ``window_end`` (a window ending then is complete)."""
        return self.through is not None and window_end <= self.through

    def covers_window(self, window_start: dt.date, window_end: dt.date) -> bool:
        """True when the window lies wholly inside the data: from ``start`` through ``through``."""
        return self.covers(window_end) and not self.starts_after(window_start)

    def gap_text(self, window_start: dt.date) -> str:
        """The label of a count over a window the data do not cover: which end is missing."""
        if self.starts_after(window_start):
            return before_start_text(self.start)
        return so_far_text(self.through) if self.through is not None else "no dated records"

    @property
    def first_full_month(self) -> Month | None:
        """The first calendar month the data cover from its first day (the month after a mid-month start)."""
        if self.start is None:
            return None
        month = Month(self.start.year, self.start.month)
        return month if self.start.day == 1 else month.shift(1)

    @property
    def partial_first_month(self) -> Month | None:
        """The month the data start in after its 1st (15 Jul: July holds only 15-31 Jul), else None.

        It is the start's counterpart of a month the data stop in before its end: a part of a month, never read
        as a whole one (no control-chart baseline, no signal, drawn apart).

        >>> Coverage(dt.date(2018, 3, 31), "params", start=dt.date(2017, 7, 15)).partial_first_month
        Month(year=2017, month=7)
        >>> Coverage(dt.date(2018, 3, 31), "params", start=dt.date(2017, 7, 1)).partial_first_month is None
        True
        """
        if self.start is None or self.start.day == 1:
            return None
        return Month(self.start.year, self.start.month)

    def starts_after(self, window_start: dt.date) -> bool:
        """True when the data start after ``window_start``: a window beginning then is cut by the data's start."""
        return self.start is not None and window_start < self.start

    @property
    def last_full_month(self) -> Month | None:
        """The last calendar month the data cover to its last day."""
        if self.through is None:
            return None
        month = Month(self.through.year, self.through.month)
        return month if month.last_day <= self.through else month.shift(-1)

    def as_record(self) -> dict:
        """For ``manifest.json``."""
        return {"data_through": None if self.through is None else self.through.isoformat(),
                "data_through_from": self.source,
                "stale_files": [{"file": name, "last_record": last.isoformat()} for name, last in self.stale]}

    def stale_warnings(self) -> list[str]:
        return [f"{name}: its last record is {format_day(last)}, well before the data's end "
                f"({format_day(self.through)}) for how often it usually has records; it may be an old extract"
                for name, last in self.stale]


def record_dates(tables: dict[str, pd.DataFrame | None]) -> dict[str, pd.Series]:
    """Per input file present, the sorted distinct dates of what it records."""
    out = {}
    for name, columns in RECORD_DATE_COLUMNS.items():
        table = tables.get(name)
        if table is None or table.empty:
            continue
        dates = pd.concat([table[c] for c in columns if c in table], ignore_index=True).dropna()
        if not dates.empty:
            # sorted by pandas, not by Python over one Timestamp per row (a tenth of a worksheet's time)
            # (reset_index: sort_values leaves the index of values already in order as it was)
            out[name] = dates.drop_duplicates().sort_values().reset_index(drop=True).rename(None)
    return out


def is_stale(dates: pd.Series, through: dt.date) -> bool:
    """True when a file's last record is long before ``through`` for how often it has records.

    >>> weekly = pd.Series(pd.date_range("2017-01-02", "2017-02-27", freq="7D"))
    >>> is_stale(weekly, dt.date(2017, 3, 10)), is_stale(weekly, dt.date(2017, 3, 31))
    (False, True)
    """
    gaps = dates.diff().dt.days.dropna()
    usual = float(gaps.quantile(0.9)) if not gaps.empty else 0.0
    # a quiet spell no longer than one the file has had in the year before is its rhythm, not an old extract
    recent = gaps[dates.iloc[1:].reset_index(drop=True).ge(dates.iloc[-1] - pd.Timedelta(days=365)).to_numpy()]
    allowed = max(STALE_MIN_DAYS, STALE_GAPS * usual, float(recent.max()) if not recent.empty else 0.0)
    return (pd.Timestamp(through) - dates.iloc[-1]).days > allowed


def data_coverage_of(tables: dict[str, pd.DataFrame | None], data_through: dt.date | None = None,
                     data_from: dt.date | None = None) -> Coverage:
    """The coverage of a data folder's tables, with ``data_through`` (and ``data_from``, the incident extract's first
    day) from the params file when given."""
    dates = record_dates(tables)
    if data_through is not None:
        through, source = data_through, "params"
    elif dates:
        source, last = max(((name, d.iloc[-1]) for name, d in dates.items()), key=lambda item: item[1])
        through, source = last.date(), f"latest record ({source})"
    else:
        return Coverage(None, "no dated records", data_from=data_from)
    stale = tuple((name, d.iloc[-1].date()) for name, d in dates.items()
                  if d.iloc[-1].date() <= through and is_stale(d, through))
    reaching = tuple(name for name, d in dates.items() if d.iloc[-1].date() >= through)
    return Coverage(through, source, stale, reaching=reaching,
                    firsts=tuple((name, d.iloc[0].date()) for name, d in dates.items()), data_from=data_from)


def incident_coverage(coverage: Coverage, incidents: pd.DataFrame | None) -> Coverage:
    """The coverage of the indicators counted from the incidents file, judged by that file alone.

    It starts on the first incident's date: an extract that starts mid-month (a portal's rolling "last N
    years" export) does not hold the days before it, so a window that begins earlier is not covered; ``data_from``
    in the params file (the extract's first day, when the analyst knows it) replaces that date. It ends on the last
    incident's date when ``data_through`` is not given: another file running to the end of the
    month says nothing about the incidents. When ``data_through`` is given it ends there, unless
    the incidents file is stale by then (see :func:`is_stale`): then it ends on the last incident's
    date, and windows after it are not covered.
    """
    dates = record_dates({"incidents": incidents}).get("incidents")
    if dates is None or coverage.through is None:
        return Coverage(None, "no incident records", coverage.stale)
    start, last = coverage.data_from or dates.iloc[0].date(), dates.iloc[-1].date()
    reaches = last >= coverage.through or "incidents" in coverage.reaching
    if coverage.source == "params" and (reaches or not is_stale(dates, coverage.through)):
        return Coverage(coverage.through, coverage.source, coverage.stale, start, coverage.reaching)
    return Coverage(min(last, coverage.through), "latest record (incidents)", coverage.stale, start, coverage.reaching)


@dataclass(frozen=True)
class LaterRecords:
    """What :func:`data_as_of` left out of one file: rows dated after the day, and later-event dates cleared."""

    rows: int = 0
    dates: int = 0
    latest: dt.date | None = None
    dates_name: str = "later date"


def data_as_of(data: CityData, through: dt.date) -> tuple[CityData, dict[str, LaterRecords]]:
    """The data as they stood on ``through``, and per file what was left out.

    Every count, chart and warning of a review reads these tables, so none of them can set a
    count that runs past ``through`` beside a year-earlier count cut there. A row is left out
    when the date of the row itself (an incident's, a communication's, an enrolment's ...) is
    after ``through``; a later event on a row kept (``exited_on``, ``completed_on``,
    ``reviewed_on``) that is after ``through`` is cleared. The tables given are not changed.

    >>> from pathlib import Path
    >>> incidents = pd.DataFrame({"incident_id": ["A", "B", "C"], "incident_type": ["homicide"] * 3,
    ...     "occurred_on": pd.to_datetime(["2016-02-28", "2016-02-29", "2016-03-01"])})
    >>> cut, later = data_as_of(CityData(Path("city"), {"incidents": incidents}), dt.date(2016, 2, 28))
    >>> list(cut.incidents["incident_id"]), later["incidents"].rows
    (['A'], 2)
    """
    end = pd.Timestamp(through)
    tables = dict(data.tables)
    later: dict[str, LaterRecords] = {}
    for name, columns in DATED_COLUMNS.items():
        table = tables.get(name)
        present = [c for c in columns if table is not None and c in table]
        if not present:
            continue
        after_row = table[present[0]] > end
        kept = table[~after_row]
        cleared, cleared_names = 0, []
        latest = table[present].max().max()
        for column in present[1:]:
            after = kept[column] > end
            if after.any():
                kept = kept.copy()
                kept[column] = kept[column].mask(after)
                cleared += int(after.sum())
                cleared_names.append(LATER_EVENT_NAMES.get(column, column))
        if after_row.any() or cleared:
            tables[name] = kept
            later[name] = LaterRecords(int(after_row.sum()), cleared, latest.date(),
                                       " and ".join(cleared_names) or "later date")
    if not later:
        return data, later
    reconciled = data.reconciled_victims
    if reconciled is not None and "occurred_on" in reconciled:
        reconciled = reconciled[~(reconciled["occurred_on"] > end)]
    # ``derived`` holds tables computed from the uncut data (monthly counts): start it afresh. ``left_out``
    # goes into the input records (manifest), so data cut on different days never pass for the same
    left_out = {name: {"rows": left.rows, "dates": left.dates} for name, left in later.items()}
    return dataclasses.replace(data, tables=tables, reconciled_victims=reconciled, derived={},
                               left_out=left_out), later


def data_from_cut(data: CityData, data_from: dt.date) -> tuple[CityData, int]:
    """The data without the incidents dated before ``data_from`` (the first day the params file says the incident
    extract covers), and how many rows were left out; the tables given are not changed.

    ``data_from`` is where the incident data begin for every count, chart and comparison of a review: an incident
    before it would be counted in a window the review says the data do not cover.

    >>> from pathlib import Path
    >>> incidents = pd.DataFrame({"incident_id": ["A", "B"], "incident_type": ["homicide"] * 2,
    ...     "occurred_on": pd.to_datetime(["2017-07-15", "2017-08-01"])})
    >>> cut, rows = data_from_cut(CityData(Path("city"), {"incidents": incidents}), dt.date(2017, 8, 1))
    >>> list(cut.incidents["incident_id"]), rows
    (['B'], 1)
    """
    incidents = data.tables.get("incidents")
    if incidents is None or "occurred_on" not in incidents:
        return data, 0
    before = incidents["occurred_on"] < pd.Timestamp(data_from)
    if not before.any():
        return data, 0
    reconciled = data.reconciled_victims
    if reconciled is not None and "occurred_on" in reconciled:
        reconciled = reconciled[~(reconciled["occurred_on"] < pd.Timestamp(data_from))]
    left_out = {**(data.left_out or {}), "incidents_before_data_from": {"rows": int(before.sum()), "dates": 0}}
    return dataclasses.replace(data, tables={**data.tables, "incidents": incidents[~before]},
                               reconciled_victims=reconciled, derived={}, left_out=left_out), int(before.sum())


def data_from_warning(rows: int, data_from: dt.date, first: dt.date) -> str:
    """One sentence for the terminal and the page when ``data_from`` is after the first incident.

    >>> data_from_warning(3, dt.date(2017, 8, 1), dt.date(2017, 7, 15))
    'data_from is 1 Aug 2017, after the first incident record (15 Jul 2017): the 3 incident rows dated before it are left out of every count and chart of this review, and the incident data are read as starting 1 Aug 2017.'
    """
    return (f"data_from is {format_day(data_from)}, after the first incident record ({format_day(first)}): the "
            f"{format_count(rows)} incident row{'s' if rows != 1 else ''} dated before it "
            f"{'are' if rows != 1 else 'is'} left out of every count and chart of this review, and the incident "
            f"data are read as starting {format_day(data_from)}.")


def later_records_warning(later: dict[str, LaterRecords], through: dt.date, file_names: dict[str, str]) -> str | None:
    """One sentence naming, per file, the records dated after ``data_through`` that a review left out.

    >>> later_records_warning({"incidents": LaterRecords(1410, 0, dt.date(2017, 3, 31)),
    ...                        "case_management": LaterRecords(2, 3, dt.date(2017, 3, 30), "exit date")},
    ...                       dt.date(2016, 2, 29), {"incidents": "incidents.csv"})
    'Records dated after data_through (29 Feb 2016) are left out of every count and chart of this review: incidents.csv 1,410 rows; case_management 2 rows and 3 exit dates cleared. The latest is dated 31 Mar 2017: if the extract was taken later, set data_through to that day.'
    """
    if not later:
        return None
    parts = []
    for name, left in later.items():
        what = []
        if left.rows:
            what.append(f"{format_count(left.rows)} row{'s' if left.rows != 1 else ''}")
        if left.dates:
            what.append(f"{format_count(left.dates)} {left.dates_name}{'s' if left.dates != 1 else ''} cleared")
        parts.append(f"{file_names.get(name, name)} {' and '.join(what)}")
    latest = max(left.latest for left in later.values() if left.latest is not None)
    return (f"Records dated after data_through ({format_day(through)}) are left out of every count and chart of "
            f"this review: {'; '.join(parts)}. The latest is dated {format_day(latest)}: if the extract was taken "
            "later, set data_through to that day.")


def followed_to(coverage: Coverage | None, name: str, day: dt.date) -> dt.date:
    """The day a report built from file ``name`` can be read as of, up to ``day``: that file's last record when
    ``coverage`` lists it as stale (an old extract says nothing about what happened after it), else ``day``.

    >>> old = Coverage(dt.date(2017, 3, 31), "params", (("participant_events", dt.date(2015, 12, 21)),))
    >>> followed_to(old, "participant_events", dt.date(2017, 3, 31)), followed_to(old, "meetings", dt.date(2017, 3, 31))
    (datetime.date(2015, 12, 21), datetime.date(2017, 3, 31))
    """
    stale = dict(coverage.stale) if coverage is not None else {}
    return min(day, stale[name]) if name in stale else day


def window_covered(window: Window, coverage: Coverage) -> bool:
    """True when the data run through the window's last day."""
    return coverage.covers(window.end)
