"""browser: every page loads in headless Chromium with no uncaught error, unhandled rejection or console error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_autoheal.components.dashboard.browser import open_page
from pytest_autoheal.components.dashboard.checks import page_failure
from pytest_autoheal.components.dashboard.config import DashboardConfig
from pytest_autoheal.components.dashboard.crawl import CrawlResult
from pytest_autoheal.components.dashboard.server import Dashboard
from pytest_autoheal.errors import TargetFailure

pytestmark = [pytest.mark.component("dashboard"), pytest.mark.level("browser")]


def _load(url: str, label: str, cfg: DashboardConfig, driver: str, shot: Path) -> TargetFailure | None:
    result = open_page(url, driver=driver, timeout=cfg.page_timeout, settle=cfg.settle, screenshot_path=shot)
    failure = page_failure(result, cfg, label=label)
    if failure is None:
        shot.unlink(missing_ok=True)
    return failure


def _raise(label: str, failure: TargetFailure, autoheal_record) -> None:
    autoheal_record.target = label
    if failure.extras.get("screenshot"):
        autoheal_record.attach("screenshot", failure.extras["screenshot"])
    raise failure


def test_page_loads_cleanly(
    browser_driver: str, dashboard: Dashboard, dashboard_cfg: DashboardConfig, page: str, screenshot_path, autoheal_record
) -> None:
    failure = _load(dashboard.url(page), page, dashboard_cfg, browser_driver, screenshot_path)
    if failure is not None:
        _raise(page, failure, autoheal_record)


def test_crawled_pages_load_cleanly(
    browser_driver: str, dashboard: Dashboard, dashboard_cfg: DashboardConfig, crawled: CrawlResult, screenshot_path, autoheal_record
) -> None:
    configured = {dashboard.url(p) for p in dashboard_cfg.page_paths()}
    pages = [u for u in crawled.pages if u not in configured]
    autoheal_record.metrics["pages"] = len(pages)
    failures: list[tuple[str, TargetFailure]] = []
    for url in pages:
        label = url.removeprefix(dashboard.base_url) or "/"
        shot = screenshot_path.with_name(f"{screenshot_path.stem}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', label).strip('_')[-80:]}.png")
        failure = _load(url, label, dashboard_cfg, browser_driver, shot)
        if failure is not None:
            failures.append((label, failure))
    if failures:
        label, first = failures[0]
        first.extras["failing_pages"] = [{"page": lb, "problem": f.summary, "screenshot": f.extras.get("screenshot")} for lb, f in failures]
        if len(failures) > 1:
            first.summary = f"{len(failures)} of {len(pages)} crawled pages fail in the browser; first: {first.summary}"
        _raise(label, first, autoheal_record)
