"""Rows of a CSV text whose column equals a value, as CSV."""

import csv
import io

from .._common import ToolError
from ._csv import read_rows


def dataset_filter_rows(csv_text: str, column: str, equals: str) -> str:
    rows = read_rows(csv_text)
    if rows and column not in rows[0]:
        raise ToolError(f"no column {column!r}; columns: {', '.join(rows[0])}")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else [column], lineterminator="\n")
    writer.writeheader()
    writer.writerows(r for r in rows if r.get(column) == equals)
    return out.getvalue()
