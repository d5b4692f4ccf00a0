"""Units of measure and item categories."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.db.models import Category, Item, Unit
from services.catalog.domain.attributes import attribute_errors, schema_errors
from services.catalog.domain.units import Rounding
from services.catalog.schemas import (
    CategoryCreate,
    CategoryOut,
    CategoryUpdate,
    UnitCreate,
    UnitOut,
)
from services.catalog.usecases.lookups import bump_graph_stamp, locked_row
from shared.db.paging import page_by_id
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import AlreadyExists, FieldError, InvalidInput, NotFound
from shared.http.pagination import PageParams

#: How many offending items a refused category schema change names.
MAX_NAMED = 20


def unit_out(unit: Unit) -> UnitOut:
    return UnitOut(
        id=unit.id,
        code=unit.code,
        name=unit.name,
        decimals=unit.decimals,
        rounding=Rounding(unit.rounding),
        base_unit=unit.base_unit,
        factor_to_base=unit.factor_to_base,
        version=unit.version,
    )


async def list_units(session: AsyncSession) -> list[UnitOut]:
    return [unit_out(u) for u in await session.scalars(select(Unit).order_by(Unit.code))]


async def get_unit(session: AsyncSession, code: str) -> UnitOut:
    unit = (await session.scalars(select(Unit).where(Unit.code == code))).one_or_none()
    if unit is None:
        raise NotFound(f"no unit has the code {code!r}")
    return unit_out(unit)


async def create_unit(uow: UnitOfWork, data: UnitCreate) -> UnitOut:
    """Add a unit; a global conversion must point at a unit that is itself a base."""
    async with uow:
        if data.base_unit is not None:
            base = (
                await uow.session.scalars(select(Unit).where(Unit.code == data.base_unit))
            ).one_or_none()
            if base is None or base.base_unit is not None:
                raise InvalidInput(
                    "the base unit must exist and not convert further",
                    errors=[FieldError("body.base_unit", "not a base unit", "unknown_unit")],
                )
        unit = Unit(**data.model_dump(mode="python"), created_at=utcnow())
        unit.rounding = data.rounding.value
        uow.session.add(unit)
        try:
            await uow.session.flush()
        except IntegrityError as exc:
            raise AlreadyExists(
                f"a unit with the code {data.code!r} already exists",
                errors=[FieldError("body.code", "already used by another unit", "unique")],
            ) from exc
        out = unit_out(unit)
        await uow.audit("create", "unit", data.code, after=out.model_dump(mode="json"))
        uow.emit("UnitCreated", "unit", data.code, out.model_dump(mode="json"))
        await uow.commit()
        return out


def category_out(category: Category) -> CategoryOut:
    return CategoryOut.model_validate(category, from_attributes=True)


def _schema_problems(schema: dict[str, object]) -> list[FieldError]:
    return [
        FieldError(f"body.attribute_schema{'.' + path if path else ''}", reason, "bad_schema")
        for path, reason in schema_errors(schema)
    ]


async def create_category(uow: UnitOfWork, data: CategoryCreate) -> CategoryOut:
    """Add a category with the JSON Schema its items' attributes must follow."""
    errors = _schema_problems(data.attribute_schema)
    if errors:
        raise InvalidInput("the attribute schema is not a usable JSON Schema", errors=errors)
    async with uow:
        now = utcnow()
        category = Category(**data.model_dump(), created_at=now, updated_at=now)
        uow.session.add(category)
        try:
            await uow.session.flush()
        except IntegrityError as exc:
            raise AlreadyExists(
                f"a category with the code {data.code!r} already exists",
                errors=[FieldError("body.code", "already used by another category", "unique")],
            ) from exc
        out = category_out(category)
        await uow.audit("create", "category", str(category.id), after=out.model_dump(mode="json"))
        uow.emit("CategoryCreated", "category", str(category.id), out.model_dump(mode="json"))
        await uow.commit()
        return out


async def update_category(
    uow: UnitOfWork, category_id: int, data: CategoryUpdate, expected_version: int
) -> CategoryOut:
    """Rename a category or change its schema; every item in it must still fit."""
    if data.attribute_schema is not None:
        errors = _schema_problems(data.attribute_schema)
        if errors:
            raise InvalidInput("the attribute schema is not a usable JSON Schema", errors=errors)
    async with uow:
        await bump_graph_stamp(uow.session)  # first, as every writer of the graph does
        category = await locked_row(
            uow.session, Category, category_id, "category", expected_version
        )
        before = category_out(category).model_dump(mode="json")
        if data.attribute_schema is not None:
            misfits: list[str] = []
            items = await uow.session.execute(
                select(Item.code, Item.attributes).where(Item.category_id == category.id)
            )
            for code, attributes in items:
                problems = attribute_errors(data.attribute_schema, attributes or {})
                if problems:
                    path, reason = problems[0]
                    misfits.append(f"{code}: {path + ' ' if path else ''}{reason}")
            if misfits:
                raise InvalidInput(
                    f"{len(misfits)} item(s) of the category would not fit the new schema",
                    errors=[
                        FieldError("body.attribute_schema", m, "items_misfit")
                        for m in misfits[:MAX_NAMED]
                    ],
                )
            category.attribute_schema = data.attribute_schema
        if data.name is not None:
            category.name = data.name
        category.updated_at = utcnow()
        await uow.session.flush()
        out = category_out(category)
        await uow.audit(
            "update",
            "category",
            str(category.id),
            before=before,
            after=out.model_dump(mode="json"),
        )
        uow.emit("CategoryUpdated", "category", str(category.id), out.model_dump(mode="json"))
        await uow.commit()
        return out


async def get_category(session: AsyncSession, category_id: int) -> CategoryOut:
    category = await session.get(Category, category_id)
    if category is None:
        raise NotFound(f"category {category_id} does not exist")
    return category_out(category)


async def list_categories(
    session: AsyncSession, page: PageParams
) -> tuple[list[CategoryOut], str | None]:
    rows, cursor = await page_by_id(session, select(Category), Category.id, page)
    return [category_out(c) for c in rows], cursor
