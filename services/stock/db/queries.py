"""Stock queries named after what they fetch."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.stock.db.models import Balance, Location, Lot
from services.stock.domain.model import BalanceKey
from shared.db.types import utcnow


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def location_by_code(session: AsyncSession, code: str) -> Location | None:
    return (await session.scalars(select(Location).where(Location.code == code))).one_or_none()


def location_subtree_ids(root_id: int) -> Select[tuple[int]]:
    """Ids of the location `root_id` and of every location below it (the parent_id chain).

    A recursive CTE, the same SQL on SQLite and PostgreSQL; `UNION` (not `UNION ALL`)
    stops at rows already found, so even a cycle in the data could not loop forever.
    """
    tree = select(Location.id).where(Location.id == root_id).cte("location_subtree", recursive=True)
    child = aliased(Location, name="child")
    tree = tree.union(select(child.id).where(child.parent_id == tree.c.id))
    return select(tree.c.id)


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


async def lots_by_numbers(
    session: AsyncSession, pairs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], Lot]:
    """The lots among `(item_code, lot_number)` pairs that exist, by that pair."""
    wanted = set(pairs)
    if not wanted:
        return {}
    rows = await session.scalars(
        select(Lot).where(
            Lot.item_code.in_({item for item, _ in wanted}),
            Lot.lot_number.in_({number for _, number in wanted}),
        )
    )
    return {
        (row.item_code, row.lot_number): row
        for row in rows
        if (row.item_code, row.lot_number) in wanted
    }


async def balances_for_update(
    session: AsyncSession,
    keys: Sequence[BalanceKey],
    locations: dict[str, Location],
    lot_ids: Mapping[tuple[str, str], int | None],
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
                lot_id=lot_ids.get((key.item_code, key.lot_number)),
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
