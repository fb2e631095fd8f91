"""Digest reports: the postings new for a profile since its last delivered digest.

`build_digest` is pure and deterministic (same rows, same `now`, same digest):

* **New postings**: ranked rows whose posting was never in a *delivered* digest for the
  profile, in rank order, at most `per_company_cap` per employer (companies compared
  case-insensitively) and `max_items` in all. Postings left out by either cap are *held
  back*, not dropped: they were not delivered, so they are new again in the next digest.
  The listed postings are grouped by sector in `SECTOR_ORDER`.
* **Closing soon**: postings whose application deadline is within `closing_soon_days`
  (default 7) of `now`'s date, inclusive, drawn from this digest's new postings *and* the
  postings delivered to the profile before (a reminder). A new posting that closes soon is
  listed in **both** places: in full in its sector, and as a one-line reminder (marked
  "new") under Closing soon. Held-back postings appear in neither.
* **Summary**: "N new internships" counts the new postings listed (the per-sector counts add
  up to N); "K closing within 7 days (J new)" counts the Closing soon lines; held-back
  postings are counted separately.
* **Skills**: the skills most asked for by the new postings, and whether the profile has each
  (`scheduler.chart`).

Rendering and delivery (claim, e-mail / files / feed, complete or fail) live in
`scheduler.delivery`; `write_digest` is the CLI's files-only path through it.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.engine import Engine

import store
from scheduler.chart import SkillBar, skill_demand

log = logging.getLogger(__name__)

SECTOR_ORDER = ("tech", "healthcare", "finance", "nonprofit", "research", "other")
SECTOR_TITLES = {
    "tech": "Technology",
    "healthcare": "Healthcare",
    "finance": "Finance",
    "nonprofit": "Nonprofit & government",
    "research": "Research & universities",
    "other": "Other employers",
}
DEFAULT_PER_COMPANY_CAP = 3
DEFAULT_MAX_ITEMS = 50
DEFAULT_CLOSING_SOON_DAYS = 7
CHART_TOP = 10


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
    days_left: int | None = None  # set when the deadline falls in the closing-soon window
    source_key: str = ""  # "kind:board:external id": stable across databases (feed entry ids)
    remote: bool = False

    @property
    def dates_text(self) -> str:
        """E.g. 'Posted 2026-11-02. Apply by 2026-11-30.' (either part may be missing)."""
        posted = f"Posted {self.posted}." if self.posted else ""
        apply_by = f"Apply by {self.deadline}." if self.deadline else ""
        return " ".join(p for p in (posted, apply_by) if p)


@dataclass
class ClosingItem:
    """A one-line reminder under "Closing soon"."""

    posting_id: int
    title: str
    company: str
    url: str | None
    deadline: str
    days_left: int
    new_rank: int | None  # its rank among this digest's new postings; None: delivered before

    @property
    def is_new(self) -> bool:
        return self.new_rank is not None


@dataclass
class Digest:
    profile_name: str
    generated_at: datetime
    items: list[DigestItem]
    groups: OrderedDict[str, list[DigestItem]] = field(default_factory=OrderedDict)
    closing_soon: list[ClosingItem] = field(default_factory=list)
    closing_soon_days: int = DEFAULT_CLOSING_SOON_DAYS
    per_company_cap: int | None = DEFAULT_PER_COMPANY_CAP
    held_back: int = 0  # new postings left for a later digest by the caps
    capped_companies: list[str] = field(default_factory=list)  # employers that hit the cap
    skills: list[SkillBar] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.items)

    @property
    def closing_count(self) -> int:
        return len(self.closing_soon)

    @property
    def closing_new_count(self) -> int:
        return sum(1 for c in self.closing_soon if c.is_new)

    @property
    def date_text(self) -> str:
        return self.generated_at.date().isoformat()

    @property
    def subject(self) -> str:
        n = self.count
        what = f"{n} new internship{'' if n == 1 else 's'}" if n else "no new internships"
        return f"InternScout: {what} for {self.profile_name} ({self.date_text})"

    @property
    def headline(self) -> str:
        n = self.count
        return f"{n} new internship{'' if n == 1 else 's'}" if n else "No new internships"

    @property
    def sector_counts(self) -> list[tuple[str, int]]:
        return [(SECTOR_TITLES.get(s, s), len(members)) for s, members in self.groups.items()]

    @property
    def closing_text(self) -> str:
        k = self.closing_count
        text = f"{k} closing within {self.closing_soon_days} days"
        return text + (f" ({self.closing_new_count} new)" if self.closing_new_count else "")

    @property
    def held_back_text(self) -> str:
        if not self.held_back:
            return ""
        text = f"{self.held_back} more held for a later digest"
        if self.capped_companies and self.per_company_cap:
            text += f" (at most {self.per_company_cap} per company: "
            text += ", ".join(self.capped_companies) + ")"
        return text


@dataclass
class DigestOutcome:
    digest_id: int | None
    items: int
    paths: list[Path]
    message: str
    # "sent" | "empty" (nothing new: nothing sent) | "taken" (this period is already sent or
    # being sent) | "failed" (recorded with fail_digest; the next attempt retries it)
    status: str = "sent"
    error: str | None = None
    delivery: dict[str, Any] = field(default_factory=dict)
    exception: BaseException | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.status != "failed"


def _safe_url(url: str | None) -> str | None:
    """Only http(s) links reach a digest: a crawled `javascript:` URL is dropped."""
    if url and url.strip().lower().startswith(("http://", "https://")):
        return url.strip()
    return None


def _company_key(company: str) -> str:
    return " ".join(company.casefold().split())


def build_digest(
    profile_name: str,
    rows: Sequence[store.RankedRow],
    already_sent: set[int],
    now: datetime,
    max_items: int = DEFAULT_MAX_ITEMS,
    per_company_cap: int | None = DEFAULT_PER_COMPANY_CAP,
    closing_soon_days: int = DEFAULT_CLOSING_SOON_DAYS,
    profile_skills: Iterable[str] = (),
) -> Digest:
    """Rank order is kept; postings already delivered to this profile are left out.

    `per_company_cap` None or 0 means no cap. See the module docstring for the sections.
    """
    today = now.date()
    items: list[DigestItem] = []
    per_company: dict[str, int] = {}
    capped: dict[str, str] = {}  # company key -> display name, first seen order
    held_back = 0
    for row in rows:
        p = row.posting
        if p.id is None or p.id in already_sent:
            continue
        company = (p.company or "").strip() or "(unknown company)"
        key = _company_key(company)
        if len(items) >= max_items:
            held_back += 1
            continue
        if per_company_cap and per_company.get(key, 0) >= per_company_cap:
            held_back += 1
            capped.setdefault(key, company)
            continue
        per_company[key] = per_company.get(key, 0) + 1
        days_left = (p.deadline - today).days if p.deadline else None
        items.append(
            DigestItem(
                posting_id=p.id,
                rank=len(items) + 1,
                title=p.title,
                company=company,
                location=location_text(p),
                sector=row.analysis.sector,
                score=row.score.score,
                url=_safe_url(p.url or p.apply_url),
                matched_skills=list(row.score.matched_skills or []),
                missing_skills=list(row.score.missing_skills or []),
                reasons=list(row.score.reasons or []),
                posted=p.posted_at.date().isoformat() if p.posted_at else None,
                deadline=p.deadline.isoformat() if p.deadline else None,
                days_left=(
                    days_left
                    if days_left is not None and 0 <= days_left <= closing_soon_days
                    else None
                ),
                source_key=f"{p.source_kind}:{p.board}:{p.external_id}",
                remote=p.workplace_type == "remote",
            )
        )
    new_rank = {i.posting_id: i.rank for i in items}

    closing: list[tuple[tuple[Any, ...], ClosingItem]] = []
    for row in rows:
        p = row.posting
        if p.id is None or p.deadline is None:
            continue
        if p.id not in new_rank and p.id not in already_sent:
            continue  # held back: not listed anywhere in this digest
        days_left = (p.deadline - today).days
        if not 0 <= days_left <= closing_soon_days:
            continue
        entry = ClosingItem(
            posting_id=p.id,
            title=p.title,
            company=(p.company or "").strip() or "(unknown company)",
            url=_safe_url(p.url or p.apply_url),
            deadline=p.deadline.isoformat(),
            days_left=days_left,
            new_rank=new_rank.get(p.id),
        )
        closing.append(((p.deadline, -row.score.score, p.id), entry))
    closing.sort(key=lambda pair: pair[0])

    digest = Digest(
        profile_name=profile_name,
        generated_at=now,
        items=items,
        closing_soon=[c for _, c in closing],
        closing_soon_days=closing_soon_days,
        per_company_cap=per_company_cap or None,
        held_back=held_back,
        capped_companies=list(capped.values()),
        skills=skill_demand(items, profile_skills, top=CHART_TOP),
    )
    for sector in SECTOR_ORDER:
        members = [i for i in items if i.sector == sector]
        if members:
            digest.groups[sector] = members
    unknown = sorted({i.sector for i in items} - set(SECTOR_ORDER))
    for sector in unknown:  # a sector added to the matcher later still gets listed
        digest.groups[sector] = [i for i in items if i.sector == sector]
    return digest


def location_text(p: store.Posting) -> str:
    locs = list(p.locations or [])
    text = "; ".join(locs[:3]) + (f" (+{len(locs) - 3} more)" if len(locs) > 3 else "")
    if p.workplace_type == "remote" and "remote" not in text.lower():
        text = f"{text} (remote)" if text else "Remote"
    return text or "—"


def _days_text(days: int) -> str:
    return "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("scheduler", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["sector_titles"] = SECTOR_TITLES
    env.filters["days"] = _days_text
    return env


def render_html(digest: Digest, chart_src: str | None = None) -> str:
    """The HTML report; `chart_src` is the chart's address (a file name, or "cid:..." in mail)."""
    return _env().get_template("digest.html").render(d=digest, chart_src=chart_src)


