"""The failure record: the contract every later stage (report, heal) reads.

:func:`build_record` is the one place a record is made, whatever saw the failure (the pytest
plugin, a suite reading a subprocess, the runtime reporters, the log analyzer, the
``/api/report-error`` receiver): it fingerprints, classifies and truncates the same way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from . import store
from .classify import Classification, Facts, Pattern, classify, describe_location
from .context import utcnow
from .errors import strip_ansi
from .fingerprint import fingerprint, legacy_v1, message_template
from .frames import Frame

SCHEMA_ID = "autoheal.failure-record/v1"
SCHEMA_FILE = "failure-record.v1.json"
COMPONENTS = ("cli", "mcp_tools", "js_sdk", "dashboard")
PHASES = ("setup", "call", "teardown", "collect", "runtime")

# Limits that keep one record readable and bounded whatever the failure printed.
TAIL_CHARS = 16_000
TRACEBACK_CHARS = 24_000
MESSAGE_CHARS = 4_000


def decode_output(data: bytes | str | None) -> str:
    """Lenient decoding for process output: invalid UTF-8 becomes escapes, never an error."""
    if data is None:
        return ""
    if isinstance(data, str):
        return data
    return data.decode("utf-8", errors="backslashreplace")


def truncate(text: str | bytes | None, limit: int = TAIL_CHARS, *, keep_head: int = 2_000) -> str:
    """Keep the head and the tail of long text with a note of how much was cut (colour codes dropped)."""
    value = strip_ansi(decode_output(text))
    if len(value) <= limit:
        return value
    head = value[: min(keep_head, limit // 4)]
    tail = value[-(limit - len(head)) :]
    cut = len(value) - len(head) - len(tail)
    return f"{head}\n[... {cut} characters truncated by autoheal ...]\n{tail}"


@dataclass
class TestInfo:
    nodeid: str
    phase: str = "call"
    level: str | None = None
    component: str | None = None
    category: str | None = None
    target: str | None = None
    duration: float | None = None
    outcome: str = "failed"
    reruns: int = 0
    worker: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class ErrorInfo:
    """The target's evidence (type, message, frames, its own traceback and output) and, apart, the monitor's.

    Class and fingerprint read the evidence only; ``monitor`` (the suite's traceback with its
    fixture and config reprs, the test's captured output) is kept for debugging and decides nothing.
    """

    type: str
    message: str = ""
    frames: list[Frame] = field(default_factory=list)
    traceback: str = ""
    stdout: str | bytes | None = None
    stderr: str | bytes | None = None
    log: str | bytes | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    monitor: dict[str, str | bytes | None] = field(default_factory=dict)
    # What failed, named the same however it was observed; the fingerprint's target (else the test's).
    subject: str | None = None
    # The component whose bug this is, when another component's test saw it.
    component: str | None = None
    exit_code: int | None = None
    # The evidence behind a class the monitor knew for certain (a missing program, a signal).
    reason: str | None = None
    # The class when the target's own evidence decides nothing (with ``reason`` as its evidence).
    fallback: str | None = None
    # The message autoheal-v1 gave this failure, where it differs (for the v1 hash heal matches old issues by).
    legacy_message: str | None = None


def record_id(run_id: str, nodeid: str, phase: str, salt: str = "") -> str:
    """Deterministic: one failing phase of one test in one run is one record, however often seen."""
    return hashlib.sha256(f"{run_id}\0{nodeid}\0{phase}\0{salt}".encode()).hexdigest()[:24]


def build_record(
    *,
    test: TestInfo,
    error: ErrorInfo,
    run: Mapping[str, Any],
    facts: Facts | None = None,
    patterns: Sequence[Pattern] | None = None,
    source: str = "pytest",
    record_id_salt: str = "",
    now: str | None = None,
) -> dict[str, Any]:
    now = now or utcnow()
    message = strip_ansi(decode_output(error.message))
    if facts is None:
        from .classify import facts_from_text

        facts = facts_from_text(error.type, message)
    facts.text = "\n".join(
        x
        for x in (facts.text, error.traceback[-TAIL_CHARS:], decode_output(error.stderr)[-TAIL_CHARS:], decode_output(error.log)[-4000:])
        if x
    )
    facts.frames = facts.frames or error.frames
    facts.where = facts.where or _where(test, error)
    facts.location = facts.location or describe_location(error.frames) or facts.where
    classification: Classification = classify(facts, patterns)
    if error.fallback and not facts.hint and _generic(classification):
        facts.hint = error.fallback
        classification = classify(facts, patterns)
        classification.evidence = [error.reason or f"nothing the target printed names a cause; the check saw {error.fallback}"]
    elif error.exit_code is not None and not facts.hint and not facts.signal and _generic(classification):
        # Nothing more precise is known than that the process ended: its exit is the evidence.
        facts.signal = f"exit code {error.exit_code}"
        classification = classify(facts, patterns)
        classification.confidence = 0.75
        classification.evidence = [f"the process exited with code {error.exit_code} without a traceback"]
    elif facts.hint and error.reason and classification.cls == facts.hint:
        classification.evidence = [error.reason]
    fp = fingerprint(error.type, message, error.frames, target=error.subject or test.target, component=error.component or test.component)
    return {
        "schema": SCHEMA_ID,
        "id": record_id(str(run.get("id", "")), test.nodeid, test.phase, record_id_salt),
        "source": source,
        "created_at": now,
        "updated_at": now,
        "run": dict(run),
        "test": test.to_dict(),
        "error": {
            "type": error.type,
            "message": truncate(message, MESSAGE_CHARS),
            "message_template": message_template(message),
            "frames": [f.to_dict() for f in error.frames if f.in_app][-50:],
            "traceback": truncate(error.traceback, TRACEBACK_CHARS),
            "stdout_tail": truncate(error.stdout),
            "stderr_tail": truncate(error.stderr),
            "log_tail": truncate(error.log),
            "extras": _json_safe(error.extras),
        },
        "fingerprint": {**fp.to_dict(), "legacy": [_legacy_v1(error, message, test)]},
        "classification": classification.to_dict(),
        "flaky": False,
        "occurrences": {"first_seen": now, "last_seen": now, "count": 1},
        "monitor": {k: truncate(v, TRACEBACK_CHARS) for k, v in error.monitor.items() if v},
    }


def _generic(classification: Classification) -> bool:
    """The classifier knew nothing but the error's type name (its last-resort answers: unknown, or a low-confidence runtime_exception)."""
    return classification.cls == "unknown" or (classification.cls == "runtime_exception" and classification.confidence < 0.7)


def _legacy_v1(error: ErrorInfo, message: str, test: TestInfo) -> dict[str, str]:
    """The ``autoheal-v1`` hash of this failure, so heal recognises issues filed under v1.

    v1 took the target and component from the test, and some failures had another message then (``legacy_message``).
    """
    old = error.legacy_message if error.legacy_message is not None else message
    fp = legacy_v1(error.type, old, error.frames, target=test.target, component=test.component)
    return {"algorithm": fp.algorithm, "hash": fp.hash}


def _where(test: TestInfo, error: ErrorInfo) -> str:
    # What failed as the fingerprint names it, so a cluster's root cause reads the same whichever record stands for it.
    target, component = error.subject or test.target, error.component or test.component
    if target and component:
        return f"{component} target '{target}'" if target != "start-up" else f"the {component} start-up"
    if target:
        return f"'{target}'"
    return f"test {test.nodeid}"


def _json_safe(value: Any, depth: int = 0) -> Any:
    if depth > 8:
        return repr(value)[:200]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return truncate(value, TAIL_CHARS)
    if isinstance(value, bytes):
        return truncate(decode_output(value), TAIL_CHARS)
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v, depth + 1) for k, v in list(value.items())[:200]}
    if isinstance(value, (list, tuple, set)):
        return [_json_safe(v, depth + 1) for v in list(value)[:200]]
    if isinstance(value, Path):
        return str(value)
    return truncate(repr(value), 2000)


def note_occurrence(record: dict[str, Any], now: str | None = None) -> dict[str, Any]:
    """The same failure seen again in the same run (a rerun): count it on the one record."""
    now = now or utcnow()
    occ = record.setdefault("occurrences", {"first_seen": now, "last_seen": now, "count": 0})
    occ["last_seen"] = now
    occ["count"] = int(occ.get("count", 0)) + 1
    record["updated_at"] = now
    return record


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    return json.loads(resources.files("pytest_autoheal").joinpath(f"schemas/{SCHEMA_FILE}").read_text("utf-8"))


@lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema

    cls = jsonschema.validators.validator_for(schema())
    return cls(schema())


def validation_errors(record: Mapping[str, Any]) -> list[str]:
    """Messages for every way ``record`` breaks failure-record.v1.json (empty when valid)."""
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in _validator().iter_errors(record)]


def write_record(report_dir: Path | str, record: dict[str, Any]) -> Path:
    """Store one record atomically (redacted) under ``<report_dir>/records/``."""
    return store.write_json(store.record_path(report_dir, record["id"]), record)
