"""robots.txt: disallowed paths are never requested; a robots.txt that cannot be
had keeps its host out of the run (fail closed); a missing one allows all."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
from crawlers_conftest_helpers import FAST_SETTINGS
from faultserver import (
    Drop,
    Script,
    Sleep,
    Status,
    fault_server,
    greenhouse_jobs,
    greenhouse_source,
    lever_pages,
    lever_postings,
    lever_source,
)

from crawlers.run import CrawlSubprocessError, run_crawl_subprocess
from internscout.replay import ALLOW_ALL_ROBOTS, Reply

SETTINGS: dict[str, Any] = {
    **FAST_SETTINGS,
    "DOWNLOAD_TIMEOUT": 1,
    "RETRY_TIMES": 1,
    "INTERNSCOUT_RETRY_BACKOFF_BASE": 0.05,
    "INTERNSCOUT_MAX_PARALLEL_CRAWLS": 16,
    "INTERNSCOUT_MAX_PARALLEL_CRAWLS_PER_HOST": 16,
}


def crawl(db_url: str, sources: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    try:
        entries = run_crawl_subprocess(
            db_url, sources, timeout=120, settings=SETTINGS, stderr=subprocess.PIPE
        )
    except CrawlSubprocessError as exc:  # pragma: no cover - shown on failure only
        pytest.fail(f"{exc}\n{exc.stderr}")
    return {e["name"]: e for e in entries}


def query(db_url: str, sql: str) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(db_url.removeprefix("sqlite:///"))
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'crawl.db'}"


def boards(*names: str, count: int = 3) -> dict[str, Any]:
    return {f"/v1/boards/{n}/jobs": Reply.json(greenhouse_jobs(n, count)) for n in names}


def test_disallowed_paths_get_zero_requests(db_url: str) -> None:
    open_board = lever_postings("open", 12)
    secret_board = lever_postings("secret", 12)
    routes = {
        **boards("acme"),
        "/v0/postings/open": lever_pages(open_board),
        "/v0/postings/secret": lever_pages(secret_board),
    }
    robots = Reply.text("User-agent: *\nDisallow: /v0/postings/secret\n")
    # Rules for our product token apply to us even when '*' allows everything.
    ours = Reply.text("User-agent: InternScout\nDisallow: /\n\nUser-agent: *\nAllow: /\n")
    with (
        fault_server(routes, robots=robots) as server,
        fault_server(boards("shy"), robots=ours) as shy,
    ):
        report = crawl(
            db_url,
            [
                greenhouse_source(server, "acme"),
                lever_source(server, "open", page_size=5),
                lever_source(server, "secret", page_size=5),
                greenhouse_source(shy, "shy"),
            ],
        )
        paths = server.paths()
        shy_paths = shy.paths()

    assert report["acme"]["status"] == "ok" and report["acme"]["new"] == 3
    assert report["open"]["status"] == "ok" and report["open"]["new"] == 12
    assert paths.count("/v0/postings/open") == 3  # all pages of the allowed board
    assert "/v0/postings/secret" not in paths  # not one request to the disallowed path
    assert paths.count("/robots.txt") == 1  # one answer per host for all its crawls
    for name in ("secret", "shy"):
        assert report[name]["status"] == "failed"
        assert "forbidden by robots.txt" in report[name]["error"]
    assert shy_paths == ["/robots.txt"]
    reasons = {r[0] for r in query(db_url, "SELECT reason FROM failedpage")}
    assert reasons == {"forbidden by robots.txt"}


def test_robots_txt_unavailable_fails_closed(db_url: str) -> None:
    # Postings stored earlier for the boards whose host will fail: nothing may close them.
    with fault_server(boards("down1", "down2", "slow", "dropped")) as earlier:
        seeded = crawl(
            db_url, [greenhouse_source(earlier, n) for n in ("down1", "down2", "slow", "dropped")]
        )
    assert all(e["status"] == "ok" for e in seeded.values())

    empty = {f"/v1/boards/{n}/jobs": Reply.json({"jobs": []}) for n in ("down1", "down2")}
    with (
        fault_server(empty, robots=Status(503)) as down,
        fault_server(boards("slow"), robots=Sleep(3, ALLOW_ALL_ROBOTS)) as slow,
        fault_server(boards("dropped"), robots=Drop()) as dropped,
        fault_server(boards("missing"), robots=Reply.text("no", status=404)) as missing,
        fault_server(boards("flaky"), robots=Script([Status(503)], then=ALLOW_ALL_ROBOTS)) as flaky,
    ):
        report = crawl(
            db_url,
            [
                greenhouse_source(down, "down1"),
                greenhouse_source(down, "down2"),
                greenhouse_source(slow, "slow"),
                greenhouse_source(dropped, "dropped"),
                greenhouse_source(missing, "missing"),
                greenhouse_source(flaky, "flaky"),
            ],
        )
        hits = {
            name: srv.paths()
            for name, srv in [("down", down), ("slow", slow), ("dropped", dropped)]
        }
        missing_paths, flaky_paths = missing.paths(), flaky.paths()

    attempts = 1 + SETTINGS["RETRY_TIMES"]
    for name in ("down1", "down2"):
        assert report[name]["status"] == "failed"
        assert report[name]["error"] == (
            f"robots.txt unavailable (HTTP 503) for host {down.host}: not crawled"
        )
    assert report["slow"]["error"] == (
        f"robots.txt unavailable (timeout after 1 s ({attempts} attempts)) "
        f"for host {slow.host}: not crawled"
    )
    assert report["dropped"]["error"] == (
        "robots.txt unavailable (connection dropped before a complete response "
        f"({attempts} attempts)) for host {dropped.host}: not crawled"
    )
    # Zero requests to those hosts besides robots.txt (retried, then given up, once per host).
    for paths in hits.values():
        assert paths == ["/robots.txt"] * attempts, paths
    for name in ("down1", "down2", "slow", "dropped"):
        assert report[name]["closed"] == 0
    assert query(db_url, "SELECT count(*) FROM posting WHERE closed_at IS NOT NULL") == [(0,)]

    # A 404 robots.txt allows everything; a 503 that recovers within the retries too.
    assert report["missing"]["status"] == "ok" and report["missing"]["new"] == 3
    assert "/v1/boards/missing/jobs" in missing_paths
    assert report["flaky"]["status"] == "ok" and report["flaky"]["new"] == 3
    assert flaky_paths[:2] == ["/robots.txt", "/robots.txt"]

    runs = dict(query(db_url, "SELECT source_name, error FROM crawlrun WHERE status = 'failed'"))
    assert runs["down1"] == report["down1"]["error"]
