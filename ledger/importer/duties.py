"""Reporting duties a plan states in prose, as obligation definitions for the scheduler.

What is read (issue 4, item 7), sentence by sentence over every numbered item, tasks or
not (``001`` states its duties in （七）, which is no task):

* a window of working days (``于4月、7月、10月和次年1月月初5个工作日内``) with
  ``季度`` / ``年度`` and a ``报`` to someone: a quarterly and/or an annual report, due on
  the N-th working day of the month after the period. ``…和次年1月`` with both
  ``季度和年度`` means January's report is the annual one and covers Q4, so the
  quarterly duty owes Q1–Q3 only (the same reading as ``ledger.obligations``);
* ``按月``/``每月`` with ``汇总``/``报送`` and a ``报`` to someone: a monthly duty of the
  clause's subject (``各级人力资源社会保障部门``);
* the office's cycles ``月调度``, ``季分析``, ``半年总结``, ``年度评估``: each a duty of every
  assignment to report for it, to the body that runs it;
* ``责任清单`` and ``联络员``: standing requirements on each unit, not periodic, so they
  are :class:`Requirement` values rather than duties.

A due day the text does not give is the documented default: the 5th working day of the
month after the period (``due_stated`` is then False in ``audience``). A plan that states
no periodic duty at all gets :data:`DEFAULT_DUTY`: a monthly progress report, due by the
5th working day of the next month, owed by every assignment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ledger.importer.model import ObligationDuty, Requirement
from ledger.units import UnitRegistry
from ledger.vocabulary import Cadence

DEFAULT_DUE_WORKDAY = 5

DEFAULT_DUTY = ObligationDuty(
    slug="monthly-progress",
    description="月度进展报告：次月前5个工作日内报送（文件未规定报送要求时的默认规则）",
    cadence=Cadence.MONTHLY,
    due_workday=DEFAULT_DUE_WORKDAY,
    scope="plan",
    audience={"description": "全部责任单位", "scope": "all_assignments", "due_stated": False},
    report_to=None,
    source="",
    stated_in=None,
    default=True,
)

_SENTENCE = re.compile(r"[^。！？]+[。！？]?")
_WORKDAYS = re.compile(r"(\d{1,2})个工作日内")
_REPORT_TO = re.compile(r"报(?:送|告)?([^，。；、]*(?:办公室|领导小组|部门|厅|局|政府))")
_CYCLES = (
    ("月调度", Cadence.MONTHLY, "monthly-dispatch", "月调度：每月报送进展，供领导小组办公室调度"),
    (
        "季分析",
        Cadence.QUARTERLY,
        "quarterly-analysis",
        "季分析：每季度报送进展，供领导小组办公室分析",
    ),
    ("半年总结", Cadence.HALF_YEARLY, "half-year-summary", "半年总结：每半年报送工作总结"),
    ("年度评估", Cadence.ANNUAL, "annual-evaluation", "年度评估：每年报送年度工作情况，供年度评估"),
)


def find_duties(
    items: Iterable[tuple[str | None, str]], registry: UnitRegistry
) -> tuple[tuple[ObligationDuty, ...], tuple[Requirement, ...]]:
    """Duties and standing requirements in ``items`` (``(number as printed, text)`` pairs).

    Returns the default duty when no periodic duty is stated.
    """
    duties: list[ObligationDuty] = []
    requirements: list[Requirement] = []
    for stated_in, text in items:
        for sentence in _SENTENCE.findall(text):
            duties.extend(_window_reports(sentence, stated_in))
            duties.extend(_monthly_summaries(sentence, stated_in, registry))
            duties.extend(_office_cycles(sentence, stated_in))
            requirements.extend(_requirements(sentence, stated_in))
    unique: dict[str, ObligationDuty] = {}
    for duty in duties:
        unique.setdefault(duty.slug, duty)
    if not unique:
        unique[DEFAULT_DUTY.slug] = DEFAULT_DUTY
    reqs: dict[str, Requirement] = {}
    for requirement in requirements:
        reqs.setdefault(requirement.slug, requirement)
    return tuple(unique.values()), tuple(reqs.values())


def _subject(sentence: str, before: int) -> str:
    """The subject of the clause holding ``before``: ``各地各部门于…`` → ``各地各部门``."""
    start = max(sentence.rfind("，", 0, before), sentence.rfind("；", 0, before)) + 1
    clause = sentence[start:before]
    match = re.match(r"(.+?)(?:要|应|于|每|按|负责|须|必须)", clause)
    return (match.group(1) if match else clause).strip()


def _report_to(sentence: str) -> str | None:
    found = _REPORT_TO.findall(sentence)
    return found[-1] if found else None


def _window_reports(sentence: str, stated_in: str | None) -> list[ObligationDuty]:
    window = _WORKDAYS.search(sentence)
    if not window or "报" not in sentence[window.end() :]:
        return []
    quarterly = "季度" in sentence or "每季" in sentence
    annual = "年度" in sentence
    if not quarterly and not annual:
        return []
    due = int(window.group(1))
    subject = _subject(sentence, window.start())
    audience = {"description": subject, "scope": "all_assignments", "due_stated": True}
    report_to = _report_to(sentence[window.end() :])
    source = sentence.strip()
    duties: list[ObligationDuty] = []
    # January of the next year carries the annual report, which stands for Q4 as well.
    january_is_annual = quarterly and annual and "次年1月" in sentence
    if quarterly:
        duties.append(
            ObligationDuty(
                slug="implementation-report-quarterly",
                description="季度实施情况报告" + (f"：报{report_to}" if report_to else ""),
                cadence=Cadence.QUARTERLY,
                due_workday=due,
                period_indices=(1, 2, 3) if january_is_annual else None,
                audience=audience,
                report_to=report_to,
                source=source,
                stated_in=stated_in,
            )
        )
    if annual:
        duties.append(
            ObligationDuty(
                slug="implementation-report-annual",
                description="年度实施情况报告"
                + ("（含第四季度）" if january_is_annual else "")
                + (f"：报{report_to}" if report_to else ""),
                cadence=Cadence.ANNUAL,
                due_workday=due,
                audience=audience,
                report_to=report_to,
                source=source,
                stated_in=stated_in,
            )
        )
    return duties


def _monthly_summaries(
    sentence: str, stated_in: str | None, registry: UnitRegistry
) -> list[ObligationDuty]:
    cue = re.search(r"(?:按月|每月)(汇总|报送|上报|报告)([^，。；]*)", sentence)
    if not cue or "报" not in sentence[cue.start() :]:
        return []
    subject = _subject_before(sentence, cue.start())
    audience: dict = {"description": subject, "due_stated": bool(_WORKDAYS.search(sentence))}
    units = _units_meant(subject, registry)
    if units:
        audience["units"] = units
    if subject.startswith("各级"):
        audience["leagues_and_cities"] = True  # 各级: the league/city counterparts too
    window = _WORKDAYS.search(sentence)
    report_to = _report_to(sentence[cue.start() :])
    return [
        ObligationDuty(
            slug="monthly-" + ("summary" if cue.group(1) == "汇总" else "report"),
            description=(cue.group() + "").strip(),
            cadence=Cadence.MONTHLY,
            due_workday=int(window.group(1)) if window else DEFAULT_DUE_WORKDAY,
            audience=audience,
            report_to=report_to,
            source=sentence.strip(),
            stated_in=stated_in,
        )
    ]


def _units_meant(subject: str, registry: UnitRegistry) -> list[str]:
    """``各级人力资源社会保障部门`` → the registry's 人力资源社会保障厅, if it knows one."""
    bare = re.sub(r"^(?:各级|各|自治区|省)", "", subject)
    for candidate in (bare, re.sub(r"部门$", "厅", bare), re.sub(r"部门$", "局", bare)):
        unit = registry.resolve(candidate)
        if unit is not None and unit.kind != "group":
            return [unit.name]
    return []


