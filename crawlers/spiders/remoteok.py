"""Remote OK's public API: one JSON array of recent remote jobs.

Element 0 of the array is the API's legal notice, not a job: Remote OK allows
use of the feed on condition that every job links back to its Remote OK page
and Remote OK is named as the source. So a posting's `url` is always the Remote
OK page (`url` of the record) and its raw record carries the attribution.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from scrapy.http import Request, Response

from crawlers.items import PostingItem
from crawlers.normalize import to_float
from crawlers.spiders.base import ListingError, PostingSpider

ATTRIBUTION = "Remote OK"
SITE = "https://remoteok.com"
# Remote OK's salaries are yearly USD; a "salary" below this is really
# thousands or an hourly rate, and can't be told apart, so it is left out.
_MIN_YEARLY_SALARY = 1000
_INTERN_TAGS = frozenset({"intern", "internship", "internships", "co-op", "coop"})


class RemoteOKSpider(PostingSpider):
    name = "remoteok"
    default_origin = SITE

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.legal_notice: str | None = None

    def listing_urls(self) -> list[str]:
        return [self.api_url("/api")]

    def records_from_payload(self, payload: Any, response: Response) -> list[Any]:
        if not isinstance(payload, list):
            raise ListingError("Remote OK payload is not a JSON array")
        jobs: list[Any] = []
        for record in payload:
            if _is_notice(record):
                self.legal_notice = str(record.get("legal") or "") or self.legal_notice
            else:
                jobs.append(record)
        if self.legal_notice is None and jobs:
            self.logger.warning(
                "%s: no legal notice in %s; still attributing jobs to %s",
                self.source_name,
                response.url,
                ATTRIBUTION,
            )
        return jobs

    def follow_up(self, response: Response, payload: Any, records: list[Any]) -> list[Request]:
        return []

    def parse_record(self, record: Any, response: Response) -> PostingItem | None:
        if not isinstance(record, dict):
            raise TypeError(f"job is a {type(record).__name__}, not an object")
        job_id = record.get("id")
        link = _link_back(record)
        description = clean_description(fix_mojibake(record.get("description")))
        raw = dict(record)
        if isinstance(record.get("description"), str):
            # Without the per-request anti-spam line (it names the fetching client).
            raw["description"] = description
        raw.setdefault("source_attribution", ATTRIBUTION)
        raw.setdefault("source_link", link)
        if self.legal_notice:
            raw.setdefault("source_terms", self.legal_notice)
        tags = [str(t).strip() for t in record.get("tags") or [] if isinstance(t, str | int)]
        low, high = _salary(record.get("salary_min")), _salary(record.get("salary_max"))
        location = fix_mojibake(str(record.get("location") or "").strip())
        return self.new_item(
            raw,
            external_id=job_id,
            title=fix_mojibake(record.get("position")),
            company=fix_mojibake(record.get("company")),
            url=link,
            apply_url=record.get("apply_url"),
            locations=[location] if location else [],
            workplace_type="remote",
            employment_type="Internship" if _INTERN_TAGS & {t.lower() for t in tags} else None,
            description_html=description,
            posted_at=record.get("date") or record.get("epoch"),
            salary_min=low,
            salary_max=high,
            salary_currency="USD" if low is not None or high is not None else None,
        )


# Appended to every description, with a different word and a client tag on
# each request: not part of the job, and it would make every crawl an update.
_ANTI_SPAM = re.compile(
    r"(?:\s*<br\s*/?>)*\s*Please mention the word \*\*\w+\*\*.*?see they(?:'|’)re human\.?",
    re.DOTALL | re.IGNORECASE,
)


def clean_description(value: Any) -> Any:
    """The description without Remote OK's anti-spam line; literal "\\n"
    sequences (double-escaped newlines) become real ones."""
    if not isinstance(value, str):
        return value
    text = _ANTI_SPAM.sub("", value).replace("\\r\\n", "\n").replace("\\n", "\n")
    return text.strip() or None


def _is_notice(record: Any) -> bool:
    return isinstance(record, dict) and "legal" in record and not record.get("position")


def _link_back(record: dict[str, Any]) -> str | None:
    """The job's page on Remote OK (required by the API terms)."""
    url = record.get("url")
    if isinstance(url, str) and url.strip():
        return url.strip()
    slug = record.get("slug")
    if isinstance(slug, str) and slug.strip():
        return f"{SITE}/remote-jobs/{quote(slug.strip(), safe='-_.~')}"
    return None


def _salary(value: Any) -> float | None:
    number = to_float(value)
    if number is None or number < _MIN_YEARLY_SALARY:
        return None  # 0 means "not given"; small values are ambiguous
    return number


# UTF-8 bytes read as Latin-1: "â\x80\x99" for "’", "Â\xa0" for a no-break space.
_MOJIBAKE = re.compile(
    r"[\u00c2-\u00df][\u0080-\u00bf]|[\u00e0-\u00ef][\u0080-\u00bf]{2}|[\u00f0-\u00f4][\u0080-\u00bf]{3}"
)


def fix_mojibake(value: Any) -> Any:
    """Undo Remote OK's double-encoded UTF-8 where it is unambiguous.

    Only sequences that decode as valid UTF-8 are replaced, so correct text
    (and a genuine "Â" before a letter) is left alone.
    """
    if not isinstance(value, str) or not _MOJIBAKE.search(value):
        return value

    def repair(match: re.Match[str]) -> str:
        chunk = match.group(0)
        try:
            return chunk.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return chunk

    fixed = _MOJIBAKE.sub(repair, value)
    # A no-break space whose second byte was lost on the way: "Â " -> " ".
    return re.sub(r"\u00c2(?=[ \t\n<])", "", fixed)
