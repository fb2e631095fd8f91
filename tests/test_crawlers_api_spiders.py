"""The paged/detail API spiders (SmartRecruiters, Workday, USAJOBS) and the
one-request ones (Workable, Recruitee): parsers on recorded real payloads
(../shared/realdata) and on our own fixtures in the same shapes, fed as
hand-built responses; paging and detail requests; and one whole crawl per kind
against a local ReplayServer."""

from __future__ import annotations

import json
import logging
import subprocess
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from crawlers_conftest_helpers import (
    FAST_SETTINGS,
    build_all,
    by_id,
    fixture,
    json_response,
    load_fixture,
    parse_listing,
    realdata,
)
from scrapy.http import Request, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

import store
from crawlers import settings as crawl_settings
from crawlers.items import PostingItem
from crawlers.run import CrawlSubprocessError, run_crawl_subprocess
from crawlers.spiders.base import PostingSpider
from crawlers.spiders.paging import Pager, PagingError, amount_text, follow_pages
from crawlers.spiders.recruitee import RecruiteeSpider, utc_stamp
from crawlers.spiders.smartrecruiters import SmartRecruitersSpider
from crawlers.spiders.usajobs import API_KEY_ENV, EMAIL_ENV, UsajobsSpider
from crawlers.spiders.workable import WorkableSpider
from crawlers.spiders.workday import WorkdaySpider, posted_on_date
from internscout.replay import Reply, serving

SECRET_KEY = "k3y-Sh0uld-N3ver-Appear-1n-L0gs"
CRAWL_TIME = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def api_fixture(name: str) -> Any:
    return load_fixture(f"api/{name}")


def split(outputs: Iterable[Any]) -> tuple[list[PostingItem], list[Request]]:
    items: list[PostingItem] = []
    requests: list[Request] = []
    for out in outputs:
        if isinstance(out, Request):
            requests.append(out)
        else:
            assert isinstance(out, PostingItem), f"unexpected output {out!r}"
            items.append(out)
    return items, requests


def detail_items(spider: PostingSpider, requests: list[Request], payloads: dict[str, Any]) -> list:
    """Answer each detail request with payloads[url] (JSON) as the downloader would."""
    items: list[PostingItem] = []
    for request in requests:
        response = json_response(request.url, payloads[request.url])
        items += split(request.callback(response, **request.cb_kwargs))[0]
    return items


def http_failure(request: Request, status: int) -> Failure:
    response = json_response(request.url, b"upstream error")
    response.status = status  # type: ignore[misc]
    failure = Failure(HttpError(response, "Ignoring non-200 response"))
    failure.request = request  # type: ignore[attr-defined]
    return failure


def post_response(request: Request, body: Any) -> TextResponse:
    """A response to a POSTed listing request (Workday), keeping the request's body."""
    return TextResponse(
        url=request.url,
        body=json.dumps(body).encode("utf-8"),
        encoding="utf-8",
        headers={"Content-Type": "application/json"},
        request=request,
    )


# ================================================================ paging


def test_pager_stops_at_the_first_total_and_not_at_later_zero_totals() -> None:
    pager = Pager(page_size=2)
    assert pager.advance(offset=0, count=2, total=5, ids=["a", "b"]) == 2
    # Workday reports total 0 after the first page: keep going by the first total.
    assert pager.advance(offset=2, count=2, total=0, ids=["c", "d"]) == 4
    assert pager.advance(offset=4, count=1, total=0, ids=["e"]) is None
    assert (pager.pages, pager.records, pager.total) == (3, 5, 5)
    assert pager.stop_reason == "all 5 records read"


def test_pager_without_total_stops_at_a_short_or_empty_page() -> None:
    pager = Pager(page_size=3)
    assert pager.advance(offset=0, count=3) == 3
    assert pager.advance(offset=3, count=2) is None and pager.stop_reason == "short page"
    assert Pager(page_size=3).advance(offset=0, count=0, total=7) is None  # empty page


def test_pager_page_count_and_server_capped_page_size() -> None:
    pager = Pager(page_size=10)
    # The server returned fewer than asked but announces more: continue after what came.
    assert pager.advance(offset=0, count=5, total=12, page_count="3", page=1) == 5
    assert pager.advance(offset=5, count=5, total=12, page_count="3", page=3) is None
    assert pager.stop_reason == "last of 3 pages"


def test_pager_notices_a_server_ignoring_the_offset() -> None:
    pager = Pager(page_size=2)
    assert pager.advance(offset=0, count=2, ids=["a", "b"]) == 2
    assert pager.advance(offset=2, count=2, ids=["a", "b"]) is None
    assert pager.suspicious
    with_total = Pager(page_size=2)
    with_total.advance(offset=0, count=2, total=10, ids=["a", "b"])
    with pytest.raises(PagingError, match="read 4 of 10"):
        with_total.advance(offset=2, count=2, total=10, ids=["a", "b"])


def test_pager_page_cap_fails_the_listing() -> None:
    spider = SmartRecruitersSpider(board="acme", max_pages=2)
    pager = Pager(page_size=1, max_pages=2)
    response = json_response(spider.page_url(0), {})

    def follow(offset: int) -> list[Request]:
        return list(
            follow_pages(
                spider,
                pager,
                response,
                offset=offset,
                count=1,
                ids=[str(offset)],
                next_request=lambda start: spider.listing_request(spider.page_url(start)),
            )
        )

    assert len(follow(0)) == 1
    assert follow(1) == []
    assert spider.listing_failed
    assert "incomplete listing: more than 2 pages" in (spider.listing_failure or "")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (97738.0, "97,738"),
        ("35519.0", "35,519"),
        (34.5, "34.50"),
        ("18.12", "18.12"),
        ("n/a", "n/a"),
    ],
)
def test_amount_text(value: Any, text: str) -> None:
    assert amount_text(value) == text


