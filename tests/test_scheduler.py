"""The scheduler: [schedule] parsing, job definitions, digest period keys, catch-up after
downtime, retries. Time only passes on an injected clock (`use_clock` + `ManualScheduler`):
no test sleeps for it."""

from __future__ import annotations

import io
import json
import sqlite3
import tomllib
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from scheduler_worker import SmtpSink, config_text, free_port, seed_postings

import store
from internscout.app import AppState
from internscout.config import ProfileConfig
from internscout.demo import demo_routes, demo_sources
from internscout.replay import serving
from internscout.schedule_cli import list_schedule
from scheduler import runtime
from scheduler.clock import ManualScheduler, use_clock
from scheduler.plan import build_scheduler, load_plan, prepare_jobs
from scheduler.schedule import ScheduleSettings, TriggerSpec, schedule_settings_from_dict
from scheduler.triggers import (
    cron_trigger,
    crontab_day_of_week,
    interval_trigger,
    period_key,
)

UTC_T0 = datetime(2026, 11, 2, 5, 0, tzinfo=UTC)  # a Monday


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(autouse=True)
def _fresh_engines() -> Iterator[None]:
    yield
    runtime.dispose_engines()  # the jobs' shared engines point into this test's tmp_path


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def run_scheduler(config: Path, clock: Clock, ticks: int = 1) -> dict[str, list[str]]:
    """Start a scheduler at clock.now as the daemon does (reconcile the job store, then run
    what is due), tick, shut it down: what happened to each job."""
    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED

    kinds = {EVENT_JOB_EXECUTED: "run", EVENT_JOB_ERROR: "error", EVENT_JOB_MISSED: "missed"}
    events: dict[str, list[str]] = defaultdict(list)
    with use_clock(clock):
        plan = load_plan(AppState(config_path=config))
        prepare_jobs(plan)
        scheduler = build_scheduler(plan.db_url, plan.settings, manual=True)
        scheduler.add_listener(
            lambda e: events[e.job_id].append(kinds[e.code]),
            EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED,
        )
        scheduler.start()
        for _ in range(ticks):
            scheduler.tick()  # type: ignore[attr-defined]
        scheduler.shutdown()
    return dict(events)


def stored_next_runs(db: Path) -> dict[str, datetime]:
    con = sqlite3.connect(db)
    try:
        rows = con.execute("SELECT id, next_run_time FROM apscheduler_jobs").fetchall()
    finally:
        con.close()
    return {job_id: datetime.fromtimestamp(ts, UTC) for job_id, ts in rows}


# -- configuration ----------------------------------------------------------------------------

README_EXAMPLE = """
[schedule]
timezone = "UTC"
misfire_grace_hours = 12

[[schedule.crawl]]
interval = "6h"

[[schedule.crawl]]
sources = ["Quillmate"]
cron = "0 */2 * * mon-fri"
timezone = "Europe/Paris"

[schedule.rescore]
cron = "30 5 * * *"

[schedule.digests.ana]
cron = "0 8 * * mon-fri"
timezone = "America/New_York"
send_empty = false
channels = ["email", "files", "feed"]

[schedule.digests.ben]
cron = "0 18 * * 0"
"""

PROFILES = [ProfileConfig("ana", email="ana@example.org"), ProfileConfig("ben")]
SOURCES = ["Corvidae Systems", "Quillmate"]


def parse(table: dict[str, Any]) -> ScheduleSettings:
    return schedule_settings_from_dict(table, PROFILES, "cfg.toml: schedule", sources=SOURCES)


