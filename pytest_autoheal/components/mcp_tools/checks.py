"""Calling a tool and judging its answer: protocol errors, crash evidence, output-schema violations
and server exits are the tool's bugs; an ``is_error`` answer to generated arguments with no crash
evidence in that call's own stderr window is the tool rejecting our inputs (a validation answer)."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator
from mcp import MCPError

from ... import trail
from ...errors import TargetFailure
from .client import Connection, McpSession
from .discovery import ServedTool
from .dispatch import error_message

# What a crash looks like in a tool's error text (Python, Node, and the MCP SDK's crash answer).
CRASH_PATTERNS = [
    re.compile(p)
    for p in (
        r"Traceback \(most recent call last\)",
        r"^Error executing tool [\w.\-/]+$",
        r"\b(?:ZeroDivision|Key|Index|Attribute|Type|Name|UnboundLocal|Recursion|Assertion|NotImplemented|Lookup)Error\b",
        r"\b(?:RuntimeError|SystemError|MemoryError|OverflowError)\b",
        r"Cannot read propert(?:y|ies) of (?:undefined|null)",
        r"\bis not a function\b",
        r"^\s+at .+\(.+:\d+:\d+\)$",
        r"\bsegmentation fault\b",
    )
]


# "Error:", "error:", and up to two words before it ("Database error:", "SQL ERROR:").
DECLARED_ERROR = re.compile(r"(?:[A-Za-z][\w-]* ){0,2}error\s*:", re.I)


@dataclass
class CallOutcome:
    tool: str
    arguments: dict[str, Any]
    source: str  # "example" or "generated"
    seconds: float
    is_error: bool = False
    text: str = ""
    structured: Any = None
    validation_answer: str | None = None
    error_answer: str | None = None
    failure: TargetFailure | None = None
    extras: dict[str, Any] = field(default_factory=dict)


_CAUSE_SEPARATOR = "The above exception was the direct cause of the following exception:"


def one_traceback(text: str, start: int) -> str:
    """The traceback beginning at ``start``, up to its exception line (log lines after it dropped)."""
    lines = text[start:].splitlines()
    for i, line in enumerate(lines[1:], 1):
        if line and not line[0].isspace() and not line.startswith(("Traceback", "During handling", "The above exception")) and lines[i - 1]:
            return "\n".join(lines[: i + 1])
    return "\n".join(lines)


def root_cause(stderr: str, about: str | None = None) -> str:
    """The traceback in ``stderr`` (the last one, or the first after a mention of ``about``),
    cut to its original exception when it is chained.

    Servers wrap a tool's exception in their own (the MCP SDK raises ``UnexpectedToolError``
    from it); the record should name the tool's bug, not the wrapper.
    """
    marker = "Traceback (most recent call last)"
    if about is not None:
        mention = stderr.find(about)
        start = stderr.find(marker, mention) if mention >= 0 else -1
    else:
        start = stderr.rfind(marker)
        # A chained traceback's last block is the wrapper; step back to the first block of the chain.
        while start > 0 and stderr[:start].rstrip().endswith(_CAUSE_SEPARATOR):
            start = stderr.rfind(marker, 0, start)
    if start < 0:
        return ""
    return one_traceback(stderr, start)


def result_text(result: Any) -> str:
    return "\n".join(getattr(c, "text", "") or "" for c in (result.content or []))


def looks_like_crash(text: str) -> str | None:
    """The crash evidence in a tool's error text, or None."""
    for pattern in CRASH_PATTERNS:
        match = pattern.search(text) if pattern.flags & re.M else re.search(pattern.pattern, text, re.M)
        if match:
            return match.group(0).strip()
    return None


def crash_evidence(text: str, stderr: str, exit_code: int | None = None) -> str | None:
    """What shows that the call crashed: crash text in the answer or in the call's own stderr window, or the server's exit."""
    if exit_code is not None:
        return f"the server exited with code {exit_code}"
    return looks_like_crash(text) or looks_like_crash(stderr)


def declared_error(text: str, structured: Any) -> str | None:
    """The error a successful answer declares: a top-level ``error`` in its structured or JSON text content,
    or text that starts ``Error:`` (also qualified, as ``Database error:``)."""
    for data in (structured, _json_object(text)):
        if isinstance(data, dict) and data.get("error") not in (None, "", False, [], {}):
            value = data["error"]
            return (value if isinstance(value, str) else json.dumps(value, default=str))[:500]
        # {"status": "error", "message": ...}, also in a dispatcher's {"result": ...} envelope.
        stated = error_message(data)
        if stated is not None:
            return stated[:500]
    stripped = text.lstrip()
    if DECLARED_ERROR.match(stripped):
        return stripped[:500]
    return None


