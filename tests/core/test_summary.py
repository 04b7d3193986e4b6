"""run.json built once at session end: markers, run-time fields and records, with and without xdist."""

from __future__ import annotations

import json

import pytest

from .helpers import by_test, run_json

TAGGED = """
import pytest

pytestmark = pytest.mark.component("mcp_tools")

@pytest.mark.level("smoke")
@pytest.mark.category("pdf_tools")
@pytest.mark.parametrize("i", range(6))
def test_tool(i):
    pass

@pytest.mark.level("comprehensive")
@pytest.mark.category("math_tools")
def test_measured(autoheal_record):
    autoheal_record.metrics["calls"] = 3
    autoheal_record.target = "math_mean"

@pytest.mark.level("comprehensive")
@pytest.mark.category("math_tools")
@pytest.mark.target("math_stddev")
def test_broken():
    values = []
    assert sum(values) / len(values) > 0
"""


@pytest.mark.parametrize("xdist", [(), ("-n", "2")], ids=["one-process", "xdist"])
def test_markers_run_time_fields_and_records_reach_run_json(pytester: pytest.Pytester, xdist: tuple[str, ...]) -> None:
    pytester.makepyfile(test_tagged=TAGGED, test_plain="def test_untagged():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:randomly", *xdist)
    result.assert_outcomes(passed=8, failed=1)
    # The failure output carries the record's grouping also when a worker ran the test.
    result.stdout.fnmatch_lines(["*- autoheal -*", '{"record": *"fingerprint": *"class": "runtime_exception"*'])
    data = run_json(pytester.path / "autoheal-reports")
    tests = {t["nodeid"]: t for t in data["tests"]}
    assert len(tests) == data["total"] == 9
    tool = tests["test_tagged.py::test_tool[3]"]
    assert (tool["component"], tool["category"], tool["level"], tool["outcome"]) == ("mcp_tools", "pdf_tools", "smoke", "passed")
    measured = tests["test_tagged.py::test_measured"]
    assert measured["target"] == "math_mean" and measured["category"] == "math_tools"
    assert data["metrics"] == {"test_tagged.py::test_measured": {"calls": 3}}
    broken = tests["test_tagged.py::test_broken"]
    (rec,) = [r for (nodeid, _), r in by_test(pytester.path / "autoheal-reports").items() if nodeid == broken["nodeid"]]
    assert broken["record_ids"] == [rec["id"]] and data["record_ids"] == [rec["id"]]
    assert (rec["test"]["component"], rec["test"]["category"], rec["test"]["target"]) == ("mcp_tools", "math_tools", "math_stddev")
    assert tests["test_plain.py::test_untagged"] == {"nodeid": "test_plain.py::test_untagged", "outcome": "passed", "duration": tests["test_plain.py::test_untagged"]["duration"]}
    assert data["by_component"] == {"mcp_tools": {"passed": 7, "failed": 1}, "none": {"passed": 1}}
    assert data["by_category"] == {"pdf_tools": {"passed": 6}, "math_tools": {"passed": 1, "failed": 1}, "none": {"passed": 1}}
    assert data["counts"] == {"passed": 8, "failed": 1} and data["by_class"] == {"runtime_exception": 1}
    assert [c["fingerprint"] for c in data["clusters"]] == [rec["fingerprint"]["hash"]]


@pytest.mark.usefixtures("autoheal_project")
def test_flaky_under_xdist_is_marked_on_the_record_and_in_run_json(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pathlib, pytest

        @pytest.mark.flaky(reruns=2)
        def test_flaky():
            marker = pathlib.Path("attempts.txt")
            n = int(marker.read_text()) if marker.exists() else 0
            marker.write_text(str(n + 1))
            assert n >= 1, "fails the first time"
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-n", "2")
    assert result.parseoutcomes() == {"passed": 1, "rerun": 1}
    (rec,) = by_test(pytester.path / "autoheal-reports").values()
    assert rec["flaky"] is True and rec["test"]["outcome"] == "flaky" and rec["test"]["reruns"] == 1
    data = run_json(pytester.path / "autoheal-reports")
    (entry,) = data["tests"]
    assert entry["outcome"] == "flaky" and entry["attempts"] == 2 and entry["reran"] is True
    assert data["counts"] == {"flaky": 1} and data["by_class"] == {}


@pytest.mark.usefixtures("autoheal_project")
def test_summary_is_written_without_the_terminal_reporter(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        def test_ok():
            pass

        def test_bad():
            raise KeyError("missing")

        @pytest.mark.skip(reason="not today")
        def test_skipped():
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:terminal", "-p", "no:randomly")
    assert result.ret == 1
    data = run_json(pytester.path / "autoheal-reports")
    assert data["counts"] == {"passed": 1, "failed": 1, "skipped": 1}
    assert len(data["record_ids"]) == 1
    assert (pytester.path / "autoheal-reports" / "health.html").is_file()


@pytest.mark.usefixtures("autoheal_project")
def test_collection_error_and_teardown_error_are_counted_once(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_broken_module="import no_such_module_for_autoheal\n",
        test_teardown="""
        import pytest

        @pytest.fixture
        def resource():
            yield 1
            raise RuntimeError("cleanup failed")

        def test_uses(resource):
            assert resource == 1
        """,
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly", "--continue-on-collection-errors")
    assert result.ret == 1
    data = run_json(pytester.path / "autoheal-reports")
    tests = {t["nodeid"]: t for t in data["tests"]}
    assert tests["test_teardown.py::test_uses"]["outcome"] == "error"
    assert tests["test_broken_module.py"]["outcome"] == "error"
    assert data["collect_errors"] == ["test_broken_module.py"]
    recs = by_test(pytester.path / "autoheal-reports")
    assert set(recs) == {("test_teardown.py::test_uses", "teardown"), ("test_broken_module.py", "collect")}
    assert json.dumps(data).count(recs[("test_broken_module.py", "collect")]["id"]) >= 2
