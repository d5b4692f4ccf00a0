"""Item use-cases: one function per operation, each owning its transaction."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, exists, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.db.models import (
    BomLine,
    BomSubstitute,
    BomVersion,
    Category,
    Item,
    ItemUnitConversion,
    ManufacturerPart,
    Routing,
)
from services.catalog.domain.attributes import attribute_errors
from services.catalog.domain.items import ItemType, LotSizing, default_procurement
from services.catalog.domain.units import ConversionError, conversion_factor
from services.catalog.schemas import (
    ConversionOut,
    ItemCreate,
    ItemOut,
    ItemUpdate,
    LotSizingIn,
    LotSizingOut,
    ManufacturerPartCreate,
    ManufacturerPartOut,
    ManufacturerPartUpdate,
    UnitConversionIn,
    UnitConversionList,
    UnitConversionOut,
)
from services.catalog.usecases.lookups import (
    bump_graph_stamp,
    categories_by_code,
    category_codes,
    locked_row,
    unit_rules,
)
from shared.db.paging import page_by_id, where_equal
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import AlreadyExists, Conflict, FieldError, InvalidInput, NotFound
from shared.http.pagination import PageParams


class ItemInUse(Conflict):
    code = "item_in_use"
    title = "The item is in use"


def to_out(item: Item, category_code: str | None) -> ItemOut:
    return ItemOut(
        id=item.id,
        code=item.code,
        name=item.name,
        specification=item.specification,
        uom=item.uom,
        item_type=ItemType(item.item_type),
        procurement=item.procurement,
        tracking=item.tracking,
        shelf_life_days=item.shelf_life_days,
        category=category_code,
        safety_stock=item.safety_stock,
        lead_time_days=item.lead_time_days,
        lot_sizing=LotSizingOut(
            policy=LotSizing(item.lot_sizing),
            fixed_quantity=item.lot_fixed_quantity,
            minimum_quantity=item.lot_minimum_quantity,
            multiple=item.lot_multiple,
        ),
        lifecycle=item.lifecycle,
        standard_cost=item.standard_cost,
        attributes=item.attributes or {},
        version=item.version,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


async def _out(session: AsyncSession, item: Item) -> ItemOut:
    codes = await category_codes(session, [item.category_id])
    return to_out(item, codes.get(item.category_id) if item.category_id else None)


def _lot_columns(lot: LotSizingIn) -> dict[str, Any]:
    return {
        "lot_sizing": lot.policy.value,
        "lot_fixed_quantity": lot.fixed_quantity,
        "lot_minimum_quantity": lot.minimum_quantity,
        "lot_multiple": lot.multiple,
    }


def _checks(
    *,
    uom: str | None,
    category: str | None,
    attributes: dict[str, Any],
    units: set[str],
    categories: dict[str, Category],
    category_given: bool = True,
    current_schema: dict[str, Any] | None = None,
) -> list[FieldError]:
    """Database-backed checks of one item's fields (field names without a `body.` prefix)."""
    errors: list[FieldError] = []
    if uom is not None and uom not in units:
        errors.append(FieldError("uom", f"unknown unit {uom!r}", "unknown_unit"))
    schema = current_schema
    if category_given:
        schema = None
        if category is not None:
            found = categories.get(category)
            if found is None:
                errors.append(
                    FieldError("category", f"unknown category {category!r}", "unknown_category")
                )
            else:
                schema = found.attribute_schema
    if schema is not None:
        for path, reason in attribute_errors(schema, attributes):
            field = f"attributes.{path}" if path else "attributes"
            errors.append(FieldError(field, reason, "attribute_schema"))
    return errors


def _body(errors: list[FieldError]) -> list[FieldError]:
    return [FieldError(f"body.{e.field}", e.message, e.type) for e in errors]


