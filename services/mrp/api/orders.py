"""Routes of demands (sales orders, forecasts, the open demand view) and purchase orders."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from services.mrp.api.deps import Catalog, ForecastId, Planner, PurchaseOrderId, SalesOrderId
from services.mrp.schemas import (
    DemandKindOut,
    DemandPage,
    ForecastBatchOut,
    ForecastCreate,
    ForecastOut,
    ForecastPage,
    ForecastStatus,
    OrderChange,
    OrderStatus,
    PurchaseOrderCreate,
    PurchaseOrderOut,
    PurchaseOrderPage,
    SalesOrderCreate,
    SalesOrderOut,
    SalesOrderPage,
)
from services.mrp.usecases import orders as usecases
from shared.db.uow import UnitOfWork
from shared.http.commands import render, run_command
from shared.http.context import Reader
from shared.http.etags import IfMatch, etag_header, expected_version
from shared.http.pagination import PageParams, page_params
from shared.http.problems import problem_responses

router = APIRouter()
Paging = Annotated[PageParams, Depends(page_params)]
ItemFilter = Annotated[str | None, Query(max_length=64)]
TextFilter = Annotated[str | None, Query(max_length=200)]


# --- sales orders ----------------------------------------------------------------------


@router.post(
    "/v1/sales-orders",
    status_code=201,
    response_model=SalesOrderOut,
    operation_id="create_sales_order",
    tags=["demands"],
    responses=problem_responses(401, 403, 409, 422, 502, 503),
)
async def create_sales_order(ctx: Planner, catalog: Catalog, body: SalesOrderCreate) -> Response:
    """Enter a customer's order (accepts Idempotency-Key); MRP plans its open lines."""

    async def command(uow: UnitOfWork) -> SalesOrderOut:
        items = await catalog.items_by_codes([line.item_code for line in body.lines])
        return await usecases.create_sales_order(uow, body, items)

    return await run_command(ctx, command, body=body, status_code=201)