def _json_object(text: str) -> Any:
    stripped = text.strip()
    if not stripped.startswith("{"):
        return None
    try:
        return json.loads(stripped)
    except ValueError:
        return None


def answer_summary(result: Any) -> str:
    """The answer in a few words for the trail: its text, else its structured content, else the kinds of its content."""
    text = result_text(result).strip()
    if text:
        return text
    if result.structured_content is not None:
        return json.dumps(result.structured_content, default=str)
    kinds = [getattr(c, "type", "?") for c in (result.content or [])]
    return f"[{', '.join(kinds)}]" if kinds else "(empty)"


def call_tool(session: McpSession, tool: ServedTool, arguments: dict[str, Any], source: str) -> CallOutcome:
    """Call ``tool`` once and judge the answer; never raises for the tool's behaviour."""
    cfg = session.target.cfg
    conn = session.conn
    offset = conn.stderr_size() if conn else 0
    started = time.monotonic()
    from ...redact import redact_arguments

    extras: dict[str, Any] = {
        "tool": tool.name,
        "category": tool.category,
        "arguments": redact_arguments(arguments),
        "argument_source": source,
    }
    outcome = CallOutcome(tool.name, arguments, source, 0.0, extras=extras)

    name, wire_arguments = tool.request(arguments)

    async def _call(c: Connection) -> Any:
        return await c.session.call_tool(name, wire_arguments, read_timeout_seconds=cfg.call_timeout)

    try:
        result = session.run(_call, cfg.call_timeout + 10)
    except BaseException as exc:
        outcome.seconds = time.monotonic() - started
        outcome.failure = _call_exception(session, tool, exc, offset, extras)
        outcome.failure.subject = tool.name
        trail.tool_call(tool.name, arguments, seconds=outcome.seconds, error=outcome.failure.summary)
        return outcome
    outcome.seconds = time.monotonic() - started
    outcome.is_error = bool(result.is_error)
    outcome.text = result_text(result)
    outcome.structured = result.structured_content
    trail.tool_call(tool.name, arguments, seconds=outcome.seconds, is_error=outcome.is_error, answer=answer_summary(result))
    crashed = outcome.is_error and looks_like_crash(outcome.text) is not None
    stderr = call_window(conn, offset, settle=outcome.is_error or "Traceback" in outcome.text, wait_for="Traceback" if crashed else None)
    extras["server_stderr_tail"] = stderr[-4000:]
    _judge(outcome, tool, result, stderr, source, cfg, conn)
    if outcome.failure is not None:
        outcome.failure.subject = tool.name
    return outcome


def call_window(conn: Connection | None, offset: int, *, settle: bool, wait_for: str | None = None, wait: float = 1.0) -> str:
    """This call's stderr window: from where the server's stderr stood when the call began to where it stands now.

    After a failed call the window closes only once the server has stopped writing, and after a crash
    answer only once its traceback is there (or ``wait`` seconds passed): servers often log it after
    answering, and it must be this call's, never the next call's.
    """
    if conn is None:
        return ""
    text = conn.stderr_between(offset, conn.settled_size() if settle else conn.stderr_size())
    deadline = time.monotonic() + wait
    while wait_for and wait_for not in text and time.monotonic() < deadline:
        time.sleep(0.05)
        text = conn.stderr_between(offset, conn.settled_size())
    return text


def tool_traceback(stderr: str, tool: str) -> str:
    """The traceback in a call's window: the one after a line naming the tool, else the window's own."""
    if f"'{tool}'" in stderr or f" {tool} " in stderr:
        found = root_cause(stderr, about=f"'{tool}'" if f"'{tool}'" in stderr else f" {tool} ")
        if found:
            return found
    return root_cause(stderr)


