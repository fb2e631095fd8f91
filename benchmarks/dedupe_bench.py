"""Duplicate linking: linear full passes, and incremental passes that cost what changed.

    python benchmarks/dedupe_bench.py [--n 10000]
    python benchmarks/dedupe_bench.py --incremental [--n 100000 --new 1000 --companies 625]

Default mode: time a full `link_duplicates` on N and 2N board postings spread over
companies (about 50 each), a fifth of them listed twice (an aggregator copy). A linear
pass shows a time ratio near 2 for twice the postings; an all-pairs pass about 4.

--incremental: N postings over --companies employers (descriptions of 150-300 words,
a fifth copied by an aggregator), linked by a full pass; then --new postings spread
over existing employers (new jobs, aggregator copies, near-identical reposts and edits
of existing postings) linked with `posting_ids=`. The incremental time is reported
against a full pass in the same run, and that full pass must change nothing (the
incremental links equal a full recompute).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import store  # noqa: E402
from store import PostingIn  # noqa: E402

ROLES = ["Data Science", "Machine Learning", "Software Engineering", "Analytics", "Research"]
CITIES = ["Boston, MA", "New York, NY", "Austin, TX", "Seattle, WA"]
# A 4,000-word vocabulary of letter-only words (numbers are ignored when comparing texts).
WORDS = [a + b + c for a in "bcdfghklmnprstvz" for b in "aeiou" for c in "bdgklmnprstvxyz"][:4000]


def records(n: int) -> list[PostingIn]:
    rng = random.Random(7)
    out = []
    for i in range(n):
        company = f"Company {i // 50}"
        title = f"{rng.choice(ROLES)} Intern {i % 50}"
        loc = rng.choice(CITIES)
        text = " ".join(WORDS[rng.randrange(len(WORDS))] for _ in range(150))
        out.append(PostingIn("greenhouse", "b", str(i), title, company=company,
                             url=f"https://c{i // 50}.example/jobs/{i}", locations=[loc],
                             description_text=text))  # fmt: skip
        if i % 5 == 0:
            out.append(PostingIn("simplify", "s", f"s{i}", title, company=company,
                                 url=f"https://c{i // 50}.example/jobs/{i}", locations=[loc]))  # fmt: skip
    return out


def timed(n: int) -> tuple[float, store.DedupeReport]:
    with tempfile.TemporaryDirectory() as tmp:
        engine = store.make_engine(f"sqlite:///{tmp}/d.db")
        store.upsert_postings(engine, records(n), datetime.now(UTC))
        started = time.perf_counter()
        report = store.link_duplicates(engine)
        return time.perf_counter() - started, report


def scaling(n: int) -> None:
    t1, r1 = timed(n)
    t2, r2 = timed(2 * n)
    print(f"{n:>7} board postings: {t1:6.2f} s, {r1.linked} linked")
    print(f"{2 * n:>7} board postings: {t2:6.2f} s, {r2.linked} linked")
    print(f"time ratio for twice the postings: {t2 / t1:.2f} (linear ~2, all-pairs ~4)")


def _text(rng: random.Random) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(150, 300)))


def _board(i: int, company: int, rng: random.Random) -> PostingIn:
    return PostingIn(
        "greenhouse",
        "b",
        str(i),
        f"{rng.choice(ROLES)} Intern {i}",
        company=f"Company {company}",
        url=f"https://c{company}.example/jobs/{i}",
        locations=[rng.choice(CITIES)],
        description_text=_text(rng),
    )


def corpus(n: int, companies: int, rng: random.Random) -> list[PostingIn]:
    """n postings: board postings, every fifth followed by an aggregator copy (same URL)."""
    out: list[PostingIn] = []
    i = 0
    while len(out) < n:
        posting = _board(i, i % companies, rng)
        out.append(posting)
        if i % 5 == 0 and len(out) < n:
            out.append(_copy(posting, f"s{i}"))
        i += 1
    return out


def _copy(p: PostingIn, eid: str) -> PostingIn:
    return PostingIn("simplify", "s", eid, p.title, company=p.company, url=p.url,
                     locations=p.locations)  # fmt: skip


def new_batch(
    existing: list[PostingIn], count: int, companies: int, rng: random.Random
) -> list[PostingIn]:
    """New jobs (60%), aggregator copies (20%), near-identical reposts under a new URL
    (10%) and edited texts of existing postings (10%), over random existing employers."""
    boards = [p for p in existing if p.source_kind == "greenhouse"]
    out: list[PostingIn] = []
    for k in range(count):
        kind = k % 10
        if kind < 6:
            out.append(_board(10_000_000 + k, rng.randrange(companies), rng))
            continue
        old = rng.choice(boards)
        if kind < 8:
            out.append(_copy(old, f"n{k}"))
        elif kind == 8:
            repost = PostingIn("lever", "l", f"r{k}", old.title + " (Summer)", company=old.company,
                               url=f"{old.url}-repost", locations=old.locations,
                               description_text=old.description_text + " Apply by May first.")  # fmt: skip
            out.append(repost)
        else:
            edited = PostingIn(**{**old.__dict__, "description_text": _text(rng)})
            out.append(edited)
    return out


def incremental(n: int, new: int, companies: int) -> None:
    rng = random.Random(11)
    seen = datetime(2026, 11, 1, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp:
        engine = store.make_engine(f"sqlite:///{tmp}/d.db")
        existing = corpus(n, companies, rng)
        store.upsert_postings(engine, existing, seen)

        def clock(label: str, **kwargs: object) -> float:
            started = time.perf_counter()
            report = store.link_duplicates(engine, **kwargs)  # type: ignore[arg-type]
            took = time.perf_counter() - started
            print(f"{label:<44} {took:7.3f} s  {report}")
            return took

        print(f"{n} postings over {companies} employers; then {new} new or changed postings")
        clock("full pass, computing every fingerprint")
        full_before = clock("full pass, stored fingerprints")

        batch = new_batch(existing, new, companies, rng)
        started = time.perf_counter()
        result = store.upsert_postings(engine, batch, seen + timedelta(days=1))
        upsert = time.perf_counter() - started
        ids = result.new_ids + result.updated_ids
        touched = len({p.company for p in batch})
        label = f"upsert ({result.new} new, {result.updated} changed, {touched} employers)"
        print(f"{label:<44} {upsert:7.3f} s")
        inc = clock("incremental pass (posting_ids=)", posting_ids=ids)
        full_after = clock("full pass after it (must change nothing)")
        blocks = clock("companies= pass over the touched employers",
                       companies={p.company for p in batch if p.company})  # fmt: skip
        print(f"incremental / full pass: {inc / full_after:.3f} "
              f"({full_after / inc:.0f}x faster; full before the batch {full_before:.3f} s, "
              f"companies= {blocks:.3f} s)")  # fmt: skip
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incremental", action="store_true", help="time an incremental pass")
    parser.add_argument("--n", type=int, help="postings (default 10,000; 100,000 incremental)")
    parser.add_argument("--new", type=int, default=1_000, help="new or changed postings")
    parser.add_argument("--companies", type=int, default=625, help="employers (incremental)")
    args = parser.parse_args()
    if args.incremental:
        incremental(args.n or 100_000, args.new, args.companies)
    else:
        scaling(args.n or 10_000)
    return 0


if __name__ == "__main__":
    sys.exit(main())
