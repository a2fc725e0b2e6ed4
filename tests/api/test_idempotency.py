"""``Idempotency-Key`` on every write (issue 12, item 4), on SQLite and PostgreSQL.

A retried write with the same key and meaning answers the first response and records
nothing (the ledger position does not move); with another meaning it is a 409. Keys are
per caller, endpoint and resource; simultaneous identical requests write once.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from api.idempotency import HEADER, REPLAYED_HEADER, RETENTION_DAYS, Scope
from ledger.store import StoreConfig
from projections.db import ReadStore
from tests.api.conftest import FINANCE, Seeded
from tests.conftest import SEEDS

V1 = "/api/v1"
CHASE = {"obligation": "implementation-report-quarterly", "period": "2026-Q2",
         "due_on": "2026-07-07", "reason": "逾期未报，请即报送"}
REMIND = {**CHASE, "period": "2026-Q3", "due_on": None, "reason": "请按时报送"}


def services(api: Seeded) -> Any:
    return api.app.extensions["taskledger"]


def position(api: Seeded) -> int:
    return services(api).ledger.position()


def send(api: Seeded, method: str, path: str, body: Any, key: str | None = None,
         role: str = "office", token: str | None = None) -> Any:
    headers = api.headers(role)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if key is not None:
        headers[HEADER] = key
    return api.client.open(V1 + path.format(**api.ids), method=method, json=body,
                           headers=headers)


# (endpoint, method, path, role, body, the same body meaning something else)
WRITES = [
    ("remind", "POST", "/assignments/{assignment}/reminders", "office", REMIND,
     {**REMIND, "reason": "请于十月十五日前报送"}),
    # urges and escalations on HR's （十五）, whose Q2 is overdue and not chased yet (on
    # （十一） the setup urged today: an office chaser is recorded once a day)
    ("urge", "POST", "/assignments/{chased}/urges", "office", CHASE,
     {**CHASE, "reason": "再次催办"}),
    ("escalate", "POST", "/assignments/{chased}/escalations", "office", CHASE,
     {**CHASE, "reason": "逾期仍未报送，提请督查"}),
    ("correction", "POST", "/assignments/{assignment}/corrections", "liaison",
     {"corrects": "{report}", "narrative": "创业培训8100人", "metrics": {"创业培训": 8100},
      "reason": "核对后更正"},
     {"corrects": "{report}", "narrative": "创业培训8100人", "metrics": {"创业培训": 8200},
      "reason": "核对后更正"}),
    ("extension request", "POST", "/assignments/{assignment}/extension-requests", "liaison",
     {"obligation": "implementation-report-quarterly", "period": "2026-Q3",
      "requested_due_on": "2026-11-13", "reason": "数据尚在汇总"},
     {"obligation": "implementation-report-quarterly", "period": "2026-Q3",
      "requested_due_on": "2026-11-20", "reason": "数据尚在汇总"}),
    ("extension decision", "POST",
     "/assignments/{assignment}/extension-requests/{request}/decision", "office",
     {"approved": True, "note": "同意"}, {"approved": False, "note": "同意"}),
    ("escalation acknowledgement", "POST",
     "/assignments/{assignment}/escalations/{escalation}/acknowledgement", "platform",
     {"platform_reference": "DB-2026-0001", "note": "已受理"},
     {"platform_reference": "DB-2026-0002", "note": "已受理"}),
    ("chase acknowledgement", "POST", "/assignments/{assignment}/chases/{urge}/acknowledgement",
     "liaison", {"note": "已收到，抓紧报送"}, {"note": "已收到"}),
    ("complete", "POST", "/assignments/{to_complete}/complete", "office", {"reason": "办结"},
     {"reason": "任务完成"}),
    ("reopen", "POST", "/assignments/{completed}/reopen", "office", {"reason": "补充材料"},
     {"reason": "另有问题"}),
    ("withdraw", "POST", "/assignments/{to_withdraw}/withdraw", "office", {"reason": "职责调整"},
     {"reason": "机构改革"}),
    ("assign", "POST", "/tasks/{task}/assignments", "office", {"unit": FINANCE, "role": "co"},
     {"unit": FINANCE, "role": "lead"}),
    ("unit contact", "PUT", "/units/{unit}/contact", "office",
     {"name": "王联络", "email": "rst-office@example.gov.cn"},
     {"name": "王联络", "email": "rst-liaison@example.gov.cn"}),
]


def _filled(api: Seeded, body: Any) -> Any:
    """The seeded world's ids in place of ``"{urge}"`` and ``"{report}"`` in a body."""
    text = json.dumps(body, ensure_ascii=False)
    for name in ("urge", "report"):
        text = text.replace(f'"{{{name}}}"', json.dumps(api.ids[name]))
    return json.loads(text)


