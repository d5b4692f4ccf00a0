"""BOM version and routing routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from services.catalog.api.common import Editor, IfMatch, etag_header, expected_version
from services.catalog.domain.bom import BomStatus
from services.catalog.schemas import (
    ApprovalDecision,
    ApprovalState,
    BomCreate,
    BomOut,
    BomPage,
    BomRelease,
    BomRevise,
    BomUpdate,
    Decision,
    RoutingCreate,
    RoutingIn,
    RoutingOut,
    RoutingPage,
)
from services.catalog.usecases import bom_approvals
from services.catalog.usecases import boms as usecases
from services.catalog.usecases import routings as routing_usecases
from shared.auth.principal import SERVICE
from shared.db.uow import UnitOfWork
from shared.http.commands import render, run_command
from shared.http.context import Reader, RequestContext, request_context
from shared.http.pagination import PageParams, page_params
from shared.http.params import IdPath
from shared.http.problems import problem_responses

router = APIRouter(prefix="/v1/boms", tags=["boms"])
routings_router = APIRouter(prefix="/v1/routings", tags=["routings"])
Paging = Annotated[PageParams, Depends(page_params)]
#: Only workflow (or an admin) decides a BOM release that waits for approval.
Workflow = Annotated[RequestContext, Depends(request_context((SERVICE,)))]
ItemCodeQuery = Annotated[str | None, Query(max_length=64, description="Item code")]
#: Ids of the demo (`make demo`) for "Try it out": PCBA-MAIN revisions A/B/C are BOM
#: versions 2/3/4 (A has ended: it may be made obsolete; C is the one to revise); the
#: demo has no draft, the first one created (the `POST /v1/boms` example) is 8; the first
#: routing created is 1.
BomId = Annotated[IdPath, Path(examples=[3])]
DraftBomId = Annotated[IdPath, Path(examples=[8])]
LatestBomId = Annotated[IdPath, Path(examples=[4])]
EndedBomId = Annotated[IdPath, Path(examples=[2])]
RoutingId = Annotated[IdPath, Path(examples=[1])]


@router.post(
    "",
    status_code=201,
    response_model=BomOut,
    operation_id="create_bom",
    responses=problem_responses(401, 403, 409, 422),
)
async def create_bom(ctx: Editor, body: BomCreate) -> Response:
    """Create a draft BOM version of a made item (accepts Idempotency-Key)."""
    return await run_command(
        ctx,
        lambda uow: usecases.create_bom(uow, body),
        body=body,
        status_code=201,
        headers=etag_header,
    )


@router.get(
    "", response_model=BomPage, operation_id="list_boms", responses=problem_responses(401, 422)
)
async def list_boms(
    ctx: Reader, page: Paging, item_code: ItemCodeQuery = None, status: BomStatus | None = None
) -> Response:
    """List BOM versions (without lines), filtered by item and status."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_boms(
            session, page, item_code=item_code, status=status.value if status else None
        )
    return render(ctx, BomPage(items=items, next_cursor=cursor))


@router.get(
    "/{bom_id}",
    response_model=BomOut,
    operation_id="get_bom",
    responses=problem_responses(401, 404, 422),
)
async def get_bom(ctx: Reader, bom_id: BomId) -> Response:
    """Read a BOM version with its lines."""
    async with ctx.db.read() as session:
        bom = await usecases.get_bom(session, bom_id)
    return render(ctx, bom, headers=etag_header(bom))


