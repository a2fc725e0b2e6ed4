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


def test_plan_uploads_share_the_import_plan_limit(api: Seeded) -> None:
    """One limit, MAX_PLAN_BYTES, for `taskledger import-plan` and POST /plans: a byte
    over it is a 413 problem (announced or streamed without a length), at it the body
    reaches the parser; nothing is written either way."""
    import io

    from ledger.importer.text import MAX_PLAN_BYTES

    assert MAX_PLAN_BYTES == 2 * 1024 * 1024  # as the README documents
    headers = {**api.headers("office"), "Content-Type": "text/plain"}
    before = position(api)
    over = api.client.post(V1 + "/plans", data=b"x" * (MAX_PLAN_BYTES + 1), headers=headers)
    assert over.status_code == 413 and over.mimetype == "application/problem+json"
    assert over.json["status"] == 413 and str(MAX_PLAN_BYTES) in over.json["detail"]
    streamed = api.client.post(
        V1 + "/plans", input_stream=io.BytesIO(b"x" * (MAX_PLAN_BYTES + 1)), headers=headers,
        environ_overrides={"wsgi.input_terminated": True})  # chunked: no Content-Length
    assert streamed.status_code == 413 and streamed.mimetype == "application/problem+json"
    at_limit = api.client.post(V1 + "/plans", data="一".encode() * (MAX_PLAN_BYTES // 3),
                               headers=headers)
    assert at_limit.status_code == 422 and "no numbered tasks" in at_limit.json["detail"]
    assert position(api) == before


def test_corrections_name_what_they_change_and_the_reports_list_shows_them(
    api: Seeded,
) -> None:
    """Narrative only keeps the figures; null removes one; a correction of a correction;
    the assignment's reports list the chain, the values before and after, on time kept."""
    path = "/assignments/{assignment}/corrections"
    wording = post(api, path, {"corrects": api.ids["report"],
                               "narrative": "创业培训8000人（含线上）", "reason": "补充说明"},
                   "liaison")
    assert wording.status_code == 201, wording.json
    figures = post(api, path, {"corrects": wording.json["event_id"],
                               "metrics": {"创业培训": 8100, "创业担保贷款": 5000},
                               "reason": "核对"}, "liaison")
    assert figures.status_code == 201, figures.json
    removal = post(api, path, {"corrects": figures.json["event_id"], "narrative": None,
                               "metrics": {"创业担保贷款": None}, "reason": "贷款另报"})
    assert removal.status_code == 201, removal.json

    listed = get(api, "/assignments/{assignment}/reports", "liaison")
    assert listed.status_code == 200, listed.json
    body = listed.json
    assert (body["assignment_id"], body["unit_name"]) == (api.ids["assignment"],
                                                          "自治区人力资源社会保障厅")
    (report,) = body["reports"]
    assert report["report_id"] == api.ids["report"] and report["period"] == "2026-Q2"
    assert report["original"] == {"narrative": "创业培训8000人", "metrics": {"创业培训": 8000}}
    assert report["current"] == {"narrative": "创业培训8000人（含线上）",
                                 "metrics": {"创业培训": 8100}}
    chain = report["corrections"]
    assert [c["correction_id"] for c in chain] == [
        wording.json["event_id"], figures.json["event_id"], removal.json["event_id"]]
    assert [c["corrects"] for c in chain] == [
        api.ids["report"], wording.json["event_id"], figures.json["event_id"]]
    assert [(c["narrative"], c["metrics"], c["actor_role"]) for c in chain] == [
        ("创业培训8000人（含线上）", {}, "liaison"),
        (None, {"创业培训": 8100, "创业担保贷款": 5000}, "liaison"),
        (None, {"创业担保贷款": None}, "office"),
    ]
    # the report was late (2026-07-20 for 2026-07-07) and stays exactly as late
    assert report["on_time"] is False
    assert report["obligations"] == [{
        "rule": "implementation-report-quarterly", "due_on": "2026-07-07",
        "effective_due_on": "2026-07-07", "status": "submitted_late", "working_days_late": 9}]
    assert get(api, "/assignments/{assignment}/reports", "auditor").json == body
    trail = get(api, "/audit?task=（十一）&plan=稳岗扩容&limit=1000").json["items"]
    original = next(r for r in trail if r["event_id"] == api.ids["report"])
    assert [c["corrects"] for c in original["corrected_by"]] == [c["corrects"] for c in chain]


def test_corrections_a_clerk_could_not_have_meant_are_refused(api: Seeded) -> None:
    path = "/assignments/{assignment}/corrections"
    cases = [
        ({"corrects": "{report}", "reason": "什么也没改"}, 422, "narrative"),
        ({"corrects": "{report}", "narrative": "创业培训8000人", "reason": "原样"}, 422,
         "narrative"),
        ({"corrects": "{report}", "metrics": {"创业培训": 8000.0}, "reason": "同值"}, 422,
         "metrics"),
        ({"corrects": "{report}", "metrics": {"没有这项": None}, "reason": "删"}, 422,
         "metrics"),
        ({"corrects": "{report}", "metrics": {"创业培训": "8100"}, "reason": "r"}, 422,
         "metrics"),
        ({"corrects": "{report}", "narrative": "x", "reason": "r", "surprise": 1}, 422,
         "surprise"),
        ({"corrects": "{report}", "narrative": "x"}, 422, "reason"),
        ({"corrects": "{escalation}", "narrative": "x", "reason": "r"}, 404, None),
    ]
    before = position(api)
    for body, status, field in cases:
        filled = {k: api.ids[v[1:-1]] if isinstance(v, str) and v.startswith("{") else v
                  for k, v in body.items()}
        response = post(api, path, filled)
        assert response.status_code == status, (body, response.json)
        assert response.mimetype == "application/problem+json"
        if field:
            assert field in (response.json.get("errors") or {}), (body, response.json)
    other = post(api, path, {"corrects": api.ids["report"], "narrative": "别人的",
                             "reason": "r"}, "other_liaison")
    assert other.status_code == 403
    assert position(api) == before  # nothing written


def test_a_liaison_lists_only_its_own_units_reports(api: Seeded) -> None:
    mine = get(api, "/assignments/{assignment}/reports", "liaison")
    assert mine.status_code == 200 and len(mine.json["reports"]) == 1
    theirs = get(api, "/assignments/{assignment}/reports", "other_liaison")
    assert theirs.status_code == 403 and theirs.mimetype == "application/problem+json"
    assert "创业" not in theirs.get_data(as_text=True)
    assert get(api, "/assignments/{assignment}/reports", "platform").status_code == 403
    assert get(api, f"/assignments/{uuid.uuid4()}/reports").status_code == 404
    none_yet = get(api, "/assignments/{to_complete}/reports").json
    assert none_yet["reports"] == [] and none_yet["task_number"] == "（十四）"
    assert get(api, "/assignments/{assignment}/reports?as_of=20260720").status_code == 422
    assert get(api, "/assignments/{assignment}/reports?unit=x").status_code == 422
    earlier = get(api, "/assignments/{assignment}/reports?position=1").json
    assert earlier["position"] == 1 and earlier["reports"] == []


# ---- issue 12: what a clerk could not have meant --------------------------------------
QUARTERLY = "implementation-report-quarterly"


def _chase_body(**changes: str) -> dict:
    return {"obligation": QUARTERLY, "period": "2026-Q2", "reason": "未报", **changes}


def test_chasers_and_extension_requests_name_an_obligation_the_assignment_owes(
    api: Seeded,
) -> None:
    before = position(api)
    not_owed = [
        ({"obligation": "bogus-rule"}, "obligation", "no reporting duty 'bogus-rule'"),
        ({"period": "2031-Q3"}, "period", "beyond the plan's span"),
        ({"period": "2026-07"}, "period", "reported per quarter; 2026-07 is a month"),
        ({"period": "2026-Q4"}, "period", "does not ask for a report for 2026-Q4"),
        ({"period": "2026-Q1"}, "period", "not for 2026-Q1"),  # the plan came in May
    ]
    for path in ("reminders", "urges", "escalations"):
        for change, field, message in not_owed:
            response = post(api, f"/assignments/{{chased}}/{path}", _chase_body(**change))
            assert response.status_code == 422, (path, change, response.json)
            assert response.json["type"].endswith("/obligation-not-owed")
            assert field in response.json["errors"] and message in response.json["detail"]
    for change, field, message in not_owed:
        body = {**_chase_body(**change), "requested_due_on": "2026-12-31"}
        del body["reason"]
        response = post(api, "/assignments/{chased}/extension-requests",
                        {**body, "reason": "核对"}, "liaison")
        assert response.status_code == 422, (change, response.json)
        assert field in response.json["errors"] and message in response.json["detail"]
    assert position(api) == before


def test_urges_and_escalations_wait_for_the_due_date(api: Seeded) -> None:
    before = position(api)
    for path in ("urges", "escalations"):  # Q3 is due on 2026-10-13; today is 07-20
        early = post(api, f"/assignments/{{chased}}/{path}", _chase_body(period="2026-Q3"))
        assert early.status_code == 409, early.json
        assert early.json["type"].endswith("/obligation-not-due")
        assert "due on 2026-10-13" in early.json["detail"]
    assert position(api) == before
    reminder = post(api, "/assignments/{chased}/reminders", _chase_body(period="2026-Q3"))
    assert reminder.status_code == 201
    assert post(api, "/assignments/{chased}/urges", _chase_body()).status_code == 201


def test_due_on_is_the_obligations_own(api: Seeded) -> None:
    before = position(api)
    for path in ("reminders", "urges", "escalations"):
        wrong = post(api, f"/assignments/{{chased}}/{path}", _chase_body(due_on="2026-07-08"))
        assert wrong.status_code == 422
        assert "due on 2026-07-07, not 2026-07-08" in wrong.json["errors"]["due_on"][0]
    assert position(api) == before
    taken = post(api, "/assignments/{chased}/urges", _chase_body())  # no due_on: the rule's
    assert taken.status_code == 201
    written = list(api.app.extensions["taskledger"].ledger.records())[-1]
    assert written.event.due_on.isoformat() == "2026-07-07"


def test_nothing_is_chased_once_the_period_is_reported(api: Seeded) -> None:
    # the next day: the setup's own urge and escalation (07-20) are not this day's steps
    api.app.extensions["taskledger"].clock.advance(days=1)
    before = position(api)
    for path in ("reminders", "urges", "escalations"):  # HR on （十一） reported Q2 at setup
        response = post(api, f"/assignments/{{assignment}}/{path}", _chase_body())
        assert response.status_code == 409
        assert response.json["type"].endswith("/obligation-reported")
    assert position(api) == before


def test_the_same_office_chaser_on_one_business_date_is_recorded_once(api: Seeded) -> None:
    first = post(api, "/assignments/{chased}/reminders", _chase_body())
    assert first.status_code == 201 and first.json["created"] is True
    before = position(api)
    again = post(api, "/assignments/{chased}/reminders", _chase_body(reason="再次提醒"))
    assert again.status_code == 200, again.json
    assert again.json["event_id"] == first.json["event_id"] and again.json["created"] is False
    assert position(api) == before
    # another kind is another step
    assert post(api, "/assignments/{chased}/urges", _chase_body()).status_code == 201


def test_an_extension_is_approved_only_to_a_later_date(api: Seeded) -> None:
    """The request (setup) asks for Q3, due 2026-10-13, to move to 2026-10-30."""
    before = position(api)
    decision = "/assignments/{assignment}/extension-requests/{request}/decision"
    for new_due_on, message in (
        ("2022-12-05", "after the decision's business date (2026-07-20)"),  # the 1,723 days
        ("2026-07-20", "after the decision's business date"),
        ("2026-10-13", "after the current due date (2026-10-13)"),
        ("2026-09-30", "after the current due date"),
    ):
        refused = post(api, decision, {"approved": True, "new_due_on": new_due_on})
        assert refused.status_code == 422, (new_due_on, refused.json)
        assert message in refused.json["errors"]["new_due_on"][0]
    assert position(api) == before
    approved = post(api, decision, {"approved": True, "new_due_on": "2026-10-20"})
    assert approved.status_code == 201
    # and a request must ask for more time than it has
    asked = post(api, "/assignments/{chased}/extension-requests",
                 {"obligation": QUARTERLY, "period": "2026-Q3",
                  "requested_due_on": "2026-10-13", "reason": "核对"}, "liaison")
    assert asked.status_code == 422 and "requested_due_on" in asked.json["errors"]


def test_figures_are_finite_bounded_and_fit_their_target(api: Seeded) -> None:
    from ledger import ids

    svc = api.app.extensions["taskledger"]
    rated = str(ids.assignment_id(ids.task_id(uuid.UUID(api.ids["plan"]), "（九）"),
                                  uuid.UUID(api.ids["unit"])))
    before = position(api)
    for attempt, (target, metrics, message) in enumerate((
        ("{assignment}", {"创业培训": 1e308}, "within ±10^15"),
        ("{assignment}", {"其他": -1e16}, "within ±10^15"),
        ("{assignment}", {"创业培训": -5}, "cannot be negative"),
        (rated, {"普惠性幼儿园覆盖率": 8000}, "is a percentage; 8000 is not within 0-100"),
        (rated, {"普惠性幼儿园覆盖率": -1}, "cannot be negative"),
    )):
        response = post(api, f"/assignments/{target}/reports",
                        {"period": "2026-06", "narrative": "进展", "metrics": metrics},
                        "office", key=f"figures-{attempt}")
        assert response.status_code == 422, (metrics, response.json)
        assert message in response.json["errors"]["metrics"][0]
        corrected = post(api, "/assignments/{assignment}/corrections",
                         {"corrects": api.ids["report"], "narrative": "更正", "reason": "核对",
                          "metrics": {"创业培训": -5}})
        assert corrected.status_code == 422 and "metrics" in corrected.json["errors"]
    assert position(api) == before
    fine = post(api, f"/assignments/{rated}/reports",
                {"period": "2026-06", "narrative": "进展", "metrics": {"普惠性幼儿园覆盖率": 91.5}},
                "office", key="rate-ok")
    assert fine.status_code == 201
    assert svc.ledger.position() == before + 1


def test_target_progress_is_json_even_over_an_old_store_holding_1e308(api: Seeded) -> None:
    """Events are immutable: a figure stored before the bound stays. Its overflowing
    percentage reads as null, never as ``Infinity`` (which is not JSON)."""
    import json

    from ledger.acts import Act
    from ledger.assignment import Assignment

    svc = api.app.extensions["taskledger"]
    old = svc.ledger.get_assignment(uuid.UUID(api.ids["assignment"]))
    old.trigger_event(
        Assignment.ProgressReported,
        **Act.by(svc.clock, "before-the-bound", "liaison").event_fields(),
        period="2026-Q3", narrative="旧数据", metrics={"创业培训": 1e308},
        idempotency_key=None, content_hash="0" * 64,
    )
    svc.ledger.save(old)
    response = get(api, "/reports/targets")
    assert response.status_code == 200
    assert b"Infinity" not in response.data and b"NaN" not in response.data

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in the response")

    rows = json.loads(response.data, parse_constant=refuse)["rows"]
    training = [r for r in rows if r["indicator"] == "创业培训" and r["task_number"] == "（十一）"]
    assert training and training[0]["percent"] is None
    assert training[0]["actual"] == 1e308