# ================================================================ smartrecruiters


def test_smartrecruiters_listing_urls() -> None:
    assert SmartRecruitersSpider(board="WesternDigital").listing_urls() == [
        "https://api.smartrecruiters.com/v1/companies/WesternDigital/postings?offset=0&limit=100"
    ]
    spider = SmartRecruitersSpider(
        board="Acme Co", base_url="http://127.0.0.1:9/", query="intern", page_size="500"
    )
    assert spider.listing_urls() == [
        "http://127.0.0.1:9/v1/companies/Acme%20Co/postings?offset=0&limit=100&q=intern"
    ]
    assert spider.detail_url("42") == "http://127.0.0.1:9/v1/companies/Acme%20Co/postings/42"


def test_smartrecruiters_real_listing_asks_for_each_detail() -> None:
    body = realdata("smartrecruiters/westerndigital_postings.json").read_bytes()
    spider = SmartRecruitersSpider(board="WesternDigital")
    items, requests = parse_listing(spider, body)
    assert items == [] and not spider.listing_failed
    assert [r.url for r in requests] == [
        f"https://api.smartrecruiters.com/v1/companies/WesternDigital/postings/{n}"
        for n in ("744000141247940", "744000141229015", "744000141229499")
    ]  # totalFound 3: no further page
    assert all(r.callback == spider.parse_detail for r in requests)


def test_smartrecruiters_real_listing_without_details() -> None:
    body = realdata("smartrecruiters/westerndigital_postings.json").read_bytes()
    items, requests = parse_listing(
        SmartRecruitersSpider(board="WesternDigital", details="false"), body
    )
    postings, rejected = build_all(items)
    assert not requests and not rejected
    intern = by_id(postings)["744000141229015"]
    assert intern.title == "Intern - Data Science"
    assert intern.company == "Western Digital"
    assert intern.employment_type == "Intern; Internship"
    assert intern.url == "https://jobs.smartrecruiters.com/WesternDigital/744000141229015"
    assert intern.locations == ["Bayan Lepas, Penang, Malaysia"]
    assert intern.workplace_type == "onsite"  # remote: false, hybrid: false
    assert intern.description_text is None
    manager = by_id(postings)["744000141247940"]
    assert manager.employment_type == "Full-time; Associate"
    assert manager.department == "Finance"  # empty department: the function
    assert manager.posted_at == datetime(2026, 8, 3, 12, 14, 4, 401000, tzinfo=UTC)


def test_smartrecruiters_real_detail_merge() -> None:
    detail = json.loads(realdata("smartrecruiters/posting_detail.json").read_text("utf-8"))
    spider = SmartRecruitersSpider(board="WesternDigital")
    listing = {k: v for k, v in detail.items() if k not in ("jobAd", "postingUrl", "applyUrl")}
    _, requests = parse_listing(
        spider, {"offset": 0, "limit": 100, "totalFound": 1, "content": [listing]}
    )
    (posting,), rejected = build_all(detail_items(spider, requests, {requests[0].url: detail}))
    assert not rejected
    assert posting.title == "Summer 2027 Intern - Hardware Engineering"
    assert posting.url == detail["postingUrl"] and posting.apply_url == detail["applyUrl"]
    assert posting.employment_type == "Intern; Internship"
    assert posting.workplace_type == "hybrid"
    assert (posting.salary_min, posting.salary_max, posting.salary_currency) == (34, 47, "USD")
    assert posting.salary_text == "USD 34–47 per hour"
    text = posting.description_text or ""
    order = [
        text.index(s)
        for s in ("Company Description", "Job Description", "Qualifications", "Additional Info")
    ]
    assert order == sorted(order)
    assert "<h3>Qualifications</h3>" in (posting.description_html or "")
    assert posting.raw["detail"]["id"] == "744000140949875"


def test_smartrecruiters_fixture_pages_and_merges() -> None:
    data = api_fixture("smartrecruiters_postings.json")
    spider = SmartRecruitersSpider(board="NorthwindLabs", page_size=2)
    first = {**data, "limit": 2, "content": data["content"][:2]}
    _, requests = parse_listing(spider, first, url=spider.page_url(0))
    details, pages = requests[:2], requests[2:]
    assert [r.url for r in pages] == [
        "https://api.smartrecruiters.com/v1/companies/NorthwindLabs/postings?offset=2&limit=2"
    ]
    second = {**data, "offset": 2, "limit": 2, "content": data["content"][2:]}
    _, more = parse_listing(spider, second, url=pages[0].url)
    assert [r.url.rsplit("/", 1)[1] for r in more] == ["743999900000003"]  # last page: no next
    detail = api_fixture("smartrecruiters_posting_detail.json")
    payloads = {
        details[0].url: detail,
        details[1].url: {"id": "743999900000002", "active": False},
        more[0].url: {"id": "743999900000003"},
    }
    postings, rejected = build_all(detail_items(spider, details + more, payloads))
    assert rejected == ["missing_title"]
    found = by_id(postings)
    ml = found["743999900000001"]
    assert ml.workplace_type == "remote"
    assert ml.department == "Applied Research"
    assert ml.salary_text == "USD 38.50–45 per hour"
    assert ml.description_text and "- Train demand forecasting models in PyTorch" in (
        ml.description_text
    )
    coop = found["743999900000002"]  # a detail without a job ad keeps the listing's fields
    assert coop.is_open is False
    assert coop.employment_type == "Full-time; Internship"
    assert coop.locations == ["Toronto, ON, ca"] and coop.workplace_type == "hybrid"
    assert coop.department == "Information Technology"
    assert coop.description_text is None


