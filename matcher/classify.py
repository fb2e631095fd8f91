"""Posting classification: internship or not (internship.py), employer sector (sectors.py),
role category, skills (features.py), seniority.

Everything is rule- and taxonomy-driven (no labelled training data): the rules are the
taxonomy's cues and the patterns below, and "fit" only compiles them and fits the TF-IDF
vocabularies of the sector and role descriptions.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import TfidfVectorizer

from .features import SkillExtractor, title_seniority, years_required
from .internship import detect_internship, entry_level_evidence, program_regex
from .models import Analysis, PostingText
from .parallel import map_index_chunks, paused_gc, worker_count
from .requirements import MARKER_SCAN
from .sectors import SectorClassifier, SectorEvidence
from .taxonomy import Taxonomy, load_taxonomy
from .text import (
    BOILERPLATE_SCAN,
    clean_text,
    lowercase,
    norm_company,
    one_line,
    strip_boilerplate_pair,
)

# -- worker processes (PostingAnalyzer.n_jobs) --
_WORKER: list[PostingAnalyzer] = []


def _init_worker(analyzer: PostingAnalyzer) -> None:
    _WORKER[:] = [analyzer]


def _work(postings: list[PostingText]) -> list[Analysis]:
    return _WORKER[0]._analyze_pooled(postings)


def _employer_chunks(postings: Sequence[PostingText], size: int) -> list[list[int]]:
    """Indices in chunks of about ``size`` that never split an employer's postings."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(postings):
        groups[norm_company(p.company) or f"#{i}"].append(i)
    chunks: list[list[int]] = [[]]
    for idx in groups.values():
        if len(chunks[-1]) >= size:
            chunks.append([])
        chunks[-1].extend(idx)
    return [c for c in chunks if c]


# --- roles ----------------------------------------------------------------------------------------

_ML_GROUPS = frozenset({"ml_frameworks", "ml_concepts", "llm_nlp", "vision_robotics", "mlops"})
_NON_SOFTWARE_ENGINEERING = re.compile(
    r"\b(?:mechanical|electrical|civil|chemical|manufacturing|industrial|hardware|rf|aerospace"
    r"|structural|process|quality|field|sales|biomedical|materials|environmental|nuclear"
    r"|petroleum|mining|packaging|facilities|construction|optical|thermal|propulsion|avionics"
    r"|supplier|test(?:ing)? technician|validation|reliability|design engineer)\b",
    re.I,
)

# An analyst whose title names another trade (security, finance, compliance, support...) and
# no data work is not a data/business-analytics role.
_NON_DATA_ANALYST = re.compile(
    r"\b(?:security|cyber\w*|soc|threat|incident|vulnerability|fraud|financial|finance|fp&a"
    r"|treasury|payroll|invest\w*|credit|trading|equity|banking|m&a|actuarial|underwriting"
    r"|tax|audit|accounting|ap|ar|compliance|legal|policy|regulatory|support|help ?desk"
    r"|service desk|structural|stress|quality assurance|qa|deal desk|intelligence"
    r"|(?:summer|winter|off[- ]?cycle) analyst)\b",
    re.I,
)
_DATA_ANALYST = re.compile(
    r"\bdata\b|analytics|business intelligence|\bbi\b|insights?|reporting|business analyst"
    r"|\bsql\b|tableau|power ?bi|metrics|statistic|forecast|product analyst",
    re.I,
)


