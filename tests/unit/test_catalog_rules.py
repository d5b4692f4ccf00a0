"""Pure catalog rules: designators, units, lot sizing, effectivity, cycles."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.catalog.domain.bom import designator_problem, find_cycle, is_effective, overlaps
from services.catalog.domain.designators import DesignatorError, expand
from services.catalog.domain.items import LotSizing, lot_size, lot_sizing_errors
from services.catalog.domain.units import ConversionError, Rounding, UnitRule, conversion_factor

D = Decimal


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("R1, R3-R5", ["R1", "R3", "R4", "R5"]),
        ("C1 C2;C3，C4、C5", ["C1", "C2", "C3", "C4", "C5"]),
        ("U3 - U5", ["U3", "U4", "U5"]),
        ("R10-12", ["R10", "R11", "R12"]),
        ("", []),
        ("TP1", ["TP1"]),
    ],
)
def test_designators_expand(text: str, names: list[str]) -> None:
    assert expand(text) == names


@pytest.mark.parametrize("text", ["R1,R1", "R5-R3", "R1-C4", "R1-R99999", "R#1"])
def test_bad_designators_are_refused(text: str) -> None:
    with pytest.raises(DesignatorError):
        expand(text)


@given(st.integers(1, 500), st.integers(0, 300))
def test_a_range_names_as_many_places_as_it_spans(start: int, span: int) -> None:
    assert len(expand(f"R{start}-R{start + span}")) == span + 1


def test_designator_count_is_per_parent_and_only_for_whole_units() -> None:
    assert designator_problem("R1-R4", D(4), D(1), True) is None
    assert designator_problem("R1-R4", D(40), D(10), True) is None
    assert "4 designators" in str(designator_problem("R1-R4", D(3), D(1), True))
    assert designator_problem("G1", D("0.3"), D(1), False) is None
    assert designator_problem("", D(3), D(1), True) is None


def test_unit_rounding_and_conversions() -> None:
    pcs = UnitRule("pcs", 0, Rounding.UP)
    reel = UnitRule("reel", 0, Rounding.UP)
    kg = UnitRule("kg", 3, Rounding.HALF_UP)
    g = UnitRule("g", 3, Rounding.HALF_UP, "kg", D("0.001"))
    assert pcs.round(D("2.01")) == 3 and kg.round(D("1.2345")) == D("1.235")
    assert conversion_factor(reel, pcs, stock_unit="pcs", item_factors={"reel": D(5000)}) == 5000
    assert conversion_factor(pcs, reel, stock_unit="pcs", item_factors={"reel": D(4000)}) == D(
        "0.00025"
    )
    assert conversion_factor(g, kg) == D("0.001") and conversion_factor(kg, g) == 1000
    with pytest.raises(ConversionError):
        conversion_factor(reel, pcs)  # no item rule: a reel means nothing in general


def test_lot_sizing() -> None:
    assert lot_size(D(1), LotSizing.MINIMUM, None, D(10000), D(5000)) == 10000
    assert lot_size(D(12001), LotSizing.MINIMUM, None, D(10000), D(5000)) == 15000
    assert lot_size(D(7), LotSizing.FIXED, D(5), None, None) == 10
    assert lot_size(D(7), LotSizing.LOT_FOR_LOT, None, None, None) == 7
    assert lot_size(D(0), LotSizing.FIXED, D(5), None, None) == 0
    assert lot_sizing_errors(LotSizing.FIXED, None, None, None)
    assert lot_sizing_errors(LotSizing.LOT_FOR_LOT, None, D(1), None)
    assert not lot_sizing_errors(LotSizing.MINIMUM, None, None, D(5000))


def test_windows_and_cycles() -> None:
    jan, jun, dec = date(2026, 1, 1), date(2026, 6, 1), date(2026, 12, 31)
    assert overlaps(jan, None, jun, None)
    assert overlaps(jan, dec, None, jan)
    assert not overlaps(jan, date(2026, 5, 31), jun, None)
    assert is_effective(jan, dec, jun) and not is_effective(jun, None, jan)
    assert find_cycle([(1, 2), (2, 3)]) is None
    cycle = find_cycle([(1, 2), (2, 3), (3, 1), (4, 1)])
    assert cycle is not None and cycle[0] == cycle[-1] and set(cycle) == {1, 2, 3}
