"""Carry out a heal plan: every write journaled before and after, retried with backoff, within GitHub's limits."""

from __future__ import annotations

import json
import re
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from .. import store
from ..capture import recover_inflight
from ..redact import redact, redact_data
from . import render
from .backend import Backend, Issue, PermanentError, Pull, TransientError
from .config import HealConfig
from .journal import Journal, read_state, write_state
from .plan import Cluster, HealPlan, History, PlanItem, group_records, make_plan

T = TypeVar("T")
BRANCH_PREFIX = "autofix/"
_BRANCH = re.compile(r"^autofix/workflow-.+-issue-(\d+)-\d+$")
_FIXES = re.compile(r"^\s*Fixes #(\d+)\b", re.MULTILINE)


class BudgetExhausted(Exception):
    """The hourly content-write budget is spent; what is left waits for the next run."""


class GaveUp(Exception):
    """The forge kept failing after every retry; the next run picks up from the journal."""


class WriteBudget:
    """Spaces content-creating requests to stay under per-minute and per-hour limits."""

    def __init__(self, per_minute: int, per_hour: int, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.per_minute, self.per_hour, self._sleep = per_minute, per_hour, sleep
        self._recent: deque[float] = deque()
        self.used = 0
        self.waited = 0.0

    def take(self) -> None:
        if self.used >= self.per_hour:
            raise BudgetExhausted(f"{self.per_hour} writes this run (heal.writes_per_hour)")
        now = time.monotonic()
        while self._recent and now - self._recent[0] >= 60:
            self._recent.popleft()
        if len(self._recent) >= self.per_minute:
            wait = 60 - (now - self._recent[0])
            self.waited += wait
            self._sleep(wait)
            self._recent.popleft()
        self._recent.append(time.monotonic())
        self.used += 1


@dataclass
class HealResult:
    plan: HealPlan
    records: int = 0
    bad_files: list[str] = field(default_factory=list)
    created: list[int] = field(default_factory=list)
    pulls: list[int] = field(default_factory=list)
    commented: list[int] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    unfinished: list[str] = field(default_factory=list)
    writes: int = 0
    retries: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed and not self.unfinished


def load_clusters(report_dirs: Sequence[Path | str], errors: list[str] | None = None) -> tuple[list[Cluster], int]:
    for d in report_dirs:
        recover_inflight(d)
    records = store.load_records(report_dirs, errors=errors)
    return group_records(records), len(records)


class Healer:
    def __init__(
        self,
        backend: Backend | None,
        cfg: HealConfig,
        state_dir: Path | str,
        *,
        dry_run: bool = False,
        progress: Callable[[str], None] = print,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.backend, self.cfg, self.state_dir = backend, cfg, Path(state_dir)
        self.dry_run, self.progress, self._sleep = dry_run, progress, sleep
        self.journal = Journal(self.state_dir) if not dry_run else None
        self.budget = WriteBudget(cfg.writes_per_minute, cfg.writes_per_hour, sleep=sleep)
        self.cache = read_state(self.state_dir).get("issues", {})
        self.issues: dict[int, Issue] = {}
        self.by_fp: dict[str, Issue] = {}
        self.ours: set[int] = set()
        self.marker_run: dict[int, str | None] = {}
        self.pulls: dict[int, Pull] = {}
        self.history: dict[str, History] = {}
        self._branches: dict[str, str] | None = None
        self._base_sha: str | None = None
        self.result = HealResult(HealPlan())

    def _read(self, fn: Callable[[], T]) -> T:
        attempt = 0
        while True:
            try:
                return fn()
            except TransientError as exc:
                attempt += 1
                self._backoff(exc, attempt, "read")

    def _backoff(self, exc: TransientError, attempt: int, what: str) -> None:
        if attempt > self.cfg.max_retries:
            raise GaveUp(f"{what} failed {attempt} times: {exc}")
        wait = exc.retry_after if exc.retry_after is not None else self.cfg.retry_backoff * 2 ** (attempt - 1)
        if wait > self.cfg.max_retry_wait:
            raise GaveUp(f"{what}: asked to wait {wait:.0f}s, more than heal.max_retry_wait ({self.cfg.max_retry_wait:.0f}s): {exc}")
        self.result.retries += 1
        self.progress(f"heal: {what}: {exc}; retry {attempt}/{self.cfg.max_retries} in {wait:.1f}s")
        self._sleep(wait)

    def _write(
        self,
        op: str,
        fp: str,
        fn: Callable[[], T],
        *,
        verify: Callable[[], T | None] | None = None,
        issue: int | None = None,
        describe: Callable[[T], dict[str, Any]] | None = None,
    ) -> T:
        """One content write: journal intent, try, retry (checking first whether an unanswered try landed), journal outcome."""
        assert self.journal is not None
        self.budget.take()
        self.journal.write(op, "intent", fp, issue=issue)
        attempt = 0
        result: T | None = None
        while True:
            try:
                self.result.writes += 1
                result = fn()
                break
            except TransientError as exc:
                if exc.ambiguous and verify is not None:
                    found = self._read(verify)
                    if found is not None:
                        result = found
                        break
                attempt += 1
                try:
                    self._backoff(exc, attempt, op)
                except GaveUp as gave_up:
                    self.journal.write(op, "failed", fp, issue=issue, error=str(gave_up))
                    raise
            except PermanentError as exc:
                found = self._read(verify) if verify is not None and exc.status == 422 else None
                if found is not None:
                    result = found
                    break
                self.journal.write(op, "failed", fp, issue=issue, error=str(exc))
                raise
        info = describe(result) if describe else {}
        self.journal.write(op, "done", fp, **{"issue": issue, **info})
        return result

    def read_remote(self, clusters: Sequence[Cluster]) -> None:
        if self.backend is None:
            return
        backend = self.backend
        listed = self._read(lambda: backend.list_issues(self.cfg.labels[0]))
        for issue in listed:
            self._know(issue)
        # An issue heal filed whose label was removed by hand is still ours: look it up by the cached number.
        wanted = {c.fingerprint for c in clusters} - set(self.by_fp)
        for fp in sorted(wanted):
            number = (self.cache.get(fp) or {}).get("issue")
            if isinstance(number, int) and number not in self.issues:
                issue = self._read(lambda n=number: backend.get_issue(n))
                if issue is not None:
                    self._know(issue)
        for cluster in clusters:
            # An issue filed under an earlier fingerprint algorithm: the records keep the hashes it gave them.
            legacy = {str(h.get("hash")) for r in cluster.records for h in (r.get("fingerprint") or {}).get("legacy") or []}
            old = next((self.by_fp[h] for h in sorted(legacy) if h in self.by_fp), None)
            if old is not None and cluster.fingerprint not in self.by_fp:
                self.by_fp[cluster.fingerprint] = old
        seed = {render.seed_run_id(i.body): i for i in listed if i.number not in self.ours and render.seed_run_id(i.body)}
        for cluster in clusters:
            if cluster.fingerprint in self.by_fp:
                continue
            for run_id in cluster.run_ids:
                issue = seed.pop(run_id, None)
                if issue is not None:
                    self.by_fp[cluster.fingerprint] = issue
                    self.progress(f"heal: {cluster.fingerprint[:12]} matches seed-style issue #{issue.number} (Run ID: {run_id})")
                    break
        for pull in self._read(backend.list_pulls):
            m = _FIXES.search(pull.body) or _BRANCH.match(pull.head)
            if m and pull.head.startswith(BRANCH_PREFIX):
                self.pulls.setdefault(int(m.group(1)), pull)

    def _know(self, issue: Issue) -> None:
        self.issues[issue.number] = issue
        marker = render.parse_marker(issue.body)
        if marker:
            fp, run_id = marker
            self.ours.add(issue.number)
            self.marker_run[issue.number] = run_id
            self.by_fp.setdefault(fp, issue)

    def _history(self, cluster: Cluster, issue: Issue) -> History:
        """Runs already reported on ``issue``: its marker, the cache, and only if still unsure its comments."""
        fp = cluster.fingerprint
        if fp in self.history:
            return self.history[fp]
        cached = self.cache.get(fp) or {}
        runs = {r for r in [self.marker_run.get(issue.number), *cached.get("reported_runs", [])] if r}
        seen = History(runs, cached.get("last_comment_at") if cached.get("issue") == issue.number else None)
        # The listing says how many comments an issue has: none means nothing to read.
        if not set(cluster.run_ids) <= runs and self.backend is not None and issue.comments != 0:
            backend = self.backend
            for body, created_at in self._read(lambda: backend.list_comments(issue.number)):
                for run_id, comment_fp in render.parse_occurrences(body):
                    if comment_fp == fp:
                        seen.runs.add(run_id)
                        seen.last_comment_at = max(seen.last_comment_at or "", created_at) or None
        self.history[fp] = seen
        return seen

    def plan(self, clusters: Sequence[Cluster]) -> HealPlan:
        plan = make_plan(
            clusters,
            cfg=self.cfg,
            issues=self.by_fp,
            ours=self.ours if self.cfg.create_pr else set(),
            pulls=self.pulls,
            history=self._history,
            now=datetime.now(UTC),
            remote=self.backend is not None,
        )
        self.result.plan = plan
        return plan

    def execute(self, plan: HealPlan) -> HealResult:
        work = [i for i in plan.items if i.kind in ("create", "comment", "reopen", "finish")]
        for n, item in enumerate(work, 1):
            fp = item.cluster.fingerprint
            label = f"heal: [{n}/{len(work)}] {item.kind} {fp[:12]}"
            try:
                self.progress(f"{label}: {self._do(item)}")
            except PermanentError as exc:
                self.result.failed.append(f"{item.kind} {fp[:12]}: {exc}")
                self.progress(f"{label}: failed: {exc}")
            except (GaveUp, BudgetExhausted) as exc:
                rest = work[n - 1 :]
                self.result.unfinished.extend(f"{i.kind} {i.cluster.fingerprint[:12]}" for i in rest)
                self.progress(f"heal: stopped: {exc}; {len(rest)} action(s) left for the next run (journal: {self._journal_path()})")
                break
        return self.result

    def _journal_path(self) -> str:
        return str(self.journal.path) if self.journal else "-"

    def _do(self, item: PlanItem) -> str:
        if item.kind == "create":
            issue = self._create_issue(item.cluster)
            return f"issue #{issue.number}" + self._finish(item.cluster, issue)
        assert item.issue is not None
        if item.kind == "reopen":
            self._reopen(item.cluster, item.issue)
            return f"reopened #{item.issue.number}" + self._comment(item.cluster, item.issue, regression=True)
        if item.kind == "comment":
            return self._comment(item.cluster, item.issue).lstrip(", ") + (self._finish(item.cluster, item.issue) if item.finish_pr else "")
        return f"#{item.issue.number}" + self._finish(item.cluster, item.issue)

    def _run(self, cluster: Cluster) -> dict[str, Any]:
        return dict(cluster.representative.get("run") or {})

    def _create_issue(self, cluster: Cluster) -> Issue:
        assert self.backend is not None
        backend, fp = self.backend, cluster.fingerprint
        run = self._run(cluster)
        title = redact(render.issue_title(cluster))
        body = redact(render.render("issue.md.j2", render.issue_context(cluster, run, {"title": title})))
        labels = list(dict.fromkeys([*self.cfg.labels, *([cluster.component] if cluster.component else [])]))

        def find() -> Issue | None:
            for issue in backend.list_issues(self.cfg.labels[0]):
                if (render.parse_marker(issue.body) or ("",))[0] == fp:
                    return issue
            return None

        issue = self._write(
            "create_issue",
            fp,
            lambda: backend.create_issue(title, body, labels),
            verify=find,
            describe=lambda i: {"issue": i.number, "url": i.url},
        )
        self._know(issue)
        self.by_fp[fp] = issue
        self.result.created.append(issue.number)
        if self.cfg.labels[0] not in issue.labels:
            self.progress(
                f"heal: warning: #{issue.number} was created without the label {self.cfg.labels[0]!r} (GitHub drops labels when the token "
                "lacks push access); heal finds its issues by that label, so give the token write access to the repository"
            )
        self._remember(fp, issue, runs=cluster.run_ids)
        return issue

    def _comment(self, cluster: Cluster, issue: Issue, *, regression: bool = False) -> str:
        assert self.backend is not None
        backend, fp, run = self.backend, cluster.fingerprint, self._run(cluster)
        marker = render.occurrence_marker(fp, str(run.get("id", "")))
        ctx = render.issue_context(cluster, run, {"regression": regression, "closed_at": issue.closed_at, "occurrence": marker})
        body = redact(render.render("comment.md.j2", ctx))

        def find() -> str | None:
            return next((created for text, created in backend.list_comments(issue.number) if marker in text), None)

        url = self._write(
            "comment", fp, lambda: backend.comment(issue.number, body), verify=find, issue=issue.number, describe=lambda u: {"url": u}
        )
        self.result.commented.append(issue.number)
        self._remember(fp, issue, runs=cluster.run_ids, commented=True)
        return f", commented ({url})" if url else ", commented"

    def _reopen(self, cluster: Cluster, issue: Issue) -> None:
        assert self.backend is not None
        backend = self.backend

        def find() -> Issue | None:
            current = backend.get_issue(issue.number)
            return current if current is not None and current.state == "open" else None

        reopened = self._write(
            "reopen",
            cluster.fingerprint,
            lambda: backend.reopen(issue.number),
            verify=find,
            issue=issue.number,
            describe=lambda i: {"url": i.url},
        )
        self.issues[issue.number] = reopened
        self.by_fp[cluster.fingerprint] = reopened
        self.result.reopened.append(issue.number)

    def _finish(self, cluster: Cluster, issue: Issue) -> str:
        """Branch, record commit and draft PR for ``issue``; each step skipped when a cut-off run already made it."""
        if not self.cfg.create_pr or issue.number in self.pulls:
            return ""
        assert self.backend is not None
        backend, fp, n = self.backend, cluster.fingerprint, issue.number
        if self._branches is None:
            self._branches = self._read(lambda: backend.list_branches(BRANCH_PREFIX))
        if self._base_sha is None:
            self._base_sha = self._read(lambda: backend.branch_sha(self.base_branch))
        existing = sorted(b for b in self._branches if (m := _BRANCH.match(b)) and int(m.group(1)) == n)
        path = f".autoheal/issue-{n}.json"
        if existing:
            branch = existing[-1]
            has_record = self._read(lambda: backend.file_exists(branch, path))
        else:
            run_id = re.sub(r"[^A-Za-z0-9._-]", "-", str(self._run(cluster).get("id") or "local"))[:60].strip(".-") or "local"
            branch = f"{BRANCH_PREFIX}workflow-{run_id}-issue-{n}-{int(time.time())}"
            sha = self._base_sha

            def branch_made() -> str | None:
                return branch if branch in backend.list_branches(branch) else None

            self._write("create_branch", fp, lambda: backend.create_branch(branch, sha) or branch, verify=branch_made, issue=n)
            self._branches[branch] = sha
            has_record = False
        if not has_record:
            content = json.dumps(redact_data(cluster.representative), indent=2, ensure_ascii=False, default=str) + "\n"
            message = f"autoheal: failure record for #{n} ({fp[:12]})"

            def record_made() -> str | None:
                return "exists" if backend.file_exists(branch, path) else None

            self._write("commit_record", fp, lambda: backend.commit_file(branch, path, content, message), verify=record_made, issue=n)
        run = self._run(cluster)
        ctx = render.issue_context(cluster, run, {"issue_number": n, "mention": self.cfg.mention, "record_path": path})
        body = redact(render.render("pr.md.j2", ctx))
        title = redact(render.title_text(f"Fix #{n}: {issue.title}"))

        def pull_made() -> Pull | None:
            return next((p for p in backend.list_pulls() if p.head == branch), None)

        pull = self._write(
            "create_pr",
            fp,
            lambda: backend.create_pull(title, body, branch, self.base_branch),
            verify=pull_made,
            issue=n,
            describe=lambda p: {"pr": p.number, "url": p.url},
        )
        self.pulls[n] = pull
        self.result.pulls.append(pull.number)
        note = f", branch {branch}, draft PR #{pull.number}"
        if self.cfg.assign_copilot:
            try:
                assigned = self._write("assign", fp, lambda: backend.assign(n, [self.cfg.copilot_login]), issue=n)
                if self.cfg.copilot_login in assigned:
                    note += f", assigned {self.cfg.copilot_login}"
                else:
                    note += f", {self.cfg.copilot_login} not assigned (GitHub ignored it; the token's user needs Copilot access)"
            except PermanentError as exc:
                note += f", could not assign {self.cfg.copilot_login} ({exc}; it needs a user token with Copilot access)"
        return note

    @property
    def base_branch(self) -> str:
        return self.cfg.base_branch or (self.backend.default_branch if self.backend else "main")

    def _remember(self, fp: str, issue: Issue, *, runs: Sequence[str], commented: bool = False) -> None:
        entry = self.cache.setdefault(fp, {})
        if entry.get("issue") != issue.number:
            entry.clear()
        entry["issue"] = issue.number
        entry["reported_runs"] = sorted({*entry.get("reported_runs", []), *runs})
        if commented:
            entry["last_comment_at"] = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")

    def save_state(self) -> Path | None:
        if self.dry_run or self.backend is None:
            return None
        issues: dict[str, dict[str, Any]] = {}
        for fp, issue in sorted(self.by_fp.items()):
            cached = self.cache.get(fp) or {}
            same = cached.get("issue") == issue.number
            pull = self.pulls.get(issue.number)
            issues[fp] = {
                "issue": issue.number,
                "state": issue.state,
                "state_reason": issue.state_reason,
                "labels": issue.labels,
                "created_at": issue.created_at,
                "closed_at": issue.closed_at,
                "pr": pull.number if pull else None,
                "pr_state": pull.state if pull else None,
                "pr_merged": bool(pull and pull.merged),
                "pr_merged_at": pull.merged_at if pull else None,
                "last_comment_at": (cached.get("last_comment_at") if same else None) or (self.history.get(fp) or History()).last_comment_at,
                "url": issue.url,
                "reported_runs": sorted({*(cached.get("reported_runs", []) if same else []), *(self.history.get(fp) or History()).runs}),
            }
        return write_state(self.state_dir, self.backend.repo, issues)
