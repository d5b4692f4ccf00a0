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
"""

from __future__ import annotations

from collections.abc import Sequence
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
RESERVATION_EVENTS = frozenset(
    {"ReservationCreated", "ReservationChanged", "ReservationClosed", "ReservationCancelled"}
)


async def apply_stock_event(uow: UnitOfWork, event: FeedEvent) -> None:
    """Feed handler for stock (inside the consumer's unit of work)."""
    if event.type in RESERVATION_EVENTS:
        await _reservation(uow, event.payload)
        return
    await apply_movements(uow, _movements(event))


async def apply_movements(uow: UnitOfWork, movements: Sequence[dict[str, Any]]) -> None:
    """Count each movement on its order, unless it was counted already.

    Claiming is `INSERT ... ON CONFLICT DO NOTHING RETURNING`: when a completion and the
    feed bring the same movement at once, the second waits for the first to commit and
    then claims nothing.
    """
    if not movements:
        return
    now = utcnow()
    by_id = {int(m["id"]): m for m in movements}
    build = dialect_insert(uow.session)
    statement = (
        build(AppliedMovement)
        .values([{"movement_id": key, "applied_at": now} for key in sorted(by_id)])
        .on_conflict_do_nothing(index_elements=["movement_id"])
        .returning(AppliedMovement.movement_id)
    )
    claimed = set((await uow.session.execute(statement)).scalars())
    for key in sorted(claimed):
        await _apply(uow, by_id[key], now)
    await uow.session.flush()


def _movements(event: FeedEvent) -> list[dict[str, Any]]:
    if event.type == "MovementPosted":
        return [event.payload]
    found = event.payload.get("movements")
    if not isinstance(found, list):
        return []
    return [m for m in found if isinstance(m, dict) and "id" in m]


async def _apply(uow: UnitOfWork, movement: dict[str, Any], now: datetime) -> None:
    sign = Decimal(-1) if movement.get("reversal_of_id") else Decimal(1)
    source, target = movement["from_location"], movement["to_location"]
    if sign < 0:  # a reversal runs the other way: judge it by its original's direction
        source, target = target, source
    quantity = Decimal(str(movement["quantity"])) * sign
    item = movement["item_code"]
    kind = movement["document_type"]
    if kind == "purchase_receipt" and movement.get("purchase_order") and source == SUPPLIER:
        await _received(uow, movement["purchase_order"], item, quantity)
    elif kind == "supplier_return" and movement.get("purchase_order") and target == SUPPLIER:
        await _received(uow, movement["purchase_order"], item, -quantity)
    elif kind == "shipment" and movement.get("sales_order") and target == CUSTOMER:
        await _shipped(uow, movement["sales_order"], item, quantity)
    elif kind == "requisition" and movement.get("work_order"):
        await _work_order(uow, movement["work_order"], item, issued=quantity, now=now)
    elif kind == "production_receipt" and movement.get("work_order"):
        if source == PRODUCTION:
            await _work_order(uow, movement["work_order"], item, produced=quantity, now=now)
        elif target == PRODUCTION:
            await _work_order(uow, movement["work_order"], item, consumed=quantity, now=now)


def _fill(lines: Sequence[Any], attribute: str, total: Decimal) -> None:
    """Spread `total` over `lines` in due-date order; the last line takes any excess."""
    left = total
    for index, line in enumerate(lines):
        share = left if index == len(lines) - 1 else max(ZERO, min(left, line.quantity))
        setattr(line, attribute, share)
        left -= share


async def _received(uow: UnitOfWork, number: str, item: str, quantity: Decimal) -> None:
    await _count(uow, PurchaseOrder, PurchaseOrderLine, "received_quantity", number, item, quantity)


async def _shipped(uow: UnitOfWork, number: str, item: str, quantity: Decimal) -> None:
    await _count(uow, SalesOrder, SalesOrderLine, "shipped_quantity", number, item, quantity)


async def _count(
    uow: UnitOfWork,
    order_model: type[PurchaseOrder] | type[SalesOrder],
    line_model: type[PurchaseOrderLine] | type[SalesOrderLine],
    attribute: str,
    number: str,
    item: str,
    quantity: Decimal,
) -> None:
    """Add `quantity` to what order `number` has done of `item` (its lines in due order)."""
    order_id = await uow.session.scalar(
        select(order_model.id).where(order_model.number == number).with_for_update()
    )
    if order_id is None:
        return
    lines: list[Any] = list(
        await uow.session.scalars(
            select(line_model)
            .where(line_model.order_id == order_id, line_model.item_code == item)
            .order_by(line_model.due_date, line_model.line_no)
        )
    )
    if lines:
        done = sum((getattr(line, attribute) for line in lines), ZERO)
        _fill(lines, attribute, done + quantity)


async def _work_order(
    uow: UnitOfWork,
    number: str,
    item: str,
    *,
    now: datetime,
    issued: Decimal = ZERO,
    consumed: Decimal = ZERO,
    produced: Decimal = ZERO,
) -> None:
    order = (
        await uow.session.scalars(
            select(WorkOrder).where(WorkOrder.number == number).with_for_update()
        )
    ).one_or_none()
    if order is None:
        return
    if produced and item == order.item_code:
        order.produced_quantity += produced
    elif issued or consumed:
        part = await _component(uow, order, item)
        part.issued_quantity += issued
        part.consumed_quantity += consumed
    else:
        return
    before = order.status
    if order.status in (WorkOrderStatus.PLANNED, WorkOrderStatus.RELEASED):
        order.status = WorkOrderStatus.IN_PROGRESS.value
    if order.status == WorkOrderStatus.IN_PROGRESS and order.produced_quantity >= order.quantity:
        order.status = WorkOrderStatus.COMPLETED.value
    elif order.status == WorkOrderStatus.COMPLETED and order.produced_quantity < order.quantity:
        order.status = WorkOrderStatus.IN_PROGRESS.value
    order.updated_at = now
    order.version += 1
    if order.status != before:
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


async def _component(uow: UnitOfWork, order: WorkOrder, item: str) -> WorkOrderComponent:
    part = (
        await uow.session.scalars(
            select(WorkOrderComponent).where(
                WorkOrderComponent.work_order_id == order.id,
                WorkOrderComponent.item_code == item,
            )
        )
    ).one_or_none()
    if part is None:  # issued although not in the BOM (a substitute, an extra): tracked
        last = await uow.session.scalar(
            select(WorkOrderComponent.position)
            .where(WorkOrderComponent.work_order_id == order.id)
            .order_by(WorkOrderComponent.position.desc())
            .limit(1)
        )
        part = WorkOrderComponent(
            work_order_id=order.id,
            position=(last or 0) + 10,
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
        uow.session.add(part)
        await uow.session.flush()
    return part


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
