"""quarry's MCP server: tool files are loaded by path from tools/<category>/<name>.py.

A file that fails to load is reported on one warning line (no traceback) and left out.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations

TOOLS = Path(__file__).resolve().parent / "tools"


def load(server: MCPServer) -> None:
    for path in sorted(TOOLS.glob("*/*.py")):
        category = path.parent.name
        try:
            spec = importlib.util.spec_from_file_location(f"quarry_tool_{category}_{path.stem}", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            fn = getattr(module, path.stem)
        except Exception as exc:
            print(f"warning: tool file {category}/{path.name} not loaded: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            continue
        server.add_tool(fn, name=path.stem, annotations=ToolAnnotations(read_only_hint=True, destructive_hint=False))


def main() -> None:
    parser = argparse.ArgumentParser(prog="quarry-mcp")
    parser.add_argument("--exit-at-start", action="store_true", help="fail the way a server with a missing data file does")
    args = parser.parse_args()
    if args.exit_at_start:
        print("quarry-mcp: cannot open the pit index /var/lib/quarry/index.db: no such file", file=sys.stderr, flush=True)
        raise SystemExit(1)
    server = MCPServer("quarry")
    load(server)
    server.run()


if __name__ == "__main__":
    main()
