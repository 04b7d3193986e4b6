"""comprehensive: a bounded same-origin crawl finds no 4xx/5xx, and answers that claim JSON parse."""

from __future__ import annotations

import pytest

from pytest_autoheal import http
from pytest_autoheal.components.dashboard.checks import http_failure
from pytest_autoheal.components.dashboard.config import ApiCall, DashboardConfig
from pytest_autoheal.components.dashboard.crawl import CrawlResult
from pytest_autoheal.components.dashboard.server import Dashboard
from pytest_autoheal.errors import TargetFailure

pytestmark = [pytest.mark.component("dashboard"), pytest.mark.level("comprehensive")]


def test_crawl_finds_no_broken_links(dashboard: Dashboard, crawled: CrawlResult, autoheal_record) -> None:
    autoheal_record.metrics.update(visited=len(crawled.visits), pages=len(crawled.pages), not_visited=crawled.skipped)
    broken = crawled.broken
    if broken:
        first = broken[0]
        autoheal_record.target = first.url.removeprefix(dashboard.base_url) or "/"
        failure = http_failure(first.result, what=f"link from {first.referrer or 'the start pages'}", server_log=dashboard.log_tail())
        failure.extras["broken"] = [
            {"url": v.url, "status": v.result.status, "error": v.result.error, "linked_from": v.referrer} for v in broken[:50]
        ]
        failure.summary = f"{len(broken)} of {len(crawled.visits)} crawled URLs are broken; first: {failure.summary}"
        raise failure
    assert crawled.visits, "the crawl visited nothing"


def test_crawled_json_answers_parse(dashboard: Dashboard, crawled: CrawlResult, autoheal_record) -> None:
    bad = crawled.bad_json
    if bad:
        first = bad[0]
        autoheal_record.target = first.url.removeprefix(dashboard.base_url) or "/"
        raise TargetFailure(
            f"{first.url} claims {first.result.content_type} but its body does not parse: {first.json_error}",
            error_type="JSONDecodeError",
            message=first.json_error or "",
            extras={"url": first.url, "bad": [{"url": v.url, "error": v.json_error} for v in bad[:50]], "response": first.result.to_dict()},
        )


def test_api_endpoint_returns_json(dashboard: Dashboard, dashboard_cfg: DashboardConfig, api_call: ApiCall) -> None:
    offset = dashboard.log_size()
    answer = http.request(api_call.method, dashboard.url(api_call.path), json=api_call.json_body, timeout=dashboard_cfg.request_timeout)
    if answer.status not in (api_call.status or list(range(200, 300))):
        raise http_failure(
            answer,
            what=f"API {api_call.label}",
            server_log=dashboard.log_since(offset, wait_for="Traceback" if (answer.status or 0) >= 500 else None),
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
        ) from None
