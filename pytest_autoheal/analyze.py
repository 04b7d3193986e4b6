"""``autoheal analyze LOGFILE``: a raw CI log becomes failure records.

The records are the plugin's (same fingerprints, same classes, ``source: "log"``), written
under ``<out>/records/`` so ``autoheal heal --reports <out>`` and ``autoheal report`` read
them like any run's. Analysing the same log twice writes the same record ids.
"""

from __future__ import annotations

import argparse
import builtins
import hashlib
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .classify import Facts, compile_patterns, facts_from_text
from .config import ConfigError, load_config
from .context import utcnow
from .fingerprint import fingerprint
from .frames import Frame
from .logparse import LogFailure, LogReport, PytestFailure, parse_log
from .record import COMPONENTS, ErrorInfo, TestInfo, build_record, decode_output, note_occurrence, write_record
from .redact import redact, redact_data

_HTTP_STATUS = (
    re.compile(r"(?:Client|Server) error '(?P<status>[45]\d\d) "),
    re.compile(r"^(?P<status>[45]\d\d) (?:Client|Server) Error"),
    re.compile(r"\bHTTP Error (?P<status>[45]\d\d)\b"),
)
_HTTP_TYPES = {"HTTPStatusError", "HTTPError", "ClientResponseError"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "logfiles",
        nargs="+",
        metavar="LOGFILE",
        help="CI log files, or folders of them such as an unpacked run log archive ('-' reads standard input)",
    )
    parser.add_argument("--out", default="autoheal-reports", help="report directory to write records to (default: autoheal-reports)")
    parser.add_argument("--json", action="store_true", help="print the records as a JSON list instead of a table")
    parser.add_argument("--root", action="append", default=[], help="checkout path the log's absolute paths start with (repeatable)")
    parser.add_argument("--run-id", help="run id for the records (default: an id derived from the log's content)")
    parser.add_argument("--repo", help="owner/name the log belongs to (recorded in the run context)")
    parser.add_argument("--workflow", help="workflow name the log belongs to")
    parser.add_argument("--config", help="pyproject.toml or TOML file whose [tool.autoheal.classify] patterns apply")


def main(args: argparse.Namespace) -> int:
    groups: list[list[tuple[str, str]]] = []
    for name in args.logfiles:
        if name == "-":
            groups.append([("<stdin>", decode_output(sys.stdin.buffer.read()))])
            continue
        files = log_files(Path(name))
        if not files:
            print(f"autoheal analyze: {name} is not a log file or a folder of them; pass a downloaded CI log.", file=sys.stderr)
            return 2
        groups.append([(str(f), decode_output(f.read_bytes())) for f in files])
    try:
        cfg = load_config(Path.cwd(), args.config)
    except ConfigError as exc:
        print(f"autoheal analyze: {exc}", file=sys.stderr)
        return 2
    patterns = compile_patterns(cfg.classify.patterns)
    records: dict[str, dict[str, Any]] = {}
    for group in groups:
        run = log_run("\n".join(text for _, text in group), run_id=args.run_id, repo=args.repo, workflow=args.workflow)
        seen: set[str] = set()
        for name, text in group:
            for record in analyse_text(text, run=run, roots=args.root, patterns=patterns, log_name=name):
                # A run's archive holds each job's log and its steps' logs: one failure, printed twice.
                if record["id"] in seen:
                    continue
                seen.add(record["id"])
                records[record["id"]] = note_occurrence(records[record["id"]]) if record["id"] in records else record
    out = Path(args.out)
    for record in records.values():
        write_record(out, record)
    if args.json:
        print(json.dumps(redact_data(list(records.values())), indent=2, ensure_ascii=False))
    else:
        print(redact(summary_table(list(records.values()), out)))
    return 0


