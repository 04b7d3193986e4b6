"""Classification v1: structured facts first, text patterns second, each with its evidence.

The pattern table and the per-class sentences are data (``data/patterns.json``), extendable
with ``[tool.autoheal.classify] patterns = [...]`` in the configuration.
"""

from __future__ import annotations

import errno as _errno
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from .frames import Frame

CLASSES = (
    "dependency",
    "syntax",
    "import",
    "runtime_exception",
    "assertion",
    "timeout",
    "crash",
    "network",
    "permission",
    "resource",
    "config",
    "contract",
    "http_error",
    "js_error",
    "unhandled_rejection",
    "console_error",
    "unknown",
)


@dataclass
class Classification:
    cls: str
    confidence: float
    evidence: list[str] = field(default_factory=list)
    root_cause: str = ""
    suggested_fix: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["class"] = d.pop("cls")
        return d


@dataclass
class Pattern:
    cls: str
    regex: re.Pattern[str]
    confidence: float
    root_cause: str | None = None
    fix: str | None = None
    configured: bool = False


@dataclass
class Facts:
    """What is known of a failure in structured form, from a live exception or parsed text."""

    type: str
    message: str = ""
    bases: tuple[str, ...] = ()
    missing_module: str | None = None
    errno: int | None = None
    http_status: int | None = None
    signal: str | None = None
    hint: str | None = None
    text: str = ""
    where: str = ""
    location: str = ""


@lru_cache(maxsize=1)
def _table() -> dict[str, Any]:
    from importlib import resources

    return json.loads(resources.files("pytest_autoheal").joinpath("data/patterns.json").read_text("utf-8"))


def builtin_patterns() -> list[Pattern]:
    return [_pattern(p) for p in _table()["patterns"]]


def _pattern(p: Mapping[str, Any]) -> Pattern:
    cls = p["class"]
    if not re.fullmatch(r"[a-z][a-z0-9_]*", str(cls)):
        raise ValueError(f"class {cls!r} must be a snake_case name such as {', '.join(CLASSES[:3])}")
    return Pattern(
        cls=cls,
        regex=re.compile(p["regex"]),
        confidence=float(p.get("confidence", 0.7)),
        root_cause=p.get("root_cause"),
        fix=p.get("fix"),
    )


def compile_patterns(extra: Iterable[Mapping[str, Any]] = ()) -> list[Pattern]:
    """Configured patterns first (they are more specific to the project), then the built-in ones."""
    configured = [_pattern(p) for p in extra]
    for p in configured:
        p.configured = True
    return configured + builtin_patterns()


_TIMEOUT_TYPES = {
    "TimeoutError",
    "TimeoutExpired",
    "timeout",
    "ReadTimeout",
    "ConnectTimeout",
    "WriteTimeout",
    "PoolTimeout",
    "TimeoutException",
}
_NETWORK_TYPES = {
    "ConnectionError",
    "ConnectError",
    "NetworkError",
    "URLError",
    "gaierror",
    "RemoteProtocolError",
    "ProtocolError",
    "ConnectionRefusedError",
    "ConnectionResetError",
    "ConnectionAbortedError",
    "MaxRetryError",
}
_RESOURCE_TYPES = {"MemoryError", "RecursionError", "OverflowError"}
_CONTRACT_TYPES = {"ValidationError", "SchemaError", "JSONDecodeError"}
_RUNTIME_TYPES = {
    "KeyError",
    "IndexError",
    "LookupError",
    "TypeError",
    "ValueError",
    "AttributeError",
    "ArithmeticError",
    "ZeroDivisionError",
    "NameError",
    "UnboundLocalError",
    "RuntimeError",
    "NotImplementedError",
    "UnicodeError",
    "FileNotFoundError",
    "FileExistsError",
    "IsADirectoryError",
    "NotADirectoryError",
    "StopIteration",
}
_CONFIG_TYPES = {"ConfigError", "TOMLDecodeError", "UsageError", "ImproperlyConfigured"}
_NETWORK_ERRNO = {_errno.ECONNREFUSED, _errno.ECONNRESET, _errno.ENETUNREACH, _errno.EHOSTUNREACH, _errno.ETIMEDOUT, _errno.ECONNABORTED}
_RESOURCE_ERRNO = {_errno.ENOSPC, _errno.EMFILE, _errno.ENFILE, _errno.ENOMEM, _errno.EDQUOT}
_PERMISSION_ERRNO = {_errno.EACCES, _errno.EPERM, _errno.EROFS}


