"""MCP client sessions: a stdio or streamable-HTTP connection held open for a whole worker.

The SDK is async; pytest is not. An :class:`McpSession` runs one event loop in a thread and
keeps one connection in it, so every test of a worker talks to the same server process.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import anyio
import mcp_types
from mcp import ClientSession, MCPError, types
from mcp.shared.message import SessionMessage

from ... import http
from ...errors import TargetFailure, last_words, missing_program, signal_name
from .target import McpTarget

T = TypeVar("T")
STDERR_TAIL = 8_000
_STOP_GRACE = 2.0


@dataclass
class Connection:
    """One live client session and what we know about the server behind it."""

    session: ClientSession
    target: McpTarget
    stderr_path: Path | None = None
    process: Any = None
    garbage: list[str] = field(default_factory=list)
    init: types.InitializeResult | None = None
    # Where the server's start-up output ends in its stderr (the handshake, then the first tools/list).
    startup_end: int | None = None

    @property
    def pid(self) -> int | None:
        return getattr(self.process, "pid", None)

    @property
    def returncode(self) -> int | None:
        return getattr(self.process, "returncode", None)

    def stderr_size(self) -> int:
        try:
            return self.stderr_path.stat().st_size if self.stderr_path else 0
        except OSError:
            return 0

    def startup_stderr(self, limit: int = STDERR_TAIL) -> str:
        """What the server wrote to stderr while it started: its window, not the calls' that came later."""
        end = self.startup_end if self.startup_end is not None else self.stderr_size()
        return self.stderr_between(0, end, limit)

    def stderr_between(self, start: int, end: int, limit: int = STDERR_TAIL) -> str:
        """The server's stderr from ``start`` to ``end`` (its last ``limit`` bytes): one call's or the start-up's window."""
        if self.stderr_path is None or end <= start:
            return ""
        try:
            with open(self.stderr_path, "rb") as fh:
                fh.seek(max(start, end - limit))
                return fh.read(end - max(start, end - limit)).decode("utf-8", errors="backslashreplace")
        except OSError:
            return ""

    def settled_size(self, quiet: float = 0.15, wait: float = 1.5) -> int:
        """The stderr size once the server has stopped writing for ``quiet`` seconds (it logs a failure after answering)."""
        deadline = time.monotonic() + wait
        size = self.stderr_size()
        while time.monotonic() < deadline:
            time.sleep(quiet)
            now = self.stderr_size()
            if now == size:
                break
            size = now
        return size

    def stderr_since(self, offset: int = 0, limit: int = STDERR_TAIL) -> str:
        """The server's stderr written after ``offset`` (its tail, at most ``limit`` bytes)."""
        if self.stderr_path is None:
            return ""
        try:
            with open(self.stderr_path, "rb") as fh:
                fh.seek(max(offset, self.stderr_size() - limit))
                return fh.read().decode("utf-8", errors="backslashreplace")
        except OSError:
            return ""


@asynccontextmanager
async def _stdio_streams(target: McpTarget, stderr_path: Path, garbage: list[str]) -> AsyncIterator[tuple[Any, Any, Any]]:
    from ...runner import child_env

    # No bytecode caches written into the platform's tree by the server we start (the config may say otherwise).
    env = child_env({"PYTHONDONTWRITEBYTECODE": "1", **target.env, "PYTHONUNBUFFERED": "1"}, inherit=False)
    with open(stderr_path, "ab") as errlog:
        try:
            process = await anyio.open_process(target.argv, env=env, cwd=target.cwd, stderr=errlog, start_new_session=True)
        except FileNotFoundError:
            missing = target.argv[0] if target.cwd is None or Path(target.cwd).is_dir() else str(target.cwd)
            setting = "[tool.autoheal.mcp] command" if missing == target.argv[0] else "[tool.autoheal.mcp] cwd"
            raise missing_program(
                "MCP server could not be started",
                missing,
                setting,
                message=f"cannot start {missing}: not found",
                extras={"argv": target.argv},
                **START,
            ) from None
        except OSError as exc:
            raise TargetFailure(
                f"MCP server could not be started: {exc.strerror or exc}: {target.argv[0]}",
                error_type=type(exc).__name__,
                message=f"cannot start {target.argv[0]}: [Errno {exc.errno}] {exc.strerror or exc}",
                extras={"argv": target.argv},
                **START,
            ) from None
    read_w, read_r = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    write_w, write_r = anyio.create_memory_object_stream[SessionMessage](0)

    async def reader() -> None:
        buffer = b""
        async with read_w:
            with contextlib.suppress(anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream):
                async for chunk in process.stdout:
                    *lines, buffer = (buffer + chunk).split(b"\n")
                    for raw in lines:
                        line = raw.decode("utf-8", errors="replace").strip()
                        if not line:
                            continue
                        try:
                            message = mcp_types.jsonrpc_message_adapter.validate_json(line, by_name=False)
                        except ValueError:
                            # Not JSON-RPC: kept as evidence; the session never sees it.
                            garbage.append(line[:300])
                            continue
                        await read_w.send(SessionMessage(message))

    async def writer() -> None:
        try:
            async with write_r:
                async for item in write_r:
                    data = item.message.model_dump_json(by_alias=True, exclude_unset=True) + "\n"
                    await process.stdin.send(data.encode())
        except (anyio.ClosedResourceError, anyio.BrokenResourceError, OSError):
            await read_w.aclose()

    async with anyio.create_task_group() as tg:
        tg.start_soon(reader)
        tg.start_soon(writer)
        try:
            yield read_r, write_w, process
        finally:
            with anyio.CancelScope(shield=True):
                await _stop(process)
            tg.cancel_scope.cancel()


