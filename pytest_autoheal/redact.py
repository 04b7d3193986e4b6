"""The one redactor: every string written by pytest-autoheal passes through :func:`redact`."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from .lazyre import LazyPattern, lazy

REDACTED = "[REDACTED]"

_SECRET_NAME = lazy(
    r"(TOKEN|SECRET|PASSW(OR)?D|PASSPHRASE|API_?KEY|ACCESS_?KEY|PRIVATE|CREDENTIAL|AUTH|SESSION_?KEY|COOKIE|DSN)",
    re.IGNORECASE,
)
# Values this short or this common are not worth masking: masking "1" or "true" would shred text.
_MIN_SECRET_LEN = 6
_BORING_VALUES = {"true", "false", "none", "null", "enabled", "disabled", "github", "bearer"}

# A value that only names what goes there (a placeholder in help text or docs), not a secret.
_NOT_PLACEHOLDER = r"(?!(?i:pass(?:wd|word)?|pwd|secret|token|api[_-]?key|\*+|x{3,}|\.{3})(?![^\s\"',;&@]))(?![<{\[$])"


class _Rule(NamedTuple):
    pattern: LazyPattern
    replacement: str
    # The pattern runs only when the text holds one of these strings...
    triggers: tuple[str, ...]
    # ...and, first, this shorter one that all of them contain.
    gate: str | None = None


# Plain substring tests are far cheaper than a regex pass (or an alternation of the words) over
# a large text, and most text holds none of the triggers. Those of case-sensitive patterns are
# looked for in the text as it is, those of (?i) patterns in its lower-cased copy.
_RULES: list[_Rule] = [
    _Rule(
        lazy(
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[^\"]*?"
            r"(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|(?=\")|\Z)",
            re.DOTALL,
        ),
        "[REDACTED:private-key]",
        ("PRIVATE KEY",),
    ),
    _Rule(lazy(r"\bgithub_pat_[A-Za-z0-9_]{20,}"), "[REDACTED:github-token]", ("github_pat_",)),
    _Rule(lazy(r"\bgh[pousr]_[A-Za-z0-9]{20,}"), "[REDACTED:github-token]", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), gate="gh"),
    _Rule(
        lazy(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b"),
        "[REDACTED:aws-key]",
        ("AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA"),
        gate="A",
    ),
    _Rule(
        lazy(r"(?i)(aws_secret_access_key|aws_session_token)(\s*[=:]\s*[\"']?)[A-Za-z0-9/+=]{20,}"),
        r"\1\2[REDACTED:aws-secret]",
        ("aws_",),
    ),
    _Rule(lazy(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), "[REDACTED:slack-token]", ("xox",)),
    _Rule(lazy(r"\bsk-[A-Za-z0-9_-]{20,}"), "[REDACTED:api-key]", ("sk-",)),
    _Rule(lazy(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), "[REDACTED:jwt]", ("eyJ",)),
    _Rule(
        lazy(r"(?i)\b(bearer|token|basic)(\s+)[A-Za-z0-9._~+/=-]{8,}"),
        r"\1\2[REDACTED:credential]",
        ("bearer", "token", "basic"),
    ),
    _Rule(
        lazy(
            r"(?i)\b(authorization|x-api-key|api[_-]?key|access[_-]?token|password|passwd|secret)(\"?\s*[:=]\s*\"?)"
            + _NOT_PLACEHOLDER
            + r"([^\s\"',;&]{4,})"
        ),
        r"\1\2[REDACTED:credential]",
        ("authorization", "api", "token", "password", "passwd", "secret"),
    ),
    # user:password@ in a URL; help text's placeholders ("scheme://[user:passwd@]proxy", "user:password@host") stay.
    _Rule(
        lazy(r"([a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@\[\]<>{}]+):" + _NOT_PLACEHOLDER + r"([^\s@/\[\]<>{}]+)@"),
        r"\1:[REDACTED:password]@",
        ("://",),
    ),
]


class Redactor:
    """Masks token-shaped strings and the values of secret-named environment variables."""

    def __init__(self, environ: Mapping[str, str] | None = None, extra_values: tuple[str, ...] = ()) -> None:
        env = os.environ if environ is None else environ
        values = {
            value
            for name, value in env.items()
            if _SECRET_NAME.search(name) and len(value) >= _MIN_SECRET_LEN and value.lower() not in _BORING_VALUES
        }
        values.update(v for v in extra_values if len(v) >= _MIN_SECRET_LEN)
        # Also the JSON-escaped form, so masking serialised text finds values with quotes or backslashes.
        values.update(json.dumps(v)[1:-1] for v in list(values))
        # Longest first so a value that contains another is masked whole.
        self._values = sorted(values, key=len, reverse=True)
        self._names = {value: name for name, value in env.items() if value in values}
        self._names.update({json.dumps(v)[1:-1]: n for v, n in list(self._names.items())})

    def text(self, value: str) -> str:
        for secret in self._values:
            if secret in value:
                value = value.replace(secret, f"[REDACTED:{self._names.get(secret, 'secret')}]")
        low: str | None = None
        for rule in _RULES:
            if rule.pattern.case_sensitive:
                text = value
            else:
                text = low = value.lower() if low is None else low
            if rule.gate is not None and rule.gate not in text:
                continue
            if any(word in text for word in rule.triggers):
                value = rule.pattern.sub(rule.replacement, value)
        return value

    def data(self, value: Any) -> Any:
        """Redact every string (keys included) inside JSON-like data."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {self.text(str(k)): self.data(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.data(v) for v in value]
        return value


_default: Redactor | None = None
_default_env_key: int | None = None


_secret_names: dict[str, bool] = {}


def is_secret_name(name: str) -> bool:
    """Whether a variable, key or option named ``name`` holds a secret (``*TOKEN*``, ``*PASSWORD*``, ...)."""
    known = _secret_names.get(name)
    if known is None:
        known = _secret_names[name] = bool(_SECRET_NAME.search(name))
    return known


def _current() -> Redactor:
    global _default, _default_env_key
    # Rebuild when the environment changed (tests and reporters set secrets at run time).
    key = hash(frozenset((k, v) for k, v in os.environ.items() if is_secret_name(k)))
    if _default is None or key != _default_env_key:
        _default = Redactor()
        _default_env_key = key
    return _default


def redact(value: str) -> str:
    """Redact one string with the process environment's secrets."""
    return _current().text(value)


def redact_data(value: Any) -> Any:
    """Redact every string inside JSON-like data with the process environment's secrets."""
    return _current().data(value)


def redact_arguments(value: Any) -> Any:
    """Arguments we pass to a target (a tool's arguments, an argv) as safe to keep.

    Text values under secret-named keys and after secret-named options (``--token X``,
    ``--password=X``) are masked whatever they look like, then every string is redacted.
    """
    return redact_data(_mask_named(value))


def _mask_named(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: (f"[REDACTED:{k}]" if isinstance(v, str) and v and is_secret_name(str(k)) else _mask_named(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        out: list[Any] = []
        hide_next = False
        for item in value:
            if hide_next and isinstance(item, str) and not item.startswith("-"):
                out.append(REDACTED)
                hide_next = False
                continue
            hide_next = False
            if isinstance(item, str) and item.startswith("-") and is_secret_name(item.lstrip("-").split("=", 1)[0]):
                name, eq, _ = item.partition("=")
                out.append(f"{name}={REDACTED}" if eq else item)
                hide_next = not eq
                continue
            out.append(_mask_named(item))
        return out
    return value