def test_readme_example_parses() -> None:
    settings = parse(tomllib.loads(README_EXAMPLE)["schedule"])
    assert settings.timezone == "UTC" and settings.misfire_grace_seconds == 12 * 3600
    assert [(c.job_id, c.sources, c.trigger.describe()) for c in settings.crawls] == [
        ("crawl:0", (), "every 6h (UTC)"),
        ("crawl:1", ("Quillmate",), 'cron "0 */2 * * mon-fri" (Europe/Paris)'),
    ]
    assert settings.rescore == TriggerSpec(cron="30 5 * * *", timezone="UTC")
    ana, ben = settings.digests
    assert (ana.profile, ana.timezone, ana.channels) == (
        "ana",
        "America/New_York",
        ("email", "files", "feed"),
    )
    assert (ben.timezone, ben.channels, ben.send_empty, ben.min_score) == ("UTC", None, False, 0.05)
    assert (settings.digest_retry_minutes, settings.claim_stale_minutes) == (15, 60.0)
    # Defaults when the table is empty.
    empty = parse({})
    assert empty.empty and empty.timezone == "UTC" and empty.misfire_grace_hours == 12


@pytest.mark.parametrize(
    ("table", "where", "fragment"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone", "unknown time zone 'Mars/Olympus'"),
        ({"misfire_grace_hours": 0}, "misfire_grace_hours", "more than 0"),
        ({"claim_stale_minutes": -5}, "claim_stale_minutes", "more than 0"),
        ({"digest_retry_minutes": 1.5}, "digest_retry_minutes", "whole number"),
        ({"crawl_every": "6h"}, "crawl_every", "unknown setting"),
        ({"crawl": [{"cron": "0 8 * *"}]}, "crawl[0].cron", "expected 5 fields"),
        ({"crawl": [{"cron": "61 8 * * *"}]}, "crawl[0].cron", "61"),
        ({"crawl": [{"cron": "0 8 1 * mon"}]}, "crawl[0].cron", "not both"),
        ({"crawl": [{"cron": "0 8 * * 1-9"}]}, "crawl[0].cron", "day of week"),
        ({"crawl": [{"interval": "6x"}]}, "crawl[0].interval", "not an interval"),
        ({"crawl": [{"interval": "0m"}]}, "crawl[0].interval", "at least one minute"),
        ({"crawl": [{"interval": "6h", "cron": "0 * * * *"}]}, "crawl[0]", "exactly one"),
        ({"crawl": [{}]}, "crawl[0]", "exactly one"),
        ({"crawl": [{"interval": "1h", "sources": ["Nope"]}]}, "crawl[0].sources", "Nope"),
        ({"rescore": {"every": "1h"}}, "rescore.every", "unknown setting"),
        ({"digests": {"zoe": {"cron": "0 8 * * *"}}}, "digests.zoe", "no profile named 'zoe'"),
        ({"digests": {"ana": {"interval": "1d"}}}, "digests.ana.cron", "required"),
        ({"digests": {"ana": {"cron": "0 8 * * *", "timezone": "EST5"}}}, "digests.ana", "zone"),
        (
            {"digests": {"ana": {"cron": "0 8 * * *", "channels": ["sms"]}}},
            "digests.ana.channels",
            "unknown sms",
        ),
        (
            {"digests": {"ben": {"cron": "0 8 * * *", "channels": ["email"]}}},
            "digests.ben.channels",
            "no email",
        ),
        ({"digests": {"ana": {"cron": "0 8 * * *", "send_empty": "yes"}}}, "digests.ana", "true"),
        ({"digests": ["ana"]}, "digests", "expected tables"),
    ],
)
def test_schedule_errors_name_the_field(table: dict[str, Any], where: str, fragment: str) -> None:
    with pytest.raises(ValueError) as info:
        parse(table)
    message = str(info.value)
    assert message.startswith(f"cfg.toml: schedule.{where}"), message
    assert fragment in message, message


def test_crontab_weekdays_are_standard() -> None:
    saturday = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)
    # 0 and 7 are Sunday, 1-5 Monday to Friday, as in crontab (not APScheduler's 0 = Monday).
    assert cron_trigger("0 9 * * 0", "UTC").get_next_fire_time(None, saturday).day == 1
    assert cron_trigger("0 9 * * 7", "UTC").get_next_fire_time(None, saturday).day == 1
    assert cron_trigger("0 9 * * 1-5", "UTC").get_next_fire_time(None, saturday).day == 2
    assert cron_trigger("0 9 * * 6", "UTC").get_next_fire_time(None, saturday).day == 7
    assert crontab_day_of_week("5-7") == "fri,sat,sun"
    assert crontab_day_of_week("*/2") == "tue,thu,sat,sun"  # 0,2,4,6 = sun,tue,thu,sat


