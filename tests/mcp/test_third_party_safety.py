"""Real third-party servers whose tools can write: the monitor must leave their data exactly as it was.

``mcp-server-sqlite`` (its tools carry no annotations, so by the MCP spec all are destructive)
against a database file, and ``mcp-server-git`` run from inside a git repository; checksums and
``git status``/``git log`` before and after.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.support.thirdparty import python_venv

from .conftest import PYTHON, ROOT, SUITE, write_config

SQLITE_TOOLS = {"read_query", "write_query", "create_table", "list_tables", "describe_table", "append_insight"}
READERS = ["read_query", "list_tables", "describe_table"]


@pytest.fixture(scope="session")
def sqlite_bin() -> Path:
    # The reference SQLite server is built on the MCP SDK 1.x: its own venv.
    return python_venv("mcp-server-sqlite", ["mcp-server-sqlite", "mcp<2"])


@pytest.fixture(scope="session")
def git_bin() -> Path:
    return python_venv("mcp-server-git", ["mcp-server-git"])


def _database(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        conn.execute("create table items (id integer primary key, name text)")
        conn.executemany("insert into items (name) values (?)", [("pen",), ("book",)])
    conn.close()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sqlite_config(tmp_path: Path, sqlite_bin: Path, db: Path, **mcp) -> Path:
    return write_config(
        tmp_path / "sqlite.toml",
        {
            "command": [str(sqlite_bin / "mcp-server-sqlite"), "--db-path", str(db)],
            "categories": {name: "sqlite" for name in SQLITE_TOOLS},
            "startup_timeout": 30,
            **mcp,
        },
        {
            "examples": {
                # The second query names a table that does not exist: the server answers isError: false, "Database error: ...".
                "read_query": [{"query": "select name from items order by id"}, {"query": "select name from orders"}],
                "describe_table": {"table_name": "items"},
            },
            "stress": {"tools": ["*"], "calls": 12, "sessions": 1, "max_p95_ms": 60000, "max_rss_growth_mb": 4096},
        },
    )


def test_sqlite_server_is_not_called_by_default_and_its_database_is_unchanged(tmp_path, run_suite, sqlite_bin):
    db = tmp_path / "shop.db"
    before = _database(db)
    run = run_suite(_sqlite_config(tmp_path, sqlite_bin, db), "-rs", level="comprehensive,stress")
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    outcomes = run.result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0 and run.records() == [], run.result.stdout.str()[-3000:]
    data = run.run_json()
    calls = {t["target"]: t for t in data["tests"] if "test_tool_call[" in t["nodeid"]}
    assert set(calls) == SQLITE_TOOLS
    for name, test in calls.items():
        assert test["outcome"] == "skipped" and "trail" not in test
        assert test["not_called"].startswith(f"{name} is not annotated read-only (it has no annotations")
        assert "add it to [tool.autoheal.mcp] allow" in test["not_called"] and 'call = "all"' in test["not_called"]
    (stress,) = [t for t in data["tests"] if "test_concurrent_calls" in t["nodeid"]]
    assert stress["outcome"] == "skipped" and "write_query is not annotated read-only" in stress["not_called"]
    assert data["by_category"]["sqlite"]["not_called_policy"] == len(SQLITE_TOOLS) + 1
    assert data["counts"]["not_called_policy"] == len(SQLITE_TOOLS) + 1
    run.result.stdout.fnmatch_lines(["*7 not called (policy)*", "*SKIPPED*write_query is not annotated read-only*"])
    html = (run.report_dir / "health.html").read_text()
    assert "7⊘" in html and "write_query is not annotated read-only" in html and "7 not called (policy)" in html


def test_sqlite_readers_allowed_by_name_are_called_and_pass_and_the_database_is_unchanged(tmp_path, run_suite, sqlite_bin):
    db = tmp_path / "shop.db"
    before = _database(db)
    run = run_suite(_sqlite_config(tmp_path, sqlite_bin, db, allow=READERS), "-rs", level="comprehensive,stress")
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert run.result.parseoutcomes().get("failed", 0) == 0 and run.records() == [], run.result.stdout.str()[-3000:]
    data = run.run_json()
    calls = {t["target"]: t for t in data["tests"] if "test_tool_call[" in t["nodeid"]}
    assert {n for n, t in calls.items() if t["outcome"] == "passed"} == set(READERS)
    assert {n for n, t in calls.items() if t.get("not_called")} == SQLITE_TOOLS - set(READERS)
    first, second = calls["read_query"]["trail"]
    assert "pen" in first["answer"] and first["is_error"] is False and second["is_error"] is False
    # An answer that says it is an error, though isError is false: a warning, not a failure and not filed.
    assert data["metrics"][calls["read_query"]["nodeid"]]["error_answer"] == "Database error: no such table: orders"
    assert [w["nodeid"] for w in data["warnings"]] == [calls["read_query"]["nodeid"]]
    (stress,) = [t for t in data["tests"] if "test_concurrent_calls" in t["nodeid"]]
    assert stress["outcome"] == "passed" and {e["tool"] for e in stress["trail"]} == set(READERS)
    assert data["metrics"][stress["nodeid"]]["errors"] == 0


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def _scratch_repository(path: Path, config: str) -> Path:
    path.mkdir()
    _git(path, "init", "-q")
    _git(path, "config", "user.email", "dev@example.invalid")
    _git(path, "config", "user.name", "Dev")
    (path / "README.md").write_text("scratch\n")
    (path / "pyproject.toml").write_text(config)
    (path / ".gitignore").write_text("reports/\n")
    _git(path, "add", "-A")
    _git(path, "commit", "-q", "-m", "initial")
    # Work in progress, staged: what a git_reset in the wrong directory would throw away.
    (path / "notes.txt").write_text("draft\n")
    _git(path, "add", "notes.txt")
    return path


def _state(repo: Path) -> tuple[str, str]:
    return _git(repo, "status", "--porcelain", "--untracked-files=all"), _git(repo, "log", "--all", "--format=%H %s")


def _monitor_from_inside(repo: Path) -> subprocess.CompletedProcess[str]:
    """pytest started from inside the repository, its configuration in the repository's pyproject.toml (the normal set-up)."""
    argv = [PYTHON, "-m", "pytest", str(SUITE), f"--rootdir={ROOT}", f"--autoheal-config={repo / 'pyproject.toml'}"]
    argv += [f"--autoheal-dir={repo / 'reports'}", "--autoheal-level=comprehensive", "-p", "no:cacheprovider", "-p", "no:randomly", "-rs"]
    return subprocess.run(argv, cwd=repo, capture_output=True, text=True, timeout=300)


