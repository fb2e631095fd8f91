"""Workday career sites through their CXS JSON API: a POSTed, paged search,
then one detail request per posting for the description.

A board is `tenant/site` (`https://acme.wd5.myworkdayjobs.com/External` is
tenant `acme`, site `External`, host `wd5`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from scrapy.http import Request, Response

from crawlers.items import PostingItem
from crawlers.spiders.base import ListingError, PostingSpider
from crawlers.spiders.paging import MAX_PAGES, Pager, as_int, follow_pages, option_bool

DEFAULT_HOST = "wd1"
DEFAULT_SEARCH_TEXT = "intern"
DEFAULT_PAGE_SIZE = 20  # Workday rejects larger pages
_POSTED = re.compile(r"posted\s+(?:(today)|(yesterday)|(\d+)\s+days?\s+ago)\s*$", re.IGNORECASE)
# locationsText when a posting has several: "3 Locations"
_SEVERAL_LOCATIONS = re.compile(r"^\s*\d+\s+locations?\s*$", re.IGNORECASE)
_HOST = re.compile(r"^[a-z0-9-]+$", re.IGNORECASE)


class WorkdaySpider(PostingSpider):
    name = "workday"
    # Every tenant lives under this domain; the real origin depends on the board
    # (see __init__), so this only groups Workday sources for crawl scheduling.
    default_origin = "https://myworkdayjobs.com"

    def __init__(
        self,
        *args: Any,
        host: str | None = None,
        search_text: str | None = None,
        page_size: int | str = DEFAULT_PAGE_SIZE,
        details: bool | str = True,
        max_pages: int | str = MAX_PAGES,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        tenant, sep, site = self.board.strip("/").partition("/")
        if not sep or not tenant or not site or "/" in site:
            raise ValueError(
                f"a Workday board is 'tenant/site' (e.g. 'acme/External'), got {self.board!r}"
            )
        self.tenant, self.site = tenant, site
        self.host = (host or DEFAULT_HOST).strip().strip(".") or DEFAULT_HOST
        if not _HOST.match(self.host):
            raise ValueError(f"Workday host must look like 'wd5', got {self.host!r}")
        # The public site, also the API origin unless base_url replaces it.
        self.public_origin = f"https://{self.tenant}.{self.host}.myworkdayjobs.com"
        self.default_origin = self.public_origin  # type: ignore[misc]
        self.search_text = DEFAULT_SEARCH_TEXT if search_text is None else str(search_text)
        self.page_size = min(DEFAULT_PAGE_SIZE, max(1, int(page_size)))
        self.details = option_bool(details)
        self.pager = Pager(self.page_size, max_pages=int(max_pages))
        # "Posted 3 Days Ago" is read against the crawl's start.
        self.crawl_time = datetime.now(UTC)

    # ------------------------------------------------------------ requests

    def cxs_path(self, rest: str = "") -> str:
        return f"/wday/cxs/{quote(self.tenant, safe='')}/{quote(self.site, safe='')}{rest}"

    def listing_urls(self) -> list[str]:
        return [self.api_url(self.cxs_path("/jobs"))]

    def search_body(self, offset: int) -> dict[str, Any]:
        return {
            "appliedFacets": {},
            "limit": self.page_size,
            "offset": offset,
            "searchText": self.search_text,
        }

    def page_request(self, offset: int) -> Request:
        return self.listing_request(
            self.listing_urls()[0],
            method="POST",
            body=json.dumps(self.search_body(offset)),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )

    def start_requests(self) -> Iterable[Request]:
        self.logger.info("%s: searching %s", self.source_name, self.listing_urls()[0])
        yield self.page_request(0)

    # ------------------------------------------------------------ parsing

    def records_from_payload(self, payload: Any, response: Response) -> list[Any]:
        if not isinstance(payload, dict):
            raise ListingError("Workday payload is not an object")
        postings = payload.get("jobPostings", [] if as_int(payload.get("total")) == 0 else None)
        if not isinstance(postings, list):
            raise ListingError("Workday payload has no 'jobPostings' list")
        return postings

    def follow_up(self, response: Response, payload: Any, records: list[Any]) -> Iterable[Request]:
        yield from follow_pages(
            self,
            self.pager,
            response,
            offset=_request_offset(response),
            count=len(records),
            total=payload.get("total"),
            ids=[r.get("externalPath") for r in records if isinstance(r, dict)],
            next_request=self.page_request,
        )

    def parse_record(self, record: Any, response: Response) -> PostingItem | Request | None:
        if not isinstance(record, dict):
            raise TypeError(f"job posting is a {type(record).__name__}, not an object")
        path = _external_path(record.get("externalPath"))
        locations_text = record.get("locationsText")
        several = isinstance(locations_text, str) and _SEVERAL_LOCATIONS.match(locations_text)
        item = self.new_item(
            record,
            # The path, not jobReqId: it is known without the detail (so a failed
            # detail keeps the same id) and one requisition may have several postings.
            external_id=path,
            title=record.get("title"),
            company=self.company or self.tenant,
            url=f"{self.public_origin}/{self.site}{path}" if path else None,
            locations=[] if several else [locations_text],
            posted_at=posted_on_date(record.get("postedOn"), self.crawl_time),
        )
        if self.details and path:
            return self.detail_request(self.api_url(self.cxs_path(path)), item)
        return item

    def merge_detail(self, item: PostingItem, payload: Any, response: Response) -> PostingItem:
        info = payload.get("jobPostingInfo") if isinstance(payload, dict) else None
        if not isinstance(info, dict):
            raise ValueError("Workday detail has no 'jobPostingInfo' object")
        merged = item.copy()
        organization = payload.get("hiringOrganization")
        organization_name = organization.get("name") if isinstance(organization, dict) else None
        locations = [info.get("location")] + [
            loc for loc in info.get("additionalLocations") or [] if isinstance(loc, str)
        ]
        requisition = info.get("jobRequisitionLocation")
        if not any(locations) and isinstance(requisition, dict):
            locations = [requisition.get("descriptor")]
        updates = {
            "title": info.get("title"),
            "company": self.company or organization_name,
            "url": info.get("externalUrl"),
            "locations": [loc for loc in locations if loc],
            "workplace_type": info.get("remoteType"),
            "employment_type": info.get("timeType"),
            "description_html": info.get("jobDescription"),
            # The posting's start date: exact, where "Posted 30+ Days Ago" is not.
            "posted_at": info.get("startDate"),
        }
        for key, value in updates.items():
            if value not in (None, "", []):
                merged[key] = value
        if info.get("canApply") is False or info.get("posted") is False:
            merged["is_open"] = False
        detail = {k: v for k, v in payload.items() if k != "similarJobs"}
        merged["raw"] = {**item["raw"], "detail": detail}
        return merged


def posted_on_date(value: Any, now: datetime) -> str | None:
    """Workday's "Posted Today" / "Posted Yesterday" / "Posted 3 Days Ago" as an
    ISO date counted back from `now`; `None` for "Posted 30+ Days Ago" and for
    anything else (other languages)."""
    if not isinstance(value, str):
        return None
    match = _POSTED.search(value.strip())
    if not match:
        return None
    today, yesterday, days = match.groups()
    back = 0 if today else 1 if yesterday else int(days)
    return (now.astimezone(UTC).date() - timedelta(days=back)).isoformat()


def _external_path(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    path = value.strip()
    return path if path.startswith("/") else "/" + path


def _request_offset(response: Response) -> int:
    """The offset this page was asked for (it is in the POST body)."""
    request = getattr(response, "request", None)
    try:
        body = json.loads(request.body or b"{}") if request is not None else {}
    except ValueError:
        body = {}
    return (as_int(body.get("offset")) if isinstance(body, dict) else None) or 0
