"""Sales shipment routes: post (601) or save as a draft, list, read, reverse (602), and the
draft routes (replace, post, cancel)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from services.stock import document_examples as ex
from services.stock.api.deps import Catalog, Warehouse
from services.stock.api.drafts import add_draft_routes
from services.stock.db.models import Shipment
from services.stock.schemas import DocumentStatus
from services.stock.shipment_schemas import ShipmentCreate, ShipmentOut, ShipmentPage
from services.stock.usecases import shipments as usecases
from services.stock.usecases.document_lines import catalog_items
from shared.db.uow import UnitOfWork
from shared.http.commands import render, run_command
from shared.http.context import Reader
from shared.http.pagination import PageParams, page_params
from shared.http.params import IdPath
from shared.http.problems import problem_responses

router = APIRouter(prefix="/v1/shipments", tags=["shipments"])
#: A shipment's id: SH-00000001 in the demo.
ShipmentId = Annotated[IdPath, Path(examples=[ex.SHIPMENT_ID])]


@router.post(
    "",
    status_code=201,
    response_model=ShipmentOut,
    operation_id="post_shipment",
    responses=problem_responses(401, 403, 409, 422, 502, 503),
)
async def post_shipment(ctx: Warehouse, catalog: Catalog, body: ShipmentCreate) -> Response:
    """Ship qualified finished goods to a customer, all lines or none, or save the shipment
    as a draft (`"draft": true`) to post later (accepts Idempotency-Key)."""
    return await run_command(
        ctx, lambda uow: usecases.save_shipment(uow, catalog, body), body=body, status_code=201
    )


@router.get(
    "",
    response_model=ShipmentPage,
    operation_id="list_shipments",
    responses=problem_responses(401, 422),
)
async def list_shipments(
    ctx: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    sales_order: Annotated[str | None, Query(max_length=100)] = None,
    customer: Annotated[str | None, Query(max_length=200)] = None,
    item_code: Annotated[
        str | None, Query(max_length=64, description="An item on any line")
    ] = None,
    status: DocumentStatus | None = None,
) -> Response:
    """Shipments in posting order, by sales order, customer, an item on any line or status."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_shipments(
            session,
            page,
            sales_order=sales_order,
            customer=customer,
            item_code=item_code,
            status=status,
        )
    return render(ctx, ShipmentPage(items=items, next_cursor=cursor))


@router.get(
    "/{shipment_id}",
    response_model=ShipmentOut,
    operation_id="get_shipment",
    responses=problem_responses(401, 404, 422),
)
async def get_shipment(ctx: Reader, shipment_id: ShipmentId) -> Response:
    """Read a shipment with its lines as shipped (one per lot) and its movements."""
    async with ctx.db.read() as session:
        return render(ctx, await usecases.get_shipment(session, shipment_id))


@router.post(
    "/{shipment_id}/reverse",
    response_model=ShipmentOut,
    operation_id="reverse_shipment",
    responses=problem_responses(401, 403, 404, 409, 422, 502, 503),
)
async def reverse_shipment(ctx: Warehouse, catalog: Catalog, shipment_id: ShipmentId) -> Response:
    """Reverse a posted shipment as a whole: the goods return, qualified (Idempotency-Key)."""

    async def command(uow: UnitOfWork) -> ShipmentOut:
        async with ctx.db.read() as session:
            codes = await usecases.shipment_item_codes(session, shipment_id)
        items = await catalog_items(catalog, codes)
        return await usecases.reverse_shipment(uow, shipment_id, items)

    return await run_command(ctx, command)


add_draft_routes(
    router,
    noun="shipment",
    operation="shipment",
    id_name="shipment_id",
    model=Shipment,
    create=ShipmentCreate,
    out=ShipmentOut,
    save=usecases.save_shipment,
    cancel=usecases.cancel_shipment,
    example_id=ex.SHIPMENT_ID,
)
