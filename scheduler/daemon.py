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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scheduler.plan import (
    DEFAULT_WORKERS,
    build_scheduler,
    load_plan,
    log_prepared,
    prepare_jobs,
)
from scheduler.runtime import dispose_engines, set_process_config

if TYPE_CHECKING:
    from internscout.app import AppState

log = logging.getLogger("internscout.scheduler")

EXIT_OK = 0
EXIT_FORCED = 1  # jobs still running at the shutdown deadline, or a fatal error
EXIT_CONFIG = 2
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


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
    "JobTracker",
    "configure_logging",
    "run_daemon",
]
