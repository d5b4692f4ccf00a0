"""`one_of` on both databases: the rows whose value is listed, whatever the list's length."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from shared.db.filters import one_of
from tests.service.shared_support import engine_for

metadata = MetaData()
parts = Table(
    "test_parts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("code", String(64), nullable=False),
)


@pytest.fixture
async def engine(database_factory) -> AsyncIterator[AsyncEngine]:
    async with engine_for(await database_factory("catalog"), metadata) as engine:
        async with engine.begin() as conn:
            rows = [{"id": n, "code": f"P-{n:05d}"} for n in range(3000)]
            await conn.execute(insert(parts), rows)
        yield engine


@pytest.mark.parametrize("count", [0, 1, 7, 2500])
async def test_rows_with_a_listed_value_and_no_others(engine: AsyncEngine, count: int) -> None:
    wanted = {f"P-{n:05d}" for n in range(0, 2 * count, 2)} | {"NOT-THERE", "P-1'; --"}
    async with AsyncSession(engine) as session:
        # the same statement run again and again (PostgreSQL's generic plan after 5 runs)
        for _ in range(7):
            found = set(
                await session.scalars(
                    select(parts.c.code).where(one_of(session, parts.c.code, wanted))
                )
            )
            assert found == wanted & {f"P-{n:05d}" for n in range(3000)}
            ids = set(
                await session.scalars(
                    select(parts.c.id).where(one_of(session, parts.c.id, range(count)))
                )
            )
            assert ids == set(range(count))
