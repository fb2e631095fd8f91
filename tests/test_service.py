"""Incremental classification and scoring; model persistence; resume files."""

from __future__ import annotations

import pickle
from datetime import timedelta
from pathlib import Path

import docx
import pytest

import store
from internscout.config import ConfigError, ProfileConfig
from internscout.resume import read_resume
from internscout.service import MATCHER_STATE, Service, profile_spec
from store import PostingIn


def rec(i: int, title: str, text: str, **kw) -> PostingIn:
    return PostingIn(
        source_kind="import",
        board="t",
        external_id=str(i),
        title=title,
        company=kw.pop("company", "Acme"),
        description_text=text,
        url=f"https://x.example/{i}",
        **kw,
    )


PROFILE = ProfileConfig(
    name="ana", skills=["python", "sql"], interests="NLP research", sectors=["tech"]
)


def scores(engine) -> dict[str, tuple[float, object]]:
    rows = store.ranked(engine, store.RankFilter(profile_name="ana", internships_only=False))
    return {r.posting.external_id: (r.score.score, r.score.computed_at) for r in rows}


def test_only_new_or_changed_postings_are_rescored(any_db, clock):
    service = Service(any_db, clock)
    store.upsert_postings(
        any_db,
        [rec(1, "NLP Intern", "Python and SQL"), rec(2, "Data Intern", "SQL dashboards")],
        clock(),
    )
    first = service.score_configured(PROFILE)
    assert (first.analysed, first.scored, first.refitted) == (2, 2, True)
    before = scores(any_db)

    clock.advance(minutes=5)
    again = service.score_configured(PROFILE)
    assert (again.analysed, again.scored, again.refitted) == (0, 0, False)

    clock.advance(minutes=5)
    store.upsert_postings(
        any_db,
        [rec(1, "NLP Intern", "Python, SQL and PyTorch"), rec(3, "ML Intern", "Python")],
        clock(),
    )
    third = service.score_configured(PROFILE)
    assert (third.analysed, third.scored) == (2, 2)
    after = scores(any_db)
    assert after["2"] == before["2"]  # untouched
    assert after["1"][1] == clock()  # changed content: rescored now
    assert "3" in after


def test_profile_change_rescores_and_full_refits(fresh_db, clock):
    service = Service(fresh_db, clock)
    store.upsert_postings(fresh_db, [rec(1, "NLP Intern", "Python and SQL")], clock())
    service.score_configured(PROFILE)
    changed = ProfileConfig(name="ana", skills=["python"], interests="NLP research")
    assert service.score_configured(changed).scored == 1
    full = service.score_configured(changed, full=True)
    assert full.refitted and full.scored == 1


def test_scores_age_out_and_are_deterministic(fresh_db, clock):
    service = Service(fresh_db, clock)
    store.upsert_postings(
        fresh_db, [rec(i, f"Intern {i}", "Python SQL NLP") for i in range(4)], clock()
    )
    service.score_configured(PROFILE)
    first = {k: v[0] for k, v in scores(fresh_db).items()}
    clock.advance(days=1)
    assert service.score_configured(PROFILE).scored == 4  # recency/deadline parts age
    # A second service on the same database (a new process) reuses the stored model.
    other = Service(fresh_db, clock)
    matcher, _, refitted = other.matcher()
    assert not refitted
    store.delete_scores(fresh_db, "ana")
    clock.now -= timedelta(days=1)
    other.score_configured(PROFILE)
    assert {k: v[0] for k, v in scores(fresh_db).items()} == first


def test_model_from_other_library_version_is_refitted(fresh_db, clock):
    service = Service(fresh_db, clock)
    store.upsert_postings(fresh_db, [rec(1, "NLP Intern", "Python")], clock())
    service.score_configured(PROFILE)
    state = store.load_model_state(fresh_db, MATCHER_STATE)
    store.save_model_state(
        fresh_db, MATCHER_STATE, state.version, "0.0-old", state.blob, state.fitted_at, "x"
    )
    assert service.matcher()[2] is True
    store.save_model_state(
        fresh_db,
        MATCHER_STATE,
        "old-model",
        state.library_version,
        pickle.dumps("junk"),
        state.fitted_at,
        "y",
    )
    assert service.matcher()[2] is True


