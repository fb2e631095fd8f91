"""What a scheduler process runs, and the job store's view of it: the plan (config,
`[schedule]`, jobs) validated, the APScheduler instance on the database's job store, and the
reconciliation of that store with the plan (`internscout schedule --list` and the daemon's
start-up log). The foreground daemon itself is `scheduler.daemon`."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scheduler import clock as _clock
from scheduler.registry import (
    JobSpec,
    SyncReport,
    is_managed_job,
    job_options,
    job_specs,
    make_jobstore,
    sync_jobs,
)
from scheduler.runtime import check_digest_delivery, schedule_from_config
from scheduler.schedule import ScheduleSettings
from scheduler.triggers import trigger_signature

if TYPE_CHECKING:
    from apscheduler.schedulers.base import BaseScheduler

    from internscout.app import AppState
    from internscout.config import AppConfig

log = logging.getLogger("internscout.scheduler")

DEFAULT_WORKERS = 4


class ScheduleConfigError(ValueError):
    """The configuration asks for nothing to schedule, or for something impossible."""


@dataclass
class Plan:
    """What a scheduler process runs: the config, its schedule and the jobs."""

    config: AppConfig
    settings: ScheduleSettings
    specs: list[JobSpec]
    config_path: str = ""  # absolute: what the jobs rebuild their state from
    db_override: str = ""  # a --db URL, or ""

    @property
    def db_url(self) -> str:
        return self.config.database_url


def load_plan(state: AppState) -> Plan:
    """Config + [schedule] + jobs, validated. Raises ConfigError or ValueError (exit 2)."""
    config = state.config()
    if config.path is None:
        raise ScheduleConfigError(
            "no config file: `internscout schedule` needs one with a [schedule] table "
            "(run `internscout init`)"
        )
    settings = schedule_from_config(config)
    if settings is None or settings.empty:
        raise ScheduleConfigError(
            f"{config.path}: no [schedule] jobs: add [[schedule.crawl]], [schedule.rescore] "
            "or [schedule.digests.<profile>] tables"
        )
    check_digest_delivery(config, settings)
    config_path = str(Path(config.path).expanduser().resolve())
    db_override = state.db_url or ""
    return Plan(
        config, settings, job_specs(settings, config_path, db_override), config_path, db_override
    )


def build_scheduler(
    db_url: str,
    settings: ScheduleSettings,
    *,
    manual: bool = False,
    max_workers: int = DEFAULT_WORKERS,
) -> BaseScheduler:
    """A scheduler on the database's job store: `BlockingScheduler` with a thread pool, or
    (manual) a `ManualScheduler` with `DebugExecutor` for tests and one-shot runs."""
    from zoneinfo import ZoneInfo

    from apscheduler.executors.debug import DebugExecutor
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.blocking import BlockingScheduler

    from scheduler.clock import ManualScheduler

    executor = DebugExecutor() if manual else ThreadPoolExecutor(max_workers)
    cls = ManualScheduler if manual else BlockingScheduler
    return cls(
        jobstores={"default": make_jobstore(db_url)},
        executors={"default": executor},
        job_defaults=job_options(settings),
        timezone=ZoneInfo(settings.timezone),
    )


@dataclass
class JobRow:
    """One line of `internscout schedule --list` and of the start-up log."""

    id: str
    name: str
    trigger: str
    next_run: datetime | None  # in the trigger's zone; None: will never run again
    note: str = ""


@dataclass
class Prepared:
    report: SyncReport
    rows: list[JobRow] = field(default_factory=list)


def _stored_jobs(scheduler: BaseScheduler) -> dict[str, Any]:
    return {job.id: job for job in scheduler.get_jobs()}


def describe_jobs(
    scheduler: BaseScheduler | None,
    plan: Plan,
    now: datetime,
) -> list[JobRow]:
    """Each planned job with its next run time (the stored one when its trigger is unchanged)
    and what starting a scheduler now would do about runs missed (`scheduler` started)."""
    stored = _stored_jobs(scheduler) if scheduler is not None else {}
    grace = timedelta(seconds=plan.settings.misfire_grace_seconds)
    rows: list[JobRow] = []
    for spec in plan.specs:
        trigger = spec.build_trigger()
        tz = getattr(trigger, "timezone", None)
        job = stored.get(spec.id)
        note = ""
        if job is not None and trigger_signature(job.trigger) == trigger_signature(trigger):
            next_run = job.next_run_time
            if next_run is not None and next_run <= now:
                missed = job._get_run_times(now)  # every fire time up to now
                latest = missed[-1] if missed else next_run
                count = len(missed)
                runs = f"{count} run{'' if count == 1 else 's'}"
                if now - latest > grace:
                    note = f"missed {runs}, the latest too long ago (> grace): skipped"
                else:
                    note = f"missed {runs} since {_fmt(next_run, tz)}: one catch-up run now"
                # After the catch-up, the next regular run:
                next_run = trigger.get_next_fire_time(latest, now)
        else:
            next_run = trigger.get_next_fire_time(None, now)
            note = "new" if job is None else "trigger changed: rescheduled"
        rows.append(
            JobRow(
                spec.id,
                spec.name,
                spec.trigger.describe(),
                next_run.astimezone(tz) if next_run is not None and tz else next_run,
                note,
            )
        )
    planned = {s.id for s in plan.specs}
    for job_id, job in sorted(stored.items()):
        if is_managed_job(job_id) and job_id not in planned:
            rows.append(JobRow(job_id, job.name, str(job.trigger), None, "no longer configured"))
    return rows


def _fmt(when: datetime | None, tz: Any = None) -> str:
    if when is None:
        return "never"
    if tz is not None:
        when = when.astimezone(tz)
    return when.strftime("%Y-%m-%d %H:%M %Z (%z)")


def render_job_list(rows: Sequence[JobRow]) -> str:
    """The `--list` table: id, trigger, next run in its zone, and a note."""
    header = ("JOB", "TRIGGER", "NEXT RUN", "")
    lines = [
        (r.id, f"{r.name}: {r.trigger}", _fmt(r.next_run) if r.next_run else "-", r.note)
        for r in rows
    ]
    widths = [max(len(str(x[i])) for x in [header, *lines]) for i in range(3)]
    out = []
    for row in [header, *lines]:
        cells = [str(c).ljust(w) for c, w in zip(row[:3], widths, strict=True)]
        out.append(("  ".join(cells) + ("  " + row[3] if row[3] else "")).rstrip())
    return "\n".join(out)


@contextlib.contextmanager
def _quiet_apscheduler() -> Iterator[None]:
    """No "Scheduler started / shut down" lines for the short-lived job-store session."""
    logger = logging.getLogger("apscheduler.scheduler")
    level = logger.level
    logger.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        logger.setLevel(level)


def _open_paused(plan: Plan) -> BaseScheduler:
    """A started-but-paused manual scheduler on the job store: reads and writes jobs, runs
    nothing. Creates the job table when missing (tolerating a concurrent creator)."""
    import sqlalchemy as sa

    scheduler = build_scheduler(plan.db_url, plan.settings, manual=True)
    with _quiet_apscheduler():
        try:
            scheduler.start(paused=True)
        except sa.exc.SQLAlchemyError:
            # Two schedulers creating apscheduler_jobs at once: the loser sees "already exists".
            scheduler = build_scheduler(plan.db_url, plan.settings, manual=True)
            scheduler.start(paused=True)
    return scheduler


def _close_paused(scheduler: BaseScheduler) -> None:
    with _quiet_apscheduler():
        scheduler.shutdown(wait=False)


def list_jobs(plan: Plan, now: datetime | None = None) -> list[JobRow]:
    """The rows of `--list`: reads the job store, changes nothing, runs nothing."""
    now = now or _clock.now()
    scheduler = _open_paused(plan)
    try:
        return describe_jobs(scheduler, plan, now)
    finally:
        _close_paused(scheduler)


def prepare_jobs(plan: Plan, now: datetime | None = None) -> Prepared:
    """Reconcile the job store with the plan (see `sync_jobs`); what will run, and when."""
    now = now or _clock.now()
    scheduler = _open_paused(plan)
    try:
        rows = describe_jobs(scheduler, plan, now)
        report = sync_jobs(scheduler, plan.specs, plan.settings)
        return Prepared(report, rows)
    finally:
        _close_paused(scheduler)


def log_prepared(prepared: Prepared) -> None:
    report = prepared.report
    parts = [
        f"{label} {', '.join(ids)}"
        for label, ids in (
            ("added", report.added),
            ("rescheduled", report.updated),
            ("kept", report.kept),
            ("removed", report.removed),
        )
        if ids
    ]
    log.info("job store: %s", "; ".join(parts) or "no jobs")
    for row in prepared.rows:
        if row.note == "no longer configured":
            continue
        log.info(
            "scheduled %s (%s: %s), next run %s%s",
            row.id,
            row.name,
            row.trigger,
            _fmt(row.next_run),
            f" [{row.note}]" if row.note and row.note != "new" else "",
        )


__all__ = [
    "DEFAULT_WORKERS",
    "JobRow",
    "Plan",
    "Prepared",
    "ScheduleConfigError",
    "build_scheduler",
    "describe_jobs",
    "list_jobs",
    "load_plan",
    "log_prepared",
    "prepare_jobs",
    "render_job_list",
]
