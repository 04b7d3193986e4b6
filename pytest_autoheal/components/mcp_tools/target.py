"""``McpTarget``: the configured MCP server, resolved against the configuration file."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ...config import AutohealConfig
from ...errors import ConfigUnavailable
from ...runner import anchored, sandbox
from .config import McpConfig


@dataclass
class McpTarget:
    """Everything needed to reach the server and find its tool sources.

    ``env`` is what the server gets on top of the allow-listed part of our environment
    (:func:`pytest_autoheal.runner.passed_env`); never the rest of it.
    """

    cfg: McpConfig
    argv: list[str] = field(default_factory=list)
    url: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    tools_dir: Path | None = None
    python: str = sys.executable
    log_dir: Path = Path(".")
    # The folder of the configuration: module names never climb above it.
    base_dir: Path | None = None
    import_root: Path | None = None

    @property
    def name(self) -> str:
        return self.url or " ".join(self.argv)

    @classmethod
    def from_config(cls, cfg: AutohealConfig, log_dir: Path) -> McpTarget:
        mcp = cfg.mcp
        if mcp is None:
            raise ConfigUnavailable(f"{cfg.source}: no [tool.autoheal.mcp] table; add one with 'command' or 'url' to monitor an MCP server")
        argv = mcp.argv()
        if argv and os.sep not in argv[0]:
            # A console script installed next to this interpreter wins over PATH, so the venv's server runs.
            local = Path(sys.executable).parent / argv[0]
            argv[0] = str(local) if local.exists() else (shutil.which(argv[0]) or argv[0])
        elif argv and not Path(argv[0]).is_absolute():
            argv[0] = str(cfg.path(argv[0]))
        cwd, env = cfg.path(mcp.cwd) if mcp.cwd else None, dict(mcp.env)
        if argv and cwd is None:
            argv[1:] = anchored(argv[1:], cfg.base_dir)
        if argv:
            # The server runs in a sandbox (its own cwd, HOME, TMPDIR, XDG dirs) unless the config places it.
            cwd, env = sandbox("mcp").place(cwd, env)
        return cls(
            cfg=mcp,
            argv=argv,
            url=mcp.url,
            env=env,
            cwd=cwd,
            tools_dir=cfg.path(mcp.tools_dir).resolve() if mcp.tools_dir else None,
            python=str(cfg.path(mcp.python)) if mcp.python and "/" in mcp.python else (mcp.python or sys.executable),
            log_dir=log_dir,
            base_dir=cfg.base_dir,
            import_root=cfg.path(mcp.import_root).resolve() if mcp.import_root else None,
        )
