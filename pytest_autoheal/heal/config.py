"""``[tool.autoheal.heal]``: repository, labels, exclusions and limits."""

from __future__ import annotations

import os
from typing import Literal

from pydantic import Field, field_validator

from .._model import Section

COPILOT_LOGIN = "copilot-swe-agent[bot]"


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip().isdigit() else default


class HealExclude(Section):
    """Failures heal never files, each shown in the plan with the rule that matched."""

    workflows: list[str] = []
    categories: list[str] = []
    classes: list[str] = []
    tests: list[str] = []


class HealConfig(Section):
    repo: str | None = Field(default_factory=lambda: os.environ.get("GITHUB_REPOSITORY") or None)
    labels: list[str] = ["autofix", "workflow-failure"]
    min_report_interval: int = Field(default_factory=lambda: _env_int("ERROR_MIN_REPORT_INTERVAL", 3600), ge=0)
    max_reports_per_session: int = Field(default_factory=lambda: _env_int("ERROR_MAX_REPORTS_PER_SESSION", 10), ge=0)
    exclude: HealExclude = HealExclude()
    backend: Literal["github", "local"] = "github"
    api_url: str | None = None
    base_branch: str | None = None
    local_repo: str | None = None
    create_pr: bool = True
    assign_copilot: bool = False
    copilot_login: str = COPILOT_LOGIN
    mention: str = "@copilot"
    reopen_not_planned: bool = False
    # GitHub allows 80 content-creating requests a minute and 500 an hour; stay under both.
    writes_per_minute: int = Field(default=60, ge=1)
    writes_per_hour: int = Field(default=450, ge=1)
    max_retries: int = Field(default=5, ge=0)
    retry_backoff: float = Field(default=2.0, ge=0)
    max_retry_wait: float = Field(default=120.0, ge=0)
    timeout: float = Field(default=30.0, gt=0)

    @field_validator("repo")
    @classmethod
    def _repo_shape(cls, value: str | None) -> str | None:
        if value is not None and (value.count("/") != 1 or not all(value.split("/"))):
            raise ValueError(f"must be 'owner/name', got {value!r}")
        return value

    @field_validator("labels")
    @classmethod
    def _labels_present(cls, value: list[str]) -> list[str]:
        if not value or not all(v.strip() for v in value):
            raise ValueError("needs at least one non-empty label (the first one marks heal's issues)")
        return value
