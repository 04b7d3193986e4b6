"""stress: concurrent page loads and API calls stay within the latency and error-rate budgets."""

from __future__ import annotations

import pytest

from pytest_autoheal.components.dashboard.checks import budget_failures, load, page_assets
from pytest_autoheal.components.dashboard.config import DashboardConfig
from pytest_autoheal.components.dashboard.server import Dashboard

pytestmark = [pytest.mark.component("dashboard"), pytest.mark.level("stress")]


def test_pages_and_api_meet_load_budget(dashboard: Dashboard, dashboard_cfg: DashboardConfig, roots: list[str], autoheal_record) -> None:
    budget = dashboard_cfg.stress
    pages = dashboard_cfg.page_paths()
    # Loading a page means its scripts and stylesheets too, so those share the load.
    paths = budget.paths or pages + page_assets(dashboard, pages) + [a.path for a in dashboard_cfg.api_calls() if a.method == "GET"]
    autoheal_record.metrics["paths"] = len(paths)
    stats = load(dashboard, paths, requests=budget.requests, concurrency=budget.concurrency, timeout=budget.timeout)
    autoheal_record.metrics.update(stats.metrics())
    failures = budget_failures(stats, dashboard_cfg, dashboard, roots)
    if failures:
        # Each failing request is charged to its own path: one record per distinct failure, the test fails once.
        autoheal_record.fail(failures, found_in=f"{len(paths)} paths under load")
    assert stats.requests == budget.requests
