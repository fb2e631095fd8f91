"""Pages that failed for good during a crawl, kept until a later crawl fetches them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from store.engine import dialect_insert
from store.models import FailedPage


@dataclass
class FailedPageIn:
    url: str
    kind: str
    reason: str


def record_failed_pages(
    engine: Engine, source_name: str, pages: Sequence[FailedPageIn], now: datetime
) -> None:
    """Upsert by (source, url): a page failing again counts another attempt."""
    if not pages:
        return
    unique = {p.url: p for p in pages}
    rows = [
        {
            "source_name": source_name,
            "url": p.url,
            "kind": p.kind,
            "reason": p.reason[:2000],
            "attempts": 1,
            "first_failed_at": now,
            "last_failed_at": now,
            "resolved_at": None,
        }
        for p in unique.values()
    ]
    table = FailedPage.__table__
    with engine.begin() as conn:
        stmt = dialect_insert(conn, table).values(rows)
        ex = stmt.excluded
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["source_name", "url"],
                set_={
                    "kind": ex.kind,
                    "reason": ex.reason,
                    "attempts": table.c.attempts + 1,
                    "last_failed_at": ex.last_failed_at,
                    "resolved_at": None,
                },
            )
        )


def resolve_failed_pages(
    engine: Engine, source_name: str, urls: Iterable[str], now: datetime
) -> int:
    """Mark pages that a crawl fetched successfully as resolved."""
    urls = list(urls)
    if not urls:
        return 0
    table = FailedPage.__table__
    done = 0
    with engine.begin() as conn:
        for start in range(0, len(urls), 500):
            result = conn.execute(
                sa.update(table)
                .where(
                    table.c.source_name == source_name,
                    table.c.url.in_(urls[start : start + 500]),
                    table.c.resolved_at.is_(None),
                )
                .values(resolved_at=now)
            )
            done += result.rowcount or 0
    return done


def unresolved_failed_pages(engine: Engine, source_name: str | None = None) -> list[FailedPage]:
    stmt = select(FailedPage).where(FailedPage.resolved_at.is_(None)).order_by(FailedPage.id)
    if source_name is not None:
        stmt = stmt.where(FailedPage.source_name == source_name)
    with Session(engine, expire_on_commit=False) as session:
        return list(session.exec(stmt).all())
