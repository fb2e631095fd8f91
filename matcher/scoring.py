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
    penalty_not_internship 0.5   the posting is not an internship/co-op/apprenticeship (nor,
                                 for a profile with ``entry_level``, an entry-level job)
    penalty_seniority 0.7        the title says senior/staff/principal/lead/manager/director...
    penalty_experience 0.6       "N+ years of experience" with N >= 3 (x0.4 when N = 2; halved
                                 for internships, whose "2 years of Python" counts coursework)
    penalty_term 0.1             the posting is only for terms the profile does not list
``parts`` holds each part in [0, 1] and each applied penalty as a negative number; the final
score is the weighted mean times the product of (1 - penalty), or 0 when the deadline passed.

Deadlines: a posting whose deadline passed scores 0 (``parts["penalty_deadline"] = -1``), as
does one whose stated terms (terms field or title) have all ended (``parts["penalty_term_over"]
= -1``: "For Summer 2025 only — that term is over").
One closing within ``deadline_soon_days`` (7) gets the first reason "Apply by 2027-01-15
(3 days left)" and no score change: urgency says when to apply, not how well a posting fits, so
it does not move postings up or down the ranking.

Neutral values (0.5) stand in for parts the inputs don't inform (no sector preference, no
posting date...), so missing data neither helps nor hurts much. ``weights`` is read at every
scoring call, so it can be changed on a fitted (or unpickled) matcher.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np

from .asks import SkillAsk, skill_ask
from .features import detect_remote
from .models import Analysis, MatchResult, PostingText, ProfileSpec
from .parallel import imap_tasks, paused_gc, worker_count
from .scorer import NEUTRAL, ProfileContext, ResultRow, Scorer
from .taxonomy import SECTORS, Taxonomy, load_taxonomy
from .terms import Term, listed_terms, posting_terms, term_label, terms_over
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
# Skill coverage at which a posting counts as within reach (skill-gap reports, matcher/gaps.py).
COVERAGE_THRESHOLD = 0.5
_SECTOR_NAMES = {
    "tech": "Tech",
    "healthcare": "Healthcare",
    "finance": "Finance",
    "nonprofit": "Nonprofit/government",
    "research": "Research/university",
    "other": "Other-industry",
}


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


@dataclass(frozen=True, slots=True)
class PostingFacts:
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
    entry_reason: str  # "Entry-level role (...)" for an entry-level full-time role, else ""
    term_over: str  # "For Summer 2025 only — that term is over" when every stated term ended


