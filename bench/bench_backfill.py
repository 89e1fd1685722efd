"""`make bench-backfill`: a 30-date backfill of a synthetic city-scale city (bench.synthetic, 10
counties × ~50 enterprises) through the production shape: `make prod-shape`'s scheduler,
dag-processor and Celery worker on fresh PostgreSQL databases and the local Redis, started
and stopped here with `python -m deploy.prod_shape` in a temporary state folder of its own.

    python -m bench.bench_backfill [--dates 30] [--max-active-runs 8] [--keep]

The backfill is created as an operator creates one (`airflow backfill create`, the nightly
logical dates of the first and last date) and waited for through the metadata database, as
tests/e2e/test_prod_shape.py does; the quarterly DAG is paused, as there, so that only the
daily dates compete for the machine. Printed: seconds per date over the whole backfill (from
`backfill create` until the last run finished), the runs' own durations, and the services'
start-up time (not part of the per-date figure).

--max-active-runs (BENCH_BACKFILL_MAX_ACTIVE_RUNS) is passed to `backfill create`; the default
8 runs eight dates side by side (the worker's eight slots), which still publish in date order
(`depends_on_past` on `publish_daily_report`); 1 is one date at a time. Needs PostgreSQL on
127.0.0.1:5432 and Redis on 127.0.0.1:6379 (CITYSTATS_PROD_SHAPE_POSTGRES / _REDIS to change).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DAG_ID = "city_daily_report"
DEFAULT_MAX_ACTIVE_RUNS = 8
DEFAULT_DATES = 30
TIMEOUT_SECONDS = 3600
POLL_SECONDS = 2
ORDERED_TASK = "publish_daily_report"  # depends_on_past: the dates' one serial chain


def _prod_shape(state_dir: Path, *args: str, env: dict[str, str]) -> str:
    finished = subprocess.run(
        [sys.executable, "-m", "deploy.prod_shape", "--state-dir", str(state_dir), *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if finished.returncode != 0:
        raise SystemExit(f"prod_shape {' '.join(args)} failed:\n{finished.stdout}{finished.stderr}")
    return finished.stdout


class Deployment:
    """The started deployment, through its state folder and its metadata database."""

    def __init__(self, state_dir: Path):
        from sqlalchemy import create_engine

        self.state_dir = state_dir
        settings = json.loads((state_dir / "deployment.json").read_text())
        self.environment = json.loads((state_dir / "environment.json").read_text())
        self.metadata = create_engine(f"{settings['postgres']}/{settings['metadata_db']}")

    def airflow(self, *args: str) -> str:
        finished = subprocess.run(
            [str(Path(sys.executable).with_name("airflow")), *args],
            env=self.environment,
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        if finished.returncode != 0:
            raise SystemExit(
                f"airflow {' '.join(args)} failed:\n{finished.stdout}{finished.stderr}"
            )
        return finished.stdout

    def rows(self, query: str, **parameters) -> list[tuple]:
        from sqlalchemy import text

        with self.metadata.connect() as connection:
            return [tuple(r) for r in connection.execute(text(query), parameters)]

    def runs(self, backfill_id: int) -> list[tuple]:
        """(run id, state, start, end) of the backfill's runs."""
        return self.rows(
            "SELECT dr.run_id, dr.state, dr.start_date, dr.end_date FROM backfill_dag_run b "
            "JOIN dag_run dr ON dr.id = b.dag_run_id WHERE b.backfill_id = :id",
            id=backfill_id,
        )

    def task_spans(self, backfill_id: int) -> list[tuple]:
        """(run id, task id, scheduled, queued, start, end) of every task instance that ran."""
        return self.rows(
            "SELECT dr.run_id, ti.task_id, ti.scheduled_dttm, ti.queued_dttm, ti.start_date, "
            "ti.end_date FROM backfill_dag_run b JOIN dag_run dr ON dr.id = b.dag_run_id "
            "JOIN task_instance ti ON ti.dag_id = dr.dag_id AND ti.run_id = dr.run_id "
            "WHERE b.backfill_id = :id AND ti.duration IS NOT NULL",
            id=backfill_id,
        )

    def log_tail(self, service: str, lines: int = 30) -> str:
        log = self.state_dir / "logs" / f"{service}.log"
        if not log.exists():
            return "(no log)"
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def _logical_bound(city_toml: Path, day) -> str:
    """The nightly logical date of `day` in UTC (include.operator_cli.nightly_logical_date):
    a backfill between two of these makes exactly one run per date."""
    from include.config import load_city_config

    city = load_city_config(city_toml)
    return (
        datetime.combine(day, city.schedule.nightly_run, tzinfo=city.tz).astimezone(UTC).isoformat()
    )


