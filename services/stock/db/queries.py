"""Stock queries named after what they fetch."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Select, Table, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.stock.db.models import (
    Balance,
    Base,
    ItemValuation,
    LedgerCounter,
    Location,
    Lot,
    MovementRow,
    Serial,
)
from services.stock.domain.model import BalanceKey
from shared.db.dialects import dialect_insert
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


#: Balance rows created and locked per statement (5 bind parameters each).
LOCK_CHUNK = 2000


def _table(model: type[Base]) -> Table:
    """A model's table, for Core statements run as one cached executemany."""
    return cast(Table, model.__table__)


_BUCKET_COLUMNS = ["item_code", "location_id", "lot_key", "serial_key", "quality_state"]


async def balances_for_update(
    session: AsyncSession,
    keys: Sequence[BalanceKey],
    locations: dict[str, Location],
    lot_ids: Mapping[tuple[str, str], int | None],
    stages: dict[BalanceKey, str],
) -> dict[BalanceKey, Balance]:
    """Lock (creating at zero where missing) the balance rows of `keys`, in one order.

    Every posting locks buckets ordered by (item code, location id, lot, serial, state),
    compared byte-wise (COLLATE "C" on PostgreSQL, SQLite's default), so two documents
    touching the same buckets never deadlock. A few statements lock many buckets: one
    INSERT .. ON CONFLICT DO NOTHING (race-free creation of new buckets) and one
    SELECT .. ORDER BY .. FOR UPDATE per chunk of `LOCK_CHUNK` buckets.
    """
    postgres = _dialect(session) == "postgresql"
    insert = dialect_insert(session)

    def bucket(key: BalanceKey) -> tuple[str, int, str, str, str]:
        return (
            key.item_code,
            locations[key.location_code].id,
            key.lot_number,
            key.serial_number,
            key.quality_state.value,
        )

    by_bucket = {bucket(key): key for key in set(keys)}
    ordered = sorted(by_bucket)
    columns = (
        Balance.item_code,
        Balance.location_id,
        Balance.lot_key,
        Balance.serial_key,
        Balance.quality_state,
    )
    order = [c.collate("C") if postgres and c is not Balance.location_id else c for c in columns]
    now = utcnow()
    result: dict[BalanceKey, Balance] = {}
    for start in range(0, len(ordered), LOCK_CHUNK):
        chunk = ordered[start : start + LOCK_CHUNK]
        await session.execute(
            # executemany of one cached statement: a multi-row VALUES of 2,000 rows would
            # be compiled afresh every time (~0.4 s)
            insert(_table(Balance)).on_conflict_do_nothing(index_elements=_BUCKET_COLUMNS),
            [
                {
                    "item_code": item,
                    "location_id": location_id,
                    "lot_key": lot,
                    "serial_key": serial,
                    "lot_id": lot_ids.get((item, lot)),
                    "quality_state": state,
                    "stage": stages[by_bucket[(item, location_id, lot, serial, state)]],
                    "quantity": 0,
                    "updated_at": now,
                }
                for item, location_id, lot, serial, state in chunk
            ],
        )
        rows = await session.scalars(
            select(Balance)
            .where(tuple_(*columns).in_(chunk))
            .order_by(*order)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        for row in rows:
            found = (
                row.item_code,
                row.location_id,
                row.lot_key,
                row.serial_key,
                row.quality_state,
            )
            result[by_bucket[found]] = row
    missing = set(by_bucket.values()) - set(result)
    if missing:  # cannot happen: every bucket was just created or already there
        raise RuntimeError(f"balance rows not found: {sorted(missing)[:3]}")
    return result


async def lot_for_update_or_create(
    session: AsyncSession, values: dict[str, object]
) -> tuple[Lot, bool]:
    """The lot `(item_code, lot_number)`, created from `values` if new; race-free.

    Returns the lot (locked) and whether this call created it.
    """
    insert = dialect_insert(session)
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


async def valuations_for_update(
    session: AsyncSession, item_codes: Iterable[str]
) -> dict[str, ItemValuation]:
    """Lock (creating empty where missing) the valuation rows of `item_codes`, sorted by code.

    Taken after the balances and before the ledger counter, by every posting.
    """
    codes = sorted(set(item_codes))
    if not codes:
        return {}
    insert = dialect_insert(session)
    now = utcnow()
    await session.execute(
        insert(_table(ItemValuation)).on_conflict_do_nothing(index_elements=["item_code"]),
        [
            {"item_code": code, "quantity": 0, "value": 0, "last_unit_cost": 0, "updated_at": now}
            for code in codes
        ],
    )
    rows = await session.scalars(
        select(ItemValuation)
        .where(ItemValuation.item_code.in_(codes))
        .order_by(ItemValuation.item_code)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {row.item_code: row for row in rows}


async def take_sequences(session: AsyncSession, count: int) -> int:
    """Reserve `count` consecutive ledger sequence numbers; returns the first.

    The counter row stays locked until the transaction ends, so sequences are handed out
    in commit order without gaps (a rolled-back posting gives its numbers back): whoever
    sees a sequence committed sees every earlier one (usecases/aggregation.py relies on it).
    """
    last = await session.scalar(
        update(LedgerCounter)
        .where(LedgerCounter.id == 1)
        .values(last_sequence=LedgerCounter.last_sequence + count)
        .returning(LedgerCounter.last_sequence)
    )
    if last is None:
        raise RuntimeError("the ledger counter row is missing (run the stock migrations)")
    return int(last) - count + 1


async def serials_for_update(
    session: AsyncSession, keys: Iterable[tuple[str, str]], now: datetime
) -> dict[tuple[str, str], Serial]:
    """Lock the serial rows of `keys` (item code, serial number), sorted; a serial never seen
    before gets a row with an empty status, which the caller fills in or rolls back."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    insert = dialect_insert(session)
    await session.execute(
        insert(_table(Serial)).on_conflict_do_nothing(
            index_elements=["item_code", "serial_number"]
        ),
        [
            {
                "item_code": item,
                "serial_number": serial,
                "status": "",
                "first_seen_at": now,
                "updated_at": now,
            }
            for item, serial in wanted
        ],
    )
    # locked in chunks, each in (item, serial) order: byte order on PostgreSQL, as Python
    # sorts, so every transaction takes the locks in the same order
    postgres = _dialect(session) == "postgresql"
    columns = (Serial.item_code, Serial.serial_number)
    order = [c.collate("C") for c in columns] if postgres else list(columns)
    result: dict[tuple[str, str], Serial] = {}
    for start in range(0, len(wanted), LOCK_CHUNK):
        rows = await session.scalars(
            select(Serial)
            .where(tuple_(*columns).in_(wanted[start : start + LOCK_CHUNK]))
            .order_by(*order)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        for row in rows:
            result[(row.item_code, row.serial_number)] = row
    if len(result) != len(wanted):  # inserted above or there already: never expected
        missing = sorted(set(wanted) - set(result))[:5]
        raise LookupError(f"serial rows not found after their insert: {missing}")
    return result


#: How many serial numbers one look-up query names at most (bind parameter limits).
SERIAL_CHUNK = 500


async def serial_rows(
    session: AsyncSession, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], Serial]:
    """The rows (read, not locked) of the serials the ledger knows among `(item code, serial
    number)` keys, by that key: in stock or gone some way; a serial never seen has none.
    A few hundred serial numbers per query."""
    by_item: dict[str, list[str]] = {}
    for item, serial in sorted(set(keys)):
        by_item.setdefault(item, []).append(serial)
    found: dict[tuple[str, str], Serial] = {}
    for item, serials in by_item.items():
        for start in range(0, len(serials), SERIAL_CHUNK):
            rows = await session.scalars(
                select(Serial).where(
                    Serial.item_code == item,
                    Serial.serial_number.in_(serials[start : start + SERIAL_CHUNK]),
                    Serial.status != "",  # rows an open transaction is still creating
                )
            )
            found.update({(row.item_code, row.serial_number): row for row in rows})
    return found


async def document_ledgers(
    session: AsyncSession, document_types: Iterable[str], ids: Sequence[int]
) -> dict[int, list[MovementRow]]:
    """The movements of documents `ids` (of `document_types`), by document id, in ledger
    order; every id has an entry (empty for a draft)."""
    ledger: dict[int, list[MovementRow]] = {document_id: [] for document_id in ids}
    if not ledger:
        return ledger
    for row in await session.scalars(
        select(MovementRow)
        .where(
            MovementRow.document_type.in_(sorted(set(document_types))),
            MovementRow.document_id.in_(list(ledger)),
        )
        .order_by(MovementRow.id)
    ):
        ledger[row.document_id].append(row)
    return ledger
