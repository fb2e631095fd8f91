"""InternScout matcher: classify internship postings and rank them for a student.

A pure library (no database, no crawling). Typical use::

    tax = load_taxonomy()
    analyzer = PostingAnalyzer(taxonomy=tax).fit()
    analyses = analyzer.analyze_many(postings)
    matcher = ProfileMatcher().fit([p.description for p in postings])
    results = matcher.score_many(guide_profile(tax), postings, analyses, now)
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .models import Analysis, MatchResult, PostingText, ProfileSpec
from .taxonomy import SECTORS, Taxonomy, TaxonomyError, load_taxonomy

if TYPE_CHECKING:
    from .asks import SkillAsk, skill_ask
    from .classify import PostingAnalyzer
    from .internship import detect_internship, is_internship_title
    from .scoring import DEFAULT_WEIGHTS, ProfileMatcher, guide_profile, rank

# The classifier and the scorer import scikit-learn (about a second): they load on first use,
# so `import matcher` stays cheap for commands that only read stored results.
_LAZY = {
    "PostingAnalyzer": "classify",
    "detect_internship": "internship",
    "is_internship_title": "internship",
    "DEFAULT_WEIGHTS": "scoring",
    "ProfileMatcher": "scoring",
    "guide_profile": "scoring",
    "rank": "scoring",
    "SkillAsk": "asks",
    "skill_ask": "asks",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


# Bump when classification or scoring logic changes: the service re-analyses and re-scores
# stored postings when this (or the taxonomy version) differs from what it stored.
MODEL_VERSION = "2.3.2"

__all__ = [
    "DEFAULT_WEIGHTS",
    "MODEL_VERSION",
    "SECTORS",
    "Analysis",
    "MatchResult",
    "PostingAnalyzer",
    "PostingText",
    "ProfileMatcher",
    "ProfileSpec",
    "SkillAsk",
    "Taxonomy",
    "TaxonomyError",
    "detect_internship",
    "guide_profile",
    "is_internship_title",
    "load_taxonomy",
    "rank",
    "skill_ask",
]
