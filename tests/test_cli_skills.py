"""`internscout skills`: skill gaps across a profile's top postings, as a table and as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from internscout.app import AppState
from internscout.cli import app

POSTINGS = [
    {
        "title": "Data Science Intern (Summer 2027)",
        "company": "Acme AI",
        "url": "https://acme.example/1",
        "description": "Summer internship building models with Python, SQL and PyTorch.",
        "location": "Boston, MA",
        "posted_at": "2026-10-28",
    },
    {
        "title": "Data Science Intern",
        "company": "Riverside Hospital",
        "url": "https://rh.example/2",
        "description": "Internship analysing patient outcomes with Python, SQL and PyTorch.",
        "location": "New York, NY",
        "posted_at": "2026-10-25",
    },
    {
        "title": "Cloud AI Intern",
        "company": "Nimbus",
        "url": "https://nimbus.example/3",
        "description": "Internship deploying models with Python, AWS, Docker and Kubernetes.",
        "location": "Remote",
        "posted_at": "2026-10-30",
    },
    {
        "title": "Internal Audit Analyst",
        "company": "First Bank",
        "url": "https://fb.example/4",
        "description": "Audit controls; Excel and Tableau.",
        "location": "Chicago, IL",
        "posted_at": "2026-10-20",
    },
]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def base(tmp_path: Path, runner: CliRunner, clock) -> list[str]:
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "skills.db"}"\n'
        "[[profiles]]\n"
        'name = "ana"\nskills = ["python", "sql"]\n'
        'interests = "machine learning internships"\nterms = ["Summer 2027"]\n'
    )
    data = tmp_path / "postings.jsonl"
    data.write_text("\n".join(json.dumps(p) for p in POSTINGS) + "\n")
    args = ["--config", str(cfg)]
    assert invoke(runner, [*args, "import", str(data)], clock).exit_code == 0
    return args


def invoke(runner: CliRunner, args: list[str], clock=None):
    obj = AppState(clock=clock) if clock else None
    return runner.invoke(app, args, obj=obj, catch_exceptions=False)


def test_help(runner: CliRunner) -> None:
    result = invoke(runner, ["skills", "--help"])
    assert result.exit_code == 0
    for word in ("Usage", "skills", "--profile", "--top", "--format", "unlocks"):
        assert word in result.output
    assert "skills" in invoke(runner, ["--help"]).output


def test_json_for_a_profile(runner: CliRunner, base: list[str], clock) -> None:
    out = invoke(runner, [*base, "skills", "--profile", "ana", "--format", "json"], clock)
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["profile"] == "ana"
    assert data["postings_considered"] == 3  # internships only
    titles = {p["title"] for p in data["postings"]}
    assert "Internal Audit Analyst" not in titles
    skills = {s["skill"]: s for g in data["groups"] for s in g["skills"]}
    assert "Python" not in skills and "SQL" not in skills
    ids = {p["title"]: p["id"] for p in data["postings"]}
    pytorch = skills["PyTorch"]
    assert pytorch["asked"] == 2 and pytorch["unlocks"] == 2  # the only skill they lack
    assert sorted(pytorch["unlocked"]) == sorted(
        [ids["Data Science Intern (Summer 2027)"], ids["Data Science Intern"]]
    )
    assert skills["AWS"]["asked"] == 1
    assert data["groups"][0]["group"] == "ml_frameworks"  # most unlocks first
    assert data["top_skills"][0] == "PyTorch"
    unlocks = [g["unlocks"] for g in data["groups"]]
    assert unlocks == sorted(unlocks, reverse=True)


def test_top_limits_the_postings(runner: CliRunner, base: list[str], clock) -> None:
    out = invoke(runner, [*base, "skills", "-p", "ana", "--top", "1", "-f", "json"], clock)
    data = json.loads(out.output)
    assert data["postings_considered"] == 1


def test_table_and_guide_profile(runner: CliRunner, base: list[str], clock) -> None:
    table = invoke(runner, [*base, "skills", "--profile", "ana"], clock)
    assert table.exit_code == 0, table.output
    assert "Skills to learn next" in table.output and "PyTorch" in table.output
    assert "Learn next: PyTorch (unlocks 2" in table.output
    guide = invoke(runner, [*base, "skills", "-f", "json"], clock)
    assert guide.exit_code == 0, guide.output
    assert json.loads(guide.output)["profile"] == "(guide)"
    assert "the guide" in invoke(runner, [*base, "skills"], clock).output


def test_user_errors(runner: CliRunner, base: list[str], clock) -> None:
    unknown = invoke(runner, [*base, "skills", "--profile", "bob"], clock)
    assert unknown.exit_code == 2
    assert "no profile named 'bob'" in unknown.output
    bad_format = invoke(runner, [*base, "skills", "-p", "ana", "--format", "csv"], clock)
    assert bad_format.exit_code == 2 and "use table or json" in bad_format.output
    bad_top = invoke(runner, [*base, "skills", "-p", "ana", "--top", "0"], clock)
    assert bad_top.exit_code == 2 and "--top" in bad_top.output


def test_empty_database(runner: CliRunner) -> None:
    result = invoke(runner, ["skills"])
    assert result.exit_code == 0
    assert "No ranked postings" in result.output
