"""city_daily_report through Airflow (`dag.test`) over three days of a made-up city:
good, late, missing, bad and stray files; then a rerun and a resubmission."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from include.context import RunContext
from include.daily_pipeline import DAILY, county_daily_table, republish_requests
from include.operator_cli import nightly_logical_date
from include.submissions import report_outcomes
from tests.e2e.tiny_city import CITY, E1, E2, EAST, N1, NORTH, W1, W2, WEST, use_tiny_city

DAYS = ["2020-03-16", "2020-03-17", "2020-03-18"]
EAST_0316 = [
    (E1, True, "2020-03-10", 100, 90, 80, 5, 0, "口罩不足"),
    (E2, False, None, 50, 0, 0, 0, 0, None),
]
EAST_LATER = [EAST_0316[0], (E2, True, "2020-03-17", 50, 20, 30, 0, 0, None)]
WEST_GOOD = [
    (W1, True, "2020-03-16", 200, 100, 50, 0, 1, None),
    (W2, True, "2020-03-01", 40, 40, 100, 0, 0, None),
]
WEST_BAD = [(W1, True, "2020-03-16", 200, 250, 50, 0, 1, None), WEST_GOOD[1]]
NORTH_0316 = [(N1, False, None, 30, 0, 0, 0, 0, None)]
NORTH_0318 = [(N1, True, "2020-03-18", 30, 30, 100, 0, 0, None)]

COLUMNS = [
    "status",
    "enterprises_in_scope",
    "enterprises_reported",
    "enterprises_resumed",
    "resumed_today",
    "resumption_rate",
    "key_in_scope",
    "key_resumed",
    "employees_total",
    "employees_on_site",
    "capacity_pct",
    "mask_shortage",
    "thermometer_shortage",
    "difficulties_reported",
]
N = None
# Worked out by hand from the files above (capacity: mean over resumed rows weighted by staff).
EXPECTED = {
    "2020-03-16": {
        EAST: ("accepted", 2, 2, 1, 0, 0.5, 1, 1, 150, 90, 80.0, 5, 0, 1),
        WEST: ("accepted", 2, 2, 2, 1, 1.0, 1, 1, 240, 140, 14000 / 240, 0, 1, 0),
        NORTH: ("accepted", 1, 1, 0, 0, 0.0, 0, 0, 30, 0, N, 0, 0, 0),
        CITY: ("accepted", 5, 5, 3, 1, 0.6, 2, 2, 420, 230, 22000 / 340, 5, 1, 1),
    },
    "2020-03-17": {
        EAST: ("accepted", 2, 2, 2, 1, 1.0, 1, 1, 150, 110, 9500 / 150, 5, 0, 1),
        WEST: ("accepted", 2, 2, 2, 0, 1.0, 1, 1, 240, 140, 14000 / 240, 0, 1, 0),
        NORTH: ("missing", 1, N, N, N, N, 0, N, N, N, N, N, N, N),
        CITY: ("partial", 5, 4, 4, 1, 0.8, 2, 2, 390, 250, 23500 / 390, 5, 1, 1),
    },
    "2020-03-18": {
        EAST: ("accepted", 2, 2, 2, 0, 1.0, 1, 1, 150, 110, 9500 / 150, 5, 0, 1),
        WEST: ("rejected", 2, N, N, N, N, 1, N, N, N, N, N, N, N),
        NORTH: ("accepted", 1, 1, 1, 1, 1.0, 0, 0, 30, 30, 100.0, 0, 0, 0),
        CITY: ("partial", 5, 3, 3, 1, 0.6, 2, 1, 180, 140, 12500 / 180, 5, 0, 1),
    },
}


@pytest.fixture
def city_env(tmp_path, monkeypatch, airflow_db):
    landing = use_tiny_city(tmp_path, monkeypatch)
    landing.daily_csv("2020-03-16", EAST, EAST_0316)
    landing.daily_csv("2020-03-16", WEST, WEST_GOOD)
    landing.daily_csv("2020-03-16", NORTH, NORTH_0316)
    landing.daily_csv("2020-03-17", EAST, EAST_LATER)
    landing.daily_csv("2020-03-17", WEST, WEST_GOOD, arrived="21:30")  # after the deadline
    landing.daily_csv("2020-03-18", EAST, EAST_LATER)
    landing.daily_csv("2020-03-18", WEST, WEST_BAD)
    landing.daily_xlsx("2020-03-18", NORTH, NORTH_0318)
    landing.stray("2020-03-18", "990199_retired.csv")
    return tmp_path, landing


@pytest.fixture
def daily_dag(city_env):
    from airflow.dag_processing.dagbag import DagBag

    from tests.conftest import REPO

    bag = DagBag(dag_folder=str(REPO / "dags" / "city_daily_report.py"))
    assert bag.import_errors == {}
    return bag.get_dag("city_daily_report")


def run(dag, day: str):
    dag_run = dag.test(logical_date=nightly_logical_date(date.fromisoformat(day)))
    assert str(dag_run.state).endswith("success"), day
    return dag_run


def triggered_runs(run_id: str):
    from airflow.models import DagRun

    return DagRun.find(dag_id="city_daily_report", run_id=run_id)


def county_daily(day: str) -> pd.DataFrame:
    return county_daily_table(day).set_index("county_code")


def assert_rows(day: str) -> None:
    table = county_daily(day)
    assert list(table.index) == [EAST, WEST, NORTH, CITY]
    for county, expected in EXPECTED[day].items():
        actual = table.loc[county, COLUMNS].tolist()
        for column, want, got in zip(COLUMNS, expected, actual, strict=True):
            if want is None:
                assert pd.isna(got), (day, county, column, got)
            elif isinstance(want, float):
                assert got == pytest.approx(want), (day, county, column)
            else:
                assert got == want, (day, county, column)


def published(tmp_path: Path, day: str) -> dict[str, bytes]:
    folder = tmp_path / "published" / "daily" / day
    files = (p for p in sorted(folder.rglob("*")) if p.is_file())  # receipts/ too
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in files}


def run_three_days_and_check(dag, tmp_path):
    for day in DAYS:
        run(dag, day)
    for day in DAYS:
        assert_rows(day)
        assert set(county_daily(day)["revision"]) == {1}
        csv = pd.read_csv(
            tmp_path / "published" / "daily" / day / "county_daily.csv", dtype={"county_code": str}
        )
        assert list(csv["county_code"]) == [EAST, WEST, NORTH, CITY]

    outcomes = {o["county_code"]: o for o in report_outcomes(DAILY, "2020-03-17")}
    assert outcomes[WEST]["on_time"] is False and outcomes[EAST]["on_time"] is True
    assert outcomes[NORTH]["outcome"] == "missing" and outcomes[NORTH]["file_name"] is None

    report = (tmp_path / "published/daily/2020-03-18/validation_report.md").read_text("utf-8")
    # the markdown escapes "." so that no name can become a link
    assert "990103\\.csv：第2行：在岗人数大于职工总数（在岗人数 250，职工总数 200），" in report
    assert "［employees_on_site_not_above_total］" in report
    assert "990199_retired\\.csv：文件未处理：990199是已撤销的区划代码" in report
    quarantined = tmp_path / "state/quarantine/daily/2020-03-18/990103"
    assert (quarantined / "990103.csv").exists()
    reasons = (quarantined / "reasons.txt").read_text("utf-8")
    assert "990103.csv：第2行：在岗人数大于职工总数" in reasons


@pytest.mark.airflow
def test_three_days_on_sqlite(daily_dag, city_env):
    run_three_days_and_check(daily_dag, city_env[0])


@pytest.mark.airflow
@pytest.mark.postgres
def test_three_days_on_postgres(daily_dag, city_env, postgres_warehouse, monkeypatch):
    monkeypatch.setenv("CITYSTATS_WAREHOUSE_URL", postgres_warehouse)
    run_three_days_and_check(daily_dag, city_env[0])


@pytest.mark.airflow
def test_rerun_is_a_no_op_and_a_resubmission_is_revision_two(daily_dag, city_env):
    tmp_path, landing = city_env
    for day in DAYS:
        run(daily_dag, day)
    before = {day: published(tmp_path, day) for day in DAYS}
    link_before = (tmp_path / "published/daily/2020-03-17").resolve()

    run(daily_dag, "2020-03-17")
    assert published(tmp_path, "2020-03-17") == before["2020-03-17"]
    assert (tmp_path / "published/daily/2020-03-17").resolve() == link_before
    assert set(county_daily("2020-03-17")["revision"]) == {1}

    # 西区 corrects W2's on-site staff for 03-17 after publication
    corrected = [WEST_GOOD[0], (W2, True, "2020-03-01", 40, 20, 100, 0, 0, None)]
    landing.daily_csv("2020-03-17", WEST, corrected, arrived="23:50")
    requests = republish_requests(RunContext.from_env(), "2020-03-18")
    assert [r["conf"] for r in requests] == [{"report_date": "2020-03-17", "look_back": False}]
    # same change, same run id
    assert republish_requests(RunContext.from_env(), "2020-03-18") == requests

    # the next nightly run notices it and triggers a republish run of 03-17 by itself
    run(daily_dag, "2020-03-18")
    triggered = triggered_runs(requests[0]["trigger_run_id"])
    assert [r.conf for r in triggered] == [requests[0]["conf"]]

    run(daily_dag, "2020-03-17")
    table = county_daily("2020-03-17")
    assert table["revision"].to_dict() == {EAST: 1, WEST: 2, NORTH: 1, CITY: 2}
    assert table.loc[WEST, "employees_on_site"] == 120
    assert table.loc[CITY, "employees_on_site"] == 230
    assert republish_requests(RunContext.from_env(), "2020-03-18") == []
    assert published(tmp_path, "2020-03-16") == before["2020-03-16"]
    assert published(tmp_path, "2020-03-18") == before["2020-03-18"]
