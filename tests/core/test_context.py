"""The run context reads the checkout's commit from .git; real git checks every layout it reads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_autoheal.context import git_head, run_context

GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t"}
GIT_ENV["GIT_COMMITTER_EMAIL"] = "t@example.invalid"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, env=GIT_ENV, check=True, capture_output=True, text=True).stdout.strip()


def truth(repo: Path) -> tuple[str, str]:
    return git(repo, "rev-parse", "HEAD"), git(repo, "rev-parse", "--abbrev-ref", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "checkout"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "work")
    (repo / "a.txt").write_text("one\n")
    git(repo, "add", "a.txt")
    git(repo, "commit", "-q", "-m", "one")
    (repo / "sub" / "deeper").mkdir(parents=True)
    return repo


def test_branch_head_matches_git_from_a_subdirectory(repo: Path) -> None:
    assert git_head(repo / "sub" / "deeper") == truth(repo) and truth(repo)[1] == "work"


def test_packed_refs_match_git(repo: Path) -> None:
    git(repo, "pack-refs", "--all")
    assert not (repo / ".git" / "refs" / "heads" / "work").exists()
    assert git_head(repo) == truth(repo)


def test_detached_head_matches_git(repo: Path) -> None:
    (repo / "a.txt").write_text("two\n")
    git(repo, "commit", "-q", "-am", "two")
    git(repo, "checkout", "-q", "--detach", "HEAD~1")
    assert git_head(repo) == truth(repo) and truth(repo)[1] == "HEAD"


def test_linked_worktree_matches_git(repo: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    git(repo, "worktree", "add", "-q", "-b", "side", str(other))
    (other / "b.txt").write_text("side\n")
    git(other, "add", "b.txt")
    git(other, "commit", "-q", "-m", "side")
    assert git_head(other) == truth(other) and truth(other)[1] == "side"
    assert git_head(repo) == truth(repo)


def test_outside_a_repository_and_on_an_unborn_branch(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    if not any((p / ".git").exists() for p in (plain, *plain.parents)):
        assert git_head(plain) == (None, None)
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    git(fresh, "init", "-q", "-b", "start")
    assert git_head(fresh) == (None, "start")


def test_run_context_uses_the_checkout_unless_actions_says(repo: Path) -> None:
    ctx = run_context(environ={}, cwd=repo)
    assert (ctx["sha"], ctx["ref"]) == truth(repo)
    ctx = run_context(environ={"GITHUB_RUN_ID": "77", "GITHUB_SHA": "f" * 40, "GITHUB_REF": "refs/heads/main"}, cwd=repo)
    assert (ctx["id"], ctx["sha"], ctx["ref"]) == ("77", "f" * 40, "refs/heads/main")


def test_public_names_stay_functions_after_their_modules_load() -> None:
    code = (
        "import sys, pytest_autoheal.plugin\n"
        "loaded = sorted(m for m in ('pytest_autoheal.record', 'pytest_autoheal.classify', 'pytest_autoheal.fingerprint') if m in sys.modules)\n"
        "import pytest_autoheal.fingerprint, pytest_autoheal.classify, pytest_autoheal.redact\n"
        "from pytest_autoheal import fingerprint, classify, redact, build_record, TargetFailure\n"
        "print(loaded, fingerprint.__module__, classify.__module__, redact.__module__, build_record.__module__, TargetFailure.__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    # Loading the plugin loads none of the analysis modules; the public names are the functions.
    assert out == ["[]", "pytest_autoheal.fingerprint", "pytest_autoheal.classify", "pytest_autoheal.redact", "pytest_autoheal.record", "TargetFailure"]
