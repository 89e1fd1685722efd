"""Deadlines falling in a statutory holiday move to the first working day after it
(遇法定节假日顺延); ordinary weekends do not move them. The expected days are read off the
State Council's holiday notices, not computed:

- 2020 National Day and Mid-autumn: 1–8 October off; Sunday 27 September and Saturday
  10 October worked. 17 October is an ordinary Saturday.
- 2020 Spring Festival as chinese_calendar records it (extended for the epidemic):
  24 January – 2 February off; Sunday 19 January worked; Monday 3 February the next
  working day.
- 2021 Spring Festival: 11–17 February off; Sunday 7 and Saturday 20 February worked.
- 2019 Labour Day: 1–4 May off; Sunday 5 May worked (an adjusted working Sunday).
- 2018 Dragon Boat Festival: 18 June off, joined with the weekend of 16–17 June; Tuesday
  19 June the next working day.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from transforms.periods import (
    daily_deadline,
    deadline_day,
    next_working_day,
    quarterly_deadline,
    statutory_holiday,
)

TZ = ZoneInfo("Asia/Shanghai")
POSTPONE = "postpone_statutory"


def midnight(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=TZ)


@pytest.mark.parametrize(
    ("quarter", "days", "deadline"),
    [
        # 5 October 2020 (Monday) is in the National Day holiday: due by the end of Friday 9th
        ("2020Q3", 5, midnight(2020, 10, 10)),
        # 1 October, the holiday's first day, and 8 October, its last
        ("2020Q3", 1, midnight(2020, 10, 10)),
        ("2020Q3", 8, midnight(2020, 10, 10)),
        # Saturday 3 October lies inside the holiday block: it moves too
        ("2020Q3", 3, midnight(2020, 10, 10)),
        # Friday 9 October is a working day: no move
        ("2020Q3", 9, midnight(2020, 10, 10)),
        # Saturday 10 October is an adjusted working day: no move
        ("2020Q3", 10, midnight(2020, 10, 11)),
        # Sunday 11 October is an ordinary weekend after the holiday: no move
        ("2020Q3", 11, midnight(2020, 10, 12)),
        # Saturday 17 October, an ordinary Saturday: no move
        ("2020Q3", 17, midnight(2020, 10, 18)),
        # 42 days after 2020Q4 is Thursday 11 February 2021, New Year's Eve of the Spring
        # Festival holiday (11–17 February): due by the end of Thursday 18 February
        ("2020Q4", 42, midnight(2021, 2, 19)),
        # Sunday 7 February 2021 is an adjusted working day before the holiday: no move
        ("2020Q4", 38, midnight(2021, 2, 8)),
        # Friday 24 January 2020, the first day of the (extended) Spring Festival holiday,
        # and Sunday 2 February, its last: due by the end of Monday 3 February
        ("2019Q4", 24, midnight(2020, 2, 4)),
        ("2019Q4", 33, midnight(2020, 2, 4)),
        # Sunday 19 January 2020, an adjusted working day: no move
        ("2019Q4", 19, midnight(2020, 1, 20)),
        # Saturday 4 May 2019, the Labour Day holiday's last day: the next working day is the
        # adjusted working Sunday 5 May
        ("2019Q1", 34, midnight(2019, 5, 6)),
        # Saturday 16 June 2018: chinese_calendar names only the 18th of the Dragon Boat
        # Festival, but the weekend joined with it is part of the holiday
        ("2018Q1", 77, midnight(2018, 6, 20)),
        # 15 days after a quarter, as Shaoguan has it: 16 April 2020 is a working day
        ("2020Q1", 15, midnight(2020, 4, 16)),
    ],
)
def test_a_quarterly_deadline_in_a_statutory_holiday_moves_to_the_next_working_day(
    quarter, days, deadline
):
    assert quarterly_deadline(quarter, days, TZ, POSTPONE) == deadline


@pytest.mark.parametrize(
    ("quarter", "days", "deadline"),
    [
        ("2020Q3", 5, midnight(2020, 10, 6)),
        ("2020Q4", 42, midnight(2021, 2, 12)),
        ("2019Q1", 34, midnight(2019, 5, 5)),
    ],
)
def test_without_the_rule_a_deadline_never_moves(quarter, days, deadline):
    assert quarterly_deadline(quarter, days, TZ, "none") == deadline
    assert quarterly_deadline(quarter, days, TZ) == deadline


@pytest.mark.parametrize(
    ("day", "holiday"),
    [
        (date(2020, 10, 1), "National Day"),
        (date(2020, 10, 4), "National Day"),  # a Sunday inside the holiday
        (date(2020, 9, 27), None),  # adjusted working Sunday (named by chinese_calendar)
        (date(2020, 10, 10), None),  # adjusted working Saturday
        (date(2020, 10, 11), None),  # ordinary Sunday
        (date(2020, 10, 17), None),  # ordinary Saturday
        (date(2021, 2, 17), "Spring Festival"),
        (date(2021, 2, 20), None),  # adjusted working Saturday
        (date(2018, 6, 17), "Dragon Boat Festival"),  # weekend joined with the holiday
        (date(2021, 2, 18), None),
    ],
)
def test_statutory_holidays_are_rest_days_of_a_named_holiday(day, holiday):
    assert statutory_holiday(day) == holiday


def test_the_next_working_day_counts_adjusted_working_days():
    assert next_working_day(date(2019, 5, 4)) == date(2019, 5, 5)  # a Sunday
    assert next_working_day(date(2021, 2, 17)) == date(2021, 2, 18)
    assert next_working_day(date(2020, 10, 9)) == date(2020, 10, 10)  # a Saturday
    assert next_working_day(date(2020, 10, 17)) == date(2020, 10, 19)


@pytest.mark.parametrize(
    ("day", "rule", "deadline"),
    [
        # the deadline's time of day is kept, on the first working day after the holiday
        (date(2020, 10, 5), POSTPONE, datetime(2020, 10, 9, 20, tzinfo=TZ)),
        (date(2021, 2, 11), POSTPONE, datetime(2021, 2, 18, 20, tzinfo=TZ)),
        (date(2019, 5, 4), POSTPONE, datetime(2019, 5, 5, 20, tzinfo=TZ)),
        (date(2020, 10, 10), POSTPONE, datetime(2020, 10, 10, 20, tzinfo=TZ)),
        (date(2020, 10, 17), POSTPONE, datetime(2020, 10, 17, 20, tzinfo=TZ)),
        (date(2020, 10, 5), "none", datetime(2020, 10, 5, 20, tzinfo=TZ)),
    ],
)
def test_a_daily_deadline_moves_to_its_time_on_the_next_working_day(day, rule, deadline):
    assert daily_deadline(day, time(20, 0), TZ, rule) == deadline


def test_a_year_without_holiday_data_keeps_the_deadline_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="transforms.periods"):
        assert quarterly_deadline("2099Q3", 5, TZ, POSTPONE) == midnight(2099, 10, 6)
        assert daily_deadline(date(2099, 10, 5), time(20), TZ, POSTPONE) == datetime(
            2099, 10, 5, 20, tzinfo=TZ
        )
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert "2099-10-05" in warnings[0].getMessage()
    assert "chinese_calendar" in warnings[0].getMessage()


def test_an_unknown_rule_is_refused():
    with pytest.raises(ValueError, match="postpone_statutory"):
        deadline_day(date(2020, 10, 5), "postpone")
