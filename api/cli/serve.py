"""``serve``: run the HTTP API (gunicorn) on the store."""

from __future__ import annotations

import argparse
import os

from api.cli.args import Commands, UserError, non_negative, port_number
from api.cli.context import CliContext


def cmd_serve(args: argparse.Namespace) -> int:
    from api.server import serve

    with CliContext(args) as cli:
        # refuse a missing store before the workers start (only `db init` makes one)
        cli.ledger  # noqa: B018
    config = cli.config
    port = args.port if args.port is not None else _env_port()
    print(f"taskledger API on {config.display}, listening on http://{args.host}:{port}",
          flush=True)
    serve(config, args.host, port, args.workers)
    return 0


def _env_port() -> int:
    raw = os.environ.get("TASKLEDGER_PORT", "8000")
    try:
        port = int(raw)
    except ValueError:
        raise UserError(f"TASKLEDGER_PORT={raw!r} is not a port number") from None
    if not 0 < port < 65536:
        raise UserError(f"TASKLEDGER_PORT={raw!r} is not a port number")
    return port


def add_serve(commands: Commands) -> None:
    serve = commands.add_parser("serve", help="run the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=port_number, help="default $TASKLEDGER_PORT, else 8000")
    serve.add_argument("--workers", type=non_negative, help="gunicorn workers")
    serve.set_defaults(handler=cmd_serve)


PARSERS = {"serve": add_serve}