def _term_over(
    p: PostingText, now: datetime, memo: dict[tuple[str | None, tuple[str, ...]], str]
) -> str:
    """The reason when every term the posting states (terms field or title) has ended."""
    title = p.title or ""
    if not p.terms and "20" not in title and "'" not in title:
        return ""  # (no year stated: nothing can be over; most titles, found at once)
    key = (p.title, tuple(p.terms))
    said = memo.get(key)
    if said is None:
        terms = listed_terms(p)
        said = ""
        if terms_over(terms, now.date()):
            labels = [term_label(t) for t in terms]
            shown = ", ".join(labels[:3]) + (" …" if len(labels) > 3 else "")
            them = "that term is" if len(terms) == 1 else "those terms are"
            said = f"For {shown} only — {them} over"
        memo[key] = said
    return said


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
        facts: list[PostingFacts],
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
        # Profile-independent scoring work, per set of weights (see scorer.fixed_penalties).
        self.per_weights: dict[tuple[float | bool, ...], Any] = {}

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
            None if self.matrix is None else self.matrix[list(indices)],
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

    ``n_jobs``: worker processes for vectorising large batches (see :mod:`matcher.textsim`)
    and for :meth:`score_each`; results are identical whatever it is.
    """

    SCORE_PARALLEL = 20_000  # postings in a batch before score_each uses worker processes
    DENSE_VECTOR_MIN = 2000  # postings; smaller batches use the sparse-sparse product

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
        # ``n_jobs`` may have been set after fitting (an unpickled matcher runs with the
        # worker count of the process using it, not of the one that fitted it).
        self.text_model_.n_jobs = self.n_jobs
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
        vectorize: bool = True,
    ) -> PreparedPostings:
        """Vectorise postings (unless ``matrix``, their rows from :meth:`fit_transform`, is
        given, or ``vectorize`` is False: then every score of the batch needs its text part
        given, see :meth:`score_prepared`) and collect what every profile's scoring needs
        from them."""
        self._check()
        if len(postings) != len(analyses):
            raise ValueError("postings and analyses must have the same length")
        if matrix is not None and matrix.shape[0] != len(postings):
            raise ValueError("matrix must have one row per posting")
        now = now if now is not None else datetime.now(UTC)
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        if matrix is None and vectorize:
            matrix = self.transform(postings) if postings else None
        with paused_gc():
            over: dict[tuple[str | None, tuple[str, ...]], str] = {}  # titles and terms recur
            facts = [self._facts(p, a, now, over) for p, a in zip(postings, analyses, strict=True)]
        return PreparedPostings(postings, matrix, facts, now, self.fit_token_)

    def _facts(
        self,
        p: PostingText,
        a: Analysis,
        now: datetime,
        over: dict[tuple[str | None, tuple[str, ...]], str],
    ) -> PostingFacts:
        roles = self.taxonomy_.roles
        locs = tuple(loc for loc in p.locations if loc)
        posted = p.posted_at
        if posted is not None and posted.tzinfo is None:
            posted = posted.replace(tzinfo=UTC)
        age = None if posted is None else max(0.0, (now - posted).total_seconds() / 86400)
        kind = "Internship" if a.is_internship else "Not an internship"
        return PostingFacts(
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
            entry_reason=(
                f"Entry-level role ({a.entry_level_evidence})" if a.entry_level_evidence else ""
            ),
            term_over=_term_over(p, now, over),
        )

    def score_prepared(
        self,
        profile: ProfileSpec,
        batch: PreparedPostings,
        text_parts: Sequence[float | None] | None = None,
    ) -> list[MatchResult]:
        """Score a prepared batch for one profile (one sparse product for the text part).

        ``text_parts``: per posting, its text part from an earlier score for this profile
        and fit, or None. It depends only on the posting's content, the profile and the fit,
        so a score that is out of date by age alone is recomputed without the posting's
        vector (a batch prepared with ``vectorize=False`` needs one for every posting).
        """
        with paused_gc():
            return [MatchResult(*row) for row in self._score_rows(profile, batch, text_parts)]

    def _score_rows(
        self,
        profile: ProfileSpec,
        batch: PreparedPostings,
        text_parts: Sequence[float | None] | None = None,
    ) -> list[ResultRow]:
        """:meth:`score_prepared` as rows of MatchResult's fields."""
        self._check()
        if batch.fit_token is not self.fit_token_:
            raise ValueError("the batch was prepared by another fit of the matcher")
        if not len(batch):
            return []
        if text_parts is not None and len(text_parts) != len(batch):
            raise ValueError("text_parts must have one entry per posting")
        w = self._effective_weights()
        ctx = ProfileContext.build(self, profile)
        # The text and recency parts of the whole batch at once.
        if ctx.vector is None or w["text_scale"] <= 0:
            text = [NEUTRAL] * len(batch)
        elif text_parts is not None and None not in text_parts:
            text = [float(t) for t in text_parts if t is not None]
        elif batch.matrix is None:
            raise ValueError("the batch has no vectors: give every posting's text part")
        else:
            if len(batch) >= self.DENSE_VECTOR_MIN:
                # The profile's vector dense (16 MB): one pass over the batch's weights, 2.5x
                # faster than the sparse-sparse product and the same sums (zeros add nothing).
                sims = batch.matrix @ ctx.vector.toarray().ravel()
            else:  # (making the dense vector would cost more than the product)
                sims = (batch.matrix @ ctx.vector.T).toarray().ravel()
            text = np.round(1.0 - np.exp(-np.maximum(sims, 0.0) / w["text_scale"]), 6).tolist()
            if text_parts is not None:
                text = [
                    t if known is None else known for t, known in zip(text, text_parts, strict=True)
                ]
        ages = np.array([np.nan if f.age_days is None else f.age_days for f in batch.facts])
        with np.errstate(invalid="ignore"):
            recency = np.round(0.5 ** (ages / w["recency_half_life_days"]), 6)
        recency[np.isnan(ages)] = NEUTRAL
        with paused_gc():
            return Scorer(self.taxonomy_, w, ctx, batch).run(text, recency.tolist())

    def score_each(self, tasks: Sequence[ScoreTask]) -> Iterator[list[MatchResult]]:
        """:meth:`score_prepared` of each (profile, batch, text_parts) task, in order.

        With ``n_jobs`` other than 1 and batches of ``SCORE_PARALLEL`` postings or more, the
        tasks run in worker processes and their results stream back while the caller handles
        the earlier ones (stores them, say). Same results either way.
        """
        self._check()
        size = max((len(batch) for _, batch, _ in tasks), default=0)
        workers = worker_count(self.n_jobs, size, self.SCORE_PARALLEL, per_worker=1)
        workers = min(workers, len(tasks))
        if workers <= 1:
            for profile, batch, text_parts in tasks:
                yield self.score_prepared(profile, batch, text_parts)
            return
        for data in imap_tasks(_score_task, (self, list(tasks)), len(tasks), workers):
            with paused_gc():
                results = [MatchResult(*row) for row in pickle.loads(data)]
            del data
            yield results


ScoreTask = tuple[ProfileSpec, "PreparedPostings", Sequence[float | None] | None]


def _score_task(shared: tuple[ProfileMatcher, list[ScoreTask]], i: int) -> bytes:
    matcher, tasks = shared
    rows = matcher._score_rows(*tasks[i])
    # Pickled here, unpickled only when the caller asks for them: results waiting their turn
    # take a third of the memory as bytes.
    with paused_gc():
        return pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL)


def rank(results: Sequence[MatchResult]) -> list[int]:
    """Indices of ``results`` best first; ties keep input order (stable)."""
    return sorted(range(len(results)), key=lambda i: -results[i].score)
