"""Item routes: HTTP <-> schemas <-> use-cases."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import Field

from services.catalog.api.common import Editor, IfMatch, Stock, etag_header, expected_version
from services.catalog.domain.items import ItemType, Lifecycle
from services.catalog.schemas import (
    ConversionOut,
    ItemCreate,
    ItemOut,
    ItemPage,
    ItemUpdate,
    ManufacturerPartCreate,
    ManufacturerPartList,
    ManufacturerPartOut,
    ManufacturerPartUpdate,
    UnitConversionIn,
    UnitConversionList,
)
from services.catalog.usecases import items as usecases
from shared.auth.principal import ADMIN, FINANCE, PLANNER
from shared.errors import FieldError, FieldWriteForbidden
from shared.http.commands import render, run_command
from shared.http.context import Reader, RequestContext, request_context
from shared.http.pagination import PageParams, page_params
from shared.http.params import IdPath
from shared.http.problems import problem_responses
from shared.schemas import Quantity

router = APIRouter(prefix="/v1/items", tags=["items"])
#: Finance may PATCH an item too, but only its standard cost.
CostEditor = Annotated[RequestContext, Depends(request_context((ADMIN, PLANNER, FINANCE)))]
Paging = Annotated[PageParams, Depends(page_params)]
UnitQuery = Annotated[str, Query(min_length=1, max_length=20)]
#: Ids of the demo company (`make demo`) for "Try it out": IC-AMP-TAS, R0402-10K (1 reel =
#: 10,000 pcs), ACO-LIB-19 (used nowhere, so it may be deleted), IC-AMP-TAS's Awinic part.
ItemId = Annotated[IdPath, Path(examples=[5])]
ReelItemId = Annotated[IdPath, Path(examples=[10])]
UnusedItemId = Annotated[IdPath, Path(examples=[1988])]
PartId = Annotated[IdPath, Path(examples=[1617])]


#: How many codes one list call may name.
MAX_CODES = 500


@router.post(
    "",
    status_code=201,
    response_model=ItemOut,
    operation_id="create_item",
    responses=problem_responses(401, 403, 409, 422),
)
async def create_item(ctx: Editor, body: ItemCreate) -> Response:
    """Create an item (accepts Idempotency-Key)."""
    return await run_command(
        ctx,
        lambda uow: usecases.create_item(uow, body),
        body=body,
        status_code=201,
        headers=etag_header,
    )


@router.get(
    "", response_model=ItemPage, operation_id="list_items", responses=problem_responses(401, 422)
)
async def list_items(
    ctx: Reader,
    page: Paging,
    item_type: ItemType | None = None,
    code_prefix: Annotated[str | None, Query(max_length=64)] = None,
    category: Annotated[str | None, Query(max_length=64, description="Category code")] = None,
    lifecycle: Lifecycle | None = None,
    mpn: Annotated[str | None, Query(max_length=100, description="Manufacturer part")] = None,
    q: Annotated[
        str | None, Query(max_length=100, description="Text in code, name or specification")
    ] = None,
    code: Annotated[
        list[Annotated[str, Field(max_length=64)]] | None,
        Query(
            max_length=MAX_CODES,
            description=f"Only these codes (repeat the parameter, up to {MAX_CODES}): "
            "many items in one call",
        ),
    ] = None,
    with_safety_stock: Annotated[
        bool | None,
        Query(
            description="true: only items with a safety stock above 0 (what a stock health "
            "check compares availability with); false: only items without one"
        ),
    ] = None,
) -> Response:
    """List items in creation order, filtered by type, category, lifecycle, MPN, text,
    safety stock or a list of codes."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_items(
            session,
            page,
            item_type=item_type.value if item_type else None,
            code_prefix=code_prefix,
            category=category,
            lifecycle=lifecycle.value if lifecycle else None,
            mpn=mpn,
            search=q,
            codes=code or (),
            with_safety_stock=with_safety_stock,
        )
    return render(ctx, ItemPage(items=items, next_cursor=cursor))


@router.get(
    "/by-code/{code:path}",
    response_model=ItemOut,
    operation_id="get_item_by_code",
    responses=problem_responses(401, 404),
)
async def get_item_by_code(
    ctx: Reader, code: Annotated[str, Path(max_length=64, examples=["IC-AMP-TAS"])]
) -> Response:
    """Read an item by its code."""
    async with ctx.db.read() as session:
        item = await usecases.get_item_by_code(session, code)
    return render(ctx, item, headers=etag_header(item))


@router.get(
    "/{item_id}",
    response_model=ItemOut,
    operation_id="get_item",
    responses=problem_responses(401, 404, 422),
)
async def get_item(ctx: Reader, item_id: ItemId) -> Response:
    """Read an item by id."""
    async with ctx.db.read() as session:
        item = await usecases.get_item(session, item_id)
    return render(ctx, item, headers=etag_header(item))


