"""Ledger views: the stock card, the multi-stage overview and the valuation."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import Field

from services.stock.api.deps import SubtreeCode
from services.stock.domain.model import QualityState
from services.stock.schemas import OverviewOut, StockCardOut, ValuationOut
from services.stock.usecases import overview, valuation
from services.stock.usecases import stock_card as usecases
from services.stock.usecases.overview import GroupBy
from shared.auth.principal import FINANCE
from shared.http.commands import render
from shared.http.context import Reader, RequestContext, request_context
from shared.http.pagination import PageParams, page_params
from shared.http.problems import problem_responses
from shared.schemas import Moment

router = APIRouter(tags=["ledger"])

Finance = Annotated[RequestContext, Depends(request_context((FINANCE,)))]


@router.get(
    "/v1/stock-card",
    response_model=StockCardOut,
    operation_id="get_stock_card",
    responses=problem_responses(401, 422),
)
async def get_stock_card(
    ctx: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    item_code: Annotated[str, Query(min_length=1, max_length=64, examples=["R0402-10K"])],
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


@router.get(
    "/v1/stock-overview",
    response_model=OverviewOut,
    operation_id="get_stock_overview",
    responses=problem_responses(401, 422),
)
async def get_stock_overview(
    ctx: Reader,
    as_of: Annotated[
        Moment | None, Query(description="A past moment (with time zone); default now")
    ] = None,
    group_by: GroupBy = GroupBy.TOTAL,
    item_code: Annotated[str | None, Query(max_length=64)] = None,
    location_code: SubtreeCode = None,
) -> Response:
    """Quantity by stage x quality state, in total or per item, warehouse, location or lot."""
    async with ctx.db.read() as session:
        result = await overview.overview(
            session,
            as_of=as_of,
            group_by=group_by,
            item_code=item_code,
            location_code=location_code,
        )
    return render(ctx, result)


@router.get(
    "/v1/valuation",
    response_model=ValuationOut,
    operation_id="get_valuation",
    responses=problem_responses(401, 403, 422),
)
async def get_valuation(
    ctx: Finance,
    page: Annotated[PageParams, Depends(page_params)],
    as_of: Annotated[
        Moment | None, Query(description="A past moment (with time zone); default now")
    ] = None,
    item_code: Annotated[
        list[Annotated[str, Field(max_length=64)]] | None,
        Query(
            max_length=500,
            description="Only these items (repeat for several, up to 500); default all",
        ),
    ] = None,
    include_empty: Annotated[
        bool, Query(description="Also items that hold nothing (their last average cost)")
    ] = False,
) -> Response:
    """Quantity, value and moving-average cost per item (finance and admin), by item code."""
    async with ctx.db.read() as session:
        result = await valuation.valuation(
            session,
            page,
            as_of=as_of,
            item_codes=list(dict.fromkeys(item_code or [])),
            include_empty=include_empty,
        )
    return render(ctx, result)
