"""The /api/report-error receiver over real HTTP, as an ASGI app (uvicorn) and a WSGI app (werkzeug)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from pytest_autoheal.record import validation_errors
from pytest_autoheal.reporters.receiver import MAX_BODY_BYTES, RateLimiter, js_frames, parse_report, receive
from tests.js.conftest import Receiver, start_receiver

TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
REPORT = {
    "kind": "error",
    "type": "TypeError",
    "message": "Cannot read properties of undefined (reading 'name')",
    "stack": (
        "TypeError: Cannot read properties of undefined (reading 'name')\n"
        "    at renderTool (http://127.0.0.1:8123/static/app.js:41:17)\n"
        "    at Array.forEach (<anonymous>)\n"
        "    at async loadTools (http://127.0.0.1:8123/static/app.js:12:5)\n"
        "    at http://127.0.0.1:8123/static/error-reporter.js:9:1"
    ),
    "url": "http://127.0.0.1:8123/tools?tab=2",
    "userAgent": "Mozilla/5.0 HeadlessChrome/156",
    "location": {"file": "http://127.0.0.1:8123/static/app.js", "line": 41, "column": 17},
    "timestamp": "2026-11-25T12:00:00.000Z",
}


def post(receiver: Receiver, body: bytes | str, content_type: str = "application/json", **kw: object) -> httpx.Response:
    data = body.encode() if isinstance(body, str) else body
    return httpx.post(receiver.endpoint, content=data, headers={"Content-Type": content_type}, timeout=10, trust_env=False, **kw)


def only_record(receiver: Receiver) -> dict:
    files = receiver.records()
    assert len(files) == 1, [f.name for f in files]
    return json.loads(files[0].read_text())


def test_a_window_error_becomes_a_valid_js_error_record(receiver: Receiver) -> None:
    response = post(receiver, json.dumps(REPORT))
    assert response.status_code == 202, response.text
    answer = response.json()
    record = only_record(receiver)
    assert answer["id"] == record["id"]
    assert validation_errors(record) == []
    assert record["source"] == "browser"
    assert record["test"]["phase"] == "runtime"
    assert record["test"]["outcome"] == "reported"
    assert record["test"]["component"] == "dashboard"
    assert record["test"]["target"] == "/tools"
    assert record["classification"]["class"] == "js_error"
    assert "page /tools" in record["classification"]["root_cause"]
    assert [(f["module"], f["function"]) for f in record["error"]["frames"]] == [("static.app", "loadTools"), ("static.app", "renderTool")]
    assert record["error"]["extras"]["user_agent"] == REPORT["userAgent"]
    assert record["error"]["extras"]["location"]["line"] == 41


def test_an_unhandled_rejection_without_stack_becomes_an_unhandled_rejection_record(receiver: Receiver) -> None:
    body = {"kind": "unhandledrejection", "type": "UnhandledRejection", "message": "quota exceeded", "url": "http://x/settings"}
    assert post(receiver, json.dumps(body)).status_code == 202
    record = only_record(receiver)
    assert record["classification"]["class"] == "unhandled_rejection"
    assert record["error"]["frames"] == []
    assert record["fingerprint"]["values"]["message_template"] == "quota exceeded"
    assert record["fingerprint"]["values"]["target"] == "/settings"


def test_the_same_error_again_is_one_record_with_two_occurrences(receiver: Receiver) -> None:
    first = post(receiver, json.dumps(REPORT)).json()
    again = dict(REPORT, message="Cannot read properties of undefined (reading 'title')", timestamp="2026-11-25T12:00:05Z")
    second = post(receiver, json.dumps(again)).json()
    other_page = post(receiver, json.dumps(dict(REPORT, url="http://127.0.0.1:8123/settings"))).json()
    assert first["id"] == second["id"] != other_page["id"]
    counts = sorted(json.loads(p.read_text())["occurrences"]["count"] for p in receiver.records())
    assert counts == [1, 2]


def test_tokens_are_redacted_and_hostile_markup_is_stored_as_inert_text(receiver: Receiver) -> None:
    hostile = dict(
        REPORT,
        message=f"<img src=x onerror=alert(1)> [click](javascript:alert(1)) Authorization: Bearer {TOKEN}",
        url=f"http://127.0.0.1:8123/tools?access_token={TOKEN}",
        stack="TypeError: x\n    at f (http://127.0.0.1:8123/static/app.js:1:1)\u0000\u001b[31m",
    )
    assert post(receiver, json.dumps(hostile)).status_code == 202
    files = receiver.records()
    text = files[0].read_text()
    assert TOKEN not in text
    assert "\\u0000" not in text and "\\u001b" not in text
    record = json.loads(text)
    assert record["error"]["message"].startswith("<img src=x onerror=alert(1)> [click](javascript:alert(1))")
    assert validation_errors(record) == []


BAD_BODIES = [
    pytest.param(b"not json at all", "application/json", 400, "not valid JSON", id="non-json"),
    pytest.param(b"\xff\xfe{}", "application/json", 400, "UTF-8", id="non-utf8"),
    pytest.param(b"[1, 2, 3]", "application/json", 400, "JSON object", id="array"),
    pytest.param(b'{"type": "TypeError"}', "application/json", 400, "'message' is required", id="missing-message"),
    pytest.param(b'{"type": 5, "message": "m"}', "application/json", 400, "'type' must be a string", id="type-not-string"),
    pytest.param(b'{"type": "<script>alert(1)</script>", "message": "m"}', "application/json", 400, "error name", id="html-type"),
    pytest.param(b'{"type": "E", "message": "m", "kind": "crash"}', "application/json", 400, "'kind'", id="unknown-kind"),
    pytest.param(b'{"type": "E", "message": "m", "location": {"line": -1}}', "application/json", 400, "location.line", id="bad-line"),
    pytest.param(b'{"type": "E", "message": "m", "location": "app.js:1"}', "application/json", 400, "'location'", id="location-str"),
    pytest.param(b'{"type": "E", "message": "m"}', "application/x-www-form-urlencoded", 400, "Content-Type", id="form"),
    pytest.param(
        b'{"type": "E", "message": "m", "extra": ' + b"[" * 50 + b"]" * 50 + b"}", "application/json", 400, "nested", id="nested-50"
    ),
    pytest.param(b"[" * 100_000, "application/json", 413, "limit", id="brackets-oversized"),
    pytest.param(json.dumps({"type": "E", "message": "m" * 9000}).encode(), "application/json", 400, "'message'", id="long-message"),
    pytest.param(
        json.dumps({"type": "E", "message": "x" * (MAX_BODY_BYTES + 10)}).encode(), "application/json", 413, "limit", id="oversized"
    ),
]


@pytest.mark.parametrize(("body", "content_type", "status", "says"), BAD_BODIES)
def test_bad_input_gets_a_clear_4xx_stores_nothing_and_the_server_stays_up(
    receiver: Receiver, body: bytes, content_type: str, status: int, says: str
) -> None:
    response = post(receiver, body, content_type)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert says in response.json()["error"]
    assert receiver.records() == []
    assert post(receiver, json.dumps(REPORT)).status_code == 202
    assert len(receiver.records()) == 1


def test_an_oversized_body_streamed_without_content_length_is_refused(receiver: Receiver) -> None:
    def chunks():
        for _ in range(40):
            yield b"{" + b" " * 8191

    response = httpx.post(receiver.endpoint, content=chunks(), headers={"Content-Type": "application/json"}, timeout=10, trust_env=False)
    assert response.status_code == 413
    assert receiver.records() == []
    assert post(receiver, json.dumps(REPORT)).status_code == 202


def test_text_plain_beacons_are_accepted_as_json(receiver: Receiver) -> None:
    assert post(receiver, json.dumps(REPORT), "text/plain;charset=UTF-8").status_code == 202
    assert len(receiver.records()) == 1


def test_only_post_is_answered_and_the_reporter_script_is_served(receiver: Receiver) -> None:
    assert httpx.get(receiver.endpoint, trust_env=False).status_code == 405
    script = httpx.get(f"{receiver.base_url}/static/error-reporter.js", trust_env=False)
    assert script.status_code == 200
    assert "JavaScriptErrorReporter" in script.text
    assert "javascript" in script.headers["content-type"]
    module = httpx.get(f"{receiver.base_url}/static/error-reporter.mjs", trust_env=False)
    assert module.status_code == 200 and "export default" in module.text


@pytest.mark.parametrize("kind", ["asgi", "wsgi"])
def test_a_client_over_its_rate_gets_429_with_retry_after(kind: str, tmp_path: Path) -> None:
    rec, server = start_receiver(kind, tmp_path, limiter=RateLimiter(per_minute=6, burst=2), component="js_sdk")
    try:
        statuses = [post(rec, json.dumps(dict(REPORT, url=f"http://x/p{i}"))) for i in range(4)]
        assert [r.status_code for r in statuses] == [202, 202, 429, 429]
        assert int(statuses[2].headers["Retry-After"]) >= 1
        assert "too many error reports" in statuses[2].json()["error"]
        assert len(rec.records()) == 2
        assert {json.loads(p.read_text())["test"]["component"] for p in rec.records()} == {"js_sdk"}
    finally:
        server.stop()


def test_the_rate_limiter_refills_with_time() -> None:
    now = [0.0]
    limiter = RateLimiter(per_minute=60, burst=1, clock=lambda: now[0])
    assert limiter.check("a") is None
    assert limiter.check("a") == 1
    assert limiter.check("b") is None
    now[0] += 1.0
    assert limiter.check("a") is None


def test_receive_refuses_components_other_than_js_sdk_and_dashboard(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="component must be one of js_sdk, dashboard"):
        receive(b"{}", report_dir=tmp_path, component="cli")


def test_parse_report_drops_unknown_fields() -> None:
    parsed = parse_report(json.dumps(dict(REPORT, cookie="session=abc", password="hunter22")).encode())
    assert "cookie" not in parsed and "password" not in parsed
    assert parsed["type"] == "TypeError"


def test_firefox_and_v8_stacks_give_the_same_frames() -> None:
    v8 = "Error: x\n    at render (http://h:1/static/app.js:3:9)\n    at http://h:1/static/app.js:9:1"
    gecko = "render@http://h:2/static/app.js:3:9\n@http://h:2/static/app.js:9:1\n"
    assert [f.key() for f in js_frames(v8)] == [f.key() for f in js_frames(gecko)]
    assert [f.function for f in js_frames(v8)] == ["<anonymous>", "render"]


def test_a_flood_of_mixed_hostile_and_valid_reports_leaves_exactly_the_valid_records(receiver: Receiver) -> None:
    from concurrent.futures import ThreadPoolExecutor

    garbage = [b"{" * 5000, b"\x00\x01\x02", b'{"type": "E"}', b"[]", b"x" * (MAX_BODY_BYTES + 1), b'{"type": 1, "message": []}']
    valid = [json.dumps(dict(REPORT, url=f"http://127.0.0.1:8123/page{i % 5}")).encode() for i in range(30)]
    bodies = [b for pair in zip(garbage * 5, valid, strict=True) for b in pair]
    with httpx.Client(trust_env=False, timeout=20) as client, ThreadPoolExecutor(8) as pool:
        statuses = list(
            pool.map(lambda b: client.post(receiver.endpoint, content=b, headers={"Content-Type": "application/json"}).status_code, bodies)
        )
    assert statuses.count(202) == 30
    assert sorted(set(statuses)) == [202, 400, 413]
    records = [json.loads(p.read_text()) for p in receiver.records()]
    assert sorted(r["test"]["target"] for r in records) == [f"/page{i}" for i in range(5)]
    assert sum(r["occurrences"]["count"] for r in records) == 30
    assert post(receiver, json.dumps(REPORT)).status_code == 202
