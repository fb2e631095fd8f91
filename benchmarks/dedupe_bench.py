"""Duplicate linking scales linearly: time `link_duplicates` on N and 2N postings.

    python benchmarks/dedupe_bench.py [--n 10000]

Postings are spread over companies (about 50 each), a fifth of them listed twice
(an aggregator copy of a board posting). A linear pass shows a time ratio near 2
for twice the postings; an all-pairs pass would show about 4.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    args = parser.parse_args()
    t1, r1 = timed(args.n)
    t2, r2 = timed(2 * args.n)
    print(f"{args.n:>7} board postings: {t1:6.2f} s, {r1.linked} linked")
    print(f"{2 * args.n:>7} board postings: {t2:6.2f} s, {r2.linked} linked")
    print(f"time ratio for twice the postings: {t2 / t1:.2f} (linear ~2, all-pairs ~4)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
