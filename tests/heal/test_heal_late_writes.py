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


@pytest.mark.parametrize("land", ["before", "during", "resend", "after"])
@pytest.mark.parametrize("write", list(WRITES))
def test_a_write_answered_after_the_timeout_leaves_one_issue_and_one_draft_pr(
    github_api: GithubApi, heal_config, tmp_path: Path, write: str, land: str
) -> None:
    cfg = heal_config(timeout=2)  # whole seconds (PyGithub); one on a loaded machine is too close to an ordinary answer's time
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
    # Landed before or while heal waited to retry: heal found it and did not send it again. Landed after its last look: sent twice.
    twice = land in ("resend", "after")
    assert _posts(github_api, write) == (2 if twice else 1)
    kept = _assert_one_issue_and_one_pr(github_api)
    assert len(github_api.issues(REPO)) == (2 if write == "issue" and twice else 1)
    # An issue that landed just before the resend is the older one: it is kept, with the PR; the resent one is closed.
    assert kept["number"] == 1
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


def _seed_two_issues(api: GithubApi, reports: Path, run_id: str) -> tuple[str, int, int]:
    """Two issues carrying the fingerprint of the records written to ``reports`` (an older version, or two runs racing)."""
    (record, *_) = make_records(reports, fingerprints=1, records=1, run_id=run_id)
    fp = record["fingerprint"]["hash"]
    body = f"Filed twice.\n\n{fingerprint_marker(fp, run_id)}\n"
    return fp, *(api.seed_issue(REPO, "Fix ToolError in tool_0", body, ["autofix", "workflow-failure"]) for _ in range(2))


def test_state_names_the_open_draft_pr_of_an_issue_whose_first_pr_was_closed(github_api: GithubApi, heal_config, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    fp, oldest, newer = _seed_two_issues(github_api, reports, "7201")
    first = github_api.seed_pull(REPO, f"autofix/workflow-7201-issue-{oldest}-1", f"Fixes #{oldest}\n")
    github_api.handle("PATCH", f"/repos/{REPO}/pulls/{first}", {}, {"state": "closed"})
    second = github_api.seed_pull(REPO, f"autofix/workflow-7201-issue-{oldest}-2", f"Fixes #{oldest}\n")
    extra = github_api.seed_pull(REPO, f"autofix/workflow-7201-issue-{newer}-3", f"Fixes #{newer}\n")
    assert run_heal("--reports", reports, "--config", heal_config()) == 0
    pulls = {p["number"]: p["state"] for p in github_api.pulls(REPO)}
    assert pulls == {first: "closed", second: "open", extra: "closed"}
    state = json.loads((reports / "heal" / "state.json").read_text())["issues"][fp]
    assert (state["issue"], state["pr"], state["pr_state"]) == (oldest, second, "open")


def test_a_duplicate_s_draft_pr_stays_open_while_the_kept_issue_has_none_of_its_own(
    github_api: GithubApi, heal_config, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = tmp_path / "reports"
    _, oldest, newer = _seed_two_issues(github_api, reports, "7301")
    theirs = github_api.seed_pull(REPO, f"autofix/workflow-7301-issue-{newer}-1", f"Fixes #{newer}\n")
    github_api.inject("POST", r"/pulls$", "422")  # the kept issue's own PR is refused in this run
    cfg = heal_config()
    assert run_heal("--reports", reports, "--config", cfg) == 1
    assert f"kept draft PR #{theirs} open: #{oldest} has no draft PR of its own" in capsys.readouterr().out
    issues = {i["number"]: (i["state"], i["state_reason"]) for i in github_api.issues(REPO)}
    assert issues == {oldest: ("open", None), newer: ("closed", "duplicate")}
    assert [(p["number"], p["state"]) for p in github_api.pulls(REPO)] == [(theirs, "open")]
    # The next run gives the kept issue its PR, and only then closes the duplicate's.
    assert run_heal("--reports", reports, "--config", cfg) == 0
    pulls = {p["number"]: p for p in github_api.pulls(REPO)}
    assert pulls.pop(theirs)["state"] == "closed"
    (own,) = pulls.values()
    assert own["state"] == "open" and own["body"].startswith(f"Fixes #{oldest}")
    github_api.reset_log()
    assert run_heal("--reports", reports, "--config", cfg) == 0
    assert github_api.writes() == []


def test_duplicates_of_a_fingerprint_without_records_this_run_close_but_its_only_draft_pr_stays(
    github_api: GithubApi, heal_config, tmp_path: Path
) -> None:
    _, oldest, newer = _seed_two_issues(github_api, tmp_path / "earlier", "7401")
    theirs = github_api.seed_pull(REPO, f"autofix/workflow-7401-issue-{newer}-1", f"Fixes #{newer}\n")
    reports = tmp_path / "reports"
    reports.mkdir()  # nothing failed this run: no record to give the kept issue a PR of its own
    assert run_heal("--reports", reports, "--config", heal_config()) == 0
    issues = {i["number"]: (i["state"], i["state_reason"]) for i in github_api.issues(REPO)}
    assert issues == {oldest: ("open", None), newer: ("closed", "duplicate")}
    assert [(p["number"], p["state"]) for p in github_api.pulls(REPO)] == [(theirs, "open")]


def test_closes_a_cut_off_run_left_unanswered_are_each_reported_once_and_resolved_without_records(
    github_api: GithubApi, heal_config, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pytest_autoheal.heal.journal import Journal

    fp, _, newer = _seed_two_issues(github_api, tmp_path / "earlier", "7501")
    pulls = [github_api.seed_pull(REPO, f"autofix/workflow-7501-issue-{newer}-{k}", f"Fixes #{newer}\n") for k in (1, 2)]
    github_api.close_issue(REPO, newer, "duplicate")
    reports = tmp_path / "reports"
    journal = Journal(reports)  # the cut-off run: each close landed, killed before it could write "done"
    journal.write("close_duplicate", "intent", fp, issue=newer)
    for number in pulls:
        journal.write("close_pr", "intent", fp, pr=number)
        github_api.handle("PATCH", f"/repos/{REPO}/pulls/{number}", {}, {"state": "closed"})
    cfg = heal_config()
    assert run_heal("--reports", reports, "--config", cfg) == 0
    assert "the previous run was cut off during 3 write(s)" in capsys.readouterr().out
    resolved = [(e["op"], e["issue"], e["pr"]) for e in Journal(reports).read() if e["phase"] == "resolved"]
    assert sorted(resolved, key=str) == sorted([("close_duplicate", newer, None), *(("close_pr", None, n) for n in pulls)], key=str)
    github_api.reset_log()
    assert run_heal("--reports", reports, "--config", cfg) == 0
    assert "cut off" not in capsys.readouterr().out and github_api.writes() == []
