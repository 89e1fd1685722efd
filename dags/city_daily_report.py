"""
### city_daily_report

**What it does.** Every night, for one data date (the run's logical date in the
city's timezone), it waits for the counties' daily files until the cut-off and lists
them, reads and validates each county's file (one mapped task per chunk of
`CITYSTATS_CHECK_CHUNK_COUNTIES` counties, labelled with their codes) against
`expectations/daily_submission.json` and the registry rules, then in one task stages
accepted rows, quarantines rejected files with their reasons and merges
`county_daily` (county rows + city row), and publishes
`<CITYSTATS_PUBLISH>/daily/<date>/` all at once:
`county_daily.csv`, the official Excel table, `report.html`, `data_quality.html`,
the validation report and `manifest.json`; the full-history tables under
`<CITYSTATS_PUBLISH>/tables/` and `index.html` follow.
Finally it looks back over earlier dates and triggers a republish of any date
whose files arrived or changed after it was processed (revision + 1). A date that
has been approved (`citystats_approval`, `make approve`) is locked: its run checks
the new files and holds them (`held_submissions`), but merges and publishes nothing
new until it is unlocked.
Counties still missing at the cut-off are alerted by the scheduled nightly run
only (a rerun alerts with conf `{"alert_missing": true}`); any task that fails for
good is alerted, naming the counties of a mapped check task (webhook, DingTalk,
WeCom or Feishu robots, mail: `include/alerts.py`).

**Rerun one date.** `make backfill FROM=2020-03-17 TO=2020-03-17`, or
`airflow dags test city_daily_report 2020-03-17`, or trigger with conf
`{"report_date": "2020-03-17"}`. A rerun over unchanged files changes nothing.
**Rerun one county.** Replace or fix the county's file in the landing zone and
rerun the date: every run recomputes the whole date, so the other counties'
rows keep their revision.
**Backfill.** `make backfill FROM=… TO=…`, or with a scheduler
`airflow backfill create --dag-id city_daily_report --from-date … --to-date …`.
Dates run side by side (three at once, or the backfill's `--max-active-runs`), but
each date publishes only after the date before it has (`depends_on_past` on
`publish_daily_report`): if one date's publish fails, the later dates wait for it;
clear and rerun that date and they follow.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import CronTriggerTimetable, Param, dag, task

from include.alerts import TaskFailureNotifier
from include.assets import DAILY_PUBLICATION
from include.config import load_city_config
from include.task_labels import COUNTY_RANGE

CITY = load_city_config()
PARALLEL_DATES = 3


@dag(
    dag_id="city_daily_report",
    schedule=CronTriggerTimetable(CITY.schedule.nightly_cron, timezone=CITY.timezone),
    start_date=datetime(2020, 2, 3, tzinfo=CITY.tz),
    catchup=False,
    # Dates check, stage and merge side by side; publish_daily_report keeps them in order.
    max_active_runs=PARALLEL_DATES,
    default_args={
        "owner": "citystats",
        "retries": 2,
        "retry_delay": timedelta(minutes=1),
        "on_failure_callback": TaskFailureNotifier(),
    },
    params={
        "report_date": Param(
            None,
            type=["null", "string"],
            format="date",
            description="process this date instead of the logical date",
        ),
        "look_back": Param(
            True, type="boolean", description="republish earlier dates whose files changed"
        ),
        "alert_missing": Param(
            False,
            type="boolean",
            description="alert about missing counties although this is not the nightly run",
        ),
    },
    tags=["citystats", "daily"],
    doc_md=__doc__,
)
def city_daily_report():
    # Each task works out the data date from its own run (`report_date_of_run`: the
    # report_date param, else the logical date). A task of its own for it cost the scheduler,
    # the API server and a worker about half a second of CPU a date, which a backfill's dates
    # compete for: 30 city dates through prod-shape took 2.85 s a date without it, 3.1 with.
    #
    # Done with the chunks of county files to check: listing them is a fraction of a
    # second, not worth a task of its own (each costs the scheduler and a worker about that).
    @task.sensor(poke_interval=300, timeout=6 * 3600, mode="reschedule")
    def wait_for_county_files(logical_date=None, params=None):
        from include import daily_pipeline
        from include.context import RunContext

        run = RunContext.from_env()
        report_date = daily_pipeline.report_date_of_run(run, logical_date, params)
        return daily_pipeline.landed_submissions(run, report_date)

    @task(map_index_template=COUNTY_RANGE)
    def check_counties(counties: list[dict]) -> list[dict]:
        from include import daily_pipeline
        from include.context import RunContext

        return daily_pipeline.check_daily_counties(RunContext.from_env(), counties)

    @task
    def alert_missing_counties(logical_date=None, dag_run=None, params=None) -> list[str]:
        from include import alerts, daily_pipeline
        from include.context import RunContext

        run = RunContext.from_env()
        report_date = daily_pipeline.report_date_of_run(run, logical_date, params)
        return alerts.alert_missing_counties(
            run, report_date, dag_run.run_type, params["alert_missing"]
        )

    @task(multiple_outputs=False)
    def merge_county_daily(outcomes: list[list[dict]], logical_date=None, params=None) -> dict:
        from include import daily_pipeline
        from include.context import RunContext

        run = RunContext.from_env()
        report_date = daily_pipeline.report_date_of_run(run, logical_date, params)
        # One slice is one request; iterating asks index by index until the server answers
        # "not found", which the Task SDK logs as an error in every run's log.
        return daily_pipeline.stage_and_merge_daily(run, report_date, outcomes[:])

    # A date's report charts the series up to it, so a date publishes only once the date
    # before it has: a backfill with dates side by side then publishes exactly what the
    # nightly runs did. A backfill's own max_active_runs cannot break this, and a republish
    # run (no logical date) comes after the dates it charts. If a date's publish fails, the
    # later dates wait until it is rerun.
    @task(outlets=[DAILY_PUBLICATION], depends_on_past=True)
    def publish_daily_report(logical_date=None, params=None) -> str:
        from include import daily_pipeline
        from include.context import RunContext

        run = RunContext.from_env()
        report_date = daily_pipeline.report_date_of_run(run, logical_date, params)
        return daily_pipeline.publish_daily(run, report_date)

    @task
    def find_resubmitted_dates(logical_date=None, params=None) -> list[dict]:
        from include import daily_pipeline
        from include.context import RunContext

        run = RunContext.from_env()
        report_date = daily_pipeline.report_date_of_run(run, logical_date, params)
        return daily_pipeline.republish_requests(run, report_date) if params["look_back"] else []

    @task(map_index_template="{{ task.op_kwargs['request']['conf']['report_date'] }}")
    def republish_resubmitted_date(request: dict):
        from include import daily_pipeline

        daily_pipeline.trigger_republish(request)

    found = wait_for_county_files()
    outcomes = check_counties.expand(counties=found)
    merged = merge_county_daily(outcomes)
    published = publish_daily_report()
    resubmitted = find_resubmitted_dates()
    merged >> published >> resubmitted
    merged >> alert_missing_counties()
    republish_resubmitted_date.expand(request=resubmitted)


city_daily_report()
