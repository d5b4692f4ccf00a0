"""Work orders: create, release (pins the BOM version and lists the components), close,
cancel, read.

Statuses: planned -> released -> in_progress (the first issue, consumption or output
seen on stock's feed) -> completed (produced the quantity) -> closed; planned or released
orders with nothing issued or produced may be cancelled. Issued, consumed, reserved,
produced and scrapped quantities are never typed in: they follow from stock's feed
(`usecases.stock_feed`) and from completions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import ROUND_CEILING, Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.mrp.clients import CatalogItem, PlanningData
from services.mrp.db.models import WorkOrder, WorkOrderComponent
from services.mrp.domain.model import PlanBom
from services.mrp.domain.work_orders import (
    QUANTITY_STEP,
    NoBomVersion,
    components,
    pin_version,
)
from services.mrp.schemas import (
    WorkOrderChange,
    WorkOrderComponentOut,
    WorkOrderCreate,
    WorkOrderOut,
    WorkOrderStatus,
)
from services.mrp.usecases.common import OrderStatusConflict, number_free, stamp_new, touch
from shared.db.paging import page_by_id, where_equal
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import FieldError, InvalidInput, NotFound, PreconditionFailed
from shared.http.pagination import PageParams

ZERO = Decimal(0)
#: Statuses in which the order still expects output and components (MRP's supply/demand).
OPEN_STATUSES = (
    WorkOrderStatus.PLANNED.value,
    WorkOrderStatus.RELEASED.value,
    WorkOrderStatus.IN_PROGRESS.value,
)


def component_open(component: WorkOrderComponent) -> Decimal:
    """Still to go to the order: required minus what reached it (issued or consumed)."""
    used = max(component.issued_quantity, component.consumed_quantity)
    return max(ZERO, component.required_quantity - used)


def component_held(component: WorkOrderComponent) -> Decimal:
    """What the order's stock reservation still holds of the component."""
    return max(ZERO, component.reserved_quantity - component.issued_quantity)


def work_order_out(order: WorkOrder, parts: Sequence[WorkOrderComponent]) -> WorkOrderOut:
    open_status = order.status in OPEN_STATUSES
    return WorkOrderOut(
        id=order.id,
        number=order.number,
        item_code=order.item_code,
        quantity=order.quantity,
        status=WorkOrderStatus(order.status),
        start_date=order.start_date,
        due_date=order.due_date,
        bom_id=order.bom_id,
        bom_revision=order.bom_revision,
        wip_location_code=order.wip_location_code,
        output_location_code=order.output_location_code,
        produced_quantity=order.produced_quantity,
        scrapped_quantity=order.scrapped_quantity,
        open_quantity=max(ZERO, order.quantity - order.produced_quantity) if open_status else ZERO,
        planned_order=order.planned_order,
        note=order.note,
        components=[
            WorkOrderComponentOut(
                position=part.position,
                item_code=part.item_code,
                quantity_per=part.quantity_per,
                fixed_quantity=part.fixed_quantity,
                required_quantity=part.required_quantity,
                backflush=part.backflush,
                reserved_quantity=part.reserved_quantity,
                issued_quantity=part.issued_quantity,
                consumed_quantity=part.consumed_quantity,
                open_quantity=component_open(part) if open_status else ZERO,
            )
            for part in sorted(parts, key=lambda part: (part.position, part.item_code))
        ],
        released_at=order.released_at,
        version=order.version,
        created_at=order.created_at,
        created_by=order.created_by,
        updated_at=order.updated_at,
        updated_by=order.updated_by,
    )


def check_made(item: CatalogItem | None, code: str, field: str = "body.item_code") -> CatalogItem:
    if item is None:
        raise InvalidInput(
            "unknown item",
            errors=[FieldError(field, f"no item {code!r} in the catalog", "not_found")],
        )
    if item.procurement != "make":
        raise InvalidInput(
            f"{code} is bought, not made",
            errors=[
                FieldError(field, f"{code!r} is bought, not made: use a purchase order", "not_made")
            ],
        )
    return item


def pinned_bom(
    item_id: int,
    item_code: str,
    start_date: date,
    planning: PlanningData,
    revision: str | None,
    field: str,
) -> PlanBom:
    """The BOM version a work order of the item starting then is released to (named, or
    effective on the start date); 422 when there is none."""
    try:
        return pin_version(planning.boms.get(item_id, ()), start_date, revision)
    except NoBomVersion as exc:
        raise InvalidInput(
            f"cannot release {item_code}: {exc}",
            errors=[FieldError(field, f"{item_code}: {exc}", "no_effective_bom")],
        ) from exc


