"""Count, min, max and mean of the numeric values of one CSV column."""

from typing import Any

from ._csv import numbers, read_rows


def dataset_column_summary(csv_text: str, column: str) -> dict[str, Any]:
    values = numbers(read_rows(csv_text), column)
    if not values:
        return {"column": column, "count": 0, "min": None, "max": None, "mean": None}
    return {"column": column, "count": len(values), "min": min(values), "max": max(values), "mean": sum(values) / len(values)}
