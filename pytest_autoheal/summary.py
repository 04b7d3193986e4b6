"""The run summary: ``<dir>/run.json`` and the terminal's failure clusters.

Built once, on the controller at the end of the session, from the reports pytest kept, the
tests' markers (sent by xdist workers with their results) and the records on disk, so it is
the same with and without xdist.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from . import store
from .context import utcnow

RUN_SCHEMA = "autoheal.run/v1"
# The count of tests that called nothing because the call policy did not allow it (their pytest outcome is "skipped").
NOT_CALLED = "not_called_policy"


def bucket(test: Mapping[str, Any]) -> str:
    """The outcome a test is counted under: a skip the call policy decided is counted on its own."""
    outcome = test.get("outcome") or "unknown"
    return NOT_CALLED if outcome == "skipped" and test.get("not_called") else outcome


class RunSummary:
    def __init__(
        self,
        run: Mapping[str, Any],
        *,
        levels: Iterable[str] = (),
        components: Iterable[str] = (),
        categories: Iterable[str] = (),
        started_at: str | None = None,
    ):
        self.run = dict(run)
        self.started_at = started_at or utcnow()
        self.filters = {"levels": list(levels), "components": list(components), "categories": list(categories)}
        # One entry per test, already in run.json's shape; what only unusual tests need (phases
        # seen, attempts, reruns) is kept aside in ``_odd``.
        self.tests: dict[str, dict[str, Any]] = {}
        self._odd: dict[str, dict[str, Any]] = {}
        self.records: dict[str, dict[str, Any]] = {}
        self.metrics: dict[str, dict[str, Any]] = {}
        self.collect_errors: list[str] = []
        # Tool calls and CLI invocations made outside any test (discovery at collection).
        self.outside_trail: list[dict[str, Any]] = []

    def add_reports(
        self, reports: Iterable[Any], meta: Mapping[str, Mapping[str, Any]] = {}, states: Mapping[str, Mapping[str, Any]] = {}
    ) -> None:
        """The outcome of every test from its reports (any order); ``meta`` from its markers, ``states`` set at run time."""
        tests = self.tests
        passed_calls: dict[str, int] = {}
        odd_reports: list[Any] = []
        # Runs once per report at session end. A plainly passing test takes the short path; any
        # other report (failure, skip, xfail, rerun, crash, collection error) is looked at below.
        for report in reports:
            nodeid = report.nodeid
            entry = tests.get(nodeid)
            if entry is None:
                entry = tests[nodeid] = {"nodeid": nodeid, "outcome": None, "duration": 0.0}
                if meta and (m := meta.get(nodeid)):
                    entry.update(m)
            try:
                entry["duration"] += report.duration
            except (AttributeError, TypeError):
                pass  # a collection report has none
            if report.outcome == "passed" and "wasxfail" not in report.__dict__:
                if report.when == "call":
                    passed_calls[nodeid] = passed_calls.get(nodeid, 0) + 1
                continue
            odd_reports.append(report)
        odd = self._odd
        for report in odd_reports:
            nodeid = report.nodeid
            when = report.when
            if when == "collect":
                if not report.failed:
                    continue
                self.collect_errors.append(nodeid)
            state = odd.get(nodeid)
            if state is None:
                state = odd[nodeid] = {"phases": {}, "attempts": 0, "reran": False}
            outcome = _outcome(report)
            if outcome == "rerun":
                state["attempts"] += 1
                state["reran"] = True
            elif outcome is not None:
                state["phases"][when] = outcome
                if when in ("call", "???"):
                    state["attempts"] += 1
        for nodeid, n in passed_calls.items():
            state = odd.get(nodeid)
            if state is None and n == 1:
                tests[nodeid]["outcome"] = "passed"
                continue
            if state is None:
                state = odd[nodeid] = {"phases": {}, "attempts": 0, "reran": False}
            state["attempts"] += n
            state["phases"].setdefault("call", "passed")
        for nodeid, state in odd.items():
            entry = tests[nodeid]
            entry["outcome"] = _final(state)
            if state["attempts"] != 1:
                entry["attempts"] = state["attempts"]
            if state["reran"]:
                entry["reran"] = True
        for nodeid, state in states.items():
            entry = tests.get(nodeid)
            if entry is None:
                continue
            for key in ("target", "category", "not_called", "trail"):
                if state.get(key):
                    entry[key] = state[key]
            if state.get("metrics"):
                self.metrics[nodeid] = state["metrics"]

    def add_records(self, records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """Link the run's failure records to their tests; returns the records that just became flaky."""
        now_flaky = []
        for rec in records:
            if rec.get("source", "pytest") not in ("pytest", "controller"):
                continue
            test = rec.get("test") or {}
            nodeid = str(test.get("nodeid") or "?")
            entry = self.tests.get(nodeid)
            if entry is not None:
                ids = entry.setdefault("record_ids", [])
                if rec["id"] not in ids:
                    ids.append(rec["id"])
                for key in ("level", "component", "category", "target"):
                    if not entry.get(key) and test.get(key):
                        entry[key] = test[key]
                if entry["outcome"] == "flaky" and not rec.get("flaky"):
                    rec["flaky"] = True
                    test["outcome"] = "flaky"
                    test["reruns"] = max(int(test.get("reruns") or 0), entry.get("attempts", 1) - 1)
                    now_flaky.append(rec)
            source = entry if entry is not None else test
            cls = rec.get("classification") or {}
            self.records[rec["id"]] = {
                "id": rec["id"],
                "nodeid": nodeid,
                "fingerprint": (rec.get("fingerprint") or {}).get("hash"),
                "class": cls.get("class"),
                "cause": cls.get("root_cause"),
                "flaky": bool(rec.get("flaky")),
                "component": source.get("component"),
                "category": source.get("category"),
            }
        return now_flaky

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
        tests = sorted(self.tests.values(), key=lambda t: t["nodeid"])
        for t in tests:
            t["duration"] = round(t["duration"], 6)
        counts = Counter(bucket(t) for t in tests)
        by = {key: _count_by(tests, key) for key in ("component", "category", "level")}
        by_class = Counter(r.get("class") or "unknown" for r in self.records.values() if not r.get("flaky"))
        return {
            "schema": RUN_SCHEMA,
            "run": self.run,
            "started_at": self.started_at,
            "finished_at": utcnow(),
            "exit_status": exit_status,
            "filters": self.filters,
            "counts": dict(counts),
            "total": len(tests),
            "by_component": by["component"],
            "by_category": by["category"],
            "by_level": by["level"],
            "by_class": dict(by_class),
            "record_ids": sorted(self.records),
            "clusters": self.clusters(),
            "collect_errors": self.collect_errors,
            "metrics": self.metrics,
            "warnings": warnings(self.metrics),
            "trail": self.outside_trail,
            "tests": tests,
        }

    def write(self, report_dir: Path, exit_status: int | None = None) -> dict[str, Any]:
        data = self.to_dict(exit_status)
        # Compact: run.json of a large run is read by programs, and indenting doubles its cost.
        store.write_json(Path(report_dir) / store.RUN_FILE, data, indent=None)
        return data


