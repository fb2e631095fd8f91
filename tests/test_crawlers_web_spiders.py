"""Web spiders (jsonld, feed, remoteok, hn): parsers on real recorded pages
(../shared/realdata, skipped when absent) and on our own fixtures in the same
shapes (tests/fixtures/crawlers/web), fed as hand-built responses; link
following; and one whole crawl per kind against a local ReplayServer."""

from __future__ import annotations

import gzip
import json
import subprocess
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from crawlers_conftest_helpers import FAST_SETTINGS, FIXTURES, build_all, by_id, realdata
from scrapy.http import HtmlResponse, Request, Response, TextResponse, XmlResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler
from twisted.internet.error import ConnectionRefusedError
from twisted.python.failure import Failure

import store
from crawlers.items import PostingItem
from crawlers.jobposting import extract_job_postings, load_jsonld
from crawlers.jobposting_map import map_job_posting
from crawlers.run import CrawlSubprocessError, run_crawl_subprocess
from crawlers.spiders.feed import FeedSpider
from crawlers.spiders.hn import HNWhoIsHiringSpider, parse_first_line
from crawlers.spiders.jsonld import JsonLdSpider
from crawlers.spiders.remoteok import RemoteOKSpider, fix_mojibake
from internscout.replay import Reply, serving

WEB = FIXTURES / "web"
SITE = "https://jobs.example.edu"
CAREERS = f"{SITE}/careers/"
JOB_1001 = f"{SITE}/careers/jobs/1001-research-assistant-intern"
JOB_1002 = f"{SITE}/careers/jobs/1002-data-science-intern"
JOB_1003 = f"{SITE}/careers/jobs/1003-it-help-desk-student"
JOB_1004 = f"{SITE}/careers/jobs/1004-library-digitization-intern"
SEARCH_2 = f"{SITE}/careers/search?page=2"
WWR_FEED = "https://weworkremotely.com/categories/remote-programming-jobs.rss"


# ---------------------------------------------------------------- helpers


def web(name: str) -> bytes:
    return (WEB / name).read_bytes()


def html_response(url: str, body: bytes | str) -> HtmlResponse:
    raw = body.encode("utf-8") if isinstance(body, str) else body
    return HtmlResponse(url, body=raw, encoding="utf-8", request=Request(url))


def xml_response(url: str, body: bytes) -> XmlResponse:
    return XmlResponse(url, body=body, request=Request(url))


def text_response(url: str, body: bytes, content_type: str = "application/json") -> TextResponse:
    return TextResponse(
        url,
        body=body,
        encoding="utf-8",
        headers={"Content-Type": content_type},
        request=Request(url),
    )


def split(outputs: Iterable[Any]) -> tuple[list[PostingItem], list[Request]]:
    items: list[PostingItem] = []
    requests: list[Request] = []
    for out in outputs or ():
        if isinstance(out, Request):
            requests.append(out)
        else:
            assert isinstance(out, PostingItem), f"unexpected output {out!r}"
            items.append(out)
    return items, requests


def with_stats(cls: type[Any], **kwargs: Any) -> Any:
    """A spider bound to a crawler, so its error counters land in stats."""
    return cls.from_crawler(get_crawler(cls), **kwargs)


def errors(spider: Any) -> int:
    return int(spider.crawler.stats.get_value("internscout/errors") or 0)


def failure_for(url: str, exc: Exception) -> Failure:
    failure = Failure(exc)
    failure.request = Request(url)  # type: ignore[attr-defined]
    return failure


def university() -> JsonLdSpider:
    return with_stats(JsonLdSpider, board="jobs.example.edu", url=CAREERS)


# ---------------------------------------------------------------- JSON-LD mapping


def test_real_icims_page_maps_to_a_posting() -> None:
    body = realdata("jsonld/icims_internship_page.html").read_bytes()
    page = "https://careers-sig.icims.com/jobs/11169/job?in_iframe=1"
    spider = with_stats(JsonLdSpider, board="careers-sig.icims.com", url=page)
    items, requests = split(spider.parse_entry(html_response(page, body)))
    (posting,), rejected = build_all(items)
    assert not rejected and not spider.listing_failed and errors(spider) == 0
    assert posting.title == "Trading System Engineering Internship: Summer 2027"
    assert posting.company == "Susquehanna International Group, LLP"
    # The markup's own URL (stable) rather than the fetched one with ?in_iframe=1.
    canonical = "https://careers-sig.icims.com/jobs/11169/trading-system-engineering-internship%3a-summer-2027/job"
    assert posting.url == posting.external_id == canonical
    assert posting.locations == ["Hong Kong, HK"]  # "UNAVAILABLE" placeholders dropped
    assert posting.employment_type == "OTHER"
    assert posting.posted_at == datetime(2026, 7, 6, tzinfo=UTC)
    assert posting.deadline == date(2027, 7, 6)
    assert posting.description_text is not None
    assert posting.description_text.startswith("Overview\nSusquehanna is looking")
    assert posting.raw["markup"] == "json-ld" and posting.raw["occupationalCategory"]
    assert all("/jobs/" not in r.url for r in requests)  # the page links nowhere job-ish


