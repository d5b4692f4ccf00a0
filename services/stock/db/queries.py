"""Stock queries named after what they fetch."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.db.models import Balance, Location, Lot
from services.stock.domain.model import BalanceKey
from shared.db.types import utcnow


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def location_by_code(session: AsyncSession, code: str) -> Location | None:
    return (await session.scalars(select(Location).where(Location.code == code))).one_or_none()


async def locations_by_codes(session: AsyncSession, codes: Iterable[str]) -> dict[str, Location]:
    rows = await session.scalars(select(Location).where(Location.code.in_(set(codes))))
    return {row.code: row for row in rows}


async def locations_by_ids(session: AsyncSession, ids: Iterable[int]) -> dict[int, Location]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await session.scalars(select(Location).where(Location.id.in_(wanted)))
    return {row.id: row for row in rows}


async def lots_by_ids(session: AsyncSession, ids: Iterable[int | None]) -> dict[int, Lot]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {row.id: row for row in await session.scalars(select(Lot).where(Lot.id.in_(wanted)))}


async def balances_for_update(
    session: AsyncSession,
    keys: Sequence[BalanceKey],
    locations: dict[str, Location],
    lot_ids: dict[str, int | None],
    stages: dict[BalanceKey, str],
) -> dict[BalanceKey, Balance]:
    """Lock (creating at zero where missing) the balance rows of `keys`, in sorted order.

    Sorted locking means two documents touching the same buckets never deadlock;
    INSERT .. ON CONFLICT DO NOTHING makes the creation of a new bucket race-free.
    """
    insert = pg_insert if _dialect(session) == "postgresql" else sqlite_insert
    result: dict[BalanceKey, Balance] = {}
    for key in sorted(keys):
        location_id = locations[key.location_code].id
        await session.execute(
            insert(Balance)
            .values(
                item_code=key.item_code,
                location_id=location_id,
                lot_key=key.lot_number,
                lot_id=lot_ids.get(key.lot_number),
                quality_state=key.quality_state.value,
                stage=stages[key],
                quantity=0,
                updated_at=utcnow(),
            )
            .on_conflict_do_nothing(
                index_elements=["item_code", "location_id", "lot_key", "quality_state"]
            )
        )
        row = (
            await session.scalars(
                select(Balance)
                .where(
                    Balance.item_code == key.item_code,
                    Balance.location_id == location_id,
                    Balance.lot_key == key.lot_number,
                    Balance.quality_state == key.quality_state.value,
                )
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).one()
        result[key] = row
    return result


async def lot_for_update_or_create(
    session: AsyncSession, values: dict[str, object]
) -> tuple[Lot, bool]:
    """The lot `(item_code, lot_number)`, created from `values` if new; race-free.

    Returns the lot (locked) and whether this call created it.
    """
    insert = pg_insert if _dialect(session) == "postgresql" else sqlite_insert
    created_id = await session.scalar(
        insert(Lot)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["item_code", "lot_number"])
        .returning(Lot.id)
    )
    lot = (
        await session.scalars(
            select(Lot)
            .where(Lot.item_code == values["item_code"], Lot.lot_number == values["lot_number"])
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).one()
    return lot, created_id is not None
