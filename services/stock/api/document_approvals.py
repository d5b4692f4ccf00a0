"""Workflow's decision on a document that an approval gate holds, and the 202 of a posting
that the gate held instead (purchase receipts, scraps, supplier returns, stock counts).

`add_approval_route` adds `POST /{id}/approval-decision` to a document's router: `approved`
posts the document through its own posting code (`approve`; for a draft document
`approve_draft`: its stored draft through the document's `save`, dated by the decision's
`posted_at`, else the draft's own, else now), anything else returns it to draft (a stock
count: counting). No `from __future__ import annotations` here: the routes' annotations
are resolved when the routes are made.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response
from pydantic import BaseModel

from services.stock.api.deps import Catalog
from services.stock.clients import CatalogClient
from services.stock.schemas import ApprovalDecision, ApprovalState, Decision
from services.stock.usecases import document_approvals as usecases
from services.stock.usecases import drafts
from shared.auth.principal import SERVICE
from shared.db.uow import UnitOfWork
from shared.http.commands import run_command
from shared.http.context import RequestContext, request_context
from shared.http.problems import problem_responses

#: Only workflow (or an admin) decides a document that waits for approval.
Workflow = Annotated[RequestContext, Depends(request_context((SERVICE,)))]


class SaveApproved(Protocol):
    """A document's save use-case, as workflow's approval posts its draft."""

    def __call__(
        self,
        uow: UnitOfWork,
        catalog: CatalogClient,
        data: Any,
        draft_id: int | None = None,
        expected: dict[str, Any] | None = None,
        *,
        approved_by: str | None = None,
    ) -> Awaitable[BaseModel]: ...


class Approve(Protocol):
    """Workflow's approval of a document that waits: post it, all or nothing."""

    def __call__(
        self,
        ctx: RequestContext,
        uow: UnitOfWork,
        catalog: CatalogClient,
        document_id: int,
        decision: ApprovalDecision,
    ) -> Awaitable[BaseModel]: ...


def approve_draft(gate: usecases.Gate[Any], create: type[BaseModel], save: SaveApproved) -> Approve:
    """The approval of a draft document: its stored request posted through `save`."""

    async def approve(
        ctx: RequestContext,
        uow: UnitOfWork,
        catalog: CatalogClient,
        document_id: int,
        decision: ApprovalDecision,
    ) -> BaseModel:
        async with ctx.db.read() as session:
            stored = await drafts.stored_request(session, gate.model, document_id, gate.noun)
        request = drafts.as_request(create, stored, decision.posted_at)
        return await save(
            uow, catalog, request, document_id, stored, approved_by=decision.reference
        )

    return approve


def held_or(status_code: int) -> Callable[[Any], int]:
    """The status of a posting: 202 when an approval gate held the document instead."""

    def status(result: Any) -> int:
        held = getattr(result, "approval", None) == ApprovalState.PENDING
        return 202 if held else status_code

    return status


def held_response(
    out: type[BaseModel], kept: str = "kept a draft"
) -> dict[int | str, dict[str, Any]]:
    """`responses=` entry documenting the 202 of a posting an approval gate held (`kept`:
    what becomes of the document meanwhile)."""
    return {
        202: {
            "model": out,
            "description": f"Held for approval (the document type's gate is closed): {kept}, "
            '`approval: "pending"`, nothing moved; workflow\'s decision posts it',
        }
    }


def add_approval_route(
    router: APIRouter,
    *,
    gate: usecases.Gate[Any],
    operation: str,
    id_name: str,
    out: type[BaseModel],
    approve: Approve,
    example_id: int,
    returned: str = "leaves it a draft that no longer waits",
) -> None:
    """Add `POST /{id_name}/approval-decision` (operation `decide_<operation>_approval`);
    `returned` says what a decision other than approval does (for the documentation);
    `example_id`: a document of the demo, the OpenAPI example of the path parameter."""
    DocumentId = Annotated[
        int,
        Path(alias=id_name, ge=1, le=2**62, description="Numeric id", examples=[example_id]),
    ]

    async def decide(
        ctx: Workflow, catalog: Catalog, document_id: DocumentId, body: ApprovalDecision
    ) -> Response:
        async def command(uow: UnitOfWork) -> BaseModel:
            async with ctx.db.read() as session:
                settled: BaseModel | None = await usecases.decided(session, gate, document_id, body)
            if settled is not None:
                return settled
            if body.decision is not Decision.APPROVED:
                back: BaseModel = await usecases.return_to_draft(uow, gate, document_id, body)
                return back
            return await approve(ctx, uow, catalog, document_id, body)

        return await run_command(ctx, command, body=body)

    decide.__doc__ = (
        f"Workflow's decision on a {gate.noun} that waits for approval: `approved` posts it as "
        f"`POST .../post` would, all or nothing (refused, it stays pending); rejected, "
        f"withdrawn or returned {returned}. The same decision "
        "again answers the document as it is (workflow, admin; accepts Idempotency-Key)."
    )
    router.add_api_route(
        "/{" + id_name + "}/approval-decision",
        decide,
        methods=["POST"],
        name=f"decide_{operation}_approval",
        response_model=out,
        operation_id=f"decide_{operation}_approval",
        responses=problem_responses(401, 403, 404, 409, 422, 502, 503),
    )
