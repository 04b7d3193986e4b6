"""HMAC-SHA256 of a message under a key, hex encoded."""

import hashlib
import hmac


def hash_hmac_sha256(key: str, message: str) -> str:
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()
