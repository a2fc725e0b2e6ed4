"""Issue 12's hostile-client findings on text, bodies and correlation ids, one by one.

- A lone surrogate ("\\ud800") in a text field gave a 500 on six endpoints; JSON nested
  about 1,000 deep gave a 500.
- A narrative of zero-width characters was accepted while one of spaces was refused;
  U+202E was accepted (and reversed the text in the PDF).
- A client's X-Request-Id was stored verbatim as the events' correlation id: 8,000
  characters, ``<script>``, or another request's id, falsely linking two events.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from werkzeug.exceptions import BadRequest

from tests.api.conftest import Seeded

V1 = "/api/v1"
QUARTERLY = "implementation-report-quarterly"


def position(api: Seeded) -> int:
    return api.app.extensions["taskledger"].ledger.position()


def send(api: Seeded, path: str, body: bytes | str, role: str = "office", method: str = "POST",
         **headers: str) -> Any:
    all_headers = {**api.headers(role), "Content-Type": "application/json",
                   "Idempotency-Key": f"k-{uuid.uuid4()}", **headers}
    return api.client.open(V1 + path.format(**api.ids), method=method, data=body,
                           headers=all_headers)


def json_body(body: dict[str, Any]) -> str:
    return json.dumps(body)  # ASCII: a lone surrogate travels as the escape "\ud800"


# Every text field of every write, with a body that is otherwise a plausible request.
TEXT_FIELDS = [
    ("/assignments/{assignment}/reports", "liaison",
     {"period": "2026-06", "narrative": "六月培训3000人"}, "narrative"),
    ("/assignments/{assignment}/corrections", "liaison",
     {"corrects": "{report}", "narrative": "更正", "reason": "笔误"}, "narrative"),
    ("/assignments/{assignment}/corrections", "liaison",
     {"corrects": "{report}", "narrative": "更正", "reason": "笔误"}, "reason"),
    ("/assignments/{assignment}/extension-requests", "liaison",
     {"obligation": QUARTERLY, "period": "2026-Q3", "requested_due_on": "2026-10-30",
      "reason": "数据核对"}, "reason"),
    ("/assignments/{assignment}/extension-requests/{request}/decision", "office",
     {"approved": False, "note": "不予延期"}, "note"),
    ("/assignments/{assignment}/reminders", "office",
     {"obligation": QUARTERLY, "period": "2026-Q3", "reason": "提醒"}, "reason"),
    ("/assignments/{assignment}/escalations/{escalation}/acknowledgement", "office",
     {"platform_reference": "JD-1", "note": "已受理"}, "platform_reference"),
    ("/assignments/{assignment}/chases/{urge}/acknowledgement", "liaison",
     {"note": "已收到"}, "note"),
    ("/assignments/{to_withdraw}/withdraw", "office", {"reason": "调整分工"}, "reason"),
    ("/tasks/{task}/assignments", "office", {"unit": "自治区财政厅", "role": "co"}, "unit"),
]


def _with(body: dict[str, Any], api: Seeded, field: str, value: str) -> dict[str, Any]:
    filled = {k: v.format(**api.ids) if isinstance(v, str) else v for k, v in body.items()}
    return {**filled, field: value}


def test_a_lone_surrogate_in_any_text_field_is_refused_not_a_500(api: Seeded) -> None:
    before = position(api)
    for path, role, body, field in TEXT_FIELDS:
        for value in ("\ud800", "报告\udfff完成"):
            response = send(api, path, json_body(_with(body, api, field, value)), role)
            assert response.status_code == 422, (path, field, response.get_data(as_text=True))
            assert response.mimetype == "application/problem+json"
            assert field in response.json["errors"], (path, response.json)
    contact = send(api, "/units/{unit}/contact", json_body({"name": "王\ud800"}), method="PUT")
    assert contact.status_code == 422 and "name" in contact.json["errors"]
    # in a key: as an unknown field, and as a metric's name
    unknown = send(api, "/assignments/{assignment}/reports",
                   json_body({"period": "2026-06", "narrative": "x", "\ud800": 1}), "liaison")
    assert unknown.status_code == 422
    assert json.loads(unknown.get_data()) == unknown.json  # the problem itself is JSON
    metric = send(api, "/assignments/{assignment}/reports",
                  json_body({"period": "2026-06", "narrative": "x", "metrics": {"\ud800": 1}}),
                  "liaison")
    assert metric.status_code == 422 and "metrics" in metric.json["errors"]
    assert position(api) == before


def test_the_text_fields_are_refused_by_the_ledger_itself(api: Seeded) -> None:
    """Bidirectional controls and invisible-only text pass the schemas; the ledger's
    cleaning refuses them, so the API says the same as the CLI."""
    before = position(api)
    for path, role, body, field in TEXT_FIELDS:
        if field == "unit":
            continue  # a name to look up, not text to store: an unknown unit (404)
        for value in ("完成\u202e培训", "\u2066完成\u2069"):
            response = send(api, path, json_body(_with(body, api, field, value)), role)
            assert response.status_code == 422, (path, field, response.json)
            assert "bidirectional" in response.json["detail"]
    assert position(api) == before


def test_a_zero_width_narrative_is_as_empty_as_a_spaces_one(api: Seeded) -> None:
    before = position(api)
    answers = {}
    for label, narrative in (("spaces", "   "), ("zero-width", "\u200b\u200c\u200d"),
                             ("ideographic spaces", "\u3000\u3000"), ("BOM", "\ufeff")):
        response = send(api, "/assignments/{assignment}/reports",
                        json_body({"period": "2026-06", "narrative": narrative}), "liaison")
        assert response.status_code == 422, (label, response.json)
        answers[label] = (response.json["type"], tuple(response.json["errors"]))
    assert set(answers.values()) == {
        ("https://taskledger.invalid/problems/empty-narrative", ("narrative",))}
    assert position(api) == before


def test_u202e_in_a_narrative_is_refused(api: Seeded) -> None:
    before = position(api)
    response = send(api, "/assignments/{assignment}/reports",
                    json_body({"period": "2026-06", "narrative": "完成培训\u202e人0008"}),
                    "liaison")
    assert response.status_code == 422
    assert response.json["errors"] == {"narrative": [response.json["detail"]]}
    assert "U+202A-U+202E" in response.json["detail"]
    assert position(api) == before


# ---- bodies --------------------------------------------------------------------------
REPORT = "/assignments/{assignment}/reports"


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("label", "body", "says"),
    [
        ("1,000 deep", nested(1000), "nested deeper than 32"),
        ("10,000 deep in a field",
         '{"period": "2026-06", "narrative": "x", "metrics": ' + nested(10_000) + "}",
         "nested deeper than 32"),
        ("33 deep", '{"period": "2026-06", "narrative": "x", "metrics": ' + nested(32) + "}",
         "nested deeper than 32"),
        ("duplicate keys", '{"period": "2026-06", "narrative": "x", "narrative": "y"}',
         'the key "narrative" appears twice'),
        ("NaN", '{"period": "2026-06", "narrative": "x", "metrics": {"a": NaN}}', "NaN"),
        ("Infinity", '{"period": "2026-06", "narrative": "x", "metrics": {"a": -Infinity}}',
         "-Infinity"),
        ("1e999", '{"period": "2026-06", "narrative": "x", "metrics": {"a": 1e999}}',
         "too large"),
        ("5,000 digits", '{"period": "2026-06", "narrative": "x", "metrics": {"a": '
         + "9" * 5000 + "}}", "not usable JSON"),
        ("invalid UTF-8", b'{"period": "2026-06", "narrative": "\xff\xfe"}', "not UTF-8"),
        ("UTF-8-encoded surrogate", b'{"period": "2026-06", "narrative": "\xed\xa0\x80"}',
         "not UTF-8"),
        ("UTF-8 byte order mark", b'\xef\xbb\xbf{"period": "2026-06", "narrative": "x"}',
         "not JSON"),
        ("truncated", '{"period": "2026-06", "narrative": "x"', "not JSON"),
    ],
)
def test_malformed_bodies_are_400_problems_never_500(sqlite_api: Seeded, label: str,
                                                     body: Any, says: str) -> None:
    """Parsing is the same on either backend (the sweep runs on both)."""
    before = position(sqlite_api)
    response = send(sqlite_api, REPORT, body, "liaison")
    assert response.status_code == 400, (label, response.get_data(as_text=True)[:300])
    assert response.mimetype == "application/problem+json"
    assert says in response.json["detail"], response.json
    assert position(sqlite_api) == before


def test_nesting_up_to_32_levels_is_read(sqlite_api: Seeded) -> None:
    """32 levels is JSON the parser reads; the schema then refuses the shape (422)."""
    body = '{"period": "2026-06", "narrative": "x", "metrics": ' + nested(31) + "}"
    response = send(sqlite_api, REPORT, body, "liaison")
    assert response.status_code == 422 and "metrics" in response.json["errors"]


def test_every_reader_of_json_is_strict(sqlite_api: Seeded) -> None:
    """Flask's request.get_json (for any view that reads a body itself) uses the same
    parser as the endpoints' schemas."""
    from flask import request

    for data in ('{"a": 1, "a": 2}', '{"a": NaN}', nested(40)):
        with sqlite_api.app.test_request_context(
            "/", method="POST", data=data, content_type="application/json"
        ), pytest.raises(BadRequest):
            request.get_json()
    with sqlite_api.app.test_request_context(
        "/", method="POST", data='{"a": [1, {"b": "长"}]}', content_type="application/json"
    ):
        assert request.get_json() == {"a": [1, {"b": "长"}]}


