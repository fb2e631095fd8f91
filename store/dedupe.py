"""Cross-source duplicates: one internship listed in several places is one posting to the user.

Postings are linked (`duplicate_of` points at the one that stands for the group),
never deleted. Work is blocked by normalised company name, so a pass is linear in
the number of postings: within a block, postings sharing a canonical URL, the same
title and location, or the same description text are joined (union-find).

Each posting's fingerprint (hashed keys, SimHash bands) is stored on the row with
the content hash it was computed from, and only recomputed when that changes. An
incremental pass (`posting_ids`) relinks only the changed postings, their
candidates (index seeks on the stored keys) and the current groups of both: a set
closed under linking, so union-find over it in id order gives the full pass's links.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from store.dedupe_keys import (
    MIN_TEXT_FOR_TEXT_MATCH,
    NEAR_DUPLICATE_TEXT,
    canonical_url,
    fingerprint,
    near_duplicate,
    norm_company,
    norm_location,
    norm_title,
    shingles,
    simhash,
)
from store.models import DEDUPE_KEY_COLUMNS, DEDUPE_STALE_SQL, Posting

__all__ = [  # the keys are re-exported: callers and tests know them from here
    "AGGREGATOR_KINDS",
    "MIN_TEXT_FOR_TEXT_MATCH",
    "NEAR_DUPLICATE_TEXT",
    "DedupeReport",
    "canonical_url",
    "fingerprint",
    "link_duplicates",
    "near_duplicate",
    "norm_company",
    "norm_location",
    "norm_title",
    "shingles",
    "simhash",
]

# Aggregators and feeds: when a company's own board lists the same posting, that one stands.
AGGREGATOR_KINDS = frozenset({"simplify", "remoteok", "hn", "feed", "import"})


@dataclass
class DedupeReport:
    groups: int
    linked: int
    changed: int


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


_KEYS = DEDUPE_KEY_COLUMNS
_BANDS = DEDUPE_KEY_COLUMNS[3:]
_CHUNK = 500
# An incremental pass over more than this many changed postings, and over a quarter of
# the table, is slower than one full pass (e.g. the first pass after an upgrade).
FULL_PASS_ABOVE = 5_000
# Shingles of freshly fingerprinted postings are kept for Jaccard checks up to this many.
_PRIME_LIMIT = 20_000


_FP_COLUMNS = ("dedupe_text_len", *_KEYS)


class _Node:
    """What linking needs of one posting: keys and preference, never its text."""

    __slots__ = (
        "id",
        "source_kind",
        "closed",
        "content_hash",
        "duplicate_of",
        "duplicate_reason",
        "fresh",
        "closed_stale",
        "fp",
        "title_key",
        "url_keys",
        "bands",
    )

    def __init__(self, row: Any) -> None:
        self.id: int = row.id
        self.source_kind: str = row.source_kind
        self.closed = bool(row.closed)
        self.content_hash: str = row.content_hash
        self.duplicate_of: int | None = row.duplicate_of
        self.duplicate_reason: str | None = row.duplicate_reason
        self.fresh = row.dedupe_hash != row.content_hash  # fingerprint to (re)compute
        self.closed_stale = row.dedupe_closed is None or bool(row.dedupe_closed) != self.closed
        self.use(dict(zip(_FP_COLUMNS, row[-len(_FP_COLUMNS) :], strict=True)))

    def use(self, fp: dict[str, int | None]) -> None:
        self.fp = fp
        self.title_key = fp["dedupe_title"]  # None: no employer, never linked
        urls = {k for k in (fp["dedupe_url"], fp["dedupe_apply"]) if k is not None}
        self.url_keys = sorted(urls)
        self.bands = [(i, k) for i, c in enumerate(_BANDS) if (k := fp[c]) is not None]


def _preference(node: _Node) -> tuple:
    # Open before closed, the employer's own board before aggregators, a posting
    # with a description before one without, then the oldest.
    return (
        node.closed,
        node.source_kind in AGGREGATOR_KINDS,
        not node.fp["dedupe_text_len"],
        node.id,
    )


def _chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    values = list(values)
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


@dataclass(slots=True)
class _Meta:
    title: str
    locations: list[str]


class _Texts:
    """Titles, places and shingles of postings whose SimHash bands collide, read on demand:
    descriptions are read for band-sharing pairs at the same place only."""

    def __init__(self, conn: sa.Connection, prime: bool) -> None:
        self.conn = conn
        self.prime = prime  # keep what fingerprinting already read
        self.meta: dict[int, _Meta] = {}
        self.feats: dict[int, frozenset[int]] = {}
        self.verdicts: dict[tuple[int, int], bool] = {}

    def keep(self, row: Any, feats: frozenset[int]) -> None:
        if self.prime and len(self.feats) < _PRIME_LIMIT:
            self.meta[row.id] = _Meta(row.title, row.locations)
            self.feats[row.id] = feats

    def near(self, pairs: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
        """The (a, b) pairs (a < b) whose postings are near-duplicates."""
        pairs = set(pairs)
        todo = [p for p in pairs if p not in self.verdicts]
        t = Posting.__table__
        self._read([t.c.title, t.c.locations], {x for p in todo for x in p} - self.meta.keys())
        placed = []
        for a, b in todo:
            same_place = norm_location(self.meta[a].locations) == norm_location(
                self.meta[b].locations
            )
            if same_place:
                placed.append((a, b))
            else:
                self.verdicts[(a, b)] = False
        self._read([t.c.description_text], {x for p in placed for x in p} - self.feats.keys())
        for a, b in placed:
            self.verdicts[(a, b)] = near_duplicate(
                self.meta[a], self.meta[b], self.feats[a], self.feats[b]
            )
        return {p for p in pairs if self.verdicts[p]}

    def _read(self, columns: list[sa.Column], ids: set[int]) -> None:
        t = Posting.__table__
        for chunk in _chunks(ids):
            for row in self.conn.execute(sa.select(t.c.id, *columns).where(t.c.id.in_(chunk))):
                if len(columns) == 2:
                    self.meta[row.id] = _Meta(row.title, row.locations)
                else:
                    self.feats[row.id] = shingles(row.description_text)


def _load(conn: sa.Connection, ids: Iterable[int] | None, texts: _Texts) -> dict[int, _Node]:
    """Nodes for the given postings (all when None), fingerprinting those whose stored
    fingerprint is missing or from older content: only those have their text read."""
    t = Posting.__table__
    stmt = sa.select(
        t.c.id,
        t.c.source_kind,
        t.c.closed_at.is_not(None).label("closed"),
        t.c.content_hash,
        t.c.duplicate_of,
        t.c.duplicate_reason,
        t.c.dedupe_hash,
        t.c.dedupe_closed,
        *(t.c[k] for k in _FP_COLUMNS),  # last: see _Node
    )
    if ids is None:
        rows = list(conn.execute(stmt))
    else:
        rows = [r for chunk in _chunks(ids) for r in conn.execute(stmt.where(t.c.id.in_(chunk)))]
    nodes = {r.id: _Node(r) for r in rows}
    content = sa.select(
        t.c.id,
        t.c.company,
        t.c.title,
        t.c.url,
        t.c.apply_url,
        t.c.locations,
        t.c.description_text,
    )
    for chunk in _chunks(n.id for n in nodes.values() if n.fresh):
        for row in conn.execute(content.where(t.c.id.in_(chunk))):
            feats = shingles(row.description_text)
            nodes[row.id].use(fingerprint(row, feats))
            texts.keep(row, feats)
    return nodes


def _candidates(conn: sa.Connection, grow: list[_Node], texts: _Texts) -> set[int]:
    """Postings that share a URL, title+location or near-identical text with `grow`,
    found by index seeks on the stored keys (texts read only for colliding bands)."""
    t = Posting.__table__
    found: set[int] = set()
    urls = {k for n in grow for k in n.url_keys}
    titles = {n.title_key for n in grow}
    for column, keys in (("dedupe_url", urls), ("dedupe_apply", urls), ("dedupe_title", titles)):
        for chunk in _chunks(keys):
            found.update(conn.execute(sa.select(t.c.id).where(t.c[column].in_(chunk))).scalars())
    pairs: set[tuple[int, int]] = set()
    for column in _BANDS:
        wanted: dict[int, list[int]] = defaultdict(list)
        for n in grow:
            if (key := n.fp[column]) is not None:
                wanted[key].append(n.id)
        for chunk in _chunks(wanted):
            stmt = sa.select(t.c.id, t.c[column]).where(t.c[column].in_(chunk))
            for pid, key in conn.execute(stmt):
                pairs.update((min(pid, g), max(pid, g)) for g in wanted[key] if g != pid)
    for pair in texts.near(pairs):
        found.update(pair)
    return found


def _closure(
    conn: sa.Connection, seeds: set[int], expand: set[int], whole: set[int], texts: _Texts
) -> dict[int, _Node]:
    """The seeds and every posting whose links they can change, closed under both
    "is a candidate of a changed posting" and "is in the same current group".

    Unchanged postings only link to their current group or to changed postings, so
    only changed ones (fresh fingerprint, or named in `expand`) need a candidate
    lookup; `whole` blocks are loaded entirely and need none.
    """
    t = Posting.__table__
    nodes: dict[int, _Node] = {}
    asked = set(seeds)
    todo = set(seeds)
    while todo:
        new = _load(conn, todo, texts)
        nodes.update(new)
        grow = [
            n
            for n in new.values()
            if n.title_key is not None and n.id not in whole and (n.fresh or n.id in expand)
        ]
        found = _candidates(conn, grow, texts) if grow else set()
        # A changed posting may leave its group (splitting it) or change its keeper.
        roots = {n.id if n.duplicate_of is None else n.duplicate_of for n in new.values()}
        found |= roots
        for chunk in _chunks(roots):
            stmt = sa.select(t.c.id).where(t.c.duplicate_of.in_(chunk))
            found.update(conn.execute(stmt).scalars())
        todo = found - asked
        asked |= todo
    return nodes


def _block_ids(conn: sa.Connection, companies: Iterable[str]) -> set[int]:
    """Ids of the postings whose employer normalises to one of `companies`."""
    t = Posting.__table__
    wanted = {norm_company(c) for c in companies if c}
    # From names alone (an index scan), so no posting outside the blocks is read.
    names = sa.select(t.c.company).where(t.c.company.is_not(None)).distinct()
    raw_names = [n for (n,) in conn.execute(names) if norm_company(n) in wanted]
    ids: set[int] = set()
    for chunk in _chunks(raw_names):
        ids.update(conn.execute(sa.select(t.c.id).where(t.c.company.in_(chunk))).scalars())
    return ids


def _relink(
    nodes: dict[int, _Node], texts: _Texts
) -> tuple[dict[int, tuple[int | None, str | None]], int, int]:
    """Union-find over whole duplicate groups, in id order so any closed set of
    postings is linked exactly as a full pass links it (reasons depend on order)."""
    members = sorted((n for n in nodes.values() if n.title_key is not None), key=lambda n: n.id)
    by_band: dict[tuple[int, int], list[int]] = defaultdict(list)
    pairs: set[tuple[int, int]] = set()
    for n in members:
        for band in n.bands:
            earlier = by_band[band]
            if earlier:  # most bands of unrelated texts collide with nothing
                pairs.update((other, n.id) for other in earlier)
            earlier.append(n.id)
    near = texts.near(pairs)

    uf = _UnionFind()
    seen: dict[tuple[str, int], int] = {}
    bands: dict[tuple[int, int], list[int]] = defaultdict(list)
    for n in members:
        uf.find(n.id)
        keys = [("same URL", k) for k in n.url_keys]
        keys.append(("same title and location", n.title_key))
        for why, key in keys:
            other = seen.setdefault((why, key), n.id)
            if other != n.id:
                uf.join(other, n.id, why)
        for band in n.bands:
            for other in bands[band]:
                if (other, n.id) in near:
                    uf.join(other, n.id, "same description")
            bands[band].append(n.id)

    clusters: dict[int, list[_Node]] = defaultdict(list)
    for n in members:
        clusters[uf.find(n.id)].append(n)
    links: dict[int, tuple[int | None, str | None]] = {}
    groups = linked = 0
    for cluster in clusters.values():
        if len(cluster) == 1:
            links[cluster[0].id] = (None, None)
            continue
        groups += 1
        keeper = min(cluster, key=_preference)
        for n in cluster:
            if n.id == keeper.id:
                links[n.id] = (None, None)
            else:
                linked += 1
                links[n.id] = (keeper.id, uf.reason.get(n.id, "duplicate"))
    return links, groups, linked


def _write(
    engine: Engine, nodes: dict[int, _Node], links: dict[int, tuple[int | None, str | None]]
) -> int:
    """Store changed links, new fingerprints and the closed state links were made with."""
    t = Posting.__table__
    changed = [
        {"pid": pid, "duplicate_of": d, "duplicate_reason": w}
        for pid, (d, w) in links.items()
        if (nodes[pid].duplicate_of, nodes[pid].duplicate_reason) != (d, w)
    ]
    # dedupe_hash is the content hash read with the text, so a concurrent change stays stale.
    fingerprints = [
        {"pid": n.id, "dedupe_hash": n.content_hash, "dedupe_closed": n.closed, **n.fp}
        for n in nodes.values()
        if n.fresh
    ]
    closed = [
        {"pid": n.id, "dedupe_closed": n.closed}
        for n in nodes.values()
        if n.closed_stale and not n.fresh
    ]
    update = sa.update(t).where(t.c.id == sa.bindparam("pid"))
    if changed or fingerprints or closed:
        with engine.begin() as conn:
            for params in (changed, fingerprints, closed):
                if params:
                    conn.execute(update, params)
    return len(changed)


def link_duplicates(
    engine: Engine,
    companies: Iterable[str] | None = None,
    posting_ids: Iterable[int] | None = None,
) -> DedupeReport:
    """Recompute duplicate links: all postings when both arguments are None.

    `posting_ids`: new or changed postings (incremental). Only they, the postings they
    can link with (by stored keys) and the current groups of all of these are relinked,
    with exactly the links a full pass gives. Postings whose content or open state
    changed since they were last linked are found from an index and always included,
    so a missed id is not a missed change.
    `companies`: recompute those employers' whole blocks (and the groups they touch).
    Counts in the report cover the postings relinked.
    """
    t = Posting.__table__
    full = companies is None and posting_ids is None
    with engine.connect() as conn:
        texts = _Texts(conn, prime=not full)
        if not full:
            expand = set(posting_ids or ())
            seeds = set(expand)
            whole: set[int] = set()
            if posting_ids is not None:
                stale = sa.select(t.c.id).where(sa.text(DEDUPE_STALE_SQL))
                seeds.update(conn.execute(stale).scalars())
                if len(seeds) > FULL_PASS_ABOVE:
                    total = conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                    full = len(seeds) * 4 > total
            if companies is not None:
                whole = _block_ids(conn, companies)
                seeds |= whole
        if full:
            texts.prime = False
            nodes = _load(conn, None, texts)
        else:
            nodes = _closure(conn, seeds, expand, whole, texts)
        links, groups, linked = _relink(nodes, texts)
    changed = _write(engine, nodes, links)
    return DedupeReport(groups=groups, linked=linked, changed=changed)
