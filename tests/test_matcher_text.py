"""Regex helpers and text clean-up of matcher/text.py."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from matcher.requirements import _SENTENCE_END
from matcher.sectors import _ABOUT_START, _SENTENCE_BOUNDARY, _about_starts
from matcher.text import (
    ASCII_LETTERS,
    BoundaryScan,
    ascii_words,
    clean_text,
    split_alternatives,
    strip_accents,
    word_tokens,
)


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


# clean_text's white-space rules as first written (one regex each); the fast version must
# give the same text.
def _reference_spaces(s: str) -> str:
    if "  " in s or "\t" in s or "\r" in s or "\f" in s or "\v" in s:
        s = re.sub(r"[ \t\r\f\v]{2,}|[\t\r\f\v]", " ", s)
    if " \n" in s or "\n " in s or "\n\n" in s:
        s = re.sub(r" ?\n[ \n]*", "\n", s)
    return s.strip()


@given(
    st.lists(st.sampled_from([" ", "  ", "\t", "\r\n", "\n", "\f", "\v", "a", "b."])).map("".join)
)
@settings(max_examples=500, deadline=None)
def test_clean_text_white_space_as_reference(text: str) -> None:
    assert clean_text(text) == _reference_spaces(text)


def test_clean_text_white_space_examples() -> None:
    text = "Skills:\r\n \t- Python  \n\n\n  - SQL\t(required)  \nThanks "
    assert clean_text(text) == "Skills:\n- Python\n- SQL (required)\nThanks"
    assert clean_text(text) == _reference_spaces(text)


@given(
    st.text() | st.lists(st.sampled_from(["ab", "_", "é", "1", " ", "-", "a", "Ü"])).map("".join)
)
@settings(max_examples=300, deadline=None)
def test_word_tokens_as_scikit_learns_token_pattern(text: str) -> None:
    assert word_tokens(text) == re.findall(r"(?u)\b\w\w+\b", text)
    ascii_only = text.encode("ascii", "replace").decode()  # the ASCII path too
    assert word_tokens(ascii_only) == re.findall(r"(?u)\b\w\w+\b", ascii_only)


@given(st.lists(st.sampled_from(list(".!?;\n \tab") + ["\u00a0", "\u2028"])).map("".join))
@settings(max_examples=300, deadline=None)
def test_sentence_ends_as_first_written(text: str) -> None:
    for rx, first in ((_SENTENCE_END, r"[.!?;](?=\s)|\n"), (_SENTENCE_BOUNDARY, r"[.!?](?=\s)|\n")):
        assert [m.span() for m in rx.finditer(text)] == [m.span() for m in re.finditer(first, text)]


_PIECES = ["b)", ")c", "a", "ab", "c", "c++", "+", "a.b", "x y", "y z", "y", " ", "(", "y zz"]
# Non-ASCII letters, digits and spaces, and the separators re counts as white space, test the
# prefilter's byte folding (matcher/prefilter.py).
_CHARS = list("abcz )(.+&_\n") + ["é", "•", "\u00a0", "٣", "\u212a", "ſ", "\x1c"]


# Bodies with matches that end in a character a match may follow (")"), so one can start right
# where another ends, and overlapping alternatives of different lengths.
@pytest.mark.parametrize("prefilter", [False, True])
@pytest.mark.parametrize(
    ("body", "not_before"),
    [
        (r"(?:ab|a|b\)|\)c|c)(?!\w)", r"\w"),
        (r"(?:a\.?b|b|c\+\+|\+)(?![\w+])(?!\.[a-z])", r"\w.+"),
        (r"(?:x y|y|y z\w*)", r"\w&"),
        (r"(?:(?P<one>a(?=b))|z\s+y|\d)(?![\w&])", r"\w&"),
    ],
)
@given(text=st.lists(st.sampled_from(_PIECES) | st.sampled_from(_CHARS)).map("".join))
@example(text="b))c")
@example(text="a.b+c++a")
@example(text="y zzzz y")
@settings(max_examples=300, deadline=None)
def test_boundary_scan_spans_as_lookbehind_finditer(
    body: str, not_before: str, prefilter: bool, text: str
) -> None:
    expected = [m.span() for m in re.finditer(f"(?<![{not_before}])(?:{body})", text)]
    scan = BoundaryScan(body, not_before)
    if prefilter:
        pytest.importorskip("hyperscan")
        scan.PREFILTER_MIN = 0  # every text goes through the Hyperscan windows
        assert scan.use_prefilter(), body
    assert scan.spans(text) == expected


def test_boundary_scan_examples() -> None:
    scan = BoundaryScan(r"(?:401\(k\)|dental(?!\w))", r"\w")
    # A match right after one ending in ")" and one at the very start are found too.
    assert scan.spans("401(k)dental, dental; xdental") == [(0, 6), (6, 12), (14, 20)]
    with pytest.raises(ValueError, match="empty string"):
        BoundaryScan("a*", r"\w")


_ABOUT_PIECES = ["about us", "our mission", "who we are", "company:", "the company:", "we are a",
                 ". ", "! ", "\n", " ", ".", "x", "founded in", "?", "a"]  # fmt: skip


@given(st.lists(st.sampled_from(_ABOUT_PIECES), max_size=12).map("".join))
@settings(max_examples=400, deadline=None)
def test_about_starts_as_sentence_start_filter(lower: str) -> None:
    # The first formulation: every phrase match, kept when it starts a sentence.
    expected = [
        m.start()
        for m in _ABOUT_START.finditer(lower)
        if m.start() == 0
        or lower[m.start() - 1] == "\n"
        or lower[m.start() - 2 : m.start()] in (". ", "! ", "? ")
    ]
    assert _about_starts(lower) == expected


@given(
    st.lists(
        st.sampled_from(list("‐‑‒–—―−\u00a0\u2007\u202f\u200b\u2009\u200a\u3000‘’“”a -'\""))
    ).map("".join)
)
@settings(max_examples=200, deadline=None)
def test_clean_text_folds_dashes_spaces_and_quotes(text: str) -> None:
    folded = re.sub("[‐‑‒–—―−]", "-", text)
    folded = re.sub("[\u00a0\u2007\u202f\u200b\u2009\u200a\u3000]", " ", folded)
    folded = re.sub("[‘’]", "'", re.sub("[“”]", '"', folded))
    assert clean_text(text) == _reference_spaces(folded)


_WORDS_ALPHABET = st.one_of(
    st.sampled_from(list("aZ_09 .-,;\n\t'\x1céÉ•®·½²ﬁİ™Σς\u0301\u00adßж中")), st.characters()
)


@given(st.text(alphabet=_WORDS_ALPHABET, max_size=60))
@settings(max_examples=500, deadline=None)
def test_ascii_words_as_word_tokens(text: str) -> None:
    words = ascii_words(text)
    expected = word_tokens(strip_accents(text.lower()))
    if words is None:  # only when a word character has no lower-case ASCII stand-in
        assert re.search(r"[^\W\x00-\x7f]|[A-Z]", strip_accents(text.lower()))
        return
    assert [w.decode() for w in words if w not in ASCII_LETTERS] == expected
    assert all(len(w) == 1 for w in words if w in ASCII_LETTERS)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Café • Python®, ½", ["cafe", "python", "1", "2"]),
        ("re\u0301sume\u0301 İstanbul", ["resume", "istanbul"]),
        ("Straße", None),  # "ß" is a word character with no ASCII stand-in
        ("Python ™", None),  # "TM" after decomposition: an upper-case word
    ],
)
def test_ascii_words_fold_non_ascii(text: str, words: list[str] | None) -> None:
    found = ascii_words(text)
    assert (None if found is None else [w.decode() for w in found]) == words


def test_boilerplate_cut_stays_near_its_hit() -> None:
    from matcher.text import _SENTENCE_REACH, strip_boilerplate

    # No sentence break for thousands of characters (glued headers): the cut is bounded, so
    # the job text far from the benefits phrase stays, and the work per hit stays bounded.
    job = "quantum algorithms for manufacturing clients " * 100
    kept = strip_boilerplate(job + "dental and vision " + job)
    assert "dental" not in kept
    assert len(kept) >= 2 * len(job) - 2 * _SENTENCE_REACH - 40
    # An ordinary sentence is still cut whole.
    kept = strip_boilerplate("We build pumps. Dental and vision included. Apply.")
    assert kept.split() == ["We", "build", "pumps.", "Apply."]
