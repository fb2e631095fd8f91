"""InternScout matcher: classify internship postings and rank them for a student.

A pure library (no database, no crawling). Typical use::

    tax = load_taxonomy()
    analyzer = PostingAnalyzer(taxonomy=tax).fit()
    analyses = analyzer.analyze_many(postings)
    matcher = ProfileMatcher().fit([p.description for p in postings])
    results = matcher.score_many(guide_profile(tax), postings, analyses, now)
"""

from .classify import PostingAnalyzer, detect_internship, is_internship_title
from .models import Analysis, MatchResult, PostingText, ProfileSpec
from .scoring import DEFAULT_WEIGHTS, ProfileMatcher, guide_profile, rank
from .taxonomy import SECTORS, Taxonomy, TaxonomyError, load_taxonomy

# Bump when classification or scoring logic changes: the service re-analyses and re-scores
# stored postings when this (or the taxonomy version) differs from what it stored.
MODEL_VERSION = "1.0.0"

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
    "Taxonomy",
    "TaxonomyError",
    "detect_internship",
    "guide_profile",
    "is_internship_title",
    "load_taxonomy",
    "rank",
]
