"""The job functions: crawl, rescore, deliver the digests, retry failed or abandoned digests.

Jobs (`scheduler.registry.job_specs`): fixed ids ``crawl:<n>``, ``rescore``,
``digest:<profile>`` and ``digest-retry``, all with ``coalesce=True``, ``max_instances=1`` and
``misfire_grace_time = misfire_grace_hours × 3600``, kept in a `SQLAlchemyJobStore`
(table ``apscheduler_jobs``) in the application's own database. Their functions are the
top-level callables below, with string arguments only (config path, database URL override,
source or profile names, the digest's crontab and zone), so they pickle into the job store;
each run rebuilds an `AppState` from the configuration (the file is parsed again only when
it has changed; the process keeps one engine per database and one `Service` per worker
thread; see `scheduler.runtime`). A scheduler process runs every job on its own config
(`set_process_config`), not on the path stored with the job, which is that of whichever
scheduler last reconciled a shared job store. A job never raises: failures are logged (and crawl failures recorded as
failed crawl runs), and the scheduler goes on. `max_instances=1` holds per process; across
processes the digest claim is what prevents a second delivery.

The `[schedule]` configuration is described in `scheduler.schedule`, crontab lines in
`scheduler.triggers`.

Digest period keys: a digest run addresses the period that starts at its trigger's latest
fire time at or before now, in the digest's zone, as ISO text (``2026-11-02T08:00:00-05:00``).
On the night clocks go back, a time in the repeated hour fires twice (two periods); a time
in the hour skipped in spring fires an hour later by the wall clock, once.
Two schedulers, or a catch-up run after downtime, compute the same key, and the claim in the
database (`store.claim_digest`: insert-or-nothing on (profile, period)) lets exactly one of
them deliver it. This is why digests take a crontab and not an interval: an interval has no
fixed phase shared by every scheduler.

Retries: a delivery that fails is recorded (`status = "failed"`); the ``digest-retry`` job
re-delivers it, and also retakes a claim left "claimed" for longer than
``claim_stale_minutes`` (its owner was killed), within the same period. Keep that window
longer than the slowest delivery (SMTP timeout × attempts + backoff): a claim whose owner
is merely slow would be delivered twice. Residual risk: a scheduler killed after the SMTP
server accepted a message but before the database recorded it sends that message again
when the claim is retaken; the repeat carries the same Message-ID (it derives from the
digest's row, one per profile and period), so it can be recognised and dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from scheduler.runtime import close_state, delivery_from_config, job_state, schedule_from_config
from scheduler.schedule import ScheduleSettings
from scheduler.triggers import cron_trigger, period_key

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from internscout.app import AppState

log = logging.getLogger("internscout.scheduler")


# -- the job functions -------------------------------------------------------------------------


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"clock returned a naive datetime {value!r}")
    return value.astimezone(UTC)


def crawl_job(
    config_path: str,
    db_url: str,
    *sources: str,
    clock: Callable[[], datetime] | None = None,
) -> dict[str, Any]:
    """Crawl `sources` (none: all) in a subprocess. Never raises: a crash or a crawl that
    would not stop is recorded as a failed crawl run for each source it left unrecorded."""
    import subprocess

    from crawlers.client import CrawlSubprocessError, run_crawl_subprocess

    label = ", ".join(sources) or "all sources"
    state = None
    try:
        import store

        state = job_state(config_path, db_url, clock)
        config = state.config()
        chosen = config.select_sources(list(sources) or None)
        if not chosen:
            log.warning("crawl %s: no sources configured: nothing to crawl", label)
            return {"status": "empty"}
        engine = state.engine()
        store.sync_sources(
            engine,
            [store.SourceIn(s.name, s.kind, s.board, s.sector, s.base_url) for s in chosen],
        )
        before = _last_crawl_run_id(engine)
        started = _utc(state.clock())
        log.info("crawl %s: starting (%d source(s))", label, len(chosen))
        try:
            entries = run_crawl_subprocess(
                config.database_url,
                [s.as_crawl_dict() for s in chosen],
                timeout=config.crawl_timeout,
                settings=config.crawl_settings,
                log_level="WARNING",
                stderr=subprocess.PIPE,
            )
        except CrawlSubprocessError as exc:
            reason = str(exc)
            if exc.stderr:
                reason += f": {exc.stderr.strip().splitlines()[-1][:500]}"
            recorded = _record_failed_crawl(engine, chosen, before, started, state, reason)
            log.error("crawl %s failed: %s (recorded for %s)", label, reason, recorded or "none")
            return {"status": "failed", "error": reason}
        failed = [e for e in entries if e.get("status") != "ok"]
        for entry in entries:
            if entry.get("status") == "ok":
                log.info(
                    "crawl %s: ok new=%s updated=%s closed=%s",
                    entry.get("name"),
                    entry.get("new"),
                    entry.get("updated"),
                    entry.get("closed"),
                )
            else:
                log.warning("crawl %s: failed: %s", entry.get("name"), entry.get("error"))
        return {"status": "failed" if failed and len(failed) == len(entries) else "ok",
                "sources": len(entries), "failed": len(failed)}  # fmt: skip
    except Exception:
        log.exception("crawl %s: the job failed", label)
        return {"status": "error"}
    finally:
        close_state(state)


def _last_crawl_run_id(engine: Engine) -> int:
    import sqlalchemy as sa

    from store import CrawlRun

    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.max(CrawlRun.__table__.c.id))).scalar() or 0)


def _record_failed_crawl(
    engine: Engine,
    chosen: Sequence[Any],
    before: int,
    started: datetime,
    state: AppState,
    reason: str,
) -> list[str]:
    """A failed run for each chosen source the crawl subprocess did not record itself."""
    import sqlalchemy as sa

    import store
    from store import CrawlRun

    table = CrawlRun.__table__
    with engine.connect() as conn:
        done = set(
            conn.execute(sa.select(table.c.source_name).where(table.c.id > before)).scalars()
        )
    finished = _utc(state.clock())
    recorded = []
    for source in chosen:
        if source.name in done:
            continue
        store.record_crawl_run(
            engine,
            store.CrawlRunIn(
                source_name=source.name,
                source_kind=source.kind,
                board=source.board,
                started_at=started,
                finished_at=finished,
                status="failed",
                errors=1,
                error=reason,
            ),
        )
        recorded.append(source.name)
    return recorded


def rescore_job(
    config_path: str, db_url: str, *, clock: Callable[[], datetime] | None = None
) -> dict[str, Any]:
    """Analyse new postings and rescore every profile. Never raises."""
    state = None
    try:
        state = job_state(config_path, db_url, clock)
        reports = state.rescore_all()
        scored = {name: r.scored for name, r in reports.items()}
        log.info("rescore: %d profile(s), %d score(s) updated", len(scored), sum(scored.values()))
        return {"status": "ok", "scored": scored}
    except Exception:
        log.exception("rescore: the job failed")
        return {"status": "error"}
    finally:
        close_state(state)


def digest_job(
    config_path: str,
    db_url: str,
    profile: str,
    cron: str,
    timezone: str,
    *,
    clock: Callable[[], datetime] | None = None,
) -> dict[str, Any]:
    """Deliver `profile`'s digest for the period now falls in (see "period keys"). Never
    raises; a failed delivery is recorded and left to the digest-retry job."""
    state = None
    try:
        state = job_state(config_path, db_url, clock)
        now = _utc(state.clock())
        key = period_key(cron_trigger(cron, timezone), now)
        if key is None:
            log.warning("digest %s: %r has never fired: no period to deliver", profile, cron)
            return {"status": "no-period"}
        config = state.config()
        return _deliver(state, profile, key, now, schedule_from_config(config))
    except Exception:
        log.exception("digest %s: the job failed", profile)
        return {"status": "error"}
    finally:
        close_state(state)


def digest_retry_job(
    config_path: str, db_url: str, *, clock: Callable[[], datetime] | None = None
) -> dict[str, Any]:
    """Re-deliver this period's digests that failed, or whose claim was abandoned (claimed
    more than `claim_stale_minutes` ago and never completed). Never raises."""
    results: dict[str, str] = {}
    state = None
    try:
        state = job_state(config_path, db_url, clock)
        now = _utc(state.clock())
        settings = schedule_from_config(state.config())
        if settings is None:
            return {"status": "ok", "retried": results}
        cutoff = now - timedelta(minutes=settings.claim_stale_minutes)
        engine = state.engine()
        for digest in settings.digests:
            try:
                key = period_key(digest.trigger.build(), now)
                if key is None:
                    continue
                row = _digest_row(engine, digest.profile, key)
                if row is None or row.status == "sent":
                    continue
                if row.status == "claimed":
                    if not release_abandoned_claim(engine, row.id, cutoff):
                        continue  # still being delivered (or just retaken by another)
                    log.warning(
                        "digest %s for %s: claim abandoned since %s: retrying",
                        key,
                        digest.profile,
                        row.created_at,
                    )
                outcome = _deliver(state, digest.profile, key, now, settings)
                results[digest.profile] = str(outcome.get("status"))
            except Exception:
                log.exception("digest-retry %s: failed", digest.profile)
                results[digest.profile] = "error"
        return {"status": "ok", "retried": results}
    except Exception:
        log.exception("digest-retry: the job failed")
        return {"status": "error", "retried": results}
    finally:
        close_state(state)


def _digest_row(engine: Engine, profile: str, key: str) -> Any:
    import sqlalchemy as sa

    from store import DigestRun

    table = DigestRun.__table__
    with engine.connect() as conn:
        return conn.execute(
            sa.select(table.c.id, table.c.status, table.c.created_at).where(
                table.c.profile_name == profile, table.c.period_key == key
            )
        ).first()


def release_abandoned_claim(engine: Engine, digest_id: int, cutoff: datetime) -> bool:
    """Mark a claim made before `cutoff` and never finished as failed, so the next
    `claim_digest` retakes it at once. Atomic: of several callers, only one succeeds."""
    import sqlalchemy as sa

    from store import DigestRun

    table = DigestRun.__table__
    with engine.begin() as conn:
        result = conn.execute(
            sa.update(table)
            .where(
                table.c.id == digest_id,
                table.c.status == "claimed",
                table.c.created_at < cutoff,
            )
            .values(status="failed", error="claim abandoned (its scheduler stopped)")
        )
        return bool(result.rowcount)


def _deliver(
    state: AppState,
    profile_name: str,
    key: str,
    now: datetime,
    settings: ScheduleSettings | None,
) -> dict[str, Any]:
    from internscout.app import RankOptions, rank_rows
    from scheduler.delivery import deliver_digest
    from scheduler.delivery_settings import ProfileInfo

    config = state.config()
    digest = settings.digest_for(profile_name) if settings is not None else None
    if digest is None:
        log.warning("digest %s: no longer in [schedule.digests]: skipped", profile_name)
        return {"status": "unscheduled"}
    profile = config.profile(profile_name)
    rows = rank_rows(state, RankOptions(profile=profile_name, limit=0, min_score=digest.min_score))
    outcome = deliver_digest(
        state.engine(),
        ProfileInfo(profile.name, profile.email, digest.send_empty, tuple(profile.skills)),
        rows,
        now,
        key,
        delivery_from_config(config),
        channels=digest.channels,
    )
    level = logging.WARNING if outcome.status == "failed" else logging.INFO
    log.log(level, "digest %s for %s: %s: %s", key, profile_name, outcome.status, outcome.message)
    return {"status": outcome.status, "period": key, "items": outcome.items}


__all__ = [
    "crawl_job",
    "digest_job",
    "digest_retry_job",
    "release_abandoned_claim",
    "rescore_job",
]
