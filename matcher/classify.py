"""Posting classification: internship or not, employer sector, role category, skills, seniority.

Everything is rule- and taxonomy-driven (no labelled training data): the rules are the
taxonomy's cues and the patterns below, and "fit" only compiles them and fits the TF-IDF
vocabulary of the sector descriptions.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import TfidfVectorizer

from .features import SkillExtractor, title_seniority, years_required
from .models import Analysis, PostingText
from .taxonomy import SECTORS, Taxonomy, load_taxonomy
from .text import clean_text, norm_company, one_line, strip_boilerplate

# --- internship detection -----------------------------------------------------------------------

# "intern" must end at a word boundary: Internal, International, Internally, Internist are not
# internships. Each pattern is (label shown as evidence, regex).
_STRONG_TITLE = tuple(
    (label, re.compile(rx, re.I))
    for label, rx in (
        ("intern", r"\bintern(?:s|ship|ships)?\b"),
        ("winternship", r"\bwinternships?\b"),
        ("externship", r"\bextern(?:s|ship|ships)?\b"),
        ("co-op", r"\bco[- ]?op(?:s)?\b|\bcoop\b"),
        ("apprenticeship", r"\bapprentice(?:s|ship|ships)?\b"),
        (
            "summer student role",
            r"\bsummer (?:analysts?|associates?|scholars?|fellows?|students?"
            r"|undergraduate|research(?:ers?)? (?:program|assistant)"
            r"|engineering program|program)\b",
        ),
        (
            "student role",
            r"\b(?:student|undergraduate|undergrad)\s+(?:trainee|worker|researcher"
            r"|research(?:er)?|assistant|employee|analyst|developer|engineer"
            r"|programmer|technician|associate|aide|position|program|fellow"
            r"|job|scholar|intern|hire|consultant|ambassador|software|data)",
        ),
        (
            "graduate student role",
            r"\b(?:graduate|phd|ph\.d\.|doctoral|master'?s|ms|msc)\s+"
            r"(?:students?|research(?:er)? assistant|researcher intern"
            r"|fellow(?:ship)?|student researcher)\b",
        ),
        ("working student", r"\bworking students?\b|\bwerkstudent(?:in)?\b"),
        (
            "internship (non-English title)",
            r"\bpraktika?nt(?:in)?\b|\bpraktikum\b|\bstagiaire\b"
            r"|\bstage (?:de|d'|en)\b|\balternan(?:ce|t|te)\b"
            r"|\bbecari[oa]s?\b|\bestagi[aá]ri[oa]\b|\best[aá]gio\b"
            r"|\btirocinio\b|\bpr[aá]cticas\b|\bstagista\b",
        ),
        (
            "placement year",
            r"\b(?:placement year|industrial placement|year in industry"
            r"|sandwich (?:year|placement)|placement students?|year-long placement"
            r"|industrial trainee)\b",
        ),
        (
            "for students",
            r"(?:\bfor\b|[-(,|:])\s*(?:university |college |high[- ]school |current |"
            r"undergraduate |graduate )?students\b|\bpart[- ]time students?\b"
            r"|\bstudent (?:opportunit|opening)",
        ),
    )
)
# Weaker: true only when the title doesn't say "new grad", "senior"... and no full-time type.
_TITLE_TERM = re.compile(
    r"\b(?:summer|fall|autumn|winter|spring)\s*(?:term\s*)?(?:'|20)\d{2}\b"
    r"|\b20\d{2}\s+(?:summer|fall|autumn|winter|spring)\b"
    r"|\b(?:summer|fall|winter|spring) (?:program|scholars?|fellowship)\b",
    re.I,
)
_FELLOWSHIP = re.compile(r"\bfellow(?:ship)?s?\b", re.I)
_FELLOWSHIP_STUDENT = re.compile(
    r"\b(?:students?|undergraduates?|graduate|phd|summer|university|campus|college|academy)\b",
    re.I,
)
_NOT_STUDENT_FELLOW = re.compile(
    r"\bpost-?doc|\bsenior\b|\bdistinguished\b|\bresearch fellow\b", re.I
)
# A staff job about interns ("Intern Program Manager", "Manager, Internships") is not one.
_STAFF_OF_INTERNS = re.compile(
    r"\b(?:intern(?:ship)?s?|co-?op|early talent|campus)\s+(?:program\s+)?(?:manager|coordinator"
    r"|recruiter|recruiting|director|lead|specialist|partner|advisor|supervisor|administrator)\b"
    r"|\b(?:manager|coordinator|recruiter|director|head|supervisor|lead)\b[^,;]{0,25}"
    r"\b(?:of|for)\s+(?:the\s+)?(?:intern(?:ship)?s?|co-?ops?|apprentice(?:ship)?s?)\b"
    r"|\b(?:recruiter|coordinator)\b[^,;]{0,15}[,(-]\s*(?:interns|internships|intern program)\b",
    re.I,
)
_EARLY_CAREER_FULL_TIME = re.compile(
    r"\bnew[- ]?grad(?:uate)?s?\b|\bnew college grad|\brecent (?:college |university )?grad"
    r"|\bearly[- ]career\b|\b(?:university|college) grad(?:uate)?s?\b|\bentry[- ]level\b"
    r"|\bgraduate (?:program|scheme|engineer|developer|analyst|software|data|trainee|role|hire)"
    r"|\bgrad(?:uate)? (?:20)?\d{2}\b|\b(?:20)?\d{2} grad(?:uate)?s?\b|\bjunior\b|\bjr\.?\b"
    r"|\bfull[- ]time\b|\bpermanent\b|\brotational program\b|\bassociate program\b"
    r"|\bpost-?doc",
    re.I,
)
_EMPLOYMENT_INTERN = re.compile(
    r"\bintern(?:s|ship|ships)?\b|\bco-?op\b|\bapprentice(?:ship)?\b|\bstudent\b|\btrainee\b"
    r"|\bwerkstudent\b|\bpraktikum\b|\bstagiaire\b|\bstage\b|\bplacement\b",
    re.I,
)
_EMPLOYMENT_FULL_TIME = re.compile(r"\bfull[- ]?time\b|\bpermanent\b|\bregular\b", re.I)
_TERM = re.compile(r"\b(?:summer|fall|autumn|winter|spring)\b\s*(?:term\s*)?(?:20)?\d{2}\b", re.I)
_DESCRIPTION_INTERN = re.compile(
    r"\b(?:this|the)\s+(?:(?:\d{1,2}[- ](?:week|month)|paid|unpaid|summer|fall|spring|winter"
    r"|full[- ]time|part[- ]time|remote|virtual|hybrid|\d{4})\s+)*"
    r"(?:internship|co-?op|apprenticeship)\b(?!\s+(?:program\s+)?(?:manager|coordinator|recruit))"
    r"|\bas an?\s+(?:[\w-]+\s+){0,3}?(?:intern|co-?op student|apprentice)\b"
    r"|\b(?:the|our|this|each|an?)\s+(?:[\w-]+\s+){0,2}?interns? will\b"
    r"|\binternship (?:dates|duration|period|term|start date|runs|begins)\b"
    r"|\b\d{1,2}[- ](?:week|month) (?:paid |summer |full[- ]time )?(?:internship|co-?op)\b"
    r"|\bco-?op (?:term|work term|student)\b"
    r"|\bmust be (?:a )?(?:currently )?enrolled\b|\bcurrently enrolled (?:in|as)\b",
    re.I,
)


@dataclass(frozen=True)
class InternshipDecision:
    is_internship: bool
    evidence: str
    title_level: bool  # decided by the title alone (then title seniority is not read)


def detect_internship(p: PostingText, description: str | None = None) -> InternshipDecision:
    """Is the posting an internship (or co-op, apprenticeship, student job)? With evidence."""
    # "_" is a word character: "Strategist_Internship" would hide the word from \b patterns.
    title = one_line((p.title or "").replace("_", " "))
    if _STAFF_OF_INTERNS.search(title):
        return InternshipDecision(False, f'title "{title}" is a staff job about interns', True)
    for label, rx in _STRONG_TITLE:
        m = rx.search(title)
        if m:
            said = m.group(0).strip()
            extra = "" if said.lower().startswith(label) else f" ({label})"
            return InternshipDecision(True, f'title says "{said}"{extra}', True)
    fellow = _FELLOWSHIP.search(title)
    student_fellowship = bool(
        fellow and _FELLOWSHIP_STUDENT.search(title) and not _NOT_STUDENT_FELLOW.search(title)
    )
    etype = one_line(p.employment_type or "")
    negative = _EARLY_CAREER_FULL_TIME.search(title)
    senior = title_seniority(title)
    if etype and _EMPLOYMENT_INTERN.search(etype) and not senior:
        return InternshipDecision(True, f'employment type "{etype}"', False)
    if negative:
        return InternshipDecision(
            False, f'title says "{negative.group(0).strip()}": a full-time role', True
        )
    if senior or (etype and _EMPLOYMENT_FULL_TIME.search(etype)):
        return InternshipDecision(False, "", False)
    if student_fellowship:
        return InternshipDecision(True, f'title says "{title}" (student fellowship)', True)
    m = _TITLE_TERM.search(title)
    if m:
        return InternshipDecision(True, f'title names a student term "{m.group(0)}"', True)
    for term in p.terms:
        if _TERM.search(term or ""):
            return InternshipDecision(True, f'internship term "{one_line(term)}"', False)
    if p.source_kind and re.search(r"intern|co-?op|student", p.source_kind, re.I):
        return InternshipDecision(True, f'source lists internships ("{p.source_kind}")', False)
    text = clean_text(p.description) if description is None else description
    m = _DESCRIPTION_INTERN.search(text)
    if m:
        return InternshipDecision(True, f'description says "{one_line(m.group(0))}"', False)
    return InternshipDecision(False, "", False)


def is_internship_title(title: str) -> bool:
    """Title-only internship detection (what the title benchmark measures)."""
    return detect_internship(PostingText(title=title)).is_internship


# --- sector classification ----------------------------------------------------------------------

DEFAULT_SECTOR_WEIGHTS: dict[str, float] = {
    "text_cues": 1.0,  # per distinct strong cue, log(1 + occurrences)
    "weak_text_cues": 0.3,
    "name_cues": 3.0,  # employer name says what it is
    "weak_name_cues": 1.2,
    "tfidf": 3.0,  # centred cosine similarity to the sector descriptions
    "hint": 4.0,  # the source says so (USAJOBS: government; a university's board: research)
    "company_suffix": 1.0,  # "Inc", "LLC": subtracted from nonprofit and research
}
_CUE_KINDS = ("text_cues", "weak_text_cues", "name_cues", "weak_name_cues")


def _cue_regex(cues: Sequence[str]) -> re.Pattern[str] | None:
    """One regex for a cue list; the group named ``c{i}`` matches ``cues[i]``.

    Cues are grouped by their first (literal) letter, so that at each text position the regex
    engine tries only the cues starting with that letter: ~10x faster on long descriptions.
    """
    if not cues:
        return None
    by_first: dict[str, list[str]] = defaultdict(list)
    loose: list[str] = []
    for i, cue in enumerate(cues):
        group = f"(?P<c{i}>{cue[1:]})" if _factorable(cue) else f"(?P<c{i}>{cue})"
        if _factorable(cue):
            by_first[cue[0].lower()].append(group)
        else:
            loose.append(group)
    alts = [re.escape(c) + "(?:" + "|".join(gs) + ")" for c, gs in sorted(by_first.items())]
    return re.compile(r"(?<![\w&])(?:" + "|".join(alts + loose) + r")(?![\w&])", re.I)


def _factorable(cue: str) -> bool:
    # A leading literal letter/digit that no quantifier applies to, and no top-level "|"
    # (pulling the first letter out of "ab|cd" would change its meaning).
    if len(cue) < 2 or not cue[0].isalnum() or cue[1] in "?*+{":
        return False
    depth, escaped = 0, False
    for ch in cue:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "|" and depth == 0:
            return False
    return True


def _cue_hits(rx: re.Pattern[str], text: str) -> tuple[dict[str, int], list[str]]:
    """Occurrences per cue (by group name) and the distinct phrases seen, in text order."""
    counts: dict[str, int] = defaultdict(int)
    phrases: list[str] = []
    for m in rx.finditer(text):
        counts[m.lastgroup or ""] += 1
        phrase = m.group(0).lower()
        if len(phrases) < 3 and phrase not in phrases:
            phrases.append(phrase)
    return counts, phrases


def _softmax(x: np.ndarray) -> np.ndarray:
    z = np.exp(x - x.max())
    return z / z.sum()


@dataclass
class _SectorEvidence:
    raw: np.ndarray  # one score per SECTORS entry
    cues: dict[str, list[str]]  # sector -> cue phrases seen (for the evidence string)


# --- roles ----------------------------------------------------------------------------------------

_ML_GROUPS = frozenset({"ml_frameworks", "ml_concepts", "llm_nlp", "vision_robotics", "mlops"})
_NON_SOFTWARE_ENGINEERING = re.compile(
    r"\b(?:mechanical|electrical|civil|chemical|manufacturing|industrial|hardware|rf|aerospace"
    r"|structural|process|quality|field|sales|biomedical|materials|environmental|nuclear"
    r"|petroleum|mining|packaging|facilities|construction|optical|thermal|propulsion|avionics"
    r"|supplier|test(?:ing)? technician|validation|reliability|design engineer)\b",
    re.I,
)


class PostingAnalyzer:
    """Classifies postings (sklearn conventions: params in __init__, state in ``*_``).

    ``aggregate_employers``: in :meth:`analyze_many`, postings of one employer (same normalised
    company name) share their sector evidence, so a posting with little "About us" text still
    gets its employer's sector.
    """

    def __init__(
        self,
        taxonomy: Taxonomy | None = None,
        sector_weights: dict[str, float] | None = None,
        aggregate_employers: bool = True,
    ) -> None:
        self.taxonomy = taxonomy
        self.sector_weights = sector_weights
        self.aggregate_employers = aggregate_employers

    # -- fitting --
    def fit(self, postings: Sequence[PostingText] | None = None) -> PostingAnalyzer:
        """Compile the taxonomy's rules and the sector TF-IDF. ``postings`` is not needed
        (accepted for pipeline symmetry; no labels are used)."""
        tax = self.taxonomy if self.taxonomy is not None else load_taxonomy()
        self.taxonomy_ = tax
        self.sector_weights_ = {**DEFAULT_SECTOR_WEIGHTS, **(self.sector_weights or {})}
        self.skills_ = SkillExtractor(tax)
        self.cue_regex_ = {
            (s, kind): _cue_regex(getattr(tax.sectors[s], kind))
            for s in SECTORS
            for kind in _CUE_KINDS
        }
        self.sector_vectorizer_ = TfidfVectorizer(
            sublinear_tf=True, stop_words="english", strip_accents="unicode"
        )
        self.sector_matrix_ = self.sector_vectorizer_.fit_transform(
            [tax.sector_text(s) for s in SECTORS]
        )
        self.suffix_regex_ = (
            re.compile(r"(?<![\w])(?:" + "|".join(tax.company_suffixes) + r")(?![\w])", re.I)
            if tax.company_suffixes
            else None
        )
        self.role_patterns_ = {
            key: [re.compile(p, re.I) for p in tax.roles[key].title_patterns]
            for key in tax.role_order
        }
        self.role_vectorizer_ = TfidfVectorizer(sublinear_tf=True, stop_words="english")
        self.role_matrix_ = self.role_vectorizer_.fit_transform(
            [tax.role_text(k) for k in tax.role_order]
        )
        return self

    def _check(self) -> None:
        if not hasattr(self, "taxonomy_"):
            raise NotFittedError("PostingAnalyzer is not fitted; call fit() first")

    # -- public API --
    def analyze(self, posting: PostingText) -> Analysis:
        return self.analyze_many([posting])[0]

    def analyze_many(self, postings: Sequence[PostingText]) -> list[Analysis]:
        self._check()
        cleaned = [clean_text(p.description) for p in postings]
        evidence = [self._sector_evidence(p, c) for p, c in zip(postings, cleaned, strict=True)]
        raws = [e.raw for e in evidence]
        if self.aggregate_employers:
            groups: dict[str, list[int]] = defaultdict(list)
            for i, p in enumerate(postings):
                key = norm_company(p.company)
                if key:
                    groups[key].append(i)
            for idx in groups.values():
                if len(idx) > 1:
                    mean = np.mean([evidence[i].raw for i in idx], axis=0)
                    for i in idx:
                        raws[i] = mean
        return [
            self._analysis(p, c, raw, ev)
            for p, c, raw, ev in zip(postings, cleaned, raws, evidence, strict=True)
        ]

    def extract_skills(self, text: str) -> list[str]:
        self._check()
        return self.skills_.extract(text)

    # -- internals --
    def _analysis(
        self, p: PostingText, text: str, raw: np.ndarray, ev: _SectorEvidence
    ) -> Analysis:
        intern = detect_internship(p, text)
        probs = _softmax(raw)
        best = int(np.argmax(raw))
        sector = SECTORS[best]
        skills = self.skills_.extract(f"{p.title}\n{text}")
        title = one_line(p.title or "")
        seniority = (
            None if (intern.is_internship and intern.title_level) else title_seniority(title)
        )
        return Analysis(
            is_internship=intern.is_internship,
            internship_evidence=intern.evidence,
            sector=sector,
            sector_scores={s: round(float(v), 4) for s, v in zip(SECTORS, probs, strict=True)},
            role=self._role(title, text, skills),
            skills=skills,
            seniority=seniority,
            years_required=years_required(text),
            sector_evidence=self._sector_reason(sector, ev),
        )

    def _sector_evidence(self, p: PostingText, text: str) -> _SectorEvidence:
        w = self.sector_weights_
        tax = self.taxonomy_
        body = strip_boilerplate(text)
        name = one_line(p.company or "")
        raw = np.array([tax.sectors[s].prior for s in SECTORS], dtype=float)
        cues: dict[str, list[str]] = defaultdict(list)
        for i, s in enumerate(SECTORS):
            for kind in _CUE_KINDS:
                rx = self.cue_regex_[(s, kind)]
                target = name if "name" in kind else body
                if rx is None or not target:
                    continue
                counts, phrases = _cue_hits(rx, target)
                if "name" in kind:
                    # One name cue is enough; several ("Bank ... Financial") add nothing new.
                    raw[i] += w[kind] * tax.sectors[s].name_weight * (1.0 if counts else 0.0)
                else:
                    raw[i] += w[kind] * sum(math.log1p(c) for c in counts.values())
                if kind != "weak_text_cues":
                    cues[s].extend(phrases)
        if body:
            sims = (self.sector_vectorizer_.transform([body]) @ self.sector_matrix_.T).toarray()[0]
            raw += w["tfidf"] * (sims - sims.mean())
        hint = (p.sector_hint or "").strip().casefold()
        hint = tax.hint_aliases.get(hint, hint)
        if hint in SECTORS:
            raw[SECTORS.index(hint)] += w["hint"]
            cues[hint].insert(0, f"source: {hint}")
        if name and self.suffix_regex_ is not None and self.suffix_regex_.search(name):
            raw[SECTORS.index("nonprofit")] -= w["company_suffix"]
            raw[SECTORS.index("research")] -= w["company_suffix"] / 2
        return _SectorEvidence(raw=raw, cues=dict(cues))

    @staticmethod
    def _sector_reason(sector: str, ev: _SectorEvidence) -> str:
        seen = ev.cues.get(sector, [])
        if not seen:
            return "no specific cue (default)" if sector == "tech" else ""
        uniq = list(dict.fromkeys(seen))[:4]
        return ", ".join(uniq)

    def _role(self, title: str, text: str, skills: list[str]) -> str:
        tax = self.taxonomy_
        ml_skills = sum(1 for s in skills if tax.skill_group(s) in _ML_GROUPS)
        for key in tax.role_order:
            pats = self.role_patterns_[key]
            if not pats or not any(rx.search(title) for rx in pats):
                continue
            if key == "software":
                if _NON_SOFTWARE_ENGINEERING.search(title) and not re.search(
                    r"software|developer|programmer|\bswe\b|\bsde\b", title, re.I
                ):
                    return "other"
                # The guide's "software engineering intern with AI projects".
                return "software_ai" if ml_skills >= 3 else "software"
            return key
        if ml_skills >= 3 and text:
            # Generic title ("Summer Intern"): let the description's vocabulary decide.
            sims = (self.role_vectorizer_.transform([text]) @ self.role_matrix_.T).toarray()[0]
            best = int(np.argmax(sims))
            if sims[best] > 0:
                return tax.role_order[best]
        return "other"
