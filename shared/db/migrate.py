"""Running and checking each service's Alembic migrations from code."""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.engine import ensure_sqlite_dir

REPO_ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS_DIR = REPO_ROOT / "migrations"


def alembic_config(service: str, database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR / service))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    cfg.attributes["service"] = service
    return cfg


def upgrade(service: str, database_url: str, revision: str = "head") -> None:
    """Migrate `service`'s database to `revision` (blocking: call it outside the event loop)."""
    ensure_sqlite_dir(database_url)
    command.upgrade(alembic_config(service, database_url), revision)


@functools.cache
def head_revisions(service: str) -> frozenset[str]:
    """The newest revisions of `service` (read from disk once per process)."""
    script = ScriptDirectory.from_config(alembic_config(service, "sqlite://"))
    return frozenset(script.get_heads())


def _current_revisions(connection: Connection) -> set[str]:
    return set(MigrationContext.configure(connection).get_current_heads())


async def is_migrated(engine: AsyncEngine, service: str) -> bool:
    """True when the database answers and sits at the newest migration."""
    async with engine.connect() as conn:
        current = await conn.run_sync(_current_revisions)
    return current == head_revisions(service)