def test_university_graph_resolves_the_organisation_reference() -> None:
    spider = university()
    items, _ = split(
        spider.parse_page(html_response(JOB_1001, web("jsonld/university_job_graph.html")))
    )
    (posting,), _ = build_all(items)
    assert posting.external_id == "REQ-2026-1001"  # identifier {value}
    assert posting.company == "Example State University"  # {"@id": ...} -> Organization node
    assert posting.locations == ["Springfield, IL, US", "Champaign, IL, US"]
    assert posting.employment_type == "INTERN, PART_TIME"
    assert posting.deadline == date(2026, 3, 15)  # the date as written, not the next UTC day
    assert (posting.salary_min, posting.salary_max, posting.salary_currency) == (17.5, 21.0, "USD")
    assert posting.salary_text == "USD 17.50–21 per hour"
    assert posting.description_html is not None and "<strong>" in posting.description_html
    assert posting.description_text == (
        "Join the Computational Biology Lab for the spring semester.\n- Python and pandas\n"
        "- Basic statistics"
    )
    assert posting.raw["page_url"] == JOB_1001


def test_array_document_with_telecommute() -> None:
    spider = university()
    items, _ = split(
        spider.parse_page(html_response(JOB_1002, web("jsonld/university_job_array.html")))
    )
    (posting,), _ = build_all(items)
    assert posting.title == "Data Science Intern & Research Computing Assistant"  # &amp; unescaped
    assert posting.external_id == posting.url == JOB_1002  # no identifier: the page URL
    assert posting.workplace_type == "remote"
    assert posting.locations == ["Remote (United States)"]
    assert posting.employment_type == "INTERN"
    assert posting.posted_at == datetime(2026, 1, 20, 15, 30, tzinfo=UTC)
    assert (posting.salary_min, posting.salary_max, posting.salary_text) == (
        20,
        20,
        "USD 20 per hour",
    )


def test_broken_jsonld_block_is_counted_and_the_good_block_kept(caplog: Any) -> None:
    spider = university()
    items, _ = split(spider.parse_page(html_response(JOB_1003, web("jsonld/broken_block.html"))))
    (posting,), _ = build_all(items)
    assert posting.external_id == "1003" and posting.title == "IT Help Desk Student Worker"
    assert posting.url == JOB_1003  # relative url in the markup, resolved
    assert posting.company == "Example State University"  # a plain string organisation
    assert posting.locations == ["Main Library, Springfield, IL"]
    assert posting.description_text == "Answer tickets at the library help desk."
    assert errors(spider) == 1  # block 1 only; block 3 (comment-wrapped) decoded fine
    assert "JSON-LD block #1 is not valid JSON" in caplog.text
    assert not spider.listing_failed


def test_hospital_microdata() -> None:
    url = "https://careers.examplehealth.org/job/RN-2231/clinical-informatics-intern?src=mail"
    spider = with_stats(JsonLdSpider, board="careers.examplehealth.org", url=url)
    items, _ = split(
        spider.parse_page(html_response(url, web("jsonld/hospital_job_microdata.html")))
    )
    (posting,), rejected = build_all(items)
    assert not rejected
    assert posting.external_id == "RN-2231"
    assert posting.title == "Clinical Informatics Intern (Summer 2026)"
    assert posting.company == "Example Regional Health"  # nested itemscope
    assert (
        posting.url == "https://careers.examplehealth.org/job/RN-2231/clinical-informatics-intern"
    )
    assert posting.locations == ["Riverton, OH, US"]
    assert posting.employment_type == "Intern"
    assert posting.posted_at == datetime(2026, 2, 20, tzinfo=UTC)
    assert posting.deadline == date(2026, 4, 1)
    assert (posting.salary_min, posting.salary_max, posting.salary_currency) == (19, 23, "USD")
    assert (
        posting.description_html is not None
        and "<b>nursing informatics</b>" in posting.description_html
    )
    assert posting.description_text == (
        "Help the nursing informatics team improve EHR order sets.\n- SQL & Excel\n"
        "- Interest in healthcare data"
    )
    assert posting.raw["markup"] == "microdata"


def test_nested_jobpostings_and_one_bad_posting_isolated() -> None:
    page = """<html><head><script type="application/ld+json">
    {"@context": "https://schema.org", "@type": "ItemList", "itemListElement": [
      {"@type": "ListItem", "item": {"@type": ["JobPosting"], "name": "A", "identifier": "a"}},
      {"@type": "ListItem", "item": {"@type": "schema:JobPosting", "title": "B", "identifier": "b",
        "jobLocation": {"@type": "Place", "name": "Main campus"}}},
      {"@type": "ListItem", "item": {"@type": "http://schema.org/JobPosting", "title": "C",
        "identifier": "c", "baseSalary": 52000}}
    ]}</script></head></html>"""
    found = extract_job_postings(page)
    assert len(found.postings) == 3 and not found.errors
    titles = [map_job_posting(p, "https://x.example/list")["title"] for p in found.postings]
    assert titles == ["A", "B", "C"]  # "name" stands in for a missing "title"
    fields = map_job_posting(found.postings[1], "https://x.example/list")
    assert fields["locations"] == ["Main campus"]
    assert map_job_posting(found.postings[2], "https://x.example/list")["salary_min"] == 52000

    # A mapping error costs that posting only.
    spider = with_stats(JsonLdSpider, board="x", url="https://x.example/list")
    page = page.replace('"title": "B"', '"title": "B", "hiringOrganization": {"name": {"x": 1}}')
    real = map_job_posting

    def flaky(posting: Any, *args: Any) -> dict[str, Any]:
        if posting.get("name") == "A":
            raise RuntimeError("boom")
        return real(posting, *args)

    import crawlers.spiders.jsonld as module

    original = module.map_job_posting
    module.map_job_posting = flaky  # type: ignore[assignment]
    try:
        items, _ = split(spider.parse_page(html_response("https://x.example/list", page), depth=1))
    finally:
        module.map_job_posting = original  # type: ignore[assignment]
    assert [i["title"] for i in items] == ["B", "C"] and errors(spider) == 1


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ('{"a": 1,}', {"a": 1}),  # trailing comma
        ('<!-- {"a": 1} -->', {"a": 1}),  # HTML comment wrapper
        ('//<![CDATA[\n{"a": 1}\n//]]>', {"a": 1}),  # CDATA wrapper
        ('{"a": "line\nbreak"}', {"a": "line\nbreak"}),  # raw control character
        ('{"a": 1}\n{"b": 2}', [{"a": 1}, {"b": 2}]),  # two documents in one block
    ],
)
def test_lenient_jsonld_decoding(block: str, expected: Any) -> None:
    assert load_jsonld(block) == expected


