"""Briefings: the monthly dispatch and the periodic analyses, rendered to PDF from a
fixture ledger (both seeds, a few months of reports, some units late, some chased).

Checked with poppler's tools, as a reader would: ``pdftotext`` (headings, task numbers,
overdue units, figures), ``pdffonts`` (embedded CJK fonts), ``pdftoppm`` (page 1 renders);
two renders are byte-identical; hostile narratives are shown as text and fetch nothing.
"""

from __future__ import annotations

import hashlib
import http.server
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import ClassVar
from uuid import UUID

import pytest

from ledger import ids
from ledger.acts import Act
from ledger.application import Ledger, open_ledger
from ledger.briefing import Briefing
from ledger.calendar import ChineseCalendar
from ledger.clock import FixedClock
from ledger.errors import InvalidInput, InvalidPeriod
from ledger.periods import Period
from ledger.store import parse_database_url
from projections import lookup, queries
from projections.db import ReadStore
from projections.projector import Projector
from projections.views import open_view
from scheduler.briefings import (
    TEMPLATES,
    BriefingConfig,
    RenderedBriefing,
    html_to_pdf,
    issue_briefing,
    render_briefing,
)
from tests.projections.helpers import import_seeds

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed"
)

CALENDAR = ChineseCalendar()
PROMOTION = "就业促进行动"  # plan 001: monthly dispatch for every assignment since 2025
STABLE = "稳岗扩容"  # plan 000: quarterly reports, issued 2026-05-09
HR = "自治区人力资源社会保障厅"
EDU = "自治区教育厅"
FIN = "自治区财政厅"
HOHHOT = "呼和浩特市"
BAOTOU = "包头市"
HOSTILE = (
    '<script>alert("x")</script><b>加粗</b><style>body{display:none}</style>'
    '<span style="color:red;font-size:90pt">红字</span>'
    '<img src="file:///etc/passwd"><link rel="stylesheet" href="{url}/x.css">'
    '<img src="{url}/x.png"> 😀🚀 生僻字𠀀㐀 & "quotes" \'apos\''
)


@dataclass
class Fixture:
    ledger: Ledger
    store: ReadStore
    url: str
    folder: Path
    hostile_url: str


def _working_day(year: int, month: int, n: int) -> date:
    return CALENDAR.nth_workday_of_month(year, month, n)


def _assignments(store: ReadStore, plan: str, unit: str) -> list[tuple[str, UUID]]:
    plan_id = lookup.resolve_plan(store, plan).plan_id
    unit_id = lookup.resolve_unit(store, unit).unit_id
    rows = store.query(
        "SELECT task_number, assignment_id FROM {s}rm_assignments "
        "WHERE plan_id = ? AND unit_id = ? ORDER BY task_number",
        [plan_id, unit_id],
    )
    return [(r["task_number"], UUID(r["assignment_id"])) for r in rows]


def _assignment(store: ReadStore, plan: str, task: str, unit: str) -> UUID:
    return dict(_assignments(store, plan, unit))[task]


def _owed(store: ReadStore, assignment: UUID, until: date) -> list[tuple[str, date]]:
    rows = store.query(
        "SELECT DISTINCT period, due_on FROM {s}rm_obligations WHERE assignment_id = ? "
        "AND due_on <= ? ORDER BY due_on, period",
        [str(assignment), until.isoformat()],
    )
    return [(r["period"], date.fromisoformat(r["due_on"])) for r in rows]


