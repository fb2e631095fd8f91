"""Dedupe keys: normalised company, title, location and URL, description shingles and SimHash,
and each posting's stored fingerprint (hashed keys) that duplicate linking looks up."""

from __future__ import annotations

import itertools
import re
from hashlib import blake2b
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import numpy as np

from store.models import DEDUPE_KEY_COLUMNS

_KEYS = DEDUPE_KEY_COLUMNS
_BANDS = DEDUPE_KEY_COLUMNS[3:]

_COMPANY_SUFFIX = re.compile(
    r"\b(inc|incorporated|llc|ltd|limited|corp|corporation|co|company|plc|gmbh|sa|ag|the)\b"
)
_NON_WORD = re.compile(r"[^a-z0-9]+")
_BRACKETED = re.compile(r"[(\[][^)\]]*[)\]]")
_NUMBERS = re.compile(r"\d+")
# Query parameters that identify a posting (Greenhouse's gh_jid, Lever-style ids...).
_ID_PARAMS = frozenset({"gh_jid", "jid", "jobid", "job_id", "id", "req", "reqid", "lever-source"})
MIN_TEXT_FOR_TEXT_MATCH = 200
NEAR_DUPLICATE_TEXT = 0.9


def norm_company(name: str | None) -> str:
    text = _NON_WORD.sub(" ", (name or "").lower())
    return " ".join(_COMPANY_SUFFIX.sub(" ", text).split())


def norm_title(title: str) -> str:
    # "(Summer 2027)" and "[Remote]" decorate the same job on different boards.
    return " ".join(_NON_WORD.sub(" ", _BRACKETED.sub(" ", title.lower())).split())


def norm_location(locations: list[str] | None) -> str:
    if not locations:
        return ""
    first = str(locations[0]).lower().split(",")[0]
    return " ".join(_NON_WORD.sub(" ", first).split())


def canonical_url(url: str | None) -> str | None:
    """Scheme-, www- and tracking-free form of a posting URL."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    host = parts.netloc.lower().removeprefix("www.")
    if not host:
        return None
    path = parts.path.rstrip("/")
    for suffix in ("/apply", "/application"):
        path = path.removesuffix(suffix)
    keep = sorted((k, v) for k, v in parse_qsl(parts.query) if k.lower() in _ID_PARAMS)
    return f"{host}{path}" + (f"?{urlencode(keep)}" if keep else "")


def shingles(text: str | None) -> frozenset[int]:
    """Hashed word 3-grams of a description (numbers dropped: dates and ids change).

    Each gram is blake2b-8 of its words joined by single spaces, read big-endian.
    """
    if not text or len(text) < MIN_TEXT_FOR_TEXT_MATCH:
        return frozenset()
    words = _NUMBERS.sub(" ", _NON_WORD.sub(" ", text.lower())).split()
    if len(words) < 3:
        return frozenset([_gram_hash(" ".join(words).encode())])
    # The normalised text is ASCII, so grams are byte slices of it: no per-gram join or
    # encode, and one bulk conversion of the digests (this runs for every new posting).
    data = " ".join(words).encode()
    starts = list(itertools.accumulate((len(w) + 1 for w in words[:-1]), initial=0))
    digests = b"".join(
        blake2b(data[start : starts[i + 2] + len(words[i + 2])], digest_size=8).digest()
        for i, start in enumerate(starts[:-2])
    )
    return frozenset(np.frombuffer(digests, dtype=">u8").tolist())


def _gram_hash(gram: bytes) -> int:
    return int.from_bytes(blake2b(gram, digest_size=8).digest(), "big")


def simhash(features: frozenset[int]) -> int:
    """64-bit SimHash: each bit is the majority vote of that bit over the shingle hashes."""
    if not features:
        return 0
    hashes = np.fromiter(features, dtype=np.uint64, count=len(features))
    bits = np.unpackbits(hashes.view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
    majority = bits.sum(axis=0, dtype=np.int64) * 2 > len(features)
    return int.from_bytes(np.packbits(majority, bitorder="little").tobytes(), "little")


def _bands(fingerprint: int) -> list[tuple[int, int]]:
    # Near-identical texts differ in few simhash bits, so they share at least one band.
    return [(band, fingerprint >> (16 * band) & 0xFFFF) for band in range(4)]


def _jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _title_overlap(a: str, b: str) -> float:
    ta, tb = set(norm_title(a).split()), set(norm_title(b).split())
    return len(ta & tb) / len(ta | tb) if ta and tb else 0.0


def near_duplicate(a: Any, b: Any, text_a: frozenset[int], text_b: frozenset[int]) -> bool:
    """Same text re-posted: near-identical description, same place, a similar title.

    Employers reuse long boilerplate across different jobs, so text alone must be
    almost identical before two differently titled postings are joined.
    """
    if norm_location(a.locations) != norm_location(b.locations):
        return False
    similarity = _jaccard(text_a, text_b)
    if similarity < NEAR_DUPLICATE_TEXT:
        return False
    return _title_overlap(a.title, b.title) >= 0.5 or similarity >= 0.97


def _key(*parts: str) -> int:
    """Signed 64-bit hash of a dedupe key: fits a BIGINT on SQLite and PostgreSQL."""
    digest = blake2b("\x1f".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def fingerprint(row: Any, feats: frozenset[int] | None = None) -> dict[str, int | None]:
    """The stored `Posting.dedupe_*` columns for one posting's content.

    `row` has the posting's company, title, url, apply_url, locations and
    description_text (`feats`: its shingles, when already computed). Keys are hashed
    with the employer block, so equal keys mean "same block and same key" and a plain
    index seek finds candidates.
    """
    fp: dict[str, int | None] = dict.fromkeys(("dedupe_simhash", *_KEYS))
    fp["dedupe_text_len"] = len(row.description_text or "")
    if feats is None:
        feats = shingles(row.description_text)
    value = simhash(feats) if feats else None
    if value is not None:
        fp["dedupe_simhash"] = value - (1 << 64) if value >> 63 else value
    block = norm_company(row.company)
    if not block:  # no employer: never linked
        return fp
    url, apply_url = canonical_url(row.url), canonical_url(row.apply_url)
    # URL and apply URL share one key space: one posting's apply link is another's URL.
    fp["dedupe_url"] = _key(block, "url", url) if url else None
    fp["dedupe_apply"] = _key(block, "url", apply_url) if apply_url else None
    title_key = f"{norm_title(row.title)}|{norm_location(row.locations)}"
    fp["dedupe_title"] = _key(block, "title", title_key)
    if value is not None:
        for (band, part), column in zip(_bands(value), _BANDS, strict=True):
            fp[column] = _key(block, "band", str(band), str(part))
    return fp