# A title whose work is a business function (selling, marketing, managing a product, law,
# tutoring...) is not an engineering or science role because its subject is AI, the cloud or
# automation ("AI Product Manager", "Cloud Sales Intern", "Marketing Automation Intern"),
# unless it also names a technical job ("Customer Engineer, AI", "Applied Scientist, Growth";
# a sales engineer sells).
_BUSINESS_WORK = re.compile(
    r"\b(?:product (?:manag\w*|marketing|owner|lead|strategy)|program manag\w*|project manag\w*"
    r"|sales|account (?:executive|manager|lead|director)|business development|partnerships?"
    r"|marketing|seo|content (?:strateg\w*|writ\w*|market\w*|creat\w*|develop\w*|design\w*"
    r"|manag\w*|produc\w*|specialist)|copywrit\w*|writer|writing|editor\w*|public relations"
    r"|recruit\w*|talent|counsel|legal|attorney|paralegal|lawyer|policy(?! (?:learning|gradient))"
    r"|tutors?|trainers?|teach\w*|instructor|designer|(?:web|graphic|visual|product|ux|ui|game)"
    r" design|strateg(?:y|ist)|consult\w*"
    r"|customer success|enablement|evangelist|annotat\w*|labell?(?:er|ing))\b",
    re.I,
)
_TECHNICAL_JOB = re.compile(
    r"\b(?:(?<!sales )engineer\w*|developer|scientist|data science|researcher|programmer"
    r"|architect|mlops|coder|quant\w*)\b",
    re.I,
)
_BY_SUBJECT = frozenset(
    {"ml_engineering", "data_science", "analytics_engineering", "cloud_ai", "automation",
     "data_engineering", "software"}
)  # fmt: skip


def _business_work(title: str) -> bool:
    """The title names a business function and no technical job (see _BUSINESS_WORK)."""
    return bool(_BUSINESS_WORK.search(title)) and not _TECHNICAL_JOB.search(title)


