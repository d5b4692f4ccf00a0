"""Material check of a work order and what can be built now."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from services.mrp.api.deps import Catalog, Stock, WorkOrderId
from services.mrp.run_schemas import BuildableOut, MaterialCheckOut
from services.mrp.usecases import material as usecases
from shared.http.commands import render, render_payload
from shared.http.context import Reader
from shared.http.problems import problem_responses

router = APIRouter(tags=["material"])


@router.get(
    "/v1/work-orders/{order_id}/material-check",
    response_model=MaterialCheckOut,
    operation_id="check_work_order_material",
    responses=problem_responses(401, 404, 409, 422, 502, 503),
)
async def check_work_order_material(
    ctx: Reader, catalog: Catalog, stock: Stock, order_id: WorkOrderId
) -> Response:
    """For each component through all levels: required, available, short, and the earliest
    date open orders cover the shortage."""
    result = await usecases.check_work_order(ctx.db, catalog, stock, order_id)
    return render_payload(ctx, result, MaterialCheckOut)


@router.get(
    "/v1/buildable",
    response_model=BuildableOut,
    operation_id="get_buildable_quantity",
    responses=problem_responses(401, 404, 422, 502, 503),
)
async def get_buildable_quantity(
    ctx: Reader,
    catalog: Catalog,
    stock: Stock,
    item_code: Annotated[str, Query(min_length=1, max_length=64, examples=["SPK-ONE-BLK"])],
    on: Annotated[
        date | None, Query(description="BOM versions effective then; default today")
    ] = None,
    whole_units: bool = True,
) -> Response:
    """What can I build now: the most of an item free stock builds, through all levels,
    and the components that run out first."""
    return render(ctx, await usecases.buildable(catalog, stock, item_code, on, whole_units))
