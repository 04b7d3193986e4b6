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
    exit_code: int | None = None
    language: str | None = None  # "js" for JavaScript errors (node, browsers); None for Python
    frames: Sequence[Frame] = ()
    causes: tuple[str, ...] = ()  # "Type: message" of the exceptions it wraps (Python's __cause__, JavaScript's cause)


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
    "Timeout",
}
_NETWORK_TYPES = {
    "ConnectionError",
    "ConnectError",
    "NetworkError",
    "URLError",
    "gaierror",
    "herror",
    "RemoteProtocolError",
    "ProtocolError",
    "ConnectionRefusedError",
    "ConnectionResetError",
    "ConnectionAbortedError",
    "MaxRetryError",
    "NewConnectionError",
    "RemoteDisconnected",
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
_CONFIG_TYPES = {"ConfigError", "TOMLDecodeError", "UsageError", "ImproperlyConfigured", "NoSectionError", "NoOptionError"}
_NETWORK_ERRNO = {
    _errno.ECONNREFUSED,
    _errno.ECONNRESET,
    _errno.ENETUNREACH,
    _errno.EHOSTUNREACH,
    _errno.ECONNABORTED,
    _errno.ENETDOWN,
    _errno.EPIPE,
}
_TIMEOUT_ERRNO = {_errno.ETIMEDOUT}
_RESOURCE_ERRNO = {_errno.ENOSPC, _errno.EMFILE, _errno.ENFILE, _errno.ENOMEM, _errno.EDQUOT}
_PERMISSION_ERRNO = {_errno.EACCES, _errno.EPERM, _errno.EROFS}
_ERRNO_CLASSES = (
    ("network", _NETWORK_ERRNO),
    ("timeout", _TIMEOUT_ERRNO),
    ("permission", _PERMISSION_ERRNO),
    ("resource", _RESOURCE_ERRNO),
)
# getaddrinfo's own codes (socket.gaierror): name or service not known, temporary failure, no address.
_DNS_CODES = {-2, -3, -5, -9}
_JS_ERROR_TYPES = {"Error", "TypeError", "ReferenceError", "RangeError", "EvalError", "URIError", "AggregateError", "InternalError"}
# Errno names as node and libc print them ("connect ECONNREFUSED", "code: 'EACCES'").
_ERRNO_NAME = re.compile(r"\b(E[A-Z]{3,}[A-Z0-9]*)\b")
_ERRNO_NUMBER = re.compile(r"\[Errno (-?\d+)\]")
_HTTP_STATUS_TEXT = re.compile(
    r"\b(?:HTTP(?: Error| error|/\d(?:\.\d)?)?|status(?: code)?|returned error)[ :=]*(?P<status>[45]\d\d)\b"
    r"|\b(?P<status2>[45]\d\d) (?:Client|Server) Error\b|(?:Client|Server) error '(?P<status3>[45]\d\d) "
)
_MISSING_MODULE = re.compile(r"No module named '(?P<m1>[\w.]+)'|Cannot find (?:module|package) '(?P<m2>[^']+)'")
# Wrapped causes: Python's chained exceptions and JavaScript's ``[cause]: Error: ...`` / ``cause: ...``.
_CAUSE = re.compile(r"^\s*(?:\[cause\]|cause):? (?P<cause>[A-Za-z_$][\w$.]*(?: \[\w+\])?: .*)$", re.M)
_JSON_PARSE = re.compile(
    r"in JSON at position|is not valid JSON|Unexpected end of JSON input|JSON\.parse|Expecting (?:value|property name)|JSONDecodeError"
)
# Code that reads configuration: a settings module or function, a config file, the environment.
_CONFIG_CONTEXT = re.compile(
    r"(?i)\b(?:config|configuration|settings|conf|cfg|dotenv)\b|[\w.-]+\.(?:ini|toml|cfg|conf|env|ya?ml)\b|"
    r"(?:load|read|parse|get)_?(?:config|settings|conf)|(?:config|settings|conf)[\w]*\.json\b|pyproject"
)
_CONFIG_LIBRARY = re.compile(r"[/\\](?:configparser|tomllib|tomli|dotenv)[/\\.]")
_ENV_READ = re.compile(r"\bos\.environ\b|\benviron\[|\bgetenv\b|process\.env\b")
_ENV_NAME = re.compile(r"^'?\"?(?P<name>[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{3,})'?\"?$")
_SETTINGS_VALIDATION = re.compile(r"validation errors? for (?P<model>\w*(?:Settings|Config|Configuration|Env)\w*)")


def facts_from_exception(exc: BaseException) -> Facts:
    from .frames import exception_type_name

    bases = tuple(c.__name__ for c in type(exc).__mro__)
    facts = Facts(type=exception_type_name(exc), message=_safe_str(exc), bases=bases)
    if isinstance(exc, ImportError) and getattr(exc, "name", None) and isinstance(exc, ModuleNotFoundError):
        facts.missing_module = exc.name
    if isinstance(exc, OSError) and isinstance(exc.errno, int):
        facts.errno = exc.errno
    facts.http_status = _http_status(exc)
    causes = []
    seen = {id(exc)}
    cause = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    while cause is not None and id(cause) not in seen and len(causes) < 5:
        seen.add(id(cause))
        causes.append(f"{exception_type_name(cause)}: {_safe_str(cause)}")
        if facts.errno is None and isinstance(cause, OSError) and isinstance(cause.errno, int):
            facts.errno = cause.errno
        cause = cause.__cause__ or (None if cause.__suppress_context__ else cause.__context__)
    facts.causes = tuple(causes)
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
    m = _ERRNO_NUMBER.search(message)
    if m:
        facts.errno = int(m.group(1))
    if short in ("PermissionError",):
        facts.errno = facts.errno or _errno.EACCES
    facts.causes = tuple(m.group("cause") for m in _CAUSE.finditer(text))
    return facts


def _errno_of(text: str) -> int | None:
    """An errno named in text (``connect ECONNREFUSED 127.0.0.1:80``, ``code: 'EACCES'``), as a number."""
    for m in _ERRNO_NAME.finditer(text):
        value = getattr(_errno, m.group(1), None)
        if isinstance(value, int):
            return value
    m = _ERRNO_NUMBER.search(text)
    return int(m.group(1)) if m else None


def _frame_context(facts: Facts) -> str:
    """Where the failure happened, as text: the failing lines, function and file names of its frames."""
    return "\n".join(f"{f.file} {f.function} {f.source}" for f in list(facts.frames)[-6:])


def _is_js(facts: Facts) -> bool:
    if facts.language:
        return facts.language == "js"
    files = [f.file for f in facts.frames if f.file]
    return bool(files) and all(re.search(r"\.(?:[cm]?js|[jt]sx?)$|^https?://|^node:", f) for f in files)


def _rule(facts: Facts) -> tuple[str, float, str] | None:
    """Structured rules, most specific first. Returns (class, confidence, evidence)."""
    short = facts.type.rsplit(".", 1)[-1]
    bases = set(facts.bases) | {short}
    js = _is_js(facts)
    wrapped = "\n".join(facts.causes)
    said = f"{facts.message}\n{wrapped}"
    if facts.hint:
        return facts.hint, 0.95, f"reported as {facts.hint} by the monitor that saw it"
    if facts.signal:
        return "crash", 0.95, f"process ended by {facts.signal}"
    if js and short == "SyntaxError" and _JSON_PARSE.search(said + "\n" + _frame_context(facts)):
        return _data_parse(facts, "JSON.parse failed")
    if js and short == "SyntaxError" and re.search(r"does not provide an export named|Cannot use import statement", said):
        return "import", 0.9, f"{facts.type}: the module does not export what is imported"
    if bases & {"SyntaxError", "IndentationError", "TabError"}:
        return "syntax", 0.98, f"exception type {facts.type}"
    module = facts.missing_module or _missing_module(said)
    if module or "ModuleNotFoundError" in bases or short == "ERR_MODULE_NOT_FOUND":
        facts.missing_module = module
        return "dependency", 0.95, f"module '{module or '?'}' is not installed ({facts.type})"
    if "ImportError" in bases:
        return "import", 0.9, f"exception type {facts.type}"
    errno = facts.errno if facts.errno is not None else _errno_of(said)
    if errno is not None and errno < 0 and errno in _DNS_CODES:
        return "network", 0.9, f"{facts.type}: name resolution failed (getaddrinfo {errno})"
    if errno is not None:
        errno = abs(errno)
        name = _errno.errorcode.get(errno, str(errno))
        for cls, codes in _ERRNO_CLASSES:
            if errno in codes:
                return cls, 0.95, f"{facts.type} errno {errno} ({name})" + (" in the error it wraps" if wrapped and name in wrapped else "")
    if bases & _TIMEOUT_TYPES or re.search(r"^(?:TimeoutError|AbortError): .*\btime(?:d )?out\b", wrapped, re.M | re.I):
        return "timeout", 0.95, f"exception type {facts.type}" + (f" wrapping {wrapped.splitlines()[0][:80]}" if wrapped else "")
    if js and re.search(r"operation was aborted due to timeout|timed out after", said, re.I):
        return "timeout", 0.9, f"{facts.type}: {facts.message[:80]}"
    status = facts.http_status or _http_status_in(said)
    if status is not None:
        facts.http_status = status
        return "http_error", 0.9, f"HTTP status {status}"
    if "PermissionError" in bases:
        return "permission", 0.95, f"exception type {facts.type}"
    if bases & _NETWORK_TYPES or (js and re.search(r"\bfetch failed\b", facts.message)):
        return "network", 0.9, f"exception type {facts.type}" + (f" ({facts.message[:60]})" if js else "")
    if bases & _RESOURCE_TYPES or (js and short == "RangeError" and "call stack size" in facts.message):
        return "resource", 0.9, f"exception type {facts.type}"
    if short == "ConsoleError":
        return "console_error", 0.85, "an error logged with console.error"
    config = _config_evidence(facts, bases, said)
    if config:
        return "config", 0.85, config
    if "AssertionError" in bases or short.startswith("AssertionError"):
        return "assertion", 0.9, "AssertionError raised by a test expectation"
    if bases & _CONTRACT_TYPES:
        if "JSONDecodeError" in bases:
            return _data_parse(facts, f"exception type {facts.type}")
        return "contract", 0.8, f"exception type {facts.type}"
    if js and (short in _JS_ERROR_TYPES or short.endswith("Error")):
        return "js_error", 0.85, f"JavaScript {facts.type} thrown by the code"
    if bases & _RUNTIME_TYPES:
        return "runtime_exception", 0.85, f"exception type {facts.type} raised by the code"
    return None


def _missing_module(text: str) -> str | None:
    m = _MISSING_MODULE.search(text)
    return (m.group("m1") or m.group("m2")) if m else None


def _http_status_in(text: str) -> int | None:
    m = _HTTP_STATUS_TEXT.search(text)
    if not m:
        return None
    return int(m.group("status") or m.group("status2") or m.group("status3"))


def _data_parse(facts: Facts, evidence: str) -> tuple[str, float, str]:
    """Text that does not parse as JSON: a configuration file read at start-up, else a peer's answer (a contract)."""
    where = _frame_context(facts) + "\n" + _source_excerpt(facts.text)
    m = _CONFIG_CONTEXT.search(where)
    if m:
        return "config", 0.85, f"{evidence} while reading configuration ({m.group(0)!r})"
    return "contract", 0.8, evidence


def _source_excerpt(text: str) -> str:
    """The source lines a traceback or a node error shows (not its frames' locations)."""
    return "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith(("at ", "File ")))


def _config_evidence(facts: Facts, bases: set[str], said: str) -> str | None:
    short = facts.type.rsplit(".", 1)[-1]
    named = re.search(r"(?:Config|Configuration|Settings)(?:Error|Exception)$", short)
    if bases & _CONFIG_TYPES or facts.type.startswith("configparser.") or named:
        return f"exception type {facts.type}"
    if bases & {"KeyError", "LookupError"} and facts.frames and _CONFIG_LIBRARY.search(facts.frames[-1].file):
        return f"{facts.type} raised by {facts.frames[-1].file.rsplit('/', 1)[-1]} reading configuration"
    if "KeyError" in bases:
        key = _ENV_NAME.match(facts.message.strip())
        context = _frame_context(facts) + "\n" + _source_excerpt(facts.text)
        if key and _ENV_READ.search(context):
            return f"KeyError for environment variable {key.group('name')} read from the environment"
    m = _SETTINGS_VALIDATION.search(said)
    if m:
        return f"{facts.type}: the settings model {m.group('model')} rejected its values"
    m = re.search(r"(?i)\b(?:environment variable|env var)\b[^\n]{0,60}\b(?:not set|missing|required|undefined|empty)\b", said)
    if m:
        return f"{facts.type}: {m.group(0)[:80]}"
    return None


_GENERIC_FALLBACK = {"Failed": ("assertion", 0.6, "pytest.fail() called by the test")}
# Failures that are not exceptions: a step's exit status, a process's end. Only their text can say more.
_NOT_EXCEPTIONS = {"StepFailure", "CommandFailure", "ProcessExit", "ProcessError", "TestFailure", "unknown", "Error", ""}


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
        if short not in _NOT_EXCEPTIONS and re.match(r"^[A-Za-z_][\w.]*$", facts.type):
            return _finish(facts, "runtime_exception", 0.6, [f"uncaught exception of type {facts.type}"], values)
        if facts.exit_code is not None:
            return _finish(facts, "unknown", 0.25, [f"exit code {facts.exit_code} and no error the rules know in the output"], values)
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
