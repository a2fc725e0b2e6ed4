"""schemathesis over the app's own OpenAPI schema: no 5xx, every response as documented.

The app runs in-process (WSGI) on a SQLite store holding both seed plans, an open
extension request, an open escalation and a reminder, so generated requests reach real
records as well as random ones. One run calls as the office (every operation), one as a
liaison (most operations answer 403, its own unit's records 2xx). Examples are bounded
so the file stays well under a minute and a half.

Path ids: a generated UUID almost never names a record, which would test only the 404
path. So a case's generated id is mapped, deterministically, either to one of the real
ids of that kind or kept as generated (a 404); the mapping depends only on the generated
value, so hypothesis replays and shrinks the same request.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest
import schemathesis
from flask import Flask
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from api.services import Settings
from ledger.acts import Act
from ledger.application import open_ledger
from ledger.clock import FixedClock
from ledger.store import parse_database_url
from tests.projections.helpers import import_seeds

PROBLEM_JSON = "application/problem+json"


@functools.cache
def _problem_validator() -> jsonschema.Draft4Validator:
    """ProblemOut as the app documents it (OpenAPI 3.0 schemas are close to draft 4)."""
    return jsonschema.Draft4Validator(schema.raw_schema["components"]["schemas"]["ProblemOut"])


@schemathesis.check
def problem_json_conformance(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """Every error is ``application/problem+json`` whose body is the documented ProblemOut
    and whose ``status`` is the HTTP status. (schemathesis' own schema check skips these
    bodies: their media type is not the documented one, see CHECKS.)"""
    if response.status_code < 400:
        return None
    media_type = response.headers.get("content-type", [""])[0].split(";")[0].strip()
    assert media_type == PROBLEM_JSON, f"{response.status_code} served as {media_type!r}"
    body = response.json()
    _problem_validator().validate(body)
    assert body.get("status") == response.status_code, body
    assert body.get("title") and body.get("type"), body
    return True


# Which checks, and why not the others:
# - not_a_server_error: the point of the exercise (no 5xx);
# - response_schema_conformance: 2xx bodies match the documented schemas;
# - status_code_conformance: every operation documents ``default``, so it cannot fail
#   today; kept as a guard should a ``default`` ever be dropped;
# - problem_json_conformance (above): error bodies match ProblemOut.
# - content_type_conformance: errors are documented and served as application/problem+json
#   (the API overrides flask-smorest's default application/json error responses).
# Negative/positive data acceptance checks are left out: the API is stricter than the
# spec says (control characters, the Idempotency-Key header) and business rules answer
# 409/422 to schema-valid bodies (e.g. a requested due date in the past).
CHECKS = [
    not_a_server_error,
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
    problem_json_conformance,
]

MAX_EXAMPLES = 25
# 2026-07-01 09:00 in Asia/Shanghai, as in tests/conftest.py.
CLOCK = FixedClock(datetime(2026, 7, 1, 1, 0, tzinfo=UTC))


@dataclass
class World:
    app: Flask
    office_token: str
    liaison_token: str
    ids: dict[str, list[str]] = field(default_factory=dict)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    path: Path = tmp_path_factory.mktemp("schemathesis") / "ledger.sqlite"
    config = parse_database_url(f"sqlite:///{path}")
    ledger = open_ledger(config, clock=CLOCK, create_tables=True)
    import_seeds(ledger)
    ledger.close()

    app = create_app(Settings(store=config, clock=CLOCK, writes_per_minute=0,
                              create_tables=True))  # as `db init` would
    services = app.extensions["taskledger"]
    services.catch_up()
    store = services.store
    assignments = store.query(
        "SELECT assignment_id, unit_id, unit_name, task_id, plan_id FROM {s}rm_assignments "
        "ORDER BY plan_id, task_id, unit_id"
    )
    # Chasers and extensions name obligations an assignment owes (the read models'
    # schedule): the liaison's unit is that of the first assignment listed with one
    # overdue (escalated) and one still open (reminded, and its extension asked for).
    today = CLOCK.today().isoformat()
    for mine in assignments:
        owed = store.query(
            "SELECT rule, period, due_on FROM {s}rm_obligations WHERE assignment_id = ? "
            "AND period_start <= ? ORDER BY due_on, rule, period",
            [mine["assignment_id"], today],
        )
        overdue = [o for o in owed if o["due_on"] < today]
        upcoming = [o for o in owed if o["due_on"] >= today]
        if overdue and upcoming:
            overdue, upcoming = overdue[0], upcoming[0]
            break
    ledger = services.ledger
    act = Act.by(CLOCK, "schemathesis-setup", "office")
    target = uuid.UUID(mine["assignment_id"])
    extension = ledger.request_extension(
        act, target, upcoming["rule"], upcoming["period"],
        date.fromisoformat(upcoming["due_on"]) + timedelta(days=14), "材料尚在汇总"
    ).event_id
    escalation = ledger.escalate(
        act, target, overdue["rule"], overdue["period"], None, "逾期未报", []
    ).event_id
    reminder = ledger.issue_reminder(
        act, target, upcoming["rule"], upcoming["period"], None, "请按时报送", []
    ).event_id
    services.catch_up()

    _, office = services.tokens.create("office", CLOCK.now(), label="schemathesis office")
    _, liaison = services.tokens.create(
        "liaison", CLOCK.now(), unit_id=mine["unit_id"], unit_name=mine["unit_name"],
        label="schemathesis liaison",
    )
    own = [a["assignment_id"] for a in assignments if a["unit_id"] == mine["unit_id"]]
    others = [a["assignment_id"] for a in assignments if a["unit_id"] != mine["unit_id"]]
    tasks = sorted({a["task_id"] for a in assignments})
    units = sorted({a["unit_id"] for a in assignments})
    plans = sorted({a["plan_id"] for a in assignments})
    ids = {
        # the liaison's own work first, so both roles meet records they may act on
        "assignment_id": own[:3] + others[:3],
        "task_id": [mine["task_id"], *tasks[:2]],
        "unit_id": [mine["unit_id"], *units[:2]],
        "plan_id": plans,
        "request_id": [str(extension)],
        "escalation_id": [str(escalation)],
        # chases a liaison may sign for (签收), and one it may not (an escalation)
        "event_id": [str(reminder), str(escalation)],
    }
    yield World(app, office, liaison, ids)
    services.close()


def _real_ids(case: schemathesis.Case, ids: dict[str, list[str]]) -> None:
    """Replace generated path ids by real ones most of the time (see the module doc)."""
    for name, value in list((case.path_parameters or {}).items()):
        known = ids.get(name)
        if not known:
            continue
        try:
            pick = uuid.UUID(str(value)).int % (len(known) + 1)
        except ValueError:
            continue  # not a UUID at all: let the router answer 404
        if pick < len(known):
            case.path_parameters[name] = known[pick]


SQLITE_INTEGER_MAX = 2**63 - 1


def _prepare(case: schemathesis.Case, world: World, token: str) -> None:
    _real_ids(case, world.ids)
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
    if case.path.endswith("/reports") and case.method.upper() == "POST":
        # Required by the endpoint but not in the OpenAPI document (reported): without it
        # every generated report would stop at 400 before reaching the ledger.
        case.headers["Idempotency-Key"] = f"schemathesis-{uuid.uuid4()}"


def _schema_only_app() -> Flask:
    """The app, for its OpenAPI document only: its store is never opened (services are
    lazy), so the schema can be loaded at collection time. Requests go to ``world.app``.

    ``schemathesis.pytest.from_fixture`` would build the schema from the fixture instead,
    but schemathesis 4.32's lazy loader sets ``request.node._nodeid``, which pytest 9.2
    no longer has (AttributeError); the eager loader has no such problem.
    """
    never_opened = parse_database_url("sqlite:////nonexistent/taskledger-schema-only.sqlite")
    return create_app(Settings(store=never_opened, clock=CLOCK, writes_per_minute=0))


# 25 examples per operation (plus schemathesis' coverage cases), derandomized so a run
# is repeatable; the four report queries compute over every assignment of both plans
# (0.2-1.5 s a call on SQLite), so they get fewer to keep the file within its budget.
CONFIG = SchemathesisConfig.from_dict({
    "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
    "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
    "operations": [
        {"include-path-regex": "^/api/v1/reports/", "generation": {"max-examples": 5}},
    ],
})
schema = schemathesis.openapi.from_wsgi("/openapi.json", _schema_only_app(), config=CONFIG)


@schema.parametrize()
def test_api_as_office(case: schemathesis.Case, world: World) -> None:
    _prepare(case, world, world.office_token)
    case.call_and_validate(app=world.app, checks=CHECKS)


@schema.parametrize()
def test_api_as_liaison(case: schemathesis.Case, world: World) -> None:
    _prepare(case, world, world.liaison_token)
    case.call_and_validate(app=world.app, checks=CHECKS)


@pytest.mark.parametrize("path", ["/api/v1/events", "/api/v1/audit"])
def test_cursor_beyond_sqlite_integer_is_refused(world: World, path: str) -> None:
    """Found by this fuzz: ``after`` past SQLite's INTEGER range reached the cursor and
    answered 500 (OverflowError); it is now bounded in the query schema."""
    client = world.app.test_client()
    response = client.get(
        f"{path}?after={SQLITE_INTEGER_MAX + 1}",
        headers={"Authorization": f"Bearer {world.office_token}"},
    )
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM_JSON
    assert "after" in response.get_json()["errors"]


def test_feed_after_the_largest_position_is_not_a_server_error(world: World) -> None:
    """Found by this fuzz: ``after`` at the 64-bit limit once overflowed SQLite (500)."""
    client = world.app.test_client()
    headers = {"Authorization": f"Bearer {world.office_token}"}
    response = client.get(f"/api/v1/events?after={SQLITE_INTEGER_MAX - 1}", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {"items": [], "next_after": None, "includes_simulated": False}
    assert client.get(f"/api/v1/events?after={SQLITE_INTEGER_MAX}",
                      headers=headers).status_code == 422
