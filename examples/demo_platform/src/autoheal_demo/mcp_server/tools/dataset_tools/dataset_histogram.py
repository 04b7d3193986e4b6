"""Histogram of a numeric CSV column in equal-width bins."""

from typing import Any

from .._common import ToolError
from ._csv import numbers, read_rows


def dataset_histogram(csv_text: str, column: str, bins: int = 5) -> dict[str, Any]:
    if bins < 1 or bins > 100:
        raise ToolError("bins must be between 1 and 100")
    values = numbers(read_rows(csv_text), column)
    if not values:
        return {"edges": [], "counts": []}
    low, high = min(values), max(values)
    width = (high - low) / bins or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(int((v - low) / width), bins - 1)] += 1
    return {"edges": [low + i * width for i in range(bins + 1)], "counts": counts}
