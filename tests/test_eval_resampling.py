"""The employer-resampling spread printed by benchmarks/eval_matcher.py: each draw's figure is
the metric of the postings of the employers drawn (vectorised sums equal a direct count)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.eval_matcher import binary_f1_draws, group_draws, macro_f1_draws
from matcher.evaluation import precision_recall_f1

LABELS = ("a", "b", "c")
rows = st.lists(
    st.tuples(st.sampled_from("wxyz"), st.sampled_from(LABELS), st.sampled_from(LABELS)),
    min_size=1,
    max_size=30,
)


def _expand(groups: list[str], counts: np.ndarray, keys: list[str]) -> list[list[int]]:
    """For each draw, the row indices it holds (a group drawn k times contributes k times)."""
    return [
        [i for k, times in zip(keys, draw, strict=True) for _ in range(times)
         for i, g in enumerate(groups) if g == k]
        for draw in counts
    ]  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(rows)
def test_macro_f1_draws_equal_direct_computation(data: list[tuple[str, str, str]]) -> None:
    groups, truth, pred = (list(x) for x in zip(*data, strict=True))
    got = macro_f1_draws(groups, truth, pred, LABELS, n=8, seed=3)
    keys, counts = group_draws(groups, 8, seed=3)
    for value, idx in zip(got, _expand(groups, counts, keys), strict=True):
        want = precision_recall_f1([truth[i] for i in idx], [pred[i] for i in idx], LABELS)
        assert value == pytest.approx(want["macro_f1"], abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("wxyz"), st.booleans(), st.booleans()), min_size=1,
                max_size=30))  # fmt: skip
def test_binary_f1_draws_equal_direct_computation(data: list[tuple[str, bool, bool]]) -> None:
    groups, truth, pred = (list(x) for x in zip(*data, strict=True))
    got = binary_f1_draws(groups, truth, pred, n=8, seed=5)
    keys, counts = group_draws(groups, 8, seed=5)
    for value, idx in zip(got, _expand(groups, counts, keys), strict=True):
        tp = sum(1 for i in idx if truth[i] and pred[i])
        wrong = sum(1 for i in idx if truth[i] != pred[i])
        assert value == pytest.approx(2 * tp / (2 * tp + wrong) if tp + wrong else 0.0, abs=1e-12)


def test_draws_take_whole_groups_with_replacement() -> None:
    keys, counts = group_draws(["x", "y", "y", "z"], 50, seed=0)
    assert keys == ["x", "y", "z"]
    assert (counts.sum(axis=1) == 3).all()  # as many groups as there are, per draw
    assert (counts.max(axis=1) > 1).any()  # some group drawn twice in some draw
