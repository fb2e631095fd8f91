"""Ashby public job board API: one request returns the whole board."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from scrapy.http import Response

from crawlers.items import PostingItem
from crawlers.spiders.base import ListingError, PostingSpider


class AshbySpider(PostingSpider):
    name = "ashby"
    default_origin = "https://api.ashbyhq.com"

    def listing_urls(self) -> list[str]:
        org = quote(self.board, safe="")
        return [self.api_url(f"/posting-api/job-board/{org}?includeCompensation=true")]

    def records_from_payload(self, payload: Any, response: Response) -> list[Any]:
        if not isinstance(payload, dict) or not isinstance(payload.get("jobs"), list):
            raise ListingError("Ashby payload has no 'jobs' list")
        return payload["jobs"]

    def parse_record(self, record: Any, response: Response) -> PostingItem | None:
        if not isinstance(record, dict):
            raise TypeError(f"job is a {type(record).__name__}, not an object")
        if record.get("isListed") is False:
            return None  # hidden from the public board: not a posting to show
        locations = [record.get("location")] + [
            s.get("location") for s in record.get("secondaryLocations") or [] if isinstance(s, dict)
        ]
        workplace = record.get("workplaceType")
        if not workplace and record.get("isRemote") is True:
            workplace = "remote"
        salary = _salary_component(record.get("compensation"))
        return self.new_item(
            record,
            external_id=record.get("id"),
            title=record.get("title"),
            company=self.company or self.board,
            url=record.get("jobUrl"),
            apply_url=record.get("applyUrl"),
            locations=locations,
            workplace_type=workplace,
            employment_type=record.get("employmentType"),
            description_html=record.get("descriptionHtml"),
            description_text=record.get("descriptionPlain"),
            posted_at=record.get("publishedAt"),
            salary_min=salary.get("minValue"),
            salary_max=salary.get("maxValue"),
            salary_currency=salary.get("currencyCode"),
            salary_text=(record.get("compensation") or {}).get("compensationTierSummary"),
            department=record.get("department") or record.get("team"),
        )


def _salary_component(compensation: Any) -> dict[str, Any]:
    """The salary part of Ashby's compensation summary (it also lists equity,
    bonus... which are not a salary range)."""
    if not isinstance(compensation, dict):
        return {}
    components = [c for c in compensation.get("summaryComponents") or [] if isinstance(c, dict)]
    for component in components:
        if str(component.get("compensationType") or "").lower() == "salary":
            return component
    for component in components:
        has_range = component.get("minValue") is not None or component.get("maxValue") is not None
        is_equity = str(component.get("compensationType") or "").lower() == "equitypercentage"
        if has_range and not is_equity:
            return component
    return {}
