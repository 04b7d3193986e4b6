"""Build a PDF with one page per item of `pages` (lines split on newlines); returns it base64-encoded."""

import base64

from ._pdf import build


def pdf_build(pages: list[str], compress: bool = True) -> str:
    return base64.b64encode(build([page.splitlines() for page in pages] or [[]], compress=compress)).decode()
