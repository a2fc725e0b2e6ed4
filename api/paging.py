"""Paging, shared by the API and the CLI so the two cannot disagree.

Two kinds of page:

- **Reports** (responsibilities, overdue, targets, scorecard, the overdue summary) page
  by offset over the rows of the report *at a pinned (as_of, position)*. A report at a
  fixed business date and ledger position reads the same whatever is appended later,
  so the cursor, which carries the first page's (as_of, position), makes every later
  page read the very same report: every row comes exactly once, in order, while
  events are appended between pages.
- **Lists** (tasks, plans, outbox, briefings) page by keyset over a stable key: the
  cursor holds the key of the last row served, and the next page starts after it. A
  row added between pages is never served twice and never pushes a row that existed
  off a page (an offset would).

A cursor is opaque to clients: base64url (no padding) of compact JSON. It is checked
strictly: it must decode to exactly the canonical form this module writes, name the
same report (or list) and the same filters, and agree with any as_of or position the
request also gives. A cursor is not a capability: whoever presents it is authorised
again as for the request it stands for (a liaison's unit is still its own).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from projections import queries, summaries
from projections.rules import rules_at

MAX_LIMIT = 1000
#: Far above any cursor this module writes (filters are at most 200 characters each).
MAX_CURSOR_LENGTH = 2048
#: Positions, offsets and keys fit a signed 64-bit column.
_MAX_INT = 2**63 - 1
_VERSION = 1
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]+$")
_FILTERS = ("unit", "plan", "task")
_FILTER_LENGTH = {"unit": 200, "plan": 200, "task": 40}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


class PagingError(ValueError):
    """A limit or cursor refused; ``field`` names the parameter (``limit``, ``cursor``,
    ``as_of``, ``position`` or a filter) so the API and the CLI can say which."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


def check_limit(limit: int | None) -> int | None:
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        raise PagingError("limit", f"must be between 1 and {MAX_LIMIT}")
    return limit


