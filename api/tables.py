"""Plain-text tables for the terminal, aware that CJK characters take two columns."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, columns: int) -> str:
    return text + " " * max(0, columns - width(text))


def clip(text: str, columns: int) -> str:
    if width(text) <= columns:
        return text
    while text and width(text) > columns - 1:
        text = text[:-1]
    return text + "…"


def figure(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, int | float):
        return f"{int(value):,}"
    return str(value)


def render(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str, int]]) -> str:
    """``columns``: (key, heading, max width). Cells are clipped, never wrapped."""
    cells = [
        [
            clip(figure(row.get(key)) if not isinstance(row.get(key), str) else row[key], limit)
            for key, _, limit in columns
        ]
        for row in rows
    ]
    widths = [
        max([width(heading)] + [width(line[i]) for line in cells])
        for i, (_, heading, _) in enumerate(columns)
    ]
    out = ["  ".join(pad(heading, widths[i]) for i, (_, heading, _) in enumerate(columns))]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(pad(line[i], widths[i]) for i in range(len(columns))) for line in cells]
    return "\n".join(line.rstrip() for line in out)