async def item_problems(
    session: AsyncSession, items: Sequence[ItemCreate]
) -> dict[int, list[FieldError]]:
    """Database checks per item index: unit, category, attributes, code not yet taken.

    Field names are `ItemCreate` field names (`uom`, `attributes.msl`); duplicates
    inside `items` are the caller's to report.
    """
    units = set((await unit_rules(session)).keys())
    categories = await categories_by_code(session, [i.category for i in items if i.category])
    taken: set[str] = set()
    codes = sorted({i.code for i in items})
    for start in range(0, len(codes), 5000):
        chunk = codes[start : start + 5000]
        taken.update(await session.scalars(select(Item.code).where(Item.code.in_(chunk))))
    problems: dict[int, list[FieldError]] = {}
    for index, data in enumerate(items):
        errors = _checks(
            uom=data.uom,
            category=data.category,
            attributes=data.attributes,
            units=units,
            categories=categories,
        )
        if data.code in taken:
            errors.insert(0, FieldError("code", "already used by another item", "unique"))
        if errors:
            problems[index] = errors
    return problems


def _new_row(data: ItemCreate, category_id: int | None, now: Any) -> dict[str, Any]:
    return {
        "code": data.code,
        "name": data.name,
        "specification": data.specification,
        "uom": data.uom,
        "item_type": data.item_type.value,
        "procurement": (data.procurement or default_procurement(data.item_type)).value,
        "tracking": data.tracking.value,
        "shelf_life_days": data.shelf_life_days,
        "category_id": category_id,
        "safety_stock": data.safety_stock,
        "lead_time_days": data.lead_time_days,
        **_lot_columns(data.lot_sizing),
        "lifecycle": data.lifecycle.value,
        "standard_cost": data.standard_cost,
        "attributes": data.attributes,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }


async def insert_items(uow: UnitOfWork, items: Sequence[ItemCreate]) -> list[int]:
    """Insert items already checked by `item_problems`, with events; the caller commits.

    One audit row records the batch; each item still gets its `ItemCreated` event.
    """
    session = uow.session
    await bump_graph_stamp(session)  # first, as every writer of the graph does
    categories = await categories_by_code(session, [i.category for i in items if i.category])
    now = utcnow()
    rows = [_new_row(d, categories[d.category].id if d.category else None, now) for d in items]
    ids: list[int] = []
    for start in range(0, len(rows), 1000):
        chunk = rows[start : start + 1000]
        try:
            result = await session.execute(
                insert(Item).returning(Item.id, sort_by_parameter_order=True), chunk
            )
        except IntegrityError as exc:
            raise AlreadyExists("an item code in the batch was taken meanwhile") from exc
        ids.extend(result.scalars().all())
    code_of = {c.id: c.code for c in categories.values()}
    for item_id, row in zip(ids, rows, strict=True):
        out = ItemOut.model_validate(
            {
                **row,
                "id": item_id,
                "category": code_of.get(row["category_id"]) if row["category_id"] else None,
                "lot_sizing": {
                    "policy": row["lot_sizing"],
                    "fixed_quantity": row["lot_fixed_quantity"],
                    "minimum_quantity": row["lot_minimum_quantity"],
                    "multiple": row["lot_multiple"],
                },
            }
        )
        uow.emit("ItemCreated", "item", str(item_id), out.model_dump(mode="json"))
    await uow.audit(
        "import", "item", f"{ids[0]}..{ids[-1]}" if ids else "-", after={"count": len(ids)}
    )
    return ids


async def create_item(uow: UnitOfWork, data: ItemCreate) -> ItemOut:
    """Create an item; its code must be new, its unit and category known."""
    async with uow:
        await bump_graph_stamp(uow.session)
        problems = await item_problems(uow.session, [data])
        if problems:
            errors = _body(problems[0])
            if errors[0].type == "unique":
                raise AlreadyExists(
                    f"an item with the code {data.code!r} already exists", errors=errors
                )
            raise InvalidInput("the item does not fit the catalog", errors=errors)
        categories = await categories_by_code(uow.session, [data.category] if data.category else [])
        item = Item(
            **_new_row(data, categories[data.category].id if data.category else None, utcnow())
        )
        uow.session.add(item)
        try:
            await uow.session.flush()
        except IntegrityError as exc:
            raise AlreadyExists(
                f"an item with the code {data.code!r} already exists",
                errors=[FieldError("body.code", "already used by another item", "unique")],
            ) from exc
        out = to_out(item, data.category)
        await uow.audit("create", "item", str(item.id), after=out.model_dump(mode="json"))
        uow.emit("ItemCreated", "item", str(item.id), out.model_dump(mode="json"))
        await uow.commit()
        return out


