"""`digest --send`, `digest --status` and `schedule --list` through the CLI runner."""

from __future__ import annotations

import json
from email import message_from_bytes
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from typer.testing import CliRunner

from internscout.app import AppState
from internscout.cli import app

POSTINGS = [
    {"title": "Machine Learning Intern", "company": "Acme AI", "url": "https://acme.example/1",
     "description": "Summer internship building NLP models with Python, PyTorch and SQL.",
     "location": "Boston, MA", "posted_at": "2026-10-28"},
    {"title": "Data Science Intern", "company": "Riverside Hospital", "url": "https://rh.example/3",
     "description": "Internship analysing patient outcomes with Python, pandas and SQL.",
     "location": "New York, NY", "posted_at": "2026-10-25"},
]  # fmt: skip


class Sink:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp():
    import socket

    with socket.socket() as probe:  # a free port: aiosmtpd's start check can't use port 0
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


def write_config(tmp_path: Path, port: int) -> Path:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "d.db"}"\n'
        f'[delivery]\nout_dir = "out"\n[delivery.smtp]\nhost = "127.0.0.1"\nport = {port}\n'
        'security = "none"\nfrom = "InternScout <bot@example.org>"\n'
        '[[profiles]]\nname = "ana"\nemail = "ana@example.edu"\nskills = ["python", "sql"]\n'
        '[schedule]\ntimezone = "UTC"\n[[schedule.crawl]]\ninterval = "6h"\n'
        '[schedule.digests.ana]\ncron = "0 8 * * mon-fri"\n'
    )
    data = tmp_path / "p.jsonl"
    data.write_text("\n".join(json.dumps(p) for p in POSTINGS) + "\n")
    return cfg


def test_digest_send_status_and_schedule_list(tmp_path: Path, smtp, clock):
    sink, port = smtp
    cfg = write_config(tmp_path, port)
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, ["--config", str(cfg), *args], obj=AppState(clock=clock),
                             catch_exceptions=False)  # fmt: skip

    assert run("import", str(tmp_path / "p.jsonl")).exit_code == 0
    sent = run("digest", "--profile", "ana", "--send")
    assert sent.exit_code == 0, sent.output
    assert len(sink.messages) == 1
    msg = message_from_bytes(sink.messages[0])
    assert msg["To"] == "ana@example.edu" and "ana" in msg["Subject"]
    assert list((tmp_path / "out").glob("*.html"))
    # Nothing new: nothing sent again.
    clock.advance(minutes=5)
    again = run("digest", "--profile", "ana", "--send")
    assert again.exit_code == 0 and len(sink.messages) == 1

    status = run("digest", "--status")
    assert "sent" in status.output and "ana" in status.output

    listed = run("schedule", "--list")
    assert listed.exit_code == 0, listed.output
    assert "crawl:0" in listed.output and "digest:ana" in listed.output


def test_digest_send_smtp_down_is_not_sent(tmp_path: Path, clock):
    cfg = write_config(tmp_path, 9)  # nothing listens on port 9
    text = cfg.read_text().replace('security = "none"', 'security = "none"\ntimeout = 2')
    cfg.write_text(text.replace("[delivery]\n", "[delivery]\nmax_attempts = 1\n"))
    runner = CliRunner()
    runner.invoke(
        app, ["--config", str(cfg), "import", str(tmp_path / "p.jsonl")], obj=AppState(clock=clock)
    )
    result = runner.invoke(
        app, ["--config", str(cfg), "digest", "-p", "ana", "--send"], obj=AppState(clock=clock)
    )
    assert result.exit_code == 1
    assert "delivery failed" in result.output
    status = runner.invoke(
        app, ["--config", str(cfg), "digest", "--status"], obj=AppState(clock=clock)
    )
    assert "failed" in status.output
