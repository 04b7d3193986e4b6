"""`autoheal init` in a real git repository; every workflow it writes passes real actionlint."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_autoheal.config import load_config
from pytest_autoheal.scaffold import render_workflows

ROOT = Path(__file__).resolve().parents[2]
# The command that wrote this repository's own .github/workflows (README, "autoheal init").
REPO_INIT_ARGS = [
    "--install",
    'pip install -e ".[all]" -e examples/demo_platform',
    "--component",
    "cli",
    "--component",
    "mcp_tools",
    "--component",
    "js_sdk",
    "--component",
    "dashboard",
    "--path",
    "pytest_autoheal/**",
]

PROJECT = """# The shop platform.
[project]
name = "shop"
version = "1.0"

[tool.ruff]
line-length = 100  # keep this comment
"""

CONFIGURED = """
[tool.autoheal]
report_dir = "autoheal-reports"
in_app = ["src"]

[tool.autoheal.cli]
variants = [{ module = "shop" }]

[tool.autoheal.mcp]
command = ["shop-mcp"]
tools_dir = "src/shop/tools"

[tool.autoheal.js_sdk]
files = ["web/sdk/*.js"]
tests = ["web/tests/*.test.cjs"]

[tool.autoheal.dashboard]
command = ["shop-web", "--port", "{port}"]
pages = ["/"]
"""

MONITORS = {
    "autoheal-cli.yml": ("Monitor: CLI", "0 4 * * *"),
    "autoheal-mcp-tools.yml": ("Monitor: MCP tools", "0 6 * * *"),
    "autoheal-js-sdk.yml": ("Monitor: JS SDK", "0 5 * * *"),
    "autoheal-dashboard.yml": ("Monitor: dashboard", "0 2 * * *"),
}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True, timeout=60).stdout


def init(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest_autoheal", "init", "--repo-dir", str(repo), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "shop"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "dev@example.invalid")
    git(repo, "config", "user.name", "dev")
    (repo / "pyproject.toml").write_text(PROJECT + CONFIGURED)
    for category in ("pdf_tools", "math_tools"):
        folder = repo / "src" / "shop" / "tools" / category
        folder.mkdir(parents=True)
        (folder / "tool.py").write_text("def run():\n    return 1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "shop")
    return repo


def workflows(repo: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted((repo / ".github" / "workflows").glob("*.yml"))}


def test_init_writes_monitors_and_autofix_that_pass_actionlint(repo: Path, actionlint: Callable[..., list[dict[str, Any]]]) -> None:
    done = init(repo)
    assert done.returncode == 0, done.stderr
    files = workflows(repo)
    assert set(files) == {*MONITORS, "autoheal-autofix.yml"}
    assert actionlint(*sorted((repo / ".github" / "workflows").glob("*.yml"))) == []
    for name, (title, cron) in MONITORS.items():
        text = files[name]
        assert f'name: "{title}"' in text
        assert f'- cron: "{cron}"' in text
        assert "workflow_dispatch:" in text and "level:" in text and "category:" in text
        assert "pull_request:" in text and "paths:" in text
        assert "actions/upload-artifact@v4" in text and "if: always()" in text
        assert '"src/**"' in text
    assert '"src/shop/tools/**"' in files["autoheal-mcp-tools.yml"]
    assert "fromJSON(needs.categories.outputs.list)" in files["autoheal-mcp-tools.yml"]
    assert 'TOOLS_DIR: "src/shop/tools"' in files["autoheal-mcp-tools.yml"]
    assert '"web/sdk/*.js"' in files["autoheal-js-sdk.yml"] and "actions/setup-node@v4" in files["autoheal-js-sdk.yml"]
    assert "chromium" in files["autoheal-dashboard.yml"] and "chromium" not in files["autoheal-cli.yml"]
    autofix = files["autoheal-autofix.yml"]
    assert "workflow_run:" in autofix and "types: [completed]" in autofix
    assert "github.event.workflow_run.conclusion == 'failure' && github.event.workflow_run.event != 'pull_request'" in autofix
    assert sorted(re.findall(r'^      - "(Monitor: [^"]+)"$', autofix, re.M)) == sorted(t for t, _ in MONITORS.values())
    assert "run-id: ${{ github.event.workflow_run.id }}" in autofix
    assert 'autoheal heal --reports "${dirs[@]}" --repo "$GITHUB_REPOSITORY"' in autofix
    assert "pip install -e ." in autofix
    # The existing [tool.autoheal] is kept byte for byte; git sees only the new workflow files.
    assert (repo / "pyproject.toml").read_text() == PROJECT + CONFIGURED
    status = git(repo, "status", "--porcelain", "--untracked-files=all").splitlines()
    assert sorted(status) == sorted(f"?? .github/workflows/{n}" for n in files)


def test_mcp_category_matrix_step_lists_the_tools_folders(repo: Path) -> None:
    assert init(repo).returncode == 0
    text = workflows(repo)["autoheal-mcp-tools.yml"]
    script = text.split("<<'PY'\n", 1)[1].split("\n          PY", 1)[0]
    script = "\n".join(line[10:] for line in script.splitlines())
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, "WANTED": "", "TOOLS_DIR": "src/shop/tools"},
    )
    assert out.stdout.strip() == 'list=["math_tools", "pdf_tools"]', out.stderr
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, "WANTED": " pdf_tools, ", "TOOLS_DIR": "src/shop/tools"},
    )
    assert out.stdout.strip() == 'list=["pdf_tools"]', out.stderr


def test_second_init_changes_nothing(repo: Path) -> None:
    assert init(repo).returncode == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "workflows")
    again = init(repo)
    assert again.returncode == 0, again.stderr
    assert [line.split()[0] for line in again.stdout.splitlines()] == ["kept"] + ["unchanged"] * 5
    assert git(repo, "status", "--porcelain") == ""


def test_edited_workflow_is_kept_unless_forced(repo: Path) -> None:
    assert init(repo).returncode == 0
    path = repo / ".github" / "workflows" / "autoheal-cli.yml"
    edited = path.read_text().replace("timeout-minutes: 30", "timeout-minutes: 50")
    path.write_text(edited)
    refused = init(repo)
    assert refused.returncode == 1
    assert "refused   .github/workflows/autoheal-cli.yml" in refused.stdout
    assert "run again with --force" in refused.stderr
    assert path.read_text() == edited
    forced = init(repo, "--force")
    assert forced.returncode == 0, forced.stderr
    assert "replaced  .github/workflows/autoheal-cli.yml" in forced.stdout
    assert "timeout-minutes: 30" in path.read_text()


def test_unedited_workflow_follows_new_options(repo: Path) -> None:
    assert init(repo).returncode == 0
    updated = init(repo, "--python", "3.13", "--branch", "main", "--branch", "release")
    assert updated.returncode == 0, updated.stderr
    text = workflows(repo)["autoheal-cli.yml"]
    assert 'python-version: "3.13"' in text and 'branches: ["main", "release"]' in text
    assert updated.stdout.count("updated") == 5


def test_init_adds_a_starter_config_without_touching_the_rest(tmp_path: Path) -> None:
    repo = tmp_path / "plain"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "pyproject.toml").write_text(PROJECT)
    done = init(repo)
    # The starter table is written, but a config that names no target gets no workflow that cannot work.
    assert done.returncode == 1, done.stderr
    assert "updated   pyproject.toml  (added [tool.autoheal])" in done.stdout
    text = (repo / "pyproject.toml").read_text()
    assert text.startswith(PROJECT)
    data = tomllib.loads(text)
    assert data["tool"]["ruff"] == {"line-length": 100} and data["project"]["name"] == "shop"
    assert load_config(repo).report_dir == "autoheal-reports"
    assert done.stderr.strip() == (
        f"autoheal init: {repo / 'pyproject.toml'}: [tool.autoheal] names no target yet, so no monitoring workflow was written; "
        "add [tool.autoheal.dashboard], [tool.autoheal.cli], [tool.autoheal.js_sdk], [tool.autoheal.mcp] (see the README) "
        "and run autoheal init again"
    )
    assert not (repo / ".github").exists()
    again = init(repo)
    assert (repo / "pyproject.toml").read_text() == text and again.returncode == 1
    assert "kept      pyproject.toml" in again.stdout and "names no target yet" in again.stderr


def test_starter_config_holds_the_call_policy_line_commented_out(tmp_path: Path) -> None:
    done = init(tmp_path)
    # The starter names no target yet: written, but no workflow (exit 1, one sentence).
    assert done.returncode == 1 and "names no target yet" in done.stderr, done.stderr
    text = (tmp_path / "pyproject.toml").read_text()
    assert "mcp" not in tomllib.loads(text)["tool"]["autoheal"]
    opened = text.replace("# [tool.autoheal.mcp]", "[tool.autoheal.mcp]").replace('# command = ["your-mcp-server"]', 'command = ["srv"]')
    (tmp_path / "pyproject.toml").write_text(opened)
    assert load_config(tmp_path).mcp.call == "read_only"
    (tmp_path / "pyproject.toml").write_text(opened.replace('# call = "all"', 'call = "all"'))
    assert load_config(tmp_path).mcp.call == "all"


def test_init_creates_pyproject_when_there_is_none(tmp_path: Path) -> None:
    done = init(tmp_path)
    assert done.returncode == 1 and "names no target yet" in done.stderr
    assert "created   pyproject.toml" in done.stdout
    assert tomllib.loads((tmp_path / "pyproject.toml").read_text())["tool"]["autoheal"]["report_dir"] == "autoheal-reports"


def test_a_component_without_a_target_gets_no_monitor(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.autoheal]\n[tool.autoheal.cli]\nvariants = [{ module = "shop" }]\n')
    done = init(tmp_path, "--component", "cli", "--component", "dashboard")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"autoheal init: --component dashboard: {tmp_path / 'pyproject.toml'} has no [tool.autoheal.dashboard] table, "
        "so its monitor would check nothing; configure it, or choose among the configured components: cli"
    )
    assert not (tmp_path / ".github").exists()
    assert init(tmp_path, "--component", "cli").returncode == 0
    assert sorted(workflows(tmp_path)) == ["autoheal-autofix.yml", "autoheal-cli.yml"]


def test_broken_existing_config_is_one_message(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.autoheal]\nreport_dri = "x"\n')
    done = init(tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().endswith("tool.autoheal.report_dri: unknown key")
    assert not (tmp_path / ".github").exists()


def test_actionlint_reports_a_broken_workflow(tmp_path: Path, actionlint: Callable[..., list[dict[str, Any]]]) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on:\n  workflow_run:\n    workflows: [x]\n    types: [finished]\n"
        "jobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.evnt.workflow_run.id }}\n"
    )
    kinds = {p["kind"] for p in actionlint(bad)}
    assert {"events", "expression"} <= kinds, kinds


def test_this_repos_workflows_are_what_init_writes_and_pass_actionlint(actionlint: Callable[..., list[dict[str, Any]]]) -> None:
    folder = ROOT / ".github" / "workflows"
    cfg = load_config(ROOT)
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    expected = render_workflows(
        data["tool"]["autoheal"],
        base_dir=ROOT,
        components=["cli", "mcp_tools", "js_sdk", "dashboard"],
        python="3.12",
        install=[REPO_INIT_ARGS[1]],
        branches=["main"],
        tools_dir=cfg.mcp.tools_dir if cfg.mcp else None,
        extra_paths=[REPO_INIT_ARGS[-1]],
    )
    current = {p.name: p.read_text() for p in folder.glob("autoheal-*.yml")}
    refresh = "refresh them with: autoheal init " + " ".join(f"'{a}'" if " " in a else a for a in REPO_INIT_ARGS)
    assert current == expected, refresh
    assert actionlint(*sorted(folder.glob("*.yml"))) == []


def run_scripts(text: str) -> list[str]:
    """The shell scripts of a workflow's ``run:`` steps, with GitHub's expressions replaced by a plain word."""
    scripts = []
    lines = text.splitlines()
    for k, line in enumerate(lines):
        m = re.match(r"^(?P<indent>\s*)(?:- )?run: (?P<rest>.*)$", line)
        if not m:
            continue
        if m.group("rest") != "|":
            scripts.append(m.group("rest"))
            continue
        body = []
        for nxt in lines[k + 1 :]:
            if nxt.strip() and len(nxt) - len(nxt.lstrip()) <= len(m.group("indent")):
                break
            body.append(nxt)
        width = min(len(b) - len(b.lstrip()) for b in body if b.strip())
        scripts.append("\n".join(b[width:] for b in body))
    return [re.sub(r"\$\{\{.*?\}\}", "expr", s) for s in scripts]


def test_every_run_step_is_valid_bash(repo: Path) -> None:
    assert init(repo).returncode == 0
    checked = 0
    for name, text in workflows(repo).items():
        for script in run_scripts(text):
            done = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True, timeout=30)
            assert done.returncode == 0, (name, script, done.stderr)
            checked += 1
    assert checked >= 14


def step_script(text: str, step_name: str) -> str:
    lines = text.splitlines()
    start = next(k for k, line in enumerate(lines) if line.strip() == f"- name: {step_name}")
    following = "\n".join(lines[start:])
    return run_scripts(following)[0]


CRASH_LOG = """2026-11-25T10:00:00.0000000Z ##[group]Run python tools/{name}.py
2026-11-25T10:00:00.0000000Z ##[endgroup]
2026-11-25T10:00:01.0000000Z Traceback (most recent call last):
2026-11-25T10:00:01.0000000Z   File "/home/runner/work/shop/shop/tools/{name}.py", line 3, in <module>
2026-11-25T10:00:01.0000000Z     {line}
2026-11-25T10:00:01.0000000Z {error}
2026-11-25T10:00:01.0000000Z ##[error]Process completed with exit code 1.
"""


def test_autofix_steps_run_heal_on_the_downloaded_reports(repo: Path) -> None:
    # The autofix job's own shell steps, run for real; heal uses its local backend (issues as files, real git branches).
    with (repo / "pyproject.toml").open("a") as fh:
        fh.write('\n[tool.autoheal.heal]\nbackend = "local"\nlocal_repo = "."\n')
    assert init(repo).returncode == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "autoheal")
    autofix = workflows(repo)["autoheal-autofix.yml"]
    shard = repo / "downloaded-reports" / "autoheal-reports-cli"
    log = repo / "ci.log"
    log.write_text(
        CRASH_LOG.format(name="sync", line="1 / 0", error="ZeroDivisionError: division by zero")
        + CRASH_LOG.format(name="load", line="open('x')", error="FileNotFoundError: [Errno 2] No such file or directory: 'x'")
    )
    env = {**os.environ, "GITHUB_REPOSITORY": "acme/shop", "RUN_ID": "77", "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    env = {k: v for k, v in env.items() if k not in ("GITHUB_TOKEN", "GH_TOKEN")}
    env["PYTHONWARNINGS"] = "ignore"
    analysed = subprocess.run(
        [sys.executable, "-m", "pytest_autoheal", "analyze", str(log), "--out", str(shard)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert analysed.returncode == 0, analysed.stderr
    fallback = step_script(autofix, "Analyse the failed run's log when it uploaded no reports")
    heal = step_script(autofix, "File or update issues and draft PRs")
    for script in (fallback, heal):
        done = subprocess.run(["bash", "-e", "-c", script], cwd=repo, capture_output=True, text=True, timeout=300, env=env)
        assert done.returncode == 0, (script, done.stdout, done.stderr)
    issues = sorted((repo / ".git" / "autoheal").rglob("issues/*.json"))
    assert len(issues) == 2
    assert len([b for b in git(repo, "branch", "--list", "autofix/*").splitlines() if b.strip()]) == 2
    again = subprocess.run(["bash", "-e", "-c", heal], cwd=repo, capture_output=True, text=True, timeout=300, env=env)
    assert again.returncode == 0, again.stderr
    assert len(sorted((repo / ".git" / "autoheal").rglob("issues/*.json"))) == 2


def test_autofix_without_reports_reads_the_log_and_files_nothing_when_it_is_clean(repo: Path) -> None:
    assert init(repo).returncode == 0
    autofix = workflows(repo)["autoheal-autofix.yml"]
    env = {**os.environ, "GITHUB_REPOSITORY": "acme/shop", "RUN_ID": "78", "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}
    env["PYTHONWARNINGS"] = "ignore"
    for step in ("Analyse the failed run's log when it uploaded no reports", "File or update issues and draft PRs"):
        done = subprocess.run(
            ["bash", "-e", "-c", step_script(autofix, step)], cwd=repo, capture_output=True, text=True, timeout=300, env=env
        )
        assert done.returncode == 0, (step, done.stdout, done.stderr)
    assert "nothing to file" in done.stdout
    assert (repo / "failed-run.log").exists()


def test_unreadable_pyproject_and_missing_repo_are_one_clear_message(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project\nname = 1\n")
    done = init(tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().startswith(f"autoheal init: {tmp_path / 'pyproject.toml'}: not valid TOML (")
    assert (tmp_path / "pyproject.toml").read_text() == "[project\nname = 1\n"
    missing = init(tmp_path / "nowhere")
    assert missing.returncode == 2
    assert "is not a directory; pass --repo-dir with the repository's path." in missing.stderr
