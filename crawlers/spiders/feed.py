"""RSS 2.0 / RSS 1.0 and Atom job feeds (e.g. We Work Remotely's category feeds).

One request per source: the feed at `url`. Each `<item>`/`<entry>` is one
posting. We Work Remotely titles read "Company: Job Title"; they are split on
the first ": " (option `title_split`).
"""

from __future__ import annotations

import email.utils
import html
import re
from dataclasses import dataclass
from html.entities import name2codepoint
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree
from scrapy.http import Request, Response

from crawlers.items import PostingItem
from crawlers.normalize import clean_text, maybe_unescape_html, replace_origin
from crawlers.spiders.base import ListingError, PostingSpider
from crawlers.spiders.hn import ROLE_WORDS

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
TITLE_SPLIT_MODES = ("auto", "always", "never")
# Hosts whose feeds only list remote jobs.
_REMOTE_ONLY_HOSTS = ("weworkremotely.com",)
_COMPANY_TITLE = re.compile(r"^\s*(?P<company>[^:]{1,100}?):\s+(?P<title>\S.*)$", re.DOTALL)


# ---------------------------------------------------------------- XML


def parse_xml(body: bytes) -> Any:
    """A parsed XML document's root element, or `None` when `body` is not XML.

    A well-formed document is parsed as is. A slightly broken one (bare "&" in
    a URL or title, HTML entities such as `&nbsp;`, a missing end tag) is
    repaired where that is unambiguous and then parsed with recover=True.
    External entities are never fetched or expanded.
    """
    text = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text.startswith(b"<"):
        return None
    options = {
        "resolve_entities": False,
        "no_network": True,
        "huge_tree": True,
        "remove_comments": True,
        "remove_pis": True,
    }
    try:
        root = etree.fromstring(text, etree.XMLParser(**options))
    except etree.XMLSyntaxError:
        try:
            root = etree.fromstring(
                _repair_entities(text), etree.XMLParser(recover=True, **options)
            )
        except etree.XMLSyntaxError:
            return None
    return root if root is not None and isinstance(root.tag, str) else None


_XML_ENTITIES = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})
_BARE_AMPERSAND = re.compile(rb"&(?!#\d+;|#x[0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)")
_NAMED_ENTITY = re.compile(rb"&([A-Za-z][A-Za-z0-9]*);")


def _repair_entities(body: bytes) -> bytes:
    """ "R&D" -> "R&amp;D"; "&nbsp;" (HTML, undefined in XML) -> "&#160;"."""

    def named(match: re.Match[bytes]) -> bytes:
        name = match.group(1)
        if name in _XML_ENTITIES:
            return match.group(0)
        codepoint = name2codepoint.get(name.decode("ascii"))
        return b"&#%d;" % codepoint if codepoint else b"&amp;" + name + b";"

    return _NAMED_ENTITY.sub(named, _BARE_AMPERSAND.sub(b"&amp;", body))


def local_name(el: Any) -> str:
    return etree.QName(el).localname.lower() if isinstance(el.tag, str) else ""


def snippet(body: bytes, size: int = 60) -> str:
    return body[:size].decode("utf-8", "replace").strip().replace("\n", " ")


def element_to_value(el: Any, depth: int = 0) -> Any:
    """An element as JSON-able data: its text; else its attributes (Atom
    `<link href>`, `<category term>`); else its children as a dict.
    Atom `type="xhtml"` content is kept as markup."""
    if (el.get("type") or "").lower() == "xhtml":
        return _inner_xml(el)
    children = [c for c in el if isinstance(c.tag, str)]
    text = (el.text or "").strip()
    if text and not children:
        return text
    if not children:
        return dict(el.attrib) if el.attrib else ""
    if depth > 10:
        return ""
    return element_dict(el, depth + 1)


def element_dict(el: Any, depth: int = 0) -> dict[str, Any]:
    """Children of `el` by name ("prefix:name" for namespaced ones such as
    `content:encoded`); a repeated name gives a list."""
    out: dict[str, Any] = {}
    for child in el:
        if not isinstance(child.tag, str):
            continue
        name = local_name(child)
        if child.prefix:
            name = f"{child.prefix}:{name}"
        value = element_to_value(child, depth)
        if name in out:
            if not isinstance(out[name], list):
                out[name] = [out[name]]
            out[name].append(value)
        else:
            out[name] = value
    return out


