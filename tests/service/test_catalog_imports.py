"""Spreadsheet imports and exports through the catalog app, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from decimal import Decimal
from typing import Any

import httpx
import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from services.catalog.app import create_app
from services.catalog.settings import Settings
from shared.auth.principal import FINANCE, PLANNER
from tests.conftest import TEST_SECRET, auth, running
from tests.service.catalog_support import line, make_bom, make_item, release, released_bom

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ITEM_HEADER = ["物料编码", "名称", "规格型号", "单位", "物料类型", "安全库存", "提前期(天)",
               "最小包装", "制造商", "制造商料号"]  # fmt: skip


async def _catalog_app(database_factory: Callable[[str], Any]) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=await database_factory("catalog"),
        internal_token_secret=TEST_SECRET,
        run_background_tasks=False,
        log_json=True,
    )
    async with running(create_app(settings)) as client:
        yield client


@pytest.fixture
async def catalog(database_factory: Callable[[str], Any]) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _catalog_app(database_factory):
        yield client


@pytest.fixture
async def other_catalog(
    database_factory: Callable[[str], Any],
) -> AsyncIterator[httpx.AsyncClient]:
    """A second catalog on its own database (the target of round trips)."""
    async for client in _catalog_app(database_factory):
        yield client


def prefix() -> str:
    return f"T{uuid.uuid4().hex[:6].upper()}"


def xlsx(rows: Sequence[Sequence[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def read_xlsx(data: bytes, sheet: int = 0) -> list[list[Any]]:
    return CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(sheet).to_python()


async def upload(
    client: httpx.AsyncClient,
    path: str,
    data: bytes,
    *,
    filename: str = "upload.xlsx",
    headers: dict[str, str] | None = None,
    **params: Any,
) -> httpx.Response:
    params = {k: str(v).lower() if isinstance(v, bool) else v for k, v in params.items()}
    files = {"file": (filename, data, "application/octet-stream")}
    return await client.post(path, files=files, params=params, headers=headers)


def errors_at(body: dict[str, Any]) -> set[tuple[int | None, str | None, str | None]]:
    return {(e["row"], e["column"], e["field"]) for e in body["errors"]}


async def count(client: httpx.AsyncClient, path: str) -> int:
    page = await client.get(path, params={"limit": 200})
    assert page.status_code == 200, page.text
    return len(page.json()["items"])


async def codes_with(client: httpx.AsyncClient, code_prefix: str) -> list[str]:
    page = await client.get("/v1/items", params={"code_prefix": code_prefix, "limit": 200})
    assert page.status_code == 200, page.text
    return [item["code"] for item in page.json()["items"]]


# --- items -----------------------------------------------------------------------------


async def test_item_dry_run_reports_every_error_and_changes_nothing(
    catalog: httpx.AsyncClient,
) -> None:
    p = prefix()
    existing = await make_item(catalog, code=f"{p}-OLD")
    items_before = await count(catalog, "/v1/items")
    data = xlsx([
        ["物料主数据导入 2024"],  # a title above the header row
        [*ITEM_HEADER, "颜色"],
        [f"{p}-1", "电阻 10k", "0402", "个", "原材料", "1,000", 7, 5000, "Yageo", "RC0402"],
        [f"{p}-2", "电容", "", "xx", "原材料", 0, 0, None, None, None],  # unknown unit
        [f"{p}-3", "二极管", "", "pcs", "原材料", "lots", 0, None, None, None],  # bad number
        [f"{p}-1", "重复", "", "pcs", "成品", 0, 0, None, None, None],  # duplicate code
        [existing["code"], "已存在", "", "pcs", "半成品", 0, 0, None, None, None],
        [f"{p}-5", "芯片", "", "pcs", "gadget", 0, 1.5, None, "TI", None],
    ])  # fmt: skip
    response = await upload(catalog, "/v1/imports/items", data)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["dry_run"] is True and body["header_row"] == 2 and body["rows"] == 6
    assert [(m["letter"], m["field"]) for m in body["matched"]][:5] == [
        ("A", "code"), ("B", "name"), ("C", "specification"), ("D", "uom"), ("E", "item_type")
    ]  # fmt: skip
    assert [(u["letter"], u["header"]) for u in body["unmatched"]] == [("K", "颜色")]
    assert errors_at(body) == {
        (4, "D", "uom"),
        (5, "F", "safety_stock"),
        (3, "A", "code"), (6, "A", "code"),
        (7, "A", "code"),
        (8, "E", "item_type"), (8, "G", "lead_time_days"), (8, "J", "mpn"),
    }  # fmt: skip
    by_cell = {(e["row"], e["column"]): e for e in body["errors"]}
    assert by_cell[(4, "D")]["header"] == "单位" and "xx" in by_cell[(4, "D")]["reason"]
    assert "also on row(s) 6" in by_cell[(3, "A")]["reason"]
    assert body["valid"] == 0
    assert body["created"] == []
    assert await codes_with(catalog, p) == [existing["code"]]
    assert await count(catalog, "/v1/items") == items_before


async def test_item_commit_creates_items_and_manufacturer_parts(catalog: httpx.AsyncClient) -> None:
    p = prefix()
    data = xlsx([
        ITEM_HEADER,
        [f"{p}-1", "电阻 10k", "0402", "个", "原材料", "1,000", 7, 5000.0, "Yageo", "RC0402"],
        [f"{p}-2", "主板", "", "set", "成品", None, None, None, None, None],
    ])  # fmt: skip
    response = await upload(catalog, "/v1/imports/items", data, dry_run=False)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["dry_run"] is False and body["errors"] == [] and body["manufacturer_parts"] == 1
    assert [(c["row"], c["code"]) for c in body["created"]] == [(2, f"{p}-1"), (3, f"{p}-2")]
    item = (await catalog.get(f"/v1/items/by-code/{p}-1")).json()
    assert item["uom"] == "pcs" and item["item_type"] == "raw_material"
    assert Decimal(item["safety_stock"]) == 1000 and item["lead_time_days"] == 7
    assert item["lot_sizing"]["policy"] == "minimum"
    assert Decimal(item["lot_sizing"]["multiple"]) == 5000
    parts = (await catalog.get(f"/v1/items/{item['id']}/manufacturer-parts")).json()["items"]
    assert [(m["manufacturer"], m["mpn"]) for m in parts] == [("Yageo", "RC0402")]
    made = (await catalog.get(f"/v1/items/by-code/{p}-2")).json()
    assert made["procurement"] == "make" and made["item_type"] == "finished_good"


async def test_item_commit_is_all_or_nothing(catalog: httpx.AsyncClient) -> None:
    p = prefix()
    rows: list[list[object]] = [ITEM_HEADER]
    rows += [[f"{p}-{n}", f"Part {n}", "", "pcs", "RM", 0, 0, None, None, None] for n in range(30)]
    rows[17][3] = "furlong"
    response = await upload(catalog, "/v1/imports/items", xlsx(rows), dry_run=False)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "import_rejected"
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [(e["row"], e["column"], e["field"]) for e in problem["import_errors"]] == [
        (18, "D", "uom")
    ]
    assert problem["errors"][0]["field"] == "file.rows.18.uom"
    assert await codes_with(catalog, p) == []


async def test_standard_cost_is_for_finance_only(catalog: httpx.AsyncClient) -> None:
    p = prefix()
    data = xlsx([
        ["Part Number", "Name", "UoM", "Type", "Standard Cost"],
        [f"{p}-1", "Screw", "pcs", "raw", 0.0125],
        [f"{p}-2", "Nut", "pcs", "raw", None],
    ])  # fmt: skip
    planner = await upload(catalog, "/v1/imports/items", data, headers=auth(PLANNER))
    assert planner.status_code == 200, planner.text
    assert errors_at(planner.json()) == {(2, "E", "standard_cost")}
    finance_only = await upload(catalog, "/v1/imports/items", data, headers=auth(FINANCE))
    assert finance_only.status_code == 403  # finance may not import items at all
    admin = await upload(catalog, "/v1/imports/items", data, dry_run=False)
    assert admin.status_code == 201, admin.text
    item = (await catalog.get(f"/v1/items/by-code/{p}-1")).json()
    assert Decimal(item["standard_cost"]) == Decimal("0.0125")


async def test_csv_in_gbk_with_english_headers_and_chinese_values(
    catalog: httpx.AsyncClient,
) -> None:
    p = prefix()
    text = (
        "Item Code,Item Name,Description,Unit,Item Type,Tracking,Lead Time\r\n"
        f"{p}-1,贴片电阻,10kΩ ±1%,个,原材料,批次,\"10,000\"\r\n"
        f"{p}-2,成品机箱,,台,成品,序列号,3\r\n"
    )
    data = text.encode("gbk")
    response = await upload(catalog, "/v1/imports/items", data, filename="物料.csv")
    body = response.json()
    assert body["file_type"] == "csv" and body["sheet"] is None
    assert errors_at(body) == {(2, "G", "lead_time_days")}  # 10,000 days is out of range
    fixed = data.replace(b'"10,000"', b"14")
    committed = await upload(catalog, "/v1/imports/items", fixed, filename="a.csv", dry_run=False)
    assert committed.status_code == 201, committed.text
    item = (await catalog.get(f"/v1/items/by-code/{p}-1")).json()
    assert item["name"] == "贴片电阻" and item["specification"] == "10kΩ ±1%"
    assert item["tracking"] == "lot" and item["lead_time_days"] == 14
    box = (await catalog.get(f"/v1/items/by-code/{p}-2")).json()
    assert box["uom"] == "set" and box["tracking"] == "serial"


async def test_utf8_bom_csv_with_semicolons(catalog: httpx.AsyncClient) -> None:
    p = prefix()
    data = f"料号;名称;单位;类型\n{p}-1;Kabel;m;RM\n".encode("utf-8-sig")
    response = await upload(catalog, "/v1/imports/items", data, filename="x.csv", dry_run=False)
    assert response.status_code == 201, response.text
    assert [m["field"] for m in response.json()["matched"]] == ["code", "name", "uom", "item_type"]


async def test_unreadable_and_headerless_files(catalog: httpx.AsyncClient) -> None:
    broken = await upload(catalog, "/v1/imports/items", b"PK\x03\x04garbage", filename="a.xlsx")
    assert broken.status_code == 422 and broken.json()["code"] == "unreadable_file"
    binary = await upload(catalog, "/v1/imports/items", b"\xff\xfe\x00\x81\x00", filename="a")
    assert binary.status_code == 422
    no_header = await upload(catalog, "/v1/imports/items", xlsx([["a", "b"], [1, 2]]))
    body = no_header.json()
    assert no_header.status_code == 200 and set(body["missing"]) == {
        "code", "name", "uom", "item_type"
    }  # fmt: skip
    assert body["errors"][0]["reason"].startswith("no column found in the first 10 rows")
    refused = await upload(catalog, "/v1/imports/items", xlsx([["a"]]), dry_run=False)
    assert refused.status_code == 422 and refused.json()["code"] == "import_rejected"


# --- BOMs ------------------------------------------------------------------------------


async def _parts(client: httpx.AsyncClient, p: str) -> dict[str, dict[str, Any]]:
    made = {name: await make_item(client, made=True, code=f"{p}-{name}") for name in ("TOP", "SUB")}
    bought = {name: await make_item(client, code=f"{p}-{name}") for name in ("R", "C", "PCB")}
    return {**made, **bought}


async def test_indented_bom_dry_run_reports_errors_and_changes_nothing(
    catalog: httpx.AsyncClient,
) -> None:
    p = prefix()
    items = await _parts(catalog, p)
    loop = await make_item(catalog, made=True, code=f"{p}-LOOP")
    await released_bom(catalog, loop, [line(items["TOP"])])  # LOOP contains TOP (released)
    boms_before = await count(catalog, "/v1/boms")
    data = xlsx([
        ["层级", "物料编码", "名称", "用量", "位号"],
        [0, f"{p}-TOP", "主板", None, None],
        [1, f"{p}-PCB", "", 1, None],
        [1, f"{p}-R", "", 4, "R1-R3"],  # 3 designators for 4 pieces
        [1, f"{p}-NOPE", "", 1, None],  # unknown component
        [1, f"{p}-C", "", "2 pcs", None],  # bad number
        [1, f"{p}-SUB", "", 1, None],
        [2, f"{p}-C", "", 2, "C1,C2"],
        [2, f"{p}-TOP", "", 1, None],  # SUB contains TOP: a cycle in the file
        [1, f"{p}-LOOP", "", 1, None],  # TOP contains LOOP, which contains TOP (released)
    ])  # fmt: skip
    response = await upload(catalog, "/v1/imports/boms", data)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["shape"] == "indented" and body["dry_run"] is True
    assert [(b["item_code"], b["revision"], b["line_count"]) for b in body["boms"]] == [
        (f"{p}-TOP", "A", 6), (f"{p}-SUB", "A", 2)
    ]  # fmt: skip
    assert errors_at(body) == {
        (4, "E", "designators"),
        (5, "B", "component_code"),
        (6, "D", "quantity"),
        (7, "B", "component_code"), (9, "B", "component_code"),  # the file's cycle
        (10, "B", "component_code"),  # the cycle through the released BOM
    }  # fmt: skip
    reasons = {(e["row"], e["field"]): e["reason"] for e in body["errors"]}
    assert "3 designators" in reasons[(4, "designators")]
    assert "rows" in reasons[(9, "component_code")] and f"{p}-SUB" in reasons[(9, "component_code")]
    assert f"{p}-LOOP" in reasons[(10, "component_code")]
    assert await count(catalog, "/v1/boms") == boms_before


async def test_indented_bom_commit_and_release(catalog: httpx.AsyncClient) -> None:
    p = prefix()
    await _parts(catalog, p)
    data = xlsx([
        ["Level", "Part Number", "Qty", "Designator", "Scrap %", "Revision"],
        [".1", f"{p}-PCB", 1, None, None, None],
        [".1", f"{p}-SUB", 2, None, None, "B"],
        ["..2", f"{p}-C", 2, "C1, C2", "1%", None],
        [".1", f"{p}-R", 4, "R1-R4", 0.5, None],
    ])  # fmt: skip
    response = await upload(
        catalog, "/v1/imports/boms", data, dry_run=False, item_code=f"{p}-TOP", revision="A1",
        release=True,
    )  # fmt: skip
    assert response.status_code == 201, response.text
    created = {c["item_code"]: c for c in response.json()["created"]}
    assert created[f"{p}-TOP"]["revision"] == "A1" and created[f"{p}-SUB"]["revision"] == "B"
    assert {c["status"] for c in created.values()} == {"released"}
    top = (await catalog.get(f"/v1/boms/{created[f'{p}-TOP']['id']}")).json()
    assert top["status"] == "released"
    assert [(ln["component_code"], Decimal(ln["quantity"])) for ln in top["lines"]] == [
        (f"{p}-PCB", 1), (f"{p}-SUB", 2), (f"{p}-R", 4)
    ]  # fmt: skip
    assert Decimal(top["lines"][2]["scrap_percent"]) == Decimal("0.5")
    sub = (await catalog.get(f"/v1/boms/{created[f'{p}-SUB']['id']}")).json()
    assert sub["lines"][0]["designators"] == "C1, C2"
    assert Decimal(sub["lines"][0]["scrap_percent"]) == 1
    again = await upload(catalog, "/v1/imports/boms", data, item_code=f"{p}-TOP", revision="A1")
    assert {(e["row"], e["field"]) for e in again.json()["errors"]} == {
        (None, "revision"), (3, "revision")
    }  # fmt: skip


async def test_parent_child_bom_is_all_or_nothing(catalog: httpx.AsyncClient) -> None:
    p = prefix()
    await _parts(catalog, p)
    rows: list[list[object]] = [
        ["父件编码", "子件编码", "用量", "位号", "单位", "版本"],
        [f"{p}-TOP", f"{p}-PCB", 1, None, "个", "A"],
        [f"{p}-TOP", f"{p}-SUB", 1, None, None, None],
        [f"{p}-SUB", f"{p}-R", 2, "R1,R2", "pcs", None],
        [f"{p}-SUB", f"{p}-C", 1, None, "furlong", None],
    ]
    bad = await upload(catalog, "/v1/imports/boms", xlsx(rows), dry_run=False)
    assert bad.status_code == 422, bad.text
    assert [(e["row"], e["column"]) for e in bad.json()["import_errors"]] == [(5, "E")]
    assert (await catalog.get("/v1/boms", params={"item_code": f"{p}-TOP"})).json()["items"] == []
    rows[4][4] = None
    good = await upload(
        catalog, "/v1/imports/boms", xlsx(rows), dry_run=False, shape="parent_child"
    )
    assert good.status_code == 201, good.text
    created = good.json()["created"]
    assert [(c["item_code"], c["line_count"], c["status"]) for c in created] == [
        (f"{p}-TOP", 2, "draft"), (f"{p}-SUB", 2, "draft")
    ]  # fmt: skip


async def test_release_problems_show_in_a_dry_run(catalog: httpx.AsyncClient) -> None:
    p = prefix()
    top = await make_item(catalog, made=True, code=f"{p}-TOP")
    eol = await make_item(catalog, code=f"{p}-EOL", lifecycle="end_of_life")
    data = xlsx([["Parent", "Child", "Qty"], [top["code"], eol["code"], 1]])
    response = await upload(catalog, "/v1/imports/boms", data, release=True)
    assert response.status_code == 200, response.text
    assert errors_at(response.json()) == {(2, "B", "component_code")}
    assert (await catalog.get("/v1/boms", params={"item_code": top["code"]})).json()["items"] == []


# --- templates and exports -------------------------------------------------------------


async def test_item_template_imports_as_it_is(catalog: httpx.AsyncClient) -> None:
    response = await catalog.get("/v1/imports/templates/items")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    assert 'filename="template-items.xlsx"' in response.headers["content-disposition"]
    rows = read_xlsx(response.content)
    assert rows[0][0] == "物料编码 Code" and "标准成本 Standard Cost" in rows[0]
    notes = read_xlsx(response.content, 1)
    assert notes[0][0] == "列 Column" and len(notes) > len(rows[0])
    dry = (await upload(catalog, "/v1/imports/items", response.content)).json()
    assert dry["unmatched"] == [] and len(dry["matched"]) == len(rows[0])
    assert dry["errors"] == [] and dry["valid"] == 1
    planner = await catalog.get("/v1/imports/templates/items", headers=auth(PLANNER))
    assert "标准成本 Standard Cost" not in read_xlsx(planner.content)[0]


@pytest.mark.parametrize("kind", ["boms-indented", "boms-parent-child"])
async def test_bom_templates_match_every_header(catalog: httpx.AsyncClient, kind: str) -> None:
    response = await catalog.get(f"/v1/imports/templates/{kind}")
    assert response.status_code == 200, response.text
    header = read_xlsx(response.content)[0]
    body = (await upload(catalog, "/v1/imports/boms", response.content)).json()
    assert body["unmatched"] == [] and len(body["matched"]) == len(header)
    assert body["shape"] == kind.removeprefix("boms-").replace("-", "_")
    # the example codes do not exist here: only unknown items may be reported
    assert body["errors"] and all("unknown item" in e["reason"] for e in body["errors"])


async def test_unknown_template_is_a_problem(catalog: httpx.AsyncClient) -> None:
    response = await catalog.get("/v1/imports/templates/nothing")
    assert response.status_code == 422


SCHEMA = {
    "type": "object",
    "properties": {
        "msl": {"type": "integer", "minimum": 1, "maximum": 6},
        "package": {"enum": ["0402", "0603"]},
    },
    "required": ["package"],
}


async def make_category(client: httpx.AsyncClient, category_code: str) -> None:
    body = {"code": category_code, "name": "Resistors", "attribute_schema": SCHEMA}
    response = await client.post("/v1/categories", json=body)
    assert response.status_code == 201, response.text


async def test_custom_attributes_are_checked_on_their_column(catalog: httpx.AsyncClient) -> None:
    p = prefix()
    await make_category(catalog, f"{p}-RES")
    data = xlsx([
        ["Code", "Name", "UoM", "Type", "Category", "attr:msl", "attr:package"],
        [f"{p}-1", "R", "pcs", "RM", f"{p}-RES", 9, "0402"],
        [f"{p}-2", "R", "pcs", "RM", f"{p}-NONE", 1, "0402"],
        [f"{p}-3", "R", "pcs", "RM", f"{p}-RES", 2, "0603"],
    ])  # fmt: skip
    body = (await upload(catalog, "/v1/imports/items", data)).json()
    assert errors_at(body) == {(2, "F", "attributes.msl"), (3, "E", "category")}
    assert [e["header"] for e in body["errors"]] == ["attr:msl", "Category"]


async def test_items_export_round_trip(
    catalog: httpx.AsyncClient, other_catalog: httpx.AsyncClient
) -> None:
    p = prefix()
    for client in (catalog, other_catalog):
        await make_category(client, f"{p}-RES")
    await make_item(catalog, code=f"{p}-C", category=f"{p}-RES",
                    attributes={"msl": 3, "package": "0402"})  # fmt: skip
    await make_item(
        catalog, code=f"{p}-R", specification="0402 1%", safety_stock="1000.5",
        lead_time_days=21, tracking="lot", shelf_life_days=365, standard_cost="0.0123",
        lot_sizing={"policy": "minimum", "minimum_quantity": "10000", "multiple": "5000"},
    )  # fmt: skip
    await make_item(catalog, code=f"{p}-K", uom="kg", lot_sizing={"policy": "fixed",
                    "fixed_quantity": "2.5"}, lifecycle="not_recommended")  # fmt: skip
    await make_item(catalog, made=True, code=f"{p}-A", item_type="finished_good",
                    name='=HYPERLINK("http://x")')  # stays text, not a formula
    part = await catalog.post(
        f"/v1/items/{(await catalog.get(f'/v1/items/by-code/{p}-R')).json()['id']}"
        "/manufacturer-parts", json={"manufacturer": "Yageo", "mpn": "RC0402"},
    )  # fmt: skip
    assert part.status_code == 201, part.text
    exported = await catalog.get("/v1/exports/items", params={"code_prefix": p})
    assert exported.status_code == 200 and exported.headers["content-type"] == XLSX
    assert "attachment; filename=" in exported.headers["content-disposition"]
    imported = await upload(other_catalog, "/v1/imports/items", exported.content, dry_run=False)
    assert imported.status_code == 201, imported.text
    assert imported.json()["unmatched"] == [] and imported.json()["manufacturer_parts"] == 1

    def comparable(item: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in item.items() if k not in ("id", "created_at", "updated_at")}

    for suffix in ("R", "K", "A", "C"):
        before = (await catalog.get(f"/v1/items/by-code/{p}-{suffix}")).json()
        after = (await other_catalog.get(f"/v1/items/by-code/{p}-{suffix}")).json()
        assert comparable(after) == comparable(before)
    again = await other_catalog.get("/v1/exports/items", params={"code_prefix": p})
    assert read_xlsx(again.content) == read_xlsx(exported.content)
    planner = await catalog.get("/v1/exports/items", params={"code_prefix": p},
                                headers=auth(PLANNER))  # fmt: skip
    header = read_xlsx(planner.content)[0]
    assert "标准成本 Standard Cost" not in header and "物料编码 Code" in header
    only_made = await catalog.get(
        "/v1/exports/items", params={"code_prefix": p, "item_type": "finished_good"}
    )
    assert [row[0] for row in read_xlsx(only_made.content)[1:]] == [f"{p}-A"]
    in_category = await catalog.get("/v1/exports/items", params={"category": f"{p}-RES"})
    rows = read_xlsx(in_category.content)
    assert [row[0] for row in rows[1:]] == [f"{p}-C"]
    assert rows[0][-2:] == ["attr:msl", "attr:package"] and rows[1][-2:] == [3, "0402"]


async def test_bom_export_round_trip(
    catalog: httpx.AsyncClient, other_catalog: httpx.AsyncClient
) -> None:
    p = prefix()
    items = await _parts(catalog, p)
    await released_bom(catalog, items["SUB"], [line(items["C"], "4", designators="C1, C2")],
                       revision="B", base_quantity="2")  # fmt: skip
    top = await make_bom(catalog, items["TOP"], [
        line(items["PCB"]), line(items["SUB"], "1", notes="power"),
        line(items["R"], "4", designators="R1-R4", scrap_percent="0.5", position=50),
    ])  # fmt: skip
    exported = await catalog.get(f"/v1/exports/boms/{top['id']}")
    assert exported.status_code == 200, exported.text
    assert f"bom-{p}-TOP-A.xlsx" in exported.headers["content-disposition"]
    rows = read_xlsx(exported.content)
    assert [(r[0], r[1]) for r in rows[1:]] == [
        (0, f"{p}-TOP"), (1, f"{p}-PCB"), (1, f"{p}-SUB"), (2, f"{p}-C"), (1, f"{p}-R")
    ]  # fmt: skip
    single = await catalog.get(f"/v1/exports/boms/{top['id']}", params={"levels": 1})
    assert len(read_xlsx(single.content)) == 5
    items_file = await catalog.get("/v1/exports/items", params={"code_prefix": p})
    await upload(other_catalog, "/v1/imports/items", items_file.content, dry_run=False)
    imported = await upload(other_catalog, "/v1/imports/boms", exported.content, dry_run=False)
    assert imported.status_code == 201, imported.text
    assert imported.json()["unmatched"] == []
    created = {c["item_code"]: c["id"] for c in imported.json()["created"]}

    def comparable(bom: dict[str, Any]) -> tuple[Any, ...]:
        lines = [{k: v for k, v in ln.items() if k != "component_id"} for ln in bom["lines"]]
        return bom["revision"], bom["base_quantity"], lines

    for code, original_id in ((f"{p}-TOP", top["id"]), (f"{p}-SUB", None)):
        if original_id is None:
            listed = await catalog.get("/v1/boms", params={"item_code": code})
            original_id = listed.json()["items"][0]["id"]
        before = (await catalog.get(f"/v1/boms/{original_id}")).json()
        after = (await other_catalog.get(f"/v1/boms/{created[code]}")).json()
        assert comparable(after) == comparable(before)


async def test_export_of_a_missing_bom_is_404(catalog: httpx.AsyncClient) -> None:
    response = await catalog.get("/v1/exports/boms/999999")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


async def test_release_of_a_new_revision_can_supersede(catalog: httpx.AsyncClient) -> None:
    p = prefix()
    items = await _parts(catalog, p)
    old = await make_bom(catalog, items["TOP"], [line(items["PCB"])])
    assert (await release(catalog, old, effective_from="2020-01-01")).status_code == 200
    data = xlsx([["Parent", "Child", "Qty", "Revision"], [f"{p}-TOP", f"{p}-R", 2, "B"]])
    overlap = await upload(catalog, "/v1/imports/boms", data, release=True, dry_run=False)
    assert overlap.status_code == 422, overlap.text
    [error] = overlap.json()["import_errors"]
    assert (error["row"], error["field"]) == (2, "effective_from")
    assert "overlaps revision A" in error["reason"]
    done = await upload(catalog, "/v1/imports/boms", data, release=True, supersede=True,
                        dry_run=False)  # fmt: skip
    assert done.status_code == 201, done.text
    assert done.json()["created"][0]["status"] == "released"
    ended = (await catalog.get(f"/v1/boms/{old['id']}")).json()
    assert ended["effective_to"] is not None
