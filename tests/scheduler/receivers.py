"""Real receivers on loopback for what the outbox sends: a supervision platform that can
fail and checks signatures, webhook receivers, an SMTP server (aiosmtpd)."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import socket
import threading

from scheduler.outbox import Channels

SECRET = "s3cret-for-tests"


class FakePlatform(http.server.BaseHTTPRequestHandler):
    """Fails the first ``failures`` requests, then checks the signature and accepts."""

    failures = 0
    received: list[dict] = []  # noqa: RUF012 - reset by the fixture
    bad_signatures = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        cls = type(self)
        if cls.failures > 0:
            cls.failures -= 1
            self.send_response(503)
            self.end_headers()
            return
        timestamp = self.headers["X-Taskledger-Timestamp"]
        expected = (
            "sha256="
            + hmac.new(
                SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256
            ).hexdigest()
        )
        if not hmac.compare_digest(expected, self.headers["X-Taskledger-Signature"]):
            cls.bad_signatures += 1
            self.send_response(401)
            self.end_headers()
            return
        cls.received.append(
            {"delivery": self.headers["X-Taskledger-Delivery"], "body": json.loads(body)}
        )
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass


class Inbox:
    """An aiosmtpd handler keeping every message it is given."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


class Receivers:
    """An SMTP server and two webhook receivers on loopback (shared and a unit's own)."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.inbox = Inbox()
        self.smtp_port = _free_port()
        self.smtp = Controller(self.inbox, hostname="127.0.0.1", port=self.smtp_port)
        self.hooks: dict[str, list[dict]] = {"shared": [], "own": []}
        self.servers = []
        self.urls = {}
        for name in ("shared", "own"):
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _hook_handler(
                self.hooks[name]))
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self.servers.append(server)
            self.urls[name] = f"http://127.0.0.1:{server.server_address[1]}/{name}?token=t0p"

    def __enter__(self) -> Receivers:
        self.smtp.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.smtp.stop()
        for server in self.servers:
            server.shutdown()
            server.server_close()

    def channels(self) -> Channels:
        return Channels(smtp_host="127.0.0.1", smtp_port=self.smtp_port,
                        webhook_url=self.urls["shared"], webhook_secret=SECRET, timeout=5)


def _hook_handler(received: list[dict]) -> type:
    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            timestamp = self.headers["X-Taskledger-Timestamp"]
            expected = "sha256=" + hmac.new(
                SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
            received.append({"body": json.loads(body), "signed": hmac.compare_digest(
                expected, self.headers["X-Taskledger-Signature"]),
                "delivery": self.headers["X-Taskledger-Delivery"]})
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    return Hook


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
