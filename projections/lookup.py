"""A plan, task or unit as a person names it in a query or a flag, resolved on the read store.

Accepted (issue 13, item 5):

* a plan: its id, document number, natural key or title, or words of its title or
  document number (``稳岗扩容``, ``〔2025〕7号``);
* a task: its id, or its number as printed, with brackets in either width or none:
  ``（十一）``, ``(十一)`` and ``十一`` all name ``（十一）``; ``8`` names ``8``. A number
  is matched as printed first (``三`` is a plan's ``三、`` before another's ``（三）``),
  and only then in the other bracketing. Numbers are not translated between Chinese
  and Arabic: plan 001's task ``11`` is not plan 000's ``（十一）``. Scoped to a plan when
  one is given; a number that several plans have is :class:`~ledger.errors.AmbiguousTask`;
* a unit: its id, its name, or any alias the store knows (``rm_unit_names``: names
  recorded with the unit and aliases added since), not the packaged alias file; names
  are read with the registry's tolerance of the home and ``党委`` prefixes, as the
  importer reads them (``教育厅``, ``内蒙古自治区教育厅`` are 自治区教育厅).

Anything else is the ledger's not-found error (``UnknownPlan``, ``UnknownTask``,
``UnknownUnit``: 404 / exit 2), and words that fit several plans are ``AmbiguousPlan``
(422 / exit 2). Path parameters stay ids; this is for queries and flags.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any
from uuid import UUID

from ledger.errors import AmbiguousPlan, AmbiguousTask, UnknownPlan, UnknownTask, UnknownUnit
from ledger.units import UnitRegistry
from projections.db import ReadStore

_TO_FULL_WIDTH = str.maketrans("()", "（）")


@dataclass(frozen=True)
class PlanRef:
    plan_id: str
    title: str
    doc_number: str | None
    natural_key: str


@dataclass(frozen=True)
class TaskRef:
    task_id: str
    plan_id: str
    number: str  # as printed: （十一）, 8
    ordinal: int
    title: str


@dataclass(frozen=True)
class UnitRef:
    unit_id: str
    name: str  # canonical
    kind: str


@dataclass(frozen=True)
class Scope:
    """The unit, plans and task a report or trail is narrowed to, resolved on the store
    (:mod:`projections.lookup`); None is "every one". A task narrows to its own plan."""

    unit_id: str | None = None
    plan_ids: tuple[str, ...] | None = None
    task: TaskRef | None = None

    def about(self, alias: str, *, task_column: str = "task_number") -> tuple[list[str], list]:
        """SQL conditions (and their parameters) on a table ``alias`` with ``unit_id``,
        ``plan_id`` and ``task_column`` (a number, or ``task_id``)."""
        where: list[str] = []
        params: list[Any] = []
        if self.unit_id is not None:
            where.append(f"{alias}.unit_id = ?")
            params.append(self.unit_id)
        if self.plan_ids is not None:
            where.append(f"{alias}.plan_id IN ({', '.join('?' for _ in self.plan_ids)})")
            params += list(self.plan_ids)
        if self.task is not None:
            where.append(f"{alias}.{task_column} = ?")
            params.append(self.task.task_id if task_column == "task_id" else self.task.number)
        return where, params


def scope(
    store: ReadStore,
    *,
    unit: str | None = None,
    plan: str | None = None,
    task: str | None = None,
) -> Scope:
    """The unit, plan and task as named in a query or a flag: unknown ones are 404 /
    exit 2, a task number several plans have (no plan given) is 422 / exit 2."""
    unit_id = resolve_unit(store, unit).unit_id if unit else None
    if task:
        found = resolve_task(store, task, plan=plan or None)
        return Scope(unit_id, (found.plan_id,), found)
    plan_ids = tuple(p.plan_id for p in resolve_plans(store, plan)) if plan else None
    return Scope(unit_id, plan_ids)


def plans(store: ReadStore) -> tuple[PlanRef, ...]:
    """Every plan, in ledger order."""
    return tuple(_plans(store))


def resolve_plans(store: ReadStore, reference: str) -> tuple[PlanRef, ...]:
    """Every plan ``reference`` names, as a filter reads it: the id, document number or
    natural key, or words of the title or document number. None is :class:`UnknownPlan`."""
    words = reference.strip()
    chosen = tuple(
        plan
        for plan in _plans(store)
        if words in (plan.doc_number, plan.natural_key)
        or _id_form(words) == plan.plan_id
        or words in plan.title
        or (plan.doc_number and words in plan.doc_number)
    )
    if not words or not chosen:
        raise UnknownPlan(f"no plan matches {reference!r}", field="plan")
    return chosen


def resolve_plan(store: ReadStore, reference: str) -> PlanRef:
    """The one plan ``reference`` names: an exact id, document number, natural key or
    title first, else the only plan whose title or document number holds the words."""
    matches = resolve_plans(store, reference)
    words = reference.strip()
    exact = [
        plan
        for plan in matches
        if words in (plan.doc_number, plan.natural_key, plan.title)
        or _id_form(words) == plan.plan_id
    ]
    if len(exact) == 1:
        return exact[0]
    if len(matches) == 1:
        return matches[0]
    raise AmbiguousPlan(
        f"{reference!r} fits {len(matches)} plans ({_titles(matches)}); "
        "give its id or document number",
        field="plan",
    )


def resolve_task(store: ReadStore, reference: str, plan: str | None = None) -> TaskRef:
    """The task ``reference`` names (an id or a number as printed), in ``plan`` if given.

    Without a plan, a number that tasks of several plans have is :class:`AmbiguousTask`.
    """
    scope = resolve_plan(store, plan) if plan is not None else None
    words = reference.strip()
    by_id = [task for task in _tasks(store, "task_id = ?", [_id_form(words)])]
    if by_id and (scope is None or by_id[0].plan_id == scope.plan_id):
        return by_id[0]
    for number in task_numbers(words):
        if scope is None:
            found = _tasks(store, "number = ?", [number])
        else:
            found = _tasks(store, "number = ? AND plan_id = ?", [number, scope.plan_id])
        if len(found) == 1:
            return found[0]
        if found:
            plans = [p for p in _plans(store) if p.plan_id in {t.plan_id for t in found}]
            raise AmbiguousTask(
                f"task {reference!r} is in {len(plans)} plans ({_titles(plans)}); give the plan",
                field="task",
            )
    where = f" in {scope.title}" if scope is not None else ""
    raise UnknownTask(f"no task {reference!r}{where}", field="task")


def task_numbers(reference: str) -> tuple[str, ...]:
    """The printed numbers ``reference`` may mean, the likelier first: ``(十一)`` →
    ``（十一）`` then ``十一``; ``十一`` → ``十一`` then ``（十一）``."""
    number = reference.strip().translate(_TO_FULL_WIDTH)
    if not number:
        return ()
    if number.startswith("（") and number.endswith("）") and len(number) > 2:
        return number, number[1:-1].strip()
    return number, f"（{number}）"


def resolve_unit(store: ReadStore, reference: str) -> UnitRef:
    """The unit ``reference`` names: its id, or a name or alias the store knows, read with
    the registry's tolerance of the home and ``党委`` prefixes (``教育厅`` is 自治区教育厅)."""
    words = reference.strip()
    rows = store.query(
        "SELECT unit_id, name, kind FROM {s}rm_units WHERE unit_id = ?", [_id_form(words)]
    )
    if rows:
        return UnitRef(rows[0]["unit_id"], rows[0]["name"], rows[0]["kind"])
    units = {row["name"]: row for row in store.query(
        "SELECT unit_id, name, kind FROM {s}rm_units ORDER BY position, unit_id"
    )}
    known = _registry_of(store, units).resolve(words) if words else None
    if known is None:
        raise UnknownUnit(f"no unit is known as {reference!r}", field="unit")
    row = units[known.name]
    return UnitRef(row["unit_id"], row["name"], row["kind"])


