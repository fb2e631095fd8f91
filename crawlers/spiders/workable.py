"""Workable's public widget API: one request returns the account's open jobs.

`GET /api/v1/widget/accounts/{account}` answers `{name, description, jobs: [...]}`;
with `details=true` each job also carries its `description` (HTML). Without it
the listing has titles, locations and dates only, which is still stored.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from scrapy.http import Response

from crawlers.items import PostingItem
from crawlers.spiders.base import ListingError, PostingSpider
from crawlers.spiders.paging import option_bool

PUBLIC_ORIGIN = "https://apply.workable.com"


class WorkableSpider(PostingSpider):
    name = "workable"
    default_origin = "https://apply.workable.com"

    def __init__(self, *args: Any, details: bool | str = True, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.details = option_bool(details)
        self.account_name: str | None = None

    def listing_urls(self) -> list[str]:
        account = quote(self.board, safe="")
        query = "?details=true" if self.details else ""
        return [self.api_url(f"/api/v1/widget/accounts/{account}{query}")]

    def records_from_payload(self, payload: Any, response: Response) -> list[Any]:
        if not isinstance(payload, dict) or not isinstance(payload.get("jobs"), list):
            raise ListingError("Workable payload has no 'jobs' list")
        name = payload.get("name")
        self.account_name = name.strip() or None if isinstance(name, str) else None
        return payload["jobs"]

    def parse_record(self, record: Any, response: Response) -> PostingItem | None:
        if not isinstance(record, dict):
            raise TypeError(f"job is a {type(record).__name__}, not an object")
        shortcode = record.get("shortcode")
        url = record.get("url") or record.get("shortlink")
        if not url and shortcode:
            url = (
                f"{PUBLIC_ORIGIN}/{quote(self.board, safe='')}/j/{quote(str(shortcode), safe='')}/"
            )
        description = record.get("description")
        return self.new_item(
            record,
            external_id=shortcode,
            title=record.get("title"),
            company=self.account_name or self.company or self.board,
            url=url,
            apply_url=record.get("application_url"),
            locations=_locations(record),
            workplace_type=record.get("workplace")  # newer accounts: on_site | hybrid | remote
            or ("remote" if record.get("telecommuting") is True else None),
            employment_type=record.get("employment_type"),
            description_html=description if isinstance(description, str) else None,
            posted_at=record.get("published_on") or record.get("created_at"),
            department=record.get("department") or record.get("function"),
        )


def _locations(record: dict[str, Any]) -> list[str]:
    """The job's visible locations ("City, Region, Country"), else its main one."""
    out: list[str] = []
    for loc in record.get("locations") or []:
        if not isinstance(loc, dict) or loc.get("hidden") is True:
            continue
        text = _join(loc.get("city"), loc.get("region"), loc.get("country"))
        if text:
            out.append(text)
    if not out:
        text = _join(record.get("city"), record.get("state"), record.get("country"))
        if text:
            out.append(text)
    return out


def _join(*parts: Any) -> str | None:
    seen: list[str] = []
    for part in parts:
        text = str(part).strip() if part is not None else ""
        if text and text not in seen:
            seen.append(text)
    return ", ".join(seen) or None
