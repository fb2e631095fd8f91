"""The foreground scheduler daemon behind `internscout schedule`.

Start-up, in order:

1. Load the configuration and its `[schedule]`; check that every scheduled digest's channels
   are set up in `[delivery]`. Any mistake: one line on stderr, exit status 2, nothing done.
2. Reconcile the job store (table ``apscheduler_jobs`` in the application's database) with
   the schedule (`scheduler.registry.sync_jobs`): unchanged jobs keep their stored next run time,
   so runs missed while no scheduler was up are caught up once (coalesce) when the daemon
   starts, unless the latest of them is older than ``misfire_grace_hours``.
3. Log what is scheduled (id, trigger, next run in the trigger's zone, pending catch-ups),
   then run a `BlockingScheduler` (thread pool) on the real clock until SIGTERM or SIGINT.

Shutdown: the first signal stops the scheduler from starting jobs and waits up to
``shutdown_grace_seconds`` for running ones; it then exits 0. If jobs are still running at
the deadline (or a second signal arrives) it exits 1 at once: a digest it was delivering
stays claimed and the ``digest-retry`` job of any scheduler retakes it after
``claim_stale_minutes``; a crawl subprocess it was waiting for finishes on its own and
records its runs.

Several daemons may share one database (for availability): each may start the same due
job, and the digest claim in the database lets exactly one deliver each period. They
should run the same `[schedule]`: each start-up reconciles the shared job store to its own.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
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
from scheduler.runtime import (
    check_digest_delivery,
    dispose_engines,
    schedule_from_config,
    set_process_config,
)
from scheduler.schedule import ScheduleSettings
from scheduler.triggers import trigger_signature

if TYPE_CHECKING:
    from apscheduler.schedulers.base import BaseScheduler

    from internscout.app import AppState
    from internscout.config import AppConfig

log = logging.getLogger("internscout.scheduler")

EXIT_OK = 0
EXIT_FORCED = 1  # jobs still running at the shutdown deadline, or a fatal error
EXIT_CONFIG = 2
DEFAULT_WORKERS = 4
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


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


class JobTracker:
    """Counts jobs submitted to the executor and not yet finished (a scheduler listener)."""

    def __init__(self) -> None:
        self._running = 0
        self._cond = threading.Condition()

    def __call__(self, event: Any) -> None:
        from apscheduler.events import EVENT_JOB_SUBMITTED

        with self._cond:
            self._running += 1 if event.code == EVENT_JOB_SUBMITTED else -1
            self._cond.notify_all()

    @property
    def running(self) -> int:
        with self._cond:
            return self._running

    def wait_idle(self, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._running <= 0, timeout=timeout)


def configure_logging(log_file: Path | None, level: int = logging.INFO) -> logging.Handler:
    """Log to stderr, or append to `log_file`; returns the handler (remove it when done)."""
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(log_file, encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    return handler


def run_daemon(
    state: AppState,
    log_file: Path | None = None,
    *,
    max_workers: int = DEFAULT_WORKERS,
) -> int:
    """Run the scheduler in the foreground until SIGTERM/SIGINT; the exit status."""
    handler = configure_logging(log_file)
    try:
        return _run(state, log_file, max_workers)
    except KeyboardInterrupt:  # Ctrl-C while starting up: nothing is running yet
        log.info("interrupted before the scheduler started")
        return EXIT_OK
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()


def _run(state: AppState, log_file: Path | None, max_workers: int) -> int:
    import sqlalchemy as sa
    from apscheduler.events import (
        EVENT_JOB_ERROR,
        EVENT_JOB_EXECUTED,
        EVENT_JOB_MISSED,
        EVENT_JOB_SUBMITTED,
        EVENT_SCHEDULER_STARTED,
    )
    from apscheduler.schedulers import SchedulerNotRunningError

    from internscout.config import ConfigError

    try:
        plan = load_plan(state)
    except (ConfigError, ValueError) as exc:
        return _config_error(exc, logged=log_file is not None)
    try:
        prepared = prepare_jobs(plan)
    except sa.exc.SQLAlchemyError as exc:
        return _config_error(
            ValueError(f"cannot open the job store in {_safe_url(plan.db_url)}: {exc}"),
            logged=log_file is not None,
        )
    log_prepared(prepared)
    set_process_config(plan.config_path, plan.db_override)

    scheduler = build_scheduler(plan.db_url, plan.settings, max_workers=max_workers)
    tracker = JobTracker()
    scheduler.add_listener(
        tracker, EVENT_JOB_SUBMITTED | EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED
    )
    started = threading.Event()
    stopping = threading.Event()
    scheduler.add_listener(lambda _e: started.set(), EVENT_SCHEDULER_STARTED)

    def stop_scheduler() -> None:
        # Wait for start() to have run (a signal can arrive just before it).
        started.wait()
        with contextlib.suppress(SchedulerNotRunningError):
            scheduler.shutdown(wait=False)

    def on_signal(signum: int, _frame: Any) -> None:
        name = signal.Signals(signum).name
        if stopping.is_set():
            log.error("%s again: exiting now, %d job(s) abandoned", name, tracker.running)
            _hard_exit(EXIT_FORCED)
        stopping.set()
        log.info(
            "%s: stopping; waiting up to %g s for %d running job(s)",
            name,
            plan.settings.shutdown_grace_seconds,
            tracker.running,
        )
        threading.Thread(target=stop_scheduler, name="scheduler-stop", daemon=True).start()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        log.info("scheduler running (%d job(s)); stop with SIGTERM or Ctrl-C", len(plan.specs))
        try:
            scheduler.start()  # blocks until stop_scheduler() shuts it down
        except sa.exc.SQLAlchemyError as exc:
            # e.g. the database went away while a job's next run time was being saved
            log.error("the job store failed: %s: stopping", exc)
            print(f"error: the job store failed: {exc}", file=sys.stderr)
            with contextlib.suppress(SchedulerNotRunningError):
                scheduler.shutdown(wait=False)
            if not tracker.wait_idle(plan.settings.shutdown_grace_seconds):
                _hard_exit(EXIT_FORCED)
            return EXIT_FORCED
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
    if tracker.wait_idle(plan.settings.shutdown_grace_seconds):
        dispose_engines()
        log.info("scheduler stopped")
        return EXIT_OK
    log.error(
        "%d job(s) still running after %g s: exiting anyway (their digests are retried "
        "after claim_stale_minutes)",
        tracker.running,
        plan.settings.shutdown_grace_seconds,
    )
    _hard_exit(EXIT_FORCED)
    return EXIT_FORCED  # pragma: no cover


def _config_error(exc: Exception, logged: bool) -> int:
    """One line on stderr (and in the log file, when there is one): exit status 2."""
    if logged:
        log.error("configuration error: %s", exc)
    print(f"error: {exc}", file=sys.stderr)
    return EXIT_CONFIG


def _hard_exit(code: int) -> None:
    """Exit without joining the thread pool's workers (they may run for a long time)."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<database>"


__all__ = [
    "EXIT_CONFIG",
    "EXIT_FORCED",
    "EXIT_OK",
    "JobRow",
    "JobTracker",
    "Plan",
    "Prepared",
    "ScheduleConfigError",
    "build_scheduler",
    "configure_logging",
    "describe_jobs",
    "list_jobs",
    "load_plan",
    "log_prepared",
    "prepare_jobs",
    "render_job_list",
    "run_daemon",
]
