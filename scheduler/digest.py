"""Digest reports: the postings new for a profile since its last digest, as HTML and Markdown.

The run is claimed in the database before it is built and marked sent after the
files are written, so a re-run never repeats a posting already delivered.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.engine import Engine

import store

SECTOR_ORDER = ("tech", "healthcare", "finance", "nonprofit", "research", "other")
SECTOR_TITLES = {
    "tech": "Technology",
    "healthcare": "Healthcare",
    "finance": "Finance",
    "nonprofit": "Nonprofit & government",
    "research": "Research & universities",
    "other": "Other employers",
}


@dataclass
class DigestItem:
    posting_id: int
    rank: int
    title: str
    company: str
    location: str
    sector: str
    score: float
    url: str | None
    matched_skills: list[str]
    missing_skills: list[str]
    reasons: list[str]
    posted: str | None
    deadline: str | None


@dataclass
class Digest:
    profile_name: str
    generated_at: datetime
    items: list[DigestItem]
    groups: OrderedDict[str, list[DigestItem]] = field(default_factory=OrderedDict)

    @property
    def count(self) -> int:
        return len(self.items)


@dataclass
class DigestOutcome:
    digest_id: int | None
    items: int
    paths: list[Path]
    message: str


def build_digest(
    profile_name: str,
    rows: Sequence[store.RankedRow],
    already_sent: set[int],
    now: datetime,
    max_items: int = 50,
) -> Digest:
    """Rank order is kept; postings already delivered to this profile are left out."""
    items: list[DigestItem] = []
    for row in rows:
        p = row.posting
        if p.id is None or p.id in already_sent:
            continue
        items.append(
            DigestItem(
                posting_id=p.id,
                rank=len(items) + 1,
                title=p.title,
                company=p.company or "(unknown company)",
                location=location_text(p),
                sector=row.analysis.sector,
                score=row.score.score,
                url=p.url or p.apply_url,
                matched_skills=list(row.score.matched_skills or []),
                missing_skills=list(row.score.missing_skills or []),
                reasons=list(row.score.reasons or []),
                posted=p.posted_at.date().isoformat() if p.posted_at else None,
                deadline=p.deadline.isoformat() if p.deadline else None,
            )
        )
        if len(items) >= max_items:
            break
    digest = Digest(profile_name=profile_name, generated_at=now, items=items)
    for sector in SECTOR_ORDER:
        members = [i for i in items if i.sector == sector]
        if members:
            digest.groups[sector] = members
    return digest


def location_text(p: store.Posting) -> str:
    locs = list(p.locations or [])
    text = "; ".join(locs[:3]) + (f" (+{len(locs) - 3} more)" if len(locs) > 3 else "")
    if p.workplace_type == "remote" and "remote" not in text.lower():
        text = f"{text} (remote)" if text else "Remote"
    return text or "—"


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("scheduler", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["sector_titles"] = SECTOR_TITLES
    return env


def render_html(digest: Digest) -> str:
    return _env().get_template("digest.html").render(d=digest)


def render_markdown(digest: Digest) -> str:
    return _env().get_template("digest.md").render(d=digest)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "profile"


def write_digest(
    engine: Engine,
    profile_name: str,
    rows: Sequence[store.RankedRow],
    out_dir: Path,
    now: datetime,
    period_key: str | None = None,
) -> DigestOutcome:
    """Write the digest files for postings not yet delivered to this profile."""
    already = store.digested_posting_ids(engine, profile_name)
    digest = build_digest(profile_name, rows, already, now)
    if not digest.items:
        return DigestOutcome(None, 0, [], "no new postings since the last digest")
    key = period_key or f"manual-{now.strftime('%Y%m%dT%H%M%S%f')}"
    digest_id = store.claim_digest(engine, profile_name, key, now)
    if digest_id is None:
        return DigestOutcome(None, 0, [], f"digest {key} for {profile_name} is already taken")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        stem = f"digest-{_slug(profile_name)}-{now.strftime('%Y%m%d-%H%M%S')}"
        html_path = out_dir / f"{stem}.html"
        md_path = out_dir / f"{stem}.md"
        html_path.write_text(render_html(digest), encoding="utf-8")
        md_path.write_text(render_markdown(digest), encoding="utf-8")
    except OSError as exc:
        store.fail_digest(engine, digest_id, f"cannot write to {out_dir}: {exc.strerror}")
        raise
    store.complete_digest(
        engine,
        digest_id,
        profile_name,
        [(i.posting_id, i.score) for i in digest.items],
        {"files": [str(html_path), str(md_path)]},
        now,
    )
    return DigestOutcome(
        digest_id, digest.count, [html_path, md_path], f"{digest.count} new postings"
    )
