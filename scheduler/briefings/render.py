"""Rendering briefings: the Jinja2 templates, the charts' geometry, the PDF (WeasyPrint,
through a fetcher that serves only the bundled templates) and the files written.

What a briefing says is :mod:`scheduler.briefings.evaluate`'s; this module only lays it
out. Rendering the same context gives the same bytes (see docs/lessons.md, "WeasyPrint").
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import tempfile
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from ledger.acts import Act
from ledger.application import Ledger, Receipt
from ledger.calendar import WorkingDayCalendar
from ledger.errors import ConflictError, InvalidInput
from ledger.periods import Period
from projections.db import ReadStore
from projections.evaluation import TargetProgress
from projections.projector import Projector
from projections.rules import rules_at
from projections.snapshot import open_snapshot
from projections.views import View, knowledge_position
from scheduler.briefings.evaluate import (
    DEFAULT_CONFIG,
    BriefingConfig,
    briefing_context,
    check,
)
from scheduler.briefings.formatting import (
    CHASE_NAMES,
    LIGHT_NAMES,
    ROLE_NAMES,
    STATUS_NAMES,
    clip,
    cn_date,
    percent,
    quantity,
    signed,
)
from scheduler.folders import briefings_dir

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
BRIEFING_TEMPLATES = TEMPLATES / "briefings"


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
    parsed = check(kind, period)
    day = as_of or parsed.end
    if position is None:
        Projector(ledger, store, calendar).catch_up()
        position = knowledge_position(store, day)
    # a briefing's figures read tables that keep no history (projections.briefing_data):
    # past a later real event, it is rendered from a replay
    with open_snapshot(ledger, store, calendar, as_of=day, position=position) as view:
        # judged by the rules recorded as of the briefing's date and position, unless
        # the caller gave its own
        in_force = rules_at(view.store, view.position, view.as_of)
        calendar = in_force.calendar(view.store, calendar)
        if config is DEFAULT_CONFIG:
            config = replace(config, thresholds=in_force.thresholds, weights=in_force.weights)
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



def _context(
    view: View, calendar: WorkingDayCalendar, kind: str, period: Period, config: BriefingConfig
) -> dict[str, Any]:
    """The template's context: what the briefing says, and its charts."""
    context = briefing_context(view, calendar, kind, period, config)
    context["charts"] = charts(context["targets"], context["plans"])
    return context


_COLORS = {"green": "#2e7d32", "yellow": "#e0a100", "red": "#c62828", "none": "#9e9e9e"}


def charts(targets: list[TargetProgress], plans: list[dict]) -> list[dict[str, Any]]:
    """Bar charts of target progress, one per plan, as geometry for inline SVG."""
    width, label_w, bar_w, row_h, top = 650, 220, 250, 24, 26
    result = []
    for plan in plans:
        rows = [t for t in targets if t.plan_id == plan["plan_id"]]
        if not rows:
            continue
        bars = []
        for i, target in enumerate(rows):
            done = target.percent
            shown = 0.0 if done is None else max(0.0, min(done, 100.0))
            label, cut = clip(f"{target.task_number} {target.indicator}", 17)
            light = target.light if target.actual is not None else "none"
            bars.append(
                {
                    "y": top + i * row_h,
                    "label": label + ("…" if cut else ""),
                    "width": round(bar_w * shown / 100, 1),
                    "expected_x": round(label_w + bar_w * target.expected_percent / 100, 1),
                    "color": _COLORS[light],
                    "value": "无数据" if target.actual is None else f"{done:.1f}%",
                    "actual": quantity(target.actual, target.measure),
                    "expected": f"{target.expected_percent:.0f}%",
                    "goal": ("≤" if target.comparator == "<=" else "")
                    + quantity(target.target, target.measure),
                }
            )
        result.append(
            {
                "plan": plan["short"],
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
    return result
