"""Balance, movement and lot routes (read side)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from services.stock.domain.model import QualityState, Stage
from services.stock.schemas import BalancePage, LotOut, LotPage, MovementPage
from services.stock.usecases import views
from shared.http.commands import render
from shared.http.context import Reader
from shared.http.pagination import PageParams, page_params
from shared.http.params import IdPath
from shared.http.problems import problem_responses
from shared.schemas import Moment

router = APIRouter(tags=["ledger"])
Code = Annotated[str | None, Query(max_length=100)]
Reference = Annotated[str | None, Query(min_length=1, max_length=100)]
Partner = Annotated[str | None, Query(min_length=1, max_length=200)]
#: IC-AMP-TAS-L01, the bad supplier lot.
LotId = Annotated[IdPath, Path(examples=[66])]


@router.get(
    "/v1/balances",
    response_model=BalancePage,
    operation_id="list_balances",
    responses=problem_responses(401, 422),
)
async def list_balances(
    ctx: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    item_code: Code = None,
    location_code: Code = None,
    lot_number: Code = None,
    quality_state: QualityState | None = None,
    stage: Stage | None = None,
    include_zero: bool = False,
    subtree: Annotated[
        bool,
        Query(
            description="With location_code: also every location below it "
            "(WH1 takes in WH1/RAW and WH1/RAW/A-01); without location_code it changes nothing"
        ),
    ] = False,
    as_of: Annotated[
        Moment | None,
        Query(description="A past moment (with time zone): the balances as they stood then"),
    ] = None,
    expiring_before: Annotated[
        date | None,
        Query(
            description="Only balances of lots whose expiry date is on or before this day; "
            "not with as_of"
        ),
    ] = None,
    held_since_before: Annotated[
        Moment | None,
        Query(
            description="Only balances holding stock since before this moment (with time "
            "zone), e.g. pending inspection for more than N hours; not with as_of"
        ),
    ] = None,
) -> Response:
    """Quantities on hand by item, location (or location subtree), lot, quality state, stage;
    or lots expiring by a day, or stock held since before a moment."""
    async with ctx.db.read() as session:
        items, cursor = await views.list_balances(
            session,
            page,
            item_code=item_code,
            location_code=location_code,
            lot_number=lot_number,
            quality_state=quality_state,
            stage=stage,
            include_zero=include_zero,
            subtree=subtree,
            as_of=as_of,
            expiring_before=expiring_before,
            held_since_before=held_since_before,
        )
    return render(ctx, BalancePage(items=items, next_cursor=cursor))


@router.get(
    "/v1/movements",
    response_model=MovementPage,
    operation_id="list_movements",
    responses=problem_responses(401, 422),
)
async def list_movements(
    ctx: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    item_code: Code = None,
    location_code: Code = None,
    lot_number: Code = None,
    document_type: Annotated[str | None, Query(max_length=30)] = None,
    work_order: Reference = None,
    purchase_order: Reference = None,
    sales_order: Reference = None,
    supplier: Partner = None,
    customer: Partner = None,
) -> Response:
    """The append-only ledger in posting order; by item, location (either end), lot,
    document type, or a reference the documents carry: everything issued to or completed
    for a work order, received for a purchase order, shipped for a sales order, to or from
    a supplier or customer."""
    async with ctx.db.read() as session:
        items, cursor = await views.list_movements(
            session,
            page,
            item_code=item_code,
            location_code=location_code,
            document_type=document_type,
            lot_number=lot_number,
            references={
                "work_order": work_order,
                "purchase_order": purchase_order,
                "sales_order": sales_order,
                "supplier": supplier,
                "customer": customer,
            },
        )
    return render(ctx, MovementPage(items=items, next_cursor=cursor))


@router.get(
    "/v1/lots",
    response_model=LotPage,
    operation_id="list_lots",
    responses=problem_responses(401, 422),
)
async def list_lots(
    ctx: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    item_code: Code = None,
    lot_number: Code = None,
    supplier: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Lots by item, number or supplier."""
    async with ctx.db.read() as session:
        items, cursor = await views.list_lots(
            session, page, item_code=item_code, lot_number=lot_number, supplier=supplier
        )
    return render(ctx, LotPage(items=items, next_cursor=cursor))


@router.get(
    "/v1/lots/{lot_id}",
    response_model=LotOut,
    operation_id="get_lot",
    responses=problem_responses(401, 404, 422),
)
async def get_lot(ctx: Reader, lot_id: LotId) -> Response:
    """Read a lot by id."""
    async with ctx.db.read() as session:
        return render(ctx, await views.get_lot(session, lot_id))
