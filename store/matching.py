"""Matcher outputs: per-posting analyses, per-profile scores, the persisted model, ranked reads."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import defer
from sqlmodel import Session, select

from store.engine import dialect_insert
from store.models import Analysis, ModelState, Posting, Profile, Score
from store.stamps import ANALYSES_STAMP, bump, drop_score_checkpoints


@dataclass
class RankedRow:
    """One ranked posting. The posting's heavy columns (raw record, HTML and plain-text
    description) are not loaded: read them with `posting_detail` or `get_posting`."""

    posting: Posting
    analysis: Analysis
    score: Score


@dataclass(frozen=True)
class ModelStateInfo:
    """A persisted model's metadata, without its (possibly large) pickled blob."""

    name: str
    version: str
    fit_id: str
    library_version: str
    fitted_at: datetime | None


# Columns the matcher reads from a posting: never the raw record or the HTML description.
_INPUT_COLUMNS = (
    "id",
    "content_hash",
    "title",
    "company",
    "description_text",
    "employment_type",
    "sector_hint",
    "locations",
    "workplace_type",
    "department",
    "terms",
    "posted_at",
    "first_seen",
    "deadline",
    "source_kind",
)
# Not loaded for ranked lists: the raw source record and the descriptions.
_HEAVY_POSTING_COLUMNS = (Posting.raw, Posting.description_html, Posting.description_text)
# Large enough to amortise round trips, small enough for SQLite's bound-parameter limit.
_ID_CHUNK = 5000


@dataclass
class RankFilter:
    profile_name: str
    sectors: Sequence[str] = ()
    location: str | None = None
    remote_only: bool = False
    since: datetime | None = None  # posted (or first seen, when the source gives no date) after
    min_score: float | None = None
    internships_only: bool = True
    entry_level_too: bool = False  # with internships_only: entry-level full-time jobs too
    open_only: bool = True
    # When given, postings whose deadline passed are left out, and so are those the matcher
    # scored 0 (ruled out when scored: a passed deadline, or every stated term over).
    today: date | None = None
    hide_duplicates: bool = True  # a posting linked to another listing of the same job
    limit: int | None = None


def _upsert(
    engine: Engine,
    table: sa.Table,
    rows: list[dict[str, Any]],
    key: list[str],
    stamp: str | None = None,
) -> None:
    """INSERT .. ON CONFLICT DO UPDATE of many rows (all with the keys of the first) in one
    transaction: one statement executed with many parameter sets, compiled once and cached,
    rather than a multi-row VALUES compiled anew for every batch."""
    if not rows:
        return
    columns = list(rows[0])
    stmt = dialect_insert(engine, table)
    updates = {c: stmt.excluded[c] for c in columns if c not in key}
    stmt = stmt.on_conflict_do_update(index_elements=key, set_=updates)
    with engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(stmt, rows[start : start + 5000])
        if stamp is not None:
            bump(conn, stamp)


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), _ID_CHUNK):
        yield list(ids[start : start + _ID_CHUNK])


def pending_analysis_ids(engine: Engine, model_version: str) -> list[int]:
    """Ids of postings with no analysis, or one of older content or another model version.

    Reads only indexes (posting id + content hash, analysis key + hash + version): cheap to
    ask on every command, even when the answer is "none".
    """
    p, a = Posting.__table__, Analysis.__table__
    stmt = (
        sa.select(p.c.id)
        .select_from(p.outerjoin(a, a.c.posting_id == p.c.id))
        .where(
            sa.or_(
                a.c.posting_id.is_(None),
                a.c.posting_hash != p.c.content_hash,
                a.c.model_version != model_version,
            )
        )
        .order_by(p.c.id)
    )
    with engine.connect() as conn:
        return list(conn.execute(stmt).scalars())


def analysis_inputs(engine: Engine, ids: Sequence[int] | None = None) -> list[sa.Row]:
    """What the classifier reads of these postings (all when `ids` is None), in id order.

    Rows have the attributes of `Posting` that `posting_text` needs, plus `content_hash`.
    """
    p = Posting.__table__
    base = sa.select(*(p.c[name] for name in _INPUT_COLUMNS)).order_by(p.c.id)
    with engine.connect() as conn:
        if ids is None:
            return list(conn.execute(base))
        out: list[sa.Row] = []
        for chunk in _chunks(sorted(ids)):
            out.extend(conn.execute(base.where(p.c.id.in_(chunk))))
        return out


def postings_needing_analysis(engine: Engine, model_version: str) -> list[Posting]:
    ids = pending_analysis_ids(engine, model_version)
    if not ids:
        return []
    out: list[Posting] = []
    with Session(engine, expire_on_commit=False) as session:
        for chunk in _chunks(ids):
            stmt = select(Posting).where(Posting.id.in_(chunk)).order_by(Posting.id)
            out.extend(session.exec(stmt).all())
    return out


