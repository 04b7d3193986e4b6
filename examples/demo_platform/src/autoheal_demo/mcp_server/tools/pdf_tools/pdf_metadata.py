"""Version, size, object count and compression of a base64-encoded PDF."""

import re
from typing import Any

from ._pdf import decode


def pdf_metadata(pdf_base64: str) -> dict[str, Any]:
    data = decode(pdf_base64)
    return {
        "version": data[5:8].decode("ascii", "replace"),
        "bytes": len(data),
        "objects": len(re.findall(rb"\d+ 0 obj", data)),
        "compressed": b"/FlateDecode" in data,
    }