@router.put(
    "/{bom_id}",
    response_model=BomOut,
    operation_id="update_bom",
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def update_bom(
    ctx: Editor, bom_id: DraftBomId, body: BomUpdate, if_match: IfMatch = None
) -> Response:
    """Replace a draft's header and lines (released versions are immutable: 409)."""
    expected = expected_version(if_match, "BOM version")
    return await run_command(
        ctx,
        lambda uow: usecases.update_bom(uow, bom_id, body, expected),
        body=body,
        headers=etag_header,
    )


@router.delete(
    "/{bom_id}",
    status_code=204,
    operation_id="delete_bom",
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def delete_bom(ctx: Editor, bom_id: DraftBomId, if_match: IfMatch = None) -> Response:
    """Delete a draft BOM version."""
    expected = expected_version(if_match, "BOM version")
    return await run_command(
        ctx, lambda uow: usecases.delete_bom(uow, bom_id, expected), status_code=204
    )


def _held_or_200(out: BomOut) -> int:
    """202 when the approval gate held the release instead."""
    return 202 if out.approval == ApprovalState.PENDING else 200


@router.post(
    "/{bom_id}/release",
    response_model=BomOut,
    operation_id="release_bom",
    responses={
        202: {
            "model": BomOut,
            "description": "Held for approval (the bom_release approval gate is closed): "
            'kept a draft, `approval: "pending"`, the release body held; workflow\'s '
            "decision releases it",
        },
        **problem_responses(401, 403, 404, 409, 412, 422, 428),
    },
)
async def release_bom(
    ctx: Editor, bom_id: DraftBomId, body: BomRelease, if_match: IfMatch = None
) -> Response:
    """Release a draft after checking cycles, components, designators and effectivity.
    Under the closed BOM release approval gate, a release that passes every check is held
    for workflow's decision instead (202, `approval: pending`); a pending draft is 409
    `approval_pending`."""
    expected = expected_version(if_match, "BOM version")
    actor = ctx.principal.subject
    return await run_command(
        ctx,
        lambda uow: usecases.release_bom(uow, bom_id, body, expected, actor),
        body=body,
        status_code=_held_or_200,
        headers=etag_header,
    )


@router.post(
    "/{bom_id}/approval-decision",
    response_model=BomOut,
    operation_id="decide_bom_release_approval",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def decide_bom_release_approval(
    ctx: Workflow, bom_id: DraftBomId, body: ApprovalDecision
) -> Response:
    """Workflow's decision on a BOM version whose release waits for approval: `approved`
    releases it with the held release body as `POST .../release` would, all or nothing
    (refused, it stays pending); rejected, withdrawn or returned leaves it a draft that no
    longer waits. The same decision again answers the version as it is (workflow, admin;
    accepts Idempotency-Key)."""

    async def command(uow: UnitOfWork) -> BomOut:
        async with ctx.db.read() as session:
            settled = await bom_approvals.decided(session, bom_id, body)
        if settled is not None:
            return settled
        if body.decision is not Decision.APPROVED:
            return await bom_approvals.return_to_draft(uow, bom_id, body)
        return await bom_approvals.approve(uow, bom_id, body)

    return await run_command(ctx, command, body=body, headers=etag_header)


@router.post(
    "/{bom_id}/revise",
    status_code=201,
    response_model=BomOut,
    operation_id="revise_bom",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def revise_bom(ctx: Editor, bom_id: LatestBomId, body: BomRevise) -> Response:
    """Copy a version into a new draft with a new revision code (accepts Idempotency-Key)."""
    return await run_command(
        ctx,
        lambda uow: usecases.revise_bom(uow, bom_id, body),
        body=body,
        status_code=201,
        headers=etag_header,
    )


@router.post(
    "/{bom_id}/obsolete",
    response_model=BomOut,
    operation_id="obsolete_bom",
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def obsolete_bom(ctx: Editor, bom_id: EndedBomId, if_match: IfMatch = None) -> Response:
    """Make a released version obsolete; explosions and planning stop using it."""
    expected = expected_version(if_match, "BOM version")
    return await run_command(
        ctx, lambda uow: usecases.obsolete_bom(uow, bom_id, expected), headers=etag_header
    )


@routings_router.post(
    "",
    status_code=201,
    response_model=RoutingOut,
    operation_id="create_routing",
    responses=problem_responses(401, 403, 409, 422),
)
async def create_routing(ctx: Editor, body: RoutingCreate) -> Response:
    """Give a made item its routing: ordered operations (accepts Idempotency-Key)."""
    return await run_command(
        ctx,
        lambda uow: routing_usecases.create_routing(uow, body),
        body=body,
        status_code=201,
        headers=etag_header,
    )


@routings_router.get(
    "",
    response_model=RoutingPage,
    operation_id="list_routings",
    responses=problem_responses(401, 422),
)
async def list_routings(ctx: Reader, page: Paging, item_code: ItemCodeQuery = None) -> Response:
    """List routings, optionally of one item."""
    async with ctx.db.read() as session:
        items, cursor = await routing_usecases.list_routings(session, page, item_code=item_code)
    return render(ctx, RoutingPage(items=items, next_cursor=cursor))


@routings_router.get(
    "/{routing_id}",
    response_model=RoutingOut,
    operation_id="get_routing",
    responses=problem_responses(401, 404, 422),
)
async def get_routing(ctx: Reader, routing_id: RoutingId) -> Response:
    """Read a routing with its operations in sequence."""
    async with ctx.db.read() as session:
        routing = await routing_usecases.get_routing(session, routing_id)
    return render(ctx, routing, headers=etag_header(routing))


@routings_router.put(
    "/{routing_id}",
    response_model=RoutingOut,
    operation_id="replace_routing",
    responses=problem_responses(401, 403, 404, 412, 422, 428),
)
async def replace_routing(
    ctx: Editor, routing_id: RoutingId, body: RoutingIn, if_match: IfMatch = None
) -> Response:
    """Replace a routing's operations (those BOM lines use must stay)."""
    expected = expected_version(if_match, "routing")
    return await run_command(
        ctx,
        lambda uow: routing_usecases.replace_routing(uow, routing_id, body, expected),
        body=body,
        headers=etag_header,
    )