def build_ledger(ledger: Ledger, store: ReadStore, hostile_url: str) -> None:
    """Both seeds; the 2025 figures of plan 001's targets; five units' reports on plan 001
    since 2025 (two always on time, education late, finance late once, Baotou silent
    since April 2026); plan 000's May figures; chases; and July's reports (the Q2
    report and the hostile narratives, after the June briefing's as-of date)."""
    import_seeds(ledger)
    Projector(ledger, store, CALENDAR).catch_up()

    def report(unit: str, assignment: UUID, period: str, day: date, text: str, metrics=None):
        act = Act.by(ledger.clock, f"liaison:{unit}", "liaison", business_date=day)
        ledger.report_progress(act, assignment, period, text, metrics)

    def office(day: date) -> Act:
        return Act.by(ledger.clock, "office-clerk", "office", business_date=day)

    # 2025 annual figures for plan 001's targets, reported on time in January 2026
    annual = {
        ("2", "自治区工业和信息化厅"): {"新就业岗位": 162_000},
        ("3", "各行业主管部门"): {"第三产业新开拓就业岗位": 301_000},
        ("4", "自治区农牧厅"): {"重点扶持中小型家庭农牧场": 640},
        ("5", "自治区市场监管局"): {"企业总量": 702_000},
        ("10", EDU): {"动态培训": 20_500},
        ("11", HR): {"全区技工院校工学一体化专业占比": 46},
        ("13", HR): {"自治区“三支一扶”计划招募规模": 3000},
        ("17", HR): {"优化升级“家门口”就业服务站": 312},
    }
    for (task, unit), metrics in annual.items():
        report(unit, _assignment(store, PROMOTION, task, unit), "2025", date(2026, 1, 6),
               f"2025年全年任务完成情况：{'，'.join(f'{k}{v}' for k, v in metrics.items())}。",
               metrics)

    # plan 001's reporting history, from its first report (2025-03) to the June briefing:
    # every report the unit owes, dated by the unit's habit
    def habit(unit: str, period: str, due: date) -> date | None:
        if unit in (HR, HOHHOT) or (unit == FIN and period != "2026-05"):
            return CALENDAR.add_workdays(due, -2)  # on time
        if unit in (EDU, FIN):
            return CALENDAR.add_workdays(due, 3)  # three working days late
        return CALENDAR.add_workdays(due, -1) if Period.parse(period).end < date(2026, 4, 1) \
            else None  # Baotou stops reporting after March

    # (the aggregates' own command, one transaction per assignment: the history is long)
    for unit in (HR, HOHHOT, EDU, FIN, BAOTOU):
        for task, assignment_id in _assignments(store, PROMOTION, unit):
            assignment = ledger.get_assignment(assignment_id)
            for period, due in _owed(store, assignment_id, date(2026, 6, 30)):
                day = habit(unit, period, due)
                if day is not None and day <= date(2026, 6, 30):
                    act = Act.by(ledger.clock, f"liaison:{unit}", "liaison", business_date=day)
                    assignment.report_progress(
                        act, Period.parse(period),
                        f"{unit}{period}推进任务{task}：召开专题会议部署，完成阶段性工作。",
                        None, None,
                    )
            ledger.commit(assignment)

    # plan 000: May figures towards its targets (highlights of June)
    report(HR, _assignment(store, STABLE, "（十一）", HR), "2026-05", date(2026, 6, 4),
           "组织开展创业培训5200人，发放创业担保贷款1.2亿元，新建创业孵化基地3家。",
           {"创业培训": 5200})
    report(HR, _assignment(store, STABLE, "（十三）", HR), "2026-05", date(2026, 6, 4),
           "开展补贴性职业技能培训4.1万人次，其中新职业培训6000人次。",
           {"补贴性职业技能培训": 41_000})
    report(EDU, _assignment(store, STABLE, "（九）", EDU), "2026-05", date(2026, 6, 10),
           "新增普惠性幼儿园学位1.8万个，覆盖率提高到91.5%。", {"普惠性幼儿园覆盖率": 91.5})

    # chases: Baotou reminded, urged and escalated for April and May; finance for May
    baotou = _assignment(store, PROMOTION, "1", BAOTOU)
    finance = _assignment(store, PROMOTION, "5", FIN)
    for period, due, steps in (
        # April's is due on the 5th working day of May: 05-11 (Labour Day week off)
        ("2026-04", date(2026, 5, 11), (date(2026, 5, 7), date(2026, 5, 13), date(2026, 5, 20))),
        ("2026-05", date(2026, 6, 5), (date(2026, 6, 2), date(2026, 6, 8), date(2026, 6, 15))),
    ):
        ledger.issue_reminder(office(steps[0]), baotou, "monthly-dispatch", period, due,
                              f"{period}月调度报告将于{due}到期")
        ledger.issue_urge(office(steps[1]), baotou, "monthly-dispatch", period, due,
                          f"{period}月调度报告逾期未报")
        ledger.escalate(office(steps[2]), baotou, "monthly-dispatch", period, due,
                        f"{period}月调度报告逾期5个工作日仍未报送")
    ledger.issue_reminder(office(date(2026, 6, 2)), finance, "monthly-dispatch", "2026-05",
                          date(2026, 6, 5), "2026-05月调度报告将于2026-06-05到期")
    ledger.issue_urge(office(date(2026, 6, 8)), finance, "monthly-dispatch", "2026-05",
                      date(2026, 6, 5), "2026-05月调度报告逾期未报")

    # July: the Q2 report for plan 000 and, on 2026-07-15, the hostile narratives
    report(HR, _assignment(store, STABLE, "（十一）", HR), "2026-Q2", date(2026, 7, 3),
           "二季度创业培训累计9800人。", {"创业培训": 9800})
    hostile = HOSTILE.replace("{url}", hostile_url)
    report(HOHHOT, _assignment(store, PROMOTION, "1", HOHHOT), "2026-06", date(2026, 7, 15),
           hostile, {"创业培训": 1})
    report(HOHHOT, _assignment(store, PROMOTION, "2", HOHHOT), "2026-06", date(2026, 7, 15),
           "超长叙述" + "这是一段很长的进展说明，" * 4545 + "A" * 2000)
    Projector(ledger, store, CALENDAR).catch_up()


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"body{display:none}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def canary() -> Iterator[tuple[str, list[str]]]:
    """A tiny HTTP server on 127.0.0.1: no briefing may ever reach it."""
    _Recorder.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.requests
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, canary) -> Iterator[Fixture]:
    folder = tmp_path_factory.mktemp("briefings")
    url = f"sqlite:///{folder / 'ledger.sqlite'}"
    config = parse_database_url(url)
    clock = FixedClock(datetime(2026, 7, 20, 1, 0, tzinfo=UTC))
    ledger = open_ledger(config, clock=clock, create_tables=True)
    store = ReadStore(config, create_tables=True)
    build_ledger(ledger, store, canary[0])
    yield Fixture(ledger, store, url, folder, canary[0])
    store.close()
    ledger.close()


