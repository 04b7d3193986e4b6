"""Median of a list of numbers."""

from ._stats import need_values


def math_median(values: list[float]) -> float:
    ordered = sorted(need_values(values))
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
