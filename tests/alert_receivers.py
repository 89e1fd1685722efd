"""Local stand-ins for the alert destinations: a webhook (HTTP), the chat robots (HTTP, as
DingTalk, WeCom and Feishu answer) and a mail server (SMTP), each on 127.0.0.1 in a thread,
keeping what they receive."""

from __future__ import annotations

import email
import email.policy
import json
import socketserver
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class _WebhookHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):  # keep the test output quiet
        pass


class _RobotHandler(BaseHTTPRequestHandler):
    """Keeps (path, query, JSON body) and answers as the robots' APIs do on success."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        url = urlsplit(self.path)
        self.server.received.append((url.path, parse_qs(url.query), json.loads(body)))
        answer = json.dumps({"errcode": 0, "errmsg": "ok", "code": 0, "msg": "success"})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(answer.encode())

    def log_message(self, *args):
        pass


class _SmtpSession(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: greeting, EHLO, MAIL, RCPT, DATA, QUIT."""

    def handle(self):
        self._reply("220 fake smtp ready")
        recipients, lines, in_data = [], [], False
        while line := self.rfile.readline():
            if in_data:
                if line.rstrip(b"\r\n") == b".":
                    message = email.message_from_bytes(b"".join(lines), policy=email.policy.default)
                    self.server.received.append((recipients, message))
                    recipients, lines, in_data = [], [], False
                    self._reply("250 queued")
                else:
                    lines.append(line[1:] if line.startswith(b"..") else line)
                continue
            verb, _, argument = line.decode().strip().partition(" ")
            verb = verb.upper()
            if verb == "RCPT":
                recipients.append(argument.split(":", 1)[1].strip("<> "))
            if verb == "DATA":
                in_data = True
                self._reply("354 end data with <CR><LF>.<CR><LF>")
            elif verb == "QUIT":
                self._reply("221 bye")
                return
            else:
                self._reply("250 ok")

    def _reply(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")


class _SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def _serve(server):
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


@contextmanager
def robot_receiver(monkeypatch):
    """(received requests) of the DingTalk, WeCom and Feishu robot APIs, which Apprise is
    pointed at on 127.0.0.1 instead of their public hosts (same paths and queries)."""
    from apprise.plugins.dingtalk import NotifyDingTalk
    from apprise.plugins.feishu import NotifyFeishu
    from apprise.plugins.wecombot import NotifyWeComBot

    server = _serve(ThreadingHTTPServer(("127.0.0.1", 0), _RobotHandler))
    local = f"http://127.0.0.1:{server.server_address[1]}"
    for robot in (NotifyDingTalk, NotifyWeComBot, NotifyFeishu):
        public = urlsplit(robot.notify_url)
        monkeypatch.setattr(
            robot,
            "notify_url",
            robot.notify_url.replace(f"{public.scheme}://{public.netloc}", local),
        )
    try:
        yield server.received
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def webhook_receiver():
    """(url, received payloads) of a webhook listening on 127.0.0.1."""
    server = _serve(ThreadingHTTPServer(("127.0.0.1", 0), _WebhookHandler))
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/alerts", server.received
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def smtp_receiver():
    """(port, received (recipients, message) pairs) of a mail server on 127.0.0.1."""
    server = _serve(_SmtpServer(("127.0.0.1", 0), _SmtpSession))
    try:
        yield server.server_address[1], server.received
    finally:
        server.shutdown()
        server.server_close()
