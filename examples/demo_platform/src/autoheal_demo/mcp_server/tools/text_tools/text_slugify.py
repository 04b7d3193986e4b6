"""Turn a title into a URL slug (lowercase ASCII words joined by hyphens)."""

import re
import unicodedata


def text_slugify(text: str, separator: str = "-") -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return separator.join(words)
