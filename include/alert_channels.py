"""The alert channels that need libraries the DAG files must not import at parse time: mail
through the smtp provider's `SmtpNotifier`, with the server given by the deployment's
`CITYSTATS_ALERT_SMTP_*` settings instead of an Airflow connection, and chat robots through
Apprise."""

from __future__ import annotations

import html
from collections.abc import Iterable
from urllib.parse import unquote

import apprise
from airflow.providers.smtp.hooks.smtp import SmtpHook
from airflow.providers.smtp.notifications.smtp import SmtpNotifier
from airflow.sdk import Connection
from apprise.apprise import N_MGR
from apprise.plugins.dingtalk import NotifyDingTalk


class RobotNotDelivered(RuntimeError):
    pass


class _DingTalkSignedOnce(NotifyDingTalk):
    """Apprise 2.3 URL-quotes the 加签 signature and then hands it to requests as a query
    parameter, which quotes it again: DingTalk answers "sign not match". Quote it once."""

    def get_signature(self):
        timestamp, quoted = super().get_signature()
        return timestamp, unquote(quoted)


N_MGR.add(_DingTalkSignedOnce, schemas="dingtalk", force=True)


def notify_robots(urls: str, title: str, text: str) -> None:
    robots = apprise.Apprise()
    if not robots.add(urls):
        raise RobotNotDelivered(f"a robot URL that Apprise does not understand: {urls!r}")
    if not robots.notify(title=title, body=text, body_format=apprise.NotifyFormat.TEXT):
        raise RobotNotDelivered("a chat robot did not accept the alert (see the log above)")


class _SettingsSmtpHook(SmtpHook):
    def __init__(self, connection: Connection):
        super().__init__(smtp_conn_id=connection.conn_id)
        self._connection = connection

    def get_connection(self, conn_id: str) -> Connection:
        return self._connection


class _SettingsSmtpNotifier(SmtpNotifier):
    def __init__(self, connection: Connection, **kwargs):
        super().__init__(smtp_conn_id=connection.conn_id, **kwargs)
        self._connection = connection

    @property
    def hook(self) -> SmtpHook:
        return _SettingsSmtpHook(self._connection)


def send_mail(
    connection: Connection, sender: str, to: Iterable[str], subject: str, text: str
) -> None:
    body = html.escape(text).replace("\n", "<br>\n")
    _SettingsSmtpNotifier(
        connection, to=list(to), from_email=sender, subject=subject, html_content=f"<p>{body}</p>"
    ).notify({})
