"""city_quarterly_report through Airflow (`dag.test`) in a made-up three-county city: two
quarters with a rejected, a late and a warned-about file, a rerun and a resubmission; then
the roll-up of the daily series and a daily republication that moves it."""

from __future__ import annotations

import csv
import io
import os
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from include.operator_cli import nightly_logical_date
from tests.conftest import REPO
from tests.e2e.tiny_city import (
    CITY,
    E1,
    E2,
    EAST,
    N1,
    NAMES,
    NORTH,
    REGISTRY,
    TZ,
    W1,
    W2,
    WEST,
    use_tiny_city,
)

INDUSTRY = {row[0]: row[4] for row in REGISTRY}
QUARTERLY_HEADER = [
    "report_quarter",
    "county_code",
    "enterprise_id",
    "enterprise_name",
    "industry_code",
    "output_value",
    "value_added",
    "output_value_prior",
    "value_added_prior",
]
CHINESE_HEADER = [
    "报告期",
    "区县代码",
    "统一社会信用代码",
    "企业名称",
    "行业代码",
    "工业总产值(万元)",
    "工业增加值(万元)",
    "上年同期工业总产值(万元)",
    "上年同期工业增加值(万元)",
]
ON_TIME_Q1 = datetime(2020, 4, 10, 10, 0, tzinfo=TZ)
ON_TIME_Q2 = datetime(2020, 7, 10, 10, 0, tzinfo=TZ)
AFTER_Q2_DEADLINE = datetime(2020, 7, 16, 2, 0, tzinfo=TZ)  # due by the end of 15 July

# (enterprise, output, value added, output a year earlier, value added a year earlier)
EAST_Q1 = [(E1, 100.0, 30.0, 120.0, 33.0), (E2, 50.5, 10.0, 49.5, 9.0)]
WEST_Q1 = [(W1, 200.0, 60.0, 210.0, 62.0), (W2, 10.0, 2.5, 10.0, 2.5)]
NORTH_Q1 = [(N1, 80.0, 20.0, 300.0, 21.0)]  # output fell from 300 to 80: an outlier warning
EAST_Q2 = [(E1, 130.0, 35.0, 125.0, 34.0), (E2, 60.0, 12.0, 55.0, 11.0)]
WEST_Q2 = [(W1, 220.0, 66.0, 200.0, 61.0), (W2, 12.0, 3.0, 11.0, 2.75)]
NORTH_Q2_BAD = [(N1, 90.0, 95.0, 85.0, 20.0)]  # value added above output: rejected
NORTH_Q2_FIXED = [(N1, 90.0, 19.0, 85.0, 20.0)]

FIGURES = [
    "status",
    "enterprises_reported",
    "output_value",
    "output_value_prior",
    "output_yoy_pct",
    "value_added",
    "value_added_prior",
    "value_added_yoy_pct",
    "output_value_ytd",
    "output_value_ytd_prior",
    "output_ytd_yoy_pct",
    "value_added_ytd",
    "value_added_ytd_prior",
    "value_added_ytd_yoy_pct",
]
N = None


def figures(status: str, reported: int | None, quarter: tuple, ytd: tuple | None) -> tuple:
    """FIGURES in order from the hand-added sums (output, its prior, value added, its prior)
    of the quarter and of the year to date; the growth rates follow from them."""

    def with_growth(sums: tuple | None) -> tuple:
        if sums is None:
            return (N,) * 6
        output, output_prior, added, added_prior = sums
        growth = [(output / output_prior - 1) * 100, (added / added_prior - 1) * 100]
        return (output, output_prior, growth[0], added, added_prior, growth[1])

    return (status, reported, *with_growth(quarter), *with_growth(ytd))


