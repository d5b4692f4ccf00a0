"""What people do with an approval: approve, reject, return, delegate, add a signer,
withdraw, comment, retry a failed posting; and what they read: instances, the inbox.

Each action locks the instance row first (one lock order: instance, then its steps and
tasks), checks that the caller may act (an approver acts on their own pending task; the
requester withdraws; an admin may add signers and retry), records the history and
carries the step's outcome through the flow (`engine.settle_step`). Telling the owning
service happens after commit (`runner`), keyed by the instance, so it posts exactly once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.workflow.db.models import Flow, HistoryEntry, Instance, Step, Task
from services.workflow.domain.routing import StepStatus, TaskStatus
from services.workflow.schemas import (
    DocumentType,
    HistoryOut,
    InboxCounts,
    InboxTask,
    InstanceOut,
    InstanceStatus,
    InstanceSummary,
    StepMode,
    StepOut,
    SyncState,
    TaskOut,
)
from services.workflow.usecases.engine import finish, history, settle_step, username_of
from shared.auth.principal import Principal
from shared.db.paging import page_by_id, where_equal
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, Forbidden, NotFound
from shared.http.pagination import PageParams, cursor_int, next_cursor


class InstanceStatusConflict(Conflict):
    code = "approval_status_conflict"
    title = "The approval is not in a state that allows this"


# --- reading --------------------------------------------------------------------------


def _summary_fields(row: Instance, flow_version: int | None, stage: str | None) -> dict[str, Any]:
    return {
        "id": row.id,
        "document_type": DocumentType(row.document_type),
        "document_id": row.document_id,
        "document_number": row.document_number,
        "flow_id": row.flow_id,
        "flow_version": flow_version,
        "status": InstanceStatus(row.status),
        "requester": row.requester,
        "amount": row.amount,
        "submitted_at": row.submitted_at,
        "finished_at": row.finished_at,
        "reason": row.reason,
        "problem": row.problem,
        "sync_state": SyncState(row.sync_state),
        "sync_problem": row.sync_problem,
        "current_stage": stage,
    }


async def _stage_names(session: AsyncSession, rows: list[Instance]) -> dict[int, tuple[int, str]]:
    flow_ids = {r.flow_id for r in rows if r.flow_id is not None}
    flows = (
        {f.id: f for f in await session.scalars(select(Flow).where(Flow.id.in_(flow_ids)))}
        if flow_ids
        else {}
    )
    out: dict[int, tuple[int, str]] = {}
    for row in rows:
        flow = flows.get(row.flow_id) if row.flow_id is not None else None
        if flow is None:
            continue
        stages = flow.definition["stages"]
        stage = (
            stages[row.stage_index]["key"]
            if row.status == InstanceStatus.PENDING.value and 0 <= row.stage_index < len(stages)
            else ""
        )
        out[row.id] = (flow.version, stage)
    return out


async def summaries(session: AsyncSession, rows: list[Instance]) -> list[InstanceSummary]:
    names = await _stage_names(session, rows)
    return [
        InstanceSummary(
            **_summary_fields(
                r, names.get(r.id, (None, ""))[0], names.get(r.id, (None, ""))[1] or None
            )
        )
        for r in rows
    ]


async def instance_out(session: AsyncSession, row: Instance) -> InstanceOut:
    summary = (await summaries(session, [row]))[0]
    steps = list(
        await session.scalars(select(Step).where(Step.instance_id == row.id).order_by(Step.id))
    )
    tasks: dict[int, list[TaskOut]] = {s.id: [] for s in steps}
    for task in await session.scalars(
        select(Task).where(Task.instance_id == row.id).order_by(Task.id)
    ):
        tasks.setdefault(task.step_id, []).append(
            TaskOut.model_validate(task, from_attributes=True)
        )
    entries = await session.scalars(
        select(HistoryEntry).where(HistoryEntry.instance_id == row.id).order_by(HistoryEntry.id)
    )
    return InstanceOut(
        **summary.model_dump(),
        context=row.context,
        steps=[
            StepOut(
                id=s.id,
                stage_index=s.stage_index,
                key=s.key,
                name=s.name,
                mode=StepMode(s.mode),
                status=s.status,
                started_at=s.started_at,
                due_at=s.due_at,
                finished_at=s.finished_at,
                note=s.note,
                tasks=tasks[s.id],
            )
            for s in steps
        ],
        history=[HistoryOut.model_validate(h, from_attributes=True) for h in entries],
    )


async def get_instance(session: AsyncSession, instance_id: int) -> InstanceOut:
    row = await session.get(Instance, instance_id)
    if row is None:
        raise NotFound(f"approval {instance_id} does not exist")
    return await instance_out(session, row)


async def list_instances(
    session: AsyncSession,
    page: PageParams,
    *,
    status: InstanceStatus | None,
    document_type: DocumentType | None,
    document_id: int | None,
    requester: str | None,
    sync_state: SyncState | None,
) -> tuple[list[InstanceSummary], str | None]:
    query = where_equal(
        select(Instance),
        {
            Instance.status: status.value if status else None,
            Instance.document_type: document_type.value if document_type else None,
            Instance.document_id: document_id,
            Instance.requester: requester,
            Instance.sync_state: sync_state.value if sync_state else None,
        },
    )
    rows, cursor = await page_by_id(session, query, Instance.id, page)
    return await summaries(session, rows), cursor


async def inbox(
    session: AsyncSession,
    page: PageParams,
    username: str,
    *,
    overdue: bool | None,
    document_type: DocumentType | None,
) -> tuple[list[InboxTask], str | None]:
    """My pending tasks, oldest first (cursor pages by task id)."""
    now = utcnow()
    query = (
        select(
            Task.id,
            Task.created_at,
            Task.due_at,
            Step.key,
            Step.name,
            Instance.id,
            Instance.document_type,
            Instance.document_number,
            Instance.requester,
            Instance.amount,
        )
        .join(Step, Step.id == Task.step_id)
        .join(Instance, Instance.id == Task.instance_id)
        .where(Task.assignee == username, Task.status == TaskStatus.PENDING.value)
        .order_by(Task.id)
        .limit(page.limit + 1)
    )
    if page.cursor:
        query = query.where(Task.id > cursor_int(page.cursor))
    if overdue is True:
        query = query.where(Task.due_at.is_not(None), Task.due_at < now)
    elif overdue is False:
        query = query.where((Task.due_at.is_(None)) | (Task.due_at >= now))
    if document_type is not None:
        query = query.where(Instance.document_type == document_type.value)
    items = [
        InboxTask(
            task_id=task_id,
            instance_id=instance_id,
            document_type=DocumentType(kind),
            document_number=number,
            requester=requester,
            amount=amount,
            step_key=key,
            step_name=name,
            created_at=created_at,
            due_at=due_at,
            overdue=due_at is not None and due_at < now,
        )
        for (
            task_id,
            created_at,
            due_at,
            key,
            name,
            instance_id,
            kind,
            number,
            requester,
            amount,
        ) in await session.execute(query)
    ]
    page_items, cursor = next_cursor(items, page.limit, key=lambda t: [t.task_id])
    return page_items, cursor


async def counts(session: AsyncSession, username: str, subject: str) -> InboxCounts:
    now = utcnow()
    mine = (Task.assignee == username) & (Task.status == TaskStatus.PENDING.value)
    pending = await session.scalar(select(func.count()).select_from(Task).where(mine))
    overdue = await session.scalar(
        select(func.count())
        .select_from(Task)
        .where(mine, Task.due_at.is_not(None), Task.due_at < now)
    )
    requests = await session.scalar(
        select(func.count())
        .select_from(Instance)
        .where(
            Instance.requester == subject,
            Instance.status.in_([InstanceStatus.PENDING.value, InstanceStatus.STARTING.value]),
        )
    )
    failed = await session.scalar(
        select(func.count())
        .select_from(Instance)
        .where(
            Instance.requester == subject,
            Instance.status == InstanceStatus.APPROVED.value,
            Instance.sync_state == SyncState.FAILED.value,
        )
    )
    return InboxCounts(
        pending=pending or 0,
        overdue=overdue or 0,
        my_requests_pending=requests or 0,
        my_requests_failed=failed or 0,
    )


# --- acting ---------------------------------------------------------------------------


async def _locked(uow: UnitOfWork, instance_id: int) -> Instance:
    row = await uow.session.get(Instance, instance_id, with_for_update=True, populate_existing=True)
    if row is None:
        raise NotFound(f"approval {instance_id} does not exist")
    return row


def _pending(row: Instance, doing: str) -> None:
    if row.status != InstanceStatus.PENDING.value:
        raise InstanceStatusConflict(f"approval {row.id} is {row.status}; it cannot be {doing}")


async def _pending_task(session: AsyncSession, row: Instance, username: str) -> Task | None:
    """`username`'s first pending task of the instance, locked."""
    return (
        await session.scalars(
            select(Task)
            .where(
                Task.instance_id == row.id,
                Task.assignee == username,
                Task.status == TaskStatus.PENDING.value,
            )
            .order_by(Task.id)
            .limit(1)
            .with_for_update()
        )
    ).first()


