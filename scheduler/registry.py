"""Job definitions: the APScheduler jobs a `[schedule]` asks for, their job store, and the
reconciliation of a scheduler's stored jobs with them.

Jobs (`job_specs`): fixed ids ``crawl:<n>``, ``rescore``, ``digest:<profile>`` and
``digest-retry``, all with ``coalesce=True``, ``max_instances=1`` and
``misfire_grace_time = misfire_grace_hours × 3600``, kept in a `SQLAlchemyJobStore`
(table ``apscheduler_jobs``) in the application's own database. Their functions are the
top-level callables of `scheduler.jobs`, with string arguments only (config path, database
URL override, source or profile names, the digest's crontab and zone), so they pickle into
the job store (see `scheduler.jobs` for what a run does).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scheduler.schedule import ScheduleSettings, TriggerSpec
from scheduler.triggers import trigger_signature

if TYPE_CHECKING:
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.triggers.base import BaseTrigger

JOBSTORE_TABLE = "apscheduler_jobs"
JOB_PREFIXES = ("crawl:", "digest:")
FIXED_JOB_IDS = ("rescore", "digest-retry")


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
        if existing is None or trigger_signature(existing.trigger) != trigger_signature(trigger):
            scheduler.add_job(
                spec.func,
                trigger,
                args=list(spec.args),
                id=spec.id,
                name=spec.name,
                replace_existing=True,
                **options,
            )
            (report.added if existing is None else report.updated).append(spec.id)
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


__all__ = [
    "FIXED_JOB_IDS",
    "JOBSTORE_TABLE",
    "JOB_PREFIXES",
    "JobSpec",
    "SyncReport",
    "is_managed_job",
    "job_options",
    "job_specs",
    "make_jobstore",
    "sync_jobs",
]
