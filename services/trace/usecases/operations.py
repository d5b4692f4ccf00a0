"""Operation and test records pushed by MES (`POST /v1/operations`).

A record is kept once per `record_id`: the same record sent again answers as the first
time and changes nothing; another body under the same id is refused. A record about one
unit (a serial, or a lot) attaches its steps to that unit; its `components` say exactly
which lots or units went into it (`trace_assignments`), which narrows the work order's
genealogy for that unit. A `test` record is a QC record of the unit as well.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.trace.db.models import TraceAssignment, TraceNode, TraceOperation, TraceQcRecord
from services.trace.db.queries import ensure_nodes, ensure_work_order, insert_for, table_of
from services.trace.domain.lots import LOT, SERIAL, NodeKey
from services.trace.schemas import (
    ComponentAssignmentIn,
    MeasurementIn,
    OperationIn,
    OperationOut,
)
from shared.db.paging import page_by_id, where_equal
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, FieldError, NotFound
from shared.http.pagination import PageParams

SOURCE = "mes"


class RecordIdReused(Conflict):
    code = "record_id_reused"
    title = "The record id was used for another record"


def fingerprint(body: OperationIn) -> str:
    return hashlib.sha256(body.model_dump_json().encode()).hexdigest()


def _unit(body: OperationIn) -> NodeKey | None:
    if body.item_code and body.serial_number:
        return NodeKey(body.item_code, SERIAL, body.serial_number)
    if body.item_code and body.lot_number:
        return NodeKey(body.item_code, LOT, body.lot_number)
    return None


def _component(c: ComponentAssignmentIn) -> NodeKey:
    if c.serial_number:
        return NodeKey(c.item_code, SERIAL, c.serial_number)
    assert c.lot_number is not None
    return NodeKey(c.item_code, LOT, c.lot_number)


async def record_operation(uow: UnitOfWork, body: OperationIn) -> tuple[OperationOut, bool]:
    """Keep the record; returns it and whether it is new (False: a replay)."""
    async with uow:
        found = await uow.session.scalar(
            select(TraceOperation).where(TraceOperation.record_id == body.record_id)
        )
        if found is not None:
            if found.fingerprint != fingerprint(body):
                raise RecordIdReused(
                    f"record {body.record_id!r} was kept with another body",
                    errors=[
                        FieldError("body.record_id", "already used for another record", "reused")
                    ],
                )
            return (await _outs(uow.session, [found]))[0], False
        now = utcnow()
        row = TraceOperation(
            record_id=body.record_id,
            source=SOURCE,
            kind=body.kind,
            work_order=body.work_order,
            node_id=None,
            operation=body.operation,
            station=body.station,
            operator=body.operator,
            result=body.result,
            started_at=body.started_at,
            finished_at=body.finished_at,
            details={
                "measurements": [m.model_dump(mode="json") for m in body.measurements],
                "components": [c.model_dump(mode="json") for c in body.components],
                "note": body.note,
                "request": body.model_dump(mode="json"),
            },
            fingerprint=fingerprint(body),
            recorded_at=now,
        )
        uow.session.add(row)
        await derive(uow.session, row, body, now)
        await uow.session.flush()
        out = (await _outs(uow.session, [row]))[0]
        await uow.audit("record", "operation", str(row.id), after=out)
        await uow.commit()
    return out, True


async def derive(
    session: AsyncSession, row: TraceOperation, body: OperationIn, now: datetime
) -> None:
    """What a record adds to the genealogy: its unit and components as nodes, the unit's
    component assignments, and for a test, a QC record of the unit. Also used to re-derive
    kept MES records when the genealogy is rebuilt from the feeds."""
    unit = _unit(body)
    components = [_component(c) for c in body.components]
    ids = await ensure_nodes(session, ([unit] if unit else []) + components, now)
    await ensure_work_order(session, body.work_order, now)
    if unit is None:
        return
    parent = ids[unit]
    row.node_id = parent
    if unit.kind == SERIAL and body.lot_number:
        node = await session.get(TraceNode, parent)
        if node is not None and not node.lot_number:
            node.lot_number = body.lot_number
    totals: dict[int, Decimal] = defaultdict(Decimal)
    items: dict[int, str] = {}
    for key, c in zip(components, body.components, strict=True):
        totals[ids[key]] += c.quantity
        items[ids[key]] = c.item_code
    if totals:
        statement = insert_for(session, table_of(TraceAssignment))
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["parent_id", "child_id"],
                set_={
                    "quantity": statement.excluded.quantity,
                    "work_order": statement.excluded.work_order,
                    "record_id": statement.excluded.record_id,
                },
            ),
            [
                {
                    "work_order": body.work_order,
                    "parent_id": parent,
                    "child_id": child,
                    "child_item_code": items[child],
                    "quantity": quantity,
                    "record_id": body.record_id,
                }
                for child, quantity in sorted(totals.items())
            ],
        )
    if body.kind == "test":
        session.add(
            TraceQcRecord(
                node_id=parent,
                record_key=f"mes:{body.record_id}",
                source=SOURCE,
                kind="test",
                document_number=body.record_id,
                result=body.result,
                inspector=body.operator,
                accepted_quantity=None,
                rejected_quantity=None,
                details={
                    "measurements": [m.model_dump(mode="json") for m in body.measurements],
                    "station": body.station,
                },
                occurred_at=body.finished_at or body.started_at or now,
            )
        )
    await session.flush()


def _utc(value: datetime | None) -> datetime | None:
    """As stored: a fresh row still holds the caller's offset, a read one UTC."""
    return value.astimezone(UTC) if value is not None else None


