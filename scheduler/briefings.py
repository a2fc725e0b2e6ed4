"""Briefings (简报): the monthly dispatch, quarterly analysis, half-year summary and annual
evaluation, rendered to PDF from the projections and recorded in the ledger.

Rendering happens here, in the scheduler's cycles or the CLI, never in an HTTP request
thread: a briefing of a dozen pages takes about a second of CPU.

Two times pin a briefing, as they pin every report: the business date it is evaluated
*as of* (default: the last day of the period) and the ledger *position* it reflects
(default: what is known as of that day, :func:`projections.views.knowledge_position`:
the last real event dated on or before it, leaving out bookkeeping such as issued
briefings, cycle runs, the daily tick's marker and deliveries). Both are printed on
every page, and the PDF carries no other time: its creation and modification dates are
the as-of date, its file identifier is derived from the rendered HTML, so rendering the
same briefing twice gives the same bytes (see docs/lessons.md, "WeasyPrint"). Issuing
it again with nothing new since is the same briefing: same bytes, nothing recorded.

Definitions (where the plans are silent, these are ours; all configurable through
:class:`BriefingConfig`):

* **Reports due in a period**: obligation instances whose due date falls inside the
  period, evaluated at the period's *close* (its last day, or the as-of date if
  earlier): made (first report on or before the close), on time, late, or overdue at
  the close. The same rule for this period and the previous one, so the comparison is
  like for like; a report made after the close does not change a closed period.
* **On-time rate** = reports made on time / reports due.
* **Task board** (红黄绿灯): a task is red when one of its targets is red
  (:func:`projections.queries.target_progress`, pure progress against elapsed time,
  :class:`~projections.queries.Thresholds`) or when at least ``red_share`` (default
  30%) of its units have an overdue report as of the as-of date; yellow when a target
  is yellow or any unit is overdue; green otherwise.
* **Annual score** of a unit (0-100)::

      score = 100 × (w_on_time × on_time_rate
                     + w_targets × target_completion
                     + w_escalations × (1 − penalty)) / (sum of the weights used)

  with the defaults ``w_on_time = 50``, ``w_targets = 30``, ``w_escalations = 20``;
  ``on_time_rate`` over the reports due in the year; ``target_completion`` the mean of
  min(percent done, 100%) over the quantitative targets of the tasks the unit *leads*
  (the lead unit answers for the target); ``penalty = min(1, 0.25 × escalations +
  0.05 × urges)`` received in the year. A term that does not apply (no report due, no
  target led) is left out and its weight with it, so a unit is never scored on what it
  was not asked to do. Commended: score ≥ 85 with no escalation and nothing overdue at
  the close. Called out: score < 60, or any escalation in the year.

Safety: every value is escaped by Jinja2 (autoescape on) and WeasyPrint fetches only
through :class:`TemplateOnlyFetcher`: files inside ``templates/`` and ``data:`` URLs,
nothing else (no http, https or file outside the templates), so nothing a unit writes can
make the renderer touch the network or the file system.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import os
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from ledger.acts import Act
from ledger.application import Ledger, Receipt
from ledger.briefing import BRIEFING_KINDS
from ledger.calendar import WorkingDayCalendar
from ledger.errors import ConflictError, InvalidInput
from ledger.obligations import evaluate_obligation
from ledger.periods import Period
from projections import queries
from projections.db import ReadStore
from projections.projector import Projector
from projections.queries import DEFAULT_THRESHOLDS, Thresholds
from projections.views import View, knowledge_position, open_view
from scheduler.folders import briefings_dir

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
BRIEFING_TEMPLATES = TEMPLATES / "briefings"

PERIOD_KIND = {"monthly": "month", "quarterly": "quarter", "half-year": "half", "annual": "year"}
TITLES = {
    "monthly": "月调度简报",
    "quarterly": "季度分析报告",
    "half-year": "半年工作总结",
    "annual": "年度评估报告",
}
_PERIODS_PER_YEAR = {"month": 12, "quarter": 4, "half": 2, "year": 1}
_CN_DIGITS = "〇一二三四五六七八九"
LIGHT_NAMES = {"red": "红灯", "yellow": "黄灯", "green": "绿灯", "none": "无数据"}
CHASE_NAMES = {"reminder": "提醒", "urge": "催办", "escalation": "上报监督平台"}
ROLE_NAMES = {"lead": "牵头", "co": "协办"}
STATUS_NAMES = {
    "not_started": "未启动",
    "in_progress": "推进中",
    "completed": "已办结",
    "withdrawn": "已撤回",
}


@dataclass(frozen=True)
class ScoreWeights:
    """The annual evaluation's formula (see the module docstring)."""

    on_time: float = 50.0
    targets: float = 30.0
    escalations: float = 20.0
    escalation_cost: float = 0.25  # share of the escalation term each escalation costs
    urge_cost: float = 0.05
    commend_at: float = 85.0
    call_out_below: float = 60.0


