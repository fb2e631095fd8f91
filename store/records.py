"""The normalised posting record every producer (spiders, import) hands to the store."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

# Fields that define a posting's content: a change in any of them is an "update".
# Bookkeeping (raw record, timestamps) is deliberately excluded so volatile API
# fields such as `updated_at` don't churn rows.
CONTENT_FIELDS = (
    "url",
    "apply_url",
    "title",
    "company",
    "locations",
    "workplace_type",
    "employment_type",
    "description_html",
    "description_text",
    "posted_at",
    "deadline",
    "salary_min",
    "salary_max",
    "salary_currency",
    "salary_text",
    "department",
    "terms",
    "is_open",
)


@dataclass
class PostingIn:
    source_kind: str
    board: str
    external_id: str
    title: str
    company: str | None = None
    url: str | None = None
    apply_url: str | None = None
    locations: list[str] = field(default_factory=list)
    workplace_type: str | None = None  # "remote" | "hybrid" | "onsite" | None
    employment_type: str | None = None  # as the source says it: "Intern", "Full-time", ...
    description_html: str | None = None
    description_text: str | None = None
    posted_at: datetime | None = None  # timezone-aware UTC
    deadline: date | None = None
    salary_min: float | None = None
    salary_max: float | None = None
    salary_currency: str | None = None
    salary_text: str | None = None
    department: str | None = None
    terms: list[str] = field(default_factory=list)  # e.g. ["Summer 2026"]
    is_open: bool = True  # a source may list a posting as inactive
    sector_hint: str | None = None
    source_name: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    def content_hash(self) -> str:
        data = asdict(self)
        payload = {k: data[k] for k in CONTENT_FIELDS}
        blob = json.dumps(payload, sort_keys=True, default=_json_default, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _json_default(value: Any) -> str:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
