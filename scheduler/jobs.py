"""Scheduled jobs: the `[schedule]` configuration, the job definitions and the job functions.

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

Crontab lines have the standard meaning: day-of-week 0 and 7 are Sunday (APScheduler 3's
own numbering, 0 = Monday, is never used: numbers are translated to names), `@daily`,
`@hourly`, `@weekly`, `@monthly` and `@yearly` are accepted. Restricting both day-of-month
and day-of-week is refused: crontab ORs the two, APScheduler ANDs them.

Jobs (`job_specs`): fixed ids ``crawl:<n>``, ``rescore``, ``digest:<profile>`` and
``digest-retry``, all with ``coalesce=True``, ``max_instances=1`` and
``misfire_grace_time = misfire_grace_hours × 3600``, kept in a `SQLAlchemyJobStore`
(table ``apscheduler_jobs``) in the application's own database. Their functions are the
top-level callables below, with string arguments only (config path, database URL override,
source or profile names, the digest's crontab and zone), so they pickle into the job store;
each run rebuilds an `AppState` from the configuration (the file is parsed again only when
it has changed; the process keeps one engine per database and one `Service` per worker
thread). A scheduler process runs every job on its own config (`set_process_config`), not
on the path stored with the job, which is that of whichever scheduler last reconciled a
shared job store. A job never raises: failures are logged (and crawl failures recorded as
failed crawl runs), and the scheduler goes on. `max_instances=1` holds per process; across
processes the digest claim is what prevents a second delivery.

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
import os
import re
import threading
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scheduler import clock as _clock

if TYPE_CHECKING:
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.triggers.base import BaseTrigger
    from sqlalchemy.engine import Engine

    from internscout.app import AppState
    from internscout.config import AppConfig

log = logging.getLogger("internscout.scheduler")

JOBSTORE_TABLE = "apscheduler_jobs"
DIGEST_CHANNELS = ("email", "files", "feed")
DEFAULT_MIN_SCORE = 0.05
# Intervals count from a fixed Monday midnight in their zone: every scheduler agrees on the
# phase, and "1w" means Mondays at 00:00.
INTERVAL_ANCHOR = (2000, 1, 3)
JOB_PREFIXES = ("crawl:", "digest:")
FIXED_JOB_IDS = ("rescore", "digest-retry")

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
        at = f"{where}.digests.{_key_text(name)}"
        if name not in by_name:
            known = ", ".join(profile_names) or "none configured"
            raise ValueError(f"{at}: no profile named {name!r} (profiles: {known})")
        if not isinstance(raw, Mapping):
            raise ValueError(f"{at}: expected a table ([schedule.digests.{_key_text(name)}])")
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


def _key_text(name: str) -> str:
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


# -- triggers --------------------------------------------------------------------------------


def zone(name: str) -> tzinfo:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f'unknown time zone {name!r} (use an IANA name such as "America/New_York" or "UTC")'
        ) from None


_INTERVAL_RE = re.compile(r"(\d+)\s*([mhdw])")
_INTERVAL_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_interval(text: str) -> timedelta:
    """ "30m", "6h", "1d", "2w", "1h30m" -> timedelta (at least one minute)."""
    compact = "".join(text.lower().split())
    if not compact or _INTERVAL_RE.sub("", compact):
        raise ValueError(
            f'{text!r} is not an interval: use a number and a unit (m, h, d, w), e.g. "6h", '
            '"30m", "1d" or "1h30m"'
        )
    total = timedelta()
    for number, unit in _INTERVAL_RE.findall(compact):
        total += timedelta(**{_INTERVAL_UNITS[unit]: int(number)})
    if total < timedelta(minutes=1):
        raise ValueError(f"{text!r}: an interval must be at least one minute")
    return total


def interval_trigger(text: str, tz: str) -> BaseTrigger:
    from apscheduler.triggers.interval import IntervalTrigger

    zoneinfo = zone(tz)
    anchor = datetime(*INTERVAL_ANCHOR, tzinfo=zoneinfo)
    step = parse_interval(text)
    return IntervalTrigger(seconds=int(step.total_seconds()), start_date=anchor, timezone=zoneinfo)


_MACROS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _day_number(text: str, end: bool) -> int:
    low = text.lower()
    if low in _DAY_NAMES:
        n = _DAY_NAMES.index(low)
        return 7 if n == 0 and end else n
    if low.isdigit() and 0 <= int(low) <= 7:
        return int(low)
    raise ValueError(f"day of week {text!r}: use 0-7 (0 and 7 are Sunday) or sun..sat")


def crontab_day_of_week(text: str) -> str:
    """A crontab day-of-week field (0/7 = Sunday) as APScheduler 3 day names."""
    if text in ("*", "?"):
        return "*"
    days: set[int] = set()
    for part in text.split(","):
        spec, slash, step_text = part.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or int(step_text) < 1:
                raise ValueError(f"day of week {part!r}: the step must be a positive number")
            step = int(step_text)
        if spec == "*":
            lo, hi = 0, 6
        elif "-" in spec:
            first, _, last = spec.partition("-")
            lo, hi = _day_number(first, end=False), _day_number(last, end=True)
            if lo > hi:
                raise ValueError(f"day of week {part!r}: the range runs backwards")
        else:
            lo = _day_number(spec, end=False)
            hi = 6 if slash else lo
            if slash and lo == 7:
                hi = 7
        days.update(d % 7 for d in range(lo, hi + 1, step))
    if len(days) == 7:
        return "*"
    # APScheduler's names are unambiguous (its numbers are not): list them Monday first.
    return ",".join(_DAY_NAMES[d] for d in (1, 2, 3, 4, 5, 6, 0) if d in days)


def cron_trigger(expr: str, tz: str) -> BaseTrigger:
    """A CronTrigger for a standard 5-field crontab line in zone `tz`."""
    from apscheduler.triggers.cron import CronTrigger

    text = " ".join(expr.split())
    text = _MACROS.get(text.lower(), text)
    fields = text.split(" ")
    if len(fields) != 5:
        raise ValueError(
            f"expected 5 fields (minute hour day-of-month month day-of-week), got {len(fields)}"
        )
    minute, hour, dom, month, dow = fields
    if dom not in ("*", "?") and dow not in ("*", "?"):
        raise ValueError(
            "restrict day-of-month or day-of-week, not both (crontab would run on either, "
            "this scheduler only on days matching both): use two schedules"
        )
    try:
        return CronTrigger(
            minute=minute,
            hour=hour,
            day="*" if dom == "?" else dom,
            month=month,
            day_of_week=crontab_day_of_week(dow),
            timezone=zone(tz),
        )
    except ValueError as exc:
        raise ValueError(str(exc)) from None


def trigger_signature(trigger: BaseTrigger) -> str:
    """Text that is equal for two triggers exactly when they fire at the same times."""
    return f"{type(trigger).__name__}:{trigger!r}"


def previous_fire_time(trigger: BaseTrigger, now: datetime) -> datetime | None:
    """The trigger's latest fire time at or before `now` (None: it never fired in 4 years)."""
    for back in (
        timedelta(hours=1),
        timedelta(days=1),
        timedelta(days=8),
        timedelta(days=32),
        timedelta(days=367),
        timedelta(days=4 * 366),
    ):
        fire = trigger.get_next_fire_time(None, now - back)
        if fire is None or fire > now:
            continue
        while True:
            following = trigger.get_next_fire_time(fire, fire)
            if following is None or following > now or following <= fire:
                return fire
            fire = following
    return None


