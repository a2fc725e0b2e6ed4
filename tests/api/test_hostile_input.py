"""Every write endpoint against a hostile client: no 5xx, and nothing written.

The operations come from the app's own ``/openapi.json`` at run time, so an endpoint
added later is swept without touching this file. For each POST and PUT a body is built
from its request schema (hints below make it a plausible request on the seeded store,
so each refusal is the mutation's), then one field at a time is replaced by a value of
the corpus, and whole-body attacks are sent as raw bytes. Each request goes as the
office and as a liaison (the seeded HR department, whose assignment the path names).

Expected: never a 5xx; every refusal is problem+json; the ledger's position does not
move. A case whose value a clerk could have meant (the text "NaN" in a free-text
field, a blank optional note) is not sent: it could rightly be recorded.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from ledger import store as store_module
from ledger.errors import InvalidInput
from ledger.store import StoreConfig, parse_database_url
from ledger.validation import clean_metrics
from tests.api.conftest import FINANCE, Seeded, seeded_api
from tests.conftest import POSTGRES_URL, SEEDS, need_postgres

ROLES = ("office", "liaison")
RAW = "@@raw@@"  # stands for a raw JSON fragment in a body, replaced after dumping

# ---- the corpus ---------------------------------------------------------------------
#: Refused in any text field: not text, invisible, or reordering what follows.
HOSTILE_TEXT = {
    "lone high surrogate": "\ud800",
    "lone low surrogate in words": "报告\udfff完成",
    "NUL": "完成\x00培训",
    "U+202E right-to-left override": "完成\u202e培训8000人",
    "U+2066 isolate": "\u2066完成培训\u2069",
}
#: Empty once invisible characters are removed: refused where text is required.
BLANK_TEXT = {
    "zero-width only": "\u200b\u200c\u200d\u2060\ufeff",
    "U+3000 only": "\u3000\u3000\u3000",
}
#: Refused wherever a number is not a plain bounded figure (ledger.validation).
NUMBERS = {"1e308": 1e308, "-1e308": -1e308, "2**63": 2**63}
NOT_A_NUMBER_TEXT = "NaN"
THREE_MB = "长" * 1_000_000  # 3 bytes each in UTF-8
DEEP = 10_000
#: Raw fragments in place of a value; each makes the body malformed JSON (a 400).
RAW_VALUES = {
    "NaN literal": b"NaN",
    "Infinity literal": b"-Infinity",
    "number beyond a double": b"1e999",
    "invalid UTF-8 in a string": b'"\xff\xfe\xc0\xaf"',
    "UTF-8-encoded surrogate": b'"\xed\xa0\x80"',
    "10,000-deep nesting": b"[" * DEEP + b"]" * DEEP,
}


def _metrics_are_bounded() -> bool:
    """Whether the ledger already refuses out-of-range figures (issue 12, item 1)."""
    try:
        clean_metrics({"x": 1e308})
    except InvalidInput:
        return True
    return False


# ---- seeded ids for path parameters ---------------------------------------------------
PATH_IDS = {
    "assignment_id": "assignment",
    "task_id": "task",
    "unit_id": "unit",
    "request_id": "request",
    "escalation_id": "escalation",
    "event_id": "urge",
    "report_id": "report",
    "correction_id": "report",
}

#: Property values that make a body a plausible request on the seeded store.
HINTS: dict[str, Any] = {
    "obligation": "implementation-report-quarterly",
    "period": "2026-Q2",
    "narrative": "完成创业培训8000人",
    "reason": "逾期未报",
    "requested_due_on": "2026-10-30",
    "unit": FINANCE,
    "role": "co",
    "platform_reference": "JD-2026-001",
    "name": "王联络",
}


# ---- fixtures: one seeded store per backend for the whole module ------------------
@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres",
                                                              marks=pytest.mark.postgres)])
def hostile_api(request: pytest.FixtureRequest,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    def serve(config: StoreConfig) -> Iterator[Seeded]:
        seeded = seeded_api(config)
        try:
            yield seeded
        finally:
            seeded.app.extensions["taskledger"].close()

    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("hostile") / "ledger.sqlite"
        yield from serve(parse_database_url(f"sqlite:///{path}"))
    else:
        need_postgres()
        with store_module.temporary_schema(POSTGRES_URL) as config:
            yield from serve(config)


# ---- the operations, from the OpenAPI document ------------------------------------
class Operation:
    def __init__(self, spec: dict[str, Any], method: str, path: str, op: dict[str, Any],
                 ids: dict[str, str]) -> None:
        self.spec, self.method, self.template = spec, method, path
        self.name = f"{method.upper()} {path}"
        self.url = re.sub(r"\{(\w+)\}", lambda m: self._path_id(m.group(1), ids), path)
        content = (op.get("requestBody") or {}).get("content") or {}
        self.media_type = next(iter(content), "application/json")
        self.schema = self.resolve(content.get(self.media_type, {}).get("schema") or {})
        self.headers = [p["name"] for p in op.get("parameters", [])
                        if p.get("in") == "header" and p.get("required")]

    def _path_id(self, name: str, ids: dict[str, str]) -> str:
        if name not in PATH_IDS:
            pytest.fail(f"{self.name}: add the seeded record its {{{name}}} names to PATH_IDS")
        return ids[PATH_IDS[name]]

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            node: Any = self.spec
            for part in schema["$ref"].lstrip("#/").split("/"):
                node = node[part]
            schema = node
        return schema

    def properties(self) -> dict[str, dict[str, Any]]:
        return {k: self.resolve(v) for k, v in (self.schema.get("properties") or {}).items()}

    def required(self) -> set[str]:
        return set(self.schema.get("required") or ())

    def base(self, ids: dict[str, str]) -> dict[str, Any]:
        props = self.properties()
        return {name: sample(name, props[name], ids) for name in sorted(self.required())}


def sample(name: str, schema: dict[str, Any], ids: dict[str, str]) -> Any:
    """A value of ``schema`` that the seeded store would plausibly accept."""
    if name in HINTS:
        return HINTS[name]
    if "example" in schema:
        return schema["example"]
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "string":
        if schema.get("format") == "date":
            return "2026-07-20"
        if schema.get("format") == "uuid":
            return ids["report"]
        if "pattern" in schema:
            return next(c for c in ("2026-Q2", "2026-06", "2026", "x")
                        if re.search(schema["pattern"], c))
        return "核对"
    if kind in ("integer", "number"):
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    if kind == "object":
        return {}
    return "核对"


def is_free_text(schema: dict[str, Any]) -> bool:
    """A string field where any words are meaningful (no format, pattern or choices)."""
    return (schema.get("type") == "string" and not schema.get("format")
            and "pattern" not in schema and not schema.get("enum"))


def operations(api: Seeded) -> list[Operation]:
    response = api.client.get("/openapi.json")
    assert response.status_code == 200
    spec = response.json
    found = [
        Operation(spec, method, path, op, api.ids)
        for path, item in sorted(spec["paths"].items())
        for method, op in sorted(item.items())
        if method in ("post", "put")
    ]
    assert len(found) >= 15, [op.name for op in found]  # the writes known when written
    return found


# ---- cases ----------------------------------------------------------------------------
def field_cases(op: Operation, ids: dict[str, str], *, numbers: bool
                ) -> Iterator[tuple[str, dict[str, Any]]]:
    """(label, body): the base body with one field (or one metric) replaced."""
    base = op.base(ids)
    required = op.required()
    if not numbers:
        yield "unknown key, a lone surrogate", {**base, "\ud800": 1}
        yield "unknown key, U+202E", {**base, "a\u202eb": 1}
    for name, schema in sorted(op.properties().items()):
        values: dict[str, Any] = {}
        if numbers:
            values.update(NUMBERS)
        else:
            values.update(HOSTILE_TEXT)
            if name in required or schema.get("type") != "string":
                values.update(BLANK_TEXT)  # a blank optional text is no text: may be kept
            if not is_free_text(schema):
                values[NOT_A_NUMBER_TEXT] = NOT_A_NUMBER_TEXT
            values["an object with a lone-surrogate key"] = {"\ud800": 1}
        for label, value in values.items():
            yield f"{name} = {label}", {**base, name: value}
        if schema.get("type") == "object":  # a mapping such as a report's metrics
            item = schema.get("additionalProperties")
            item = op.resolve(item) if isinstance(item, dict) else {}
            if numbers:
                for label, value in NUMBERS.items():
                    yield f"{name}[...] = {label}", {**base, name: {"创业培训": value}}
                continue
            for label, key in {**HOSTILE_TEXT, **BLANK_TEXT}.items():
                yield f"{name} key = {label}", {**base, name: {key: 1}}
            if item.get("type") in ("number", "integer"):
                yield f"{name}[...] = text NaN", {**base, name: {"创业培训": "NaN"}}
        if schema.get("type") == "array" and not numbers:
            for label, value in HOSTILE_TEXT.items():
                yield f"{name}[0] = {label}", {**base, name: [value]}


def raw_cases(op: Operation, ids: dict[str, str]) -> Iterator[tuple[str, bytes]]:
    """(label, bytes): bodies no JSON reader should take, or too big to read."""
    base = op.base(ids)
    first = sorted(op.properties())[0] if op.properties() else "x"
    for label, fragment in RAW_VALUES.items():
        text = json.dumps({**base, first: RAW})
        yield f"{first} = {label}", text.encode().replace(f'"{RAW}"'.encode(), fragment)
    value = base.get(first, 1)
    pairs = [(first, value), (first, value)] + [(k, v) for k, v in base.items() if k != first]
    yield "duplicate key", ("{" + ", ".join(f"{json.dumps(k)}: {json.dumps(v)}"
                                            for k, v in pairs) + "}").encode()
    yield "10,000-deep body", b"[" * DEEP + b"]" * DEEP
    yield "3 MB string", json.dumps({**base, first: THREE_MB}, ensure_ascii=False).encode()
    yield "not JSON", b"{period: 2026-Q2"
    yield "a JSON array", b"[]"


def plan_cases() -> Iterator[tuple[str, bytes, bool]]:
    """(label, bytes, same_plan): plan uploads; ``same_plan`` when the text, once its
    invisible characters are stripped, is the seeded plan itself (nothing new)."""
    seed = (SEEDS / "000_48908fa878961524.txt").read_text("utf-8")
    for label, value in {**HOSTILE_TEXT, **BLANK_TEXT}.items():
        yield f"only {label}", value.encode("utf-8", "surrogatepass"), False
    invisible = {"NUL": "\x00", "U+202E": "\u202e", "U+2066…U+2069": "\u2066\u2069",
                 "zero-width characters and a BOM": "\u200b\u200d\ufeff"}
    for label, value in invisible.items():
        yield f"seed plan with {label}", seed.replace("加强", "加" + value + "强").encode(), True
    yield "seed plan with a lone surrogate", \
        seed.replace("加强", "加\ud800强").encode("utf-8", "surrogatepass"), False
    yield "seed plan with invalid UTF-8", seed.encode()[:900] + b"\xff\xfe" + seed.encode()[900:], \
        False
    yield "3 MB", THREE_MB.encode(), False


# ---- the sweep ----------------------------------------------------------------------
def send(api: Seeded, op: Operation, role: str, body: bytes, media_type: str,
         counter: Iterator[int]) -> Any:
    headers = api.headers(role, **{"Content-Type": media_type})
    for header in op.headers:
        headers[header] = f"hostile-{next(counter)}"
    return api.client.open(op.url, method=op.method.upper(), data=body, headers=headers)


def position(api: Seeded) -> int:
    return api.app.extensions["taskledger"].ledger.position()


def check(api: Seeded, failures: list[str], label: str, response: Any, before: int,
          *, may_write: bool = False) -> None:
    after = position(api)
    if response.status_code >= 500:
        failures.append(f"{label}: {response.status_code} {response.get_data(as_text=True)[:200]}")
    elif response.status_code >= 400 and response.mimetype != "application/problem+json":
        failures.append(f"{label}: {response.status_code} as {response.mimetype}")
    elif after != before and not may_write:
        failures.append(f"{label}: {response.status_code} and the ledger moved {before}→{after}")


def sweep(api: Seeded, *, numbers: bool) -> tuple[list[str], int]:
    failures: list[str] = []
    counter = itertools.count()
    sent = 0
    for op in operations(api):
        for role in ROLES:
            if op.media_type != "application/json":
                if op.media_type == "text/plain" and not numbers:
                    for label, body, same_plan in plan_cases():
                        before = position(api)
                        response = send(api, op, role, body, "text/plain", counter)
                        check(api, failures, f"{op.name} as {role}: {label}", response, before)
                        if same_plan and role == "office" and response.status_code != 200:
                            failures.append(f"{op.name}: {label} gave {response.status_code}, "
                                            "not the seeded plan unchanged (200)")
                        sent += 1
                continue
            cases: list[tuple[str, bytes]] = [
                (label, json.dumps(body).encode())  # ensure_ascii: "\ud800" escapes
                for label, body in field_cases(op, api.ids, numbers=numbers)
            ]
            if not numbers:
                cases += list(raw_cases(op, api.ids))
            for label, body in cases:
                before = position(api)
                response = send(api, op, role, body, "application/json", counter)
                check(api, failures, f"{op.name} as {role}: {label}", response, before)
                sent += 1
    return failures, sent


def test_no_write_endpoint_takes_hostile_text_or_bodies(hostile_api: Seeded) -> None:
    failures, sent = sweep(hostile_api, numbers=False)
    assert sent > 500
    assert not failures, f"{len(failures)} of {sent} cases:\n" + "\n".join(failures[:40])


@pytest.mark.xfail(not _metrics_are_bounded(), strict=True,
                   reason="figures are bounded by issue 12 item 1, on another branch")
def test_no_write_endpoint_takes_unbounded_numbers(hostile_api: Seeded) -> None:
    failures, sent = sweep(hostile_api, numbers=True)
    assert sent > 50
    assert not failures, f"{len(failures)} of {sent} cases:\n" + "\n".join(failures[:40])


def test_the_sweep_reaches_every_write(hostile_api: Seeded) -> None:
    """The corpus is sent to each POST and PUT the document lists, as both roles."""
    names = {op.name for op in operations(hostile_api)}
    assert "POST /api/v1/assignments/{assignment_id}/reports" in names
    assert "PUT /api/v1/units/{unit_id}/contact" in names
    assert "POST /api/v1/plans" in names
    for op in operations(hostile_api):
        if op.media_type == "application/json":
            assert op.properties(), f"{op.name}: no request schema to build bodies from"
            assert list(field_cases(op, hostile_api.ids, numbers=False))