def _judge(outcome: CallOutcome, tool: ServedTool, result: Any, stderr: str, source: str, cfg: Any, conn: Connection | None) -> None:
    extras = outcome.extras
    if result.is_error:
        exited = conn.returncode if conn is not None and conn.process is not None else None
        evidence = crash_evidence(outcome.text, stderr, exited)
        if evidence:
            summary = f"tool {tool.name} crashed: {outcome.text[:200]}"
            outcome.failure = TargetFailure.from_output(
                summary,
                tool_traceback(stderr, tool.name) if "Traceback" in stderr else outcome.text,
                default_type="ToolCrash",
                stderr=stderr,
                extras=extras,
            )
            if outcome.failure.error_type != "ToolCrash":
                said = " ".join(outcome.failure.message.split())[:200]
                outcome.failure.summary = f"tool {tool.name} crashed with {outcome.failure.error_type}: {said}"
            if outcome.failure.error_type == "ToolCrash":
                outcome.failure.message = outcome.text[:500]
        elif source == "example" or cfg.validation_answers == "fail":
            why = "its configured example" if source == "example" else "arguments valid for its input schema"
            summary = f"tool {tool.name} returned an error for {why}: {outcome.text[:200]}"
            outcome.failure = TargetFailure(summary, error_type="ToolError", message=outcome.text[:500], stderr=stderr, extras=extras)
        else:
            outcome.validation_answer = outcome.text[:500]
        return
    if "Traceback (most recent call last)" in outcome.text:
        summary = f"tool {tool.name} answered with a traceback in a successful result"
        outcome.failure = TargetFailure.from_output(summary, outcome.text, default_type="ToolCrash", stderr=stderr, extras=extras)
        return
    if tool.output_schema is not None:
        problem = output_schema_problem(tool.output_schema, result.structured_content)
        if problem:
            summary = f"tool {tool.name} broke its output schema: {problem}"
            outcome.failure = TargetFailure(summary, error_type="OutputSchemaViolation", message=problem, extras=extras, hint="contract")
            return
    declared = declared_error(outcome.text, outcome.structured)
    if declared is not None and crash_evidence(declared, stderr):
        # An error answer that is a crash (a dispatcher's {"status": "error"} around the tool's exception) is one.
        summary = f"tool {tool.name} crashed: {declared[:200]}"
        outcome.failure = TargetFailure.from_output(
            summary, root_cause(stderr) if "Traceback" in stderr else declared, default_type="ToolCrash", stderr=stderr, extras=extras
        )
        if outcome.failure.error_type == "ToolCrash":
            outcome.failure.message = declared[:500]
    elif declared is not None:
        if cfg.error_answers == "fail":
            summary = f"tool {tool.name} answered isError: false with content that declares an error: {declared[:200]}"
            outcome.failure = TargetFailure(
                summary, error_type="ToolErrorAnswer", message=declared, stderr=stderr, extras=extras, hint="contract"
            )
        else:
            outcome.error_answer = declared


def output_schema_problem(schema: dict[str, Any], structured: Any) -> str | None:
    if structured is None:
        return "declares an output schema but returned no structured content"
    error = next(iter(Draft202012Validator(schema).iter_errors(structured)), None)
    return None if error is None else f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"


def _call_exception(session: McpSession, tool: ServedTool, exc: BaseException, offset: int, extras: dict[str, Any]) -> TargetFailure:
    conn = session.conn
    cfg = session.target.cfg
    code = conn.returncode if conn else None
    if code is None and conn is not None and conn.process is not None:
        # The process may need a moment to be reaped after closing its pipes.
        for _ in range(50):
            if conn.returncode is not None:
                break
            time.sleep(0.02)
        code = conn.returncode
    stderr = call_window(conn, offset, settle=True)
    extras["server_stderr_tail"] = stderr[-4000:]
    if code is not None:
        extras["exit_code"] = code
        summary = f"MCP server exited with code {code} during tools/call {tool.name}"
        failure = TargetFailure.from_exit(
            "MCP server", stderr, code=code, default_type="ServerExited", message=summary, stderr=stderr, extras=extras
        )
        failure.summary = summary + (f": {failure.summary.split(': ', 1)[1]}" if ": " in failure.summary else "")
        return failure
    if isinstance(exc, MCPError):
        extras["error_code"] = exc.code
        if exc.code == -32001 or "timed out" in str(exc).lower():
            summary = f"tool {tool.name} did not answer within {cfg.call_timeout:g}s"
            return TargetFailure(summary, error_type="ToolTimeout", message=summary, stderr=stderr, extras=extras, hint="timeout")
        summary = f"tool {tool.name} answered with protocol error {exc.code}: {exc}"
        return TargetFailure(summary, error_type="MCPError", message=str(exc), stderr=stderr, extras=extras, hint="contract")
    if isinstance(exc, TimeoutError):
        summary = f"tool {tool.name} did not answer within {cfg.call_timeout:g}s"
        return TargetFailure(summary, error_type="ToolTimeout", message=summary, stderr=stderr, extras=extras, hint="timeout")
    if isinstance(exc, RuntimeError) and ("output schema" in str(exc).lower() or "structured content" in str(exc).lower()):
        summary = f"tool {tool.name} broke its output schema: {exc}"
        return TargetFailure(summary, error_type="OutputSchemaViolation", message=str(exc), stderr=stderr, extras=extras, hint="contract")
    summary = f"tools/call {tool.name} failed: {type(exc).__name__}: {exc}"
    return TargetFailure(summary, error_type=type(exc).__name__, message=str(exc), stderr=stderr, extras=extras)


def arguments_for(tool: ServedTool, examples: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    """The configured examples of a tool, else one set of minimal arguments from its schema."""
    from .arguments import minimal_arguments

    configured = examples.get(tool.name)
    if configured is not None:
        return [(dict(e), "example") for e in (configured if isinstance(configured, list) else [configured])]
    return [(minimal_arguments(tool.input_schema), "generated")]
