"""The store: ``db init`` makes it, ``rebuild`` and ``project`` keep its read models."""

from __future__ import annotations

import argparse

from api.cli.args import Commands, Parser, non_negative
from api.cli.context import CliContext
from api.cli.progress import events_progress
from ledger.acts import Act
from projections.tables import PROJECTIONS


def cmd_db_init(args: argparse.Namespace) -> int:
    from api.services import initialise

    with CliContext(args, create_tables=True) as cli:
        done = initialise(cli.ledger, cli.store, Act.by(cli.ledger.clock, "db-init", "system"))
    if done.rules_position is not None:
        print(f"recorded the reporting rules (version 1) at position {done.rules_position}")
    if done.horizons:
        print(f"recorded the horizon of {done.horizons} plan(s) registered before horizons "
              "were recorded")
    print(f"ledger store ready at {cli.config.display}")
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    names = [args.projection] if args.projection else None
    with CliContext(args) as cli, events_progress(args, "rebuild") as progress:
        stats = cli.projector().rebuild(names, batch_size=args.batch_size, progress=progress)
    print(
        f"rebuilt {', '.join(names or PROJECTIONS)}: {stats.applied} events in "
        f"{stats.seconds:.1f}s ({stats.rate:,.0f} events/s), position {stats.position}"
        + (f", {stats.unknown} unknown events skipped" if stats.unknown else "")
    )
    return 0


def cmd_project(args: argparse.Namespace) -> int:
    import signal
    import threading

    with CliContext(args) as cli:
        projector = cli.projector()
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        print(
            f"projecting {cli.config.display} (positions {cli.store.positions()}); "
            "stop with Ctrl-C",
            flush=True,
        )
        projector.run_forever(stop, poll_seconds=args.poll, batch_size=args.batch_size or 1000)
    return 0


def add_db(commands: Commands) -> None:
    db = commands.add_parser("db", help="manage the ledger store")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION",
                                    parser_class=Parser)
    db_commands.required = True
    init = db_commands.add_parser(
        "init", help="create the tables and record the reporting rules, once (idempotent)")
    init.set_defaults(handler=cmd_db_init)


def add_rebuild(commands: Commands) -> None:
    rebuild = commands.add_parser("rebuild", help="rebuild read models from the ledger")
    rebuild.add_argument("--projection", choices=list(PROJECTIONS))
    rebuild.add_argument("--batch-size", type=non_negative, default=2000)
    rebuild.set_defaults(handler=cmd_rebuild)


def add_project(commands: Commands) -> None:
    project = commands.add_parser("project", help="keep the read models up to date (runs)")
    project.add_argument("--poll", type=float, default=0.5, help="seconds between polls")
    project.add_argument("--batch-size", type=non_negative, default=1000,
                         help="events per transaction")
    project.set_defaults(handler=cmd_project)


PARSERS = {"db": add_db, "rebuild": add_rebuild, "project": add_project}
