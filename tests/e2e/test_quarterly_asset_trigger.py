"""How many city_quarterly_report runs a long daily backfill starts: Airflow's own scheduler
step (run creation) against the metadata DB, with the daily publications as asset events.

Each daily publication is an asset event. Airflow queues one entry per (asset, DAG) however
many events arrive, and creates no asset-triggered run while the DAG is at max_active_runs
(1). So 90 daily publications make two runs here, not 90: one for the queue entry, and one
after it for everything published while it was queued or running. Whichever events a run is
credited with, a run always starts after the last publication, and the roll-up recomputes
from the warehouse rather than from the events, so nothing is missed.
"""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, update

DAILY_URI = "citystats://published/daily"
DAG_ID = "city_quarterly_report"


@pytest.fixture
def scheduler(airflow_db):
    """The DAGs as the scheduler sees them (serialised, quarterly DAG unpaused), and a way to run
    its run-creation step; runs and queued events it makes are removed afterwards."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db
    from airflow.jobs.job import Job
    from airflow.jobs.scheduler_job_runner import SchedulerJobRunner
    from airflow.models.asset import AssetDagRunQueue
    from airflow.models.dag import DagModel
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from airflow.utils.sqlalchemy import prohibit_commit

    manager = DagBundlesManager()
    manager.sync_bundles_to_db()
    for bundle in manager.get_all_dag_bundles():
        bundle.initialize()
        bag = BundleDagBag(dag_folder=bundle.path, bundle_path=bundle.path, bundle_name=bundle.name)
        sync_bag_to_db(bag, bundle.name, bundle.version)
    with create_session() as session:
        paused = {
            dag_id: is_paused
            for dag_id, is_paused in session.execute(select(DagModel.dag_id, DagModel.is_paused))
        }
        session.execute(update(DagModel).values(is_paused=DagModel.dag_id != DAG_ID))
        session.execute(delete(AssetDagRunQueue).where(AssetDagRunQueue.target_dag_id == DAG_ID))
        # only asset triggers here: the next deadline run is not due in this test
        session.execute(
            update(DagModel).where(DagModel.dag_id == DAG_ID).values(next_dagrun_create_after=None)
        )
    runner = SchedulerJobRunner(job=Job())

    def create_runs() -> None:
        with create_session() as session, prohibit_commit(session) as guard:
            runner._create_dagruns_for_dags(guard, session)

    try:
        yield create_runs
    finally:
        with create_session() as session:
            session.execute(delete(DagRun).where(*asset_triggered_runs()))
            session.execute(
                delete(AssetDagRunQueue).where(AssetDagRunQueue.target_dag_id == DAG_ID)
            )
            for dag_id, is_paused in paused.items():
                session.execute(
                    update(DagModel).where(DagModel.dag_id == dag_id).values(is_paused=is_paused)
                )


def publish_daily(times: int) -> None:
    """What each city_daily_report publication does to the metadata DB: one asset event."""
    from airflow.assets.manager import AssetManager
    from airflow.models.asset import AssetModel
    from airflow.utils.session import create_session

    for _ in range(times):
        with create_session() as session:
            asset = session.scalar(select(AssetModel).where(AssetModel.uri == DAILY_URI))
            AssetManager.register_asset_change(asset=asset, session=session)


def asset_triggered_runs() -> tuple:
    """Conditions selecting the quarterly DAG's asset-triggered runs (other tests of the
    session leave manual runs of it in the metadata DB)."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.types import DagRunType

    return DagRun.dag_id == DAG_ID, DagRun.run_type == DagRunType.ASSET_TRIGGERED


def quarterly_run_states() -> list[str]:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        return list(
            session.scalars(
                select(DagRun.state).where(*asset_triggered_runs()).order_by(DagRun.run_after)
            )
        )


def queued_entries() -> int:
    from airflow.models.asset import AssetDagRunQueue
    from airflow.utils.session import create_session

    with create_session() as session:
        return session.scalar(select(func.count()).where(AssetDagRunQueue.target_dag_id == DAG_ID))


def finish_runs() -> None:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState

    with create_session() as session:
        session.execute(
            update(DagRun).where(*asset_triggered_runs()).values(state=DagRunState.SUCCESS)
        )


@pytest.mark.airflow
def test_a_long_daily_backfill_starts_one_quarterly_run_per_run_not_per_date(scheduler):
    publish_daily(30)
    assert queued_entries() == 1  # thirty events, one queue entry
    scheduler()
    assert quarterly_run_states() == ["queued"]

    publish_daily(60)  # the backfill goes on while the quarterly run is queued or running
    scheduler()
    scheduler()
    assert quarterly_run_states() == ["queued"]  # at max_active_runs: no new run
    assert queued_entries() == 1  # the events wait

    finish_runs()
    scheduler()
    assert quarterly_run_states() == ["success", "queued"]  # one run for all sixty
    finish_runs()
    scheduler()
    assert quarterly_run_states() == ["success", "success"]
    assert queued_entries() == 0
