"""The demo data set through the real DAG reproduces the city's published milestones:
all 50 key enterprises resumed on 2020-03-17 (not before), all 473 on 2020-03-26."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from include.config import load_city_config
from include.daily_pipeline import county_daily_table
from include.demo import generate_demo, write_demo_landing
from include.operator_cli import nightly_logical_date
from tests.conftest import use_warehouse

CITY_CODE = "440200"


@pytest.fixture(scope="module")
def demo_dag(tmp_path_factory, airflow_db):
    root = tmp_path_factory.mktemp("demo")
    env = {
        "CITYSTATS_LANDING": str(root / "landing"),
        "CITYSTATS_PUBLISH": str(root / "published"),
        "CITYSTATS_STATE": str(root / "state"),
    }
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("CITYSTATS_CITY_CONFIG", raising=False)
        for name, value in env.items():
            patch.setenv(name, value)
        use_warehouse(patch, f"sqlite:///{root / 'warehouse.sqlite'}")
        write_demo_landing(root / "landing", generate_demo(load_city_config()))
        from airflow.dag_processing.dagbag import DagBag

        from tests.conftest import REPO

        bag = DagBag(dag_folder=str(REPO / "dags" / "city_daily_report.py"))
        yield bag.get_dag("city_daily_report")


def city_row(dag, day: str) -> dict:
    run = dag.test(logical_date=nightly_logical_date(date.fromisoformat(day)))
    assert str(run.state).endswith("success")
    table = county_daily_table(day)
    assert set(table["status"]) == {"accepted"}, "every county must count on a milestone date"
    return table[table["county_code"] == CITY_CODE].iloc[0].to_dict()


@pytest.mark.airflow
def test_all_key_enterprises_resumed_on_17_march_and_not_before(demo_dag):
    before, on = city_row(demo_dag, "2020-03-16"), city_row(demo_dag, "2020-03-17")
    assert (on["key_resumed"], on["key_in_scope"]) == (50, 50)
    assert before["key_resumed"] < 50 and before["key_in_scope"] == 50
    assert "50家重点企业全部复工" in briefing("2020-03-17")
    assert f"50家重点企业已复工{before['key_resumed']}家" in briefing("2020-03-16")
    ledger = pd.read_csv(published("2020-03-16") / "key_enterprises.csv", dtype=str)
    left = 50 - before["key_resumed"]
    assert len(ledger) == 50
    assert list(ledger["resumed"]) == ["False"] * left + ["True"] * (50 - left)


def published(day: str) -> Path:
    return Path(os.environ["CITYSTATS_PUBLISH"]) / "daily" / day


def briefing(day: str) -> str:
    return (published(day) / "briefing.txt").read_text(encoding="utf-8")


@pytest.mark.airflow
def test_all_473_resumed_on_26_march_and_not_before(demo_dag):
    before, on = city_row(demo_dag, "2020-03-25"), city_row(demo_dag, "2020-03-26")
    assert (on["enterprises_resumed"], on["enterprises_in_scope"]) == (473, 473)
    assert on["resumption_rate"] == 1.0
    assert before["enterprises_resumed"] < 473 and before["enterprises_in_scope"] == 473
