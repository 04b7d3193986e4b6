"""Discovery from configuration alone: the server's tools (paginated ``tools/list``), the tool
source files under ``tools_dir/<category>/<tool>.py``, and each tool's category."""

from __future__ import annotations

import atexit
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import TargetFailure
from .client import START, McpSession, list_all_tools
from .config import DispatchConfig, McpConfig
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
    # Set for a tool reached through dispatcher meta-tools; its schema then comes from get_schema.
    dispatch: DispatchConfig | None = None
    schema_known: bool = True

    @property
    def id(self) -> str:
        return f"{self.category}/{self.name}"

    def request(self, arguments: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The ``tools/call`` that calls this tool: itself, or the dispatcher's call tool with it as an argument."""
        if self.dispatch is None:
            return self.name, arguments
        from .dispatch import meta_arguments

        cfg = self.dispatch
        wire = meta_arguments(cfg, self.category, self.name)
        wire[cfg.arguments_arg] = arguments
        return cfg.call, wire

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
    # Why the dispatcher's tools could not all be listed (one entry per failed meta-tool call).
    dispatch_problems: list[TargetFailure] = field(default_factory=list)

    @property
    def started(self) -> bool:
        return self.problem is None and self.session is not None and self.session.conn is not None

    def tool(self, name: str) -> ServedTool | None:
        return next((t for t in self.tools if t.name == name), None)

    def serving(self, tool_file: ToolFile) -> ServedTool | None:
        """The served tool of a source file: same category and name first, then the name alone."""
        same = [t for t in self.tools if t.name == tool_file.name]
        return next((t for t in same if t.category == tool_file.category), same[0] if same else None)

    @property
    def meta_tools(self) -> set[str]:
        from .dispatch import meta_tools

        return meta_tools(self.target.cfg.dispatch) if self.target.cfg.dispatch else set()

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
    if target.cfg.dispatch is not None:
        dispatched, found.dispatch_problems = list_dispatched(session, target.cfg.dispatch, target.cfg.call_timeout)
        found.tools.extend(dispatched)
    return found


def call_meta(session: McpSession, meta: str, arguments: dict[str, Any], timeout: float) -> Any:
    """Call a meta-tool; its JSON answer, or a TargetFailure (raised) when it failed or said error."""
    from .dispatch import answer_value, error_message, meta_failure

    async def _call(conn: Any) -> Any:
        return await conn.session.call_tool(meta, arguments, read_timeout_seconds=timeout)

    try:
        result = session.run(_call, timeout + 10)
    except Exception as exc:
        raise meta_failure(meta, arguments, f"calling {meta}", error=exc) from None
    value = answer_value(result)
    if result.is_error or error_message(value) is not None:
        raise meta_failure(meta, arguments, f"calling {meta}", answer=value if not result.is_error else {"status": "error", "error": value})
    return value


def list_dispatched(session: McpSession, cfg: DispatchConfig, timeout: float) -> tuple[list[ServedTool], list[TargetFailure]]:
    """Every tool behind the dispatcher, category by category; the problems met on the way."""
    from .dispatch import annotations_of, entries, meta_arguments, meta_failure

    problems: list[TargetFailure] = []
    try:
        answer = call_meta(session, cfg.list_categories, {}, timeout)
    except TargetFailure as exc:
        return [], [exc]
    categories = entries(answer, cfg.categories_field)
    if categories is None:
        return [], [meta_failure(cfg.list_categories, {}, "listing the categories", answer=answer)]
    tools: list[ServedTool] = []
    for category in (c["name"] for c in categories):
        arguments = meta_arguments(cfg, category)
        try:
            answer = call_meta(session, cfg.list_tools, arguments, timeout)
        except TargetFailure as exc:
            problems.append(exc)
            continue
        listed = entries(answer, cfg.tools_field)
        if listed is None:
            problems.append(meta_failure(cfg.list_tools, arguments, f"listing category {category}", answer=answer))
            continue
        for entry in listed:
            read_only, destructive = annotations_of(entry)
            schema = next((entry[k] for k in ("input_schema", "inputSchema", "parameters") if isinstance(entry.get(k), dict)), None)
            tools.append(
                ServedTool(
                    name=entry["name"],
                    category=category,
                    input_schema=dict(schema or {}),
                    read_only=read_only,
                    destructive=destructive,
                    dispatch=cfg,
                    schema_known=schema is not None,
                )
            )
    return tools, problems


def ensure_schema(session: McpSession, tool: ServedTool, timeout: float) -> dict[str, Any]:
    """A dispatched tool's input schema, asked of the dispatcher once (raises TargetFailure)."""
    from .dispatch import meta_arguments, meta_failure, schema_in

    if tool.schema_known or tool.dispatch is None:
        return tool.input_schema
    cfg = tool.dispatch
    if not cfg.get_schema:
        tool.schema_known = True
        return tool.input_schema
    arguments = meta_arguments(cfg, tool.category, tool.name)
    answer = call_meta(session, cfg.get_schema, arguments, timeout)
    schema = schema_in(answer, cfg.schema_field)
    if schema is None:
        raise meta_failure(cfg.get_schema, arguments, f"asking the schema of {tool.id}", answer=answer)
    tool.input_schema = dict(schema)
    tool.schema_known = True
    return tool.input_schema


def close_all() -> None:
    """Stop every server this process started (end of the session, or interpreter exit)."""
    while _DISCOVERIES:
        _, found = _DISCOVERIES.popitem()
        found.close()


atexit.register(close_all)
