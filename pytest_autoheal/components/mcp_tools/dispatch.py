"""Servers that front their tools with dispatching meta-tools (list categories, list a category's
tools, give a tool's schema, call a tool by category and name), as configured in
``[tool.autoheal.mcp.dispatch]``: every tool behind them is discovered and tested like a direct one.

Meta-tools answer with JSON (structured content, or a text block holding JSON); an answer whose
``status`` says error is an error answer whatever its ``isError`` says.
"""

from __future__ import annotations

import json
from typing import Any

from ...errors import TargetFailure
from .config import DispatchConfig

_ERROR_STATUSES = {"error", "failed", "failure", "fail"}
_LIST_KEYS = ("categories", "tools", "items", "names", "result", "data")
_NAME_KEYS = ("name", "tool_name", "tool", "category", "id")
_SCHEMA_KEYS = ("input_schema", "inputSchema", "schema", "parameters", "params")


def answer_value(result: Any) -> Any:
    """The JSON an answer carries: its structured content, else its text parsed as JSON, else the text."""
    structured = getattr(result, "structured_content", None)
    if structured is not None:
        # Servers built on the SDK wrap a non-object return value as {"result": value}.
        if isinstance(structured, dict) and list(structured) == ["result"] and not isinstance(structured["result"], str):
            return structured["result"]
        return structured
    text = "\n".join(getattr(c, "text", "") or "" for c in (getattr(result, "content", None) or []))
    try:
        return json.loads(text)
    except ValueError:
        return text


def error_message(value: Any) -> str | None:
    """The error an answer states in its body (``{"status": "error", "error": ...}``), or None."""
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("result"), dict) and "status" in value["result"]:
        # A dispatcher's envelope around the tool's own answer: the tool's status decides.
        inner = error_message(value["result"])
        if inner is not None:
            return inner
    status = value.get("status")
    failed = (isinstance(status, str) and status.strip().lower() in _ERROR_STATUSES) or value.get("success") is False
    if not failed:
        return None
    for key in ("error", "message", "detail", "reason"):
        if value.get(key):
            return str(value[key]) if not isinstance(value[key], (dict, list)) else json.dumps(value[key])[:2000]
    return json.dumps(value)[:2000]


def _at(value: Any, path: str | None) -> Any:
    if not path:
        return value
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def entries(value: Any, path: str | None) -> list[dict[str, Any]] | None:
    """The listed items of an answer as ``{"name": ..., ...}`` dicts, or None when it holds no list."""
    found = _at(value, path)
    if path is None and isinstance(found, dict):
        lists = [found[k] for k in _LIST_KEYS if isinstance(found.get(k), (list, dict))]
        lists += [v for k, v in found.items() if k not in _LIST_KEYS and isinstance(v, list)]
        found = lists[0] if lists else None
    if isinstance(found, dict):
        # {"name": {...details...}, ...}
        return [{"name": str(k), **(v if isinstance(v, dict) else {})} for k, v in found.items()]
    if not isinstance(found, list):
        return None
    items = []
    for item in found:
        if isinstance(item, str):
            items.append({"name": item})
        elif isinstance(item, dict):
            name = next((item[k] for k in _NAME_KEYS if isinstance(item.get(k), str)), None)
            if name:
                items.append({**item, "name": name})
    return items


def schema_in(value: Any, path: str | None) -> dict[str, Any] | None:
    """The input schema a get-schema answer holds, or None."""
    found = _at(value, path)
    if path is not None:
        return found if isinstance(found, dict) else None
    candidates = [found] + [found.get(k) for k in ("tool", "result", "data") if isinstance(found, dict)]
    for item in candidates:
        if not isinstance(item, dict):
            continue
        for key in _SCHEMA_KEYS:
            if isinstance(item.get(key), dict):
                return item[key]
        if "properties" in item or item.get("type") == "object":
            return item
    return None


def annotations_of(entry: dict[str, Any]) -> tuple[bool | None, bool | None]:
    """``(read_only, destructive)`` from a listed tool's annotations, None where it says nothing."""
    ann = entry.get("annotations")
    if not isinstance(ann, dict):
        return None, None

    def hint(*keys: str) -> bool | None:
        value = next((ann[k] for k in keys if k in ann), None)
        return value if isinstance(value, bool) else None

    return hint("readOnlyHint", "read_only_hint", "readOnly"), hint("destructiveHint", "destructive_hint", "destructive")


def meta_arguments(cfg: DispatchConfig, category: str | None = None, tool: str | None = None) -> dict[str, Any]:
    args: dict[str, Any] = {}
    if category is not None and cfg.category_arg:
        args[cfg.category_arg] = category
    if tool is not None and cfg.tool_arg:
        args[cfg.tool_arg] = tool
    return args


def meta_tools(cfg: DispatchConfig) -> set[str]:
    return {t for t in (cfg.list_categories, cfg.list_tools, cfg.get_schema, cfg.call) if t}


def meta_failure(
    meta: str, arguments: dict[str, Any], what: str, *, answer: Any = None, error: BaseException | None = None
) -> TargetFailure:
    """A meta-tool that failed or answered something we cannot read."""
    extras = {"tool": meta, "arguments": arguments, "answer": answer if error is None else None}
    if error is not None:
        summary = f"dispatcher {meta} failed while {what}: {type(error).__name__}: {error}"
        return TargetFailure(summary, error_type=type(error).__name__, message=str(error), extras=extras, hint="contract")
    stated = error_message(answer)
    if stated is not None:
        summary = f"dispatcher {meta} answered an error while {what}: {stated[:300]}"
        return TargetFailure(summary, error_type="DispatchError", message=stated[:2000], extras=extras, hint="contract")
    summary = f"dispatcher {meta} gave an answer without the expected content while {what}: {json.dumps(answer)[:300]}"
    return TargetFailure(summary, error_type="DispatchError", message=summary, extras=extras, hint="contract")
