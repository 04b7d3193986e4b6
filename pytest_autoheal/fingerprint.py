"""Grouping: the ``autoheal-v2`` fingerprint.

Built from the exception type and the in-app frames that locate the bug (module, function,
normalised source line; never line numbers or absolute paths). Callers that only reach the
bug do not count when deeper in-app frames exist: the test function, the entry script or
``__main__`` and module-level code; a recursion counts as one pass through its cycle. The
message counts only when there are no in-app frames, and then only as a template with
volatile parts (numbers, ids, paths, ports, addresses, timestamps, uuids) replaced by
placeholders. The algorithm name is stored with every hash; a new algorithm gets a new
name so existing fingerprints never change silently (``autoheal-v1`` counted every in-app
frame, callers and each recursion level included).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from .frames import Frame
from .lazyre import LazyPattern, lazy

ALGORITHM = "autoheal-v2"
LEGACY_ALGORITHM = "autoheal-v1"
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
    app = [f.key() for f in grouping_frames(frames)][-MAX_FRAMES:]
    return _hashed(ALGORITHM, _values(error_type, message, app, target, component))


def legacy_v1(
    error_type: str, message: str = "", frames: Sequence[Frame] = (), *, target: str | None = None, component: str | None = None
) -> Fingerprint:
    """The ``autoheal-v1`` fingerprint of the same failure, so issues filed under v1 are still recognised.

    v1 hashed every in-app frame (callers and each recursion level included) under its own name.
    """
    app = [f.key() for f in frames if f.in_app][-MAX_FRAMES:]
    return _hashed(LEGACY_ALGORITHM, _values(error_type, message, app, target, component))


def _values(error_type: str, message: str, app: list[str], target: str | None, component: str | None) -> dict[str, Any]:
    values: dict[str, Any] = {"type": error_type or "unknown", "frames": app}
    if not app:
        values["message_template"] = message_template(message)
        if component:
            values["component"] = component
        if target:
            values["target"] = target
    return values


def _hashed(algorithm: str, values: dict[str, Any]) -> Fingerprint:
    digest = hashlib.sha256(json.dumps([algorithm, values], sort_keys=True).encode()).hexdigest()[:16]
    return Fingerprint(algorithm, digest, values)


_MODULE_LEVEL = {"<module>", "Object.<anonymous>", "<anonymous>", "<main>"}
_TEST_FILE = lazy(r"(?:^|[/\\])(?:test_[^/\\]*\.py|[^/\\]*_test\.py|conftest\.py|[^/\\]*\.(?:test|spec)\.[cm]?[jt]sx?)$")
_TEST_DIR = lazy(r"(?:^|[/\\])(?:tests?|testing|__tests__)[/\\]")
_MAX_PERIOD = 8
_COMPREHENSIONS = {"<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>"}


def grouping_frames(frames: Sequence[Frame]) -> list[Frame]:
    """The in-app frames that locate a bug: recursion folded, then callers that only reach it dropped."""
    # Comprehension frames belong to their function (Python 3.12 inlines them); a function calling itself is one frame.
    app = [f for f in frames if f.in_app and f.function not in _COMPREHENSIONS]
    app = [f for k, f in enumerate(app) if k + 1 == len(app) or (app[k + 1].module, app[k + 1].function) != (f.module, f.function)]
    app = collapse_recursion(app)
    # Module-level code marks an entry point even when a reader already set its frame aside (a console-script launcher).
    entry_files = {f.file for f in frames if f.function in _MODULE_LEVEL and f.file}
    # The function module-level code calls (a CLI's ``main``) is the entry whether its file was run or imported.
    entered = {id(b) for a, b in pairwise(frames) if a.function in _MODULE_LEVEL}
    k = 0
    while k < len(app) - 1 and (id(app[k]) in entered or _is_caller(app[k], entry_files)):
        if app[k].function in _MODULE_LEVEL:
            # Module-level code is an entry point (a script, ``python -m``, an importer): its file's frames are its plumbing.
            entry_files.add(app[k].file)
        k += 1
    return app[k:]


def _is_caller(frame: Frame, entry_files: set[str]) -> bool:
    """A test function, an entry script or ``__main__``, module-level code: it reached the bug, it is not where it is."""
    if frame.function in _MODULE_LEVEL or frame.file in entry_files:
        return True
    name = frame.file.replace("\\", "/")
    # Test folders are looked for below the checkout (the module name), not in where it was checked out to.
    below = frame.module.replace(".", "/") + "/"
    return name.endswith("/__main__.py") or name == "__main__.py" or bool(_TEST_FILE.search(name) or _TEST_DIR.search(below))


def collapse_recursion(frames: Sequence[Frame]) -> list[Frame]:
    """Each run of a repeated cycle of frames (a recursion, of any depth) kept as one pass through it."""
    keys = [f.key() for f in frames]
    out: list[Frame] = []
    i = 0
    while i < len(frames):
        step = 0
        for period in range(1, _MAX_PERIOD + 1):
            if i + 2 * period > len(frames):
                break
            block = keys[i : i + period]
            reps = 1
            while keys[i + reps * period : i + (reps + 1) * period] == block:
                reps += 1
            if reps > 1:
                out.extend(frames[i : i + period])
                step = reps * period
                break
        if step:
            i += step
        else:
            out.append(frames[i])
            i += 1
    return out
