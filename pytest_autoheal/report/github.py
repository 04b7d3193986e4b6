"""GitHub Actions output: a ``$GITHUB_STEP_SUMMARY`` section and ``::error`` annotations within GitHub's caps."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..redact import redact

# GitHub rejects a step summary over 1 MiB; the section leaves room for what other steps wrote.
SUMMARY_LIMIT = 1024 * 1024
# GitHub shows at most 10 error annotations per step (50 per job).
MAX_ANNOTATIONS = 10
MAX_CLUSTER_ROWS = 200
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~-])")


def in_github_actions(environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    return env.get("GITHUB_ACTIONS", "").lower() == "true"


def md(text: Any, limit: int = 300) -> str:
    """Markdown-safe inline text: HTML and Markdown characters shown as themselves, one line."""
    value = " ".join(str(text if text is not None else "").split())
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", value)


def summary_markdown(context: Mapping[str, Any], report_path: Path | None, budget: int) -> str:
    """The step summary section, at most ``budget`` bytes (UTF-8); long cluster lists end with a note."""
    lines = [f"## {md(context.get('title'))}: {md(context.get('status'))}", "", md(context.get("status_text"), 500), ""]
    counts = context.get("counts") or []
    if counts:
        lines += [
            "| " + " | ".join(md(k) for k, _ in counts) + " |",
            "|" + "---|" * len(counts),
            "| " + " | ".join(str(n) for _, n in counts) + " |",
            "",
        ]
    m = context.get("component_matrix") or {}
    if m.get("rows"):
        lines += ["| component | passed | failed | flaky | skipped | not called (policy) |", "|---|---|---|---|---|---|"]
        for r in m["rows"]:
            c = m["row_totals"][r] or {}
            counts_row = " | ".join(str(c.get(k, 0)) for k in ("pass", "fail", "flaky", "skip", "policy"))
            lines.append(f"| {md(r)} | {counts_row} |")
        lines.append("")
    tail = []
    if report_path is not None:
        tail.append(f"Health report: `{md(report_path.name)}` in the report directory (upload it as an artifact to read it).")
    clusters = list(context.get("clusters") or [])
    head = "\n".join(lines) + "\n"
    end = "\n".join(["", *tail]) + "\n"
    if clusters:
        head += "### Failure clusters\n\n| class | count | root cause | fingerprint | tests |\n|---|---|---|---|---|\n"
    used = len(head.encode()) + len(end.encode())
    rows: list[str] = []
    for i, c in enumerate(clusters[:MAX_CLUSTER_ROWS]):
        flag = " (flaky)" if c.get("flaky_only") else ""
        tests = ", ".join(md(t, 120) for t in (c.get("tests") or [])[:3])
        more = c.get("tests_more", 0) + max(0, len(c.get("tests") or []) - 3)
        more_text = f" +{more}" if more else ""
        cause = md(c.get("root_cause"))
        row = f"| {md(c.get('class'))}{flag} | {c.get('count')} | {cause} | `{c.get('fingerprint')}` | {tests}{more_text} |\n"
        note = f"\n{len(clusters) - i} more cluster(s) not shown; see the health report.\n"
        if used + len(row.encode()) + len(note.encode()) > budget:
            rows.append(note)
            break
        rows.append(row)
        used += len(row.encode())
    else:
        if len(clusters) > MAX_CLUSTER_ROWS:
            rows.append(f"\n{len(clusters) - MAX_CLUSTER_ROWS} more cluster(s) not shown; see the health report.\n")
    text = head + "".join(rows) + end
    return _fit(text, budget)


def _fit(text: str, budget: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= budget:
        return text
    note = "\n\n(summary truncated to fit GitHub's 1 MiB limit)\n"
    keep = max(0, budget - len(note.encode()))
    return data[:keep].decode("utf-8", errors="ignore").rsplit("\n", 1)[0] + note


def write_step_summary(context: Mapping[str, Any], report_path: Path | None, environ: Mapping[str, str] | None = None) -> Path | None:
    """Append the section to ``$GITHUB_STEP_SUMMARY``, keeping the file within 1 MiB."""
    env = os.environ if environ is None else environ
    target = env.get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    existing = path.stat().st_size if path.exists() else 0
    budget = SUMMARY_LIMIT - existing - 1
    if budget < 200:
        return None
    text = redact(summary_markdown(context, report_path, budget))
    text = _fit(text, budget)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(text)
    return path


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def annotations(
    clusters: Sequence[Mapping[str, Any]], records_by_fp: Mapping[str, Mapping[str, Any]], workspace: Path | None = None
) -> list[str]:
    """One ``::error`` line per real failure cluster, most frequent first, at most :data:`MAX_ANNOTATIONS`."""
    lines = []
    real = [c for c in clusters if not c.get("flaky_only")]
    for c in real[:MAX_ANNOTATIONS]:
        rec = records_by_fp.get(c["fingerprint"]) or {}
        title = f"autoheal {c.get('class')} x{c.get('count')}: {c.get('fingerprint')}"
        props = [f"title={escape_property(title)}"]
        frame = _frame(rec)
        if frame is not None:
            file, line = frame
            if workspace is not None:
                try:
                    file = os.path.relpath(file, workspace)
                except ValueError:
                    pass
            if not file.startswith(".."):
                props.insert(0, f"file={escape_property(file)}")
                if line:
                    props.insert(1, f"line={int(line)}")
        tests = c.get("tests") or []
        message = f"{c.get('root_cause') or ''}\nSuggested fix: {c.get('suggested_fix') or ''}\nTests: {', '.join(tests[:5])}"
        if c.get("tests_more") or len(tests) > 5:
            message += " and more"
        lines.append(f"::error {','.join(props)}::{escape_data(redact(message)[:4000])}")
    if len(real) > MAX_ANNOTATIONS:
        lines.append(f"::notice::{escape_data(f'{len(real) - MAX_ANNOTATIONS} more failure cluster(s) in the health report')}")
    return lines


def _frame(rec: Mapping[str, Any]) -> tuple[str, int | None] | None:
    frames = (rec.get("error") or {}).get("frames") or []
    for f in reversed(frames):
        if f.get("file"):
            return str(f["file"]), f.get("line")
    return None


def emit_annotations(lines: Sequence[str], write: Callable[[str], Any]) -> None:
    for line in lines:
        write(line)
