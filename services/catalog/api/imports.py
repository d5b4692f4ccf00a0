"""Spreadsheet routes: item and BOM imports (dry run or commit), templates, exports."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Path, Query, UploadFile
from fastapi.responses import Response

from services.catalog.api.common import Editor
from services.catalog.domain.items import ItemType
from services.catalog.domain.sheet_boms import Shape
from services.catalog.import_schemas import BomImportResult, ItemImportResult
from services.catalog.schemas import COST_ROLES, ItemOut
from services.catalog.usecases import bom_imports, exports
from services.catalog.usecases import imports as item_imports
from shared.auth.principal import Principal
from shared.http.commands import render
from shared.http.context import Reader
from shared.http.params import IdPath
from shared.http.problems import problem_responses
from shared.policy import filter_readable
from shared.spreadsheet_files import (
    MAX_UPLOAD_BYTES,
    XLSX_MEDIA_TYPE,
    FileTooLarge,
    SheetFile,
    read_sheet,
)

router = APIRouter(tags=["imports"])

Upload = Annotated[
    UploadFile, File(description=".xlsx (also .xls, .ods) or .csv (UTF-8 or GBK); first sheet")
]
DryRun = Annotated[
    bool, Query(description="true (default): only check and report; false: import all or nothing")
]
_XLSX_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"description": "An .xlsx workbook", "content": {XLSX_MEDIA_TYPE: {}}}
}


def _committed(model: type[Any]) -> dict[int | str, dict[str, Any]]:
    return {201: {"model": model, "description": "Imported: everything was created"}}


def _may(principal: Principal, model: type[ItemOut], field: str) -> bool:
    """Whether the field policy lets `principal` read `field` of `model`."""
    return field in filter_readable({field: None}, model, principal)


def _may_write_cost(principal: Principal) -> bool:
    return principal.has_any(COST_ROLES)


async def _sheet(file: UploadFile) -> SheetFile:
    if file.size is not None and file.size > MAX_UPLOAD_BYTES:
        raise FileTooLarge(f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    data = await file.read()
    return await asyncio.to_thread(read_sheet, data, file.filename)


def _xlsx(data: bytes, filename: str) -> Response:
    return Response(
        data,
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post(
    "/v1/imports/items",
    response_model=ItemImportResult,
    operation_id="import_items",
    responses={**_committed(ItemImportResult), **problem_responses(401, 403, 409, 413, 422)},
)
async def import_items(ctx: Editor, file: Upload, dry_run: DryRun = True) -> Response:
    """Import items from a spreadsheet: dry run reports every error, commit is all or nothing."""
    sheet = await _sheet(file)
    may_cost = _may_write_cost(ctx.principal)
    if dry_run:
        async with ctx.db.read() as session:
            result = await item_imports.preview_items(session, sheet, may_write_cost=may_cost)
        return render(ctx, result)
    result = await item_imports.import_items(ctx.uow(), sheet, may_write_cost=may_cost)
    return render(ctx, result, status_code=201)


@router.post(
    "/v1/imports/boms",
    response_model=BomImportResult,
    operation_id="import_boms",
    responses={**_committed(BomImportResult), **problem_responses(401, 403, 409, 413, 422)},
)
async def import_boms(
    ctx: Editor,
    file: Upload,
    dry_run: DryRun = True,
    shape: Annotated[
        Shape | None, Query(description="indented or parent_child; default: from the headers")
    ] = None,
    item_code: Annotated[
        str | None, Query(max_length=64, description="Indented: the assembly of level-1 rows")
    ] = None,
    revision: Annotated[
        str, Query(min_length=1, max_length=20, description="Revision unless a column gives it")
    ] = "A",
    release: Annotated[bool, Query(description="Release each BOM, effective today")] = False,
    supersede: Annotated[
        bool, Query(description="With release: end an overlapping released version")
    ] = False,
) -> Response:
    """Import BOM versions (indented or parent-child) as drafts, optionally released."""
    sheet = await _sheet(file)
    options = bom_imports.BomImportOptions(shape, item_code or None, revision, release, supersede)
    if dry_run and not release:
        async with ctx.db.read() as session:
            result = await bom_imports.preview_boms(session, sheet, options)
        return render(ctx, result)
    result = await bom_imports.import_boms(ctx.uow(), sheet, options, dry_run=dry_run)
    return render(ctx, result, status_code=200 if dry_run else 201)


@router.get(
    "/v1/imports/templates/{kind}",
    response_class=Response,
    operation_id="get_import_template",
    responses={**_XLSX_RESPONSE, **problem_responses(401, 404, 422)},
)
async def get_import_template(
    ctx: Reader,
    kind: Annotated[exports.TemplateKind, Path(description="items, boms-indented, ...")],
) -> Response:
    """Download an .xlsx import template with example rows and a sheet explaining columns."""
    data = await asyncio.to_thread(
        exports.template, kind, with_cost=_may_write_cost(ctx.principal)
    )
    return _xlsx(data, f"template-{kind}.xlsx")


@router.get(
    "/v1/exports/items",
    response_class=Response,
    operation_id="export_items",
    responses={**_XLSX_RESPONSE, **problem_responses(401, 422)},
)
async def export_items(
    ctx: Reader,
    item_type: ItemType | None = None,
    category: Annotated[str | None, Query(max_length=64, description="Category code")] = None,
    code_prefix: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """Export items to .xlsx (re-importable; standard cost only for finance and admin)."""
    async with ctx.db.read() as session:
        data = await exports.export_items(
            session,
            item_type=item_type.value if item_type else None,
            category=category,
            code_prefix=code_prefix,
            with_cost=_may(ctx.principal, ItemOut, "standard_cost"),
        )
    return _xlsx(data, f"items-{date.today():%Y%m%d}.xlsx")


@router.get(
    "/v1/exports/boms/{bom_id}",
    response_class=Response,
    operation_id="export_bom",
    responses={**_XLSX_RESPONSE, **problem_responses(401, 404, 422)},
)
async def export_bom(
    ctx: Reader,
    bom_id: Annotated[IdPath, Path(examples=[7])],
    levels: Annotated[
        int | None, Query(ge=1, le=exports.MAX_LEVELS, description="1: single level; default all")
    ] = None,
) -> Response:
    """Export one BOM version to an indented .xlsx (sub-assemblies: released today)."""
    async with ctx.db.read() as session:
        filename, data = await exports.export_bom(session, bom_id, levels=levels)
    return _xlsx(data, filename)

