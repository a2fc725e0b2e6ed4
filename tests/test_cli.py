"""The taskledger command as a user runs it: a real subprocess on a real store."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from uuid import uuid4

import pytest

from ledger.acts import Act
from ledger.application import open_ledger
from ledger.store import StoreConfig
from tests.ledger.world import EDU, HR, build_world

TASKLEDGER = shutil.which("taskledger", path=str(Path(sys.executable).parent)) or "taskledger"
REPO = Path(__file__).resolve().parents[1]


def run(args: list[str], cwd: Path, url: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "TASKLEDGER_DATABASE_URL"}
    if url:
        env["TASKLEDGER_DATABASE_URL"] = url
    # The code of this checkout, even when the virtualenv's editable install points at
    # another one (a git worktree sharing the main checkout's .venv).
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return subprocess.run(
        [TASKLEDGER, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


def url_of(config: StoreConfig) -> str:
    if config.backend == "sqlite":
        return f"sqlite:///{config.sqlite_path}"
    return config.url


def test_version(tmp_path: Path) -> None:
    result = run(["--version"], tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("taskledger 0.")


def test_default_store_is_sqlite_under_var(tmp_path: Path) -> None:
    result = run(["db", "init"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "var" / "taskledger.sqlite").is_file()
    assert run(["db", "init"], tmp_path).returncode == 0  # idempotent
    listed = run(["events", "--json"], tmp_path)
    # the one event db init writes, the first time only: the rules reports are judged by
    assert listed.returncode == 0
    assert [json.loads(line)["type"] for line in listed.stdout.splitlines()] == ["Opened"]


def test_db_init_and_events_on_each_backend(store_config: StoreConfig, tmp_path: Path) -> None:
    url = url_of(store_config)
    assert run(["db", "init"], tmp_path, url).returncode == 0
    ledger = open_ledger(store_config)
    world = build_world(ledger)
    ledger.report_progress(
        Act.by(ledger.clock, "liaison-hr", "liaison"),
        world.assignments[("（一）", HR)],
        "2026-06",
        "完成招聘会3场",
    )
    ledger.close()
    assert run(["db", "init"], tmp_path, url).returncode == 0  # writes no events again

    every = run(["events", "--json"], tmp_path, url)
    assert every.returncode == 0, every.stderr
    lines = [json.loads(line) for line in every.stdout.splitlines()]
    # position 1: the reporting rules db init recorded
    assert [line["position"] for line in lines] == list(range(1, 13))
    assert lines[0]["stream_type"] == "ReportingRules"
    assert lines[-1]["type"] == "ProgressReported"
    assert lines[-1]["data"]["narrative"] == "完成招聘会3场"
    assert {"actor", "actor_role", "recorded_at", "business_date", "correlation_id"} <= set(
        lines[0]
    )

    by_unit = run(["events", "--json", "--unit", HR], tmp_path, url)
    unit_lines = [json.loads(line) for line in by_unit.stdout.splitlines()]
    assert {line["type"] for line in unit_lines} == {"Registered", "Assigned", "ProgressReported"}
    by_task = run(["events", "--json", "--task", "（二）"], tmp_path, url)
    task_types = [json.loads(line)["type"] for line in by_task.stdout.splitlines()]
    assert task_types == ["Registered", "Assigned", "Assigned"]
    later = run(["events", "--json", "--since", "2026-06-01"], tmp_path, url)
    assert [json.loads(line)["type"] for line in later.stdout.splitlines()] == ["ProgressReported"]

    human = run(["events"], tmp_path, url)
    assert "ProgressReported" in human.stdout and "liaison-hr (liaison)" in human.stdout


def _rebuild_with_stderr_on_a_terminal(url: str, cwd: Path) -> tuple[str, str]:
    """``taskledger rebuild`` with stderr on a pseudo-terminal: (stdout, what the terminal got)."""
    import pty

    env = {k: v for k, v in os.environ.items() if k != "TASKLEDGER_DATABASE_URL"}
    env.update(TASKLEDGER_DATABASE_URL=url, TERM="xterm", COLUMNS="100",
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])))
    terminal, stderr = pty.openpty()
    with subprocess.Popen([TASKLEDGER, "rebuild", "--batch-size", "4"], cwd=cwd, env=env,
                          stdout=subprocess.PIPE, stderr=stderr) as process:
        os.close(stderr)
        shown = b""
        while True:
            try:
                chunk = os.read(terminal, 4096)
            except OSError:  # the command ended and closed its end of the terminal
                break
            if not chunk:
                break
            shown += chunk
        stdout = process.stdout.read() if process.stdout else b""
        assert process.wait(timeout=60) == 0, shown
    os.close(terminal)
    return stdout.decode(), shown.decode(errors="replace")


def test_rebuild_draws_a_progress_bar_on_a_terminal_only(
    sqlite_config: StoreConfig, tmp_path: Path
) -> None:
    url = url_of(sqlite_config)
    assert run(["db", "init"], tmp_path, url).returncode == 0
    ledger = open_ledger(sqlite_config)
    build_world(ledger)
    ledger.close()

    piped = run(["rebuild", "--batch-size", "4"], tmp_path, url)
    assert piped.returncode == 0
    assert piped.stderr == ""  # no bar, no carriage returns, no blank line
    assert piped.stdout.startswith("rebuilt ") and piped.stdout.count("\n") == 1
    # the world's 10 events after the rules db init recorded
    assert "11 events in" in piped.stdout and "position 11" in piped.stdout

    stdout, terminal = _rebuild_with_stderr_on_a_terminal(url, tmp_path)
    assert "rebuild" in terminal and "11/11" in terminal and "events/s" in terminal
    # what is printed to stdout does not depend on where stderr goes
    assert stdout.split(": ", 1)[0] == piped.stdout.split(": ", 1)[0]
    assert stdout.split(" events in ")[0] == piped.stdout.split(" events in ")[0]


@pytest.mark.parametrize(
    ("args", "url", "message"),
    [
        (["events", "--since", "yesterday"], None, "is not a date"),
        (["events", "--after", "-3"], None, "must not be negative"),
        (["nonsense"], None, "invalid choice"),
        (["events"], "mysql://root@localhost/x", "must start with sqlite:/// or postgresql://"),
        (["events"], "postgresql://postgres@127.0.0.1:1/none", "cannot open the ledger store"),
        (["db"], None, "required"),
    ],
)
def test_mistakes_are_one_line_and_exit_2(tmp_path: Path, args, url, message) -> None:
    result = run(args, tmp_path, url)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


def _one_line_exit_2(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# every command but `db init` opens a store that must already exist
NEEDS_A_STORE = [
    ["events"],
    ["import-plan", str(REPO.parent / "shared" / "seeds" / "000_48908fa878961524.txt")],
    ["progress", "--plan", "稳岗扩容", "--task", "（十一）", "--unit", "人社厅", "--period",
     "2026-Q2", "--narrative", "x"],
    ["remind", "--plan", "稳岗扩容", "--task", "（十一）", "--unit", "人社厅", "--obligation",
     "implementation-report-quarterly", "--period", "2026-Q2", "--reason", "x"],
    ["report", "overdue", "--as-of", "2026-07-20"],
    ["briefing", "monthly", "--period", "2026-06", "--out", "june.pdf"],
    ["rebuild"],
    ["project", "--poll", "0.1"],
    ["tokens", "create", "--role", "office"],
    ["tokens", "list"],
    ["units", "show", "教育厅"],
    ["tick", "--dry-run"],
    ["simulate", "--from", "2026-07-01", "--to", "2026-07-02"],
    ["calendar", "show", "2026-10"],
    ["calendar", "set", "2027-02-15", "holiday"],
    ["ladder", "--plan", "稳岗扩容"],
    ["outbox"],
    ["outbox", "deliver"],
    ["scheduler"],
    ["serve", "--port", "1"],  # refused before it binds (else it runs until the timeout)
]


@pytest.mark.parametrize("args", NEEDS_A_STORE, ids=lambda a: " ".join(a[:2]))
def test_a_mistyped_sqlite_path_is_refused_and_creates_nothing(tmp_path: Path, args) -> None:
    result = run(args, tmp_path, "sqlite:///typo/ledger.sqlite")
    line = _one_line_exit_2(result)
    assert line == "taskledger: error: no store at sqlite:///typo/ledger.sqlite; " \
        "run `taskledger db init`"
    assert list(tmp_path.iterdir()) == []  # no folder, no file, no PDF


def test_the_default_store_is_not_made_by_a_command_either(tmp_path: Path) -> None:
    line = _one_line_exit_2(run(["report", "responsibilities"], tmp_path))
    assert "no store at sqlite:///var/taskledger.sqlite; run `taskledger db init`" in line
    assert not (tmp_path / "var").exists()
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "taskledger.sqlite").touch()  # an empty file is not a store
    assert "no store at" in _one_line_exit_2(run(["events"], tmp_path))
    assert (tmp_path / "var" / "taskledger.sqlite").stat().st_size == 0
    assert run(["db", "init"], tmp_path).returncode == 0  # db init makes it one
    assert run(["events"], tmp_path).returncode == 0


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite:///{tmp}", "is a directory, not a store file"),
        ("sqlite:///{tmp}/plan.txt/ledger.sqlite", "plan.txt is not a directory"),
        ("sqlite:///{tmp}/plan.txt", "file is not a database"),
    ],
)
def test_a_store_path_that_cannot_be_a_store_is_one_line(tmp_path: Path, url, message) -> None:
    (tmp_path / "plan.txt").write_text("not a database, but more than a header's worth " * 9)
    url = url.format(tmp=tmp_path)
    for args in (["events"], ["db", "init"]):
        assert message in _one_line_exit_2(run(args, tmp_path, url))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.txt"]


@pytest.mark.postgres
@pytest.mark.parametrize("schema_exists", [False, True])
def test_a_postgres_store_without_db_init_is_refused_and_gets_no_tables(
    postgres_config: StoreConfig, tmp_path: Path, schema_exists: bool
) -> None:
    import psycopg

    schema = postgres_config.pg_schema

    def tables() -> int | None:
        """Tables in the schema, or None when the schema does not exist."""
        with psycopg.connect(postgres_config.psycopg_conninfo()) as connection:
            if not connection.execute("SELECT 1 FROM information_schema.schemata "
                                      "WHERE schema_name = %s", [schema]).fetchone():
                return None
            return connection.execute("SELECT count(*) FROM information_schema.tables "
                                      "WHERE table_schema = %s", [schema]).fetchone()[0]

    if schema_exists:
        with psycopg.connect(postgres_config.psycopg_conninfo(), autocommit=True) as connection:
            connection.execute(f'CREATE SCHEMA "{schema}"')
    url = url_of(postgres_config)
    for args in (["events"], ["report", "overdue"], ["tokens", "list"], ["outbox", "deliver"],
                 ["serve", "--port", "1"]):
        line = _one_line_exit_2(run(args, tmp_path, url))
        assert line == f"taskledger: error: no store at {postgres_config.display}; " \
            "run `taskledger db init`"
    assert tables() == (0 if schema_exists else None)
    assert run(["db", "init"], tmp_path, url).returncode == 0
    assert tables() and run(["events"], tmp_path, url).returncode == 0


def test_db_init_again_keeps_the_store_and_upgrades_read_models(
    store_config: StoreConfig, tmp_path: Path
) -> None:
    from projections.db import ReadStore
    from projections.tables import fingerprint

    url = _imported(store_config, tmp_path)
    assert run(["report", "responsibilities"], tmp_path, url).returncode == 0  # catch up
    before = _events(tmp_path, url)
    store = ReadStore(store_config)
    try:
        assert store.position("audit") == len(before)
        with store.transaction(commit=True) as cursor:  # as an older release left it
            cursor.execute(store.sql("UPDATE {s}rm_schema SET fingerprint = ? "
                                     "WHERE projection = ?"), ("older release", "audit"))
        assert run(["db", "init"], tmp_path, url).returncode == 0
        assert store.scalar("SELECT fingerprint FROM {s}rm_schema WHERE projection = ?",
                            ["audit"]) == fingerprint("audit")
        assert store.position("audit") == 0  # replaced, to be rebuilt from the events
        assert store.position("registry") == len(before)  # the others kept
    finally:
        store.close()
    assert _events(tmp_path, url) == before  # db init writes no events
    listed = run(["report", "responsibilities", "--json"], tmp_path, url)
    assert listed.returncode == 0 and json.loads(listed.stdout)["rows"]


LIMIT = 2 * 1024 * 1024  # MAX_PLAN_BYTES, as documented in the README


def _unreadable(path: Path) -> list[str]:
    """A command prefix under which ``path`` cannot be read, even by root (who reads a
    mode-000 file anyway): drop the capabilities that override file permissions."""
    path.chmod(0)
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot make a file unreadable")
    drop = "-dac_override,-dac_read_search"
    return [setpriv, f"--bounding-set={drop}", f"--inh-caps={drop}"]


IMPORT, LOAD = ["import-plan"], ["calendar", "load"]


@pytest.mark.parametrize(
    ("command", "name", "message"),
    [
        (IMPORT, "/dev/zero", "not a regular file"),
        (IMPORT, "fifo", "not a regular file"),
        (IMPORT, "folder", "it is a directory"),
        (IMPORT, "missing.txt", "No such file or directory"),
        (IMPORT, "unreadable.txt", "Permission denied"),
        (IMPORT, "big.txt", f"larger than {LIMIT:,} bytes (2 MiB)"),
        ([*IMPORT, "--dry-run"], "/dev/zero", "not a regular file"),
        (LOAD, "/dev/zero", "not a regular file"),
        (LOAD, "folder", "it is a directory"),
        (LOAD, "unreadable.txt", "Permission denied"),
        (LOAD, "big.txt", f"larger than {LIMIT:,} bytes (2 MiB)"),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else None,
)
def test_inputs_that_cannot_be_read_are_one_line_and_write_nothing(
    sqlite_config: StoreConfig, tmp_path: Path, command: list[str], name: str, message: str
) -> None:
    url = url_of(sqlite_config)
    assert run(["db", "init"], tmp_path, url).returncode == 0
    initialised = _events(tmp_path, url)
    (tmp_path / "folder").mkdir()
    os.mkfifo(tmp_path / "fifo")  # opening it would wait for a writer for ever
    (tmp_path / "big.txt").write_bytes(b"x" * (LIMIT + 1))
    (tmp_path / "unreadable.txt").write_text("2027-02-15 holiday\n")
    prefix = _unreadable(tmp_path / "unreadable.txt") if name == "unreadable.txt" else []
    env = {**os.environ, "TASKLEDGER_DATABASE_URL": url,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([*prefix, TASKLEDGER, *command, name], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert _one_line_exit_2(result) == f"taskledger: error: cannot read {name}: {message}" + (
        ", the limit for an input file" if name == "big.txt" else "")
    assert _events(tmp_path, url) == initialised


def test_an_input_of_exactly_the_limit_is_read(sqlite_config: StoreConfig, tmp_path: Path) -> None:
    """The boundary: LIMIT bytes reach the parser (which finds no plan in them)."""
    (tmp_path / "limit.txt").write_bytes("一".encode() * (LIMIT // 3) + b"x" * (LIMIT % 3))
    line = _one_line_exit_2(run(["import-plan", "limit.txt", "--dry-run"], tmp_path))
    assert "cannot read" not in line and "task" in line


def test_output_paths_that_are_directories_are_refused_before_anything_is_written(
    store_config: StoreConfig, tmp_path: Path
) -> None:
    url = _imported(store_config, tmp_path)
    before = _events(tmp_path, url)
    (tmp_path / "out").mkdir()
    (tmp_path / "plan.txt").write_text("a file")
    for args, message in (
        (["briefing", "monthly", "--period", "2026-06", "--out", "out"],
         "argument --out: 'out' is a directory; name the file to write"),
        (["briefing", "monthly", "--period", "2026-06", "--out", "plan.txt/june.pdf"],
         "argument --out: 'plan.txt/june.pdf': plan.txt is not a directory"),
        (["tick", "--briefings", "plan.txt"],
         "argument --briefings: 'plan.txt' is not a directory"),
        (["simulate", "--from", "2026-07-01", "--to", "2026-07-01", "--briefings", "plan.txt"],
         "argument --briefings: 'plan.txt' is not a directory"),
    ):
        assert message in _one_line_exit_2(run(args, tmp_path, url))
    assert list((tmp_path / "out").iterdir()) == []
    assert _events(tmp_path, url, simulated=True) == before


def test_reports_after_importing_both_seeds(store_config: StoreConfig, tmp_path: Path) -> None:
    """Issue 5's 'done when', as an operator types it."""
    from tests.conftest import SEEDS

    url = url_of(store_config)
    assert run(["db", "init"], tmp_path, url).returncode == 0
    for seed in sorted(SEEDS.glob("*.txt")):
        assert run(["import-plan", str(seed)], tmp_path, url).returncode == 0
    posted = run(
        [
            "progress",
            "--plan",
            "稳岗扩容",
            "--task",
            "（十一）",
            "--unit",
            "人力资源和社会保障厅",
            "--period",
            "2026-Q2",
            "--narrative",
            "创业培训8000人",
            "--value",
            "创业培训=8000",
            "--business-date",
            "2026-07-03",
            "--json",
        ],
        tmp_path,
        url,
    )
    assert posted.returncode == 0, posted.stderr
    assert json.loads(posted.stdout)["created"] is True

    listed = run(
        ["report", "responsibilities", "--unit", "人力资源和社会保障厅", "--json"], tmp_path, url
    )
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)["rows"]
    assert len(rows) == 31 and {r["role"] for r in rows} == {"lead", "co"}
    human = run(["report", "responsibilities", "--unit", "人力资源社会保障厅"], tmp_path, url)
    assert "（十一）" in human.stdout and "lead" in human.stdout

    late = run(["report", "overdue", "--as-of", "2026-07-20", "--json"], tmp_path, url)
    overdue = json.loads(late.stdout)
    assert overdue["as_of"] == "2026-07-20"
    owing = {
        (r["unit_name"], r["task_number"]) for r in overdue["rows"] if r["period"] == "2026-Q2"
    }
    assert ("自治区人力资源社会保障厅", "（一）") in owing
    assert ("自治区人力资源社会保障厅", "（十一）") not in owing

    for kind in ("targets", "scorecard"):
        result = run(["report", kind, "--as-of", "2026-07-20"], tmp_path, url)
        assert result.returncode == 0, result.stderr
    rebuilt = run(["rebuild"], tmp_path, url)
    assert rebuilt.returncode == 0 and "events/s" in rebuilt.stdout
    again = run(["report", "overdue", "--as-of", "2026-07-20", "--json"], tmp_path, url)
    assert json.loads(again.stdout)["rows"] == overdue["rows"]

    wrong = run(
        [
            "progress",
            "--plan",
            "稳岗扩容",
            "--task",
            "（十一）",
            "--unit",
            "无此单位",
            "--period",
            "2026-Q2",
            "--narrative",
            "x",
        ],
        tmp_path,
        url,
    )
    assert wrong.returncode == 2 and "no unit is known" in wrong.stderr
    bad_value = run(
        [
            "progress",
            "--plan",
            "稳岗扩容",
            "--task",
            "（十一）",
            "--unit",
            "教育厅",
            "--period",
            "2026-Q2",
            "--narrative",
            "x",
            "--value",
            "a=many",
        ],
        tmp_path,
        url,
    )
    assert bad_value.returncode == 2 and "is not a number" in bad_value.stderr


