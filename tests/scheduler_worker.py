"""A scheduler process for the tests: the real job setup, the real job functions.

    python tests/scheduler_worker.py tick   --config C --now ISO [--ehlo NAME]
    python tests/scheduler_worker.py daemon --config C [--log-file F]
    python tests/scheduler_worker.py list   --config C [--now ISO]

`tick`: reconcile the job store as the daemon does, then run a `ManualScheduler` whose clock
(and the job functions' clock) is fixed at --now, tick once (every due job, catch-ups
coalesced), shut down, and print a JSON summary of the job events on stdout. `--ehlo` sets
the name this process greets the SMTP server with, so a test can tell the workers apart.
`daemon` and `list` call `internscout.schedule_cli.run_schedule` (the `schedule` command).
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["tick", "daemon", "list"])
    parser.add_argument("--config", required=True, type=Path)
    parser.add_argument("--now", help="ISO time with offset (tick, list)")
    parser.add_argument("--ehlo", help="EHLO name for SMTP (tick)")
    parser.add_argument("--log-file", type=Path)
    args = parser.parse_args(argv)

    from internscout.app import AppState
    from internscout.schedule_cli import run_schedule
    from scheduler.clock import use_clock

    state = AppState(config_path=args.config)
    if args.mode == "daemon":
        return run_schedule(state, list_only=False, log_file=args.log_file)
    now = datetime.fromisoformat(args.now) if args.now else None
    if args.mode == "list":
        if now is None:
            return run_schedule(state, list_only=True)
        with use_clock(lambda: now):
            return run_schedule(state, list_only=True)

    assert now is not None and now.tzinfo is not None, "--now needs an offset"
    if args.ehlo:
        name = args.ehlo
        socket.getfqdn = lambda _name="": name  # smtplib's default EHLO name
    import logging

    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED

    from scheduler.plan import build_scheduler, load_plan, prepare_jobs
    from scheduler.runtime import set_process_config

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    events: Counter[str] = Counter()
    results: dict[str, object] = {}

    def listener(event: object) -> None:
        kind = {EVENT_JOB_EXECUTED: "executed", EVENT_JOB_ERROR: "error"}.get(
            event.code,  # type: ignore[attr-defined]
            "missed",
        )
        events[kind] += 1
        if kind == "executed":
            results[event.job_id] = event.retval  # type: ignore[attr-defined]

    with use_clock(lambda: now):
        plan = load_plan(state)
        prepare_jobs(plan)
        set_process_config(plan.config_path, plan.db_override)  # as the daemon does
        scheduler = build_scheduler(plan.db_url, plan.settings, manual=True)
        scheduler.add_listener(listener, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
        scheduler.start()
        scheduler.tick()  # type: ignore[attr-defined]
        scheduler.shutdown()
    statuses = Counter(str(r.get("status")) for r in results.values() if isinstance(r, dict))
    print(json.dumps({"events": events, "statuses": statuses, "results": results}, default=str))
    return 0


# -- helpers shared by the scheduler tests (imported from tests/test_scheduler*.py) ------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SmtpSink:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it accepts.

    `hold_rcpt`: the reply to a message for a recipient containing this text is held until
    `release` is set. With `accept_held` the server keeps the message as soon as its DATA
    arrives (the client may die before the reply); without, it answers 451 and keeps nothing.
    """

    def __init__(self, port: int | None = None) -> None:
        import threading

        self.port = port or free_port()
        self.messages: list[dict[str, object]] = []
        self.held: list[dict[str, object]] = []
        self.hold_rcpt: str | None = None
        self.accept_held = False
        self.release = threading.Event()
        self._controller: object | None = None

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        import asyncio
        import email

        msg = email.message_from_bytes(envelope.content)  # type: ignore[attr-defined]
        record = {
            "message_id": msg["Message-ID"],
            "to": list(envelope.rcpt_tos),  # type: ignore[attr-defined]
            "subject": msg["Subject"],
            "ehlo": session.host_name,  # type: ignore[attr-defined]
        }
        if self.hold_rcpt and any(self.hold_rcpt in r for r in record["to"]):  # type: ignore[attr-defined]
            if self.accept_held:
                # The server has the message (queued) before it answers; a client that dies
                # now never learns that it was accepted.
                self.messages.append(record)
            self.held.append(record)
            while not self.release.is_set():
                await asyncio.sleep(0.01)
            if self.accept_held:
                return "250 2.0.0 accepted"
            return "451 4.3.0 try again later"
        self.messages.append(record)
        return "250 2.0.0 accepted"

    def start(self) -> SmtpSink:
        from aiosmtpd.controller import Controller

        controller = Controller(self, hostname="127.0.0.1", port=self.port)
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()  # type: ignore[attr-defined]
            self._controller = None

    def ids(self) -> list[str]:
        return [str(m["message_id"]) for m in self.messages]


def config_text(
    db_url: str,
    profiles: list[str],
    *,
    smtp_port: int | None = None,
    sources: str = "sources = []",
    schedule: str = "",
    digest_cron: str = "0 8 * * *",
    digest_extra: str = "",
    delivery_extra: str = "",
    crawl: str = "",
) -> str:
    """A config file: the database, `profiles` (name -> name@example.org), [delivery] (SMTP
    on 127.0.0.1:`smtp_port`, no backoff) and [schedule] with a digest per profile."""
    database = f"[database]\nurl = {json.dumps(db_url)}\n"
    # Top-level keys (`sources = []`) before any table; [[sources]] tables anywhere.
    lines = [sources, database] if not sources.lstrip().startswith("[") else [database, sources]
    for name in profiles:
        lines.append(
            f'[[profiles]]\nname = "{name}"\nemail = "{name}@example.org"\n'
            'skills = ["python", "sql", "pandas"]\n'
            'interests = "data science internship with python and sql"\n'
        )
    lines.append(crawl)
    lines.append(f"[delivery]\nmax_attempts = 1\nbackoff_seconds = 0\n{delivery_extra}")
    if smtp_port:
        lines.append(
            f'[delivery.smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\n'
            'security = "none"\nfrom = "InternScout <scout@example.org>"\ntimeout = 10\n'
        )
    lines.append(f"[schedule]\n{schedule}")
    for name in profiles:
        lines.append(f'[schedule.digests.{name}]\ncron = "{digest_cron}"\n{digest_extra}')
    return "\n".join(lines) + "\n"


def seed_postings(db_url: str, now: datetime, count: int = 4) -> None:
    """A few open internship postings, as a crawl would store them."""
    import store

    engine = store.make_engine(db_url)
    try:
        store.upsert_postings(
            engine,
            [
                store.PostingIn(
                    source_kind="greenhouse",
                    board="acme",
                    external_id=str(i),
                    title=f"Summer Intern {i}",
                    company=f"Acme {i}",
                    url=f"https://jobs.example.org/acme/{i}",
                    locations=["Remote"],
                    workplace_type="remote",
                    employment_type="Intern",
                    description_text=(
                        "Summer internship for students: join our team, help with projects "
                        "and present what you found."
                    ),
                    posted_at=now,
                )
                for i in range(count)
            ],
            now,
        )
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
