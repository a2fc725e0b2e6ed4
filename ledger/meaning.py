"""When two requests mean the same thing: the comparison behind idempotency keys.

A retry is the same request when it says the same thing, not when its bytes match:

- numbers compare by value (``8000``, ``8000.0`` and ``8e3`` are one number; a boolean
  is never a number, so ``true`` is not ``1``);
- objects compare by their set of keys and the value under each (order is irrelevant;
  a key present with ``null`` differs from a key left out);
- lists compare item by item, in order (their order is part of what they say);
- strings compare after the ledger's own cleaning (``validation.clean_text``: surrounding
  white space stripped), so ``" 培训 "`` and ``"培训"`` are one narrative, and a key of
  an object is cleaned the same way (metric names are).

``canonical`` writes a value in one spelling of its meaning; ``same_meaning`` compares
two values by it; ``fingerprint`` digests it, for state that should stay small (the
Assignment keeps one per keyed report, computed from the stored report itself).
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from ledger.errors import InvalidInput
from ledger.validation import clean_text

# Cleaning is only about spelling here: no length limit (a long text stays comparable).
_NO_LIMIT = 2**62


def _clean_string(value: str) -> str:
    try:
        return clean_text(value, "text", limit=_NO_LIMIT, required=False)
    except InvalidInput:
        # Text the ledger refuses is compared as sent: the command refuses it anyway.
        return value


def _number(value: int | float) -> list[str]:
    if isinstance(value, float) and value != value:
        return ["n", "NaN"]
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return ["n", "Infinity" if value > 0 else "-Infinity"]
    if value == 0:
        return ["n", "0"]  # 0, 0.0 and -0.0 are one value
    # Decimal holds a float's binary value exactly, so this is equality by value, the
    # same relation as Python's int/float ``==`` (2**63 == 9.223372036854776e18).
    return ["n", format(Decimal(value).normalize(), "f")]


def _canonical(value: Any) -> Any:
    """A JSON-able form in which equal meanings are equal; types stay apart by tags."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return _number(value)
    if isinstance(value, str):
        return _clean_string(value)
    if isinstance(value, dict):
        return {
            _clean_string(str(key)): _canonical(item) for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return ["l", [_canonical(item) for item in value]]
    return ["s", _clean_string(str(value))]  # UUIDs, dates: by their text


def canonical(value: Any) -> str:
    """One text for every spelling of the same meaning."""
    return json.dumps(_canonical(value), sort_keys=True, ensure_ascii=True,
                      separators=(",", ":"))


def same_meaning(first: Any, second: Any) -> bool:
    return canonical(first) == canonical(second)


def fingerprint(value: Any) -> str:
    """SHA-256 of the canonical text: equal for values with the same meaning."""
    return hashlib.sha256(canonical(value).encode("ascii")).hexdigest()


def report_meaning(period: str, narrative: str, metrics: dict[str, Any]) -> str:
    """What "the same progress report" means for an idempotency key."""
    return fingerprint({"period": str(period), "narrative": narrative, "metrics": metrics})
