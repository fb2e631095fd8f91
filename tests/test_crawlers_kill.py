"""Kill-safety: a crawl SIGKILLed at any point, then run again, ends with every
posting stored exactly once and a sound database, and nothing left behind
blocks the next crawl."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from crawlers_conftest_helpers import FAST_SETTINGS, ROOT
from faultserver import FaultRequest, FaultServer, fault_server, lever_postings, lever_source

from crawlers.run import crawl_command
from internscout.replay import Reply

BOARD_SIZE = 500
PAGE_SIZE = 20  # 25 pages, one after the other
PAGE_DELAY = 0.02  # so a crawl takes a couple of seconds and the kill lands mid-crawl
SETTINGS: dict[str, Any] = {**FAST_SETTINGS, "INTERNSCOUT_STORE_BATCH_SIZE": 20}


def count(db: Path) -> int:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
    except sqlite3.Error:
        return 0
    try:
        return int(con.execute("SELECT count(*) FROM posting").fetchone()[0])
    except sqlite3.Error:  # not created yet, or busy
        return 0
    finally:
        con.close()


def start_crawl(db: Path, sources: list[dict[str, Any]], tmp_path: Path) -> subprocess.Popen[str]:
    path = tmp_path / "sources.json"
    path.write_text(json.dumps(sources), encoding="utf-8")
    return subprocess.Popen(
        crawl_command(f"sqlite:///{db}", path, settings=SETTINGS),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def kill_when(proc: subprocess.Popen[str], ready: Callable[[], bool], limit: float = 30) -> None:
    deadline = time.monotonic() + limit
    while not ready():
        assert proc.poll() is None, "the crawl ended before the kill point"
        assert time.monotonic() < deadline, "kill point not reached"
        time.sleep(0.005)
    proc.kill()  # SIGKILL: no cleanup of any kind
    proc.wait()


def check_db(db: Path) -> tuple[int, int]:
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        rows, distinct = con.execute(
            "SELECT count(*), count(DISTINCT source_kind || '/' || board || '/' || external_id)"
            " FROM posting"
        ).fetchone()
        return int(rows), int(distinct)
    finally:
        con.close()


@pytest.fixture
def board_server() -> Any:
    postings = lever_postings("bigco", BOARD_SIZE)

    def pages(request: FaultRequest) -> Reply:
        time.sleep(PAGE_DELAY)
        skip = int(request.query.get("skip", ["0"])[0])
        limit = int(request.query.get("limit", ["100"])[0])
        return Reply.json(postings[skip : skip + limit])

    with fault_server({"/v0/postings/bigco": pages}) as server:
        yield server


def _first_listing_request(server: FaultServer) -> Callable[[], bool]:
    return lambda: "/v0/postings/bigco" in server.paths()


@pytest.mark.parametrize(
    "point",
    ["first request, nothing stored", "mid-crawl", "all stored, closing"],
)
def test_sigkill_then_rerun_stores_every_posting_once(
    point: str, board_server: FaultServer, tmp_path: Path
) -> None:
    db = tmp_path / "crawl.db"
    sources = [lever_source(board_server, "bigco", page_size=PAGE_SIZE)]
    ready: Callable[[], bool] = {
        "first request, nothing stored": _first_listing_request(board_server),
        "mid-crawl": lambda: count(db) >= BOARD_SIZE // 2,
        "all stored, closing": lambda: count(db) >= BOARD_SIZE,
    }[point]

    killed = start_crawl(db, sources, tmp_path)
    kill_when(killed, ready)
    assert killed.stdout is not None and killed.stdout.read() == ""  # no report: killed
    stored_at_kill = count(db)
    if db.exists():
        rows, distinct = check_db(db)
        assert rows == distinct <= BOARD_SIZE

    rerun = start_crawl(db, sources, tmp_path)
    out, _ = rerun.communicate(timeout=60)
    assert rerun.returncode == 0, out
    entry = json.loads(out)["sources"][0]
    # Nothing from the killed crawl (no run record, no lock) stands in the way.
    assert entry["status"] == "ok" and entry["error"] is None, entry
    assert entry["new"] + entry["unchanged"] + entry["updated"] == BOARD_SIZE
    assert entry["new"] == BOARD_SIZE - stored_at_kill and entry["closed"] == 0
    assert check_db(db) == (BOARD_SIZE, BOARD_SIZE)

    con = sqlite3.connect(db)
    try:
        runs = con.execute("SELECT status FROM crawlrun").fetchall()
        open_rows = con.execute("SELECT count(*) FROM posting WHERE closed_at IS NULL").fetchone()
    finally:
        con.close()
    assert runs == [("ok",)]  # the killed crawl left no run behind, the rerun's is recorded
    assert open_rows == (BOARD_SIZE,)
    print(f"\nkill at {point!r}: {stored_at_kill} stored at the kill, rerun {entry}")


def test_repeated_kills_then_a_full_crawl(board_server: FaultServer, tmp_path: Path) -> None:
    """Killed again and again (also while re-writing rows stored before), then one full run."""
    db = tmp_path / "crawl.db"
    sources = [lever_source(board_server, "bigco", page_size=PAGE_SIZE)]
    seen: list[int] = []
    for threshold in (200, BOARD_SIZE):
        board_server.clear()
        proc = start_crawl(db, sources, tmp_path)
        # Kill once this crawl has fetched enough pages (earlier rows are rewritten, not added).
        pages_needed = threshold // PAGE_SIZE

        def enough(needed: int = pages_needed) -> bool:
            return board_server.paths().count("/v0/postings/bigco") >= needed

        kill_when(proc, enough)
        rows, distinct = check_db(db)
        assert rows == distinct <= BOARD_SIZE
        seen.append(rows)
    proc = start_crawl(db, sources, tmp_path)
    out, _ = proc.communicate(timeout=60)
    entry = json.loads(out)["sources"][0]
    assert entry["status"] == "ok", entry
    assert check_db(db) == (BOARD_SIZE, BOARD_SIZE)
    assert seen == sorted(seen)
    print(f"\nrepeated kills: stored after each kill {seen}, final run {entry}")
