"""The dashboard's own tools: small, real and fast, callable through ``POST /api/tools/{name}``."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class ToolInputError(ValueError):
    """The caller's arguments are wrong; the message says which and how."""


@dataclass(frozen=True)
class Tool:
    name: str
    category: str
    description: str
    run: Callable[[dict[str, Any]], Any]


def _text(arguments: dict[str, Any], key: str = "text") -> str:
    value = arguments.get(key)
    if not isinstance(value, str):
        raise ToolInputError(f"argument {key!r} must be a string")
    return value


def word_count(arguments: dict[str, Any]) -> dict[str, int]:
    text = _text(arguments)
    return {"words": len(text.split()), "characters": len(text), "lines": len(text.splitlines()) if text else 0}


def reverse(arguments: dict[str, Any]) -> str:
    return _text(arguments)[::-1]


def sha256(arguments: dict[str, Any]) -> str:
    return hashlib.sha256(_text(arguments).encode("utf-8")).hexdigest()


def add(arguments: dict[str, Any]) -> float:
    numbers = arguments.get("numbers")
    if not isinstance(numbers, list) or not all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in numbers):
        raise ToolInputError("argument 'numbers' must be a list of numbers")
    return sum(numbers)


TOOLS = {
    t.name: t
    for t in (
        Tool("word_count", "text_tools", "Count words, characters and lines of a text.", word_count),
        Tool("reverse", "text_tools", "Reverse a text.", reverse),
        Tool("sha256", "hash_tools", "SHA-256 hex digest of a text (UTF-8).", sha256),
        Tool("add", "math_tools", "Sum a list of numbers.", add),
    )
}
