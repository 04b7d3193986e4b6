"""The cli checks: run a variant through the one runner and turn what went wrong into a TargetFailure.

A crash is described by the CLI's own traceback (parsed from stderr), its signal, or its
timeout, so records group by the real bug and not by "exit code 1".
"""

from __future__ import annotations

import re
import statistics
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from ... import runner, store
from ...errors import TargetFailure, last_words, missing_program
from ...frames import Frame, parse_python_traceback
from ...record import validation_errors
from .config import CliConfig, CliErrorReporting, CliExample, CliStress
from .discover import CliTarget
from .helpparse import HelpInfo, has_traceback, parse_help

MB = 1024 * 1024


def without_launcher(frames: Sequence[Frame]) -> list[Frame]:
    """Outer module-level frames (a console-script launcher, ``__main__.py``, a script) do not count as app frames.

    They differ between ways of starting the same CLI, so counting them would split one bug into one fingerprint per variant.
    """
    frames = list(frames)
    last_module = max((i for i, f in enumerate(frames[:-1]) if f.function == "<module>"), default=-1)
    return [replace(f, in_app=False) if i <= last_module else f for i, f in enumerate(frames)]


def invoke(
    target: CliTarget, args: Sequence[str], *, timeout: float, stdin: str | None = None, env: dict[str, str] | None = None
) -> runner.RunResult:
    if target.problem:
        # Every check of the variant meets the same setting: one record, named by the variant (the setting is its).
        raise TargetFailure(
            target.problem,
            error_type="ConfigError",
            hint="config",
            reason=target.problem,
            extras={"variant": target.name},
            subject=target.name,
            shared=True,
        )
    return runner.run(
        target.command(*args),
        timeout=timeout,
        env={**target.env, **(env or {})},
        inherit_env=False,
        cwd=target.cwd,
        input=stdin.encode() if stdin is not None else None,
        trail=True,
    )


def extras_of(target: CliTarget, result: runner.RunResult, **more: Any) -> dict[str, Any]:
    return {
        "variant": target.name,
        "argv": result.argv,
        "exit_code": result.returncode,
        # On a timeout the signal is ours (the group kill), not the CLI's.
        "signal": None if result.timed_out else result.signal_name,
        "timed_out": result.timed_out,
        "duration_s": round(result.duration, 3),
        "stdout_bytes": result.stdout_size,
        "stderr_bytes": result.stderr_size,
        "peak_rss_kb": result.peak_rss_kb,
        **more,
    }


def failure(
    target: CliTarget, args: Sequence[str], result: runner.RunResult, problem: str, roots: Sequence[str], **more: Any
) -> TargetFailure:
    """The most precise description of a bad run: timeout, signal, the CLI's traceback, or the plain mismatch.

    The message and the subject name the arguments, never the variant's program, so one bug seen through every way of
    starting the CLI is one fingerprint; the terminal line shows the whole command and what the CLI said last.
    """
    shown = target.display(*args)
    called = " ".join(args) or "(no arguments)"
    extras = extras_of(target, result, check=problem, **more)
    streams = {"stdout": result.stdout, "stderr": result.stderr}
    said = last_words(result.text("stderr")) or last_words(result.text("stdout"))
    quoted = f"; it said: {said}" if said else ""
    if result.returncode == 127 and result.text("stderr").startswith(f"cannot start {result.argv[0]}"):
        setting = f"[tool.autoheal.cli] variant {target.name!r}"
        return missing_program(f"`{shown}`", result.argv[0], setting, extras=extras, subject="variant")
    if result.timed_out:
        return TargetFailure(
            f"`{shown}` did not exit within {result.duration:.1f}s and was killed{quoted}",
            error_type="TimeoutExpired",
            message=f"`{called}` did not exit within the {more.get('timeout', result.duration):g}s timeout",
            legacy_message=f"`{shown}` did not exit within the {more.get('timeout', result.duration):g}s timeout",
            hint="timeout",
            reason=f"the process was still running after {more.get('timeout', result.duration):g}s and was killed",
            extras=extras,
            subject=called,
            **streams,
        )
    if result.signal_name:
        crashed = TargetFailure.from_output(
            f"`{shown}` was killed by {result.signal_name}{quoted}",
            result.text("stderr"),
            roots=roots,
            default_type=result.signal_name,
            message=f"`{called}` was killed by {result.signal_name}",
            legacy_message=f"`{shown}` was killed by {result.signal_name}",
            signal=result.signal_name,
            extras=extras,
            subject=called,
            **streams,
        )
        crashed.frames = without_launcher(crashed.frames)
        return crashed
    text = result.text("stderr") + "\n" + result.text("stdout")
    if parse_python_traceback(text, roots) is not None and has_traceback(text):
        parsed = TargetFailure.from_output(
            f"`{shown}` crashed ({result.describe()}): {problem}", text, roots=roots, extras=extras, subject=called, **streams
        )
        parsed.frames = without_launcher(parsed.frames)
        parsed.summary = f"`{shown}` crashed with {parsed.error_type} ({result.describe()}): {' '.join(parsed.message.split())[:300]}"
        return parsed
    return TargetFailure(
        f"`{shown}`: {problem}{quoted}",
        error_type="CliCheckFailed",
        message=f"`{called}`: {problem}",
        legacy_message=f"`{shown}`: {problem}",
        said=said,
        fallback="assertion",
        reason=f"the CLI's answer broke the check's expectation: {problem}",
        extras=extras,
        subject=called,
        **streams,
    )


