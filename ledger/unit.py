"""A responsible unit (责任单位): department, Party organ, central branch, league/city, group."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from ledger.acts import Act, Recorded, RecordedCreation
from ledger.errors import InvalidInput
from ledger.validation import clean_text

UNIT_KINDS = ("department", "party_organ", "central_branch", "league_city", "group")


class Unit(Aggregate):
    class Registered(RecordedCreation):
        name: str
        kind: str
        aliases: list[str]

        def apply(self, unit: Unit) -> None:
            unit.name = self.name
            unit.kind = self.kind
            unit.aliases = list(self.aliases)
            unit.liaison = None

    class AliasAdded(Recorded):
        alias: str

        def apply(self, unit: Unit) -> None:
            unit.aliases.append(self.alias)

    class LiaisonAssigned(Recorded):
        """The unit's 联络员, who receives reminders and posts its reports."""

        liaison: dict[str, str]

        def apply(self, unit: Unit) -> None:
            unit.liaison = dict(self.liaison)

    def __init__(self) -> None:
        """State comes from the creation event's ``apply``; see the attributes below."""

    name: str
    kind: str
    aliases: list[str]
    liaison: dict[str, str] | None

    @classmethod
    def register(
        cls,
        act: Act,
        unit_id: UUID,
        name: str,
        kind: str,
        aliases: list[str] | tuple[str, ...] = (),
    ) -> Unit:
        name = clean_text(name, "unit name", limit=200)
        if kind not in UNIT_KINDS:
            raise InvalidInput(
                f"unit kind {kind!r} is not one of {', '.join(UNIT_KINDS)}", field="kind"
            )
        return cls._create(
            cls.Registered,
            id=unit_id,
            **act.event_fields(),
            name=name,
            kind=kind,
            aliases=sorted({clean_text(a, "alias", limit=200) for a in aliases} - {name}),
        )

    def add_alias(self, act: Act, alias: str) -> None:
        alias = clean_text(alias, "alias", limit=200)
        if alias != self.name and alias not in self.aliases:
            self.trigger_event(self.AliasAdded, **act.event_fields(), alias=alias)

    def assign_liaison(self, act: Act, **contact: Any) -> None:
        liaison = {
            key: clean_text(contact.get(key), key, limit=200, required=key == "name")
            for key in ("name", "phone", "email")
        }
        if liaison != self.liaison:
            self.trigger_event(self.LiaisonAssigned, **act.event_fields(), liaison=liaison)
