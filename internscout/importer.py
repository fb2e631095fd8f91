"""`internscout import FILE`: postings from JSON Lines or CSV, bad lines reported and skipped."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from crawlers.normalize import html_to_text, normalize_workplace_type
from store import PostingIn

IMPORT_KIND = "import"
KNOWN_KEYS = (
    "title",
    "company",
    "description",
    "url",
    "location",
    "posted_at",
    "source",
    "external_id",
)


_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(\s[^>]*)?/?>")


def looks_like_html(text: str) -> bool:
    return bool(_TAG.search(text))


class ImportFileError(Exception):
    """The file as a whole cannot be read (missing, unknown format)."""


@dataclass
class LineError:
    line: int
    message: str


@dataclass
class ParsedFile:
    records: list[tuple[int, PostingIn]] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)


def read_import_file(path: Path) -> ParsedFile:
    if not path.exists():
        raise ImportFileError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        rows = _jsonl_rows(path)
    elif suffix in (".csv", ".tsv"):
        rows = _csv_rows(path, delimiter="\t" if suffix == ".tsv" else ",")
    else:
        raise ImportFileError(f"{path}: unknown format {suffix!r} (use .jsonl or .csv)")
    parsed = ParsedFile()
    for line, row in rows:
        if isinstance(row, LineError):
            parsed.errors.append(row)
            continue
        try:
            parsed.records.append((line, posting_from_row(row)))
        except ValueError as exc:
            parsed.errors.append(LineError(line, str(exc)))
    return parsed


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | LineError]]:
    with path.open(encoding="utf-8", errors="replace") as fh:
        for number, text in enumerate(fh, start=1):
            if not text.strip():
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                yield number, LineError(number, f"not valid JSON: {exc.msg} (column {exc.colno})")
                continue
            if not isinstance(obj, dict):
                yield number, LineError(number, f"expected a JSON object, got {type(obj).__name__}")
                continue
            yield number, obj


def _csv_rows(path: Path, delimiter: str) -> Iterator[tuple[int, dict[str, Any] | LineError]]:
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.DictReader(fh, delimiter=delimiter)
        if reader.fieldnames is None or "title" not in [f.strip() for f in reader.fieldnames]:
            raise ImportFileError(f"{path}: line 1: the header must name a 'title' column")
        start = 2
        for row in reader:
            line = start
            start = reader.line_num + 1
            if None in row:
                yield line, LineError(line, "more fields than the header names")
                continue
            yield line, {(k or "").strip(): v for k, v in row.items()}


def _clean(value: Any, key: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(f"field {key!r}: expected text, got {type(value).__name__}")
    return value.strip() or None


def parse_posted_at(value: str) -> datetime:
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"field 'posted_at': {value!r} is not an ISO 8601 date") from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def stable_id(url: str | None, title: str, company: str | None) -> str:
    basis = url if url else f"{title.casefold()}|{(company or '').casefold()}"
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:20]


def posting_from_row(row: dict[str, Any]) -> PostingIn:
    values = {key: _clean(row.get(key), key) for key in KNOWN_KEYS}
    title = values["title"]
    if not title:
        raise ValueError("field 'title' is required")
    url = values["url"]
    if url and not url.startswith(("http://", "https://")):
        raise ValueError(f"field 'url': {url!r} is not an http(s) URL")
    posted_at = parse_posted_at(values["posted_at"]) if values["posted_at"] else None
    description = values["description"]
    html = text = None
    if description:
        if looks_like_html(description):
            html, text = description, html_to_text(description)
        else:
            text = description
    company = values["company"]
    location = values["location"]
    locations = [location] if location else []
    return PostingIn(
        source_kind=IMPORT_KIND,
        board=values["source"] or IMPORT_KIND,
        external_id=values["external_id"] or stable_id(url, title, company),
        title=title,
        company=company,
        url=url,
        apply_url=url,
        locations=locations,
        workplace_type=normalize_workplace_type(None, locations),
        description_html=html,
        description_text=text,
        posted_at=posted_at,
        source_name=values["source"] or IMPORT_KIND,
        raw={k: v for k, v in row.items() if isinstance(k, str)},
    )
