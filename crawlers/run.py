"""Run a set of sources in one Scrapy process and report per source as JSON.

    python -m crawlers.run --db URL --sources FILE.json [--log-level INFO] [--set KEY=VALUE ...]

FILE.json is a JSON list of `{name, kind, board, sector?, base_url?, url?, company?}`.
All sources run in one `CrawlerProcess` (one reactor, one crawler per source);
each one's outcome is stored with `store.record_crawl_run` and printed to
stdout as a single JSON document. Logs go to stderr.

Twisted's reactor cannot be restarted, so other code (the CLI, the scheduler)
must call this as a subprocess: use `run_crawl_subprocess`, or
`crawl_command` to build the command line. Importing this module has no side
effects.

Report entries (one per source, in the sources file's order) have the keys
name, kind, board, status ("ok" | "failed"), new, updated, unchanged, closed,
rejected, errors, failed_pages (pages given up in this crawl, recorded in the
store's failed-pages table) and error (None for an ok crawl).

Progress (with --progress): live counters go to stderr, mixed with the logs, as
lines of the form

    @@progress {"name": "acme", "kind": "greenhouse", "status": "running",
                "pages": 3, "items": 250, "failed_pages": 0, "error": null}

(one line each, compact JSON after the prefix "@@progress "). Every source gets
a "pending" line when the run starts, a "running" line when its crawl starts,
further "running" lines while its counters change (at most one per source
every INTERNSCOUT_PROGRESS_INTERVAL = 0.5 s) and exactly one final line with
status "ok" or "failed" (and the error). `pages`: responses handed to the
spider (after retries and redirects; robots.txt not counted); `items`:
postings that reached the store pipeline; `failed_pages`: pages given up so
far. `run_crawl_subprocess(..., on_progress=callback)` asks for these lines,
takes them out of the stderr stream and calls `callback(dict)` with each, in
the calling thread.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

# Callers import the subprocess client from here too (re-exported).
from crawlers.client import (  # noqa: F401
    EXIT_ALL_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    PROGRESS_PREFIX,
    CrawlSubprocessError,
    crawl_command,
    run_crawl_subprocess,
)

logger = logging.getLogger("crawlers.run")


class UsageError(Exception):
    """Bad command line or sources file (exit code 2)."""


# ------------------------------------------------------------------ sources


@dataclass
class SourceSpec:
    name: str
    kind: str
    board: str
    sector: str | None = None
    base_url: str | None = None
    url: str | None = None
    company: str | None = None
    # Kind-specific settings (e.g. Workday `search_text`), passed on as spider arguments.
    options: dict[str, Any] = field(default_factory=dict)

    def spider_kwargs(self) -> dict[str, Any]:
        kwargs = {
            **self.options,
            "source_name": self.name,
            "board": self.board,
            "sector_hint": self.sector,
            "base_url": self.base_url,
            "url": self.url,
            "company": self.company,
        }
        return {k: v for k, v in kwargs.items() if v is not None}


_COMMON_KEYS = ("name", "kind", "board", "sector", "base_url", "url", "company")


def load_sources(path: str | os.PathLike[str]) -> list[SourceSpec]:
    """Read and check a sources file; raises `UsageError` when it is unusable."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read sources file {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise UsageError(f"sources file {path} is not valid JSON: {exc}") from exc
    if not isinstance(data, list):
        raise UsageError(f"sources file {path} must hold a JSON list of source objects")
    specs: list[SourceSpec] = []
    names: set[str] = set()
    for index, entry in enumerate(data):
        if not isinstance(entry, dict):
            raise UsageError(f"source #{index} is not a JSON object")
        values: dict[str, str | None] = {}
        for key in _COMMON_KEYS:
            value = entry.get(key)
            if value is not None and not isinstance(value, str):
                raise UsageError(f"source #{index}: {key!r} must be a string")
            values[key] = value.strip() if isinstance(value, str) and value.strip() else None
        for key in ("name", "kind", "board"):
            if values[key] is None:
                raise UsageError(f"source #{index} has no {key!r}")
        name = values["name"]
        assert name is not None
        if name in names:
            raise UsageError(f"source name {name!r} appears twice")
        names.add(name)
        options = {k: v for k, v in entry.items() if k not in _COMMON_KEYS and v is not None}
        specs.append(SourceSpec(**values, options=options))  # type: ignore[arg-type]
    return specs


