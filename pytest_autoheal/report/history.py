"""Run history: one row per run and one per (run, fingerprint), for trends and first/last seen.

The SQLite database is an index; the durable copy is ``<history>.jsonl`` beside it (one line
per run, append-only). A corrupt database is moved aside and rebuilt from that log and the
current records; a locked one is read from the log in memory and caught up on the next run.
Either way the report says so with a warning and no run is lost.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..context import utcnow
from ..redact import redact_data

HISTORY_FILE = "history.sqlite"
SCHEMA_VERSION = 1
# What a history row keeps of a cluster: enough to name it; the records hold the rest.
CAUSE_CHARS = 200
TESTS_KEPT = 3
# How long a writer waits for another process's lock before falling back to the log.
LOCK_TIMEOUT = 2.0

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT UNIQUE NOT NULL,
    started_at TEXT, finished_at TEXT, url TEXT, sha TEXT, ref TEXT,
    total INTEGER, passed INTEGER, failed INTEGER, errors INTEGER, skipped INTEGER, flaky INTEGER,
    records INTEGER, clusters INTEGER, exit_status INTEGER, data TEXT
);
CREATE TABLE IF NOT EXISTS failures (
    run_id TEXT NOT NULL, fingerprint TEXT NOT NULL, class TEXT, cause TEXT, count INTEGER,
    flaky_only INTEGER, first_seen TEXT, last_seen TEXT, tests TEXT,
    PRIMARY KEY (run_id, fingerprint)
);
CREATE INDEX IF NOT EXISTS failures_fp ON failures (fingerprint);
"""


class HistoryWarning(UserWarning):
    """The history database could not be used as is; the report explains what was done."""


def history_path(report_dir: Path, cfg: Any = None) -> Path:
    configured = getattr(getattr(cfg, "report", None), "history", None)
    if configured:
        path = Path(configured)
        if not path.is_absolute():
            path = cfg.path(path) if hasattr(cfg, "path") else Path(report_dir) / path
        return path
    return Path(report_dir) / HISTORY_FILE


def as_int(value: Any, default: int = 0) -> int:
    """A count from a file someone may have edited: anything not a number counts as ``default``."""
    try:
        return int(value) if value is not None and not isinstance(value, bool) else default
    except (TypeError, ValueError):
        return default


def history_run_id(info: Mapping[str, Any]) -> str:
    """A CI re-run keeps its run id; its attempt number makes it a run of its own in the history."""
    attempt = as_int(info.get("attempt"), 1)
    return f"{info.get('id')}" if attempt <= 1 else f"{info.get('id')}.{attempt}"


