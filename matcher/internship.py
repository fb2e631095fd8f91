"""Internship detection: is a posting an internship (co-op, apprenticeship, student job...),
with the evidence that says so. Rules only, read from the title, the source's employment type,
terms and the description."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .features import title_seniority
from .models import PostingText
from .text import clean_text, lowercase, one_line, split_alternatives

# --- internship detection -----------------------------------------------------------------------
#
# Evidence, strongest first: the title names a student position (intern, co-op, apprentice,
# working student, placement, non-English words for internship...); the source's employment type
# says so; otherwise weaker evidence (a season-and-year term in the title, the posting's terms,
# the description) counts unless the title says the job is a new-grad/early-career/full-time
# role or senior. "intern" must end at a word boundary: Internal, International, Internally,
# Internist are not internships. Each title pattern is (label shown as evidence, regex).
_STRONG_TITLE = tuple(
    (label, re.compile(rx, re.I))
    for label, rx in (
        # "Intership" and "Internee" are common spellings in real postings.
        ("intern", r"\bintern(?:s|ship|ships|ees?)?\b|\binterships?\b"),
        ("winternship", r"\bwinternships?\b"),
        ("externship", r"\bextern(?:s|ship|ships)?\b"),
        ("returnship", r"\breturnships?\b"),
        (
            "co-op",
            r"\bco[- ]?op(?:s)?\b|\bcoop\b"
            r"|\bco-?operative (?:education|ed|students?|work|placements?|programs?|term)\b"
            r"|\bwork[- ]terms?\b|\bprofessional experience year\b"
            r"|\bwork[- ]integrated learning\b",
        ),
        ("apprenticeship", r"\bapprentice(?:s|ship|ships)?\b"),
        # A supervised placement for course credit (counselling, social work, health, IT).
        ("practicum", r"\bpracticums?\b"),
        (
            "summer student role",
            r"\bsummer (?:analysts?|associates?|scholars?|fellows?|students?|undergraduates?"
            r"|research(?:ers?)? (?:program|assistant)|engineering program|program(?:me)?"
            r"|hires?|clerk(?:s|ships?)?|law clerks?|trainees?|placements?|work ?terms?"
            r"|vacation)\b",
        ),
        (
            # Banking/consulting/law intern titles with the business line or the year between
            # ("Summer Technology Analyst", "Summer 2026 Associate"), and the off-season ones
            # ("Winter Analyst", "Off-Cycle Analyst"). A retail or camp word in between is a
            # seasonal job, not a student one; a trailing "Associate Software Engineer" is the
            # new-grad title, so "associate" must end the role.
            "seasonal analyst/associate",
            r"\bsummer\s+(?:(?:'|20)?\d{2}\s+)?(?:(?!(?:sales|retail|store|warehouse|seasonal"
            r"|camp|guest|customer|delivery|pool|park|cashier|service|shop|floor|team)\b)"
            r"[\w&/.'-]+\s+){0,3}?"
            r"(?:analysts?|trainees?|scholars?|associates?(?=\s*(?:$|[-–,:(|/)]|program)))\b"
            r"|\b(?:winter|off[- ]?cycle)\s+(?:(?:'|20)?\d{2}\s+)?(?:analysts?|associates?)\b",
        ),
        (
            "vacation programme",
            r"\bvacation (?:scheme|students?|program(?:me)?|placements?|internships?"
            r"|clerk(?:s|ships?)?|work)\b|\bvacationers?\b",
        ),
        (
            "student role",
            r"\b(?:student|undergraduate|undergrad)\s+(?:trainee|worker|researcher|summer"
            r"|research(?:er)?|assistant|employee|analyst|developer|engineer"
            r"|programmer|technician|associate|aide|position|program|fellow"
            r"|job|scholar|intern|hire|consultant|ambassador|software|data)"
            r"|\b(?:freshman|freshmen|sophomores?|penultimate[- ]year|pre-final[- ]year)\b"
            r"|\b(?:first|second|1st|2nd)[- ]year (?:students?|undergrad\w*)\b"
            # US idiom for a student about to enter that year ("Rising Juniors Program").
            r"|\brising (?:freshm[ae]n|sophomores?|juniors?|seniors?"
            r"|(?:second|third|fourth|final|2nd|3rd|4th)[- ]years?)\b"
            r"|\bwork[- ]study\b|\bstudent (?:application|placement|trainee)s?\b"
            r"|\bcampus (?:ambassadors?|reps?|representatives?)\b"
            # NSF's Research Experiences for Undergraduates (summer research for students).
            r"|\bresearch experiences? for undergrad\w*|\breu\b"
            r"|^students?\s*[-–(|,:]",
        ),
        (
            "graduate student role",
            r"\b(?:graduate|phd|ph\.d\.|doctoral|master'?s|ms|msc)\s+"
            r"(?:students?|research(?:er)? assistant|researcher intern"
            r"|fellow(?:ship)?|student researcher)\b"
            r"|\bgraduate (?:teaching assistant|(?:teaching |research )?assistantship)s?\b"
            r"|\b(?:master'?s?|bachelor'?s?|diploma|phd) thes[ie]s\b"
            r"|\bthesis (?:students?|positions?|projects?|work|candidates?)\b",
        ),
        (
            "working student",
            r"\bworking students?\b|\bwerkstudent\w*|\bwerkstudierende\b"
            r"|\bstudentische (?:hilfskraft|aushilfe|mitarbeit\w*)\b|\bhiwi\b",
        ),
        (
            "internship (non-English title)",
            r"praktika?nt(?:in|en)?\b|praktikum\b|\bpraxissemester\b"
            r"|\b(?:bachelor|master|abschluss)arbeit\b|\bstagiai?re?s?\b|\bafstudeer\w*"
            r"|\bstage (?:de|d'|en|fin|h/f|f/h|m/f|f/m)\b|\balternan(?:ce|t|te)\b"
            r"|\bbecari[oa]s?\b|\bestagi[aá]ri[oa]s?\b|\best[aá]gios?\b|\bpasant[eí]as?\b"
            r"|\bpracticantes?\b|\btirocin(?:io|ante)\b|\bpr[aá]cticas\b|\bstagista\b"
            r"|\bpraktykant\w*|\bsta[zż]ysta\b|\bjovem aprendiz\b"
            # Apprenticeships and dual study (fr, de, es/pt), student jobs and thesis work
            # (nordic, fi, hu, ro, tr, ru, id, vi, th).
            r"|\bapprenti(?:e|es|s)?\b|\bapprentissage\b|\baprendiz(?:es|a)?\b"
            r"|\bausbildung\b|\bauszubildende[rn]?\b|\bazubis?\b"
            r"|\bdual(?:es|er|en)? (?:studium|student\w*)\b"
            r"|\bexamensarbete\b|\bpraktik(?:plads|stilling)?\b|\bharjoittelij\w*"
            r"|\bgyakornok\w*|\bstagiar\w*|\bstajyer\b|\bстаж[её]р\w*|\bстажировк\w*"
            r"|\bпрактикант\w*|\bmagang\b|\bthực tập\b|ฝึกงาน"
            r"|インターン|实习|實習|인턴",
        ),
        (
            "placement",
            r"\b(?:placement year|industrial placement|year in industry"
            r"|sandwich (?:year|placement)|placement students?|year-long placement"
            r"|industrial trainee|placement (?:programme|program|scheme))\b"
            r"|\b(?:summer|12[- ]month|year[- ]long|industrial|work) placements?\b",
        ),
        (
            "student programme",
            r"\binsight (?:days?|weeks?|program(?:me)?s?|events?)\b|\bspring (?:weeks?|insights?)\b"
            r"|\bearly insights?\b"
            r"|\bsneak peek\b|\bdiscovery (?:days?|weeks?)\b",
        ),
        (
            "for students",
            r"(?:\bfor\b|[-(,|:])\s*(?:university |college |high[- ]school |current |"
            r"undergraduate |graduate )?students\b|\bpart[- ]time students?\b"
            r"|\bstudent (?:opportunit|opening)|[(\[]\s*students?\s*[)\]]"
            # "Software Engineer - Undergraduate": the audience as a title segment.
            r"|(?:^|[-(|,:/]\s*)undergrad(?:uate)?s?(?:[- ]level)?\s*(?:$|[-)|,:/])",
        ),
        (
            "residency (tech)",
            r"\b(?:software|engineering|developer|development|ai|ml|machine learning|research|phd"
            r"|tech(?:nology)?|product|design|data science)\s+residency\b",
        ),
    )
)
# Case-sensitive: "Intern"/"Internship" glued to other words ("DataIntern", "Intern2025",
# "InternshipProgram"), an acronym (PEY: Canada's 12-16 month co-op year), and "Stage" or
# "Placement" as a whole title segment ("Placement, Client Service", "Marketing - STAGE";
# "Stage Manager", "Job Placement Specialist" are not).
_GLUED_TITLE = re.compile(
    r"(?:(?<=[a-z])Intern(?:ship)?s?(?![a-z])|\b[Ii]ntern(?:ship)?s?(?=[A-Z0-9_])"
    r"|\bINTERN(?:SHIP)?S?(?=\d)|\bPEY\b)"
    r"|(?:^|[-–(|,:/]\s*)(?:[Ss]tage|STAGE|[Pp]lacement|PLACEMENT)\s*(?:$|[-–)|,:/])"
)
# A co-operative (a shop, a bank...) named in the title is not a co-op term.
_COOP_EMPLOYER = re.compile(
    r"\b(?:food|grocery|housing|credit|electric|farm(?:ers)?|retail|agricultural|worker|energy"
    r"|natural foods|community)\s+co-?op\b",
    re.I,
)
# Weaker: true only when the title doesn't say "new grad", "senior"... and no full-time type.
_TITLE_TERM = re.compile(
    r"\b(?:summer|fall|autumn|winter|spring)\s*[-/]?\s*(?:term\s*)?(?:'|20)?\d{2}\b"
    r"|\b20\d{2}\s*[-/]?\s*(?:summer|fall|autumn|winter|spring)\b"
    r"|\b(?:summer|fall|winter|spring) (?:program|scholars?|fellowship)\b"
    r"|\bsummer (?:jobs?|positions?|roles?|work|employment)\b"
    # A summer programme with its field between ("Summer Technology Program"), a ten- or
    # twelve-week programme, and off-cycle (banking's name for an out-of-season internship).
    r"|\bsummer (?:(?!(?:camp|retail|sales|store|seasonal|guest|youth|meal|reading|day)\b)"
    r"[\w&/-]+ ){1,3}program(?:me)?s?\b"
    # "Summer Software Engineer", "Summer Research Scientist": full-time roles do not begin
    # with the season.
    r"|\bsummer (?:(?!(?:camp|retail|sales|store|seasonal|guest|youth|pool|park|team)\b)"
    r"[\w&/-]+ ){0,2}(?:engineers?|developers?|scientists?|researchers?|designers?"
    r"|technologists?|programmers?|consultants?)\b"
    r"|\b(?:[4-9]|1[0-6])[- ]weeks? (?:summer |paid |immersive )?program(?:me)?s?\b"
    r"|\boff[- ]?cycle (?:(?!payroll|pay|payments?|run|checks?)[\w&/-]+ ){0,2}"
    r"(?:engineer|developer|analyst|associate|trader|researcher|scientist|program(?:me)?)s?\b"
    # Canadian co-op terms ("Jan-Apr", "May-Aug", "Sept-Dec") and summer-only dates.
    r"|\b(?:jan(?:uary)?|may|sep(?:t(?:ember)?)?)\s*(?:-|–|to)\s*"
    r"(?:apr(?:il)?|aug(?:ust)?|dec(?:ember)?)\b"
    r"|\b(?:may|june?|july?)\s*\d{0,2}\s*(?:-|–|to)\s*(?:july?|aug(?:ust)?)\b"
    # A season alone as a title segment ("Data Analyst - Summer", "(Fall)"); not the town of
    # Spring, Texas.
    r"|(?:^|[-–(|,:/]\s*)(?:summer|fall|autumn|winter|spring|off[- ]?cycle)"
    r"(?: term| semester| session)?"
    r"\s*(?:$|[-–)|:/]|,(?!\s*(?:tx|texas)\b))",
    re.I,
)
_FELLOWSHIP = re.compile(r"\bfellow(?:ship)?s?\b", re.I)
_FELLOWSHIP_STUDENT = re.compile(
    r"\b(?:students?|undergraduates?|graduate|phd|summer|university|campus|college|academy"
    r"|[123]l|law school)\b",
    re.I,
)
_NOT_STUDENT_FELLOW = re.compile(
    r"\bpost-?doc|\bsenior\b|\bdistinguished\b|\bresearch fellow\b", re.I
)
# A staff job about interns ("Intern Program Manager", "Manager, Internships") is not one.
_STAFF_OF_INTERNS = re.compile(
    r"\b(?:intern(?:ship)?s?|co-?op|early talent|campus|student|university|placement"
    r"|apprentice(?:ship)?s?|practicum|reu|(?:summer|winter)(?: analyst| associate)?)\s+"
    r"(?:program\s+|programs\s+|relations\s+|recruiting\s+|success\s+|services\s+)?"
    r"(?:manager|coordinator|recruiter|director|lead|specialist|partner|advisor"
    r"|adviser|supervisor|administrator|officer|counselor|dean)\b"
    r"|\b(?:manager|coordinator|recruiter|director|head|supervisor|lead|dean|advis[eo]r"
    r"|counsell?or)\b[^,;]{0,25}"
    r"\b(?:of|for)\s+(?:the\s+)?(?:intern(?:ship)?s?|co-?ops?|apprentice(?:ship)?s?"
    r"|students|placements?)\b"
    r"|\b(?:recruiter|coordinator|program manager|director|head)\b[^,;]{0,15}[,(-]\s*"
    r"(?:summer\s+)?"
    r"(?:interns|internships|intern program|apprentices|apprenticeships|co-?op program)\b"
    r"|\bstudent (?:success|services|affairs|support|safety|life|experience|engagement"
    r"|recruitment|loans?|housing|accounts)\b",
    re.I,
)
# Right after a student programme's words, a staff title makes the job one running it
# ("Undergraduate Program Coordinator", "Insight Program Manager", "REU Site Director").
_STAFF_AFTER = re.compile(
    r"\w*(?:\s+(?:program(?:me)?s?|scheme|site|events?|relations|recruiting|outreach|operations"
    r"|office))*\s+(?:assistant\s+)?(?:manager|coordinator|recruiter|director|specialist"
    r"|advis[eo]r|administrator|officer|liaison|supervisor|counsell?or|dean)s?\b",
    re.I,
)


def _staff_after(title: str, end: int) -> bool:
    return _STAFF_AFTER.match(title, end) is not None


_EARLY_CAREER_FULL_TIME = re.compile(
    r"\bnew[- ]?grad(?:uate)?s?\b|\bnew college grad|\brecent (?:college |university )?grad"
    r"|\bearly[- ]career\b|\b(?:university|college) grad(?:uate)?s?\b|\bentry[- ]level\b"
    r"|\bgraduate (?:program|scheme|engineer|developer|analyst|software|data|trainee|role|hire)"
    r"|\bgrad(?:uate)? (?:20)?\d{2}\b|\b(?:20)?\d{2} grad(?:uate)?s?\b|\bjunior\b|\bjr\.?\b"
    r"|\bfull[- ]time\b|\bpermanent\b|\brotational program\b|\brotation program\b"
    r"|\bassociates?\b|\bdevelopment program(?:me)?\b|\bpost-?doc|\bncg\b"
    r"|\b(?:20)?\d{2} start\b|\bstart(?:ing)? (?:in |date:? )?(?:(?:summer|fall|autumn|winter"
    r"|spring|january|february|march|april|may|june|july|august|september|october|november"
    r"|december) )?(?:of )?20\d{2}\b|\bupcoming graduates\b|\bgraduates? (?:20)?\d{2}\b",
    re.I,
)
_EMPLOYMENT_INTERN = re.compile(
    r"\bintern(?:s|ship|ships)?\b|\bco-?op\b|\bapprentice(?:ship)?\b|\bstudents?\b|\btrainee\b"
    r"|\bwerkstudent\b|\bpraktikum\b|\bstagiaire\b|\bstage\b|\bplacement\b|\bwork[- ]study\b"
    r"|\bvacation\b",
    re.I,
)
# "Full-time"/"Part-time" alone say nothing (interns work full time; Workday's timeType is
# only that): only a permanent/regular type counts against an internship.
_EMPLOYMENT_PERMANENT = re.compile(r"\bpermanent\b|\bregular\b|\bindefinite\b", re.I)
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
)
# Each branch holds one of these (a cheap test first: most descriptions lack them all, and the
# regex tries its branches at every word; "intern" alone is often "international").
_DESCRIPTION_KEY = re.compile(r"intern(?:s|ship)?\b|co-?op|apprentic|enrolled")
_INTERN_WORD = re.compile(r"intern(?:s|ship)?\b")


def has_description_key(lower: str) -> bool:
    """``_DESCRIPTION_KEY.search(lower)``, found with str.find: "intern" is mostly part of
    "international" or "internal", and the regex would try every "i", "c", "a" and "e"."""
    if "apprentic" in lower or "enrolled" in lower or "coop" in lower or "co-op" in lower:
        return True
    pos = lower.find("intern")
    while pos >= 0:
        if _INTERN_WORD.match(lower, pos):
            return True
        pos = lower.find("intern", pos + 6)
    return False


_QUOTE_FOLD = str.maketrans({"\u2018": "'", "\u2019": "'", "\u2013": "-", "\u2014": "-"})


@dataclass(frozen=True)
class InternshipDecision:
    is_internship: bool
    evidence: str
    title_level: bool  # decided by the title alone (then title seniority is not read)


def _union(patterns: Sequence[str]) -> str:
    """One alternation of all patterns with the branches that start with ``\\b`` put under a
    single ``\\b``: re tries every branch at every position, and most positions are inside a
    word, so this makes the search several times faster (same matches)."""
    at_word: list[str] = []
    other: list[str] = []
    for pattern in patterns:
        for alt in split_alternatives(pattern):
            (at_word if alt.startswith("\\b") else other).append(alt.removeprefix("\\b"))
    return "|".join([r"\b(?:" + "|".join(at_word) + ")", *other] if at_word else other)


# All of them in one regex (one search per title instead of one per pattern).
_ANY_STRONG_TITLE = re.compile(_union([rx.pattern for _, rx in _STRONG_TITLE]), re.I)


def _strong_title(title: str) -> str | None:
    """Evidence text when the title names a student position, "" when it only names one
    in a staff title running it, else None."""
    if not _ANY_STRONG_TITLE.search(title):
        m = _GLUED_TITLE.search(title)
        return f'title says "{m.group(0).strip(" -–(|,:/)")}"' if m else None
    staff = False
    for label, rx in _STRONG_TITLE:
        matches = list(rx.finditer(title))
        if not matches or (label == "co-op" and _COOP_EMPLOYER.search(title)):
            continue
        m = next((x for x in matches if not _staff_after(title, x.end())), None)
        if m is None:
            staff = True
            continue
        start = m.start()
        while start > 0 and title[start - 1].isalnum():  # "Pflicht|praktikum"
            start -= 1
        said = title[start : m.end()].strip()
        extra = "" if said.lower().startswith(label) else f" ({label})"
        return f'title says "{said}"{extra}'
    m = _GLUED_TITLE.search(title)
    if m:
        return f'title says "{m.group(0).strip(" -–(|,:/)")}"'
    return "" if staff else None


# After a programme's name, these make the title a staff job running it.
_PROGRAM_STAFF = (
    r"(?:\s+program(?:me)?)?\s+(?:manager|coordinator|recruiter|director|lead|specialist"
    r"|partner|advisor|adviser|administrator|officer|liaison)\b"
)


def program_regex(names: Sequence[str]) -> re.Pattern[str] | None:
    """One case-insensitive regex for titles naming any of the student programmes ``names``
    (whole words; a space or hyphen in a name matches either), not as a staff job running
    one; None when there are none."""
    alts = sorted(
        {
            r"[\s-]+".join(map(re.escape, re.split(r"[\s-]+", n.strip())))
            for n in names
            if n.strip()
        },
        key=lambda a: (-len(a), a),
    )
    if not alts:
        return None
    return re.compile(rf"(?<!\w)(?:{'|'.join(alts)})(?!\w)(?!{_PROGRAM_STAFF})", re.I)


def detect_internship(
    p: PostingText,
    description: str | None = None,
    programs: re.Pattern[str] | None = None,
    lower: str | None = None,
) -> InternshipDecision:
    """Is the posting an internship (or co-op, apprenticeship, student job)? With evidence.

    ``programs`` (see :func:`program_regex`) finds student programmes named in the title;
    ``lower`` is ``lowercase(description)`` when the caller has it already."""
    # "_" is a word character: "Strategist_Internship" would hide the word from \b patterns.
    title = one_line((p.title or "").replace("_", " ")).translate(_QUOTE_FOLD)
    if _STAFF_OF_INTERNS.search(title):
        return InternshipDecision(False, f'title "{title}" is a staff job about interns', True)
    strong = _strong_title(title)
    if strong:
        return InternshipDecision(True, strong, True)
    if strong == "":
        return InternshipDecision(
            False, f'title "{title}" is a staff job running a programme', True
        )
    named = programs.search(title) if programs is not None else None
    if named:
        # Not decided by the title level: a senior title still counts against it.
        return InternshipDecision(True, f'title names a student programme "{named[0]}"', False)
    fellow = _FELLOWSHIP.search(title)
    student_fellowship = bool(
        fellow
        and _FELLOWSHIP_STUDENT.search(title)
        and not _NOT_STUDENT_FELLOW.search(title)
        and not _staff_after(title, fellow.end())
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
    if senior or (etype and _EMPLOYMENT_PERMANENT.search(etype)):
        return InternshipDecision(False, "", False)
    if student_fellowship:
        return InternshipDecision(True, f'title says "{title}" (student fellowship)', True)
    m = _TITLE_TERM.search(title)
    if m and not _staff_after(title, m.end()):
        return InternshipDecision(True, f'title names a student term "{m.group(0)}"', True)
    for term in p.terms:
        if _TERM.search(term or ""):
            return InternshipDecision(True, f'internship term "{one_line(term)}"', False)
    if p.source_kind and re.search(r"intern|co-?op|student", p.source_kind, re.I):
        return InternshipDecision(True, f'source lists internships ("{p.source_kind}")', False)
    text = clean_text(p.description) if description is None else description
    if lower is None or description is None:
        lower = lowercase(text)
    if has_description_key(lower):
        m = _DESCRIPTION_INTERN.search(lower)
        if m:
            said = one_line(text[m.start() : m.end()])
            return InternshipDecision(True, f'description says "{said}"', False)
    return InternshipDecision(False, "", False)


# --- entry-level (new-graduate) roles ---------------------------------------------------------
#
# For profiles that also want full-time jobs open to new graduates (graduating students, career
# changers): a role is entry level when its title says so ("New Grad", "Entry Level", "Junior",
# "Associate Software Engineer", "Software Engineer I"), or it asks for at most a year of
# experience, or its description calls it entry level. Never with a senior title, a level above
# one ("Engineer II") or two or more years asked.
_ENTRY_TITLE = re.compile(
    r"\bnew[- ]?grad(?:uate)?s?\b|\bnew college grad|\brecent (?:college |university )?grad"
    r"|\bearly[- ]career\b|\b(?:university|college) grad(?:uate)?s?\b|\bentry[- ]level\b"
    r"|\bgraduate (?:program(?:me)?|scheme|engineer|developer|analyst|scientist|software|data"
    r"|trainee|role|hire)s?\b|\bgrad(?:uate)? (?:20)?\d{2}\b|\b(?:20)?\d{2} grad(?:uate)?s?\b"
    r"|\bupcoming graduates\b|\bjunior\b|\bjr\.?(?!\w)|\bncg\b"
    r"|\b(?:rotational|rotation|(?:leadership )?development) program(?:me)?s?\b"
    r"|\bassociate (?:software|data|machine learning|ml|ai|product|cloud|analytics|research"
    r"|quantitative|engineer|developer|analyst|scientist|consultant|programmer)\b",
    re.I,
)
# "Software Engineer I" / "Data Analyst 1" (case-sensitive "I": not the pronoun "i").
_LEVEL_ONE = re.compile(
    r"(?i:\b(?:engineer|developer|analyst|scientist|programmer|specialist|associate|technician"
    r"|consultant|administrator))[\s,-]+(?:I|1)(?![\w.&/'])"
)
_ABOVE_LEVEL_ONE = re.compile(r"\b(?:II|III|IV|V)\b|\b(?i:level)\s*[2-9]\b|\w\s+[2-5]$")
_ENTRY_TEXT = re.compile(
    r"\bentry[- ]level (?:position|role|job|opportunit(?:y|ies)|candidates?|applicants?)\b"
    r"|\bthis is an? entry[- ]level\b"
)


def entry_level_evidence(title: str, lower: str = "", years: int | None = None) -> str | None:
    """Why a (full-time, not senior) posting is open to new graduates, or None. ``lower`` is
    the lowercased description, ``years`` the experience it asks for."""
    if years is not None and years >= 2:
        return None
    title = one_line(title.replace("_", " ")).translate(_QUOTE_FOLD)
    if _ABOVE_LEVEL_ONE.search(title):
        return None
    m = _ENTRY_TITLE.search(title) or _LEVEL_ONE.search(title)
    if m:
        return f'title says "{m.group(0).strip()}"'
    if years is not None:
        return "asks for at most a year of experience"
    # (A substring test first: the regex would try every word of the text.)
    if "entry" in lower and (m := _ENTRY_TEXT.search(lower)):
        return f'description says "{m.group(0)}"'
    return None


def is_internship_title(title: str) -> bool:
    """Title-only internship detection (what the title benchmark measures)."""
    return detect_internship(PostingText(title=title)).is_internship