def _units_world(store_config: StoreConfig, tmp_path: Path) -> str:
    url = url_of(store_config)
    assert run(["db", "init"], tmp_path, url).returncode == 0
    ledger = open_ledger(store_config)
    build_world(ledger)
    ledger.close()
    return url


def _liaison_events(tmp_path: Path, url: str) -> list[dict]:
    listed = run(["events", "--json"], tmp_path, url)
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    return [r for r in rows if r["type"] == "LiaisonAssigned"]


def test_units_contact_and_show(store_config: StoreConfig, tmp_path: Path) -> None:
    url = _units_world(store_config, tmp_path)
    shown = run(["units", "show", "教育厅", "--json"], tmp_path, url)  # an alias
    assert shown.returncode == 0, shown.stderr
    unit = json.loads(shown.stdout)
    assert unit["name"] == EDU and unit["kind"] == "department" and unit["contact"] is None
    assert set(unit) == {"unit_id", "name", "kind", "aliases", "contact", "position"}
    by_id = run(["units", "show", unit["unit_id"], "--json"], tmp_path, url)
    assert json.loads(by_id.stdout) == unit
    assert "contact: none" in run(["units", "show", EDU], tmp_path, url).stdout

    # a first contact must have a name
    nameless = run(["units", "contact", EDU, "--email", "wang@jyt.nmg.gov.cn"], tmp_path, url)
    assert nameless.returncode == 2 and "needs a name" in nameless.stderr

    set_ = run(["units", "contact", EDU, "--name", "王联络", "--phone", "0471-6666666",
                "--email", "wang@jyt.nmg.gov.cn", "--json"], tmp_path, url)
    assert set_.returncode == 0, set_.stderr
    body = json.loads(set_.stdout)
    assert body["created"] is True
    assert body["contact"] == {"name": "王联络", "phone": "0471-6666666",
                               "email": "wang@jyt.nmg.gov.cn", "webhook": None}
    # partial: only the webhook changes
    hook = run(["units", "contact", "教育厅", "--webhook", "https://sms.example.test/hook"],
               tmp_path, url)
    assert hook.returncode == 0, hook.stderr
    assert "recorded" in hook.stdout and "https://sms.example.test/hook" in hook.stdout
    # the same again records nothing
    same = run(["units", "contact", EDU, "--webhook", "https://sms.example.test/hook"],
               tmp_path, url)
    assert same.returncode == 0 and "nothing written" in same.stdout
    # an explicit empty value clears that field alone
    cleared = run(["units", "contact", EDU, "--phone", "", "--json"], tmp_path, url)
    assert json.loads(cleared.stdout)["contact"] == {
        "name": "王联络", "phone": None, "email": "wang@jyt.nmg.gov.cn",
        "webhook": "https://sms.example.test/hook"}
    renamed = run(["units", "contact", EDU, "--name", "李联络", "--json"], tmp_path, url)
    assert json.loads(renamed.stdout)["contact"]["email"] == "wang@jyt.nmg.gov.cn"

    events = _liaison_events(tmp_path, url)
    assert [e["data"]["liaison"] for e in events] == [
        {"name": "王联络", "phone": "0471-6666666", "email": "wang@jyt.nmg.gov.cn",
         "webhook": ""},
        {"name": "王联络", "phone": "0471-6666666", "email": "wang@jyt.nmg.gov.cn",
         "webhook": "https://sms.example.test/hook"},
        {"name": "王联络", "phone": "", "email": "wang@jyt.nmg.gov.cn",
         "webhook": "https://sms.example.test/hook"},
        {"name": "李联络", "phone": "", "email": "wang@jyt.nmg.gov.cn",
         "webhook": "https://sms.example.test/hook"},
    ]
    assert {e["actor_role"] for e in events} == {"office"}
    assert all(e["actor"].startswith("cli:") for e in events)
    human = run(["units", "show", unit["unit_id"]], tmp_path, url)
    assert "李联络" in human.stdout and "phone:   -" in human.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["units", "contact", EDU, "--email", "wang@jyt"], "not one address"),
        (["units", "contact", EDU, "--email", "a@b.cn, c@d.cn"], "not one address"),
        (["units", "contact", EDU, "--webhook", "javascript:alert(1)"], "http:// or https://"),
        (["units", "contact", EDU, "--webhook", "file:///etc/passwd"], "http:// or https://"),
        (["units", "contact", EDU, "--webhook", "https://u:p@example.test/"], "password"),
        (["units", "contact", EDU, "--phone", "call me"], "not a phone number"),
        (["units", "contact", EDU, "--name", "王\x07"], "control characters"),
        (["units", "contact", EDU, "--name", ""], "needs a name"),
        (["units", "contact", EDU], "give at least one of"),
        (["units", "contact", "无此单位", "--name", "王"], "no unit is known"),
        (["units", "show", "00000000-0000-0000-0000-000000000000"], "no unit"),
        (["units"], "required"),
    ],
)
def test_units_mistakes_are_one_line_exit_2_and_write_nothing(
    sqlite_config: StoreConfig, tmp_path: Path, args, message
) -> None:
    url = _units_world(sqlite_config, tmp_path)
    first = run(["units", "contact", EDU, "--name", "王联络", "--email", "wang@jyt.nmg.gov.cn"],
                tmp_path, url)
    assert first.returncode == 0, first.stderr
    result = run(args, tmp_path, url)
    assert result.returncode == 2, result.stdout
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert len(_liaison_events(tmp_path, url)) == 1
    shown = json.loads(run(["units", "show", EDU, "--json"], tmp_path, url).stdout)
    assert shown["contact"] == {"name": "王联络", "phone": None,
                                "email": "wang@jyt.nmg.gov.cn", "webhook": None}