def facts_from_exception(exc: BaseException) -> Facts:
    from .frames import exception_type_name

    bases = tuple(c.__name__ for c in type(exc).__mro__)
    facts = Facts(type=exception_type_name(exc), message=_safe_str(exc), bases=bases)
    if isinstance(exc, ImportError) and getattr(exc, "name", None) and isinstance(exc, ModuleNotFoundError):
        facts.missing_module = exc.name
    if isinstance(exc, OSError) and exc.errno is not None:
        facts.errno = exc.errno
    facts.http_status = _http_status(exc)
    return facts


def _http_status(exc: BaseException) -> int | None:
    for obj, attr in ((exc, "status_code"), (exc, "status"), (getattr(exc, "response", None), "status_code"), (exc, "code")):
        value = getattr(obj, attr, None) if obj is not None else None
        if isinstance(value, int) and 400 <= value <= 599:
            return value
    return None


def _safe_str(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:
        return f"<unprintable {type(exc).__name__}>"


def facts_from_text(error_type: str, message: str, text: str = "") -> Facts:
    short = error_type.rsplit(".", 1)[-1]
    facts = Facts(type=error_type, message=message, bases=(short,), text=text)
    m = re.search(r"No module named '([\w.]+)'", message)
    if short == "ModuleNotFoundError" and m:
        facts.missing_module = m.group(1)
    m = re.search(r"\[Errno (\d+)\]", message)
    if m:
        facts.errno = int(m.group(1))
    if short in ("PermissionError",):
        facts.errno = facts.errno or _errno.EACCES
    return facts


def _rule(facts: Facts) -> tuple[str, float, str] | None:
    """Structured rules, most specific first. Returns (class, confidence, evidence)."""
    bases = set(facts.bases) | {facts.type.rsplit(".", 1)[-1]}
    if facts.hint:
        return facts.hint, 0.95, f"reported as {facts.hint} by the monitor that saw it"
    if facts.signal:
        return "crash", 0.95, f"process ended by {facts.signal}"
    if bases & {"SyntaxError", "IndentationError", "TabError"}:
        return "syntax", 0.98, f"exception type {facts.type}"
    if facts.missing_module or "ModuleNotFoundError" in bases:
        return "dependency", 0.95, f"ModuleNotFoundError for module '{facts.missing_module or '?'}'"
    if "ImportError" in bases:
        return "import", 0.9, f"exception type {facts.type}"
    if bases & _TIMEOUT_TYPES:
        return "timeout", 0.95, f"exception type {facts.type}"
    if facts.http_status is not None:
        return "http_error", 0.9, f"HTTP status {facts.http_status}"
    if "PermissionError" in bases or facts.errno in _PERMISSION_ERRNO:
        return "permission", 0.95, f"{facts.type} errno {facts.errno}" if facts.errno else f"exception type {facts.type}"
    if bases & _RESOURCE_TYPES or facts.errno in _RESOURCE_ERRNO:
        return "resource", 0.9, f"{facts.type} errno {facts.errno}" if facts.errno else f"exception type {facts.type}"
    if bases & _NETWORK_TYPES or facts.errno in _NETWORK_ERRNO:
        return "network", 0.9, f"{facts.type} errno {facts.errno}" if facts.errno else f"exception type {facts.type}"
    if bases & _CONFIG_TYPES:
        return "config", 0.85, f"exception type {facts.type}"
    if "AssertionError" in bases:
        return "assertion", 0.9, "AssertionError raised by a test expectation"
    if bases & _CONTRACT_TYPES:
        return "contract", 0.8, f"exception type {facts.type}"
    if bases & _RUNTIME_TYPES:
        return "runtime_exception", 0.85, f"exception type {facts.type} raised by the code"
    return None


_GENERIC_FALLBACK = {"Failed": ("assertion", 0.6, "pytest.fail() called by the test")}


def classify(facts: Facts, patterns: Sequence[Pattern] | None = None) -> Classification:
    patterns = builtin_patterns() if patterns is None else patterns
    values: dict[str, str] = {}
    haystack = f"{facts.type}: {facts.message}\n{facts.text}"
    if not facts.hint:
        # The project's own patterns know its failures better than any generic rule.
        for pattern in (p for p in patterns if p.configured):
            m = pattern.regex.search(haystack)
            if m:
                evidence = f"configured pattern /{pattern.regex.pattern[:80]}/ matched: {m.group(0)[:160]!r}"
                return _finish(facts, pattern.cls, pattern.confidence, [evidence], values, pattern)
    ruled = _rule(facts)
    if ruled is None:
        for pattern in (p for p in patterns if not p.configured):
            m = pattern.regex.search(haystack)
            if m:
                values.update({k.rstrip("0123456789"): v for k, v in m.groupdict().items() if v})
                evidence = f"text matched /{pattern.regex.pattern[:80]}/: {m.group(0)[:160]!r}"
                return _finish(facts, pattern.cls, pattern.confidence, [evidence], values, pattern)
        short = facts.type.rsplit(".", 1)[-1]
        if short in _GENERIC_FALLBACK:
            cls, conf, ev = _GENERIC_FALLBACK[short]
            return _finish(facts, cls, conf, [ev], values)
        if facts.type and facts.type not in ("unknown", "Error") and re.match(r"^[A-Za-z_][\w.]*$", facts.type):
            return _finish(facts, "runtime_exception", 0.6, [f"uncaught exception of type {facts.type}"], values)
        return _finish(facts, "unknown", 0.2, ["no rule or pattern matched"], values)
    cls, conf, evidence = ruled
    return _finish(facts, cls, conf, [evidence], values)


class _Default(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "?"


def _finish(
    facts: Facts, cls: str, confidence: float, evidence: list[str], values: dict[str, str], pattern: Pattern | None = None
) -> Classification:
    table = _table()["classes"].get(cls) or _table()["classes"]["unknown"]
    first_line = (facts.message or "").strip().splitlines()[0] if (facts.message or "").strip() else "no message"
    fmt = _Default(
        type=facts.type or "an error",
        message=first_line[:200].rstrip("."),
        module=facts.missing_module or values.get("module", "?"),
        where=facts.where or "the code under test",
        location=facts.location or facts.where or "the failing code",
        status=str(facts.http_status or values.get("status", "?")),
        signal=facts.signal or "?",
    )
    if cls == "dependency" and fmt["module"] == "?":
        m = re.search(r"No module named '([\w.]+)'", facts.message or "")
        if m:
            fmt["module"] = m.group(1)
    root = (pattern.root_cause if pattern and pattern.root_cause else table["root_cause"]).format_map(fmt)
    fix = (pattern.fix if pattern and pattern.fix else table["fix"]).format_map(fmt)
    return Classification(cls=cls, confidence=round(confidence, 2), evidence=evidence, root_cause=root, suggested_fix=fix)


def describe_location(frames: Sequence[Frame]) -> str:
    app = [f for f in frames if f.in_app] or list(frames)
    if not app:
        return ""
    f = app[-1]
    return f"{f.module}.{f.function}" if f.function != "<module>" else f.module
