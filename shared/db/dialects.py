"""What differs between the two databases the services run on."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession


def dialect_insert(session: AsyncSession) -> Any:
    """The `insert` construct of the session's database: PostgreSQL's and SQLite's both
    take `.on_conflict_do_nothing()` / `.on_conflict_do_update()`, the generic one none."""
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
