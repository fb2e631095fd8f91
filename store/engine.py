"""Engine construction from a URL. Callers own the engine; nothing here is global."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlmodel import SQLModel

from store import models  # noqa: F401  (registers the tables on SQLModel.metadata)

SQLITE_BUSY_TIMEOUT_MS = 30_000


class StoreError(Exception):
    """A database problem worth telling the user about in one line."""


def make_engine(url: str, *, create: bool = True, echo: bool = False) -> Engine:
    """Build an engine for `url` (sqlite:///... or postgresql+psycopg://...) and create tables."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError as exc:
        raise StoreError(f"invalid database URL {url!r}: {exc}") from exc

    kwargs: dict[str, Any] = {"echo": echo, "pool_pre_ping": True}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        in_memory = database in ("", ":memory:")
        if not in_memory:
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        engine = sa.create_engine(parsed, **kwargs)
        sa.event.listen(engine, "connect", _sqlite_pragmas(in_memory))
    else:
        engine = sa.create_engine(parsed, **kwargs)

    if create:
        try:
            SQLModel.metadata.create_all(engine)
        except sa.exc.OperationalError as exc:
            raise StoreError(
                f"cannot open database {parsed.render_as_string()}: {exc.orig}"
            ) from exc
    return engine


def _sqlite_pragmas(in_memory: bool) -> Any:
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        # WAL lets the crawler subprocess write while the CLI reads.
        if not in_memory:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    return on_connect


def dialect_insert(engine_or_conn: Any, table: Any) -> Any:
    """The dialect's INSERT that supports ON CONFLICT (SQLite and PostgreSQL)."""
    name = engine_or_conn.dialect.name
    if name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        raise StoreError(f"unsupported database dialect {name!r}: use SQLite or PostgreSQL")
    return insert(table)
