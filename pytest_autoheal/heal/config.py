"""``[tool.autoheal.heal]``: repository, labels, exclusions and limits."""

from __future__ import annotations

import os

from pydantic import Field

from .._model import Section


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip().isdigit() else default


class HealConfig(Section):
    repo: str | None = Field(default_factory=lambda: os.environ.get("GITHUB_REPOSITORY") or None)
    labels: list[str] = ["autofix", "workflow-failure"]
    min_report_interval: int = Field(default_factory=lambda: _env_int("ERROR_MIN_REPORT_INTERVAL", 3600), ge=0)
    max_reports_per_session: int = Field(default_factory=lambda: _env_int("ERROR_MAX_REPORTS_PER_SESSION", 10), ge=0)