def test_undecodable_jsonld_reports_where() -> None:
    with pytest.raises(ValueError, match=r"line 1 column \d+"):
        load_jsonld('{"a": 1 "b": 2}')


# ---------------------------------------------------------------- link following


def test_listing_page_follows_same_host_job_links_only() -> None:
    spider = university()
    items, requests = split(
        spider.parse_entry(html_response(CAREERS, web("jsonld/university_careers.html")))
    )
    assert items == [] and errors(spider) == 0 and not spider.listing_failed  # no JobPosting: fine
    # Off-host (LinkedIn), non-job (/about, /), PDFs, mailto and a tracking-parameter
    # duplicate of 1001 are not fetched.
    assert [r.url for r in requests] == [JOB_1001, JOB_1002, JOB_1003, SEARCH_2]
    assert {r.cb_kwargs["depth"] for r in requests} == {1}
    assert all(r.errback == spider.page_errback for r in requests)

    # Depth 1 (default): links on job/listing pages one level down are not followed.
    _, deeper = split(
        spider.parse_page(
            html_response(SEARCH_2, web("jsonld/university_search_page2.html")), depth=1
        )
    )
    assert deeper == []


def test_follow_regex_and_depth_options() -> None:
    body = web("jsonld/university_careers.html")
    spider = with_stats(JsonLdSpider, board="b", url=CAREERS, follow=r"/jobs/100[13]")
    _, requests = split(spider.parse_entry(html_response(CAREERS, body)))
    assert [r.url for r in requests] == [JOB_1001, JOB_1003]

    spider = with_stats(JsonLdSpider, board="b", url=CAREERS, depth="0")
    assert split(spider.parse_entry(html_response(CAREERS, body)))[1] == []

    spider = with_stats(JsonLdSpider, board="b", url=CAREERS, depth=2)
    _, requests = split(spider.parse_entry(html_response(CAREERS, body)))
    page2 = html_response(SEARCH_2, web("jsonld/university_search_page2.html"))
    _, deeper = split(spider.parse_page(page2, depth=1))
    assert [r.url for r in deeper] == [JOB_1004]  # /careers/ itself was already seen
    assert deeper[0].cb_kwargs["depth"] == 2


def test_max_pages_caps_the_crawl_and_keeps_postings_open() -> None:
    spider = with_stats(JsonLdSpider, board="b", url=CAREERS, max_pages=3)
    list(spider.start_requests())  # the start page is page 1
    _, requests = split(
        spider.parse_entry(html_response(CAREERS, web("jsonld/university_careers.html")))
    )
    assert [r.url for r in requests] == [JOB_1001, JOB_1002]
    # Postings beyond the cap were not seen: the crawl must not close them.
    assert spider.listing_failed and "max_pages=3" in (spider.listing_failure or "")


def test_base_url_rewrites_the_configured_host() -> None:
    spider = with_stats(JsonLdSpider, board="b", url=CAREERS, base_url="http://127.0.0.1:9")
    assert spider.listing_urls() == ["http://127.0.0.1:9/careers/"]
    page = web("jsonld/university_careers.html")
    _, requests = split(spider.parse_entry(html_response("http://127.0.0.1:9/careers/", page)))
    assert "http://127.0.0.1:9/careers/jobs/1003-it-help-desk-student" in [r.url for r in requests]
    assert all(r.url.startswith("http://127.0.0.1:9/") for r in requests)


# ---------------------------------------------------------------- sitemaps


def test_sitemap_index_to_sitemaps_to_job_pages() -> None:
    spider = with_stats(JsonLdSpider, board="b", sitemap=f"{SITE}/sitemap_index.xml")
    (first,) = list(spider.start_requests())
    assert first.url == f"{SITE}/sitemap_index.xml" and first.callback == spider.parse_sitemap
    _, children = split(
        spider.parse_sitemap(xml_response(first.url, web("jsonld/sitemap_index.xml")))
    )
    assert [r.url for r in children] == [f"{SITE}/sitemaps/jobs.xml", f"{SITE}/sitemaps/pages.xml"]
    assert all(r.errback == spider.listing_errback for r in children)  # a sitemap is the listing

    _, pages = split(
        spider.parse_sitemap(xml_response(children[0].url, web("jsonld/sitemap_jobs.xml")), level=1)
    )
    assert [r.url for r in pages] == [
        JOB_1001,
        JOB_1002,
        JOB_1004,
        f"{SITE}/careers/jobs/1005-filled-position",
    ]  # /events/... does not match `follow`
    assert split(
        spider.parse_sitemap(
            xml_response(children[1].url, web("jsonld/sitemap_pages.xml")), level=1
        )
    ) == ([], [])
    assert not spider.listing_failed


