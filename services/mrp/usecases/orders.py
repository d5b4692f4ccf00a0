"""Sales orders, forecasts and purchase orders: create, read, close, cancel; and the open
demand view MRP plans from.

Order lines name items by code; the catalog is asked once per request (outside the
transaction) and every unknown code is named in one 422. Received and shipped quantities
are never typed in: they follow from stock's feed (`usecases.stock_feed`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.mrp.clients import CatalogItem
from services.mrp.db.models import (
    Forecast,
    PurchaseOrder,
    PurchaseOrderLine,
    SalesOrder,
    SalesOrderLine,
    WorkOrder,
    WorkOrderComponent,
)
from services.mrp.schemas import (
    DemandKindOut,
    DemandOut,
    ForecastBatchOut,
    ForecastCreate,
    ForecastOut,
    ForecastStatus,
    OrderChange,
    OrderLineIn,
    OrderStatus,
    PurchaseOrderCreate,
    PurchaseOrderLineOut,
    PurchaseOrderOut,
    SalesOrderCreate,
    SalesOrderLineOut,
    SalesOrderOut,
)
from services.mrp.usecases.common import OrderStatusConflict, number_free, stamp_new, touch
from services.mrp.usecases.work_orders import OPEN_STATUSES, component_held, component_open
from shared.db.paging import page_by_id, where_equal
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import FieldError, InvalidInput, NotFound, PreconditionFailed
from shared.http.pagination import PageParams, next_cursor
from shared.schemas import plain

ZERO = Decimal(0)


def check_items(lines: Iterable[tuple[str, str]], items: Mapping[str, CatalogItem]) -> None:
    """422 naming every `(field, code)` whose item the catalog does not have."""
    errors = [
        FieldError(field, f"no item {code!r} in the catalog", "not_found")
        for field, code in lines
        if code not in items
    ]
    if errors:
        raise InvalidInput("unknown items", errors=errors)


def order_line_codes(prefix: str, lines: Sequence[OrderLineIn]) -> list[tuple[str, str]]:
    return [(f"{prefix}.{index}.item_code", line.item_code) for index, line in enumerate(lines)]


# --- sales orders ----------------------------------------------------------------------


def sales_order_out(order: SalesOrder, lines: Sequence[SalesOrderLine]) -> SalesOrderOut:
    return SalesOrderOut(
        id=order.id,
        number=order.number,
        customer=order.customer,
        status=OrderStatus(order.status),
        note=order.note,
        lines=[
            SalesOrderLineOut(
                line_no=line.line_no,
                item_code=line.item_code,
                quantity=line.quantity,
                due_date=line.due_date,
                shipped_quantity=line.shipped_quantity,
                open_quantity=_open(order.status, line.quantity, line.shipped_quantity),
            )
            for line in sorted(lines, key=lambda line: line.line_no)
        ],
        version=order.version,
        created_at=order.created_at,
        created_by=order.created_by,
        updated_at=order.updated_at,
        updated_by=order.updated_by,
    )


def _open(status: str, quantity: Decimal, done: Decimal) -> Decimal:
    if status != OrderStatus.OPEN:
        return ZERO
    return max(ZERO, quantity - done)


async def create_sales_order(
    uow: UnitOfWork, body: SalesOrderCreate, items: Mapping[str, CatalogItem]
) -> SalesOrderOut:
    check_items(order_line_codes("body.lines", body.lines), items)
    async with uow:
        await number_free(uow.session, SalesOrder, body.number)
        order = SalesOrder(
            number=body.number or f"SO-tmp-{utcnow().timestamp()}",
            customer=body.customer,
            status=OrderStatus.OPEN.value,
            note=body.note,
            version=1,
        )
        stamp_new(order, uow.actor)
        uow.session.add(order)
        await uow.session.flush()
        if body.number is None:
            order.number = f"SO-{order.id:08d}"
        lines = [
            SalesOrderLine(
                order_id=order.id,
                line_no=index,
                item_id=items[line.item_code].id,
                item_code=line.item_code,
                quantity=line.quantity,
                due_date=line.due_date,
                shipped_quantity=ZERO,
            )
            for index, line in enumerate(body.lines, start=1)
        ]
        uow.session.add_all(lines)
        await uow.session.flush()
        out = sales_order_out(order, lines)
        await uow.audit("create", "sales_order", str(order.id), after=out)
        uow.emit("SalesOrderCreated", "sales_order", str(order.id), out.model_dump(mode="json"))
        await uow.commit()
    return out


async def list_sales_orders(
    session: AsyncSession,
    page: PageParams,
    *,
    status: str | None,
    customer: str | None,
    item_code: str | None,
    number: str | None,
) -> tuple[list[SalesOrderOut], str | None]:
    query: Select[Any] = where_equal(
        select(SalesOrder),
        {SalesOrder.status: status, SalesOrder.customer: customer, SalesOrder.number: number},
    )
    if item_code:
        query = query.where(
            SalesOrder.id.in_(
                select(SalesOrderLine.order_id).where(SalesOrderLine.item_code == item_code)
            )
        )
    orders, cursor = await page_by_id(session, query, SalesOrder.id, page)
    lines = await order_lines(session, SALES, [order.id for order in orders])
    return [sales_order_out(order, lines[order.id]) for order in orders], cursor


# --- forecasts -------------------------------------------------------------------------


def forecast_out(row: Forecast) -> ForecastOut:
    return ForecastOut(
        id=row.id,
        number=row.number,
        item_code=row.item_code,
        quantity=row.quantity,
        due_date=row.due_date,
        status=ForecastStatus(row.status),
        note=row.note,
        created_at=row.created_at,
        created_by=row.created_by,
    )


async def create_forecasts(
    uow: UnitOfWork, body: ForecastCreate, items: Mapping[str, CatalogItem]
) -> ForecastBatchOut:
    check_items(
        [(f"body.forecasts.{i}.item_code", f.item_code) for i, f in enumerate(body.forecasts)],
        items,
    )
    async with uow:
        rows: list[Forecast] = []
        for entry in body.forecasts:
            row = Forecast(
                number=f"FC-tmp-{len(rows)}-{utcnow().timestamp()}",
                item_id=items[entry.item_code].id,
                item_code=entry.item_code,
                quantity=entry.quantity,
                due_date=entry.due_date,
                status=ForecastStatus.ACTIVE.value,
                note=entry.note,
                version=1,
            )
            stamp_new(row, uow.actor)
            uow.session.add(row)
            rows.append(row)
        await uow.session.flush()
        for row in rows:
            row.number = f"FC-{row.id:08d}"
        await uow.session.flush()
        out = ForecastBatchOut(forecasts=[forecast_out(row) for row in rows])
        for forecast in out.forecasts:
            await uow.audit("create", "forecast", str(forecast.id), after=forecast)
            uow.emit(
                "ForecastCreated", "forecast", str(forecast.id), forecast.model_dump(mode="json")
            )
        await uow.commit()
    return out


async def get_forecast(session: AsyncSession, forecast_id: int) -> ForecastOut:
    row = await session.get(Forecast, forecast_id)
    if row is None:
        raise NotFound(f"no forecast {forecast_id}")
    return forecast_out(row)


async def list_forecasts(
    session: AsyncSession,
    page: PageParams,
    *,
    item_code: str | None,
    status: str | None,
    due_from: date | None,
    due_to: date | None,
) -> tuple[list[ForecastOut], str | None]:
    query: Select[Any] = where_equal(
        select(Forecast), {Forecast.item_code: item_code, Forecast.status: status}
    )
    if due_from is not None:
        query = query.where(Forecast.due_date >= due_from)
    if due_to is not None:
        query = query.where(Forecast.due_date <= due_to)
    rows, cursor = await page_by_id(session, query, Forecast.id, page)
    return [forecast_out(row) for row in rows], cursor


async def cancel_forecast(uow: UnitOfWork, forecast_id: int) -> ForecastOut:
    async with uow:
        row = await uow.session.get(Forecast, forecast_id, with_for_update=True)
        if row is None:
            raise NotFound(f"no forecast {forecast_id}")
        if row.status != ForecastStatus.ACTIVE:
            raise OrderStatusConflict(f"forecast {row.number} is {row.status}")
        row.status = ForecastStatus.CANCELLED.value
        touch(row, uow.actor)
        out = forecast_out(row)
        await uow.audit("cancel", "forecast", str(row.id), after=out)
        uow.emit("ForecastCancelled", "forecast", str(row.id), out.model_dump(mode="json"))
        await uow.commit()
    return out


# --- purchase orders -------------------------------------------------------------------


def purchase_order_out(
    order: PurchaseOrder, lines: Sequence[PurchaseOrderLine]
) -> PurchaseOrderOut:
    return PurchaseOrderOut(
        id=order.id,
        number=order.number,
        supplier=order.supplier,
        status=OrderStatus(order.status),
        note=order.note,
        planned_order=order.planned_order,
        lines=[
            PurchaseOrderLineOut(
                line_no=line.line_no,
                item_code=line.item_code,
                quantity=line.quantity,
                due_date=line.due_date,
                received_quantity=line.received_quantity,
                open_quantity=_open(order.status, line.quantity, line.received_quantity),
            )
            for line in sorted(lines, key=lambda line: line.line_no)
        ],
        version=order.version,
        created_at=order.created_at,
        created_by=order.created_by,
        updated_at=order.updated_at,
        updated_by=order.updated_by,
    )


async def insert_purchase_order(
    uow: UnitOfWork,
    *,
    number: str | None,
    supplier: str,
    note: str,
    lines: Sequence[tuple[CatalogItem, Decimal, date]],
    planned_order: str = "",
) -> PurchaseOrderOut:
    """Add a purchase order in the open unit of work (audit and event included)."""
    await number_free(uow.session, PurchaseOrder, number)
    order = PurchaseOrder(
        number=number or f"PO-tmp-{utcnow().timestamp()}",
        supplier=supplier,
        status=OrderStatus.OPEN.value,
        note=note,
        planned_order=planned_order,
        version=1,
    )
    stamp_new(order, uow.actor)
    uow.session.add(order)
    await uow.session.flush()
    if number is None:
        order.number = f"PO-{order.id:08d}"
    rows = [
        PurchaseOrderLine(
            order_id=order.id,
            line_no=index,
            item_id=item.id,
            item_code=item.code,
            quantity=quantity,
            due_date=due,
            received_quantity=ZERO,
        )
        for index, (item, quantity, due) in enumerate(lines, start=1)
    ]
    uow.session.add_all(rows)
    await uow.session.flush()
    out = purchase_order_out(order, rows)
    await uow.audit("create", "purchase_order", str(order.id), after=out)
    uow.emit("PurchaseOrderCreated", "purchase_order", str(order.id), out.model_dump(mode="json"))
    return out


async def create_purchase_order(
    uow: UnitOfWork, body: PurchaseOrderCreate, items: Mapping[str, CatalogItem]
) -> PurchaseOrderOut:
    check_items(order_line_codes("body.lines", body.lines), items)
    async with uow:
        out = await insert_purchase_order(
            uow,
            number=body.number,
            supplier=body.supplier,
            note=body.note,
            lines=[(items[line.item_code], line.quantity, line.due_date) for line in body.lines],
        )
        await uow.commit()
    return out


async def list_purchase_orders(
    session: AsyncSession,
    page: PageParams,
    *,
    status: str | None,
    supplier: str | None,
    item_code: str | None,
    number: str | None,
) -> tuple[list[PurchaseOrderOut], str | None]:
    query: Select[Any] = where_equal(
        select(PurchaseOrder),
        {
            PurchaseOrder.status: status,
            PurchaseOrder.supplier: supplier,
            PurchaseOrder.number: number,
        },
    )
    if item_code:
        query = query.where(
            PurchaseOrder.id.in_(
                select(PurchaseOrderLine.order_id).where(PurchaseOrderLine.item_code == item_code)
            )
        )
    orders, cursor = await page_by_id(session, query, PurchaseOrder.id, page)
    lines = await order_lines(session, PURCHASE, [order.id for order in orders])
    return [purchase_order_out(order, lines[order.id]) for order in orders], cursor


# --- the open demand view --------------------------------------------------------------


async def list_demands(
    session: AsyncSession,
    page: PageParams,
    *,
    item_code: str | None,
    kind: DemandKindOut | None,
    due_to: date | None,
) -> tuple[list[DemandOut], str | None]:
    """Open sales order lines and active forecasts, by due date then reference."""
    rows: list[tuple[date, str, DemandOut]] = []
    after = page.cursor
    if kind in (None, DemandKindOut.SALES_ORDER):
        query = (
            select(SalesOrderLine, SalesOrder.number)
            .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
            .where(SalesOrder.status == OrderStatus.OPEN.value)
            .where(SalesOrderLine.quantity > SalesOrderLine.shipped_quantity)
        )
        if item_code:
            query = query.where(SalesOrderLine.item_code == item_code)
        if due_to is not None:
            query = query.where(SalesOrderLine.due_date <= due_to)
        for line, number in await session.execute(query):
            ref = f"{number}/{line.line_no}"
            rows.append(
                (
                    line.due_date,
                    ref,
                    DemandOut(
                        kind=DemandKindOut.SALES_ORDER,
                        ref=ref,
                        item_code=line.item_code,
                        quantity=line.quantity - line.shipped_quantity,
                        due_date=line.due_date,
                    ),
                )
            )
    if kind in (None, DemandKindOut.FORECAST):
        fquery = where_equal(
            select(Forecast).where(Forecast.status == ForecastStatus.ACTIVE.value),
            {Forecast.item_code: item_code},
        )
        if due_to is not None:
            fquery = fquery.where(Forecast.due_date <= due_to)
        for forecast in await session.scalars(fquery):
            rows.append(
                (
                    forecast.due_date,
                    forecast.number,
                    DemandOut(
                        kind=DemandKindOut.FORECAST,
                        ref=forecast.number,
                        item_code=forecast.item_code,
                        quantity=forecast.quantity,
                        due_date=forecast.due_date,
                    ),
                )
            )
    if kind in (None, DemandKindOut.WORK_ORDER):
        rows += await _work_order_demands(session, item_code, due_to)
    rows.sort(key=lambda row: (row[0], row[1]))
    if after:
        try:
            key = (date.fromisoformat(str(after[0])), str(after[1]))
        except (IndexError, ValueError) as exc:
            raise InvalidInput(
                "the cursor is not valid", errors=[FieldError("query.cursor", "not a cursor")]
            ) from exc
        rows = [row for row in rows if (row[0], row[1]) > key]
    page_rows, cursor = next_cursor(rows, page.limit, key=lambda row: [row[0].isoformat(), row[1]])
    return [row[2] for row in page_rows], cursor


async def _work_order_demands(
    session: AsyncSession, item_code: str | None, due_to: date | None
) -> list[tuple[date, str, DemandOut]]:
    """Components still to go to open work orders (minus what their reservation holds),
    due on the order's start date."""
    query = (
        select(WorkOrderComponent, WorkOrder.number, WorkOrder.start_date)
        .join(WorkOrder, WorkOrder.id == WorkOrderComponent.work_order_id)
        .where(WorkOrder.status.in_(OPEN_STATUSES))
    )
    if item_code:
        query = query.where(WorkOrderComponent.item_code == item_code)
    if due_to is not None:
        query = query.where(WorkOrder.start_date <= due_to)
    found = []
    for part, number, start in await session.execute(query):
        need = component_open(part) - component_held(part)
        if need > 0:
            ref = f"{number}/{part.item_code}"
            found.append(
                (
                    start,
                    ref,
                    DemandOut(
                        kind=DemandKindOut.WORK_ORDER,
                        ref=ref,
                        item_code=part.item_code,
                        quantity=need,
                        due_date=start,
                    ),
                )
            )
    return found


