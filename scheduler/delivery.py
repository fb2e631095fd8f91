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

Secrets: the SMTP password is read from the environment (or the config), never logged,
never stored in the database, and hidden from the settings' ``repr``.

Configuration (the ``[delivery]`` table, validated by ``delivery_settings_from_dict``)::

    [delivery]
    out_dir = "digests"            # files channel: HTML + Markdown + PNG (relative: to the config)
    feed_dir = "feeds"             # Atom channel: {feed_dir}/{profile}.atom
    feed_url = "https://example.org/feeds"   # optional: public base URL of feed_dir (rel=self)
    per_company_cap = 3            # at most this many postings per employer per digest (0: no cap)
    max_items = 50                 # at most this many postings per digest
    closing_soon_days = 7          # "Closing soon": deadlines within this many days
    feed_max_entries = 200         # entries kept in each feed, newest first
    max_attempts = 3               # e-mail tries per delivery
    backoff_seconds = 5.0          # wait before the 2nd try; doubles after each failure

    [delivery.smtp]
    host = "smtp.example.org"      # required
    port = 587                     # default: 587 starttls, 465 ssl, 25 none
    security = "starttls"          # "starttls" | "ssl" | "none"
    user = "ana@example.org"       # optional: log in only when set
    password_env = "INTERNSCOUT_SMTP_PASSWORD"   # default; or `password = "..."` (not both)
    from = "InternScout <ana@example.org>"       # or `sender`; default: user, if an address
    timeout = 30                   # seconds per SMTP operation
"""

from __future__ import annotations

import contextlib
import html
import logging
import os
import smtplib
import socket
import ssl
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

import store
from scheduler.digest import (
    DEFAULT_CLOSING_SOON_DAYS,
    DEFAULT_MAX_ITEMS,
    DEFAULT_PER_COMPANY_CAP,
    SECTOR_TITLES,
    Digest,
    DigestOutcome,
    _slug,
    build_digest,
    render_chart,
    render_html,
    render_markdown,
)

log = logging.getLogger(__name__)

CHANNELS = ("files", "feed", "email")  # the order they run in: local first, e-mail last
SECURITY_MODES = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
DEFAULT_PASSWORD_ENV = "INTERNSCOUT_SMTP_PASSWORD"
DEFAULT_FEED_MAX_ENTRIES = 200
ATOM_NS = "http://www.w3.org/2005/Atom"
_A = f"{{{ATOM_NS}}}"
# uuid5 namespace for feed and entry ids: the same profile and posting give the same id forever.
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/internscout/internscout/feeds")


class DeliveryConfigError(ValueError):
    """A channel asked for but not set up (no SMTP table, profile without e-mail, ...).

    Raised before anything is claimed: nothing is recorded, nothing to retry."""


class DeliveryError(Exception):
    """A channel failed; `permanent` when trying again unchanged would fail the same way."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    security: str = "starttls"  # "starttls" | "ssl" | "none"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = ""  # the From header, e.g. "InternScout <ana@example.org>"
    timeout: float = 30.0
    password_env: str | None = None  # where the password was to come from (for messages)


@dataclass(frozen=True)
class DeliverySettings:
    smtp: SmtpSettings | None = None
    out_dir: Path | None = None
    feed_dir: Path | None = None
    max_attempts: int = 3
    backoff_seconds: float = 5.0
    per_company_cap: int | None = DEFAULT_PER_COMPANY_CAP
    max_items: int = DEFAULT_MAX_ITEMS
    closing_soon_days: int = DEFAULT_CLOSING_SOON_DAYS
    feed_max_entries: int = DEFAULT_FEED_MAX_ENTRIES
    feed_url: str | None = None  # public base URL of feed_dir, for the feed's rel="self" link

    @property
    def configured_channels(self) -> frozenset[str]:
        chosen = set()
        if self.smtp is not None:
            chosen.add("email")
        if self.out_dir is not None:
            chosen.add("files")
        if self.feed_dir is not None:
            chosen.add("feed")
        return frozenset(chosen)


@dataclass(frozen=True)
class ProfileInfo:
    name: str
    email: str | None = None
    send_empty: bool = False  # send a digest even when nothing is new
    skills: tuple[str, ...] = ()  # the profile's own skills, for the chart's colours


