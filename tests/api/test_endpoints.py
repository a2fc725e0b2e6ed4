"""Each endpoint and its error cases, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from pathlib import Path

from tests.api.conftest import Seeded
from tests.conftest import SEEDS

V1 = "/api/v1"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "plans"


def post(api: Seeded, path: str, body: dict, role: str = "office", key: str | None = None):
    headers = api.headers(role)
    if key:
        headers["Idempotency-Key"] = key
    return api.client.post(V1 + path.format(**api.ids), json=body, headers=headers)


def get(api: Seeded, path: str, role: str = "office"):
    return api.client.get(V1 + path.format(**api.ids), headers=api.headers(role))


def position(api: Seeded) -> int:
    return api.app.extensions["taskledger"].ledger.position()


def test_plans(api: Seeded) -> None:
    plans = get(api, "/plans").json
    assert {p["title"] for p in plans} == {"内蒙古自治区稳岗扩容提质工程实施方案",
                                           "内蒙古自治区就业促进行动实施方案"}
    one = get(api, "/plans/{plan}").json
    assert one["issued_on"] == "2026-05-09" and one["task_numbers"][0] == "（一）"
    missing = get(api, f"/plans/{uuid.uuid4()}")
    assert missing.status_code == 404 and missing.json["status"] == 404


def test_plan_import_preview_and_errors(api: Seeded) -> None:
    text = (SEEDS / "000_48908fa878961524.txt").read_bytes()
    before = position(api)
    headers = {**api.headers("office"), "Content-Type": "text/plain"}
    preview = api.client.post(V1 + "/plans?dry_run=true", data=text, headers=headers)
    assert preview.status_code == 200 and len(preview.json["preview"]["tasks"]) == 18
    assert preview.json["written"] is None and position(api) == before
    again = api.client.post(V1 + "/plans", data=text, headers=headers)
    assert again.status_code == 200 and again.json["written"]["events_written"] == 0
    amended = text.replace("加强宣传引导".encode(), "加强舆论宣传引导".encode())
    changed = api.client.post(V1 + "/plans", data=amended, headers=headers)
    assert changed.status_code == 201
    assert changed.json["written"]["changes"][0]["task"] == "（十八）"
    truncated = api.client.post(V1 + "/plans", data=text[:3000], headers=headers)
    assert truncated.status_code == 422 and truncated.mimetype == "application/problem+json"
    wrong_type = api.client.post(V1 + "/plans", data=text, headers=api.headers("office"))
    assert wrong_type.status_code == 415
    huge = api.client.post(V1 + "/plans", data=b"x" * (3 * 1024 * 1024), headers=headers)
    assert huge.status_code == 413


def test_tasks_and_filters(api: Seeded) -> None:
    eleven = get(api, "/tasks?number=（十一）&plan=稳岗扩容").json
    assert len(eleven) == 1 and eleven[0]["units"][0]["role"] == "lead"
    assert eleven[0]["targets"][0]["indicator"] == "创业培训"
    mine = get(api, "/tasks", role="liaison").json
    assert len(mine) == 31  # the HR department's tasks across both plans
    hr_filtered = get(api, "/tasks?unit=人力资源和社会保障厅").json
    assert {t["task_id"] for t in hr_filtered} == {t["task_id"] for t in mine}
    assert get(api, "/tasks?unit=财政厅", role="liaison").status_code == 403
    assert get(api, f"/tasks/{uuid.uuid4()}").status_code == 404
    assert get(api, "/tasks?unit=无此单位").status_code == 404


def test_progress_reports_are_idempotent(api: Seeded) -> None:
    path = "/assignments/{assignment}/reports"
    body = {"period": "2026-06", "narrative": "六月培训3000人", "metrics": {"创业培训": 3000}}
    first = post(api, path, body, "liaison", key="june-1")
    assert first.status_code == 201 and int(first.headers["Ledger-Position"]) == position(api)
    before = position(api)
    second = post(api, path, body, "liaison", key="june-1")
    assert (second.status_code, second.json) == (201, first.json)
    assert position(api) == before
    other = post(api, path, {**body, "narrative": "改了"}, "liaison", key="june-1")
    assert other.status_code == 409 and other.json["type"].endswith("idempotency-conflict")
    assert post(api, path, body, "liaison").status_code == 400  # no Idempotency-Key
    # read your own write: the responsibility list shows it at once
    rows = get(api, "/reports/responsibilities?task=（十一）&plan=稳岗扩容", "liaison").json["rows"]
    assert rows[0]["last_report_period"] == "2026-06"


def test_strict_report_schema(api: Seeded) -> None:
    path = "/assignments/{assignment}/reports"
    good = {"period": "2026-06", "narrative": "ok", "metrics": {}}
    cases = [
        ({**good, "surprise": 1}, "surprise"),
        ({**good, "metrics": {"创业培训": "3000"}}, "metrics"),
        ({**good, "metrics": {"创业培训": True}}, "metrics"),
        ({**good, "period": "2026-13"}, "period"),
        ({**good, "narrative": ""}, "narrative"),
        ({**good, "narrative": "a\x00b"}, "narrative"),
        ({**good, "narrative": "长" * 20_001}, "narrative"),
        ({"narrative": "no period"}, "period"),
    ]
    before = position(api)
    for n, (body, field) in enumerate(cases):
        response = post(api, path, body, key=f"bad-{n}")
        assert response.status_code == 422, (body, response.json)
        assert field in response.json["errors"], response.json
    assert position(api) == before
    broken = api.client.post(V1 + path.format(**api.ids), data="{not json",
                             headers={**api.headers("office"), "Idempotency-Key": "x",
                                      "Content-Type": "application/json"})
    assert broken.status_code == 400
    unknown = api.client.post(f"{V1}/assignments/{uuid.uuid4()}/reports", json=good,
                              headers={**api.headers("office"), "Idempotency-Key": "u"})
    assert unknown.status_code == 404


def test_office_actions_and_their_refusals(api: Seeded) -> None:
    chase = {"obligation": "implementation-report-quarterly", "period": "2026-Q2",
             "due_on": "2026-07-07", "reason": "未报"}
    remind = post(api, "/assignments/{chased}/reminders", chase)
    assert remind.status_code == 201 and remind.json["created"] is True
    bad_evidence = post(api, "/assignments/{chased}/urges",
                        {**chase, "evidence": [str(uuid.uuid4())]})
    assert bad_evidence.status_code == 404
    urge = post(api, "/assignments/{chased}/urges",
                {**chase, "evidence": [remind.json["event_id"]]})
    assert urge.status_code == 201
    decided = post(api, "/assignments/{assignment}/extension-requests/{request}/decision",
                   {"approved": False, "note": "不同意"})
    assert decided.status_code == 201
    twice = post(api, "/assignments/{assignment}/extension-requests/{request}/decision",
                 {"approved": True})
    assert twice.status_code == 409
    stale = post(api, "/assignments/{to_complete}/complete", {"expected_version": 1})
    assert stale.status_code == 201  # nothing happened since it was assigned
    again = post(api, "/assignments/{to_complete}/complete", {"expected_version": 1})
    assert again.status_code == 409 and again.headers["Retry-After"] == "1"
    withdrawn = post(api, "/assignments/{to_withdraw}/withdraw", {"reason": "调整"})
    assert withdrawn.status_code == 201
    report = post(api, "/assignments/{to_withdraw}/reports",
                  {"period": "2026-06", "narrative": "x"}, key="after-withdrawal")
    assert report.status_code == 409 and "withdrawn" in report.json["detail"]
    assert post(api, "/assignments/{to_withdraw}/reopen", {"reason": "x"}).status_code == 409
    corrected = post(api, "/assignments/{assignment}/corrections",
                     {"corrects": str(uuid.uuid4()), "narrative": "x", "reason": "y"})
    assert corrected.status_code == 404
    assign = post(api, "/tasks/{task}/assignments", {"unit": "财政厅", "role": "boss"})
    assert assign.status_code == 422


def test_reports_audit_and_feed(api: Seeded) -> None:
    overdue = get(api, "/reports/overdue?as_of=2026-07-20").json
    assert overdue["as_of"] == "2026-07-20" and overdue["rows"]
    mine = get(api, "/reports/overdue?as_of=2026-07-20", "liaison").json["rows"]
    assert mine and {r["unit_name"] for r in mine} == {"自治区人力资源社会保障厅"}
    assert get(api, "/reports/overdue?as_of=20260720").status_code == 422
    assert get(api, "/reports/overdue?position=999999").status_code == 422
    targets = get(api, "/reports/targets").json["rows"]
    assert any(r["indicator"] == "创业培训" for r in targets)
    page = get(api, "/audit?limit=3").json
    assert len(page["items"]) == 3 and page["next_after"] == page["items"][-1]["position"]
    more = get(api, f"/audit?limit=3&after={page['next_after']}").json
    assert more["items"][0]["position"] == page["next_after"] + 1
    by_actor = get(api, "/audit?actor=setup").json["items"]
    assert {r["actor"] for r in by_actor} == {"setup"}
    feed = get(api, "/events?after=0&limit=2").json
    assert [e["position"] for e in feed["items"]] == [1, 2] and feed["next_after"] == 2
    assert get(api, "/events?limit=0").status_code == 422
    metrics = get(api, "/metrics")
    assert b"taskledger_ledger_position" in metrics.data


def test_rate_limit_and_method_errors(sqlite_api: Seeded) -> None:
    svc = sqlite_api.app.extensions["taskledger"]
    svc.settings.writes_per_minute = 2
    body = {"period": "2026-06", "narrative": "x"}
    statuses = [post(sqlite_api, "/assignments/{assignment}/reports", body, key=f"r{n}")
                .status_code for n in range(4)]
    assert statuses[:2] == [201, 201] and statuses[2:] == [429, 429]
    limited = post(sqlite_api, "/assignments/{assignment}/reports", body, key="r9")
    assert int(limited.headers["Retry-After"]) >= 1
    wrong = sqlite_api.client.put(V1 + "/plans", headers=sqlite_api.headers("office"))
    assert wrong.status_code == 405 and "GET" in wrong.headers["Allow"]
    assert wrong.mimetype == "application/problem+json"
    nowhere = get(sqlite_api, "/nothing-here")
    assert nowhere.status_code == 404 and nowhere.mimetype == "application/problem+json"


def test_healthz_reports_the_database(api: Seeded) -> None:
    health = api.client.get("/healthz").json
    assert health["status"] == "ok" and health["position"] == position(api)
    assert any("2027" in warning for warning in health["warnings"])


def test_docs_page_is_served_offline(sqlite_api: Seeded) -> None:
    page = sqlite_api.client.get("/docs")
    assert page.status_code == 200 and b"/openapi.json" in page.data
    asset = sqlite_api.client.get("/docs/static/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.data) > 100_000
    asset.close()


def test_one_assignment_with_its_obligations(api: Seeded) -> None:
    one = get(api, "/assignments/{assignment}", "liaison").json
    assert one["unit_name"] == "自治区人力资源社会保障厅" and one["task_number"] == "（十一）"
    owed = {(o["rule"], o["period"]): o for o in one["obligations"]}
    assert {o["assignment_id"] for o in one["obligations"]} == {api.ids["assignment"]}
    q2 = owed[("implementation-report-quarterly", "2026-Q2")]
    # reported on 2026-07-20 (the API clock's day) for a 2026-07-07 deadline
    assert (q2["status"], q2["working_days_late"]) == ("submitted_late", 9)
    assert get(api, f"/assignments/{uuid.uuid4()}").status_code == 404


def test_liaison_acknowledges_a_chase_once(api: Seeded) -> None:
    """签收: the unit's liaison signs for an urge; a second time records nothing."""
    path = "/assignments/{assignment}/chases/{urge}/acknowledgement"
    before = position(api)
    other = post(api, path, {"note": "不是我们"}, "other_liaison")
    assert other.status_code == 403 and position(api) == before
    first = post(api, path, {"note": "已收到，三日内补报"}, "liaison")
    assert first.status_code == 201, first.json
    assert first.json["created"] is True and first.json["stream_id"] == api.ids["assignment"]
    assert position(api) == before + 1
    again = post(api, path, {"note": "再次签收"}, "liaison")
    assert again.status_code == 200
    assert again.json == {**first.json, "created": False}
    by_office = post(api, path, {}, "office")
    assert by_office.status_code == 200 and by_office.json["event_id"] == first.json["event_id"]
    assert position(api) == before + 1

    trail = get(api, "/audit?task=（十一）&plan=稳岗扩容").json["items"]
    signed = [r for r in trail if r["type"] == "ChaseAcknowledged"]
    assert len(signed) == 1
    assert signed[0]["event_id"] == first.json["event_id"]
    assert signed[0]["actor_role"] == "liaison" and signed[0]["business_date"] == "2026-07-20"
    assert signed[0]["summary"] == (
        "urge implementation-report-quarterly 2026-Q2 acknowledged (签收): 已收到，三日内补报"
    )