def _pin(
    order: WorkOrder, planning: PlanningData, revision: str | None, field: str
) -> list[WorkOrderComponent]:
    """Pin the BOM version (named, or effective on the start date) and list components."""
    bom = pinned_bom(order.item_id, order.item_code, order.start_date, planning, revision, field)
    order.bom_id = bom.id
    order.bom_revision = bom.revision
    needs = components(bom, planning.boms, order.quantity, order.start_date, planning.backflush)
    return [
        WorkOrderComponent(
            work_order_id=order.id,
            position=need.position,
            item_id=need.item_id,
            item_code=planning.codes[need.item_id],
            quantity_per=need.quantity_per,
            fixed_quantity=need.fixed_quantity,
            required_quantity=need.required,
            backflush=need.backflush,
            reserved_quantity=ZERO,
            issued_quantity=ZERO,
            consumed_quantity=ZERO,
        )
        for need in needs
    ]


async def insert_work_order(
    uow: UnitOfWork,
    *,
    number: str | None,
    item: CatalogItem,
    quantity: Decimal,
    start_date: date,
    due_date: date,
    wip_location_code: str = "",
    output_location_code: str = "",
    note: str = "",
    planned_order: str = "",
    bom_id: int | None = None,
    bom_revision: str | None = None,
    release_with: PlanningData | None = None,
) -> WorkOrderOut:
    """Add a work order in the open unit of work (released at once with `release_with`)."""
    await number_free(uow.session, WorkOrder, number)
    now = utcnow()
    order = WorkOrder(
        number=number or f"WO-tmp-{now.timestamp()}",
        item_id=item.id,
        item_code=item.code,
        quantity=quantity,
        status=WorkOrderStatus.PLANNED.value,
        start_date=start_date,
        due_date=due_date,
        bom_id=bom_id,
        bom_revision=bom_revision or "",
        wip_location_code=wip_location_code,
        output_location_code=output_location_code,
        produced_quantity=ZERO,
        scrapped_quantity=ZERO,
        planned_order=planned_order,
        note=note,
        version=1,
    )
    stamp_new(order, uow.actor)
    uow.session.add(order)
    await uow.session.flush()
    if number is None:
        order.number = f"WO-{order.id:08d}"
    parts: list[WorkOrderComponent] = []
    if release_with is not None:
        parts = _pin(order, release_with, bom_revision, "body.bom_revision")
        order.status = WorkOrderStatus.RELEASED.value
        order.released_at = now
        uow.session.add_all(parts)
    await uow.session.flush()
    out = work_order_out(order, parts)
    await uow.audit("create", "work_order", str(order.id), after=out)
    uow.emit("WorkOrderCreated", "work_order", str(order.id), out.model_dump(mode="json"))
    if release_with is not None:
        uow.emit("WorkOrderReleased", "work_order", str(order.id), out.model_dump(mode="json"))
    return out


async def create_work_order(
    uow: UnitOfWork,
    body: WorkOrderCreate,
    item: CatalogItem | None,
    planning: PlanningData | None,
) -> WorkOrderOut:
    made = check_made(item, body.item_code)
    if body.bom_revision is not None and planning is not None:
        versions = planning.boms.get(made.id, ())
        if not any(bom.revision == body.bom_revision for bom in versions):
            raise InvalidInput(
                "unknown revision",
                errors=[
                    FieldError(
                        "body.bom_revision",
                        f"{made.code} has no released revision {body.bom_revision!r}",
                        "not_found",
                    )
                ],
            )
    async with uow:
        out = await insert_work_order(
            uow,
            number=body.number,
            item=made,
            quantity=body.quantity,
            start_date=body.start_date,
            due_date=body.due_date,
            wip_location_code=body.wip_location_code,
            output_location_code=body.output_location_code,
            note=body.note,
            bom_revision=body.bom_revision,
            release_with=planning if body.release else None,
        )
        await uow.commit()
    return out


async def components_of(
    session: AsyncSession, order_ids: Sequence[int]
) -> dict[int, list[WorkOrderComponent]]:
    found: dict[int, list[WorkOrderComponent]] = defaultdict(list)
    if order_ids:
        rows = await session.scalars(
            select(WorkOrderComponent).where(WorkOrderComponent.work_order_id.in_(order_ids))
        )
        for row in rows:
            found[row.work_order_id].append(row)
    return found


async def load_work_order(session: AsyncSession, order_id: int, *, lock: bool = False) -> WorkOrder:
    order = await session.get(WorkOrder, order_id, with_for_update=lock)
    if order is None:
        raise NotFound(f"no work order {order_id}")
    return order


async def get_work_order(session: AsyncSession, order_id: int) -> WorkOrderOut:
    order = await load_work_order(session, order_id)
    return work_order_out(order, (await components_of(session, [order.id]))[order.id])


async def list_work_orders(
    session: AsyncSession,
    page: PageParams,
    *,
    status: str | None,
    item_code: str | None,
    number: str | None,
) -> tuple[list[WorkOrderOut], str | None]:
    query: Select[Any] = where_equal(
        select(WorkOrder),
        {WorkOrder.status: status, WorkOrder.item_code: item_code, WorkOrder.number: number},
    )
    orders, cursor = await page_by_id(session, query, WorkOrder.id, page)
    parts = await components_of(session, [order.id for order in orders])
    return [work_order_out(order, parts[order.id]) for order in orders], cursor


