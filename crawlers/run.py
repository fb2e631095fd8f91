"""Run a set of sources in one Scrapy process and report per source as JSON.

    python -m crawlers.run --db URL --sources FILE.json [--log-level INFO] [--set KEY=VALUE ...]

FILE.json is a JSON list of `{name, kind, board, sector?, base_url?, url?, company?}`.
All sources run in one `CrawlerProcess` (one reactor, one crawler per source);
each one's outcome is stored with `store.record_crawl_run` and printed to
stdout as a single JSON document. Logs go to stderr.

Twisted's reactor cannot be restarted, so other code (the CLI, the scheduler)
must call this as a subprocess: use `run_crawl_subprocess`, or
`crawl_command` to build the command line. Importing this module has no side
effects.

Report entries (one per source, in the sources file's order) have the keys
name, kind, board, status ("ok" | "failed"), new, updated, unchanged, closed,
rejected, errors, failed_pages (pages given up in this crawl, recorded in the
store's failed-pages table) and error (None for an ok crawl).

Progress (with --progress): live counters go to stderr, mixed with the logs, as
lines of the form

    @@progress {"name": "acme", "kind": "greenhouse", "status": "running",
                "pages": 3, "items": 250, "failed_pages": 0, "error": null}

(one line each, compact JSON after the prefix "@@progress "). Every source gets
a "pending" line when the run starts, a "running" line when its crawl starts,
further "running" lines while its counters change (at most one per source
every INTERNSCOUT_PROGRESS_INTERVAL = 0.5 s) and exactly one final line with
status "ok" or "failed" (and the error). `pages`: responses handed to the
spider (after retries and redirects; robots.txt not counted); `items`:
postings that reached the store pipeline; `failed_pages`: pages given up so
far. `run_crawl_subprocess(..., on_progress=callback)` asks for these lines,
takes them out of the stderr stream and calls `callback(dict)` with each, in
the calling thread.

This module is the command line; the work is done by `crawlers.sources` (the
sources file), `crawlers.crawl` (the crawl in this process), `crawlers.progress`
(the progress lines) and `crawlers.results` (report entries, recorded runs).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Sequence
from typing import Any

# Callers import the subprocess client from here too (re-exported).
from crawlers.client import (  # noqa: F401
    EXIT_ALL_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    PROGRESS_PREFIX,
    CrawlSubprocessError,
    crawl_command,
    run_crawl_subprocess,
)
from crawlers.crawl import run_sources

# The sources file's reader and checks are importable from here too (re-exported).
from crawlers.sources import (  # noqa: F401
    SourceSpec,
    UsageError,
    load_sources,
    parse_set_options,
)

# ------------------------------------------------------------------ CLI


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:
        raise UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _ArgumentParser(
        prog="python -m crawlers.run",
        description="Crawl job-board sources into the InternScout store; prints a JSON report.",
    )
    parser.add_argument("--db", required=True, help="SQLAlchemy database URL of the store")
    parser.add_argument("--sources", required=True, help="JSON file: list of source objects")
    parser.add_argument(
        "--log-level",
        default="INFO",
        type=str.upper,
        choices=["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"],
    )
    parser.add_argument(
        "--progress",
        action="store_true",
        help=f"write progress lines ({PROGRESS_PREFIX.strip()} JSON) to stderr",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a Scrapy setting (repeatable)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        sources = load_sources(args.sources)
        overrides = parse_set_options(args.set)
        if not args.db.strip():
            raise UsageError("--db must not be empty")
    except UsageError as exc:
        print(f"crawlers.run: error: {exc}", file=sys.stderr)
        return EXIT_USAGE

    # stdout carries only the report: anything a library prints goes to stderr.
    with contextlib.redirect_stdout(sys.stderr):
        entries = run_sources(
            args.db,
            sources,
            overrides=overrides,
            log_level=args.log_level,
            progress=sys.stderr if args.progress else None,
        )
    sys.stdout.write(json.dumps({"sources": entries}) + "\n")
    sys.stdout.flush()
    if entries and all(e["status"] == "failed" for e in entries):
        return EXIT_ALL_FAILED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