async def _locked(uow: UnitOfWork, item_id: int, expected_version: int | None = None) -> Item:
    return await locked_row(uow.session, Item, item_id, "item", expected_version)


#: Fields the stock ledger keeps its records in: fixed once it holds the item.
STOCK_FIELDS = ("uom", "tracking")


async def update_item(
    uow: UnitOfWork,
    item_id: int,
    data: ItemUpdate,
    expected_version: int,
    *,
    in_stock: bool = False,
) -> ItemOut:
    """Change an item's fields if it is still at `expected_version` (If-Match).

    `in_stock`: the stock ledger holds the item (asked before the transaction), so its
    stock unit, tracking and type stay as they are.
    """
    async with uow:
        await bump_graph_stamp(uow.session)
        item = await _locked(uow, item_id, expected_version)
        before = (await _out(uow.session, item)).model_dump(mode="json")
        changes = data.model_dump(exclude_unset=True)
        category_given = "category" in changes
        current_schema = None
        if not category_given and item.category_id is not None:
            category = await uow.session.get(Category, item.category_id)
            current_schema = category.attribute_schema if category else None
        categories = await categories_by_code(uow.session, [data.category] if data.category else [])
        units = set((await unit_rules(uow.session)).keys())
        errors = _checks(
            uom=data.uom if "uom" in changes else None,
            category=data.category,
            attributes=data.attributes if data.attributes is not None else item.attributes,
            units=units,
            categories=categories,
            category_given=category_given,
            current_schema=current_schema,
        )
        if "uom" in changes and data.uom != item.uom and await _used_in_boms(uow.session, item.id):
            errors.append(
                FieldError("uom", "BOM lines use this item; its stock unit cannot change", "in_use")
            )
        if in_stock:
            for name in STOCK_FIELDS:
                new = changes.get(name)
                old = getattr(item, name)
                if name in changes and new is not None and getattr(new, "value", new) != old:
                    errors.append(
                        FieldError(
                            name,
                            f"the stock ledger holds {item.code}; its {name} cannot change",
                            "in_use",
                        )
                    )
        if errors:
            raise InvalidInput("the change does not fit the catalog", errors=_body(errors))
        for name in changes:
            if name == "lot_sizing":
                assert data.lot_sizing is not None
                for column, value in _lot_columns(data.lot_sizing).items():
                    setattr(item, column, value)
            elif name == "category":
                item.category_id = categories[data.category].id if data.category else None
            else:
                value = getattr(data, name)
                setattr(item, name, value.value if hasattr(value, "value") else value)
        item.updated_at = utcnow()
        await uow.session.flush()
        out = to_out(item, data.category if category_given else before["category"])
        await uow.audit(
            "update", "item", str(item.id), before=before, after=out.model_dump(mode="json")
        )
        uow.emit("ItemUpdated", "item", str(item.id), out.model_dump(mode="json"))
        await uow.commit()
        return out


async def _used_in_boms(session: AsyncSession, item_id: int) -> bool:
    query = select(
        or_(
            exists().where(BomLine.component_id == item_id),
            exists().where(BomSubstitute.component_id == item_id),
        )
    )
    return bool(await session.scalar(query))


