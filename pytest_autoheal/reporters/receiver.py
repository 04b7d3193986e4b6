"""The ``/api/report-error`` receiver: browser error reports in, failure records out.

:func:`receive` is the whole receiver (validate, build the record, redact, store); the
ASGI (Starlette) and WSGI (Flask) apps below only move bytes and headers to and from it.
``error-reporter.js`` (shipped next to this module) is the client that posts to it.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .. import store
from ..classify import facts_from_text
from ..context import run_context
from ..fingerprint import fingerprint
from ..frames import Frame, is_in_app, module_from_path
from ..record import ErrorInfo, TestInfo, build_record, note_occurrence, write_record

ENDPOINT = "/api/report-error"
MAX_BODY_BYTES = 64 * 1024
MAX_DEPTH = 6
KINDS = {"error": "js_error", "unhandledrejection": "unhandled_rejection"}
RECEIVER_COMPONENTS = ("js_sdk", "dashboard")
CONTENT_TYPES = ("application/json", "text/plain")

_FIELD_LIMITS = {"type": 200, "message": 8_000, "stack": 32_000, "url": 2_000, "userAgent": 500, "timestamp": 64}
_TYPE_NAME = re.compile(r"^[A-Za-z_$][\w$.]{0,199}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# V8 ("    at fn (url:1:2)", "    at url:1:2", node's TAP drops the "at") and Firefox/Safari ("fn@url:1:2").
_V8_FRAME = re.compile(r"^\s*(?:at )?(?:(?P<func>[^()@]+?) \((?P<loc1>[^()]+)\)|(?P<loc2>\S+))\s*$")
_GECKO_FRAME = re.compile(r"^\s*(?P<func>[^@\s]*)@(?P<loc>.+)$")
_LOCATION = re.compile(r"^(?P<file>.+?):(?P<line>\d+)(?::(?P<col>\d+))?$")
_NOT_IN_APP = ("node_modules/", "error-reporter.js", "error-reporter.mjs", "chrome-extension://", "moz-extension://", "node:")


class ReportRejected(Exception):
    """A report the receiver refuses; ``status`` is the HTTP status, the message one sentence."""

    def __init__(self, status: int, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


@dataclass
class RateLimiter:
    """Token bucket per client: ``per_minute`` reports a minute, bursts of up to ``burst``."""

    per_minute: float = 30.0
    burst: int = 10
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def check(self, client: str) -> int | None:
        """None when ``client`` may report now, else the seconds to wait."""
        rate = self.per_minute / 60.0
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * rate)
            if tokens >= 1.0:
                self._buckets[client] = (tokens - 1.0, now)
                if len(self._buckets) > 10_000:
                    self._buckets.pop(next(iter(self._buckets)))
                return None
            self._buckets[client] = (tokens, now)
            return max(1, int((1.0 - tokens) / rate + 0.999))


def error_reporter_js_path() -> Path:
    """The shipped ``error-reporter.js`` (plain script; ``error-reporter.mjs`` beside it is the ES module)."""
    return Path(str(resources.files("pytest_autoheal").joinpath("reporters/static/error-reporter.js")))


def receive(
    body: bytes,
    *,
    report_dir: Path | str,
    component: str = "dashboard",
    content_type: str = "application/json",
    client: str = "anonymous",
    limiter: RateLimiter | None = None,
    run: Mapping[str, Any] | None = None,
    max_bytes: int = MAX_BODY_BYTES,
) -> tuple[int, dict[str, Any]]:
    """Validate one report and store it as a failure record.

    Returns ``(status, json_body)``: 202 with the record id, or 400 / 413 / 429 with
    ``{"error": "..."}`` (429 also carries ``retry_after`` seconds). Never raises for bad input.
    """
    if component not in RECEIVER_COMPONENTS:
        raise ValueError(f"component must be one of {', '.join(RECEIVER_COMPONENTS)}, not {component!r}")
    try:
        payload = parse_report(body, content_type=content_type, max_bytes=max_bytes)
        if limiter is not None:
            wait = limiter.check(client)
            if wait is not None:
                raise ReportRejected(429, f"too many error reports from this client; retry after {wait} seconds", retry_after=wait)
    except ReportRejected as exc:
        answer: dict[str, Any] = {"error": str(exc)}
        if exc.retry_after is not None:
            answer["retry_after"] = exc.retry_after
        return exc.status, answer
    record = record_from_report(payload, component=component, run=run if run is not None else _run())
    path = _store(Path(report_dir), record)
    return 202, {"status": "accepted", "id": record["id"], "fingerprint": record["fingerprint"]["hash"], "file": path.name}


def parse_report(body: bytes, *, content_type: str = "application/json", max_bytes: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """The validated, normalised report in ``body``; raises :class:`ReportRejected` otherwise."""
    if len(body) > max_bytes:
        raise ReportRejected(413, f"error report is {len(body)} bytes; the limit is {max_bytes} bytes")
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media not in CONTENT_TYPES:
        raise ReportRejected(400, f"Content-Type must be application/json (or text/plain from sendBeacon), not {media or 'missing'!r}")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ReportRejected(400, "error report is not valid UTF-8; send JSON encoded as UTF-8") from None
    try:
        data = json.loads(text)
    except RecursionError:
        raise ReportRejected(400, f"error report is nested too deeply; the limit is {MAX_DEPTH} levels") from None
    except ValueError:
        raise ReportRejected(400, 'error report is not valid JSON; send a JSON object such as {"type": "TypeError", ...}') from None
    depth = _nesting_depth(data)
    if depth > MAX_DEPTH:
        raise ReportRejected(400, f"error report is nested {depth} levels deep; the limit is {MAX_DEPTH}")
    if not isinstance(data, dict):
        raise ReportRejected(400, "error report must be a JSON object with kind, type and message")
    return _validated(data)


def _validated(data: dict[str, Any]) -> dict[str, Any]:
    kind = data.get("kind", "error")
    if kind not in KINDS:
        raise ReportRejected(400, f"field 'kind' must be one of {', '.join(KINDS)}")
    for name in ("type", "message"):
        if name not in data:
            raise ReportRejected(400, f"field {name!r} is required")
    out: dict[str, Any] = {"kind": kind}
    for name, limit in _FIELD_LIMITS.items():
        value = data.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise ReportRejected(400, f"field {name!r} must be a string")
        if len(value) > limit:
            raise ReportRejected(400, f"field {name!r} is {len(value)} characters; the limit is {limit}")
        out[name] = _CONTROL.sub("", value)
    if not _TYPE_NAME.match(out["type"]):
        raise ReportRejected(400, "field 'type' must be an error name such as TypeError or UnhandledRejection")
    location = data.get("location")
    if location is not None:
        if not isinstance(location, dict):
            raise ReportRejected(400, "field 'location' must be an object with file, line and column")
        file, line, column = location.get("file"), location.get("line"), location.get("column")
        if file is not None and (not isinstance(file, str) or len(file) > _FIELD_LIMITS["url"]):
            raise ReportRejected(400, "field 'location.file' must be a string of at most 2000 characters")
        for key, value in (("line", line), ("column", column)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 10**9):
                raise ReportRejected(400, f"field 'location.{key}' must be a non-negative integer")
        out["location"] = {"file": _CONTROL.sub("", file or ""), "line": line, "column": column}
    return out


def record_from_report(report: Mapping[str, Any], *, component: str, run: Mapping[str, Any]) -> dict[str, Any]:
    """The failure record for one validated report (see :func:`parse_report`)."""
    stack = report.get("stack", "")
    frames = js_frames(stack)
    location = report.get("location") or {}
    if not frames and location.get("file"):
        frames = [_frame("<anonymous>", location["file"], location.get("line"))]
    page = _page_path(report.get("url", ""))
    facts = facts_from_text(report["type"], report["message"])
    facts.hint = KINDS[report["kind"]]
    facts.where = f"page {page}"
    extras = {
        "kind": report["kind"],
        "url": report.get("url"),
        "user_agent": report.get("userAgent"),
        "location": location or None,
        "reported_at": report.get("timestamp"),
    }
    test = TestInfo(nodeid=f"report-error::{component}::{page}", phase="runtime", component=component, target=page, outcome="reported")
    error = ErrorInfo(type=report["type"], message=report["message"], frames=frames, traceback=stack, extras=extras)
    # One record per bug and page in a run: the same report again counts as an occurrence of it.
    salt = fingerprint(report["type"], report["message"], frames, target=page, component=component).hash
    return build_record(test=test, error=error, run=run, facts=facts, source="browser", record_id_salt=salt)


def js_frames(stack: str, roots: Sequence[str | Path] = ()) -> list[Frame]:
    """Frames of a JavaScript stack (V8 or Firefox/Safari format), outermost first like Python's.

    URLs are named by their path (``/static/app.js`` → ``static.app``), files by ``roots``.
    """
    frames: list[Frame] = []
    for line in (stack or "").splitlines()[:100]:
        gecko = None if line.lstrip().startswith("at ") else _GECKO_FRAME.match(line)
        if gecko:
            func, loc = gecko.group("func") or "<anonymous>", gecko.group("loc")
        else:
            m = _V8_FRAME.match(line)
            if not m:
                continue
            func, loc = m.group("func") or "<anonymous>", m.group("loc1") or m.group("loc2")
        lm = _LOCATION.match(loc.strip())
        if not lm:
            continue
        frames.append(_frame(func.removeprefix("async ").strip(), lm.group("file"), int(lm.group("line")), roots))
    return frames[::-1]


def _frame(function: str, file: str, line: int | None, roots: Sequence[str | Path] = ()) -> Frame:
    parts = urlsplit(file)
    is_url = parts.scheme in ("http", "https")
    path = parts.path if is_url or parts.scheme == "file" else file
    module = module_from_path(path.lstrip("/")) if is_url else module_from_path(path, roots)
    in_app = bool(path) and not any(marker in file for marker in _NOT_IN_APP) and not file.startswith("<")
    if in_app and roots and not is_url:
        in_app = is_in_app(path, roots)
    return Frame(module=module, function=function, file=path, line=line, source="", in_app=in_app)


def _page_path(url: str) -> str:
    parts = urlsplit(url or "")
    return parts.path or "/"


def _nesting_depth(value: Any, depth: int = 0) -> int:
    """Depth of nested objects and arrays, counted no further than one past the limit."""
    if not isinstance(value, (dict, list)) or depth > MAX_DEPTH:
        return depth
    items = value.values() if isinstance(value, dict) else value
    return max((_nesting_depth(v, depth + 1) for v in items), default=depth + 1)


_store_lock = threading.Lock()


def _store(report_dir: Path, record: dict[str, Any]) -> Path:
    path = store.record_path(report_dir, record["id"])
    with _store_lock:
        if path.is_file():
            try:
                previous = store.read_json(path)
            except (OSError, ValueError):
                previous = None
            if isinstance(previous, dict) and previous.get("id") == record["id"]:
                return write_record(report_dir, note_occurrence(previous))
        return write_record(report_dir, record)


@lru_cache(maxsize=1)
def _run() -> dict[str, Any]:
    return run_context()


def _client_address(scope_client: Any) -> str:
    return str(scope_client[0]) if scope_client else "anonymous"


def asgi_route(
    report_dir: Path | str,
    *,
    path: str = ENDPOINT,
    component: str = "dashboard",
    limiter: RateLimiter | None = None,
    max_bytes: int = MAX_BODY_BYTES,
) -> Any:
    """A Starlette ``Route`` for ``POST path`` that stores reports under ``report_dir``."""
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import ClientDisconnect, Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    limiter = limiter if limiter is not None else RateLimiter()
    run = _run()

    async def report_error(request: Request) -> JSONResponse:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            return JSONResponse({"error": f"error report is {declared} bytes; the limit is {max_bytes} bytes"}, status_code=413)
        body = bytearray()
        try:
            async for chunk in request.stream():
                body.extend(chunk)
                if len(body) > max_bytes:
                    return JSONResponse({"error": f"error report is over the limit of {max_bytes} bytes"}, status_code=413)
        except ClientDisconnect:
            return JSONResponse({"error": "client disconnected before sending the whole report"}, status_code=400)
        status, answer = await run_in_threadpool(
            receive,
            bytes(body),
            report_dir=report_dir,
            component=component,
            content_type=request.headers.get("content-type", ""),
            client=_client_address(request.client),
            limiter=limiter,
            run=run,
            max_bytes=max_bytes,
        )
        headers = {"Retry-After": str(answer["retry_after"])} if status == 429 else None
        return JSONResponse(answer, status_code=status, headers=headers)

    return Route(path, report_error, methods=["POST"], name="report_error")


def asgi_app(report_dir: Path | str, *, path: str = ENDPOINT, component: str = "dashboard", limiter: RateLimiter | None = None) -> Any:
    """A Starlette app with the receiver at ``path`` and ``error-reporter.js`` at ``/static/``."""
    from starlette.applications import Starlette
    from starlette.responses import FileResponse
    from starlette.routing import Route

    static = error_reporter_js_path().parent

    def serve(file: Path) -> Any:
        async def endpoint(request: Any) -> FileResponse:
            return FileResponse(file, media_type="text/javascript")

        return endpoint

    routes = [asgi_route(report_dir, path=path, component=component, limiter=limiter)]
    routes += [Route(f"/static/{name}", serve(static / name), methods=["GET"]) for name in ("error-reporter.js", "error-reporter.mjs")]
    return Starlette(routes=routes)


def wsgi_app(
    report_dir: Path | str,
    *,
    path: str = ENDPOINT,
    component: str = "dashboard",
    limiter: RateLimiter | None = None,
    max_bytes: int = MAX_BODY_BYTES,
) -> Any:
    """A Flask app with the receiver at ``path`` and ``error-reporter.js`` at ``/static/``."""
    from flask import Flask, Response, request, send_file

    app = Flask("autoheal_receiver", static_folder=None)
    limiter = limiter if limiter is not None else RateLimiter()
    run = _run()
    static = error_reporter_js_path().parent

    def answer(status: int, data: dict[str, Any]) -> Response:
        response = Response(json.dumps(data), status=status, mimetype="application/json")
        if status == 429:
            response.headers["Retry-After"] = str(data["retry_after"])
        return response

    @app.post(path)
    def report_error() -> Response:
        if request.content_length is not None and request.content_length > max_bytes:
            return answer(413, {"error": f"error report is {request.content_length} bytes; the limit is {max_bytes} bytes"})
        body = request.stream.read(max_bytes + 1)
        status, data = receive(
            body,
            report_dir=report_dir,
            component=component,
            content_type=request.content_type or "",
            client=request.remote_addr or "anonymous",
            limiter=limiter,
            run=run,
            max_bytes=max_bytes,
        )
        return answer(status, data)

    @app.get("/static/<any('error-reporter.js', 'error-reporter.mjs'):name>")
    def reporter_js(name: str) -> Response:
        return send_file(static / name, mimetype="text/javascript")

    return app
