"""The steps of `city_quarterly_report`, one function per task; pure work is in transforms/.

Two things happen in a run. For the run's quarter, the county submissions are checked,
staged and merged into `county_quarterly` (the same shape as the daily pipeline). And
the daily series is rolled up into `county_quarter_daily_summary` for the run's quarter,
or, in a run that a daily publication triggered (no logical date, no quarter), for every
finished quarter that has daily data.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

import pandas as pd
from sqlalchemy import select

from include import alerts, approval, submissions, warehouse
from include.config import CityConfig, Settings
from include.context import RunContext
from include.publish import publication
from include.tables import (
    county_daily,
    county_quarter_daily_summary,
    county_quarterly,
    industry_quarterly,
    quarterly_submission_rows,
    submissions_log,
)
from transforms.check.outcomes import CountyOutcome
from transforms.check.validation import quarterly_context_findings_on_each
from transforms.ingest import readers
from transforms.merge.industries import output_by_industry
from transforms.merge.quarterly import COUNTY_QUARTERLY_COLUMNS, merge_county_quarterly
from transforms.merge.revisions import assign_revisions
from transforms.merge.rollup import SUMMARY_COLUMNS, roll_up_county_daily
from transforms.periods import (
    data_date,
    parse_quarter,
    previous_quarter,
    quarter_bounds,
    quarter_of,
    quarters_of_year_through,
)

log = logging.getLogger(__name__)

DAILY_SUMMARY_FOLDER = "daily_summary"
QUARTER_KEYS = ["report_quarter", "county_code"]


def _quarterly_context_findings(frames, period, registry, earlier):
    return quarterly_context_findings_on_each(
        frames, folder_quarter=period, quarter_end=quarter_bounds(period)[1], registry=registry
    )


def _no_earlier_rows(settings: Settings, quarter: str, county_codes) -> dict[str, pd.DataFrame]:
    """A quarterly file carries its own year-earlier figures: no rule reads an earlier file."""
    return {}


def _quarterly_deadline(city: CityConfig, period: str) -> datetime:
    return city.quarterly_deadline_of(period)


QUARTERLY = submissions.SubmissionKind(
    name="quarterly",
    suite_file="quarterly_submission.json",
    rows_table=quarterly_submission_rows,
    period_column="report_quarter",
    read=readers.read_quarterly_submission,
    read_all=readers.read_quarterly_submissions,
    context_findings=_quarterly_context_findings,
    earlier_rows=_no_earlier_rows,
    deadline=_quarterly_deadline,
)


def quarter_of_run(
    run: RunContext, logical_date: datetime | None, params: dict | None = None
) -> str | None:
    """The quarter whose submissions this run merges: the `quarter` param when set, else the
    quarter that ended before the logical date (city timezone); None for a run that a daily
    publication triggered, which has no logical date and only rolls up the daily series."""
    override = (params or {}).get("quarter")
    if override:
        year, number = parse_quarter(str(override))
        return f"{year}Q{number}"
    if logical_date is None:
        return None
    return previous_quarter(data_date(logical_date, run.city.tz))


def quarters_to_roll_up(
    run: RunContext, logical_date: datetime | None, params: dict | None = None
) -> list[str]:
    """The run's quarter if it has daily data; in a run that a daily publication triggered,
    every finished quarter with daily data (finished: the daily series reaches its last day).
    Recomputing an unchanged quarter moves no revision, so rolling up all of them is safe."""
    quarter = quarter_of_run(run, logical_date, params)
    dates = _daily_data_dates(run)
    quarters_with_data = sorted({quarter_of(day) for day in dates})
    if quarter is not None:
        return [quarter] if quarter in quarters_with_data else []
    return [q for q in quarters_with_data if quarter_bounds(q)[1] <= max(dates)]


def _daily_data_dates(run: RunContext) -> list[date]:
    with run.engine.connect() as connection:
        found = connection.execute(select(county_daily.c.report_date).distinct()).scalars()
        return sorted(pd.Timestamp(day).date() for day in found)


def deadline_passed(
    run: RunContext, quarter: str, run_type: str | None = "scheduled", now: datetime | None = None
) -> bool:
    """True once the quarter's deadline has passed. The run is scheduled for the day after the
    unmoved deadline; when a statutory holiday postpones it (遇法定节假日顺延), counties may
    still send on time until the postponed deadline, so the run waits for it before it
    judges a county late or missing. A manual run (an operator's rerun or preview of a
    quarter) does not wait: it judges the files landed so far, as it always has."""
    deadline = _quarterly_deadline(run.city, quarter)
    if (now or datetime.now(UTC)) >= deadline:
        return True
    if run_type == "manual":
        log.info("%s: files are due by %s; a manual run judges them now", quarter, deadline)
        return True
    log.info("%s: files are due by %s; the counties are judged after it", quarter, deadline)
    return False


def discover_quarterly_submissions(run: RunContext, quarter: str) -> list[list[dict]]:
    return submissions.discover(run, QUARTERLY, quarter)


def check_quarterly_counties(run: RunContext, counties: list[dict]) -> list[dict]:
    return [o.to_dict() for o in submissions.check_counties(run, QUARTERLY, counties)]


def stage_quarterly_submissions(run: RunContext, quarter: str, checked: list[list[dict]]) -> None:
    """Stage what the check tasks decided: one list of county outcomes per chunk."""
    outcomes = [CountyOutcome.from_dict(o) for chunk in checked for o in chunk]
    held = submissions.stage(run, QUARTERLY, quarter, outcomes)
    if held:
        alerts.alert_held_correction(run, QUARTERLY.name, quarter, held)


def merge_quarterly(run: RunContext, quarter: str) -> dict:
    """Recompute `county_quarterly` (and `industry_quarterly`) for the quarter and replace its
    rows in one transaction; the year-to-date columns add the published rows of the year's
    earlier quarters."""
    city = run.city
    lock = submissions.rows_lock(QUARTERLY.name, quarter)
    with warehouse.locked(run.engine, lock) as connection:
        published = warehouse.read_partition(
            connection, county_quarterly, {"report_quarter": quarter}
        )
        if approval.approval_of(connection, QUARTERLY.name, quarter):
            # Locked: the rows stay those approved (a held correction is not merged).
            return _merged(quarter, published, city)
        earlier = [
            warehouse.read_partition(connection, county_quarterly, {"report_quarter": q})
            for q in quarters_of_year_through(quarter)[:-1]
        ]
        reported = warehouse.read_partition(
            connection, quarterly_submission_rows, {"report_quarter": quarter}
        )
        merged = merge_county_quarterly(
            quarter,
            [(c.code, c.name) for c in city.counties],
            (city.code, city.name),
            submissions.statuses(connection, QUARTERLY, quarter),
            reported,
            pd.concat(earlier, ignore_index=True)
            if earlier
            else pd.DataFrame(columns=list(county_quarterly.c.keys())),
        )
        revised = assign_revisions(merged, published, QUARTER_KEYS)
        warehouse.replace_partition(
            connection, county_quarterly, {"report_quarter": quarter}, revised
        )
        warehouse.replace_partition(
            connection,
            industry_quarterly,
            {"report_quarter": quarter},
            output_by_industry(reported).assign(report_quarter=quarter),
        )
    return _merged(quarter, revised, city)


def _merged(quarter: str, rows: pd.DataFrame, city: CityConfig) -> dict:
    city_row = rows[rows["county_code"] == city.code].iloc[0]
    return {
        "report_quarter": quarter,
        "status": city_row["status"],
        "revision": int(rows["revision"].max()),
    }


def refresh_later_quarters(run: RunContext, quarter: str) -> list[str]:
    """Merge and publish again, in order, every later quarter of the year that has been
    merged: their year-to-date columns add this quarter's rows, so a correction of an earlier
    quarter reaches them as a daily correction reaches the look-back. A later quarter whose
    rows do not change keeps its revision and its folder; an approved one stays as approved.
    Return the quarters refreshed."""
    _, number = parse_quarter(quarter)
    year = quarter[:4]
    later = [f"{year}Q{n}" for n in range(number + 1, 5)]
    with run.engine.connect() as connection:
        merged = set(
            connection.execute(
                select(county_quarterly.c.report_quarter)
                .where(county_quarterly.c.report_quarter.in_(later))
                .distinct()
            ).scalars()
        )
    refreshed = [q for q in later if q in merged]
    for later_quarter in refreshed:
        merge_quarterly(run, later_quarter)
        publish_quarterly(run, later_quarter)
    return refreshed


def _published_rows(run: RunContext, table, quarter: str, columns: list[str]) -> pd.DataFrame:
    """The quarter's rows of `table`: counties in the configured order, then the city."""
    city = run.city
    rows = warehouse.read_partition(run.engine, table, {"report_quarter": quarter})
    order = {code: n for n, code in enumerate([*city.county_codes, city.code])}
    rows = rows.sort_values("county_code", key=lambda codes: codes.map(order))
    return rows[[*columns[:4], "revision", *columns[4:]]].reset_index(drop=True)


