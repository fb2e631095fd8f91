"""schema.org JobPosting on web pages: find it (JSON-LD and microdata) and map
it onto our posting fields.

Career sites of universities, hospitals and nonprofits rarely have an API, but
most publish JobPosting markup for search engines. This module is pure (no
Scrapy): `extract_job_postings` takes a page's HTML and gives the JobPosting
objects in JSON-LD shape (microdata is converted to the same shape), and
`map_job_posting` turns one of them into the keyword arguments of
`PostingSpider.new_item`. Values stay in the source's format (ISO dates, HTML
descriptions); `crawlers.normalize.build_posting` coerces them later.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit, urlunsplit

import lxml.html
from lxml import etree

from crawlers.normalize import clean_text, maybe_unescape_html

__all__ = [
    "ExtractResult",
    "extract_job_postings",
    "find_job_postings",
    "is_job_posting",
    "job_links",
    "jsonld_blocks",
    "load_jsonld",
    "map_job_posting",
    "microdata_items",
    "strip_tracking",
]

# Nesting deeper than this in one JSON-LD document is a malformed page, not data.
_MAX_DEPTH = 30

# Values career sites put in address fields when they have nothing to say.
_PLACEHOLDERS = frozenset(
    {"unavailable", "n/a", "na", "none", "null", "undefined", "-", "--", "tbd", "not specified"}
)

_UNITS = {
    "HOUR": "per hour",
    "DAY": "per day",
    "WEEK": "per week",
    "MONTH": "per month",
    "YEAR": "per year",
}


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
    for value in _as_list(node.get("@type")):
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


# ---------------------------------------------------------------- mapping


def map_job_posting(
    posting: Mapping[str, Any],
    page_url: str,
    id_index: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """One JobPosting -> `new_item` keyword arguments (values in source format).

    `page_url` is the page the markup came from: the posting's URL and id when
    it names none itself. `id_index` resolves `{"@id": ...}` references (a
    hiring organisation defined once in a `@graph`).
    """
    ref = _Resolver(id_index or {})
    url = _absolute(_text(_first(_get(posting, "url"))), page_url) or _page_key(page_url)
    company = _org_name(ref(_first(_get(posting, "hiringOrganization"))), ref)
    locations, remote = _locations(posting, ref)
    fields: dict[str, Any] = {
        "external_id": _identifier(posting, ref) or url,
        # Some sites put the title in `name` (the generic Thing property).
        "title": _unescape(_text(_first(_get(posting, "title")) or _first(_get(posting, "name")))),
        "company": company,
        "url": url,
        "locations": locations,
        "workplace_type": "remote" if remote else None,
        "employment_type": _joined(_get(posting, "employmentType")),
        "description_html": _description(_get(posting, "description")),
        "posted_at": _text(_first(_get(posting, "datePosted"))),
        "deadline": _text(_first(_get(posting, "validThrough"))),
    }
    fields.update(_salary(ref(_first(_get(posting, "baseSalary"))), ref))
    return fields


class _Resolver:
    def __init__(self, index: Mapping[str, Mapping[str, Any]]):
        self.index = index

    def __call__(self, value: Any) -> Any:
        """A node for an `{"@id": ...}` reference when the page defines it."""
        if isinstance(value, Mapping) and set(value) <= {"@id", "@type"}:
            target = self.index.get(str(value.get("@id")))
            if target is not None:
                return target
        return value


def _get(node: Mapping[str, Any], key: str) -> Any:
    """A property, also when written with a schema prefix or as a full IRI."""
    for name in (key, f"schema:{key}", f"http://schema.org/{key}", f"https://schema.org/{key}"):
        if name in node:
            return node[name]
    return None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _first(value: Any) -> Any:
    for item in _as_list(value):
        if item is not None and item != "":
            return item
    return None


def _text(value: Any) -> str | None:
    """A scalar property as text; JSON-LD value objects ({"@value": ...}) too."""
    if isinstance(value, Mapping):
        value = value.get("@value", value.get("value", value.get("name")))
    if value is None or isinstance(value, (bool, Mapping, list)):
        return None
    return clean_text(value)


def _unescape(value: str | None) -> str | None:
    """Titles often arrive entity-escaped ("R&amp;D Intern")."""
    return clean_text(html.unescape(value)) if value else value


def _useful(value: Any) -> str | None:
    text = _text(value)
    if text is None or text.lower() in _PLACEHOLDERS:
        return None
    return text


def _joined(value: Any) -> str | None:
    parts = [t for t in (_text(v) for v in _as_list(value)) if t]
    return ", ".join(dict.fromkeys(parts)) or None


def _description(value: Any) -> str | None:
    text = value if isinstance(value, str) else _text(_first(value))
    if not text or not text.strip():
        return None
    return maybe_unescape_html(text.strip())


def _absolute(value: str | None, base: str) -> str | None:
    if not value:
        return None
    url = urljoin(base, value)
    return url if urlsplit(url).scheme in ("http", "https") else None


def _page_key(url: str) -> str:
    return urldefrag(url)[0]


def _identifier(posting: Mapping[str, Any], ref: _Resolver) -> str | None:
    for ident in _as_list(_get(posting, "identifier")):
        ident = ref(ident)
        if isinstance(ident, Mapping):
            value = _text(ident.get("value", ident.get("@value")))
        else:
            value = _text(ident)
        if value:
            return value
    return None


def _org_name(org: Any, ref: _Resolver) -> str | None:
    if isinstance(org, Mapping):
        return _unescape(_text(_first(_get(org, "name")) or _first(_get(org, "legalName"))))
    return _unescape(_text(org))


def _locations(posting: Mapping[str, Any], ref: _Resolver) -> tuple[list[str], bool]:
    locations: list[str] = []
    for place in _as_list(_get(posting, "jobLocation")):
        text = _place_text(ref(place), ref)
        if text:
            locations.append(text)
    kinds = " ".join(
        t or "" for t in (_text(v) for v in _as_list(_get(posting, "jobLocationType")))
    )
    remote = "TELECOMMUTE" in kinds.upper()
    if remote:
        regions = [
            _place_text(ref(r), ref)
            for r in _as_list(_get(posting, "applicantLocationRequirements"))
        ]
        regions = [r for r in regions if r]
        locations.extend(f"Remote ({r})" for r in regions)
        if not locations:
            locations.append("Remote")
    return list(dict.fromkeys(locations)), remote


def _place_text(place: Any, ref: _Resolver) -> str | None:
    """ "Locality, Region, Country" of a Place / PostalAddress / Country, or its name."""
    if isinstance(place, str) or not isinstance(place, Mapping):
        return _useful(place)
    address = ref(_first(_get(place, "address")))
    if isinstance(address, str):
        return _useful(address)
    source = address if isinstance(address, Mapping) else place
    parts: list[str] = []
    for key in ("addressLocality", "addressRegion", "addressCountry"):
        value = ref(_first(_get(source, key)))
        text = _useful(_first(_get(value, "name")) if isinstance(value, Mapping) else value)
        if text and text.casefold() not in (p.casefold() for p in parts):
            parts.append(text)
    if parts:
        return ", ".join(parts)
    return _useful(_first(_get(place, "name")))


def _salary(amount: Any, ref: _Resolver) -> dict[str, Any]:
    """baseSalary: a MonetaryAmount ({currency, value: QuantitativeValue
    {minValue, maxValue, value, unitText}}) or a bare number."""
    if amount is None:
        return {}
    if not isinstance(amount, Mapping):
        return {"salary_min": amount, "salary_max": amount, "salary_text": _text(amount)}
    currency = _text(_first(_get(amount, "currency")))
    value = ref(_first(_get(amount, "value")))
    unit = _text(_first(_get(amount, "unitText")))
    if isinstance(value, Mapping):
        single = _first(_get(value, "value"))
        low = _first(_get(value, "minValue"))
        high = _first(_get(value, "maxValue"))
        unit = _text(_first(_get(value, "unitText"))) or unit
    else:
        single, low, high = value, None, None
    low = low if low is not None else single
    high = high if high is not None else single
    if low is None and high is None:
        return {"salary_currency": currency} if currency else {}
    return {
        "salary_min": low,
        "salary_max": high,
        "salary_currency": currency,
        "salary_text": _salary_text(currency, low, high, unit),
    }


def _salary_text(currency: str | None, low: Any, high: Any, unit: str | None) -> str:
    def fmt(v: Any) -> str:
        try:
            number = float(str(v).replace(",", ""))
        except ValueError:
            return str(v)
        return f"{number:,.0f}" if number.is_integer() else f"{number:,.2f}"

    amounts = fmt(low) if low == high or high is None else f"{fmt(low)}–{fmt(high)}"
    per = _UNITS.get((unit or "").upper(), f"per {unit.lower()}" if unit else "")
    return " ".join(p for p in (currency, amounts, per) if p)


_TRACKING_PARAM = re.compile(r"^(?:utm_\w+|gclid|fbclid|msclkid|mc_[ce]id|_ga)$", re.IGNORECASE)


def job_links(hrefs: Iterable[str], base: str) -> list[str]:
    """Absolute http(s) URLs in page order, once each: without fragments and
    tracking parameters (utm_*, gclid...), so one page isn't fetched twice."""
    out: dict[str, None] = {}
    for href in hrefs:
        url = _absolute((href or "").strip(), base)
        if url:
            out.setdefault(strip_tracking(_page_key(url)), None)
    return list(out)


def strip_tracking(url: str) -> str:
    parts = urlsplit(url)
    if not parts.query:
        return url
    kept = [
        p for p in parts.query.split("&") if p and not _TRACKING_PARAM.match(p.split("=", 1)[0])
    ]
    return urlunsplit(parts._replace(query="&".join(kept)))
