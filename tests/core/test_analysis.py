"""Classification, message templates, redaction and traceback parsing on real exceptions and text."""

from __future__ import annotations

import errno
import http.server
import json
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import pytest

from pytest_autoheal.classify import classify, compile_patterns, facts_from_exception, facts_from_text
from pytest_autoheal.fingerprint import fingerprint, message_template
from pytest_autoheal.frames import parse_python_traceback
from pytest_autoheal.redact import Redactor


def _raised(fn) -> BaseException:
    try:
        fn()
    except BaseException as exc:
        return exc
    raise AssertionError("did not raise")


def _connect_refused() -> None:
    # Held bound and never listening, the port refuses connections; a port freed before connecting could be taken meanwhile.
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        socket.create_connection(held.getsockname(), timeout=30)


class _Status500(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(503)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_500_url():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Status500)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


@pytest.mark.parametrize(
    ("make", "cls", "evidence"),
    [
        (lambda: __import__("surely_not_installed_pkg"), "dependency", "surely_not_installed_pkg"),
        (lambda: compile("def f(:\n", "x.py", "exec"), "syntax", "SyntaxError"),
        (lambda: exec("from json import no_such_name"), "import", "ImportError"),
        (lambda: {}["k"], "runtime_exception", "KeyError"),
        (lambda: subprocess.run([sys.executable, "-c", "import time; time.sleep(5)"], timeout=0.2), "timeout", "TimeoutExpired"),
        (_connect_refused, "network", "errno 111"),
        (lambda: (_ for _ in ()).throw(PermissionError(errno.EACCES, "Permission denied", "/etc/x")), "permission", "errno 13"),
        (lambda: (_ for _ in ()).throw(OSError(errno.EMFILE, "Too many open files")), "resource", "errno 24"),
        (lambda: json.loads("{bad json"), "contract", "JSONDecodeError"),
    ],
)
def test_structured_exception_decides_the_class(make, cls: str, evidence: str) -> None:
    exc = _raised(make)
    result = classify(facts_from_exception(exc))
    assert result.cls == cls
    assert evidence in result.evidence[0]
    assert result.confidence >= 0.8
    assert result.root_cause and result.suggested_fix


def test_http_status_from_a_real_server_is_http_error(http_500_url: str) -> None:
    exc = _raised(lambda: urllib.request.urlopen(http_500_url, timeout=30))
    assert isinstance(exc, urllib.error.HTTPError)
    result = classify(facts_from_exception(exc))
    assert (result.cls, result.evidence[0]) == ("http_error", "HTTP status 503")
    assert "503" in result.root_cause


@pytest.mark.parametrize(
    ("type_", "message", "text", "cls"),
    [
        ("Failed", "Timeout (>1.0s) from pytest-timeout.", "", "timeout"),
        ("WorkerCrash", "worker 'gw1' crashed while running 'tests/test_a.py::test_b'", "", "crash"),
        ("Error", "Uncaught ReferenceError: foo is not defined", "", "js_error"),
        ("Error", "Unhandled promise rejection: boom", "", "unhandled_rejection"),
        ("ProcessError", "exit code 1", "npm ERR! code ENOENT\nError: connect ECONNREFUSED 127.0.0.1:5432", "network"),
        ("ProcessError", "exit 1", "Error: Cannot find module 'left-pad'", "dependency"),
        ("Mystery", "", "", "runtime_exception"),
        ("", "", "", "unknown"),
    ],
)
def test_text_patterns_come_second_and_state_their_evidence(type_: str, message: str, text: str, cls: str) -> None:
    result = classify(facts_from_text(type_, message, text))
    assert result.cls == cls
    assert result.evidence


def test_unknown_is_rare_and_low_confidence() -> None:
    result = classify(facts_from_text("", "", ""))
    assert (result.cls, result.confidence) == ("unknown", 0.2)


