"""browser: the SDK loads in a live dashboard page, its client works there, and error-reporter.js delivers to /api/report-error."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from pytest_autoheal.components.js_sdk.checks import browser_client_script, call_failure, error_reporter_probe
from pytest_autoheal.components.js_sdk.config import ClientCall, JsSdkConfig
from pytest_autoheal.errors import TargetFailure
from pytest_autoheal.record import validation_errors

pytestmark = [pytest.mark.component("js_sdk"), pytest.mark.level("browser")]


@pytest.fixture(scope="session")
def page_client_results(js_sdk_cfg: JsSdkConfig, live_api: tuple[str, bool], browser_driver: str, sdk_report_dir: Path) -> dict[str, Any]:
    """One page load for every configured call: the page's own errors and each call's outcome."""
    from pytest_autoheal.components.dashboard.browser import open_page

    client = js_sdk_cfg.client
    if client is None or not (client.global_name or client.expression):
        pytest.skip("set [tool.autoheal.js_sdk.client] global_name to the SDK's global in the page (e.g. DemoSdk), or an expression")
    base_url, _ = live_api
    url = base_url + js_sdk_cfg.page
    shot = sdk_report_dir / "screenshots" / f"js-sdk-page-{uuid.uuid4().hex[:8]}.png"
    page = open_page(url, driver=browser_driver, screenshot_path=shot, scripts=[browser_client_script(client, base_url, client.calls)])
    outcomes = page.scripts[0] if page.scripts and isinstance(page.scripts[0], list) else []
    return {"url": url, "page": page, "outcomes": outcomes, "calls": [c.label for c in client.calls]}


def test_sdk_client_works_in_the_page(
    client_call: ClientCall, page_client_results: dict[str, Any], roots: list[str], autoheal_record
) -> None:
    page = page_client_results["page"]
    url = page_client_results["url"]
    extras = {
        "url": url,
        "console": page.console[-20:],
        "page_errors": page.page_errors[-20:],
        "failed_requests": page.failed_requests[-20:],
    }
    if page.load_error or page.timed_out:
        if page.screenshot:
            autoheal_record.attach("screenshot", page.screenshot)
        raise TargetFailure(
            f"{url} did not load: {page.load_error or 'timed out'}",
            error_type="TimeoutError" if page.timed_out else "PageLoadError",
            extras=extras,
        )
    if not page_client_results["outcomes"] and page.scripts:
        raise TargetFailure(f"the client check did not run in {url}: {page.scripts[0]}", error_type="ScriptError", extras=extras)
    index = page_client_results["calls"].index(client_call.label)
    outcome = page_client_results["outcomes"][index] if index < len(page_client_results["outcomes"]) else None
    failure = call_failure(client_call, outcome, where=f"browser, page {url}", roots=roots, **extras)
    if failure is not None:
        if page.screenshot:
            autoheal_record.attach("screenshot", page.screenshot)
        raise failure


def test_error_reporter_delivers_page_errors_to_the_receiver(
    js_sdk_cfg: JsSdkConfig, live_api: tuple[str, bool], browser_driver: str, sdk_report_dir: Path, autoheal_record
) -> None:
    from pytest_autoheal.components.dashboard.browser import open_page

    required = js_sdk_cfg.check_error_reporter
    if required is False:
        pytest.skip("the error-reporter check is off: [tool.autoheal.js_sdk] check_error_reporter = false")
    base_url, started_here = live_api
    url = base_url + js_sdk_cfg.page
    marker = uuid.uuid4().hex
    page = open_page(url, driver=browser_driver, scripts=[error_reporter_probe(marker)], settle=0.2)
    probe = page.scripts[0] if page.scripts else None
    extras = {"url": url, "probe": probe, "console": page.console[-20:], "failed_requests": page.failed_requests[-20:]}
    if not isinstance(probe, dict) or not probe.get("installed"):
        loaded = probe.get("scripts") if isinstance(probe, dict) else None
        if required is None and not loaded:
            pytest.skip(f"{url} loads no error-reporter.js; set [tool.autoheal.js_sdk] check_error_reporter = true to require it")
        if required is None:
            pytest.skip(
                f"{url} loads {loaded[0]}, which is not pytest-autoheal's error-reporter.js (no window.autohealErrorReporter); "
                "set [tool.autoheal.js_sdk] check_error_reporter = true to require ours"
            )
        raise TargetFailure(
            f"{url} does not start error-reporter.js: load it with "
            '<script src="/static/error-reporter.js" data-endpoint="/api/report-error">',
            error_type="ReporterMissing",
            message=f"page {js_sdk_cfg.page} has no error reporter (window.autohealErrorReporter is undefined)",
            extras=extras,
            hint="config",
            reason=f"page {js_sdk_cfg.page} loaded without window.autohealErrorReporter",
            subject=js_sdk_cfg.page,
        )
    if probe.get("sent") != 2:
        raise TargetFailure(
            f"error-reporter.js in {url} got {probe.get('sent')} of 2 reports accepted by {probe.get('endpoint')}",
            error_type="ReportNotDelivered",
            message=f"error-reporter.js in page {js_sdk_cfg.page} got {probe.get('sent')} of 2 reports accepted",
            extras=extras,
            subject=js_sdk_cfg.page,
        )
    if not started_here:
        return
    # The dashboard stores into this run's report directory: the two records must be there, valid.
    found = _probe_records(sdk_report_dir, marker, expect=2)
    try:
        assert sorted(r["classification"]["class"] for r in found.values()) == ["js_error", "unhandled_rejection"], extras
        problems = {p.name: validation_errors(r) for p, r in found.items() if validation_errors(r)}
        assert not problems, problems
    finally:
        # The probe's errors are ours, not the platform's: they must not show in the health report.
        for path in found:
            path.unlink(missing_ok=True)


def _probe_records(report_dir: Path, marker: str, *, expect: int, timeout: float = 5.0) -> dict[Path, dict[str, Any]]:
    deadline = time.monotonic() + timeout
    found: dict[Path, dict[str, Any]] = {}
    while time.monotonic() < deadline:
        for path in (report_dir / "records").glob("*.json"):
            if path in found:
                continue
            try:
                text = path.read_text("utf-8")
            except OSError:
                continue
            if marker in text:
                found[path] = json.loads(text)
        if len(found) >= expect:
            break
        time.sleep(0.1)
    return found
