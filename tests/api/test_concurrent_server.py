"""Concurrent posting through the real server on PostgreSQL (issue 6).

``taskledger serve`` runs as a subprocess (gunicorn, 3 workers, each building its own
Application after the fork) on a fresh schema prepared through the command line (``db
init``, both seed plans, one office token per client). Eight client threads post 100
progress reports each over loopback, spread over a few assignments so that writes to the
same stream collide. A collision may only surface as 409 ``concurrent-write`` with
``Retry-After``; the client then retries with the same Idempotency-Key. Afterwards the
ledger holds exactly 800 ProgressReported events and the read models count 800.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from ledger.store import StoreConfig
from tests.conftest import SEEDS

pytestmark = pytest.mark.postgres

TASKLEDGER = shutil.which("taskledger", path=str(Path(sys.executable).parent)) or "taskledger"
HOST = "127.0.0.1"
CLIENTS = 8
REPORTS_PER_CLIENT = 100
ASSIGNMENTS = 4  # 800 reports on 4 streams: plenty of version conflicts
MAX_ATTEMPTS = 50  # per report; each conflict means another writer made progress
STARTUP_SECONDS = 60
RUN_SECONDS = 240
NARRATIVE = "本月组织开展职业技能培训12期，培训各类人员1,350人次，新增就业见习岗位86个。"


def _cli(args: list[str], url: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "TASKLEDGER_DATABASE_URL": url}
    result = subprocess.run(
        [TASKLEDGER, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"taskledger {' '.join(args)}: {result.stderr}"
    return result


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Client:
    """One keep-alive connection to the server on loopback."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.token = token
        self.connection = http.client.HTTPConnection(HOST, port, timeout=60)

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], Any]:
        sent = {"Authorization": f"Bearer {self.token}", **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            sent["Content-Type"] = "application/json"
        try:
            self.connection.request(method, path, body=data, headers=sent)
            response = self.connection.getresponse()
            raw = response.read()
        except (ConnectionError, http.client.HTTPException):
            # the server may close an idle keep-alive connection: one fresh try
            self.connection.close()
            self.connection = http.client.HTTPConnection(HOST, self.port, timeout=60)
            self.connection.request(method, path, body=data, headers=sent)
            response = self.connection.getresponse()
            raw = response.read()
        headers = {k.lower(): v for k, v in response.getheaders()}
        parsed = json.loads(raw) if raw and "json" in headers.get("content-type", "") else raw
        return response.status, headers, parsed

    def close(self) -> None:
        self.connection.close()


def _wait_healthy(port: int, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the server exited ({server.returncode}):\n{log.read_text()[-3000:]}")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=5)
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            body = json.loads(response.read())
            connection.close()
            if response.status == 200:
                assert body["database"] == "postgres", body
                return
        except (ConnectionError, OSError, http.client.HTTPException):
            pass
        time.sleep(0.2)  # polling a real process coming up, not a simulated clock
    pytest.fail(f"no healthy server on port {port} in {STARTUP_SECONDS}s:\n"
                f"{log.read_text()[-3000:]}")


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def _progress_events(client: Client) -> list[dict[str, Any]]:
    found, after = [], 0
    while True:
        status, _, page = client.request("GET", f"/api/v1/events?after={after}&limit=1000")
        assert status == 200, page
        found += [item for item in page["items"] if item["type"] == "ProgressReported"]
        if page["next_after"] is None:
            return found
        after = page["next_after"]


def test_800_concurrent_reports_through_the_real_server(
    postgres_config: StoreConfig, tmp_path: Path
) -> None:
    url = postgres_config.url
    assert url is not None
    _cli(["db", "init"], url, tmp_path)
    for seed in sorted(SEEDS.glob("*.txt")):
        _cli(["import-plan", str(seed)], url, tmp_path)
    tokens = [
        _cli(["tokens", "create", "--role", "office", "--label", f"client-{n}"], url, tmp_path)
        .stdout.strip().splitlines()[-1]
        for n in range(CLIENTS)
    ]  # one token per client: the per-token write limit stays out of the way

    port = _free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            [TASKLEDGER, "serve", "--host", HOST, "--port", str(port), "--workers", "3"],
            cwd=tmp_path,
            env={**os.environ, "TASKLEDGER_DATABASE_URL": url},
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_healthy(port, server, log)
        reader = Client(port, tokens[0])
        status, _, before = reader.request("GET", "/api/v1/reports/responsibilities")
        assert status == 200, before
        rows = before["rows"]
        assert sum(row["reports"] for row in rows) == 0
        targets = [row["assignment_id"] for row in rows[:ASSIGNMENTS]]
        assert len(targets) == ASSIGNMENTS

        statuses: Counter = Counter()
        event_ids: list[str] = []
        problems: list[str] = []
        lock = threading.Lock()

        def post_reports(n: int) -> None:
            client = Client(port, tokens[n])
            try:
                for i in range(REPORTS_PER_CLIENT):
                    assignment = targets[(n + i) % ASSIGNMENTS]
                    body = {"period": "2026-06", "narrative": f"{NARRATIVE}（客户端{n}第{i}次）",
                            "metrics": {"培训人次": 1000 + i}}
                    key = f"concurrent-{n}-{i}"
                    for _ in range(MAX_ATTEMPTS):
                        status, headers, answer = client.request(
                            "POST", f"/api/v1/assignments/{assignment}/reports", body,
                            {"Idempotency-Key": key},
                        )
                        with lock:
                            statuses[status] += 1
                        if status == 201:
                            with lock:
                                event_ids.append(answer["event_id"])
                            break
                        conflict = (status == 409 and isinstance(answer, dict)
                                    and answer.get("type", "").endswith("/concurrent-write")
                                    and "retry-after" in headers)
                        if not conflict:
                            with lock:
                                problems.append(f"{key}: {status} {answer!r}"[:500])
                            return
                        # retry at once with the same key: the Retry-After is a hint for
                        # humans; a conflict means another writer just succeeded
                    else:
                        with lock:
                            problems.append(f"{key}: still conflicting after {MAX_ATTEMPTS}")
                        return
            except Exception as error:  # a dropped connection, a timeout: report, not hang
                with lock:
                    problems.append(f"client {n}: {error!r}")
            finally:
                client.close()

        threads = [threading.Thread(target=post_reports, args=(n,), daemon=True)
                   for n in range(CLIENTS)]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=max(1.0, RUN_SECONDS - (time.monotonic() - began)))
        assert not any(t.is_alive() for t in threads), f"clients still running: {statuses}"

        assert problems == [], problems[:10]
        assert set(statuses) <= {201, 409}, statuses
        assert statuses[201] == CLIENTS * REPORTS_PER_CLIENT, statuses
        assert len(set(event_ids)) == CLIENTS * REPORTS_PER_CLIENT

        progress = _progress_events(reader)
        assert len(progress) == CLIENTS * REPORTS_PER_CLIENT
        assert {e["event_id"] for e in progress} == set(event_ids)
        assert Counter(e["stream_id"] for e in progress) == Counter(
            targets[(n + i) % ASSIGNMENTS]
            for n in range(CLIENTS) for i in range(REPORTS_PER_CLIENT)
        )
        assert {e["actor_role"] for e in progress} == {"office"}

        status, _, after = reader.request("GET", "/api/v1/reports/responsibilities")
        assert status == 200, after
        assert sum(row["reports"] for row in after["rows"]) == CLIENTS * REPORTS_PER_CLIENT

        # a replay after the storm: same key, same body, same receipt, nothing new
        replay = {"period": "2026-06", "narrative": f"{NARRATIVE}（客户端0第0次）",
                  "metrics": {"培训人次": 1000}}
        status, _, again = Client(port, tokens[0]).request(
            "POST", f"/api/v1/assignments/{targets[0]}/reports", replay,
            {"Idempotency-Key": "concurrent-0-0"},
        )
        assert status == 201 and again["event_id"] in event_ids, again
        assert len(_progress_events(reader)) == CLIENTS * REPORTS_PER_CLIENT
        reader.close()
        print(f"statuses {dict(statuses)} in {time.monotonic() - began:.1f}s")
    finally:
        _stop(server)
    # gunicorn's access log: '... "POST /api/v1/... HTTP/1.1" 201 ...'; no 5xx, ever
    server_errors = re.findall(r'"[A-Z]+ [^"]*" 5\d\d ', log.read_text(errors="replace"))
    assert server_errors == [], server_errors[:10]
