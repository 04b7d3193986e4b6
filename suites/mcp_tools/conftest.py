"""Parametrisation of the MCP tools suite from discovery: one server session per worker."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pytest_autoheal.components.mcp_tools.target import McpTarget
from pytest_autoheal.config import load_config
from pytest_autoheal.errors import ConfigUnavailable
from pytest_autoheal.plugin import autoheal_session

_LEVELS_WITH_SERVER = {"smoke", "comprehensive", "stress"}
NO_CLIENT = "the MCP client is not installed; install it with: pip install 'pytest-autoheal[mcp]'"


def _client_missing() -> bool:
    import importlib.util

    return importlib.util.find_spec("mcp") is None


def _wanted(config: pytest.Config) -> bool:
    """Whether this run selects any MCP test; if not, the server is not started for nothing."""
    session = autoheal_session(config)
    if session is None:
        return True
    if session.components and "mcp_tools" not in session.components:
        return False
    return not session.levels or bool(_LEVELS_WITH_SERVER & set(session.levels))


def mcp_target(config: pytest.Config) -> McpTarget:
    session = autoheal_session(config)
    cfg = session.cfg if session is not None else load_config(config.rootpath, config.getoption("autoheal_config") or None)
    report_dir = session.report_dir if session is not None else config.rootpath / cfg.report_dir
    return McpTarget.from_config(cfg, report_dir / "logs")


def discovered(config: pytest.Config) -> Any:
    from pytest_autoheal.components.mcp_tools.discovery import discover

    return discover(mcp_target(config))


def _marks(category: str | None, target: str) -> list[Any]:
    marks = [pytest.mark.target(target)]
    if category:
        marks.append(pytest.mark.category(category))
    return marks


def _skip_param(reason: str) -> Any:
    return pytest.param(None, marks=[pytest.mark.skip(reason=reason)], id="unavailable")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    wanted = {"tool_file", "served_tool", "stress_category"} & set(metafunc.fixturenames)
    if not wanted:
        return
    (name,) = wanted
    if not _wanted(metafunc.config):
        metafunc.parametrize(name, [_skip_param("the MCP tools suite is not selected by this run's filters")])
        return
    if _client_missing():
        metafunc.parametrize(name, [_skip_param(NO_CLIENT)])
        return
    try:
        found = discovered(metafunc.config)
    except ConfigUnavailable as exc:
        metafunc.parametrize(name, [_skip_param(str(exc))])
        return
    if name == "tool_file":
        params = [pytest.param(f, id=f.id, marks=_marks(f.category, f.name)) for f in found.files]
        if not params:
            where = found.target.tools_dir
            why = f"no <category>/<tool>.py files under {where}" if where else "no tools_dir configured ([tool.autoheal.mcp] tools_dir)"
            params = [_skip_param(why + ": nothing to import or to find served")]
    elif name == "served_tool":
        params = [pytest.param(t, id=t.id, marks=_marks(t.category, t.name)) for t in found.tools]
        if not params:
            params = [_skip_param("the server publishes no tools (nor does its dispatcher)")]
    else:
        from pytest_autoheal.components.mcp_tools.policy import matching

        stress = found.target.cfg.stress.tools
        cats = sorted({t.category for t in found.tools if matching(t, stress)})
        params = [pytest.param(c, id=c, marks=_marks(c, c)) for c in cats]
        if not params:
            params = [_skip_param("no stress tools configured; list tools (globs) in [tool.autoheal.mcp.stress] tools")]
    metafunc.parametrize(name, params)


@pytest.fixture(scope="session")
def mcp(request: pytest.FixtureRequest) -> Iterator[Any]:
    """This worker's discovery and its open server session."""
    if _client_missing():
        pytest.skip(NO_CLIENT)
    from pytest_autoheal.components.mcp_tools.discovery import close_all

    try:
        found = discovered(request.config)
    except ConfigUnavailable as exc:
        pytest.skip(str(exc))
    yield found
    close_all()


@pytest.fixture(autouse=True)
def _trail(autoheal_record: Any) -> Iterator[None]:
    """Every tool call a test makes goes to its trail (run.json, and its failure record)."""
    from pytest_autoheal import trail

    with trail.recording(autoheal_record.trail):
        yield


@pytest.fixture
def tool_target(request: pytest.FixtureRequest, autoheal_record: Any) -> None:
    """Name the checked tool and its category in the test's failure record."""
    item = request.node
    for key in ("target", "category"):
        marker = item.get_closest_marker(key)
        if marker and marker.args:
            setattr(autoheal_record, key, marker.args[0])