def parse_set_options(pairs: Sequence[str]) -> dict[str, Any]:
    """`KEY=VALUE` pairs; a VALUE that parses as JSON (0, 1.5, true, [500])
    is taken as such, anything else as a string."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"--set expects KEY=VALUE, got {pair!r}")
        try:
            out[key] = json.loads(text)
        except ValueError:
            out[key] = text
    return out


# ------------------------------------------------------------------ the crawl


@dataclass
class _Job:
    source: SourceSpec
    spider_cls: Any = None
    host: str = ""
    crawler: Any = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None
    done: bool = False


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

    jobs = [_Job(source=s) for s in sources]
    reporter = (
        _Progress(progress, settings.getfloat("INTERNSCOUT_PROGRESS_INTERVAL", 0.5))
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

    entries = [_report(job) for job in jobs]
    if reporter is not None:
        for job, entry in zip(jobs, entries, strict=True):
            reporter.final(job, entry)
    for entry in entries:
        logger.info(
            "%(name)s: %(status)s new=%(new)d updated=%(updated)d unchanged=%(unchanged)d "
            "closed=%(closed)d rejected=%(rejected)d errors=%(errors)d%(error_text)s",
            {**entry, "error_text": f" error={entry['error']}" if entry["error"] else ""},
        )
    _record_runs(db_url, jobs, entries)
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


class _Progress:
    """Writes the progress lines described in the module docstring."""

    def __init__(self, stream: IO[str], interval: float):
        self.stream = stream
        self.interval = max(0.05, interval)
        self._last: dict[str, tuple[float, tuple[int, int, int]]] = {}
        self._final: set[str] = set()

    def emit(self, job: _Job, status: str, error: str | None = None) -> None:
        counters = _counters(job)
        self._last[job.source.name] = (time.monotonic(), counters)
        pages, items, failed = counters
        line = {
            "name": job.source.name,
            "kind": job.source.kind,
            "status": status,
            "pages": pages,
            "items": items,
            "failed_pages": failed,
            "error": error,
        }
        with contextlib.suppress(OSError, ValueError):
            self.stream.write(PROGRESS_PREFIX + json.dumps(line, separators=(",", ":")) + "\n")
            self.stream.flush()

    def tick(self, running: Sequence[_Job]) -> None:
        now = time.monotonic()
        for job in running:
            if job.source.name in self._final:
                continue
            last_time, last_counters = self._last.get(job.source.name, (0.0, (-1, -1, -1)))
            if now - last_time >= self.interval and _counters(job) != last_counters:
                self.emit(job, "running")

    def final(self, job: _Job, entry: Mapping[str, Any]) -> None:
        if job.source.name not in self._final:
            self._final.add(job.source.name)
            self.emit(job, str(entry["status"]), entry.get("error"))


def _counters(job: _Job) -> tuple[int, int, int]:
    collector = _stats_collector(job.crawler)
    if collector is None:
        return 0, 0, 0
    get = collector.get_value
    return (
        int(get("internscout/pages", 0) or 0),
        int(get("item_scraped_count", 0) or 0),
        int(get("internscout/failed_pages", 0) or 0),
    )


class _Scheduler:
    """Start crawls as slots free up: at most `max_parallel` at once and
    `max_per_host` per API host, since every Greenhouse board (say) is served
    by the same host and Scrapy's per-domain limits are per crawler."""

    def __init__(
        self,
        process: Any,
        jobs: list[_Job],
        max_parallel: int,
        max_per_host: int,
        progress: _Progress | None = None,
    ):
        self.process = process
        self.pending = list(jobs)
        self.running: list[_Job] = []
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

    def _finished(self, result: Any, job: _Job) -> None:
        from twisted.python.failure import Failure

        job.finished_at = datetime.now(UTC)
        job.done = True
        if isinstance(result, Failure):
            job.error = (
                f"crawl crashed: {result.type.__name__ if result.type else 'error'}: {result.value}"
            )
            logger.error("%s: %s", job.source.name, job.error, exc_info=result.value)
        else:
            collector = _stats_collector(job.crawler)
            if collector is not None and collector.get_value("finish_reason") == "shutdown":
                # Scrapy is shutting down on a signal; the rest stay unstarted.
                self._draining = True
        self.running.remove(job)
        if self.progress is not None:
            self.progress.final(job, _report(job))
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


def _stats_collector(crawler: Any) -> Any:
    if crawler is None:
        return None
    try:
        return crawler.stats
    except RuntimeError:  # recent Scrapy raises for a crawl that never started
        return getattr(crawler, "_stats", None)


def _report(job: _Job) -> dict[str, Any]:
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
    collector = _stats_collector(crawler)
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


def _record_runs(db_url: str, jobs: Sequence[_Job], entries: Sequence[dict[str, Any]]) -> None:
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


# ------------------------------------------------------------------ CLI


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:
        raise UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _ArgumentParser(
        prog="python -m crawlers.run",
        description="Crawl job-board sources into the InternScout store; prints a JSON report.",
    )
    parser.add_argument("--db", required=True, help="SQLAlchemy database URL of the store")
    parser.add_argument("--sources", required=True, help="JSON file: list of source objects")
    parser.add_argument(
        "--log-level",
        default="INFO",
        type=str.upper,
        choices=["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"],
    )
    parser.add_argument(
        "--progress",
        action="store_true",
        help=f"write progress lines ({PROGRESS_PREFIX.strip()} JSON) to stderr",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a Scrapy setting (repeatable)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        sources = load_sources(args.sources)
        overrides = parse_set_options(args.set)
        if not args.db.strip():
            raise UsageError("--db must not be empty")
    except UsageError as exc:
        print(f"crawlers.run: error: {exc}", file=sys.stderr)
        return EXIT_USAGE

    # stdout carries only the report: anything a library prints goes to stderr.
    with contextlib.redirect_stdout(sys.stderr):
        entries = run_sources(
            args.db,
            sources,
            overrides=overrides,
            log_level=args.log_level,
            progress=sys.stderr if args.progress else None,
        )
    sys.stdout.write(json.dumps({"sources": entries}) + "\n")
    sys.stdout.flush()
    if entries and all(e["status"] == "failed" for e in entries):
        return EXIT_ALL_FAILED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