def test_smartrecruiters_detail_failure_keeps_the_listing_item() -> None:
    crawler = get_crawler(SmartRecruitersSpider)
    spider = SmartRecruitersSpider.from_crawler(crawler, board="NorthwindLabs")
    _, requests = parse_listing(spider, api_fixture("smartrecruiters_postings.json"))
    # (a) the detail still fails after retries
    items = list(spider.detail_errback(http_failure(requests[0], 503)))
    (posting,), _ = build_all(items)
    assert posting.external_id == "743999900000001"
    assert posting.title == "Machine Learning Intern (Summer 2027)"
    assert posting.description_text is None
    assert spider.failed_pages == [{"url": requests[0].url, "kind": "detail", "reason": "HTTP 503"}]
    # (b) the detail answers something that is not JSON
    response = json_response(requests[1].url, "<html>maintenance</html>", "text/html")
    (item,) = list(requests[1].callback(response, **requests[1].cb_kwargs))
    assert item["external_id"] == "743999900000002"
    assert spider.failed_pages[1]["kind"] == "detail"
    assert "expected JSON" in spider.failed_pages[1]["reason"]
    assert crawler.stats.get_value("internscout/failed_pages/detail") == 2
    assert not spider.listing_failed  # a detail is not the listing


# ================================================================ workday


def test_workday_board_and_origin() -> None:
    with pytest.raises(ValueError, match="tenant/site"):
        WorkdaySpider(board="acme")
    with pytest.raises(ValueError, match="tenant/site"):
        WorkdaySpider(board="acme/a/b")
    spider = WorkdaySpider(board="acme/External")
    assert spider.listing_urls() == [
        "https://acme.wd1.myworkdayjobs.com/wday/cxs/acme/External/jobs"
    ]
    spider = WorkdaySpider(board="synchronyfinancial/University", host="wd5")
    assert spider.listing_urls() == [
        "https://synchronyfinancial.wd5.myworkdayjobs.com/wday/cxs/synchronyfinancial/University/jobs"
    ]
    mirror = WorkdaySpider(board="acme/External", host="wd5", base_url="http://127.0.0.1:9")
    assert mirror.listing_urls() == ["http://127.0.0.1:9/wday/cxs/acme/External/jobs"]
    assert mirror.public_origin == "https://acme.wd5.myworkdayjobs.com"
    assert WorkdaySpider.listing_host() == "myworkdayjobs.com"  # all tenants: one host group


def test_workday_posts_a_json_search() -> None:
    spider = WorkdaySpider(board="acme/External", search_text="data intern")
    (request,) = list(spider.start_requests())
    assert request.method == "POST"
    assert request.headers[b"Content-Type"] == b"application/json"
    assert json.loads(request.body) == {
        "appliedFacets": {},
        "limit": 20,
        "offset": 0,
        "searchText": "data intern",
    }
    (default,) = list(WorkdaySpider(board="a/b").start_requests())
    assert json.loads(default.body)["searchText"] == "intern"


def test_workday_real_listing_page() -> None:
    body = json.loads(realdata("workday/cxs_jobs_page.json").read_text("utf-8"))
    spider = WorkdaySpider(board="acme/External", host="wd5")
    spider.crawl_time = CRAWL_TIME
    (first,) = list(spider.start_requests())
    items, requests = split(spider.parse_listing(post_response(first, body)))
    assert items == [] and len(requests) == 4  # total 4 on one page: no further page
    path = "/job/Boston/Quantitative-Researcher-Intern--Summer-2027_R1505"
    assert requests[0].url == f"https://acme.wd5.myworkdayjobs.com/wday/cxs/acme/External{path}"
    assert requests[0].method == "GET"
    listing = [r.cb_kwargs["item"] for r in requests]
    postings, rejected = build_all(listing)
    assert not rejected
    intern = postings[0]
    assert intern.external_id == path
    assert intern.url == f"https://acme.wd5.myworkdayjobs.com/External{path}"
    assert intern.locations == ["Boston"]
    assert intern.company == "acme"
    assert intern.posted_at == datetime(2026, 10, 15, tzinfo=UTC)  # "Posted 18 Days Ago"
    assert postings[3].posted_at is None  # "Posted 30+ Days Ago"