@router.get(
    "/v1/sales-orders",
    response_model=SalesOrderPage,
    operation_id="list_sales_orders",
    tags=["demands"],
    responses=problem_responses(401, 422),
)
async def list_sales_orders(
    ctx: Reader,
    page: Paging,
    status: OrderStatus | None = None,
    customer: TextFilter = None,
    item_code: ItemFilter = None,
    number: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """Sales orders, oldest first, with shipped and open quantities per line."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_sales_orders(
            session,
            page,
            status=status.value if status else None,
            customer=customer,
            item_code=item_code,
            number=number,
        )
    return render(ctx, SalesOrderPage(items=items, next_cursor=cursor))


@router.get(
    "/v1/sales-orders/{order_id}",
    response_model=SalesOrderOut,
    operation_id="get_sales_order",
    tags=["demands"],
    responses=problem_responses(401, 404, 422),
)
async def get_sales_order(ctx: Reader, order_id: SalesOrderId) -> Response:
    """One sales order with its lines."""
    async with ctx.db.read() as session:
        order = await usecases.get_order(session, usecases.SALES, order_id)
    return render(ctx, order, headers=etag_header(order))


@router.patch(
    "/v1/sales-orders/{order_id}",
    response_model=SalesOrderOut,
    operation_id="change_sales_order",
    tags=["demands"],
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def change_sales_order(
    ctx: Planner, order_id: SalesOrderId, body: OrderChange, if_match: IfMatch = None
) -> Response:
    """Change quantities (not below what shipped) or due dates of an open order's lines;
    send its ETag as If-Match (a stale one gets 412)."""
    expected = expected_version(if_match, "sales order")

    async def command(uow: UnitOfWork) -> usecases.AnyOrderOut:
        return await usecases.change_order(uow, usecases.SALES, order_id, body, expected)

    return await run_command(ctx, command, body=body, headers=etag_header)


@router.post(
    "/v1/sales-orders/{order_id}/close",
    response_model=SalesOrderOut,
    operation_id="close_sales_order",
    tags=["demands"],
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def close_sales_order(ctx: Planner, order_id: SalesOrderId) -> Response:
    """Close an open order: nothing more will ship, MRP stops planning for it."""

    async def command(uow: UnitOfWork) -> usecases.AnyOrderOut:
        return await usecases.set_order_status(uow, usecases.SALES, order_id, OrderStatus.CLOSED)

    return await run_command(ctx, command)


@router.post(
    "/v1/sales-orders/{order_id}/cancel",
    response_model=SalesOrderOut,
    operation_id="cancel_sales_order",
    tags=["demands"],
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def cancel_sales_order(ctx: Planner, order_id: SalesOrderId) -> Response:
    """Cancel an open order nothing was shipped against."""

    async def command(uow: UnitOfWork) -> usecases.AnyOrderOut:
        return await usecases.set_order_status(uow, usecases.SALES, order_id, OrderStatus.CANCELLED)

    return await run_command(ctx, command)


# --- forecasts -------------------------------------------------------------------------


@router.post(
    "/v1/forecasts",
    status_code=201,
    response_model=ForecastBatchOut,
    operation_id="create_forecasts",
    tags=["demands"],
    responses=problem_responses(401, 403, 409, 422, 502, 503),
)
async def create_forecasts(ctx: Planner, catalog: Catalog, body: ForecastCreate) -> Response:
    """Enter forecast quantities of items on dates, all or none (accepts Idempotency-Key)."""

    async def command(uow: UnitOfWork) -> ForecastBatchOut:
        items = await catalog.items_by_codes([entry.item_code for entry in body.forecasts])
        return await usecases.create_forecasts(uow, body, items)

    return await run_command(ctx, command, body=body, status_code=201)


@router.get(
    "/v1/forecasts",
    response_model=ForecastPage,
    operation_id="list_forecasts",
    tags=["demands"],
    responses=problem_responses(401, 422),
)
async def list_forecasts(
    ctx: Reader,
    page: Paging,
    item_code: ItemFilter = None,
    status: ForecastStatus | None = None,
    due_from: date | None = None,
    due_to: date | None = None,
) -> Response:
    """Forecasts, oldest first."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_forecasts(
            session,
            page,
            item_code=item_code,
            status=status.value if status else None,
            due_from=due_from,
            due_to=due_to,
        )
    return render(ctx, ForecastPage(items=items, next_cursor=cursor))


@router.get(
    "/v1/forecasts/{forecast_id}",
    response_model=ForecastOut,
    operation_id="get_forecast",
    tags=["demands"],
    responses=problem_responses(401, 404, 422),
)
async def get_forecast(ctx: Reader, forecast_id: ForecastId) -> Response:
    """One forecast."""
    async with ctx.db.read() as session:
        return render(ctx, await usecases.get_forecast(session, forecast_id))


