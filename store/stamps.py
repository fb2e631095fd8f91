"""Change counters, so "is there anything to classify or score?" is a primary-key read.

A counter is bumped in the same transaction as the writes it counts: "postings" when an
upsert inserts, changes or reopens a posting, "analyses" when analyses are saved. A pass that
leaves nothing pending records the counter it read BEFORE looking for work as a checkpoint
("analysed": the postings counter and the model version; "scored:<profile>": the analyses
counter and the profile hash + fit id). While the counter still equals its checkpoint, no
write of that kind has happened since, so the pass would find nothing: the caller skips the
scans of every posting. Anything written after the counter was read bumps it past the
checkpoint, and the next caller looks again (a missed bump can't happen: it commits with the
data). Deleting scores drops their checkpoints.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from store.engine import dialect_insert
from store.models import ChangeStamp

POSTINGS_STAMP = "postings"
ANALYSES_STAMP = "analyses"
ANALYSED_CHECKPOINT = "analysed"
_SCORED = "scored:"


def scored_checkpoint(profile_name: str) -> str:
    return _SCORED + profile_name


def bump(conn: sa.Connection, name: str) -> None:
    """Add one to counter ``name`` inside the caller's transaction."""
    table = ChangeStamp.__table__
    stmt = dialect_insert(conn, table).values(name=name, value=1, key="")
    conn.execute(
        stmt.on_conflict_do_update(index_elements=["name"], set_={"value": table.c.value + 1})
    )


def read_stamps(engine: Engine, names: Sequence[str]) -> dict[str, tuple[int, str]]:
    """(value, key) of each of ``names`` that exists (a counter never bumped is absent: 0)."""
    table = ChangeStamp.__table__
    stmt = sa.select(table.c.name, table.c.value, table.c.key).where(table.c.name.in_(names))
    with engine.connect() as conn:
        return {name: (value, key) for name, value, key in conn.execute(stmt)}


def set_checkpoint(engine: Engine, name: str, value: int, key: str) -> None:
    table = ChangeStamp.__table__
    stmt = dialect_insert(engine, table).values(name=name, value=value, key=key)
    stmt = stmt.on_conflict_do_update(index_elements=["name"], set_={"value": value, "key": key})
    with engine.begin() as conn:
        conn.execute(stmt)


def drop_score_checkpoints(conn: sa.Connection, profile_name: str | None = None) -> None:
    """Inside the transaction that deletes scores (of one profile, or all)."""
    table = ChangeStamp.__table__
    if profile_name is None:
        cond = table.c.name.startswith(_SCORED, autoescape=True)
    else:
        cond = table.c.name == scored_checkpoint(profile_name)
    conn.execute(sa.delete(table).where(cond))