def test_workday_real_detail_merge() -> None:
    detail = json.loads(realdata("workday/cxs_job_detail.json").read_text("utf-8"))
    spider = WorkdaySpider(board="synchronyfinancial/University", host="wd5")
    listing = {
        "jobPostings": [
            {
                "title": "BLP Intern – Technology",
                "externalPath": "/job/Stamford-Hub/BLP-Intern---Technology_2601695-1",
                "locationsText": "Stamford Hub",
                "postedOn": "Posted 30+ Days Ago",
                "bulletFields": ["2601695"],
            }
        ],
        "total": 1,
    }
    (first,) = list(spider.start_requests())
    _, requests = split(spider.parse_listing(post_response(first, listing)))
    (posting,), _ = build_all(detail_items(spider, requests, {requests[0].url: detail}))
    assert posting.external_id == "/job/Stamford-Hub/BLP-Intern---Technology_2601695-1"
    assert posting.title == "BLP Intern – Technology"
    assert posting.company == "Synchrony Bank"
    assert posting.url == detail["jobPostingInfo"]["externalUrl"]
    assert posting.employment_type == "Full time"
    assert posting.posted_at == datetime(2026, 6, 16, tzinfo=UTC)  # startDate
    assert posting.locations == ["Stamford Hub"]
    assert posting.description_text and "Business Leadership Program" in posting.description_text
    assert posting.raw["detail"]["jobPostingInfo"]["jobReqId"] == "2601695"
    assert "similarJobs" not in posting.raw["detail"]


def test_workday_pages_by_the_first_total() -> None:
    data = api_fixture("workday_jobs.json")
    spider = WorkdaySpider(board="contoso/University", host="wd5", page_size=1, details=False)
    (request,) = list(spider.start_requests())
    seen: list[PostingItem] = []
    offsets: list[int] = []
    for n, record in enumerate(data["jobPostings"]):
        offsets.append(json.loads(request.body)["offset"])
        page = {"total": data["total"] if n == 0 else 0, "jobPostings": [record]}
        items, requests = split(spider.parse_listing(post_response(request, page)))
        seen += items
        if n < 2:
            (request,) = requests
        else:
            assert requests == []
    assert offsets == [0, 1, 2]
    postings, _ = build_all(seen)
    assert len(postings) == 3 and not spider.listing_failed
    assert postings[1].locations == []  # "2 Locations" is not a place


def test_workday_fixture_detail_and_detail_failure() -> None:
    crawler = get_crawler(WorkdaySpider)
    spider = WorkdaySpider.from_crawler(crawler, board="contoso/University", host="wd5")
    spider.crawl_time = CRAWL_TIME
    (first,) = list(spider.start_requests())
    _, requests = split(
        spider.parse_listing(post_response(first, api_fixture("workday_jobs.json")))
    )
    detail = api_fixture("workday_job_detail.json")
    (merged,) = detail_items(spider, requests[:1], {requests[0].url: detail})
    failed = list(spider.detail_errback(http_failure(requests[1], 500)))
    postings, _ = build_all([merged, *failed])
    ml, swe = postings
    assert ml.company == "Contoso Financial" and ml.workplace_type == "hybrid"
    assert ml.locations == ["Chicago, IL", "New York, NY"]
    assert ml.posted_at == datetime(2026, 10, 30, tzinfo=UTC)
    assert ml.employment_type == "Full time"
    # The failed detail: the listing-level posting, same id, recorded for a retry.
    assert swe.external_id == "/job/Remote-USA/Software-Engineering-Intern_JR-104305-1"
    assert swe.company == "contoso" and swe.description_text is None
    assert swe.posted_at == datetime(2026, 11, 1, tzinfo=UTC)  # "Posted Yesterday"
    assert spider.failed_pages == [{"url": requests[1].url, "kind": "detail", "reason": "HTTP 500"}]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Posted Today", "2026-11-02"),
        ("Posted Yesterday", "2026-11-01"),
        ("Posted 1 Day Ago", "2026-11-01"),
        ("Posted 18 Days Ago", "2026-10-15"),
        ("Posted 30+ Days Ago", None),
        ("Publié il y a 3 jours", None),
        (None, None),
    ],
)
def test_workday_posted_on(text: Any, expected: str | None) -> None:
    assert posted_on_date(text, CRAWL_TIME) == expected


# ================================================================ workable


def test_workable_fixture() -> None:
    spider = WorkableSpider(board="fabrikam")
    assert spider.listing_urls() == [
        "https://apply.workable.com/api/v1/widget/accounts/fabrikam?details=true"
    ]
    assert WorkableSpider(board="fabrikam", details=False).listing_urls()[0].endswith("/fabrikam")
    items, requests = parse_listing(spider, api_fixture("workable_account.json"))
    postings, rejected = build_all(items)
    assert not requests and not rejected and len(postings) == 3
    found = by_id(postings)
    ds = found["4F2A9C1B7E"]
    assert ds.company == "Fabrikam Health"  # the account's name
    assert ds.employment_type == "Internship"
    assert ds.locations == ["Denver, Colorado, United States"]  # the hidden one is left out
    assert ds.apply_url == "https://apply.workable.com/j/4F2A9C1B7E/apply"
    assert ds.posted_at == datetime(2026, 10, 20, tzinfo=UTC)
    assert (
        ds.description_text
        == "Help our clinics understand no-show rates.\n- Python and SQL\n- Some statistics"
    )
    assert ds.department == "Data"
    remote = found["9D0E3F6A21"]
    assert remote.workplace_type == "remote" and remote.locations == ["United States"]
    assert remote.department == "Engineering"  # no department: the function
    ops = found["B71C55E0D3"]
    assert ops.url == "https://apply.workable.com/fabrikam/j/B71C55E0D3/"
    assert ops.locations == ["Calgary, Alberta, Canada"]
    assert ops.posted_at == datetime(2026, 9, 2, tzinfo=UTC)  # created_at fallback
    assert ops.description_text is None


# ================================================================ recruitee


