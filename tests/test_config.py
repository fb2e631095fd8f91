"""Config: defaults with no file, validation errors that name file and field, env overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from internscout.config import ConfigError, load_config, write_default_config


def test_no_file_gives_builtin_defaults():
    config = load_config()
    assert config.path is None
    assert config.database_url.startswith("sqlite:///")
    kinds = {s.kind for s in config.sources}
    assert {"greenhouse", "lever", "ashby", "simplify"} <= kinds
    sectors = {s.sector for s in config.sources if s.sector}
    assert {"tech", "healthcare", "finance", "nonprofit", "research"} <= sectors
    assert config.profiles == []


def test_init_template_parses_to_the_same_sources(tmp_path: Path):
    path = write_default_config(tmp_path / "c.toml")
    assert [s.name for s in load_config(path).sources] == [s.name for s in load_config().sources]
    with pytest.raises(ConfigError, match="already exists"):
        write_default_config(path)


def test_env_and_cli_select_config_and_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "mine.toml"
    path.write_text('[[profiles]]\nname = "ana"\nskills = ["python"]\n')
    monkeypatch.setenv("INTERNSCOUT_CONFIG", str(path))
    monkeypatch.setenv("INTERNSCOUT_DATABASE_URL", "sqlite:///env.db")
    config = load_config()
    assert config.path == path
    assert config.profile("ana").skills == ["python"]
    assert config.database_url == "sqlite:///env.db"
    assert load_config(cli_db="sqlite:///cli.db").database_url == "sqlite:///cli.db"


def test_explicit_missing_file_is_an_error(tmp_path: Path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[[sources]]\nname = 'x'\nkind = 'monster'\nboard = 'b'\n",
            r"sources\[0\]\.kind: unknown kind 'monster'",
        ),
        ("[[sources]]\nname = 'x'\nkind = 'lever'\n", r"sources\[0\]\.board: required"),
        (
            "[[sources]]\nname = 'x'\nkind = 'lever'\nboard = 'b'\nsector = 'space'\n",
            r"sources\[0\]\.sector",
        ),
        (
            "[[sources]]\nname='a'\nkind='lever'\nboard='b'\n[[sources]]\nname='a'\nkind='lever'\nboard='c'\n",
            "used twice",
        ),
        (
            "[[profiles]]\nname = 'p'\nsectors = ['farming']\n",
            r"profiles\[0\]\.sectors: unknown farming",
        ),
        ("[[profiles]]\nname = 'p'\nremote_ok = 'yes'\n", r"profiles\[0\]\.remote_ok"),
        ("[[profiles]]\nname = 'p'\nentry_level = 1\n", r"profiles\[0\]\.entry_level"),
        ("[[profiles]]\nname = 'p'\nroles = [1]\n", r"profiles\[0\]\.roles"),
        ("[[profiles]]\nname = 'p'\nrole = ['ml']\n", r"profiles\[0\]: unknown key\(s\) 'role'"),
        ("[[profiles]]\nname = 'p'\nresume = 'cv.xls'\n", r"profiles\[0\]\.resume"),
        ("[scoring.weights]\ntext = -1\n", r"scoring\.weights\.text"),
        ("[scoring.weights]\nvibes = 1\n", r"scoring\.weights\.vibes: unknown weight"),
        ("this is = = not toml", "not valid TOML"),
    ],
)
def test_errors_name_file_and_field(tmp_path: Path, text: str, message: str):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as info:
        load_config(path)
    assert str(path) in str(info.value)


def test_unknown_profile_lists_known(tmp_path: Path):
    path = tmp_path / "c.toml"
    path.write_text("[[profiles]]\nname = 'ana'\n")
    with pytest.raises(ConfigError, match="profiles: ana"):
        load_config(path).profile("bo")


def test_profile_roles_and_entry_level(tmp_path: Path):
    path = tmp_path / "c.toml"
    path.write_text(
        "[[profiles]]\nname = 'ana'\nroles = ['ML Engineering', 'data-science']\n"
        "entry_level = true\n[[profiles]]\nname = 'bo'\n"
    )
    ana, bo = load_config(path).profiles
    assert (ana.roles, ana.entry_level) == (["ml_engineering", "data_science"], True)
    assert (bo.roles, bo.entry_level) == ([], False)
