"""ProfileMatcher: ranking properties, penalties, determinism, pickling, vectorised scoring."""

from __future__ import annotations

import pickle
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError

from matcher import (
    MODEL_VERSION,
    Analysis,
    MatchResult,
    PostingAnalyzer,
    PostingText,
    ProfileMatcher,
    ProfileSpec,
    guide_profile,
    load_taxonomy,
    rank,
)
from matcher.scoring import _location_match

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
BODY = ("Work on machine learning for patient data at our hospital. Python, SQL, pandas, "
        "scikit-learn and PyTorch; you will build NLP models on clinical notes.")  # fmt: skip
PROFILE = ProfileSpec(
    name="ana",
    skills=["python", "sql", "pandas", "scikit-learn", "pytorch"],
    interests="machine learning for health data, NLP",
    sectors=["healthcare"],
    locations=["Boston"],
    remote_ok=True,
)


def _posting(title: str, **kw) -> PostingText:
    base = {"company": "Mercy Hospital", "description": BODY, "locations": ["Boston, MA"],
            "posted_at": NOW - timedelta(days=3)}  # fmt: skip
    base.update(kw)
    return PostingText(title=title, **base)


POSTINGS = [
    _posting("Machine Learning Intern"),
    _posting(
        "Senior Machine Learning Engineer", description=BODY + " 6+ years of experience required."
    ),
    _posting("Machine Learning Engineer"),
    _posting("Data Science Intern", deadline=date(2025, 2, 1)),
    _posting(
        "Data Science Intern",
        company="Acme Software",
        locations=["Remote - US"],
        description="Python and SQL for product analytics dashboards.",
    ),
    _posting(
        "Marketing Intern",
        company="Acme Retail Stores",
        locations=["Dallas, TX"],
        description="Social media campaigns.",
        posted_at=NOW - timedelta(days=90),
    ),
]


@pytest.fixture(scope="module")
def analyses() -> list[Analysis]:
    return PostingAnalyzer(taxonomy=load_taxonomy()).fit().analyze_many(POSTINGS)


@pytest.fixture(scope="module")
def matcher() -> ProfileMatcher:
    return ProfileMatcher().fit([p.full_text() for p in POSTINGS])


def test_intern_outranks_senior_with_same_skills(matcher, analyses) -> None:
    intern, senior, full_time = matcher.score_many(PROFILE, POSTINGS[:3], analyses[:3], NOW)
    assert intern.score > full_time.score > senior.score
    assert intern.matched_skills == senior.matched_skills
    assert senior.parts["penalty_seniority"] < 0 and senior.parts["penalty_experience"] < 0
    assert any("6+ years of experience" in r for r in senior.reasons)
    assert any("not a student role" in r for r in senior.reasons)
    assert full_time.parts["penalty_not_internship"] < 0
    assert any(r.startswith("Not an internship") for r in full_time.reasons)


def test_past_deadline_scores_zero(matcher, analyses) -> None:
    r = matcher.score(PROFILE, POSTINGS[3], analyses[3], now=NOW)
    assert r.score == 0.0
    assert r.reasons[0] == "Application deadline passed"
    open_again = replace(POSTINGS[3], deadline=date(2025, 3, 1))  # due today: still open
    assert matcher.score(PROFILE, open_again, analyses[3], now=NOW).score > 0


def test_scores_in_unit_interval_and_reasons(matcher, analyses) -> None:
    results = matcher.score_many(PROFILE, POSTINGS, analyses, NOW)
    assert all(isinstance(r, MatchResult) and 0.0 <= r.score <= 1.0 for r in results)
    best = results[0]
    assert set(best.parts) >= {"text", "skills", "role", "sector", "location", "recency"}
    assert all(0.0 <= best.parts[k] <= 1.0 for k in ("text", "skills", "sector", "location"))
    joined = " | ".join(best.reasons)
    assert "Matches 5 of" in joined and "Python" in joined
    assert "Healthcare employer — in your sectors" in joined
    assert "Posted 3 days ago" in joined
    assert "Boston" in joined
    assert rank(results)[0] == 0
    assert results[5].score < min(results[0].score, results[4].score)  # marketing intern


def test_matched_and_missing_skills(matcher, analyses) -> None:
    r = matcher.score(PROFILE, POSTINGS[0], analyses[0], NOW)
    assert {"Python", "SQL", "Pandas", "scikit-learn", "PyTorch"} <= set(r.matched_skills)
    assert "NLP" in r.missing_skills and "Python" not in r.missing_skills


def test_remote_and_location(matcher, analyses) -> None:
    remote = matcher.score(PROFILE, POSTINGS[4], analyses[4], NOW)
    assert remote.parts["location"] == pytest.approx(0.9)
    onsite_only = replace(PROFILE, remote_ok=False)
    assert matcher.score(onsite_only, POSTINGS[4], analyses[4], NOW).parts["location"] == 0.0
    massachusetts = replace(PROFILE, locations=["Massachusetts"])
    assert matcher.score(massachusetts, POSTINGS[0], analyses[0], NOW).parts["location"] == 1.0


