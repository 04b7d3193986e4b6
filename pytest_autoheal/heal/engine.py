"""Carry out a heal plan: every write journaled before and after, retried with backoff, within GitHub's limits.

A write whose answer never came (timeout, dropped connection, 5xx) may land at any time later,
so heal looks for it before every resend; one that lands after the resend anyway is caught by
the convergence pass: every fingerprint keeps its oldest issue, the others are closed as
duplicates of it, with at most one draft PR open.
"""

from __future__ import annotations

import json
import re
import time
from collections import deque
from collections.abc import Callable, Collection, Sequence
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
from .plan import Cluster, Duplicate, HealPlan, History, PlanItem, group_records, make_plan

T = TypeVar("T")
# GitHub: after a secondary rate limit without Retry-After, wait at least a minute, longer if it repeats.
SECONDARY_RATE_LIMIT_WAIT = 60.0
BRANCH_PREFIX = "autofix/"
_BRANCH = re.compile(r"^autofix/workflow-.+-issue-(\d+)-\d+$")
_FIXES = re.compile(r"^\s*Fixes #(\d+)\b", re.MULTILINE)


class BudgetExhausted(Exception):
    """The hourly content-write budget is spent; what is left waits for the next run."""


class GaveUp(Exception):
    """The forge kept failing after every retry; the next run picks up from the journal."""


