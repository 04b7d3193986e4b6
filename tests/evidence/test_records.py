"""The record's contract for target failures, through a real pytest run of small tests that use it as the suites do."""

from __future__ import annotations

import pytest

from ..support.reports import read_records

TESTS = """
import pytest
from pytest_autoheal.errors import TargetFailure


class Settings:
    def __repr__(self):
        return "Settings(ready_timeout=30, startup_timeout=20, note='Permission denied', hint='ModuleNotFoundError: No module named x')"


@pytest.fixture
def settings():
    return Settings()


@pytest.fixture(scope="session")
def service():
    raise TargetFailure(
        "the service did not start: it exited with code 3",
        error_type="ServiceExited",
        message="exited with code 3: the widget registry is empty",
        exit_code=3,
        stderr="loading widgets\\nthe widget registry is empty\\n",
        subject="start-up",
        shared=True,
    )


def test_exit_is_classed_from_the_exit_not_from_the_fixture_reprs(settings):
    assert settings is not None
    raise TargetFailure(
        "the worker exited with code 1: the widget registry is empty",
        error_type="WorkerExited",
        message="exited with code 1: the widget registry is empty",
        exit_code=1,
        stderr="the widget registry is empty\\n",
    )


def test_three_pages_three_records(settings, autoheal_record):
    autoheal_record.fail(
        [
            TargetFailure("page /a: uncaught TypeError", error_type="TypeError", message="x is null", hint="js_error", subject="/a"),
            TargetFailure("page /b: 404", error_type="HTTPError", message="GET /b.js answered 404", http_status=404, subject="/b.js"),
            TargetFailure("page /c: console", error_type="ConsoleError", message="feed stale", hint="console_error", subject="/c"),
        ],
        found_in="3 pages",
    )


@pytest.mark.parametrize("n", [1, 2, 3])
def test_needs_the_service(service, n):
    pass
"""


@pytest.fixture
def run(pytester: pytest.Pytester):
    pytester.makepyfile(test_target=TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--autoheal-dir=reports", "-n", "2")
    return result, read_records(pytester.path / "reports")


def test_the_monitors_own_text_is_kept_apart_and_decides_nothing(run) -> None:
    result, records = run
    (rec,) = [r for r in records if r["test"]["nodeid"].endswith("test_exit_is_classed_from_the_exit_not_from_the_fixture_reprs")]
    assert rec["classification"]["class"] == "crash"
    assert rec["classification"]["evidence"] == ["the process exited with code 1 without a traceback"]
    assert "ready_timeout" in rec["monitor"]["traceback"] and "ready_timeout" not in rec["error"]["traceback"]
    assert rec["monitor"]["summary"] == "the worker exited with code 1: the widget registry is empty"
    result.stdout.fnmatch_lines(["*the worker exited with code 1: the widget registry is empty*"])


def test_one_record_per_distinct_failure_and_the_test_fails_once(run) -> None:
    result, records = run
    pages = [r for r in records if r["test"]["nodeid"].endswith("test_three_pages_three_records")]
    assert sorted(r["test"]["target"] for r in pages) == ["/a", "/b.js", "/c"]
    assert {r["test"]["target"]: r["classification"]["class"] for r in pages} == {
        "/a": "js_error",
        "/b.js": "http_error",
        "/c": "console_error",
    }
    assert len({r["fingerprint"]["hash"] for r in pages}) == 3
    assert result.stdout.str().count("FAILED test_target.py::test_three_pages_three_records") == 1
    result.stdout.fnmatch_lines(["*3 distinct failures in 3 pages (one record each); first: page /a: uncaught TypeError*"])
    assert len({r["id"] for r in pages}) == 3


def test_a_target_that_did_not_start_is_one_record_however_many_tests_and_workers_saw_it(run) -> None:
    result, records = run
    result.assert_outcomes(failed=2, errors=3)
    shared = [r for r in records if r["error"]["type"] == "ServiceExited"]
    assert len(shared) == 1, [r["test"]["nodeid"] for r in shared]
    assert shared[0]["fingerprint"]["values"]["target"] == "start-up" and shared[0]["classification"]["class"] == "crash"


def test_the_v1_hash_is_made_from_what_v1_hashed() -> None:
    """v1 named a CLI failure by its variant's command; v2 does not, and still keeps the hash v1 gave it."""
    import hashlib
    import json

    from pytest_autoheal.fingerprint import message_template
    from pytest_autoheal.record import ErrorInfo, TestInfo, build_record

    v1_message = "`quarry-script convert --bad`: an invalid option gave exit code 1, expected a usage error (exit [2])"
    error = ErrorInfo(
        type="CliCheckFailed",
        message="`convert --bad`: an invalid option gave exit code 1, expected a usage error (exit [2])",
        legacy_message=v1_message,
        subject="convert --bad",
    )
    test = TestInfo(nodeid="suites/cli/test_cli.py::t[quarry-script::convert]", component="cli", target="quarry-script convert")
    record = build_record(test=test, error=error, run={"id": "r1"})
    v1_values = {"type": "CliCheckFailed", "frames": [], "message_template": message_template(v1_message), "component": "cli"}
    v1_values["target"] = "quarry-script convert"
    v1 = hashlib.sha256(json.dumps(["autoheal-v1", v1_values], sort_keys=True).encode()).hexdigest()[:16]
    assert record["fingerprint"]["legacy"] == [{"algorithm": "autoheal-v1", "hash": v1}]
    assert record["fingerprint"]["values"]["target"] == "convert --bad" and "quarry-script" not in record["fingerprint"]["values"]["message_template"]
