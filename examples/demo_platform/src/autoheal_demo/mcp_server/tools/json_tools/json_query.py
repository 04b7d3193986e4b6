"""Read a value from a JSON document by a dotted path such as `items.0.name`."""

import json
from typing import Any

from .._common import ToolError


def json_query(document: str, path: str = "") -> Any:
    try:
        value: Any = json.loads(document)
    except json.JSONDecodeError as exc:
        raise ToolError(f"document is not valid JSON: {exc.msg}") from None
    for part in filter(None, path.split(".")):
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            raise ToolError(f"path {path!r} does not exist at {part!r}")
    return value
