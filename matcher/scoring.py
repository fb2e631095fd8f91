"""Ranking postings for a student profile.

score = weighted mean of parts in [0, 1] (text, skills, role, sector, location, recency, term)
        x product of (1 - penalty) for: not an internship, senior title, years of experience,
          a term the student does not want;
        0 when the application deadline has passed.

Default weights (``DEFAULT_WEIGHTS``; override any of them with ``ProfileMatcher(weights={...})``
or the config's ``[scoring.weights]``):

    text 0.30       TF-IDF cosine c of the profile (interests + resume + skills) and the
                    posting, as 1 - exp(-c / ``text_scale``) (text_scale 0.03: a long posting
                    and a short profile rarely share more than a few percent of their weight)
    skills 0.30     0.6 x coverage of the posting's technical skills
                    + 0.4 x how many of your skills it uses (saturating at 6).
                    Coverage: when the posting marks required vs preferred skills,
                    (1 - s) x share of REQUIRED skills you have + s x share of preferred ones,
                    s = ``skills_preferred_share`` 0.3 (so a missing required skill costs more
                    than a missing preferred one; when only one kind is listed, its share alone);
                    unmarked skills count as preferred when some are marked required, as
                    required when only preferred ones are marked. When the posting marks
                    nothing: the share of all its technical skills you have (as in v1).
    role 0.15       1 for the profile's roles (default: the guide's AI/ML internship categories),
                    0.4 for other software/data roles, 0 otherwise
    sector 0.10     1 for a preferred sector, else the classifier's probability of one
    location 0.10   1 in a preferred location, 0.9 remote when remote is fine, 0 elsewhere
    recency 0.05    0.5 ** (age in days / ``recency_half_life_days``)
    term 0.05       only for profiles with ``terms`` (e.g. ["Summer 2027"]); left out of the
                    mean otherwise, so such profiles score exactly as before. 1 when the
                    posting's term matches (season and year), 0.75 when it matches as far as the
                    posting says ("Summer Internship", no year), 0.5 when the posting names no
                    term, 0 when every term it names is a different one (plus penalty_term).
                    The posting's terms: its ``terms`` field, else a season (and year) in the
                    title, else one next to "intern/internship/co-op/program" in the text.
    recency_half_life_days 21, text_scale 0.03, skills_preferred_share 0.3

Part weights are normalised by the sum of the weights of the parts in use. Penalties (every
profile is a student's):
    penalty_not_internship 0.5   the posting is not an internship/co-op/apprenticeship
    penalty_seniority 0.7        the title says senior/staff/principal/lead/manager/director...
    penalty_experience 0.6       "N+ years of experience" with N >= 3 (x0.4 when N = 2; halved
                                 for internships, whose "2 years of Python" counts coursework)
    penalty_term 0.1             the posting is only for terms the profile does not list
``parts`` holds each part in [0, 1] and each applied penalty as a negative number; the final
score is the weighted mean times the product of (1 - penalty), or 0 when the deadline passed.

Deadlines: a posting whose deadline passed scores 0 (``parts["penalty_deadline"] = -1``).
One closing within ``deadline_soon_days`` (7) gets the first reason "Apply by 2027-01-15
(3 days left)" and no score change: urgency says when to apply, not how well a posting fits, so
it does not move postings up or down the ranking.

Neutral values (0.5) stand in for parts the inputs don't inform (no sector preference, no
posting date...), so missing data neither helps nor hurts much. ``weights`` is read at every
scoring call, so it can be changed on a fitted (or unpickled) matcher.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np

from .features import detect_remote
from .models import Analysis, MatchResult, PostingText, ProfileSpec
from .parallel import paused_gc
from .places import location_match
from .taxonomy import SECTORS, Taxonomy, load_taxonomy
from .terms import Term, parse_terms, posting_terms, term_fit, term_label
from .text import clean_text, posting_document

DEFAULT_WEIGHTS: dict[str, float] = {
    "text": 0.30,
    "skills": 0.30,
    "role": 0.15,
    "sector": 0.10,
    "location": 0.10,
    "recency": 0.05,
    "term": 0.05,
    "penalty_not_internship": 0.5,
    "penalty_seniority": 0.7,
    "penalty_experience": 0.6,
    "penalty_term": 0.1,
    "recency_half_life_days": 21.0,
    "text_scale": 0.03,
    "skills_preferred_share": 0.3,
    "deadline_soon_days": 7.0,
}
_PART_KEYS = ("text", "skills", "role", "sector", "location", "recency")  # + "term" (see above)
# Skill coverage at which a posting counts as within reach (skill-gap reports, matcher/gaps.py).
COVERAGE_THRESHOLD = 0.5
_NEUTRAL = 0.5
_ADJACENT_ROLES = frozenset(
    {"ml_engineering", "data_science", "software_ai", "research", "automation",
     "analytics_engineering", "cloud_ai", "data_engineering", "software", "data_analytics"}
)  # fmt: skip
_SECTOR_NAMES = {
    "tech": "Tech",
    "healthcare": "Healthcare",
    "finance": "Finance",
    "nonprofit": "Nonprofit/government",
    "research": "Research/university",
    "other": "Other-industry",
}
_SECTOR_ALIASES = {
    "technology": "tech", "software": "tech", "health": "healthcare", "medical": "healthcare",
    "financial": "finance", "banking": "finance", "insurance": "finance",
    "government": "nonprofit", "non-profit": "nonprofit", "public": "nonprofit",
    "academia": "research", "university": "research", "academic": "research",
}  # fmt: skip


def guide_profile(tax: Taxonomy | None = None) -> ProfileSpec:
    """Default profile: the career guide's AI/ML internship categories and core skills."""
    tax = tax if tax is not None else load_taxonomy()
    return ProfileSpec(
        name=tax.guide_profile_name,
        skills=list(tax.guide_core_skills),
        interests=tax.guide_interests,
        sectors=[],  # the guide says to apply across industries
        locations=[],
        remote_ok=True,
        roles=list(tax.guide_core_roles),
    )


