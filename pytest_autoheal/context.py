"""The run context of a record: GitHub Actions variables when present, a local run id otherwise."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 timestamp (``Z`` allowed) as an aware datetime; None when absent or malformed."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def new_local_run_id() -> str:
    return "local-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + os.urandom(3).hex()


def run_context(run_id: str | None = None, environ: dict[str, str] | None = None, cwd: str | Path | None = None) -> dict[str, Any]:
    env = os.environ if environ is None else environ
    gh_run = env.get("GITHUB_RUN_ID")
    server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    repo = env.get("GITHUB_REPOSITORY") or None
    ctx: dict[str, Any] = {
        "id": gh_run or run_id or new_local_run_id(),
        "url": f"{server}/{repo}/actions/runs/{gh_run}" if gh_run and repo else None,
        "workflow": env.get("GITHUB_WORKFLOW") or None,
        "job": env.get("GITHUB_JOB") or None,
        "sha": env.get("GITHUB_SHA") or None,
        "ref": env.get("GITHUB_REF") or None,
        "repository": repo,
        "attempt": int(env["GITHUB_RUN_ATTEMPT"]) if env.get("GITHUB_RUN_ATTEMPT", "").isdigit() else None,
        "ci": bool(gh_run) or env.get("CI", "").lower() in ("1", "true", "yes"),
        "host": socket.gethostname(),
    }
    if not gh_run:
        sha, ref = git_head(Path.cwd() if cwd is None else Path(cwd))
        ctx["sha"] = ctx["sha"] or sha
        ctx["ref"] = ctx["ref"] or ref
    return ctx


def git_head(start: Path) -> tuple[str | None, str | None]:
    """The commit and branch checked out around ``start`` (``"HEAD"`` when detached), read from ``.git``.

    Read from the files rather than by running git: this runs at every session start.
    Returns (None, None) outside a repository or when the layout is not understood.
    """
    try:
        gitdir = _find_gitdir(start.resolve())
        if gitdir is None:
            return None, None
        head = (gitdir / "HEAD").read_text("utf-8").strip()
        if not head.startswith("ref:"):
            return (head or None), "HEAD"
        ref = head[4:].strip()
        common = gitdir
        if (gitdir / "commondir").is_file():
            common = (gitdir / (gitdir / "commondir").read_text("utf-8").strip()).resolve()
        branch = ref.removeprefix("refs/heads/")
        for folder in (gitdir, common):
            loose = folder / ref
            if loose.is_file():
                return (loose.read_text("utf-8").strip() or None), branch
        packed = common / "packed-refs"
        if packed.is_file():
            for line in packed.read_text("utf-8").splitlines():
                parts = line.split()
                if len(parts) == 2 and parts[1] == ref:
                    return parts[0], branch
        return None, branch
    except (OSError, UnicodeDecodeError):
        return None, None


def _find_gitdir(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        dotgit = folder / ".git"
        if dotgit.is_dir():
            return dotgit
        if dotgit.is_file():
            # A worktree or submodule: ".git" names the real directory.
            text = dotgit.read_text("utf-8").strip()
            if text.startswith("gitdir:"):
                return (folder / text[7:].strip()).resolve()
            return None
    return None