HR_ALIAS = "人力资源和社会保障厅"
QUARTERLY = "implementation-report-quarterly"


def _events(tmp_path: Path, url: str, *, simulated: bool = False) -> list[dict]:
    listed = run(["events", "--json", *(["--simulated"] if simulated else [])], tmp_path, url)
    assert listed.returncode == 0, listed.stderr
    return [json.loads(line) for line in listed.stdout.splitlines()]


def _imported(store_config: StoreConfig, tmp_path: Path) -> str:
    from tests.conftest import SEEDS

    url = url_of(store_config)
    assert run(["db", "init"], tmp_path, url).returncode == 0
    seed = SEEDS / "000_48908fa878961524.txt"  # issued 2026-05-09
    assert run(["import-plan", str(seed)], tmp_path, url).returncode == 0
    return url


def _chase(kind: str, *extra: str, unit: str = HR_ALIAS, task: str = "（十一）") -> list[str]:
    return [kind, "--plan", "稳岗扩容", "--task", task, "--unit", unit, *extra]


def test_office_chasers_write_one_event_with_the_obligations_due_date(
    store_config: StoreConfig, tmp_path: Path
) -> None:
    from ledger.clock import SystemClock

    url = _imported(store_config, tmp_path)
    before = len(_events(tmp_path, url))
    reminded = run(_chase("remind", "--obligation", QUARTERLY, "--period", "2026-q2",
                          "--reason", "请按时报送", "--json"), tmp_path, url)
    assert reminded.returncode == 0, reminded.stderr
    receipt = json.loads(reminded.stdout)
    # Q2 is due on the 5th working day of July 2026: Tuesday 2026-07-07
    assert {k: receipt[k] for k in ("kind", "obligation", "period", "due_on")} == {
        "kind": "reminder", "obligation": QUARTERLY, "period": "2026-Q2", "due_on": "2026-07-07"
    }
    events = _events(tmp_path, url)
    assert len(events) == before + 1
    written = events[-1]
    assert (written["type"], written["event_id"], written["stream_id"], written["position"]) == (
        "ReminderIssued", receipt["event_id"], receipt["assignment_id"], receipt["position"]
    )
    assert written["data"] == {"obligation": QUARTERLY, "period": "2026-Q2",
                               "due_on": "2026-07-07", "reason": "请按时报送", "evidence": [],
                               "trigger": {"rule": "office"}}
    assert written["actor"].startswith("cli:") and written["actor_role"] == "office"
    assert written["simulated"] is False
    assert written["business_date"] <= SystemClock().today().isoformat()

    urged = run(_chase("urge", "--obligation", QUARTERLY, "--period", "2026-Q2",
                       "--reason", "已逾期，请即报送"), tmp_path, url)
    assert urged.returncode == 0, urged.stderr
    urge = _events(tmp_path, url)[-1]
    assert urge["type"] == "UrgeIssued" and urge["event_id"] in urged.stdout
    assert "due 2026-07-07" in urged.stdout
    escalated = run(_chase("escalate", "--obligation", QUARTERLY, "--period", "2026-Q2",
                           "--reason", "催办后仍未报送", "--evidence", urge["event_id"],
                           "--json"), tmp_path, url)
    assert escalated.returncode == 0, escalated.stderr
    escalation = _events(tmp_path, url)[-1]
    assert escalation["type"] == "EscalatedToSupervisionPlatform"
    assert escalation["data"]["evidence"] == [urge["event_id"]]
    assert escalation["data"]["due_on"] == json.loads(escalated.stdout)["due_on"] == "2026-07-07"
    assert len(_events(tmp_path, url)) == before + 3


