"""What heal needs from a forge, whatever serves it: GitHub through PyGithub, or local files and git."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class HealError(Exception):
    """A problem the user can fix (no token, unknown repository); its message is one sentence."""


class TransientError(Exception):
    """A write or read that may succeed if tried again: 5xx, rate limit, dropped connection, timeout."""

    def __init__(self, message: str, *, retry_after: float | None = None, ambiguous: bool = False, rate_limited: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        # The request may have been carried out even though no answer came back.
        self.ambiguous = ambiguous
        # A rate limit (403/429) without a usable Retry-After: GitHub asks for at least a minute.
        self.rate_limited = rate_limited


class PermanentError(Exception):
    """The forge refused the request for good (422, 404, 403 without rate limit)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Issue:
    number: int
    title: str
    body: str
    state: str
    url: str
    labels: list[str] = field(default_factory=list)
    state_reason: str | None = None
    created_at: str | None = None
    closed_at: str | None = None
    updated_at: str | None = None
    assignees: list[str] = field(default_factory=list)
    comments: int | None = None


@dataclass
class Comment:
    id: int
    body: str
    created_at: str
    url: str = ""


@dataclass
class Pull:
    number: int
    state: str
    head: str
    body: str
    url: str
    draft: bool = True
    merged: bool = False
    merged_at: str | None = None
    created_at: str | None = None


class Backend(Protocol):
    """Every method is one request (or one paginated listing); writes are not retried here."""

    repo: str
    default_branch: str

    def open(self) -> None: ...
    def list_issues(self, label: str) -> list[Issue]: ...
    def get_issue(self, number: int) -> Issue | None: ...
    def list_comments(self, number: int) -> list[Comment]: ...
    def list_pulls(self) -> list[Pull]: ...
    def list_branches(self, prefix: str) -> dict[str, str]: ...
    def branch_sha(self, branch: str) -> str: ...
    def file_exists(self, branch: str, path: str) -> bool: ...
    def create_issue(self, title: str, body: str, labels: list[str]) -> Issue: ...
    def comment(self, number: int, body: str) -> str: ...
    def reopen(self, number: int) -> Issue: ...
    def close_issue(self, number: int, reason: str) -> Issue: ...
    def close_pull(self, number: int) -> Pull: ...
    def delete_comment(self, number: int, comment_id: int) -> None: ...
    def create_branch(self, name: str, sha: str) -> None: ...
    def commit_file(self, branch: str, path: str, content: str, message: str) -> str: ...
    def create_pull(self, title: str, body: str, head: str, base: str) -> Pull: ...
    def assign(self, number: int, logins: list[str]) -> list[str]: ...
