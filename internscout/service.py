"""Wiring of store and matcher: classify new/changed postings, keep scores current.

Everything is incremental: only postings whose content hash, profile or model
changed since they were last classified/scored are touched. Asking "is anything
pending?" reads indexes only, and the fitted matcher (a large pickle) is loaded
only when there is something to score, so a command with nothing to do stays cheap
and never imports scikit-learn.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import pickle
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

import store
from internscout.config import ProfileConfig
from internscout.resume import read_resume
from matcher import (
    MODEL_VERSION,
    Analysis,
    MatchResult,
    PostingText,
    ProfileSpec,
    Taxonomy,
    load_taxonomy,
)

if TYPE_CHECKING:
    from matcher import PostingAnalyzer, ProfileMatcher

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
GUIDE_PROFILE = "(guide)"  # scores used when no profile is named
MATCHER_STATE = "profile-matcher"
# Recency and deadlines depend on the date, so scores older than this are recomputed.
SCORE_TTL = timedelta(hours=12)
# Postings scored per batch: bounds memory on a full rescore (scores are per posting).
SCORE_BATCH = 20_000
# Version of the stored score rows (see Service.profile_hash).
SCORE_FORMAT = 3


@dataclass
class RefreshReport:
    analysed: int
    scored: int
    refitted: bool


@functools.cache
def sklearn_version() -> str:
    """scikit-learn's version, read from its installed metadata (importing it takes ~1 s)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("scikit-learn")
    except PackageNotFoundError:  # pragma: no cover - a vendored or renamed install
        import sklearn

        return sklearn.__version__


