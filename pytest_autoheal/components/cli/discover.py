"""Discovery: CLI variants from configuration, subcommands from their ``--help``."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ... import runner
from .config import CliConfig, CliVariant
from .helpparse import HelpInfo, parse_help

if TYPE_CHECKING:
    from ...config import AutohealConfig

# Calm, stable help text: no colours, no pager, a fixed width.
QUIET_ENV = {"NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "100", "PAGER": "cat", "ERROR_REPORTING_ENABLED": "0"}
MAX_DEPTH = 4
MAX_SUBCOMMANDS = 300
DISCOVERY_WORKERS = 4

_ENTRY_POINTS_SNIPPET = (
    "import json, sys\n"
    "from importlib import metadata\n"
    "try:\n"
    "    d = metadata.distribution(sys.argv[1])\n"
    "except metadata.PackageNotFoundError:\n"
    "    print('null'); raise SystemExit(0)\n"
    "print(json.dumps([[e.name, e.value] for e in d.entry_points if e.group == 'console_scripts']))\n"
)


_ARGPARSE_TREE_SNIPPET = r"""
import argparse, importlib, json, os, runpy, sys
out = os.environ.pop("AUTOHEAL_ARGPARSE_TREE")


def tree(parser):
    found = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            seen = set()
            for name, sub in action.choices.items():
                if id(sub) not in seen:  # aliases share their parser
                    seen.add(id(sub))
                    found[name] = tree(sub)
    return found


def dump(self, *args, **kwargs):
    with open(out, "w") as fh:
        json.dump(tree(self), fh)
    os._exit(0)


argparse.ArgumentParser.parse_known_args = dump
kind, what = sys.argv[1], sys.argv[2]
sys.argv = [what, "--help"]
if kind == "module":
    runpy.run_module(what, run_name="__main__", alter_sys=True)
elif kind == "script":
    sys.path.insert(0, os.path.dirname(os.path.abspath(what)))
    runpy.run_path(what, run_name="__main__")
else:
    module, _, attr = what.partition(":")
    obj = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    obj()
