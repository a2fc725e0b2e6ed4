"""Golden test: plan 001 (内政发〔2025〕7号), PDF-extracted text read unmodified."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.importer import decode_document, parse_plan
from ledger.importer.text import lines
from ledger.units import UnitRegistry

SEEDS = Path(__file__).resolve().parents[2].parent / "shared" / "seeds"
SEED = SEEDS / "001_048a3ae4a5fa919b.txt"
SEED_000 = SEEDS / "000_48908fa878961524.txt"

LEAGUES = [
    "呼和浩特市", "包头市", "呼伦贝尔市", "兴安盟", "通辽市", "赤峰市",
    "锡林郭勒盟", "乌兰察布市", "鄂尔多斯市", "巴彦淖尔市", "乌海市", "阿拉善盟",
]
R = "自治区"
PBOC = "中国人民银行内蒙古自治区分行"
S1, S2, S3, S4, S5 = (
    "（一）提高产业发展的就业带动力", "（二）鼓励创业带动就业", "（三）解决结构性就业矛盾",
    "（四）促进高校毕业生等重点群体就业", "（五）健全就业公共服务体系",
)
# number, section, title, lead(s), co-units named by the task (leagues follow on all).
EXPECTED = [
    ("1", S1, "推动产业与就业互促共进", f"{R}发展改革委",
     [f"{R}商务厅", f"{R}自然资源厅", f"{R}能源局", f"{R}人力资源社会保障厅", "各行业主管部门"]),
    ("2", S1, "提高第二产业就业比重", f"{R}工业和信息化厅", ["各行业主管部门"]),
    ("3", S1, "扩大第三产业就业规模", "各行业主管部门", []),
    ("4", S1, "推动新型农牧业经营体系建设", f"{R}农牧厅", [f"{R}发展改革委"]),
    ("5", S1, "激发经营主体活力", f"{R}市场监管局",
     [f"{R}发展改革委", f"{R}工业和信息化厅", f"{R}财政厅", f"{R}人力资源社会保障厅",
      f"{R}地方金融管理局", "国家税务总局内蒙古税务局", PBOC]),
    ("6", S1, "培育壮大新业态新就业群体", f"{R}党委社会工作部",
     [f"{R}党委网信办", f"{R}商务厅", f"{R}市场监管局", f"{R}交通运输厅", f"{R}团委",
      "内蒙古邮政管理局"]),
    ("7", S1, "大力发展人力资源服务业", f"{R}人力资源社会保障厅", []),
    ("8", S2, "强化创业政策支持", f"{R}人力资源社会保障厅", [f"{R}财政厅"]),
    ("9", S2, "优化创业服务", f"{R}人力资源社会保障厅",
     [f"{R}教育厅", f"{R}科技厅", f"{R}农牧厅", f"{R}退役军人事务厅", f"{R}团委", f"{R}妇联",
      f"{R}总工会"]),
    ("10", S3, "强化教育就业联动", f"{R}教育厅", [f"{R}人力资源社会保障厅", f"{R}总工会"]),
    ("11", S3, "支持发展技工教育", f"{R}人力资源社会保障厅", [f"{R}教育厅", f"{R}财政厅"]),
    ("12", S3, "提升培训质效", "各行业主管部门", []),
    ("13", S4, "完善高校毕业生考录招聘政策", f"{R}人力资源社会保障厅",
     [f"{R}党委组织部", f"{R}党委机构编制委员会办公室", f"{R}教育厅", f"{R}财政厅", f"{R}国资委"]),
    ("14", S4, "提升高校毕业生等青年求职就业能力", f"{R}人力资源社会保障厅",
     [f"{R}教育厅", f"{R}科技厅", f"{R}财政厅", f"{R}团委"]),
    ("15", S4, "促进农牧民就业增收", f"{R}发展改革委",
     [f"{R}财政厅", f"{R}人力资源社会保障厅", f"{R}自然资源厅", f"{R}生态环境厅",
      f"{R}住房城乡建设厅", f"{R}交通运输厅", f"{R}水利厅", f"{R}农牧厅", f"{R}应急管理厅",
      f"{R}林草局", f"{R}能源局"]),
    ("16", S4, "强化困难群体就业兜底帮扶", f"{R}人力资源社会保障厅",
     [f"{R}教育厅", f"{R}退役军人事务厅", f"{R}总工会", f"{R}残联"]),
    ("17", S5, "夯实就业公共服务基础", f"{R}人力资源社会保障厅", [f"{R}教育厅", f"{R}总工会"]),
    ("18", S5, "搭建便捷高效就业信息化服务平台", f"{R}人力资源社会保障厅",
     [f"{R}财政厅", f"{R}政务服务与数据管理局", f"{R}总工会"]),
    ("19", S5, "引导社会力量广泛开展促就业服务", f"{R}人力资源社会保障厅", ["各行业主管部门"]),
]

# number → [(indicator, value, measure, comparator, from, to, per)]
Y2025 = ("2025-01-01", "2025-12-31")
EXPECTED_TARGETS = {
    "2": [("新就业岗位", 150000, "个", ">=", *Y2025, "year")],
    "3": [("第三产业新开拓就业岗位", 350000, "个", ">=", *Y2025, "year")],
    "4": [
        ("重点扶持中小型家庭农牧场", 600, "个", ">=", *Y2025, "year"),
        ("中小型合作社", 200, "家", ">=", *Y2025, "year"),
        ("新认证家庭农牧场", 10000, "个", ">=", *Y2025, "year"),
        ("建立新型农牧业经营主体综合服务中心", 40, "个", ">=", *Y2025, "year"),
        ("通过产业联结和利益联结机制带动普通农户", 100000, "户", ">=", *Y2025, "year"),
    ],
    "5": [
        ("企业总量", 710000, "户", ">=", *Y2025, "year"),
        ("个体工商户总量", 2200000, "户", ">=", *Y2025, "year"),
        ("企业活跃度", 70, "%", ">=", *Y2025, "year"),
    ],
    "7": [("产业规模", 20_000_000_000, "元", ">=", None, "2025-12-31", "total")],
    "9": [("每个盟市建设创业指导大师工作室", 1, "个", ">=", *Y2025, "year")],
    "10": [("动态培训", 20000, "人", "~", *Y2025, "year")],
    "11": [("全区技工院校工学一体化专业占比", 50, "%", ">=", *Y2025, "year")],
    "12": [
        ("全区各行业培训规模", 350000, "人次", ">=", *Y2025, "year"),
        ("每个盟市培育“职业技能培训+劳务”品牌", 1, "个", ">=", *Y2025, "year"),
    ],
    "13": [("自治区“三支一扶”计划招募规模", 3000, "人", ">=", *Y2025, "year")],
    "17": [("优化升级“家门口”就业服务站", 300, "个", ">=", *Y2025, "year")],
}


@pytest.fixture(scope="module")
def plan():
    return parse_plan(decode_document(SEED.read_bytes()))


def test_document_fields(plan):
    assert plan.title == "内蒙古自治区就业促进行动实施方案"
    assert plan.issuer == "内蒙古自治区人民政府"
    assert plan.doc_number == "内政发〔2025〕7号"  # printed with a stray space: 7 号
    assert plan.issued_on == date(2025, 2, 13)
    assert plan.natural_key() == "内政发〔2025〕7号"
    assert plan.warnings == ()


def test_plan_level_targets(plan):
    assert [t.to_json() for t in plan.targets] == [
        {"indicator": "城镇新增就业", "value": 180000, "measure": "人", "comparator": ">=",
         "period": {"from": "2025-01-01", "to": "2025-12-31", "per": "year"},
         "text": "2025年城镇新增就业18万人以上"},
        {"indicator": "城镇调查失业率", "value": 5.5, "measure": "%", "comparator": "~",
         "period": {"from": "2025-01-01", "to": "2025-12-31", "per": "year"},
         "text": "城镇调查失业率预期目标5.5%左右"},
    ]


def test_nineteen_tasks_and_no_more(plan):
    assert [t.number for t in plan.tasks] == [str(n) for n in range(1, 20)]
    assert [t.ordinal for t in plan.tasks] == list(range(1, 20))
    # （六）（七） under 三、保障措施 name no units: they are not tasks.
    assert all(not t.number.startswith("（") for t in plan.tasks)


@pytest.mark.parametrize("expected", EXPECTED, ids=[e[0] for e in EXPECTED])
def test_task_units(plan, expected):
    number, section, title, lead, co = expected
    task = plan.task(number)
    assert task.section == section
    assert task.title == title
    assert task.lead == (lead,)
    assert list(task.co_units) == co + LEAGUES


def test_rejoined_pdf_line_breaks(plan):
    # 自治区发展改革 / blank line / 委 is one unit, and no text keeps a stray break or space.
    assert plan.task("1").lead == ("自治区发展改革委",)
    for task in plan.tasks:
        assert "\n" not in task.text and " " not in task.text
        assert "责任单位" not in task.text
    assert plan.task("5").text.endswith("企业活跃度突破70%。")


@pytest.mark.parametrize("number", [str(n) for n in range(1, 20)])
def test_task_targets(plan, number):
    got = [
        (t.indicator, t.value, t.measure, t.comparator, t.period.from_, t.period.to, t.period.per)
        for t in plan.task(number).targets
    ]
    assert got == EXPECTED_TARGETS.get(number, [])


def test_task_7_text_as_printed(plan):
    (target,) = plan.task("7").targets
    assert target.text == "到2025年底产业规模突破200亿元"
    assert target.value == 20_000_000_000


def test_reporting_duties(plan):
    by_slug = {d.slug: d for d in plan.obligations}
    assert {slug: d.cadence for slug, d in by_slug.items()} == {
        "monthly-dispatch": "monthly",
        "quarterly-analysis": "quarterly",
        "half-year-summary": "half-yearly",
        "annual-evaluation": "annual",
    }
    for duty in plan.obligations:
        assert duty.stated_in == "（七）"
        assert duty.scope == "plan"
        assert duty.due_workday == 5
        assert duty.report_to == "自治区就业促进和劳动保护工作领导小组办公室"
    requirements = {r.slug: r for r in plan.requirements}
    assert set(requirements) == {"responsibility-list", "liaison"}
    assert requirements["liaison"].audience == {"description": "各部门", "scope": "each_unit"}
    assert requirements["liaison"].stated_in == "（六）"


def test_alias_pairs_resolve_to_one_unit_across_both_documents(plan):
    other = parse_plan(decode_document(SEED_000.read_bytes()))
    names = {u.name for p in (plan, other) for t in p.tasks for u in t.units}
    registry = UnitRegistry.load_default()
    pairs = [
        ("人力资源社会保障厅", "人力资源和社会保障厅"), ("科技厅", "科学技术厅"),
        ("住房城乡建设厅", "住房和城乡建设厅"), ("国资委", "国有资产监督管理委员会"),
        ("党委编办", "机构编制委员会办公室"), ("内蒙古税务局", "国家税务总局内蒙古税务局"),
        ("人民银行内蒙古分行", "中国人民银行内蒙古自治区分行"),
        ("社会工作部", "党委社会工作部"), ("网信办", "党委网信办"), ("林业和草原局", "林草局"),
    ]
    for a, b in pairs:
        unit_a, unit_b = registry.resolve(a), registry.resolve(b)
        assert unit_a is not None and unit_a == unit_b, (a, b)
        assert unit_a.name in names, unit_a.name
    # and no spelling variant leaked into the parsed units as a unit of its own
    for variant in ("自治区人力资源和社会保障厅", "自治区科学技术厅", "自治区住房和城乡建设厅",
                    "自治区国有资产监督管理委员会", "人民银行内蒙古分行", "自治区林业和草原局",
                    "自治区机构编制委员会办公室", "自治区社会工作部", "自治区网信办"):
        assert variant not in names


def _rewrap(text: str, width: int, rng: random.Random) -> str:
    """Lay the document out again as a PDF extractor would: every paragraph cut at
    ``width`` characters, with blank lines (and sometimes page-break gaps) between lines."""
    out: list[str] = []
    for line in lines(text):
        for start in range(0, len(line), width):
            out.append(line[start : start + width])
            out.append("\n" * rng.choice((0, 1, 1, 3)))
    return "\n".join(out)


def _tasks(parsed):
    return [(t.number, t.section, t.title, t.text, t.units, t.targets) for t in parsed.tasks]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(width=st.integers(min_value=16, max_value=60), seed=st.integers(0, 10_000))
def test_rewrapping_never_changes_the_tasks(plan, width, seed):
    text = decode_document(SEED.read_bytes())
    rewrapped = parse_plan(_rewrap(text, width, random.Random(seed)))
    assert _tasks(rewrapped) == _tasks(plan)
    assert rewrapped.targets == plan.targets
