"""The warehouse's PostgreSQL restarting between a date's steps, and a connection ended in the
middle of a stage or merge transaction: the date ends complete and identical to an
undisturbed run, with no row twice.

The steps run as plain functions in one process, as `make backfill` (`dag.test`) runs them
and as a Celery worker's pool process keeps its engine between tasks; the server is a
private cluster (tests/conftest.py), since the machine's shared one must not be restarted.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import DateTime, exc, func, select, text

from deploy.chaos import TIMESTAMP
from include import daily_pipeline, warehouse
from include.context import RunContext
from include.tables import county_daily, daily_submission_rows, submissions_log
from tests.conftest import migrated_warehouse
from tests.e2e.tiny_city import E1, EAST, N1, NORTH, W1, W2, WEST, use_tiny_city

pytestmark = pytest.mark.postgres

DAY = "2020-03-17"
WEST_ROWS = [
    (W1, True, "2020-03-16", 200, 100, 50, 0, 1, None),
    (W2, True, "2020-03-01", 40, 40, 100, 0, 0, None),
]
WEST_CORRECTED = [WEST_ROWS[0], (W2, True, "2020-03-01", 40, 20, 100, 0, 0, None)]


def land_the_date(landing) -> None:
    landing.daily_csv(DAY, EAST, [(E1, True, "2020-03-10", 100, 90, 80, 5, 0, "口罩不足")])
    landing.daily_csv(DAY, WEST, WEST_ROWS)
    landing.daily_csv(DAY, NORTH, [(N1, False, None, 30, 0, 0, 0, 0, None)])


def stage(run: RunContext) -> None:
    checked = [
        daily_pipeline.check_daily_counties(run, chunk)
        for chunk in daily_pipeline.discover_daily_submissions(run, DAY)
    ]
    daily_pipeline.stage_daily_submissions(run, DAY, checked)


def run_the_date(run: RunContext) -> None:
    stage(run)
    daily_pipeline.merge_daily(run, DAY)
    daily_pipeline.publish_daily(run, DAY)


def outputs(run: RunContext) -> dict:
    """What the date left: its county_daily rows (timestamps aside), every submissions_log
    and staged row counted, and the published folder's files."""
    columns = [c for c in county_daily.columns if not isinstance(c.type, DateTime)]
    folder = Path(run.settings.publish) / "daily" / DAY
    with warehouse.engine_for(run.settings.warehouse_url).connect() as connection:
        rows = connection.execute(select(*columns).order_by(county_daily.c.county_code)).all()
        logged = connection.execute(
            select(submissions_log.c.county_code, func.count()).group_by("county_code")
        ).all()
        staged = connection.execute(select(func.count()).select_from(daily_submission_rows))
        staged = staged.scalar_one()
    root = str(Path(run.settings.publish).parent).encode()
    files = {
        p.relative_to(folder).as_posix(): TIMESTAMP.sub(b"<time>", p.read_bytes()).replace(
            root, b"<root>"
        )
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
    return {"rows": rows, "logged": sorted(logged), "staged": staged, "files": files}


@pytest.fixture
def city(tmp_path, monkeypatch, private_postgres):
    """The tiny city's date landed, its warehouse a database on the private cluster."""
    landing = use_tiny_city(tmp_path, monkeypatch)
    land_the_date(landing)
    url = migrated_warehouse(private_postgres.create_database("warehouse"))
    monkeypatch.setenv("CITYSTATS_WAREHOUSE_URL", url)
    return landing


@pytest.fixture
def undisturbed(tmp_path_factory, monkeypatch, private_postgres):
    """The outputs of the date run without faults once per version of the west file, in
    folders and a database of its own."""

    def outputs_of(*west_versions) -> dict:
        root = tmp_path_factory.mktemp("undisturbed")
        with monkeypatch.context() as scoped:
            landing = use_tiny_city(root, scoped)
            land_the_date(landing)
            name = f"undisturbed_{root.name.replace('-', '_')}"
            url = migrated_warehouse(private_postgres.create_database(name))
            scoped.setenv("CITYSTATS_WAREHOUSE_URL", url)
            run = RunContext.from_env()
            for west_rows, arrived in zip(west_versions, ("18:00", "23:50"), strict=False):
                landing.daily_csv(DAY, WEST, west_rows, arrived=arrived)
                run_the_date(run)
            return outputs(run)

    return outputs_of


def test_a_restart_between_two_runs_of_a_date_in_one_process(city, private_postgres, undisturbed):
    expected = undisturbed(WEST_ROWS)
    run = RunContext.from_env()
    run_the_date(run)
    first = outputs(run)
    assert first == expected
    private_postgres.restart()  # every pooled connection of this process is now dead
    run_the_date(RunContext.from_env())
    assert outputs(run) == expected  # same rows, one per county and the city, revision 1
    assert len(expected["rows"]) == 4 and {row.revision for row in expected["rows"]} == {1}
    assert expected["logged"] == [(EAST, 1), (WEST, 1), (NORTH, 1)]


def test_a_restart_between_stage_and_merge(city, private_postgres, undisturbed):
    expected = undisturbed(WEST_ROWS)
    run = RunContext.from_env()
    stage(run)
    private_postgres.restart()
    daily_pipeline.merge_daily(run, DAY)
    private_postgres.restart()
    daily_pipeline.publish_daily(run, DAY)
    assert outputs(run) == expected


def end_the_connection_after(table, private_postgres, monkeypatch) -> list[int]:
    """Make the step's transaction lose its connection right after it replaced `table`'s
    partition (its next statement fails), once; returns the ended backend's pid."""
    real_replace = warehouse.replace_partition
    ended = []

    def replace_then_lose_the_connection(connection, replaced, partition, frame):
        real_replace(connection, replaced, partition, frame)
        if replaced is table and not ended:
            ended.append(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())
            private_postgres.terminate(ended[0])

    monkeypatch.setattr(warehouse, "replace_partition", replace_then_lose_the_connection)
    return ended


@pytest.mark.parametrize(
    ("step", "table"),
    [("stage", daily_submission_rows), ("merge", county_daily)],
)
def test_a_connection_ended_mid_transaction_leaves_the_date_as_it_was_until_the_rerun(
    city, private_postgres, undisturbed, monkeypatch, step, table
):
    expected = undisturbed(WEST_ROWS, WEST_CORRECTED)
    run = RunContext.from_env()
    run_the_date(run)
    published = outputs(run)
    city.daily_csv(DAY, WEST, WEST_CORRECTED, arrived="23:50")  # a resubmission to republish
    if step == "merge":
        stage(run)
    ended = end_the_connection_after(table, private_postgres, monkeypatch)
    with pytest.raises(exc.OperationalError):
        if step == "stage":
            stage(run)
        else:
            daily_pipeline.merge_daily(run, DAY)
    assert ended
    if step == "stage":  # the transaction's deletes and inserts were all rolled back
        assert outputs(run) == published
    else:
        assert outputs(run)["rows"] == published["rows"]
    # The task's retry, in the same process as a pool process would: the next steps rerun.
    if step == "stage":
        stage(run)
    daily_pipeline.merge_daily(run, DAY)
    daily_pipeline.publish_daily(run, DAY)
    rerun = outputs(run)
    assert rerun == expected
    assert rerun["rows"] != published["rows"]
    assert {row.revision for row in rerun["rows"]} == {1, 2}  # the west and city rows moved
