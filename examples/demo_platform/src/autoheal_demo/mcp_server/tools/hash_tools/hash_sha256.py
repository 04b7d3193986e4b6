"""SHA-256 hex digest of a UTF-8 text."""

import hashlib


def hash_sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