def test_sitemap_given_as_url_is_recognised_and_gzip_is_read() -> None:
    spider = with_stats(JsonLdSpider, board="b", url=f"{SITE}/sitemaps/jobs.xml", follow="/1002-")
    (entry,) = list(spider.start_requests())
    assert entry.callback == spider.parse_entry
    _, pages = split(spider.parse_entry(xml_response(entry.url, web("jsonld/sitemap_jobs.xml"))))
    assert [r.url for r in pages] == [JOB_1002]

    gz_url = f"{SITE}/sitemaps/jobs.xml.gz"
    response = Response(gz_url, body=gzip.compress(web("jsonld/sitemap_jobs.xml")))
    spider = with_stats(JsonLdSpider, board="b", sitemap=gz_url)
    assert len(split(spider.parse_sitemap(response))[1]) == 4
    spider = with_stats(JsonLdSpider, board="b", url=gz_url)
    assert len(split(spider.parse_entry(response))[1]) == 4


def test_unreadable_entry_points_fail_the_listing() -> None:
    spider = with_stats(JsonLdSpider, board="b", sitemap=f"{SITE}/sitemap.xml")
    split(
        spider.parse_sitemap(
            html_response(f"{SITE}/sitemap.xml", web("jsonld/university_careers.html"))
        )
    )
    assert spider.listing_failed and "expected a sitemap" in (spider.listing_failure or "")

    spider = with_stats(JsonLdSpider, board="b", url=CAREERS)
    (entry,) = list(spider.start_requests())
    entry.errback(failure_for(entry.url, ConnectionRefusedError()))
    assert spider.listing_failed and "ConnectionRefusedError" in (spider.listing_failure or "")

    spider = with_stats(JsonLdSpider, board="b")
    assert list(spider.start_requests()) == []
    assert spider.listing_failed and "start_urls" in (spider.listing_failure or "")


def test_a_failed_job_page_is_recorded_not_a_listing_failure() -> None:
    spider = university()
    broken = html_response(JOB_1003, b"gone")
    broken.status = 404  # type: ignore[misc]
    spider.page_errback(failure_for(JOB_1003, HttpError(broken, "Ignoring non-200 response")))
    assert not spider.listing_failed
    assert spider.failed_pages == [{"url": JOB_1003, "kind": "page", "reason": "HTTP 404"}]


