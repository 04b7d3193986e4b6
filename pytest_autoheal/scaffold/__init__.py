"""``autoheal init``: ``[tool.autoheal]`` and the GitHub Actions workflows, written into a repository.

One monitoring workflow per component (push and pull-request path filters, a daily schedule,
``workflow_dispatch`` with level and category inputs, the reports uploaded as an artifact;
MCP tools run as a category matrix) and an autofix workflow that runs ``autoheal heal`` on
the reports of a failed monitoring run.

Running it again changes nothing. A generated file carries the hash of its content: a file
still matching its hash is ours to update, a file someone edited is left alone unless
``--force`` is given. An existing ``[tool.autoheal]`` table is never rewritten.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from ..config import ConfigError, validate_config

WORKFLOWS_DIR = Path(".github") / "workflows"
HASH_LINE = re.compile(r"^# autoheal-init: sha256=(?P<hash>[0-9a-f]{64})$", re.M)


@dataclass(frozen=True)
class Component:
    name: str
    slug: str
    title: str
    cron: str
    node: bool = False
    browser: bool = False


# The seed's daily schedules, in UTC.
COMPONENTS = (
    Component("dashboard", "dashboard", "dashboard", "0 2 * * *", browser=True),
    Component("cli", "cli", "CLI", "0 4 * * *"),
    Component("js_sdk", "js-sdk", "JS SDK", "0 5 * * *", node=True, browser=True),
    Component("mcp_tools", "mcp-tools", "MCP tools", "0 6 * * *"),
)
AUTOFIX_NAME = "Autofix: issues and draft PRs for monitoring failures"

STARTER_CONFIG = """
[tool.autoheal]
# Written by `autoheal init`. Describe the platform to monitor here; see the pytest-autoheal README.
report_dir = "autoheal-reports"