def _apply_line_changes(
    lines: Sequence[SalesOrderLine] | Sequence[PurchaseOrderLine],
    body: OrderChange,
    done: str,
) -> None:
    """Change lines in place; 422 naming every unknown line and every quantity below what
    was already done (received or shipped)."""
    by_no = {line.line_no: line for line in lines}
    errors = []
    for index, change in enumerate(body.lines):
        line = by_no.get(change.line_no)
        if line is None:
            errors.append(
                FieldError(f"body.lines.{index}.line_no", f"no line {change.line_no}", "not_found")
            )
            continue
        already = getattr(line, done)
        if change.quantity is not None and change.quantity < already:
            errors.append(
                FieldError(
                    f"body.lines.{index}.quantity",
                    f"{plain(already)} already {done.split('_')[0]}",
                    "below_done",
                )
            )
    if errors:
        raise InvalidInput("the order cannot change so", errors=errors)
    for change in body.lines:
        line = by_no[change.line_no]
        if change.quantity is not None:
            line.quantity = change.quantity
        if change.due_date is not None:
            line.due_date = change.due_date


# --- what sales and purchase orders share ----------------------------------------------


AnyOrderOut = SalesOrderOut | PurchaseOrderOut


@dataclass(frozen=True, slots=True)
class OrderKind:
    """How one kind of order is kept: its tables, what its lines count as done, its
    answer, its names in audit rows and events."""

    what: str
    entity: str
    event: str
    order: type[SalesOrder] | type[PurchaseOrder]
    line: type[SalesOrderLine] | type[PurchaseOrderLine]
    done: str
    out: Callable[[Any, Sequence[Any]], AnyOrderOut]


