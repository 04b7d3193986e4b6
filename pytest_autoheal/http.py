"""The one HTTP client: small helpers over httpx for the targets the suites check.

Requests never raise for the target's behaviour: a refused connection, a timeout or a 500
all come back as an :class:`HttpResult` the caller judges. Proxies from the environment are
ignored (``trust_env=False``) since the targets sit on loopback.
"""

from __future__ import annotations

import html
import json as _json
import re
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

DEFAULT_TIMEOUT = 10.0
# Bodies kept per response; a page or an API answer bigger than this is cut (and says so).
MAX_BODY = 4 * 1024 * 1024
USER_AGENT = "pytest-autoheal"


@dataclass
class HttpResult:
    """One request and what came back (or why nothing did)."""

    method: str
    url: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    elapsed: float = 0.0
    final_url: str = ""
    error: str | None = None
    error_type: str | None = None
    truncated: bool = False
    # Sent again once on a fresh connection: the pooled one had been closed by the server (not this request's fault).
    retried: bool = False

    @property
    def ok(self) -> bool:
        """Answered with a 2xx status and the whole body arrived."""
        return self.error is None and self.status is not None and 200 <= self.status < 300

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    @property
    def claims_json(self) -> bool:
        ct = self.content_type
        return ct == "application/json" or ct.endswith("+json")

    @property
    def is_html(self) -> bool:
        return self.content_type in ("text/html", "application/xhtml+xml")

    def text(self) -> str:
        return self.body.decode(_charset(self.headers.get("content-type", "")), errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON; raises ``json.JSONDecodeError`` (a ``ValueError``) when it is not."""
        return _json.loads(self.text())

    def gist(self, limit: int = 200) -> str:
        """What the body says, on one line: the text of an HTML page (its tags and head dropped), else the body's start."""
        text = self.text()[:20_000]
        if self.is_html or text.lstrip()[:1] == "<":
            text = re.sub(r"(?is)<(head|script|style)\b.*?</\1>|<[^>]+>", " ", text)
        text = " ".join(html.unescape(text).split())
        return text if len(text) <= limit else text[: limit - 3] + "..."

    def describe(self) -> str:
        """``GET /x answered 404`` or ``GET /x failed: connection refused``: for failure messages."""
        if self.error and self.status is not None:
            return f"{self.method} {self.url} answered {self.status} but the body failed: {self.error}"
        if self.error:
            return f"{self.method} {self.url} failed: {self.error}"
        return f"{self.method} {self.url} answered {self.status}"

    def to_dict(self, body_limit: int = 2000) -> dict[str, Any]:
        """JSON-safe summary for a failure record's extras."""
        return {
            "method": self.method,
            "url": self.url,
            "final_url": self.final_url or self.url,
            "status": self.status,
            "content_type": self.content_type or None,
            "elapsed_ms": round(self.elapsed * 1000, 1),
            "error": self.error,
            "body_head": self.text()[:body_limit] if self.body else "",
        }


def _charset(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            try:
                "".encode(value.strip('"'))
                return value.strip('"')
            except LookupError:
                break
    return "utf-8"


def client(*, timeout: float = DEFAULT_TIMEOUT, follow_redirects: bool = True, max_connections: int = 20) -> httpx.Client:
    """A client for loopback targets; share one across many requests (it is thread-safe)."""
    return httpx.Client(
        timeout=timeout,
        follow_redirects=follow_redirects,
        trust_env=False,
        headers={"user-agent": USER_AGENT},
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
    )


def request(
    method: str,
    url: str,
    *,
    json: Any = None,
    content: bytes | str | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    session: httpx.Client | None = None,
    max_body: int = MAX_BODY,
) -> HttpResult:
    """Send one request; network failures and timeouts come back in ``error``, never raised."""
    own = session is None
    http = session or client(timeout=timeout)
    result = HttpResult(method=method.upper(), url=url)
    started = time.monotonic()
    try:
        for attempt in (1, 2):
            try:
                _send(http, result, method, url, json=json, content=content, headers=headers, timeout=timeout, max_body=max_body)
                break
            except _STALE_CONNECTION as exc:
                # A keep-alive connection the server had already closed (often right after an error answer on it):
                # like a browser, send an idempotent request once more on a fresh connection.
                if attempt == 1 and result.status is None and method.upper() in _IDEMPOTENT and content is None and json is None:
                    result.retried = True
                    continue
                result.error, result.error_type = _reason(exc), type(exc).__name__
                break
    finally:
        result.elapsed = time.monotonic() - started
        if own:
            http.close()
    return result


_IDEMPOTENT = {"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"}
_STALE_CONNECTION = (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)


def _send(
    http: httpx.Client,
    result: HttpResult,
    method: str,
    url: str,
    *,
    json: Any,
    content: bytes | str | None,
    headers: Mapping[str, str] | None,
    timeout: float,
    max_body: int,
) -> None:
    """One attempt; a stale connection raises (the caller decides on a retry), every other failure goes into ``result``."""
    try:
        with http.stream(method, url, json=json, content=content, headers=dict(headers or {}), timeout=timeout) as resp:
            result.status = resp.status_code
            result.headers = {k.lower(): v for k, v in resp.headers.items()}
            result.final_url = str(resp.url)
            chunks: list[bytes] = []
            size = 0
            for chunk in resp.iter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size > max_body:
                    result.truncated = True
                    break
            result.body = b"".join(chunks)[:max_body]
    except _STALE_CONNECTION:
        raise
    except httpx.TimeoutException as exc:
        result.error, result.error_type = f"no answer within {timeout:g}s ({type(exc).__name__})", "TimeoutError"
    except httpx.HTTPError as exc:
        result.error, result.error_type = _reason(exc), type(exc).__name__


def _reason(exc: Exception) -> str:
    """What went wrong on the wire, in plain words: refused, reset, unknown host, or the library's own text."""
    text = str(exc) or type(exc).__name__
    lower = text.lower()
    if "refused" in lower:
        return "connection refused"
    if "reset by peer" in lower or "connection reset" in lower:
        return "connection reset by the server"
    if "name or service not known" in lower or "nodename nor servname" in lower or "getaddrinfo" in lower or "name resolution" in lower:
        return f"host name not found ({text})"
    return text


def get(url: str, **kwargs: Any) -> HttpResult:
    return request("GET", url, **kwargs)


def post(url: str, **kwargs: Any) -> HttpResult:
    return request("POST", url, **kwargs)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (for a server's ``{port}`` placeholder)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_until_ready(
    url: str,
    *,
    timeout: float = 30.0,
    interval: float = 0.1,
    alive: Callable[[], bool] | None = None,
    accept: Callable[[HttpResult], bool] | None = None,
) -> HttpResult:
    """Poll ``url`` until it answers below 500 (or ``accept`` says yes), the process dies, or time runs out.

    Returns the last result; the caller checks ``accept`` itself to tell ready from not.
    """
    accept = accept or (lambda r: r.status is not None and r.status < 500)
    deadline = time.monotonic() + timeout
    last = HttpResult(method="GET", url=url, error="not tried")
    with client(timeout=min(5.0, max(timeout, 0.5))) as http:
        while True:
            last = request("GET", url, session=http, timeout=min(5.0, max(deadline - time.monotonic(), 0.5)))
            if accept(last):
                return last
            if alive is not None and not alive():
                return last
            if time.monotonic() >= deadline:
                return last
            time.sleep(interval)