def _inner_xml(el: Any) -> str:
    parts = [html.escape(el.text)] if el.text else []
    for child in el:
        if local_name(child) == "div" and len(el) == 1 and not (el.text or "").strip():
            return _inner_xml(child)  # Atom wraps xhtml content in one <div>
        parts.append(etree.tostring(child, encoding="unicode", method="html"))
    return re.sub(r"\s+xmlns(:\w+)?=\"[^\"]*\"", "", "".join(parts)).strip()


# ---------------------------------------------------------------- the spider


@dataclass
class Feed:
    kind: str  # "rss" | "atom"
    title: str | None
    entries: list[Any]


class FeedSpider(PostingSpider):
    name = "feed"

    def __init__(
        self,
        *args: Any,
        title_split: str = "auto",
        workplace_type: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        mode = (title_split or "auto").strip().lower()
        if mode not in TITLE_SPLIT_MODES:
            raise ValueError(
                f"feed option title_split must be one of {', '.join(TITLE_SPLIT_MODES)}, got {title_split!r}"
            )
        self.title_split = mode
        self.workplace_type = (workplace_type or "").strip() or None
        if self.workplace_type is None and self.listing_url_override:
            host = urlsplit(self.listing_url_override).netloc.lower()
            if any(host == h or host.endswith("." + h) for h in _REMOTE_ONLY_HOSTS):
                self.workplace_type = "remote"
        self.feed_title: str | None = None
        # auto mode: whether this feed's titles read "Company: Job Title".
        self.titles_name_company = False

    def listing_urls(self) -> list[str]:
        if not self.listing_url_override:
            return []
        return [replace_origin(self.listing_url_override, self.base_url)]

    def start_requests(self) -> Any:
        urls = self.listing_urls()
        if not urls:
            self.fail_listing("a feed source needs `url` (the RSS or Atom feed's URL)", "-")
            return
        for url in urls:
            self.logger.info("%s: fetching %s", self.source_name, url)
            yield self.listing_request(url, headers={"Accept": FEED_ACCEPT})

    # The base's decode step: here the feed's XML instead of JSON.
    def decode_json(self, response: Response) -> Feed:
        return read_feed(response)

    def records_from_payload(self, payload: Any, response: Response) -> list[Any]:
        self.feed_title = payload.title
        titles = [_child_text(entry, "title") for entry in payload.entries]
        shaped = sum(1 for t in titles if t and _company_title(t))
        # Most titles in that shape (We Work Remotely): a feed of many companies.
        self.titles_name_company = shaped > 0 and shaped * 2 >= len(titles)
        return payload.entries

    def follow_up(self, response: Response, payload: Any, records: list[Any]) -> list[Request]:
        if not records:
            self.logger.info("%s: feed %s has no entries", self.source_name, response.url)
        return []

    def parse_record(self, record: Any, response: Response) -> PostingItem | None:
        entry = element_dict(record)
        title = _unescape(_scalar(entry.get("title")))
        company = _scalar(entry.get("company")) or _scalar(entry.get("job_listing:company"))
        if title and self._split_title(company):
            split = _company_title(title, strict=self.title_split == "auto")
            if split:
                company, title = split
        link = _entry_link(entry, response.url)
        guid = _scalar(entry.get("guid")) or _scalar(entry.get("id"))
        url = link or (guid if _is_http(guid) else None)
        description = next(
            (
                d
                for d in (
                    _scalar(entry.get(k))
                    for k in ("content:encoded", "content", "description", "summary")
                )
                if d
            ),
            None,
        )
        return self.new_item(
            entry,
            external_id=guid or url,
            title=title,
            company=company or self.company or self.feed_title,
            url=url,
            locations=[
                v
                for key in ("location", "job_listing:location", "region", "state", "country")
                for v in _scalars(entry.get(key))
            ],
            workplace_type=self.workplace_type,
            employment_type=_scalar(entry.get("type"))
            or _scalar(entry.get("job_type"))
            or _scalar(entry.get("job_listing:job_type")),
            description_html=maybe_unescape_html(description) if description else None,
            posted_at=feed_date(
                _scalar(entry.get("pubdate"))
                or _scalar(entry.get("published"))
                or _scalar(entry.get("dc:date"))
                or _scalar(entry.get("updated"))
            ),
            deadline=feed_date(_scalar(entry.get("expires_at")) or _scalar(entry.get("expires"))),
        )

    def _split_title(self, company_in_entry: str | None) -> bool:
        if self.title_split == "always":
            return True
        if self.title_split == "never":
            return False
        # auto: a feed of one company (option `company`) keeps "Intern: Summer 2026" whole.
        return company_in_entry is None and self.company is None and self.titles_name_company


def _company_title(title: str, strict: bool = True) -> tuple[str, str] | None:
    """("Acme", "Backend Engineer") for "Acme: Backend Engineer". Strict: not
    when the head names a role ("Research Intern: Summer 2026")."""
    match = _COMPANY_TITLE.match(title)
    if match is None:
        return None
    company, rest = match["company"].strip(), match["title"].strip()
    if strict and ROLE_WORDS.search(company):
        return None
    return company, rest


def read_feed(response: Response) -> Feed:
    """The feed's entries; `ListingError` with the reason when it is no feed."""
    body = response.body
    content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
    root = parse_xml(body)
    if root is None:
        raise ListingError(
            f"expected an RSS or Atom feed, got {content_type or 'unknown content type'} "
            f"that is not XML: {snippet(body)!r}"
        )
    kind = local_name(root)
    if kind == "rss":
        channel = next((c for c in root if local_name(c) == "channel"), None)
        if channel is None:
            raise ListingError("RSS feed has no <channel>")
        return Feed("rss", _child_text(channel, "title"), _children(channel, "item"))
    if kind == "rdf":  # RSS 1.0: items are siblings of the channel
        channel = next((c for c in root if local_name(c) == "channel"), None)
        title = _child_text(channel, "title") if channel is not None else None
        return Feed("rss", title, _children(root, "item"))
    if kind == "feed":
        return Feed("atom", _child_text(root, "title"), _children(root, "entry"))
    raise ListingError(
        f"expected an RSS or Atom feed, got an XML document with root <{kind}> "
        f"({content_type or 'unknown content type'})"
    )


def _children(el: Any, name: str) -> list[Any]:
    return [c for c in el if local_name(c) == name]


def _child_text(el: Any, name: str) -> str | None:
    child = next((c for c in el if local_name(c) == name), None)
    return _unescape(clean_text("".join(child.itertext()))) if child is not None else None


def _scalar(value: Any) -> str | None:
    """The first text value (feeds repeat elements; attributes-only ones are skipped)."""
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str) and item.strip():
            return item.strip()
    return None


