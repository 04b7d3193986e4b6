"""Parametrisation of the cli suite from ``[tool.autoheal.cli]``: variants, subcommands, examples."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest

from pytest_autoheal.components.cli.discover import CliTarget, Subcommand, discover_subcommands_shared, resolve_targets
from pytest_autoheal.plugin import autoheal_session

# Shared by the xdist workers of one run (keyed by run id) so they collect the same subcommands.
DISCOVERY_CACHE = Path(tempfile.gettempdir()) / f"autoheal-cli-discovery-{os.getuid()}"
_TARGETS = pytest.StashKey[list[CliTarget]]()
_SUBCOMMANDS = pytest.StashKey[dict[int, list[Subcommand]]]()
NO_EXAMPLES = "no [[tool.autoheal.cli.examples]] configured"
NO_REPORTING = "no [tool.autoheal.cli.error_reporting] invocation configured"
NO_BARE = (
    "no subcommand is run without arguments: list globs of subcommands that are safe to run bare in [tool.autoheal.cli] run_bare"
)
NO_CLI = "no CLI configured: add [tool.autoheal.cli] variants to pyproject.toml (or the file given by --autoheal-config)"


@pytest.fixture(autouse=True)
def _trail(autoheal_record: Any) -> Iterator[None]:
    """Every CLI invocation a test makes goes to its trail (run.json, and its failure record)."""
    from pytest_autoheal import trail

    with trail.recording(autoheal_record.trail):
        yield


def _targets(config: pytest.Config) -> list[CliTarget]:
    if _TARGETS not in config.stash:
        session = autoheal_session(config)
        config.stash[_TARGETS] = resolve_targets(session.cfg) if session is not None else []
    return config.stash[_TARGETS]


def _wanted(config: pytest.Config, level: str) -> bool:
    session = autoheal_session(config)
    return session is not None and (not session.levels or level in session.levels)


def _subcommands(config: pytest.Config, target: CliTarget) -> list[Subcommand]:
    cache = config.stash.setdefault(_SUBCOMMANDS, {})
    key = id(target)
    if key not in cache:
        session = autoheal_session(config)
        if session is None or session.cfg.cli is None:
            return []
        cache[key] = discover_subcommands_shared(
            target, session.cfg.cli.timeout, DISCOVERY_CACHE, f"{session.run['id']}-{session.run.get('attempt')}"
        )
    return cache[key]


def _param(value: Any, ident: str, target: str) -> Any:
    return pytest.param(value, id=ident, marks=pytest.mark.target(target))


def _none(name: str, reason: str) -> list[Any]:
    return [pytest.param(None, id=f"no-{name}", marks=pytest.mark.skip(reason=reason))]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    config = metafunc.config
    names = metafunc.fixturenames
    session = autoheal_session(config)
    cli = session.cfg.cli if session is not None else None
    targets = _targets(config) if cli is not None else []
    if "cli_target" in names:
        params = [_param(t, t.name, t.name) for t in targets] or _none("cli", NO_CLI)
        metafunc.parametrize("cli_target", params)
    elif "cli_subcommand" in names:
        params = []
        if _wanted(config, "comprehensive"):
            for t in targets:
                params += [_param((t, s), f"{t.name}::{s.label}", t.display(*s.path)) for s in _subcommands(config, t)]
        metafunc.parametrize("cli_subcommand", params or _none("subcommands", NO_CLI if cli is None else "no subcommands discovered"))
    elif "cli_bare" in names:
        params = []
        globs = cli.run_bare if cli else []
        if _wanted(config, "comprehensive") and globs:
            for t in targets:
                params += [
                    _param((t, s), f"{t.name}::{s.label}", t.display(*s.path))
                    for s in _subcommands(config, t)
                    if any(fnmatchcase(s.label, g) for g in globs)
                ]
        reason = NO_CLI if cli is None else (NO_BARE if not globs else f"no subcommand matches [tool.autoheal.cli] run_bare {globs}")
        metafunc.parametrize("cli_bare", params or _none("bare-runs", reason))
    elif "cli_example" in names:
        params = []
        for t in targets:
            for i, ex in enumerate(cli.examples if cli else []):
                if ex.variants and t.name not in ex.variants:
                    continue
                label = ex.name or " ".join(ex.args) or f"example{i}"
                params.append(_param((t, ex), f"{t.name}::{label}", t.display(*ex.args)))
        metafunc.parametrize(
            "cli_example", params or _none("examples", NO_CLI if cli is None else "no [[tool.autoheal.cli.examples]] configured")
        )
    elif "cli_error_reporting" in names:
        check = cli.error_reporting if cli else None
        params = [
            _param((t, check), t.name, t.display(*check.args))
            for t in targets
            if check and (not check.variants or t.name in check.variants)
        ]
        reason = NO_CLI if cli is None else "no [tool.autoheal.cli.error_reporting] invocation configured"
        metafunc.parametrize("cli_error_reporting", params or _none("error-reporting", reason))
