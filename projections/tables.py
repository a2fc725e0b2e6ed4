"""Read-model tables, in SQL both SQLite and PostgreSQL accept, gathered from their owners.

Each projection's package (``projections.registry``, ``.office``, ``.accountability``,
``.audit``) holds its own tables in its ``tables`` module; this module lists them in
the order the projector applies them, for ``db init``, ``rebuild --projection NAME``
and the store's fingerprints. ``{s}`` stands for the schema prefix (empty on SQLite).
Dates are ISO text (they sort and compare correctly as text); JSON is text.
"""

from __future__ import annotations

import hashlib

from projections.accountability import tables as accountability
from projections.audit import tables as audit
from projections.office import tables as office
from projections.registry import tables as registry

_OWNERS = {
    "registry": registry,
    "office": office,
    "accountability": accountability,
    "audit": audit,
}

#: A projection's handler version: bumped when its handlers change what they write
#: without its DDL changing (its tables are then rebuilt from the events on ``db init``).
HANDLER_VERSIONS: dict[str, int] = {name: m.HANDLER_VERSION for name, m in _OWNERS.items()}

PROJECTIONS: dict[str, list[tuple[str, str]]] = {name: m.TABLES for name, m in _OWNERS.items()}

INDEXES: list[str] = [index for m in _OWNERS.values() for index in m.INDEXES]


def fingerprint(projection: str) -> str:
    """What a projection's tables look like and what its handlers write, as a digest:
    a store whose recorded fingerprint differs holds rows of another release."""
    text = "\n".join(ddl for _, ddl in PROJECTIONS[projection])
    text += f"\nhandlers:{HANDLER_VERSIONS[projection]}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]