# -- configuration ---------------------------------------------------------------------------

_DELIVERY_KEYS = (
    "smtp",
    "out_dir",
    "feed_dir",
    "feed_url",
    "per_company_cap",
    "max_items",
    "closing_soon_days",
    "feed_max_entries",
    "max_attempts",
    "backoff_seconds",
)
_SMTP_KEYS = (
    "host",
    "port",
    "security",
    "user",
    "password",
    "password_env",
    "from",
    "sender",
    "timeout",
)


def delivery_settings_from_dict(
    data: Mapping[str, Any],
    where: str,
    env: Mapping[str, str],
    *,
    base: Path | None = None,
) -> DeliverySettings:
    """Validate a `[delivery]` table (see the module docstring); ValueError "where.field: ...".

    `where` names the table, e.g. "config.toml: delivery"; `env` supplies the SMTP password
    (`password_env`); relative `out_dir` / `feed_dir` are resolved against `base` when given.
    A password missing from the environment is not an error here (most commands never send
    mail): `deliver_digest` reports it when e-mail is asked for.
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"{where}: expected a table ([delivery])")
    _no_unknown(data, _DELIVERY_KEYS, where)
    smtp = None
    if "smtp" in data:
        if not isinstance(data["smtp"], Mapping):
            raise ValueError(f"{where}.smtp: expected a table ([delivery.smtp])")
        smtp = _smtp_settings(data["smtp"], f"{where}.smtp", env)
    feed_url = _opt_str(data, "feed_url", where)
    if feed_url and not feed_url.startswith(("http://", "https://")):
        raise ValueError(f"{where}.feed_url: expected an http(s) URL, got {feed_url!r}")
    cap = _int(data, "per_company_cap", where, DEFAULT_PER_COMPANY_CAP, minimum=0)
    return DeliverySettings(
        smtp=smtp,
        out_dir=_opt_path(data, "out_dir", where, base),
        feed_dir=_opt_path(data, "feed_dir", where, base),
        max_attempts=_int(data, "max_attempts", where, 3, minimum=1),
        backoff_seconds=_number(data, "backoff_seconds", where, 5.0, minimum=0.0),
        per_company_cap=cap or None,
        max_items=_int(data, "max_items", where, DEFAULT_MAX_ITEMS, minimum=1),
        closing_soon_days=_int(
            data, "closing_soon_days", where, DEFAULT_CLOSING_SOON_DAYS, minimum=0
        ),
        feed_max_entries=_int(data, "feed_max_entries", where, DEFAULT_FEED_MAX_ENTRIES, minimum=1),
        feed_url=feed_url.rstrip("/") if feed_url else None,
    )


def _smtp_settings(data: Mapping[str, Any], where: str, env: Mapping[str, str]) -> SmtpSettings:
    _no_unknown(data, _SMTP_KEYS, where)
    host = _opt_str(data, "host", where)
    if host is None:
        raise ValueError(f"{where}.host: required (the SMTP server's name)")
    security = (_opt_str(data, "security", where) or "starttls").lower()
    if security not in SECURITY_MODES:
        raise ValueError(
            f"{where}.security: {security!r} is not one of {', '.join(SECURITY_MODES)}"
        )
    port = _int(data, "port", where, DEFAULT_PORTS[security], minimum=1)
    if port > 65535:
        raise ValueError(f"{where}.port: expected a port number (1-65535), got {port}")
    user = _opt_str(data, "user", where)
    if "password" in data and "password_env" in data:
        raise ValueError(f"{where}.password: give password or password_env, not both")
    password_env: str | None = None
    if "password" in data:
        password = data["password"]
        if not isinstance(password, str) or not password:
            raise ValueError(f"{where}.password: expected a non-empty string")
    else:
        password_env = _opt_str(data, "password_env", where) or DEFAULT_PASSWORD_ENV
        password = env.get(password_env) or None
    if user is None and "password" in data:
        raise ValueError(f"{where}.password: a password needs a user to log in with")
    if "from" in data and "sender" in data:
        raise ValueError(f"{where}.from: give from or sender, not both")
    key = "from" if "from" in data else "sender"
    sender = _opt_str(data, key, where)
    if sender is None:
        if user and "@" in parseaddr(user)[1]:
            sender = user
        else:
            raise ValueError(f"{where}.from: required (the From address, e.g. you@example.org)")
    if "@" not in parseaddr(sender)[1] or any(c in sender for c in "\r\n"):
        raise ValueError(f"{where}.{key}: {sender!r} is not an e-mail address")
    return SmtpSettings(
        host=host,
        port=port,
        security=security,
        user=user,
        password=password,
        sender=sender,
        timeout=_number(data, "timeout", where, 30.0, minimum=0.001),
        password_env=password_env if user else None,
    )


def _no_unknown(data: Mapping[str, Any], known: Sequence[str], where: str) -> None:
    for key in data:
        if key not in known:
            raise ValueError(f"{where}.{key}: unknown setting (known: {', '.join(known)})")


def _opt_str(data: Mapping[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}.{key}: expected a non-empty string")
    return value.strip()


def _opt_path(data: Mapping[str, Any], key: str, where: str, base: Path | None) -> Path | None:
    text = _opt_str(data, key, where)
    if text is None:
        return None
    path = Path(text).expanduser()
    return base / path if base is not None and not path.is_absolute() else path


def _int(data: Mapping[str, Any], key: str, where: str, default: int, minimum: int) -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{where}.{key}: expected a whole number of at least {minimum}")
    return value


def _number(data: Mapping[str, Any], key: str, where: str, default: float, minimum: float) -> float:
    value = data.get(key, default)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{where}.{key}: expected a number of at least {minimum:g}")
    return float(value)


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
                digest, profile.email, settings.smtp, chart, _message_id(digest_id, period_key)
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
        return f"digest-{_slug(profile_name)}-{now.strftime('%Y%m%d-%H%M%S')}"
    return f"digest-{_slug(profile_name)}-{_slug(period_key)}"


def _utc(now: datetime) -> datetime:
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


# -- files ------------------------------------------------------------------------------------


def _atomic_write(path: Path, data: bytes) -> None:
    """Write via a temporary file in the same folder and rename: readers never see half.

    The file gets the mode of the one it replaces, else 0644 (readable by a web server
    publishing the feed; mkstemp alone would leave 0600)."""
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_files(digest: Digest, out_dir: Path, stem: str, chart: bytes | None) -> list[Path]:
    """`{stem}.html`, `{stem}.md` and, with a chart, `{stem}-skills.png`: html and md first."""
    out_dir.mkdir(parents=True, exist_ok=True)
    png_path = out_dir / f"{stem}-skills.png"
    chart_src = png_path.name if chart else None
    html_path = out_dir / f"{stem}.html"
    md_path = out_dir / f"{stem}.md"
    _atomic_write(html_path, render_html(digest, chart_src).encode("utf-8"))
    _atomic_write(md_path, render_markdown(digest, chart_src).encode("utf-8"))
    paths = [html_path, md_path]
    if chart:
        _atomic_write(png_path, chart)
        paths.append(png_path)
    return paths


# -- e-mail -----------------------------------------------------------------------------------


def _domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    return address.rpartition("@")[2] or "internscout.invalid"


def _message_id(digest_id: int, period_key: str) -> str:
    # Stable across retries of one digest: a receiver that got a copy can drop the repeat.
    return f"digest.{digest_id}.{_slug(period_key)}"


def build_email(
    digest: Digest, to: str, smtp: SmtpSettings, chart: bytes | None, message_id: str
) -> EmailMessage:
    """multipart/alternative: text/plain (the Markdown), then multipart/related (the HTML and
    the chart as an inline image/png whose Content-ID the HTML's <img src="cid:..."> names)."""
    domain = _domain(smtp.sender)
    cid = f"skills-chart.{message_id}@{domain}"
    msg = EmailMessage()
    msg["Subject"] = digest.subject
    msg["From"] = smtp.sender
    msg["To"] = to
    msg["Date"] = format_datetime(_utc(digest.generated_at))
    msg["Message-ID"] = f"<{message_id}@{domain}>"
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(render_markdown(digest, None))
    msg.add_alternative(render_html(digest, f"cid:{cid}" if chart else None), subtype="html")
    if chart:
        html_part = msg.get_payload()[1]  # type: ignore[index]
        html_part.add_related(
            chart, "image", "png", cid=f"<{cid}>", disposition="inline", filename="skills.png"
        )
    return msg


def _tls_context() -> ssl.SSLContext:
    """The system's trusted CAs, certificate and host name checked (tests swap in their CA)."""
    return ssl.create_default_context()


def send_email(msg: EmailMessage, smtp: SmtpSettings) -> None:
    """One SMTP session: connect (TLS for "ssl"), STARTTLS when asked (never silently
    skipped), log in only when a user is set, send."""
    context = _tls_context()
    client: smtplib.SMTP
    if smtp.security == "ssl":
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    with client:
        client.ehlo()
        if smtp.security == "starttls":
            client.starttls(context=context)
            client.ehlo()
        if smtp.user:
            client.login(smtp.user, smtp.password or "")
        client.send_message(msg)


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(text.split())}".strip()