def test_git_server_called_with_everything_allowed_cannot_touch_the_repository_it_is_run_from(tmp_path, git_bin):
    config = f'[tool.autoheal.mcp]\ncommand = ["{git_bin / "mcp-server-git"}"]\ncall = "all"\nstartup_timeout = 30\n'
    repo = _scratch_repository(tmp_path / "repo", config)
    before = _state(repo)
    assert before[0] == "A  notes.txt\n"
    done = _monitor_from_inside(repo)
    assert "passed" in done.stdout, done.stdout[-3000:] + done.stderr[-2000:]
    assert _state(repo) == before
    data = json.loads((repo / "reports" / "run.json").read_text())
    answers = {t["target"]: t["trail"][0]["answer"] for t in data["tests"] if t.get("trail")}
    # Every write tool was called ("all"); with repo_path "" it resolved to the server's working directory: the sandbox.
    assert {"git_commit", "git_add", "git_reset", "git_checkout", "git_create_branch"} <= set(answers)
    assert all("/autoheal-mcp-" in answers[name] and str(repo) not in answers[name] for name in ("git_commit", "git_status"))


def test_git_server_placed_in_the_repository_by_config_does_write_there(tmp_path, git_bin):
    # The control: the same run with cwd = "." puts the server in the repository, and the generated git_commit
    # (repo_path "", message "") commits the staged work in progress there, as in the report that led to the sandbox.
    config = f'[tool.autoheal.mcp]\ncommand = ["{git_bin / "mcp-server-git"}"]\ncall = "all"\ncwd = "."\nstartup_timeout = 30\n'
    repo = _scratch_repository(tmp_path / "repo", config)
    before = _state(repo)
    _monitor_from_inside(repo)
    status, log = _state(repo)
    assert status != before[0] and len(log.splitlines()) == len(before[1].splitlines()) + 1
