"""Downloader middlewares: fail-closed robots.txt, polite retries, clear failure reasons.

They replace Scrapy's RobotsTxtMiddleware, RetryMiddleware and RedirectMiddleware
(see DOWNLOADER_MIDDLEWARES in `crawlers.settings`):

* `RobotsTxtMiddleware` obeys robots.txt like Scrapy's, but fails *closed*: a
  robots.txt that answers 5xx or 429, or cannot be fetched at all (timeout,
  dropped connection, after the usual retries), means the host is not crawled
  in this run. A 4xx (404, 410, 403, ...) robots.txt allows everything. One
  answer per host serves every crawler of a `crawlers.run` process (they share
  INTERNSCOUT_RUN_ID), so hundreds of boards on one API host fetch it once.
* `RetryMiddleware` retries 5xx/429/408, timeouts and dropped connections
  (RETRY_TIMES) with exponential backoff (INTERNSCOUT_RETRY_BACKOFF_BASE,
  doubling up to INTERNSCOUT_RETRY_BACKOFF_MAX), and honours `Retry-After`
  (seconds or an HTTP date) on 429 and 503, capped at
  INTERNSCOUT_MAX_RETRY_AFTER: the retried request waits that long, and so does
  every other request to the same host. Waiting never blocks the reactor (it
  awaits a `deferLater`) and ends early when the crawl is being stopped.
* `RedirectMiddleware` stops a redirect loop at the first repeated URL.

A request given up for good raises a `PageFailure` (an `IgnoreRequest`) whose
`internscout_reason` is the short text recorded in the failed-pages table,
e.g. "timeout after 30 s (3 attempts)", "body over 67108864 bytes",
"redirect loop: ...", "robots.txt unavailable (HTTP 503) for host X: not crawled".

Stats (under `internscout/`): robots_forbidden, robots_unavailable (the message),
robots_unavailable_requests, retry_waits, retry_wait_seconds, pages.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware as _ScrapyRedirect
from scrapy.downloadermiddlewares.retry import RetryMiddleware as _ScrapyRetry
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request, Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.misc import build_from_crawler, load_object
from scrapy.utils.response import response_status_message
from twisted.internet.defer import Deferred

try:  # Scrapy >= 2.13 marks requests whose response nobody parses
    from scrapy.http.request import NO_CALLBACK
except ImportError:  # pragma: no cover
    NO_CALLBACK = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

# Per-run state shared by all crawlers of one process (keyed by INTERNSCOUT_RUN_ID).
_RUNS: dict[str, _RunState] = {}


@dataclass
class _RunState:
    robots: dict[str, _RobotsEntry] = field(default_factory=dict)
    # host -> monotonic time before which no request may be sent (Retry-After)
    not_before: dict[str, float] = field(default_factory=dict)


def _run_state(crawler: Crawler) -> _RunState:
    run_id = crawler.settings.get("INTERNSCOUT_RUN_ID")
    if not run_id:
        # Each middleware instance gets its own state (e.g. a crawler built in a test).
        return _RunState()
    return _RUNS.setdefault(str(run_id), _RunState())


# ------------------------------------------------------------------ failures


class PageFailure(IgnoreRequest):
    """A request given up for good, with a short reason fit for the failed-pages table."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.internscout_reason = reason


class RobotsForbidden(PageFailure):
    def __init__(self) -> None:
        super().__init__("forbidden by robots.txt")


class RobotsUnavailable(PageFailure):
    pass


class BodyTooLarge(PageFailure):
    pass


class RedirectFailure(PageFailure):
    pass


def _exception_named(exc: BaseException, *names: str) -> bool:
    return any(cls.__name__ in names for cls in type(exc).__mro__)


def describe_exception(exc: BaseException, timeout: float | None = None) -> str:
    """A short, human-readable cause for a failed download."""
    reason = getattr(exc, "internscout_reason", None)
    if isinstance(reason, str):
        return reason
    if _exception_named(exc, "DownloadTimeoutError", "TimeoutError", "TCPTimedOutError"):
        return f"timeout after {timeout:g} s" if timeout else "timeout"
    if _exception_named(exc, "DownloadConnectionRefusedError", "ConnectionRefusedError"):
        return "connection refused"
    if _exception_named(exc, "CannotResolveHostError", "DNSLookupError"):
        return "cannot resolve host"
    if _exception_named(exc, "ResponseDataLossError", "_DataLoss", "PotentialDataLoss"):
        return "truncated body (connection closed before the announced length)"
    if _exception_named(
        exc,
        "DownloadFailedError",
        "ResponseFailed",
        "ResponseNeverReceived",
        "ConnectionLost",
        "ConnectionDone",
        "ConnectError",
    ):
        return "connection dropped before a complete response"
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _host(request: Request) -> str:
    return urlsplit(request.url).netloc.lower()


