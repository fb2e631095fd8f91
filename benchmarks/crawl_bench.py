"""Crawl benchmark: many boards of mixed kinds served on 127.0.0.1, crawled into SQLite.

    python benchmarks/crawl_bench.py [--boards 220] [--per-board 100] [--skip-scrapy-bench]

Reports postings stored per second, pages per minute and the crawl's peak memory,
next to `scrapy bench`'s pages per minute measured in the same run on the same
machine (the baseline: Scrapy crawling its own local link pages). The crawl runs
with politeness delays off, as `scrapy bench` does, so both measure processing
cost rather than waiting. Data is generated (seeded), so runs are comparable.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawlers.client import run_crawl_subprocess  # noqa: E402
from crawlers.spiders import SPIDERS  # noqa: E402
from internscout.replay import ReplayServer, Reply, with_body  # noqa: E402
from store import count_postings, make_engine  # noqa: E402

TITLES = [
    "Machine Learning Intern", "Data Science Intern", "Software Engineering Intern",
    "Research Assistant", "Senior Software Engineer", "Product Manager", "Data Analyst",
    "Analytics Engineering Intern", "Cloud AI Intern", "Staff Data Scientist",
    "Account Executive", "Nurse Practitioner", "Summer Analyst", "Co-op, Data Engineering",
]  # fmt: skip
CITIES = ["Boston, MA", "New York, NY", "San Francisco, CA", "Austin, TX", "Remote - US"]
PARAGRAPH = (
    "<p>You will work with our team on {topic}, using Python, SQL and cloud tools. "
    "We value clear communication, careful evaluation and responsible use of data. "
    "Interns pair with a mentor, ship a project end to end and present it to the team.</p>"
)
TOPICS = ["fraud detection", "clinical NLP", "recommendation systems", "forecasting", "search"]
KINDS = [k for k in ("greenhouse", "lever", "ashby", "smartrecruiters", "workday") if k in SPIDERS]


def postings(rng: random.Random, board: str, n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        out.append(
            {
                "id": f"{board}-{i}",
                "title": rng.choice(TITLES),
                "city": rng.choice(CITIES),
                "html": "".join(PARAGRAPH.format(topic=rng.choice(TOPICS)) for _ in range(4)),
                "day": 1 + i % 28,
            }
        )
    return out


def add_board(routes: dict, kind: str, board: str, jobs: list[dict[str, Any]]) -> None:
    if kind == "greenhouse":
        data = {
            "jobs": [
                {
                    "id": j["id"], "title": j["title"], "location": {"name": j["city"]},
                    "absolute_url": f"https://{board}.example/jobs/{j['id']}",
                    "updated_at": f"2026-10-{j['day']:02d}T10:00:00-04:00",
                    "first_published": f"2026-10-{j['day']:02d}T10:00:00-04:00",
                    "company_name": board.title(),
                    "content": j["html"].replace("<", "&lt;").replace(">", "&gt;"),
                }
                for j in jobs
            ]
        }  # fmt: skip
        routes[f"/v1/boards/{board}/jobs"] = Reply.json(data)
    elif kind == "lever":
        items = [
            {
                "id": j["id"], "text": j["title"], "hostedUrl": f"https://jobs.lever.co/{board}/{j['id']}",
                "applyUrl": f"https://jobs.lever.co/{board}/{j['id']}/apply",
                "categories": {"location": j["city"], "commitment": "Intern", "team": "Data"},
                "createdAt": 1790000000000 + j["day"] * 86_400_000, "description": j["html"],
            }
            for j in jobs
        ]  # fmt: skip

        def lever(path: str, query: dict, items: list = items) -> Reply:
            skip = int(query.get("skip", ["0"])[0])
            limit = int(query.get("limit", ["100"])[0])
            return Reply.json(items[skip : skip + limit])

        routes[f"/v0/postings/{board}"] = lever
    elif kind == "ashby":
        data = {
            "jobs": [
                {
                    "id": j["id"], "title": j["title"], "location": j["city"], "isListed": True,
                    "employmentType": "Intern", "publishedAt": f"2026-10-{j['day']:02d}T10:00:00Z",
                    "jobUrl": f"https://jobs.ashbyhq.com/{board}/{j['id']}", "descriptionHtml": j["html"],
                }
                for j in jobs
            ]
        }  # fmt: skip
        routes[f"/posting-api/job-board/{board}"] = Reply.json(data)
    elif kind == "smartrecruiters":
        listing = [
            {
                "id": j["id"], "name": j["title"], "releasedDate": f"2026-10-{j['day']:02d}T10:00:00.000Z",
                "company": {"identifier": board, "name": board.title()},
                "location": {"city": j["city"].split(",")[0], "country": "us", "remote": False},
                "typeOfEmployment": {"label": "Intern"}, "department": {"label": "Data"},
                "ref": f"https://api.smartrecruiters.com/v1/companies/{board}/postings/{j['id']}",
            }
            for j in jobs
        ]  # fmt: skip

        def sr_list(path: str, query: dict, listing: list = listing) -> Reply:
            offset = int(query.get("offset", ["0"])[0])
            limit = int(query.get("limit", ["100"])[0])
            page = listing[offset : offset + limit]
            return Reply.json(
                {"offset": offset, "limit": limit, "totalFound": len(listing), "content": page}
            )

        routes[f"/v1/companies/{board}/postings"] = sr_list
        for j, row in zip(jobs, listing, strict=True):
            detail = dict(row)
            detail["jobAd"] = {"sections": {"jobDescription": {"title": "Job", "text": j["html"]}}}
            detail["postingUrl"] = f"https://jobs.smartrecruiters.com/{board}/{j['id']}"
            routes[f"/v1/companies/{board}/postings/{j['id']}"] = Reply.json(detail)
    elif kind == "workday":
        tenant, site = board, "External"
        rows = [
            {
                "title": j["title"], "externalPath": f"/job/{j['id']}", "locationsText": j["city"],
                "postedOn": "Posted 2 Days Ago", "bulletFields": [j["id"]],
            }
            for j in jobs
        ]  # fmt: skip

        @with_body
        def wd_list(path: str, query: dict, body: bytes, rows: list = rows) -> Reply:
            request = json.loads(body or b"{}")
            offset, limit = int(request.get("offset", 0)), int(request.get("limit", 20))
            return Reply.json({"total": len(rows), "jobPostings": rows[offset : offset + limit]})

        routes[f"/wday/cxs/{tenant}/{site}/jobs"] = wd_list
        for j in jobs:
            info = {
                "jobPostingInfo": {
                    "id": j["id"], "title": j["title"], "jobDescription": j["html"],
                    "location": j["city"], "timeType": "Full time", "jobReqId": j["id"],
                    "startDate": f"2026-10-{j['day']:02d}",
                    "externalUrl": f"https://{tenant}.wd1.myworkdayjobs.com/{site}/job/{j['id']}",
                },
                "hiringOrganization": {"name": board.title()},
            }  # fmt: skip
            routes[f"/wday/cxs/{tenant}/{site}/job/{j['id']}"] = Reply.json(info)


def build(n_boards: int, per_board: int) -> tuple[dict, list[tuple[str, str]]]:
    rng = random.Random(20261129)
    routes: dict = {}
    boards = []
    for b in range(n_boards):
        kind = KINDS[b % len(KINDS)]
        board = f"board{b:03d}"
        add_board(routes, kind, board, postings(rng, board, per_board))
        boards.append((kind, board if kind != "workday" else f"{board}/External"))
    return routes, boards


def scrapy_bench_pages_per_minute(seconds: int = 10) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            [sys.executable, "-m", "scrapy", "bench", "-s", f"CLOSESPIDER_TIMEOUT={seconds}"],
            cwd=tmp, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    log = proc.stderr
    count = re.search(r"'response_received_count': (\d+)", log)
    elapsed = re.search(r"'elapsed_time_seconds': ([\d.]+)", log)
    if not (count and elapsed):
        raise RuntimeError(f"could not read scrapy bench's stats:\n{log[-2000:]}")
    return int(count.group(1)) / float(elapsed.group(1)) * 60


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boards", type=int, default=220)
    parser.add_argument("--per-board", type=int, default=100)
    parser.add_argument("--skip-scrapy-bench", action="store_true")
    args = parser.parse_args()

    routes, boards = build(args.boards, args.per_board)
    server = ReplayServer(routes).start()
    sources = [
        {"name": f"{kind}-{i}", "kind": kind, "board": board, "base_url": server.base_url}
        for i, (kind, board) in enumerate(boards)
    ]
    # As `scrapy bench`: no politeness delays against our own local server.
    settings = {
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_DELAY": 0,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
        "INTERNSCOUT_MAX_PARALLEL_CRAWLS": 8,
        "INTERNSCOUT_MAX_PARALLEL_CRAWLS_PER_HOST": 8,
    }
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{tmp}/bench.db"
        make_engine(db_url).dispose()
        started = time.perf_counter()
        report = run_crawl_subprocess(
            db_url, sources, timeout=3600, settings=settings, log_level="WARNING"
        )
        elapsed = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        stored = count_postings(make_engine(db_url))
    server.stop()
    pages = sum(1 for _ in server.requests if not _[1].startswith("/robots.txt"))
    failed = [r["name"] for r in report if r["status"] != "ok"]
    ours = pages / elapsed * 60
    result: dict[str, Any] = {
        "kinds": KINDS,
        "boards": len(boards),
        "postings_expected": len(boards) * args.per_board,
        "postings_stored": stored,
        "failed_sources": failed,
        "pages": pages,
        "seconds": round(elapsed, 1),
        "postings_per_second": round(stored / elapsed, 1),
        "pages_per_minute": round(ours),
        "peak_memory_mb": round(peak_mb, 1),
    }
    if not args.skip_scrapy_bench:
        bench = scrapy_bench_pages_per_minute()
        result["scrapy_bench_pages_per_minute"] = round(bench)
        result["ratio_to_scrapy_bench"] = round(ours / bench, 2)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
