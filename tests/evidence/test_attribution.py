"""Evidence belongs to the request or call that caused it: a call's record holds its own stderr window, and a
request that meets a connection the server had closed after another request's error is not charged for it."""

from __future__ import annotations

import socket
import sys
import textwrap
import threading
from collections.abc import Iterator

import pytest

from pytest_autoheal import http
from tests.support.raw_mcp import raw_server

from .conftest import Quarry

# A raw JSON-RPC server: `late_crash` answers with the SDK's crash text and logs its traceback a moment later;
# `picky` rejects its generated arguments (a validation answer, not a bug); `typo` crashes at once.
SERVER = raw_server(
    """
import threading, time

SCHEMA = {"type": "object", "properties": {}}
TOOLS = [{"name": n, "inputSchema": SCHEMA, "annotations": {"readOnlyHint": True}} for n in ("late_crash", "picky", "typo")]
LATE = 'Traceback (most recent call last):\\n  File "/srv/ledger.py", line 9, in balance\\n    return ACCOUNTS[name]\\nKeyError: \\'acme\\''
NOW = 'Traceback (most recent call last):\\n  File "/srv/render.py", line 3, in title\\n    return name + 1\\nTypeError: can only concatenate str (not "int") to str'


def log(text, delay=0.0):
    def write():
        time.sleep(delay)
        sys.stderr.write(text + "\\n")
        sys.stderr.flush()
    threading.Thread(target=write).start() if delay else write()
""",
    """
if name == "late_crash":
    send({"id": rid, "result": {"content": [{"type": "text", "text": "Error executing tool late_crash"}], "isError": True}})
    log("Tool 'late_crash' raised an unexpected exception\\n" + LATE, delay=0.4)
elif name == "picky":
    send({"id": rid, "result": {"content": [{"type": "text", "text": "amount must be positive"}], "isError": True}})
else:
    log("Tool 'typo' raised an unexpected exception\\n" + NOW)
    send({"id": rid, "result": {"content": [{"type": "text", "text": "Error executing tool typo"}], "isError": True}})
""",
)


def test_each_call_record_holds_its_own_window_and_no_other_tools_traceback(quarry: Quarry) -> None:
    script = quarry.home / "raw_server.py"
    script.write_text(textwrap.dedent(SERVER))
    config = quarry.config(mcp={"command": [sys.executable, str(script)], "startup_timeout": 20, "call_timeout": 5})
    run = quarry.run(config, "--autoheal-level=comprehensive", "-p", "no:randomly")
    by_tool = {r["test"]["target"]: r for r in run.suite_records()}
    # picky's answer is a validation answer: the late traceback of the call before it is not borrowed.
    assert sorted(by_tool) == ["late_crash", "typo"], [(r["test"]["target"], r["error"]["message"]) for r in run.suite_records()]
    late, typo = by_tool["late_crash"], by_tool["typo"]
    assert (late["error"]["type"], late["error"]["message"]) == ("KeyError", "'acme'")
    assert typo["error"]["type"] == "TypeError" and "ACCOUNTS" not in typo["error"]["stderr_tail"]
    assert "render.py" not in late["error"]["stderr_tail"]
    run.result.stdout.fnmatch_lines(["*tool late_crash crashed with KeyError: 'acme'*"])


@pytest.fixture
def closes_after_one_answer() -> Iterator[str]:
    """A real loopback HTTP server that answers one request per connection (500 for /stats, 200 otherwise) and closes the
    connection when the next request arrives on it: a kept-alive connection the server had already given up."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        with conn:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                request += chunk
            status, body = ("500 Internal Server Error", b"boom") if b" /stats " in request else ("200 OK", b"fine")
            conn.sendall(f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
            conn.recv(4096)  # the next request on this connection: closed unanswered

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(5)
    listener.close()


def test_a_request_on_a_connection_the_server_had_closed_is_sent_again_and_not_charged(closes_after_one_answer: str) -> None:
    with http.client(max_connections=1) as session:
        for _ in range(5):
            failed = http.get(f"{closes_after_one_answer}/stats", session=session)
            healthy = http.get(f"{closes_after_one_answer}/health", session=session)
            # The request whose answer was the error keeps it; the next one is not charged for the closed connection.
            assert (failed.status, failed.error) == (500, None)
            assert (healthy.status, healthy.error) == (200, None), healthy.describe()
            assert healthy.retried
    # Not idempotent: a POST is never sent twice.
    with http.client(max_connections=1) as session:
        http.get(f"{closes_after_one_answer}/stats", session=session)
        posted = http.post(f"{closes_after_one_answer}/health", json={"a": 1}, session=session)
    assert posted.status is None and posted.error and not posted.retried