def test_acknowledging_what_is_not_a_reminder_or_urge_is_refused(api: Seeded) -> None:
    from ledger.acts import Act
    from ledger.clock import SimulatedClock

    before = position(api)
    escalation = post(api, "/assignments/{assignment}/chases/{escalation}/acknowledgement",
                      {"note": "收到"}, "liaison")
    assert escalation.status_code == 409
    assert escalation.mimetype == "application/problem+json"
    assert "supervision platform" in escalation.json["detail"]
    report = post(api, "/assignments/{assignment}/chases/{report}/acknowledgement", {})
    assert report.status_code == 404 and "not a reminder or urge" in report.json["detail"]
    unknown = post(api, f"/assignments/{{assignment}}/chases/{uuid.uuid4()}/acknowledgement",
                   {})
    assert unknown.status_code == 404
    elsewhere = post(api, "/assignments/{completed}/chases/{urge}/acknowledgement", {})
    assert elsewhere.status_code == 404  # the urge belongs to another assignment
    bad_note = post(api, "/assignments/{assignment}/chases/{urge}/acknowledgement",
                    {"note": "a\x00b"}, "liaison")
    assert bad_note.status_code == 422 and "note" in bad_note.json["errors"]
    assert position(api) == before

    # a simulated urge was never sent: no real act can sign for it
    svc = api.app.extensions["taskledger"]
    simulated = SimulatedClock(svc.clock.today(), wall=svc.clock)
    urge = svc.ledger.issue_urge(
        Act.by(simulated, "scheduler", "system"), uuid.UUID(api.ids["chased"]),
        "implementation-report-quarterly", "2026-Q2", None, "模拟催办",
    )
    before = position(api)
    refused = post(api, f"/assignments/{{chased}}/chases/{urge.event_id}/acknowledgement",
                   {}, "liaison")
    assert refused.status_code == 409 and "simulated" in refused.json["detail"]
    assert position(api) == before


def test_a_plan_dated_after_today_is_refused(api: Seeded) -> None:
    """Its assignments would count from a day that has not come (the API clock: 2026-07-20).
    The API takes no other business date: every act counts for the clock's day."""
    document = (FIXTURES / "other_province.txt").read_text(encoding="utf-8")
    assert "2025年3月20日" in document
    headers = {**api.headers("office"), "Content-Type": "text/plain"}
    before = position(api)
    for dated, status in (("2026年7月21日", 422), ("2026年7月20日", 201)):
        body = document.replace("2025年3月20日", dated).encode("utf-8")
        for query in ("?dry_run=true", ""):
            response = api.client.post(V1 + "/plans" + query, data=body, headers=headers)
            if status == 422:
                assert response.status_code == 422, response.json
                assert response.mimetype == "application/problem+json"
                assert response.json["type"].endswith("invalid-business-date")
                assert "2026-07-21, after today (2026-07-20)" in response.json["detail"]
                assert "issued_on" in response.json["errors"]
                assert position(api) == before
            else:
                assert response.status_code == (200 if query else 201), response.json
    assert position(api) > before  # dated today: imported
