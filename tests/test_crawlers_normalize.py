"""crawlers.normalize: coercion and validation shared by every source."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawlers.items import PostingItem
from crawlers.normalize import (
    Rejected,
    build_posting,
    dedupe,
    html_to_text,
    maybe_unescape_html,
    normalize_workplace_type,
    parse_date,
    parse_datetime,
    reason_slug,
    replace_origin,
)
from store import PostingIn

GOOD = {
    "source_kind": "greenhouse",
    "board": "acme",
    "external_id": 123,
    "title": "  Data   Science Intern ",
    "url": "https://example.com/jobs/123",
}


def test_item_fields_match_posting_in() -> None:
    assert set(PostingItem.fields) == {f.name for f in fields(PostingIn)}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-06-02T08:58:57-04:00", datetime(2026, 6, 2, 12, 58, 57, tzinfo=UTC)),
        ("2026-04-07T17:12:35.753+00:00", datetime(2026, 4, 7, 17, 12, 35, 753000, tzinfo=UTC)),
        ("2026-01-22T10:00:00Z", datetime(2026, 1, 22, 10, 0, tzinfo=UTC)),
        ("2026-01-22T10:00:00", datetime(2026, 1, 22, 10, 0, tzinfo=UTC)),  # naive = UTC
        ("2026-01-22", datetime(2026, 1, 22, tzinfo=UTC)),
        (1765581501, datetime(2025, 12, 12, 23, 18, 21, tzinfo=UTC)),  # epoch seconds
        (1778517108152, datetime(2026, 5, 11, 16, 31, 48, 152000, tzinfo=UTC)),  # epoch ms
        ("1765581501", datetime(2025, 12, 12, 23, 18, 21, tzinfo=UTC)),
        (None, None),
        ("", None),
        ("next tuesday", None),
        (True, None),
        (-5, None),
        (float("nan"), None),
    ],
)
def test_parse_datetime(value: object, expected: datetime | None) -> None:
    result = parse_datetime(value)
    assert result == expected
    if result is not None:
        assert result.tzinfo is not None and result.utcoffset() == timedelta(0)


@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)))
def test_epoch_seconds_and_milliseconds_agree(moment: datetime) -> None:
    aware = moment.replace(tzinfo=UTC, microsecond=0)
    seconds = int(aware.timestamp())
    assert parse_datetime(seconds) == aware
    assert parse_datetime(seconds * 1000) == aware


def test_parse_date_keeps_the_sources_calendar_day() -> None:
    # 23:59 in New York is already the next day in UTC; a deadline is a local day.
    assert parse_date("2026-03-01T23:59:00-05:00") == date(2026, 3, 1)
    assert parse_date("2026-03-01") == date(2026, 3, 1)
    assert parse_date(datetime(2026, 3, 1, 5, tzinfo=timezone(timedelta(hours=9)))) == date(
        2026, 3, 1
    )
    assert parse_date(1767225600) == date(2026, 1, 1)
    assert parse_date("2026-02-30") is None
    assert parse_date("soon") is None


def test_html_to_text_keeps_structure() -> None:
    html = (
        "<h2>About</h2>\n<p>Train &amp; evaluate\nmodels.</p>"
        "<ul><li>Python</li><li>SQL</li></ul><script>var x = 1;</script>"
        "<style>p{}</style><p>Line<br>break</p>"
    )
    assert html_to_text(html) == "About\nTrain & evaluate models.\n- Python\n- SQL\nLine\nbreak"
    assert html_to_text("") is None
    assert html_to_text("   ") is None
    assert html_to_text("plain words") == "plain words"


@given(st.text(max_size=200))
def test_html_to_text_never_raises(markup: str) -> None:
    result = html_to_text(markup)
    assert result is None or isinstance(result, str)


def test_maybe_unescape_html_only_when_escaped() -> None:
    assert maybe_unescape_html("&lt;p&gt;A &amp;amp; B&lt;/p&gt;") == "<p>A &amp; B</p>"
    raw = "<p>A &amp; B</p>"
    assert maybe_unescape_html(raw) == raw
    assert maybe_unescape_html(None) is None


@pytest.mark.parametrize(
    ("value", "locations", "expected"),
    [
        ("OnSite", [], "onsite"),
        ("on-site", [], "onsite"),
        ("Hybrid", [], "hybrid"),
        ("remote", [], "remote"),
        ("Fully Remote", [], "remote"),
        ("unspecified", ["Boston, MA"], None),
        (None, ["Remote - US"], "remote"),
        (None, ["Boston, MA"], None),
        ("hybrid", ["Remote (US)"], "hybrid"),  # the source's own word wins
    ],
)
def test_normalize_workplace_type(
    value: str | None, locations: list[str], expected: str | None
) -> None:
    assert normalize_workplace_type(value, locations) == expected


def test_dedupe_locations() -> None:
    assert dedupe([" Seattle,  WA", "seattle, wa", None, "", "Remote"]) == ["Seattle, WA", "Remote"]


def test_replace_origin() -> None:
    url = "https://raw.githubusercontent.com/SimplifyJobs/x/dev/listings.json?raw=1"
    assert (
        replace_origin(url, "http://127.0.0.1:8000")
        == "http://127.0.0.1:8000/SimplifyJobs/x/dev/listings.json?raw=1"
    )
    assert (
        replace_origin(url, "http://mirror/gh/")
        == "http://mirror/gh/SimplifyJobs/x/dev/listings.json?raw=1"
    )
    assert replace_origin(url, None) == url


def test_reason_slug() -> None:
    assert reason_slug("Missing Title!") == "missing_title"
    assert reason_slug("") == "unknown"


def test_build_posting_coerces_fields() -> None:
    posting = build_posting(
        {
            **GOOD,
            "company": " Acme ",
            "apply_url": "/relative/apply",
            "locations": ["Remote - US", "remote - us", "NYC"],
            "description_html": "<p>Hello <b>world</b></p>",
            "posted_at": 1767225600000,
            "deadline": "2026-03-01",
            "salary_min": "90,000",
            "salary_max": 60000,
            "salary_currency": "usd",
            "terms": ["Summer 2026", "Summer 2026"],
            "is_open": None,
            "raw": {"id": 123},
        }
    )
    assert posting.external_id == "123"
    assert posting.title == "Data Science Intern"
    assert posting.company == "Acme"
    assert posting.apply_url is None  # a relative link is useless to a student
    assert posting.locations == ["Remote - US", "NYC"]
    assert posting.workplace_type == "remote"
    assert posting.description_text == "Hello world"
    assert posting.posted_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert posting.deadline == date(2026, 3, 1)
    assert (posting.salary_min, posting.salary_max, posting.salary_currency) == (
        60000,
        90000,
        "USD",
    )
    assert posting.terms == ["Summer 2026"]
    assert posting.is_open is True
    assert posting.raw == {"id": 123}


def test_build_posting_prefers_source_plain_text() -> None:
    posting = build_posting(
        {
            **GOOD,
            "description_html": "<p>html</p>",
            "description_text": "Plain\n\u00a0\n\n\n\nText  ",
        }
    )
    assert posting.description_text == "Plain\n\nText"


@pytest.mark.parametrize(
    ("change", "slug"),
    [
        ({"title": "   "}, "missing_title"),
        ({"title": None}, "missing_title"),
        ({"external_id": ""}, "missing_id"),
        ({"external_id": None}, "missing_id"),
        ({"url": None}, "missing_url"),
        ({"url": "/jobs/123"}, "bad_url"),
        ({"url": "javascript:alert(1)"}, "bad_url"),
        ({"board": None}, "missing_source"),
    ],
)
def test_build_posting_rejects(change: dict[str, object], slug: str) -> None:
    with pytest.raises(Rejected) as info:
        build_posting({**GOOD, **change})
    assert info.value.slug == slug
    assert "id=" in info.value.message and "url=" in info.value.message
