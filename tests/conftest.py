"""Shared fixtures: databases (SQLite always, PostgreSQL when configured), clocks, shared data."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import store

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
PG_URL = os.environ.get("INTERNSCOUT_TEST_PG_URL")


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test reads or writes the real user's config or database."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("INTERNSCOUT_HOME", str(home))
    monkeypatch.delenv("INTERNSCOUT_CONFIG", raising=False)
    monkeypatch.delenv("INTERNSCOUT_DATABASE_URL", raising=False)


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"reference data not available: {SHARED} is absent")
    return SHARED


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def fresh_db(sqlite_url: str) -> Iterator[Engine]:
    engine = store.make_engine(sqlite_url)
    yield engine
    engine.dispose()


def _pg_engine() -> Engine:
    if not PG_URL:
        pytest.skip("no PostgreSQL server configured (set INTERNSCOUT_TEST_PG_URL; .ci/run does)")
    engine = store.make_engine(PG_URL, create=False)
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    return engine


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_db(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[Engine]:
    """The same test against SQLite and against a real PostgreSQL server."""
    engine = store.make_engine(sqlite_url) if request.param == "sqlite" else _pg_engine()
    yield engine
    engine.dispose()


class FakeClock:
    """An injectable clock that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
