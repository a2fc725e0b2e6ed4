"""Units: the registry (aliases, prefixes, kinds, groups, the twelve leagues and
cities), and a unit's contact (联络员): what is refused, replaced, kept and read back."""

from __future__ import annotations

import json

import pytest

from ledger.acts import Act
from ledger.application import Ledger, open_ledger
from ledger.errors import ConfigurationError, InvalidInput, UnknownUnit
from ledger.ids import unit_id
from ledger.unit import Unit
from ledger.units import UnitRegistry, guess_kind
from ledger.validation import clean_contact, clean_email, clean_phone, clean_webhook
from projections import lookup, queries
from projections.db import ReadStore
from projections.projector import Projector
from tests.ledger.world import EDU, HR, build_world


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


# ---- a unit's contact ------------------------------------------------------------------
CONTACT = {"name": "王联络", "phone": "0471-6666666", "email": "wang@jyt.nmg.gov.cn",
           "webhook": "https://sms.example.test/hook?unit=edu"}


@pytest.mark.parametrize(
    "email",
    ["wang@jyt.nmg.gov.cn", "a.b+tag@example.test", "王伟@例子.中国", "x@sub-domain.example.org"],
)
def test_plausible_emails_are_kept_as_given(email):
    assert clean_email(f"  {email} ") == email


@pytest.mark.parametrize(
    "email",
    [
        "wang",  # no @
        "wang@localhost",  # no dotted domain
        "a@@b.cn", "a@b@c.cn",  # more than one @
        "wang @jyt.gov.cn", "wang\u3000@jyt.gov.cn",  # spaces, ideographic too
        "a@b.cn,c@d.cn", "a@b.cn;c@d.cn", "王 <a@b.cn>", '"a"@b.cn',  # lists, display names
        "a@b.cn\r\nBcc: everyone@example.test",  # header injection
        "a\x00@b.cn", "a\u200b@b.cn", "a@b.cn\u202e",  # control, zero-width, bidi
        "a\ud800@b.cn",  # lone surrogate
        ".a@b.cn", "a.@b.cn", "a..b@c.cn", "a@b..cn", "a@-b.cn", "a@b.cn.", "a@1.2.3.4",
        "x" * 250 + "@b.cn",  # over 254
    ],
)
def test_implausible_emails_are_refused(email):
    with pytest.raises(InvalidInput) as refused:
        clean_email(email)
    assert refused.value.field == "email"