async def release_work_order(
    uow: UnitOfWork, order_id: int, planning: PlanningData, revision: str | None
) -> WorkOrderOut:
    async with uow:
        order = await load_work_order(uow.session, order_id, lock=True)
        if order.status != WorkOrderStatus.PLANNED:
            raise OrderStatusConflict(f"work order {order.number} is {order.status}, not planned")
        if revision is None and order.bom_revision:
            revision = order.bom_revision
        parts = _pin(order, planning, revision, "body.bom_revision")
        uow.session.add_all(parts)
        order.status = WorkOrderStatus.RELEASED.value
        order.released_at = utcnow()
        touch(order, uow.actor)
        await uow.session.flush()
        out = work_order_out(order, parts)
        await uow.audit("release", "work_order", str(order.id), after=out)
        uow.emit("WorkOrderReleased", "work_order", str(order.id), out.model_dump(mode="json"))
        await uow.commit()
    return out


async def close_work_order(uow: UnitOfWork, order_id: int) -> WorkOrderOut:
    """Technically complete: nothing more is expected (what was not produced is dropped)."""
    async with uow:
        order = await load_work_order(uow.session, order_id, lock=True)
        if order.status not in (
            WorkOrderStatus.RELEASED,
            WorkOrderStatus.IN_PROGRESS,
            WorkOrderStatus.COMPLETED,
        ):
            raise OrderStatusConflict(f"work order {order.number} is {order.status}")
        order.status = WorkOrderStatus.CLOSED.value
        touch(order, uow.actor)
        parts = (await components_of(uow.session, [order.id]))[order.id]
        out = work_order_out(order, parts)
        await uow.audit("close", "work_order", str(order.id), after=out)
        uow.emit("WorkOrderClosed", "work_order", str(order.id), out.model_dump(mode="json"))
        await uow.commit()
    return out


async def cancel_work_order(uow: UnitOfWork, order_id: int) -> WorkOrderOut:
    async with uow:
        order = await load_work_order(uow.session, order_id, lock=True)
        parts = (await components_of(uow.session, [order.id]))[order.id]
        if order.status not in (WorkOrderStatus.PLANNED, WorkOrderStatus.RELEASED):
            raise OrderStatusConflict(
                f"work order {order.number} is {order.status}: close it instead"
            )
        if order.produced_quantity or any(
            part.issued_quantity or part.consumed_quantity for part in parts
        ):
            raise OrderStatusConflict(
                f"work order {order.number} has issues or output: close it instead"
            )
        order.status = WorkOrderStatus.CANCELLED.value
        touch(order, uow.actor)
        out = work_order_out(order, parts)
        await uow.audit("cancel", "work_order", str(order.id), after=out)
        uow.emit("WorkOrderCancelled", "work_order", str(order.id), out.model_dump(mode="json"))
        await uow.commit()
    return out


async def change_work_order(
    uow: UnitOfWork, order_id: int, body: WorkOrderChange, expected: int
) -> WorkOrderOut:
    """Reschedule or resize an open order; a released order's components are required
    for the new quantity (per unit and fixed quantity as pinned)."""
    async with uow:
        order = await load_work_order(uow.session, order_id, lock=True)
        if order.version != expected:
            raise PreconditionFailed(
                f"work order {order.number} is at version {order.version}, not {expected}"
            )
        if order.status not in OPEN_STATUSES:
            raise OrderStatusConflict(f"work order {order.number} is {order.status}")
        parts = (await components_of(uow.session, [order.id]))[order.id]
        before = work_order_out(order, parts)
        start = body.start_date or order.start_date
        due = body.due_date or order.due_date
        errors = []
        if due < start:
            errors.append(FieldError("body.due_date", "must not be before start_date"))
        if body.quantity is not None and body.quantity < order.produced_quantity:
            errors.append(
                FieldError(
                    "body.quantity", f"{order.produced_quantity} already produced", "below_done"
                )
            )
        if errors:
            raise InvalidInput("the work order cannot change so", errors=errors)
        order.start_date, order.due_date = start, due
        if body.quantity is not None and body.quantity != order.quantity:
            order.quantity = body.quantity
            for part in parts:
                if part.quantity_per or part.fixed_quantity:
                    part.required_quantity = (
                        part.quantity_per * body.quantity + part.fixed_quantity
                    ).quantize(QUANTITY_STEP, rounding=ROUND_CEILING)
        for name in ("wip_location_code", "output_location_code", "note"):
            value = getattr(body, name)
            if value is not None:
                setattr(order, name, value)
        touch(order, uow.actor)
        await uow.session.flush()
        out = work_order_out(order, parts)
        await uow.audit("change", "work_order", str(order.id), before=before, after=out)
        uow.emit("WorkOrderChanged", "work_order", str(order.id), out.model_dump(mode="json"))
        await uow.commit()
    return out
