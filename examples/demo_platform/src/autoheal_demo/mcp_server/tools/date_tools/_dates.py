"""ISO date parsing shared by the date tools."""

from __future__ import annotations

import datetime as dt

from .._common import ToolError


def parse_date(value: str, name: str = "date") -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ToolError(f"{name} must be an ISO date like 2024-05-31, got {value!r}") from None