@pytest.mark.parametrize(
    ("phone", "kept"),
    [
        ("0471-6666666", "0471-6666666"),
        ("+86 (471) 666 6666", "+86 (471) 666 6666"),
        ("０４７１－６６６６６６６", "0471-6666666"),  # typed with a Chinese input method
        ("（0471）6666666", "(0471)6666666"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_phones(phone, kept):
    assert clean_phone(phone) == kept


@pytest.mark.parametrize(
    "phone",
    ["12", "abc", "0471-666666 转 8", "86+0471", "++86 471", "0471\t6666", "0471\n6666",
     "1" * 33, "0471\ud8006666", "0471\u200b6666", "tel:04716666666"],
)
def test_bad_phones_are_refused(phone):
    with pytest.raises(InvalidInput) as refused:
        clean_phone(phone)
    assert refused.value.field == "phone"


@pytest.mark.parametrize(
    "url",
    ["https://sms.example.test/hook", "http://10.0.0.5:8080/notify?unit=1",
     "http://[2001:db8::1]:9000/x", "http://sms_gateway/hook", "HTTPS://WeCom.Example.test/"],
)
def test_webhooks_are_kept_as_given(url):
    assert clean_webhook(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)", "JavaScript://example.test/%0Aalert(1)", "file:///etc/passwd",
        "data:text/plain,hi", "ftp://example.test/", "mailto:a@b.cn", "gopher://x.test/",
        "//example.test/hook", "/hook", "example.test/hook",  # not absolute
        "https://", "https:///hook", "http:example.test",  # no host
        "https://user:secret@example.test/", "https://user@example.test/",  # credentials
        "http://evil.test\\@good.test/", "http://exa mple.test/",
        "http://example.test:0/", "http://example.test:99999/", "http://example.test:x/",
        "http://[zz]/", "http://[::1/", "http://a..b/", "http://-a.test/",
        "https://例子.中国/hook", "https://example.test/路径",  # not ASCII
        "https://example.test/\nX-Injected: 1", "https://example.test/\x7f",
        "https://example.test/\ud800", "https://example.test/\u200b",
        "https://example.test/" + "a" * 2000,
    ],
)
def test_unusable_webhooks_are_refused(url):
    with pytest.raises(InvalidInput) as refused:
        clean_webhook(url)
    assert refused.value.field == "webhook"


@pytest.mark.parametrize(
    ("contact", "field"),
    [
        ({"phone": "0471-6666666"}, "name"),
        ({"name": "  "}, "name"),
        ({"name": "\u200b"}, "name"),
        ({"name": "王\n联络"}, "name"),
        ({"name": "王\udc00"}, "name"),
        ({"name": "王" * 201}, "name"),
        ({"name": 12}, "name"),
        ({"name": "王", "email": ["a@b.cn"]}, "email"),
        ({"name": "王", "fax": "123"}, "fax"),
    ],
)
def test_bad_contacts_are_refused_with_the_field_named(contact, field):
    with pytest.raises(InvalidInput) as refused:
        clean_contact(contact)
    assert refused.value.field == field


def _office(ledger: Ledger) -> Act:
    return Act.by(ledger.clock, "office-clerk", "office")


def _read_model(ledger: Ledger, store_config) -> ReadStore:
    store = ReadStore(store_config, create_tables=True)
    Projector(ledger, store).catch_up()
    return store


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", ""), ("email", "a@b"), ("phone", "call me"), ("webhook", "javascript:alert(1)"),
     ("webhook", "file:///etc/passwd"), ("email", "a\ud800@b.cn"), ("name", "王\x1b[2J")],
)
def test_a_refused_contact_writes_nothing(ledger: Ledger, field, value) -> None:
    world = build_world(ledger)
    ledger.assign_liaison(_office(ledger), world.units[EDU], **CONTACT)
    before = ledger.position()
    with pytest.raises(InvalidInput) as refused:
        ledger.assign_liaison(_office(ledger), world.units[EDU], **{**CONTACT, field: value})
    assert refused.value.field == field
    with pytest.raises(InvalidInput):
        ledger.update_liaison(_office(ledger), world.units[EDU], **{field: value})
    assert ledger.position() == before
    assert ledger.get_unit(world.units[EDU]).contact == CONTACT


def test_assigning_replaces_the_whole_contact_and_the_same_again_writes_nothing(
    ledger: Ledger, store_config
) -> None:
    world = build_world(ledger)
    first = ledger.assign_liaison(_office(ledger), world.units[EDU], **CONTACT)
    assert first.created and first.event_id is not None and first.position is not None
    again = ledger.assign_liaison(_office(ledger), world.units[EDU], **CONTACT)
    assert not again.created and again.event_id is None and again.position is None
    assert ledger.position() == first.position
    # spelt with spaces around, it is the same contact
    padded = {k: f" {v} " for k, v in CONTACT.items()}
    assert not ledger.assign_liaison(_office(ledger), world.units[EDU], **padded).created

    replaced = ledger.assign_liaison(_office(ledger), world.units[EDU], name="李联络",
                                     email="li@jyt.nmg.gov.cn")
    assert replaced.created
    assert ledger.get_unit(world.units[EDU]).contact == {
        "name": "李联络", "phone": "", "email": "li@jyt.nmg.gov.cn", "webhook": ""}
    events = [r.event for r in ledger.records() if isinstance(r.event, Unit.LiaisonAssigned)]
    assert [e.liaison["name"] for e in events] == ["王联络", "李联络"]  # history stays
    assert events[0].liaison == CONTACT and events[0].actor == "office-clerk"


def test_updating_changes_only_the_fields_given(ledger: Ledger) -> None:
    world = build_world(ledger)
    edu = world.units[EDU]
    with pytest.raises(InvalidInput, match="needs a name") as refused:
        ledger.update_liaison(_office(ledger), edu, email="wang@jyt.nmg.gov.cn")
    assert refused.value.field == "name"
    assert ledger.update_liaison(_office(ledger), edu, name="王联络", phone="0471-6666666").created
    ledger.update_liaison(_office(ledger), edu, webhook=CONTACT["webhook"])
    assert ledger.get_unit(edu).contact == {**CONTACT, "email": ""}
    assert ledger.update_liaison(_office(ledger), edu, phone="").created  # "" clears
    assert ledger.get_unit(edu).contact == {**CONTACT, "email": "", "phone": ""}
    assert not ledger.update_liaison(_office(ledger), edu, phone="").created
    with pytest.raises(InvalidInput, match="needs a name"):
        ledger.update_liaison(_office(ledger), edu, name="")


