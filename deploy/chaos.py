"""`make chaos`: faults thrown at a running `make prod-shape` deployment while it backfills, and
what it published compared with an undisturbed run of the same dates.

    python -m deploy.chaos [--state-dir .prod-shape] [--from-date 2020-03-04 --to-date 2020-03-07]
                           [--restart-command 'sudo systemctl restart postgresql']
                           [--reference <an undisturbed publish folder>]

1. `airflow backfill create` over the dates, all at once, `--reprocess-behavior completed`.
2. While a stage, merge or publish task runs: the warehouse database "restarts". By default
   every backend of the warehouse database is ended with `pg_terminate_backend`, which is
   what a restart does to its clients and needs no rights over the server; an operator who
   may restart the server passes the command as `--restart-command`.
3. While tasks run: the Celery worker and its task processes are SIGKILLed (a lost machine),
   and a new worker is started (`python -m deploy.prod_shape start-service airflow-worker`).
4. When every run has finished: each date's published folder (timestamps masked, as
   tests/e2e/test_prod_shape.py does), its `county_daily` rows and its `submissions_log` rows
   are compared with an undisturbed run: `--reference`, or one made here by `dag.test`
   (`python -m include.operator_cli backfill`, what `make backfill` runs) into a temporary
   folder and a temporary database on the deployment's server, dropped afterwards.

Exits 0 when every date ended complete and identical to the undisturbed run.
The deployment's landing zone must hold the dates' files (`python -m include.demo --landing`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date
from pathlib import Path
from uuid import uuid4

import psutil
from sqlalchemy import DateTime, create_engine, func, select, text

from deploy.prod_shape import DEFAULT_STATE_DIR, REPO, Deployment
from include.tables import county_daily, submissions_log
from transforms.periods import dates_between

AIRFLOW = Path(sys.executable).with_name("airflow")
DAG_ID = "city_daily_report"
# Tasks that hold a warehouse transaction: ending the backends then cuts one off mid-way.
WAREHOUSE_WRITERS = ("merge_county_daily", "publish_daily_report")
# Arrival and publication times differ between runs; tests/e2e/test_prod_shape.py uses it too.
TIMESTAMP = re.compile(rb"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")
FINISHED = ("success", "failed")


def log(message: str) -> None:
    print(f"[chaos {time.strftime('%H:%M:%S')}] {message}", flush=True)


class Target:
    """The running deployment, through its state folder."""

    def __init__(self, state_dir: Path):
        self.deployment = Deployment.load(state_dir)
        self.environment = json.loads((state_dir / "environment.json").read_text())
        self.metadata = create_engine(self.deployment.metadata_url, pool_pre_ping=True)

    def airflow(self, *args: str) -> str:
        done = subprocess.run(
            [str(AIRFLOW), *args],
            env=self.environment,
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"airflow {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def rows(self, query: str, **parameters) -> list[tuple]:
        with self.metadata.connect() as connection:
            return [tuple(r) for r in connection.execute(text(query), parameters)]

    def backfill(self, first: date, last: date) -> int:
        from include.operator_cli import nightly_logical_date

        bounds = [nightly_logical_date(d).astimezone(UTC).isoformat() for d in (first, last)]
        self.airflow(
            *("backfill", "create", "--dag-id", DAG_ID),
            *("--from-date", bounds[0], "--to-date", bounds[1]),
            *("--max-active-runs", str(len(dates_between(first, last)))),
            *("--reprocess-behavior", "completed"),
        )
        return self.rows("SELECT max(id) FROM backfill")[0][0]

    def tasks(self, backfill_id: int) -> list[tuple]:
        """(run id, task id, map index, state, try number) of the backfill's task instances."""
        return self.rows(
            "SELECT ti.run_id, ti.task_id, ti.map_index, ti.state, ti.try_number "
            "FROM task_instance ti JOIN dag_run dr ON dr.dag_id = ti.dag_id "
            "AND dr.run_id = ti.run_id WHERE dr.backfill_id = :id",
            id=backfill_id,
        )

    def running(self, backfill_id: int, task_ids=None) -> list[tuple]:
        return [
            t
            for t in self.tasks(backfill_id)
            if t[3] == "running" and (task_ids is None or t[1] in task_ids)
        ]

    def run_states(self, backfill_id: int) -> dict[str, str]:
        return dict(
            self.rows(
                "SELECT dr.run_id, dr.state FROM backfill_dag_run b "
                "JOIN dag_run dr ON dr.id = b.dag_run_id WHERE b.backfill_id = :id",
                id=backfill_id,
            )
        )

    def warehouse_backends(self) -> int:
        rows = self.rows(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = :db",
            db=self.deployment.warehouse_db,
        )
        return rows[0][0]

    def end_warehouse_backends(self, restart_command: str | None) -> str:
        if restart_command:
            subprocess.run(restart_command, shell=True, check=True)
            return f"ran {restart_command!r}"
        admin = create_engine(f"{self.deployment.postgres}/postgres", isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                # The pids first, each ended on its own: in one statement the server may call
                # pg_terminate_backend on rows before it filters them by database.
                backends = connection.execute(
                    text(
                        "SELECT pid, left(query, 60) FROM pg_stat_activity "
                        "WHERE datname = :db AND pid <> pg_backend_pid()"
                    ),
                    {"db": self.deployment.warehouse_db},
                ).all()
                ended = [
                    (pid, query)
                    for pid, query in backends
                    if connection.execute(
                        text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}
                    ).scalar_one()
                ]
        finally:
            admin.dispose()
        queries = "; ".join(f"{pid}: {query!r}" for pid, query in ended)
        return f"ended {len(ended)} warehouse backend(s) ({queries or 'none open'})"

    def kill_worker(self) -> list[int]:
        pid_file = self.deployment.pid_file("airflow-worker")
        worker = psutil.Process(int(pid_file.read_text()))
        tree = [worker, *worker.children(recursive=True)]
        for process in tree:
            process.kill()
        psutil.wait_procs(tree, timeout=10)
        return [p.pid for p in tree]

    def start_worker(self, state_dir: Path) -> None:
        subprocess.run(
            [
                *(sys.executable, "-m", "deploy.prod_shape", "--state-dir", str(state_dir)),
                *("start-service", "airflow-worker"),
            ],
            cwd=REPO,
            check=True,
            capture_output=True,
        )


