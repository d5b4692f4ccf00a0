"""Recall report routes: the report (JSON or .xlsx) and the quarantine action."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from services.trace.api.genealogy import Named
from services.trace.schemas import QuarantineIn, QuarantineOut, RecallReportOut
from services.trace.usecases.recalls import (
    quarantine,
    quarantine_locations,
    recall_report,
    recall_workbook,
)
from shared.auth.principal import QC, WAREHOUSE
from shared.http.commands import render, render_payload
from shared.http.context import Reader, RequestContext, request_context
from shared.http.problems import problem_responses
from shared.spreadsheet_files import XLSX_MEDIA_TYPE

router = APIRouter(prefix="/v1/recalls", tags=["recalls"])

Quarantiner = Annotated[RequestContext, Depends(request_context((WAREHOUSE, QC)))]
_XLSX: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report as JSON, or as an .xlsx workbook with `format=xlsx`",
        "content": {XLSX_MEDIA_TYPE: {}},
    }
}


@router.get(
    "/report",
    response_model=RecallReportOut,
    operation_id="get_recall_report",
    responses={**_XLSX, **problem_responses(401, 404, 422)},
)
async def get_recall_report(
    ctx: Reader,
    ref: Named,
    format: Annotated[Literal["json", "xlsx"], Query(description="json or xlsx")] = "json",
) -> Response:
    """What a bad lot (or unit) reached: counts by where it is now, finished goods,
    customers and sales orders, shipments, and what is still in our stock."""
    quarantined = await quarantine_locations(ctx.request.app.state.client)
    async with ctx.db.snapshot() as session:
        report = await recall_report(session, ref, quarantined)
    if format == "xlsx":
        start = report["start"]
        label = start["serial_number"] or start["lot_number"] or ""
        return Response(
            recall_workbook(report),
            media_type=XLSX_MEDIA_TYPE,
            headers={
                "Content-Disposition": f'attachment; filename="recall-{start["item_code"]}'
                f'-{label}.xlsx"'
            },
        )
    return render_payload(ctx, report, RecallReportOut)


@router.post(
    "/quarantine",
    response_model=QuarantineOut,
    operation_id="quarantine_recall",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def quarantine_recall(ctx: Quarantiner, body: QuarantineIn) -> Response:
    """Move everything of the recall still in our stock (the bad lot itself included) to
    a quarantine location, through stock: one transfer per location holding it. Safe to
    repeat: what is already there is left alone, and each transfer carries an
    Idempotency-Key derived from what it moves."""
    out = await quarantine(ctx.db, ctx.request.app.state.client, ctx.principal.subject, body)
    return render(ctx, out)
