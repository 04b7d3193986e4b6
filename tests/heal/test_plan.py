"""The plan's decisions on a closed issue, where the order of two instants decides (no clock resolution games)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pytest_autoheal.heal.backend import Issue
from pytest_autoheal.heal.config import HealConfig
from pytest_autoheal.heal.plan import Cluster, History, group_records, make_plan
from tests.heal.conftest import make_records

CLOSED_AT = "2026-11-30T10:00:00.250Z"


def decide(cluster: Cluster, issue: Issue, reported: set[str]) -> list[tuple[str, str]]:
    plan = make_plan(
        [cluster],
        cfg=HealConfig.model_validate({"repo": "o/r"}),
        issues={cluster.fingerprint: issue},
        ours={issue.number},
        pulls={},
        history=lambda c, i: History(set(reported)),
        now=datetime(2026, 12, 1, tzinfo=UTC),
    )
    return [(i.kind, i.reason) for i in plan.items]


@pytest.mark.parametrize(
    ("seen", "kind"),
    [
        ("2026-11-30T10:00:00.249Z", "skip"),  # failed before the close: the fix may well cover it
        ("2026-11-30T10:00:00.250Z", "reopen"),  # the same instant: cannot be told to predate the close
        ("2026-11-30T10:00:00.251Z", "reopen"),
    ],
)
def test_a_closed_issue_is_reopened_unless_every_failure_strictly_predates_the_close(tmp_path: Path, seen: str, kind: str) -> None:
    records = make_records(tmp_path, fingerprints=1, records=1, run_id="9002")
    records[0]["occurrences"] = {"first_seen": seen, "last_seen": seen, "count": 1}
    (cluster,) = group_records(records)
    issue = Issue(1, "Fix it", "", "closed", "u", state_reason="completed", created_at="2026-11-29T00:00:00Z", closed_at=CLOSED_AT)
    assert [k for k, _ in decide(cluster, issue, {"9001"})] == [kind]


def test_an_issue_closed_as_a_duplicate_is_not_reopened(tmp_path: Path) -> None:
    (cluster,) = group_records(make_records(tmp_path, fingerprints=1, records=1, run_id="9003"))
    issue = Issue(2, "Fix it", "", "closed", "u", state_reason="duplicate", closed_at="2000-01-01T00:00:00Z")
    assert decide(cluster, issue, set()) == [("skip", "#2 was closed as a duplicate")]
