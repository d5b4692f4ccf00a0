"""BOM imports from a spreadsheet, indented or parent-child: one draft per parent, all or none.

Rows are read by `domain/sheet_boms.py`, validated by the public `BomCreate` /
`BomLineIn` schemas, then checked by `bom_problems` (components, units, designator
counts, revisions, cycles through released BOMs). With `release` each draft is then
released; a dry run with `release` does all of it in a transaction it rolls back, so
the release's own refusals are reported too. While the BOM release approval gate is
closed (`usecases/approvals.py`), `release` is refused (409 `approval_gate_closed`):
import drafts and release each through `POST /v1/boms/{id}/release`, which holds it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.domain.sheet_boms import (
    BOM_REQUIRED,
    BOM_TABLE,
    Shape,
    SheetBom,
    bom_shape,
    bottom_up,
    cycle_problems,
    line_fields,
    parse_indented,
    parse_parent_child,
)
from services.catalog.import_schemas import BomImportResult, CreatedBom, PlannedBom
from services.catalog.schemas import BomCreate, BomLineIn, BomRelease
from services.catalog.usecases.approvals import ApprovalGateClosed, approval_required
from services.catalog.usecases.boms import bom_problems, insert_boms, release_bom_in
from services.catalog.usecases.lookups import bump_graph_stamp, unit_rules
from services.catalog.usecases.sheet_checks import (
    SheetRows,
    open_sheet,
    rejected,
    summary_fields,
    validate_model,
)
from shared.db.uow import UnitOfWork
from shared.errors import FieldError, ProblemError
from shared.spreadsheet import CellProblem
from shared.spreadsheet_files import SheetFile


@dataclass(frozen=True, slots=True)
class BomImportOptions:
    shape: Shape | None = None
    item_code: str | None = None
    revision: str = "A"
    release: bool = False
    supersede: bool = False


@dataclass(slots=True)
class _BomPlan:
    sheet: SheetRows
    shape: Shape | None
    sheet_boms: list[SheetBom] = field(default_factory=list)
    #: sheet_boms index -> (body of its valid lines, the sheet line index of each body line)
    valid: dict[int, tuple[BomCreate, list[int]]] = field(default_factory=dict)
    cycle_rows: set[int | None] = field(default_factory=set)  # lines on a cycle in the file


def _bom_locator(plan: _BomPlan, bom: SheetBom) -> Callable[[str], CellProblem]:
    header = plan.sheet.header
    parent_field = "parent_code" if plan.shape == "parent_child" else "component_code"

    def locate(path: str) -> CellProblem:
        index, name = line_fields(path.removeprefix("body."))
        if index is not None and index < len(bom.lines):
            return CellProblem(bom.lines[index].row, header.column_of(name), name, "")
        if name == "item_code" and bom.parent_row is not None:
            return CellProblem(bom.parent_row, header.column_of(parent_field), parent_field, "")
        if name == "revision" and bom.revision_row is not None:
            return CellProblem(bom.revision_row, header.column_of("revision"), "revision", "")
        if name == "base_quantity":
            return CellProblem(bom.parent_row, header.column_of("base_quantity"), name, "")
        return CellProblem(bom.parent_row, None, name, "")

    return locate


def _plan_boms(file: SheetFile, units: Collection[str], options: BomImportOptions) -> _BomPlan:
    required = [BOM_REQUIRED[options.shape]] if options.shape else list(BOM_REQUIRED.values())
    sheet = open_sheet(file, BOM_TABLE, required, units)
    shape = bom_shape(sheet.header, options.shape) if not sheet.header.missing else options.shape
    plan = _BomPlan(sheet, shape)
    if sheet.header.missing or shape is None:
        return plan
    if shape == "indented":
        boms, problems = parse_indented(
            sheet.rows, sheet.header, top_code=options.item_code, revision=options.revision
        )
    else:
        boms, problems = parse_parent_child(sheet.rows, sheet.header, revision=options.revision)
    sheet.add(problems)
    plan.sheet_boms = boms
    cycles = cycle_problems(boms, sheet.header.column_of("component_code"))
    sheet.add(cycles)
    plan.cycle_rows = {problem.row for problem in cycles}
    for index, bom in enumerate(boms):
        checked = _validate_bom(plan, bom)
        if checked is not None:
            plan.valid[index] = checked
    return plan


def _validate_bom(plan: _BomPlan, bom: SheetBom) -> tuple[BomCreate, list[int]] | None:
    """The BOM with the lines the database should check, or None if its head is invalid.

    Lines that do not validate, and lines on a cycle within the file, are left out: the
    rest still get every database check, and cycles through released BOMs show up.
    """
    locate = _bom_locator(plan, bom)
    head, problems = validate_model(BomCreate, {**bom.payload(), "lines": []}, locate)
    plan.sheet.add(problems)
    kept: list[int] = []
    lines: list[BomLineIn] = []
    for index, sheet_line in enumerate(bom.lines):
        line_locate = _within(locate, f"lines.{index}.")
        body, problems = validate_model(BomLineIn, sheet_line.values, line_locate)
        plan.sheet.add(problems)
        if body is not None and sheet_line.row not in plan.cycle_rows:
            kept.append(index)
            lines.append(body)
    if head is None:
        return None
    return head.model_copy(update={"lines": lines}), kept


def _within(locate: Callable[[str], CellProblem], prefix: str) -> Callable[[str], CellProblem]:
    return lambda path: locate(prefix + path)


def _renumber(error: FieldError, kept: Sequence[int]) -> FieldError:
    """A database error on line k of the checked body, moved to its sheet line."""
    parts = error.field.removeprefix("body.").split(".")
    if len(parts) > 1 and parts[0] == "lines" and parts[1].isdigit() and int(parts[1]) < len(kept):
        parts[1] = str(kept[int(parts[1])])
    return FieldError(".".join(parts), error.message, error.type)


def _place(plan: _BomPlan, index: int, errors: Sequence[FieldError]) -> list[CellProblem]:
    """Database errors of one BOM on its rows; a cycle goes on the lines that close it."""
    bom = plan.sheet_boms[index]
    locate = _bom_locator(plan, bom)
    placed: list[CellProblem] = []
    for error in errors:
        if error.type == "cycle" and error.field.removeprefix("body.") == "lines":
            placed += _cycle_lines(plan, bom, error.message)
            continue
        at = locate(error.field)
        if error.type == "cycle" and at.row in plan.cycle_rows:
            continue
        placed.append(CellProblem(at.row, at.column, at.field, error.message))
    return placed


def _cycle_lines(plan: _BomPlan, bom: SheetBom, message: str) -> list[CellProblem]:
    """The lines of `bom` whose component comes next on the cycle the message names."""
    path = message.rsplit(": ", 1)[-1].split(" -> ")
    after = {path[i + 1] for i in range(len(path) - 1) if path[i] == bom.parent_code}
    column = plan.sheet.header.column_of("component_code")
    rows: list[int | None] = [
        line.row for line in bom.lines if line.values.get("component_code") in after
    ]
    if rows and all(row in plan.cycle_rows for row in rows):
        return []
    if not rows:
        return [CellProblem(bom.parent_row, None, "component_code", message)]
    return [CellProblem(row, column, "component_code", message) for row in rows]


async def _checked_boms(
    session: AsyncSession, file: SheetFile, options: BomImportOptions
) -> _BomPlan:
    units = set(await unit_rules(session))
    plan = _plan_boms(file, units, options)
    indexes = sorted(plan.valid)
    bodies = [plan.valid[i][0] for i in indexes]
    found = await bom_problems(session, bodies) if bodies else {}
    for position, errors in sorted(found.items()):
        kept = plan.valid[indexes[position]][1]
        plan.sheet.add(_place(plan, indexes[position], [_renumber(e, kept) for e in errors]))
    return plan


def _bom_result(plan: _BomPlan, *, dry_run: bool) -> BomImportResult:
    return BomImportResult(
        **summary_fields(plan.sheet, dry_run=dry_run),
        shape=plan.shape,
        boms=[
            PlannedBom(row=b.parent_row, item_code=b.parent_code, revision=b.revision,
                       line_count=len(b.lines))
            for b in plan.sheet_boms
        ],
        lines=sum(len(b.lines) for b in plan.sheet_boms),
        created=[],
    )  # fmt: skip


async def preview_boms(
    session: AsyncSession, file: SheetFile, options: BomImportOptions
) -> BomImportResult:
    """Dry run of a BOM sheet without release: the header match and every error."""
    return _bom_result(await _checked_boms(session, file, options), dry_run=True)


async def import_boms(
    uow: UnitOfWork, file: SheetFile, options: BomImportOptions, *, dry_run: bool = False
) -> BomImportResult:
    """Create a draft per BOM of the sheet (and release them), all or nothing.

    With `dry_run` the drafts are created and released in the transaction to find the
    release's own errors, then rolled back.
    """
    async with uow:
        if options.release:  # releases follow: take the graph lock first, as every writer
            await bump_graph_stamp(uow.session)
            if await approval_required(uow.session):
                raise ApprovalGateClosed(
                    "BOM releases wait for approval (the bom_release approval gate is "
                    "closed): import without release, then release each draft with "
                    "POST /v1/boms/{id}/release"
                )
        plan = await _checked_boms(uow.session, file, options)
        result = _bom_result(plan, dry_run=dry_run)
        if result.errors:
            if dry_run:
                return result
            raise rejected(result)
        bodies = [plan.valid[i][0] for i in range(len(plan.sheet_boms))]
        ids = await insert_boms(uow, bodies)
        statuses = ["draft"] * len(ids)
        if options.release:
            for index in bottom_up(plan.sheet_boms):
                problems = await _release(uow, plan, index, ids[index], options.supersede)
                plan.sheet.add(problems)
                statuses[index] = "released" if not problems else "draft"
            result = _bom_result(plan, dry_run=dry_run)
        if dry_run:
            return result  # leaving the block rolls the trial back
        if result.errors:
            raise rejected(result)
        await uow.commit()
    result.created = [
        CreatedBom(row=bom.parent_row, id=bom_id, item_code=bom.parent_code,
                   revision=bom.revision, status=status, line_count=len(bom.lines))
        for bom, bom_id, status in zip(plan.sheet_boms, ids, statuses, strict=True)
    ]  # fmt: skip
    return result


async def _release(
    uow: UnitOfWork, plan: _BomPlan, index: int, bom_id: int, supersede: bool
) -> list[CellProblem]:
    try:
        await release_bom_in(uow, bom_id, BomRelease(supersede=supersede), uow.actor)
    except ProblemError as exc:
        errors = exc.errors or [FieldError("revision", exc.detail or exc.title, exc.code)]
        if exc.detail and all(e.message != exc.detail for e in errors) and exc.status == 409:
            errors = [FieldError(e.field, f"{e.message}: {exc.detail}", e.type) for e in errors]
        order = _position_order(plan.valid[index][0])
        return _place(plan, index, [_renumber(e, order) for e in errors])
    return []


def _position_order(body: BomCreate) -> list[int]:
    """Sheet line indexes in the order a stored BOM lists its lines (by position)."""
    positions = [line.position or (i + 1) * 10 for i, line in enumerate(body.lines)]
    return sorted(range(len(positions)), key=positions.__getitem__)
