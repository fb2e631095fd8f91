"""Configured sources and the record of crawl runs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from store.engine import dialect_insert
from store.models import CrawlRun, Source


@dataclass
class SourceIn:
    name: str
    kind: str
    board: str
    sector_hint: str | None = None
    base_url: str | None = None


@dataclass
class CrawlRunIn:
    source_name: str
    source_kind: str
    board: str
    started_at: datetime
    finished_at: datetime | None
    status: str  # "ok" | "failed"
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    closed: int = 0
    rejected: int = 0
    errors: int = 0
    error: str | None = None


def sync_sources(engine: Engine, sources: Sequence[SourceIn]) -> None:
    """Make the source table describe the configured sources (crawl history is kept)."""
    if not sources:
        return
    rows = [asdict(s) for s in sources]
    stmt = dialect_insert(engine, Source.__table__).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=["name"],
        set_={k: stmt.excluded[k] for k in ("kind", "board", "sector_hint", "base_url")},
    )
    with engine.begin() as conn:
        conn.execute(stmt)


def record_crawl_run(engine: Engine, run: CrawlRunIn) -> int:
    """Store one source's crawl outcome and update the source's last-crawl summary."""
    with Session(engine) as session:
        row = CrawlRun(**asdict(run))
        session.add(row)
        source = session.get(Source, run.source_name)
        if source is None:
            source = Source(name=run.source_name, kind=run.source_kind, board=run.board)
            session.add(source)
        source.last_crawl_at = run.finished_at or run.started_at
        source.last_status = run.status
        source.last_error = run.error
        session.commit()
        session.refresh(row)
        assert row.id is not None
        return row.id


def list_sources(engine: Engine) -> list[Source]:
    with Session(engine, expire_on_commit=False) as session:
        return list(session.exec(select(Source).order_by(Source.name)).all())


def last_crawl_runs(engine: Engine) -> dict[str, CrawlRun]:
    """The latest crawl run of every source, by source name."""
    latest = (
        select(CrawlRun.source_name, sa.func.max(CrawlRun.id).label("id"))
        .group_by(CrawlRun.source_name)
        .subquery()
    )
    stmt = select(CrawlRun).join(latest, CrawlRun.id == latest.c.id)
    with Session(engine, expire_on_commit=False) as session:
        return {run.source_name: run for run in session.exec(stmt).all()}
