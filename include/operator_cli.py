"""Operator entry points behind `make backfill` and `make quarterly` (the real DAGs, run
through Airflow in this process with `dag.test`, one run per date or quarter) and behind
`make approve` and `make unlock` (the step of the `citystats_approval` DAG).

A deployment with a scheduler uses `airflow backfill create` instead (see README).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

from include.config import Settings, load_city_config
from transforms.periods import dates_between, parse_quarter

DAGS_FOLDER = Path(__file__).resolve().parent.parent / "dags"


def _load_dag(dag_id: str):
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    # Task logs of every run would bury the one line per date an operator reads.
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    if bag.import_errors:
        raise SystemExit(f"DAG files do not import: {bag.import_errors}")
    return bag.get_dag(dag_id)


def nightly_logical_date(day: date) -> datetime:
    """The logical date the nightly schedule gives `day`, so a backfill run equals the nightly."""
    city = load_city_config()
    return datetime.combine(day, city.schedule.nightly_run, tzinfo=city.tz)


def run_daily(first: date, last: date) -> int:
    dag = _load_dag("city_daily_report")
    failed = []
    for day in dates_between(first, last):
        started = time.perf_counter()
        run = dag.test(logical_date=nightly_logical_date(day))
        state = str(getattr(run, "state", "unknown"))
        print(f"city_daily_report {day}: {state} in {time.perf_counter() - started:.1f} s")
        if not state.endswith("success"):
            failed.append(day)
    settings = Settings.from_env()
    print(f"Published under {Path(settings.publish, 'daily').absolute()}")
    if failed:
        print(f"Failed dates: {', '.join(map(str, failed))}", file=sys.stderr)
    return 1 if failed else 0


def run_quarterly(quarter: str) -> int:
    parse_quarter(quarter)
    dag = _load_dag("city_quarterly_report")
    run = dag.test(run_conf={"quarter": quarter})
    state = str(getattr(run, "state", "unknown"))
    print(f"city_quarterly_report {quarter}: {state}")
    print(f"Published under {Path(Settings.from_env().publish, 'quarterly', quarter).absolute()}")
    return 0 if state.endswith("success") else 1


def record_approval(action: str, period: str, actor: str) -> int:
    from include.approval import ApprovalRefused
    from include.approval_pipeline import approve_or_unlock
    from include.context import RunContext

    try:
        event = approve_or_unlock(RunContext.from_env(), period, action, actor, datetime.now(UTC))
    except (ApprovalRefused, ValueError) as refused:
        print(f"{action} {period}: {refused}", file=sys.stderr)
        return 2
    print(f"{event.kind} {event.period}: {event.label()}")
    if action == "unlock":
        rerun = (
            f"make quarterly QUARTER={period}"
            if event.kind == "quarterly"
            else f"make backfill FROM={period} TO={period}"
        )
        print(f"The next run of the period publishes its held corrections (now: {rerun}).")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m include.operator_cli", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    backfill = commands.add_parser("backfill", help="run city_daily_report for each date")
    backfill.add_argument("--from-date", type=date.fromisoformat, required=True)
    backfill.add_argument("--to-date", type=date.fromisoformat, required=True)
    quarterly = commands.add_parser("quarterly", help="run city_quarterly_report for a quarter")
    quarterly.add_argument("--quarter", required=True)
    for action in ("approve", "unlock"):
        command = commands.add_parser(action, help=f"{action} a published date or quarter")
        command.add_argument("--period", required=True, help="2020-03-17 or 2020Q2")
        command.add_argument("--by", required=True, help="who (recorded in period_approvals)")
    args = parser.parse_args(argv)
    if args.command in ("approve", "unlock"):
        return record_approval(args.command, args.period, args.by)
    if args.command == "backfill":
        if args.to_date < args.from_date:
            parser.error("--to-date is before --from-date")
        return run_daily(args.from_date, args.to_date)
    return run_quarterly(args.quarter)


if __name__ == "__main__":
    raise SystemExit(main())
