"""Number of pages of a base64-encoded PDF."""

import re

from .._common import broken
from ._pdf import decode

if broken():
    # The break switch: a faster parser that was never added to the dependencies.
    import pdfminer_fastpath  # noqa: F401


def pdf_page_count(pdf_base64: str) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", decode(pdf_base64)))
