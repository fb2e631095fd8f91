"""Career sites that publish schema.org JobPosting markup (JSON-LD or microdata).

This is how university, hospital and nonprofit career sites are covered: they
rarely have a job API, but mark up their job pages for search engines.

Entry points: `start_urls` (listing pages; links matching `follow` on the same
host are followed `depth` levels deep), `sitemap` (a sitemap or sitemap index;
its job URLs matching `follow` are fetched) and/or `url` (either: a sitemap is
recognised by its content). Every fetched page is searched for JobPostings; a
page without one is just a listing page.

The listing (what decides whether vanished postings may be closed) fails when
an entry point or a sitemap can't be read, or when the crawl would exceed
`max_pages`; a single job page that fails is recorded as a failed page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urldefrag, urlsplit

from scrapy.http import Request, Response, TextResponse
from scrapy.linkextractors import IGNORED_EXTENSIONS
from scrapy.utils.gz import gunzip
from twisted.python.failure import Failure

from crawlers.jobposting import extract_job_postings
from crawlers.jobposting_map import job_links, map_job_posting
from crawlers.normalize import replace_origin
from crawlers.spiders.base import PostingSpider, failure_reason
from crawlers.spiders.feed import local_name, parse_xml, snippet

DEFAULT_DEPTH = 1
DEFAULT_MAX_PAGES = 2000
# Job-ish paths: /job/..., /jobs/..., /careers/..., /position..., /posting...,
# /opportunities..., /vacancies..., /openings..., or a job id in the query.
DEFAULT_FOLLOW = (
    r"^https?://[^/?#]+(?:/[^?#]*)?/(?:jobs?|careers?|positions?|postings?|opportunit|vacanc"
    r"|openings?|requisitions?)"
    r"|[?&](?:job|posting|req|requisition)_?id="
)
# A sitemap index nested deeper than this, or more sitemaps than this, is a
# misconfiguration (e.g. a whole site's sitemaps), not a job board.
MAX_SITEMAP_LEVEL = 3
MAX_SITEMAPS = 200

PAGE_ACCEPT = "text/html,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.5"
SITEMAP_ACCEPT = "application/xml,text/xml;q=0.9,*/*;q=0.5"
_SKIPPED_EXTENSIONS = frozenset("." + ext for ext in IGNORED_EXTENSIONS)


class JsonLdSpider(PostingSpider):
    name = "jsonld"

    def __init__(
        self,
        *args: Any,
        start_urls: Any = None,
        sitemap: Any = None,
        follow: str | None = None,
        sitemap_follow: str | None = None,
        depth: int | str | None = None,
        max_pages: int | str | None = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.start_pages: list[str] = option_list(start_urls, "start_urls")
        self.sitemaps: list[str] = option_list(sitemap, "sitemap")
        self.follow = option_regex(follow, "follow") or re.compile(DEFAULT_FOLLOW, re.IGNORECASE)
        self.sitemap_follow = option_regex(sitemap_follow, "sitemap_follow")
        self.depth = option_int(depth, "depth", DEFAULT_DEPTH, minimum=0)
        self.max_pages = option_int(max_pages, "max_pages", DEFAULT_MAX_PAGES, minimum=1)
        # With base_url (mirrors, tests), links to the configured hosts are
        # fetched from base_url instead.
        self._configured_hosts = {
            _host(u) for u in [*self.start_pages, *self.sitemaps, self.listing_url_override or ""]
        } - {""}
        self._seen: set[str] = set()
        self._public: dict[str, str] = {}  # mirrored URL -> configured URL
        self._pages = 0
        self._sitemaps_fetched = 0
        self._truncated = False

    # ------------------------------------------------------------ entry points

    @classmethod
    def listing_host(
        cls, base_url: str | None = None, url: str | None = None, **options: Any
    ) -> str:
        """The site's host for crawl scheduling. Without `url`, the first of the
        `sitemap`/`start_urls` options when the caller passes them."""
        if base_url or url:
            return super().listing_host(base_url, url)
        for key in ("sitemap", "start_urls"):
            try:
                urls = option_list(options.get(key), key)
            except ValueError:
                continue
            if urls:
                return _host(urls[0])
        return ""

    def listing_urls(self) -> list[str]:
        entries = [*self.sitemaps, *self.start_pages]
        if self.listing_url_override:
            entries.append(self.listing_url_override)
        return [self._rewrite(u) for u in dict.fromkeys(entries)]

    def start_requests(self) -> Iterator[Request]:
        if not self.listing_urls():
            self.fail_listing("a jsonld source needs `start_urls`, `sitemap` or `url`", "-")
            return
        sitemaps = {self._rewrite(u) for u in self.sitemaps}
        listing = self.listing_urls()
        for url in listing:
            self.logger.info("%s: fetching %s", self.source_name, url)
            if url in sitemaps:
                yield self._sitemap_request(url, level=0)
            else:
                self._seen.add(_key(url))
                self._pages += 1
                yield Request(
                    url,
                    callback=self.parse_entry,
                    errback=self.listing_errback,
                    headers={"Accept": PAGE_ACCEPT},
                    dont_filter=True,
                )
        # Job pages that failed in earlier crawls (set by the failed-pages extension).
        for url in dict.fromkeys(getattr(self, "retry_urls", None) or ()):
            if url not in listing and (request := self.retry_request(url)) is not None:
                if stats := self._stats():
                    stats.inc_value("internscout/retried_failed_pages")
                yield request

    def retry_request(self, url: str) -> Request | None:
        """Fetch a job page that failed in an earlier crawl once more (its
        links are not followed); a page the crawl reaches anyway is skipped
        then as already seen."""
        return next(iter(self._page_request(url, depth=self.depth)), None)

    def parse_entry(self, response: Response) -> Iterator[Any]:
        """A start page, or a sitemap given as `url`/`start_urls`."""
        if not 200 <= response.status < 300:
            self.fail_listing(f"HTTP {response.status}", response.url)
            return
        self._seen.add(_key(response.url))  # after a redirect too: not to be fetched again
        try:
            body = self._xml_body(response)
        except ValueError as exc:
            self.fail_listing(str(exc), response.url)
            return
        root = _sitemap_root(body)
        if root is not None:
            yield from self._sitemap_requests(response, root, level=0)
            return
        if not isinstance(response, TextResponse):
            content_type = _content_type(response)
            self.fail_listing(
                f"expected an HTML page or a sitemap, got {content_type or 'unknown content type'}",
                response.url,
            )
            return
        yield from self._page(response, depth=0)

    # ------------------------------------------------------------ sitemaps

    def _sitemap_request(self, url: str, level: int) -> Request:
        self._sitemaps_fetched += 1
        return Request(
            url,
            callback=self.parse_sitemap,
            errback=self.listing_errback,
            headers={"Accept": SITEMAP_ACCEPT},
            cb_kwargs={"level": level},
            dont_filter=True,
        )

    def parse_sitemap(self, response: Response, level: int = 0) -> Iterator[Any]:
        if not 200 <= response.status < 300:
            self.fail_listing(f"HTTP {response.status}", response.url)
            return
        try:
            body = self._xml_body(response)
        except ValueError as exc:
            self.fail_listing(str(exc), response.url)
            return
        root = _sitemap_root(body)
        if root is None:
            self.fail_listing(
                f"expected a sitemap (<urlset> or <sitemapindex>), got "
                f"{_content_type(response) or 'unknown content type'}: {snippet(body)!r}",
                response.url,
            )
            return
        yield from self._sitemap_requests(response, root, level)

    def _sitemap_requests(self, response: Response, root: Any, level: int) -> Iterator[Request]:
        locs = _locs(root)
        if local_name(root) == "sitemapindex":
            children = [
                u for u in locs if self.sitemap_follow is None or self.sitemap_follow.search(u)
            ]
            self.logger.info(
                "%s: sitemap index %s: %d of %d sitemaps to read",
                self.source_name,
                response.url,
                len(children),
                len(locs),
            )
            if children and level >= MAX_SITEMAP_LEVEL:
                self.fail_listing(
                    f"sitemap indexes nested more than {MAX_SITEMAP_LEVEL} deep", response.url
                )
                return
            for loc in children:
                if self._sitemaps_fetched >= MAX_SITEMAPS:
                    self.fail_listing(
                        f"more than {MAX_SITEMAPS} sitemaps; narrow them with `sitemap_follow`",
                        response.url,
                    )
                    return
                yield self._sitemap_request(self._rewrite(loc), level + 1)
            return
        jobs = [u for u in locs if self.follow.search(u)]
        self.logger.info(
            "%s: sitemap %s: %d URLs, %d job pages",
            self.source_name,
            response.url,
            len(locs),
            len(jobs),
        )
        for loc in jobs:
            # A sitemap lists pages explicitly: any host, and they count as
            # one level below the entry point.
            yield from self._page_request(self._rewrite(loc), depth=1)

    # ------------------------------------------------------------ pages

    def _page_request(self, url: str, depth: int) -> Iterator[Request]:
        key = _key(url)
        if key in self._seen:
            return
        if self._pages >= self.max_pages:
            if not self._truncated:
                self._truncated = True
                # Postings beyond the cap were not seen: closing them would be wrong.
                self.fail_listing(
                    f"more than max_pages={self.max_pages} pages; raise `max_pages` or narrow `follow`",
                    url,
                )
            return
        self._seen.add(key)
        self._pages += 1
        yield Request(
            url,
            callback=self.parse_page,
            errback=self.page_errback,
            headers={"Accept": PAGE_ACCEPT},
            cb_kwargs={"depth": depth},
            dont_filter=True,
        )

    def parse_page(self, response: Response, depth: int = 1) -> Iterator[Any]:
        if not 200 <= response.status < 300:
            self.record_failure(_requested_url(response.request), "page", f"HTTP {response.status}")
            return
        if not isinstance(response, TextResponse):
            self.logger.debug(
                "%s: %s is not a web page (%s); skipped",
                self.source_name,
                response.url,
                _content_type(response),
            )
            return
        yield from self._page(response, depth)

    def page_errback(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        url = _requested_url(request)
        reason = failure_reason(failure)
        self.logger.warning("%s: cannot fetch job page %s: %s", self.source_name, url, reason)
        self.record_failure(url, "page", reason)

    def _page(self, response: TextResponse, depth: int) -> Iterator[Any]:
        try:
            found = extract_job_postings(response.selector)
        except Exception:
            self._count_error()
            self.logger.exception("%s: cannot read markup of %s", self.source_name, response.url)
            found = None
        if found is not None:
            for error in found.errors:
                self._count_error()
                self.logger.warning(
                    "%s: %s: %s; other blocks kept", self.source_name, response.url, error
                )
            for index, (posting, origin) in enumerate(
                zip(found.postings, found.origins, strict=True)
            ):
                try:
                    page_url = self.public_url(response.url)
                    fields = map_job_posting(posting, page_url, found.id_index)
                    fields["company"] = fields.get("company") or self.company
                    raw = {**posting, "markup": origin, "page_url": page_url}
                    yield self.new_item(raw, **fields)
                except Exception:
                    self._count_error()
                    self.logger.exception(
                        "%s: cannot map JobPosting #%d (%s) of %s",
                        self.source_name,
                        index,
                        origin,
                        response.url,
                    )
        if depth < self.depth:
            yield from self._follow_links(response, depth)

    def _follow_links(self, response: TextResponse, depth: int) -> Iterator[Request]:
        # Links are judged as the site's own URLs (same host, `follow`), then
        # fetched from the mirror when there is one.
        page = self.public_url(response.url)
        here = _site(page)
        for link in job_links(response.xpath("//a/@href").getall(), page):
            if _site(link) != here:
                continue
            if urlsplit(link).path.lower().endswith(tuple(_SKIPPED_EXTENSIONS)):
                continue
            if not self.follow.search(link):
                continue
            yield from self._page_request(self._rewrite(link), depth + 1)

    # ------------------------------------------------------------ helpers

    def _rewrite(self, url: str) -> str:
        if self.base_url and _host(url) in self._configured_hosts:
            mirrored = replace_origin(url, self.base_url)
            self._public[_key(mirrored)] = url
            return mirrored
        return url

    def public_url(self, url: str) -> str:
        """The site's own URL of a page fetched from the `base_url` mirror
        (postings keep stable, public URLs and ids whichever host served them)."""
        return self._public.get(_key(url), url)

    def _xml_body(self, response: Response) -> bytes:
        """The body, gunzipped when it is a .xml.gz file (not a transfer encoding)."""
        body = response.body
        if body[:2] != b"\x1f\x8b":
            return body
        try:
            return gunzip(body, max_size=self._max_size())
        except Exception as exc:
            raise ValueError(f"cannot gunzip {response.url}: {exc}") from None

    def _max_size(self) -> int:
        crawler = getattr(self, "crawler", None)
        if crawler is not None:
            return crawler.settings.getint("DOWNLOAD_MAXSIZE", 0)
        return 64 * 1024 * 1024


# ---------------------------------------------------------------- options


def option_list(value: Any, name: str) -> list[str]:
    """A list option as given: a list, a JSON list in a string, or
    whitespace-separated values (scrapy -a, environment variables)."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        items = list(value)
    elif isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                items = json.loads(text)
            except ValueError as exc:
                raise ValueError(f"option {name} is not a valid JSON list: {exc}") from None
            if not isinstance(items, list):
                raise ValueError(f"option {name} must be a list")
        else:
            items = text.split()
    else:
        raise ValueError(f"option {name} must be a list of strings, got {type(value).__name__}")
    out = [str(v).strip() for v in items if v is not None and str(v).strip()]
    for url in out:
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            raise ValueError(f"option {name}: {url!r} is not an absolute http(s) URL")
    return list(dict.fromkeys(out))


