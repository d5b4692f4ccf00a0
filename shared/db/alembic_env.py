"""The body of every service's `migrations/<service>/env.py`."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from alembic import context
from sqlalchemy import Connection, MetaData

from shared.db.engine import create_engine
from shared.db.tables import shared_metadata


def _do_run(connection: Connection, metadata: Sequence[MetaData]) -> None:
    context.configure(
        connection=connection,
        target_metadata=list(metadata),
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online(url: str, metadata: Sequence[MetaData]) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.run_sync(_do_run, metadata)
            await conn.commit()
    finally:
        await engine.dispose()


def run_migrations(service_metadata: MetaData | None = None) -> None:
    """Migrate online with the async engine; the shared tables always come along."""
    metadata = [shared_metadata] + ([service_metadata] if service_metadata is not None else [])
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("sqlalchemy.url is not set for this migration run")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_online(url, metadata))
