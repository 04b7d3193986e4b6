"""The in-flight marker: which test a process is running right now, readable after it dies.

Kept apart from :mod:`pytest_autoheal.capture` so that the per-test path loads nothing else.
"""

from __future__ import annotations

import contextlib
import json
import mmap
import os
from collections.abc import Mapping
from json.encoder import encode_basestring as _encode_str
from pathlib import Path
from typing import Any

from . import store


class InflightMarker:
    """One small file per process naming the test it is running right now.

    The file is memory-mapped and rewritten in place, so marking a test costs a memory copy,
    not a system call. The mapping is shared with the page cache: when the process dies
    mid-test (a segfault, ``os._exit``, SIGKILL), what it wrote is in the file for whoever
    reads the report directory next, who turns it into a record. The JSON is padded with
    spaces to the mapped size.
    """

    _INITIAL = 16 * 1024

    def __init__(self, report_dir: Path, worker: str, static: Mapping[str, Any] | None = None) -> None:
        self.path = Path(report_dir) / store.INFLIGHT / f"{worker}.json"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
        # The parts that never change are serialised once; each test adds a few small fields.
        static_json = json.dumps(dict(static or {}), default=str)[1:-1]
        self._tail = ("," + static_json + "}" if static_json else "}").encode()
        self._map: mmap.mmap | None = None
        self._used = 0
        self._resize(self._INITIAL)

    def _resize(self, size: int) -> None:
        if self._map is not None:
            self._map.close()
        os.ftruncate(self._fd, size)
        os.pwrite(self._fd, b" " * size, 0)
        self._map = mmap.mmap(self._fd, size)
        self._blank = b" " * size
        self._used = 0

    def start_test(self, nodeid: str, meta_json: str, started: float) -> None:
        """The per-test path: ``meta_json`` is the test's constant fields, serialised once."""
        head = f'{{"nodeid":{_encode_str(nodeid)},"started":{started!r},{meta_json}'.encode()
        self._write(head + self._tail)

    def clear(self) -> None:
        self._write(b"{}")

    # The per-test path allocates no object the garbage collector tracks (str and bytes only):
    # it must not change when pytest's own collections run.
    def _write(self, payload: bytes) -> None:
        mapped = self._map
        assert mapped is not None
        size = len(payload)
        if size > len(mapped):
            self._resize(max(size, 2 * len(mapped)))
            mapped = self._map
            assert mapped is not None
        mapped[:size] = payload
        if size < self._used:
            mapped[size : self._used] = self._blank[: self._used - size]
        self._used = size

    def close(self, *, remove: bool = True) -> None:
        if self._map is not None:
            with contextlib.suppress(OSError, ValueError):
                self._map.close()
            self._map = None
        with contextlib.suppress(OSError):
            os.close(self._fd)
        if remove:
            with contextlib.suppress(OSError):
                self.path.unlink()


def read_marker(path: Path) -> dict[str, Any] | None:
    try:
        text = path.read_text("utf-8", errors="replace").strip()
        data = json.loads(text) if text else None
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("nodeid") else None