def test_recruitee_origin_depends_on_the_board() -> None:
    assert RecruiteeSpider(board="tailspin").listing_urls() == [
        "https://tailspin.recruitee.com/api/offers/"
    ]
    assert RecruiteeSpider(board="careers.tailspin.example").listing_urls() == [
        "https://careers.tailspin.example/api/offers/"
    ]
    assert RecruiteeSpider(board="tailspin", base_url="http://127.0.0.1:9").listing_urls() == [
        "http://127.0.0.1:9/api/offers/"
    ]
    with pytest.raises(ValueError, match="subdomain"):
        RecruiteeSpider(board="tail spin")


def test_recruitee_fixture() -> None:
    items, _ = parse_listing(
        RecruiteeSpider(board="tailspin"), api_fixture("recruitee_offers.json")
    )
    postings, rejected = build_all(items)
    assert not rejected and len(postings) == 3
    found = by_id(postings)
    ml = found["1480211"]
    assert ml.company == "Tailspin Logistics"
    assert ml.employment_type == "Internship"
    assert ml.posted_at == datetime(2026, 10, 12, 10, 0, tzinfo=UTC)
    assert ml.deadline == date(2026, 12, 15)
    assert ml.locations == ["Amsterdam, North Holland, Netherlands"]
    assert ml.workplace_type == "hybrid"
    assert (ml.salary_min, ml.salary_max, ml.salary_currency) == (900, 1200, "EUR")
    assert ml.salary_text == "EUR 900–1,200 per month"
    assert ml.description_text == (
        "Work with our data team on route optimisation.\nRequirements\n"
        "- Studying computer science or a related field\n- Python"
    )
    assert ml.apply_url == "https://tailspin.recruitee.com/o/machine-learning-intern/c/new"
    backend = found["1480212"]
    assert backend.employment_type == "Full-time" and backend.workplace_type == "remote"
    assert backend.salary_text is None and backend.deadline is None
    trainee = found["1480213"]
    assert trainee.is_open is False  # status: closed
    assert trainee.company == "tailspin"  # empty company_name: the board
    assert trainee.employment_type == "Trainee"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-01 10:00:00 UTC", "2024-05-01T10:00:00+00:00"),
        ("2024-05-01T10:00:00Z", "2024-05-01T10:00:00Z"),
        (None, None),
    ],
)
def test_recruitee_timestamps(value: Any, expected: Any) -> None:
    assert utc_stamp(value) == expected


# ================================================================ usajobs


@pytest.fixture
def no_usajobs_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(API_KEY_ENV, raising=False)
    monkeypatch.delenv(EMAIL_ENV, raising=False)


def usajobs(**kwargs: Any) -> UsajobsSpider:
    return UsajobsSpider(board="pathways", api_key=SECRET_KEY, email="me@example.edu", **kwargs)


def test_usajobs_defaults_are_pathways_internships(no_usajobs_env: None) -> None:
    spider = usajobs()
    assert spider.listing_urls() == [
        "https://data.usajobs.gov/api/search?HiringPath=student"
        "&PositionOfferingTypeCode=15328&ResultsPerPage=250&Page=1"
    ]
    assert spider.sector_hint == "nonprofit"  # government
    custom = usajobs(
        keyword="data science",
        hiring_path=["student", "graduates"],
        position_offering_type="",
        results_per_page="1000",
        sector_hint="research",
    )
    query = parse_qs(urlsplit(custom.listing_urls()[0]).query)
    assert query == {
        "Keyword": ["data science"],
        "HiringPath": ["student;graduates"],
        "ResultsPerPage": ["500"],  # the API's maximum
        "Page": ["1"],
    }
    assert custom.sector_hint == "research"


def test_usajobs_request_headers(no_usajobs_env: None) -> None:
    (request,) = list(usajobs(base_url="http://127.0.0.1:9").start_requests())
    assert request.headers[b"Authorization-Key"] == SECRET_KEY.encode()
    assert request.headers[b"User-Agent"] == b"me@example.edu"
    assert request.headers[b"Host"] == b"127.0.0.1:9"
    assert request.meta["dont_redirect"] is True  # the key must not follow a redirect
    assert SECRET_KEY not in request.url and SECRET_KEY not in repr(usajobs())
    assert "api_key" not in vars(usajobs())  # not kept as a public spider attribute


def test_usajobs_credentials_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(API_KEY_ENV, "env-key")
    monkeypatch.setenv(EMAIL_ENV, "env@example.edu")
    (request,) = list(UsajobsSpider(board="pathways").start_requests())
    assert request.headers[b"Authorization-Key"] == b"env-key"
    assert request.headers[b"User-Agent"] == b"env@example.edu"
    (request,) = list(UsajobsSpider(board="p", api_key="opt-key").start_requests())
    assert request.headers[b"Authorization-Key"] == b"opt-key"  # the option wins


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "USAJOBS needs an API key: set api_key in the source or USAJOBS_API_KEY"),
        ({"api_key": SECRET_KEY}, "set email in the source or USAJOBS_EMAIL"),
        ({"email": "me@example.edu"}, "USAJOBS needs an API key"),
    ],
)
def test_usajobs_without_credentials_fails_before_any_request(
    no_usajobs_env: None, kwargs: dict[str, str], message: str
) -> None:
    crawler = get_crawler(UsajobsSpider)
    spider = UsajobsSpider.from_crawler(crawler, board="pathways", **kwargs)
    assert list(spider.start_requests()) == []
    assert spider.listing_failed
    assert message in (spider.listing_failure or "")
    assert crawler.stats.get_value("internscout/listing_failed") == spider.listing_failure


