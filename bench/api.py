"""Benchmark: progress reports per second through the real HTTP server on loopback.

For each backend it prepares a fresh store (both seed plans imported, one office token
per client), then measures, in the same run:

- ``ledger``: ``Ledger.report_progress`` in-process, one thread, one event per call,
  on the same store: the ledger-level append rate the API is compared with;
- ``api``: ``taskledger serve`` as a subprocess (gunicorn; one worker on SQLite,
  ``--workers`` on PostgreSQL), and N client threads posting ``POST
  /api/v1/assignments/{id}/reports`` with distinct Idempotency-Keys over keep-alive
  connections to 127.0.0.1, spread over a few assignments. Each report's latency is
  measured from the first send to its 201 (a 409 ``concurrent-write`` is retried and
  counted; any other status aborts the run).

It prints both rates, the ratio api/ledger against the target (0.5, issue 6), p50/p95
latency, and a Markdown table for the README. Not a test and not in CI.

``--stream-lengths 10,1000`` measures instead what a report costs on an assignment that
already holds that many events (issue 12): each stream is filled in-process first, then
through a fresh server it times the first report (the worker's cold load), reports one
after another from one client, and a contended burst (``--clients`` clients posting to
that one stream at once, no retry on 409), and prints each figure beside the shortest
stream's with the ratio.

SQLite runs on a temporary file (the embedded default); PostgreSQL on a fresh schema in
the ``test`` database at 127.0.0.1:5432 (override with ``TASKLEDGER_BENCH_POSTGRES_URL``),
dropped afterwards. Seeds come from ``$TASKLEDGER_SEEDS``, else ``../shared/seeds``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

from ledger import store as store_module
from ledger.acts import Act
from ledger.application import Ledger, open_ledger
from ledger.assignment import Assignment
from ledger.clock import SystemClock
from ledger.importer import decode_document, parse_plan
from ledger.importing import import_plan
from ledger.store import StoreConfig, parse_database_url

TARGET_RATIO = 0.5
HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parents[1]
SEEDS = Path(os.environ.get("TASKLEDGER_SEEDS", REPO.parent / "shared" / "seeds"))
POSTGRES_URL = os.environ.get(
    "TASKLEDGER_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
TASKLEDGER = shutil.which("taskledger", path=str(Path(sys.executable).parent)) or "taskledger"
# The server's default write limit is 600 a minute per token (a burst of 600): stay under.
MAX_REQUESTS_PER_TOKEN = 550
NARRATIVE = (
    "本月围绕重点群体就业，组织开展职业技能培训12期，培训各类人员1,350人次，"
    "其中高校毕业生420人、农牧民转移就业人员610人；新增就业见习岗位86个，"
    "发放稳岗补贴资金312万元。下一步将继续推进培训与岗位对接，按期报送进展。"
)


@dataclass
class ApiRun:
    reports: int
    seconds: float
    latencies: list[float]
    statuses: Counter = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return self.reports / self.seconds

    def percentile(self, p: int) -> float:
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1]


@dataclass
class Result:
    backend: str
    workers: int
    clients: int
    ledger_rate: float
    api: ApiRun

    @property
    def ratio(self) -> float:
        return self.api.rate / self.ledger_rate

    @property
    def verdict(self) -> str:
        return "PASS" if self.ratio >= TARGET_RATIO else "FAIL"


# ---- stores ---------------------------------------------------------------------------
@contextmanager
def sqlite_store() -> Iterator[StoreConfig]:
    with tempfile.TemporaryDirectory(prefix="taskledger-bench-api-") as directory:
        yield parse_database_url(f"sqlite:///{directory}/taskledger.sqlite")


@contextmanager
def postgres_store() -> Iterator[StoreConfig]:
    with store_module.temporary_schema(POSTGRES_URL, "tl_bench_api") as config:
        yield config


def postgres_problem() -> str | None:
    return store_module.postgres_problem(parse_database_url(POSTGRES_URL))


def url_of(config: StoreConfig) -> str:
    return config.url or f"sqlite:///{config.sqlite_path}"


def prepare(config: StoreConfig, clients: int, streams: int) -> tuple[list[UUID], list[str]]:
    """As ``db init``, ``import-plan`` and ``tokens create`` would: untimed setup."""
    from api.services import create_kept_tables
    from api.tokens import TokenStore
    from projections.db import ReadStore

    seeds = sorted(SEEDS.glob("*.txt"))
    if not seeds:
        raise SystemExit(f"no seed plans in {SEEDS} (set TASKLEDGER_SEEDS)")
    ledger = open_ledger(config, create_tables=True)
    act = Act.by(ledger.clock, "bench", "office")
    for path in seeds:
        import_plan(ledger, parse_plan(decode_document(path.read_bytes())), act)
    assignments = [
        r.event.originator_id for r in ledger.records() if isinstance(r.event, Assignment.Assigned)
    ][:streams]
    ledger.close()
    store = ReadStore(config, create_tables=True)
    create_kept_tables(store)  # the rest of `db init`: tokens, idempotency keys, outbox
    tokens = TokenStore(store)
    now = SystemClock().now()
    secrets = [tokens.create("office", now, label=f"bench-client-{n}")[1] for n in range(clients)]
    store.close()
    return assignments, secrets


# ---- ledger level ---------------------------------------------------------------------
def ledger_rate(config: StoreConfig, assignments: list[UUID], count: int) -> float:
    ledger: Ledger = open_ledger(config)
    try:
        def report(i: int, prefix: str) -> None:
            receipt = ledger.report_progress(
                Act.by(ledger.clock, "liaison:bench", "liaison"),
                assignments[i % len(assignments)],
                "2026-06",
                NARRATIVE,
                {"培训人次": 1350 + i},
                idempotency_key=f"{prefix}-{i}",
            )
            assert receipt.created

        for i in range(len(assignments)):  # warm-up: connections, caches
            report(i, "bench-ledger-warm")
        began = time.perf_counter()
        for i in range(count):
            report(i, "bench-ledger")
        return count / (time.perf_counter() - began)
    finally:
        ledger.close()


# ---- through the server ---------------------------------------------------------------
class Connection:
    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.token = token
        self.http = http.client.HTTPConnection(HOST, port, timeout=60)

    def post(self, path: str, body: dict[str, Any], key: str) -> tuple[int, Any]:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json",
                   "Idempotency-Key": key}
        for attempt in (1, 2):
            try:
                self.http.request("POST", path, body=data, headers=headers)
                response = self.http.getresponse()
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
            except (ConnectionError, http.client.HTTPException):
                self.http.close()  # a keep-alive connection the server closed: reconnect
                self.http = http.client.HTTPConnection(HOST, self.port, timeout=60)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@contextmanager
def running_server(config: StoreConfig, workers: int | None, log: Path) -> Iterator[int]:
    port = free_port()
    command = [TASKLEDGER, "serve", "--host", HOST, "--port", str(port)]
    if workers:
        command += ["--workers", str(workers)]
    env = {**os.environ, "TASKLEDGER_DATABASE_URL": url_of(config)}
    with log.open("wb") as out:
        server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise SystemExit(f"the server exited:\n{log.read_text()[-2000:]}")
            try:
                probe = http.client.HTTPConnection(HOST, port, timeout=5)
                probe.request("GET", "/healthz")
                if probe.getresponse().status == 200:
                    probe.close()
                    break
                probe.close()
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"no healthy server in 60s:\n{log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield port
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def api_run(port: int, assignments: list[UUID], tokens: list[str], requests: int,
            warmup: int) -> ApiRun:
    clients = len(tokens)
    statuses: Counter = Counter()
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    run_id = uuid.uuid4().hex[:8]

    def client(n: int) -> None:
        connection = Connection(port, tokens[n])
        mine = range(n, requests, clients)

        def one(i: int, key: str) -> float:
            path = f"/api/v1/assignments/{assignments[i % len(assignments)]}/reports"
            body = {"period": "2026-06", "narrative": NARRATIVE, "metrics": {"培训人次": i}}
            began = time.perf_counter()
            for _ in range(50):
                status, answer = connection.post(path, body, key)
                with lock:
                    statuses[status] += 1
                if status == 201:
                    return time.perf_counter() - began
                if status != 409 or not str(answer.get("type", "")).endswith("concurrent-write"):
                    raise RuntimeError(f"{status} {answer}")
            raise RuntimeError("still conflicting after 50 attempts")

        try:
            for w in range(warmup):
                one(w, f"bench-api-{run_id}-warm-{n}-{w}")
        except Exception as error:
            with lock:
                failures.append(f"client {n} warm-up: {error}"[:300])
        start.wait()
        try:
            mine_latencies = [one(i, f"bench-api-{run_id}-{i}") for i in mine]
            with lock:
                latencies.extend(mine_latencies)
        except Exception as error:
            with lock:
                failures.append(f"client {n}: {error}"[:300])

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    statuses.clear()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    if failures:
        raise SystemExit("API run failed: " + "; ".join(failures[:5]))
    return ApiRun(len(latencies), seconds, latencies, statuses)


# ---- one backend ----------------------------------------------------------------------
def measure(backend: str, config: StoreConfig, args: argparse.Namespace) -> Result:
    assignments, tokens = prepare(config, args.clients, args.streams)
    print(f"  [{backend}] ledger: {args.ledger_events} reports in-process, one thread",
          flush=True)
    ledger = ledger_rate(config, assignments, args.ledger_events)
    print(f"  [{backend}] ledger: {ledger:,.0f} reports/s", flush=True)
    workers = args.workers if backend == "postgres" else 1
    with tempfile.TemporaryDirectory(prefix="taskledger-bench-api-log-") as folder, \
            running_server(config, workers, Path(folder) / "server.log") as port:
        print(f"  [{backend}] api: {args.requests} reports, {args.clients} clients, "
              f"{workers} worker(s) on http://{HOST}:{port}", flush=True)
        run = api_run(port, assignments, tokens, args.requests, args.warmup)
    print(f"  [{backend}] api: {run.rate:,.0f} reports/s, p50 {run.percentile(50) * 1000:.0f} ms,"
          f" p95 {run.percentile(95) * 1000:.0f} ms, statuses {dict(run.statuses)}", flush=True)
    return Result(backend, workers, args.clients, ledger, run)


# ---- cost by stream length ------------------------------------------------------------
@dataclass
class LengthRun:
    length: int  # events on the stream before the timed reports
    cold_ms: float  # the first report through a fresh server: a cold load of the stream
    sequential: list[float]  # seconds per report, one client, one after another
    contended: list[float]  # seconds per accepted report, all clients at once
    contended_seconds: float
    statuses: Counter

    @staticmethod
    def _p(values: list[float], p: int) -> float:
        return statistics.quantiles(values, n=100, method="inclusive")[p - 1] * 1000

    def figures(self) -> dict[str, float]:
        return {
            "cold ms": self.cold_ms,
            "sequential p50 ms": self._p(self.sequential, 50),
            "contended p50 ms": self._p(self.contended, 50) if len(self.contended) > 1 else 0.0,
            "contended p95 ms": self._p(self.contended, 95) if len(self.contended) > 1 else 0.0,
            "contended reports/s": len(self.contended) / self.contended_seconds,
        }


def fill_streams(config: StoreConfig, assignments: list[UUID], lengths: list[int]) -> None:
    """Bring each assignment's stream to its length with reports (untimed, in-process)."""
    ledger = open_ledger(config)
    try:
        act = Act.by(ledger.clock, "liaison:bench-fill", "liaison")
        for assignment, length in zip(assignments, lengths, strict=True):
            have = ledger.get_assignment(assignment).version
            for i in range(have, length):
                ledger.report_progress(act, assignment, "2026-06", NARRATIVE, {"培训人次": i},
                                       idempotency_key=f"bench-fill-{i}")
            assert ledger.get_assignment(assignment).version == max(have, length)
    finally:
        ledger.close()


