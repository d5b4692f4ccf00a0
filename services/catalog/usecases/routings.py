"""Routing use-cases: the ordered operations that make an item."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.db.models import BomLine, BomVersion, Item, Routing, RoutingOperation
from services.catalog.domain.bom import BomStatus
from services.catalog.domain.items import Procurement
from services.catalog.schemas import OperationOut, RoutingCreate, RoutingIn, RoutingOut
from services.catalog.usecases.lookups import locked_row
from shared.db.paging import page_by_id
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import AlreadyExists, FieldError, InvalidInput, NotFound
from shared.http.pagination import PageParams


async def _out(session: AsyncSession, routing: Routing, item_code: str | None = None) -> RoutingOut:
    if item_code is None:
        item_code = await session.scalar(select(Item.code).where(Item.id == routing.item_id))
    operations = await session.scalars(
        select(RoutingOperation)
        .where(RoutingOperation.routing_id == routing.id)
        .order_by(RoutingOperation.sequence)
    )
    return RoutingOut(
        id=routing.id,
        item_id=routing.item_id,
        item_code=item_code or "",
        description=routing.description,
        operations=[OperationOut.model_validate(o, from_attributes=True) for o in operations],
        version=routing.version,
        created_at=routing.created_at,
        updated_at=routing.updated_at,
    )


def _operation_problems(data: RoutingIn) -> list[FieldError]:
    errors: list[FieldError] = []
    sequences: set[int] = set()
    codes: set[str] = set()
    for index, operation in enumerate(data.operations):
        if operation.sequence in sequences:
            errors.append(
                FieldError(f"body.operations.{index}.sequence", "used twice", "duplicate")
            )
        if operation.code in codes:
            errors.append(FieldError(f"body.operations.{index}.code", "used twice", "duplicate"))
        sequences.add(operation.sequence)
        codes.add(operation.code)
    return errors


async def _write_operations(session: AsyncSession, routing_id: int, data: RoutingIn) -> None:
    session.add_all(
        RoutingOperation(routing_id=routing_id, **operation.model_dump())
        for operation in sorted(data.operations, key=lambda o: o.sequence)
    )
    await session.flush()


async def create_routing(uow: UnitOfWork, data: RoutingCreate) -> RoutingOut:
    """Give a made item its routing (one per item)."""
    errors = _operation_problems(data)
    async with uow:
        item = (
            await uow.session.scalars(select(Item).where(Item.code == data.item_code))
        ).one_or_none()
        if item is None:
            errors.insert(0, FieldError("body.item_code", "unknown item", "unknown_item"))
        elif item.procurement != Procurement.MAKE.value:
            errors.insert(0, FieldError("body.item_code", f"{item.code} is bought", "not_made"))
        if errors:
            raise InvalidInput("the routing does not fit the catalog", errors=errors)
        assert item is not None
        item_code = item.code
        now = utcnow()
        routing = Routing(
            item_id=item.id, description=data.description, created_at=now, updated_at=now
        )
        uow.session.add(routing)
        try:
            await uow.session.flush()
        except IntegrityError as exc:
            raise AlreadyExists(
                f"{item_code} already has a routing; change it with PUT",
                errors=[FieldError("body.item_code", "already has a routing", "unique")],
            ) from exc
        await _write_operations(uow.session, routing.id, data)
        out = await _out(uow.session, routing, item.code)
        await uow.audit("create", "routing", str(routing.id), after=out.model_dump(mode="json"))
        uow.emit("RoutingChanged", "routing", str(routing.id), out.model_dump(mode="json"))
        await uow.commit()
        return out


async def replace_routing(
    uow: UnitOfWork, routing_id: int, data: RoutingIn, expected_version: int
) -> RoutingOut:
    """Replace a routing's operations; operations that released BOM lines use must stay."""
    errors = _operation_problems(data)
    if errors:
        raise InvalidInput("the routing is not valid", errors=errors)
    async with uow:
        routing = await locked_row(uow.session, Routing, routing_id, "routing", expected_version)
        used = set(
            await uow.session.scalars(
                select(BomLine.operation_code)
                .join(BomVersion, BomVersion.id == BomLine.bom_id)
                .where(
                    BomVersion.item_id == routing.item_id,
                    BomVersion.status != BomStatus.OBSOLETE.value,
                    BomLine.operation_code.is_not(None),
                )
            )
        )
        missing = sorted({c for c in used if c} - {o.code for o in data.operations})
        if missing:
            raise InvalidInput(
                "BOM lines still consume at operations this change removes",
                errors=[
                    FieldError(
                        "body.operations", f"operation {code} is used by BOM lines", "in_use"
                    )
                    for code in missing
                ],
            )
        before = (await _out(uow.session, routing)).model_dump(mode="json")
        await uow.session.execute(
            delete(RoutingOperation).where(RoutingOperation.routing_id == routing.id)
        )
        routing.description = data.description
        routing.updated_at = utcnow()
        await uow.session.flush()
        await _write_operations(uow.session, routing.id, data)
        out = await _out(uow.session, routing)
        await uow.audit(
            "update", "routing", str(routing.id), before=before, after=out.model_dump(mode="json")
        )
        uow.emit("RoutingChanged", "routing", str(routing.id), out.model_dump(mode="json"))
        await uow.commit()
        return out


async def get_routing(session: AsyncSession, routing_id: int) -> RoutingOut:
    routing = await session.get(Routing, routing_id)
    if routing is None:
        raise NotFound(f"routing {routing_id} does not exist")
    return await _out(session, routing)


async def list_routings(
    session: AsyncSession, page: PageParams, *, item_code: str | None
) -> tuple[list[RoutingOut], str | None]:
    query = select(Routing)
    if item_code is not None:
        query = query.where(Routing.item_id.in_(select(Item.id).where(Item.code == item_code)))
    rows, cursor = await page_by_id(session, query, Routing.id, page)
    return [await _out(session, r) for r in rows], cursor