def run_entry(run: Mapping[str, Any], records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """What the history keeps of one run: its counts and one row per fingerprint."""
    counts = dict(run.get("counts") or {})
    records = list(records)
    failures: dict[str, dict[str, Any]] = {}
    for rec in records:
        fp = (rec.get("fingerprint") or {}).get("hash") or "unknown"
        cls = (rec.get("classification") or {}).get("class")
        occ = rec.get("occurrences") or {}
        row = failures.setdefault(
            fp,
            {
                "fingerprint": fp,
                "class": cls,
                "cause": str((rec.get("classification") or {}).get("root_cause") or "")[:CAUSE_CHARS],
                "count": 0,
                "flaky_only": True,
                "first_seen": occ.get("first_seen") or rec.get("created_at"),
                "last_seen": occ.get("last_seen") or rec.get("updated_at"),
                "tests": [],
            },
        )
        row["count"] += as_int(occ.get("count"), 1)
        row["flaky_only"] = row["flaky_only"] and bool(rec.get("flaky"))
        row["first_seen"] = min(filter(None, [row["first_seen"], occ.get("first_seen") or rec.get("created_at")]), default=None)
        row["last_seen"] = max(filter(None, [row["last_seen"], occ.get("last_seen") or rec.get("updated_at")]), default=None)
        nodeid = (rec.get("test") or {}).get("nodeid")
        if nodeid and nodeid not in row["tests"] and len(row["tests"]) < TESTS_KEPT:
            row["tests"].append(nodeid)
    info = run.get("run") or {}
    return {
        "run_id": history_run_id(info) if info.get("id") else str(run.get("run_id") or "unknown"),
        "started_at": run.get("started_at"),
        "finished_at": run.get("finished_at") or utcnow(),
        "url": info.get("url"),
        "sha": info.get("sha"),
        "ref": info.get("ref"),
        "total": as_int(run.get("total")) or sum(as_int(v) for v in counts.values()),
        "passed": as_int(counts.get("passed")),
        "failed": as_int(counts.get("failed")) + as_int(counts.get("crashed")),
        "errors": as_int(counts.get("error")),
        "skipped": as_int(counts.get("skipped")) + as_int(counts.get("not_called_policy")),
        "flaky": as_int(counts.get("flaky")),
        "records": len(records),
        "clusters": sum(1 for r in failures.values() if not r["flaky_only"]),
        "exit_status": run.get("exit_status"),
        "failures": sorted(failures.values(), key=lambda r: (-r["count"], r["fingerprint"])),
    }


class History:
    """The bounded, append-only run history of one report directory (or a configured path)."""

    def __init__(self, path: Path, max_runs: int = 200) -> None:
        self.path = Path(path)
        self.log_path = self.path.with_name(self.path.name + ".jsonl") if self.path.suffix != ".jsonl" else self.path
        self.max_runs = max_runs
        self.notes: list[str] = []
        self.locked = False

    def append(self, entry: Mapping[str, Any], *, rebuild_from: Iterable[Mapping[str, Any]] = ()) -> bool:
        """Add one run (ignored when its run id is already there); True when it was new."""
        entry = redact_data(dict(entry))
        logged = self._read_log()
        new = entry["run_id"] not in {e["run_id"] for e in logged}
        if new:
            self._append_log(entry)
            logged.append(entry)
        try:
            with self._connect() as db:
                self._catch_up(db, [*logged, *rebuild_from])
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            self.locked = True
            self._note(f"history database {self.path} is locked by another process ({exc}); kept the run in {self.log_path}")
        self._trim_log(logged)
        return new

    def runs(self, *, extra: Iterable[Mapping[str, Any]] = ()) -> list[dict[str, Any]]:
        """All kept runs, oldest first (database, else the log), with ``extra`` entries merged in."""
        entries: list[dict[str, Any]] = []
        try:
            if self.locked:
                entries = self._read_log()
            elif self.path.exists() or self.log_path.exists():
                with self._connect() as db:
                    if self._log_changed(db):
                        self._catch_up(db, self._read_log())
                    entries = self._load(db)
        except sqlite3.OperationalError as exc:
            self._note(f"history database {self.path} could not be read ({exc}); the report uses {self.log_path}")
            entries = self._read_log()
        by_id = {e["run_id"]: e for e in entries}
        for e in extra:
            by_id.setdefault(e["run_id"], dict(e))
        ordered = sorted(by_id.values(), key=lambda e: (str(e.get("finished_at") or ""), e["run_id"]))
        return ordered[-self.max_runs :]

    def _connect(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return _Connection(self)

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for attempt in range(2):
            db = sqlite3.connect(self.path, timeout=LOCK_TIMEOUT)
            try:
                # The database is an index of the log (written with fsync), rebuilt from it when lost.
                db.execute("PRAGMA synchronous = OFF")
                row = db.execute("PRAGMA quick_check").fetchone()
                if row is None or row[0] != "ok":
                    raise sqlite3.DatabaseError(f"integrity check failed: {row and row[0]}")
                db.executescript(_DDL)
                db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
                db.commit()
                return db
            except sqlite3.OperationalError as exc:
                db.close()
                if "locked" in str(exc) or "busy" in str(exc) or attempt:
                    raise
                self._set_aside(exc)
            except sqlite3.DatabaseError as exc:
                db.close()
                if attempt:
                    raise
                self._set_aside(exc)
        raise AssertionError("unreachable")

    def _set_aside(self, exc: Exception) -> None:
        aside = self.path.with_name(f"{self.path.name}.corrupt-{utcnow().replace(':', '')}")
        with contextlib.suppress(OSError):
            os.replace(self.path, aside)
        for suffix in ("-journal", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                os.unlink(str(self.path) + suffix)
        self._note(
            f"history database {self.path} was unreadable ({exc}); moved it to {aside.name} and rebuilt it from {self.log_path.name}"
        )

    def _catch_up(self, db: sqlite3.Connection, entries: Iterable[Mapping[str, Any]]) -> None:
        have = {r[0] for r in db.execute("SELECT run_id FROM runs")}
        added = False
        for e in sorted(entries, key=lambda e: str(e.get("finished_at") or "")):
            if e["run_id"] in have:
                continue
            have.add(e["run_id"])
            added = True
            db.execute(
                "INSERT INTO runs (run_id, started_at, finished_at, url, sha, ref, total, passed, failed, errors, skipped, flaky,"
                " records, clusters, exit_status, data) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    e["run_id"],
                    e.get("started_at"),
                    e.get("finished_at"),
                    e.get("url"),
                    e.get("sha"),
                    e.get("ref"),
                    e.get("total"),
                    e.get("passed"),
                    e.get("failed"),
                    e.get("errors"),
                    e.get("skipped"),
                    e.get("flaky"),
                    e.get("records"),
                    e.get("clusters"),
                    e.get("exit_status"),
                    None,
                ),
            )
            db.executemany(
                "INSERT OR IGNORE INTO failures VALUES (?,?,?,?,?,?,?,?,?)",
                [
                    (
                        e["run_id"],
                        f["fingerprint"],
                        f.get("class"),
                        f.get("cause"),
                        f.get("count"),
                        int(bool(f.get("flaky_only"))),
                        f.get("first_seen"),
                        f.get("last_seen"),
                        json.dumps(f.get("tests") or []),
                    )
                    for f in e.get("failures") or []
                ],
            )
        if added:
            # Bounded: the oldest runs beyond the limit go, newest kept.
            db.execute(
                "DELETE FROM failures WHERE run_id IN (SELECT run_id FROM runs WHERE seq NOT IN "
                "(SELECT seq FROM runs ORDER BY finished_at DESC, seq DESC LIMIT ?))",
                (self.max_runs,),
            )
            db.execute(
                "DELETE FROM runs WHERE seq NOT IN (SELECT seq FROM runs ORDER BY finished_at DESC, seq DESC LIMIT ?)", (self.max_runs,)
            )
        db.execute("INSERT OR REPLACE INTO meta VALUES ('log', ?)", (self._log_stamp(),))
        db.commit()

    def _log_stamp(self) -> str:
        try:
            st = self.log_path.stat()
        except FileNotFoundError:
            return "none"
        return f"{st.st_size}:{st.st_mtime_ns}"

    def _log_changed(self, db: sqlite3.Connection) -> bool:
        row = db.execute("SELECT value FROM meta WHERE key = 'log'").fetchone()
        return row is None or row[0] != self._log_stamp()

    def _load(self, db: sqlite3.Connection) -> list[dict[str, Any]]:
        cols = ["run_id", "started_at", "finished_at", "url", "sha", "ref", "total", "passed", "failed", "errors", "skipped", "flaky"]
        cols += ["records", "clusters", "exit_status"]
        runs = {r[0]: dict(zip(cols, r, strict=True)) for r in db.execute(f"SELECT {', '.join(cols)} FROM runs ORDER BY seq")}
        for run in runs.values():
            run["failures"] = []
        # A row's tests stay in the database: the report names tests from the current records.
        fcols = ["run_id", "fingerprint", "class", "cause", "count", "flaky_only", "first_seen", "last_seen"]
        for row in db.execute(f"SELECT {', '.join(fcols)} FROM failures ORDER BY count DESC, fingerprint"):
            f = dict(zip(fcols, row, strict=True))
            f["flaky_only"] = bool(f["flaky_only"])
            if f["run_id"] in runs:
                runs[f.pop("run_id")]["failures"].append(f)
        return list(runs.values())

    def _read_log(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = []
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    with contextlib.suppress(ValueError):
                        e = json.loads(line)
                        if isinstance(e, dict) and e.get("run_id"):
                            entries.append(e)
        except FileNotFoundError:
            pass
        return entries

    def _append_log(self, entry: Mapping[str, Any]) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def _trim_log(self, entries: list[dict[str, Any]]) -> None:
        # Trimmed in batches so the log is rewritten rarely.
        if len(entries) <= self.max_runs * 2:
            return
        from .. import store

        keep = sorted(entries, key=lambda e: str(e.get("finished_at") or ""))[-self.max_runs :]
        store.write_text(self.log_path, "".join(json.dumps(e, ensure_ascii=False, default=str) + "\n" for e in keep), already_redacted=True)

    def note(self, message: str) -> None:
        """Tell the report and the user (as a warning) something about the history."""
        self._note(message)

    def _note(self, message: str) -> None:
        self.notes.append(message)
        warnings.warn(HistoryWarning(message), stacklevel=3)


class _Connection:
    def __init__(self, history: History) -> None:
        self.history = history
        self.db: sqlite3.Connection | None = None

    def __enter__(self) -> sqlite3.Connection:
        self.db = self.history._open()
        return self.db

    def __exit__(self, *exc: object) -> None:
        if self.db is not None:
            self.db.close()
