"""Inventory health routes: the check as JSON or .xlsx, a kept workbook for a message to
link to, and that workbook by its token."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from services.stock import report_examples as ex
from services.stock.api.deps import Catalog
from services.stock.health_schemas import InventoryHealth
from services.stock.schemas import COST_ROLES
from services.stock.usecases.inventory_health import (
    HealthRequest,
    inventory_health,
    keep_file,
    read_file,
    to_xlsx,
)
from shared.db.uow import UnitOfWork
from shared.errors import Forbidden
from shared.http.commands import render, run_command
from shared.http.context import Reader, RequestContext, request_context
from shared.http.examples import example_response
from shared.http.problems import problem_responses
from shared.spreadsheet_files import XLSX_MEDIA_TYPE

router = APIRouter(tags=["reports"])

#: Who may make a kept workbook (it holds values and its link needs no credentials).
CostWriter = Annotated[RequestContext, Depends(request_context(tuple(sorted(COST_ROLES))))]


class HealthFormat(StrEnum):
    JSON = "json"
    XLSX = "xlsx"


def health_request(
    idle_days: Annotated[
        int, Query(ge=1, le=3650, description="Dead stock: no issue for this many days")
    ] = 90,
    aged_days: Annotated[
        int, Query(ge=1, le=3650, description="Aged: older than this many days since receipt")
    ] = 180,
    top: Annotated[
        int,
        Query(
            ge=1,
            le=100,
            description="Rows of the dead-stock top and of the items below safety stock",
        ),
    ] = 10,
) -> HealthRequest:
    return HealthRequest(idle_days=idle_days, aged_days=aged_days, top=top)


Request = Annotated[HealthRequest, Depends(health_request)]
_XLSX: dict[int | str, dict[str, Any]] = {
    200: {"content": {XLSX_MEDIA_TYPE: {}}, "description": "JSON, or the workbook"}
}


@router.get(
    "/v1/reports/inventory-health",
    response_model=InventoryHealth,
    operation_id="inventory_health_report",
    responses={**problem_responses(401, 403, 422, 502), **_XLSX},
)
async def inventory_health_report(
    ctx: Reader,
    catalog: Catalog,
    request: Request,
    format: Annotated[
        HealthFormat, Query(description="json, or xlsx (a workbook with charts; finance, admin)")
    ] = HealthFormat.JSON,
) -> Response:
    """Inventory health now (库存健康): stock value by stage, items whose availability is
    below their safety stock, the dead-stock top N and the value aged over `aged_days`,
    read in one snapshot; each ties out with its own report (values for finance and
    admin)."""
    if format is HealthFormat.XLSX and not ctx.principal.has_any(COST_ROLES):
        roles = ", ".join(sorted(COST_ROLES))
        raise Forbidden(f"the workbook holds values: it needs one of the roles {roles}")
    health, ages = await inventory_health(ctx.db, catalog, request)
    if format is HealthFormat.XLSX:
        return Response(
            to_xlsx(health, ages),
            media_type=XLSX_MEDIA_TYPE,
            headers={"Content-Disposition": 'attachment; filename="inventory-health.xlsx"'},
        )
    return render(ctx, health)


@router.post(
    "/v1/reports/inventory-health/files",
    response_model=InventoryHealth,
    status_code=201,
    operation_id="keep_inventory_health_file",
    responses={
        **problem_responses(401, 403, 409, 422, 502),
        **example_response(ex.INVENTORY_HEALTH_FILE, 201),
    },
)
async def keep_inventory_health_file(
    ctx: CostWriter, catalog: Catalog, request: Request
) -> Response:
    """Make the health check now and keep its workbook for 7 days behind an unguessable
    link (`file.url`, fetched without credentials: what a digest message links to).
    Finance, admin and services; with an Idempotency-Key a retry answers the first file."""
    health, ages = await inventory_health(ctx.db, catalog, request)
    content = to_xlsx(health, ages)

    async def command(uow: UnitOfWork) -> InventoryHealth:
        kept = await keep_file(uow, content, made_at=health.as_of, actor=ctx.principal.subject)
        return health.model_copy(update={"file": kept})

    return await run_command(ctx, command, status_code=201)


@router.get(
    "/v1/report-files/{token}",
    response_class=Response,
    operation_id="get_report_file",
    responses={
        **problem_responses(401, 404, 422),
        200: {"content": {XLSX_MEDIA_TYPE: {}}, "description": "The kept workbook"},
    },
)
async def get_report_file(
    ctx: Reader,
    token: Annotated[
        str,
        Path(
            min_length=20,
            max_length=64,
            pattern=r"^[A-Za-z0-9_-]+$",
            examples=[ex.REPORT_FILE_TOKEN],
        ),
    ],
) -> Response:
    """A kept report workbook by its link's token, until it expires (the gateway lets this
    path through without credentials: the token is the credential)."""
    async with ctx.db.read() as session:
        row = await read_file(session, token)
    return Response(
        row.content,
        media_type=row.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{row.filename}"',
            "Cache-Control": "private, no-store",
        },
    )
