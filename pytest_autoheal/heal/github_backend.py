"""GitHub through PyGithub: token from ``GITHUB_TOKEN``, API base URL from config or ``GITHUB_API_URL``."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from .backend import Comment, HealError, Issue, PermanentError, Pull, TransientError

T = TypeVar("T")
DEFAULT_API_URL = "https://api.github.com"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _issue(obj: Any) -> Issue:
    return Issue(
        number=obj.number,
        title=obj.title or "",
        body=obj.body or "",
        state=obj.state,
        url=obj.html_url or "",
        labels=[label.name for label in obj.labels],
        state_reason=obj.state_reason,
        created_at=_iso(obj.created_at),
        closed_at=_iso(obj.closed_at),
        updated_at=_iso(obj.updated_at),
        assignees=[a.login for a in obj.assignees],
        comments=obj.comments,
    )


def _pull(obj: Any) -> Pull:
    return Pull(
        number=obj.number,
        state=obj.state,
        head=obj.head.ref,
        body=obj.body or "",
        url=obj.html_url or "",
        draft=bool(obj.draft),
        merged=obj.merged_at is not None,
        merged_at=_iso(obj.merged_at),
        created_at=_iso(obj.created_at),
    )


class GithubBackend:
    """One PyGithub client; its own retries are off, because heal retries with a journal around each write."""

    def __init__(self, repo: str, *, token: str | None = None, api_url: str | None = None, timeout: float = 30.0) -> None:
        try:
            import github
            from github import Auth
        except ImportError:
            raise HealError("PyGithub is not installed; install it with: pip install 'pytest-autoheal[github]'") from None
        token = token if token is not None else os.environ.get("GITHUB_TOKEN", "")
        self._gh_module = github
        self.api_url = _api_url(api_url or os.environ.get("GITHUB_API_URL") or DEFAULT_API_URL)
        self._gh = github.Github(
            auth=Auth.Token(token) if token else None,
            base_url=self.api_url,
            timeout=int(max(timeout, 1)),  # PyGithub insists on whole seconds
            retry=None,
            per_page=100,
            seconds_between_requests=None,
            seconds_between_writes=None,
        )
        self.repo = repo
        self.default_branch = "main"
        # Nothing is requested here: heal reads the repository through open(), retried like every other read.
        self._repo: Any = None
        self._issues: dict[int, Any] = {}
        self._comments: dict[int, Any] = {}

    def open(self) -> None:
        if self._repo is None:
            self._repo = self._call(lambda: self._gh.get_repo(self.repo))
            self.default_branch = self._repo.default_branch or "main"

    def close(self) -> None:
        self._gh.close()

    def _call(self, fn: Callable[[], T]) -> T:
        """Run one PyGithub call, turning its failures into heal's transient or permanent errors."""
        import requests

        gh = self._gh_module
        try:
            return fn()
        except gh.BadCredentialsException:
            raise HealError(
                f"GitHub at {self.api_url} rejected the token; set GITHUB_TOKEN to a token with issues and pull-requests write access"
            )
        except gh.GithubException as exc:
            headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
            message = _message(exc)
            retry_after = _float(headers.get("retry-after"))
            limited = exc.status == 429 or (exc.status == 403 and ("rate limit" in message.lower() or retry_after is not None))
            if limited and retry_after is None and headers.get("x-ratelimit-remaining") == "0":
                reset = _float(headers.get("x-ratelimit-reset"))
                retry_after = max(reset - datetime.now().timestamp(), 1.0) if reset else None
            if limited:
                # A rate-limited request was not carried out.
                raise TransientError(f"HTTP {exc.status}: {message}", retry_after=retry_after, rate_limited=retry_after is None)
            if exc.status >= 500:
                raise TransientError(f"HTTP {exc.status}: {message}", retry_after=retry_after, ambiguous=True)
            if exc.status == 404 and self._repo is None:
                raise HealError(f"repository {self.repo!r} not found at {self.api_url}; check heal.repo / --repo and the token's access")
            raise PermanentError(f"HTTP {exc.status}: {message}", status=exc.status)
        except requests.exceptions.ConnectTimeout:
            raise TransientError("could not connect in time")
        except requests.exceptions.Timeout:
            raise TransientError("no answer in time (heal.timeout)", ambiguous=True)
        except requests.exceptions.ConnectionError as exc:
            reason = _connection_failure(exc)
            # Refused or unresolvable: the request never left; anything else may have reached GitHub.
            raise TransientError(reason, ambiguous=reason not in ("connection refused", "host not found"))

    def _issue_obj(self, number: int) -> Any:
        obj = self._issues.get(number)
        if obj is None:
            obj = self._call(lambda: self._repo.get_issue(number))
            self._issues[number] = obj
        return obj

    def list_issues(self, label: str) -> list[Issue]:
        def fetch() -> list[Issue]:
            out = []
            for obj in self._repo.get_issues(state="all", labels=[label], sort="created", direction="asc"):
                if not _is_pull(obj):
                    self._issues[obj.number] = obj
                    out.append(_issue(obj))
            return out

        return self._call(fetch)

    def get_issue(self, number: int) -> Issue | None:
        try:
            obj = self._call(lambda: self._repo.get_issue(number))
        except PermanentError as exc:
            if exc.status in (404, 410):
                return None
            raise
        if _is_pull(obj):
            return None
        self._issues[number] = obj
        return _issue(obj)

    def list_comments(self, number: int) -> list[Comment]:
        issue = self._issue_obj(number)
        objs = self._call(lambda: list(issue.get_comments()))
        self._comments.update((c.id, c) for c in objs)
        return [Comment(c.id, c.body or "", _iso(c.created_at) or "", c.html_url or "") for c in objs]

    def list_pulls(self) -> list[Pull]:
        return self._call(lambda: [_pull(p) for p in self._repo.get_pulls(state="all", sort="created", direction="asc")])

    def list_branches(self, prefix: str) -> dict[str, str]:
        refs = self._call(lambda: list(self._repo.get_git_matching_refs(f"heads/{prefix}")))
        return {r.ref.removeprefix("refs/heads/"): r.object.sha for r in refs}

    def branch_sha(self, branch: str) -> str:
        return self._call(lambda: self._repo.get_branch(branch).commit.sha)

    def file_exists(self, branch: str, path: str) -> bool:
        try:
            self._call(lambda: self._repo.get_contents(path, ref=branch))
        except PermanentError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def create_issue(self, title: str, body: str, labels: list[str]) -> Issue:
        obj = self._call(lambda: self._repo.create_issue(title=title, body=body, labels=labels))
        self._issues[obj.number] = obj
        return _issue(obj)

    def comment(self, number: int, body: str) -> str:
        issue = self._issue_obj(number)
        c = self._call(lambda: issue.create_comment(body))
        return c.html_url or ""

    def reopen(self, number: int) -> Issue:
        issue = self._issue_obj(number)
        self._call(lambda: issue.edit(state="open"))
        return _issue(issue)

    def close_issue(self, number: int, reason: str) -> Issue:
        issue = self._issue_obj(number)
        self._call(lambda: issue.edit(state="closed", state_reason=reason))
        return _issue(issue)

    def close_pull(self, number: int) -> Pull:
        pull = self._call(lambda: self._repo.get_pull(number))
        self._call(lambda: pull.edit(state="closed"))
        return _pull(pull)

    def delete_comment(self, number: int, comment_id: int) -> None:
        comment = self._comments.get(comment_id)
        if comment is None:
            comment = self._call(lambda: self._repo.get_issue(number).get_comment(comment_id))
        try:
            self._call(comment.delete)
        except PermanentError as exc:
            if exc.status != 404:  # already gone: what was asked for
                raise
        self._comments.pop(comment_id, None)

    def create_branch(self, name: str, sha: str) -> None:
        self._call(lambda: self._repo.create_git_ref(f"refs/heads/{name}", sha))

    def commit_file(self, branch: str, path: str, content: str, message: str) -> str:
        result = self._call(lambda: self._repo.create_file(path, message, content, branch=branch))
        return result["commit"].sha

    def create_pull(self, title: str, body: str, head: str, base: str) -> Pull:
        return _pull(self._call(lambda: self._repo.create_pull(base=base, head=head, title=title, body=body, draft=True)))

    def assign(self, number: int, logins: list[str]) -> list[str]:
        issue = self._issue_obj(number)
        self._call(lambda: issue.add_to_assignees(*logins))
        return [a.login for a in issue.assignees]