def test_pages_that_failed_in_earlier_crawls_are_fetched_again() -> None:
    spider = university()
    spider.retry_urls = [JOB_1004, CAREERS, JOB_1004]  # as the failed-pages extension sets it
    requests = list(spider.start_requests())
    assert [r.url for r in requests] == [CAREERS, JOB_1004]  # the start page only once
    assert requests[1].callback == spider.parse_page and requests[1].errback == spider.page_errback
    # Reached again from the listing: not fetched twice.
    _, followed = split(
        spider.parse_page(
            html_response(SEARCH_2, web("jsonld/university_search_page2.html")), depth=0
        )
    )
    assert followed == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"follow": "(unclosed"}, "follow is not a valid regular expression"),
        ({"depth": "-1"}, "depth must be at least 0"),
        ({"max_pages": "lots"}, "max_pages must be a whole number"),
        ({"start_urls": "jobs.example.edu/careers"}, "not an absolute http"),
        ({"start_urls": '["https://a.example/", '}, "not a valid JSON list"),
    ],
)
def test_bad_options_are_rejected_clearly(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        JsonLdSpider(board="b", **kwargs)


def test_listing_host_for_scheduling() -> None:
    assert JsonLdSpider.listing_host(url=CAREERS) == "jobs.example.edu"
    assert JsonLdSpider.listing_host("http://127.0.0.1:9", CAREERS) == "127.0.0.1:9"
    assert JsonLdSpider.listing_host(sitemap=f"{SITE}/sitemap.xml") == "jobs.example.edu"
    assert JsonLdSpider.listing_host(start_urls=["https://careers.examplehealth.org/"]) == (
        "careers.examplehealth.org"
    )
    assert FeedSpider.listing_host(url=WWR_FEED) == "weworkremotely.com"
    assert RemoteOKSpider.listing_host() == "remoteok.com"
    assert HNWhoIsHiringSpider.listing_host() == "hn.algolia.com"


def test_list_options_accept_lists_json_and_plain_strings() -> None:
    a, b = "https://a.example/jobs", "https://b.example/careers"
    assert JsonLdSpider(board="x", start_urls=[a, b]).start_pages == [a, b]
    assert JsonLdSpider(board="x", start_urls=json.dumps([a, b])).start_pages == [a, b]
    assert JsonLdSpider(board="x", start_urls=f"{a} {b}").start_pages == [a, b]


# ---------------------------------------------------------------- feeds


def test_wwr_rss_feed() -> None:
    spider = with_stats(FeedSpider, board="wwr-programming", url=WWR_FEED)
    response = xml_response(WWR_FEED, web("feed/wwr_programming.rss"))
    items, requests = split(spider.parse_listing(response))
    postings, rejected = build_all(items)
    assert rejected == ["missing_title"] and not requests and errors(spider) == 0
    found = by_id(postings)
    first = found["https://weworkremotely.com/remote-jobs/brightline-data-junior-data-engineer"]
    assert (first.company, first.title) == ("Brightline Data", "Junior Data Engineer")
    assert (
        first.url == "https://weworkremotely.com/remote-jobs/brightline-data-junior-data-engineer"
    )
    assert first.locations == ["USA Only", "United States"]
    assert first.workplace_type == "remote"  # a We Work Remotely feed
    assert first.employment_type == "Full-Time"
    assert first.posted_at == datetime(2026, 3, 10, 14, 2, 11, tzinfo=UTC)  # RFC 822 pubDate
    assert first.deadline == date(2026, 4, 10)
    assert first.description_text is not None and "Build ELT pipelines" in first.description_text
    assert (
        first.raw["category"] == "Programming" and first.raw["media:content"]["type"] == "image/png"
    )

    intern = found[
        "https://weworkremotely.com/remote-jobs/kestrel-labs-software-engineering-intern-compilers"
    ]
    # Split on the first ": " only.
    assert intern.company == "Kestrel Labs"
    assert intern.title == "Software Engineering Intern: Compilers (Summer 2026)"
    assert intern.employment_type == "Internship"
    assert intern.description_text == "Work on our R&D compiler team for 12 weeks."  # CDATA

    # Slightly broken XML (a bare "&", HTML entities) is repaired, not truncated.
    broken = found["https://weworkremotely.com/remote-jobs/orchard-vine-full-stack-developer"]
    assert broken.company == "Orchard & Vine"
    assert broken.description_text == "Rails and React for a wine marketplace — 6 month contract."
    assert broken.posted_at == datetime(2026, 3, 8, 17, 0, tzinfo=UTC)


def test_atom_feed() -> None:
    url = "https://www.exampletrust.org/jobs/feed.atom"
    spider = with_stats(FeedSpider, board="trust", url=url)
    items, _ = split(spider.parse_listing(xml_response(url, web("feed/atom_jobs.xml"))))
    postings, rejected = build_all(items)
    assert not rejected and len(postings) == 2
    intern, associate = postings
    # A role before ": " is not a company name.
    assert intern.title == "GIS & Data Intern: Summer 2026"
    assert intern.company == "Example Conservation Trust: Jobs & Internships"  # the feed's title
    assert intern.external_id == "urn:uuid:5b0f6c1e-8f1a-4d8e-9c1f-2a7e8f1c1001"
    assert (
        intern.url == "https://www.exampletrust.org/jobs/gis-data-intern-summer-2026"
    )  # rel=alternate
    assert intern.posted_at == datetime(2026, 3, 1, 20, 0, tzinfo=UTC)  # published, not updated
    assert intern.description_text == "Map wetland habitat with QGIS and Python."
    assert (
        associate.url
        == associate.external_id
        == "https://www.exampletrust.org/jobs/development-associate"
    )
    assert (
        associate.description_html is not None
        and "<strong>membership</strong>" in associate.description_html
    )
    assert associate.workplace_type is None

    spider = with_stats(FeedSpider, board="trust", url=url, company="Example Conservation Trust")
    items, _ = split(spider.parse_listing(xml_response(url, web("feed/atom_jobs.xml"))))
    assert {i["company"] for i in items} == {"Example Conservation Trust"}


def test_title_split_modes() -> None:
    body = web("feed/wwr_programming.rss")
    spider = with_stats(FeedSpider, board="b", url=WWR_FEED, title_split="never")
    items, _ = split(spider.parse_listing(xml_response(WWR_FEED, body)))
    assert items[0]["title"] == "Brightline Data: Junior Data Engineer"
    assert items[0]["company"] == "We Work Remotely: Remote Programming Jobs"
    # A single-company feed (option `company`) keeps titles whole unless told otherwise.
    spider = with_stats(FeedSpider, board="b", url=WWR_FEED, company="Acme")
    items, _ = split(spider.parse_listing(xml_response(WWR_FEED, body)))
    assert (items[0]["company"], items[0]["title"]) == (
        "Acme",
        "Brightline Data: Junior Data Engineer",
    )
    spider = with_stats(FeedSpider, board="b", url=WWR_FEED, company="Acme", title_split="always")
    items, _ = split(spider.parse_listing(xml_response(WWR_FEED, body)))
    assert items[0]["company"] == "Brightline Data"
    with pytest.raises(ValueError, match="title_split"):
        FeedSpider(board="b", url=WWR_FEED, title_split="sometimes")


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (web("feed/not_a_feed.html"), "text/html", "root <html>"),
        (b'{"jobs": []}', "application/json", "got application/json that is not XML"),
        (b"", "text/plain", "not XML"),
        (b'<?xml version="1.0"?><urlset></urlset>', "application/xml", "root <urlset>"),
    ],
)
def test_a_feed_that_is_not_a_feed_fails_the_listing(
    body: bytes, content_type: str, reason: str
) -> None:
    spider = with_stats(FeedSpider, board="b", url=WWR_FEED)
    assert split(spider.parse_listing(text_response(WWR_FEED, body, content_type))) == ([], [])
    assert spider.listing_failed and reason in (spider.listing_failure or "")


def test_feed_needs_a_url_and_honours_base_url() -> None:
    spider = with_stats(FeedSpider, board="b")
    assert list(spider.start_requests()) == [] and spider.listing_failed
    spider = FeedSpider(board="b", url=WWR_FEED, base_url="http://127.0.0.1:9")
    (request,) = list(spider.start_requests())
    assert request.url == "http://127.0.0.1:9/categories/remote-programming-jobs.rss"
    assert b"rss+xml" in request.headers[b"Accept"]
    assert spider.workplace_type == "remote"  # decided by the configured URL, not the mirror


# ---------------------------------------------------------------- Remote OK


