"""browser: every page loads in headless Chromium with no uncaught error, unhandled rejection or console error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_autoheal.components.dashboard.browser import open_page
from pytest_autoheal.components.dashboard.checks import page_failures
from pytest_autoheal.components.dashboard.config import DashboardConfig
from pytest_autoheal.components.dashboard.crawl import CrawlResult
from pytest_autoheal.components.dashboard.server import Dashboard
from pytest_autoheal.errors import TargetFailure

pytestmark = [pytest.mark.component("dashboard"), pytest.mark.level("browser")]


def _load(url: str, label: str, cfg: DashboardConfig, driver: str, shot: Path) -> list[TargetFailure]:
    result = open_page(url, driver=driver, timeout=cfg.page_timeout, settle=cfg.settle, screenshot_path=shot)
    failures = page_failures(result, cfg, label=label)
    if not failures:
        shot.unlink(missing_ok=True)
    return failures


def _fail(failures: list[TargetFailure], autoheal_record, found_in: str = "") -> None:
    if failures[0].extras.get("screenshot"):
        autoheal_record.attach("screenshot", failures[0].extras["screenshot"])
    # One record per distinct problem (each error, each failed request), the test fails once.
    autoheal_record.fail(failures, found_in=found_in)


def test_page_loads_cleanly(
    browser_driver: str, dashboard: Dashboard, dashboard_cfg: DashboardConfig, page: str, screenshot_path, autoheal_record
) -> None:
    failures = _load(dashboard.url(page), page, dashboard_cfg, browser_driver, screenshot_path)
    if failures:
        autoheal_record.target = page
        _fail(failures, autoheal_record, found_in=f"page {page}")


def test_crawled_pages_load_cleanly(
    browser_driver: str, dashboard: Dashboard, dashboard_cfg: DashboardConfig, crawled: CrawlResult, screenshot_path, autoheal_record
) -> None:
    configured = {dashboard.url(p) for p in dashboard_cfg.page_paths()}
    pages = [u for u in crawled.pages if u not in configured]
    autoheal_record.metrics["pages"] = len(pages)
    failures: list[TargetFailure] = []
    failing_pages: list[dict[str, object]] = []
    for url in pages:
        label = url.removeprefix(dashboard.base_url) or "/"
        shot = screenshot_path.with_name(f"{screenshot_path.stem}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', label).strip('_')[-80:]}.png")
        found = _load(url, label, dashboard_cfg, browser_driver, shot)
        if found:
            failing_pages.append({"page": label, "problems": [f.summary for f in found], "screenshot": found[0].extras.get("screenshot")})
        failures += found
    if failures:
        autoheal_record.extras["failing_pages"] = failing_pages
        _fail(failures, autoheal_record, found_in=f"{len(failing_pages)} of {len(pages)} crawled pages")