@pytest.fixture(scope="module")
def june(world: Fixture) -> RenderedBriefing:
    return render_briefing(world.ledger, world.store, CALENDAR, "monthly", "2026-06")


def known_on(ledger: Ledger, day: date) -> int:
    """A briefing's position as of ``day``, by brute force over the whole log: the last
    real event dated on or before it that is not bookkeeping."""
    bookkeeping = ("Cycle.Ran", "Briefing.Issued", "Unit.ChasersDelivered",
                   "Unit.ChasersUndelivered")
    return max((r.position for r in ledger.records()
                if r.event.business_date <= day and not r.event.simulated
                and type(r.event).__qualname__ not in bookkeeping), default=0)


def pdftotext(pdf: bytes, tmp: Path, *extra: str) -> str:
    path = tmp / f"{hashlib.sha256(pdf).hexdigest()[:12]}.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(
        ["pdftotext", *extra, "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        check=True,
    )
    return done.stdout.decode()


def flat(text: str) -> str:
    """pdftotext's text without the line breaks and spaces layout put in."""
    return "".join(text.split())


# ---- the monthly briefing ------------------------------------------------------------------
def test_monthly_briefing_reads_right(world: Fixture, june: RenderedBriefing, tmp_path) -> None:
    assert (june.as_of, june.period) == (date(2026, 6, 30), "2026-06")
    # what was known as of June 30: July's three reports are not, though recorded
    assert june.position == known_on(world.ledger, date(2026, 6, 30)) == world.ledger.position() - 3
    text = flat(pdftotext(june.pdf, tmp_path))
    for heading in (
        "月调度简报",
        "2026年6月",
        "一、总体情况",
        "二、重点任务推进情况（红黄绿灯）",
        "三、逾期未报单位",
        "四、本月提醒、催办和上报情况",
        "五、工作进展亮点",
        "六、量化目标进度",
        "七、责任单位排名",
        "附件：各单位责任清单",
    ):
        assert heading in text, heading
    # the two times, on the cover and on every page, and the page numbers
    assert f"截至2026-06-30·台账位置{june.position}" in text
    assert f"第1页共{june.pages}页" in text and f"第{june.pages}页共{june.pages}页" in text
    # task numbers of both plans, and their titles
    for number in ("（一）", "（十一）", "（十八）", "释放创业带动就业活力", "19"):
        assert number in text, number

    # figures: June's due reports are May's dispatch (due 2026-06-05) and the like;
    # on time are HR's 14 and Hohhot's 19 assignments; finance (7) and education (7) late
    with open_view(world.ledger, world.store, CALENDAR, as_of=date(2026, 6, 30)) as view:
        due = [
            r
            for r in queries.obligations(view)
            if "2026-06-01" <= r["due_on"] <= "2026-06-30"
        ]
        overdue_units = {r["unit_name"] for r in queries.overdue(view)}
    assert f"应报送报告{len(due)}份" in text
    assert "其中按时报送33份" in text
    assert f"按时报送率{100 * 33 / len(due):.1f}%" in text
    assert f"仍有{len(overdue_units)}个单位逾期未报" in text

    # the overdue table: Baotou is there, with the working days since 2025-04-08
    section = text.split("三、逾期未报单位")[1].split("四、本月提醒")[0]
    assert BAOTOU in section and HR not in section
    days = CALENDAR.workdays_between(date(2025, 4, 8), date(2026, 6, 30))
    assert f"{BAOTOU}" in section and str(days) in section
    # this month's chases: two reminders, two urges, one escalation (Baotou)
    chases = text.split("四、本月提醒")[1].split("五、工作进展亮点")[0]
    assert "共发出提醒2次（2个单位）、催办2次（2个单位），上报监督平台1次（1个单位）" in chases
    assert "上报监督平台" in chases and "2026-06-15" in chases
    # highlights quote the narratives received in June; July's are not there yet
    highlights = text.split("五、工作进展亮点")[1].split("六、量化目标进度")[0]
    assert "组织开展创业培训5200人" in highlights and "script" not in highlights
    # charts and targets: plan 001's 2025 figure (162,000 of 150,000 jobs: 108%)
    assert "量化目标完成进度" in text and "108.0%" in text and "16.2万个" in text
    # the annex lists every unit's tasks
    annex = text.split("附件：各单位责任清单")[1]
    assert HR in annex and "阿拉善盟" in annex


