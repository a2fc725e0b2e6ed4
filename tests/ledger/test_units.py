"""The unit registry: aliases, prefixes, kinds, groups, the twelve leagues and cities."""

from __future__ import annotations

import pytest

from ledger.errors import ConfigurationError
from ledger.units import UnitRegistry, guess_kind


@pytest.fixture(scope="module")
def registry():
    return UnitRegistry.load_default()


@pytest.mark.parametrize(
    ("a", "b", "canonical"),
    [
        ("人力资源社会保障厅", "人力资源和社会保障厅", "自治区人力资源社会保障厅"),
        ("科技厅", "科学技术厅", "自治区科技厅"),
        ("住房城乡建设厅", "住房和城乡建设厅", "自治区住房城乡建设厅"),
        ("国资委", "国有资产监督管理委员会", "自治区国资委"),
        ("党委编办", "机构编制委员会办公室", "自治区党委机构编制委员会办公室"),
        ("内蒙古税务局", "国家税务总局内蒙古税务局", "国家税务总局内蒙古税务局"),
        ("人民银行内蒙古分行", "中国人民银行内蒙古自治区分行", "中国人民银行内蒙古自治区分行"),
        ("社会工作部", "党委社会工作部", "自治区党委社会工作部"),
        ("网信办", "党委网信办", "自治区党委网信办"),
        ("林业和草原局", "林草局", "自治区林草局"),
    ],
)
def test_alias_pairs_resolve_to_one_unit(registry, a, b, canonical):
    assert registry.resolve(a).name == registry.resolve(b).name == canonical


@pytest.mark.parametrize(
    "name", ["自治区人力资源社会保障厅", "内蒙古自治区人力资源和社会保障厅", "人力资源社会保障厅"]
)
def test_home_prefixes_are_tolerated(registry, name):
    assert registry.resolve(name).name == "自治区人力资源社会保障厅"


def test_another_jurisdiction_is_not_the_home_unit(registry):
    assert registry.resolve("省财政厅") is None
    assert registry.resolve("河北省人力资源社会保障厅") is None


def test_party_organs(registry):
    for name in ("党委组织部", "机构编制委员会办公室", "社会工作部", "网信办", "党委金融办"):
        assert registry.is_party_organ(name), name
    for name in ("商务厅", "市场监管局", "团委", "国家税务总局内蒙古税务局"):
        assert not registry.is_party_organ(name), name


def test_leagues_and_cities_in_official_order(registry):
    assert [u.name for u in registry.leagues_and_cities()] == [
        "呼和浩特市", "包头市", "呼伦贝尔市", "兴安盟", "通辽市", "赤峰市",
        "锡林郭勒盟", "乌兰察布市", "鄂尔多斯市", "巴彦淖尔市", "乌海市", "阿拉善盟",
    ]
    assert registry.resolve("兴安盟行政公署").name == "兴安盟"


def test_leading_group_members(registry):
    group = registry.resolve("领导小组各成员单位")
    assert group.kind == "group"
    members = [u.name for u in registry.members_of(group.name)]
    assert "自治区人力资源社会保障厅" in members and "自治区总工会" in members
    assert len(members) == len(set(members))
    assert all(registry.resolve(m) is not None for m in members)


def test_every_unit_has_a_known_kind(registry):
    kinds = {u.kind for u in registry}
    assert kinds == {"department", "party_organ", "central_branch", "league_city", "group"}


def test_adding_units_and_aliases_does_not_touch_the_default():
    registry = UnitRegistry.load_default()
    copy = registry.copy()
    copy.add("自治区统计调查队", "central_branch", aliases=["统计调查队"])
    copy.add_alias("人力资源社会保障厅", "人社部门")
    assert copy.resolve("统计调查队").name == "自治区统计调查队"
    assert copy.resolve("人社部门").name == "自治区人力资源社会保障厅"
    assert registry.resolve("统计调查队") is None
    assert UnitRegistry.from_dict(copy.to_dict()).resolve("人社部门") is not None


def test_bad_edits_are_refused(registry):
    with pytest.raises(ConfigurationError):
        registry.copy().add("某厅", "ministry")
    with pytest.raises(ConfigurationError):
        registry.copy().add_alias("不存在的单位", "别名")


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("省财政厅", "department"),
        ("省委宣传部", "party_organ"),
        ("国家税务总局河北省税务局", "central_branch"),
        ("人民银行河北省分行", "central_branch"),
        ("各有关部门", "group"),
        ("石家庄市", "league_city"),
    ],
)
def test_guess_kind(name, kind):
    assert guess_kind(name) == kind
