"""Judge what the dashboard answered: each problem becomes a TargetFailure describing the dashboard's bug."""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ... import http
from ...errors import TargetFailure
from ...frames import Frame
from .browser import PageResult
from .config import DashboardConfig
from .server import Dashboard

# Kept in a record's extras; a page that logs thousands of lines keeps the first ones.
EXTRAS_ITEMS = 50


def http_failure(result: http.HttpResult, *, what: str, server_log: str = "", roots: Sequence[str | Path] = ()) -> TargetFailure:
    """The failure for a request that did not answer 2xx, from what the server did: its traceback, its status, or the wire.

    The message names the path, never the origin (the port changes every run), so the same broken URL found by the
    crawl, a browser or the stress run is one fingerprint; ``what`` (how it was found) goes on the terminal line only.
    """
    path = url_path(result.url)
    extras = {"url": result.url, "method": result.method, "http_status": result.status, "response": result.to_dict()}
    summary = f"{what}: {result.describe()}"
    if result.error:
        timed_out = result.error_type == "TimeoutError"
        how = f"answered {result.status} but the body failed" if result.status is not None else "failed"
        return TargetFailure(
            summary,
            error_type=result.error_type or "ConnectError",
            message=f"{result.method} {path} {how}: {result.error}",
            legacy_message=summary,
            log=server_log,
            extras=extras,
            hint="timeout" if timed_out else "network",
            reason=f"{result.method} {result.url} " + ("got no answer in time" if timed_out else f"failed: {result.error}"),
            subject=path,
        )
    if result.status is not None and result.status >= 500 and "Traceback (most recent call last)" in server_log:
        failure = TargetFailure.from_output(summary, server_log, roots=roots, log=server_log, extras=extras, http_status=result.status)
        failure.subject = path
        failure.summary = f"{summary}: {failure.error_type}: {' '.join(failure.message.split())[:200]}"
        return failure
    said = result.gist() if result.body else ""
    return TargetFailure(
        summary + (f": {said}" if said else ""),
        error_type="HTTPError",
        message=f"{result.method} {path} answered {result.status}",
        legacy_message=summary,
        log=server_log,
        extras=extras,
        http_status=result.status if (result.status or 0) >= 400 else None,
        subject=path,
    )


def request_failure(
    dashboard: Dashboard, result: http.HttpResult, *, what: str, timeout: float, roots: Sequence[str | Path] = ()
) -> TargetFailure:
    """:func:`http_failure` for an answer seen earlier (by the crawl, under load): a 5xx is asked once more alone,
    with the server's log read around that request, so the record holds that request's traceback and no other's."""
    log = ""
    if dashboard.service is not None and result.status is not None and result.status >= 500:
        offset = dashboard.log_size()
        again = http.request(result.method, result.url, timeout=timeout)
        if again.status == result.status:
            result, log = again, dashboard.log_since(offset, wait_for="Traceback")
    return http_failure(result, what=what, server_log=log, roots=roots)