def _api_url(value: str) -> str:
    """The API base URL, refused in one sentence unless it is an http(s) URL with a host (PyGithub would fail with a traceback)."""
    url = value.strip().rstrip("/")
    try:
        parts = urlsplit(url)
        port = parts.port  # ValueError when out of range
        ok = parts.scheme in ("http", "https") and bool(parts.hostname) and (port is None or port > 0)
    except ValueError:
        ok = False
    if not ok:
        raise HealError(
            f"GitHub API URL {value!r} is not an http(s) URL with a host; set heal.api_url, --api-url or GITHUB_API_URL "
            f"to {DEFAULT_API_URL} or your server's, e.g. https://github.example.com/api/v3"
        )
    return url


def _is_pull(obj: Any) -> bool:
    # Reading ``pull_request`` on a plain issue makes PyGithub fetch the whole issue again; the URL says it for free.
    return "/pull/" in (obj.html_url or "")


def _message(exc: Any) -> str:
    data = exc.data
    if isinstance(data, dict):
        text = str(data.get("message") or "")
        errors = data.get("errors")
        if errors:
            text += " " + "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors[:3])
        return text.strip() or str(exc.status)
    return str(exc.message or exc.status)


def _connection_failure(exc: BaseException) -> str:
    """What went wrong on the wire, in a few words, from requests' nested exception text."""
    text = str(exc)
    for needle, reason in (
        ("Connection refused", "connection refused"),
        ("Name or service not known", "host not found"),
        ("nodename nor servname", "host not found"),
        ("Temporary failure in name resolution", "host not found"),
        ("RemoteDisconnected", "connection closed without an answer"),
        ("Connection reset", "connection reset"),
        ("Connection aborted", "connection aborted"),
    ):
        if needle in text:
            return reason
    return f"connection failed ({type(exc).__name__})"


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
