"""Item use-cases: one function per operation, each owning its transaction."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.db.models import Item
from services.catalog.domain.items import ItemType, default_procurement
from services.catalog.schemas import ItemCreate, ItemOut, ItemUpdate
from shared.db.paging import page_by_id, where_equal
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import AlreadyExists, FieldError, NotFound, PreconditionFailed
from shared.http.pagination import PageParams


def to_out(item: Item) -> ItemOut:
    return ItemOut.model_validate(item, from_attributes=True)


async def create_item(uow: UnitOfWork, data: ItemCreate) -> ItemOut:
    """Create an item; its code must be new."""
    async with uow:
        if await _by_code(uow.session, data.code) is not None:
            raise _duplicate(data.code)
        now = utcnow()
        item = Item(
            **data.model_dump(exclude={"procurement"}),
            procurement=(data.procurement or default_procurement(ItemType(data.item_type))).value,
            created_at=now,
            updated_at=now,
        )
        uow.session.add(item)
        try:
            await uow.session.flush()
        except IntegrityError as exc:
            raise _duplicate(data.code) from exc
        out = to_out(item)
        await uow.audit("create", "item", str(item.id), after=out.model_dump(mode="json"))
        uow.emit("ItemCreated", "item", str(item.id), out.model_dump(mode="json"))
        await uow.commit()
        return out


async def update_item(
    uow: UnitOfWork, item_id: int, data: ItemUpdate, expected_version: int
) -> ItemOut:
    """Change an item's fields if it is still at `expected_version` (If-Match)."""
    async with uow:
        item = await uow.session.get(Item, item_id, with_for_update=True)
        if item is None:
            raise NotFound(f"item {item_id} does not exist")
        if item.version != expected_version:
            raise PreconditionFailed(
                f"item {item_id} is at version {item.version}, not {expected_version}"
            )
        before = to_out(item).model_dump(mode="json")
        for name, value in data.model_dump(exclude_unset=True).items():
            setattr(item, name, value.value if hasattr(value, "value") else value)
        item.updated_at = utcnow()
        await uow.session.flush()
        out = to_out(item)
        await uow.audit(
            "update", "item", str(item.id), before=before, after=out.model_dump(mode="json")
        )
        uow.emit("ItemUpdated", "item", str(item.id), out.model_dump(mode="json"))
        await uow.commit()
        return out


async def get_item(session: AsyncSession, item_id: int) -> ItemOut:
    item = await session.get(Item, item_id)
    if item is None:
        raise NotFound(f"item {item_id} does not exist")
    return to_out(item)


async def get_item_by_code(session: AsyncSession, code: str) -> ItemOut:
    item = await _by_code(session, code)
    if item is None:
        raise NotFound(f"no item has the code {code!r}")
    return to_out(item)


async def list_items(
    session: AsyncSession, page: PageParams, *, item_type: str | None, code_prefix: str | None
) -> tuple[list[ItemOut], str | None]:
    query = where_equal(select(Item), {Item.item_type: item_type})
    if code_prefix:
        query = query.where(Item.code.startswith(code_prefix, autoescape=True))
    items, cursor = await page_by_id(session, query, Item.id, page)
    return [to_out(item) for item in items], cursor


async def _by_code(session: AsyncSession, code: str) -> Item | None:
    return (await session.scalars(select(Item).where(Item.code == code))).one_or_none()


def _duplicate(code: str) -> AlreadyExists:
    return AlreadyExists(
        f"an item with the code {code!r} already exists",
        errors=[FieldError("body.code", "already used by another item", "unique")],
    )
