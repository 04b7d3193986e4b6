"""The run context of a record: GitHub Actions variables when present, a local run id otherwise."""

from __future__ import annotations

import os
import secrets
import socket
from datetime import UTC, datetime
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
    return "local-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def run_context(run_id: str | None = None, environ: dict[str, str] | None = None) -> dict[str, Any]:
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
        head = (_git("rev-parse", "HEAD", "--abbrev-ref", "HEAD") or "").split()
        if len(head) == 2:
            ctx["sha"] = ctx["sha"] or head[0]
            ctx["ref"] = ctx["ref"] or head[1]
    return ctx


def _git(*args: str) -> str | None:
    from .runner import run

    out = run(["git", *args], timeout=5)
    value = out.text().strip()
    return value if out.returncode == 0 and value else None
