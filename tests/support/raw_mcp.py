"""A bare JSON-RPC MCP server over stdio, for tests that need a server to answer in exact (and wrong) ways.

``raw_server(head, on_call)`` is the script's source: ``head`` defines ``TOOLS`` (and whatever ``on_call``
uses); ``on_call`` answers one ``tools/call`` with ``name``, ``msg`` and ``rid`` in scope and ``send()`` at hand.
"""

from __future__ import annotations

import textwrap

_LOOP = """

def send(message):
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", **message}) + "\\n")
    sys.stdout.flush()


for line in sys.stdin:
    msg = json.loads(line)
    if "id" not in msg:
        continue
    method, rid = msg["method"], msg["id"]
    if method == "initialize":
        info = {"protocolVersion": msg["params"]["protocolVersion"], "capabilities": {"tools": {}}, "serverInfo": {"name": "raw", "version": "1"}}
        send({"id": rid, "result": info})
    elif method == "tools/list":
        send({"id": rid, "result": {"tools": TOOLS}})
    elif method == "tools/call":
        name = msg["params"]["name"]
"""
_TAIL = """
    else:
        send({"id": rid, "result": {}})
"""


def raw_server(head: str, on_call: str) -> str:
    """The source of a raw server with ``head``'s definitions answering calls with ``on_call``."""
    body = textwrap.indent(textwrap.dedent(on_call).strip("\n"), " " * 8)
    return "import json, sys\n" + textwrap.dedent(head).strip("\n") + "\n" + _LOOP + body + "\n" + _TAIL