def test_remoteok_real_dump() -> None:
    body = realdata("remoteok/api_dump_2026-03_first40.json").read_bytes()
    spider = with_stats(RemoteOKSpider, board="remoteok")
    items, requests = split(spider.parse_listing(text_response(spider.listing_urls()[0], body)))
    postings, rejected = build_all(items)
    # Element 0, the legal notice, is not a job; one real job has no title at all.
    assert rejected == ["missing_title"] and not requests and errors(spider) == 0
    assert len(postings) == 39
    assert spider.legal_notice is not None and "link back" in spider.legal_notice
    for posting in postings:
        assert posting.url.lower().startswith("https://remoteok.com/remote-jobs/")  # the link back
        assert posting.raw["source_attribution"] == "Remote OK"
        assert posting.raw["source_link"] == posting.url
        assert posting.workplace_type == "remote"
        assert "â€" not in (posting.description_html or "")  # mojibake repaired
        # The per-request anti-spam line (random word, client tag) is not the job.
        assert "Please mention the word" not in (posting.description_text or "")
        assert "Please mention the word" not in posting.raw["description"]
    found = by_id(postings)
    first = found["1130788"]
    assert first.title == "Benefits Advisor Leadership Training Program"
    assert first.company == "Fisher Agencies"
    assert first.posted_at == datetime(2026, 3, 16, 0, 0, 3, tzinfo=UTC)
    assert first.salary_min is None and first.locations == []  # 0 and "" mean "not given"
    assert found["1130779"].locations == ["Gdańsk"]
    assert (found["1130780"].salary_min, found["1130780"].salary_max) == (180000, 210000)
    assert found["1130780"].salary_currency == "USD"
    assert found["1130776"].salary_min is None  # "30": thousands or hourly? left out


def test_remoteok_fixture_edge_cases(caplog: Any) -> None:
    spider = with_stats(RemoteOKSpider, board="remoteok", base_url="http://127.0.0.1:9")
    assert spider.listing_urls() == ["http://127.0.0.1:9/api"]
    items, _ = split(
        spider.parse_listing(text_response("http://127.0.0.1:9/api", web("remoteok/api.json")))
    )
    postings, rejected = build_all(items)
    assert rejected == ["missing_title"]
    assert errors(spider) == 1 and "job is a str" in caplog.text  # the stray string, alone
    found = by_id(postings)
    intern = found["2000001"]
    assert intern.employment_type == "Internship"  # from the "intern" tag
    assert (intern.salary_min, intern.salary_max, intern.salary_currency) == (40000, 55000, "USD")
    assert intern.description_text == "Train ranking models in PyTorch’s ecosystem."
    assert "paraphrased" in intern.raw["source_terms"]
    fjord = found["2000002"]
    assert fjord.title == "Backend Engineer – Payments" and fjord.locations == ["Gdańsk"]
    assert fjord.apply_url == "https://fjord.example/careers/42"
    assert fjord.url.startswith("https://remoteOK.com/remote-jobs/")  # not the employer's page
    assert fjord.description_text == "We’re hiring in Gdańsk.\nlearnings to scale."
    canopy = found["2000003"]
    assert (
        canopy.url == "https://remoteok.com/remote-jobs/remote-data-analyst-canopy-health-2000003"
    )
    assert canopy.salary_min is None and canopy.apply_url is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Weâ\x80\x99re here", "We’re here"),
        ("naïve café déjà vu", "naïve café déjà vu"),  # correct text untouched
        ("GdaÅ\x84sk", "Gdańsk"),
        ("plain ascii", "plain ascii"),
    ],
)
def test_fix_mojibake(text: str, expected: str) -> None:
    assert fix_mojibake(text) == expected


def test_remoteok_payload_must_be_a_list() -> None:
    spider = with_stats(RemoteOKSpider, board="remoteok")
    split(
        spider.parse_listing(text_response(spider.listing_urls()[0], b'{"error": "rate limited"}'))
    )
    assert spider.listing_failed and "not a JSON array" in (spider.listing_failure or "")


# ---------------------------------------------------------------- Hacker News


def test_hn_finds_the_latest_who_is_hiring_thread() -> None:
    spider = with_stats(HNWhoIsHiringSpider, board="whoishiring", base_url="http://127.0.0.1:9")
    (search,) = list(spider.start_requests())
    assert search.url.startswith(
        "http://127.0.0.1:9/api/v1/search_by_date?tags=story,author_whoishiring"
    )
    _, requests = split(
        spider.parse_search(text_response(search.url, web("hn/search_by_date.json")))
    )
    # Newer "Who wants to be hired?" and freelancer threads are not it.
    assert [r.url for r in requests] == ["http://127.0.0.1:9/api/v1/items/47000001"]
    assert requests[0].callback == spider.parse_listing

    spider = with_stats(HNWhoIsHiringSpider, board="whoishiring")
    split(
        spider.parse_search(
            text_response(
                search.url,
                b'{"hits": [{"title": "Ask HN: Who wants to be hired?", "objectID": "1"}]}',
            )
        )
    )
    assert spider.listing_failed and "no 'Ask HN: Who is hiring?' thread" in (
        spider.listing_failure or ""
    )