def length_run(port: int, assignment: UUID, length: int, tokens: list[str],
               args: argparse.Namespace) -> LengthRun:
    path = f"/api/v1/assignments/{assignment}/reports"
    run_id = uuid.uuid4().hex[:8]
    statuses: Counter = Counter()
    lock = threading.Lock()

    def post(connection: Connection, key: str) -> tuple[int, float]:
        body = {"period": "2026-06", "narrative": NARRATIVE, "metrics": {"培训人次": 1}}
        began = time.perf_counter()
        status, answer = connection.post(path, body, key)
        seconds = time.perf_counter() - began
        with lock:
            statuses[status] += 1
        if status not in (201, 409):
            raise SystemExit(f"{status} {answer}")
        return status, seconds

    single = Connection(port, tokens[0])
    _, cold = post(single, f"bench-len-{run_id}-cold")
    sequential = [post(single, f"bench-len-{run_id}-seq-{i}")[1]
                  for i in range(args.sequential)]
    contended: list[float] = []
    start = threading.Barrier(len(tokens) + 1)

    def client(n: int) -> None:
        connection = Connection(port, tokens[n])
        post(connection, f"bench-len-{run_id}-warm-{n}")  # this connection's worker is warm
        start.wait()
        mine = [post(connection, f"bench-len-{run_id}-burst-{n}-{i}")
                for i in range(args.burst)]
        with lock:
            contended.extend(seconds for status, seconds in mine if status == 201)

    threads = [threading.Thread(target=client, args=(n,), daemon=True)
               for n in range(len(tokens))]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return LengthRun(length, cold * 1000, sequential, contended,
                     time.perf_counter() - began, statuses)


