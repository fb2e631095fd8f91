"""The `[schedule]` configuration: its settings and their validation.

Configuration (validated by `schedule_settings_from_dict`; every key is optional)::

    [schedule]
    timezone = "UTC"                # IANA zone for crons and intervals that name none
    misfire_grace_hours = 12        # a run missed by more than this is skipped, not caught up
    digest_retry_minutes = 15       # re-deliver failed/abandoned digests of the current period
                                    # every N minutes (0: off)
    claim_stale_minutes = 60        # a digest claimed longer ago than this, and never finished,
                                    # is taken to be abandoned (its scheduler died) and retried
    shutdown_grace_seconds = 30     # on SIGTERM/SIGINT, how long running jobs may finish

    [[schedule.crawl]]              # any number; job ids crawl:0, crawl:1, ... in this order
    interval = "6h"                 # "30m", "6h", "1d", "1w", "1h30m"; aligned to Monday
                                    # 2000-01-03 00:00 in the zone (6h: 00:00, 06:00, ...)
    # cron = "0 */6 * * *"          # or a 5-field crontab line (exactly one of the two)
    sources = []                    # source names; empty or absent: every source
    # timezone = "Europe/Paris"     # optional, per entry

    [schedule.rescore]              # optional: rescore every profile (cron or interval)
    cron = "30 5 * * *"

    [schedule.digests.ana]          # one table per profile name (a [[profiles]] name)
    cron = "0 8 * * mon-fri"        # required: digests need a crontab (see period keys below)
    timezone = "America/New_York"   # optional (default: schedule.timezone)
    send_empty = false              # send even when nothing is new
    channels = ["email", "files", "feed"]   # optional; default: every channel [delivery] sets up
    min_score = 0.05                # postings scoring below this are left out

The crontab lines and intervals are read by `scheduler.triggers`; the jobs the settings ask
for are defined in `scheduler.registry`, and run by the functions in `scheduler.jobs`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from scheduler.triggers import cron_trigger, interval_trigger, parse_interval, zone

if TYPE_CHECKING:
    from apscheduler.triggers.base import BaseTrigger

DIGEST_CHANNELS = ("email", "files", "feed")
DEFAULT_MIN_SCORE = 0.05

_SCHEDULE_KEYS = (
    "timezone",
    "misfire_grace_hours",
    "digest_retry_minutes",
    "claim_stale_minutes",
    "shutdown_grace_seconds",
    "crawl",
    "rescore",
    "digests",
)
_CRAWL_KEYS = ("sources", "cron", "interval", "timezone")
_RESCORE_KEYS = ("cron", "interval", "timezone")
_DIGEST_KEYS = ("cron", "timezone", "send_empty", "channels", "min_score")


# -- configuration ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TriggerSpec:
    """A crontab line or an interval, in a time zone."""

    cron: str | None = None
    interval: str | None = None
    timezone: str = "UTC"

    def build(self) -> BaseTrigger:
        if self.cron is not None:
            return cron_trigger(self.cron, self.timezone)
        assert self.interval is not None
        return interval_trigger(self.interval, self.timezone)

    def describe(self) -> str:
        if self.cron is not None:
            return f'cron "{self.cron}" ({self.timezone})'
        return f"every {self.interval} ({self.timezone})"


@dataclass(frozen=True)
class CrawlSchedule:
    index: int
    sources: tuple[str, ...]  # empty: every configured source
    trigger: TriggerSpec

    @property
    def job_id(self) -> str:
        return f"crawl:{self.index}"


@dataclass(frozen=True)
class DigestSchedule:
    profile: str
    cron: str
    timezone: str = "UTC"
    send_empty: bool = False
    channels: tuple[str, ...] | None = None  # None: every channel [delivery] sets up
    min_score: float = DEFAULT_MIN_SCORE

    @property
    def job_id(self) -> str:
        return f"digest:{self.profile}"

    @property
    def trigger(self) -> TriggerSpec:
        return TriggerSpec(cron=self.cron, timezone=self.timezone)


@dataclass(frozen=True)
class ScheduleSettings:
    timezone: str = "UTC"
    misfire_grace_hours: float = 12.0
    digest_retry_minutes: int = 15
    claim_stale_minutes: float = 60.0
    shutdown_grace_seconds: float = 30.0
    crawls: tuple[CrawlSchedule, ...] = ()
    rescore: TriggerSpec | None = None
    digests: tuple[DigestSchedule, ...] = field(default=())

    @property
    def misfire_grace_seconds(self) -> int:
        return max(1, round(self.misfire_grace_hours * 3600))

    def digest_for(self, profile: str) -> DigestSchedule | None:
        return next((d for d in self.digests if d.profile == profile), None)

    @property
    def empty(self) -> bool:
        return not (self.crawls or self.rescore or self.digests)


def _name_of(item: Any) -> str:
    return item if isinstance(item, str) else str(item.name)


def schedule_settings_from_dict(
    data: Mapping[str, Any],
    profiles: Sequence[Any],
    where: str,
    *,
    sources: Iterable[Any] | None = None,
) -> ScheduleSettings:
    """Validate a `[schedule]` table (see the module docstring).

    `profiles` are the configured profiles (objects with `.name`, or names); `sources`, when
    given, the configured sources (objects with `.name`, or names) that crawl entries may
    name. `where` names the table, e.g. "config.toml: schedule". Raises
    ValueError("where.field: message").
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"{where}: expected a table ([schedule])")
    _no_unknown(data, _SCHEDULE_KEYS, where)
    default_tz = _zone(data, "timezone", where, "UTC")
    grace = _number(data, "misfire_grace_hours", where, 12.0, minimum=0.0, exclusive=True)
    retry = _int(data, "digest_retry_minutes", where, 15, minimum=0)
    stale = _number(data, "claim_stale_minutes", where, 60.0, minimum=0.0, exclusive=True)
    shutdown = _number(data, "shutdown_grace_seconds", where, 30.0, minimum=0.0)

    known_sources = None if sources is None else [_name_of(s) for s in sources]
    raw_crawls = data.get("crawl", [])
    if isinstance(raw_crawls, Mapping):  # a single [schedule.crawl] table
        raw_crawls = [raw_crawls]
    if not isinstance(raw_crawls, list):
        raise ValueError(f"{where}.crawl: expected a list of tables ([[schedule.crawl]])")
    crawls = []
    for i, raw in enumerate(raw_crawls):
        at = f"{where}.crawl[{i}]"
        if not isinstance(raw, Mapping):
            raise ValueError(f"{at}: expected a table")
        _no_unknown(raw, _CRAWL_KEYS, at)
        names = _str_list(raw, "sources", at)
        if known_sources is not None:
            unknown = [n for n in names if n not in known_sources]
            if unknown:
                known = ", ".join(known_sources) or "none configured"
                raise ValueError(
                    f"{at}.sources: unknown source(s) {', '.join(unknown)} (sources: {known})"
                )
        crawls.append(CrawlSchedule(i, tuple(names), _trigger_spec(raw, at, default_tz)))

    rescore = None
    if "rescore" in data:
        raw = data["rescore"]
        if not isinstance(raw, Mapping):
            raise ValueError(f"{where}.rescore: expected a table ([schedule.rescore])")
        _no_unknown(raw, _RESCORE_KEYS, f"{where}.rescore")
        rescore = _trigger_spec(raw, f"{where}.rescore", default_tz)

    raw_digests = data.get("digests", {})
    if not isinstance(raw_digests, Mapping):
        raise ValueError(f"{where}.digests: expected tables ([schedule.digests.<profile>])")
    profile_names = [_name_of(p) for p in profiles]
    by_name = {_name_of(p): p for p in profiles}
    digests = []
    for name, raw in raw_digests.items():
        at = f"{where}.digests.{key_text(name)}"
        if name not in by_name:
            known = ", ".join(profile_names) or "none configured"
            raise ValueError(f"{at}: no profile named {name!r} (profiles: {known})")
        if not isinstance(raw, Mapping):
            raise ValueError(f"{at}: expected a table ([schedule.digests.{key_text(name)}])")
        if "interval" in raw or "cron" not in raw:
            raise ValueError(
                f'{at}.cron: required (a 5-field crontab line such as "0 8 * * mon-fri"); '
                "digests take no interval, so every scheduler agrees on their periods"
            )
        _no_unknown(raw, _DIGEST_KEYS, at)
        tz = _zone(raw, "timezone", at, default_tz)
        cron = _cron_text(raw, at, tz)
        send_empty = raw.get("send_empty", False)
        if not isinstance(send_empty, bool):
            raise ValueError(f"{at}.send_empty: expected true or false")
        channels = None
        if "channels" in raw:
            chosen = _str_list(raw, "channels", at)
            bad = [c for c in chosen if c not in DIGEST_CHANNELS]
            if bad or not chosen:
                what = f"unknown {', '.join(bad)}" if bad else "empty"
                raise ValueError(f"{at}.channels: {what} (use {', '.join(DIGEST_CHANNELS)})")
            channels = tuple(c for c in DIGEST_CHANNELS if c in chosen)
            email = getattr(by_name[name], "email", "unknown")
            if "email" in channels and email is None:
                raise ValueError(
                    f"{at}.channels: e-mail asked for but profile {name!r} has no email"
                )
        min_score = _number(raw, "min_score", at, DEFAULT_MIN_SCORE, minimum=0.0)
        digests.append(DigestSchedule(name, cron, tz, send_empty, channels, min_score))

    return ScheduleSettings(
        timezone=default_tz,
        misfire_grace_hours=grace,
        digest_retry_minutes=retry,
        claim_stale_minutes=stale,
        shutdown_grace_seconds=shutdown,
        crawls=tuple(crawls),
        rescore=rescore,
        digests=tuple(digests),
    )