SALES = OrderKind(
    "sales order",
    "sales_order",
    "SalesOrder",
    SalesOrder,
    SalesOrderLine,
    "shipped_quantity",
    sales_order_out,
)
PURCHASE = OrderKind(
    "purchase order",
    "purchase_order",
    "PurchaseOrder",
    PurchaseOrder,
    PurchaseOrderLine,
    "received_quantity",
    purchase_order_out,
)


async def order_lines(
    session: AsyncSession, kind: OrderKind, order_ids: Sequence[int]
) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = defaultdict(list)
    if order_ids:
        line: Any = kind.line
        for row in await session.scalars(select(line).where(line.order_id.in_(order_ids))):
            found[row.order_id].append(row)
    return found


async def _load(session: AsyncSession, kind: OrderKind, order_id: int, lock: bool) -> Any:
    order = await session.get(kind.order, order_id, with_for_update=lock)
    if order is None:
        raise NotFound(f"no {kind.what} {order_id}")
    return order


async def get_order(session: AsyncSession, kind: OrderKind, order_id: int) -> AnyOrderOut:
    order = await _load(session, kind, order_id, False)
    return kind.out(order, (await order_lines(session, kind, [order.id]))[order.id])


async def set_order_status(
    uow: UnitOfWork, kind: OrderKind, order_id: int, target: OrderStatus
) -> AnyOrderOut:
    """Close (nothing more expected) or cancel (nothing done yet) an open order."""
    async with uow:
        order = await _load(uow.session, kind, order_id, True)
        lines = (await order_lines(uow.session, kind, [order.id]))[order.id]
        if order.status != OrderStatus.OPEN:
            raise OrderStatusConflict(f"order {order.number} is {order.status}, not open")
        if target is OrderStatus.CANCELLED and any(getattr(x, kind.done) for x in lines):
            raise OrderStatusConflict(
                f"order {order.number} has deliveries against it: close it instead of cancelling"
            )
        order.status = target.value
        touch(order, uow.actor)
        out = kind.out(order, lines)
        await uow.audit(target.value, kind.entity, str(order.id), after=out)
        event = "Closed" if target is OrderStatus.CLOSED else "Cancelled"
        uow.emit(kind.event + event, kind.entity, str(order.id), out.model_dump(mode="json"))
        await uow.commit()
    return out


async def change_order(
    uow: UnitOfWork, kind: OrderKind, order_id: int, body: OrderChange, expected: int
) -> AnyOrderOut:
    """Change an open order's note and lines (quantity not below what was done, due date)."""
    async with uow:
        order = await _load(uow.session, kind, order_id, True)
        if order.version != expected:
            raise PreconditionFailed(
                f"order {order.number} is at version {order.version}, not {expected}"
            )
        if order.status != OrderStatus.OPEN:
            raise OrderStatusConflict(f"order {order.number} is {order.status}, not open")
        lines = (await order_lines(uow.session, kind, [order.id]))[order.id]
        before = kind.out(order, lines)
        _apply_line_changes(lines, body, kind.done)
        if body.note is not None:
            order.note = body.note
        touch(order, uow.actor)
        await uow.session.flush()
        out = kind.out(order, lines)
        await uow.audit("change", kind.entity, str(order.id), before=before, after=out)
        uow.emit(kind.event + "Changed", kind.entity, str(order.id), out.model_dump(mode="json"))
        await uow.commit()
    return out