# -- period keys ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cron", "tz", "now", "key"),
    [
        # At or before now, in the digest's zone.
        (
            "0 8 * * mon-fri",
            "America/New_York",
            "2026-11-02T13:00:00+00:00",
            "2026-11-02T08:00:00-05:00",
        ),
        (
            "0 8 * * mon-fri",
            "America/New_York",
            "2026-11-02T12:59:59+00:00",
            "2026-10-30T08:00:00-04:00",
        ),
        # Sunday: the period is still Friday's, from before the DST change.
        (
            "0 8 * * mon-fri",
            "America/New_York",
            "2026-11-01T20:00:00+00:00",
            "2026-10-30T08:00:00-04:00",
        ),
        ("0 8 * * *", "America/New_York", "2026-11-01T12:59:00+00:00", "2026-10-31T08:00:00-04:00"),
        ("0 8 * * *", "America/New_York", "2026-11-01T13:00:00+00:00", "2026-11-01T08:00:00-05:00"),
        # Clocks go back: 01:30 happens twice, two periods.
        (
            "30 1 * * *",
            "America/New_York",
            "2026-11-01T05:45:00+00:00",
            "2026-11-01T01:30:00-04:00",
        ),
        (
            "30 1 * * *",
            "America/New_York",
            "2026-11-01T06:45:00+00:00",
            "2026-11-01T01:30:00-05:00",
        ),
        # Clocks go forward: 02:30 does not exist on 8 March; that day's run is at 03:30 EDT.
        (
            "30 2 * * *",
            "America/New_York",
            "2026-03-08T12:00:00+00:00",
            "2026-03-08T03:30:00-04:00",
        ),
        ("0 9 * * 1", "Europe/Paris", "2026-11-04T00:00:00+00:00", "2026-11-02T09:00:00+01:00"),
        ("@monthly", "Asia/Tokyo", "2026-11-01T00:00:00+00:00", "2026-11-01T00:00:00+09:00"),
        ("0 0 29 2 *", "UTC", "2026-11-01T00:00:00+00:00", "2024-02-29T00:00:00+00:00"),
    ],
)
def test_period_key_is_the_latest_fire_time(cron: str, tz: str, now: str, key: str) -> None:
    assert period_key(cron_trigger(cron, tz), datetime.fromisoformat(now)) == key


def test_period_key_is_the_same_for_every_scheduler_and_catch_up() -> None:
    trigger = cron_trigger("0 8 * * *", "Europe/Berlin")
    on_time = datetime(2026, 11, 2, 7, 0, 5, tzinfo=UTC)
    late = datetime(2026, 11, 3, 6, 59, tzinfo=UTC)  # a catch-up a day later, before the next
    assert period_key(trigger, on_time) == period_key(trigger, late) == "2026-11-02T08:00:00+01:00"
    # Intervals have a fixed phase: midnight, 6 am, ... whenever the scheduler started.
    six = interval_trigger("6h", "UTC")
    assert six.get_next_fire_time(None, datetime(2026, 11, 2, 7, 13, tzinfo=UTC)) == datetime(
        2026, 11, 2, 12, 0, tzinfo=UTC
    )


# -- clock injection --------------------------------------------------------------------------


def test_use_clock_patches_apscheduler_and_restores_it() -> None:
    import apscheduler.executors.base as executors
    import apscheduler.schedulers.base as schedulers

    from scheduler import clock as clock_module

    real = schedulers.datetime
    fake = Clock(datetime(2030, 1, 1, 12, 0, tzinfo=UTC))
    with use_clock(fake):
        assert schedulers.datetime.now(UTC) == fake.now
        assert executors.datetime.now(UTC) == fake.now
        assert clock_module.now() == fake.now
        fake.now += timedelta(hours=5)
        assert schedulers.datetime.now(UTC).hour == 17
    assert schedulers.datetime is real and executors.datetime is real
    assert clock_module.now().year < 2030


