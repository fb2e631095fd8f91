"""Sector of a posting's employer: the taxonomy's cues in the employer's name and in the
posting's text (more in its "About us" sentences), the source's sector hint, and TF-IDF
similarity to the sector descriptions, combined into one raw score per sector (weights in
``DEFAULT_SECTOR_WEIGHTS``). :class:`classify.PostingAnalyzer` pools the raw scores of one
employer's postings before the sector is chosen."""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import TfidfVectorizer

from .models import PostingText
from .taxonomy import SECTORS, Taxonomy
from .text import (
    PhraseMatcher,
    alternation,
    ascii_words,
    lowercase,
    norm_company,
    one_line,
    strip_accents,
    word_tokens,
)

DEFAULT_SECTOR_WEIGHTS: dict[str, float] = {
    "text_cues": 1.0,  # per distinct strong cue, log(1 + occurrences)
    "weak_text_cues": 0.3,
    # An occurrence in the employer's own description ("About us", "We are a...", a sentence
    # naming the employer) counts 1 + this: the rest of a posting describes the job, whose
    # domain need not be the employer's (a bank's ML team; a staffing agency's client).
    "about": 1.5,
    "name_cues": 3.0,  # employer name says what it is
    "weak_name_cues": 1.2,
    # Name cues on the organisation's head noun ("... Credit Union", "University of ...")
    # count x name_head; elsewhere in the name ("Navy Federal ...") x name_other.
    "name_head": 1.3,
    "name_other": 0.7,
    "tfidf": 3.0,  # centred cosine similarity to the sector descriptions
    "hint": 4.0,  # the source says so (USAJOBS: government; a university's board: research)
    "company_suffix": 1.0,  # "Inc", "LLC": subtracted from nonprofit and research
    # Text evidence of one sector saturates at about this much (cap x (1 - exp(-sum / cap))):
    # a hospital's posting and a health-tech startup's both say "patients" in ten ways, and
    # ten synonyms are not ten times the evidence.
    "text_cap": 6.0,
    # A staffing agency's posting (taxonomy `sector_rules.intermediary_cues`: "our client",
    # W2/C2C, pay rate...) describes its CLIENT's industry: the other sectors' text evidence
    # is multiplied by this.
    "intermediary": 0.5,
    # ...and the agency itself is a business-services employer ("other"): this much for it.
    "intermediary_other": 1.0,
    # The equal-opportunity statement names the legal employer ("The University of Texas at
    # Austin, as an equal opportunity employer...", "Carnegie Mellon University is an EOE"):
    # its name cues count x this when that name differs from the posting's company field.
    "eeo_name": 0.8,
}
_OTHER = SECTORS.index("other")
# A job board's name often ends with its purpose ("SonderMind Careers", "VideoAmp Careers
# Website"): that tail is not part of what the employer is.
_CAREER_SITE_TAIL = re.compile(
    r"(?:^|[\s,|:-])+(?:careers?|jobs|hiring)(?:\s+(?:site|website|page|portal|board))?$"
)


def _cue_matcher(
    tax: Taxonomy, kinds: tuple[str, str], extra: Sequence[str] = ()
) -> tuple[PhraseMatcher, list[tuple[int, str]]]:
    """ONE matcher for the cues of every sector of ``kinds`` (plus ``extra`` patterns, tagged
    (-1, "extra")), and (sector index, kind) per pattern: a text is scanned once for all of
    them instead of once per sector and kind."""
    patterns: list[str] = []
    meta: list[tuple[int, str]] = []
    for i, sec in enumerate(SECTORS):
        for kind in kinds:
            for cue in getattr(tax.sectors[sec], kind):
                patterns.append(cue)
                meta.append((i, kind))
    for cue in extra:
        patterns.append(cue)
        meta.append((-1, "extra"))
    return PhraseMatcher(patterns), meta


