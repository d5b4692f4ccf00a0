"""Spreadsheet import rules: header matching, cell values, item rows, both BOM shapes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.catalog.domain.sheet_boms import (
    BOM_REQUIRED,
    BOM_TABLE,
    bom_shape,
    bottom_up,
    cycle_problems,
    line_fields,
    parse_indented,
    parse_parent_child,
)
from services.catalog.domain.sheet_items import (
    ITEM_REQUIRED,
    ITEM_TABLE,
    item_row,
    item_sheet_field,
)
from services.catalog.domain.spreadsheet import (
    HeaderTable,
    cell_choice,
    cell_level,
    read_row,
    resolve_unit,
)
from shared.spreadsheet import (
    CellError,
    cell_bool,
    cell_decimal,
    cell_int,
    cell_text,
    column_letter,
    data_rows,
    duplicate_problems,
    find_header_row,
    normalize_header,
)

UNITS = {"pcs", "kg", "reel", "set", "m"}


# --- headers ---------------------------------------------------------------------------


@pytest.mark.parametrize(("header", "field"), [
    ("物料编码", "code"), ("料号", "code"), ("Part Number", "code"), ("P/N", "code"),
    ("part_no", "code"), ("ＰＡＲＴ　ＮＯ", "code"), ("*物料编码", "code"),
    ("名称", "name"), ("Name", "name"), ("品名", "name"),
    ("规格", "specification"), ("型号", "specification"), ("Description", "specification"),
    ("单位", "uom"), ("UoM", "uom"), ("U/M", "uom"), ("计量单位", "uom"),
    ("安全库存", "safety_stock"), ("Safety Stock", "safety_stock"),
    ("提前期", "lead_time_days"), ("Lead Time (days)", "lead_time_days"),
    ("提前期（天）", "lead_time_days"), ("lead_time_days", "lead_time_days"),
    ("最小包装", "lot_multiple"), ("MOQ", "lot_minimum_quantity"), ("SPQ", "lot_multiple"),
    ("制造商", "manufacturer"), ("厂家", "manufacturer"), ("制造商料号", "mpn"),
    ("Manufacturer Part Number", "mpn"), ("MPN", "mpn"), ("物料类型", "item_type"),
    ("物料编码 Code", "code"), ("名称 Name", "name"),
    ("保质期(天) Shelf Life Days", "shelf_life_days"),
    ("attr:msl", "attributes.msl"), ("属性:封装", "attributes.封装"),
])  # fmt: skip
def test_item_headers_match_in_chinese_and_english(header: str, field: str) -> None:
    assert ITEM_TABLE.match(header) == (field, "")


@pytest.mark.parametrize(("header", "field"), [
    ("层级", "level"), ("阶层", "level"), ("Level", "level"), ("Lvl", "level"),
    ("位号", "designators"), ("Designator", "designators"), ("Reference", "designators"),
    ("用量", "quantity"), ("Qty", "quantity"), ("数量", "quantity"),
    ("父项", "parent_code"), ("父件编码", "parent_code"), ("Parent", "parent_code"),
    ("子项", "component_code"), ("子件编码", "component_code"), ("Component", "component_code"),
    ("Part Number", "component_code"), ("物料编码", "component_code"),
    ("损耗率(%)", "scrap_percent"), ("Scrap %", "scrap_percent"), ("版本", "revision"),
    ("名称", "name"), ("Description", "specification"), ("Part", "component_code"),
])  # fmt: skip
def test_bom_headers_match(header: str, field: str) -> None:
    assert BOM_TABLE.match(header) == (field, "")


def test_an_eda_line_counter_is_not_the_part() -> None:
    assert ITEM_TABLE.match("Item") == ("code", "")
    assert BOM_TABLE.match("Item")[0] is None


def test_every_template_header_matches_its_own_field() -> None:
    for table in (ITEM_TABLE, BOM_TABLE):
        for column in table.columns:
            for header in (" ".join(column.template), *column.template):
                assert table.match(header) == (column.field, ""), header


def test_unknown_and_ambiguous_headers_say_why() -> None:
    assert ITEM_TABLE.match("颜色") == (None, "not a known column")
    field, reason = ITEM_TABLE.match("名称 Code")
    assert field is None and "ambiguous" in reason


def test_aliases_may_not_name_two_fields() -> None:
    from services.catalog.domain.spreadsheet import Column

    a = Column("a", "text", ("x",), ("甲", "A"))
    b = Column("b", "text", ("X",), ("乙", "B"))
    with pytest.raises(ValueError, match="names a and b"):
        HeaderTable([a, b])


def test_normalize_header() -> None:
    assert normalize_header(" Lead-Time (Days) ") == "leadtimedays"
    assert normalize_header("ＵｏＭ") == "uom"


def test_header_row_is_found_below_a_title() -> None:
    rows: list[list[object]] = [
        ["物料清单导入", None],
        [],
        ["物料编码", "名称", "单位", "物料类型", "颜色", "料号"],
        ["R1", "Resistor", "pcs", "原材料", "red", "dup"],
    ]
    header = find_header_row(rows, ITEM_TABLE, ITEM_REQUIRED)
    assert header.row == 3 and header.missing == ()
    assert [m.field for m in header.matches] == ["code", "name", "uom", "item_type"]
    reasons = {u.header: u.reason for u in header.unmatched}
    assert reasons["颜色"] == "not a known column"
    assert reasons["料号"] == "code is already read from column A"
    assert list(data_rows(rows, header)) == [(4, rows[3])]


def test_missing_required_columns_are_named() -> None:
    header = find_header_row([["Code", "Name"], ["a", "b"]], ITEM_TABLE, ITEM_REQUIRED)
    assert header.row == 1 and set(header.missing) == {"uom", "item_type"}


def test_header_beyond_the_scanned_rows_is_not_found() -> None:
    rows: list[list[object]] = [[f"title {n}"] for n in range(10)]
    rows.append(["Code", "Name", "UoM", "Type"])
    assert find_header_row(rows, ITEM_TABLE, ITEM_REQUIRED).missing


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 1, 25, 26, 27, 701, 702)] == [
        "A", "B", "Z", "AA", "AB", "ZZ", "AAA"
    ]  # fmt: skip


# --- cells -----------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "value"), [
    (5000, "5000"), (5000.0, "5000"), ("5,000", "5000"), ("5000.0", "5000"), (" 12.50 ", "12.5"),
    (0.1, "0.1"), (0.30000000000000004, "0.3"), (2.9999999999999996, "3"), (1e20, "1E+20"),
    ("1,234,567.891", "1234567.891"), ("５０００", "5000"), ("1e3", "1E+3"), ("-2", "-2"),
    (Decimal("1.50"), "1.5"), (0.000001, "0.000001"),
])  # fmt: skip
def test_numbers_are_read_exactly(raw: object, value: str) -> None:
    assert cell_decimal(raw) == Decimal(value)


def test_numbers_have_no_exponent() -> None:
    assert str(cell_decimal(5000.0)) == "5000"
    assert str(cell_decimal("1e3")) == "1000"


@pytest.mark.parametrize("raw", ["abc", "1,5", "5,00", "", "NaN", "inf", True, "1.2.3"])
def test_bad_numbers_are_refused(raw: object) -> None:
    with pytest.raises(CellError):
        cell_decimal(raw)


def test_percent_and_integers() -> None:
    assert cell_decimal("2.5%", percent=True) == Decimal("2.5")
    with pytest.raises(CellError):
        cell_decimal("2.5%")
    assert cell_int(14.0) == 14 and cell_int("7") == 7
    with pytest.raises(CellError, match="whole"):
        cell_int(1.5)


@given(st.decimals(min_value=-(10**8) + 1, max_value=10**8 - 1, places=6, allow_nan=False))
def test_a_float_cell_reads_back_as_the_decimal_written(value: Decimal) -> None:
    assert cell_decimal(float(value)) == value.normalize()
    assert cell_decimal(format(value, "f")) == value


@pytest.mark.parametrize(("raw", "value"), [
    ("Y", True), ("n", False), ("是", True), ("否", False), ("TRUE", True), ("false", False),
    (True, True), ("1", True), ("0", False), ("yes", True),
])  # fmt: skip
def test_booleans(raw: object, value: bool) -> None:
    assert cell_bool(raw) is value


def test_bad_boolean() -> None:
    with pytest.raises(CellError, match="yes or no"):
        cell_bool("maybe")


def test_text_of_number_cells_keeps_codes() -> None:
    assert cell_text(10001.0) == "10001"
    assert cell_text(0.5) == "0.5"
    assert cell_text("  R1 ") == "R1"
    assert cell_text(datetime(2024, 1, 2)) == "2024-01-02"
    assert cell_text(date(2024, 1, 2)) == "2024-01-02"
    assert cell_text(None) == ""


def test_text_is_kept_as_written_but_codes_and_numbers_are_unfolded() -> None:
    from services.catalog.domain.spreadsheet import parse_cell

    assert parse_cell("text", " 10µF（贴片）² ") == "10µF（贴片）²"
    assert parse_cell("code", "ＡＢ－１") == "AB-1"
    assert parse_cell("decimal", "１２．５") == Decimal("12.5")


@pytest.mark.parametrize(("kind", "raw", "value"), [
    ("item_type", "原材料", "raw_material"), ("item_type", "RM", "raw_material"),
    ("item_type", "Raw Material", "raw_material"), ("item_type", "raw", "raw_material"),
    ("item_type", "半成品", "semi_finished"), ("item_type", "成品", "finished_good"),
    ("item_type", "FG", "finished_good"), ("item_type", "finished_good", "finished_good"),
    ("procurement", "采购", "buy"), ("procurement", "自制", "make"),
    ("procurement", "Make", "make"),
    ("tracking", "批次", "lot"), ("tracking", "序列号", "serial"), ("tracking", "None", "none"),
    ("lifecycle", "停产", "end_of_life"), ("lifecycle", "NRND", "not_recommended"),
    ("lot_policy", "MOQ", "minimum"), ("lot_policy", "lot-for-lot", "lot_for_lot"),
])  # fmt: skip
def test_choices_accept_chinese_and_english(kind: str, raw: str, value: str) -> None:
    assert cell_choice(kind, raw) == value


def test_bad_choice_lists_the_allowed_values() -> None:
    with pytest.raises(CellError, match="raw_material, semi_finished, finished_good"):
        cell_choice("item_type", "gadget")


@pytest.mark.parametrize(("raw", "level"), [
    (0, 0), (1, 1), (2.0, 2), ("3", 3), (".1", 1), ("..2", 2), ("...3", 3), ("..", 2),
])  # fmt: skip
def test_levels(raw: object, level: int) -> None:
    assert cell_level(raw) == level


@pytest.mark.parametrize("raw", ["a", "..3", "-1", 1.5])
def test_bad_levels(raw: object) -> None:
    with pytest.raises(CellError):
        cell_level(raw)


def test_units_resolve_common_names_only_to_known_units() -> None:
    assert resolve_unit("pcs", UNITS) == "pcs"
    assert resolve_unit("PCS", UNITS) == "pcs"
    assert resolve_unit("个", UNITS) == "pcs"
    assert resolve_unit("套", UNITS) == "set"
    assert resolve_unit("盒", UNITS) == "盒"  # box is not a known unit here
    assert resolve_unit("furlong", UNITS) == "furlong"


# --- item rows -------------------------------------------------------------------------

ITEM_HEADER = ["物料编码", "名称", "单位", "物料类型", "安全库存", "最小包装", "标准成本",
               "制造商", "制造商料号", "attr:msl"]  # fmt: skip


def _item(cells: list[object], *, may_write_cost: bool = True):  # type: ignore[no-untyped-def]
    header = find_header_row([ITEM_HEADER], ITEM_TABLE, ITEM_REQUIRED)
    parsed = read_row(2, cells, header, ITEM_TABLE, UNITS)
    return item_row(parsed, header, may_write_cost=may_write_cost)


def test_item_row_payload() -> None:
    row = _item(["R1", "Resistor", "个", "原材料", "1,000", 5000.0, 0.0123, "Yageo", "RC1", 3.0])
    assert row.problems == ()
    assert row.code == "R1" and (row.manufacturer, row.mpn) == ("Yageo", "RC1")
    assert row.payload == {
        "code": "R1", "name": "Resistor", "uom": "pcs", "item_type": "raw_material",
        "safety_stock": Decimal(1000), "standard_cost": Decimal("0.0123"),
        "lot_sizing": {"multiple": Decimal(5000), "policy": "minimum"},
        "attributes": {"msl": 3},
    }  # fmt: skip


def test_item_row_problems_name_row_and_column() -> None:
    row = _item(["R1", "Resistor", "pcs", "gadget", "lots", None, 1, "Yageo", None, None],
                may_write_cost=False)  # fmt: skip
    where = {(p.row, p.column, p.field) for p in row.problems}
    assert where == {
        (2, 3, "item_type"), (2, 4, "safety_stock"), (2, 6, "standard_cost"), (2, 8, "mpn")
    }  # fmt: skip
    assert "standard_cost" not in row.payload and "item_type" not in row.payload


def test_item_paths_map_to_sheet_fields() -> None:
    assert item_sheet_field("lot_sizing.multiple") == "lot_multiple"
    assert item_sheet_field("lot_sizing") == "lot_policy"
    assert item_sheet_field("uom") == "uom"


def test_duplicates_are_errors_on_every_row() -> None:
    problems = duplicate_problems([(2, "A"), (3, "B"), (5, "A")], 0, "code", "code")
    assert [(p.row, p.reason) for p in problems] == [
        (2, "duplicate code 'A': also on row(s) 5"), (5, "duplicate code 'A': also on row(s) 2"),
    ]  # fmt: skip


# --- BOMs ------------------------------------------------------------------------------


def _rows(header_cells: list[object], body: list[list[object]]):  # type: ignore[no-untyped-def]
    sheet = [header_cells, *body]
    header = find_header_row(sheet, BOM_TABLE, list(BOM_REQUIRED.values()))
    rows = [read_row(n, c, header, BOM_TABLE, UNITS) for n, c in data_rows(sheet, header)]
    return header, rows


INDENTED = ["Level", "Part Number", "Description", "Qty", "Designator", "版本"]


def test_indented_bom_with_level_zero_and_subassembly() -> None:
    header, rows = _rows(INDENTED, [
        [0, "TOP", "Board", None, None, "B"],
        [1, "PCB", "", 1, None, None],
        [".1", "SUB", "", 2, None, "C"],
        ["..2", "R1", "", 4, "R1-R4", None],
        [1, "C1", "", 2.0, "C1,C2", None],
    ])  # fmt: skip
    assert bom_shape(header, None) == "indented"
    boms, problems = parse_indented(rows, header, top_code=None, revision="A")
    assert problems == []
    assert [(b.parent_code, b.revision, b.parent_row) for b in boms] == [
        ("TOP", "B", 2), ("SUB", "C", 4)
    ]  # fmt: skip
    top, sub = boms
    assert [(line.row, line.values["component_code"]) for line in top.lines] == [
        (3, "PCB"), (4, "SUB"), (6, "C1")
    ]  # fmt: skip
    assert sub.payload()["lines"] == [
        {"component_code": "R1", "quantity": Decimal(4), "designators": "R1-R4"}
    ]
    assert bottom_up(boms) == [1, 0]


def test_indented_bom_takes_the_parent_from_item_code() -> None:
    header, rows = _rows(INDENTED[:5], [[1, "A", "", 1, ""], [1, "B", "", 2, ""]])
    boms, problems = parse_indented(rows, header, top_code="TOP", revision="A")
    assert problems == [] and [b.parent_code for b in boms] == ["TOP"]
    assert boms[0].parent_row is None and len(boms[0].lines) == 2


def test_indented_structure_problems() -> None:
    header, rows = _rows(INDENTED[:5], [
        [1, "A", "", 1, ""],  # no parent
        [0, "TOP", "", None, ""],
        [2, "B", "", 1, ""],  # jumps a level
        [1, "C", "", None, ""],  # no quantity
        ["x", "D", "", 1, ""],  # bad level
        [1, "E", "", "many", ""],  # bad quantity
    ])  # fmt: skip
    _, problems = parse_indented(rows, header, top_code=None, revision="A")
    found = {(p.row, p.field) for p in problems}
    assert found == {
        (2, "level"), (4, "level"), (5, "quantity"), (6, "level"), (7, "quantity")
    }  # fmt: skip
    assert {p.column for p in problems if p.field == "quantity"} == {3}


def test_a_subassembly_listed_twice_must_list_the_same_components() -> None:
    header, rows = _rows(INDENTED[:5], [
        [0, "TOP", "", None, ""], [1, "SUB", "", 1, ""], [2, "R", "", 1, ""],
        [1, "SUB", "", 1, ""], [2, "R", "", 1, ""],
        [1, "SUB", "", 1, ""], [2, "C", "", 1, ""],
        [1, "SUB", "", 1, ""],
    ])  # fmt: skip
    boms, problems = parse_indented(rows, header, top_code=None, revision="A")
    assert [b.parent_code for b in boms] == ["TOP", "SUB"]
    assert [(p.row, p.reason) for p in problems] == [
        (7, "'SUB' lists other components than at row 3")
    ]


def test_parent_child_bom() -> None:
    header, rows = _rows(["父项编码", "子项编码", "用量", "位号", "单位", "版本", "损耗率(%)"], [
        ["TOP", "SUB", 1, "", "个", "B", None],
        ["SUB", "R1", 2, "R1,R2", "pcs", None, "1%"],
        ["TOP", "C1", 1, "", None, None, None],
        ["TOP", "C2", 1, "", None, "X", None],
        [None, "C3", 1, "", None, None, None],
    ])  # fmt: skip
    assert bom_shape(header, None) == "parent_child"
    boms, problems = parse_parent_child(rows, header, revision="A")
    assert [(b.parent_code, b.revision, len(b.lines)) for b in boms] == [
        ("TOP", "B", 3), ("SUB", "A", 1)
    ]  # fmt: skip
    assert boms[0].lines[0].values["uom"] == "pcs"
    assert boms[1].lines[0].values["scrap_percent"] == Decimal(1)
    assert {(p.row, p.field) for p in problems} == {(5, "revision"), (6, "parent_code")}


def test_cycles_in_the_file_name_their_rows() -> None:
    header, rows = _rows(["Parent", "Child", "Qty"], [
        ["A", "B", 1], ["B", "C", 1], ["C", "A", 1], ["A", "D", 1], ["D", "D", 1]
    ])  # fmt: skip
    boms, _ = parse_parent_child(rows, header, revision="A")
    problems = cycle_problems(boms, header.column_of("component_code"))
    assert {p.row for p in problems} == {2, 3, 4, 6}
    by_row = {p.row: p.reason for p in problems}
    assert by_row[2] == by_row[3] == by_row[4]
    assert by_row[2].startswith("cycle ") and by_row[2].count(" -> ") == 3
    assert sorted(by_row[2].split("(rows ")[1].rstrip(")").split(", ")) == ["2", "3", "4"]
    assert by_row[6] == "cycle D -> D (rows 6)"
    assert all(p.column == 1 for p in problems)


def test_line_paths() -> None:
    assert line_fields("lines.3.quantity") == (3, "quantity")
    assert line_fields("lines.0.substitutes.1.component_code") == (0, "component_code")
    assert line_fields("revision") == (None, "revision")
