"""Data dates and quarters from run dates: the run's logical date decides, never the clock."""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

QUARTER = re.compile(r"^(\d{4})Q([1-4])$")

log = logging.getLogger(__name__)

# What happens to a deadline whose day falls in a statutory holiday (the city TOML's
# `deadline_holiday_rule` and `daily_deadline_holiday_rule`):
POSTPONE_STATUTORY = "postpone_statutory"  # 遇法定节假日顺延至节后第一个工作日
NO_HOLIDAY_RULE = "none"  # the deadline never moves
DEADLINE_HOLIDAY_RULES = (POSTPONE_STATUTORY, NO_HOLIDAY_RULE)


def data_date(logical_date: datetime, tz: ZoneInfo) -> date:
    """The data date of a daily run: its logical date in the city's timezone."""
    return logical_date.astimezone(tz).date()


def local_deadline(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz)


def statutory_holiday(day: date) -> str | None:
    """The statutory holiday (法定节假日) whose rest days include `day`, by its name in
    chinese_calendar; None for a working day (adjusted working days, 调休上班, included) and
    for an ordinary weekend. A weekend day inside a holiday's block of rest days belongs to
    the holiday, also where chinese_calendar names only the weekdays of the block (2018's
    Dragon Boat Festival: 16–18 June, of which it names the 18th). Raises NotImplementedError
    for a year chinese_calendar has no data for."""
    import chinese_calendar

    if chinese_calendar.is_workday(day):
        return None
    rest_days = [day]
    while not chinese_calendar.is_workday(rest_days[0] - timedelta(days=1)):
        rest_days.insert(0, rest_days[0] - timedelta(days=1))
    while not chinese_calendar.is_workday(rest_days[-1] + timedelta(days=1)):
        rest_days.append(rest_days[-1] + timedelta(days=1))
    for rest_day in rest_days:
        on_holiday, name = chinese_calendar.get_holiday_detail(rest_day)
        # an adjusted working day is named too, but is no day off
        if on_holiday and name:
            return name
    return None


def next_working_day(day: date) -> date:
    """The first working day after `day`; an adjusted working Saturday or Sunday counts.
    Raises NotImplementedError for a year chinese_calendar has no data for."""
    import chinese_calendar

    following = day + timedelta(days=1)
    while not chinese_calendar.is_workday(following):
        following += timedelta(days=1)
    return following


def deadline_day(day: date, holiday_rule: str) -> date:
    """The day a deadline due on `day` falls due under `holiday_rule`: with
    "postpone_statutory", a day inside a statutory holiday moves to the first working day
    after it (an ordinary weekend does not move); with "none" it never moves. For a year
    chinese_calendar has no data for the day stays, with a warning."""
    if holiday_rule == NO_HOLIDAY_RULE:
        return day
    if holiday_rule != POSTPONE_STATUTORY:
        raise ValueError(
            f"unknown deadline holiday rule {holiday_rule!r}: "
            f"one of {', '.join(map(repr, DEADLINE_HOLIDAY_RULES))}"
        )
    try:
        holiday = statutory_holiday(day)
        if holiday is None:
            return day
        postponed = next_working_day(day)
    except NotImplementedError as missing:
        log.warning(
            "deadline on %s not postponed for statutory holidays: the holiday calendar "
            "(chinese_calendar) has no data for it (%s)",
            day,
            missing,
        )
        return day
    log.info("deadline on %s falls in %s: postponed to %s", day, holiday, postponed)
    return postponed


def daily_deadline(
    day: date, at: time, tz: ZoneInfo, holiday_rule: str = NO_HOLIDAY_RULE
) -> datetime:
    """A date's files are due by `at` on the date (local time), or under "postpone_statutory",
    when the date falls in a statutory holiday, by `at` on the first working day after it."""
    return local_deadline(deadline_day(day, holiday_rule), at, tz)


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


def quarterly_deadline(
    quarter: str, deadline_days: int, tz: ZoneInfo, holiday_rule: str = NO_HOLIDAY_RULE
) -> datetime:
    """Quarterly files are due by the end of the `deadline_days`-th day after the quarter ends
    (季后 N 日内报送): the deadline is the following local midnight. Under
    "postpone_statutory" a day inside a statutory holiday gives way to the first working day
    after it (遇法定节假日顺延), and the deadline is the midnight that ends that day."""
    _, last = quarter_bounds(quarter)
    due = deadline_day(last + timedelta(days=deadline_days), holiday_rule)
    return datetime.combine(due + timedelta(days=1), time(0), tzinfo=tz)


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
