"""ProfileMatcher: ranking properties, penalties, determinism, pickling, vectorised scoring;
v2: required vs preferred skills, internship terms, deadlines."""

from __future__ import annotations

import pickle
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError

from matcher import (
    DEFAULT_WEIGHTS,
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
from matcher.places import location_match

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


@pytest.mark.parametrize(
    ("title", "terms", "over"),
    [
        ("Data Science Intern", ["Summer 2024"], "For Summer 2024 only — that term is over"),
        ("Data Science Intern - Fall 2024", [], "For Fall 2024 only — that term is over"),
        ("Data Science Intern", ["Summer 2024", "Fall 2024"],
         "For Summer 2024, Fall 2024 only — those terms are over"),
        ("Data Science Intern", ["Winter 2025"], None),  # January-April: not over on March 1
        ("Data Science Intern", ["Summer 2025"], None),
        ("Data Science Intern", ["Summer 2024", "Summer 2025"], None),
        ("Data Science Intern", ["Summer"], None),  # no year: never over
    ],
)  # fmt: skip
def test_posting_whose_terms_are_over_scores_zero(
    matcher, analyses, title: str, terms: list[str], over: str | None
) -> None:
    p = replace(POSTINGS[0], title=title, terms=terms)
    r = matcher.score(PROFILE, p, analyses[0], now=NOW)
    if over is None:
        assert r.score > 0 and "penalty_term_over" not in r.parts
    else:
        assert (r.score, r.parts["penalty_term_over"], r.reasons[0]) == (0.0, -1.0, over)


def test_terms_over_reads_terms_and_title_not_the_description() -> None:
    from matcher.terms import listed_terms

    assert listed_terms(PostingText(title="Intern, Fall 2024", terms=["Summer 2027"])) == [
        ("Summer", 2027)
    ]
    assert listed_terms(PostingText(title="Intern (Summer 2024)")) == [("Summer", 2024)]
    graduating = PostingText(title="Intern", description="Summer 2024 internship, class of 2026")
    assert listed_terms(graduating) == []


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
    assert (location_match([wanted], [location]) is not None) is hit


def test_recency_decays(matcher, analyses) -> None:
    fresh = matcher.score(PROFILE, POSTINGS[0], analyses[0], NOW).parts["recency"]
    old = replace(POSTINGS[0], posted_at=NOW - timedelta(days=60))
    assert matcher.score(PROFILE, old, analyses[0], NOW).parts["recency"] < fresh


def test_score_equals_score_many(matcher, analyses) -> None:
    many = matcher.score_many(PROFILE, POSTINGS, analyses, NOW)
    single = [matcher.score(PROFILE, p, a, NOW) for p, a in zip(POSTINGS, analyses, strict=True)]
    assert many == single


def test_score_each_in_worker_processes_as_one_by_one(analyses) -> None:
    fitted = ProfileMatcher(n_jobs=2).fit([p.full_text() for p in POSTINGS])
    fitted.SCORE_PARALLEL = 1  # these six postings go to the workers too
    batch = fitted.prepare(POSTINGS, analyses, now=NOW)
    other = replace(PROFILE, name="bo", sectors=[], skills=["excel"], locations=[])
    tasks = [
        (PROFILE, batch, None),
        (other, batch.take([1, 4]), None),
        (other, batch.take([0, 5]), [0.5, None]),
    ]
    expected = [fitted.score_prepared(*task) for task in tasks]
    assert [len(r) for r in expected] == [6, 2, 2]
    assert list(fitted.score_each(tasks)) == expected
    assert list(fitted.score_each([])) == []


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


# --- v2: required vs preferred skills, internship terms, deadlines --------------------------

SKILL_BODY = "Internship on our data team using Python, SQL, Apache Spark and Docker."


def _hand(skills, required=(), preferred=(), **kw) -> Analysis:
    base = {"is_internship": True, "internship_evidence": 'title says "Intern"',
            "sector": "tech", "sector_scores": {"tech": 1.0}, "role": "data_science"}  # fmt: skip
    base.update(kw)
    return Analysis(skills=list(skills), required_skills=list(required),
                    preferred_skills=list(preferred), **base)  # fmt: skip


def test_required_skills_weigh_more_than_preferred(matcher) -> None:
    prof = ProfileSpec(name="r", skills=["python", "sql"])
    p = _posting("Data Science Intern", description=SKILL_BODY)
    skills = ["Python", "SQL", "Apache Spark", "Docker"]
    has_required = _hand(skills, ["Python", "SQL"], ["Apache Spark", "Docker"])
    has_preferred = _hand(skills, ["Apache Spark", "Docker"], ["Python", "SQL"])
    unmarked = _hand(skills)
    a, b, u = matcher.score_many(prof, [p, p, p], [has_required, has_preferred, unmarked], NOW)
    assert a.score > u.score > b.score  # unmarked: all skills alike, in between
    assert a.parts["skills"] == pytest.approx(0.6 * 0.7 + 0.4)  # 0.7 x 1 + 0.3 x 0
    assert b.parts["skills"] == pytest.approx(0.6 * 0.3 + 0.4)
    assert u.parts["skills"] == pytest.approx(0.6 * 0.5 + 0.4)  # v1 formula
    assert "Has 2 of 2 required skills; 0 of 2 preferred" in a.reasons
    assert "Has 0 of 2 required skills (missing: Apache Spark, Docker); 2 of 2 preferred" in (
        b.reasons
    )
    assert "Matches 2 of 4 skills asked: Python, SQL (missing: Apache Spark, Docker)" in u.reasons
    assert a.missing_skills == ["Apache Spark", "Docker"]
    assert b.missing_skills == ["Apache Spark", "Docker"]


def test_missing_required_costs_more_than_missing_preferred(matcher) -> None:
    p = _posting("Data Science Intern", description=SKILL_BODY)
    a = _hand(["Python", "SQL", "PyTorch", "Pandas", "Docker", "AWS"],
              ["Python", "SQL", "PyTorch", "Pandas"], ["Docker", "AWS"])  # fmt: skip
    lacks_required = ProfileSpec(name="x", skills=["python", "pytorch", "pandas", "docker", "aws"])
    lacks_preferred = ProfileSpec(name="y", skills=["python", "sql", "pytorch", "pandas", "aws"])
    r1 = matcher.score(lacks_required, p, a, NOW)
    r2 = matcher.score(lacks_preferred, p, a, NOW)
    assert r2.parts["skills"] > r1.parts["skills"]
    assert "Has 3 of 4 required skills (missing: SQL); 2 of 2 preferred" in r1.reasons
    assert "Has 4 of 4 required skills; 1 of 2 preferred" in r2.reasons


def test_skill_marks_edge_cases(matcher) -> None:
    from matcher.asks import skill_ask

    tax = load_taxonomy()
    # Only nice-to-haves marked: the other skills are the requirements.
    ask = skill_ask(_hand(["Python", "SQL", "Docker"], preferred=["Docker"]), tax)
    assert (ask.required, ask.preferred, ask.marked) == (("Python", "SQL"), ("Docker",), True)
    # A requirements list found: unmarked skills are extras; workplace skills never count.
    ask = skill_ask(_hand(["Python", "Communication", "Docker"], ["Python", "Communication"]), tax)
    assert (ask.required, ask.preferred) == (("Python",), ("Docker",))
    # Only workplace skills marked: as if nothing were marked.
    ask = skill_ask(_hand(["Python", "Communication"], ["Communication"]), tax)
    assert (ask.required, ask.preferred, ask.marked) == (("Python",), (), False)
    # Only preferred skills at all.
    prof = ProfileSpec(name="p", skills=["docker"])
    p = _posting("Data Science Intern", description=SKILL_BODY)
    r = matcher.score(prof, p, _hand(["Docker", "AWS"], preferred=["Docker", "AWS"]), NOW)
    assert "Has 1 of 2 preferred skills" in r.reasons


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("Summer 2027", [("Summer", 2027)]),
        ("Summer/Fall 2027", [("Summer", 2027), ("Fall", 2027)]),
        ("Fall 2026 - Spring 2027", [("Fall", 2026), ("Spring", 2027)]),
        ("2027 Summer Analyst", [("Summer", 2027)]),
        ("Summer '27", [("Summer", 2027)]),
        ("Autumn 2026", [("Fall", 2026)]),
        ("2027", [(None, 2027)]),
        ("Java Intern - Spring Boot", []),
        ("Co-op", []),
    ],
)
def test_parse_terms(text: str, terms: list) -> None:
    from matcher.terms import parse_terms

    assert parse_terms(text) == terms


