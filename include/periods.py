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