@pytest.mark.parametrize("write", WRITES, ids=[w[0] for w in WRITES])
def test_a_retried_write_records_once(api: Seeded, write: tuple) -> None:
    _, method, path, role, body, other = write
    body, other = _filled(api, body), _filled(api, other)
    before = position(api)
    first = send(api, method, path, body, key="retry-1", role=role)
    assert first.status_code in (200, 201), first.json
    written = position(api)
    assert written == before + 1, "the first request records exactly one event"
    assert REPLAYED_HEADER not in first.headers

    again = send(api, method, path, body, key="retry-1", role=role)
    assert (again.status_code, again.json) == (first.status_code, first.json)
    assert again.headers["Ledger-Position"] == first.headers["Ledger-Position"]
    assert again.headers[REPLAYED_HEADER] == "true"
    assert position(api) == written, "a retry records nothing"

    changed = send(api, method, path, other, key="retry-1", role=role)
    assert changed.status_code == 409, changed.json
    assert changed.mimetype == "application/problem+json"
    assert changed.json["type"].endswith("idempotency-conflict")
    assert position(api) == written


def test_a_retried_plan_import_records_once(api: Seeded) -> None:
    text = (SEEDS / "000_48908fa878961524.txt").read_bytes()
    amended = text.replace("加强宣传引导".encode(), "加强舆论宣传引导".encode())
    headers = {**api.headers("office"), "Content-Type": "text/plain", HEADER: "plan-1"}
    before = position(api)
    first = api.client.post(V1 + "/plans", data=amended, headers=headers)
    assert first.status_code == 201 and first.json["written"]["events_written"] >= 1
    written = position(api)
    assert written > before
    again = api.client.post(V1 + "/plans", data=amended, headers=headers)
    # without the key this would be 200 "nothing new"; with it, the first answer
    assert (again.status_code, again.json) == (201, first.json)
    assert again.headers[REPLAYED_HEADER] == "true" and position(api) == written
    other = api.client.post(V1 + "/plans", data=text, headers=headers)
    assert other.status_code == 409 and other.json["type"].endswith("idempotency-conflict")
    dry_run = api.client.post(V1 + "/plans?dry_run=true", data=amended, headers=headers)
    assert dry_run.status_code == 409, "the query is part of what a request means"
    assert position(api) == written


def test_same_meaning_numbers_by_value_objects_by_key_set_text_trimmed(api: Seeded) -> None:
    path = "/assignments/{assignment}/corrections"
    body = {"corrects": api.ids["report"], "narrative": "创业培训8000人",
            "metrics": {"创业培训": 8000, "新增就业": 120}, "reason": "核对"}
    first = send(api, "POST", path, body, key="meaning")
    assert first.status_code == 201
    written = position(api)
    same = [
        {**body, "metrics": {"创业培训": 8000.0, "新增就业": 120}},
        {**body, "metrics": {"新增就业": 1.2e2, "创业培训": 8e3}},
        {"reason": "核对", "metrics": body["metrics"], "narrative": "  创业培训8000人\n",
         "corrects": api.ids["report"]},
        {**body, "metrics": {" 创业培训": 8000, "新增就业": 120}},
    ]
    for variant in same:
        again = send(api, "POST", path, variant, key="meaning")
        assert (again.status_code, again.json) == (201, first.json), variant
    assert position(api) == written
    different = [
        {**body, "metrics": {"创业培训": 8000.5, "新增就业": 120}},
        {**body, "metrics": {"创业培训": 8000}},  # another key set
        {**body, "metrics": {"创业培训": 8000, "新增就业": 120, "x": None}},
        {**body, "narrative": "创业培训 8000人"},
    ]
    for variant in different:
        refused = send(api, "POST", path, variant, key="meaning")
        assert refused.status_code == 409, variant
    assert position(api) == written


