"""SQLModel tables. Datetimes are stored as UTC and always come back timezone-aware."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Naive-UTC storage (SQLite has no time zones), aware UTC in Python."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware value")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _dt(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=sa.Column(UTCDateTime(), nullable=nullable, index=index))


def _json(default: Any = None) -> Any:
    factory = (
        (lambda: list(default)) if isinstance(default, list) else (lambda: dict(default or {}))
    )
    return Field(default_factory=factory, sa_column=sa.Column(sa.JSON, nullable=False))


def _text() -> Any:
    return Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))


def _bigint() -> Any:
    return Field(default=None, sa_column=sa.Column(sa.BigInteger, nullable=True))


# Postings whose dedupe fingerprint or links are out of date: new (never fingerprinted),
# changed content, or opened/closed since they were linked. A partial index on it keeps
# "what needs relinking" a seek over a handful of rows; store.dedupe queries this exact
# text so SQLite and PostgreSQL match the query to the index.
DEDUPE_STALE_SQL = (
    "dedupe_hash IS NULL OR dedupe_hash <> content_hash OR dedupe_closed <> (closed_at IS NOT NULL)"
)
DEDUPE_KEY_COLUMNS = (
    "dedupe_url",
    "dedupe_apply",
    "dedupe_title",
    "dedupe_band0",
    "dedupe_band1",
    "dedupe_band2",
    "dedupe_band3",
)


def _partial(name: str, column: str, where: str) -> sa.Index:
    return sa.Index(name, column, sqlite_where=sa.text(where), postgresql_where=sa.text(where))


class Posting(SQLModel, table=True):
    __table_args__ = (
        sa.UniqueConstraint("source_kind", "board", "external_id", name="uq_posting_source"),
        # Covering index of (id, content hash): "what needs re-analysis / re-scoring" is
        # answered from indexes alone, without reading the rows' descriptions.
        sa.Index("ix_posting_id_hash", "id", "content_hash"),
        _partial("ix_posting_dedupe_stale", "id", DEDUPE_STALE_SQL),
        # Duplicate candidates by key; partial, so unfingerprinted rows cost upserts nothing.
        *(_partial(f"ix_posting_{c}", c, f"{c} IS NOT NULL") for c in DEDUPE_KEY_COLUMNS),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_kind: str = Field(index=True)
    board: str
    external_id: str
    source_name: str | None = None
    url: str | None = Field(default=None, index=True)
    apply_url: str | None = None
    title: str
    company: str | None = Field(default=None, index=True)
    locations: list[str] = _json([])
    workplace_type: str | None = None
    employment_type: str | None = None
    description_html: str | None = _text()
    description_text: str | None = _text()
    posted_at: datetime | None = _dt(index=True)
    deadline: date | None = None
    salary_min: float | None = None
    salary_max: float | None = None
    salary_currency: str | None = None
    salary_text: str | None = None
    department: str | None = None
    terms: list[str] = _json([])
    sector_hint: str | None = None
    raw: dict[str, Any] = _json({})
    content_hash: str
    first_seen: datetime | None = _dt(nullable=False)
    last_seen: datetime | None = _dt(nullable=False)
    updated_at: datetime | None = _dt(nullable=False)  # last content change
    closed_at: datetime | None = _dt(index=True)
    # Which upsert call inserted / last changed the row: how a write tells new,
    # updated and unchanged rows apart without reading first.
    first_write: str = Field(default="", max_length=32)
    change_write: str = Field(default="", max_length=32)
    # Cross-source duplicates point at the posting that stands for them (never deleted).
    duplicate_of: int | None = Field(default=None, index=True)
    duplicate_reason: str | None = None
    # Dedupe fingerprint (store/dedupe.py), filled lazily by `link_duplicates` so that
    # unchanged postings are never re-read or re-hashed. Keys are signed 64-bit hashes
    # scoped by the employer block; NULL keys mean "no employer" (never linked).
    dedupe_hash: str | None = Field(default=None, max_length=64)  # content_hash it is for
    dedupe_closed: bool | None = None  # closed state the links were computed with
    dedupe_text_len: int | None = None  # description length: any text / long enough to compare
    dedupe_simhash: int | None = _bigint()  # NULL: text too short for a text match
    dedupe_url: int | None = _bigint()  # canonical URL
    dedupe_apply: int | None = _bigint()  # canonical apply URL (same key space as dedupe_url)
    dedupe_title: int | None = _bigint()  # normalised title|location
    dedupe_band0: int | None = _bigint()  # the four 16-bit SimHash bands
    dedupe_band1: int | None = _bigint()
    dedupe_band2: int | None = _bigint()
    dedupe_band3: int | None = _bigint()


class Source(SQLModel, table=True):
    name: str = Field(primary_key=True)
    kind: str
    board: str
    sector_hint: str | None = None
    base_url: str | None = None
    last_crawl_at: datetime | None = _dt()
    last_status: str | None = None
    last_error: str | None = _text()


class CrawlRun(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    source_name: str = Field(index=True)
    source_kind: str
    board: str
    started_at: datetime | None = _dt(nullable=False)
    finished_at: datetime | None = _dt()
    status: str  # "ok" | "failed"
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    closed: int = 0
    rejected: int = 0
    errors: int = 0
    error: str | None = _text()


class FailedPage(SQLModel, table=True):
    """A page that still failed after retries; the next crawl of its source retries it."""

    __table_args__ = (sa.UniqueConstraint("source_name", "url", name="uq_failed_page"),)

    id: int | None = Field(default=None, primary_key=True)
    source_name: str = Field(index=True)
    url: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    kind: str  # listing | detail | page | robots
    reason: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    attempts: int = 1
    first_failed_at: datetime | None = _dt(nullable=False)
    last_failed_at: datetime | None = _dt(nullable=False)
    resolved_at: datetime | None = _dt()


class Analysis(SQLModel, table=True):
    """The matcher's classification of one posting at one content hash and model version."""

    posting_id: int = Field(primary_key=True, foreign_key="posting.id", ondelete="CASCADE")
    posting_hash: str
    model_version: str
    is_internship: bool = Field(index=True)
    internship_evidence: str | None = None
    sector: str = Field(index=True)
    sector_scores: dict[str, float] = _json({})
    role: str
    skills: list[str] = _json([])
    seniority: str | None = None
    years_required: int | None = None
    required_skills: list[str] = _json([])
    preferred_skills: list[str] = _json([])
    entry_level_evidence: str | None = None  # why a full-time role is open to new graduates


