"""Moving-average valuation: the pure rule that values every movement."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from services.stock.domain.model import Movement, QualityState
from services.stock.domain.valuation import ItemValue, money, value_movements

D = Decimal
VIRTUAL = frozenset({"SUPPLIER", "CUSTOMER", "PRODUCTION"})
Q = QualityState.QUALIFIED


def move(source: str, target: str, quantity: str, unit_cost: str | None = None, reverses=None):
    return Movement(
        item_code="R1",
        lot_number="",
        quantity=D(quantity),
        source_location=source,
        target_location=target,
        source_state=Q,
        target_state=Q,
        reverses=reverses,
        unit_cost=None if unit_cost is None else D(unit_cost),
    )


def fresh() -> dict[str, ItemValue]:
    return {"R1": ItemValue(D(0), D(0), D(0))}


def test_receipts_average_and_issues_take_the_average() -> None:
    items = fresh()
    worth = value_movements(
        [
            move("SUPPLIER", "A", "100", "1.00"),
            move("SUPPLIER", "A", "100", "2.00"),
            move("A", "PRODUCTION", "50"),
            move("A", "B", "10"),
        ],
        items,
        VIRTUAL,
        {},
    )
    assert [w.value for w in worth] == [D(100), D(200), D("75.000000"), D("15.000000")]
    assert [w.unit_cost for w in worth] == [D(1), D(2), D("1.5"), D("1.5")]
    assert (items["R1"].quantity, items["R1"].value) == (D(150), D(225))


def test_a_receipt_without_a_price_comes_in_at_the_average_or_the_last_one() -> None:
    items = fresh()
    worth = value_movements(
        [
            move("SUPPLIER", "A", "3", "1"),
            move("SUPPLIER", "A", "3", "2"),
            move("A", "CUSTOMER", "6"),  # empties the item: average 1.5 remembered
            move("SUPPLIER", "A", "2"),  # no price, nothing on hand: the last average
        ],
        items,
        VIRTUAL,
        {},
    )
    assert worth[2].value == D(9)
    assert worth[3].value == D(3)
    assert (items["R1"].quantity, items["R1"].value) == (D(2), D(3))


def test_the_last_unit_out_takes_exactly_what_is_left() -> None:
    items = fresh()
    worth = value_movements(
        [move("SUPPLIER", "A", "3", "1"), move("SUPPLIER", "A", "3", "1.000001")]
        + [move("A", "CUSTOMER", "1") for _ in range(6)],
        items,
        VIRTUAL,
        {},
    )
    assert sum(w.value for w in worth[2:]) == D("6.000003")
    assert (items["R1"].quantity, items["R1"].value) == (D(0), D(0))


def test_a_reversal_is_worth_what_it_takes_back() -> None:
    items = fresh()
    value_movements([move("SUPPLIER", "A", "10", "3")], items, VIRTUAL, {})
    issued = value_movements([move("A", "PRODUCTION", "4")], items, VIRTUAL, {})[0]
    value_movements([move("SUPPLIER", "A", "10", "5")], items, VIRTUAL, {})
    back = value_movements(
        [move("PRODUCTION", "A", "4", reverses=7)], items, VIRTUAL, {7: issued.value}
    )[0]
    assert back.value == D(12)
    assert items["R1"].value == D(30 - 12 + 50 + 12)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["in", "out", "move"]),
            st.integers(min_value=1, max_value=1000),
            st.one_of(st.none(), st.decimals(min_value=0, max_value=100, places=4)),
        ),
        max_size=40,
    )
)
def test_value_stays_quantity_times_average_and_never_negative(steps) -> None:
    items = fresh()
    for kind, quantity, cost in steps:
        held = items["R1"].quantity
        if kind == "in":
            m = move("SUPPLIER", "A", str(quantity), None if cost is None else str(cost))
        elif held == 0:
            continue
        else:
            amount = str(min(D(quantity), held))
            m = move("A", "CUSTOMER", amount) if kind == "out" else move("A", "B", amount)
        value_movements([m], items, VIRTUAL, {})
        item = items["R1"]
        assert item.quantity >= 0 and item.value >= 0
        if item.quantity == 0:
            assert item.value == 0
        else:
            # within the rounding of one value per movement
            assert abs(item.value - item.quantity * item.average) <= item.quantity * D("0.000001")
            assert item.average == money(item.value / item.quantity)


def test_a_replay_revalues_later_rows_and_reversals_follow() -> None:
    from services.stock.domain.valuation import Direction, StoredMovement, replay

    def row(row_id, quantity, kind, value, unit_cost=None, reverses=None):
        return StoredMovement(
            row_id,
            D(quantity),
            kind,
            None if unit_cost is None else D(unit_cost),
            reverses,
            D(value),
            D(value) / D(quantity),
        )

    # before the replay the item held 10 worth 10; a back-dated receipt added 10 worth 30
    item = ItemValue(D(20), D(40), D(2))
    rows = [
        row(1, "5", Direction.OUTBOUND, "5"),  # was at 1.00, now at 2.00
        row(2, "5", Direction.INBOUND, "15", unit_cost="3"),  # priced: keeps its price
        row(3, "5", Direction.INBOUND, "5", reverses=1),  # follows row 1's new value
        row(4, "2", Direction.INTERNAL, "2"),
    ]
    changed = replay(rows, item, {})
    assert [(row_id, value) for row_id, value, _ in changed] == [
        (1, D(10)),
        (3, D(10)),
        (4, D("4.4")),  # 2 x (55 / 25)
    ]
    assert (item.quantity, item.value) == (D(25), D(55))
