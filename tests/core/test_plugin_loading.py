"""The plugin loads by entry point, by -p, switches off when asked, and stays inert until a run asks for it."""

from __future__ import annotations

import json

import pytest

from tests.support.install import normalised_output

from .helpers import records

FAILING = """
def test_fails():
    assert 2 + 2 == 5
"""


@pytest.mark.usefixtures("autoheal_project")
def test_entry_point_autoload_writes_records(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(FAILING)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(failed=1)
    assert [r["test"]["nodeid"] for r in records(pytester.path / "autoheal-reports")] == [
        "test_entry_point_autoload_writes_records.py::test_fails"
    ]


@pytest.mark.usefixtures("autoheal_project")
def test_dash_p_autoheal_works_with_autoload_disabled(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile(FAILING)
    result = pytester.runpytest_subprocess("-p", "autoheal")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*= autoheal =*", "*assertion*"])
    assert len(records(pytester.path / "autoheal-reports")) == 1


def test_autoload_disabled_without_dash_p_leaves_plugin_off(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile(FAILING)
    pytester.runpytest_subprocess().assert_outcomes(failed=1)
    assert not (pytester.path / "autoheal-reports").exists()


@pytest.mark.usefixtures("autoheal_project")
def test_dash_p_autoheal_with_autoload_on_registers_once(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(FAILING)
    result = pytester.runpytest_subprocess("-p", "autoheal")
    result.assert_outcomes(failed=1)
    assert len(records(pytester.path / "autoheal-reports")) == 1


@pytest.mark.parametrize("switch", [["-p", "no:autoheal"], ["--autoheal-disable"], ["-o", "autoheal_disable=true"]])
def test_switching_the_plugin_off_writes_nothing(pytester: pytest.Pytester, switch: list[str]) -> None:
    pytester.makepyfile(FAILING)
    result = pytester.runpytest_subprocess(*switch)
    result.assert_outcomes(failed=1)
    assert not (pytester.path / "autoheal-reports").exists()
    assert "= autoheal =" not in result.stdout.str()


def test_options_share_one_group_in_help(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--help")
    result.stdout.fnmatch_lines(
        [
            "pytest-autoheal*",
            "*--autoheal-level=LEVELS*",
            "*--category=CATEGORIES*",
            "*--component=COMPONENTS*",
            "*--autoheal-dir=DIR*",
            "*--autoheal-config=FILE*",
            "*--autoheal-disable*",
        ]
    )
    result.stdout.fnmatch_lines(["*autoheal_level (string)*", "*autoheal_dir (string)*", "*autoheal_disable (bool)*"])


def test_markers_are_registered_for_strict_markers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.level("smoke")
        @pytest.mark.component("cli")
        @pytest.mark.category("text_tools")
        @pytest.mark.target("wc")
        def test_tagged():
            pass
        """
    )
    pytester.runpytest_subprocess("--strict-markers").assert_outcomes(passed=1)


def test_ini_twin_sets_the_report_dir(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nautoheal_dir = custom-reports\n")
    pytester.makepyfile(FAILING)
    pytester.runpytest_subprocess().assert_outcomes(failed=1)
    assert len(records(pytester.path / "custom-reports")) == 1
    assert not (pytester.path / "autoheal-reports").exists()


@pytest.mark.usefixtures("autoheal_project")
def test_internal_error_becomes_a_warning_and_keeps_outcomes(pytester: pytest.Pytester) -> None:
    # records/ as a plain file makes every record write fail inside the plugin.
    pytester.makepyfile(
        """
        import pathlib, shutil

        def test_breaks_the_report_dir():
            d = pathlib.Path("autoheal-reports/records")
            shutil.rmtree(d)
            d.write_text("not a directory")

        def test_fails_after():
            assert 1 == 0

        def test_passes_after():
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*AutohealWarning: could not write the failure record*"])


PLAIN_PROJECT = {
    "test_passes": "def test_ok():\n    pass\n",
    "test_fails": FAILING,
}


def _autoheal_files(pytester: pytest.Pytester) -> list[str]:
    return [str(p) for p in pytester.path.rglob("*") if "autoheal" in p.name]


@pytest.mark.parametrize("args", [(), ("-n", "2")], ids=["one-process", "xdist"])
def test_unrelated_project_run_is_untouched(pytester: pytest.Pytester, args: tuple[str, ...]) -> None:
    pytester.makepyfile(**PLAIN_PROJECT)
    inert = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider", *args)
    inert.assert_outcomes(passed=1, failed=1)
    assert _autoheal_files(pytester) == []
    off = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider", "-p", "no:autoheal", *args)
    # Not one line more or different than with the plugin switched off.
    assert normalised_output(inert.stdout.str()) == normalised_output(off.stdout.str())
    assert inert.stderr.str() == off.stderr.str()


def test_help_leaves_no_trace_in_an_unrelated_project(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--help")
    assert result.ret == 0
    assert _autoheal_files(pytester) == []


def test_help_in_a_configured_project_keeps_the_last_run(autoheal_project: pytest.Pytester) -> None:
    pytester = autoheal_project
    pytester.makepyfile(FAILING)
    pytester.runpytest_subprocess().assert_outcomes(failed=1)
    reports = pytester.path / "autoheal-reports"
    before = {p.relative_to(reports): p.read_bytes() for p in reports.rglob("*") if p.is_file()}
    assert any(p.parts[0] == "records" for p in before)
    for args in (["--help"], ["--version"], ["--markers"]):
        assert pytester.runpytest_subprocess(*args).ret == 0
    assert {p.relative_to(reports): p.read_bytes() for p in reports.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize(
    "asking",
    [
        ["--autoheal-dir=autoheal-reports"],
        ["-o", "autoheal_dir=autoheal-reports"],
        ["--autoheal-config=autoheal.toml"],
        ["--autoheal-browser=selenium"],
        ["-o", "autoheal_browser=selenium"],
        ["--autoheal-level=smoke"],
        ["--component=cli"],
        ["--category=text_tools"],
    ],
)
def test_any_autoheal_option_asks_for_the_plugin(pytester: pytest.Pytester, asking: list[str]) -> None:
    (pytester.path / "autoheal.toml").write_text('report_dir = "autoheal-reports"\n')
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.level("smoke")
        @pytest.mark.component("cli")
        @pytest.mark.category("text_tools")
        def test_tagged():
            assert 2 + 2 == 5

        def test_plain():
            assert 2 + 2 == 5
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly", *asking)
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*= autoheal =*"])
    data = json.loads((pytester.path / "autoheal-reports" / "run.json").read_text())
    assert data["counts"]["failed"] >= 1 and len(records(pytester.path / "autoheal-reports")) == data["counts"]["failed"]


@pytest.mark.parametrize("args", [(), ("-n", "2")], ids=["one-process", "xdist"])
def test_autoheal_markers_in_the_selected_tests_wake_the_plugin(pytester: pytest.Pytester, args: tuple[str, ...]) -> None:
    pytester.makepyfile(
        test_tagged="""
        import pytest

        pytestmark = pytest.mark.component("cli")

        @pytest.mark.parametrize("i", range(4))
        def test_tagged(i):
            assert i != 2
        """,
        test_plain="def test_plain():\n    pass\n",
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly", *args)
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(["*= autoheal =*", "*health report: *health.html"])
    reports = pytester.path / "autoheal-reports"
    (rec,) = records(reports)
    assert (rec["test"]["nodeid"], rec["test"]["component"]) == ("test_tagged.py::test_tagged[2]", "cli")
    data = json.loads((reports / "run.json").read_text())
    assert data["counts"] == {"passed": 4, "failed": 1} and data["record_ids"] == [rec["id"]]
    assert data["by_component"]["cli"] == {"passed": 3, "failed": 1}
    assert (reports / "health.html").is_file()


def test_markers_outside_the_selection_do_not_wake_the_plugin(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_tagged="import pytest\n\n@pytest.mark.level('smoke')\ndef test_tagged():\n    assert False\n",
        test_plain="def test_plain():\n    assert False\n",
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-k", "plain")
    result.assert_outcomes(failed=1)
    assert not (pytester.path / "autoheal-reports").exists()
    assert "= autoheal =" not in result.stdout.str()


def test_config_fixture_gives_the_defaults_in_a_run_that_did_not_ask(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_reads(autoheal_config):\n    assert autoheal_config.report_dir == 'autoheal-reports'\n")
    pytester.runpytest_subprocess().assert_outcomes(passed=1)
    assert not (pytester.path / "autoheal-reports").exists()
    pytester.runpytest_subprocess("--autoheal-disable", "-rs").assert_outcomes(skipped=1)