def test_manual_scheduler_runs_due_jobs_only_when_ticked() -> None:
    calls: list[datetime] = []
    clock = Clock(datetime(2026, 11, 2, 7, 59, tzinfo=UTC))
    with use_clock(clock):
        scheduler = ManualScheduler(timezone=UTC)
        scheduler.start()
        scheduler.add_job(lambda: calls.append(clock.now), cron_trigger("0 8 * * *", "UTC"), id="x")
        assert scheduler.tick() == pytest.approx(60) and calls == []
        clock.now += timedelta(minutes=1)
        scheduler.tick()
        assert calls == [datetime(2026, 11, 2, 8, 0, tzinfo=UTC)]
        scheduler.shutdown()


# -- jobs in the job store --------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_jobs_have_fixed_ids_options_and_live_in_the_app_database(tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    sources = (
        '[[sources]]\nname = "a"\nkind = "greenhouse"\nboard = "a"\n'
        '[[sources]]\nname = "b"\nkind = "lever"\nboard = "b"\n'
    )
    crawl = (
        '[[schedule.crawl]]\ninterval = "6h"\n'
        '[[schedule.crawl]]\nsources = ["b"]\ncron = "15 * * * *"\n'
        '[schedule.rescore]\ninterval = "12h"\n'
    )
    cfg = write(
        tmp_path / "c.toml",
        config_text(
            f"sqlite:///{db}",
            ["ana", "ben"],
            smtp_port=2525,
            sources=sources,
            schedule="misfire_grace_hours = 6\n" + crawl,
        ),
    )
    with use_clock(Clock(UTC_T0)):
        plan = load_plan(AppState(config_path=cfg))
        report = prepare_jobs(plan).report
        scheduler = build_scheduler(plan.db_url, plan.settings, manual=True)
        scheduler.start(paused=True)
        stored = {job.id: job for job in scheduler.get_jobs()}
        scheduler.shutdown()
    ids = ["crawl:0", "crawl:1", "rescore", "digest:ana", "digest:ben", "digest-retry"]
    assert report.added == ids and sorted(stored) == sorted(ids)
    for job in stored.values():
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 6 * 3600)
        assert job.func_ref.startswith("scheduler.jobs:")
        assert all(isinstance(a, str) for a in job.args)
    assert stored["crawl:1"].args[2:] == ("b",) and stored["crawl:0"].args[2:] == ()
    assert stored["digest:ana"].args[2:] == ("ana", "0 8 * * *", "UTC")
    assert stored["crawl:1"].next_run_time == datetime(2026, 11, 2, 5, 15, tzinfo=UTC)
    # The job store is a table in the application's own database.
    store.make_engine(f"sqlite:///{db}").dispose()
    con = sqlite3.connect(db)
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    con.close()
    assert {"apscheduler_jobs", "digestrun", "posting"} <= tables


def test_restart_keeps_stored_run_times_reschedules_changes_removes_the_rest(
    tmp_path: Path,
) -> None:
    db = tmp_path / "app.db"
    text = config_text(
        f"sqlite:///{db}", ["ana", "ben"], smtp_port=2525, schedule="digest_retry_minutes = 0\n"
    )
    cfg = write(tmp_path / "c.toml", text)
    with use_clock(Clock(UTC_T0)):
        prepare_jobs(load_plan(AppState(config_path=cfg)))
    # Later: ana's digest moves to 9:00, ben's is dropped.
    text = text.replace(
        '[schedule.digests.ana]\ncron = "0 8 * * *"', '[schedule.digests.ana]\ncron = "0 9 * * *"'
    )
    text = text.replace('[schedule.digests.ben]\ncron = "0 8 * * *"\n', "")
    write(cfg, text + '[schedule.rescore]\ninterval = "1d"\n')
    t1 = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
    with use_clock(Clock(t1)):
        report = prepare_jobs(load_plan(AppState(config_path=cfg))).report
    assert (report.added, report.updated, report.removed) == (
        ["rescore"],
        ["digest:ana"],
        ["digest:ben"],
    )
    assert stored_next_runs(db) == {
        "rescore": datetime(2026, 11, 4, 0, 0, tzinfo=UTC),
        "digest:ana": datetime(2026, 11, 4, 9, 0, tzinfo=UTC),  # changed: from now on
    }


