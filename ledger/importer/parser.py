"""Read a plan document as a person does: front matter, numbered tasks, units, targets.

Structure. A plan numbers its parts on three levels: ``一、`` (sections), ``（一）`` and
``1.`` / ``1．`` / ``1、``. A heading counts only at the start of a line and only when it
is the next number at its level (or a ``1`` after a new parent heading), so a wrapped
line that happens to start with ``5.5%`` or a stray ``（二）`` is text. The tasks are
the numbered items at the deepest level where items name responsible units: ``（一）``
… ``（十八）`` in ``000``; ``1.`` … ``19.`` in ``001``, whose ``（一）`` … ``（五）`` are then
the sections and whose ``（六）（七）`` (保障措施, no units) are not tasks but still carry
its reporting duties. Everything before the first heading is the front matter.

Numbers are stored as printed, without the separator after them: ``（十一）`` keeps its
brackets, ``8.`` is ``8``, ``三、`` is ``三``. The ledger and the CLI refer to task ``8``.

Units (issue 4, item 4) come from the trailing parenthesis of a task, with or without a
label (``责任单位`` / ``责任部门`` / ``牵头单位``), or from a bare ``责任单位：…`` at the
end of the task. See :func:`_parse_unit_clause` for the reading rules.

Line breaks carry no meaning here (PDF extraction breaks lines inside words and unit
lists): an item's text is its lines joined without a separator.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from dataclasses import dataclass, field
from datetime import date

from ledger.errors import PlanFormatError
from ledger.importer.duties import find_duties
from ledger.importer.model import (
    Deadline,
    ParsedPlan,
    ParsedTarget,
    ParsedTask,
    ParsedUnit,
    TargetPeriod,
)
from ledger.importer.text import bracket_depth, lines, strip_invisible
from ledger.numerals import chinese_digits, chinese_numeral
from ledger.targets import extract_targets, horizon_of
from ledger.units import RegisteredUnit, UnitRegistry, guess_kind
from ledger.vocabulary import Role

_L1 = re.compile(r"^([一二三四五六七八九十]{1,3})、")
_L2 = re.compile(r"^（([一二三四五六七八九十]{1,3})）")
_L3 = re.compile(r"^(\d{1,2})[.．、](?!\d)")

_LABEL = r"(?:责任单位|责任部门|牵头单位|牵头部门|责任处室)"
_BARE_LABEL = re.compile(_LABEL + r"：")
_CO_LABEL = re.compile(r"^(?:配合单位|配合部门|协办单位|参与单位)：")
_LEAD_LABEL = re.compile(r"^(?:牵头单位|牵头部门)：")
_ANY_LABEL = re.compile(r"^(?:责任单位|责任部门|责任处室)：")
_FOLLOWING = re.compile(
    r"以下(?:任务|工作)均[^。；）]*?(?:各盟行政公署、市人民政府|各盟市)[^。；）]*?"
    r"(?:不再单独列出|不再一一列出|不再列出)[。；]?"
)
_STANDING = re.compile(r"[，、]?(?:列|排)(?:在)?第一位(?:者|的)?(?:为|是)牵头单位")
_SAME_BELOW = re.compile(r"[，、；]?下同")
_NOISE = re.compile(r"按职责(?:分工)?(?:负责|落实)|分别负责|共同负责|负责落实")
_LEAGUES = re.compile(r"各盟行政公署、市人民政府|各盟市人民政府|各盟市")
_DEADLINE = re.compile(r"完成时限：([^。；）]+)[。；]?")
_UNIT_ENDINGS = (
    "厅",
    "局",
    "委",
    "办",
    "部",
    "会",
    "联",
    "行",
    "政府",
    "公署",
    "单位",
    "部门",
    "盟",
    "市",
    "组",
    "室",
    "院",
    "中心",
    "处",
    "团委",
)
_SELF_JURISDICTION = re.compile(r"^(?:国家|中国|人民银行|内蒙古(?!自治区))")
_FOREIGN = re.compile(r"^([\u4e00-\u9fff]{2,3}省|省)")
_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_CN_DATE = re.compile(
    r"([〇零一二三四五六七八九○]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日"
)
_DOC_NUMBER = re.compile(r"([\u4e00-\u9fff]{1,12})[〔［\[【（(](\d{4})[〕］\]】）)](\d{1,4})号")
_DOC_TYPES = ("方案", "计划", "意见", "办法", "规划", "措施", "要点", "细则", "通知")


# --- document structure -------------------------------------------------------------
@dataclass
class _Item:
    level: int
    number: str  # as printed, without the separator
    value: int
    first_line: str  # the heading's own line, number removed
    content: str  # everything under the heading up to the next one, number removed
    parents: dict[int, _Item] = field(default_factory=dict)

    @property
    def heading(self) -> str:
        """The heading as printed: ``二、全力稳定就业岗位``, ``（一）提高…``."""
        title = self.content if "。" not in self.content else self.first_line
        prefix = {1: f"{self.number}、", 2: self.number, 3: f"{self.number}."}[self.level]
        return prefix + title


def _heading(line: str) -> tuple[int, str, int, str] | None:
    for level, pattern in ((1, _L1), (2, _L2), (3, _L3)):
        match = pattern.match(line)
        if match:
            raw = match.group(1)
            try:
                value = int(raw) if level == 3 else chinese_numeral(raw)
            except ValueError:
                return None
            number = f"（{raw}）" if level == 2 else raw
            return level, number, value, line[match.end() :]
    return None


def _structure(all_lines: list[str]) -> tuple[list[str], list[_Item]]:
    """Split lines into front matter and numbered items, accepting headings in sequence."""
    last = {1: 0, 2: 0, 3: 0}
    parent_seen = {2: False, 3: False}  # a new parent since the last item at this level
    items: list[_Item] = []
    front: list[str] = []
    current: dict[int, _Item] = {}
    for line in all_lines:
        found = _heading(line)
        accepted = False
        if found:
            level, number, value, rest = found
            in_sequence = value == last[level] + 1
            restart = value == 1 and level > 1 and parent_seen[level]
            starts_body = not items and value == 1
            accepted = in_sequence or restart or starts_body
        if accepted:
            if restart:
                last[level] = 0
            last[level] = value
            for deeper in range(level + 1, 4):
                parent_seen[deeper] = True
            if level in parent_seen:
                parent_seen[level] = False
            current = {k: v for k, v in current.items() if k < level}
            item = _Item(level, number, value, rest, rest, dict(current))
            current[level] = item
            items.append(item)
        elif items:
            items[-1].content += line
        else:
            front.append(line)
    return front, items


# --- front matter -------------------------------------------------------------------
def _front_fields(
    front: list[str], warnings: list[str]
) -> tuple[str | None, str | None, str | None, date | None]:
    notice = ""
    for index, line in enumerate(front[:6]):
        if line.endswith("通知"):
            notice = "".join(front[: index + 1])
            break
    issuer = None
    match = re.match(r"^(.+?)关于(?:印发|转发)", notice)
    if match:
        issuer = match.group(1)
    doc_number = None
    for line in front:
        found = _DOC_NUMBER.search(line)
        if found:
            doc_number = f"{found.group(1)}〔{found.group(2)}〕{found.group(3)}号"
            break
    issued_on = None
    date_index = None
    for index, line in enumerate(front):
        day = _date_line(line)
        if day is not None:
            issued_on, date_index = day, index
    if issuer is None and date_index:
        for line in reversed(front[:date_index]):
            if re.fullmatch(r"（[^）]*）", line):
                continue  # （代章）, （盖章）
            if line.endswith(("政府", "小组", "委员会", "办公室", "办公厅", "厅", "局", "部")):
                issuer = line
            break
    title = None
    for line in reversed(front):
        if re.search(r"[，。：；！？]", line) or _date_line(line) or _DOC_NUMBER.search(line):
            continue
        if line.endswith(_DOC_TYPES) and not line.endswith("通知") and len(line) >= 6:
            title = line
            break
    if title is None:
        quoted = re.search(r"《([^》]+)》", notice) or re.search(r"关于印发(.+?)的通知", notice)
        if quoted:
            title = quoted.group(1)
    for name, value in (
        ("title", title),
        ("issuing body", issuer),
        ("document number", doc_number),
        ("issue date", issued_on),
    ):
        if value is None:
            warnings.append(f"the document gives no {name}; it is left empty")
    return title, issuer, doc_number, issued_on


def _date_line(line: str) -> date | None:
    match = _DATE.fullmatch(line)
    if match:
        return _safe_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    match = _CN_DATE.fullmatch(line)
    if match:
        try:
            month, day = chinese_numeral(match.group(2)), chinese_numeral(match.group(3))
        except ValueError:
            return None
        return _safe_date(chinese_digits(match.group(1)), month, day)
    return None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


# --- units --------------------------------------------------------------------------
def _split_units(content: str, registry: UnitRegistry) -> tuple[str, str | None]:
    """(text, unit clause or None): the trailing parenthesis or bare label that names units."""
    text = content.rstrip()
    if text.endswith("）。"):
        text = text[:-1]
    if text.endswith("）"):
        depth = 0
        for position in range(len(text) - 1, -1, -1):
            if text[position] == "）":
                depth += 1
            elif text[position] == "（":
                depth -= 1
                if depth == 0:
                    inner = text[position + 1 : -1]
                    if _looks_like_units(inner, registry):
                        return text[:position], inner
                    break
    labels = [m for m in _BARE_LABEL.finditer(text) if bracket_depth(text[: m.start()]) == 0]
    if labels:
        start = labels[-1].start()
        if start == 0 or text[start - 1] in "。）；":
            return text[:start], text[start:].rstrip("。")
    return content, None


def _looks_like_units(inner: str, registry: UnitRegistry) -> bool:
    if re.search(_LABEL + "：", inner) or _STANDING.search(inner):
        return True
    cleaned = _clean_clause(inner)[0]
    tokens = [t for t in re.split(r"[、，；]", cleaned) if t]
    if not tokens:
        return False
    unitlike = sum(
        1
        for t in tokens
        if registry.resolve(t) is not None
        or (
            len(t) <= 30
            and not re.search(r"\d", t)
            and t.rstrip("等牵头配合参与").endswith(_UNIT_ENDINGS)
        )
    )
    return unitlike / len(tokens) >= 0.6


def _clean_clause(clause: str) -> tuple[str, bool, bool, str | None]:
    """(clause without rules and noise, 以下任务… flag, 下同 flag, deadline text)."""
    following = bool(_FOLLOWING.search(clause))
    clause = _FOLLOWING.sub("", clause)
    deadline = None
    found = _DEADLINE.search(clause)
    if found:
        deadline = found.group(1)
        clause = clause[: found.start()] + clause[found.end() :]
    same_below = bool(_SAME_BELOW.search(clause))
    clause = _SAME_BELOW.sub("", clause)
    clause = _STANDING.sub("", clause)
    clause = _NOISE.sub("", clause)
    clause = _LEAGUES.sub("各盟市", clause)
    clause = clause.strip("，、；。 ")
    return clause, following, same_below, deadline


@dataclass
class _Resolver:
    """Resolves one unit list, carrying the 自治区 / 党委 prefixes as a reader does."""

    registry: UnitRegistry
    warnings: list[str]
    new_units: dict[str, RegisteredUnit]
    where: str
    jurisdiction: str | None = None  # as written: 自治区, 省, 河北省...
    party: bool = False  # a 党委 (or 省委) prefix was written and carries to Party organs

    def resolve(self, token: str) -> list[RegisteredUnit]:
        if token == "各盟市":
            return list(self.registry.leagues_and_cities())
        known = self.registry.resolve(token)
        if _SELF_JURISDICTION.match(token):
            return [known or self._new(token, "central_branch")]
        if token.startswith("各"):
            return [known or self._new(token, guess_kind(token))]
        bare, foreign = self._strip_prefixes(token)
        if not foreign:
            if self.party and bare != token:
                # 自治区党委X: try the Party organ first.
                party_known = self.registry.resolve(self.registry.party_prefix + bare)
                if party_known is not None:
                    return [party_known]
            known = known or self.registry.resolve(bare)
            if known is not None:
                return [known]
        kind = guess_kind(bare)
        if kind == "department" and self.party and guess_kind("党委" + bare) == "party_organ":
            kind = "party_organ"
        name = self._qualified(bare, kind)
        return [self.registry.resolve(name) or self._new(name, kind)]

    def _strip_prefixes(self, token: str) -> tuple[str, bool]:
        rest = token
        written = None
        for prefix in self.registry.home_prefixes:
            if rest.startswith(prefix) and len(rest) > len(prefix):
                written, rest = prefix, rest[len(prefix) :]
                break
        if written is None:
            foreign = _FOREIGN.match(rest)
            if foreign and len(rest) > len(foreign.group()):
                written, rest = foreign.group(), rest[foreign.end() :]
        if written is not None:
            self.jurisdiction = written
            self.party = False
        party_marker = self.registry.party_prefix
        if rest.startswith(party_marker) and len(rest) > len(party_marker):
            self.party, rest = True, rest[len(party_marker) :]
        elif (
            written
            and written not in self.registry.home_prefixes
            and rest.startswith("委")
            and (guess_kind(rest[1:]) == "party_organ")
        ):
            self.party, rest = True, rest[1:]  # 省委组织部
        elif written is not None:
            self.party = False
        home = self.registry.home_prefixes
        foreign_now = self.jurisdiction is not None and self.jurisdiction not in home
        return rest, foreign_now

    def _qualified(self, bare: str, kind: str) -> str:
        jurisdiction = self.jurisdiction or ""
        if kind == "party_organ":
            home = jurisdiction in self.registry.home_prefixes or not jurisdiction
            marker = self.registry.party_prefix if home else "委"
            if home and not jurisdiction:
                jurisdiction = self.registry.home_prefixes[-1]
            return f"{jurisdiction}{marker}{bare}"
        if kind in ("league_city", "central_branch", "group"):
            return bare
        return f"{jurisdiction}{bare}"

    def _new(self, name: str, kind: str) -> RegisteredUnit:
        unit = self.registry.add(name, kind)
        if name not in self.new_units:
            self.new_units[name] = unit
            self.warnings.append(
                f"task {self.where}: unit {name!r} is not in the unit registry; "
                f"added as a new unit of kind {kind}"
            )
        return unit


def _parse_unit_clause(
    clause: str,
    registry: UnitRegistry,
    where: str,
    warnings: list[str],
    new_units: dict[str, RegisteredUnit],
) -> tuple[list[ParsedUnit], bool, bool, str | None]:
    """Units of one clause, lead first, with the clause's flags.

    * The first unit listed is the lead, unless the text marks roles (``A、B牵头，C、D
      配合``, ``牵头单位：…；配合单位：…``), then the marked leads lead.
    * ``各盟行政公署、市人民政府`` / ``各盟市`` is the twelve leagues and cities; listed
      first, all twelve lead (each in its own territory).
    * A group the registry knows members of (``领导小组各成员单位``) is itself the lead
      when listed first, and its members follow as co-units.
    * ``X等行业主管部门`` is X plus the group 各行业主管部门; ``X等负责`` is X.
    * Returns (units, 以下任务… flag, 下同 flag, deadline text).
    """
    cleaned, following, same_below, deadline = _clean_clause(clause)
    resolver = _Resolver(registry, warnings, new_units, where)
    entries: list[tuple[RegisteredUnit, Role | None, bool]] = []  # unit, marked role, first-slot
    marked = False
    for segment in re.split(r"[，；]", cleaned):
        segment = segment.strip("、 ")
        role: Role | None = None
        if _LEAD_LABEL.match(segment):
            role, segment = Role.LEAD, _LEAD_LABEL.sub("", segment)
        elif _CO_LABEL.match(segment):
            role, segment = Role.CO, _CO_LABEL.sub("", segment)
        else:
            segment = _ANY_LABEL.sub("", segment)
        for word, mark in (
            ("牵头负责", Role.LEAD),
            ("牵头", Role.LEAD),
            ("配合", Role.CO),
            ("参与", Role.CO),
            ("协助", Role.CO),
            ("协同", Role.CO),
            ("协办", Role.CO),
            ("负责", None),
        ):
            if segment.endswith(word) and len(segment) > len(word):
                segment = segment[: -len(word)]
                role = role or mark
                break
        if role == Role.LEAD:
            marked = True
        for token in _tokens(segment):
            group_first = not entries
            for index, unit in enumerate(resolver.resolve(token)):
                entries.append((unit, role, group_first and (token == "各盟市" or index == 0)))
                if unit.kind == "group":
                    for member in registry.members_of(unit.name):
                        entries.append((member, Role.CO, False))
    units: list[ParsedUnit] = []
    seen: set[str] = set()
    for position, (unit, role, first_slot) in enumerate(entries):
        if unit.name in seen:
            continue
        seen.add(unit.name)
        if marked:
            final = Role.LEAD if role == Role.LEAD else Role.CO
        else:
            final = Role.LEAD if (position == 0 or (first_slot and role != Role.CO)) else Role.CO
        units.append(ParsedUnit(unit.name, final, unit.kind))
    return units, following, same_below, deadline


def _tokens(segment: str) -> list[str]:
    tokens: list[str] = []
    for raw in segment.split("、"):
        token = raw.strip()
        if not token:
            continue
        if "等" in token:
            head, _, tail = token.partition("等")
            tail = tail.strip()
            if head:
                tokens.append(head)
            if tail.endswith(("部门", "单位")):
                tokens.append(tail if tail.startswith("各") else "各" + tail)
            continue
        tokens.append(token)
    return tokens


def _deadline(text: str) -> Deadline | None:
    value = text.strip()
    day: date | None = None
    full = re.search(r"(\d{4})年(\d{1,2})月(\d{1,2})日", value)
    month = re.search(r"(\d{4})年(\d{1,2})月", value)
    year = re.search(r"(\d{4})年(?:底|末)", value)
    if full:
        day = _safe_date(int(full.group(1)), int(full.group(2)), int(full.group(3)))
    elif month:
        y, m = int(month.group(1)), int(month.group(2))
        if 1 <= m <= 12:
            day = date(y, m, calendar.monthrange(y, m)[1])
    elif year:
        day = date(int(year.group(1)), 12, 31)
    return Deadline(value, day)


# --- the plan -----------------------------------------------------------------------
_GOAL_HEADINGS = ("总体要求", "主要目标", "工作目标", "发展目标", "目标任务", "总体目标")


def parse_plan(text: str, registry: UnitRegistry | None = None) -> ParsedPlan:
    """Read one plan document (already decoded: see ``importer.text.decode_document``).

    ``registry`` is not changed: units it does not know are added to a copy and listed
    as warnings. Raises :class:`~ledger.errors.PlanFormatError` for a text that is not a
    readable plan (empty, no tasks, truncated).
    """
    text = strip_invisible(text or "")  # decode_document did; a caller's own text may not
    if not text.strip():
        raise PlanFormatError("the plan text is empty")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    registry = (registry or UnitRegistry.load_default()).copy()
    warnings: list[str] = []
    front, items = _structure(lines(text))
    if not items:
        raise PlanFormatError(
            "no numbered tasks found: the text has no 一、 / （一） / 1. headings"
        )

    title, issuer, doc_number, issued_on = _front_fields(front, warnings)

    # Which items name units, and at which level the tasks are.
    splits = {id(item): _split_units(item.content, registry) for item in items}
    with_units = [item for item in items if splits[id(item)][1] is not None]
    last = items[-1]
    if bracket_depth(last.content) > 0:
        raise PlanFormatError(
            f"the document ends inside an unclosed parenthesis in item {last.number}: "
            "it looks truncated in the middle of a unit list"
        )
    if not with_units:
        raise PlanFormatError("no recognisable tasks: no numbered item names its responsible units")
    task_level = max(item.level for item in with_units)
    candidates = [item for item in items if item.level == task_level]

    def section_of(item: _Item) -> _Item | None:
        return item.parents.get(task_level - 1)

    def group_of(item: _Item) -> int:
        top = item.parents.get(1)
        return id(top) if top is not None and task_level > 1 else 0

    task_groups = {group_of(item) for item in with_units if item.level == task_level}

    # Plan-level targets: the goals section, without its child items.
    plan_targets: tuple[ParsedTarget, ...] = ()
    for item in items:
        if item.level < task_level and any(word in item.first_line for word in _GOAL_HEADINGS):
            plan_targets += extract_targets(item.content)
    horizon: TargetPeriod | None = horizon_of(plan_targets)

    tasks: list[ParsedTask] = []
    new_units: dict[str, RegisteredUnit] = {}
    leagues_from_here = False
    standing: list[ParsedUnit] | None = None
    for item in candidates:
        if group_of(item) not in task_groups:
            continue
        body, clause = splits[id(item)]
        deadline: Deadline | None = None
        body = body.strip()
        if clause is not None:
            units, following, same_below, deadline_text = _parse_unit_clause(
                clause, registry, item.number, warnings, new_units
            )
            if deadline_text:
                deadline = _deadline(deadline_text)
            leagues_from_here = leagues_from_here or following
            if same_below:
                standing = units
        else:
            if item is last and not body.endswith(("。", "！", "？", "）", "”")):
                raise PlanFormatError(
                    f"the document ends inside the text of task {item.number}, before its "
                    "responsible units: it looks truncated"
                )
            if standing is not None:
                units = list(standing)
            elif item is last:
                raise PlanFormatError(
                    f"task {item.number}, the last one, names no responsible units: "
                    "the document looks truncated"
                )
            else:
                units = []
                warnings.append(f"task {item.number} names no responsible units")
        found = _DEADLINE.search(body)
        if found and body[found.end() :].strip("。；") == "":
            deadline = deadline or _deadline(found.group(1))
            body = body[: found.start()].rstrip("，；")
        if leagues_from_here:
            present = {u.name for u in units}
            units = units + [
                ParsedUnit(unit.name, Role.CO, unit.kind)
                for unit in registry.leagues_and_cities()
                if unit.name not in present
            ]
        if units and not any(u.role == Role.LEAD for u in units):
            units[0] = ParsedUnit(units[0].name, Role.LEAD, units[0].kind)
        section = section_of(item)
        tasks.append(
            ParsedTask(
                number=item.number,
                ordinal=len(tasks) + 1,
                section=section.heading if section is not None else None,
                title=_title(body, item.first_line),
                text=body,
                units=tuple(units),
                targets=extract_targets(body, horizon),
                deadline=deadline,
            )
        )
    if not tasks:
        raise PlanFormatError("no recognisable tasks in the document")

    duties, requirements = find_duties(
        ((item.number, splits[id(item)][0]) for item in items), registry
    )
    return ParsedPlan(
        title=title,
        doc_number=doc_number,
        issued_on=issued_on,
        issuer=issuer,
        targets=plan_targets,
        tasks=tuple(tasks),
        obligations=duties,
        warnings=tuple(warnings),
        source_sha256=digest,
        requirements=requirements,
        new_units=tuple(
            ParsedUnit(unit.name, Role.CO, unit.kind)
            for unit in new_units.values()  # type: ignore[arg-type]
        ),
    )


def _title(body: str, first_line: str) -> str:
    """The task's first sentence (its heading), without the full stop."""
    end = body.find("。")
    if end > 0:
        return body[:end]
    return first_line.rstrip("。")
