"""Rendering of ranked rows for the terminal, shared by `rank` and `demo`."""

from __future__ import annotations

from typing import Any

from rich.console import Console
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