# "<Employer> is an equal opportunity employer" / "<Employer>, as an equal opportunity ...":
# found from the anchor phrase backwards (a forward regex would try every sentence start).
_EEO_ANCHORS = ("equal opportunity", "equal employment opportunity", "affirmative action")
_EEO_LEAD = re.compile(
    r"(?P<name>[^.!?:;\n()]{3,90}?)(?:,\s*(?:inc|llc|corp)\.?)?,?\s+"
    r"(?:(?:is|are)\s+(?:an?\s+|(?:a\s+)?proud(?:ly)?\s+(?:to\s+be\s+)?an?\s+)?"
    r"|as\s+an?\s+)$"
)
_NOT_A_NAME = re.compile(r"^(?:we|our|the company|this|it|company|employer|eeo)\b")


def _eeo_employer(lower: str) -> str:
    """The employer named by the equal-opportunity statement of ``lower``, or ""."""
    for anchor in _EEO_ANCHORS:
        pos = lower.find(anchor)
        if pos < 0:
            continue
        window = lower[max(0, pos - 120) : pos]
        cut = max(window.rfind(c) for c in ".!?:;\n()")
        m = _EEO_LEAD.search(window[cut + 1 :])
        if not m:
            continue
        name = m.group("name").split(",")[-1].strip(" *\"'-")
        if _NOT_A_NAME.match(name) or not 2 < len(name) <= 60 or len(name.split()) > 7:
            continue
        return name
    return ""


# Sentences in which the employer describes itself.
_ABOUT_START = re.compile(
    alternation(
        [
            r"about (?:us|the company|our company)\b", r"who we are\b",
            r"we are (?:a|an|the|one)\b", r"we're (?:a|an|the|one)\b", r"our company\b",
            r"our mission\b", r"founded in\b", r"headquartered in\b",
            r"company (?:overview|description|profile)\b", r"as a (?:leading|global|national)\b",
            r"the company:", r"company:",
        ]
    )
)  # fmt: skip
# Only the ones at a sentence start count. No phrase holds a line break or ". ", so none spans a
# sentence start and those at one are found by scanning from the sentence starts alone.
# (A character class first lets re skip ahead: "\n", or one of ".!?" and a space.)
_ABOUT_AFTER_BREAK = re.compile(r"[\n.!?](?:(?<=\n)|(?<!\n) )(?=" + _ABOUT_START.pattern + ")")
# "[.!?](?=\s)|\n", starting with a character class (which re skips ahead to quickly).
_SENTENCE_BOUNDARY = re.compile(r"[.!?\n](?:(?<=\n)|(?=\s))")
_GENERIC_NAME_WORDS = frozenset(
    {"the", "a", "an", "us", "usa", "u.s.", "new", "global", "national", "american", "first",
     "united", "general", "data", "group", "international", "inc", "llc", "corp", "company"}
)  # fmt: skip


def _about_starts(lower: str) -> list[int]:
    """Where a sentence of ``lower`` starts with an about-us phrase."""
    starts = [0] if _ABOUT_START.match(lower) else []
    return starts + [m.end() for m in _ABOUT_AFTER_BREAK.finditer(lower)]


def _about_spans(lower: str, name: str) -> list[tuple[int, int]]:
    """Character spans of ``lower`` where the employer describes itself: sentences starting
    "About us", "We are a...", "Founded in..." (plus the next sentence after a bare heading)
    and sentences that name the employer (its first distinctive word)."""
    starts = _about_starts(lower)
    words = [x for x in norm_company(name).split() if len(x) > 2]
    key = next((x for x in words if x not in _GENERIC_NAME_WORDS), "")
    if key:
        pos = lower.find(key)
        while pos >= 0 and len(starts) < 40:
            left = max(lower.rfind(". ", 0, pos), lower.rfind("\n", 0, pos))
            starts.append(left + 1 if left >= 0 else 0)
            pos = lower.find(key, pos + len(key))
    spans: list[tuple[int, int]] = []
    for start in sorted(set(starts)):
        end_m = _SENTENCE_BOUNDARY.search(lower, start + 1)
        end = end_m.end() if end_m else len(lower)
        if end - start < 40:  # a bare heading ("About Us"): take the next sentence too
            end_m = _SENTENCE_BOUNDARY.search(lower, end + 1)
            end = end_m.end() if end_m else len(lower)
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    return spans


def _inside(spans: list[tuple[int, int]], pos: int) -> bool:
    k = bisect_right(spans, (pos, 1 << 62)) - 1
    return k >= 0 and spans[k][0] <= pos < spans[k][1]


