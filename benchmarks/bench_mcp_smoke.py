"""MCP smoke over a server generated at runtime (250 tools in 50 categories), beside a naive run.

    .venv/bin/python benchmarks/bench_mcp_smoke.py [--tools 250] [--categories 50] [--workers 2]

"suite": ``pytest --autoheal-level=smoke -n WORKERS`` on the MCP suite: one server session per
worker, every tool file served, every module imported in its own process, every schema checked.
"naive": what a one-server-per-tool monitor does: for each tool, start the server, handshake,
list tools and check that tool's schema, WORKERS at a time. Both run here, side by side.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import anyio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pytest_autoheal.components.mcp_tools.arguments import schema_problem  # noqa: E402
from pytest_autoheal.components.mcp_tools.client import connect, list_all_tools  # noqa: E402
from pytest_autoheal.components.mcp_tools.config import McpConfig  # noqa: E402
from pytest_autoheal.components.mcp_tools.target import McpTarget  # noqa: E402

SERVER = """
import importlib.util, sys
from pathlib import Path
from mcp.server.mcpserver import MCPServer

server = MCPServer("generated")
tools = Path(sys.argv[1])
for path in sorted(tools.glob("*/*.py")):
    spec = importlib.util.spec_from_file_location(f"{path.parent.name}.{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    server.add_tool(getattr(module, path.stem), name=path.stem, meta={"category": path.parent.name})
server.run()
"""

TOOL = '''
"""Generated tool {i}: checksum of a text with a per-tool salt."""
import zlib


def {name}(text: str, times: int = 1) -> int:
    return zlib.crc32((text * max(times, 1) + "{name}").encode())
'''


def generate(root: Path, tools: int, categories: int) -> tuple[Path, Path]:
    tools_dir = root / "tools"
    for i in range(tools):
        category = tools_dir / f"cat{i % categories:02d}_tools"
        category.mkdir(parents=True, exist_ok=True)
        name = f"tool_{i:03d}"
        (category / f"{name}.py").write_text(textwrap.dedent(TOOL.format(i=i, name=name)))
    server = root / "server.py"
    server.write_text(SERVER)
    return tools_dir, server


def run_suite(root: Path, tools_dir: Path, server: Path, workers: int) -> tuple[float, float, str]:
    config = root / "autoheal.toml"
    config.write_text(
        f'[tool.autoheal]\n[tool.autoheal.mcp]\ncommand = ["{sys.executable}", "{server}", "{tools_dir}"]\n'
        f'tools_dir = "{tools_dir}"\nimport_preload = ["zlib"]\n'
    )
    argv = [sys.executable, "-m", "pytest", str(ROOT / "suites" / "mcp_tools"), f"--rootdir={ROOT}", f"--autoheal-config={config}"]
    argv += [f"--autoheal-dir={root / 'reports'}", "--autoheal-level=smoke", "-n", str(workers), "-q", "-p", "no:cacheprovider"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, cwd=root)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU of the whole pytest tree (workers, servers, importers): wall time on an idle machine is about this over the cores.
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    tail = [line for line in done.stdout.splitlines() if " in " in line and ("passed" in line or "failed" in line)]
    return seconds, cpu, (tail[-1] if tail else done.stdout[-500:])


def run_naive(root: Path, tools_dir: Path, server: Path, workers: int, sample: int | None) -> tuple[float, int, int]:
    names = sorted(p.stem for p in tools_dir.glob("*/*.py"))[:sample] if sample else sorted(p.stem for p in tools_dir.glob("*/*.py"))
    target = McpTarget(
        cfg=McpConfig(command=[sys.executable, str(server), str(tools_dir)]), argv=[sys.executable, str(server), str(tools_dir)]
    )
    target.log_dir = root / "naive-logs"
    ok = 0

    async def one(name: str, limit: anyio.Semaphore) -> None:
        nonlocal ok
        async with limit, connect(target, label=name) as conn:
            listed = {t.name: t for t in await list_all_tools(conn)}
            if name in listed and schema_problem(dict(listed[name].input_schema)) is None:
                ok += 1

    async def main() -> None:
        limit = anyio.Semaphore(workers)
        async with anyio.create_task_group() as tg:
            for name in names:
                tg.start_soon(one, name, limit)

    started = time.perf_counter()
    anyio.run(main)
    return time.perf_counter() - started, ok, len(names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tools", type=int, default=250)
    parser.add_argument("--categories", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--naive-sample", type=int, default=None, help="time the naive run on this many tools and scale up")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-mcp-") as tmp:
        root = Path(tmp)
        tools_dir, server = generate(root, args.tools, args.categories)
        suite_s, suite_cpu, summary = run_suite(root, tools_dir, server, args.workers)
        naive_s, ok, measured = run_naive(root, tools_dir, server, args.workers, args.naive_sample)
        naive_full = naive_s * args.tools / measured
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"server: {args.tools} tools in {args.categories} categories; {args.workers} workers; load average {load}")
        print(f"suite smoke (-n {args.workers}):          {suite_s:7.1f} s   [{summary.strip()}; CPU {suite_cpu:.1f} s]")
        scaled = "" if measured == args.tools else f" (measured on {measured} tools: {naive_s:.1f} s, scaled)"
        print(f"naive one-server-per-tool ({args.workers} at once): {naive_full:7.1f} s{scaled}   [{ok}/{measured} schemas ok]")
        print(f"ratio naive / suite: {naive_full / suite_s:.1f}x")


if __name__ == "__main__":
    main()
