"""``[tool.autoheal.mcp]``: how to reach the MCP server, where its tool sources live, what may be called."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from ..._model import Section

CategorySource = Literal["map", "meta", "tags", "folder", "prefix"]


class McpStressConfig(Section):
    tools: list[str] = []
    calls: int = Field(default=40, ge=1)
    sessions: int = Field(default=2, ge=1)
    concurrency: int = Field(default=8, ge=1)
    max_error_rate: float = Field(default=0.0, ge=0, le=1)
    max_p95_ms: float = Field(default=2000.0, gt=0)
    max_rss_growth_mb: float = Field(default=64.0, gt=0)


class DispatchConfig(Section):
    """Meta-tools that front the real tools: list categories, list a category's tools, give a schema, call by name."""

    list_categories: str
    list_tools: str
    get_schema: str | None = None
    call: str
    # Argument names of the meta-tools; an empty name is not passed.
    category_arg: str = "category"
    tool_arg: str = "tool_name"
    arguments_arg: str = "arguments"
    # Dotted paths to the list or schema inside an answer; by default found by their shape.
    categories_field: str | None = None
    tools_field: str | None = None
    schema_field: str | None = None


class McpConfig(Section):
    command: list[str] | str | None = None
    url: str | None = None
    env: dict[str, str] = {}
    cwd: str | None = None
    tools_dir: str | None = None
    python: str | None = None
    category_from: list[CategorySource] = ["map", "meta", "tags", "folder", "prefix"]
    category_meta_key: str = "category"
    prefix_separator: str = "_"
    categories: dict[str, str] = {}
    examples: dict[str, dict[str, Any] | list[dict[str, Any]]] = {}
    # Which tools comprehensive and stress call (policy.py): by annotations, then these globs of tool or category/tool.
    call: Literal["read_only", "non_destructive", "all"] = "read_only"
    allow: list[str] = []
    skip: list[str] = []
    allow_destructive: list[str] = []
    skip_tools: list[str] = []
    startup_timeout: float = Field(default=20.0, gt=0)
    call_timeout: float = Field(default=30.0, gt=0)
    import_timeout: float = Field(default=60.0, gt=0)
    import_preload: list[str] = []
    # Import the tool modules' parent packages once per worker before forking each import.
    import_preload_packages: bool = True
    # The folder tool modules are imported from (its path below it is the module name).
    import_root: str | None = None
    # smoke: every file in tools_dir must be served (listed directly or by the dispatcher).
    check_served: bool = True
    dispatch: DispatchConfig | None = None
    validation_answers: Literal["record", "fail"] = "record"
    # A successful answer whose content says it is an error: a warning in the test's metrics and the report, or a failure.
    error_answers: Literal["warn", "fail"] = "warn"
    stress: McpStressConfig = McpStressConfig()

    @model_validator(mode="after")
    def _one_way_in(self) -> McpConfig:
        if not self.command and not self.url:
            raise ValueError("give either 'command' (a stdio server) or 'url' (a streamable HTTP endpoint)")
        if self.command and self.url:
            raise ValueError("give only one of 'command' and 'url'")
        return self

    def argv(self) -> list[str]:
        """The stdio command as an argument list (a string is split like a shell would)."""
        import shlex

        return shlex.split(self.command) if isinstance(self.command, str) else list(self.command or [])
