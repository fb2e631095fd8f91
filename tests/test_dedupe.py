"""Cross-source duplicates are linked (not deleted) and hidden from the ranked list."""

from __future__ import annotations

from datetime import UTC, datetime

import store
from store import PostingIn
from store.dedupe import canonical_url, norm_company, norm_title

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