def test_posting_terms_sources() -> None:
    from matcher.terms import posting_terms

    assert posting_terms(PostingText(title="Intern", terms=["Fall 2026", "Summer 2027"])) == [
        ("Fall", 2026), ("Summer", 2027)
    ]  # fmt: skip
    assert posting_terms(PostingText(title="ML Intern (Summer 2027)")) == [("Summer", 2027)]
    text = PostingText(title="Intern", description="Join our Summer 2027 internship program.")
    assert posting_terms(text) == [("Summer", 2027)]
    grads = PostingText(title="Intern", description="For students graduating in Spring 2028.")
    assert posting_terms(grads) == []
    boot = PostingText(title="Intern", description="The internship uses Spring Boot.")
    assert posting_terms(boot) == []
    words = PostingText(title="Intern", description="Midsummer interns; waterfall internship.")
    assert posting_terms(words) == []
    lists = PostingText(title="Intern", description="A 12-week co-op for Fall/Winter 2026.")
    assert posting_terms(lists) == [("Fall", 2026), ("Winter", 2026)]
    year_first = PostingText(title="Intern", description="Meet our '27 summer interns.")
    assert posting_terms(year_first) == [("Summer", 2027)]


def test_term_match_mismatch_and_unknown(matcher, analyses) -> None:
    prof = replace(PROFILE, terms=["Summer 2027"])
    a = analyses[0]
    same = replace(POSTINGS[0], terms=["Summer 2027"])
    either = replace(POSTINGS[0], terms=["Fall 2026", "Summer 2027"])
    no_year = replace(POSTINGS[0], title="Summer Machine Learning Intern")
    other = replace(POSTINGS[0], title="Machine Learning Intern (Fall 2026)")
    unknown = POSTINGS[0]
    r_same, r_either, r_no_year, r_other, r_unknown = matcher.score_many(
        prof, [same, either, no_year, other, unknown], [a] * 5, NOW
    )
    assert r_same.parts["term"] == 1.0 and "Summer 2027 — a term you want" in r_same.reasons
    assert r_either.parts["term"] == 1.0
    assert r_no_year.parts["term"] == 0.75
    assert "Summer (year not stated) — you want Summer 2027" in r_no_year.reasons
    assert r_other.parts["term"] == 0.0 and r_other.parts["penalty_term"] == -0.1
    assert r_other.reasons[-1] == "For Fall 2026 only — you want Summer 2027"
    assert r_unknown.parts["term"] == 0.5 and "penalty_term" not in r_unknown.parts
    assert r_same.score > r_no_year.score > r_unknown.score > r_other.score
    # A mismatch is mild: the other-term posting keeps most of its score.
    assert r_other.score > 0.75 * r_unknown.score