def test_usajobs_real_search_page(no_usajobs_env: None) -> None:
    body = realdata("usajobs/search_2022.json").read_bytes()
    spider = usajobs()
    items, requests = parse_listing(spider, body)
    postings, rejected = build_all(items)
    assert not rejected and len(postings) == 2
    # 2 of 2167 results read (the recording asked for 2 per page): ask for page 2
    (next_page,) = requests
    assert parse_qs(urlsplit(next_page.url).query)["Page"] == ["2"]
    assert next_page.headers[b"Authorization-Key"] == SECRET_KEY.encode()
    dcsa = by_id(postings)["645184400"]
    assert dcsa.title == "COMPUTER SCIENTIST (DATA SCIENTIST/DATA ANALYST)"
    assert dcsa.company == "Defense Counterintelligence and Security Agency"
    assert dcsa.department == "Department of Defense"
    assert dcsa.url == "https://www.usajobs.gov:443/GetJob/ViewDetails/645184400"
    assert dcsa.apply_url and dcsa.apply_url.startswith(dcsa.url)
    assert dcsa.locations == [
        "Fort Meade, Maryland",
        "Boyers, Pennsylvania",
        "Arlington, Virginia",
        "Quantico, Virginia",
    ]  # PositionLocation, not the display text "Multiple Locations"
    assert dcsa.deadline == date(2022, 4, 14)  # 23:59:59.997 stays that day
    assert dcsa.posted_at == datetime(2022, 3, 25, 11, 18, 12, 420000, tzinfo=UTC)
    assert dcsa.employment_type == "Permanent; The public; Full-time"
    assert (dcsa.salary_min, dcsa.salary_max, dcsa.salary_currency) == (97738, 138868, "USD")
    assert dcsa.salary_text == "USD 97,738–138,868 per year, GG-13"
    text = dcsa.description_text or ""
    assert text.startswith("Summary\nThis position is placed") and "\n\nDuties\n- As a" in text
    assert dcsa.sector_hint == "nonprofit"


def test_usajobs_fixture_pages_and_maps(no_usajobs_env: None) -> None:
    data = api_fixture("usajobs_search.json")
    spider = usajobs(results_per_page=2)
    result = data["SearchResult"]
    first = {
        "SearchResult": {
            **result,
            "SearchResultCount": 2,
            "SearchResultItems": result["SearchResultItems"][:2],
            "UserArea": {"NumberOfPages": "2"},
        }
    }
    items, requests = parse_listing(spider, first)
    assert [parse_qs(urlsplit(r.url).query)["Page"] for r in requests] == [["2"]]
    second = {
        "SearchResult": {
            **result,
            "SearchResultCount": 1,
            "SearchResultItems": result["SearchResultItems"][2:],
            "UserArea": {"NumberOfPages": "2"},
        }
    }
    more, requests = parse_listing(spider, second, url=requests[0].url)
    assert requests == [] and not spider.listing_failed
    postings, rejected = build_all(items + more)
    assert not rejected
    found = by_id(postings)
    noaa = found["812345600"]
    assert noaa.employment_type == "Internships; Students; Full-time"
    assert noaa.deadline == date(2026, 11, 30)
    assert noaa.salary_text == "USD 35,519–46,178 per year, GS-4–5"
    assert "Duties\n- Assist forecasters" in (noaa.description_text or "")
    va = found["812345700"]
    assert va.employment_type == "Internships; Students; The public; Part-time"
    assert va.workplace_type == "remote"  # RemoteIndicator
    assert va.locations == ["Anywhere in the U.S. (remote job)"]  # no PositionLocation
    assert va.salary_text == "USD 18.12–23.56 per hour, GS-3"
    assert found["812345800"].deadline == date(2026, 11, 5)


