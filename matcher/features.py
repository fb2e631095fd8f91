"""Feature extraction from posting text: skills, seniority, years of experience, remote."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

from .taxonomy import Skill, Taxonomy, alias_key
from .text import BoundaryScan, alternation, lowercase

# Aliases may be written with a space, a hyphen, an underscore or nothing between their words
# ("scikit-learn", "scikit learn", "Power BI", "PowerBI").
_SEP = "\x00"
_SEP_RE = r"[\s\-_]{0,2}"
# Skill names contain symbols (C++, C#, .NET, Node.js, CI/CD), so \b is not the boundary we want.
_NOT_BEFORE = r"\w.+#@"  # a character that may not come right before a mention
_RIGHT = r"(?![\w+#@])(?!\.[A-Za-z0-9])"


def _units(alias: str, fold: bool) -> list[str]:
    s = alias.lower() if fold else alias
    return [_SEP if ch in " -_" else ch for ch in s]


def trie_regex(aliases: Iterable[str], fold: bool) -> str:
    """One regex matching any alias; a character trie keeps it fast on long texts."""
    trie: dict[str, dict] = {}
    for alias in aliases:
        node = trie
        for u in _units(alias, fold):
            node = node.setdefault(u, {})
        node[""] = {}

    def build(node: dict[str, dict]) -> str:
        end = "" in node
        alts = [
            (_SEP_RE if k == _SEP else re.escape(k)) + build(v)
            for k, v in sorted(node.items())
            if k != ""
        ]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if end:
            return f"(?:{body})?"
        return body

    return build(trie)


@dataclass(frozen=True)
class _ContextRule:
    skills: tuple[str, ...]
    context: re.Pattern[str]
    not_followed: re.Pattern[str] | None
    not_preceded: re.Pattern[str] | None


@dataclass(frozen=True)
class SkillMentions:
    """Skills found in a text: canonical names in order of first appearance, and where the text
    says they are required or merely preferred (subsets of ``skills``, same order)."""

    skills: list[str]
    required: list[str]
    preferred: list[str]


class SkillExtractor:
    """Finds taxonomy skills in text, honouring the ambiguity rules of ambiguous names.

    ONE compiled regex whatever the number of skills: a character trie of every alias, matched
    on the lowercased text (much faster than re.I; offsets are the original text's). A hit on a
    case-sensitive alias (ambiguous names like "Go", "R", "Spark", and exact ones like "dbt")
    then needs that exact spelling in the original text, and ambiguous ones a context word
    nearby: only those hits, a few per text, run further checks.
    """

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        plain: dict[str, list[str]] = {}
        cased: dict[str, list[tuple[str, tuple[str, ...] | None]]] = {}
        ambiguous: dict[str, list[Skill]] = {}
        for s in taxonomy.skills:
            for alias in s.plain_aliases:
                if s.case_sensitive_synonyms:
                    _add_cased(cased, alias, (s.name,))
                else:
                    _add(plain.setdefault(alias_key(alias), []), s.name)
            for alias in s.context_aliases:
                _add(ambiguous.setdefault(alias, []), s)
        self._rules: dict[str, _ContextRule] = {}
        for alias, skills in ambiguous.items():
            self._rules[alias] = _rule_for(taxonomy, skills)
            _add_cased(cased, alias, None)  # None: the skills come from the context rule
        self._plain_keys = plain
        # By lowercased spelling: the exact spellings that count, and their skills.
        self._cased = cased
        aliases = _plain_aliases(taxonomy) + [a for a in cased]
        self._scan = BoundaryScan(
            "(?:" + trie_regex(aliases, True) + ")" + _RIGHT, _NOT_BEFORE, prefilter=False
        )
        self._window = taxonomy.context_window
        self._said_memo: dict[str, list[str] | None] = {}

    def mentions(self, text: str, lower: str | None = None) -> list[tuple[int, int, str]]:
        """Every accepted skill mention as (start, end, canonical name), in text order.

        ``lower`` is ``lowercase(text)`` when the caller has it already.
        """
        out: list[tuple[int, int, str]] = []
        if not text:
            return out
        lower = lowercase(text) if lower is None else lower
        plain = self._plain_keys
        cased = self._cased
        memo = self._said_memo
        for start, stop in self._scan.spans(lower):
            said = lower[start:stop]
            if said in memo:
                names = memo[said]
            else:  # (a few thousand spellings recur across postings)
                names = plain.get(alias_key(said))
                if len(memo) < 50_000:
                    memo[said] = names
            if names:
                out.extend((start, stop, name) for name in names)
            options = cased.get(said)
            if not options:
                continue
            original = text[start:stop]
            for spelling, skills in options:
                if original != spelling:
                    continue
                if skills is None:
                    rule = self._rules[spelling]
                    if not self._accept(text, start, stop, rule):
                        continue
                    skills = rule.skills
                out.extend((start, stop, n) for n in skills if not names or n not in names)
        return out

    def extract(self, text: str) -> list[str]:
        """Canonical skill names found in ``text``, in order of first appearance."""
        return list(dict.fromkeys(name for _, _, name in self.mentions(text)))

    def analyze(self, text: str, head: str = "", lower: str | None = None) -> SkillMentions:
        """Skills of ``head`` (a title) and ``text``, and the required/preferred split ``text``
        draws (see :class:`RequirementMap`); ``head`` is never read as a heading or marker."""
        lower = lowercase(text) if lower is None else lower
        body = self.mentions(text, lower)
        found = self.mentions(head) + body if head else body
        skills = list(dict.fromkeys(name for _, _, name in found))
        if not body:
            return SkillMentions(skills, [], [])
        labels = RequirementMap(lower)
        if not labels.draws_a_line:
            return SkillMentions(skills, [], [])
        required: dict[str, None] = {}
        preferred: dict[str, None] = {}
        for pos, stop, name in body:
            label = labels.at(pos, stop)
            if label == "required":
                required[name] = None
            elif label == "preferred":
                preferred[name] = None
        return SkillMentions(
            skills,
            [s for s in skills if s in required],
            [s for s in skills if s in preferred and s not in required],
        )

    def _accept(self, text: str, start: int, end: int, rule: _ContextRule) -> bool:
        after = text[end : end + 20]
        before = text[max(0, start - 20) : start]
        if rule.not_followed is not None and rule.not_followed.match(after):
            return False
        if rule.not_preceded is not None and rule.not_preceded.search(before):
            return False
        w = self._window
        # Context on both sides, but not across the alias itself (so "Go" is not its own cue).
        return bool(
            rule.context.search(text[max(0, start - w) : start])
            or rule.context.search(text[end : end + w])
        )


def _add(names: list[str], name: str) -> None:
    if name not in names:
        names.append(name)


def _add_cased(
    table: dict[str, list[tuple[str, tuple[str, ...] | None]]],
    alias: str,
    skills: tuple[str, ...] | None,
) -> None:
    options = table.setdefault(lowercase(alias), [])
    for i, (spelling, known) in enumerate(options):
        if spelling == alias:
            if known is not None and skills is not None:
                options[i] = (spelling, tuple(dict.fromkeys(known + skills)))
            return
    options.append((alias, skills))


def _plain_aliases(taxonomy: Taxonomy) -> list[str]:
    return [a for s in taxonomy.skills if not s.case_sensitive_synonyms for a in s.plain_aliases]


def _rule_for(taxonomy: Taxonomy, skills: list[Skill]) -> _ContextRule:
    words: list[str] = []
    followed: list[str] = []
    preceded: list[str] = []
    for s in skills:
        for c in s.context:
            words.extend(taxonomy.contexts[c])
        followed.extend(s.not_followed_by)
        preceded.extend(s.not_preceded_by)
    ctx = re.compile(r"(?<![\w+#])(?:" + "|".join(sorted(set(words))) + r")(?![\w+#])", re.I)
    return _ContextRule(
        skills=tuple(s.name for s in skills),
        context=ctx,
        not_followed=re.compile("(?:" + "|".join(followed) + ")") if followed else None,
        not_preceded=re.compile("(?:" + "|".join(f"(?:{p})$" for p in preceded) + ")")
        if preceded
        else None,
    )


# --- required vs preferred ----------------------------------------------------------------------
#
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


# --- seniority and experience -------------------------------------------------------------------

_SENIORITY: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (label, re.compile(rx, re.I))
    for label, rx in (
        ("vp", r"\b(?:vice[- ]president|s?vp|evp|avp)\b"),
        ("chief", r"\bchief\b|\bc[tdio]o\b"),
        ("director", r"\b(?:director|directeur|directora?)\b"),
        ("head", r"\bhead (?:of|,)|^head\b"),
        ("principal", r"\bprincipal\b(?! investigator)"),
        # "Member of Technical Staff" and "Staff Accountant/Nurse" are ordinary levels.
        (
            "staff",
            r"(?<!member of technical )(?<!member of )\bstaff\b"
            r"(?! (?:accountant|nurse|assistant|writer|member|pharmacist|auditor))",
        ),
        ("senior", r"\b(?:senior|sr)\b\.?|\b(?:III|IV)\b|\blevel (?:[3-9])\b|\bexperienced\b"),
        ("lead", r"\blead\b(?![- ](?:generation|gen)\b)|\bteam lead"),
        ("architect", r"\barchitect\b"),
        (
            "manager",
            r"(?<!product )(?<!program )(?<!project )(?<!account )(?<!case )"
            r"(?<!community )(?<!office )(?<!store )(?<!shift )(?<!assistant )"
            r"(?<!associate )\bmanager\b|\bmanaging\b",
        ),
    )
)


def title_seniority(title: str) -> str | None:
    """Seniority level stated by a job title ("senior", "staff", "manager"...), else None."""
    for label, rx in _SENIORITY:
        if rx.search(title):
            return label
    return None


_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
}  # fmt: skip
_NUM = r"(\d{1,2}|" + "|".join(_NUMBER_WORDS) + r")"
# (Written for lowercased text, hence no re.I; "at least", "minimum of" before the number
# change nothing and are not matched.)
_YEARS = re.compile(
    _NUM
    + r"\s*(?:\+|plus)?\s*(?:\(\d{1,2}\)\s*)?(?:(?:-|to|–)\s*"
    + _NUM
    + r"\s*\+?\s*)?(?:years?|yrs?)\b'?\s*(?:of\s+)?(?:[\w/+#,.&()-]+\s+){0,6}?"
    r"(?:experience|exp\b|work history|industry)"
)
_YEARS_AFTER = re.compile(
    r"experience[^.\n]{0,30}?\b" + _NUM + r"\s*\+?\s*(?:-\s*\d{1,2}\s*)?(?:years?|yrs?)\b"
)


def _num(s: str | None) -> int | None:
    if not s:
        return None
    s = s.lower()
    return int(s) if s.isdigit() else _NUMBER_WORDS.get(s)


def years_required(text: str) -> int | None:
    """Largest "N (+) years of experience" minimum stated in ``text``; None when absent.

    The largest, because postings list several ("2+ years of SQL, 5+ years in industry") and
    the binding requirement is the largest one. Only windows around "year"/"yr" are read (the
    patterns start with optional words, which would otherwise be tried at every position).
    """
    best: int | None = None
    done = -1
    text = lowercase(text)
    for hit in _YEAR_WORD.finditer(text):
        if hit.start() < done:
            continue
        start = max(0, hit.start() - 60)
        while start > 0 and text[start - 1].isalnum():
            start -= 1
        end = min(len(text), hit.end() + 140)
        while end < len(text) and text[end].isalnum():
            end += 1
        window = text[start:end]
        done = end - 140
        for rx in (_YEARS, _YEARS_AFTER):
            for m in rx.finditer(window):
                n = _num(m.group(1))
                if n is None or n > 25:  # "100 years of experience as a company" is no requirement
                    continue
                best = n if best is None else max(best, n)
    return best


_YEAR_WORD = re.compile(r"(?:years?|yrs?)\b")


_REMOTE = re.compile(
    r"\b(?:remote|remotely|work from home|wfh|anywhere|distributed|telework|virtual)\b", re.I
)
_ONSITE = re.compile(r"\b(?:on-?site|in[- ]office|in[- ]person)\b", re.I)


def detect_remote(workplace_type: str | None, locations: list[str], title: str) -> bool | None:
    """True when the posting can be done remotely, False when on-site only, None if unknown."""
    wt = (workplace_type or "").lower()
    if "remote" in wt:
        return True
    if any(_REMOTE.search(loc) for loc in locations) or re.search(r"\bremote\b", title, re.I):
        return True
    if wt and (_ONSITE.search(wt) or "hybrid" in wt):
        return False
    return None
