"""What the health report shows, computed from report directories (records, run.json, heal files, history).

Reads only what earlier stages stored: failure records, ``run.json`` and heal's journal and
state. Several directories (xdist is already one; CI shards and earlier runs are several)
merge into one view.
"""

from __future__ import annotations

import base64
import json
import os
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import store
from ..context import parse_time, utcnow
from ..summary import NOT_CALLED, bucket, warnings
from .history import as_int, run_entry

FAILING = ("failed", "error", "crashed")
OUTCOMES = ("passed", "failed", "error", "crashed", "flaky", "skipped", NOT_CALLED, "xfailed", "xpassed")
OUTCOME_LABELS = {NOT_CALLED: "not called (policy)"}
# The calls section shows at most this many tests, and this many calls of each (run.json keeps them all).
MAX_TRAIL_TESTS = 2000
MAX_TRAIL_SHOWN = 60
# The report keeps each text short; the full text stays in the record it links.
TRACEBACK_CHARS = 6_000
TAIL_CHARS = 3_000
MESSAGE_CHARS = 1_500
MAX_TESTS_SHOWN = 20
MAX_RUN_LINKS = 10
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp"}
MAX_IMAGE_BYTES = 1024 * 1024
MAX_IMAGES_TOTAL_BYTES = 4 * 1024 * 1024
MAX_IMAGES_PER_CLUSTER = 3
SCREENSHOT_KEYS = ("screenshot", "screenshot_path")

METRIC_HELP = {
    "detection_rate": "Failed, errored or crashed tests in this report that produced a fingerprinted failure record, "
    "out of all failed, errored or crashed tests.",
    "false_positive_rate": "Issues filed by heal that were closed as not planned or labelled false-positive, out of all issues heal filed.",
    "fix_success_rate": "Draft pull requests opened by heal that were merged, out of all draft pull requests heal opened.",
    "time_to_fix": "From the moment heal filed an issue to the merge of its pull request (or the issue's closing as completed): "
    "the median and the longest, over fixed issues.",
    "manual_intervention_rate": "Issues resolved without heal's draft pull request being merged (closed as completed by hand), "
    "out of all issues closed as completed; plus heal operations that failed and had to be retried.",
}
NO_DATA = "no data yet"


@dataclass
class Inputs:
    """Everything read from the report directories."""

    dirs: list[Path]
    runs: list[dict[str, Any]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    journal: list[dict[str, Any]] = field(default_factory=list)
    heal_state: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)


