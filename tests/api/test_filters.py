"""Every filter of the reports, the audit trail and the task list filters; a plan, task or
unit is named by id, name or number as printed (either bracket width) or any alias the
store knows; an unknown one is 404, a bare number several plans have is 422."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from ledger.acts import Act
from tests.api.conftest import FINANCE, HR, Seeded
from tests.ledger.world import build_world

V1 = "/api/v1"
STABLE = "稳岗扩容"  # plan 000: tasks （一）…（十八）
PROMOTION = "就业促进"  # plan 001 (内政发〔2025〕7号): tasks 1…19
STORE_ALIAS = "人社测试别名"  # an alias the store learns after the import; no file has it


@pytest.fixture
def office(sqlite_api: Seeded) -> Seeded:
    """The seeded API with a third plan whose （一） and （二） plan 000 has too, and an
    alias of HR's added to the ledger."""
    svc = sqlite_api.app.extensions["taskledger"]
    build_world(svc.ledger)
    svc.ledger.register_unit(Act.by(svc.clock, "office-clerk", "office"), HR, "department",
                             [STORE_ALIAS])
    svc.catch_up()
    return sqlite_api


def get(api: Seeded, path: str, role: str = "office"):
    head, _, query = path.partition("?")
    url = V1 + head + ("?" + quote(query, safe="=&") if query else "")
    return api.client.get(url, headers=api.headers(role))


def rows(api: Seeded, path: str, role: str = "office") -> list[dict]:
    response = get(api, path, role)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    if isinstance(body, dict):
        return body["rows"] if "rows" in body else body["items"]
    return body


def plan_id(api: Seeded, words: str) -> str:
    return next(p["plan_id"] for p in rows(api, "/plans") if words in p["title"])


def test_overdue_honours_plan_and_task(office: Seeded) -> None:
    everything = rows(office, "/reports/overdue")
    stable, promotion = plan_id(office, STABLE), plan_id(office, PROMOTION)
    assert {r["plan_id"] for r in everything} >= {stable, promotion}
    of_plan = rows(office, f"/reports/overdue?plan={PROMOTION}")
    assert of_plan == [r for r in everything if r["plan_id"] == promotion]
    of_task = rows(office, f"/reports/overdue?plan={STABLE}&task=（十五）")
    assert of_task and of_task == [
        r for r in everything if r["plan_id"] == stable and r["task_number"] == "（十五）"
    ]
    assert rows(office, f"/reports/overdue?plan={STABLE}&task=(十五)") == of_task
    hr = office.ids["unit"]
    by_unit = rows(office, f"/reports/overdue?unit={hr}&task=（十五）&plan={STABLE}")
    assert by_unit == [r for r in of_task if r["unit_id"] == office.ids["unit"]] != []


def test_targets_honour_unit_plan_and_task(office: Seeded) -> None:
    everything = rows(office, "/reports/targets")
    titles = {p["plan_id"]: p["title"] for p in rows(office, "/plans")}
    promotion = titles[plan_id(office, PROMOTION)]
    assert rows(office, f"/reports/targets?plan={PROMOTION}") == [
        r for r in everything if r["plan_title"] == promotion
    ]
    eleventh = rows(office, f"/reports/targets?task={office.ids['task']}")
    assert eleventh and eleventh == [
        r for r in everything
        if (r["plan_title"], r["task_number"]) == (titles[office.ids["plan"]], "（十一）")
    ]
    assert rows(office, f"/reports/targets?task=(十一)&plan={STABLE}") == eleventh
    # a unit's targets are those of the tasks it is on, figures the task's
    on_tasks = {(titles[t["plan_id"]], t["number"])
                for t in rows(office, f"/tasks?unit={office.ids['unit']}")}
    of_hr = rows(office, f"/reports/targets?unit={HR}")
    assert of_hr == [r for r in everything if (r["plan_title"], r["task_number"]) in on_tasks]
    assert 0 < len(of_hr) < len(everything)


