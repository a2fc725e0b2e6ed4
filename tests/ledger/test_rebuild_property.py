"""Property: any sequence of commands, re-read from the store, gives the same state.

The same random sequence runs against an in-memory ledger and a stored one (SQLite or
PostgreSQL). Afterwards a *new* application reads every assignment back from the store:
its state must equal the in-memory one and a tiny independent model of what the
commands should have done. Refused commands must be refused alike and write nothing.
"""

from __future__ import annotations

import tempfile
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.acts import Act
from ledger.application import Ledger, open_ledger
from ledger.clock import FixedClock
from ledger.errors import LedgerError
from ledger.store import parse_database_url, temporary_schema
from tests.conftest import POSTGRES_URL, need_postgres
from tests.ledger.world import build_world

PAIRS = [
    ("（一）", "自治区人力资源社会保障厅"),
    ("（一）", "自治区教育厅"),
    ("（二）", "自治区财政厅"),
]

command = st.one_of(
    st.tuples(
        st.just("report"),
        st.sampled_from(range(3)),
        st.sampled_from(["2026-05", "2026-06", "2026-Q2", "2026-Q3", "2027-01"]),
        st.sampled_from(["培训", "完成", "   ", "进展顺利"]),
        st.sampled_from([None, "k1", "k2"]),
        st.one_of(st.none(), st.integers(-5, 10**6), st.just("x")),
    ),
    st.tuples(
        st.sampled_from(
            [
                "remind",
                "urge",
                "escalate",
                "complete",
                "reopen",
                "withdraw",
                "reassign",
                "correct",
                "extend",
                "acknowledge",
            ]
        ),
        st.sampled_from(range(3)),
    ),
)


def _clock() -> FixedClock:
    # 2026-07-10: June's monthly report (due 07-07) is overdue, so it may be urged
    return FixedClock(datetime(2026, 7, 10, 1, 0, tzinfo=UTC))


def apply(ledger: Ledger, world_assignments: list, step: tuple) -> str:
    """Run one command; return a word describing the outcome for comparison."""
    act = Act.by(ledger.clock, "prop", "office", correlation_id="c")
    name, index = step[0], step[1]
    target = world_assignments[index]
    try:
        if name == "report":
            _, _, period, narrative, key, value = step
            metrics = {} if value is None else {"培训": value}
            ledger.report_progress(act, target, period, narrative, metrics, key)
        elif name in ("remind", "urge", "escalate"):
            method = {
                "remind": ledger.issue_reminder,
                "urge": ledger.issue_urge,
                "escalate": ledger.escalate,
            }[name]
            method(act, target, "monthly-progress", "2026-06", date(2026, 7, 7), name)
        elif name == "complete":
            ledger.complete(act, target, "done")
        elif name == "reopen":
            ledger.reopen(act, target, "again")
        elif name == "withdraw":
            ledger.withdraw(act, target, "gone")
        elif name == "reassign":
            a = ledger.get_assignment(target)
            ledger.assign(act, a.task_id, a.unit_id, "co")
        elif name == "correct":
            a = ledger.get_assignment(target)
            if not a.reports:
                return "skip"
            # a partial correction of the latest report, or of its latest correction
            fixes = a.corrections.get(max(a.reports), [])
            chosen = a.event_id_at(max(fixes) if fixes else max(a.reports))
            ledger.correct_progress(act, target, chosen, None, {"培训": len(fixes) + 1}, "typo")
        elif name == "extend":
            ledger.request_extension(
                act, target, "monthly-progress", "2026-06", date(2026, 8, 1), "r"
            )
        elif name == "acknowledge":  # the latest chase, whatever its kind
            assignment = ledger.get_assignment(target)
            if not assignment.chases:
                return "skip"
            chase = assignment.event_id_at(max(assignment.chases))
            ledger.acknowledge_chase(act, target, chase, "签收")
    except LedgerError as error:
        return type(error).__name__
    return "ok"


