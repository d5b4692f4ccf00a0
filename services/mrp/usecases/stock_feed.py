"""Applying stock's feed to MRP's orders: nobody types in what was received, shipped,
issued, consumed or produced.

Every stock document event carries its movements (a reversal's event carries the
original's and the reversal's); production receipts also announce each movement as
`MovementPosted`. Each movement is counted once, whichever event brought it
(`applied_movements`), so replays and the two announcements never double-count.

* purchase receipt from the supplier naming a purchase order: received (a return to
  the supplier naming it counts back);
* shipment to a customer naming a sales order: shipped;
* requisition naming a work order: issued to it;
* production receipt naming a work order: output of the order's item is produced,
  components taken from the line are consumed.

A reversal (`reversal_of_id`) counts back what its original counted. Quantities of one
item on an order with several lines fill the lines in due-date order; a line's open
quantity (what MRP still expects) never goes below zero, and orders are closed by hand.
Reservations set the work order component's reserved quantity. Orders unknown to MRP
are ignored.

A page of the feed is applied in one pass (`apply_stock_events`): one claim for its
movements, each named order read once, the work orders' status changes announced in the
order the movements make them; a work order's version goes up once per pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from services.mrp.db.models import (
    AppliedMovement,
    PurchaseOrder,
    PurchaseOrderLine,
    SalesOrder,
    SalesOrderLine,
    WorkOrder,
    WorkOrderComponent,
)
from services.mrp.schemas import WorkOrderStatus
from shared.db.dialects import dialect_insert
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.events.schemas import FeedEvent
from shared.schemas import plain

SOURCE = "stock"
ZERO = Decimal(0)
SUPPLIER = "VIRTUAL/SUPPLIER"
CUSTOMER = "VIRTUAL/CUSTOMER"
PRODUCTION = "VIRTUAL/PRODUCTION"
#: Movements claimed per statement (two parameters each, far below any driver's limit).
CLAIM_CHUNK = 1000
RESERVATION_EVENTS = frozenset(
    {"ReservationCreated", "ReservationChanged", "ReservationClosed", "ReservationCancelled"}
)


async def apply_stock_event(uow: UnitOfWork, event: FeedEvent) -> None:
    """Feed handler for stock (inside the consumer's unit of work)."""
    if event.type in RESERVATION_EVENTS:
        await _reservation(uow, event.payload)
        return
    await apply_movements(uow, movements_in(event.payload, event.type))


async def apply_stock_events(uow: UnitOfWork, events: list[FeedEvent]) -> None:
    """Batch handler for stock: the movements of a page's events in one pass (one claim,
    one lookup per kind of order), leaving the orders as `apply_stock_event` applied to
    each event in turn would. A reservation event only sets a component's reserved
    quantity; the movements before it are applied first, so it finds the components they
    added."""
    movements: list[dict[str, Any]] = []
    for event in events:
        if event.type in RESERVATION_EVENTS:
            await apply_movements(uow, movements)
            movements = []
            await _reservation(uow, event.payload)
        else:
            movements.extend(movements_in(event.payload, event.type))
    await apply_movements(uow, movements)


def movements_in(payload: dict[str, Any], event_type: str = "") -> list[dict[str, Any]]:
    """The movements a stock event (or a posted document) carries, by id."""
    if event_type == "MovementPosted":
        return [payload] if "id" in payload else []
    found = payload.get("movements")
    if not isinstance(found, list):
        return []
    return sorted(
        (m for m in found if isinstance(m, dict) and "id" in m), key=lambda m: int(m["id"])
    )


async def apply_movements(uow: UnitOfWork, movements: Sequence[dict[str, Any]]) -> None:
    """Count each movement on its order, in the given order, unless it was counted already.

    The work orders the movements name are locked first (by id), as a completion holds its
    order before it claims the movements it posted. Claiming is `INSERT ... ON CONFLICT DO
    NOTHING RETURNING` (by movement id): when a completion and the feed bring the same
    movement at once, the second waits for the first to commit and then claims nothing.
    Each named order is read once, and a work order's version goes up once per call.
    """
    effects: dict[int, _Count | _Step | None] = {}
    for movement in movements:
        key = int(movement["id"])
        if key not in effects:
            effects[key] = _effect(movement)
    if not effects:
        return
    now = utcnow()
    orders = await _lock_work_orders(
        uow, {effect.number for effect in effects.values() if isinstance(effect, _Step)}
    )
    claimed = await _claim(uow, sorted(effects), now)
    counts: dict[tuple[str, str, str], Decimal] = {}
    steps: list[_Step] = []
    for key, effect in effects.items():
        if key not in claimed or effect is None:
            continue
        if isinstance(effect, _Step):
            steps.append(effect)
        else:
            index = (effect.kind, effect.number, effect.item)
            counts[index] = counts.get(index, ZERO) + effect.quantity
    for kind in ("purchase", "sales"):
        await _count(uow, kind, {k[1:]: q for k, q in counts.items() if k[0] == kind})
    if steps and orders:
        await _work_orders(uow, orders, steps, now)
    await uow.session.flush()


async def _claim(uow: UnitOfWork, keys: list[int], now: datetime) -> set[int]:
    """Insert the movements' `applied_movements` rows; the ids this call inserted."""
    build = dialect_insert(uow.session)
    claimed: set[int] = set()
    for start in range(0, len(keys), CLAIM_CHUNK):
        rows = [
            {"movement_id": key, "applied_at": now} for key in keys[start : start + CLAIM_CHUNK]
        ]
        statement = (
            build(AppliedMovement)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["movement_id"])
            .returning(AppliedMovement.movement_id)
        )
        claimed.update((await uow.session.execute(statement)).scalars())
    return claimed


