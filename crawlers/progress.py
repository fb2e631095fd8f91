"""Live progress of a `crawlers.run` crawl: the `@@progress` lines on stderr.

The line format is described in the `crawlers.run` module docstring.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Mapping, Sequence
from typing import IO, Any

from crawlers.client import PROGRESS_PREFIX
from crawlers.results import Job, stats_collector


class Progress:
    """Writes the progress lines described in the `crawlers.run` module docstring."""

    def __init__(self, stream: IO[str], interval: float):
        self.stream = stream
        self.interval = max(0.05, interval)
        self._last: dict[str, tuple[float, tuple[int, int, int]]] = {}
        self._final: set[str] = set()

    def emit(self, job: Job, status: str, error: str | None = None) -> None:
        counters = _counters(job)
        self._last[job.source.name] = (time.monotonic(), counters)
        pages, items, failed = counters
        line = {
            "name": job.source.name,
            "kind": job.source.kind,
            "status": status,
            "pages": pages,
            "items": items,
            "failed_pages": failed,
            "error": error,
        }
        with contextlib.suppress(OSError, ValueError):
            self.stream.write(PROGRESS_PREFIX + json.dumps(line, separators=(",", ":")) + "\n")
            self.stream.flush()

    def tick(self, running: Sequence[Job]) -> None:
        now = time.monotonic()
        for job in running:
            if job.source.name in self._final:
                continue
            last_time, last_counters = self._last.get(job.source.name, (0.0, (-1, -1, -1)))
            if now - last_time >= self.interval and _counters(job) != last_counters:
                self.emit(job, "running")

    def final(self, job: Job, entry: Mapping[str, Any]) -> None:
        if job.source.name not in self._final:
            self._final.add(job.source.name)
            self.emit(job, str(entry["status"]), entry.get("error"))


def _counters(job: Job) -> tuple[int, int, int]:
    collector = stats_collector(job.crawler)
    if collector is None:
        return 0, 0, 0
    get = collector.get_value
    return (
        int(get("internscout/pages", 0) or 0),
        int(get("item_scraped_count", 0) or 0),
        int(get("internscout/failed_pages", 0) or 0),
    )
