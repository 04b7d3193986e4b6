"""A generated platform of the seed's shape: hundreds of tool modules in category folders.

    python -m tests.support.seedlike DIR [--tools 340] [--categories 50]

The repository root holds an ``__init__.py`` (as the seed's does) and a ``pyproject.toml``; the
package ``seedpkg`` prints a banner to stdout when imported and takes at least half a second
(it imports a heavy library, then waits out the rest). ``seedpkg/mcp_server/server.py`` is an
MCP server that exposes only four dispatcher meta-tools in front of every tool module and
answers errors as ``{"status": "error", ...}`` without ``isError``; ``server_legacy.py`` is the
variant that, under MCP SDK 2.x, swallows the ImportError of its server class and exits 0.

With ``broken=True`` some modules are broken on purpose; :class:`SeedTree` says which and how.
"""

from __future__ import annotations

import argparse
import json
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

CATEGORY_NAMES = [
    "dataset",
    "ipfs",
    "embedding",
    "pdf",
    "media",
    "legal_dataset",
    "vector",
    "graph",
    "audit",
    "cache",
    "session",
    "storage",
    "search",
    "analysis",
    "admin",
    "auth",
    "bespoke",
    "cli",
    "development",
    "finance",
    "geospatial",
    "index",
    "investigation",
    "lizardperson",
    "logic",
    "monitoring",
    "news",
    "p2p",
    "provenance",
    "rate_limiting",
    "security",
    "sparse_embedding",
    "web_archive",
    "workflow",
    "background_task",
    "data_processing",
    "functions",
    "ipfs_cluster",
    "software_engineering",
    "alert",
    "email",
    "medical",
    "patent",
    "web_scraping",
    "file_converter",
    "file_detection",
    "discord",
    "dashboard",
    "mcplusplus",
    "embedding_fallback",
]

PACKAGE_INIT = '''
"""seedpkg: a platform package that announces itself and is slow to import."""
import time as _time

_started = _time.monotonic()
import jsonschema  # noqa: E402,F401 - heavy dependencies, as the real package has
import pydantic  # noqa: E402,F401

print("seedpkg 4.2.0: ready (GPU: none, IPFS: offline)")
_left = {seconds} - (_time.monotonic() - _started)
if _left > 0:
    _time.sleep(_left)
'''

COMMON = '''
"""Helpers shared by the tool modules."""
import zlib


def checksum(text: str, salt: str) -> int:
    return zlib.crc32((text + salt).encode())


def wait_for_index(seconds: float = 3600.0) -> None:
    """Blocks until an index service answers; none does here."""
    import time

    time.sleep(seconds)
'''

TOOL = '''
"""{category} tool {name}: a checksum of a text with a per-tool salt."""
from seedpkg.mcp_server.tools._common import checksum
{extra}
ANNOTATIONS = {annotations}


def {name}(text: str, times: int = 1) -> dict:
    """Checksum of text repeated times."""
{body}
'''