async def _stop(process: Any) -> None:
    """Close stdin, give the server a moment, then end its whole process group."""
    with contextlib.suppress(Exception):
        await process.stdin.aclose()
    deadline = time.monotonic() + _STOP_GRACE
    while process.returncode is None and time.monotonic() < deadline:
        await anyio.sleep(0.02)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)
        deadline = time.monotonic() + _STOP_GRACE
        while process.returncode is None and time.monotonic() < deadline:
            await anyio.sleep(0.02)
        if process.returncode is not None:
            break
    with contextlib.suppress(Exception):
        await process.stdout.aclose()


@asynccontextmanager
async def connect(target: McpTarget, *, label: str = "session") -> AsyncIterator[Connection]:
    """A connected, initialised session; the server (for stdio) is stopped on exit."""
    timeout = target.cfg.startup_timeout
    call_timeout = target.cfg.call_timeout
    async with contextlib.AsyncExitStack() as stack:
        if target.url:
            from mcp.client.streamable_http import streamable_http_client

            read, write = await stack.enter_async_context(streamable_http_client(target.url))
            conn_process, stderr_path, garbage = None, None, []
        else:
            target.log_dir.mkdir(parents=True, exist_ok=True)
            stderr_path = target.log_dir / f"mcp-server-{label}-{os.getpid()}-{time.monotonic_ns()}.stderr.log"
            garbage: list[str] = []
            read, write, conn_process = await stack.enter_async_context(_stdio_streams(target, stderr_path, garbage))
        # The handshake and tools/list may take as long as start-up does; each tool call passes its own call_timeout.
        session = await stack.enter_async_context(ClientSession(read, write, read_timeout_seconds=max(timeout, call_timeout)))
        conn = Connection(session, target, stderr_path, conn_process, garbage)
        try:
            with anyio.fail_after(timeout):
                conn.init = await session.initialize()
        except anyio.get_cancelled_exc_class():
            # Cancelled from outside (its task group failed): the failure that caused it is the evidence, not this.
            raise
        except BaseException as exc:
            await _settle(conn)
            raise await anyio.to_thread.run_sync(handshake_failure, conn, exc, timeout) from None
        conn.startup_end = conn.stderr_size()
        yield conn


async def _settle(conn: Connection, wait: float = 1.0) -> None:
    """Give a server whose pipe just closed a moment to be reaped, so its exit code is known."""
    deadline = time.monotonic() + wait
    while conn.process is not None and conn.returncode is None and time.monotonic() < deadline:
        await anyio.sleep(0.02)


# A server that does not start fails every test that needs it: one bug, recorded once.
START: dict[str, Any] = {"subject": "start-up", "component": "mcp_tools", "shared": True}
_INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 0,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "pytest-autoheal", "version": "1"}},
}


