"""Matcher outputs: per-posting analyses, per-profile scores, the persisted model, ranked reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from store.engine import dialect_insert
from store.models import Analysis, ModelState, Posting, Profile, Score


@dataclass
class RankedRow:
    posting: Posting
    analysis: Analysis
    score: Score


@dataclass
class RankFilter:
    profile_name: str
    sectors: Sequence[str] = ()
    location: str | None = None
    remote_only: bool = False
    since: datetime | None = None  # posted (or first seen, when the source gives no date) after
    min_score: float | None = None
    internships_only: bool = True
    open_only: bool = True
    today: date | None = None  # when given, postings whose deadline passed are left out
    hide_duplicates: bool = True  # a posting linked to another listing of the same job
    limit: int | None = None


def _upsert(engine: Engine, table: sa.Table, rows: list[dict[str, Any]], key: list[str]) -> None:
    if not rows:
        return
    with engine.begin() as conn:
        for start in range(0, len(rows), 500):
            stmt = dialect_insert(conn, table).values(rows[start : start + 500])
            updates = {c: stmt.excluded[c] for c in rows[0] if c not in key}
            conn.execute(stmt.on_conflict_do_update(index_elements=key, set_=updates))


def postings_needing_analysis(engine: Engine, model_version: str) -> list[Posting]:
    stmt = (
        select(Posting)
        .outerjoin(Analysis, Analysis.posting_id == Posting.id)
        .where(
            sa.or_(
                Analysis.posting_id.is_(None),
                Analysis.posting_hash != Posting.content_hash,
                Analysis.model_version != model_version,
            )
        )
        .order_by(Posting.id)
    )
    with Session(engine, expire_on_commit=False) as session:
        return list(session.exec(stmt).all())


def save_analyses(engine: Engine, rows: Sequence[dict[str, Any]]) -> None:
    """Upsert analyses; each row has Analysis's columns."""
    _upsert(engine, Analysis.__table__, [dict(r) for r in rows], ["posting_id"])


def upsert_profile(
    engine: Engine,
    name: str,
    email: str | None,
    spec: dict[str, Any],
    spec_hash: str,
    now: datetime,
) -> None:
    row = {"name": name, "email": email, "spec": spec, "spec_hash": spec_hash, "updated_at": now}
    _upsert(engine, Profile.__table__, [row], ["name"])


def postings_needing_score(
    engine: Engine,
    profile_name: str,
    profile_hash: str,
    model_version: str,
    computed_before: datetime | None = None,
) -> list[tuple[Posting, Analysis]]:
    """Postings whose score for this profile is missing or out of date.

    `computed_before` also refreshes scores computed before that moment (their
    recency and deadline parts age).
    """
    score = sa.orm.aliased(Score)
    stmt = (
        select(Posting, Analysis)
        .join(Analysis, Analysis.posting_id == Posting.id)
        .outerjoin(
            score, sa.and_(score.posting_id == Posting.id, score.profile_name == profile_name)
        )
        .where(
            sa.or_(
                score.id.is_(None),
                score.posting_hash != Posting.content_hash,
                score.profile_hash != profile_hash,
                score.model_version != model_version,
                score.computed_at < computed_before if computed_before else sa.false(),
            )
        )
        .order_by(Posting.id)
    )
    with Session(engine, expire_on_commit=False) as session:
        return [(p, a) for p, a in session.exec(stmt).all()]


def all_scored_inputs(engine: Engine) -> list[tuple[Posting, Analysis]]:
    stmt = select(Posting, Analysis).join(Analysis, Analysis.posting_id == Posting.id)
    with Session(engine, expire_on_commit=False) as session:
        return [(p, a) for p, a in session.exec(stmt.order_by(Posting.id)).all()]


def save_scores(engine: Engine, rows: Sequence[dict[str, Any]]) -> None:
    """Upsert scores keyed by (profile_name, posting_id)."""
    _upsert(engine, Score.__table__, [dict(r) for r in rows], ["profile_name", "posting_id"])


def delete_scores(engine: Engine, profile_name: str | None = None) -> None:
    stmt = sa.delete(Score)
    if profile_name is not None:
        stmt = stmt.where(Score.profile_name == profile_name)
    with engine.begin() as conn:
        conn.execute(stmt)


def load_model_state(engine: Engine, name: str) -> ModelState | None:
    with Session(engine, expire_on_commit=False) as session:
        return session.get(ModelState, name)


def save_model_state(
    engine: Engine,
    name: str,
    version: str,
    library_version: str,
    blob: bytes,
    fitted_at: datetime,
    fit_id: str,
) -> None:
    row = {
        "name": name,
        "version": version,
        "fit_id": fit_id,
        "library_version": library_version,
        "blob": blob,
        "fitted_at": fitted_at,
    }
    _upsert(engine, ModelState.__table__, [row], ["name"])


def ranked(engine: Engine, f: RankFilter) -> list[RankedRow]:
    stmt = (
        select(Posting, Analysis, Score)
        .join(Analysis, Analysis.posting_id == Posting.id)
        .join(Score, sa.and_(Score.posting_id == Posting.id, Score.profile_name == f.profile_name))
    )
    if f.open_only:
        stmt = stmt.where(Posting.closed_at.is_(None))
    if f.hide_duplicates:
        stmt = stmt.where(Posting.duplicate_of.is_(None))
    if f.internships_only:
        stmt = stmt.where(Analysis.is_internship.is_(True))
    if f.sectors:
        stmt = stmt.where(Analysis.sector.in_(list(f.sectors)))
    if f.location:
        stmt = stmt.where(sa.cast(Posting.locations, sa.Text).ilike(f"%{f.location}%"))
    if f.remote_only:
        stmt = stmt.where(
            sa.or_(
                Posting.workplace_type == "remote",
                sa.cast(Posting.locations, sa.Text).ilike("%remote%"),
            )
        )
    if f.since is not None:
        stmt = stmt.where(sa.func.coalesce(Posting.posted_at, Posting.first_seen) >= f.since)
    if f.min_score is not None:
        stmt = stmt.where(Score.score >= f.min_score)
    if f.today is not None:
        stmt = stmt.where(sa.or_(Posting.deadline.is_(None), Posting.deadline >= f.today))
    # Posting id breaks ties so the same data always gives the same order.
    stmt = stmt.order_by(Score.score.desc(), Posting.id)
    if f.limit:
        stmt = stmt.limit(f.limit)
    with Session(engine, expire_on_commit=False) as session:
        return [RankedRow(p, a, s) for p, a, s in session.exec(stmt).all()]


def posting_detail(
    engine: Engine, posting_id: int
) -> tuple[Posting, Analysis | None, list[Score]] | None:
    with Session(engine, expire_on_commit=False) as session:
        posting = session.get(Posting, posting_id)
        if posting is None:
            return None
        analysis = session.get(Analysis, posting_id)
        scores = list(
            session.exec(
                select(Score).where(Score.posting_id == posting_id).order_by(Score.profile_name)
            ).all()
        )
        return posting, analysis, scores


def duplicate_listings(engine: Engine, ids: Sequence[int]) -> dict[int, list[Posting]]:
    """For each posting id, the other listings of the same job linked to it."""
    if not ids:
        return {}
    stmt = select(Posting).where(Posting.duplicate_of.in_(list(ids))).order_by(Posting.id)
    out: dict[int, list[Posting]] = {}
    with Session(engine, expire_on_commit=False) as session:
        for p in session.exec(stmt).all():
            assert p.duplicate_of is not None
            out.setdefault(p.duplicate_of, []).append(p)
    return out
