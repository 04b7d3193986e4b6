"""Shards merge into one report; the run history survives a corrupt or locked database."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_autoheal.report import model
from pytest_autoheal.report.history import History

from .conftest import FAILING_PROJECT

SHARD_ENV = {"GITHUB_RUN_ID": "4242", "GITHUB_REPOSITORY": "acme/platform", "GITHUB_SHA": "0" * 40}


def _comparable(ctx: dict) -> dict:
    return {
        "counts": ctx["counts"],
        "total": ctx["merged"]["total"],
        "component_matrix": ctx["component_matrix"],
        "level_matrix": ctx["level_matrix"],
        "clusters": [(c["fingerprint"], c["class"], c["count"], c["tests"], [r["id"] for r in c["run_links"]]) for c in ctx["clusters"]],
        "tests": [(t["nodeid"], t["outcome"], t["record_ids"]) for t in ctx["merged"]["tests"]],
        "stress": ctx["stress"],
        "metrics": [(m["key"], m["value"]) for m in ctx["seed_metrics"]],
    }


def test_two_shard_dirs_merge_into_the_same_report_as_one_run_holding_both(pytester: pytest.Pytester, monkeypatch) -> None:
    for k, v in SHARD_ENV.items():
        monkeypatch.setenv(k, v)
    pytester.makepyfile(test_platform=FAILING_PROJECT)
    base = ["-p", "no:cacheprovider"]
    pytester.runpytest_subprocess(*base, "--autoheal-dir", "shard1", "-k", "cli or pdf").assert_outcomes(passed=1, failed=2)
    pytester.runpytest_subprocess(*base, "--autoheal-dir", "shard2", "-k", "not (cli or pdf)").assert_outcomes(
        passed=2, failed=1, skipped=1
    )
    pytester.runpytest_subprocess(*base, "--autoheal-dir", "whole").assert_outcomes(passed=3, failed=3, skipped=1)

    out = pytester.path / "merged.html"
    merged = model.build([pytester.path / "shard1", pytester.path / "shard2"], out=out)
    whole = model.build([pytester.path / "whole"], out=out)
    assert _comparable(merged) == _comparable(whole)
    assert len(merged["clusters"]) == 3 and merged["merged"]["total"] == 7

    cmd = [sys.executable, "-m", "pytest_autoheal", "report", "shard1", "shard2", "--out", str(out)]
    done = subprocess.run(cmd, cwd=pytester.path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"health report: {out} (failing: 3 failing test(s), 3 distinct failures)" in done.stdout
    html = out.read_text()
    for c in whole["clusters"]:
        assert f'id="fp-{c["fingerprint"]}"' in html
    assert "https://github.com/acme/platform/actions/runs/4242" in html

    history_file = pytester.path / "ci-history.sqlite"
    for _ in range(2):
        done = subprocess.run([*cmd, "--history", str(history_file)], cwd=pytester.path, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    runs = History(history_file).runs()
    assert [r["run_id"] for r in runs] == ["4242"]
    assert (runs[0]["total"], runs[0]["passed"], runs[0]["failed"], runs[0]["clusters"]) == (7, 3, 3, 3)


def test_report_command_says_what_is_wrong_with_its_input(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "pytest_autoheal", "report", str(tmp_path / "nope")]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"autoheal report: no such directory: {tmp_path / 'nope'}; pass report directories such as autoheal-reports"
    ]
    done = subprocess.run([*cmd[:-1], str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "run pytest first" in done.stderr


def _run_ids(history_file: Path) -> list[str]:
    with sqlite3.connect(history_file) as db:
        return [r[0] for r in db.execute("SELECT run_id FROM runs ORDER BY seq")]


def test_corrupt_history_database_is_rebuilt_with_a_warning_and_nothing_lost(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_platform=FAILING_PROJECT)
    args = ["-p", "no:cacheprovider", "--autoheal-dir", "reports"]
    ids = []
    for _ in range(2):
        pytester.runpytest_subprocess(*args).assert_outcomes(passed=3, failed=3, skipped=1)
        ids.append(json.loads((pytester.path / "reports" / "run.json").read_text())["run"]["id"])
    db_file = pytester.path / "reports" / "history.sqlite"
    assert _run_ids(db_file) == ids
    db_file.write_bytes(b"this is not a database" * 100)

    result = pytester.runpytest_subprocess(*args)
    result.assert_outcomes(passed=3, failed=3, skipped=1)
    ids.append(json.loads((pytester.path / "reports" / "run.json").read_text())["run"]["id"])
    result.stdout.fnmatch_lines(["*HistoryWarning: history database*was unreadable*rebuilt it from history.sqlite.jsonl*"])
    assert _run_ids(db_file) == ids
    assert len(list((pytester.path / "reports").glob("history.sqlite.corrupt-*"))) == 1
    html = (pytester.path / "reports" / "health.html").read_text()
    assert "Trends (3 runs)" in html and "was unreadable" in html


def test_locked_history_database_falls_back_with_a_warning_and_catches_up(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_platform=FAILING_PROJECT)
    args = ["-p", "no:cacheprovider", "--autoheal-dir", "reports"]
    pytester.runpytest_subprocess(*args).assert_outcomes(passed=3, failed=3, skipped=1)
    db_file = pytester.path / "reports" / "history.sqlite"
    holder = sqlite3.connect(db_file, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = pytester.runpytest_subprocess(*args)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    result.assert_outcomes(passed=3, failed=3, skipped=1)
    result.stdout.fnmatch_lines(["*HistoryWarning: history database*is locked by another process*"])
    html = (pytester.path / "reports" / "health.html").read_text()
    assert "Trends (2 runs)" in html and "is locked" in html
    assert len(_run_ids(db_file)) == 1

    pytester.runpytest_subprocess(*args).assert_outcomes(passed=3, failed=3, skipped=1)
    assert len(_run_ids(db_file)) == 3
    assert "Trends (3 runs)" in (pytester.path / "reports" / "health.html").read_text()


def test_history_is_bounded_and_append_only(tmp_path: Path) -> None:
    history = History(tmp_path / "h.sqlite", max_runs=3)
    for i in range(5):
        entry = {"run_id": f"r{i}", "finished_at": f"2026-01-0{i + 1}T00:00:00Z", "passed": i, "failures": []}
        assert history.append(entry)
    assert not history.append({"run_id": "r4", "finished_at": "2026-02-01T00:00:00Z", "passed": 99, "failures": []})
    runs = history.runs()
    assert [r["run_id"] for r in runs] == ["r2", "r3", "r4"]
    assert runs[-1]["passed"] == 4


def test_records_of_a_session_that_died_before_publishing_reach_the_history(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_platform=FAILING_PROJECT)
    args = ["-p", "no:cacheprovider", "--autoheal-dir", "reports"]
    pytester.runpytest_subprocess(*args).assert_outcomes(passed=3, failed=3, skipped=1)
    reports = pytester.path / "reports"
    first = json.loads((reports / "run.json").read_text())["run"]["id"]
    (reports / "run.json").unlink()
    (reports / "history.sqlite").unlink()
    (reports / "history.sqlite.jsonl").unlink()
    pytester.runpytest_subprocess(*args).assert_outcomes(passed=3, failed=3, skipped=1)
    runs = History(reports / "history.sqlite").runs()
    assert len(runs) == 2 and runs[0]["run_id"] == first
    assert len(runs[0]["failures"]) == 3


def test_platform_reported_failures_are_clusters_of_the_session_not_tests_or_runs(pytester: pytest.Pytester) -> None:
    from pytest_autoheal.record import ErrorInfo, TestInfo, build_record, write_record

    pytester.makepyfile(test_platform=FAILING_PROJECT)
    args = ["-p", "no:cacheprovider", "--autoheal-dir", "reports"]
    pytester.runpytest_subprocess(*args).assert_outcomes(passed=3, failed=3, skipped=1)
    reports = pytester.path / "reports"
    session_run = json.loads((reports / "run.json").read_text())["run"]["id"]
    reported = build_record(
        test=TestInfo(nodeid="report-error::dashboard::/tools", phase="runtime", component="dashboard", outcome="reported"),
        error=ErrorInfo(type="TypeError", message="x is null"),
        run={"id": "platform-process-run"},
        source="browser",
    )
    write_record(reports, reported)
    ctx = model.build([reports], out=reports / "h.html")
    assert [r["id"] for r in ctx["merged"]["runs"]] == [session_run]
    assert ctx["merged"]["total"] == 7
    assert any(c["fingerprint"] == reported["fingerprint"]["hash"] for c in ctx["clusters"])
    entries = model.current_entries(model.load_inputs([reports]))
    assert [e["run_id"] for e in entries] == [session_run]
    assert reported["fingerprint"]["hash"] in {f["fingerprint"] for f in entries[0]["failures"]}


def test_a_ci_rerun_attempt_is_a_run_of_its_own_in_the_history(tmp_path: Path) -> None:
    from pytest_autoheal.report.history import run_entry

    history = History(tmp_path / "h.sqlite")
    for attempt in (1, 2, 2):
        history.append(run_entry({"run": {"id": "900", "attempt": attempt}, "counts": {"passed": attempt}}, []))
    assert [r["run_id"] for r in history.runs()] == ["900", "900.2"]
