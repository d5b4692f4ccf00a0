"""Quality inspection (QC) routes.

The draft routes (`PUT /{id}`, `POST /{id}/post`, `POST /{id}/cancel`) come from
`api/drafts.add_draft_routes`, open to the QC role (an inspection is QC's to post).
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from services.stock import document_examples as ex
from services.stock.api.deps import Catalog
from services.stock.api.drafts import add_draft_routes
from services.stock.db.models import Inspection
from services.stock.schemas import (
    DocumentStatus,
    InspectionCreate,
    InspectionOut,
    InspectionPage,
    InspectionResult,
)
from services.stock.usecases import inspections as usecases
from shared.auth.principal import QC
from shared.http.commands import render, run_command
from shared.http.context import Reader, RequestContext, request_context
from shared.http.pagination import PageParams, page_params
from shared.http.params import IdPath
from shared.http.problems import problem_responses

router = APIRouter(prefix="/v1/inspections", tags=["inspections"])
#: An inspection's id: QC-00000036 in the demo.
InspectionId = Annotated[IdPath, Path(examples=[ex.INSPECTION_ID])]
Inspector = Annotated[RequestContext, Depends(request_context((QC,)))]
Code = Annotated[str | None, Query(max_length=100)]


@router.post(
    "",
    status_code=201,
    response_model=InspectionOut,
    operation_id="post_inspection",
    responses=problem_responses(401, 403, 409, 422, 502, 503),
)
async def post_inspection(ctx: Inspector, catalog: Catalog, body: InspectionCreate) -> Response:
    """Post a QC result: accepted stock becomes qualified, rejected defective, or save it as a
    draft (`"draft": true`) to post later (accepts Idempotency-Key)."""
    return await run_command(
        ctx, lambda uow: usecases.save_inspection(uow, catalog, body), body=body, status_code=201
    )


@router.get(
    "",
    response_model=InspectionPage,
    operation_id="list_inspections",
    responses=problem_responses(401, 422),
)
async def list_inspections(
    ctx: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    item_code: Code = None,
    lot_number: Code = None,
    result: InspectionResult | None = None,
    status: DocumentStatus | None = None,
) -> Response:
    """QC records, oldest first, by item, lot, result or status."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_inspections(
            session,
            page,
            item_code=item_code,
            lot_number=lot_number,
            result=result.value if result else None,
            status=status,
        )
    return render(ctx, InspectionPage(items=items, next_cursor=cursor))


@router.get(
    "/{inspection_id}",
    response_model=InspectionOut,
    operation_id="get_inspection",
    responses=problem_responses(401, 404, 422),
)
async def get_inspection(ctx: Reader, inspection_id: InspectionId) -> Response:
    """Read an inspection with its QC record and movements."""
    async with ctx.db.read() as session:
        return render(ctx, await usecases.get_inspection(session, inspection_id))


@router.post(
    "/{inspection_id}/reverse",
    response_model=InspectionOut,
    operation_id="reverse_inspection",
    responses=problem_responses(401, 403, 404, 409, 422, 502, 503),
)
async def reverse_inspection(
    ctx: Inspector, catalog: Catalog, inspection_id: InspectionId
) -> Response:
    """Reverse a posted inspection as a whole: its stock goes back to pending inspection."""
    async with ctx.db.read() as session:
        code = await usecases.inspection_item_code(session, inspection_id)
    item = await catalog.item_by_code(code)
    return await run_command(ctx, lambda uow: usecases.reverse_inspection(uow, inspection_id, item))


add_draft_routes(
    router,
    noun="inspection",
    operation="inspection",
    id_name="inspection_id",
    model=Inspection,
    create=InspectionCreate,
    out=InspectionOut,
    save=usecases.save_inspection,
    cancel=usecases.cancel_inspection,
    roles=(QC,),
    example_id=ex.INSPECTION_ID,
)
