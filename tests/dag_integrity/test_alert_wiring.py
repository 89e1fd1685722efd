"""Every task of the citystats DAGs alerts when it fails for good, and the nightly run checks
for missing counties once the submissions are staged."""

from __future__ import annotations

import pytest
from airflow.dag_processing.dagbag import DagBag

from include.alerts import TaskFailureNotifier
from tests.conftest import REPO


@pytest.fixture(scope="module")
def dagbag() -> DagBag:
    return DagBag(dag_folder=str(REPO / "dags"))


@pytest.mark.parametrize("dag_id", ["city_daily_report", "city_quarterly_report"])
def test_every_task_has_the_failure_notifier(dagbag, dag_id):
    for task in dagbag.dags[dag_id].tasks:
        callbacks = task.on_failure_callback
        callbacks = callbacks if isinstance(callbacks, list) else [callbacks]
        assert any(isinstance(c, TaskFailureNotifier) for c in callbacks), task.task_id


def test_missing_counties_are_checked_after_staging(dagbag):
    task = dagbag.dags["city_daily_report"].get_task("alert_missing_counties")
    assert task.upstream_task_ids == {"merge_county_daily"}
