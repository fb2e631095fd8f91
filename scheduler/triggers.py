"""Triggers: time zones, intervals, crontab lines, and the digest period a time falls in.

Crontab lines have the standard meaning: day-of-week 0 and 7 are Sunday (APScheduler 3's
own numbering, 0 = Monday, is never used: numbers are translated to names), `@daily`,
`@hourly`, `@weekly`, `@monthly` and `@yearly` are accepted. Restricting both day-of-month
and day-of-week is refused: crontab ORs the two, APScheduler ANDs them.

Intervals ("30m", "6h", "1d", "1w", "1h30m") are aligned to Monday 2000-01-03 00:00 in
their zone (6h: 00:00, 06:00, ...). Digest period keys (`period_key`): see `scheduler.jobs`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apscheduler.triggers.base import BaseTrigger

# Intervals count from a fixed Monday midnight in their zone: every scheduler agrees on the
# phase, and "1w" means Mondays at 00:00.
INTERVAL_ANCHOR = (2000, 1, 3)


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


__all__ = [
    "INTERVAL_ANCHOR",
    "cron_trigger",
    "crontab_day_of_week",
    "interval_trigger",
    "parse_interval",
    "period_key",
    "previous_fire_time",
    "trigger_signature",
    "zone",
]
