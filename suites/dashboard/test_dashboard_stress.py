"""stress: concurrent page loads and API calls stay within the latency and error-rate budgets."""

from __future__ import annotations

import pytest

from pytest_autoheal.components.dashboard.checks import budget_failure, load, page_assets
from pytest_autoheal.components.dashboard.config import DashboardConfig
from pytest_autoheal.components.dashboard.server import Dashboard

pytestmark = [pytest.mark.component("dashboard"), pytest.mark.level("stress")]


def test_pages_and_api_meet_load_budget(dashboard: Dashboard, dashboard_cfg: DashboardConfig, autoheal_record) -> None:
    budget = dashboard_cfg.stress
    pages = dashboard_cfg.page_paths()
    # Loading a page means its scripts and stylesheets too, so those share the load.
    paths = budget.paths or pages + page_assets(dashboard, pages) + [a.path for a in dashboard_cfg.api_calls() if a.method == "GET"]
    autoheal_record.metrics["paths"] = len(paths)
    stats = load(dashboard, paths, requests=budget.requests, concurrency=budget.concurrency, timeout=budget.timeout)
    autoheal_record.metrics.update(stats.metrics())
    failure = budget_failure(stats, dashboard_cfg)
    if failure is not None:
        raise failure
    assert stats.requests == budget.requests
