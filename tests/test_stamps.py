"""Change counters and checkpoints (store/stamps.py): with nothing written since the last
complete pass, the service skips the scans over every posting; any write makes the next call
look again, including one made while a pass was running."""

from __future__ import annotations

import pytest

import store
from internscout.config import ProfileConfig
from internscout.service import SCORE_TTL, Service
from store import PostingIn

PROFILE = ProfileConfig(name="ana", skills=["python", "sql"], interests="NLP", sectors=["tech"])


def rec(i: int, text: str = "Python and SQL") -> PostingIn:
    return PostingIn(
        source_kind="import", board="t", external_id=str(i), title=f"Data Intern {i}",
        company=f"Company {i % 3}", description_text=text, url=f"https://x.example/{i}",
    )  # fmt: skip


class Spy:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
        self.calls = 0
        real = getattr(store, name)

        def wrapped(*args, **kwargs):
            self.calls += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(store, name, wrapped)


def _stamp(engine, name: str) -> int:
    return store.read_stamps(engine, [name]).get(name, (0, ""))[0]


def test_counters_count_real_changes_only(any_db, clock) -> None:
    assert _stamp(any_db, store.POSTINGS_STAMP) == 0
    store.upsert_postings(any_db, [rec(1), rec(2)], clock())
    assert _stamp(any_db, store.POSTINGS_STAMP) == 1
    store.upsert_postings(any_db, [rec(1), rec(2)], clock())  # seen again, unchanged
    assert _stamp(any_db, store.POSTINGS_STAMP) == 1
    store.upsert_postings(any_db, [rec(2, "Python, SQL and Spark")], clock())
    assert _stamp(any_db, store.POSTINGS_STAMP) == 2
    Service(any_db, clock).analyse_pending()
    assert _stamp(any_db, store.ANALYSES_STAMP) == 1
    assert Service(any_db, clock).analyse_pending() == 0  # nothing saved: no bump
    assert _stamp(any_db, store.ANALYSES_STAMP) == 1


def test_nothing_written_skips_the_scans(any_db, clock, monkeypatch) -> None:
    store.upsert_postings(any_db, [rec(i) for i in range(4)], clock())
    assert Service(any_db, clock).score_configured(PROFILE).scored == 4
    pending_a = Spy(monkeypatch, "pending_analysis_ids")
    pending_s = Spy(monkeypatch, "pending_score_ids")
    current = Spy(monkeypatch, "scores_current")
    clock.advance(minutes=5)
    report = Service(any_db, clock).score_configured(PROFILE)
    assert (report.analysed, report.scored) == (0, 0)
    assert pending_a.calls == 0 and pending_s.calls == 0
    assert current.calls == 1  # only its index seeks: spec, fit and age

    # Scores age: the cheap check still catches it.
    clock.advance(seconds=SCORE_TTL.total_seconds() + 60)
    assert Service(any_db, clock).score_configured(PROFILE).scored == 4


def test_any_write_is_seen_by_the_next_call(any_db, clock) -> None:
    store.upsert_postings(any_db, [rec(i) for i in range(3)], clock())
    service = Service(any_db, clock)
    service.score_configured(PROFILE)
    store.upsert_postings(any_db, [rec(7, "Python, SQL and PyTorch")], clock())
    report = Service(any_db, clock).score_configured(PROFILE)
    assert (report.analysed, report.scored) == (1, 1)
    # A changed profile rescores everything, a deleted profile's scores come back.
    changed = ProfileConfig(name="ana", skills=["python"], interests="NLP", sectors=["tech"])
    assert Service(any_db, clock).score_configured(changed).scored == 4
    store.delete_scores(any_db, "ana")
    assert Service(any_db, clock).score_configured(changed).scored == 4


def test_a_write_during_a_pass_is_found_by_the_next_one(any_db, clock, monkeypatch) -> None:
    """The checkpoint records the counter read BEFORE the pass looked for work, so a posting
    written after that (here: right after the pass listed what was pending) is not lost."""
    store.upsert_postings(any_db, [rec(i) for i in range(3)], clock())
    real = store.pending_analysis_ids
    written = []

    def list_then_write(engine, version):
        ids = real(engine, version)
        if not written:
            store.upsert_postings(engine, [rec(9, "Python and Kafka")], clock())
            written.append(9)
        return ids

    monkeypatch.setattr(store, "pending_analysis_ids", list_then_write)
    first = Service(any_db, clock).score_configured(PROFILE)
    assert (first.analysed, first.scored) == (3, 3)
    monkeypatch.setattr(store, "pending_analysis_ids", real)
    second = Service(any_db, clock).score_configured(PROFILE)
    assert (second.analysed, second.scored) == (1, 1)
    assert store.pending_analysis_ids(any_db, Service(any_db, clock).model_version) == []


def test_another_model_version_reanalyses(fresh_db, clock, monkeypatch) -> None:
    store.upsert_postings(fresh_db, [rec(i) for i in range(2)], clock())
    Service(fresh_db, clock).score_configured(PROFILE)
    monkeypatch.setattr("internscout.service.MODEL_VERSION", "99.0.0")
    newer = Service(fresh_db, clock)
    assert newer.analyse_pending() == 2
    assert newer.analyse_pending() == 0


def test_a_checkpoint_that_cannot_be_written_costs_only_a_scan(fresh_db, clock, monkeypatch):
    """A checkpoint is a shortcut: on a database that refuses the write (read-only), scores
    are still refreshed and read, and the next call simply looks for work again."""
    import sqlalchemy as sa

    def refuse(*args, **kwargs):
        raise sa.exc.OperationalError("UPDATE changestamp", {}, Exception("readonly database"))

    monkeypatch.setattr(store, "set_checkpoint", refuse)
    store.upsert_postings(fresh_db, [rec(i) for i in range(3)], clock())
    assert Service(fresh_db, clock).score_configured(PROFILE).scored == 3
    pending = Spy(monkeypatch, "pending_analysis_ids")
    assert Service(fresh_db, clock).score_configured(PROFILE).scored == 0
    assert pending.calls == 1
    assert store.read_stamps(fresh_db, [store.ANALYSED_CHECKPOINT]) == {}
