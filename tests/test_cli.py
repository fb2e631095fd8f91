"""Every command through the CLI runner: help, happy paths, and user mistakes as clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from internscout.app import AppState
from internscout.cli import app

COMMANDS = [
    "init",
    "crawl",
    "import",
    "rank",
    "show",
    "digest",
    "rescore",
    "sources",
    "evaluate",
    "demo",
    "skills",
]

POSTINGS = [
    {
        "title": "Machine Learning Intern",
        "company": "Acme AI",
        "url": "https://acme.example/1",
        "description": "Summer internship building NLP models with Python, PyTorch and SQL.",
        "location": "Boston, MA",
        "posted_at": "2026-10-28",
    },
    {
        "title": "Senior Machine Learning Engineer",
        "company": "Acme AI",
        "url": "https://acme.example/2",
        "description": "7+ years of experience with Python, PyTorch and SQL required.",
        "location": "Boston, MA",
        "posted_at": "2026-10-28",
    },
    {
        "title": "Data Science Intern",
        "company": "Riverside Hospital",
        "url": "https://rh.example/3",
        "description": "Internship analysing patient outcomes with Python, pandas and SQL.",
        "location": "New York, NY",
        "posted_at": "2026-10-25",
    },
    {
        "title": "Internal Audit Analyst",
        "company": "First Bank",
        "url": "https://fb.example/4",
        "description": "Audit controls; Excel.",
        "location": "Chicago, IL",
        "posted_at": "2026-10-20",
    },
]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def env(tmp_path: Path, clock) -> dict:
    """A config with one profile and a database in tmp_path, plus the imported postings."""
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "cli.db"}"\n'
        "[[profiles]]\n"
        'name = "ana"\nemail = "ana@example.edu"\n'
        'skills = ["python", "pytorch", "sql"]\n'
        'interests = "NLP and machine learning internships"\n'
        'sectors = ["tech", "healthcare"]\nlocations = ["Boston"]\n'
    )
    data = tmp_path / "postings.jsonl"
    data.write_text("\n".join(json.dumps(p) for p in POSTINGS) + "\n")
    return {"config": cfg, "data": data, "tmp": tmp_path}


def invoke(runner: CliRunner, args: list[str], clock=None):
    obj = AppState(clock=clock) if clock else None
    return runner.invoke(app, args, obj=obj, catch_exceptions=False)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(runner: CliRunner, command: str):
    result = invoke(runner, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output
    assert command in result.output


@pytest.mark.parametrize(
    ("command", "table"), [("schedule", "[schedule]"), ("digest", "[delivery]")]
)
def test_help_names_config_tables_literally(runner: CliRunner, command: str, table: str):
    # Not read as markup (where "[schedule]" would vanish from the text).
    result = invoke(runner, [command, "--help"])
    assert table in " ".join(result.output.split())


def test_init_writes_config_and_refuses_to_overwrite(runner: CliRunner, tmp_path: Path):
    target = tmp_path / "c.toml"
    assert invoke(runner, ["init", str(target)]).exit_code == 0
    assert "[[sources]]" in target.read_text()
    again = invoke(runner, ["init", str(target)])
    assert again.exit_code == 2
    assert "already exists" in again.output


def test_import_rank_show(runner: CliRunner, env: dict, clock):
    base = ["--config", str(env["config"])]
    out = invoke(runner, [*base, "import", str(env["data"])], clock)
    assert out.exit_code == 0, out.output
    assert "4 new" in out.output
    again = invoke(runner, [*base, "import", str(env["data"])], clock)
    assert "0 new, 0 updated, 4 unchanged" in again.output

    ranked = invoke(
        runner, [*base, "rank", "--profile", "ana", "--format", "json", "--limit", "0"], clock
    )
    assert ranked.exit_code == 0, ranked.output
    rows = json.loads(ranked.output)
    titles = [r["title"] for r in rows]
    # Default: internships only, best first.
    assert set(titles) == {"Machine Learning Intern", "Data Science Intern"}
    assert titles[0] == "Machine Learning Intern"
    for key in (
        "id",
        "title",
        "company",
        "url",
        "location",
        "sector",
        "is_internship",
        "role",
        "score",
        "matched_skills",
        "missing_skills",
        "reasons",
        "posted_at",
    ):
        assert key in rows[0]
    assert rows[0]["score"] >= rows[1]["score"]
    assert rows[0]["reasons"]

    everything = json.loads(
        invoke(
            runner,
            [*base, "rank", "--profile", "ana", "--all", "-f", "json", "--limit", "0"],
            clock,
        ).output
    )
    assert len(everything) == 4
    senior = next(r for r in everything if r["title"].startswith("Senior"))
    intern = next(r for r in everything if r["title"] == "Machine Learning Intern")
    assert senior["score"] < intern["score"]  # skills alike; a senior role is not a student fit
    assert not next(r for r in everything if r["title"].startswith("Internal Audit"))[
        "is_internship"
    ]

    health = json.loads(
        invoke(
            runner, [*base, "rank", "-p", "ana", "--sector", "healthcare", "-f", "json"], clock
        ).output
    )
    assert [r["title"] for r in health] == ["Data Science Intern"]
    one = json.loads(
        invoke(runner, [*base, "rank", "-p", "ana", "--limit", "1", "-f", "json"], clock).output
    )
    assert len(one) == 1
    boston = json.loads(
        invoke(
            runner, [*base, "rank", "-p", "ana", "--location", "boston", "-f", "json"], clock
        ).output
    )
    assert [r["title"] for r in boston] == ["Machine Learning Intern"]

    csv_out = invoke(runner, [*base, "rank", "-p", "ana", "--format", "csv"], clock)
    assert csv_out.output.splitlines()[0].startswith("id,score,title")

    table = invoke(runner, [*base, "rank", "--profile", "ana"], clock)
    assert "Ranked for ana" in table.output
    assert "Machine" in table.output and "Data" in table.output  # cells may fold

    shown = invoke(runner, [*base, "show", str(rows[0]["id"]), "--profile", "ana"], clock)
    assert shown.exit_code == 0
    assert "Score for ana" in shown.output and "Classification" in shown.output


def test_rank_without_profile_uses_the_guide(runner: CliRunner, env: dict, clock):
    base = ["--config", str(env["config"])]
    invoke(runner, [*base, "import", str(env["data"])], clock)
    rows = json.loads(invoke(runner, [*base, "rank", "--format", "json"], clock).output)
    assert {r["title"] for r in rows} == {"Machine Learning Intern", "Data Science Intern"}


def test_rank_with_no_config_and_empty_db(runner: CliRunner):
    result = invoke(runner, ["rank"])
    assert result.exit_code == 0
    assert "No postings match" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["rank", "--profile", "nobody"], "no profile named 'nobody'"),
        (["rank", "--sector", "space"], "--sector space"),
        (["rank", "--since", "yesterday"], "--since"),
        (["rank", "--format", "xml"], "--format"),
        (["show", "999"], "no posting with id 999"),
        (["import", "missing.jsonl"], "no such file"),
        (["crawl", "--source", "nope"], "unknown source(s) nope"),
        (["digest", "--profile", "nobody"], "no profile named"),
    ],
)
def test_user_mistakes_are_one_line_errors(
    runner: CliRunner, env: dict, args: list[str], message: str
):
    result = runner.invoke(app, ["--config", str(env["config"]), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_broken_config_file(runner: CliRunner, tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[[sources]]\nname = 'x'\nkind = 'lever'\n")
    result = runner.invoke(app, ["--config", str(bad), "sources"])
    assert result.exit_code == 2
    assert "sources[0].board: required" in result.output


def test_digest_command_is_idempotent(runner: CliRunner, env: dict, clock):
    base = ["--config", str(env["config"])]
    invoke(runner, [*base, "import", str(env["data"])], clock)
    out_dir = env["tmp"] / "digests"
    first = invoke(runner, [*base, "digest", "--profile", "ana", "--out", str(out_dir)], clock)
    assert first.exit_code == 0 and "2 new postings" in first.output
    clock.advance(minutes=5)
    second = invoke(runner, [*base, "digest", "--profile", "ana", "--out", str(out_dir)], clock)
    assert "nothing written" in second.output
    assert len(list(out_dir.glob("*.html"))) == 1


def test_rescore_full(runner: CliRunner, env: dict, clock):
    base = ["--config", str(env["config"])]
    invoke(runner, [*base, "import", str(env["data"])], clock)
    out = invoke(runner, [*base, "rescore", "--full"], clock)
    assert out.exit_code == 0
    assert "(guide): classified" in out.output and "ana:" in out.output
    assert "matcher refitted" in out.output
    # Nothing changed since: nothing to rescore.
    again = invoke(runner, [*base, "rescore"], clock)
    assert "ana: classified 0, scored 0" in again.output


def test_evaluate_on_small_labelled_files(runner: CliRunner, tmp_path: Path):
    sector = tmp_path / "s.jsonl"
    sector.write_text(
        json.dumps(
            {
                "title": "Nurse Data Analyst",
                "company": "Mercy General Hospital",
                "description": "Patient care analytics for our hospital and clinics.",
                "sector": "healthcare",
            }
        )
        + "\n"
        + json.dumps(
            {
                "title": "Quant Analyst",
                "company": "Harbor Capital Bank",
                "description": "Trading, risk and portfolio analytics for our bank.",
                "sector": "finance",
            }
        )
        + "\n"
    )
    pos = tmp_path / "pos.txt"
    pos.write_text("Software Engineering Intern\nData Science Co-op\nData Science Co-op\n")
    neg = tmp_path / "neg.txt"
    neg.write_text("Internal Audit Manager\nSenior Data Scientist\n")
    result = invoke(
        runner,
        ["evaluate", "--sector", str(sector), "--interns", str(pos), "--not-interns", str(neg)],
    )
    assert result.exit_code == 0, result.output
    assert "macro-F1 1.000" in result.output
    assert "matcher   P 1.000  R 1.000  F1 1.0000" in result.output
    assert "distinct titles (2 internships, 2 not): matcher F1 1.0000" in result.output

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "x", "sector": "tech"}\n{"title": "y"}\n')
    err = runner.invoke(app, ["evaluate", "--sector", str(bad)])
    assert err.exit_code == 2 and "bad.jsonl:2" in err.output
    bad.write_text('{"title": "x", "sector": "tech"}\n{"description": 5, "sector": "tech"}\n')
    err = runner.invoke(app, ["evaluate", "--sector", str(bad)])
    said = " ".join(err.output.split())
    assert err.exit_code == 2 and "bad.jsonl:2: `description` must be a string" in said


def test_evaluate_reads_title_lists_in_each_format(runner: CliRunner, tmp_path: Path):
    pos = tmp_path / "pos.json"
    pos.write_text(json.dumps(["Data Science Intern", {"title": "ML Co-op", "id": "a"}]))
    neg = tmp_path / "neg.jsonl"
    neg.write_text('{"title": "Senior Data Scientist"}\n\n"Internal Audit Manager"\n')
    result = invoke(runner, ["evaluate", "--interns", str(pos), "--not-interns", str(neg)])
    assert "on titles (2 internships, 2 not)" in result.output
    assert "matcher   P 1.000  R 1.000  F1 1.0000" in result.output

    cases = {
        "list.json": ('{"title": "x"}', "expected a JSON list"),
        "item.json": ('["ok", {"name": "x"}]', "item 1: an object without a `title`"),
        "num.json": ("[3]", "item 0: expected a title string"),
        "line.jsonl": ('{"title": "a"}\n{oops\n', "line.jsonl:2: not valid JSON"),
        "empty.txt": ("\n  \n", "no titles in it"),
    }
    for name, (content, message) in cases.items():
        bad = tmp_path / name
        bad.write_text(content)
        err = runner.invoke(app, ["evaluate", "--interns", str(bad), "--not-interns", str(neg)])
        assert err.exit_code == 2, (name, err.output)
        assert message in " ".join(err.output.split()), (name, err.output)
        assert "Traceback" not in err.output


def test_sources_lists_last_crawl_status_counts_and_errors(
    runner: CliRunner, tmp_path: Path, clock
):
    import store

    cfg = tmp_path / "c.toml"
    db = tmp_path / "s.db"
    cfg.write_text(
        f'[database]\nurl = "sqlite:///{db}"\n'
        "[[sources]]\nname = 'acme'\nkind = 'greenhouse'\nboard = 'acme'\n"
        "[[sources]]\nname = 'fresh'\nkind = 'lever'\nboard = 'fresh'\n"
    )
    engine = store.make_engine(f"sqlite:///{db}")
    store.record_crawl_run(
        engine,
        store.CrawlRunIn(
            "acme", "greenhouse", "acme", clock(), clock(), "failed", new=7, error="HTTP 503"
        ),
    )
    store.record_failed_pages(
        engine,
        "acme",
        [
            store.FailedPageIn("https://x/1", "detail", "HTTP 500"),
            store.FailedPageIn("https://x/2", "detail", "HTTP 500"),
        ],
        clock(),
    )
    result = runner.invoke(app, ["--config", str(cfg), "sources"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    acme = next(line for line in result.output.splitlines() if "acme" in line)
    cells = [c.strip() for c in acme.strip("│ ").split("│")]
    assert cells[0] == "acme" and cells[5] == "failed" and cells[6] == "7"
    assert cells[9] == "2" and "HTTP 503" in cells[10]
    fresh = next(line for line in result.output.splitlines() if "fresh" in line)
    assert "never" in fresh


def test_config_taxonomy_extension_is_used(runner: CliRunner, env: dict, clock):
    """`[scoring] taxonomy` files extend the skills the matcher finds (no code change)."""
    base = ["--config", str(env["config"])]
    ext = env["tmp"] / "my-skills.toml"
    ext.write_text('[[skills]]\nname = "Quantum Widgets"\ngroup = "data_tools"\n'
                   'synonyms = ["qwidgets"]\n')  # fmt: skip
    data = env["tmp"] / "one.jsonl"
    posting = {**POSTINGS[0], "title": "Widget Data Intern", "url": "https://acme.example/qw",
               "description": "Build qwidgets pipelines with Python."}  # fmt: skip
    data.write_text(json.dumps(posting) + "\n")
    assert invoke(runner, [*base, "import", str(data)], clock).exit_code == 0

    def skills() -> list[str]:
        out = invoke(runner, [*base, "rank", "--all", "--format", "json", "--limit", "0"], clock)
        assert out.exit_code == 0, out.output
        row = next(r for r in json.loads(out.output) if r["title"] == "Widget Data Intern")
        return row["matched_skills"] + row["missing_skills"]

    assert "Quantum Widgets" not in skills()
    cfg = env["config"].read_text()
    env["config"].write_text(cfg + '\n[scoring]\ntaxonomy = ["my-skills.toml"]\n')
    assert "Quantum Widgets" in skills()  # the new taxonomy version re-classifies
    env["config"].write_text(cfg + '\n[scoring]\ntaxonomy = ["missing.toml"]\n')
    bad = invoke(runner, [*base, "rank"], clock)
    assert bad.exit_code == 2 and "scoring.taxonomy[0]: file not found" in bad.output


def test_entry_level_profile_also_ranks_new_grad_jobs(runner: CliRunner, env: dict, clock):
    """A profile with `entry_level = true` gets full-time new-grad roles too, unpenalised and
    with the reason; senior roles stay out, and another profile's ranking is unchanged."""
    base = ["--config", str(env["config"])]
    new_grad = {**POSTINGS[0], "title": "Machine Learning Engineer - New Grad 2027",
                "url": "https://acme.example/ng",
                "description": "Full-time role building NLP models with Python and PyTorch."}  # fmt: skip
    data = env["tmp"] / "more.jsonl"
    data.write_text(json.dumps(new_grad) + "\n")
    invoke(runner, [*base, "import", str(env["data"])], clock)
    invoke(runner, [*base, "import", str(data)], clock)
    cfg = env["config"].read_text()
    env["config"].write_text(
        cfg + '[[profiles]]\nname = "sam"\nskills = ["python", "pytorch", "sql"]\n'
        'interests = "NLP and machine learning"\nentry_level = true\n'
    )

    def ranked(profile: str) -> dict[str, dict]:
        out = invoke(runner, [*base, "rank", "--profile", profile, "--format", "json"], clock)
        assert out.exit_code == 0, out.output
        return {r["title"]: r for r in json.loads(out.output)}

    ana, sam = ranked("ana"), ranked("sam")
    assert set(ana) == {"Machine Learning Intern", "Data Science Intern"}
    assert set(sam) == set(ana) | {new_grad["title"]}
    row = sam[new_grad["title"]]
    assert 'Entry-level role (title says "New Grad")' in row["reasons"]
    assert row["entry_level"] == 'title says "New Grad"'
    assert "penalty_not_internship" not in row["score_parts"]
    everything = invoke(
        runner, [*base, "rank", "--profile", "ana", "--all", "--format", "json"], clock
    )
    penalised = next(r for r in json.loads(everything.output) if r["title"] == new_grad["title"])
    assert penalised["score_parts"]["penalty_not_internship"] < 0
    assert row["score"] > penalised["score"]


