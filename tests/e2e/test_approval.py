"""Approval and locking (DHIS2's data approval as the model): an approved date's resubmission
is received and checked but held, not merged or published; after an unlock the next run
publishes it as the next revision, which awaits approval again. The steps run as the daily
DAG's tasks call them, on the tiny city."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from include import approval, daily_pipeline, operator_cli, warehouse
from include.alerts import AlertSettings
from include.approval import ApprovalRefused
from include.approval_pipeline import approve_or_unlock
from include.context import RunContext
from include.tables import held_submissions, period_approvals, submissions_log
from tests.alert_receivers import webhook_receiver
from tests.e2e.tiny_city import CITY, E1, EAST, N1, NORTH, W1, W2, WEST, use_tiny_city
from tests.html_checks import PageParts

DAY, NEXT_DAY = "2020-03-17", "2020-03-18"
WEST_FIRST = [
    (W1, True, "2020-03-16", 200, 100, 50, 0, 1, None),
    (W2, True, "2020-03-01", 40, 40, 100, 0, 0, None),
]
WEST_CORRECTED = [WEST_FIRST[0], (W2, True, "2020-03-01", 40, 20, 100, 0, 0, None)]
AT = datetime(2020, 3, 18, 9, 0, tzinfo=UTC)


@pytest.fixture
def webhook():
    with webhook_receiver() as receiver:
        yield receiver


@pytest.fixture
def city(tmp_path, monkeypatch, webhook):
    landing = use_tiny_city(tmp_path, monkeypatch)
    landing.daily_csv(DAY, EAST, [(E1, True, "2020-03-10", 100, 90, 80, 5, 0, None)])
    landing.daily_csv(DAY, WEST, WEST_FIRST)
    landing.daily_csv(DAY, NORTH, [(N1, False, None, 30, 0, 0, 0, 0, None)])
    url, received = webhook
    run = replace(RunContext.from_env(), alerts=AlertSettings(webhook=url))
    return run, landing, received


def run_date(run: RunContext, day: str = DAY) -> Path:
    """discover → check → stage → merge → publish, as the daily DAG's tasks call them."""
    checked = [
        daily_pipeline.check_daily_counties(run, chunk)
        for chunk in daily_pipeline.discover_daily_submissions(run, day)
    ]
    daily_pipeline.stage_daily_submissions(run, day, checked)
    daily_pipeline.merge_daily(run, day)
    return Path(daily_pipeline.publish_daily(run, day))


def revisions(folder: Path) -> dict[str, int]:
    table = pd.read_csv(folder / "county_daily.csv", dtype={"county_code": str})
    return dict(zip(table["county_code"], table["revision"], strict=True))


def report_text(folder: Path) -> str:
    return " ".join(PageParts((folder / "report.html").read_text("utf-8")).text)


def index_text(run: RunContext) -> str:
    page = (Path(run.settings.publish) / "index.html").read_text("utf-8")
    return " ".join(PageParts(page).text)


def test_approve_resubmit_hold_unlock_and_republish(city):
    run, landing, alerts = city
    folder = run_date(run)
    assert revisions(folder)[WEST] == 1

    event = approve_or_unlock(run, DAY, "approve", "张三", AT)
    assert (event.kind, event.revision, event.actor) == ("daily", 1, "张三")
    assert "已审定（张三审定第1版）" in report_text(folder)
    assert "已审定（张三审定第1版）" in index_text(run)
    approved_csv = (folder / "county_daily.csv").read_bytes()
    log_before = warehouse.read_partition(run.engine, submissions_log)

    # 西区 corrects W2's staff on site (40 → 20): the look-back sees it, the run holds it.
    landing.daily_csv(DAY, WEST, WEST_CORRECTED, arrived="21:30")
    [request] = daily_pipeline.republish_requests(run, NEXT_DAY)
    assert request["held"] == "period approved"
    assert request["trigger_run_id"].endswith("__a1")
    folder = run_date(run)

    assert (folder / "county_daily.csv").read_bytes() == approved_csv
    assert revisions(folder)[WEST] == 1
    pd.testing.assert_frame_equal(warehouse.read_partition(run.engine, submissions_log), log_before)
    held = warehouse.read_partition(run.engine, held_submissions)
    assert held[["period", "county_code", "outcome"]].values.tolist() == [[DAY, WEST, "accepted"]]
    text = report_text(folder)
    assert "西区" in text[text.index("以下更正已接收并校验") :]
    [alert] = alerts
    assert alert["kind"] == "correction_held"
    assert alert["held_counties"] == [{"code": WEST, "name": "西区"}]
    assert "make unlock PERIOD=2020-03-17" in alert["text"]

    # The same held correction seen again (a rerun of the date) is not alerted twice.
    run_date(run)
    assert len(alerts) == 1

    approve_or_unlock(run, DAY, "unlock", "张三", AT)
    assert "待审定" in report_text(folder)
    # The unlock is a new event: the look-back asks for one more run of the date.
    [request] = daily_pipeline.republish_requests(run, NEXT_DAY)
    assert "held" not in request and request["trigger_run_id"].endswith("__a2")
    folder = run_date(run)
    assert revisions(folder) == {EAST: 1, WEST: 2, NORTH: 1, CITY: 2}
    assert warehouse.read_partition(run.engine, held_submissions).empty
    assert "待审定（张三已解锁第1版" in report_text(folder)

    event = approve_or_unlock(run, DAY, "approve", "李四", AT)
    assert event.revision == 2 and event.sequence == 3
    assert "已审定（李四审定第2版）" in report_text(folder)
    events = warehouse.read_partition(run.engine, period_approvals, order_by=["sequence"])
    assert events[["action", "revision", "actor"]].values.tolist() == [
        ["approve", 1, "张三"],
        ["unlock", 1, "张三"],
        ["approve", 2, "李四"],
    ]