def test_a_chase_names_the_extended_due_date(store_config: StoreConfig, tmp_path: Path) -> None:
    """An approved extension moves the obligation's due date; the chase names the new one."""
    from datetime import timedelta
    from uuid import UUID

    from ledger.clock import SystemClock

    url = _imported(store_config, tmp_path)
    # urged once its own due date has passed (the CLI runs on the wall clock, 2026-12 on)
    first = run(_chase("urge", "--obligation", QUARTERLY, "--period", "2026-Q3",
                       "--reason", "已逾期", "--json"), tmp_path, url)
    assert first.returncode == 0, first.stderr
    receipt = json.loads(first.stdout)
    assert receipt["due_on"] == "2026-10-13"  # 5th working day of October, after National Day
    ledger = open_ledger(store_config)
    office = Act.by(ledger.clock, "office-clerk", "office")
    extended_to = SystemClock().today() + timedelta(days=30)
    assignment = UUID(receipt["assignment_id"])
    request = ledger.request_extension(office, assignment, QUARTERLY, "2026-Q3", extended_to,
                                       "数据核对")
    ledger.decide_extension(office, assignment, request.event_id, approved=True)
    ledger.close()
    # before the new date a reminder is in order (an urge would wait until it has passed)
    reminded = run(_chase("remind", "--obligation", QUARTERLY, "--period", "2026-Q3",
                          "--reason", "请于延期日前报送", "--json"), tmp_path, url)
    assert reminded.returncode == 0, reminded.stderr
    assert json.loads(reminded.stdout)["due_on"] == extended_to.isoformat()
    assert _events(tmp_path, url)[-1]["data"]["due_on"] == extended_to.isoformat()



