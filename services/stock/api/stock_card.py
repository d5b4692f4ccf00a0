"""The stock card route."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from services.stock.domain.model import QualityState
from services.stock.schemas import StockCardOut
from services.stock.usecases import stock_card as usecases
from shared.http.commands import render
from shared.http.context import Reader
from shared.http.pagination import PageParams, page_params
from shared.http.problems import problem_responses

router = APIRouter(tags=["ledger"])


@router.get(
    "/v1/stock-card",
    response_model=StockCardOut,
    operation_id="get_stock_card",
    responses=problem_responses(401, 422),
)
async def get_stock_card(
    ctx: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    item_code: Annotated[str, Query(min_length=1, max_length=64)],
    location_code: Annotated[str | None, Query(max_length=100)] = None,
    subtree: Annotated[bool, Query(description="Include every location below")] = True,
    quality_state: QualityState | None = None,
) -> Response:
    """An item's movements in posting order with the running balance of the scope."""
    async with ctx.db.read() as session:
        card = await usecases.stock_card(
            session,
            page,
            item_code=item_code,
            location_code=location_code,
            subtree=subtree,
            quality_state=quality_state,
        )
    return render(ctx, card)