async def _my_task(session: AsyncSession, row: Instance, username: str, doing: str) -> Task:
    task = await _pending_task(session, row, username)
    if task is None:
        raise Forbidden(f"approval {row.id} has no step waiting for {username} to be {doing}")
    return task


async def _finish_action(uow: UnitOfWork, row: Instance) -> InstanceOut:
    await uow.session.flush()
    out = await instance_out(uow.session, row)
    await uow.audit("act", "approval", str(row.id), after={"status": out.status.value})
    await uow.commit()
    return out


async def _apply(
    session: AsyncSession,
    row: Instance,
    task: Task,
    decision: TaskStatus,
    comment: str,
    actor: str,
    now: datetime,
    **detail: Any,
) -> None:
    """Record one approver's decision and carry its step's outcome through the flow."""
    task.status = decision.value
    task.decided_at = now
    task.comment = comment[:500]
    step = await session.get(Step, task.step_id)
    assert step is not None
    history(session, row, now, actor, decision.value, step_key=step.key, comment=comment, **detail)
    await session.flush()
    await settle_step(session, row, step, now, actor)


async def decide(
    uow: UnitOfWork, instance_id: int, principal: Principal, decision: TaskStatus, comment: str
) -> InstanceOut:
    """Approve, reject or return on my pending task of the instance."""
    async with uow:
        session = uow.session
        row = await _locked(uow, instance_id)
        _pending(row, decision.value)
        task = await _my_task(session, row, username_of(principal.subject), decision.value)
        await _apply(session, row, task, decision, comment, principal.subject, utcnow())
        return await _finish_action(uow, row)


