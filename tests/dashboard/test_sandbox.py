"""A dashboard the suite starts runs in a sandbox with the allow-listed environment, unless config places it."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from pytest_autoheal import http
from pytest_autoheal.components.dashboard.config import DashboardConfig
from pytest_autoheal.components.dashboard.server import start_dashboard

SITE = """
import json, os, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"cwd": os.getcwd(), "env": dict(os.environ)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""


def _seen(tmp_path: Path, script_arg: str | None = None, **cfg: object) -> dict:
    script = tmp_path / "site.py"
    script.write_text(SITE)
    config = DashboardConfig(command=[sys.executable, script_arg or str(script), "{port}"], **cfg)
    running = start_dashboard(config, base_dir=tmp_path, log_path=tmp_path / "site.log", env={"AUTOHEAL_REPORT_DIR": str(tmp_path)})
    try:
        answer = http.request("GET", running.url("/"), timeout=10)
    finally:
        running.stop()
    assert answer.status == 200, running.log_tail()
    return json.loads(answer.body)


def test_dashboard_runs_in_a_fresh_sandbox_without_our_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_" + "x" * 36)
    monkeypatch.setenv("UNLISTED_SETTING", "from-the-ci-job")
    seen = _seen(tmp_path, env={"SITE_MODE": "test"})
    cwd, env = Path(seen["cwd"]), seen["env"]
    assert cwd.name.startswith("autoheal-dashboard-") and cwd != tmp_path and cwd != Path.cwd()
    assert all(Path(env[k]).is_relative_to(cwd) for k in ("HOME", "TMPDIR", "XDG_CONFIG_HOME", "XDG_RUNTIME_DIR"))
    assert "GITHUB_TOKEN" not in env and "UNLISTED_SETTING" not in env
    assert env["SITE_MODE"] == "test" and env["AUTOHEAL_REPORT_DIR"] == str(tmp_path) and env["PATH"] == os.environ["PATH"]


def test_dashboard_cwd_from_config_is_kept(tmp_path: Path) -> None:
    (tmp_path / "site-root").mkdir()
    seen = _seen(tmp_path, cwd="site-root")
    assert Path(seen["cwd"]) == tmp_path / "site-root"
    assert "autoheal-dashboard-" in seen["env"]["HOME"]


def test_a_script_named_relative_to_the_config_is_found_from_the_sandbox(tmp_path: Path) -> None:
    seen = _seen(tmp_path, script_arg="site.py")
    assert Path(seen["cwd"]).name.startswith("autoheal-dashboard-") and not (Path(seen["cwd"]) / "site.py").exists()
