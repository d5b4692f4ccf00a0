"""Location routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response

from services.stock.api.deps import Warehouse
from services.stock.domain.model import LocationType
from services.stock.schemas import LocationCreate, LocationOut, LocationPage
from services.stock.usecases import locations as usecases
from shared.http.commands import render, run_command
from shared.http.context import Reader
from shared.http.pagination import PageParams, page_params
from shared.http.params import IdPath
from shared.http.problems import problem_responses

router = APIRouter(prefix="/v1/locations", tags=["locations"])
#: SZ/RAW/A-01, the rack of ICs and passives.
RackId = Annotated[IdPath, Path(examples=[9])]
#: SZ, the Shenzhen plant warehouse.
WarehouseId = Annotated[IdPath, Path(examples=[7])]


@router.post(
    "",
    status_code=201,
    response_model=LocationOut,
    operation_id="create_location",
    responses=problem_responses(401, 403, 409, 422),
)
async def create_location(ctx: Warehouse, body: LocationCreate) -> Response:
    """Create a physical location (accepts Idempotency-Key)."""
    return await run_command(
        ctx, lambda uow: usecases.create_location(uow, body), body=body, status_code=201
    )


@router.get(
    "",
    response_model=LocationPage,
    operation_id="list_locations",
    responses=problem_responses(401, 422),
)
async def list_locations(
    ctx: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    location_type: LocationType | None = None,
    include_virtual: bool = False,
) -> Response:
    """List locations, optionally of one type; virtual ones only on request."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_locations(
            session,
            page,
            location_type=location_type.value if location_type else None,
            include_virtual=include_virtual,
        )
    return render(ctx, LocationPage(items=items, next_cursor=cursor))


@router.get(
    "/by-code/{code:path}",
    response_model=LocationOut,
    operation_id="get_location_by_code",
    responses=problem_responses(401, 404),
)
async def get_location_by_code(
    ctx: Reader, code: Annotated[str, Path(max_length=100, examples=["SZ/RAW/A-01"])]
) -> Response:
    """Read a location by its code (codes may contain slashes: WH1/RAW/A-01)."""
    async with ctx.db.read() as session:
        return render(ctx, await usecases.get_location(session, code=code))


@router.get(
    "/{location_id}",
    response_model=LocationOut,
    operation_id="get_location",
    responses=problem_responses(401, 404, 422),
)
async def get_location(ctx: Reader, location_id: RackId) -> Response:
    """Read a location by id."""
    async with ctx.db.read() as session:
        return render(ctx, await usecases.get_location(session, location_id=location_id))


@router.get(
    "/{location_id}/children",
    response_model=LocationPage,
    operation_id="list_location_children",
    responses=problem_responses(401, 404, 422),
)
async def list_location_children(
    ctx: Reader, location_id: WarehouseId, page: Annotated[PageParams, Depends(page_params)]
) -> Response:
    """List the locations directly under a location (a warehouse's areas, an area's bins)."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_children(session, location_id, page)
    return render(ctx, LocationPage(items=items, next_cursor=cursor))
