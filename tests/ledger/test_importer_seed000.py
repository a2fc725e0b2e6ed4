"""Golden test: plan 000 (稳岗扩容提质工程实施方案), read unmodified from ../shared/seeds."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ledger.importer import decode_document, parse_plan
from ledger.units import UnitRegistry

SEEDS = Path(__file__).resolve().parents[2].parent / "shared" / "seeds"
SEED = SEEDS / "000_48908fa878961524.txt"

LEAGUES = [
    "呼和浩特市", "包头市", "呼伦贝尔市", "兴安盟", "通辽市", "赤峰市",
    "锡林郭勒盟", "乌兰察布市", "鄂尔多斯市", "巴彦淖尔市", "乌海市", "阿拉善盟",
]
R = "自治区"
GROUP = "自治区就业促进和劳动保护工作领导小组各成员单位"

# Every task: number, section, title, lead, co-units named by the task itself (the 12
# leagues and cities follow on every task, by （一）'s 以下任务均需各盟市落实).
EXPECTED = [
    ("（一）", "二、全力稳定就业岗位", "强化稳岗促就业支持政策", f"{R}人力资源社会保障厅",
     [f"{R}民政厅", f"{R}财政厅", f"{R}党委金融办", "国家税务总局内蒙古税务局",
      "国家金融监督管理总局内蒙古监管局", "中国人民银行内蒙古自治区分行"]),
    ("（二）", "二、全力稳定就业岗位", "稳定劳动密集型行业就业规模", f"{R}工业和信息化厅",
     [f"{R}商务厅", f"{R}住房城乡建设厅", f"{R}文化和旅游厅", f"{R}民政厅",
      "中国人民银行内蒙古自治区分行", "各产业链牵头单位"]),
    ("（三）", "二、全力稳定就业岗位", "稳定受外部环境影响的行业就业规模", f"{R}商务厅",
     [f"{R}人力资源社会保障厅", f"{R}文化和旅游厅", f"{R}卫生健康委"]),
    ("（四）", "二、全力稳定就业岗位", "稳定政策性岗位招录规模", f"{R}党委组织部",
     [f"{R}党委机构编制委员会办公室", f"{R}党委社会工作部", f"{R}人力资源社会保障厅",
      f"{R}教育厅", f"{R}国资委", f"{R}科技厅", f"{R}卫生健康委", f"{R}总工会", f"{R}团委"]),
    ("（五）", "二、全力稳定就业岗位", "稳定重点群体就业", f"{R}人力资源社会保障厅",
     [f"{R}教育厅", f"{R}农牧厅", f"{R}退役军人事务厅", f"{R}团委", f"{R}残联", f"{R}妇联"]),
    ("（六）", "三、全力扩大就业容量", "加力投资项目建设带动就业", f"{R}发展改革委",
     [f"{R}商务厅", f"{R}农牧厅", f"{R}交通运输厅", f"{R}住房城乡建设厅", f"{R}应急管理厅",
      f"{R}能源局", f"{R}林草局", f"{R}水利厅", f"{R}人力资源社会保障厅"]),
    ("（七）", "三、全力扩大就业容量", "发展新质生产力创造就业", f"{R}工业和信息化厅",
     [f"{R}发展改革委", f"{R}政务服务与数据管理局", f"{R}能源局", f"{R}人力资源社会保障厅"]),
    ("（八）", "三、全力扩大就业容量", "拓展消费领域就业空间", f"{R}人力资源社会保障厅",
     [f"{R}发展改革委", f"{R}商务厅", f"{R}文化和旅游厅", f"{R}民政厅", f"{R}体育局",
      f"{R}团委", "各行业主管部门"]),
    ("（九）", "三、全力扩大就业容量", "扩大民生服务领域就业容量", f"{R}人力资源社会保障厅",
     [f"{R}发展改革委", f"{R}商务厅", f"{R}教育厅", f"{R}民政厅", f"{R}卫生健康委",
      f"{R}总工会", f"{R}妇联"]),
    ("（十）", "三、全力扩大就业容量", "提升区域协调发展就业承载力", f"{R}人力资源社会保障厅",
     [f"{R}发展改革委", f"{R}工业和信息化厅", f"{R}文化和旅游厅", f"{R}农牧厅"]),
    ("（十一）", "三、全力扩大就业容量", "释放创业带动就业活力", f"{R}人力资源社会保障厅",
     [f"{R}科技厅", f"{R}农牧厅", f"{R}教育厅", f"{R}退役军人事务厅", f"{R}团委",
      "中国人民银行内蒙古自治区分行"]),
    ("（十二）", "三、全力扩大就业容量", "大力发展人力资源服务业", f"{R}人力资源社会保障厅", []),
    ("（十三）", "四、全力提升就业质量", "着力推动职业技能提升", f"{R}人力资源社会保障厅",
     [f"{R}发展改革委", f"{R}工业和信息化厅", f"{R}农牧厅", f"{R}教育厅", f"{R}交通运输厅",
      f"{R}政务服务与数据管理局", f"{R}团委"]),
    ("（十四）", "四、全力提升就业质量", "着力优化高品质服务供给", f"{R}人力资源社会保障厅",
     [f"{R}教育厅"]),
    ("（十五）", "四、全力提升就业质量", "着力促进劳动者就业增收", f"{R}人力资源社会保障厅",
     [f"{R}总工会", f"{R}工商联"]),
    ("（十六）", "四、全力提升就业质量", "着力保障劳动者权益", f"{R}人力资源社会保障厅",
     [f"{R}党委社会工作部", f"{R}党委网信办", f"{R}教育厅", f"{R}公安厅", f"{R}市场监管局",
      f"{R}总工会", f"{R}团委", "国家税务总局内蒙古税务局"]),
    ("（十七）", "五、抓好组织实施", "加强部署推进", GROUP, None),
    ("（十八）", "五、抓好组织实施", "加强宣传引导", GROUP, None),
]


@pytest.fixture(scope="module")
def plan():
    return parse_plan(decode_document(SEED.read_bytes()))


def test_document_fields(plan):
    assert plan.title == "内蒙古自治区稳岗扩容提质工程实施方案"
    assert plan.issuer == "内蒙古自治区就业促进和劳动保护工作领导小组"
    assert plan.issued_on == date(2026, 5, 9)
    assert plan.doc_number is None
    assert any("document number" in w for w in plan.warnings)
    assert plan.natural_key() == (
        "内蒙古自治区就业促进和劳动保护工作领导小组|内蒙古自治区稳岗扩容提质工程实施方案|2026-05-09"
    )


def test_plan_level_targets(plan):
    jobs, unemployment = (t.to_json() for t in plan.targets)
    assert jobs == {
        "indicator": "城镇新增就业", "value": 900000, "measure": "人", "comparator": ">=",
        "period": {"from": "2026-01-01", "to": "2030-12-31", "per": "total"},
        "text": "“十五五”期间城镇新增就业90万人以上",
    }
    assert unemployment["indicator"] == "城镇调查失业率"
    assert (unemployment["value"], unemployment["measure"], unemployment["comparator"]) == (
        5.7, "%", "~")
    assert unemployment["period"] == {"from": "2026-01-01", "to": "2030-12-31", "per": "year"}


def test_eighteen_tasks_in_order(plan):
    assert [t.number for t in plan.tasks] == [e[0] for e in EXPECTED]
    assert [t.ordinal for t in plan.tasks] == list(range(1, 19))


@pytest.mark.parametrize("expected", EXPECTED, ids=[e[0] for e in EXPECTED])
def test_task_units(plan, expected):
    number, section, title, lead, co = expected
    task = plan.task(number)
    assert task.section == section
    assert task.title == title
    assert task.lead == (lead,)
    if co is None:  # the leading group: its known members, then the leagues and cities
        members = [u.name for u in UnitRegistry.load_default().members_of(GROUP)]
        co = members
    assert list(task.co_units) == co + LEAGUES
    assert task.text.startswith(title + "。")
    assert "（自治区" not in task.text and "不再列出" not in task.text


def test_unit_kinds(plan):
    kinds = {u.name: u.kind for t in plan.tasks for u in t.units}
    assert kinds["自治区党委组织部"] == "party_organ"
    assert kinds["自治区党委机构编制委员会办公室"] == "party_organ"
    assert kinds["国家税务总局内蒙古税务局"] == "central_branch"
    assert kinds["各产业链牵头单位"] == "group"
    assert kinds[GROUP] == "group"
    assert kinds["兴安盟"] == "league_city"
    assert kinds["自治区团委"] == "department"


def test_task_targets(plan):
    got = {t.number: [x.to_json() for x in t.targets] for t in plan.tasks if t.targets}
    assert set(got) == {"（九）", "（十一）", "（十三）"}
    five_years = {"from": "2026-01-01", "to": "2030-12-31"}
    training, loans = got["（十一）"]
    assert (training["indicator"], training["value"], training["measure"], training["comparator"]) \
        == ("创业培训", 20000, "人", ">=")
    assert training["period"] == {**five_years, "per": "year"}
    assert training["text"] == "每年组织开展创业培训2万人以上"
    assert (loans["indicator"], loans["value"], loans["measure"], loans["comparator"]) \
        == ("创业担保贷款", 1_000_000_000, "元", ">=")
    assert loans["period"] == {**five_years, "per": "year"}
    assert loans["text"] == "发放创业担保贷款10亿元以上"
    (skills,) = got["（十三）"]
    assert (skills["value"], skills["measure"], skills["comparator"]) == (500000, "人次", ">=")
    assert skills["period"] == {**five_years, "per": "total"}
    (kindergarten,) = got["（九）"]
    assert (kindergarten["indicator"], kindergarten["value"], kindergarten["measure"],
            kindergarten["comparator"]) == ("普惠性幼儿园覆盖率", 93, "%", ">=")


def test_policy_parameters_are_not_targets(plan):
    assert plan.task("（一）").targets == ()  # 减按90%计入, 政策执行至2027年底


def test_reporting_duties(plan):
    duties = {d.slug: d for d in plan.obligations}
    quarterly = duties["implementation-report-quarterly"]
    annual = duties["implementation-report-annual"]
    monthly = duties["monthly-summary"]
    assert (quarterly.cadence, quarterly.due_workday, quarterly.period_indices) == (
        "quarterly", 5, (1, 2, 3))
    assert (annual.cadence, annual.due_workday) == ("annual", 5)
    for duty in (quarterly, annual):
        assert duty.scope == "plan"
        assert duty.report_to == "自治区就业促进和劳动保护工作领导小组办公室"
        assert duty.stated_in == "（十七）"
        assert duty.audience["scope"] == "all_assignments"
    assert monthly.cadence == "monthly"
    assert monthly.audience["description"] == "各级人力资源社会保障部门"
    assert monthly.audience["units"] == ["自治区人力资源社会保障厅"]
    assert monthly.report_to == "上级人力资源社会保障部门"
    assert not any(d.default for d in plan.obligations)


def test_json_contract(plan):
    data = plan.to_json()
    assert set(data) >= {"plan", "tasks", "obligations", "warnings"}
    assert set(data["plan"]) >= {"title", "doc_number", "issued_on", "issuer", "targets"}
    task = data["tasks"][0]
    assert set(task) >= {"number", "ordinal", "section", "title", "text", "units", "targets"}
    assert set(task["units"][0]) == {"name", "role", "kind"}
    assert data["plan"]["issued_on"] == "2026-05-09"
    assert len(data["plan"]["source_sha256"]) == 64
