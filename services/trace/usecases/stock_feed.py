"""Applying stock's events to the genealogy.

* `MovementPosted` (one per ledger row) does most of the work: the moved lot or unit
  becomes a node, the movement joins its history, a movement into or out of production
  with a work order links it to that order (`domain.lots.link_delta`), a lot's on-hand is
  kept per location and state, and a unit's status and place follow it.
* `LotCreated` and `ReceiptPosted` bring supplier facts (supplier, supplier lot, date
  code, purchase order, receipt date and number); a produced lot brings its work order.
* Every posted or reversed document brings its number (movements carry only its id).
* `InspectionPosted` becomes a QC record of the lot or of each unit inspected;
  `InspectionReversed` marks those records reversed.

Each handler only adds or updates rows keyed by what the event names, so replaying the
feed into an empty database gives the same graph.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import update

from services.trace.db.models import (
    TraceDocument,
    TraceHistory,
    TraceNode,
    TraceQcRecord,
)
from services.trace.db.queries import (
    add_links,
    add_stock,
    ensure_nodes,
    ensure_work_orders,
    insert_for,
    lot_on_hand,
    table_of,
    update_nodes,
)
from services.trace.domain.lots import (
    LOT,
    PRODUCTION,
    SERIAL,
    SUPPLIER,
    LotFacts,
    Movement,
    NodeKey,
    action,
    link_delta,
    lot_facts,
    stock_deltas,
    whereabouts,
)
from shared.db.uow import UnitOfWork
from shared.events.schemas import FeedEvent

SOURCE = "stock"


async def apply_stock_event(uow: UnitOfWork, event: FeedEvent) -> None:
    """Feed handler for stock: called once per event, inside the consumer's unit of work."""
    payload = event.payload
    if event.type == "MovementPosted":
        await apply_movement(uow, Movement.from_payload(payload), event.seq)
        return
    if event.type == "LotCreated":
        await record_lot(uow, lot_facts(payload), event.occurred_at)
    elif event.type == "ReceiptPosted":
        await _receipt(uow, payload, event.occurred_at)
    elif event.type == "InspectionPosted":
        await _inspection(uow, payload, event.occurred_at)
    elif event.type == "InspectionReversed":
        await uow.session.execute(
            update(TraceQcRecord)
            .where(TraceQcRecord.record_key == f"stock:{payload.get('number', '')}")
            .values(result="reversed")
        )
    if isinstance(payload.get("number"), str) and isinstance(payload.get("movements"), list):
        await _document_numbers(uow, payload)


async def apply_stock_events(uow: UnitOfWork, events: list[FeedEvent]) -> None:
    """Batch handler for stock: a page's movements with a few set-based statements, then
    its other events in feed order (they only fill in facts, QC records and numbers,
    which no movement of the page depends on)."""
    await apply_movements(
        uow,
        [(e.seq, Movement.from_payload(e.payload)) for e in events if e.type == "MovementPosted"],
    )
    for event in events:
        if event.type != "MovementPosted":
            await apply_stock_event(uow, event)


async def apply_movement(uow: UnitOfWork, m: Movement, seq: int) -> None:
    await apply_movements(uow, [(seq, m)])


def _history_row(node_id: int, seq: int, m: Movement) -> dict[str, Any]:
    return {
        "node_id": node_id,
        "source_seq": seq,
        "movement_id": m.id,
        "action": action(m),
        "document_type": m.document_type,
        "document_id": m.document_id,
        "from_location": m.from_location,
        "to_location": m.to_location,
        "from_state": m.from_state,
        "to_state": m.to_state,
        "quantity": m.quantity,
        "reversal": m.reversal,
        "work_order": m.work_order,
        "sales_order": m.sales_order,
        "customer": m.customer,
        "supplier": m.supplier,
        "occurred_at": m.posted_at,
    }


async def apply_movements(uow: UnitOfWork, movements: list[tuple[int, Movement]]) -> None:
    """Movements in feed order: nodes, history, links, lot stock, then each node's state
    after its last movement here (the same result as one movement at a time)."""
    tracked = [(seq, m, m.node) for seq, m in movements if m.node is not None]
    if not tracked:
        return
    session = uow.session
    first: dict[NodeKey, datetime] = {}
    for _, m, key in tracked:
        assert key is not None
        first.setdefault(key, m.posted_at)
    ids = await ensure_nodes(session, first, tracked[0][1].posted_at, first_seen=first)
    await session.execute(
        insert_for(session, table_of(TraceHistory)).on_conflict_do_nothing(
            index_elements=["source_seq", "node_id"]
        ),
        [_history_row(ids[key], seq, m) for seq, m, key in tracked if key],
    )
    links: dict[tuple[str, str, str, int], Decimal] = defaultdict(Decimal)
    stock: dict[tuple[int, str, str], Decimal] = defaultdict(Decimal)
    changes: dict[int, dict[str, Any]] = {}
    last: dict[int, Movement] = {}
    for _, m, key in tracked:
        assert key is not None
        node_id = ids[key]
        delta = link_delta(m)
        if delta is not None:
            links[(delta.work_order, delta.role, delta.how, node_id)] += delta.quantity
        change = changes.setdefault(node_id, {"id": node_id})
        change["updated_at"] = m.posted_at
        last[node_id] = m
        if key.kind == SERIAL:
            place = whereabouts(m)
            change |= {
                "status": place.status,
                "location_code": place.location_code,
                "quality_state": place.quality_state,
            }
            if m.lot_number:
                change["lot_number"] = m.lot_number
            if place.status == "shipped":
                change |= {"sales_order": m.sales_order, "customer": m.customer}
        else:
            for location, state, quantity in stock_deltas(m):
                stock[(node_id, location, state)] += quantity
        if m.from_location == PRODUCTION and m.work_order and not m.reversal:
            change["work_order"] = m.work_order
        if m.supplier and not m.reversal and m.from_location == SUPPLIER:
            change["supplier"] = m.supplier
            if m.purchase_order:
                change["purchase_order"] = m.purchase_order
    if links:
        await ensure_work_orders(
            session, sorted({wo for wo, *_ in links}), tracked[-1][1].posted_at
        )
        await add_links(session, links)
    if stock:
        await add_stock(session, stock)
        lots = sorted({node_id for node_id, _, _ in stock})
        on_hand = await lot_on_hand(session, lots)
        for node_id in lots:
            changes[node_id]["status"] = (
                "in_stock" if on_hand.get(node_id) else whereabouts(last[node_id]).status
            )
    await update_nodes(session, list(changes.values()))


