"""Text clean-up shared by the analyzer and the scorer."""

from __future__ import annotations

import html
import re
import unicodedata

from .models import PostingText

_TAG = re.compile(r"<[^>]{0,2000}>")
_BLOCK_TAG = re.compile(r"</?(?:p|div|br|li|ul|ol|h\d|tr|td|table|section)\b[^>]*>", re.I)
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")
_SPACES = dict.fromkeys(map(ord, "\u00a0\u2007\u202f\u200b\u2009\u200a\u3000"), " ")
_QUOTES = {ord("\u2018"): "'", ord("\u2019"): "'", ord("\u201c"): '"', ord("\u201d"): '"'}


def clean_text(text: str | None) -> str:
    """Plain text from possibly HTML (or HTML-escaped HTML) text, one space between words.

    Line breaks survive as "\\n" because they separate list items (skills lists, bullets).
    """
    if not text:
        return ""
    s = text
    for _ in range(2):  # Greenhouse-style content is HTML escaped once more
        if "&lt;" in s or "&amp;" in s or "&#" in s or "&nbsp;" in s:
            s = html.unescape(s)
    if "<" in s:
        s = _BLOCK_TAG.sub("\n", s)
        s = _TAG.sub(" ", s)
    s = unicodedata.normalize("NFKC", s).translate(_DASHES).translate(_SPACES).translate(_QUOTES)
    s = re.sub(r"[ \t\r\f\v]+", " ", s)
    s = re.sub(r" ?\n[ \n]*", "\n", s)
    return s.strip()


def one_line(text: str) -> str:
    return " ".join(text.split())


# Benefits and equal-opportunity paragraphs mention insurance, health, veterans, government
# contracts... in every posting whatever the employer; they would drown the sector evidence.
_BOILERPLATE = re.compile(
    r"equal (?:employment )?opportunit|without regard to|regardless of (?:race|age)|"
    r"\b(?:dental|vision|401\s?\(?k\)?|paid time off|pto|parental leave|tuition)\b|"
    r"(?:health|medical|life|disability) insurance|benefits? (?:package|include|program)|"
    r"(?:protected|veteran) status|affirmative action|reasonable accommodation|"
    r"\bdisabilit(?:y|ies)\b|e-?verify|sexual orientation|gender identity|"
    r"drug[- ]free|background check|pay transparency|salary range|compensation range|"
    r"\$\s?\d{2,3}(?:,\d{3}|k)|privacy (?:policy|notice)|cookies",
    re.I,
)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?;])\s+|\n+")


def strip_boilerplate(text: str) -> str:
    """Drop sentences/lines about benefits, pay and equal-opportunity statements."""
    parts = _SENTENCE_SPLIT.split(text)
    return "\n".join(p for p in parts if p and not _BOILERPLATE.search(p))


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
