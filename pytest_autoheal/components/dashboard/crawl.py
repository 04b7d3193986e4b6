"""A bounded same-origin crawl: follow links from the start pages, check every URL answers."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

from ... import http

# (tag, attribute) pairs whose URL the page needs or offers to the reader.
_LINK_ATTRS = {("a", "href"), ("link", "href"), ("script", "src"), ("img", "src"), ("iframe", "src"), ("source", "src")}
_SKIP_SCHEMES = ("mailto:", "javascript:", "data:", "tel:", "blob:", "about:")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v for k, v in attrs if v is not None}
        if tag == "base" and "href" in values:
            self.base = values["href"]
        for t, attr in _LINK_ATTRS:
            if tag == t and values.get(attr):
                # Only anchors are pages to follow; the rest are resources to check.
                self.links.append((values[attr].strip(), "page" if tag == "a" else "resource"))


def links_in(html_text: str, page_url: str) -> list[tuple[str, str]]:
    """Absolute URLs (fragment removed) linked from a page, with ``page`` or ``resource``."""
    parser = _Links()
    try:
        parser.feed(html_text)
        parser.close()
    except Exception:  # html.parser is lenient; a page it still rejects yields what was read so far
        pass
    base = urljoin(page_url, parser.base) if parser.base else page_url
    out: list[tuple[str, str]] = []
    for raw, kind in parser.links:
        if not raw or raw.lower().startswith(_SKIP_SCHEMES) or raw.startswith("#"):
            continue
        out.append((urldefrag(urljoin(base, raw))[0], kind))
    return out


@dataclass
class Visit:
    url: str
    referrer: str | None
    result: http.HttpResult
    json_error: str | None = None


@dataclass
class CrawlResult:
    visits: list[Visit] = field(default_factory=list)
    skipped: int = 0

    @property
    def broken(self) -> list[Visit]:
        return [v for v in self.visits if v.result.error is not None or v.result.status is None or v.result.status >= 400]

    @property
    def bad_json(self) -> list[Visit]:
        return [v for v in self.visits if v.json_error]

    @property
    def pages(self) -> list[str]:
        """URLs of the HTML pages that answered."""
        return [v.url for v in self.visits if v.result.ok and v.result.is_html]


def same_origin(url: str, base_url: str) -> bool:
    a, b = urlsplit(url), urlsplit(base_url)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def crawl(
    base_url: str,
    start_paths: Sequence[str],
    *,
    max_pages: int = 60,
    max_depth: int = 3,
    exclude: Sequence[str] = (),
    timeout: float = 10.0,
) -> CrawlResult:
    """Visit same-origin URLs breadth first from ``start_paths``: at most ``max_pages`` requests."""
    excluded = [re.compile(rx) for rx in exclude]
    result = CrawlResult()
    queue: deque[tuple[str, str | None, int, str]] = deque()
    seen: set[str] = set()
    for path in start_paths:
        url = urljoin(base_url.rstrip("/") + "/", path.lstrip("/"))
        if url not in seen:
            seen.add(url)
            queue.append((url, None, 0, "page"))
    with http.client(timeout=timeout) as session:
        while queue:
            url, referrer, depth, kind = queue.popleft()
            if len(result.visits) >= max_pages:
                result.skipped += 1 + len(queue)
                break
            answer = http.get(url, session=session, timeout=timeout)
            visit = Visit(url=url, referrer=referrer, result=answer)
            result.visits.append(visit)
            if answer.claims_json and answer.body:
                try:
                    answer.json()
                except ValueError as exc:
                    visit.json_error = f"{type(exc).__name__}: {exc}"
            if kind != "page" or not answer.ok or not answer.is_html or depth >= max_depth:
                continue
            for link, link_kind in links_in(answer.text(), answer.final_url or url):
                if link in seen or not same_origin(link, base_url):
                    continue
                split = urlsplit(link)
                target = split.path + (f"?{split.query}" if split.query else "")
                if any(rx.search(target) for rx in excluded):
                    continue
                seen.add(link)
                queue.append((link, url, depth + 1, link_kind))
    return result
