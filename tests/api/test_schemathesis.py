"""schemathesis over the app's own OpenAPI schema: no 5xx, every response as documented.

The app runs in-process (WSGI) on a SQLite store holding both seed plans, an open
extension request and an open escalation, so generated requests reach real records as
well as random ones. One run calls as the office (every operation), one as a liaison
(most operations answer 403, its own unit's records 2xx). Examples are bounded so the
file stays well under a minute and a half.

Path ids: a generated UUID almost never names a record, which would test only the 404
path. So a case's generated id is mapped, deterministically, either to one of the real
ids of that kind or kept as generated (a 404); the mapping depends only on the generated
value, so hypothesis replays and shrinks the same request.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
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

# Which checks, and why not the others:
# - not_a_server_error: the point of the exercise (no 5xx);
# - response_schema_conformance: bodies match the documented schemas, errors included;
# - status_code_conformance: every operation documents ``default``, so it cannot fail;
#   kept as a guard should a ``default`` ever be dropped.
# - content_type_conformance is left out on purpose: every error is served as
#   ``application/problem+json`` (issue 6), while flask-smorest documents the default
#   error response (and 422) as ``application/json``; the check would fail every error
#   response on that mismatch alone. Reported to the API's owner; the body is still
#   validated against ProblemOut by response_schema_conformance.
# - negative-data / positive-data acceptance checks are left out: the API is stricter
#   than the spec can say (control characters, the Idempotency-Key header, business rules
#   such as "due date in the future" answer 409/422 to schema-valid bodies).
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]

MAX_EXAMPLES = 25
# 2026-07-01 09:00 in Asia/Shanghai, as in tests/conftest.py.
CLOCK = FixedClock(datetime(2026, 7, 1, 1, 0, tzinfo=UTC))


@dataclass
class World:
    app: object
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

    app = create_app(Settings(store=config, clock=CLOCK, writes_per_minute=0))
    services = app.extensions["taskledger"]
    services.catch_up()
    store = services.store
    assignments = store.query(
        "SELECT assignment_id, unit_id, unit_name, task_id, plan_id FROM {s}rm_assignments "
        "ORDER BY plan_id, task_id, unit_id"
    )
    # The liaison's unit: the lead of the first assignment listed.
    mine = assignments[0]
    ledger = services.ledger
    act = Act.by(CLOCK, "schemathesis-setup", "office")
    target = uuid.UUID(mine["assignment_id"])
    extension = ledger.request_extension(
        act, target, "月度进展报送", "2026-06", date(2026, 7, 31), "材料尚在汇总"
    ).event_id
    escalation = ledger.escalate(
        act, target, "月度进展报送", "2026-05", None, "逾期未报", []
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


def _prepare(case: schemathesis.Case, world: World, token: str) -> None:
    _real_ids(case, world.ids)
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
    if case.path.endswith("/reports") and case.method.upper() == "POST":
        # Required by the endpoint but not in the OpenAPI document (reported): without it
        # every generated report would stop at 400 before reaching the ledger.
        case.headers["Idempotency-Key"] = f"schemathesis-{uuid.uuid4()}"


def _schema_only_app() -> object:
    """The app, for its OpenAPI document only: its store is never opened (services are
    lazy), so the schema can be loaded at collection time. Requests go to ``world.app``.

    ``schemathesis.pytest.from_fixture`` would build the schema from the fixture instead,
    but schemathesis 4.32's lazy loader sets ``request.node._nodeid``, which pytest 9.2
    no longer has (AttributeError); the eager loader has no such problem.
    """
    never_opened = parse_database_url("sqlite:////nonexistent/taskledger-schema-only.sqlite")
    return create_app(Settings(store=never_opened, clock=CLOCK, writes_per_minute=0))


schema = schemathesis.openapi.from_wsgi("/openapi.json", _schema_only_app())

_bounded = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


@schema.parametrize()
@_bounded
def test_api_as_office(case: schemathesis.Case, world: World) -> None:
    _prepare(case, world, world.office_token)
    case.call_and_validate(app=world.app, checks=CHECKS)


@schema.parametrize()
@_bounded
def test_api_as_liaison(case: schemathesis.Case, world: World) -> None:
    _prepare(case, world, world.liaison_token)
    case.call_and_validate(app=world.app, checks=CHECKS)
