import datetime as dt
from fractions import Fraction

import pytest

from ceasefire_analysis.errors import ParamsError
from ceasefire_analysis.periods import Month, ReviewWindows, Window, exact, round_half_up


def test_month_parse_and_errors_name_the_key():
    assert Month.parse("2017-02") == Month(2017, 2)
    for bad in ("2017-13", "2017-2", "17-02", "Feb 2017", None, "2017-00"):
        with pytest.raises(ParamsError, match="period_start"):
            Month.parse(bad, "period_start")


def test_end_before_start_is_an_error():
    with pytest.raises(ParamsError, match="period_end.*before"):
        ReviewWindows.from_months("2017-03", "2017-02")


def test_ytd_runs_from_january_of_the_last_months_year():
    p = ReviewWindows.from_months("2017-02", "2017-03")
    assert (p.ytd.start, p.ytd.end) == (dt.date(2017, 1, 1), dt.date(2017, 3, 31))
    assert (p.period.start, p.period.end) == (dt.date(2017, 2, 1), dt.date(2017, 3, 31))
    assert p.period_id == "2017-02_2017-03"


def test_period_across_a_year_boundary():
    p = ReviewWindows.from_months("2016-12", "2017-01")
    assert [str(m) for m in p.period.months] == ["2016-12", "2017-01"]
    assert (p.ytd.start, p.ytd.end) == (dt.date(2017, 1, 1), dt.date(2017, 1, 31))
    prior = p.period.shift_years(-1)
    assert (prior.start, prior.end) == (dt.date(2015, 12, 1), dt.date(2016, 1, 31))


def test_leap_year_month_ends():
    assert Month(2016, 2).last_day == dt.date(2016, 2, 29)
    assert Month(2017, 2).last_day == dt.date(2017, 2, 28)
    assert Month(2000, 2).last_day == dt.date(2000, 2, 29)
    assert Month(1900, 2).last_day == dt.date(1900, 2, 28)
    w = Window(Month(2016, 1), Month(2016, 2)).shift_years(1)
    assert w.end == dt.date(2017, 2, 28)


def test_round_half_up_is_not_bankers_rounding():
    assert round_half_up(Fraction(45, 2)) == 23
    assert round_half_up(Fraction(49, 2)) == 25  # round() would give 24
    assert round_half_up(Fraction(307 * 3, 12)) == 77
    assert round_half_up(Fraction(307 * 2, 12)) == 51
    assert round_half_up(87.5) == 88
    assert round_half_up(0) == 0
    assert round_half_up(Fraction(-5, 2)) == -3


def test_exact_reads_decimals_as_written():
    assert exact(0.1) == Fraction(1, 10)
    assert 25 * (1 - exact(0.10)) == Fraction(45, 2)
