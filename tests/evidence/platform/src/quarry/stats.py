"""Column totals over rows of records."""

from __future__ import annotations

ROWS = [{"name": "granite", "tons": 12}, {"name": "slate", "tons": 7}]


def column_total(rows: list[dict[str, int]], column: str) -> int:
    total = 0
    for row in rows:
        total += row[column]
    return total
