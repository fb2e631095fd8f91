"""Rendering of ranked rows for the terminal, shared by `rank` and `demo`."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table


def print_rank_table(console: Console, data: list[dict[str, Any]], who: str) -> None:
    table = Table(title=f"Ranked for {who}", title_justify="left", expand=False)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("id", justify="right", no_wrap=True, style="dim")
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("title", min_width=20, overflow="fold")
    table.add_column("company", max_width=18, overflow="ellipsis", no_wrap=True)
    table.add_column("location", max_width=18, overflow="ellipsis", no_wrap=True)
    table.add_column("sector", no_wrap=True)
    for i, d in enumerate(data, start=1):
        table.add_row(
            str(i),
            str(d["id"]),
            f"{d['score']:.2f}",
            d["title"],
            d["company"] or "",
            d["location"],
            d["sector"],
        )
    console.print(table)


class CrawlProgress:
    """Live per-source counters while a crawl subprocess runs (drawn on stderr)."""

    def __init__(self, console: Console, names: list[str]) -> None:
        self.rows: dict[str, dict[str, Any]] = {n: {"status": "pending"} for n in names}
        self.live = Live(self._render(), console=console, transient=True, refresh_per_second=4)

    def __enter__(self) -> CrawlProgress:
        self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.__exit__(*exc)  # type: ignore[arg-type]

    def update(self, event: dict[str, Any]) -> None:
        name = event.get("name")
        if isinstance(name, str):
            self.rows.setdefault(name, {}).update(event)
            self.live.update(self._render())

    def _render(self) -> Group:
        done = sum(1 for r in self.rows.values() if r.get("status") in ("ok", "failed"))
        table = Table(title=f"Crawling: {done}/{len(self.rows)} sources done", title_justify="left")
        for col in ("source", "status", "pages", "postings", "failed pages"):
            table.add_column(col, justify="left" if col in ("source", "status") else "right")
        for name, r in self.rows.items():
            table.add_row(
                name,
                str(r.get("status", "")),
                str(r.get("pages", "")),
                str(r.get("items", "")),
                str(r.get("failed_pages", "")),
            )
        return Group(table)
