"""The dashboard suite against the demo dashboard: green by default, precise records with the break switch."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import run_suite

DEMO = {
    "command": ["autoheal-demo-dashboard", "--port", "{port}"],
    "ready_path": "/api/status",
    "pages": ["/", "/tools", "/about"],
    "api": ["/api/status", "/api/tools", {"path": "/api/tools/word_count", "method": "POST", "json": {"arguments": {"text": "a b"}}}],
    "stress": {"requests": 60, "concurrency": 4, "p95_ms": 3000, "max_ms": 10000},
}


@pytest.mark.parametrize("needs_browser", ["playwright"], indirect=True)
def test_demo_dashboard_is_green_at_every_level(pytester: pytest.Pytester, needs_browser: str) -> None:
    result, records, report = run_suite(pytester, DEMO, "--autoheal-level=all", "-n", "2")
    result.assert_outcomes(passed=16)
    assert records == []
    assert list(report.glob("screenshots/*.png")) == []


@pytest.mark.parametrize("needs_browser", ["playwright", "selenium"], indirect=True)
def test_break_switch_gives_js_error_and_rejection_records_with_screenshots(
    pytester: pytest.Pytester, needs_browser: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTOHEAL_DEMO_BREAK", "1")
    result, records, _ = run_suite(pytester, DEMO, "--autoheal-level=browser", f"--autoheal-browser={needs_browser}")
    result.assert_outcomes(passed=3, failed=1)
    # One failed test, one record per broken page, each with its own class and fingerprint.
    suite = {r["test"]["target"]: r for r in records if r["test"]["outcome"] == "failed"}
    assert sorted(suite) == ["/broken/error", "/broken/rejection"]
    rec, rejection = suite["/broken/error"], suite["/broken/rejection"]
    assert rec["test"]["component"] == "dashboard" and rec["test"]["level"] == "browser"
    assert rec["classification"]["class"] == "js_error" and rec["error"]["type"] == "TypeError"
    assert rejection["classification"]["class"] == "unhandled_rejection"
    assert rejection["fingerprint"]["hash"] != rec["fingerprint"]["hash"]
    assert rec["test"]["nodeid"] == rejection["test"]["nodeid"]
    extras = rec["error"]["extras"]
    assert extras["driver"] == needs_browser
    assert [p["page"] for p in extras["failing_pages"]] == ["/broken/error", "/broken/rejection"]
    assert "unhandled rejection" in extras["failing_pages"][1]["problems"][0]
    shot = Path(extras["attachments"]["screenshot"])
    assert shot == Path(extras["screenshot"]) and shot.read_bytes()[:4] == b"\x89PNG"
    # error-reporter.js in the pages posted both errors to the demo's receiver.
    reported = {r["classification"]["class"]: r for r in records if r["test"]["outcome"] == "reported"}
    assert set(reported) == {"js_error", "unhandled_rejection"}
    assert reported["js_error"]["fingerprint"]["hash"] == rec["fingerprint"]["hash"]
