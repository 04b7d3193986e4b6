"""``autoheal heal`` through PyGithub against the local GitHub API server on loopback."""

from __future__ import annotations

import json
import os
import re
import signal
import sys
from pathlib import Path

from pytest_autoheal import runner
from pytest_autoheal.heal.render import parse_marker
from tests.heal.conftest import REPO, TOKEN, make_records, run_heal
from tests.support.github_api import GithubApi


def _journal(report_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (report_dir / "heal" / "journal.jsonl").read_text().splitlines()]


def _killed_right_after(api: GithubApi, method: str, route: str, reports: Path, cfg: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """Run the installed ``autoheal heal`` and SIGKILL it once the server has carried out the first ``method route``."""
    autoheal = Path(sys.executable).parent / "autoheal"
    holder: dict[str, runner.Service] = {}
    api.inject(method, route, "after", callback=lambda: os.killpg(holder["svc"].proc.pid, signal.SIGKILL))
    env = {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": api.url}
    holder["svc"] = svc = runner.start([autoheal, "heal", "--reports", reports, "--config", cfg], log_path=tmp_path / "heal1.log", env=env)
    assert svc.proc.wait(timeout=60) == -signal.SIGKILL
    return autoheal, env


def test_second_heal_in_a_row_makes_zero_writes(github_api: GithubApi, heal_config, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    make_records(reports, fingerprints=3, records=12)
    cfg = heal_config()
    assert run_heal("--reports", reports, "--config", cfg) == 0
    first = github_api.writes()
    assert len(github_api.issues(REPO)) == 3 and len(github_api.pulls(REPO)) == 3
    assert len(first) == 3 * 4  # issue, branch, record commit, draft PR
    # A PR title names its issue once, with a live reference: no zero-width space in heal's own "#N", no second "Fix".
    titles = {i["number"]: i["title"] for i in github_api.issues(REPO)}
    for pull in github_api.pulls(REPO):
        number = int(pull["body"].split()[1].lstrip("#"))
        assert titles[number].startswith("Fix ToolError in tool_")
        assert pull["title"] == f"Fix #{number}: {titles[number].removeprefix('Fix ')}"
        assert "\u200b" not in pull["title"]
    github_api.reset_log()
    assert run_heal("--reports", reports, "--config", cfg) == 0
    assert github_api.writes() == []
    assert not any(r.path.startswith("/search") for r in github_api.requests)


def test_forty_fingerprints_in_a_thousand_records_give_forty_issues_and_forty_draft_prs(
    github_api: GithubApi, heal_config, tmp_path: Path, capsys
) -> None:
    reports = tmp_path / "reports"
    make_records(reports, fingerprints=40, records=1000)
    cfg = heal_config(cap=15)
    github_api.max_per_page = 7  # issue, pull and ref listings span several pages
    created_per_run = []
    for _ in range(3):
        assert run_heal("--reports", reports, "--config", cfg) == 0
        created_per_run.append(len(github_api.issues(REPO)))
    out = capsys.readouterr().out
    assert created_per_run == [15, 30, 40]
    assert "over max_reports_per_session (15); the next run files it" in out
    issues, pulls = github_api.issues(REPO), github_api.pulls(REPO)
    assert len(issues) == 40 and len(pulls) == 40
    assert len({parse_marker(i["body"])[0] for i in issues}) == 40
    assert all(p["draft"] and p["body"].startswith(f"Fixes #{int(p['head']['ref'].split('-issue-')[1].split('-')[0])}") for p in pulls)
    files = github_api.repos[REPO].files
    assert sorted(path for _, path in files) == sorted(f".autoheal/issue-{i['number']}.json" for i in issues)
    github_api.reset_log()
    assert run_heal("--reports", reports, "--config", cfg) == 0
    assert github_api.writes() == []
    # One repository read, then the issue and pull listings page by page: nothing per record or per fingerprint.
    assert len(github_api.reads()) == 1 + 6 + 6


def test_recurrence_gives_one_comment(github_api: GithubApi, heal_config, tmp_path: Path) -> None:
    first, second = tmp_path / "run1", tmp_path / "run2"
    make_records(first, fingerprints=1, records=3, run_id="2001")
    make_records(second, fingerprints=1, records=5, run_id="2002")
    cfg = heal_config(interval=0)
    assert run_heal("--reports", first, "--config", cfg) == 0
    github_api.reset_log()
    assert run_heal("--reports", second, "--config", cfg) == 0
    writes = github_api.writes()
    assert [(w.method, w.path) for w in writes] == [("POST", "/repos/acme/platform/issues/1/comments")]
    body = json.loads(writes[0].body)["body"]
    assert "Seen again" in body and "2002" in body
    # A fresh report dir (as in CI) knows nothing locally: the comment marker on the issue still says run 2002 was reported.
    github_api.reset_log()
    fresh = tmp_path / "run2-copy"
    make_records(fresh, fingerprints=1, records=5, run_id="2002")
    assert run_heal("--reports", fresh, "--config", cfg) == 0
    assert github_api.writes() == []
    assert len(github_api.repos[REPO].comments[1]) == 1


def test_comment_waits_for_min_report_interval(github_api: GithubApi, heal_config, tmp_path: Path, capsys) -> None:
    make_records(tmp_path / "a", fingerprints=1, records=1, run_id="3001")
    make_records(tmp_path / "b", fingerprints=1, records=1, run_id="3002")
    cfg = heal_config(interval=3600)
    assert run_heal("--reports", tmp_path / "a", "--config", cfg) == 0
    github_api.reset_log()
    assert run_heal("--reports", tmp_path / "b", "--config", cfg) == 0
    assert github_api.writes() == []
    assert "min_report_interval is 3600s" in capsys.readouterr().out


def test_closed_issue_is_reopened_as_a_regression(github_api: GithubApi, heal_config, tmp_path: Path) -> None:
    make_records(tmp_path / "a", fingerprints=1, records=2, run_id="4001")
    cfg = heal_config()
    assert run_heal("--reports", tmp_path / "a", "--config", cfg) == 0
    # No pause needed: the server stamps the close in whole seconds, and a failure stamped at or after it is a regression.
    github_api.close_issue(REPO, 1)
    make_records(tmp_path / "b", fingerprints=1, records=2, run_id="4002")
    github_api.reset_log()
    assert run_heal("--reports", tmp_path / "b", "--config", cfg) == 0
    assert [(w.method, w.path) for w in github_api.writes()] == [
        ("PATCH", "/repos/acme/platform/issues/1"),
        ("POST", "/repos/acme/platform/issues/1/comments"),
    ]
    issue = github_api.repos[REPO].issues[1]
    assert issue["state"] == "open"
    assert "Regression" in github_api.repos[REPO].comments[1][0]["body"]
    assert len(github_api.issues(REPO)) == 1 and len(github_api.pulls(REPO)) == 1


def test_crash_right_after_creating_the_issue_is_finished_by_the_next_run(github_api: GithubApi, heal_config, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    make_records(reports, fingerprints=1, records=4)
    cfg = heal_config()
    autoheal, env = _killed_right_after(github_api, "POST", r"/issues$", reports, cfg, tmp_path)
    assert len(github_api.issues(REPO)) == 1 and github_api.pulls(REPO) == []
    journal = _journal(reports)
    assert [(e["op"], e["phase"]) for e in journal] == [("create_issue", "intent")]
    result = runner.run([autoheal, "heal", "--reports", reports, "--config", cfg], env=env, timeout=60)
    assert result.returncode == 0, result.describe()
    assert "the previous run was cut off during 1 write(s) (create_issue" in result.text()
    assert "finish" in result.text()
    assert len(github_api.issues(REPO)) == 1
    pulls = github_api.pulls(REPO)
    assert len(pulls) == 1 and pulls[0]["body"].startswith("Fixes #1")
    done = [(e["op"], e["phase"]) for e in _journal(reports)]
    assert done[1:] == [
        *[(op, p) for op in ("create_branch", "commit_record", "create_pr") for p in ("intent", "done")],
        ("create_issue", "resolved"),
    ]
    # The leftover intent is closed: the run after that has nothing to say about a cut-off run, and nothing to write.
    github_api.reset_log()
    again = runner.run([autoheal, "heal", "--reports", reports, "--config", cfg], env=env, timeout=60)
    assert again.returncode == 0, again.describe()
    assert "cut off" not in again.text()
    assert github_api.writes() == []


def test_a_run_cut_off_right_after_its_draft_pr_is_reported_once_then_closed_in_the_journal(
    github_api: GithubApi, heal_config, tmp_path: Path
) -> None:
    reports = tmp_path / "reports"
    make_records(reports, fingerprints=1, records=2)
    cfg = heal_config()
    autoheal, env = _killed_right_after(github_api, "POST", r"/pulls$", reports, cfg, tmp_path)
    assert len(github_api.issues(REPO)) == 1 and len(github_api.pulls(REPO)) == 1
    assert [(e["op"], e["phase"]) for e in _journal(reports)][-1] == ("create_pr", "intent")
    github_api.reset_log()
    result = runner.run([autoheal, "heal", "--reports", reports, "--config", cfg], env=env, timeout=60)
    assert result.returncode == 0, result.describe()
    assert "the previous run was cut off during 1 write(s) (create_pr" in result.text()
    assert github_api.writes() == []
    assert [(e["op"], e["phase"]) for e in _journal(reports)][-1] == ("create_pr", "resolved")
    # Every later clean run is silent about it.
    for _ in range(2):
        again = runner.run([autoheal, "heal", "--reports", reports, "--config", cfg], env=env, timeout=60)
        assert again.returncode == 0, again.describe()
        assert "cut off" not in again.text()
    assert github_api.writes() == []
    assert len(github_api.issues(REPO)) == 1 and len(github_api.pulls(REPO)) == 1


def test_5xx_rate_limits_drops_and_slow_answers_are_retried_without_duplicates(
    github_api: GithubApi, heal_config, tmp_path: Path, capsys
) -> None:
    reports = tmp_path / "reports"
    make_records(reports, fingerprints=3, records=6)
    github_api.inject("GET", r"/issues$", "500")
    github_api.inject("POST", r"/issues$", "drop_after")  # the issue is made but the answer is lost
    github_api.inject("POST", r"/issues$", "500")
    github_api.inject("POST", r"/git/refs$", "drop")
    github_api.inject("PUT", r"/contents/", "slow", delay=2.5)
    github_api.inject("POST", r"/pulls$", "403", retry_after=1)
    github_api.inject("POST", r"/pulls$", "429", retry_after=1)
    cfg = heal_config(timeout=1)
    assert run_heal("--reports", reports, "--config", cfg) == 0
    assert all(f.hits == f.times for f in github_api.faults)
    issues, pulls = github_api.issues(REPO), github_api.pulls(REPO)
    assert len(issues) == 3 and len(pulls) == 3
    assert len({parse_marker(i["body"])[0] for i in issues}) == 3
    out = capsys.readouterr().out
    assert "secondary rate limit" in out and "retry 1/5 in 1.0s" in out
    pull_posts = [r for r in github_api.requests if r.method == "POST" and r.path.endswith("/pulls")]
    assert pull_posts[0].status == 403 and pull_posts[1].status == 429 and pull_posts[2].status == 201
    assert pull_posts[1].at - pull_posts[0].at >= 1.0 and pull_posts[2].at - pull_posts[1].at >= 1.0
    github_api.reset_log()
    assert run_heal("--reports", reports, "--config", cfg) == 0
    assert github_api.writes() == []


def test_a_run_that_keeps_failing_stops_and_the_next_run_finishes_the_job(
    github_api: GithubApi, heal_config, tmp_path: Path, capsys
) -> None:
    reports = tmp_path / "reports"
    make_records(reports, fingerprints=2, records=2)
    cfg = heal_config()
    github_api.inject("POST", r"/pulls$", "403", retry_after=600)
    assert run_heal("--reports", reports, "--config", cfg) == 1
    captured = capsys.readouterr()
    assert "more than heal.max_retry_wait" in captured.out and "run heal again" in captured.err
    assert len(github_api.issues(REPO)) == 1 and github_api.pulls(REPO) == []
    assert _journal(reports)[-1]["op"] == "create_pr" and _journal(reports)[-1]["phase"] == "failed"
    assert run_heal("--reports", reports, "--config", cfg) == 0
    assert len(github_api.issues(REPO)) == 2 and len(github_api.pulls(REPO)) == 2
    assert len(github_api.repos[REPO].refs) == 3  # main + one branch per issue, none twice


def test_no_secret_in_any_request(github_api: GithubApi, heal_config, tmp_path: Path, monkeypatch) -> None:
    secret = "s3cr3t-" + "Q" * 24
    shaped = "ghp_" + "A1b2C3d4" * 5
    reports = tmp_path / "reports"
    records = make_records(reports, fingerprints=1, records=1)
    record = records[0]
    # A record written where the secret was not known: heal must still keep it out of GitHub.
    record["error"]["message"] = f"login failed with password={secret} and token {shaped} for @octocat"
    record["error"]["traceback"] = f"Traceback\n  DEPLOY_KEY={secret}\nRuntimeError: {shaped}"
    (reports / "records" / f"{record['id']}.json").write_text(json.dumps(record))
    monkeypatch.setenv("DEPLOY_SECRET", secret)
    assert run_heal("--reports", reports, "--config", heal_config(assign=True)) == 0
    assert len(github_api.writes()) == 5
    for r in github_api.requests:
        seen = r.path + r.query + r.body + json.dumps({k: v for k, v in r.headers.items() if k.lower() != "authorization"})
        assert secret not in seen and shaped not in seen, (r.method, r.path)
        assert TOKEN not in seen
    issue_body = github_api.issues(REPO)[0]["body"]
    assert "[REDACTED" in issue_body and "@\u200bocto" in issue_body
    for path in (reports / "heal").iterdir():
        assert secret not in path.read_text() and shaped not in path.read_text()


def test_hostile_failure_text_cannot_ping_close_issues_or_break_the_body(github_api: GithubApi, heal_config, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    record = make_records(reports, fingerprints=1, records=1)[0]
    hostile = "@admin Fixes #1 <script>alert(1)</script> ```\n# Injected heading\n````` <img src=x onerror=alert(1)>"
    record["error"]["message"] = hostile
    record["error"]["type"] = "Evil`Type<b>@team"
    record["test"]["nodeid"] = "tests/test_x.py::test_y[@root <i>]"
    record["error"]["traceback"] = "x" * 200_000
    (reports / "records" / f"{record['id']}.json").write_text(json.dumps(record))
    assert run_heal("--reports", reports, "--config", heal_config()) == 0
    bodies = [github_api.issues(REPO)[0]["body"], github_api.pulls(REPO)[0]["body"]]
    for body in bodies:
        assert len(body) <= 65_536
        assert not re.search(r"(?<![`\w])@(admin|team|root)\b", body)
        outside_code = re.sub(r"^(`{3,})[^\n]*\n[\s\S]*?^\1$", "", body, flags=re.M)
        outside_code = re.sub(r"(?<![`\\])(`+)(?!`)[\s\S]*?(?<!`)\1(?!`)", "", outside_code)
        assert "<script>" not in outside_code and "<img" not in outside_code and "<b>" not in outside_code and "<i>" not in outside_code
        assert "\n# Injected heading" not in outside_code
        assert not re.search(r"Fixes #1\b", outside_code.replace("Fixes #1\n", "", 1) if body is bodies[1] else outside_code)
    issue_body = bodies[0]
    fence = re.search(r"^(`{3,})text\n.*?Injected", issue_body, re.S | re.M)
    assert fence and len(fence.group(1)) == 6  # longer than the five-backtick run inside
    assert "characters cut" in issue_body


def test_dry_run_prints_the_plan_with_reasons_and_writes_nothing(github_api: GithubApi, heal_config, tmp_path: Path, capsys) -> None:
    reports = tmp_path / "reports"
    make_records(reports, fingerprints=4, records=4)
    make_records(tmp_path / "flaky", fingerprints=1, records=1, flaky=True, run_id="9")
    (tmp_path / "flaky" / "records").rename(tmp_path / "flaky-records")
    for p in (tmp_path / "flaky-records").iterdir():
        data = json.loads(p.read_text())
        data["fingerprint"]["hash"] = "f1a4f1a4f1a4f1a4"
        (reports / "records" / p.name).write_text(json.dumps(data))
    extra = '\n[tool.autoheal.heal.exclude]\ncategories = ["cat_1"]\n'
    cfg = heal_config(cap=2, extra=extra)
    assert run_heal("--reports", reports, "--config", cfg, "--dry-run") == 0
    out = capsys.readouterr().out
    assert github_api.writes() == []
    assert not (reports / "heal").exists()
    assert re.search(r"^create .* new fingerprint$", out, re.M)
    assert "category 'cat_1' excluded by heal.exclude.categories ('cat_1')" in out
    assert "flaky only" in out
    assert "plan: 2 create, 2 skip, 1 defer" in out


def test_seed_style_issue_is_recognised_by_its_run_id(github_api: GithubApi, heal_config, tmp_path: Path) -> None:
    github_api.seed_issue(
        REPO,
        "Fix Workflow Failure: MCP Tools Monitoring",
        "## Workflow Information\n\nRun ID: 5555 (for duplicate detection)\n",
        ["autofix"],
    )
    reports = tmp_path / "reports"
    make_records(reports, fingerprints=1, records=2, run_id="5555")
    assert run_heal("--reports", reports, "--config", heal_config()) == 0
    assert len(github_api.issues(REPO)) == 1
    assert github_api.pulls(REPO) == []
    assert len(github_api.repos[REPO].comments[1]) == 1


def test_enterprise_base_url_and_state_file_for_the_health_report(heal_config, tmp_path: Path, monkeypatch) -> None:
    api = GithubApi(token=TOKEN, prefix="/api/v3").start()
    try:
        api.add_repo(REPO)
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        monkeypatch.delenv("GITHUB_API_URL", raising=False)
        reports = tmp_path / "reports"
        make_records(reports, fingerprints=2, records=2)
        cfg = heal_config(extra="")
        cfg.write_text(cfg.read_text().replace("[tool.autoheal.heal]", f'[tool.autoheal.heal]\napi_url = "{api.url}"'))
        assert run_heal("--reports", reports, "--config", cfg) == 0
        assert len(api.issues(REPO)) == 2
        api.merge_pull(REPO, 2)
        assert run_heal("--reports", reports, "--config", cfg) == 0
    finally:
        api.stop()
    state = json.loads((reports / "heal" / "state.json").read_text())
    assert state["version"] == 1 and state["repo"] == REPO
    entries = sorted(state["issues"].values(), key=lambda e: e["issue"])
    assert [e["issue"] for e in entries] == [1, 3]
    assert entries[0]["pr"] == 2 and entries[0]["pr_merged"] is True and entries[0]["pr_merged_at"]
    assert entries[1]["pr_state"] == "open" and entries[1]["state"] == "open"
    for e in _journal(reports):
        assert set(e) >= {"ts", "op", "phase", "fingerprint", "issue", "pr", "url", "error"}
        assert e["op"] in ("create_issue", "create_branch", "commit_record", "create_pr") and e["phase"] in ("intent", "done")


def test_missing_token_is_one_clear_error(tmp_path: Path, heal_config, monkeypatch, capsys) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    make_records(tmp_path / "r", fingerprints=1, records=1)
    assert run_heal("--reports", tmp_path / "r", "--config", heal_config()) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "autoheal heal: GITHUB_TOKEN is not set; export a token with issues, contents and pull-requests write access, or use --dry-run"
    ]


def test_hourly_write_budget_stops_the_run_and_the_next_run_continues(github_api: GithubApi, heal_config, tmp_path: Path, capsys) -> None:
    reports = tmp_path / "reports"
    make_records(reports, fingerprints=3, records=3)
    cfg = heal_config()
    cfg.write_text(cfg.read_text().replace("writes_per_hour = 100000", "writes_per_hour = 6"))
    assert run_heal("--reports", reports, "--config", cfg) == 1
    assert len(github_api.writes()) == 6
    out = capsys.readouterr().out
    assert "stopped: 6 writes this run (heal.writes_per_hour)" in out
    assert len(github_api.issues(REPO)) == 2 and len(github_api.pulls(REPO)) == 1
    # The rest (the second issue's record commit and PR, the third bug) fits the next run's budget exactly.
    assert run_heal("--reports", reports, "--config", cfg) == 0
    assert "the previous run was cut off" not in capsys.readouterr().out
    assert len(github_api.issues(REPO)) == 3 and len(github_api.pulls(REPO)) == 3
    assert len(github_api.writes()) == 12


def test_writes_are_spaced_to_the_per_minute_limit() -> None:
    from pytest_autoheal.heal.engine import WriteBudget

    waits: list[float] = []
    budget = WriteBudget(per_minute=3, per_hour=100, sleep=waits.append)
    for _ in range(3):
        budget.take()
    assert waits == []
    budget.take()
    assert len(waits) == 1 and 59 < waits[0] <= 60


def test_issue_whose_label_was_removed_is_still_found_through_the_cache(github_api: GithubApi, heal_config, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    make_records(reports, fingerprints=1, records=1)
    cfg = heal_config()
    assert run_heal("--reports", reports, "--config", cfg) == 0
    github_api.repos[REPO].issues[1]["labels"] = []
    github_api.reset_log()
    assert run_heal("--reports", reports, "--config", cfg) == 0
    assert github_api.writes() == []
    assert ("GET", "/repos/acme/platform/issues/1") in [(r.method, r.path) for r in github_api.reads()]
    assert len(github_api.issues(REPO)) == 1


def test_rejected_token_and_unknown_repository_are_one_line_errors(
    github_api: GithubApi, heal_config, tmp_path: Path, monkeypatch, capsys
) -> None:
    make_records(tmp_path / "r", fingerprints=1, records=1)
    monkeypatch.setenv("GITHUB_TOKEN", "wrong-token-value")
    assert run_heal("--reports", tmp_path / "r", "--config", heal_config()) == 2
    assert capsys.readouterr().err.strip() == (
        f"autoheal heal: GitHub at {github_api.url} rejected the token; set GITHUB_TOKEN to a token with issues and pull-requests write access"
    )
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    assert run_heal("--reports", tmp_path / "r", "--config", heal_config(), "--repo", "acme/nothing") == 2
    err = capsys.readouterr().err.strip()
    assert err == f"autoheal heal: repository 'acme/nothing' not found at {github_api.url}; check heal.repo / --repo and the token's access"
    assert github_api.writes() == []