async def item_uses(session: AsyncSession, item: Item) -> list[str]:
    """What in the catalog refers to `item` (empty when nothing does)."""
    uses: list[str] = []
    boms = await session.scalar(
        select(func.count()).select_from(BomVersion).where(BomVersion.item_id == item.id)
    )
    if boms:
        uses.append(f"it has {boms} BOM version(s)")
    lines = await session.scalar(
        select(func.count(func.distinct(BomLine.bom_id))).where(BomLine.component_id == item.id)
    )
    substitutes = await session.scalar(
        select(func.count()).select_from(BomSubstitute).where(BomSubstitute.component_id == item.id)
    )
    if lines:
        uses.append(f"{lines} BOM version(s) use it as a component")
    if substitutes:
        uses.append(f"{substitutes} BOM line(s) name it as a substitute")
    routing = await session.scalar(select(Routing.id).where(Routing.item_id == item.id))
    if routing is not None:
        uses.append("it has a routing")
    return uses


async def catalog_uses(session: AsyncSession, item_id: int) -> tuple[str, list[str]]:
    """The item's code and what in the catalog uses it."""
    item = await session.get(Item, item_id)
    if item is None:
        raise NotFound(f"item {item_id} does not exist")
    return item.code, await item_uses(session, item)


def in_use_text(code: str, uses: list[str]) -> str:
    return (
        f"item {code} cannot be deleted: {'; '.join(uses)}. Set its lifecycle to obsolete instead."
    )


async def delete_item(
    uow: UnitOfWork, item_id: int, expected_version: int, *, in_stock: bool
) -> None:
    """Delete an item nothing uses; otherwise refuse and point to making it obsolete.

    `in_stock` is the stock service's answer, asked before the transaction (an item
    code never changes, so the answer stays about this item).
    """
    async with uow:
        await bump_graph_stamp(uow.session)
        item = await _locked(uow, item_id, expected_version)
        uses = await item_uses(uow.session, item)
        if in_stock:
            uses.append("the stock ledger has movements of it")
        if uses:
            raise ItemInUse(in_use_text(item.code, uses), extra={"uses": uses})
        before = (await _out(uow.session, item)).model_dump(mode="json")
        await uow.session.execute(
            delete(ItemUnitConversion).where(ItemUnitConversion.item_id == item.id)
        )
        await uow.session.execute(
            delete(ManufacturerPart).where(ManufacturerPart.item_id == item.id)
        )
        await uow.session.delete(item)
        await uow.session.flush()
        await uow.audit("delete", "item", str(item_id), before=before)
        uow.emit("ItemDeleted", "item", str(item_id), {"id": item_id, "code": before["code"]})
        await uow.commit()


async def get_item(session: AsyncSession, item_id: int) -> ItemOut:
    item = await session.get(Item, item_id)
    if item is None:
        raise NotFound(f"item {item_id} does not exist")
    return await _out(session, item)


async def get_item_by_code(session: AsyncSession, code: str) -> ItemOut:
    item = await _by_code(session, code)
    if item is None:
        raise NotFound(f"no item has the code {code!r}")
    return await _out(session, item)


async def list_items(
    session: AsyncSession,
    page: PageParams,
    *,
    item_type: str | None = None,
    code_prefix: str | None = None,
    category: str | None = None,
    lifecycle: str | None = None,
    mpn: str | None = None,
    search: str | None = None,
    codes: Sequence[str] = (),
    with_safety_stock: bool | None = None,
) -> tuple[list[ItemOut], str | None]:
    query = where_equal(select(Item), {Item.item_type: item_type, Item.lifecycle: lifecycle})
    if with_safety_stock is not None:
        query = query.where(
            Item.safety_stock > 0 if with_safety_stock else Item.safety_stock <= 0
        )
    if codes:
        query = query.where(Item.code.in_(set(codes)))
    if code_prefix:
        query = query.where(Item.code.startswith(code_prefix, autoescape=True))
    if category is not None:
        query = query.where(
            Item.category_id.in_(select(Category.id).where(Category.code == category))
        )
    if mpn:
        query = query.where(
            Item.id.in_(select(ManufacturerPart.item_id).where(ManufacturerPart.mpn == mpn))
        )
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(
            or_(
                func.lower(Item.name).like(pattern),
                func.lower(Item.specification).like(pattern),
                func.lower(Item.code).like(pattern),
            )
        )
    items, cursor = await page_by_id(session, query, Item.id, page)
    categories = await category_codes(session, [i.category_id for i in items])
    return [
        to_out(i, categories.get(i.category_id) if i.category_id else None) for i in items
    ], cursor


