"""The stress level: parallel, repeated invocations; latency, error rate and memory recorded; budgets fail the test."""

from __future__ import annotations

import json
import sys

from pytest_autoheal import runner
from tests.cli.conftest import CliProject

ALLOCATE = "b = bytearray(160 * 1024 * 1024)\nb[::4096] = bytes(len(b[::4096]))\nimport time\ntime.sleep(0.5)\n"

BOOM = "import sys\nif sys.argv[1:] == ['--help']:\n    print('usage: boom')\nelse:\n    raise ValueError('bad input ' + sys.argv[1])\n"


def _metrics(cli_project: CliProject) -> dict:
    run = json.loads((cli_project.report_dir / "run.json").read_text("utf-8"))
    (metrics,) = run["metrics"].values()
    return metrics


def test_stress_records_latency_error_rate_and_memory_within_budgets(cli_project: CliProject):
    cli_project.configure(
        '[tool.autoheal.cli]\nvariants = [{ module = "autoheal_demo", cwd = "." }]\n'
        'stress = { commands = [["--help"], ["hash", "pyproject.toml"]], concurrency = 3, repeat = 2, p95_ms = 60000, max_rss_mb = 2048 }\n'
    )
    result = cli_project.run("--autoheal-level=stress", "--component=cli")
    result.assert_outcomes(passed=1)
    metrics = _metrics(cli_project)
    assert metrics["runs"] == 12 and metrics["errors"] == 0 and metrics["error_rate"] == 0
    assert 0 < metrics["p50_ms"] <= metrics["p95_ms"] <= metrics["max_ms"]
    assert 5 < metrics["peak_rss_mb"] < 2048


def test_latency_budget_fails_the_test_with_the_figures(cli_project: CliProject):
    cli_project.configure(
        '[tool.autoheal.cli]\nvariants = [{ module = "autoheal_demo" }]\n'
        'stress = { commands = [["--help"]], concurrency = 2, repeat = 2, p95_ms = 1 }\n'
    )
    result = cli_project.run("--autoheal-level=stress", "--component=cli")
    result.assert_outcomes(failed=1)
    (record,) = cli_project.records()
    assert record["error"]["type"] == "LatencyBudgetExceeded"
    assert record["classification"]["class"] == "timeout"
    assert record["error"]["extras"]["stress"]["runs"] == 4
    assert record["error"]["message"] == "`python -m autoheal_demo` latency under load is over its budget"
    assert record["error"]["extras"]["budgets"]["p95_ms"] == 1
    assert _metrics(cli_project)["p95_ms"] > 1


def test_errors_under_load_report_the_real_exception(cli_project: CliProject):
    boom = cli_project.script("boom", BOOM)
    cli_project.configure(
        f'[tool.autoheal.cli]\nvariants = [{{ command = ["{boom}"], name = "boom" }}]\n'
        'stress = { commands = [["--help"], ["go"]], concurrency = 2, repeat = 2, max_error_rate = 0.25 }\n'
    )
    result = cli_project.run("--autoheal-level=stress", "--component=cli")
    result.assert_outcomes(failed=1)
    (record,) = cli_project.records()
    assert record["error"]["type"] == "ValueError" and record["error"]["message"] == "bad input go"
    assert record["error"]["extras"]["stress"]["error_rate"] == 0.5
    assert record["error"]["extras"]["check"].startswith("4 of 8 runs under load failed (error rate 50.0%, allowed 25.0%)")


def test_peak_rss_is_the_cli_own_not_the_monitoring_process():
    # A child's ru_maxrss includes the parent's RSS at fork/exec; the runner must report the child's own peak.
    ballast = bytearray(300 * 1024 * 1024)
    ballast[::4096] = b"\1" * len(ballast[::4096])
    # The small child's peak is below ours, so only a sample of its /proc entry tells it: it lives long enough to be sampled.
    small = runner.run([sys.executable, "-c", "import time; time.sleep(0.5)"], timeout=60)
    big = runner.run([sys.executable, "-c", ALLOCATE], timeout=60)
    assert small.ok and big.ok
    assert small.peak_rss_kb is not None and small.peak_rss_kb < 100 * 1024
    assert big.peak_rss_kb is not None and big.peak_rss_kb > 150 * 1024
    del ballast
