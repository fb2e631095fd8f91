"""Schedulers as separate processes (tests/scheduler_worker.py) on one database: each digest
is delivered exactly once, even with two schedulers racing and one of them SIGKILLed in the
middle of a batch; and the `schedule` daemon's start-up, catch-up and shutdown."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from scheduler_worker import SmtpSink, config_text, seed_postings
from sqlalchemy.engine import make_url

import store
from internscout.app import AppState
from internscout.replay import Reply, serving
from scheduler import runtime
from scheduler.clock import use_clock
from scheduler.plan import load_plan, prepare_jobs

ROOT = Path(__file__).resolve().parents[1]
WORKER = Path(__file__).with_name("scheduler_worker.py")
PG_URL = os.environ.get("INTERNSCOUT_TEST_PG_URL")

T_PREPARED = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)  # the schedulers last ran at 07:00
T_DUE = datetime(2026, 11, 2, 8, 0, 30, tzinfo=UTC)  # the 08:00 digests are due
T_RESTART = datetime(2026, 11, 2, 8, 6, 30, tzinfo=UTC)  # after the 5-minute stale window
PERIOD = "2026-11-02T08:00:00+00:00"
SCHEDULE = "digest_retry_minutes = 5\nclaim_stale_minutes = 5\n"


@pytest.fixture(autouse=True)
def _fresh_engines() -> Iterator[None]:
    yield
    runtime.dispose_engines()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database; on PostgreSQL a schema of its own (search_path in the URL), so that
    other test runs sharing the server cannot drop or create tables under the workers."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared.db'}"
        return
    if not PG_URL:
        pytest.skip("no PostgreSQL server configured (set INTERNSCOUT_TEST_PG_URL; .ci/run does)")
    schema = f"scheduler_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    url = (
        make_url(PG_URL)
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )
    admin = store.make_engine(PG_URL, create=False)
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        yield url
    finally:
        runtime.dispose_engines()
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.release.set()
    sink.stop()


def wait_for(ready: Callable[[], Any], limit: float, what: str) -> Any:
    """Poll (bounded) for something another process does."""
    deadline = time.monotonic() + limit
    while True:
        value = ready()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def start_worker(config: Path, now: datetime, ehlo: str) -> subprocess.Popen[str]:
    cmd = [sys.executable, str(WORKER), "tick", "--config", str(config), "--now", now.isoformat()]
    return subprocess.Popen(
        [*cmd, "--ehlo", ehlo],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen[str], limit: float = 90) -> dict[str, Any]:
    out, err = proc.communicate(timeout=limit)
    assert proc.returncode == 0, err[-4000:]
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def kill(proc: subprocess.Popen[str]) -> None:
    proc.kill()  # SIGKILL: no cleanup of any kind
    proc.communicate(timeout=30)


def digest_runs(db_url: str) -> list[tuple[str, str, str]]:
    engine = store.make_engine(db_url, create=False)
    try:
        return [(d.profile_name, d.period_key, d.status) for d in store.list_digests(engine)]
    finally:
        engine.dispose()


def setup_schedulers(tmp_path: Path, db_url: str, names: list[str], smtp_port: int) -> Path:
    """Postings in the store, the matcher fitted, and the jobs stored by a scheduler that last
    ran at 07:00, as a day of crawling and scheduling would have left them."""
    config = tmp_path / "config.toml"
    config.write_text(
        config_text(
            db_url,
            names,
            smtp_port=smtp_port,
            schedule=SCHEDULE,
            digest_extra="min_score = 0.0\n",
        ),
        encoding="utf-8",
    )
    seed_postings(db_url, T_PREPARED - timedelta(hours=1))
    with use_clock(lambda: T_PREPARED):
        state = AppState(config_path=config)
        state.rescore_all()  # fit the matcher and score every profile, as a rescore job would
        state.engine().dispose()
        prepare_jobs(load_plan(AppState(config_path=config)))
    return config


def test_two_schedulers_and_a_kill_deliver_every_digest_exactly_once(
    db_url: str, tmp_path: Path, smtp: SmtpSink, capsys: pytest.CaptureFixture[str]
) -> None:
    """100 profiles due at 08:00, two scheduler processes on the same database. The one that
    is delivering p050's digest is SIGKILLed while the SMTP server holds that message (not yet
    accepted); the other finishes the batch. Restarted after the stale window, the killed
    scheduler's retry job retakes the abandoned claim. Result: 100 e-mails, 100 distinct
    Message-IDs, one per recipient, one sent DigestRun per profile."""
    names = [f"p{i:03d}" for i in range(100)]
    config = setup_schedulers(tmp_path, db_url, names, smtp.port)
    smtp.hold_rcpt = "p050@"
    started = time.monotonic()
    workers = {
        "worker-a.test": start_worker(config, T_DUE, "worker-a.test"),
        "worker-b.test": start_worker(config, T_DUE, "worker-b.test"),
    }
    held = wait_for(lambda: smtp.held, 90, "p050's e-mail to reach the SMTP server")
    holder = str(held[0]["ehlo"])
    survivor = next(name for name in workers if name != holder)
    sent_before_kill = len(smtp.messages)
    kill(workers[holder])
    smtp.hold_rcpt = None
    smtp.release.set()  # the held message is refused (451): the killed worker never knew
    finish(workers[survivor])
    pending = [r for r in digest_runs(db_url) if r[2] != "sent"]
    assert pending == [("p050", PERIOD, "claimed")]  # the dead scheduler's claim

    restarted = finish(start_worker(config, T_RESTART, holder))
    assert restarted["results"]["digest-retry"]["retried"] == {"p050": "sent"}

    ids = smtp.ids()
    recipients = sorted(r for m in smtp.messages for r in m["to"])  # type: ignore[attr-defined]
    assert len(ids) == 100 and len(set(ids)) == 100
    assert recipients == [f"{n}@example.org" for n in names]
    runs = digest_runs(db_url)
    per_profile = Counter(profile for profile, _, _ in runs)
    assert set(per_profile.values()) == {1} and len(per_profile) == 100
    assert {(period, status) for _, period, status in runs} == {(PERIOD, "sent")}
    by_worker = Counter(str(m["ehlo"]) for m in smtp.messages)
    with capsys.disabled():
        print(
            f"\n[{db_url.split(':')[0]}] e-mails={len(ids)} distinct_ids={len(set(ids))} "
            f"digests_per_profile={sorted(set(per_profile.values()))} "
            f"sent_before_kill={sent_before_kill} killed={holder} by_worker={dict(by_worker)} "
            f"seconds={time.monotonic() - started:.1f}"
        )


def test_a_kill_after_the_server_accepted_resends_under_the_same_message_id(
    tmp_path: Path, smtp: SmtpSink
) -> None:
    """The residual window, shown: the scheduler dies after the SMTP server has the message
    but before the database says "sent". The retry sends it again; the copy carries the same
    Message-ID (one per profile and period), so it is recognisable as a duplicate."""
    db_url = f"sqlite:///{tmp_path / 'shared.db'}"
    names = [f"p{i:03d}" for i in range(5)]
    config = setup_schedulers(tmp_path, db_url, names, smtp.port)
    smtp.hold_rcpt, smtp.accept_held = "p002@", True
    worker = start_worker(config, T_DUE, "worker-a.test")
    wait_for(lambda: smtp.held, 60, "p002's e-mail to reach the SMTP server")
    kill(worker)
    smtp.hold_rcpt = None
    smtp.release.set()
    assert len(smtp.messages) == 3  # p000, p001 and p002: the server has p002's message

    restarted = finish(start_worker(config, T_RESTART, "worker-a.test"))
    assert restarted["results"]["digest-retry"]["retried"] == {"p002": "sent"}
    assert restarted["results"]["digest:p003"]["status"] == "sent"  # never reached: caught up
    ids = Counter(smtp.ids())
    assert len(smtp.messages) == 6 and len(ids) == 5
    (duplicate, copies), *_ = ids.most_common(1)
    assert copies == 2 and [m["to"] for m in smtp.messages if m["message_id"] == duplicate] == [
        ["p002@example.org"],
        ["p002@example.org"],
    ]
    assert sorted(digest_runs(db_url)) == [(n, PERIOD, "sent") for n in names]


# -- the daemon ---------------------------------------------------------------------------------


def run_daemon(config: Path, log_file: Path | None = None) -> subprocess.Popen[str]:
    cmd = [sys.executable, str(WORKER), "daemon", "--config", str(config)]
    if log_file is not None:
        cmd += ["--log-file", str(log_file)]
    return subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.mark.parametrize(
    ("digest", "message"),
    [
        (
            '[schedule.digests.ana]\ncron = "0 25 * * *"\n',
            "schedule.digests.ana.cron: '0 25 * * *'",
        ),
        ('[schedule.digests.zoe]\ncron = "0 8 * * *"\n', "no profile named 'zoe'"),
        ('[schedule.digests.ana]\ncron = "0 8 * * *"\n', "no delivery channel"),
        (
            '[schedule.digests.ana]\ncron = "0 8 * * *"\nchannels = ["email"]\n',
            "email asked for but [delivery] has no [delivery.smtp]",
        ),
        ("", "no [schedule] jobs"),
    ],
)
def test_daemon_exits_2_on_a_configuration_error(tmp_path: Path, digest: str, message: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "app.db"}"\n'
        '[[profiles]]\nname = "ana"\nemail = "ana@example.org"\n'
        f"[schedule]\n{digest}",
        encoding="utf-8",
    )
    proc = run_daemon(config)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    assert err.startswith("error: ") and message in err and "Traceback" not in err


def test_daemon_catches_up_once_then_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    """The real daemon (BlockingScheduler, thread pool, real clock): jobs stored 3.5 hours ago
    by an hourly schedule run once at start-up, not three times; SIGTERM stops it with 0."""
    config = tmp_path / "config.toml"
    config.write_text(
        config_text(
            f"sqlite:///{tmp_path / 'app.db'}",
            ["ana"],
            schedule='[schedule.rescore]\ninterval = "1h"\n',
        ).split("[schedule.digests.ana]")[0],
        encoding="utf-8",
    )
    stopped_at = datetime.now(UTC) - timedelta(hours=3, minutes=30)
    with use_clock(lambda: stopped_at):
        prepare_jobs(load_plan(AppState(config_path=config)))
    log_file = tmp_path / "daemon.log"
    proc = run_daemon(config, log_file)
    try:
        wait_for(
            lambda: log_file.exists() and "rescore: 2 profile(s)" in log_file.read_text(),
            60,
            "the catch-up rescore",
        )
    finally:
        proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    log = log_file.read_text()
    assert proc.returncode == 0, log + err
    assert log.count('Running job "rescore') == 1, log
    assert "one catch-up run now" in log and "scheduled rescore" in log
    assert "SIGTERM: stopping" in log and "scheduler stopped" in log
    assert err == ""  # everything went to the log file


def test_daemon_shutdown_wait_is_bounded(tmp_path: Path) -> None:
    """SIGTERM while a crawl is still running: the daemon waits shutdown_grace_seconds for
    it, then exits 1 instead of hanging."""
    release = threading.Event()

    def slow_board(_path: str, _query: dict[str, list[str]]) -> Reply:
        release.wait(60)
        return Reply.json({"jobs": []})

    with serving({"/v1/boards/acme/jobs": slow_board}) as board:
        config = tmp_path / "config.toml"
        config.write_text(
            config_text(
                f"sqlite:///{tmp_path / 'app.db'}",
                ["ana"],
                sources=(
                    '[[sources]]\nname = "acme"\nkind = "greenhouse"\nboard = "acme"\n'
                    f'base_url = "{board.base_url}"\n'
                ),
                schedule='shutdown_grace_seconds = 0.5\n[[schedule.crawl]]\ninterval = "1h"\n',
            ).split("[schedule.digests.ana]")[0],
            encoding="utf-8",
        )
        with use_clock(lambda: datetime.now(UTC) - timedelta(hours=1)):
            prepare_jobs(load_plan(AppState(config_path=config)))  # a crawl is due at start
        log_file = tmp_path / "daemon.log"
        proc = run_daemon(config, log_file)
        try:
            wait_for(lambda: board.requests, 60, "the crawl to reach the board")
        finally:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=30)
        finally:
            release.set()  # let the orphaned crawl subprocess finish
    log = log_file.read_text()
    assert proc.returncode == 1, log
    assert "1 job(s) still running after 0.5 s: exiting anyway" in log
