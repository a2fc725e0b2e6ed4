"""One Chinese-numeral parser: task numbers, dates, five-year plans."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.numerals import chinese_digits, chinese_numeral, chinese_numeral_text

WRITTEN = {
    "零": 0, "一": 1, "九": 9, "十": 10, "一十": 10, "十一": 11, "十五": 15, "一十五": 15,
    "十七": 17, "二十": 20, "二十一": 21, "九十九": 99, "一百": 100, "一百零五": 105,
    "一百一十": 110, "一百二十三": 123, "九百九十九": 999, "一千": 1000, "一千零五": 1005,
    "一千零五十": 1050, "二千零二十六": 2026, "一百〇五": 105,
}


@pytest.mark.parametrize(("text", "value"), WRITTEN.items())
def test_written_numerals(text: str, value: int) -> None:
    assert chinese_numeral(text) == value


@pytest.mark.parametrize(
    "text",
    ["", "十一十", "十十", "一二三", "十二三", "三十十", "一百五", "一百十", "零五", "两", "廿",
     "一万", "15", "（十一）", "十一 "],
)
def test_malformed_numerals_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        chinese_numeral(text)


@given(st.integers(min_value=1, max_value=999))
def test_every_number_reads_back_as_written(number: int) -> None:
    assert chinese_numeral(chinese_numeral_text(number)) == number


@given(st.integers(min_value=0, max_value=9999))
def test_writing_is_the_standard_form(number: int) -> None:
    text = chinese_numeral_text(number)
    assert chinese_numeral(text) == number
    assert not text.startswith("一十") and "零零" not in text and not text[1:].endswith("零")


def test_digit_strings() -> None:
    assert chinese_digits("二〇二六") == 2026
    assert chinese_digits("二零二六") == 2026
    assert chinese_digits("二○二五") == 2025
    with pytest.raises(ValueError):
        chinese_digits("二千")
    with pytest.raises(ValueError):
        chinese_numeral_text(10000)
