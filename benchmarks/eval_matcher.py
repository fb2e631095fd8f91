"""Benchmark the matcher on the shared development data (not shipped with the product).

    python benchmarks/eval_matcher.py [--shared ../shared]

    python benchmarks/eval_matcher.py --speed 0     # skip the timing

Prints sector macro-F1, per-class P/R/F1 and the confusion matrix on eval/sector_dev.jsonl;
internship-detection P/R/F1 on the SimplifyJobs dev halves (internship list = positives,
new-grad list = negatives) next to the naive ``intern|internship|co-op`` regex; false positives
among real Greenhouse titles containing "internal"/"international"; skill-extraction micro P/R
(and of the required/preferred split) on our table tests/data/skill_sentences.toml; and the
time of ``analyze_many`` on ``--speed`` postings (the dev postings repeated under distinct
employer names), with the plain phrase scans and then with the Hyperscan prefilters. Nothing is
fitted on these files.

How far a held-out set of the same kind may fall from the dev figure: ``--resample N`` draws
N sets of the dev set's employers (whole employers, with replacement: the held-out halves are
split by company) and prints the spread of sector macro-F1 and title F1 and the share of draws
that meet each target.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from matcher import SECTORS, PostingAnalyzer, load_taxonomy  # noqa: E402
from matcher.evaluation import (  # noqa: E402
    BASELINE_INTERN_REGEX,
    evaluate_internship_titles,
    evaluate_sector,
    evaluate_skill_table,
    load_sector_jsonl,
    load_simplify_titles,
    load_skill_table,
    precision_recall_f1,
)
from matcher.features import SkillExtractor  # noqa: E402
from matcher.text import norm_company  # noqa: E402

SECTOR_FILE = "eval/sector_dev.jsonl"
INTERN_FILE = "realdata/simplify/summer2025_internships_listings_dev_half.json"
NEW_GRAD_FILE = "realdata/simplify/new_grad_positions_listings_dev_half.json"
GREENHOUSE_DIR = "realdata/greenhouse/boards_2026-08"
INTERNAL = re.compile(r"internal|international", re.I)
SKILL_TABLE = ROOT / "tests" / "data" / "skill_sentences.toml"


def _prf(d: dict) -> str:
    return f"P={d['precision']:.3f} R={d['recall']:.3f} F1={d['f1']:.4f}"


def sector_report(shared: Path, analyzer: PostingAnalyzer) -> None:
    path = shared / SECTOR_FILE
    if not path.exists():
        print(f"[sector] skipped: {path} not found")
        return
    t0 = time.perf_counter()
    res = evaluate_sector(path, analyzer)
    took = time.perf_counter() - t0
    print(f"== Sector classification ({res['n']} postings, {took:.1f}s) ==")
    print(f"macro-F1 {res['macro_f1']:.3f}   accuracy {res['accuracy']:.3f}")
    print(f"{'sector':<11}{'P':>7}{'R':>7}{'F1':>7}{'n':>6}")
    for label in SECTORS:
        c = res["per_class"][label]
        print(
            f"{label:<11}{c['precision']:>7.3f}{c['recall']:>7.3f}{c['f1']:>7.3f}{c['support']:>6}"
        )
    pairs = load_sector_jsonl(path)
    predicted = [a.sector for a in analyzer.analyze_many([p for p, _ in pairs])]
    confusion = Counter((label, pred) for (_, label), pred in zip(pairs, predicted, strict=True))
    print("confusion (rows: true, columns: predicted)")
    print(" " * 11 + "".join(f"{s[:6]:>7}" for s in SECTORS))
    for t in SECTORS:
        print(f"{t:<11}" + "".join(f"{confusion[(t, p)]:>7}" for p in SECTORS))
    flat = PostingAnalyzer(taxonomy=analyzer.taxonomy_, aggregate_employers=False).fit()
    res_flat = evaluate_sector(path, flat)
    print(f"without per-employer aggregation: macro-F1 {res_flat['macro_f1']:.3f}")
    labels = [json.loads(line)["sector"] for line in path.open(encoding="utf-8") if line.strip()]
    majority = Counter(labels).most_common(1)[0][0]
    base = precision_recall_f1(labels, [majority] * len(labels), SECTORS)
    print(f"majority-class reference ('{majority}'): macro-F1 {base['macro_f1']:.3f}")
    print()


def internship_report(shared: Path, analyzer: PostingAnalyzer) -> None:
    pos_path, neg_path = shared / INTERN_FILE, shared / NEW_GRAD_FILE
    if not (pos_path.exists() and neg_path.exists()):
        print("[internship] skipped: Simplify dev halves not found")
        return
    pos, neg = load_simplify_titles(pos_path), load_simplify_titles(neg_path)
    res = evaluate_internship_titles(pos, neg, analyzer)
    print(f"== Internship detection from titles ({len(pos)} internships, {len(neg)} new-grad) ==")
    print(f"matcher        {_prf(res)}  (tp={res['tp']} fp={res['fp']} fn={res['fn']})")
    b = res["baseline"]
    print(f"regex baseline {_prf(b)}  (tp={b['tp']} fp={b['fp']} fn={b['fn']})")
    d = res["distinct"]
    print(f"distinct titles ({d['tp'] + d['fn']} internships, {d['fp'] + d['tn']} not): "
          f"matcher {_prf(d)} (tp={d['tp']} fp={d['fp']} fn={d['fn']}); "
          f"regex {_prf(d['baseline'])}")  # fmt: skip
    both = set(pos) & set(neg)
    if both:
        res_c = evaluate_internship_titles(
            [t for t in pos if t not in both], [t for t in neg if t not in both], analyzer
        )
        print(f"without the {len(both)} titles listed in both files: {_prf(res_c)}")
    if analyzer.taxonomy_.student_programs:
        # The dev halves are split by company: programme names among this half's misses
        # cannot recur in the held-out half, so this is the figure to expect there.
        plain_tax = dataclasses.replace(analyzer.taxonomy_, student_programs=())
        plain = PostingAnalyzer(taxonomy=plain_tax, aggregate_employers=False).fit()
        res_p = evaluate_internship_titles(pos, neg, plain)
        print(f"without the taxonomy's named programmes: {_prf(res_p)}  "
              f"(tp={res_p['tp']} fp={res_p['fp']} fn={res_p['fn']})")  # fmt: skip
    print(f"false positives: {res['false_positives'][:10]}")
    print(f"false negatives (first 10 of {len(res['false_negatives'])}): "
          f"{res['false_negatives'][:10]}")  # fmt: skip
    print()


def group_draws(groups: Sequence[str], n: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """The distinct groups and, for each of ``n`` draws of as many groups with replacement,
    how often each was drawn (shape: draws x groups)."""
    keys = sorted(set(groups))
    picks = np.random.default_rng(seed).integers(0, len(keys), size=(n, len(keys)))
    return keys, np.stack([np.bincount(row, minlength=len(keys)) for row in picks])


def macro_f1_draws(
    groups: Sequence[str], truth: Sequence[str], pred: Sequence[str], labels: Sequence[str],
    n: int, seed: int = 0,
) -> np.ndarray:  # fmt: skip
    """Macro-F1 (as ``precision_recall_f1``) of each of ``n`` draws of whole groups."""
    keys, counts = group_draws(groups, n, seed)
    where = {k: i for i, k in enumerate(keys)}
    idx = {s: i for i, s in enumerate(labels)}
    per_group = np.zeros((len(keys), len(labels), len(labels)))  # truth x predicted
    for g, t, p in zip(groups, truth, pred, strict=True):
        per_group[where[g], idx[t], idx[p]] += 1
    conf = np.einsum("dk,ktp->dtp", counts, per_group)
    tp = np.einsum("dii->di", conf)
    fp, fn = conf.sum(axis=1) - tp, conf.sum(axis=2) - tp
    denom = 2 * tp + fp + fn
    f1 = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)
    used = denom > 0  # a class absent from truth and predictions is left out
    return (f1 * used).sum(axis=1) / np.maximum(used.sum(axis=1), 1)


def binary_f1_draws(
    groups: Sequence[str], truth: Sequence[bool], pred: Sequence[bool], n: int, seed: int = 0
) -> np.ndarray:
    """F1 of the positive class in each of ``n`` draws of whole groups."""
    keys, counts = group_draws(groups, n, seed)
    where = {k: i for i, k in enumerate(keys)}
    per_group = np.zeros((len(keys), 3))  # tp, fp, fn
    for g, t, p in zip(groups, truth, pred, strict=True):
        if t or p:
            per_group[where[g], 0 if t and p else 1 if p else 2] += 1
    tp, fp, fn = (counts @ per_group).T
    return 2 * tp / np.maximum(2 * tp + fp + fn, 1)


def _spread(values: np.ndarray, target: float) -> str:
    p5, p95 = np.percentile(values, [5, 95])
    return (f"mean {values.mean():.4f}, sd {values.std():.4f}, 5th-95th percentile "
            f"{p5:.4f}-{p95:.4f}; above {target}: {(values > target).mean():.0%} of draws")  # fmt: skip


def resample_report(shared: Path, analyzer: PostingAnalyzer, n: int) -> None:
    """Sector macro-F1 and title F1 over ``n`` draws of whole employers (see the docstring)."""
    if n <= 0:
        return
    print(f"== Resampling employers ({n} draws, with replacement) ==")
    path = shared / SECTOR_FILE
    if path.exists():
        pairs = load_sector_jsonl(path)
        pred = [a.sector for a in analyzer.analyze_many([p for p, _ in pairs])]
        groups = [norm_company(p.company) or f"#{i}" for i, (p, _) in enumerate(pairs)]
        macro = macro_f1_draws(groups, [label for _, label in pairs], pred, SECTORS, n)
        print(f"sector macro-F1 ({len(set(groups))} employers): {_spread(macro, 0.65)}")
    pos_path, neg_path = shared / INTERN_FILE, shared / NEW_GRAD_FILE
    if pos_path.exists() and neg_path.exists():
        from matcher import PostingText

        rows = [(str(j["title"]), str(j.get("company_name") or ""), label)
                for file, label in ((pos_path, True), (neg_path, False))
                for j in json.loads(file.read_text(encoding="utf-8"))
                if isinstance(j, dict) and j.get("title")]  # fmt: skip
        groups = [c or f"#{i}" for i, (_, c, _) in enumerate(rows)]
        variants = [("title F1", analyzer)]
        if analyzer.taxonomy_.student_programs:
            plain_tax = dataclasses.replace(analyzer.taxonomy_, student_programs=())
            plain = PostingAnalyzer(taxonomy=plain_tax, aggregate_employers=False).fit()
            variants.append(("title F1 without the named programmes", plain))
        titles = [PostingText(title=t) for t, _, _ in rows]
        truth = [label for _, _, label in rows]
        for name, model in variants:
            flags = [a.is_internship for a in model.analyze_many(titles)]
            f1 = binary_f1_draws(groups, truth, flags, n)
            print(f"{name} ({len(set(groups))} companies): {_spread(f1, 0.99)}")
    print()


def greenhouse_report(shared: Path, analyzer: PostingAnalyzer) -> None:
    folder = shared / GREENHOUSE_DIR
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    if not files:
        print(f"[greenhouse] skipped: {folder} not found")
        return
    titles: list[str] = []
    for f in files:
        data = json.loads(f.read_text(encoding="utf-8"))
        titles += [str(j.get("title") or "") for j in data.get("jobs", [])]
    from matcher import PostingText

    flags = [a.is_internship for a in analyzer.analyze_many([PostingText(title=t) for t in titles])]
    internal = [(t, f) for t, f in zip(titles, flags, strict=True) if INTERNAL.search(t)]
    ours_fp = [t for t, f in internal if f]
    base_fp = [t for t, _ in internal if BASELINE_INTERN_REGEX.search(t)]
    print(f"== Greenhouse boards ({len(files)} boards, {len(titles)} titles) ==")
    print(f"titles containing internal/international: {len(internal)}")
    print(f"  detected as internships: matcher {len(ours_fp)}, regex baseline {len(base_fp)}")
    if ours_fp:
        print(f"  matcher false positives: {ours_fp}")
    n_base = sum(1 for t in titles if BASELINE_INTERN_REGEX.search(t))
    print(f"internships detected among all titles: matcher {sum(flags)}, regex baseline {n_base}")
    print()


def skill_table_report(analyzer: PostingAnalyzer) -> None:
    if not SKILL_TABLE.exists():
        print(f"[skills] skipped: {SKILL_TABLE} not found")
        return
    cases = load_skill_table(SKILL_TABLE)
    res = evaluate_skill_table(cases, SkillExtractor(analyzer.taxonomy_))
    n_split = sum(1 for c in cases if c["required"] or c["preferred"])
    print(f"== Skill extraction ({res['n']} sentences of {SKILL_TABLE.name}) ==")
    print(f"skills                 P={res['precision']:.3f} R={res['recall']:.3f}")
    print(f"required/preferred     P={res['split_precision']:.3f} "
          f"R={res['split_recall']:.3f}  ({n_split} sentences draw the line)")  # fmt: skip
    for miss in res["misses"][:10]:
        print(f"  miss: {miss['text']!r} extra={miss['extra']} missing={miss['missing']}")
    print()


def speed_report(shared: Path, analyzer: PostingAnalyzer, n: int) -> None:
    path = shared / SECTOR_FILE
    if n <= 0 or not path.exists():
        return
    from matcher import PostingText

    base = [p for p, _ in load_sector_jsonl(path)]
    postings = [
        PostingText(title=b.title, company=f"{b.company} {i // len(base)}",
                    description=b.description)
        for i in range(n)
        for b in [base[i % len(base)]]
    ]  # fmt: skip
    chars = sum(len(p.description) for p in postings) / n
    print(f"== Speed: analyze_many on {n:,} postings (mean description {chars:,.0f} chars) ==")
    # The plain scans first: once compiled, the (shared) prefilters stay on in this process.
    t0 = time.perf_counter()
    plain = analyzer.analyze_many(postings)
    took = time.perf_counter() - t0
    print(f"plain scans:       {took:.1f} s, {took / n * 1e3:.2f} ms per posting (one process)")
    t0 = time.perf_counter()
    if not analyzer.use_prefilters():
        print("Hyperscan prefilters: not available (the hyperscan package is not installed)\n")
        return
    compiled = time.perf_counter() - t0
    t0 = time.perf_counter()
    fast = analyzer.analyze_many(postings)
    took_fast = time.perf_counter() - t0
    print(f"with prefilters:   {took_fast:.1f} s, {took_fast / n * 1e3:.2f} ms per posting "
          f"(+ {compiled:.1f} s compiling them once); {took / took_fast:.2f}x; "
          f"same analyses: {fast == plain}")  # fmt: skip
    print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shared", type=Path, default=ROOT.parent / "shared",
        help="the shared reference folder (default: ../shared next to the project)",
    )  # fmt: skip
    parser.add_argument(
        "--speed", type=int, default=10_000, metavar="N",
        help="time analyze_many on N postings (0: skip)",
    )  # fmt: skip
    parser.add_argument(
        "--resample", type=int, default=1000, metavar="N",
        help="draws of whole employers for the spread of the quality figures (0: skip)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    shared: Path = args.shared
    if not shared.is_dir():
        print(f"Shared data folder {shared} not found; nothing to evaluate (use --shared PATH).")
        return 0
    tax = load_taxonomy()
    analyzer = PostingAnalyzer(taxonomy=tax).fit()
    print(f"taxonomy {tax.version}: {len(tax.skills)} skills, {len(tax.roles)} roles\n")
    sector_report(shared, analyzer)
    internship_report(shared, analyzer)
    resample_report(shared, analyzer, args.resample)
    greenhouse_report(shared, analyzer)
    skill_table_report(analyzer)
    speed_report(shared, analyzer, args.speed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
