"""Say whether a text is valid JSON, and where it is not."""

import json
from typing import Any


def json_validate(document: str) -> dict[str, Any]:
    try:
        value = json.loads(document)
    except json.JSONDecodeError as exc:
        return {"valid": False, "error": exc.msg, "line": exc.lineno, "column": exc.colno}
    return {"valid": True, "type": type(value).__name__}