def test_what_cannot_be_approved_or_unlocked_is_refused_with_the_reason(city):
    run, _, _ = city
    with pytest.raises(ApprovalRefused, match="has not been published"):
        approve_or_unlock(run, DAY, "approve", "张三", AT)
    run_date(run)
    with pytest.raises(ApprovalRefused, match="not approved"):
        approve_or_unlock(run, DAY, "unlock", "张三", AT)
    with pytest.raises(ApprovalRefused, match="who approves"):
        approve_or_unlock(run, DAY, "approve", " ", AT)
    approve_or_unlock(run, DAY, "approve", "张三", AT)
    # The same approval again (a retried task) records nothing more; another's is refused.
    assert approve_or_unlock(run, DAY, "approve", "张三", AT).sequence == 1
    with pytest.raises(ApprovalRefused, match="already approved"):
        approve_or_unlock(run, DAY, "approve", "李四", AT)
    with pytest.raises(ValueError, match="neither a data date"):
        approval.kind_of_period("2020-13-01")
    assert approval.kind_of_period("2020Q2") == "quarterly"


def test_make_approve_and_unlock(city, capsys):
    run, _, _ = city
    run_date(run)
    assert operator_cli.main(["approve", "--period", DAY, "--by", "张三"]) == 0
    assert "已审定（张三审定第1版）" in capsys.readouterr().out
    assert operator_cli.main(["approve", "--period", DAY, "--by", "李四"]) == 2
    assert "already approved" in capsys.readouterr().err
    assert operator_cli.main(["unlock", "--period", DAY, "--by", "张三"]) == 0
    assert f"make backfill FROM={DAY} TO={DAY}" in capsys.readouterr().out


def test_a_held_resubmission_is_still_checked(city):
    run, landing, _ = city
    run_date(run)
    approve_or_unlock(run, DAY, "approve", "张三", AT)
    landing.daily_csv(DAY, WEST, [(W1, True, "2020-03-16", 200, 300, 50, 0, 1, None)])
    folder = run_date(run)
    held = warehouse.read_partition(run.engine, held_submissions)
    # A held file is still checked: this one is rejected (300 on site of 200 staff).
    assert held["outcome"].tolist() == ["rejected"] and held["error_count"].iloc[0] >= 1
    text = report_text(folder)
    assert "西区" in text and "校验未通过" in text
    receipt = (folder / f"receipts/{WEST}.txt").read_text("utf-8")
    assert "待解锁的更正：" in receipt and "校验未通过。本期已审定锁定" in receipt
    assert "待解锁的更正" not in (folder / f"receipts/{EAST}.txt").read_text("utf-8")


@pytest.mark.airflow
def test_the_approval_dag_records_and_republishes(city, airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    from tests.conftest import REPO

    run, _, _ = city
    folder = run_date(run)
    bag = DagBag(dag_folder=str(REPO / "dags" / "citystats_approval.py"))
    assert bag.import_errors == {}
    dag = bag.get_dag("citystats_approval")
    dag_run = dag.test(run_conf={"period": DAY, "action": "approve", "by": "王五"})
    assert str(dag_run.state).endswith("success")
    assert "已审定（王五审定第1版）" in report_text(folder)
    refused = dag.test(run_conf={"period": "2020Q2", "action": "approve", "by": "王五"})
    assert str(refused.state).endswith("failed")  # nothing of 2020Q2 is published
