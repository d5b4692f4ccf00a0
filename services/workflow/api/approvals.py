"""Approval routes: instances, the actions on them, and each person's inbox."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel

from services.workflow import approval_examples as ex
from services.workflow.api.params import ApprovalId, PendingApprovalId
from services.workflow.domain.routing import TaskStatus
from services.workflow.runtime import runner_of
from services.workflow.schemas import (
    CommentIn,
    DecisionIn,
    DelegateIn,
    DocumentType,
    InboxCounts,
    InboxPage,
    InstanceOut,
    InstancePage,
    InstanceStatus,
    ReasonIn,
    SignerIn,
    SyncState,
)
from services.workflow.usecases import approvals as usecases
from services.workflow.usecases.engine import username_of
from shared.auth.principal import WAREHOUSE
from shared.db.uow import UnitOfWork
from shared.http.commands import Command, render, run_command
from shared.http.context import Reader, RequestContext, request_context
from shared.http.examples import example_response
from shared.http.pagination import PageParams, page_params
from shared.http.problems import problem_responses

router = APIRouter(prefix="/v1/approvals", tags=["approvals"])
inbox = APIRouter(prefix="/v1/inbox", tags=["approvals"])
Paging = Annotated[PageParams, Depends(page_params)]
Warehouse = Annotated[RequestContext, Depends(request_context((WAREHOUSE,)))]
ACTION_ERRORS = problem_responses(401, 403, 404, 409, 422)


async def _act(
    ctx: RequestContext, command: Command[InstanceOut], body: BaseModel | None = None
) -> Response:
    response = await run_command(ctx, command, body=body)
    runner_of(ctx.request.app).wake()  # post or return the document now, not next poll
    return response


@router.get(
    "",
    response_model=InstancePage,
    operation_id="list_approvals",
    responses=problem_responses(401, 422),
)
async def list_approvals(
    ctx: Reader,
    page: Paging,
    status: InstanceStatus | None = None,
    document_type: DocumentType | None = None,
    document_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    requester: Annotated[str | None, Query(max_length=200)] = None,
    sync_state: SyncState | None = None,
) -> Response:
    """Approval instances by status, document, requester (`user:alice`) or owner sync
    (`sync_state=failed`: approved, but the owning service refused to post)."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_instances(
            session,
            page,
            status=status,
            document_type=document_type,
            document_id=document_id,
            requester=requester,
            sync_state=sync_state,
        )
    return render(ctx, InstancePage(items=items, next_cursor=cursor))


@router.get(
    "/{instance_id}",
    response_model=InstanceOut,
    operation_id="get_approval",
    responses=problem_responses(401, 404),
)
async def get_approval(ctx: Reader, instance_id: ApprovalId) -> Response:
    """One approval: the document as conditions saw it, its steps and tasks, and the full
    history of who did what when."""
    async with ctx.db.read() as session:
        return render(ctx, await usecases.get_instance(session, instance_id))


def _decision(
    ctx: RequestContext, instance_id: int, decision: TaskStatus, comment: str
) -> Command[InstanceOut]:
    async def command(uow: UnitOfWork) -> InstanceOut:
        return await usecases.decide(uow, instance_id, ctx.principal, decision, comment)

    return command


@router.post(
    "/{instance_id}/approve",
    response_model=InstanceOut,
    operation_id="approve_step",
    responses={**example_response(ex.APPROVED_BY_LEADER), **ACTION_ERRORS},
)
async def approve_step(
    ctx: Reader, instance_id: PendingApprovalId, body: DecisionIn | None = None
) -> Response:
    """Approve my pending step of this approval (accepts Idempotency-Key)."""
    comment = body.comment if body else ""
    return await _act(ctx, _decision(ctx, instance_id, TaskStatus.APPROVED, comment), body)


@router.post(
    "/{instance_id}/reject",
    response_model=InstanceOut,
    operation_id="reject_step",
    responses={**example_response(ex.REJECTED), **ACTION_ERRORS},
)
async def reject_step(ctx: Reader, instance_id: PendingApprovalId, body: ReasonIn) -> Response:
    """Reject with a reason: the approval ends and the document returns to draft."""
    return await _act(ctx, _decision(ctx, instance_id, TaskStatus.REJECTED, body.reason), body)


