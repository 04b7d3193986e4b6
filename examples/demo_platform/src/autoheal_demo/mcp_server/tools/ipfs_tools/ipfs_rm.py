"""Delete a block and its pin from the store (cannot be undone)."""

from typing import Any

from ._store import BLOCKS, PINS, get

DESTRUCTIVE = True


def ipfs_rm(cid: str) -> dict[str, Any]:
    size = len(get(cid))
    del BLOCKS[cid]
    PINS.discard(cid)
    return {"removed": cid, "size": size}
