"""GitHub out of reach at start-up, and rate limits: retried, then one line and a documented exit code, never a traceback."""

from __future__ import annotations

import json
import re
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_autoheal import runner
from pytest_autoheal.heal.backend import TransientError
from pytest_autoheal.heal.command import EXIT_UNFINISHED, EXIT_UNREACHABLE, EXIT_USAGE
from pytest_autoheal.heal.config import HealConfig
from pytest_autoheal.heal.engine import Healer, HealResult, load_clusters
from pytest_autoheal.heal.github_backend import GithubBackend
from tests.heal.conftest import REPO, TOKEN, make_records, run_heal
from tests.support.github_api import GithubApi

AUTOHEAL = Path(sys.executable).parent / "autoheal"


def heal_command(reports: Path, cfg: Path, api_url: str) -> runner.RunResult:
    """The installed ``autoheal heal``, as CI runs it."""
    env = {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": api_url}
    return runner.run([AUTOHEAL, "heal", "--reports", reports, "--config", cfg], env=env, timeout=120)


@pytest.fixture
def refused_url() -> Iterator[str]:
    """A loopback port that refuses connections for as long as the test runs: bound by us, never listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


# What heal reads before it writes anything, as its progress names each read, and the route PyGithub sends it to.
START_UP_READS = {
    "read the repository": rf"^/repos/{REPO}$",
    "list issues": rf"^/repos/{REPO}/issues$",
    "list pull requests": rf"^/repos/{REPO}/pulls$",
}


def _reads_of(api: GithubApi, route: str) -> int:
    return len([r for r in api.requests if r.method == "GET" and re.search(route, r.path)])


@pytest.mark.parametrize("read", list(START_UP_READS))
def test_a_502_on_a_start_up_read_is_retried(github_api: GithubApi, heal_config, tmp_path: Path, read: str) -> None:
    reports = tmp_path / "reports"
    make_records(reports, fingerprints=1, records=1)
    github_api.inject("GET", START_UP_READS[read], "502", times=2)
    result = heal_command(reports, heal_config(), github_api.url)
    assert result.returncode == 0, result.describe()
    out = result.text()
    assert f"heal: {read}: HTTP 502: Bad Gateway; retry 1/5" in out and f"heal: {read}: HTTP 502: Bad Gateway; retry 2/5" in out
    assert _reads_of(github_api, START_UP_READS[read]) >= 3
    assert len(github_api.issues(REPO)) == 1 and len(github_api.pulls(REPO)) == 1


@pytest.mark.parametrize(
    ("read", "fault", "reason"),
    [(read, "502", "HTTP 502: Bad Gateway") for read in START_UP_READS] + [("list issues", "drop", "connection closed without an answer")],
)
def test_github_failing_a_start_up_read_every_time_is_one_line_and_exit_code_3(
    github_api: GithubApi, heal_config, tmp_path: Path, read: str, fault: str, reason: str
) -> None:
    reports = tmp_path / "reports"
    make_records(reports, fingerprints=1, records=1)
    github_api.inject("GET", START_UP_READS[read], fault, times=1000)
    result = heal_command(reports, heal_config(), github_api.url)
    assert result.returncode == EXIT_UNREACHABLE == 3, result.describe()
    assert result.text("stderr").splitlines() == [
        f"autoheal heal: cannot read GitHub at {github_api.url}: {read} failed 6 times: {reason}; nothing was written, run heal again later"
    ]
    assert "Traceback" not in result.text()
    assert _reads_of(github_api, START_UP_READS[read]) == 6
    assert github_api.writes() == []


def test_a_refused_connection_at_start_up_is_one_line_and_exit_code_3(refused_url: str, heal_config, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    make_records(reports, fingerprints=1, records=1)
    result = heal_command(reports, heal_config(), refused_url)
    assert result.returncode == EXIT_UNREACHABLE, result.describe()
    assert result.text("stderr").splitlines() == [
        f"autoheal heal: cannot read GitHub at {refused_url}: read the repository failed 6 times: connection refused; "
        "nothing was written, run heal again later"
    ]
    assert result.text("stdout").count("heal: read the repository: connection refused; retry") == 5
    assert "Traceback" not in result.text()
    assert not (reports / "heal" / "journal.jsonl").exists()


def test_secondary_rate_limit_without_retry_after_waits_a_minute_or_stops_and_the_next_run_resumes(
    github_api: GithubApi, heal_config, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = tmp_path / "reports"
    make_records(reports, fingerprints=1, records=1)
    cfg = heal_config()  # max_retry_wait = 5: a minute is more, so the run stops instead of sleeping
    github_api.inject("POST", r"/issues$", "403")
    assert run_heal("--reports", reports, "--config", cfg) == EXIT_UNFINISHED
    out = capsys.readouterr().out
    assert "create_issue: rate limited without Retry-After: must wait 60s, more than heal.max_retry_wait (5s)" in out
    assert github_api.issues(REPO) == []
    assert run_heal("--reports", reports, "--config", cfg) == 0
    assert "cut off" not in capsys.readouterr().out
    assert len(github_api.issues(REPO)) == 1 and len(github_api.pulls(REPO)) == 1
    journal = [json.loads(line) for line in (reports / "heal" / "journal.jsonl").read_text().splitlines()]
    assert [(e["op"], e["phase"]) for e in journal][:3] == [
        ("create_issue", "intent"),
        ("create_issue", "failed"),
        ("create_issue", "intent"),
    ]


def test_retry_waits_follow_retry_after_else_a_minute_doubling_for_rate_limits_else_backoff(tmp_path: Path) -> None:
    cfg = HealConfig.model_validate({"repo": REPO, "retry_backoff": 2.0})
    healer = Healer(None, cfg, tmp_path, dry_run=True)
    limited = TransientError("HTTP 403: secondary rate limit", rate_limited=True)
    assert [healer.retry_wait(limited, n) for n in (1, 2, 3)] == [60.0, 120.0, 240.0]
    assert healer.retry_wait(TransientError("HTTP 429", retry_after=7.0, rate_limited=False), 3) == 7.0
    assert [healer.retry_wait(TransientError("HTTP 502", ambiguous=True), n) for n in (1, 2, 3)] == [2.0, 4.0, 8.0]


def _heal_in_process(api: GithubApi, reports: Path, cfg: HealConfig, waits: list[float]) -> HealResult:
    """One heal run whose backoff waits are recorded in ``waits`` instead of slept."""
    healer = Healer(GithubBackend(REPO, token=TOKEN, api_url=api.url), cfg, reports, sleep=waits.append, progress=lambda _: None)
    clusters, _ = load_clusters([reports])
    healer.read_remote(clusters)
    result = healer.execute(healer.plan(clusters))
    healer.save_state()
    return result


def test_secondary_rate_limit_without_retry_after_is_retried_after_a_minute_when_max_retry_wait_allows(
    github_api: GithubApi, tmp_path: Path
) -> None:
    reports = tmp_path / "reports"
    make_records(reports, fingerprints=1, records=1)
    github_api.inject("POST", r"/issues$", "403")
    cfg = HealConfig.model_validate({"repo": REPO, "max_retry_wait": 120, "retry_backoff": 0.01})
    waits: list[float] = []
    result = _heal_in_process(github_api, reports, cfg, waits)
    assert result.ok and waits == [60.0]
    assert len(github_api.issues(REPO)) == 1 and len(github_api.pulls(REPO)) == 1


def test_a_second_secondary_rate_limit_waits_two_minutes_so_past_max_retry_wait_the_run_stops_and_the_next_resumes(
    github_api: GithubApi, tmp_path: Path
) -> None:
    reports = tmp_path / "reports"
    make_records(reports, fingerprints=1, records=1)
    fault = github_api.inject("POST", r"/issues$", "403", times=2)
    cfg = HealConfig.model_validate({"repo": REPO, "max_retry_wait": 100, "retry_backoff": 0.01})
    waits: list[float] = []
    result = _heal_in_process(github_api, reports, cfg, waits)
    # One minute waited, the next wait (two minutes) is over the bound: stopped, nothing half done.
    assert waits == [60.0] and fault.hits == 2
    assert not result.ok and result.unfinished and github_api.issues(REPO) == []
    waits.clear()
    again = _heal_in_process(github_api, reports, cfg, waits)
    assert again.ok and waits == []
    assert len(github_api.issues(REPO)) == 1 and len(github_api.pulls(REPO)) == 1


@pytest.mark.parametrize("api_url", ["localhost:8080", "ftp://github.example.com", "http://[::1"])
def test_an_api_url_that_is_not_http_is_one_line_and_exit_code_2(heal_config, tmp_path: Path, api_url: str) -> None:
    reports = tmp_path / "reports"
    make_records(reports, fingerprints=1, records=1)
    result = heal_command(reports, heal_config(), api_url)
    assert result.returncode == EXIT_USAGE, result.describe()
    (line,) = result.text("stderr").splitlines()
    assert line.startswith(f"autoheal heal: GitHub API URL {api_url!r} is not an http(s) URL with a host; set heal.api_url")
    assert "Traceback" not in result.text()
