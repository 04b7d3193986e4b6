"""Flatten nested JSON objects and arrays into dotted keys."""

import json
from typing import Any

from .._common import ToolError


def _walk(value: Any, prefix: str, out: dict[str, Any]) -> None:
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else None
    if items is None:
        out[prefix] = value
        return
    for key, child in items:
        _walk(child, f"{prefix}.{key}" if prefix else str(key), out)


def json_flatten(document: str) -> dict[str, Any]:
    try:
        value = json.loads(document)
    except json.JSONDecodeError as exc:
        raise ToolError(f"document is not valid JSON: {exc.msg}") from None
    out: dict[str, Any] = {}
    _walk(value, "", out)
    return out
