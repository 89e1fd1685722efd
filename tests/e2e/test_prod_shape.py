"""The production shape on this machine: `make prod-shape`'s services (api-server, scheduler,
dag-processor, triggerer, a Celery worker) on fresh PostgreSQL databases and the local Redis.

An operator's `airflow backfill create` over a week of demo dates, every date at once and
with a republish run of a mid-week date triggered while it runs, goes through the scheduler
and the worker and publishes exactly what `dag.test` (the nightly run, `make backfill`)
publishes one date at a time for the same logical dates: the period folders byte for byte
(timestamps aside) and the `county_daily` rows, one per county and date. The dates checked
side by side, and published in date order. Then `--reprocess-behavior completed` reruns
the week, all dates at once, and the worker is killed with its task processes while tasks
run: a new worker takes over, the killed tasks are retried to success, and no revision,
file or folder version moves. Everything started here is stopped at the end, whatever
happened.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from datetime import UTC, date, timedelta
from pathlib import Path
from uuid import uuid4

import psutil
import pytest
from sqlalchemy import DateTime, create_engine, func, select, text

from deploy.chaos import period_files
from include.operator_cli import nightly_logical_date
from include.tables import county_daily, submissions_log, validation_findings
from tests.conftest import REPO, migrated_warehouse, require_service

pytestmark = [pytest.mark.airflow, pytest.mark.postgres, pytest.mark.redis]

WEEK = [date(2020, 3, 4) + timedelta(days=n) for n in range(7)]  # a rejection, a late file
POSTGRES_SERVER = "postgresql+psycopg2://postgres@127.0.0.1:5432"
BACKFILL_TIMEOUT_SECONDS = 420
# With acks_late, a worker holds a message it has not started only while its task instance
# is queued: killed when tasks run and none is queued, it loses only running tasks, which the
# scheduler retries after the heartbeat timeout. (A message received but not started would
# wait for [scheduler] task_queued_timeout, three minutes, before being sent again.)


def logical_date_bound(day: date) -> str:
    """The nightly logical date of `day` in UTC: a backfill from the first to the last of these
    makes exactly one run per date, with the run id the scheduler would give it."""
    return nightly_logical_date(day).astimezone(UTC).isoformat()


class ProdShape:
    """The deployment started by `python -m deploy.prod_shape start`, seen through its files."""

    def __init__(self, state_dir: Path, startup_seconds: float):
        self.state_dir = state_dir
        self.startup_seconds = startup_seconds
        self.settings = json.loads((state_dir / "deployment.json").read_text())
        self.environment = json.loads((state_dir / "environment.json").read_text())
        self.metadata = create_engine(f"{self.settings['postgres']}/{self.settings['metadata_db']}")
        self.warehouse_url = f"{self.settings['postgres']}/{self.settings['warehouse_db']}"

    def airflow(self, *args: str) -> str:
        finished = subprocess.run(
            [str(Path(sys.executable).with_name("airflow")), *args],
            env=self.environment,
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        assert finished.returncode == 0, finished.stdout + finished.stderr
        return finished.stdout

    def rows(self, query: str, **parameters) -> list[tuple]:
        with self.metadata.connect() as connection:
            return [tuple(r) for r in connection.execute(text(query), parameters)]

    def backfill(self, *extra: str) -> int:
        self.airflow(
            "backfill",
            "create",
            "--dag-id",
            "city_daily_report",
            "--from-date",
            logical_date_bound(WEEK[0]),
            "--to-date",
            logical_date_bound(WEEK[-1]),
            *extra,
        )
        return self.rows("SELECT max(id) FROM backfill")[0][0]

    def run_states(self, backfill_id: int) -> dict[str, str]:
        return dict(
            self.rows(
                "SELECT dr.run_id, dr.state FROM backfill_dag_run b "
                "JOIN dag_run dr ON dr.id = b.dag_run_id WHERE b.backfill_id = :id",
                id=backfill_id,
            )
        )

    def running_tasks(self, backfill_id: int) -> list[tuple]:
        return self.rows(
            "SELECT ti.run_id, ti.task_id, ti.map_index, ti.try_number FROM task_instance ti "
            "JOIN dag_run dr ON dr.dag_id = ti.dag_id AND dr.run_id = ti.run_id "
            "WHERE dr.backfill_id = :id AND ti.state = 'running'",
            id=backfill_id,
        )

    def queued(self) -> int:
        """How many task instances of any run are queued: sent to the broker, not started."""
        return self.rows("SELECT count(*) FROM task_instance WHERE state = 'queued'")[0][0]

    def task_state(self, run_id: str, task_id: str, map_index: int) -> tuple[str, int]:
        return self.rows(
            "SELECT state, try_number FROM task_instance WHERE dag_id = 'city_daily_report' "
            "AND run_id = :run AND task_id = :task AND map_index = :index",
            run=run_id,
            task=task_id,
            index=map_index,
        )[0]

    def trigger_republish(self, day: date) -> str:
        """A republish run of `day` as the look-back triggers one: no logical date."""
        run_id = f"republish__{day}__overlap"
        conf = json.dumps({"report_date": day.isoformat(), "look_back": False})
        self.airflow("dags", "trigger", "city_daily_report", "--run-id", run_id, "--conf", conf)
        return run_id

    def wait_for_run(self, run_id: str) -> str:
        deadline = time.monotonic() + BACKFILL_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            (state,) = self.rows(
                "SELECT state FROM dag_run WHERE dag_id = 'city_daily_report' AND run_id = :run",
                run=run_id,
            )[0]
            if state in ("success", "failed"):
                return state
            time.sleep(3)
        pytest.fail(f"run {run_id} unfinished\n{self.log_tail()}")

    def task_spans(self, backfill_id: int, task_id: str) -> dict[date, tuple]:
        """(start, end) of `task_id`'s first map index in each of the backfill's runs."""
        rows = self.rows(
            "SELECT dr.logical_date, ti.start_date, ti.end_date FROM task_instance ti "
            "JOIN dag_run dr ON dr.dag_id = ti.dag_id AND dr.run_id = ti.run_id "
            "WHERE dr.backfill_id = :id AND ti.task_id = :task AND ti.map_index <= 0",
            id=backfill_id,
            task=task_id,
        )
        return {
            min(WEEK, key=lambda day: abs(logical - nightly_logical_date(day))): (start, end)
            for logical, start, end in rows
        }

    def wait_for(self, backfill_id: int) -> dict[str, str]:
        """Until each of the week's runs has finished; their final states."""
        deadline = time.monotonic() + BACKFILL_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            states = self.run_states(backfill_id)
            if len(states) == len(WEEK) and set(states.values()) <= {"success", "failed"}:
                return states
            time.sleep(3)
        pytest.fail(f"backfill {backfill_id} unfinished: {states}\n{self.log_tail()}")

    def wait_until_marked_complete(self, backfill_id: int) -> None:
        """The scheduler marks a finished backfill complete within 30 s; until then no other
        backfill of the DAG can be created."""
        deadline = time.monotonic() + 90
        while not self.rows("SELECT completed_at FROM backfill WHERE id = :id", id=backfill_id)[0][
            0
        ]:
            assert time.monotonic() < deadline, f"backfill {backfill_id} never marked complete"
            time.sleep(2)

    def log_tail(self, service: str = "airflow-scheduler") -> str:
        log = self.state_dir / "logs" / f"{service}.log"
        return "\n".join(log.read_text(errors="replace").splitlines()[-40:])

    def kill_worker(self) -> None:
        """SIGKILL the Celery worker and all its children: a lost machine, not a shutdown."""
        worker = psutil.Process(int((self.state_dir / "airflow-worker.pid").read_text()))
        tree = [worker, *worker.children(recursive=True)]
        for process in tree:
            process.kill()
        psutil.wait_procs(tree, timeout=10)

    def start_worker(self) -> None:
        prod_shape_command(self.state_dir, "start-service", "airflow-worker")


