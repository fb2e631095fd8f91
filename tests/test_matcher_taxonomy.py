"""The taxonomy data file: content, validation and the version hash."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from matcher import SECTORS, Taxonomy, TaxonomyError, load_taxonomy
from matcher.taxonomy import parse_taxonomy

PACKAGED = Path(__file__).resolve().parents[1] / "matcher" / "data" / "taxonomy.toml"


@pytest.fixture(scope="module")
def tax() -> Taxonomy:
    return load_taxonomy()


def test_content(tax: Taxonomy) -> None:
    assert set(tax.sectors) == set(SECTORS)
    assert len(tax.skills) >= 100
    groups = {s.group for s in tax.skills}
    assert {"languages", "ml_frameworks", "sql_databases", "llm_nlp", "vision_robotics", "cloud",
            "data_engineering", "mlops", "responsible_ai", "workplace"} <= groups  # fmt: skip
    guide_roles = {k for k, r in tax.roles.items() if r.guide}
    assert guide_roles == {"ml_engineering", "data_science", "software_ai", "research",
                           "automation", "analytics_engineering", "cloud_ai"}  # fmt: skip
    for name in ("R", "Go", "C", "Excel", "SAS", "Julia", "Rust", "Scala"):
        skill = tax.skills_by_name[name]
        assert skill.ambiguous and skill.context, name
    assert tax.skills_by_name["Apache Spark"].ambiguous_aliases == ("Spark",)
    for s in tax.sectors.values():
        assert s.description and s.name_cues and s.text_cues


def test_version_is_stable_content_hash(tax: Taxonomy, tmp_path: Path) -> None:
    assert load_taxonomy() is tax
    assert load_taxonomy(PACKAGED).version == tax.version
    text = PACKAGED.read_text(encoding="utf-8")
    commented = tmp_path / "t.toml"
    commented.write_text("# a new comment\n" + text, encoding="utf-8")
    assert load_taxonomy(commented).version == tax.version  # formatting is not content
    changed = tmp_path / "c.toml"
    changed.write_text(text.replace('name = "Kotlin"', 'name = "Kotlin2"'), encoding="utf-8")
    assert load_taxonomy(changed).version != tax.version


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["sectors"].pop("other"), "sectors must be exactly"),
        (lambda d: d["skills"].append({"name": "Python", "group": "languages"}), "duplicate"),
        (lambda d: d["skills"].append({"name": "Zz", "group": "x", "ambiguous": True}),
         "needs a context"),
        (lambda d: d["skills"].append({"name": "Zq", "group": "x", "ambiguous": True,
                                       "context": ["nope"]}), "unknown context"),
        (lambda d: d["sectors"]["tech"].__setitem__("name_cues", ["(unclosed"]), "bad regex"),
    ],
)  # fmt: skip
def test_validation(mutate, message: str) -> None:
    data = tomllib.loads(PACKAGED.read_text(encoding="utf-8"))
    mutate(data)
    with pytest.raises(TaxonomyError, match=message):
        parse_taxonomy(data)
