"""End to end: serve boards on 127.0.0.1, crawl with the real spiders, rank, digest — via the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import store
from internscout.app import AppState
from internscout.cli import app
from internscout.demo import DEMO_PROFILE, demo_labels, demo_routes, demo_sources, load_file
from internscout.replay import Reply, serving

FAST = "[crawl.settings]\nAUTOTHROTTLE_START_DELAY = 0\nDOWNLOAD_DELAY = 0\n"


def toml_value(value: object) -> str:
    return json.dumps(value)  # JSON strings, lists and booleans are valid TOML here


def write_config(path: Path, db: Path, sources: list[dict]) -> Path:
    lines = [f'[database]\nurl = "sqlite:///{db}"\n', FAST]
    for s in sources:
        lines.append("[[sources]]")
        lines += [f"{k} = {toml_value(v)}" for k, v in s.items()]
    lines.append("[[profiles]]")
    lines += [
        f"{k} = {toml_value(v).lower() if isinstance(v, bool) else toml_value(v)}"
        for k, v in DEMO_PROFILE.items()
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run(runner: CliRunner, args: list[str], clock):
    return runner.invoke(app, args, obj=AppState(clock=clock), catch_exceptions=False)


def test_crawl_rank_digest_and_recrawl(runner: CliRunner, tmp_path: Path, clock):
    routes = demo_routes()
    with serving(routes) as server:
        sources = demo_sources(server.base_url)
        cfg = write_config(tmp_path / "config.toml", tmp_path / "e2e.db", sources)
        base = ["--config", str(cfg)]

        first = run(runner, [*base, "crawl"], clock)
        assert first.exit_code == 0, first.output
        engine = store.make_engine(f"sqlite:///{tmp_path / 'e2e.db'}")
        count = store.count_postings(engine)
        assert count == len(demo_labels()) - 1  # the one unlisted Ashby job is skipped

        listed = run(runner, [*base, "sources"], clock)
        assert listed.output.count(" ok ") >= len(sources) or listed.output.count("ok") >= len(
            sources
        )

        # Crawling the same boards again leaves the count unchanged and reports no new postings.
        clock.advance(hours=1)
        second = run(runner, [*base, "crawl"], clock)
        assert second.exit_code == 0
        assert store.count_postings(engine) == count
        runs = store.last_crawl_runs(engine)
        assert {s["name"] for s in sources} <= set(runs)
        for s in sources:
            run_ = runs[s["name"]]
            assert (run_.status, run_.new, run_.updated, run_.closed) == ("ok", 0, 0, 0)

        # A posting removed from a board shows as closed, not deleted.
        gh = next(s for s in sources if s["kind"] == "greenhouse")
        data = load_file(f"greenhouse_{gh['board']}.json")
        removed = data["jobs"].pop(0)
        server.routes[f"/v1/boards/{gh['board']}/jobs"] = Reply.json(data)
        third = run(runner, [*base, "crawl", "--source", gh["name"]], clock)
        assert third.exit_code == 0
        assert store.count_postings(engine) == count
        closed = [p for p in store.get_postings(engine, board=gh["board"]) if p.closed_at]
        assert [p.external_id for p in closed] == [str(removed["id"])]

    ranked = run(
        runner,
        [*base, "rank", "--profile", DEMO_PROFILE["name"], "-f", "json", "--limit", "5"],
        clock,
    )
    rows = json.loads(ranked.output)
    assert len(rows) == 5
    assert all(r["is_internship"] for r in rows)
    assert str(removed["id"]) not in {r["url"] for r in rows}
    # The top matches use the student's skills.
    assert all(r["matched_skills"] for r in rows[:3])

    out = tmp_path / "digests"
    dig = run(
        runner, [*base, "digest", "--profile", DEMO_PROFILE["name"], "--out", str(out)], clock
    )
    assert dig.exit_code == 0
    [md] = out.glob("*.md")
    assert rows[0]["title"] in md.read_text()


def test_crawl_failure_of_every_source_exits_nonzero(runner: CliRunner, tmp_path: Path, clock):
    with serving({"/v1/boards/broken/jobs": Reply.text("oops", status=404)}) as server:
        cfg = write_config(
            tmp_path / "c.toml",
            tmp_path / "f.db",
            [
                {
                    "name": "broken",
                    "kind": "greenhouse",
                    "board": "broken",
                    "base_url": server.base_url,
                }
            ],
        )
        result = run(runner, ["--config", str(cfg), "crawl"], clock)
    assert result.exit_code == 1
    assert "failed" in result.output


def test_demo_command(runner: CliRunner, tmp_path: Path, clock):
    result = run(runner, ["demo", "--out", str(tmp_path / "demo")], clock)
    assert result.exit_code == 0, result.output
    assert "Ranked for" in result.output
    digests = list((tmp_path / "demo" / "digests").glob("digest-*.html"))
    assert len(digests) == 1
    # The config it writes lets the other commands run on the demo's database and profile.
    cfg = tmp_path / "demo" / "config.toml"
    assert cfg.is_file()
    assert "skills --profile demo-student" in " ".join(result.output.split())
    skills = run(runner, ["--config", str(cfg), "skills", "--profile", "demo-student"], clock)
    assert skills.exit_code == 0, skills.output
    assert "Learn next:" in skills.output
    # Rerunning starts from a fresh database: same table, and a new digest.
    again = run(runner, ["demo", "--out", str(tmp_path / "demo")], clock)
    assert again.exit_code == 0
    assert len(list((tmp_path / "demo" / "digests").glob("digest-*.html"))) == 1


def test_crawl_reports_live_progress_per_source(tmp_path: Path, clock):
    with serving(demo_routes()) as server:
        sources = demo_sources(server.base_url)
        cfg = write_config(tmp_path / "c.toml", tmp_path / "p.db", sources)
        state = AppState(config_path=cfg, clock=clock)
        events: list[dict] = []
        results = state.crawl(None, on_progress=events.append)
    final = {e["name"]: e for e in events if e["status"] in ("ok", "failed")}
    assert set(final) == {s["name"] for s in sources}
    assert all(e["status"] == "ok" for e in final.values())
    stored = {r["name"]: r["new"] for r in results}
    assert all(final[name]["items"] == stored[name] for name in stored)
    assert any(e["status"] == "running" for e in events)