def render_markdown(digest: Digest, chart_src: str | None = None) -> str:
    """Markdown, readable as it is: also the plain-text part of the e-mail (`chart_src` None)."""
    return _env().get_template("digest.md").render(d=digest, chart_src=chart_src)


def render_chart(digest: Digest) -> bytes | None:
    """The skills chart as PNG bytes, or None for a digest without skills.

    The chart is decoration: if matplotlib is missing or fails, the digest goes out without
    it (the HTML and text list the same skills in words)."""
    from scheduler.chart import render_skill_chart

    try:
        return render_skill_chart(digest.skills)
    except ImportError as exc:
        log.warning("no skills chart: matplotlib is not installed (%s)", exc)
    except Exception:
        log.exception("no skills chart: drawing it failed")
    return None


def file_slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "profile"


def write_digest(
    engine: Engine,
    profile_name: str,
    rows: Sequence[store.RankedRow],
    out_dir: Path,
    now: datetime,
    period_key: str | None = None,
    *,
    per_company_cap: int | None = DEFAULT_PER_COMPANY_CAP,
    send_empty: bool = False,
    profile_skills: Sequence[str] = (),
) -> DigestOutcome:
    """Write the digest files (HTML, Markdown, chart PNG) for postings not yet delivered.

    The files channel of `scheduler.delivery.deliver_digest`; a failure to write is recorded
    on the digest (retried by the next run) and the OSError raised, as before.
    """
    from scheduler.delivery import deliver_digest
    from scheduler.delivery_settings import DeliverySettings, ProfileInfo

    key = period_key or f"manual-{now.strftime('%Y%m%dT%H%M%S%f')}"
    settings = DeliverySettings(out_dir=out_dir, per_company_cap=per_company_cap)
    profile = ProfileInfo(profile_name, send_empty=send_empty, skills=tuple(profile_skills))
    outcome = deliver_digest(engine, profile, rows, now, key, settings, channels={"files"})
    if outcome.status == "failed" and isinstance(outcome.exception, OSError):
        raise outcome.exception
    return outcome