async def _outs(session: AsyncSession, rows: list[TraceOperation]) -> list[OperationOut]:
    node_ids = [r.node_id for r in rows if r.node_id is not None]
    nodes = {
        n.id: n
        for n in (
            await session.scalars(select(TraceNode).where(TraceNode.id.in_(node_ids)))
            if node_ids
            else []
        )
    }
    outs = []
    for r in rows:
        node = nodes.get(r.node_id) if r.node_id is not None else None
        serial = node is not None and node.kind == SERIAL
        outs.append(
            OperationOut(
                id=r.id,
                record_id=r.record_id,
                source=r.source,
                kind=r.kind,
                work_order=r.work_order,
                item_code=node.item_code if node else None,
                serial_number=node.code if node and serial else None,
                lot_number=(node.lot_number or None)
                if serial and node
                else (node.code if node else None),
                operation=r.operation,
                station=r.station,
                operator=r.operator,
                result=r.result,
                started_at=_utc(r.started_at),
                finished_at=_utc(r.finished_at),
                measurements=[
                    MeasurementIn.model_validate(m) for m in r.details.get("measurements", [])
                ],
                components=[
                    ComponentAssignmentIn.model_validate(c) for c in r.details.get("components", [])
                ],
                note=str(r.details.get("note") or ""),
                recorded_at=r.recorded_at,
            )
        )
    return outs


async def get_operation(session: AsyncSession, record_id: str) -> OperationOut:
    row = await session.scalar(select(TraceOperation).where(TraceOperation.record_id == record_id))
    if row is None:
        raise NotFound(f"no operation record {record_id!r}")
    return (await _outs(session, [row]))[0]


async def list_operations(
    session: AsyncSession,
    page: PageParams,
    *,
    work_order: str | None,
    station: str | None,
    operator: str | None,
) -> tuple[list[OperationOut], str | None]:
    query = where_equal(
        select(TraceOperation),
        {
            TraceOperation.work_order: work_order,
            TraceOperation.station: station,
            TraceOperation.operator: operator,
        },
    )
    rows, cursor = await page_by_id(session, query, TraceOperation.id, page)
    return await _outs(session, list(rows)), cursor
