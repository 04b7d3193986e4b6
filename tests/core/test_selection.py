"""Levels, components and categories select tests; bad filters are one-line usage errors."""

from __future__ import annotations

import pytest

TAGGED = """
import pytest

@pytest.mark.level("smoke")
@pytest.mark.component("cli")
def test_cli_smoke():
    pass

@pytest.mark.level("comprehensive")
@pytest.mark.component("cli")
def test_cli_comprehensive():
    pass

@pytest.mark.level("stress")
@pytest.mark.component("mcp_tools")
@pytest.mark.category("pdf_tools")
def test_mcp_stress_pdf():
    pass

@pytest.mark.level("smoke")
@pytest.mark.component("mcp_tools")
@pytest.mark.category("pdf_tools")
def test_mcp_smoke_pdf():
    pass

@pytest.mark.level("smoke")
@pytest.mark.component("mcp_tools")
@pytest.mark.category("ipfs_tools")
def test_mcp_smoke_ipfs():
    pass

@pytest.mark.level("browser")
@pytest.mark.component("dashboard")
def test_dashboard_browser():
    pass

def test_untagged():
    pass
"""


def _selected(result: pytest.RunResult) -> set[str]:
    return {line.split("::")[1].split(" ")[0] for line in result.outlines if "::" in line and "PASSED" in line}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--autoheal-level=smoke"], {"test_cli_smoke", "test_mcp_smoke_pdf", "test_mcp_smoke_ipfs"}),
        (["--autoheal-level=comprehensive"], {"test_cli_smoke", "test_cli_comprehensive", "test_mcp_smoke_pdf", "test_mcp_smoke_ipfs"}),
        (["--autoheal-level=stress,browser"], {"test_mcp_stress_pdf", "test_dashboard_browser"}),
        (
            ["--autoheal-level=all"],
            {
                "test_cli_smoke",
                "test_cli_comprehensive",
                "test_mcp_stress_pdf",
                "test_mcp_smoke_pdf",
                "test_mcp_smoke_ipfs",
                "test_dashboard_browser",
            },
        ),
        (["--component=cli"], {"test_cli_smoke", "test_cli_comprehensive"}),
        (["--category=pdf_tools"], {"test_mcp_stress_pdf", "test_mcp_smoke_pdf"}),
        (["--category=pdf_tools", "--autoheal-level=smoke"], {"test_mcp_smoke_pdf"}),
        (["-o", "autoheal_level=smoke", "--component=mcp_tools"], {"test_mcp_smoke_pdf", "test_mcp_smoke_ipfs"}),
        (
            [],
            {
                "test_cli_smoke",
                "test_cli_comprehensive",
                "test_mcp_stress_pdf",
                "test_mcp_smoke_pdf",
                "test_mcp_smoke_ipfs",
                "test_dashboard_browser",
                "test_untagged",
            },
        ),
    ],
)
def test_filters_select_by_markers(pytester: pytest.Pytester, args: list[str], expected: set[str]) -> None:
    pytester.makepyfile(TAGGED)
    result = pytester.runpytest_subprocess("-v", *args)
    assert result.ret == 0
    assert _selected(result) == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--autoheal-level=smok"], "*unknown level 'smok'; valid levels: smoke, comprehensive, stress, browser, all*"),
        (["--component=web"], "*unknown component 'web'; valid components: cli, mcp_tools, js_sdk, dashboard*"),
        (["--category=nope_tools"], "*--category: unknown category 'nope_tools'; valid categories: ipfs_tools, pdf_tools*"),
    ],
)
def test_unknown_filter_value_is_a_one_line_usage_error(pytester: pytest.Pytester, args: list[str], message: str) -> None:
    pytester.makepyfile(TAGGED)
    result = pytester.runpytest_subprocess(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


def test_filter_that_empties_the_selection_names_the_filter(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(TAGGED)
    result = pytester.runpytest_subprocess("--component=dashboard", "--autoheal-level=smoke")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*--component=dashboard selected no test*"])


def test_empty_selection_under_xdist_exits_non_zero(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(TAGGED)
    result = pytester.runpytest_subprocess("-n", "2", "--component=js_sdk")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stdout.fnmatch_lines(["ERROR: --component=js_sdk selected no test*"])


def test_unknown_category_under_xdist_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(TAGGED)
    result = pytester.runpytest_subprocess("-n", "2", "--category=nope_tools")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stdout.fnmatch_lines(["ERROR: --category: unknown category 'nope_tools'; valid categories: ipfs_tools, pdf_tools"])