def prod_shape_command(state_dir: Path, *args: str, env: dict | None = None) -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "deploy.prod_shape", "--state-dir", str(state_dir), *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr


def without_alerts_and_warehouse(environ) -> dict[str, str]:
    return {
        name: value
        for name, value in environ.items()
        if not name.startswith(("CITYSTATS_ALERT_", "CITYSTATS_WAREHOUSE_URL"))
    }


@pytest.fixture(scope="module")
def demo_landing(tmp_path_factory) -> Path:
    from include.config import load_city_config
    from include.demo import generate_demo, write_demo_landing

    landing = tmp_path_factory.mktemp("landing")
    write_demo_landing(landing, generate_demo(load_city_config()))
    return landing


@pytest.fixture(scope="module")
def reference_warehouse():
    """A fresh database for the `dag.test` reference run, dropped afterwards."""
    name = f"citystats_reference_{uuid4().hex[:10]}"
    admin = create_engine(f"{POSTGRES_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield migrated_warehouse(f"{POSTGRES_SERVER}/{name}")
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("prod-shape")


@pytest.fixture(scope="module")
def deployment(workspace, demo_landing):
    """`python -m deploy.prod_shape start` (what `make prod-shape` runs), stopped at the end."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    require_service("Redis", "127.0.0.1", 6379)
    state_dir = workspace / "state-dir"
    environment = {
        **without_alerts_and_warehouse(os.environ),
        "CITYSTATS_LANDING": str(demo_landing),
        "CITYSTATS_PUBLISH": str(workspace / "published"),
        "CITYSTATS_STATE": str(workspace / "pipeline-state"),
    }
    try:
        started = time.monotonic()
        prod_shape_command(state_dir, "start", env=environment)
        deployment = ProdShape(state_dir, startup_seconds=time.monotonic() - started)
        try:
            # The quarterly DAG rolls the daily series up after each publication; it has its
            # own tests, and here it would only compete for the machine's two cores.
            deployment.airflow("dags", "pause", "city_quarterly_report")
            yield deployment
        finally:
            deployment.metadata.dispose()
    finally:
        started_pids = [int(p.read_text()) for p in state_dir.glob("*.pid")]
        prod_shape_command(state_dir, "stop")
        survivors = [pid for pid in started_pids if psutil.pid_exists(pid)]
        assert survivors == [], f"still running after stop: {survivors}"


class ReferenceRun:
    """The same week through `dag.test` (`python -m include.operator_cli backfill`, what
    `make backfill` runs) in a process of its own, into its own folders and database."""

    def __init__(self, workspace: Path, landing: Path, warehouse_url: str):
        self.publish = workspace / "reference-published"
        self.warehouse_url = warehouse_url
        self.log = workspace / "reference.log"
        environment = {
            **without_alerts_and_warehouse(os.environ),
            "CITYSTATS_LANDING": str(landing),
            "CITYSTATS_PUBLISH": str(self.publish),
            "CITYSTATS_STATE": str(workspace / "reference-state"),
            "CITYSTATS_WAREHOUSE_URL": warehouse_url,
        }
        with self.log.open("w") as output:
            self.process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "include.operator_cli", "backfill"),
                    *("--from-date", str(WEEK[0]), "--to-date", str(WEEK[-1])),
                ],
                env=environment,
                cwd=REPO,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    def outputs(self) -> dict:
        assert self.process.wait(timeout=BACKFILL_TIMEOUT_SECONDS) == 0, self.log.read_text()
        return {
            "files": {day: period_files(self.publish, day) for day in WEEK},
            "rows": county_daily_rows(self.warehouse_url),
            "log_rows": log_rows(self.warehouse_url),
        }


@pytest.fixture(scope="module")
def reference_run(workspace, demo_landing, reference_warehouse, airflow_db):
    run = ReferenceRun(workspace, demo_landing, reference_warehouse)
    try:
        yield run
    finally:
        run.process.kill()
        run.process.wait()


@pytest.fixture(scope="module")
def week_backfill(deployment, workspace):
    """`airflow backfill create` over the week with every date at once, and a republish of a
    mid-week date triggered as soon as the backfill's first check runs; what they published."""
    started = time.monotonic()
    backfill_id = deployment.backfill(
        "--max-active-runs", str(len(WEEK)), "--reprocess-behavior", "failed"
    )
    deadline = time.monotonic() + 120
    while not deployment.task_spans(backfill_id, "check_counties"):
        assert time.monotonic() < deadline, "the backfill never started checking"
        time.sleep(0.5)
    republish = deployment.trigger_republish(WEEK[3])
    states = deployment.wait_for(backfill_id)
    republished = deployment.wait_for_run(republish)
    seconds = time.monotonic() - started
    deployment.wait_until_marked_complete(backfill_id)
    return {
        "states": states,
        "republished": republished,
        "checks": deployment.task_spans(backfill_id, "check_counties"),
        "publishes": deployment.task_spans(backfill_id, "publish_daily_report"),
        "log_rows": log_rows(deployment.warehouse_url),
        "seconds": seconds,
        "files": {day: period_files(workspace / "published", day) for day in WEEK},
        "folders": {day: published_folder(workspace, day).resolve() for day in WEEK},
        "rows": county_daily_rows(deployment.warehouse_url),
    }


@pytest.fixture(scope="module")
def reprocessed_with_worker_killed(deployment, week_backfill, reference_run):
    """The week again with `--reprocess-behavior completed`, all dates at once (every earlier
    date is published already), the worker killed mid-run and replaced by a new one.
    The reference run starts just before (fixture order): it uses the two minutes in which
    the scheduler waits for the killed tasks' heartbeats and retry delay."""
    started = time.monotonic()
    backfill_id = deployment.backfill("--reprocess-behavior", "completed")
    killed = []
    deadline = time.monotonic() + 120
    for _attempt in range(3):  # a task may finish between being seen and the kill
        while not (running := deployment.running_tasks(backfill_id)) or deployment.queued():
            assert time.monotonic() < deadline, "no moment with tasks running and none queued"
            time.sleep(0.2)
        deployment.kill_worker()
        time.sleep(1)
        killed = [t for t in running if deployment.task_state(*t[:3])[0] == "running"]
        deployment.start_worker()
        if killed:
            break
    states = deployment.wait_for(backfill_id)
    return {"states": states, "killed": killed, "seconds": time.monotonic() - started}


def published_folder(workspace: Path, day: date) -> Path:
    return workspace / "published" / "daily" / day.isoformat()


def log_rows(url: str) -> dict[str, int]:
    """How many submissions-log and findings rows the week has."""
    periods = [day.isoformat() for day in WEEK]
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table.name: connection.execute(
                    select(func.count())
                    .select_from(table)
                    .where(table.c.kind == "daily", table.c.period.in_(periods))
                ).scalar_one()
                for table in (submissions_log, validation_findings)
            }
    finally:
        engine.dispose()