@dataclass(frozen=True)
class BriefingConfig:
    thresholds: Thresholds = DEFAULT_THRESHOLDS
    red_share: float = 0.3  # share of a task's units overdue that turns its light red
    weights: ScoreWeights = field(default_factory=ScoreWeights)
    highlights: int = 10  # progress highlights quoted
    quote_chars: int = 240  # a quoted narrative is cut after this many characters
    chase_rows: int = 40  # units listed with their reminders/urges/escalations
    tasks_listed: int = 8  # task numbers listed per unit and plan (the rest are counted)


DEFAULT_CONFIG = BriefingConfig()


@dataclass(frozen=True)
class RenderedBriefing:
    kind: str
    period: str
    as_of: date
    position: int
    pdf: bytes
    html: str
    text_sha256: str  # of the rendered HTML: the text the PDF was made from
    sha256: str  # of the PDF bytes: what the ledger records
    pages: int
    warnings: tuple[str, ...]
    refused_urls: tuple[str, ...]  # what the fetcher refused (should be empty)

    @property
    def filename(self) -> str:
        """Unique per (kind, period, as-of, position), the briefing's identity."""
        return f"briefing-{self.kind}-{self.period}-{self.as_of}-p{self.position}.pdf"


# ---- the URL fetcher -------------------------------------------------------------------
def _fetcher_base() -> type:
    from weasyprint.urls import URLFetcher

    return URLFetcher


class TemplateOnlyFetcher(_fetcher_base()):  # type: ignore[misc]
    """Fetch files inside ``templates/`` and ``data:`` URLs; refuse and record the rest.

    WeasyPrint 70's fetchers subclass ``URLFetcher`` and override ``fetch``; an
    exception here becomes a warning and the resource is skipped.
    """

    def __init__(self, root: Path = TEMPLATES) -> None:
        super().__init__(timeout=1, allowed_protocols=("file", "data"), allow_redirects=False)
        self.root = root.resolve()
        self.refused: list[str] = []
        self.served: list[str] = []

    def fetch(self, url: str, headers: dict | None = None) -> Any:
        from weasyprint.urls import URLFetcherResponse

        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "data":
            self.served.append(url[:40])
            return super().fetch(url, headers)  # decoded in memory by urllib's DataHandler
        if scheme == "file" and parts.netloc in ("", "localhost"):
            path = Path(url2pathname(unquote(parts.path))).resolve()
            if path.is_relative_to(self.root) and path.is_file():
                self.served.append(str(path.relative_to(self.root)))
                mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(
                    path.as_uri(), path.read_bytes(), {"Content-Type": mime}
                )
        self.refused.append(url)
        raise ValueError(f"briefings fetch only bundled templates and data: URLs, not {url}")


# ---- rendering --------------------------------------------------------------------------
def render_briefing(
    ledger: Ledger,
    store: ReadStore,
    calendar: WorkingDayCalendar,
    kind: str,
    period: str | Period,
    *,
    as_of: date | None = None,
    position: int | None = None,
    config: BriefingConfig = DEFAULT_CONFIG,
) -> RenderedBriefing:
    """Render one briefing as of a business date and a ledger position; write nothing."""
    parsed = _check(kind, period)
    day = as_of or parsed.end
    if position is None:
        Projector(ledger, store, calendar).catch_up()
        position = knowledge_position(store, day)
    # a briefing reads no bookkeeping table: markers after its position need no snapshot
    with open_view(ledger, store, calendar, as_of=day, position=position,
                   bookkeeping_matters=False) as view:
        context = _context(view, calendar, kind, parsed, config)
    html = _environment().get_template(f"{kind}.html").render(**context)
    pdf, pages, refused = html_to_pdf(html, title=context["title"], as_of=day)
    return RenderedBriefing(
        kind=kind,
        period=str(parsed),
        as_of=day,
        position=context["position"],
        pdf=pdf,
        html=html,
        text_sha256=hashlib.sha256(html.encode()).hexdigest(),
        sha256=hashlib.sha256(pdf).hexdigest(),
        pages=pages,
        warnings=tuple(context["warnings"]),
        refused_urls=tuple(refused),
    )