def url_path(url: str) -> str:
    """``/a/b?q`` of a URL: what names a page or an endpoint whatever host and port it ran on."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


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


def page_failures(page: PageResult, cfg: DashboardConfig, *, label: str | None = None) -> list[TargetFailure]:
    """Every distinct problem of a loaded page, each a failure of its own; empty when the page is clean.

    A page that did not load is that one failure. Otherwise: each distinct uncaught error and unhandled rejection,
    each failed request (4xx/5xx), each console error not already told by those, a dialog, a navigation away.
    Messages are the page's own words, the same whichever driver read them.
    """
    label = label or url_path(page.url)
    extras = page_extras(page)
    count = _counts(page, cfg)
    if page.load_error:
        error_type = "TimeoutError" if page.timed_out else "PageLoadError"
        summary = f"page {label} did not load: {page.load_error} ({count})"
        return [
            TargetFailure(
                summary,
                error_type=error_type,
                message=f"page {label}: {page.load_error}",
                extras=extras,
                subject=label,
                hint="timeout" if page.timed_out else None,
            )
        ]
    failures: list[TargetFailure] = []
    seen: set[tuple[str, str]] = set()
    external = external_failures(page, cfg)
    if external:
        failures.append(_network_failure(label, page, cfg, external, extras))
    other = _other_origin_urls(page)
    # The errors of a page whose scripts from another origin did not arrive follow from that: kept in its network record.
    for err in [] if external else page.page_errors:
        kind = "unhandled_rejection" if err.get("kind") == "unhandled_rejection" else "js_error"
        key = (kind, f"{err.get('name')}: {err.get('message')}")
        if key not in seen:
            seen.add(key)
            what = "unhandled rejection" if kind == "unhandled_rejection" else "uncaught error"
            failures.append(_js_failure(label, err, what, kind, extras, count))
    failed = [r for r in page.failed_requests if isinstance(r.get("status"), int) and r["status"] >= 400 and r.get("url") not in other]
    for req in failed:
        path = url_path(str(req.get("url", "")))
        key = ("http", f"{req.get('method', 'GET')} {path} {req['status']}")
        if key not in seen:
            seen.add(key)
            failures.append(
                TargetFailure(
                    f"page {label} requested {req.get('method', 'GET')} {path}, which answered {req['status']}",
                    error_type="HTTPError",
                    message=f"{req.get('method', 'GET')} {path} answered {req['status']}",
                    http_status=req["status"],
                    extras={**extras, "request": req},
                    subject=path,
                )
            )
    told = [m for _, m in seen]
    for msg in [] if external else page.console_errors(cfg.console_allow):
        text = console_text(str(msg.get("text", "")))
        if (failed and _LOAD_FAILED.search(text)) or any(text and (text in m or m.endswith(text)) for m in told):
            continue
        if _about_other_origin(msg, other):
            continue
        key = ("console", text)
        if key not in seen:
            seen.add(key)
            told.append(text)
            failures.append(
                TargetFailure(
                    f"page {label} logged a console error: {text} ({count})",
                    error_type="ConsoleError",
                    message=text,
                    extras=extras,
                    hint="console_error",
                    subject=label,
                )
            )
    if page.dialogs and not cfg.allow_dialogs:
        d = page.dialogs[0]
        summary = f"page {label} opened a {d.get('type', 'dialog')} dialog: {d.get('message', '')!r} (dismissed; {count})"
        failures.append(
            TargetFailure(
                summary,
                error_type="UnexpectedDialog",
                message=f"{d.get('type', 'dialog')}: {d.get('message', '')}",
                extras=extras,
                hint="contract",
                subject=label,
            )
        )
    if page.navigated_away() and not cfg.allow_navigation:
        summary = f"page {label} navigated away to {page.final_url} (navigations: {' -> '.join(page.navigations[:10])})"
        failures.append(
            TargetFailure(
                summary,
                error_type="NavigatedAway",
                message=f"page {label} navigated away to {url_path(page.final_url)}",
                extras=extras,
                hint="contract",
                subject=label,
            )
        )
    return failures


# Selenium prefixes a console message with its source URL and line:column, and quotes logged strings; Playwright does neither.
_CONSOLE_PREFIX = re.compile(r"^(?:[a-z][\w+.-]*://\S+|<anonymous>|\(unknown\))(?: \d+:\d+)?(?: -)? ")
_LOAD_FAILED = re.compile(r"^Failed to load resource: ")


def console_text(text: str) -> str:
    """A console message as the page logged it, the same whichever driver read it."""
    text = _CONSOLE_PREFIX.sub("", text.strip(), count=1)
    if len(text) >= 2 and text[0] == text[-1] == '"':
        try:
            text = json.loads(text)
        except ValueError:
            text = text[1:-1]
    return text


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


def _other_origin_urls(page: PageResult) -> set[str]:
    own = origin_of(page.url)
    return {str(r.get("url")) for r in page.failed_requests if origin_of(str(r.get("url", ""))) != own}


def _about_other_origin(msg: dict[str, Any], urls: set[str]) -> bool:
    """The browser's own console note of a failed request to another origin (the request itself is judged)."""
    return msg.get("source") in urls or any(url and url in str(msg.get("text", "")) for url in urls)


