"""Serial routes: where a serial-tracked unit is now, and its history."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from services.stock.domain.model import SerialStatus
from services.stock.schemas import SerialDetail, SerialPage
from services.stock.usecases import serials as usecases
from shared.http.commands import render
from shared.http.context import Reader
from shared.http.pagination import PageParams, page_params
from shared.http.params import IdPath
from shared.http.problems import problem_responses

router = APIRouter(prefix="/v1/serials", tags=["ledger"])
Code = Annotated[str | None, Query(max_length=100)]
#: LS1-000700, shipped to Maple Electronics Canada on SO-0024.
SerialId = Annotated[IdPath, Path(examples=[700])]


@router.get(
    "",
    response_model=SerialPage,
    operation_id="list_serials",
    responses=problem_responses(401, 422),
)
async def list_serials(
    ctx: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    item_code: Code = None,
    serial_number: Code = None,
    status: SerialStatus | None = None,
    location_code: Code = None,
    lot_number: Code = None,
) -> Response:
    """Serials by item, number, status (in_stock, consumed, shipped, ...), location or lot."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_serials(
            session,
            page,
            item_code=item_code,
            serial_number=serial_number,
            status=status,
            location_code=location_code,
            lot_number=lot_number,
        )
    return render(ctx, SerialPage(items=items, next_cursor=cursor))


@router.get(
    "/{serial_id}",
    response_model=SerialDetail,
    operation_id="get_serial",
    responses=problem_responses(401, 404, 422),
)
async def get_serial(ctx: Reader, serial_id: SerialId) -> Response:
    """A serial with every movement of it, in time order."""
    async with ctx.db.read() as session:
        return render(ctx, await usecases.get_serial(session, serial_id))