def _flood(cfg: CliConfig, target: CliTarget, args: Sequence[str], result: runner.RunResult, roots: Sequence[str]) -> None:
    limit = int(cfg.max_output_mb * MB)
    for stream, size in (("stdout", result.stdout_size), ("stderr", result.stderr_size)):
        if size > limit:
            shown = target.display(*args)
            raise TargetFailure(
                f"`{shown}` printed {size / MB:.1f} MB to {stream} (limit {cfg.max_output_mb:g} MB)",
                error_type="OutputFlood",
                message=f"`{' '.join(args)}` printed more than {cfg.max_output_mb:g} MB to {stream}",
                subject=" ".join(args),
                hint="resource",
                stdout=result.stdout,
                stderr=result.stderr,
                extras=extras_of(target, result, limit_bytes=limit),
            )


def check_help(cfg: CliConfig, target: CliTarget, path: Sequence[str], roots: Sequence[str]) -> HelpInfo:
    """``<path> --help`` exits 0 within the timeout, prints usage (or its options), and shows no traceback."""
    args = [*path, "--help"]
    result = invoke(target, args, timeout=cfg.timeout)
    _flood(cfg, target, args, result, roots)
    out, err = result.text("stdout"), result.text("stderr")
    if not result.ok or has_traceback(out, err):
        raise failure(target, args, result, f"--help gave {result.describe()}, expected exit code 0", roots, timeout=cfg.timeout)
    info = parse_help(out or err, target.variant.style)
    # Some help pages (pip's subcommands) list their options without a usage line: that is still help.
    if not info.has_usage and not info.has_options:
        raise failure(target, args, result, "--help printed no usage line and no options", roots)
    return info


def check_version(cfg: CliConfig, target: CliTarget, roots: Sequence[str]) -> str:
    """``--version`` exits 0 and prints something, with no traceback."""
    args = ["--version"]
    result = invoke(target, args, timeout=cfg.timeout)
    _flood(cfg, target, args, result, roots)
    out, err = result.text("stdout"), result.text("stderr")
    if not result.ok or has_traceback(out, err):
        raise failure(target, args, result, f"--version gave {result.describe()}, expected exit code 0", roots, timeout=cfg.timeout)
    if not (out.strip() or err.strip()):
        raise failure(target, args, result, "--version printed nothing", roots)
    return (out.strip() or err.strip()).splitlines()[0]


