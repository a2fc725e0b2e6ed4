"""Paging (issue 14, part 3), through the API on SQLite and PostgreSQL.

Reports page by ``limit`` and ``cursor``: every page together is the unpaged report,
every row once, even while reports and chases are appended between pages (the cursor
pins the first page's as_of and position). The lists (tasks, plans, outbox, briefings)
page by keyset through ``Link`` and ``X-Total-Count``. A bad limit or cursor is 422
problem+json naming the parameter, and writes nothing. The overdue summary agrees with
the overdue list it sums up.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.api.conftest import FINANCE, HR, Seeded

V1 = "/api/v1"
KINDS = ("responsibilities", "overdue", "targets", "scorecard")


def get(api: Seeded, path: str, role: str = "office"):
    return api.client.get(V1 + path.format(**api.ids), headers=api.headers(role))


def position(api: Seeded) -> int:
    return api.app.extensions["taskledger"].ledger.position()


def pages(api: Seeded, path: str, limit: int, role: str = "office") -> list[dict[str, Any]]:
    """Every page of a report, following ``next`` with the cursor alone."""
    joiner = "&" if "?" in path else "?"
    first = get(api, f"{path}{joiner}limit={limit}", role)
    assert first.status_code == 200, first.json
    got = [first.json]
    while got[-1]["next"] is not None:
        base = path.split("?")[0]
        following = get(api, f"{base}?cursor={got[-1]['next']}", role)
        assert following.status_code == 200, following.json
        got.append(following.json)
    return got


def cursor_of(body: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(
        body, ensure_ascii=False, separators=(",", ":"), sort_keys=True
    ).encode("utf-8", "surrogatepass")).decode("ascii").rstrip("=")


def decoded(cursor: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))


# ---- reports ---------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_every_page_together_is_the_unpaged_report(api: Seeded, kind: str) -> None:
    whole = get(api, f"/reports/{kind}?unit={HR}&as_of=2026-07-20")
    assert whole.status_code == 200
    assert whole.json["next"] is None and whole.json["total"] == len(whole.json["rows"]) > 0
    limit = max(1, len(whole.json["rows"]) // 4 + 1)  # a few pages, the last one short
    paged = pages(api, f"/reports/{kind}?unit={HR}&as_of=2026-07-20", limit)
    assert len(paged) == -(-whole.json["total"] // limit) and len(paged) >= 1
    assert [row for page in paged for row in page["rows"]] == whole.json["rows"]
    for page in paged:
        assert (page["as_of"], page["position"], page["total"]) == (
            whole.json["as_of"], whole.json["position"], whole.json["total"])
        assert len(page["rows"]) <= limit
    assert all(len(page["rows"]) == limit for page in paged[:-1])


def test_the_whole_overdue_list_pages_by_a_thousand(sqlite_api: Seeded) -> None:
    whole = get(sqlite_api, "/reports/overdue").json
    assert whole["total"] > 1000  # more than one page at the largest limit
    paged = pages(sqlite_api, "/reports/overdue", 1000)
    assert [len(page["rows"]) for page in paged[:-1]] == [1000] * (len(paged) - 1)
    assert [row for page in paged for row in page["rows"]] == whole["rows"]


def test_paging_returns_every_row_once_while_events_are_appended(api: Seeded) -> None:
    path = f"/reports/overdue?unit={HR}"
    whole = get(api, path).json
    first = get(api, f"{path}&limit=40").json
    assert first["next"] is not None and first["total"] == whole["total"]
    got, page, written = list(first["rows"]), first, 0
    chase = {"obligation": "implementation-report-quarterly", "period": "2026-Q2",
             "due_on": "2026-07-07", "reason": "未报"}
    while page["next"] is not None:
        # between pages: HR is reminded, then urged, about （十五）'s Q2, then reports it
        if written < 3:
            path_kind, body, headers = (
                ("reminders", chase, {}),
                ("urges", chase, {}),
                ("reports", {"period": "2026-Q2", "narrative": "补报"},
                 {"Idempotency-Key": "p1"}))[written]
            made = api.client.post(V1 + f"/assignments/{api.ids['chased']}/{path_kind}",
                                   json=body, headers=api.headers("office", **headers))
            assert made.status_code == 201, made.json
            written += 1
        page = get(api, f"/reports/overdue?cursor={page['next']}").json
        assert (page["as_of"], page["position"]) == (first["as_of"], first["position"])
        got += page["rows"]
    assert written >= 3
    assert got == whole["rows"]  # every row of the pinned report, once, in order
    keys = [(row["assignment_id"], row["rule"], row["period"]) for row in got]
    assert len(keys) == len(set(keys))
    # the report did change meanwhile: （十五）'s Q2 is no longer overdue today
    now = get(api, path).json
    assert now["position"] > first["position"]
    assert now["total"] < whole["total"]


def test_a_cursor_pins_the_filters_and_a_liaison_is_still_scoped(api: Seeded) -> None:
    first = get(api, f"/reports/overdue?unit={FINANCE}&limit=3").json
    pinned = decoded(first["next"])
    assert pinned["filters"]["unit"] == FINANCE and pinned["position"] == first["position"]
    second = get(api, f"/reports/overdue?cursor={first['next']}").json
    assert {row["unit_name"] for row in first["rows"] + second["rows"]} == {FINANCE}
    # the same filters again beside the cursor agree, so they are accepted
    same = get(api, f"/reports/overdue?unit={FINANCE}&as_of={first['as_of']}"
                    f"&position={first['position']}&cursor={first['next']}")
    assert same.status_code == 200 and same.json["rows"] == second["rows"]
    # HR's liaison cannot read finance's report by presenting the office's cursor
    theirs = get(api, f"/reports/overdue?cursor={first['next']}", "liaison")
    assert theirs.status_code == 403
    assert theirs.headers["Content-Type"] == "application/problem+json"
    # its own pages are its own unit's
    own = pages(api, "/reports/overdue", 50, "liaison")
    assert {row["unit_name"] for page in own for row in page["rows"]} == {HR}
    assert sum(len(page["rows"]) for page in own) == own[0]["total"]
    assert get(api, "/reports/overdue?limit=1", "platform").status_code == 403


def _bad_cursors(api: Seeded) -> dict[str, tuple[str, str]]:
    """name -> (query, the field the problem must name)."""
    good = get(api, f"/reports/overdue?unit={HR}&limit=2").json["next"]
    body = decoded(good)
    tasks_cursor = api.client.get(V1 + "/tasks?limit=1", headers=api.headers("office")
                                  ).headers["Link"].split("cursor=")[1].split(">")[0]
    return {
        "limit=0": ("limit=0", "limit"),
        "limit=1001": ("limit=1001", "limit"),
        "limit=-1": ("limit=-1", "limit"),
        "limit=abc": ("limit=abc", "limit"),
        "limit=1.5": ("limit=1.5", "limit"),
        "limit=empty": ("limit=", "limit"),
        "huge cursor": ("cursor=" + "A" * 100_000, "cursor"),
        "cursor just too long": ("cursor=" + "A" * 2049, "cursor"),
        "lone surrogate": ("cursor=%ED%A0%80", "cursor"),
        "not base64": ("cursor=!!!%2F%2B", "cursor"),
        "base64 padding": (f"cursor={good}%3D%3D", "cursor"),
        "base64 of garbage": ("cursor=" + base64.urlsafe_b64encode(b"\xff\xfe").decode(),
                              "cursor"),
        "not JSON": ("cursor=" + cursor_of("x")[:-2] + "eA", "cursor"),
        "a JSON list": ("cursor=" + cursor_of([1]), "cursor"),
        "surrogate inside": ("cursor=" + cursor_of({**body, "filters": {
            **body["filters"], "unit": "\ud800"}}), "cursor"),
        "spaced JSON": ("cursor=" + base64.urlsafe_b64encode(
            json.dumps(body).encode()).decode().rstrip("="), "cursor"),
        "negative offset": ("cursor=" + cursor_of({**body, "offset": -1}), "cursor"),
        "limit in cursor": ("cursor=" + cursor_of({**body, "limit": 5000}), "cursor"),
        "boolean position": ("cursor=" + cursor_of({**body, "position": True}), "cursor"),
        "bad date": ("cursor=" + cursor_of({**body, "as_of": "2026-13-01"}), "cursor"),
        "other version": ("cursor=" + cursor_of({**body, "v": 2}), "cursor"),
        "extra field": ("cursor=" + cursor_of({**body, "admin": True}), "cursor"),
        "another report": (f"cursor={cursor_of({**body, 'kind': 'targets'})}", "cursor"),
        "a list's cursor": (f"cursor={tasks_cursor}", "cursor"),
        "other unit": (f"unit={quote(FINANCE)}&cursor={good}", "unit"),
        "other plan": (f"plan=x&cursor={good}", "plan"),
        "other as_of": (f"as_of=2026-07-01&cursor={good}", "as_of"),
        "other position": (f"position=1&cursor={good}", "position"),
    }


def test_bad_limits_and_cursors_are_422_naming_the_field_and_write_nothing(
        api: Seeded) -> None:
    bad = _bad_cursors(api)
    before = position(api)
    for name, (query, field) in bad.items():
        response = api.client.get(f"{V1}/reports/overdue?{query}", headers=api.headers("office"))
        assert response.status_code == 422, (name, response.status_code, response.data[:300])
        assert response.headers["Content-Type"] == "application/problem+json", name
        assert field in response.json["errors"], (name, response.json)
    # a cursor of the overdue list is refused by the other reports, named as such
    good = get(api, "/reports/overdue?limit=2").json["next"]
    for kind in ("responsibilities", "targets", "scorecard", "overdue/summary"):
        refused = get(api, f"/reports/{kind}?cursor={good}")
        assert refused.status_code == 422 and "overdue" in refused.json["errors"]["cursor"][0]
    assert position(api) == before


def test_a_cursor_past_the_end_is_an_empty_last_page(api: Seeded) -> None:
    first = get(api, f"/reports/scorecard?unit={HR}&limit=1").json
    past = cursor_of({**decoded(get(api, "/reports/overdue?limit=1").json["next"]),
                      "kind": "scorecard", "offset": 10**6,
                      "as_of": first["as_of"], "position": first["position"]})
    page = get(api, f"/reports/scorecard?cursor={past}").json
    assert page["rows"] == [] and page["next"] is None and page["total"] > 0


# ---- the overdue summary ----------------------------------------------------------------
def test_the_summary_agrees_with_the_overdue_list(api: Seeded) -> None:
    for as_of in ("2026-07-08", "2026-07-20"):
        listed = get(api, f"/reports/overdue?as_of={as_of}").json
        summary = get(api, f"/reports/overdue/summary?as_of={as_of}").json
        assert (summary["as_of"], summary["position"]) == (listed["as_of"], listed["position"])
        assert summary["next"] is None and summary["total"] == len(summary["rows"])
        by_unit: dict[str, list[dict[str, Any]]] = {}
        for row in listed["rows"]:
            by_unit.setdefault(row["unit_id"], []).append(row)
        assert {row["unit_id"] for row in summary["rows"]} == set(by_unit)
        assert sum(row["overdue"] for row in summary["rows"]) == listed["total"]
        for row in summary["rows"]:
            mine = by_unit[row["unit_id"]]
            assert row["overdue"] == len(mine)
            assert row["lead_overdue"] == sum(r["role"] == "lead" for r in mine)
            assert row["max_working_days_late"] == max(r["working_days_late"] for r in mine)
            assert row["oldest_due_on"] == min(r["effective_due_on"] for r in mine)
            assert row["unit_name"] == mine[0]["unit_name"]
        order = [(-row["overdue"], row["unit_name"]) for row in summary["rows"]]
        assert order == sorted(order)
    assert any(row["lead_overdue"] for row in summary["rows"])
    paged = pages(api, "/reports/overdue/summary?as_of=2026-07-20", 7)
    assert [row for page in paged for row in page["rows"]] == summary["rows"]


def test_the_summary_keeps_the_overdue_list_roles_and_filters(api: Seeded) -> None:
    own = get(api, "/reports/overdue/summary", "liaison").json
    assert [row["unit_name"] for row in own["rows"]] == [HR]
    assert own["rows"][0]["overdue"] == get(api, "/reports/overdue", "liaison").json["total"]
    assert get(api, f"/reports/overdue/summary?unit={FINANCE}", "liaison").status_code == 403
    assert get(api, "/reports/overdue/summary", "auditor").status_code == 200
    assert get(api, "/reports/overdue/summary", "platform").status_code == 403
    planned = get(api, "/reports/overdue/summary?plan=稳岗扩容").json
    assert sum(row["overdue"] for row in planned["rows"]) == get(
        api, "/reports/overdue?plan=稳岗扩容").json["total"]
    unknown = get(api, "/reports/overdue/summary?unit=无此单位")
    assert unknown.status_code == 404
    assert get(api, "/reports/overdue/summary?limit=0").status_code == 422


# ---- lists: keyset paging through Link and X-Total-Count --------------------------------
def follow(api: Seeded, path: str, role: str = "office") -> tuple[list[Any], list[Any]]:
    """(every item of the list unpaged, every item following the Link headers)."""
    whole = api.client.get(V1 + path, headers=api.headers(role))
    assert whole.status_code == 200 and "Link" not in whole.headers
    everything = whole.json if isinstance(whole.json, list) else whole.json["items"]
    assert whole.headers["X-Total-Count"] == str(len(everything))
    joiner = "&" if "?" in path else "?"
    url, got, seen = f"{V1}{path}{joiner}limit=3", [], 0
    while url:
        response = api.client.get(url, headers=api.headers(role))
        assert response.status_code == 200, response.json
        assert response.headers["X-Total-Count"] == str(len(everything))
        items = response.json if isinstance(response.json, list) else response.json["items"]
        assert len(items) <= 3
        got += items
        seen += 1
        link = response.headers.get("Link")
        url = None
        if link:
            assert link.endswith('>; rel="next"') and link.startswith(f"<{V1}{path.split('?')[0]}?")
            url = link[1:link.index(">")]
    assert seen == max(1, -(-len(everything) // 3))
    return everything, got


@pytest.mark.parametrize("path", ["/tasks", f"/tasks?plan={quote('稳岗扩容')}",
                                  f"/tasks?unit={quote(HR)}", "/plans", "/outbox",
                                  "/outbox?channel=platform", "/briefings"])
def test_lists_page_through_link_headers(api: Seeded, path: str) -> None:
    everything, got = follow(api, path)
    assert got == everything


def test_tasks_liaison_pages_its_own(api: Seeded) -> None:
    everything, got = follow(api, "/tasks", "liaison")
    assert got == everything and len(everything) > 3


def test_tasks_added_between_pages_neither_repeat_nor_push_one_off(api: Seeded) -> None:
    before = api.client.get(f"{V1}/tasks", headers=api.headers("office")).json
    first = api.client.get(f"{V1}/tasks?limit=10", headers=api.headers("office"))
    url, got = first.headers["Link"][1:first.headers["Link"].index(">")], list(first.json)
    # a third plan is imported after the first page: its tasks may come on later pages,
    # but no task that existed is served twice or skipped
    third = (Path(__file__).resolve().parents[1] / "fixtures" / "plans"
             / "other_province.txt").read_text(encoding="utf-8")
    made = api.client.post(f"{V1}/plans", data=third.encode("utf-8"),
                           headers=api.headers("office", **{"Content-Type": "text/plain",
                                                            "Idempotency-Key": "third"}))
    assert made.status_code == 201, made.json
    while url:
        response = api.client.get(url, headers=api.headers("office"))
        got += response.json
        link = response.headers.get("Link")
        url = link[1:link.index(">")] if link else None
    ids = [task["task_id"] for task in got]
    assert len(ids) == len(set(ids))
    assert {task["task_id"] for task in before} <= set(ids)
    after = api.client.get(f"{V1}/tasks", headers=api.headers("office"))
    assert int(after.headers["X-Total-Count"]) > len(before)


@pytest.mark.parametrize("path", ["/tasks", "/plans", "/outbox", "/briefings"])
def test_lists_refuse_bad_limits_and_cursors(api: Seeded, path: str) -> None:
    report_cursor = get(api, "/reports/overdue?limit=1").json["next"]
    before = position(api)
    for query, field in (("limit=0", "limit"), ("limit=1001", "limit"), ("limit=-1", "limit"),
                         ("limit=abc", "limit"), ("cursor=" + "A" * 5000, "cursor"),
                         ("cursor=%ED%A0%80", "cursor"), ("cursor=***", "cursor"),
                         (f"cursor={report_cursor}", "cursor"),
                         ("cursor=" + cursor_of({"v": 1, "list": "elsewhere", "after": []}),
                          "cursor"),
                         ("cursor=" + cursor_of({"v": 1, "list": path.strip("/"),
                                                 "after": [{"a": 1}]}), "cursor")):
        response = api.client.get(f"{V1}{path}?{query}", headers=api.headers("office"))
        assert response.status_code == 422, (path, query, response.status_code)
        assert response.headers["Content-Type"] == "application/problem+json"
        assert field in response.json["errors"], (path, query, response.json)
    assert position(api) == before


# ---- the OpenAPI document ----------------------------------------------------------------
def test_the_openapi_document_shows_the_paging(api: Seeded) -> None:
    spec = api.client.get("/openapi.json").json
    for kind in (*KINDS, "overdue/summary"):
        operation = spec["paths"][f"{V1}/reports/{kind}"]["get"]
        names = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
        assert {"limit", "cursor", "as_of", "position"} <= names, kind
        limit = next(p for p in operation["parameters"] if p["name"] == "limit")
        assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 1000)
        assert "422" in operation["responses"]
        ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        properties = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]
        assert {"as_of", "position", "rows", "next", "total"} <= set(properties), kind
    for path in ("/tasks", "/plans", "/outbox", "/briefings"):
        operation = spec["paths"][V1 + path]["get"]
        assert {"limit", "cursor"} <= {p["name"] for p in operation["parameters"]}, path
        assert {"Link", "X-Total-Count"} <= set(operation["responses"]["200"]["headers"]), path


def _chase_units(api: Seeded, rows: list[dict[str, Any]], reason: str) -> int:
    """A reminder to each row's assignment (one per unit), queued in the outbox."""
    from scheduler.outbox import enqueue_new

    for row in rows:
        made = api.client.post(
            f"{V1}/assignments/{row['assignment_id']}/reminders",
            json={"obligation": row["rule"], "period": row["period"],
                  "due_on": row["due_on"], "reason": reason},
            headers=api.headers("office"))
        assert made.status_code == 201, made.json
    svc = api.app.extensions["taskledger"]
    svc.catch_up()
    return enqueue_new(svc.store, svc.clock.now())


