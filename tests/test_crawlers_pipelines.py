"""NormalizePipeline and StorePipeline, driven directly (no reactor)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from crawlers_conftest_helpers import load_fixture, parse_listing
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.test import get_crawler

import store
from crawlers.items import PostingItem
from crawlers.pipelines import NormalizePipeline, StorePipeline
from crawlers.spiders import GreenhouseSpider, SimplifySpider


def _item(**fields: Any) -> PostingItem:
    base = {
        "source_kind": "greenhouse",
        "board": "acme",
        "source_name": "Acme",
        "external_id": "1",
        "title": "ML Intern",
        "url": "https://example.com/jobs/1",
        "raw": {"id": 1},
    }
    return PostingItem(**{**base, **fields})


def _run_normalize(crawler: Crawler, items: list[PostingItem]) -> tuple[list[Any], list[str]]:
    pipeline = NormalizePipeline.from_crawler(crawler)
    kept, dropped = [], []
    for item in items:
        try:
            kept.append(pipeline.process_item(item))
        except DropItem as exc:
            dropped.append(str(exc))
    return kept, dropped


def test_normalize_counts_drop_reasons_and_keeps_good_records() -> None:
    crawler = get_crawler(GreenhouseSpider)
    items = [
        _item(external_id="1"),
        _item(external_id="2", title="  "),
        _item(external_id="3", url="/jobs/3"),
        _item(external_id="1", title="ML Intern (again)"),
        _item(external_id=None),
        _item(external_id="4", title="Data Intern"),
    ]
    kept, dropped = _run_normalize(crawler, items)
    assert [p.external_id for p in kept] == ["1", "4"]
    assert all(isinstance(p, store.PostingIn) for p in kept)
    stats = crawler.stats
    assert stats.get_value("internscout/rejected") == 4
    assert stats.get_value("internscout/rejected/missing_title") == 1
    assert stats.get_value("internscout/rejected/bad_url") == 1
    assert stats.get_value("internscout/rejected/duplicate") == 1
    assert stats.get_value("internscout/rejected/missing_id") == 1
    # Each drop names the source and the record so a log reader can find it.
    assert all(msg.startswith("Acme: ") for msg in dropped)
    assert any("id=2" in msg and "https://example.com/jobs/1" in msg for msg in dropped)
    assert any("id=3" in msg and "url=/jobs/3" in msg for msg in dropped)


def test_normalize_on_a_real_shaped_page() -> None:
    crawler = get_crawler(SimplifySpider)
    spider = SimplifySpider.from_crawler(crawler, board="s26")
    items, _ = parse_listing(spider, load_fixture("simplify_listings.json"))
    kept, dropped = _run_normalize(crawler, items)
    assert len(kept) == 2 and len(dropped) == 1
    assert crawler.stats.get_value("internscout/rejected/missing_title") == 1


# ---------------------------------------------------------------- store


class _Crawl:
    """One simulated crawl of a board through StorePipeline."""

    def __init__(self, db_url: str, batch_size: int = 2, board: str = "acme"):
        self.crawler = get_crawler(
            GreenhouseSpider,
            {"INTERNSCOUT_DATABASE_URL": db_url, "INTERNSCOUT_STORE_BATCH_SIZE": batch_size},
        )
        self.spider = GreenhouseSpider.from_crawler(self.crawler, board=board)
        self.pipeline = StorePipeline.from_crawler(self.crawler)
        self.pipeline.open_spider()

    def feed(self, ids: list[str], title: str = "ML Intern") -> None:
        normalize = NormalizePipeline.from_crawler(self.crawler)
        for external_id in ids:
            posting = normalize.process_item(
                _item(
                    external_id=external_id,
                    title=title,
                    board=self.spider.board,
                    url=f"https://example.com/jobs/{external_id}",
                )
            )
            self.pipeline.process_item(posting)

    def finish(self, reason: str = "finished") -> dict[str, Any]:
        self.pipeline.close_spider()
        self.pipeline.spider_closed(self.spider, reason)
        return self.crawler.stats.get_stats()


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'crawl.db'}"


def _rows(db_url: str) -> dict[str, Any]:
    engine = store.make_engine(db_url)
    try:
        return {p.external_id: p for p in store.get_postings(engine, source_kind="greenhouse")}
    finally:
        engine.dispose()


def test_store_pipeline_requires_a_database_url() -> None:
    with pytest.raises(NotConfigured):
        StorePipeline.from_crawler(get_crawler(GreenhouseSpider))


def test_store_writes_in_batches_and_counts(db_url: str) -> None:
    crawl = _Crawl(db_url, batch_size=2)
    with mock.patch("crawlers.pipelines.upsert_postings", wraps=store.upsert_postings) as upsert:
        crawl.feed(["1", "2", "3", "4", "5"])
        stats = crawl.finish()
    assert [len(call.args[1]) for call in upsert.call_args_list] == [2, 2, 1]
    seen = {call.kwargs["seen_at"] for call in upsert.call_args_list}
    assert len(seen) == 1 and next(iter(seen)).tzinfo is not None  # one crawl, one seen_at
    assert stats["internscout/new"] == 5 and stats["internscout/closed"] == 0
    assert set(_rows(db_url)) == {"1", "2", "3", "4", "5"}

    again = _Crawl(db_url)
    again.feed(["1", "2", "3", "4", "5"])
    stats = again.finish()
    assert stats.get("internscout/new", 0) == 0
    assert stats["internscout/unchanged"] == 5


def test_finished_crawl_closes_missing_postings(db_url: str) -> None:
    first = _Crawl(db_url)
    first.feed(["1", "2", "3"])
    first.finish()
    second = _Crawl(db_url)
    second.feed(["1", "3"], title="ML Intern, Vision")
    stats = second.finish()
    assert stats["internscout/closed"] == 1
    assert stats["internscout/updated"] == 2
    rows = _rows(db_url)
    assert len(rows) == 3  # closed, not deleted
    assert rows["2"].closed_at is not None
    assert rows["1"].closed_at is None and rows["3"].closed_at is None


def test_other_boards_are_not_closed(db_url: str) -> None:
    acme = _Crawl(db_url, board="acme")
    acme.feed(["1"])
    acme.finish()
    globex = _Crawl(db_url, board="globex")
    globex.feed(["9"])
    assert globex.finish()["internscout/closed"] == 0
    rows = _rows(db_url)
    assert set(rows) == {"1", "9"}
    assert all(p.closed_at is None for p in rows.values())


@pytest.mark.parametrize("failure", ["listing", "shutdown", "store", "spider_exception"])
def test_failed_crawl_closes_nothing(db_url: str, failure: str) -> None:
    first = _Crawl(db_url)
    first.feed(["1", "2", "3"])
    first.finish()

    second = _Crawl(db_url)
    reason = "finished"
    if failure == "listing":
        second.spider.fail_listing("HTTP 500", "http://x/jobs")
    elif failure == "shutdown":
        reason = "shutdown"
    elif failure == "spider_exception":
        second.crawler.stats.inc_value("spider_exceptions/count")
    if failure == "store":
        with mock.patch(
            "crawlers.pipelines.upsert_postings", side_effect=RuntimeError("disk full")
        ):
            second.feed(["1"])
            stats = second.finish()
        assert "disk full" in stats["internscout/store_error"]
    else:
        second.feed(["1"])
        stats = second.finish(reason)
    assert stats["internscout/closed"] == 0
    assert stats["internscout/not_closed"]
    assert all(p.closed_at is None for p in _rows(db_url).values())
