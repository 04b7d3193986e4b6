"""Store a text in the content-addressed store and pin it; returns its CID."""

from typing import Any

from ._store import BLOCKS, PINS, cid_of

READ_ONLY = False


def ipfs_add(content: str, pin: bool = True) -> dict[str, Any]:
    data = content.encode()
    cid = cid_of(data)
    BLOCKS[cid] = data
    if pin:
        PINS.add(cid)
    return {"cid": cid, "size": len(data), "pinned": cid in PINS}