def log_files(path: Path) -> list[Path]:
    """A log file, or the logs of an unpacked run archive (its job logs, else every step log below it)."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        return []
    top = sorted(p for p in path.glob("*.txt") if p.is_file())
    return top or sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in (".txt", ".log"))


def log_run(text: str, *, run_id: str | None = None, repo: str | None = None, workflow: str | None = None) -> dict[str, Any]:
    """The run context of a log: given values, else an id derived from the content (stable across re-analysis)."""
    digest = hashlib.sha256(text.encode("utf-8", errors="surrogateescape")).hexdigest()[:12]
    return {
        "id": run_id or f"log-{digest}",
        "url": None,
        "workflow": workflow,
        "job": None,
        "sha": None,
        "ref": None,
        "repository": repo,
        "attempt": None,
        "ci": True,
        "host": None,
    }


def analyse_text(
    text: str,
    *,
    run: dict[str, Any],
    roots: Sequence[str | Path] = (),
    patterns: Sequence[Any] | None = None,
    log_name: str = "",
    now: str | None = None,
) -> list[dict[str, Any]]:
    """Failure records for every failure a CI log shows."""
    patterns = compile_patterns() if patterns is None else patterns
    now = now or utcnow()
    # The directory analysed from is the repository at hand (the autofix workflow checks it out first): it names the log's files.
    report: LogReport = parse_log(text, [*roots, os.getcwd()])
    records = [_pytest_record(f, run, patterns, log_name, now) for f in report.pytest]
    records += [_other_record(f, run, patterns, log_name, now) for f in report.other]
    return records


def facts_for(error_type: str, message: str) -> Facts:
    """Facts as :func:`classify.facts_from_exception` would give for the live exception, from its printed form."""
    facts = facts_from_text(error_type, message)
    facts.bases = exception_bases(error_type)
    if facts.bases[0] in _HTTP_TYPES or error_type.rsplit(".", 1)[-1] in _HTTP_TYPES:
        for pattern in _HTTP_STATUS:
            m = pattern.search(message)
            if m:
                facts.http_status = int(m.group("status"))
                break
    return facts


def exception_bases(error_type: str) -> tuple[str, ...]:
    """Class names of the exception and its bases, for built-in and already-imported types only.

    Names from a log are never imported: that could run arbitrary code.
    """
    short = error_type.rsplit(".", 1)[-1]
    cls: Any = None
    if "." not in error_type:
        cls = getattr(builtins, short, None)
    else:
        module = sys.modules.get(error_type.rsplit(".", 1)[0])
        cls = getattr(module, short, None) if module is not None else None
    if isinstance(cls, type) and issubclass(cls, BaseException):
        return tuple(c.__name__ for c in cls.__mro__)
    return (short,)


def component_of(nodeid: str) -> str | None:
    """The component a monitoring suite's test belongs to, from its path (``suites/<component>/...``)."""
    m = re.match(r"^(?:.*/)?suites/(?P<component>[a-z_]+)/", nodeid)
    if m and m.group("component") in COMPONENTS:
        return m.group("component")
    return None


def _pytest_record(f: PytestFailure, run: dict[str, Any], patterns: Sequence[Any], log_name: str, now: str) -> dict[str, Any]:
    test = TestInfo(
        nodeid=f.nodeid,
        phase=f.phase,
        component=component_of(f.nodeid),
        outcome="crashed" if f.crashed else "failed" if f.phase == "call" else "error",
    )
    extras: dict[str, Any] = {"log": {"file": log_name, "line": f.line, "step": f.step or None}}
    if not f.complete:
        extras["log"]["note"] = "pytest ran with --tb=line or --tb=no: the log has no frames, so the fingerprint uses the message"
    error_type, message, frames, text = f.type, f.message, f.frames, f.text
    if f.type.rsplit(".", 1)[-1] == "TargetFailure":
        extras["log"]["note"] = (
            "a monitoring suite's failure: the log shows only its summary, not the target's traceback, so the fingerprint "
            "differs from the record the run uploaded; the error type comes from the summary"
        )
        # The suite's own frames and source say nothing of the target's bug; its summary names the target's error.
        (error_type, message), frames, text = _target_error(f.message), [], f.message
    error = ErrorInfo(
        type=error_type, message=message, frames=frames, traceback=text, stdout=f.stdout, stderr=f.stderr, log=f.log, extras=extras
    )
    facts = facts_for(error_type, message)
    if f.crashed:
        # As the plugin's record of a dead worker: a crash by process exit.
        facts.signal = "process exit"
    record = build_record(test=test, error=error, run=run, facts=facts, patterns=patterns, source="log", now=now)
    if f.autoheal:
        _adopt_plugin_grouping(record, f.autoheal)
    return record