def _age_text(days: float) -> str:
    if days < 1:
        return "Posted today"
    if days < 2:
        return "Posted yesterday"
    if days < 14:
        return f"Posted {int(days)} days ago"
    if days < 60:
        return f"Posted {int(days // 7)} weeks ago"
    return f"Posted {int(days // 30)} months ago"


def _list_text(names: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


# -- skills: required vs preferred ------------------------------------------------------------


@dataclass(frozen=True)
class SkillAsk:
    """The technical skills a posting asks for, as the scorer weighs them.

    ``marked`` is False when the posting draws no required/preferred line: then every asked
    skill is in ``required`` and ``preferred`` is empty. Workplace skills (communication,
    teamwork...) are left out: profiles rarely list them.
    """

    required: tuple[str, ...]
    preferred: tuple[str, ...]
    marked: bool

    @property
    def asked(self) -> tuple[str, ...]:
        return self.required + self.preferred


def skill_ask(analysis: Analysis, tax: Taxonomy) -> SkillAsk:
    """Split a posting's technical skills into required and preferred (see the module doc)."""

    def technical(names: Sequence[str]) -> list[str]:
        out: list[str] = []
        for name in names:
            if name and name not in out and tax.skill_group(name) != "workplace":
                out.append(name)
        return out

    required = technical(analysis.required_skills)
    preferred = [s for s in technical(analysis.preferred_skills) if s not in required]
    if not required and not preferred:
        return SkillAsk(tuple(technical(analysis.skills)), (), False)
    rest = [s for s in technical(analysis.skills) if s not in required and s not in preferred]
    if required:
        preferred += rest  # a requirements list was found: the other skills are extras
    else:
        required = rest  # only nice-to-haves were marked: the others are the requirements
    return SkillAsk(tuple(required), tuple(preferred), True)


def skill_coverage(ask: SkillAsk, have: Collection[str], preferred_share: float) -> float | None:
    """Weighted share of the asked skills in ``have``; None when the posting asks for none."""
    if not ask.required and not ask.preferred:
        return None
    share = min(1.0, max(0.0, preferred_share))
    req = sum(s in have for s in ask.required) / len(ask.required) if ask.required else None
    pref = sum(s in have for s in ask.preferred) / len(ask.preferred) if ask.preferred else None
    if req is None:
        return pref
    if pref is None:
        return req
    return (1.0 - share) * req + share * pref


def profile_skills(profile: ProfileSpec, tax: Taxonomy) -> tuple[list[str], list[str]]:
    """A profile's skills as (canonical taxonomy names, other free-text skills), deduplicated."""
    canon: list[str] = []
    free: list[str] = []
    for raw in profile.skills:
        raw = (raw or "").strip()
        if not raw:
            continue
        name = tax.canonical_skill(raw)
        if name is not None:
            if name not in canon:
                canon.append(name)
        elif raw.casefold() not in {f.casefold() for f in free}:
            free.append(raw)
    return canon, free


def _deadline_text(deadline: date, days: int) -> str:
    left = "closes today" if days == 0 else f"{days} day{'s' if days != 1 else ''} left"
    return f"Apply by {deadline.isoformat()} ({left})"


def _skills_reason(ask: SkillAsk, have: Collection[str], missing_req: Sequence[str]) -> str:
    if not ask.marked:
        matched = [s for s in ask.required if s in have]
        msg = f"Matches {len(matched)} of {len(ask.required)} skills asked"
        return msg + (f": {_list_text(matched)}" if matched else "")
    n_pref = sum(s in have for s in ask.preferred)
    if not ask.required:
        return f"Has {n_pref} of {len(ask.preferred)} preferred skills"
    n_req = len(ask.required) - len(missing_req)
    msg = f"Has {n_req} of {len(ask.required)} required skills"
    if missing_req:
        msg += f" (missing: {_list_text(list(missing_req))})"
    if ask.preferred:
        msg += f"; {n_pref} of {len(ask.preferred)} preferred"
    return msg


@dataclass(frozen=True, slots=True)
class _Facts:
    """What scoring needs from one posting whatever the profile (computed once per batch)."""

    ask: SkillAsk
    skills: tuple[str, ...]
    is_internship: bool
    evidence: str
    intern_reason: str  # "Internship (...)" or "Not an internship (...)"
    role: str
    role_label: str
    sector: str
    sector_name: str
    sector_scores: dict[str, float]
    locations: tuple[str, ...]
    remote: bool
    age_days: float | None
    age_text: str
    seniority: str | None
    years: int | None
    deadline: date | None
    days_left: int | None


def _document(x: str | PostingText) -> str:
    """What the text model reads of a posting (or of a plain text)."""
    return posting_document(x) if isinstance(x, PostingText) else clean_text(x)


class PreparedPostings:
    """A batch of postings ready to be scored for any number of profiles.

    Holds the postings' TF-IDF rows and their profile-independent facts, so scoring a second
    profile costs only the profile's own work. Built by :meth:`ProfileMatcher.prepare` for one
    ``now`` (recency and deadlines are relative to it).
    """

    def __init__(
        self,
        postings: Sequence[PostingText],
        matrix: Any,
        facts: list[_Facts],
        now: datetime,
        fit_token: object,
    ) -> None:
        self.postings = list(postings)
        self.matrix = matrix
        self.facts = facts
        self.now = now
        self.fit_token = fit_token
        self._docs: list[str | None] = [None] * len(self.postings)
        self._terms: list[list[Term] | None] = [None] * len(self.postings)
        self._lower: list[str | None] | None = None

    def __len__(self) -> int:
        return len(self.postings)

    def doc(self, i: int) -> str:
        doc = self._docs[i]
        if doc is None:
            doc = self._docs[i] = posting_document(self.postings[i])
        return doc

    def take(self, indices: Sequence[int]) -> PreparedPostings:
        """The postings at ``indices``, still prepared (nothing is recomputed)."""
        out = PreparedPostings(
            [self.postings[i] for i in indices],
            self.matrix[list(indices)],
            [self.facts[i] for i in indices],
            self.now,
            self.fit_token,
        )
        out._docs = [self._docs[i] for i in indices]
        out._terms = [self._terms[i] for i in indices]
        return out

    def lower_doc(self, i: int) -> str:
        if self._lower is None:
            self._lower = [None] * len(self.postings)
        low = self._lower[i]
        if low is None:
            low = self._lower[i] = self.doc(i).casefold()
        return low

    def terms(self, i: int) -> list[Term]:
        found = self._terms[i]
        if found is None:
            found = self._terms[i] = posting_terms(self.postings[i], self.doc(i))
        return found


class ProfileMatcher:
    """Scores postings for a profile. Fit once on the corpus; picklable; deterministic.

    ``n_jobs``: worker processes for vectorising large batches (see :mod:`matcher.textsim`);
    results are identical whatever it is.
    """

    def __init__(
        self,
        weights: dict[str, float] | None = None,
        taxonomy: Taxonomy | None = None,
        n_jobs: int | None = None,
    ) -> None:
        self.weights = weights
        self.taxonomy = taxonomy
        self.n_jobs = n_jobs

    # -- fitting --
    def fit(self, corpus: Sequence[str | PostingText]) -> ProfileMatcher:
        """Fit the TF-IDF weights on the corpus (posting texts, or postings) plus the
        taxonomy's own text."""
        self._fit_model().fit(corpus, self._taxonomy_docs(), prep=_document)
        return self

    def fit_transform(self, postings: Sequence[str | PostingText]) -> Any:
        """Fit as :meth:`fit` and return the postings' TF-IDF rows (scipy CSR), to pass to
        :meth:`prepare` so they are not vectorised twice."""
        return self._fit_model().fit_transform(postings, self._taxonomy_docs(), prep=_document)

    def transform(self, postings: Sequence[str | PostingText]) -> Any:
        self._check()
        return self.text_model_.transform(postings, prep=_document)

    def _fit_model(self) -> Any:
        from .textsim import HashedTfidf

        self.taxonomy_ = self.taxonomy if self.taxonomy is not None else load_taxonomy()
        self.weights_ = self._effective_weights()
        self.text_model_ = HashedTfidf(n_jobs=self.n_jobs)
        self.fit_token_ = object()
        return self.text_model_

    def _taxonomy_docs(self) -> list[str]:
        tax = self.taxonomy_
        docs = [tax.sector_text(s) for s in SECTORS]
        docs += [tax.role_text(r) for r in tax.role_order]
        docs.append(tax.guide_interests)
        docs.append(" ".join(" ".join((s.name, *s.synonyms)) for s in tax.skills))
        return docs

    def _check(self) -> None:
        if not hasattr(self, "text_model_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("ProfileMatcher is not fitted; call fit() first")

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.fit_token_ = object()  # prepared batches belong to the object that made them

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "fit_token_"}

    def _effective_weights(self) -> dict[str, float]:
        # Read at every scoring call: the service sets ``weights`` on an unpickled matcher.
        given = dict(self.weights or {})
        unknown = set(given) - set(DEFAULT_WEIGHTS)
        if unknown:
            raise ValueError(
                f"unknown weight keys {sorted(unknown)}; known: {sorted(DEFAULT_WEIGHTS)}"
            )
        bad = [k for k, v in given.items() if not isinstance(v, int | float) or v < 0]
        if bad:
            raise ValueError(f"weights must be non-negative numbers: {sorted(bad)}")
        return {**DEFAULT_WEIGHTS, **{k: float(v) for k, v in given.items()}}

    # -- public API --
    def score(
        self, profile: ProfileSpec, posting: PostingText, analysis: Analysis,
        now: datetime | None = None,
    ) -> MatchResult:  # fmt: skip
        return self.score_many(profile, [posting], [analysis], now)[0]

    def score_many(
        self,
        profile: ProfileSpec,
        postings: Sequence[PostingText],
        analyses: Sequence[Analysis],
        now: datetime | None = None,
    ) -> list[MatchResult]:
        """Score many postings for one profile (to score several profiles, prepare once)."""
        return self.score_prepared(profile, self.prepare(postings, analyses, now))

    def prepare(
        self,
        postings: Sequence[PostingText],
        analyses: Sequence[Analysis],
        now: datetime | None = None,
        matrix: Any = None,
    ) -> PreparedPostings:
        """Vectorise postings (unless ``matrix``, their rows from :meth:`fit_transform`, is
        given) and collect what every profile's scoring needs from them."""
        self._check()
        if len(postings) != len(analyses):
            raise ValueError("postings and analyses must have the same length")
        if matrix is not None and matrix.shape[0] != len(postings):
            raise ValueError("matrix must have one row per posting")
        now = now if now is not None else datetime.now(UTC)
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        if matrix is None:
            matrix = self.transform(postings) if postings else None
        with paused_gc():
            facts = [self._facts(p, a, now) for p, a in zip(postings, analyses, strict=True)]
        return PreparedPostings(postings, matrix, facts, now, self.fit_token_)

    def _facts(self, p: PostingText, a: Analysis, now: datetime) -> _Facts:
        roles = self.taxonomy_.roles
        locs = tuple(loc for loc in p.locations if loc)
        posted = p.posted_at
        if posted is not None and posted.tzinfo is None:
            posted = posted.replace(tzinfo=UTC)
        age = None if posted is None else max(0.0, (now - posted).total_seconds() / 86400)
        kind = "Internship" if a.is_internship else "Not an internship"
        return _Facts(
            ask=skill_ask(a, self.taxonomy_),
            skills=tuple(a.skills),
            is_internship=a.is_internship,
            evidence=a.internship_evidence,
            intern_reason=f"{kind} ({a.internship_evidence})" if a.internship_evidence else kind,
            role=a.role,
            role_label=roles[a.role].label if a.role in roles else a.role,
            sector=a.sector,
            sector_name=_SECTOR_NAMES.get(a.sector, a.sector),
            sector_scores=a.sector_scores,
            locations=locs,
            remote=bool(detect_remote(p.workplace_type, list(locs), p.title or "")),
            age_days=age,
            age_text="" if age is None else _age_text(age),
            seniority=a.seniority,
            years=a.years_required,
            deadline=p.deadline,
            days_left=None if p.deadline is None else (p.deadline - now.date()).days,
        )

    def score_prepared(self, profile: ProfileSpec, batch: PreparedPostings) -> list[MatchResult]:
        """Score a prepared batch for one profile (one sparse product for the text part)."""
        self._check()
        if batch.fit_token is not self.fit_token_:
            raise ValueError("the batch was prepared by another fit of the matcher")
        if not len(batch):
            return []
        w = self._effective_weights()
        ctx = _ProfileContext.build(self, profile)
        # The text and recency parts of the whole batch at once.
        if ctx.vector is not None and w["text_scale"] > 0:
            sims = np.asarray((batch.matrix @ ctx.vector.T).todense()).ravel()
            text = np.round(1.0 - np.exp(-np.maximum(sims, 0.0) / w["text_scale"]), 6).tolist()
        else:
            text = [_NEUTRAL] * len(batch)
        ages = np.array([np.nan if f.age_days is None else f.age_days for f in batch.facts])
        with np.errstate(invalid="ignore"):
            recency = np.round(0.5 ** (ages / w["recency_half_life_days"]), 6)
        recency[np.isnan(ages)] = _NEUTRAL
        with paused_gc():
            return _Scorer(self.taxonomy_, w, ctx, batch).run(text, recency.tolist())


class _Scorer:
    """One profile's scoring of one prepared batch (see the module doc for the parts)."""

    def __init__(
        self, tax: Taxonomy, w: dict[str, float], ctx: _ProfileContext, batch: PreparedPostings
    ) -> None:
        self.tax, self.w, self.ctx, self.batch = tax, w, ctx, batch
        self.places: dict[tuple[str, ...], str | None] = {}  # location strings repeat a lot
        self.keys = (*_PART_KEYS, "term") if ctx.terms else _PART_KEYS
        self.part_weights = [(k, w[k]) for k in self.keys]
        self.total_w = sum(w[k] for k in self.keys)

    def run(self, text: list[float], recency: list[float]) -> list[MatchResult]:
        facts = self.batch.facts
        return [
            self.one(i, f, t, r)
            for i, (f, t, r) in enumerate(zip(facts, text, recency, strict=True))
        ]

    def one(self, i: int, f: _Facts, text_part: float, recency: float) -> MatchResult:
        ctx, w = self.ctx, self.w
        parts: dict[str, float] = {"text": text_part}
        reasons: list[str] = [f.intern_reason] if f.is_internship else []
        late: list[str] = []  # penalties, shown after the positives

        # skills (required ones weigh most when the posting marks them)
        ask = f.ask
        have = ctx.skills
        matched = [s for s in f.skills if s in have]
        if ctx.free_skills:
            low = self.batch.lower_doc(i)
            # The substring test is a fast filter; the regex then checks word boundaries.
            matched += [
                s
                for s, key, rx in ctx.free_skills
                if key in low and s not in matched and rx.search(self.batch.doc(i))
            ]
        missing_req = [s for s in ask.required if s not in have]
        missing_pref = [s for s in ask.preferred if s not in have]
        if not ctx.all_skills:
            parts["skills"] = _NEUTRAL
        else:
            used = min(1.0, len(matched) / ctx.skill_cap)
            coverage = skill_coverage(ask, have, w["skills_preferred_share"])
            value = 0.25 + 0.5 * used if coverage is None else 0.6 * coverage + 0.4 * used
            parts["skills"] = round(value, 6)
        if (ask.required or ask.preferred) and ctx.all_skills:
            reasons.append(_skills_reason(ask, have, missing_req))
        elif matched:
            reasons.append(f"Mentions your skills: {_list_text(matched)}")

        # role
        if f.role in ctx.roles:
            parts["role"] = 1.0
            reasons.append(f"Role: {f.role_label} — one of the roles you look for")
        elif f.role in _ADJACENT_ROLES:
            parts["role"] = 0.4
            reasons.append(f"Role: {f.role_label}")
        else:
            parts["role"] = 0.0

        # sector
        if not ctx.sectors:
            parts["sector"] = _NEUTRAL
        elif f.sector in ctx.sectors:
            parts["sector"] = 1.0
            reasons.append(f"{f.sector_name} employer — in your sectors")
        else:
            scores = f.sector_scores
            parts["sector"] = round(sum(scores.get(s, 0.0) for s in ctx.sectors), 6)
            reasons.append(f"{f.sector_name} employer — not in your sectors")

        # location / remote
        locs = f.locations
        hit = None
        if ctx.locations and locs:
            if locs in self.places:
                hit = self.places[locs]
            else:
                hit = self.places[locs] = location_match(ctx.locations, locs)
        if hit is not None:
            parts["location"] = 1.0
            reasons.append(f"In {hit} — one of your locations")
        elif ctx.remote_ok and f.remote:
            parts["location"] = 0.9
            reasons.append("Remote — you accept remote work")
        elif not ctx.locations:
            parts["location"] = _NEUTRAL
        elif not locs:
            parts["location"] = 0.4
        else:
            parts["location"] = 0.0
            reasons.append(f"Located in {_list_text(locs, 2)} — not in your locations")

        parts["recency"] = recency
        if f.age_text:
            reasons.append(f.age_text)

        # internship term (only for profiles that name the terms they want)
        term_mismatch = ""
        if ctx.terms:
            term_mismatch = self._term(i, parts, reasons)

        base = 0.0
        if self.total_w > 0:
            for k, weight in self.part_weights:
                base += weight * parts[k]
            base /= self.total_w

        # penalties: a student looks for internships, not senior or experienced roles
        factor = 1.0
        if not f.is_internship:
            pen = w["penalty_not_internship"]
            parts["penalty_not_internship"] = -pen
            factor *= 1.0 - pen
            late.append(f.intern_reason)
        if f.seniority:
            pen = w["penalty_seniority"]
            parts["penalty_seniority"] = -pen
            factor *= 1.0 - pen
            late.append(f"Title says {f.seniority}: not a student role")
        years = f.years
        if years is not None and years >= 2:
            pen = w["penalty_experience"] * (1.0 if years >= 3 else 0.4)
            if f.is_internship:
                pen /= 2  # interns' "N years of Python" usually counts coursework too
            parts["penalty_experience"] = -round(pen, 6)
            factor *= 1.0 - pen
            late.append(f"Asks for {years}+ years of experience: not a student role")
        if term_mismatch:
            pen = min(1.0, w["penalty_term"])
            parts["penalty_term"] = -pen
            factor *= 1.0 - pen
            late.append(term_mismatch)
        score = base * factor
        if f.days_left is not None:
            assert f.deadline is not None
            if f.days_left < 0:
                parts["penalty_deadline"] = -1.0
                score = 0.0
                reasons.insert(0, "Application deadline passed")
            elif f.days_left <= w["deadline_soon_days"]:
                reasons.insert(0, _deadline_text(f.deadline, f.days_left))  # no score change

        return MatchResult(
            score=round(min(1.0, max(0.0, score)), 6),
            parts=parts,
            matched_skills=matched,
            missing_skills=missing_req + missing_pref,
            reasons=reasons + late,
        )

    def _term(self, i: int, parts: dict[str, float], reasons: list[str]) -> str:
        """Sets the term part; returns the mismatch message when every offered term differs."""
        wanted = self.ctx.terms
        offered = self.batch.terms(i)
        fits = [(term_fit(want, t), t) for t in offered for want in wanted]
        best = max((fit for fit, _ in fits), default=None)
        wanted_text = _list_text([term_label(t) for t in wanted], 3)
        if best is None:
            parts["term"] = _NEUTRAL
        elif best == 2:
            parts["term"] = 1.0
            chosen = next(t for fit, t in fits if fit == 2)
            reasons.append(f"{term_label(chosen)} — a term you want")
        elif best == 1:
            parts["term"] = 0.75
            chosen = next(t for fit, t in fits if fit == 1)
            unstated = "year" if chosen[1] is None else "season"
            reasons.append(f"{term_label(chosen)} ({unstated} not stated) — you want {wanted_text}")
        else:
            parts["term"] = 0.0
            offered_text = _list_text([term_label(t) for t in offered], 3)
            return f"For {offered_text} only — you want {wanted_text}"
        return ""


class _ProfileContext:
    """Per-call profile preprocessing (canonical skills, vector, preferences)."""

    __slots__ = ("all_skills", "free_skills", "locations", "remote_ok", "roles", "sectors",
                 "skill_cap", "skills", "terms", "vector")  # fmt: skip

    @classmethod
    def build(cls, matcher: ProfileMatcher, profile: ProfileSpec) -> _ProfileContext:
        tax = matcher.taxonomy_
        ctx = cls()
        canon, free = profile_skills(profile, tax)
        ctx.skills = frozenset(canon)
        ctx.all_skills = canon + free
        ctx.skill_cap = max(1, min(len(ctx.all_skills), 6))  # "uses N of your skills" saturates
        # Skills outside the taxonomy are looked up literally in the posting text.
        ctx.free_skills = [
            (s, s.casefold(), re.compile(rf"(?<![\w+#]){re.escape(s)}(?![\w+#])", re.I))
            for s in free
        ]
        text = " ".join(
            x for x in (profile.interests, clean_text(profile.resume_text), " ".join(canon + free))
            if x
        )  # fmt: skip
        vec = matcher.text_model_.transform([text]) if text.strip() else None
        ctx.vector = vec if vec is not None and vec.nnz else None
        ctx.roles = frozenset(profile.roles or tax.guide_core_roles)
        ctx.sectors = frozenset(
            _SECTOR_ALIASES.get(s.strip().casefold(), s.strip().casefold())
            for s in profile.sectors
            if s and s.strip()
        )
        ctx.locations = [loc for loc in profile.locations if loc and loc.strip()]
        ctx.remote_ok = profile.remote_ok
        ctx.terms = list(dict.fromkeys(t for raw in profile.terms for t in parse_terms(raw or "")))
        return ctx


def rank(results: Sequence[MatchResult]) -> list[int]:
    """Indices of ``results`` best first; ties keep input order (stable)."""
    return sorted(range(len(results)), key=lambda i: -results[i].score)