class PostingAnalyzer:
    """Classifies postings (sklearn conventions: params in __init__, state in ``*_``).

    ``aggregate_employers``: in :meth:`analyze_many`, postings of one employer (same normalised
    company name) share their sector evidence, so a posting with little "About us" text still
    gets its employer's sector.

    ``n_jobs``: worker processes for :meth:`analyze_many` on large batches (at least
    ``PARALLEL_MIN`` postings); None or 1 analyses in this process, -1 uses every CPU. Results
    are identical either way (employer pooling is done over the whole batch).
    """

    PARALLEL_MIN = 1000
    # Postings per worker task at most: the workers finish within about one small task of
    # each other (a few big tasks left one worker idle for seconds at the end of a batch).
    CHUNK_MAX = 1000
    PREFILTER_MIN = 20_000  # postings; compiling the prefilters takes about a second

    def __init__(
        self,
        taxonomy: Taxonomy | None = None,
        sector_weights: dict[str, float] | None = None,
        aggregate_employers: bool = True,
        n_jobs: int | None = None,
    ) -> None:
        self.taxonomy = taxonomy
        self.sector_weights = sector_weights
        self.aggregate_employers = aggregate_employers
        self.n_jobs = n_jobs

    # -- fitting --
    def fit(self, postings: Sequence[PostingText] | None = None) -> PostingAnalyzer:
        """Compile the taxonomy's rules and the sector TF-IDF. ``postings`` is not needed
        (accepted for pipeline symmetry; no labels are used)."""
        tax = self.taxonomy if self.taxonomy is not None else load_taxonomy()
        self.taxonomy_ = tax
        self.skills_ = SkillExtractor(tax)
        self.sectors_ = SectorClassifier(tax, self.sector_weights).fit()
        # One regex per role (None: the role has no title pattern).
        self.role_patterns_ = {
            key: re.compile("|".join(f"(?:{p})" for p in pats), re.I) if pats else None
            for key in tax.role_order
            for pats in [tax.roles[key].title_patterns]
        }
        self.programs_ = program_regex(tax.student_programs)
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
        postings = list(postings)
        if len(postings) >= self.PREFILTER_MIN:
            self.use_prefilters()  # before workers are forked, so they share the databases
        workers = worker_count(self.n_jobs, len(postings), self.PARALLEL_MIN)
        if workers <= 1:
            return self._analyze_pooled(postings)
        # Each chunk holds whole employers, so a worker pools its employers' evidence itself
        # and results do not depend on how the batch was split.
        size = min(self.CHUNK_MAX, -(-len(postings) // (workers * 4)))
        chunks = _employer_chunks(postings, size)
        parts = map_index_chunks(_work, postings, chunks, workers, _init_worker, (self,))
        out: list[Analysis | None] = [None] * len(postings)
        for idx, part in zip(chunks, parts, strict=True):
            for i, a in zip(idx, part, strict=True):
                out[i] = a
        return out  # type: ignore[return-value]

    def use_prefilters(self) -> bool:
        """Compile the Hyperscan prefilters of the phrase scans (see ``prefilter``; same
        results, faster on long texts); False if Hyperscan is not installed."""
        self._check()
        scans = (self.sectors_.text_cues_.regex, MARKER_SCAN, BOILERPLATE_SCAN)
        return all([s is not None and s.use_prefilter() for s in scans])

    def _analyze_pooled(self, postings: Sequence[PostingText]) -> list[Analysis]:
        """Analyses with employer evidence pooled over ``postings``."""
        with paused_gc():
            done = self._analyze_alone(postings)
            if not self.aggregate_employers:
                return [a for a, _ in done]
            groups: dict[str, list[int]] = defaultdict(list)
            for i, p in enumerate(postings):
                key = norm_company(p.company)
                if key:
                    groups[key].append(i)
            out = [a for a, _ in done]
            for idx in groups.values():
                if len(idx) > 1:
                    mean = np.mean([done[i][1].raw for i in idx], axis=0)
                    for i in idx:
                        # Each Analysis was made here and is not shared: set, don't copy.
                        for key, value in self.sectors_.fields(mean, done[i][1]).items():
                            setattr(out[i], key, value)
            return out

    def _analyze_alone(
        self, postings: Sequence[PostingText]
    ) -> list[tuple[Analysis, SectorEvidence]]:
        """Each posting's analysis from its own evidence only, with that evidence."""
        cleaned = [clean_text(p.description) for p in postings]
        lowered = [lowercase(c) for c in cleaned]
        pairs = [strip_boilerplate_pair(c, lo) for c, lo in zip(cleaned, lowered, strict=True)]
        evidence = [
            self.sectors_.evidence(p, body_lower, lo)
            for p, (_, body_lower), lo in zip(postings, pairs, lowered, strict=True)
        ]
        self.sectors_.add_tfidf(evidence, [body for body, _ in pairs])
        return [
            (self._analysis(p, c, lo, ev), ev)
            for p, c, lo, ev in zip(postings, cleaned, lowered, evidence, strict=True)
        ]

    def extract_skills(self, text: str) -> list[str]:
        self._check()
        return self.skills_.extract(text)

    # -- internals --
    def _analysis(self, p: PostingText, text: str, lower: str, ev: SectorEvidence) -> Analysis:
        intern = detect_internship(p, text, self.programs_, lower)
        found = self.skills_.analyze(text, head=p.title or "", lower=lower)
        title = one_line(p.title or "")
        seniority = (
            None if (intern.is_internship and intern.title_level) else title_seniority(title)
        )
        years = years_required(lower)
        entry = (
            None if intern.is_internship or seniority else entry_level_evidence(title, lower, years)
        )
        return Analysis(
            is_internship=intern.is_internship,
            internship_evidence=intern.evidence,
            role=self._role(title, text, found.skills),
            skills=found.skills,
            seniority=seniority,
            years_required=years,
            required_skills=found.required,
            preferred_skills=found.preferred,
            entry_level_evidence=entry,
            **self.sectors_.fields(ev.raw, ev),
        )

    def _role(self, title: str, text: str, skills: list[str]) -> str:
        tax = self.taxonomy_
        ml_skills = sum(1 for s in skills if tax.skill_group(s) in _ML_GROUPS)
        business = None  # worked out on the first role matched by subject
        for key in tax.role_order:
            rx = self.role_patterns_[key]
            if rx is None or not rx.search(title):
                continue
            if key in _BY_SUBJECT:
                if business is None:
                    business = _business_work(title)
                if business:
                    continue
            if key == "software":
                if _NON_SOFTWARE_ENGINEERING.search(title) and not re.search(
                    r"software|developer|programmer|\bswe\b|\bsde\b", title, re.I
                ):
                    return "other"
                # The guide's "software engineering intern with AI projects".
                return "software_ai" if ml_skills >= 3 else "software"
            if (
                key == "data_analytics"
                and _NON_DATA_ANALYST.search(title)
                and not _DATA_ANALYST.search(title)
            ):
                return "other"
            return key
        if ml_skills >= 3 and text and not (business or _business_work(title)):
            # Generic title ("Summer Intern"): let the description's vocabulary decide.
            sims = (self.role_vectorizer_.transform([text]) @ self.role_matrix_.T).toarray()[0]
            best = int(np.argmax(sims))
            if sims[best] > 0:
                return tax.role_order[best]
        return "other"
