"""The /api/report-error receiver: cost per report, cost of refusing hostile input, ASGI vs WSGI over HTTP.

    .venv/bin/python benchmarks/bench_receiver.py [--reports 300]

In one process: ``receive()`` for a valid report (validate, fingerprint, classify, redact,
store) against the bare minimum (``json.loads`` + ``store.write_json``), the refusal of a
64 KiB deeply nested body and of a 64 KiB non-JSON body, then the same valid reports posted
over loopback to the ASGI app (uvicorn) and the WSGI app (werkzeug) by four client threads.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pytest_autoheal import store  # noqa: E402
from pytest_autoheal.reporters.receiver import RateLimiter, receive  # noqa: E402

STACK = "TypeError: x\n" + "".join(f"    at f{i} (http://127.0.0.1:8000/static/app.js:{i}:5)\n" for i in range(30))


def report(i: int) -> bytes:
    return json.dumps(
        {
            "kind": "error",
            "type": "TypeError",
            "message": f"Cannot read properties of undefined (reading 'item{i}')",
            "stack": STACK,
            "url": f"http://127.0.0.1:8000/page{i % 50}",
            "userAgent": "Mozilla/5.0 HeadlessChrome/156",
        }
    ).encode()


def per_call(fn, bodies: list[bytes]) -> float:
    started = time.perf_counter()
    for body in bodies:
        fn(body)
    return (time.perf_counter() - started) / len(bodies) * 1e6


def over_http(kind: str, bodies: list[bytes], report_dir: Path) -> float:
    import httpx

    from tests.js.conftest import start_receiver

    rec, server = start_receiver(kind, report_dir, limiter=RateLimiter(per_minute=1e9, burst=10**9))
    try:
        with httpx.Client(trust_env=False, timeout=30) as client, ThreadPoolExecutor(4) as pool:
            started = time.perf_counter()
            codes = list(
                pool.map(lambda b: client.post(rec.endpoint, content=b, headers={"Content-Type": "application/json"}).status_code, bodies)
            )
            elapsed = time.perf_counter() - started
    finally:
        server.stop()
    assert set(codes) == {202}, set(codes)
    return len(bodies) / elapsed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=300)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    bodies = [report(i) for i in range(args.reports)]
    run = {"id": "bench"}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        bare = per_call(lambda b: store.write_json(base / "bare" / f"{hash(b)}.json", json.loads(b)), bodies)
        full = per_call(lambda b: receive(b, report_dir=base / "full", run=run), bodies)
        nested = [b"[" * 65_000] * 50
        garbage = [b"<html>" + b"x" * 65_000] * 50
        refuse_nested = per_call(lambda b: receive(b, report_dir=base / "refused", run=run), nested)
        refuse_garbage = per_call(lambda b: receive(b, report_dir=base / "refused", run=run), garbage)
        asgi = over_http("asgi", bodies, base / "asgi")
        wsgi = over_http("wsgi", bodies, base / "wsgi")
    print(f"{'measure':<48}{'value':>14}{'ratio':>10}")
    print(f"{'json.loads + write_json (baseline), us/report':<48}{bare:>14.0f}{1.0:>10.2f}")
    print(f"{'receive() valid report, us/report':<48}{full:>14.0f}{full / bare:>10.2f}")
    print(f"{'receive() refuses 64 KiB nested body, us':<48}{refuse_nested:>14.0f}{refuse_nested / bare:>10.2f}")
    print(f"{'receive() refuses 64 KiB non-JSON body, us':<48}{refuse_garbage:>14.0f}{refuse_garbage / bare:>10.2f}")
    print(f"{'ASGI (uvicorn) over loopback, reports/s':<48}{asgi:>14.0f}{1.0:>10.2f}")
    print(f"{'WSGI (werkzeug) over loopback, reports/s':<48}{wsgi:>14.0f}{wsgi / asgi:>10.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