def test_fonts_are_embedded_cjk(june: RenderedBriefing, tmp_path: Path) -> None:
    path = tmp_path / "june.pdf"
    path.write_bytes(june.pdf)
    listing = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, check=True, text=True
    ).stdout.splitlines()[2:]
    names = {line.split()[0].split("+", 1)[-1] for line in listing}
    assert {"Noto-Sans-CJK-SC", "Noto-Serif-CJK-SC"} <= names, names  # subsets, e.g. ABCDEF+
    for line in listing:
        columns = line.split()
        emb = columns[-5]  # name type [encoding] emb sub uni object ID
        assert emb == "yes", line


def _pdfinfo(pdf: bytes, tmp: Path) -> dict[str, str]:
    path = tmp / "info.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdfinfo", "-isodates", str(path)], capture_output=True, check=True, text=True
    ).stdout
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}


def test_two_renders_are_byte_identical(world: Fixture, june: RenderedBriefing, tmp_path) -> None:
    again = render_briefing(world.ledger, world.store, CALENDAR, "monthly", "2026-06")
    assert again.html == june.html and again.text_sha256 == june.text_sha256
    assert again.pdf == june.pdf and again.sha256 == june.sha256
    info = _pdfinfo(june.pdf, tmp_path)
    assert "2026-06-30T00:00:00+08" in info["CreationDate"] and info["ModDate"] == info[
        "CreationDate"
    ]
    assert june.refused_urls == ()


def test_page_one_renders_to_png(june: RenderedBriefing, tmp_path: Path) -> None:
    path = tmp_path / "june.pdf"
    path.write_bytes(june.pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(path), str(tmp_path / "p")],
        check=True,
    )
    (png,) = tmp_path.glob("p*.png")
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 10_000


def test_position_pins_what_is_known(world: Fixture, june: RenderedBriefing, tmp_path) -> None:
    """Before the chases were written the same June reads differently, and says so."""
    first_chase = next(
        r.position for r in world.ledger.records() if type(r.event).__name__ == "ReminderIssued"
    )
    earlier = render_briefing(
        world.ledger, world.store, CALENDAR, "monthly", "2026-06", position=first_chase - 1
    )
    assert earlier.position == first_chase - 1 and earlier.sha256 != june.sha256
    text = flat(pdftotext(earlier.pdf, tmp_path))
    assert f"台账位置{first_chase - 1}" in text
    assert "共发出提醒0次（0个单位）" in text


# ---- the periodic analyses -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "period", "title", "versus"),
    [
        ("quarterly", "2026-Q2", "季度分析报告", "2026年第二季度与2026年第一季度对比"),
        ("half-year", "2026-H1", "半年工作总结", "2026年上半年与2025年下半年对比"),
        ("annual", "2025", "年度评估报告", "2025年与2024年对比"),
    ],
)
def test_periodic_briefings_render(world: Fixture, tmp_path, kind, period, title, versus) -> None:
    briefing = render_briefing(world.ledger, world.store, CALENDAR, kind, period)
    assert briefing.pages >= 2 and briefing.refused_urls == ()
    text = flat(pdftotext(briefing.pdf, tmp_path))
    assert title in text and versus in text
    assert "各单位按时报送率对比" in text and "重点任务推进情况（红黄绿灯）" in text


