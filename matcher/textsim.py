"""TF-IDF vectors of posting and profile texts, over hashed words and word pairs.

Hashing instead of a learned vocabulary: no vocabulary dictionary of millions of word pairs
to build, keep in memory or pickle (the fitted state is one array of IDF weights), and
documents can be vectorised in worker processes independently. With 2**22 buckets, collisions
among a season's postings are rare and only blur similarity slightly.

Weights as scikit-learn's ``TfidfVectorizer(sublinear_tf=True, smooth_idf=True)``, rows
L2-normalised, except that a term no fitted document contains gets weight 0 (as a term outside
a learned vocabulary would be ignored): a profile is compared on the words postings use.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import numpy as np
import scipy.sparse as sp

from .parallel import map_chunks, worker_count

N_FEATURES = 2**22
PARALLEL_MIN = 4000  # documents; below this, worker start-up costs more than it saves


def _hasher(n_features: int):  # noqa: ANN202 - sklearn's HashingVectorizer
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        n_features=n_features,
        ngram_range=(1, 2),
        stop_words="english",
        strip_accents="unicode",
        alternate_sign=False,
        norm=None,
        dtype=np.float32,
    )


def _counts_worker(n_features: int, docs: list[str]) -> sp.csr_matrix:
    return _hasher(n_features).transform(docs)


class HashedTfidf:
    """Hashed TF-IDF (sklearn conventions: params in ``__init__``, state in ``*_``)."""

    def __init__(self, n_features: int = N_FEATURES, n_jobs: int | None = None) -> None:
        self.n_features = n_features
        self.n_jobs = n_jobs

    def counts(self, docs: Sequence[str]) -> sp.csr_matrix:
        """Raw term counts (float32 CSR), in worker processes for large batches."""
        docs = list(docs)
        if not docs:
            return sp.csr_matrix((0, self.n_features), dtype=np.float32)
        workers = worker_count(self.n_jobs, len(docs), PARALLEL_MIN, per_worker=2000)
        if workers <= 1:
            return _hasher(self.n_features).transform(docs)
        parts = map_chunks(partial(_counts_worker, self.n_features), docs, workers)
        return sp.vstack(parts, format="csr")

    def fit(self, docs: Sequence[str]) -> HashedTfidf:
        self._fit_counts(self.counts(docs))
        return self

    def fit_transform(self, docs: Sequence[str], extra: Sequence[str] = ()) -> sp.csr_matrix:
        """Fit on ``docs`` plus ``extra`` (counted for IDF only); the weighted rows of
        ``docs``."""
        counts = self.counts(docs)
        self._fit_counts(sp.vstack([counts, self.counts(extra)], format="csr"))
        return self.weigh(counts)

    def transform(self, docs: Sequence[str]) -> sp.csr_matrix:
        return self.weigh(self.counts(docs))

    def _fit_counts(self, counts: sp.csr_matrix) -> None:
        n = counts.shape[0]
        df = np.bincount(counts.indices, minlength=self.n_features)
        idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
        idf[df == 0] = 0.0
        self.idf_ = idf.astype(np.float32)
        self.n_docs_ = n

    def weigh(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """Counts -> sublinear TF x IDF, rows L2-normalised (modifies ``counts``)."""
        from sklearn.preprocessing import normalize

        m = counts.tocsr()
        if m.shape[0] == 0:
            return m
        np.log(m.data, out=m.data)
        m.data += 1.0
        m.data *= self.idf_[m.indices]
        m.eliminate_zeros()
        return normalize(m, copy=False)