def run_backfill(workdir: Path, dates: int, max_active_runs: int, timeout: float) -> dict:
    from bench.synthetic import SCALES, generate

    city = generate(SCALES["city"], workdir / "city", dates=dates)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CITYSTATS_")}
    environment.update(
        CITYSTATS_CITY_CONFIG=str(city.city_toml),
        CITYSTATS_LANDING=str(city.landing),
        CITYSTATS_PUBLISH=str(workdir / "published"),
        CITYSTATS_STATE=str(workdir / "pipeline-state"),
    )
    for name in ("CITYSTATS_PROD_SHAPE_POSTGRES", "CITYSTATS_PROD_SHAPE_REDIS"):
        if name in os.environ:
            environment[name] = os.environ[name]
    state_dir = workdir / "prod-shape"
    print(
        f"bench-backfill: {dates} dates of a {len(city.county_codes)}-county city "
        f"({city.enterprises} enterprises); starting the prod-shape services",
        file=sys.stderr,
        flush=True,
    )
    started = time.monotonic()
    _prod_shape(state_dir, "start", env=environment)
    startup = time.monotonic() - started
    try:
        deployment = Deployment(state_dir)
        try:
            deployment.airflow("dags", "pause", "city_quarterly_report")
            created = time.monotonic()
            deployment.airflow(
                "backfill",
                "create",
                "--dag-id",
                DAG_ID,
                "--from-date",
                _logical_bound(city.city_toml, city.report_dates[0]),
                "--to-date",
                _logical_bound(city.city_toml, city.report_dates[-1]),
                "--max-active-runs",
                str(max_active_runs),
                # Airflow asks for one on a DAG with depends_on_past: the dates are new
                "--reprocess-behavior",
                "failed",
            )
            (backfill_id,) = deployment.rows("SELECT max(id) FROM backfill")[0]
            print(
                f"bench-backfill: services up in {startup:.0f} s; backfill {backfill_id} created",
                file=sys.stderr,
                flush=True,
            )
            runs = _wait(deployment, backfill_id, dates, created + timeout)
            seconds = time.monotonic() - created
            task_spans = deployment.task_spans(backfill_id)
            # catchup=False still makes the latest nightly run when the DAG first appears;
            # it runs beside the backfill, as it would in a real deployment.
            others = deployment.rows(
                "SELECT run_id FROM dag_run WHERE dag_id = :dag AND backfill_id IS NULL",
                dag=DAG_ID,
            )
        finally:
            deployment.metadata.dispose()
    finally:
        _prod_shape(state_dir, "stop", env=environment)
    failed = sorted(run_id for run_id, state, *_ in runs if state != "success")
    daily = workdir / "published" / "daily"
    published = [day for day in city.report_dates if (daily / day.isoformat()).is_dir()]
    return {
        "dates": dates,
        "counties": len(city.county_codes),
        "enterprises": city.enterprises,
        "max_active_runs": max_active_runs,
        "startup": startup,
        "seconds": seconds,
        "durations": [(end - start).total_seconds() for _, _, start, end in runs],
        "run_phases": [
            run_phases(start, end, [span[2:] for span in task_spans if span[0] == run_id])
            for run_id, _, start, end in runs
        ],
        "span": (max(r[3] for r in runs) - min(r[2] for r in runs)).total_seconds(),
        "failed": failed,
        "published": len(published),
        "other_runs": sorted(run_id for (run_id,) in others),
        "task_times": [
            (task_id, (end - start).total_seconds(), queued and (start - queued).total_seconds())
            for _, task_id, _, queued, start, end in task_spans
        ],
        "publish_gaps": publish_gaps([span[4:] for span in task_spans if span[1] == ORDERED_TASK]),
    }


def _wait(deployment: Deployment, backfill_id: int, dates: int, deadline: float) -> list[tuple]:
    reported = 0
    while True:
        runs = deployment.runs(backfill_id)
        finished = [r for r in runs if r[1] in ("success", "failed")]
        if len(finished) > reported:
            reported = len(finished)
            print(f"bench-backfill: {reported}/{dates} dates finished", file=sys.stderr, flush=True)
        if len(runs) == dates and len(finished) == dates:
            return runs
        if time.monotonic() > deadline:
            raise SystemExit(
                f"backfill {backfill_id} unfinished after the timeout: "
                f"{sorted((r[0], r[1]) for r in runs)}\n{deployment.log_tail('airflow-scheduler')}"
            )
        time.sleep(POLL_SECONDS)