def test_report_8000_and_8000_point_0_are_the_same_report(api: Seeded) -> None:
    path = "/assignments/{assignment}/reports"
    body = {"period": "2026-06", "narrative": "六月创业培训8000人", "metrics": {"创业培训": 8000}}
    first = send(api, "POST", path, body, key="june", role="liaison")
    assert first.status_code == 201
    written = position(api)
    again = send(api, "POST", path, {**body, "metrics": {"创业培训": 8000.0}}, key="june",
                 role="liaison")
    assert (again.status_code, again.json) == (201, first.json) and position(api) == written
    # Another token of the same unit: a new request for the API, the same report for the
    # ledger, whose report keys belong to the assignment (and survive from before).
    _, token = services(api).tokens.create("liaison", services(api).clock.now(),
                                           unit_id=api.ids["unit"], unit_name="人社厅")
    other_token = send(api, "POST", path, {**body, "metrics": {"创业培训": 8e3}}, key="june",
                       token=token)
    assert other_token.status_code == 201
    assert other_token.json["event_id"] == first.json["event_id"] and position(api) == written


def test_a_key_the_ledger_recorded_before_the_api_table_still_matches(api: Seeded) -> None:
    """The seeded report was recorded by the ledger with key "setup" (as keys in existing
    stores were): the API has no row for it, the Assignment compares the stored report."""
    body = {"period": "2026-Q2", "narrative": "创业培训8000人", "metrics": {"创业培训": 8000.0}}
    before = position(api)
    again = send(api, "POST", "/assignments/{assignment}/reports", body, key="setup")
    assert again.status_code == 201 and again.json["event_id"] == api.ids["report"]
    assert position(api) == before
    changed = send(api, "POST", "/assignments/{assignment}/reports",
                   {**body, "narrative": "创业培训9000人"}, key="setup")
    assert changed.status_code == 409 and position(api) == before


def test_keys_are_per_caller(api: Seeded) -> None:
    # Extension requests: the ledger records each one (no natural key that would hide
    # a second write), so only the API's scoping decides here.
    path = "/assignments/{assignment}/extension-requests"
    body = {"obligation": "implementation-report-quarterly", "period": "2026-Q3",
            "requested_due_on": "2026-11-13", "reason": "数据尚在汇总"}
    first = send(api, "POST", path, body, key="shared", role="liaison")
    assert first.status_code == 201
    written = position(api)
    _, token = services(api).tokens.create("liaison", services(api).clock.now(),
                                           unit_id=api.ids["unit"], unit_name="人社厅",
                                           label="second liaison")
    theirs = send(api, "POST", path, body, key="shared", token=token)
    assert theirs.status_code == 201 and REPLAYED_HEADER not in theirs.headers
    assert theirs.json["event_id"] != first.json["event_id"]
    assert position(api) == written + 1
    # and another meaning under another caller's key is no conflict either
    other = send(api, "POST", path, {**body, "reason": "另一位"}, key="also", token=token)
    mine = send(api, "POST", path, body, key="also", role="liaison")
    assert (other.status_code, mine.status_code) == (201, 201)
    assert position(api) == written + 3


def test_a_key_on_another_endpoint_or_resource_is_independent(api: Seeded) -> None:
    before = position(api)
    remind = send(api, "POST", "/assignments/{assignment}/reminders", REMIND, key="k")
    upper = send(api, "POST", f"/assignments/{api.ids['assignment'].upper()}/reminders",
                 REMIND, key="k")
    assert upper.headers.get(REPLAYED_HEADER) == "true", "one resource, however spelt"
    urge = send(api, "POST", "/assignments/{chased}/urges", CHASE, key="k")
    elsewhere = send(api, "POST", "/assignments/{to_complete}/reminders", REMIND, key="k")
    assert [r.status_code for r in (remind, urge, elsewhere)] == [201, 201, 201]
    assert len({r.json["event_id"] for r in (remind, urge, elsewhere)}) == 3
    assert position(api) == before + 3


