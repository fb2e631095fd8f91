"""Digest files: grouped by sector, ranked, with reasons and links; never repeats a posting."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import store
from scheduler.digest import write_digest
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
    assert out.items == 3 and len(out.paths) == 2
    html = out.paths[0].read_text()
    md = out.paths[1].read_text()
    assert "3 new postings" in html and "3 new postings" in md
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
    assert again.items == 0 and again.paths == []
    assert len(list(tmp_path.glob("digest-*"))) == 2
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
