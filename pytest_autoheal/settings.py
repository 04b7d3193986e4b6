"""The light half of configuration: levels, components, and finding the ``[tool.autoheal]`` table.

Kept free of pydantic so a run without a ``[tool.autoheal]`` table starts fast; the table
itself is validated by :mod:`pytest_autoheal.config`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

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
DEFAULT_REPORT_DIR = "autoheal-reports"


class ConfigError(ValueError):
    """A configuration problem the user can fix; its message is one sentence."""


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


class RawConfig(NamedTuple):
    """The ``[tool.autoheal]`` table as read, before validation."""

    data: dict[str, Any] | None
    path: Path | None
    prefix: str
    base_dir: Path


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


def read_config(rootdir: Path | str, explicit: str | None = None) -> RawConfig:
    rootdir = Path(rootdir)
    path = find_config_file(rootdir, explicit)
    if path is None:
        return RawConfig(None, None, "tool.autoheal", rootdir)
    import tomllib

    try:
        text = path.read_text("utf-8")
        if not explicit and "autoheal" not in text:
            # Every run in every project with the plugin installed comes here: a file that cannot hold the table is not parsed.
            return RawConfig(None, None, "tool.autoheal", rootdir)
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    if path.name == "pyproject.toml" or "tool" in data:
        section = data.get("tool", {}).get("autoheal")
        if section is None and explicit:
            raise ConfigError(f"{path}: has no [tool.autoheal] table")
        prefix = "tool.autoheal"
    else:
        section, prefix = data, ""
    if section is not None and not isinstance(section, dict):
        raise ConfigError(f"{path}: [{prefix}] must be a table")
    return RawConfig(section, path, prefix, path.parent)