def check_usage_error(cfg: CliConfig, target: CliTarget, path: Sequence[str], roots: Sequence[str]) -> runner.RunResult:
    """An unknown option gives a usage error (the documented exit code) without a traceback."""
    args = [*path, cfg.invalid_option]
    result = invoke(target, args, timeout=cfg.timeout)
    _flood(cfg, target, args, result, roots)
    out, err = result.text("stdout"), result.text("stderr")
    expected = target.variant.usage_exit_codes
    if has_traceback(out, err) or result.timed_out or result.signal_name:
        raise failure(target, args, result, "an invalid option crashed instead of giving a usage error", roots, timeout=cfg.timeout)
    if result.returncode not in expected:
        raise failure(target, args, result, f"an invalid option gave {result.describe()}, expected a usage error (exit {expected})", roots)
    return result


def check_bare(cfg: CliConfig, target: CliTarget, path: Sequence[str], roots: Sequence[str]) -> runner.RunResult:
    """A subcommand listed in ``run_bare``, run with no arguments, ends by itself without a traceback or a signal."""
    args = list(path)
    result = invoke(target, args, timeout=cfg.timeout)
    _flood(cfg, target, args, result, roots)
    if result.timed_out or result.signal_name or has_traceback(result.text("stdout"), result.text("stderr")):
        raise failure(target, args, result, f"run with no arguments it crashed ({result.describe()})", roots, timeout=cfg.timeout)
    return result


def check_example(cfg: CliConfig, target: CliTarget, example: CliExample, roots: Sequence[str]) -> runner.RunResult:
    """A configured invocation exits as expected and its output matches the configured patterns."""
    timeout = example.timeout or cfg.timeout
    result = invoke(target, example.args, timeout=timeout, stdin=example.stdin, env=example.env)
    _flood(cfg, target, example.args, result, roots)
    out, err = result.text("stdout"), result.text("stderr")
    if result.returncode != example.exit_code or result.timed_out or (example.exit_code == 0 and has_traceback(out, err)):
        raise failure(
            target, example.args, result, f"gave {result.describe()}, expected exit code {example.exit_code}", roots, timeout=timeout
        )
    for stream, pattern, text in (("stdout", example.stdout, out), ("stderr", example.stderr, err)):
        if pattern is not None and not re.search(pattern, text, re.MULTILINE):
            raise failure(target, example.args, result, f"{stream} does not match /{pattern}/", roots)
    return result


def check_error_reporting(cfg: CliConfig, target: CliTarget, check: CliErrorReporting, roots: Sequence[str]) -> dict[str, Any]:
    """The CLI's error handler turns an uncaught exception into a valid failure record."""
    with tempfile.TemporaryDirectory(prefix="autoheal-cli-report-") as tmp:
        env = {"ERROR_REPORTING_ENABLED": "true", "AUTOHEAL_REPORT_DIR": tmp, "AUTOHEAL_IN_APP": ":".join(roots)}
        result = invoke(target, check.args, timeout=cfg.timeout, env=env)
        records = store.load_records([tmp])
        shown = target.display(*check.args)
        if result.ok:
            raise failure(target, check.args, result, "was expected to raise an uncaught error but exited 0", roots)
        if not records:
            raise TargetFailure(
                f"`{shown}` failed ({result.describe()}) but its error handler wrote no failure record to AUTOHEAL_REPORT_DIR",
                error_type="MissingErrorReport",
                message=f"`{' '.join(check.args)}` wrote no failure record; call install_cli_error_handler() at the CLI's start",
                subject=" ".join(check.args),
                hint="assertion",
                stdout=result.stdout,
                stderr=result.stderr,
                extras=extras_of(target, result),
            )
        record = records[0]
        problems = validation_errors(record)
        if record.get("source") != "reporter" or record["test"].get("outcome") != "reported":
            problems.append(f"source {record.get('source')!r} / outcome {record['test'].get('outcome')!r}, expected reporter / reported")
        if check.error_type and record["error"]["type"] != check.error_type:
            problems.append(f"error type {record['error']['type']}, expected {check.error_type}")
        if problems:
            raise TargetFailure(
                f"`{shown}` wrote a failure record that is not right: {problems[0]}",
                error_type="ValidationError",
                message=f"the error record of `{' '.join(check.args)}`: {problems[0]}",
                subject=" ".join(check.args),
                hint="contract",
                extras={**extras_of(target, result), "problems": problems[:10]},
            )
        return record


