"""The offline backend: issues and pull requests as JSON files, branches and commits as real git objects.

Branches are made with git's plumbing (``update-ref``, ``commit-tree`` on a private index), so
the repository's working tree and checked-out branch are never touched.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from .. import runner, store
from ..context import utcnow
from .backend import Comment, HealError, Issue, PermanentError, Pull

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "autoheal",
    "GIT_AUTHOR_EMAIL": "autoheal@localhost",
    "GIT_COMMITTER_NAME": "autoheal",
    "GIT_COMMITTER_EMAIL": "autoheal@localhost",
}


class LocalBackend:
    def __init__(
        self, git_repo: Path | str, *, store_dir: Path | str | None = None, repo: str = "local/repo", base_branch: str | None = None
    ) -> None:
        self.git_repo = Path(git_repo).resolve()
        probe = self._git("rev-parse", "--git-dir", check=False)
        if not probe.ok:
            raise HealError(f"{self.git_repo} is not a git repository; give --local-repo a path made with 'git init'")
        git_dir = Path(probe.text().strip())
        git_dir = git_dir if git_dir.is_absolute() else self.git_repo / git_dir
        self.dir = Path(store_dir) if store_dir else git_dir / "autoheal"
        self.repo = repo
        head = self._git("symbolic-ref", "--short", "HEAD", check=False)
        self.default_branch = base_branch or (head.text().strip() if head.ok else "main")

    def open(self) -> None:
        """Nothing to connect to: the store and the repository are local."""

    def _git(self, *args: str, check: bool = True, env: dict[str, str] | None = None, input: bytes | None = None) -> runner.RunResult:
        result = runner.run(["git", "-C", str(self.git_repo), *args], timeout=60, env={**GIT_IDENTITY, **(env or {})}, input=input)
        if check and not result.ok:
            raise PermanentError(f"git {args[0]} failed: {result.text('stderr').strip()[:500]}")
        return result

    def _path(self, kind: str, number: int) -> Path:
        return self.dir / kind / f"{number}.json"

    def _next_number(self) -> int:
        counter = self.dir / "next.json"
        n = int(store.read_json(counter)["next"]) if counter.is_file() else 1
        store.write_json(counter, {"next": n + 1})
        return n

    def _load(self, kind: str, number: int) -> dict[str, Any] | None:
        path = self._path(kind, number)
        return store.read_json(path) if path.is_file() else None

    def _all(self, kind: str) -> list[dict[str, Any]]:
        folder = self.dir / kind
        items = [store.read_json(p) for p in folder.glob("*.json")] if folder.is_dir() else []
        return sorted(items, key=lambda d: d["number"])

    def _url(self, kind: str, number: int) -> str:
        return self._path(kind, number).as_uri()

    @staticmethod
    def _issue(d: dict[str, Any]) -> Issue:
        return Issue(
            number=d["number"],
            title=d["title"],
            body=d["body"],
            state=d["state"],
            url=d["url"],
            labels=list(d.get("labels", [])),
            state_reason=d.get("state_reason"),
            created_at=d.get("created_at"),
            closed_at=d.get("closed_at"),
            updated_at=d.get("updated_at"),
            assignees=list(d.get("assignees", [])),
            comments=len(d.get("comments", [])),
        )

    @staticmethod
    def _pull(d: dict[str, Any]) -> Pull:
        return Pull(
            number=d["number"],
            state=d["state"],
            head=d["head"],
            body=d["body"],
            url=d["url"],
            draft=d.get("draft", True),
            merged=bool(d.get("merged")),
            merged_at=d.get("merged_at"),
            created_at=d.get("created_at"),
        )

    def list_issues(self, label: str) -> list[Issue]:
        return [self._issue(d) for d in self._all("issues") if label in d.get("labels", [])]

    def get_issue(self, number: int) -> Issue | None:
        d = self._load("issues", number)
        return self._issue(d) if d else None

    def _thread(self, number: int) -> str:
        """Where ``number``'s comments live: as on GitHub, where a pull request is an issue, a PR's number takes comments too."""
        return "pulls" if self._load("issues", number) is None and self._load("pulls", number) is not None else "issues"

    def list_comments(self, number: int) -> list[Comment]:
        kind = self._thread(number)
        d = self._load(kind, number) or {}
        url = self._url(kind, number)
        return [
            Comment(int(c.get("id", i)), c["body"], c["created_at"], f"{url}#comment-{c.get('id', i)}")
            for i, c in enumerate(d.get("comments", []), 1)
        ]

    def list_pulls(self) -> list[Pull]:
        return [self._pull(d) for d in self._all("pulls")]

    def list_branches(self, prefix: str) -> dict[str, str]:
        out = self._git("for-each-ref", "--format=%(refname) %(objectname)", f"refs/heads/{prefix}").text()
        pairs = (line.split(" ", 1) for line in out.splitlines() if " " in line)
        return {ref.removeprefix("refs/heads/"): sha for ref, sha in pairs if ref.startswith(f"refs/heads/{prefix}")}

    def branch_sha(self, branch: str) -> str:
        result = self._git("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}^{{commit}}", check=False)
        if not result.ok:
            raise HealError(f"branch {branch!r} not found in {self.git_repo}; set heal.base_branch to an existing branch")
        return result.text().strip()

    def file_exists(self, branch: str, path: str) -> bool:
        return self._git("cat-file", "-e", f"refs/heads/{branch}:{path}", check=False).ok

    def create_issue(self, title: str, body: str, labels: list[str]) -> Issue:
        n, now = self._next_number(), utcnow()
        d = {
            "number": n,
            "title": title,
            "body": body,
            "state": "open",
            "state_reason": None,
            "labels": labels,
            "created_at": now,
            "updated_at": now,
            "closed_at": None,
            "assignees": [],
            "comments": [],
            "url": self._url("issues", n),
        }
        store.write_json(self._path("issues", n), d)
        return self._issue(d)

    def _update(self, number: int, kind: str = "issues", **changes: Any) -> dict[str, Any]:
        d = self._load(kind, number)
        if d is None:
            raise PermanentError(f"{'issue' if kind == 'issues' else 'pull request'} #{number} not found in {self.dir}", status=404)
        d.update(changes, updated_at=utcnow())
        store.write_json(self._path(kind, number), d)
        return d

    def comment(self, number: int, body: str) -> str:
        kind = self._thread(number)
        d = self._load(kind, number) or {}
        old = d.get("comments", [])
        # Ids only grow, so a deleted comment's id is never given again.
        cid = max([int(c.get("id", i)) for i, c in enumerate(old, 1)] + [d.get("last_comment_id", 0)]) + 1
        self._update(number, kind, comments=[*old, {"id": cid, "body": body, "created_at": utcnow()}], last_comment_id=cid)
        return f"{self._url(kind, number)}#comment-{cid}"

    def delete_comment(self, number: int, comment_id: int) -> None:
        kind = self._thread(number)
        d = self._load(kind, number) or {}
        kept = [c for i, c in enumerate(d.get("comments", []), 1) if int(c.get("id", i)) != comment_id]
        self._update(number, kind, comments=kept)

    def reopen(self, number: int) -> Issue:
        return self._issue(self._update(number, state="open", state_reason="reopened", closed_at=None))

    def close_issue(self, number: int, reason: str = "completed") -> Issue:
        d = self._load("issues", number)
        if d is not None and d["state"] == "closed":
            return self._issue(d)
        return self._issue(self._update(number, state="closed", state_reason=reason, closed_at=utcnow()))

    def close_pull(self, number: int) -> Pull:
        d = self._load("pulls", number) or {}
        return self._pull(self._update(number, "pulls", state="closed", closed_at=d.get("closed_at") or utcnow()))

    def create_branch(self, name: str, sha: str) -> None:
        # An empty old value makes git refuse to overwrite an existing branch.
        self._git("update-ref", f"refs/heads/{name}", sha, "")

    def commit_file(self, branch: str, path: str, content: str, message: str) -> str:
        parent = self.branch_sha(branch)
        blob = self._git("hash-object", "-w", "--stdin", input=content.encode("utf-8")).text().strip()
        fd, index = tempfile.mkstemp(prefix="autoheal-index-")
        os.close(fd)
        os.unlink(index)
        try:
            env = {"GIT_INDEX_FILE": index}
            self._git("read-tree", parent, env=env)
            self._git("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=env)
            tree = self._git("write-tree", env=env).text().strip()
        finally:
            Path(index).unlink(missing_ok=True)
        commit = self._git("commit-tree", tree, "-p", parent, "-m", message).text().strip()
        self._git("update-ref", f"refs/heads/{branch}", commit, parent)
        return commit

    def create_pull(self, title: str, body: str, head: str, base: str) -> Pull:
        if any(p.head == head and p.state == "open" for p in self.list_pulls()):
            raise PermanentError(f"a pull request for {head} already exists", status=422)
        n = self._next_number()
        d = {
            "number": n,
            "title": title,
            "body": body,
            "state": "open",
            "draft": True,
            "head": head,
            "base": base,
            "merged": False,
            "merged_at": None,
            "created_at": utcnow(),
            "url": self._url("pulls", n),
        }
        store.write_json(self._path("pulls", n), d)
        return self._pull(d)

    def assign(self, number: int, logins: list[str]) -> list[str]:
        d = self._load("issues", number) or {}
        assignees = list(dict.fromkeys([*d.get("assignees", []), *logins]))
        self._update(number, assignees=assignees)
        return assignees
