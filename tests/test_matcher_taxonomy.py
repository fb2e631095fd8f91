"""The taxonomy data file: content, validation and the version hash."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from matcher import SECTORS, Taxonomy, TaxonomyError, load_taxonomy
from matcher.taxonomy import merge_taxonomy, parse_taxonomy

PACKAGED = Path(__file__).resolve().parents[1] / "matcher" / "data" / "taxonomy.toml"


@pytest.fixture(scope="module")
def tax() -> Taxonomy:
    return load_taxonomy()


def test_content(tax: Taxonomy) -> None:
    assert set(tax.sectors) == set(SECTORS)
    assert len(tax.skills) >= 150
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


# --- user extensions -----------------------------------------------------------------------


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_extension_adds_skills_synonyms_and_cues(tax: Taxonomy, tmp_path: Path) -> None:
    ext = _write(tmp_path, "ext.toml", """
[[skills]]
name = "PyTorch"
synonyms = ["pytorch-geometric"]

[[skills]]
name = "golang"
synonyms = ["go-lang"]

[[skills]]
name = "Streamlit"
group = "data_tools"
synonyms = ["streamlit apps"]

[sectors.finance]
name_cues = ["bausparkasse"]

[contexts]
programming = ["cobol"]
""")  # fmt: skip
    merged = load_taxonomy(extra=[ext])
    assert len(merged.skills) == len(tax.skills) + 1
    assert "pytorch-geometric" in merged.skills_by_name["PyTorch"].synonyms
    # Named by an alias: extends Go, and the alias itself stays one.
    assert "go-lang" in merged.skills_by_name["Go"].synonyms
    assert merged.canonical_skill("streamlit apps") == "Streamlit"
    assert "bausparkasse" in merged.sectors["finance"].name_cues
    assert "cobol" in merged.contexts["programming"]
    assert merged.version != tax.version
    # The packaged taxonomy is untouched.
    assert "pytorch-geometric" not in load_taxonomy().skills_by_name["PyTorch"].synonyms

    from matcher import PostingAnalyzer, PostingText

    analyzer = PostingAnalyzer(taxonomy=merged).fit()
    a = analyzer.analyze(PostingText(title="Data Intern", company="Kreis Bausparkasse",
                                     description="Build streamlit apps with pytorch-geometric."))  # fmt: skip
    assert {"Streamlit", "PyTorch"} <= set(a.skills)
    assert a.sector == "finance"


def test_extension_version_follows_its_content(tmp_path: Path) -> None:
    ext = _write(tmp_path, "ext.toml", '[[skills]]\nname = "Keras"\nsynonyms = ["keras3"]\n')
    first = load_taxonomy(extra=[ext]).version
    assert load_taxonomy(extra=[ext]).version == first
    ext.write_text('[[skills]]\nname = "Keras"\nsynonyms = ["keras 3"]\n', encoding="utf-8")
    assert load_taxonomy(extra=[ext]).version != first
    # Several files merge in order; a base path works too.
    other = _write(tmp_path, "other.toml", '[[skills]]\nname = "Keras"\nsynonyms = ["tf.keras2"]\n')
    both = load_taxonomy(PACKAGED, extra=[ext, other])
    assert {"keras 3", "tf.keras2"} <= set(both.skills_by_name["Keras"].synonyms)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[nonsense]\nx = 1\n", "unknown top-level"),
        ('[sectors.crypto]\nname_cues = ["coin"]\n', "unknown sector"),
        ('[[skills]]\nname = "Zzyzx"\n', "needs name and group"),
        ('[[skills]]\nname = "Python"\nsynonyms = "py"\n', "list of strings"),
        ('[[skills]]\nname = "Zzyzx"\ngroup = "x"\nnot_followed_by = ["(bad"]\n', "bad regex"),
        ('[[skills]]\nname = "Zzyzx"\ngroup = "x"\npreceded_by = ["in ("]\n', "bad regex"),
        ("not toml = = =", "not valid TOML"),
    ],
)
def test_extension_errors(tmp_path: Path, text: str, message: str) -> None:
    ext = _write(tmp_path, "bad.toml", text)
    with pytest.raises(TaxonomyError, match=message):
        load_taxonomy(extra=[ext])


def test_extension_adds_preceded_by(tmp_path: Path) -> None:
    from matcher.features import SkillExtractor

    text = "Pricing models written in Julia for the trading desk."
    assert "Julia" not in SkillExtractor(load_taxonomy()).extract(text)
    ext = _write(
        tmp_path, "ext.toml", '[[skills]]\nname = "Julia"\npreceded_by = ["\\\\bin\\\\s+"]\n'
    )
    assert "Julia" in SkillExtractor(load_taxonomy(extra=[ext])).extract(text)


def test_merge_taxonomy_adds_roles_before_software() -> None:
    base = tomllib.loads(PACKAGED.read_text(encoding="utf-8"))
    ext = {"roles": {"quant": {"label": "Quant", "title_patterns": ["\\bquant\\b"]}}}
    order = merge_taxonomy(base, ext)["roles"]["order"]
    assert order.index("quant") == order.index("software") - 1
    parse_taxonomy(merge_taxonomy(base, ext))  # valid


def test_extension_adds_student_programmes(tmp_path: Path) -> None:
    from matcher import PostingAnalyzer, PostingText

    ext = _write(tmp_path, "ext.toml", '[internship]\nprograms = ["Bright Futures Scholars"]\n')
    merged = load_taxonomy(extra=[ext])
    assert "Bright Futures Scholars" in merged.student_programs
    assert set(load_taxonomy().student_programs) < set(merged.student_programs)
    title = PostingText(title="Bright-Futures Scholars - Data")
    assert PostingAnalyzer(taxonomy=merged).fit().analyze(title).is_internship
    assert not PostingAnalyzer().fit().analyze(title).is_internship
    bad = _write(tmp_path, "bad.toml", '[internship]\nprograms = ["ok", 3]\n')
    with pytest.raises(TaxonomyError, match="internship.*programs"):
        load_taxonomy(extra=[bad])
    blank = _write(tmp_path, "blank.toml", '[internship]\nprograms = ["  "]\n')
    with pytest.raises(TaxonomyError, match="internship.programs"):
        load_taxonomy(extra=[blank])
    data = tomllib.loads(PACKAGED.read_text(encoding="utf-8"))
    data["internship"]["programs"] = "INROADS"  # a string, not a list
    with pytest.raises(TaxonomyError, match="internship.programs"):
        parse_taxonomy(data)


def test_role_title_patterns_cannot_go_quadratic() -> None:
    # Role patterns are searched from every position of a title: one starting with an
    # unbounded repeat ("\w*informatics") rescans a long word from each of its characters,
    # and a garbage title of 40,000 letters then took 11 s.
    leading_repeat = re.compile(r"^(?:\\[wWdDsS]|\.|\[[^\]]*\])[*+{]")
    for key, role in load_taxonomy().roles.items():
        for pattern in role.title_patterns:
            assert not leading_repeat.match(pattern), (key, pattern)
