"""Parametrisation and fixtures of the dashboard suite: one dashboard and one browser per worker."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_autoheal.components.dashboard.browser import browser_unavailable, close_browsers
from pytest_autoheal.components.dashboard.config import DashboardConfig
from pytest_autoheal.components.dashboard.crawl import CrawlResult, crawl
from pytest_autoheal.components.dashboard.server import Dashboard, start_dashboard
from pytest_autoheal.plugin import autoheal_session

NO_CONFIG = "no dashboard configured: add [tool.autoheal.dashboard] with a command (using {port}) or a base_url"


def _cfg(config: pytest.Config) -> DashboardConfig | None:
    session = autoheal_session(config)
    return session.cfg.dashboard if session is not None else None


def _skip_param(reason: str) -> Any:
    return pytest.param(None, marks=[pytest.mark.skip(reason=reason)], id="unavailable")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    wanted = {"page", "api_call"} & set(metafunc.fixturenames)
    if not wanted:
        return
    (name,) = wanted
    cfg = _cfg(metafunc.config)
    if cfg is None:
        metafunc.parametrize(name, [_skip_param(NO_CONFIG)])
        return
    if name == "page":
        params = [pytest.param(p, id=p, marks=[pytest.mark.target(p)]) for p in cfg.page_paths()]
    else:
        params = [pytest.param(a, id=a.label, marks=[pytest.mark.target(a.label)]) for a in cfg.api_calls()]
        params = params or [_skip_param("no API endpoints configured: list them in [tool.autoheal.dashboard] api")]
    metafunc.parametrize(name, params)


@pytest.fixture(scope="session")
def dashboard_cfg(request: pytest.FixtureRequest) -> DashboardConfig:
    cfg = _cfg(request.config)
    if cfg is None:
        pytest.skip(NO_CONFIG)
    return cfg


@pytest.fixture(scope="session")
def report_dir(request: pytest.FixtureRequest) -> Path:
    session = autoheal_session(request.config)
    return session.report_dir if session is not None else Path("autoheal-reports").resolve()


@pytest.fixture(scope="session")
def roots(request: pytest.FixtureRequest) -> list[str]:
    """Source roots: frames of the dashboard's own code under them are its in-app frames."""
    session = autoheal_session(request.config)
    return list(session.roots) if session is not None else []


@pytest.fixture(scope="session")
def dashboard(request: pytest.FixtureRequest, dashboard_cfg: DashboardConfig, report_dir: Path) -> Iterator[Dashboard]:
    """The dashboard of this worker, started from config (or reached at base_url) and always stopped."""
    session = autoheal_session(request.config)
    worker = (session.worker if session is not None else None) or "main"
    base_dir = session.cfg.base_dir if session is not None else request.config.rootpath
    running = start_dashboard(
        dashboard_cfg,
        base_dir=Path(base_dir),
        log_path=report_dir / "logs" / f"dashboard-{worker}.log",
        env={"AUTOHEAL_REPORT_DIR": str(report_dir)},
        roots=session.roots if session is not None else (),
    )
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def crawled(dashboard: Dashboard, dashboard_cfg: DashboardConfig) -> CrawlResult:
    """The bounded same-origin crawl from the configured pages, done once per worker."""
    c = dashboard_cfg.crawl
    return crawl(
        dashboard.base_url,
        dashboard_cfg.page_paths(),
        max_pages=c.max_pages,
        max_depth=c.max_depth,
        exclude=c.exclude,
        timeout=dashboard_cfg.request_timeout,
    )


@pytest.fixture(scope="session")
def browser_driver(request: pytest.FixtureRequest, dashboard_cfg: DashboardConfig) -> Iterator[str]:
    """``playwright`` or ``selenium``; skips with the reason and the install command when it cannot run."""
    given = request.config.getoption("autoheal_browser")
    driver = given or dashboard_cfg.browser or request.config.getini("autoheal_browser") or "playwright"
    reason = browser_unavailable(driver)
    if reason:
        pytest.skip(reason)
    yield driver
    close_browsers()


@pytest.fixture
def screenshot_path(request: pytest.FixtureRequest, report_dir: Path) -> Path:
    """Where this test's screenshot goes; the suite keeps it only when the page failed."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid).strip("_")[-150:]
    return report_dir / "screenshots" / f"{name}.png"
