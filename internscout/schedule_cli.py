"""`internscout schedule`: plain functions the CLI registers (see `scheduler.daemon`).

    internscout schedule                 # run in the foreground until SIGTERM / Ctrl-C
    internscout schedule --log-file F    # log to F instead of stderr
    internscout schedule --list          # print the jobs and their next run times; run nothing

Exit status: 0 after a clean shutdown (or a listing), 1 when running jobs had to be
abandoned at shutdown, 2 for a configuration error (bad crontab, unknown profile, a digest
channel [delivery] does not set up, ...), reported as one line on stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from internscout.app import AppState

EXIT_CONFIG = 2


def run_schedule(state: AppState, list_only: bool = False, log_file: Path | None = None) -> int:
    """The `schedule` command: the daemon, or with `list_only` the job listing."""
    if list_only:
        return list_schedule(state)
    from scheduler.daemon import run_daemon

    return run_daemon(state, log_file=log_file)


def list_schedule(state: AppState, out: TextIO | None = None) -> int:
    """Print every scheduled job (id, trigger, next run in its zone) without running any."""
    import sqlalchemy as sa

    from internscout.config import ConfigError
    from scheduler.plan import list_jobs, load_plan, render_job_list

    out = out or sys.stdout
    try:
        plan = load_plan(state)
        rows = list_jobs(plan)
    except (ConfigError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except sa.exc.SQLAlchemyError as exc:
        print(f"error: cannot read the job store: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    print(render_job_list(rows), file=out)
    return 0


__all__ = ["list_schedule", "run_schedule"]
