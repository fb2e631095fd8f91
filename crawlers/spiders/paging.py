"""Offset/limit paging shared by the paged APIs (SmartRecruiters, Workday, USAJOBS),
and the small option/number helpers those spiders share.

A `Pager` is fed one listing page at a time -- where the page starts, how many
records it held, the total the server announced, the records' ids -- and says
where the next page starts, or that the listing is complete. It keeps the
first total it is told (Workday only reports it reliably on the first page),
notices servers that ignore the offset (the same records again) and stops at a
page cap, so a misbehaving server cannot keep a crawl going forever.

`follow_pages` wraps this for a spider's `follow_up`: it logs, fails the
listing when paging went wrong in a way that would leave it incomplete, and
yields the next page's request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from scrapy.http import Request, Response

if TYPE_CHECKING:
    from crawlers.spiders.base import PostingSpider

# A listing with more pages than this is a server ignoring the paging
# parameters, not a real board (200 pages of 100 is 20,000 postings).
MAX_PAGES = 200


class PagingError(Exception):
    """Paging cannot go on and what was read is not the whole listing."""


def as_int(value: Any) -> int | None:
    """An API's count ("2167", 2167, 2167.0) as an int; `None` when it is not one."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = int(float(value))
    except (TypeError, ValueError, OverflowError):
        return None
    return number if number >= 0 else None


def option_bool(value: Any) -> bool:
    """A yes/no spider option: a bool from a config file, a string from `scrapy -a`."""
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "0", "no", "off", "")
    return bool(value)


def amount_text(value: Any) -> str:
    """A salary amount for display: 97738.0 -> "97,738", 34.5 -> "34.50"."""
    number: float | None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = None
    if number is None or number != number or isinstance(value, bool):
        return str(value)
    return f"{number:,.0f}" if number.is_integer() else f"{number:,.2f}"


@dataclass
class Pager:
    """Offset bookkeeping for one listing, read page after page in order."""

    page_size: int
    max_pages: int = MAX_PAGES
    pages: int = 0  # pages read so far
    records: int = 0  # records read so far
    total: int | None = None  # the first total the server announced
    stop_reason: str | None = None
    suspicious: bool = False  # stopped because the server seems to ignore paging
    _seen: set[str] = field(default_factory=set, repr=False)

    def __post_init__(self) -> None:
        self.page_size = max(1, int(self.page_size))
        self.max_pages = max(1, int(self.max_pages))

    def advance(
        self,
        *,
        offset: int,
        count: int,
        total: Any = None,
        ids: Iterable[Any] = (),
        page_count: Any = None,
        page: int | None = None,
    ) -> int | None:
        """Record the page at `offset` holding `count` records.

        Returns the next page's offset, or `None` when the listing is complete
        (`stop_reason` says why). Raises `PagingError` when paging must stop
        before the announced total was read. `page_count` / `page` are for
        page-numbered APIs that announce how many pages there are.
        """
        self.pages += 1
        self.records += count
        announced = as_int(total)
        # Keep the first total: later pages may report 0 (Workday) or drift as
        # postings come and go during the crawl. A total of 0 next to records
        # is no total at all.
        if self.total is None and announced is not None and (announced > 0 or count == 0):
            self.total = announced
        page_ids = {str(i) for i in ids if i is not None}
        fresh = page_ids - self._seen
        self._seen |= page_ids
        end = offset + count

        if count == 0:
            return self._stop("empty page")
        if self.total is not None and end >= self.total:
            return self._stop(f"all {self.total} records read")
        pages = as_int(page_count)
        if pages is not None and page is not None and page >= pages:
            return self._stop(f"last of {pages} pages")
        if self.total is None and count < self.page_size:
            return self._stop("short page")
        if page_ids and not fresh:
            message = f"page at offset {offset} repeats earlier records (server ignores paging?)"
            if self.total is not None:
                raise PagingError(f"{message}; read {self.records} of {self.total}")
            self.suspicious = True
            return self._stop(message)
        if self.pages >= self.max_pages:
            raise PagingError(f"more than {self.max_pages} pages")
        return end

    def _stop(self, reason: str) -> None:
        self.stop_reason = reason
        return None


def follow_pages(
    spider: PostingSpider,
    pager: Pager,
    response: Response,
    *,
    offset: int,
    count: int,
    next_request: Callable[[int], Request],
    total: Any = None,
    ids: Iterable[Any] = (),
    page_count: Any = None,
    page: int | None = None,
) -> Iterator[Request]:
    """The request for the page after this one, if there is one (for `follow_up`)."""
    try:
        next_offset = pager.advance(
            offset=offset, count=count, total=total, ids=ids, page_count=page_count, page=page
        )
    except PagingError as exc:
        spider.fail_listing(f"incomplete listing: {exc}", response.url)
        return
    if next_offset is None:
        log = spider.logger.warning if pager.suspicious else spider.logger.debug
        log(
            "%s: listing complete after %d page(s), %d record(s): %s",
            spider.source_name,
            pager.pages,
            pager.records,
            pager.stop_reason,
        )
        return
    yield next_request(next_offset)
