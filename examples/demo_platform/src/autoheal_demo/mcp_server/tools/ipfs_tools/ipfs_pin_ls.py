"""List pinned CIDs with their sizes."""

from typing import Any

from ._store import BLOCKS, PINS


def ipfs_pin_ls() -> list[dict[str, Any]]:
    return [{"cid": cid, "size": len(BLOCKS.get(cid, b""))} for cid in sorted(PINS)]
