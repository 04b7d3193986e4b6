"""Sample standard deviation of a list of numbers."""

import math

from .._common import broken
from ._stats import need_values


def _degrees_of_freedom(values: list[float]) -> int:
    # The break switch: a regression that divides by zero on every input.
    return len(values) if broken() else 1


def math_stddev(values: list[float]) -> float:
    values = need_values(values, at_least=2)
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - _degrees_of_freedom(values)))