def test_quarterly_compares_like_for_like(world: Fixture, tmp_path: Path) -> None:
    briefing = render_briefing(world.ledger, world.store, CALENDAR, "quarterly", "2026-Q2")
    text = flat(pdftotext(briefing.pdf, tmp_path))
    # Q2: Baotou's reports due in May and June are missing, and it was escalated twice
    table = text.split("各单位按时报送率对比")[1]
    assert BAOTOU in table
    assert "上报监督平台2次" in text


def test_annual_evaluation_scores_commends_and_calls_out(world: Fixture, tmp_path) -> None:
    briefing = render_briefing(world.ledger, world.store, CALENDAR, "annual", "2026")
    text = flat(pdftotext(briefing.pdf, tmp_path))
    assert "2026年：尚无官方节假日安排" not in text  # 2026 is confirmed
    assert "2027年：尚无官方节假日安排" in text  # the year's last reports fall due in 2027
    for heading in ("二、年度评估：单位得分与排名", "拟表扬单位", "拟通报单位", "得分=100×"):
        assert heading in text, heading
    called = text.split("拟通报单位")[1].split("名次")[0]
    assert f"{BAOTOU}" in called and "上报2次" in called


def test_kind_and_period_must_agree(world: Fixture) -> None:
    with pytest.raises(InvalidInput, match="monthly briefing needs a month period"):
        render_briefing(world.ledger, world.store, CALENDAR, "monthly", "2026-Q2")
    with pytest.raises(InvalidPeriod):
        render_briefing(world.ledger, world.store, CALENDAR, "monthly", "2026-13")
    with pytest.raises(InvalidInput, match="kind"):
        render_briefing(world.ledger, world.store, CALENDAR, "weekly", "2026-06")


# ---- safety ------------------------------------------------------------------------------------
def test_hostile_narratives_are_text_and_fetch_nothing(world: Fixture, canary, tmp_path) -> None:
    url, requests = canary
    july = render_briefing(
        world.ledger, world.store, CALENDAR, "monthly", "2026-07",
        config=BriefingConfig(quote_chars=1000),  # quote the whole hostile text
    )
    assert july.refused_urls == () and requests == []
    text = pdftotext(july.pdf, tmp_path)
    squeezed = flat(text)
    assert '<script>alert("x")</script>' in squeezed  # shown, not run or dropped
    assert "<style>body{display:none}</style>" in squeezed
    assert "file:///etc/passwd" in squeezed and f"{url}/x.png".replace(" ", "") in squeezed
    assert "😀" in text and "生僻字" in text and "㐀" in text
    # no installed font has CJK Extension B: 𠀀 reaches the page as a .notdef box (a
    # WeasyPrint warning), the rendering goes on
    assert "生僻字𠀀㐀" in july.html
    assert "超长叙述这是一段很长的进展说明" in squeezed and "……" in squeezed
    # the markup is escaped in the HTML WeasyPrint saw: no live tag from a narrative
    assert "<script>" not in july.html and "&lt;script&gt;" in july.html
    assert 'src="file:///etc/passwd"' not in july.html


def test_the_fetcher_refuses_everything_but_templates_and_data(canary) -> None:
    url, requests = canary
    page = (
        '<html><head><meta name="dcterms.created" content="2026-06-30">'
        '<link rel="stylesheet" href="briefing.css">'
        f'<link rel="stylesheet" href="{url}/evil.css">'
        "<link rel=\"stylesheet\" href=\"file:///etc/passwd\">"
        f"<style>@import url({url}/import.css); body {{ background: url({url}/bg.png) }}</style>"
        "</head><body><p>正文</p>"
        '<img src="file:///etc/passwd"><img src="../../pyproject.toml">'
        f'<img src="{url}/pixel.png"><img src="https://example.invalid/x.png">'
        '<img src="data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmci'
        'IHdpZHRoPSIxMCIgaGVpZ2h0PSIxMCIvPg==">'
        "</body></html>"
    )
    pdf, pages, refused = html_to_pdf(page, title="t", as_of=date(2026, 6, 30))
    assert pdf.startswith(b"%PDF") and pages == 1
    assert requests == []
    assert f"{url}/evil.css" in refused and f"{url}/pixel.png" in refused
    assert f"{url}/bg.png" in refused and "https://example.invalid/x.png" in refused
    assert "file:///etc/passwd" in refused
    assert any(r.endswith("/pyproject.toml") for r in refused)  # outside templates/
    assert not any("briefing.css" in r or r.startswith("data:") for r in refused)
    assert TEMPLATES.name == "templates"


