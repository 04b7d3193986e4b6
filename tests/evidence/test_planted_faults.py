"""The quarry platform, monitored at every level with -n 2: each planted fault is one bug with the right class.

Records must describe what the target did (its exception, its exit, its status, its page errors),
whatever the scheduling, whichever check saw the bug, and whatever words the configuration holds.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

from pytest_autoheal.components.dashboard.browser import browser_unavailable

from .conftest import ARGPARSE, POISON, Quarry

# fault -> class; each fault is told by what the target did, never by which test or check saw it.
EXPECTED = {
    "cli: summarize raises KeyError": "runtime_exception",
    "cli: convert answers a bad option with exit 1": "assertion",
    "cli: export aborts": "crash",
    "mcp: geo_nearest does not import": "dependency",
    "mcp: calc_ratio divides by zero": "runtime_exception",
    "mcp: slow_scan never answers": "timeout",
    "mcp: shape_point breaks its output schema": "contract",
    "dashboard: /api/stats raises KeyError": "http_error",
    "dashboard: /broken/uncaught throws": "js_error",
    "dashboard: /broken/rejection is unhandled": "unhandled_rejection",
    "dashboard: /static/widgets.js is missing": "http_error",
    "js_sdk: the page has no error reporter": "config",
}
# Every fault must be exactly one fingerprint (a module that does not import and so is not served included).
TWO_CHECKS: set[str] = set()


def fault_of(record: dict[str, Any]) -> str:
    """Which planted fault a record is about, from the target's evidence in it (not the test that wrote it)."""
    test, error = record["test"], record["error"]
    extras = error["extras"]
    tool = extras.get("tool") or test.get("target")
    path = str(extras.get("url") or test.get("target") or "")
    if test["component"] == "cli":
        if error["type"] == "KeyError":
            return "cli: summarize raises KeyError"
        if error["type"] == "CliCheckFailed" and record["fingerprint"]["values"].get("target", "").startswith("convert"):
            return "cli: convert answers a bad option with exit 1"
        if error["type"] == "SIGABRT":
            return "cli: export aborts"
    if test["component"] == "mcp_tools":
        for name, fault in (
            ("geo_nearest", "mcp: geo_nearest does not import"),
            ("calc_ratio", "mcp: calc_ratio divides by zero"),
            ("slow_scan", "mcp: slow_scan never answers"),
            ("shape_point", "mcp: shape_point breaks its output schema"),
        ):
            if tool == name:
                return fault
    if test["component"] == "dashboard":
        for end, fault in (
            ("/api/stats", "dashboard: /api/stats raises KeyError"),
            ("/broken/uncaught", "dashboard: /broken/uncaught throws"),
            ("/broken/rejection", "dashboard: /broken/rejection is unhandled"),
            ("/static/widgets.js", "dashboard: /static/widgets.js is missing"),
        ):
            if path.endswith(end) or test.get("target") == end:
                return fault
    if test["component"] == "js_sdk" and error["type"] == "ReporterMissing":
        return "js_sdk: the page has no error reporter"
    return f"unexpected: {test['nodeid']}: {error['type']}: {error['message'][:200]}"