def county_daily_rows(url: str) -> list[dict]:
    """The week's rows, every column but timestamps."""
    columns = [c for c in county_daily.columns if not isinstance(c.type, DateTime)]
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [
                dict(row)
                for row in connection.execute(
                    select(*columns)
                    .where(county_daily.c.report_date.in_(WEEK))
                    .order_by(county_daily.c.report_date, county_daily.c.county_code)
                ).mappings()
            ]
    finally:
        engine.dispose()


# The tests run in this order so that the reference run overlaps the reprocess (see above).


def test_tasks_of_the_killed_worker_were_retried_by_a_new_one(
    deployment, reprocessed_with_worker_killed, capsys
):
    reprocessed = reprocessed_with_worker_killed
    with capsys.disabled():
        print(
            f"\nprod-shape: services up in {deployment.startup_seconds:.0f} s; week "
            f"reprocessed with the worker killed and replaced in {reprocessed['seconds']:.0f} s"
        )
    assert reprocessed["killed"], "no task was still running when the worker was killed"
    for run_id, task_id, map_index, try_at_kill in reprocessed["killed"]:
        state, try_number = deployment.task_state(run_id, task_id, map_index)
        assert (state, try_number) == ("success", try_at_kill + 1), (run_id, task_id)
    # start-service kept the killed worker's log under its pid
    assert list((deployment.state_dir / "logs").glob("airflow-worker.*.log"))


