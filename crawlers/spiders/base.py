"""What every board spider shares: arguments, the listing request, JSON
decoding, per-record error isolation and listing-failure bookkeeping.

A concrete spider only says where its listing lives (`listing_urls`), where the
records are inside the payload (`records_from_payload`) and how one record maps
onto our fields (`parse_record`); Lever adds paging via `follow_up`.
"""

from __future__ import annotations

import codecs
import contextlib
import json
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawlers.items import PostingItem
from crawlers.normalize import replace_origin


class ListingError(ValueError):
    """The listing payload is not what this source's API returns."""


class PostingSpider(scrapy.Spider):
    # Subclasses set `name`; it doubles as the posting's `source_kind`. The base
    # has none so Scrapy's spider loader doesn't list it as a spider.
    default_origin: ClassVar[str] = ""

    def __init__(
        self,
        board: str | None = None,
        source_name: str | None = None,
        base_url: str | None = None,
        sector_hint: str | None = None,
        url: str | None = None,
        company: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        board = (board or "").strip()
        if not board:
            raise ValueError(f"{type(self).__name__} needs a board (spider argument 'board')")
        self.board: str = board
        self.source_name: str = (source_name or "").strip() or board
        self.base_url: str | None = (base_url or "").strip() or None
        self.sector_hint: str | None = (sector_hint or "").strip() or None
        self.listing_url_override: str | None = (url or "").strip() or None
        self.company: str | None = (company or "").strip() or None
        # Read by StorePipeline: a failed listing must not close postings.
        self.listing_failed: bool = False
        self.listing_failure: str | None = None
        # Pages that still failed after retries: {"url", "kind", "reason"}; recorded
        # in the store when the crawl ends so the next crawl retries them.
        self.failed_pages: list[dict[str, str]] = []
        # URLs that failed in earlier crawls and are not resolved yet (set by
        # crawlers.extensions.FailedPagesExtension before the crawl starts).
        self.retry_urls: list[str] = []

    @property
    def source_kind(self) -> str:
        return self.name

    # ------------------------------------------------------------ hooks

    def listing_urls(self) -> list[str]:
        raise NotImplementedError

    def records_from_payload(self, payload: Any, response: Response) -> list[Any]:
        """The records of one listing page; raise `ListingError` on a bad shape."""
        raise NotImplementedError

    def parse_record(self, record: Any, response: Response) -> PostingItem | None:
        """Map one record; `None` skips it on purpose (e.g. unlisted)."""
        raise NotImplementedError

    def follow_up(self, response: Response, payload: Any, records: list[Any]) -> Iterable[Request]:
        """Further listing pages, for paged APIs."""
        return ()

    def retry_request(self, url: str) -> Request | None:
        """A request re-fetching `url`, a page that failed in an earlier crawl.

        Called at the start of a crawl for each of `retry_urls` that is not one
        of `listing_urls()`. Return `None` (the default) for pages this crawl
        reaches anyway -- listing pages, further pages of a paged listing -- or
        that cannot be re-fetched on their own; a spider whose detail pages
        would otherwise be missed returns a request for them here.
        """
        return None

    # ------------------------------------------------------------ helpers

    def api_url(self, path_and_query: str) -> str:
        """`path_and_query` on the API origin, or on `base_url` when given."""
        return (self.base_url or self.default_origin).rstrip("/") + path_and_query

    @classmethod
    def listing_host(cls, base_url: str | None = None, url: str | None = None) -> str:
        """The host the listing will be fetched from (for crawl scheduling)."""
        target = replace_origin(url, base_url) if url else (base_url or cls.default_origin)
        return urlsplit(target).netloc.lower()

    def new_item(self, raw: Any, **fields: Any) -> PostingItem:
        item = PostingItem(
            source_kind=self.source_kind,
            board=self.board,
            source_name=self.source_name,
            sector_hint=self.sector_hint,
            raw=raw if isinstance(raw, dict) else {"value": raw},
        )
        for key, value in fields.items():
            item[key] = value
        return item

    def listing_request(
        self,
        url: str,
        *,
        method: str = "GET",
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        **cb_kwargs: Any,
    ) -> Request:
        return Request(
            url,
            method=method,
            body=body,
            headers=headers,
            callback=self.parse_listing,
            errback=self.listing_errback,
            cb_kwargs=cb_kwargs,
            dont_filter=True,
        )

    def detail_request(
        self,
        url: str,
        item: PostingItem,
        *,
        method: str = "GET",
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Request:
        """Fetch one posting's detail page; `merge_detail` completes `item` from it.

        If the detail cannot be had (after retries), the listing-level `item` is
        still yielded -- a posting with less text beats a lost posting -- and the
        page is recorded as failed so the next crawl tries it again.
        """
        return Request(
            url,
            method=method,
            body=body,
            headers=headers,
            callback=self.parse_detail,
            errback=self.detail_errback,
            cb_kwargs={"item": item},
            dont_filter=True,
        )

    def merge_detail(self, item: PostingItem, payload: Any, response: Response) -> PostingItem:
        """Complete a listing-level item from its decoded detail payload."""
        raise NotImplementedError

    def parse_detail(self, response: Response, item: PostingItem) -> Iterator[Any]:
        if not 200 <= response.status < 300:
            self.record_failure(_page_url(response), "detail", f"HTTP {response.status}")
            yield item
            return
        try:
            merged = self.merge_detail(item, self.decode_json(response), response)
        except Exception as exc:
            self._count_error()
            self.logger.warning(
                "%s: cannot read detail %s: %s", self.source_name, response.url, exc
            )
            self.record_failure(_page_url(response), "detail", f"{type(exc).__name__}: {exc}")
            yield item
            return
        yield merged

    def detail_errback(self, failure: Failure) -> Iterator[Any]:
        request = getattr(failure, "request", None)
        url = _page_url(request) if request is not None else "?"
        self.record_failure(url, "detail", failure_reason(failure))
        item = request.cb_kwargs.get("item") if request is not None else None
        if item is not None:
            yield item

    def record_failure(self, url: str, kind: str, reason: str) -> None:
        """Remember a page that failed for good in this crawl (kind: listing | detail | page)."""
        self.failed_pages.append({"url": url, "kind": kind, "reason": reason})
        if stats := self._stats():
            stats.inc_value("internscout/failed_pages")
            stats.inc_value(f"internscout/failed_pages/{kind}")

    def fail_listing(self, reason: str, url: str) -> None:
        """Mark the crawl of this board as failed: nothing will be closed."""
        self.record_failure(url, "listing", reason)
        message = f"{reason} ({url})"
        if not self.listing_failed:
            self.listing_failed = True
            self.listing_failure = message
        if stats := self._stats():
            stats.inc_value("internscout/listing_failures")
            stats.set_value("internscout/listing_failed", self.listing_failure)
        self.logger.error("%s: listing failed: %s", self.source_name, message)

    def _stats(self) -> Any:
        crawler = getattr(self, "crawler", None)
        return crawler.stats if crawler is not None else None

    def _count_error(self) -> None:
        if stats := self._stats():
            stats.inc_value("internscout/errors")

    # ------------------------------------------------------------ scrapy

    async def start(self) -> AsyncIterator[Any]:
        for request in self.start_requests():
            yield request

    def start_requests(self) -> Iterator[Request]:
        # Scrapy < 2.13 only knows start_requests(); without it such a crawl
        # would fetch nothing, "finish", and close every posting of the board.
        listing = self.listing_urls()
        for url in listing:
            self.logger.info("%s: fetching %s", self.source_name, url)
            yield self.listing_request(url)
        for url in dict.fromkeys(self.retry_urls):
            if url in listing:
                continue
            request = self.retry_request(url)
            if request is not None:
                if stats := self._stats():
                    stats.inc_value("internscout/retried_failed_pages")
                yield request

    def parse(self, response: Response, **kwargs: Any) -> Any:
        return self.parse_listing(response, **kwargs)

    def parse_listing(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        if not 200 <= response.status < 300:
            self.fail_listing(f"HTTP {response.status}", _page_url(response))
            return
        try:
            payload = self.decode_json(response)
            records = self.records_from_payload(payload, response)
        except ListingError as exc:
            self.fail_listing(str(exc), _page_url(response))
            return
        except Exception as exc:  # a parser bug must fail the listing, not close postings
            self.logger.exception("%s: cannot read listing %s", self.source_name, response.url)
            self.fail_listing(
                f"cannot read listing: {type(exc).__name__}: {exc}", _page_url(response)
            )
            return

        for index, record in enumerate(records):
            try:
                item = self.parse_record(record, response)
            except Exception:
                # One odd record must not cost the rest of the page.
                self._count_error()
                self.logger.exception(
                    "%s: cannot parse record #%d (id=%s) of %s",
                    self.source_name,
                    index,
                    record.get("id") if isinstance(record, dict) else "?",
                    response.url,
                )
                continue
            if item is not None:
                yield item

        try:
            yield from self.follow_up(response, payload, records)
        except Exception as exc:
            self.logger.exception("%s: cannot page on from %s", self.source_name, response.url)
            self.fail_listing(f"cannot page: {type(exc).__name__}: {exc}", _page_url(response))

    def decode_json(self, response: Response) -> Any:
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
        body = self._decode_body(response, content_type)
        try:
            return json.loads(body)
        except ValueError as exc:
            snippet = body[:60].strip().replace("\n", " ")
            if body.lstrip()[:1] in ("{", "["):
                # JSON that stops short (cut off upstream) or is otherwise broken
                raise ListingError(
                    f"malformed JSON ({len(response.body)} bytes, truncated?): {exc}"
                ) from None
            raise ListingError(
                f"expected JSON, got {content_type or 'unknown content type'}: {snippet!r}"
            ) from None

    def _decode_body(self, response: Response, content_type: str) -> str:
        """The body as text. JSON is UTF-8 unless a charset says otherwise (no
        guessing); bytes that don't decode are replaced and counted
        (internscout/encoding_errors) rather than losing the page."""
        charset = _charset(content_type)
        encoding = "utf-8"
        if charset:
            with contextlib.suppress(LookupError):
                encoding = codecs.lookup(charset).name
        if encoding == "utf-8":
            encoding = "utf-8-sig"  # tolerate a byte-order mark
        try:
            return response.body.decode(encoding)
        except UnicodeDecodeError as exc:
            error = exc
        if charset is None and "json" not in content_type and isinstance(response, TextResponse):
            return response.text  # not declared JSON (an HTML error page, say): let Scrapy guess
        if stats := self._stats():
            stats.inc_value("internscout/encoding_errors")
        self.logger.warning(
            "%s: %s is not valid %s (%s at byte %d); undecodable bytes replaced",
            self.source_name,
            response.url,
            encoding.removesuffix("-sig"),
            error.reason,
            error.start,
        )
        return response.body.decode(encoding, "replace")

    def listing_errback(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        url = _page_url(request) if request is not None else "?"
        self.fail_listing(failure_reason(failure), url)


def _page_url(obj: Request | Response) -> str:
    """The URL a page was asked for: before redirects, so a failure is recorded
    (and later resolved) under the URL the next crawl requests again."""
    meta = obj.meta if isinstance(obj, Request) else getattr(obj.request, "meta", {})
    first = (meta.get("redirect_urls") or [None])[0]
    return str(first or obj.url)


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip() == "charset" and value.strip().strip('"'):
            return value.strip().strip('"')
    return None


def failure_reason(failure: Failure) -> str:
    # crawlers.middlewares gives up with a reason fit for the failed-pages table.
    reason = getattr(failure.value, "internscout_reason", None)
    if isinstance(reason, str):
        return reason
    if failure.check(HttpError):
        return f"HTTP {failure.value.response.status}"
    if failure.check(IgnoreRequest) and "robots" in str(failure.value).lower():
        return "forbidden by robots.txt"
    return f"{failure.type.__name__ if failure.type else 'error'}: {failure.value}"