def period_key(trigger: BaseTrigger, now: datetime) -> str | None:
    """The digest period `now` falls in: the trigger's latest fire time at or before now, in
    the trigger's zone, as ISO text (e.g. "2026-11-02T08:00:00-05:00")."""
    fire = previous_fire_time(trigger, now)
    if fire is None:
        return None
    tz = getattr(trigger, "timezone", None) or UTC
    # Via UTC: a wall time in the hour skipped by a DST change comes out as the real one.
    return fire.astimezone(UTC).astimezone(tz).isoformat()


# -- job definitions -------------------------------------------------------------------------


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: str  # "module:function", importable
    args: tuple[str, ...]
    trigger: TriggerSpec
    name: str

    def build_trigger(self) -> BaseTrigger:
        return self.trigger.build()


def job_specs(settings: ScheduleSettings, config_path: str, db_url: str = "") -> list[JobSpec]:
    """Every job the schedule asks for. `config_path`: the (absolute) config file the jobs
    rebuild their state from; `db_url`: a database URL given on the command line, or ""."""
    base = (config_path, db_url)
    specs: list[JobSpec] = []
    for crawl in settings.crawls:
        what = ", ".join(crawl.sources) if crawl.sources else "all sources"
        specs.append(
            JobSpec(
                crawl.job_id,
                "scheduler.jobs:crawl_job",
                (*base, *crawl.sources),
                crawl.trigger,
                f"crawl {what}",
            )
        )
    if settings.rescore is not None:
        specs.append(
            JobSpec("rescore", "scheduler.jobs:rescore_job", base, settings.rescore, "rescore")
        )
    for digest in settings.digests:
        specs.append(
            JobSpec(
                digest.job_id,
                "scheduler.jobs:digest_job",
                (*base, digest.profile, digest.cron, digest.timezone),
                digest.trigger,
                f"digest for {digest.profile}",
            )
        )
    if settings.digests and settings.digest_retry_minutes > 0:
        specs.append(
            JobSpec(
                "digest-retry",
                "scheduler.jobs:digest_retry_job",
                base,
                TriggerSpec(
                    interval=f"{settings.digest_retry_minutes}m", timezone=settings.timezone
                ),
                "retry failed or abandoned digests",
            )
        )
    return specs


