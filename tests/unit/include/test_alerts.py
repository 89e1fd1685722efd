"""Alerts reach the configured webhook and mail server, say what failed and where, and a
backfill does not repeat the nightly's missing-county alert."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from urllib.error import URLError

import pandas as pd
import pytest

from include import alerts, warehouse
from include.alerts import Alert, TaskFailureNotifier, alert_missing_counties, send
from include.context import RunContext
from include.tables import submissions_log
from tests.alert_receivers import smtp_receiver, webhook_receiver
from tests.conftest import use_warehouse
from tests.e2e.tiny_city import CITY_TOML, EAST, NORTH, WEST

ALERT = Alert("counties_missing", "citystats: 1 counties missing", "北区 sent nothing", {"n": 1})


def failure_context(exception=None) -> dict:
    ti = SimpleNamespace(
        dag_id="city_daily_report",
        run_id="scheduled__2020-03-17T14:00:00+00:00",
        task_id="check_county",
        map_index=2,
        try_number=3,
        log_url="http://airflow.example/dags/city_daily_report/runs/x/tasks/check_county",
    )
    return {
        "ti": ti,
        "logical_date": datetime(2020, 3, 17, 14, tzinfo=UTC),
        "exception": exception,
    }


@pytest.fixture
def webhook():
    with webhook_receiver() as receiver:
        yield receiver


@pytest.fixture
def smtp_server():
    with smtp_receiver() as receiver:
        yield receiver


@pytest.fixture
def no_destinations(monkeypatch):
    for name in alerts.ALERT_SETTINGS:
        monkeypatch.delenv(name, raising=False)


def test_without_destinations_an_alert_is_only_logged(no_destinations, caplog):
    assert send(ALERT) == []
    assert "北区 sent nothing" in caplog.text


def test_the_webhook_receives_the_alert_as_json(no_destinations, webhook, monkeypatch):
    url, received = webhook
    monkeypatch.setenv(alerts.WEBHOOK, url)
    assert send(ALERT) == ["webhook"]
    assert received == [
        {
            "source": "citystats",
            "kind": "counties_missing",
            "subject": "citystats: 1 counties missing",
            "text": "北区 sent nothing",
            "n": 1,
        }
    ]


def test_mail_goes_to_every_recipient(no_destinations, smtp_server, monkeypatch):
    port, received = smtp_server
    monkeypatch.setenv("CITYSTATS_ALERT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CITYSTATS_ALERT_SMTP_PORT", str(port))
    monkeypatch.setenv("CITYSTATS_ALERT_SMTP_FROM", "citystats@stats.example")
    monkeypatch.setenv("CITYSTATS_ALERT_SMTP_TO", "duty@stats.example, lead@stats.example")
    assert send(ALERT) == ["email"]
    [(recipients, message)] = received
    assert recipients == ["duty@stats.example", "lead@stats.example"]
    assert message["Subject"] == "citystats: 1 counties missing"
    assert message["From"] == "citystats@stats.example"
    assert "北区 sent nothing" in message.get_content()


def test_an_unreachable_destination_is_an_error(no_destinations, monkeypatch):
    monkeypatch.setenv(alerts.WEBHOOK, "http://127.0.0.1:9/nobody-listens")
    with pytest.raises(URLError):
        send(ALERT)


def test_failure_notifier_says_which_task_failed_and_links_its_log(
    no_destinations, webhook, monkeypatch
):
    url, received = webhook
    monkeypatch.setenv(alerts.WEBHOOK, url)
    TaskFailureNotifier()(failure_context(ValueError("registry/enterprises.csv is empty")))
    [payload] = received
    assert payload["kind"] == "task_failed"
    assert payload["subject"] == "citystats: city_daily_report.check_county[2] failed"
    assert payload["error"] == "registry/enterprises.csv is empty"
    assert payload["try_number"] == 3
    assert payload["logical_date"] == "2020-03-17T14:00:00+00:00"
    assert payload["log_url"] in payload["text"]


def test_failure_of_a_lost_worker_is_named_as_such(no_destinations):
    alert = alerts.task_failure_alert(failure_context(exception=None))
    assert "worker stopped" in alert.text


@pytest.fixture
def tiny_city_warehouse(tmp_path, monkeypatch):
    config = tmp_path / "city.toml"
    config.write_text(CITY_TOML, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    monkeypatch.setenv("CITYSTATS_CITY_CONFIG", str(config))
    use_warehouse(monkeypatch, url)
    outcomes = {EAST: "accepted", WEST: "rejected", NORTH: "missing"}
    log = pd.DataFrame(
        [
            {"kind": "daily", "period": "2020-03-17", "county_code": code, "outcome": outcome}
            for code, outcome in outcomes.items()
        ]
    )
    with warehouse.engine_for(url).begin() as connection:
        warehouse.replace_partition(
            connection, submissions_log, {"kind": "daily", "period": "2020-03-17"}, log
        )


def test_missing_counties_are_alerted_by_the_nightly_run(
    no_destinations, tiny_city_warehouse, webhook, monkeypatch
):
    url, received = webhook
    monkeypatch.setenv(alerts.WEBHOOK, url)
    assert alert_missing_counties(RunContext.from_env(), "2020-03-17", "scheduled") == [NORTH]
    [payload] = received
    assert payload["missing_counties"] == [{"code": NORTH, "name": "北区"}]
    assert "1 of 3 counties" in payload["text"] and "23:30" in payload["text"]


def test_a_backfill_run_does_not_alert_again(
    no_destinations, tiny_city_warehouse, webhook, monkeypatch
):
    url, received = webhook
    monkeypatch.setenv(alerts.WEBHOOK, url)
    assert alert_missing_counties(RunContext.from_env(), "2020-03-17", "backfill") == [NORTH]
    assert received == []