class Service:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        weights: dict[str, float] | None = None,
        taxonomy: Taxonomy | None = None,
        workers: int | None = None,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.weights = weights or None
        self.taxonomy = taxonomy or load_taxonomy()
        # Worker processes for classifying and vectorising large batches (None: in-process).
        self.workers = workers
        self._analyzer: PostingAnalyzer | None = None
        self._matcher: tuple[str, ProfileMatcher] | None = None  # (fit id, matcher) loaded here
        self._fit_rows: tuple[str, dict[tuple[int, str], int], Any] | None = None

    @property
    def model_version(self) -> str:
        return f"{MODEL_VERSION}+{self.taxonomy.version}"

    def analyzer(self) -> PostingAnalyzer:
        if self._analyzer is None:
            from matcher import PostingAnalyzer

            self._analyzer = PostingAnalyzer(taxonomy=self.taxonomy, n_jobs=self.workers).fit()
        return self._analyzer

    # -- classification -------------------------------------------------------------
    def analyse_pending(self, full: bool = False) -> int:
        """Classify new/changed postings (all of them when `full`, so employer-level
        evidence is pooled over the whole corpus)."""
        # Read before looking for work: a posting written after this bumps it (store/stamps.py).
        stamps = store.read_stamps(self.engine, [store.POSTINGS_STAMP, store.ANALYSED_CHECKPOINT])
        seen = stamps.get(store.POSTINGS_STAMP, (0, ""))[0]
        if full:
            postings = store.analysis_inputs(self.engine)
        else:
            ids: list[int] = []
            if stamps.get(store.ANALYSED_CHECKPOINT) != (seen, self.model_version):
                ids = store.pending_analysis_ids(self.engine, self.model_version)
            if not ids:
                # Postings closed or reopened by a crawl change which listing stands for a
                # duplicate group: one lookup on the small index of pending changes.
                store.link_duplicates(self.engine, posting_ids=[])
                self._checkpoint(store.ANALYSED_CHECKPOINT, stamps, seen, self.model_version)
                return 0
            postings = store.analysis_inputs(self.engine, ids)
        if not postings:
            self._checkpoint(store.ANALYSED_CHECKPOINT, stamps, seen, self.model_version)
            return 0
        analyses = self.analyzer().analyze_many([posting_text(p) for p in postings])
        rows = [
            self.analysis_row(p.id, p.content_hash, a)
            for p, a in zip(postings, analyses, strict=True)
        ]
        store.save_analyses(self.engine, rows)
        # New or changed postings may be other listings of a job we already have.
        if full:
            store.link_duplicates(self.engine)
        else:
            store.link_duplicates(self.engine, posting_ids=[p.id for p in postings])
        self._checkpoint(store.ANALYSED_CHECKPOINT, stamps, seen, self.model_version)
        return len(rows)

    def _checkpoint(
        self, name: str, stamps: dict[str, tuple[int, str]], value: int, key: str
    ) -> None:
        """Record that a pass which read counter ``value`` left nothing pending (written only
        when it differs from what ``stamps`` read)."""
        if stamps.get(name) == (value, key):
            return
        try:
            store.set_checkpoint(self.engine, name, value, key)
        except SQLAlchemyError as exc:
            # Only a shortcut: without it (a read-only database) the next call scans again.
            log.debug("checkpoint %s not recorded: %s", name, exc)

    def analysis_row(self, posting_id: int, posting_hash: str, a: Analysis) -> dict[str, Any]:
        """The stored form of one posting's analysis."""
        return {
            "posting_id": posting_id,
            "posting_hash": posting_hash,
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
            "entry_level_evidence": a.entry_level_evidence,
        }

    # -- the fitted matcher -------------------------------------------------------------
    def matcher(self, full: bool = False) -> tuple[ProfileMatcher, str, bool]:
        """The persisted matcher, refitted when asked, missing, or from another version."""
        fit_id, refitted = self.matcher_fit(full=full)
        fitted, loaded_id, reloaded = self._load_matcher(fit_id)
        return fitted, loaded_id, refitted or reloaded

    def matcher_fit(self, full: bool = False) -> tuple[str, bool]:
        """(id of the current fit, whether it was refitted now). Refits when asked, or when
        the stored matcher is missing or from another model or scikit-learn version; reads
        only the stored model's metadata, never its pickle."""
        if not full:
            info = store.model_state_info(self.engine, MATCHER_STATE)
            if (
                info is not None
                and info.version == self.model_version
                and info.library_version == sklearn_version()
            ):
                return info.fit_id, False
        return self._refit(), True

    def _load_matcher(self, fit_id: str) -> tuple[ProfileMatcher, str, bool]:
        """The fitted matcher (unpickled once per process), refitted when unreadable.
        The fit id may differ from `fit_id` when another process refitted meanwhile."""
        from matcher import ProfileMatcher

        if self._matcher is not None and self._matcher[0] == fit_id:
            fitted = self._matcher[1]
            fitted.weights, fitted.n_jobs = self.weights, self.workers
            return fitted, fit_id, False
        state = store.load_model_state(self.engine, MATCHER_STATE)
        fitted = None
        if (
            state is not None
            and state.version == self.model_version
            and state.library_version == sklearn_version()
        ):
            try:
                fitted = pickle.loads(state.blob)
            except Exception:  # an unreadable pickle is a reason to refit, not to fail
                fitted = None
        if state is None or not isinstance(fitted, ProfileMatcher):
            new_id = self._refit()
            assert self._matcher is not None
            return self._matcher[1], new_id, True
        fitted.weights, fitted.n_jobs = self.weights, self.workers
        self._matcher = (state.fit_id, fitted)
        return fitted, state.fit_id, False

    def _refit(self) -> str:
        from matcher import ProfileMatcher

        inputs = store.analysis_inputs(self.engine)
        fitted = ProfileMatcher(weights=self.weights, taxonomy=self.taxonomy, n_jobs=self.workers)
        matrix = fitted.fit_transform([posting_text(p) for p in inputs])
        fit_id = self.store_matcher(fitted)
        # Kept for the scoring pass that follows, so the postings are not vectorised twice.
        self._fit_rows = (fit_id, {(p.id, p.content_hash): i for i, p in enumerate(inputs)}, matrix)
        return fit_id

    def store_matcher(self, fitted: ProfileMatcher) -> str:
        """Persist a fitted matcher as the current one; returns its new fit id (every
        score computed with an earlier fit becomes out of date)."""
        fit_id = f"{self.model_version}@{uuid.uuid4().hex}"
        store.save_model_state(
            self.engine,
            MATCHER_STATE,
            self.model_version,
            sklearn_version(),
            pickle.dumps(fitted, protocol=pickle.HIGHEST_PROTOCOL),
            self.clock(),
            fit_id,
        )
        self._matcher = (fit_id, fitted)
        return fit_id

    # -- scoring -----------------------------------------------------------------
    def profile_hash(self, spec: ProfileSpec) -> str:
        # The weights are part of what a score means: a change rescores everything. So is
        # the stored form (parts at 6 decimals since format 2: a refresh by age reuses the
        # text part, which must be the exact value scoring computed; format 3: a posting whose
        # terms are over scores 0).
        return _hash({"spec": asdict(spec), "weights": self.weights or {}, "format": SCORE_FORMAT})

    def score_profile(
        self, spec: ProfileSpec, email: str | None, full: bool = False
    ) -> RefreshReport:
        return self.score_profiles([(spec, email)], full=full)[spec.name]

    def score_profiles(
        self, items: Sequence[tuple[ProfileSpec, str | None]], full: bool = False
    ) -> dict[str, RefreshReport]:
        """Bring several profiles' scores up to date in one pass: postings pending for any
        of them are loaded and vectorised once, then scored for each profile they are
        pending for."""
        analysed = self.analyse_pending(full=full)
        fit_id, refitted = self.matcher_fit(full=full)
        now = self.clock()
        cutoff = now - SCORE_TTL
        marks = [store.scored_checkpoint(spec.name) for spec, _ in items]
        # Read before looking for work: analyses saved after this bump it (store/stamps.py).
        stamps = store.read_stamps(self.engine, [store.ANALYSES_STAMP, *marks])
        seen = stamps.get(store.ANALYSES_STAMP, (0, ""))[0]
        todo: list[tuple[ProfileSpec, str]] = []
        for spec, email in items:
            profile_hash = self.profile_hash(spec)
            if store.profile_state(self.engine, spec.name) != (email, profile_hash):
                store.upsert_profile(self.engine, spec.name, email, asdict(spec), profile_hash, now)
            # No analysis saved since this profile's last complete pass: every posting has a
            # score, and only its spec, fit or age can make one stale (index seeks).
            covered = stamps.get(store.scored_checkpoint(spec.name)) == (
                seen,
                f"{profile_hash} {fit_id}",
            )
            if not store.scores_current(
                self.engine, spec.name, profile_hash, fit_id, cutoff, coverage=not covered
            ):
                todo.append((spec, profile_hash))
            elif not covered:
                self._checkpoint(
                    store.scored_checkpoint(spec.name), stamps, seen, f"{profile_hash} {fit_id}"
                )
        scored = {spec.name: 0 for spec, _ in items}
        if todo:
            pending = self._pending(todo, fit_id, cutoff)
            if any(pending.values()):
                matcher, loaded_id, reloaded = self._load_matcher(fit_id)
                if loaded_id != fit_id:  # refitted (here or by another process) since the check
                    refitted = refitted or reloaded
                    fit_id = loaded_id
                    pending = self._pending(todo, fit_id, cutoff)
                self._score_pending(matcher, fit_id, todo, pending, now, scored)
            for spec, profile_hash in todo:
                self._checkpoint(
                    store.scored_checkpoint(spec.name), stamps, seen, f"{profile_hash} {fit_id}"
                )
        self._fit_rows = None  # the fit's posting vectors served this pass only
        return {name: RefreshReport(analysed, n, refitted) for name, n in scored.items()}

    def _pending(
        self, todo: list[tuple[ProfileSpec, str]], fit_id: str, cutoff: datetime
    ) -> dict[str, set[int]]:
        return {
            spec.name: set(
                store.pending_score_ids(
                    self.engine, spec.name, profile_hash, fit_id, computed_before=cutoff
                )
            )
            for spec, profile_hash in todo
        }

    def _score_pending(
        self,
        matcher: ProfileMatcher,
        fit_id: str,
        todo: list[tuple[ProfileSpec, str]],
        pending: dict[str, set[int]],
        now: datetime,
        scored: dict[str, int],
    ) -> None:
        all_ids = sorted(set().union(*pending.values()))
        # Scores stale by age alone keep their text part: those postings need no vector.
        known = {
            spec.name: store.stored_text_parts(
                self.engine, spec.name, profile_hash, fit_id, sorted(pending[spec.name])
            )
            for spec, profile_hash in todo
        }
        for start in range(0, len(all_ids), SCORE_BATCH):
            inputs = store.score_inputs(self.engine, all_ids[start : start + SCORE_BATCH])
            vectorize = any(
                r.id in pending[spec.name] and r.id not in known[spec.name]
                for spec, _ in todo
                for r in inputs
            )
            batch = matcher.prepare(
                [posting_text(r) for r in inputs],
                [to_analysis(r) for r in inputs],
                now=now,
                matrix=self._rows_from_fit(fit_id, inputs),
                vectorize=vectorize,
            )
            tasks = []
            done_by: list[tuple[ProfileSpec, str, list[int]]] = []
            for spec, profile_hash in todo:
                want = pending[spec.name]
                idx = [i for i, r in enumerate(inputs) if r.id in want]
                if not idx:
                    continue
                part = batch if len(idx) == len(inputs) else batch.take(idx)
                mine = known[spec.name]
                text_parts = [mine.get(inputs[i].id) for i in idx] if mine else None
                tasks.append((spec, part, text_parts))
                done_by.append((spec, profile_hash, idx))
            # Big batches are scored in worker processes while this one stores the results.
            for (spec, profile_hash, idx), results in zip(
                done_by, matcher.score_each(tasks), strict=True
            ):
                rows = [
                    score_row(spec.name, inputs[i].id, inputs[i].content_hash, profile_hash,
                              fit_id, res, now)
                    for i, res in zip(idx, results, strict=True)
                ]  # fmt: skip
                store.save_scores(self.engine, rows)
                scored[spec.name] += len(rows)

    def _rows_from_fit(self, fit_id: str, inputs: Sequence[Any]) -> Any:
        """The batch's TF-IDF rows as vectorised by this process's refit, when it made them
        for this very content (None otherwise: the batch is vectorised again)."""
        if self._fit_rows is None or self._fit_rows[0] != fit_id:
            return None
        index = self._fit_rows[1]
        rows = [index.get((r.id, r.content_hash)) for r in inputs]
        if any(i is None for i in rows):
            return None
        return self._fit_rows[2][rows]

    def score_guide(self, full: bool = False) -> RefreshReport:
        return self.score_profile(self.guide_spec(), None, full=full)

    def guide_spec(self) -> ProfileSpec:
        from matcher import guide_profile

        spec = guide_profile(self.taxonomy)
        spec.name = GUIDE_PROFILE
        return spec

    def score_configured(self, profile: ProfileConfig, full: bool = False) -> RefreshReport:
        return self.score_profile(profile_spec(profile), profile.email, full=full)


