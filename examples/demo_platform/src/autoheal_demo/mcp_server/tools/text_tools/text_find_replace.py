"""Replace every occurrence of a substring and say how many were replaced."""

from typing import Any

from .._common import ToolError


def text_find_replace(text: str, find: str, replace: str = "") -> dict[str, Any]:
    if not find:
        raise ToolError("find must not be empty")
    return {"text": text.replace(find, replace), "replaced": text.count(find)}
