"""One service's database handle, created in the app lifespan and kept on `app.state`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from shared.db.engine import create_engine, create_sessionmaker
from shared.db.migrate import is_migrated
from shared.db.uow import UnitOfWork

EventsCommitted = Callable[[list[int]], Awaitable[None]]


#: Memory a snapshot read's sort or hash may use on PostgreSQL before spilling to disk.
SNAPSHOT_WORK_MEM = "64MB"


class Database:
    def __init__(self, url: str, service: str) -> None:
        self.url = url
        self.service = service
        self.engine: AsyncEngine = create_engine(url)
        self.sessionmaker = create_sessionmaker(self.engine)
        self.read_sessionmaker = create_sessionmaker(self.engine, read_only=True)
        self.on_events_committed: EventsCommitted | None = None

    def uow(
        self, *, actor: str, request_id: str | None = None, hold_commit: bool = False
    ) -> UnitOfWork:
        return UnitOfWork(
            self.sessionmaker,
            actor=actor,
            request_id=request_id,
            hold_commit=hold_commit,
            on_events_committed=self.on_events_committed,
        )

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A read-only session (never committed; on SQLite it does not take the write lock)."""
        async with self.read_sessionmaker() as session, session.begin():
            yield session

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[AsyncSession]:
        """A read-only session whose every query sees the same moment.

        PostgreSQL: REPEATABLE READ (read only, so it never fails to serialize), set before
        the first statement, with `SNAPSHOT_WORK_MEM` for its sorts and hashes (reports
        group hundreds of thousands of rows; the default 4 MB spills them to disk). SQLite:
        a read transaction already reads one snapshot (WAL).
        """
        async with self.read() as session:
            if self.engine.dialect.name == "postgresql":
                await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
                await session.execute(text(f"SET LOCAL work_mem = '{SNAPSHOT_WORK_MEM}'"))
            yield session

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def is_ready(self) -> bool:
        return await is_migrated(self.engine, self.service)

    async def dispose(self) -> None:
        await self.engine.dispose()
