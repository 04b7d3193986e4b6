"""Read back the text stored under a CID, checking its hash."""

from .._common import ToolError
from ._store import cid_of, get


def ipfs_cat(cid: str) -> str:
    data = get(cid)
    if cid_of(data) != cid:
        raise ToolError(f"block {cid} is corrupt: its content hashes differently")
    return data.decode("utf-8", errors="replace")
