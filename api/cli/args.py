"""What every command shares about its arguments: the parser that reports a mistake as
one line, the argument types, and the checks on the files and folders a command reads
or writes. A user mistake is one line on stderr and exit status 2."""

from __future__ import annotations

import argparse
import os
import stat
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import NoReturn, TypeAlias
from uuid import UUID

from ledger.clock import BUSINESS_TZ

EXIT_USER_ERROR = 2


class UserError(Exception):
    """A mistake on the command line, reported as one line."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse would print the whole usage block; one line says it better.
        self.exit(EXIT_USER_ERROR, f"{self.prog}: error: {message}\n")


# The sub-command table a command group adds its parsers to.
Commands: TypeAlias = "argparse._SubParsersAction[Parser]"


# ---- argument types -------------------------------------------------------------------
def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def date_or_datetime(text: str) -> date | datetime:
    try:
        if "T" in text or " " in text.strip():
            moment = datetime.fromisoformat(text)
            return moment if moment.tzinfo else moment.replace(tzinfo=BUSINESS_TZ)
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:MM)"
        ) from None


def non_negative(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must not be negative")
    return number


def page_limit(text: str) -> int:
    """``--limit`` of a paged report: 1 to 1000, as the API's ``limit``."""
    from api.paging import MAX_LIMIT

    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= number <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"{text!r} is not between 1 and {MAX_LIMIT}")
    return number


def port_number(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number")
    return port


def metric(text: str) -> tuple[str, int | float]:
    name, sep, number = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=NUMBER")
    try:
        value: int | float = int(number)
    except ValueError:
        try:
            value = float(number)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{number!r} in {text!r} is not a number") from None
    return name.strip(), value


def _uuid_of(what: str) -> Callable[[str], UUID]:
    def parse(text: str) -> UUID:
        try:
            return UUID(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what} (a UUID)") from None

    return parse


event_uuid = _uuid_of("an event id")
assignment_uuid = _uuid_of("an assignment id")


# ---- paths ----------------------------------------------------------------------------
def read_input(name: str) -> bytes:
    """A file a command reads: a regular, readable file of at most ``MAX_PLAN_BYTES``
    (the limit ``POST /api/v1/plans`` has), read no further than one byte past it, so
    ``/dev/zero`` or a FIFO cannot hang or fill memory. Anything else is one line."""
    from ledger.importer.text import MAX_PLAN_BYTES

    path = Path(name)
    try:
        kind = os.stat(path).st_mode  # before opening: opening a FIFO would block
        if stat.S_ISDIR(kind):
            raise UserError(f"cannot read {path}: it is a directory")
        if not stat.S_ISREG(kind):
            raise UserError(f"cannot read {path}: not a regular file")
        with path.open("rb") as stream:
            data = stream.read(MAX_PLAN_BYTES + 1)
    except OSError as error:
        raise UserError(f"cannot read {path}: {error.strerror or error}") from None
    if len(data) > MAX_PLAN_BYTES:
        raise UserError(f"cannot read {path}: larger than {MAX_PLAN_BYTES:,} bytes (2 MiB), "
                        "the limit for an input file")
    return data


def _nearest_folder(path: Path) -> Path:
    """The deepest existing folder at or above ``path`` (where a write would start)."""
    for folder in (path, *path.parents):
        if folder.exists():
            return folder
    return Path(".")


def _writable_folder(path: Path, text: str) -> None:
    existing = _nearest_folder(path)
    if not existing.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r}: {existing} is not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"{text!r}: {existing} is not writable")


def output_file(text: str) -> Path:
    """A file a command writes (missing folders are made): never a directory."""
    path = Path(text)
    if not text or path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a directory; name the file to write")
    _writable_folder(path.parent, text)
    return path


def output_folder(text: str) -> Path:
    """A folder a command writes files into (made if missing): never a file."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is not a directory")
    _writable_folder(path, text)
    return path


# Arguments naming files: a Linux file name may be any bytes, so these are not text.
_PATH_ARGUMENTS = frozenset({"file", "out", "briefings"})


def undecodable_argument(args: argparse.Namespace) -> str | None:
    """The first text argument holding bytes that are not UTF-8 (Python reads them as
    lone surrogates, which no store or lookup can take), by its option name."""
    for dest, value in vars(args).items():
        values = value if isinstance(value, list | tuple) else [value]
        if dest not in _PATH_ARGUMENTS and any(
            isinstance(v, str) and any("\ud800" <= c <= "\udfff" for c in v) for v in values
        ):
            return dest
    return None