def test_hn_thread_comments_become_postings() -> None:
    spider = with_stats(HNWhoIsHiringSpider, board="whoishiring", story_id="47000001")
    (request,) = list(spider.start_requests())
    assert request.url == "https://hn.algolia.com/api/v1/items/47000001"
    items, _ = split(
        spider.parse_listing(text_response(request.url, web("hn/thread_47000001.json")))
    )
    postings, rejected = build_all(items)
    assert not rejected and errors(spider) == 0
    found = by_id(postings)
    # Deleted, [flagged], dead and blank comments are skipped; replies are not postings.
    assert list(found) == ["47000101", "47000102", "47000106", "47000107", "47000108", "47000109"]
    assert spider.skipped == 4

    acme = found["47000101"]
    assert (acme.company, acme.title) == ("Acme Robotics", "Machine Learning Intern (Summer 2026)")
    assert acme.url == "https://news.ycombinator.com/item?id=47000101"
    assert acme.apply_url == "https://acme-robotics.example/careers"
    assert acme.locations == ["Boston, MA"] and acme.workplace_type == "onsite"
    assert acme.employment_type == "Internship"
    assert acme.posted_at == datetime(2026, 3, 2, 16, 1, tzinfo=UTC)
    assert acme.description_text is not None and "perception in PyTorch" in acme.description_text
    assert (
        "children" not in acme.raw
        and acme.raw["thread_title"] == "Ask HN: Who is hiring? (March 2026)"
    )

    lumen = found["47000102"]
    assert lumen.title == "Senior Backend Engineer, Data Engineer"
    assert lumen.locations == ["REMOTE (US)"] and lumen.workplace_type == "remote"
    assert lumen.employment_type == "Full-time" and lumen.salary_text == "$150k-$190k + equity"
    assert found["47000106"].title == "(see description)"
    assert found["47000106"].company == "Northwind Analytics (YC W24)"


@pytest.mark.parametrize(
    ("line", "company", "title", "locations", "workplace", "url"),
    [
        (
            "Fernhill Labs | Berlin, Germany | Software Engineer | Internships available | VISA | fernhill.example/jobs",
            "Fernhill Labs",
            "Software Engineer | Internships available",  # the internship lands in the title
            ["Berlin, Germany"],
            None,
            "https://fernhill.example/jobs",
        ),
        (
            'Quill is hiring ML interns in Berlin (<a href="https:&#x2F;&#x2F;quill.example&#x2F;jobs">https:&#x2F;&#x2F;quill.example&#x2F;jobs</a>)',
            "Quill",
            "ML interns in Berlin",
            [],
            None,
            "https://quill.example/jobs",
        ),
        (
            "Tidewater Bank | Data Analyst | Charlotte, NC | Onsite",
            "Tidewater Bank",
            "Data Analyst",
            ["Charlotte, NC"],
            "onsite",
            None,
        ),
        (
            "Northwind | NYC or Remote | Hybrid",
            "Northwind",
            None,
            ["NYC or Remote"],
            "remote",
            None,
        ),
        (
            "Summer internships at Brightwater | London",
            "Summer internships at Brightwater",
            "Summer internships at Brightwater",
            ["London"],
            None,
            None,
        ),
        (
            "Data Engineer at Orbital Foods, remote",
            "Orbital Foods",
            "Data Engineer",
            [],
            "remote",
            None,
        ),
        (
            "Kite Co. | https://kite.example | Founding Engineer | SF",
            "Kite Co.",
            "Founding Engineer",
            ["SF"],
            None,
            "https://kite.example",
        ),
    ],
)
def test_hn_first_line_parsing(
    line: str,
    company: str,
    title: str | None,
    locations: list[str],
    workplace: str | None,
    url: str | None,
) -> None:
    head = parse_first_line(line + "<p>Details follow.")
    assert (head.company, head.title, head.locations, head.workplace_type, head.url) == (
        company,
        title,
        locations,
        workplace,
        url,
    )


def test_hn_bad_inputs() -> None:
    with pytest.raises(ValueError, match="story_id"):
        HNWhoIsHiringSpider(board="b", story_id="latest")
    spider = with_stats(HNWhoIsHiringSpider, board="b", story_id="47000101")
    comment = {"id": 47000101, "type": "comment", "text": "hi", "children": []}
    split(
        spider.parse_listing(text_response(spider.listing_urls()[0], json.dumps(comment).encode()))
    )
    assert spider.listing_failed and "not a story" in (spider.listing_failure or "")


# ---------------------------------------------------------------- whole crawls


def _registered(kind: str) -> None:
    from crawlers.spiders import SPIDERS

    if kind not in SPIDERS:
        pytest.skip(f"source kind {kind!r} is not registered in crawlers.spiders.SPIDERS yet")


def _crawl(db_url: str, sources: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    try:
        entries = run_crawl_subprocess(
            db_url,
            sources,
            timeout=120,
            settings=FAST_SETTINGS,
            log_level="WARNING",
            stderr=subprocess.PIPE,
        )
    except CrawlSubprocessError as exc:  # pragma: no cover - shown on failure only
        pytest.fail(f"{exc}\n{exc.stderr}")
    return {e["name"]: e for e in entries}


def _stored(db_url: str, kind: str) -> dict[str, dict[str, store.Posting]]:
    engine = store.make_engine(db_url)
    try:
        out: dict[str, dict[str, store.Posting]] = {}
        for posting in store.get_postings(engine, source_kind=kind):
            out.setdefault(posting.board, {})[posting.external_id] = posting
        return out
    finally:
        engine.dispose()


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'crawl.db'}"


def _html(name: str) -> Reply:
    return Reply(web(name), content_type="text/html; charset=utf-8")


def _xml(name: str, content_type: str = "application/xml") -> Reply:
    return Reply(web(name), content_type=content_type)