@pytest.mark.parametrize(
    ("args", "message"),
    [
        (_chase("remind", "--obligation", "no-such-rule", "--period", "2026-Q2"),
         "does not owe no-such-rule 2026-Q2"),
        # the plan was issued in May 2026: nothing is owed for the first quarter
        (_chase("urge", "--obligation", QUARTERLY, "--period", "2026-Q1"),
         f"does not owe {QUARTERLY} 2026-Q1"),
        (_chase("escalate", "--obligation", QUARTERLY, "--period", "2026-13"), "2026-13"),
        # beyond the plan's span (obligations run to 2030), and a month on a quarterly rule
        (_chase("remind", "--obligation", QUARTERLY, "--period", "2031-Q3"),
         f"does not owe {QUARTERLY} 2031-Q3"),
        (_chase("urge", "--obligation", QUARTERLY, "--period", "2026-07"),
         f"does not owe {QUARTERLY} 2026-07"),
        (_chase("escalate", "--obligation", "bogus-rule", "--period", "2026-Q2"),
         "does not owe bogus-rule 2026-Q2"),
        (_chase("urge", "--obligation", QUARTERLY, "--period", "2026-Q2", unit="无此单位"),
         "no unit is known"),
        (_chase("remind", "--obligation", QUARTERLY, "--period", "2026-Q2", "--evidence",
                "not-an-id"), "is not an event id"),
    ],
)
def test_a_chase_for_what_the_unit_does_not_owe_writes_nothing(
    sqlite_config: StoreConfig, tmp_path: Path, args: list[str], message: str
) -> None:
    url = _imported(sqlite_config, tmp_path)
    before = len(_events(tmp_path, url))
    result = run([*args, "--reason", "x"], tmp_path, url)
    assert result.returncode == 2, result.stdout
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert len(_events(tmp_path, url)) == before


