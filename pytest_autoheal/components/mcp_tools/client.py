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
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import anyio
import mcp_types
from mcp import ClientSession, types
from mcp.shared.message import SessionMessage

from ...errors import TargetFailure
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
        except OSError as exc:
            raise TargetFailure(
                f"MCP server could not be started: {exc.strerror or exc}: {target.argv[0]}",
                error_type=type(exc).__name__,
                message=f"cannot start {target.argv[0]}: {exc.strerror or exc}",
                extras={"argv": target.argv},
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
        session = await stack.enter_async_context(ClientSession(read, write, read_timeout_seconds=call_timeout))
        conn = Connection(session, target, stderr_path, conn_process, garbage)
        try:
            with anyio.fail_after(timeout):
                conn.init = await session.initialize()
        except BaseException as exc:
            await _settle(conn)
            raise handshake_failure(conn, exc, timeout) from None
        yield conn


async def _settle(conn: Connection, wait: float = 1.0) -> None:
    """Give a server whose pipe just closed a moment to be reaped, so its exit code is known."""
    deadline = time.monotonic() + wait
    while conn.process is not None and conn.returncode is None and time.monotonic() < deadline:
        await anyio.sleep(0.02)


def handshake_failure(conn: Connection, exc: BaseException, timeout: float) -> TargetFailure:
    """What went wrong before the server finished ``initialize``, in the server's terms.

    A server that exited is described by its exit (code or signal) and the error it did not
    handle; what it wrote to stdout is noted beside, not taken for the cause.
    """
    exc = _unwrap(exc)
    if isinstance(exc, TargetFailure):
        return exc
    stderr = conn.stderr_since(0)
    code = conn.returncode
    extras: dict[str, Any] = {"server": conn.target.name, "exit_code": code, "stdout_garbage": conn.garbage[:10]}
    if code is not None:
        return exit_failure(stderr, code, "before completing the handshake", extras)
    if conn.garbage:
        summary = f"MCP server wrote non-JSON-RPC text to stdout instead of answering initialize: {conn.garbage[0][:120]!r}"
        return TargetFailure(summary, error_type="ProtocolError", message=summary, stderr=stderr, extras=extras, hint="contract")
    if isinstance(exc, TimeoutError):
        summary = f"MCP server did not answer initialize within {timeout:g}s"
        return TargetFailure(summary, error_type="HandshakeTimeout", message=summary, stderr=stderr, extras=extras, hint="timeout")
    summary = f"MCP handshake failed: {type(exc).__name__}: {exc}"
    return TargetFailure(summary, error_type=type(exc).__name__, message=str(exc), stderr=stderr, extras=extras)


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
    """A server process that ended ``when``: classed by its signal, else by its unhandled error, else by the exit."""
    from ...frames import parse_python_traceback

    extras["exit_code"] = code
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        summary = f"MCP server was killed by {name} {when}"
        return TargetFailure(summary, error_type=name, message=summary, stderr=stderr, extras=extras, signal=name)
    unhandled = unhandled_traceback(stderr, code)
    parsed = parse_python_traceback(unhandled) if unhandled else None
    if parsed is not None:
        summary = f"MCP server exited with code {code} {when}: {parsed.type}: {parsed.message[:300]}"
        return TargetFailure(
            summary,
            error_type=parsed.type,
            message=parsed.message,
            frames=parsed.frames,
            traceback=parsed.text,
            stderr=stderr,
            extras=extras,
        )
    logged = handled_errors(stderr)
    if logged:
        extras["handled_errors"] = logged
    last = next((line.strip() for line in reversed(stderr.splitlines()) if line.strip()), "")
    summary = f"MCP server exited with code {code} {when}"
    message = f"{summary}; its last stderr line: {last[:300]}" if last else f"{summary}, printing nothing to stderr"
    return TargetFailure(summary, error_type="ServerExited", message=message, stderr=stderr, extras=extras, hint="crash")


def _unwrap(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


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
                "MCP session did not come up", error_type="HandshakeTimeout", hint="timeout", extras={"server": self.target.name}
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
            exc = _unwrap(exc)
            if self.conn is None:
                self.error = exc if isinstance(exc, TargetFailure) else TargetFailure(str(exc), error_type=type(exc).__name__)
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