def report(result: dict) -> str:
    durations = sorted(result["durations"])
    lines = [
        f"citystats bench-backfill: {result['dates']} dates, city scale "
        f"({result['counties']} counties, {result['enterprises']} enterprises), prod-shape "
        f"scheduler + Celery worker, {os.cpu_count()} cores, "
        f"--max-active-runs {result['max_active_runs']}",
        f"seconds per date   {result['seconds'] / result['dates']:.1f}   "
        f"(backfill create → last run finished: {result['seconds']:.0f} s for "
        f"{result['dates']} dates; first run start → last run end {result['span']:.0f} s)",
        f"run durations s    min {durations[0]:.1f}   median {statistics.median(durations):.1f}"
        f"   max {durations[-1]:.1f}",
        _phase_line(result["run_phases"]),
        f"publish in order   median {statistics.median(result['publish_gaps']):.1f} s from one "
        f"date's {ORDERED_TASK} ending to the next one's starting",
        f"services start-up  {result['startup']:.0f} s (not in the per-date figure)",
        *_task_lines(result["task_times"]),
        f"published dates    {result['published']} of {result['dates']}"
        + (f"; failed runs: {', '.join(result['failed'])}" if result["failed"] else ""),
    ]
    if result["other_runs"]:
        lines.append(
            f"beside the backfill {len(result['other_runs'])} scheduled run(s) of the DAG: "
            + ", ".join(result["other_runs"])
        )
    return "\n".join(lines)


RUN_PHASES = ("running", "queued", "scheduled", "between tasks")


def run_phases(run_start, run_end, spans: list[tuple]) -> dict[str, float]:
    """A run's seconds by what its tasks were doing: some task running; else some queued
    (sent to the worker, not started); else some scheduled (waiting for the scheduler to
    queue it); else none of these, the scheduler not yet having seen that a task finished."""
    intervals = [
        (phase, begin, finish)
        for scheduled, queued, start, end in spans
        for phase, begin, finish in (
            ("running", start, end),
            ("queued", queued, start),
            ("scheduled", scheduled, queued),
        )
        if begin is not None and finish is not None and begin < finish
    ]
    bounds = sorted({run_start, run_end, *(t for _, b, f in intervals for t in (b, f))})
    seconds = dict.fromkeys(RUN_PHASES, 0.0)
    for begin, finish in itertools.pairwise(bounds):
        if begin < run_start or finish > run_end:
            continue
        active = {phase for phase, b, f in intervals if b <= begin and finish <= f}
        phase = next((p for p in RUN_PHASES if p in active), RUN_PHASES[-1])
        seconds[phase] += (finish - begin).total_seconds()
    return seconds


def publish_gaps(spans: list[tuple]) -> list[float]:
    """Seconds from each publish's end to the start of the next one (in start order): with
    dates side by side, what the scheduler adds to each link of the date-ordered chain."""
    ordered = sorted(spans)
    return [
        (start - previous_end).total_seconds()
        for (_, previous_end), (start, _) in itertools.pairwise(ordered)
    ]


def _phase_line(run_phases: list[dict[str, float]]) -> str:
    medians = "   ".join(
        f"{phase} {statistics.median(p[phase] for p in run_phases):.1f}" for phase in RUN_PHASES
    )
    return f"a run's time s     median {medians}"


def _task_lines(task_times: list[tuple]) -> list[str]:
    """Per task: median seconds running and queued, and its share of all task seconds: where
    a date's time goes once it is through the scheduler."""
    by_task: dict[str, list[tuple[float, float]]] = {}
    for task_id, running, queued in task_times:
        by_task.setdefault(task_id, []).append((float(running), float(queued or 0)))
    total = sum(running for times in by_task.values() for running, _ in times) or 1.0
    lines = ["task               median run s  median queued s  share of task time"]
    for task_id, times in sorted(by_task.items(), key=lambda item: -sum(r for r, _ in item[1])):
        running = statistics.median(r for r, _ in times)
        queued = statistics.median(q for _, q in times)
        share = sum(r for r, _ in times) / total
        lines.append(f"{task_id:<22} {running:>9.2f} {queued:>16.2f} {share:>15.0%}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_backfill", description=__doc__)
    parser.add_argument("--dates", type=int, default=DEFAULT_DATES)
    parser.add_argument(
        "--max-active-runs",
        type=int,
        default=int(os.environ.get("BENCH_BACKFILL_MAX_ACTIVE_RUNS") or DEFAULT_MAX_ACTIVE_RUNS),
    )
    parser.add_argument("--timeout", type=float, default=TIMEOUT_SECONDS)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="citystats-bench-backfill-"))
    try:
        result = run_backfill(workdir, args.dates, args.max_active_runs, args.timeout)
    finally:
        if args.keep:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(report(result))
    return 1 if result["failed"] or result["published"] < result["dates"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