SERVER = '''
"""The platform's MCP server: four dispatcher meta-tools in front of every tool module."""
import contextlib
import importlib
import inspect
import logging
import sys
import threading
from pathlib import Path

logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
log = logging.getLogger("seedpkg.mcp_server")

# What the package and the tool modules print must not reach the protocol stream.
with contextlib.redirect_stdout(sys.stderr):
    import seedpkg  # noqa: F401

from mcp.server.mcpserver import MCPServer

TOOLS = Path(__file__).resolve().parent / "tools"
LOAD_TIMEOUT = 1.0
TYPES = {str: "string", int: "integer", float: "number", bool: "boolean", list: "array", dict: "object"}
REGISTRY: dict[str, dict[str, object]] = {}


def _load_one(name: str, box: dict) -> None:
    try:
        box["module"] = importlib.import_module(name)
    except BaseException:
        log.exception("failed to load tool module %s", name)


def load_tools() -> None:
    for folder in sorted(p for p in TOOLS.iterdir() if p.is_dir() and not p.name.startswith("_")):
        for path in sorted(folder.glob("*.py")):
            if path.name.startswith("_"):
                continue
            name = f"seedpkg.mcp_server.tools.{folder.name}.{path.stem}"
            box: dict = {}
            worker = threading.Thread(target=_load_one, args=(name, box), daemon=True)
            worker.start()
            worker.join(LOAD_TIMEOUT)
            if worker.is_alive():
                log.warning("tool module %s did not load within %ss; skipped", name, LOAD_TIMEOUT)
                continue
            if "module" in box:
                REGISTRY.setdefault(folder.name, {})[path.stem] = box["module"]
    log.info("loaded %d tools in %d categories", sum(map(len, REGISTRY.values())), len(REGISTRY))


def schema_of(fn) -> dict:
    props, required = {}, []
    for pname, param in inspect.signature(fn).parameters.items():
        props[pname] = {"type": TYPES.get(param.annotation, "string")}
        if param.default is inspect.Parameter.empty:
            required.append(pname)
    return {"type": "object", "properties": props, "required": required}


def _error(message: str) -> dict:
    return {"status": "error", "error": message}


server = MCPServer("seedpkg")


@server.tool(name="tools_list_categories")
def tools_list_categories() -> dict:
    """Every tool category."""
    return {"status": "success", "categories": [{"name": c, "tool_count": len(t)} for c, t in sorted(REGISTRY.items())]}


@server.tool(name="tools_list_tools")
def tools_list_tools(category: str) -> dict:
    """The tools of one category."""
    if category not in REGISTRY:
        return _error(f"Category '{category}' not found")
    tools = []
    for name, module in sorted(REGISTRY[category].items()):
        entry = {"name": name, "description": (getattr(module, name).__doc__ or "").strip()}
        if getattr(module, "ANNOTATIONS", None):
            entry["annotations"] = module.ANNOTATIONS
        tools.append(entry)
    return {"status": "success", "category": category, "tools": tools}


@server.tool(name="tools_get_schema")
def tools_get_schema(category: str, tool_name: str) -> dict:
    """The input schema of one tool."""
    module = REGISTRY.get(category, {}).get(tool_name)
    if module is None:
        return _error(f"Tool '{category}/{tool_name}' not found")
    return {"status": "success", "name": tool_name, "input_schema": schema_of(getattr(module, tool_name))}


@server.tool(name="tools_dispatch")
def tools_dispatch(category: str, tool_name: str, parameters: dict) -> dict:
    """Call one tool by category and name."""
    module = REGISTRY.get(category, {}).get(tool_name)
    if module is None:
        return _error(f"Tool '{category}/{tool_name}' not found")
    try:
        return getattr(module, tool_name)(**parameters)
    except Exception as exc:
        log.exception("tool %s/%s failed", category, tool_name)
        return _error(f"{type(exc).__name__}: {exc}")


if __name__ == "__main__":
    with contextlib.redirect_stdout(sys.stderr):
        load_tools()
    server.run()
'''

LEGACY_SERVER = '''
"""The platform's MCP server as written for MCP SDK 1.x."""
import logging
import sys

logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
log = logging.getLogger("seedpkg.mcp_server")

import seedpkg  # noqa: E402,F401

try:
    from mcp.server.fastmcp import FastMCP
except ImportError:
    log.exception("the MCP server class is not available")
    FastMCP = None


def main() -> int:
    if FastMCP is None:
        log.error("MCP server disabled: no server class")
        return 0
    FastMCP("seedpkg").run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
'''


@dataclass
class SeedTree:
    """Where the generated platform is and what each broken module does."""

    repo: Path
    tools_dir: Path
    server: Path
    legacy_server: Path
    files: list[str] = field(default_factory=list)
    # category/tool -> kind: missing:<module>, syntax, import_error, hangs
    broken: dict[str, str] = field(default_factory=dict)
    prints: str | None = None
    crashes_on_call: str | None = None
    error_on_call: str | None = None
    unannotated: list[str] = field(default_factory=list)

    @property
    def categories(self) -> list[str]:
        return sorted({f.split("/")[0] for f in self.files})

    def served(self) -> list[str]:
        return [f for f in self.files if f not in self.broken]


