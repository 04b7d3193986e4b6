"""Arithmetic mean of a list of numbers."""

from ._stats import need_values


def math_mean(values: list[float]) -> float:
    values = need_values(values)
    return sum(values) / len(values)
