"""Crawls against a fault-injecting server: random failures converge, Retry-After
and backoff are honoured, bad responses fail with clear reasons and lose nothing else."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest
from crawlers_conftest_helpers import FAST_SETTINGS
from faultserver import (
    Drop,
    FaultRequest,
    NoLength,
    RandomFaults,
    Redirect,
    Script,
    Sleep,
    Status,
    Truncate,
    fault_server,
    greenhouse_jobs,
    greenhouse_source,
    lever_pages,
    lever_postings,
    lever_source,
)
from scrapy.http import Request, Response
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

import store
from crawlers.crawl import _apply_delay_floor
from crawlers.extensions import FailedPagesExtension
from crawlers.middlewares import parse_retry_after
from crawlers.pipelines import NormalizePipeline, StorePipeline
from crawlers.run import CrawlSubprocessError, run_crawl_subprocess
from crawlers.spiders import GreenhouseSpider
from internscout.replay import Reply

# Local crawls: no politeness delay, short timeouts, two quick retries.
SETTINGS: dict[str, Any] = {
    **FAST_SETTINGS,
    "DOWNLOAD_TIMEOUT": 1,
    "RETRY_TIMES": 2,
    "INTERNSCOUT_RETRY_BACKOFF_BASE": 0.05,
    "INTERNSCOUT_MAX_PARALLEL_CRAWLS": 16,
    "INTERNSCOUT_MAX_PARALLEL_CRAWLS_PER_HOST": 16,
}


def crawl(
    db_url: str, sources: list[dict[str, Any]], settings: dict[str, Any] | None = None, **kw: Any
) -> dict[str, dict[str, Any]]:
    try:
        entries = run_crawl_subprocess(
            db_url,
            sources,
            timeout=120,
            settings={**SETTINGS, **(settings or {})},
            stderr=kw.pop("stderr", subprocess.PIPE),
            **kw,
        )
    except CrawlSubprocessError as exc:  # pragma: no cover - shown on failure only
        pytest.fail(f"{exc}\n{exc.stderr}")
    return {e["name"]: e for e in entries}


def db_path(db_url: str) -> str:
    return db_url.removeprefix("sqlite:///")


def query(db_url: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(db_path(db_url))
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'crawl.db'}"


# ---------------------------------------------------------------- 30% of requests fail

BOARDS = 100
PER_BOARD = 5
# With RETRY_TIMES=2 a listing is lost when 3 attempts in a row fail (p = 0.3^3 =
# 2.7%). The draw is a hash of (seed, URL, attempt), so this seed fixes which
# requests fail whatever order they arrive in: run 1 loses 4 boards, run 2 loses
# 4 others (their postings are already stored from run 1).
SEED = 3


def test_random_failures_converge_in_two_runs(db_url: str) -> None:
    routes = {
        f"/v1/boards/b{n:03d}/jobs": Reply.json(greenhouse_jobs(f"b{n:03d}", PER_BOARD))
        for n in range(BOARDS)
    }
    # A generous timeout, so that only the injected timeouts (3 s) time out on a busy machine.
    faults = RandomFaults(rate=0.3, seed=SEED, timeout_seconds=3.0)
    with fault_server(routes, random_faults=faults) as server:
        sources = [greenhouse_source(server, f"b{n:03d}") for n in range(BOARDS)]
        progress: list[dict[str, Any]] = []

        started = time.monotonic()
        first = crawl(db_url, sources, {"DOWNLOAD_TIMEOUT": 2}, on_progress=progress.append)
        run1_seconds = time.monotonic() - started
        run1_hits = list(server.hits)
        run1_failed = [h for h in run1_hits if h.outcome != "200"]
        stored1 = {r[0] for r in query(db_url, "SELECT external_id FROM posting")}
        failed1 = query(db_url, "SELECT url, kind, reason FROM failedpage")

        server.clear()
        started = time.monotonic()
        second = crawl(db_url, sources, {"DOWNLOAD_TIMEOUT": 2})
        run2_seconds = time.monotonic() - started
        run2_hits = list(server.hits)
        run2_failed = [h for h in run2_hits if h.outcome != "200"]

    listing = f"{server.base_url}/v1/boards/{{}}/jobs?content=true"
    # Run 1: 30% of the requests failed, most were saved by retries.
    share = len(run1_failed) / len(run1_hits)
    assert 0.2 < share < 0.4, Counter(h.outcome for h in run1_failed)
    lost_boards = {name for name, e in first.items() if e["status"] == "failed"}
    assert 0 < len(lost_boards) < 10
    # ...and every posting not stored belongs to a board whose listing is a recorded failed page.
    expected = {f"b{n:03d}-{i:04d}" for n in range(BOARDS) for i in range(PER_BOARD)}
    missing = expected - stored1
    assert {m.rsplit("-", 1)[0] for m in missing} == lost_boards
    assert len(missing) == PER_BOARD * len(lost_boards)
    assert {url for url, _, _ in failed1} == {listing.format(b) for b in lost_boards}
    assert {kind for _, kind, _ in failed1} == {"listing"}
    for _url, _, reason in failed1:
        assert re.search(r"HTTP 50\d|connection dropped|truncated body|timeout after 2 s", reason)
    for name in lost_boards:
        assert first[name]["failed_pages"] == 1 and first[name]["closed"] == 0
    assert sum(e["new"] for e in first.values()) == len(stored1)

    # Run 2: everything is stored, exactly once; run 1's failures are resolved.
    rows = query(db_url, "SELECT count(*), count(DISTINCT external_id) FROM posting")
    assert rows == [(BOARDS * PER_BOARD, BOARDS * PER_BOARD)]
    assert {r[0] for r in query(db_url, "SELECT external_id FROM posting")} == expected
    resolved = query(db_url, "SELECT url FROM failedpage WHERE resolved_at IS NOT NULL")
    assert {url for (url,) in resolved} == {url for url, _, _ in failed1}
    for name in lost_boards:
        assert second[name]["status"] == "ok" and second[name]["new"] == PER_BOARD
    # Run 2 lost other boards (recorded, unresolved), but their postings stay stored and open.
    lost_again = {name for name, e in second.items() if e["status"] == "failed"}
    assert not lost_again & lost_boards
    unresolved = query(db_url, "SELECT url FROM failedpage WHERE resolved_at IS NULL")
    assert {url for (url,) in unresolved} == {listing.format(b) for b in lost_again}
    assert query(db_url, "SELECT count(*) FROM posting WHERE closed_at IS NOT NULL") == [(0,)]

    # Progress: pending, running, one final line per source, counters that add up.
    by_source: dict[str, list[dict[str, Any]]] = {}
    for event in progress:
        by_source.setdefault(event["name"], []).append(event)
    assert set(by_source) == set(first)
    for name, events in by_source.items():
        statuses = [e["status"] for e in events]
        assert statuses[0] == "pending" and statuses[1] == "running"
        assert statuses[-1] == first[name]["status"]
        assert statuses.count("pending") == 1 and statuses.count(first[name]["status"]) == 1
        assert events[-1]["items"] == first[name]["new"]
        assert events[-1]["error"] == first[name]["error"]
        assert len(events) <= 3 + run1_seconds / 0.5 + 1  # throttled

    print(
        f"\n30% failures, {BOARDS} boards x {PER_BOARD} postings, seed {SEED}:"
        f"\n  run 1: {len(run1_hits)} requests, {len(run1_failed)} failed "
        f"{dict(Counter(h.outcome for h in run1_failed))}, {len(stored1)} postings stored, "
        f"{len(failed1)} failed pages recorded, {run1_seconds:.1f} s"
        f"\n  run 2: {len(run2_hits)} requests, {len(run2_failed)} failed, "
        f"{rows[0][0]} postings stored ({rows[0][1]} distinct), {len(resolved)} resolved, "
        f"{len(unresolved)} new failed pages, {run2_seconds:.1f} s"
    )


# ---------------------------------------------------------------- Retry-After and backoff


def test_retry_after_and_backoff_are_honoured(db_url: str) -> None:
    date_target: list[float] = []

    def dated(request: FaultRequest) -> Any:
        if request.attempt == 1:
            when = int(time.time()) + 2  # an HTTP date: whole seconds, 1-2 s ahead
            date_target.append(when)
            return Status(503, retry_after=formatdate(when, usegmt=True))
        return Reply.json(greenhouse_jobs("dated", 2))

    routes = {
        "/v1/boards/seconds/jobs": Script(
            [Status(429, retry_after="1"), Status(503, retry_after="1")],
            then=Reply.json(greenhouse_jobs("seconds", 2)),
        ),
        "/v1/boards/dated/jobs": dated,
        "/v1/boards/capped/jobs": Script(
            [Status(429, retry_after="3600")], then=Reply.json(greenhouse_jobs("capped", 2))
        ),
    }
    backoff_routes = {
        "/v1/boards/backoff/jobs": Script(
            [Status(500), Drop()], then=Reply.json(greenhouse_jobs("backoff", 2))
        )
    }
    with fault_server(routes) as server, fault_server(backoff_routes) as other:
        report = crawl(
            db_url,
            [
                greenhouse_source(server, "seconds"),
                greenhouse_source(server, "dated"),
                greenhouse_source(server, "capped"),
                greenhouse_source(other, "backoff"),
            ],
            {"INTERNSCOUT_MAX_RETRY_AFTER": 2.5, "INTERNSCOUT_RETRY_BACKOFF_BASE": 0.3},
        )
        seconds = server.hits_for("/v1/boards/seconds/jobs")
        dated_hits = server.hits_for("/v1/boards/dated/jobs")
        capped = server.hits_for("/v1/boards/capped/jobs")
        backoff = other.hits_for("/v1/boards/backoff/jobs")
        everything = list(server.hits)

    assert {name: e["status"] for name, e in report.items()} == dict.fromkeys(report, "ok")
    assert [h.outcome for h in seconds] == ["429", "503", "200"]
    gaps = [b.at - a.at for a, b in zip(seconds, seconds[1:], strict=False)]
    assert all(gap >= 1.0 for gap in gaps), gaps  # Retry-After: 1 (seconds)
    assert len(dated_hits) == 2 and dated_hits[1].wall >= date_target[0], (
        dated_hits[1].wall - date_target[0]
    )  # Retry-After: <HTTP date>
    capped_gap = capped[1].at - capped[0].at
    assert 2.5 <= capped_gap < 4.0, capped_gap  # Retry-After: 3600, capped at 2.5 s
    # The hold is per host: nothing else reached this server while it asked us to wait
    # (a request already on its way when the 429 arrived excepted).
    held = [h for h in everything if capped[0].at + 0.2 < h.at < capped[0].at + 2.45]
    assert held == [], held
    # Exponential backoff (another host, so no Retry-After hold): 0.3 s, then 0.6 s.
    assert [h.outcome for h in backoff] == ["500", "drop", "200"]
    first_gap, second_gap = (b.at - a.at for a, b in zip(backoff, backoff[1:], strict=False))
    assert first_gap >= 0.3 and second_gap >= 0.6, (first_gap, second_gap)
    print(
        f"\nRetry-After gaps {[round(g, 2) for g in gaps]} s, capped {capped_gap:.2f} s, "
        f"backoff {first_gap:.2f}/{second_gap:.2f} s"
    )


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("1", 1.0), ("  120 ", 120.0), ("-5", 0.0), ("soon", None), ("", None), (None, None)],
)
def test_parse_retry_after_seconds(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header) == seconds


def test_parse_retry_after_http_date() -> None:
    now = 1_800_000_000.0
    assert parse_retry_after(formatdate(now + 30, usegmt=True), now=now) == pytest.approx(30)
    assert parse_retry_after(formatdate(now - 30, usegmt=True), now=now) == 0.0


def test_delay_floor_spares_only_loopback_hosts() -> None:
    for host, expected in [
        ("boards-api.greenhouse.io", 0.5),
        ("127.0.0.1:8080", 0.0),
        ("localhost:9", 0.0),
        ("[::1]:80", 0.0),
    ]:
        settings = Settings({"DOWNLOAD_DELAY": 0, "INTERNSCOUT_MIN_DOWNLOAD_DELAY": 0.5})
        _apply_delay_floor(settings, host)
        assert settings.getfloat("DOWNLOAD_DELAY") == expected, host
    settings = Settings({"DOWNLOAD_DELAY": 2.0, "INTERNSCOUT_MIN_DOWNLOAD_DELAY": 0.5})
    _apply_delay_floor(settings, "api.lever.co")
    assert settings.getfloat("DOWNLOAD_DELAY") == 2.0


# ---------------------------------------------------------------- bad responses

MAXSIZE = 20_000


def test_bad_responses_fail_clearly_and_lose_nothing_else(db_url: str) -> None:
    bad = {"on": False}
    big = greenhouse_jobs("big", 200)  # ~25 kB, over MAXSIZE
    mixed = lever_postings("mixed", 12)
    mixed[5]["text"] = "Caf\u00e9 Intern"
    cutoff = lever_postings("cutoff", 15)

    def board(name: str, fault: Any) -> Any:
        return lambda request: fault if bad["on"] else Reply.json(greenhouse_jobs(name, 3))

    def mixed_pages(request: FaultRequest) -> Any:
        if bad["on"] and request.query.get("skip") == ["5"]:
            # declared UTF-8, but Latin-1: "é" is one byte that is no UTF-8
            body = json.dumps(mixed[5:10], ensure_ascii=False).encode("latin-1")
            return Reply(body, content_type="application/json; charset=utf-8")
        return lever_pages(mixed)(request)

    def cutoff_pages(request: FaultRequest) -> Any:
        if bad["on"] and request.query.get("skip") == ["5"]:
            return Reply(b'[{"id": "cutoff-0005", "text": "Da', content_type="application/json")
        return lever_pages(cutoff)(request)

    html = Reply.text("<html><body>Service unavailable</body></html>", content_type="text/html")
    routes = {
        "/v1/boards/good/jobs": Reply.json(greenhouse_jobs("good", 5)),
        "/v1/boards/html/jobs": board("html", html),
        "/v1/boards/big/jobs": board("big", Reply.json(big)),
        "/v1/boards/bigstream/jobs": board("bigstream", NoLength(Reply.json(big).body)),
        "/v1/boards/cut/jobs": board("cut", Truncate(b'{"jobs": [{"id": "cut-0000"')),
        "/v1/boards/loop/jobs": board("loop", Redirect("/v1/boards/loop-b/jobs")),
        "/v1/boards/loop-b/jobs": Redirect("/v1/boards/loop/jobs"),
        "/v1/boards/chain/jobs": board("chain", Redirect("/hop/1")),
        **{f"/hop/{n}": Redirect(f"/hop/{n + 1}") for n in range(1, 15)},
        "/v1/boards/slow/jobs": board("slow", Sleep(2.5, Reply.json({"jobs": []}))),
        "/v1/boards/dropped/jobs": board("dropped", Drop()),
        "/v1/boards/e500/jobs": board("e500", Status(500)),
        "/v0/postings/mixed": mixed_pages,
        "/v0/postings/cutoff": cutoff_pages,
    }
    names = ["good", "html", "big", "bigstream", "cut", "loop", "chain", "slow", "dropped", "e500"]
    settings = {"DOWNLOAD_MAXSIZE": MAXSIZE, "DOWNLOAD_WARNSIZE": 0}
    with fault_server(routes) as server:
        sources = [greenhouse_source(server, n) for n in names] + [
            lever_source(server, "mixed", page_size=5),
            lever_source(server, "cutoff", page_size=5),
        ]
        seeded = crawl(db_url, sources, settings)
        assert all(e["status"] == "ok" for e in seeded.values()), seeded
        before = query(db_url, "SELECT count(*) FROM posting")[0][0]

        bad["on"] = True
        report = crawl(db_url, sources, settings)

    host = server.host
    expected_errors = {
        "html": "listing failed: expected JSON, got text/html",
        "big": f"listing failed: body over {MAXSIZE} bytes",
        "bigstream": f"listing failed: body over {MAXSIZE} bytes",
        "cut": "listing failed: truncated body (connection closed before the announced length) (3 attempts)",
        "loop": f"listing failed: redirect loop: http://{host}/v1/boards/loop/jobs redirects back to http://{host}/v1/boards/loop-b/jobs",
        "chain": f"listing failed: too many redirects (more than 10) from http://{host}/v1/boards/chain/jobs?content=true",
        "slow": "listing failed: timeout after 1 s (3 attempts)",
        "dropped": "listing failed: connection dropped before a complete response (3 attempts)",
        "e500": "listing failed: HTTP 500",
        "cutoff": "listing failed: malformed JSON (",
    }
    for name, prefix in expected_errors.items():
        entry = report[name]
        assert entry["status"] == "failed", entry
        assert entry["error"].startswith(prefix), (name, entry["error"])
        assert entry["closed"] == 0 and entry["failed_pages"] == 1, entry
    # The same reasons are on record for the next crawl, under the URL it will ask for.
    recorded = dict(query(db_url, "SELECT url, reason FROM failedpage"))
    assert recorded[f"http://{host}/v1/boards/loop/jobs?content=true"].startswith("redirect loop")
    assert recorded[f"http://{host}/v1/boards/big/jobs?content=true"] == (
        f"body over {MAXSIZE} bytes"
    )
    assert recorded[f"http://{host}/v0/postings/cutoff?mode=json&skip=5&limit=5"].startswith(
        "malformed JSON"
    )
    assert len(recorded) == len(expected_errors)

    # Good sources and good pages are unaffected; nothing is lost or closed.
    assert report["good"]["status"] == "ok" and report["good"]["unchanged"] == 5
    assert report["mixed"]["status"] == "ok", report["mixed"]  # mis-encoded page: decoded, kept
    assert report["mixed"]["unchanged"] == 11 and report["mixed"]["updated"] == 1
    title = query(db_url, "SELECT title FROM posting WHERE external_id = 'mixed-0005'")[0][0]
    assert title == "Caf\ufffd Intern"
    assert report["cutoff"]["unchanged"] == 5  # page 1 was read before page 2 broke
    assert query(db_url, "SELECT count(*) FROM posting")[0][0] == before
    assert query(db_url, "SELECT count(*) FROM posting WHERE closed_at IS NOT NULL") == [(0,)]


def test_encoding_errors_are_counted_and_logs_forwarded(db_url: str, tmp_path: Path) -> None:
    body = '{"jobs": [{"id": 1, "title": "Stagiaire \u00e9t\u00e9", "absolute_url": "https://e.example/1"}]}'
    routes = {
        "/v1/boards/latin/jobs": Reply(
            body.encode("latin-1"), content_type="application/json; charset=utf-8"
        )
    }
    events: list[dict[str, Any]] = []
    log = tmp_path / "crawl.log"
    with fault_server(routes) as server, log.open("wb") as stderr:
        entries = run_crawl_subprocess(
            db_url,
            [greenhouse_source(server, "latin")],
            timeout=60,
            settings={**SETTINGS, "STATS_DUMP": True},
            stderr=stderr,
            on_progress=events.append,
        )
    assert entries[0]["status"] == "ok" and entries[0]["new"] == 1
    assert query(db_url, "SELECT title FROM posting") == [("Stagiaire \ufffdt\ufffd",)]
    text = log.read_text(encoding="utf-8")
    assert "'internscout/encoding_errors': 1" in text  # the stats dump, forwarded to our file
    assert "is not valid utf-8" in text
    assert "@@progress" not in text  # progress lines went to the callback instead
    assert [e["status"] for e in events] == ["pending", "running", "ok"]


def test_progress_mode_keeps_the_timeout_handling(db_url: str) -> None:
    routes = {
        "/v1/boards/quick/jobs": Reply.json(greenhouse_jobs("quick", 2)),
        # Answers only after the timeout, so the crawl is mid-request when interrupted
        # (a graceful stop lets in-flight downloads finish).
        "/v1/boards/stuck/jobs": Sleep(4, Reply.json({"jobs": []})),
    }
    events: list[dict[str, Any]] = []
    with fault_server(routes) as server:
        entries = run_crawl_subprocess(
            db_url,
            [greenhouse_source(server, "quick"), greenhouse_source(server, "stuck")],
            timeout=3,
            settings={**SETTINGS, "DOWNLOAD_TIMEOUT": 60},
            stderr=subprocess.PIPE,
            on_progress=events.append,
        )
    report = {e["name"]: e for e in entries}
    assert report["quick"]["status"] == "ok" and report["quick"]["new"] == 2
    assert report["stuck"]["status"] == "failed"
    assert report["stuck"]["error"].startswith("timed out after 3 s")
    finals = {e["name"]: e["status"] for e in events if e["status"] in ("ok", "failed")}
    assert finals == {"quick": "ok", "stuck": "failed"}


# ---------------------------------------------------------------- failed pages, unit level


def test_failed_pages_are_loaded_recorded_and_resolved(db_url: str) -> None:
    engine = store.make_engine(db_url)
    earlier = datetime(2026, 1, 5, tzinfo=UTC)
    base = "https://api.example.com/jobs"
    store.record_failed_pages(
        engine,
        "acme",
        [
            store.FailedPageIn(f"{base}/1", "detail", "HTTP 500"),
            store.FailedPageIn(f"{base}/2", "detail", "HTTP 500"),
            store.FailedPageIn(f"{base}/3", "detail", "HTTP 500"),
        ],
        earlier,
    )
    crawler = get_crawler(GreenhouseSpider, {"INTERNSCOUT_DATABASE_URL": db_url})
    extension = FailedPagesExtension.from_crawler(crawler)
    spider = GreenhouseSpider.from_crawler(crawler, board="acme")
    extension.spider_opened(spider)
    assert spider.retry_urls == [f"{base}/1", f"{base}/2", f"{base}/3"]

    def fetched(url: str, status: int) -> None:
        extension.response_received(Response(url, status=status), Request(url), spider)

    fetched(f"{base}/1", 200)  # fetched fine: resolved
    fetched(f"{base}/2", 200)  # fetched, but the spider could not use it: fails again
    spider.record_failure(f"{base}/2", "detail", "malformed JSON")
    fetched(f"{base}/3", 503)  # still failing
    spider.record_failure(f"{base}/3", "detail", "HTTP 503")
    spider.record_failure(f"{base}/4", "detail", "timeout after 1 s (3 attempts)")  # new
    fetched(f"{base}/5", 200)  # never failed: nothing to resolve
    extension.spider_closed(spider, "finished")

    rows = {p.url: p for p in store.unresolved_failed_pages(engine, "acme")}
    engine.dispose()
    assert set(rows) == {f"{base}/2", f"{base}/3", f"{base}/4"}
    assert rows[f"{base}/2"].reason == "malformed JSON" and rows[f"{base}/2"].attempts == 2
    assert rows[f"{base}/4"].attempts == 1
    assert crawler.stats.get_value("internscout/failed_pages_resolved") == 1


def test_retry_request_hook_fetches_pages_the_crawl_would_not_reach() -> None:
    class DetailSpider(GreenhouseSpider):
        def retry_request(self, url: str) -> Request | None:
            return Request(url) if "/detail/" in url else None

    spider = DetailSpider(board="acme")
    listing = spider.listing_urls()[0]
    spider.retry_urls = [listing, "https://x.example/detail/7", "https://x.example/page?skip=5"]
    assert [r.url for r in spider.start_requests()] == [listing, "https://x.example/detail/7"]
    plain = GreenhouseSpider(board="acme")
    plain.retry_urls = ["https://x.example/detail/7"]
    assert [r.url for r in plain.start_requests()] == [listing]  # the default hook: None


def test_postings_whose_page_failed_are_not_closed(db_url: str) -> None:
    def crawl_board(ids: list[str], failed: list[str]) -> dict[str, Any]:
        crawler = get_crawler(
            GreenhouseSpider,
            {"INTERNSCOUT_DATABASE_URL": db_url, "INTERNSCOUT_STORE_BATCH_SIZE": 10},
        )
        spider = GreenhouseSpider.from_crawler(crawler, board="acme")
        normalize = NormalizePipeline.from_crawler(crawler)
        pipeline = StorePipeline.from_crawler(crawler)
        pipeline.open_spider()
        for external_id in ids:
            item = spider.new_item(
                {"id": external_id},
                external_id=external_id,
                title="ML Intern",
                url=f"https://example.com/jobs/{external_id}",
            )
            pipeline.process_item(normalize.process_item(item))
        for external_id in failed:
            spider.record_failure(f"https://example.com/jobs/{external_id}", "page", "HTTP 500")
        pipeline.close_spider()
        pipeline.spider_closed(spider, "finished")
        return crawler.stats.get_stats()

    crawl_board(["1", "2", "3"], [])
    stats = crawl_board(["1"], failed=["2"])  # 2's page failed, 3 is gone
    assert stats["internscout/closed"] == 1
    open_ids = {
        r[0] for r in query(db_url, "SELECT external_id FROM posting WHERE closed_at IS NULL")
    }
    assert open_ids == {"1", "2"}