def test_an_urge_or_escalation_before_the_due_date_is_refused(
    store_config: StoreConfig, tmp_path: Path
) -> None:
    """This year's annual report is owed (the year has begun) but due next January."""
    from ledger.clock import SystemClock

    url = _imported(store_config, tmp_path)
    year = str(SystemClock().today().year)
    before = len(_events(tmp_path, url))
    for kind in ("urge", "escalate"):
        early = run(_chase(kind, "--obligation", "implementation-report-annual", "--period",
                           year, "--reason", "x"), tmp_path, url)
        assert early.returncode == 2, early.stdout
        assert "comes only after the due date has passed" in early.stderr
        assert len(early.stderr.strip().splitlines()) == 1, early.stderr
    assert len(_events(tmp_path, url)) == before
    # a reminder is what comes before the due date
    reminded = run(_chase("remind", "--obligation", "implementation-report-annual",
                          "--period", year, "--reason", "提醒"), tmp_path, url)
    assert reminded.returncode == 0, reminded.stderr
    assert len(_events(tmp_path, url)) == before + 1


def test_the_same_office_chaser_twice_on_one_day_is_recorded_once(
    store_config: StoreConfig, tmp_path: Path
) -> None:
    url = _imported(store_config, tmp_path)
    chase = _chase("remind", "--obligation", QUARTERLY, "--period", "2026-Q2",
                   "--reason", "请按时报送", "--json")
    first = run(chase, tmp_path, url)
    assert first.returncode == 0, first.stderr
    count = len(_events(tmp_path, url))
    again = run(chase, tmp_path, url)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["event_id"] == json.loads(first.stdout)["event_id"]
    assert json.loads(again.stdout)["created"] is False
    assert len(_events(tmp_path, url)) == count
    plain = run(chase[:-1], tmp_path, url)
    assert plain.returncode == 0 and "already reminded" in plain.stdout, plain.stdout


