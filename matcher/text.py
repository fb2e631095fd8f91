"""Text clean-up shared by the analyzer and the scorer."""

from __future__ import annotations

import codecs
import html
import re
import unicodedata
from collections.abc import Iterator, Sequence

from .models import PostingText
from .prefilter import Windows
from .regex_syntax import split_alternatives

_TAG = re.compile(r"<[^>]{0,2000}>")
_BLOCK_TAG = re.compile(r"</?(?:p|div|br|li|ul|ol|h\d|tr|td|table|section)\b[^>]*>", re.I)
_DASHES = dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-")
_SPACES = dict.fromkeys("\u00a0\u2007\u202f\u200b\u2009\u200a\u3000", " ")
_QUOTES = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'}
# Replaced one character at a time (str.translate with a dict is ~10x slower on long text).
_FOLD = {**_DASHES, **_SPACES, **_QUOTES}
# Both start with a literal, which re finds fast; a pattern that may start with a space is
# tried at every position (3-8x slower on long text).
_SPACE_RUN = re.compile(r"  +")
_NEWLINE_RUN = re.compile(r"\n[ \n]*")


def clean_text(text: str | None) -> str:
    """Plain text from possibly HTML (or HTML-escaped HTML) text, one space between words.

    Line breaks survive as "\\n" because they separate list items (skills lists, bullets).
    """
    if not text:
        return ""
    s = text
    for _ in range(2):  # Greenhouse-style content is HTML escaped once more
        if "&" in s and ("&lt;" in s or "&amp;" in s or "&#" in s or "&nbsp;" in s):
            s = html.unescape(s)
    if "<" in s:
        s = _BLOCK_TAG.sub("\n", s)
        s = _TAG.sub(" ", s)
    if not s.isascii():
        s = unicodedata.normalize("NFKC", s)
        for ch, plain in _FOLD.items():  # (no replacement is itself folded)
            if ch in s:
                s = s.replace(ch, plain)
    # Runs of horizontal white space become one space, then a run of spaces and line breaks
    # holding a line break becomes one line break.
    for ch in "\t\r\f\v":
        if ch in s:
            s = s.replace(ch, " ")
    if "  " in s:
        s = _SPACE_RUN.sub(" ", s)
    if "\n" in s:  # (testing for the runs costs as much as replacing them)
        s = _NEWLINE_RUN.sub("\n", s.replace(" \n", "\n"))
    return s.strip()


_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


def _drop_combining(m: re.Match[str]) -> str:
    return "".join(c for c in m.group(0) if not unicodedata.combining(c))


def strip_accents(text: str) -> str:
    """scikit-learn's ``strip_accents_unicode`` (NFKD, then combining characters dropped), as
    a Python test per non-ASCII character only (the others, in C): many times faster on long
    mostly-ASCII text."""
    if text.isascii():
        return text
    return _NON_ASCII_RUN.sub(_drop_combining, unicodedata.normalize("NFKD", text))


def factorable(pattern: str) -> bool:
    """Does ``pattern`` start with a plain literal letter/digit (no quantifier on it) and have
    no top-level "|"? Then its first letter can be pulled out in :func:`alternation`."""
    if len(pattern) < 2 or not pattern[0].isalnum() or pattern[1] in "?*+{":
        return False
    return len(split_alternatives(pattern)) == 1


