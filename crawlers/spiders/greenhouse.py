"""Greenhouse job board API: one request returns the whole board."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from scrapy.http import Response

from crawlers.items import PostingItem
from crawlers.normalize import maybe_unescape_html
from crawlers.spiders.base import ListingError, PostingSpider

_EMPLOYMENT_KEY = re.compile(r"employment|job type|commitment|position type", re.IGNORECASE)


class GreenhouseSpider(PostingSpider):
    name = "greenhouse"
    default_origin = "https://boards-api.greenhouse.io"

    def listing_urls(self) -> list[str]:
        return [self.api_url(f"/v1/boards/{quote(self.board, safe='')}/jobs?content=true")]

    def records_from_payload(self, payload: Any, response: Response) -> list[Any]:
        if not isinstance(payload, dict) or not isinstance(payload.get("jobs"), list):
            raise ListingError("Greenhouse payload has no 'jobs' list")
        return payload["jobs"]

    def parse_record(self, record: Any, response: Response) -> PostingItem | None:
        if not isinstance(record, dict):
            raise TypeError(f"job is a {type(record).__name__}, not an object")
        location = (record.get("location") or {}).get("name")
        offices = [o.get("name") for o in record.get("offices") or [] if isinstance(o, dict)]
        departments = [
            d.get("name") for d in record.get("departments") or [] if isinstance(d, dict)
        ]
        content = record.get("content")
        return self.new_item(
            record,
            external_id=record.get("id"),
            title=record.get("title"),
            company=record.get("company_name") or self.company or self.board,
            url=record.get("absolute_url"),
            # The office list is only a fallback: it is often just "US" or a region.
            locations=[location] if location else offices,
            employment_type=_metadata_value(record.get("metadata"), _EMPLOYMENT_KEY),
            description_html=maybe_unescape_html(content) if isinstance(content, str) else None,
            posted_at=record.get("first_published") or record.get("updated_at"),
            deadline=record.get("application_deadline"),
            department=next((d for d in departments if d), None),
        )


def _metadata_value(metadata: Any, key: re.Pattern[str]) -> str | None:
    """Greenhouse custom fields: [{"name": ..., "value": ...}]; boards that
    track employment type usually expose it here."""
    if not isinstance(metadata, list):
        return None
    for entry in metadata:
        if not isinstance(entry, dict) or not key.search(str(entry.get("name") or "")):
            continue
        value = entry.get("value")
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value if v)
        if value:
            return str(value)
    return None
