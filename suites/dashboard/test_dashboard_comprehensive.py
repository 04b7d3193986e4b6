"""comprehensive: a bounded same-origin crawl finds no 4xx/5xx, and answers that claim JSON parse."""

from __future__ import annotations

import pytest

from pytest_autoheal import http
from pytest_autoheal.components.dashboard.checks import http_failure, request_failure, url_path
from pytest_autoheal.components.dashboard.config import ApiCall, DashboardConfig
from pytest_autoheal.components.dashboard.crawl import CrawlResult
from pytest_autoheal.components.dashboard.server import Dashboard
from pytest_autoheal.errors import TargetFailure

pytestmark = [pytest.mark.component("dashboard"), pytest.mark.level("comprehensive")]


def test_crawl_finds_no_broken_links(
    dashboard: Dashboard, dashboard_cfg: DashboardConfig, crawled: CrawlResult, roots: list[str], autoheal_record
) -> None:
    autoheal_record.metrics.update(visited=len(crawled.visits), pages=len(crawled.pages), not_visited=crawled.skipped)
    failures = [
        request_failure(
            dashboard, v.result, what=f"link from {v.referrer or 'the start pages'}", timeout=dashboard_cfg.request_timeout, roots=roots
        )
        for v in crawled.broken
    ]
    if failures:
        autoheal_record.extras["broken"] = [
            {"url": v.url, "status": v.result.status, "error": v.result.error, "linked_from": v.referrer} for v in crawled.broken[:50]
        ]
        # Each broken URL is a bug of its own: one record each, the test fails once.
        autoheal_record.fail(failures, found_in=f"{len(crawled.visits)} crawled URLs")
    assert crawled.visits, "the crawl visited nothing"


def test_crawled_json_answers_parse(crawled: CrawlResult, autoheal_record) -> None:
    failures = [
        TargetFailure(
            f"{v.url} claims {v.result.content_type} but its body does not parse: {v.json_error}",
            error_type="JSONDecodeError",
            message=v.json_error or "",
            extras={"url": v.url, "response": v.result.to_dict()},
            subject=url_path(v.url),
        )
        for v in crawled.bad_json
    ]
    if failures:
        autoheal_record.fail(failures, found_in=f"{len(crawled.visits)} crawled URLs")


def test_api_endpoint_returns_json(dashboard: Dashboard, dashboard_cfg: DashboardConfig, api_call: ApiCall, roots: list[str]) -> None:
    offset = dashboard.log_size()
    answer = http.request(api_call.method, dashboard.url(api_call.path), json=api_call.json_body, timeout=dashboard_cfg.request_timeout)
    if answer.status not in (api_call.status or list(range(200, 300))):
        raise http_failure(
            answer,
            what=f"API {api_call.label}",
            server_log=dashboard.log_since(offset, wait_for="Traceback" if (answer.status or 0) >= 500 else None),
            roots=roots,
        )
    if not answer.claims_json:
        return
    try:
        answer.json()
    except ValueError as exc:
        raise TargetFailure(
            f"API {api_call.label} claims {answer.content_type} but its body does not parse: {exc}",
            error_type="JSONDecodeError",
            message=str(exc),
            extras={"url": answer.url, "response": answer.to_dict()},
            subject=url_path(answer.url),
        ) from None
