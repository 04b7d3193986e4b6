"""Stress budgets and the crawl's bounds, against a dashboard reached at its base_url."""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Iterator

import pytest

from pytest_autoheal import http
from pytest_autoheal.components.dashboard.crawl import crawl
from pytest_autoheal.runner import Service, start

from .conftest import BAD_SITE, run_suite


@pytest.fixture(scope="module")
def running_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("site") / "site.log"
    # Port 0: the site binds a free port and prints it; a port chosen here and freed could be taken before the site binds it.
    service: Service = start([sys.executable, str(BAD_SITE), "--port", "0"], log_path=log)
    try:
        deadline = time.monotonic() + 120
        while not (m := re.search(r"bad site pid \d+ port (\d+)", log.read_text())) and service.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert m, service.log_tail()
        port = int(m.group(1))
        ready = http.wait_until_ready(f"http://127.0.0.1:{port}/clean", timeout=120, alive=service.alive)
        assert ready.ok, service.log_tail()
        yield f"http://127.0.0.1:{port}"
    finally:
        service.stop()


def test_stress_error_budget_fails_with_metrics_in_the_run_summary(pytester: pytest.Pytester, running_site: str) -> None:
    cfg = {"base_url": running_site, "pages": ["/clean"], "stress": {"paths": ["/clean", "/gone"], "requests": 40, "concurrency": 4}}
    result, records, report = run_suite(pytester, cfg, "--autoheal-level=stress")
    result.assert_outcomes(failed=1)
    # The errors are charged to the request that got them: one record for /gone, none for the healthy page.
    (rec,) = records
    assert rec["classification"]["class"] == "http_error" and rec["test"]["target"] == "/gone"
    assert rec["error"]["message"] == "GET /gone answered 404"
    assert "error rate 50.0% > budget 0.0%" in rec["monitor"]["summary"]
    result.stdout.fnmatch_lines(["*20 of 40 requests failed (error rate 50.0% > budget 0.0%)*GET*/gone answered 404*"])
    metrics = json.loads((report / "run.json").read_text())["metrics"]
    (figures,) = metrics.values()
    assert figures["requests"] == 40 and figures["errors"] == 20 and figures["p95_ms"] >= figures["p50_ms"] > 0


def test_stress_within_budget_passes_and_loads_page_assets(pytester: pytest.Pytester, running_site: str) -> None:
    cfg = {"base_url": running_site, "pages": ["/hang"], "stress": {"paths": [], "requests": 30, "concurrency": 3, "timeout": 2}}
    # /hang loads /hang.js, which never ends: counting page assets makes those requests time out.
    result, records, report = run_suite(pytester, cfg, "--autoheal-level=stress")
    result.assert_outcomes(failed=1)
    (figures,) = json.loads((report / "run.json").read_text())["metrics"].values()
    assert figures["paths"] == 2 and figures["errors"] >= 15
    by_type = {r["error"]["type"]: r for r in records}
    assert sorted(by_type) == ["BudgetExceeded", "TimeoutError"]
    hang = by_type["TimeoutError"]
    assert hang["test"]["target"] == "/hang.js" and hang["classification"]["class"] == "timeout"
    assert "error rate" in hang["monitor"]["summary"] and "p95 latency" in by_type["BudgetExceeded"]["monitor"]["summary"]
    cfg = {"base_url": running_site, "pages": ["/clean"], "stress": {"requests": 30, "concurrency": 3, "p95_ms": 5000}}
    result, records, _ = run_suite(pytester, cfg, "--autoheal-level=stress")
    result.assert_outcomes(passed=1)
    assert records == []


def test_crawl_stays_within_its_bounds_and_origin(running_site: str) -> None:
    small = crawl(running_site, ["/"], max_pages=2, max_depth=3)
    assert len(small.visits) == 2 and small.skipped >= 1
    full = crawl(running_site, ["/"], max_pages=50, max_depth=3)
    assert sorted(v.url.removeprefix(running_site) for v in full.visits) == ["/", "/bad.json", "/clean", "/gone"]
    assert [v.referrer for v in full.visits if v.url.endswith("/gone")] == [running_site + "/"]
    shallow = crawl(running_site, ["/"], max_pages=50, max_depth=0)
    assert [v.url for v in shallow.visits] == [running_site + "/"]
