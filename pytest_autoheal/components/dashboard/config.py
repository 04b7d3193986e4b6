"""``[tool.autoheal.dashboard]``: how to start or reach the dashboard and what to load."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from ..._model import Section


class ApiCall(Section):
    """An API endpoint to check; a plain string in ``api`` is a GET of that path."""

    path: str
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] = "GET"
    json_body: Any = Field(default=None, alias="json")
    # Statuses counted as success; default: any 2xx.
    status: list[int] = []

    @field_validator("path")
    @classmethod
    def _path_absolute(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"path {value!r} must start with '/'")
        return value

    @property
    def label(self) -> str:
        return self.path if self.method == "GET" else f"{self.method} {self.path}"


class CrawlConfig(Section):
    """The bounded same-origin crawl of the comprehensive level."""

    max_pages: int = Field(default=60, ge=1, le=5000)
    max_depth: int = Field(default=3, ge=0, le=20)
    # Regexes on the path and query; matching links are not followed (logout, downloads, ...).
    exclude: list[str] = []

    @field_validator("exclude")
    @classmethod
    def _regexes(cls, value: list[str]) -> list[str]:
        return _check_regexes(value)


class StressConfig(Section):
    """Concurrent page loads and API calls, and the budgets they must meet."""

    concurrency: int = Field(default=8, ge=1, le=256)
    requests: int = Field(default=200, ge=1, le=100_000)
    # Paths to load; default: the configured pages and GET API endpoints.
    paths: list[str] = []
    p95_ms: float = Field(default=1000, gt=0)
    max_ms: float = Field(default=5000, gt=0)
    error_rate: float = Field(default=0.0, ge=0, le=1)
    timeout: float = Field(default=10, gt=0)


class DashboardConfig(Section):
    # Started for the run: argv (or a shell-like string) with a {port} placeholder.
    command: list[str] | str | None = None
    # Reached at this URL; with a command, the URL the command serves on (may use {port}).
    base_url: str | None = None
    cwd: str | None = None
    env: dict[str, str] = {}
    host: str = "127.0.0.1"
    ready_path: str = "/"
    ready_timeout: float = Field(default=30, gt=0)
    pages: list[str] = []
    api: list[str | ApiCall] = []
    request_timeout: float = Field(default=10, gt=0)
    crawl: CrawlConfig = CrawlConfig()
    # Regexes; console errors whose text matches one are not failures.
    console_allow: list[str] = []
    # Origins besides the dashboard's own whose requests may fail without failing the page (a CDN that a
    # runner without internet cannot reach); a failed request to any other origin is a network failure.
    allowed_origins: list[str] = []
    page_timeout: float = Field(default=15, gt=0)
    # Seconds to watch a loaded page for late errors (timers, rejected promises).
    settle: float = Field(default=0.5, ge=0, le=30)
    # Dialogs (alert/confirm/prompt) fail the browser level unless allowed.
    allow_dialogs: bool = False
    # The page may end on another URL (a redirect by script) without failing.
    allow_navigation: bool = False
    browser: Literal["playwright", "selenium"] | None = None
    stress: StressConfig = StressConfig()

    @field_validator("pages", "ready_path")
    @classmethod
    def _paths_absolute(cls, value: Any) -> Any:
        for path in [value] if isinstance(value, str) else value:
            if not path.startswith("/"):
                raise ValueError(f"path {path!r} must start with '/'")
        return value

    @field_validator("api")
    @classmethod
    def _api_paths(cls, value: list[str | ApiCall]) -> list[str | ApiCall]:
        for item in value:
            if isinstance(item, str) and not item.startswith("/"):
                raise ValueError(f"path {item!r} must start with '/'")
        return value

    @field_validator("console_allow")
    @classmethod
    def _allow_regexes(cls, value: list[str]) -> list[str]:
        return _check_regexes(value)

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        from urllib.parse import urlsplit

        for origin in value:
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
                raise ValueError(f"{origin!r} must be an origin such as https://cdn.jsdelivr.net (scheme and host, no path)")
        return [o.rstrip("/") for o in value]

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"base_url {value!r} must start with http:// or https://")
        return value

    @model_validator(mode="after")
    def _reachable(self) -> DashboardConfig:
        if not self.command and not self.base_url:
            raise ValueError("give a command (with a {port} placeholder) or a base_url")
        if self.command and not self.base_url and "{port}" not in " ".join(self.argv()):
            raise ValueError("command needs a {port} placeholder, or give base_url with the port it serves on")
        return self

    def argv(self) -> list[str]:
        import shlex

        if self.command is None:
            return []
        return shlex.split(self.command) if isinstance(self.command, str) else list(self.command)

    def api_calls(self) -> list[ApiCall]:
        return [ApiCall(path=a) if isinstance(a, str) else a for a in self.api]

    def page_paths(self) -> list[str]:
        return list(self.pages) or ["/"]


def _check_regexes(value: list[str]) -> list[str]:
    import re

    for rx in value:
        try:
            re.compile(rx)
        except re.error as exc:
            raise ValueError(f"{rx!r} is not a valid regex: {exc}") from None
    return value
