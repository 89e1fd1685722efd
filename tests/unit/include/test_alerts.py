"""Alerts reach the configured webhook, chat robots and mail server, say in Chinese what
failed and where, and only the scheduled nightly run sends the missing-county alert."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import replace
from datetime import UTC, datetime
from types import SimpleNamespace
from urllib.error import URLError

import pandas as pd
import pytest

from include import alerts, warehouse
from include.alert_channels import RobotNotDelivered
from include.alerts import (
    Alert,
    AlertSettings,
    TaskFailureNotifier,
    alert_missing_counties,
    send,
)
from include.context import RunContext
from include.tables import submissions_log
from tests.alert_receivers import robot_receiver, smtp_receiver, webhook_receiver
from tests.conftest import use_warehouse
from tests.e2e.tiny_city import CITY_TOML, EAST, NORTH, WEST

ALERT = Alert("counties_missing", "citystats：1个区县未报送", "北区未报送\n请催报", {"n": 1})


def failure_context(exception=None) -> dict:
    ti = SimpleNamespace(
        dag_id="city_daily_report",
        run_id="scheduled__2020-03-17T14:00:00+00:00",
        task_id="check_counties",
        map_index=2,
        rendered_map_index="440203–440282",
        try_number=3,
        log_url="http://airflow.example/dags/city_daily_report/runs/x/tasks/check_counties",
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
def robots(monkeypatch):
    with robot_receiver(monkeypatch) as received:
        yield received


@pytest.fixture
def smtp_server():
    with smtp_receiver() as receiver:
        yield receiver


@pytest.fixture
def no_destinations(monkeypatch):
    for name in alerts.ALERT_SETTINGS:
        monkeypatch.delenv(name, raising=False)


def test_without_destinations_an_alert_is_only_logged(caplog):
    assert send(ALERT, AlertSettings()) == []
    assert "北区未报送" in caplog.text


def test_the_settings_are_read_from_the_deployment_environment():
    settings = AlertSettings.from_env(
        {
            alerts.WEBHOOK: "http://hooks.example/citystats",
            alerts.ROBOTS: "dingtalk://SECabc@token1/ wecombot://key1",
            "CITYSTATS_ALERT_SMTP_HOST": "mail.example",
            "CITYSTATS_ALERT_SMTP_PORT": "465",
            "CITYSTATS_ALERT_SMTP_TO": "duty@stats.example, ,lead@stats.example",
        }
    )
    assert settings.webhook == "http://hooks.example/citystats"
    assert settings.robots == "dingtalk://SECabc@token1/ wecombot://key1"
    assert settings.mail.recipients == ("duty@stats.example", "lead@stats.example")
    connection = settings.mail.connection()
    assert (connection.host, connection.port, connection.conn_type) == ("mail.example", 465, "smtp")
    assert connection.extra_dejson["disable_ssl"] is False  # 465 is SMTPS
    # Mail needs both a server and a recipient.
    assert AlertSettings.from_env({"CITYSTATS_ALERT_SMTP_HOST": "mail.example"}).mail is None


def test_the_webhook_receives_the_alert_as_json(webhook):
    url, received = webhook
    assert send(ALERT, AlertSettings(webhook=url)) == ["webhook"]
    assert received == [
        {
            "source": "citystats",
            "kind": "counties_missing",
            "subject": "citystats：1个区县未报送",
            "text": "北区未报送\n请催报",
            "n": 1,
        }
    ]


def test_a_dingtalk_robot_receives_a_text_message(robots):
    assert send(ALERT, AlertSettings(robots="dingtalk://0a1b2c3d/")) == ["robots"]
    [(path, query, body)] = robots
    assert path == "/robot/send" and query == {"access_token": ["0a1b2c3d"]}
    assert body["msgtype"] == "text"
    assert body["text"]["content"] == "citystats：1个区县未报送\r\n北区未报送\n请催报"
    assert body["at"] == {"atMobiles": [], "isAtAll": False}


def test_a_signed_dingtalk_robot_gets_a_valid_signature(robots):
    secret = "SEC0123456789abcdef"
    send(ALERT, AlertSettings(robots=f"dingtalk://{secret}@0a1b2c3d/"))
    [(_, query, body)] = robots
    [timestamp], [sign] = query["timestamp"], query["sign"]
    # DingTalk's 加签 rule: base64(HMAC-SHA256(secret, "<timestamp ms>\n<secret>")).
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert sign == expected
    assert body["text"]["content"].endswith("请催报")


def test_wecom_and_feishu_robots_receive_their_own_shapes(robots):
    settings = AlertSettings(robots="wecombot://wecomkey1 feishu://feishutoken1/")
    assert send(ALERT, settings) == ["robots"]
    by_path = {path: (query, body) for path, query, body in robots}
    query, wecom = by_path["/cgi-bin/webhook/send"]
    assert query == {"key": ["wecomkey1"]}
    assert wecom["msgtype"] == "text"
    assert "citystats：1个区县未报送" in wecom["text"]["content"]
    assert "北区未报送\n请催报" in wecom["text"]["content"]
    _, feishu = by_path["/open-apis/bot/v2/hook/feishutoken1/"]
    assert feishu == {
        "msg_type": "text",
        "content": {"text": "citystats：1个区县未报送\r\n北区未报送\n请催报"},
    }


def test_a_robot_that_cannot_be_reached_is_an_error(monkeypatch):
    with robot_receiver(monkeypatch):
        pass  # the robots point at a port nobody listens on any more
    with pytest.raises(RobotNotDelivered):
        send(ALERT, AlertSettings(robots="wecombot://wecomkey1"))


def test_a_robot_url_apprise_does_not_know_is_an_error():
    with pytest.raises(RobotNotDelivered, match="does not understand"):
        send(ALERT, AlertSettings(robots="dingding://nothing"))


def test_mail_goes_to_every_recipient_through_the_smtp_provider(smtp_server):
    port, received = smtp_server
    settings = AlertSettings.from_env(
        {
            "CITYSTATS_ALERT_SMTP_HOST": "127.0.0.1",
            "CITYSTATS_ALERT_SMTP_PORT": str(port),
            "CITYSTATS_ALERT_SMTP_FROM": "citystats@stats.example",
            "CITYSTATS_ALERT_SMTP_TO": "duty@stats.example, lead@stats.example",
        }
    )
    assert send(ALERT, settings) == ["email"]
    [(recipients, message)] = received
    assert recipients == ["duty@stats.example", "lead@stats.example"]
    assert message["Subject"] == "citystats：1个区县未报送"
    assert message["From"] == "citystats@stats.example"
    [part] = [p for p in message.walk() if p.get_content_type() == "text/html"]
    assert "北区未报送<br>" in part.get_content() and "请催报</p>" in part.get_content()


def test_an_unreachable_destination_is_an_error():
    with pytest.raises(URLError):
        send(ALERT, AlertSettings(webhook="http://127.0.0.1:9/nobody-listens"))


def test_failure_notifier_says_which_task_and_counties_failed_and_links_its_log(
    no_destinations, webhook, monkeypatch
):
    url, received = webhook
    monkeypatch.setenv(alerts.WEBHOOK, url)
    TaskFailureNotifier()(failure_context(ValueError("registry/enterprises.csv is empty")))
    [payload] = received
    assert payload["kind"] == "task_failed"
    assert payload["subject"] == (
        "citystats：city_daily_report.check_counties[2]（440203–440282） 失败"
    )
    assert payload["map_label"] == "440203–440282"
    assert "涉及：440203–440282" in payload["text"]
    assert "第3次尝试，已无重试" in payload["text"]
    assert payload["error"] == "registry/enterprises.csv is empty"
    assert payload["try_number"] == 3
    assert payload["logical_date"] == "2020-03-17T14:00:00+00:00"
    assert payload["log_url"] in payload["text"]


def test_failure_of_a_lost_worker_is_named_as_such():
    alert = alerts.task_failure_alert(failure_context(exception=None))
    assert "工作进程已停止" in alert.text


def test_failure_of_an_unmapped_task_names_no_counties():
    context = failure_context(ValueError("boom"))
    context["ti"].map_index = -1
    alert = alerts.task_failure_alert(context)
    assert alert.subject == "citystats：city_daily_report.check_counties 失败"
    assert "涉及" not in alert.text and alert.details["map_label"] is None


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


def test_missing_counties_are_alerted_by_the_nightly_run(tiny_city_warehouse, webhook):
    url, received = webhook
    run = replace(RunContext.from_env(), alerts=AlertSettings(webhook=url))
    assert alert_missing_counties(run, "2020-03-17", "scheduled") == [NORTH]
    [payload] = received
    assert payload["missing_counties"] == [{"code": NORTH, "name": "北区"}]
    assert "3个区县中有1个未报送：北区（" in payload["text"] and "23:30" in payload["text"]


@pytest.mark.parametrize("run_type", ["backfill", "manual", "asset_triggered", None])
def test_other_runs_do_not_alert_again(tiny_city_warehouse, webhook, run_type):
    url, received = webhook
    run = replace(RunContext.from_env(), alerts=AlertSettings(webhook=url))
    assert alert_missing_counties(run, "2020-03-17", run_type) == [NORTH]
    assert received == []


def test_an_operator_can_ask_a_rerun_to_alert(tiny_city_warehouse, webhook):
    url, received = webhook
    run = replace(RunContext.from_env(), alerts=AlertSettings(webhook=url))
    assert alert_missing_counties(run, "2020-03-17", "manual", requested=True) == [NORTH]
    assert [payload["report_date"] for payload in received] == ["2020-03-17"]