def test_an_empty_body_is_a_missing_one(sqlite_api: Seeded) -> None:
    """As before: no body is no fields (each required one named), not malformed JSON."""
    response = send(sqlite_api, REPORT, b"", "liaison")
    assert response.status_code == 422
    assert {"period", "narrative"} <= set(response.json["errors"])


# ---- correlation ids -------------------------------------------------------------------
def _events_after(api: Seeded, after: int) -> list[dict[str, Any]]:
    response = api.client.get(f"{V1}/events?after={after}", headers=api.headers("office"))
    assert response.status_code == 200
    return response.json["items"]


def _report(api: Seeded, n: int, request_id: str | None) -> tuple[Any, dict[str, Any]]:
    before = position(api)
    extra = {"X-Request-Id": request_id} if request_id is not None else {}
    response = send(api, REPORT, json_body({"period": "2026-06", "narrative": f"第{n}次"}),
                    "liaison", **extra)
    assert response.status_code == 201, response.json
    events = _events_after(api, before)
    assert len(events) == 1
    return response, events[0]


def test_only_a_uuid_request_id_becomes_the_correlation_id(api: Seeded) -> None:
    hostile = {
        "8,000 characters": "a" * 8000,
        "markup": "<script>alert(1)</script>",
        "another system's request number": "req-20260720-0001",
        "a UUID with something after it": f"{uuid.uuid4()}; drop",
        "a UUID without hyphens": uuid.uuid4().hex,
    }
    used: list[str] = []
    for n, (label, header) in enumerate(hostile.items()):
        response, event = _report(api, n, header)
        echoed = response.headers["X-Request-Id"]
        assert str(uuid.UUID(echoed)) == echoed, label  # a canonical UUID
        assert event["correlation_id"] == echoed != header, label
        used.append(echoed)
    # the same non-UUID id sent twice does not link the two requests' events
    _, first = _report(api, 10, "req-42")
    _, second = _report(api, 11, "req-42")
    assert first["correlation_id"] != second["correlation_id"]
    assert len(set(used)) == len(used)

    mine = uuid.uuid4()
    response, event = _report(api, 12, str(mine).upper())
    assert event["correlation_id"] == response.headers["X-Request-Id"] == str(mine)
    # one request's id may tie several of its own events together; that is its purpose
    _, again = _report(api, 13, str(mine))
    assert again["correlation_id"] == str(mine)


def test_every_response_echoes_the_id_used(sqlite_api: Seeded) -> None:
    mine = str(uuid.uuid4())
    for path in ("/healthz", f"{V1}/plans", f"{V1}/no-such-thing"):
        kept = sqlite_api.client.get(path, headers={**sqlite_api.headers("office"),
                                                    "X-Request-Id": mine})
        assert kept.headers["X-Request-Id"] == mine
        made = sqlite_api.client.get(path, headers={**sqlite_api.headers("office"),
                                                    "X-Request-Id": "<b>x</b>"})
        assert uuid.UUID(made.headers["X-Request-Id"]) and "<b>" not in str(made.headers)