def test_list_prints_jobs_in_their_zones_and_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    cfg = write(
        tmp_path / "c.toml",
        config_text(
            f"sqlite:///{db}",
            ["ana"],
            smtp_port=2525,
            digest_cron="0 8 * * mon-fri",
            digest_extra='timezone = "America/New_York"\n',
        ),
    )
    out = io.StringIO()
    with use_clock(Clock(UTC_T0)):
        assert list_schedule(AppState(config_path=cfg), out=out) == 0
    text = out.getvalue()
    assert "digest:ana" in text and 'cron "0 8 * * mon-fri" (America/New_York)' in text
    assert "2026-11-02 08:00 EST (-0500)" in text
    assert "digest-retry" in text and "every 15m (UTC)" in text
    assert stored_next_runs(db) == {}  # listing stored nothing


# -- catch-up after downtime ------------------------------------------------------------------


def test_restart_after_downtime_runs_each_missed_job_once(tmp_path: Path, smtp: SmtpSink) -> None:
    """Persisted at T0, down across three crawl intervals, one rescore and one digest time:
    the restart at T1 runs each job exactly once (the crawl for real, against a local
    board; the digest to a real SMTP server), and nothing more until the next fire time."""
    db = tmp_path / "app.db"
    with serving(demo_routes()) as board:
        source = next(s for s in demo_sources(board.base_url) if s["board"] == "corvidae")
        sources = "[[sources]]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in source.items())
        cfg = write(
            tmp_path / "c.toml",
            config_text(
                f"sqlite:///{db}",
                ["ana"],
                smtp_port=smtp.port,
                sources=sources,
                crawl="[crawl.settings]\nAUTOTHROTTLE_ENABLED = false\nDOWNLOAD_DELAY = 0\n",
                schedule=(
                    '[[schedule.crawl]]\ninterval = "6h"\n'
                    '[schedule.rescore]\ncron = "30 10 * * *"\n'
                ),
                digest_extra="min_score = 0.0\n",
            ),
        )
        clock = Clock(UTC_T0)  # Monday 05:00
        first = run_scheduler(cfg, clock)
        assert first == {"digest-retry": ["run"]}  # 05:00 is on its grid; nothing else due
        assert stored_next_runs(db)["crawl:0"] == datetime(2026, 11, 2, 6, 0, tzinfo=UTC)

        # Down from 05:00 to 19:00: crawls at 06, 12 and 18 missed, rescore at 10:30, the
        # digest at 08:00, and the retry sweep 55 times.
        clock.now = datetime(2026, 11, 2, 19, 0, tzinfo=UTC)
        second = run_scheduler(cfg, clock)
        assert second == {
            "digest-retry": ["run"],
            "crawl:0": ["run"],
            "digest:ana": ["run"],
            "rescore": ["run"],
        }
        again = run_scheduler(cfg, clock)  # a second restart at once: nothing is due
        assert again == {}

    engine = store.make_engine(f"sqlite:///{db}")
    runs = [r for r in store.last_crawl_runs(engine).values()]
    assert len(runs) == 1 and runs[0].status == "ok" and runs[0].new > 0
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM crawlrun").scalar() == 1
    digests = store.list_digests(engine, "ana")
    assert [(d.period_key, d.status) for d in digests] == [("2026-11-02T08:00:00+00:00", "sent")]
    assert digests[0].item_count > 0  # the catch-up crawl ran first: the digest has postings
    engine.dispose()
    assert len(smtp.messages) == 1 and smtp.messages[0]["to"] == ["ana@example.org"]
    assert "2026-11-02T08-00" in str(smtp.messages[0]["message_id"])
    assert stored_next_runs(db) == {
        "crawl:0": datetime(2026, 11, 3, 0, 0, tzinfo=UTC),
        "rescore": datetime(2026, 11, 3, 10, 30, tzinfo=UTC),
        "digest:ana": datetime(2026, 11, 3, 8, 0, tzinfo=UTC),
        "digest-retry": datetime(2026, 11, 2, 19, 15, tzinfo=UTC),
    }