def _crawling(crawler: Crawler) -> bool:
    """False once the crawl is being stopped (Ctrl-C, timeout): stop waiting then."""
    engine = getattr(crawler, "engine", None)
    return bool(getattr(crawler, "crawling", True)) and (
        engine is None or bool(getattr(engine, "running", True))
    )


async def _sleep(crawler: Crawler, seconds: float, step: float = 0.25) -> bool:
    """Wait without blocking the reactor; False if the crawl stopped meanwhile."""
    from twisted.internet import reactor
    from twisted.internet.task import deferLater

    end = time.monotonic() + max(0.0, seconds)
    while (left := end - time.monotonic()) > 0:
        if not _crawling(crawler):
            return False
        await maybe_deferred_to_future(deferLater(reactor, min(left, step), lambda: None))
    return _crawling(crawler)


def _inc(crawler: Crawler, key: str, count: float = 1) -> None:
    stats = getattr(crawler, "stats", None)
    if stats is not None:
        stats.inc_value(f"internscout/{key}", count)


# ------------------------------------------------------------------ robots.txt


@dataclass
class _Allowed:
    parser: Any  # a scrapy RobotParser, or None: everything allowed


@dataclass
class _Unavailable:
    message: str


_Outcome = _Allowed | _Unavailable


@dataclass
class _RobotsEntry:
    outcome: _Outcome | None = None
    waiters: list[Deferred[Any]] = field(default_factory=list)


