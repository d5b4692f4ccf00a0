"""To-dos: work for a person or a role, opened by rules or people.

A purchase to-do closes itself when mrp reports a purchase order for its item
(`PurchaseOrderCreated` in mrp's feed): the buyer has acted on it.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.workflow.db.models import RoleHolder, Todo
from services.workflow.schemas import TodoIn, TodoOut, TodoStatus
from services.workflow.usecases.engine import username_of
from shared.auth.principal import Principal
from shared.db.paging import page_by_id, where_equal
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, Forbidden, NotFound
from shared.events.schemas import FeedEvent
from shared.http.pagination import PageParams

PURCHASE = "purchase"


def todo_out(row: Todo) -> TodoOut:
    return TodoOut.model_validate(row, from_attributes=True)


async def create_todo(uow: UnitOfWork, body: TodoIn) -> TodoOut:
    async with uow:
        row = Todo(
            **body.model_dump(exclude={"assignee", "assignee_role"}),
            assignee=body.assignee or "",
            assignee_role=body.assignee_role or "",
            status=TodoStatus.OPEN.value,
            detail={},
            source="",
            created_at=utcnow(),
            created_by=uow.actor,
            closed_by="",
        )
        uow.session.add(row)
        await uow.session.flush()
        out = todo_out(row)
        await uow.audit("create", "todo", str(out.id), after=out.model_dump(mode="json"))
        await uow.commit()
        return out


async def list_todos(
    session: AsyncSession,
    page: PageParams,
    *,
    status: TodoStatus | None,
    todo_type: str | None,
    item_code: str | None,
    assignee: str | None,
    assignee_role: str | None,
    mine: Principal | None,
) -> tuple[list[TodoOut], str | None]:
    query = where_equal(
        select(Todo),
        {
            Todo.status: status.value if status else None,
            Todo.todo_type: todo_type,
            Todo.item_code: item_code,
            Todo.assignee: assignee,
            Todo.assignee_role: assignee_role,
        },
    )
    if mine is not None:
        username = username_of(mine.subject)
        roles = select(RoleHolder.role).where(RoleHolder.username == username)
        query = query.where((Todo.assignee == username) | Todo.assignee_role.in_(roles))
    rows, cursor = await page_by_id(session, query, Todo.id, page)
    return [todo_out(r) for r in rows], cursor


async def close_todo(
    uow: UnitOfWork, todo_id: int, principal: Principal, status: TodoStatus, note: str
) -> TodoOut:
    """Mark a to-do done or cancelled (its assignee, a holder of its role, or an admin)."""
    async with uow:
        session = uow.session
        row = await session.get(Todo, todo_id, with_for_update=True)
        if row is None:
            raise NotFound(f"to-do {todo_id} does not exist")
        if row.status != TodoStatus.OPEN.value:
            raise Conflict(f"to-do {todo_id} is already {row.status}")
        username = username_of(principal.subject)
        holds = row.assignee_role and await session.scalar(
            select(RoleHolder.id).where(
                RoleHolder.username == username, RoleHolder.role == row.assignee_role
            )
        )
        if row.assignee != username and not holds and not principal.has_any(()):
            raise Forbidden(f"to-do {todo_id} is not yours to close")
        row.status = status.value
        row.closed_at = utcnow()
        row.closed_by = principal.subject
        row.note = note[:500] or row.note
        await session.flush()
        out = todo_out(row)
        await uow.audit(status.value, "todo", str(todo_id), after=out.model_dump(mode="json"))
        await uow.commit()
        return out


async def apply_mrp_event(uow: UnitOfWork, event: FeedEvent) -> None:
    """A purchase order for an item closes that item's open purchase to-dos."""
    if event.type != "PurchaseOrderCreated":
        return
    codes = sorted({str(line["item_code"]) for line in event.payload.get("lines") or []})
    if not codes:
        return
    await uow.session.execute(
        update(Todo)
        .where(
            Todo.status == TodoStatus.OPEN.value,
            Todo.todo_type == PURCHASE,
            Todo.item_code.in_(codes),
        )
        .values(
            status=TodoStatus.DONE.value,
            closed_at=event.occurred_at,
            closed_by=f"mrp:{event.payload.get('number', '')}",
            note=f"purchase order {event.payload.get('number', '')} created",
        )
    )
