"""Alerts from real Airflow runs (`dag.test`), captured by a webhook on 127.0.0.1: the nightly
run names the county still missing at the cut-off, and a task that fails for good sends its
error and log link through the DAGs' failure notifier."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date

import pytest

from include.operator_cli import nightly_logical_date
from tests.alert_receivers import webhook_receiver
from tests.e2e.tiny_city import E1, EAST, NORTH, W1, WEST, use_tiny_city

FAILING_DAG = """
from datetime import datetime

from airflow.sdk import dag, task

from include.alerts import TaskFailureNotifier


@dag(
    dag_id="alert_probe",
    schedule=None,
    start_date=datetime(2020, 1, 1),
    default_args={"retries": 0, "on_failure_callback": TaskFailureNotifier()},
)
def alert_probe():
    @task
    def load_registry():
        raise FileNotFoundError("registry/enterprises.csv is not in the landing zone")

    load_registry()


alert_probe()
"""


@pytest.fixture
def webhook(monkeypatch):
    with webhook_receiver() as (url, received):
        monkeypatch.setenv("CITYSTATS_ALERT_WEBHOOK", url)
        yield received


def load_dag(folder, dag_id):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(folder))
    assert bag.import_errors == {}
    return bag.get_dag(dag_id)


@pytest.mark.airflow
def test_a_rerun_alerts_the_missing_county_only_when_asked(
    airflow_db, tmp_path, monkeypatch, webhook
):
    from tests.conftest import REPO

    landing = use_tiny_city(tmp_path, monkeypatch)
    landing.daily_csv("2020-03-17", EAST, [(E1, True, "2020-03-10", 100, 90, 80, 5, 0, None)])
    landing.daily_csv("2020-03-17", WEST, [(W1, True, "2020-03-16", 200, 100, 50, 0, 1, None)])

    dag = load_dag(REPO / "dags" / "city_daily_report.py", "city_daily_report")
    logical_date = nightly_logical_date(date(2020, 3, 17))
    # dag.test is a manual run: the scheduled nightly run owns the alert (unit-tested).
    run = dag.test(logical_date=logical_date)
    assert str(run.state).endswith("success")
    assert webhook == []

    run = dag.test(logical_date=logical_date, run_conf={"alert_missing": True})
    assert str(run.state).endswith("success")
    [alert] = webhook
    assert alert["kind"] == "counties_missing"
    assert alert["report_date"] == "2020-03-17"
    assert alert["missing_counties"] == [{"code": NORTH, "name": "北区"}]


@pytest.mark.airflow
def test_a_task_failing_for_good_alerts_with_its_error_and_log(airflow_db, tmp_path, webhook):
    from tests.conftest import REPO

    (tmp_path / "alert_probe.py").write_text(FAILING_DAG, encoding="utf-8")
    # dag.test runs DAGs of the configured DAG folder, which Airflow reads once per process:
    # the probe runs in a process of its own, with the probe's folder as the DAG folder.
    probe = (
        "from airflow.dag_processing.dagbag import DagBag; "
        f"DagBag(dag_folder={str(tmp_path)!r}).get_dag('alert_probe').test()"
    )
    subprocess.run(
        [sys.executable, "-c", probe],
        env={**os.environ, "AIRFLOW__CORE__DAGS_FOLDER": str(tmp_path)},
        cwd=REPO,
        capture_output=True,
        check=True,
    )

    [alert] = webhook
    assert alert["kind"] == "task_failed"
    assert alert["dag_id"] == "alert_probe" and alert["task_id"] == "load_registry"
    assert "registry/enterprises.csv is not in the landing zone" in alert["error"]
    assert "/dags/alert_probe/runs/" in alert["log_url"]
    assert alert["log_url"].endswith("/tasks/load_registry?try_number=1")
