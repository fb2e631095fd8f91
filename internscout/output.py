"""Rendering of ranked rows for the terminal, shared by `rank` and `demo`."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def print_rank_table(console: Console, data: list[dict[str, Any]], who: str) -> None:
    table = Table(title=f"Ranked for {who}")
    for col in ("#", "score", "title", "company", "location", "sector", "role", "posted", "id"):
        table.add_column(
            col, overflow="fold", justify="right" if col in ("#", "score", "id") else "left"
        )
    for i, d in enumerate(data, start=1):
        table.add_row(
            str(i),
            f"{d['score']:.2f}",
            d["title"],
            d["company"] or "",
            d["location"],
            d["sector"],
            d["role"],
            (d["posted_at"] or "")[:10],
            str(d["id"]),
        )
    console.print(table)
