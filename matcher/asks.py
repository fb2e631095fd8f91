"""What a posting asks for and what a profile has: technical skills split into required and
preferred ones, how much of them a profile covers, and a profile's skills in taxonomy names."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from itertools import filterfalse

from .models import Analysis, ProfileSpec
from .taxonomy import Taxonomy


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

    is_workplace = tax.workplace_skills.__contains__

    def technical(names: Sequence[str]) -> list[str]:
        # (filter and filterfalse: no Python frame per name; this runs for every posting)
        return list(dict.fromkeys(filterfalse(is_workplace, filter(None, names))))

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
    # (map over the membership test: no Python frame per skill)
    n_req = sum(map(have.__contains__, ask.required))
    return coverage_of_counts(
        ask, n_req, sum(map(have.__contains__, ask.preferred)), preferred_share
    )


def coverage_of_counts(
    ask: SkillAsk, n_req: int, n_pref: int, preferred_share: float
) -> float | None:
    """:func:`skill_coverage` from how many required and preferred skills the student has."""
    if not ask.required and not ask.preferred:
        return None
    share = min(1.0, max(0.0, preferred_share))
    req = n_req / len(ask.required) if ask.required else None
    pref = n_pref / len(ask.preferred) if ask.preferred else None
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
