"""smoke: the dashboard starts, and each configured page and API endpoint answers 2xx over HTTP."""

from __future__ import annotations

import pytest

from pytest_autoheal import http
from pytest_autoheal.components.dashboard.checks import http_failure
from pytest_autoheal.components.dashboard.config import ApiCall, DashboardConfig
from pytest_autoheal.components.dashboard.server import Dashboard

pytestmark = [pytest.mark.component("dashboard"), pytest.mark.level("smoke")]


def test_page_answers(dashboard: Dashboard, dashboard_cfg: DashboardConfig, page: str, roots: list[str]) -> None:
    offset = dashboard.log_size()
    answer = http.get(dashboard.url(page), timeout=dashboard_cfg.request_timeout)
    if not answer.ok:
        raise http_failure(
            answer,
            what=f"page {page}",
            server_log=dashboard.log_since(offset, wait_for="Traceback" if (answer.status or 0) >= 500 else None),
            roots=roots,
        )


def test_api_endpoint_answers(dashboard: Dashboard, dashboard_cfg: DashboardConfig, api_call: ApiCall, roots: list[str]) -> None:
    offset = dashboard.log_size()
    answer = http.request(api_call.method, dashboard.url(api_call.path), json=api_call.json_body, timeout=dashboard_cfg.request_timeout)
    expected = api_call.status or list(range(200, 300))
    if answer.status not in expected:
        raise http_failure(
            answer,
            what=f"API {api_call.label}",
            server_log=dashboard.log_since(offset, wait_for="Traceback" if (answer.status or 0) >= 500 else None),
            roots=roots,
        )
