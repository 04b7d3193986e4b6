"""Weekday name of an ISO date."""

from ._dates import parse_date


def date_weekday(date: str) -> str:
    return parse_date(date).strftime("%A")
