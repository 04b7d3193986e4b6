"""The offline backend: issues and PRs as files, branches and commits as real git objects."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from pytest_autoheal import runner
from tests.heal.conftest import make_records, run_heal


def git(repo: Path, *args: str) -> str:
    result = runner.run(["git", "-C", str(repo), *args], timeout=30)
    assert result.ok, result.describe()
    return result.text().strip()


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "platform"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "dev@example.test")
    git(repo, "config", "user.name", "dev")
    (repo / "app.py").write_text("print('hello')\n")
    git(repo, "add", "app.py")
    git(repo, "commit", "-q", "-m", "first")
    return repo


def test_local_backend_makes_real_git_branches_with_the_record_and_leaves_the_worktree_alone(
    git_repo: Path, heal_config, tmp_path: Path
) -> None:
    reports = tmp_path / "reports"
    records = make_records(reports, fingerprints=2, records=6)
    head = git(git_repo, "rev-parse", "HEAD")
    cfg = heal_config()
    assert run_heal("--reports", reports, "--config", cfg, "--backend", "local", "--local-repo", git_repo) == 0
    branches = git(git_repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/autofix/").splitlines()
    assert len(branches) == 2
    store = git_repo / ".git" / "autoheal"
    issues = sorted((json.loads(p.read_text()) for p in (store / "issues").glob("*.json")), key=lambda d: d["number"])
    pulls = [json.loads(p.read_text()) for p in (store / "pulls").glob("*.json")]
    assert [i["number"] for i in issues] == [1, 3] and len(pulls) == 2
    fingerprints = {r["fingerprint"]["hash"] for r in records}
    for issue in issues:
        branch = next(b for b in branches if f"-issue-{issue['number']}-" in b)
        assert branch.startswith("autofix/workflow-1001-issue-")
        committed = json.loads(git(git_repo, "show", f"{branch}:.autoheal/issue-{issue['number']}.json"))
        assert committed["fingerprint"]["hash"] in fingerprints
        assert git(git_repo, "rev-parse", f"{branch}^") == head
        assert git(git_repo, "log", "-1", "--format=%an", branch) == "autoheal"
        pull = next(p for p in pulls if p["head"] == branch)
        assert pull["draft"] and pull["body"].startswith(f"Fixes #{issue['number']}") and "@copilot" in pull["body"]
    assert git(git_repo, "rev-parse", "HEAD") == head
    assert git(git_repo, "status", "--porcelain") == ""
    assert git(git_repo, "symbolic-ref", "--short", "HEAD") == "main"
    assert run_heal("--reports", reports, "--config", cfg, "--backend", "local", "--local-repo", git_repo) == 0
    assert len(list((store / "issues").glob("*.json"))) == 2
    assert len(git(git_repo, "for-each-ref", "refs/heads/autofix/").splitlines()) == 2


def test_records_from_a_real_pytest_run_are_healed_into_the_local_backend(pytester: pytest.Pytester, git_repo: Path, heal_config) -> None:
    pytester.makepyfile(
        test_platform="""
        import pytest

        def divide(a, b):
            return a / b

        @pytest.mark.parametrize("n", [1, 2, 3])
        def test_ratio(n):
            assert divide(n, 0)

        def test_lookup():
            {}["missing"]
        """
    )
    result = pytester.runpytest_subprocess("-p", "autoheal", "--autoheal-dir=reports")
    result.assert_outcomes(failed=4)
    reports = pytester.path / "reports"
    assert len(list((reports / "records").glob("*.json"))) == 4
    proc = runner.run(
        [
            Path(sys.executable).parent / "autoheal",
            "heal",
            "--reports",
            reports,
            "--config",
            heal_config(),
            "--backend",
            "local",
            "--local-repo",
            git_repo,
        ],
        timeout=120,
    )
    assert proc.returncode == 0, proc.describe()
    assert "4 record(s) in 1 report dir(s): 2 fingerprint(s)" in proc.text()
    issues = [json.loads(p.read_text()) for p in (git_repo / ".git" / "autoheal" / "issues").glob("*.json")]
    titles = sorted(i["title"] for i in issues)
    assert len(titles) == 2 and titles[0].startswith("Fix KeyError") and titles[1].startswith("Fix ZeroDivisionError")
    zde = next(i for i in issues if "ZeroDivisionError" in i["title"])
    assert "Occurrences**: 3 in 1 run(s)" in zde["body"] and len(re.findall(r"^- `.*::test_ratio\[", zde["body"], re.M)) == 3


def test_a_test_process_that_died_midway_is_filed_from_its_inflight_marker(pytester: pytest.Pytester, git_repo: Path, heal_config) -> None:
    pytester.makepyfile(
        test_dies="""
        import os

        def test_process_dies():
            os._exit(3)
        """
    )
    pytester.runpytest_subprocess("-p", "autoheal", "--autoheal-dir=reports")
    reports = pytester.path / "reports"
    assert list((reports / "inflight").glob("*.json")) and not list((reports / "records").glob("*.json"))
    cfg = heal_config()
    assert run_heal("--reports", reports, "--config", cfg, "--backend", "local", "--local-repo", git_repo) == 0
    issues = [json.loads(p.read_text()) for p in (git_repo / ".git" / "autoheal" / "issues").glob("*.json")]
    assert len(issues) == 1 and "test_process_dies" in issues[0]["body"]
    assert "**Class**: crash" in issues[0]["body"]


def test_bad_heal_config_is_one_line_naming_the_key(tmp_path: Path, capsys) -> None:
    config = tmp_path / "pyproject.toml"
    config.write_text("[tool.autoheal.heal]\nmax_reports_per_sesion = 3\n")
    (tmp_path / "reports").mkdir()
    assert run_heal("--reports", tmp_path / "reports", "--config", config, "--dry-run") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"autoheal heal: {config}: tool.autoheal.heal.max_reports_per_sesion: unknown key"]


def test_local_backend_reopens_a_closed_issue_and_comments_once(git_repo: Path, heal_config, tmp_path: Path) -> None:
    from pytest_autoheal.heal.local_backend import LocalBackend

    cfg = heal_config()
    make_records(tmp_path / "a", fingerprints=1, records=1, run_id="8001")
    assert run_heal("--reports", tmp_path / "a", "--config", cfg, "--backend", "local", "--local-repo", git_repo) == 0
    LocalBackend(git_repo).close_issue(1)
    make_records(tmp_path / "b", fingerprints=1, records=1, run_id="8002")
    for _ in range(2):
        assert run_heal("--reports", tmp_path / "b", "--config", cfg, "--backend", "local", "--local-repo", git_repo) == 0
    issue = json.loads((git_repo / ".git" / "autoheal" / "issues" / "1.json").read_text())
    assert issue["state"] == "open" and issue["state_reason"] == "reopened"
    assert len(issue["comments"]) == 1 and "Regression" in issue["comments"][0]["body"]
    assert len(list((git_repo / ".git" / "autoheal" / "pulls").glob("*.json"))) == 1


def test_local_backend_closes_a_duplicate_issue_and_extra_draft_prs_with_a_comment(git_repo: Path, heal_config, tmp_path: Path) -> None:
    from pytest_autoheal.heal.local_backend import LocalBackend

    cfg, reports = heal_config(), tmp_path / "reports"
    make_records(reports, fingerprints=1, records=1, run_id="8101")
    local = ("--config", cfg, "--backend", "local", "--local-repo", git_repo)
    assert run_heal("--reports", reports, *local) == 0
    backend = LocalBackend(git_repo)
    (kept,) = backend.list_issues("autofix")
    (kept_pr,) = backend.list_pulls()
    # A second issue with the same marker and its own draft PR, and a second draft PR for the first issue: two runs racing.
    dup = backend.create_issue(kept.title, kept.body, kept.labels)
    extra = []
    for n, stamp in ((dup.number, 1), (kept.number, 2)):
        branch = f"autofix/workflow-8101-issue-{n}-{stamp}"
        backend.create_branch(branch, backend.branch_sha("main"))
        extra.append(backend.create_pull("draft", f"Fixes #{n}\n", branch, "main").number)
    assert run_heal("--reports", reports, *local) == 0
    assert (backend.get_issue(kept.number).state, backend.get_issue(dup.number).state_reason) == ("open", "duplicate")
    assert {p.number: p.state for p in backend.list_pulls()} == {kept_pr.number: "open", extra[0]: "closed", extra[1]: "closed"}
    for number in extra:
        (said,) = backend.list_comments(number)
        assert said.body.startswith(f"Closed in favour of #{kept.number}")
    assert run_heal("--reports", reports, *local) == 0
    assert [len(backend.list_comments(n)) for n in extra] == [1, 1]
