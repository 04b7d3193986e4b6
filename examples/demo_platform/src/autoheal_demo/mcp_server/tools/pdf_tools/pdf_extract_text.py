"""Extract the text of every page of a base64-encoded PDF."""

from typing import Any

from ._pdf import decode, page_texts


def pdf_extract_text(pdf_base64: str) -> dict[str, Any]:
    texts = page_texts(decode(pdf_base64))
    return {"pages": len(texts), "text": "\n\f".join(texts)}