def test_a_chase_for_a_report_already_made_is_refused(
    store_config: StoreConfig, tmp_path: Path
) -> None:
    url = _imported(store_config, tmp_path)
    posted = run(["progress", "--plan", "稳岗扩容", "--task", "（十一）", "--unit", HR_ALIAS,
                  "--period", "2026-Q2", "--narrative", "创业培训8000人",
                  "--business-date", "2026-07-03"], tmp_path, url)
    assert posted.returncode == 0, posted.stderr
    before = len(_events(tmp_path, url))
    urged = run(_chase("urge", "--obligation", QUARTERLY, "--period", "2026-Q2",
                       "--reason", "x"), tmp_path, url)
    assert urged.returncode == 2
    assert f"does not owe {QUARTERLY} 2026-Q2: reported on 2026-07-03" in urged.stderr
    assert len(_events(tmp_path, url)) == before


def test_progress_dated_after_today_or_before_the_assignment_is_refused(
    store_config: StoreConfig, tmp_path: Path
) -> None:
    from datetime import timedelta

    from ledger.clock import SystemClock

    url = _imported(store_config, tmp_path)
    before = len(_events(tmp_path, url))
    later = (SystemClock().today() + timedelta(days=2)).isoformat()  # clear of midnight
    for day, message in ((later, f"business date {later} is after today"),
                         ("2026-05-08", "is before 自治区人力资源社会保障厅 was assigned to task "
                                        "（十一） (2026-05-09)")):
        result = run(["progress", "--plan", "稳岗扩容", "--task", "（十一）", "--unit", HR_ALIAS,
                      "--period", "2026-05", "--narrative", "纸质报告", "--business-date", day],
                     tmp_path, url)
        assert result.returncode == 2, result.stdout
        assert message in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert len(_events(tmp_path, url)) == before
    on_the_day = run(["progress", "--plan", "稳岗扩容", "--task", "（十一）", "--unit", HR_ALIAS,
                      "--period", "2026-05", "--narrative", "纸质报告",
                      "--business-date", "2026-05-09"], tmp_path, url)
    assert on_the_day.returncode == 0, on_the_day.stderr