async def decide_as(
    session: AsyncSession,
    row: Instance,
    username: str,
    decision: TaskStatus,
    comment: str,
    now: datetime,
    *,
    via: str,
) -> bool:
    """A decision taken elsewhere (a mobile approval app) for `username`, under the
    instance's lock; False when they have no pending task left (already decided)."""
    if row.status != InstanceStatus.PENDING.value:
        return False
    task = await _pending_task(session, row, username)
    if task is None:
        return False
    await _apply(session, row, task, decision, comment, f"user:{username}", now, via=via)
    return True


async def delegate(
    uow: UnitOfWork, instance_id: int, principal: Principal, to: str, comment: str
) -> InstanceOut:
    """Hand my pending task to another person (their task replaces mine)."""
    async with uow:
        session = uow.session
        row = await _locked(uow, instance_id)
        _pending(row, "delegated")
        username = username_of(principal.subject)
        if to == username:
            raise Conflict("a task cannot be delegated to its own assignee")
        task = await _my_task(session, row, username, "delegated")
        now = utcnow()
        task.status = TaskStatus.DELEGATED.value
        task.decided_at = now
        task.comment = comment[:500]
        session.add(
            Task(
                instance_id=row.id,
                step_id=task.step_id,
                assignee=to,
                status=TaskStatus.PENDING.value,
                origin="delegated",
                created_at=now,
                due_at=task.due_at,
            )
        )
        step = await session.get(Step, task.step_id)
        assert step is not None
        history(
            session,
            row,
            now,
            principal.subject,
            "delegated",
            step_key=step.key,
            comment=comment,
            to=to,
        )
        return await _finish_action(uow, row)


