"""`internscout rank` over 100,000 stored postings: latency per filter set, and start-up.

    python benchmarks/rank_bench.py [--n 100000] [--repeat 40] [--db PATH]

Builds (or reuses, with --db) a SQLite database of `--n` seeded synthetic postings
(benchmarks/synthetic.py), classified and scored for one configured profile, so that
nothing is pending: what every `rank` call pays is the "anything to classify or score?"
check, the ranked query and the output. Analyses and scores are stand-ins written
directly (the generator's own sector/internship labels, random scores), with the
current model version, fit id, content and profile hashes, because the ranked read's
cost depends on row counts and filter selectivity, not on the values; classifying
and scoring 100,000 postings for real is what benchmarks/matcher_bench.py measures.

Each filter combination runs the real command in-process (typer's CliRunner: a new
engine, config and service per call, as a fresh `internscout rank` would have)
`--repeat` times after two warm-up calls; p50/p95 are reported per combination.
Interpreter start-up is measured apart: `python -X importtime -m internscout --help`
(total import time) and the wall time of `python -m internscout rank --help`, plus
whether a no-work `rank` imports scikit-learn or Scrapy at all.

The script uses only APIs that existed before the optimisations, so a copy of it in an
older checkout measures that version on the same data (the "before" figures).
"""

from __future__ import annotations

import argparse
import gc
import inspect
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

import store  # noqa: E402
from benchmarks import synthetic  # noqa: E402
from internscout.service import _hash  # noqa: E402

PROFILE = "bench"
CONFIG = """[database]
url = "{url}"

[[profiles]]
name = "bench"
skills = ["python", "sql", "pandas", "scikit-learn", "pytorch"]
interests = "machine learning for health data, NLP, research assistant roles"
sectors = ["healthcare", "research"]
locations = ["Boston, MA", "New York, NY"]
remote_ok = true
"""
COMBINATIONS: list[tuple[str, list[str]]] = [
    ("default", []),
    ("--sector healthcare", ["--sector", "healthcare"]),
    ("--location Boston", ["--location", "Boston"]),
    ("--remote", ["--remote"]),
    ("--since 7d", ["--since", "7d"]),
    ("--min-score 0.3", ["--min-score", "0.3"]),
    ("--all", ["--all"]),
    ("--format json", ["--format", "json"]),
    ("--format csv --limit 100", ["--format", "csv", "--limit", "100"]),
    ("--sector finance --remote --since 2w", ["--sector", "finance", "--remote", "--since", "2w"]),
]
ROLE_KEYS = {
    "ml": "ml_engineering", "ds": "data_science", "swe": "software", "de": "data_engineering",
    "da": "data_analytics", "research": "research", "cloud": "cloud_ai", "biz": "other",
    "nurse": "other", "finance": "other", "ops": "other", "mech": "other",
}  # fmt: skip
SKILLS = ["Python", "SQL", "Pandas", "PyTorch", "AWS", "Excel", "Tableau", "Java", "Docker", "R"]


def _clock():
    return synthetic.NOW


