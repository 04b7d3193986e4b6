"""Judge what the dashboard answered: each problem becomes a TargetFailure describing the dashboard's bug."""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ... import http
from ...errors import TargetFailure
from ...frames import Frame
from .browser import PageResult
from .config import DashboardConfig
from .server import Dashboard

# Kept in a record's extras; a page that logs thousands of lines keeps the first ones.
EXTRAS_ITEMS = 50


def http_failure(result: http.HttpResult, *, what: str, server_log: str = "", roots: Sequence[str | Path] = ()) -> TargetFailure:
    """The failure for a request that did not answer 2xx; a traceback in the server's log names the real bug."""
    extras = {"url": result.url, "method": result.method, "http_status": result.status, "response": result.to_dict()}
    if result.error:
        summary = f"{what}: {result.describe()}"
        return TargetFailure(summary, error_type=result.error_type or "ConnectError", message=summary, log=server_log, extras=extras)
    summary = f"{what}: {result.describe()}"
    if result.status is not None and result.status >= 500 and "Traceback (most recent call last)" in server_log:
        return TargetFailure.from_output(summary, server_log, roots=roots, log=server_log, extras=extras, http_status=result.status)
    return TargetFailure(summary, error_type="HTTPError", message=summary, log=server_log, extras=extras, http_status=result.status)


def _js_frames(stack: str) -> list[Frame]:
    try:
        from ...reporters.receiver import js_frames
    except ImportError:
        return []
    return js_frames(stack or "")


def page_extras(page: PageResult) -> dict[str, Any]:
    return {
        "url": page.url,
        "final_url": page.final_url,
        "http_status": page.status,
        "driver": page.driver,
        "title": page.title,
        "console": page.console[:EXTRAS_ITEMS],
        "page_errors": page.page_errors[:EXTRAS_ITEMS],
        "failed_requests": page.failed_requests[:EXTRAS_ITEMS],
        "dialogs": page.dialogs[:EXTRAS_ITEMS],
        "navigations": page.navigations[:EXTRAS_ITEMS],
        "screenshot": page.screenshot,
        "load_error": page.load_error,
        "duration_s": page.duration,
    }


def page_failure(page: PageResult, cfg: DashboardConfig, *, label: str | None = None) -> TargetFailure | None:
    """The most serious problem of a loaded page as a failure, or None when the page is clean.

    Order: did not load, uncaught error, unhandled rejection, console error, dialog, navigated away.
    """
    label = label or page.url
    extras = page_extras(page)
    count = _counts(page, cfg)
    if page.load_error:
        error_type = "TimeoutError" if page.timed_out else "PageLoadError"
        summary = f"page {label} did not load: {page.load_error} ({count})"
        return TargetFailure(summary, error_type=error_type, message=f"page {label}: {page.load_error}", extras=extras)
    external = external_failures(page, cfg)
    if external:
        return _network_failure(label, page, cfg, external, extras)
    if page.uncaught_errors:
        err = page.uncaught_errors[0]
        return _js_failure(label, err, "uncaught error", "js_error", extras, count)
    if page.unhandled_rejections:
        err = page.unhandled_rejections[0]
        return _js_failure(label, err, "unhandled rejection", "unhandled_rejection", extras, count)
    console_errors = _own_console_errors(page, cfg)
    if console_errors:
        text = console_errors[0].get("text", "")
        summary = f"page {label} logged a console error: {text} ({count})"
        return TargetFailure(summary, error_type="ConsoleError", message=text, extras=extras, hint="console_error")
    if page.dialogs and not cfg.allow_dialogs:
        d = page.dialogs[0]
        summary = f"page {label} opened a {d.get('type', 'dialog')} dialog: {d.get('message', '')!r} (dismissed; {count})"
        return TargetFailure(
            summary,
            error_type="UnexpectedDialog",
            message=f"{d.get('type', 'dialog')}: {d.get('message', '')}",
            extras=extras,
            hint="contract",
        )
    if page.navigated_away() and not cfg.allow_navigation:
        summary = f"page {label} navigated away to {page.final_url} (navigations: {' -> '.join(page.navigations[:10])})"
        return TargetFailure(
            summary, error_type="NavigatedAway", message=f"page {label} navigated away to {page.final_url}", extras=extras, hint="contract"
        )
    return None