@dataclass(frozen=True, slots=True)
class _Count:
    """A movement's quantity on a purchase order's received or a sales order's shipped."""

    kind: str  # purchase | sales
    number: str
    item: str
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class _Step:
    """One movement's effect on a work order."""

    number: str
    item: str
    issued: Decimal = ZERO
    consumed: Decimal = ZERO
    produced: Decimal = ZERO


def _effect(movement: dict[str, Any]) -> _Count | _Step | None:
    """What a movement does to MRP's orders, if anything."""
    sign = Decimal(-1) if movement.get("reversal_of_id") else Decimal(1)
    source, target = movement["from_location"], movement["to_location"]
    if sign < 0:  # a reversal runs the other way: judge it by its original's direction
        source, target = target, source
    quantity = Decimal(str(movement["quantity"])) * sign
    item = movement["item_code"]
    kind = movement["document_type"]
    purchase_order = movement.get("purchase_order")
    sales_order = movement.get("sales_order")
    work_order = movement.get("work_order")
    if kind == "purchase_receipt" and purchase_order and source == SUPPLIER:
        return _Count("purchase", purchase_order, item, quantity)
    if kind == "supplier_return" and purchase_order and target == SUPPLIER:
        return _Count("purchase", purchase_order, item, -quantity)
    if kind == "shipment" and sales_order and target == CUSTOMER:
        return _Count("sales", sales_order, item, quantity)
    if kind == "requisition" and work_order:
        return _Step(work_order, item, issued=quantity)
    if kind == "production_receipt" and work_order:
        if source == PRODUCTION:
            return _Step(work_order, item, produced=quantity)
        if target == PRODUCTION:
            return _Step(work_order, item, consumed=quantity)
    return None


def _fill(lines: Sequence[Any], attribute: str, total: Decimal) -> None:
    """Spread `total` over `lines` in due-date order; the last line takes any excess."""
    left = total
    for index, line in enumerate(lines):
        share = left if index == len(lines) - 1 else max(ZERO, min(left, line.quantity))
        setattr(line, attribute, share)
        left -= share


async def _count(uow: UnitOfWork, kind: str, counts: dict[tuple[str, ...], Decimal]) -> None:
    """Add each (order number, item) quantity to what the purchase or sales order has
    received or shipped of the item (its lines in due order). Spreading a sum once leaves
    the lines as spreading its parts one after the other would."""
    if not counts:
        return
    order_model: type[PurchaseOrder] | type[SalesOrder]
    line_model: type[PurchaseOrderLine] | type[SalesOrderLine]
    if kind == "purchase":
        order_model, line_model, attribute = PurchaseOrder, PurchaseOrderLine, "received_quantity"
    else:
        order_model, line_model, attribute = SalesOrder, SalesOrderLine, "shipped_quantity"
    numbers = sorted({number for number, _ in counts})
    ids = {
        number: order_id
        for order_id, number in await uow.session.execute(
            select(order_model.id, order_model.number)
            .where(order_model.number.in_(numbers))
            .order_by(order_model.id)
            .with_for_update()
        )
    }
    if not ids:
        return
    lines: dict[tuple[int, str], list[Any]] = {}
    line: Any
    for line in await uow.session.scalars(
        select(line_model)
        .where(
            line_model.order_id.in_(sorted(ids.values())),
            line_model.item_code.in_(sorted({item for _, item in counts})),
        )
        .order_by(line_model.order_id, line_model.due_date, line_model.line_no)
    ):
        lines.setdefault((line.order_id, line.item_code), []).append(line)
    for (number, item), quantity in counts.items():
        found = lines.get((ids[number], item)) if number in ids else None
        if found:
            done = sum((getattr(line, attribute) for line in found), ZERO)
            _fill(found, attribute, done + quantity)


