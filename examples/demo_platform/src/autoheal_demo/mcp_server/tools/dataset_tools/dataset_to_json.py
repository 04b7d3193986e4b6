"""A CSV text as a list of JSON objects, numbers converted."""

from typing import Any

from ._csv import read_rows


def _value(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def dataset_to_json(csv_text: str) -> list[dict[str, Any]]:
    return [{k: _value(v or "") for k, v in row.items()} for row in read_rows(csv_text)]
