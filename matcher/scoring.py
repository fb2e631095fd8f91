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

import math
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import TfidfVectorizer

from .features import detect_remote
from .models import Analysis, MatchResult, PostingText, ProfileSpec
from .taxonomy import SECTORS, Taxonomy, load_taxonomy
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
_US_STATES = {
    "al": "alabama", "ak": "alaska", "az": "arizona", "ar": "arkansas", "ca": "california",
    "co": "colorado", "ct": "connecticut", "de": "delaware", "fl": "florida", "ga": "georgia",
    "hi": "hawaii", "id": "idaho", "il": "illinois", "in": "indiana", "ia": "iowa",
    "ks": "kansas", "ky": "kentucky", "la": "louisiana", "me": "maine", "md": "maryland",
    "ma": "massachusetts", "mi": "michigan", "mn": "minnesota", "ms": "mississippi",
    "mo": "missouri", "mt": "montana", "ne": "nebraska", "nv": "nevada", "nh": "new hampshire",
    "nj": "new jersey", "nm": "new mexico", "ny": "new york", "nc": "north carolina",
    "nd": "north dakota", "oh": "ohio", "ok": "oklahoma", "or": "oregon", "pa": "pennsylvania",
    "ri": "rhode island", "sc": "south carolina", "sd": "south dakota", "tn": "tennessee",
    "tx": "texas", "ut": "utah", "vt": "vermont", "va": "virginia", "wa": "washington",
    "wv": "west virginia", "wi": "wisconsin", "wy": "wyoming", "dc": "district of columbia",
}  # fmt: skip
_STATE_NAMES = frozenset(_US_STATES.values())
_PLACE_ALIASES = {
    # Not "la"/"dc": they are also state codes (Louisiana; DC would expand to "washington").
    "nyc": "new york", "sf": "san francisco", "usa": "united states", "us": "united states",
    "u.s.": "united states", "u.s.a.": "united states", "uk": "united kingdom",
}  # fmt: skip
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


def _place_parts(text: str) -> list[str]:
    """Lower-case parts of a location string, most specific first ("boston", "ma")."""
    parts = (" ".join(p.split()) for p in re.split(r"[,;/|()]|\s+-\s+", text.lower()))
    return [_PLACE_ALIASES.get(p, p) for p in parts if p]


def _state_name(part: str) -> str | None:
    if part in _US_STATES:
        return _US_STATES[part]
    return part if part in _STATE_NAMES else None


def _location_match(wanted: Sequence[str], locations: Sequence[str]) -> str | None:
    """The first posting location matching a wanted place.

    A wanted "Boston, MA" is matched by its most specific part (Boston); a wanted state ("MA"
    or "Massachusetts") by the posting's state in either spelling.
    """
    postings = [(loc, _place_parts(loc)) for loc in locations]
    for w in wanted:
        parts = _place_parts(w)
        if not parts:
            continue
        key = parts[0]
        # "Washington" alone is the state; in "Washington, DC" it is the city.
        state = _state_name(key) if len(parts) == 1 or parts[1] == "united states" else None
        for loc, pparts in postings:
            if state is not None and any(_state_name(p) == state for p in pparts):
                return loc
            if len(key) >= 2 and (
                key in pparts or re.search(rf"(?<!\w){re.escape(key)}(?!\w)", loc.lower())
            ):
                return loc
    return None


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


# -- internship terms ----------------------------------------------------------------------------

Term = tuple[str | None, int | None]  # (season, year); either may be unknown
_SEASONS = {"spring": "Spring", "summer": "Summer", "fall": "Fall", "autumn": "Fall",
            "winter": "Winter"}  # fmt: skip
# "Spring Boot" and friends are frameworks, not seasons.
_SEASON = (
    r"(?:spring(?![\s-]*(?:boot|framework|cloud|mvc|batch|security|data|webflux))"
    r"|summer|fall|autumn|winter)"
)
_TERM_TOKEN = re.compile(rf"\b(?P<season>{_SEASON})\b|(?<![\w'])(?P<year>20\d\d)\b|"
                         r"(?<![\w])'(?P<short>\d\d)\b", re.I)  # fmt: skip
