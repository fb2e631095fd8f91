"""`internscout demo`: the whole pipeline, offline, against sample boards on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from crawlers.client import run_crawl_subprocess
from internscout.app import AppState, RankOptions, rank_rows, rows_to_dicts
from internscout.config import parse_config
from internscout.demo import DEMO_PROFILE, demo_routes, demo_sources
from internscout.output import print_rank_table
from internscout.replay import serving

# The sample server is local, so the crawl need not wait between requests.
LOCAL_CRAWL_SETTINGS = {"AUTOTHROTTLE_START_DELAY": 0, "DOWNLOAD_DELAY": 0}


def run_demo(out: Path, console: Console, limit: int, clock: Callable[[], datetime]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    db_path = (out / "demo.db").resolve()
    for suffix in ("", "-wal", "-shm"):  # a fresh database every run
        db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
    db_url = f"sqlite:///{db_path}"
    for old in (out / "digests").glob("digest-*"):
        old.unlink()

    with serving(demo_routes()) as server:
        sources = demo_sources(server.base_url)
        console.print(f"Serving {len(sources)} sample boards on {server.base_url}; crawling…")
        results = run_crawl_subprocess(db_url, sources, timeout=300, settings=LOCAL_CRAWL_SETTINGS)
    for r in results:
        console.print(
            f"  {r['name']:<24} {r['status']:<6} new {r['new']:>3}  rejected {r['rejected']}"
            + (f"  error: {r['error']}" if r.get("error") else ""),
            highlight=False,
        )

    config = parse_config({"profiles": [DEMO_PROFILE], "sources": sources}, None)
    config.database_url = db_url
    config.digest_dir = out / "digests"
    state = AppState(db_url=db_url, clock=clock)
    state._config = config
    profile = DEMO_PROFILE["name"]
    rows = rank_rows(state, RankOptions(profile=profile, limit=limit))
    print_rank_table(console, rows_to_dicts(state, rows), f"profile {profile!r}")
    outcome = state.write_digest(profile, out / "digests")
    console.print(f"Digest: {outcome.message}.")
    for path in outcome.paths:
        console.print(f"  {path}", highlight=False)
    if not rows:
        console.print("No postings ranked: check the crawl results above.")
        return
    cfg = write_demo_config(out / "config.toml", db_url, out / "digests")
    console.print(
        f"Demo database: {db_path}; its config (the database and the demo profile): {cfg}\n"
        f"Try:  internscout --config {cfg} skills --profile {profile}\n"
        f"      internscout --config {cfg} show {rows[0].posting.id} --profile {profile}",
        highlight=False,
    )


def write_demo_config(path: Path, db_url: str, digest_dir: Path) -> Path:
    """A config naming the demo database and profile, so the other commands can be tried on the
    demo's results. The sample boards' server is gone by then: no sources are written."""
    lines = [
        "# Written by `internscout demo`: the demo database and its sample student.",
        "[database]",
        f"url = {_toml(db_url)}",
        "",
        "[digest]",
        f"out_dir = {_toml(str(digest_dir.resolve()))}",
        "",
        "[[profiles]]",
    ]
    lines += [f"{key} = {_toml(value)}" for key, value in DEMO_PROFILE.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path.resolve()


def _toml(value: Any) -> str:
    # JSON strings, numbers and arrays of them are valid TOML; booleans are spelled alike.
    return json.dumps(value, ensure_ascii=False)
