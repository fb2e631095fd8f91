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

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np
import scipy.sparse as sp

from .parallel import map_chunks, worker_count
from .text import ASCII_LETTERS, ascii_words, strip_accents, word_tokens

N_FEATURES = 2**22
PARALLEL_MIN = 4000  # documents; below this, worker start-up costs more than it saves
# Tasks per worker. (More, smaller tasks finish closer together but raised the parent's peak
# memory by 180 MB at 100,000 postings, for no measurable gain.)
CHUNKS_PER_WORKER = 4


def words(doc: str) -> list[str]:
    """The words scikit-learn's word analyzer keeps (default token pattern, accents stripped,
    ``stop_words="english"``); the terms are these words and each pair of consecutive ones."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return [t for t in word_tokens(strip_accents(doc.lower())) if t not in ENGLISH_STOP_WORDS]


def words_and_pairs(doc: str) -> list[str]:
    """The terms scikit-learn's word analyzer gives with ``ngram_range=(1, 2)`` (see
    :func:`words`), pairs written "first second"."""
    w = words(doc)
    return w + list(map(" ".join, zip(w, w[1:], strict=False)))


# A word's bucket comes from its MurmurHash3 (as scikit-learn's HashingVectorizer); a pair's
# from mixing its two words' hashes (splitmix64's finaliser), so pairs are never made as
# strings or hashed character by character.
_MIX_A = np.uint64(0x9E3779B97F4A7C15)
_MIX_B = np.uint64(0xBF58476D1CE4E5B9)


def _mix(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):  # uint64 arithmetic wraps, as intended
        x = first * _MIX_A + second
        x ^= x >> np.uint64(29)
        x *= _MIX_B
        x ^= x >> np.uint64(32)
    return x


class _WordHashes:
    """Word -> unsigned 32-bit MurmurHash3, memoised per process (words recur across
    postings); stop words and one-character words map to -1. Words come as ``str`` or as
    ASCII ``bytes`` (the same hash). Cleared when it grows past ``limit`` words."""

    def __init__(self, limit: int = 200_000) -> None:  # words (~60 MB); pairs are not kept
        self.limit = limit
        self.table: dict[str | bytes, int] = {}

    def __call__(self, tokens: list[str] | list[bytes]) -> list[int]:
        table = self.table
        try:
            return list(map(table.__getitem__, tokens))  # in C while every word is known
        except KeyError:
            from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
            from sklearn.utils import murmurhash3_32

            if not table or len(table) > self.limit:
                table.clear()
                for w in ENGLISH_STOP_WORDS:
                    table[w] = table[w.encode()] = -1
                table.update(dict.fromkeys(ASCII_LETTERS, -1))
            for t in tokens:
                if t not in table:
                    table[t] = int(murmurhash3_32(t, 0, positive=True))
            return list(map(table.__getitem__, tokens))


def _word_list(doc: str) -> list[str] | list[bytes]:
    """The words of :func:`words` before stop words are dropped (as bytes where the text folds
    to ASCII, with one-character words, which the hash table maps to -1 like stop words)."""
    found = ascii_words(doc)
    return word_tokens(strip_accents(doc.lower())) if found is None else found


_WORD_HASHES = _WordHashes()


def term_index(term: str, n_features: int = N_FEATURES) -> int:
    """The bucket of one term of :func:`words_and_pairs` (a word, or two words and a space)."""
    from sklearn.utils import murmurhash3_32

    hashes = [int(murmurhash3_32(w, 0, positive=True)) for w in term.split(" ")]
    if len(hashes) == 1:
        return hashes[0] % n_features
    a, b = np.array(hashes, dtype=np.uint64)
    return int(_mix(np.array([a]), np.array([b]))[0] % np.uint64(n_features))


def hashed_counts(docs: Sequence[str], n_features: int = N_FEATURES) -> sp.csr_matrix:
    """Term counts of ``docs`` (rows) over ``n_features`` buckets: the words and word pairs of
    :func:`words_and_pairs`, each in its :func:`term_index` bucket (float32 CSR, indices
    sorted, duplicates summed)."""
    flat: list[int] = []
    lengths: list[int] = []
    for doc in docs:
        hashes = _WORD_HASHES(_word_list(doc))
        flat += hashes
        lengths.append(len(hashes))
    hashes_all = np.array(flat, dtype=np.int64)
    keep = hashes_all >= 0  # stop words out, then pairs are formed
    doc_of = np.repeat(np.arange(len(docs), dtype=np.int32), lengths)[keep]
    h = hashes_all[keep].astype(np.uint64)
    del hashes_all, keep, flat
    same_doc = doc_of[:-1] == doc_of[1:]
    size = np.uint64(n_features)
    rows = np.concatenate([doc_of, doc_of[:-1][same_doc]])
    cols = np.concatenate([h % size, _mix(h[:-1], h[1:])[same_doc] % size]).astype(np.int32)
    m = sp.csr_matrix(
        (np.ones(len(cols), dtype=np.float32), (rows, cols)), shape=(len(docs), n_features)
    )
    m.sum_duplicates()
    return m


def _counts_worker(
    n_features: int, prep: Callable[[Any], str] | None, items: list[Any], with_df: bool = False
) -> Any:
    # Documents are made here, in the worker, so the parent never holds them all at once.
    docs = items if prep is None else [prep(x) for x in items]
    m = hashed_counts(docs, n_features)
    if not with_df:
        return m
    # Document frequencies too, when fitting: counted here, in parallel, not by the parent;
    # sent as (bucket, count) pairs, a small fraction of all n_features buckets.
    df = np.bincount(m.indices, minlength=n_features)
    seen = np.flatnonzero(df).astype(np.int32)
    return m, seen, df[seen].astype(np.int32)


def _stack(parts: list[sp.csr_matrix], n_features: int) -> sp.csr_matrix:
    """Rows of ``parts`` in order, each part released once copied: peak memory is the result
    plus one part, not twice the result (``scipy.sparse.vstack`` keeps both)."""
    nnz = sum(p.nnz for p in parts)
    rows = sum(p.shape[0] for p in parts)
    data = np.empty(nnz, dtype=np.float32)
    indices = np.empty(nnz, dtype=np.int32)
    indptr = np.empty(rows + 1, dtype=np.int64)
    indptr[0] = 0
    at = row = 0
    parts.reverse()
    while parts:
        p = parts.pop()
        data[at : at + p.nnz] = p.data
        indices[at : at + p.nnz] = p.indices
        indptr[row + 1 : row + 1 + p.shape[0]] = p.indptr[1:] + at
        at += p.nnz
        row += p.shape[0]
        del p
    return sp.csr_matrix((data, indices, indptr), shape=(rows, n_features))


class HashedTfidf:
    """Hashed TF-IDF (sklearn conventions: params in ``__init__``, state in ``*_``)."""

    def __init__(self, n_features: int = N_FEATURES, n_jobs: int | None = None) -> None:
        self.n_features = n_features
        self.n_jobs = n_jobs

    def counts(
        self, docs: Sequence[Any], prep: Callable[[Any], str] | None = None
    ) -> sp.csr_matrix:
        """Raw term counts (float32 CSR), in worker processes for large batches. ``prep``
        (a module-level function) turns each item into its text, in the worker."""
        if not len(docs):
            return sp.csr_matrix((0, self.n_features), dtype=np.float32)
        workers = worker_count(self.n_jobs, len(docs), PARALLEL_MIN, per_worker=2000)
        work = partial(_counts_worker, self.n_features, prep)
        if workers <= 1:
            return work(list(docs))
        return _stack(
            map_chunks(work, docs, workers, chunks_per_worker=CHUNKS_PER_WORKER), self.n_features
        )

    def fit(
        self,
        docs: Sequence[Any],
        extra: Sequence[str] = (),
        prep: Callable[[Any], str] | None = None,
    ) -> HashedTfidf:
        self._fit_df([self._counts_and_df(docs, prep)[1:], self._counts_and_df(extra)[1:]])
        return self

    def fit_transform(
        self,
        docs: Sequence[Any],
        extra: Sequence[str] = (),
        prep: Callable[[Any], str] | None = None,
    ) -> sp.csr_matrix:
        """Fit on ``docs`` plus ``extra`` (texts counted for IDF only); the weighted rows of
        ``docs``."""
        counts, n, df = self._counts_and_df(docs, prep)
        self._fit_df([(n, df), self._counts_and_df(extra)[1:]])
        return self.weigh(counts)

    def transform(
        self, docs: Sequence[Any], prep: Callable[[Any], str] | None = None
    ) -> sp.csr_matrix:
        return self.weigh(self.counts(docs, prep))

    def _counts_and_df(
        self, docs: Sequence[Any], prep: Callable[[Any], str] | None = None
    ) -> tuple[sp.csr_matrix, int, np.ndarray]:
        """:meth:`counts`, the number of documents and each bucket's document frequency."""
        n_features = self.n_features
        if not len(docs):
            empty = sp.csr_matrix((0, n_features), dtype=np.float32)
            return empty, 0, np.zeros(n_features, dtype=np.int64)
        workers = worker_count(self.n_jobs, len(docs), PARALLEL_MIN, per_worker=2000)
        work = partial(_counts_worker, n_features, prep, with_df=True)
        parts = (
            [work(list(docs))]
            if workers <= 1
            else map_chunks(work, docs, workers, chunks_per_worker=CHUNKS_PER_WORKER)
        )
        df = np.zeros(n_features, dtype=np.int64)
        for _, seen, counts in parts:
            df[seen] += counts
        matrices = [m for m, _, _ in parts]
        del parts  # (each part is released as it is stacked)
        return _stack(matrices, n_features), len(docs), df

    def _fit_df(self, counted: list[tuple[int, np.ndarray]]) -> None:
        n = sum(k for k, _ in counted)
        df = sum(d for _, d in counted)
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
        # In slices: each slice's IDF values fit in cache (a third faster than one gather of
        # every weight), and no temporary as large as the matrix is made.
        step = 1 << 20
        for at in range(0, m.nnz, step):
            m.data[at : at + step] *= self.idf_.take(m.indices[at : at + step])
        m.eliminate_zeros()
        return normalize(m, copy=False)
