"""Parametrisation and fixtures of the js_sdk suite: SDK files and client calls from config, one live API per worker."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_autoheal.components.js_sdk.checks import NODE_MISSING, discover_files, node_program
from pytest_autoheal.components.js_sdk.config import JsSdkConfig
from pytest_autoheal.plugin import AutohealSession, autoheal_session

NO_CONFIG = 'no JS SDK configured: add [tool.autoheal.js_sdk] with files = ["path/to/sdk/**/*.js"]'
NO_CLIENT = "no client calls configured: add [tool.autoheal.js_sdk.client] with module, factory and calls"
NO_API = "no live API: set [tool.autoheal.js_sdk] base_url, or configure [tool.autoheal.dashboard] so the suite can start it"


def _session(config: pytest.Config) -> AutohealSession | None:
    return autoheal_session(config)


def _cfg(config: pytest.Config) -> JsSdkConfig | None:
    session = _session(config)
    return session.cfg.js_sdk if session is not None else None


def _base_dir(config: pytest.Config) -> Path:
    session = _session(config)
    return Path(session.cfg.base_dir) if session is not None else config.rootpath


def _skip_param(reason: str) -> Any:
    return pytest.param(None, marks=[pytest.mark.skip(reason=reason)], id="unavailable")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    cfg = _cfg(metafunc.config)
    if "sdk_file" in metafunc.fixturenames:
        if cfg is None:
            metafunc.parametrize("sdk_file", [_skip_param(NO_CONFIG)])
            return
        base = _base_dir(metafunc.config)
        files = discover_files(cfg, base)
        params = [pytest.param(f, id=_rel(f, base), marks=[pytest.mark.target(_rel(f, base))]) for f in files]
        metafunc.parametrize("sdk_file", params or [pytest.param(None, id="no-files")])
    if "client_call" in metafunc.fixturenames:
        calls = cfg.client.calls if cfg is not None and cfg.client is not None else []
        params = [pytest.param(c, id=c.label, marks=[pytest.mark.target(c.label)]) for c in calls]
        metafunc.parametrize("client_call", params or [_skip_param(NO_CONFIG if cfg is None else NO_CLIENT)])


def _rel(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base.resolve()).as_posix()
    except ValueError:
        return str(path)


@pytest.fixture(scope="session")
def js_sdk_cfg(request: pytest.FixtureRequest) -> JsSdkConfig:
    cfg = _cfg(request.config)
    if cfg is None:
        pytest.skip(NO_CONFIG)
    return cfg


@pytest.fixture(scope="session")
def base_dir(request: pytest.FixtureRequest) -> Path:
    return _base_dir(request.config)


@pytest.fixture(scope="session")
def node(js_sdk_cfg: JsSdkConfig) -> str:
    program = node_program(js_sdk_cfg)
    if program is None and os.sep in js_sdk_cfg.node:
        # A path to node that the configuration names and that is not there is a setting to fix, not a missing optional part.
        from pytest_autoheal.errors import missing_program

        raise missing_program("the JS SDK checks cannot run", js_sdk_cfg.node, "[tool.autoheal.js_sdk] node", subject="node", shared=True)
    if program is None:
        pytest.skip(NODE_MISSING)
    return program


@pytest.fixture(scope="session")
def roots(request: pytest.FixtureRequest) -> list[str]:
    session = _session(request.config)
    return list(session.roots) if session is not None else []


@pytest.fixture(scope="session")
def sdk_report_dir(request: pytest.FixtureRequest) -> Path:
    session = _session(request.config)
    return session.report_dir if session is not None else Path("autoheal-reports").resolve()


@pytest.fixture(scope="session")
def live_api(request: pytest.FixtureRequest, js_sdk_cfg: JsSdkConfig, sdk_report_dir: Path) -> Iterator[tuple[str, bool]]:
    """(base URL of the live API, whether this suite started it and so knows where its receiver stores)."""
    if js_sdk_cfg.base_url:
        yield js_sdk_cfg.base_url.rstrip("/"), False
        return
    session = _session(request.config)
    dashboard_cfg = session.cfg.dashboard if session is not None else None
    if dashboard_cfg is None:
        pytest.skip(NO_API)
    from pytest_autoheal.components.dashboard.server import start_dashboard

    worker = (session.worker if session is not None else None) or "main"
    running = start_dashboard(
        dashboard_cfg,
        base_dir=_base_dir(request.config),
        log_path=sdk_report_dir / "logs" / f"js-sdk-dashboard-{worker}.log",
        env={"AUTOHEAL_REPORT_DIR": str(sdk_report_dir)},
        roots=session.roots if session is not None else (),
    )
    try:
        yield running.base_url.rstrip("/"), running.service is not None
    finally:
        running.stop()


@pytest.fixture(scope="session")
def browser_driver(request: pytest.FixtureRequest) -> Iterator[str]:
    """``playwright`` or ``selenium``; skips with the reason and the install command when it cannot run."""
    from pytest_autoheal.components.dashboard.browser import browser_unavailable, close_browsers

    session = _session(request.config)
    dashboard_cfg = session.cfg.dashboard if session is not None else None
    given = request.config.getoption("autoheal_browser", None)
    driver = (
        given or (dashboard_cfg.browser if dashboard_cfg is not None else None) or request.config.getini("autoheal_browser") or "playwright"
    )
    reason = browser_unavailable(driver)
    if reason:
        pytest.skip(reason)
    yield driver
    close_browsers()
