"""Cross-source duplicates are linked (not deleted) and hidden from the ranked list."""

from __future__ import annotations

import hashlib
import random
import re
import tempfile
from collections import defaultdict
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import store
from store import Posting, PostingIn, dedupe
from store.dedupe import (
    AGGREGATOR_KINDS,
    _UnionFind,
    canonical_url,
    near_duplicate,
    norm_company,
    norm_location,
    norm_title,
    shingles,
    simhash,
)
from store.dedupe_keys import _bands
from store.models import DEDUPE_STALE_SQL

T0 = datetime(2026, 11, 1, tzinfo=UTC)
TEXT = "We are hiring a machine learning intern to build NLP models in Python. " * 5


def rec(
    kind: str,
    eid: str,
    title: str,
    company: str,
    url: str,
    loc: str = "Boston, MA",
    text: str | None = None,
) -> PostingIn:
    return PostingIn(
        source_kind=kind,
        board=kind,
        external_id=eid,
        title=title,
        company=company,
        url=url,
        locations=[loc] if loc else [],
        description_text=text,
    )


def links(engine) -> dict[str, tuple[str | None, str | None]]:
    by_id = {p.id: p for p in store.get_postings(engine)}
    return {
        f"{p.source_kind}:{p.external_id}": (
            f"{by_id[p.duplicate_of].source_kind}:{by_id[p.duplicate_of].external_id}"
            if p.duplicate_of
            else None,
            p.duplicate_reason,
        )
        for p in by_id.values()
    }


def test_normalisers():
    assert norm_company("Acme, Inc.") == norm_company("ACME") == "acme"
    assert norm_title("ML Intern (Summer 2027)") == norm_title("ml intern") == "ml intern"
    assert canonical_url("https://www.acme.com/jobs/1/?utm_source=x") == "acme.com/jobs/1"
    assert (
        canonical_url("http://boards.greenhouse.io/acme/jobs/9/apply")
        == "boards.greenhouse.io/acme/jobs/9"
    )
    assert (
        canonical_url("https://acme.com/careers?gh_jid=42&ref=hn") == "acme.com/careers?gh_jid=42"
    )


def test_same_job_on_simplify_and_board_is_linked(any_db):
    store.upsert_postings(
        any_db,
        [
            rec(
                "greenhouse",
                "1",
                "Machine Learning Intern",
                "Acme Inc.",
                "https://acme.com/careers?gh_jid=1",
                text=TEXT,
            ),
            rec(
                "simplify",
                "s1",
                "Machine Learning Intern (Summer 2027)",
                "Acme",
                "https://acme.com/careers?gh_jid=1",
            ),
            rec(
                "simplify",
                "s2",
                "Data Science Intern",
                "Acme",
                "https://simplify.example/s2",
                loc="New York, NY",
            ),
            rec(
                "lever",
                "l1",
                "Data Science Intern",
                "ACME",
                "https://jobs.lever.co/acme/l1",
                loc="New York, NY",
            ),
            rec(
                "lever",
                "l2",
                "Data Science Intern",
                "Acme",
                "https://jobs.lever.co/acme/l2",
                loc="Austin, TX",
            ),
            rec("greenhouse", "9", "Machine Learning Intern", "Other Corp", "https://other.com/9"),
        ],
        T0,
    )
    report = store.link_duplicates(any_db)
    got = links(any_db)
    assert got["simplify:s1"] == ("greenhouse:1", "same URL")
    assert got["simplify:s2"] == (
        "lever:l1",
        "same title and location",
    )  # the board's own listing stands
    assert got["greenhouse:1"] == (None, None)
    assert got["lever:l2"] == (None, None)  # another city: another job
    assert got["greenhouse:9"] == (None, None)  # another company
    assert (report.groups, report.linked) == (2, 2)
    assert store.count_postings(any_db) == 6  # linked, never deleted
    # Idempotent: a second pass changes nothing.
    assert store.link_duplicates(any_db).changed == 0


WORDS = [
    "model",
    "data",
    "python",
    "pipeline",
    "research",
    "team",
    "clinical",
    "notes",
    "language",
    "evaluation",
    "deploy",
    "cloud",
    "analysis",
    "feature",
    "experiment",
    "dashboard",
    "students",
    "mentor",
    "weekly",
    "review",
]
LONG = " ".join(
    f"{WORDS[i % len(WORDS)]}{chr(97 + i // len(WORDS))} {WORDS[(i * 7) % len(WORDS)]}"
    for i in range(220)
)


