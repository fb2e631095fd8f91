"""Hacker News "Ask HN: Who is hiring?" threads, read through the Algolia HN API.

Every top-level comment of the thread is one posting. By convention its first
line reads "Company | Role | Location | REMOTE/ONSITE | URL", but people write
what they like, so the first line is parsed by what each segment looks like;
the full comment is always kept as the description.

Without option `story_id` the newest thread by the `whoishiring` account is
found first with the search API.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from scrapy.http import Request, Response

from crawlers.items import PostingItem
from crawlers.normalize import clean_text, html_to_text
from crawlers.spiders.base import ListingError, PostingSpider

ITEM_URL = "https://news.ycombinator.com/item?id={id}"
SEARCH_PATH = (
    "/api/v1/search_by_date?tags=story,author_whoishiring&query=who%20is%20hiring&hitsPerPage=20"
)
THREAD_TITLE = re.compile(r"^\s*Ask HN:\s*Who is hiring", re.IGNORECASE)
NO_TITLE = "(see description)"
_GONE_TEXTS = frozenset({"[deleted]", "[dead]", "[flagged]", "[removed]"})


class HNWhoIsHiringSpider(PostingSpider):
    name = "hn"
    default_origin = "https://hn.algolia.com"

    def __init__(self, *args: Any, story_id: int | str | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        text = str(story_id).strip() if story_id is not None else ""
        if text and not text.isdigit():
            raise ValueError(f"hn option story_id must be a number, got {story_id!r}")
        self.story_id: str | None = text or None
        self.story_title: str | None = None
        self.skipped = 0

    def item_url(self, item_id: str | int) -> str:
        return self.api_url(f"/api/v1/items/{quote(str(item_id), safe='')}")

    def listing_urls(self) -> list[str]:
        if self.story_id:
            return [self.item_url(self.story_id)]
        return [self.api_url(SEARCH_PATH)]

    def start_requests(self) -> Iterator[Request]:
        (url,) = self.listing_urls()
        self.logger.info("%s: fetching %s", self.source_name, url)
        if self.story_id:
            yield self.listing_request(url)
        else:
            yield Request(
                url,
                callback=self.parse_search,
                errback=self.listing_errback,
                dont_filter=True,
            )

    def parse_search(self, response: Response) -> Iterator[Request]:
        """Find the newest "Who is hiring" thread and fetch it."""
        try:
            story = latest_thread(self.decode_json(response))
        except ListingError as exc:
            self.fail_listing(str(exc), response.url)
            return
        self.logger.info(
            "%s: latest thread %s: %s", self.source_name, story["objectID"], story.get("title")
        )
        yield self.listing_request(self.item_url(story["objectID"]))

    def records_from_payload(self, payload: Any, response: Response) -> list[Any]:
        if not isinstance(payload, dict) or not isinstance(payload.get("children"), list):
            raise ListingError("HN item has no 'children' list")
        if payload.get("type") not in (None, "story"):
            raise ListingError(
                f"HN item {payload.get('id')} is a {payload.get('type')}, not a story"
            )
        self.story_title = clean_text(payload.get("title"))
        if self.story_title and not THREAD_TITLE.match(self.story_title):
            self.logger.warning(
                "%s: thread %r does not look like 'Ask HN: Who is hiring'",
                self.source_name,
                self.story_title,
            )
        return payload["children"]

    def follow_up(self, response: Response, payload: Any, records: list[Any]) -> list[Request]:
        if self.skipped:
            self.logger.info(
                "%s: skipped %d deleted, dead or empty comments", self.source_name, self.skipped
            )
        return []

    def parse_record(self, record: Any, response: Response) -> PostingItem | None:
        if not isinstance(record, dict):
            raise TypeError(f"comment is a {type(record).__name__}, not an object")
        text = record.get("text")
        if (
            record.get("deleted")
            or record.get("dead")
            or not isinstance(text, str)
            or not text.strip()
            or text.strip().lower() in _GONE_TEXTS
        ):
            self.skipped += 1
            return None
        comment_id = record.get("id")
        if comment_id is None:
            raise ValueError("comment has no id")
        head = parse_first_line(text)
        raw = {k: v for k, v in record.items() if k != "children"}
        raw["thread_title"] = self.story_title
        return self.new_item(
            raw,
            external_id=comment_id,
            title=head.title or NO_TITLE,
            company=head.company or self.company,
            url=ITEM_URL.format(id=comment_id),
            apply_url=head.url,
            locations=head.locations,
            workplace_type=head.workplace_type,
            employment_type=head.employment_type,
            description_html=text,
            posted_at=record.get("created_at") or record.get("created_at_i"),
            salary_text=head.salary_text,
        )


def latest_thread(payload: Any) -> dict[str, Any]:
    """The newest hit titled "Ask HN: Who is hiring..." in a search response."""
    if not isinstance(payload, dict) or not isinstance(payload.get("hits"), list):
        raise ListingError("HN search response has no 'hits' list")
    threads = [
        hit
        for hit in payload["hits"]
        if isinstance(hit, dict)
        and hit.get("objectID")
        and THREAD_TITLE.match(str(hit.get("title") or ""))
    ]
    if not threads:
        raise ListingError("no 'Ask HN: Who is hiring?' thread in the search results")
    return max(threads, key=lambda h: (_int(h.get("created_at_i")), str(h.get("created_at"))))


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


# ---------------------------------------------------------------- first line


@dataclass
class FirstLine:
    company: str | None = None
    title: str | None = None
    locations: list[str] = field(default_factory=list)
    workplace_type: str | None = None
    employment_type: str | None = None
    url: str | None = None
    salary_text: str | None = None


ROLE_WORDS = re.compile(
    r"\b(?:engineers?|engineering|developers?|devs|interns?|internships?|co-?ops?|scientists?"
    r"|analysts?|designers?|managers?|researchers?|architects?|leads?|directors?|head of"
    r"|sres?|devops|programmers?|administrators?|technicians?|specialists?|consultants?"
    r"|recruiters?|writers?|marketers?|swes?|mles?|cto|vp|founding|fellows?|generalists?"
    r"|hackers?|representatives?|executives?|officers?|coordinators?|strategists?|testers?"
    r"|roles|positions|product owner|staff|principal)\b",
    re.IGNORECASE,
)
_INTERN = re.compile(r"\b(?:interns?|internships?|co-?ops?)\b", re.IGNORECASE)
_REMOTE = re.compile(r"\bremote(?:ly)?\b", re.IGNORECASE)
_HYBRID = re.compile(r"\bhybrid\b", re.IGNORECASE)
_ONSITE = re.compile(r"\b(?:on-?site|in[- ]office|in[- ]person)\b", re.IGNORECASE)
_WORKPLACE_FILLER = re.compile(
    r"\b(?:remote(?:ly)?|hybrid|on-?site|in[- ]office|in[- ]person|or|and|only|ok|friendly"
    r"|possible|optional|available|allowed|first|full(?:y)?|partial(?:ly)?|in|from|with|\d+\s*days?)\b"
    r"|[()/,&+;:\-–—.]",
    re.IGNORECASE,
)
_EMPLOYMENT_ONLY = re.compile(
    r"^(?:(?:full[- ]?time|part[- ]?time|contract(?:or)?|freelance|permanent|temporary|ft|pt"
    r"|employee|w2|1099)[\s,/&+]*(?:or|and)?[\s,/&+]*)+$",
    re.IGNORECASE,
)
_SALARY = re.compile(
    r"[$€£¥]|\b\d{2,3}\s?k\b|\b\d{2,3},\d{3}\b|\bsalary\b|\bequity\b|\bcomp(?:ensation)?\b|\bOTE\b",
    re.IGNORECASE,
)
_VISA = re.compile(r"\bvisas?\b|\bsponsorship\b", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s<>()|\"']+|\bwww\.[^\s<>()|\"']+", re.IGNORECASE)
_BARE_DOMAIN = re.compile(r"^[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}(?:/\S*)?$", re.IGNORECASE)
_US_STATE = re.compile(r",\s*[A-Z]{2}\b")
_PLACES = re.compile(
    r"\b(?:sf|sfba|san francisco|bay area|silicon valley|nyc|new york|brooklyn|boston|cambridge"
    r"|seattle|austin|dallas|houston|denver|boulder|chicago|los angeles|la|san diego|san jose"
    r"|palo alto|mountain view|menlo park|sunnyvale|redwood city|oakland|berkeley|portland"
    r"|washington|dc|atlanta|miami|pittsburgh|philadelphia|salt lake|raleigh|durham|toronto"
    r"|vancouver|montreal|waterloo|london|berlin|munich|hamburg|paris|amsterdam|zurich|geneva"
    r"|dublin|stockholm|copenhagen|oslo|helsinki|lisbon|madrid|barcelona|warsaw|prague|vienna"
    r"|tel aviv|singapore|tokyo|seoul|sydney|melbourne|bangalore|bengaluru|hyderabad|pune"
    r"|us|usa|u\.s\.?|united states|canada|uk|u\.k\.|united kingdom|europe|eu|emea|apac|latam"
    r"|americas|north america|germany|france|netherlands|spain|portugal|poland|india|japan"
    r"|australia|israel|brazil|mexico|worldwide|global|anywhere|timezones?|tz|utc|est|pst|cet)\b",
    re.IGNORECASE,
)


def first_line_text(text_html: str) -> tuple[str, list[str]]:
    """The first line of an HN comment as plain text, and the links in it."""
    parts = re.split(r"<p\b[^>]*>", text_html, maxsplit=2, flags=re.IGNORECASE)
    head = next((p for p in parts if p.strip()), "")
    plain = html_to_text(head) or ""
    line = plain.split("\n", 1)[0].strip()
    links = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', head, re.IGNORECASE)]
    return line, links


def parse_first_line(text_html: str) -> FirstLine:
    """Company, role, location, workplace and link from the comment's first line.

    The first segment is taken as the company, the segments that name a role
    (engineer, intern, scientist...) make the title; a segment mentioning an
    internship always lands in the title.
    """
    line, links = first_line_text(text_html)
    out = FirstLine()
    out.url = next((_as_url(h) for h in links if _as_url(h)), None)
    segments = [s.strip(" \t-–—•·,;") for s in line.split("|")]
    segments = [s for s in segments if s]
    if not segments:
        return out
    if len(segments) == 1:
        _single_segment(segments[0], out)
        return out

    company, company_url = _strip_urls(segments[0])
    out.url = out.url or company_url
    out.company = _clean_company(company)
    roles: list[str] = []
    employment: list[str] = []
    workplaces: set[str] = set()
    for segment in segments[1:]:
        bare, segment_url = _strip_urls(segment)
        if segment_url and not bare:
            out.url = out.url or segment_url
            continue
        if not bare:
            continue
        if _BARE_DOMAIN.match(bare) and " " not in bare:
            out.url = out.url or _as_url(bare)
            continue
        is_role = bool(ROLE_WORDS.search(bare))
        if _EMPLOYMENT_ONLY.match(bare):
            employment.append(bare)
            continue
        if _INTERN.search(bare):
            employment.append("Internship")
        workplace = _workplace(bare)
        if workplace:
            workplaces.add(workplace)
            remainder = _WORKPLACE_FILLER.sub(" ", bare).strip()
            if remainder and not is_role:
                out.locations.append(bare)
            if not is_role:
                continue
        if is_role:
            roles.append(bare)
        elif _SALARY.search(bare):
            out.salary_text = out.salary_text or bare
        elif _VISA.search(bare):
            continue
        elif _US_STATE.search(bare) or _PLACES.search(bare):
            out.locations.append(bare)
    if roles:
        out.title = " | ".join(roles)
    elif out.company and _INTERN.search(out.company):
        out.title = out.company  # "Summer internships at Acme | NYC"
        employment.append("Internship")
    out.employment_type = ", ".join(dict.fromkeys(employment)) or None
    for kind in ("remote", "hybrid", "onsite"):
        if kind in workplaces:
            out.workplace_type = kind
            break
    return out


def _single_segment(segment: str, out: FirstLine) -> None:
    """No "|": "Acme is hiring ML interns in Boston", "ML Engineer at Acme"..."""
    bare, url = _strip_urls(segment)
    out.url = out.url or url
    out.workplace_type = _workplace(bare)
    hiring = re.match(
        r"^(?P<company>.{1,60}?)\s+(?:is|are)\s+hiring\b[\s:,-]*(?P<rest>.*)$", bare, re.I
    )
    at = re.match(r"^(?P<role>.{3,80}?)\s+at\s+(?P<company>[^,.;]{1,60})", bare)
    if hiring:
        out.company = _clean_company(hiring["company"])
        rest = hiring["rest"].strip(" .")
        if rest and ROLE_WORDS.search(rest):
            out.title = rest
    elif at and ROLE_WORDS.search(at["role"]):
        out.title = at["role"].strip()
        out.company = _clean_company(at["company"])
    elif ROLE_WORDS.search(bare) and len(bare) <= 80:
        out.title = bare
    elif len(bare) <= 60:
        out.company = _clean_company(bare)
    if out.title is None and _INTERN.search(bare) and len(bare) <= 120:
        out.title = bare
    if _INTERN.search(bare):
        out.employment_type = "Internship"


def _workplace(segment: str) -> str | None:
    if _REMOTE.search(segment):
        return "remote"
    if _HYBRID.search(segment):
        return "hybrid"
    if _ONSITE.search(segment):
        return "onsite"
    return None


def _strip_urls(segment: str) -> tuple[str, str | None]:
    """The segment without URLs (and parentheses they leave empty), and the first URL."""
    urls = _URL.findall(segment)
    bare = _URL.sub("", segment)
    bare = re.sub(r"\(\s*\)|\[\s*\]", "", bare)
    bare = re.sub(r"\s{2,}", " ", bare).strip(" \t-–—•·,;:")
    return bare, next((u for u in (_as_url(x) for x in urls) if u), None)


def _as_url(value: str) -> str | None:
    text = (value or "").strip().rstrip(".,;:)")
    if not text:
        return None
    if text.lower().startswith(("http://", "https://")):
        return text
    if text.lower().startswith("www.") or _BARE_DOMAIN.match(text):
        return "https://" + text
    return None


def _clean_company(value: str | None) -> str | None:
    if not value:
        return None
    text = re.sub(r"^\s*(?:hiring|we're hiring|we are hiring)\s*[:\-–—]\s*", "", value, flags=re.I)
    text = re.sub(r"\s+(?:is|are)\s+hiring\b.*$", "", text, flags=re.I)
    return clean_text(text.strip(" :-–—"))
