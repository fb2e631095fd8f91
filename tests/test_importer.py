"""Import of JSON Lines and CSV: good lines stored, bad lines reported by number, idempotent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import store
from internscout.importer import ImportFileError, read_import_file

GOOD = [
    {
        "title": "Machine Learning Intern",
        "company": "Acme Health",
        "url": "https://acme.example/jobs/1",
        "description": "<p>Build models in <b>Python</b> and PyTorch.</p>",
        "location": "Boston, MA",
        "posted_at": "2026-10-01T09:00:00Z",
        "extra": "ignored",
    },
    {
        "title": "Data Analyst Intern",
        "company": "City of Springfield",
        "location": "Remote",
        "description": "Plain text: SQL and Tableau.",
        "posted_at": "2026-10-02",
    },
]


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_jsonl_good_and_bad_lines(tmp_path: Path, fresh_db, clock):
    lines = [
        json.dumps(GOOD[0]),
        "{not json",
        json.dumps({"company": "No Title Inc"}),
        json.dumps(GOOD[1]),
        json.dumps({"title": "X", "posted_at": "yesterday"}),
        json.dumps(["a", "list"]),
        json.dumps({"title": "Y", "url": "ftp://x"}),
    ]
    parsed = read_import_file(write_jsonl(tmp_path / "p.jsonl", lines))
    assert [line for line, _ in parsed.records] == [1, 4]
    errors = {e.line: e.message for e in parsed.errors}
    assert set(errors) == {2, 3, 5, 6, 7}
    assert "not valid JSON" in errors[2]
    assert "'title' is required" in errors[3]
    assert "posted_at" in errors[5]
    assert "url" in errors[7]
    first, second = (r for _, r in parsed.records)
    assert (
        first.description_html and first.description_text == "Build models in Python and PyTorch."
    )
    assert second.description_html is None and second.description_text.startswith("Plain text")
    assert second.workplace_type == "remote"
    assert first.posted_at.isoformat() == "2026-10-01T09:00:00+00:00"
    assert "extra" in first.raw


def test_import_twice_changes_nothing(tmp_path: Path, fresh_db, clock):
    path = write_jsonl(tmp_path / "p.jsonl", [json.dumps(g) for g in GOOD])
    records = [r for _, r in read_import_file(path).records]
    assert store.upsert_postings(fresh_db, records, clock()).new == 2
    again = [r for _, r in read_import_file(path).records]
    res = store.upsert_postings(fresh_db, again, clock.advance(hours=1))
    assert (res.new, res.updated, res.unchanged) == (0, 0, 2)
    assert store.count_postings(fresh_db) == 2


def test_default_external_id_is_stable_and_source_is_board(tmp_path: Path):
    path = write_jsonl(
        tmp_path / "p.jsonl", [json.dumps(GOOD[1]), json.dumps({**GOOD[1], "source": "fair"})]
    )
    a, b = (r for _, r in read_import_file(path).records)
    assert a.external_id == b.external_id  # title+company hash, no url
    assert (a.source_kind, a.board) == ("import", "import")
    assert (b.source_kind, b.board) == ("import", "fair")


def test_csv_with_line_numbers(tmp_path: Path):
    path = tmp_path / "p.csv"
    path.write_text(
        "title,company,url,location,posted_at\n"
        'Research Assistant Intern,State University,https://u.example/1,"Ann Arbor, MI",2026-09-01\n'
        ",Nobody,,,\n"
        "Co-op Data Engineer,Bank,https://b.example/2,New York,not-a-date\n"
        '"Quoted, title",Org,https://o.example/3,,\n',
        encoding="utf-8",
    )
    parsed = read_import_file(path)
    assert [line for line, _ in parsed.records] == [2, 5]
    assert [e.line for e in parsed.errors] == [3, 4]
    assert parsed.records[0][1].locations == ["Ann Arbor, MI"]
    assert parsed.records[1][1].title == "Quoted, title"


def test_whole_file_errors(tmp_path: Path):
    with pytest.raises(ImportFileError, match="no such file"):
        read_import_file(tmp_path / "missing.jsonl")
    (tmp_path / "x.xml").write_text("<a/>")
    with pytest.raises(ImportFileError, match="unknown format"):
        read_import_file(tmp_path / "x.xml")
    (tmp_path / "h.csv").write_text("name,company\nA,B\n")
    with pytest.raises(ImportFileError, match="'title' column"):
        read_import_file(tmp_path / "h.csv")
