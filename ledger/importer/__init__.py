"""Import plan documents as published: decode, normalise, parse (no events here).

``parse_plan(decode_document(data))`` gives a :class:`ParsedPlan`, whose ``to_json()`` is
the contract of ``taskledger import-plan --json``.
"""

from ledger.importer.duties import DEFAULT_DUTY, find_duties
from ledger.importer.model import (
    Deadline,
    ObligationDuty,
    ParsedPlan,
    ParsedTarget,
    ParsedTask,
    ParsedUnit,
    Requirement,
    TargetPeriod,
)
from ledger.importer.parser import parse_plan
from ledger.importer.text import decode_document, normalise, paragraphs, to_simplified

__all__ = [
    "DEFAULT_DUTY",
    "Deadline",
    "ObligationDuty",
    "ParsedPlan",
    "ParsedTarget",
    "ParsedTask",
    "ParsedUnit",
    "Requirement",
    "TargetPeriod",
    "decode_document",
    "find_duties",
    "normalise",
    "paragraphs",
    "parse_plan",
    "to_simplified",
]
