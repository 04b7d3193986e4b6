"""xdist, pytest-timeout, crashes and reruns: no record lost, duplicated or corrupt."""

from __future__ import annotations

import pytest

from pytest_autoheal.capture import recover_inflight

from .helpers import by_test, records, run_json

# The projects these tests build ask for the plugin; a project that does not leaves it inert (tests/install).
pytestmark = pytest.mark.usefixtures("autoheal_project")

# The 0.5 s timeouts cover the test function only: a loaded machine's slow fixture setup must not be what times out.
FUNC_ONLY = "[pytest]\ntimeout_func_only = true\n"


def test_xdist_two_workers_write_every_record_once(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("i", range(60))
        def test_many(i):
            if i % 3 == 0:
                raise ValueError(f"bad value {i}")
        """
    )
    result = pytester.runpytest_subprocess("-n", "2")
    result.assert_outcomes(passed=40, failed=20)
    recs = records(pytester.path / "autoheal-reports")
    assert len(recs) == 20
    assert len({r["id"] for r in recs}) == 20
    assert {r["test"]["worker"] for r in recs} <= {"gw0", "gw1"}
    assert len({r["run"]["id"] for r in recs}) == 1
    assert len({r["fingerprint"]["hash"] for r in recs}) == 1
    data = run_json(pytester.path / "autoheal-reports")
    assert data["counts"] == {"passed": 40, "failed": 20}
    assert sorted(data["record_ids"]) == sorted(r["id"] for r in recs)
    assert data["run"]["id"] == recs[0]["run"]["id"]


def test_pytest_timeout_signal_method_is_a_timeout_record(pytester: pytest.Pytester) -> None:
    pytester.makeini(FUNC_ONLY)
    pytester.makepyfile(
        """
        import time, pytest

        @pytest.mark.timeout(0.5, method="signal")
        def test_hangs():
            time.sleep(30)
        """
    )
    pytester.runpytest_subprocess().assert_outcomes(failed=1)
    (rec,) = records(pytester.path / "autoheal-reports")
    assert rec["classification"]["class"] == "timeout"
    assert "pytest-timeout" in rec["classification"]["evidence"][0]


def test_pytest_timeout_thread_method_kills_process_and_marker_becomes_record(pytester: pytest.Pytester) -> None:
    pytester.makeini(FUNC_ONLY)
    pytester.makepyfile(
        """
        import time, pytest

        def test_before():
            pass

        @pytest.mark.timeout(0.5, method="thread")
        def test_hangs():
            time.sleep(30)
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    assert result.ret != 0
    report_dir = pytester.path / "autoheal-reports"
    assert records(report_dir) == []
    assert list((report_dir / "inflight").glob("*.json"))
    (rec,) = recover_inflight(report_dir)
    assert rec["test"]["nodeid"].endswith("::test_hangs")
    assert (rec["classification"]["class"], rec["test"]["outcome"]) == ("timeout", "crashed")
    assert recover_inflight(report_dir) == []
    assert len(records(report_dir)) == 1


def test_next_session_recovers_a_segfaulted_run(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_crash="""
        import faulthandler, os, signal

        def test_segfaults():
            faulthandler.disable()
            os.kill(os.getpid(), signal.SIGSEGV)
        """
    )
    crashed = pytester.runpytest_subprocess()
    assert crashed.ret != 0
    report_dir = pytester.path / "autoheal-reports"
    first_run = [p for p in (report_dir / "inflight").glob("*.json")]
    assert first_run
    recovered = recover_inflight(report_dir)
    assert [(r["test"]["nodeid"], r["classification"]["class"]) for r in recovered] == [("test_crash.py::test_segfaults", "crash")]


def test_xdist_worker_crash_is_recorded_by_the_controller(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import os, pytest

        @pytest.mark.component("cli")
        def test_dies():
            os._exit(3)

        def test_fine():
            pass
        """
    )
    result = pytester.runpytest_subprocess("-n", "2")
    assert result.ret == 1
    recs = by_test(pytester.path / "autoheal-reports")
    (rec,) = [r for (nodeid, _), r in recs.items() if nodeid.endswith("::test_dies")]
    assert rec["classification"]["class"] == "crash"
    assert "crashed while running" in rec["error"]["message"]
    assert rec["test"]["component"] == "cli"
    assert rec["source"] == "controller"
    assert run_json(pytester.path / "autoheal-reports")["counts"]["crashed"] == 1


def test_rerun_that_passes_is_flaky_not_a_bug(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pathlib, pytest

        @pytest.mark.flaky(reruns=2)
        def test_flaky(tmp_path_factory):
            marker = pathlib.Path("attempts.txt")
            n = int(marker.read_text()) if marker.exists() else 0
            marker.write_text(str(n + 1))
            assert n >= 1, "fails the first time"

        @pytest.mark.flaky(reruns=2)
        def test_always_fails():
            assert False, "always"
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    assert result.parseoutcomes() == {"passed": 1, "failed": 1, "rerun": 3}
    recs = by_test(pytester.path / "autoheal-reports")
    flaky = recs[("test_rerun_that_passes_is_flaky_not_a_bug.py::test_flaky", "call")]
    assert flaky["flaky"] is True and flaky["test"]["outcome"] == "flaky"
    always = recs[("test_rerun_that_passes_is_flaky_not_a_bug.py::test_always_fails", "call")]
    assert always["flaky"] is False
    assert always["occurrences"]["count"] == 3 and always["test"]["reruns"] == 2
    data = run_json(pytester.path / "autoheal-reports")
    assert data["counts"] == {"flaky": 1, "failed": 1}
    assert data["by_class"] == {"assertion": 1}