# Analysis list columns added after the first schema: rows written without them store [].
_ANALYSIS_DEFAULTS: dict[str, Any] = {"required_skills": [], "preferred_skills": []}


def save_analyses(engine: Engine, rows: Sequence[dict[str, Any]]) -> None:
    """Upsert analyses; each row has Analysis's columns."""
    _upsert(
        engine,
        Analysis.__table__,
        [{**_ANALYSIS_DEFAULTS, **r} for r in rows],
        ["posting_id"],
        stamp=ANALYSES_STAMP,
    )


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


def profile_state(engine: Engine, name: str) -> tuple[str | None, str] | None:
    """A stored profile's (email, spec_hash), or None."""
    t = Profile.__table__
    stmt = sa.select(t.c.email, t.c.spec_hash).where(t.c.name == name)
    with engine.connect() as conn:
        row = conn.execute(stmt).first()
    return None if row is None else (row.email, row.spec_hash)


def pending_score_ids(
    engine: Engine,
    profile_name: str,
    profile_hash: str,
    model_version: str,
    computed_before: datetime | None = None,
) -> list[int]:
    """Ids of analysed postings whose score for this profile is missing or out of date.

    Out of date: scored at other content, for another profile spec or model fit, or (with
    `computed_before`) before that moment, since recency and deadline parts age. Reads only
    indexes, like `pending_analysis_ids`.
    """
    p, a, s = Posting.__table__, Analysis.__table__, Score.__table__
    stale = [
        s.c.posting_id.is_(None),
        s.c.posting_hash != p.c.content_hash,
        s.c.profile_hash != profile_hash,
        s.c.model_version != model_version,
    ]
    if computed_before is not None:
        stale.append(s.c.computed_at < computed_before)
    joined = p.join(a, a.c.posting_id == p.c.id).outerjoin(
        s, sa.and_(s.c.profile_name == profile_name, s.c.posting_id == p.c.id)
    )
    stmt = sa.select(p.c.id).select_from(joined).where(sa.or_(*stale)).order_by(p.c.id)
    with engine.connect() as conn:
        return list(conn.execute(stmt).scalars())


def stored_text_parts(
    engine: Engine,
    profile_name: str,
    profile_hash: str,
    model_version: str,
    ids: Sequence[int],
) -> dict[int, float]:
    """The text part of each of these postings' scores for this profile that are out of date
    by age alone (same content, profile spec and fit): a refresh reuses it instead of
    vectorising the posting again (it depends on nothing that ages)."""
    p, s = Posting.__table__, Score.__table__
    out: dict[int, float] = {}
    with engine.connect() as conn:
        for chunk in _chunks(ids):
            stmt = (
                sa.select(s.c.posting_id, s.c.parts)
                .join(p, p.c.id == s.c.posting_id)
                .where(
                    s.c.profile_name == profile_name,
                    s.c.profile_hash == profile_hash,
                    s.c.model_version == model_version,
                    s.c.posting_hash == p.c.content_hash,
                    s.c.posting_id.in_(chunk),
                )
            )
            for posting_id, parts in conn.execute(stmt):
                text = parts.get("text") if isinstance(parts, dict) else None
                if isinstance(text, int | float) and not isinstance(text, bool):
                    out[posting_id] = float(text)
    return out


def scores_current(
    engine: Engine,
    profile_name: str,
    profile_hash: str,
    model_version: str,
    computed_after: datetime,
    coverage: bool = True,
) -> bool:
    """True when every analysed posting has a score for this profile computed for its
    analysed content, this profile hash and model version, at or after `computed_after`.
    With `coverage=False`, only that no score is of another spec, fit or age (index
    seeks; for a caller that knows from a checkpoint that every posting has its score).

    The cheap "nothing to score" answer, from indexes: one pass over the profile's
    (posting, content hash) pairs joined to the analyses, and a few index seeks for a
    score of another spec, fit or age. Content is compared with the analysis's hash, which
    equals the posting's once `pending_analysis_ids` is empty; `pending_score_ids` (the
    exact list, compared with the posting) is the one to ask when this says False.
    """
    a, s = Analysis.__table__, Score.__table__
    mine = s.c.profile_name == profile_name

    def other(*conds: Any) -> Any:
        return sa.exists().where(mine, *conds)

    stale_state = sa.select(
        sa.or_(
            other(s.c.profile_hash < profile_hash),
            other(s.c.profile_hash > profile_hash),
            other(s.c.profile_hash == profile_hash, s.c.model_version < model_version),
            other(s.c.profile_hash == profile_hash, s.c.model_version > model_version),
            other(
                s.c.profile_hash == profile_hash,
                s.c.model_version == model_version,
                s.c.computed_at < computed_after,
            ),
        )
    )
    covered = (
        sa.select(
            sa.func.count(),
            sa.func.coalesce(
                sa.func.sum(sa.case((s.c.posting_hash != a.c.posting_hash, 1), else_=0)), 0
            ),
        )
        .select_from(s.join(a, a.c.posting_id == s.c.posting_id))
        .where(mine)
    )
    with engine.connect() as conn:
        if conn.execute(stale_state).scalar():
            return False
        if not coverage:
            return True
        analysed = conn.execute(sa.select(sa.func.count()).select_from(a)).scalar_one()
        scored, changed = conn.execute(covered).one()
    return scored == analysed and not changed


