"""Internship terms (season and year): what a profile wants and what a posting is for."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from .models import PostingText
from .text import clean_text

Term = tuple[str | None, int | None]  # (season, year); either may be unknown
_SEASONS = {"spring": "Spring", "summer": "Summer", "fall": "Fall", "autumn": "Fall",
            "winter": "Winter"}  # fmt: skip
# "Spring Boot" and friends are frameworks, not seasons.
_SEASON = (
    r"(?:spring(?![\s-]*(?:boot|framework|cloud|mvc|batch|security|data|webflux))"
    r"|summer|fall|autumn|winter)"
)
_TERM_TOKEN = re.compile(rf"\b(?P<season>{_SEASON})\b|(?<![\w'])(?P<year>20\d\d)\b|"
                         r"(?<![\w])'(?P<short>\d\d)\b", re.I)  # fmt: skip
_YEAR = r"(?:20\d\d|'\d\d)"
# In the description a season counts only next to an internship word ("Summer 2027
# internship", "2027 summer interns", "internship for summer 2027"), never in "graduating in
# Spring 2028". Each season word found is checked in a small window around it (a regex scan of
# the whole text for these alternatives is many times slower).
_SEASON_NAMES = ("spring", "summer", "fall", "autumn", "winter")
_SEASON_LIST = rf"{_SEASON}(?:\s*(?:/|&|and|or)\s*{_SEASON})*"
_SEASON_SPAN = re.compile(rf"\b{_SEASON_LIST}\b(?:\s+(?:of\s+)?{_YEAR}\b)?")
_INTERNISH = r"(?:intern(?:ship)?s?|co-?ops?|program(?:me)?|cohort|placements?|students?)\b"
_AFTER_SPAN = re.compile(rf"\s*[-–]?\s*{_INTERNISH}")
_YEAR_BEFORE = re.compile(rf"(?<!\w)(?P<year>{_YEAR})\s+$")
_INTERN_BEFORE = re.compile(r"\b(?:intern(?:ship)?s?|co-?ops?)\b(?P<gap>[^.\n]{0,30})$")


def parse_terms(text: str) -> list[Term]:
    """Terms named in a short text: "Summer 2027" -> [("Summer", 2027)]; "Summer/Fall 2027" ->
    both seasons in 2027; "Fall 2026 - Spring 2027" -> each season with the year after it;
    "2027" -> [(None, 2027)]. A season takes the first year after it, else the last before it.
    """
    seasons: list[tuple[int, str]] = []
    years: list[tuple[int, int]] = []
    for m in _TERM_TOKEN.finditer(text or ""):
        if m.group("season"):
            seasons.append((m.start(), _SEASONS[m.group("season").lower()]))
        else:
            y = int(m.group("year")) if m.group("year") else 2000 + int(m.group("short"))
            years.append((m.start(), y))
    out: list[Term] = []
    if not seasons:
        out = [(None, y) for _, y in years]
    for pos, season in seasons:
        after = [y for p, y in years if p > pos]
        before = [y for p, y in years if p < pos]
        year = after[0] if after else (before[-1] if before else None)
        out.append((season, year))
    return list(dict.fromkeys(out))


def posting_terms(p: PostingText, text: str | None = None) -> list[Term]:
    """The terms a posting is for: its ``terms`` field, else its title, else its text
    (``text``: the already cleaned posting text, when the caller has it)."""
    found = [t for raw in p.terms for t in parse_terms(raw or "")]
    if not found:
        found = [t for t in parse_terms(p.title or "") if t[0] is not None]
    if not found:
        text = clean_text(p.description or "") if text is None else text
        found = _text_terms(text.lower())
    return list(dict.fromkeys(found))


def listed_terms(p: PostingText) -> list[Term]:
    """The terms a posting states outright: its ``terms`` field, else seasons in its title
    (not the description, where a past season may be anything: "graduating Spring 2024")."""
    found = [t for raw in p.terms for t in parse_terms(raw or "")]
    if not found:
        found = [t for t in parse_terms(p.title or "") if t[0] is not None]
    return list(dict.fromkeys(found))


# The month a season's work is over by (a Winter term is the January-April one).
_LAST_MONTH = {"Winter": 4, "Spring": 5, "Summer": 8, "Fall": 12, None: 12}


def terms_over(terms: Sequence[Term], today: date) -> bool:
    """True when the posting names terms and every one of them ended before ``today`` (a
    term without a year never has)."""
    if not terms or any(year is None for _, year in terms):
        return False
    return all((year, _LAST_MONTH[season]) < (today.year, today.month) for season, year in terms)


def _text_terms(low: str) -> list[Term]:
    """Terms named next to an internship word in a lower-cased text."""
    starts: list[int] = []
    for name in _SEASON_NAMES:  # str.find is far faster than a regex scan of the whole text
        at = low.find(name)
        while at != -1:
            starts.append(at)
            at = low.find(name, at + len(name))
    found: list[Term] = []
    for start in sorted(starts):
        span = _SEASON_SPAN.match(low, start)  # None inside a word or for "spring boot"
        if span is None:
            continue
        before = low[max(0, start - 40) : start]
        year_first = _YEAR_BEFORE.search(before)
        intern_first = _INTERN_BEFORE.search(before)
        if _AFTER_SPAN.match(low, span.end()):
            text = (year_first.group("year") + " " if year_first else "") + span.group(0)
        elif intern_first and "graduat" not in intern_first.group("gap"):
            text = span.group(0)
        else:
            continue
        found += [t for t in parse_terms(text) if t[0] is not None]
    return found


def term_label(term: Term) -> str:
    return " ".join(str(x) for x in term if x is not None)


def term_fit(wanted: Term, offered: Term) -> int:
    """2: the posting states the wanted term; 1: compatible as far as it says; 0: different."""
    (ws, wy), (ps, py) = wanted, offered
    if (ws and ps and ws != ps) or (wy and py and wy != py):
        return 0
    return 2 if (ws is None or ps is not None) and (wy is None or py is not None) else 1