def load_inputs(
    dirs: Sequence[Path | str], *, records: Sequence[Mapping[str, Any]] | None = None, runs: Sequence[dict[str, Any]] | None = None
) -> Inputs:
    """Records, run summaries and heal state of report directories (shards).

    ``records`` and ``runs``, when given, are used instead of reading those files (the
    session that just wrote them has them in memory).
    """
    paths = [Path(d) for d in dirs]
    inputs = Inputs(dirs=paths)
    for rec in store.load_records(paths, errors=inputs.problems) if records is None else records:
        try:
            inputs.records.append(normalize_record(rec))
        except (TypeError, ValueError, AttributeError) as exc:
            inputs.problems.append(f"record {str(rec.get('id'))[:40]}: {exc}")
    if runs is not None:
        inputs.runs.extend(runs)
    for d in paths:
        run_file = d / store.RUN_FILE
        if runs is None and run_file.exists():
            try:
                data = store.read_json(run_file)
                if isinstance(data, dict):
                    data["run"] = data["run"] if isinstance(data.get("run"), dict) else {}
                    data["tests"] = data["tests"] if isinstance(data.get("tests"), list) else []
                    data["collect_errors"] = (
                        [str(e) for e in data["collect_errors"]] if isinstance(data.get("collect_errors"), list) else []
                    )
                    inputs.runs.append(data)
                else:
                    inputs.problems.append(f"{run_file}: not a run summary")
            except (OSError, ValueError) as exc:
                inputs.problems.append(f"{run_file}: {exc}")
        heal = d / "heal"
        journal = heal / "journal.jsonl"
        if journal.exists():
            with open(journal, encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        continue
                    if isinstance(entry, dict):
                        inputs.journal.append(entry)
        state_file = heal / "state.json"
        if state_file.exists():
            try:
                state = store.read_json(state_file)
            except (OSError, ValueError) as exc:
                inputs.problems.append(f"{state_file}: {exc}")
                continue
            if isinstance(state, dict) and isinstance(state.get("issues"), dict):
                if inputs.heal_state is None:
                    inputs.heal_state = {**state, "issues": dict(state["issues"])}
                else:
                    inputs.heal_state["issues"].update(state["issues"])
    return inputs


def is_test_record(rec: Mapping[str, Any]) -> bool:
    """A failure of a test in a run (not one the platform reported about itself, or one read from a log)."""
    return rec.get("source", "pytest") in ("pytest", "controller") and (rec.get("test") or {}).get("outcome") != "reported"


def normalize_record(rec: Mapping[str, Any]) -> dict[str, Any]:
    """A record in the shape the report reads, whatever a hand-edited or foreign file holds."""
    out = dict(rec)
    out["id"] = str(out["id"])
    for key in ("run", "test", "error", "classification", "fingerprint", "occurrences"):
        out[key] = dict(out[key]) if isinstance(out.get(key), Mapping) else {}
    err = out["error"]
    for key in ("type", "message", "traceback", "stdout_tail", "stderr_tail", "log_tail"):
        if err.get(key) is not None and not isinstance(err[key], str):
            err[key] = json.dumps(err[key], default=str)
    err["frames"] = [f for f in err.get("frames") or [] if isinstance(f, Mapping)] if isinstance(err.get("frames"), list) else []
    err["extras"] = err["extras"] if isinstance(err.get("extras"), Mapping) else {}
    cls = out["classification"]
    if not isinstance(cls.get("confidence"), (int, float)) or isinstance(cls.get("confidence"), bool):
        cls["confidence"] = None
    cls["evidence"] = [str(e) for e in cls["evidence"]] if isinstance(cls.get("evidence"), list) else []
    for key in ("class", "root_cause", "suggested_fix"):
        if cls.get(key) is not None:
            cls[key] = str(cls[key])
    fp = out["fingerprint"]
    fp["hash"] = str(fp.get("hash") or "unknown")
    test = out["test"]
    test["nodeid"] = str(test.get("nodeid") or "?")
    for key in ("level", "component", "category", "target", "outcome", "phase"):
        if test.get(key) is not None:
            test[key] = str(test[key])
    occ = out["occurrences"]
    occ["count"] = as_int(occ.get("count"), 1)
    for key in ("first_seen", "last_seen"):
        if occ.get(key) is not None:
            occ[key] = str(occ[key])
    for key in ("created_at", "updated_at"):
        if out.get(key) is not None:
            out[key] = str(out[key])
    return out


_TEST_TEXT_KEYS = ("level", "component", "category", "target", "outcome")


def merge_runs(runs: Sequence[Mapping[str, Any]], records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One run view from shards and runs: tests by node id (latest run wins), counts recomputed."""
    tests: dict[str, dict[str, Any]] = {}
    metrics: dict[str, Any] = {}
    run_infos: dict[str, dict[str, Any]] = {}
    started = [r.get("started_at") for r in runs if r.get("started_at")]
    finished = [r.get("finished_at") for r in runs if r.get("finished_at")]
    for run in sorted(runs, key=lambda r: str(r.get("finished_at") or "")):
        info = dict(run.get("run") or {})
        if info.get("id"):
            run_infos.setdefault(str(info["id"]), info)
        run_id = info.get("id")
        for t in run.get("tests") or []:
            if isinstance(t, dict) and t.get("nodeid"):
                entry = dict(t)
                for k in _TEST_TEXT_KEYS:
                    v = entry.get(k)
                    if v is not None and type(v) is not str:
                        entry[k] = str(v)
                nodeid = entry["nodeid"] = str(entry["nodeid"])
                if not isinstance(entry.get("record_ids"), list):
                    entry["record_ids"] = []
                entry["run_id"] = run_id
                tests[nodeid] = entry
        if isinstance(run.get("metrics"), Mapping):
            metrics.update({str(k): v for k, v in run["metrics"].items()})
    for rec in records:
        if not is_test_record(rec):
            continue
        info = rec.get("run") or {}
        if info.get("id"):
            run_infos.setdefault(str(info["id"]), dict(info))
        t = rec.get("test") or {}
        nodeid = t.get("nodeid")
        if nodeid and nodeid not in tests:
            # A record without a run.json entry (a shard that crashed, a runtime report): count it from the record.
            outcome = "flaky" if rec.get("flaky") else (t.get("outcome") if t.get("outcome") in OUTCOMES else "failed")
            tests[nodeid] = {
                "nodeid": nodeid,
                "outcome": outcome,
                "duration": t.get("duration") or 0.0,
                **{k: t.get(k) for k in ("level", "component", "category", "target")},
                "record_ids": [rec["id"]],
                "run_id": info.get("id"),
            }
    counts: Counter[str] = Counter(bucket(t) for t in tests.values())
    exit_statuses = [r.get("exit_status") for r in runs if r.get("exit_status") is not None]
    outside = [e for r in runs if isinstance(r.get("trail"), list) for e in r["trail"]]
    return {
        "runs": list(run_infos.values()),
        "outside_trail": outside,
        "started_at": min(started) if started else None,
        "finished_at": max(finished) if finished else None,
        "exit_status": max(exit_statuses) if exit_statuses else None,
        "tests": sorted(tests.values(), key=lambda t: t["nodeid"]),
        "counts": dict(counts),
        "total": len(tests),
        "metrics": metrics,
        "collect_errors": sorted({e for r in runs for e in r.get("collect_errors") or []}),
    }


def matrix(tests: Iterable[Mapping[str, Any]], row_key: str, col_key: str | None) -> dict[str, Any]:
    """Outcome counts per (row, column); ``col_key=None`` gives one column."""
    cells: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    rows: set[str] = set()
    cols: set[str] = set()
    # Counted in one C-level pass over (row, column, outcome), then arranged.
    if col_key:
        keys = Counter((t.get(row_key) or "—", t.get(col_key) or "—", bucket(t)) for t in tests)
    else:
        keys = Counter((t.get(row_key) or "—", "all", bucket(t)) for t in tests)
    for (r, c, outcome), n in keys.items():
        rows.add(r)
        cols.add(c)
        cells[(r, c)][outcome] += n
    order = lambda v: (v == "—", v)  # noqa: E731
    row_list, col_list = sorted(rows, key=order), sorted(cols, key=order)
    return {
        "rows": row_list,
        "cols": col_list,
        "cells": {r: {c: _cell(cells.get((r, c))) for c in col_list} for r in row_list},
        "row_totals": {r: _cell(sum((cells.get((r, c), Counter()) for c in col_list), Counter())) for r in row_list},
    }


def _cell(counter: Counter[str] | None) -> dict[str, int] | None:
    if not counter:
        return None
    return {
        "pass": counter.get("passed", 0) + counter.get("xfailed", 0),
        "fail": sum(counter.get(k, 0) for k in (*FAILING, "xpassed")),
        "flaky": counter.get("flaky", 0),
        "skip": counter.get("skipped", 0),
        "policy": counter.get(NOT_CALLED, 0),
    }


def clusters(
    records: Sequence[Mapping[str, Any]],
    history: Sequence[Mapping[str, Any]],
    heal_state: Mapping[str, Any] | None,
    out_dir: Path,
    record_dirs: Mapping[str, Path],
) -> list[dict[str, Any]]:
    """Failure clusters by fingerprint: real bugs first (most occurrences first), flaky-only last."""
    groups: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for rec in records:
        groups[(rec.get("fingerprint") or {}).get("hash") or "unknown"].append(rec)
    seen_runs: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for run in history:
        for f in run.get("failures") or []:
            seen_runs[f["fingerprint"]].append({**f, "run_id": run["run_id"], "url": run.get("url"), "finished_at": run.get("finished_at")})
    issues = (heal_state or {}).get("issues") or {}
    budget = [MAX_IMAGES_TOTAL_BYTES]
    result = []
    for fp, recs in groups.items():
        recs = sorted(recs, key=lambda r: str(r.get("updated_at") or r.get("created_at") or ""))
        latest = recs[-1]
        cls = latest.get("classification") or {}
        firsts = [(r.get("occurrences") or {}).get("first_seen") or r.get("created_at") for r in recs]
        lasts = [(r.get("occurrences") or {}).get("last_seen") or r.get("updated_at") for r in recs]
        firsts += [h.get("first_seen") for h in seen_runs.get(fp, [])]
        lasts += [h.get("last_seen") for h in seen_runs.get(fp, [])]
        tests = list(dict.fromkeys((r.get("test") or {}).get("nodeid") or "?" for r in recs))
        runs: dict[str, str | None] = {}
        for r in reversed(recs):
            info = r.get("run") or {}
            runs.setdefault(str(info.get("id")), info.get("url"))
        for h in reversed(seen_runs.get(fp, [])):
            runs.setdefault(str(h["run_id"]), h.get("url"))
        issue = issues.get(fp) if isinstance(issues.get(fp), dict) else None
        result.append(
            {
                "fingerprint": fp,
                "algorithm": (latest.get("fingerprint") or {}).get("algorithm"),
                "class": cls.get("class") or "unknown",
                "confidence": cls.get("confidence"),
                "evidence": cls.get("evidence") or [],
                "root_cause": cls.get("root_cause") or "",
                "suggested_fix": cls.get("suggested_fix") or "",
                "count": sum(as_int((r.get("occurrences") or {}).get("count"), 1) for r in recs),
                "records": len(recs),
                "flaky_only": all(r.get("flaky") for r in recs),
                "first_seen": min(filter(None, firsts), default=None),
                "last_seen": max(filter(None, lasts), default=None),
                "runs_seen": len(runs),
                "tests": tests[:MAX_TESTS_SHOWN],
                "tests_more": max(0, len(tests) - MAX_TESTS_SHOWN),
                "run_links": [{"id": k, "url": v} for k, v in list(runs.items())[:MAX_RUN_LINKS]],
                "runs_more": max(0, len(runs) - MAX_RUN_LINKS),
                "components": sorted({(r.get("test") or {}).get("component") or "—" for r in recs}),
                "categories": sorted({c for r in recs if (c := (r.get("test") or {}).get("category"))}),
                "targets": sorted({t for r in recs if (t := (r.get("test") or {}).get("target"))})[:10],
                "issue": issue,
                "sample": _sample(latest, out_dir, record_dirs),
                "screenshots": _screenshots(recs, record_dirs, budget),
                "search": " ".join([fp, cls.get("class") or "", cls.get("root_cause") or "", *tests[:MAX_TESTS_SHOWN]]).lower(),
            }
        )
    result.sort(key=lambda c: (c["flaky_only"], -c["count"], c["fingerprint"]))
    return result


def _sample(rec: Mapping[str, Any], out_dir: Path, record_dirs: Mapping[str, Path]) -> dict[str, Any]:
    err = rec.get("error") or {}
    extras = {k: v for k, v in (err.get("extras") or {}).items() if k != "attachments"}
    frames = err.get("frames") or []
    where = frames[-1] if frames else None
    return {
        "record_id": rec.get("id"),
        "record_href": _record_href(rec, out_dir, record_dirs),
        "nodeid": (rec.get("test") or {}).get("nodeid"),
        "phase": (rec.get("test") or {}).get("phase"),
        "source": rec.get("source"),
        "type": err.get("type"),
        "message": _cut(err.get("message"), MESSAGE_CHARS),
        "where": f"{where.get('module')}.{where.get('function')}" if where else None,
        "traceback": _cut(err.get("traceback"), TRACEBACK_CHARS),
        "tails": [
            (name, _cut(err.get(key), TAIL_CHARS))
            for name, key in (("stdout", "stdout_tail"), ("stderr", "stderr_tail"), ("log", "log_tail"))
        ],
        "extras": _cut(json.dumps(extras, indent=2, ensure_ascii=False, default=str), TAIL_CHARS) if extras else "",
    }


def _cut(text: Any, limit: int) -> str:
    value = "" if text is None else str(text)
    if len(value) <= limit:
        return value
    return f"[... {len(value) - limit} characters cut; the record holds the full text ...]\n" + value[-limit:]


def _record_href(rec: Mapping[str, Any], out_dir: Path, record_dirs: Mapping[str, Path]) -> str | None:
    folder = record_dirs.get(str(rec.get("id")))
    if folder is None:
        return None
    path = store.record_path(folder, str(rec["id"]))
    try:
        return Path(os.path.relpath(path, out_dir)).as_posix()
    except ValueError:
        return path.resolve().as_uri()


def _screenshots(recs: Sequence[Mapping[str, Any]], record_dirs: Mapping[str, Path], budget: list[int]) -> list[dict[str, str]]:
    shots: list[dict[str, str]] = []
    seen: set[str] = set()
    for rec in reversed(recs):
        extras = (rec.get("error") or {}).get("extras") or {}
        candidates = list((extras.get("attachments") or {}).items()) if isinstance(extras.get("attachments"), dict) else []
        candidates += [(k, extras[k]) for k in SCREENSHOT_KEYS if isinstance(extras.get(k), str)]
        for name, value in candidates:
            if len(shots) >= MAX_IMAGES_PER_CLUSTER:
                return shots
            if not isinstance(value, str) or Path(value).suffix.lower() not in IMAGE_TYPES or value in seen:
                continue
            # Suites often put the same file in extras and in attachments: show it once.
            seen.add(value)
            path = _find_file(value, record_dirs.get(str(rec.get("id"))))
            if path is None:
                continue
            size = path.stat().st_size
            entry = {
                "name": str(name),
                "path": str(value),
                "nodeid": str((rec.get("test") or {}).get("nodeid") or ""),
                "src": "",
                "note": "",
            }
            if size > MAX_IMAGE_BYTES or size > budget[0]:
                entry["note"] = f"not embedded ({size} bytes; the report embeds images up to {MAX_IMAGE_BYTES} bytes)"
            else:
                budget[0] -= size
                entry["src"] = f"data:{IMAGE_TYPES[path.suffix.lower()]};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"
            shots.append(entry)
    return shots


def _find_file(value: str, report_dir: Path | None) -> Path | None:
    path = Path(value)
    candidates = [path] if path.is_absolute() else [p for p in (report_dir / path if report_dir else None, Path.cwd() / path) if p]
    for p in candidates:
        try:
            if p.is_file():
                return p
        except OSError:
            continue
    return None


def flaky_tests(tests: Sequence[Mapping[str, Any]], records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    flaky: dict[str, dict[str, Any]] = {}
    for t in tests:
        if t.get("outcome") == "flaky":
            flaky[t["nodeid"]] = {"nodeid": t["nodeid"], "component": t.get("component"), "attempts": t.get("attempts"), "fingerprints": []}
    for rec in records:
        if not rec.get("flaky"):
            continue
        nodeid = (rec.get("test") or {}).get("nodeid") or "?"
        entry = flaky.setdefault(
            nodeid, {"nodeid": nodeid, "component": (rec.get("test") or {}).get("component"), "attempts": None, "fingerprints": []}
        )
        entry["attempts"] = entry["attempts"] or ((rec.get("test") or {}).get("reruns") or 0) + 1
        fp = (rec.get("fingerprint") or {}).get("hash")
        if fp and fp not in entry["fingerprints"]:
            entry["fingerprints"].append(fp)
    return sorted(flaky.values(), key=lambda e: e["nodeid"])


def stress_rows(metrics: Mapping[str, Any], tests: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per test that recorded figures; nested figures are flattened to dotted names."""
    outcome = {t["nodeid"]: t.get("outcome") for t in tests}
    rows = []
    for nodeid, figures in sorted(metrics.items()):
        flat: dict[str, Any] = {}
        _flatten("", figures, flat)
        rows.append({"nodeid": nodeid, "outcome": outcome.get(nodeid), "figures": [(k, _fmt(v)) for k, v in flat.items()][:40]})
    return rows


def trail_rows(tests: Sequence[Mapping[str, Any]], outside: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """What the monitor did to the platform, per test: each tool call and CLI invocation (run.json's ``trail``)."""
    rows = []
    if outside:
        rows.append({"nodeid": "(outside any test: discovery)", "outcome": None, "calls": _calls(outside)})
    for t in tests:
        if len(rows) >= MAX_TRAIL_TESTS:
            break
        if isinstance(t.get("trail"), list) and t["trail"]:
            rows.append({"nodeid": t["nodeid"], "outcome": t.get("outcome"), "calls": _calls(t["trail"])})
        elif t.get("not_called"):
            rows.append({"nodeid": t["nodeid"], "outcome": OUTCOME_LABELS[NOT_CALLED], "calls": [], "not_called": str(t["not_called"])})
    return rows


def _calls(entries: Sequence[Any]) -> list[dict[str, str]]:
    calls = []
    for e in entries[:MAX_TRAIL_SHOWN]:
        if not isinstance(e, Mapping):
            continue
        if "dropped" in e:
            calls.append({"what": f"… and {e['dropped']} more", "result": "", "ms": ""})
        elif "tool" in e:
            args = json.dumps(e.get("arguments"), ensure_ascii=False, default=str)
            result = e.get("error") or (("is_error: " if e.get("is_error") else "") + str(e.get("answer", "")))
            calls.append({"what": f"{e['tool']} {_cut_line(args, 300)}", "result": str(result), "ms": _fmt(e.get("ms"))})
        elif "argv" in e:
            argv = " ".join(str(a) for a in e.get("argv") or [])
            result = "timed out" if e.get("timed_out") else f"exit {e.get('exit_code')}"
            calls.append({"what": _cut_line(argv, 300), "result": result, "ms": _fmt(e.get("ms"))})
    if len(entries) > MAX_TRAIL_SHOWN:
        calls.append({"what": f"… and {len(entries) - MAX_TRAIL_SHOWN} more in run.json", "result": "", "ms": ""})
    return calls


def _cut_line(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, Mapping):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    elif isinstance(value, (list, tuple)):
        numbers = [v for v in value if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if value and len(numbers) == len(value) and len(value) <= 5:
            out[prefix] = ", ".join(_fmt(float(v)) for v in value)
        elif numbers and len(numbers) == len(value):
            out[prefix] = f"{len(value)} values, {_fmt(float(min(numbers)))} to {_fmt(float(max(numbers)))}"
        else:
            out[prefix] = f"{len(value)} values"
    else:
        out[prefix or "value"] = value


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def seed_metrics(
    tests: Sequence[Mapping[str, Any]], heal_state: Mapping[str, Any] | None, journal: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The seed's five figures; each says "no data yet" until the data behind it exists."""
    out: list[dict[str, Any]] = []
    failing = [t for t in tests if t.get("outcome") in FAILING]
    if failing:
        caught = sum(1 for t in failing if t.get("record_ids"))
        out.append(_metric("detection_rate", "Detection rate", _pct(caught, len(failing)), f"{caught} of {len(failing)} failing tests"))
    else:
        out.append(_metric("detection_rate", "Detection rate", None, "no failing test in this report"))
    issues = [i for i in ((heal_state or {}).get("issues") or {}).values() if isinstance(i, dict)]
    if issues:
        fp = sum(1 for i in issues if i.get("state_reason") == "not_planned" or _labelled_false_positive(i.get("labels")))
        out.append(_metric("false_positive_rate", "False-positive rate", _pct(fp, len(issues)), f"{fp} of {len(issues)} issues"))
    else:
        out.append(_metric("false_positive_rate", "False-positive rate", None, "heal has filed no issue yet"))
    prs = [i for i in issues if i.get("pr")]
    if prs:
        merged = sum(1 for i in prs if i.get("pr_merged"))
        out.append(_metric("fix_success_rate", "Fix success rate", _pct(merged, len(prs)), f"{merged} of {len(prs)} draft PRs merged"))
    else:
        out.append(_metric("fix_success_rate", "Fix success rate", None, "heal has opened no draft PR yet"))
    durations = []
    for i in issues:
        end = i.get("pr_merged_at") if i.get("pr_merged") else (i.get("closed_at") if i.get("state_reason") == "completed" else None)
        hours = _hours_between(i.get("created_at"), end)
        if hours is not None:
            durations.append(hours)
    if durations:
        value = f"{_duration(_median(durations))} median"
        out.append(_metric("time_to_fix", "Time to fix", value, f"longest {_duration(max(durations))}, over {len(durations)} fixed issues"))
    else:
        out.append(_metric("time_to_fix", "Time to fix", None, "no issue fixed yet"))
    completed = [i for i in issues if i.get("state") == "closed" and i.get("state_reason") == "completed"]
    failed_ops = sum(1 for j in journal if j.get("phase") == "failed")
    if completed:
        manual = sum(1 for i in completed if not i.get("pr_merged"))
        detail = f"{manual} of {len(completed)} resolved issues; {failed_ops} failed heal operation(s)"
        out.append(_metric("manual_intervention_rate", "Manual intervention rate", _pct(manual, len(completed)), detail))
    else:
        detail = "no issue resolved yet" + (f"; {failed_ops} failed heal operation(s)" if journal else "")
        out.append(_metric("manual_intervention_rate", "Manual intervention rate", None, detail))
    return out


def _metric(key: str, name: str, value: str | None, detail: str) -> dict[str, Any]:
    return {"key": key, "name": name, "value": value if value is not None else NO_DATA, "has_data": value is not None, "detail": detail,
            "help": METRIC_HELP[key]}  # fmt: skip


def _labelled_false_positive(labels: Any) -> bool:
    names = [(lab.get("name") if isinstance(lab, dict) else lab) for lab in (labels or [])]
    return any(str(n).lower().replace("_", "-").replace(" ", "-") in ("false-positive", "falsepositive") for n in names if n)


def _pct(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.0f}%"


def _hours_between(start: Any, end: Any) -> float | None:
    a, b = parse_time(start), parse_time(end)
    if a is None or b is None:
        return None
    try:
        return max(0.0, (b - a).total_seconds() / 3600)
    except TypeError:
        return None


def _duration(hours: float) -> str:
    if hours < 1:
        return f"{hours * 60:.0f} min"
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} days"


def status(merged: Mapping[str, Any], cluster_list: Sequence[Mapping[str, Any]]) -> tuple[str, str]:
    counts = merged.get("counts") or {}
    failing = sum(counts.get(k, 0) for k in FAILING) + len(merged.get("collect_errors") or [])
    real = [c for c in cluster_list if not c["flaky_only"]]
    if failing or real:
        n = len(real)
        return "failing", f"{failing} failing test(s), {n} distinct failure{'s' if n != 1 else ''}"
    if not merged.get("total"):
        return "empty", "no tests ran"
    # Tools the call policy kept out are not "passed": say how many, so coverage is never overstated.
    kept_out = f"; {counts[NOT_CALLED]} not called (policy)" if counts.get(NOT_CALLED) else ""
    if counts.get("flaky"):
        return "flaky", f"all {merged['total']} tests passed; {counts['flaky']} only after a rerun{kept_out}"
    return "healthy", f"all {merged['total']} tests passed{kept_out}"


def build(
    dirs: Sequence[Path | str],
    *,
    out: Path,
    history_runs: Sequence[Mapping[str, Any]] = (),
    title: str = "Platform health",
    notes: Sequence[str] = (),
    inputs: Inputs | None = None,
) -> dict[str, Any]:
    """The template's whole context."""
    inputs = inputs or load_inputs(dirs)
    record_dirs = _record_dirs(inputs.dirs)
    merged = merge_runs(inputs.runs, inputs.records)
    current = current_entries(inputs, merged=merged)
    known = {h["run_id"] for h in history_runs}
    trend_runs = [*history_runs, *(e for e in current if e["run_id"] not in known)]
    trend_runs.sort(key=lambda e: str(e.get("finished_at") or ""))
    cluster_list = clusters(inputs.records, trend_runs, inputs.heal_state, out.parent, record_dirs)
    state, state_text = status(merged, cluster_list)
    return {
        "title": title,
        "generated_at": utcnow(),
        "status": state,
        "status_text": state_text,
        "merged": merged,
        "counts": [(OUTCOME_LABELS.get(k, k), merged["counts"].get(k, 0)) for k in OUTCOMES if merged["counts"].get(k)],
        "component_matrix": matrix(merged["tests"], "component", "category"),
        "level_matrix": matrix(merged["tests"], "level", "component"),
        "clusters": cluster_list,
        "real_clusters": sum(1 for c in cluster_list if not c["flaky_only"]),
        "by_class": Counter(c["class"] for c in cluster_list if not c["flaky_only"]).most_common(),
        "flaky": flaky_tests(merged["tests"], inputs.records),
        "stress": stress_rows(merged["metrics"], merged["tests"]),
        "warnings": warnings(merged["metrics"]),
        "trail": trail_rows(merged["tests"], merged["outside_trail"]),
        "trend_runs": trend_runs,
        "seed_metrics": seed_metrics(merged["tests"], inputs.heal_state, inputs.journal),
        "heal_present": inputs.heal_state is not None or bool(inputs.journal),
        "notes": [*notes, *(f"skipped a bad file: {p}" for p in inputs.problems)],
        "dirs": [str(d) for d in inputs.dirs],
        "record_count": len(inputs.records),
    }


def current_entries(inputs: Inputs, *, merged: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """History entries for the runs in the directories themselves (a shard's run merges into one).

    ``merged`` is ``merge_runs(inputs.runs, inputs.records)`` when the caller has it: with one
    run in the inputs it is that run's view, and is not computed again.
    """
    by_run: dict[str, dict[str, Any]] = {}
    recs_by_run: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    reported: list[Mapping[str, Any]] = []
    for rec in inputs.records:
        if is_test_record(rec):
            recs_by_run[str((rec.get("run") or {}).get("id"))].append(rec)
        else:
            reported.append(rec)
    runs_by_id: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for run in inputs.runs:
        runs_by_id[str((run.get("run") or {}).get("id"))].append(run)
    if reported and (runs_by_id or recs_by_run):
        # The platform's own reports carry the platform's run id; they belong to the session that saw them.
        latest = (
            max(runs_by_id, key=lambda k: max(str(r.get("finished_at") or "") for r in runs_by_id[k]))
            if runs_by_id
            else next(iter(recs_by_run))
        )
        recs_by_run[latest].extend(reported)
    for run_id in recs_by_run:
        # Records of a session that died before writing run.json still count as a run.
        runs_by_id.setdefault(run_id, [])
    for run_id, shards in runs_by_id.items():
        recs = recs_by_run.get(run_id, [])
        # One run holding every run file and record of the inputs: the caller's view is this run's.
        whole = len(runs_by_id) == 1 and len(shards) == len(inputs.runs) and len(recs) == len(inputs.records)
        view = merged if merged is not None and whole else merge_runs(shards, recs)
        first_record = recs[0] if recs else {}
        combined = {
            "run": next((s.get("run") for s in shards), None) or first_record.get("run") or {"id": run_id},
            "counts": view["counts"],
            "total": view["total"],
            "started_at": view["started_at"],
            "finished_at": view["finished_at"],
            "exit_status": view["exit_status"],
        }
        by_run[run_id] = run_entry(combined, recs)
    return list(by_run.values())


def _record_dirs(dirs: Sequence[Path]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for d in dirs:
        try:
            names = os.listdir(store.records_dir(d))
        except OSError:
            continue
        for name in names:
            if name.endswith(".json") and not name.startswith("."):
                found[name[:-5]] = d
    return found


def _median(values: Sequence[float]) -> float:
    import statistics

    return statistics.median(values)
