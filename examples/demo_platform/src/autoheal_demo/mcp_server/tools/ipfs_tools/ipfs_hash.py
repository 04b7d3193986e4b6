"""The CID a text would get, without storing it."""

from ._store import cid_of


def ipfs_hash(content: str) -> str:
    return cid_of(content.encode())