def _office_cycles(sentence: str, stated_in: str | None) -> list[ObligationDuty]:
    duties: list[ObligationDuty] = []
    runner = None
    runs = re.search(r"([^，。；]*?(?:领导小组|办公室))(?:负责)", sentence)
    if runs:
        runner = runs.group(1)
        if not runner.endswith("办公室"):
            runner += "办公室"
    for word, cadence, slug, description in _CYCLES:
        if word not in sentence:
            continue
        duties.append(
            ObligationDuty(
                slug=slug,
                description=description,
                cadence=cadence,
                due_workday=DEFAULT_DUE_WORKDAY,
                audience={
                    "description": "各地区各部门",
                    "scope": "all_assignments",
                    "due_stated": False,
                },
                report_to=runner,
                source=sentence.strip(),
                stated_in=stated_in,
            )
        )
    return duties


def _requirements(sentence: str, stated_in: str | None) -> list[Requirement]:
    found: list[Requirement] = []
    if "责任清单" in sentence:
        at = sentence.find("责任清单")
        found.append(
            Requirement(
                slug="responsibility-list",
                description="建立责任清单：每个单位列明承担的任务和角色",
                audience={"description": _subject_before(sentence, at), "scope": "each_unit"},
                source=sentence.strip(),
                stated_in=stated_in,
            )
        )
    if "联络员" in sentence:
        count = re.search(r"(\d+)名[^，。；]*联络员", sentence)
        found.append(
            Requirement(
                slug="liaison",
                description=f"每个单位指派{count.group(1) if count else 1}名联络员，"
                "负责日常协调联络",
                audience={
                    "description": _subject_before(sentence, sentence.find("联络员")),
                    "scope": "each_unit",
                },
                source=sentence.strip(),
                stated_in=stated_in,
            )
        )
    return found


def _subject_before(sentence: str, position: int) -> str:
    """The nearest ``X要`` subject before ``position`` (``各部门要…建立…责任清单``)."""
    subjects = list(re.finditer(r"(?:^|[，。；])([^，。；]{1,12}?)要", sentence[:position]))
    return subjects[-1].group(1) if subjects else ""
