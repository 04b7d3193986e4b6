"""Days from one ISO date to another."""

from ._dates import parse_date


def date_diff_days(start: str, end: str) -> int:
    return (parse_date(end, "end") - parse_date(start, "start")).days
