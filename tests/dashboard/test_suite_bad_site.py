"""Bad input: broken links, bad JSON, a 500 with a traceback, a dialog, a page that navigates away or never loads."""

from __future__ import annotations

import pytest

from .conftest import BAD_SITE, bad_site_command, run_suite


def test_crawl_reports_broken_link_and_json_that_does_not_parse(pytester: pytest.Pytester) -> None:
    cfg = {"command": bad_site_command(), "ready_path": "/clean", "pages": ["/"], "api": ["/clean"]}
    result, records, _ = run_suite(pytester, cfg, "--autoheal-level=comprehensive")
    result.assert_outcomes(passed=3, failed=2)
    by_test = {r["test"]["nodeid"].split("::")[-1]: r for r in records}
    broken = by_test["test_crawl_finds_no_broken_links"]
    assert broken["classification"]["class"] == "http_error"
    assert broken["test"]["target"] == "/gone"
    assert [b["url"].rsplit("/", 1)[-1] for b in broken["error"]["extras"]["broken"]] == ["gone"]
    bad_json = by_test["test_crawled_json_answers_parse"]
    assert bad_json["error"]["type"] == "JSONDecodeError" and bad_json["classification"]["class"] == "contract"
    assert bad_json["test"]["target"] == "/bad.json"


def test_server_error_record_names_the_servers_own_exception(pytester: pytest.Pytester) -> None:
    cfg = {"command": bad_site_command(), "ready_path": "/clean", "pages": ["/crash"]}
    # The site's source is its own code: listed in in_app, its frames are the record's.
    result, records, _ = run_suite(pytester, cfg, "--autoheal-level=smoke", "-rs", in_app=[str(BAD_SITE.parent)])
    result.assert_outcomes(failed=1, skipped=1)
    result.stdout.fnmatch_lines(["*SKIPPED*no API endpoints configured*"])
    (rec,) = records
    assert rec["error"]["type"] == "KeyError"
    assert rec["error"]["extras"]["http_status"] == 500
    assert any(f["function"] == "load_settings" for f in rec["error"]["frames"])


@pytest.mark.parametrize("needs_browser", ["playwright", "selenium"], indirect=True)
def test_dialog_navigation_console_and_endless_load_give_precise_records(pytester: pytest.Pytester, needs_browser: str) -> None:
    cfg = {
        "command": bad_site_command(),
        "ready_path": "/clean",
        "pages": ["/clean", "/dialog", "/navigate", "/console", "/hang"],
        # Only /hang should reach it: the default 15 s, as a loaded machine may need more than a few seconds for the others.
        "crawl": {"max_pages": 1},
    }
    result, records, _ = run_suite(pytester, cfg, "--autoheal-level=browser", f"--autoheal-browser={needs_browser}")
    result.assert_outcomes(passed=2, failed=4)
    by_target = {r["test"]["target"]: r for r in records}
    assert set(by_target) == {"/dialog", "/navigate", "/console", "/hang"}
    assert by_target["/dialog"]["error"]["type"] == "UnexpectedDialog"
    assert "Are you sure you want to leave?" in by_target["/dialog"]["error"]["message"]
    assert by_target["/navigate"]["error"]["type"] == "NavigatedAway"
    assert by_target["/navigate"]["error"]["extras"]["final_url"].endswith("/clean")
    assert by_target["/console"]["classification"]["class"] == "console_error"
    hang = by_target["/hang"]
    assert hang["classification"]["class"] == "timeout" and "did not finish loading within 15s" in hang["error"]["message"]
    for rec in records:
        assert rec["error"]["extras"]["attachments"]["screenshot"].endswith(".png")
