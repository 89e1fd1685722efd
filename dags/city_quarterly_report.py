"""
### city_quarterly_report

**What it does.** After each quarter's submission deadline (`quarterly_deadline_days`
after the quarter ends, from the city TOML) it processes the quarter that ended before
the run's logical date (a `quarter` param such as `2020Q2` overrides). The run is
scheduled for the day after that deadline; when `deadline_holiday_rule =
"postpone_statutory"` moves a deadline inside a statutory holiday to the first working day
after it, `wait_for_deadline` holds the scheduled run until the postponed deadline has
passed (a manual run does not wait).
It reads and validates each county's file under `<landing>/quarterly/<YYYYQn>/` (one
mapped task per chunk of counties) against `expectations/quarterly_submission.json` and
the registry rules, stages accepted rows, quarantines rejected files with their reasons,
merges `county_quarterly` (quarter values, same-scope prior values, year-on-year and
year-to-date figures; county rows + city row) and publishes
`<CITYSTATS_PUBLISH>/quarterly/<YYYYQn>/` all at once (`county_quarterly.csv`, the
official Excel table in 亿元, `report.html`, `data_quality.html`, validation report,
`manifest.json`).

It also rolls the daily series up into `county_quarter_daily_summary`, published as
`<CITYSTATS_PUBLISH>/daily_summary/<YYYYQn>/county_quarter_daily_summary.csv`: for the
run's quarter, and whenever `city_daily_report` publishes (asset
`citystats_daily_publication`) for every finished quarter with daily data, so a late
daily revision reaches the quarter. Such an asset-triggered run has no logical date and
no quarter: its submission branch is skipped. **Bounded runs:** Airflow keeps one queue
entry per asset however many dates publish, and with `max_active_runs=1` creates no new run
while one is queued or running; so a long daily backfill starts one roll-up run, then one
more for everything published meanwhile, not one per date. Each run recomputes from the
warehouse, so it covers every date published before it started.

**Rerun one quarter.** `make quarterly QUARTER=2020Q2`, or
`airflow dags trigger city_quarterly_report --conf '{"quarter": "2020Q2"}'`. A rerun over
unchanged files changes nothing; a changed county file moves that county's row and the
city row to the next revision. **Rerun one county.** Replace its file in the landing zone
and rerun the quarter. A rerun of an earlier quarter of a year then merges and publishes
the year's later quarters again (`refresh_later_quarters`), since their year-to-date
columns add its rows; an approved later quarter stays as approved.
**Approved quarters** (`make approve PERIOD=2020Q2`) are locked: a resubmission is checked
and held, not merged; `make unlock PERIOD=2020Q2 BY=<name>` and a rerun publish it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import (
    AssetOrTimeSchedule,
    MultipleCronTriggerTimetable,
    Param,
    dag,
    task,
)

from include.alerts import TaskFailureNotifier
from include.assets import DAILY_PUBLICATION
from include.config import load_city_config
from include.task_labels import COUNTY_RANGE
from transforms.periods import quarterly_run_crons

CITY = load_city_config()
QUARTER_PATTERN = r"^\d{4}Q[1-4]$"
# The longest a statutory holiday postpones a deadline past the scheduled run (the 2020
# Spring Festival ran ten days), with room to spare.
DEADLINE_WAIT = timedelta(days=14)


@dag(
    dag_id="city_quarterly_report",
    schedule=AssetOrTimeSchedule(
        timetable=MultipleCronTriggerTimetable(
            *quarterly_run_crons(CITY.schedule.quarterly_deadline_days, CITY.schedule.nightly_run),
            timezone=CITY.timezone,
        ),
        assets=[DAILY_PUBLICATION],
    ),
    start_date=datetime(2020, 1, 1, tzinfo=CITY.tz),
    catchup=False,
    # One run at a time: asset events queued meanwhile are coalesced into the next run.
    max_active_runs=1,
    default_args={
        "owner": "citystats",
        "retries": 2,
        "retry_delay": timedelta(minutes=1),
        "on_failure_callback": TaskFailureNotifier(),
    },
    params={
        "quarter": Param(
            None,
            type=["null", "string"],
            pattern=QUARTER_PATTERN,
            description="process this quarter (YYYYQn) instead of the one before the logical date",
        ),
    },
    tags=["citystats", "quarterly"],
    doc_md=__doc__,
)
def city_quarterly_report():
    @task.short_circuit
    def submission_quarter(logical_date=None, params=None) -> str | None:
        from include import quarterly_pipeline
        from include.context import RunContext

        return quarterly_pipeline.quarter_of_run(RunContext.from_env(), logical_date, params)

    # The run fires the day after the unmoved deadline (the crons are static); when a
    # statutory holiday postpones the deadline past it, the counties are judged after that.
    @task.sensor(poke_interval=1800, timeout=DEADLINE_WAIT.total_seconds(), mode="reschedule")
    def wait_for_deadline(quarter: str, dag_run=None) -> bool:
        from include import quarterly_pipeline
        from include.context import RunContext

        return quarterly_pipeline.deadline_passed(RunContext.from_env(), quarter, dag_run.run_type)

    @task
    def discover_submissions(quarter: str) -> list[list[dict]]:
        from include import quarterly_pipeline
        from include.context import RunContext

        return quarterly_pipeline.discover_quarterly_submissions(RunContext.from_env(), quarter)

    @task(map_index_template=COUNTY_RANGE)
    def check_counties(counties: list[dict]) -> list[dict]:
        from include import quarterly_pipeline
        from include.context import RunContext

        return quarterly_pipeline.check_quarterly_counties(RunContext.from_env(), counties)

    @task
    def stage_submissions(quarter: str, outcomes: list[list[dict]]):
        from include import quarterly_pipeline
        from include.context import RunContext

        quarterly_pipeline.stage_quarterly_submissions(RunContext.from_env(), quarter, outcomes[:])

    @task(multiple_outputs=False)
    def merge_county_quarterly(quarter: str) -> dict:
        from include import quarterly_pipeline
        from include.context import RunContext

        return quarterly_pipeline.merge_quarterly(RunContext.from_env(), quarter)

    @task
    def publish_quarterly_report(quarter: str) -> str:
        from include import quarterly_pipeline
        from include.context import RunContext

        return quarterly_pipeline.publish_quarterly(RunContext.from_env(), quarter)

    @task
    def refresh_later_quarters(quarter: str) -> list[str]:
        from include import quarterly_pipeline
        from include.context import RunContext

        return quarterly_pipeline.refresh_later_quarters(RunContext.from_env(), quarter)

    @task
    def quarters_to_roll_up(logical_date=None, params=None) -> list[str]:
        from include import quarterly_pipeline
        from include.context import RunContext

        return quarterly_pipeline.quarters_to_roll_up(RunContext.from_env(), logical_date, params)

    @task(map_index_template="{{ task.op_kwargs['quarter'] }}")
    def roll_up_daily_series(quarter: str) -> str:
        from include import quarterly_pipeline
        from include.context import RunContext

        return quarterly_pipeline.roll_up_daily(RunContext.from_env(), quarter)

    @task(map_index_template="{{ task.op_kwargs['quarter'] }}")
    def publish_daily_summary(quarter: str) -> str:
        from include import quarterly_pipeline
        from include.context import RunContext

        return quarterly_pipeline.publish_daily_summary(RunContext.from_env(), quarter)

    quarter = submission_quarter()
    found = discover_submissions(quarter)
    wait_for_deadline(quarter) >> found
    outcomes = check_counties.expand(counties=found)
    staged = stage_submissions(quarter, outcomes)
    published = publish_quarterly_report(quarter)
    staged >> merge_county_quarterly(quarter) >> published >> refresh_later_quarters(quarter)

    publish_daily_summary.expand(quarter=roll_up_daily_series.expand(quarter=quarters_to_roll_up()))


city_quarterly_report()