@dataclass
class StressResult:
    runs: int
    errors: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    peak_rss_mb: float | None
    # Every failed run under load, with its arguments (each distinct failure is recorded on its own).
    failed: list[tuple[list[str], runner.RunResult]]

    @property
    def first_failure(self) -> tuple[list[str], runner.RunResult] | None:
        return self.failed[0] if self.failed else None

    @property
    def error_rate(self) -> float:
        return self.errors / self.runs if self.runs else 0.0

    def metrics(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "errors": self.errors,
            "error_rate": round(self.error_rate, 4),
            "p50_ms": round(self.p50_ms, 1),
            "p95_ms": round(self.p95_ms, 1),
            "max_ms": round(self.max_ms, 1),
            "peak_rss_mb": None if self.peak_rss_mb is None else round(self.peak_rss_mb, 1),
        }


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[max(0, min(98, round(q) - 1))]


def stress(cfg: CliConfig, target: CliTarget, plan: CliStress) -> StressResult:
    """``concurrency`` parallel invocations of each command, ``repeat`` times."""
    jobs = [list(cmd) for _ in range(plan.repeat) for cmd in plan.commands for _ in range(plan.concurrency)]
    with ThreadPoolExecutor(max_workers=plan.concurrency) as pool:
        results = list(pool.map(lambda args: (args, invoke(target, args, timeout=cfg.timeout)), jobs))
    durations = sorted(r.duration * 1000 for _, r in results)
    failed = [(a, r) for a, r in results if not r.ok]
    rss = [r.peak_rss_kb for _, r in results if r.peak_rss_kb]
    return StressResult(
        runs=len(results),
        errors=len(failed),
        p50_ms=percentile(durations, 50),
        p95_ms=percentile(durations, 95),
        max_ms=durations[-1] if durations else 0.0,
        peak_rss_mb=max(rss) / 1024 if rss else None,
        failed=failed,
    )


def check_budgets(cfg: CliConfig, target: CliTarget, plan: CliStress, result: StressResult, roots: Sequence[str]) -> list[TargetFailure]:
    """Configured budgets the run missed: one failure per distinct failed run past the error budget, then latency, then memory."""
    metrics = result.metrics()
    found: list[TargetFailure] = []
    if result.error_rate > plan.max_error_rate:
        rate = f"error rate {result.error_rate:.1%}, allowed {plan.max_error_rate:.1%}"
        over = f"{result.errors} of {result.runs} runs under load failed ({rate})"
        distinct: dict[str, TargetFailure] = {}
        for args, run in result.failed:
            failed = failure(target, args, run, over, roots, stress=metrics, timeout=cfg.timeout)
            key = f"{failed.error_type}|{failed.message}|{[f.key() for f in failed.frames]}"
            distinct.setdefault(key, failed)
        found += distinct.values()
    over = []
    if plan.p50_ms is not None and result.p50_ms > plan.p50_ms:
        over.append(f"p50 {result.p50_ms:.0f} ms > budget {plan.p50_ms:g} ms")
    if plan.p95_ms is not None and result.p95_ms > plan.p95_ms:
        over.append(f"p95 {result.p95_ms:.0f} ms > budget {plan.p95_ms:g} ms")
    if over:
        found.append(
            TargetFailure(
                f"`{target.name}` under load: " + "; ".join(over),
                error_type="LatencyBudgetExceeded",
                message=f"`{target.name}` latency under load is over its budget",
                hint="timeout",
                extras={"variant": target.name, "stress": metrics, "budgets": plan.model_dump()},
                subject="stress",
            )
        )
    if plan.max_rss_mb is not None and result.peak_rss_mb is not None and result.peak_rss_mb > plan.max_rss_mb:
        found.append(
            TargetFailure(
                f"`{target.name}` under load: peak RSS {result.peak_rss_mb:.0f} MB > budget {plan.max_rss_mb:g} MB",
                error_type="MemoryBudgetExceeded",
                message=f"`{target.name}` peak memory under load is over its budget",
                hint="resource",
                extras={"variant": target.name, "stress": metrics, "budgets": plan.model_dump()},
                subject="stress",
            )
        )
    return found