def county_quarterly_table(quarter: str, run: RunContext | None = None) -> pd.DataFrame:
    """The quarter's published rows; outside a task the context comes from the environment."""
    run = run or RunContext.from_env()
    return _published_rows(run, county_quarterly, quarter, COUNTY_QUARTERLY_COLUMNS)


def publish_quarterly(run: RunContext, quarter: str) -> str:
    """Publish <publish>/quarterly/<quarter>/ (official Excel table, HTML report, data quality
    page, county_quarterly.csv, validation report, manifest) and refresh the index and the
    analyst tables."""
    return publication.publish_quarterly_report(
        run,
        quarter,
        county_quarterly_table(quarter, run),
        submissions.period_outcomes(run, QUARTERLY, quarter),
        submissions.load_suite(QUARTERLY),
    )


def roll_up_daily(run: RunContext, quarter: str) -> str:
    """Recompute the quarter's `county_quarter_daily_summary` from `county_daily` and the
    daily submissions log, and replace its rows in one transaction."""
    city = run.city
    first, last = quarter_bounds(quarter)
    with warehouse.locked(
        run.engine, submissions.rows_lock("daily_summary", quarter)
    ) as connection:
        days = connection.execute(
            select(county_daily.c.report_date)
            .distinct()
            .where(county_daily.c.report_date.between(first, last))
        ).scalars()
        days = sorted(pd.Timestamp(day).date() for day in days)
        if not days:
            raise ValueError(f"{quarter} has no daily data (county_daily) to roll up")
        daily_rows = pd.concat(
            [warehouse.read_partition(connection, county_daily, {"report_date": d}) for d in days],
            ignore_index=True,
        )
        on_time_log = pd.concat(
            [
                warehouse.read_partition(
                    connection, submissions_log, {"kind": "daily", "period": d.isoformat()}
                )
                for d in days
            ],
            ignore_index=True,
        )
        summary = roll_up_county_daily(
            quarter,
            [(c.code, c.name) for c in city.counties],
            (city.code, city.name),
            daily_rows,
            on_time_log,
        )
        published = warehouse.read_partition(
            connection, county_quarter_daily_summary, {"report_quarter": quarter}
        )
        revised = assign_revisions(summary, published, QUARTER_KEYS)
        warehouse.replace_partition(
            connection, county_quarter_daily_summary, {"report_quarter": quarter}, revised
        )
    log.info(
        "%s: rolled up %d daily dates (%s to %s), highest revision %d",
        quarter,
        len(days),
        days[0],
        days[-1],
        int(revised["revision"].max()),
    )
    return quarter


def county_quarter_daily_summary_table(quarter: str, run: RunContext | None = None) -> pd.DataFrame:
    """The quarter's published summary rows; outside a task the context comes from the
    environment."""
    run = run or RunContext.from_env()
    return _published_rows(run, county_quarter_daily_summary, quarter, SUMMARY_COLUMNS)


def publish_daily_summary(run: RunContext, quarter: str) -> str:
    """Publish <publish>/daily_summary/<quarter>/ (county_quarter_daily_summary.csv and its
    manifest) and refresh the index and the analyst tables."""
    return publication.publish_daily_summary_report(
        run, DAILY_SUMMARY_FOLDER, quarter, county_quarter_daily_summary_table(quarter, run)
    )