def test_profile_without_terms_scores_as_before(matcher, analyses) -> None:
    termed = replace(POSTINGS[0], terms=["Fall 2026"])
    r = matcher.score(PROFILE, termed, analyses[0], NOW)
    assert "term" not in r.parts and "penalty_term" not in r.parts
    assert r == matcher.score(PROFILE, POSTINGS[0], analyses[0], NOW)
    keys = ("text", "skills", "role", "sector", "location", "recency")
    w = DEFAULT_WEIGHTS
    base = sum(w[k] * r.parts[k] for k in keys) / sum(w[k] for k in keys)
    assert r.score == pytest.approx(base, abs=1e-5)


def test_term_weight_counts_in_the_mean(matcher, analyses) -> None:
    prof = replace(PROFILE, terms=["Summer 2027"])
    p = replace(POSTINGS[0], terms=["Summer 2027"])
    r = matcher.score(prof, p, analyses[0], NOW)
    keys = ("text", "skills", "role", "sector", "location", "recency", "term")
    w = DEFAULT_WEIGHTS
    base = sum(w[k] * r.parts[k] for k in keys) / sum(w[k] for k in keys)
    assert r.score == pytest.approx(base, abs=1e-5)
    only_term = ProfileMatcher(weights={k: 0.0 for k in keys[:-1]}).fit([])
    assert only_term.score(prof, p, analyses[0], NOW).score == pytest.approx(1.0)


