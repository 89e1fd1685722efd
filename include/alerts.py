"""Alerts to the statistics office: a task that failed for good (its retries used up),
counties still missing when the nightly run passes the cut-off, and a county's correction of
an approved period held until it is unlocked. The wording is Chinese: the office's duty
staff read it in their chat groups and mailboxes.

Where alerts go is deployment configuration; any of these may be set, or none:

| variable | meaning |
|---|---|
| `CITYSTATS_ALERT_WEBHOOK` | URL receiving each alert as a JSON POST (incident tool, own bot) |
| `CITYSTATS_ALERT_ROBOTS` | Apprise URLs of chat robots, separated by spaces (below) |
| `CITYSTATS_ALERT_SMTP_HOST`, `_PORT` (25) | mail server; port 465 speaks SSL from the start |
| `CITYSTATS_ALERT_SMTP_USER`, `_PASSWORD` | login, when the server wants one |
| `CITYSTATS_ALERT_SMTP_STARTTLS` | `true` to upgrade the connection to TLS |
| `CITYSTATS_ALERT_SMTP_FROM`, `_TO` | sender, and recipients separated by commas |

Robot URLs: `dingtalk://<token>/` for a DingTalk (钉钉) robot, `dingtalk://<secret>@<token>/`
for one in signed mode (加签, the secret beginning `SEC`); `wecombot://<key>` for a WeCom
(企业微信) group robot; `feishu://<token>/` for a Feishu (飞书) robot.

Mail goes through the smtp provider's `SmtpNotifier`, robots through Apprise. With nothing
configured an alert is only written to the task log. A destination that is configured but
cannot be reached raises, so the task (or callback) that sent it shows failed.

The DAG files import this module at parse time: it imports only the standard library and
`airflow.sdk` at the top; the mail provider and Apprise are imported when an alert is sent.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from airflow.sdk import BaseNotifier

if TYPE_CHECKING:
    from airflow.sdk import Connection

    from include.context import RunContext

log = logging.getLogger(__name__)

WEBHOOK = "CITYSTATS_ALERT_WEBHOOK"
ROBOTS = "CITYSTATS_ALERT_ROBOTS"
SMTP_PREFIX = "CITYSTATS_ALERT_SMTP_"
SMTP_FIELDS = ("HOST", "PORT", "USER", "PASSWORD", "STARTTLS", "FROM", "TO")
# Every variable above: deployments pass these through to all Airflow processes.
ALERT_SETTINGS = (WEBHOOK, ROBOTS, *(SMTP_PREFIX + name for name in SMTP_FIELDS))
TIMEOUT_SECONDS = 10
SMTP_SSL_PORT = 465
# The connection id SmtpNotifier is given; its fields come from CITYSTATS_ALERT_SMTP_*.
MAIL_CONNECTION_ID = "citystats_alert_smtp"


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int
    user: str
    password: str
    starttls: bool
    sender: str
    recipients: tuple[str, ...]

    def connection(self) -> Connection:
        from airflow.sdk import Connection

        extra = {
            "from_email": self.sender,
            "disable_ssl": self.port != SMTP_SSL_PORT,
            "disable_tls": not self.starttls,
            "timeout": TIMEOUT_SECONDS,
            "retry_limit": 1,
        }
        return Connection(
            conn_id=MAIL_CONNECTION_ID,
            conn_type="smtp",
            host=self.host,
            port=self.port,
            login=self.user or None,
            password=self.password or None,
            extra=json.dumps(extra),
        )


@dataclass(frozen=True)
class AlertSettings:
    webhook: str = ""
    robots: str = ""  # Apprise URLs
    mail: MailSettings | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AlertSettings:
        env = os.environ if environ is None else environ

        def smtp(name: str, default: str = "") -> str:
            return (env.get(SMTP_PREFIX + name) or default).strip()

        recipients = tuple(a.strip() for a in smtp("TO").split(",") if a.strip())
        mail = None
        if smtp("HOST") and recipients:
            mail = MailSettings(
                host=smtp("HOST"),
                port=int(smtp("PORT", "25")),
                user=smtp("USER"),
                password=env.get(SMTP_PREFIX + "PASSWORD") or "",
                starttls=smtp("STARTTLS").lower() in {"1", "true", "yes"},
                sender=smtp("FROM", "citystats@localhost"),
                recipients=recipients,
            )
        return cls(
            webhook=(env.get(WEBHOOK) or "").strip(),
            robots=(env.get(ROBOTS) or "").strip(),
            mail=mail,
        )


@dataclass(frozen=True)
class Alert:
    kind: str  # "task_failed", "counties_missing" or "correction_held"
    subject: str
    text: str
    details: dict = field(default_factory=dict)

    def payload(self) -> dict:
        return {
            "source": "citystats",
            "kind": self.kind,
            "subject": self.subject,
            "text": self.text,
            **self.details,
        }


def send(alert: Alert, settings: AlertSettings) -> list[str]:
    """Deliver `alert` to every configured destination; return their names."""
    log.warning("citystats alert: %s\n%s", alert.subject, alert.text)
    delivered = []
    if settings.webhook:
        _post_json(settings.webhook, alert.payload())
        delivered.append("webhook")
    if settings.robots:
        _notify_robots(settings.robots, alert)
        delivered.append("robots")
    if settings.mail:
        _mail(alert, settings.mail)
        delivered.append("email")
    return delivered


def _post_json(url: str, payload: dict) -> None:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        response.read()


def _notify_robots(urls: str, alert: Alert) -> None:
    from include.alert_channels import notify_robots

    notify_robots(urls, alert.subject, alert.text)


def _mail(alert: Alert, mail: MailSettings) -> None:
    from include.alert_channels import send_mail

    send_mail(mail.connection(), mail.sender, mail.recipients, alert.subject, alert.text)


def task_failure_alert(context: Mapping) -> Alert:
    """What went wrong, where, and where to read the log, from a failure callback's context."""
    ti = context["ti"]
    map_index = getattr(ti, "map_index", -1)
    mapped = map_index not in (None, -1)
    task = f"{ti.task_id}[{map_index}]" if mapped else ti.task_id
    # A mapped task's label names what it worked on: a check task's counties, a date.
    label = getattr(ti, "rendered_map_index", None) if mapped else None
    # The exception is missing when the task never reported back (its worker was lost).
    problem = context.get("exception") or "未报告错误：执行该任务的工作进程已停止（worker stopped）"
    log_url = getattr(ti, "log_url", None)
    details = {
        "dag_id": ti.dag_id,
        "run_id": ti.run_id,
        "task_id": ti.task_id,
        "map_index": map_index,
        "map_label": label,
        "try_number": getattr(ti, "try_number", None),
        "logical_date": _iso(context.get("logical_date")),
        "error": str(problem),
        "log_url": log_url,
    }
    lines = [
        f"任务 {task}（{ti.dag_id}）在运行 {ti.run_id} 中失败"
        f"（第{details['try_number']}次尝试，已无重试）。",
        f"涉及：{label}" if label else "",
        f"错误：{problem}",
        f"日志：{log_url}" if log_url else "",
        "排除原因后，清除该任务（或重跑该日期）即可重新运行。",
    ]
    where = f"{task}（{label}）" if label else task
    return Alert(
        "task_failed",
        f"citystats：{ti.dag_id}.{where} 失败",
        "\n".join(line for line in lines if line),
        details,
    )