# ---- issuing and the command line ------------------------------------------------------------
def test_issue_writes_the_file_and_records_the_event(world: Fixture, tmp_path: Path) -> None:
    copy = tmp_path / "ledger.sqlite"
    shutil.copy(world.folder / "ledger.sqlite", copy)
    config = parse_database_url(f"sqlite:///{copy}")
    ledger = open_ledger(config, clock=world.ledger.clock)
    store = ReadStore(config)
    try:
        head = ledger.position()
        known = known_on(ledger, date(2026, 6, 30))
        briefing, path, receipt = issue_briefing(
            ledger, store, CALENDAR, "monthly", "2026-06", folder=tmp_path / "out"
        )
        assert path.read_bytes() == briefing.pdf and path.name == briefing.filename
        assert path.parent == tmp_path / "out"
        assert receipt is not None and receipt.created and ledger.position() == head + 1
        (record,) = list(ledger.records(after=head))
        event = record.event
        assert isinstance(event, Briefing.Issued)
        assert (event.kind, event.period, event.as_of, event.position) == (
            "monthly", "2026-06", date(2026, 6, 30), known
        )
        assert (event.sha256, event.pages, event.filename) == (
            briefing.sha256, briefing.pages, path.name)
        assert event.originator_id == ids.briefing_id("monthly", "2026-06", date(2026, 6, 30),
                                                      known)
        # the same briefing of the same knowledge, issued again, records nothing new
        for position in (known, None):
            again, _, receipt = issue_briefing(
                ledger, store, CALENDAR, "monthly", "2026-06", position=position,
                folder=tmp_path / "out"
            )
            assert receipt is not None and not receipt.created
            assert receipt.stream_id == event.originator_id and again.pdf == briefing.pdf
        assert ledger.position() == head + 1
    finally:
        store.close()
        ledger.close()


def _cli(url: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    taskledger = Path(sys.executable).with_name("taskledger")
    return subprocess.run(
        [str(taskledger), "--database-url", url, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        # the default briefings folder, ./var/briefings in the working directory
        env={k: v for k, v in os.environ.items() if k != "TASKLEDGER_BRIEFINGS_DIR"}
        | {"PYTHONUTF8": "1"},
        timeout=120,
    )


def test_cli_end_to_end(world: Fixture, tmp_path: Path) -> None:
    copy = tmp_path / "ledger.sqlite"
    shutil.copy(world.folder / "ledger.sqlite", copy)
    url = f"sqlite:///{copy}"
    head = world.ledger.position()
    known = known_on(world.ledger, date(2026, 6, 30))

    dry = _cli(url, "briefing", "monthly", "--period", "2026-06", "--out", "dry.pdf",
               "--no-record", cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    done = _cli(url, "briefing", "monthly", "--period", "2026-06", "--as-of", "2026-06-30",
                "--out", "june.pdf", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    pdf = (tmp_path / "june.pdf").read_bytes()
    assert pdf == (tmp_path / "dry.pdf").read_bytes()  # same two times, same bytes
    sha = hashlib.sha256(pdf).hexdigest()
    out = done.stdout
    assert "as of 2026-06-30" in out and f"ledger position {known}" in out
    assert f"sha256 {sha}" in out and "pages " in out and "recorded BriefingIssued" in out
    assert "recorded" not in dry.stdout

    ledger = open_ledger(parse_database_url(url), clock=world.ledger.clock)
    try:
        issued = [r.event for r in ledger.records(after=head)]
    finally:
        ledger.close()
    assert [(e.kind, e.period, e.sha256) for e in issued] == [("monthly", "2026-06", sha)]
    assert (tmp_path / "var" / "briefings" / issued[0].filename).read_bytes() == pdf

    for bad, message in (
        (["--period", "2026-13"], "2026-13"),
        (["--period", "2026-Q2"], "month period"),
        (["--period", "2026-06", "--position", str(head + 50)], "outside the ledger"),
    ):
        wrong = _cli(url, "briefing", "monthly", *bad, "--out", "x.pdf", cwd=tmp_path)
        assert wrong.returncode == 2, wrong
        assert len(wrong.stderr.strip().splitlines()) == 1 and message in wrong.stderr
        assert not (tmp_path / "x.pdf").exists()
