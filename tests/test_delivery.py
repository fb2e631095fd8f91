"""Digest delivery: e-mail through a real SMTP server on 127.0.0.1 (aiosmtpd), files, Atom.

Each message is parsed back with the `email` package; the HTML and Markdown are parsed to
check that the summary's counts are the counts of what is listed.
"""

from __future__ import annotations

import email
import email.policy
import logging
import re
import shutil
import socket
import ssl
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

import store
from scheduler.atom_feed import ATOM_NS, update_feed
from scheduler.delivery import deliver_digest
from scheduler.delivery_settings import (
    DeliveryConfigError,
    DeliverySettings,
    ProfileInfo,
    SmtpSettings,
    delivery_settings_from_dict,
)
from scheduler.digest import build_digest
from store import PostingIn, RankFilter

A = f"{{{ATOM_NS}}}"
PASSWORD = "s3cret-Pa55word"


# -- a real SMTP server ------------------------------------------------------------------------


class Collector:
    """aiosmtpd handler: keeps every accepted message; refuses the addresses it is told to."""

    def __init__(self, refuse: dict[str, str] | None = None) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse = refuse or {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(msg)  # type: ignore[arg-type]
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def smtp_server(
    handler: Collector, port: int | None = None, **kwargs
) -> Iterator[tuple[Collector, int]]:
    port = port or free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
def server() -> Iterator[tuple[Collector, int]]:
    with smtp_server(Collector()) as s:
        yield s


def smtp(port: int, **kw) -> SmtpSettings:
    kw.setdefault("security", "none")
    kw.setdefault("sender", "InternScout <digests@scout.example>")
    return SmtpSettings(host="127.0.0.1", port=port, timeout=5, **kw)


def settings(tmp_path: Path, port: int | None = None, **kw) -> DeliverySettings:
    kw.setdefault("backoff_seconds", 0.5)
    return DeliverySettings(
        smtp=smtp(port) if port else kw.pop("smtp", None),
        out_dir=tmp_path / "out",
        feed_dir=tmp_path / "feeds",
        **kw,
    )


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


ANA = ProfileInfo("ana", "ana@student.example", skills=("Python", "pandas"))


# -- data --------------------------------------------------------------------------------------


@dataclass
class Spec:
    title: str
    company: str
    sector: str = "tech"
    score: float = 0.5
    deadline_days: int | None = None
    matched: list[str] = field(default_factory=lambda: ["Python"])
    missing: list[str] = field(default_factory=lambda: ["SQL"])
    remote: bool = False


def seed(engine, now, specs: list[Spec], start: int = 0, profile: str = "ana") -> list[int]:
    """Postings with analyses and scores for `profile`; external ids start at `start`."""
    records = [
        PostingIn(
            source_kind="greenhouse",
            board="b",
            external_id=str(start + i),
            title=s.title,
            company=s.company,
            url=f"https://jobs.example/{start + i}",
            locations=["Boston, MA"],
            workplace_type="remote" if s.remote else "onsite",
            posted_at=now,
            deadline=now.date() + timedelta(days=s.deadline_days)
            if s.deadline_days is not None
            else None,
        )
        for i, s in enumerate(specs)
    ]
    store.upsert_postings(engine, records, now)
    by_eid = {p.external_id: p for p in store.get_postings(engine)}
    analyses, scores, ids = [], [], []
    for i, s in enumerate(specs):
        p = by_eid[str(start + i)]
        ids.append(p.id)
        analyses.append(
            {
                "posting_id": p.id,
                "posting_hash": p.content_hash,
                "model_version": "t",
                "is_internship": True,
                "internship_evidence": "title",
                "sector": s.sector,
                "sector_scores": {s.sector: 1.0},
                "role": "data_science",
                "skills": [],
                "seniority": None,
                "years_required": None,
            }
        )
        scores.append(
            {
                "profile_name": profile,
                "posting_id": p.id,
                "score": s.score,
                "parts": {"skills": s.score},
                "reasons": [f"Reason {start + i}: skills match"],
                "matched_skills": s.matched,
                "missing_skills": s.missing,
                "posting_hash": p.content_hash,
                "profile_hash": "h",
                "model_version": "t",
                "computed_at": now,
            }
        )
    store.save_analyses(engine, analyses)
    store.save_scores(engine, scores)
    return ids


def rows(engine, now):
    return store.ranked(engine, RankFilter(profile_name="ana", open_only=True, today=now.date()))


MIXED = [
    Spec("ML Intern", "Acme", "tech", 0.95, matched=["Python", "PyTorch"], missing=["SQL"]),
    Spec("Data Intern", "Acme", "tech", 0.93, deadline_days=3),
    Spec("Platform Intern", "ACME ", "tech", 0.91),  # same employer, other spelling
    Spec("Analytics Intern", "Acme", "tech", 0.90),  # the 4th from Acme: held back
    Spec("Clinical Data Intern", "General Hospital", "healthcare", 0.80, missing=["R", "SQL"]),
    Spec("Quant Intern", "Ledger & Co", "finance", 0.70, deadline_days=12),
    Spec("Civic Tech Intern", "Civic Lab", "nonprofit", 0.60, remote=True, missing=[]),
    Spec("Lab Intern", "State University", "research", 0.50, deadline_days=0, matched=[]),
]


# -- parsing what was delivered -----------------------------------------------------------------


class DigestHTML(HTMLParser):
    """Items per sector heading, closing-soon lines, the summary's text, links, images."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.sections: dict[str, list[str]] = {}
        self.headings: dict[str, int] = {}
        self.closing: list[str] = []
        self.summary = ""
        self.links: list[str] = []
        self.images: list[str] = []
        self._in: str | None = None
        self._h2 = ""
        self._section: str | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = a.get("class") or ""
        if tag == "h2":
            self._in, self._h2 = "h2", ""
        elif tag == "p" and a.get("id") == "summary":
            self._in = "summary"
        elif tag == "div" and cls == "item":
            assert self._section is not None
            self.sections[self._section].append(a["id"])
        elif tag == "li" and cls == "closing-item":
            self.closing.append("")
        elif tag == "a":
            self.links.append(a["href"])
        elif tag == "img":
            self.images.append(a["src"])

    def handle_endtag(self, tag):
        if tag == "h2" and self._in == "h2":
            title, n = re.fullmatch(r"(.+) \((\d+)\)", self._h2.strip()).groups()
            self.headings[title] = int(n)
            self._section = title
            self.sections[title] = []
            self._in = None
        elif tag == "p" and self._in == "summary":
            self._in = None

    def handle_data(self, data):
        if self._in == "h2":
            self._h2 += data
        elif self._in == "summary":
            self.summary += data
        if self.closing and self._section == "Closing soon":
            self.closing[-1] += data


def summary_counts(summary: str) -> dict[str, int]:
    text = " ".join(summary.split())
    m = re.search(r"(\d+|No) new internships?", text)
    assert m, text
    counts = {"new": 0 if m.group(1) == "No" else int(m.group(1))}
    for title, n in re.findall(r"· ([A-Z][A-Za-z &]+): (\d+)", text):
        counts[title] = int(n)
    m = re.search(r"(\d+) closing within \d+ days(?: \((\d+) new\))?", text)
    counts["closing"] = int(m.group(1)) if m else 0
    counts["closing_new"] = int(m.group(2) or 0) if m else 0
    return counts


def check_html_counts(html: str) -> DigestHTML:
    doc = DigestHTML(html)
    counts = summary_counts(doc.summary)
    sectors = {t: len(v) for t, v in doc.sections.items() if t != "Closing soon"}
    assert counts["new"] == sum(sectors.values())
    for title, n in sectors.items():
        assert counts[title] == n == doc.headings[title], title
    assert counts["closing"] == len(doc.closing) == doc.headings.get("Closing soon", 0)
    assert counts["closing_new"] == sum("new, #" in c for c in doc.closing)
    return doc


def check_markdown_counts(md: str) -> None:
    md = md.replace("\r\n", "\n")  # as the e-mail carries it
    summary = md.split("\n\n")[1]
    counts = summary_counts(summary.replace("**", ""))
    sections = re.split(r"^## ", md, flags=re.M)[1:]
    listed: dict[str, int] = {}
    closing = 0
    for sec in sections:
        title, n = re.match(r"(.+) \((\d+)\)\n", sec).groups()
        if title == "Closing soon":
            closing = len(re.findall(r"^- ", sec, flags=re.M))
            assert closing == int(n)
            continue
        listed[title] = len(re.findall(r"^\d+\. ", sec, flags=re.M))
        assert listed[title] == int(n) == counts[title]
    assert counts["new"] == sum(listed.values())
    assert counts["closing"] == closing


def parts(msg: EmailMessage) -> dict[str, list[EmailMessage]]:
    out: dict[str, list[EmailMessage]] = {}
    for part in msg.walk():
        out.setdefault(part.get_content_type(), []).append(part)
    return out


# -- e-mail --------------------------------------------------------------------------------------


def test_email_digest_has_both_parts_inline_chart_links_cap_and_closing_soon(
    fresh_db, clock, tmp_path, server
):
    handler, port = server
    now = clock()
    ids = seed(fresh_db, now, MIXED)
    out = deliver_digest(
        fresh_db, ANA, rows(fresh_db, now), now, "daily-2026-11-02", settings(tmp_path, port)
    )
    assert out.status == "sent" and out.items == 7, out
    assert len(handler.messages) == 1
    msg = handler.messages[0]
    assert msg["Subject"] == "InternScout: 7 new internships for ana (2026-11-02)"
    assert msg["To"] == "ana@student.example"
    assert handler.envelopes[0] == ("digests@scout.example", ["ana@student.example"])
    assert msg.get_content_type() == "multipart/alternative"
    p = parts(msg)
    plain = p["text/plain"][0].get_content()
    html = p["text/html"][0].get_content()
    # alternative: [text/plain, related: [text/html, image/png]] (plain first, richest last)
    plain_part, related = msg.get_payload()
    assert plain_part.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    assert [x.get_content_type() for x in related.get_payload()] == ["text/html", "image/png"]
    # The chart: an inline PNG whose Content-ID the HTML refers to.
    (png,) = p["image/png"]
    assert png.get_content().startswith(b"\x89PNG\r\n\x1a\n")
    assert png.get_content_disposition() == "inline"
    cid = png["Content-ID"].strip("<>")
    doc = check_html_counts(html)
    assert doc.images == [f"cid:{cid}"]
    check_markdown_counts(plain)
    # The links, in both parts.
    for pid_index in (0, 4, 6):
        assert f"https://jobs.example/{pid_index}" in doc.links
        assert f"(https://jobs.example/{pid_index})" in plain
    # Per-company cap: three from Acme (however spelled), the fourth held back.
    assert sum(1 for pid in doc.sections["Technology"]) == 3
    assert f"posting-{ids[3]}" not in html and "Analytics Intern" not in plain
    assert "1 more held for a later digest (at most 3 per company: Acme)" in doc.summary
    # Closing soon: deadline today and in 3 days; in 12 days is not.
    assert len(doc.closing) == 2
    assert "Lab Intern" in doc.closing[0] and "today" in doc.closing[0]
    assert "Data Intern" in doc.closing[1] and "in 3 days" in doc.closing[1]
    assert "Quant Intern" not in " ".join(doc.closing)
    # Sector, title, company, location / remote, score, skills, reasons, link.
    assert "Civic Lab, Boston, MA (remote)" in plain
    assert "score 0.95" in plain and "You have: Python, PyTorch" in plain
    assert "To learn: R, SQL" in plain and "Reason 4: skills match" in plain
    assert "Most asked for: Python (6, you have it), SQL (6, to learn)" in plain
    # Marked sent with exactly the postings listed.
    (run,) = store.list_digests(fresh_db, "ana")
    assert run.status == "sent" and run.item_count == 7
    assert store.digested_posting_ids(fresh_db, "ana") == set(ids) - {ids[3]}
    assert run.delivery["email"]["attempts"] == 1
    # The same period again: taken, no second message.
    again = deliver_digest(
        fresh_db, ANA, rows(fresh_db, now), now, "daily-2026-11-02", settings(tmp_path, port)
    )
    assert again.status == "taken" and len(handler.messages) == 1


def test_next_digest_has_held_back_and_new_postings_and_reminds_of_closing(
    fresh_db, clock, tmp_path, server
):
    handler, port = server
    now = clock()
    seed(fresh_db, now, MIXED)
    cfg = settings(tmp_path, port)
    deliver_digest(fresh_db, ANA, rows(fresh_db, now), now, "d1", cfg)
    later = clock.advance(days=1)
    seed(fresh_db, later, [Spec("NLP Intern", "Civic Lab", "nonprofit", 0.99)], start=100)
    out = deliver_digest(fresh_db, ANA, rows(fresh_db, later), later, "d2", cfg)
    assert out.status == "sent" and out.items == 2  # the new one and Acme's held-back one
    html = parts(handler.messages[1])["text/html"][0].get_content()
    doc = check_html_counts(html)
    assert "NLP Intern" in html and "Analytics Intern" in html and "ML Intern" not in html
    # Data Intern (sent yesterday) now closes in 2 days: a reminder, marked "sent before".
    assert len(doc.closing) == 1 and "Data Intern" in doc.closing[0]
    assert "sent before" in doc.closing[0]
    assert summary_counts(doc.summary)["closing"] == 1


def test_empty_period_sends_nothing_unless_asked(fresh_db, clock, tmp_path, server):
    handler, port = server
    now = clock()
    cfg = settings(tmp_path, port)
    out = deliver_digest(fresh_db, ANA, [], now, "d1", cfg)
    assert out.status == "empty" and handler.messages == []
    assert store.list_digests(fresh_db) == []  # nothing claimed
    wants_empty = ProfileInfo("ana", "ana@student.example", send_empty=True)
    out = deliver_digest(fresh_db, wants_empty, [], now, "d1", cfg)
    assert out.status == "sent" and out.items == 0
    (msg,) = handler.messages
    assert msg["Subject"] == "InternScout: no new internships for ana (2026-11-02)"
    assert "image/png" not in parts(msg)  # no postings, no chart
    doc = check_html_counts(parts(msg)["text/html"][0].get_content())
    assert summary_counts(doc.summary)["new"] == 0
    assert deliver_digest(fresh_db, wants_empty, [], now, "d1", cfg).status == "taken"
    assert len(handler.messages) == 1


def test_smtp_down_is_retried_recorded_and_sent_once_later(fresh_db, clock, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    port = free_port()  # nothing listens here yet
    now = clock()
    ids = seed(fresh_db, now, MIXED[:3])
    cfg = settings(tmp_path, port, max_attempts=3, backoff_seconds=2.0)
    sleeps = Sleeps()
    out = deliver_digest(fresh_db, ANA, rows(fresh_db, now), now, "daily-1", cfg, sleep=sleeps)
    assert out.status == "failed" and out.items == 0
    assert sleeps == [2.0, 4.0]  # three attempts, exponential backoff
    (run,) = store.list_digests(fresh_db, "ana")
    assert run.status == "failed" and run.sent_at is None
    assert "cannot connect to SMTP server 127.0.0.1" in run.error
    assert "after 3 attempts" in run.error
    assert store.digested_posting_ids(fresh_db, "ana") == set()
    # The local channels ran first (idempotent): a retry must not duplicate them.
    feed = tmp_path / "feeds" / "ana.atom"
    assert len(ET.parse(feed).getroot().findall(A + "entry")) == 3
    files_before = sorted(p.name for p in (tmp_path / "out").iterdir())

    later = clock.advance(minutes=10)
    with smtp_server(Collector(), port=port) as (handler, _):
        retry = deliver_digest(
            fresh_db, ANA, rows(fresh_db, later), later, "daily-1", cfg, sleep=sleeps
        )
        assert retry.status == "sent" and retry.items == 3
        assert retry.digest_id == out.digest_id
        again = deliver_digest(
            fresh_db, ANA, rows(fresh_db, later), later, "daily-1", cfg, sleep=sleeps
        )
        assert again.status == "empty"  # nothing new: nothing claimed, nothing sent
        # Something new, but this period is done: it waits for the next period's digest.
        seed(fresh_db, later, [Spec("NLP Intern", "Civic Lab")], start=100)
        again = deliver_digest(
            fresh_db, ANA, rows(fresh_db, later), later, "daily-1", cfg, sleep=sleeps
        )
        assert again.status == "taken"
        assert len(handler.messages) == 1  # exactly once
    (run,) = store.list_digests(fresh_db, "ana")
    assert run.status == "sent" and run.error is None
    assert store.digested_posting_ids(fresh_db, "ana") == set(ids)
    assert len(ET.parse(feed).getroot().findall(A + "entry")) == 3
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == files_before
    assert "attempt 1 of 3 failed" in caplog.text


def test_login_only_when_a_user_is_set_and_secrets_stay_out(fresh_db, clock, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    logins: list[tuple[str, bytes]] = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login.decode(), auth_data.password))
        return AuthResult(success=auth_data.password == PASSWORD.encode(), handled=False)

    now = clock()
    seed(fresh_db, now, MIXED[:2])
    with smtp_server(Collector(), authenticator=authenticator, auth_require_tls=False) as (
        handler,
        port,
    ):
        # No user: no AUTH command (this server does not require it).
        no_user = settings(tmp_path, port)
        out = deliver_digest(fresh_db, ANA, rows(fresh_db, now), now, "p1", no_user)
        assert out.status == "sent" and logins == []
        # A wrong password: refused once, permanent, not retried, recorded, not sent.
        seed(fresh_db, now, [Spec("Backend Intern", "Globex")], start=50)
        sleeps = Sleeps()
        wrong = DeliverySettings(smtp=smtp(port, user="bot", password="wrong-pw"))
        out = deliver_digest(
            fresh_db, ANA, rows(fresh_db, now), now, "p2", wrong, channels={"email"}, sleep=sleeps
        )
        assert out.status == "failed" and sleeps == []
        assert "SMTP login refused (535" in out.error and "wrong-pw" not in out.error
        assert logins[-1] == ("bot", b"wrong-pw")
        # The right one: logged in, delivered.
        right = DeliverySettings(smtp=smtp(port, user="bot", password=PASSWORD))
        assert PASSWORD not in repr(right)
        out = deliver_digest(
            fresh_db, ANA, rows(fresh_db, now), now, "p2", right, channels={"email"}
        )
        assert out.status == "sent" and logins[-1] == ("bot", PASSWORD.encode())
        assert len(handler.messages) == 2
    for run in store.list_digests(fresh_db, "ana"):
        assert PASSWORD not in repr(run.delivery) and PASSWORD not in (run.error or "")
    assert PASSWORD not in caplog.text and "wrong-pw" not in caplog.text
    # A server that offers no AUTH at all: a user set means login is attempted, and fails.
    seed(fresh_db, now, [Spec("Frontend Intern", "Initech")], start=60)
    with smtp_server(Collector()) as (handler, port):
        cfg = DeliverySettings(smtp=smtp(port, user="bot", password=PASSWORD))
        out = deliver_digest(fresh_db, ANA, rows(fresh_db, now), now, "p3", cfg)
        assert out.status == "failed" and "AUTH extension not supported" in out.error
        assert handler.messages == []


def test_refused_recipient_and_missing_starttls_fail_without_marking_sent(
    fresh_db, clock, tmp_path
):
    now = clock()
    seed(fresh_db, now, MIXED[:1])
    refusing = Collector(refuse={"ana@student.example": "550 5.1.1 No such user"})
    with smtp_server(refusing) as (handler, port):
        sleeps = Sleeps()
        cfg = DeliverySettings(smtp=smtp(port))
        out = deliver_digest(fresh_db, ANA, rows(fresh_db, now), now, "p", cfg, sleep=sleeps)
        assert out.status == "failed" and sleeps == []  # 5xx: permanent, no retry now
        assert "recipient refused (ana@student.example: 550 5.1.1 No such user)" in out.error
        # A temporary refusal (4xx) is retried with backoff.
        refusing.refuse["ana@student.example"] = "450 4.2.1 Mailbox busy"
        out = deliver_digest(fresh_db, ANA, rows(fresh_db, now), now, "p", cfg, sleep=sleeps)
        assert out.status == "failed" and sleeps == [5.0, 10.0]
        # STARTTLS asked for, not offered: an error, never a silent plain-text fallback.
        tls = DeliverySettings(smtp=smtp(port, security="starttls"))
        out = deliver_digest(fresh_db, ANA, rows(fresh_db, now), now, "p", tls, sleep=sleeps)
        assert out.status == "failed" and "STARTTLS" in out.error
        assert handler.messages == []
    (run,) = store.list_digests(fresh_db, "ana")
    assert run.status == "failed" and store.digested_posting_ids(fresh_db, "ana") == set()


def test_channel_mistakes_are_clear_errors_before_any_claim(fresh_db, clock, tmp_path):
    now = clock()
    seed(fresh_db, now, MIXED[:1])
    r = rows(fresh_db, now)
    cfg = settings(tmp_path, 2525)
    with pytest.raises(DeliveryConfigError, match="profile 'bo' has no e-mail address"):
        deliver_digest(fresh_db, ProfileInfo("bo"), r, now, "p", cfg)
    with pytest.raises(DeliveryConfigError, match=r"needs a \[delivery.smtp\] table"):
        deliver_digest(fresh_db, ANA, r, now, "p", DeliverySettings(), channels={"email"})
    with pytest.raises(DeliveryConfigError, match="unknown delivery channel"):
        deliver_digest(fresh_db, ANA, r, now, "p", cfg, channels={"fax"})
    no_pw = DeliverySettings(smtp=smtp(2525, user="bot", password_env="MY_PW"))
    with pytest.raises(DeliveryConfigError, match=r"no password was given: set \$MY_PW"):
        deliver_digest(fresh_db, ANA, r, now, "p", no_pw)
    assert store.list_digests(fresh_db) == []
    # Files and feed only: a profile without e-mail is fine.
    local = deliver_digest(fresh_db, ProfileInfo("bo"), r, now, "p", cfg, {"files", "feed"})
    assert local.status == "sent"


# -- files and the Atom feed ---------------------------------------------------------------------


def test_files_channel_writes_html_markdown_and_chart(fresh_db, clock, tmp_path):
    now = clock()
    seed(fresh_db, now, MIXED)
    cfg = settings(tmp_path)
    out = deliver_digest(fresh_db, ANA, rows(fresh_db, now), now, "weekly 2026/45", cfg, {"files"})
    html_path, md_path, png_path = out.paths
    assert html_path.name == "digest-ana-weekly-2026-45.html"
    assert png_path.read_bytes().startswith(b"\x89PNG")
    doc = check_html_counts(html_path.read_text())
    assert doc.images == [png_path.name]  # relative: the folder can be moved or served
    md = md_path.read_text()
    check_markdown_counts(md)
    assert f"![Skills most asked for in these postings]({png_path.name})" in md
    assert not list((tmp_path / "out").glob(".*"))  # no temporary files left
    assert {p.stat().st_mode & 0o777 for p in out.paths} == {0o644}


def feed_entries(path: Path) -> list[ET.Element]:
    root = ET.parse(path).getroot()
    assert root.tag == A + "feed"
    for tag in ("id", "title", "updated"):
        assert root.findtext(A + tag)
    assert root.find(A + "link").get("rel") == "self"
    assert root.find(A + "author").findtext(A + "name") == "InternScout"
    entries = root.findall(A + "entry")
    for e in entries:
        for tag in ("id", "title", "updated"):
            assert e.findtext(A + tag), tag
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", e.findtext(A + "updated"))
    return entries


def test_atom_feed_accumulates_newest_first_with_stable_ids(fresh_db, clock, tmp_path):
    now = clock()
    seed(fresh_db, now, MIXED[:3])
    cfg = settings(tmp_path, feed_url="https://scout.example/feeds")
    deliver_digest(fresh_db, ANA, rows(fresh_db, now), now, "d1", cfg, {"feed"})
    path = tmp_path / "feeds" / "ana.atom"
    first = feed_entries(path)
    first_ids = [e.findtext(A + "id") for e in first]
    assert len(first) == 3 and len(set(first_ids)) == 3
    assert first[0].findtext(A + "title") == "ML Intern — Acme"
    assert first[0].find(A + "link").get("href") == "https://jobs.example/0"
    root = ET.parse(path).getroot()
    assert root.find(A + "link").get("href") == "https://scout.example/feeds/ana.atom"
    feed_id = root.findtext(A + "id")

    # Re-writing the same digest (a retry) replaces entries: same ids, no duplicates.
    digest = build_digest("ana", rows(fresh_db, now), set(), now)
    update_feed(tmp_path / "feeds", digest, clock.advance(minutes=1))
    assert [e.findtext(A + "id") for e in feed_entries(path)] == first_ids

    # A second digest: its entries on top, the earlier ones kept, none twice.
    later = clock.advance(days=1)
    seed(fresh_db, later, [Spec("NLP Intern", "Civic Lab", "nonprofit", 0.2)], start=100)
    deliver_digest(fresh_db, ANA, rows(fresh_db, later), later, "d2", cfg, {"feed"})
    entries = feed_entries(path)
    ids = [e.findtext(A + "id") for e in entries]
    assert len(ids) == 4 and len(set(ids)) == 4 and ids[1:] == first_ids
    assert entries[0].findtext(A + "title") == "NLP Intern — Civic Lab"
    assert ET.parse(path).getroot().findtext(A + "id") == feed_id
    assert ET.parse(path).getroot().findtext(A + "updated") == "2026-11-03T09:01:00Z"
    # Capped: the oldest fall off.
    capped = DeliverySettings(feed_dir=tmp_path / "feeds", feed_max_entries=2)
    seed(fresh_db, later, [Spec("Ops Intern", "Initech", "other", 0.1)], start=200)
    deliver_digest(fresh_db, ANA, rows(fresh_db, later), later, "d3", capped)
    assert [e.findtext(A + "title") for e in feed_entries(path)] == [
        "Ops Intern — Initech",
        "NLP Intern — Civic Lab",
    ]
    assert sorted(p.name for p in path.parent.iterdir()) == ["ana.atom", "ana.atom.lock"]


# -- configuration ---------------------------------------------------------------------------------


def test_delivery_settings_from_a_toml_table(tmp_path):
    data = {
        "out_dir": "digests",
        "feed_dir": "/srv/feeds",
        "per_company_cap": 2,
        "max_attempts": 5,
        "backoff_seconds": 1.5,
        "smtp": {"host": "smtp.example.org", "user": "ana@example.org"},
    }
    env = {"INTERNSCOUT_SMTP_PASSWORD": PASSWORD}
    s = delivery_settings_from_dict(data, "c.toml: delivery", env, base=tmp_path)
    assert s.out_dir == tmp_path / "digests" and s.feed_dir == Path("/srv/feeds")
    assert (s.per_company_cap, s.max_attempts, s.backoff_seconds) == (2, 5, 1.5)
    assert s.smtp == SmtpSettings(
        host="smtp.example.org",
        port=587,
        security="starttls",
        user="ana@example.org",
        password=PASSWORD,
        sender="ana@example.org",
        timeout=30.0,
        password_env="INTERNSCOUT_SMTP_PASSWORD",
    )
    assert PASSWORD not in repr(s)
    assert s.configured_channels == {"email", "files", "feed"}
    ssl_table = {"host": "h", "security": "ssl", "from": "Scout <s@x.org>", "password_env": "PW"}
    ssl_smtp = delivery_settings_from_dict({"smtp": ssl_table}, "d", {"PW": "x"}).smtp
    assert ssl_smtp.port == 465 and ssl_smtp.password == "x" and ssl_smtp.user is None
    assert delivery_settings_from_dict({"per_company_cap": 0}, "d", {}).per_company_cap is None
    assert delivery_settings_from_dict({}, "d", {}).configured_channels == frozenset()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"smtp": {"host": "h", "from": "a@b.c", "prot": 25}}, "d.smtp.prot: unknown setting"),
        ({"smtp": {"from": "a@b.c"}}, "d.smtp.host: required"),
        ({"smtp": {"host": "h", "from": "a@b.c", "security": "tls"}}, "d.smtp.security: 'tls'"),
        ({"smtp": {"host": "h", "from": "a@b.c", "port": 70000}}, "d.smtp.port: expected a port"),
        ({"smtp": {"host": "h", "from": "a@b.c", "port": "25"}}, "d.smtp.port: expected a whole"),
        ({"smtp": {"host": "h"}}, "d.smtp.from: required"),
        ({"smtp": {"host": "h", "sender": "nobody"}}, "d.smtp.sender: 'nobody' is not an e-mail"),
        (
            {
                "smtp": {
                    "host": "h",
                    "from": "a@b.c",
                    "user": "u",
                    "password": "p",
                    "password_env": "E",
                }
            },
            "d.smtp.password: give password or password_env, not both",
        ),
        ({"smtp": {"host": "h", "from": "a@b.c", "password": "p"}}, "d.smtp.password: a password"),
        ({"smtp": "smtp.example.org"}, r"d.smtp: expected a table \(\[delivery.smtp\]\)"),
        ({"max_attempts": 0}, "d.max_attempts: expected a whole number of at least 1"),
        ({"backoff_seconds": -1}, "d.backoff_seconds: expected a number of at least 0"),
        ({"out_dir": ""}, "d.out_dir: expected a non-empty string"),
        ({"feed_url": "ftp://x"}, "d.feed_url: expected an http"),
        ({"outdir": "x"}, "d.outdir: unknown setting"),
    ],
)
def test_delivery_settings_mistakes_name_the_field(data, message):
    with pytest.raises(ValueError, match=message):
        delivery_settings_from_dict(data, "d", {})


# -- TLS: STARTTLS and implicit TLS against a certificate made for the test --------------------


@pytest.fixture
def tls(tmp_path, monkeypatch) -> tuple[ssl.SSLContext, Path]:
    """A self-signed certificate for 127.0.0.1: the server's context; the client trusts it."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
        timeout=30,
    )  # fmt: skip
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    monkeypatch.setattr(
        "scheduler.mail._tls_context", lambda: ssl.create_default_context(cafile=str(cert))
    )
    return server_ctx, cert


