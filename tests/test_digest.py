"""Digest files: grouped by sector, ranked, with reasons and links; never repeats a posting."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

import store
from scheduler.chart import SkillBar, render_skill_chart
from scheduler.digest import build_digest, render_html, render_markdown, write_digest
from store import PostingIn, RankFilter


def seed(engine, now, specs):
    records = [
        PostingIn(
            source_kind="greenhouse",
            board="b",
            external_id=str(i),
            title=title,
            company=co,
            url=f"https://jobs.example/{i}",
            locations=["Boston, MA"],
            posted_at=now,
        )
        for i, (title, co, _sector, _score) in enumerate(specs)
    ]
    store.upsert_postings(engine, records, now)
    by_eid = {p.external_id: p for p in store.get_postings(engine)}
    analyses, scores = [], []
    for i, (_title, _co, sector, score) in enumerate(specs):
        p = by_eid[str(i)]
        analyses.append(
            {
                "posting_id": p.id,
                "posting_hash": p.content_hash,
                "model_version": "t",
                "is_internship": True,
                "internship_evidence": "title",
                "sector": sector,
                "sector_scores": {sector: 1.0},
                "role": "data_science",
                "skills": ["python"],
                "seniority": None,
                "years_required": None,
            }
        )
        scores.append(
            {
                "profile_name": "ana",
                "posting_id": p.id,
                "score": score,
                "parts": {"skills": score},
                "reasons": [f"reason for {i}"],
                "matched_skills": ["Python"],
                "missing_skills": ["SQL"],
                "posting_hash": p.content_hash,
                "profile_hash": "h",
                "model_version": "t",
                "computed_at": now,
            }
        )
    store.save_analyses(engine, analyses)
    store.save_scores(engine, scores)


def rows(engine):
    return store.ranked(engine, RankFilter(profile_name="ana"))


def test_digest_written_grouped_and_not_repeated(fresh_db, clock, tmp_path: Path):
    now = clock()
    seed(
        fresh_db,
        now,
        [
            ("ML Intern", "Acme", "tech", 0.9),
            ("Data Intern", "General Hospital", "healthcare", 0.8),
            ("Research Intern", "State University", "research", 0.7),
        ],
    )
    out = write_digest(fresh_db, "ana", rows(fresh_db), tmp_path, now)
    assert out.items == 3 and out.message == "3 new postings" and len(out.paths) == 3
    html = out.paths[0].read_text()
    md = out.paths[1].read_text()
    assert out.paths[2].suffix == ".png" and out.paths[2].name in html
    assert "3 new internships" in html and "3 new internships" in md
    assert (
        html.index("Technology (1)")
        < html.index("Healthcare (1)")
        < html.index("Research &amp; universities (1)")
    )
    assert 'href="https://jobs.example/0"' in html
    assert "[ML Intern](https://jobs.example/0)" in md
    assert "reason for 1" in md and "To learn: SQL" in md
    # Same data again: nothing new, nothing written.
    again = write_digest(fresh_db, "ana", rows(fresh_db), tmp_path, clock.advance(hours=1))
    assert again.items == 0 and again.paths == [] and again.status == "empty"
    assert len(list(tmp_path.glob("digest-*"))) == 3
    # A new posting appears: the next digest has just that one.
    seed(
        fresh_db,
        clock.advance(days=1),
        [
            ("ML Intern", "Acme", "tech", 0.9),
            ("Data Intern", "General Hospital", "healthcare", 0.8),
            ("Research Intern", "State University", "research", 0.7),
            ("NLP Intern", "Civic Lab", "nonprofit", 0.95),
        ],
    )
    third = write_digest(fresh_db, "ana", rows(fresh_db), tmp_path, clock())
    assert third.items == 1
    assert "NLP Intern" in third.paths[1].read_text()
    assert "ML Intern" not in third.paths[1].read_text()
    assert [d.status for d in store.list_digests(fresh_db, "ana")] == ["sent", "sent"]


def test_html_is_escaped(fresh_db, clock, tmp_path: Path):
    seed(fresh_db, clock(), [("<script>alert(1)</script> Intern", "Acme & Co", "tech", 0.5)])
    out = write_digest(fresh_db, "ana", rows(fresh_db), tmp_path, clock() + timedelta(seconds=1))
    html = out.paths[0].read_text()
    assert "<script>alert" not in html and "&lt;script&gt;" in html and "Acme &amp; Co" in html


def test_write_failure_is_recorded_then_retried(fresh_db, clock, tmp_path: Path):
    seed(fresh_db, clock(), [("ML Intern", "Acme", "tech", 0.9)])
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(OSError):
        write_digest(fresh_db, "ana", rows(fresh_db), blocker / "d", clock(), period_key="p1")
    (run,) = store.list_digests(fresh_db, "ana")
    assert run.status == "failed" and run.error.startswith("cannot write")
    assert store.digested_posting_ids(fresh_db, "ana") == set()
    out = write_digest(fresh_db, "ana", rows(fresh_db), tmp_path / "d", clock(), period_key="p1")
    assert out.status == "sent" and out.digest_id == run.id and out.items == 1
    assert out.paths[0].name == "digest-ana-p1.html"


# -- build_digest, pure: rows made in memory ------------------------------------------------------


def mem_rows(now, specs):
    """RankedRows without a database: (title, company, sector, score, deadline offset or None)."""
    out = []
    for i, (title, company, sector, score, days) in enumerate(specs):
        posting = store.Posting(
            id=i + 1,
            source_kind="greenhouse",
            board="b",
            external_id=str(i),
            title=title,
            company=company,
            url=f"https://jobs.example/{i}",
            locations=["Boston, MA"],
            deadline=now.date() + timedelta(days=days) if days is not None else None,
            content_hash="h",
        )
        analysis = store.Analysis(
            posting_id=i + 1,
            posting_hash="h",
            model_version="t",
            is_internship=True,
            sector=sector,
            role="x",
        )
        score = store.Score(
            profile_name="ana",
            posting_id=i + 1,
            score=score,
            matched_skills=["Python"],
            missing_skills=["SQL", "Go"] if i % 2 else ["SQL"],
            posting_hash="h",
            profile_hash="h",
            model_version="t",
        )
        out.append(store.RankedRow(posting, analysis, score))
    return out


def test_per_company_cap_holds_back_the_rest_and_is_configurable(clock):
    now = clock()
    specs = [
        (f"Intern {i}", "Acme" if i < 5 else f"Co {i}", "tech", 1 - i / 10, None) for i in range(7)
    ]
    rows_ = mem_rows(now, specs)
    d = build_digest("ana", rows_, set(), now)
    assert [i.title for i in d.items] == [
        "Intern 0",
        "Intern 1",
        "Intern 2",
        "Intern 5",
        "Intern 6",
    ]
    assert [i.rank for i in d.items] == [1, 2, 3, 4, 5]
    assert d.held_back == 2 and d.capped_companies == ["Acme"]
    assert d.held_back_text == "2 more held for a later digest (at most 3 per company: Acme)"
    assert build_digest("ana", rows_, set(), now, per_company_cap=1).count == 3
    assert build_digest("ana", rows_, set(), now, per_company_cap=None).count == 7
    small = build_digest("ana", rows_, set(), now, max_items=2, per_company_cap=None)
    assert small.count == 2 and small.held_back == 5 and small.capped_companies == []
    # Already delivered postings free no slot: the cap counts this digest's items only.
    later = build_digest("ana", rows_, {1, 2, 3}, now)
    assert [i.title for i in later.items] == ["Intern 3", "Intern 4", "Intern 5", "Intern 6"]
    # Deterministic: the same input gives the same digest.
    assert build_digest("ana", rows_, set(), now) == d


def test_closing_soon_window_and_membership(clock):
    now = clock()
    specs = [
        ("Today", "A", "tech", 0.9, 0),
        ("Week", "B", "tech", 0.8, 7),
        ("Eight days", "C", "tech", 0.7, 8),
        ("Passed", "D", "tech", 0.6, -1),
        ("No deadline", "E", "tech", 0.5, None),
        ("Sent before", "F", "finance", 0.4, 2),
        ("Held back", "A", "tech", 0.3, 1),
    ]
    d = build_digest("ana", mem_rows(now, specs), {6}, now, per_company_cap=1)
    assert [(c.title, c.days_left, c.new_rank) for c in d.closing_soon] == [
        ("Today", 0, 1),
        ("Sent before", 2, None),
        ("Week", 7, 2),
    ]
    assert d.closing_count == 3 and d.closing_new_count == 2
    assert d.closing_text == "3 closing within 7 days (2 new)"
    by_title = {i.title: i for i in d.items}
    assert by_title["Today"].days_left == 0 and by_title["Eight days"].days_left is None
    assert "Held back" not in by_title and "Sent before" not in by_title
    md = render_markdown(d)
    assert "## Closing soon (3)" in md and "(today) — new, #1 below" in md
    assert "apply by 2026-11-04 (in 2 days) — sent before" in md
    assert (
        build_digest("ana", mem_rows(now, specs), set(), now, closing_soon_days=0).closing_count
        == 1
    )


def test_unsafe_links_are_dropped_and_summary_reads_well(clock):
    now = clock()
    rows_ = mem_rows(now, [("One", "A", "tech", 0.9, None), ("Two", "B", "mystery", 0.8, None)])
    rows_[0].posting.url = "javascript:alert(1)"
    d = build_digest("ana", rows_, set(), now)
    assert d.items[0].url is None and "javascript" not in render_html(d)
    assert list(d.groups) == ["tech", "mystery"]  # a sector unknown here is still listed
    assert d.subject == "InternScout: 2 new internships for ana (2026-11-02)"
    assert build_digest("ana", rows_[:1], set(), now).subject.startswith(
        "InternScout: 1 new internship for"
    )


def test_skill_chart_counts_and_png(clock):
    now = clock()
    d = build_digest(
        "ana",
        mem_rows(now, [(f"I{i}", f"C{i}", "tech", 0.5, None) for i in range(3)]),
        set(),
        now,
        profile_skills=["go"],
    )
    assert d.skills == [
        SkillBar("Python", 3, True),
        SkillBar("SQL", 3, False),
        SkillBar("Go", 1, True),
    ]
    png = render_skill_chart(d.skills)
    assert png is not None and png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) < 100_000
    assert render_skill_chart([]) is None
