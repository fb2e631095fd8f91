"""Required vs preferred: which parts of a posting's text ask for skills and which only
wish for them (read by :meth:`features.SkillExtractor.analyze`)."""

from __future__ import annotations

import re
from bisect import bisect_right

from .text import BoundaryScan, alternation

# Postings draw the line in two ways, both handled:
#   headings   a short line "Requirements", "Minimum qualifications:", "What you'll bring",
#              "Preferred qualifications", "Nice to have", "Bonus points" opens a section that
#              lasts until the next heading ("Responsibilities", "Benefits"... close it);
#   inline     within one sentence, "X is a plus", "preferably Y", "Z (required)", "must know W".
# An inline marker beats the section. When a sentence has both kinds, a skill takes the marker
# in the parenthesis right after it ("Docker (required) and Kubernetes (nice to have)"), else
# the marker of its own comma-separated clause, after it ("..., Spark and Scala preferred")
# or before it ("..., preferably Scala"), else the nearest one. "No Java needed" and "as
# needed" mark nothing.

_PREFERRED_WORDS = (
    r"preferred|preferably|preference|(?:a|big|huge|added|nice|strong|definite) plus"
    r"|pluses|plus points?|an? (?:added |big |strong |distinct )?advantage|advantageous"
    r"|bonus(?: points?)?|nice[- ]to[- ]haves?|good[- ]to[- ]haves?|desired|desirable|ideally"
    r"|(?:is|are|would be|will be) (?:helpful|beneficial|great|nice|valuable)|beneficial"
    r"|not (?:required|necessary|mandatory|a requirement)|optional|extra credit|even better"
    r"|would be a plus|stand out"
)
# ("requirements" is a heading word, not an inline marker: "turn business requirements into
# SQL" asks for nothing.)
_REQUIRED_WORDS = (
    r"required|requires?|must|mandatory|essential|minimum|at least|needed"
    r"|necessary|a must|must[- ]haves?|need to (?:have|know)|you will need|you need"
)
# "No Java needed", "as needed": neither required nor preferred.
_NOT_NEEDED_WORDS = (
    r"no [\w#+.]+(?: [\w#+.]+)? (?:needed|required|necessary)|not needed|as needed"
    r"|as necessary|as required|if needed|when needed"
)
# Matched on lowercased text. "not required" is a preference: at one position the longest
# phrase wins, and which kind it is is read from the phrase.
MARKER_SCAN = BoundaryScan(
    alternation([_NOT_NEEDED_WORDS, _PREFERRED_WORDS, _REQUIRED_WORDS]) + r"(?!\w)", r"\w"
)
_PREFERRED_PHRASE = re.compile(_PREFERRED_WORDS)
_NOT_NEEDED_PHRASE = re.compile(_NOT_NEEDED_WORDS)
# Headings (matched on a short line, bullets and numbering stripped).
_HEADING_PREFERRED = (
    r"(?:preferred|desired|desirable|bonus|nice[- ]to[- ]haves?|good[- ]to[- ]haves?|pluses"
    r"|plus|extra credit|additional|optional|even better|(?:it'?s|would be) (?:a plus|great|nice)"
    r"|(?:what )?(?:would|will) make you stand out|stand out|ideally|preferences)"
)
_HEADING_REQUIRED = (
    r"(?:(?:minimum|basic|required|essential|key|core|must[- ]have|technical|your|job|the)\s+)?"
    r"(?:requirements?|required|qualifications?|must[- ]haves?|skills|experience|competenc\w+"
    r"|profile|what you(?:'ll| will)? (?:need|bring|have)|what we(?:'re| are) looking for"
    r"|who you are|you (?:have|bring|are)|about you|what it takes|must|essential"
    r"|what you need to succeed|what we need)"
)
_HEADING_NEUTRAL = (
    r"(?:responsibilit\w*|duties|what you(?:'ll| will) (?:do|work on|be doing)|the role"
    r"|role|about\b.*|who we are|benefits|perks|what we offer|compensation|salary|pay|why\b.*"
    r"|our\b.*|location|how to apply|overview|summary|description|the team|team|mission"
    r"|equal.*|day[- ]to[- ]day|in this role|the opportunity|job details|tasks|projects"
    r"|job description|position summary)"
)
# A heading is a short line (or the part of a line before ":") that is only a heading phrase,
# possibly followed by a few heading words ("Preferred Qualifications", "Skills & Experience").
_HEADING_TAIL = (
    r"(?:\s*(?:&|and|/|,)?\s*(?:skills|qualifications?|requirements?|experience|knowledge"
    r"|abilities|education|points?|to have|haves?|but not required|if you have))*"
)
_HEADING = re.compile(
    rf"(?:(?P<preferred>{_HEADING_PREFERRED})|(?P<required>{_HEADING_REQUIRED})"
    rf"|(?P<neutral>{_HEADING_NEUTRAL})){_HEADING_TAIL}\s*[.!]?",
    re.I,
)
_BULLET = re.compile(r"^[\s\-*\u2022\u25cf\u25aa\u2023\u2043>#\d.)]*")
# "[.!?;](?=\s)|\n", starting with a character class (which re skips ahead to quickly).
_SENTENCE_END = re.compile(r"[.!?;\n](?:(?<=\n)|(?=\s))")