class RobotsTxtMiddleware:
    """robots.txt, failing closed (see the module docstring)."""

    DOWNLOAD_PRIORITY = 1000

    def __init__(self, crawler: Crawler):
        settings = crawler.settings
        if not settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured
        self.crawler = crawler
        self._default_useragent: str = settings.get("USER_AGENT") or "Scrapy"
        self._robots_useragent: str | None = settings.get("ROBOTSTXT_USER_AGENT")
        self._parser_cls = load_object(settings.get("ROBOTSTXT_PARSER"))
        self._state = _run_state(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RobotsTxtMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if request.meta.get("dont_obey_robotstxt"):
            return None
        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https"):
            return None
        outcome = await self._outcome(f"{parts.scheme}://{parts.netloc.lower()}")
        if isinstance(outcome, _Unavailable):
            _inc(self.crawler, "robots_unavailable_requests")
            self.crawler.stats.set_value("internscout/robots_unavailable", outcome.message)
            raise RobotsUnavailable(outcome.message)
        if outcome.parser is not None and not outcome.parser.allowed(
            request.url, self._useragent(request)
        ):
            logger.debug("Forbidden by robots.txt: %s", request)
            _inc(self.crawler, "robots_forbidden")
            self.crawler.stats.inc_value("robotstxt/forbidden")
            raise RobotsForbidden()
        return None

    def _useragent(self, request: Request) -> str | bytes:
        if self._robots_useragent:
            return self._robots_useragent
        return request.headers.get(b"User-Agent") or self._default_useragent

    async def _outcome(self, origin: str) -> _Outcome:
        entry = self._state.robots.get(origin)
        if entry is None:
            entry = self._state.robots[origin] = _RobotsEntry()
            outcome = await self._fetch(origin)
            waiters, entry.waiters = entry.waiters, []
            if outcome is None:  # the crawl is stopping: decide nothing for the host
                del self._state.robots[origin]
            else:
                entry.outcome = outcome
            for waiter in waiters:
                waiter.callback(outcome)
        elif entry.outcome is not None:
            outcome = entry.outcome
        else:  # another request (maybe of another crawler) is fetching it
            waiter: Deferred[Any] = Deferred()
            entry.waiters.append(waiter)
            outcome = await maybe_deferred_to_future(waiter)
        if outcome is None:
            raise IgnoreRequest("robots.txt not fetched: the crawl is stopping")
        return outcome

    async def _fetch(self, origin: str) -> _Outcome | None:
        host = urlsplit(origin).netloc
        kwargs: dict[str, Any] = {"callback": NO_CALLBACK} if NO_CALLBACK is not None else {}
        request = Request(
            f"{origin}/robots.txt",
            priority=self.DOWNLOAD_PRIORITY,
            meta={"dont_obey_robotstxt": True, "internscout_robots": True},
            dont_filter=True,
            **kwargs,
        )
        engine = self.crawler.engine
        assert engine is not None
        stats = self.crawler.stats
        try:
            if hasattr(engine, "download_async"):
                response = await engine.download_async(request)
            else:  # pragma: no cover - Scrapy < 2.14
                response = await maybe_deferred_to_future(engine.download(request))
        except Exception as exc:
            if not _crawling(self.crawler):
                return None
            stats.inc_value(f"robotstxt/exception_count/{type(exc).__name__}")
            timeout = self.crawler.settings.getfloat("DOWNLOAD_TIMEOUT")
            return self._unavailable(host, describe_exception(exc, timeout))
        stats.inc_value("robotstxt/response_count")
        stats.inc_value(f"robotstxt/response_status_count/{response.status}")
        status = response.status
        if status == 429 or status >= 500:
            return self._unavailable(host, f"HTTP {status}")
        if 200 <= status < 300:
            parser = build_from_crawler(self._parser_cls, self.crawler, response.body)
            return _Allowed(parser)
        # 4xx (and redirects not followed): no robots.txt, so no restrictions.
        logger.info("%s: robots.txt answered HTTP %d: no restrictions", host, status)
        return _Allowed(None)

    def _unavailable(self, host: str, why: str) -> _Unavailable:
        message = f"robots.txt unavailable ({why}) for host {host}: not crawled"
        logger.error("%s", message)
        return _Unavailable(message)


# ------------------------------------------------------------------ retries


def parse_retry_after(value: bytes | str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date)."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if not text:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class RetryMiddleware(_ScrapyRetry):
    """Scrapy's retry logic plus backoff, Retry-After and clear give-up reasons."""

    def __init__(self, settings: Any):
        super().__init__(settings)
        self.backoff_base = max(0.0, settings.getfloat("INTERNSCOUT_RETRY_BACKOFF_BASE", 1.0))
        self.backoff_max = max(0.0, settings.getfloat("INTERNSCOUT_RETRY_BACKOFF_MAX", 30.0))
        self.max_retry_after = max(0.0, settings.getfloat("INTERNSCOUT_MAX_RETRY_AFTER", 120.0))
        self.timeout = settings.getfloat("DOWNLOAD_TIMEOUT")
        self.maxsize = settings.getint("DOWNLOAD_MAXSIZE")
        self._state = _RunState()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryMiddleware:
        middleware = cls(crawler.settings)
        middleware.crawler = crawler
        middleware._state = _run_state(crawler)
        return middleware

    # -- hold requests to a host that asked us to wait

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        until = self._state.not_before.get(_host(request))
        if until is not None and until > time.monotonic():
            await _sleep(self.crawler, until - time.monotonic())
        return None

    async def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return self._delivered(request, response)
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return self._delivered(request, response)
        delay = self._backoff(request)
        if response.status in (429, 503):
            asked = parse_retry_after(response.headers.get(b"Retry-After"))
            if asked is not None:
                delay = min(asked, self.max_retry_after)
                host = _host(request)
                until = time.monotonic() + delay
                self._state.not_before[host] = max(self._state.not_before.get(host, 0.0), until)
                logger.info(
                    "%s: HTTP %d with Retry-After %s: waiting %.1f s",
                    host,
                    response.status,
                    response.headers.get(b"Retry-After", b"").decode("latin-1"),
                    delay,
                )
        if not await self._wait(delay):
            return self._delivered(request, response)
        return retry

    async def process_exception(
        self, request: Request, exception: Exception, spider: Spider | None = None
    ) -> Request | Response | None:
        if _exception_named(exception, "DownloadCancelledError", "CancelledError"):
            maxsize = request.meta.get("download_maxsize", self.maxsize)
            if maxsize and _crawling(self.crawler):
                raise BodyTooLarge(f"body over {maxsize} bytes") from exception
            return None
        if not isinstance(exception, self.exceptions_to_retry) or request.meta.get(
            "dont_retry", False
        ):
            return None
        retry = self._retry(request, exception)
        attempts = request.meta.get("retry_times", 0) + 1
        if retry is None:
            timeout = request.meta.get("download_timeout", self.timeout)
            why = describe_exception(exception, timeout)
            raise PageFailure(f"{why} ({attempts} attempts)") from exception
        if not await self._wait(self._backoff(request)):
            return None
        return retry

    def _backoff(self, request: Request) -> float:
        if not self.backoff_base:
            return 0.0
        failures = request.meta.get("retry_times", 0)  # retries so far, before this one
        return min(self.backoff_base * (2**failures), self.backoff_max)

    async def _wait(self, delay: float) -> bool:
        if delay <= 0:
            return True
        _inc(self.crawler, "retry_waits")
        _inc(self.crawler, "retry_wait_seconds", round(delay, 3))
        return await _sleep(self.crawler, delay)

    def _delivered(self, request: Request, response: Response) -> Response:
        if not request.meta.get("internscout_robots"):
            _inc(self.crawler, "pages")
        return response


# ------------------------------------------------------------------ redirects


class RedirectMiddleware(_ScrapyRedirect):
    """Scrapy's redirects, stopping a loop at the first repeated URL and saying why."""

    def _redirect(self, redirected: Request, request: Request, *args: Any, **kwargs: Any) -> Any:
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if redirected.url in chain:
            raise RedirectFailure(
                f"redirect loop: {request.url} redirects back to {redirected.url}"
            )
        try:
            return super()._redirect(redirected, request, *args, **kwargs)
        except IgnoreRequest:
            raise RedirectFailure(
                f"too many redirects (more than {self.max_redirect_times}) from {chain[0]}"
            ) from None
