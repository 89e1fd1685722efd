"""Alerts to the statistics office: a task that failed for good (its retries used up), and
counties still missing when the nightly run passes the cut-off.

Where alerts go is deployment configuration; either, both or neither may be set:

| variable | meaning |
|---|---|
| `CITYSTATS_ALERT_WEBHOOK` | URL receiving each alert as a JSON POST (chat bot, incident tool) |
| `CITYSTATS_ALERT_SMTP_HOST`, `_PORT` (25) | mail server |
| `CITYSTATS_ALERT_SMTP_USER`, `_PASSWORD` | login, when the server wants one |
| `CITYSTATS_ALERT_SMTP_STARTTLS` | `true` to upgrade the connection to TLS |
| `CITYSTATS_ALERT_SMTP_FROM`, `_TO` | sender, and recipients separated by commas |

With neither configured an alert is only written to the task log. A destination that is
configured but cannot be reached raises, so the task (or callback) that sent it shows failed.

The DAG files import this module at parse time: it imports only the standard library and
`airflow.sdk` at the top.
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import TYPE_CHECKING

from airflow.sdk import BaseNotifier

if TYPE_CHECKING:
    from include.context import RunContext

log = logging.getLogger(__name__)

WEBHOOK = "CITYSTATS_ALERT_WEBHOOK"
SMTP_PREFIX = "CITYSTATS_ALERT_SMTP_"
SMTP_FIELDS = ("HOST", "PORT", "USER", "PASSWORD", "STARTTLS", "FROM", "TO")
# Every variable above: deployments pass these through to all Airflow processes.
ALERT_SETTINGS = (WEBHOOK, *(SMTP_PREFIX + name for name in SMTP_FIELDS))
TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Alert:
    kind: str  # "task_failed" or "counties_missing"
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


def send(alert: Alert, environ: Mapping[str, str] | None = None) -> list[str]:
    """Deliver `alert` to every configured destination; return their names."""
    env = os.environ if environ is None else environ
    log.warning("citystats alert: %s\n%s", alert.subject, alert.text)
    delivered = []
    if env.get(WEBHOOK):
        _post_json(env[WEBHOOK], alert.payload())
        delivered.append("webhook")
    if env.get(SMTP_PREFIX + "HOST") and env.get(SMTP_PREFIX + "TO"):
        _mail(alert, env)
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


def _mail(alert: Alert, env: Mapping[str, str]) -> None:
    def setting(name: str, default: str = "") -> str:
        return env.get(SMTP_PREFIX + name) or default

    message = EmailMessage()
    message["Subject"] = alert.subject
    message["From"] = setting("FROM", "citystats@localhost")
    message["To"] = ", ".join(a.strip() for a in setting("TO").split(",") if a.strip())
    message.set_content(alert.text)
    port = int(setting("PORT", "25"))
    with smtplib.SMTP(setting("HOST"), port, timeout=TIMEOUT_SECONDS) as server:
        if setting("STARTTLS").lower() in {"1", "true", "yes"}:
            server.starttls()
        if setting("USER"):
            server.login(setting("USER"), setting("PASSWORD"))
        server.send_message(message)


def task_failure_alert(context: Mapping) -> Alert:
    """What went wrong, where, and where to read the log, from a failure callback's context."""
    ti = context["ti"]
    map_index = getattr(ti, "map_index", -1)
    task = ti.task_id if map_index in (None, -1) else f"{ti.task_id}[{map_index}]"
    # The exception is missing when the task never reported back (its worker was lost).
    problem = context.get("exception") or "no error reported: the task's worker stopped"
    log_url = getattr(ti, "log_url", None)
    details = {
        "dag_id": ti.dag_id,
        "run_id": ti.run_id,
        "task_id": ti.task_id,
        "map_index": map_index,
        "try_number": getattr(ti, "try_number", None),
        "logical_date": _iso(context.get("logical_date")),
        "error": str(problem),
        "log_url": log_url,
    }
    text = "\n".join(
        [
            f"Task {task} of {ti.dag_id} failed in run {ti.run_id} "
            f"(try {details['try_number']}, no retries left).",
            f"Error: {problem}",
            f"Log: {log_url}" if log_url else "",
            "Fix the cause, then clear the task (or rerun the date) to run it again.",
        ]
    )
    return Alert("task_failed", f"citystats: {ti.dag_id}.{task} failed", text.strip(), details)


def _iso(value) -> str | None:
    return value.isoformat() if hasattr(value, "isoformat") else value


class TaskFailureNotifier(BaseNotifier):
    """`on_failure_callback` of the citystats DAGs: one alert per task that failed for good."""

    def notify(self, context) -> None:
        send(task_failure_alert(context))


def missing_counties_alert(report_date: str, missing: list[tuple[str, str]], city) -> Alert:
    names = ", ".join(f"{code} {name}" for code, name in missing)
    text = (
        f"{city.name} daily report {report_date}: {len(missing)} of {len(city.counties)} "
        f"counties had sent no file by the cut-off ({city.schedule.missing_cutoff:%H:%M} "
        f"{city.timezone}): {names}.\n"
        "The report is published with them as `missing`. When a file arrives later, the next "
        "nightly run republishes the date (or rerun it now)."
    )
    return Alert(
        "counties_missing",
        f"citystats: {len(missing)} counties missing on {report_date}",
        text,
        {
            "report_date": report_date,
            "missing_counties": [{"code": code, "name": name} for code, name in missing],
        },
    )


def alert_missing_counties(
    run: RunContext, report_date: str, run_type: str | None = None
) -> list[str]:
    """Alert about the counties staged as missing for the date; return their codes.

    A backfill run stays silent: it reprocesses past dates whose nightly run already alerted.
    """
    from include.daily_pipeline import DAILY
    from include.submissions import statuses
    from transforms.merge.daily import MISSING

    city = run.city
    with run.engine.connect() as connection:
        staged = statuses(connection, DAILY, report_date)
    missing = [(c.code, c.name) for c in city.counties if staged.get(c.code, MISSING) == MISSING]
    if missing and run_type != "backfill":
        send(missing_counties_alert(report_date, missing, city))
    return [code for code, _ in missing]