@router.post(
    "/{instance_id}/return",
    response_model=InstanceOut,
    operation_id="return_to_requester",
    responses={**example_response(ex.RETURNED), **ACTION_ERRORS},
)
async def return_to_requester(
    ctx: Reader, instance_id: PendingApprovalId, body: ReasonIn
) -> Response:
    """Return to the requester with a reason: the document goes back to draft to be
    corrected and submitted again."""
    return await _act(ctx, _decision(ctx, instance_id, TaskStatus.RETURNED, body.reason), body)


@router.post(
    "/{instance_id}/delegate",
    response_model=InstanceOut,
    operation_id="delegate_step",
    responses={**example_response(ex.DELEGATED), **ACTION_ERRORS},
)
async def delegate_step(ctx: Reader, instance_id: PendingApprovalId, body: DelegateIn) -> Response:
    """Hand my pending step to someone else (user name)."""
    return await _act(
        ctx,
        lambda uow: usecases.delegate(uow, instance_id, ctx.principal, body.to, body.comment),
        body,
    )


@router.post(
    "/{instance_id}/signers",
    response_model=InstanceOut,
    operation_id="add_signer",
    responses={**example_response(ex.SIGNER_ADDED), **ACTION_ERRORS},
)
async def add_signer(ctx: Reader, instance_id: PendingApprovalId, body: SignerIn) -> Response:
    """Add a signer to the open step (an approver of it, or an admin)."""
    return await _act(
        ctx,
        lambda uow: usecases.add_signer(uow, instance_id, ctx.principal, body.user, body.comment),
        body,
    )


@router.post(
    "/{instance_id}/withdraw",
    response_model=InstanceOut,
    operation_id="withdraw_approval",
    responses={**example_response(ex.WITHDRAWN), **ACTION_ERRORS},
)
async def withdraw_approval(
    ctx: Reader, instance_id: PendingApprovalId, body: ReasonIn
) -> Response:
    """The requester takes the request back; the document returns to draft."""
    return await _act(
        ctx, lambda uow: usecases.withdraw(uow, instance_id, ctx.principal, body.reason), body
    )


@router.post(
    "/{instance_id}/comments",
    response_model=InstanceOut,
    operation_id="comment_approval",
    responses={**example_response(ex.COMMENTED), **ACTION_ERRORS},
)
async def comment_approval(
    ctx: Reader, instance_id: PendingApprovalId, body: CommentIn
) -> Response:
    """Add a comment to the approval's history."""
    return await _act(
        ctx, lambda uow: usecases.comment(uow, instance_id, ctx.principal, body.text), body
    )


@router.post(
    "/{instance_id}/retry",
    response_model=InstanceOut,
    operation_id="retry_approval_posting",
    responses={**example_response(ex.RETRIED), **ACTION_ERRORS},
)
async def retry_approval_posting(ctx: Warehouse, instance_id: PendingApprovalId) -> Response:
    """Tell the owning service again after it refused (approved, posting failed: e.g. the
    stock moved meanwhile); same key, so it still posts only once (warehouse, admin)."""
    return await _act(ctx, lambda uow: usecases.retry_sync(uow, instance_id))


@inbox.get(
    "/tasks",
    response_model=InboxPage,
    operation_id="list_my_tasks",
    responses=problem_responses(401, 422),
)
async def list_my_tasks(
    ctx: Reader,
    page: Paging,
    overdue: Annotated[bool | None, Query(description="Only overdue (true) or not")] = None,
    document_type: DocumentType | None = None,
) -> Response:
    """My pending approval steps, oldest first."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.inbox(
            session,
            page,
            username_of(ctx.principal.subject),
            overdue=overdue,
            document_type=document_type,
        )
    return render(ctx, InboxPage(items=items, next_cursor=cursor))


@inbox.get(
    "/requests",
    response_model=InstancePage,
    operation_id="list_my_requests",
    responses=problem_responses(401, 422),
)
async def list_my_requests(
    ctx: Reader, page: Paging, status: InstanceStatus | None = None
) -> Response:
    """Approvals I requested."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_instances(
            session,
            page,
            status=status,
            document_type=None,
            document_id=None,
            requester=ctx.principal.subject,
            sync_state=None,
        )
    return render(ctx, InstancePage(items=items, next_cursor=cursor))


@inbox.get(
    "/counts",
    response_model=InboxCounts,
    operation_id="get_inbox_counts",
    responses=problem_responses(401),
)
async def get_inbox_counts(ctx: Reader) -> Response:
    """Counts for a badge: my pending and overdue steps, my requests in approval or failed."""
    async with ctx.db.read() as session:
        out = await usecases.counts(
            session, username_of(ctx.principal.subject), ctx.principal.subject
        )
    return render(ctx, out)