def test_deadline_soon_reason_without_score_change(matcher, analyses) -> None:
    a = analyses[0]
    plain = matcher.score(PROFILE, POSTINGS[0], a, NOW)
    soon = matcher.score(PROFILE, replace(POSTINGS[0], deadline=date(2025, 3, 4)), a, NOW)
    assert soon.reasons[0] == "Apply by 2025-03-04 (3 days left)"
    assert soon.score == plain.score and soon.parts == plain.parts
    today = matcher.score(PROFILE, replace(POSTINGS[0], deadline=NOW.date()), a, NOW)
    assert today.reasons[0] == "Apply by 2025-03-01 (closes today)"
    one = matcher.score(PROFILE, replace(POSTINGS[0], deadline=date(2025, 3, 2)), a, NOW)
    assert one.reasons[0] == "Apply by 2025-03-02 (1 day left)"
    later = matcher.score(PROFILE, replace(POSTINGS[0], deadline=date(2025, 3, 9)), a, NOW)
    assert not any(r.startswith("Apply by") for r in later.reasons)
    m = ProfileMatcher(weights={"deadline_soon_days": 14}).fit([p.full_text() for p in POSTINGS])
    wider = m.score(PROFILE, replace(POSTINGS[0], deadline=date(2025, 3, 9)), a, NOW)
    assert wider.reasons[0] == "Apply by 2025-03-09 (8 days left)"


def test_new_weight_keys_are_configurable() -> None:
    from internscout.config import ConfigError, parse_config

    for key in ("term", "penalty_term", "skills_preferred_share", "deadline_soon_days"):
        assert key in DEFAULT_WEIGHTS
    cfg = parse_config({"scoring": {"weights": {"term": 0.2, "skills_preferred_share": 0.1}}}, None)
    assert cfg.weights == {"term": 0.2, "skills_preferred_share": 0.1}
    with pytest.raises(ConfigError, match="unknown weight"):
        parse_config({"scoring": {"weights": {"terms": 0.2}}}, None)


def test_preferred_share_weight(analyses) -> None:
    prof = ProfileSpec(name="r", skills=["python", "sql"])
    p = _posting("Data Science Intern", description=SKILL_BODY)
    a = _hand(["Python", "SQL", "Docker"], ["Python", "SQL"], ["Docker"])
    m = ProfileMatcher(weights={"skills_preferred_share": 0.0}).fit([p.full_text()])
    assert m.score(prof, p, a, NOW).parts["skills"] == pytest.approx(1.0)
    m.weights = {"skills_preferred_share": 1.0}
    assert m.score(prof, p, a, NOW).parts["skills"] == pytest.approx(0.4)


def test_v2_deterministic_pickled_and_vectorised(matcher, analyses) -> None:
    prof = replace(PROFILE, terms=["Summer 2027", "Fall 2026"])
    posts = [replace(p, terms=t) for p, t in
             zip(POSTINGS, [["Summer 2027"], [], ["Spring 2027"], [], ["Fall 2026"], []],
                 strict=True)]  # fmt: skip
    posts[1] = replace(posts[1], deadline=date(2025, 3, 5))
    marked = [replace(a, required_skills=a.skills[:2], preferred_skills=a.skills[2:4])
              for a in analyses]  # fmt: skip
    many = matcher.score_many(prof, posts, marked, NOW)
    assert many == [matcher.score(prof, p, a, NOW) for p, a in zip(posts, marked, strict=True)]
    assert matcher.score_many(prof, posts, marked, NOW) == many
    clone = pickle.loads(pickle.dumps(matcher))
    assert clone.score_many(prof, posts, marked, NOW) == many
    assert many[0].parts["term"] == 1.0 and many[2].parts["term"] == 0.0
    assert many[1].reasons[0] == "Apply by 2025-03-05 (4 days left)"