_YEAR = r"(?:20\d\d|'\d\d)"
# In the description a season counts only next to an internship word ("Summer 2027
# internship", "2027 summer interns", "internship for summer 2027"), never in "graduating in
# Spring 2028". Each season word found is checked in a small window around it (a regex scan of
# the whole text for these alternatives is many times slower).
_SEASON_NAMES = ("spring", "summer", "fall", "autumn", "winter")
_SEASON_LIST = rf"{_SEASON}(?:\s*(?:/|&|and|or)\s*{_SEASON})*"
_SEASON_SPAN = re.compile(rf"\b{_SEASON_LIST}\b(?:\s+(?:of\s+)?{_YEAR}\b)?")
_INTERNISH = r"(?:intern(?:ship)?s?|co-?ops?|program(?:me)?|cohort|placements?|students?)\b"
_AFTER_SPAN = re.compile(rf"\s*[-–]?\s*{_INTERNISH}")
_YEAR_BEFORE = re.compile(rf"(?<!\w)(?P<year>{_YEAR})\s+$")
_INTERN_BEFORE = re.compile(r"\b(?:intern(?:ship)?s?|co-?ops?)\b(?P<gap>[^.\n]{0,30})$")


def parse_terms(text: str) -> list[Term]:
    """Terms named in a short text: "Summer 2027" -> [("Summer", 2027)]; "Summer/Fall 2027" ->
    both seasons in 2027; "Fall 2026 - Spring 2027" -> each season with the year after it;
    "2027" -> [(None, 2027)]. A season takes the first year after it, else the last before it.
    """
    seasons: list[tuple[int, str]] = []
    years: list[tuple[int, int]] = []
    for m in _TERM_TOKEN.finditer(text or ""):
        if m.group("season"):
            seasons.append((m.start(), _SEASONS[m.group("season").lower()]))
        else:
            y = int(m.group("year")) if m.group("year") else 2000 + int(m.group("short"))
            years.append((m.start(), y))
    out: list[Term] = []
    if not seasons:
        out = [(None, y) for _, y in years]
    for pos, season in seasons:
        after = [y for p, y in years if p > pos]
        before = [y for p, y in years if p < pos]
        year = after[0] if after else (before[-1] if before else None)
        out.append((season, year))
    return list(dict.fromkeys(out))


def posting_terms(p: PostingText, text: str | None = None) -> list[Term]:
    """The terms a posting is for: its ``terms`` field, else its title, else its text
    (``text``: the already cleaned posting text, when the caller has it)."""
    found = [t for raw in p.terms for t in parse_terms(raw or "")]
    if not found:
        found = [t for t in parse_terms(p.title or "") if t[0] is not None]
    if not found:
        text = clean_text(p.description or "") if text is None else text
        found = _text_terms(text.lower())
    return list(dict.fromkeys(found))


def _text_terms(low: str) -> list[Term]:
    """Terms named next to an internship word in a lower-cased text."""
    starts: list[int] = []
    for name in _SEASON_NAMES:  # str.find is far faster than a regex scan of the whole text
        at = low.find(name)
        while at != -1:
            starts.append(at)
            at = low.find(name, at + len(name))
    found: list[Term] = []
    for start in sorted(starts):
        span = _SEASON_SPAN.match(low, start)  # None inside a word or for "spring boot"
        if span is None:
            continue
        before = low[max(0, start - 40) : start]
        year_first = _YEAR_BEFORE.search(before)
        intern_first = _INTERN_BEFORE.search(before)
        if _AFTER_SPAN.match(low, span.end()):
            text = (year_first.group("year") + " " if year_first else "") + span.group(0)
        elif intern_first and "graduat" not in intern_first.group("gap"):
            text = span.group(0)
        else:
            continue
        found += [t for t in parse_terms(text) if t[0] is not None]
    return found


def term_label(term: Term) -> str:
    return " ".join(str(x) for x in term if x is not None)


def _term_fit(wanted: Term, offered: Term) -> int:
    """2: the posting states the wanted term; 1: compatible as far as it says; 0: different."""
    (ws, wy), (ps, py) = wanted, offered
    if (ws and ps and ws != ps) or (wy and py and wy != py):
        return 0
    return 2 if (ws is None or ps is not None) and (wy is None or py is not None) else 1


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


