"""What "the same request" means (ledger.meaning), and the report keys that use it."""

from __future__ import annotations

import pytest

from ledger.acts import Act
from ledger.application import Ledger, open_ledger
from ledger.assignment import Assignment, content_hash
from ledger.clock import FixedClock
from ledger.errors import IdempotencyConflict
from ledger.meaning import canonical, fingerprint, same_meaning
from ledger.store import StoreConfig
from tests.ledger.world import HR, build_world


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (8000, 8000.0),
        (8000, 8e3),
        (0, -0.0),
        (2**63, float(2**63)),
        ({"a": 1, "b": [1, 2]}, {"b": [1.0, 2], "a": 1}),
        ("  培训 ", "培训"),
        ({" 培训": 1}, {"培训": 1}),
        ([{"x": "y "}], [{"x": "y"}]),
    ],
)
def test_same_meaning(first: object, second: object) -> None:
    assert same_meaning(first, second)
    assert fingerprint(first) == fingerprint(second)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (1, True),  # a boolean is not a number
        (0, False),
        (0, None),
        (8000, 8000.5),
        (0.1, 0.1000000000000001),
        (1, "1"),
        ({"a": 1}, {"a": 1, "b": None}),  # another key set
        ({"a": 1}, {"b": 1}),
        ([1, 2], [2, 1]),  # lists keep their order
        (["n", "1"], 1),  # no list spells a number
        ("培训", "培 训"),
        ({}, []),
    ],
)
def test_different_meaning(first: object, second: object) -> None:
    assert not same_meaning(first, second)


def test_canonical_text_is_ascii_even_for_lone_surrogates() -> None:
    assert canonical({"\ud800": "\x00"}).isascii()


def test_report_8000_and_8000_point_0_are_one_report(ledger: Ledger) -> None:
    world = build_world(ledger)
    assignment = world.assignments[("（一）", HR)]
    first = ledger.report_progress(world.liaison(), assignment, "2026-Q2", "培训8000人",
                                   {"培训": 8000}, "k")
    same = ledger.report_progress(world.liaison(), assignment, "2026-Q2", " 培训8000人 ",
                                  {"培训": 8000.0}, "k")
    assert same.created is False and same.event_id == first.event_id
    assert ledger.position() == first.position
    with pytest.raises(IdempotencyConflict):
        ledger.report_progress(world.liaison(), assignment, "2026-Q2", "培训8000人",
                               {"培训": 8000.5}, "k")


def test_a_key_recorded_with_a_hash_of_other_bytes_keeps_matching(
    ledger: Ledger, store_config: StoreConfig, clock: FixedClock
) -> None:
    """Reports recorded before meanings were compared carry a hash of their bytes
    (``content_hash``; ``8000.0`` hashed differently from ``8000``). The Assignment reads
    the stored report itself, so the retry of such a report is still the same report."""
    world = build_world(ledger)
    stream = world.assignments[("（一）", HR)]
    act = Act.by(ledger.clock, f"liaison:{HR}", "liaison")
    old = ledger.get_assignment(stream)
    old.trigger_event(
        Assignment.ProgressReported,
        **act.event_fields(),
        period="2026-Q2",
        narrative="培训8000人",
        metrics={"培训": 8000.0},
        idempotency_key="recorded-long-ago",
        content_hash=content_hash("2026-Q2", "培训8000人", {"培训": 8000.0}),
    )
    ledger.save(old)
    recorded = ledger.position()
    assert content_hash("2026-Q2", "培训8000人", {"培训": 8000}) != content_hash(
        "2026-Q2", "培训8000人", {"培训": 8000.0}), "the old hash told them apart"
    reopened = open_ledger(store_config, clock=clock)  # replays the stored events
    try:
        again = reopened.report_progress(world.liaison(), stream, "2026-Q2", "培训8000人",
                                         {"培训": 8000}, "recorded-long-ago")
        assert again.created is False and reopened.position() == recorded
        with pytest.raises(IdempotencyConflict):
            reopened.report_progress(world.liaison(), stream, "2026-Q2", "培训9000人",
                                     {"培训": 9000}, "recorded-long-ago")
    finally:
        reopened.close()
