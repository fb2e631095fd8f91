"""Spider parsers on recorded real payloads (../shared/realdata) and on our own
fixtures in the same shapes, fed as hand-built responses (no network)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any
from unittest import mock

import pytest
from crawlers_conftest_helpers import (
    build_all,
    by_id,
    fixture,
    json_response,
    load_fixture,
    parse_listing,
    realdata,
)
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from crawlers.spiders import SPIDERS, AshbySpider, GreenhouseSpider, LeverSpider, SimplifySpider
from crawlers.spiders.simplify import DEFAULT_LISTINGS_URL


def test_registry_names_are_source_kinds() -> None:
    from internscout.config import SOURCE_KINDS

    assert set(SPIDERS) == set(SOURCE_KINDS)
    for kind, cls in SPIDERS.items():
        board = "tenant/site" if kind == "workday" else "board"
        assert cls(board=board).source_kind == kind


def test_board_is_required() -> None:
    with pytest.raises(ValueError, match="board"):
        GreenhouseSpider(source_name="x")


@pytest.mark.parametrize(
    ("spider", "expected"),
    [
        (
            GreenhouseSpider(board="stripe"),
            "https://boards-api.greenhouse.io/v1/boards/stripe/jobs?content=true",
        ),
        (
            LeverSpider(board="palantir"),
            "https://api.lever.co/v0/postings/palantir?mode=json&skip=0&limit=100",
        ),
        (
            AshbySpider(board="ramp"),
            "https://api.ashbyhq.com/posting-api/job-board/ramp?includeCompensation=true",
        ),
        (SimplifySpider(board="s26"), DEFAULT_LISTINGS_URL),
        (
            GreenhouseSpider(board="acme", base_url="http://127.0.0.1:9/"),
            "http://127.0.0.1:9/v1/boards/acme/jobs?content=true",
        ),
        (
            SimplifySpider(board="s26", base_url="http://127.0.0.1:9"),
            "http://127.0.0.1:9/SimplifyJobs/Summer2026-Internships/dev/.github/scripts/listings.json",
        ),
        (
            SimplifySpider(
                board="ng",
                url="https://example.org/lists/new-grad.json",
                base_url="http://127.0.0.1:9",
            ),
            "http://127.0.0.1:9/lists/new-grad.json",
        ),
    ],
)
def test_listing_urls(spider: Any, expected: str) -> None:
    assert spider.listing_urls() == [expected]


def test_listing_host_for_scheduling() -> None:
    assert GreenhouseSpider.listing_host() == "boards-api.greenhouse.io"
    assert GreenhouseSpider.listing_host("http://127.0.0.1:8080") == "127.0.0.1:8080"
    assert SimplifySpider.listing_host() == "raw.githubusercontent.com"


# ---------------------------------------------------------------- greenhouse


def test_greenhouse_real_list_without_content() -> None:
    body = realdata("greenhouse/stripe_jobs_list.json").read_bytes()
    spider = GreenhouseSpider(board="stripe", source_name="Stripe", sector_hint="finance")
    items, requests = parse_listing(spider, body)
    postings, rejected = build_all(items)
    assert not requests and not rejected and not spider.listing_failed
    assert [p.external_id for p in postings] == ["7954688", "8023928", "8077887"]
    first = postings[0]
    assert first.title == "Account Executive, AI Sales (Grower)"
    assert first.company == "Stripe"
    assert first.url == "https://stripe.com/jobs/search?gh_jid=7954688"
    assert first.locations == ["San Francisco, CA"]
    assert first.posted_at == datetime(2026, 6, 2, 12, 58, 57, tzinfo=UTC)  # first_published
    assert first.description_html is None and first.description_text is None
    assert first.sector_hint == "finance" and first.source_name == "Stripe"
    assert first.raw["internal_job_id"] == 3453698
    assert postings[2].title == "Account Executive, Bridge"  # trailing space trimmed


def test_greenhouse_real_job_with_content() -> None:
    job = json.loads(realdata("greenhouse/job_detail.json").read_text(encoding="utf-8"))
    items, _ = parse_listing(GreenhouseSpider(board="stripe"), {"jobs": [job]})
    (posting,), _ = build_all(items)
    assert posting.description_html is not None
    assert posting.description_html.lstrip().startswith("<div")  # unescaped
    assert "&lt;" not in posting.description_html
    assert posting.description_text is not None
    assert "Who we are" in posting.description_text and "<h2>" not in posting.description_text
    assert posting.department == "6480 Internal Audit"


def test_greenhouse_real_boards_dump_parses() -> None:
    boards = realdata("greenhouse/stripe_jobs_list.json").parent / "boards_2026-08"
    files = sorted(boards.glob("*.json"))[:25]
    if not files:
        pytest.skip(f"no board dumps in {boards}")
    total = 0
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        spider = GreenhouseSpider(board=path.stem)
        items, _ = parse_listing(spider, {"jobs": data["jobs"]})
        postings, rejected = build_all(items)
        assert len(postings) + len(rejected) == len(data["jobs"]), path.name
        assert all(p.posted_at is None or p.posted_at.tzinfo is not None for p in postings)
        total += len(postings)
    assert total > 0


def test_greenhouse_fixture_edge_cases() -> None:
    data = load_fixture("greenhouse_board.json")
    items, _ = parse_listing(GreenhouseSpider(board="acmerobotics"), data)
    postings, rejected = build_all(items)
    assert rejected == ["missing_title"]
    found = by_id(postings)
    intern = found["4100001"]
    assert intern.title == "Machine Learning Intern, Perception"
    assert intern.employment_type == "Intern"  # from custom metadata
    assert intern.deadline == date(2026, 3, 1)
    assert intern.department == "Autonomy"
    assert intern.description_text == (
        "About the role\nTrain & evaluate perception models in PyTorch.\n- Python\n- Computer vision"
    )
    no_content = found["4100002"]
    assert no_content.company == "acmerobotics"  # no company_name: board token
    assert no_content.description_html is None
    assert no_content.posted_at == datetime(2026, 1, 22, 10, 0, tzinfo=UTC)  # updated_at fallback
    assert no_content.workplace_type == "remote"  # "Remote - US"


# ---------------------------------------------------------------- lever


def test_lever_real_postings() -> None:
    body = realdata("lever/palantir_postings_trimmed.json").read_bytes()
    spider = LeverSpider(board="palantir")
    items, requests = parse_listing(spider, body)
    postings, rejected = build_all(items)
    assert not rejected and not requests  # 3 < page size: last page
    intern = by_id(postings)["774cf5c9-bf6a-4d77-bf60-d50ef1beb1a0"]
    assert intern.title == "Deployment Strategist, Internship"
    assert intern.employment_type == "Internship"
    assert intern.workplace_type == "onsite"
    assert intern.locations == ["Paris, France"]
    assert intern.posted_at == datetime(2026, 5, 11, 16, 31, 48, 152000, tzinfo=UTC)
    assert intern.apply_url == intern.url + "/apply"
    assert intern.department == "Echo"
    assert intern.company == "palantir"


def test_lever_real_detail_stitches_lists() -> None:
    record = json.loads(realdata("lever/posting_detail.json").read_text(encoding="utf-8"))
    items, _ = parse_listing(LeverSpider(board="palantir", company="Palantir"), [record])
    (posting,), _ = build_all(items)
    assert posting.company == "Palantir"
    text = posting.description_text or ""
    html = posting.description_html or ""
    # description, then each list with its heading, then the closing section
    order = [
        text.index(s)
        for s in (
            "A World-Changing Company",
            "What We Value",
            "What We Require",
            "Life at Palantir",
        )
    ]
    assert order == sorted(order)
    assert "- At least three years" in text
    assert "<h3>What We Require</h3>" in html


def test_lever_fixture_salary_and_bad_url() -> None:
    items, _ = parse_listing(
        LeverSpider(board="northwindlabs"), load_fixture("lever_postings.json")
    )
    postings, rejected = build_all(items)
    assert rejected == ["bad_url"]  # a relative hostedUrl
    found = by_id(postings)
    swe = found["5b0f6a52-1c1e-4c39-9d0e-aa0000000001"]
    assert (swe.salary_min, swe.salary_max, swe.salary_currency) == (40, 55, "USD")
    assert swe.salary_text == "USD 40–55 per hour"
    assert swe.locations == ["Seattle, WA", "Remote - US"]
    assert swe.workplace_type == "hybrid"
    assert swe.department == "Engineering"
    design = found["5b0f6a52-1c1e-4c39-9d0e-aa0000000002"]
    assert design.description_text == "Design delightful tools."  # plain text empty: from HTML
    assert design.workplace_type == "remote"
    assert design.department == "Design"


def _lever_page(start: int, count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"p{n}",
            "text": f"Intern {n}",
            "hostedUrl": f"https://jobs.lever.co/big/p{n}",
            "categories": {"commitment": "Intern"},
            "createdAt": 1767225600000,
        }
        for n in range(start, start + count)
    ]


def test_lever_pages_until_a_short_page() -> None:
    spider = LeverSpider(board="big", page_size="2")
    _, requests = parse_listing(spider, _lever_page(0, 2), url=spider.page_url(0))
    assert [r.url for r in requests] == [
        "https://api.lever.co/v0/postings/big?mode=json&skip=2&limit=2"
    ]
    _, requests = parse_listing(spider, _lever_page(2, 2), url=requests[0].url)
    assert [r.url for r in requests] == [
        "https://api.lever.co/v0/postings/big?mode=json&skip=4&limit=2"
    ]
    items, requests = parse_listing(spider, _lever_page(4, 1), url=requests[0].url)
    assert not requests and len(items) == 1
    assert not spider.listing_failed


def test_lever_stops_when_server_ignores_skip() -> None:
    spider = LeverSpider(board="big", page_size="2")
    _, requests = parse_listing(spider, _lever_page(0, 2), url=spider.page_url(0))
    assert len(requests) == 1
    _, requests = parse_listing(spider, _lever_page(0, 2), url=requests[0].url)
    assert requests == []


# ---------------------------------------------------------------- ashby


def test_ashby_real_board() -> None:
    body = realdata("ashby/board_trimmed.json").read_bytes()
    items, _ = parse_listing(AshbySpider(board="ramp", company="Ramp"), body)
    postings, rejected = build_all(items)
    assert not rejected and len(postings) == 3
    intern = by_id(postings)["67fadb77-43d8-4449-954b-d4cf2c6d3b8b"]
    assert intern.title == "Software Engineer Internship, Android"
    assert intern.employment_type == "Intern"
    assert intern.locations == ["New York, NY (HQ)", "San Francisco, CA"]
    assert intern.workplace_type == "hybrid"
    assert intern.company == "Ramp"
    assert intern.posted_at == datetime(2025, 8, 7, 20, 49, 38, 961000, tzinfo=UTC)
    assert intern.description_text and intern.description_text.startswith("ABOUT RAMP")
    assert intern.apply_url and intern.apply_url.endswith("/application")


def test_ashby_real_board_with_compensation_field() -> None:
    body = realdata("ashby/fizz_board_with_compensation.json").read_bytes()
    items, _ = parse_listing(AshbySpider(board="fizz"), body)
    postings, rejected = build_all(items)
    assert not rejected and len(postings) == 5
    intern = next(p for p in postings if p.employment_type == "Intern")
    assert intern.title == "Software Engineering Intern (Summer 2026)"
    assert intern.salary_min is None and intern.salary_text is None  # empty compensation


def test_ashby_fixture_unlisted_and_compensation() -> None:
    items, _ = parse_listing(AshbySpider(board="lumenai"), load_fixture("ashby_board.json"))
    postings, rejected = build_all(items)
    assert not rejected
    found = by_id(postings)
    assert "0c3e9f1e-7a10-4d7f-8b1a-bb0000000003" not in found  # isListed: false
    assert len(found) == 2
    research = found["0c3e9f1e-7a10-4d7f-8b1a-bb0000000001"]
    assert (research.salary_min, research.salary_max, research.salary_currency) == (50, 60, "USD")
    assert research.salary_text == "$50 – $60 per hour"
    assert research.workplace_type == "onsite"
    assert research.locations == ["San Francisco, CA", "New York, NY"]
    tools = found["0c3e9f1e-7a10-4d7f-8b1a-bb0000000002"]
    assert tools.workplace_type == "remote"  # isRemote without workplaceType


# ---------------------------------------------------------------- simplify


def test_simplify_real_schema_sample() -> None:
    body = realdata("simplify/listings_2026_schema_sample.json").read_bytes()
    items, _ = parse_listing(SimplifySpider(board="summer2026"), body)
    postings, rejected = build_all(items)
    raw = json.loads(body)
    visible = [r for r in raw if r["is_visible"]]
    assert not rejected and len(postings) == len(visible) == 5
    found = by_id(postings)
    palantir = found["ada5c220-536e-454a-8ba0-1f7629d949e6"]
    assert palantir.company == "Palantir"
    assert palantir.terms == ["Winter 2027", "Spring 2027", "Summer 2027", "Fall 2027"]
    assert palantir.posted_at == datetime.fromtimestamp(1765581501, tz=UTC)
    assert palantir.employment_type is None  # not implied by the list
    assert palantir.description_text is None
    assert found["20b6ea75-9646-40c3-a3f4-aaac9c4fcdbe"].is_open is False  # active: false
    assert "e6a72cfd-b318-4a00-95fb-0dad2ddc9233" not in found  # is_visible: false


@pytest.mark.parametrize(
    "name",
    [
        "simplify/summer2025_internships_listings_dev_half.json",
        "simplify/new_grad_positions_listings_dev_half.json",
    ],
)
def test_simplify_real_lists_at_scale(name: str) -> None:
    raw = json.loads(realdata(name).read_text(encoding="utf-8"))
    spider = SimplifySpider(board="s")
    items, _ = parse_listing(spider, raw)
    postings, rejected = build_all(items)
    visible = [r for r in raw if r.get("is_visible") is not False]
    assert len(postings) + len(rejected) == len(visible)
    assert len(rejected) <= len(visible) // 100  # real lists are almost all valid
    assert all(p.is_open == (p.raw.get("active") is not False) for p in postings)
    assert any(not p.is_open for p in postings)
    assert all(p.posted_at is not None and p.posted_at.tzinfo is not None for p in postings)


def test_simplify_fixture_edge_cases() -> None:
    items, _ = parse_listing(SimplifySpider(board="s26"), load_fixture("simplify_listings.json"))
    postings, rejected = build_all(items)
    assert rejected == ["missing_title"]
    found = by_id(postings)
    assert set(found) == {
        "7d1c2b3a-0000-4000-8000-cc0000000001",
        "7d1c2b3a-0000-4000-8000-cc0000000002",
    }
    ds = found["7d1c2b3a-0000-4000-8000-cc0000000001"]
    assert ds.terms == ["Summer 2026"]
    assert ds.locations == ["Boston, MA", "Remote in USA"]
    assert ds.apply_url == ds.url
    assert found["7d1c2b3a-0000-4000-8000-cc0000000002"].is_open is False


# ---------------------------------------------------------------- failures


@pytest.mark.parametrize("spider_cls", [GreenhouseSpider, LeverSpider, AshbySpider, SimplifySpider])
def test_html_where_json_expected_fails_the_listing(spider_cls: type[Any]) -> None:
    spider = spider_cls(board="acme")
    page = fixture("error_page.html").read_text(encoding="utf-8")
    response = json_response(spider.listing_urls()[0], page, content_type="text/html")
    assert list(spider.parse_listing(response)) == []
    assert spider.listing_failed
    assert "expected JSON" in (spider.listing_failure or "")
    assert "text/html" in (spider.listing_failure or "")


@pytest.mark.parametrize(
    ("spider_cls", "payload"),
    [
        (GreenhouseSpider, {"error": "not found"}),
        (AshbySpider, []),
        (LeverSpider, {"ok": False}),
        (SimplifySpider, {"listings": []}),
    ],
)
def test_unexpected_payload_shape_fails_the_listing(spider_cls: type[Any], payload: Any) -> None:
    spider = spider_cls(board="acme")
    items, requests = parse_listing(spider, payload)
    assert items == [] and requests == []
    assert spider.listing_failed


def test_empty_board_is_a_successful_listing() -> None:
    spider = GreenhouseSpider(board="acme")
    items, _ = parse_listing(spider, {"jobs": [], "meta": {"total": 0}})
    assert items == [] and not spider.listing_failed


def test_one_bad_record_keeps_the_rest_of_the_page() -> None:
    crawler = get_crawler(GreenhouseSpider)
    spider = GreenhouseSpider.from_crawler(crawler, board="acmerobotics")
    data = load_fixture("greenhouse_board.json")
    data["jobs"].insert(1, "not an object")
    data["jobs"][2]["location"] = ["a list, not an object"]  # AttributeError in the parser
    items, _ = parse_listing(spider, data)
    assert len(items) == len(data["jobs"]) - 2
    assert crawler.stats.get_value("internscout/errors") == 2
    assert not spider.listing_failed


def test_errback_flags_listing_failure() -> None:
    crawler = get_crawler(GreenhouseSpider)
    spider = GreenhouseSpider.from_crawler(crawler, board="acme")
    url = spider.listing_urls()[0]
    response = json_response(url, b"oops")
    response.status = 500  # type: ignore[misc]
    failure = Failure(HttpError(response, "Ignoring non-200 response"))
    failure.request = Request(url)  # type: ignore[attr-defined]
    spider.listing_errback(failure)
    assert spider.listing_failed and spider.listing_failure == f"HTTP 500 ({url})"
    assert crawler.stats.get_value("internscout/listing_failed") == spider.listing_failure

    spider = GreenhouseSpider.from_crawler(get_crawler(GreenhouseSpider), board="acme")
    failure = Failure(IgnoreRequest("Forbidden by robots.txt"))
    failure.request = Request(url)  # type: ignore[attr-defined]
    spider.listing_errback(failure)
    assert spider.listing_failure == f"forbidden by robots.txt ({url})"


def test_a_crash_in_payload_handling_fails_the_listing() -> None:
    spider = GreenhouseSpider(board="acme")
    with mock.patch.object(GreenhouseSpider, "records_from_payload", side_effect=KeyError("boom")):
        items, _ = parse_listing(spider, {"jobs": []})
    assert items == [] and spider.listing_failed
    assert "KeyError" in (spider.listing_failure or "")
