"""Concurrent tool calls over several sessions: error rate, latency percentiles, server RSS growth."""

from __future__ import annotations

import contextlib
import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import anyio

from ... import trail
from .checks import answer_summary
from .client import Connection, connect
from .discovery import ServedTool
from .dispatch import answer_value, error_message
from .target import McpTarget


@dataclass
class StressResult:
    calls: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    rss_growth_mb: float | None = None
    error_samples: list[str] = field(default_factory=list)
    # Each failed call's tool and arguments, so each distinct failure can be told on its own.
    failed: list[tuple[ServedTool, dict[str, Any], str]] = field(default_factory=list)

    @property
    def error_rate(self) -> float:
        return self.errors / self.calls if self.calls else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]

    def metrics(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "errors": self.errors,
            "error_rate": round(self.error_rate, 4),
            "p50_ms": round(self.percentile(0.5), 2),
            "p95_ms": round(self.percentile(0.95), 2),
            "max_ms": round(max(self.latencies_ms, default=0.0), 2),
            "rss_growth_mb": None if self.rss_growth_mb is None else round(self.rss_growth_mb, 2),
        }

    def over_budget(self, budget: Any) -> list[str]:
        """Budgets from ``[tool.autoheal.mcp.stress]`` this run exceeded, in words."""
        over = []
        if self.error_rate > budget.max_error_rate:
            over.append(f"error rate {self.error_rate:.1%} > {budget.max_error_rate:.1%} ({'; '.join(self.error_samples[:3])})")
        if self.percentile(0.95) > budget.max_p95_ms:
            over.append(f"p95 latency {self.percentile(0.95):.0f} ms > {budget.max_p95_ms:g} ms")
        if self.rss_growth_mb is not None and self.rss_growth_mb > budget.max_rss_growth_mb:
            over.append(f"server RSS grew {self.rss_growth_mb:.1f} MB > {budget.max_rss_growth_mb:g} MB")
        return over


def _rss_mb(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        import psutil

        return psutil.Process(pid).memory_info().rss / 2**20
    except Exception:
        return None


def run_stress(target: McpTarget, work: list[tuple[ServedTool, dict[str, Any]]]) -> StressResult:
    """``calls`` calls spread over ``sessions`` sessions, ``concurrency`` in flight at a time."""
    cfg = target.cfg.stress
    result = StressResult()

    async def one(conn: Connection, tool: ServedTool, arguments: dict[str, Any], limit: anyio.Semaphore) -> None:
        async with limit:
            started = time.perf_counter()
            try:
                with anyio.fail_after(target.cfg.call_timeout):
                    answer = await conn.session.call_tool(*tool.request(arguments))
                failed = bool(answer.is_error) or error_message(answer_value(answer)) is not None
                detail = "".join(getattr(c, "text", "") for c in answer.content or [])[:120]
                trail.tool_call(tool.name, arguments, seconds=time.perf_counter() - started, is_error=failed, answer=answer_summary(answer))
            except Exception as exc:
                failed, detail = True, f"{type(exc).__name__}: {exc}"[:120]
                trail.tool_call(tool.name, arguments, seconds=time.perf_counter() - started, error=detail)
            result.latencies_ms.append((time.perf_counter() - started) * 1000)
            result.calls += 1
            if failed:
                result.errors += 1
                result.error_samples.append(f"{tool.name}: {detail}")
                result.failed.append((tool, arguments, detail))

    async def main() -> None:
        async with contextlib.AsyncExitStack() as stack:
            conns = [await stack.enter_async_context(connect(target, label=f"stress{i}")) for i in range(cfg.sessions)]
            before = [_rss_mb(c.pid) for c in conns]
            limit = anyio.Semaphore(cfg.concurrency)
            async with anyio.create_task_group() as tg:
                for i in range(cfg.calls):
                    tool, arguments = work[i % len(work)]
                    tg.start_soon(one, conns[i % len(conns)], tool, arguments, limit)
            after = [_rss_mb(c.pid) for c in conns]
            growth = [a - b for a, b in zip(after, before, strict=True) if a is not None and b is not None]
            result.rss_growth_mb = max(growth) if growth else None

    # In a thread of its own: the worker's thread may already run an event loop (Playwright's sync API leaves one).
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(anyio.run, main).result()
    return result
