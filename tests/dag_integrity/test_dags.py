"""Every DAG imports cleanly, follows the project's policy, and parses light."""

from __future__ import annotations

import itertools
import subprocess
import sys
import textwrap

import pytest
from airflow.dag_processing.dagbag import DagBag

from tests.conftest import REPO

EXPECTED_DAG_IDS = {"city_daily_report", "city_quarterly_report", "citystats_approval"}
HEAVY_MODULES = (
    "pandas",
    "great_expectations",
    "pyarrow",
    "openpyxl",
    "python_calamine",
    "sqlalchemy.orm",
)


@pytest.fixture(scope="module")
def dagbag() -> DagBag:
    return DagBag(dag_folder=str(REPO / "dags"))


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}


def test_expected_dag_ids(dagbag):
    assert set(dagbag.dag_ids) >= EXPECTED_DAG_IDS


@pytest.mark.parametrize("dag_id", sorted(EXPECTED_DAG_IDS))
def test_policy(dagbag, dag_id):
    dag = dagbag.dags[dag_id]
    assert "citystats" in dag.tags
    assert dag.doc_md and "rerun" in dag.doc_md.lower()
    for task in dag.tasks:
        assert task.retries >= 1, f"{task.task_id} has no retries"
        assert task.owner == "citystats"
        # A task returning a dict would otherwise push one XCom per key (`-> dict` infers it).
        assert not _multiple_outputs(task), f"{task.task_id} has multiple_outputs"


def _multiple_outputs(task) -> bool:
    return bool(getattr(task, "multiple_outputs", False))


def test_daily_tasks_are_wired_in_order(dagbag):
    dag = dagbag.dags["city_daily_report"]
    chain = [
        "wait_for_county_files",  # done with the date's files, in chunks
        "check_counties",
        "merge_county_daily",  # stages, then merges
        "publish_daily_report",
        "find_resubmitted_dates",
    ]
    for upstream, downstream in itertools.pairwise(chain):
        assert upstream in dag.get_task(downstream).upstream_task_ids
    assert dag.get_task("check_counties").map_index_template


@pytest.mark.parametrize("dag_file", sorted(p.name for p in (REPO / "dags").glob("*.py")))
def test_dag_file_parses_without_heavy_imports(dag_file):
    probe = textwrap.dedent(
        f"""
        import importlib.util, sys
        sys.path[:0] = [{str(REPO / "dags")!r}, {str(REPO)!r}]
        import airflow.sdk
        before = set(sys.modules)
        spec = importlib.util.spec_from_file_location("probe", {str(REPO / "dags" / dag_file)!r})
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
        print(",".join(sorted(set(sys.modules) - before)))
        """
    )
    loaded = (
        subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO
        )
        .stdout.strip()
        .split(",")
    )
    heavy = sorted({m for m in loaded for h in HEAVY_MODULES if m == h or m.startswith(h + ".")})
    assert heavy == []


def test_daily_dates_run_side_by_side_and_publish_in_date_order(dagbag):
    # Each date's report charts the series up to it: a date may check and merge beside
    # others, but publishes only after the date before it (whatever a backfill's own limit).
    dag = dagbag.dags["city_daily_report"]
    assert dag.max_active_runs > 1
    waiting_on_the_date_before = {t.task_id for t in dag.tasks if t.depends_on_past}
    assert waiting_on_the_date_before == {"publish_daily_report"}
