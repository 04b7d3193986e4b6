"""Re-indent a JSON document with sorted keys."""

import json

from .._common import ToolError


def json_pretty(document: str, indent: int = 2) -> str:
    try:
        value = json.loads(document)
    except json.JSONDecodeError as exc:
        raise ToolError(f"document is not valid JSON: {exc.msg} at line {exc.lineno}") from None
    return json.dumps(value, indent=max(0, min(indent, 8)), sort_keys=True)
