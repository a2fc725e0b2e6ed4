"""The briefing's evaluation stands apart from its rendering: importable without
WeasyPrint, and naming no read-model table (it reads through projections)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "scheduler" / "briefings"


def test_evaluation_imports_without_weasyprint() -> None:
    code = (
        "import sys\n"
        "import scheduler.briefings.evaluate, scheduler.briefings.formatting\n"
        "from scheduler.briefings import BriefingConfig, quantity\n"
        "assert 'weasyprint' not in sys.modules, 'weasyprint was imported'\n"
        "from scheduler.briefings import render_briefing\n"
        "assert 'weasyprint' in sys.modules\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr


def test_no_read_model_table_is_named_in_the_briefings() -> None:
    named = {
        path.name: sorted(set(re.findall(r"\brm_\w+", path.read_text(encoding="utf-8"))))
        for path in PACKAGE.glob("*.py")
    }
    assert not {name: tables for name, tables in named.items() if tables}
