"""Helpers shared by the demo tools."""

from __future__ import annotations

import os

from mcp.server.mcpserver.exceptions import ToolError

__all__ = ["ToolError", "broken"]


def broken() -> bool:
    """True when the demo's break switch ``AUTOHEAL_DEMO_BREAK=1`` is on."""
    return os.environ.get("AUTOHEAL_DEMO_BREAK") == "1"
