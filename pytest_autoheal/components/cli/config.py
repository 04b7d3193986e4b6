"""``[tool.autoheal.cli]``: the CLI variants to monitor, their examples and budgets."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ..._model import Section


class CliVariant(Section):
    """One way to run the CLI; exactly one of ``distribution``, ``module``, ``script`` or ``command``."""

    name: str | None = None
    # Console scripts of an installed distribution, read from its entry points.
    distribution: str | None = None
    scripts: list[str] = []
    module: str | None = None
    script: str | None = None
    command: list[str] | None = None
    # The interpreter that runs a module, a .py script or reads a distribution's entry points (default: this one).
    python: str | None = None
    env: dict[str, str] = {}
    cwd: str | None = None
    style: Literal["auto", "argparse", "click"] = "auto"
    # Subcommands as space-separated paths ("data json validate"); discovered from --help when not given.
    subcommands: list[str] | None = None
    skip_subcommands: list[str] = []
    version: bool | None = None
    usage_exit_codes: list[int] = [2]

    @model_validator(mode="after")
    def _one_kind(self) -> CliVariant:
        kinds = [k for k in ("distribution", "module", "script", "command") if getattr(self, k)]
        if len(kinds) != 1:
            raise ValueError("give exactly one of distribution, module, script or command")
        return self


class CliExample(Section):
    """An invocation with its expected result; ``args`` follow the variant's own command."""

    name: str | None = None
    args: list[str]
    variants: list[str] = []
    stdin: str | None = None
    env: dict[str, str] = {}
    exit_code: int = 0
    stdout: str | None = None
    stderr: str | None = None
    timeout: float | None = Field(default=None, gt=0)


class CliErrorReporting(Section):
    """An invocation that raises on purpose; the CLI's error handler must write a record for it."""

    args: list[str]
    variants: list[str] = []
    error_type: str | None = None


class CliStress(Section):
    commands: list[list[str]] = [["--help"]]
    concurrency: int = Field(default=4, ge=1, le=64)
    repeat: int = Field(default=5, ge=1)
    p50_ms: float | None = Field(default=None, gt=0)
    p95_ms: float | None = Field(default=None, gt=0)
    max_error_rate: float = Field(default=0.0, ge=0, le=1)
    max_rss_mb: float | None = Field(default=None, gt=0)


class CliConfig(Section):
    variants: list[CliVariant] = []
    examples: list[CliExample] = []
    error_reporting: CliErrorReporting | None = None
    stress: CliStress = CliStress()
    timeout: float = Field(default=30.0, gt=0)
    # Output bigger than this (per stream) is a failure of its own: a CLI should not flood its caller.
    max_output_mb: float = Field(default=10.0, gt=0)
    invalid_option: str = "--autoheal-no-such-option"
    # Globs of subcommands ("status", "show*", "data json *") safe to run with no arguments at the comprehensive level.
    run_bare: list[str] = []
