"""The demo's quarterly files through city_quarterly_report reproduce the city's published
H1 2020 figures (seed-figures.md): output 564.62 亿元 (−2.3 %), value added 148.05 亿元
(−0.7 %), read from the 2020Q2 city row's year-to-date columns."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from include.config import load_city_config
from include.demo import generate_demo
from include.demo.landing_writer import REGISTRY_PATH, registry_csv, render_submission
from include.demo.submissions import plan_quarterly_submissions
from tests.conftest import REPO, use_warehouse


@pytest.fixture
def demo_quarters_landed(tmp_path, monkeypatch, airflow_db):
    """The demo registry and quarterly files only (the daily files are not needed here)."""
    monkeypatch.delenv("CITYSTATS_CITY_CONFIG", raising=False)  # the default city: Shaoguan
    monkeypatch.setenv("CITYSTATS_LANDING", str(tmp_path / "landing"))
    monkeypatch.setenv("CITYSTATS_PUBLISH", str(tmp_path / "published"))
    monkeypatch.setenv("CITYSTATS_STATE", str(tmp_path / "state"))
    use_warehouse(monkeypatch, f"sqlite:///{tmp_path / 'warehouse.sqlite'}")
    dataset = generate_demo(load_city_config())
    registry = tmp_path / "landing" / REGISTRY_PATH
    registry.parent.mkdir(parents=True)
    registry.write_bytes(registry_csv(dataset.registry))
    for submission in plan_quarterly_submissions(dataset):
        path = tmp_path / "landing" / submission.relative_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(render_submission(submission))
        arrived = submission.arrives_at.timestamp()
        os.utime(path, (arrived, arrived))
    return tmp_path


@pytest.mark.airflow
def test_demo_h1_2020_city_row_reads_the_published_figures(demo_quarters_landed):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags" / "city_quarterly_report.py"))
    dag = bag.get_dag("city_quarterly_report")
    for quarter in ("2020Q1", "2020Q2"):
        assert str(dag.test(run_conf={"quarter": quarter}).state).endswith("success"), quarter

    published = demo_quarters_landed / "published/quarterly/2020Q2/county_quarterly.csv"
    table = pd.read_csv(published, dtype={"county_code": str}).set_index("county_code")
    city = load_city_config()
    assert set(table.loc[list(city.county_codes), "status"]) == {"accepted"}
    h1 = table.loc[city.code]
    assert h1["status"] == "accepted"
    assert h1["enterprises_reported"] == 473
    # 万元 in the table; the city published 亿元 to two decimals and growth to one
    assert round(h1["output_value_ytd"]) == 5_646_200
    assert f"{h1['output_value_ytd'] / 10_000:.2f}" == "564.62"
    assert f"{h1['output_ytd_yoy_pct']:.1f}" == "-2.3"
    assert round(h1["value_added_ytd"]) == 1_480_500
    assert f"{h1['value_added_ytd'] / 10_000:.2f}" == "148.05"
    assert f"{h1['value_added_ytd_yoy_pct']:.1f}" == "-0.7"
