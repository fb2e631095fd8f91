"""Regex helpers of matcher/text.py."""

from __future__ import annotations

import re

import pytest

from matcher.text import split_alternatives


@pytest.mark.parametrize(
    ("pattern", "parts"),
    [
        ("a|b(c|d)", ["a", "b(c|d)"]),
        (r"x\|y|z", [r"x\|y", "z"]),
        ("[|]a|b", ["[|]a", "b"]),
        ("[]|]a|b", ["[]|]a", "b"]),
        ("[^]|]a|b", ["[^]|]a", "b"]),
        ("(?:a|b)|(?P<n>c|d)|e", ["(?:a|b)", "(?P<n>c|d)", "e"]),
        ("single", ["single"]),
    ],
)
def test_split_alternatives(pattern: str, parts: list[str]) -> None:
    assert split_alternatives(pattern) == parts
    assert "|".join(parts) == pattern
    # The parts match exactly what the whole pattern matches.
    whole = re.compile(pattern)
    for text in ["a", "b", "bc", "x|y", "|a", "]a", "c", "e", "z", "single"]:
        assert bool(whole.fullmatch(text)) == any(re.fullmatch(p, text) for p in parts), text
