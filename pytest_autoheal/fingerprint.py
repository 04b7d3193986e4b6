"""Grouping: the ``autoheal-v2`` fingerprint.

Built from the exception type and the in-app frames (module, function, normalised source
line; never line numbers or absolute paths). The message counts only when there are no
in-app frames, and then only as a template with volatile parts (numbers, ids, paths, ports,
addresses, timestamps, uuids) replaced by placeholders. The algorithm name is stored with
every hash; a new algorithm gets a new name so existing fingerprints never change silently.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .frames import Frame
from .lazyre import LazyPattern, lazy

ALGORITHM = "autoheal-v2"
MAX_FRAMES = 30
MAX_TEMPLATE = 500

_TEMPLATE_RULES: list[tuple[LazyPattern, str]] = [
    (lazy(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"), "<uuid>"),
    (
        lazy(
            r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}([.,]\d+)?)?(Z|[+-]\d{2}:?\d{2})?\b"
            r"|\b\d{2}:\d{2}:\d{2}([.,]\d+)?\b"
            r"|\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun),? \d{1,2} \w{3} \d{4}\b"
        ),
        "<ts>",
    ),
    (lazy(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>)]+"), "<url>"),
    (lazy(r"\b[\w.+-]+@[\w-]+(\.[\w-]+)+\b"), "<email>"),
    (lazy(r"\[?(?<![\w:])(?:[0-9a-fA-F]{1,4})?(?::[0-9a-fA-F]{0,4}){2,7}(?<=[0-9a-fA-F])\]?(?::\d+)?"), "<addr>"),
    (lazy(r"\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b"), "<addr>"),
    (lazy(r"\b(localhost|[\w-]+(\.[\w-]+)*\.(local|internal|com|org|net|io)):\d+\b"), "<addr>"),
    (lazy(r"(?<![\w.])(?:[A-Za-z]:\\|~?/)[^\s'\"<>:,;()\[\]]*"), "<path>"),
    (lazy(r"\b0x[0-9a-fA-F]+\b"), "<hex>"),
    (lazy(r"\bv?\d+(\.\d+){2,}\b"), "<version>"),
    (lazy(r"\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}\b"), "<hex>"),
    (lazy(r"\b(?=[A-Za-z0-9_-]*[A-Za-z_-])[A-Za-z0-9_-]*\d{4,}[A-Za-z0-9_-]*\b"), "<id>"),
    (lazy(r"(?<![\w<.])[-+]?\d+(\.\d+)?(e[-+]?\d+)?(?=(ms|us|ns|s|m|h|d|b|kb|mb|gb|kib|mib|gib|%)?(?![\w>]))", re.IGNORECASE), "<n>"),
]


def message_template(message: str) -> str:
    """The message with its volatile parts replaced by placeholders, whitespace folded."""
    text = " ".join((message or "").split())
    for pattern, placeholder in _TEMPLATE_RULES:
        text = pattern.sub(placeholder, text)
    return text[:MAX_TEMPLATE]


@dataclass(frozen=True)
class Fingerprint:
    algorithm: str
    hash: str
    values: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"algorithm": self.algorithm, "hash": self.hash, "values": self.values}


def fingerprint(
    error_type: str,
    message: str = "",
    frames: Sequence[Frame] = (),
    *,
    target: str | None = None,
    component: str | None = None,
) -> Fingerprint:
    """Fingerprint one failure.

    ``target`` (tool, command, page, file) and ``component`` only count when there are no
    in-app frames: without a stack, "which tool failed" is what tells two bugs apart.
    """
    app = [f.key() for f in frames if f.in_app][-MAX_FRAMES:]
    values: dict[str, Any] = {"type": error_type or "unknown", "frames": app}
    if not app:
        values["message_template"] = message_template(message)
        if component:
            values["component"] = component
        if target:
            values["target"] = target
    digest = hashlib.sha256(json.dumps([ALGORITHM, values], sort_keys=True).encode()).hexdigest()[:16]
    return Fingerprint(ALGORITHM, digest, values)
