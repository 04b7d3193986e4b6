"""The heal journal and state in the report directory.

``heal/journal.jsonl`` gets a line before every write (``intent``) and after it (``done`` or
``failed``), so a run cut off midway leaves a trail; the next run that has checked the repository
and finished that fingerprint's work closes such a leftover with ``resolved``; ``heal/state.json`` is the picture of heal's
issues and pull requests as the forge reported it, refreshed at every run. Both go through
:mod:`pytest_autoheal.store`, so nothing secret reaches them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .. import store
from ..context import utcnow
from ..redact import redact_data

HEAL_DIR = "heal"
JOURNAL_FILE = "journal.jsonl"
STATE_FILE = "state.json"
# The last three converge: duplicates of a fingerprint's oldest issue, extra draft PRs, a comment that landed twice.
OPS = (
    "create_issue",
    "comment",
    "reopen",
    "create_branch",
    "commit_record",
    "create_pr",
    "assign",
    "close_duplicate",
    "close_pr",
    "delete_comment",
)


class Journal:
    """Append-only log of writes; each line is rewritten atomically with the whole file."""

    def __init__(self, report_dir: Path | str) -> None:
        self.path = Path(report_dir) / HEAL_DIR / JOURNAL_FILE
        self._lines: list[str] = []
        if self.path.is_file():
            self._lines = [line for line in self.path.read_text("utf-8", errors="replace").splitlines() if line.strip()]
        self.entries: list[dict[str, Any]] = []

    def write(
        self,
        op: str,
        phase: str,
        fingerprint: str,
        *,
        issue: int | None = None,
        pr: int | None = None,
        url: str | None = None,
        error: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        entry = {"ts": utcnow(), "op": op, "phase": phase, "fingerprint": fingerprint, "issue": issue, "pr": pr, "url": url, "error": error}
        entry.update(extra)
        self.entries.append(entry)
        # Each line is redacted once as it is added, so a long journal is not redacted again at every write.
        self._lines.append(json.dumps(redact_data(entry), ensure_ascii=False, default=str))
        store.write_text(self.path, "\n".join(self._lines) + "\n", already_redacted=True)
        return entry

    def read(self) -> list[dict[str, Any]]:
        out = []
        for line in self._lines:
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out

    def unfinished(self) -> list[dict[str, Any]]:
        """Intents with no ``done``, ``failed`` or ``resolved`` after them: writes a cut-off run may or may not have made."""
        open_: dict[tuple[str, str, Any], dict[str, Any]] = {}
        for e in self.read():
            # What the write is about: a new issue has no number before it is done, a PR close is about the PR.
            op = e.get("op")
            key = (op, e.get("fingerprint"), None if op == "create_issue" else e.get("pr") if op == "close_pr" else e.get("issue"))
            if e.get("phase") == "intent":
                open_[key] = e
            else:
                open_.pop(key, None)
        return list(open_.values())


def read_state(report_dir: Path | str) -> dict[str, Any]:
    path = Path(report_dir) / HEAL_DIR / STATE_FILE
    try:
        data = store.read_json(path)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_state(report_dir: Path | str, repo: str, issues: dict[str, dict[str, Any]]) -> Path:
    return store.write_json(
        Path(report_dir) / HEAL_DIR / STATE_FILE,
        {"version": 1, "repo": repo, "updated_at": utcnow(), "issues": dict(sorted(issues.items()))},
    )
