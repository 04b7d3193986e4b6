"""error-reporter.js in real headless Chromium, posting to the real receiver served by uvicorn on 127.0.0.1."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_autoheal.components.dashboard.browser import browser_unavailable, open_page
from pytest_autoheal.record import validation_errors
from pytest_autoheal.reporters.receiver import RateLimiter, asgi_route, error_reporter_js_path
from tests.js.conftest import ServerThread

REPORTER = "<script src='/static/error-reporter.js' data-endpoint='{endpoint}'></script>"
APP_JS = """
function renderPanel(tool) { return tool.title.toUpperCase(); }
setTimeout(function () { renderPanel(undefined); }, 0);
Promise.reject(new RangeError('quota 5 exceeded'));
Promise.reject('plain reason');
"""
PAGES = {
    "/plain": REPORTER + "<script src='/static/app.js'></script>",
    "/module": (
        "<script type='module'>import { JavaScriptErrorReporter } from '/static/error-reporter.mjs';"
        "window.autohealErrorReporter = new JavaScriptErrorReporter({endpoint: '/api/report-error'});"
        "setTimeout(function moduleTick() { null.launch(); }, 0);</script>"
    ),
    "/beacon": "<script>window.fetch = undefined;</script>"
    + REPORTER
    + "<script>setTimeout(() => { throw new TypeError('sent by beacon'); });</script>",
    "/duplicates": REPORTER
    + "<script>function load(id) { throw new Error('tool ' + id + ' failed'); }"
    + "[1, 2, 3].forEach((id) => setTimeout(() => load(id)));</script>",
    "/limited": REPORTER.replace("{endpoint}", "/api/limited")
    + "<script>['a', 'b'].forEach((x) => setTimeout(() => { throw new Error('limited ' + x); }));"
    + "setTimeout(() => { throw new Error('limited c'); }, 1000);</script>",
    "/unreachable": REPORTER.replace("{endpoint}", "/api/missing")
    + "<script>setTimeout(() => { throw new Error('nobody listens'); });</script>",
}
STATS = "() => window.autohealErrorReporter.flush().then(() => window.autohealErrorReporter.stats)"


@pytest.fixture(scope="module")
def driver() -> str:
    reason = browser_unavailable("playwright")
    if reason:
        pytest.skip(reason)
    return "playwright"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    from starlette.applications import Starlette
    from starlette.responses import FileResponse, HTMLResponse, Response
    from starlette.routing import Route

    report_dir = tmp_path_factory.mktemp("chromium-reports")
    static = error_reporter_js_path().parent

    def page(body: str) -> Any:
        async def endpoint(request: Any) -> HTMLResponse:
            return HTMLResponse(
                f"<!doctype html><html><head><title>t</title></head><body>{body.replace('{endpoint}', '/api/report-error')}</body></html>"
            )

        return endpoint

    def file(name: str) -> Any:
        async def endpoint(request: Any) -> FileResponse:
            return FileResponse(static / name, media_type="text/javascript")

        return endpoint

    async def app_js(request: Any) -> Response:
        return Response(APP_JS, media_type="text/javascript")

    routes = [Route(path, page(body)) for path, body in PAGES.items()]
    routes += [
        asgi_route(report_dir, component="dashboard", limiter=RateLimiter(per_minute=6000, burst=1000)),
        asgi_route(report_dir / "limited", path="/api/limited", limiter=RateLimiter(per_minute=1, burst=1)),
        Route("/static/error-reporter.js", file("error-reporter.js")),
        Route("/static/error-reporter.mjs", file("error-reporter.mjs")),
        Route("/static/app.js", app_js),
    ]
    server = ServerThread(Starlette(routes=routes), "asgi")
    yield f"http://127.0.0.1:{server.port}", report_dir
    server.stop()


def records_for(report_dir: Path, page: str, expect: int, timeout: float = 60.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        found = (
            [json.loads(p.read_text()) for p in sorted((report_dir / "records").glob("*.json"))]
            if (report_dir / "records").is_dir()
            else []
        )
        found = [r for r in found if r["test"]["target"] == page]
        if len(found) >= expect or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_window_errors_and_rejections_reach_the_receiver_as_records(site: tuple[str, Path], driver: str) -> None:
    base, report_dir = site
    page = open_page(f"{base}/plain", driver=driver, scripts=[STATS])
    assert page.scripts[0]["sent"] == 3, page.scripts
    records = records_for(report_dir, "/plain", 3)
    summary = sorted((r["classification"]["class"], r["error"]["type"], r["error"]["message"]) for r in records)
    assert summary[0][:2] == ("js_error", "TypeError")
    assert "title" in summary[0][2]
    assert summary[1:] == [
        ("unhandled_rejection", "RangeError", "quota 5 exceeded"),
        ("unhandled_rejection", "UnhandledRejection", "plain reason"),
    ]
    error = next(r for r in records if r["error"]["type"] == "TypeError")
    assert error["error"]["frames"][-1]["function"] == "renderPanel"
    assert error["error"]["frames"][-1]["module"] == "static.app"
    assert "HeadlessChrome" in error["error"]["extras"]["user_agent"]
    assert error["error"]["extras"]["location"]["file"].endswith("/static/app.js")
    assert all(validation_errors(r) == [] for r in records)


def test_the_es_module_build_reports_from_a_module_script(site: tuple[str, Path], driver: str) -> None:
    base, report_dir = site
    page = open_page(f"{base}/module", driver=driver, scripts=[STATS])
    assert page.scripts[0]["sent"] == 1, page.scripts
    (record,) = records_for(report_dir, "/module", 1)
    assert record["error"]["type"] == "TypeError"
    assert "moduleTick" in [f["function"] for f in record["error"]["frames"]]


def test_without_fetch_the_beacon_delivers_the_report(site: tuple[str, Path], driver: str) -> None:
    base, report_dir = site
    page = open_page(f"{base}/beacon", driver=driver, scripts=[STATS])
    assert page.scripts[0]["sent"] == 1, page.scripts
    (record,) = records_for(report_dir, "/beacon", 1)
    assert record["error"]["message"] == "sent by beacon"


def test_duplicates_in_a_page_are_sent_once(site: tuple[str, Path], driver: str) -> None:
    base, report_dir = site
    page = open_page(f"{base}/duplicates", driver=driver, scripts=[STATS])
    stats = page.scripts[0]
    assert (stats["sent"], stats["deduplicated"]) == (1, 2), stats
    assert len(page.uncaught_errors) == 3
    (record,) = records_for(report_dir, "/duplicates", 1)
    assert record["occurrences"]["count"] == 1


def test_a_429_from_the_receiver_makes_the_page_back_off(site: tuple[str, Path], driver: str) -> None:
    base, report_dir = site
    later = "() => new Promise((r) => setTimeout(r, 1500)).then(() => window.autohealErrorReporter.flush())"
    page = open_page(
        f"{base}/limited", driver=driver, scripts=[later, STATS, "() => window.autohealErrorReporter.backoffUntil - Date.now()"]
    )
    _, stats, wait_ms = page.scripts
    assert (stats["sent"], stats["failed"], stats["backedOff"]) == (1, 1, 1), stats
    assert wait_ms > 30_000
    assert len(records_for(report_dir / "limited", "/limited", 1)) == 1


def test_a_failing_endpoint_never_breaks_the_page_or_reports_itself(site: tuple[str, Path], driver: str) -> None:
    base, _ = site
    page = open_page(f"{base}/unreachable", driver=driver, scripts=[STATS])
    assert [e["message"] for e in page.uncaught_errors] == ["nobody listens"]
    assert page.unhandled_rejections == []
    stats = page.scripts[0]
    assert (stats["sent"], stats["failed"]) == (0, 1), stats