# Metrics a test records for an answer that is not a failure but must not go unseen.
WARNING_METRICS = {"error_answer": "a successful answer declared an error"}


def warnings(metrics: Mapping[str, Mapping[str, Any]]) -> list[dict[str, str]]:
    """One entry per noted warning (an answer with ``isError: false`` whose content declares an error)."""
    return [
        {"nodeid": nodeid, "kind": key, "text": f"{what}: {figures[key]}"}
        for nodeid, figures in sorted(metrics.items())
        if isinstance(figures, Mapping)
        for key, what in WARNING_METRICS.items()
        if figures.get(key)
    ]


def _count_by(tests: Iterable[Mapping[str, Any]], key: str) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for (value, outcome), n in Counter((t.get(key) or "none", bucket(t)) for t in tests).items():
        out.setdefault(value, {})[outcome] = n
    return out


def _final(state: Mapping[str, Any]) -> str | None:
    phases = state["phases"]
    if "???" in phases:
        return "crashed"
    setup, call, teardown = phases.get("setup"), phases.get("call"), phases.get("collect", phases.get("teardown"))
    if setup in ("error", "skipped"):
        return setup
    if teardown == "error" and call in (None, "passed"):
        return "error"
    if call == "passed" and state["reran"]:
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
        + ", ".join(f"{n} {'not called (policy)' if k == NOT_CALLED else k}" for k, n in sorted(counts.items()))
        + f"; {len(data.get('record_ids', []))} failure record(s) in {len(clusters)} cluster(s)"
    ]
    warned = data.get("warnings") or []
    if warned:
        lines.append(f"{len(warned)} warning(s), not filed (see the health report):")
        lines += [f"  {w['nodeid']}: {w['text'][:110]}" for w in warned[:10]]
    for c in clusters[:20]:
        flag = " (flaky)" if c.get("flaky_only") else ""
        cause = (c.get("cause") or "").splitlines()[0][:110] if c.get("cause") else ""
        lines.append(f"  {c['fingerprint']}  {c.get('class') or 'unknown':<19} x{c['count']:<4}{flag} {cause}")
    if len(clusters) > 20:
        lines.append(f"  ... and {len(clusters) - 20} more clusters (see run.json)")
    lines.append(f"records: {store.records_dir(report_dir)}")
    return lines
