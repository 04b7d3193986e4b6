"""The plugin loads by entry point, by -p, and switches off when asked."""

from __future__ import annotations

import pytest

from .helpers import records

FAILING = """
def test_fails():
    assert 2 + 2 == 5
"""


def test_entry_point_autoload_writes_records(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(FAILING)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(failed=1)
    assert [r["test"]["nodeid"] for r in records(pytester.path / "autoheal-reports")] == [
        "test_entry_point_autoload_writes_records.py::test_fails"
    ]


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
