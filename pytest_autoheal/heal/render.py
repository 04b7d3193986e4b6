"""Issue, comment and pull-request bodies from Jinja2 templates, with failure text made harmless.

Text that came from a failure can hold anything: ``@someone``, ``Fixes #1``, HTML, fences.
Inline it is escaped and its mentions and references are broken; blocks go in a code fence
longer than any backtick run inside. Bodies are kept under GitHub's 65,536-character limit.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import jinja2

# GitHub rejects issue, comment and pull-request bodies longer than this (characters).
MAX_BODY_CHARS = 65_536
MAX_TITLE_CHARS = 240
MARKER_PREFIX = "<!-- autoheal:fingerprint="
_MARKER = re.compile(r"<!-- autoheal:fingerprint=([0-9a-f]{8,64})(?: run=(\S+?))? -->")
_OCCURRENCE = re.compile(r"<!-- autoheal:occurrence run=(\S+?) fingerprint=([0-9a-f]{8,64}) -->")
_SEED_RUN_ID = re.compile(r"^\s*Run ID:\s*\[?(\d+)\]?", re.MULTILINE)
_ZWSP = "\u200b"
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]{}|<>#!~])")


def fingerprint_marker(fingerprint: str, run_id: str) -> str:
    return f"{MARKER_PREFIX}{fingerprint} run={_token(run_id)} -->"


def occurrence_marker(fingerprint: str, run_id: str) -> str:
    return f"<!-- autoheal:occurrence run={_token(run_id)} fingerprint={fingerprint} -->"


def parse_marker(body: str | None) -> tuple[str, str | None] | None:
    """``(fingerprint, run id)`` from an issue body heal wrote, else None."""
    m = _MARKER.search(body or "")
    return (m.group(1), m.group(2)) if m else None


def parse_occurrences(body: str | None) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in _OCCURRENCE.finditer(body or "")]


def seed_run_id(body: str | None) -> str | None:
    """The run id of an issue filed in the seed's style (``Run ID: N`` in the body)."""
    m = _SEED_RUN_ID.search(body or "")
    return m.group(1) if m else None


def _token(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9._:-]", "_", str(value))[:120] or "_"


def break_mentions(text: str) -> str:
    """``@name`` and ``#123`` no longer ping or link: a zero-width space follows the sign."""
    text = re.sub(r"@(?=[A-Za-z0-9_-])", "@" + _ZWSP, text)
    return re.sub(r"#(?=\d)", "#" + _ZWSP, text)


def inline(value: Any, limit: int = 300) -> str:
    """Failure text for one line of Markdown: escaped, HTML inert, no mentions, no line breaks."""
    text = " ".join(str(value if value is not None else "").split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    text = text.replace("&", "&amp;")
    text = _INLINE_SPECIAL.sub(lambda m: {"<": "&lt;", ">": "&gt;"}.get(m.group(1), "\\" + m.group(1)), text)
    return break_mentions(text)


def code_block(value: Any, limit: int = 6_000, lang: str = "text") -> str:
    """Failure text as a fenced block whose fence no line inside can close."""
    text = str(value if value is not None else "").replace("\r\n", "\n").rstrip("\n")
    if len(text) > limit:
        keep = max(limit - 60, 0)
        text = text[: keep // 4] + f"\n[... {len(text) - keep} characters cut ...]\n" + text[len(text) - (keep - keep // 4) :]
    text = break_mentions(text)
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{text}\n{fence}"


def safe_url(value: Any) -> str:
    """A link target that cannot break out of ``(...)``: http(s) only, no spaces or brackets."""
    text = str(value or "")
    return text if re.fullmatch(r"https?://[^\s()<>\[\]\"'`]+", text) else "#"


def code_span(value: Any, limit: int = 200) -> str:
    """Failure text as inline code: a backtick run longer than any inside, so it cannot close early."""
    text = " ".join(str(value if value is not None else "").split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    text = break_mentions(text)
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def title_text(value: str, prefix: str = "") -> str:
    """``prefix`` (heal's own words, references kept live) then ``value`` with its mentions broken, within GitHub's length."""
    text = " ".join(f"{prefix}{break_mentions(value)}".split())
    return text if len(text) <= MAX_TITLE_CHARS else text[: MAX_TITLE_CHARS - 1] + "…"


def pr_title(number: int, issue_title: str) -> str:
    """``Fix #N: <what the issue says>``, without a second "Fix" when the issue title already starts with one."""
    what = issue_title.strip()
    what = what[4:] if what[:4].lower() == "fix " else what
    return title_text(what, prefix=f"Fix #{number}: ")


def duplicate_marker(number: int) -> str:
    return f"<!-- autoheal:duplicate-of={number} -->"


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pytest_autoheal.heal", "templates"),
        autoescape=False,
        undefined=jinja2.ChainableUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["md"] = inline
    env.filters["code"] = code_block
    env.filters["tick"] = code_span
    env.filters["url"] = safe_url
    return env


def render(template: str, context: Mapping[str, Any]) -> str:
    """Render a body, shrinking the failure text until it fits GitHub's limit."""
    body = ""
    for block_limit in (6_000, 2_500, 800, 0):
        body = _env().get_template(template).render(**context, block_limit=block_limit)
        if len(body) <= MAX_BODY_CHARS:
            return body
    # The hidden markers at the end are what dedup reads: cut the text before them, never them.
    at = body.rfind("<!-- autoheal:")
    tail = body[at:] if at >= 0 else ""
    note = "\n\n_(cut to fit GitHub's size limit)_\n\n"
    return body[: MAX_BODY_CHARS - len(note) - len(tail)] + note + tail


def reproduce_command(nodeid: str, level: str | None) -> str:
    argv = ["python", "-m", "pytest", nodeid, "-p", "autoheal"]
    if level:
        argv.append(f"--autoheal-level={level}")
    return " ".join(shlex.quote(a) for a in argv)


def issue_title(cluster: Any) -> str:
    rec = cluster.representative
    err = rec.get("error", {})
    test = rec.get("test", {})
    # A test of the user's own that names no target or component is named by its function.
    function = str(test.get("nodeid") or "").split("::")[-1].split("[")[0]
    where = test.get("target") or test.get("component") or function or "platform"
    # The representative's own (redacted) words read better than the template's <n> placeholders; the marker dedups, not the title.
    text = err.get("message") or err.get("message_template") or ""
    first = text.strip().splitlines()[0] if text.strip() else ""
    return title_text(f"Fix {err.get('type', 'failure')} in {where}: {first}".rstrip(": "))


def issue_context(cluster: Any, run: Mapping[str, Any], extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    rec = cluster.representative
    return {
        "cluster": cluster,
        "record": rec,
        "run": run,
        "error": rec.get("error", {}),
        "test": rec.get("test", {}),
        "classification": rec.get("classification", {}),
        "marker": fingerprint_marker(cluster.fingerprint, str(run.get("id", ""))),
        "tests": cluster.tests[:25],
        "more_tests": max(len(cluster.tests) - 25, 0),
        "reproduce": reproduce_command(rec.get("test", {}).get("nodeid", ""), rec.get("test", {}).get("level")),
        **(extra or {}),
    }