def by_fault(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        out[fault_of(record)].append(record)
    return out


def full_config(quarry: Quarry):
    return quarry.config(cli=quarry.cli(), mcp=quarry.mcp(), dashboard=quarry.dashboard(), js_sdk=quarry.js_sdk())


def check_faults(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    faults = by_fault(records)
    assert sorted(faults) == sorted(EXPECTED), {k: [r["test"]["nodeid"] for r in v] for k, v in faults.items()}
    for fault, found in faults.items():
        classes = {r["classification"]["class"] for r in found}
        assert classes == {EXPECTED[fault]}, (fault, classes, [r["classification"]["evidence"] for r in found])
        hashes = {r["fingerprint"]["hash"] for r in found}
        if fault not in TWO_CHECKS:
            assert len(hashes) == 1, (fault, [(r["test"]["nodeid"], r["fingerprint"]["values"]) for r in found])
        for r in found:
            # The monitor's own traceback is kept apart, and what decided the class is the target's evidence.
            assert r["fingerprint"]["algorithm"] == "autoheal-v2" and r["fingerprint"]["legacy"][0]["algorithm"] == "autoheal-v1"
            assert "CliConfig(" not in r["error"]["traceback"] and "McpConfig(" not in r["error"]["traceback"]
    return faults


@pytest.mark.parametrize("dist", ["load", "loadfile"])
def test_each_planted_fault_is_one_fingerprint_with_its_class_at_every_level(quarry: Quarry, dist: str) -> None:
    run = quarry.run(full_config(quarry), "--autoheal-level=all", "-n", "2", f"--dist={dist}")
    records = run.suite_records()
    faults = check_faults(records)
    out = run.result.stdout.str()

    # Three ways of starting the CLI, one bug each.
    summarize = faults["cli: summarize raises KeyError"]
    assert sorted(r["error"]["extras"]["variant"] for r in summarize) == sorted(ARGPARSE)
    assert {f["function"] for f in summarize[0]["error"]["frames"]} >= {"column_total"}
    assert sorted(r["error"]["extras"]["variant"] for r in faults["cli: convert answers a bad option with exit 1"]) == sorted(ARGPARSE)
    # The tool's own exception, found in that call's window of the server's stderr (here and under load).
    calc = faults["mcp: calc_ratio divides by zero"]
    assert {r["error"]["type"] for r in calc} == {"ZeroDivisionError"} and len(calc) == 2
    assert all("Traceback" in r["error"]["stderr_tail"] and "slow_scan" not in r["error"]["stderr_tail"] for r in calc)
    # The 500 names the server's own exception, the same from smoke, comprehensive and stress.
    stats = faults["dashboard: /api/stats raises KeyError"]
    assert len(stats) == 3 and {r["error"]["type"] for r in stats} == {"KeyError"}
    assert all(any(f["function"] == "load_stats" for f in r["error"]["frames"]) for r in stats)

    # The crawl from / over three broken pages: one failed test, three records, three fingerprints.
    crawled = [r for r in records if r["test"]["nodeid"].endswith("test_crawled_pages_load_cleanly")]
    assert sorted(r["test"]["target"] for r in crawled) == ["/broken/rejection", "/broken/uncaught", "/static/widgets.js"]
    assert len({r["fingerprint"]["hash"] for r in crawled}) == 3
    assert out.count("test_dashboard_browser.py::test_crawled_pages_load_cleanly") == 1

    # Under load only the request that failed is charged: /api/stats, never a healthy page whose connection the 500 closed.
    stress = [r for r in records if "test_pages_and_api_meet_load_budget" in r["test"]["nodeid"]]
    assert [r["test"]["target"] for r in stress] == ["/api/stats"]
    metrics = next(m for k, m in run.run_json()["metrics"].items() if "test_pages_and_api_meet_load_budget" in k)
    assert metrics["errors"] == metrics["requests"] // metrics["paths"] and metrics["errors"] > 0

    # The terminal says what the targets said.
    for words in (
        "crashed with KeyError (exit code 1): 'price'",
        "convert: unknown option",
        "KeyError: 'depth'",
        "ZeroDivisionError",
        "was killed by SIGABRT",
    ):
        assert words in out, words
    # The health report shows the CLI's own traceback, not the suite's frames and a repr of its configuration.
    health = (run.report / "health.html").read_text("utf-8")
    assert "column_total" in health and "CliConfig(" not in health


def test_words_in_the_configuration_change_no_class(poisoned_quarry: Quarry) -> None:
    quarry = poisoned_quarry
    config = full_config(quarry)
    text = config.read_text()
    assert text.count(POISON) >= 10 and POISON in str(quarry.home)
    run = quarry.run(config, "--autoheal-level=all", "-n", "2", "--dist=loadscope")
    faults = check_faults(run.suite_records())
    for found in faults.values():
        for r in found:
            # Nothing that decided a class quotes the configuration's words.
            assert not any(w in " ".join(r["classification"]["evidence"]) for w in ("Permission denied", "ModuleNotFoundError: " + POISON))


def test_the_same_page_faults_have_the_same_fingerprints_in_playwright_and_selenium(quarry: Quarry) -> None:
    for driver in ("playwright", "selenium"):
        reason = browser_unavailable(driver)
        if reason:
            pytest.skip(reason)
    config = quarry.config(dashboard=quarry.dashboard(pages=["/alerts"]))
    seen: dict[str, dict[str, str]] = {}
    for driver in ("playwright", "selenium"):
        run = quarry.run(config, "--autoheal-level=browser", f"--autoheal-browser={driver}")
        seen[driver] = {r["test"]["target"]: r["fingerprint"]["hash"] for r in run.suite_records()}
        alerts = next(r for r in run.suite_records() if r["test"]["target"] == "/alerts")
        # Selenium prefixes console text with the URL and quotes it; the record holds what the page logged.
        assert alerts["error"]["message"] == "alert feed stale: 3 alerts dropped", driver
        assert alerts["classification"]["class"] == "console_error"
    assert sorted(seen["playwright"]) == ["/alerts", "/broken/rejection", "/broken/uncaught", "/static/widgets.js"]
    assert seen["playwright"] == seen["selenium"]
