"""CRC-32 checksum of a UTF-8 text, as an unsigned integer and as hex."""

import zlib
from typing import Any


def hash_crc32(text: str) -> dict[str, Any]:
    value = zlib.crc32(text.encode()) & 0xFFFFFFFF
    return {"value": value, "hex": f"{value:08x}"}
