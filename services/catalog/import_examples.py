"""OpenAPI examples of the spreadsheet import answers: dry runs on the demo company's data.

Made by the import code itself (`usecases.imports` / `usecases.bom_imports`) from small
sheets as integrators send them (Chinese headers), with the database checks' findings
on the demo (`make demo`): R0402-10K exists already; PCBA-LED has 4 microphones, so
"MK1-MK3" is one designator short. Used by `import_schemas.py` (`json_schema_extra`).
"""

from __future__ import annotations

from typing import Any

#: `POST /v1/imports/items` (dry run): row 3 has a bad lead time, row 4 a taken code.
ITEM_IMPORT_RESULT: dict[str, Any] = {
    "dry_run": True,
    "file_type": "xlsx",
    "sheet": "物料",
    "header_row": 1,
    "matched": [
        {"column": 1, "letter": "A", "header": "物料编码", "field": "code"},
        {"column": 2, "letter": "B", "header": "名称", "field": "name"},
        {"column": 3, "letter": "C", "header": "规格型号", "field": "specification"},
        {"column": 4, "letter": "D", "header": "单位", "field": "uom"},
        {"column": 5, "letter": "E", "header": "物料类型", "field": "item_type"},
        {"column": 6, "letter": "F", "header": "分类", "field": "category"},
        {"column": 7, "letter": "G", "header": "提前期", "field": "lead_time_days"},
        {"column": 8, "letter": "H", "header": "制造商", "field": "manufacturer"},
        {"column": 9, "letter": "I", "header": "制造商料号", "field": "mpn"},
    ],
    "unmatched": [{"column": 10, "letter": "J", "header": "备注", "reason": "not a known column"}],
    "missing": [],
    "errors": [
        {
            "row": 3,
            "column": "G",
            "header": "提前期",
            "field": "lead_time_days",
            "reason": "'three weeks' is not a number",
        },
        {
            "row": 4,
            "column": "A",
            "header": "物料编码",
            "field": "code",
            "reason": "already used by another item",
        },
    ],
    "rows": 3,
    "valid": 1,
    "created": [],
    "manufacturer_parts": 0,
}
#: `POST /v1/imports/boms` (dry run) of a parent-child sheet for PCBA-LED revision B.
BOM_IMPORT_RESULT: dict[str, Any] = {
    "dry_run": True,
    "file_type": "xlsx",
    "sheet": "BOM",
    "header_row": 1,
    "matched": [
        {"column": 1, "letter": "A", "header": "父项编码", "field": "parent_code"},
        {"column": 2, "letter": "B", "header": "子项编码", "field": "component_code"},
        {"column": 3, "letter": "C", "header": "用量", "field": "quantity"},
        {"column": 4, "letter": "D", "header": "位号", "field": "designators"},
        {"column": 5, "letter": "E", "header": "损耗率", "field": "scrap_percent"},
        {"column": 6, "letter": "F", "header": "版本", "field": "revision"},
    ],
    "unmatched": [],
    "missing": [],
    "errors": [
        {
            "row": 4,
            "column": "D",
            "header": "位号",
            "field": "designators",
            "reason": "3 designators but the quantity per parent is 4",
        }
    ],
    "rows": 4,
    "shape": "parent_child",
    "boms": [{"row": 2, "item_code": "PCBA-LED", "revision": "B", "line_count": 4}],
    "lines": 4,
    "created": [],
}

# --- the parts, for the models they are made of ---------------------------------------

HEADER_MATCH_OUT: dict[str, Any] = ITEM_IMPORT_RESULT["matched"][3]
UNMATCHED_HEADER_OUT: dict[str, Any] = ITEM_IMPORT_RESULT["unmatched"][0]
IMPORT_ERROR_OUT: dict[str, Any] = BOM_IMPORT_RESULT["errors"][0]
PLANNED_BOM_OUT: dict[str, Any] = BOM_IMPORT_RESULT["boms"][0]
#: What a commit (`dry_run=false`) of the item sheet, mended, answers in `created`.
CREATED_ITEM: dict[str, Any] = {"row": 2, "id": 1989, "code": "R0402-47K"}
#: What a commit of the BOM sheet, mended, answers in `created`: a draft to release.
CREATED_BOM: dict[str, Any] = {
    "row": 2,
    "id": 8,
    "item_code": "PCBA-LED",
    "revision": "B",
    "status": "draft",
    "line_count": 4,
}