def test_usajobs_key_is_not_logged(no_usajobs_env: None, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    crawler = get_crawler(UsajobsSpider)
    spider = UsajobsSpider.from_crawler(
        crawler, board="pathways", api_key=SECRET_KEY, email="me@example.edu"
    )
    (request,) = list(spider.start_requests())
    parse_listing(spider, "<html>Unauthorized</html>", url=request.url)
    spider.listing_errback(http_failure(request, 401))
    assert spider.listing_failed
    assert caplog.records and SECRET_KEY not in caplog.text
    assert SECRET_KEY not in json.dumps(spider.failed_pages)


# ================================================================ listing failures, all kinds


ALL_KINDS = [
    (SmartRecruitersSpider, {"board": "acme"}),
    (WorkdaySpider, {"board": "acme/External"}),
    (WorkableSpider, {"board": "acme"}),
    (RecruiteeSpider, {"board": "acme"}),
    (UsajobsSpider, {"board": "pathways", "api_key": "k", "email": "e@x.org"}),
]


@pytest.mark.parametrize(("spider_cls", "kwargs"), ALL_KINDS)
def test_html_where_json_expected_fails_the_listing(
    spider_cls: type[PostingSpider], kwargs: dict[str, str]
) -> None:
    spider = spider_cls(**kwargs)
    page = fixture("error_page.html").read_text(encoding="utf-8")
    response = json_response(spider.listing_urls()[0], page, content_type="text/html")
    assert list(spider.parse_listing(response)) == []
    assert spider.listing_failed and "expected JSON" in (spider.listing_failure or "")


@pytest.mark.parametrize(("spider_cls", "kwargs"), ALL_KINDS)
def test_unexpected_payload_shape_fails_the_listing(
    spider_cls: type[PostingSpider], kwargs: dict[str, str]
) -> None:
    spider = spider_cls(**kwargs)
    items, requests = parse_listing(spider, [{"not": "the API's shape"}])
    assert items == [] and requests == []
    assert spider.listing_failed


@pytest.mark.parametrize(("spider_cls", "kwargs"), ALL_KINDS)
def test_one_bad_record_keeps_the_rest(
    spider_cls: type[PostingSpider], kwargs: dict[str, str]
) -> None:
    crawler = get_crawler(spider_cls)
    spider = spider_cls.from_crawler(crawler, details=False, **kwargs)
    payload = {
        SmartRecruitersSpider: lambda: {
            "offset": 0,
            "totalFound": 2,
            "content": ["bad", *api_fixture("smartrecruiters_postings.json")["content"][:1]],
        },
        WorkdaySpider: lambda: {
            "total": 2,
            "jobPostings": ["bad", {"title": "T", "externalPath": "/job/x"}],
        },
        WorkableSpider: lambda: {"name": "A", "jobs": ["bad", {"title": "T", "shortcode": "X"}]},
        RecruiteeSpider: lambda: {"offers": ["bad", {"id": 1, "title": "T"}]},
        UsajobsSpider: lambda: {
            "SearchResult": {
                "SearchResultCountAll": 2,
                "SearchResultItems": [{"MatchedObjectId": "1"}, {"MatchedObjectDescriptor": {}}],
            }
        },
    }[spider_cls]()
    items, _ = parse_listing(spider, payload)
    assert len(items) == 1
    assert crawler.stats.get_value("internscout/errors") == 1
    assert not spider.listing_failed


# ================================================================ whole crawls


def registered(kind: str) -> None:
    from crawlers.spiders import SPIDERS

    if kind not in SPIDERS:
        pytest.skip(f"source kind {kind!r} is not registered in crawlers.spiders.SPIDERS yet")


def crawl(db_url: str, sources: list[dict[str, Any]], **kwargs: Any) -> dict[str, dict[str, Any]]:
    kwargs.setdefault("log_level", "WARNING")
    kwargs.setdefault("stderr", subprocess.PIPE)
    try:
        entries = run_crawl_subprocess(
            db_url, sources, timeout=120, settings=FAST_SETTINGS, **kwargs
        )
    except CrawlSubprocessError as exc:  # pragma: no cover - shown on failure only
        pytest.fail(f"{exc}\n{exc.stderr}")
    return {e["name"]: e for e in entries}


def stored(db_url: str, kind: str) -> dict[str, store.Posting]:
    engine = store.make_engine(db_url)
    try:
        return {p.external_id: p for p in store.get_postings(engine, source_kind=kind)}
    finally:
        engine.dispose()


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'crawl.db'}"


def test_crawl_smartrecruiters(db_url: str) -> None:
    registered("smartrecruiters")
    data = api_fixture("smartrecruiters_postings.json")
    detail = api_fixture("smartrecruiters_posting_detail.json")
    base = "/v1/companies/NorthwindLabs/postings"

    def listing(path: str, query: dict[str, list[str]]) -> Reply:
        offset, limit = int(query["offset"][0]), int(query["limit"][0])
        page = data["content"][offset : offset + limit]
        return Reply.json({**data, "offset": offset, "limit": limit, "content": page})

    routes: dict[str, Any] = {
        base: listing,
        f"{base}/743999900000001": Reply.json(detail),
        f"{base}/743999900000002": Reply.text("busy", status=503),
        f"{base}/743999900000003": Reply.json(data["content"][2]),
    }
    with serving(routes) as server:
        source = {
            "name": "northwind",
            "kind": "smartrecruiters",
            "board": "NorthwindLabs",
            "base_url": server.base_url,
            "page_size": 2,
        }
        report = crawl(db_url, [source])["northwind"]
        paths = [p for _, p in server.requests]
        failed_url = f"{server.base_url}{base}/743999900000002"
    assert report["status"] == "ok", report
    assert (report["new"], report["rejected"]) == (2, 1)
    assert [p for p in paths if p.startswith(base + "?")] == [
        f"{base}?offset=0&limit=2",
        f"{base}?offset=2&limit=2",
    ]
    assert paths.count(f"{base}/743999900000002") == 1 + FAST_SETTINGS["RETRY_TIMES"]
    postings = stored(db_url, "smartrecruiters")
    assert "PyTorch" in (postings["743999900000001"].description_text or "")
    assert postings["743999900000001"].salary_currency == "USD"
    failed = postings["743999900000002"]  # detail failed: kept from the listing
    assert failed.title == "Data Engineering Co-op" and failed.description_text is None
    if "crawlers.extensions.FailedPagesExtension" in getattr(crawl_settings, "EXTENSIONS", {}):
        engine = store.make_engine(db_url)
        try:
            pages = store.unresolved_failed_pages(engine, "northwind")
        finally:
            engine.dispose()
        assert [(p.url, p.kind) for p in pages] == [(failed_url, "detail")]


