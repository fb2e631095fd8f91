"""Pure helpers that turn what a spider extracted into a validated `PostingIn`.

Spiders only map a source's field names onto ours and keep values in the
source's own format (ISO strings, epoch numbers, escaped HTML...). Everything
that is the same for every source -- coercion, validation, cleaning -- lives
here so it is written once and unit-testable without Scrapy.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

from store.records import PostingIn

__all__ = [
    "Rejected",
    "build_posting",
    "clean_text",
    "dedupe",
    "html_to_text",
    "maybe_unescape_html",
    "normalize_workplace_type",
    "parse_date",
    "parse_datetime",
    "reason_slug",
    "replace_origin",
    "tidy_text",
]


class Rejected(ValueError):
    """A record that cannot become a posting; `slug` names the reason in stats."""

    def __init__(self, slug: str, message: str):
        super().__init__(message)
        self.slug = reason_slug(slug)
        self.message = message


def reason_slug(reason: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", reason.lower()).strip("_")
    return slug or "unknown"


# ---------------------------------------------------------------- text


_WS = re.compile(r"[ \t\r\f\v\u00a0]+")


def clean_text(value: Any) -> str | None:
    """Collapse runs of whitespace; `None` for empty or non-string values."""
    if value is None:
        return None
    if not isinstance(value, str):
        value = str(value)
    value = _WS.sub(" ", value.replace("\n", " ")).strip()
    return value or None


def maybe_unescape_html(value: str | None) -> str | None:
    """Greenhouse serves `content` HTML-escaped (`&lt;p&gt;`).

    Only unescape when the text looks escaped (no raw tags but escaped ones),
    so a mirror that already serves raw HTML isn't double-unescaped.
    """
    if not value:
        return value
    if "<" not in value and re.search(r"&lt;/?[a-zA-Z]", value):
        return html.unescape(value)
    return value


_BLOCK_TAGS = frozenset(
    {
        *("address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "fieldset"),
        *("figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6"),
        *("header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table"),
        *("tbody", "thead", "tfoot", "tr", "ul"),
    }
)


def html_to_text(markup: str | None) -> str | None:
    """Readable plain text from an HTML fragment: block elements become line
    breaks, list items get a "- " bullet, scripts and styles are removed."""
    if not markup or not markup.strip():
        return None
    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return clean_text(markup)
    etree.strip_elements(root, "script", "style", etree.Comment, with_tail=False)
    parts: list[str] = []

    def flow(text: str, in_pre: bool) -> str:
        # Source line breaks are not meaningful in HTML, except inside <pre>.
        return text if in_pre else text.replace("\n", " ")

    def walk(el: Any, in_pre: bool) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        in_pre = in_pre or tag == "pre"
        if tag == "br":
            parts.append("\n")
        elif tag in _BLOCK_TAGS:
            parts.append("\n")
            if tag == "li":
                parts.append("- ")
        if el.text:
            parts.append(flow(el.text, in_pre))
        for child in el:
            walk(child, in_pre)
            if child.tail:
                parts.append(flow(child.tail, in_pre))
        if tag in _BLOCK_TAGS:
            parts.append("\n")

    walk(root, False)
    lines = (_WS.sub(" ", line).strip() for line in "".join(parts).split("\n"))
    text = "\n".join(line for line in lines if line)
    return text or None


def tidy_text(value: Any) -> str | None:
    """Multi-line plain text with stray spaces and runs of blank lines removed
    (sources' "plain" descriptions carry `\u00a0` spacer lines)."""
    if not isinstance(value, str):
        return None
    lines = [_WS.sub(" ", line).strip() for line in value.replace("\r\n", "\n").split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return text or None


def dedupe(values: Iterable[Any]) -> list[str]:
    """Cleaned, non-empty strings, first occurrence kept (case-insensitive)."""
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        text = clean_text(value)
        if text is None:
            continue
        key = text.casefold()
        if key not in seen:
            seen.add(key)
            out.append(text)
    return out


# ---------------------------------------------------------------- dates

# Epoch values above this are milliseconds: 1e11 seconds is the year 5138,
# while 1e11 milliseconds is March 1973, before any online job board.
_EPOCH_MS_THRESHOLD = 100_000_000_000


def parse_datetime(value: Any) -> datetime | None:
    """ISO-8601 string, epoch seconds or epoch milliseconds -> aware UTC datetime.

    Naive values are taken as UTC. Unparseable values give `None` (a bad date
    is no reason to lose a posting).
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    elif isinstance(value, (int, float)):
        dt = _from_epoch(float(value))
        if dt is None:
            return None
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if re.fullmatch(r"-?\d+(\.\d+)?", text):
            return parse_datetime(float(text))
        try:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _from_epoch(number: float) -> datetime | None:
    if not math.isfinite(number) or number <= 0:
        return None
    if number >= _EPOCH_MS_THRESHOLD:
        number /= 1000.0
    try:
        return datetime.fromtimestamp(number, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def parse_date(value: Any) -> date | None:
    """A calendar date. ISO datetimes keep the date *as the source wrote it*
    (a deadline of 23:59 New York time stays that day, not the next UTC day)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        match = re.match(r"(\d{4})-(\d{2})-(\d{2})", text)
        if match and not re.fullmatch(r"\d+", text):
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                return None
    dt = parse_datetime(value)
    return dt.date() if dt else None


# ---------------------------------------------------------------- misc fields

_WORKPLACE = {
    "remote": "remote",
    "fullyremote": "remote",
    "remoteonly": "remote",
    "wfh": "remote",
    "hybrid": "hybrid",
    "onsite": "onsite",
    "inoffice": "onsite",
    "office": "onsite",
    "inperson": "onsite",
}
_REMOTE_WORD = re.compile(r"\bremote\b", re.IGNORECASE)


def normalize_workplace_type(value: Any, locations: Iterable[str] = ()) -> str | None:
    """Map a source's spelling ("OnSite", "on-site", "Remote") to ours; when the
    source says nothing, a location reading "Remote ..." means remote."""
    if isinstance(value, str):
        key = re.sub(r"[^a-z]", "", value.lower())
        if key in _WORKPLACE:
            return _WORKPLACE[key]
    if any(_REMOTE_WORD.search(loc) for loc in locations):
        return "remote"
    return None


def absolute_http_url(value: Any) -> str | None:
    """The URL if it is absolute http(s), else `None`."""
    text = clean_text(value)
    if text is None:
        return None
    parts = urlsplit(text)
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return text
    return None


def to_float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.replace(",", "").replace("_", "").strip()
        if not value:
            return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def replace_origin(url: str, base_url: str | None) -> str:
    """Swap the scheme and host of `url` for `base_url` (mirrors, tests).

    A path in `base_url` is kept as a prefix, so a mirror may live under
    `http://host/greenhouse`.
    """
    if not base_url:
        return url
    parts = urlsplit(url)
    rest = parts.path or "/"
    if parts.query:
        rest += "?" + parts.query
    return base_url.rstrip("/") + rest


# ---------------------------------------------------------------- the record


def build_posting(fields: Mapping[str, Any]) -> PostingIn:
    """Validate and coerce what a spider extracted into a `PostingIn`.

    Raises `Rejected` for records that must not be stored.
    """
    external_id = clean_text(fields.get("external_id"))
    url_raw = fields.get("url")
    where = f"id={external_id or '?'} url={url_raw or '?'}"
    if external_id is None:
        raise Rejected("missing_id", f"record has no id ({where})")
    title = clean_text(fields.get("title"))
    if title is None:
        raise Rejected("missing_title", f"record has no title ({where})")
    if not clean_text(url_raw):
        raise Rejected("missing_url", f"record has no URL ({where})")
    url = absolute_http_url(url_raw)
    if url is None:
        raise Rejected("bad_url", f"record URL is not absolute http(s) ({where})")
    source_kind = clean_text(fields.get("source_kind"))
    board = clean_text(fields.get("board"))
    if source_kind is None or board is None:
        # A spider bug, not a data problem, but still must not reach the store.
        raise Rejected("missing_source", f"record lacks source kind/board ({where})")

    description_html = fields.get("description_html") or None
    if not isinstance(description_html, str) or not description_html.strip():
        description_html = None
    description_text = tidy_text(fields.get("description_text"))
    if description_text is None and description_html:
        description_text = html_to_text(description_html)

    locations = dedupe(_as_list(fields.get("locations")))
    salary_min = to_float(fields.get("salary_min"))
    salary_max = to_float(fields.get("salary_max"))
    if salary_min is not None and salary_max is not None and salary_min > salary_max:
        salary_min, salary_max = salary_max, salary_min
    raw = fields.get("raw")

    return PostingIn(
        source_kind=source_kind,
        board=board,
        external_id=external_id,
        title=title,
        company=clean_text(fields.get("company")),
        url=url,
        apply_url=absolute_http_url(fields.get("apply_url")),
        locations=locations,
        workplace_type=normalize_workplace_type(fields.get("workplace_type"), locations),
        employment_type=clean_text(fields.get("employment_type")),
        description_html=description_html,
        description_text=description_text,
        posted_at=parse_datetime(fields.get("posted_at")),
        deadline=parse_date(fields.get("deadline")),
        salary_min=salary_min,
        salary_max=salary_max,
        salary_currency=(clean_text(fields.get("salary_currency")) or "").upper() or None,
        salary_text=clean_text(fields.get("salary_text")),
        department=clean_text(fields.get("department")),
        terms=dedupe(_as_list(fields.get("terms"))),
        is_open=_as_bool(fields.get("is_open"), default=True),
        sector_hint=clean_text(fields.get("sector_hint")),
        source_name=clean_text(fields.get("source_name")),
        raw=dict(raw) if isinstance(raw, Mapping) else {},
    )


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        return list(value)
    return [value]


def _as_bool(value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "0", "no", "")
    return bool(value)
