"""Counting rows in date windows and incidents by month, the arithmetic every indicator reads."""
from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from . import schema
from .loading import CityData
from .periods import Month, Window


# --------------------------------------------------------------------------- windows and counts

def count_in_window(dates: pd.Series, start: dt.date, end: dt.date) -> int:
    """Number of dates from ``start`` to ``end``, both included.

    >>> s = pd.Series(pd.to_datetime(["2017-01-31", "2017-02-01", "2017-03-31", "2017-04-01"]))
    >>> count_in_window(s, dt.date(2017, 2, 1), dt.date(2017, 3, 31))
    2
    """
    return int(in_window(dates, start, end).sum())


def in_window(dates: pd.Series, start: dt.date, end: dt.date) -> pd.Series:
    """True where a date falls from ``start`` to ``end``, both included."""
    return (dates >= pd.Timestamp(start)) & (dates <= pd.Timestamp(end))


def rows_in_window(frame: pd.DataFrame, column: str, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Rows whose ``column`` date falls from ``start`` to ``end``, both included."""
    return frame[in_window(frame[column], start, end)]


def monthly_incident_counts(incidents: pd.DataFrame) -> pd.DataFrame:
    """Counts per calendar month (rows) and incident type (columns), with empty months as 0.

    >>> df = pd.DataFrame({"occurred_on": pd.to_datetime(["2016-12-31", "2017-02-01"]),
    ...                    "incident_type": ["homicide", "homicide"]})
    >>> monthly_incident_counts(df)["homicide"].tolist()
    [1, 0, 1]
    """
    if incidents.empty:
        return pd.DataFrame(columns=list(schema.INCIDENT_TYPES), dtype="int64",
                            index=pd.PeriodIndex([], freq="M", name="month"))
    dates = incidents["occurred_on"]
    # Month index as an integer (year*12 + month-1): bincount is far faster than a group-by.
    ordinal = (dates.dt.year.to_numpy() * 12 + dates.dt.month.to_numpy() - 1).astype(np.int64)
    low, high = int(ordinal.min()), int(ordinal.max())
    type_codes = pd.Categorical(incidents["incident_type"], categories=schema.INCIDENT_TYPES).codes
    width = high - low + 1
    counts = np.bincount((ordinal - low) * len(schema.INCIDENT_TYPES) + type_codes,
                         minlength=width * len(schema.INCIDENT_TYPES)).reshape(width, len(schema.INCIDENT_TYPES))
    index = pd.period_range(pd.Period(year=low // 12, month=low % 12 + 1, freq="M"), periods=width, freq="M",
                            name="month")
    return pd.DataFrame(counts, index=index, columns=list(schema.INCIDENT_TYPES))


def window_total(monthly: pd.DataFrame, column: str, window: Window) -> int:
    """Sum of a monthly count column over a window (months outside the table count 0)."""
    if monthly.empty:
        return 0
    first = pd.Period(str(window.first), freq="M")
    last = pd.Period(str(window.last), freq="M")
    return int(monthly.loc[(monthly.index >= first) & (monthly.index <= last), column].sum())


def window_is_covered(window: Window, coverage: Window | None) -> bool:
    """True when the data's span includes every month of ``window``."""
    return coverage is not None and coverage.first <= window.first and window.last <= coverage.last


def data_coverage(incidents: pd.DataFrame, through: Month | None) -> Window | None:
    """Months the incident data covers: from its first whole month to ``through`` (the last full month).

    The first whole month is the first incident's month when that incident is on the 1st, else the month
    after: an extract that starts on 20 March does not hold 1-19 March.
    """
    if incidents is None or incidents.empty or through is None:
        return None
    first = incidents["occurred_on"].min()
    first_month = Month(first.year, first.month) if first.day == 1 else Month(first.year, first.month).shift(1)
    return Window(first_month, through) if first_month <= through else None


def monthly_counts(data: CityData) -> pd.DataFrame:
    """Incident counts by month and type of one loaded data folder, computed once per load and then reused."""
    if "monthly_counts" not in data.derived:
        data.derived["monthly_counts"] = monthly_incident_counts(data.tables["incidents"])
    return data.derived["monthly_counts"]


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
