"""Real servers on 127.0.0.1 for the receiver and reporter tests: uvicorn (ASGI) and werkzeug (WSGI)."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_autoheal.reporters.receiver import RateLimiter, asgi_app, wsgi_app
from tests.support.thirdparty import npm_prefix

JSDOM = ["jsdom@26.1.0"]


@dataclass
class Receiver:
    base_url: str
    report_dir: Path

    @property
    def endpoint(self) -> str:
        return f"{self.base_url}/api/report-error"

    def records(self) -> list[Path]:
        folder = self.report_dir / "records"
        return sorted(folder.glob("*.json")) if folder.is_dir() else []


class ServerThread:
    """An ASGI app under uvicorn or a WSGI app under werkzeug, in a thread of this process."""

    def __init__(self, app: Any, kind: str) -> None:
        self.kind = kind
        if kind == "asgi":
            import uvicorn

            self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
            self.thread = threading.Thread(target=self.server.run, daemon=True)
            self.thread.start()
            deadline = time.monotonic() + 60  # a bound for a loaded machine, not an expectation
            while not self.server.started:
                if time.monotonic() > deadline or not self.thread.is_alive():
                    raise RuntimeError("uvicorn did not start")
                time.sleep(0.01)
            self.port = self.server.servers[0].sockets[0].getsockname()[1]
        else:
            from werkzeug.serving import make_server

            self.server = make_server("127.0.0.1", 0, app, threaded=True)
            self.port = self.server.port
            self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
            self.thread.start()

    def stop(self) -> None:
        if self.kind == "asgi":
            self.server.should_exit = True
        else:
            self.server.shutdown()
        self.thread.join(10)


def start_receiver(
    kind: str, report_dir: Path, *, limiter: RateLimiter | None = None, component: str = "dashboard"
) -> tuple[Receiver, ServerThread]:
    limiter = limiter or RateLimiter(per_minute=6000, burst=1000)
    factory = asgi_app if kind == "asgi" else wsgi_app
    server = ServerThread(factory(report_dir, component=component, limiter=limiter), kind)
    return Receiver(f"http://127.0.0.1:{server.port}", report_dir), server


@pytest.fixture(params=["asgi", "wsgi"])
def receiver(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Receiver]:
    rec, server = start_receiver(request.param, tmp_path / "reports")
    yield rec
    server.stop()


@pytest.fixture(scope="session")
def node() -> str:
    path = shutil.which("node")
    if path is None:
        pytest.skip("node is not installed; install Node.js 20 or later (apt-get install -y nodejs npm)")
    return path


@pytest.fixture(scope="session")
def jsdom_modules(node: str) -> Path:
    """node_modules holding jsdom, from the cached third-party npm prefix."""
    return npm_prefix("jsdom", JSDOM).parent