def _iso(value) -> str | None:
    return value.isoformat() if hasattr(value, "isoformat") else value


class TaskFailureNotifier(BaseNotifier):
    """`on_failure_callback` of the citystats DAGs: one alert per task that failed for good."""

    def notify(self, context) -> None:
        send(task_failure_alert(context), AlertSettings.from_env())


def missing_counties_alert(report_date: str, missing: list[tuple[str, str]], city) -> Alert:
    names = "、".join(f"{name}（{code}）" for code, name in missing)
    text = (
        f"{city.name}{report_date}日报：截至{city.schedule.missing_cutoff:%H:%M}"
        f"（{city.timezone}），{len(city.counties)}个区县中有{len(missing)}个未报送：{names}。\n"
        "日报已发布，这些区县列为“未报送”。文件补报后，下一次夜间运行会重新发布该日期"
        "（也可立即重跑该日期）。"
    )
    return Alert(
        "counties_missing",
        f"citystats：{report_date} {len(missing)}个区县未报送",
        text,
        {
            "report_date": report_date,
            "missing_counties": [{"code": code, "name": name} for code, name in missing],
        },
    )


def held_correction_alert(
    kind: str, period: str, counties: list[tuple[str, str]], approved_label: str, city
) -> Alert:
    names = "、".join(f"{name}（{code}）" for code, name in counties)
    what = "日报" if kind == "daily" else "季报"
    text = (
        f"{city.name}{period}{what}{approved_label}，已锁定。{names}报来的更正已接收并校验，"
        "但未合并、未发布。\n如需采用更正：`make unlock PERIOD="
        f"{period} BY=<姓名>`，随后的运行会发布新版本，再重新审定。"
    )
    return Alert(
        "correction_held",
        f"citystats：{period}{what}已审定，{len(counties)}个区县的更正待解锁",
        text,
        {
            "period_kind": kind,
            "period": period,
            "held_counties": [{"code": code, "name": name} for code, name in counties],
        },
    )


def alert_held_correction(run: RunContext, kind: str, period: str, counties: list[str]) -> None:
    """Say that the counties' corrections of an approved period await its unlocking."""
    from include.approval import approval_of

    with run.engine.connect() as connection:
        approved = approval_of(connection, kind, period)
    names = {c.code: c.name for c in run.city.counties}
    held = [(code, names.get(code, code)) for code in counties]
    send(held_correction_alert(kind, period, held, approved.label(), run.city), run.alerts)


def alert_missing_counties(
    run: RunContext, report_date: str, run_type: str | None, requested: bool = False
) -> list[str]:
    """Alert about the counties staged as missing for the date; return their codes.

    Only the scheduled nightly run of a date alerts, or a run whose operator asked for it
    (`requested`): backfills, republishes, manual reruns and `dag.test` reprocess a date
    whose nightly run already did.
    """
    from include.daily_pipeline import DAILY
    from include.submissions import statuses
    from transforms.merge.daily import MISSING

    city = run.city
    with run.engine.connect() as connection:
        staged = statuses(connection, DAILY, report_date)
    missing = [(c.code, c.name) for c in city.counties if staged.get(c.code, MISSING) == MISSING]
    if missing and (run_type == "scheduled" or requested):
        send(missing_counties_alert(report_date, missing, city), run.alerts)
    return [code for code, _ in missing]