def _own_console_errors(page: PageResult, cfg: DashboardConfig) -> list[dict[str, Any]]:
    """Console errors, without the browser's own notes of failed requests to other origins."""
    other = _other_origin_urls(page)
    return [m for m in page.console_errors(cfg.console_allow) if not _about_other_origin(m, other)]


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
    ] + [console_text(str(m.get("text", "")))[:300] for m in _own_console_errors(page, cfg)[:EXTRAS_ITEMS]]
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
    # Read from a driver's log (no stack), the message may still start with the error's name.
    if message.startswith(f"{error_type}: "):
        message = message[len(error_type) + 2 :]
    stack = str(err.get("stack") or "")
    summary = f"page {label}: {what}: {name}: {message} ({count})"
    return TargetFailure(
        summary, error_type=error_type, message=message, frames=_js_frames(stack), traceback=stack, extras=extras, hint=hint, subject=label
    )


@dataclass
class LoadStats:
    """Latencies and failures of a stress run; each failed answer is charged to the request that got it."""

    requests: int = 0
    errors: int = 0
    # Requests sent again on a fresh connection because the server had closed the pooled one (not counted as errors).
    retried: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    wall_s: float = 0.0
    failures: list[dict[str, Any]] = field(default_factory=list)
    # Each distinct failure (method, path, status or error) with how often it happened and its first answer.
    distinct: dict[tuple[str, str, str], tuple[int, http.HttpResult]] = field(default_factory=dict)

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return 0.0
        if len(self.latencies_ms) == 1:
            return self.latencies_ms[0]
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[max(0, min(98, round(q) - 1))]

    def add(self, answer: http.HttpResult) -> None:
        self.requests += 1
        self.retried += answer.retried
        self.latencies_ms.append(answer.elapsed * 1000)
        if answer.ok:
            return
        self.errors += 1
        if len(self.failures) < EXTRAS_ITEMS:
            self.failures.append({"url": answer.url, "status": answer.status, "error": answer.error})
        key = (answer.method, url_path(answer.url), str(answer.status) if answer.status is not None else str(answer.error_type))
        count, first = self.distinct.get(key, (0, answer))
        self.distinct[key] = (count + 1, first)

    def metrics(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "error_rate": round(self.error_rate, 4),
            "p50_ms": round(self.percentile(50), 1),
            "p95_ms": round(self.percentile(95), 1),
            "max_ms": round(max(self.latencies_ms, default=0.0), 1),
            "throughput_rps": round(self.requests / self.wall_s, 1) if self.wall_s else 0.0,
            "retried_on_closed_connection": self.retried,
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
                stats.add(answer)
        stats.wall_s = time.monotonic() - started
    return stats


def budget_failures(
    stats: LoadStats, cfg: DashboardConfig, dashboard: Dashboard | None = None, roots: Sequence[str | Path] = ()
) -> list[TargetFailure]:
    """The stress run's failures: one per distinct failing request when the error budget is missed, and one for latency.

    A request that answered 5xx is sent once more alone, with the server's log read around it, so its record names
    the server's own exception: the same bug the smoke and comprehensive checks see, the same fingerprint.
    """
    budget = cfg.stress
    m = stats.metrics()
    load = f"under load ({stats.requests} requests, {budget.concurrency} concurrent)"
    failures: list[TargetFailure] = []
    if stats.error_rate > budget.error_rate and stats.distinct:
        over = f"error rate {stats.error_rate:.1%} > budget {budget.error_rate:.1%}"
        for (_method, _path, _what), (count, first) in stats.distinct.items():
            what = f"{load}, {count} of {stats.requests} requests failed ({over})"
            if dashboard is not None:
                failure = request_failure(dashboard, first, what=what, timeout=budget.timeout, roots=roots)
            else:
                failure = http_failure(first, what=what, roots=roots)
            failure.extras.update(stress={"count": count, "metrics": m, "budget": budget.model_dump()})
            failures.append(failure)
    slow = []
    if m["p95_ms"] > budget.p95_ms:
        slow.append(f"p95 latency {m['p95_ms']:.0f} ms > budget {budget.p95_ms:g} ms")
    if m["max_ms"] > budget.max_ms:
        slow.append(f"max latency {m['max_ms']:.0f} ms > budget {budget.max_ms:g} ms")
    if slow:
        summary = f"dashboard {load} missed its latency budget: {'; '.join(slow)}"
        extras = {"metrics": m, "failures": stats.failures, "budget": budget.model_dump()}
        message = "latency under load is over its budget"
        failures.append(TargetFailure(summary, error_type="BudgetExceeded", message=message, extras=extras, hint="resource"))
    return failures
