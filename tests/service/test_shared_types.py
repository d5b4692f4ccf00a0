"""ExactDecimal and UTCDateTime on both databases, in a real table."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, func, insert, select
from sqlalchemy.exc import SQLAlchemyError, StatementError
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.types import ExactDecimal, UTCDateTime
from tests.service.shared_support import engine_for

metadata = MetaData()
amounts = Table(
    "test_amounts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("amount", ExactDecimal(), nullable=True),
    Column("price", ExactDecimal(18, 2), nullable=True),
    Column("at", UTCDateTime(), nullable=True),
)

# 2**63 - 1 units of 10**-6: the largest amount the scaled BIGINT holds on SQLite
LARGEST = Decimal("9223372036854.775807")


@pytest.fixture
async def engine(database_factory) -> AsyncIterator[AsyncEngine]:
    async with engine_for(await database_factory("catalog"), metadata) as engine:
        yield engine


async def _insert(engine: AsyncEngine, *rows: dict) -> None:
    async with engine.begin() as conn:
        await conn.execute(insert(amounts), list(rows))


async def _scalar(engine: AsyncEngine, query):
    async with engine.connect() as conn:
        return (await conn.execute(query)).scalar_one()


async def test_decimals_are_exact_in_sums_and_comparisons(engine: AsyncEngine) -> None:
    values = ["0.1", "0.2", "0.000001", "-0.000001", "123456.789012", "-123456.789012"]
    await _insert(engine, *({"id": i, "amount": Decimal(v)} for i, v in enumerate(values)))
    total = await _scalar(engine, select(func.sum(amounts.c.amount)))
    assert total == Decimal("0.3") and isinstance(total, Decimal)
    tiny = await _scalar(engine, select(func.sum(amounts.c.amount)).where(amounts.c.id.in_([0, 1])))
    assert tiny == Decimal("0.3") and str(tiny) == "0.300000"
    hits = await _scalar(engine, select(func.count()).where(amounts.c.amount == Decimal("0.1")))
    assert hits == 1
    above = await _scalar(engine, select(func.count())
                          .where(amounts.c.amount > Decimal("0.000001")))
    assert above == 3
    with pytest.raises(StatementError):  # a literal with more places is refused, not rounded
        await _scalar(engine, select(func.count()).where(amounts.c.amount > Decimal("0.0000005")))
    doubled = await _scalar(engine, select(amounts.c.amount + amounts.c.amount)
                            .where(amounts.c.id == 4))
    assert doubled == Decimal("246913.578024")


async def test_many_small_amounts_sum_exactly(engine: AsyncEngine) -> None:
    await _insert(engine, *({"id": i, "amount": Decimal("0.1")} for i in range(1000)))
    assert await _scalar(engine, select(func.sum(amounts.c.amount))) == Decimal(100)


async def test_order_by_is_numeric(engine: AsyncEngine) -> None:
    values = ["10", "9.5", "-2", "0.000001", "-0.5", "100.25", "0", "2"]
    await _insert(engine, *({"id": i, "amount": Decimal(v)} for i, v in enumerate(values)))
    async with engine.connect() as conn:
        result = await conn.execute(select(amounts.c.amount).order_by(amounts.c.amount))
        got = list(result.scalars())
    assert got == sorted(Decimal(v) for v in values)
    assert all(value.as_tuple().exponent == -6 for value in got)


async def test_extremes_and_none_round_trip(engine: AsyncEngine) -> None:
    values = [LARGEST, -LARGEST, Decimal("0.000001"), Decimal(0), None]
    await _insert(engine, *({"id": i, "amount": v} for i, v in enumerate(values)))
    async with engine.connect() as conn:
        got = list((await conn.execute(select(amounts.c.amount).order_by(amounts.c.id))).scalars())
    assert got == values


async def test_more_places_than_the_scale_are_refused_not_rounded(engine: AsyncEngine) -> None:
    for bad in (Decimal("0.0000001"), Decimal("1.23456789"), Decimal("NaN")):
        with pytest.raises(StatementError):
            await _insert(engine, {"id": 1, "amount": bad})
    with pytest.raises(StatementError):
        await _insert(engine, {"id": 1, "price": Decimal("1.005")})
    await _insert(engine, {"id": 1, "price": Decimal("1.10")})
    assert await _scalar(engine, select(amounts.c.price)) == Decimal("1.10")
    assert await _scalar(engine, select(func.count()).select_from(amounts)) == 1


async def test_values_beyond_the_range_fail_loudly(engine: AsyncEngine) -> None:
    with pytest.raises((SQLAlchemyError, OverflowError, ValueError)):
        await _insert(engine, {"id": 1, "amount": Decimal("1e30")})
    assert await _scalar(engine, select(func.count()).select_from(amounts)) == 0


async def test_timestamps_come_back_aware_utc_and_order_by_instant(engine: AsyncEngine) -> None:
    shanghai = timezone(timedelta(hours=8))
    instants = [
        datetime(2025, 3, 1, 8, 0, 0, 123456, tzinfo=shanghai),  # 00:00:00.123456 UTC
        datetime(2025, 2, 28, 23, 59, 59, tzinfo=UTC),
        datetime(2025, 3, 1, 0, 0, 1, tzinfo=UTC),
        datetime(2025, 2, 28, 20, 0, 0, tzinfo=timezone(timedelta(hours=-5))),  # 01:00 UTC
    ]
    await _insert(engine, *({"id": i, "at": at} for i, at in enumerate(instants)))
    async with engine.connect() as conn:
        rows = (await conn.execute(select(amounts.c.id, amounts.c.at).order_by(amounts.c.at))).all()
    assert [row.id for row in rows] == [1, 0, 2, 3]
    for row in rows:
        assert row.at.tzinfo is not None and row.at.utcoffset() == timedelta(0)
        assert row.at == instants[row.id]
    assert rows[1].at == datetime(2025, 3, 1, 0, 0, 0, 123456, tzinfo=UTC)
    later = await _scalar(engine, select(func.count()).where(
        amounts.c.at >= datetime(2025, 3, 1, 8, 0, 0, 123456, tzinfo=shanghai)))
    assert later == 3
    strictly = await _scalar(engine, select(func.count()).where(
        amounts.c.at > datetime(2025, 3, 1, 0, 0, 0, 123456, tzinfo=UTC)))
    assert strictly == 2


async def test_naive_timestamps_are_refused(engine: AsyncEngine) -> None:
    with pytest.raises(StatementError):
        await _insert(engine, {"id": 1, "at": datetime(2025, 1, 1, 12, 0)})
