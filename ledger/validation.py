"""Checks on free text and figures that every command applies the same way."""

from __future__ import annotations

import math
import re
from typing import Any

from ledger.errors import EmptyNarrative, InvalidInput, InvalidValue

# Tab and newline are ordinary in a narrative; every other C0/C1 control is a mistake
# (or an attack on whatever later renders the text).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

MAX_NARRATIVE = 100_000
MAX_SHORT_TEXT = 2_000
MAX_METRIC_NAME = 100
MAX_METRICS = 100


def clean_text(
    value: Any, field: str, *, limit: int = MAX_SHORT_TEXT, required: bool = True
) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text", field=field)
    if _CONTROL.search(value):
        raise InvalidInput(f"{field} contains control characters", field=field)
    text = value.strip()
    if required and not text:
        raise InvalidInput(f"{field} must not be empty", field=field)
    if len(text) > limit:
        raise InvalidInput(f"{field} is longer than {limit} characters", field=field)
    return text


def clean_narrative(value: Any) -> str:
    try:
        return clean_text(value, "narrative", limit=MAX_NARRATIVE)
    except InvalidInput as error:
        if "must not be empty" in error.message:
            raise EmptyNarrative("a progress report needs a narrative", field="narrative") from None
        raise


def clean_metrics(values: Any) -> dict[str, int | float]:
    """Metric values are plain numbers: no booleans, strings, NaN or infinities."""
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise InvalidValue("metric values must be a mapping of name to number", field="metrics")
    if len(values) > MAX_METRICS:
        raise InvalidValue(f"at most {MAX_METRICS} metric values per report", field="metrics")
    cleaned: dict[str, int | float] = {}
    for name, number in values.items():
        key = clean_text(name, "metric name", limit=MAX_METRIC_NAME)
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise InvalidValue(
                f"metric {key!r} must be a number, not {type(number).__name__}", field="metrics"
            )
        if isinstance(number, float) and not math.isfinite(number):
            raise InvalidValue(f"metric {key!r} must be a finite number", field="metrics")
        cleaned[key] = number
    return cleaned