def test_the_outbox_pages_over_real_deliveries_queued_between_pages(api: Seeded) -> None:
    overdue = get(api, "/reports/overdue").json["rows"]
    one_per_unit = list({row["unit_id"]: row for row in overdue}.values())
    assert len(one_per_unit) >= 12
    assert _chase_units(api, one_per_unit[:8], "催报") >= 8
    existing = api.client.get(f"{V1}/outbox", headers=api.headers("office")).json["items"]
    everything, got = follow(api, "/outbox")
    assert got == everything == existing and len(existing) >= 8
    # deliveries queued between pages: those that existed still come once each
    first = api.client.get(f"{V1}/outbox?limit=3", headers=api.headers("office"))
    url, got = first.headers["Link"][1:first.headers["Link"].index(">")], first.json["items"]
    assert _chase_units(api, one_per_unit[8:12], "再催") >= 4
    while url:
        response = api.client.get(url, headers=api.headers("office"))
        got += response.json["items"]
        assert response.json["next_after"] is None  # the body keeps its shape
        link = response.headers.get("Link")
        url = link[1:link.index(">")] if link else None
    ids = [row["delivery_id"] for row in got]
    assert len(ids) == len(set(ids))
    assert {row["delivery_id"] for row in existing} <= set(ids)
    total = api.client.get(f"{V1}/outbox", headers=api.headers("office")).headers
    assert int(total["X-Total-Count"]) >= len(existing) + 4


