"""The steps of `city_daily_report`, one function per task; pure work is in transforms/."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import pandas as pd
from sqlalchemy import func, select

from include import alerts, approval, submissions, warehouse
from include.config import CityConfig, Settings
from include.context import RunContext
from include.ingest import landing as storage
from include.publish import publication
from include.tables import (
    county_daily,
    daily_submission_rows,
    difficulty_kinds_daily,
    industry_daily,
    key_enterprise_daily,
)
from transforms.check.outcomes import CountyOutcome
from transforms.check.validation import daily_context_findings_on_each
from transforms.ingest import readers
from transforms.merge.daily import ACCEPTED, COUNTY_DAILY_COLUMNS, merge_county_daily
from transforms.merge.difficulties import difficulty_items, kind_items_per_county
from transforms.merge.industries import resumption_by_industry
from transforms.merge.ledger import key_enterprise_ledger
from transforms.merge.revisions import assign_revisions
from transforms.periods import data_date, local_deadline
from transforms.publish import report_html


def _daily_context_findings(frames, period, registry, previous_rows):
    return daily_context_findings_on_each(
        frames,
        folder_date=date.fromisoformat(period),
        registry=registry,
        previous_rows=previous_rows,
    )


def _previous_day_rows(
    settings: Settings, report_date: str, county_codes: Sequence[str]
) -> dict[str, pd.DataFrame]:
    """Each county's rows of the day before, read from the landing zone (not the warehouse),
    so that a backfill in any order checks against the same values as the nightly run. A
    county without one readable file that day has none. The files are read together."""
    previous = (date.fromisoformat(report_date) - timedelta(days=1)).isoformat()
    landed = storage.list_landed_files(settings.landing, DAILY.name, previous)
    files = {code: [f for f in landed if f.name.startswith(code)] for code in county_codes}
    single = {code: found[0] for code, found in files.items() if len(found) == 1}
    contents = [
        (f.name, storage.read_landed(f.uri, settings.max_file_bytes)) for f in single.values()
    ]
    results = readers.read_daily_submissions(contents, settings.submission_limits)
    return {
        code: result.frame
        for code, result in zip(single, results, strict=True)
        if not isinstance(result, readers.UnreadableFile)
    }


def _daily_deadline(city: CityConfig, period: str) -> datetime:
    return city.daily_deadline_of(date.fromisoformat(period))


log = logging.getLogger(__name__)

DAG_ID = "city_daily_report"

DAILY = submissions.SubmissionKind(
    name="daily",
    suite_file="daily_submission.json",
    rows_table=daily_submission_rows,
    period_column="report_date",
    read=readers.read_daily_submission,
    read_all=readers.read_daily_submissions,
    context_findings=_daily_context_findings,
    earlier_rows=_previous_day_rows,
    deadline=_daily_deadline,
    period_value=date.fromisoformat,
)


def report_date_of_run(
    run: RunContext, logical_date: datetime | None, params: dict | None = None
) -> str:
    """The data date: the `report_date` param when an operator or a republish sets it,
    else the run's logical date in the city's timezone."""
    override = (params or {}).get("report_date")
    if override:
        return date.fromisoformat(str(override)).isoformat()
    if logical_date is None:
        raise ValueError("a run without a logical date needs the report_date param")
    return data_date(logical_date, run.city.tz).isoformat()


def counties_landed_or_cutoff_passed(
    run: RunContext, report_date: str, now: datetime | None = None
) -> bool:
    """True once every county's file is in, or the city's cut-off for that date has passed."""
    city = run.city
    cutoff = local_deadline(date.fromisoformat(report_date), city.schedule.missing_cutoff, city.tz)
    if (now or datetime.now(UTC)) >= cutoff:
        return True
    # A refused entry counts as landed: the county did send, and is told why it is refused.
    names = storage.scan_landing(run.settings.landing, DAILY.name, report_date).names
    return all(any(name.startswith(code) for name in names) for code in city.county_codes)


def discover_daily_submissions(run: RunContext, report_date: str) -> list[list[dict]]:
    return submissions.discover(run, DAILY, report_date)


def landed_submissions(run: RunContext, report_date: str, now: datetime | None = None):
    """The sensor's poke: not done while counties may still send; then done, with the date's
    chunks of county files to check (`discover_daily_submissions`), as a PokeReturnValue."""
    # Imported here: `make check` imports this module, and the Task SDK costs it a second.
    from airflow.sdk import PokeReturnValue

    if not counties_landed_or_cutoff_passed(run, report_date, now):
        return PokeReturnValue(is_done=False)
    return PokeReturnValue(is_done=True, xcom_value=discover_daily_submissions(run, report_date))


def check_daily_counties(run: RunContext, counties: list[dict]) -> list[dict]:
    return [o.to_dict() for o in submissions.check_counties(run, DAILY, counties)]


def stage_daily_submissions(run: RunContext, report_date: str, checked: list[list[dict]]) -> None:
    """Stage what the check tasks decided: one list of county outcomes per chunk."""
    outcomes = [CountyOutcome.from_dict(o) for chunk in checked for o in chunk]
    held = submissions.stage(run, DAILY, report_date, outcomes)
    if held:
        alerts.alert_held_correction(run, DAILY.name, report_date, held)


def stage_and_merge_daily(run: RunContext, report_date: str, checked: list[list[dict]]) -> dict:
    """Stage, then merge: at a city's scale each is a fraction of a second, less than what a
    task of its own costs the scheduler and a worker."""
    stage_daily_submissions(run, report_date, checked)
    return merge_daily(run, report_date)


def merge_daily(run: RunContext, report_date: str) -> dict:
    """Recompute `county_daily` for the date, and the details the report shows beside it
    (difficulties by kind, resumption by industry), and replace their rows in one
    transaction; a `county_daily` row keeps its revision unless its values changed."""
    city, settings = run.city, run.settings
    day = date.fromisoformat(report_date)
    counties = [(c.code, c.name) for c in city.counties]
    registry = submissions.load_registry(settings)
    partition = {"report_date": day}
    with warehouse.locked(run.engine, submissions.rows_lock(DAILY.name, report_date)) as connection:
        if approval.approval_of(connection, DAILY.name, report_date):
            # Locked: the rows stay those approved (a held correction is not merged).
            published = warehouse.read_partition(connection, county_daily, partition)
            return _merged(report_date, published, city)
        staged = submissions.statuses(connection, DAILY, report_date)
        reported = warehouse.read_partition(connection, daily_submission_rows, partition)
        merged = merge_county_daily(
            day, counties, (city.code, city.name), registry, staged, reported
        )
        published = warehouse.read_partition(connection, county_daily, partition)
        revised = assign_revisions(merged, published, ["report_date", "county_code"])
        warehouse.replace_partition(connection, county_daily, partition, revised)
        kinds = kind_items_per_county(difficulty_items(reported))
        warehouse.replace_partition(connection, difficulty_kinds_daily, partition, kinds)
        accepted = [code for code, status in staged.items() if status == ACCEPTED]
        industries = resumption_by_industry(day, registry, reported, accepted)
        warehouse.replace_partition(
            connection, industry_daily, partition, industries.assign(report_date=day)
        )
    return _merged(report_date, revised, city)


def _merged(report_date: str, rows, city: CityConfig) -> dict:
    city_row = rows[rows["county_code"] == city.code].iloc[0]
    return {
        "report_date": report_date,
        "status": city_row["status"],
        "revision": int(rows["revision"].max()),
    }


def _last_reported(connection, day: date, keys: list[str]) -> dict[str, date]:
    """Each key enterprise's latest date with an accepted row, up to `day`, within the
    daily report's window (the table's key leads with the date, so the read stays bounded); the
    keys a batch at a time, as a country's key enterprises are more than one statement may
    bind."""
    rows = daily_submission_rows.c
    first = day - timedelta(days=report_html.TREND_DAYS - 1)
    last = []
    for start in range(0, len(keys), warehouse.VALUES_PER_QUERY):
        last += connection.execute(
            select(rows.enterprise_id, func.max(rows.report_date))
            .where(rows.report_date.between(first, day))
            .where(rows.enterprise_id.in_(keys[start : start + warehouse.VALUES_PER_QUERY]))
            .group_by(rows.enterprise_id)
        ).all()
    return {enterprise: pd.Timestamp(on) for enterprise, on in last}


def county_daily_table(report_date: str, run: RunContext | None = None):
    """The date's published rows: counties in the configured order, then the city.
    Read outside a task (by an analyst, a test) it takes its context from the environment.
    """
    run = run or RunContext.from_env()
    city = run.city
    table = warehouse.read_partition(
        run.engine,
        county_daily,
        {"report_date": date.fromisoformat(report_date)},
    )
    order = {code: n for n, code in enumerate([*city.county_codes, city.code])}
    table = table.sort_values("county_code", key=lambda codes: codes.map(order))
    columns = [*COUNTY_DAILY_COLUMNS[:4], "revision", *COUNTY_DAILY_COLUMNS[4:]]
    return table[columns].reset_index(drop=True)


def record_key_enterprise_ledger(run: RunContext, report_date: str) -> None:
    """Replace the date's `key_enterprise_daily` rows. Done when the date publishes, not at
    merge: the days since each key enterprise last reported read the earlier dates' rows,
    and only at publish are those all staged, whatever the order the dates ran in (a date
    publishes after the date before it; merges of several dates run side by side). An
    approved date keeps the ledger it was approved with."""
    day = date.fromisoformat(report_date)
    counties = [(c.code, c.name) for c in run.city.counties]
    registry = submissions.load_registry(run.settings)
    partition = {"report_date": day}
    with warehouse.locked(run.engine, submissions.rows_lock(DAILY.name, report_date)) as connection:
        if approval.approval_of(connection, DAILY.name, report_date):
            return
        keys = list(
            registry.loc[registry["key_enterprise"].fillna(False).astype(bool), "enterprise_id"]
        )
        reported = warehouse.read_partition_among(
            connection, daily_submission_rows, partition, "enterprise_id", keys
        )
        ledger = key_enterprise_ledger(
            day, registry, counties, reported, _last_reported(connection, day, keys)
        )
        warehouse.replace_partition(connection, key_enterprise_daily, partition, ledger)


def publish_daily(run: RunContext, report_date: str) -> str:
    """Publish <publish>/daily/<date>/ (official Excel table, HTML report, data quality page,
    CSVs, validation report, manifest) and refresh the index and the analyst tables."""
    record_key_enterprise_ledger(run, report_date)
    return publication.publish_daily_report(
        run,
        report_date,
        county_daily_table(report_date, run),
        submissions.period_outcomes(run, DAILY, report_date),
        submissions.load_suite(DAILY),
    )


def trigger_republish(request: dict) -> None:
    """Create the run a look-back request asks for (no logical date; a run id that exists is
    left alone), as TriggerDagRunOperator does in Airflow 3: by raising the Task SDK's
    signal, which the task runner turns into the new run. The operator itself would cost
    the DAG file a second of imports on every parse."""
    from airflow.sdk.exceptions import DagRunTriggerException

    raise DagRunTriggerException(
        trigger_dag_id=DAG_ID,
        dag_run_id=request["trigger_run_id"],
        conf=request["conf"],
        logical_date=None,
        reset_dag_run=False,
        skip_when_already_exists=True,
        wait_for_completion=False,
        allowed_states=["success"],
        failed_states=["failed"],
        poke_interval=60,
        deferrable=False,
    )


def republish_requests(run: RunContext, report_date: str) -> list[dict]:
    """One trigger request per earlier date (within the look-back) whose files changed
    after it was processed; the run id carries the new content's token and the date's
    latest approval event, so it is made once per change, and once more after an unlock.
    An approved date's run only checks and holds the files: its request says so (`held`)."""
    city = run.city
    first = date.fromisoformat(report_date) - timedelta(
        days=city.schedule.resubmission_lookback_days
    )
    changed = submissions.changed_periods(run, DAILY, first.isoformat(), report_date)
    with run.engine.connect() as connection:
        events = approval.latest_events(connection, DAILY.name)
    requests = []
    for period, token in changed.items():
        event = events.get((DAILY.name, period))
        request = {
            "trigger_run_id": f"republish__{period}__{token}"
            + (f"__a{event.sequence}" if event else ""),
            "conf": {"report_date": period, "look_back": False},
        }
        if event is not None and event.locks:
            request["held"] = "period approved"
            log.warning("%s held: period approved (%s)", period, event.label())
        requests.append(request)
    return requests
