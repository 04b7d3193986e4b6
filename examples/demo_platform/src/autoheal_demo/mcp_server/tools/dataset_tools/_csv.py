"""CSV parsing shared by the dataset tools."""

from __future__ import annotations

import csv
import io

from .._common import ToolError


def read_rows(csv_text: str) -> list[dict[str, str]]:
    if not csv_text.strip():
        raise ToolError("csv_text is empty; give a header line and rows")
    return list(csv.DictReader(io.StringIO(csv_text)))


def numbers(rows: list[dict[str, str]], column: str) -> list[float]:
    if rows and column not in rows[0]:
        raise ToolError(f"no column {column!r}; columns: {', '.join(rows[0])}")
    out = []
    for row in rows:
        try:
            out.append(float(row[column]))
        except (TypeError, ValueError):
            continue
    return out
