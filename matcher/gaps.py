"""Skill-gap report: which skills, learned next, would open the most of a profile's top matches.

Across the profile's best-scoring postings (the caller passes them, typically the top 50 of its
ranking), :func:`skill_gaps` counts every skill the postings ask for that the profile lacks:

``asked``
    how many of those postings ask for the skill (required, preferred or unmarked).
``unlocks``
    how many postings the skill alone would "unlock". A posting is unlocked by skill S when the
    profile lacks S, the posting asks for S, and adding S to the profile would either

    * complete its required skills: S is the only required skill the profile is missing (when
      the posting marks no required/preferred line, every technical skill it asks for counts
      as required), or
    * lift its skill coverage, computed exactly as the scorer does
      (:func:`matcher.scoring.skill_coverage`), from below ``COVERAGE_THRESHOLD`` (0.5) to at
      least that threshold.

``required`` / ``preferred`` / ``unmarked``
    in how many of the asking postings the skill is marked required, marked preferred, or
    asked without such a mark. ``mostly`` is "required" when it is marked required at least as
    often as preferred (and marked at all), "preferred" when preferred marks outnumber required
    ones, and "unmarked" when no asking posting marks it either way.

Skills are grouped by the taxonomy's skill groups (the guide's skill areas: languages, ML
frameworks, SQL & databases, LLMs/NLP/RAG/agents, vision, cloud, data engineering, MLOps,
responsible AI, workplace...). Within a group, skills are sorted by unlocks, then asked, then
name; groups by how many postings their skills unlock, then how many ask for any of them, then
the taxonomy's group order. Workplace skills (communication, teamwork) are reported but never
unlock a posting: the scorer leaves them out of skill coverage. Everything is deterministic: the
same input gives the same output.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from .asks import profile_skills, skill_ask, skill_coverage
from .models import Analysis, MatchResult, ProfileSpec
from .scoring import COVERAGE_THRESHOLD, DEFAULT_WEIGHTS
from .taxonomy import Taxonomy, load_taxonomy

_EPS = 1e-9

GROUP_LABELS: dict[str, str] = {
    "languages": "Programming languages",
    "ml_frameworks": "ML frameworks",
    "ml_concepts": "ML methods",
    "data_tools": "Python data libraries",
    "sql_databases": "SQL & databases",
    "analytics": "Analytics & BI",
    "llm_nlp": "LLMs, NLP, RAG & agents",
    "vision_robotics": "Computer vision & robotics",
    "cloud": "Cloud",
    "data_engineering": "Data engineering",
    "mlops": "MLOps",
    "responsible_ai": "Responsible AI",
    "software": "Software engineering",
    "web": "Web development",
    "automation": "Automation",
    "domain": "Domain knowledge",
    "workplace": "Workplace skills",
    "other": "Other skills",
}


@dataclass
class SkillGap:
    """One skill the profile lacks; posting references are indices into ``matches``."""

    skill: str
    group: str
    asked: int = 0
    unlocks: int = 0
    required: int = 0
    preferred: int = 0
    unmarked: int = 0
    asked_by: list[int] = field(default_factory=list)
    unlocked: list[int] = field(default_factory=list)

    @property
    def mostly(self) -> str:
        if self.required == 0 and self.preferred == 0:
            return "unmarked"
        return "required" if self.required >= self.preferred else "preferred"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "mostly": self.mostly}


@dataclass
class GapGroup:
    """The missing skills of one skill area, best first."""

    group: str
    label: str
    skills: list[SkillGap]

    @property
    def asked(self) -> int:
        """Postings asking for at least one of these skills."""
        return len({i for s in self.skills for i in s.asked_by})

    @property
    def unlocks(self) -> int:
        """Postings that at least one of these skills would unlock."""
        return len({i for s in self.skills for i in s.unlocked})

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "label": self.label,
            "asked": self.asked,
            "unlocks": self.unlocks,
            "skills": [s.to_dict() for s in self.skills],
        }


def top_matches(matches: Sequence[tuple[Analysis, MatchResult]], top_n: int) -> list[int]:
    """Indices of the ``top_n`` best-scoring matches, best first; ties keep input order."""
    order = sorted(range(len(matches)), key=lambda i: -matches[i][1].score)
    return order[: max(0, top_n)]


def skill_gaps(
    profile: ProfileSpec,
    matches: Sequence[tuple[Analysis, MatchResult]],
    taxonomy: Taxonomy | None = None,
    top_n: int = 50,
    weights: dict[str, float] | None = None,
) -> list[GapGroup]:
    """The skills most asked for across the profile's top ``top_n`` matches that it lacks.

    ``matches`` are (analysis, score) pairs, normally the profile's ranking best first; only the
    ``top_n`` best-scoring ones are considered. ``weights`` (the scorer's, for
    ``skills_preferred_share``) default to ``DEFAULT_WEIGHTS``. See the module docstring for
    what "asked", "unlocks" and "mostly" mean and how the result is ordered.
    """
    tax = taxonomy if taxonomy is not None else load_taxonomy()
    share = {**DEFAULT_WEIGHTS, **(weights or {})}["skills_preferred_share"]
    canon, _ = profile_skills(profile, tax)
    have = frozenset(canon)
    gaps: dict[str, SkillGap] = {}

    for i in top_matches(matches, top_n):
        analysis = matches[i][0]
        ask = skill_ask(analysis, tax)
        required_marks = set(analysis.required_skills)
        preferred_marks = set(analysis.preferred_skills) - required_marks
        coverage = skill_coverage(ask, have, share)
        missing_required = [s for s in ask.required if s not in have]
        asked = list(dict.fromkeys([*analysis.skills, *ask.required, *ask.preferred]))
        for skill in asked:
            if skill in have:
                continue
            gap = gaps.get(skill)
            if gap is None:
                gap = gaps[skill] = SkillGap(skill, tax.skill_group(skill) or "other")
            gap.asked += 1
            gap.asked_by.append(i)
            if skill in required_marks:
                gap.required += 1
            elif skill in preferred_marks:
                gap.preferred += 1
            else:
                gap.unmarked += 1
            if skill not in ask.asked or coverage is None:
                continue  # a workplace skill: not part of the scorer's coverage
            completes = missing_required == [skill]
            after = skill_coverage(ask, have | {skill}, share)
            # (within rounding: 0.7 x 1/2 + 0.3 x 1/2 is 0.5 even if floats say 0.49999...)
            crosses = (
                coverage < COVERAGE_THRESHOLD - _EPS
                and after is not None
                and after >= COVERAGE_THRESHOLD - _EPS
            )
            if completes or crosses:
                gap.unlocks += 1
                gap.unlocked.append(i)

    group_order = list(dict.fromkeys(s.group for s in tax.skills))
    by_group: dict[str, list[SkillGap]] = {}
    for gap in gaps.values():
        by_group.setdefault(gap.group, []).append(gap)
    groups = [
        GapGroup(
            group=key,
            label=GROUP_LABELS.get(key, key.replace("_", " ").capitalize()),
            skills=sorted(items, key=lambda g: (-g.unlocks, -g.asked, g.skill.casefold(), g.skill)),
        )
        for key, items in by_group.items()
    ]

    def rank_key(g: GapGroup) -> tuple[int, int, int, str]:
        pos = group_order.index(g.group) if g.group in group_order else len(group_order)
        return (-g.unlocks, -g.asked, pos, g.group)

    return sorted(groups, key=rank_key)
