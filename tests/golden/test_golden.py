"""Golden outputs of the read side (issue 13): what every report says must not change.

The fixture (:mod:`tests.golden.build`: both seeds, five real months of scheduler
ticks, a few units' reports, on SQLite) is built once for the module; every API read
and CLI read (:mod:`tests.golden.capture`) must then be byte-equal to its file under
``tests/golden/``, and every briefing the fixture issued must render again to the
SHA-256 its ``BriefingIssued`` event recorded.

To regenerate the files after a change that *means* to alter an output::

    TASKLEDGER_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/golden -q

then read the diff (``git diff --stat tests/golden``; large files are gzipped: ``zdiff``)
and explain every difference in the commit message. See tests/golden/README.md.
"""

from __future__ import annotations

import difflib
import gzip
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.golden import capture
from tests.golden.build import Golden, build

HERE = Path(__file__).resolve().parent
FOLDERS = ("api", "cli", "briefings")
UPDATE = os.environ.get("TASKLEDGER_UPDATE_GOLDEN") == "1"
#: Files larger than this are kept gzipped (``<name>.gz``, no timestamp in the header).
GZIP_ABOVE = 64 * 1024
#: GET routes of the OpenAPI document not captured as JSON, and why.
NOT_CAPTURED = {
    "/api/v1/metrics": "Prometheus text counting this process's own requests",
    "/api/v1/briefings/{briefing_id}/pdf": "binary: its SHA-256 is in api/briefings-pdf.json",
}


@pytest.fixture(scope="module")
def golden(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Golden, dict[str, str]]]:
    built = build(tmp_path_factory.mktemp("golden"))
    outputs = capture.capture(built)
    if UPDATE:
        _write_all(outputs)
    yield built, outputs


def stored_files() -> dict[str, Path]:
    """Golden file name (without ``.gz``) -> its path."""
    found = {}
    for folder in FOLDERS:
        for path in sorted((HERE / folder).rglob("*")):
            if path.is_file():
                name = path.relative_to(HERE).as_posix()
                found[name.removesuffix(".gz")] = path
    return found


def read_stored(path: Path) -> str:
    data = path.read_bytes()
    return (gzip.decompress(data) if path.suffix == ".gz" else data).decode("utf-8")


def _write_all(outputs: dict[str, str]) -> None:
    for path in stored_files().values():
        path.unlink()
    for name, text in outputs.items():
        data = text.encode("utf-8")
        target = HERE / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if len(data) > GZIP_ABOVE:
            target = target.with_name(target.name + ".gz")
            data = gzip.compress(data, compresslevel=9, mtime=0)
        target.write_bytes(data)


def test_every_output_is_byte_equal_to_its_golden_file(golden) -> None:
    _, outputs = golden
    stored = stored_files()
    assert set(outputs) == set(stored), (
        f"missing golden files: {sorted(set(outputs) - set(stored))[:10]}; "
        f"files nothing produces: {sorted(set(stored) - set(outputs))[:10]} "
        "(TASKLEDGER_UPDATE_GOLDEN=1 regenerates; explain why in the commit)")
    changed = [name for name, text in sorted(outputs.items())
               if read_stored(stored[name]) != text]
    if changed:
        first = changed[0]
        diff = "".join(list(difflib.unified_diff(
            read_stored(stored[first]).splitlines(keepends=True),
            outputs[first].splitlines(keepends=True), "golden/" + first, "now/" + first))[:60])
        pytest.fail(f"{len(changed)} output(s) differ from the golden files: "
                    f"{changed[:20]}\nfirst difference:\n{diff}")


def test_the_fixture_has_what_the_golden_files_are_meant_to_cover(golden) -> None:
    """Guards the fixture itself: the scheduler chased, cycles ran, briefings were
    issued, reports, a correction and an extension are in the trail."""
    _, outputs = golden
    issued = json.loads(outputs["briefings/issued.json"])
    assert {(b["kind"], b["period"]) for b in issued} >= {
        ("monthly", "2026-06"), ("monthly", "2026-09"), ("quarterly", "2026-Q2"),
        ("quarterly", "2026-Q3"), ("half-year", "2026-H1")}
    assert not any(b["simulated"] for b in issued)
    trail = "".join(text for name, text in outputs.items()
                    if name.startswith(("cli/events", "api/audit", "api/events")))
    for kind in ("ReminderIssued", "UrgeIssued", "EscalatedToSupervisionPlatform",
                 "ProgressReported", "ProgressCorrected", "ExtensionRequested",
                 "ExtensionDecided", "Cycle.Ran"):
        assert kind in trail, kind
    exits = json.loads(outputs["cli/_exit-and-stderr.json"])
    assert all(outcome["exit"] == 0 for outcome in exits.values()), [
        (name, o["exit"], o["stderr"]) for name, o in exits.items() if o["exit"] != 0]


def test_every_get_route_of_the_openapi_document_is_captured(golden) -> None:
    built, outputs = golden
    from api.app import create_app
    from api.services import Settings

    app = create_app(Settings(store=built.config))
    try:
        spec = app.test_client().get("/openapi.json").get_json()
    finally:
        app.extensions["taskledger"].close()
    routes = {path for path, operations in spec["paths"].items() if "get" in operations}
    captured = set()
    for name in outputs:
        if name.startswith("api/") and name != "api/briefings-pdf.json":
            request = json.loads(outputs[name])["request"].split(" ", 1)[1].split("?")[0]
            captured.add(request)
    missing = []
    for route in sorted(routes - set(NOT_CAPTURED)):
        pattern = route.split("/")
        if not any(_matches(pattern, path.split("/")) for path in captured):
            missing.append(route)
    assert not missing, f"GET routes with no golden file: {missing}"


def _matches(pattern: list[str], parts: list[str]) -> bool:
    return len(pattern) == len(parts) and all(
        p == q or (p.startswith("{") and p.endswith("}"))
        for p, q in zip(pattern, parts, strict=True))


def test_every_issued_briefing_renders_again_to_its_recorded_sha256(golden) -> None:
    built, outputs = golden
    issued = json.loads(outputs["briefings/issued.json"])
    served = {b["briefing_id"]: b for b in json.loads(outputs["api/briefings-pdf.json"])}
    assert len(issued) >= 8
    for briefing in issued:
        assert served[briefing["briefing_id"]]["sha256"] == briefing["sha256"], briefing
        assert capture.rerender(built, briefing) == briefing["sha256"], (
            f"{briefing['kind']} {briefing['period']} as of {briefing['as_of']} at position "
            f"{briefing['ledger_position']} renders differently now")
