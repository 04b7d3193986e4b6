"""The TAP that ``node --test --test-reporter=tap`` prints, read into one result per test."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_RESULT = re.compile(r"^(?P<indent>\s*)(?P<ok>ok|not ok) (?P<n>\d+)(?: - (?P<name>.*?))?(?: # (?P<directive>SKIP|TODO)\b.*)?$")
_KEY = re.compile(r"^(?P<key>[A-Za-z_][\w]*):(?: (?P<value>.*))?$")


@dataclass
class NodeTest:
    """One test of a ``node --test`` run."""

    name: str
    ok: bool
    skipped: bool = False
    todo: bool = False
    parents: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return " > ".join([*self.parents, self.name])

    @property
    def failed(self) -> bool:
        return not self.ok and not self.todo

    @property
    def location(self) -> str:
        return str(self.details.get("location", ""))

    @property
    def error_type(self) -> str:
        name = str(self.details.get("name") or "")
        if name and re.match(r"^[A-Za-z_$][\w$.]*$", name):
            return name
        return "Error" if self.details.get("failureType") != "testTimeoutFailure" else "TimeoutError"

    @property
    def message(self) -> str:
        return str(self.details.get("error", "")).strip() or "test failed"

    @property
    def stack(self) -> str:
        return str(self.details.get("stack", ""))


def parse_tap(text: str) -> tuple[list[NodeTest], dict[str, str]]:
    """Leaf tests (suites left out; their names become ``parents``) and the ``# key value`` summary."""
    lines = text.splitlines()
    found: list[tuple[int, NodeTest]] = []
    summary: dict[str, str] = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        m = _RESULT.match(line)
        if m:
            indent = len(m.group("indent"))
            directive = m.group("directive") or ""
            test = NodeTest(
                name=_unescape(m.group("name") or f"test {m.group('n')}"),
                ok=m.group("ok") == "ok",
                skipped=directive == "SKIP",
                todo=directive == "TODO",
            )
            if i + 1 < len(lines) and lines[i + 1].strip() == "---":
                test.details, i = _yaml_block(lines, i + 2, indent + 2)
            found.append((indent, test))
        elif not line.startswith(" ") and line.startswith("# "):
            parts = line[2:].split(" ", 1)
            if len(parts) == 2 and parts[0] in ("tests", "suites", "pass", "fail", "cancelled", "skipped", "todo", "duration_ms"):
                summary[parts[0]] = parts[1].strip()
        i += 1
    return _leaves(found), summary


def _leaves(found: list[tuple[int, NodeTest]]) -> list[NodeTest]:
    # node prints a suite's children before the suite's own result line, indented four more spaces.
    stack: list[tuple[int, NodeTest, list[NodeTest]]] = []
    for indent, test in found:
        children: list[tuple[int, NodeTest, list[NodeTest]]] = []
        while stack and stack[-1][0] > indent:
            children.append(stack.pop())
        if not children:
            stack.append((indent, test, [test]))
            continue
        under = [leaf for _, _, leaves in reversed(children) for leaf in leaves]
        for leaf in under:
            leaf.parents.insert(0, test.name)
        stack.append((indent, test, under))
    return [leaf for _, _, leaves in stack for leaf in leaves]


def _yaml_block(lines: list[str], start: int, indent: int) -> tuple[dict[str, Any], int]:
    """The small YAML subset node writes under a result: scalars and ``|-`` blocks."""
    details: dict[str, Any] = {}
    i = start
    while i < len(lines):
        raw = lines[i]
        if raw.strip() == "..." and len(raw) - len(raw.lstrip()) <= indent:
            return details, i
        body = raw[indent:] if raw[:indent].strip() == "" else raw.strip()
        m = _KEY.match(body)
        if m and not raw[indent : indent + 1].isspace():
            key, value = m.group("key"), (m.group("value") or "").strip()
            if value in ("|-", "|", ">-", ">"):
                block: list[str] = []
                i += 1
                while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent):
                    block.append(lines[i][indent + 2 :])
                    i += 1
                details[key] = "\n".join(block).rstrip()
                continue
            details[key] = _scalar(value)
        i += 1
    return details, i


def _scalar(value: str) -> Any:
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1].replace("''", "'")
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    try:
        return float(value) if "." in value else int(value)
    except ValueError:
        return value


def _unescape(name: str) -> str:
    return re.sub(r"\\(.)", r"\1", name)