def test_simulated_days_may_lie_ahead(sqlite_config: StoreConfig, tmp_path: Path) -> None:
    """simulate (and tick --as-of) write simulated events, dated wherever the office asks."""
    from datetime import timedelta

    from ledger.clock import SystemClock

    url = _imported(sqlite_config, tmp_path)
    today = SystemClock().today()
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)  # next month's 1st
    ran = run(["simulate", "--from", first.isoformat(),
               "--to", (first + timedelta(days=9)).isoformat(), "--json"], tmp_path, url)
    assert ran.returncode == 0, ran.stderr
    # real events only, unless asked: the rehearsal's are listed with --simulated
    assert all(e["business_date"] <= today.isoformat() for e in _events(tmp_path, url))
    ahead = [e for e in _events(tmp_path, url, simulated=True)
             if e["business_date"] > today.isoformat()]
    assert ahead, "the month's dispatch at least falls in its first ten days"
    assert all(e["simulated"] for e in ahead)
    assert any(e["type"] == "Ran" for e in ahead)  # the monthly dispatch cycle
    ticked = run(["tick", "--as-of", (first + timedelta(days=40)).isoformat(), "--json"],
                 tmp_path, url)
    assert ticked.returncode == 0, ticked.stderr
    assert json.loads(ticked.stdout)[0]["simulated"] is True


def test_correct_changes_only_what_it_names(store_config: StoreConfig, tmp_path: Path) -> None:
    """taskledger correct: a narrative-only correction keeps the figures; a correction of
    that correction sets one figure and removes another; the trail shows the chain."""
    url = _imported(store_config, tmp_path)
    posted = run(["progress", "--plan", "稳岗扩容", "--task", "（十一）", "--unit", HR_ALIAS,
                  "--period", "2026-Q2", "--narrative", "创业培训8000人",
                  "--value", "创业培训=8000", "--value", "创业担保贷款=300",
                  "--business-date", "2026-07-03", "--json"], tmp_path, url)
    assert posted.returncode == 0, posted.stderr
    report = json.loads(posted.stdout)
    wording = run(["correct", "--plan", "稳岗扩容", "--task", "（十一）", "--unit", HR_ALIAS,
                   "--report", report["event_id"], "--narrative", "创业培训8000人（含线上）",
                   "--reason", "补充说明"], tmp_path, url)
    assert wording.returncode == 0, wording.stderr
    assert "its figures now: 创业培训=8000, 创业担保贷款=300" in wording.stdout
    first = _events(tmp_path, url)[-1]
    assert first["type"] == "ProgressCorrected" and first["event_id"] in wording.stdout
    again = run(["correct", "--assignment", report["assignment_id"], "--report",
                 first["event_id"], "--metric", "创业培训=8100", "--remove-metric", "创业担保贷款",
                 "--reason", "核对", "--json"], tmp_path, url)
    assert again.returncode == 0, again.stderr
    receipt = json.loads(again.stdout)
    assert receipt["corrects"] == first["event_id"]
    assert receipt["report_id"] == report["event_id"]
    assert receipt["metrics"] == {"创业培训": 8100}
    events = _events(tmp_path, url)
    assert [e["data"] for e in events[-2:]] == [
        {"corrects": report["event_id"], "report": report["event_id"],
         "narrative": "创业培训8000人（含线上）", "metrics": {}, "replaces_metrics": False,
         "resulting_metrics": {"创业培训": 8000, "创业担保贷款": 300}, "reason": "补充说明"},
        {"corrects": first["event_id"], "report": report["event_id"], "narrative": None,
         "metrics": {"创业培训": 8100, "创业担保贷款": None}, "replaces_metrics": False,
         "resulting_metrics": {"创业培训": 8100}, "reason": "核对"},
    ]
    assert events[-1]["actor_role"] == "office"
    trail = run(["events", "--task", "（十一）", "--unit", HR_ALIAS], tmp_path, url)
    assert "创业担保贷款 removed" in trail.stdout.splitlines()[-1]
    assert first["event_id"][:8] in trail.stdout.splitlines()[-1]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "must change the narrative or at least one figure"),
        (["--narrative", "创业培训8000人"], "changes nothing"),
        (["--remove-metric", "没有这项"], "no figure '没有这项' to remove"),
        (["--metric", "创业培训=8100", "--remove-metric", "创业培训"], "named twice"),
        (["--metric", "创业培训=很多"], "is not a number"),
        (["--metric", "创业培训=1e999"], "finite"),
        (["--narrative", "x", "--assignment", "not-an-id"], "is not an assignment id"),
        (["--narrative", "x", "--assignment", "00000000-0000-0000-0000-000000000000"],
         "name the assignment by --assignment or by --plan"),
    ],
)
def test_correct_mistakes_are_one_line_exit_2_and_write_nothing(
    sqlite_config: StoreConfig, tmp_path: Path, extra: list[str], message: str
) -> None:
    url = _imported(sqlite_config, tmp_path)
    posted = run(["progress", "--plan", "稳岗扩容", "--task", "（十一）", "--unit", HR_ALIAS,
                  "--period", "2026-Q2", "--narrative", "创业培训8000人",
                  "--value", "创业培训=8000", "--json"], tmp_path, url)
    assert posted.returncode == 0, posted.stderr
    report = json.loads(posted.stdout)["event_id"]
    before = len(_events(tmp_path, url))
    result = run(["correct", "--plan", "稳岗扩容", "--task", "（十一）", "--unit", HR_ALIAS,
                  "--report", report, "--reason", "核对", *extra], tmp_path, url)
    assert result.returncode == 2, result.stdout
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert len(_events(tmp_path, url)) == before
    unknown = run(["correct", "--plan", "稳岗扩容", "--task", "（十一）", "--unit", HR_ALIAS,
                   "--report", str(uuid4()), "--narrative", "x", "--reason", "r"], tmp_path, url)
    assert unknown.returncode == 2 and "neither a progress report" in unknown.stderr
    assert len(_events(tmp_path, url)) == before
