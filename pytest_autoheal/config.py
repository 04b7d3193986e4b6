"""``[tool.autoheal]``: the target platform and the plugin's settings, validated up front.

Every problem is one :class:`ConfigError` sentence naming the file and the key; never a
traceback. Relative paths in the configuration are relative to the file that holds it.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator

from ._model import Section
from .components.cli.config import CliConfig
from .components.dashboard.config import DashboardConfig
from .components.js_sdk.config import JsSdkConfig
from .components.mcp_tools.config import McpConfig
from .heal.config import HealConfig

LEVELS = ("smoke", "comprehensive", "stress", "browser")
LEVEL_CHOICES = (*LEVELS, "all")
COMPONENTS = ("cli", "mcp_tools", "js_sdk", "dashboard")
# What each level brings in besides itself.
LEVEL_INCLUDES = {
    "smoke": ("smoke",),
    "comprehensive": ("smoke", "comprehensive"),
    "stress": ("stress",),
    "browser": ("browser",),
    "all": LEVELS,
}


class ConfigError(Exception):
    """A configuration problem the user can fix; its message is one sentence."""


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


def parse_levels(value: str) -> tuple[str, ...]:
    """``"smoke"``, ``"comprehensive,stress"``, ``"all"`` → the levels that run."""
    chosen: list[str] = []
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        if part not in LEVEL_INCLUDES:
            raise ConfigError(f"unknown level {part!r}; valid levels: {', '.join(LEVEL_CHOICES)}")
        chosen.extend(x for x in LEVEL_INCLUDES[part] if x not in chosen)
    if not chosen:
        raise ConfigError(f"no level given; valid levels: {', '.join(LEVEL_CHOICES)}")
    return tuple(chosen)


def parse_components(value: str) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(p.strip() for p in value.split(",") if p.strip()))
    unknown = [c for c in chosen if c not in COMPONENTS]
    if unknown or not chosen:
        raise ConfigError(f"unknown component {', '.join(map(repr, unknown)) or '(none)'}; valid components: {', '.join(COMPONENTS)}")
    return chosen


def find_config_file(rootdir: Path, explicit: str | None = None) -> Path | None:
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_absolute():
            path = (Path.cwd() / path).resolve()
        if not path.is_file():
            raise ConfigError(f"--autoheal-config: file not found: {path}")
        return path
    candidate = rootdir / "pyproject.toml"
    return candidate if candidate.is_file() else None


def load_config(rootdir: Path | str, explicit: str | None = None) -> AutohealConfig:
    """Read and validate the configuration for a run rooted at ``rootdir``."""
    rootdir = Path(rootdir)
    path = find_config_file(rootdir, explicit)
    if path is None:
        return AutohealConfig(base_dir=rootdir)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    if path.name == "pyproject.toml" or "tool" in data:
        section = data.get("tool", {}).get("autoheal")
        prefix = "tool.autoheal"
        if section is None:
            if explicit:
                raise ConfigError(f"{path}: has no [tool.autoheal] table")
            return AutohealConfig(base_dir=path.parent, source=str(path))
    else:
        section, prefix = data, ""
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [{prefix}] must be a table")
    return validate_config(section, path, prefix)


def validate_config(section: dict[str, Any], path: Path, prefix: str = "tool.autoheal") -> AutohealConfig:
    try:
        return AutohealConfig.model_validate({**section, "source": str(path), "base_dir": path.parent})
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(x) for x in (prefix, *err["loc"]) if x != "")
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        raise ConfigError(f"{path}: {key}: {msg}{more}") from None