def test_configured_patterns_are_tried_before_built_in_ones() -> None:
    patterns = compile_patterns(
        [{"class": "config", "regex": "ECONNREFUSED 127.0.0.1:5432", "confidence": 0.9, "root_cause": "The database is not started."}]
    )
    result = classify(facts_from_text("ProcessError", "x", "connect ECONNREFUSED 127.0.0.1:5432"), patterns)
    assert (result.cls, result.root_cause) == ("config", "The database is not started.")


def test_message_template_removes_volatile_parts() -> None:
    assert (
        message_template(
            "job-12345 at 2026-11-25T10:11:12.5Z from 10.1.2.3:8080 wrote /tmp/pytest-of-root/x.txt (0xdeadbeef, v1.2.3) in 3.5s"
        )
        == "<id> at <ts> from <addr> wrote <path> (<hex>, <version>) in <n>s"
    )
    assert message_template("No module named 'foo_bar2'") == "No module named 'foo_bar2'"


def test_frameless_fingerprint_uses_target_and_template() -> None:
    a = fingerprint("ToolError", "failed after 120ms on port 4001", target="fetch", component="mcp_tools")
    b = fingerprint("ToolError", "failed after 95ms on port 4999", target="fetch", component="mcp_tools")
    c = fingerprint("ToolError", "failed after 95ms on port 4999", target="upload", component="mcp_tools")
    assert a.hash == b.hash != c.hash
    assert a.values["message_template"] == "failed after <n>ms on port <n>"


def test_traceback_text_parses_like_a_live_exception(tmp_path) -> None:
    script = tmp_path / "tool.py"
    script.write_text("def helper(d):\n    return d['missing']\n\ndef main():\n    helper({})\n\nmain()\n")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    parsed = parse_python_traceback(
        "2026-11-25T10:00:00.1234567Z " + proc.stderr.replace("\n", "\n2026-11-25T10:00:00.1234567Z "), [str(tmp_path)]
    )
    assert parsed is not None
    assert (parsed.type, parsed.message) == ("KeyError", "'missing'")
    assert [f.key() for f in parsed.frames] == ["tool:<module>:main()", "tool:main:helper({})", "tool:helper:return d['missing']"]


def test_chained_traceback_yields_the_last_exception() -> None:
    text = (
        "Traceback (most recent call last):\n  File \"/app/a.py\", line 3, in f\n    x = d['k']\nKeyError: 'k'\n\n"
        "During handling of the above exception, another exception occurred:\n\n"
        "Traceback (most recent call last):\n  File \"/app/a.py\", line 5, in f\n    raise ValueError('bad')\nValueError: bad\n"
    )
    parsed = parse_python_traceback(text, ["/app"])
    assert parsed is not None and (parsed.type, parsed.message) == ("ValueError", "bad")
    assert [f.function for f in parsed.frames] == ["f"]


@pytest.mark.parametrize(
    "secret",
    [
        "ghp_0123456789abcdefghijABCDEFGHIJ012345",
        "gho_0123456789abcdefghijABCDEFGHIJ012345",
        "ghs_0123456789abcdefghijABCDEFGHIJ012345",
        "ghu_0123456789abcdefghijABCDEFGHIJ012345",
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOP",
        "AKIAIOSFODNN7EXAMPLE",
    ],
)
def test_token_shapes_are_redacted(secret: str) -> None:
    out = Redactor(environ={}).text(f"value={secret};")
    assert secret not in out and "[REDACTED" in out


def test_credentials_keys_and_url_passwords_are_redacted() -> None:
    r = Redactor(environ={"SERVICE_API_KEY": "k-123456789", "HOME": "/root", "DEBUG": "true"})
    text = (
        "Authorization: Bearer abc.def.ghi123\nBasic dXNlcjpwYXNzd29yZA==\npostgres://admin:pa55word@db:5432/app\n"
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\nkey k-123456789 home /root\n"
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    )
    out = r.text(text)
    for gone in ("abc.def.ghi123", "dXNlcjpwYXNzd29yZA==", "pa55word", "MIIEow", "k-123456789", "wJalrXUtnFEMI"):
        assert gone not in out
    assert "/root" in out and "[REDACTED:SERVICE_API_KEY]" in out