def _heading_kind(line: str) -> tuple[str | None, int]:
    """("required" | "preferred" | "neutral", end of the heading in ``line``) or (None, 0)."""
    lead = _BULLET.match(line)
    start = lead.end() if lead else 0
    colon = line.find(":", start, start + 61)
    if colon > start:
        name, end = line[start:colon], colon + 1
    elif start == 0 or not line[:start].strip(" -*>#"):
        # No colon: the whole line must be the heading (bullets other than "#" rule it out).
        name, end = line[start:], len(line)
    else:
        return None, 0
    name = name.strip(" *#_")
    if not name or name.count(" ") > 7:
        return None, 0
    m = _HEADING.fullmatch(name)
    if m is None:
        return None, 0
    return m.lastgroup, end


def _maybe_heading(line: str) -> bool:
    return len(line) <= 60 or line.find(":", 0, 64) >= 0


# Lines that may be headings: after bullets, one of the heading phrases begins. A superset of
# what _heading_kind accepts, found by one scan of the text instead of a Python step per line.
# (A literal "\n" first lets the regex engine skip to line starts; the first line is matched
# on its own.)
_HEADING_LEAD = (
    r"(?:[^\S\n]|[\-*\u2022\u25cf\u25aa\u2023\u2043>#\d.)_])*"
    rf"(?:{_HEADING_PREFERRED}|{_HEADING_REQUIRED}|{_HEADING_NEUTRAL})"
)
# Without re.I (3x faster): RequirementMap reads lowercased text.
_HEADING_FIRST = re.compile(_HEADING_LEAD)
_HEADING_NEXT = re.compile(r"\n" + _HEADING_LEAD)


class RequirementMap:
    """Which parts of a text are requirements, preferences or neither (see the notes above).

    ``text`` should be lowercased (see :func:`text.lowercase`); offsets are ``text``'s.
    """

    def __init__(self, text: str) -> None:
        # Section state: sorted offsets and the state from each on (a heading line is in no
        # section; its section starts after the heading).
        self._starts: list[int] = [0]
        self._states: list[str | None] = [None]
        first = [0] if _HEADING_FIRST.match(text) else []
        for pos in first + [m.start() + 1 for m in _HEADING_NEXT.finditer(text)]:
            stop = text.find("\n", pos)
            line = text[pos:] if stop < 0 else text[pos:stop]
            kind, end = _heading_kind(line) if _maybe_heading(line) else (None, 0)
            if kind is None:
                continue
            self._starts += [pos, pos + end]
            self._states += [None, None if kind == "neutral" else kind]
        # Inline markers in text order.
        self._ends: list[int] | None = None  # sentence ends, found when first needed
        marks: list[tuple[int, int, str]] = []
        for start, end in MARKER_SCAN.spans(text):
            said = text[start:end]
            if _NOT_NEEDED_PHRASE.fullmatch(said):
                kind = "none"
            elif _PREFERRED_PHRASE.fullmatch(said):
                kind = "preferred"
            else:
                kind = "required"
            marks.append((start, end, kind))
        self._marks = marks
        self._mark_starts = [a for a, _, _ in marks]
        self.draws_a_line = bool(marks) or any(st is not None for st in self._states)
        self._text = text

    def at(self, pos: int, end: int | None = None) -> str | None:
        """ "required", "preferred" or None for the mention at ``pos`` (ending at ``end``)."""
        inline = self._inline(pos, pos + 1 if end is None else end)
        if inline is not None:
            return None if inline == "none" else inline
        i = bisect_right(self._starts, pos) - 1
        return self._states[i] if i >= 0 else None

    def _inline(self, pos: int, end: int) -> str | None:
        if not self._marks:
            return None
        if self._ends is None:
            self._ends = [m.start() for m in _SENTENCE_END.finditer(self._text)]
        ends = self._ends
        k = bisect_right(ends, pos)
        s_start = ends[k - 1] + 1 if k > 0 else 0
        s_end = ends[k] if k < len(ends) else len(self._text)
        lo = bisect_right(self._mark_starts, s_start - 1)
        hi = bisect_right(self._mark_starts, s_end - 1)
        inside = self._marks[lo:hi]
        if not inside:
            return None
        kinds = {kind for _, _, kind in inside}
        if len(kinds) == 1:
            return inside[0][2]
        text = self._text
        # 1. A parenthesis right after the mention: "Docker (required)".
        j = end
        while j < s_end and text[j] == " ":
            j += 1
        if j < s_end and text[j] == "(":
            close = text.find(")", j, s_end)
            for a, _, kind in inside:
                if j < a < (close if close > 0 else s_end):
                    return kind
        # 2. The mention's own clause (between commas): "..., Spark and Scala preferred".
        c_start = text.rfind(",", s_start, pos) + 1 or s_start
        c_end = text.find(",", end, s_end)
        c_end = s_end if c_end < 0 else c_end
        after = [m for m in inside if end <= m[0] < c_end]
        if after:
            return after[0][2]
        before = [m for m in inside if c_start <= m[0] and m[1] <= pos]
        if before:
            return before[-1][2]

        # 3. The nearest marker of the sentence.
        def distance(mark: tuple[int, int, str]) -> int:
            a, b, _ = mark
            return a - pos if a >= pos else max(0, pos - b)

        return min(inside, key=distance)[2]
