"""Rows, columns and per-column fill rate of a CSV text."""

from typing import Any

from ._csv import read_rows


def dataset_csv_stats(csv_text: str) -> dict[str, Any]:
    rows = read_rows(csv_text)
    columns = list(rows[0]) if rows else [c.strip() for c in csv_text.splitlines()[0].split(",")]
    filled = {c: sum(1 for r in rows if (r.get(c) or "").strip()) for c in columns}
    return {"rows": len(rows), "columns": columns, "fill_rate": {c: (filled[c] / len(rows) if rows else 0.0) for c in columns}}