# [tool.autoheal.mcp]
# command = ["your-mcp-server"]
# Comprehensive and stress call only tools annotated readOnlyHint: true: the MCP spec presumes any
# other tool destructive, and a tool without annotations is such a tool. If your platform's tools
# carry no annotations, nothing is called until you opt in with this one line (or name the safe
# ones instead: allow = ["math_tools/*", "pdf_*"]; "non_destructive" adds destructiveHint: false):
# call = "all"
"""


# The [tool.autoheal.<table>] that configures each component's target.
TABLES = {"dashboard": "dashboard", "cli": "cli", "js_sdk": "js_sdk", "mcp_tools": "mcp"}


@dataclass
class Change:
    path: Path
    action: str
    reason: str = ""


@dataclass
class InitResult:
    changes: list[Change] = field(default_factory=list)

    @property
    def refused(self) -> list[Change]:
        return [c for c in self.changes if c.action == "refused"]


class NoTarget(ConfigError):
    """The configuration gives a monitor nothing to check; ``changes`` says what was written before that was found."""

    def __init__(self, message: str, changes: list[Change]) -> None:
        super().__init__(message)
        self.changes = changes


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repo-dir", default=".", help="repository to write into (default: the current directory)")
    parser.add_argument("--force", action="store_true", help="overwrite workflow files that were edited since autoheal init wrote them")
    parser.add_argument("--python", default="3.12", help="Python version the workflows use (default: 3.12)")
    parser.add_argument(
        "--install",
        action="append",
        help="install command run before the suites (repeatable; default: pip install the project and pytest-autoheal[all])",
    )
    parser.add_argument("--branch", action="append", help="branch whose pushes run the monitors (repeatable; default: main)")
    parser.add_argument(
        "--component",
        action="append",
        choices=[c.name for c in COMPONENTS],
        help="write the monitor of this component (repeatable; default: every component [tool.autoheal] configures)",
    )
    parser.add_argument(
        "--path", action="append", default=[], help="more path filters for every monitor's push and PR triggers (repeatable)"
    )
    parser.add_argument(
        "--testpath",
        default="",
        help="path given to pytest in the monitoring job instead of the bundled suites (default: the suites and the testpaths)",
    )


def main(args: argparse.Namespace) -> int:
    repo = Path(args.repo_dir)
    if not repo.is_dir():
        print(f"autoheal init: {repo} is not a directory; pass --repo-dir with the repository's path.", file=sys.stderr)
        return 2
    try:
        result = init_repo(
            repo,
            force=args.force,
            python=args.python,
            install=args.install,
            branches=args.branch or ["main"],
            testpath=args.testpath,
            components=args.component,
            extra_paths=args.path,
        )
    except NoTarget as exc:
        for change in exc.changes:
            print(_change_line(repo, change))
        print(f"autoheal init: {exc}", file=sys.stderr)
        return 1
    except ConfigError as exc:
        print(f"autoheal init: {exc}", file=sys.stderr)
        return 2
    for change in result.changes:
        print(_change_line(repo, change))
    if result.refused:
        print(
            f"autoheal init: {len(result.refused)} file(s) were edited since autoheal init wrote them and were kept; "
            "run again with --force to replace them.",
            file=sys.stderr,
        )
        return 1
    return 0


def _change_line(repo: Path, change: Change) -> str:
    rel = change.path.relative_to(repo) if change.path.is_relative_to(repo) else change.path
    return f"{change.action:<9} {rel}" + (f"  ({change.reason})" if change.reason else "")


def init_repo(
    repo: Path,
    *,
    force: bool = False,
    python: str = "3.12",
    install: list[str] | None = None,
    branches: list[str] | None = None,
    testpath: str = "",
    components: list[str] | None = None,
    extra_paths: list[str] | None = None,
) -> InitResult:
    """Write the configuration and the workflows; returns what happened to each file."""
    result = InitResult()
    pyproject = repo / "pyproject.toml"
    data, change = ensure_config(pyproject)
    result.changes.append(change)
    section = data.get("tool", {}).get("autoheal", {})
    # The same validation the plugin does: a broken table is reported now, not in CI.
    cfg = validate_config(section, pyproject)
    install = install or default_install(data)
    configured = cfg.components()
    if not configured:
        # A monitor with no target collects nothing and fails every run: no workflow is written.
        raise NoTarget(
            f"{pyproject}: [tool.autoheal] names no target yet, so no monitoring workflow was written; add "
            f"{', '.join(f'[tool.autoheal.{TABLES[c.name]}]' for c in COMPONENTS)} (see the README) and run autoheal init again",
            result.changes,
        )
    missing = [c for c in components or [] if c not in configured]
    if missing:
        raise NoTarget(
            f"--component {missing[0]}: {pyproject} has no [tool.autoheal.{TABLES[missing[0]]}] table, so its monitor would "
            f"check nothing; configure it, or choose among the configured components: {', '.join(configured)}",
            result.changes,
        )
    components = components or configured
    for name, text in render_workflows(
        section,
        base_dir=repo,
        components=components,
        python=python,
        install=install,
        branches=branches or ["main"],
        testpath=testpath,
        tools_dir=cfg.mcp.tools_dir if cfg.mcp is not None else None,
        extra_paths=extra_paths or [],
    ).items():
        result.changes.append(write_generated(repo / WORKFLOWS_DIR / name, text, force=force))
    return result


def ensure_config(pyproject: Path) -> tuple[dict[str, Any], Change]:
    """Add a starter ``[tool.autoheal]`` to pyproject.toml, leaving everything already there as it is."""
    text = pyproject.read_text("utf-8") if pyproject.exists() else ""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{pyproject}: not valid TOML ({exc}); fix the file and run autoheal init again") from None
    if "autoheal" in data.get("tool", {}):
        return data, Change(pyproject, "kept", "[tool.autoheal] is already there")
    addition = STARTER_CONFIG.lstrip("\n") if not text.strip() else ("\n" if text.endswith("\n") else "\n\n") + STARTER_CONFIG
    new_text = text + addition
    data = tomllib.loads(new_text)
    pyproject.write_text(new_text, "utf-8")
    return data, Change(pyproject, "updated" if text else "created", "added [tool.autoheal]")


def default_install(pyproject: dict[str, Any]) -> list[str]:
    project = pyproject.get("project", {})
    if project.get("name") == "pytest-autoheal":
        return ['pip install -e ".[all]"']
    return (["pip install -e ."] if project else []) + ['pip install "pytest-autoheal[all]"']


def _environment() -> jinja2.Environment:
    # Square-bracket delimiters: the templates are full of GitHub's own ${{ ... }} expressions.
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: resources.files(__package__).joinpath("templates", name).read_text("utf-8")),
        variable_start_string="[[",
        variable_end_string="]]",
        block_start_string="[%",
        block_end_string="%]",
        comment_start_string="[#",
        comment_end_string="#]",
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )


def render_workflows(
    section: dict[str, Any],
    *,
    base_dir: Path,
    components: list[str],
    python: str,
    install: list[str],
    branches: list[str],
    testpath: str = "",
    tools_dir: str | None = None,
    extra_paths: list[str] | None = None,
) -> dict[str, str]:
    """File name -> content of every workflow ``autoheal init`` writes."""
    env = _environment()
    out: dict[str, str] = {}
    names = []
    in_app = [str(p).rstrip("/") for p in section.get("in_app", [])]
    for comp in (c for c in COMPONENTS if c.name in components):
        file_name = f"autoheal-{comp.slug}.yml"
        workflow_name = f"Monitor: {comp.title}"
        names.append(workflow_name)
        paths = [
            # A repository holding the suite's source (this project's own) also runs the monitor when the suite changes.
            *([f"suites/{comp.name}/**"] if (base_dir / "suites" / comp.name).is_dir() else []),
            f".github/workflows/{file_name}",
            "pyproject.toml",
            *(f"{p}/**" for p in in_app),
            *(extra_paths or []),
        ]
        if comp.name == "mcp_tools" and tools_dir:
            paths.append(f"{tools_dir.rstrip('/')}/**")
        if comp.name == "js_sdk":
            js = section.get("js_sdk") or {}
            paths.extend(str(g) for g in [*js.get("files", []), *js.get("tests", [])])
        text = env.get_template("monitor.yml.j2").render(
            workflow_name=workflow_name,
            component=comp.name,
            slug=comp.slug,
            cron=comp.cron,
            branches=json.dumps(branches),
            paths=list(dict.fromkeys(paths)),
            scheduled_level="comprehensive,browser" if comp.browser else "comprehensive",
            matrix=comp.name == "mcp_tools",
            tools_dir=(tools_dir or "").rstrip("/"),
            python=python,
            node=comp.node,
            browser=comp.browser,
            install=install,
            timeout=45 if comp.browser else 30,
            testpath=testpath,
        )
        out[file_name] = text
    out["autoheal-autofix.yml"] = env.get_template("autofix.yml.j2").render(
        workflow_name=AUTOFIX_NAME,
        workflows=names,
        python=python,
        heal_install=install,
    )
    return {name: _with_header(text) for name, text in out.items()}


def _with_header(text: str) -> str:
    body = re.sub(r"\n{3,}", "\n\n", text.lstrip("\n"))
    digest = hashlib.sha256(body.encode()).hexdigest()
    header = (
        "# Written by `autoheal init` (pytest-autoheal). Edit freely: autoheal init keeps edited files unless --force.\n"
        f"# autoheal-init: sha256={digest}\n"
    )
    return header + body


def _body(text: str) -> str:
    return text.split("\n", 2)[2] if text.startswith("# Written by `autoheal init`") else text


def write_generated(path: Path, text: str, *, force: bool = False) -> Change:
    """Write a generated file unless it is unchanged, or someone edited it (then only with ``force``)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
        return Change(path, "created")
    current = path.read_text("utf-8", errors="replace")
    if current == text:
        return Change(path, "unchanged")
    m = HASH_LINE.search(current)
    edited = m is None or hashlib.sha256(_body(current).encode()).hexdigest() != m.group("hash")
    if edited and not force:
        return Change(path, "refused", "edited since autoheal init wrote it; --force replaces it")
    path.write_text(text, "utf-8")
    return Change(path, "replaced" if edited else "updated", "forced" if edited else "")
