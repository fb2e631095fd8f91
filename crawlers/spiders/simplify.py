"""SimplifyJobs' community-maintained `listings.json` (a JSON array)."""

from __future__ import annotations

from typing import Any

from scrapy.http import Response

from crawlers.items import PostingItem
from crawlers.normalize import replace_origin
from crawlers.spiders.base import ListingError, PostingSpider

DEFAULT_LISTINGS_URL = (
    "https://raw.githubusercontent.com/SimplifyJobs/Summer2026-Internships/dev/"
    ".github/scripts/listings.json"
)


class SimplifySpider(PostingSpider):
    name = "simplify"
    default_origin = "https://raw.githubusercontent.com"

    @classmethod
    def listing_host(cls, base_url: str | None = None, url: str | None = None) -> str:
        return super().listing_host(base_url, url or DEFAULT_LISTINGS_URL)

    def listing_urls(self) -> list[str]:
        return [replace_origin(self.listing_url_override or DEFAULT_LISTINGS_URL, self.base_url)]

    def records_from_payload(self, payload: Any, response: Response) -> list[Any]:
        if not isinstance(payload, list):
            raise ListingError("Simplify listings payload is not a list")
        return payload

    def parse_record(self, record: Any, response: Response) -> PostingItem | None:
        if not isinstance(record, dict):
            raise TypeError(f"listing is a {type(record).__name__}, not an object")
        if record.get("is_visible") is False:
            return None  # withdrawn by the list's maintainers
        url = record.get("url")
        # The list also carries new-grad roles, so no employment type is implied.
        return self.new_item(
            record,
            external_id=record.get("id"),
            title=record.get("title"),
            company=record.get("company_name"),
            url=url,
            apply_url=url,
            locations=record.get("locations") or [],
            posted_at=record.get("date_posted"),
            terms=record.get("terms") or [],
            is_open=record.get("active") is not False,
        )