def key_text(name: str) -> str:
    """A profile name as a TOML key in messages (quoted unless bare)."""
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else f'"{name}"'


def _trigger_spec(raw: Mapping[str, Any], where: str, default_tz: str) -> TriggerSpec:
    tz = _zone(raw, "timezone", where, default_tz)
    if ("cron" in raw) == ("interval" in raw):
        raise ValueError(f"{where}: give exactly one of cron (a crontab line) or interval")
    if "cron" in raw:
        return TriggerSpec(cron=_cron_text(raw, where, tz), timezone=tz)
    text = raw["interval"]
    if not isinstance(text, str):
        raise ValueError(f'{where}.interval: expected text such as "6h", "30m" or "1d"')
    try:
        parse_interval(text)
    except ValueError as exc:
        raise ValueError(f"{where}.interval: {exc}") from None
    return TriggerSpec(interval=" ".join(text.split()), timezone=tz)


def _cron_text(raw: Mapping[str, Any], where: str, tz: str) -> str:
    text = raw["cron"]
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f'{where}.cron: expected a crontab line such as "0 8 * * mon-fri"')
    text = " ".join(text.split())
    try:
        cron_trigger(text, tz)
    except ValueError as exc:
        raise ValueError(f"{where}.cron: {text!r}: {exc}") from None
    return text


