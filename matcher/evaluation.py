"""Evaluation helpers: per-class precision/recall/F1 and the two benchmark tasks.

Loaders read the shared development files (never shipped with the product):
- JSONL postings with a ``sector`` label (``title, company, location, description, sector``);
- SimplifyJobs ``listings.json`` files (a JSON list of objects with a ``title``);
- skill tables (TOML ``[[case]]`` sentences with their expected skills).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sklearn.metrics import precision_recall_fscore_support

from .classify import PostingAnalyzer
from .features import SkillExtractor
from .models import PostingText
from .taxonomy import SECTORS

BASELINE_INTERN_REGEX = re.compile(r"intern|internship|co-op", re.I)


def precision_recall_f1(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]
) -> dict[str, Any]:
    """Per-class precision/recall/F1/support plus macro averages over ``labels``."""
    p, r, f, s = precision_recall_fscore_support(
        list(y_true), list(y_pred), labels=list(labels), zero_division=0
    )
    per_class = {
        lab: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
              "support": int(s[i])}
        for i, lab in enumerate(labels)
    }  # fmt: skip
    # A class absent from both truth and predictions says nothing: leave it out of the mean.
    seen = set(y_true) | set(y_pred)
    used = [i for i, lab in enumerate(labels) if lab in seen]
    n = len(used) or 1
    correct = sum(1 for a, b in zip(y_true, y_pred, strict=True) if a == b)
    return {
        "per_class": per_class,
        "macro_precision": float(sum(p[i] for i in used) / n),
        "macro_recall": float(sum(r[i] for i in used) / n),
        "macro_f1": float(sum(f[i] for i in used) / n),
        "accuracy": correct / len(y_true) if len(y_true) else 0.0,
    }


def load_sector_jsonl(path: str | Path) -> list[tuple[PostingText, str]]:
    """(posting, sector label) pairs from a JSONL file."""
    out = []
    with Path(path).open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            row = json.loads(line)
            loc = row.get("location")
            posting = PostingText(
                title=row.get("title") or "",
                company=row.get("company") or "",
                description=row.get("description") or "",
                locations=[loc] if isinstance(loc, str) and loc else [],
            )
            out.append((posting, row["sector"]))
    return out


def load_simplify_titles(path: str | Path) -> list[str]:
    """Titles from a SimplifyJobs listings.json file."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return [str(item["title"]) for item in data if isinstance(item, dict) and item.get("title")]


def evaluate_sector(jsonl_path: str | Path, analyzer: PostingAnalyzer) -> dict[str, Any]:
    """Sector classification of a labelled JSONL file (employer aggregation included)."""
    pairs = load_sector_jsonl(jsonl_path)
    analyses = analyzer.analyze_many([p for p, _ in pairs])
    y_true = [label for _, label in pairs]
    y_pred = [a.sector for a in analyses]
    result = precision_recall_f1(y_true, y_pred, SECTORS)
    result["n"] = len(pairs)
    return result


def _binary(y_true: list[bool], y_pred: list[bool]) -> dict[str, float]:
    tp = sum(1 for t, p in zip(y_true, y_pred, strict=True) if t and p)
    fp = sum(1 for t, p in zip(y_true, y_pred, strict=True) if not t and p)
    fn = sum(1 for t, p in zip(y_true, y_pred, strict=True) if t and not p)
    tn = len(y_true) - tp - fp - fn
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
    }


def evaluate_internship_titles(
    positive_titles: Sequence[str], negative_titles: Sequence[str], analyzer: PostingAnalyzer
) -> dict[str, Any]:
    """Title-only internship detection vs the naive ``intern|internship|co-op`` regex, per
    listing and (``distinct``) per distinct title of each list: a list repeats a title once per
    location or term, which weighs common titles more. A title in both lists counts once as a
    positive and once as a negative either way."""
    titles = list(positive_titles) + list(negative_titles)
    y_true = [True] * len(positive_titles) + [False] * len(negative_titles)
    analyses = analyzer.analyze_many([PostingText(title=t) for t in titles])
    ours = [a.is_internship for a in analyses]
    baseline = [bool(BASELINE_INTERN_REGEX.search(t)) for t in titles]
    res = _binary(y_true, ours)
    res["baseline"] = _binary(y_true, baseline)
    seen: set[tuple[str, bool]] = set()
    first: list[bool] = []
    for t, y in zip(titles, y_true, strict=True):
        first.append((t, y) not in seen)
        seen.add((t, y))

    def distinct(pred: list[bool]) -> dict[str, float]:
        kept = [(y, p) for y, p, f in zip(y_true, pred, first, strict=True) if f]
        return _binary([y for y, _ in kept], [p for _, p in kept])

    res["distinct"] = distinct(ours)
    res["distinct"]["baseline"] = distinct(baseline)
    res["false_positives"] = [
        t for t, y, p in zip(titles, y_true, ours, strict=True) if p and not y
    ]
    res["false_negatives"] = [
        t for t, y, p in zip(titles, y_true, ours, strict=True) if y and not p
    ]
    return res


def load_skill_table(path: str | Path) -> list[dict[str, Any]]:
    """Cases of a skill table (TOML ``[[case]]`` with ``text``, ``skills`` and optionally
    ``required`` / ``preferred``; see tests/data/skill_sentences.toml)."""
    with Path(path).open("rb") as fh:
        data = tomllib.load(fh)
    cases = data.get("case", [])
    for c in cases:
        c.setdefault("required", [])
        c.setdefault("preferred", [])
    return cases


def evaluate_skill_table(cases: Sequence[dict[str, Any]], extractor: SkillExtractor) -> dict:
    """Micro precision/recall of skill extraction over a skill table, and of the
    required/preferred split ((skill, kind) pairs; a case without ``required``/``preferred``
    expects none), with the per-sentence misses."""
    tp = fp = fn = 0
    split_tp = split_fp = split_fn = 0
    misses: list[dict[str, Any]] = []
    for case in cases:
        found = extractor.analyze(case["text"])
        got, want = set(found.skills), set(case["skills"])
        tp += len(got & want)
        fp += len(got - want)
        fn += len(want - got)
        got_split = {(s, "required") for s in found.required} | {
            (s, "preferred") for s in found.preferred
        }
        want_split = {(s, "required") for s in case["required"]} | {
            (s, "preferred") for s in case["preferred"]
        }
        split_tp += len(got_split & want_split)
        split_fp += len(got_split - want_split)
        split_fn += len(want_split - got_split)
        if got != want or got_split != want_split:
            misses.append({
                "text": case["text"],
                "extra": sorted(got - want),
                "missing": sorted(want - got),
                "split_extra": sorted(got_split - want_split),
                "split_missing": sorted(want_split - got_split),
            })  # fmt: skip

    def ratio(a: int, b: int) -> float:
        return a / b if b else 1.0

    return {
        "n": len(cases),
        "precision": ratio(tp, tp + fp),
        "recall": ratio(tp, tp + fn),
        "split_precision": ratio(split_tp, split_tp + split_fp),
        "split_recall": ratio(split_tp, split_tp + split_fn),
        "misses": misses,
    }