def test_crawl_workday(db_url: str) -> None:
    registered("workday")
    data = api_fixture("workday_jobs.json")
    detail = api_fixture("workday_job_detail.json")
    cxs = "/wday/cxs/contoso/University"
    searches: list[int] = []

    def jobs(path: str, query: dict[str, list[str]]) -> Reply:
        # The handler cannot see the POST body: pages come in order, one per call.
        page = len(searches)
        searches.append(page)
        records = data["jobPostings"][page * 2 : page * 2 + 2]
        return Reply.json(
            {**data, "total": data["total"] if page == 0 else 0, "jobPostings": records}
        )

    routes: dict[str, Any] = {f"{cxs}/jobs": jobs}
    for record in data["jobPostings"]:
        info = {
            "title": record["title"],
            "jobDescription": f"<p>{record['title']}: learn with us.</p>",
            "timeType": "Full time",
            "location": record["locationsText"],
        }
        routes[cxs + record["externalPath"]] = Reply.json(
            {"jobPostingInfo": info, "hiringOrganization": {"name": "Contoso"}}
        )
    routes[cxs + data["jobPostings"][0]["externalPath"]] = Reply.json(detail)
    with serving(routes) as server:
        source = {
            "name": "contoso",
            "kind": "workday",
            "board": "contoso/University",
            "host": "wd5",
            "base_url": server.base_url,
            "page_size": 2,
        }
        report = crawl(db_url, [source])["contoso"]
        methods = [(m, p) for m, p in server.requests if p == f"{cxs}/jobs"]
    assert report["status"] == "ok", report
    assert report["new"] == 3 and report["rejected"] == 0
    assert methods == [("POST", f"{cxs}/jobs")] * 2  # page 2 by the first page's total
    postings = stored(db_url, "workday")
    ml = postings[data["jobPostings"][0]["externalPath"]]
    assert ml.company == "Contoso Financial"
    assert ml.url.startswith("https://contoso.wd5.myworkdayjobs.com/University/job/")
    assert "fraud detection" in (ml.description_text or "")
    clinical = postings[data["jobPostings"][2]["externalPath"]]
    assert clinical.description_text == "Clinical Data Intern: learn with us."


def test_crawl_workable(db_url: str) -> None:
    registered("workable")
    route = {"/api/v1/widget/accounts/fabrikam": Reply.json(api_fixture("workable_account.json"))}
    with serving(route) as server:
        source = {
            "name": "fab",
            "kind": "workable",
            "board": "fabrikam",
            "base_url": server.base_url,
        }
        report = crawl(db_url, [source])["fab"]
        paths = [p for _, p in server.requests]
    assert report["status"] == "ok" and report["new"] == 3, report
    assert "/api/v1/widget/accounts/fabrikam?details=true" in paths
    assert stored(db_url, "workable")["4F2A9C1B7E"].company == "Fabrikam Health"


def test_crawl_recruitee(db_url: str) -> None:
    registered("recruitee")
    with serving({"/api/offers/": Reply.json(api_fixture("recruitee_offers.json"))}) as server:
        source = {
            "name": "tail",
            "kind": "recruitee",
            "board": "tailspin",
            "base_url": server.base_url,
        }
        report = crawl(db_url, [source])["tail"]
    assert report["status"] == "ok" and report["new"] == 3, report
    postings = stored(db_url, "recruitee")
    assert postings["1480211"].deadline == date(2026, 12, 15)
    assert postings["1480213"].closed_at is not None  # status "closed": stored as closed
    assert postings["1480211"].closed_at is None


def test_crawl_usajobs(db_url: str, tmp_path: Path, no_usajobs_env: None) -> None:
    registered("usajobs")
    data = api_fixture("usajobs_search.json")

    def search(path: str, query: dict[str, list[str]]) -> Reply:
        per_page, page = int(query["ResultsPerPage"][0]), int(query["Page"][0])
        everything = data["SearchResult"]["SearchResultItems"]
        items = everything[(page - 1) * per_page : page * per_page]
        pages = -(-len(everything) // per_page)
        result = {
            "SearchResultCount": len(items),
            "SearchResultCountAll": len(everything),
            "SearchResultItems": items,
            "UserArea": {"NumberOfPages": str(pages), "IsRadialSearch": False},
        }
        return Reply.json({**data, "SearchResult": result})

    log = tmp_path / "crawl.log"
    with serving({"/api/search": search}) as server, log.open("w") as stderr:
        common = {"kind": "usajobs", "base_url": server.base_url}
        sources = [
            {
                **common,
                "name": "pathways",
                "board": "pathways",
                "api_key": SECRET_KEY,
                "email": "me@example.edu",
                "results_per_page": 2,
            },
            {**common, "name": "nokey", "board": "nokey", "keyword": "nokey"},
        ]
        report = crawl(db_url, sources, log_level="DEBUG", stderr=stderr)
        queries = [parse_qs(urlsplit(p).query) for _, p in server.requests if "?" in p]
    assert report["pathways"]["status"] == "ok", report
    assert report["pathways"]["new"] == 3
    assert [q["Page"] for q in queries] == [["1"], ["2"]]
    assert not [q for q in queries if q.get("Keyword") == ["nokey"]]  # zero requests
    assert report["nokey"]["status"] == "failed"
    assert (
        "USAJOBS needs an API key: set api_key in the source or USAJOBS_API_KEY"
        in (report["nokey"]["error"])
    )
    logs = log.read_text(encoding="utf-8")
    assert "/api/search" in logs  # the DEBUG log was captured...
    assert SECRET_KEY not in logs  # ...and never shows the key
    postings = stored(db_url, "usajobs")
    assert postings["812345600"].deadline == date(2026, 11, 30)
    assert postings["812345600"].employment_type == "Internships; Students; Full-time"
    assert postings["812345600"].sector_hint == "nonprofit"