def test_a_failed_request_leaves_its_key_free(api: Seeded) -> None:
    path = "/assignments/{assignment}/reminders"
    before = position(api)
    refused = send(api, "POST", path, {**REMIND, "period": "2026-13"}, key="fix-and-retry")
    assert refused.status_code == 422 and position(api) == before
    fixed = send(api, "POST", path, REMIND, key="fix-and-retry")
    assert fixed.status_code == 201 and position(api) == before + 1


@pytest.mark.parametrize("bad", ["", "   ", "k" * 201, "caf\u00e9", "a\tb"])
def test_malformed_keys_are_refused(sqlite_api: Seeded, bad: str) -> None:
    before = position(sqlite_api)
    response = send(sqlite_api, "POST", "/assignments/{assignment}/reminders", REMIND, key=bad)
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert HEADER in response.json["errors"]
    assert position(sqlite_api) == before


def test_keys_are_kept_30_days_then_purged(api: Seeded) -> None:
    svc = services(api)
    path = "/assignments/{assignment}/reminders"
    first = send(api, "POST", path, REMIND, key="month")
    assert first.status_code == 201
    written = position(api)
    svc.clock.instant += timedelta(days=RETENTION_DAYS, hours=-1)
    kept = send(api, "POST", path, REMIND, key="month")
    assert kept.headers.get(REPLAYED_HEADER) == "true" and position(api) == written
    svc.clock.instant += timedelta(hours=2)
    assert svc.idempotency.purge(svc.clock.now()) >= 1
    rows = svc.store.query("SELECT idem_key FROM {s}api_idempotency WHERE idem_key = ?",
                           ["month"])
    assert rows == []
    fresh = send(api, "POST", path, REMIND, key="month")
    assert fresh.status_code == 201 and REPLAYED_HEADER not in fresh.headers
    assert position(api) == written + 1


def _scope(api: Seeded, key: str) -> Scope:
    svc = services(api)
    who = svc.tokens.authenticate(api.tokens["office"], svc.clock.now())
    rule = "/api/v1/assignments/<uuid:assignment_id>/reminders"
    return Scope(who.token_id, f"POST {rule}", f"assignment_id={api.ids['assignment']}", key)


def test_a_key_still_in_progress_is_a_409_after_waiting(api: Seeded, monkeypatch) -> None:
    from api import idempotency
    from ledger.meaning import canonical

    monkeypatch.setattr(idempotency, "IN_PROGRESS_WAIT_SECONDS", 0.3)
    svc = services(api)
    path = "/assignments/{assignment}/reminders"
    content = {"query": {}, "body": REMIND}
    held = svc.idempotency.begin(_scope(api, "busy"), json.dumps(content),
                                 canonical(content), svc.clock.now())
    assert held.action == "run"
    before = position(api)
    busy = send(api, "POST", path, REMIND, key="busy")
    assert busy.status_code == 409 and busy.json["type"].endswith("idempotency-in-progress")
    assert busy.headers["Retry-After"] == "1" and position(api) == before


def test_a_claim_left_by_a_dead_process_is_taken_over(api: Seeded) -> None:
    from api.idempotency import LEASE_SECONDS
    from ledger.meaning import canonical

    svc = services(api)
    path = "/assignments/{assignment}/reminders"
    content = {"query": {}, "body": REMIND}
    long_ago = svc.clock.now() - timedelta(seconds=LEASE_SECONDS + 1)
    held = svc.idempotency.begin(_scope(api, "orphan"), json.dumps(content),
                                 canonical(content), long_ago)
    assert held.action == "run"  # ...and its process never finished
    before = position(api)
    retried = send(api, "POST", path, REMIND, key="orphan")
    assert retried.status_code == 201 and position(api) == before + 1