def test_reprocessing_completed_dates_moves_no_revision(
    deployment, workspace, week_backfill, reprocessed_with_worker_killed
):
    reprocessed = reprocessed_with_worker_killed
    assert sorted(reprocessed["states"]) == sorted(week_backfill["states"])  # run again
    assert set(reprocessed["states"].values()) == {"success"}
    rows = county_daily_rows(deployment.warehouse_url)
    assert rows == week_backfill["rows"]
    assert {row["revision"] for row in rows} == {1}  # every row as first published
    for day in WEEK:
        assert period_files(workspace / "published", day) == week_backfill["files"][day]
        # Unchanged content is not published again: the folder is the version it was.
        assert published_folder(workspace, day).resolve() == week_backfill["folders"][day]


def test_scheduler_backfill_publishes_what_the_nightly_runs_publish(
    week_backfill, reference_run, capsys
):
    with capsys.disabled():
        print(
            f"\nprod-shape: week backfill through the scheduler in {week_backfill['seconds']:.0f} s"
        )
    assert set(week_backfill["states"].values()) == {"success"}
    assert week_backfill["republished"] == "success"
    reference = reference_run.outputs()
    for day in WEEK:
        assert week_backfill["files"][day] == reference["files"][day], day
    assert len(week_backfill["rows"]) == len(WEEK) * 11  # ten counties and the city, every day
    assert week_backfill["rows"] == reference["rows"]
    # one submissions-log row per county and date, and each finding once
    assert week_backfill["log_rows"] == reference["log_rows"]
    assert week_backfill["log_rows"]["submissions_log"] == len(WEEK) * 10


def test_backfill_dates_ran_side_by_side_and_published_in_date_order(week_backfill):
    checks, publishes = week_backfill["checks"], week_backfill["publishes"]
    assert sorted(publishes) == WEEK
    for before, after in itertools.pairwise(WEEK):
        assert publishes[after][0] >= publishes[before][1], (before, after)
    # some later date was checked before an earlier date had published
    assert any(
        checks[after][0] < publishes[before][1] for before, after in itertools.pairwise(WEEK)
    )
