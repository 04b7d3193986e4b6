"""The demo MCP server: loads every tool module under ``tools/<category>/`` and serves it.

Like many real servers it logs a tool module that fails to import and goes on without it;
the monitoring suite's "every tool file is served" check is what notices.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from pathlib import Path
from types import ModuleType

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations

TOOLS_DIR = Path(__file__).resolve().parent / "tools"
TOOLS_PACKAGE = __package__ + ".tools"

log = logging.getLogger("autoheal_demo.mcp_server")


def tool_files(tools_dir: Path = TOOLS_DIR) -> list[tuple[str, Path]]:
    """``(category, path)`` of every tool module, in a stable order."""
    return [
        (folder.name, path)
        for folder in sorted(p for p in tools_dir.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))
        for path in sorted(folder.glob("*.py"))
        if not path.name.startswith("_")
    ]


def register(server: MCPServer, category: str, module: ModuleType) -> None:
    name = module.__name__.rsplit(".", 1)[-1]
    fn = getattr(module, name)
    destructive = bool(getattr(module, "DESTRUCTIVE", False))
    read_only = bool(getattr(module, "READ_ONLY", not destructive))
    server.add_tool(
        fn,
        name=name,
        description=(module.__doc__ or fn.__doc__ or name).strip(),
        annotations=ToolAnnotations(read_only_hint=read_only, destructive_hint=destructive, idempotent_hint=read_only),
        meta={"category": category},
    )


def build_server() -> MCPServer:
    server = MCPServer("autoheal-demo", instructions="Small real tools in categories; the category is in each tool's meta.")
    for category, path in tool_files():
        module_name = f"{TOOLS_PACKAGE}.{category}.{path.stem}"
        try:
            module = importlib.import_module(module_name)
            register(server, category, module)
        except Exception:
            log.exception("skipping tool module %s: it failed to load", path.relative_to(TOOLS_DIR))
    return server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="autoheal-demo-mcp", description="The autoheal demo platform's MCP server.")
    parser.add_argument("--http", action="store_true", help="serve streamable HTTP on 127.0.0.1 instead of stdio")
    parser.add_argument("--port", type=int, default=8765, help="port for --http (default 8765)")
    args = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    server = build_server()
    if args.http:
        server.run("streamable-http", host="127.0.0.1", port=args.port)
    else:
        server.run()


if __name__ == "__main__":
    main()
