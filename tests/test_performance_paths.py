"""The fast paths behave like the slow ones: nothing pending loads no model and touches no
posting; new work touches only what is new; ranked reads give the reference order; the CLI
starts without Scrapy or scikit-learn. (Behaviour only: speed is measured in benchmarks/.)"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

import store
from internscout.config import ProfileConfig
from internscout.service import MATCHER_STATE, SCORE_TTL, Service, profile_spec
from matcher import PostingAnalyzer, ProfileMatcher
from store import PostingIn

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ProfileConfig(
    name="ana", skills=["python", "sql"], interests="NLP research", sectors=["tech"]
)


def rec(i: int, title: str = "Data Science Intern", text: str = "Python and SQL", **kw):
    return PostingIn(
        source_kind="import",
        board="t",
        external_id=str(i),
        title=title,
        company=kw.pop("company", f"Company {i % 3}"),
        description_text=text,
        url=f"https://x.example/{i}",
        **kw,
    )


class Calls:
    """Counts calls to a function it wraps (a spy)."""

    def __init__(self, fn):
        self.fn = fn
        self.calls: list[tuple] = []

    def __call__(self, *args, **kwargs):
        self.calls.append(args)
        return self.fn(*args, **kwargs)


@pytest.fixture
def spies(monkeypatch: pytest.MonkeyPatch) -> dict[str, Calls]:
    out = {
        "unpickle": Calls(pickle.loads),
        "fit": Calls(ProfileMatcher.fit_transform),
        "analyze_many": Calls(PostingAnalyzer.analyze_many),
        "prepare": Calls(ProfileMatcher.prepare),
        "load_model_state": Calls(store.load_model_state),
    }
    monkeypatch.setattr(pickle, "loads", out["unpickle"])
    monkeypatch.setattr(
        ProfileMatcher, "fit_transform", lambda self, *a, **k: out["fit"](self, *a, **k)
    )
    monkeypatch.setattr(
        PostingAnalyzer,
        "analyze_many",
        lambda self, *a, **k: out["analyze_many"](self, *a, **k),
    )
    monkeypatch.setattr(
        ProfileMatcher, "prepare", lambda self, *a, **k: out["prepare"](self, *a, **k)
    )
    monkeypatch.setattr(store, "load_model_state", out["load_model_state"])
    return out


def reset(spies: dict[str, Calls]) -> None:
    for spy in spies.values():
        spy.calls.clear()


# -- nothing pending ---------------------------------------------------------------------------


def test_nothing_pending_loads_no_model_and_analyses_nothing(any_db, clock, spies):
    store.upsert_postings(any_db, [rec(i) for i in range(6)], clock())
    first = Service(any_db, clock).score_configured(PROFILE)
    assert (first.analysed, first.scored, first.refitted) == (6, 6, True)
    reset(spies)

    clock.advance(minutes=10)
    # A new Service is a new process (`internscout rank` again): its matcher is not loaded yet.
    report = Service(any_db, clock).score_configured(PROFILE)
    assert (report.analysed, report.scored, report.refitted) == (0, 0, False)
    assert spies["unpickle"].calls == []  # the stored matcher was not unpickled
    assert spies["load_model_state"].calls == []  # not even its blob read
    assert spies["fit"].calls == []
    assert spies["analyze_many"].calls == []
    assert spies["prepare"].calls == []


def test_guide_profile_with_nothing_pending_loads_no_model(fresh_db, clock, spies):
    store.upsert_postings(fresh_db, [rec(i) for i in range(3)], clock())
    Service(fresh_db, clock).score_guide()
    reset(spies)
    assert Service(fresh_db, clock).score_guide().scored == 0
    assert spies["unpickle"].calls == [] and spies["fit"].calls == []


def test_profile_row_is_not_rewritten_when_unchanged(fresh_db, clock):
    service = Service(fresh_db, clock)
    store.upsert_postings(fresh_db, [rec(1)], clock())
    service.score_configured(PROFILE)
    with Session(fresh_db) as s:
        before = s.get(store.Profile, "ana").updated_at
    clock.advance(minutes=5)
    service.score_configured(PROFILE)
    with Session(fresh_db) as s:
        assert s.get(store.Profile, "ana").updated_at == before
    changed = ProfileConfig(name="ana", skills=["python"], interests="NLP research")
    service.score_configured(changed)
    with Session(fresh_db) as s:
        assert s.get(store.Profile, "ana").updated_at == clock()


# -- incremental work touches only what is new ---------------------------------------------------


def test_new_postings_only_are_analysed_and_scored(any_db, clock, spies):
    store.upsert_postings(any_db, [rec(i) for i in range(5)], clock())
    Service(any_db, clock).score_configured(PROFILE)
    before = {
        r.posting.external_id: r.score.computed_at
        for r in store.ranked(any_db, store.RankFilter(profile_name="ana"))
    }
    reset(spies)

    clock.advance(minutes=10)
    store.upsert_postings(any_db, [rec(10, "ML Intern"), rec(11, "NLP Intern")], clock())
    service = Service(any_db, clock)
    report = service.score_configured(PROFILE)
    assert (report.analysed, report.scored, report.refitted) == (2, 2, False)
    analysed = spies["analyze_many"].calls[0][1]
    assert sorted(p.title for p in analysed) == ["ML Intern", "NLP Intern"]
    assert len(spies["prepare"].calls[0][2]) == 2
    assert len(spies["unpickle"].calls) == 1  # loaded once, because there was work
    assert spies["fit"].calls == []

    after = {
        r.posting.external_id: r.score.computed_at
        for r in store.ranked(any_db, store.RankFilter(profile_name="ana"))
    }
    assert {k: after[k] for k in before} == before  # old scores untouched
    assert after["10"] == after["11"] == clock()

    # The same service scoring more work reuses the matcher it loaded.
    reset(spies)
    clock.advance(minutes=1)
    store.upsert_postings(any_db, [rec(12, "Data Intern")], clock())
    assert service.score_configured(PROFILE).scored == 1
    assert spies["unpickle"].calls == []


def test_changed_content_reanalyses_and_rescores_only_that_posting(fresh_db, clock, spies):
    store.upsert_postings(fresh_db, [rec(i) for i in range(4)], clock())
    Service(fresh_db, clock).score_configured(PROFILE)
    reset(spies)
    clock.advance(minutes=5)
    store.upsert_postings(fresh_db, [rec(2, text="Python, SQL and PyTorch")], clock())
    report = Service(fresh_db, clock).score_configured(PROFILE)
    assert (report.analysed, report.scored) == (1, 1)
    analysed = spies["analyze_many"].calls[0][1]
    assert [p.description for p in analysed] == ["Python, SQL and PyTorch"]


def test_fast_check_agrees_with_the_exact_pending_list(any_db, clock):
    """`scores_current` (the cheap no-work answer) is True exactly when the full
    `pending_score_ids` comparison finds nothing, in each way a score goes out of date."""
    service = Service(any_db, clock)
    store.upsert_postings(any_db, [rec(i) for i in range(5)], clock())
    service.score_configured(PROFILE)
    spec = profile_spec(PROFILE)
    fit_id, _ = service.matcher_fit()

    def both(profile_hash: str, fit: str, now: datetime) -> tuple[bool, bool]:
        cutoff = now - SCORE_TTL
        fast = store.scores_current(any_db, "ana", profile_hash, fit, cutoff)
        exact = store.pending_score_ids(any_db, "ana", profile_hash, fit, cutoff) == []
        return fast, exact

    ph = service.profile_hash(spec)
    assert both(ph, fit_id, clock()) == (True, True)
    assert both("other-spec", fit_id, clock()) == (False, False)
    assert both(ph, "other-fit", clock()) == (False, False)
    assert both(ph, fit_id, clock() + timedelta(days=1)) == (False, False)  # scores aged
    assert both("", fit_id, clock()) == (False, False)  # below every hash, too
    assert both(ph, "", clock()) == (False, False)

    # A missing score (deleted behind the store's back: the exact checks still see it).
    with any_db.begin() as conn:
        conn.execute(sa.delete(store.Score.__table__).where(store.Score.posting_id == 3))
    assert both(ph, fit_id, clock()) == (False, False)
    # Scores deleted through the store drop the profile's checkpoint: the service rescores.
    store.delete_scores(any_db, "ana")
    assert service.score_configured(PROFILE).scored == 5
    assert both(ph, fit_id, clock()) == (True, True)

    # Changed content: once re-analysed, the old score no longer matches.
    store.upsert_postings(any_db, [rec(1, text="Python, SQL and Spark")], clock())
    service.analyse_pending()
    assert both(ph, fit_id, clock()) == (False, False)
    assert service.score_configured(PROFILE).scored == 1
    assert both(ph, fit_id, clock()) == (True, True)


def test_unreadable_stored_matcher_is_refitted_when_there_is_work(fresh_db, clock):
    service = Service(fresh_db, clock)
    store.upsert_postings(fresh_db, [rec(1)], clock())
    service.score_configured(PROFILE)
    state = store.load_model_state(fresh_db, MATCHER_STATE)
    store.save_model_state(
        fresh_db,
        MATCHER_STATE,
        state.version,
        state.library_version,
        b"not a pickle",
        state.fitted_at,
        state.fit_id,
    )
    store.upsert_postings(fresh_db, [rec(2)], clock())
    report = Service(fresh_db, clock).score_configured(PROFILE)
    assert report.refitted and report.scored == 2  # the new fit rescored everything
    assert store.load_model_state(fresh_db, MATCHER_STATE).fit_id != state.fit_id


# -- ranked reads ----------------------------------------------------------------------------


SECTORS = ["tech", "healthcare", "finance", "research"]
PLACES = [["Boston, MA"], ["New York, NY"], ["Remote - US"], [], ["Boston, MA", "Austin, TX"]]


def _ranking_db(engine, clock) -> None:
    """40 postings: closed ones, duplicates, sectors, places, dates, deadlines, tied scores."""
    now = clock()
    records = []
    for i in range(40):
        records.append(
            rec(
                i,
                title=f"Posting {i}",
                locations=PLACES[i % len(PLACES)],
                workplace_type="remote" if i % 7 == 0 else None,
                posted_at=None if i % 6 == 0 else now - timedelta(days=i % 20),
                deadline=(now + timedelta(days=(i % 5) - 2)).date() if i % 4 == 0 else None,
                is_open=i % 9 != 0,
            )
        )
    store.upsert_postings(engine, records, now - timedelta(days=3))
    postings = sorted(store.get_postings(engine), key=lambda p: p.id)
    with engine.begin() as conn:
        for p in postings[5::8]:  # every 8th is another listing of its predecessor
            conn.execute(
                sa.update(store.Posting.__table__)
                .where(store.Posting.id == p.id)
                .values(duplicate_of=p.id - 1, duplicate_reason="same URL")
            )
    analyses, scores = [], []
    for k, p in enumerate(postings):
        analyses.append(
            {
                "posting_id": p.id,
                "posting_hash": p.content_hash,
                "model_version": "m",
                "is_internship": k % 3 != 0,
                "internship_evidence": "",
                "sector": SECTORS[k % len(SECTORS)],
                "sector_scores": {},
                "role": "data_science",
                "skills": [],
                "entry_level_evidence": 'title says "New Grad"' if k % 3 == 0 and k % 2 else None,
            }
        )
        scores.append(
            {
                "profile_name": "ana",
                "posting_id": p.id,
                "score": round((k * 37 % 10) / 10, 6),  # many ties: order falls back to id
                "parts": {},
                "reasons": [],
                "matched_skills": [],
                "missing_skills": [],
                "posting_hash": p.content_hash,
                "profile_hash": "h",
                "model_version": "m",
                "computed_at": now,
            }
        )
    store.save_analyses(engine, analyses)
    store.save_scores(engine, scores)


def _reference(engine, f: store.RankFilter) -> list[int]:
    """The ranking spelled out in Python over every row: what `ranked` must return."""
    with Session(engine) as s:
        rows = s.exec(
            select(store.Posting, store.Analysis, store.Score)
            .join(store.Analysis, store.Analysis.posting_id == store.Posting.id)
            .join(store.Score, store.Score.posting_id == store.Posting.id)
            .where(store.Score.profile_name == f.profile_name)
        ).all()
    kept = []
    for p, a, sc in rows:
        text = json.dumps(p.locations).lower()
        if f.open_only and p.closed_at is not None:
            continue
        if f.hide_duplicates and p.duplicate_of is not None:
            continue
        if f.internships_only and not (
            a.is_internship or (f.entry_level_too and a.entry_level_evidence)
        ):
            continue
        if f.sectors and a.sector not in f.sectors:
            continue
        if f.location and f.location.lower() not in text:
            continue
        if f.remote_only and not (p.workplace_type == "remote" or "remote" in text):
            continue
        if f.since is not None and (p.posted_at or p.first_seen) < f.since:
            continue
        if f.min_score is not None and sc.score < f.min_score:
            continue
        if f.today is not None and p.deadline is not None and p.deadline < f.today:
            continue
        if f.today is not None and sc.score <= 0:  # ruled out when scored
            continue
        kept.append((-sc.score, p.id))
    ids = [pid for _, pid in sorted(kept)]
    return ids[: f.limit] if f.limit else ids


FILTERS = [
    {},
    {"sectors": ["healthcare"]},
    {"sectors": ["tech", "finance"]},
    {"location": "boston"},
    {"remote_only": True},
    {"since": "7d"},
    {"min_score": 0.3},
    {"internships_only": False},
    {"open_only": False, "hide_duplicates": False, "internships_only": False},
    {"today": "today"},
    {"entry_level_too": True},
    {"entry_level_too": True, "internships_only": False, "sectors": ["tech"]},
    {"limit": 5},
    {"limit": 3, "min_score": 0.5, "internships_only": False},
    {"sectors": ["finance"], "remote_only": True, "since": "14d"},
    {"location": "Nowhere"},
]


@pytest.mark.parametrize("flt", FILTERS, ids=[json.dumps(f, sort_keys=True) for f in FILTERS])
def test_ranked_matches_reference_order(any_db, clock, flt):
    _ranking_db(any_db, clock)
    kw = dict(flt)
    if "since" in kw:
        kw["since"] = clock() - timedelta(days=int(kw["since"][:-1]))
    if kw.get("today") == "today":
        kw["today"] = clock().date()
    f = store.RankFilter(profile_name="ana", **kw)
    got = [r.posting.id for r in store.ranked(any_db, f)]
    assert got == _reference(any_db, f)


def test_ranked_rows_carry_what_is_shown_but_not_the_heavy_columns(fresh_db, clock):
    _ranking_db(fresh_db, clock)
    rows = store.ranked(fresh_db, store.RankFilter(profile_name="ana", limit=3))
    assert rows
    for r in rows:
        p = r.posting
        assert p.title.startswith("Posting ") and p.company and p.url
        assert isinstance(p.locations, list) and p.source_kind == "import"
        assert r.analysis.sector in SECTORS and r.score.profile_name == "ana"
        loaded = sa.inspect(p).unloaded
        assert {"raw", "description_html", "description_text"} <= loaded


def test_cli_rank_json_matches_reference(tmp_path: Path, clock):
    from typer.testing import CliRunner

    from internscout.app import AppState
    from internscout.cli import app

    url = f"sqlite:///{tmp_path / 'r.db'}"
    engine = store.make_engine(url)
    _ranking_db(engine, clock)
    # The CLI refreshes scores before ranking: make the stored ones current for "ana".
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "{url}"\n[[profiles]]\nname = "ana"\nskills = ["sql"]\n')
    service = Service(engine, clock)
    report = service.score_configured(ProfileConfig(name="ana", skills=["sql"]))
    assert report.scored == 40
    result = CliRunner().invoke(
        app,
        ["--config", str(cfg), "rank", "-p", "ana", "--since", "7d", "-f", "json", "--limit", "0"],
        obj=AppState(clock=clock),
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    f = store.RankFilter(
        profile_name="ana", since=clock() - timedelta(days=7), today=clock().date()
    )
    assert [r["id"] for r in json.loads(result.output)] == _reference(engine, f)


# -- schema upgrades ----------------------------------------------------------------------------


def test_indexes_added_to_older_databases(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = store.make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_score_rank")
        conn.exec_driver_sql("DROP INDEX ix_posting_id_hash")
    engine.dispose()
    engine = store.make_engine(url)
    with engine.connect() as conn:
        names = set(conn.exec_driver_sql("SELECT name FROM sqlite_master").scalars())
    assert {"ix_score_rank", "ix_posting_id_hash"} <= names


# -- start-up: no heavy imports -------------------------------------------------------------------

HEAVY = ("sklearn", "scrapy", "twisted", "matplotlib", "torch")
PROBE = f"""
import sys
from datetime import datetime
HEAVY = {HEAVY!r}
from internscout.app import AppState
from internscout.cli import app
args = sys.argv[1:]
now = datetime.fromisoformat(args.pop(0))
try:
    app(args, prog_name="internscout", standalone_mode=False, obj=AppState(clock=lambda: now))