def score_inputs(engine: Engine, ids: Sequence[int]) -> list[sa.Row]:
    """What the scorer reads of these analysed postings, in id order: the posting's
    matcher columns (as `analysis_inputs`) and the analysis's columns, in one flat row."""
    p, a = Posting.__table__, Analysis.__table__
    cols = [p.c[name] for name in _INPUT_COLUMNS]
    cols += [c for c in a.c if c.name not in _INPUT_COLUMNS]
    base = sa.select(*cols).select_from(p.join(a, a.c.posting_id == p.c.id)).order_by(p.c.id)
    out: list[sa.Row] = []
    with engine.connect() as conn:
        for chunk in _chunks(sorted(ids)):
            out.extend(conn.execute(base.where(p.c.id.in_(chunk))))
    return out


def postings_needing_score(
    engine: Engine,
    profile_name: str,
    profile_hash: str,
    model_version: str,
    computed_before: datetime | None = None,
) -> list[tuple[Posting, Analysis]]:
    """Postings whose score for this profile is missing or out of date (see
    `pending_score_ids`), with their analyses."""
    ids = pending_score_ids(engine, profile_name, profile_hash, model_version, computed_before)
    out: list[tuple[Posting, Analysis]] = []
    with Session(engine, expire_on_commit=False) as session:
        for chunk in _chunks(ids):
            stmt = (
                select(Posting, Analysis)
                .join(Analysis, Analysis.posting_id == Posting.id)
                .where(Posting.id.in_(chunk))
                .order_by(Posting.id)
            )
            out.extend((p, a) for p, a in session.exec(stmt).all())
    return out


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
        drop_score_checkpoints(conn, profile_name)


def load_model_state(engine: Engine, name: str) -> ModelState | None:
    with Session(engine, expire_on_commit=False) as session:
        return session.get(ModelState, name)


def model_state_info(engine: Engine, name: str) -> ModelStateInfo | None:
    """The persisted model's metadata; its blob is not read."""
    t = ModelState.__table__
    stmt = sa.select(t.c.name, t.c.version, t.c.fit_id, t.c.library_version, t.c.fitted_at).where(
        t.c.name == name
    )
    with engine.connect() as conn:
        row = conn.execute(stmt).first()
    return None if row is None else ModelStateInfo(*row)


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


def ranked_statement(f: RankFilter) -> Any:
    """The ranked read: the profile's scores best first (index ix_score_rank), each joined
    to its posting and analysis, filtered, so a page stops after `limit` matching rows."""
    stmt = (
        select(Posting, Analysis, Score)
        .join(Analysis, Analysis.posting_id == Posting.id)
        .join(Score, sa.and_(Score.posting_id == Posting.id, Score.profile_name == f.profile_name))
        .options(*(defer(c) for c in _HEAVY_POSTING_COLUMNS))
    )
    if f.open_only:
        stmt = stmt.where(Posting.closed_at.is_(None))
    if f.hide_duplicates:
        stmt = stmt.where(Posting.duplicate_of.is_(None))
    if f.internships_only and f.entry_level_too:
        stmt = stmt.where(
            sa.or_(Analysis.is_internship.is_(True), Analysis.entry_level_evidence.is_not(None))
        )
    elif f.internships_only:
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
        stmt = stmt.where(Score.score > 0)
    # Posting id breaks ties so the same data always gives the same order (the score's
    # posting id is the posting's: ordering by it lets the index give the order).
    stmt = stmt.order_by(Score.score.desc(), Score.posting_id)
    if f.limit:
        stmt = stmt.limit(f.limit)
    return stmt


def ranked(engine: Engine, f: RankFilter) -> list[RankedRow]:
    with Session(engine, expire_on_commit=False) as session:
        return [RankedRow(p, a, s) for p, a, s in session.exec(ranked_statement(f)).all()]


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