@router.patch(
    "/{item_id}",
    response_model=ItemOut,
    operation_id="update_item",
    responses=problem_responses(401, 403, 404, 412, 422, 428),
)
async def update_item(
    ctx: CostEditor, item_id: ItemId, body: ItemUpdate, stock: Stock, if_match: IfMatch = None
) -> Response:
    """Change an item; send the ETag you read as If-Match (a stale one gets 412).

    Planners change the master data; finance changes only the standard cost. The stock
    unit and tracking cannot change once the stock ledger holds the item (422 naming
    each field): its quantities, lots and serials are kept in those terms. (The type
    is fixed at creation.)
    """
    expected = expected_version(if_match, "item")
    if not ctx.principal.has_any({ADMIN, PLANNER}):
        others = sorted(body.model_fields_set - {"standard_cost"})
        if others:
            raise FieldWriteForbidden(
                "finance may change only the standard cost",
                errors=[
                    FieldError(f"body.{name}", "not writable by your roles", "forbidden")
                    for name in others
                ],
            )
    in_stock = False
    async with ctx.db.read() as session:
        current = await usecases.get_item(session, item_id)
    if any(
        name in body.model_fields_set
        and getattr(body, name) is not None
        and getattr(body, name) != getattr(current, name)
        for name in usecases.STOCK_FIELDS
    ):
        in_stock = await stock.has_movements(current.code)
    return await run_command(
        ctx,
        lambda uow: usecases.update_item(uow, item_id, body, expected, in_stock=in_stock),
        body=body,
        headers=etag_header,
    )


@router.delete(
    "/{item_id}",
    status_code=204,
    operation_id="delete_item",
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428, 502, 503, 504),
)
async def delete_item(
    ctx: Editor, item_id: UnusedItemId, stock: Stock, if_match: IfMatch = None
) -> Response:
    """Delete an item no BOM, routing or stock uses (409 item_in_use otherwise)."""
    expected = expected_version(if_match, "item")
    async with ctx.db.read() as session:
        code, uses = await usecases.catalog_uses(session, item_id)
    if uses:  # refuse before asking stock; the command checks again under lock
        raise usecases.ItemInUse(usecases.in_use_text(code, uses), extra={"uses": uses})
    in_stock = await stock.has_movements(code)
    return await run_command(
        ctx,
        lambda uow: usecases.delete_item(uow, item_id, expected, in_stock=in_stock),
        status_code=204,
    )


@router.get(
    "/{item_id}/unit-conversions",
    response_model=UnitConversionList,
    operation_id="list_item_unit_conversions",
    responses=problem_responses(401, 404, 422),
)
async def list_item_unit_conversions(ctx: Reader, item_id: ReelItemId) -> Response:
    """The item's own unit conversions (1 reel = 5,000 pcs)."""
    async with ctx.db.read() as session:
        result = await usecases.get_conversions(session, item_id)
    return render(ctx, result)


@router.put(
    "/{item_id}/unit-conversions",
    response_model=UnitConversionList,
    operation_id="replace_item_unit_conversions",
    responses=problem_responses(401, 403, 404, 422),
)
async def replace_item_unit_conversions(
    ctx: Editor, item_id: ReelItemId, body: list[UnitConversionIn]
) -> Response:
    """Replace the item's own unit conversions."""
    return await run_command(ctx, lambda uow: usecases.replace_conversions(uow, item_id, body))


@router.get(
    "/{item_id}/convert",
    response_model=ConversionOut,
    operation_id="convert_item_quantity",
    responses=problem_responses(401, 404, 422),
)
async def convert_item_quantity(
    ctx: Reader,
    item_id: ReelItemId,
    quantity: Annotated[Quantity, Query(examples=["2"])],
    from_uom: Annotated[UnitQuery, Query(examples=["reel"])],
    to_uom: Annotated[UnitQuery, Query(examples=["pcs"])],
) -> Response:
    """Convert a quantity of this item between units, rounded by the target unit's rule."""
    async with ctx.db.read() as session:
        result = await usecases.convert(session, quantity, from_uom, to_uom, item_id)
    return render(ctx, result)


@router.get(
    "/{item_id}/manufacturer-parts",
    response_model=ManufacturerPartList,
    operation_id="list_manufacturer_parts",
    responses=problem_responses(401, 404, 422),
)
async def list_manufacturer_parts(ctx: Reader, item_id: ItemId) -> Response:
    """The item's manufacturer part numbers (approved vendor list), preferred first."""
    async with ctx.db.read() as session:
        parts = await usecases.list_parts(session, item_id)
    return render(ctx, ManufacturerPartList(items=parts))


@router.post(
    "/{item_id}/manufacturer-parts",
    status_code=201,
    response_model=ManufacturerPartOut,
    operation_id="add_manufacturer_part",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def add_manufacturer_part(
    ctx: Editor, item_id: ReelItemId, body: ManufacturerPartCreate
) -> Response:
    """Add a manufacturer part number (MPN + manufacturer) to the item (Idempotency-Key)."""
    return await run_command(
        ctx, lambda uow: usecases.add_part(uow, item_id, body), body=body, status_code=201
    )


@router.patch(
    "/{item_id}/manufacturer-parts/{part_id}",
    response_model=ManufacturerPartOut,
    operation_id="update_manufacturer_part",
    responses=problem_responses(401, 403, 404, 422),
)
async def update_manufacturer_part(
    ctx: Editor, item_id: ItemId, part_id: PartId, body: ManufacturerPartUpdate
) -> Response:
    """Approve, disapprove or re-rank a manufacturer part."""
    return await run_command(
        ctx, lambda uow: usecases.update_part(uow, item_id, part_id, body), body=body
    )


@router.delete(
    "/{item_id}/manufacturer-parts/{part_id}",
    status_code=204,
    operation_id="remove_manufacturer_part",
    responses=problem_responses(401, 403, 404, 422),
)
async def remove_manufacturer_part(ctx: Editor, item_id: ItemId, part_id: PartId) -> Response:
    """Take a manufacturer part off the item's list."""
    return await run_command(
        ctx, lambda uow: usecases.remove_part(uow, item_id, part_id), status_code=204
    )