def issue_briefing(
    ledger: Ledger,
    store: ReadStore,
    calendar: WorkingDayCalendar,
    kind: str,
    period: str | Period,
    *,
    out: Path | None = None,
    folder: Path | None = None,
    as_of: date | None = None,
    position: int | None = None,
    act: Act | None = None,
    record: bool = True,
    config: BriefingConfig = DEFAULT_CONFIG,
) -> tuple[RenderedBriefing, Path, Receipt | None]:
    """Render, write the file (atomically), and record ``BriefingIssued`` in the ledger.

    An issued briefing is written into ``folder`` (default the briefings folder,
    :func:`scheduler.folders.briefings_dir`) under its own name, where the API serves
    it; ``out`` gets a copy. Unrecorded (``record=False``) it is written to ``out``
    only. The event is recorded once the files are complete on disk; the same briefing
    (kind, period, as-of date, position) issued again writes the same bytes and records
    nothing. Returns the briefing, the file written into the folder (``out`` when not
    recorded) and the receipt.
    """
    copy = Path(out) if out is not None else None
    if not record and copy is None:
        raise InvalidInput("an unrecorded briefing needs a file to write to", field="out")
    briefing = render_briefing(
        ledger, store, calendar, kind, period, as_of=as_of, position=position, config=config
    )
    if copy is not None and not record:
        _write_atomically(copy, briefing.pdf)
        return briefing, copy, None
    act = act or Act.by(ledger.clock, "briefings", "system")
    issued = ledger.issued_briefing(
        kind=briefing.kind, period=briefing.period, as_of=briefing.as_of,
        position=briefing.position, simulated=act.simulated,
    )
    if issued is not None and issued.sha256 != briefing.sha256:
        # never overwrite the file the ledger vouches for with other bytes
        raise ConflictError(
            f"the {kind} briefing {briefing.period} as of {briefing.as_of} at ledger position "
            f"{briefing.position} was issued with SHA-256 {issued.sha256}; rendering it "
            f"now gives {briefing.sha256} (templates or fonts changed?)"
        )
    target = Path(folder) if folder is not None else briefings_dir()
    target = target / (Path(issued.filename).name if issued is not None else briefing.filename)
    _write_atomically(target, briefing.pdf)
    if copy is not None:
        _write_atomically(copy, briefing.pdf)
    receipt = ledger.record_briefing(
        act,
        kind=briefing.kind,
        period=briefing.period,
        as_of=briefing.as_of,
        position=briefing.position,
        sha256=briefing.sha256,
        pages=briefing.pages,
        filename=target.name,
    )
    return briefing, target, receipt


def _write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".briefing-", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def html_to_pdf(html: str, *, title: str, as_of: date) -> tuple[bytes, int, list[str]]:
    """The PDF of an HTML page with fixed metadata: (bytes, pages, refused URLs).

    Creation and modification dates come from the page's ``dcterms`` meta tags (the
    as-of date); the file identifier is the SHA-256 of the HTML, so the same text gives
    the same bytes.
    """
    from weasyprint import HTML

    fetcher = TemplateOnlyFetcher()
    document = HTML(
        string=html, base_url=BRIEFING_TEMPLATES.as_uri() + "/", url_fetcher=fetcher
    ).render()
    identifier = hashlib.sha256(html.encode()).hexdigest()[:32].encode()
    pdf = document.write_pdf(pdf_identifier=identifier)
    return pdf, len(document.pages), fetcher.refused


def _check(kind: str, period: str | Period) -> Period:
    if kind not in BRIEFING_KINDS:
        raise InvalidInput(
            f"briefing kind must be one of {', '.join(BRIEFING_KINDS)}, not {kind!r}",
            field="kind",
        )
    parsed = period if isinstance(period, Period) else Period.parse(period)
    if parsed.kind != PERIOD_KIND[kind]:
        example = {"month": "2026-06", "quarter": "2026-Q2", "half": "2026-H1", "year": "2026"}
        raise InvalidInput(
            f"a {kind} briefing needs a {PERIOD_KIND[kind]} period such as "
            f"{example[PERIOD_KIND[kind]]}, not {parsed}",
            field="period",
        )
    return parsed


_ENV: Any = None


