"""``[tool.autoheal.mcp]``: how to reach the MCP server and what may be called."""

from __future__ import annotations

from typing import Any

from ..._model import Section


class McpConfig(Section):
    command: list[str] | str | None = None
    url: str | None = None
    env: dict[str, str] = {}
    cwd: str | None = None
    tools_dir: str | None = None
    examples: dict[str, dict[str, Any]] = {}
