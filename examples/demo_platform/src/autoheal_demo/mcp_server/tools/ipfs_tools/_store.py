"""A tiny in-memory content-addressed store, shared by the ipfs tools of one server process."""

from __future__ import annotations

import base64
import hashlib

from .._common import ToolError

BLOCKS: dict[str, bytes] = {}
PINS: set[str] = set()


def cid_of(data: bytes) -> str:
    # CIDv1-like: multibase "b" (base32, lowercase) over a sha2-256 multihash.
    multihash = b"\x12\x20" + hashlib.sha256(data).digest()
    return "b" + base64.b32encode(b"\x01\x55" + multihash).decode().lower().rstrip("=")


def get(cid: str) -> bytes:
    try:
        return BLOCKS[cid]
    except KeyError:
        raise ToolError(f"no block with cid {cid!r} in this store") from None
