"""What the order use-cases share: the status conflict, free order numbers, and who
changed a row when."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.mrp.db.models import PurchaseOrder, SalesOrder, WorkOrder
from shared.db.types import utcnow
from shared.errors import AlreadyExists, Conflict, FieldError

OrderT = TypeVar("OrderT", SalesOrder, PurchaseOrder, WorkOrder)


class OrderStatusConflict(Conflict):
    code = "order_status_conflict"
    title = "The order's status does not allow this"


async def number_free(session: AsyncSession, model: type[OrderT], number: str | None) -> None:
    if number is None:
        return
    taken = await session.scalar(select(model.id).where(model.number == number))
    if taken is not None:
        raise AlreadyExists(
            f"order {number!r} already exists",
            errors=[FieldError("body.number", f"{number!r} is taken", "already_exists")],
        )


def stamp_new(row: Any, actor: str) -> None:
    """Created and last changed now, by `actor`."""
    now = utcnow()
    row.created_at = row.updated_at = now
    row.created_by = row.updated_by = actor


def touch(row: Any, actor: str) -> None:
    """Changed now by `actor`: one version more (the ETag moves)."""
    row.updated_at = utcnow()
    row.updated_by = actor
    row.version += 1
