"""crawlers.run: the command line, and whole crawls in a subprocess against
boards served by ReplayServer on 127.0.0.1 into a temporary SQLite store."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from crawlers_conftest_helpers import FAST_SETTINGS, ROOT, load_fixture

import store
from crawlers.run import (
    CrawlSubprocessError,
    UsageError,
    crawl_command,
    load_sources,
    main,
    parse_set_options,
    run_crawl_subprocess,
)
from internscout.replay import ReplayServer, Reply, serving

GREENHOUSE_PATH = "/v1/boards/acmerobotics/jobs"
LEVER_PATH = "/v0/postings/bigco"
ASHBY_PATH = "/posting-api/job-board/lumenai"
SIMPLIFY_PATH = "/lists/listings.json"
LEVER_TOTAL = 250  # three pages of 100


# ---------------------------------------------------------------- command line (no crawl)


def test_crawl_command_round_trips_settings() -> None:
    cmd = crawl_command(
        "sqlite:///x.db",
        Path("/tmp/s.json"),
        log_level="DEBUG",
        settings={"DOWNLOAD_DELAY": 0, "RETRY_HTTP_CODES": [500], "LOG_FILE": "a=b.log"},
    )
    assert cmd[:3] == [sys.executable, "-m", "crawlers.run"]
    assert cmd[3:9] == [
        "--db",
        "sqlite:///x.db",
        "--sources",
        "/tmp/s.json",
        "--log-level",
        "DEBUG",
    ]
    sets = [cmd[i + 1] for i, arg in enumerate(cmd) if arg == "--set"]
    assert sets == ["DOWNLOAD_DELAY=0", "RETRY_HTTP_CODES=[500]", "LOG_FILE=a=b.log"]
    assert parse_set_options(sets) == {
        "DOWNLOAD_DELAY": 0,
        "RETRY_HTTP_CODES": [500],
        "LOG_FILE": "a=b.log",
    }


def test_parse_set_options_rejects_malformed() -> None:
    with pytest.raises(UsageError):
        parse_set_options(["NOVALUE"])
    with pytest.raises(UsageError):
        parse_set_options(["=1"])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not valid JSON"),
        ('{"name": "a"}', "JSON list"),
        ('[{"name": "a", "kind": "greenhouse"}]', "'board'"),
        ('[{"name": "a", "kind": "lever", "board": 5}]', "must be a string"),
        ('["a"]', "not a JSON object"),
        (
            '[{"name": "a", "kind": "lever", "board": "x"}, {"name": "a", "kind": "ashby", "board": "y"}]',
            "twice",
        ),
    ],
)
def test_bad_sources_file_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    path = tmp_path / "sources.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UsageError, match=message):
        load_sources(path)
    assert main(["--db", f"sqlite:///{tmp_path / 'x.db'}", "--sources", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # stdout is reserved for the report
    assert message in captured.err


def test_bad_arguments_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--sources", str(tmp_path / "s.json")]) == 2
    assert "--db" in capsys.readouterr().err
    assert main(["--db", "sqlite://", "--sources", str(tmp_path / "missing.json")]) == 2
    assert "cannot read sources file" in capsys.readouterr().err
    (tmp_path / "s.json").write_text("[]", encoding="utf-8")
    assert main(["--db", "x", "--sources", str(tmp_path / "s.json"), "--set", "oops"]) == 2
    assert "KEY=VALUE" in capsys.readouterr().err


def test_importing_run_has_no_side_effects() -> None:
    code = "import sys, crawlers.run; print('twisted.internet.reactor' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert out.stdout.strip() == "False" and out.stderr == ""


# ---------------------------------------------------------------- served boards


class Boards:
    """Mutable board contents behind a ReplayServer, one handler per API."""

    def __init__(self) -> None:
        self.greenhouse: dict[str, Any] = load_fixture("greenhouse_board.json")
        self.ashby: dict[str, Any] = load_fixture("ashby_board.json")
        self.simplify: list[dict[str, Any]] = load_fixture("simplify_listings.json")
        self.lever = [
            {
                "id": f"lever-{n:04d}",
                "text": f"Research Intern {n}",
                "hostedUrl": f"https://jobs.lever.co/bigco/lever-{n:04d}",
                "applyUrl": f"https://jobs.lever.co/bigco/lever-{n:04d}/apply",
                "categories": {"commitment": "Intern", "location": "Austin, TX", "team": "R&D"},
                "createdAt": 1767225600000 + n,
                "workplaceType": "onsite",
                "descriptionPlain": "Help us study things.",
                "lists": [],
            }
            for n in range(LEVER_TOTAL)
        ]
        self.fail_greenhouse: int | None = None  # an HTTP status to answer with
        self.html_ashby = False

    def routes(self) -> dict[str, Any]:
        return {
            GREENHOUSE_PATH: self._greenhouse,
            LEVER_PATH: self._lever,
            ASHBY_PATH: self._ashby,
            SIMPLIFY_PATH: lambda path, query: Reply.json(self.simplify),
        }

    def _greenhouse(self, path: str, query: dict[str, list[str]]) -> Reply:
        if self.fail_greenhouse:
            return Reply.text("upstream error", status=self.fail_greenhouse)
        return Reply.json(self.greenhouse)

    def _ashby(self, path: str, query: dict[str, list[str]]) -> Reply:
        if self.html_ashby:
            page = (ROOT / "tests/fixtures/crawlers/error_page.html").read_text(encoding="utf-8")
            return Reply.text(page, content_type="text/html; charset=utf-8")
        return Reply.json(self.ashby)

    def _lever(self, path: str, query: dict[str, list[str]]) -> Reply:
        skip = int(query.get("skip", ["0"])[0])
        limit = int(query.get("limit", ["100"])[0])
        return Reply.json(self.lever[skip : skip + limit])


def sources_for(server: ReplayServer, *names: str) -> list[dict[str, Any]]:
    base = server.base_url
    every = {
        "acme": {"name": "acme", "kind": "greenhouse", "board": "acmerobotics", "base_url": base},
        "bigco": {"name": "bigco", "kind": "lever", "board": "bigco", "base_url": base},
        "lumen": {
            "name": "lumen",
            "kind": "ashby",
            "board": "lumenai",
            "base_url": base,
            "company": "Lumen AI",
            "sector": "tech",
        },
        "simplify": {
            "name": "simplify",
            "kind": "simplify",
            "board": "summer2026",
            "url": "https://raw.githubusercontent.com/lists/listings.json",
            "base_url": base,
        },
    }
    return [every[n] for n in names]


@pytest.fixture
def boards() -> Boards:
    return Boards()


@pytest.fixture
def server(boards: Boards) -> Iterator[ReplayServer]:
    with serving(boards.routes()) as srv:
        yield srv


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'crawl.db'}"


def crawl_cli(
    db_url: str, sources: list[dict[str, Any]], tmp_path: Path
) -> tuple[int, dict[str, dict[str, Any]], str]:
    """Run `python -m crawlers.run` as the CLI would: (exit code, report by name, stderr)."""
    path = tmp_path / "sources.json"
    path.write_text(json.dumps(sources), encoding="utf-8")
    proc = subprocess.run(
        crawl_command(db_url, path, settings=FAST_SETTINGS),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert proc.stdout.count("\n") == 1, (
        f"stdout must be one JSON document:\n{proc.stdout}\n{proc.stderr}"
    )
    report = json.loads(proc.stdout)
    return proc.returncode, {e["name"]: e for e in report["sources"]}, proc.stderr


def crawl(db_url: str, sources: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    try:
        entries = run_crawl_subprocess(
            db_url, sources, timeout=120, settings=FAST_SETTINGS, stderr=subprocess.PIPE
        )
    except CrawlSubprocessError as exc:  # pragma: no cover - shown on failure only
        pytest.fail(f"{exc}\n{exc.stderr}")
    return {e["name"]: e for e in entries}


def postings(db_url: str, kind: str) -> dict[str, store.Posting]:
    engine = store.make_engine(db_url)
    try:
        return {p.external_id: p for p in store.get_postings(engine, source_kind=kind)}
    finally:
        engine.dispose()


def total(db_url: str) -> int:
    engine = store.make_engine(db_url)
    try:
        return store.count_postings(engine)
    finally:
        engine.dispose()


# ---------------------------------------------------------------- crawls


def test_recrawl_is_idempotent_and_vanished_postings_are_closed(
    boards: Boards, server: ReplayServer, db_url: str
) -> None:
    sources = sources_for(server, "acme", "bigco", "lumen", "simplify")

    first = crawl(db_url, sources)
    assert {n: e["status"] for n, e in first.items()} == dict.fromkeys(first, "ok")
    assert (first["acme"]["new"], first["acme"]["rejected"]) == (3, 1)  # one blank title
    assert first["bigco"]["new"] == LEVER_TOTAL
    assert (first["lumen"]["new"], first["lumen"]["rejected"]) == (2, 0)  # one unlisted
    assert (first["simplify"]["new"], first["simplify"]["rejected"]) == (2, 1)
    count = total(db_url)
    assert count == 3 + LEVER_TOTAL + 2 + 2
    lumen = postings(db_url, "ashby")
    assert {p.company for p in lumen.values()} == {"Lumen AI"}
    assert {p.sector_hint for p in lumen.values()} == {"tech"}

    # (a) the same boards again: nothing new, nothing changed, nothing closed
    second = crawl(db_url, sources)
    for name, entry in second.items():
        assert entry["status"] == "ok", entry
        assert entry["new"] == entry["closed"] == 0, entry
        assert entry["updated"] == 0, entry
        assert entry["unchanged"] == first[name]["new"]
    assert total(db_url) == count

    # (b) a posting leaves a board: closed, not deleted
    gone = boards.greenhouse["jobs"].pop(0)
    gone_simplify = boards.simplify.pop(0)
    third = crawl(db_url, sources)
    assert third["acme"]["closed"] == 1 and third["simplify"]["closed"] == 1
    assert third["bigco"]["closed"] == 0 and third["lumen"]["closed"] == 0
    assert total(db_url) == count
    acme = postings(db_url, "greenhouse")
    assert acme[str(gone["id"])].closed_at is not None
    assert all(p.closed_at is None for key, p in acme.items() if key != str(gone["id"]))
    assert postings(db_url, "simplify")[gone_simplify["id"]].closed_at is not None

    # Every crawl is on record for `internscout sources`.
    engine = store.make_engine(db_url)
    try:
        runs = store.last_crawl_runs(engine)
    finally:
        engine.dispose()
    assert set(runs) == {"acme", "bigco", "lumen", "simplify"}
    assert runs["acme"].status == "ok" and runs["acme"].closed == 1


def test_lever_paging_fetches_every_page(server: ReplayServer, db_url: str) -> None:
    result = crawl(db_url, sources_for(server, "bigco"))
    assert result["bigco"]["status"] == "ok"
    pages = [p for m, p in server.requests if p.startswith(LEVER_PATH)]
    assert [p.split("?")[1] for p in pages] == [
        "mode=json&skip=0&limit=100",
        "mode=json&skip=100&limit=100",
        "mode=json&skip=200&limit=100",
    ]
    stored = postings(db_url, "lever")
    assert len(stored) == LEVER_TOTAL
    assert {"lever-0000", "lever-0149", "lever-0249"} <= set(stored)


def test_failed_listings_close_nothing(
    boards: Boards, server: ReplayServer, db_url: str, tmp_path: Path
) -> None:
    sources = sources_for(server, "acme", "lumen")
    code, seeded, _ = crawl_cli(db_url, sources, tmp_path)
    assert code == 0 and seeded["acme"]["new"] == 3 and seeded["lumen"]["new"] == 2

    # (c) the listing answers 500 even after retries; Ashby answers an HTML page
    boards.fail_greenhouse = 500
    boards.html_ashby = True
    boards.greenhouse["jobs"] = []  # would close everything if it were read
    boards.ashby["jobs"] = []
    server.requests.clear()
    code, report, stderr = crawl_cli(db_url, sources, tmp_path)
    assert code == 1, stderr  # every source failed
    assert report["acme"]["status"] == "failed"
    assert "HTTP 500" in report["acme"]["error"]
    assert report["lumen"]["status"] == "failed"
    assert "expected JSON" in report["lumen"]["error"]
    assert report["acme"]["closed"] == report["lumen"]["closed"] == 0
    tries = [p for _, p in server.requests if p.startswith(GREENHOUSE_PATH)]
    assert len(tries) == 1 + FAST_SETTINGS["RETRY_TIMES"]  # retried, then gave up
    for kind in ("greenhouse", "ashby"):
        assert all(p.closed_at is None for p in postings(db_url, kind).values())
    engine = store.make_engine(db_url)
    try:
        runs = store.last_crawl_runs(engine)
    finally:
        engine.dispose()
    assert runs["acme"].status == "failed" and "HTTP 500" in (runs["acme"].error or "")


def test_robots_txt_disallowing_the_api_is_obeyed(boards: Boards, db_url: str) -> None:
    robots = Reply.text("User-agent: *\nDisallow: /v1/\n")
    with serving(boards.routes(), robots=robots) as server:
        result = crawl(db_url, sources_for(server, "acme", "lumen"))
        paths = server.paths_requested()
    assert "/robots.txt" in paths
    assert not [p for p in paths if p.startswith("/v1/")]  # (d) zero requests to the API path
    assert result["acme"]["status"] == "failed"
    assert "robots.txt" in result["acme"]["error"]
    assert result["lumen"]["status"] == "ok"  # other paths are allowed


def test_unknown_kind_fails_alone(server: ReplayServer, db_url: str, tmp_path: Path) -> None:
    sources = [*sources_for(server, "lumen"), {"name": "wd", "kind": "monster", "board": "x"}]
    code, report, _ = crawl_cli(db_url, sources, tmp_path)
    assert code == 0
    assert report["lumen"]["status"] == "ok"
    assert report["wd"]["status"] == "failed"
    assert "unknown source kind 'monster'" in report["wd"]["error"]
    assert set(report["wd"]) == {
        "name", "kind", "board", "status", "new", "updated", "unchanged",
        "closed", "rejected", "errors", "failed_pages", "error",
    }  # fmt: skip


def test_inactive_listing_recrawl_is_unchanged(
    boards: Boards, server: ReplayServer, db_url: str
) -> None:
    boards.simplify = [r for r in boards.simplify if r.get("active") is False]
    assert len(boards.simplify) == 1
    sources = sources_for(server, "simplify")
    assert crawl(db_url, sources)["simplify"]["new"] == 1
    again = crawl(db_url, sources)["simplify"]
    assert (again["updated"], again["unchanged"]) == (0, 1)


def test_timeout_stops_the_crawl_gracefully(boards: Boards, db_url: str) -> None:
    release = threading.Event()

    def stuck(path: str, query: dict[str, list[str]]) -> Reply:
        release.wait(20)
        return Reply.json({"jobs": []})

    timeout = 5.0
    routes = {**boards.routes(), "/v1/boards/stuck/jobs": stuck}
    with serving(routes) as server:
        sources = [
            *sources_for(server, "lumen"),
            {"name": "stuck", "kind": "greenhouse", "board": "stuck", "base_url": server.base_url},
        ]
        # Answer only after the timeout, so the crawl is mid-request when interrupted.
        timer = threading.Timer(timeout + 0.5, release.set)
        timer.start()
        try:
            entries = run_crawl_subprocess(
                db_url, sources, timeout=timeout, settings=FAST_SETTINGS, stderr=subprocess.PIPE
            )
        finally:
            timer.cancel()
            release.set()
    report = {e["name"]: e for e in entries}
    assert report["lumen"]["status"] == "ok"
    assert report["stuck"]["status"] == "failed"
    assert report["stuck"]["error"].startswith(f"timed out after {timeout} s")
    assert "shutdown" in report["stuck"]["error"]
