"""Lever postings API, paged with skip/limit."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from scrapy.http import Request, Response

from crawlers.items import PostingItem
from crawlers.normalize import html_to_text
from crawlers.spiders.base import ListingError, PostingSpider

DEFAULT_PAGE_SIZE = 100
# A board with more pages than this is a server ignoring `skip`, not a real board.
MAX_PAGES = 200

_INTERVALS = {
    "per-year-salary": "per year",
    "per-month-salary": "per month",
    "per-week-salary": "per week",
    "per-day-wage": "per day",
    "per-hour-wage": "per hour",
    "one-time": "one-time",
}


class LeverSpider(PostingSpider):
    name = "lever"
    default_origin = "https://api.lever.co"

    def __init__(self, *args: Any, page_size: int | str = DEFAULT_PAGE_SIZE, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.page_size = max(1, int(page_size))
        self._seen_ids: set[str] = set()
        self._pages = 0

    def page_url(self, skip: int) -> str:
        site = quote(self.board, safe="")
        return self.api_url(f"/v0/postings/{site}?mode=json&skip={skip}&limit={self.page_size}")

    def listing_urls(self) -> list[str]:
        return [self.page_url(0)]

    def records_from_payload(self, payload: Any, response: Response) -> list[Any]:
        if not isinstance(payload, list):
            raise ListingError("Lever payload is not a list of postings")
        return payload

    def follow_up(self, response: Response, payload: Any, records: list[Any]) -> Iterable[Request]:
        self._pages += 1
        ids = {str(r.get("id")) for r in records if isinstance(r, dict)}
        fresh = ids - self._seen_ids
        self._seen_ids |= ids
        if len(records) < self.page_size:
            return  # last page
        if not fresh:
            self.logger.warning(
                "%s: page %s repeats earlier postings; stopping (server ignores skip?)",
                self.source_name,
                response.url,
            )
            return
        if self._pages >= MAX_PAGES:
            self.fail_listing(f"more than {MAX_PAGES} pages", response.url)
            return
        skip = int(parse_qs(urlsplit(response.url).query).get("skip", ["0"])[0])
        yield self.listing_request(self.page_url(skip + len(records)))

    def parse_record(self, record: Any, response: Response) -> PostingItem | None:
        if not isinstance(record, dict):
            raise TypeError(f"posting is a {type(record).__name__}, not an object")
        categories = record.get("categories") or {}
        locations = categories.get("allLocations") or [categories.get("location")]
        salary = record.get("salaryRange") or {}
        html_parts, text_parts = _description(record)
        return self.new_item(
            record,
            external_id=record.get("id"),
            title=record.get("text"),
            company=self.company or self.board,
            url=record.get("hostedUrl"),
            apply_url=record.get("applyUrl"),
            locations=locations,
            workplace_type=record.get("workplaceType"),
            employment_type=categories.get("commitment"),
            description_html="\n".join(html_parts) or None,
            description_text="\n\n".join(text_parts) or None,
            posted_at=record.get("createdAt"),
            salary_min=salary.get("min"),
            salary_max=salary.get("max"),
            salary_currency=salary.get("currency"),
            salary_text=_salary_text(salary),
            department=categories.get("department") or categories.get("team"),
        )


def _description(record: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Lever splits a posting into description, titled lists and a closing
    section; stitch them back together in page order."""
    html_parts: list[str] = []
    text_parts: list[str] = []

    def add(html: Any, plain: Any) -> None:
        if isinstance(html, str) and html.strip():
            html_parts.append(html)
        text = plain if isinstance(plain, str) and plain.strip() else html_to_text(html)
        if text:
            text_parts.append(text.strip())

    add(record.get("description"), record.get("descriptionPlain"))
    for entry in record.get("lists") or []:
        if not isinstance(entry, dict):
            continue
        heading = str(entry.get("text") or "").strip()
        content = str(entry.get("content") or "")
        block = (f"<h3>{escape(heading)}</h3>" if heading else "") + f"<ul>{content}</ul>"
        body = html_to_text(f"<ul>{content}</ul>") or ""
        add(block, "\n".join(p for p in (heading, body) if p))
    add(record.get("additional"), record.get("additionalPlain"))
    return html_parts, text_parts


def _salary_text(salary: dict[str, Any]) -> str | None:
    low, high = salary.get("min"), salary.get("max")
    if low is None and high is None:
        return None
    amounts = "–".join(
        f"{v:,.0f}" if isinstance(v, (int, float)) else str(v) for v in (low, high) if v is not None
    )
    interval = _INTERVALS.get(str(salary.get("interval") or ""), salary.get("interval") or "")
    return " ".join(p for p in (salary.get("currency") or "", amounts, interval) if p)
