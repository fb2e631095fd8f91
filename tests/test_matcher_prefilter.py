"""The Hyperscan prefilter narrows phrase scans without changing what they find."""

from __future__ import annotations

import json
import pickle
import re
from pathlib import Path

import pytest

from matcher import PostingAnalyzer, PostingText
from matcher.prefilter import ascii_bytes, expressions
from matcher.regex_syntax import group_end, last_group, strip_lookarounds, unwrap
from matcher.requirements import MARKER_SCAN
from matcher.text import BOILERPLATE_SCAN, BoundaryScan, clean_text, lowercase

hyperscan = pytest.importorskip("hyperscan")

DEMO = Path(__file__).resolve().parents[1] / "internscout" / "demo_data"


def _long_strings(x: object, out: list[str]) -> list[str]:
    if isinstance(x, dict):
        for v in x.values():
            _long_strings(v, out)
    elif isinstance(x, list):
        for v in x:
            _long_strings(v, out)
    elif isinstance(x, str) and len(x) > 200:
        out.append(x)
    return out


@pytest.fixture(scope="module")
def demo_texts() -> list[str]:
    texts: list[str] = []
    for path in sorted(DEMO.glob("*.json")):
        _long_strings(json.loads(path.read_text()), texts)
    assert len(texts) > 20
    return texts


def _prefiltered(body: str, not_before: str) -> BoundaryScan:
    scan = BoundaryScan(body, not_before)
    scan.PREFILTER_MIN = 0  # every text goes through the prefilter
    assert scan.use_prefilter(), body
    return scan


@pytest.mark.parametrize(
    ("pattern", "end", "last", "stripped", "unwrapped"),
    [
        ("(a(?=b))c", 8, -1, "(a)c", "(a(?=b))c"),
        ("(?:x|[)(]y)(?!\\))", 11, 11, "(?:x|[)(]y)", "(?:x|[)(]y)(?!\\))"),
        ("(?:(?:a|\\(b))", 13, 0, "(?:(?:a|\\(b))", "a|\\(b"),
        (r"([\])]|a)b", 9, -1, r"([\])]|a)b", r"([\])]|a)b"),
    ],
)
def test_regex_structure(pattern: str, end: int, last: int, stripped: str, unwrapped: str) -> None:
    assert group_end(pattern, 0) == end
    assert last_group(pattern) == last
    assert strip_lookarounds(pattern) == stripped
    assert unwrap(pattern) == unwrapped
    re.compile(stripped)  # still a valid pattern


def test_expressions_drop_lookarounds_and_keep_the_boundaries() -> None:
    exprs, reach = expressions(r"(?:ab(?=c)|d)(?![\w+#@])(?!\.[a-z])", r"\w.")
    assert exprs == [r"(?:^|[^\w.])(?:ab)(?:[^\w+#@]|$)", r"(?:^|[^\w.])(?:d)(?:[^\w+#@]|$)"]
    assert reach == len(r"(?!\.[a-z])")
    # Python-only or ambiguous syntax, and lookarounds of unbounded width: no prefilter.
    for body in (r"a{,2}b", r"(?P<x>a)(?P=x)", r"a(?!\w+)", "café", r"(?>ab)"):
        assert expressions(body, r"\w") is None, body


def test_ascii_bytes_keeps_offsets_and_character_classes() -> None:
    text = "é1٣ \u00a0•x_"
    data = ascii_bytes(text)
    assert len(data) == len(text)
    for i, ch in enumerate(text):
        b = chr(data[i])
        for cls in (r"\w", r"\d", r"\s"):
            assert bool(re.fullmatch(cls, ch)) == bool(re.fullmatch(cls, b, re.A)), (ch, cls)


def test_real_phrase_scans_agree_with_and_without_prefilter(demo_texts: list[str]) -> None:
    analyzer = PostingAnalyzer().fit()
    lowered = [lowercase(clean_text(t)) for t in demo_texts] + [t.lower() for t in demo_texts]
    for scan in (analyzer.sectors_.text_cues_.regex, MARKER_SCAN, BOILERPLATE_SCAN):
        assert scan.use_prefilter()
        found = 0
        for text in lowered:
            windows = scan.windows.spans(text)
            assert windows is not None
            plain = list(scan._iter(text))
            assert scan.spans(text) == plain
            assert scan._in_windows(text, windows) == plain  # (no fallback needed)
            # Every match lies inside a window.
            assert all(any(a <= s and e <= b for a, b in windows) for s, e in plain)
            found += len(plain)
        assert found > 0


def test_a_match_running_past_its_window_falls_back_to_the_plain_scan() -> None:
    scan = _prefiltered(r"(?:alpha beta|gamma)(?!\w)", r"\w")
    text = "one alpha beta two gamma"
    expected = [(4, 14), (19, 24)]
    assert scan.spans(text) == expected

    class Cut:  # the first window ends inside the first match
        reach = 5

        @staticmethod
        def spans(_: str) -> list[tuple[int, int]]:
            return [(3, 12), (18, 24)]

    scan.windows = Cut()  # type: ignore[assignment]
    assert scan.spans(text) == expected


def test_analyses_are_identical_with_the_prefilters(demo_texts: list[str]) -> None:
    postings = [
        PostingText(title=f"Intern {i}", company=f"Employer {i % 7}", description=t)
        for i, t in enumerate(demo_texts)
    ]
    plain = PostingAnalyzer().fit().analyze_many(postings)
    fast = PostingAnalyzer().fit()
    assert fast.use_prefilters()
    assert fast.analyze_many(postings) == plain


def test_a_pickled_scan_starts_without_its_database() -> None:
    scan = _prefiltered(r"(?:gamma|delta)(?!\w)", r"\w")
    copy = pickle.loads(pickle.dumps(scan))
    assert copy.windows.spans("gamma") is None  # not compiled in the copy
    assert copy.spans("x gamma delta") == scan.spans("x gamma delta") == [(2, 7), (8, 13)]
    assert copy.use_prefilter()
    assert copy.windows.spans("x gamma") == [(1, 7)]


def test_big_batches_turn_the_prefilters_on(demo_texts: list[str]) -> None:
    analyzer = PostingAnalyzer().fit()
    long_text = "our hospital " * 30
    postings = [PostingText(title="Intern", company="X", description=t) for t in demo_texts]
    analyzer.analyze_many(postings[:5])
    assert analyzer.sectors_.text_cues_.regex.windows.spans(long_text) is None  # small batch: off
    analyzer.PREFILTER_MIN = 5
    analyzer.analyze_many(postings[:5])
    assert analyzer.sectors_.text_cues_.regex.windows.spans(long_text)


def test_without_hyperscan_the_plain_scan_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    from matcher import prefilter

    monkeypatch.setattr(prefilter, "hyperscan", None)
    scan = BoundaryScan(r"(?:gamma|delta)(?!\w)", r"\w")
    scan.PREFILTER_MIN = 0
    assert not scan.use_prefilter()
    assert scan.windows is not None and scan.windows.spans("x gamma") is None
    assert scan.spans("x gamma delta") == [(2, 7), (8, 13)]
    assert not PostingAnalyzer().fit().use_prefilters()
