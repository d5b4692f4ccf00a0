"""Writing the genealogy with set-based statements (the feed applies thousands a second).

Every write is an insert that tolerates a row already there, the same SQL on SQLite and
PostgreSQL (`ON CONFLICT`), so a node met first in an MES record and then in stock's feed
(or the other way round) is one node.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.trace.db.models import Base, TraceLink, TraceNode, TraceNodeStock, TraceWorkOrder
from services.trace.domain.lots import NodeKey
from shared.db.dialects import dialect_insert
from shared.db.filters import one_of


def insert_for(session: AsyncSession, table: Table) -> Any:
    """`INSERT` into `table` that takes `ON CONFLICT` on either database."""
    return dialect_insert(session)(table)


def table_of(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


NODE_DEFAULTS: dict[str, Any] = {
    "lot_number": "",
    "supplier": "",
    "supplier_lot": "",
    "date_code": "",
    "purchase_order": "",
    "receipt_number": "",
    "receipt_date": None,
    "expiry_date": None,
    "work_order": "",
    "status": "",
    "location_code": "",
    "quality_state": "",
    "sales_order": "",
    "customer": "",
}


async def ensure_nodes(
    session: AsyncSession,
    keys: Iterable[NodeKey],
    now: datetime,
    first_seen: Mapping[NodeKey, datetime] | None = None,
) -> dict[NodeKey, int]:
    """The ids of the nodes `keys`, creating those not known yet (facts empty), first
    seen `now` or at their time in `first_seen`."""
    seen = first_seen or {}
    wanted = sorted(set(keys), key=lambda k: (k.item_code, k.kind, k.code))
    if not wanted:
        return {}
    await session.execute(
        insert_for(session, table_of(TraceNode)).on_conflict_do_nothing(
            index_elements=["item_code", "kind", "code"]
        ),
        [
            {
                **NODE_DEFAULTS,
                "item_code": k.item_code,
                "kind": k.kind,
                "code": k.code,
                "first_seen_at": seen.get(k, now),
                "updated_at": seen.get(k, now),
            }
            for k in wanted
        ],
    )
    found: dict[NodeKey, int] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = await session.execute(
            select(TraceNode.id, TraceNode.item_code, TraceNode.kind, TraceNode.code).where(
                tuple_(TraceNode.item_code, TraceNode.kind, TraceNode.code).in_(
                    [(k.item_code, k.kind, k.code) for k in chunk]
                )
            )
        )
        for node_id, item_code, kind, code in rows:
            found[NodeKey(item_code, kind, code)] = node_id
    return found


async def add_links(
    session: AsyncSession, quantities: Mapping[tuple[str, str, str, int], Decimal]
) -> None:
    """Add signed quantities to nodes' links with work orders, keyed (work order, role,
    how, node), creating the links at need."""
    statement = insert_for(session, table_of(TraceLink))
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["work_order", "role", "how", "node_id"],
            set_={"quantity": TraceLink.quantity + statement.excluded.quantity},
        ),
        [
            {"work_order": wo, "role": role, "how": how, "node_id": node_id, "quantity": q}
            for (wo, role, how, node_id), q in sorted(quantities.items())
        ],
    )


async def add_stock(
    session: AsyncSession, quantities: Mapping[tuple[int, str, str], Decimal]
) -> None:
    """Add signed quantities to lots' on-hand, keyed (node, location, quality state)."""
    statement = insert_for(session, table_of(TraceNodeStock))
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["node_id", "location_code", "quality_state"],
            set_={"quantity": TraceNodeStock.quantity + statement.excluded.quantity},
        ),
        [
            {"node_id": node_id, "location_code": location, "quality_state": state, "quantity": q}
            for (node_id, location, state), q in sorted(quantities.items())
        ],
    )


async def lot_on_hand(session: AsyncSession, node_ids: Sequence[int]) -> dict[int, Decimal]:
    rows = await session.execute(
        select(TraceNodeStock.node_id, func.sum(TraceNodeStock.quantity))
        .where(one_of(session, TraceNodeStock.node_id, list(node_ids)), TraceNodeStock.quantity > 0)
        .group_by(TraceNodeStock.node_id)
    )
    return {node_id: quantity for node_id, quantity in rows}


async def update_nodes(session: AsyncSession, changes: list[dict[str, Any]]) -> None:
    """Update nodes by id; each dict holds `id` and the columns it changes."""
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for change in changes:
        by_columns[tuple(sorted(change))].append(change)
    for rows in by_columns.values():
        await session.execute(update(TraceNode), rows)


async def ensure_work_orders(session: AsyncSession, numbers: Sequence[str], now: datetime) -> None:
    """Make sure the work orders exist (their facts come from mrp's feed)."""
    await session.execute(
        insert_for(session, table_of(TraceWorkOrder)).on_conflict_do_nothing(
            index_elements=["number"]
        ),
        [
            {
                "number": number,
                "item_code": "",
                "bom_revision": "",
                "status": "",
                "quantity": None,
                "updated_at": now,
            }
            for number in numbers
        ],
    )


async def ensure_work_order(
    session: AsyncSession, number: str, now: datetime, **facts: Any
) -> None:
    """Create or update a work order; facts given as empty strings never erase known ones."""
    values = {"item_code": "", "bom_revision": "", "status": "", "quantity": None, **facts}
    statement = insert_for(session, table_of(TraceWorkOrder)).values(
        number=number, updated_at=now, **values
    )
    updates = {
        key: statement.excluded[key] for key, value in facts.items() if value not in ("", None)
    }
    if updates:
        updates["updated_at"] = statement.excluded.updated_at
        await session.execute(
            statement.on_conflict_do_update(index_elements=["number"], set_=updates)
        )
    else:
        await session.execute(statement.on_conflict_do_nothing(index_elements=["number"]))
