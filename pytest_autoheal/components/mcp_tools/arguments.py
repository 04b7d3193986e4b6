"""Minimal valid arguments from a tool's input schema, checked with Draft 2020-12 before use."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

_FORMAT_SAMPLES = {
    "date": "2024-01-31",
    "date-time": "2024-01-31T12:00:00Z",
    "time": "12:00:00Z",
    "email": "user@example.org",
    "uri": "https://example.org/",
    "url": "https://example.org/",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "ipv4": "127.0.0.1",
}


class CannotGenerate(Exception):
    """No minimal value satisfies the schema; the tool needs an example in the configuration."""


def schema_problem(schema: Any) -> str | None:
    """Why ``schema`` is not a valid JSON Schema for tool input, or None."""
    if not isinstance(schema, dict):
        return f"input schema is a {type(schema).__name__}, not an object"
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return f"invalid JSON Schema at {'/'.join(map(str, exc.absolute_path)) or '(root)'}: {exc.message}"
    if schema.get("type", "object") != "object":
        return f"input schema type is {schema.get('type')!r}; tool arguments must be an object"
    return None


def minimal_arguments(schema: dict[str, Any]) -> dict[str, Any]:
    """The smallest arguments object the schema accepts (required properties only)."""
    value = _minimal(schema, schema, depth=0)
    if not isinstance(value, dict):
        value = {}
    errors = sorted(Draft202012Validator(schema).iter_errors(value), key=lambda e: list(e.absolute_path))
    if errors:
        raise CannotGenerate(f"generated {value!r} fails the input schema: {errors[0].message}")
    return value


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(target, dict) else {}
        return {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _minimal(node: Any, root: dict[str, Any], depth: int) -> Any:
    if depth > 12 or not isinstance(node, dict):
        return None
    node = _resolve(node, root)
    if "const" in node:
        return node["const"]
    if node.get("enum"):
        return node["enum"][0]
    if "default" in node:
        return node["default"]
    if node.get("examples"):
        return node["examples"][0]
    for key in ("anyOf", "oneOf"):
        if node.get(key):
            options = [_resolve(o, root) for o in node[key] if isinstance(o, dict)]
            # Prefer a non-null branch: null is rarely what a tool is for.
            options.sort(key=lambda o: o.get("type") == "null")
            for option in options:
                candidate = _minimal(option, root, depth + 1)
                if not list(Draft202012Validator(option).iter_errors(candidate)):
                    return candidate
    if node.get("allOf"):
        merged: dict[str, Any] = {}
        for part in node["allOf"]:
            merged.update(_resolve(part, root) if isinstance(part, dict) else {})
        return _minimal(merged, root, depth + 1)
    kind = node.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), kind[0] if kind else None)
    if kind is None:
        kind = "object" if "properties" in node else "string" if "minLength" in node or "format" in node else None
    if kind == "object":
        props = node.get("properties") or {}
        return {name: _minimal(props.get(name, {}), root, depth + 1) for name in node.get("required", [])}
    if kind == "array":
        prefix = node.get("prefixItems") or []
        items = [_minimal(p, root, depth + 1) for p in prefix]
        need = int(node.get("minItems", 0))
        while len(items) < need:
            items.append(_minimal(node.get("items", {}), root, depth + 1))
        return items
    if kind == "string":
        if node.get("format") in _FORMAT_SAMPLES:
            return _FORMAT_SAMPLES[node["format"]]
        return "a" * int(node.get("minLength", 0))
    if kind in ("integer", "number"):
        return _number(node, kind)
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    return None


def _number(node: dict[str, Any], kind: str) -> int | float:
    step = 1 if kind == "integer" else 0.5
    low = node.get("minimum")
    if "exclusiveMinimum" in node:
        low = node["exclusiveMinimum"] + step
    high = node.get("maximum")
    if "exclusiveMaximum" in node:
        high = node["exclusiveMaximum"] - step
    value: float = 0
    if low is not None and value < low:
        value = low
    if high is not None and value > high:
        value = high
    multiple = node.get("multipleOf")
    if multiple:
        value = -(-value // multiple) * multiple
    return int(value) if kind == "integer" else value