async def record_lot(
    uow: UnitOfWork, facts: LotFacts, now: datetime, *, receipt_number: str = ""
) -> int:
    """Make the lot a node and fill in the facts it did not have yet."""
    key = NodeKey(facts.item_code, LOT, facts.lot_number)
    node_id = (await ensure_nodes(uow.session, [key], now))[key]
    node = await uow.session.get(TraceNode, node_id)
    assert node is not None
    node.lot_number = facts.lot_number
    for name in (
        "supplier",
        "supplier_lot",
        "date_code",
        "purchase_order",
        "receipt_date",
        "expiry_date",
        "work_order",
    ):
        if not getattr(node, name) and getattr(facts, name):
            setattr(node, name, getattr(facts, name))
    if receipt_number and not node.receipt_number:
        node.receipt_number = receipt_number
    await uow.session.flush()
    return node_id


async def _receipt(uow: UnitOfWork, payload: dict[str, Any], now: datetime) -> None:
    lines = payload.get("lines")
    if not isinstance(lines, list):
        lines = [payload]
    number = str(payload.get("number") or "")
    for line in lines:
        lot = line.get("lot")
        facts = lot_facts(lot) if isinstance(lot, dict) else None
        if facts is not None:
            await record_lot(uow, facts, now, receipt_number=number)
        serials = [str(s) for s in line.get("serial_numbers") or []]
        if not serials:
            continue
        keys = [NodeKey(str(line["item_code"]), SERIAL, s) for s in serials]
        ids = await ensure_nodes(uow.session, keys, now)
        values: dict[str, Any] = {
            "receipt_number": number,
            "supplier": str(payload.get("supplier") or ""),
            "purchase_order": str(payload.get("purchase_order") or ""),
        }
        if facts is not None:
            values |= {
                "lot_number": facts.lot_number,
                "supplier_lot": facts.supplier_lot,
                "date_code": facts.date_code,
                "receipt_date": facts.receipt_date,
                "expiry_date": facts.expiry_date,
            }
        await uow.session.execute(
            update(TraceNode).where(TraceNode.id.in_(list(ids.values()))).values(**values)
        )


async def _inspection(uow: UnitOfWork, payload: dict[str, Any], now: datetime) -> None:
    item_code = str(payload["item_code"])
    number = str(payload.get("number") or "")
    occurred = payload.get("posted_at")
    at = datetime.fromisoformat(occurred) if isinstance(occurred, str) else now
    details = {
        "sample_size": payload.get("sample_size"),
        "defects": payload.get("defects") or [],
        "note": payload.get("note") or "",
        "location_code": payload.get("location_code") or "",
    }
    rows: list[tuple[NodeKey, str, Decimal | None, Decimal | None]] = []
    lot = payload.get("lot")
    if isinstance(lot, dict):
        rows.append(
            (
                NodeKey(item_code, LOT, str(lot["lot_number"])),
                str(payload.get("result") or ""),
                Decimal(str(payload.get("accepted_quantity") or 0)),
                Decimal(str(payload.get("rejected_quantity") or 0)),
            )
        )
    for serial in payload.get("accepted_serial_numbers") or []:
        rows.append((NodeKey(item_code, SERIAL, str(serial)), "accepted", Decimal(1), Decimal(0)))
    for serial in payload.get("rejected_serial_numbers") or []:
        rows.append((NodeKey(item_code, SERIAL, str(serial)), "rejected", Decimal(0), Decimal(1)))
    if not rows:
        return
    ids = await ensure_nodes(uow.session, [key for key, *_ in rows], now)
    await uow.session.execute(
        insert_for(uow.session, table_of(TraceQcRecord)).on_conflict_do_nothing(
            index_elements=["record_key", "node_id"]
        ),
        [
            {
                "node_id": ids[key],
                "record_key": f"stock:{number}",
                "source": SOURCE,
                "kind": "inspection",
                "document_number": number,
                "result": result,
                "inspector": str(payload.get("inspector") or ""),
                "accepted_quantity": accepted,
                "rejected_quantity": rejected,
                "details": details,
                "occurred_at": at,
            }
            for key, result, accepted, rejected in rows
        ],
    )


async def _document_numbers(uow: UnitOfWork, payload: dict[str, Any]) -> None:
    documents = {
        (str(m["document_type"]), int(m["document_id"]))
        for m in payload["movements"]
        if isinstance(m, dict) and "document_type" in m and "document_id" in m
    }
    if not documents:
        return
    await uow.session.execute(
        insert_for(uow.session, table_of(TraceDocument)).on_conflict_do_nothing(
            index_elements=["document_type", "document_id"]
        ),
        [
            {"document_type": kind, "document_id": key, "number": str(payload["number"])}
            for kind, key in sorted(documents)
        ],
    )
