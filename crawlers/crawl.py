"""Crawl a list of sources in this process: one `CrawlerProcess`, one crawler per source.

`run_sources` starts (and stops) the Twisted reactor, so it can run once per process: call
it through `python -m crawlers.run` (see there). Importing this module has no side effects.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import IO, Any
from urllib.parse import urlsplit

from crawlers.progress import Progress
from crawlers.results import Job, record_runs, report, stats_collector
from crawlers.sources import SourceSpec

logger = logging.getLogger("crawlers.run")


def run_sources(
    db_url: str,
    sources: Sequence[SourceSpec],
    *,
    overrides: Mapping[str, Any] | None = None,
    log_level: str = "INFO",
    progress: IO[str] | None = None,
) -> list[dict[str, Any]]:
    """Crawl `sources` in this process and return the report entries.

    Starts (and stops) the Twisted reactor, so it can run once per process.
    With `progress` (a text stream), progress lines are written to it.
    """
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from crawlers.spiders import SPIDERS

    settings = Settings()
    settings.setmodule("crawlers.settings", priority="project")
    settings.setdict(dict(overrides or {}), priority="cmdline")
    settings.set("LOG_LEVEL", log_level, priority="cmdline")
    settings.set("INTERNSCOUT_DATABASE_URL", db_url, priority="cmdline")
    # One robots.txt answer and one Retry-After hold per host for all crawlers of this run.
    settings.set("INTERNSCOUT_RUN_ID", uuid.uuid4().hex, priority="cmdline")

    jobs = [Job(source=s) for s in sources]
    reporter = (
        Progress(progress, settings.getfloat("INTERNSCOUT_PROGRESS_INTERVAL", 0.5))
        if progress is not None
        else None
    )
    if reporter is not None:
        for job in jobs:
            reporter.emit(job, "pending")
    process = CrawlerProcess(settings)
    if logging.getLevelName(log_level) != logging.DEBUG:
        # Scrapy logs its components and settings for every crawler; with
        # hundreds of boards that buries what matters.
        for name in ("scrapy.middleware", "scrapy.addons", "scrapy.crawler"):
            logging.getLogger(name).setLevel(logging.WARNING)
    floored = 0
    for job in jobs:
        job.spider_cls = SPIDERS.get(job.source.kind)
        if job.spider_cls is None:
            known = ", ".join(sorted(SPIDERS))
            job.error = f"unknown source kind {job.source.kind!r} (known: {known})"
            job.done = True
            logger.error("%s: %s", job.source.name, job.error)
            continue
        try:
            job.host = job.spider_cls.listing_host(job.source.base_url, job.source.url)
            job.crawler = process.create_crawler(job.spider_cls)
            floored += _apply_delay_floor(job.crawler.settings, job.host)
        except Exception as exc:
            job.error = f"cannot set up crawler: {type(exc).__name__}: {exc}"
            job.done = True
            logger.exception("%s: cannot set up crawler", job.source.name)

    if floored:
        logger.warning(
            "DOWNLOAD_DELAY %s is below the politeness floor INTERNSCOUT_MIN_DOWNLOAD_DELAY; "
            "using %s s for %d sources on remote hosts",
            settings.getfloat("DOWNLOAD_DELAY"),
            settings.getfloat("INTERNSCOUT_MIN_DOWNLOAD_DELAY"),
            floored,
        )

    runnable = [job for job in jobs if not job.done]
    if runnable:
        _Scheduler(
            process,
            runnable,
            max_parallel=settings.getint("INTERNSCOUT_MAX_PARALLEL_CRAWLS", 8),
            max_per_host=settings.getint("INTERNSCOUT_MAX_PARALLEL_CRAWLS_PER_HOST", 2),
            progress=reporter,
        ).run()

    entries = [report(job) for job in jobs]
    if reporter is not None:
        for job, entry in zip(jobs, entries, strict=True):
            reporter.final(job, entry)
    for entry in entries:
        logger.info(
            "%(name)s: %(status)s new=%(new)d updated=%(updated)d unchanged=%(unchanged)d "
            "closed=%(closed)d rejected=%(rejected)d errors=%(errors)d%(error_text)s",
            {**entry, "error_text": f" error={entry['error']}" if entry["error"] else ""},
        )
    record_runs(db_url, jobs, entries)
    return entries


def _apply_delay_floor(crawler_settings: Any, host: str) -> bool:
    """Keep DOWNLOAD_DELAY (AutoThrottle's floor and, by AutoThrottle's rule, the
    least start delay) at INTERNSCOUT_MIN_DOWNLOAD_DELAY or more, unless the
    source is on a loopback host (a local replay server). True if it was raised."""
    floor = crawler_settings.getfloat("INTERNSCOUT_MIN_DOWNLOAD_DELAY", 0.0)
    if floor <= 0 or _is_loopback(host) or crawler_settings.getfloat("DOWNLOAD_DELAY") >= floor:
        return False
    crawler_settings.set("DOWNLOAD_DELAY", floor, priority=50)  # above cmdline (40)
    return True


def _is_loopback(host: str) -> bool:
    try:
        hostname = urlsplit(f"//{host}").hostname or ""
    except ValueError:
        return False
    if hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


class _Scheduler:
    """Start crawls as slots free up: at most `max_parallel` at once and
    `max_per_host` per API host, since every Greenhouse board (say) is served
    by the same host and Scrapy's per-domain limits are per crawler."""

    def __init__(
        self,
        process: Any,
        jobs: list[Job],
        max_parallel: int,
        max_per_host: int,
        progress: Progress | None = None,
    ):
        self.process = process
        self.pending = list(jobs)
        self.running: list[Job] = []
        self.max_parallel = max(1, max_parallel)
        self.max_per_host = max(1, max_per_host)
        self.progress = progress
        self._ticker: Any = None
        self._stopping = False
        self._draining = False  # set on Ctrl-C/SIGTERM: start nothing new

    def run(self) -> None:
        self._launch()  # the first crawl installs the reactor: import it only after
        if self.progress is not None:
            from twisted.internet import reactor
            from twisted.internet.task import LoopingCall

            progress = self.progress
            self._ticker = LoopingCall(lambda: progress.tick(self.running))
            reactor.callWhenRunning(self._ticker.start, progress.interval, False)  # type: ignore[attr-defined]
        self.process.start(stop_after_crawl=False)

    def _launch(self) -> None:
        for job in [] if self._draining else list(self.pending):
            if job not in self.pending:
                continue  # started by a nested call (a crawl that failed at once)
            if len(self.running) >= self.max_parallel:
                break
            if sum(1 for r in self.running if r.host == job.host) >= self.max_per_host:
                continue
            self.pending.remove(job)
            self.running.append(job)
            job.started_at = datetime.now(UTC)
            if self.progress is not None:
                self.progress.emit(job, "running")
            deferred = self.process.crawl(job.crawler, **job.source.spider_kwargs())
            deferred.addBoth(self._finished, job)
        if not self.running and not self._stopping:
            self._stopping = True
            self._stop_reactor()

    def _finished(self, result: Any, job: Job) -> None:
        from twisted.python.failure import Failure

        job.finished_at = datetime.now(UTC)
        job.done = True
        if isinstance(result, Failure):
            job.error = (
                f"crawl crashed: {result.type.__name__ if result.type else 'error'}: {result.value}"
            )
            logger.error("%s: %s", job.source.name, job.error, exc_info=result.value)
        else:
            collector = stats_collector(job.crawler)
            if collector is not None and collector.get_value("finish_reason") == "shutdown":
                # Scrapy is shutting down on a signal; the rest stay unstarted.
                self._draining = True
        self.running.remove(job)
        if self.progress is not None:
            self.progress.final(job, report(job))
        self._launch()

    def _stop_reactor(self) -> None:
        from twisted.internet import reactor

        if self._ticker is not None and self._ticker.running:
            self._ticker.stop()

        # Deferred to the next reactor turn: stopping from inside a crawl's
        # callback chain would cut the rest of that chain short.
        def stop() -> None:
            with contextlib.suppress(Exception):
                reactor.stop()  # type: ignore[attr-defined]

        if reactor.running:  # type: ignore[attr-defined]
            reactor.callLater(0, stop)  # type: ignore[attr-defined]
        else:
            reactor.callWhenRunning(stop)  # type: ignore[attr-defined]
