"""Application state built once per command from the CLI's options: config, engine, service.

The store (SQLAlchemy), the service and the digest writer are imported when first used, so
that building the CLI (`--help`, argument errors) loads none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from internscout.config import AppConfig, load_config

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    import store
    from internscout.service import RefreshReport, Service
    from matcher import Taxonomy
    from scheduler.digest import DigestOutcome


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class AppState:
    config_path: Path | None = None
    db_url: str | None = None
    clock: Callable[[], datetime] = utc_now
    _config: AppConfig | None = field(default=None, repr=False)
    _engine: Engine | None = field(default=None, repr=False)
    _service: Service | None = field(default=None, repr=False)
    _taxonomy: Taxonomy | None = field(default=None, repr=False)
    # Worker processes for big classify/score batches; off where threads run (the scheduler).
    parallel: bool = True

    def config(self) -> AppConfig:
        if self._config is None:
            self._config = load_config(self.config_path, self.db_url)
        return self._config

    def engine(self) -> Engine:
        if self._engine is None:
            import store

            self._engine = store.make_engine(self.config().database_url)
        return self._engine

    def taxonomy(self) -> Taxonomy:
        """The packaged taxonomy, extended by the config's `scoring.taxonomy` files."""
        if self._taxonomy is None:
            from internscout.config import check_profile_roles
            from matcher import load_taxonomy

            config = self.config()
            files = config.taxonomy_files
            taxonomy = load_taxonomy(extra=files) if files else load_taxonomy()
            check_profile_roles(config, {k: r.label for k, r in taxonomy.roles.items()})
            self._taxonomy = taxonomy
        return self._taxonomy

    def service(self) -> Service:
        if self._service is None:
            from internscout.service import Service

            config = self.config()
            self._service = Service(
                self.engine(),
                self.clock,
                weights=config.weights,
                taxonomy=self.taxonomy(),
                workers=config.workers if self.parallel else None,
            )
        return self._service

    def crawl(
        self,
        names: list[str] | None,
        timeout: float | None = None,
        log_level: str = "WARNING",
        on_progress: Callable[[dict[str, Any]], None] | None = None,
    ) -> list[dict[str, Any]]:
        import store
        from crawlers.run import run_crawl_subprocess

        config = self.config()
        chosen = config.select_sources(names)
        if not chosen:
            raise ValueError("no sources configured: add [[sources]] tables to the config")
        engine = self.engine()
        store.sync_sources(
            engine,
            [store.SourceIn(s.name, s.kind, s.board, s.sector, s.base_url) for s in chosen],
        )
        return run_crawl_subprocess(
            config.database_url,
            [s.as_crawl_dict() for s in chosen],
            timeout=timeout or config.crawl_timeout,
            settings=config.crawl_settings,
            log_level=log_level,
            on_progress=on_progress,
        )

    def refresh_scores(self, profile: str | None, full: bool = False) -> RefreshReport:
        service = self.service()
        if profile is None:
            return service.score_guide(full=full)
        return service.score_configured(self.config().profile(profile), full=full)

    def rescore_all(self, full: bool = False) -> dict[str, RefreshReport]:
        from internscout.service import profile_spec

        service = self.service()
        items = [(service.guide_spec(), None)]
        items += [(profile_spec(p), p.email) for p in self.config().profiles]
        return service.score_profiles(items, full=full)

    def send_digest(self, profile: str) -> DigestOutcome:
        """On demand, through the scheduler's delivery path (claim, channels, complete)."""
        from scheduler.delivery import deliver_digest
        from scheduler.delivery_settings import ProfileInfo
        from scheduler.runtime import delivery_from_config

        config = self.config()
        prof = config.profile(profile)
        rows = rank_rows(self, RankOptions(profile=profile, limit=0, min_score=0.05))
        now = self.clock()
        return deliver_digest(
            self.engine(),
            ProfileInfo(prof.name, prof.email, False, tuple(prof.skills)),
            rows,
            now,
            f"manual-{now.strftime('%Y%m%dT%H%M%S%f')}",
            delivery_from_config(config),
        )

    def write_digest(self, profile: str, out: Path | None) -> DigestOutcome:
        from scheduler.digest import write_digest

        rows = rank_rows(self, RankOptions(profile=profile, limit=0, min_score=0.05))
        return write_digest(
            self.engine(), profile, rows, out or self.config().digest_dir, self.clock()
        )


@dataclass
class RankOptions:
    profile: str | None = None
    sectors: list[str] = field(default_factory=list)
    location: str | None = None
    remote: bool = False
    since: str | None = None
    min_score: float | None = None
    include_all: bool = False
    limit: int = 20


def rank_rows(state: AppState, opts: RankOptions) -> list[store.RankedRow]:
    import store
    from internscout.config import SECTORS
    from internscout.service import GUIDE_PROFILE, since_cutoff

    bad = [s for s in opts.sectors if s not in SECTORS]
    if bad:
        raise ValueError(f"--sector {', '.join(bad)}: use one of {', '.join(SECTORS)}")
    if opts.limit < 0:
        raise ValueError("--limit must be 0 (no limit) or more")
    state.refresh_scores(opts.profile)
    entry_level = bool(opts.profile) and state.config().profile(opts.profile).entry_level
    now = state.clock()
    flt = store.RankFilter(
        profile_name=opts.profile or GUIDE_PROFILE,
        sectors=opts.sectors,
        location=opts.location,
        remote_only=opts.remote,
        since=since_cutoff(now, opts.since) if opts.since else None,
        min_score=opts.min_score,
        internships_only=not opts.include_all,
        entry_level_too=entry_level,
        open_only=True,
        today=now.date(),
        limit=opts.limit or None,
    )
    return store.ranked(state.engine(), flt)


def rows_to_dicts(state: AppState, rows: list[store.RankedRow]) -> list[dict[str, Any]]:
    import store

    dupes = store.duplicate_listings(state.engine(), [r.posting.id for r in rows if r.posting.id])
    return [row_to_dict(r, dupes.get(r.posting.id or -1, [])) for r in rows]


def row_to_dict(row: store.RankedRow, also: list[store.Posting] | None = None) -> dict[str, Any]:
    from scheduler.digest import location_text

    p, a, s = row.posting, row.analysis, row.score
    return {
        "id": p.id,
        "title": p.title,
        "company": p.company,
        "url": p.url or p.apply_url,
        "apply_url": p.apply_url,
        "location": location_text(p),
        "locations": list(p.locations or []),
        "workplace_type": p.workplace_type,
        "sector": a.sector,
        "is_internship": a.is_internship,
        "entry_level": a.entry_level_evidence,  # why a full-time role is open to new grads
        "role": a.role,
        "score": round(s.score, 4),
        "score_parts": dict(s.parts or {}),
        "matched_skills": list(s.matched_skills or []),
        "missing_skills": list(s.missing_skills or []),
        "skills": list(a.skills or []),
        "reasons": list(s.reasons or []),
        "posted_at": p.posted_at.isoformat() if p.posted_at else None,
        "deadline": p.deadline.isoformat() if p.deadline else None,
        "source": f"{p.source_kind}/{p.board}",
        "also_listed": [
            {"source": f"{d.source_kind}/{d.board}", "url": d.url or d.apply_url}
            for d in also or []
        ],
    }
