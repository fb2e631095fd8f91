"""Taxonomy loading: sectors, role categories and skills as data (``data/taxonomy.toml``).

The taxonomy is plain data; this module validates it, exposes it as frozen dataclasses and
derives a content hash (``Taxonomy.version``) so callers can tell when re-analysis is needed.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

SECTORS: tuple[str, ...] = ("tech", "healthcare", "finance", "nonprofit", "research", "other")


class TaxonomyError(ValueError):
    """The taxonomy file is malformed (unknown sector, missing field, bad regex...)."""


@dataclass(frozen=True)
class Sector:
    key: str
    label: str
    description: str
    prior: float
    name_weight: float
    text_cues: tuple[str, ...]
    weak_text_cues: tuple[str, ...]
    name_cues: tuple[str, ...]
    weak_name_cues: tuple[str, ...]


@dataclass(frozen=True)
class Role:
    key: str
    label: str
    guide: bool
    title_patterns: tuple[str, ...]
    keywords: str


@dataclass(frozen=True)
class Skill:
    name: str
    group: str
    synonyms: tuple[str, ...] = ()
    ambiguous: bool = False
    ambiguous_aliases: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    not_followed_by: tuple[str, ...] = ()
    not_preceded_by: tuple[str, ...] = ()
    # For names like "dbt" whose capitalisation is the only cue (DBT is also a therapy).
    case_sensitive_synonyms: bool = False

    @property
    def plain_aliases(self) -> tuple[str, ...]:
        """Aliases matched without a context check."""
        base = () if self.ambiguous else (self.name,)
        return base + self.synonyms

    @property
    def context_aliases(self) -> tuple[str, ...]:
        """Aliases matched case-sensitively and only next to a context word."""
        base = (self.name,) if self.ambiguous else ()
        return base + self.ambiguous_aliases


def alias_key(text: str) -> str:
    """Normalise an alias or a matched span: casefold, drop spaces, hyphens and underscores."""
    return re.sub(r"[\s\-_]+", "", text.casefold())


@dataclass(frozen=True)
class Taxonomy:
    """Validated taxonomy content. Build it with :func:`load_taxonomy`."""

    name: str
    sectors: dict[str, Sector]
    roles: dict[str, Role]
    role_order: tuple[str, ...]
    skills: tuple[Skill, ...]
    contexts: dict[str, tuple[str, ...]]
    context_window: int
    company_suffixes: tuple[str, ...]
    hint_aliases: dict[str, str]
    guide_core_roles: tuple[str, ...]
    guide_core_skills: tuple[str, ...]
    guide_interests: str
    guide_profile_name: str
    version: str = field(default="")

    @cached_property
    def skills_by_name(self) -> dict[str, Skill]:
        return {s.name: s for s in self.skills}

    @cached_property
    def _lookup(self) -> dict[str, str]:
        # Every alias (ambiguous or not) resolves a user-typed skill name to its canonical name:
        # a user writing "r" or "golang" in their profile is not ambiguous.
        out: dict[str, str] = {}
        for s in self.skills:
            for alias in (s.name, *s.synonyms, *s.ambiguous_aliases):
                out.setdefault(alias_key(alias), s.name)
        for s in self.skills:  # canonical names win over synonyms of other skills
            out[alias_key(s.name)] = s.name
        return out

    def canonical_skill(self, text: str) -> str | None:
        """Canonical skill name for a user-entered skill, or None when unknown."""
        return self._lookup.get(alias_key(text.strip()))

    def skill_group(self, name: str) -> str | None:
        skill = self.skills_by_name.get(name)
        return skill.group if skill else None

    def sector_text(self, key: str) -> str:
        """Text that stands for a sector in the TF-IDF similarity."""
        s = self.sectors[key]
        cues = " ".join(_cue_words(c) for c in s.text_cues)
        return f"{s.label}. {s.description} {cues}"

    def role_text(self, key: str) -> str:
        r = self.roles[key]
        return f"{r.label}. {r.keywords}"


def _cue_words(pattern: str) -> str:
    """Readable words from a cue regex (for TF-IDF text): drop regex syntax."""
    return re.sub(r"\\[a-z]|[\\()?:*+|\[\]{}^$]", " ", pattern)


def _tuple(d: dict[str, Any], key: str) -> tuple[str, ...]:
    value = d.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TaxonomyError(f"{key!r} must be a list of strings")
    return tuple(value)


def _check_regexes(patterns: tuple[str, ...], where: str) -> None:
    for p in patterns:
        try:
            re.compile(p)
        except re.error as exc:
            raise TaxonomyError(f"bad regex {p!r} in {where}: {exc}") from exc


def _version(data: dict[str, Any]) -> str:
    # Hash of the parsed content (not the file bytes): comments/formatting don't bump it.
    blob = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def parse_taxonomy(data: dict[str, Any]) -> Taxonomy:
    """Validate parsed TOML content and build a :class:`Taxonomy`."""
    try:
        raw_sectors = data["sectors"]
        raw_roles = dict(data["roles"])
        raw_skills = data["skills"]
    except KeyError as exc:
        raise TaxonomyError(f"missing top-level table {exc}") from exc
    if set(raw_sectors) != set(SECTORS):
        raise TaxonomyError(f"sectors must be exactly {SECTORS}, got {sorted(raw_sectors)}")
    sectors = {}
    for key in SECTORS:
        d = raw_sectors[key]
        sectors[key] = Sector(
            key=key,
            label=str(d.get("label", key)),
            description=" ".join(str(d.get("description", "")).split()),
            prior=float(d.get("prior", 0.0)),
            name_weight=float(d.get("name_weight", 1.0)),
            text_cues=_tuple(d, "text_cues"),
            weak_text_cues=_tuple(d, "weak_text_cues"),
            name_cues=_tuple(d, "name_cues"),
            weak_name_cues=_tuple(d, "weak_name_cues"),
        )
        sec = sectors[key]
        _check_regexes(
            sec.text_cues + sec.weak_text_cues + sec.name_cues + sec.weak_name_cues,
            f"sectors.{key}",
        )

    order = tuple(raw_roles.pop("order", []))
    roles = {}
    for key, d in raw_roles.items():
        roles[key] = Role(
            key=key,
            label=str(d.get("label", key)),
            guide=bool(d.get("guide", False)),
            title_patterns=_tuple(d, "title_patterns"),
            keywords=" ".join(str(d.get("keywords", "")).split()),
        )
        _check_regexes(roles[key].title_patterns, f"roles.{key}")
    if "other" not in roles:
        raise TaxonomyError("roles must define 'other'")
    if set(order) != set(roles):
        raise TaxonomyError("roles.order must list every role exactly once")

    contexts = {k: tuple(v) for k, v in data.get("contexts", {}).items()}
    for k, v in contexts.items():
        _check_regexes(v, f"contexts.{k}")
    skills = []
    seen: set[str] = set()
    for d in raw_skills:
        if "name" not in d or "group" not in d:
            raise TaxonomyError(f"skill needs name and group: {d}")
        skill = Skill(
            name=d["name"],
            group=d["group"],
            synonyms=_tuple(d, "synonyms"),
            ambiguous=bool(d.get("ambiguous", False)),
            ambiguous_aliases=_tuple(d, "ambiguous_aliases"),
            context=_tuple(d, "context"),
            not_followed_by=_tuple(d, "not_followed_by"),
            not_preceded_by=_tuple(d, "not_preceded_by"),
            case_sensitive_synonyms=bool(d.get("case_sensitive_synonyms", False)),
        )
        if skill.name in seen:
            raise TaxonomyError(f"duplicate skill {skill.name!r}")
        seen.add(skill.name)
        if skill.context_aliases and not skill.context:
            raise TaxonomyError(f"ambiguous skill {skill.name!r} needs a context")
        unknown = [c for c in skill.context if c not in contexts]
        if unknown:
            raise TaxonomyError(f"skill {skill.name!r}: unknown context sets {unknown}")
        _check_regexes(skill.not_followed_by + skill.not_preceded_by, f"skill {skill.name}")
        skills.append(skill)

    guide = data.get("guide", {})
    core_roles = _tuple(guide, "core_roles")
    core_skills = _tuple(guide, "core_skills")
    if any(r not in roles for r in core_roles):
        raise TaxonomyError("guide.core_roles lists an unknown role")
    if any(s not in seen for s in core_skills):
        raise TaxonomyError(f"guide.core_skills lists unknown skills: {set(core_skills) - seen}")
    rules = data.get("sector_rules", {})
    hint_aliases = {str(k).casefold(): str(v) for k, v in rules.get("hint_aliases", {}).items()}
    if any(v not in SECTORS for v in hint_aliases.values()):
        raise TaxonomyError("sector_rules.hint_aliases maps to an unknown sector")
    return Taxonomy(
        name=str(data.get("meta", {}).get("name", "taxonomy")),
        sectors=sectors,
        roles=roles,
        role_order=order,
        skills=tuple(skills),
        contexts=contexts,
        context_window=int(data.get("skill_rules", {}).get("context_window", 60)),
        company_suffixes=_tuple(rules, "company_suffixes"),
        hint_aliases=hint_aliases,
        guide_core_roles=core_roles,
        guide_core_skills=core_skills,
        guide_interests=" ".join(str(guide.get("interests", "")).split()),
        guide_profile_name=str(guide.get("profile_name", "Career guide default")),
        version=_version(data),
    )


_PACKAGED: list[Taxonomy] = []


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Load the packaged taxonomy (default, parsed once per process) or a TOML file at ``path``."""
    if path is None:
        if not _PACKAGED:
            ref = resources.files("matcher").joinpath("data/taxonomy.toml")
            _PACKAGED.append(parse_taxonomy(tomllib.loads(ref.read_text(encoding="utf-8"))))
        return _PACKAGED[0]
    return parse_taxonomy(tomllib.loads(Path(path).read_text(encoding="utf-8")))