def test_scorecard_by_unit_is_its_card_and_by_plan_counts_that_plans_obligations(
    office: Seeded,
) -> None:
    cards = {c["unit"]: c for c in rows(office, "/reports/scorecard")}
    assert rows(office, f"/reports/scorecard?unit={office.ids['unit']}") == [cards[HR]]
    assert rows(office, f"/reports/scorecard?unit={STORE_ALIAS}") == [cards[HR]]
    by_plan = {c["unit"]: c for c in rows(office, f"/reports/scorecard?plan={STABLE}")}
    of_task = rows(office, f"/reports/scorecard?plan={STABLE}&task=（十一）&unit={HR}")
    assert by_plan[HR]["reports_due"] < cards[HR]["reports_due"]
    assert of_task[0]["reports_due"] < by_plan[HR]["reports_due"]
    # （十一） was escalated and urged once: the chases follow the task
    assert (of_task[0]["urges"], of_task[0]["escalations"]) == (1, 1)
    assert sum(c["reports_due"] for c in by_plan.values()) < sum(
        c["reports_due"] for c in cards.values()
    )


@pytest.mark.parametrize("report", ["responsibilities", "overdue", "targets", "scorecard"])
@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("plan=无此方案", 404),
        ("task=（九十九）", 404),
        (f"task=（九十九）&plan={STABLE}", 404),
        ("unit=无此单位", 404),
        ("task=（一）", 422),  # plan 000's and the test plan's
        ("task=(二)", 422),
        (f"task=（一）&plan={STABLE}&unit=无此单位", 404),
    ],
)
def test_unknown_is_404_and_ambiguous_is_422(office: Seeded, report: str, query: str,
                                             status: int) -> None:
    response = get(office, f"/reports/{report}?{query}")
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    if status == 422:
        assert "give the plan" in response.get_json()["detail"]


def test_the_audit_trail_takes_a_task_by_id_or_number(office: Seeded) -> None:
    by_number = rows(office, f"/audit?task=（十一）&plan={STABLE}&limit=1000")
    assert by_number and {e["task_number"] for e in by_number} >= {"（十一）"}
    assert rows(office, f"/audit?task={office.ids['task']}&limit=1000") == by_number
    assert rows(office, f"/audit?task=(十一)&plan={STABLE}&limit=1000") == by_number
    assert rows(office, f"/audit?task={office.ids['task'].upper()}&limit=1000") == by_number
    hr_only = rows(office, f"/audit?task=（十一）&plan={STABLE}&unit={STORE_ALIAS}&limit=1000")
    assert hr_only and {e["unit_id"] for e in hr_only} == {office.ids["unit"]}
    for query, status in (("task=（一）", 422), ("task=（九十九）", 404), ("plan=无此方案", 404),
                          ("unit=无此单位", 404)):
        response = get(office, f"/audit?{query}")
        assert (response.status_code, response.mimetype) == (status, "application/problem+json")


def test_tasks_take_a_unit_by_id_name_or_store_alias(office: Seeded) -> None:
    by_name = rows(office, f"/tasks?unit={HR}")
    assert by_name
    assert rows(office, f"/tasks?unit={office.ids['unit']}") == by_name
    assert rows(office, f"/tasks?unit={STORE_ALIAS}") == by_name
    numbered = rows(office, f"/tasks?number=(十一)&plan={STABLE}")
    assert [t["task_id"] for t in numbered] == [office.ids["task"]]
    assert rows(office, f"/tasks?number=十一&plan={STABLE}") == numbered
    for query, status in (("unit=无此单位", 404), ("plan=无此方案", 404), ("number=（一）", 422),
                          (f"number=（九十九）&plan={STABLE}", 404)):
        response = get(office, f"/tasks?{query}")
        assert (response.status_code, response.mimetype) == (status, "application/problem+json")


def test_a_liaison_is_kept_to_its_own_unit_however_it_names_another(office: Seeded) -> None:
    for path in ("/reports/overdue", "/reports/responsibilities", "/tasks"):
        for other in (FINANCE, "财政厅"):
            refused = get(office, f"{path}?unit={other}", role="liaison")
            assert refused.status_code == 403, path
        own = rows(office, f"{path}?unit={office.ids['unit']}", role="liaison")
        assert own == rows(office, f"{path}?unit={STORE_ALIAS}", role="liaison")
        assert own == rows(office, path, role="liaison")
    overdue = rows(office, "/reports/overdue", role="liaison")
    assert overdue and {r["unit_id"] for r in overdue} == {office.ids["unit"]}
