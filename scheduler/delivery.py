"""Digest delivery: e-mail over SMTP, HTML/Markdown/PNG files in a folder, and an Atom feed.

One entry point, shared by the CLI and the scheduler::

    outcome = deliver_digest(engine, ProfileInfo("ana", "ana@example.org"), rows, now,
                             "daily-2026-11-30", settings)

It computes the digest (postings new since the profile's last *delivered* digest), claims
``(profile, period_key)`` in the database (insert-or-nothing: a second caller for the same
period gets ``status="taken"``), renders it, delivers it on each channel and then marks it
sent with its postings. Any delivery failure is recorded with ``store.fail_digest`` and the
digest is never marked sent, so the next call for the same period key retakes the claim and
sends it once. Channels run local-first (files, feed, then e-mail): the local writes are
idempotent (same file names for a period key, feed entries replaced by id), so retrying
after an SMTP failure repeats no e-mail and duplicates no feed entry.

E-mail: transient failures (connection refused or lost, timeouts, 4xx replies) are retried
``max_attempts`` times with exponential backoff (``backoff_seconds`` × 2^n, via the
injectable ``sleep``); permanent ones (5xx: authentication failed, recipient refused) stop
at once, since the same request would fail again; either way the failure is recorded and
left for the next scheduled attempt.

Settings, their validation and the delivery errors: `scheduler.delivery_settings`. The
channels: `scheduler.digest_files` (files), `scheduler.atom_feed` (Atom feed) and
`scheduler.mail` (e-mail).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

import store
from scheduler.atom_feed import update_feed
from scheduler.delivery_settings import (
    DeliveryConfigError,
    DeliveryError,
    DeliverySettings,
    ProfileInfo,
)
from scheduler.digest import (
    Digest,
    DigestOutcome,
    build_digest,
    file_slug,
    render_chart,
)
from scheduler.digest_files import write_files
from scheduler.mail import (
    build_email,
    classify_smtp_error,
    digest_message_id,
    send_email,
    send_with_retry,
)

log = logging.getLogger(__name__)

CHANNELS = ("files", "feed", "email")  # the order they run in: local first, e-mail last


# -- the entry point -------------------------------------------------------------------------


def deliver_digest(
    engine: Engine,
    profile: ProfileInfo,
    rows: Sequence[store.RankedRow],
    now: datetime,
    period_key: str,
    settings: DeliverySettings,
    channels: Collection[str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> DigestOutcome:
    """Compute, claim, render, deliver on each channel, then complete (or record the failure).

    `channels` is a subset of {"email", "files", "feed"}; None: every channel `settings`
    configures. `rows` are the profile's ranked open postings, best first (all of them: the
    digest leaves out those already delivered). Returns the outcome's `status`: "sent",
    "empty" (nothing new and the profile does not ask for empty digests: nothing claimed),
    "taken" (this period is already sent, or being sent by another caller) or "failed"
    (recorded; the next call for the same period retries). A channel asked for but not set
    up raises DeliveryConfigError (a ValueError) before anything is claimed.
    """
    chosen = _check_channels(
        settings.configured_channels if channels is None else channels, profile, settings
    )
    already = store.digested_posting_ids(engine, profile.name)
    digest = _build(profile, rows, already, now, settings)
    if not digest.items and not profile.send_empty:
        return DigestOutcome(None, 0, [], "no new postings since the last digest", status="empty")
    digest_id = store.claim_digest(engine, profile.name, period_key, now)
    if digest_id is None:
        return DigestOutcome(
            None, 0, [], f"digest {period_key} for {profile.name} is already taken", status="taken"
        )
    # Another period's digest may have been delivered between the first read and the claim.
    again = store.digested_posting_ids(engine, profile.name)
    if again != already:
        digest = _build(profile, rows, again, now, settings)
        if not digest.items and not profile.send_empty:
            store.complete_digest(
                engine, digest_id, profile.name, [], {"skipped": "nothing new"}, now
            )
            return DigestOutcome(
                digest_id, 0, [], "no new postings since the last digest", status="empty"
            )

    delivery: dict[str, Any] = {"channels": [c for c in CHANNELS if c in chosen]}
    paths: list[Path] = []
    try:
        chart = render_chart(digest)
        if "files" in chosen:
            assert settings.out_dir is not None
            paths = write_files(
                digest, settings.out_dir, _file_stem(profile.name, period_key, now), chart
            )
            delivery["files"] = [str(p) for p in paths]
        if "feed" in chosen:
            assert settings.feed_dir is not None
            feed = update_feed(
                settings.feed_dir,
                digest,
                now,
                max_entries=settings.feed_max_entries,
                feed_url=settings.feed_url,
            )
            delivery["feed"] = str(feed)
        if "email" in chosen:
            assert settings.smtp is not None and profile.email
            message = build_email(
                digest,
                profile.email,
                settings.smtp,
                chart,
                digest_message_id(digest_id, period_key),
            )
            smtp = settings.smtp
            attempts = send_with_retry(
                lambda: send_email(message, smtp),
                settings.max_attempts,
                settings.backoff_seconds,
                sleep,
                what=f"e-mail to {profile.email}",
                classify=lambda exc: classify_smtp_error(exc, smtp.host, smtp.port),
            )
            delivery["email"] = {
                "to": profile.email,
                "message_id": message["Message-ID"],
                "attempts": attempts,
            }
    except (DeliveryError, OSError) as exc:
        reason = _failure_text(exc, settings)
        store.fail_digest(engine, digest_id, reason)
        log.warning("digest %s for %s not delivered: %s", period_key, profile.name, reason)
        return DigestOutcome(
            digest_id,
            0,
            paths,
            f"not delivered: {reason}",
            status="failed",
            error=reason,
            delivery=delivery,
            exception=exc,
        )
    except BaseException as exc:
        # A bug, or an interrupt: record it so the claim is retried now, not in an hour.
        store.fail_digest(engine, digest_id, f"internal error: {type(exc).__name__}: {exc}")
        raise
    store.complete_digest(
        engine,
        digest_id,
        profile.name,
        [(i.posting_id, i.score) for i in digest.items],
        delivery,
        now,
    )
    n = digest.count
    message_text = f"{n} new posting{'' if n == 1 else 's'}" if n else "no new postings (sent)"
    log.info("digest %s for %s delivered: %s", period_key, profile.name, message_text)
    return DigestOutcome(digest_id, n, paths, message_text, status="sent", delivery=delivery)


def _build(
    profile: ProfileInfo,
    rows: Sequence[store.RankedRow],
    already: set[int],
    now: datetime,
    settings: DeliverySettings,
) -> Digest:
    return build_digest(
        profile.name,
        rows,
        already,
        now,
        max_items=settings.max_items,
        per_company_cap=settings.per_company_cap,
        closing_soon_days=settings.closing_soon_days,
        profile_skills=profile.skills,
    )


def _check_channels(
    channels: Collection[str], profile: ProfileInfo, settings: DeliverySettings
) -> frozenset[str]:
    chosen = frozenset(channels)
    unknown = sorted(chosen - set(CHANNELS))
    if unknown:
        raise DeliveryConfigError(
            f"unknown delivery channel(s) {', '.join(unknown)} (known: {', '.join(CHANNELS)})"
        )
    if not chosen:
        raise DeliveryConfigError(
            "no delivery channel: set [delivery] out_dir, feed_dir or [delivery.smtp]"
        )
    if "email" in chosen:
        smtp = settings.smtp
        if smtp is None:
            raise DeliveryConfigError(
                "e-mail delivery needs a [delivery.smtp] table (host, from) in the config"
            )
        address = (profile.email or "").strip()
        if not address:
            raise DeliveryConfigError(
                f'profile {profile.name!r} has no e-mail address: add email = "..." to its '
                "[[profiles]] table, or deliver to files or the feed only"
            )
        if "@" not in parseaddr(address)[1] or any(c in address for c in "\r\n"):
            raise DeliveryConfigError(
                f"profile {profile.name!r}: {address!r} is not an e-mail address"
            )
        if smtp.user and smtp.password is None:
            source = f"${smtp.password_env}" if smtp.password_env else "password"
            raise DeliveryConfigError(
                f"SMTP user {smtp.user!r} is set but no password was given: set {source}"
            )
    if "files" in chosen and settings.out_dir is None:
        raise DeliveryConfigError("file delivery needs [delivery] out_dir (or --out)")
    if "feed" in chosen and settings.feed_dir is None:
        raise DeliveryConfigError("feed delivery needs [delivery] feed_dir")
    return chosen


def _failure_text(exc: BaseException, settings: DeliverySettings) -> str:
    if isinstance(exc, DeliveryError):
        return str(exc)
    if isinstance(exc, OSError):
        where = exc.filename or settings.out_dir or settings.feed_dir
        return f"cannot write {where}: {exc.strerror or exc}"
    return str(exc)


def _file_stem(profile_name: str, period_key: str, now: datetime) -> str:
    """Scheduled periods reuse one name (a retry overwrites); manual runs are time-stamped."""
    if period_key.startswith("manual-"):
        return f"digest-{file_slug(profile_name)}-{now.strftime('%Y%m%d-%H%M%S')}"
    return f"digest-{file_slug(profile_name)}-{file_slug(period_key)}"


__all__ = [
    "CHANNELS",
    "DigestOutcome",
    "deliver_digest",
]
