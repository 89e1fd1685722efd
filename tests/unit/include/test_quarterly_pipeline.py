"""What a quarterly run processes, decided from its logical date, param and the daily data,
never the clock; and when it is scheduled."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
import pytest

from include import quarterly_pipeline, warehouse
from include.context import RunContext
from include.tables import county_daily
from tests.conftest import use_warehouse
from tests.e2e.tiny_city import CITY_TOML, TZ
from transforms.periods import (
    dates_between,
    quarterly_deadline,
    quarterly_run_crons,
    quarters_of_year_through,
)


@pytest.fixture
def city(tmp_path, monkeypatch):
    config = tmp_path / "city.toml"
    config.write_text(CITY_TOML, encoding="utf-8")
    monkeypatch.setenv("CITYSTATS_CITY_CONFIG", str(config))
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    return warehouse.engine_for(use_warehouse(monkeypatch, url))


def with_daily_rows(engine, first: date, last: date) -> None:
    rows = pd.DataFrame(
        {
            "report_date": [pd.Timestamp(d) for d in dates_between(first, last)],
            "county_code": "990102",
            "county_name": "东区",
            "status": "accepted",
            "revision": 1,
        }
    )
    with engine.begin() as connection:
        warehouse.replace_partition(connection, county_daily, {}, rows)


def test_the_quarter_is_the_one_that_ended_before_the_logical_date_in_the_city_timezone(city):
    # 16 April 22:00 in Shanghai, the scheduled run after the 2020Q1 deadline
    assert (
        quarterly_pipeline.quarter_of_run(
            RunContext.from_env(), datetime(2020, 4, 16, 14, tzinfo=UTC)
        )
        == "2020Q1"
    )
    # 31 December 20:00 UTC is already 1 January in Shanghai: 2020Q4 has ended
    assert (
        quarterly_pipeline.quarter_of_run(
            RunContext.from_env(), datetime(2020, 12, 31, 20, tzinfo=UTC)
        )
        == "2020Q4"
    )
    assert (
        quarterly_pipeline.quarter_of_run(
            RunContext.from_env(), datetime(2020, 12, 31, 15, tzinfo=UTC)
        )
        == "2020Q3"
    )


def test_the_quarter_param_overrides_and_is_checked(city):
    logical = datetime(2020, 4, 16, 14, tzinfo=UTC)
    assert (
        quarterly_pipeline.quarter_of_run(RunContext.from_env(), logical, {"quarter": "2019Q4"})
        == "2019Q4"
    )
    assert (
        quarterly_pipeline.quarter_of_run(RunContext.from_env(), None, {"quarter": " 2020Q2 "})
        == "2020Q2"
    )
    with pytest.raises(ValueError, match="YYYYQn"):
        quarterly_pipeline.quarter_of_run(RunContext.from_env(), logical, {"quarter": "2020-Q2"})


def test_a_run_without_logical_date_or_param_merges_no_quarter(city):
    assert quarterly_pipeline.quarter_of_run(RunContext.from_env(), None, {"quarter": None}) is None


def test_an_asset_triggered_run_rolls_up_every_finished_quarter_with_daily_data(city):
    with_daily_rows(city, date(2020, 2, 3), date(2020, 4, 10))
    # 2020Q2 has daily data but the series has not reached 30 June: not finished
    assert quarterly_pipeline.quarters_to_roll_up(RunContext.from_env(), None, {}) == ["2020Q1"]
    with_daily_rows(city, date(2020, 2, 3), date(2020, 6, 30))
    assert quarterly_pipeline.quarters_to_roll_up(RunContext.from_env(), None, {}) == [
        "2020Q1",
        "2020Q2",
    ]


def test_a_quarter_run_rolls_up_its_own_quarter_when_it_has_daily_data(city):
    with_daily_rows(city, date(2020, 2, 3), date(2020, 4, 10))
    assert quarterly_pipeline.quarters_to_roll_up(
        RunContext.from_env(), None, {"quarter": "2020Q2"}
    ) == ["2020Q2"]
    assert (
        quarterly_pipeline.quarters_to_roll_up(RunContext.from_env(), None, {"quarter": "2020Q3"})
        == []
    )
    scheduled = datetime(2020, 4, 16, 14, tzinfo=UTC)
    assert quarterly_pipeline.quarters_to_roll_up(RunContext.from_env(), scheduled, {}) == [
        "2020Q1"
    ]


def test_no_daily_data_rolls_up_nothing(city):
    assert quarterly_pipeline.quarters_to_roll_up(RunContext.from_env(), None, {}) == []


@pytest.fixture
def holiday_city(tmp_path, monkeypatch):
    """The tiny city with files due 5 days after the quarter, postponed for statutory holidays."""
    config = tmp_path / "holiday_city.toml"
    config.write_text(
        CITY_TOML.replace(
            "resubmission_lookback_days = 7",
            "resubmission_lookback_days = 7\nquarterly_deadline_days = 5\n"
            'deadline_holiday_rule = "postpone_statutory"',
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("CITYSTATS_CITY_CONFIG", str(config))
    return RunContext.from_env()


def test_a_postponed_deadline_holds_the_run_until_it_has_passed(holiday_city):
    run = holiday_city
    # 5 October 2020 is in the National Day holiday (1–8 October): files are due by the end
    # of Friday 9 October, and the scheduled run (6 October, 22:00) waits for it
    scheduled = datetime(2020, 10, 6, 14, tzinfo=UTC)
    assert quarterly_pipeline.quarter_of_run(run, scheduled) == "2020Q3"
    assert not quarterly_pipeline.deadline_passed(run, "2020Q3", "scheduled", scheduled)
    assert not quarterly_pipeline.deadline_passed(
        run, "2020Q3", "scheduled", datetime(2020, 10, 9, 23, 59, tzinfo=TZ)
    )
    assert quarterly_pipeline.deadline_passed(
        run, "2020Q3", "scheduled", datetime(2020, 10, 10, tzinfo=TZ)
    )
    # an operator's manual run judges the files landed so far at once
    assert quarterly_pipeline.deadline_passed(run, "2020Q3", "manual", scheduled)
    # a file that arrives during the holiday or on the 9th is on time
    assert quarterly_pipeline.QUARTERLY.deadline(run.city, "2020Q3") == datetime(
        2020, 10, 10, tzinfo=TZ
    )
    # 5 July 2020 is an ordinary Sunday: the run does not wait
    assert quarterly_pipeline.deadline_passed(
        run, "2020Q2", "scheduled", datetime(2020, 7, 6, 14, tzinfo=UTC)
    )


def test_without_the_holiday_rule_the_scheduled_run_never_waits(city):
    # the tiny city: 15 days, no holiday rule; the run after 2020Q3 fires on 16 October
    run = RunContext.from_env()
    assert quarterly_pipeline.deadline_passed(
        run, "2020Q3", "scheduled", datetime(2020, 10, 16, 22, tzinfo=TZ)
    )
    assert not quarterly_pipeline.deadline_passed(
        run, "2020Q3", "scheduled", datetime(2020, 10, 15, 23, 59, tzinfo=TZ)
    )


def test_files_are_due_by_the_end_of_the_deadline_day():
    assert quarterly_deadline("2020Q1", 15, TZ) == datetime(2020, 4, 16, tzinfo=TZ)
    assert quarterly_deadline("2020Q4", 15, TZ) == datetime(2021, 1, 16, tzinfo=TZ)
    assert quarterly_deadline("2020Q2", 0, TZ) == datetime(2020, 7, 1, tzinfo=TZ)


@pytest.mark.parametrize(
    ("deadline_days", "crons"),
    [
        (15, ("0 22 16 1,4,7,10 *",)),
        (0, ("0 22 1 1,4,7,10 *",)),
        # quarters end on the 30th or 31st, so 45 days later lands on different days
        (45, ("0 22 15 2,8,11 *", "0 22 16 5 *")),
    ],
)
def test_runs_fire_on_the_day_after_each_deadline(deadline_days, crons):
    assert quarterly_run_crons(deadline_days, time(22, 0)) == crons


@pytest.mark.parametrize("deadline_days", [0, 15, 45, 89])
def test_every_run_falls_after_the_deadline_inside_the_next_quarter(deadline_days):
    from airflow.sdk import MultipleCronTriggerTimetable
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.timetables.base import TimeRestriction

    timetable = coerce_to_core_timetable(
        MultipleCronTriggerTimetable(
            *quarterly_run_crons(deadline_days, time(22, 0)), timezone="Asia/Shanghai"
        )
    )
    # the four runs from the start of 2020Q2 on, leap year included
    after = datetime(2020, 4, 1, tzinfo=TZ)
    quarters = []
    for _ in range(4):
        run = timetable.next_dagrun_info(
            last_automated_data_interval=None,
            restriction=TimeRestriction(earliest=after, latest=None, catchup=True),
        )
        quarter = quarterly_pipeline.quarter_of_run(RunContext.from_env(), run.logical_date)
        assert run.logical_date >= quarterly_deadline(quarter, deadline_days, TZ), quarter
        quarters.append(quarter)
        after = run.logical_date + timedelta(minutes=1)
    assert quarters == ["2020Q1", "2020Q2", "2020Q3", "2020Q4"]


def test_a_deadline_past_the_next_quarter_is_refused():
    with pytest.raises(ValueError, match="quarterly_deadline_days"):
        quarterly_run_crons(90, time(22, 0))


def test_year_to_date_quarters():
    assert quarters_of_year_through("2020Q3") == ["2020Q1", "2020Q2", "2020Q3"]
    assert quarters_of_year_through("2021Q1") == ["2021Q1"]