def _id_form(words: str) -> str:
    """An id as the store writes it (a UUID in any case or with braces, canonical), or
    the words unchanged."""
    try:
        return str(UUID(words))
    except ValueError:
        return words


def _registry_of(store: ReadStore, units: dict[str, dict]) -> UnitRegistry:
    """The store's units and every name recorded for them, as a registry: the spelling
    rules are the packaged registry's (its home jurisdiction), the names are the store's."""
    names: dict[str, list[str]] = {}
    for row in store.query("SELECT name, unit_id FROM {s}rm_unit_names ORDER BY name"):
        names.setdefault(row["unit_id"], []).append(row["name"])
    rules = _packaged_rules()
    registry = UnitRegistry(home_prefixes=rules.home_prefixes, party_prefix=rules.party_prefix)
    for name, row in units.items():
        registry.add(name, row["kind"], aliases=names.get(row["unit_id"], ()))
    return registry


@cache
def _packaged_rules() -> UnitRegistry:
    return UnitRegistry.load_default()


def _plans(store: ReadStore) -> list[PlanRef]:
    rows = store.query(
        "SELECT plan_id, title, doc_number, natural_key FROM {s}rm_plans ORDER BY position"
    )
    return [PlanRef(r["plan_id"], r["title"], r["doc_number"], r["natural_key"]) for r in rows]


def _tasks(store: ReadStore, where: str, params: list[str]) -> list[TaskRef]:
    rows = store.query(
        "SELECT task_id, plan_id, number, ordinal, title FROM {s}rm_tasks "
        f"WHERE {where} ORDER BY plan_id, ordinal",
        params,
    )
    return [
        TaskRef(r["task_id"], r["plan_id"], r["number"], r["ordinal"], r["title"]) for r in rows
    ]


def _titles(plans: list[PlanRef] | tuple[PlanRef, ...]) -> str:
    return "、".join(plan.title for plan in plans)
