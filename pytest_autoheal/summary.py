"""The run summary: ``<dir>/run.json`` and the terminal's failure clusters.

Built on the controller from the reports it receives (each carries the ``autoheal`` dict the
worker attached), so it is the same with and without xdist.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from . import store
from .context import utcnow

RUN_SCHEMA = "autoheal.run/v1"


class RunSummary:
    def __init__(
        self, run: Mapping[str, Any], *, levels: Iterable[str] = (), components: Iterable[str] = (), categories: Iterable[str] = ()
    ):
        self.run = dict(run)
        self.started_at = utcnow()
        self.filters = {"levels": list(levels), "components": list(components), "categories": list(categories)}
        self.tests: dict[str, dict[str, Any]] = {}
        self.records: dict[str, dict[str, Any]] = {}
        self.metrics: dict[str, dict[str, Any]] = {}
        self.collect_errors: list[str] = []

    def add_report(self, report: Any) -> None:
        meta: dict[str, Any] = getattr(report, "autoheal", None) or {}
        nodeid = report.nodeid
        entry = self.tests.get(nodeid)
        if entry is None:
            entry = self.tests[nodeid] = {
                "nodeid": nodeid,
                "outcome": None,
                "duration": 0.0,
                "attempts": 0,
                "level": meta.get("level"),
                "component": meta.get("component"),
                "category": meta.get("category"),
                "target": meta.get("target"),
                "record_ids": [],
                "phases": {},
            }
        elif meta:
            for k in ("level", "component", "category", "target"):
                if meta.get(k) and not entry[k]:
                    entry[k] = meta[k]
        entry["duration"] += getattr(report, "duration", 0.0) or 0.0
        if report.when != "call" and report.passed:
            return
        outcome = _outcome(report)
        if outcome == "rerun":
            entry["attempts"] += 1
            entry["reran"] = True
        elif outcome is not None:
            entry["phases"][report.when] = outcome
            if report.when in ("call", "???"):
                entry["attempts"] += 1
        entry["outcome"] = _final(entry)
        if not meta:
            return
        rid = meta.get("record_id")
        if rid:
            if rid not in entry["record_ids"]:
                entry["record_ids"].append(rid)
            self.records[rid] = {
                "id": rid,
                "nodeid": nodeid,
                "fingerprint": meta.get("fingerprint"),
                "class": meta.get("class"),
                "cause": meta.get("cause"),
                "flaky": bool(meta.get("flaky")),
                "component": entry.get("component"),
                "category": entry.get("category"),
            }
        if meta.get("flaky_ids"):
            for fid in meta["flaky_ids"]:
                if fid in self.records:
                    self.records[fid]["flaky"] = True
        if meta.get("metrics"):
            self.metrics[nodeid] = meta["metrics"]

    def add_collect_report(self, report: Any) -> None:
        if not report.failed:
            return
        self.collect_errors.append(report.nodeid)
        self.add_report(report)

    def clusters(self) -> list[dict[str, Any]]:
        groups: dict[str, dict[str, Any]] = {}
        for rec in self.records.values():
            fp = rec.get("fingerprint") or "unknown"
            g = groups.setdefault(
                fp, {"fingerprint": fp, "class": rec.get("class"), "cause": rec.get("cause"), "count": 0, "tests": [], "flaky_only": True}
            )
            g["count"] += 1
            g["flaky_only"] = g["flaky_only"] and rec.get("flaky", False)
            if rec["nodeid"] not in g["tests"]:
                g["tests"].append(rec["nodeid"])
        return sorted(groups.values(), key=lambda g: (-g["count"], g["fingerprint"]))

    def to_dict(self, exit_status: int | None = None) -> dict[str, Any]:
        counts: Counter[str] = Counter()
        by: dict[str, dict[str, Counter[str]]] = {k: defaultdict(Counter) for k in ("component", "category", "level")}
        for t in self.tests.values():
            outcome = t["outcome"] or "unknown"
            counts[outcome] += 1
            for key in by:
                by[key][t.get(key) or "none"][outcome] += 1
        by_class = Counter(r.get("class") or "unknown" for r in self.records.values() if not r.get("flaky"))
        return {
            "schema": RUN_SCHEMA,
            "run": self.run,
            "started_at": self.started_at,
            "finished_at": utcnow(),
            "exit_status": exit_status,
            "filters": self.filters,
            "counts": dict(counts),
            "total": len(self.tests),
            "by_component": {k: dict(v) for k, v in by["component"].items()},
            "by_category": {k: dict(v) for k, v in by["category"].items()},
            "by_level": {k: dict(v) for k, v in by["level"].items()},
            "by_class": dict(by_class),
            "record_ids": sorted(self.records),
            "clusters": self.clusters(),
            "collect_errors": self.collect_errors,
            "metrics": self.metrics,
            "tests": [_test_entry(t) for t in sorted(self.tests.values(), key=lambda t: t["nodeid"])],
        }

    def write(self, report_dir: Path, exit_status: int | None = None) -> dict[str, Any]:
        data = self.to_dict(exit_status)
        # Compact: run.json of a large run is read by programs, and indenting doubles its cost.
        store.write_json(Path(report_dir) / store.RUN_FILE, data, indent=None)
        return data


def _test_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in entry.items() if k != "phases" and v not in (None, [], False)}
    out["outcome"] = entry["outcome"]
    out["duration"] = round(entry["duration"], 6)
    return out


def _final(entry: Mapping[str, Any]) -> str | None:
    phases = entry.get("phases", {})
    if "???" in phases:
        return "crashed"
    setup, call, teardown = phases.get("setup"), phases.get("call"), phases.get("collect", phases.get("teardown"))
    if setup in ("error", "skipped"):
        return setup
    if teardown == "error" and call in (None, "passed"):
        return "error"
    if call == "passed" and entry.get("reran"):
        return "flaky"
    return call or setup


def _outcome(report: Any) -> str | None:
    outcome = report.outcome
    when = report.when
    if outcome == "rerun":
        return "rerun"
    if hasattr(report, "wasxfail"):
        return "xfailed" if outcome == "skipped" else "xpassed"
    if when == "???":
        return "crashed"
    if outcome == "failed":
        return "failed" if when == "call" else "error"
    if outcome == "skipped":
        return "skipped"
    return "passed" if outcome == "passed" else None


def terminal_lines(data: Mapping[str, Any], report_dir: Path) -> list[str]:
    clusters = data.get("clusters", [])
    counts = data.get("counts", {})
    lines = [
        "run "
        + str(data.get("run", {}).get("id"))
        + ": "
        + ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
        + f"; {len(data.get('record_ids', []))} failure record(s) in {len(clusters)} cluster(s)"
    ]
    for c in clusters[:20]:
        flag = " (flaky)" if c.get("flaky_only") else ""
        cause = (c.get("cause") or "").splitlines()[0][:110] if c.get("cause") else ""
        lines.append(f"  {c['fingerprint']}  {c.get('class') or 'unknown':<19} x{c['count']:<4}{flag} {cause}")
    if len(clusters) > 20:
        lines.append(f"  ... and {len(clusters) - 20} more clusters (see run.json)")
    lines.append(f"records: {store.records_dir(report_dir)}")
    return lines
