"""Taxonomy loading: sectors, role categories and skills as data (``data/taxonomy.toml``).

The taxonomy is plain data; this module validates it, exposes it as frozen dataclasses and
derives a content hash (``Taxonomy.version``) so callers can tell when re-analysis is needed.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Sequence
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
    # Regexes for the text right before an ambiguous name that make it count as a context word
    # would ("in Excel": the verb never follows a preposition).
    preceded_by: tuple[str, ...] = ()
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
    # Same as re.sub(r"[\s\-_]+", "", text.casefold()), several times faster (hot path).
    return "".join(text.casefold().split()).replace("-", "").replace("_", "")


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
    # Phrases of staffing/recruiting agencies, whose postings describe a client's industry.
    intermediary_cues: tuple[str, ...] = ()
    # Student programmes known by name, whose titles need not say "intern".
    student_programs: tuple[str, ...] = ()

    @cached_property
    def skills_by_name(self) -> dict[str, Skill]:
        return {s.name: s for s in self.skills}

    @cached_property
    def workplace_skills(self) -> frozenset[str]:
        """Names of the workplace (non-technical) skills."""
        return frozenset(s.name for s in self.skills if s.group == "workplace")

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
            preceded_by=_tuple(d, "preceded_by"),
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
        _check_regexes(
            skill.not_followed_by + skill.not_preceded_by + skill.preceded_by,
            f"skill {skill.name}",
        )
        skills.append(skill)

    guide = data.get("guide", {})
    core_roles = _tuple(guide, "core_roles")
    core_skills = _tuple(guide, "core_skills")
    if any(r not in roles for r in core_roles):
        raise TaxonomyError("guide.core_roles lists an unknown role")
    if any(s not in seen for s in core_skills):
        raise TaxonomyError(f"guide.core_skills lists unknown skills: {set(core_skills) - seen}")
    rules = data.get("sector_rules", {})
    _check_regexes(_tuple(rules, "intermediary_cues"), "sector_rules.intermediary_cues")
    hint_aliases = {str(k).casefold(): str(v) for k, v in rules.get("hint_aliases", {}).items()}
    if any(v not in SECTORS for v in hint_aliases.values()):
        raise TaxonomyError("sector_rules.hint_aliases maps to an unknown sector")
    programs = data.get("internship", {}).get("programs", [])
    if not isinstance(programs, list) or not all(
        isinstance(x, str) and x.strip() for x in programs
    ):
        raise TaxonomyError("internship.programs must be a list of non-empty names")
    return Taxonomy(
        name=str(data.get("meta", {}).get("name", "taxonomy")),
        sectors=sectors,
        roles=roles,
        role_order=order,
        skills=tuple(skills),
        contexts=contexts,
        context_window=int(data.get("skill_rules", {}).get("context_window", 60)),
        company_suffixes=_tuple(rules, "company_suffixes"),
        intermediary_cues=_tuple(rules, "intermediary_cues"),
        student_programs=tuple(programs),
        hint_aliases=hint_aliases,
        guide_core_roles=core_roles,
        guide_core_skills=core_skills,
        guide_interests=" ".join(str(guide.get("interests", "")).split()),
        guide_profile_name=str(guide.get("profile_name", "Career guide default")),
        version=_version(data),
    )


_PACKAGED: list[dict[str, Any]] = []
_DEFAULT: list[Taxonomy] = []

# Top-level tables an extension file may contain (the packaged file's own schema).
_EXTENSION_KEYS = frozenset(
    {"meta", "guide", "sectors", "sector_rules", "roles", "skill_rules", "contexts", "skills",
     "internship"}
)  # fmt: skip
_SKILL_LISTS = (
    "synonyms", "ambiguous_aliases", "context", "not_followed_by", "not_preceded_by", "preceded_by"
)  # fmt: skip
_SECTOR_LISTS = ("text_cues", "weak_text_cues", "name_cues", "weak_name_cues")


def _packaged_data() -> dict[str, Any]:
    if not _PACKAGED:
        ref = resources.files("matcher").joinpath("data/taxonomy.toml")
        _PACKAGED.append(tomllib.loads(ref.read_text(encoding="utf-8")))
    return _PACKAGED[0]


def _read_toml(path: str | Path) -> dict[str, Any]:
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise TaxonomyError(f"{path}: not valid TOML: {exc}") from exc


def _extend_list(target: dict[str, Any], key: str, values: Any, where: str) -> None:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise TaxonomyError(f"{where}.{key} must be a list of strings")
    current = list(target.get(key, []))
    target[key] = current + [v for v in values if v not in current]


def merge_taxonomy(base: dict[str, Any], ext: dict[str, Any], where: str = "extension") -> dict:
    """``base`` (parsed TOML) extended by ``ext`` (parsed TOML of the same schema); a new dict.

    Lists are extended (duplicates dropped); scalars are replaced; a skill whose ``name`` (or
    any alias) matches an existing skill extends that skill's synonyms, ambiguous aliases,
    contexts and exclusions instead of being a duplicate; other skills are added.
    """
    unknown = set(ext) - _EXTENSION_KEYS
    if unknown:
        raise TaxonomyError(f"{where}: unknown top-level table(s) {sorted(unknown)}")
    out = json.loads(json.dumps(base))  # deep copy of plain TOML data
    for key in ("meta", "skill_rules"):
        if key in ext:
            out.setdefault(key, {}).update(ext[key])
    guide = ext.get("guide", {})
    for key, value in guide.items():
        if key in ("core_roles", "core_skills"):
            _extend_list(out.setdefault("guide", {}), key, value, f"{where}: guide")
        else:
            out.setdefault("guide", {})[key] = value
    for key, d in ext.get("sectors", {}).items():
        if key not in SECTORS:
            raise TaxonomyError(f"{where}: unknown sector {key!r} (sectors are {SECTORS})")
        target = out["sectors"][key]
        for field_name, value in d.items():
            if field_name in _SECTOR_LISTS:
                _extend_list(target, field_name, value, f"{where}: sectors.{key}")
            elif field_name == "description":
                target["description"] = f"{target.get('description', '')}\n{value}"
            else:
                target[field_name] = value
    rules = ext.get("sector_rules", {})
    for key in ("company_suffixes", "intermediary_cues"):
        if key in rules:
            _extend_list(out.setdefault("sector_rules", {}), key, rules[key],
                         f"{where}: sector_rules")  # fmt: skip
    if "hint_aliases" in rules:
        out.setdefault("sector_rules", {}).setdefault("hint_aliases", {}).update(
            rules["hint_aliases"]
        )
    if "programs" in ext.get("internship", {}):
        _extend_list(out.setdefault("internship", {}), "programs", ext["internship"]["programs"],
                     f"{where}: internship")  # fmt: skip
    for key, value in ext.get("contexts", {}).items():
        _extend_list(out.setdefault("contexts", {}), key, value, f"{where}: contexts")
    roles = ext.get("roles", {})
    out_roles = out.setdefault("roles", {})
    for key, d in roles.items():
        if key == "order":
            continue
        if not isinstance(d, dict):
            raise TaxonomyError(f"{where}: roles.{key} must be a table")
        if key not in out_roles:
            out_roles[key] = {}
            order = list(out_roles.get("order", []))
            # A new role is tried before the catch-all roles unless the extension says where.
            at = order.index("software") if "software" in order else max(len(order) - 1, 0)
            out_roles["order"] = [*order[:at], key, *order[at:]]
        target = out_roles[key]
        for field_name, value in d.items():
            if field_name == "title_patterns":
                _extend_list(target, field_name, value, f"{where}: roles.{key}")
            elif field_name == "keywords":
                target["keywords"] = f"{target.get('keywords', '')} {value}".strip()
            else:
                target[field_name] = value
    if "order" in roles:
        out_roles["order"] = list(roles["order"])
    skills = out.setdefault("skills", [])
    index = {}
    for i, s in enumerate(skills):
        for alias in (s.get("name", ""), *s.get("synonyms", []), *s.get("ambiguous_aliases", [])):
            index.setdefault(alias_key(alias), i)
    for d in ext.get("skills", []):
        if not isinstance(d, dict) or "name" not in d:
            raise TaxonomyError(f"{where}: every [[skills]] entry needs a name: {d}")
        i = index.get(alias_key(d["name"]))
        if i is None:
            skills.append(dict(d))
            i = len(skills) - 1
            for alias in (d["name"], *d.get("synonyms", []), *d.get("ambiguous_aliases", [])):
                index.setdefault(alias_key(alias), i)
            continue
        target = skills[i]
        if alias_key(d["name"]) != alias_key(target["name"]):
            # Named by one of its aliases: the extension's name is itself a synonym.
            _extend_list(target, "synonyms", [d["name"]], f"{where}: skill {d['name']}")
        for field_name, value in d.items():
            if field_name in _SKILL_LISTS:
                _extend_list(target, field_name, value, f"{where}: skill {d['name']}")
            elif field_name not in ("name",):
                target[field_name] = value
    return out


def load_taxonomy(
    path: str | Path | None = None, extra: Sequence[str | Path] | None = None
) -> Taxonomy:
    """Load the packaged taxonomy (default) or a TOML file at ``path``, extended by ``extra``.

    ``extra`` lists user TOML files of the same schema (see the top of ``taxonomy.toml``)
    merged in order by :func:`merge_taxonomy`: they add skills, synonyms, sector cues, contexts
    or roles without touching code. ``Taxonomy.version`` hashes the merged content, so it
    changes whenever an extension changes. The packaged taxonomy alone is parsed once per
    process.
    """
    if path is None and not extra:
        if not _DEFAULT:
            _DEFAULT.append(parse_taxonomy(_packaged_data()))
        return _DEFAULT[0]
    data = _packaged_data() if path is None else _read_toml(path)
    for ext_path in extra or ():
        data = merge_taxonomy(data, _read_toml(ext_path), where=str(ext_path))
    return parse_taxonomy(data)
