"""Crawl extensions.

`FailedPagesExtension` keeps the failed-pages table of the store in step with
the crawls of a source:

* when the crawl starts, the source's unresolved failed pages are loaded and
  handed to the spider as `spider.retry_urls` (the base spider offers them to
  its `retry_request` hook; listing pages are fetched again anyway);
* while it runs, a 2xx response to one of those URLs is noted (a set lookup
  per response, nothing more);
* when it ends (however it ends), the pages in `spider.failed_pages` are
  recorded with `store.record_failed_pages`, and the earlier failures fetched
  successfully this time -- and not failed again -- are resolved with
  `store.resolve_failed_pages`.

Stats: internscout/failed_pages_unresolved_at_start, internscout/failed_pages_resolved.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response

logger = logging.getLogger(__name__)


class FailedPagesExtension:
    def __init__(self, crawler: Crawler, database_url: str):
        self.crawler = crawler
        self.database_url = database_url
        self.engine: Any = None
        self.unresolved: set[str] = set()
        self.fetched: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FailedPagesExtension:
        url = crawler.settings.get("INTERNSCOUT_DATABASE_URL")
        if not url:
            raise NotConfigured("INTERNSCOUT_DATABASE_URL is not set; failed pages are not kept")
        ext = cls(crawler, url)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        from store import make_engine, unresolved_failed_pages

        name = _source(spider)
        try:
            self.engine = make_engine(self.database_url)
            rows = unresolved_failed_pages(self.engine, name)
        except Exception:
            logger.exception("%s: cannot load earlier failed pages", name)
            return
        urls = [row.url for row in rows]
        self.unresolved = set(urls)
        spider.retry_urls = urls  # type: ignore[attr-defined]
        self.crawler.stats.set_value("internscout/failed_pages_unresolved_at_start", len(urls))
        if urls:
            logger.info("%s: %d pages failed in earlier crawls", name, len(urls))

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        if not self.unresolved or not 200 <= response.status < 300:
            return
        for url in (request.url, response.url, *request.meta.get("redirect_urls", ())):
            if url in self.unresolved:
                self.fetched.add(url)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        from store import FailedPageIn, record_failed_pages, resolve_failed_pages

        if self.engine is None:
            return
        name = _source(spider)
        pages = [
            FailedPageIn(url=str(p["url"]), kind=str(p["kind"]), reason=str(p["reason"]))
            for p in getattr(spider, "failed_pages", None) or []
        ]
        failed_now = {p.url for p in pages}
        now = datetime.now(UTC)
        try:
            record_failed_pages(self.engine, name, pages, now)
            resolved = resolve_failed_pages(
                self.engine, name, sorted(self.fetched - failed_now), now
            )
        except Exception:
            logger.exception("%s: cannot update failed pages", name)
            return
        finally:
            self.engine.dispose()
            self.engine = None
        self.crawler.stats.set_value("internscout/failed_pages_resolved", resolved)
        if pages or resolved:
            logger.info(
                "%s: %d pages failed in this crawl, %d earlier failures resolved",
                name,
                len(failed_now),
                resolved,
            )


def _source(spider: Spider) -> str:
    return str(getattr(spider, "source_name", None) or spider.name)