def origin_of(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def external_failures(page: PageResult, cfg: DashboardConfig) -> list[dict[str, Any]]:
    """Failed requests of the page to other origins that are not allowed to fail."""
    own = origin_of(page.url)
    allowed = {o.lower() for o in cfg.allowed_origins}
    return [
        r
        for r in page.failed_requests
        if r.get("url", "").startswith(("http://", "https://")) and origin_of(r["url"]) not in {own, *allowed}
    ]


def _own_console_errors(page: PageResult, cfg: DashboardConfig) -> list[dict[str, Any]]:
    """Console errors, without the browser's own notes of failed requests to other origins (judged as requests)."""
    own = origin_of(page.url)
    failed = {r.get("url") for r in page.failed_requests if origin_of(r.get("url", "")) != own}
    return [
        m
        for m in page.console_errors(cfg.console_allow)
        if not (m.get("source") in failed or any(url and url in m.get("text", "") for url in failed))
    ]


def _network_failure(
    label: str, page: PageResult, cfg: DashboardConfig, failed: list[dict[str, Any]], extras: dict[str, Any]
) -> TargetFailure:
    """Requests to other origins failed (a CDN out of reach): a network failure, the page's own errors kept beside it."""
    first = failed[0]
    why = first.get("failure") or f"HTTP {first.get('status')}"
    origins = sorted({origin_of(r["url"]) for r in failed})
    extras["external_failures"] = failed[:EXTRAS_ITEMS]
    extras["errors_after_failed_requests"] = [
        f"{e.get('name', 'Error')}: {e.get('message', '')}"[:300] for e in page.page_errors[:EXTRAS_ITEMS]
    ] + [m.get("text", "")[:300] for m in _own_console_errors(page, cfg)[:EXTRAS_ITEMS]]
    more = f" and {len(failed) - 1} more" if len(failed) > 1 else ""
    summary = (
        f"page {label} could not load {first['url']} ({why}){more} from {', '.join(origins)}; "
        "list the origin in [tool.autoheal.dashboard] allowed_origins if the page may work without it"
    )
    message = f"request to another origin failed: {first['url']} ({why})"
    return TargetFailure(
        summary, error_type="NetworkError", message=message, extras=extras, hint="network", subject=f"unreachable {' '.join(origins)}"
    )


def _counts(page: PageResult, cfg: DashboardConfig) -> str:
    return (
        f"{len(page.uncaught_errors)} uncaught error(s), {len(page.unhandled_rejections)} unhandled rejection(s), "
        f"{len(page.console_errors(cfg.console_allow))} console error(s), {len(page.failed_requests)} failed request(s), "
        f"{len(page.dialogs)} dialog(s)"
    )


def _js_failure(label: str, err: dict[str, Any], what: str, hint: str, extras: dict[str, Any], count: str) -> TargetFailure:
    name = str(err.get("name") or "Error")
    error_type = (
        name if name.isidentifier() and name[:1].isupper() else ("UnhandledRejection" if hint == "unhandled_rejection" else "Error")
    )
    message = str(err.get("message", ""))
    stack = str(err.get("stack") or "")
    summary = f"page {label}: {what}: {name}: {message} ({count})"
    return TargetFailure(
        summary, error_type=error_type, message=message, frames=_js_frames(stack), traceback=stack, extras=extras, hint=hint
    )


@dataclass
class LoadStats:
    """Latencies and failures of a stress run."""

    requests: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    wall_s: float = 0.0
    failures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return 0.0
        if len(self.latencies_ms) == 1:
            return self.latencies_ms[0]
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[max(0, min(98, round(q) - 1))]

    def metrics(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "error_rate": round(self.error_rate, 4),
            "p50_ms": round(self.percentile(50), 1),
            "p95_ms": round(self.percentile(95), 1),
            "max_ms": round(max(self.latencies_ms, default=0.0), 1),
            "throughput_rps": round(self.requests / self.wall_s, 1) if self.wall_s else 0.0,
        }


def page_assets(dashboard: Dashboard, pages: Sequence[str], *, timeout: float = 10.0) -> list[str]:
    """Same-origin scripts, stylesheets and images the pages load, as paths: a page load is the page and these."""
    from .crawl import links_in, same_origin

    assets: list[str] = []
    with http.client(timeout=timeout) as session:
        for path in pages:
            answer = http.get(dashboard.url(path), session=session, timeout=timeout)
            if not (answer.ok and answer.is_html):
                continue
            for url, kind in links_in(answer.text(), answer.final_url or answer.url):
                if kind == "resource" and same_origin(url, dashboard.base_url):
                    asset = url.removeprefix(dashboard.base_url.rstrip("/")) or "/"
                    if asset not in assets:
                        assets.append(asset)
    return assets


def load(dashboard: Dashboard, paths: Sequence[str], *, requests: int, concurrency: int, timeout: float) -> LoadStats:
    """``requests`` GETs spread over ``paths``, ``concurrency`` at a time; every answer timed."""
    stats = LoadStats()
    urls = [dashboard.url(paths[i % len(paths)]) for i in range(requests)]
    with http.client(timeout=timeout, max_connections=concurrency) as session:

        def one(url: str) -> http.HttpResult:
            return http.get(url, session=session, timeout=timeout, max_body=256 * 1024)

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            for answer in pool.map(one, urls):
                stats.requests += 1
                stats.latencies_ms.append(answer.elapsed * 1000)
                if not answer.ok:
                    stats.errors += 1
                    if len(stats.failures) < EXTRAS_ITEMS:
                        stats.failures.append({"url": answer.url, "status": answer.status, "error": answer.error})
        stats.wall_s = time.monotonic() - started
    return stats


def budget_failure(stats: LoadStats, cfg: DashboardConfig) -> TargetFailure | None:
    """The first stress budget the run missed, or None."""
    budget = cfg.stress
    m = stats.metrics()
    missed = []
    if stats.error_rate > budget.error_rate:
        missed.append(f"error rate {stats.error_rate:.1%} > budget {budget.error_rate:.1%}")
    if m["p95_ms"] > budget.p95_ms:
        missed.append(f"p95 latency {m['p95_ms']:.0f} ms > budget {budget.p95_ms:g} ms")
    if m["max_ms"] > budget.max_ms:
        missed.append(f"max latency {m['max_ms']:.0f} ms > budget {budget.max_ms:g} ms")
    if not missed:
        return None
    summary = (
        f"dashboard under load ({stats.requests} requests, {cfg.stress.concurrency} concurrent) missed its budget: {'; '.join(missed)}"
    )
    first = stats.failures[0] if stats.failures else None
    extras = {"metrics": m, "failures": stats.failures, "budget": budget.model_dump()}
    if stats.error_rate > budget.error_rate and first is not None:
        return TargetFailure(summary, error_type="HTTPError", extras=extras, http_status=first.get("status") or None)
    return TargetFailure(summary, error_type="BudgetExceeded", extras=extras, hint="resource")
