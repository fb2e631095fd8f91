"""Posting writes (idempotent upserts, closing vanished postings) and reads."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from store.engine import dialect_insert
from store.models import Posting
from store.records import CONTENT_FIELDS, PostingIn
from store.stamps import POSTINGS_STAMP, bump

BATCH = 200
_KEY = ("source_kind", "board", "external_id")
# Columns refreshed from the incoming record on conflict (closed_at is handled apart).
_REFRESHED = tuple(f for f in CONTENT_FIELDS if f != "is_open") + (
    "source_name",
    "sector_hint",
    "raw",
    "content_hash",
    "last_seen",
)


@dataclass
class UpsertResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    new_ids: list[int] = field(default_factory=list)
    updated_ids: list[int] = field(default_factory=list)

    def __iadd__(self, other: UpsertResult) -> UpsertResult:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.new_ids += other.new_ids
        self.updated_ids += other.updated_ids
        return self


def _row(record: PostingIn, seen_at: datetime, write_id: str) -> dict:
    data = asdict(record)
    is_open = data.pop("is_open")
    data["content_hash"] = record.content_hash()
    data["first_seen"] = seen_at
    data["last_seen"] = seen_at
    data["updated_at"] = seen_at
    data["closed_at"] = None if is_open else seen_at
    data["first_write"] = write_id
    data["change_write"] = write_id
    data["title"] = data["title"].strip()
    return data


def upsert_postings(
    engine: Engine, records: Sequence[PostingIn], seen_at: datetime
) -> UpsertResult:
    """Insert or update postings by (source_kind, board, external_id) with INSERT .. ON CONFLICT.

    `seen_at` is stored as last_seen (one value per crawl, so `close_missing` can
    find what a crawl did not see). Each call stamps its rows with a fresh write id;
    RETURNING it tells new, updated and unchanged rows apart in the same statement.
    """
    write_id = uuid.uuid4().hex
    result = UpsertResult()
    # A key twice in one statement is an error on PostgreSQL; the later record wins.
    unique: dict[tuple[str, str, str], PostingIn] = {}
    for rec in records:
        unique[(rec.source_kind, rec.board, rec.external_id)] = rec
    rows = [_row(r, seen_at, write_id) for r in unique.values()]
    table = Posting.__table__
    with engine.begin() as conn:
        for start in range(0, len(rows), BATCH):
            result += _upsert_batch(conn, table, rows[start : start + BATCH], write_id)
        if result.new or result.updated:
            bump(conn, POSTINGS_STAMP)
    return result


def _upsert_batch(
    conn: sa.Connection, table: sa.Table, rows: list[dict], write_id: str
) -> UpsertResult:
    stmt = dialect_insert(conn, table).values(rows)
    ex = stmt.excluded
    reopened = sa.and_(table.c.closed_at.is_not(None), ex.closed_at.is_(None))
    changed = sa.or_(table.c.content_hash != ex.content_hash, reopened)
    set_ = {name: ex[name] for name in _REFRESHED}
    set_["updated_at"] = sa.case((changed, ex.updated_at), else_=table.c.updated_at)
    set_["change_write"] = sa.case((changed, ex.change_write), else_=table.c.change_write)
    # A posting that reappears (or is listed inactive) updates its closed state.
    set_["closed_at"] = sa.case(
        (ex.closed_at.is_(None), None),
        else_=sa.func.coalesce(table.c.closed_at, ex.closed_at),
    )
    stmt = stmt.on_conflict_do_update(index_elements=list(_KEY), set_=set_).returning(
        table.c.id, table.c.first_write, table.c.change_write
    )
    result = UpsertResult()
    for row in conn.execute(stmt):
        if row.first_write == write_id:
            result.new += 1
            result.new_ids.append(row.id)
        elif row.change_write == write_id:
            result.updated += 1
            result.updated_ids.append(row.id)
        else:
            result.unchanged += 1
    return result


def close_missing(
    engine: Engine,
    source_kind: str,
    board: str,
    seen_before: datetime,
    closed_at: datetime,
    keep_urls: Iterable[str] = (),
) -> int:
    """Mark open postings of a board that a successful crawl did not see as closed.

    `keep_urls`: pages that failed in this crawl; their postings were not seen
    because they could not be fetched, not because they are gone.
    """
    table = Posting.__table__
    conditions = [
        table.c.source_kind == source_kind,
        table.c.board == board,
        table.c.closed_at.is_(None),
        table.c.last_seen < seen_before,
    ]
    keep = sorted(set(keep_urls))
    if keep:
        conditions.append(sa.or_(table.c.url.is_(None), table.c.url.not_in(keep)))
    stmt = sa.update(table).where(*conditions).values(closed_at=closed_at)
    with engine.begin() as conn:
        return conn.execute(stmt).rowcount or 0


def _where(
    stmt: Any,
    ids: Iterable[int] | None,
    source_kind: str | None,
    board: str | None,
    open_only: bool,
) -> Any:
    if ids is not None:
        stmt = stmt.where(Posting.id.in_(list(ids)))
    if source_kind is not None:
        stmt = stmt.where(Posting.source_kind == source_kind)
    if board is not None:
        stmt = stmt.where(Posting.board == board)
    if open_only:
        stmt = stmt.where(Posting.closed_at.is_(None))
    return stmt


def count_postings(
    engine: Engine,
    *,
    source_kind: str | None = None,
    board: str | None = None,
    open_only: bool = False,
) -> int:
    stmt = _where(select(sa.func.count()).select_from(Posting), None, source_kind, board, open_only)
    with Session(engine) as session:
        return int(session.exec(stmt).one())


def get_postings(
    engine: Engine,
    *,
    ids: Iterable[int] | None = None,
    source_kind: str | None = None,
    board: str | None = None,
    open_only: bool = False,
) -> list[Posting]:
    stmt = _where(select(Posting).order_by(Posting.id), ids, source_kind, board, open_only)
    with Session(engine, expire_on_commit=False) as session:
        return list(session.exec(stmt).all())


def get_posting(engine: Engine, posting_id: int) -> Posting | None:
    with Session(engine, expire_on_commit=False) as session:
        return session.get(Posting, posting_id)