def test_profile_roles_are_used_and_checked(runner: CliRunner, env: dict, clock):
    base = ["--config", str(env["config"])]
    invoke(runner, [*base, "import", str(env["data"])], clock)

    def role_part(title: str) -> float:
        out = invoke(runner, [*base, "rank", "--profile", "ana", "--format", "json"], clock)
        assert out.exit_code == 0, out.output
        rows = json.loads(out.output)
        return next(r for r in rows if r["title"] == title)["score_parts"]["role"]

    assert role_part("Data Science Intern") == 1.0  # the guide's roles by default
    cfg = env["config"].read_text()
    env["config"].write_text(cfg + 'roles = ["ML Engineering"]\n')  # (ana's table is last)
    assert role_part("Data Science Intern") < 1.0
    assert role_part("Machine Learning Intern") == 1.0
    env["config"].write_text(cfg + 'roles = ["ml_engineering", "astronaut"]\n')
    bad = invoke(runner, [*base, "rank", "--profile", "ana"], clock)
    assert bad.exit_code == 2
    assert "profiles[0] (ana).roles: unknown astronaut" in bad.output
    assert "data_science (Data science)" in bad.output and "Traceback" not in bad.output


def test_posting_for_a_term_that_is_over_is_left_out(runner: CliRunner, env: dict, clock):
    """Today is 2 November 2026: a "Summer 2026" internship still listed is noise."""
    base = ["--config", str(env["config"])]
    past = {**POSTINGS[0], "title": "Machine Learning Intern - Summer 2026",
            "url": "https://acme.example/s26"}  # fmt: skip
    coming = {**POSTINGS[0], "title": "Machine Learning Intern - Summer 2027",
              "url": "https://acme.example/s27"}  # fmt: skip
    data = env["tmp"] / "terms.jsonl"
    data.write_text(json.dumps(past) + "\n" + json.dumps(coming) + "\n")
    invoke(runner, [*base, "import", str(data)], clock)
    for extra in ([], ["--all"]):
        out = invoke(runner, [*base, "rank", "-p", "ana", *extra, "-f", "json"], clock)
        assert [r["title"] for r in json.loads(out.output)] == [coming["title"]]
    every = invoke(runner, [*base, "rank", "-p", "ana", "--min-score", "0", "-f", "json"], clock)
    assert past["title"] not in every.output
    shown = invoke(runner, [*base, "show", "1", "--profile", "ana"], clock)
    assert "For Summer 2026 only — that term is over" in shown.output


def test_show_splits_the_skills_as_the_score_counts_them(runner: CliRunner, env: dict, clock):
    base = ["--config", str(env["config"])]
    posting = {**POSTINGS[0], "url": "https://acme.example/skills", "description": (
        "Summer internship on our NLP team.\nRequirements:\n- Python and SQL\n"
        "- Strong communication skills\nNice to have:\n- Docker\n")}  # fmt: skip
    data = env["tmp"] / "skills.jsonl"
    data.write_text(json.dumps(posting) + "\n")
    invoke(runner, [*base, "import", str(data)], clock)
    shown = invoke(runner, [*base, "show", "1", "--profile", "ana"], clock).output
    # Skills named outside the requirements (the title's, the intro's) count as preferred.
    assert "skills asked: Python, SQL, Docker, Machine learning, NLP\n" in shown
    assert "required: Python, SQL · preferred: Docker, Machine learning, NLP" in shown
    assert "workplace skills: Communication" in shown
    assert "Has 2 of 2 required skills; 0 of 3 preferred" in shown
