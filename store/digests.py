"""Digest runs and the postings each profile has already been sent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from store.engine import dialect_insert
from store.models import DigestItem, DigestRun


def digested_posting_ids(engine: Engine, profile_name: str) -> set[int]:
    """Postings already included in a delivered digest for this profile."""
    stmt = (
        select(DigestItem.posting_id)
        .join(DigestRun, DigestRun.id == DigestItem.digest_id)
        .where(DigestItem.profile_name == profile_name, DigestRun.status == "sent")
    )
    with Session(engine) as session:
        return set(session.exec(stmt).all())


def claim_digest(
    engine: Engine,
    profile_name: str,
    period_key: str,
    now: datetime,
    stale_after: timedelta = timedelta(hours=1),
) -> int | None:
    """Insert-or-nothing on (profile, period): the id when this caller owns it, else None.

    A failed delivery, or a claim older than `stale_after` (its owner crashed),
    is handed to the next caller so the digest is retried, not lost.
    """
    stmt = (
        dialect_insert(engine, DigestRun.__table__)
        .values(
            profile_name=profile_name,
            period_key=period_key,
            created_at=now,
            status="claimed",
            delivery={},
        )
        .on_conflict_do_nothing(index_elements=["profile_name", "period_key"])
        .returning(DigestRun.__table__.c.id)
    )
    with engine.begin() as conn:
        row = conn.execute(stmt).first()
        if row is not None:
            return int(row.id)
        # Retake an undelivered claim atomically: only one caller's UPDATE matches.
        table = DigestRun.__table__
        existing = conn.execute(
            sa.select(table.c.id, table.c.status).where(
                table.c.profile_name == profile_name, table.c.period_key == period_key
            )
        ).first()
        if existing is None:
            return None
        retake = sa.or_(
            table.c.status == "failed",
            sa.and_(table.c.status == "claimed", table.c.created_at < now - stale_after),
        )
        updated = conn.execute(
            sa.update(table)
            .where(table.c.id == existing.id, retake)
            .values(status="claimed", created_at=now, error=None)
        )
        return int(existing.id) if updated.rowcount else None


def complete_digest(
    engine: Engine,
    digest_id: int,
    profile_name: str,
    items: Sequence[tuple[int, float]],
    delivery: dict[str, Any],
    now: datetime,
) -> None:
    """Mark a digest delivered and remember its postings, in one transaction."""
    with engine.begin() as conn:
        conn.execute(sa.delete(DigestItem.__table__).where(DigestItem.digest_id == digest_id))
        if items:
            rows = [
                {
                    "digest_id": digest_id,
                    "profile_name": profile_name,
                    "posting_id": pid,
                    "rank": i + 1,
                    "score": score,
                }
                for i, (pid, score) in enumerate(items)
            ]
            stmt = dialect_insert(conn, DigestItem.__table__).values(rows)
            conn.execute(stmt.on_conflict_do_nothing(index_elements=["profile_name", "posting_id"]))
        conn.execute(
            sa.update(DigestRun.__table__)
            .where(DigestRun.id == digest_id)
            .values(
                status="sent", sent_at=now, item_count=len(items), delivery=delivery, error=None
            )
        )


def fail_digest(engine: Engine, digest_id: int, error: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.update(DigestRun.__table__)
            .where(DigestRun.id == digest_id)
            .values(status="failed", error=error)
        )


def list_digests(engine: Engine, profile_name: str | None = None) -> list[DigestRun]:
    stmt = select(DigestRun).order_by(DigestRun.id)
    if profile_name is not None:
        stmt = stmt.where(DigestRun.profile_name == profile_name)
    with Session(engine, expire_on_commit=False) as session:
        return list(session.exec(stmt).all())