def test_crawl_jsonld_site_by_pages_and_by_sitemap(db_url: str) -> None:
    _registered("jsonld")
    routes: dict[str, Any] = {
        "/careers/": _html("jsonld/university_careers.html"),
        "/careers/search": _html("jsonld/university_search_page2.html"),
        "/careers/jobs/1001-research-assistant-intern": _html("jsonld/university_job_graph.html"),
        "/careers/jobs/1002-data-science-intern": _html("jsonld/university_job_array.html"),
        "/careers/jobs/1003-it-help-desk-student": _html("jsonld/broken_block.html"),
        "/careers/jobs/1004-library-digitization-intern": _html("jsonld/university_job_1004.html"),
        # 1005 is listed in the sitemap but gone: 404.
        "/sitemap_index.xml": _xml("jsonld/sitemap_index.xml"),
        "/sitemaps/jobs.xml": _xml("jsonld/sitemap_jobs.xml"),
        "/sitemaps/pages.xml": _xml("jsonld/sitemap_pages.xml"),
    }
    with serving(routes) as server:
        base = server.base_url
        report = _crawl(
            db_url,
            [
                {
                    "name": "esu",
                    "kind": "jsonld",
                    "board": "jobs.example.edu",
                    "url": CAREERS,
                    "base_url": base,
                },
                {
                    "name": "esu-sitemap",
                    "kind": "jsonld",
                    "board": "jobs.example.edu/sitemap",
                    "sitemap": f"{SITE}/sitemap_index.xml",
                    "base_url": base,
                    "sector": "research",
                },
            ],
        )
        paths = server.paths_requested()
    assert report["esu"]["status"] == "ok", report["esu"]
    assert (report["esu"]["new"], report["esu"]["errors"]) == (3, 1)  # 1001-1003; one broken block
    assert report["esu-sitemap"]["status"] == "ok", report["esu-sitemap"]
    assert report["esu-sitemap"]["new"] == 3  # 1001, 1002, 1004; 1005 failed alone
    assert "/careers/jobs/1005-filled-position" in paths
    assert "/about" not in paths and "/events/open-house" not in paths
    stored = _stored(db_url, "jsonld")
    assert set(stored["jobs.example.edu"]) == {"REQ-2026-1001", JOB_1002, "1003"}
    assert set(stored["jobs.example.edu/sitemap"]) == {"REQ-2026-1001", JOB_1002, "REQ-2026-1004"}
    ra = stored["jobs.example.edu/sitemap"]["REQ-2026-1001"]
    assert ra.company == "Example State University" and ra.employment_type == "INTERN, PART_TIME"
    assert ra.sector_hint == "research" and ra.url == JOB_1001


def test_crawl_feeds(db_url: str) -> None:
    _registered("feed")
    routes: dict[str, Any] = {
        "/categories/remote-programming-jobs.rss": _xml(
            "feed/wwr_programming.rss", "application/rss+xml"
        ),
        "/jobs/feed.atom": _xml("feed/atom_jobs.xml", "application/atom+xml"),
        "/moved.rss": _html("feed/not_a_feed.html"),
    }
    with serving(routes) as server:
        base = server.base_url
        report = _crawl(
            db_url,
            [
                {
                    "name": "wwr",
                    "kind": "feed",
                    "board": "wwr-programming",
                    "url": WWR_FEED,
                    "base_url": base,
                },
                {
                    "name": "trust",
                    "kind": "feed",
                    "board": "exampletrust",
                    "url": f"{base}/jobs/feed.atom",
                    "company": "Example Conservation Trust",
                },
                {"name": "moved", "kind": "feed", "board": "moved", "url": f"{base}/moved.rss"},
            ],
        )
    assert report["wwr"]["status"] == "ok" and (
        report["wwr"]["new"],
        report["wwr"]["rejected"],
    ) == (3, 1)
    assert report["trust"]["status"] == "ok" and report["trust"]["new"] == 2
    assert report["moved"]["status"] == "failed"
    assert "expected an RSS or Atom feed" in report["moved"]["error"]
    stored = _stored(db_url, "feed")
    wwr = stored["wwr-programming"]
    assert {p.workplace_type for p in wwr.values()} == {"remote"}
    assert {p.company for p in wwr.values()} == {
        "Brightline Data",
        "Kestrel Labs",
        "Orchard & Vine",
    }
    assert {p.company for p in stored["exampletrust"].values()} == {"Example Conservation Trust"}


def test_crawl_remoteok(db_url: str) -> None:
    _registered("remoteok")
    with serving({"/api": Reply(web("remoteok/api.json"))}) as server:
        report = _crawl(
            db_url,
            [
                {
                    "name": "remoteok",
                    "kind": "remoteok",
                    "board": "remoteok",
                    "base_url": server.base_url,
                }
            ],
        )
    entry = report["remoteok"]
    assert entry["status"] == "ok", entry
    assert (entry["new"], entry["rejected"], entry["errors"]) == (3, 1, 1)
    stored = _stored(db_url, "remoteok")["remoteok"]
    assert set(stored) == {"2000001", "2000002", "2000003"}
    for posting in stored.values():
        assert posting.url.lower().startswith("https://remoteok.com/remote-jobs/")
        assert posting.raw["source_attribution"] == "Remote OK"
        assert posting.workplace_type == "remote"


def test_crawl_hn_latest_thread(db_url: str) -> None:
    _registered("hn")
    routes: dict[str, Any] = {
        "/api/v1/search_by_date": Reply(web("hn/search_by_date.json")),
        "/api/v1/items/47000001": Reply(web("hn/thread_47000001.json")),
    }
    with serving(routes) as server:
        report = _crawl(
            db_url,
            [{"name": "hn", "kind": "hn", "board": "whoishiring", "base_url": server.base_url}],
        )
        paths = server.paths_requested()
    assert report["hn"]["status"] == "ok", report["hn"]
    assert report["hn"]["new"] == 6 and report["hn"]["errors"] == 0
    assert paths.count("/api/v1/items/47000001") == 1 and "/api/v1/items/46500001" not in paths
    stored = _stored(db_url, "hn")["whoishiring"]
    assert stored["47000101"].title == "Machine Learning Intern (Summer 2026)"
    assert stored["47000101"].url == "https://news.ycombinator.com/item?id=47000101"