async def _lock_work_orders(uow: UnitOfWork, numbers: set[str]) -> dict[str, WorkOrder]:
    """The work orders of `numbers` MRP knows, locked in id order, by number."""
    if not numbers:
        return {}
    return {
        order.number: order
        for order in await uow.session.scalars(
            select(WorkOrder)
            .where(WorkOrder.number.in_(sorted(numbers)))
            .order_by(WorkOrder.id)
            .with_for_update()
        )
    }


async def _work_orders(
    uow: UnitOfWork, orders: dict[str, WorkOrder], steps: list[_Step], now: datetime
) -> None:
    """Apply the steps in order to the (locked) work orders they name."""
    parts: dict[tuple[int, str], WorkOrderComponent] = {}
    last_position: dict[int, int] = {}
    for known in await uow.session.scalars(
        select(WorkOrderComponent).where(
            WorkOrderComponent.work_order_id.in_(sorted(o.id for o in orders.values()))
        )
    ):
        parts[(known.work_order_id, known.item_code)] = known
        last_position[known.work_order_id] = max(
            last_position.get(known.work_order_id, 0), known.position
        )
    touched: dict[int, WorkOrder] = {}
    for step in steps:
        order = orders.get(step.number)
        if order is None:
            continue
        if step.produced and step.item == order.item_code:
            order.produced_quantity += step.produced
        elif step.issued or step.consumed:
            part = parts.get((order.id, step.item))
            if part is None:  # issued although not in the BOM (a substitute, an extra): tracked
                position = last_position.get(order.id, 0) + 10
                last_position[order.id] = position
                part = _extra_component(order, step.item, position)
                parts[(order.id, step.item)] = part
                uow.session.add(part)
            part.issued_quantity += step.issued
            part.consumed_quantity += step.consumed
        else:
            continue
        touched[order.id] = order
        _follow_status(uow, order, now)
    for order in touched.values():
        order.updated_at = now
        order.version += 1


def _follow_status(uow: UnitOfWork, order: WorkOrder, now: datetime) -> None:
    """Started by its first movement, completed when all is produced, open again when a
    reversal takes output back; each change is announced."""
    before = order.status
    if order.status in (WorkOrderStatus.PLANNED, WorkOrderStatus.RELEASED):
        order.status = WorkOrderStatus.IN_PROGRESS.value
    if order.status == WorkOrderStatus.IN_PROGRESS and order.produced_quantity >= order.quantity:
        order.status = WorkOrderStatus.COMPLETED.value
    elif order.status == WorkOrderStatus.COMPLETED and order.produced_quantity < order.quantity:
        order.status = WorkOrderStatus.IN_PROGRESS.value
    if order.status == before:
        return
    uow.emit(
        "WorkOrderStatusChanged",
        "work_order",
        str(order.id),
        {"number": order.number, "status": order.status, "previous": before},
    )
    if order.status == WorkOrderStatus.COMPLETED:  # what integrators subscribe to
        uow.emit(
            "WorkOrderCompleted",
            "work_order",
            str(order.id),
            {
                "number": order.number,
                "item_code": order.item_code,
                "quantity": plain(order.quantity),
                "produced_quantity": plain(order.produced_quantity),
                "completed_at": now.isoformat(),
            },
        )


def _extra_component(order: WorkOrder, item: str, position: int) -> WorkOrderComponent:
    return WorkOrderComponent(
        work_order_id=order.id,
        position=position,
        item_id=0,
        item_code=item,
        quantity_per=ZERO,
        fixed_quantity=ZERO,
        required_quantity=ZERO,
        backflush=False,
        reserved_quantity=ZERO,
        issued_quantity=ZERO,
        consumed_quantity=ZERO,
    )


async def _reservation(uow: UnitOfWork, payload: dict[str, Any]) -> None:
    number, item = payload.get("work_order"), payload.get("item_code")
    if not number or not item:
        return
    order = (
        await uow.session.scalars(select(WorkOrder).where(WorkOrder.number == number))
    ).one_or_none()
    if order is None:
        return
    part = (
        await uow.session.scalars(
            select(WorkOrderComponent).where(
                WorkOrderComponent.work_order_id == order.id,
                WorkOrderComponent.item_code == item,
            )
        )
    ).one_or_none()
    if part is None:
        return
    part.reserved_quantity = (
        Decimal(str(payload["quantity"])) if payload.get("status") == "open" else ZERO
    )
    await uow.session.flush()