def build_db(url: str, n: int) -> dict[str, float]:
    """Store `n` postings with stand-in analyses and one profile's scores; nothing pending."""
    from internscout.config import load_config
    from internscout.service import MATCHER_STATE, Service, profile_spec
    from matcher import PostingText, ProfileMatcher

    timings: dict[str, float] = {}
    started = time.perf_counter()
    records = synthetic.postings(n)
    timings["generate"] = time.perf_counter() - started
    engine = store.make_engine(url)
    started = time.perf_counter()
    for i in range(0, len(records), 10_000):
        store.upsert_postings(engine, records[i : i + 10_000], synthetic.NOW - timedelta(days=1))
    timings["upsert"] = time.perf_counter() - started

    started = time.perf_counter()
    rng = random.Random(11)
    p = store.Posting.__table__
    with engine.connect() as conn:
        rows = conn.execute(sa.select(p.c.id, p.c.content_hash, p.c.raw, p.c.company)).all()
    service = Service(engine, _clock)
    version = service.model_version
    analyses = []
    for r in rows:
        label = r.raw
        sector = label["sector"]
        analyses.append(
            {
                "posting_id": r.id,
                "posting_hash": r.content_hash,
                "model_version": version,
                "is_internship": label["intern"],
                "internship_evidence": 'title says "Intern"' if label["intern"] else "",
                "sector": sector,
                "sector_scores": {s: (0.8 if s == sector else 0.04) for s in synthetic.SECTORS},
                "role": ROLE_KEYS[label["role"]],
                "skills": rng.sample(SKILLS, 4),
                "seniority": None,
                "years_required": None,
                "required_skills": [],
                "preferred_skills": [],
            }
        )
    store.save_analyses(engine, analyses)
    # A few closed postings and other listings of the same job, as a crawled store has.
    closed = [r.id for r in rows if rng.random() < 0.05]
    dupes = [(r.id, r.id - 1) for r in rows[1:] if rng.random() < 0.03]
    with engine.begin() as conn:
        conn.execute(
            sa.update(p)
            .where(p.c.id.in_(closed))
            .values(closed_at=synthetic.NOW - timedelta(hours=2))
        )
        conn.execute(
            sa.update(p).where(p.c.id == sa.bindparam("pid")),
            [{"pid": a, "duplicate_of": b, "duplicate_reason": "same URL"} for a, b in dupes],
        )

    # The stored matcher (fitted on a sample: rank never needs it when nothing is pending).
    sample = records[:2000]
    fitted = ProfileMatcher().fit(
        [PostingText(title=r.title, company=r.company or "", description=r.description_text or "").full_text() for r in sample]
    )  # fmt: skip
    import pickle

    import sklearn

    fit_id = f"{version}@bench"
    store.save_model_state(
        engine, MATCHER_STATE, version, sklearn.__version__, pickle.dumps(fitted),
        synthetic.NOW - timedelta(hours=1), fit_id,
    )  # fmt: skip
    config = load_config(Path(os.environ["INTERNSCOUT_CONFIG"]), url)
    spec = profile_spec(config.profile(PROFILE))
    profile_hash = _hash({"spec": asdict(spec), "weights": {}})
    computed = synthetic.NOW - timedelta(hours=1)
    store.upsert_profile(engine, PROFILE, None, asdict(spec), profile_hash, computed)
    scores = []
    for r in rows:
        value = rng.betavariate(2, 5)
        scores.append(
            {
                "profile_name": PROFILE,
                "posting_id": r.id,
                "score": round(value, 6),
                "parts": {k: round(rng.random(), 4) for k in ("text", "skills", "role", "sector", "location", "recency")},
                "reasons": ["Internship (title says \"Intern\")", "Matches 2 of 4 skills asked: Python, SQL",
                            "Role: Data science", "Posted 3 days ago"],
                "matched_skills": ["Python", "SQL"],
                "missing_skills": ["Docker", "AWS"],
                "posting_hash": r.content_hash,
                "profile_hash": profile_hash,
                "model_version": fit_id,
                "computed_at": computed,
            }
        )  # fmt: skip
    store.save_scores(engine, scores)
    timings["analyses+scores"] = time.perf_counter() - started
    # Fingerprinted and linked, as the crawls' analysis would leave it: nothing pending.
    started = time.perf_counter()
    if "posting_ids" in inspect.signature(store.link_duplicates).parameters:
        store.link_duplicates(engine, posting_ids=[])
    timings["link"] = time.perf_counter() - started
    engine.dispose()
    return timings


def _current(url: str) -> bool:
    """Whether a reused database was built for this code's model version (otherwise every
    `rank` would first re-classify and re-score it all)."""
    from internscout.service import MATCHER_STATE, Service

    engine = store.make_engine(url)
    state = store.load_model_state(engine, MATCHER_STATE)
    current = state is not None and state.version == Service(engine, _clock).model_version
    engine.dispose()
    return current


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def time_rank(config: Path, repeat: int) -> list[dict[str, object]]:
    import typer.main
    import typer.testing
    from typer.testing import CliRunner

    from internscout.app import AppState
    from internscout.cli import app

    # typer turns the app into a click command once per process; the runner would redo that
    # on every call, which a real `internscout rank` (one call per process) never does.
    command = typer.main.get_command(app)
    typer.testing._get_command = lambda _app: command
    runner = CliRunner()
    results = []
    for label, extra in COMBINATIONS:
        args = ["--config", str(config), "rank", "--profile", PROFILE, *extra]
        times = []
        lines = 0
        for i in range(repeat + 2):
            # A fresh state per call, its clock at the data's "now" (scores stay current);
            # what a finished process would free is freed outside the timing.
            state = AppState(clock=_clock)
            gc.collect()
            started = time.perf_counter()
            res = runner.invoke(app, args, catch_exceptions=False, obj=state)
            elapsed = time.perf_counter() - started
            if state._engine is not None:
                state._engine.dispose()
            if res.exit_code != 0:
                raise SystemExit(f"rank {' '.join(extra)} failed ({res.exit_code}):\n{res.output}")
            if i >= 2:  # two warm-up calls
                times.append(elapsed)
            lines = res.output.count("\n")
        results.append(
            {
                "combination": label,
                "p50_ms": statistics.median(times) * 1000,
                "p95_ms": percentile(times, 0.95) * 1000,
                "max_ms": max(times) * 1000,
                "output_lines": lines,
            }
        )
    return results


