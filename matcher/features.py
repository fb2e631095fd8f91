"""Feature extraction from posting text: skills, seniority, years of experience, remote."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .requirements import RequirementMap
from .taxonomy import Skill, Taxonomy, alias_key
from .text import BoundaryScan, lowercase

# Aliases may be written with a space, a hyphen, an underscore or nothing between their words
# ("scikit-learn", "scikit learn", "Power BI", "PowerBI").
_SEP = "\x00"
_SEP_RE = r"[\s\-_]{0,2}"
# Skill names contain symbols (C++, C#, .NET, Node.js, CI/CD), so \b is not the boundary we want.
_NOT_BEFORE = r"\w.+#@"  # a character that may not come right before a mention
_RIGHT = r"(?![\w+#@])(?!\.[A-Za-z0-9])"
# What parts two items of an enumeration: "A, B", "A/B", "A & B", "A, and B", "A or B".
_LIST_SEP = re.compile(r"\s*(?:[,/&;|]\s*(?:(?:and|or)\s+)?|(?:and|or)\s+)", re.I)
_NOT_LIST_ANCHORS = frozenset({"workplace", "domain"})
# "Experience with Snowflake", "proficiency in Go": what follows is a skill.
_SKILL_INTRO = re.compile(
    r"\b(?:experience|experienced|proficien(?:t|cy)|expertise|knowledge|familiar(?:ity)?"
    r"|fluen(?:t|cy)|skills?|skilled|hands-on)\s+(?:\w+\s+)?(?:with|in|of|using)\s+$",
    re.I,
)


# Letters by how often English words start with them (the rest sort after, by character).
_INITIALS = "tsacpwbmfdoihrelnguvykjqzx"


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

    def build(node: dict[str, dict], order: Callable[[str], Any] = str) -> str:
        end = "" in node
        alts = [
            (_SEP_RE if k == _SEP else re.escape(k)) + build(v)
            for k, v in sorted(node.items(), key=lambda kv: order(kv[0]))
            if k != ""
        ]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if end:
            return f"(?:{body})?"
        return body

    # re tries the first level's branches one after another at every word: common initials
    # first. (Only there: each branch starts with its own character, so at most one can match
    # and the order changes no result; deeper, an optional separator may overlap a letter.)
    return build(trie, lambda k: (_INITIALS.find(k) % (len(_INITIALS) + 1), k))


@dataclass(frozen=True)
class _ContextRule:
    skills: tuple[str, ...]
    context: re.Pattern[str]
    not_followed: re.Pattern[str] | None
    not_preceded: re.Pattern[str] | None
    preceded: re.Pattern[str] | None


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
        # Skills that may vouch for an ambiguous neighbour in a list (not "Leadership, Drive"),
        # and be vouched for (a domain's "EMR" in "EC2, EMR, RDS" is Amazon's).
        self._anchors = frozenset(
            s.name for s in taxonomy.skills if s.group not in _NOT_LIST_ANCHORS
        )

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
        unsure: list[tuple[int, int, tuple[str, ...]]] = []
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
                    verdict = self._accept(text, start, stop, rule)
                    if verdict is None and not self._anchors.isdisjoint(rule.skills):
                        unsure.append((start, stop, rule.skills))
                    if not verdict:
                        continue
                    skills = rule.skills
                out.extend((start, stop, n) for n in skills if not names or n not in names)
        if unsure and out:
            self._list_neighbours(text, out, unsure)
        return out

    def _list_neighbours(
        self,
        text: str,
        out: list[tuple[int, int, str]],
        unsure: list[tuple[int, int, tuple[str, ...]]],
    ) -> None:
        """Items of one enumeration are of one kind: an ambiguous name without a context word
        counts when it is in an unbroken list ("A, B, C and D": only separators between
        neighbours) that holds an accepted technical skill ("Pentaho, SAS, Tableau",
        "AWS/Spark", "scikit-learn and pandas"). One pass over the mentions in text order.
        Sorts ``out`` back into text order when it grows."""
        anchor: dict[tuple[int, int], bool] = {}
        for a, b, name in out:
            anchor[(a, b)] = anchor.get((a, b), False) or name in self._anchors
        candidates = {(a, b): skills for a, b, skills in unsure if (a, b) not in anchor}
        chain: list[tuple[int, int]] = []
        found: list[tuple[int, int]] = []

        def close() -> None:
            if any(anchor.get(span, False) for span in chain):
                found.extend(span for span in chain if span in candidates)

        for span in sorted({*anchor, *candidates}):
            linkable = span in candidates or anchor[span]
            if chain and linkable and _LIST_SEP.fullmatch(text, chain[-1][1], span[0]):
                chain.append(span)
                continue
            close()
            chain = [span] if linkable else []
        close()
        if found:
            out.extend((a, b, n) for a, b in found for n in candidates[(a, b)])
            out.sort(key=lambda m: m[0])

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

    def _accept(self, text: str, start: int, end: int, rule: _ContextRule) -> bool | None:
        """True: a context word is near; False: an exclusion says it is not the skill; None:
        no context word (a list neighbour may still vouch for it)."""
        after = text[end : end + 20]
        before = text[max(0, start - 20) : start]
        if rule.not_followed is not None and rule.not_followed.match(after):
            return False
        if rule.not_preceded is not None and rule.not_preceded.search(before):
            return False
        if rule.preceded is not None and rule.preceded.search(before):
            return True
        w = self._window
        # Context on both sides, but not across the alias itself (so "Go" is not its own cue).
        if (
            rule.context.search(text[max(0, start - w) : start])
            or rule.context.search(text[end : end + w])
            or _SKILL_INTRO.search(text, max(0, start - 40), start)
        ):
            return True
        return None


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
    vouching: list[str] = []
    for s in skills:
        for c in s.context:
            words.extend(taxonomy.contexts[c])
        followed.extend(s.not_followed_by)
        preceded.extend(s.not_preceded_by)
        vouching.extend(s.preceded_by)
    ctx = re.compile(r"(?<![\w+#])(?:" + "|".join(sorted(set(words))) + r")(?![\w+#])", re.I)
    return _ContextRule(
        skills=tuple(s.name for s in skills),
        context=ctx,
        not_followed=re.compile("(?:" + "|".join(followed) + ")") if followed else None,
        not_preceded=_ends_with(preceded),
        preceded=_ends_with(vouching),
    )


def _ends_with(patterns: list[str]) -> re.Pattern[str] | None:
    """One regex for "the text ends with one of ``patterns``" (None: no patterns)."""
    if not patterns:
        return None
    return re.compile("(?:" + "|".join(f"(?:{p})$" for p in patterns) + ")")


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
        # Both patterns need one of these words (most windows have none: "4 years of college").
        if "exp" not in window and "industry" not in window and "work history" not in window:
            continue
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
