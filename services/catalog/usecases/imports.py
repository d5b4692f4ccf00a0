"""Item imports from a spreadsheet: a dry run lists every error, a commit is all or nothing.

Rows are read by the pure rules in `shared/spreadsheet.py`, `domain/spreadsheet.py` and
`sheet_items.py`, validated by the public `ItemCreate` schema, then checked against the
database by `item_problems`, the same checks as the JSON API. A commit re-runs the
checks in its own transaction and writes nothing unless there are none.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.db.models import Item, ManufacturerPart
from services.catalog.domain.sheet_items import (
    ITEM_REQUIRED,
    ITEM_TABLE,
    ItemRow,
    item_row,
    item_sheet_field,
)
from services.catalog.import_schemas import CreatedItem, ItemImportResult
from services.catalog.schemas import ItemCreate, ManufacturerPartCreate, ManufacturerPartOut
from services.catalog.usecases.items import insert_items, item_problems
from services.catalog.usecases.lookups import unit_rules
from services.catalog.usecases.sheet_checks import (
    SheetRows,
    open_sheet,
    rejected,
    summary_fields,
    valid_row_count,
    validate_model,
)
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.spreadsheet import CellProblem, HeaderRow, duplicate_problems
from shared.spreadsheet_files import SheetFile


@dataclass(slots=True)
class _ItemPlan:
    sheet: SheetRows
    rows: list[ItemRow] = field(default_factory=list)  # validated, parallel to `items`
    items: list[ItemCreate] = field(default_factory=list)
    parts: list[ManufacturerPartCreate | None] = field(default_factory=list)


def _item_locator(header: HeaderRow, row: int) -> Callable[[str], CellProblem]:
    def locate(path: str) -> CellProblem:
        sheet_field = item_sheet_field(path)
        column = header.column_of(sheet_field)
        if column is None and "." in sheet_field:
            column = header.column_of(sheet_field.split(".")[0])
        return CellProblem(row, column, sheet_field, "")

    return locate


def _plan_items(file: SheetFile, units: Collection[str], may_write_cost: bool) -> _ItemPlan:
    sheet = open_sheet(file, ITEM_TABLE, ITEM_REQUIRED, units)
    plan = _ItemPlan(sheet)
    rows = [item_row(parsed, sheet.header, may_write_cost=may_write_cost) for parsed in sheet.rows]
    for row in rows:
        sheet.add(row.problems)
        locate = _item_locator(sheet.header, row.row)
        item, problems = validate_model(ItemCreate, row.payload, locate)
        sheet.add(problems)
        part = None
        if row.manufacturer is not None and row.mpn is not None:
            payload = {"manufacturer": row.manufacturer, "mpn": row.mpn}
            part, problems = validate_model(ManufacturerPartCreate, payload, locate)
            sheet.add(problems)
        if item is not None:
            plan.rows.append(row)
            plan.items.append(item)
            plan.parts.append(part)
    keys = [(row.row, row.code) for row in rows if row.code]
    sheet.add(duplicate_problems(keys, sheet.header.column_of("code"), "code", "code"))
    return plan


async def _checked_items(session: AsyncSession, file: SheetFile, may_write_cost: bool) -> _ItemPlan:
    units = set(await unit_rules(session))
    plan = _plan_items(file, units, may_write_cost)
    found = await item_problems(session, plan.items) if plan.items else {}
    for index, errors in sorted(found.items()):
        locate = _item_locator(plan.sheet.header, plan.rows[index].row)
        for error in errors:
            at = locate(error.field)
            plan.sheet.add([CellProblem(at.row, at.column, at.field, error.message)])
    return plan


def _item_result(plan: _ItemPlan, *, dry_run: bool) -> ItemImportResult:
    return ItemImportResult(
        **summary_fields(plan.sheet, dry_run=dry_run),
        valid=valid_row_count(plan.sheet),
        created=[],
    )


async def preview_items(
    session: AsyncSession, file: SheetFile, *, may_write_cost: bool
) -> ItemImportResult:
    """Dry run: the header match and every error of an item sheet; nothing is written."""
    return _item_result(await _checked_items(session, file, may_write_cost), dry_run=True)


async def import_items(
    uow: UnitOfWork, file: SheetFile, *, may_write_cost: bool
) -> ItemImportResult:
    """Create every item of the sheet (and its manufacturer part) in one transaction, or none."""
    async with uow:
        plan = await _checked_items(uow.session, file, may_write_cost)
        result = _item_result(plan, dry_run=False)
        if result.errors:
            raise rejected(result)
        await insert_items(uow, plan.items)
        ids = await _ids_of(uow.session, [item.code for item in plan.items])
        parts = await _insert_parts(uow, ids, plan)
        await uow.commit()
    result.created = [
        CreatedItem(row=row.row, id=item_id, code=item.code)
        for row, item_id, item in zip(plan.rows, ids, plan.items, strict=True)
    ]
    result.manufacturer_parts = parts
    return result


async def _ids_of(session: AsyncSession, codes: Sequence[str]) -> list[int]:
    """The ids of `codes`, in their order (looked up: RETURNING order is not promised)."""
    found: dict[str, int] = {}
    for start in range(0, len(codes), 5000):
        chunk = codes[start : start + 5000]
        rows = await session.execute(select(Item.code, Item.id).where(Item.code.in_(chunk)))
        for code, item_id in rows:
            found[code] = item_id
    return [found[code] for code in codes]


async def _insert_parts(uow: UnitOfWork, ids: Sequence[int], plan: _ItemPlan) -> int:
    """Add each row's manufacturer part, with a `ManufacturerPartAdded` event apiece."""
    now = utcnow()
    rows = [
        {"item_id": item_id, **part.model_dump(), "created_at": now}
        for item_id, part in zip(ids, plan.parts, strict=True)
        if part is not None
    ]
    codes = {item_id: item.code for item_id, item in zip(ids, plan.items, strict=True)}
    for start in range(0, len(rows), 1000):
        chunk = rows[start : start + 1000]
        result = await uow.session.execute(
            insert(ManufacturerPart).returning(ManufacturerPart.id, sort_by_parameter_order=True),
            chunk,
        )
        for part_id, row in zip(result.scalars().all(), chunk, strict=True):
            out = ManufacturerPartOut(id=part_id, item_code=codes[row["item_id"]], **row)
            uow.emit(
                "ManufacturerPartAdded", "item", str(row["item_id"]), out.model_dump(mode="json")
            )
    if rows:
        await uow.audit("import", "manufacturer_part", "-", after={"count": len(rows)})
    return len(rows)
