"""Issues filed under the v1 fingerprint algorithm are still found by records fingerprinted with v2."""

from __future__ import annotations

import json
from pathlib import Path

from pytest_autoheal.record import write_record
from tests.heal.conftest import make_records, run_heal
from tests.heal.test_heal_local import git_repo  # noqa: F401 - the fixture


def _as_v1_wrote_it(record: dict) -> dict:
    """The same failure as a v1 run recorded it: the v1 hash as the fingerprint, no legacy list."""
    (legacy,) = record["fingerprint"].pop("legacy")
    record["fingerprint"].update(algorithm=legacy["algorithm"], hash=legacy["hash"])
    return record


def test_v2_records_comment_on_the_issue_filed_under_v1_instead_of_opening_another(
    git_repo: Path,  # noqa: F811
    heal_config,
    tmp_path: Path,
) -> None:
    cfg = heal_config()
    current = make_records(tmp_path / "v2", fingerprints=2, records=2, run_id="9002")
    old_dir = tmp_path / "v1"
    for record in current:
        old = _as_v1_wrote_it(json.loads(json.dumps(record)))
        old["run"] = {**old["run"], "id": "9001"}
        write_record(old_dir, old)
    assert {r["fingerprint"]["algorithm"] for r in current} == {"autoheal-v2"}
    assert run_heal("--reports", old_dir, "--config", cfg, "--backend", "local", "--local-repo", git_repo) == 0
    issues_dir = git_repo / ".git" / "autoheal" / "issues"
    assert len(list(issues_dir.glob("*.json"))) == 2
    assert run_heal("--reports", tmp_path / "v2", "--config", cfg, "--backend", "local", "--local-repo", git_repo) == 0
    issues = [json.loads(p.read_text()) for p in sorted(issues_dir.glob("*.json"))]
    assert len(issues) == 2, [i["title"] for i in issues]
    # Each v1 issue got the v2 run as a new occurrence.
    assert all(len(i["comments"]) == 1 and "9002" in i["comments"][0]["body"] for i in issues)
