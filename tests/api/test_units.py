"""GET /units/{id} and PUT /units/{id}/contact, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from uuid import UUID

import pytest

from ledger.acts import Act
from ledger.unit import Unit
from tests.api.conftest import HR, Seeded

V1 = "/api/v1"
CONTACT = {"name": "王联络", "phone": "0471-6666666", "email": "wang@rst.nmg.gov.cn",
           "webhook": "https://sms.example.test/hook?unit=hr"}


def get(api: Seeded, path: str, role: str = "office"):
    return api.client.get(V1 + path.format(**api.ids), headers=api.headers(role))


def put(api: Seeded, path: str, body: object, role: str = "office"):
    return api.client.put(V1 + path.format(**api.ids), json=body, headers=api.headers(role))


def liaison_events(api: Seeded) -> list:
    ledger = api.app.extensions["taskledger"].ledger
    return [r.event for r in ledger.records() if isinstance(r.event, Unit.LiaisonAssigned)]


def position(api: Seeded) -> int:
    return api.app.extensions["taskledger"].ledger.position()


def test_read_a_unit_and_replace_its_contact(api: Seeded) -> None:
    unit = get(api, "/units/{unit}").json
    assert unit["unit_id"] == api.ids["unit"] and unit["name"] == HR
    assert unit["kind"] == "department" and unit["contact"] is None
    assert isinstance(unit["aliases"], list) and isinstance(unit["position"], int)

    written = put(api, "/units/{unit}/contact", CONTACT)
    assert written.status_code == 200, written.json
    assert written.json["contact"] == CONTACT
    assert int(written.headers["Ledger-Position"]) == position(api)
    assert written.json["position"] == position(api)
    (event,) = liaison_events(api)
    assert event.liaison == CONTACT and event.actor_role == "office"

    # the liaison reads its own unit's contact; the auditor reads any
    assert get(api, "/units/{unit}", "liaison").json["contact"] == CONTACT
    assert get(api, "/units/{unit}", "auditor").json == written.json

    # the same contact again writes nothing
    again = put(api, "/units/{unit}/contact", CONTACT)
    assert again.status_code == 200 and again.json == written.json
    assert again.headers["Ledger-Position"] == written.headers["Ledger-Position"]
    assert len(liaison_events(api)) == 1

    # PUT replaces the whole contact: fields left out, null or "" are cleared
    renamed = put(api, "/units/{unit}/contact", {"name": "李联络", "email": CONTACT["email"]})
    assert renamed.json["contact"] == {"name": "李联络", "phone": None,
                                       "email": CONTACT["email"], "webhook": None}
    cleared = put(api, "/units/{unit}/contact",
                  {"name": "李联络", "phone": None, "email": "", "webhook": None})
    assert cleared.json["contact"] == {"name": "李联络", "phone": None, "email": None,
                                       "webhook": None}
    assert [e.liaison["email"] for e in liaison_events(api)] == [
        CONTACT["email"], CONTACT["email"], ""]  # every earlier contact stays in the ledger
    store = api.app.extensions["taskledger"].store
    row = store.query("SELECT liaison FROM {s}rm_units WHERE unit_id = ?", [api.ids["unit"]])
    assert json.loads(row[0]["liaison"]) == {"name": "李联络", "phone": "", "email": "",
                                             "webhook": ""}


def test_a_liaison_reads_only_its_own_unit(api: Seeded) -> None:
    put(api, "/units/{unit}/contact", CONTACT)
    other = get(api, "/units/{unit}", "other_liaison")
    assert other.status_code == 403 and other.mimetype == "application/problem+json"
    text = other.get_data(as_text=True)
    assert "王联络" not in text and "人力资源" not in text
    finance = api.client.get(V1 + "/units/" + _finance(api), headers=api.headers("liaison"))
    assert finance.status_code == 403
    refused = put(api, "/units/{unit}/contact", CONTACT, "liaison")
    assert refused.status_code == 403


def _finance(api: Seeded) -> str:
    svc = api.app.extensions["taskledger"]
    return svc.tokens.authenticate(api.tokens["other_liaison"], svc.clock.now()).unit_id


def test_unknown_units_are_404(api: Seeded) -> None:
    nobody = uuid.uuid4()
    for response in (get(api, f"/units/{nobody}"),
                     put(api, f"/units/{nobody}/contact", {"name": "王"}),
                     put(api, "/units/{plan}/contact", {"name": "王"})):  # a plan's id
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"
        assert response.json["status"] == 404
    assert get(api, "/units/not-a-uuid").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"phone": "0471-6666666"}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": None}, "name"),
        ({"name": 7}, "name"),
        ({"name": "王\n联络"}, "name"),
        ({"name": "王", "fax": "0471"}, "fax"),
        ({"name": "王", "email": "wang"}, "email"),
        ({"name": "王", "email": "a@b.cn, c@d.cn"}, "email"),
        ({"name": "王", "email": "a@b.cn\r\nBcc: all@example.test"}, "email"),
        ({"name": "王", "phone": "call me"}, "phone"),
        ({"name": "王", "phone": "1" * 33}, "phone"),
        ({"name": "王", "webhook": "javascript:alert(1)"}, "webhook"),
        ({"name": "王", "webhook": "file:///etc/passwd"}, "webhook"),
        ({"name": "王", "webhook": "https://user:pw@example.test/"}, "webhook"),
        ({"name": "王", "webhook": "https:///no-host"}, "webhook"),
        ({"name": "王", "webhook": "https://example.test/" + "a" * 2000}, "webhook"),
        ({"name": "王", "webhook": ["https://example.test/"]}, "webhook"),
        ({"name": "王\u200b"}, "name"),
    ],
)
def test_bad_contacts_are_422_naming_the_field_and_write_nothing(
    sqlite_api: Seeded, body, field
) -> None:
    before = position(sqlite_api)
    response = put(sqlite_api, "/units/{unit}/contact", body)
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert field in response.json["errors"], response.json
    assert position(sqlite_api) == before


@pytest.mark.parametrize("raw", ['{"name": "\\ud800"}', '{"name": "王", "email": "a\\udfff@b.cn"}'])
def test_lone_surrogates_are_refused(sqlite_api: Seeded, raw: str) -> None:
    before = position(sqlite_api)
    response = sqlite_api.client.put(
        V1 + "/units/{unit}/contact".format(**sqlite_api.ids), data=raw,
        headers={**sqlite_api.headers("office"), "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert position(sqlite_api) == before


def test_the_body_must_be_json(sqlite_api: Seeded) -> None:
    response = sqlite_api.client.put(
        V1 + "/units/{unit}/contact".format(**sqlite_api.ids), data="name=王",
        headers={**sqlite_api.headers("office"), "Content-Type": "text/plain"},
    )
    assert response.status_code == 415


def test_a_contact_recorded_before_webhooks_reads_as_none(api: Seeded) -> None:
    """An event written by the earlier code: name, phone and email only."""
    ledger = api.app.extensions["taskledger"].ledger
    unit = ledger.get_unit(UUID(api.ids["unit"]))
    old = {"name": "王联络", "phone": "0471-6666666", "email": "wang@rst.nmg.gov.cn"}
    unit.trigger_event(Unit.LiaisonAssigned,
                       **Act.by(ledger.clock, "earlier", "office").event_fields(), liaison=old)
    ledger.commit(unit)
    read = get(api, "/units/{unit}", "liaison")
    assert read.status_code == 200
    assert read.json["contact"] == {**old, "webhook": None}
    # putting the same contact back records nothing; adding a webhook does
    same = put(api, "/units/{unit}/contact", old)
    assert same.json["contact"] == {**old, "webhook": None}
    assert len(liaison_events(api)) == 1
    added = put(api, "/units/{unit}/contact", {**old, "webhook": CONTACT["webhook"]})
    assert added.json["contact"]["webhook"] == CONTACT["webhook"]
    assert len(liaison_events(api)) == 2