class Model:
    """What the commands should do, written without the aggregate's code."""

    def __init__(self) -> None:
        self.status = ["not_started"] * 3
        self.reports = [0] * 3
        self.keys: list[dict] = [{}, {}, {}]
        self.reminders = [0] * 3
        self.urges = [0] * 3
        self.chases: list[list[str]] = [[], [], []]  # kinds, in order
        self.acknowledged: list[set[int]] = [set(), set(), set()]  # chase indexes
        self.chased_today: list[set[str]] = [set(), set(), set()]  # once a day per kind
        self.june_reported = [False] * 3  # chasers are for June's report

    def expect(self, step: tuple) -> None:
        name, i = step[0], step[1]
        open_ = self.status[i] in ("not_started", "in_progress")
        if name == "report":
            _, _, period, narrative, key, value = step
            if not narrative.strip() or value == "x" or period == "2027-01":
                return
            if isinstance(value, int) and value < 0:  # 培训 is a target: never negative
                return
            if key is not None and key in self.keys[i]:
                return
            if self.status[i] == "withdrawn" or self.status[i] == "completed":
                return
            self.reports[i] += 1
            self.june_reported[i] = self.june_reported[i] or period == "2026-06"
            if key is not None:
                self.keys[i][key] = (period, narrative, value)
            if self.status[i] == "not_started":
                self.status[i] = "in_progress"
        elif name in ("remind", "urge", "escalate") and open_:
            # the office's second chase of a kind the same day returns the first; once
            # June is reported, nothing more is chased for it
            if name in self.chased_today[i] or self.june_reported[i]:
                return
            self.chased_today[i].add(name)
            kind = {"remind": "reminder", "urge": "urge", "escalate": "escalation"}[name]
            self.reminders[i] += kind == "reminder"
            self.urges[i] += kind == "urge"
            self.chases[i].append(kind)
        elif name == "acknowledge" and self.chases[i] and self.chases[i][-1] != "escalation":
            self.acknowledged[i].add(len(self.chases[i]) - 1)  # a second time: no change
        elif name == "complete" and open_:
            self.status[i] = "completed"
        elif name == "reopen" and self.status[i] == "completed":
            self.status[i] = "in_progress"
        elif name == "withdraw" and self.status[i] != "withdrawn":
            self.status[i] = "withdrawn"
        elif name == "reassign" and self.status[i] == "withdrawn":
            self.status[i] = "in_progress" if self.reports[i] else "not_started"


def _comparable(ledger: Ledger) -> list[dict]:
    """Every event as stored, less the per-request correlation id."""
    return [{**r.to_dict(), "correlation_id": None} for r in ledger.records()]


def state_of(aggregate) -> dict:
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


@contextmanager
def stored(backend: str):
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield parse_database_url(f"sqlite:///{Path(folder) / 'p.sqlite'}")
        return
    with temporary_schema(POSTGRES_URL, "tp") as config:
        yield config


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_any_command_sequence_reads_back_the_same(backend: str) -> None:
    if backend == "postgres":
        need_postgres()

    @settings(
        max_examples=40 if backend == "sqlite" else 15,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(st.lists(command, max_size=30))
    def check(steps: list) -> None:
        memory = Ledger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=_clock())
        with stored(backend) as config:
            durable = open_ledger(config, clock=_clock(), create_tables=True)
            worlds = [build_world(memory), build_world(durable)]
            targets = [[w.assignments[pair] for pair in PAIRS] for w in worlds]
            assert targets[0] == targets[1]  # natural keys: same ids everywhere
            model = Model()
            for step in steps:
                before = durable.position()
                outcomes = [apply(memory, targets[0], step), apply(durable, targets[1], step)]
                assert outcomes[0] == outcomes[1], step
                if outcomes[1] not in ("ok", "skip"):
                    assert durable.position() == before, f"{step} failed but wrote events"
                model.expect(step)
            durable.close()
            reread = open_ledger(config, clock=_clock())
            for i, assignment_id in enumerate(targets[1]):
                fresh = reread.get_assignment(assignment_id)
                assert state_of(fresh) == state_of(memory.get_assignment(assignment_id))
                assert fresh.status == model.status[i]
                assert len(fresh.reports) == model.reports[i]
                assert (fresh.reminders, fresh.urges) == (model.reminders[i], model.urges[i])
                assert len(fresh.acknowledgements) == len(model.acknowledged[i])
            assert _comparable(reread) == _comparable(memory)
            reread.close()

    check()
