"""A briefing (简报) issued by the office: which period, which kind, on what knowledge.

The PDF itself lives outside the ledger; the event pins it: the business date it was
evaluated as of, the ledger position it reflects, and the SHA-256 of its bytes, so
anyone can later prove a file is the briefing that was issued.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.domain import Aggregate

from ledger.acts import Act, RecordedCreation
from ledger.errors import InvalidInput
from ledger.vocabulary import BRIEFING_KINDS

#: ``kind`` is ``Cadence.briefing_kind`` (``half-year``), as briefings were always recorded
#: and as their ids and file names are made; ``Cadence.HALF_YEARLY`` itself is refused.
__all__ = ["BRIEFING_KINDS", "Briefing"]


class Briefing(Aggregate):
    class Issued(RecordedCreation):
        kind: str
        period: str
        as_of: date
        position: int
        sha256: str
        pages: int
        filename: str

        def apply(self, briefing: Briefing) -> None:
            briefing.kind = self.kind
            briefing.period = self.period
            briefing.as_of = self.as_of
            briefing.position = self.position
            briefing.sha256 = self.sha256
            briefing.pages = self.pages
            briefing.filename = self.filename

    def __init__(self) -> None:
        """State comes from ``Issued.apply``."""

    kind: str
    period: str
    as_of: date
    position: int
    sha256: str
    pages: int
    filename: str

    @classmethod
    def issue(
        cls,
        act: Act,
        briefing_id: UUID,
        *,
        kind: str,
        period: str,
        as_of: date,
        position: int,
        sha256: str,
        pages: int,
        filename: str,
    ) -> Briefing:
        if kind not in BRIEFING_KINDS:
            raise InvalidInput(
                f"briefing kind must be one of {', '.join(BRIEFING_KINDS)}", field="kind"
            )
        if len(sha256) != 64:
            raise InvalidInput("sha256 must be 64 hex characters", field="sha256")
        return cls._create(
            cls.Issued,
            id=briefing_id,
            **act.event_fields(),
            kind=kind,
            period=period,
            as_of=as_of,
            position=position,
            sha256=sha256,
            pages=pages,
            filename=filename,
        )