def test_resume_text_joins_profile(tmp_path: Path):
    txt = tmp_path / "cv.md"
    txt.write_text("# Ana\nBuilt a RAG chatbot with LangChain.")
    spec = profile_spec(ProfileConfig(name="a", resume=txt))
    assert "LangChain" in spec.resume_text

    doc = docx.Document()
    doc.add_paragraph("Computer vision with OpenCV")
    doc.save(tmp_path / "cv.docx")
    assert "OpenCV" in read_resume(tmp_path / "cv.docx")

    pdf = tmp_path / "cv.pdf"
    pdf.write_bytes(_tiny_pdf("Kubernetes and Airflow"))
    assert "Kubernetes and Airflow" in read_resume(pdf)


def test_resume_errors_name_the_file(tmp_path: Path):
    with pytest.raises(ConfigError, match="does not exist"):
        read_resume(tmp_path / "missing.pdf")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"not a pdf")
    with pytest.raises(ConfigError, match=r"broken\.pdf"):
        read_resume(broken)


def _tiny_pdf(text: str) -> bytes:
    """A one-page PDF with `text`, built by hand so the test needs no PDF writer."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


OTHER = ProfileConfig(
    name="bo", skills=["excel", "tableau"], interests="finance dashboards", sectors=["finance"]
)
CORPUS = [
    rec(1, "NLP Intern", "Python and SQL for language models."),
    rec(2, "Data Analyst Intern", "Excel and Tableau dashboards for a bank.", company="First Bank"),
    rec(3, "Senior Engineer", "Java services. 8+ years of experience.", company="Acme"),
    rec(4, "Research Assistant (Student)", "R and Stata.", company="Lakeside University"),
]


def _all_scores(engine, name: str) -> dict[str, tuple]:
    rows = store.ranked(engine, store.RankFilter(profile_name=name, internships_only=False))
    return {r.posting.external_id: (r.score.score, r.score.reasons) for r in rows}


def test_scoring_profiles_together_equals_one_by_one(tmp_path: Path, clock, monkeypatch):
    from matcher import ProfileMatcher

    engines = [store.make_engine(f"sqlite:///{tmp_path / f'{k}.db'}") for k in ("a", "b")]
    for engine in engines:
        store.upsert_postings(engine, CORPUS, clock())
    specs = [(profile_spec(p), p.email) for p in (PROFILE, OTHER)]

    # One pass, with a full refit: the refit's posting vectors serve the scoring.
    calls: list[int] = []
    original = ProfileMatcher.transform
    monkeypatch.setattr(
        ProfileMatcher,
        "transform",
        lambda self, docs: calls.append(len(docs)) or original(self, docs),
    )
    together = Service(engines[0], clock).score_profiles(specs, full=True)
    assert {k: r.scored for k, r in together.items()} == {"ana": 4, "bo": 4}
    assert calls == []  # the postings were vectorised once, by fit_transform
    monkeypatch.setattr(ProfileMatcher, "transform", original)

    service = Service(engines[1], clock)
    service.score_profile(*specs[0], full=True)
    service.score_profile(*specs[1])
    for name in ("ana", "bo"):
        assert _all_scores(engines[0], name) == _all_scores(engines[1], name)

    # Only what is pending for each profile is scored in a later pass.
    store.upsert_postings(engines[0], [rec(5, "ML Intern", "PyTorch and Python.")], clock())
    again = Service(engines[0], clock).score_profiles(specs)
    assert {k: r.scored for k, r in again.items()} == {"ana": 1, "bo": 1}
    for engine in engines:
        engine.dispose()