async def _by_code(session: AsyncSession, code: str) -> Item | None:
    return (await session.scalars(select(Item).where(Item.code == code))).one_or_none()


# --- unit conversions ------------------------------------------------------------------


async def _conversion_list(session: AsyncSession, item: Item) -> UnitConversionList:
    rows = await session.scalars(
        select(ItemUnitConversion)
        .where(ItemUnitConversion.item_id == item.id)
        .order_by(ItemUnitConversion.uom)
    )
    return UnitConversionList(
        item_code=item.code,
        stock_uom=item.uom,
        items=[UnitConversionOut(uom=r.uom, factor=r.factor) for r in rows],
    )


async def get_conversions(session: AsyncSession, item_id: int) -> UnitConversionList:
    item = await session.get(Item, item_id)
    if item is None:
        raise NotFound(f"item {item_id} does not exist")
    return await _conversion_list(session, item)


async def replace_conversions(
    uow: UnitOfWork, item_id: int, conversions: list[UnitConversionIn]
) -> UnitConversionList:
    """Set the item's own unit conversions (1 reel = 5,000 pcs for this resistor only)."""
    async with uow:
        await bump_graph_stamp(uow.session)
        item = await _locked(uow, item_id)
        units = set((await unit_rules(uow.session)).keys())
        errors: list[FieldError] = []
        seen: set[str] = set()
        for index, conversion in enumerate(conversions):
            field = f"body.{index}.uom"
            if conversion.uom not in units:
                errors.append(FieldError(field, f"unknown unit {conversion.uom!r}", "unknown_unit"))
            elif conversion.uom == item.uom:
                errors.append(FieldError(field, "the stock unit needs no conversion", "invalid"))
            elif conversion.uom in seen:
                errors.append(FieldError(field, "named twice", "duplicate"))
            seen.add(conversion.uom)
        if errors:
            raise InvalidInput("the conversions do not fit the catalog", errors=errors)
        before = (await _conversion_list(uow.session, item)).model_dump(mode="json")
        await uow.session.execute(
            delete(ItemUnitConversion).where(ItemUnitConversion.item_id == item.id)
        )
        uow.session.add_all(
            ItemUnitConversion(item_id=item.id, uom=c.uom, factor=c.factor) for c in conversions
        )
        await uow.session.flush()
        out = await _conversion_list(uow.session, item)
        await uow.audit(
            "update_conversions",
            "item",
            str(item.id),
            before=before,
            after=out.model_dump(mode="json"),
        )
        uow.emit("ItemConversionsChanged", "item", str(item.id), out.model_dump(mode="json"))
        await uow.commit()
        return out


async def convert(
    session: AsyncSession,
    quantity: Decimal,
    from_uom: str,
    to_uom: str,
    item_id: int | None = None,
) -> ConversionOut:
    """Convert a quantity, using the item's own conversions first, then global ones."""
    rules = await unit_rules(session)
    errors = [
        FieldError(f"query.{name}", f"unknown unit {code!r}", "unknown_unit")
        for name, code in (("from_uom", from_uom), ("to_uom", to_uom))
        if code not in rules
    ]
    if errors:
        raise InvalidInput("unknown unit", errors=errors)
    item_code = None
    stock_unit = None
    factors: dict[str, Decimal] = {}
    if item_id is not None:
        item = await session.get(Item, item_id)
        if item is None:
            raise NotFound(f"item {item_id} does not exist")
        item_code, stock_unit = item.code, item.uom
        rows = await session.scalars(
            select(ItemUnitConversion).where(ItemUnitConversion.item_id == item.id)
        )
        factors = {r.uom: r.factor for r in rows}
    try:
        factor = conversion_factor(
            rules[from_uom], rules[to_uom], stock_unit=stock_unit, item_factors=factors
        )
    except ConversionError as exc:
        raise InvalidInput(
            str(exc) + (f" for item {item_code}" if item_code else ""),
            errors=[FieldError("query.to_uom", str(exc), "no_conversion")],
        ) from exc
    exact = quantity * factor
    return ConversionOut(
        item_code=item_code,
        quantity=quantity,
        from_uom=from_uom,
        to_uom=to_uom,
        factor=factor,
        exact=exact,
        rounded=rules[to_uom].round(exact),
    )