@router.post(
    "/v1/forecasts/{forecast_id}/cancel",
    response_model=ForecastOut,
    operation_id="cancel_forecast",
    tags=["demands"],
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def cancel_forecast(ctx: Planner, forecast_id: ForecastId) -> Response:
    """Cancel an active forecast: MRP no longer plans for it."""

    async def command(uow: UnitOfWork) -> ForecastOut:
        return await usecases.cancel_forecast(uow, forecast_id)

    return await run_command(ctx, command)


# --- the demand view -------------------------------------------------------------------


@router.get(
    "/v1/demands",
    response_model=DemandPage,
    operation_id="list_demands",
    tags=["demands"],
    responses=problem_responses(401, 422),
)
async def list_demands(
    ctx: Reader,
    page: Paging,
    item_code: ItemFilter = None,
    kind: DemandKindOut | None = None,
    due_to: date | None = None,
) -> Response:
    """Every open demand MRP plans for (open sales order lines, active forecasts, open
    work orders' components), by due date."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_demands(
            session, page, item_code=item_code, kind=kind, due_to=due_to
        )
    return render(ctx, DemandPage(items=items, next_cursor=cursor))


# --- purchase orders -------------------------------------------------------------------


@router.post(
    "/v1/purchase-orders",
    status_code=201,
    response_model=PurchaseOrderOut,
    operation_id="create_purchase_order",
    tags=["purchase orders"],
    responses=problem_responses(401, 403, 409, 422, 502, 503),
)
async def create_purchase_order(
    ctx: Planner, catalog: Catalog, body: PurchaseOrderCreate
) -> Response:
    """Enter an order to a supplier (accepts Idempotency-Key); stock receipts naming its
    number count as received."""

    async def command(uow: UnitOfWork) -> PurchaseOrderOut:
        items = await catalog.items_by_codes([line.item_code for line in body.lines])
        return await usecases.create_purchase_order(uow, body, items)

    return await run_command(ctx, command, body=body, status_code=201)


@router.get(
    "/v1/purchase-orders",
    response_model=PurchaseOrderPage,
    operation_id="list_purchase_orders",
    tags=["purchase orders"],
    responses=problem_responses(401, 422),
)
async def list_purchase_orders(
    ctx: Reader,
    page: Paging,
    status: OrderStatus | None = None,
    supplier: TextFilter = None,
    item_code: ItemFilter = None,
    number: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """Purchase orders, oldest first, with received and open quantities per line."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_purchase_orders(
            session,
            page,
            status=status.value if status else None,
            supplier=supplier,
            item_code=item_code,
            number=number,
        )
    return render(ctx, PurchaseOrderPage(items=items, next_cursor=cursor))


@router.get(
    "/v1/purchase-orders/{order_id}",
    response_model=PurchaseOrderOut,
    operation_id="get_purchase_order",
    tags=["purchase orders"],
    responses=problem_responses(401, 404, 422),
)
async def get_purchase_order(ctx: Reader, order_id: PurchaseOrderId) -> Response:
    """One purchase order with its lines."""
    async with ctx.db.read() as session:
        order = await usecases.get_order(session, usecases.PURCHASE, order_id)
    return render(ctx, order, headers=etag_header(order))


@router.patch(
    "/v1/purchase-orders/{order_id}",
    response_model=PurchaseOrderOut,
    operation_id="change_purchase_order",
    tags=["purchase orders"],
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def change_purchase_order(
    ctx: Planner, order_id: PurchaseOrderId, body: OrderChange, if_match: IfMatch = None
) -> Response:
    """Reschedule (an `expedite` or `postpone` message) or resize an open order's lines,
    not below what was received; send its ETag as If-Match (a stale one gets 412)."""
    expected = expected_version(if_match, "purchase order")

    async def command(uow: UnitOfWork) -> usecases.AnyOrderOut:
        return await usecases.change_order(uow, usecases.PURCHASE, order_id, body, expected)

    return await run_command(ctx, command, body=body, headers=etag_header)


@router.post(
    "/v1/purchase-orders/{order_id}/close",
    response_model=PurchaseOrderOut,
    operation_id="close_purchase_order",
    tags=["purchase orders"],
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def close_purchase_order(ctx: Planner, order_id: PurchaseOrderId) -> Response:
    """Close an open order: nothing more is expected (MRP drops what is still open)."""

    async def command(uow: UnitOfWork) -> usecases.AnyOrderOut:
        return await usecases.set_order_status(uow, usecases.PURCHASE, order_id, OrderStatus.CLOSED)

    return await run_command(ctx, command)


@router.post(
    "/v1/purchase-orders/{order_id}/cancel",
    response_model=PurchaseOrderOut,
    operation_id="cancel_purchase_order",
    tags=["purchase orders"],
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def cancel_purchase_order(ctx: Planner, order_id: PurchaseOrderId) -> Response:
    """Cancel an open order nothing was received against."""

    async def command(uow: UnitOfWork) -> usecases.AnyOrderOut:
        return await usecases.set_order_status(
            uow, usecases.PURCHASE, order_id, OrderStatus.CANCELLED
        )

    return await run_command(ctx, command)
