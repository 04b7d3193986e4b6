"""Every failing phase and collection error becomes a valid record, written as it happens."""

from __future__ import annotations

import json

import pytest

from .helpers import all_text, by_test, records, run_json

# The projects these tests build ask for the plugin; a project that does not leaves it inert (tests/install).
pytestmark = pytest.mark.usefixtures("autoheal_project")

PHASES = """
import pytest

@pytest.fixture
def broken_setup():
    raise RuntimeError("setup failed")

@pytest.fixture
def broken_teardown():
    yield
    raise OSError(28, "No space left on device")

def test_setup_error(broken_setup):
    pass

def test_teardown_error(broken_teardown):
    pass

def test_call_failure():
    assert [1, 2] == [1, 3]

def test_passes():
    pass

@pytest.mark.xfail(reason="known")
def test_expected_failure():
    assert False
"""


def test_each_failing_phase_is_one_record(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_phases=PHASES)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=2, failed=1, errors=2, xfailed=1)
    recs = by_test(pytester.path / "autoheal-reports")
    assert set(recs) == {
        ("test_phases.py::test_setup_error", "setup"),
        ("test_phases.py::test_teardown_error", "teardown"),
        ("test_phases.py::test_call_failure", "call"),
    }
    setup = recs[("test_phases.py::test_setup_error", "setup")]
    assert (setup["test"]["outcome"], setup["error"]["type"]) == ("error", "RuntimeError")
    assert setup["error"]["frames"][-1]["function"] == "broken_setup"
    teardown = recs[("test_phases.py::test_teardown_error", "teardown")]
    assert teardown["classification"]["class"] == "resource"
    assert "errno 28" in teardown["classification"]["evidence"][0]
    call = recs[("test_phases.py::test_call_failure", "call")]
    assert call["classification"]["class"] == "assertion"
    assert call["error"]["frames"][0]["source"] == "assert [1, 2] == [1, 3]"


def test_records_are_written_the_moment_a_test_fails(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pathlib

        def test_a_fails():
            assert False, "first"

        def test_b_sees_the_record():
            files = list(pathlib.Path("autoheal-reports/records").glob("*.json"))
            assert len(files) == 1, files
        """
    )
    pytester.runpytest_subprocess("-p", "no:randomly").assert_outcomes(passed=1, failed=1)


def test_collection_errors_are_records_with_the_real_exception(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_imports="import not_installed_pkg\n\ndef test_x():\n    pass\n",
        test_syntax="def test_y(:\n    pass\n",
    )
    result = pytester.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    recs = by_test(pytester.path / "autoheal-reports")
    imp = recs[("test_imports.py", "collect")]
    assert (imp["error"]["type"], imp["classification"]["class"]) == ("ModuleNotFoundError", "dependency")
    assert "not_installed_pkg" in imp["classification"]["root_cause"]
    syn = recs[("test_syntax.py", "collect")]
    assert (syn["error"]["type"], syn["classification"]["class"]) == ("SyntaxError", "syntax")
    assert syn["error"]["frames"][-1]["source"] == "def test_y(:"
    assert run_json(pytester.path / "autoheal-reports")["collect_errors"] == ["test_imports.py", "test_syntax.py"]


def test_huge_and_non_utf8_output_is_truncated_not_lost(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import sys

        def test_floods():
            sys.stdout.write("x" * (10 * 1024 * 1024) + "\\nEND-OF-FLOOD\\n")
            assert False, "flooded"

        def test_binary():
            sys.stdout.buffer.write(b"bad bytes: \\xff\\xfe\\xc3\\x28 end\\n")
            sys.stdout.flush()
            assert False, "binary"
        """
    )
    pytester.runpytest_subprocess("-p", "no:randomly", "--capture=fd").assert_outcomes(failed=2)
    recs = by_test(pytester.path / "autoheal-reports")
    flood = recs[("test_huge_and_non_utf8_output_is_truncated_not_lost.py::test_floods", "call")]
    assert len(flood["error"]["stdout_tail"]) < 20_000
    assert "characters truncated by autoheal" in flood["error"]["stdout_tail"]
    assert flood["error"]["stdout_tail"].rstrip().endswith("END-OF-FLOOD")
    binary = recs[("test_huge_and_non_utf8_output_is_truncated_not_lost.py::test_binary", "call")]
    assert "bad bytes:" in binary["error"]["stdout_tail"] and "end" in binary["error"]["stdout_tail"]
    assert all(p.stat().st_size < 1_000_000 for p in (pytester.path / "autoheal-reports" / "records").iterdir())