def test_simultaneous_identical_requests_write_once(api: Seeded) -> None:
    """Eight threads send the same keyed extension request at the same moment (the
    ledger itself would record each one): one writes, the others wait and replay it."""
    threads_count = 8
    body = {"obligation": "implementation-report-quarterly", "period": "2026-Q3",
            "requested_due_on": "2026-11-27", "reason": "数据尚在汇总"}
    headers = {**api.headers("liaison"), HEADER: "together"}
    url = V1 + "/assignments/{assignment}/extension-requests".format(**api.ids)
    start = threading.Barrier(threads_count)
    results: list[Any] = []
    lock = threading.Lock()

    def post() -> None:
        client = api.app.test_client()
        start.wait()
        response = client.post(url, json=body, headers=headers)
        with lock:
            results.append(response)

    before = position(api)
    workers = [threading.Thread(target=post) for _ in range(threads_count)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert len(results) == threads_count
    assert {r.status_code for r in results} == {201}, [r.json for r in results]
    assert len({json.dumps(r.json, sort_keys=True) for r in results}) == 1
    assert sum(REPLAYED_HEADER in r.headers for r in results) == threads_count - 1
    assert position(api) == before + 1
    events = [record for record in services(api).ledger.records(after=before)]
    assert [record.type_name for record in events] == ["ExtensionRequested"]


def test_every_write_in_the_openapi_document_takes_the_key(sqlite_api: Seeded) -> None:
    spec = sqlite_api.client.get("/openapi.json").json
    writes = [(path, method, operation) for path, operations in spec["paths"].items()
              for method, operation in operations.items() if method in ("post", "put")]
    assert len(writes) >= 15
    for path, method, operation in writes:
        headers = [p for p in operation.get("parameters", [])
                   if p["in"] == "header" and p["name"] == HEADER]
        assert len(headers) == 1, (method, path)
        assert "409" in operation["responses"], (method, path)
        required = path.endswith("/reports")  # the ledger keys reports; they need one
        assert headers[0].get("required", False) is required, (method, path)
    views = sqlite_api.app.view_functions
    for rule in sqlite_api.app.url_map.iter_rules():
        view_class = getattr(views[rule.endpoint], "view_class", None)
        for method in {"POST", "PUT"} & set(rule.methods or ()):
            handler = getattr(view_class, method.lower())
            assert handler.__dict__.get("_idempotent"), (method, rule.rule)


def test_db_init_creates_the_table(store_config: StoreConfig, tmp_path: Path) -> None:
    from tests.test_cli import run, url_of

    result = run(["db", "init"], tmp_path, url_of(store_config))
    assert result.returncode == 0, result.stderr
    store = ReadStore(store_config)  # opens, creates nothing
    try:
        assert store.scalar("SELECT COUNT(*) AS n FROM {s}api_idempotency") == 0
    finally:
        store.close()


def test_a_store_without_its_kept_tables_is_refused_until_db_init(
    api: Seeded, store_config: StoreConfig
) -> None:
    """The key table is made by ``taskledger db init`` only, never on a request: a store
    lacking it (an upgrade without ``db init``) is refused as the CLI refuses a store
    never initialised (503, "run `taskledger db init`"), and ``db init`` mends it."""
    from api.app import create_app
    from api.services import Settings, create_kept_tables

    svc = services(api)
    with svc.store.transaction(commit=True) as cursor:
        cursor.execute(svc.store.sql("DROP TABLE {s}api_idempotency"))
    before = position(api)
    fresh = create_app(Settings(store=store_config, clock=svc.clock, writes_per_minute=0))
    restarted = Seeded(fresh.test_client(), fresh, api.tokens, api.ids)
    refused = send(restarted, "POST", "/assignments/{assignment}/reminders", REMIND,
                   key="upgraded")
    assert refused.status_code == 503, refused.json
    assert "run `taskledger db init`" in refused.json["detail"]
    assert position(api) == before
    create_kept_tables(svc.store)  # what `db init` does on the existing store
    again = create_app(Settings(store=store_config, clock=svc.clock, writes_per_minute=0))
    taken = send(Seeded(again.test_client(), again, api.tokens, api.ids), "POST",
                 "/assignments/{assignment}/reminders", REMIND, key="upgraded")
    assert taken.status_code == 201, taken.json
