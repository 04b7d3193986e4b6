"""``[tool.autoheal]``: the target platform and the plugin's settings, validated up front.

Every problem is one :class:`ConfigError` sentence naming the file and the key; never a
traceback. Relative paths in the configuration are relative to the file that holds it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator

from ._model import Section
from .components.cli.config import CliConfig
from .components.dashboard.config import DashboardConfig
from .components.js_sdk.config import JsSdkConfig
from .components.mcp_tools.config import McpConfig
from .heal.config import HealConfig
from .settings import (  # noqa: F401 - re-exported for users of the config module
    COMPONENTS,
    LEVEL_CHOICES,
    LEVEL_INCLUDES,
    LEVELS,
    ConfigError,
    parse_components,
    parse_levels,
    read_config,
)


class ClassifyConfig(Section):
    patterns: list[dict[str, Any]] = []
    classes: dict[str, dict[str, str]] = {}

    @field_validator("patterns")
    @classmethod
    def _patterns_compile(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        from .classify import compile_patterns

        for i, p in enumerate(value):
            if "class" not in p or "regex" not in p:
                raise ValueError(f"pattern {i} needs 'class' and 'regex'")
            try:
                compile_patterns([p])
            except Exception as exc:  # re.error, ValueError
                raise ValueError(f"pattern {i}: {exc}") from None
        return value


class ReportConfig(Section):
    history: str | None = None
    history_max_runs: int = Field(default=200, ge=1)
    title: str = "Platform health"


class AutohealConfig(Section):
    report_dir: str = "autoheal-reports"
    level: str | None = None
    in_app: list[str] = []
    redact_env: list[str] = []
    classify: ClassifyConfig = ClassifyConfig()
    cli: CliConfig | None = None
    mcp: McpConfig | None = None
    js_sdk: JsSdkConfig | None = None
    dashboard: DashboardConfig | None = None
    heal: HealConfig = Field(default_factory=HealConfig)
    report: ReportConfig = ReportConfig()

    # Where the configuration came from; not a key users write.
    source: str = Field(default="<defaults>", exclude=True)
    base_dir: Path = Field(default_factory=Path.cwd, exclude=True)

    @field_validator("level")
    @classmethod
    def _level_known(cls, value: str | None) -> str | None:
        if value is not None:
            parse_levels(value)
        return value

    def path(self, value: str | Path) -> Path:
        """A path from the configuration, resolved against the file that holds it."""
        p = Path(value).expanduser()
        return p if p.is_absolute() else (self.base_dir / p)

    def components(self) -> list[str]:
        """Components this configuration describes a target for."""
        return [c for c, v in (("cli", self.cli), ("mcp_tools", self.mcp), ("js_sdk", self.js_sdk), ("dashboard", self.dashboard)) if v]


def load_config(rootdir: Path | str, explicit: str | None = None) -> AutohealConfig:
    """Read and validate the configuration for a run rooted at ``rootdir``."""
    raw = read_config(rootdir, explicit)
    if raw.data is None:
        return AutohealConfig(base_dir=raw.base_dir, source=str(raw.path or "<defaults>"))
    assert raw.path is not None
    return validate_config(raw.data, raw.path, raw.prefix)


def validate_config(section: dict[str, Any], path: Path, prefix: str = "tool.autoheal") -> AutohealConfig:
    try:
        return AutohealConfig.model_validate({**section, "source": str(path), "base_dir": path.parent})
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(x) for x in (prefix, *err["loc"]) if x != "")
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        raise ConfigError(f"{path}: {key}: {msg}{more}") from None
