"""Free text the ledger takes: what no clerk could have meant is refused, naming the field.

Issue 12: a lone surrogate gave a 500 (no UTF-8 store holds one), a zero-width-only
narrative was accepted while a spaces-only one was refused, and U+202E was accepted and
reversed the text in the PDF briefing.
"""

from __future__ import annotations

import pytest

from ledger.application import Ledger
from ledger.errors import EmptyNarrative, InvalidInput
from ledger.importer import decode_document, parse_plan
from ledger.validation import clean_narrative, clean_text
from tests.conftest import SEEDS
from tests.ledger.world import HR, build_world

BIDI_CONTROLS = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]
BLANK = {
    "spaces": "   ",
    "tab and newlines": "\t\n\r\n",
    "zero-width characters": "\u200b\u200c\u200d\u2060",
    "byte order marks": "\ufeff\ufeff",
    "ideographic spaces": "\u3000\u3000",
    "no-break and thin spaces": "\xa0\u2009\u202f",
    "a mixture": " \u200b\u3000\ufeff\t",
}


@pytest.mark.parametrize("control", BIDI_CONTROLS, ids=lambda c: f"U+{ord(c):04X}")
def test_bidirectional_controls_are_refused(control: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        clean_text(f"名单{control}fdp.exe", "reason")
    assert refused.value.field == "reason"
    assert "bidirectional" in refused.value.message


@pytest.mark.parametrize("text", ["\ud800", "报告\udfff完成", "\udcff"])
def test_lone_surrogates_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        clean_text(text, "note", required=False)
    assert refused.value.field == "note" and "lone surrogates" in refused.value.message


def test_nul_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        clean_text("完成\x00培训", "reason")
    assert refused.value.field == "reason" and "control" in refused.value.message


@pytest.mark.parametrize("text", BLANK.values(), ids=BLANK.keys())
def test_text_of_invisible_characters_is_empty(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        clean_text(text, "reason")
    assert refused.value.field == "reason" and "must not be empty" in refused.value.message
    with pytest.raises(EmptyNarrative) as empty:
        clean_narrative(text)
    assert empty.value.field == "narrative" and empty.value.code == "empty-narrative"
    # where text is optional, a blank one is none, whatever it is made of
    assert clean_text(text, "note", required=False) == ""


def test_invisible_characters_are_trimmed_at_the_ends_and_kept_inside() -> None:
    assert clean_text("\ufeff\u3000创业培训8000人\u200b \n", "narrative") == "创业培训8000人"
    # a zero-width joiner inside a word is part of how it is written
    assert clean_text("👩\u200d💻 上线", "note") == "👩\u200d💻 上线"


def test_refused_text_writes_nothing_on_either_backend(ledger: Ledger) -> None:
    world = build_world(ledger)
    assignment = world.assignments[("（一）", HR)]
    before = ledger.position()
    for narrative in ("\u200b\u200b", "\u3000", "培训\ud800", "培训\u202e0008"):
        with pytest.raises(InvalidInput) as refused:
            ledger.report_progress(world.liaison(), assignment, "2026-06", narrative)
        assert refused.value.field == "narrative"
    with pytest.raises(InvalidInput) as refused:
        ledger.issue_reminder(world.office(), assignment, "monthly-progress", "2026-06",
                              None, "\u2066请报送\u2069")
    assert refused.value.field == "reason"
    with pytest.raises(InvalidInput) as refused:
        ledger.report_progress(world.liaison(), assignment, "2026-06", "培训", {"\u200b": 1})
    assert refused.value.field in ("metric name", "metrics")
    assert ledger.position() == before
    ledger.report_progress(world.liaison(), assignment, "2026-06", "\ufeff培训800人\u200b")
    stored = [r.to_dict() for r in ledger.records(after=before)]
    assert [(r["type"], r["data"]["narrative"]) for r in stored] == [
        ("ProgressReported", "培训800人")]


# ---- the importer strips instead of refusing -----------------------------------------
SEED = (SEEDS / "000_48908fa878961524.txt").read_text("utf-8")


@pytest.mark.parametrize(
    "inserted",
    ["\u200b", "\u200d\u2060", "\ufeff", "\u202e", "\u2066\u2069", "\xad", "\x00", "\x1b"],
    ids=lambda s: "+".join(f"U+{ord(c):04X}" for c in s),
)
def test_the_importer_strips_invisible_characters_and_reads_the_same_plan(
    inserted: str,
) -> None:
    clean = parse_plan(decode_document(SEED.encode()))
    dirty_text = SEED.replace("加强", f"加{inserted}强").replace("。\n", f"。{inserted}\n", 5)
    dirty = parse_plan(decode_document(dirty_text.encode()))
    assert dirty.to_json() == clean.to_json()  # same tasks, units, targets, digest
    assert inserted not in decode_document(dirty_text.encode())


def test_a_lone_surrogate_in_text_handed_to_the_parser_is_stripped() -> None:
    clean = parse_plan(SEED)
    assert parse_plan(SEED.replace("加强", "加\ud800强")).to_json() == clean.to_json()


def test_a_document_of_controls_is_still_binary() -> None:
    from ledger.errors import PlanFormatError

    with pytest.raises(PlanFormatError, match="binary"):
        decode_document(("任务" + "\x00" * 40 + "\x1b" * 40).encode())