class Profile(SQLModel, table=True):
    name: str = Field(primary_key=True)
    email: str | None = None
    spec: dict[str, Any] = _json({})
    spec_hash: str
    updated_at: datetime | None = _dt(nullable=False)


class Score(SQLModel, table=True):
    __table_args__ = (
        sa.UniqueConstraint("profile_name", "posting_id", name="uq_score"),
        # A profile's ranking read in order (best first, posting id breaking ties), so a
        # ranked page stops after `limit` matching rows instead of sorting every score.
        sa.Index("ix_score_rank", "profile_name", sa.text("score DESC"), "posting_id"),
        # "Are this profile's scores current?" from indexes: one pass over (posting, hash)
        # pairs, and a few seeks for another spec, fit or age.
        sa.Index("ix_score_hash", "profile_name", "posting_id", "posting_hash"),
        sa.Index("ix_score_state", "profile_name", "profile_hash", "model_version", "computed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    profile_name: str = Field(index=True)
    posting_id: int = Field(foreign_key="posting.id", ondelete="CASCADE")
    score: float = Field(index=True)
    parts: dict[str, float] = _json({})
    reasons: list[str] = _json([])
    matched_skills: list[str] = _json([])
    missing_skills: list[str] = _json([])
    posting_hash: str
    profile_hash: str
    model_version: str
    computed_at: datetime | None = _dt(nullable=False)


class ModelState(SQLModel, table=True):
    """A fitted model persisted in the database, so SQLite and PostgreSQL behave alike."""

    name: str = Field(primary_key=True)
    version: str
    fit_id: str  # new for every fit, so a refit invalidates what the old fit scored
    library_version: str
    blob: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    fitted_at: datetime | None = _dt(nullable=False)


class ChangeStamp(SQLModel, table=True):
    """Change counters and the checkpoints of complete passes (see store/stamps.py)."""

    name: str = Field(primary_key=True)
    value: int = 0
    key: str = ""


class DigestRun(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("profile_name", "period_key", name="uq_digest_period"),)

    id: int | None = Field(default=None, primary_key=True)
    profile_name: str = Field(index=True)
    period_key: str
    created_at: datetime | None = _dt(nullable=False)
    sent_at: datetime | None = _dt()
    status: str  # "claimed" | "sent" | "failed"
    item_count: int = 0
    delivery: dict[str, Any] = _json({})
    error: str | None = _text()


class DigestItem(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("profile_name", "posting_id", name="uq_digest_item"),)

    id: int | None = Field(default=None, primary_key=True)
    digest_id: int = Field(foreign_key="digestrun.id", ondelete="CASCADE", index=True)
    profile_name: str
    posting_id: int = Field(foreign_key="posting.id", ondelete="CASCADE")
    rank: int
    score: float