def _scalars(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [v.strip() for v in items if isinstance(v, str) and v.strip()]


def _unescape(value: str | None) -> str | None:
    return clean_text(html.unescape(value)) if value else None


def _is_http(value: str | None) -> bool:
    return bool(value) and urlsplit(value or "").scheme in ("http", "https")


def _entry_link(entry: dict[str, Any], base: str) -> str | None:
    """RSS `<link>` text, or Atom's `<link rel="alternate" href>` (rel absent means alternate)."""
    links = entry.get("link")
    candidates = links if isinstance(links, list) else [links]
    for link in candidates:
        if isinstance(link, str) and link.strip():
            return urljoin(base, link.strip())
    for link in candidates:
        is_alternate = isinstance(link, dict) and (link.get("rel") or "alternate") == "alternate"
        if is_alternate and link.get("href"):
            return urljoin(base, link["href"])
    for link in candidates:
        if isinstance(link, dict) and link.get("href"):
            return urljoin(base, link["href"])
    return None


def feed_date(value: str | None) -> str | None:
    """RSS dates are RFC 822 ("Tue, 10 Mar 2026 14:02:11 +0000"); the
    normaliser reads ISO 8601, so convert. ISO values pass through; anything
    unreadable is kept as is (the normaliser then drops it)."""
    text = clean_text(value)
    if not text or re.match(r"\d{4}-\d{2}-\d{2}", text):
        return text
    try:
        return email.utils.parsedate_to_datetime(text).isoformat()
    except (TypeError, ValueError, IndexError):
        return text