# Worked out by hand from the files above: quarter sums, Q1 + Q2 for the year to date.
EXPECTED_Q2 = {
    EAST: figures("accepted", 2, (190.0, 180.0, 47.0, 45.0), (340.5, 349.5, 87.0, 87.0)),
    WEST: figures("accepted", 2, (232.0, 211.0, 69.0, 63.75), (442.0, 431.0, 131.5, 128.25)),
    NORTH: figures("rejected", N, None, None),
    # the accepted counties for the quarter, the complete ones (east, west) for the year
    CITY: figures("partial", 4, (422.0, 391.0, 116.0, 108.75), (782.5, 780.5, 218.5, 215.25)),
}
EXPECTED_Q2_AFTER_NORTH_FIXED = {
    NORTH: figures("accepted", 1, (90.0, 85.0, 19.0, 20.0), (170.0, 385.0, 39.0, 41.0)),
    CITY: figures("accepted", 5, (512.0, 476.0, 135.0, 128.75), (952.5, 1165.5, 257.5, 256.25)),
}


def land_quarterly(
    landing: Path, quarter: str, county: str, rows, arrived: datetime, chinese: bool = False
) -> Path:
    """A county's quarterly file: English CSV, or GB18030 with a title row and Chinese headers."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if chinese:
        writer.writerow([f"示例市规模以上工业企业主要经济指标季报表（{county}）"])
    writer.writerow(CHINESE_HEADER if chinese else QUARTERLY_HEADER)
    for eid, output, added, *priors in rows:
        writer.writerow([quarter, county, eid, NAMES[eid], INDUSTRY[eid], output, added, *priors])
    content = buffer.getvalue().encode("gb18030" if chinese else "utf-8")
    path = landing / "quarterly" / quarter / f"{county}{'_季报' if chinese else ''}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    os.utime(path, (arrived.timestamp(), arrived.timestamp()))
    return path


@pytest.fixture
def city_env(tmp_path, monkeypatch, airflow_db):
    return tmp_path, use_tiny_city(tmp_path, monkeypatch)


def load_dag(dag_file: str, dag_id: str):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags" / dag_file))
    assert bag.import_errors == {}
    return bag.get_dag(dag_id)


@pytest.fixture
def quarterly_dag(city_env):
    return load_dag("city_quarterly_report.py", "city_quarterly_report")


@pytest.fixture
def two_quarters_landed(city_env):
    tmp_path, _ = city_env
    landing = tmp_path / "landing"
    land_quarterly(landing, "2020Q1", EAST, EAST_Q1, ON_TIME_Q1)
    land_quarterly(landing, "2020Q1", WEST, WEST_Q1, ON_TIME_Q1)
    land_quarterly(landing, "2020Q1", NORTH, NORTH_Q1, ON_TIME_Q1, chinese=True)
    land_quarterly(landing, "2020Q2", EAST, EAST_Q2, ON_TIME_Q2)
    land_quarterly(landing, "2020Q2", WEST, WEST_Q2, AFTER_Q2_DEADLINE)
    land_quarterly(landing, "2020Q2", NORTH, NORTH_Q2_BAD, ON_TIME_Q2, chinese=True)
    return tmp_path


def run_quarter(dag, quarter: str):
    dag_run = dag.test(run_conf={"quarter": quarter})
    assert str(dag_run.state).endswith("success"), quarter
    return dag_run


def published_csv(tmp_path: Path, folder: str, quarter: str, name: str) -> pd.DataFrame:
    path = tmp_path / "published" / folder / quarter / name
    return pd.read_csv(path, dtype={"county_code": str}).set_index("county_code")


def published_files(tmp_path: Path, quarter: str) -> dict[str, bytes]:
    folder = tmp_path / "published" / "quarterly" / quarter
    files = (p for p in sorted(folder.rglob("*")) if p.is_file())  # receipts/ too
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in files}


def assert_figures(table: pd.DataFrame, expected: dict[str, tuple]) -> None:
    for county, values in expected.items():
        for column, want in zip(FIGURES, values, strict=True):
            got = table.loc[county, column]
            if want is None:
                assert pd.isna(got), (county, column, got)
            elif isinstance(want, float):
                assert got == pytest.approx(want), (county, column)
            else:
                assert got == want, (county, column)


def run_two_quarters_and_check(dag, tmp_path: Path) -> None:
    from include.quarterly_pipeline import QUARTERLY
    from include.submissions import report_outcomes

    run_quarter(dag, "2020Q1")
    run_quarter(dag, "2020Q2")

    q1 = published_csv(tmp_path, "quarterly", "2020Q1", "county_quarterly.csv")
    assert list(q1["status"]) == ["accepted"] * 4
    # in the first quarter the year to date is the quarter
    assert list(q1["output_value_ytd"]) == list(q1["output_value"])
    q1_report = (tmp_path / "published/quarterly/2020Q1/validation_report.md").read_text("utf-8")
    assert "［output_value_year_on_year_outlier］" in q1_report and "300→80" in q1_report

    q2 = published_csv(tmp_path, "quarterly", "2020Q2", "county_quarterly.csv")
    assert list(q2.index) == [EAST, WEST, NORTH, CITY]
    assert set(q2["report_quarter"]) == {"2020Q2"} and set(q2["revision"]) == {1}
    assert_figures(q2, EXPECTED_Q2)

    report = (tmp_path / "published/quarterly/2020Q2/validation_report.md").read_text("utf-8")
    assert "［value_added_not_above_output］" in report and "990104\\_季报\\.csv" in report
    assert "工业增加值大于工业总产值（工业增加值 95，工业总产值 90）" in report
    quarantined = tmp_path / "state/quarantine/quarterly/2020Q2/990104"
    assert (quarantined / "990104_季报.csv").exists()
    assert "工业增加值大于工业总产值" in (quarantined / "reasons.txt").read_text("utf-8")
    outcomes = {o["county_code"]: o for o in report_outcomes(QUARTERLY, "2020Q2")}
    assert outcomes[WEST]["on_time"] is False and outcomes[WEST]["outcome"] == "accepted"
    assert outcomes[EAST]["on_time"] is True


@pytest.mark.airflow
def test_two_quarters_on_sqlite(quarterly_dag, two_quarters_landed):
    run_two_quarters_and_check(quarterly_dag, two_quarters_landed)


@pytest.mark.airflow
@pytest.mark.postgres
def test_two_quarters_on_postgres(
    quarterly_dag, two_quarters_landed, postgres_warehouse, monkeypatch
):
    monkeypatch.setenv("CITYSTATS_WAREHOUSE_URL", postgres_warehouse)
    run_two_quarters_and_check(quarterly_dag, two_quarters_landed)


@pytest.mark.airflow
def test_rerun_is_a_no_op_and_a_resubmission_moves_county_and_city(
    quarterly_dag, two_quarters_landed
):
    tmp_path = two_quarters_landed
    run_quarter(quarterly_dag, "2020Q1")
    run_quarter(quarterly_dag, "2020Q2")
    before = published_files(tmp_path, "2020Q2")

    run_quarter(quarterly_dag, "2020Q2")
    assert published_files(tmp_path, "2020Q2") == before

    land_quarterly(tmp_path / "landing", "2020Q2", NORTH, NORTH_Q2_FIXED, AFTER_Q2_DEADLINE, True)
    run_quarter(quarterly_dag, "2020Q2")
    q2 = published_csv(tmp_path, "quarterly", "2020Q2", "county_quarterly.csv")
    assert q2["revision"].to_dict() == {EAST: 1, WEST: 1, NORTH: 2, CITY: 2}
    assert_figures(q2, {**EXPECTED_Q2, **EXPECTED_Q2_AFTER_NORTH_FIXED})
    assert not (tmp_path / "state/quarantine/quarterly/2020Q2/990104").exists()


# Daily files of the last two days of 2020Q1:
# (enterprise, resumed, resumed on, staff, on site, capacity, masks, thermometers, difficulties)
DAILY_FILES = {
    "2020-03-30": {
        EAST: [
            (E1, True, "2020-03-10", 100, 90, 80, 5, 0, None),
            (E2, True, "2020-03-30", 50, 20, 30, 2, 0, None),
        ],
        WEST: [
            (W1, True, "2020-03-16", 200, 100, 50, 0, 1, None),
            (W2, True, "2020-03-01", 40, 40, 100, 0, 0, None),
        ],
        NORTH: [(N1, False, None, 30, 0, 0, 0, 0, None)],
    },
    "2020-03-31": {
        EAST: [
            (E1, True, "2020-03-10", 100, 95, 85, 3, 0, None),
            (E2, True, "2020-03-30", 50, 30, 40, 0, 0, None),
        ],
        WEST: [
            (W1, True, "2020-03-16", 200, 100, 50, 0, 1, None),
            (W2, True, "2020-03-01", 40, 40, 100, 0, 0, None),
        ],
        NORTH: [(N1, True, "2020-03-31", 30, 30, 100, 0, 0, "测温枪不足")],
    },
}


def run_as_asset_triggered(dag):
    """A run the daily publication triggers has no logical date and no quarter param."""
    dag_run = dag.test(logical_date=None)
    assert str(dag_run.state).endswith("success")
    return dag_run


@pytest.mark.airflow
def test_republishing_a_daily_date_of_a_finished_quarter_revises_the_roll_up(
    quarterly_dag, city_env
):
    from airflow.models.asset import AssetEvent, AssetModel, DagScheduleAssetReference
    from airflow.utils.session import create_session
    from sqlalchemy import select

    tmp_path, landing = city_env
    for day, files in DAILY_FILES.items():
        for county, rows in files.items():
            landing.daily_csv(day, county, rows)
    daily_dag = load_dag("city_daily_report.py", "city_daily_report")
    for day in DAILY_FILES:
        daily_run = daily_dag.test(logical_date=nightly_logical_date(date.fromisoformat(day)))
        assert str(daily_run.state).endswith("success"), day

    # each daily publication is an asset event the quarterly DAG is scheduled on
    with create_session() as session:
        asset_id = session.scalar(
            select(AssetModel.id).where(AssetModel.uri == "citystats://published/daily")
        )
        consumers = session.scalars(
            select(DagScheduleAssetReference.dag_id).where(
                DagScheduleAssetReference.asset_id == asset_id
            )
        ).all()
        events = session.scalars(
            select(AssetEvent.source_run_id).where(AssetEvent.asset_id == asset_id)
        ).all()
    assert "city_quarterly_report" in consumers
    assert len(events) >= 2

    dag_run = run_as_asset_triggered(quarterly_dag)
    assert dag_run.get_task_instance("merge_county_quarterly").state == "skipped"
    summary = published_csv(tmp_path, "daily_summary", "2020Q1", "county_quarter_daily_summary.csv")
    assert list(summary.index) == [EAST, WEST, NORTH, CITY]
    assert set(summary["revision"]) == {1}
    assert summary.loc[CITY, "enterprises_resumed"] == 5  # at quarter end, 03-31
    assert summary.loc[CITY, "resumed_in_quarter"] == 2  # E2 on 03-30, N1 on 03-31
    assert summary.loc[EAST, "mask_shortage_peak"] == 7  # 5 + 2 on 03-30
    assert summary.loc[WEST, "on_site_rate"] == pytest.approx(280 / 480)
    assert summary.loc[NORTH, "difficulties_reported"] == 1
    assert summary.loc[WEST, "days_on_time"] == 2

    # 西区 corrects W1's on-site staff for 03-30 after publication; the date is republished
    corrected = [
        (W1, True, "2020-03-16", 200, 150, 50, 0, 1, None),
        DAILY_FILES["2020-03-30"][WEST][1],
    ]
    landing.daily_csv("2020-03-30", WEST, corrected, arrived="23:50")
    republished = daily_dag.test(run_conf={"report_date": "2020-03-30", "look_back": False})
    assert str(republished.state).endswith("success")

    run_as_asset_triggered(quarterly_dag)
    summary = published_csv(tmp_path, "daily_summary", "2020Q1", "county_quarter_daily_summary.csv")
    assert summary["revision"].to_dict() == {EAST: 1, WEST: 2, NORTH: 1, CITY: 2}
    assert summary.loc[WEST, "on_site_rate"] == pytest.approx(330 / 480)
    assert summary.loc[WEST, "days_on_time"] == 1  # the correction came after the deadline

    before = (tmp_path / "published/daily_summary/2020Q1").resolve()
    run_as_asset_triggered(quarterly_dag)
    assert (tmp_path / "published/daily_summary/2020Q1").resolve() == before


def test_a_correction_of_q1_moves_q2s_year_to_date_by_itself(quarterly_dag, two_quarters_landed):
    tmp_path = two_quarters_landed
    run_quarter(quarterly_dag, "2020Q1")
    run_quarter(quarterly_dag, "2020Q2")
    # 东区 corrects its first quarter: E1's output 100 → 110 万元.
    corrected = [(E1, 110.0, 30.0, 120.0, 33.0), EAST_Q1[1]]
    land_quarterly(tmp_path / "landing", "2020Q1", EAST, corrected, AFTER_Q2_DEADLINE)
    run_quarter(quarterly_dag, "2020Q1")  # only Q1 is rerun

    q2 = published_csv(tmp_path, "quarterly", "2020Q2", "county_quarterly.csv")
    assert q2["revision"].to_dict() == {EAST: 2, WEST: 1, NORTH: 1, CITY: 2}
    by_industry = pd.read_parquet(tmp_path / "published/tables/industry_quarterly.parquet")
    q1_steel = by_industry[
        (by_industry["report_quarter"] == "2020Q1") & (by_industry["industry_code"] == "31")
    ]
    assert q1_steel["output_value"].tolist() == [110.0]  # E1, the corrected 东区 enterprise
    # The quarter's own figures stand; the year to date adds the corrected Q1 (+10 万元).
    ytd_east = (350.5, 349.5, 87.0, 87.0)
    ytd_city = (792.5, 780.5, 218.5, 215.25)
    assert_figures(
        q2,
        {
            **EXPECTED_Q2,
            EAST: figures("accepted", 2, (190.0, 180.0, 47.0, 45.0), ytd_east),
            CITY: figures("partial", 4, (422.0, 391.0, 116.0, 108.75), ytd_city),
        },
    )


def test_an_approved_quarter_holds_corrections_and_its_later_quarters_year_to_date(
    quarterly_dag, two_quarters_landed
):
    from include import warehouse
    from include.approval_pipeline import approve_or_unlock
    from include.context import RunContext
    from include.tables import held_submissions

    tmp_path = two_quarters_landed
    run_quarter(quarterly_dag, "2020Q1")
    run_quarter(quarterly_dag, "2020Q2")
    run = RunContext.from_env()
    at = datetime(2020, 7, 20, 9, 0, tzinfo=TZ)
    approve_or_unlock(run, "2020Q2", "approve", "张三", at)
    approved = published_csv(tmp_path, "quarterly", "2020Q2", "county_quarterly.csv")

    # 北区 fixes Q2, 东区 corrects Q1: Q1 moves, the approved Q2 stays as approved.
    land_quarterly(tmp_path / "landing", "2020Q2", NORTH, NORTH_Q2_FIXED, AFTER_Q2_DEADLINE, True)
    corrected = [(E1, 110.0, 30.0, 120.0, 33.0), EAST_Q1[1]]
    land_quarterly(tmp_path / "landing", "2020Q1", EAST, corrected, AFTER_Q2_DEADLINE)
    run_quarter(quarterly_dag, "2020Q2")
    run_quarter(quarterly_dag, "2020Q1")
    q2 = published_csv(tmp_path, "quarterly", "2020Q2", "county_quarterly.csv")
    pd.testing.assert_frame_equal(q2, approved)
    held = warehouse.read_partition(run.engine, held_submissions)
    assert held[["period", "county_code", "outcome"]].values.tolist() == [
        ["2020Q2", NORTH, "accepted"]
    ]
    report = (tmp_path / "published/quarterly/2020Q2/report.html").read_text("utf-8")
    assert "已审定（张三审定第1版）" in report and "北区" in report[report.index("以下更正") :]

    approve_or_unlock(run, "2020Q2", "unlock", "张三", at)
    run_quarter(quarterly_dag, "2020Q2")
    q2 = published_csv(tmp_path, "quarterly", "2020Q2", "county_quarterly.csv")
    assert q2["revision"].to_dict() == {EAST: 2, WEST: 1, NORTH: 2, CITY: 2}
