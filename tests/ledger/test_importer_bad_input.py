"""Bad input is refused with one clear line (PlanFormatError), never half-read."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.errors import PlanFormatError
from ledger.importer import decode_document, parse_plan

SEEDS = Path(__file__).resolve().parents[2].parent / "shared" / "seeds"
SEED_000 = SEEDS / "000_48908fa878961524.txt"
SEED_001 = SEEDS / "001_048a3ae4a5fa919b.txt"


def _refused(data: bytes) -> str:
    with pytest.raises(PlanFormatError) as caught:
        parse_plan(decode_document(data))
    message = str(caught.value)
    assert message and "\n" not in message
    return message


@pytest.mark.parametrize("data", [b"", b"   \n\n  \r\n", "\ufeff".encode()])
def test_empty(data):
    assert "empty" in _refused(data)


def test_binary_with_nul_bytes():
    assert "binary" in _refused(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))


def test_binary_without_nul_bytes():
    data = bytes(b for b in range(1, 32) if b not in (9, 10, 13)) * 40
    assert "binary" in _refused(data)


def test_no_recognisable_tasks():
    text = "关于做好就业工作的通知\n各单位：\n请认真做好就业工作，确保就业形势稳定。\n"
    assert "task" in _refused(text.encode())


def test_numbered_items_without_units_are_not_tasks():
    text = "工作要点\n一、总体要求\n做好就业工作。\n二、主要措施\n（一）加强领导。落实责任。\n"
    assert "task" in _refused(text.encode())


def test_truncated_inside_task_text():
    text = SEED_000.read_text("utf-8")
    words = "开展就业政策宣传系列活动，强化经营"
    cut = text.index(words) + len(words)
    message = _refused(text[:cut].encode())
    assert "truncated" in message and "（十八）" in message


def test_truncated_after_a_sentence_before_units():
    text = SEED_000.read_text("utf-8")
    words = "积极营造全社会关心支持就业的良好氛围。"  # a whole sentence, then the end
    cut = text.index(words) + len(words)
    assert "truncated" in _refused(text[:cut].encode())


def test_truncated_inside_unclosed_unit_list():
    text = SEED_001.read_text("utf-8")
    cut = text.index("区人力资源社会保障厅，各行业主管") + len("区人力资源社会保障厅，各行业主管")
    message = _refused(text[:cut].encode())
    assert "truncated" in message and "unit list" in message


def test_truncated_001_inside_task_text():
    text = SEED_001.read_text("utf-8")
    cut = text.index("协会商会、经营性人力资源服务机构")
    assert "truncated" in _refused(text[:cut].encode())


def test_neither_utf8_nor_gb18030():
    with pytest.raises(PlanFormatError):
        decode_document(b"\xff\xfe\xfd\xfc" * 10)


def test_larger_than_the_documented_limit():
    """The importer itself refuses a document over MAX_PLAN_BYTES, whoever calls it."""
    from ledger.importer.text import MAX_PLAN_BYTES

    over = SEED_000.read_bytes() + b"\n" * (MAX_PLAN_BYTES + 1 - SEED_000.stat().st_size)
    assert len(over) == MAX_PLAN_BYTES + 1
    assert "larger than 2,097,152 bytes (2 MiB)" in _refused(over)
    at_limit = over[:-1]  # a real plan padded to the limit is still read
    assert len(parse_plan(decode_document(at_limit)).tasks) == 18
