"""The in-memory BOM graph: explosion math, effectivity, where-used, LLC, cost, diff."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from services.catalog.domain.bom_graph import (
    ARITHMETIC,
    BomGraph,
    CostSource,
    ExplosionRow,
    ItemNode,
    Line,
    Substitute,
    TooManyRows,
    UsedAs,
    Version,
    compact,
    plain,
)
from services.catalog.domain.units import Rounding, UnitRule

D = Decimal
ON = date(2025, 6, 1)
TOP, SUB, KIT, R1, C1, PCB, SOLDER, SCREW, LABEL, C2, SPARE = range(1, 12)
UNITS = {
    "pcs": UnitRule("pcs", 0, Rounding.UP),
    "kg": UnitRule("kg", 3, Rounding.HALF_UP),
    "g": UnitRule("g", 3, Rounding.HALF_UP, "kg", D("0.001")),
    "reel": UnitRule("reel", 0, Rounding.UP),
}


def items(**costs: Decimal | None) -> list[ItemNode]:
    def node(item_id: int, code: str, kind: str, cost: str | None, uom: str = "pcs") -> ItemNode:
        value = costs.get(code, D(cost) if cost is not None else None)
        return ItemNode(item_id, code, code.title(), uom, kind, "active", value)

    return [
        node(TOP, "TOP", "finished_good", None),
        node(SUB, "SUB", "semi_finished", "9"),
        node(KIT, "KIT", "semi_finished", None),
        node(R1, "R1", "raw_material", "0.01"),
        node(C1, "C1", "raw_material", "0.02"),
        node(PCB, "PCB", "raw_material", "1.5"),
        node(SOLDER, "SOLDER", "raw_material", "20", uom="kg"),
        node(SCREW, "SCREW", "raw_material", "0.05"),
        node(LABEL, "LABEL", "raw_material", "0.001"),
        node(C2, "C2", "raw_material", "0.03"),
        node(SPARE, "SPARE", "raw_material", None),
    ]


def version(
    bom_id: int,
    item_id: int,
    lines: list[Line],
    *,
    revision: str = "A",
    status: str = "released",
    base: str = "1",
    valid_from: date | None = None,
    valid_to: date | None = None,
) -> Version:
    return Version(
        bom_id, item_id, revision, status, valid_from, valid_to, D(base), tuple(lines)
    )


def line(position: int, component: int, quantity: str, uom: str = "pcs", **kw: object) -> Line:
    return Line(position, component, D(quantity), uom, **kw)  # type: ignore[arg-type]


def top_version(status: str = "released") -> Version:
    return version(10, TOP, [
        line(10, SUB, "10"),
        line(20, KIT, "20", phantom=True),
        line(30, R1, "40", scrap_percent=D("5"), fixed_quantity=D("3")),
        line(40, LABEL, "10", consumable=True),
    ], base="10", status=status)


def sub_version(**kw: object) -> Version:
    return version(20, SUB, [
        line(10, PCB, "1", scrap_percent=D("10")),
        line(20, R1, "2", designators="R1-R2"),
        line(30, C1, "3", designators="C1-C3", substitutes=(Substitute(C2, 1, D("1.5")),)),
        line(40, SOLDER, "5", uom="g"),
    ], **kw)  # type: ignore[arg-type]


def kit_version() -> Version:
    return version(30, KIT, [line(10, SCREW, "8")], base="2")


def board(**costs: Decimal | None) -> BomGraph:
    return BomGraph(items(**costs), [top_version(), sub_version(), kit_version()], UNITS)


def by_path(rows: list[ExplosionRow], *codes: str) -> ExplosionRow:
    return next(row for row in rows if row.path == codes)


# --- explosion -----------------------------------------------------------------------------


def test_explosion_rows_levels_paths_and_quantities() -> None:
    graph = board()
    explosion = graph.explode(graph.versions[10], D(5), ON)
    assert [(row.level, row.path[-1]) for row in explosion.rows] == [
        (1, "SUB"), (2, "PCB"), (2, "R1"), (2, "C1"), (2, "SOLDER"),
        (1, "KIT"), (2, "SCREW"),
        (1, "R1"), (1, "LABEL"),
    ]
    rows = explosion.rows
    sub = by_path(rows, "TOP", "SUB")
    assert sub.extended_quantity == 5 and sub.line.quantity_per == 1
    assert sub.child is graph.versions[20] and sub.parent is graph.versions[10]
    # scrap: 5 x 1 x 1.10
    assert by_path(rows, "TOP", "SUB", "PCB").extended_quantity == D("5.5")
    # the line's unit: 5 x 5 g
    solder = by_path(rows, "TOP", "SUB", "SOLDER")
    assert solder.extended_quantity == 25 and solder.line.uom == "g" and solder.child is None
    # phantom shown, passed through with its own extended quantity (5 x 2, BOM per 2 kits)
    kit = by_path(rows, "TOP", "KIT")
    assert kit.line.phantom and kit.extended_quantity == 10 and kit.child is graph.versions[30]
    assert by_path(rows, "TOP", "KIT", "SCREW").extended_quantity == 40
    # base quantity 10: 40 per 10 = 4 per unit; 5 x 4 x 1.05 + fixed 3 once per order
    r1 = by_path(rows, "TOP", "R1")
    assert r1.line.quantity_per == 4 and r1.extended_quantity == 24
    assert by_path(rows, "TOP", "LABEL").line.consumable
    assert not any(row.cycle for row in rows)


def test_fixed_quantity_is_per_order_not_per_unit() -> None:
    graph = board()
    one = by_path(graph.explode(graph.versions[10], D(1), ON).rows, "TOP", "R1")
    hundred = by_path(graph.explode(graph.versions[10], D(100), ON).rows, "TOP", "R1")
    assert one.extended_quantity == D("4.2") + 3
    assert hundred.extended_quantity == D("420") + 3


def test_division_by_the_base_quantity_multiplies_first() -> None:
    graph = BomGraph(items(), [version(50, SUB, [line(10, R1, "1")], base="3")], UNITS)
    row = graph.explode(graph.versions[50], D(3), ON).rows[0]
    assert row.extended_quantity == 1  # not 0.999...
    assert plain(row.extended_quantity) == "1"
    assert row.line.quantity_per == ARITHMETIC.divide(D(1), D(3))


def test_a_draft_top_explodes_over_released_versions() -> None:
    graph = board()
    draft = version(99, TOP, [line(10, SUB, "2"), line(20, SPARE, "1")], status="draft")
    explosion = graph.explode(draft, D(1), ON)
    assert [row.path for row in explosion.rows][:3] == [
        ("TOP", "SUB"), ("TOP", "SUB", "PCB"), ("TOP", "SUB", "R1")
    ]
    assert by_path(explosion.rows, "TOP", "SUB", "R1").extended_quantity == 4
    with pytest.raises(ValueError):
        BomGraph(items(), [draft])


def test_effectivity_picks_the_version_of_the_date() -> None:
    old = sub_version(valid_from=date(2025, 1, 1), valid_to=date(2025, 6, 30))
    new = version(21, SUB, [line(10, PCB, "1"), line(20, C1, "4")], revision="B",
                  valid_from=date(2025, 7, 1))
    graph = BomGraph(items(), [top_version(), old, new, kit_version()], UNITS)
    before = graph.explode(graph.versions[10], D(1), date(2025, 6, 30))
    after = graph.explode(graph.versions[10], D(1), date(2025, 7, 1))
    none = graph.explode(graph.versions[10], D(1), date(2024, 12, 31))
    assert by_path(before.rows, "TOP", "SUB").child is old
    assert by_path(after.rows, "TOP", "SUB").child is new
    assert by_path(after.rows, "TOP", "SUB", "C1").extended_quantity == 4
    sub = by_path(none.rows, "TOP", "SUB")
    assert sub.child is None and not any(len(row.path) > 2 and row.path[1] == "SUB"
                                         for row in none.rows)


def test_max_levels_cuts_the_depth_but_keeps_the_child_bom() -> None:
    graph = board()
    explosion = graph.explode(graph.versions[10], D(1), ON, max_levels=1)
    assert [row.path[-1] for row in explosion.rows] == ["SUB", "KIT", "R1", "LABEL"]
    assert explosion.rows[0].child is graph.versions[20]
    # a phantom that is not passed through (cut) is a requirement itself
    needs = {r.component.code: r for r in graph.requirements(explosion)}
    assert "KIT" in needs and needs["SUB"].sub_assembly


def test_a_cycle_is_cut_not_followed_forever() -> None:
    a, b = items()[0:2]
    graph = BomGraph(
        [a, b], [version(1, a.id, [line(10, b.id, "1")]), version(2, b.id, [line(10, a.id, "2")])]
    )
    explosion = graph.explode(graph.versions[1], D(1), ON)
    assert [(row.path, row.cycle) for row in explosion.rows] == [
        (("TOP", "SUB"), False), (("TOP", "SUB", "TOP"), True)
    ]
    assert explosion.cycles == [("TOP", "SUB", "TOP")]


def test_too_many_rows_is_refused() -> None:
    graph = board()
    with pytest.raises(TooManyRows):
        graph.explode(graph.versions[10], D(1), ON, max_rows=3)


def test_a_line_unit_converts_into_the_childs_stock_unit() -> None:
    reel = ItemNode(40, "REEL-R", "Resistor reel", "pcs", "semi_finished",
                    conversions={"reel": D(5000)})
    graph = BomGraph(
        [*items(), reel],
        [version(1, TOP, [line(10, 40, "2", uom="reel")]), version(2, 40, [line(10, R1, "1")])],
        UNITS,
    )
    explosion = graph.explode(graph.versions[1], D(1), ON)
    assert by_path(explosion.rows, "TOP", "REEL-R").extended_quantity == 2
    assert by_path(explosion.rows, "TOP", "REEL-R", "R1").extended_quantity == 10000


def test_a_unit_that_does_not_convert_is_kept_apart() -> None:
    graph = BomGraph(items(), [version(1, TOP, [line(10, R1, "2", uom="reel"), line(20, R1, "3")])],
                     UNITS)
    explosion = graph.explode(graph.versions[1], D(1), ON)
    needs = {(r.component.code, r.uom): r.quantity for r in graph.requirements(explosion)}
    assert needs == {("R1", "reel"): 2, ("R1", "pcs"): 3}
    rollup = graph.roll_up_cost(graph.versions[1], ON)
    assert [m.component.code for m in rollup.missing] == ["R1"]
    assert rollup.cost_per_unit == D("0.03") and not rollup.complete
    assert graph.unknown_items(version(2, TOP, [line(10, 777, "1")], status="draft")) == {777}


# --- requirements --------------------------------------------------------------------------


def test_requirements_pass_phantoms_through_and_sum_leaves() -> None:
    graph = board()
    needs = graph.requirements(graph.explode(graph.versions[10], D(5), ON))
    found = {(r.component.code, r.consumable): r for r in needs}
    assert ("KIT", False) not in found  # passed through
    assert found[("SCREW", False)].quantity == 40
    assert found[("R1", False)].quantity == 34 and found[("R1", False)].occurrences == 2
    assert found[("R1", False)].lowest_level == 2
    assert found[("SUB", False)].sub_assembly and found[("SUB", False)].quantity == 5
    assert not found[("PCB", False)].sub_assembly
    # grams are summed in the stock unit
    assert found[("SOLDER", False)].quantity == D("0.025")
    assert found[("SOLDER", False)].uom == "kg"
    assert found[("LABEL", True)].quantity == 5
    assert [r.component.code for r in needs] == sorted(r.component.code for r in needs)


# --- where-used ----------------------------------------------------------------------------


def test_single_level_where_used_lists_direct_parents() -> None:
    graph = board()
    used = graph.where_used(R1, multi_level=False)
    assert [(row.parent_item.code, row.use.line.position, row.level) for row in used.rows] == [
        ("SUB", 20, 1), ("TOP", 30, 1)
    ]
    assert used.top_products == []
    assert [row.top for row in used.rows] == [False, True]


def test_multi_level_where_used_reaches_the_top_products() -> None:
    extra = version(60, SPARE, [line(10, SUB, "1")], valid_from=date(2026, 1, 1))
    graph = BomGraph([*items()], [top_version(), sub_version(), kit_version(), extra], UNITS)
    used = graph.where_used(C1, multi_level=True)
    assert [(row.level, row.path) for row in used.rows] == [
        (1, ("C1", "SUB")), (2, ("C1", "SUB", "SPARE")), (2, ("C1", "SUB", "TOP"))
    ]
    assert [item.code for item in used.top_products] == ["SPARE", "TOP"]
    # a date leaves out versions not effective then
    dated = graph.where_used(C1, multi_level=True, on=ON)
    assert [item.code for item in dated.top_products] == ["TOP"]


def test_substitutes_count_as_uses() -> None:
    graph = board()
    used = graph.where_used(C2, multi_level=True)
    first = used.rows[0]
    assert first.use.used_as is UsedAs.SUBSTITUTE and first.parent_item.code == "SUB"
    assert first.use.quantity == D("4.5") and first.use.ratio == D("1.5")
    assert [item.code for item in used.top_products] == ["TOP"]
    assert graph.where_used(SPARE, multi_level=True).rows == []


# --- low-level codes -----------------------------------------------------------------------


def test_low_level_codes_are_the_deepest_level() -> None:
    codes = board().low_level_codes()
    assert codes.codes == {
        TOP: 0, SUB: 1, KIT: 1, LABEL: 1, R1: 2, C1: 2, C2: 2, PCB: 2, SOLDER: 2, SCREW: 2,
        SPARE: 0,
    }
    assert codes.max_level == 2 and codes.cyclic == []


def test_low_level_codes_terminate_on_a_cycle() -> None:
    nodes = items()
    graph = BomGraph(nodes, [
        version(1, TOP, [line(10, SUB, "1")]),
        version(2, SUB, [line(10, KIT, "1")]),
        version(3, KIT, [line(10, SUB, "1"), line(20, R1, "1")]),
    ])
    codes = graph.low_level_codes()
    assert codes.cyclic
    assert codes.codes[TOP] == 0 and codes.codes[R1] > codes.codes[KIT] >= 1


# --- cost roll-up --------------------------------------------------------------------------


def test_cost_roll_up_uses_rolled_up_and_standard_costs() -> None:
    graph = board()
    rollup = graph.roll_up_cost(graph.versions[10], ON)
    costs = {cost.component.code: cost for cost in rollup.lines}
    # SUB: PCB 1 x 1.1 x 1.5 + R1 2 x 0.01 + C1 3 x 0.02 + SOLDER 0.005 kg x 20 (not its 9)
    assert costs["SUB"].unit_cost == D("1.83") and costs["SUB"].source is CostSource.ROLLED_UP
    assert costs["KIT"].unit_cost == D("0.2")  # 8 screws per 2 kits
    assert costs["R1"].source is CostSource.STANDARD
    assert costs["R1"].cost_per_unit == D("0.042") and costs["R1"].fixed_cost_per_order == D("0.03")
    assert rollup.cost_per_unit == D("2.273")
    assert rollup.cost_per_base_quantity == D("22.73")
    assert rollup.fixed_cost_per_order == D("0.03")
    assert rollup.complete and rollup.missing == []


def test_missing_costs_are_listed_not_zero() -> None:
    graph = board(C1=None)
    rollup = graph.roll_up_cost(graph.versions[10], ON)
    assert not rollup.complete
    assert [(m.component.code, m.paths) for m in rollup.missing] == [
        ("C1", [("TOP", "SUB", "C1")])
    ]
    sub = next(cost for cost in rollup.lines if cost.component.code == "SUB")
    assert not sub.complete and sub.unit_cost == D("1.77")
    assert rollup.cost_per_unit == D("2.213")
    leaf = graph.roll_up_cost(graph.versions[20], ON)
    c1 = next(cost for cost in leaf.lines if cost.component.code == "C1")
    assert c1.source is CostSource.MISSING and c1.cost_per_unit is None


# --- diff ----------------------------------------------------------------------------------


def test_diff_reports_added_removed_and_changed_lines() -> None:
    graph = board()
    after = version(21, SUB, [
        line(10, PCB, "1", scrap_percent=D("10")),
        line(20, R1, "3", designators="R1-R3"),
        line(35, C1, "3", designators="C1-C3",
             substitutes=(Substitute(C2, 1, D("2")), Substitute(SPARE, 2, D(1)))),
        line(50, SCREW, "4"),
    ], revision="B", status="draft", valid_from=date(2025, 7, 1))
    diff = graph.diff(graph.versions[20], after)
    assert [c.field for c in diff.header_changes] == ["effective_from"]
    assert diff.header_changes[0].after == "2025-07-01"
    assert [line.component_id for line in diff.added] == [SCREW]
    assert [line.component_id for line in diff.removed] == [SOLDER]
    assert diff.unchanged == 1
    changes = {change.component.code: change for change in diff.changed}
    r1 = changes["R1"]
    assert [(c.field, c.before, c.after) for c in r1.fields] == [
        ("quantity", "2", "3"), ("quantity_per", "2", "3")
    ]
    assert r1.designators_added == ["R3"] and r1.designators_removed == []
    c1 = changes["C1"]
    assert c1.fields == [] and c1.before.position == 30 and c1.after.position == 35
    assert [s.component_id for s in c1.substitutes_added] == [SPARE]
    assert [(s.before.ratio, s.after.ratio) for s in c1.substitutes_changed] == [(D("1.5"), D(2))]


def test_diff_of_identical_versions_is_empty() -> None:
    graph = board()
    diff = graph.diff(graph.versions[20], sub_version())
    assert (diff.added, diff.removed, diff.changed, diff.header_changes) == ([], [], [], [])
    assert diff.unchanged == 4


# --- numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "text"), [
    ("5000", "5000"), ("0.250000", "0.25"), ("1E+2", "100"), ("-0.0", "0"), ("1.0E-7", "0.0000001"),
    ("0E-6", "0"),
])
def test_plain(value: str, text: str) -> None:
    assert plain(D(value)) == text


def test_compact_drops_trailing_zeros_without_an_exponent() -> None:
    assert str(compact(D("1E+2"))) == "100"
    assert str(compact(D("2.500000"))) == "2.5"
    assert str(compact(D("0.000000"))) == "0"
