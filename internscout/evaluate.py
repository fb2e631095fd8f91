"""`internscout evaluate`: the matcher's quality on labelled files a user points it at."""

from __future__ import annotations

import json
from pathlib import Path

from matcher import SECTORS, PostingAnalyzer
from matcher.evaluation import evaluate_internship_titles, evaluate_sector, load_simplify_titles


def check_sector_file(path: Path) -> None:
    """Fail with file:line before evaluating, rather than deep inside the matcher."""
    if not path.exists():
        raise ValueError(f"{path}: no such file")
    with path.open(encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not valid JSON: {exc.msg}") from None
            if not isinstance(row, dict) or row.get("sector") not in SECTORS:
                raise ValueError(
                    f"{path}:{number}: needs a `sector` label, one of {', '.join(SECTORS)}"
                )


def load_titles(path: Path) -> list[str]:
    """Titles from a .txt file (one a line) or a SimplifyJobs listings.json."""
    if not path.exists():
        raise ValueError(f"{path}: no such file")
    if path.suffix.lower() == ".json":
        try:
            return load_simplify_titles(path)
        except (json.JSONDecodeError, TypeError) as exc:
            raise ValueError(
                f"{path}: expected a JSON list of objects with a title ({exc})"
            ) from None
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return [line.strip() for line in lines if line.strip()]


def run_evaluation(sector_file: Path | None, interns: Path | None, not_interns: Path | None) -> str:
    analyzer = PostingAnalyzer().fit()
    out: list[str] = []
    if sector_file is not None:
        check_sector_file(sector_file)
        res = evaluate_sector(sector_file, analyzer)
        out.append(f"Sector classification on {sector_file} ({res['n']} postings)")
        out.append(f"  {'sector':<11} {'P':>6} {'R':>6} {'F1':>6} {'n':>5}")
        for label, m in res["per_class"].items():
            out.append(
                f"  {label:<11} {m['precision']:6.3f} {m['recall']:6.3f} {m['f1']:6.3f} {m['support']:5d}"
            )
        out.append(f"  macro-F1 {res['macro_f1']:.3f}   accuracy {res['accuracy']:.3f}")
    if interns is not None or not_interns is not None:
        if interns is None or not_interns is None:
            raise ValueError("internship detection needs both --interns and --not-interns")
        pos, neg = load_titles(interns), load_titles(not_interns)
        res = evaluate_internship_titles(pos, neg, analyzer)
        base = res["baseline"]
        out.append(f"Internship detection on titles ({len(pos)} internships, {len(neg)} not)")
        out.append(
            f"  matcher   P {res['precision']:.3f}  R {res['recall']:.3f}  F1 {res['f1']:.4f}"
            f"  (FP {res['fp']}, FN {res['fn']})"
        )
        out.append(
            f"  regex     P {base['precision']:.3f}  R {base['recall']:.3f}  F1 {base['f1']:.4f}"
            f"  (FP {base['fp']}, FN {base['fn']})  intern|internship|co-op"
        )
        d, db = res["distinct"], res["distinct"]["baseline"]
        out.append(
            f"  distinct titles ({d['tp'] + d['fn']} internships, {d['fp'] + d['tn']} not):"
            f" matcher F1 {d['f1']:.4f} (FP {d['fp']}, FN {d['fn']}),"
            f" regex F1 {db['f1']:.4f}"
        )
    return "\n".join(out)
