"""An API over a seeded store, and tokens for every role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest
from flask.testing import FlaskClient

from api.app import create_app
from api.services import Settings
from ledger import ids
from ledger.acts import Act
from ledger.clock import FixedClock
from ledger.store import StoreConfig
from projections import lookup
from tests.projections.helpers import import_seeds

HR = "自治区人力资源社会保障厅"
FINANCE = "自治区财政厅"


@dataclass
class Seeded:
    client: FlaskClient
    app: Any
    tokens: dict[str, str]
    ids: dict[str, str]

    def headers(self, role: str | None, **extra: str) -> dict[str, str]:
        headers = dict(extra)
        if role:
            headers["Authorization"] = f"Bearer {self.tokens[role]}"
        return headers


def seeded_api(config: StoreConfig) -> Seeded:
    clock = FixedClock(datetime(2026, 7, 20, 1, tzinfo=UTC))
    app = create_app(Settings(store=config, clock=clock, writes_per_minute=0,
                              create_tables=True))
    svc = app.extensions["taskledger"]
    ledger = svc.ledger
    import_seeds(ledger)
    svc.catch_up()
    store = svc.store
    plan = lookup.resolve_plan(store, "稳岗扩容").plan_id
    hr = lookup.resolve_unit(store, HR).unit_id
    finance = lookup.resolve_unit(store, FINANCE).unit_id

    def assignment(number: str) -> UUID:
        return ids.assignment_id(ids.task_id(UUID(plan), number), UUID(hr))

    office = Act.by(clock, "setup", "office")
    main = assignment("（十一）")
    # Q2 was due on 07-07: escalated and urged while still unreported, then reported
    escalation = ledger.escalate(office, main, "implementation-report-quarterly", "2026-Q2",
                                 date(2026, 7, 7), "逾期")
    urge = ledger.issue_urge(office, main, "implementation-report-quarterly", "2026-Q2",
                             date(2026, 7, 7), "逾期未报")
    report = ledger.report_progress(office, main, "2026-Q2", "创业培训8000人", {"创业培训": 8000},
                                    "setup")
    extension = ledger.request_extension(office, main, "implementation-report-quarterly",
                                         "2026-Q3", date(2026, 10, 30), "核对")
    done = assignment("（十二）")
    ledger.complete(office, done, "办结")
    svc.catch_up()
    tokens = {}
    for role, unit_id, unit_name in (
        ("office", None, None), ("auditor", None, None), ("platform", None, None),
        ("liaison", hr, HR), ("other_liaison", finance, FINANCE),
    ):
        _, tokens[role] = svc.tokens.create(role.replace("other_", ""), clock.now(),
                                            unit_id=unit_id, unit_name=unit_name)
    return Seeded(
        client=app.test_client(),
        app=app,
        tokens=tokens,
        ids={
            "plan": plan,
            "task": str(ids.task_id(UUID(plan), "（十一）")),
            "unit": hr,
            "assignment": str(main),
            "report": str(report.event_id),
            "request": str(extension.event_id),
            "escalation": str(escalation.event_id),
            "urge": str(urge.event_id),
            "completed": str(done),
            "to_complete": str(assignment("（十四）")),
            "to_withdraw": str(assignment("（十三）")),
            # HR on （十五）: Q2 (due 07-07) unreported and not chased yet
            "chased": str(assignment("（十五）")),
        },
    )


@pytest.fixture
def api(store_config: StoreConfig) -> Seeded:
    seeded = seeded_api(store_config)
    yield seeded
    seeded.app.extensions["taskledger"].close()


@pytest.fixture
def sqlite_api(sqlite_config: StoreConfig) -> Seeded:
    seeded = seeded_api(sqlite_config)
    yield seeded
    seeded.app.extensions["taskledger"].close()
