"""Per-source results of a `crawlers.run` crawl: the job record, its report entry, the store.

`report` builds the report entry described in `crawlers.run` from a job's crawler stats;
`record_runs` stores every entry with `store.record_crawl_run`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from crawlers.sources import SourceSpec

logger = logging.getLogger("crawlers.run")


@dataclass
class Job:
    source: SourceSpec
    spider_cls: Any = None
    host: str = ""
    crawler: Any = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None
    done: bool = False


def stats_collector(crawler: Any) -> Any:
    if crawler is None:
        return None
    try:
        return crawler.stats
    except RuntimeError:  # recent Scrapy raises for a crawl that never started
        return getattr(crawler, "_stats", None)


def report(job: Job) -> dict[str, Any]:
    source = job.source
    entry: dict[str, Any] = {
        "name": source.name,
        "kind": source.kind,
        "board": source.board,
        "status": "failed",
        "new": 0,
        "updated": 0,
        "unchanged": 0,
        "closed": 0,
        "rejected": 0,
        "errors": 0,
        "failed_pages": 0,
        "error": job.error,
    }
    crawler = job.crawler
    collector = stats_collector(crawler)
    stats: dict[str, Any] = collector.get_stats() if collector is not None else {}
    for key in ("new", "updated", "unchanged", "closed", "rejected"):
        entry[key] = int(stats.get(f"internscout/{key}", 0) or 0)
    entry["errors"] = int(stats.get("internscout/errors", 0) or 0) + int(
        stats.get("spider_exceptions/count", 0) or 0
    )
    entry["failed_pages"] = int(stats.get("internscout/failed_pages", 0) or 0)
    if job.error is None:
        spider = getattr(crawler, "spider", None) if crawler is not None else None
        reason = stats.get("finish_reason")
        if job.started_at is None:
            entry["error"] = "not started: the crawl was interrupted"
        elif not job.done:
            entry["error"] = "interrupted before it finished"
        elif spider is not None and getattr(spider, "listing_failed", False):
            # A host whose robots.txt could not be had was not crawled at all: say so plainly.
            entry["error"] = stats.get("internscout/robots_unavailable") or (
                f"listing failed: {spider.listing_failure}"
            )
        elif stats.get("internscout/store_error"):
            entry["error"] = f"store error: {stats['internscout/store_error']}"
        elif reason != "finished":
            entry["error"] = f"crawl ended with {reason!r}"
        else:
            entry["status"] = "ok"
    return entry


def record_runs(db_url: str, jobs: Sequence[Job], entries: Sequence[dict[str, Any]]) -> None:
    from store import CrawlRunIn, make_engine, record_crawl_run

    try:
        engine = make_engine(db_url)
    except Exception:
        logger.exception("cannot open the store to record crawl runs")
        return
    try:
        for job, entry in zip(jobs, entries, strict=True):
            now = datetime.now(UTC)
            run = CrawlRunIn(
                source_name=entry["name"],
                source_kind=entry["kind"],
                board=entry["board"],
                started_at=job.started_at or now,
                finished_at=job.finished_at or now,
                status=entry["status"],
                new=entry["new"],
                updated=entry["updated"],
                unchanged=entry["unchanged"],
                closed=entry["closed"],
                rejected=entry["rejected"],
                errors=entry["errors"],
                error=entry["error"],
            )
            try:
                record_crawl_run(engine, run)
            except Exception:
                logger.exception("%s: cannot record the crawl run", entry["name"])
    finally:
        engine.dispose()