def startup(config: Path) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-X", "importtime", "-m", "internscout", "--help"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    total_us = 0
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)
        if m:  # top-level imports only (nested ones are indented)
            total_us += int(m.group(1))
    walls = []
    for _ in range(7):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "internscout", "rank", "--help"],
            capture_output=True, env=env, cwd=ROOT, check=True,
        )  # fmt: skip
        walls.append(time.perf_counter() - started)
    probe = (
        "import sys, time\n"
        "t = time.perf_counter()\n"
        "from internscout.cli import app\n"
        "from internscout.app import AppState\n"
        "from benchmarks.synthetic import NOW\n"
        "try:\n"
        f"    app(['--config', {str(config)!r}, 'rank', '--profile', {PROFILE!r}], "
        "standalone_mode=False, obj=AppState(clock=lambda: NOW))\n"
        "finally:\n"
        "    heavy = sorted(m for m in ('sklearn', 'scrapy', 'matplotlib', 'torch', 'twisted') "
        "if m in sys.modules)\n"
        "    print('@@', time.perf_counter() - t, ','.join(heavy) or '-')\n"
    )
    walls_rank = []
    heavy = "?"
    for _ in range(5):
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=ROOT
        )
        walls_rank.append(time.perf_counter() - started)
        tail = [ln for ln in proc.stdout.splitlines() if ln.startswith("@@")]
        heavy = tail[-1].split()[2] if tail else f"failed: {proc.stderr[-300:]}"
    return {
        "importtime_help_s": total_us / 1e6,
        "rank_help_wall_s": statistics.median(walls),
        "rank_nowork_wall_s": statistics.median(walls_rank),
        "rank_nowork_heavy_imports": heavy,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--db", type=Path, help="reuse (or create) this SQLite file")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory()
    db = args.db or Path(tmp.name) / "rank.db"
    url = f"sqlite:///{db}"
    config = Path(tmp.name) / "config.toml"
    config.write_text(CONFIG.format(url=url))
    os.environ["INTERNSCOUT_CONFIG"] = str(config)
    os.environ["INTERNSCOUT_HOME"] = tmp.name

    report: dict[str, object] = {"n": args.n, "code": str(ROOT)}
    if db.exists() and not _current(url):
        print(f"{db} was built for another model or taxonomy version: rebuilding it")
        db.unlink()
    if not db.exists():
        report["build"] = build_db(url, args.n)
        print(f"built {db} with {args.n} postings: {report['build']}", flush=True)
    results = time_rank(config, args.repeat)
    report["rank"] = results
    print(f"\n`internscout rank --profile {PROFILE}` over {args.n:,} postings, in-process, "
          f"{args.repeat} calls each (after 2 warm-up calls):")  # fmt: skip
    print(f"{'combination':<40} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'lines':>6}")
    for r in results:
        print(f"{r['combination']:<40} {r['p50_ms']:8.1f} {r['p95_ms']:8.1f} {r['max_ms']:8.1f} "
              f"{r['output_lines']:6d}")  # fmt: skip
    worst = max(r["p95_ms"] for r in results)
    print(f"worst p95: {worst:.1f} ms (target < 150 ms)")
    report["startup"] = up = startup(config)
    print("\nstart-up (separate processes):")
    print(
        f"  python -X importtime -m internscout --help: {up['importtime_help_s']:.3f} s of imports"
    )
    print(f"  python -m internscout rank --help: {up['rank_help_wall_s']:.3f} s wall (median of 7)")
    print(f"  python -c 'cli rank --profile {PROFILE}' (nothing pending): "
          f"{up['rank_nowork_wall_s']:.3f} s wall (median of 5); heavy modules imported: "
          f"{up['rank_nowork_heavy_imports']}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
