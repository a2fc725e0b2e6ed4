"""Issue 13: projections own their tables. No read-model (``rm_*``) table is named in
the domain (``ledger/``), the API (``api/``) or the scheduler (``scheduler/``): they ask
the projections' typed queries instead, so a table can change without them noticing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from projections.tables import PROJECTIONS

ROOT = Path(__file__).resolve().parents[2]
OUTSIDE = ("api", "scheduler", "ledger")
TABLES = sorted({name for tables in PROJECTIONS.values() for name, _ in tables})
# whole identifiers only: ``rm_tasks`` is a table, ``platform_secret`` and
# ``confirm_years`` are not (nor is ``rm_task``, a prefix of one)
NAMED = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(map(re.escape, TABLES)) + r")(?![A-Za-z0-9_])")



def _sources() -> list[str]:
    found = []
    for folder in OUTSIDE:
        found += [path.relative_to(ROOT).as_posix() for path in (ROOT / folder).rglob("*.py")]
    return sorted(found)


def test_the_table_names_are_the_projections_own() -> None:
    assert "rm_tasks" in TABLES and "rm_audit_links" in TABLES
    assert "api/auth.py" in _sources() and "ledger/plan.py" in _sources()
    assert not NAMED.search("platform_secret = confirm_years + rm_task + rm_tasks_plan")


@pytest.mark.parametrize("path", _sources())
def test_no_read_model_table_is_named_outside_projections(path: str) -> None:
    text = (ROOT / path).read_text(encoding="utf-8")
    named = [
        f"{path}:{text.count(chr(10), 0, match.start()) + 1}: {match.group(1)}"
        for match in NAMED.finditer(text)
    ]
    assert not named, "ask the projections' queries instead of naming their tables:\n" + "\n".join(
        named
    )