def test_a_run_missed_by_more_than_the_grace_is_skipped(tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    cfg = write(
        tmp_path / "c.toml",
        config_text(
            f"sqlite:///{db}",
            ["ana"],
            delivery_extra=f'out_dir = "{tmp_path / "out"}"\n',
            schedule="misfire_grace_hours = 12\ndigest_retry_minutes = 0\n",
            digest_extra='send_empty = true\nchannels = ["files"]\n',
        ),
    )
    clock = Clock(UTC_T0)  # Monday 05:00
    assert run_scheduler(cfg, clock) == {}
    # Back on Tuesday at 21:00: Monday's and Tuesday's 08:00 runs were missed, the latest by
    # 13 hours (> 12): skipped, not caught up.
    clock.now = datetime(2026, 11, 3, 21, 0, tzinfo=UTC)
    assert run_scheduler(cfg, clock) == {"digest:ana": ["missed"]}
    assert stored_next_runs(db) == {"digest:ana": datetime(2026, 11, 4, 8, 0, tzinfo=UTC)}
    clock.now = datetime(2026, 11, 4, 9, 0, tzinfo=UTC)
    assert run_scheduler(cfg, clock) == {"digest:ana": ["run"]}
    engine = store.make_engine(f"sqlite:///{db}")
    assert [(d.period_key, d.status) for d in store.list_digests(engine)] == [
        ("2026-11-04T08:00:00+00:00", "sent")
    ]
    engine.dispose()


# -- failures -----------------------------------------------------------------------------------


def test_smtp_down_is_not_sent_and_the_retry_delivers_once(tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    port = free_port()  # nothing listens there yet
    cfg = write(
        tmp_path / "c.toml",
        config_text(
            f"sqlite:///{db}",
            ["ana"],
            smtp_port=port,
            schedule="digest_retry_minutes = 15\n",
            digest_extra="min_score = 0.0\n",
        ),
    )
    seed_postings(f"sqlite:///{db}", datetime(2026, 11, 2, 6, 0, tzinfo=UTC))
    clock = Clock(datetime(2026, 11, 2, 7, 0, tzinfo=UTC))
    run_scheduler(cfg, clock)
    engine = store.make_engine(f"sqlite:///{db}")

    def status() -> list[tuple[str, str]]:
        return [(d.period_key, d.status) for d in store.list_digests(engine, "ana")]

    clock.now = datetime(2026, 11, 2, 8, 0, 30, tzinfo=UTC)
    # The retry sweep (due since 07:15) runs first and finds nothing; then the digest fails.
    assert run_scheduler(cfg, clock) == {"digest-retry": ["run"], "digest:ana": ["run"]}
    assert status() == [("2026-11-02T08:00:00+00:00", "failed")]
    assert "cannot connect" in (store.list_digests(engine, "ana")[0].error or "")

    clock.now = datetime(2026, 11, 2, 8, 15, tzinfo=UTC)  # retry, still down
    assert run_scheduler(cfg, clock) == {"digest-retry": ["run"]}
    assert status() == [("2026-11-02T08:00:00+00:00", "failed")]

    sink = SmtpSink(port).start()  # the server is back
    try:
        for minute in (30, 45):  # the first retry delivers, the next finds nothing to do
            clock.now = datetime(2026, 11, 2, 8, minute, tzinfo=UTC)
            assert run_scheduler(cfg, clock) == {"digest-retry": ["run"]}
        assert status() == [("2026-11-02T08:00:00+00:00", "sent")]
        clock.now = datetime(2026, 11, 3, 8, 0, 30, tzinfo=UTC)  # next day: nothing new
        run_scheduler(cfg, clock)
        assert status() == [("2026-11-02T08:00:00+00:00", "sent")]
        assert len(sink.messages) == 1 and sink.messages[0]["to"] == ["ana@example.org"]
    finally:
        sink.stop()
        engine.dispose()


def test_an_abandoned_claim_is_retaken_after_the_stale_window(
    tmp_path: Path, smtp: SmtpSink
) -> None:
    db = tmp_path / "app.db"
    cfg = write(
        tmp_path / "c.toml",
        config_text(
            f"sqlite:///{db}",
            ["ana"],
            smtp_port=smtp.port,
            schedule="digest_retry_minutes = 15\nclaim_stale_minutes = 30\n",
            digest_extra="min_score = 0.0\n",
        ),
    )
    seed_postings(f"sqlite:///{db}", datetime(2026, 11, 2, 6, 0, tzinfo=UTC))
    clock = Clock(datetime(2026, 11, 2, 8, 0, 30, tzinfo=UTC))
    run_scheduler(cfg, Clock(datetime(2026, 11, 2, 7, 0, tzinfo=UTC)))
    engine = store.make_engine(f"sqlite:///{db}")
    # A scheduler claimed ana's 08:00 digest and died before sending it.
    key = "2026-11-02T08:00:00+00:00"
    assert store.claim_digest(engine, "ana", key, clock.now) is not None
    # The digest job finds the period taken; the sweep finds a fresh claim: nothing is sent.
    assert run_scheduler(cfg, clock) == {"digest-retry": ["run"], "digest:ana": ["run"]}
    assert smtp.messages == []
    clock.now = datetime(2026, 11, 2, 8, 15, tzinfo=UTC)
    run_scheduler(cfg, clock)  # claimed 14.5 minutes ago: maybe still sending, left alone
    assert smtp.messages == []
    clock.now = datetime(2026, 11, 2, 8, 45, tzinfo=UTC)
    run_scheduler(cfg, clock)  # 44.5 minutes: abandoned, retaken, sent once
    assert [(d.period_key, d.status) for d in store.list_digests(engine, "ana")] == [(key, "sent")]
    assert len(smtp.messages) == 1
    engine.dispose()


def test_a_crashed_crawl_is_recorded_failed_and_the_scheduler_goes_on(
    tmp_path: Path,
) -> None:
    db = tmp_path / "app.db"
    cfg = write(
        tmp_path / "c.toml",
        config_text(
            f"sqlite:///{db}",
            ["ana"],
            sources='[[sources]]\nname = "acme"\nkind = "greenhouse"\nboard = "acme"\n'
            'base_url = "http://127.0.0.1:9"\n',
            # Far too short: the crawl is interrupted while Python is still starting.
            crawl="[crawl]\ntimeout = 0.2\n",
            delivery_extra=f'out_dir = "{tmp_path / "out"}"\n',
            schedule='digest_retry_minutes = 0\n[[schedule.crawl]]\ninterval = "1h"\n',
            digest_extra='send_empty = true\nchannels = ["files"]\n',
        ),
    )
    clock = Clock(datetime(2026, 11, 2, 7, 30, tzinfo=UTC))
    run_scheduler(cfg, clock)
    clock.now = datetime(2026, 11, 2, 8, 0, 30, tzinfo=UTC)
    events = run_scheduler(cfg, clock)
    assert events == {"crawl:0": ["run"], "digest:ana": ["run"]}  # the digest still ran
    engine = store.make_engine(f"sqlite:///{db}")
    run = store.last_crawl_runs(engine)["acme"]
    # Usually the crawl is stopped while Python is still starting, and the scheduler records
    # the timeout; when the crawl starts fast, the unreachable host has already failed it on
    # its own (its robots.txt), and the crawl recorded that. Failed either way.
    assert run.status == "failed"
    assert "timed out" in (run.error or "") or "not crawled" in (run.error or ""), run.error
    assert [d.status for d in store.list_digests(engine)] == ["sent"]
    engine.dispose()
