"""Every role × every endpoint → the expected status, in one table."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Seeded
from tests.conftest import SEEDS

ROLES = ("office", "auditor", "liaison", "other_liaison", "platform", None)

REPORT = {"period": "2026-06", "narrative": "本月培训3000人", "metrics": {"创业培训": 3000}}
# chased on HR's （十五）, whose Q2 is overdue and not chased yet (（十一） is reported)
CHASE = {"obligation": "implementation-report-quarterly", "period": "2026-Q2",
         "due_on": "2026-07-07", "reason": "未按时报送"}

# (name, method, path, body, {role: status}); None is the anonymous caller.
# Ordered so state-dependent rows find what they need (e.g. reopen after complete).
MATRIX: list[tuple[str, str, str, Any, dict[str | None, int]]] = [
    ("list plans", "GET", "/plans", None,
     {"office": 200, "auditor": 200, "liaison": 200, "other_liaison": 200, "platform": 403}),
    ("one plan", "GET", "/plans/{plan}", None,
     {"office": 200, "auditor": 200, "liaison": 200, "other_liaison": 200, "platform": 403}),
    ("import dry run", "POST", "/plans?dry_run=true", "PLAN",
     {"office": 200, "auditor": 403, "liaison": 403, "other_liaison": 403, "platform": 403}),
    ("list tasks", "GET", "/tasks", None,
     {"office": 200, "auditor": 200, "liaison": 200, "other_liaison": 200, "platform": 403}),
    ("one task", "GET", "/tasks/{task}", None,
     {"office": 200, "auditor": 200, "liaison": 200, "other_liaison": 403, "platform": 403}),
    ("assign unit", "POST", "/tasks/{task}/assignments", {"unit": "财政厅", "role": "co"},
     {"office": 201, "auditor": 403, "liaison": 403, "other_liaison": 403, "platform": 403}),
    ("one unit", "GET", "/units/{unit}", None,
     {"office": 200, "auditor": 200, "liaison": 200, "other_liaison": 403, "platform": 403}),
    ("set contact", "PUT", "/units/{unit}/contact",
     {"name": "王联络", "email": "wang@rst.nmg.gov.cn", "webhook": "https://sms.example.test/"},
     {"office": 200, "auditor": 403, "liaison": 403, "other_liaison": 403, "platform": 403}),
    ("unit assignments", "GET", "/units/{unit}/assignments", None,
     {"office": 200, "auditor": 200, "liaison": 200, "other_liaison": 403, "platform": 403}),
    ("one assignment", "GET", "/assignments/{assignment}", None,
     {"office": 200, "auditor": 200, "liaison": 200, "other_liaison": 403, "platform": 403}),
    ("assignment reports", "GET", "/assignments/{assignment}/reports", None,
     {"office": 200, "auditor": 200, "liaison": 200, "other_liaison": 403, "platform": 403}),
    ("post report", "POST", "/assignments/{assignment}/reports", REPORT,
     {"office": 201, "auditor": 403, "liaison": 201, "other_liaison": 403, "platform": 403}),
    ("correct report", "POST", "/assignments/{assignment}/corrections",
     {"corrects": "{report}", "narrative": "更正", "metrics": {"创业培训": 8100},
      "reason": "笔误"},
     {"office": 201, "auditor": 403, "liaison": 201, "other_liaison": 403, "platform": 403}),
    ("request extension", "POST", "/assignments/{assignment}/extension-requests",
     {"obligation": "implementation-report-quarterly", "period": "2026-Q3",
      "requested_due_on": "2026-10-31", "reason": "数据核对"},
     {"office": 201, "auditor": 403, "liaison": 201, "other_liaison": 403, "platform": 403}),
    ("decide extension", "POST",
     "/assignments/{assignment}/extension-requests/{request}/decision", {"approved": True},
     {"office": 201, "auditor": 403, "liaison": 403, "other_liaison": 403, "platform": 403}),
    ("remind", "POST", "/assignments/{chased}/reminders", CHASE,
     {"office": 201, "auditor": 403, "liaison": 403, "other_liaison": 403, "platform": 403}),
    ("urge", "POST", "/assignments/{chased}/urges", CHASE,
     {"office": 201, "auditor": 403, "liaison": 403, "other_liaison": 403, "platform": 403}),
    ("escalate", "POST", "/assignments/{chased}/escalations", CHASE,
     {"office": 201, "auditor": 403, "liaison": 403, "other_liaison": 403, "platform": 403}),
    ("acknowledge", "POST",
     "/assignments/{assignment}/escalations/{escalation}/acknowledgement",
     {"platform_reference": "SUP-2026-001", "note": "已受理"},
     {"office": 201, "auditor": 403, "liaison": 403, "other_liaison": 403, "platform": 201}),
    ("acknowledge chase", "POST", "/assignments/{assignment}/chases/{urge}/acknowledgement",
     {"note": "已收到"},
     {"office": 201, "auditor": 403, "liaison": 201, "other_liaison": 403, "platform": 403}),
    ("complete", "POST", "/assignments/{to_complete}/complete", {},
     {"office": 201, "auditor": 403, "liaison": 403, "other_liaison": 403, "platform": 403}),
    ("reopen", "POST", "/assignments/{completed}/reopen", {"reason": "复核"},
     {"office": 201, "auditor": 403, "liaison": 403, "other_liaison": 403, "platform": 403}),
    ("withdraw", "POST", "/assignments/{to_withdraw}/withdraw", {"reason": "职责调整"},
     {"office": 201, "auditor": 403, "liaison": 403, "other_liaison": 403, "platform": 403}),
    ("responsibilities", "GET", "/reports/responsibilities", None,
     {"office": 200, "auditor": 200, "liaison": 200, "other_liaison": 200, "platform": 403}),
    ("overdue", "GET", "/reports/overdue?as_of=2026-07-20", None,
     {"office": 200, "auditor": 200, "liaison": 200, "other_liaison": 200, "platform": 403}),
    ("targets", "GET", "/reports/targets", None,
     {"office": 200, "auditor": 200, "liaison": 403, "other_liaison": 403, "platform": 403}),
    ("scorecard", "GET", "/reports/scorecard", None,
     {"office": 200, "auditor": 200, "liaison": 403, "other_liaison": 403, "platform": 403}),
    ("audit trail", "GET", "/audit?limit=5", None,
     {"office": 200, "auditor": 200, "liaison": 403, "other_liaison": 403, "platform": 403}),
    ("event feed", "GET", "/events?limit=5", None,
     {"office": 200, "auditor": 200, "liaison": 403, "other_liaison": 403, "platform": 403}),
    ("outbox", "GET", "/outbox", None,
     {"office": 200, "auditor": 200, "liaison": 403, "other_liaison": 403, "platform": 403}),
    ("briefings", "GET", "/briefings", None,
     {"office": 200, "auditor": 200, "liaison": 403, "other_liaison": 403, "platform": 403}),
    ("metrics", "GET", "/metrics", None,
     {"office": 200, "auditor": 200, "liaison": 403, "other_liaison": 403, "platform": 403}),
]


def call(api: Seeded, role: str | None, method: str, path: str, body: Any, n: int) -> Any:
    url = "/api/v1" + path.format(**api.ids)
    headers = api.headers(role)
    if body == "PLAN":
        data = (SEEDS / "001_048a3ae4a5fa919b.txt").read_bytes()
        return api.client.open(url, method=method, data=data,
                               headers={**headers, "Content-Type": "text/plain"})
    if method in ("POST", "PUT"):
        payload = _fill(body, api.ids)
        headers["Idempotency-Key"] = f"matrix-{role}-{n}"
        return api.client.open(url, method=method, json=payload, headers=headers)
    return api.client.open(url, method=method, headers=headers)


def _fill(body: Any, values: dict[str, str]) -> Any:
    if isinstance(body, dict):
        return {k: _fill(v, values) for k, v in body.items()}
    if isinstance(body, str) and body.startswith("{") and body.endswith("}"):
        return values[body[1:-1]]
    return body


@pytest.mark.parametrize("role", ROLES)
def test_authorization_matrix(sqlite_api: Seeded, role: str | None) -> None:
    outcomes = {}
    for n, (name, method, path, body, expected) in enumerate(MATRIX):
        response = call(sqlite_api, role, method, path, body, n)
        want = expected.get(role, 401) if role is not None else 401
        outcomes[name] = (response.status_code, want)
        if response.status_code >= 400:
            assert response.mimetype == "application/problem+json", name
        if response.status_code == 401:
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = {name: got for name, got in outcomes.items() if got[0] != got[1]}
    assert not wrong, f"(got, expected) for {role}: {wrong}"


def test_health_and_spec_need_no_token(sqlite_api: Seeded) -> None:
    assert sqlite_api.client.get("/healthz").status_code == 200
    assert sqlite_api.client.get("/openapi.json").status_code == 200


def test_errors_reveal_nothing_of_another_unit(sqlite_api: Seeded) -> None:
    """The finance liaison probing HR's assignment learns only that it may not."""
    url = f"/api/v1/assignments/{sqlite_api.ids['assignment']}"
    response = sqlite_api.client.get(url, headers=sqlite_api.headers("other_liaison"))
    assert response.status_code == 403
    text = response.get_data(as_text=True)
    assert "人力资源" not in text and "创业" not in text and sqlite_api.ids["unit"] not in text
