"""SmartRecruiters Posting API: paged listing, then one detail request per posting
for the job ad text (the listing carries no description)."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from scrapy.http import Request, Response

from crawlers.items import PostingItem
from crawlers.normalize import html_to_text
from crawlers.spiders.base import ListingError, PostingSpider
from crawlers.spiders.paging import MAX_PAGES, Pager, amount_text, as_int, follow_pages, option_bool

DEFAULT_PAGE_SIZE = 100  # the API's maximum
PUBLIC_ORIGIN = "https://jobs.smartrecruiters.com"
# The job ad's sections, in page order.
SECTIONS = ("companyDescription", "jobDescription", "qualifications", "additionalInformation")
_PERIODS = {
    "HOURLY": "per hour",
    "DAILY": "per day",
    "WEEKLY": "per week",
    "MONTHLY": "per month",
    "YEARLY": "per year",
    "ANNUALLY": "per year",
}


class SmartRecruitersSpider(PostingSpider):
    name = "smartrecruiters"
    default_origin = "https://api.smartrecruiters.com"

    def __init__(
        self,
        *args: Any,
        page_size: int | str = DEFAULT_PAGE_SIZE,
        details: bool | str = True,
        query: str | None = None,
        max_pages: int | str = MAX_PAGES,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.page_size = min(DEFAULT_PAGE_SIZE, max(1, int(page_size)))
        self.details = option_bool(details)
        self.query = (query or "").strip() or None
        self.pager = Pager(self.page_size, max_pages=int(max_pages))

    def page_url(self, offset: int) -> str:
        params: dict[str, Any] = {"offset": offset, "limit": self.page_size}
        if self.query:
            params["q"] = self.query
        company = quote(self.board, safe="")
        return self.api_url(f"/v1/companies/{company}/postings?{urlencode(params)}")

    def detail_url(self, posting_id: str) -> str:
        company = quote(self.board, safe="")
        return self.api_url(f"/v1/companies/{company}/postings/{quote(posting_id, safe='')}")

    def listing_urls(self) -> list[str]:
        return [self.page_url(0)]

    def records_from_payload(self, payload: Any, response: Response) -> list[Any]:
        if not isinstance(payload, dict) or not isinstance(payload.get("content"), list):
            raise ListingError("SmartRecruiters payload has no 'content' list")
        return payload["content"]

    def follow_up(self, response: Response, payload: Any, records: list[Any]) -> Iterable[Request]:
        offset = as_int(payload.get("offset"))
        if offset is None:
            query = parse_qs(urlsplit(response.url).query)
            offset = as_int(query.get("offset", ["0"])[0]) or 0
        yield from follow_pages(
            self,
            self.pager,
            response,
            offset=offset,
            count=len(records),
            total=payload.get("totalFound"),
            ids=[r.get("id") for r in records if isinstance(r, dict)],
            next_request=lambda start: self.listing_request(self.page_url(start)),
        )

    def parse_record(self, record: Any, response: Response) -> PostingItem | Request | None:
        if not isinstance(record, dict):
            raise TypeError(f"posting is a {type(record).__name__}, not an object")
        item = self.new_item(record, **self._listing_fields(record))
        posting_id = str(record.get("id") or "").strip()
        if self.details and posting_id:
            return self.detail_request(self.detail_url(posting_id), item)
        return item

    def merge_detail(self, item: PostingItem, payload: Any, response: Response) -> PostingItem:
        if not isinstance(payload, dict):
            raise ValueError("SmartRecruiters detail is not an object")
        merged = item.copy()
        for key, value in self._fields(payload).items():
            # The id stays the listing's: a failed detail must give the same posting.
            if key != "external_id" and value not in (None, "", []):
                merged[key] = value
        html_parts, text_parts = _job_ad(payload.get("jobAd"))
        if html_parts:
            merged["description_html"] = "\n".join(html_parts)
        if text_parts:
            merged["description_text"] = "\n\n".join(text_parts)
        pay = payload.get("compensation")
        if isinstance(pay, dict):
            merged["salary_min"] = pay.get("min")
            merged["salary_max"] = pay.get("max")
            merged["salary_currency"] = pay.get("currency")
            merged["salary_text"] = _salary_text(pay)
        if payload.get("active") is False:
            merged["is_open"] = False
        merged["raw"] = {**item["raw"], "detail": payload}
        return merged

    def _fields(self, record: dict[str, Any]) -> dict[str, Any]:
        """The fields the listing record and the detail payload share, as far
        as `record` has them (no fallbacks: a sparse detail must not override)."""
        company = record.get("company") if isinstance(record.get("company"), dict) else {}
        location = record.get("location") if isinstance(record.get("location"), dict) else {}
        kinds = (_label(record, "typeOfEmployment"), _label(record, "experienceLevel"))
        return {
            "external_id": record.get("id"),
            "title": record.get("name"),
            "company": company.get("name"),
            "url": record.get("postingUrl"),
            "apply_url": record.get("applyUrl"),
            "locations": [text] if (text := _location_text(location)) else [],
            "workplace_type": _workplace(location),
            "employment_type": "; ".join(dict.fromkeys(k for k in kinds if k)) or None,
            "posted_at": record.get("releasedDate"),
            "department": _label(record, "department") or _label(record, "function"),
        }

    def _listing_fields(self, record: dict[str, Any]) -> dict[str, Any]:
        fields = self._fields(record)
        fields["company"] = fields["company"] or self.company or self.board
        posting_id = fields["external_id"]
        if not fields["url"] and posting_id:
            company = record.get("company") if isinstance(record.get("company"), dict) else {}
            identifier = quote(str(company.get("identifier") or self.board), safe="")
            fields["url"] = f"{PUBLIC_ORIGIN}/{identifier}/{quote(str(posting_id), safe='')}"
        return fields


def _label(record: dict[str, Any], key: str) -> str | None:
    value = record.get(key)
    label = value.get("label") if isinstance(value, dict) else None
    return str(label).strip() or None if label else None


def _location_text(location: dict[str, Any]) -> str | None:
    full = location.get("fullLocation")
    if isinstance(full, str) and full.strip():
        return full
    parts = [location.get(k) for k in ("city", "region", "country")]
    return ", ".join(str(p) for p in parts if p) or None


def _workplace(location: dict[str, Any]) -> str | None:
    if location.get("remote") is True:
        return "remote"
    if location.get("hybrid") is True:
        return "hybrid"
    if location.get("remote") is False and location.get("hybrid") is False:
        return "onsite"
    return None


def _job_ad(job_ad: Any) -> tuple[list[str], list[str]]:
    """The job ad's sections as one HTML document (with their titles) and as text."""
    sections = job_ad.get("sections") if isinstance(job_ad, dict) else None
    if not isinstance(sections, dict):
        return [], []
    html_parts: list[str] = []
    text_parts: list[str] = []
    for key in SECTIONS:
        section = sections.get(key)
        if not isinstance(section, dict):
            continue
        body = section.get("text")
        if not isinstance(body, str) or not body.strip():
            continue
        title = str(section.get("title") or "").strip()
        html_parts.append((f"<h3>{escape(title)}</h3>" if title else "") + body)
        text = html_to_text(body)
        if text:
            text_parts.append(f"{title}\n{text}" if title else text)
    return html_parts, text_parts


def _salary_text(pay: dict[str, Any]) -> str | None:
    low, high = pay.get("min"), pay.get("max")
    if low is None and high is None:
        return None
    amounts = "–".join(amount_text(v) for v in (low, high) if v is not None)
    period = str(pay.get("period") or "")
    period = _PERIODS.get(period.upper(), period.lower())
    return " ".join(p for p in (str(pay.get("currency") or ""), amounts, period) if p)