class ProfileMatcher:
    """Scores postings for a profile. Fit once on the corpus; picklable; deterministic."""

    def __init__(self, weights: dict[str, float] | None = None, taxonomy: Taxonomy | None = None):
        self.weights = weights
        self.taxonomy = taxonomy

    def fit(self, corpus_texts: Sequence[str]) -> ProfileMatcher:
        """Fit the TF-IDF vocabulary on posting texts plus the taxonomy's own text."""
        tax = self.taxonomy if self.taxonomy is not None else load_taxonomy()
        self.taxonomy_ = tax
        self.weights_ = self._effective_weights()
        vocab_text = [tax.sector_text(s) for s in SECTORS]
        vocab_text += [tax.role_text(r) for r in tax.role_order]
        vocab_text.append(tax.guide_interests)
        vocab_text.append(" ".join(" ".join((s.name, *s.synonyms)) for s in tax.skills))
        docs = [clean_text(t) for t in corpus_texts] + vocab_text
        self.vectorizer_ = TfidfVectorizer(
            sublinear_tf=True,
            ngram_range=(1, 2),
            stop_words="english",
            strip_accents="unicode",
            min_df=1,
            dtype=np.float64,
        ).fit(docs)
        return self

    def _check(self) -> None:
        if not hasattr(self, "vectorizer_"):
            raise NotFittedError("ProfileMatcher is not fitted; call fit() first")

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
        """Score many postings at once (one sparse product for the text part)."""
        self._check()
        if len(postings) != len(analyses):
            raise ValueError("postings and analyses must have the same length")
        if not postings:
            return []
        now = now if now is not None else datetime.now(UTC)
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        weights = self._effective_weights()
        ctx = _ProfileContext.build(self, profile)
        docs = [posting_document(p) for p in postings]
        sims = np.zeros(len(docs))
        if ctx.vector is not None:
            matrix = self.vectorizer_.transform(docs)
            sims = np.asarray((matrix @ ctx.vector.T).toarray()).ravel()
        return [
            self._one(ctx, weights, p, a, float(sim), doc, now)
            for p, a, sim, doc in zip(postings, analyses, sims, docs, strict=True)
        ]

    # -- internals --
    def _one(
        self, ctx: _ProfileContext, w: dict[str, float], p: PostingText, a: Analysis,
        sim: float, doc: str, now: datetime,
    ) -> MatchResult:  # fmt: skip
        tax = self.taxonomy_
        parts: dict[str, float] = {}
        reasons: list[str] = []
        late: list[str] = []  # penalties, shown after the positives

        if a.is_internship:
            reasons.append(f"Internship ({a.internship_evidence})" if a.internship_evidence
                           else "Internship")  # fmt: skip

        # text similarity
        if ctx.vector is not None and w["text_scale"] > 0:
            parts["text"] = 1.0 - math.exp(-max(0.0, sim) / w["text_scale"])
        else:
            parts["text"] = _NEUTRAL

        # skills (required ones weigh most when the posting marks them)
        ask = skill_ask(a, tax)
        matched = [s for s in a.skills if s in ctx.skills]
        matched += [s for s, rx in ctx.free_skills if rx.search(doc) and s not in matched]
        missing_req = [s for s in ask.required if s not in ctx.skills]
        missing_pref = [s for s in ask.preferred if s not in ctx.skills]
        coverage = skill_coverage(ask, ctx.skills, w["skills_preferred_share"])
        if not ctx.all_skills:
            parts["skills"] = _NEUTRAL
        elif coverage is None:
            parts["skills"] = 0.25 + 0.5 * min(1.0, len(matched) / min(len(ctx.all_skills), 6))
        else:
            used = min(1.0, len(matched) / min(len(ctx.all_skills), 6))
            parts["skills"] = 0.6 * coverage + 0.4 * used
        if ask.asked and ctx.all_skills:
            reasons.append(_skills_reason(ask, ctx.skills, missing_req))
        elif matched:
            reasons.append(f"Mentions your skills: {_list_text(matched)}")

        # role
        role_label = tax.roles[a.role].label if a.role in tax.roles else a.role
        if a.role in ctx.roles:
            parts["role"] = 1.0
            reasons.append(f"Role: {role_label} — one of the roles you look for")
        elif a.role in _ADJACENT_ROLES:
            parts["role"] = 0.4
            reasons.append(f"Role: {role_label}")
        else:
            parts["role"] = 0.0

        # sector
        sector_name = _SECTOR_NAMES.get(a.sector, a.sector)
        if not ctx.sectors:
            parts["sector"] = _NEUTRAL
        elif a.sector in ctx.sectors:
            parts["sector"] = 1.0
            reasons.append(f"{sector_name} employer — in your sectors")
        else:
            parts["sector"] = float(sum(a.sector_scores.get(s, 0.0) for s in ctx.sectors))
            reasons.append(f"{sector_name} employer — not in your sectors")

        # location / remote
        locs = [loc for loc in p.locations if loc]
        hit = _location_match(ctx.locations, locs) if ctx.locations else None
        if hit is not None:
            parts["location"] = 1.0
            reasons.append(f"In {hit} — one of your locations")
        elif ctx.remote_ok and detect_remote(p.workplace_type, locs, p.title or ""):
            parts["location"] = 0.9
            reasons.append("Remote — you accept remote work")
        elif not ctx.locations:
            parts["location"] = _NEUTRAL
        elif not locs:
            parts["location"] = 0.4
        else:
            parts["location"] = 0.0
            reasons.append(f"Located in {_list_text(locs, 2)} — not in your locations")

        # recency
        if p.posted_at is not None:
            posted = p.posted_at if p.posted_at.tzinfo else p.posted_at.replace(tzinfo=UTC)
            days = max(0.0, (now - posted).total_seconds() / 86400.0)
            parts["recency"] = 0.5 ** (days / w["recency_half_life_days"])
            reasons.append(_age_text(days))
        else:
            parts["recency"] = _NEUTRAL

        # internship term (only for profiles that name the terms they want)
        term_mismatch = ""
        if ctx.terms:
            offered = posting_terms(p, doc)
            fits = [(_term_fit(want, t), t) for t in offered for want in ctx.terms]
            best = max((f for f, _ in fits), default=None)
            wanted_text = _list_text([term_label(t) for t in ctx.terms], 3)
            if best is None:
                parts["term"] = _NEUTRAL
            elif best == 2:
                parts["term"] = 1.0
                chosen = next(t for f, t in fits if f == 2)
                reasons.append(f"{term_label(chosen)} — a term you want")
            elif best == 1:
                parts["term"] = 0.75
                chosen = next(t for f, t in fits if f == 1)
                unstated = "year" if chosen[1] is None else "season"
                reasons.append(
                    f"{term_label(chosen)} ({unstated} not stated) — you want {wanted_text}"
                )
            else:
                parts["term"] = 0.0
                offered_text = _list_text([term_label(t) for t in offered], 3)
                term_mismatch = f"For {offered_text} only — you want {wanted_text}"

        keys = (*_PART_KEYS, "term") if ctx.terms else _PART_KEYS
        total_w = sum(w[k] for k in keys)
        base = sum(w[k] * parts[k] for k in keys) / total_w if total_w > 0 else 0.0

        # penalties: a student looks for internships, not senior or experienced roles
        factor = 1.0
        if not a.is_internship:
            pen = w["penalty_not_internship"]
            parts["penalty_not_internship"] = -pen
            factor *= 1.0 - pen
            late.append("Not an internship" + (f" ({a.internship_evidence})"
                                               if a.internship_evidence else ""))  # fmt: skip
        if a.seniority:
            pen = w["penalty_seniority"]
            parts["penalty_seniority"] = -pen
            factor *= 1.0 - pen
            late.append(f"Title says {a.seniority}: not a student role")
        years = a.years_required
        if years is not None and years >= 2:
            pen = w["penalty_experience"] * (1.0 if years >= 3 else 0.4)
            if a.is_internship:
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
        if p.deadline is not None:
            days_left = (p.deadline - now.date()).days
            if days_left < 0:
                parts["penalty_deadline"] = -1.0
                score = 0.0
                reasons.insert(0, "Application deadline passed")
            elif days_left <= w["deadline_soon_days"]:
                reasons.insert(0, _deadline_text(p.deadline, days_left))  # no score change

        return MatchResult(
            score=round(min(1.0, max(0.0, score)), 6),
            parts={k: round(v, 6) for k, v in parts.items()},
            matched_skills=matched,
            missing_skills=missing_req + missing_pref,
            reasons=reasons + late,
        )


class _ProfileContext:
    """Per-call profile preprocessing (canonical skills, vector, preferences)."""

    __slots__ = ("all_skills", "free_skills", "locations", "remote_ok", "roles", "sectors",
                 "skills", "terms", "vector")  # fmt: skip

    @classmethod
    def build(cls, matcher: ProfileMatcher, profile: ProfileSpec) -> _ProfileContext:
        tax = matcher.taxonomy_
        ctx = cls()
        canon, free = profile_skills(profile, tax)
        ctx.skills = frozenset(canon)
        ctx.all_skills = canon + free
        # Skills outside the taxonomy are looked up literally in the posting text.
        ctx.free_skills = [
            (s, re.compile(rf"(?<![\w+#]){re.escape(s)}(?![\w+#])", re.I)) for s in free
        ]
        text = " ".join(
            x for x in (profile.interests, clean_text(profile.resume_text), " ".join(canon + free))
            if x
        )  # fmt: skip
        vec = matcher.vectorizer_.transform([text]) if text.strip() else None
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
