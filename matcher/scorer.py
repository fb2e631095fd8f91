"""One profile's score of each posting of a prepared batch: the parts, the penalties and the
plain-language reasons (the formula and weights are in scoring.py's module doc)."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from datetime import date
from itertools import filterfalse, repeat
from typing import TYPE_CHECKING

from .asks import SkillAsk, coverage_of_counts, profile_skills
from .models import ProfileSpec
from .places import location_match
from .terms import parse_terms, term_fit, term_label
from .text import clean_text

if TYPE_CHECKING:
    from .scoring import PostingFacts, PreparedPostings, ProfileMatcher
    from .taxonomy import Taxonomy

_ZEROS = repeat(0.0)  # default for dict.get in map()
ResultRow = tuple[float, dict[str, float], list[str], list[str], list[str]]
# The parts every score has; profiles with terms also have "term" (see scoring.py).
PART_KEYS = ("text", "skills", "role", "sector", "location", "recency")
NEUTRAL = 0.5
_ADJACENT_ROLES = frozenset(
    {"ml_engineering", "data_science", "software_ai", "research", "automation",
     "analytics_engineering", "cloud_ai", "data_engineering", "software", "data_analytics"}
)  # fmt: skip
_SECTOR_ALIASES = {
    "technology": "tech", "software": "tech", "health": "healthcare", "medical": "healthcare",
    "financial": "finance", "banking": "finance", "insurance": "finance",
    "government": "nonprofit", "non-profit": "nonprofit", "public": "nonprofit",
    "academia": "research", "university": "research", "academic": "research",
}  # fmt: skip


_FIXED_REASONS = {
    "role wanted": "Role: {} — one of the roles you look for",
    "role": "Role: {}",
    "sector wanted": "{} employer — in your sectors",
    "sector": "{} employer — not in your sectors",
    "place": "In {} — one of your locations",
}


def _list_text(names: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _deadline_text(deadline: date, days: int) -> str:
    left = "closes today" if days == 0 else f"{days} day{'s' if days != 1 else ''} left"
    return f"Apply by {deadline.isoformat()} ({left})"


def _skills_reason(
    ask: SkillAsk, have: Collection[str], missing_req: Sequence[str], n_pref: int
) -> str:
    if not ask.marked:
        matched = list(filter(have.__contains__, ask.required))
        msg = f"Matches {len(matched)} of {len(ask.required)} skills asked"
        if matched:
            msg += f": {_list_text(matched)}"
        if len(matched) < len(ask.required):
            missing = [s for s in ask.required if s not in have]
            msg += f" (missing: {_list_text(missing)})"
        return msg
    if not ask.required:
        return f"Has {n_pref} of {len(ask.preferred)} preferred skills"
    n_req = len(ask.required) - len(missing_req)
    msg = f"Has {n_req} of {len(ask.required)} required skills"
    if missing_req:
        msg += f" (missing: {_list_text(list(missing_req))})"
    if ask.preferred:
        msg += f"; {n_pref} of {len(ask.preferred)} preferred"
    return msg


# The weights fixed_penalties reads.
_FIXED_WEIGHTS = (
    "penalty_not_internship", "penalty_seniority", "penalty_experience", "deadline_soon_days"
)  # fmt: skip
# (score factor, penalty parts, their reasons, the part that zeroes the score or "", the
# reason shown first or "")
FixedPenalties = tuple[float, tuple[tuple[str, float], ...], tuple[str, ...], str, str]


def fixed_penalties(
    f: PostingFacts, w: dict[str, float], entry_level: bool = False
) -> FixedPenalties:
    """The penalties of a posting for every profile alike, or for every profile that also
    wants entry-level jobs (``entry_level``): a student looks for internships, not senior or
    experienced roles, nor ones whose deadline passed or whose terms are over. Worked out
    once per batch (see FixedPenalties)."""
    factor = 1.0
    parts: list[tuple[str, float]] = []
    late: list[str] = []  # shown after the positive reasons
    if not f.is_internship and not (entry_level and f.entry_reason):
        pen = w["penalty_not_internship"]
        parts.append(("penalty_not_internship", -pen))
        factor *= 1.0 - pen
        late.append(f.intern_reason)
    if f.seniority:
        pen = w["penalty_seniority"]
        parts.append(("penalty_seniority", -pen))
        factor *= 1.0 - pen
        late.append(f"Title says {f.seniority}: not a student role")
    years = f.years
    if years is not None and years >= 2:
        pen = w["penalty_experience"] * (1.0 if years >= 3 else 0.4)
        if f.is_internship:
            pen /= 2  # interns' "N years of Python" usually counts coursework too
        parts.append(("penalty_experience", -round(pen, 6)))
        factor *= 1.0 - pen
        late.append(f"Asks for {years}+ years of experience: not a student role")
    zero, said = "", ""
    if f.days_left is not None:
        assert f.deadline is not None
        if f.days_left < 0:
            zero, said = "penalty_deadline", "Application deadline passed"
        elif f.days_left <= w["deadline_soon_days"]:
            said = _deadline_text(f.deadline, f.days_left)  # no score change
    if f.term_over and not zero:
        zero, said = "penalty_term_over", f.term_over
    return factor, tuple(parts), tuple(late), zero, said


class Scorer:
    """One profile's scoring of one prepared batch (see the module doc for the parts)."""

    def __init__(
        self, tax: Taxonomy, w: dict[str, float], ctx: ProfileContext, batch: PreparedPostings
    ) -> None:
        self.tax, self.w, self.ctx, self.batch = tax, w, ctx, batch
        self.places: dict[tuple[str, ...], str | None] = {}  # location strings repeat a lot
        self.elsewhere: dict[tuple[str, ...], str] = {}
        self.sectors = tuple(ctx.sectors)  # (the set's own order, as before)
        self.keys = (*PART_KEYS, "term") if ctx.terms else PART_KEYS
        self.part_weights = [(k, w[k]) for k in self.keys]
        self.total_w = sum(w[k] for k in self.keys)
        # Reasons that depend on one label only, made once per label rather than per posting.
        self.said: dict[tuple[str, str], str] = {}
        key = (*(w[k] for k in _FIXED_WEIGHTS), ctx.entry_level)
        fixed = batch.per_weights.get(key)
        if fixed is None:
            fixed = batch.per_weights[key] = [
                fixed_penalties(f, w, ctx.entry_level) for f in batch.facts
            ]
        self.fixed = fixed

    def _said(self, kind: str, label: str) -> str:
        text = self.said.get((kind, label))
        if text is None:
            text = self.said[(kind, label)] = _FIXED_REASONS[kind].format(label)
        return text

    def run(self, text: list[float], recency: list[float]) -> list[ResultRow]:
        """Each posting's result as a row: the fields of :class:`MatchResult` in order (plain
        tuples are made and pickled faster than the objects)."""
        facts = self.batch.facts
        return [
            self.one(i, f, t, r)
            for i, (f, t, r) in enumerate(zip(facts, text, recency, strict=True))
        ]

    def one(self, i: int, f: PostingFacts, text_part: float, recency: float) -> ResultRow:
        ctx, w = self.ctx, self.w
        parts: dict[str, float] = {"text": text_part}
        if f.is_internship:
            reasons: list[str] = [f.intern_reason]
        else:
            reasons = [f.entry_reason] if ctx.entry_level and f.entry_reason else []

        # skills (required ones weigh most when the posting marks them)
        ask = f.ask
        have = ctx.skills
        matched = list(filter(have.__contains__, f.skills))  # (filter: no Python frame)
        if ctx.free_skills:
            low = self.batch.lower_doc(i)
            # The substring test is a fast filter; the regex then checks word boundaries.
            matched += [
                s
                for s, key, rx in ctx.free_skills
                if key in low and s not in matched and rx.search(self.batch.doc(i))
            ]
        missing_req = list(filterfalse(have.__contains__, ask.required))
        missing_pref = list(filterfalse(have.__contains__, ask.preferred))
        n_pref = len(ask.preferred) - len(missing_pref)
        if not ctx.all_skills:
            parts["skills"] = NEUTRAL
        else:
            used = min(1.0, len(matched) / ctx.skill_cap)
            coverage = coverage_of_counts(
                ask, len(ask.required) - len(missing_req), n_pref, w["skills_preferred_share"]
            )
            value = 0.25 + 0.5 * used if coverage is None else 0.6 * coverage + 0.4 * used
            parts["skills"] = round(value, 6)
        if (ask.required or ask.preferred) and ctx.all_skills:
            reasons.append(_skills_reason(ask, have, missing_req, n_pref))
        elif matched:
            reasons.append(f"Mentions your skills: {_list_text(matched)}")

        # role
        if f.role in ctx.roles:
            parts["role"] = 1.0
            reasons.append(self._said("role wanted", f.role_label))
        elif f.role in _ADJACENT_ROLES:
            parts["role"] = 0.4
            reasons.append(self._said("role", f.role_label))
        else:
            parts["role"] = 0.0

        # sector
        if not ctx.sectors:
            parts["sector"] = NEUTRAL
        elif f.sector in ctx.sectors:
            parts["sector"] = 1.0
            reasons.append(self._said("sector wanted", f.sector_name))
        else:
            scores = f.sector_scores
            parts["sector"] = round(sum(map(scores.get, self.sectors, _ZEROS)), 6)
            reasons.append(self._said("sector", f.sector_name))

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
            reasons.append(self._said("place", hit))
        elif ctx.remote_ok and f.remote:
            parts["location"] = 0.9
            reasons.append("Remote — you accept remote work")
        elif not ctx.locations:
            parts["location"] = NEUTRAL
        elif not locs:
            parts["location"] = 0.4
        else:
            parts["location"] = 0.0
            elsewhere = self.elsewhere.get(locs)
            if elsewhere is None:
                elsewhere = self.elsewhere[locs] = (
                    f"Located in {_list_text(locs, 2)} — not in your locations"
                )
            reasons.append(elsewhere)

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

        # penalties (see fixed_penalties), then the profile's own: terms it does not want
        factor, penalties, late, zero_part, first_reason = self.fixed[i]
        if penalties:
            parts.update(penalties)
        reasons += late
        if term_mismatch:
            pen = min(1.0, w["penalty_term"])
            parts["penalty_term"] = -pen
            factor *= 1.0 - pen
            reasons.append(term_mismatch)
        score = base * factor
        if zero_part:  # the deadline passed, or the terms are over
            parts[zero_part] = -1.0
            score = 0.0
        if first_reason:
            reasons.insert(0, first_reason)

        # (score, parts, matched_skills, missing_skills, reasons): MatchResult's fields.
        return (round(min(1.0, max(0.0, score)), 6), parts, matched, missing_req + missing_pref,
                reasons)  # fmt: skip

    def _term(self, i: int, parts: dict[str, float], reasons: list[str]) -> str:
        """Sets the term part; returns the mismatch message when every offered term differs."""
        wanted = self.ctx.terms
        offered = self.batch.terms(i)
        fits = [(term_fit(want, t), t) for t in offered for want in wanted]
        best = max((fit for fit, _ in fits), default=None)
        wanted_text = _list_text([term_label(t) for t in wanted], 3)
        if best is None:
            parts["term"] = NEUTRAL
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


class ProfileContext:
    """Per-call profile preprocessing (canonical skills, vector, preferences)."""

    __slots__ = ("all_skills", "entry_level", "free_skills", "locations", "remote_ok", "roles",
                 "sectors", "skill_cap", "skills", "terms", "vector")  # fmt: skip

    @classmethod
    def build(cls, matcher: ProfileMatcher, profile: ProfileSpec) -> ProfileContext:
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
        ctx.entry_level = profile.entry_level
        ctx.terms = list(dict.fromkeys(t for raw in profile.terms for t in parse_terms(raw or "")))
        return ctx