def test_keyset_pages_hold_every_row_once_whatever_is_added(sqlite_api: Seeded) -> None:
    """The keyset itself (api.paging), on rows with missing parts of the key (a plan
    with no date of issue): rows added before or after the page boundary between
    pages are never served twice, and none that existed is skipped."""
    from api.paging import Keyset

    keyset = Keyset("plans", lambda row: (row["on"], row["name"], row["id"]), width=3)
    rows = [{"on": on, "name": name, "id": f"{n:03}"} for n, (on, name) in enumerate(
        [(None, "z"), ("2024-01-01", "b"), ("2024-01-01", "a"), (None, "a"),
         ("2025-05-05", "c"), ("2023-12-31", "x"), ("2024-01-01", "a")])]
    whole = keyset.page(rows, limit=None, cursor=None)
    assert whole.rows == rows and whole.total == 7 and whole.next is None
    got, cursor, added = [], None, 0
    while True:
        page = keyset.page(rows, limit=2, cursor=cursor)
        got += page.rows
        if page.next is None:
            break
        cursor = page.next
        # one before the boundary and one after it
        rows = [*rows, {"on": None, "name": "a", "id": f"n{added}"},
                {"on": "2030-01-01", "name": "q", "id": f"m{added}"}]
        added += 1
    served = [row["id"] for row in got]
    assert len(served) == len(set(served))
    assert {f"{n:03}" for n in range(7)} <= set(served)
    keys = [(row["on"] or "", row["name"], row["id"]) for row in got]
    assert keys == sorted(keys)  # no date first, then by date, name, id
