"""Text on the command line: refused as one line and exit 2, never a traceback; plans
with invisible characters imported as if they had none."""

from __future__ import annotations

import json
from pathlib import Path

from ledger.store import StoreConfig
from tests.conftest import SEEDS
from tests.test_cli import HR_ALIAS, run, url_of

SEED = SEEDS / "000_48908fa878961524.txt"  # issued 2026-05-09


def _events(tmp_path: Path, url: str) -> int:
    listed = run(["events", "--json"], tmp_path, url)
    assert listed.returncode == 0, listed.stderr
    return len(listed.stdout.splitlines())


def _imported(config: StoreConfig, tmp_path: Path) -> str:
    url = url_of(config)
    assert run(["db", "init"], tmp_path, url).returncode == 0
    imported = run(["import-plan", str(SEED)], tmp_path, url)
    assert imported.returncode == 0, imported.stderr
    return url


def _progress(narrative: str, unit: str = HR_ALIAS) -> list[str]:
    return ["progress", "--plan", "稳岗扩容", "--task", "（十一）", "--unit", unit,
            "--period", "2026-Q2", "--narrative", narrative, "--business-date", "2026-07-03"]


REFUSED = [
    (_progress("\u200b\u200c\u200d"), "a progress report needs a narrative"),
    (_progress("\u3000\u3000"), "a progress report needs a narrative"),
    (_progress("完成\u202e培训"), "narrative contains bidirectional controls"),
    (_progress("完成\u2066培训\u2069"), "narrative contains bidirectional controls"),
    # bytes that are not UTF-8 reach Python as lone surrogates (surrogateescape)
    (_progress("完成\udcff"), "narrative is not UTF-8 text"),
    (_progress("完成", unit="人社\udced\udca0\udc80"), "unit is not UTF-8 text"),
]


def test_text_no_clerk_meant_is_one_line_and_exit_2(
    sqlite_config: StoreConfig, tmp_path: Path
) -> None:
    url = _imported(sqlite_config, tmp_path)
    before = _events(tmp_path, url)
    for args, message in REFUSED:
        result = run(args, tmp_path, url)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert message in result.stderr, args
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "Traceback" not in result.stderr
    assert _events(tmp_path, url) == before


def test_a_plan_with_invisible_characters_is_the_same_plan(
    store_config: StoreConfig, tmp_path: Path
) -> None:
    url = _imported(store_config, tmp_path)
    before = _events(tmp_path, url)
    text = SEED.read_text("utf-8")
    dirty = tmp_path / "dirty.txt"
    dirty.write_bytes(("\ufeff" + text.replace("加强", "加\u200b强\u202e")
                       .replace("。\n", "。\x00\u2066\n", 3)).encode("utf-8"))
    preview = run(["import-plan", str(dirty), "--dry-run", "--json"], tmp_path, url)
    assert preview.returncode == 0, preview.stderr
    clean = run(["import-plan", str(SEED), "--dry-run", "--json"], tmp_path, url)
    assert json.loads(preview.stdout) == json.loads(clean.stdout)
    again = run(["import-plan", str(dirty)], tmp_path, url)
    assert again.returncode == 0, again.stderr
    assert _events(tmp_path, url) == before  # nothing new: it is the plan already imported
