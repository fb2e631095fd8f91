"""schema.org JobPosting on web pages: find it (JSON-LD and microdata);
`crawlers.jobposting_map` maps it onto our posting fields.

Career sites of universities, hospitals and nonprofits rarely have an API, but
most publish JobPosting markup for search engines. This module is pure (no
Scrapy): `extract_job_postings` takes a page's HTML and gives the JobPosting
objects in JSON-LD shape (microdata is converted to the same shape);
`crawlers.jobposting_map.map_job_posting` turns one of them into the keyword
arguments of `PostingSpider.new_item`.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import lxml.html
from lxml import etree

from crawlers.normalize import clean_text

__all__ = [
    "ExtractResult",
    "as_list",
    "extract_job_postings",
    "find_job_postings",
    "is_job_posting",
    "jsonld_blocks",
    "load_jsonld",
    "microdata_items",
]

# Nesting deeper than this in one JSON-LD document is a malformed page, not data.
_MAX_DEPTH = 30


@dataclass
class ExtractResult:
    """What one page holds: JobPosting objects (JSON-LD shape) and the reasons
    why some JSON-LD blocks could not be read (the other blocks are kept)."""

    postings: list[dict[str, Any]] = field(default_factory=list)
    # For each posting: "json-ld" or "microdata".
    origins: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # Every JSON-LD node with an "@id", so {"@id": ...} references resolve.
    id_index: dict[str, dict[str, Any]] = field(default_factory=dict)


# ---------------------------------------------------------------- finding


def extract_job_postings(page: str | bytes | Any) -> ExtractResult:
    """All JobPostings of a page, from JSON-LD first, then microdata.

    `page` is HTML text/bytes, an lxml element or a parsel Selector. Broken
    JSON in one `<script type="application/ld+json">` block is reported in
    `errors` and does not affect the other blocks.
    """
    root = _html_root(page)
    result = ExtractResult()
    if root is None:
        return result
    documents: list[Any] = []
    for index, text in enumerate(jsonld_blocks(root), start=1):
        try:
            documents.append(load_jsonld(text))
        except ValueError as exc:
            result.errors.append(f"JSON-LD block #{index} is not valid JSON: {exc}")
    for document in documents:
        _index_ids(document, result.id_index, 0)
    for document in documents:
        for posting in find_job_postings(document):
            result.postings.append(posting)
            result.origins.append("json-ld")
    for posting in microdata_items(root):
        result.postings.append(posting)
        result.origins.append("microdata")
    return result


def _html_root(page: Any) -> Any:
    if page is None:
        return None
    root = getattr(page, "root", page)  # parsel Selector -> its lxml element
    if isinstance(root, (str, bytes)):
        if not root.strip():
            return None
        try:
            return lxml.html.fromstring(root)
        except (etree.ParserError, ValueError):
            return None
    return root if isinstance(getattr(root, "tag", None), str) else None


def jsonld_blocks(root: Any) -> list[str]:
    """The text of every `<script type="application/ld+json">` (type compared
    case-insensitively; parameters like `; charset=utf-8` allowed)."""
    blocks: list[str] = []
    for script in root.iter("script"):
        kind = (script.get("type") or "").split(";")[0].strip().lower()
        if kind == "application/ld+json" and script.text and script.text.strip():
            blocks.append(script.text)
    return blocks


_WRAPPERS = re.compile(
    r"^\s*(?:<!--|//\s*<!\[CDATA\[|/\*\s*<!\[CDATA\[\s*\*/)|(?://\s*\]\]>|/\*\s*\]\]>\s*\*/|-->)\s*$"
)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


def load_jsonld(text: str) -> Any:
    """Decode one JSON-LD block, tolerating what real pages get wrong: HTML
    comment or CDATA wrappers, raw control characters (newlines) inside
    strings, trailing commas and several documents in one block. Raises
    `ValueError` with a short reason when it still isn't JSON."""
    body = _WRAPPERS.sub("", text.strip().lstrip("\ufeff")).strip()
    try:
        return json.loads(body, strict=False)
    except json.JSONDecodeError as exc:
        first = exc
    for candidate in (body, _TRAILING_COMMA.sub(r"\1", body)):
        try:
            return _decode_sequence(candidate)
        except json.JSONDecodeError:
            continue
    raise ValueError(f"line {first.lineno} column {first.colno}: {first.msg}")


def _decode_sequence(text: str) -> Any:
    """One JSON value, or several back to back (returned as a list)."""
    decoder = json.JSONDecoder(strict=False)
    values: list[Any] = []
    pos = 0
    while pos < len(text):
        value, pos = decoder.raw_decode(text, pos)
        values.append(value)
        while pos < len(text) and text[pos] in " \t\r\n;,":
            pos += 1
    if not values:
        raise json.JSONDecodeError("empty block", text, 0)
    return values[0] if len(values) == 1 else values


