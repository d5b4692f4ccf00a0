"""Genealogy lot routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from services.trace.schemas import TraceLotDetail, TraceLotPage
from services.trace.usecases import lots as usecases
from shared.http.commands import render
from shared.http.context import Reader
from shared.http.pagination import PageParams, page_params
from shared.http.params import IdPath
from shared.http.problems import problem_responses

router = APIRouter(prefix="/v1/genealogy", tags=["genealogy"])
Code = Annotated[str | None, Query(max_length=100)]


@router.get(
    "/lots",
    response_model=TraceLotPage,
    operation_id="list_genealogy_lots",
    responses=problem_responses(401, 422),
)
async def list_lots(
    ctx: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    item_code: Code = None,
    lot_number: Code = None,
    supplier: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Lots known to the genealogy, by item, lot number or supplier."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_lots(
            session, page, item_code=item_code, lot_number=lot_number, supplier=supplier
        )
    return render(ctx, TraceLotPage(items=items, next_cursor=cursor))


@router.get(
    "/lots/{lot_id}",
    response_model=TraceLotDetail,
    operation_id="get_genealogy_lot",
    responses=problem_responses(401, 404, 422),
)
async def get_lot(ctx: Reader, lot_id: IdPath) -> Response:
    """A lot with everything that happened to it."""
    async with ctx.db.read() as session:
        return render(ctx, await usecases.get_lot(session, lot_id))
