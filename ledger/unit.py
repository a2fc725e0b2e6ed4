"""A responsible unit (责任单位): department, Party organ, central branch, league/city, group."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from ledger import ids
from ledger.acts import Act, Recorded, RecordedCreation
from ledger.errors import InvalidInput
from ledger.validation import clean_contact, clean_text, stored_contact

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
        """The unit's contact (联络员), who receives reminders and posts its reports.

        ``liaison`` holds ``name``, ``phone``, ``email`` and ``webhook`` ("" for none).
        Events recorded before webhooks existed have no ``webhook`` key: read them with
        ``.get`` (or :func:`ledger.validation.stored_contact`); it means none.
        """

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

    @property
    def contact(self) -> dict[str, str] | None:
        """The current contact with every field present ("" for none), or None."""
        return stored_contact(self.liaison)

    def assign_liaison(self, act: Act, **contact: Any) -> UUID | None:
        """Replace the whole contact: fields not given are cleared. The same contact
        again (by meaning: a missing webhook is no webhook) records nothing."""
        liaison = clean_contact(contact)
        if liaison == self.contact:
            return None
        self.trigger_event(self.LiaisonAssigned, **act.event_fields(), liaison=liaison)
        return ids.event_id(self.id, self.version)

    def update_liaison(self, act: Act, **changes: Any) -> UUID | None:
        """Change only the fields given ("" clears one); the contact keeps a name."""
        return self.assign_liaison(act, **{**(self.contact or {}), **changes})
