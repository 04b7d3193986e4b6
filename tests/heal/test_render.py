"""Issue bodies: failure text is inert and bodies fit GitHub's limit."""

from __future__ import annotations

from pathlib import Path

from pytest_autoheal.heal import render
from pytest_autoheal.heal.plan import Cluster, group_records
from tests.heal.conftest import make_records


def test_code_block_fence_is_longer_than_any_backtick_run_inside() -> None:
    block = render.code_block("before\n``````\nafter")
    fence = block.splitlines()[0].removesuffix("text")
    assert fence == "`" * 7 and block.endswith("\n" + fence)


def test_inline_text_cannot_mention_link_close_or_inject_html() -> None:
    text = render.inline("@octocat closes #12 <img src=x> [link](http://x) **bold**\nnext line")
    assert "@octocat" not in text and "#12" not in text
    assert "<img" not in text and "&lt;img" in text
    assert "\\[link\\]" in text and "\\*\\*bold\\*\\*" in text and "\n" not in text


def test_unsafe_run_url_becomes_a_dead_link() -> None:
    assert render.safe_url("https://github.com/o/r/actions/runs/1") == "https://github.com/o/r/actions/runs/1"
    assert render.safe_url("javascript:alert(1)") == "#"
    assert render.safe_url("https://x) [evil](https://y") == "#"


def test_marker_round_trip_and_seed_run_id() -> None:
    body = "text\n" + render.fingerprint_marker("abcdef0123456789", "local-2026 x") + "\n"
    assert render.parse_marker(body) == ("abcdef0123456789", "local-2026_x")
    assert render.parse_marker("no marker") is None
    assert render.seed_run_id("## Info\nRun ID: 123456 (for duplicate detection)") == "123456"


def test_huge_failure_text_still_fits_under_the_body_limit(tmp_path: Path) -> None:
    records = make_records(tmp_path, fingerprints=1, records=1)
    records[0]["error"]["message"] = "m" * 300_000
    records[0]["error"]["traceback"] = "t" * 300_000
    records[0]["classification"]["evidence"] = ["e" * 5_000] * 50
    cluster: Cluster = group_records(records)[0]
    body = render.render("issue.md.j2", render.issue_context(cluster, records[0]["run"], {"title": "x"}))
    assert len(body) <= render.MAX_BODY_CHARS
    assert body.rstrip().endswith("-->")  # the dedup marker survives


def test_a_body_cut_to_the_limit_keeps_its_dedup_marker(tmp_path: Path) -> None:
    records = make_records(tmp_path, fingerprints=1, records=1)
    cluster = group_records(records)[0]
    context = render.issue_context(cluster, records[0]["run"], {"title": "x"})
    context["tests"] = ["t" * 190 + str(i) for i in range(400)]
    body = render.render("issue.md.j2", context)
    assert len(body) <= render.MAX_BODY_CHARS and "cut to fit" in body
    assert render.parse_marker(body) == (cluster.fingerprint, "1001")


def test_pr_title_names_the_issue_once_with_a_live_reference_and_failure_text_still_inert() -> None:
    assert render.pr_title(1, "Fix AssertionError in tool_0: expected 3") == "Fix #1: AssertionError in tool_0: expected 3"
    assert render.pr_title(12, "Workflow failure: MCP Tools Monitoring") == "Fix #12: Workflow failure: MCP Tools Monitoring"
    hostile = render.pr_title(3, "Fix ValueError in x: closes #7 for @admin")
    assert hostile.startswith("Fix #3: ValueError") and "\u200b" not in hostile[:8]
    assert "#\u200b7" in hostile and "@\u200badmin" in hostile
    assert len(render.pr_title(4, "Fix " + "y" * 500)) == render.MAX_TITLE_CHARS


def test_issue_title_reads_the_failure_s_own_words_and_names_an_unmarked_test_by_its_function(tmp_path: Path) -> None:
    (record,) = make_records(tmp_path, fingerprints=1, records=1)
    record["error"].update(type="AssertionError", message="assert 3 == 4\n+ where 3 = total()", message_template="assert <n> == <n>")
    record["test"].update(nodeid="tests/test_totals.py::test_sum[big]", target=None, component=None)
    title = render.issue_title(Cluster(record["fingerprint"]["hash"], [record]))
    assert title == "Fix AssertionError in test_sum: assert 3 == 4"
    record["test"]["target"] = "tool_0"
    assert render.issue_title(Cluster(record["fingerprint"]["hash"], [record])).startswith("Fix AssertionError in tool_0: ")