async def add_signer(
    uow: UnitOfWork, instance_id: int, principal: Principal, user: str, comment: str
) -> InstanceOut:
    """Add a signer to the current step (an approver of it, or an admin): under `all`
    they must approve too, under `any` they may decide it."""
    async with uow:
        session = uow.session
        row = await _locked(uow, instance_id)
        _pending(row, "given another signer")
        username = username_of(principal.subject)
        steps = list(
            await session.scalars(
                select(Step)
                .where(Step.instance_id == row.id, Step.status == StepStatus.PENDING.value)
                .order_by(Step.id)
            )
        )
        if not steps:
            raise InstanceStatusConflict(f"approval {row.id} has no open step")
        mine = (
            await session.scalars(
                select(Task).where(
                    Task.instance_id == row.id,
                    Task.assignee == username,
                    Task.status == TaskStatus.PENDING.value,
                )
            )
        ).first()
        if mine is None and not principal.has_any(()):
            raise Forbidden("only an approver of the open step, or an admin, adds signers")
        step = next((s for s in steps if mine is not None and s.id == mine.step_id), steps[0])
        already = await session.scalar(
            select(Task.id).where(
                Task.step_id == step.id,
                Task.assignee == user,
                Task.status == TaskStatus.PENDING.value,
            )
        )
        if already is not None:
            raise Conflict(f"{user} already has this step to approve")
        now = utcnow()
        session.add(
            Task(
                instance_id=row.id,
                step_id=step.id,
                assignee=user,
                status=TaskStatus.PENDING.value,
                origin="added",
                created_at=now,
                due_at=step.due_at,
            )
        )
        if row.problem.startswith(f"step {step.key}:"):
            row.problem = ""
        history(
            session,
            row,
            now,
            principal.subject,
            "signer_added",
            step_key=step.key,
            comment=comment,
            user=user,
        )
        return await _finish_action(uow, row)


async def withdraw(
    uow: UnitOfWork, instance_id: int, principal: Principal, reason: str
) -> InstanceOut:
    """The requester (or an admin) takes the request back: the document returns to draft."""
    async with uow:
        row = await _locked(uow, instance_id)
        if row.status not in (InstanceStatus.PENDING.value, InstanceStatus.STARTING.value):
            raise InstanceStatusConflict(
                f"approval {row.id} is {row.status}; only a running one can be withdrawn"
            )
        if principal.subject != row.requester and not principal.has_any(()):
            raise Forbidden("only the requester, or an admin, withdraws a request")
        await finish(
            uow.session, row, InstanceStatus.WITHDRAWN, utcnow(), principal.subject, reason
        )
        return await _finish_action(uow, row)


async def comment(
    uow: UnitOfWork, instance_id: int, principal: Principal, text: str
) -> InstanceOut:
    async with uow:
        row = await _locked(uow, instance_id)
        history(uow.session, row, utcnow(), principal.subject, "commented", comment=text)
        return await _finish_action(uow, row)


async def retry_sync(uow: UnitOfWork, instance_id: int) -> InstanceOut:
    """Try telling the owning service again after it refused (e.g. stock was short)."""
    async with uow:
        row = await _locked(uow, instance_id)
        if row.sync_state != SyncState.FAILED.value:
            raise InstanceStatusConflict(
                f"approval {row.id} has nothing to retry (its owner sync is {row.sync_state})"
            )
        now = utcnow()
        row.sync_state = SyncState.PENDING.value
        row.next_attempt_at = now
        history(uow.session, row, now, uow.actor, "retry_requested")
        return await _finish_action(uow, row)