def classify_smtp_error(exc: BaseException, host: str = "", port: int = 0) -> tuple[str, bool]:
    """(a message naming no secret, permanent?) for an exception from `send_email`."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"SMTP login refused ({_reply(exc.smtp_code, exc.smtp_error)})", True
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"SMTP server does not support it: {exc}", True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        text = "; ".join(f"{r}: {_reply(c, m)}" for r, (c, m) in exc.recipients.items())
        return f"recipient refused ({text})", all(c >= 500 for c in codes)
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"sender {exc.sender} refused ({_reply(exc.smtp_code, exc.smtp_error)})", (
            exc.smtp_code >= 500
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"SMTP error ({_reply(exc.smtp_code, exc.smtp_error)})", exc.smtp_code >= 500
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"SMTP server {host}:{port} closed the connection ({exc})", False
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate of {host}:{port} not trusted ({exc.verify_message})", True
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return f"SMTP server {host}:{port} timed out", False
    if isinstance(exc, ConnectionError | socket.gaierror):
        reason = exc.strerror or str(exc)
        return f"cannot connect to SMTP server {host}:{port} ({reason})", False
    if isinstance(exc, OSError):
        return f"SMTP connection to {host}:{port} failed ({exc.strerror or exc})", False
    return f"SMTP failure ({type(exc).__name__}: {exc})", False


def send_with_retry(
    send: Callable[[], None],
    max_attempts: int,
    backoff_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
    what: str = "e-mail",
    classify: Callable[[BaseException], tuple[str, bool]] | None = None,
) -> int:
    """Call `send` until it succeeds (returns the attempt count) or a DeliveryError is raised:
    after a permanent failure, or after `max_attempts` transient ones, waiting
    backoff × 2^(n-1) seconds after the n-th."""
    classify = classify or classify_smtp_error
    attempts = max(1, max_attempts)
    for attempt in range(1, attempts + 1):
        try:
            send()
            return attempt
        except (smtplib.SMTPException, OSError) as exc:
            text, permanent = classify(exc)
            log.warning("%s: attempt %d of %d failed: %s", what, attempt, attempts, text)
            if permanent or attempt == attempts:
                tries = f"{attempt} attempt{'' if attempt == 1 else 's'}"
                raise DeliveryError(f"{what}: {text} after {tries}", permanent) from exc
            sleep(backoff_seconds * 2 ** (attempt - 1))
    raise AssertionError("unreachable")


# -- Atom feed --------------------------------------------------------------------------------


def feed_path(feed_dir: Path, profile_name: str) -> Path:
    return feed_dir / f"{_slug(profile_name)}.atom"


def feed_id(profile_name: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, 'feed/' + profile_name)}"


def entry_id(profile_name: str, posting_key: str) -> str:
    """Stable per (profile, posting): a retried or repeated write replaces, never duplicates."""
    return f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, f'entry/{profile_name}/{posting_key}')}"


def _rfc3339(when: datetime) -> str:
    return _utc(when).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    # Unqualified tags, the Atom namespace declared once on <feed> as the default: plain
    # `<entry>` markup with no ns0: prefixes and no global namespace registration.
    el = ET.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = text
    return el


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Serialise read-modify-write of one feed between processes (POSIX; elsewhere a no-op)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(path.with_name(path.name + ".lock"), "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _entry(digest: Digest, item: Any, stamp: str, published: str | None) -> ET.Element:
    entry = ET.Element("entry")
    _sub(entry, "id", entry_id(digest.profile_name, item.source_key or f"id:{item.posting_id}"))
    _sub(entry, "title", f"{item.title} — {item.company}")
    _sub(entry, "updated", stamp)
    _sub(entry, "published", published or stamp)
    if item.url:
        _sub(entry, "link", rel="alternate", type="text/html", href=item.url)
    _sub(entry, "category", term=item.sector, label=SECTOR_TITLES.get(item.sector, item.sector))
    facts = [item.company, item.location, f"score {item.score:.2f}"]
    if item.deadline:
        facts.append(f"apply by {item.deadline}")
    _sub(entry, "summary", " · ".join(facts))
    parts = [f"<p>{html.escape(' · '.join(facts))}</p>"]
    if item.matched_skills:
        parts.append(f"<p>You have: {html.escape(', '.join(item.matched_skills))}</p>")
    if item.missing_skills:
        parts.append(f"<p>To learn: {html.escape(', '.join(item.missing_skills))}</p>")
    if item.reasons:
        reasons = "".join(f"<li>{html.escape(r)}</li>" for r in item.reasons)
        parts.append(f"<ul>{reasons}</ul>")
    _sub(entry, "content", "".join(parts), type="html")
    return entry


def _unqualified(el: ET.Element) -> ET.Element:
    for node in el.iter():
        if isinstance(node.tag, str) and node.tag.startswith(_A):
            node.tag = node.tag[len(_A) :]
    return el


def update_feed(
    feed_dir: Path,
    digest: Digest,
    now: datetime,
    max_entries: int = DEFAULT_FEED_MAX_ENTRIES,
    feed_url: str | None = None,
) -> Path:
    """Add the digest's postings to `{feed_dir}/{profile}.atom` (Atom 1.0), newest first.

    One entry per delivered posting, its id stable per (profile, posting): an entry already in
    the feed (a retried delivery) is replaced in place of a duplicate. At most `max_entries`
    are kept. Written to a temporary file and renamed, so readers never see half a feed.
    """
    feed_dir.mkdir(parents=True, exist_ok=True)
    path = feed_path(feed_dir, digest.profile_name)
    stamp = _rfc3339(now)
    with _locked(path):
        old_entries: list[ET.Element] = []
        if path.exists():
            try:
                old_entries = ET.parse(path).getroot().findall(_A + "entry")
            except ET.ParseError as exc:
                log.warning("feed %s is not valid XML (%s): starting it again", path, exc)
        published: dict[str, str] = {}
        for el in old_entries:
            eid, pub = el.findtext(_A + "id"), el.findtext(_A + "published")
            if eid and pub:
                published[eid] = pub
        new_entries = []
        for item in digest.items:
            eid = entry_id(digest.profile_name, item.source_key or f"id:{item.posting_id}")
            new_entries.append(_entry(digest, item, stamp, published.get(eid)))
        new_ids = {e.findtext("id") for e in new_entries}
        kept = [_unqualified(e) for e in old_entries if e.findtext(_A + "id") not in new_ids]
        entries = (new_entries + kept)[:max_entries]

        feed = ET.Element("feed", {"xmlns": ATOM_NS})
        _sub(feed, "id", feed_id(digest.profile_name))
        _sub(feed, "title", f"InternScout: internships for {digest.profile_name}")
        _sub(feed, "subtitle", "New internship postings ranked for this profile")
        _sub(feed, "updated", stamp)
        self_href = f"{feed_url}/{path.name}" if feed_url else path.resolve().as_uri()
        _sub(feed, "link", rel="self", type="application/atom+xml", href=self_href)
        author = _sub(feed, "author")
        _sub(author, "name", "InternScout")
        _sub(feed, "generator", "InternScout")
        feed.extend(entries)
        ET.indent(feed)
        body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
        _atomic_write(path, body + b"\n")
    return path


__all__ = [
    "CHANNELS",
    "DeliveryConfigError",
    "DeliveryError",
    "DeliverySettings",
    "DigestOutcome",
    "ProfileInfo",
    "SmtpSettings",
    "build_email",
    "classify_smtp_error",
    "deliver_digest",
    "delivery_settings_from_dict",
    "entry_id",
    "feed_id",
    "feed_path",
    "send_email",
    "send_with_retry",
    "update_feed",
    "write_files",
]