def option_int(value: Any, name: str, default: int, minimum: int) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"option {name} must be a whole number, got {value!r}") from None
    if number < minimum:
        raise ValueError(f"option {name} must be at least {minimum}, got {number}")
    return number


def option_regex(value: Any, name: str) -> re.Pattern[str] | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return re.compile(str(value), re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"option {name} is not a valid regular expression: {exc}") from None


# ---------------------------------------------------------------- URLs and XML


def _host(url: str) -> str:
    return urlsplit(url).netloc.lower()


def _site(url: str) -> str:
    """Host for "same site" checks: www.example.edu and example.edu are one."""
    host = _host(url)
    return host[4:] if host.startswith("www.") else host


def _key(url: str) -> str:
    return urldefrag(url)[0]


def _requested_url(request: Request | None) -> str:
    """The URL a page was asked for, before redirects: failures are recorded
    (and resolved by a later crawl) under the URL that is requested again."""
    if request is None:
        return "?"
    return str((request.meta.get("redirect_urls") or [request.url])[0])


def _content_type(response: Response) -> str:
    return response.headers.get(b"Content-Type", b"").decode("latin-1").lower()


def _sitemap_root(body: bytes) -> Any:
    """The root of a sitemap (<urlset>) or sitemap index, else `None`."""
    head = body[:4096].lower()
    if b"urlset" not in head and b"sitemapindex" not in head:
        return None
    root = parse_xml(body)
    if root is None or local_name(root) not in ("urlset", "sitemapindex"):
        return None
    return root


def _locs(root: Any) -> list[str]:
    out: list[str] = []
    for entry in root:
        if local_name(entry) not in ("url", "sitemap"):
            continue
        for child in entry:
            if local_name(child) == "loc" and child.text and child.text.strip():
                out.append(child.text.strip())
                break
    return list(dict.fromkeys(out))