def test_hostile_text_is_stored_verbatim_for_renderers_to_escape(pytester: pytest.Pytester) -> None:
    hostile = "<script>alert(1)</script> **bold** ```fence``` @everyone [x](javascript:alert(1))"
    pytester.makepyfile(f"def test_hostile():\n    raise ValueError({hostile!r})\n")
    pytester.runpytest_subprocess().assert_outcomes(failed=1)
    (rec,) = records(pytester.path / "autoheal-reports")
    assert rec["error"]["message"] == hostile


def test_secrets_never_reach_the_report_dir(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    env_secret = "hunter2-very-private-value"
    monkeypatch.setenv("GITHUB_TOKEN", token)
    monkeypatch.setenv("DEPLOY_PASSWORD", env_secret)
    pytester.makepyfile(
        """
        import os

        def test_leaks():
            print("token is", os.environ["GITHUB_TOKEN"], "and", os.environ["DEPLOY_PASSWORD"])
            print("Authorization: Bearer abcdefghijklmnop1234")
            print("url https://bob:s3cretpass@example.invalid/db")
            print("-----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNzaC1rZXktdjEAAAA\\n-----END OPENSSH PRIVATE KEY-----")
            raise RuntimeError("failed with " + os.environ["GITHUB_TOKEN"] + " AKIAABCDEFGHIJKLMNOP")
        """
    )
    pytester.runpytest_subprocess().assert_outcomes(failed=1)
    text = all_text(pytester.path / "autoheal-reports")
    for secret in (token, env_secret, "abcdefghijklmnop1234", "s3cretpass", "b3BlbnNzaC1rZXktdjEAAAA", "AKIAABCDEFGHIJKLMNOP"):
        assert secret not in text
    assert "[REDACTED:GITHUB_TOKEN]" in text and "[REDACTED:DEPLOY_PASSWORD]" in text


def test_run_json_counts_and_terminal_clusters(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.component("cli")
        @pytest.mark.level("smoke")
        @pytest.mark.parametrize("n", [1, 2, 3])
        def test_same_bug(n):
            raise KeyError("missing")

        @pytest.mark.component("mcp_tools")
        @pytest.mark.category("pdf_tools")
        def test_other_bug():
            assert 1 == 2

        @pytest.mark.component("mcp_tools")
        @pytest.mark.category("pdf_tools")
        def test_ok():
            pass

        @pytest.mark.skip(reason="not here")
        def test_skipped():
            pass
        """
    )
    result = pytester.runpytest_subprocess()
    result.stdout.fnmatch_lines(
        [
            "*= autoheal =*",
            "run *: 4 failed, 1 passed, 1 skipped; 4 failure record(s) in 2 cluster(s)",
            "  * runtime_exception   x3 *KeyError*",
            "  * assertion           x1 *",
        ]
    )
    data = run_json(pytester.path / "autoheal-reports")
    assert data["counts"] == {"failed": 4, "passed": 1, "skipped": 1}
    assert data["by_component"]["cli"] == {"failed": 3}
    assert data["by_category"]["pdf_tools"] == {"failed": 1, "passed": 1}
    assert data["by_class"] == {"runtime_exception": 3, "assertion": 1}
    assert len(data["record_ids"]) == 4
    assert [c["count"] for c in data["clusters"]] == [3, 1]
    assert json.dumps(data)  # plain JSON throughout
