"""``units``: a responsible unit as the ledger knows it, and its contact (联络员)."""

from __future__ import annotations

import argparse
import json
from uuid import UUID

from api.cli.args import Commands, Parser, UserError
from api.cli.context import CliContext
from projections import lookup, queries

CONTACT_FLAGS = ("name", "phone", "email", "webhook")


def cmd_units(args: argparse.Namespace) -> int:
    with CliContext(args) as cli:
        cli.catch_up()
        unit = queries.unit_record(cli.store, lookup.resolve_unit(cli.store, args.unit).unit_id)
        created = None
        if args.units_command == "contact":
            changes = {k: getattr(args, k) for k in CONTACT_FLAGS if getattr(args, k) is not None}
            if not changes:
                raise UserError("give at least one of --name, --phone, --email, --webhook "
                                "('' clears one); 'taskledger units show' prints the contact")
            receipt = cli.ledger.update_liaison(cli.act(), UUID(unit.unit_id), **changes)
            created = receipt.created
            cli.catch_up()
            unit = queries.unit_record(cli.store, unit.unit_id)
    if args.json:
        shown = unit.to_json() if created is None else {**unit.to_json(), "created": created}
        print(json.dumps(shown, ensure_ascii=False, indent=2))
        return 0
    if created is not None:
        print(f"contact of {unit.name} " + (f"recorded (ledger position {unit.position})"
                                            if created else "unchanged; nothing written"))
    print(f"{unit.name}  ({unit.kind})  {unit.unit_id}")
    print(f"  aliases: {'、'.join(unit.aliases) or '-'}")
    if unit.contact is None:
        print("  contact: none")
    else:
        print(f"  contact: {unit.contact['name']}")
        for key in ("phone", "email", "webhook"):
            print(f"    {key + ':':<9}{unit.contact[key] or '-'}")
    return 0


def add_units(commands: Commands) -> None:
    units = commands.add_parser("units", help="responsible units: show one, set its contact")
    unit_commands = units.add_subparsers(dest="units_command", metavar="ACTION",
                                         parser_class=Parser)
    unit_commands.required = True
    contact = unit_commands.add_parser(
        "contact", help="set the unit's contact (联络员); flags not given stay as they are",
        description="Set the unit's contact. Flags not given keep their value; an empty "
        "value (--email '') clears that field. Every change is kept in the ledger for good.")
    contact.add_argument("unit", help="unit name, alias or id")
    contact.add_argument("--name", help="who the contact is (a contact must have one)")
    contact.add_argument("--phone", help="digits, optionally +, -, brackets, spaces")
    contact.add_argument("--email", help="one address; reminders are mailed to it")
    contact.add_argument("--webhook", metavar="URL",
                         help="http(s) URL reminders are posted to (not fetched now)")
    contact.add_argument("--json", action="store_true")
    contact.set_defaults(handler=cmd_units)
    show_unit = unit_commands.add_parser("show", help="a unit: id, kind, aliases, contact")
    show_unit.add_argument("unit", help="unit name, alias or id")
    show_unit.add_argument("--json", action="store_true")
    show_unit.set_defaults(handler=cmd_units)


PARSERS = {"units": add_units}