def generate(root: Path, *, tools: int = 340, categories: int = 50, broken: bool = True, import_seconds: float = 0.5) -> SeedTree:
    # Named like its package, as the seed's checkout is: climbing past it gives "seedpkg.seedpkg...".
    repo = root / "seedpkg"
    pkg = repo / "seedpkg"
    tools_dir = pkg / "mcp_server" / "tools"
    tools_dir.mkdir(parents=True)
    (repo / "__init__.py").write_text("# The repository root is also a package folder, as the seed's is.\n")
    (repo / "pyproject.toml").write_text('[project]\nname = "seedpkg"\nversion = "4.2.0"\n')
    (pkg / "__init__.py").write_text(textwrap.dedent(PACKAGE_INIT).format(seconds=import_seconds))
    (pkg / "mcp_server" / "__init__.py").write_text("")
    (tools_dir / "__init__.py").write_text("")
    (tools_dir / "_common.py").write_text(textwrap.dedent(COMMON))
    server = pkg / "mcp_server" / "server.py"
    server.write_text(textwrap.dedent(SERVER))
    legacy = pkg / "mcp_server" / "server_legacy.py"
    legacy.write_text(textwrap.dedent(LEGACY_SERVER))
    names = [f"{c}_tools" for c in (CATEGORY_NAMES * (categories // len(CATEGORY_NAMES) + 1))[:categories]]
    names = [n if names.count(n) == 1 else f"{n}{i}" for i, n in enumerate(names)]
    tree = SeedTree(repo=repo, tools_dir=tools_dir, server=server, legacy_server=legacy)
    special: dict[int, str] = {}
    if broken:
        kinds = ["missing:fastembed_gpu"] * 5 + ["missing:pdfminer_turbo"] * 2 + ["syntax", "import_error", "hangs"]
        kinds += ["prints", "crashes_on_call", "error_on_call", "unannotated", "unannotated"]
        if tools < 2 * len(kinds):
            raise ValueError(f"a broken tree needs at least {2 * len(kinds)} tools")
        # Spread over the tree, so they land in many categories.
        special = {k * tools // len(kinds) + 1: kind for k, kind in enumerate(kinds)}
    for i in range(tools):
        category = names[i % categories]
        folder = tools_dir / category
        if not folder.is_dir():
            folder.mkdir()
            (folder / "__init__.py").write_text("")
        name = f"{category.removesuffix('_tools')}_op{i:03d}"
        tool_id = f"{category}/{name}"
        tree.files.append(tool_id)
        kind = special.get(i, "")
        extra, annotations, body = "", '{"readOnlyHint": True}', f'    return {{"checksum": checksum(text * max(times, 1), "{name}")}}'
        if kind.startswith("missing:"):
            extra = f"import {kind.split(':', 1)[1]}  # noqa: F401"
            tree.broken[tool_id] = kind
        elif kind == "syntax":
            body = "    return {'checksum': checksum(text, 'x')"
            tree.broken[tool_id] = kind
        elif kind == "import_error":
            extra = "from seedpkg.mcp_server.tools._common import checksum_v2  # noqa: F401"
            tree.broken[tool_id] = kind
        elif kind == "hangs":
            extra = "from seedpkg.mcp_server.tools._common import wait_for_index\n\nwait_for_index()"
            tree.broken[tool_id] = kind
        elif kind == "prints":
            extra = f'print("{name}: legacy mode enabled")'
            tree.prints = tool_id
        elif kind == "crashes_on_call":
            body = "    ratio = len(text) / (times - times)\n    return {'ratio': ratio}"
            tree.crashes_on_call = tool_id
        elif kind == "error_on_call":
            body = '    return {"status": "error", "error": "index shard 3 is corrupt"}'
            tree.error_on_call = tool_id
        elif kind == "unannotated":
            annotations = "None"
            tree.unannotated.append(tool_id)
        (folder / f"{name}.py").write_text(TOOL.format(category=category, name=name, extra=extra, annotations=annotations, body=body))
    return tree


def dispatch_config() -> dict[str, str]:
    """The ``[tool.autoheal.mcp.dispatch]`` table that describes the generated server."""
    return {
        "list_categories": "tools_list_categories",
        "list_tools": "tools_list_tools",
        "get_schema": "tools_get_schema",
        "call": "tools_dispatch",
        "category_arg": "category",
        "tool_arg": "tool_name",
        "arguments_arg": "parameters",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--tools", type=int, default=340)
    parser.add_argument("--categories", type=int, default=50)
    parser.add_argument("--clean", action="store_true", help="no broken modules")
    args = parser.parse_args()
    tree = generate(args.dir, tools=args.tools, categories=args.categories, broken=not args.clean)
    print(
        json.dumps(
            {
                "repo": str(tree.repo),
                "tools_dir": str(tree.tools_dir),
                "server": str(tree.server),
                "legacy_server": str(tree.legacy_server),
                "dispatch": dispatch_config(),
                "broken": tree.broken,
                "prints": tree.prints,
                "crashes_on_call": tree.crashes_on_call,
                "error_on_call": tree.error_on_call,
                "unannotated": tree.unannotated,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
