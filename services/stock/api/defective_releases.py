"""Defective release (concession) routes.

Post (or save as a draft), list, read and reverse; the draft routes (`PUT /{id}`,
`POST /{id}/post`, `POST /{id}/cancel`) from `api/drafts.add_draft_routes`; and, as the
`defective_release` approval gate can hold a posting (202), workflow's decision at
`POST /{id}/approval-decision` (`api/document_approvals.py`). Open to the warehouse and
QC roles (a release is QC's decision, often booked by the warehouse). No `from __future__
import annotations`: the routes' annotations are resolved when the routes are made.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from services.stock import document_examples as ex
from services.stock.api.deps import Catalog
from services.stock.api.document_approvals import (
    add_approval_route,
    approve_draft,
    held_or,
    held_response,
)
from services.stock.api.drafts import add_draft_routes
from services.stock.db.models import DefectiveRelease
from services.stock.defective_release_schemas import (
    DefectiveReleaseCreate,
    DefectiveReleaseOut,
    DefectiveReleasePage,
    ReleaseReason,
)
from services.stock.schemas import DocumentStatus
from services.stock.usecases import defective_releases as usecases
from shared.auth.principal import QC, WAREHOUSE
from shared.db.uow import UnitOfWork
from shared.http.commands import render, run_command
from shared.http.context import Reader, RequestContext, request_context
from shared.http.pagination import PageParams, page_params
from shared.http.params import IdPath
from shared.http.problems import problem_responses

router = APIRouter(prefix="/v1/defective-releases", tags=["defective releases"])
#: A defective release's id: DR-00000001.
ReleaseId = Annotated[IdPath, Path(examples=[ex.DEFECTIVE_RELEASE_ID])]
ROLES = (WAREHOUSE, QC)
Releaser = Annotated[RequestContext, Depends(request_context(ROLES))]
Code = Annotated[str | None, Query(max_length=100)]


@router.post(
    "",
    status_code=201,
    response_model=DefectiveReleaseOut,
    operation_id="post_defective_release",
    responses={
        **problem_responses(401, 403, 409, 422, 502, 503),
        **held_response(DefectiveReleaseOut),
    },
)
async def post_defective_release(
    ctx: Releaser, catalog: Catalog, body: DefectiveReleaseCreate
) -> Response:
    """Release defective stock to qualified (a concession, rework or re-inspection), at the
    location or at `to_location_code`, or save it as a draft (`"draft": true`) to post later
    (accepts Idempotency-Key). Not enough defective stock is 409 `insufficient_stock`. Under
    a closed approval gate (`defective_release`) it is kept a draft that waits for
    approval: 202."""
    return await run_command(
        ctx,
        lambda uow: usecases.save_release(uow, catalog, body),
        body=body,
        status_code=held_or(201),
    )


@router.get(
    "",
    response_model=DefectiveReleasePage,
    operation_id="list_defective_releases",
    responses=problem_responses(401, 422),
)
async def list_defective_releases(
    ctx: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    item_code: Code = None,
    lot_number: Code = None,
    location_code: Annotated[
        str | None, Query(max_length=100, description="Where the defective stock was")
    ] = None,
    reason: ReleaseReason | None = None,
    status: DocumentStatus | None = None,
) -> Response:
    """Defective releases in posting order, by item, lot, location, reason or status."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_releases(
            session,
            page,
            item_code=item_code,
            lot_number=lot_number,
            location_code=location_code,
            reason=reason,
            status=status,
        )
    return render(ctx, DefectiveReleasePage(items=items, next_cursor=cursor))


@router.get(
    "/{release_id}",
    response_model=DefectiveReleaseOut,
    operation_id="get_defective_release",
    responses=problem_responses(401, 404, 422),
)
async def get_defective_release(ctx: Reader, release_id: ReleaseId) -> Response:
    """Read a defective release with its movements."""
    async with ctx.db.read() as session:
        return render(ctx, await usecases.get_release(session, release_id))


@router.post(
    "/{release_id}/reverse",
    response_model=DefectiveReleaseOut,
    operation_id="reverse_defective_release",
    responses=problem_responses(401, 403, 404, 409, 422, 502, 503),
)
async def reverse_defective_release(
    ctx: Releaser, catalog: Catalog, release_id: ReleaseId
) -> Response:
    """Reverse a posted release as a whole: its stock becomes defective again where it was
    (accepts Idempotency-Key)."""

    async def command(uow: UnitOfWork) -> DefectiveReleaseOut:
        async with ctx.db.read() as session:
            code = await usecases.release_item_code(session, release_id)
        item = await catalog.item_by_code(code)
        return await usecases.reverse_release(uow, release_id, item)

    return await run_command(ctx, command)


add_draft_routes(
    router,
    noun="defective release",
    operation="defective_release",
    id_name="release_id",
    model=DefectiveRelease,
    create=DefectiveReleaseCreate,
    out=DefectiveReleaseOut,
    save=usecases.save_release,
    cancel=usecases.cancel_release,
    roles=ROLES,
    gated=True,
    example_id=ex.DEFECTIVE_RELEASE_ID,
)
add_approval_route(
    router,
    gate=usecases.GATE,
    operation="defective_release",
    id_name="release_id",
    out=DefectiveReleaseOut,
    approve=approve_draft(usecases.GATE, DefectiveReleaseCreate, usecases.save_release),
    example_id=ex.DEFECTIVE_RELEASE_ID,
)
