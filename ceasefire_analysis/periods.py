"""Review periods, calendar windows and the arithmetic of benchmarks over them.

A review period is a run of whole months (normally two). Year-to-date (YTD) runs from
1 January of the year of the period's last month through the end of that month.
All windows are inclusive date ranges of whole months.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from fractions import Fraction

from .errors import ParamsError
from .schema import WINDOW_PERIOD, WINDOW_YTD

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
# Years a params file may name: wide enough for the long-run history, narrow enough that
# a typo ("9999-11") is an error rather than a date library's overflow.
FIRST_YEAR, LAST_YEAR = 1900, 2100


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: object, key: str = "month") -> "Month":
        """Read ``YYYY-MM``; ``key`` names the parameter in the error message.

        >>> Month.parse("2017-02")
        Month(year=2017, month=2)
        """
        match = _MONTH_RE.match(str(text).strip()) if text is not None else None
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise ParamsError(f"'{key}' must be a month written YYYY-MM (e.g. 2017-02), got {text!r}")
        if not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
            raise ParamsError(f"'{key}' must be a month between {FIRST_YEAR} and {LAST_YEAR}, got {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    def shift(self, months: int) -> "Month":
        index = self.year * 12 + (self.month - 1) + months
        return Month(index // 12, index % 12 + 1)

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        return self.shift(1).first_day - dt.timedelta(days=1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def label(self) -> str:
        return self.first_day.strftime("%b %Y")


@dataclass(frozen=True)
class Window:
    """An inclusive run of whole months, ``first`` to ``last``."""

    first: Month
    last: Month

    @property
    def start(self) -> dt.date:
        return self.first.first_day

    @property
    def end(self) -> dt.date:
        return self.last.last_day

    @property
    def months(self) -> list[Month]:
        out, m = [], self.first
        while m <= self.last:
            out.append(m)
            m = m.shift(1)
        return out

    @property
    def n_months(self) -> int:
        return len(self.months)

    def shift_years(self, years: int) -> "Window":
        """The same months ``years`` years later (negative: earlier)."""
        return Window(self.first.shift(12 * years), self.last.shift(12 * years))

    def label(self) -> str:
        if self.first == self.last:
            return self.first.label()
        if self.first.year == self.last.year:
            return f"{self.first.first_day:%b}–{self.last.first_day:%b} {self.last.year}"
        return f"{self.first.label()}–{self.last.label()}"


@dataclass(frozen=True)
class ReviewWindows:
    """A review period and its YTD window.

    >>> p = ReviewWindows.from_months("2016-12", "2017-01")
    >>> p.period_id, str(p.ytd.first), str(p.ytd.last)
    ('2016-12_2017-01', '2017-01', '2017-01')
    """

    period: Window

    @classmethod
    def from_months(cls, start: object, end: object) -> "ReviewWindows":
        first = Month.parse(start, "period_start")
        last = Month.parse(end, "period_end")
        if last < first:
            raise ParamsError(f"'period_end' ({last}) is before 'period_start' ({first})")
        return cls(Window(first, last))

    @property
    def ytd(self) -> Window:
        return Window(Month(self.period.last.year, 1), self.period.last)

    @property
    def period_id(self) -> str:
        return f"{self.period.first}_{self.period.last}"

    @property
    def end(self) -> dt.date:
        return self.period.end

    def by_name(self) -> dict[str, Window]:
        """The two windows every indicator is read over, by name."""
        return {WINDOW_YTD: self.ytd, WINDOW_PERIOD: self.period}


def same_day_years_earlier(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` years earlier; 29 February becomes 28 February in a common year.

    >>> same_day_years_earlier(dt.date(2017, 3, 15), 1), same_day_years_earlier(dt.date(2016, 2, 29), 1)
    (datetime.date(2016, 3, 15), datetime.date(2015, 2, 28))
    """
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def same_days_years_earlier(start: dt.date, end: dt.date, years: int = 1) -> tuple[dt.date, dt.date]:
    """The run of days ``years`` years before ``start``–``end`` that every "same days a year earlier" comparison
    reads: as many days as the run, ending on the same date (28 February for 29 February). A run across
    29 February is compared with a run of its own length, never one a day longer or shorter.

    >>> same_days_years_earlier(dt.date(2017, 2, 24), dt.date(2017, 3, 9))  # 14 days; 2016 has a 29 February
    (datetime.date(2016, 2, 25), datetime.date(2016, 3, 9))
    >>> same_days_years_earlier(dt.date(2016, 2, 24), dt.date(2016, 3, 8))  # 14 days across 29 Feb 2016
    (datetime.date(2015, 2, 23), datetime.date(2015, 3, 8))
    >>> same_days_years_earlier(dt.date(2017, 3, 1), dt.date(2017, 3, 15), 3)  # no leap day between: same dates
    (datetime.date(2014, 3, 1), datetime.date(2014, 3, 15))
    """
    last = same_day_years_earlier(end, years)
    return last - (end - start), last


def round_half_up(value: Fraction | int | float) -> int:
    """Round to the nearest whole number, halves away from zero (not to even).

    >>> round_half_up(Fraction(45, 2)), round_half_up(Fraction(307, 6)), round_half_up(0.5)
    (23, 51, 1)
    """
    value = Fraction(value) if not isinstance(value, Fraction) else value
    sign = -1 if value < 0 else 1
    return sign * int(abs(value) + Fraction(1, 2))


def exact(value: float | int | str | Fraction) -> Fraction:
    """An exact fraction for a decimal number as written (0.1 is 1/10, not 0.1000000000000000055)."""
    if isinstance(value, Fraction):
        return value
    return Fraction(str(value))
