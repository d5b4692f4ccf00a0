"""Posting rules of the stock ledger, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.stock.domain.model import (
    BalanceKey,
    LocationType,
    Movement,
    QualityState,
    Stage,
    expiry_date,
    stage_for,
)
from services.stock.domain.posting import (
    InsufficientStock,
    InvalidMovement,
    apply_deltas,
    balance_deltas,
    held_since,
)

SUPPLIER = "VIRTUAL/SUPPLIER"
VIRTUAL = frozenset({SUPPLIER, "VIRTUAL/PRODUCTION"})
PENDING, OK = QualityState.PENDING_INSPECTION, QualityState.QUALIFIED


def move(qty: str, source: str, target: str, s=PENDING, t=PENDING, lot: str = "L1") -> Movement:
    return Movement("R1", lot, Decimal(qty), source, target, s, t)


def test_receipt_changes_only_the_physical_side() -> None:
    deltas = balance_deltas([move("5000", SUPPLIER, "A-01")], VIRTUAL)
    assert deltas == {BalanceKey("R1", "A-01", "L1", PENDING): Decimal(5000)}


def test_transfer_and_state_change_net_out_per_bucket() -> None:
    moves = [move("10", "A", "B"), move("4", "B", "B", PENDING, OK)]
    deltas = balance_deltas(moves, VIRTUAL)
    assert deltas == {
        BalanceKey("R1", "A", "L1", PENDING): Decimal(-10),
        BalanceKey("R1", "B", "L1", PENDING): Decimal(6),
        BalanceKey("R1", "B", "L1", OK): Decimal(4),
    }


@pytest.mark.parametrize("bad", [move("0", SUPPLIER, "A"), move("-1", SUPPLIER, "A"),
                                 move("1", "A", "A")])
def test_invalid_movements_are_refused(bad: Movement) -> None:
    with pytest.raises(InvalidMovement):
        balance_deltas([bad], VIRTUAL)


def test_negative_stock_is_refused_unless_allowed() -> None:
    key = BalanceKey("R1", "A", "L1", PENDING)
    with pytest.raises(InsufficientStock) as info:
        apply_deltas({key: Decimal(3)}, {key: Decimal(-5)})
    assert info.value.available == 3 and info.value.needed == 5
    assert apply_deltas({key: Decimal(3)}, {key: Decimal(-5)}, allow_negative=True) == {
        key: Decimal(-2)
    }


def test_stage_comes_from_item_type_and_location() -> None:
    assert stage_for("raw_material", LocationType.STORAGE) is Stage.RAW
    assert stage_for("raw_material", LocationType.PRODUCTION_LINE) is Stage.WIP
    assert stage_for("semi_finished", LocationType.STORAGE) is Stage.SEMI_FINISHED
    assert stage_for("finished_good", LocationType.FINISHED_GOODS) is Stage.FINISHED
    with pytest.raises(ValueError):
        stage_for("gadget", LocationType.STORAGE)


def test_expiry_from_shelf_life() -> None:
    assert expiry_date(date(2026, 1, 30), 30) == date(2026, 3, 1)
    assert expiry_date(date(2026, 1, 30), None) is None


quantities = st.decimals(min_value=Decimal("0.000001"), max_value=Decimal(10**9), places=6)
places = st.sampled_from(["A", "B", "C", SUPPLIER])


@given(st.lists(st.tuples(quantities, places, places), min_size=1, max_size=30))
def test_movements_conserve_quantity(raw: list[tuple[Decimal, str, str]]) -> None:
    """What the physical buckets gain is exactly what the virtual side lost."""
    moves = [move(str(q), s, t) for q, s, t in raw if s != t]
    if not moves:
        return
    deltas = balance_deltas(moves, VIRTUAL)
    from_supplier = sum((m.quantity for m in moves if m.source_location == SUPPLIER), Decimal(0))
    to_supplier = sum((m.quantity for m in moves if m.target_location == SUPPLIER), Decimal(0))
    assert sum(deltas.values(), Decimal(0)) == from_supplier - to_supplier


@given(st.lists(quantities, min_size=1, max_size=20), st.lists(quantities, max_size=20))
def test_applied_balances_never_go_below_zero(
    receipts: list[Decimal], issues: list[Decimal]
) -> None:
    key = BalanceKey("R1", "A", "L1", PENDING)
    balance: dict[BalanceKey, Decimal] = {}
    expected = Decimal(0)
    for qty in receipts:
        balance = apply_deltas(balance, {key: qty})
        expected += qty
    for qty in issues:
        try:
            balance = apply_deltas(balance, {key: -qty})
            expected -= qty
        except InsufficientStock:
            assert qty > expected  # refused only when there really is not enough
        assert balance[key] == expected >= 0


# --- since when a balance holds stock ----------------------------------------------------

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def test_a_balance_holds_stock_since_it_was_filled_until_it_is_emptied() -> None:
    filled = held_since(Decimal(0), Decimal(10), None, T0)
    assert filled == T0
    assert held_since(Decimal(10), Decimal(4), filled, T0 + DAY) == T0  # a partial issue
    assert held_since(Decimal(4), Decimal(9), filled, T0 + 2 * DAY) == T0  # topped up
    assert held_since(Decimal(4), Decimal(0), filled, T0 + 3 * DAY) is None  # emptied
    assert held_since(Decimal(0), Decimal(5), None, T0 + 4 * DAY) == T0 + 4 * DAY  # anew
    # a back-dated receipt that filled it earlier moves the moment back, never forward
    assert held_since(Decimal(5), Decimal(8), T0 + 4 * DAY, T0 - DAY) == T0 - DAY
    # a holding balance without a moment (older data) takes the posting's
    assert held_since(Decimal(5), Decimal(6), None, T0) == T0


@given(
    before=st.decimals(min_value=0, max_value=1000, places=2),
    after=st.decimals(min_value=0, max_value=1000, places=2),
    days=st.integers(-30, 30),
)
def test_held_since_is_none_exactly_at_zero_and_never_after_the_posting(
    before: Decimal, after: Decimal, days: int
) -> None:
    posted = T0 + days * DAY
    since = T0 if before else None
    found = held_since(before, after, since, posted)
    assert (found is None) == (after == 0)
    if found is not None:
        assert found <= posted and (before == 0 or found <= T0)