def _no_unknown(data: Mapping[str, Any], known: Sequence[str], where: str) -> None:
    for key in data:
        if key not in known:
            raise ValueError(f"{where}.{key}: unknown setting (known: {', '.join(known)})")


def _zone(data: Mapping[str, Any], key: str, where: str, default: str) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f'{where}.{key}: expected a time zone name such as "Europe/Paris"')
    try:
        zone(value.strip())
    except ValueError as exc:
        raise ValueError(f"{where}.{key}: {exc}") from None
    return value.strip()


def _str_list(data: Mapping[str, Any], key: str, where: str) -> list[str]:
    value = data.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where}.{key}: expected a list of strings")
    return [v.strip() for v in value if v.strip()]


def _number(
    data: Mapping[str, Any],
    key: str,
    where: str,
    default: float,
    minimum: float,
    exclusive: bool = False,
) -> float:
    value = data.get(key, default)
    bad = not isinstance(value, (int, float)) or isinstance(value, bool)
    if not bad:
        bad = value <= minimum if exclusive else value < minimum
    if bad:
        bound = "more than" if exclusive else "at least"
        raise ValueError(f"{where}.{key}: expected a number {bound} {minimum:g}")
    return float(value)


def _int(data: Mapping[str, Any], key: str, where: str, default: int, minimum: int) -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{where}.{key}: expected a whole number of at least {minimum}")
    return value


__all__ = [
    "DEFAULT_MIN_SCORE",
    "DIGEST_CHANNELS",
    "CrawlSchedule",
    "DigestSchedule",
    "ScheduleSettings",
    "TriggerSpec",
    "key_text",
    "schedule_settings_from_dict",
]
