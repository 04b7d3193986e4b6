"""Writes answered after the client's timeout, and fingerprints that already carry two issues: one issue, one open PR."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pytest_autoheal.heal.render import fingerprint_marker, parse_marker, parse_occurrences
from tests.heal.conftest import REPO, make_records, run_heal
from tests.support.github_api import GithubApi

# Each kind of non-idempotent write heal makes, as the route PyGithub sends it to.
WRITES = {
    "issue": ("POST", r"/issues$"),
    "comment": ("POST", r"/issues/\d+/comments$"),
    "ref": ("POST", r"/git/refs$"),
    "contents": ("PUT", r"/contents/"),
    "pr": ("POST", r"/pulls$"),
}


def _posts(api: GithubApi, write: str) -> int:
    method, path = WRITES[write]
    return len([r for r in api.requests if r.method == method and re.search(path, r.path)])


def _assert_one_issue_and_one_pr(api: GithubApi) -> dict:
    """One open issue carrying the fingerprint, any other one closed as its duplicate; one draft PR, for the open issue."""
    issues = api.issues(REPO)
    (kept,) = [i for i in issues if i["state"] == "open"]
    fp = parse_marker(kept["body"])[0]
    for other in issues:
        if other is not kept:
            assert parse_marker(other["body"])[0] == fp
            assert (other["state"], other["state_reason"]) == ("closed", "duplicate")
            said = [c["body"] for c in api.repos[REPO].comments[other["number"]]]
            assert len(said) == 1 and said[0].startswith(f"Duplicate of #{kept['number']}:")
    (pull,) = api.pulls(REPO)
    assert pull["state"] == "open" and pull["body"].startswith(f"Fixes #{kept['number']}")
    branches = [name for name in api.repos[REPO].refs if name.startswith("autofix/")]
    assert branches == [pull["head"]["ref"]]
    assert [path for _, path in api.repos[REPO].files] == [f".autoheal/issue-{kept['number']}.json"]
    return kept


@pytest.mark.parametrize("land", ["before", "during", "after"])
@pytest.mark.parametrize("write", list(WRITES))
def test_a_write_answered_after_the_timeout_leaves_one_issue_and_one_draft_pr(
    github_api: GithubApi, heal_config, tmp_path: Path, write: str, land: str
) -> None:
    cfg = heal_config(timeout=1)
    reports = tmp_path / "run1"
    make_records(reports, fingerprints=1, records=2, run_id="6001")
    if write == "comment":
        assert run_heal("--reports", reports, "--config", cfg) == 0
        reports = tmp_path / "run2"
        make_records(reports, fingerprints=1, records=2, run_id="6002")
        github_api.reset_log()
    fault = github_api.inject(*WRITES[write], "late", land=land)
    assert run_heal("--reports", reports, "--config", cfg) == 0
    assert fault.hits == 1 and github_api.held == [], "the late write reached the server and landed during the run"
    # Landed before or while heal waited to retry: heal found it and did not send it again. Landed after the retry: sent twice.
    assert _posts(github_api, write) == (2 if land == "after" else 1)
    kept = _assert_one_issue_and_one_pr(github_api)
    assert len(github_api.issues(REPO)) == (2 if (write, land) == ("issue", "after") else 1)
    if write == "comment":
        occurrences = [parse_occurrences(c["body"]) for c in github_api.repos[REPO].comments[kept["number"]]]
        assert [o for o in occurrences if o] == [[("6002", parse_marker(kept["body"])[0])]]
    github_api.reset_log()
    assert run_heal("--reports", reports, "--config", cfg) == 0
    assert github_api.writes() == []
    _assert_one_issue_and_one_pr(github_api)


def test_two_issues_with_one_fingerprint_converge_on_the_oldest_with_one_draft_pr(
    github_api: GithubApi, heal_config, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = tmp_path / "reports"
    (record, _) = make_records(reports, fingerprints=1, records=2, run_id="7001")
    fp = record["fingerprint"]["hash"]
    body = f"Filed by an older version, or by two runs racing.\n\n{fingerprint_marker(fp, '7001')}\n"
    oldest = github_api.seed_issue(REPO, "Fix ToolError in tool_0", body, ["autofix", "workflow-failure"])
    newer = github_api.seed_issue(REPO, "Fix ToolError in tool_0", body, ["autofix", "workflow-failure"])
    newer_pr = github_api.seed_pull(REPO, f"autofix/workflow-7001-issue-{newer}-1700000000", f"Fixes #{newer}\n")
    cfg = heal_config()
    assert run_heal("--reports", reports, "--config", cfg, "--dry-run") == 0
    out = capsys.readouterr().out
    assert re.search(
        rf"^close\s+{fp[:12]}\s+-\s+-\s+#{newer}\s+issue duplicates #{oldest}, the oldest issue with this fingerprint$", out, re.M
    )
    assert re.search(rf"^close\s+{fp[:12]}\s+-\s+-\s+#{newer_pr}\s+draft PR #{newer_pr} duplicates #{oldest}", out, re.M)
    assert github_api.writes() == []
    assert run_heal("--reports", reports, "--config", cfg) == 0
    issues = {i["number"]: i for i in github_api.issues(REPO)}
    assert issues[oldest]["state"] == "open"
    assert (issues[newer]["state"], issues[newer]["state_reason"]) == ("closed", "duplicate")
    (said,) = github_api.repos[REPO].comments[newer]
    assert said["body"].startswith(f"Duplicate of #{oldest}:")
    pulls = {p["number"]: p for p in github_api.pulls(REPO)}
    assert pulls.pop(newer_pr)["state"] == "closed"
    assert f"Closed in favour of #{oldest}" in github_api.repos[REPO].comments[newer_pr][0]["body"]
    (kept_pr,) = pulls.values()
    assert kept_pr["state"] == "open" and kept_pr["body"].startswith(f"Fixes #{oldest}")
    state = json.loads((reports / "heal" / "state.json").read_text())["issues"][fp]
    assert (state["issue"], state["state"], state["pr"], state["pr_state"]) == (oldest, "open", kept_pr["number"], "open")
    github_api.reset_log()
    assert run_heal("--reports", reports, "--config", cfg) == 0
    assert github_api.writes() == []


def test_a_server_without_the_duplicate_close_reason_gets_not_planned(github_api: GithubApi, heal_config, tmp_path: Path) -> None:
    github_api.state_reasons = ("completed", "not_planned", "reopened")  # an older GitHub Enterprise Server
    reports = tmp_path / "reports"
    (record,) = make_records(reports, fingerprints=1, records=1, run_id="7101")
    body = fingerprint_marker(record["fingerprint"]["hash"], "7101")
    first = github_api.seed_issue(REPO, "Fix it", body, ["autofix"])
    second = github_api.seed_issue(REPO, "Fix it", body, ["autofix"])
    assert run_heal("--reports", reports, "--config", heal_config()) == 0
    issues = {i["number"]: i for i in github_api.issues(REPO)}
    assert issues[first]["state"] == "open"
    assert (issues[second]["state"], issues[second]["state_reason"]) == ("closed", "not_planned")
    journal = [json.loads(line) for line in (reports / "heal" / "journal.jsonl").read_text().splitlines()]
    assert ("close_duplicate", "done") in [(e["op"], e["phase"]) for e in journal]