def _environment() -> Any:
    global _ENV
    if _ENV is None:
        from jinja2 import Environment, FileSystemLoader, StrictUndefined

        env = Environment(
            loader=FileSystemLoader(BRIEFING_TEMPLATES),
            autoescape=True,  # every value is user text until proven otherwise
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters.update(
            qty=quantity,
            pct=percent,
            cn_date=cn_date,
            light_name=LIGHT_NAMES.get,
            chase_name=CHASE_NAMES.get,
            role_name=ROLE_NAMES.get,
            status_name=lambda s: STATUS_NAMES.get(s, s),
            signed=signed,
        )
        _ENV = env
    return _ENV


# ---- formatting ----------------------------------------------------------------------------
def quantity(value: float | int | None, measure: str | None = None) -> str:
    """Figures as a Chinese office writes them: 15万个, 200亿元, 5.7%."""
    if value is None:
        return "—"
    unit = measure or ""
    number = float(value)
    for size, name in ((1e8, "亿"), (1e4, "万")):
        if abs(number) >= size and unit != "%":
            return f"{_trim(number / size)}{name}{unit}"
    return f"{_trim(number)}{unit}"


def _trim(number: float) -> str:
    text = f"{number:.2f}".rstrip("0").rstrip(".")
    return text if text != "-0" else "0"


def percent(value: float | None, digits: int = 1) -> str:
    """A rate in 0..1 as a percentage; None (nothing due) as a dash."""
    return "—" if value is None else f"{100 * value:.{digits}f}%"


def signed(value: float | int | None, digits: int = 1, scale: float = 1.0) -> str:
    if value is None:
        return "—"
    number = value * scale
    text = f"{number:+.{digits}f}" if digits else f"{round(number):+d}"
    return "±0" if float(text) == 0 else text


def cn_date(day: date | str) -> str:
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{day.year}年{day.month}月{day.day}日"


def cn_period(period: Period) -> str:
    if period.kind == "month":
        return f"{period.year}年{period.index}月"
    if period.kind == "quarter":
        return f"{period.year}年第{_CN_DIGITS[period.index]}季度"
    if period.kind == "half":
        return f"{period.year}年{'上' if period.index == 1 else '下'}半年"
    return f"{period.year}年"


def previous(period: Period) -> Period:
    if period.index > 1:
        return Period(period.year, period.kind, period.index - 1)
    return Period(period.year - 1, period.kind, _PERIODS_PER_YEAR[period.kind])


def short_plan(title: str) -> str:
    """《内蒙古自治区稳岗扩容提质工程实施方案》→ 稳岗扩容提质工程 (for tables)."""
    short = title.removeprefix("内蒙古自治区").removesuffix("实施方案")
    return short or title


def clip(text: str, limit: int) -> tuple[str, bool]:
    text = " ".join(text.split())
    return (text, False) if len(text) <= limit else (text[:limit], True)


# ---- the data: everything from the projections --------------------------------------------
def _context(
    view: View, calendar: WorkingDayCalendar, kind: str, period: Period, config: BriefingConfig
) -> dict[str, Any]:
    store = view.store
    close = min(period.end, view.as_of)
    prior = previous(period)
    plans = store.query(
        "SELECT plan_id, title, doc_number, issued_on FROM {s}rm_plans ORDER BY issued_on, title"
    )
    plan_short = {p["plan_id"]: short_plan(p["title"]) for p in plans}
    plan_order = {p["plan_id"]: i for i, p in enumerate(plans)}
    tasks = _tasks(store, plan_short, plan_order)
    obligations = queries.obligations(view, calendar)
    overdue_rows = [r for r in obligations if r["status"] == "overdue"]
    targets = queries.target_progress(view, config.thresholds)  # pure progress lights
    this = _period_figures(store, obligations, period, close, calendar)
    last = _period_figures(store, obligations, prior, min(prior.end, view.as_of), calendar)
    years = {period.start.year, period.end.year, view.as_of.year}
    if period.end.month == 12:
        years.add(period.end.year + 1)  # the year's last reports fall due in January
    units = store.query(
        "SELECT DISTINCT a.unit_id, a.unit_name FROM {s}rm_assignments a "
        "WHERE a.status <> 'withdrawn' ORDER BY a.unit_name"
    )
    context: dict[str, Any] = {
        "kind": kind,
        "title": TITLES[kind],
        "period": str(period),
        "period_cn": cn_period(period),
        "previous_cn": cn_period(prior),
        "as_of": view.as_of,
        "as_of_iso": view.as_of.isoformat(),
        "position": view.position,
        "snapshot": view.snapshot,
        "plans": [
            {"title": p["title"], "short": plan_short[p["plan_id"]], "doc": p["doc_number"]}
            for p in plans
        ],
        "plan_line": "、".join(f"《{p['title']}》" for p in plans),
        "warnings": calendar.warnings_for(years),
        "figures": {
            "plans": len(plans),
            "tasks": len(tasks),
            "units": len(units),
            "assignments": sum(t["units"] for t in tasks),
            "overdue_reports": len(overdue_rows),
            "overdue_units": len({r["unit_id"] for r in overdue_rows}),
            "targets": len(targets),
        },
        "this": this,
        "last": last,
        "comparison": _comparison(this, last),
        "board": _board(tasks, targets, overdue_rows, config),
        "overdue_units": _overdue_units(overdue_rows, plan_short, plan_order, config),
        "chases": _chases(store, period, close, plan_short, config),
        "highlights": _highlights(store, period, close, plan_short, config),
        "charts": _charts(targets, plans, plan_short),
        "targets": targets,
    }
    context["board_counts"] = Counter(t["light"] for t in context["board"])
    if kind == "monthly":
        context["ranking"] = _ranking(queries.scorecard(view, calendar))
        kinds = {u["name"]: u["kind"] for u in store.query("SELECT name, kind FROM {s}rm_units")}
        context["annex"] = _annex(queries.responsibilities(view), plan_short, plan_order, kinds)
    else:
        context["unit_periods"] = _unit_comparison(this, last, units)
    if kind == "annual":
        scores = _scores(this, targets, tasks, units, config.weights)
        context["scores"] = scores
        context["weights"] = config.weights
        context["commended"] = [s for s in scores if s["verdict"] == "commend"]
        context["called_out"] = [s for s in scores if s["verdict"] == "call_out"]
    return context


def _tasks(store: ReadStore, plan_short: dict, plan_order: dict) -> list[dict[str, Any]]:
    rows = store.query(
        "SELECT t.task_id, t.plan_id, t.number, t.ordinal, t.title, t.targets FROM {s}rm_tasks t"
    )
    staff = store.query(
        "SELECT task_id, unit_id, unit_name, role FROM {s}rm_assignments "
        "WHERE status <> 'withdrawn' ORDER BY unit_name"
    )
    by_task: dict[str, list[dict]] = defaultdict(list)
    for row in staff:
        by_task[row["task_id"]].append(row)
    tasks = []
    for row in rows:
        people = by_task.get(row["task_id"], [])
        leads = [p["unit_name"] for p in people if p["role"] == "lead"]
        tasks.append(
            {
                "plan_id": row["plan_id"],
                "plan": plan_short[row["plan_id"]],
                "number": row["number"],
                "ordinal": row["ordinal"],
                "title": row["title"],
                "lead": "、".join(leads) or "—",
                "lead_ids": [p["unit_id"] for p in people if p["role"] == "lead"],
                "unit_ids": {p["unit_id"] for p in people},
                "units": len(people),
                "target_count": len(json.loads(row["targets"])),
            }
        )
    tasks.sort(key=lambda t: (plan_order[t["plan_id"]], t["ordinal"]))
    return tasks


def _period_figures(
    store: ReadStore,
    obligations: list[dict],
    period: Period,
    close: date,
    calendar: WorkingDayCalendar,
) -> dict[str, Any]:
    """Reports due in the period, evaluated at its close; chases and reports received."""
    start, end = period.start.isoformat(), period.end.isoformat()
    totals: Counter[str] = Counter()
    per_unit: dict[str, Counter[str]] = defaultdict(Counter)
    names: dict[str, str] = {}
    for row in obligations:
        if not start <= row["due_on"] <= end:
            continue
        submitted = _day(row["first_report_on"])
        status = evaluate_obligation(
            date.fromisoformat(row["due_on"]),
            close,
            calendar,
            submitted_on=submitted,
            extended_to=_day(row["extended_to"]),
        ).status
        if status in ("open", "extended", "waived"):
            continue  # not owed yet at the close
        names[row["unit_id"]] = row["unit_name"]
        for counter in (totals, per_unit[row["unit_id"]]):
            counter["due"] += 1
            if status == "submitted_on_time":
                counter["made"] += 1
                counter["on_time"] += 1
            elif status == "submitted_late":
                counter["made"] += 1
                counter["late"] += 1
            else:
                counter["overdue"] += 1
    upto = close.isoformat()
    for row in store.query(
        "SELECT unit_id, kind, COUNT(*) AS n FROM {s}rm_chases "
        "WHERE business_date >= ? AND business_date <= ? GROUP BY unit_id, kind",
        [start, upto],
    ):
        totals[row["kind"]] += row["n"]
        per_unit[row["unit_id"]][row["kind"]] += row["n"]
    totals["received"] = store.scalar(
        "SELECT COUNT(*) AS n FROM {s}rm_reports WHERE business_date >= ? AND business_date <= ?",
        [start, upto],
    ) or 0
    return {
        "period_cn": cn_period(period),
        "close": close,
        "totals": totals,  # a Counter: a figure nothing happened to reads 0
        "rate": _rate(totals),
        "per_unit": {u: dict(c) | {"rate": _rate(c)} for u, c in per_unit.items()},
        "names": names,
    }


def _rate(counter: Counter[str] | dict[str, int]) -> float | None:
    due = counter.get("due", 0)
    return counter.get("on_time", 0) / due if due else None


def _comparison(this: dict, last: dict) -> list[dict[str, Any]]:
    rows = []
    for key, label in (
        ("due", "应报送报告（份）"),
        ("made", "已报送（份）"),
        ("on_time", "按时报送（份）"),
        ("late", "逾期后补报（份）"),
        ("overdue", "期末仍未报送（份）"),
        ("received", "收到进展报告（份）"),
        ("reminder", "提醒（次）"),
        ("urge", "催办（次）"),
        ("escalation", "上报监督平台（次）"),
    ):
        now, before = this["totals"].get(key, 0), last["totals"].get(key, 0)
        rows.append({"label": label, "now": now, "before": before, "change": now - before})
    now_rate, before_rate = this["rate"], last["rate"]
    rows.insert(
        3,
        {
            "label": "按时报送率",
            "now": percent(now_rate),
            "before": percent(before_rate),
            "change": None
            if now_rate is None or before_rate is None
            else signed(100 * (now_rate - before_rate)) + "个百分点",
        },
    )
    return rows


def _board(
    tasks: list[dict], targets: list[dict], overdue_rows: list[dict], config: BriefingConfig
) -> list[dict[str, Any]]:
    target_lights: dict[tuple[str, str], list[str]] = defaultdict(list)
    plan_by_title: dict[str, str] = {}
    for task in tasks:
        plan_by_title.setdefault(task["plan"], task["plan_id"])
    for target in targets:
        key = (plan_by_title.get(short_plan(target["plan_title"]), ""), target["task_number"])
        target_lights[key].append(target["light"])
    late_units: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in overdue_rows:
        late_units[(row["plan_id"], row["task_number"])].add(row["unit_id"])
    board = []
    for task in tasks:
        key = (task["plan_id"], task["number"])
        lights = target_lights.get(key, [])
        late = len(late_units.get(key, set()) & task["unit_ids"])
        share = late / task["units"] if task["units"] else 0.0
        if "red" in lights or (late and share >= config.red_share):
            light = "red"
        elif "yellow" in lights or late:
            light = "yellow"
        else:
            light = "green"
        board.append(
            {
                "plan": task["plan"],
                "number": task["number"],
                "title": task["title"],
                "lead": task["lead"],
                "units": task["units"],
                "late_units": late,
                "targets": len(lights),
                "target_lights": Counter(lights),
                "light": light,
            }
        )
    return board


def _overdue_units(
    rows: list[dict], plan_short: dict, plan_order: dict, config: BriefingConfig
) -> list[dict[str, Any]]:
    by_unit: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_unit[row["unit_id"]].append(row)
    result = []
    for items in by_unit.values():
        tasks: dict[str, list[str]] = defaultdict(list)
        for item in sorted(items, key=lambda r: (plan_order[r["plan_id"]], r["task_number"])):
            numbers = tasks[item["plan_id"]]
            if item["task_number"] not in numbers:
                numbers.append(item["task_number"])
        listed = [
            {"plan": plan_short[plan_id], "tasks": _listing(_task_sort(tasks[plan_id]),
                                                             config.tasks_listed)}
            for plan_id in sorted(tasks, key=plan_order.get)
        ]
        worst = max(items, key=lambda r: (r["working_days_late"], r["due_on"]))
        result.append(
            {
                "unit": items[0]["unit_name"],
                "count": len(items),
                "max_days": worst["working_days_late"],
                "earliest_period": min(items, key=lambda r: r["due_on"])["period"],
                "earliest_due": min(r["effective_due_on"] for r in items),
                "tasks": listed,
            }
        )
    result.sort(key=lambda u: (-u["max_days"], -u["count"], u["unit"]))
    return result


def _task_sort(numbers: Iterable[str]) -> list[str]:
    """Task numbers in plan order: 1, 2, …, 10 (not 1, 10, 2) and （一）…（十七）."""
    def key(number: str) -> tuple[int, str]:
        digits = "".join(ch for ch in number if ch.isdigit())
        if digits:
            return int(digits), number
        return _chinese_number(number.strip("（）()")), number

    return sorted(numbers, key=key)


def _chinese_number(text: str) -> int:
    values = {ch: i for i, ch in enumerate("零一二三四五六七八九")}
    total, current = 0, 0
    for ch in text:
        if ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch in values:
            current = values[ch]
        else:
            return 999
    return total + current


def _chases(
    store: ReadStore, period: Period, close: date, plan_short: dict, config: BriefingConfig
) -> dict[str, Any]:
    """Reminders, urges and escalations issued in the period, grouped by unit.

    The events are per assignment (one per task and report owed); the office reads them
    per unit, as the reminders themselves are sent.
    """
    rows = store.query(
        "SELECT c.kind, c.obligation, c.period, c.due_on, c.business_date, c.reason, c.state, "
        "a.unit_name, a.task_number, a.plan_id FROM {s}rm_chases c "
        "JOIN {s}rm_assignments a ON a.assignment_id = c.assignment_id "
        "WHERE c.business_date >= ? AND c.business_date <= ? "
        "ORDER BY c.business_date, c.position",
        [period.start.isoformat(), close.isoformat()],
    )
    counts = Counter(r["kind"] for r in rows)
    units = Counter({k: len({r["unit_name"] for r in rows if r["kind"] == k}) for k in counts})
    by_unit: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_unit[row["unit_name"]].append(row)
    listed = []
    for unit, items in by_unit.items():
        kinds = Counter(r["kind"] for r in items)
        tasks: dict[str, list[str]] = defaultdict(list)
        for item in items:
            if item["task_number"] not in tasks[item["plan_id"]]:
                tasks[item["plan_id"]].append(item["task_number"])
        numbers = "；".join(
            f"{plan_short[plan_id]} " + _listing(_task_sort(found), config.tasks_listed)
            for plan_id, found in tasks.items()
        )
        listed.append(
            {
                "unit": unit,
                "reminder": kinds["reminder"],
                "urge": kinds["urge"],
                "escalation": kinds["escalation"],
                "first": min(r["business_date"] for r in items),
                "last": max(r["business_date"] for r in items),
                "periods": "、".join(sorted({r["period"] for r in items})),
                "tasks": numbers,
            }
        )
    listed.sort(key=lambda u: (-u["escalation"], -u["urge"], -u["reminder"], u["unit"]))
    return {
        "counts": counts,
        "units": units,
        "rows": listed[: config.chase_rows],
        "more": max(0, len(listed) - config.chase_rows),
        "total": len(rows),
    }


def _listing(numbers: list[str], limit: int) -> str:
    more = len(numbers) > limit
    return "、".join(numbers[:limit]) + (f"等{len(numbers)}项" if more else "")


def _highlights(
    store: ReadStore, period: Period, close: date, plan_short: dict, config: BriefingConfig
) -> list[dict[str, Any]]:
    """Progress quoted from the units' own narratives, received in the period.

    Preference: reports with figures, then lead units, then the earliest; one quote per
    unit and task. Narratives are cut, never rewritten, and escaped by the template.
    """
    rows = store.query(
        "SELECT r.narrative, r.metrics, r.period, r.business_date, r.position, r.corrected_by, "
        "a.unit_name, a.task_number, a.role, a.plan_id, t.title AS task_title "
        "FROM {s}rm_reports r JOIN {s}rm_assignments a ON a.assignment_id = r.assignment_id "
        "JOIN {s}rm_tasks t ON t.task_id = r.task_id "
        "WHERE r.business_date >= ? AND r.business_date <= ? ORDER BY r.position",
        [period.start.isoformat(), close.isoformat()],
    )
    for row in rows:
        row["metrics"] = json.loads(row["metrics"])
    rows.sort(key=lambda r: (not r["metrics"], r["role"] != "lead", r["position"]))
    # one quote per unit first (so one busy unit cannot fill the section), then the rest;
    # never two quotes of the same unit on the same task
    units_seen: set[str] = set()
    first, rest = [], []
    for row in rows:
        (rest if row["unit_name"] in units_seen else first).append(row)
        units_seen.add(row["unit_name"])
    seen: set[tuple[str, str, str]] = set()
    quotes = []
    for row in first + rest:
        key = (row["unit_name"], row["plan_id"], row["task_number"])
        if key in seen:
            continue
        seen.add(key)
        text, cut = clip(row["narrative"], config.quote_chars)
        quotes.append(
            {
                "unit": row["unit_name"],
                "plan": plan_short[row["plan_id"]],
                "task": row["task_number"],
                "task_title": row["task_title"],
                "period": row["period"],
                "date": row["business_date"],
                "text": text,
                "cut": cut,
                "corrected": bool(row["corrected_by"]),
                "metrics": [
                    {"name": k, "value": quantity(v)} for k, v in sorted(row["metrics"].items())
                ],
            }
        )
        if len(quotes) >= config.highlights:
            break
    return quotes


_COLORS = {"green": "#2e7d32", "yellow": "#e0a100", "red": "#c62828", "none": "#9e9e9e"}


def _charts(targets: list[dict], plans: list[dict], plan_short: dict) -> list[dict[str, Any]]:
    """Bar charts of target progress, one per plan, as geometry for inline SVG."""
    width, label_w, bar_w, row_h, top = 650, 220, 250, 24, 26
    charts = []
    for plan in plans:
        rows = [t for t in targets if t["plan_title"] == plan["title"]]
        if not rows:
            continue
        bars = []
        for i, target in enumerate(rows):
            done = target["percent"]
            shown = 0.0 if done is None else max(0.0, min(done, 100.0))
            label, cut = clip(f"{target['task_number']} {target['indicator']}", 17)
            light = target["light"] if target["actual"] is not None else "none"
            bars.append(
                {
                    "y": top + i * row_h,
                    "label": label + ("…" if cut else ""),
                    "width": round(bar_w * shown / 100, 1),
                    "expected_x": round(label_w + bar_w * target["expected_percent"] / 100, 1),
                    "color": _COLORS[light],
                    "value": "无数据" if target["actual"] is None else f"{done:.1f}%",
                    "actual": quantity(target["actual"], target["measure"]),
                    "expected": f"{target['expected_percent']:.0f}%",
                    "goal": ("≤" if target["comparator"] == "<=" else "")
                    + quantity(target["target"], target["measure"]),
                }
            )
        charts.append(
            {
                "plan": plan_short[plan["plan_id"]],
                "width": width,
                "height": top + len(rows) * row_h + 24,
                "label_w": label_w,
                "bar_w": bar_w,
                "bars": bars,
                "ticks": [
                    {"x": round(label_w + bar_w * p / 100, 1), "label": f"{p}%"}
                    for p in (0, 25, 50, 75, 100)
                ],
            }
        )
    return charts


def _ranking(cards: list[dict]) -> list[dict[str, Any]]:
    def key(card: dict) -> tuple:
        rate = card["on_time_rate"]
        return (-(rate if rate is not None else -1), card["overdue"], card["average_lateness"])

    ordered = sorted(cards, key=lambda c: (*key(c), c["unit"]))
    ranked, previous_key, rank = [], None, 0
    for i, card in enumerate(ordered, start=1):
        if key(card) != previous_key:
            rank, previous_key = i, key(card)
        ranked.append(card | {"rank": rank})
    return ranked


_KIND_ORDER = {"party_organ": 0, "department": 1, "central_branch": 2, "league_city": 3, "group": 4}


def _annex(
    rows: list[dict], plan_short: dict, plan_order: dict, kinds: dict[str, str]
) -> list[dict[str, Any]]:
    """Each unit's responsibility list, one line per plan: lead tasks, co-tasks, reports.

    Units in the order a plan lists them: Party organs, government departments, central
    branches in the region, then leagues and cities, then vague groups; by name within.
    """
    by_unit: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        by_unit[row["unit_name"]][row["plan_id"]].append(row)
    annex = []
    for unit in sorted(by_unit, key=lambda name: (_KIND_ORDER.get(kinds.get(name, ""), 9), name)):
        lines = []
        for plan_id in sorted(by_unit[unit], key=plan_order.get):
            items = by_unit[unit][plan_id]
            lead = _task_sort(r["task_number"] for r in items if r["role"] == "lead")
            co = _task_sort(r["task_number"] for r in items if r["role"] != "lead")
            statuses = Counter(r["status"] for r in items)
            last = max((r["last_report_on"] or "" for r in items), default="")
            nexts = [r["next_due_on"] for r in items if r["next_due_on"]]
            lines.append(
                {
                    "plan": plan_short[plan_id],
                    "lead": "、".join(lead) or "—",
                    "co": "、".join(co) or "—",
                    "reports": sum(r["reports"] for r in items),
                    "statuses": "，".join(
                        f"{STATUS_NAMES.get(s, s)}{n}" for s, n in sorted(statuses.items())
                    ),
                    "last": last or "—",
                    "next": min(nexts) if nexts else "—",
                }
            )
        annex.append({"unit": unit, "lines": lines})
    return annex


def _unit_comparison(this: dict, last: dict, units: list[dict]) -> list[dict[str, Any]]:
    rows = []
    for unit in units:
        now = this["per_unit"].get(unit["unit_id"], {})
        before = last["per_unit"].get(unit["unit_id"], {})
        if not now.get("due") and not before.get("due"):
            continue
        change = (
            None
            if now.get("rate") is None or before.get("rate") is None
            else now["rate"] - before["rate"]
        )
        rows.append(
            {
                "unit": unit["unit_name"],
                "due": now.get("due", 0),
                "on_time": now.get("on_time", 0),
                "rate": now.get("rate"),
                "before": before.get("rate"),
                "change": change,
                "overdue": now.get("overdue", 0),
                "chased": now.get("urge", 0) + now.get("escalation", 0),
            }
        )
    rows.sort(key=lambda r: (-(-1 if r["rate"] is None else r["rate"]), r["overdue"], r["unit"]))
    return rows


def _scores(
    this: dict, targets: list[dict], tasks: list[dict], units: list[dict], weights: ScoreWeights
) -> list[dict[str, Any]]:
    led: dict[str, list[float]] = defaultdict(list)
    lead_of: dict[tuple[str, str], list[str]] = {
        (t["plan"], t["number"]): t["lead_ids"] for t in tasks
    }
    for target in targets:
        done = target["percent"]
        for unit_id in lead_of.get((short_plan(target["plan_title"]), target["task_number"]), []):
            led[unit_id].append(min(max(done or 0.0, 0.0), 100.0) / 100)
    scores = []
    for unit in units:
        figures = this["per_unit"].get(unit["unit_id"], {})
        terms: list[tuple[float, float]] = []
        rate = figures.get("rate")
        if rate is not None:
            terms.append((weights.on_time, rate))
        completion = sum(led[unit["unit_id"]]) / len(led[unit["unit_id"]]) if led.get(
            unit["unit_id"]
        ) else None
        if completion is not None:
            terms.append((weights.targets, completion))
        escalations, urges = figures.get("escalation", 0), figures.get("urge", 0)
        penalty = min(1.0, weights.escalation_cost * escalations + weights.urge_cost * urges)
        terms.append((weights.escalations, 1 - penalty))
        score = 100 * sum(w * x for w, x in terms) / sum(w for w, _ in terms)
        overdue = figures.get("overdue", 0)
        if score >= weights.commend_at and not escalations and not overdue:
            verdict = "commend"
        elif score < weights.call_out_below or escalations:
            verdict = "call_out"
        else:
            verdict = ""
        scores.append(
            {
                "unit": unit["unit_name"],
                "rate": rate,
                "completion": completion,
                "penalty": penalty,
                "escalations": escalations,
                "urges": urges,
                "due": figures.get("due", 0),
                "overdue": overdue,
                "score": round(score, 1),
                "verdict": verdict,
            }
        )
    scores.sort(key=lambda s: (-s["score"], s["unit"]))
    rank, previous_score = 0, None
    for i, row in enumerate(scores, start=1):
        if row["score"] != previous_score:
            rank, previous_score = i, row["score"]
        row["rank"] = rank
    return scores


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None
