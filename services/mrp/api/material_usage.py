"""Material usage against the BOM standard (用料差异): one work order, and the list of
work orders by the size of their usage variance."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

from services.mrp.api.deps import Stock, UsageWorkOrderId
from services.mrp.schemas import (
    MaterialUsageLineOut,
    MaterialUsageOut,
    UsageVarianceListOut,
    UsageVarianceRowOut,
    WorkOrderStatus,
)
from services.mrp.usecases import material_usage as usecases
from shared.auth.principal import Principal
from shared.errors import FieldError, InvalidInput
from shared.http.commands import render
from shared.http.context import Reader
from shared.http.problems import problem_responses
from shared.policy import filter_readable

router = APIRouter(tags=["material usage"])

#: The most orders one list answers.
MAX_ORDERS = 1000


def may_read(principal: Principal, model: type[BaseModel], field: str) -> bool:
    """Whether the field policy lets `principal` read `field` of `model`: only then are
    costs asked from stock (the others get the same answer without the value fields)."""
    return field in filter_readable({field: None}, model, principal)


@router.get(
    "/v1/work-orders/{order_id}/material-usage",
    response_model=MaterialUsageOut,
    operation_id="get_work_order_material_usage",
    responses=problem_responses(401, 404, 422, 502, 503, 504),
)
async def get_work_order_material_usage(
    ctx: Reader, stock: Stock, order_id: UsageWorkOrderId
) -> Response:
    """Per component: the BOM standard for the output so far (produced + scrapped), issued,
    consumed and the variance; valued at stock's average cost for finance and admin."""
    costed = may_read(ctx.principal, MaterialUsageLineOut, "unit_cost")
    result = await usecases.material_usage(ctx.db, stock, order_id, with_costs=costed)
    return render(ctx, result)


@router.get(
    "/v1/usage-variances",
    response_model=UsageVarianceListOut,
    operation_id="list_usage_variances",
    responses=problem_responses(401, 422, 502, 503, 504),
)
async def list_usage_variances(
    ctx: Reader,
    stock: Stock,
    status: WorkOrderStatus | None = None,
    item_code: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    date_from: Annotated[
        date | None, Query(description="Orders last changed on or after this UTC day")
    ] = None,
    date_to: Annotated[
        date | None, Query(description="Orders last changed on or before this UTC day")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_ORDERS, description="The most orders")] = 50,
) -> Response:
    """Work orders that produced, scrapped or consumed anything, largest usage variance
    first: by |variance value| for finance and admin, else by |largest variance percent|."""
    if date_from is not None and date_to is not None and date_from > date_to:
        raise InvalidInput(
            "1 parameter(s) are not valid",
            errors=[FieldError("query.date_from", "must not be after date_to", "after_end")],
        )
    filters = usecases.UsageFilters(
        status=status.value if status else None,
        item_code=item_code,
        date_from=date_from,
        date_to=date_to,
    )
    costed = may_read(ctx.principal, UsageVarianceRowOut, "variance_value")
    result = await usecases.usage_variances(ctx.db, stock, filters, limit, with_costs=costed)
    return render(ctx, result)