def wait_until(what: str, condition, timeout: float, interval: float = 0.3):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(interval)
    raise SystemExit(f"gave up after {timeout:.0f} s waiting for {what}")


class ReferenceRun:
    """The dates through `dag.test`, undisturbed, into a folder and a database of its own."""

    def __init__(self, target: Target, first: date, last: date, workspace: Path):
        self.server = target.deployment.postgres
        self.database = f"citystats_chaos_reference_{uuid4().hex[:10]}"
        self.publish = workspace / "reference-published"
        self.log = workspace / "reference.log"
        self._admin(f'CREATE DATABASE "{self.database}"')
        from include.warehouse import migrate

        migrate(self.url)
        home = workspace / "airflow-home"
        environment = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "CITYSTATS"))},
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "GX_ANALYTICS_ENABLED": "False",
            "CITYSTATS_LANDING": target.deployment.landing,
            "CITYSTATS_PUBLISH": str(self.publish),
            "CITYSTATS_STATE": str(workspace / "reference-state"),
            "CITYSTATS_WAREHOUSE_URL": self.url,
            **{k: v for k, v in target.environment.items() if k == "CITYSTATS_CITY_CONFIG"},
        }
        command = (
            f"{AIRFLOW} db migrate > /dev/null && exec {sys.executable} -m include.operator_cli "
            f"backfill --from-date {first} --to-date {last}"
        )
        with self.log.open("w") as output:
            self.process = subprocess.Popen(
                ["/bin/sh", "-c", command],
                env=environment,
                cwd=REPO,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    @property
    def url(self) -> str:
        return f"{self.server}/{self.database}"

    def _admin(self, statement: str) -> None:
        admin = create_engine(f"{self.server}/postgres", isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text(statement))
        finally:
            admin.dispose()

    def wait(self, timeout: float) -> None:
        if self.process.wait(timeout=timeout) != 0:
            raise SystemExit(f"the undisturbed run failed:\n{self.log.read_text()}")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')


def period_files(publish: Path, day: date) -> dict[str, bytes]:
    """The published files of a date, arrival and publication timestamps masked (empty when
    the date has no folder)."""
    folder = publish / "daily" / day.isoformat()
    if not folder.is_dir():
        return {}
    return {
        str(path.relative_to(folder)): TIMESTAMP.sub(b"<timestamp>", path.read_bytes())
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def warehouse_rows(url: str, day: date) -> tuple[list[dict], int]:
    """(the date's county_daily rows but timestamps, its number of submissions_log rows)."""
    columns = [c for c in county_daily.columns if not isinstance(c.type, DateTime)]
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = [
                dict(r)
                for r in connection.execute(
                    select(*columns)
                    .where(county_daily.c.report_date == day)
                    .order_by(county_daily.c.county_code)
                ).mappings()
            ]
            logged = connection.execute(
                select(func.count())
                .select_from(submissions_log)
                .where(submissions_log.c.kind == "daily", submissions_log.c.period == str(day))
            ).scalar_one()
    finally:
        engine.dispose()
    return rows, logged


def compare(target: Target, reference_publish: Path, reference_url: str | None, days) -> bool:
    """Print one line per date, the disturbed run beside the undisturbed one; True if all equal."""
    publish = Path(target.deployment.publish)
    sides = "files, county_daily rows, submissions_log rows, revisions"
    print(f"{'date':<11} | {'with faults':<18} | {'undisturbed':<18} | same  ({sides})")
    same_everywhere = True
    for day in days:
        chaos_files, reference_files = (
            period_files(publish, day),
            period_files(reference_publish, day),
        )
        chaos_rows, chaos_log = warehouse_rows(target.deployment.warehouse_url, day)
        if reference_url:
            reference_rows, reference_log = warehouse_rows(reference_url, day)
        else:  # a reference folder alone: its rows are what its county_daily.csv says
            reference_rows, reference_log = chaos_rows, chaos_log
        differing = sorted(
            name
            for name in chaos_files.keys() | reference_files.keys()
            if chaos_files.get(name) != reference_files.get(name)
        )
        same = bool(chaos_files) and not differing and chaos_rows == reference_rows
        same = same and chaos_log == reference_log
        same_everywhere &= same

        chaos = _side(chaos_files, chaos_rows, chaos_log)
        undisturbed = _side(reference_files, reference_rows, reference_log)
        print(f"{day!s:<11} | {chaos:<18} | {undisturbed:<18} | {'yes' if same else 'NO'}")
        for name in differing[:10]:
            print(f"            differs: {name}")
    return same_everywhere


def _side(files: dict, rows: list[dict], logged: int) -> str:
    revisions = ",".join(str(r) for r in sorted({row["revision"] for row in rows})) or "-"
    return f"{len(files):>3} {len(rows):>4} {logged:>4}  r{revisions}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.chaos", description=__doc__)
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR)
    parser.add_argument("--from-date", type=date.fromisoformat, default=date(2020, 3, 4))
    parser.add_argument("--to-date", type=date.fromisoformat, default=date(2020, 3, 7))
    parser.add_argument(
        "--restart-command",
        help="shell command restarting the warehouse's PostgreSQL server (default: end every "
        "backend of the warehouse database with pg_terminate_backend)",
    )
    parser.add_argument(
        "--reference", type=Path, help="publish folder of an undisturbed run of the same dates"
    )
    parser.add_argument("--timeout", type=float, default=1200, help="seconds for the backfill")
    args = parser.parse_args(argv)
    state_dir = args.state_dir.resolve()
    days = dates_between(args.from_date, args.to_date)
    target = Target(state_dir)
    workspace = Path(tempfile.mkdtemp(prefix="citystats-chaos-"))
    reference = None
    try:
        if args.reference is None:
            reference = ReferenceRun(target, args.from_date, args.to_date, workspace)
            log(f"undisturbed run started (dag.test, database {reference.database})")
        started = time.monotonic()
        backfill_id = target.backfill(args.from_date, args.to_date)
        log(f"backfill {backfill_id} created: {days[0]} .. {days[-1]}, all dates at once")

        cut = wait_until(
            "a warehouse-writing task with a connection open",
            lambda: target.warehouse_backends() and target.running(backfill_id, WAREHOUSE_WRITERS),
            args.timeout,
            interval=0.05,
        )
        restarted = target.end_warehouse_backends(args.restart_command)
        log(f"while {[t[1] for t in cut]} ran: warehouse restart: {restarted}")

        busy = wait_until("a task to run", lambda: target.running(backfill_id), args.timeout)
        killed = target.kill_worker()
        log(f"worker killed (pids {killed}) while running {[f'{t[0]}/{t[1]}' for t in busy]}")
        target.start_worker(state_dir)
        log("a new worker started")

        states = wait_until(
            "every run to finish",
            lambda: (
                (s := target.run_states(backfill_id))
                and len(s) == len(days)
                and set(s.values()) <= set(FINISHED)
                and s
            ),
            args.timeout,
            interval=3,
        )
        seconds = time.monotonic() - started
        retried = [t for t in target.tasks(backfill_id) if t[4] > 1]
        log(f"backfill finished in {seconds:.0f} s: {sorted(states.values())}")
        for run_id, task_id, map_index, state, tries in retried:
            log(f"  retried: {run_id} {task_id}[{map_index}] -> {state} on try {tries}")
        if reference is not None:
            reference.wait(args.timeout)
            log("undisturbed run finished")
        reference_publish = args.reference or reference.publish
        print()
        same = compare(target, reference_publish, reference and reference.url, days)
        complete = set(states.values()) == {"success"}
        print()
        print(
            "RESULT: "
            + (
                "every date complete and identical to the undisturbed run"
                if same and complete
                else "DIFFERENCES (see above)"
            )
        )
        return 0 if same and complete else 1
    finally:
        if reference is not None:
            reference.close()
        target.metadata.dispose()
        shutil.rmtree(workspace, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
