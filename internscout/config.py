"""Configuration: one TOML file, validated once at the edge, then passed around."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from platformdirs import user_config_dir, user_data_dir

from internscout.defaults import DEFAULT_CONFIG_TEMPLATE, default_sources

APP = "internscout"
SOURCE_KINDS = (
    "greenhouse",
    "lever",
    "ashby",
    "simplify",
    "smartrecruiters",
    "workday",
    "workable",
    "recruitee",
    "usajobs",
    "jsonld",
    "feed",
    "remoteok",
    "hn",
)
_COMMON_SOURCE_KEYS = ("name", "kind", "board", "sector", "base_url", "url", "company")
SECTORS = ("tech", "healthcare", "finance", "nonprofit", "research", "other")
RESUME_SUFFIXES = (".txt", ".md", ".pdf", ".docx")


class ConfigError(Exception):
    """A user mistake in the configuration, worded to name the file and the field."""


@dataclass
class SourceConfig:
    name: str
    kind: str
    board: str
    sector: str | None = None
    base_url: str | None = None
    url: str | None = None
    company: str | None = None  # display name where the API gives none (Lever, Ashby)
    options: dict[str, Any] = field(default_factory=dict)  # kind-specific keys

    def as_crawl_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "kind": self.kind, "board": self.board}
        for key in ("sector", "base_url", "url", "company"):
            value = getattr(self, key)
            if value:
                data[key] = value
        data.update(self.options)
        return data


@dataclass
class ProfileConfig:
    name: str
    email: str | None = None
    skills: list[str] = field(default_factory=list)
    interests: str = ""
    sectors: list[str] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)
    remote_ok: bool = True
    resume: Path | None = None
    terms: list[str] = field(default_factory=list)  # e.g. ["Summer 2027"]
    # Role categories wanted (taxonomy role keys, checked against the taxonomy in use by
    # AppState.taxonomy); empty: the guide's AI/ML internship categories.
    roles: list[str] = field(default_factory=list)
    entry_level: bool = False  # also rank full-time entry-level (new-graduate) jobs


@dataclass
class AppConfig:
    path: Path | None  # None: built-in defaults, no file
    database_url: str
    sources: list[SourceConfig]
    profiles: list[ProfileConfig]
    weights: dict[str, float] = field(default_factory=dict)
    # Processes for classifying/vectorising large batches; -1: one per CPU.
    workers: int = -1
    # User TOML files extending the packaged taxonomy (skills, synonyms, cues, roles).
    taxonomy_files: list[Path] = field(default_factory=list)
    crawl_timeout: float = 1800.0
    crawl_settings: dict[str, Any] = field(default_factory=dict)
    digest_dir: Path = field(default_factory=lambda: default_data_dir() / "digests")

    def profile(self, name: str) -> ProfileConfig:
        for prof in self.profiles:
            if prof.name == name:
                return prof
        known = ", ".join(p.name for p in self.profiles) or "none configured"
        where = self.path or "the built-in defaults"
        raise ConfigError(f"no profile named {name!r} in {where} (profiles: {known})")

    def select_sources(self, names: list[str] | None) -> list[SourceConfig]:
        if not names:
            return list(self.sources)
        by_name = {s.name: s for s in self.sources}
        unknown = [n for n in names if n not in by_name]
        if unknown:
            known = ", ".join(by_name) or "none configured"
            raise ConfigError(f"unknown source(s) {', '.join(unknown)} (sources: {known})")
        return [by_name[n] for n in names]


def default_data_dir() -> Path:
    return Path(os.environ.get("INTERNSCOUT_HOME") or user_data_dir(APP))


def default_config_path() -> Path:
    home = os.environ.get("INTERNSCOUT_HOME")
    return Path(home) / "config.toml" if home else Path(user_config_dir(APP)) / "config.toml"


def default_database_url() -> str:
    return f"sqlite:///{default_data_dir() / 'internscout.db'}"


def resolve_config_path(cli_path: Path | None) -> tuple[Path, bool]:
    """The config file to use and whether the user named it explicitly."""
    if cli_path is not None:
        return cli_path, True
    env = os.environ.get("INTERNSCOUT_CONFIG")
    if env:
        return Path(env), True
    return default_config_path(), False


def load_config(cli_path: Path | None = None, cli_db: str | None = None) -> AppConfig:
    path, explicit = resolve_config_path(cli_path)
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc
        config = parse_config(data, path)
    elif explicit:
        raise ConfigError(f"config file {path} does not exist (run `internscout init {path}`)")
    else:
        config = parse_config({}, None)
    db = cli_db or os.environ.get("INTERNSCOUT_DATABASE_URL")
    if db:
        config.database_url = db
    return config


def parse_config(data: dict[str, Any], path: Path | None) -> AppConfig:
    where = str(path) if path else "built-in defaults"
    base = path.parent if path else Path.cwd()

    db = _table(data, "database", where)
    url = _opt_str(db, "url", f"{where}: database") or default_database_url()

    if "sources" in data:
        raw_sources = data["sources"]
        if not isinstance(raw_sources, list):
            raise ConfigError(f"{where}: sources: expected a list of tables ([[sources]])")
    else:
        raw_sources = default_sources()
    sources = [_source(s, f"{where}: sources[{i}]") for i, s in enumerate(raw_sources)]
    _unique([s.name for s in sources], f"{where}: sources")

    raw_profiles = data.get("profiles", [])
    if not isinstance(raw_profiles, list):
        raise ConfigError(f"{where}: profiles: expected a list of tables ([[profiles]])")
    profiles = [_profile(p, f"{where}: profiles[{i}]", base) for i, p in enumerate(raw_profiles)]
    _unique([p.name for p in profiles], f"{where}: profiles")

    scoring = _table(data, "scoring", where)
    weights: dict[str, float] = {}
    raw_weights = _table(scoring, "weights", f"{where}: scoring")
    if raw_weights:
        # Imported here: the scorer loads scikit-learn, which most commands never need.
        from matcher import DEFAULT_WEIGHTS
    for key, value in raw_weights.items():
        if key not in DEFAULT_WEIGHTS:
            known = ", ".join(DEFAULT_WEIGHTS)
            raise ConfigError(f"{where}: scoring.weights.{key}: unknown weight (known: {known})")
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            raise ConfigError(f"{where}: scoring.weights.{key}: expected a non-negative number")
        weights[key] = float(value)

    workers = scoring.get("workers", -1)
    if (
        isinstance(workers, bool)
        or not isinstance(workers, int)
        or not (workers >= 1 or workers == -1)
    ):
        raise ConfigError(
            f"{where}: scoring.workers: expected a positive number of processes (or -1: one per CPU)"
        )

    taxonomy_files = []
    for i, name in enumerate(_str_list(scoring, "taxonomy", f"{where}: scoring")):
        file = base / Path(name).expanduser()
        if not file.is_file():
            raise ConfigError(f"{where}: scoring.taxonomy[{i}]: file not found: {file}")
        taxonomy_files.append(file)

    crawl = _table(data, "crawl", where)
    timeout = crawl.get("timeout", 1800)
    if not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ConfigError(f"{where}: crawl.timeout: expected a positive number of seconds")
    settings = _table(crawl, "settings", f"{where}: crawl")

    digest = _table(data, "digest", where)
    out_dir = _opt_str(digest, "out_dir", f"{where}: digest")
    digest_dir = (base / Path(out_dir).expanduser()) if out_dir else default_data_dir() / "digests"

    return AppConfig(
        path=path,
        database_url=url,
        sources=sources,
        profiles=profiles,
        weights=weights,
        workers=workers,
        taxonomy_files=taxonomy_files,
        crawl_timeout=float(timeout),
        crawl_settings=dict(settings),
        digest_dir=digest_dir,
    )


def _table(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: {key}: expected a table ([{key}])")
    return value


def _opt_str(data: dict[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}.{key}: expected a non-empty string")
    return value.strip()


def _req_str(data: dict[str, Any], key: str, where: str) -> str:
    value = _opt_str(data, key, where)
    if value is None:
        raise ConfigError(f"{where}.{key}: required")
    return value


def _str_list(data: dict[str, Any], key: str, where: str) -> list[str]:
    value = data.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}.{key}: expected a list of strings")
    return [v.strip() for v in value if v.strip()]


def _unique(names: list[str], where: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ConfigError(f"{where}: the name {name!r} is used twice")
        seen.add(name)


def _source(raw: Any, where: str) -> SourceConfig:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a table")
    kind = _req_str(raw, "kind", where).lower()
    if kind not in SOURCE_KINDS:
        raise ConfigError(f"{where}.kind: unknown kind {kind!r} (known: {', '.join(SOURCE_KINDS)})")
    sector = _opt_str(raw, "sector", where)
    if sector and sector not in SECTORS:
        raise ConfigError(f"{where}.sector: {sector!r} is not one of {', '.join(SECTORS)}")
    base_url = _opt_str(raw, "base_url", where)
    if base_url and not base_url.startswith(("http://", "https://")):
        raise ConfigError(f"{where}.base_url: expected an http(s) URL, got {base_url!r}")
    return SourceConfig(
        name=_req_str(raw, "name", where),
        kind=kind,
        board=_req_str(raw, "board", where),
        sector=sector,
        base_url=base_url.rstrip("/") if base_url else None,
        url=_opt_str(raw, "url", where),
        company=_opt_str(raw, "company", where),
        options=_source_options(raw, kind, where),
    )


def _source_options(raw: dict[str, Any], kind: str, where: str) -> dict[str, Any]:
    """Kind-specific keys (e.g. Workday `search_text`), passed to the spider as they are."""
    options: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _COMMON_SOURCE_KEYS:
            continue
        ok = isinstance(value, (str, int, float, bool)) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        )
        if not ok:
            raise ConfigError(
                f"{where}.{key}: expected a string, number, boolean or list of strings"
            )
        options[key] = value
    if kind == "jsonld" and not (
        options.get("start_urls") or options.get("sitemap") or raw.get("url")
    ):
        raise ConfigError(
            f"{where}: a jsonld source needs start_urls (a list), sitemap or url (a URL)"
        )
    if kind == "feed" and not raw.get("url"):
        raise ConfigError(f"{where}.url: required for a feed source (the RSS/Atom address)")
    if kind == "workday" and raw.get("board", "").count("/") != 1:
        raise ConfigError(f"{where}.board: a Workday board is 'tenant/site', e.g. 'acme/External'")
    return options


_PROFILE_KEYS = ("name", "email", "skills", "interests", "sectors", "locations", "remote_ok",
                 "resume", "terms", "roles", "entry_level")  # fmt: skip


def _profile(raw: Any, where: str, base: Path) -> ProfileConfig:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a table")
    extra = [k for k in raw if k not in _PROFILE_KEYS]
    if extra:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(map(repr, extra))} "
            f"(known: {', '.join(_PROFILE_KEYS)})"
        )
    sectors = [s.lower() for s in _str_list(raw, "sectors", where)]
    bad = [s for s in sectors if s not in SECTORS]
    if bad:
        raise ConfigError(
            f"{where}.sectors: unknown {', '.join(bad)} (known: {', '.join(SECTORS)})"
        )
    remote_ok = raw.get("remote_ok", True)
    if not isinstance(remote_ok, bool):
        raise ConfigError(f"{where}.remote_ok: expected true or false")
    entry_level = raw.get("entry_level", False)
    if not isinstance(entry_level, bool):
        raise ConfigError(f"{where}.entry_level: expected true or false")
    roles = [role_key(r) for r in _str_list(raw, "roles", where)]
    interests = raw.get("interests", "")
    if not isinstance(interests, str):
        raise ConfigError(f"{where}.interests: expected a string")
    resume = _opt_str(raw, "resume", where)
    resume_path = (base / Path(resume).expanduser()) if resume else None
    if resume_path is not None and resume_path.suffix.lower() not in RESUME_SUFFIXES:
        raise ConfigError(
            f"{where}.resume: {resume_path} must be one of {', '.join(RESUME_SUFFIXES)}"
        )
    return ProfileConfig(
        name=_req_str(raw, "name", where),
        email=_opt_str(raw, "email", where),
        skills=_str_list(raw, "skills", where),
        interests=interests.strip(),
        sectors=sectors,
        locations=_str_list(raw, "locations", where),
        remote_ok=remote_ok,
        resume=resume_path,
        terms=_str_list(raw, "terms", where),
        roles=roles,
        entry_level=entry_level,
    )


def role_key(name: str) -> str:
    """A role category as the taxonomy keys it: "ML Engineering" -> "ml_engineering"."""
    return "_".join(name.strip().lower().replace("-", " ").split())


def check_profile_roles(config: AppConfig, known: dict[str, str]) -> None:
    """Every profile's roles are categories of the taxonomy in use (``known``: key -> label),
    or a ConfigError names the profile, the unknown roles and the known ones."""
    for i, p in enumerate(config.profiles):
        bad = [r for r in p.roles if r not in known]
        if bad:
            where = f"{config.path or 'configuration'}: profiles[{i}] ({p.name})"
            listed = ", ".join(f"{k} ({label})" for k, label in known.items())
            raise ConfigError(f"{where}.roles: unknown {', '.join(bad)} (known: {listed})")


def write_default_config(path: Path, force: bool = False) -> Path:
    if path.exists() and not force:
        raise ConfigError(f"{path} already exists (use --force to overwrite)")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(DEFAULT_CONFIG_TEMPLATE, encoding="utf-8")
    return path
