"""Wiring of store and matcher: classify new/changed postings, keep scores current.

Everything is incremental: only postings whose content hash, profile or model
changed since they were last classified/scored are touched.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import sklearn
from sqlalchemy.engine import Engine

import store
from internscout.config import ProfileConfig
from internscout.resume import read_resume
from matcher import (
    MODEL_VERSION,
    Analysis,
    PostingAnalyzer,
    PostingText,
    ProfileMatcher,
    ProfileSpec,
    Taxonomy,
    guide_profile,
    load_taxonomy,
)

Clock = Callable[[], datetime]
GUIDE_PROFILE = "(guide)"  # scores used when no profile is named
MATCHER_STATE = "profile-matcher"
# Recency and deadlines depend on the date, so scores older than this are recomputed.
SCORE_TTL = timedelta(hours=12)


@dataclass
class RefreshReport:
    analysed: int
    scored: int
    refitted: bool


class Service:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        weights: dict[str, float] | None = None,
        taxonomy: Taxonomy | None = None,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.weights = weights or None
        self.taxonomy = taxonomy or load_taxonomy()
        self._analyzer: PostingAnalyzer | None = None

    @property
    def model_version(self) -> str:
        return f"{MODEL_VERSION}+{self.taxonomy.version}"

    def analyzer(self) -> PostingAnalyzer:
        if self._analyzer is None:
            self._analyzer = PostingAnalyzer(taxonomy=self.taxonomy).fit()
        return self._analyzer

    # -- classification -------------------------------------------------------------
    def analyse_pending(self, full: bool = False) -> int:
        """Classify new/changed postings (all of them when `full`, so employer-level
        evidence is pooled over the whole corpus)."""
        if full:
            postings = store.get_postings(self.engine)
        else:
            postings = store.postings_needing_analysis(self.engine, self.model_version)
        if not postings:
            return 0
        analyses = self.analyzer().analyze_many([posting_text(p) for p in postings])
        rows = []
        for posting, a in zip(postings, analyses, strict=True):
            rows.append(
                {
                    "posting_id": posting.id,
                    "posting_hash": posting.content_hash,
                    "model_version": self.model_version,
                    "is_internship": a.is_internship,
                    "internship_evidence": a.internship_evidence,
                    "sector": a.sector,
                    "sector_scores": {k: round(v, 4) for k, v in a.sector_scores.items()},
                    "role": a.role,
                    "skills": list(a.skills),
                    "seniority": a.seniority,
                    "years_required": a.years_required,
                    "required_skills": list(a.required_skills),
                    "preferred_skills": list(a.preferred_skills),
                }
            )
        store.save_analyses(self.engine, rows)
        # New or changed postings may be other listings of a job we already have.
        store.link_duplicates(
            self.engine, None if full else {p.company for p in postings if p.company}
        )
        return len(rows)

    # -- the fitted matcher -------------------------------------------------------------
    def matcher(self, full: bool = False) -> tuple[ProfileMatcher, str, bool]:
        """The persisted matcher, refitted when asked, missing, or from another version."""
        state = store.load_model_state(self.engine, MATCHER_STATE)
        stale = (
            state is None
            or state.version != self.model_version
            or state.library_version != sklearn.__version__
        )
        if not full and not stale and state is not None:
            try:
                fitted = pickle.loads(state.blob)
            except Exception:  # an unreadable pickle is a reason to refit, not to fail
                fitted = None
            if isinstance(fitted, ProfileMatcher):
                fitted.weights = self.weights
                return fitted, state.fit_id, False
        corpus = [posting_text(p).full_text() for p in store.get_postings(self.engine)]
        fitted = ProfileMatcher(weights=self.weights).fit(corpus)
        fit_id = f"{self.model_version}@{uuid.uuid4().hex}"
        store.save_model_state(
            self.engine,
            MATCHER_STATE,
            self.model_version,
            sklearn.__version__,
            pickle.dumps(fitted),
            self.clock(),
            fit_id,
        )
        return fitted, fit_id, True

    # -- scoring -----------------------------------------------------------------
    def score_profile(
        self, spec: ProfileSpec, email: str | None, full: bool = False
    ) -> RefreshReport:
        analysed = self.analyse_pending(full=full)
        matcher, fit_key, refitted = self.matcher(full=full)
        now = self.clock()
        spec_data = asdict(spec)
        # The weights are part of what a score means: a change rescores everything.
        profile_hash = _hash({"spec": spec_data, "weights": self.weights or {}})
        store.upsert_profile(self.engine, spec.name, email, spec_data, profile_hash, now)
        pending = store.postings_needing_score(
            self.engine, spec.name, profile_hash, fit_key, computed_before=now - SCORE_TTL
        )
        if not pending:
            return RefreshReport(analysed, 0, refitted)
        texts = [posting_text(p) for p, _ in pending]
        analyses = [to_analysis(a) for _, a in pending]
        results = matcher.score_many(spec, texts, analyses, now=now)
        rows = []
        for (posting, _), r in zip(pending, results, strict=True):
            rows.append(
                {
                    "profile_name": spec.name,
                    "posting_id": posting.id,
                    "score": round(float(r.score), 6),
                    "parts": {k: round(float(v), 4) for k, v in r.parts.items()},
                    "reasons": list(r.reasons),
                    "matched_skills": list(r.matched_skills),
                    "missing_skills": list(r.missing_skills),
                    "posting_hash": posting.content_hash,
                    "profile_hash": profile_hash,
                    "model_version": fit_key,
                    "computed_at": now,
                }
            )
        store.save_scores(self.engine, rows)
        return RefreshReport(analysed, len(rows), refitted)

    def score_guide(self, full: bool = False) -> RefreshReport:
        spec = guide_profile(self.taxonomy)
        spec.name = GUIDE_PROFILE
        return self.score_profile(spec, None, full=full)

    def score_configured(self, profile: ProfileConfig, full: bool = False) -> RefreshReport:
        return self.score_profile(profile_spec(profile), profile.email, full=full)


def _hash(data: object) -> str:
    blob = json.dumps(data, sort_keys=True, default=str).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()


def profile_spec(profile: ProfileConfig) -> ProfileSpec:
    resume_text = read_resume(profile.resume) if profile.resume else ""
    return ProfileSpec(
        name=profile.name,
        skills=list(profile.skills),
        interests=profile.interests,
        resume_text=resume_text,
        sectors=list(profile.sectors),
        locations=list(profile.locations),
        remote_ok=profile.remote_ok,
        terms=list(profile.terms),
    )


def posting_text(p: store.Posting) -> PostingText:
    return PostingText(
        title=p.title,
        company=p.company or "",
        description=p.description_text or "",
        employment_type=p.employment_type,
        sector_hint=p.sector_hint,
        locations=list(p.locations or []),
        workplace_type=p.workplace_type,
        department=p.department,
        terms=list(p.terms or []),
        posted_at=p.posted_at or p.first_seen,
        deadline=p.deadline,
        source_kind=p.source_kind,
    )


def to_analysis(a: store.Analysis) -> Analysis:
    return Analysis(
        is_internship=a.is_internship,
        internship_evidence=a.internship_evidence or "",
        sector=a.sector,
        sector_scores=dict(a.sector_scores or {}),
        role=a.role,
        skills=list(a.skills or []),
        seniority=a.seniority,
        years_required=a.years_required,
        required_skills=list(a.required_skills or []),
        preferred_skills=list(a.preferred_skills or []),
    )


def since_cutoff(now: datetime, text: str) -> datetime:
    """'7d', '12h', '2w' -> the moment that long before now."""
    units = {"h": "hours", "d": "days", "w": "weeks"}
    value, unit = text[:-1], text[-1:].lower()
    if unit not in units or not value.isdigit():
        raise ValueError(f"--since {text!r}: expected a number followed by h, d or w (e.g. 7d)")
    return now - timedelta(**{units[unit]: int(value)})
