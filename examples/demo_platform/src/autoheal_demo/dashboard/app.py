"""The demo dashboard (``autoheal-demo-dashboard --port N``).

Pages load ``error-reporter.js`` and the demo SDK; the API lists and runs the dashboard's
own tools; browser errors posted to ``/api/report-error`` become failure records under
``--report-dir`` (default ``$AUTOHEAL_REPORT_DIR`` or ``autoheal-reports``). With
``AUTOHEAL_DEMO_BREAK=1`` two broken pages are added and linked: one throws, one rejects.
"""

from __future__ import annotations

import argparse
import html
import json
import os
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .tools import TOOLS, ToolInputError

STATIC = Path(__file__).parent / "static"
SDK_FILE = STATIC / "sdk" / "demo-sdk.js"
MAX_CALL_BYTES = 64 * 1024

PAGES = {
    "/": ("Overview", "<h1>Overview</h1><p>Platform status: <span id='status'>checking…</span></p>"),
    "/tools": (
        "Tools",
        "<h1>Tools</h1><p><span id='tool-count'>…</span> tools.</p>"
        "<table><thead><tr><th>name</th><th>category</th><th>description</th></tr></thead><tbody id='tools-body'></tbody></table>"
        "<h2>Word count</h2><form id='word-count-form'><textarea id='word-count-text'>one two three</textarea>"
        "<button type='submit'>Count</button></form><pre id='word-count-result'></pre>",
    ),
    "/about": (
        "About",
        "<h1>About</h1><p>A small platform monitored by pytest-autoheal. The API: "
        "<a href='/api/status'>status</a>, <a href='/api/tools'>tools</a>.</p>",
    ),
}
BROKEN_PAGES = {
    "/broken/error": (
        "Broken: uncaught error",
        "<h1>Uncaught error</h1><script>window.setTimeout(function renderWidget() { var widget = null; widget.render(); }, 0);</script>",
    ),
    "/broken/rejection": (
        "Broken: unhandled rejection",
        "<h1>Unhandled rejection</h1><script>function loadSettings() {"
        " return Promise.reject(new Error('settings service answered 503')); } loadSettings();</script>",
    ),
}


def broken() -> bool:
    return os.environ.get("AUTOHEAL_DEMO_BREAK", "") not in ("", "0", "false", "no")


def render(title: str, body: str) -> str:
    pages = {**PAGES, **(BROKEN_PAGES if broken() else {})}
    nav = "".join(
        f"<a href='{path}'{' class=broken' if path.startswith('/broken/') else ''}>{html.escape(t)}</a>" for path, (t, _) in pages.items()
    )
    sdk = "<script src='/static/sdk/demo-sdk.js'></script>" if SDK_FILE.exists() else ""
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)} · demo dashboard</title>"
        "<link rel='icon' href='data:,'><link rel='stylesheet' href='/static/app.css'>"
        "<script src='/static/error-reporter.js' data-endpoint='/api/report-error'></script>"
        f"{sdk}</head><body><header><strong>demo dashboard</strong>{nav}</header>"
        f"<main>{body}</main><script src='/static/app.js'></script></body></html>"
    )


def page(path: str):
    async def endpoint(request: Request) -> HTMLResponse:
        title, body = (PAGES.get(path) or BROKEN_PAGES[path])[:2]
        return HTMLResponse(render(title, body))

    return endpoint


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("autoheal-demo")
    except PackageNotFoundError:
        return "0+unknown"


async def status(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok", "version": version()})


async def list_tools(request: Request) -> JSONResponse:
    return JSONResponse([{"name": t.name, "category": t.category, "description": t.description} for t in TOOLS.values()])


async def call_tool(request: Request) -> JSONResponse:
    name = request.path_params["name"]
    tool = TOOLS.get(name)
    if tool is None:
        return JSONResponse({"error": f"unknown tool {name!r}; GET /api/tools lists the tools"}, status_code=404)
    body = await request.body()
    if len(body) > MAX_CALL_BYTES:
        return JSONResponse({"error": f"request body is over {MAX_CALL_BYTES} bytes"}, status_code=413)
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        return JSONResponse({"error": 'request body must be JSON: {"arguments": {...}}'}, status_code=400)
    arguments = payload.get("arguments", {}) if isinstance(payload, dict) else None
    if not isinstance(arguments, dict):
        return JSONResponse({"error": "'arguments' must be a JSON object"}, status_code=400)
    try:
        result: Any = tool.run(arguments)
    except ToolInputError as exc:
        return JSONResponse({"error": str(exc)}, status_code=422)
    return JSONResponse({"ok": True, "result": result})


def error_reporter(request: Request) -> Response:
    from pytest_autoheal.reporters.receiver import error_reporter_js_path

    return FileResponse(error_reporter_js_path(), media_type="text/javascript")


def create_app(report_dir: str | Path | None = None) -> Starlette:
    from pytest_autoheal.reporters.receiver import asgi_route

    report_dir = Path(report_dir or os.environ.get("AUTOHEAL_REPORT_DIR") or "autoheal-reports")
    pages = {**PAGES, **(BROKEN_PAGES if broken() else {})}
    routes = [Route(path, page(path)) for path in pages]
    routes += [
        Route("/api/status", status),
        Route("/api/tools", list_tools),
        Route("/api/tools/{name}", call_tool, methods=["POST"]),
        asgi_route(report_dir, component="dashboard"),
        Route("/static/error-reporter.js", error_reporter),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]
    return Starlette(routes=routes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="autoheal-demo-dashboard", description="Serve the demo dashboard.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--report-dir", default=None, help="where reported browser errors are stored (default: $AUTOHEAL_REPORT_DIR)")
    args = parser.parse_args(argv)
    import uvicorn

    uvicorn.run(create_app(args.report_dir), host=args.host, port=args.port, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