def measure_lengths(backend: str, config: StoreConfig, args: argparse.Namespace
                    ) -> list[LengthRun]:
    lengths = args.stream_lengths
    assignments, tokens = prepare(config, args.clients, len(lengths) + 1)
    print(f"  [{backend}] filling streams to {lengths} events", flush=True)
    fill_streams(config, assignments[1:], lengths)
    workers = args.workers if backend == "postgres" else None  # as `taskledger serve`
    runs = []
    with tempfile.TemporaryDirectory(prefix="taskledger-bench-api-log-") as folder, \
            running_server(config, workers, Path(folder) / "server.log") as port:
        # the server's own warm-up (imports, connections) on a stream of its own
        Connection(port, tokens[0]).post(
            f"/api/v1/assignments/{assignments[0]}/reports",
            {"period": "2026-06", "narrative": NARRATIVE, "metrics": {}}, "bench-len-warm")
        for assignment, length in zip(assignments[1:], lengths, strict=True):
            run = length_run(port, assignment, length, tokens, args)
            figures = ", ".join(f"{k} {v:,.1f}" for k, v in run.figures().items())
            print(f"  [{backend}] {length} events: {figures}, statuses {dict(run.statuses)}",
                  flush=True)
            runs.append(run)
    return runs


def print_lengths(backend: str, runs: list[LengthRun], args: argparse.Namespace) -> None:
    base = runs[0]
    print(f"\n{backend}: cost of a report by events already on the stream "
          f"({args.sequential} one after another; {args.clients} clients x {args.burst} at once)")
    header = ["events", *base.figures(), "409s", "other"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---:|" * len(header))
    for run in runs:
        cells = [f"{run.length:,}"] + [f"{v:,.1f}" for v in run.figures().values()]
        other = sum(n for status, n in run.statuses.items() if status not in (201, 409))
        cells += [str(run.statuses[409]), str(other)]
        print("| " + " | ".join(cells) + " |")
    for run in runs[1:]:
        ratios = ", ".join(
            f"{name} x{value / base_value:.2f}" if base_value else f"{name} -"
            for (name, value), base_value in zip(run.figures().items(),
                                                 base.figures().values(), strict=True)
        )
        print(f"{run.length:,} vs {base.length:,} events: {ratios}")


# ---- output ---------------------------------------------------------------------------
def print_results(results: list[Result]) -> None:
    for r in results:
        print(
            f"{r.backend:8} api {r.api.rate:7.0f} reports/s  ledger {r.ledger_rate:7.0f} "
            f"reports/s  ratio {r.ratio:.2f}  p50 {r.api.percentile(50) * 1000:.0f} ms  "
            f"p95 {r.api.percentile(95) * 1000:.0f} ms  409s {r.api.statuses[409]}  "
            f"{r.verdict} (target {TARGET_RATIO})"
        )


def summary_table(results: list[Result], args: argparse.Namespace) -> str:
    lines = [
        f"Progress reports through the HTTP API, `bench/api.py --requests {args.requests} "
        f"--clients {args.clients}` ({args.streams} assignment streams, loopback, gunicorn "
        f"gthread; ledger rate: `Ledger.report_progress` in-process, one thread, same store; "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"{date.today().isoformat()}):",
        "",
        "| backend | workers | clients | API reports/s | p50 ms | p95 ms | ledger reports/s | "
        f"API/ledger | target ≥ {TARGET_RATIO} |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.backend} | {r.workers} | {r.clients} | {r.api.rate:,.0f} | "
            f"{r.api.percentile(50) * 1000:.0f} | {r.api.percentile(95) * 1000:.0f} | "
            f"{r.ledger_rate:,.0f} | {r.ratio:.2f} | {r.verdict} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--requests", type=int, default=800, help="timed API reports (800)")
    parser.add_argument("--clients", type=int, default=8, help="client threads (8)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed reports per client (5)")
    parser.add_argument("--ledger-events", type=int, default=800,
                        help="timed in-process reports (800)")
    parser.add_argument("--streams", type=int, default=10,
                        help="assignments the reports are spread over (10)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers on PostgreSQL")
    parser.add_argument("--stream-lengths", type=_lengths, metavar="N,M,...",
                        help="instead: cost of a report on streams already this long "
                             "(e.g. 10,1000)")
    parser.add_argument("--sequential", type=int, default=30,
                        help="with --stream-lengths: reports one after another (30)")
    parser.add_argument("--burst", type=int, default=10,
                        help="with --stream-lengths: reports per client at once (10)")
    args = parser.parse_args(argv)
    if args.stream_lengths:
        return main_lengths(args)
    if min(args.requests, args.clients, args.ledger_events, args.streams, args.workers) < 1:
        parser.error("counts must be at least 1")
    if args.requests < 20 or args.requests > 20_000 or args.ledger_events > 20_000:
        parser.error("keep --requests within 20..20000 and --ledger-events within 20000")
    if (args.requests + args.warmup * args.clients) / args.clients > MAX_REQUESTS_PER_TOKEN:
        parser.error(f"more than {MAX_REQUESTS_PER_TOKEN} writes per client would meet the "
                     "server's per-token limit; add --clients")

    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    results: list[Result] = []
    skipped: list[str] = []
    for backend in backends:
        if backend == "postgres":
            problem = postgres_problem()
            if problem is not None:
                message = f"postgres: skipped, {POSTGRES_URL} unreachable: {problem}"
                if args.backend == "postgres":
                    print(message, file=sys.stderr)
                    return 2
                skipped.append(message)
                continue
        print(f"{backend}:", flush=True)
        with sqlite_store() if backend == "sqlite" else postgres_store() as config:
            results.append(measure(backend, config, args))

    print()
    print_results(results)
    for message in skipped:
        print(message)
    print()
    print(summary_table(results, args))
    return 0 if all(r.verdict == "PASS" for r in results) else 1


def _lengths(text: str) -> list[int]:
    try:
        lengths = sorted({int(part) for part in text.split(",")})
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers like 10,1000, got {text!r}") from None
    if not lengths or lengths[0] < 1 or lengths[-1] > 20_000:
        raise argparse.ArgumentTypeError("stream lengths must be within 1..20000")
    return lengths


def main_lengths(args: argparse.Namespace) -> int:
    if min(args.sequential, args.burst, args.clients) < 2:
        raise SystemExit("--sequential, --burst and --clients must be at least 2")
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    results: list[tuple[str, list[LengthRun]]] = []
    for backend in backends:
        if backend == "postgres" and (problem := postgres_problem()) is not None:
            print(f"postgres: skipped, {POSTGRES_URL} unreachable: {problem}", file=sys.stderr)
            if args.backend == "postgres":
                return 2
            continue
        print(f"{backend}:", flush=True)
        with sqlite_store() if backend == "sqlite" else postgres_store() as config:
            results.append((backend, measure_lengths(backend, config, args)))
    for backend, runs in results:
        print_lengths(backend, runs, args)
    return 0


if __name__ == "__main__":
    # Run as ``python bench/api.py``, this file's folder comes first on sys.path and would
    # shadow the project's ``api`` package (imported lazily, in prepare()).
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    sys.exit(main())
