"""Parse an ISO date or date-time and give its parts."""

import datetime as dt
from typing import Any

from .._common import ToolError


def date_parse(value: str) -> dict[str, Any]:
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise ToolError(f"value must be an ISO date or date-time, got {value!r}") from None
    return {"year": moment.year, "month": moment.month, "day": moment.day, "iso_week": moment.isocalendar().week, "iso": moment.isoformat()}
