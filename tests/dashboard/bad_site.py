"""A small site with the failures the dashboard suite must report precisely (run: python bad_site.py --port N)."""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys

import uvicorn
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, Response, StreamingResponse
from starlette.routing import Route

LINKS = "<a href='/clean'>clean</a> <a href='/gone'>gone</a> <a href='/bad.json'>data</a> <a href='mailto:x@example.org'>mail</a>"


def html(body: str) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html><head><link rel='icon' href='data:,'><title>bad site</title></head><body>{body}</body></html>"
    )


async def index(request):
    return html(f"<h1>index</h1>{LINKS}")


async def clean(request):
    return html("<p>clean</p><script>console.log('fine')</script>")


async def bad_json(request):
    return Response(b'{"items": [1, 2,', media_type="application/json")


async def crash(request):
    def load_settings(name: str) -> dict:
        return {"a": 1}[name]

    return Response(str(load_settings("missing")))


async def dialog(request):
    return html("<p>asks</p><script>alert('Are you sure you want to leave?')</script>")


async def navigate(request):
    return html("<p>moving</p><script>window.location.replace('/clean')</script>")


async def console_error(request):
    return html("<script>console.error('widget failed to render: token expired')</script>")


async def hang_js(request):
    # Tests wait for this line to know a client is now blocked on the endless response.
    print("hang.js requested", flush=True)

    async def body():
        yield b"// slow"
        await asyncio.sleep(3600)

    return StreamingResponse(body(), media_type="text/javascript")


async def hang(request):
    return html("<p>loading forever</p><script src='/hang.js'></script>")


app = Starlette(
    routes=[
        Route("/", index),
        Route("/clean", clean),
        Route("/bad.json", bad_json),
        Route("/crash", crash),
        Route("/dialog", dialog),
        Route("/navigate", navigate),
        Route("/console", console_error),
        Route("/hang", hang),
        Route("/hang.js", hang_js),
    ]
)

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True, help="0: any free port, the one bound is printed")
    args = parser.parse_args()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    print(f"bad site pid {os.getpid()} port {sock.getsockname()[1]}", flush=True)
    sys.stdout.flush()
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