# --- manufacturer parts ----------------------------------------------------------------


def _part_out(part: ManufacturerPart, item_code: str) -> ManufacturerPartOut:
    return ManufacturerPartOut(
        id=part.id,
        item_id=part.item_id,
        item_code=item_code,
        manufacturer=part.manufacturer,
        mpn=part.mpn,
        approved=part.approved,
        priority=part.priority,
        notes=part.notes,
        created_at=part.created_at,
    )


async def list_parts(session: AsyncSession, item_id: int) -> list[ManufacturerPartOut]:
    item = await session.get(Item, item_id)
    if item is None:
        raise NotFound(f"item {item_id} does not exist")
    rows = await session.scalars(
        select(ManufacturerPart)
        .where(ManufacturerPart.item_id == item_id)
        .order_by(ManufacturerPart.priority, ManufacturerPart.id)
    )
    return [_part_out(p, item.code) for p in rows]


async def add_part(
    uow: UnitOfWork, item_id: int, data: ManufacturerPartCreate
) -> ManufacturerPartOut:
    """Add a manufacturer part number to the item's approved vendor list."""
    async with uow:
        item = await _locked(uow, item_id)
        item_code = item.code
        part = ManufacturerPart(item_id=item.id, **data.model_dump(), created_at=utcnow())
        uow.session.add(part)
        try:
            await uow.session.flush()
        except IntegrityError as exc:
            raise AlreadyExists(
                f"{data.manufacturer} {data.mpn} is already listed for item {item_code}",
                errors=[FieldError("body.mpn", "already listed for this item", "unique")],
            ) from exc
        out = _part_out(part, item.code)
        await uow.audit(
            "add_manufacturer_part", "item", str(item.id), after=out.model_dump(mode="json")
        )
        uow.emit("ManufacturerPartAdded", "item", str(item.id), out.model_dump(mode="json"))
        await uow.commit()
        return out


async def _part(uow: UnitOfWork, item_id: int, part_id: int) -> tuple[Item, ManufacturerPart]:
    item = await _locked(uow, item_id)
    part = await uow.session.get(ManufacturerPart, part_id, with_for_update=True)
    if part is None or part.item_id != item_id:
        raise NotFound(f"item {item_id} has no manufacturer part {part_id}")
    return item, part


async def update_part(
    uow: UnitOfWork, item_id: int, part_id: int, data: ManufacturerPartUpdate
) -> ManufacturerPartOut:
    """Approve, disapprove or re-rank a manufacturer part."""
    async with uow:
        item, part = await _part(uow, item_id, part_id)
        before = _part_out(part, item.code).model_dump(mode="json")
        for name, value in data.model_dump(exclude_unset=True).items():
            setattr(part, name, value)
        await uow.session.flush()
        out = _part_out(part, item.code)
        await uow.audit(
            "update_manufacturer_part",
            "item",
            str(item.id),
            before=before,
            after=out.model_dump(mode="json"),
        )
        uow.emit("ManufacturerPartChanged", "item", str(item.id), out.model_dump(mode="json"))
        await uow.commit()
        return out


async def remove_part(uow: UnitOfWork, item_id: int, part_id: int) -> None:
    """Take a manufacturer part off the item's list."""
    async with uow:
        item, part = await _part(uow, item_id, part_id)
        before = _part_out(part, item.code).model_dump(mode="json")
        await uow.session.delete(part)
        await uow.session.flush()
        await uow.audit("remove_manufacturer_part", "item", str(item.id), before=before)
        uow.emit("ManufacturerPartRemoved", "item", str(item.id), before)
        await uow.commit()
