"""Helpers shared by the crawler tests (imported explicitly, not a conftest)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import Request, TextResponse

from crawlers.items import PostingItem
from crawlers.normalize import Rejected, build_posting
from crawlers.spiders.base import PostingSpider
from store import PostingIn

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
REALDATA = SHARED / "realdata"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "crawlers"

# Local crawls: no politeness delays and one quick retry, so a 500 fails fast.
FAST_SETTINGS: dict[str, Any] = {
    "AUTOTHROTTLE_ENABLED": False,
    "AUTOTHROTTLE_START_DELAY": 0,
    "DOWNLOAD_DELAY": 0,
    "DOWNLOAD_DELAY_JITTER": 0,
    "RETRY_TIMES": 1,
    "DOWNLOAD_TIMEOUT": 10,
}


def realdata(relpath: str) -> Path:
    """A recorded payload from ../shared/realdata, or skip the test."""
    path = REALDATA / relpath
    if not path.is_file():
        pytest.skip(f"reference payload not available: {path} is absent (../shared not present)")
    return path


def fixture(name: str) -> Path:
    return FIXTURES / name


def load_fixture(name: str) -> Any:
    return json.loads(fixture(name).read_text(encoding="utf-8"))


def json_response(
    url: str, body: bytes | str | Any, content_type: str = "application/json"
) -> TextResponse:
    """A response as the downloader would hand it to the spider."""
    if isinstance(body, str):
        raw = body.encode("utf-8")
    elif isinstance(body, bytes):
        raw = body
    else:
        raw = json.dumps(body).encode("utf-8")
    return TextResponse(
        url=url,
        body=raw,
        encoding="utf-8",
        headers={"Content-Type": content_type},
        request=Request(url),
    )


def parse_listing(
    spider: PostingSpider, body: bytes | str | Any, url: str | None = None
) -> tuple[list[PostingItem], list[Request]]:
    """Feed one listing page to the spider; split what it yields."""
    target = url or spider.listing_urls()[0]
    items: list[PostingItem] = []
    requests: list[Request] = []
    for out in spider.parse_listing(json_response(target, body)):
        if isinstance(out, Request):
            requests.append(out)
        else:
            assert isinstance(out, PostingItem), f"unexpected output {out!r}"
            items.append(out)
    return items, requests


def build_all(items: Iterable[PostingItem]) -> tuple[list[PostingIn], list[str]]:
    """Normalise items like NormalizePipeline does: (postings, reject slugs)."""
    postings: list[PostingIn] = []
    rejected: list[str] = []
    for item in items:
        try:
            postings.append(build_posting(dict(item)))
        except Rejected as exc:
            rejected.append(exc.slug)
    return postings, rejected


def by_id(postings: Iterable[PostingIn]) -> dict[str, PostingIn]:
    return {p.external_id: p for p in postings}