def handshake_failure(conn: Connection, exc: BaseException, timeout: float) -> TargetFailure:
    """What went wrong before the server finished ``initialize``, in the server's terms (its exit, its output, its HTTP answer).

    A server that exited is described by its exit (signal or code) and the error it did not
    handle; what it wrote to stdout is noted beside, not taken for the cause.
    """
    exc = _unwrap(exc)
    if isinstance(exc, TargetFailure):
        return exc
    if conn.target.url:
        return url_failure(conn.target, exc)
    stderr = conn.stderr_since(0)
    code = conn.returncode
    extras: dict[str, Any] = {"server": conn.target.name, "exit_code": code, "stdout_garbage": conn.garbage[:10]}
    if code is not None:
        return exit_failure(stderr, code, "before completing the handshake", extras)
    if conn.garbage:
        summary = f"MCP server wrote non-JSON-RPC text to stdout instead of answering initialize: {conn.garbage[0][:120]!r}"
        return TargetFailure(summary, error_type="ProtocolError", message=summary, stderr=stderr, extras=extras, hint="contract", **START)
    if isinstance(exc, TimeoutError) or (isinstance(exc, MCPError) and exc.code == types.REQUEST_TIMEOUT):
        said = f"; it last wrote: {last_words(stderr)}" if stderr.strip() else ""
        summary = f"MCP server did not answer initialize within {timeout:g}s{said}"
        return TargetFailure(
            summary,
            error_type="HandshakeTimeout",
            message=f"MCP server did not answer initialize within {timeout:g}s",
            stderr=stderr,
            extras=extras,
            hint="timeout",
            reason=f"no answer to initialize within {timeout:g}s while the server kept running",
            **START,
        )
    summary = f"MCP handshake failed: {type(exc).__name__}: {exc}"
    return TargetFailure(summary, error_type=type(exc).__name__, message=str(exc), stderr=stderr, extras=extras, **START)


def url_failure(target: McpTarget, exc: BaseException) -> TargetFailure:
    """Why a streamable-HTTP server could not be talked to, from one plain request to its URL: refused, no answer, or its status."""
    timeout = min(5.0, max(target.cfg.startup_timeout, 0.5))
    headers = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
    probe = http.post(target.url or "", json=_INITIALIZE, headers=headers, timeout=timeout)
    extras: dict[str, Any] = {"url": target.url, "probe": probe.to_dict(), "client_error": f"{type(exc).__name__}: {exc}"[:500]}
    if probe.status is None:
        timed_out = probe.error_type == "TimeoutError"
        return TargetFailure(
            f"MCP server at {target.url} could not be reached: {probe.error}",
            error_type=probe.error_type or "ConnectError",
            message=f"POST {target.url} failed: {probe.error}",
            extras=extras,
            hint="timeout" if timed_out else "network",
            reason=f"POST {target.url} " + ("got no answer in time" if timed_out else f"failed: {probe.error}"),
            **START,
        )
    if probe.status >= 400:
        said = probe.gist()
        return TargetFailure(
            f"MCP server at {target.url} answered initialize with HTTP {probe.status}" + (f": {said}" if said else ""),
            error_type="HTTPError",
            message=f"POST {urlsplit(target.url or '').path or '/'} answered {probe.status}",
            http_status=probe.status,
            extras=extras,
            **START,
        )
    summary = f"MCP handshake with {target.url} failed: {type(exc).__name__}: {exc}"
    return TargetFailure(summary, error_type=type(exc).__name__, message=str(exc), extras=extras, **START)


def startup_failure(target: McpTarget, exc: BaseException) -> TargetFailure:
    """The failure of a session that never came up, from whatever ended it (a task group's members included)."""
    member = _unwrap(exc)
    if isinstance(member, TargetFailure):
        return member
    if target.url:
        return url_failure(target, member)
    return TargetFailure(f"MCP server did not start: {type(member).__name__}: {member}", error_type=type(member).__name__, **START)


_TRACEBACK = "Traceback (most recent call last):"


def unhandled_traceback(stderr: str, code: int) -> str | None:
    """The traceback that ended the process: the last one, when nothing but blank lines follows it
    and the exit code says the process failed. A traceback the process logged and carried on
    from (or exited 0 after) is not one."""
    from .checks import one_traceback

    start = stderr.rfind(_TRACEBACK)
    if code == 0 or start < 0:
        return None
    line_start = stderr.rfind("\n", 0, start) + 1
    block = one_traceback(stderr, start)
    return stderr[line_start:].rstrip() if stderr[start:].rstrip() == block.rstrip() else None


def handled_errors(stderr: str) -> list[str]:
    """The exception lines of tracebacks the process logged (and so handled), oldest first."""
    from .checks import one_traceback

    found, start = [], stderr.find(_TRACEBACK)
    while start >= 0 and len(found) < 10:
        block = one_traceback(stderr, start).rstrip().splitlines()
        if block:
            found.append(block[-1].strip()[:300])
        start = stderr.find(_TRACEBACK, start + 1)
    return found


