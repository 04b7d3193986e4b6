"""comprehensive: the SDK's own node tests pass (each failing test its own record); its client works from node against the live API."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_autoheal.components.js_sdk.checks import (
    call_failure,
    discover_tests,
    node_run_failure,
    node_test_failure,
    run_client_from_node,
    run_node_tests,
)
from pytest_autoheal.components.js_sdk.config import ClientCall, JsSdkConfig

pytestmark = [pytest.mark.component("js_sdk"), pytest.mark.level("comprehensive")]


def test_sdk_own_tests_pass(js_sdk_cfg: JsSdkConfig, node: str, base_dir: Path, roots: list[str], autoheal_record) -> None:
    files = discover_tests(js_sdk_cfg, base_dir)
    if not js_sdk_cfg.tests:
        pytest.skip("the SDK has no node tests configured: list them in [tool.autoheal.js_sdk] tests")
    assert files, f"no file matches [tool.autoheal.js_sdk] tests = {js_sdk_cfg.tests} (relative to {base_dir})"
    run = run_node_tests(files, node=node, timeout=js_sdk_cfg.test_timeout, cwd=base_dir)
    autoheal_record.metrics.update({k: v for k, v in run.summary.items() if k in ("tests", "pass", "fail", "skipped")})
    failures = [node_test_failure(t, run, roots=roots) for t in run.failures]
    if failures:
        # Each failing SDK test is a failure of its own: one record each (target: the SDK test), the test fails once.
        autoheal_record.fail(failures, found_in=f"{len(run.tests)} SDK tests")
    failure = node_run_failure(run)
    if failure is not None:
        raise failure


def test_sdk_client_works_from_node(
    client_call: ClientCall,
    js_sdk_cfg: JsSdkConfig,
    node: str,
    base_dir: Path,
    live_api: tuple[str, bool],
    roots: list[str],
    autoheal_record,
) -> None:
    client = js_sdk_cfg.client
    assert client is not None and client.module, "set [tool.autoheal.js_sdk.client] module to the SDK file that exports the client"
    base_url, _ = live_api
    results, process = run_client_from_node(client, module=base_dir / client.module, base_url=base_url, calls=[client_call], node=node)
    autoheal_record.extras.update(base_url=base_url, stderr_tail=process.text("stderr")[-4000:])
    failure = call_failure(client_call, results[0] if results else None, where=f"node, API {base_url}", roots=roots, base_url=base_url)
    if failure is not None:
        raise failure
