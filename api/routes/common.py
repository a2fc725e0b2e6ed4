"""Helpers the views share: acts from requests, receipts, access to one assignment."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from flask import g, request
from flask_smorest import abort

from api import paging
from api.auth import principal, require_unit, services
from ledger.acts import Act
from ledger.application import Receipt
from projections.accountability import queries as accountability
from projections.accountability.queries import AssignmentRow


def act() -> Act:
    who = principal()
    return Act.by(services().clock, who.actor, who.role, correlation_id=g.request_id)


def receipt_body(receipt: Receipt) -> dict[str, Any]:
    return {
        "event_id": str(receipt.event_id) if receipt.event_id else None,
        "stream_id": str(receipt.stream_id),
        "created": receipt.created,
    }


def with_position(body: Any, status: int = 201) -> tuple[Any, int, dict[str, str]]:
    """Writers learn the ledger position to wait for (read-your-writes)."""
    return body, status, {"Ledger-Position": str(services().ledger.position())}


def assignment_row(assignment_id: UUID) -> AssignmentRow:
    """The assignment as the read models know it, after catching up; 403/404 as due."""
    services().catch_up()
    found = accountability.assignment(services().store, str(assignment_id))
    if found is None:
        abort(404, message=f"no assignment {assignment_id}")
    require_unit(found.unit_id)
    return found


def check_assignment(assignment_id: UUID) -> None:
    """Before a write: the assignment exists and the caller may act for its unit.

    Reads the ledger's cached aggregate (a unit never changes on an assignment), not
    the read models: a write must not wait for the projector.
    """
    from ledger.errors import NotAssigned

    try:
        unit_id = services().ledger.unit_of_assignment(assignment_id)
    except NotAssigned:
        abort(404, message=f"no assignment {assignment_id}")
    require_unit(str(unit_id))


#: The headers a paged list sends, for the OpenAPI document.
LIST_PAGE_HEADERS = {
    "X-Total-Count": {"description": "items in the whole list (its filters applied), "
                                     "every page together", "schema": {"type": "integer"}},
    "Link": {"description": 'the next page, as `<URL>; rel="next"` (RFC 8288); absent on '
                            "the last page and without `limit`", "schema": {"type": "string"}},
}


def list_page(keyset: paging.Keyset, rows: Sequence[Any], query: dict[str, Any],
              body: Callable[[list[Any]], Any] = lambda items: items,
              ) -> tuple[Any, int, dict[str, str]]:
    """One page of a list (all of it without ``limit``): ``body`` makes the page's rows
    into what the endpoint returns (its shape unchanged); the total and the next page
    travel in ``X-Total-Count`` and ``Link``. The next page's URL is this request's
    path and query with the cursor replaced (relative, so it holds behind a proxy)."""
    try:
        page = keyset.page(rows, limit=query.get("limit"), cursor=query.get("cursor"))
    except paging.PagingError as error:
        abort(422, message=f"{error.field}: {error.message}",
              errors={error.field: [error.message]})
    headers = {"X-Total-Count": str(page.total)}
    if page.next is not None:
        args = [(key, value) for key, value in request.args.items(multi=True)
                if key != "cursor"] + [("cursor", page.next)]
        headers["Link"] = f'<{request.script_root}{request.path}?{urlencode(args)}>; rel="next"'
    return body(page.rows), 200, headers