def _softmax(x: Sequence[float]) -> list[float]:
    # Six numbers: plain floats are several times faster than numpy calls on them.
    top = max(x)
    z = [math.exp(v - top) for v in x]
    total = sum(z)
    return [v / total for v in z]


@dataclass
class SectorEvidence:
    raw: np.ndarray  # one score per SECTORS entry
    cues: dict[str, list[str]]  # sector -> cue phrases seen (for the evidence string)


class SectorClassifier:
    """The sector evidence of postings (sklearn conventions: params in ``__init__``, state in
    ``*_``); ``weights`` override ``DEFAULT_SECTOR_WEIGHTS``."""

    def __init__(self, taxonomy: Taxonomy, weights: dict[str, float] | None = None) -> None:
        self.taxonomy = taxonomy
        self.weights = weights

    def fit(self) -> SectorClassifier:
        tax = self.taxonomy
        self.weights_ = {**DEFAULT_SECTOR_WEIGHTS, **(self.weights or {})}
        # Staffing-agency phrases (see "intermediary") ride along in the text cue scan.
        self.text_cues_, self.text_cue_meta_ = _cue_matcher(
            tax, ("text_cues", "weak_text_cues"), tax.intermediary_cues
        )
        self.name_cues_, self.name_cue_meta_ = _cue_matcher(tax, ("name_cues", "weak_name_cues"))
        self.vectorizer_ = TfidfVectorizer(
            sublinear_tf=True, stop_words="english", strip_accents=strip_accents
        )
        self.matrix_ = self.vectorizer_.fit_transform([tax.sector_text(s) for s in SECTORS])
        self.suffix_regex_ = (
            re.compile(r"(?<![\w])(?:" + "|".join(tax.company_suffixes) + r")(?![\w])", re.I)
            if tax.company_suffixes
            else None
        )
        return self

    def fields(self, raw: np.ndarray, ev: SectorEvidence) -> dict[str, Any]:
        """The Analysis fields of raw sector scores: the sector, per-sector probabilities and
        the evidence string."""
        values = raw.tolist()
        probs = _softmax(values)
        sector = SECTORS[values.index(max(values))]  # the first of equal maxima, as argmax
        return {
            "sector": sector,
            "sector_scores": {s: round(float(v), 4) for s, v in zip(SECTORS, probs, strict=True)},
            "sector_evidence": self._reason(sector, ev),
        }

    def evidence(self, p: PostingText, body: str, full: str = "") -> SectorEvidence:
        """Raw sector scores before TF-IDF; ``body`` is the lowercased boilerplate-free text,
        ``full`` the lowercased whole text (read for the equal-opportunity statement)."""
        w = self.weights_
        tax = self.taxonomy
        name = one_line(p.company or "")
        raw = np.array([tax.sectors[s].prior for s in SECTORS], dtype=float)
        cues: dict[str, list[str]] = defaultdict(list)
        best: dict[tuple[int, str], float] = {}
        names = [(self._name_core(name), 1.0)] if name else []
        other_name = _eeo_employer(full) if full else ""
        if other_name and norm_company(other_name) != norm_company(name):
            names.append((self._name_core(other_name), w["eeo_name"]))
        for core, scale in names:
            of = core.find(" of ")
            for _, end, said, which in self.name_cues_.finditer(core):
                head = end == of if of > 0 else end == len(core)
                factor = (w["name_head"] if head else w["name_other"]) * scale
                for n in which:
                    i, kind = self.name_cue_meta_[n]
                    # One name cue per sector and kind ("Bank ... Financial" adds nothing).
                    if factor > best.get((i, kind), 0.0):
                        best[(i, kind)] = factor
                    if len(cues[SECTORS[i]]) < 3 and said not in cues[SECTORS[i]]:
                        cues[SECTORS[i]].append(said)
        for (i, kind), factor in best.items():
            raw[i] += w[kind] * tax.sectors[SECTORS[i]].name_weight * factor
        if body:
            about = _about_spans(body, name)
            counts: dict[int, float] = defaultdict(float)
            intermediary = False
            for start, _, said, which in self.text_cues_.finditer(body):
                inc = 1.0 + w["about"] if about and _inside(about, start) else 1.0
                for n in which:
                    i, kind = self.text_cue_meta_[n]
                    if i < 0:
                        intermediary = True
                        continue
                    counts[n] += inc
                    if kind == "text_cues":
                        phrases = cues[SECTORS[i]]
                        if len(phrases) < 6 and said not in phrases:
                            phrases.append(said)
            per_sector = np.zeros(len(SECTORS))
            for n, c in counts.items():
                i, kind = self.text_cue_meta_[n]
                per_sector[i] += w[kind] * math.log1p(c)
            if intermediary:
                keep = per_sector[_OTHER]
                per_sector *= w["intermediary"]
                per_sector[_OTHER] = keep + w["intermediary_other"]
                cues["other"].insert(0, "staffing/recruiting agency")
            cap = w["text_cap"]
            raw += cap * (1.0 - np.exp(-per_sector / cap)) if cap > 0 else per_sector
        hint = (p.sector_hint or "").strip().casefold()
        hint = tax.hint_aliases.get(hint, hint)
        if hint in SECTORS:
            raw[SECTORS.index(hint)] += w["hint"]
            cues[hint].insert(0, f"source: {hint}")
        if name and self.suffix_regex_ is not None and self.suffix_regex_.search(name):
            raw[SECTORS.index("nonprofit")] -= w["company_suffix"]
            raw[SECTORS.index("research")] -= w["company_suffix"] / 2
        return SectorEvidence(raw=raw, cues=dict(cues))

    def _name_core(self, name: str) -> str:
        """Lowercased employer name without company-form suffixes and parentheses."""
        core = lowercase(re.sub(r"\([^)]*\)", " ", name))
        if self.suffix_regex_ is not None:
            core = self.suffix_regex_.sub(" ", core)
        core = " ".join(core.replace(",", " ").split()).strip(" .-&")
        return _CAREER_SITE_TAIL.sub("", core)

    def add_tfidf(self, evidence: list[SectorEvidence], bodies: list[str]) -> None:
        """Centred TF-IDF similarity to the sector descriptions, for all postings at once.

        Same numbers as ``vectorizer_.transform`` (sublinear tf, idf, l2 norm over the
        vocabulary's terms), computed directly: only the few hundred terms of the sector
        descriptions matter, so the rest of a posting's words are dropped at once.
        """
        vocab = self.vectorizer_.vocabulary_
        vocab_bytes = {t.encode(): j for t, j in vocab.items()}
        idf = self.vectorizer_.idf_
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        todo: list[int] = []
        for i, body in enumerate(bodies):
            if not body:
                continue
            # Only the vocabulary's words count (a small share of a posting's words): they
            # are picked out first, and only they are counted (both in C).
            found = ascii_words(body)
            if found is not None:
                tokens: Counter = Counter(filter(vocab_bytes.__contains__, found))
                counts = {vocab_bytes[t]: tokens[t] for t in sorted(tokens)}  # (same order)
            else:
                words = word_tokens(strip_accents(body.lower()))
                tokens = Counter(filter(vocab.__contains__, words))
                counts = {vocab[t]: tokens[t] for t in sorted(tokens)}
            todo.append(i)
            if not counts:
                continue
            weights = [(1.0 + math.log(c)) * idf[j] for j, c in counts.items()]
            norm = math.sqrt(sum(x * x for x in weights))
            row = len(todo) - 1
            rows.extend([row] * len(weights))
            cols.extend(counts)
            vals.extend(x / norm for x in weights)
        if not todo:
            return
        matrix = csr_matrix((vals, (rows, cols)), shape=(len(todo), len(vocab)))
        sims = (matrix @ self.matrix_.T).toarray()
        sims -= sims.mean(axis=1, keepdims=True)
        sims *= self.weights_["tfidf"]
        for row, i in enumerate(todo):
            evidence[i].raw += sims[row]

    @staticmethod
    def _reason(sector: str, ev: SectorEvidence) -> str:
        seen = ev.cues.get(sector, [])
        if not seen:
            return "no specific cue (default)" if sector == "tech" else ""
        uniq = list(dict.fromkeys(seen))[:4]
        return ", ".join(uniq)
