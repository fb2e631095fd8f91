"""Feature extraction from posting text: skills, seniority, years of experience, remote."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .taxonomy import Skill, Taxonomy, alias_key

# Aliases may be written with a space, a hyphen, an underscore or nothing between their words
# ("scikit-learn", "scikit learn", "Power BI", "PowerBI").
_SEP = "\x00"
_SEP_RE = r"[\s\-_]{0,2}"
# Skill names contain symbols (C++, C#, .NET, Node.js, CI/CD), so \b is not the boundary we want.
_LEFT = r"(?<![\w.+#@])"
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


class SkillExtractor:
    """Finds taxonomy skills in text, honouring the ambiguity rules of ambiguous names."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        plain: dict[str, list[str]] = {}
        exact: dict[str, list[str]] = {}
        ambiguous: dict[str, list[Skill]] = {}
        for s in taxonomy.skills:
            target = exact if s.case_sensitive_synonyms else plain
            for alias in s.plain_aliases:
                key = alias if s.case_sensitive_synonyms else alias_key(alias)
                _add(target.setdefault(key, []), s.name)
            for alias in s.context_aliases:
                _add(ambiguous.setdefault(alias, []), s)
        self._plain_keys = plain
        self._exact_keys = exact
        self._plain_re = re.compile(
            _LEFT + "(?:" + trie_regex(_plain_aliases(taxonomy), True) + ")" + _RIGHT, re.I
        )
        self._exact_re = (
            re.compile(_LEFT + "(?:" + trie_regex(list(exact), False) + ")" + _RIGHT)
            if exact
            else None
        )
        self._ambiguous_re = re.compile(
            _LEFT + "(?:" + trie_regex(list(ambiguous), False) + ")" + _RIGHT
        )
        self._rules: dict[str, _ContextRule] = {}
        for alias, skills in ambiguous.items():
            self._rules[alias] = _rule_for(taxonomy, skills)
        self._window = taxonomy.context_window

    def extract(self, text: str) -> list[str]:
        """Canonical skill names found in ``text``, in order of first appearance."""
        found: dict[str, int] = {}
        if not text:
            return []
        for m in self._plain_re.finditer(text):
            for name in self._plain_keys.get(alias_key(m.group(0)), ()):
                found.setdefault(name, m.start())
        if self._exact_re is not None:
            for m in self._exact_re.finditer(text):
                for name in self._exact_keys.get(m.group(0), ()):
                    found.setdefault(name, m.start())
        for m in self._ambiguous_re.finditer(text):
            rule = self._rules.get(m.group(0))
            if rule is None or not self._accept(text, m.start(), m.end(), rule):
                continue
            for name in rule.skills:
                found.setdefault(name, m.start())
        return [name for name, _ in sorted(found.items(), key=lambda kv: (kv[1], kv[0]))]

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
_YEARS = re.compile(
    r"(?:minimum of |at least |min\.? |over |more than )?"
    + _NUM
    + r"\s*(?:\+|plus)?\s*(?:\(\d{1,2}\)\s*)?(?:(?:-|to|–)\s*"
    + _NUM
    + r"\s*\+?\s*)?(?:years?|yrs?)\b'?\s*(?:of\s+)?(?:[\w/+#,.&()-]+\s+){0,6}?"
    r"(?:experience|exp\b|work history|industry)",
    re.I,
)
_YEARS_AFTER = re.compile(
    r"experience[^.\n]{0,30}?\b" + _NUM + r"\s*\+?\s*(?:-\s*\d{1,2}\s*)?(?:years?|yrs?)\b", re.I
)


def _num(s: str | None) -> int | None:
    if not s:
        return None
    s = s.lower()
    return int(s) if s.isdigit() else _NUMBER_WORDS.get(s)


def years_required(text: str) -> int | None:
    """Largest "N (+) years of experience" minimum stated in ``text``; None when absent.

    The largest, because postings list several ("2+ years of SQL, 5+ years in industry") and
    the binding requirement is the largest one.
    """
    best: int | None = None
    for rx in (_YEARS, _YEARS_AFTER):
        for m in rx.finditer(text):
            n = _num(m.group(1))
            if n is None or n > 25:  # "100 years of experience as a company" is not a requirement
                continue
            best = n if best is None else max(best, n)
    return best


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
