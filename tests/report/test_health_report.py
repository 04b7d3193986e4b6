"""The health report written at the end of a session, checked in real headless Chromium."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_autoheal.report import model

from .conftest import FAILING_PROJECT, HOSTILE_IMG, HOSTILE_SCRIPT


def run_project(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_platform=FAILING_PROJECT)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "--autoheal-dir", "reports", *args)


def test_report_renders_in_chromium_with_matrix_clusters_and_screenshot(pytester: pytest.Pytester, open_page) -> None:
    result = run_project(pytester)
    result.assert_outcomes(passed=3, failed=3, skipped=1)
    report_dir = pytester.path / "reports"
    health = report_dir / "health.html"
    result.stdout.fnmatch_lines([f"health report: {health}"])

    watch = open_page(health)
    page = watch.page
    assert watch.console_errors == [] and watch.page_errors == []
    assert all(url.startswith(("file:", "data:")) for url in watch.requests), watch.requests
    assert page.get_attribute("#status", "data-status") == "failing"

    matrix = page.locator("#component-matrix")
    assert matrix.is_visible()
    assert matrix.locator("tr").count() == 4  # header + cli, dashboard, mcp_tools
    cli_row = matrix.locator("tr", has=page.locator("th", has_text="cli"))
    assert "1 / 1" in cli_row.locator("td").last.inner_text()
    assert page.locator("#level-matrix tr").count() == 5  # header + four levels

    clusters = page.locator("details.cluster")
    assert clusters.count() == 3
    assert clusters.first.is_visible()
    classes = page.locator("details.cluster .badge.cls").all_inner_texts()
    assert len(classes) == 3 and classes.count("runtime_exception") >= 2

    pdf = page.locator("details.cluster", has_text="pdf_merge")
    pdf.locator(":scope > summary").click()
    message = pdf.locator("pre.message").inner_text()
    assert HOSTILE_SCRIPT in message and HOSTILE_IMG in message and "**bold**" in message
    assert page.evaluate("document.querySelectorAll('script').length") == 1
    assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert watch.dialogs == []

    divide = page.locator("details.cluster", has_text="ZeroDivisionError")
    divide.locator(":scope > summary").click()
    divide.locator("summary", has_text="stdout").click()
    assert HOSTILE_SCRIPT in divide.inner_text()
    href = divide.locator("a", has_text="record").get_attribute("href")
    record = json.loads((report_dir / href).read_text())
    assert record["error"]["type"] == "ZeroDivisionError"

    settings = page.locator("details.cluster", has_text="/settings")
    settings.locator(":scope > summary").click()
    shot = settings.locator("img.shot")
    assert shot.get_attribute("src").startswith("data:image/png;base64,")
    assert page.evaluate("(img) => img.naturalWidth", shot.element_handle()) == 64

    assert "p95 = 0.045" in page.locator("#stress").inner_text()
    assert page.locator("#metric-detection_rate .value").inner_text() == "100%"
    assert page.locator("#metric-fix_success_rate .value").inner_text() == "no data yet"
    assert "No data yet" in page.locator("#trends").inner_text()
    page.screenshot(path=str(report_dir / "health.png"), full_page=True)
    assert (report_dir / "health.png").read_bytes().startswith(b"\x89PNG")
    assert watch.console_errors == [] and watch.page_errors == [] and watch.dialogs == []


def test_second_run_draws_trend_and_keeps_first_seen(pytester: pytest.Pytester, open_page) -> None:
    run_project(pytester).assert_outcomes(passed=3, failed=3, skipped=1)
    first = json.loads((pytester.path / "reports" / "run.json").read_text())["run"]["id"]
    run_project(pytester).assert_outcomes(passed=3, failed=3, skipped=1)
    report_dir = pytester.path / "reports"
    watch = open_page(report_dir / "health.html")
    page = watch.page
    assert "Trends (2 runs)" in page.locator("#trends h2").inner_text()
    assert page.locator("#trends svg rect").count() >= 6
    cluster = page.locator("details.cluster", has_text="pdf_merge")
    cluster.locator(":scope > summary").click()
    assert "in 2 runs" in cluster.inner_text()
    assert first in cluster.inner_text()
    assert watch.console_errors == [] and watch.page_errors == []


def test_clusters_are_paginated_and_filterable(tmp_path: Path, open_page) -> None:
    from pytest_autoheal.record import ErrorInfo, TestInfo, build_record, write_record

    report_dir = tmp_path / "reports"
    run = {"id": "run-many", "url": None}
    for i in range(120):
        rec = build_record(
            test=TestInfo(nodeid=f"suites/test_t.py::test_{i}", component="mcp_tools", category=f"cat{i % 7}"),
            error=ErrorInfo(type=f"Error{i}", message=f"failure number {i}"),
            run=run,
        )
        write_record(report_dir, rec)
    from pytest_autoheal.report import render

    render.write_report([report_dir], report_dir / "health.html")
    watch = open_page(report_dir / "health.html")
    page = watch.page
    assert page.locator("details.cluster").count() == 120
    assert page.locator("details.cluster:visible").count() == 50
    assert "page 1 of 3" in page.locator("#cluster-info").inner_text()
    page.locator("#cluster-pager button", has_text="3").click()
    assert page.locator("details.cluster:visible").count() == 20
    page.fill("#cluster-filter", "error17")
    assert page.locator("details.cluster:visible").count() == 1
    assert watch.console_errors == [] and watch.page_errors == []


def test_report_without_tests_or_records_says_so(tmp_path: Path) -> None:
    ctx = model.build([tmp_path], out=tmp_path / "health.html")
    assert ctx["status"] == "empty"
    assert all(not m["has_data"] for m in ctx["seed_metrics"])


def test_malformed_records_and_run_file_still_give_a_report(tmp_path: Path, open_page) -> None:
    from pytest_autoheal.record import ErrorInfo, TestInfo, build_record, write_record
    from pytest_autoheal.report import render

    report_dir = tmp_path / "reports"
    good = build_record(
        test=TestInfo(nodeid="t.py::test_good", component="cli"), error=ErrorInfo(type="KeyError", message="'k'"), run={"id": "r1"}
    )
    write_record(report_dir, good)
    odd = {"id": "odd", "test": ["not", "a", "dict"], "error": {"message": {"nested": HOSTILE_IMG}, "frames": "x"}, "occurrences": {"count": "many"},
           "classification": {"confidence": "high", "class": 7}, "fingerprint": None}  # fmt: skip
    (report_dir / "records" / "odd.json").write_text(json.dumps(odd))
    (report_dir / "records" / "broken.json").write_bytes(b"\xff\xfe{not json")
    (report_dir / "run.json").write_text(
        json.dumps({"run": "r1", "tests": [{"nodeid": "t.py::test_good", "component": ["cli"]}, 5], "metrics": []})
    )
    render.write_report([report_dir], report_dir / "health.html")
    watch = open_page(report_dir / "health.html")
    page = watch.page
    assert page.locator("details.cluster").count() == 2
    assert "skipped a bad file" in page.locator(".note").first.inner_text()
    assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert watch.console_errors == [] and watch.page_errors == [] and watch.dialogs == []


FLAKY_PROJECT = """
import pathlib
import pytest


@pytest.mark.component("dashboard")
def test_sometimes():
    marker = pathlib.Path(__file__).with_name("attempted")
    if not marker.exists():
        marker.write_text("1")
        raise ConnectionError("connection reset by peer")


def test_steady():
    pass
"""


def test_flaky_test_is_listed_as_flaky_not_as_a_failure(pytester: pytest.Pytester, open_page) -> None:
    pytester.makepyfile(test_flaky=FLAKY_PROJECT)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--autoheal-dir", "reports", "--reruns", "1")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*2 passed, 1 rerun*"])
    watch = open_page(pytester.path / "reports" / "health.html")
    page = watch.page
    assert page.get_attribute("#status", "data-status") == "flaky"
    assert "test_flaky.py::test_sometimes" in page.locator("#flaky table").inner_text()
    assert page.locator("details.cluster.flaky-only").count() == 1
    assert "0 distinct failures, 1 flaky only" in page.locator("#failures h2").inner_text()
    assert watch.console_errors == [] and watch.page_errors == []
