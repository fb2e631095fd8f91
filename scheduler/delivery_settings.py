"""Delivery settings: the ``[delivery]`` table, its validation, and the errors a delivery
raises.

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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from scheduler.digest import (
    DEFAULT_CLOSING_SOON_DAYS,
    DEFAULT_MAX_ITEMS,
    DEFAULT_PER_COMPANY_CAP,
)

SECURITY_MODES = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
DEFAULT_PASSWORD_ENV = "INTERNSCOUT_SMTP_PASSWORD"
DEFAULT_FEED_MAX_ENTRIES = 200


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


# -- shared by the channels (e-mail Date header, feed timestamps) ---------------------------


def as_utc(now: datetime) -> datetime:
    """``now`` in UTC (a naive time is taken as UTC)."""
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


__all__ = [
    "DEFAULT_FEED_MAX_ENTRIES",
    "DEFAULT_PASSWORD_ENV",
    "DEFAULT_PORTS",
    "SECURITY_MODES",
    "DeliveryConfigError",
    "DeliveryError",
    "DeliverySettings",
    "ProfileInfo",
    "SmtpSettings",
    "as_utc",
    "delivery_settings_from_dict",
]