def test_repost_with_same_text_and_new_id_is_linked(fresh_db):
    store.upsert_postings(
        fresh_db,
        [
            rec(
                "lever",
                "old",
                "Machine Learning Intern",
                "Acme",
                "https://jobs.lever.co/acme/old",
                text=LONG + " Applications close on May first.",
            ),
            rec(
                "lever",
                "new",
                "Machine Learning Intern, Summer",
                "Acme",
                "https://jobs.lever.co/acme/new",
                text=LONG + " Applications close on June second.",
            ),
            # Same boilerplate, different job: a short role part on a shared long text.
            rec(
                "lever",
                "other",
                "Finance Analyst Intern",
                "Acme",
                "https://jobs.lever.co/acme/other",
                text=LONG[: len(LONG) // 2]
                + " Budget forecasting, accounting and Excel models for finance. " * 12,
            ),
        ],
        T0,
    )
    store.link_duplicates(fresh_db)
    got = links(fresh_db)
    assert got["lever:new"] == ("lever:old", "same description")
    assert got["lever:other"] == (None, None)


def test_closed_keeper_gives_way_to_open_listing(fresh_db):
    store.upsert_postings(
        fresh_db,
        [
            rec("greenhouse", "1", "ML Intern", "Acme", "https://acme.com/careers?gh_jid=1"),
            rec("simplify", "s1", "ML Intern", "Acme", "https://acme.com/careers?gh_jid=1"),
        ],
        T0,
    )
    store.link_duplicates(fresh_db)
    assert links(fresh_db)["simplify:s1"][0] == "greenhouse:1"
    store.close_missing(
        fresh_db,
        "greenhouse",
        "greenhouse",
        seen_before=datetime(2027, 1, 1, tzinfo=UTC),
        closed_at=T0,
    )
    store.upsert_postings(
        fresh_db,
        [rec("simplify", "s1", "ML Intern", "Acme", "https://acme.com/careers?gh_jid=1")],
        datetime(2027, 1, 2, tzinfo=UTC),
    )
    store.link_duplicates(fresh_db)
    got = links(fresh_db)
    assert got["greenhouse:1"][0] == "simplify:s1" and got["simplify:s1"] == (None, None)


def test_blocking_limits_work_to_named_companies(fresh_db):
    store.upsert_postings(
        fresh_db,
        [
            rec("simplify", "a", "ML Intern", "Acme", "https://x.example/a"),
            rec("lever", "b", "ML Intern", "Acme", "https://x.example/b"),
            rec("simplify", "c", "ML Intern", "Zeta", "https://x.example/c"),
            rec("lever", "d", "ML Intern", "Zeta", "https://x.example/d"),
        ],
        T0,
    )
    store.link_duplicates(fresh_db, companies=["ACME Inc"])
    got = links(fresh_db)
    assert got["simplify:a"][0] == "lever:b"
    assert got["simplify:c"] == (None, None)  # Zeta not in this pass


# -- incremental linking ---------------------------------------------------------------


def reference_links(engine) -> dict[int, tuple[int | None, str | None]]:
    """The links of the original algorithm (every block recomputed from its texts, in id
    order); postings without an employer keep whatever link they have."""
    postings = store.get_postings(engine)
    out = {p.id: (p.duplicate_of, p.duplicate_reason) for p in postings}
    blocks: dict[str, list] = defaultdict(list)
    for p in postings:
        if key := norm_company(p.company):
            blocks[key].append(p)
    for members in blocks.values():
        uf = _UnionFind()
        seen: dict[tuple[str, str], int] = {}
        texts: dict[int, frozenset[int]] = {}
        bands: dict[tuple[int, int], list] = defaultdict(list)
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
        clusters: dict[int, list] = defaultdict(list)
        for r in members:
            clusters[uf.find(r.id)].append(r)
        for cluster in clusters.values():
            keeper = min(
                cluster,
                key=lambda r: (
                    r.closed_at is not None,
                    r.source_kind in AGGREGATOR_KINDS,
                    not r.description_text,
                    r.id,
                ),
            )
            for r in cluster:
                link = len(cluster) > 1 and r.id != keeper.id
                out[r.id] = (keeper.id, uf.reason[r.id]) if link else (None, None)
    return out


def current_links(engine) -> dict[int, tuple[int | None, str | None]]:
    return {p.id: (p.duplicate_of, p.duplicate_reason) for p in store.get_postings(engine)}


def _long(seed: int, n: int = 240) -> str:
    rng = random.Random(seed)
    vocab = [f"{w}{chr(97 + i)}" for w in WORDS for i in range(12)]
    return " ".join(rng.choice(vocab) for _ in range(n))


BASES = [_long(1), _long(2), _long(3)]
TEXTS = [
    None,
    "",
    "Short blurb about the internship.",
    BASES[0],
    BASES[0] + " Applications close on May first.",  # near-identical repost
    BASES[0] + " " + _long(9, 30),  # a longer edit: similar, below the strict threshold
    BASES[0][: len(BASES[0]) // 2] + " " + _long(4, 120),  # shared boilerplate, other job
    BASES[1],
    BASES[1] + " Remote friendly.",
    BASES[2],
]
COMPANIES = ["Acme", "ACME Inc.", "Zeta Corp", "", None]
TITLES = ["ML Intern", "Machine Learning Intern (Summer 2027)", "ML Intern, Summer", "Data Intern"]
PLACES = ["Boston, MA", "Boston", "New York, NY", None]
URLS = [
    None,
    "https://acme.com/jobs/1",
    "https://www.acme.com/jobs/1/?utm_source=x",
    "https://acme.com/jobs/2",
    "https://boards.greenhouse.io/acme/jobs/3",
    "https://boards.greenhouse.io/acme/jobs/3/apply",
]
KINDS = ["greenhouse", "lever", "simplify", "hn"]
# (kind, external id, company, title, place, url, apply url, text, open)
Spec = tuple[int, int, int, int, int, int, int, int, bool]
# One batch: postings written in one crawl, and the kinds whose unseen postings close.
Batch = tuple[list[Spec], list[int]]


def _posting(spec: Spec) -> PostingIn:
    kind, eid, company, title, place, url, apply_url, text, is_open = spec
    return PostingIn(
        source_kind=KINDS[kind],
        board=KINDS[kind],
        external_id=str(eid),
        title=TITLES[title],
        company=COMPANIES[company],
        url=URLS[url],
        apply_url=URLS[apply_url],
        locations=[PLACES[place]] if PLACES[place] else [],
        description_text=TEXTS[text],
        is_open=is_open,
    )


def run_batches(engine, batches: list[Batch], hint: list[bool]) -> None:
    """Apply each batch, link incrementally, and compare with the original algorithm."""
    for step, ((specs, closing), give_ids) in enumerate(zip(batches, hint, strict=True)):
        now = datetime(2026, 11, 2 + step, tzinfo=UTC)
        result = store.upsert_postings(engine, [_posting(s) for s in specs], now)
        for kind in closing:
            store.close_missing(engine, KINDS[kind], KINDS[kind], seen_before=now, closed_at=now)
        # Without ids, changed and closed postings are found from the stale index alone.
        ids = result.new_ids + result.updated_ids if give_ids else []
        store.link_duplicates(engine, posting_ids=ids)
        assert current_links(engine) == reference_links(engine), f"after batch {step}"
    assert store.link_duplicates(engine).changed == 0


# Skewed towards collisions (shared places, no URL, long near-identical texts), so
# links made by text alone, which only a band lookup finds, are common.
_spec = st.tuples(
    st.integers(0, len(KINDS) - 1),
    st.integers(0, 5),
    st.sampled_from([0, 0, 1, 2, 3, 4]),
    st.integers(0, len(TITLES) - 1),
    st.sampled_from([0, 0, 1, 2, 3]),
    st.sampled_from([0, 0, 0, 1, 2, 3, 4, 5]),
    st.sampled_from([0, 0, 0, 0, 1, 3, 5]),
    st.sampled_from([3, 4, 4, 5, 6, 7, 8, 9, 0, 1, 2]),
    st.booleans(),
)
_batch = st.tuples(
    st.lists(_spec, min_size=1, max_size=8),
    st.lists(st.integers(0, len(KINDS) - 1), max_size=2),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches=st.lists(_batch, min_size=1, max_size=6), data=st.data())
def test_incremental_links_equal_a_full_recompute(batches, data):
    hint = data.draw(st.lists(st.booleans(), min_size=len(batches), max_size=len(batches)))
    with tempfile.TemporaryDirectory() as tmp:
        engine = store.make_engine(f"sqlite:///{tmp}/h.db")
        try:
            run_batches(engine, batches, hint)
        finally:
            engine.dispose()


def test_incremental_links_seeded_random(any_db):
    """The same check on each database (PostgreSQL too), from a seeded random stream."""
    rng = random.Random(2027)

    def spec() -> Spec:
        return (
            rng.randrange(len(KINDS)),
            rng.randrange(10),
            rng.randrange(len(COMPANIES)),
            rng.randrange(len(TITLES)),
            rng.randrange(len(PLACES)),
            rng.randrange(len(URLS)),
            rng.randrange(len(URLS)),
            rng.randrange(len(TEXTS)),
            rng.random() < 0.85,
        )

    batches = [
        (
            [spec() for _ in range(rng.randint(1, 10))],
            rng.sample(range(len(KINDS)), rng.randint(0, 1)),
        )
        for _ in range(12)
    ]
    run_batches(any_db, batches, [rng.random() < 0.7 for _ in batches])


def test_changed_text_leaves_its_group(any_db):
    board = rec("greenhouse", "1", "ML Intern", "Acme", "https://acme.com/jobs/1", text=BASES[0])
    repost = rec(
        "lever", "2", "ML Intern, Summer", "Acme", "https://jobs.lever.co/acme/2", text=TEXTS[4]
    )
    copy = rec("simplify", "s2", "ML Intern Summer", "Acme", "https://jobs.lever.co/acme/2")
    store.upsert_postings(any_db, [board, repost, copy], T0)
    store.link_duplicates(any_db)
    got = links(any_db)
    assert got["lever:2"] == ("greenhouse:1", "same description")
    assert got["simplify:s2"] == ("greenhouse:1", "same URL")

    repost.description_text = BASES[1]  # now another job's text: it leaves, with its copy
    result = store.upsert_postings(any_db, [repost], T0)
    report = store.link_duplicates(any_db, posting_ids=result.updated_ids)
    got = links(any_db)
    assert got["greenhouse:1"] == (None, None)
    assert got["lever:2"] == (None, None)
    assert got["simplify:s2"] == ("lever:2", "same URL")
    assert report.changed == 2
    assert current_links(any_db) == reference_links(any_db)


def test_fingerprints_are_computed_once_per_content(fresh_db, monkeypatch):
    calls: list[int] = []
    real = dedupe.fingerprint

    def counting(row, feats=None):
        calls.append(row.id)
        return real(row, feats)

    monkeypatch.setattr(dedupe, "fingerprint", counting)
    records = [
        rec("greenhouse", str(i), f"Role {i} Intern", f"Co {i % 3}", f"https://x.example/{i}",
            text=_long(i))
        for i in range(12)
    ]  # fmt: skip
    store.upsert_postings(fresh_db, records, T0)
    store.link_duplicates(fresh_db)
    assert len(calls) == 12
    rows = store.get_postings(fresh_db)
    assert all(p.dedupe_hash == p.content_hash and p.dedupe_simhash is not None for p in rows)

    calls.clear()
    store.link_duplicates(fresh_db)  # full pass: stored fingerprints, no text read
    store.link_duplicates(fresh_db, companies=["Co 1"])
    store.link_duplicates(fresh_db, posting_ids=[p.id for p in rows])
    assert calls == []

    records[4].description_text = _long(99)
    store.upsert_postings(fresh_db, [*records, rec("lever", "n", "New", "Co 1", None)], T0)
    store.link_duplicates(fresh_db, posting_ids=[])
    assert sorted(calls) == [rows[4].id, len(rows) + 1]


def test_incremental_pass_reads_only_affected_postings(fresh_db, monkeypatch):
    records = [
        rec("greenhouse", f"{c}{i}", f"Role {i} Intern", f"Company {c}", f"https://{c}.example/{i}",
            text=_long(i * 10 + ord(c)))
        for c in "abcd" for i in range(10)
    ]  # fmt: skip
    store.upsert_postings(fresh_db, records, T0)
    store.link_duplicates(fresh_db)
    loaded: list[int] = []
    real = dedupe._load

    def recording(conn, ids, texts):
        nodes = real(conn, ids, texts)
        loaded.extend(nodes)
        return nodes

    monkeypatch.setattr(dedupe, "_load", recording)
    copy = rec("simplify", "s", "Role 3 Intern", "Company b", "https://b.example/3")
    result = store.upsert_postings(fresh_db, [copy], T0)
    store.link_duplicates(fresh_db, posting_ids=result.new_ids)
    by_key = {f"{p.source_kind}:{p.external_id}": p.id for p in store.get_postings(fresh_db)}
    assert sorted(loaded) == sorted([by_key["simplify:s"], by_key["greenhouse:b3"]])
    assert links(fresh_db)["simplify:s"] == ("greenhouse:b3", "same URL")


def test_closing_a_keeper_is_noticed_without_ids(fresh_db):
    store.upsert_postings(
        fresh_db,
        [
            rec("greenhouse", "1", "ML Intern", "Acme", "https://acme.com/careers?gh_jid=1"),
            rec("simplify", "s1", "ML Intern", "Acme", "https://acme.com/careers?gh_jid=1"),
        ],
        T0,
    )
    store.link_duplicates(fresh_db, posting_ids=[])
    later = datetime(2027, 1, 1, tzinfo=UTC)
    store.close_missing(fresh_db, "greenhouse", "greenhouse", seen_before=later, closed_at=later)
    store.link_duplicates(fresh_db, posting_ids=[])
    got = links(fresh_db)
    assert got["greenhouse:1"] == ("simplify:s1", "same URL")
    assert got["simplify:s1"] == (None, None)


def test_shingles_match_the_plain_definition():
    def plain(text: str) -> frozenset[int]:
        words = re.sub(r"\d+", " ", re.sub(r"[^a-z0-9]+", " ", text.lower())).split()
        grams = (" ".join(words[i : i + 3]) for i in range(max(1, len(words) - 2)))
        return frozenset(
            int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "big")
            for g in grams
        )

    odd = ["1 " * 150, "!?" * 150, "x" * 300, "two words" + "." * 300, "İstanbul Straße ﬁ K " * 20]
    for text in [*TEXTS[3:], LONG, *odd]:
        assert shingles(text) == plain(text), text[:30]


@pytest.mark.parametrize("full_above", [5_000, 0])
def test_old_database_gains_fingerprint_columns(sqlite_url, monkeypatch, full_above):
    # full_above=0: a pass where every posting is stale falls back to a full pass.
    monkeypatch.setattr(dedupe, "FULL_PASS_ABOVE", full_above)
    engine = store.make_engine(sqlite_url)
    store.upsert_postings(
        engine,
        [
            rec("greenhouse", "1", "ML Intern", "Acme", "https://acme.com/jobs/1", text=BASES[0]),
            rec(
                "lever",
                "2",
                "ML Intern, Summer",
                "Acme",
                "https://jobs.lever.co/acme/2",
                text=TEXTS[4],
            ),
            rec("simplify", "3", "Data Intern", "Acme", "https://acme.com/jobs/1"),
        ],
        T0,
    )
    new_columns = [c.name for c in Posting.__table__.columns if c.name.startswith("dedupe_")]
    with engine.begin() as conn:  # what a database from before fingerprints looks like
        for index in Posting.__table__.indexes:
            if "dedupe" in str(index.name):
                conn.exec_driver_sql(f"DROP INDEX {index.name}")
        for name in new_columns:
            conn.exec_driver_sql(f"ALTER TABLE posting DROP COLUMN {name}")
    engine.dispose()

    engine = store.make_engine(sqlite_url)
    with engine.connect() as conn:
        have = {c["name"] for c in sa.inspect(conn).get_columns("posting")}
        indexes = {i["name"] for i in sa.inspect(conn).get_indexes("posting")}
        plan = conn.exec_driver_sql(
            f"EXPLAIN QUERY PLAN SELECT id FROM posting WHERE {DEDUPE_STALE_SQL}"
        ).all()
    assert set(new_columns) <= have
    assert {"ix_posting_dedupe_stale", "ix_posting_dedupe_title"} <= indexes
    assert "ix_posting_dedupe_stale" in str(plan)
    store.link_duplicates(engine, posting_ids=[])  # every posting is stale: all linked
    assert current_links(engine) == reference_links(engine)
    assert links(engine)["lever:2"] == ("greenhouse:1", "same description")
    assert all(p.dedupe_hash == p.content_hash for p in store.get_postings(engine))
    engine.dispose()
