"""USAJOBS Search API (US federal jobs), by default the students' hiring path
and internship positions: Pathways internships.

The API wants a (free) key and the requester's email on every request. They come
from the source's `api_key` / `email` options or the USAJOBS_API_KEY /
USAJOBS_EMAIL environment variables; without them this source fails at once,
before any request. The key is only ever sent as the Authorization-Key header:
it is not logged, not put in URLs and not followed through redirects.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from scrapy.http import Request, Response

from crawlers.items import PostingItem
from crawlers.spiders.base import ListingError, PostingSpider
from crawlers.spiders.paging import MAX_PAGES, Pager, amount_text, as_int, follow_pages

API_KEY_ENV = "USAJOBS_API_KEY"
EMAIL_ENV = "USAJOBS_EMAIL"
DEFAULT_HIRING_PATH = "student"
DEFAULT_POSITION_OFFERING_TYPE = "15328"  # "Internships"
DEFAULT_RESULTS_PER_PAGE = 250
MAX_RESULTS_PER_PAGE = 500  # the API's maximum
# Federal jobs are government: the matcher's "nonprofit" sector.
DEFAULT_SECTOR_HINT = "nonprofit"

# Hiring path codes (USAJOBS code list "HiringPath") -> what USAJOBS shows.
HIRING_PATHS = {
    "disability": "Individuals with disabilities",
    "fed": "Federal employees",
    "fed-competitive": "Federal employees - Competitive service",
    "fed-excepted": "Federal employees - Excepted service",
    "fed-internal-nosearch": "Internal to an agency",
    "fed-internal-search": "Internal to an agency",
    "fed-transition": "Career transition (CTAP, ICTAP, RPL)",
    "graduates": "Recent graduates",
    "land": "Land & base management",
    "mspouse": "Military spouses",
    "native": "Native Americans",
    "nguard": "National Guard & Reserves",
    "nopublic": "Custom announcement",
    "overseas": "Family of overseas employees",
    "peace": "Peace Corps & AmeriCorps Vista",
    "public": "The public",
    "se-other": "Senior executives - Other",
    "ses": "Senior executives",
    "special-authorities": "Special authorities",
    "student": "Students",
    "vet": "Veterans",
}
_RATE_INTERVALS = {
    "PA": "per year",
    "PH": "per hour",
    "PD": "per day",
    "PW": "per week",
    "BW": "every two weeks",
    "PM": "per month",
    "FB": "fee basis",
    "WC": "without compensation",
}


class UsajobsSpider(PostingSpider):
    name = "usajobs"
    default_origin = "https://data.usajobs.gov"

    def __init__(
        self,
        *args: Any,
        api_key: str | None = None,
        email: str | None = None,
        keyword: str | list[str] | None = None,
        hiring_path: str | list[str] | None = DEFAULT_HIRING_PATH,
        position_offering_type: str | list[str] | int | None = DEFAULT_POSITION_OFFERING_TYPE,
        results_per_page: int | str = DEFAULT_RESULTS_PER_PAGE,
        max_pages: int | str = MAX_PAGES,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        # Private attributes: Scrapy would otherwise keep unknown kwargs as public ones.
        self._api_key = (api_key or os.environ.get(API_KEY_ENV) or "").strip()
        self._email = (email or os.environ.get(EMAIL_ENV) or "").strip()
        self.keyword = _param(keyword)
        self.hiring_path = _param(hiring_path)
        self.position_offering_type = _param(position_offering_type)
        self.results_per_page = min(MAX_RESULTS_PER_PAGE, max(1, int(results_per_page)))
        self.pager = Pager(self.results_per_page, max_pages=int(max_pages))
        if self.sector_hint is None:
            self.sector_hint = DEFAULT_SECTOR_HINT

    def __repr__(self) -> str:  # never show the key, whatever prints the spider
        return f"<{type(self).__name__} {self.name!r} board={self.board!r}>"

    # ------------------------------------------------------------ requests

    def page_url(self, page: int) -> str:
        params: dict[str, Any] = {}
        if self.keyword:
            params["Keyword"] = self.keyword
        if self.hiring_path:
            params["HiringPath"] = self.hiring_path
        if self.position_offering_type:
            params["PositionOfferingTypeCode"] = self.position_offering_type
        params["ResultsPerPage"] = self.results_per_page
        params["Page"] = page
        return self.api_url(f"/api/search?{urlencode(params)}")

    def listing_urls(self) -> list[str]:
        return [self.page_url(1)]

    def credentials_problem(self) -> str | None:
        missing = []
        if not self._api_key:
            missing.append(f"USAJOBS needs an API key: set api_key in the source or {API_KEY_ENV}")
        if not self._email:
            missing.append(
                "USAJOBS needs the requester's email (sent as User-Agent): "
                f"set email in the source or {EMAIL_ENV}"
            )
        return "; ".join(missing) or None

    def page_request(self, page: int) -> Request:
        url = self.page_url(page)
        request = self.listing_request(
            url,
            headers={
                "Authorization-Key": self._api_key,
                "User-Agent": self._email,
                "Host": urlsplit(url).netloc,
            },
        )
        # Scrapy keeps custom headers across redirects, even to another host.
        request.meta["dont_redirect"] = True
        return request

    def start_requests(self) -> Iterator[Request]:
        problem = self.credentials_problem()
        if problem:
            self.fail_listing(problem, self.listing_urls()[0])
            return
        self.logger.info("%s: fetching %s", self.source_name, self.listing_urls()[0])
        yield self.page_request(1)

    # ------------------------------------------------------------ parsing

    def records_from_payload(self, payload: Any, response: Response) -> list[Any]:
        result = payload.get("SearchResult") if isinstance(payload, dict) else None
        if not isinstance(result, dict):
            raise ListingError("USAJOBS payload has no 'SearchResult' object")
        items = result.get("SearchResultItems", [])
        if not isinstance(items, list):
            raise ListingError("USAJOBS 'SearchResultItems' is not a list")
        return items

    def follow_up(self, response: Response, payload: Any, records: list[Any]) -> Iterable[Request]:
        result = payload["SearchResult"]
        page = as_int(parse_qs(urlsplit(response.url).query).get("Page", ["1"])[0]) or 1
        user_area = result.get("UserArea") if isinstance(result.get("UserArea"), dict) else {}
        yield from follow_pages(
            self,
            self.pager,
            response,
            offset=(page - 1) * self.results_per_page,
            count=len(records),
            total=result.get("SearchResultCountAll"),
            ids=[r.get("MatchedObjectId") for r in records if isinstance(r, dict)],
            page_count=user_area.get("NumberOfPages"),
            page=page,
            next_request=lambda _offset: self.page_request(page + 1),
        )

    def parse_record(self, record: Any, response: Response) -> PostingItem | None:
        if not isinstance(record, dict):
            raise TypeError(f"search result is a {type(record).__name__}, not an object")
        job = record.get("MatchedObjectDescriptor")
        if not isinstance(job, dict):
            raise TypeError("search result has no MatchedObjectDescriptor")
        details = _dict(_dict(job.get("UserArea")).get("Details"))
        pay = _dict(_first(job.get("PositionRemuneration")))
        locations = [
            loc.get("LocationName")
            for loc in job.get("PositionLocation") or []
            if isinstance(loc, dict)
        ]
        return self.new_item(
            record,
            external_id=record.get("MatchedObjectId") or job.get("PositionID"),
            title=job.get("PositionTitle"),
            company=job.get("OrganizationName") or job.get("DepartmentName") or self.company,
            url=job.get("PositionURI"),
            apply_url=_first(job.get("ApplyURI")),
            locations=[loc for loc in locations if loc] or [job.get("PositionLocationDisplay")],
            workplace_type="remote" if details.get("RemoteIndicator") is True else None,
            employment_type=_employment_type(job, details),
            description_text=_description(job, details),
            posted_at=job.get("PublicationStartDate"),
            deadline=job.get("ApplicationCloseDate"),
            salary_min=pay.get("MinimumRange"),
            salary_max=pay.get("MaximumRange"),
            salary_currency="USD" if pay else None,
            salary_text=_salary_text(pay, job, details),
            department=job.get("DepartmentName"),
        )


def _param(value: Any) -> str | None:
    """An option as a query value: lists are joined with ';' (the API's separator)."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        value = ";".join(str(v).strip() for v in value if str(v).strip())
    text = str(value).strip()
    return text or None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _first(value: Any) -> Any:
    if isinstance(value, list) and value:
        return value[0]
    return {} if isinstance(value, list) or value is None else value


def _names(entries: Any) -> list[str]:
    return [
        str(e.get("Name")).strip()
        for e in entries or []
        if isinstance(e, dict) and str(e.get("Name") or "").strip()
    ]


def _employment_type(job: dict[str, Any], details: dict[str, Any]) -> str | None:
    """Offering type, hiring path and schedule: "Internships; Students; Full-time"."""
    paths = details.get("HiringPath")
    if isinstance(paths, str):
        paths = [paths]
    path_names = [
        HIRING_PATHS.get(str(p).strip().lower(), str(p).strip())
        for p in paths or []
        if str(p).strip()
    ]
    parts = [*_names(job.get("PositionOfferingType")), *path_names]
    parts += _names(job.get("PositionSchedule"))
    return "; ".join(dict.fromkeys(parts)) or None


def _description(job: dict[str, Any], details: dict[str, Any]) -> str | None:
    sections: list[str] = []

    def add(heading: str, value: Any) -> None:
        if isinstance(value, list):
            lines = [f"- {str(v).strip()}" for v in value if str(v or "").strip()]
            body = "\n".join(lines)
        else:
            body = str(value).strip() if value is not None else ""
        if body:
            sections.append(f"{heading}\n{body}")

    add("Summary", details.get("JobSummary"))
    add("Duties", details.get("MajorDuties"))
    add("Qualifications", job.get("QualificationSummary"))
    add("Education", details.get("Education"))
    add("Requirements", details.get("Requirements"))
    return "\n\n".join(sections) or None


def _salary_text(pay: dict[str, Any], job: dict[str, Any], details: dict[str, Any]) -> str | None:
    parts: list[str] = []
    if isinstance(pay, dict):
        amounts = "–".join(
            amount_text(v) for v in (pay.get("MinimumRange"), pay.get("MaximumRange")) if v
        )
        if amounts:
            interval = str(pay.get("RateIntervalCode") or "").strip()
            interval = _RATE_INTERVALS.get(interval.upper(), interval.lower())
            parts.append(" ".join(p for p in ("USD", amounts, interval) if p))
    plan = str(_dict(_first(job.get("JobGrade"))).get("Code") or "").strip()
    low = str(details.get("LowGrade") or "").strip()
    high = str(details.get("HighGrade") or "").strip()
    grades = "–".join(dict.fromkeys(g for g in (low, high) if g))
    if grades:
        parts.append(f"{plan}-{grades}" if plan else f"grade {grades}")
    return ", ".join(parts) or None
