"""Report query routes: `POST /v1/reports/query` and the saved `/v1/report-definitions`."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from services.stock import report_examples as ex
from services.stock.api.deps import Catalog
from services.stock.clients import CatalogClient
from services.stock.report_query_schemas import (
    ReportDefinitionIn,
    ReportDefinitionOut,
    ReportDefinitionPage,
    ReportFormat,
    ReportQuery,
    ReportResult,
)
from services.stock.usecases import report_definitions as definitions
from services.stock.usecases.report_export import CSV_MEDIA_TYPE, to_csv, to_json, to_xlsx
from services.stock.usecases.report_query import run_report
from services.stock.usecases.report_query_plan import Plan, check_cost_roles, plan_query
from shared.db.types import utcnow
from shared.http.commands import render, render_payload, run_command
from shared.http.context import Reader, RequestContext
from shared.http.etags import IfMatch, etag_header, expected_version
from shared.http.pagination import PageParams, page_params
from shared.http.params import IdPath
from shared.http.problems import problem_responses
from shared.spreadsheet_files import XLSX_MEDIA_TYPE

router = APIRouter(tags=["reports"])

_RESULT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "JSON (format=json), CSV (format=csv) or an .xlsx workbook with a "
        "native chart (format=xlsx)",
        "content": {"text/csv": {}, XLSX_MEDIA_TYPE: {}},
    },
}
FormatQuery = Annotated[
    ReportFormat | None,
    Query(
        description="json (default; chart-ready), csv (a header row, then the rows) or xlsx "
        "(sheet Data and a native Excel chart of the measures: a line chart over time, "
        "else columns)"
    ),
]


async def _answer(
    ctx: RequestContext, catalog: CatalogClient, plan: Plan, output: ReportFormat
) -> Response:
    """Run the report (its reads in one snapshot, the catalog outside it) and answer in
    `output`."""
    result = await run_report(ctx.db, catalog, plan)
    if output is ReportFormat.CSV:
        return Response(
            to_csv(result),
            media_type=CSV_MEDIA_TYPE,
            headers={"Content-Disposition": 'attachment; filename="report.csv"'},
        )
    if output is ReportFormat.XLSX:
        data = await asyncio.to_thread(to_xlsx, result)
        return Response(
            data,
            media_type=XLSX_MEDIA_TYPE,
            headers={"Content-Disposition": 'attachment; filename="report.xlsx"'},
        )
    return render_payload(ctx, to_json(result), ReportResult)


@router.post(
    "/v1/reports/query",
    response_model=ReportResult,
    operation_id="query_report",
    responses={**_RESULT_RESPONSES, **problem_responses(401, 403, 422, 502)},
)
async def query_report(
    ctx: Reader, catalog: Catalog, body: ReportQuery, format: FormatQuery = None
) -> Response:
    """Run a report query (reads only; no Idempotency-Key): measures per combination of
    dimensions over a date range, from the stock flows; rows, a chart-ready series per
    measure, or CSV / .xlsx with a native chart. Value measures for finance and admin."""
    plan = plan_query(body, utcnow().date())
    check_cost_roles(plan, ctx.principal)
    return await _answer(ctx, catalog, plan, format or ReportFormat.JSON)


definitions_router = APIRouter(prefix="/v1/report-definitions", tags=["reports"])
Paging = Annotated[PageParams, Depends(page_params)]
#: The first definition saved (ex.REPORT_DEFINITION).
DefinitionId = Annotated[IdPath, Path(examples=[1])]
#: What running a definition answers: as the query, with the definition's own example.
_DEFINITION_RESULT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": _RESULT_RESPONSES[200]["description"],
        "content": {
            "application/json": {"example": ex.REPORT_DEFINITION_RESULT},
            **_RESULT_RESPONSES[200]["content"],
        },
    },
}


@definitions_router.post(
    "",
    status_code=201,
    response_model=ReportDefinitionOut,
    operation_id="create_report_definition",
    responses=problem_responses(401, 403, 409, 422),
)
async def create_report_definition(ctx: Reader, body: ReportDefinitionIn) -> Response:
    """Save a report query with a name, shared with roles; the caller owns it (accepts
    Idempotency-Key). The query is checked as `POST /v1/reports/query` checks it."""
    return await run_command(
        ctx,
        lambda uow: definitions.save_definition(uow, body, ctx.principal),
        body=body,
        status_code=201,
        headers=etag_header,
    )


@definitions_router.get(
    "",
    response_model=ReportDefinitionPage,
    operation_id="list_report_definitions",
    responses=problem_responses(401, 422),
)
async def list_report_definitions(ctx: Reader, page: Paging) -> Response:
    """The report definitions the caller may see: its own, those shared with one of its
    roles, and every one for admin."""
    async with ctx.db.read() as session:
        items, cursor = await definitions.list_definitions(session, page, ctx.principal)
    return render(ctx, ReportDefinitionPage(items=items, next_cursor=cursor))


@definitions_router.get(
    "/{definition_id}",
    response_model=ReportDefinitionOut,
    operation_id="get_report_definition",
    responses=problem_responses(401, 404, 422),
)
async def get_report_definition(ctx: Reader, definition_id: DefinitionId) -> Response:
    """One report definition the caller may see."""
    async with ctx.db.read() as session:
        out = await definitions.get_definition(session, definition_id, ctx.principal)
    return render(ctx, out, headers=etag_header(out))


@definitions_router.put(
    "/{definition_id}",
    response_model=ReportDefinitionOut,
    operation_id="update_report_definition",
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def update_report_definition(
    ctx: Reader, definition_id: DefinitionId, body: ReportDefinitionIn, if_match: IfMatch = None
) -> Response:
    """Replace a report definition (its owner or admin; If-Match: its ETag)."""
    expected = expected_version(if_match, "report definition")
    return await run_command(
        ctx,
        lambda uow: definitions.save_definition(
            uow, body, ctx.principal, definition_id=definition_id, expected=expected
        ),
        body=body,
        headers=etag_header,
    )


@definitions_router.delete(
    "/{definition_id}",
    status_code=204,
    operation_id="delete_report_definition",
    responses=problem_responses(401, 403, 404, 422),
)
async def delete_report_definition(ctx: Reader, definition_id: DefinitionId) -> Response:
    """Delete a report definition (its owner or admin)."""
    return await run_command(
        ctx,
        lambda uow: definitions.delete_definition(uow, definition_id, ctx.principal),
        status_code=204,
    )


@definitions_router.get(
    "/{definition_id}/result",
    response_model=ReportResult,
    operation_id="run_report_definition",
    responses={**_DEFINITION_RESULT_RESPONSES, **problem_responses(401, 403, 404, 422, 502)},
)
async def run_report_definition(
    ctx: Reader,
    catalog: Catalog,
    definition_id: DefinitionId,
    format: Annotated[
        ReportFormat | None, Query(description="json, csv or xlsx; default the definition's")
    ] = None,
    date_from: Annotated[
        date | None, Query(description="Overrides the saved filters' date_from")
    ] = None,
    date_to: Annotated[
        date | None, Query(description="Overrides the saved filters' date_to")
    ] = None,
) -> Response:
    """Run a saved report definition now, as `POST /v1/reports/query` runs its query; the
    dates given override the saved ones (a definition saved without dates reports the
    current month). Value measures for finance and admin."""
    async with ctx.db.read() as session:
        out = await definitions.get_definition(session, definition_id, ctx.principal)
    plan = definitions.definition_plan(
        out, ctx.principal, utcnow().date(), date_from=date_from, date_to=date_to
    )
    return await _answer(ctx, catalog, plan, format or out.format)
