"""Add (or subtract) a number of days to an ISO date."""

import datetime as dt

from .._common import ToolError
from ._dates import parse_date


def date_add_days(date: str, days: int) -> str:
    try:
        return (parse_date(date) + dt.timedelta(days=days)).isoformat()
    except OverflowError:
        raise ToolError("the result is outside the supported date range") from None
