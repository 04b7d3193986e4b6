"""Discovery from configuration alone: the server's tools (paginated ``tools/list``), the tool
source files under ``tools_dir/<category>/<tool>.py``, and each tool's category."""

from __future__ import annotations

import atexit
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import TargetFailure
from .client import START, McpSession, list_all_tools
from .config import McpConfig
from .target import McpTarget

UNCATEGORIZED = "uncategorized"


@dataclass
class ToolFile:
    category: str
    name: str
    path: Path

    @property
    def id(self) -> str:
        return f"{self.category}/{self.name}"


@dataclass
class ServedTool:
    name: str
    category: str
    input_schema: dict[str, Any]
    output_schema: dict[str, Any] | None = None
    meta: dict[str, Any] | None = None
    read_only: bool | None = None
    destructive: bool | None = None

    @property
    def id(self) -> str:
        return f"{self.category}/{self.name}"

    @classmethod
    def from_protocol(cls, tool: Any, category: str) -> ServedTool:
        ann = tool.annotations
        return cls(
            name=tool.name,
            category=category,
            input_schema=dict(tool.input_schema or {}),
            output_schema=dict(tool.output_schema) if tool.output_schema else None,
            meta=dict(tool.meta) if tool.meta else None,
            read_only=getattr(ann, "read_only_hint", None),
            destructive=getattr(ann, "destructive_hint", None),
        )


@dataclass
class Discovery:
    """What one worker found; the session stays open for that worker's tests."""

    target: McpTarget
    session: McpSession | None = None
    problem: TargetFailure | None = None
    tools: list[ServedTool] = field(default_factory=list)
    files: list[ToolFile] = field(default_factory=list)

    @property
    def started(self) -> bool:
        return self.problem is None and self.session is not None and self.session.conn is not None

    def tool(self, name: str) -> ServedTool | None:
        return next((t for t in self.tools if t.name == name), None)

    def categories(self) -> list[str]:
        return sorted({t.category for t in self.tools} | {f.category for f in self.files})

    def live_session(self) -> tuple[McpSession, bool]:
        """The worker's session, restarted if the server died under an earlier test (second value)."""
        if self.session is not None and self.session.alive:
            return self.session, False
        if self.session is not None:
            self.session.close()
        self.session = McpSession(self.target).open()
        if self.session.error is not None:
            raise self.session.error
        return self.session, True

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None


def tool_files(tools_dir: Path) -> list[ToolFile]:
    """``<category>/<tool>.py`` under ``tools_dir``; private (``_x``) files and folders are helpers."""
    if not tools_dir.is_dir():
        return []
    return [
        ToolFile(folder.name, path.stem, path)
        for folder in sorted(p for p in tools_dir.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))
        for path in sorted(folder.glob("*.py"))
        if not path.name.startswith("_")
    ]


def category_of(tool: Any, cfg: McpConfig, folders: dict[str, str]) -> str:
    """The tool's category, from the first source in ``category_from`` that knows it."""
    meta = tool.meta or {}
    for source in cfg.category_from:
        value: Any = None
        if source == "map":
            value = cfg.categories.get(tool.name)
        elif source == "meta":
            value = meta.get(cfg.category_meta_key)
        elif source == "tags":
            tags = (meta.get("fastmcp") or {}).get("tags") if isinstance(meta.get("fastmcp"), dict) else None
            value = sorted(tags)[0] if tags else None
        elif source == "folder":
            value = folders.get(tool.name)
        elif source == "prefix" and cfg.prefix_separator in tool.name:
            value = tool.name.split(cfg.prefix_separator, 1)[0]
        if isinstance(value, str) and value:
            return value
    return UNCATEGORIZED


_DISCOVERIES: dict[tuple[str, str], Discovery] = {}


def discover(target: McpTarget) -> Discovery:
    """Start (once per process) a session to the target and list its tools and tool files."""
    key = (target.name, str(target.tools_dir))
    found = _DISCOVERIES.get(key)
    if found is not None:
        return found
    found = Discovery(target=target)
    _DISCOVERIES[key] = found
    if target.tools_dir is not None:
        found.files = tool_files(target.tools_dir)
    folders = {f.name: f.category for f in found.files}
    session = McpSession(target).open()
    found.session = session
    if session.error is not None:
        found.problem = session.error
        return found
    try:
        listed = session.run(list_all_tools, target.cfg.startup_timeout + target.cfg.call_timeout)
    except Exception as exc:
        conn = session.conn
        stderr = conn.stderr_since(0) if conn else ""
        found.problem = TargetFailure(
            f"MCP server failed tools/list: {type(exc).__name__}: {exc}",
            error_type=type(exc).__name__,
            message=str(exc),
            stderr=stderr,
            extras={"server": target.name},
            **START,
        )
        return found
    if session.conn is not None:
        # The start-up window ends here: what the server logs later belongs to the calls.
        session.conn.startup_end = session.conn.stderr_size()
    found.tools = [ServedTool.from_protocol(t, category_of(t, target.cfg, folders)) for t in listed]
    return found


def close_all() -> None:
    """Stop every server this process started (end of the session, or interpreter exit)."""
    while _DISCOVERIES:
        _, found = _DISCOVERIES.popitem()
        found.close()


atexit.register(close_all)
