"""One strict reader for every JSON request body.

webargs (under flask-smorest's ``@blp.arguments``) reads a body with the standard
library's ``json.loads``, and Flask's ``request.get_json`` with the app's JSON provider.
Both accept what no client means: duplicate keys (the last one silently wins),
``NaN`` and ``Infinity`` literals, ``1e999`` (read as infinity), and nesting deep enough
to exhaust the interpreter's stack (a ``RecursionError``, i.e. a 500). Here one parser,
:func:`loads`, refuses all of that, and every reader uses it:

* :class:`StrictJSONProvider` is the app's JSON provider, so ``request.get_json`` and
  ``flask.json.loads`` are strict;
* :class:`Blueprint` gives flask-smorest a webargs parser that reads the body through
  :func:`request_document`;
* :func:`install` checks every JSON body of a write before any view runs, so a
  malformed body is a 400 problem whichever route (or future route) it was sent to.

What the text *says* is not checked here: a lone surrogate, a bidirectional control or
a zero-width-only narrative is well-formed JSON, refused by the ledger's own cleaning
(``ledger.validation``) as a 422 naming the field.
"""

from __future__ import annotations

import json
import math
from typing import Any

import flask_smorest
from flask import Flask, Response, g, request
from flask.json.provider import DefaultJSONProvider
from marshmallow.utils import missing
from webargs.flaskparser import FlaskParser

from api import problems

#: Deepest nesting of arrays and objects a body may have. Every request schema is two
#: levels deep at most (a report's ``metrics``); 32 leaves room and stays far from the
#: interpreter's recursion limit.
MAX_DEPTH = 32


class MalformedBody(ValueError):
    """The body is not one well-formed, unambiguous JSON document (a 400).

    A ``ValueError``, so Flask's ``request.get_json`` turns it into a 400 as well.
    """

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise MalformedBody(f"the key {_printable(key)} appears twice in one object")
            seen.add(key)
    return document


def _refuse_constant(name: str) -> Any:
    raise MalformedBody(f"{name} is not a JSON number; send a finite number")


def _finite_float(literal: str) -> float:
    number = float(literal)
    if not math.isfinite(number):
        raise MalformedBody(f"the number {literal[:40]} is too large for a double")
    return number


def _printable(text: str) -> str:
    """A client's text fit to quote in a message: short, surrogates escaped."""
    quoted = json.dumps(text[:60])  # ASCII only: lone surrogates become \\ud800
    return quoted if len(text) <= 60 else quoted[:-1] + '…"'


_DECODER = json.JSONDecoder(
    object_pairs_hook=_refuse_duplicates,
    parse_constant=_refuse_constant,
    parse_float=_finite_float,
)


def _check_depth(document: Any) -> None:
    """Iteratively (a recursive walk is what this guards against)."""
    pending = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > MAX_DEPTH:
            raise MalformedBody(f"the body is nested deeper than {MAX_DEPTH} levels")
        pending.extend((child, depth + 1) for child in children)


def loads(data: bytes | bytearray | str) -> Any:
    """The JSON document in ``data``, or :class:`MalformedBody` saying what is wrong.

    Bytes must be UTF-8 (RFC 8259 §8.1; a byte order mark is refused too).
    """
    if isinstance(data, bytes | bytearray):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as error:
            raise MalformedBody(
                f"the body is not UTF-8 (byte 0x{data[error.start]:02x} at offset "
                f"{error.start})"
            ) from None
    else:
        text = data
    try:
        document = _DECODER.decode(text)
    except RecursionError:
        raise MalformedBody(f"the body is nested deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as error:
        raise MalformedBody(
            f"the body is not JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from None
    except MalformedBody:
        raise
    except ValueError as error:  # e.g. an integer of more than 4,300 digits
        raise MalformedBody(f"the body is not usable JSON: {str(error)[:200]}") from None
    _check_depth(document)
    return document


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's provider with :func:`loads` for reading; writing is unchanged."""

    ensure_ascii = False  # Chinese stays readable in responses

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s)


_NO_BODY = object()


def request_document() -> Any:
    """The current request's JSON body, parsed once; ``missing`` when it is empty."""
    cached = g.get("json_body", _NO_BODY)
    if cached is _NO_BODY:
        data = request.get_data(cache=True)
        cached = missing if not data else loads(data)
        g.json_body = cached
    return cached


class StrictParser(FlaskParser):
    """webargs' Flask parser reading bodies with :func:`loads` (through the request's
    cached document, so a body is parsed once)."""

    def _raw_load_json(self, req: Any) -> Any:
        if not req.is_json:
            return missing
        try:
            return request_document()
        except MalformedBody as error:
            flask_smorest.abort(400, message=error.detail)


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's blueprint whose ``@arguments`` read JSON with :class:`StrictParser`."""

    ARGUMENTS_PARSER = StrictParser()


def install(app: Flask) -> None:
    """Strict JSON for ``app``: the provider, and a 400 for a malformed body on any write.

    Register after the size and media-type checks, so a huge or non-JSON body gets its
    413 or 415 without being read.
    """
    app.json = StrictJSONProvider(app)

    @app.before_request
    def refuse_malformed_body() -> Response | None:
        if request.method not in ("POST", "PUT", "PATCH") or request.routing_exception:
            return None
        if not request.is_json:
            return None
        try:
            request_document()
        except MalformedBody as error:
            return problems.problem(400, "Bad request", error.detail, code="malformed-json")
        return None
