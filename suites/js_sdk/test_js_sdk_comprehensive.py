"""comprehensive: the SDK's own node tests pass (each failing test its own record); its client works from node against the live API."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_autoheal import record as records
from pytest_autoheal.capture import error_from_exception
from pytest_autoheal.components.js_sdk.checks import (
    call_failure,
    discover_tests,
    node_run_failure,
    node_test_failure,
    run_client_from_node,
    run_node_tests,
)
from pytest_autoheal.components.js_sdk.config import ClientCall, JsSdkConfig
from pytest_autoheal.plugin import autoheal_session

pytestmark = [pytest.mark.component("js_sdk"), pytest.mark.level("comprehensive")]


def test_sdk_own_tests_pass(
    request: pytest.FixtureRequest, js_sdk_cfg: JsSdkConfig, node: str, base_dir: Path, roots: list[str], autoheal_record
) -> None:
    files = discover_tests(js_sdk_cfg, base_dir)
    if not js_sdk_cfg.tests:
        pytest.skip("the SDK has no node tests configured: list them in [tool.autoheal.js_sdk] tests")
    assert files, f"no file matches [tool.autoheal.js_sdk] tests = {js_sdk_cfg.tests} (relative to {base_dir})"
    run = run_node_tests(files, node=node, timeout=js_sdk_cfg.test_timeout, cwd=base_dir)
    autoheal_record.metrics.update({k: v for k, v in run.summary.items() if k in ("tests", "pass", "fail", "skipped")})
    failures = [node_test_failure(t, run, roots=roots) for t in run.failures]
    if failures:
        # The first failure is this test's record; every other failing SDK test gets a record of its own.
        _write_extra_records(request, run.failures[1:], failures[1:])
        autoheal_record.target = run.failures[0].full_name
        raise failures[0]
    failure = node_run_failure(run)
    if failure is not None:
        raise failure


def _write_extra_records(request: pytest.FixtureRequest, tests, failures) -> None:
    session = autoheal_session(request.config)
    if session is None:
        return
    for test, failure in zip(tests, failures, strict=True):
        error, facts = error_from_exception(failure, session.roots)
        info = records.TestInfo(
            nodeid=f"{request.node.nodeid}::{test.full_name}",
            level="comprehensive",
            component="js_sdk",
            target=test.full_name,
            worker=session.worker,
        )
        record = records.build_record(test=info, error=error, run=session.run, facts=facts, patterns=session.patterns)
        records.write_record(session.report_dir, record)


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
