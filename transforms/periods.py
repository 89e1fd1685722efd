"""Data dates and quarters from run dates: the run's logical date decides, never the clock."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

QUARTER = re.compile(r"^(\d{4})Q([1-4])$")


def data_date(logical_date: datetime, tz: ZoneInfo) -> date:
    """The data date of a daily run: its logical date in the city's timezone."""
    return logical_date.astimezone(tz).date()


def local_deadline(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz)


def dates_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def parse_quarter(text: str) -> tuple[int, int]:
    match = QUARTER.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a quarter of the form YYYYQn (e.g. 2020Q2)")
    return int(match.group(1)), int(match.group(2))


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def quarter_bounds(quarter: str) -> tuple[date, date]:
    year, number = parse_quarter(quarter)
    first = date(year, 3 * number - 2, 1)
    next_first = date(year + (number == 4), 1 if number == 4 else 3 * number + 1, 1)
    return first, next_first - timedelta(days=1)


def previous_quarter(day: date) -> str:
    """The last quarter that ended before `day`."""
    first, _ = quarter_bounds(quarter_of(day))
    return quarter_of(first - timedelta(days=1))


def quarters_of_year_through(quarter: str) -> list[str]:
    """The quarters of `quarter`'s year up to and including it: the year-to-date span."""
    year, number = parse_quarter(quarter)
    return [f"{year}Q{n}" for n in range(1, number + 1)]


def quarterly_deadline(quarter: str, deadline_days: int, tz: ZoneInfo) -> datetime:
    """Quarterly files are due by the end of the `deadline_days`-th day after the quarter ends
    (季后 N 日内报送): the deadline is the following local midnight."""
    _, last = quarter_bounds(quarter)
    return datetime.combine(last + timedelta(days=deadline_days + 1), time(0), tzinfo=tz)


# Quarters end on fixed dates; a non-leap reference year keeps every run on or after the
# deadline (in a leap year a date past February falls one day later than strictly needed).
_QUARTER_ENDS = (date(2021, 3, 31), date(2021, 6, 30), date(2021, 9, 30), date(2021, 12, 31))
# The run (deadline_days + 1 days after the quarter ends) must fall inside the next quarter,
# so that its logical date names the finished quarter; the shortest quarter has 90 days.
MAX_QUARTERLY_DEADLINE_DAYS = 89


def quarterly_run_crons(deadline_days: int, at: time) -> tuple[str, ...]:
    """Cron expressions firing at `at` on the day after each quarter's submission deadline."""
    if not 0 <= deadline_days <= MAX_QUARTERLY_DEADLINE_DAYS:
        raise ValueError(
            f"quarterly_deadline_days must be 0–{MAX_QUARTERLY_DEADLINE_DAYS} so that the run "
            f"falls in the next quarter, not {deadline_days}"
        )
    months_by_day: dict[int, list[int]] = {}
    for end in _QUARTER_ENDS:
        run_day = end + timedelta(days=deadline_days + 1)
        months_by_day.setdefault(run_day.day, []).append(run_day.month)
    return tuple(
        f"{at.minute} {at.hour} {day} {','.join(map(str, sorted(months)))} *"
        for day, months in sorted(months_by_day.items())
    )