@pytest.mark.parametrize(
    ("wanted", "location", "hit"),
    [
        ("Boston", "Boston, MA", True),
        ("Massachusetts", "Cambridge, MA", True),
        ("MA", "Cambridge, Massachusetts", True),
        ("NYC", "New York, NY", True),
        ("Boston, MA", "Cambridge, MA", False),
        ("Los Angeles", "New Orleans, LA", False),
        ("Washington, DC", "Seattle, WA", False),
        ("Washington", "Seattle, WA", True),
    ],
)
def test_location_matching(wanted: str, location: str, hit: bool) -> None:
    assert (_location_match([wanted], [location]) is not None) is hit


def test_recency_decays(matcher, analyses) -> None:
    fresh = matcher.score(PROFILE, POSTINGS[0], analyses[0], NOW).parts["recency"]
    old = replace(POSTINGS[0], posted_at=NOW - timedelta(days=60))
    assert matcher.score(PROFILE, old, analyses[0], NOW).parts["recency"] < fresh


def test_score_equals_score_many(matcher, analyses) -> None:
    many = matcher.score_many(PROFILE, POSTINGS, analyses, NOW)
    single = [matcher.score(PROFILE, p, a, NOW) for p, a in zip(POSTINGS, analyses, strict=True)]
    assert many == single


def test_deterministic_and_refit_identical(matcher, analyses) -> None:
    first = matcher.score_many(PROFILE, POSTINGS, analyses, NOW)
    assert matcher.score_many(PROFILE, POSTINGS, analyses, NOW) == first
    refit = ProfileMatcher().fit([p.full_text() for p in POSTINGS])
    assert refit.score_many(PROFILE, POSTINGS, analyses, NOW) == first


def test_pickle_round_trip(matcher, analyses) -> None:
    clone = pickle.loads(pickle.dumps(matcher))
    assert clone.score_many(PROFILE, POSTINGS, analyses, NOW) == matcher.score_many(
        PROFILE, POSTINGS, analyses, NOW
    )
    new = _posting("NLP Research Intern", company="Lakeside University")  # unseen at fit time
    a = PostingAnalyzer().fit().analyze(new)
    assert clone.score(PROFILE, new, a, NOW) == matcher.score(PROFILE, new, a, NOW)


def test_weights_override(analyses) -> None:
    only_location = {k: 0.0 for k in ("text", "skills", "role", "sector", "recency")}
    m = ProfileMatcher(weights={**only_location, "location": 1.0}).fit([])
    r = m.score(PROFILE, POSTINGS[0], analyses[0], NOW)
    assert r.score == pytest.approx(1.0)
    m.weights = {"penalty_not_internship": 0.0, **only_location}  # as the service does
    assert m.score(PROFILE, POSTINGS[2], analyses[2], NOW).score == pytest.approx(1.0)
    with pytest.raises(ValueError, match="unknown weight"):
        ProfileMatcher(weights={"bogus": 1.0}).fit([])


def test_unknown_profile_skill_matched_literally(matcher, analyses) -> None:
    prof = replace(PROFILE, skills=["clinical notes"])
    assert matcher.score(prof, POSTINGS[0], analyses[0], NOW).matched_skills == ["clinical notes"]


def test_guide_profile(matcher, analyses) -> None:
    tax = load_taxonomy()
    g = guide_profile(tax)
    assert {"Python", "SQL", "PyTorch", "Large language models", "AWS"} <= set(g.skills)
    assert g.sectors == [] and g.remote_ok
    results = matcher.score_many(g, POSTINGS, analyses, NOW)
    assert results[0].score > results[5].score  # ML intern above marketing intern


def test_not_fitted_and_empty(matcher) -> None:
    with pytest.raises(NotFittedError):
        ProfileMatcher().score(PROFILE, POSTINGS[0], None, NOW)  # type: ignore[arg-type]
    assert matcher.score_many(PROFILE, [], [], NOW) == []
    assert isinstance(MODEL_VERSION, str) and MODEL_VERSION


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    interests=st.text(max_size=60),
    skills=st.lists(st.sampled_from(["python", "r", "go", "excel", "sql", "xyz", ""]), max_size=4),
    days=st.integers(min_value=-5, max_value=400),
    years=st.one_of(st.none(), st.integers(min_value=0, max_value=20)),
    seniority=st.sampled_from([None, "senior", "manager"]),
    is_intern=st.booleans(),
)
def test_score_bounds_property(matcher, analyses, interests, skills, days, years, seniority,
                               is_intern) -> None:  # fmt: skip
    prof = ProfileSpec(name="h", skills=skills, interests=interests)
    p = replace(POSTINGS[0], posted_at=NOW - timedelta(days=days))
    a = replace(analyses[0], years_required=years, seniority=seniority, is_internship=is_intern)
    r1 = matcher.score(prof, p, a, NOW)
    assert 0.0 <= r1.score <= 1.0
    assert r1 == matcher.score(prof, p, a, NOW)
    if seniority is not None:
        clean = matcher.score(prof, p, replace(a, seniority=None), NOW)
        assert clean.score >= r1.score
