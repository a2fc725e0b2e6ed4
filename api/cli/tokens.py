"""``tokens``: the HTTP API's bearer tokens (create, list, revoke)."""

from __future__ import annotations

import argparse
import json
from datetime import datetime

from api.cli.args import Commands, Parser, iso_date
from api.cli.context import CliContext
from api.tables import render
from ledger.clock import BUSINESS_TZ, SystemClock
from ledger.vocabulary import TOKEN_ROLES
from projections import lookup


def cmd_tokens(args: argparse.Namespace) -> int:
    from api.tokens import TokenStore

    with CliContext(args) as cli:
        tokens = TokenStore(cli.store)
        now = SystemClock().now()
        if args.tokens_command == "create":
            unit_id = unit_name = None
            if args.unit:
                cli.catch_up()
                unit = lookup.resolve_unit(cli.store, args.unit)
                unit_id, unit_name = unit.unit_id, unit.name
            expires = None
            if args.expires:
                expires = datetime.combine(args.expires, datetime.min.time(), tzinfo=BUSINESS_TZ)
            token_id, token = tokens.create(args.role, now, unit_id=unit_id, unit_name=unit_name,
                                            label=args.label, expires_at=expires)
            print(f"token {token_id} for {args.role}"
                  + (f" of {unit_name}" if unit_name else "") + " (shown once; store it now):")
            print(token)
        elif args.tokens_command == "list":
            rows = tokens.list()
            if args.json:
                print(json.dumps(rows, ensure_ascii=False, indent=2))
            elif rows:
                print(render(rows, [("token_id", "id", 12), ("role", "role", 8),
                                    ("unit_name", "unit", 26), ("label", "label", 30),
                                    ("created_at", "created", 19), ("expires_at", "expires", 19),
                                    ("revoked_at", "revoked", 19)]))
        else:
            tokens.revoke(args.token_id, now)
            print(f"token {args.token_id} revoked")
    return 0


def add_tokens(commands: Commands) -> None:
    tokens = commands.add_parser("tokens", help="API tokens: create, list, revoke")
    token_commands = tokens.add_subparsers(dest="tokens_command", metavar="ACTION",
                                           parser_class=Parser)
    token_commands.required = True
    create = token_commands.add_parser("create", help="make a token (printed once, last line)")
    create.add_argument("--role", required=True, choices=TOKEN_ROLES)
    create.add_argument("--unit", help="the liaison's unit (name or alias)")
    create.add_argument("--label", help="who holds it, as events will name the actor")
    create.add_argument("--expires", type=iso_date, help="last day (Asia/Shanghai) it works")
    create.set_defaults(handler=cmd_tokens)
    listing = token_commands.add_parser("list", help="every token (never the secret)")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_tokens)
    revoke = token_commands.add_parser("revoke", help="stop a token working")
    revoke.add_argument("token_id")
    revoke.set_defaults(handler=cmd_tokens)


PARSERS = {"tokens": add_tokens}
