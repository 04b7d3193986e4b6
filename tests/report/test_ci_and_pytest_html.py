"""pytest-html links and images, GitHub step summary and annotations, the seed's metrics from heal's files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_autoheal.report import github, model

from .conftest import FAILING_PROJECT, HOSTILE_SCRIPT


def test_pytest_html_rows_link_records_and_show_attached_screenshots(pytester: pytest.Pytester, open_page) -> None:
    pytester.makepyfile(test_platform=FAILING_PROJECT)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--autoheal-dir", "reports", "--html", "html/index.html", "-n", "2")
    result.assert_outcomes(passed=3, failed=3, skipped=1)
    index = pytester.path / "html" / "index.html"
    watch = open_page(index)
    page = watch.page
    page.wait_for_selector("a.col-links__extra")
    links = page.eval_on_selector_all("a.col-links__extra", "els => els.map(e => [e.textContent, e.getAttribute('href')])")
    record_links = [(text, href) for text, href in links if text.startswith("autoheal record ")]
    assert len(record_links) == 3
    for text, href in record_links:
        record = json.loads((index.parent / href).read_text())
        assert record["id"] == text.removeprefix("autoheal record ")
    images = page.eval_on_selector_all("div.media img", "els => els.map(e => [e.getAttribute('src'), e.naturalWidth])")
    images = [(src, width) for src, width in images if src]
    assert len(images) == 1 and images[0][1] == 64, images
    summary_link = page.locator("p.autoheal a")
    assert summary_link.inner_text() == "health.html"
    assert (index.parent / summary_link.get_attribute("href")).resolve() == (pytester.path / "reports" / "health.html").resolve()
    assert watch.page_errors == []


def _hostile_project(n: int) -> str:
    lines = ["import pytest", ""]
    for i in range(n):
        message = f"100% broken {HOSTILE_SCRIPT} a:b,c | *x* `y`\\r\\nline two"
        lines += [f"def test_hostile_{i}():", f"    raise type('Error{i}', (Exception,), {{}})('{message}')", ""]
    return "\n".join(lines)


def test_github_step_summary_and_annotations_are_escaped_and_capped(pytester: pytest.Pytester, monkeypatch) -> None:
    summary = pytester.path / "step_summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_WORKSPACE", str(pytester.path))
    pytester.makepyfile(test_hostile=_hostile_project(14))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--autoheal-dir", "reports")
    result.assert_outcomes(failed=14)
    errors = [line for line in result.outlines if line.startswith("::error ")]
    assert len(errors) == github.MAX_ANNOTATIONS
    assert any(line == "::notice::4 more failure cluster(s) in the health report" for line in result.outlines)
    for line in errors:
        props, message = line[len("::error ") :].split("::", 1)
        assert props.startswith("file=test_hostile.py,line=")
        assert "title=autoheal runtime_exception x1%3A " in props
        assert "100%25 broken" in message and "%0A" in message and "\r" not in message
    text = summary.read_text()
    assert text.startswith("earlier step\n## Platform health: failing")
    assert HOSTILE_SCRIPT not in text and "&lt;script&gt;alert\\(1\\)&lt;/script&gt;" in text
    assert text.count("| runtime\\_exception |") == 14


def test_step_summary_stays_under_one_mebibyte_when_the_file_is_nearly_full(tmp_path: Path) -> None:
    from pytest_autoheal.record import ErrorInfo, TestInfo, build_record, write_record

    report_dir = tmp_path / "reports"
    for i in range(300):
        rec = build_record(
            test=TestInfo(nodeid=f"t.py::test_{i}"), error=ErrorInfo(type=f"E{i}", message="é" * 400 + f" {i}"), run={"id": "r"}
        )
        write_record(report_dir, rec)
    ctx = model.build([report_dir], out=report_dir / "health.html")
    summary = tmp_path / "summary.md"
    summary.write_bytes(b"x" * (github.SUMMARY_LIMIT - 20_000))
    github.write_step_summary(ctx, report_dir / "health.html", {"GITHUB_STEP_SUMMARY": str(summary)})
    data = summary.read_bytes()
    assert github.SUMMARY_LIMIT - 20_000 < len(data) <= github.SUMMARY_LIMIT
    text = data.decode("utf-8")
    assert "more cluster(s) not shown; see the health report." in text
    assert text.rstrip().endswith("(upload it as an artifact to read it).")


def test_annotation_escaping_follows_github_rules() -> None:
    assert github.escape_data("50%\r\nnext") == "50%25%0D%0Anext"
    assert github.escape_property("a:b,c%") == "a%3Ab%2Cc%25"
    assert github.md("<b>x</b> | *y*") == "&lt;b&gt;x&lt;/b&gt; \\| \\*y\\*"


def test_seed_metrics_come_from_heal_state_and_journal(tmp_path: Path) -> None:
    heal = tmp_path / "heal"
    heal.mkdir()
    issues = {
        "fp1": {"issue": 1, "state": "closed", "state_reason": "completed", "labels": ["autofix"], "created_at": "2026-01-01T00:00:00Z",
                "pr": 2, "pr_merged": True, "pr_merged_at": "2026-01-01T06:00:00Z"},
        "fp2": {"issue": 3, "state": "closed", "state_reason": "not_planned", "labels": [], "created_at": "2026-01-01T00:00:00Z", "pr": 4,
                "pr_merged": False},
        "fp3": {"issue": 5, "state": "open", "labels": [{"name": "false-positive"}], "created_at": "2026-01-02T00:00:00Z", "pr": 6},
        "fp4": {"issue": 7, "state": "closed", "state_reason": "completed", "labels": [], "created_at": "2026-01-01T00:00:00Z",
                "closed_at": "2026-01-03T00:00:00Z"},
    }  # fmt: skip
    (heal / "state.json").write_text(json.dumps({"version": 1, "repo": "acme/platform", "issues": issues}))
    journal = [{"op": "create_issue", "phase": "done"}, {"op": "create_pr", "phase": "failed", "error": "502"}]
    (heal / "journal.jsonl").write_text("".join(json.dumps(j) + "\n" for j in journal) + "not json\n")
    values = {m["key"]: (m["value"], m["detail"]) for m in model.build([tmp_path], out=tmp_path / "h.html")["seed_metrics"]}
    assert values["false_positive_rate"] == ("50%", "2 of 4 issues")
    assert values["fix_success_rate"] == ("33%", "1 of 3 draft PRs merged")
    assert values["time_to_fix"] == ("27.0 h median", "longest 2.0 days, over 2 fixed issues")
    assert values["manual_intervention_rate"] == ("50%", "1 of 2 resolved issues; 1 failed heal operation(s)")
    assert values["detection_rate"][0] == "no data yet"
