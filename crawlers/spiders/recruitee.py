"""Recruitee careers-site API: one request returns the company's published offers.

The API lives on the company's own subdomain, `https://{board}.recruitee.com/api/offers/`;
a board that is a host name (`careers.acme.com`, a custom careers domain) is used as is.
"""

from __future__ import annotations

import re
from typing import Any

from scrapy.http import Response

from crawlers.items import PostingItem
from crawlers.spiders.base import ListingError, PostingSpider
from crawlers.spiders.paging import amount_text

_EMPLOYMENT = {
    "fulltime": "Full-time",
    "parttime": "Part-time",
    "fulltime_fixed_term": "Full-time, fixed term",
    "parttime_fixed_term": "Part-time, fixed term",
    "fulltime_permanent": "Full-time, permanent",
    "parttime_permanent": "Part-time, permanent",
    "internship": "Internship",
    "trainee": "Trainee",
    "contract": "Contract",
    "temporary": "Temporary",
    "freelance": "Freelance",
    "volunteer": "Volunteer",
}
_PERIODS = {
    "hour": "per hour",
    "day": "per day",
    "week": "per week",
    "month": "per month",
    "year": "per year",
}
# "2024-05-01 10:00:00 UTC"
_UTC_STAMP = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*UTC$")
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$", re.IGNORECASE)


class RecruiteeSpider(PostingSpider):
    name = "recruitee"
    # The real origin is the board's subdomain (see __init__); this groups
    # Recruitee sources for crawl scheduling.
    default_origin = "https://recruitee.com"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        board = self.board.strip().lower()
        if "." in board:
            host = board  # a custom careers domain
        elif _LABEL.match(board):
            host = f"{board}.recruitee.com"
        else:
            raise ValueError(f"a Recruitee board is the company's subdomain, got {self.board!r}")
        self.default_origin = f"https://{host}"  # type: ignore[misc]

    def listing_urls(self) -> list[str]:
        return [self.api_url("/api/offers/")]

    def records_from_payload(self, payload: Any, response: Response) -> list[Any]:
        if not isinstance(payload, dict) or not isinstance(payload.get("offers"), list):
            raise ListingError("Recruitee payload has no 'offers' list")
        return payload["offers"]

    def parse_record(self, record: Any, response: Response) -> PostingItem | None:
        if not isinstance(record, dict):
            raise TypeError(f"offer is a {type(record).__name__}, not an object")
        salary = record.get("salary") if isinstance(record.get("salary"), dict) else {}
        code = str(record.get("employment_type_code") or "").strip().lower()
        status = record.get("status")
        return self.new_item(
            record,
            external_id=record.get("id"),
            title=record.get("title"),
            company=record.get("company_name") or self.company or self.board,
            url=record.get("careers_url"),
            apply_url=record.get("careers_apply_url"),
            locations=_locations(record),
            workplace_type=_workplace(record),
            employment_type=_EMPLOYMENT.get(code, code.replace("_", " ")) or None,
            description_html=_description(record),
            posted_at=utc_stamp(record.get("published_at") or record.get("created_at")),
            deadline=utc_stamp(record.get("close_at")),
            salary_min=salary.get("min"),
            salary_max=salary.get("max"),
            salary_currency=salary.get("currency"),
            salary_text=_salary_text(salary),
            department=record.get("department"),
            is_open=status is None or str(status).lower() == "published",
        )


def utc_stamp(value: Any) -> Any:
    """Recruitee's "2024-05-01 10:00:00 UTC" as ISO 8601; anything else unchanged."""
    if not isinstance(value, str):
        return value
    match = _UTC_STAMP.match(value.strip())
    return f"{match[1]}T{match[2]}+00:00" if match else value


def _locations(record: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for loc in record.get("locations") or []:
        if isinstance(loc, dict):
            parts = [loc.get("city"), loc.get("state_name") or loc.get("state"), loc.get("country")]
            text = ", ".join(str(p).strip() for p in parts if p and str(p).strip())
            if text:
                out.append(text)
    if not out:
        location = record.get("location")
        if isinstance(location, str) and location.strip():
            out.append(location)
        else:
            parts = [record.get("city"), record.get("country")]
            text = ", ".join(str(p).strip() for p in parts if p and str(p).strip())
            if text:
                out.append(text)
    return out


def _workplace(record: dict[str, Any]) -> str | None:
    if record.get("remote") is True:
        return "remote"
    if record.get("hybrid") is True:
        return "hybrid"
    if record.get("on_site") is True:
        return "onsite"
    return None


def _description(record: dict[str, Any]) -> str | None:
    parts: list[str] = []
    description = record.get("description")
    if isinstance(description, str) and description.strip():
        parts.append(description)
    requirements = record.get("requirements")
    if isinstance(requirements, str) and requirements.strip():
        parts.append(f"<h3>Requirements</h3>{requirements}")
    return "\n".join(parts) or None


def _salary_text(salary: dict[str, Any]) -> str | None:
    low, high = salary.get("min"), salary.get("max")
    amounts = "–".join(amount_text(v) for v in (low, high) if v not in (None, ""))
    if not amounts:
        return None
    period = str(salary.get("period") or "").strip().lower()
    period = _PERIODS.get(period, period)
    return " ".join(p for p in (str(salary.get("currency") or ""), amounts, period) if p)
