"""Store: idempotent upserts, closing, timezone round trips — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import store
from store import PostingIn

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def rec(i: int, **kw: object) -> PostingIn:
    data: dict = {
        "source_kind": "greenhouse",
        "board": "acme",
        "external_id": str(i),
        "title": f"Data Science Intern {i}",
        "company": "Acme",
        "url": f"https://example.com/jobs/{i}",
        "locations": ["Boston, MA"],
        "description_text": "Python and SQL.",
        "posted_at": T0 - timedelta(days=i),
        "raw": {"id": i},
    }
    data.update(kw)
    return PostingIn(**data)


def test_upsert_is_idempotent(any_db):
    records = [rec(i) for i in range(5)]
    first = store.upsert_postings(any_db, records, T0)
    assert (first.new, first.updated, first.unchanged) == (5, 0, 0)
    again = store.upsert_postings(any_db, records, T0 + timedelta(hours=1))
    assert (again.new, again.updated, again.unchanged) == (0, 0, 5)
    assert store.count_postings(any_db) == 5
    rows = store.get_postings(any_db)
    assert all(r.first_seen == T0 for r in rows)
    assert all(r.updated_at == T0 for r in rows)  # nothing changed, so no content update time
    assert all(r.last_seen == T0 + timedelta(hours=1) for r in rows)


def test_changed_content_updates_row_and_hash(any_db):
    store.upsert_postings(any_db, [rec(1), rec(2)], T0)
    before = {p.external_id: p.content_hash for p in store.get_postings(any_db)}
    t1 = T0 + timedelta(days=1)
    res = store.upsert_postings(any_db, [rec(1, title="ML Intern"), rec(2)], t1)
    assert (res.new, res.updated, res.unchanged) == (0, 1, 1)
    after = {p.external_id: p for p in store.get_postings(any_db)}
    assert after["1"].title == "ML Intern"
    assert after["1"].content_hash != before["1"]
    assert after["1"].updated_at == t1
    assert after["2"].content_hash == before["2"]
    assert res.updated_ids == [after["1"].id]


def test_raw_only_changes_are_not_content_changes(any_db):
    store.upsert_postings(any_db, [rec(1)], T0)
    res = store.upsert_postings(
        any_db, [rec(1, raw={"id": 1, "updated_at": "later"})], T0 + timedelta(1)
    )
    assert res.unchanged == 1


def test_duplicate_keys_in_one_batch_keep_the_last(any_db):
    res = store.upsert_postings(any_db, [rec(1, title="old"), rec(1, title="new")], T0)
    assert res.new == 1
    [row] = store.get_postings(any_db)
    assert row.title == "new"


def test_same_external_id_on_other_boards_are_distinct(any_db):
    store.upsert_postings(any_db, [rec(1), rec(1, board="other"), rec(1, source_kind="lever")], T0)
    assert store.count_postings(any_db) == 3


def test_close_missing_marks_closed_and_reopens(any_db):
    store.upsert_postings(any_db, [rec(i) for i in range(3)], T0)
    t1 = T0 + timedelta(days=1)
    store.upsert_postings(any_db, [rec(0), rec(1)], t1)
    closed = store.close_missing(any_db, "greenhouse", "acme", seen_before=t1, closed_at=t1)
    assert closed == 1
    assert store.count_postings(any_db) == 3  # never deleted
    assert store.count_postings(any_db, open_only=True) == 2
    gone = [p for p in store.get_postings(any_db) if p.closed_at is not None]
    assert [p.external_id for p in gone] == ["2"]
    # Other boards are untouched by a board's close.
    assert store.close_missing(any_db, "greenhouse", "elsewhere", t1, t1) == 0
    t2 = t1 + timedelta(days=1)
    res = store.upsert_postings(any_db, [rec(2)], t2)
    assert res.updated == 1
    assert store.count_postings(any_db, open_only=True) == 3


def test_close_missing_keeps_postings_whose_page_failed(any_db):
    store.upsert_postings(any_db, [rec(i) for i in range(3)], T0)
    t1 = T0 + timedelta(days=1)
    store.upsert_postings(any_db, [rec(0)], t1)
    failed = [rec(1).url]
    assert store.close_missing(any_db, "greenhouse", "acme", t1, t1, keep_urls=failed) == 1
    still_open = {p.external_id for p in store.get_postings(any_db, open_only=True)}
    assert still_open == {"0", "1"}


def test_inactive_listing_is_stored_closed(any_db):
    store.upsert_postings(any_db, [rec(1, is_open=False)], T0)
    [row] = store.get_postings(any_db)
    assert row.closed_at == T0


def test_datetimes_round_trip_as_aware_utc(any_db):
    eastern = datetime(2026, 6, 2, 8, 58, 57, tzinfo=UTC).astimezone(
        datetime.now().astimezone().tzinfo
    )
    store.upsert_postings(any_db, [rec(1, posted_at=eastern, deadline=date(2027, 1, 15))], T0)
    [row] = store.get_postings(any_db)
    assert row.posted_at == eastern
    assert row.posted_at.tzinfo is not None
    assert row.deadline == date(2027, 1, 15)


def test_naive_datetime_is_refused(fresh_db):
    with pytest.raises(sa.exc.StatementError, match="timezone-aware"):
        store.upsert_postings(fresh_db, [rec(1, posted_at=datetime(2026, 1, 1))], T0)


def test_sqlite_runs_in_wal_mode_with_busy_timeout(fresh_db):
    with fresh_db.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_bad_url_is_a_store_error():
    with pytest.raises(store.StoreError, match="invalid database URL"):
        store.make_engine("not a url at all")


def test_crawl_runs_and_sources(any_db):
    store.sync_sources(any_db, [store.SourceIn("acme", "greenhouse", "acme", "tech")])
    store.sync_sources(any_db, [store.SourceIn("acme", "greenhouse", "acme", "finance")])
    for status in ("failed", "ok"):
        store.record_crawl_run(
            any_db,
            store.CrawlRunIn("acme", "greenhouse", "acme", T0, T0, status, new=3, error=None),
        )
    [src] = store.list_sources(any_db)
    assert src.sector_hint == "finance"
    assert src.last_status == "ok"
    assert store.last_crawl_runs(any_db)["acme"].status == "ok"


def test_digest_claim_is_insert_or_nothing(any_db):
    first = store.claim_digest(any_db, "ana", "2026-11-02", T0)
    assert first is not None
    assert store.claim_digest(any_db, "ana", "2026-11-02", T0) is None
    assert store.claim_digest(any_db, "bo", "2026-11-02", T0) is not None
    store.fail_digest(any_db, first, "smtp down")
    assert store.claim_digest(any_db, "ana", "2026-11-02", T0) == first  # retried, same record
    store.upsert_postings(any_db, [rec(1)], T0)
    [p] = store.get_postings(any_db)
    store.complete_digest(any_db, first, "ana", [(p.id, 0.9)], {"files": []}, T0)
    assert store.digested_posting_ids(any_db, "ana") == {p.id}
    assert store.claim_digest(any_db, "ana", "2026-11-02", T0 + timedelta(days=1)) is None


_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    title=_text.filter(lambda s: s.strip()),
    company=st.none() | _text,
    locations=st.lists(_text, max_size=3),
    salary=st.none() | st.floats(min_value=0, max_value=1e6, allow_nan=False),
    posted=st.none()
    | st.datetimes(
        timezones=st.just(UTC), min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)
    ),
)
def test_round_trip_property(fresh_db, title, company, locations, salary, posted):
    """Whatever goes in comes back out unchanged, and a re-write is a no-op."""
    eid = str(abs(hash((title, company, tuple(locations)))))
    record = rec(
        0,
        external_id=eid,
        title=title,
        company=company,
        locations=locations,
        salary_min=salary,
        posted_at=posted,
    )
    store.upsert_postings(fresh_db, [record], T0)
    row = next(p for p in store.get_postings(fresh_db) if p.external_id == eid)
    assert row.title == title.strip()
    assert row.company == company
    assert row.locations == locations
    assert row.salary_min == salary
    assert row.posted_at == posted
    assert store.upsert_postings(fresh_db, [record], T0 + timedelta(1)).unchanged == 1


def test_older_database_gains_new_columns(any_db):
    """A database from an earlier version (fewer columns) is upgraded in place, data kept."""
    store.upsert_postings(any_db, [rec(1)], T0)
    with any_db.begin() as conn:
        conn.exec_driver_sql('ALTER TABLE posting DROP COLUMN "duplicate_reason"')
        conn.exec_driver_sql('ALTER TABLE analysis DROP COLUMN "required_skills"')
    engine = store.make_engine(any_db.url.render_as_string(hide_password=False))
    [row] = store.get_postings(engine)
    assert row.title == "Data Science Intern 1" and row.duplicate_reason is None
    store.save_analyses(
        engine,
        [
            {
                "posting_id": row.id,
                "posting_hash": row.content_hash,
                "model_version": "v",
                "is_internship": True,
                "sector": "tech",
                "sector_scores": {},
                "role": "other",
                "skills": [],
                "preferred_skills": [],
            }
        ],
    )
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT required_skills FROM analysis").scalar() in ("[]", [])
    engine.dispose()