def job_options(settings: ScheduleSettings) -> dict[str, Any]:
    return {
        "coalesce": True,
        "max_instances": 1,
        "misfire_grace_time": settings.misfire_grace_seconds,
    }


def make_jobstore(db_url: str) -> SQLAlchemyJobStore:
    """The job store: table `apscheduler_jobs` in the application's database."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from sqlalchemy.engine import make_url

    options: dict[str, Any] = {"pool_pre_ping": True}
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        # Several schedulers (and the crawler) write to one file: wait for the lock.
        options["connect_args"] = {"timeout": 30}
        if url.database and url.database != ":memory:":
            Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    return SQLAlchemyJobStore(url=db_url, tablename=JOBSTORE_TABLE, engine_options=options)


def is_managed_job(job_id: str) -> bool:
    return job_id in FIXED_JOB_IDS or job_id.startswith(JOB_PREFIXES)


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)  # trigger changed: next run recomputed
    kept: list[str] = field(default_factory=list)  # unchanged: stored next run time kept
    removed: list[str] = field(default_factory=list)


def sync_jobs(scheduler: Any, specs: Sequence[JobSpec], settings: ScheduleSettings) -> SyncReport:
    """Make the (started, paused) scheduler's job store hold exactly `specs`.

    A job already stored with the same trigger keeps its stored next run time, so runs missed
    while no scheduler was up are caught up (once: coalesce) when one starts; a changed
    trigger is rescheduled from now; stored jobs the schedule no longer names are removed.
    """
    report = SyncReport()
    options = job_options(settings)
    wanted = {s.id for s in specs}
    for job in scheduler.get_jobs():
        if is_managed_job(job.id) and job.id not in wanted:
            scheduler.remove_job(job.id)
            report.removed.append(job.id)
    for spec in specs:
        trigger = spec.build_trigger()
        existing = scheduler.get_job(spec.id)
        if existing is None:
            scheduler.add_job(
                spec.func,
                trigger,
                args=list(spec.args),
                id=spec.id,
                name=spec.name,
                replace_existing=True,
                **options,
            )
            report.added.append(spec.id)
            continue
        if trigger_signature(existing.trigger) != trigger_signature(trigger):
            scheduler.add_job(
                spec.func,
                trigger,
                args=list(spec.args),
                id=spec.id,
                name=spec.name,
                replace_existing=True,
                **options,
            )
            report.updated.append(spec.id)
            continue
        changes: dict[str, Any] = {}
        if existing.func_ref != spec.func:
            changes["func"] = spec.func
        if tuple(existing.args) != spec.args:
            changes["args"] = list(spec.args)
        if existing.name != spec.name:
            changes["name"] = spec.name
        for key, value in options.items():
            if getattr(existing, key) != value:
                changes[key] = value
        if changes:
            scheduler.modify_job(spec.id, **changes)  # the stored next run time stays
        report.kept.append(spec.id)
    return report


# -- loading the configuration in a job -------------------------------------------------------


# Jobs rebuild their state from the config file on every run; a file that has not changed
# since the last run in this process is not parsed again (keyed by its stat).
_CACHE_SIZE = 8
_cache: dict[tuple[Any, ...], Any] = {}


def _file_key(path: Path | None) -> tuple[Any, ...] | None:
    if path is None:
        return None
    try:
        stat = Path(path).stat()
    except OSError:
        return None
    return (str(Path(path).resolve()), stat.st_mtime_ns, stat.st_size)


_cache_lock = threading.RLock()


def _cached(key: tuple[Any, ...] | None, build: Callable[[], Any]) -> Any:
    if key is None:
        return build()
    with _cache_lock:  # jobs run in a thread pool
        if key not in _cache:
            if len(_cache) >= _CACHE_SIZE:
                _cache.pop(next(iter(_cache)))
            _cache[key] = build()
        return _cache[key]


def _raw_config(config: AppConfig) -> dict[str, Any]:
    def read() -> dict[str, Any]:
        if config.path is None or not Path(config.path).exists():
            return {}
        with open(config.path, "rb") as fh:
            return tomllib.load(fh)

    key = _file_key(config.path)
    return _cached(("raw", *key) if key else None, read)  # type: ignore[no-any-return]


def schedule_from_config(config: AppConfig) -> ScheduleSettings | None:
    """The config's [schedule] (None: the file has none). Uses `config.schedule` once the
    config loader provides it, else reads the table from the file."""
    if hasattr(config, "schedule"):
        return config.schedule  # type: ignore[no-any-return]

    def parse() -> ScheduleSettings | None:
        data = _raw_config(config)
        if "schedule" not in data:
            return None
        return schedule_settings_from_dict(
            data["schedule"], config.profiles, f"{config.path}: schedule", sources=config.sources
        )

    key = _file_key(config.path)
    return _cached(("schedule", *key) if key else None, parse)  # type: ignore[no-any-return]


def delivery_from_config(config: AppConfig) -> Any:
    """The config's [delivery] settings (`config.delivery` once the loader provides it)."""
    if hasattr(config, "delivery"):
        return config.delivery
    from scheduler.delivery import DeliverySettings, delivery_settings_from_dict

    def parse() -> Any:
        data = _raw_config(config)
        if "delivery" not in data:
            return DeliverySettings()
        base = Path(config.path).parent if config.path else None
        return delivery_settings_from_dict(
            data["delivery"], f"{config.path}: delivery", os.environ, base=base
        )

    key = _file_key(config.path)
    # The SMTP password comes from the environment: part of the key.
    env = tuple(sorted(os.environ.items()))
    return _cached(("delivery", *key, env) if key else None, parse)