except SystemExit:
    pass
print("HEAVY=" + ",".join(m for m in HEAVY if m in sys.modules))
"""


def _heavy_modules(*args: str, now: datetime | None = None) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    stamp = (now or datetime.now(UTC)).isoformat()
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, stamp, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("HEAVY=")]
    assert lines, proc.stdout + proc.stderr
    return [m for m in lines[-1].removeprefix("HEAVY=").split(",") if m]


@pytest.mark.parametrize("args", [["--help"], ["rank", "--help"], ["crawl", "--help"]])
def test_help_imports_neither_scrapy_nor_sklearn(args):
    assert _heavy_modules(*args) == []


def test_rank_with_nothing_pending_imports_neither(tmp_path: Path, clock):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f'[database]\nurl = "{url}"\n[[profiles]]\nname = "ana"\nskills = ["python", "sql"]\n'
    )
    engine = store.make_engine(url)
    store.upsert_postings(engine, [rec(i) for i in range(4)], clock())
    Service(engine, clock).score_configured(ProfileConfig(name="ana", skills=["python", "sql"]))
    engine.dispose()
    later = clock() + timedelta(minutes=5)
    assert _heavy_modules("--config", str(cfg), "rank", "--profile", "ana", now=later) == []
    # With work to do (a new posting), scoring loads scikit-learn, as it must.
    engine = store.make_engine(url)
    store.upsert_postings(engine, [rec(9, deadline=date(2030, 1, 1))], later)
    engine.dispose()
    assert "sklearn" in _heavy_modules("--config", str(cfg), "rank", "-p", "ana", now=later)


def test_scores_stale_by_age_alone_are_refreshed_without_vectors(any_db, clock, monkeypatch):
    """After SCORE_TTL, a refresh reuses each score's text part (content, profile and fit
    unchanged) instead of vectorising the postings again, and gives exactly what a full
    rescore at that moment gives (recency, "Posted ..." and deadline reasons included)."""
    now = clock()
    records = [
        rec(
            i,
            title=["Data Science Intern", "ML Intern", "Senior Data Engineer"][i % 3],
            text=["Python, SQL and pandas", "PyTorch and NLP research", "Spark and Kafka"][i % 3],
            posted_at=now - timedelta(days=i),
            deadline=(now + timedelta(days=i % 9)).date() if i % 2 else None,
        )
        for i in range(12)
    ]
    store.upsert_postings(any_db, records, now)
    Service(any_db, clock).score_configured(PROFILE)

    clock.advance(hours=13)  # past SCORE_TTL: every score is out of date by age
    vectorised: list[int] = []
    real_transform = ProfileMatcher.transform

    def transform(self, postings):
        vectorised.append(len(postings))
        return real_transform(self, postings)

    monkeypatch.setattr(ProfileMatcher, "transform", transform)
    assert Service(any_db, clock).score_configured(PROFILE).scored == 12
    assert vectorised == []

    def stored() -> dict[str, tuple]:
        rows = store.ranked(any_db, store.RankFilter(profile_name="ana", open_only=False))
        return {
            r.posting.external_id: (r.score.score, r.score.parts, r.score.reasons) for r in rows
        }

    refreshed = stored()
    store.delete_scores(any_db, "ana")
    assert Service(any_db, clock).score_configured(PROFILE).scored == 12
    assert vectorised == [12]  # the reference rescore did vectorise
    assert stored() == refreshed
    assert any(any(x.startswith("Apply by") for x in v[2]) for v in refreshed.values())
