"""Cross-source duplicates: one internship listed in several places is one posting to the user.

Postings are linked (`duplicate_of` points at the one that stands for the group),
never deleted. Work is blocked by normalised company name, so a pass is linear in
the number of postings: within a block, postings sharing a canonical URL, the same
title and location, or the same description text are joined (union-find).
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from store.models import Posting

# Aggregators and feeds: when a company's own board lists the same posting, that one stands.
AGGREGATOR_KINDS = frozenset({"simplify", "remoteok", "hn", "feed", "import"})
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


@dataclass
class DedupeReport:
    groups: int
    linked: int
    changed: int


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
    """Hashed word 3-grams of a description (numbers dropped: dates and ids change)."""
    if not text or len(text) < MIN_TEXT_FOR_TEXT_MATCH:
        return frozenset()
    words = _NUMBERS.sub(" ", _NON_WORD.sub(" ", text.lower())).split()
    grams = (" ".join(words[i : i + 3]) for i in range(max(1, len(words) - 2)))
    return frozenset(
        int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "big") for g in grams
    )


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


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}
        self.reason: dict[int, str] = {}  # why a posting joined its group (first link)

    def join(self, a: int, b: int, why: str) -> None:
        if self.find(a) != self.find(b):
            self.union(a, b)
            self.reason.setdefault(a, why)
            self.reason.setdefault(b, why)

    def find(self, x: int) -> int:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _preference(row: Any) -> tuple:
    # Open before closed, the employer's own board before aggregators, a posting
    # with a description before one without, then the oldest.
    return (
        row.closed_at is not None,
        row.source_kind in AGGREGATOR_KINDS,
        not row.description_text,
        row.id,
    )


def link_duplicates(engine: Engine, companies: Iterable[str] | None = None) -> DedupeReport:
    """Recompute duplicate links for the given companies' postings (all when None)."""
    table = Posting.__table__
    cols = [
        table.c.id,
        table.c.source_kind,
        table.c.company,
        table.c.title,
        table.c.url,
        table.c.apply_url,
        table.c.locations,
        table.c.description_text,
        table.c.closed_at,
        table.c.duplicate_of,
        table.c.duplicate_reason,
    ]
    stmt = sa.select(*cols).where(table.c.company.is_not(None))
    wanted = None if companies is None else {norm_company(c) for c in companies if c}
    with engine.connect() as conn:
        if wanted is None:
            rows = list(conn.execute(stmt))
        else:
            # Find the blocks' postings from names alone, then load text for those only:
            # an incremental pass must not read every description in the database.
            names = sa.select(table.c.company).where(table.c.company.is_not(None)).distinct()
            raw_names = [n for (n,) in conn.execute(names) if norm_company(n) in wanted]
            rows = []
            for start in range(0, len(raw_names), 500):
                chunk = raw_names[start : start + 500]
                rows += list(conn.execute(stmt.where(table.c.company.in_(chunk))))

    blocks: dict[str, list[Any]] = defaultdict(list)
    for r in rows:
        key = norm_company(r.company)
        if key:
            blocks[key].append(r)

    updates: dict[int, tuple[int | None, str | None]] = {}
    groups = linked = 0
    for members in blocks.values():
        if len(members) < 2:
            for r in members:
                updates[r.id] = (None, None)
            continue
        uf = _UnionFind()
        seen: dict[tuple[str, str], int] = {}
        texts: dict[int, frozenset[int]] = {}
        bands: dict[tuple[int, int], list[Any]] = defaultdict(list)

        for r in members:
            uf.find(r.id)
            keys = [
                ("same URL", u) for u in {canonical_url(r.url), canonical_url(r.apply_url)} if u
            ]
            keys.append(
                ("same title and location", f"{norm_title(r.title)}|{norm_location(r.locations)}")
            )
            for why, key in keys:
                other = seen.setdefault((why, key), r.id)
                if other != r.id:
                    uf.join(other, r.id, why)
            if feats := shingles(r.description_text):
                texts[r.id] = feats
                for band in _bands(simhash(feats)):
                    for other in bands[band]:
                        if near_duplicate(other, r, texts[other.id], feats):
                            uf.join(other.id, r.id, "same description")
                    bands[band].append(r)
        clusters: dict[int, list[Any]] = defaultdict(list)
        for r in members:
            clusters[uf.find(r.id)].append(r)
        for cluster in clusters.values():
            if len(cluster) == 1:
                updates[cluster[0].id] = (None, None)
                continue
            groups += 1
            keeper = min(cluster, key=_preference)
            for r in cluster:
                if r.id == keeper.id:
                    updates[r.id] = (None, None)
                else:
                    linked += 1
                    updates[r.id] = (keeper.id, uf.reason.get(r.id, "duplicate"))

    current = {r.id: (r.duplicate_of, r.duplicate_reason) for r in rows}
    changed = [(pid, link) for pid, link in updates.items() if current.get(pid) != link]
    if changed:
        with engine.begin() as conn:
            conn.execute(
                sa.update(table).where(table.c.id == sa.bindparam("pid")),
                [{"pid": pid, "duplicate_of": d, "duplicate_reason": w} for pid, (d, w) in changed],
            )
    return DedupeReport(groups=groups, linked=linked, changed=len(changed))
