"""A local, stateful stand-in for the part of GitHub's REST API that PyGithub uses for heal.

Repositories, issues, comments, labels, assignees, search (with an index that lags), git refs,
contents and pulls, kept in memory. Every request is logged. Faults are injected per route:
any status (``500``, ``502``, ``403`` secondary rate limit with or without ``Retry-After``,
``429``), a dropped connection before or after the request took effect, a slow answer, a callback
run after the write (to kill the client mid-run), or a ``late`` write: its answer never reaches
the client before the client gives up, and the write lands ``before`` (at once), ``during`` (once
the client's next request has been answered, i.e. while it waits to retry), ``resend`` (when the
client's retry of the same route arrives, just before that retry is carried out: after every look
the client took) or ``after`` (right after the client's retry of the same route has landed).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import select
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


STATE_REASONS = ("completed", "not_planned", "duplicate", "reopened")
# How long a late write's handler waits for its trigger or for the client to hang up; past that the test has moved on.
HOLD_LIMIT = 120.0


@dataclass
class Fault:
    method: str
    path: str
    kind: str  # an HTTP status ("500", "502", "403", "429") | "drop" | "drop_after" | "slow" | "after" | "late"
    times: int = 1
    retry_after: float | None = None
    delay: float = 0.0
    callback: Callable[[], None] | None = None
    land: str = "before"  # for "late": "before" | "during" | "resend" | "after"
    hits: int = 0


@dataclass
class Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: str
    status: int = 0
    at: float = field(default_factory=time.monotonic)

    @property
    def write(self) -> bool:
        return self.method in WRITE_METHODS


@dataclass
class Held:
    """A late write: carried out when its trigger comes, answered only after the client hung up."""

    fault: Fault
    request: Request
    query: dict[str, list[str]]
    body: Any
    answer: tuple[int, Any, dict[str, str]] | None = None
    landed: threading.Event = field(default_factory=threading.Event)


@dataclass
class Repo:
    owner: str
    name: str
    default_branch: str = "main"
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    files: dict[tuple[str, str], bytes] = field(default_factory=dict)
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)
    next_number: int = 1
    search_index: list[int] = field(default_factory=list)


class GithubApi:
    """The server's state and fault table; start() serves it on 127.0.0.1."""

    def __init__(self, token: str | None = "test-token-value", prefix: str = "", max_per_page: int = 100) -> None:
        self.token = token
        self.max_per_page = max_per_page
        self.prefix = prefix.rstrip("/")
        self.repos: dict[str, Repo] = {}
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self.held: list[Held] = []
        self.state_reasons = STATE_REASONS
        self.lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._comment_id = 1000

    def start(self) -> GithubApi:
        api = self

        class Handler(_Handler):
            state = api

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        with self.lock:
            for held in self.held:
                held.landed.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}{self.prefix}"

    def add_repo(self, full_name: str, default_branch: str = "main") -> Repo:
        owner, name = full_name.split("/")
        repo = Repo(owner, name, default_branch)
        repo.refs[default_branch] = hashlib.sha1(f"{full_name}:root".encode()).hexdigest()
        self.repos[full_name] = repo
        return repo

    def inject(self, method: str, path: str, kind: str, **kw: Any) -> Fault:
        fault = Fault(method.upper(), path, kind, **kw)
        with self.lock:
            self.faults.append(fault)
        return fault

    def land_held(self) -> int:
        """Carry out every late write still waiting for its trigger (it reached the server; it lands eventually)."""
        with self.lock:
            waiting = list(self.held)
            for held in waiting:
                self._land(held)
        return len(waiting)

    def _land(self, held: Held) -> None:
        req = held.request
        held.answer = self.handle(req.method, req.path, held.query, held.body)
        self.held.remove(held)
        held.landed.set()

    def _before(self, req: Request) -> None:
        """Late writes that land just before ``req``, a retry of their own route, is carried out."""
        for held in list(self.held):
            if held.fault.land == "resend" and self._same_route(held, req):
                self._land(held)

    def _after(self, req: Request) -> None:
        """Late writes whose moment has come now that ``req`` was carried out (its answer not sent yet)."""
        for held in list(self.held):
            if held.request is req:
                continue
            if held.fault.land == "during" or (held.fault.land == "after" and self._same_route(held, req)):
                self._land(held)

    @staticmethod
    def _same_route(held: Held, req: Request) -> bool:
        return req.method == held.request.method and re.search(held.fault.path, req.path) is not None

    def reindex(self) -> None:
        """Let the search index catch up with the issues (GitHub's lags)."""
        with self.lock:
            for repo in self.repos.values():
                repo.search_index = sorted(repo.issues)

    def writes(self) -> list[Request]:
        return [r for r in self.requests if r.write]

    def reads(self) -> list[Request]:
        return [r for r in self.requests if not r.write]

    def reset_log(self) -> None:
        with self.lock:
            self.requests.clear()

    def close_issue(self, full_name: str, number: int, reason: str = "completed") -> None:
        with self.lock:
            issue = self.repos[full_name].issues[number]
            issue.update(state="closed", state_reason=reason, closed_at=_now(), updated_at=_now())

    def merge_pull(self, full_name: str, number: int) -> None:
        with self.lock:
            pull = self.repos[full_name].pulls[number]
            pull.update(state="closed", merged=True, merged_at=_now(), closed_at=_now())
            self.repos[full_name].issues[number]["state"] = "closed"

    def seed_issue(self, full_name: str, title: str, body: str, labels: list[str]) -> int:
        with self.lock:
            return self._create_issue(self.repos[full_name], {"title": title, "body": body, "labels": labels})["number"]

    def seed_pull(self, full_name: str, head: str, body: str, title: str = "draft") -> int:
        """A branch off the default branch and a draft PR from it, as an earlier heal run would have left them."""
        repo = self.repos[full_name]
        with self.lock:
            repo.refs[head] = repo.refs[repo.default_branch]
            pull = {"title": title, "body": body, "head": head, "base": repo.default_branch, "draft": True}
            status, data, _ = self.handle("POST", f"/repos/{full_name}/pulls", {}, pull)
        assert status == 201, data
        return int(data["number"])

    def issues(self, full_name: str) -> list[dict[str, Any]]:
        return [i for i in self.repos[full_name].issues.values() if "pull_request" not in i]

    def pulls(self, full_name: str) -> list[dict[str, Any]]:
        return list(self.repos[full_name].pulls.values())

    # --- request handling (called under the lock) ---

    def _base(self) -> str:
        return self.url

    def _label(self, repo: Repo, name: str) -> dict[str, Any]:
        if name not in repo.labels:
            repo.labels[name] = {
                "id": len(repo.labels) + 1,
                "node_id": f"L{len(repo.labels) + 1}",
                "name": name,
                "color": "ededed",
                "default": False,
                "description": None,
                "url": f"{self._base()}/repos/{repo.owner}/{repo.name}/labels/{name}",
            }
        return repo.labels[name]

    def _user(self, login: str) -> dict[str, Any]:
        return {"login": login, "id": abs(hash(login)) % 10**6, "type": "User", "url": f"{self._base()}/users/{login}"}

    def _repo_json(self, repo: Repo) -> dict[str, Any]:
        full = f"{repo.owner}/{repo.name}"
        return {
            "id": abs(hash(full)) % 10**6,
            "name": repo.name,
            "full_name": full,
            "owner": self._user(repo.owner),
            "private": False,
            "default_branch": repo.default_branch,
            "url": f"{self._base()}/repos/{full}",
            "html_url": f"http://github.test/{full}",
        }

    def _create_issue(self, repo: Repo, data: dict[str, Any], pull: bool = False) -> dict[str, Any]:
        n = repo.next_number
        repo.next_number += 1
        full = f"{repo.owner}/{repo.name}"
        now = _now()
        issue = {
            "id": 10_000 + n,
            "node_id": f"I{n}",
            "number": n,
            "title": data.get("title", ""),
            "body": data.get("body"),
            "state": "open",
            "state_reason": None,
            "locked": False,
            "labels": [self._label(repo, name) for name in data.get("labels", [])],
            "assignee": None,
            "assignees": [],
            "comments": 0,
            "created_at": now,
            "updated_at": now,
            "closed_at": None,
            "user": self._user("autoheal-bot"),
            "url": f"{self._base()}/repos/{full}/issues/{n}",
            "html_url": f"http://github.test/{full}/{'pull' if pull else 'issues'}/{n}",
        }
        if pull:
            issue["pull_request"] = {"url": f"{self._base()}/repos/{full}/pulls/{n}"}
        repo.issues[n] = issue
        repo.comments[n] = []
        return issue

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any, dict[str, str]]:
        q = {k: v[-1] for k, v in query.items()}
        if path == "/search/issues":
            return self._search(q)
        m = re.match(r"^/repos/([^/]+)/([^/]+)(/.*)?$", path)
        if not m:
            return 404, {"message": "Not Found"}, {}
        repo = self.repos.get(f"{m.group(1)}/{m.group(2)}")
        if repo is None:
            return 404, {"message": "Not Found"}, {}
        rest = m.group(3) or ""
        full = f"{repo.owner}/{repo.name}"
        if rest == "" and method == "GET":
            return 200, self._repo_json(repo), {}
        if rest == "/issues" and method == "GET":
            items = [i for i in repo.issues.values()]
            state = q.get("state", "open")
            if state != "all":
                items = [i for i in items if i["state"] == state]
            for label in filter(None, q.get("labels", "").split(",")):
                items = [i for i in items if any(lb["name"] == label for lb in i["labels"])]
            items.sort(key=lambda i: i["number"], reverse=q.get("direction", "desc") == "desc")
            return self._page(items, q, path)
        if rest == "/issues" and method == "POST":
            return 201, self._create_issue(repo, body), {}
        if m2 := re.match(r"^/issues/(\d+)$", rest):
            issue = repo.issues.get(int(m2.group(1)))
            if issue is None:
                return 404, {"message": "Not Found"}, {}
            if method == "PATCH":
                for key in ("title", "body"):
                    if key in body:
                        issue[key] = body[key]
                if body.get("state") == "open" and issue["state"] != "open":
                    issue.update(state="open", state_reason="reopened", closed_at=None)
                elif body.get("state") == "closed" and issue["state"] != "closed":
                    reason = body.get("state_reason") or "completed"
                    if reason not in self.state_reasons:
                        return 422, {"message": "Validation Failed", "errors": [{"message": f"state_reason {reason!r} is invalid"}]}, {}
                    issue.update(state="closed", state_reason=reason, closed_at=_now())
                issue["updated_at"] = _now()
            return 200, issue, {}
        if m2 := re.match(r"^/issues/(\d+)/comments$", rest):
            n = int(m2.group(1))
            if n not in repo.issues:
                return 404, {"message": "Not Found"}, {}
            if method == "POST":
                self._comment_id += 1
                comment = {
                    "id": self._comment_id,
                    "body": body.get("body", ""),
                    "created_at": _now(),
                    "updated_at": _now(),
                    "user": self._user("autoheal-bot"),
                    "url": f"{self._base()}/repos/{full}/issues/comments/{self._comment_id}",
                    "html_url": f"http://github.test/{full}/issues/{n}#issuecomment-{self._comment_id}",
                }
                repo.comments[n].append(comment)
                repo.issues[n]["comments"] += 1
                repo.issues[n]["updated_at"] = _now()
                return 201, comment, {}
            return self._page(repo.comments[n], q, path)
        if m2 := re.match(r"^/issues/comments/(\d+)$", rest):
            cid = int(m2.group(1))
            for n, comments in repo.comments.items():
                for comment in comments:
                    if comment["id"] == cid:
                        if method == "DELETE":
                            comments.remove(comment)
                            repo.issues[n]["comments"] -= 1
                            return 204, None, {}
                        return 200, comment, {}
            return 404, {"message": "Not Found"}, {}
        if m2 := re.match(r"^/issues/(\d+)/comments/(\d+)$", rest):
            n, cid = int(m2.group(1)), int(m2.group(2))
            found = next((c for c in repo.comments.get(n, []) if c["id"] == cid), None)
            return (200, found, {}) if found else (404, {"message": "Not Found"}, {})
        if m2 := re.match(r"^/issues/(\d+)/assignees$", rest):
            issue = repo.issues.get(int(m2.group(1)))
            if issue is None:
                return 404, {"message": "Not Found"}, {}
            for login in body.get("assignees", []):
                if login not in [a["login"] for a in issue["assignees"]]:
                    issue["assignees"].append(self._user(login))
            issue["assignee"] = issue["assignees"][0] if issue["assignees"] else None
            return 201, issue, {}
        if rest == "/labels":
            if method == "POST":
                return 201, self._label(repo, body["name"]), {}
            return self._page(list(repo.labels.values()), q, path)
        if m2 := re.match(r"^/branches/(.+)$", rest):
            name = m2.group(1)
            if name not in repo.refs:
                return 404, {"message": "Branch not found"}, {}
            return (
                200,
                {
                    "name": name,
                    "protected": False,
                    "commit": {"sha": repo.refs[name], "url": f"{self._base()}/repos/{full}/commits/{repo.refs[name]}"},
                },
                {},
            )
        if m2 := re.match(r"^/git/matching-refs/heads/(.*)$", rest):
            prefix = m2.group(1)
            return self._page([self._ref(repo, n) for n in sorted(repo.refs) if n.startswith(prefix)], q, path)
        if rest == "/git/refs" and method == "POST":
            ref = str(body.get("ref", ""))
            if not ref.startswith("refs/heads/"):
                return 422, {"message": "Reference name is invalid"}, {}
            name = ref.removeprefix("refs/heads/")
            if name in repo.refs:
                return 422, {"message": "Reference already exists"}, {}
            repo.refs[name] = body["sha"]
            return 201, self._ref(repo, name), {}
        if m2 := re.match(r"^/contents/(.+)$", rest):
            file_path = m2.group(1)
            if method == "PUT":
                branch = body.get("branch", repo.default_branch)
                if branch not in repo.refs:
                    return 404, {"message": "Branch not found"}, {}
                if (branch, file_path) in repo.files and not body.get("sha"):
                    return 422, {"message": 'Invalid request. "sha" wasn\'t supplied.'}, {}
                content = base64.b64decode(body["content"])
                repo.files[(branch, file_path)] = content
                commit = hashlib.sha1(repo.refs[branch].encode() + content).hexdigest()
                repo.refs[branch] = commit
                return (
                    201,
                    {
                        "content": self._content(repo, branch, file_path),
                        "commit": {
                            "sha": commit,
                            "message": body.get("message"),
                            "url": f"{self._base()}/repos/{full}/git/commits/{commit}",
                            "html_url": f"http://github.test/{full}/commit/{commit}",
                        },
                    },
                    {},
                )
            branch = q.get("ref", repo.default_branch)
            if (branch, file_path) not in repo.files:
                return 404, {"message": "Not Found"}, {}
            return 200, self._content(repo, branch, file_path), {}
        if rest == "/pulls" and method == "POST":
            head, base = body.get("head", ""), body.get("base", "")
            if head not in repo.refs or base not in repo.refs:
                return 422, {"message": "Validation Failed", "errors": [{"message": f"head {head!r} or base {base!r} not found"}]}, {}
            if any(p["head"]["ref"] == head and p["state"] == "open" for p in repo.pulls.values()):
                return 422, {"message": "Validation Failed", "errors": [{"message": f"A pull request already exists for {head}."}]}, {}
            issue = self._create_issue(repo, body, pull=True)
            n = issue["number"]
            pull = {
                **{
                    k: issue[k]
                    for k in (
                        "id",
                        "node_id",
                        "number",
                        "title",
                        "body",
                        "state",
                        "created_at",
                        "updated_at",
                        "closed_at",
                        "user",
                        "labels",
                        "assignees",
                    )
                },
                "draft": bool(body.get("draft")),
                "merged": False,
                "merged_at": None,
                "head": {"ref": head, "sha": repo.refs[head], "label": f"{repo.owner}:{head}"},
                "base": {"ref": base, "sha": repo.refs[base], "label": f"{repo.owner}:{base}"},
                "url": f"{self._base()}/repos/{full}/pulls/{n}",
                "html_url": f"http://github.test/{full}/pull/{n}",
                "issue_url": issue["url"],
            }
            repo.pulls[n] = pull
            return 201, pull, {}
        if rest == "/pulls" and method == "GET":
            items = list(repo.pulls.values())
            state = q.get("state", "open")
            if state != "all":
                items = [p for p in items if p["state"] == state]
            items = [{k: v for k, v in p.items() if k != "merged"} for p in items]
            return self._page(sorted(items, key=lambda p: p["number"]), q, path)
        if m2 := re.match(r"^/pulls/(\d+)$", rest):
            pull = repo.pulls.get(int(m2.group(1)))
            if pull is None:
                return 404, {"message": "Not Found"}, {}
            if method == "PATCH":
                for key in ("title", "body"):
                    if key in body:
                        pull[key] = body[key]
                if body.get("state") == "closed" and pull["state"] != "closed":
                    pull.update(state="closed", closed_at=_now(), updated_at=_now())
                    repo.issues[pull["number"]].update(state="closed", closed_at=_now())
            return 200, pull, {}
        return 404, {"message": f"Not Found: {method} {path}"}, {}

    def _ref(self, repo: Repo, name: str) -> dict[str, Any]:
        full = f"{repo.owner}/{repo.name}"
        return {
            "ref": f"refs/heads/{name}",
            "node_id": f"R{name}",
            "url": f"{self._base()}/repos/{full}/git/refs/heads/{name}",
            "object": {"sha": repo.refs[name], "type": "commit", "url": f"{self._base()}/repos/{full}/git/commits/{repo.refs[name]}"},
        }

    def _content(self, repo: Repo, branch: str, path: str) -> dict[str, Any]:
        data = repo.files[(branch, path)]
        full = f"{repo.owner}/{repo.name}"
        return {
            "type": "file",
            "encoding": "base64",
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "sha": hashlib.sha1(data).hexdigest(),
            "size": len(data),
            "content": base64.b64encode(data).decode(),
            "url": f"{self._base()}/repos/{full}/contents/{path}?ref={branch}",
            "html_url": f"http://github.test/{full}/blob/{branch}/{path}",
        }

    def _search(self, q: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        query = q.get("q", "")
        if "is:issue" not in query and "is:pull-request" not in query and "is:pr" not in query:
            return 422, {"message": "Validation Failed", "errors": [{"message": "Query must include 'is:issue' or 'is:pull-request'"}]}, {}
        m = re.search(r"repo:(\S+)", query)
        repo = self.repos.get(m.group(1)) if m else None
        words = [w.strip('"') for w in re.findall(r'"[^"]+"|\S+', query) if ":" not in w or w.startswith('"')]
        items = []
        for n in repo.search_index if repo else []:
            issue = repo.issues[n]  # type: ignore[union-attr]
            text = f"{issue['title']}\n{issue.get('body') or ''}"
            if all(w in text for w in words):
                items.append(issue)
        return 200, {"total_count": len(items), "incomplete_results": False, "items": items}, {}

    def _page(self, items: list[Any], q: dict[str, str], path: str) -> tuple[int, Any, dict[str, str]]:
        per_page = max(1, min(int(q.get("per_page", 30)), self.max_per_page))
        page = max(1, int(q.get("page", 1)))
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(items):
            params = "&".join(f"{k}={v}" for k, v in {**q, "page": page + 1, "per_page": per_page}.items())
            headers["Link"] = f'<{self._base()}{path}?{params}>; rel="next"'
        return 200, chunk, headers


class _Handler(BaseHTTPRequestHandler):
    state: GithubApi
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, delayed ACKs add ~40 ms to every answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _serve(self) -> None:
        api = self.state
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        if api.prefix and path.startswith(api.prefix):
            path = path[len(api.prefix) :]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        text = raw.decode("utf-8", errors="replace")
        req = Request(self.command, path, parts.query, {k: v for k, v in self.headers.items()}, text)
        with api.lock:
            api.requests.append(req)
            fault = next((f for f in api.faults if f.hits < f.times and f.method in (self.command, "*") and re.search(f.path, path)), None)
            if fault:
                fault.hits += 1
        if fault and fault.kind == "slow":
            time.sleep(fault.delay)
        if fault and fault.kind == "drop":
            return self._drop(req)
        if fault and fault.kind.isdigit():
            status = int(fault.kind)
            message = (
                "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
                if status in (403, 429)
                else HTTPStatus(status).phrase
            )
            extra = {"Retry-After": str(int(fault.retry_after))} if fault.retry_after is not None else {}
            return self._send(req, status, {"message": message}, extra)
        auth = self.headers.get("Authorization", "")
        if api.token and auth not in (f"token {api.token}", f"Bearer {api.token}"):
            return self._send(req, 401, {"message": "Bad credentials"}, {})
        try:
            body = json.loads(text) if text else {}
        except ValueError:
            return self._send(req, 400, {"message": "Problems parsing JSON"}, {})
        if fault and fault.kind == "late":
            return self._late(req, fault, parse_qs(parts.query), body)
        with api.lock:
            api._before(req)
            status, data, headers = api.handle(self.command, path, parse_qs(parts.query), body)
            api._after(req)
        if fault and fault.kind == "drop_after":
            return self._drop(req)
        if fault and fault.kind == "after" and fault.callback:
            fault.callback()
        self._send(req, status, data, headers)

    def _late(self, req: Request, fault: Fault, query: dict[str, list[str]], body: Any) -> None:
        api = self.state
        held = Held(fault, req, query, body)
        with api.lock:
            api.held.append(held)
            if fault.land == "before":
                api._land(held)
        held.landed.wait(HOLD_LIMIT)
        # The answer goes out only once the client has given up waiting for it and closed the connection.
        readable, _, _ = select.select([self.connection], [], [], HOLD_LIMIT)
        if held.answer is None or not readable:
            return self._drop(req)
        status, data, headers = held.answer
        self._send(req, status, data, headers)
        self.close_connection = True

    def _drop(self, req: Request) -> None:
        req.status = -1
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _send(self, req: Request, status: int, data: Any, headers: dict[str, str]) -> None:
        req.status = status
        payload = json.dumps(data).encode() if status != 204 else b""
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("X-RateLimit-Limit", "5000")
            self.send_header("X-RateLimit-Remaining", "4999")
            self.send_header("X-RateLimit-Reset", str(int(time.time()) + 3600))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve
