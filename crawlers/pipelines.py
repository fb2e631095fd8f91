"""Item pipelines: validate/normalise records, then write them to the store.

Stats keys (all under `internscout/`) are what `crawlers.run` reports:
rejected, rejected/<reason>, errors, new, updated, unchanged, closed,
listing_failed (reason text), store_error (text), not_closed (why).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from itemadapter import ItemAdapter
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured

from crawlers.normalize import Rejected, build_posting
from store import PostingIn, close_missing, make_engine, upsert_postings

logger = logging.getLogger(__name__)


class NormalizePipeline:
    """Turn a spider's item into a validated `PostingIn`, or drop it.

    Drops (bad record or repeated id within this crawl) are counted per reason
    so a source going bad shows up in the crawl report, not only in logs.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self._seen: set[tuple[str, str, str]] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NormalizePipeline:
        return cls(crawler)

    # `spider` is optional: Scrapy >= 2.13 calls without it, older versions with it.
    def process_item(self, item: Any, spider: Spider | None = None) -> PostingIn:
        fields = ItemAdapter(item).asdict()
        source = fields.get("source_name") or fields.get("board") or "?"
        try:
            posting = build_posting(fields)
        except Rejected as exc:
            self._reject(exc.slug)
            raise DropItem(f"{source}: {exc.message}") from None
        key = (posting.source_kind, posting.board, posting.external_id)
        if key in self._seen:
            self._reject("duplicate")
            raise DropItem(
                f"{source}: duplicate id={posting.external_id} url={posting.url} in one crawl",
                log_level="INFO",
            )
        self._seen.add(key)
        return posting

    def _reject(self, slug: str) -> None:
        stats = self.crawler.stats
        stats.inc_value("internscout/rejected")
        stats.inc_value(f"internscout/rejected/{slug}")


class StorePipeline:
    """Buffer postings and upsert them in batches; on a successful crawl, close
    the board's postings that were not seen.

    Every record of one crawl is written with the same `seen_at` (the crawl's
    start), which is what lets `close_missing` find the ones this crawl did not
    see: their `last_seen` is older.
    """

    def __init__(self, crawler: Crawler, database_url: str, batch_size: int):
        self.crawler = crawler
        self.database_url = database_url
        self.batch_size = max(1, batch_size)
        self.engine: Any = None
        self.seen_at: datetime | None = None
        self.store_error: str | None = None
        self._buffer: list[PostingIn] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        url = crawler.settings.get("INTERNSCOUT_DATABASE_URL")
        if not url:
            raise NotConfigured("INTERNSCOUT_DATABASE_URL is not set; postings are not stored")
        pipeline = cls(crawler, url, crawler.settings.getint("INTERNSCOUT_STORE_BATCH_SIZE", 200))
        # Pipelines' close_spider runs before the finish reason is known, so the
        # close-or-not decision waits for the spider_closed signal.
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self, spider: Spider | None = None) -> None:
        self.seen_at = datetime.now(UTC)
        self.engine = make_engine(self.database_url)

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if not isinstance(item, PostingIn):
            raise DropItem(f"not a normalised posting: {type(item).__name__}")
        self._buffer.append(item)
        if len(self._buffer) >= self.batch_size:
            self.flush()
        return item

    def flush(self) -> None:
        if not self._buffer or self.engine is None:
            return
        batch, self._buffer = self._buffer, []
        if self.store_error is not None:
            return  # the database already failed this crawl; don't half-write more
        assert self.seen_at is not None
        stats = self.crawler.stats
        try:
            result = upsert_postings(self.engine, batch, seen_at=self.seen_at)
        except Exception as exc:
            self.store_error = f"{type(exc).__name__}: {exc}"
            stats.set_value("internscout/store_error", self.store_error)
            logger.exception("cannot store %d postings", len(batch))
            return
        stats.inc_value("internscout/new", result.new)
        stats.inc_value("internscout/updated", result.updated)
        stats.inc_value("internscout/unchanged", result.unchanged)

    def close_spider(self, spider: Spider | None = None) -> None:
        self.flush()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        try:
            self._close_missing(spider, reason)
        finally:
            if self.engine is not None:
                self.engine.dispose()
                self.engine = None

    def _close_missing(self, spider: Spider, reason: str) -> None:
        stats = self.crawler.stats
        stats.set_value("internscout/closed", 0)
        why_not = self.why_not_close(spider, reason)
        if why_not is not None:
            stats.set_value("internscout/not_closed", why_not)
            logger.info("%s: not closing missing postings: %s", _source(spider), why_not)
            return
        if self.engine is None or self.seen_at is None:
            return
        # A posting whose own page failed in this crawl was not seen because it
        # could not be fetched, not because it is gone.
        failed_urls = [
            str(page["url"])
            for page in getattr(spider, "failed_pages", None) or []
            if page.get("url")
        ]
        try:
            closed = close_missing(
                self.engine,
                spider.source_kind,  # type: ignore[attr-defined]
                spider.board,  # type: ignore[attr-defined]
                seen_before=self.seen_at,
                closed_at=datetime.now(UTC),
                keep_urls=failed_urls,
            )
        except Exception as exc:
            self.store_error = f"{type(exc).__name__}: {exc}"
            stats.set_value("internscout/store_error", self.store_error)
            logger.exception("%s: cannot close missing postings", _source(spider))
            return
        stats.set_value("internscout/closed", closed)
        if closed:
            logger.info("%s: closed %d postings no longer listed", _source(spider), closed)

    def why_not_close(self, spider: Spider, reason: str) -> str | None:
        """Why this crawl must not close anything, or `None` if it may.

        Only a crawl that read the whole listing may conclude a posting is gone;
        anything short of that would close live postings.
        """
        if reason != "finished":
            return f"crawl ended with {reason!r}"
        if getattr(spider, "listing_failed", False):
            return f"listing failed: {getattr(spider, 'listing_failure', None) or 'unknown'}"
        if self.store_error is not None:
            return f"store error: {self.store_error}"
        if self.crawler.stats.get_value("spider_exceptions/count"):
            return "the spider raised exceptions"
        if not hasattr(spider, "source_kind") or not hasattr(spider, "board"):
            return "spider does not name its source kind and board"
        return None


def _source(spider: Spider) -> str:
    return str(getattr(spider, "source_name", None) or spider.name)