def alternation(patterns: Sequence[str], names: Sequence[str] | None = None) -> str:
    """One regex alternative matching any of ``patterns`` (optionally each in a named group).

    Patterns are grouped by their first (literal) letter, so at each text position the regex
    engine tries only those starting with that letter, longest first. Fastest on lowercased
    text with lowercase patterns and WITHOUT re.I: the engine then skips a branch on its first
    literal character without entering it (with re.I it enters every branch).
    """
    by_first: dict[str, list[str]] = {}
    loose: list[str] = []
    for i, pat in enumerate(patterns):
        for alt in split_alternatives(pat) if names is None else [pat]:
            if factorable(alt):
                body = alt[1:]
                group = f"(?P<{names[i]}>{body})" if names is not None else body
                by_first.setdefault(alt[0].lower(), []).append(group)
            else:
                loose.append(f"(?P<{names[i]}>{alt})" if names is not None else f"(?:{alt})")
    alts = []
    for c, gs in sorted(by_first.items()):
        gs = sorted(dict.fromkeys(gs), key=len, reverse=True)
        alts.append(re.escape(c) + ("(?:" + "|".join(gs) + ")" if len(gs) > 1 else gs[0]))
    return "(?:" + "|".join(alts + loose) + ")"


def lower_pattern(pattern: str) -> str:
    """``pattern`` for lowercased text: literal letters lowercased, escapes (\\S, \\W...) kept."""
    out: list[str] = []
    escaped = False
    for ch in pattern:
        out.append(ch if escaped else ch.lower())
        escaped = not escaped and ch == "\\"
    return "".join(out)


def lowercase(text: str) -> str:
    """``text.lower()`` with the same length (so offsets stay valid in the original text)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


# scikit-learn's default token_pattern r"(?u)\b\w\w+\b" finds the same tokens: a run of word
# characters is taken whole. Without the \b, and in ASCII text with the class written out, re
# skips ahead to a token's start quickly.
_TOKEN = re.compile(r"\w\w+")
_ASCII_TOKEN = re.compile(r"[a-zA-Z0-9_]{2,}")


def word_tokens(text: str) -> list[str]:
    """The tokens of scikit-learn's default ``token_pattern`` (words of 2+ word characters)."""
    return (_ASCII_TOKEN if text.isascii() else _TOKEN).findall(text)


# ASCII text lowercased and cut into runs of [a-z0-9_] by one bytes.translate and a split,
# both in C: twice as fast as the token regex, but one-character words are kept.
_ASCII_WORDS = bytes(
    ord(chr(c).lower()) if c < 128 and (chr(c).isalnum() or c == 95) else 32 for c in range(256)
)
ASCII_LETTERS = frozenset(bytes([c]) for c in _ASCII_WORDS if c != 32)  # the one-character words


def ascii_words(text: str) -> list[bytes] | None:
    """The :func:`word_tokens` of ``strip_accents(text.lower())`` as bytes, plus the
    one-character words (members of ``ASCII_LETTERS``); None if ``text`` has a character that
    does not fold to ASCII (see :func:`_fold_for_words`), whose words need :func:`word_tokens`.

    Most non-ASCII characters of English postings are bullets, symbols and accented letters,
    which fold; so the fast path is not lost to one "•" in a long text.
    """
    try:
        return text.encode("ascii", "internscout-words").translate(_ASCII_WORDS).split()
    except _NotFoldable:
        return None


class _NotFoldable(Exception):
    pass


_WORD_FOLDS: dict[str, str | None] = {}
_WORD_CHAR = re.compile(r"\w")


def _word_fold(ch: str) -> str | None:
    """What ``ch`` becomes for word splitting: ``strip_accents(ch.lower())`` ("é" -> "e", a
    combining accent -> "", "½" -> "1 2") with each non-ASCII character that is no word
    character as a space ("•", "®"); None if a word character is left that is not lowercase
    ASCII (a letter of another script: no ASCII stand-in).

    Case mapping and decomposition work character by character (but for the final sigma,
    which is not ASCII; combining marks, the only characters NFKD reorders, are dropped), so
    folding each character alone gives the words of the whole text folded at once."""
    out = []
    for c in strip_accents(ch.lower()):
        if c.isascii():
            if c.isupper():
                return None
            out.append(c)
        elif _WORD_CHAR.match(c):
            return None
        else:
            out.append(" ")
    return "".join(out)


