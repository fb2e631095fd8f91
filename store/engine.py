"""Engine construction from a URL. Callers own the engine; nothing here is global."""

from __future__ import annotations

import json
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
            add_missing_columns(engine)
            add_missing_indexes(engine)
        except sa.exc.OperationalError as exc:
            raise StoreError(
                f"cannot open database {parsed.render_as_string()}: {exc.orig}"
            ) from exc
    return engine


def add_missing_columns(engine: Engine) -> list[str]:
    """Bring a database made by an older InternScout up to the current tables.

    `create_all` adds new tables but not new columns; this adds each missing
    column (nullable, with its model default) so an upgrade keeps the user's data.
    """
    inspector = sa.inspect(engine)
    existing_tables = set(inspector.get_table_names())
    added: list[str] = []
    for table in SQLModel.metadata.sorted_tables:
        if table.name not in existing_tables:
            continue
        have = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in have:
                continue
            ddl_type = column.type.compile(dialect=engine.dialect)
            default = _column_default(table.name, column)
            clause = f" DEFAULT {default}" if default is not None else ""
            with engine.begin() as conn:
                conn.exec_driver_sql(
                    f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {ddl_type}{clause}'
                )
            added.append(f"{table.name}.{column.name}")
    return added


def add_missing_indexes(engine: Engine) -> list[str]:
    """Create the model's indexes that a database made by an older version lacks
    (`create_all` creates indexes only with new tables). One catalog query when none is."""
    if engine.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'index'"
    elif engine.dialect.name == "postgresql":
        query = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
    else:
        return []
    added: list[str] = []
    with engine.begin() as conn:
        existing = set(conn.exec_driver_sql(query).scalars())
        for table in SQLModel.metadata.sorted_tables:
            for index in table.indexes:
                if index.name not in existing:
                    index.create(conn)
                    added.append(str(index.name))
    return added


def _column_default(table_name: str, column: sa.Column) -> str | None:
    """The SQL literal for a model field's default (JSON lists/dicts as JSON text)."""
    model = next(
        (m.class_ for m in SQLModel._sa_registry.mappers if m.local_table.name == table_name),
        None,
    )
    field = getattr(model, "model_fields", {}).get(column.name) if model else None
    if field is None:
        return None
    value = field.default_factory() if field.default_factory else field.default
    if value is None or type(value).__name__ == "PydanticUndefinedType":
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    text = json.dumps(value) if isinstance(value, (list, dict)) else str(value)
    return "'" + text.replace("'", "''") + "'"


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
