"""schema.org JobPosting (as `crawlers.jobposting` finds it, in JSON-LD shape) mapped onto
our posting fields, and the links a career page's listing leads to. Pure (no Scrapy); values
stay in the source's format, `crawlers.normalize.build_posting` coerces them later."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit, urlunsplit

from crawlers.jobposting import as_list
from crawlers.normalize import clean_text, maybe_unescape_html

__all__ = ["job_links", "map_job_posting", "strip_tracking"]

# Values career sites put in address fields when they have nothing to say.
_PLACEHOLDERS = frozenset(
    {"unavailable", "n/a", "na", "none", "null", "undefined", "-", "--", "tbd", "not specified"}
)

_UNITS = {
    "HOUR": "per hour",
    "DAY": "per day",
    "WEEK": "per week",
    "MONTH": "per month",
    "YEAR": "per year",
}


def map_job_posting(
    posting: Mapping[str, Any],
    page_url: str,
    id_index: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """One JobPosting -> `new_item` keyword arguments (values in source format).

    `page_url` is the page the markup came from: the posting's URL and id when
    it names none itself. `id_index` resolves `{"@id": ...}` references (a
    hiring organisation defined once in a `@graph`).
    """
    ref = _Resolver(id_index or {})
    url = _absolute(_text(_first(_get(posting, "url"))), page_url) or _page_key(page_url)
    company = _org_name(ref(_first(_get(posting, "hiringOrganization"))), ref)
    locations, remote = _locations(posting, ref)
    fields: dict[str, Any] = {
        "external_id": _identifier(posting, ref) or url,
        # Some sites put the title in `name` (the generic Thing property).
        "title": _unescape(_text(_first(_get(posting, "title")) or _first(_get(posting, "name")))),
        "company": company,
        "url": url,
        "locations": locations,
        "workplace_type": "remote" if remote else None,
        "employment_type": _joined(_get(posting, "employmentType")),
        "description_html": _description(_get(posting, "description")),
        "posted_at": _text(_first(_get(posting, "datePosted"))),
        "deadline": _text(_first(_get(posting, "validThrough"))),
    }
    fields.update(_salary(ref(_first(_get(posting, "baseSalary"))), ref))
    return fields


class _Resolver:
    def __init__(self, index: Mapping[str, Mapping[str, Any]]):
        self.index = index

    def __call__(self, value: Any) -> Any:
        """A node for an `{"@id": ...}` reference when the page defines it."""
        if isinstance(value, Mapping) and set(value) <= {"@id", "@type"}:
            target = self.index.get(str(value.get("@id")))
            if target is not None:
                return target
        return value


def _get(node: Mapping[str, Any], key: str) -> Any:
    """A property, also when written with a schema prefix or as a full IRI."""
    for name in (key, f"schema:{key}", f"http://schema.org/{key}", f"https://schema.org/{key}"):
        if name in node:
            return node[name]
    return None


def _first(value: Any) -> Any:
    for item in as_list(value):
        if item is not None and item != "":
            return item
    return None


def _text(value: Any) -> str | None:
    """A scalar property as text; JSON-LD value objects ({"@value": ...}) too."""
    if isinstance(value, Mapping):
        value = value.get("@value", value.get("value", value.get("name")))
    if value is None or isinstance(value, (bool, Mapping, list)):
        return None
    return clean_text(value)


def _unescape(value: str | None) -> str | None:
    """Titles often arrive entity-escaped ("R&amp;D Intern")."""
    return clean_text(html.unescape(value)) if value else value


def _useful(value: Any) -> str | None:
    text = _text(value)
    if text is None or text.lower() in _PLACEHOLDERS:
        return None
    return text


def _joined(value: Any) -> str | None:
    parts = [t for t in (_text(v) for v in as_list(value)) if t]
    return ", ".join(dict.fromkeys(parts)) or None


def _description(value: Any) -> str | None:
    text = value if isinstance(value, str) else _text(_first(value))
    if not text or not text.strip():
        return None
    return maybe_unescape_html(text.strip())


def _absolute(value: str | None, base: str) -> str | None:
    if not value:
        return None
    url = urljoin(base, value)
    return url if urlsplit(url).scheme in ("http", "https") else None


def _page_key(url: str) -> str:
    return urldefrag(url)[0]


def _identifier(posting: Mapping[str, Any], ref: _Resolver) -> str | None:
    for ident in as_list(_get(posting, "identifier")):
        ident = ref(ident)
        if isinstance(ident, Mapping):
            value = _text(ident.get("value", ident.get("@value")))
        else:
            value = _text(ident)
        if value:
            return value
    return None


def _org_name(org: Any, ref: _Resolver) -> str | None:
    if isinstance(org, Mapping):
        return _unescape(_text(_first(_get(org, "name")) or _first(_get(org, "legalName"))))
    return _unescape(_text(org))


def _locations(posting: Mapping[str, Any], ref: _Resolver) -> tuple[list[str], bool]:
    locations: list[str] = []
    for place in as_list(_get(posting, "jobLocation")):
        text = _place_text(ref(place), ref)
        if text:
            locations.append(text)
    kinds = " ".join(t or "" for t in (_text(v) for v in as_list(_get(posting, "jobLocationType"))))
    remote = "TELECOMMUTE" in kinds.upper()
    if remote:
        regions = [
            _place_text(ref(r), ref)
            for r in as_list(_get(posting, "applicantLocationRequirements"))
        ]
        regions = [r for r in regions if r]
        locations.extend(f"Remote ({r})" for r in regions)
        if not locations:
            locations.append("Remote")
    return list(dict.fromkeys(locations)), remote


def _place_text(place: Any, ref: _Resolver) -> str | None:
    """ "Locality, Region, Country" of a Place / PostalAddress / Country, or its name."""
    if isinstance(place, str) or not isinstance(place, Mapping):
        return _useful(place)
    address = ref(_first(_get(place, "address")))
    if isinstance(address, str):
        return _useful(address)
    source = address if isinstance(address, Mapping) else place
    parts: list[str] = []
    for key in ("addressLocality", "addressRegion", "addressCountry"):
        value = ref(_first(_get(source, key)))
        text = _useful(_first(_get(value, "name")) if isinstance(value, Mapping) else value)
        if text and text.casefold() not in (p.casefold() for p in parts):
            parts.append(text)
    if parts:
        return ", ".join(parts)
    return _useful(_first(_get(place, "name")))


def _salary(amount: Any, ref: _Resolver) -> dict[str, Any]:
    """baseSalary: a MonetaryAmount ({currency, value: QuantitativeValue
    {minValue, maxValue, value, unitText}}) or a bare number."""
    if amount is None:
        return {}
    if not isinstance(amount, Mapping):
        return {"salary_min": amount, "salary_max": amount, "salary_text": _text(amount)}
    currency = _text(_first(_get(amount, "currency")))
    value = ref(_first(_get(amount, "value")))
    unit = _text(_first(_get(amount, "unitText")))
    if isinstance(value, Mapping):
        single = _first(_get(value, "value"))
        low = _first(_get(value, "minValue"))
        high = _first(_get(value, "maxValue"))
        unit = _text(_first(_get(value, "unitText"))) or unit
    else:
        single, low, high = value, None, None
    low = low if low is not None else single
    high = high if high is not None else single
    if low is None and high is None:
        return {"salary_currency": currency} if currency else {}
    return {
        "salary_min": low,
        "salary_max": high,
        "salary_currency": currency,
        "salary_text": _salary_text(currency, low, high, unit),
    }


def _salary_text(currency: str | None, low: Any, high: Any, unit: str | None) -> str:
    def fmt(v: Any) -> str:
        try:
            number = float(str(v).replace(",", ""))
        except ValueError:
            return str(v)
        return f"{number:,.0f}" if number.is_integer() else f"{number:,.2f}"

    amounts = fmt(low) if low == high or high is None else f"{fmt(low)}–{fmt(high)}"
    per = _UNITS.get((unit or "").upper(), f"per {unit.lower()}" if unit else "")
    return " ".join(p for p in (currency, amounts, per) if p)


_TRACKING_PARAM = re.compile(r"^(?:utm_\w+|gclid|fbclid|msclkid|mc_[ce]id|_ga)$", re.IGNORECASE)


def job_links(hrefs: Iterable[str], base: str) -> list[str]:
    """Absolute http(s) URLs in page order, once each: without fragments and
    tracking parameters (utm_*, gclid...), so one page isn't fetched twice."""
    out: dict[str, None] = {}
    for href in hrefs:
        url = _absolute((href or "").strip(), base)
        if url:
            out.setdefault(strip_tracking(_page_key(url)), None)
    return list(out)


def strip_tracking(url: str) -> str:
    parts = urlsplit(url)
    if not parts.query:
        return url
    kept = [
        p for p in parts.query.split("&") if p and not _TRACKING_PARAM.match(p.split("=", 1)[0])
    ]
    return urlunsplit(parts._replace(query="&".join(kept)))
