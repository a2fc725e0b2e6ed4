"""Chinese numerals as the plans print them: task numbers （十一）, dates 二〇二六年五月九日.

One parser for the importer, the target reader and the briefings' task order, so a
numeral means the same wherever it is read.

Why not cn2an: it would do, but its wheel installs top-level ``build/``, ``example/``
and ``src/`` folders into site-packages and pulls a text-processing dependency that
costs ~0.1 s at import, for what is here forty lines.

Only the standard written form is accepted, so a typo is refused rather than read as
some other number: ``十五``, ``一十五`` (the same), ``二十``, ``一百零五``, ``一百一十``,
``一千零五十``; ``〇`` may stand for ``零``. Not ``十一十`` or ``一二三`` (which are
digit strings, see :func:`chinese_digits`), nor ``两``, ``廿``, ``万`` (no plan numbers
its items so).
"""

from __future__ import annotations

_DIGITS = "零一二三四五六七八九"
_DIGIT_VALUES = {**{ch: i for i, ch in enumerate(_DIGITS)}, "〇": 0, "○": 0}
_UNITS = (("千", 1000), ("百", 100), ("十", 10))
_UNIT_VALUES = dict(_UNITS)
#: The largest number written with the units above.
LARGEST = 9999


def chinese_numeral(text: str) -> int:
    """The value of a Chinese numeral in standard form: ``十五`` → 15, ``一百零五`` → 105.

    Raises :class:`ValueError` for anything else (an empty string, other characters, a
    malformed numeral such as ``十一十``).
    """
    total, digit = 0, None
    for ch in text:
        if ch in _DIGIT_VALUES:
            digit = _DIGIT_VALUES[ch]
        elif ch in _UNIT_VALUES:
            total += (1 if digit is None else digit) * _UNIT_VALUES[ch]
            digit = None
        else:
            raise ValueError(f"not a Chinese numeral: {text!r}")
    value = total + (digit or 0)
    # The lenient sum above reads malformed text too (十一十 → 21); only text that is
    # how the value is written counts.
    written = text.replace("〇", "零").replace("○", "零")
    if not text or written not in _spellings(value):
        raise ValueError(f"not a Chinese numeral: {text!r}")
    return value


def chinese_numeral_text(number: int) -> str:
    """``number`` (0 to 9999) as written: 15 → ``十五``, 105 → ``一百零五``, 0 → ``零``."""
    if not 0 <= number <= LARGEST:
        raise ValueError(f"{number} is outside 0..{LARGEST}")
    if number == 0:
        return _DIGITS[0]
    text, gap, started = "", False, False
    for unit, size in (*_UNITS, ("", 1)):
        digit = number // size % 10
        if digit == 0:
            gap = gap or started  # a zero between written digits is read as 零, once
            continue
        text += ("零" if gap else "") + _DIGITS[digit] + unit
        gap, started = False, True
    return text[1:] if 10 <= number < 20 else text  # 十五, not 一十五


def chinese_digits(text: str) -> int:
    """A number written digit by digit, as years are: ``二〇二六`` → 2026."""
    if not text or any(ch not in _DIGIT_VALUES for ch in text):
        raise ValueError(f"not Chinese digits: {text!r}")
    return int("".join(str(_DIGIT_VALUES[ch]) for ch in text))


def _spellings(value: int) -> tuple[str, ...]:
    if value > LARGEST:
        return ()
    text = chinese_numeral_text(value)
    return (text, "一" + text) if text.startswith("十") else (text,)