"""


@dataclass
class CliTarget:
    """A runnable CLI variant: the command prefix, its environment, and what is wrong with it, if anything.

    ``env`` is what the CLI gets on top of the allow-listed part of our environment (``runner.passed_env``).
    """

    name: str
    argv: list[str]
    variant: CliVariant
    index: int
    env: dict[str, str] = field(default_factory=dict)
    cwd: str | None = None
    problem: str | None = None
    # How Python code can reach the CLI's parser: ("module", name), ("script", path) or ("entry", "module:attr").
    python: str | None = None
    importable: tuple[str, str] | None = None

    def command(self, *args: str) -> list[str]:
        return [*self.argv, *args]

    def display(self, *args: str) -> str:
        return " ".join([self.name, *args])


def resolve_targets(cfg: AutohealConfig) -> list[CliTarget]:
    """Every configured variant as a runnable target (a distribution may give several)."""
    cli: CliConfig | None = cfg.cli
    if cli is None:
        return []
    targets: list[CliTarget] = []
    for index, variant in enumerate(cli.variants):
        key = f"tool.autoheal.cli.variants[{index}]"
        python = str(cfg.path(variant.python)) if variant.python and ("/" in variant.python) else (variant.python or sys.executable)
        # The CLI runs in a sandbox (its own cwd, HOME, TMPDIR, XDG dirs) unless the variant places it.
        cwd, env = runner.sandbox("cli").place(cfg.path(variant.cwd) if variant.cwd else None, {**QUIET_ENV, **variant.env})
        common = {"variant": variant, "index": index, "env": env, "cwd": str(cwd), "python": python}
        if variant.module:
            name = variant.name or f"python -m {variant.module}"
            targets.append(CliTarget(name, [python, "-m", variant.module], importable=("module", variant.module), **common))
        elif variant.script:
            path = cfg.path(variant.script)
            argv = [python, str(path)] if path.suffix == ".py" else [str(path)]
            problem = None if path.is_file() else f"{key}.script: {path} does not exist; fix the path in the configuration"
            importable = ("script", str(path)) if path.suffix == ".py" else None
            targets.append(CliTarget(variant.name or path.name, argv, problem=problem, importable=importable, **common))
        elif variant.command:
            first = variant.command[0]
            first = str(cfg.path(first)) if "/" in first else first
            argv = [first, *(variant.command[1:] if variant.cwd else runner.anchored(variant.command[1:], cfg.base_dir))]
            problem = None if shutil.which(first) or Path(first).is_file() else f"{key}.command: {first} is not installed or not on PATH"
            targets.append(CliTarget(variant.name or " ".join(variant.command), argv, problem=problem, **common))
        else:
            targets.extend(_distribution_targets(variant, python, key, common))
    return targets


def _distribution_targets(variant: CliVariant, python: str, key: str, common: dict) -> list[CliTarget]:
    dist = str(variant.distribution)
    scripts = _console_scripts(dist, python)
    if scripts is None:
        problem = f"{key}.distribution: '{dist}' is not installed for {python}; install it there or set 'python' to the right interpreter"
        return [CliTarget(variant.name or dist, [dist], problem=problem, **common)]
    wanted = variant.scripts or list(scripts)
    targets = []
    for name in wanted:
        if name not in scripts:
            problem = f"{key}.scripts: '{dist}' has no console script '{name}' (it has: {', '.join(scripts) or 'none'})"
            targets.append(CliTarget(name, [name], problem=problem, **common))
            continue
        label = variant.name if variant.name and len(wanted) == 1 else name
        targets.append(CliTarget(label, _script_argv(name, scripts[name], python), importable=("entry", scripts[name]), **common))
    if not targets:
        problem = f"{key}.distribution: '{dist}' declares no console scripts; use 'module' or 'command' instead"
        targets.append(CliTarget(variant.name or dist, [dist], problem=problem, **common))
    return targets


def _console_scripts(dist: str, python: str) -> dict[str, str] | None:
    """``{script name: "module:attr"}`` read with importlib.metadata inside the target's interpreter."""
    if os.path.realpath(python) == os.path.realpath(sys.executable) and Path(python).parent == Path(sys.executable).parent:
        try:
            d = metadata.distribution(dist)
        except metadata.PackageNotFoundError:
            return None
        return {e.name: e.value for e in d.entry_points if e.group == "console_scripts"}
    result = runner.run([python, "-c", _ENTRY_POINTS_SNIPPET, dist], timeout=60, env=QUIET_ENV)
    if not result.ok:
        return None
    try:
        pairs = json.loads(result.text("stdout").strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None
    return None if pairs is None else {name: value for name, value in pairs}


def _script_argv(name: str, value: str, python: str) -> list[str]:
    """The installed launcher next to the interpreter, else the entry point called through it."""
    launcher = Path(python).parent / name
    if launcher.is_file() and os.access(launcher, os.X_OK):
        return [str(launcher)]
    module, _, attr = value.partition(":")
    head, dot, rest = attr.partition(".")
    call = f"import sys; from {module} import {head} as _m; sys.argv[0] = {name!r}; sys.exit(_m{dot}{rest}())"
    return [python, "-c", call]


@dataclass
class Subcommand:
    path: tuple[str, ...]

    @property
    def label(self) -> str:
        return " ".join(self.path)


def discover_subcommands(target: CliTarget, timeout: float) -> list[Subcommand]:
    """Subcommands (groups and their children, depth first) from configuration or from ``--help``."""
    variant = target.variant
    skip = {tuple(s.split()) for s in variant.skip_subcommands}
    if variant.subcommands is not None:
        return [Subcommand(tuple(s.split())) for s in variant.subcommands if tuple(s.split()) not in skip]
    if target.problem:
        return []
    found: list[Subcommand] = []

    def read(path: tuple[str, ...]) -> HelpInfo | None:
        result = runner.run(target.command(*path, "--help"), timeout=timeout, env=target.env, inherit_env=False, cwd=target.cwd, trail=True)
        return parse_help(result.text("stdout") or result.text("stderr"), variant.style) if result.ok else None

    # Level by level, each level's help read in parallel; the result is still in depth-first order.
    children: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    level: list[tuple[str, ...]] = [()]
    asked_parser = False
    with ThreadPoolExecutor(max_workers=DISCOVERY_WORKERS) as pool:
        for depth in range(MAX_DEPTH + 1):
            infos = list(pool.map(read, level))
            if not asked_parser and target.importable and any(info is not None and info.subcommand_metavar for info in infos):
                # A help names subcommands by a metavar and may list only some: the parser itself knows them all.
                asked_parser = True
                tree = argparse_tree(target, timeout)
                if tree:
                    _walk_tree(tree, (), skip, found)
                    return found
            next_level: list[tuple[str, ...]] = []
            for path, info in zip(level, infos, strict=True):
                kids = [(*path, n) for n in (info.subcommands if info else [])] if depth < MAX_DEPTH else []
                children[path] = [k for k in kids if k not in skip]
                next_level.extend(children[path])
            level = next_level[:MAX_SUBCOMMANDS]
            if not level:
                break

    def walk(path: tuple[str, ...]) -> None:
        for child in children.get(path, []):
            if len(found) < MAX_SUBCOMMANDS:
                found.append(Subcommand(child))
                walk(child)

    walk(())
    return found


def argparse_tree(target: CliTarget, timeout: float) -> dict[str, Any]:
    """``{name: {child: {...}}}`` of the CLI's argparse subparsers, read from the parser in its own process."""
    kind, what = target.importable or ("", "")
    with tempfile.TemporaryDirectory(prefix="autoheal-argparse-") as tmp:
        out = Path(tmp) / "tree.json"
        env = {**target.env, "AUTOHEAL_ARGPARSE_TREE": str(out)}
        python = target.python or sys.executable
        result = runner.run(
            [python, "-c", _ARGPARSE_TREE_SNIPPET, kind, what], timeout=timeout, env=env, inherit_env=False, cwd=target.cwd, trail=True
        )
        if not result.ok or not out.is_file():
            return {}
        try:
            tree = json.loads(out.read_text("utf-8"))
        except ValueError:
            return {}
    return tree if isinstance(tree, dict) else {}


def _walk_tree(tree: dict[str, Any], path: tuple[str, ...], skip: set[tuple[str, ...]], found: list[Subcommand]) -> None:
    for name, children in tree.items():
        child = (*path, name)
        if child in skip or len(found) >= MAX_SUBCOMMANDS or len(child) > MAX_DEPTH:
            continue
        found.append(Subcommand(child))
        if isinstance(children, dict):
            _walk_tree(children, child, skip, found)


def discover_subcommands_shared(target: CliTarget, timeout: float, cache_dir: Path, run_id: str) -> list[Subcommand]:
    """:func:`discover_subcommands` done once per run: xdist workers must collect the same tests, so they share one answer."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    key = f"cli-subcommands-{run_id}-{target.index}-{target.name}".replace("/", "_").replace(" ", "_")
    path = cache_dir / f"{key}.json"
    with open(cache_dir / "cli-subcommands.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if path.is_file():
                return [Subcommand(tuple(p)) for p in json.loads(path.read_text("utf-8"))]
            found = discover_subcommands(target, timeout)
            path.write_text(json.dumps([list(s.path) for s in found]), "utf-8")
            for old in cache_dir.glob("cli-subcommands-*.json"):
                if old.stat().st_mtime < time.time() - 86400:
                    old.unlink(missing_ok=True)
            return found
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
