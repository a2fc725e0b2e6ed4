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
            unit.deliveries = set()

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

    class ChasersDelivered(Recorded):
        """The outbox handed chasers to the unit's liaison or to the supervision platform.

        Who was told what, when: ``chasers`` lists each chaser (event id, kind, plan,
        task, duty, period, due date); ``recipients`` each address it went to (a webhook
        without its query string, which may hold a gateway's access token); the event's
        recorded time is when the last recipient accepted it.
        """

        delivery_id: str
        channel: str  # liaison | platform
        recipients: list[dict[str, str]]
        chasers: list[dict[str, Any]]
        attempts: int

        def apply(self, unit: Unit) -> None:
            unit.deliveries.add(self.delivery_id)

    class ChasersUndelivered(Recorded):
        """A delivery the outbox gave up on (attempts exhausted, or no recipient)."""

        delivery_id: str
        channel: str
        recipients: list[dict[str, str]]
        chasers: list[dict[str, Any]]
        attempts: int
        reason: str

        def apply(self, unit: Unit) -> None:
            unit.deliveries.add(self.delivery_id)

    def __init__(self) -> None:
        """State comes from the creation event's ``apply``; see the attributes below."""

    name: str
    kind: str
    aliases: list[str]
    liaison: dict[str, str] | None
    deliveries: set[str]  # delivery ids whose outcome is recorded

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

    def record_delivery(
        self,
        act: Act,
        *,
        delivery_id: str,
        channel: str,
        recipients: list[dict[str, str]],
        chasers: list[dict[str, Any]],
        attempts: int,
        failure: str | None = None,
    ) -> bool:
        """Record a delivery's outcome once; False if it was already recorded."""
        if delivery_id in self.deliveries:
            return False
        if act.simulated:
            raise InvalidInput("a rehearsal delivers nothing, so it records no delivery")
        fields = {
            "delivery_id": delivery_id, "channel": channel, "recipients": recipients,
            "chasers": chasers, "attempts": attempts,
        }
        if failure is None:
            self.trigger_event(self.ChasersDelivered, **act.event_fields(), **fields)
        else:
            self.trigger_event(self.ChasersUndelivered, **act.event_fields(), **fields,
                               reason=clean_text(failure, "reason", limit=500))
        return True