# ---- the cursor's text -------------------------------------------------------------------
def _encode(body: dict[str, Any]) -> str:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def _decode(cursor: str) -> dict[str, Any]:
    """The cursor's JSON object, or PagingError: too long, not base64url, not UTF-8,
    not JSON, or not in the exact form :func:`_encode` writes (so no two texts stand
    for one cursor, and nothing hand-made slips past the checks below)."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise PagingError("cursor", f"longer than {MAX_CURSOR_LENGTH} characters: "
                                    "not a cursor this service gave")
    if not _BASE64URL.match(cursor):
        raise PagingError("cursor", "not a cursor this service gave (not base64url)")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        body = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError):  # UnicodeDecodeError and JSONDecodeError too
        raise PagingError("cursor", "not a cursor this service gave (undecodable)") from None
    if not isinstance(body, dict) or body.get("v") != _VERSION:
        raise PagingError("cursor", "not a cursor this service gave")
    try:
        canonical = _encode(body)
    except UnicodeEncodeError:  # a JSON "\ud800": not text
        raise PagingError("cursor", "not a cursor this service gave (lone surrogate)") from None
    if canonical != cursor:
        raise PagingError("cursor", "not a cursor this service gave (altered)")
    return body


def _whole(value: Any, name: str, *, low: int = 0, high: int = _MAX_INT) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise PagingError("cursor", f"not a cursor this service gave (bad {name})")
    return value


# ---- reports -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ReportRequest:
    """What to read for one page of a report: the (as_of, position) to open the view
    at (None: today, the current position — a first page), the filters, and the slice."""

    kind: str
    filters: Mapping[str, str | None]
    as_of: date | None
    position: int | None
    offset: int = 0
    limit: int | None = None

    @property
    def paged(self) -> bool:
        return self.limit is not None


def report_request(
    kind: str,
    filters: Mapping[str, str | None],
    *,
    as_of: date | None = None,
    position: int | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> ReportRequest:
    """The page a request asks for. Without a cursor: the first page (``limit`` rows,
    or all of them without a limit). With one: the page it points at, at its pinned
    (as_of, position), with its filters; anything the request states beside it must
    agree, or PagingError names the field that does not."""
    check_limit(limit)
    given = {name: filters.get(name) for name in _FILTERS}
    if cursor is None:
        return ReportRequest(kind, given, as_of, position, 0, limit)
    body = _decode(cursor)
    if set(body) != {"v", "kind", "filters", "as_of", "position", "offset", "limit"}:
        raise PagingError("cursor", "not a cursor this service gave (fields)")
    if body["kind"] != kind:
        raise PagingError("cursor", f"a cursor of the {body['kind']!r} report, "
                                    f"not of {kind!r}" if isinstance(body["kind"], str)
                          else "not a cursor this service gave (kind)")
    pinned = _pinned_filters(body["filters"])
    for name in _FILTERS:
        if given[name] is not None and given[name] != pinned[name]:
            raise PagingError(name, f"differs from the cursor's {name} "
                                    f"({pinned[name] or 'none'}): give the cursor alone")
    try:
        pinned_as_of = date.fromisoformat(body["as_of"]) if isinstance(body["as_of"], str) \
            and len(body["as_of"]) == 10 else None
    except ValueError:
        pinned_as_of = None
    if pinned_as_of is None:
        raise PagingError("cursor", "not a cursor this service gave (bad as_of)")
    pinned_position = _whole(body["position"], "position")
    if as_of is not None and as_of != pinned_as_of:
        raise PagingError("as_of", f"differs from the cursor's as_of ({pinned_as_of}): "
                                   "later pages read the report as of the first page's date")
    if position is not None and position != pinned_position:
        raise PagingError("position", f"differs from the cursor's position "
                                      f"({pinned_position}): later pages read the report "
                                      "at the first page's position")
    offset = _whole(body["offset"], "offset")
    page_limit = limit if limit is not None else _whole(body["limit"], "limit", low=1,
                                                         high=MAX_LIMIT)
    return ReportRequest(kind, pinned, pinned_as_of, pinned_position, offset, page_limit)


def _pinned_filters(value: Any) -> dict[str, str | None]:
    if not isinstance(value, dict) or set(value) != set(_FILTERS):
        raise PagingError("cursor", "not a cursor this service gave (filters)")
    for name, text in value.items():
        if text is not None and (not isinstance(text, str) or not text
                                 or len(text) > _FILTER_LENGTH[name] or _CONTROL.search(text)):
            raise PagingError("cursor", f"not a cursor this service gave (bad {name})")
    return dict(value)


#: The reports that page, by the name their cursors carry.
REPORT_KINDS = ("responsibilities", "overdue", "targets", "scorecard", "overdue-summary")


def report_rows(kind: str, view: Any, about: Mapping[str, Any]) -> list[Any]:
    """The whole report, every row, as ``projections.queries`` computes it: the API and
    the CLI both read it here, and page it with :func:`report_page`.

    Thresholds are the rules recorded as of the view's date and position
    (:func:`projections.rules.rules_at`), so the report reads the same after a later
    change of them; the view's calendar counts on the holiday data recorded by then
    (:func:`projections.standing.calendar_at`)."""
    in_force = rules_at(view.store, view.position, view.as_of)
    if kind == "responsibilities":
        return queries.responsibilities(view, **about)
    if kind == "overdue":
        return queries.overdue(view, **about)
    if kind == "overdue-summary":
        return [unit.to_json()
                for unit in summaries.overdue_by_unit(queries.overdue(view, **about))]
    if kind == "targets":
        return queries.target_progress(view, in_force.thresholds, **about)
    if kind == "scorecard":
        return queries.scorecard(view, **about)
    raise ValueError(f"no report {kind!r}")


@dataclass(frozen=True)
class ReportPage:
    """One page of a report: its rows, the report's whole row count, the next page's
    cursor (None on the last page, and always without a limit)."""

    as_of: date
    position: int
    rows: Sequence[Any]
    total: int
    next: str | None = None

    def envelope(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "position": self.position,
                "rows": list(self.rows), "next": self.next, "total": self.total}


def report_page(asked: ReportRequest, rows: Sequence[Any], *, as_of: date,
                position: int) -> ReportPage:
    """The slice of ``rows`` (the whole report, read at ``as_of`` and ``position``) the
    request asked for, and the cursor of the next slice, which pins both."""
    if not asked.paged:
        return ReportPage(as_of, position, rows, len(rows))
    assert asked.limit is not None
    end = asked.offset + asked.limit
    following = None
    if end < len(rows):
        following = _encode({
            "v": _VERSION, "kind": asked.kind, "filters": dict(asked.filters),
            "as_of": as_of.isoformat(), "position": position, "offset": end,
            "limit": asked.limit,
        })
    return ReportPage(as_of, position, rows[asked.offset:end], len(rows), following)


# ---- lists (keyset) ----------------------------------------------------------------------
KeyPart = str | int | None


def _sortable(key: Sequence[KeyPart]) -> tuple[tuple[int, Any], ...]:
    """A key made comparable whatever its parts: None sorts first, then numbers, then
    text (code point order)."""
    return tuple((0, 0) if part is None else (1, part) if isinstance(part, int)
                 else (2, part) for part in key)


@dataclass(frozen=True)
class ListPage:
    rows: list[Any]
    total: int
    next: str | None = None


@dataclass(frozen=True)
class Keyset:
    """How one list pages: its name (a cursor of another list is refused) and the
    stable, unique key its rows are ordered by when paged."""

    name: str
    key: Callable[[Any], tuple[KeyPart, ...]]
    width: int = field(default=1)

    def page(self, rows: Sequence[Any], *, limit: int | None,
             cursor: str | None) -> ListPage:
        """Without a limit or cursor: every row, in the order given. Otherwise the rows
        after the cursor's key (all rows without a cursor), ordered by the key,
        ``limit`` of them (every one left without a limit)."""
        check_limit(limit)
        if limit is None and cursor is None:
            return ListPage(list(rows), len(rows))
        after = self._after(cursor) if cursor is not None else None
        ordered = sorted(rows, key=lambda row: _sortable(self.key(row)))
        if after is not None:
            ordered = [row for row in ordered if _sortable(self.key(row)) > after]
        shown = ordered if limit is None else ordered[:limit]
        following = None
        if limit is not None and len(ordered) > limit:
            following = _encode({"v": _VERSION, "list": self.name,
                                 "after": list(self.key(shown[-1]))})
        return ListPage(shown, len(rows), following)

    def _after(self, cursor: str) -> tuple[tuple[int, Any], ...]:
        body = _decode(cursor)
        if set(body) != {"v", "list", "after"}:
            raise PagingError("cursor", "not a cursor this service gave (fields)")
        if body["list"] != self.name:
            raise PagingError("cursor", "a cursor of another list" if isinstance(
                body["list"], str) else "not a cursor this service gave (list)")
        key = body["after"]
        if not isinstance(key, list) or len(key) != self.width or not all(
                part is None or (isinstance(part, int) and not isinstance(part, bool))
                or (isinstance(part, str) and len(part) <= 400) for part in key):
            raise PagingError("cursor", "not a cursor this service gave (key)")
        return _sortable(key)
