"""open_page on real headless Chromium, through both drivers, against a real server on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_autoheal.components.dashboard.browser import DRIVERS, browser_unavailable, open_page
from pytest_autoheal.components.dashboard.config import DashboardConfig
from pytest_autoheal.components.dashboard.server import Dashboard, start_dashboard

from .conftest import bad_site_command

pytestmark = pytest.mark.parametrize("needs_browser", DRIVERS, indirect=True)
# How long a page that does load may take: a bound for a loaded machine, never waited for when the page loads.
LOAD_BOUND = 60


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    cfg = DashboardConfig(command=bad_site_command(), ready_path="/clean")
    logs = tmp_path_factory.mktemp("site")
    running = start_dashboard(cfg, base_dir=logs, log_path=logs / "site.log")
    yield running
    running.stop()


def test_uncaught_error_rejection_and_console_error_are_told_apart(site: Dashboard, needs_browser: str, tmp_path: Path) -> None:
    demo_page = site.url("/clean")
    clean = open_page(demo_page, driver=needs_browser, timeout=LOAD_BOUND)
    assert clean.page_errors == [] and clean.console_errors() == [] and clean.status == 200
    console = open_page(site.url("/console"), driver=needs_browser, timeout=LOAD_BOUND)
    assert [m["text"] for m in console.console_errors()] and "token expired" in console.console_errors()[0]["text"]
    assert console.console_errors(allow=[r"token expired"]) == []


def test_js_errors_of_the_demo_break_pages(needs_browser: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOHEAL_DEMO_BREAK", "1")
    cfg = DashboardConfig(command=["autoheal-demo-dashboard", "--port", "{port}"], ready_path="/api/status")
    demo = start_dashboard(cfg, base_dir=tmp_path, log_path=tmp_path / "demo.log", env={"AUTOHEAL_REPORT_DIR": str(tmp_path / "reports")})
    try:
        error = open_page(demo.url("/broken/error"), driver=needs_browser, timeout=LOAD_BOUND, screenshot_path=tmp_path / "e.png")
        rejection = open_page(
            demo.url("/broken/rejection"), driver=needs_browser, timeout=LOAD_BOUND, scripts=["document.title", "() => 6 * 7"]
        )
    finally:
        demo.stop()
    assert [(e["kind"], e["name"]) for e in error.page_errors] == [("error", "TypeError")]
    assert "renderWidget" in error.page_errors[0]["stack"] or needs_browser == "selenium"
    assert [(e["kind"], e["message"]) for e in rejection.page_errors] == [("unhandled_rejection", "settings service answered 503")]
    assert rejection.scripts == ["Broken: unhandled rejection · demo dashboard", 42]
    assert (tmp_path / "e.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_dialog_is_dismissed_and_recorded(site: Dashboard, needs_browser: str) -> None:
    result = open_page(site.url("/dialog"), driver=needs_browser, timeout=LOAD_BOUND)
    assert [d["message"] for d in result.dialogs] == ["Are you sure you want to leave?"]
    assert result.load_error is None


def test_navigation_away_is_seen(site: Dashboard, needs_browser: str) -> None:
    result = open_page(site.url("/navigate"), driver=needs_browser, timeout=LOAD_BOUND)
    assert result.final_url == site.url("/clean")
    assert result.navigated_away()
    assert result.navigations[-1] == site.url("/clean")


def test_page_that_never_finishes_loading_times_out_without_hanging(site: Dashboard, needs_browser: str, tmp_path: Path) -> None:
    # /hang.js never ends (its server sleeps an hour): open_page coming back at all, timed out, is the proof it did not hang.
    result = open_page(site.url("/hang"), driver=needs_browser, timeout=2, screenshot_path=tmp_path / "hang.png")
    assert result.timed_out and "did not finish loading within 2s" in (result.load_error or "")
    assert result.screenshot and Path(result.screenshot).stat().st_size > 100


def test_unknown_driver_is_refused_with_the_choices(needs_browser: str) -> None:
    assert "playwright, selenium" in (browser_unavailable("firefox") or "")