def check_digest_delivery(config: AppConfig, settings: ScheduleSettings) -> None:
    """Raise ValueError when a scheduled digest asks for a channel [delivery] does not set up
    (checked when the scheduler starts, not at 8 a.m.)."""
    if not settings.digests:
        return
    delivery = delivery_from_config(config)
    configured = set(delivery.configured_channels)
    for digest in settings.digests:
        where = f"{config.path}: schedule.digests.{_key_text(digest.profile)}"
        chosen = set(digest.channels) if digest.channels is not None else configured
        if not chosen:
            raise ValueError(
                f"{where}: no delivery channel: set [delivery] out_dir, feed_dir or [delivery.smtp]"
            )
        missing = sorted(chosen - configured)
        if missing:
            need = {"email": "[delivery.smtp]", "files": "out_dir", "feed": "feed_dir"}
            raise ValueError(
                f"{where}.channels: {', '.join(missing)} asked for but [delivery] has no "
                + ", ".join(need[m] for m in missing)
            )
        if "email" in chosen and not config.profile(digest.profile).email:
            raise ValueError(
                f'{where}: profile {digest.profile!r} has no email: add email = "..." to its '
                '[[profiles]] table, or set channels without "email"'
            )


# -- the job functions -------------------------------------------------------------------------


_process_config: tuple[str, str] | None = None


def set_process_config(config_path: str | None, db_url: str = "") -> None:
    """Run every job in this process on this config and database override, not on the ones
    stored with the job (those of whichever scheduler last reconciled a shared job store,
    perhaps on another host). None: use the stored ones again."""
    global _process_config
    _process_config = None if config_path is None else (config_path, db_url)