def _fold_for_words(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    out = []
    folds = _WORD_FOLDS
    for ch in error.object[error.start : error.end]:
        folded = folds[ch] if ch in folds else _word_fold(ch)
        if len(folds) < 10_000:
            folds[ch] = folded
        if folded is None:
            raise _NotFoldable
        out.append(folded)
    return "".join(out), error.end


codecs.register_error("internscout-words", _fold_for_words)


_WORD_END = re.compile(r"[\w&](?![\w&])|[^\w\s&](?=\s|$)")


class BoundaryScan:
    """The spans ``re.finditer`` gives for ``(?<![not_before])(?:body)``, found faster.

    A pattern that starts with a lookbehind keeps re from skipping ahead to where a match can
    begin, so every position is tried. Here the scan consumes the character before a match
    instead (``[^not_before]``, which re skips to quickly) and reports the span after it; a
    match right at the start of the text, or right after a match that ends in an allowed
    character, is tried on its own. ``not_before`` is the inside of a character class.

    After :meth:`use_prefilter`, long texts are searched only inside the windows Hyperscan
    finds (see prefilter): the same spans, found faster when matches are sparse.
    """

    PREFILTER_MIN = 256  # characters; shorter texts are scanned directly

    def __init__(self, body: str, not_before: str, flags: int = 0, prefilter: bool = True) -> None:
        self.at = re.compile(body, flags)
        if self.at.match(""):
            raise ValueError(f"a scanned pattern must not match the empty string: {body!r}")
        self.scan = re.compile(f"[^{not_before}]({body})", flags)
        self._blocks = re.compile(f"[{not_before}]", flags)
        # In ASCII text the same class written out as characters: re then skips ahead with a
        # bitmap instead of testing a category at each position (about 25% faster).
        ascii_ok = "".join(re.escape(chr(i)) for i in range(128) if not self._blocks.match(chr(i)))
        self._scan_ascii = re.compile(f"[{ascii_ok}]({body})", flags)
        # Hyperscan windows (see prefilter): a big win for sparse hits among many phrases;
        # not for the skill trie, whose short names Hyperscan itself finds slowly.
        self.windows = Windows(body, not_before, flags) if prefilter else None

    def use_prefilter(self) -> bool:
        """Compile the Hyperscan prefilter now (up to a second for big phrase sets, so only
        worth it before large batches); True if it is in use."""
        return self.windows is not None and self.windows.compile()

    def spans(self, text: str) -> list[tuple[int, int]]:
        if self.windows is not None and len(text) >= self.PREFILTER_MIN:
            windows = self.windows.spans(text)
            if windows is not None:
                try:
                    return self._in_windows(text, windows)
                except _PastWindow:
                    pass
        return list(self._iter(text))

    def first(self, text: str) -> tuple[int, int] | None:
        """The first span (as ``search``), or None."""
        return next(self._iter(text), None)

    def _iter(self, text: str) -> Iterator[tuple[int, int]]:
        pos = 0
        try_here = True  # may a match start at ``pos`` (no blocking character before it)?
        at, blocks = self.at.match, self._blocks.match
        scan = (self._scan_ascii if text.isascii() else self.scan).search
        while True:
            m = at(text, pos) if try_here else None
            if m is not None:
                yield m.span()
            else:
                m = scan(text, pos)
                if m is None:
                    return
                yield m.span(1)
            pos = m.end()
            try_here = blocks(text, pos - 1) is None

    def _in_windows(self, text: str, windows: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """What :meth:`_iter` yields, searching only inside ``windows`` (see prefilter)."""
        out: list[tuple[int, int]] = []
        at, blocks = self.at.match, self._blocks.match
        scan = (self._scan_ascii if text.isascii() else self.scan).search
        assert self.windows is not None
        reach = self.windows.reach + 1
        last = 0
        for a, b in windows:
            pos = max(a, last)
            # Lookaheads of a match ending by ``b`` read real text, not the cut end.
            stop = min(len(text), b + reach)
            try_here = pos == 0 or blocks(text, pos - 1) is None
            # (A match starts before ``b``: at ``pos`` only when ``try_here``.)
            while pos + (not try_here) < b:
                m = at(text, pos, stop) if try_here else None
                if m is not None:
                    start, end = m.span()
                else:
                    m = scan(text, pos, stop)
                    if m is None:
                        break
                    start, end = m.span(1)
                if start >= b:
                    break
                if end > b:
                    raise _PastWindow
                out.append((start, end))
                pos = last = end
                try_here = blocks(text, pos - 1) is None
        return out


class _PastWindow(Exception):
    """A match ran past its prefilter window: the windows cannot be trusted for this text."""


class PhraseMatcher:
    """Finds any of many phrase regexes in LOWERCASED text in one pass and tells which
    pattern(s) each hit is (hits are resolved by ``fullmatch`` once per distinct phrase, then
    memoised: the same few hundred phrases recur across postings).

    Patterns are matched case-insensitively (they are lowercased), at word boundaries where
    "&" counts as a word character ("R&D" is one word).
    """

    _MEMO_LIMIT = 100_000

    def __init__(self, patterns: Sequence[str]) -> None:
        self.patterns = [lower_pattern(p) for p in patterns]
        self._full = [re.compile(p) for p in self.patterns]
        self._by_first: dict[str, list[int]] = {}
        self._loose: list[int] = []
        for i, p in enumerate(self.patterns):
            alts = split_alternatives(p)
            firsts = {a[0] for a in alts if factorable(a)}
            if len(firsts) == len(alts):
                for c in firsts:
                    self._by_first.setdefault(c, []).append(i)
            else:
                self._loose.append(i)
        self.regex = (
            BoundaryScan(alternation(self.patterns) + r"(?![\w&])", r"\w&")
            if self.patterns
            else None
        )
        self._memo: dict[str, tuple[int, ...]] = {}

    def which(self, phrase: str) -> tuple[int, ...]:
        """Indices of the patterns that match ``phrase`` (lowercase) or a prefix of it ending
        at a word boundary: "institute for" is both "institute for" and "institute", as if
        every pattern were searched on its own."""
        hit = self._memo.get(phrase)
        if hit is None:
            candidates = self._by_first.get(phrase[:1], []) + self._loose
            ends = [m.end() for m in _WORD_END.finditer(phrase)]
            found = {
                i for i in candidates if any(self._full[i].fullmatch(phrase, 0, e) for e in ends)
            }
            hit = tuple(sorted(found))
            if len(self._memo) < self._MEMO_LIMIT:
                self._memo[phrase] = hit
        return hit

    def finditer(self, lower: str) -> Iterator[tuple[int, int, str, tuple[int, ...]]]:
        """(start, end, phrase, pattern indices) for each hit in ``lower`` (lowercased)."""
        if self.regex is None or not lower:
            return
        for start, end in self.regex.spans(lower):
            said = lower[start:end]
            yield start, end, said, self.which(said)


def one_line(text: str) -> str:
    return " ".join(text.split())


# Benefits and equal-opportunity paragraphs mention insurance, health, veterans, government
# contracts... in every posting whatever the employer; they would drown the sector evidence.
_BOILERPLATE_PATTERNS = (
    r"equal (?:employment )?opportunit",
    r"without regard to",
    r"regardless of (?:race|age)",
    r"dental\b",
    r"vision\b",
    r"401\s?\(?k\)?",
    r"paid time off\b",
    r"pto\b",
    r"parental leave\b",
    r"tuition\b",
    r"health insurance",
    r"medical insurance",
    r"life insurance",
    r"disability insurance",
    r"benefits? (?:package|include|program)",
    # Benefits that name a bank or a clinic ("credit union membership", "on-site clinics").
    r"credit union membership",
    r"membership (?:in|at|with|through) (?:the |our )?[\w ]{0,40}credit union",
    r"on-?site (?:health )?clinics?",
    r"health savings accounts?",
    r"flexible spending accounts?",
    r"employee assistance program",
    r"wellness (?:program|stipend|reimbursement)s?",
    # Awards ("named one of Fortune Magazine's Best Places to Work"): the magazine and the
    # list's industry are not the employer's.
    r"best (?:places?|compan(?:y|ies)|employers?|small firms?) (?:to work|for)",
    r"great places? to work",
    r"fastest[- ]growing (?:private )?companies",
    r"protected status",
    r"veteran status",
    r"affirmative action",
    r"reasonable accommodation",
    r"disabilit(?:y|ies)\b",
    r"e-?verify",
    r"sexual orientation",
    r"gender identity",
    r"drug[- ]free",
    r"background check",
    r"pay transparency",
    r"salary range",
    r"compensation range",
    r"privacy (?:policy|notice)",
    r"cookies",
)
# Matched on lowercased text (see PhraseMatcher on why not re.I).
BOILERPLATE_SCAN = BoundaryScan(
    "(?:" + alternation(_BOILERPLATE_PATTERNS) + r"|\$\s?\d{2,3}(?:,\d{3}|k))", r"\w"
)


def strip_boilerplate(text: str) -> str:
    """Drop sentences/lines about benefits, pay and equal-opportunity statements."""
    return strip_boilerplate_pair(text, lowercase(text))[0]


def strip_boilerplate_pair(text: str, lower: str) -> tuple[str, str]:
    """:func:`strip_boilerplate` of ``text`` and of ``lower`` (its :func:`lowercase`)."""
    hits = [start for start, _ in BOILERPLATE_SCAN.spans(lower)]
    if not hits:
        return text, lower
    # Only the sentences around the hits are located (with str.rfind/find, in C), within
    # _SENTENCE_REACH characters: a delimiter absent from the text would otherwise be
    # looked for across all of it once per hit.
    cuts: list[tuple[int, int]] = []
    for pos in hits:
        if cuts and pos < cuts[-1][1]:
            continue
        lo, hi = max(0, pos - _SENTENCE_REACH), pos + _SENTENCE_REACH
        start = max(_after(lower.rfind(d, lo, pos), d, lo) for d in _DELIMITERS)
        ends = [e for e in (lower.find(d, pos, hi) for d in _DELIMITERS) if e >= 0]
        end = min(ends) + 1 if ends else min(hi, len(lower))
        cuts.append((start, end))
    kept_text: list[str] = []
    kept_lower: list[str] = []
    at = 0
    for a, b in cuts:
        if a > at:
            kept_text.append(text[at:a])
            kept_lower.append(lower[at:a])
        at = max(at, b)
    kept_text.append(text[at:])
    kept_lower.append(lower[at:])
    return "\n".join(kept_text).strip(), "\n".join(kept_lower).strip()


_DELIMITERS = (". ", "! ", "? ", "; ", "\n")
_SENTENCE_REACH = 1000


def _after(i: int, delimiter: str, lo: int) -> int:
    return i + len(delimiter) if i >= 0 else lo


def posting_document(p: PostingText, description: str | None = None) -> str:
    """The posting as one text for TF-IDF: title twice (it says most), department, body."""
    body = clean_text(p.description) if description is None else description
    head = " ".join(x for x in (p.title, p.title, p.department or "") if x)
    return f"{head}\n{body}"


def norm_company(name: str | None) -> str:
    """Key used to group postings of one employer (case/punctuation/suffix insensitive)."""
    if not name:
        return ""
    s = unicodedata.normalize("NFKC", name).casefold()
    s = re.sub(r"\(.*?\)", " ", s)
    s = re.sub(r"[^\w&]+", " ", s)
    s = re.sub(r"\b(?:inc|llc|ltd|corp|corporation|co|company|plc|gmbh|the)\b", " ", s)
    return " ".join(s.split())
