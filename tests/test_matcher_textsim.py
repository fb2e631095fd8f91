"""Hashed TF-IDF (matcher.textsim) and prepared batches (ProfileMatcher.prepare)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer, strip_accents_unicode

from matcher import PostingAnalyzer, PostingText, ProfileMatcher, ProfileSpec, textsim
from matcher.text import strip_accents
from matcher.textsim import HashedTfidf

NOW = datetime(2027, 1, 10, tzinfo=UTC)
WORDS = ["python", "sql", "pandas", "spark", "kafka", "hospital", "patients", "clinical", "bank", "trading", "risk", "model", "learning", "machine", "data", "pipeline", "dashboard", "research", "lab", "university", "grant", "policy", "county", "public", "health", "nurse", "teaching", "students", "cloud", "aws", "docker", "kubernetes"]  # fmt: skip


def _docs(n: int, seed: int = 7) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, size=int(rng.integers(5, 60)))) for _ in range(n)]


def test_same_similarities_as_scikit_learn_tfidf() -> None:
    docs = _docs(300)
    queries = ["machine learning for clinical data", "spark kafka pipeline", "public policy"]
    ours = HashedTfidf(n_features=2**24).fit(docs)  # no two of these words share a bucket
    sk = TfidfVectorizer(
        sublinear_tf=True, ngram_range=(1, 2), stop_words="english", strip_accents="unicode"
    ).fit(docs)
    got = (ours.transform(docs) @ ours.transform(queries).T).toarray()
    want = (sk.transform(docs) @ sk.transform(queries).T).toarray()
    np.testing.assert_allclose(got, want, atol=1e-5)
    rows = ours.transform(docs)
    np.testing.assert_allclose(np.sqrt(rows.multiply(rows).sum(axis=1)).A1, 1.0, rtol=1e-5)


def test_words_no_document_has_weigh_nothing() -> None:
    model = HashedTfidf().fit(["python and sql"])
    assert model.transform(["zebra quokka"]).nnz == 0
    assert model.transform(["python zebra"]).nnz == 1


def test_fit_transform_equals_fit_then_transform() -> None:
    docs = _docs(50)
    a = HashedTfidf()
    rows = a.fit_transform(docs, extra=["extra text counted for idf"])
    b = HashedTfidf().fit(docs + ["extra text counted for idf"])
    assert (abs(rows - b.transform(docs)) > 1e-6).nnz == 0
    assert rows.shape[0] == 50


def test_workers_give_identical_vectors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(textsim, "worker_count", lambda *a, **k: 2)
    docs = _docs(400)
    single, parallel = HashedTfidf(), HashedTfidf(n_jobs=2)
    one = single.fit_transform(docs, extra=["extra words"])
    two = parallel.fit_transform(docs, extra=["extra words"])
    assert one.shape == two.shape and (abs(one - two) > 0).nnz == 0
    assert (single.idf_ == parallel.idf_).all() and single.n_docs_ == parallel.n_docs_ == 401
    assert (parallel.idf_ == HashedTfidf(n_jobs=2).fit(docs + ["extra words"]).idf_).all()
    # Many small tasks (each sends its document frequencies as bucket/count pairs).
    monkeypatch.setattr(textsim, "CHUNKS_PER_WORKER", 9)
    many = HashedTfidf(n_jobs=2)
    assert (abs(many.fit_transform(docs, extra=["extra words"]) - one) > 0).nnz == 0
    assert (many.idf_ == single.idf_).all()


def test_empty_batches() -> None:
    model = HashedTfidf().fit(["python"])
    assert model.transform([]).shape == (0, model.n_features)


# -- prepared batches -------------------------------------------------------------------------

POSTINGS = [
    PostingText(title="Machine Learning Intern", company="Mercy Hospital",
                description="Python, SQL and PyTorch for clinical NLP. Summer 2027 internship.",
                locations=["Boston, MA"], posted_at=NOW - timedelta(days=2)),
    PostingText(title="Data Analyst Intern", company="First Bank",
                description="Excel, SQL and Tableau dashboards for risk. Requirements: SQL. "
                "Preferred: Power BI.", locations=["Remote - US"], posted_at=NOW),
    PostingText(title="Senior Software Engineer", company="Acme",
                description="Java and Kubernetes. 7+ years of experience.",
                locations=["Austin, TX"], posted_at=NOW - timedelta(days=40)),
    PostingText(title="Research Assistant (Student)", company="Lakeside University",
                description="Stata and R for a policy lab; GIS a plus.", locations=[]),
]  # fmt: skip
PROFILES = [
    ProfileSpec("ana", ["python", "sql", "pytorch", "Quantum Basket Weaving"],
                "clinical NLP", sectors=["healthcare"], locations=["Boston"],
                terms=["Summer 2027"]),
    ProfileSpec("bo", ["excel", "sql"], "risk dashboards", sectors=["finance"], remote_ok=True),
    ProfileSpec("cy"),
]  # fmt: skip


@pytest.fixture(scope="module")
def analyses():
    return PostingAnalyzer().fit().analyze_many(POSTINGS)


@pytest.fixture(scope="module")
def fitted() -> ProfileMatcher:
    return ProfileMatcher().fit(POSTINGS)


def test_prepared_batch_scores_as_score_many(fitted, analyses) -> None:
    batch = fitted.prepare(POSTINGS, analyses, NOW)
    for spec in PROFILES:
        assert fitted.score_prepared(spec, batch) == fitted.score_many(
            spec, POSTINGS, analyses, NOW
        )


def test_fit_transform_rows_score_the_same(analyses) -> None:
    a = ProfileMatcher()
    rows = a.fit_transform(POSTINGS)
    with_rows = a.prepare(POSTINGS, analyses, NOW, matrix=rows)
    without = a.prepare(POSTINGS, analyses, NOW)
    for spec in PROFILES:
        assert a.score_prepared(spec, with_rows) == a.score_prepared(spec, without)
    with pytest.raises(ValueError, match="one row per posting"):
        a.prepare(POSTINGS, analyses, NOW, matrix=rows[:2])


def test_known_text_parts_score_without_vectors(fitted, analyses) -> None:
    batch = fitted.prepare(POSTINGS, analyses, NOW)
    bare = fitted.prepare(POSTINGS, analyses, NOW, vectorize=False)
    assert bare.matrix is None
    for spec in PROFILES:
        full = fitted.score_prepared(spec, batch)
        text = [r.parts["text"] for r in full]
        assert fitted.score_prepared(spec, bare, text_parts=text) == full
        assert fitted.score_prepared(spec, bare.take([2, 1]), text_parts=text[2:0:-1]) == [
            full[2],
            full[1],
        ]
        # Some known, some computed: the same again.
        partly = [t if i % 2 else None for i, t in enumerate(text)]
        assert fitted.score_prepared(spec, batch, text_parts=partly) == full
    with pytest.raises(ValueError, match="no vectors"):
        fitted.score_prepared(PROFILES[0], bare, text_parts=[None] * len(POSTINGS))
    with pytest.raises(ValueError, match="one entry per posting"):
        fitted.score_prepared(PROFILES[0], batch, text_parts=[0.5])


def test_take_keeps_scores(fitted, analyses) -> None:
    batch = fitted.prepare(POSTINGS, analyses, NOW)
    full = fitted.score_prepared(PROFILES[0], batch)
    part = fitted.score_prepared(PROFILES[0], batch.take([3, 0]))
    assert part == [full[3], full[0]]


def test_free_text_skill_found_in_posting(fitted, analyses) -> None:
    weaving = replace(POSTINGS[3], description=POSTINGS[3].description + " Quantum basket weaving.")
    batch = fitted.prepare([weaving, POSTINGS[2]], [analyses[3], analyses[2]], NOW)
    hit, miss = fitted.score_prepared(PROFILES[0], batch)
    assert "Quantum Basket Weaving" in hit.matched_skills
    assert "Quantum Basket Weaving" not in miss.matched_skills


def test_batch_of_another_fit_is_refused(fitted, analyses) -> None:
    batch = fitted.prepare(POSTINGS, analyses, NOW)
    other = ProfileMatcher().fit(POSTINGS)
    with pytest.raises(ValueError, match="another fit"):
        other.score_prepared(PROFILES[0], batch)


def test_stacking_parts_keeps_rows_in_order() -> None:
    docs = _docs(30)
    whole = HashedTfidf().counts(docs)
    parts = [HashedTfidf().counts(docs[i : i + 7]) for i in range(0, 30, 7)]
    stacked = textsim._stack(parts, whole.shape[1])
    assert parts == []  # released as they are copied
    assert stacked.shape == whole.shape and (abs(stacked - whole) > 0).nnz == 0


def test_documents_are_made_in_the_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(textsim, "worker_count", lambda *a, **k: 2)
    postings = [
        PostingText(title=f"Data Intern {i}", description=d) for i, d in enumerate(_docs(60))
    ]
    one = ProfileMatcher().fit_transform(postings)
    two = ProfileMatcher(n_jobs=2).fit_transform(postings)
    assert (abs(one - two) > 0).nnz == 0


@given(st.text())
@settings(max_examples=300, deadline=None)
def test_strip_accents_equals_scikit_learns(text: str) -> None:
    assert strip_accents(text) == strip_accents_unicode(text)


@pytest.mark.parametrize(
    "text",
    ["Café naïve Zürich São Paulo", "e\u0301 a\u0300\u0323 \u1e9b\u0323", "ﬁnance ½ İ ß 東京"],
)
def test_strip_accents_examples(text: str) -> None:
    out = strip_accents(text)
    assert out == strip_accents_unicode(text)
    assert out != text


def _sklearn_terms(doc: str) -> list[str]:
    return TfidfVectorizer(
        ngram_range=(1, 2), stop_words="english", strip_accents="unicode"
    ).build_analyzer()(doc)


@given(
    st.lists(st.sampled_from(list("ab éÉ.\n-'") + ["the", "data", "Ünï", "of", " "])).map("".join)
    | st.text()
)
@settings(max_examples=300, deadline=None)
def test_words_and_pairs_equal_scikit_learns_analyzer(doc: str) -> None:
    assert textsim.words_and_pairs(doc) == _sklearn_terms(doc)


def test_words_and_pairs_on_a_posting() -> None:
    doc = (
        "The Data Science intern will build models in Python; SQL and Spark are a plus.\n"
        "Café naïve: we're an equal-opportunity employer — 100% remote (São Paulo)."
    )
    terms = textsim.words_and_pairs(doc)
    assert terms == _sklearn_terms(doc)
    assert "data science" in terms and "science intern" in terms and "cafe naive" in terms
    assert "the" not in terms


@given(
    st.lists(
        st.lists(st.sampled_from(["the", "data", "Data", "ünï", "of", "ml", "a", "é", "x1"]))
        .map(" ".join)
        .map(lambda s: s + " .")
        | st.text(max_size=40),
        max_size=6,
    )
)
@settings(max_examples=200, deadline=None)
def test_hashed_counts_count_each_term_in_its_bucket(docs: list[str]) -> None:
    m = textsim.hashed_counts(docs, n_features=2**20)
    assert m.shape == (len(docs), 2**20) and m.has_canonical_format
    for i, doc in enumerate(docs):
        row = m[i]
        want = Counter(textsim.term_index(t, 2**20) for t in textsim.words_and_pairs(doc))
        assert dict(zip(row.indices.tolist(), row.data.tolist(), strict=True)) == want


def test_hashed_counts_do_not_depend_on_the_word_memo(monkeypatch: pytest.MonkeyPatch) -> None:
    docs = _docs(40) + ["", "the of and", "Café naïve data"]
    want = textsim.hashed_counts(docs)
    monkeypatch.setattr(textsim, "_WORD_HASHES", textsim._WordHashes(limit=5))  # cleared often
    got = textsim.hashed_counts(docs)
    assert (abs(got - want) > 0).nnz == 0
    assert textsim.hashed_counts(["", "the of and"]).nnz == 0  # stop words make no term
    assert textsim.hashed_counts([]).shape == (0, textsim.N_FEATURES)


@pytest.mark.parametrize("dense_min", [0, 10**9])  # the dense-vector product, the sparse one
def test_text_part_is_the_cosine_of_the_two_vectors(
    fitted, analyses, dense_min: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matcher.scorer import ProfileContext

    monkeypatch.setattr(ProfileMatcher, "DENSE_VECTOR_MIN", dense_min)
    batch = fitted.prepare(POSTINGS, analyses, NOW)
    scale = fitted._effective_weights()["text_scale"]
    seen = 0
    for spec in PROFILES:
        vector = ProfileContext.build(fitted, spec).vector
        if vector is None:
            continue
        cosine = (batch.matrix @ vector.T).toarray().ravel()  # rows and vector are L2-normed
        expected = np.round(1.0 - np.exp(-np.maximum(cosine, 0.0) / scale), 6).tolist()
        got = [r.parts["text"] for r in fitted.score_prepared(spec, batch)]
        assert got == expected
        seen += sum(g > 0 for g in got)
    assert seen


def _blas_threads(items: list[int]) -> list[int]:
    from threadpoolctl import threadpool_info

    return [
        max((d["num_threads"] for d in threadpool_info() if d["user_api"] == "blas"), default=1)
    ]


def test_workers_use_one_blas_thread_each() -> None:
    """Two workers with a BLAS pool of one thread per CPU each would fight over the CPUs."""
    from matcher.parallel import map_chunks

    assert map_chunks(_blas_threads, list(range(8)), 2, chunks_per_worker=1) == [[1], [1]]