def score_row(
    profile_name: str,
    posting_id: int,
    posting_hash: str,
    profile_hash: str,
    fit_id: str,
    r: MatchResult,
    now: datetime,
) -> dict[str, Any]:
    """The stored form of one posting's score for one profile."""
    return {
        "profile_name": profile_name,
        "posting_id": posting_id,
        "score": round(float(r.score), 6),
        "parts": {k: round(float(v), 6) for k, v in r.parts.items()},
        "reasons": list(r.reasons),
        "matched_skills": list(r.matched_skills),
        "missing_skills": list(r.missing_skills),
        "posting_hash": posting_hash,
        "profile_hash": profile_hash,
        "model_version": fit_id,
        "computed_at": now,
    }


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
        roles=list(profile.roles),
        terms=list(profile.terms),
        entry_level=profile.entry_level,
    )


def posting_text(p: Any) -> PostingText:
    """The matcher's view of a posting: a `store.Posting`, or a row of
    `store.analysis_inputs` / `store.score_inputs` (same attribute names)."""
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


def to_analysis(a: Any) -> Analysis:
    """The matcher's `Analysis` from a `store.Analysis` (or a `store.score_inputs` row)."""
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
        entry_level_evidence=a.entry_level_evidence,
    )


def since_cutoff(now: datetime, text: str) -> datetime:
    """'7d', '12h', '2w' -> the moment that long before now."""
    units = {"h": "hours", "d": "days", "w": "weeks"}
    value, unit = text[:-1], text[-1:].lower()
    if unit not in units or not value.isdigit():
        raise ValueError(f"--since {text!r}: expected a number followed by h, d or w (e.g. 7d)")
    return now - timedelta(**{units[unit]: int(value)})
