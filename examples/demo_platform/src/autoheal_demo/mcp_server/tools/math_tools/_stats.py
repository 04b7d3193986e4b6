"""Input checks shared by the math tools."""

from __future__ import annotations

from .._common import ToolError


def need_values(values: list[float], at_least: int = 1) -> list[float]:
    if len(values) < at_least:
        raise ToolError(f"values needs at least {at_least} number(s), got {len(values)}")
    return values
