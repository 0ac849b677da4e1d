"""How far the data reach: the date an extract runs through, and which windows it covers.

A review read from an extract taken on 15 March must not mark March as met: the rest of
the month is simply not in the file yet. The data are taken to run through
``data_through`` when the params file gives it (the day the extract was taken), else
through the latest date of anything recorded in any input file. A window is covered when
it ends on or before that day; an indicator over a window that is not covered is
``incomplete`` and carries no mark.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from .formatting import format_day
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


def before_start_text(start: dt.date) -> str:
    """The label of a count over a window that begins before the data do.

    >>> before_start_text(dt.date(2014, 1, 1))
    'the incident data start 1 Jan 2014; earlier months are not in the data'
    """
    return f"the incident data start {format_day(start)}; earlier months are not in the data"


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
    # the first day the data cover (the first day of the incidents' first month); None: not limited
    start: dt.date | None = None

    def covers(self, window_end: dt.date) -> bool:
        """True when the data run through ``window_end`` (a window ending then is complete)."""
        return self.through is not None and window_end <= self.through

    def covers_window(self, window_start: dt.date, window_end: dt.date) -> bool:
        """True when the window lies wholly inside the data: from ``start`` through ``through``."""
        return self.covers(window_end) and (self.start is None or window_start >= self.start)

    def gap_text(self, window_start: dt.date) -> str:
        """The label of a count over a window the data do not cover: which end is missing."""
        if self.start is not None and window_start < self.start:
            return before_start_text(self.start)
        return so_far_text(self.through) if self.through is not None else "no dated records"

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
            out[name] = pd.Series(sorted(dates.unique()))
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


def data_coverage_of(tables: dict[str, pd.DataFrame | None], data_through: dt.date | None = None) -> Coverage:
    """The coverage of a data folder's tables, with ``data_through`` from the params file when given."""
    dates = record_dates(tables)
    if data_through is not None:
        through, source = data_through, "params"
    elif dates:
        source, last = max(((name, d.iloc[-1]) for name, d in dates.items()), key=lambda item: item[1])
        through, source = last.date(), f"latest record ({source})"
    else:
        return Coverage(None, "no dated records")
    stale = tuple((name, d.iloc[-1].date()) for name, d in dates.items()
                  if d.iloc[-1].date() <= through and is_stale(d, through))
    return Coverage(through, source, stale)


def incident_coverage(coverage: Coverage, incidents: pd.DataFrame | None) -> Coverage:
    """The coverage of the indicators counted from the incidents file, judged by that file alone.

    It starts on the first day of the month of the first incident. It ends on the last
    incident's date when ``data_through`` is not given: another file running to the end of the
    month says nothing about the incidents. When ``data_through`` is given it ends there, unless
    the incidents file is stale by then (see :func:`is_stale`): then it ends on the last incident's
    date, and windows after it are not covered.
    """
    dates = record_dates({"incidents": incidents}).get("incidents")
    if dates is None or coverage.through is None:
        return Coverage(None, "no incident records", coverage.stale)
    first, last = dates.iloc[0].date(), dates.iloc[-1].date()
    start = first.replace(day=1)
    if coverage.source == "params" and (last >= coverage.through or not is_stale(dates, coverage.through)):
        return Coverage(coverage.through, coverage.source, coverage.stale, start)
    return Coverage(min(last, coverage.through), "latest record (incidents)", coverage.stale, start)


def window_covered(window: Window, coverage: Coverage) -> bool:
    """True when the data run through the window's last day."""
    return coverage.covers(window.end)
