"""MD5 hex digest of a UTF-8 text (for checksums, not for security)."""

import hashlib


def hash_md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