def _state(config_path: str, db_url: str, clock: Callable[[], datetime] | None) -> AppState:
    """A fresh AppState on the config as the file is now (parsed again only if it changed)."""
    from internscout.app import AppState
    from internscout.config import load_config

    if _process_config is not None:
        config_path, db_url = _process_config
    path = Path(config_path) if config_path else None
    # parallel=False: jobs run in threads, and forking a threaded process is unsafe.
    state = AppState(
        config_path=path, db_url=db_url or None, clock=clock or _clock.now, parallel=False
    )
    key = _file_key(path)
    if key is not None:
        env_db = os.environ.get("INTERNSCOUT_DATABASE_URL")
        state._config = _cached(
            ("config", *key, db_url, env_db), lambda: load_config(path, db_url or None)
        )
    # One engine per database per process, shared by the jobs (thread-safe, pooled): a job
    # neither pays for opening it nor recompiles its statements.
    state._engine = _engine_for(state.config().database_url)
    state._service = _service_for(state)
    return state


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()
_generation = 0  # bumped by dispose_engines: services built on closed engines are dropped
_local = threading.local()  # per worker thread: its Service (not shared between threads)


def _service_for(state: AppState) -> Any:
    """This thread's Service for the state's engine, clock and weights: the fitted analyser
    and matcher are loaded once per thread, not once per job (it checks the stored fit's
    id on every use, so a refit by another process is still picked up)."""
    from internscout.service import Service

    weights = state.config().weights
    taxonomy = state.taxonomy()
    key = (_generation, state.engine(), state.clock, tuple(sorted(weights.items())),
           taxonomy.version)  # fmt: skip
    services = getattr(_local, "services", None)
    if services is None or services[0] != _generation:
        services = _local.services = (_generation, {})
    service = services[1].get(key)
    if service is None:
        service = services[1][key] = Service(
            state.engine(), state.clock, weights=weights, taxonomy=taxonomy
        )
    return service


def _engine_for(url: str) -> Engine:
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            import store

            engine = _engines[url] = store.make_engine(url)
        return engine


def dispose_engines() -> None:
    """Close the jobs' shared engines (at shutdown, or between tests)."""
    global _generation
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _generation += 1


def _close(state: AppState | None) -> None:
    """End of a job: the shared engine and this thread's service stay for the next one."""
    if state is not None:
        state._service = None
        state._engine = None


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

        state = _state(config_path, db_url, clock)
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
        _close(state)


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
        state = _state(config_path, db_url, clock)
        reports = state.rescore_all()
        scored = {name: r.scored for name, r in reports.items()}
        log.info("rescore: %d profile(s), %d score(s) updated", len(scored), sum(scored.values()))
        return {"status": "ok", "scored": scored}
    except Exception:
        log.exception("rescore: the job failed")
        return {"status": "error"}
    finally:
        _close(state)


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
        state = _state(config_path, db_url, clock)
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
        _close(state)


def digest_retry_job(
    config_path: str, db_url: str, *, clock: Callable[[], datetime] | None = None
) -> dict[str, Any]:
    """Re-deliver this period's digests that failed, or whose claim was abandoned (claimed
    more than `claim_stale_minutes` ago and never completed). Never raises."""
    results: dict[str, str] = {}
    state = None
    try:
        state = _state(config_path, db_url, clock)
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
        _close(state)


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
    from scheduler.delivery import ProfileInfo, deliver_digest

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
    "CrawlSchedule",
    "DigestSchedule",
    "JobSpec",
    "ScheduleSettings",
    "SyncReport",
    "TriggerSpec",
    "check_digest_delivery",
    "crawl_job",
    "cron_trigger",
    "crontab_day_of_week",
    "delivery_from_config",
    "digest_job",
    "digest_retry_job",
    "interval_trigger",
    "job_options",
    "job_specs",
    "make_jobstore",
    "parse_interval",
    "period_key",
    "previous_fire_time",
    "release_abandoned_claim",
    "rescore_job",
    "schedule_from_config",
    "schedule_settings_from_dict",
    "set_process_config",
    "sync_jobs",
    "trigger_signature",
]
