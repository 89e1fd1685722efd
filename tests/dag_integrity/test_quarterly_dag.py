"""city_quarterly_report: its tasks are wired in order, and it is scheduled both after each
quarter's deadline and on the daily publication, one run at a time."""

from __future__ import annotations

import itertools

import pytest
from airflow.dag_processing.dagbag import DagBag

from include.config import load_city_config
from tests.conftest import REPO
from transforms.periods import quarterly_run_crons


@pytest.fixture(scope="module")
def quarterly_dag():
    bag = DagBag(dag_folder=str(REPO / "dags" / "city_quarterly_report.py"))
    assert bag.import_errors == {}
    return bag.dags["city_quarterly_report"]


def test_submission_tasks_are_wired_in_order(quarterly_dag):
    chain = [
        "submission_quarter",
        "discover_submissions",
        "check_counties",
        "stage_submissions",
        "merge_county_quarterly",
        "publish_quarterly_report",
    ]
    for upstream, downstream in itertools.pairwise(chain):
        assert upstream in quarterly_dag.get_task(downstream).upstream_task_ids
    assert quarterly_dag.get_task("check_counties").map_index_template


def test_counties_are_judged_only_after_a_postponed_deadline(quarterly_dag):
    # the run fires the day after the unmoved deadline; a statutory holiday may postpone it
    wait = quarterly_dag.get_task("wait_for_deadline")
    assert wait.upstream_task_ids == {"submission_quarter"}
    assert "wait_for_deadline" in quarterly_dag.get_task("discover_submissions").upstream_task_ids
    # a sensor that frees its worker slot between pokes, and outlasts the longest holiday
    assert wait.mode == "reschedule"
    assert wait.timeout >= 10 * 24 * 3600


def test_the_roll_up_does_not_wait_for_nor_get_skipped_with_the_submissions(quarterly_dag):
    chain = ["quarters_to_roll_up", "roll_up_daily_series", "publish_daily_summary"]
    for upstream, downstream in itertools.pairwise(chain):
        assert quarterly_dag.get_task(downstream).upstream_task_ids == {upstream}
    assert quarterly_dag.get_task("quarters_to_roll_up").upstream_task_ids == set()
    assert "roll_up_daily_series" not in quarterly_dag.get_task(
        "submission_quarter"
    ).get_flat_relative_ids(upstream=False)


def test_scheduled_after_each_deadline_and_on_the_daily_publication(quarterly_dag):
    city = load_city_config()
    schedule = quarterly_dag.timetable
    assert type(schedule).__name__ == "AssetOrTimeSchedule"
    assert [asset.uri for asset in schedule.asset_condition.objects] == [
        "citystats://published/daily"
    ]
    crons = [t.expression for t in schedule.timetable.timetables]
    assert crons == list(
        quarterly_run_crons(city.schedule.quarterly_deadline_days, city.schedule.nightly_run)
    )
    assert {t.timezone for t in schedule.timetable.timetables} == {city.timezone}


def test_one_run_at_a_time_so_queued_asset_events_coalesce(quarterly_dag):
    assert quarterly_dag.max_active_runs == 1
    assert quarterly_dag.catchup is False
