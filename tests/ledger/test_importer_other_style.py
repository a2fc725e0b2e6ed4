"""A third plan in another province's conventions, so the importer is not tuned to two files.

``tests/fixtures/plans/other_province.txt`` is written for this test: 省…厅 units, the
standing rule ``（…等负责，列第一位者为牵头单位，下同）``, ``1．`` numbering inside
``（一）`` sections, a task without units that inherits ``下同``, a ``完成时限：…。``
clause, a bare ``责任单位：`` line after a paragraph, marked roles (``…牵头，…配合``),
half-width brackets and colons. The same text is also kept as a Traditional-character
copy and a GB18030-encoded copy.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ledger.importer import decode_document, parse_plan
from ledger.importer.text import to_simplified

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "plans"
UTF8 = FIXTURES / "other_province.txt"
TRADITIONAL = FIXTURES / "other_province_traditional.txt"
GB18030 = FIXTURES / "other_province_gb18030.txt"

STANDING = ["省发展改革委", "省工业和信息化厅", "省人力资源社会保障厅", "省财政厅"]


@pytest.fixture(scope="module")
def plan():
    return parse_plan(decode_document(UTF8.read_bytes()))


def _summary(parsed):
    return [
        (t.number, t.section, t.title, [(u.name, u.role, u.kind) for u in t.units],
         [x.to_json() for x in t.targets])
        for t in parsed.tasks
    ]


def test_document_fields(plan):
    assert plan.title == "河北省促进高质量充分就业行动方案"
    assert plan.issuer == "河北省人民政府办公厅"
    assert plan.doc_number == "冀政办字〔2025〕12号"  # printed as 冀政办字[2025]12 号
    assert plan.issued_on == date(2025, 3, 20)


def test_numbering_inside_sections(plan):
    assert [t.number for t in plan.tasks] == ["1", "2", "3", "4", "5", "6"]
    sections = ["（一）拓宽就业渠道"] * 3 + ["（二）强化技能培训"] * 3
    assert [t.section for t in plan.tasks] == sections


def test_standing_rule_and_inheritance(plan):
    first = plan.task("1")
    assert [u.name for u in first.units] == STANDING
    assert first.lead == ("省发展改革委",)
    assert "列第一位者" not in first.text
    # task 4 names no units: it inherits the list marked 下同
    assert [(u.name, u.role) for u in plan.task("4").units] == [
        (u.name, u.role) for u in first.units
    ]


def test_half_width_brackets_and_central_branches(plan):
    task = plan.task("2")
    assert [(u.name, u.kind) for u in task.units] == [
        ("省工业和信息化厅", "department"),
        ("省财政厅", "department"),
        ("国家税务总局河北省税务局", "central_branch"),
        ("人民银行河北省分行", "central_branch"),
    ]
    assert task.targets == ()  # 每人1500元一次性扩岗补助 is a subsidy, not a target


def test_deadline_clause_before_units(plan):
    task = plan.task("3")
    assert task.deadline is not None
    assert task.deadline.text == "2025年12月底前"
    assert task.deadline.on == date(2025, 12, 31)
    assert "完成时限" not in task.text
    assert [u.name for u in task.units] == ["省人力资源社会保障厅", "省民政厅", "各市政府"]
    (target,) = task.targets
    assert (target.value, target.measure, target.comparator, target.period.per) == (
        20000, "个", "~", "year")


def test_bare_unit_line_after_paragraph(plan):
    task = plan.task("5")
    assert [(u.name, u.role) for u in task.units] == [
        ("省人力资源社会保障厅", "lead"), ("省教育厅", "co")]
    assert "责任单位" not in task.text
    assert task.text.endswith("至少建设1个零工市场。")


def test_marked_roles_and_party_prefix(plan):
    task = plan.task("6")
    assert [(u.name, u.role, u.kind) for u in task.units] == [
        ("省委社会工作部", "lead", "party_organ"),
        ("省委宣传部", "lead", "party_organ"),  # 省委 carries to the next Party organ
        ("省人力资源社会保障厅", "lead", "department"),
        ("省总工会", "co", "department"),
        ("省公安厅", "co", "department"),
    ]


def test_other_jurisdiction_units_are_new_and_warned(plan):
    new = {u.name for u in plan.new_units}
    assert "省财政厅" in new and "省委宣传部" in new
    assert any("省财政厅" in w and "not in the unit registry" in w for w in plan.warnings)
    # never silently mapped to the home registry's 自治区 units
    names = {u.name for t in plan.tasks for u in t.units}
    assert not any(name.startswith("自治区") for name in names)


def test_plan_targets_and_horizon(plan):
    jobs, rate = plan.targets
    assert (jobs.value, jobs.comparator, jobs.period.to, jobs.period.per) == (
        2_600_000, ">=", "2027-12-31", "total")
    assert (rate.value, rate.comparator, rate.period.per) == (5.5, "<=", "year")
    training = plan.task("4").targets[0]
    assert training.indicator == "补贴性职业技能培训"
    assert (training.value, training.measure, training.period.per) == (400000, "人次", "year")


def test_stated_monthly_duty_replaces_the_default(plan):
    (duty,) = plan.obligations
    assert (duty.cadence, duty.due_workday, duty.report_to) == (
        "monthly", 3, "省就业工作领导小组办公室")
    assert not duty.default


def test_traditional_copy_parses_the_same(plan):
    raw = TRADITIONAL.read_text("utf-8")
    assert "責任單位" in raw and "廳" in raw
    assert _summary(parse_plan(raw)) == _summary(plan)


def test_gb18030_copy_parses_the_same(plan):
    data = GB18030.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert _summary(parse_plan(decode_document(data))) == _summary(plan)


def test_to_simplified_unit_words():
    assert to_simplified("責任單位：自治區人力資源社會保障廳、黨委組織部、總工會、婦聯、殘聯") == (
        "责任单位：自治区人力资源社会保障厅、党委组织部、总工会、妇联、残联"
    )
    assert to_simplified("發展改革委、農牧廳、衛生健康委、教育廳、辦公室、財政廳") == (
        "发展改革委、农牧厅、卫生健康委、教育厅、办公室、财政厅"
    )


def test_plan_without_duties_gets_the_default():
    text = "\n".join([
        "某省示范行动方案",
        "一、重点任务",
        "（一）推进示范建设。建设示范项目。（省发展改革委、省财政厅）",
    ])
    parsed = parse_plan(text)
    (duty,) = parsed.obligations
    assert duty.default and duty.slug == "monthly-progress"
    assert (duty.cadence, duty.due_workday, duty.scope) == ("monthly", 5, "plan")
