"""Skill extraction on our table of tricky sentences (tests/data/skill_sentences.toml).

Micro precision and recall over all sentences, and over the required/preferred split the
sentences draw; on failure the per-sentence misses are printed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from matcher import load_taxonomy
from matcher.evaluation import evaluate_skill_table, load_skill_table
from matcher.features import SkillExtractor

TABLE = Path(__file__).parent / "data" / "skill_sentences.toml"


@pytest.fixture(scope="module")
def result() -> dict:
    return evaluate_skill_table(load_skill_table(TABLE), SkillExtractor(load_taxonomy()))


def _report(result: dict) -> str:
    lines = [f"P={result['precision']:.3f} R={result['recall']:.3f} "
             f"split P={result['split_precision']:.3f} R={result['split_recall']:.3f}"]  # fmt: skip
    for miss in result["misses"]:
        lines.append(f"  {miss['text']!r}")
        for key in ("extra", "missing", "split_extra", "split_missing"):
            if miss[key]:
                lines.append(f"      {key}: {miss[key]}")
    return "\n".join(lines)


def test_table_is_big_enough() -> None:
    cases = load_skill_table(TABLE)
    assert len(cases) >= 120
    assert sum(1 for c in cases if not c["skills"]) >= 30  # sentences that must yield nothing
    assert sum(1 for c in cases if c["required"] or c["preferred"]) >= 12
    names = set(load_taxonomy().skills_by_name)
    for c in cases:
        assert set(c["skills"]) <= names, c["text"]
        assert set(c["required"]) | set(c["preferred"]) <= set(c["skills"]), c["text"]


def test_precision_and_recall(result: dict) -> None:
    report = _report(result)
    print(report)
    assert result["precision"] >= 0.95, report
    assert result["recall"] >= 0.90, report


def test_required_preferred_split(result: dict) -> None:
    report = _report(result)
    assert result["split_precision"] >= 0.90, report
    assert result["split_recall"] >= 0.90, report
