"""The heal plan: what happens to each fingerprint (create, comment, reopen, finish, skip, defer) and why."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..context import parse_time
from .backend import Issue, Pull
from .config import HealConfig

KINDS = ("close", "create", "comment", "reopen", "finish", "skip", "defer")


@dataclass
class Cluster:
    """All records of one fingerprint: one bug."""

    fingerprint: str
    records: list[dict[str, Any]]
    algorithm: str = ""

    @property
    def representative(self) -> dict[str, Any]:
        return self.records[-1]

    @property
    def count(self) -> int:
        return sum(int((r.get("occurrences") or {}).get("count") or 1) for r in self.records)

    @property
    def run_ids(self) -> list[str]:
        return sorted({str((r.get("run") or {}).get("id", "")) for r in self.records})

    @property
    def tests(self) -> list[str]:
        return list(dict.fromkeys(str((r.get("test") or {}).get("nodeid", "")) for r in self.records))

    @property
    def first_seen(self) -> str:
        return min(str((r.get("occurrences") or {}).get("first_seen") or r.get("created_at", "")) for r in self.records)

    @property
    def last_seen(self) -> str:
        return max(str((r.get("occurrences") or {}).get("last_seen") or r.get("updated_at", "")) for r in self.records)

    @property
    def cls(self) -> str:
        return str((self.representative.get("classification") or {}).get("class", "unknown"))

    @property
    def component(self) -> str | None:
        return (self.representative.get("test") or {}).get("component")


@dataclass
class PlanItem:
    kind: str
    cluster: Cluster
    reason: str
    issue: Issue | None = None
    pull: Pull | None = None
    # An issue of ours whose branch, commit or draft PR a cut-off run did not finish.
    finish_pr: bool = False


@dataclass
class Duplicate:
    """An open issue (or a draft PR) carrying a fingerprint whose oldest issue is another one: closed in favour of ``kept``."""

    fingerprint: str
    kept: Issue
    issue: Issue | None = None
    pull: Pull | None = None

    @property
    def reason(self) -> str:
        what = f"draft PR #{self.pull.number}" if self.pull else "issue"
        return f"{what} duplicates #{self.kept.number}, the oldest issue with this fingerprint"


@dataclass
class HealPlan:
    items: list[PlanItem] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)

    def of(self, kind: str) -> list[PlanItem]:
        return [i for i in self.items if i.kind == kind]

    def counts(self) -> dict[str, int]:
        counts = {"close": len(self.duplicates)} if self.duplicates else {}
        return counts | {k: len(self.of(k)) for k in KINDS if self.of(k)}

    def table(self) -> str:
        rows = [("ACTION", "FINGERPRINT", "CLASS", "COUNT", "ISSUE", "REASON")]
        for d in self.duplicates:
            number = d.pull.number if d.pull else d.issue.number if d.issue else 0
            rows.append(("close", d.fingerprint[:12], "-", "-", f"#{number}", d.reason))
        for i in self.items:
            issue = f"#{i.issue.number}" if i.issue else "-"
            kind = i.kind + ("+pr" if i.finish_pr and i.kind != "finish" else "")
            rows.append((kind, i.cluster.fingerprint[:12], i.cluster.cls, str(i.cluster.count), issue, i.reason))
        widths = [max(len(r[c]) for r in rows) for c in range(5)]
        lines = ["  ".join(r[c].ljust(widths[c]) for c in range(5)) + "  " + r[5] for r in rows]
        summary = ", ".join(f"{n} {k}" for k, n in self.counts().items()) or "nothing to do"
        return "\n".join([*lines, f"plan: {summary}"])


@dataclass
class History:
    """What heal already said on an issue: runs reported and when it last commented."""

    runs: set[str] = field(default_factory=set)
    last_comment_at: str | None = None


def group_records(records: Iterable[Mapping[str, Any]]) -> list[Cluster]:
    by_fp: dict[str, Cluster] = {}
    for rec in records:
        fp = rec.get("fingerprint") or {}
        key = str(fp.get("hash") or "")
        if not key:
            continue
        by_fp.setdefault(key, Cluster(key, [], str(fp.get("algorithm", "")))).records.append(dict(rec))
    for c in by_fp.values():
        c.records.sort(key=lambda r: (str(r.get("updated_at", "")), str(r.get("id", ""))))
    return sorted(by_fp.values(), key=lambda c: (-c.count, c.first_seen, c.fingerprint))


def exclusion(record: Mapping[str, Any], cfg: HealConfig) -> str | None:
    """The reason a record is excluded by configuration, or None."""
    ex = cfg.exclude
    run, test = record.get("run") or {}, record.get("test") or {}
    cls = (record.get("classification") or {}).get("class")
    workflow = run.get("workflow") or ""
    for pattern in ex.workflows:
        if workflow and fnmatch.fnmatchcase(workflow, pattern):
            return f"workflow {workflow!r} excluded by heal.exclude.workflows ({pattern!r})"
    category = test.get("category") or ""
    for pattern in ex.categories:
        if category and fnmatch.fnmatchcase(category, pattern):
            return f"category {category!r} excluded by heal.exclude.categories ({pattern!r})"
    if cls in ex.classes:
        return f"class {cls!r} excluded by heal.exclude.classes"
    nodeid = test.get("nodeid") or ""
    for pattern in ex.tests:
        if fnmatch.fnmatchcase(nodeid, pattern):
            return f"test {nodeid!r} excluded by heal.exclude.tests ({pattern!r})"
    return None


def is_flaky(record: Mapping[str, Any]) -> bool:
    return bool(record.get("flaky")) or (record.get("test") or {}).get("outcome") == "flaky"


def make_plan(
    clusters: Iterable[Cluster],
    *,
    cfg: HealConfig,
    issues: Mapping[str, Issue],
    ours: set[int],
    pulls: Mapping[int, Pull],
    history: Callable[[Cluster, Issue], History],
    now: datetime,
    remote: bool = True,
) -> HealPlan:
    """Decide per fingerprint. ``issues`` maps fingerprints to known issues; ``ours`` are issue numbers heal opened."""
    plan = HealPlan()
    new = 0
    for cluster in clusters:
        kept, reasons = [], []
        for rec in cluster.records:
            why = exclusion(rec, cfg)
            (reasons.append(why) if why else kept.append(rec))
        if not kept:
            plan.items.append(PlanItem("skip", cluster, reasons[0]))
            continue
        if len(kept) < len(cluster.records):
            cluster = Cluster(cluster.fingerprint, kept, cluster.algorithm)
        if all(is_flaky(r) for r in cluster.records):
            plan.items.append(PlanItem("skip", cluster, "flaky only (failed then passed on rerun); not filed as a bug"))
            continue
        issue = issues.get(cluster.fingerprint)
        if issue is None:
            if new >= cfg.max_reports_per_session:
                plan.items.append(
                    PlanItem("defer", cluster, f"over max_reports_per_session ({cfg.max_reports_per_session}); the next run files it")
                )
                continue
            new += 1
            plan.items.append(PlanItem("create", cluster, "new fingerprint" if remote else "new fingerprint (no repository read)"))
            continue
        plan.items.append(_known(cluster, issue, cfg, ours, pulls, history, now))
    return plan


def _known(
    cluster: Cluster,
    issue: Issue,
    cfg: HealConfig,
    ours: set[int],
    pulls: Mapping[int, Pull],
    history: Callable[[Cluster, Issue], History],
    now: datetime,
) -> PlanItem:
    pull = pulls.get(issue.number)
    finish = cfg.create_pr and issue.number in ours and pull is None and issue.state == "open"
    seen = history(cluster, issue)
    fresh = [r for r in cluster.run_ids if r not in seen.runs]
    if issue.state != "open":
        closed = parse_time(issue.closed_at)
        last = parse_time(cluster.last_seen)
        if issue.state_reason == "not_planned" and not cfg.reopen_not_planned:
            return PlanItem("skip", cluster, f"#{issue.number} was closed as not planned", issue, pull)
        if issue.state_reason == "duplicate":
            return PlanItem("skip", cluster, f"#{issue.number} was closed as a duplicate", issue, pull)
        if not fresh:
            return PlanItem("skip", cluster, f"#{issue.number} is closed; these runs were already reported", issue, pull)
        # Strictly before: a failure stamped in the same instant as the close (or the same second, GitHub's
        # resolution) cannot be told to predate it, and a regression reported once too often beats one lost.
        if closed and last and last < closed:
            return PlanItem("skip", cluster, f"#{issue.number} was closed after these failures ({issue.closed_at})", issue, pull)
        return PlanItem("reopen", cluster, f"regression: #{issue.number} was closed, failure seen again", issue, pull)
    if not fresh:
        kind = "finish" if finish else "skip"
        reason = "no draft PR yet; finishing it" if finish else f"already reported on #{issue.number}"
        return PlanItem(kind, cluster, reason, issue, pull, finish_pr=finish)
    last_at = parse_time(seen.last_comment_at) or parse_time(issue.created_at)
    if last_at is not None and (now - last_at).total_seconds() < cfg.min_report_interval:
        age = int((now - last_at).total_seconds())
        reason = f"#{issue.number} reported {age}s ago; min_report_interval is {cfg.min_report_interval}s"
        if finish:
            return PlanItem("finish", cluster, "no draft PR yet; finishing it (" + reason + ")", issue, pull, finish_pr=True)
        return PlanItem("skip", cluster, reason, issue, pull)
    return PlanItem("comment", cluster, f"new occurrence in {len(fresh)} run(s)", issue, pull, finish_pr=finish)
