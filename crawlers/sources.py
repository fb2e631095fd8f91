"""The sources file of `python -m crawlers.run`: reading and checking it, and `--set` options.

See `crawlers.run` for the file's format. Importing this module has no side effects.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class UsageError(Exception):
    """Bad command line or sources file (exit code 2)."""


@dataclass
class SourceSpec:
    name: str
    kind: str
    board: str
    sector: str | None = None
    base_url: str | None = None
    url: str | None = None
    company: str | None = None
    # Kind-specific settings (e.g. Workday `search_text`), passed on as spider arguments.
    options: dict[str, Any] = field(default_factory=dict)

    def spider_kwargs(self) -> dict[str, Any]:
        kwargs = {
            **self.options,
            "source_name": self.name,
            "board": self.board,
            "sector_hint": self.sector,
            "base_url": self.base_url,
            "url": self.url,
            "company": self.company,
        }
        return {k: v for k, v in kwargs.items() if v is not None}


_COMMON_KEYS = ("name", "kind", "board", "sector", "base_url", "url", "company")


def load_sources(path: str | os.PathLike[str]) -> list[SourceSpec]:
    """Read and check a sources file; raises `UsageError` when it is unusable."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read sources file {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise UsageError(f"sources file {path} is not valid JSON: {exc}") from exc
    if not isinstance(data, list):
        raise UsageError(f"sources file {path} must hold a JSON list of source objects")
    specs: list[SourceSpec] = []
    names: set[str] = set()
    for index, entry in enumerate(data):
        if not isinstance(entry, dict):
            raise UsageError(f"source #{index} is not a JSON object")
        values: dict[str, str | None] = {}
        for key in _COMMON_KEYS:
            value = entry.get(key)
            if value is not None and not isinstance(value, str):
                raise UsageError(f"source #{index}: {key!r} must be a string")
            values[key] = value.strip() if isinstance(value, str) and value.strip() else None
        for key in ("name", "kind", "board"):
            if values[key] is None:
                raise UsageError(f"source #{index} has no {key!r}")
        name = values["name"]
        assert name is not None
        if name in names:
            raise UsageError(f"source name {name!r} appears twice")
        names.add(name)
        options = {k: v for k, v in entry.items() if k not in _COMMON_KEYS and v is not None}
        specs.append(SourceSpec(**values, options=options))  # type: ignore[arg-type]
    return specs


def parse_set_options(pairs: Sequence[str]) -> dict[str, Any]:
    """`KEY=VALUE` pairs; a VALUE that parses as JSON (0, 1.5, true, [500])
    is taken as such, anything else as a string."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"--set expects KEY=VALUE, got {pair!r}")
        try:
            out[key] = json.loads(text)
        except ValueError:
            out[key] = text
    return out
