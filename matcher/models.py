"""Plain data passed into and out of the matcher (no behaviour, all picklable)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass
class PostingText:
    """What the matcher needs from one posting; the service fills it from its store."""

    title: str
    company: str = ""
    description: str = ""
    employment_type: str | None = None
    sector_hint: str | None = None
    locations: list[str] = field(default_factory=list)
    workplace_type: str | None = None  # "remote" | "hybrid" | "onsite" | free text | None
    department: str | None = None
    terms: list[str] = field(default_factory=list)  # e.g. ["Summer 2025"]
    posted_at: datetime | None = None  # timezone-aware
    deadline: date | None = None
    source_kind: str | None = None

    def full_text(self) -> str:
        """Title, employer, department and plain-text description as one text (for fitting)."""
        from .text import clean_text  # local import: text.py imports this module

        head = [x for x in (self.title, self.company, self.department) if x]
        return "\n".join([*head, clean_text(self.description)])


@dataclass
class Analysis:
    """Classification of one posting.

    ``role`` is one of: ml_engineering, data_science, software_ai, research, automation,
    analytics_engineering, cloud_ai (the guide's internship categories), data_engineering,
    software, data_analytics, other.
    """

    is_internship: bool
    internship_evidence: str
    sector: str
    sector_scores: dict[str, float]
    role: str
    skills: list[str]
    seniority: str | None = None
    years_required: int | None = None
    sector_evidence: str = ""  # cues behind ``sector`` (informational; not used by the scorer)
    # Where the posting says so: skills it requires vs merely prefers (subsets of ``skills``;
    # both empty when the text draws no such line).
    required_skills: list[str] = field(default_factory=list)
    preferred_skills: list[str] = field(default_factory=list)
    # Why a full-time posting is open to new graduates (see internship.entry_level_evidence);
    # None for internships, senior or experienced roles and ones that don't say.
    entry_level_evidence: str | None = None


@dataclass
class ProfileSpec:
    """A student's preferences. Every field but ``name`` is optional."""

    name: str
    skills: list[str] = field(default_factory=list)
    interests: str = ""
    resume_text: str = ""
    sectors: list[str] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)
    remote_ok: bool = True
    roles: list[str] = field(default_factory=list)  # empty: the guide's AI/ML role categories
    terms: list[str] = field(default_factory=list)  # wanted internship terms, e.g. ["Summer 2027"]
    # Also full-time entry-level (new-graduate) jobs, unpenalised: for graduating students and
    # career changers.
    entry_level: bool = False


@dataclass
class MatchResult:
    """Score of one posting for one profile, with the parts and plain-language reasons."""

    score: float
    parts: dict[str, float]
    matched_skills: list[str]
    missing_skills: list[str]
    reasons: list[str]