def _types(node: Mapping[str, Any]) -> set[str]:
    """Lower-cased local type names: "JobPosting", "schema:JobPosting" and
    "https://schema.org/JobPosting" are all "jobposting"."""
    out: set[str] = set()
    for value in as_list(node.get("@type")):
        if isinstance(value, str):
            out.add(re.split(r"[/:#]", value.strip())[-1].lower())
    return out


def is_job_posting(node: Any) -> bool:
    return isinstance(node, Mapping) and "jobposting" in _types(node)


def find_job_postings(document: Any) -> list[dict[str, Any]]:
    """Every JobPosting in a decoded JSON-LD document: top level, arrays,
    `@graph`, or nested anywhere (`mainEntity`, `itemListElement`...)."""
    found: list[dict[str, Any]] = []

    def walk(node: Any, depth: int) -> None:
        if depth > _MAX_DEPTH:
            return
        if isinstance(node, list):
            for child in node:
                walk(child, depth + 1)
        elif isinstance(node, dict):
            if is_job_posting(node):
                found.append(node)
                return
            for value in node.values():
                if isinstance(value, (dict, list)):
                    walk(value, depth + 1)

    walk(document, 0)
    return found


def _index_ids(node: Any, index: dict[str, dict[str, Any]], depth: int) -> None:
    if depth > _MAX_DEPTH:
        return
    if isinstance(node, list):
        for child in node:
            _index_ids(child, index, depth + 1)
    elif isinstance(node, dict):
        node_id = node.get("@id")
        # The fullest node wins: a bare {"@id": ...} reference is not a definition.
        if isinstance(node_id, str) and len(node) > len(index.get(node_id, {})):
            index[node_id] = node
        for value in node.values():
            if isinstance(value, (dict, list)):
                _index_ids(value, index, depth + 1)


# ---------------------------------------------------------------- microdata


def microdata_items(root: Any, type_name: str = "jobposting") -> list[dict[str, Any]]:
    """Microdata items of a schema.org type (`itemtype` containing
    schema.org/JobPosting), converted to JSON-LD shape."""
    items: list[dict[str, Any]] = []
    for el in root.iter():
        if not isinstance(el.tag, str) or "itemscope" not in el.attrib:
            continue
        itemtypes = (el.get("itemtype") or "").lower().split()
        if any("schema.org" in t and t.rstrip("/").endswith("/" + type_name) for t in itemtypes):
            items.append(_microdata_item(el, 0))
    return items


def _microdata_item(el: Any, depth: int) -> dict[str, Any]:
    item: dict[str, Any] = {}
    types = [t.rstrip("/").rsplit("/", 1)[-1] for t in (el.get("itemtype") or "").split()]
    if types:
        item["@type"] = types[0] if len(types) == 1 else types
    if el.get("itemid"):
        item["@id"] = el.get("itemid")
    props: dict[str, list[Any]] = {}

    def walk(node: Any) -> None:
        for child in node:
            if not isinstance(child.tag, str):
                continue
            names = (child.get("itemprop") or "").split()
            if names:
                for name in names:
                    props.setdefault(name, []).append(_microdata_value(child, name, depth))
            if "itemscope" not in child.attrib:  # a nested item's properties are its own
                walk(child)

    walk(el)
    for name, values in props.items():
        item[name] = values[0] if len(values) == 1 else values
    return item


def _microdata_value(el: Any, name: str, depth: int) -> Any:
    if "itemscope" in el.attrib:
        return _microdata_item(el, depth + 1) if depth < _MAX_DEPTH else {}
    tag = el.tag.lower()
    if tag == "meta":
        return el.get("content") or ""
    if tag in ("a", "link", "area"):
        return el.get("href") or ""
    if tag in ("img", "audio", "video", "source", "iframe", "embed", "track"):
        return el.get("src") or ""
    if tag == "time" and el.get("datetime"):
        return el.get("datetime")
    if tag in ("data", "meter") and el.get("value") is not None:
        return el.get("value")
    if el.get("content") is not None:  # common (if non-standard) on <span>
        return el.get("content")
    if name == "description":
        # The description is HTML: keep the markup, not just the text.
        inner = (html.escape(el.text) if el.text else "") + "".join(
            etree.tostring(child, encoding="unicode", method="html") for child in el
        )
        return inner.strip()
    return clean_text("".join(el.itertext())) or ""


def as_list(value: Any) -> list[Any]:
    """A JSON-LD value as a list (absent: empty; one value: a list of it)."""
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]
