"""Units of measure and item categories."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from services.catalog.api.common import Editor, IfMatch, etag_header, expected_version
from services.catalog.schemas import (
    CategoryCreate,
    CategoryOut,
    CategoryPage,
    CategoryUpdate,
    ConversionOut,
    UnitCreate,
    UnitList,
    UnitOut,
)
from services.catalog.usecases import items as item_usecases
from services.catalog.usecases import units as usecases
from shared.auth.principal import ADMIN
from shared.http.commands import render, run_command
from shared.http.context import Reader, RequestContext, request_context
from shared.http.pagination import PageParams, page_params
from shared.http.params import IdPath
from shared.http.problems import problem_responses
from shared.schemas import Quantity

units_router = APIRouter(prefix="/v1/units", tags=["units"])
categories_router = APIRouter(prefix="/v1/categories", tags=["categories"])
Admin = Annotated[RequestContext, Depends(request_context((ADMIN,)))]
UnitQuery = Annotated[str, Query(min_length=1, max_length=20)]
#: The demo's category IC (`make demo`), for "Try it out".
CategoryId = Annotated[IdPath, Path(examples=[5])]


@units_router.get(
    "", response_model=UnitList, operation_id="list_units", responses=problem_responses(401)
)
async def list_units(ctx: Reader) -> Response:
    """Every unit of measure with its rounding rule and global conversion."""
    async with ctx.db.read() as session:
        units = await usecases.list_units(session)
    return render(ctx, UnitList(items=units))


@units_router.post(
    "",
    status_code=201,
    response_model=UnitOut,
    operation_id="create_unit",
    responses=problem_responses(401, 403, 409, 422),
)
async def create_unit(ctx: Admin, body: UnitCreate) -> Response:
    """Add a unit of measure (admin; accepts Idempotency-Key)."""
    return await run_command(
        ctx, lambda uow: usecases.create_unit(uow, body), body=body, status_code=201
    )


@units_router.get(
    "/convert",
    response_model=ConversionOut,
    operation_id="convert_quantity",
    responses=problem_responses(401, 422),
)
async def convert_quantity(
    ctx: Reader,
    quantity: Annotated[Quantity, Query(examples=["1500"])],
    from_uom: Annotated[UnitQuery, Query(examples=["g"])],
    to_uom: Annotated[UnitQuery, Query(examples=["kg"])],
) -> Response:
    """Convert a quantity between units by the global conversions (g -> kg)."""
    async with ctx.db.read() as session:
        result = await item_usecases.convert(session, quantity, from_uom, to_uom)
    return render(ctx, result)


@units_router.get(
    "/{code:path}",
    response_model=UnitOut,
    operation_id="get_unit",
    responses=problem_responses(401, 404),
)
async def get_unit(
    ctx: Reader, code: Annotated[str, Path(max_length=20, examples=["reel"])]
) -> Response:
    """Read a unit of measure by code."""
    async with ctx.db.read() as session:
        unit = await usecases.get_unit(session, code)
    return render(ctx, unit)


@categories_router.post(
    "",
    status_code=201,
    response_model=CategoryOut,
    operation_id="create_category",
    responses=problem_responses(401, 403, 409, 422),
)
async def create_category(ctx: Editor, body: CategoryCreate) -> Response:
    """Create a category with a JSON Schema for its items' attributes (Idempotency-Key)."""
    return await run_command(
        ctx,
        lambda uow: usecases.create_category(uow, body),
        body=body,
        status_code=201,
        headers=etag_header,
    )


@categories_router.get(
    "",
    response_model=CategoryPage,
    operation_id="list_categories",
    responses=problem_responses(401, 422),
)
async def list_categories(
    ctx: Reader, page: Annotated[PageParams, Depends(page_params)]
) -> Response:
    """List categories in creation order."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_categories(session, page)
    return render(ctx, CategoryPage(items=items, next_cursor=cursor))


@categories_router.get(
    "/{category_id}",
    response_model=CategoryOut,
    operation_id="get_category",
    responses=problem_responses(401, 404, 422),
)
async def get_category(ctx: Reader, category_id: CategoryId) -> Response:
    """Read a category."""
    async with ctx.db.read() as session:
        category = await usecases.get_category(session, category_id)
    return render(ctx, category, headers=etag_header(category))


@categories_router.patch(
    "/{category_id}",
    response_model=CategoryOut,
    operation_id="update_category",
    responses=problem_responses(401, 403, 404, 412, 422, 428),
)
async def update_category(
    ctx: Editor, category_id: CategoryId, body: CategoryUpdate, if_match: IfMatch = None
) -> Response:
    """Rename a category or change its schema (refused if an item would no longer fit)."""
    expected = expected_version(if_match, "category")
    return await run_command(
        ctx,
        lambda uow: usecases.update_category(uow, category_id, body, expected),
        body=body,
        headers=etag_header,
    )
