"""What a test needs to know about an HTML page: its links and whether it reaches off-machine."""

from __future__ import annotations

import re
from html.parser import HTMLParser

URL_ATTRIBUTES = ("href", "src", "srcset", "action", "data", "poster")


class PageParts(HTMLParser):
    """Every URL-bearing attribute, every element name and the visible text of a page."""

    def __init__(self, page: str):
        super().__init__()
        self.urls: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.urls += [value for name, value in attrs if name in URL_ATTRIBUTES and value]

    def handle_data(self, data):
        self.text.append(data)


def external_references(page: str) -> list[str]:
    """URLs a browser would fetch or follow off the machine: in attributes and in CSS."""
    parts = PageParts(page)
    attributes = [u for u in parts.urls if re.match(r"^\s*(https?:|//|ftp:)", u, re.I)]
    styles = "".join(re.findall(r"<style>(.*?)</style>", page, re.S))
    return attributes + re.findall(r"url\(|@import", styles)