def _adopt_plugin_grouping(record: dict[str, Any], recorded: dict[str, Any]) -> None:
    """The plugin printed the record's fingerprint and class under the failure: use them as they were."""
    record["fingerprint"] = {
        "algorithm": str(recorded.get("algorithm") or record["fingerprint"]["algorithm"]),
        "hash": recorded["fingerprint"],
        "values": recorded["values"],
        **({"legacy": recorded["legacy"]} if recorded.get("legacy") else {}),
    }
    record["error"]["type"] = str(recorded.get("type") or record["error"]["type"])
    cls = record["classification"]
    if recorded.get("class") and recorded["class"] != cls["class"]:
        cls["class"] = str(recorded["class"])
        cls["confidence"] = float(recorded.get("confidence") or cls["confidence"])
    cls["evidence"] = [f"fingerprint and class as the plugin recorded them in the log (record {recorded.get('record')})", *cls["evidence"]]
    record["error"]["extras"].get("log", {}).pop("note", None)


_TARGET_ERROR = re.compile(
    r"\b(?:crashed with|raised) (?P<type>[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Timeout|Expired))\b"
    r"(?: \([^)]*\))?(?:: (?P<msg>.*))?"
)


def _target_error(summary: str) -> tuple[str, str]:
    """The target's exception type and message as the suites' summaries name them ("crashed with ZeroDivisionError (exit code 1): ...")."""
    m = _TARGET_ERROR.search(summary)
    if not m:
        return "TargetFailure", summary
    return m.group("type"), (m.group("msg") or summary).strip()


def _other_record(f: LogFailure, run: dict[str, Any], patterns: Sequence[Any], log_name: str, now: str) -> dict[str, Any]:
    step = f.step or "log"
    nodeid = f"{step} :: {f.name}" if f.name else step
    # A JavaScript TypeError is not Python's: its facts are its name and what the text says, as the JS SDK suite gives them.
    facts = facts_from_text(f.type, f.message, f.text) if f.kind in ("node", "tap") else facts_for(f.type, f.message)
    if f.kind in ("node", "tap"):
        facts.language = "js"
    facts.signal = f.signal
    facts.exit_code = f.exit_code
    frames: list[Frame] = f.frames
    test = TestInfo(nodeid=nodeid, phase="runtime", outcome="failed")
    extras = {"log": {"file": log_name, "line": f.line, "step": f.step or None, "kind": f.kind}}
    error = ErrorInfo(type=f.type, message=f.message, frames=frames, traceback=f.text, extras=extras)
    return build_record(
        test=test,
        error=error,
        run=run,
        facts=facts,
        patterns=patterns,
        source="log",
        record_id_salt=f"{f.kind}:{fingerprint(f.type, f.message, f.frames).hash}",
        now=now,
    )


def summary_table(records: Sequence[dict[str, Any]], out: Path) -> str:
    if not records:
        return f"no failure found in the log; nothing written to {out / 'records'}"
    lines = [f"{len(records)} failure record(s) written to {out / 'records'}"]
    for r in records:
        cls = r["classification"]["class"]
        lines.append(f"  {r['fingerprint']['hash']}  {cls:<18}  {r['test']['nodeid']}")
        lines.append(f"      {r['classification']['root_cause'][:160]}")
    return "\n".join(lines)