def test_unknown_unit(ledger: Ledger) -> None:
    world = build_world(ledger)
    before = ledger.position()
    with pytest.raises(UnknownUnit):
        ledger.assign_liaison(_office(ledger), unit_id("自治区无此厅"), name="王")
    with pytest.raises(UnknownUnit):  # the id of a plan, not of a unit
        ledger.update_liaison(_office(ledger), world.plan, name="王")
    assert ledger.position() == before


def test_a_contact_recorded_before_webhooks_reads_as_no_webhook(
    ledger: Ledger, store_config
) -> None:
    """Events written by the earlier code hold name, phone and email only."""
    world = build_world(ledger)
    edu = world.units[EDU]
    unit = ledger.get_unit(edu)
    old = {"name": "王联络", "phone": "", "email": "wang@jyt.nmg.gov.cn"}
    unit.trigger_event(Unit.LiaisonAssigned, **_office(ledger).event_fields(), liaison=old)
    ledger.commit(unit)

    fresh = open_ledger(store_config, clock=ledger.clock)  # replays the stored event
    stored = fresh.get_unit(edu)
    assert stored.liaison == old and stored.liaison.get("webhook") is None
    assert stored.contact == {**old, "webhook": ""}
    # the same contact, now with "no webhook" spelt out, is nothing new
    assert not fresh.assign_liaison(_office(fresh), edu, **old).created
    assert not fresh.update_liaison(_office(fresh), edu, webhook="").created
    record = queries.unit_record(_read_model(fresh, store_config), str(edu))
    assert record.contact == {**old, "webhook": ""}
    assert record.to_json()["contact"] == {"name": "王联络", "phone": None,
                                           "email": "wang@jyt.nmg.gov.cn", "webhook": None}
    assert fresh.update_liaison(_office(fresh), edu, webhook=CONTACT["webhook"]).created
    assert fresh.get_unit(edu).contact == {**old, "webhook": CONTACT["webhook"]}
    fresh.close()


def test_the_read_model_carries_the_webhook(ledger: Ledger, store_config) -> None:
    world = build_world(ledger)
    store = _read_model(ledger, store_config)
    assert queries.unit_record(store, str(world.units[EDU])).contact is None
    receipt = ledger.assign_liaison(_office(ledger), world.units[EDU], **CONTACT)
    Projector(ledger, store).catch_up()
    row = store.query("SELECT liaison, position FROM {s}rm_units WHERE unit_id = ?",
                      [str(world.units[EDU])])[0]
    assert json.loads(row["liaison"]) == CONTACT  # the outbox reads email and webhook here
    assert row["position"] == receipt.position
    def find_unit(reference: str) -> queries.UnitRecord:
        return queries.unit_record(store, lookup.resolve_unit(store, reference).unit_id)

    record = find_unit("教育厅")  # any spelling the registry knows
    assert record.unit_id == str(world.units[EDU]) and record.name == EDU
    assert record.contact == CONTACT and record.position == receipt.position
    assert find_unit(str(world.units[EDU]).upper()) == record
    assert queries.unit_record(store, str(world.units[HR])).contact is None
    with pytest.raises(UnknownUnit):
        find_unit("无此单位")


def test_a_stale_cached_contact_never_skips_a_change(ledger: Ledger, store_config) -> None:
    """Another process caches contact A; this one sets B; setting A there must write."""
    world = build_world(ledger)
    edu = world.units[EDU]
    other = open_ledger(store_config, clock=ledger.clock)
    other.assign_liaison(_office(other), edu, **CONTACT)  # cached there as CONTACT
    ledger.assign_liaison(_office(ledger), edu, name="李联络")
    assert other.assign_liaison(_office(other), edu, **CONTACT).created
    assert ledger.get_unit(edu).contact == CONTACT
    other.close()
