"""Where issued briefings live: one folder the CLI, the scheduler and the API share.

Every issued briefing's PDF is written here under its own name (``--out`` only adds a
copy), so ``GET /api/v1/briefings/{id}/pdf`` can serve each one. Kept apart from
``scheduler.briefings`` so the API finds the folder without importing the renderer.
"""

from __future__ import annotations

import os
from pathlib import Path

BRIEFINGS_DIR_VARIABLE = "TASKLEDGER_BRIEFINGS_DIR"
DEFAULT_BRIEFINGS_DIR = "var/briefings"  # relative to the working directory


def briefings_dir() -> Path:
    """``TASKLEDGER_BRIEFINGS_DIR``, or ``./var/briefings`` when it is not set."""
    return Path(os.environ.get(BRIEFINGS_DIR_VARIABLE) or DEFAULT_BRIEFINGS_DIR)
