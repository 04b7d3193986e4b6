"""A minimal PDF writer and text reader: enough for real round trips between the pdf tools."""

from __future__ import annotations

import base64
import binascii
import re
import zlib

from .._common import ToolError

_TEXT_OP = re.compile(rb"\((?P<text>(?:\\.|[^\\)])*)\)\s*Tj")
_STREAM = re.compile(rb"<<(?P<dict>.*?)>>\s*stream\r?\n(?P<data>.*?)\r?\nendstream", re.S)


def _escape(text: str) -> bytes:
    return text.encode("latin-1", "replace").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def build(pages: list[list[str]], compress: bool = True) -> bytes:
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    kids = []
    for lines in pages:
        ops = b"BT /F1 12 Tf 72 720 Td 14 TL " + b" ".join(b"(" + _escape(line) + b") Tj T*" for line in lines) + b" ET"
        data = zlib.compress(ops) if compress else ops
        filt = b" /Filter /FlateDecode" if compress else b""
        objects.append(b"<< /Length %d%s >>\nstream\n" % (len(data), filt) + data + b"\nendstream")
        content_ref = len(objects)
        objects.append(b"<< /Type /Page /Parent 2 0 R /Contents %d 0 R >>" % content_ref)
        kids.append(b"%d 0 R" % len(objects))
    objects[1] = b"<< /Type /Pages /Kids [" + b" ".join(kids) + b"] /Count %d >>" % len(kids)
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def decode(pdf_base64: str) -> bytes:
    try:
        data = base64.b64decode(pdf_base64, validate=True)
    except (binascii.Error, ValueError):
        raise ToolError("pdf_base64 is not valid base64") from None
    if not data.startswith(b"%PDF-"):
        raise ToolError("pdf_base64 does not hold a PDF document (no %PDF- header)")
    return data


def page_texts(data: bytes) -> list[str]:
    texts = []
    for match in _STREAM.finditer(data):
        raw = match["data"]
        if b"/FlateDecode" in match["dict"]:
            try:
                raw = zlib.decompress(raw)
            except zlib.error:
                raise ToolError("a content stream of the PDF is corrupt") from None
        parts = [re.sub(rb"\\(.)", rb"\1", m["text"]).decode("latin-1") for m in _TEXT_OP.finditer(raw)]
        texts.append("\n".join(parts))
    return texts
