"""quarry's dashboard (Starlette): three pages, two with planted browser faults, and an API whose /api/stats raises.

Run: python -m quarry.dashboard --port N. With QUARRY_REFUSE_ROOT=1 it refuses to start, the way some servers refuse to run as root.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

NAV = (
    "<nav><a href='/'>home</a> <a href='/pits'>pits</a> <a href='/broken/uncaught'>map</a>"
    " <a href='/broken/rejection'>index</a> <a href='/broken/missing-script'>widgets</a></nav>"
)
PITS = {"north": {"tons": 12}, "south": {"tons": 7}}


def page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html><head><meta charset='utf-8'><link rel='icon' href='data:,'>"
        f"<title>{title}</title></head><body><h1>{title}</h1>{NAV}{body}</body></html>"
    )


async def home(request):
    return page("quarry", "<p>Two pits open.</p><script src='/static/sdk/quarry-sdk.js'></script>")


async def pits(request):
    return page("pits", "<ul><li>north</li><li>south</li></ul>")


async def uncaught(request):
    return page(
        "map", "<div id='map'></div><script>\nfunction drawMap(layer) {\n  return layer.tiles.length;\n}\ndrawMap(null);\n</script>"
    )


async def rejection(request):
    return page("index", "<script>\nasync function loadIndex() {\n  throw new Error('pit index unavailable');\n}\nloadIndex();\n</script>")


async def missing_script(request):
    return page("widgets", "<script src='/static/widgets.js'></script>")


async def alerts(request):
    # Not linked from anywhere: a page with a console error, for comparing what each browser driver reads.
    return page("alerts", "<script>console.error('alert feed stale: 3 alerts dropped')</script>")


def load_stats() -> dict[str, int]:
    return {name: pit["depth"] for name, pit in PITS.items()}


async def stats(request):
    return JSONResponse(load_stats())


async def health(request):
    return JSONResponse({"ok": True, "pits": len(PITS)})


app = Starlette(
    routes=[
        Route("/", home),
        Route("/pits", pits),
        Route("/broken/uncaught", uncaught),
        Route("/broken/rejection", rejection),
        Route("/broken/missing-script", missing_script),
        Route("/alerts", alerts),
        Route("/api/stats", stats),
        Route("/api/health", health),
        Mount("/static", StaticFiles(directory=Path(__file__).resolve().parent / "static")),
    ]
)


def main() -> None:
    parser = argparse.ArgumentParser(prog="quarry-dashboard")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    if os.environ.get("QUARRY_REFUSE_ROOT") == "1":
        print("Running as root is not recommended. Use --allow-root", file=sys.stderr, flush=True)
        raise SystemExit(1)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
