"""Chinese number, date and period formatting for briefings (pure; no rendering library)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from ledger.numerals import chinese_numeral
from ledger.periods import Period
from ledger.vocabulary import ChaseKind, Role

_CN_DIGITS = "〇一二三四五六七八九"
LIGHT_NAMES = {"red": "红灯", "yellow": "黄灯", "green": "绿灯", "none": "无数据"}
CHASE_NAMES = {kind: kind.chinese for kind in ChaseKind}
ROLE_NAMES = {Role.LEAD: "牵头", Role.CO: "协办"}
STATUS_NAMES = {
    "not_started": "未启动",
    "in_progress": "推进中",
    "completed": "已办结",
    "withdrawn": "已撤回",
}


def quantity(value: float | int | None, measure: str | None = None) -> str:
    """Figures as a Chinese office writes them: 15万个, 200亿元, 5.7%."""
    if value is None:
        return "—"
    unit = measure or ""
    number = float(value)
    for size, name in ((1e8, "亿"), (1e4, "万")):
        if abs(number) >= size and unit != "%":
            return f"{_trim(number / size)}{name}{unit}"
    return f"{_trim(number)}{unit}"


def _trim(number: float) -> str:
    text = f"{number:.2f}".rstrip("0").rstrip(".")
    return text if text != "-0" else "0"


def percent(value: float | None, digits: int = 1) -> str:
    """A rate in 0..1 as a percentage; None (nothing due) as a dash."""
    return "—" if value is None else f"{100 * value:.{digits}f}%"


def signed(value: float | int | None, digits: int = 1, scale: float = 1.0) -> str:
    if value is None:
        return "—"
    number = value * scale
    text = f"{number:+.{digits}f}" if digits else f"{round(number):+d}"
    return "±0" if float(text) == 0 else text


def cn_date(day: date | str) -> str:
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{day.year}年{day.month}月{day.day}日"


def cn_period(period: Period) -> str:
    if period.kind == "month":
        return f"{period.year}年{period.index}月"
    if period.kind == "quarter":
        return f"{period.year}年第{_CN_DIGITS[period.index]}季度"
    if period.kind == "half":
        return f"{period.year}年{'上' if period.index == 1 else '下'}半年"
    return f"{period.year}年"


def short_plan(title: str) -> str:
    """《内蒙古自治区稳岗扩容提质工程实施方案》→ 稳岗扩容提质工程 (for tables)."""
    short = title.removeprefix("内蒙古自治区").removesuffix("实施方案")
    return short or title


def clip(text: str, limit: int) -> tuple[str, bool]:
    text = " ".join(text.split())
    return (text, False) if len(text) <= limit else (text[:limit], True)


def listing(numbers: list[str], limit: int) -> str:
    """Task numbers joined with 、, the rest counted: 1、2、3等12项."""
    more = len(numbers) > limit
    return "、".join(numbers[:limit]) + (f"等{len(numbers)}项" if more else "")


def task_sort(numbers: Iterable[str]) -> list[str]:
    """Task numbers in plan order: 1, 2, …, 10 (not 1, 10, 2) and （一）…（十七）."""
    def key(number: str) -> tuple[int, str]:
        digits = "".join(ch for ch in number if ch.isdigit())
        if digits:
            return int(digits), number
        try:
            return chinese_numeral(number.strip("（）()")), number
        except ValueError:
            return 999, number  # not a numeral: after every numbered task

    return sorted(numbers, key=key)