def test_starttls_then_login_and_implicit_tls(fresh_db, clock, tmp_path, tls):
    server_ctx, _cert = tls
    logins: list[str] = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append(auth_data.login.decode())
        return AuthResult(success=auth_data.password == PASSWORD.encode(), handled=False)

    now = clock()
    seed(fresh_db, now, MIXED[:1])
    # STARTTLS required by the server, and AUTH only offered over TLS (aiosmtpd's default).
    with smtp_server(
        Collector(), tls_context=server_ctx, require_starttls=True, authenticator=authenticator
    ) as (handler, port):
        cfg = DeliverySettings(smtp=smtp(port, security="starttls", user="bot", password=PASSWORD))
        out = deliver_digest(fresh_db, ANA, rows(fresh_db, now), now, "p1", cfg)
        assert out.status == "sent", out.error
        assert logins == ["bot"] and len(handler.messages) == 1
    # Implicit TLS ("ssl", port 465 style).
    seed(fresh_db, now, [Spec("Backend Intern", "Globex")], start=50)
    with smtp_server(Collector(), ssl_context=server_ctx) as (handler, port):
        cfg = DeliverySettings(smtp=smtp(port, security="ssl"))
        out = deliver_digest(fresh_db, ANA, rows(fresh_db, now), now, "p2", cfg)
        assert out.status == "sent", out.error
        assert len(handler.messages) == 1
