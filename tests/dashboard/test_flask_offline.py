"""A Flask dashboard whose pages pull Bootstrap from a CDN, run offline (the CDN's port refuses),
in real headless Chromium: the CDN's failures are network records naming the URL, apart from the
platform's own errors, and the server's coloured log lines reach no record with their colour codes."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import run_suite

FLASK_SITE = Path(__file__).with_name("flask_site.py")


@pytest.fixture
def cdn() -> Iterator[str]:
    """An origin nothing answers on: a bound, never listening port under a name Chromium resolves to loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://cdn.localhost:{sock.getsockname()[1]}"


def flask_dashboard(cdn: str, **more) -> dict:
    return {"command": [sys.executable, str(FLASK_SITE), "--port", "{port}", "--cdn", cdn], "ready_path": "/api/mcp/tools", **more}


@pytest.mark.parametrize("needs_browser", ["playwright", "selenium"], indirect=True)
def test_cdn_that_cannot_be_reached_is_a_network_record_with_its_url(pytester: pytest.Pytester, needs_browser: str, cdn: str) -> None:
    cfg = flask_dashboard(cdn, pages=["/", "/analytics", "/tools"], crawl={"max_pages": 1})
    result, records, _ = run_suite(pytester, cfg, "--autoheal-level=browser", f"--autoheal-browser={needs_browser}", "-k", "page_loads")
    result.assert_outcomes(passed=1, failed=2)
    by_target = {r["test"]["target"]: r for r in records}
    assert set(by_target) == {"/", "/analytics"}
    for record in by_target.values():
        error = record["error"]
        assert record["classification"]["class"] == "network"
        assert error["type"] == "NetworkError"
        assert f"{cdn}/npm/bootstrap@5.3.0/dist/" in error["message"]
        urls = {f["url"] for f in error["extras"]["external_failures"]}
        assert f"{cdn}/npm/bootstrap@5.3.0/dist/js/bootstrap.bundle.min.js" in urls
        # What followed from the missing script is kept beside the cause, not taken for it.
        assert any("bootstrap is not defined" in e for e in error["extras"]["errors_after_failed_requests"])
    # One unreachable CDN is one cause: one cluster for every page that needs it.
    assert by_target["/"]["fingerprint"]["hash"] == by_target["/analytics"]["fingerprint"]["hash"]


def test_an_allowed_origin_may_fail_and_the_pages_own_errors_are_then_judged(
    pytester: pytest.Pytester, needs_browser: str, cdn: str
) -> None:
    cfg = flask_dashboard(cdn, pages=["/", "/tools"], crawl={"max_pages": 1}, allowed_origins=[cdn])
    result, records, _ = run_suite(pytester, cfg, "--autoheal-level=browser", "-k", "page_loads")
    result.assert_outcomes(passed=1, failed=1)
    (record,) = records
    assert record["test"]["target"] == "/"
    assert record["classification"]["class"] == "js_error"
    assert record["error"]["type"] == "ReferenceError" and record["error"]["message"] == "bootstrap is not defined"


def test_server_errors_keep_the_servers_log_without_colour_codes(pytester: pytest.Pytester, cdn: str) -> None:
    cfg = flask_dashboard(cdn, pages=["/tools"], api=["/api/mcp/tools", "/api/mcp/status"])
    result, records, _ = run_suite(pytester, cfg, "--autoheal-level=smoke")
    result.assert_outcomes(passed=2, failed=1)
    (record,) = records
    assert record["error"]["type"] == "KeyError" and record["error"]["extras"]["http_status"] == 500
    assert any(f["function"] == "status" for f in record["error"]["frames"])
    assert '"GET /api/mcp/status HTTP/1.1" 500' in record["error"]["log_tail"]
    assert "\x1b" not in str(record)
