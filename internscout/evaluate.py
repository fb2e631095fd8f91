"""`internscout evaluate`: the matcher's quality on labelled files a user points it at."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from matcher import SECTORS, PostingAnalyzer
from matcher.evaluation import evaluate_internship_titles, evaluate_sector


def _json_lines(path: Path) -> Iterator[tuple[int, object]]:
    """(line number, value) of each non-blank line of a JSONL file; bad JSON is an error
    naming file and line."""
    if not path.exists():
        raise ValueError(f"{path}: no such file")
    with path.open(encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not valid JSON: {exc.msg}") from None


def check_sector_file(path: Path) -> None:
    """Fail with file:line before evaluating, rather than deep inside the matcher."""
    for number, row in _json_lines(path):
        if not isinstance(row, dict) or row.get("sector") not in SECTORS:
            raise ValueError(
                f"{path}:{number}: needs a `sector` label, one of {', '.join(SECTORS)}"
            )
        for field in ("title", "company", "description", "location"):
            if row.get(field) is not None and not isinstance(row[field], str):
                raise ValueError(f"{path}:{number}: `{field}` must be a string")


def _title_of(item: object, where: str) -> str:
    """A listing's title: the item itself when a string, else its `title` field."""
    if isinstance(item, str):
        title = item
    elif isinstance(item, dict):
        title = item.get("title")
        if not isinstance(title, str):
            raise ValueError(f"{where}: an object without a `title` string")
    else:
        raise ValueError(f"{where}: expected a title string or an object with a `title`")
    return title.strip()


def load_titles(path: Path) -> list[str]:
    """Titles from a JSON list (of strings or of objects with a `title`, as SimplifyJobs'
    listings.json), a JSONL file (one such item a line) or a text file (one title a line)."""
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        titles = [_title_of(item, f"{path}:{n}") for n, item in _json_lines(path)]
    elif not path.exists():
        raise ValueError(f"{path}: no such file")
    elif suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8", errors="replace"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
        if not isinstance(data, list):
            raise ValueError(f"{path}: expected a JSON list of titles or of listings")
        titles = [_title_of(item, f"{path}: item {i}") for i, item in enumerate(data)]
    else:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        titles = [line.strip() for line in lines]
    titles = [t for t in titles if t]
    if not titles:
        raise ValueError(f"{path}: no titles in it")
    return titles


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