def issue_fingerprint(issue: Issue) -> str | None:
    """The fingerprint an issue is filed under (its hidden marker), or None for an issue heal did not write."""
    marker = render.parse_marker(issue.body)
    return marker[0] if marker else None


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
    closed: list[int] = field(default_factory=list)
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
        # Every issue carrying each fingerprint, oldest first; more than one means duplicates to close.
        self.marked: dict[str, list[Issue]] = {}
        self.ours: set[int] = set()
        self.marker_run: dict[int, str | None] = {}
        self.pulls: dict[int, Pull] = {}
        self.all_pulls: dict[int, list[Pull]] = {}
        self.history: dict[str, History] = {}
        self._branches: dict[str, str] | None = None
        self._base_sha: str | None = None
        # Writes that went unanswered and were then made again: the first try may still land, looked for at the end.
        self._late_issues: set[str] = set()
        self._late_comments: dict[int, set[str]] = {}
        # Writes a cut-off earlier run left without an outcome; closed in the journal once this run has settled them.
        self.pending = self.journal.unfinished() if self.journal else []
        self.result = HealResult(HealPlan())

    def _read(self, fn: Callable[[], T], what: str = "read") -> T:
        attempt = 0
        while True:
            try:
                return fn()
            except TransientError as exc:
                attempt += 1
                self._backoff(exc, attempt, what)

    def retry_wait(self, exc: TransientError, attempt: int) -> float:
        """Seconds to wait before try ``attempt + 1``: what GitHub asked for, else a minute on up for a rate limit, else backoff."""
        if exc.retry_after is not None:
            return exc.retry_after
        base = SECONDARY_RATE_LIMIT_WAIT if exc.rate_limited else self.cfg.retry_backoff
        return base * 2 ** (attempt - 1)

    def _backoff(self, exc: TransientError, attempt: int, what: str) -> None:
        if attempt > self.cfg.max_retries:
            raise GaveUp(f"{what} failed {attempt} times: {exc}")
        wait = self.retry_wait(exc, attempt)
        if wait > self.cfg.max_retry_wait:
            why = "asked to wait" if exc.retry_after is not None else "rate limited without Retry-After: must wait"
            raise GaveUp(f"{what}: {why} {wait:.0f}s, more than heal.max_retry_wait ({self.cfg.max_retry_wait:.0f}s): {exc}")
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
        pr: int | None = None,
        describe: Callable[[T], dict[str, Any]] | None = None,
    ) -> T:
        """One content write: journal intent, try, retry, journal outcome.

        Once a try went unanswered, ``verify`` looks for its effect before every resend (right away and
        again after each backoff sleep, since the first try may land late), so a landed write is not made twice.
        """
        assert self.journal is not None
        self.budget.take()
        self.journal.write(op, "intent", fp, issue=issue, pr=pr)
        attempt = 0
        unanswered = resent = False
        result: T | None = None
        while True:
            try:
                self.result.writes += 1
                resent = resent or unanswered
                result = fn()
                break
            except TransientError as exc:
                unanswered = unanswered or exc.ambiguous
                if unanswered and (result := self._landed(op, verify)) is not None:
                    break
                attempt += 1
                try:
                    self._backoff(exc, attempt, op)
                except GaveUp as gave_up:
                    self.journal.write(op, "failed", fp, issue=issue, pr=pr, error=str(gave_up))
                    raise
                if unanswered and (result := self._landed(op, verify)) is not None:
                    break
            except PermanentError as exc:
                # 422 "already exists" is often our own earlier try, landed after all.
                if (exc.status == 422 or unanswered) and (result := self._landed(op, verify)) is not None:
                    break
                self.journal.write(op, "failed", fp, issue=issue, pr=pr, error=str(exc))
                raise
        if resent:
            self._note_late(op, fp, issue)
        info = describe(result) if describe else {}
        self.journal.write(op, "done", fp, **{"issue": issue, "pr": pr, **info, **({"unanswered_tries": True} if unanswered else {})})
        return result

    def _landed(self, op: str, verify: Callable[[], T | None] | None) -> T | None:
        return self._read(verify, f"{op} (looking for an unanswered try)") if verify is not None else None

    def _note_late(self, op: str, fp: str, issue: int | None) -> None:
        """Remember a write sent again while an earlier unanswered try of it may still land, for the end-of-run check."""
        if op == "create_issue":
            self._late_issues.add(fp)
        elif op == "comment" and issue is not None:
            self._late_comments.setdefault(issue, set()).add(fp)

    def read_remote(self, clusters: Sequence[Cluster]) -> None:
        if self.backend is None:
            return
        backend = self.backend
        self._read(backend.open, "read the repository")
        listed = self._read(lambda: backend.list_issues(self.cfg.labels[0]), "list issues")
        for issue in listed:
            self._know(issue)
        # An issue heal filed whose label was removed by hand is still ours: look it up by the cached number.
        wanted = {c.fingerprint for c in clusters} - set(self.marked)
        for fp in sorted(wanted):
            number = (self.cache.get(fp) or {}).get("issue")
            if isinstance(number, int) and number not in self.issues:
                issue = self._read(lambda n=number: backend.get_issue(n), "read an issue")
                if issue is not None:
                    self._know(issue)
        self._match()
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
        for pull in self._read(backend.list_pulls, "list pull requests"):
            self._know_pull(pull)

    def _know(self, issue: Issue) -> None:
        self.issues[issue.number] = issue
        marker = render.parse_marker(issue.body)
        if marker is not None:
            fp, self.marker_run[issue.number] = marker
            self.ours.add(issue.number)
            same = [i for i in self.marked.get(fp, []) if i.number != issue.number]
            self.marked[fp] = sorted([*same, issue], key=lambda i: i.number)

    def _match(self) -> None:
        """Which issue stands for each fingerprint (read from its marker): the oldest not closed as a duplicate."""
        for fp, issues in self.marked.items():
            self.by_fp[fp] = next((i for i in issues if i.state_reason != "duplicate"), issues[0])

    def _know_pull(self, pull: Pull) -> None:
        m = _FIXES.search(pull.body) or _BRANCH.match(pull.head)
        if m and pull.head.startswith(BRANCH_PREFIX):
            number = int(m.group(1))
            known = self.pulls.get(number)
            # An issue's PR is its open one, not an earlier attempt closed before it (all_pulls keeps every one).
            if known is None or (known.state != "open" and pull.state == "open"):
                self.pulls[number] = pull
            self.all_pulls.setdefault(number, []).append(pull)

    def _know_closed_pull(self, closed: Pull) -> None:
        """Both pull maps are keyed by the issue a PR fixes: swap the closed PR in wherever it is listed."""
        for number, pulls in self.all_pulls.items():
            self.all_pulls[number] = [closed if p.number == closed.number else p for p in pulls]
            if self.pulls.get(number) is not None and self.pulls[number].number == closed.number:
                self.pulls[number] = closed

    def duplicates(self, fingerprints: Sequence[str] | None = None, *, replacing: Collection[str] = ()) -> list[Duplicate]:
        """Open issues and draft PRs to close so that each fingerprint keeps one issue and at most one open PR.

        The kept issue's own open PR stays; if it has none, the oldest open PR of the fingerprint stays, unless
        ``replacing`` (fingerprints this run gives the kept issue a PR), so closing never leaves a fingerprint without one.
        """
        out: list[Duplicate] = []
        for fp in fingerprints if fingerprints is not None else sorted(self.marked):
            issues = self.marked.get(fp, [])
            kept = self.by_fp.get(fp)
            if kept is None or not issues:
                continue
            open_pulls = [p for i in issues for p in self.all_pulls.get(i.number, []) if p.state == "open"]
            own = [p for p in self.all_pulls.get(kept.number, []) if p.state == "open"]
            oldest = min(open_pulls, key=lambda p: p.number, default=None)
            keep_pull = own[0] if own else None if fp in replacing else oldest
            out += [Duplicate(fp, kept, issue=i) for i in issues if i.number != kept.number and i.state == "open"]
            out += [Duplicate(fp, kept, pull=p) for p in open_pulls if p is not keep_pull]
        return out

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
            for c in self._read(lambda: backend.list_comments(issue.number), "list comments"):
                for run_id, comment_fp in render.parse_occurrences(c.body):
                    if comment_fp == fp:
                        seen.runs.add(run_id)
                        seen.last_comment_at = max(seen.last_comment_at or "", c.created_at) or None
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
        plan.duplicates = self.duplicates(replacing={i.cluster.fingerprint for i in plan.items if i.kind == "finish" or i.finish_pr})
        self.result.plan = plan
        return plan

    def execute(self, plan: HealPlan) -> HealResult:
        work = [i for i in plan.items if i.kind in ("create", "comment", "reopen", "finish")]
        steps: list[tuple[str, str, Callable[[], str]]] = []
        steps += [("close", d.fingerprint, lambda d=d: self._close(d)) for d in plan.duplicates if d.pull is None]
        steps += [(i.kind, i.cluster.fingerprint, lambda i=i: self._do(i)) for i in work]
        # Extra PRs close last, once the kept issue has its own: a fingerprint whose work failed keeps the PR it had.
        steps += [("close", d.fingerprint, lambda d=d: self._close(d)) for d in plan.duplicates if d.pull is not None]
        steps.append(("check", "", self._settle))
        left: set[str] = set()
        for n, (kind, fp, step) in enumerate(steps, 1):
            label = f"heal: [{n}/{len(steps) - 1}] {kind} {fp[:12]}" if kind != "check" else "heal: end-of-run check"
            try:
                done = step()
                if done:
                    self.progress(f"{label}: {done}")
            except PermanentError as exc:
                left.add(fp)
                self.result.failed.append(f"{kind} {fp[:12]}: {exc}")
                self.progress(f"{label}: failed: {exc}")
            except (GaveUp, BudgetExhausted) as exc:
                rest = steps[n - 1 :] if kind == "check" else steps[n - 1 : -1]
                left.update(f for _, f, _ in rest)
                self.result.unfinished.extend(f"{k} {f[:12]}".strip() for k, f, _ in rest)
                self.progress(f"heal: stopped: {exc}; {len(rest)} action(s) left for the next run (journal: {self._journal_path()})")
                break
        self._resolve_pending(plan, left)
        return self.result

    def _resolve_pending(self, plan: HealPlan, left: set[str]) -> None:
        """Close the journal entries a cut-off run left open, for every fingerprint this run has settled."""
        if self.journal is None or not self.pending:
            return
        # Fingerprints planned here, and every one whose issues this run read and converged, records or not.
        settled = {i.cluster.fingerprint for i in plan.items if i.kind != "defer"} | set(self.marked)
        for entry in self.pending:
            fp = str(entry.get("fingerprint") or "")
            if fp in settled - left:
                op, issue, pr = str(entry.get("op")), entry.get("issue"), entry.get("pr")
                self.journal.write(op, "resolved", fp, issue=issue, pr=pr, note="settled by a later run")

    def _settle(self) -> str:
        """Writes made again after an unanswered try: if the first try landed after all, close or delete the extra copy."""
        if self.backend is None or not (self._late_issues or self._late_comments):
            return ""
        backend, notes = self.backend, []
        if self._late_issues:
            for issue in self._read(lambda: backend.list_issues(self.cfg.labels[0]), "list issues"):
                self._know(issue)
            self._match()
            for dup in self.duplicates(sorted(self._late_issues)):
                notes.append(self._close(dup))
        for number, fps in sorted(self._late_comments.items()):
            seen: set[str] = set()
            for c in self._read(lambda n=number: backend.list_comments(n), "list comments"):
                markers = [(run, fp) for run, fp in render.parse_occurrences(c.body) if fp in fps]
                if markers and markers[0] in seen:
                    fp = markers[0][1]
                    self._write("delete_comment", fp, lambda n=number, c=c: backend.delete_comment(n, c.id) or c.url, issue=number)
                    notes.append(f"deleted a second copy of the comment on #{number}")
                seen.update(markers)
        return "; ".join(notes) or "nothing landed twice"

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

    def _close(self, dup: Duplicate) -> str:
        """Say why on the duplicate (once, found by its marker), then close it; the kept issue goes on as the one."""
        assert self.backend is not None
        backend, kept, fp = self.backend, dup.kept, dup.fingerprint
        number = dup.pull.number if dup.pull else dup.issue.number if dup.issue else 0
        # Planned before this run's work: a PR stays open if the kept issue did not get its own after all.
        if dup.pull and all(d.pull is None or d.pull.number != number for d in self.duplicates([fp])):
            return f"kept draft PR #{number} open: #{kept.number} has no draft PR of its own"
        marker = render.duplicate_marker(kept.number)
        if dup.pull:
            text = f"Closed in favour of #{kept.number}, the oldest issue with fingerprint `{fp}`: one draft PR per failure."
        else:
            text = f"Duplicate of #{kept.number}: both carry fingerprint `{fp}`; heal keeps the oldest issue and closes the others."

        def said() -> str | None:
            return next((c.url or "said" for c in backend.list_comments(number) if marker in c.body), None)

        if self._read(said, "list comments") is None:
            body = f"{text}\n\n{marker}\n"
            self._write("comment", fp, lambda: backend.comment(number, body), verify=said, issue=number, describe=lambda u: {"url": u})
        if dup.pull:
            self._know_closed_pull(self._write("close_pr", fp, lambda: backend.close_pull(number), pr=number))
            self.result.closed.append(number)
            keeper = self.pulls.get(kept.number)
            keeps = f" (#{kept.number} keeps draft PR #{keeper.number})" if keeper and keeper.state == "open" else ""
            return f"closed draft PR #{number}{keeps}"
        closed = self._write("close_duplicate", fp, lambda: self._close_issue(number), issue=number, describe=lambda i: {"url": i.url})
        self._know(closed)
        self.result.closed.append(number)
        return f"closed #{number} as a duplicate of #{kept.number}"

    def _close_issue(self, number: int) -> Issue:
        assert self.backend is not None
        try:
            return self.backend.close_issue(number, "duplicate")
        except PermanentError as exc:
            # A GitHub Enterprise Server that predates the "duplicate" reason refuses it: "not planned" is the nearest.
            if exc.status != 422:
                raise
            return self.backend.close_issue(number, "not_planned")

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
            carrying = [i for i in backend.list_issues(self.cfg.labels[0]) if issue_fingerprint(i) == fp]
            return min(carrying, key=lambda i: i.number, default=None)

        issue = self._write(
            "create_issue",
            fp,
            lambda: backend.create_issue(title, body, labels),
            verify=find,
            describe=lambda i: {"issue": i.number, "url": i.url},
        )
        self._know(issue)
        if fp in self._late_issues:
            # Sent again after an unanswered try, which may have landed just before the resend: the older issue is the one.
            older = self._read(find, "create_issue (looking for an earlier copy)")
            issue = older if older is not None and older.number < issue.number else issue
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
            return next((c.url or c.created_at for c in backend.list_comments(issue.number) if marker in c.body), None)

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
        title = redact(render.pr_title(n, issue.title))

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
        self.all_pulls.setdefault(n, []).append(pull)
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