def exit_failure(stderr: str, code: int, when: str, extras: dict[str, Any]) -> TargetFailure:
    """A server process that ended ``when``: classed by its signal, else by the error it did not handle,
    else by its exit code (the record's class then comes from the exit, its last words quoted)."""
    from ...frames import parse_python_traceback

    extras["exit_code"] = code
    logged = handled_errors(stderr)
    if logged:
        extras["handled_errors"] = logged
    if code < 0:
        name = signal_name(-code)
        message = f"MCP server was killed by {name} {when}"
        said = last_words(stderr)
        summary = f"{message}: {said}" if said else message
        return TargetFailure(summary, error_type=name, message=message, stderr=stderr, extras=extras, signal=name, **START)
    unhandled = unhandled_traceback(stderr, code)
    parsed = parse_python_traceback(unhandled) if unhandled else None
    if parsed is not None:
        summary = f"MCP server exited with code {code} {when}: {parsed.type}: {' '.join(parsed.message.split())[:300]}"
        return TargetFailure(
            summary,
            error_type=parsed.type,
            message=parsed.message,
            frames=parsed.frames,
            traceback=parsed.text,
            stderr=stderr,
            extras=extras,
            exit_code=code,
            **START,
        )
    message = f"MCP server exited with code {code} {when}"
    said = last_words(stderr)
    summary = f"{message}: {said}" if said else f"{message} and printed nothing"
    # Text patterns over its stderr would take a logged, handled error for the cause: the exit is the evidence.
    reason = f"the process exited with code {code} without an error it did not handle"
    return TargetFailure(
        summary,
        error_type="ServerExited",
        message=message,
        stderr=stderr,
        extras=extras,
        exit_code=code,
        hint="crash",
        reason=reason,
        **START,
    )


def _unwrap(exc: BaseException) -> BaseException:
    """The exception that explains a failure: exception groups opened to their members, cancellations and closed streams last."""
    members = list(_leaves(exc))
    noise = (asyncio.CancelledError, anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream)
    for wanted in (TargetFailure, MCPError, OSError, Exception):
        for member in members:
            if isinstance(member, wanted) and not isinstance(member, noise):
                return member
    return members[0] if members else exc


def _leaves(exc: BaseException) -> Iterator[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        for member in exc.exceptions:
            yield from _leaves(member)
    else:
        yield exc


class McpSession:
    """A :func:`connect` held open in a background event loop, used from synchronous tests."""

    def __init__(self, target: McpTarget, *, label: str = "worker") -> None:
        self.target = target
        self.label = label
        self.conn: Connection | None = None
        self.error: TargetFailure | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"mcp-{label}", daemon=True)
        self._closing: asyncio.Event | None = None
        self._main: Any = None
        self._ready = threading.Event()

    def open(self) -> McpSession:
        self._thread.start()
        self._main = asyncio.run_coroutine_threadsafe(self._hold(), self._loop)
        self._ready.wait(self.target.cfg.startup_timeout + 3 * _STOP_GRACE + 5)
        if self.conn is None and self.error is None:
            self.error = TargetFailure(
                "MCP session did not come up", error_type="HandshakeTimeout", hint="timeout", extras={"server": self.target.name}, **START
            )
        return self

    async def _hold(self) -> None:
        self._closing = asyncio.Event()
        try:
            async with connect(self.target, label=self.label) as conn:
                self.conn = conn
                self._ready.set()
                await self._closing.wait()
        except BaseException as exc:
            if self.conn is None:
                self.error = await anyio.to_thread.run_sync(startup_failure, self.target, exc)
        finally:
            self._ready.set()

    @property
    def alive(self) -> bool:
        conn = self.conn
        return conn is not None and (conn.process is None or conn.returncode is None) and not self._main.done()

    def run(self, fn: Callable[[Connection], Awaitable[T]], timeout: float) -> T:
        """Run ``fn(connection)`` in the session's loop and wait for it."""
        if self.conn is None:
            raise self.error or RuntimeError("session is not open")
        conn = self.conn
        future = asyncio.run_coroutine_threadsafe(fn(conn), self._loop)  # type: ignore[arg-type]
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    def close(self) -> None:
        if self._thread.is_alive():
            if self._closing is not None:
                self._loop.call_soon_threadsafe(self._closing.set)
            if self._main is not None:
                with contextlib.suppress(Exception):
                    self._main.result(4 * _STOP_GRACE + 5)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)
        if not self._loop.is_running():
            self._loop.close()


async def list_all_tools(conn: Connection) -> list[types.Tool]:
    """Every tool, following ``next_cursor`` until the server says there are no more pages."""
    tools: list[types.Tool] = []
    cursor: str | None = None
    seen: set[str] = set()
    while True:
        params = types.PaginatedRequestParams(cursor=cursor) if cursor else None
        page = await conn.session.list_tools(params=params)
        tools.extend(page.tools)
        cursor = page.next_cursor
        if cursor is None or cursor in seen:
            return tools
        seen.add(cursor)
