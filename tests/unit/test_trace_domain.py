"""Trace's pure core (`services/trace/domain/lots.py`): what it learns from stock's payloads.

Worked examples read realistic `MovementPosted` payloads (stock's `MovementOut` dumped as
JSON: quantities as strings, ISO timestamps, null lot or serial) and name every kind of
movement stock posts; hypothesis checks the invariants a reversal must keep. A reversal
is built the way stock builds it (`reverse_document` / `Movement.reversed`): the same
document, references and quantity, locations and quality states swapped, and
`reversal_of_id` set.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from services.trace.domain.lots import (
    COUNT_ADJUSTMENT,
    CUSTOMER,
    LEFT_AS,
    LOT,
    OPENING,
    PRODUCTION,
    SCRAPPED,
    SERIAL,
    SUPPLIER,
    LinkDelta,
    LotFacts,
    Movement,
    NodeKey,
    Whereabouts,
    action,
    is_virtual,
    link_delta,
    lot_facts,
    merge,
    stock_deltas,
    whereabouts,
)

D = Decimal

STORE = "WH1/STORE"
LINE = "WH1/LINE-1"
FG = "WH1/FG"
DOCK = "WH1/RECEIVING"

PENDING = "pending_inspection"
QUALIFIED = "qualified"
DEFECTIVE = "defective"

VIRTUALS = [SUPPLIER, CUSTOMER, PRODUCTION, COUNT_ADJUSTMENT, SCRAPPED, OPENING]
PHYSICALS = [STORE, LINE, FG, DOCK]
STATES = [PENDING, QUALIFIED, DEFECTIVE]
DOCUMENT_TYPES = [
    "purchase_receipt",
    "supplier_return",
    "customer_return",
    "scrap",
    "requisition",
    "production_receipt",
    "shipment",
    "transfer",
    "inspection",
    "stock_count",
    "opening_balance",
]


def payload(**overrides: Any) -> dict[str, Any]:
    """A `MovementPosted` payload as stock emits it (`MovementOut.model_dump(mode="json")`)."""
    base: dict[str, Any] = {
        "id": 41,
        "document_type": "transfer",
        "document_id": 7,
        "item_code": "R-0402-10K",
        "lot_number": "L2603-001",
        "serial_number": None,
        "quantity": "5000",
        "from_location": STORE,
        "to_location": LINE,
        "from_state": QUALIFIED,
        "to_state": QUALIFIED,
        "stage": "raw",
        "sequence": 1203,
        "unit_cost": "0.0021",
        "value": "10.5",
        "posted_at": "2026-03-02T08:30:00Z",
        "posted_by": "alice",
        "reversal_of_id": None,
        "purchase_order": "",
        "work_order": "",
        "sales_order": "",
        "supplier": "",
        "customer": "",
    }
    base.update(overrides)
    return base


def move(**overrides: Any) -> Movement:
    return Movement.from_payload(payload(**overrides))


def reversal_of(m: Movement, row_id: int | None = None) -> Movement:
    """What stock posts to take `m` back: the other way round, same everything else."""
    return replace(
        m,
        id=row_id if row_id is not None else m.id + 1000,
        from_location=m.to_location,
        to_location=m.from_location,
        from_state=m.to_state,
        to_state=m.from_state,
        reversal=True,
    )


def summed(*movements: Movement) -> dict[tuple[str, str], Decimal]:
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for m in movements:
        for location, state, quantity in stock_deltas(m):
            totals[(location, state)] += quantity
    return dict(totals)


# --- strategies ---------------------------------------------------------------------------

quantities = st.decimals(
    min_value=D("0.001"), max_value=D("1000000"), places=3, allow_nan=False, allow_infinity=False
)
locations = st.sampled_from(PHYSICALS + VIRTUALS)
physical_locations = st.sampled_from(PHYSICALS)
states = st.sampled_from(STATES)
work_orders = st.sampled_from(["", "WO-1", "WO-2026-0042"])


@st.composite
def movements(
    draw: st.DrawFn,
    from_locations: st.SearchStrategy[str] = locations,
    to_locations: st.SearchStrategy[str] = locations,
    document_types: st.SearchStrategy[str] = st.sampled_from(DOCUMENT_TYPES),
) -> Movement:
    """An original movement (not a reversal); like every stock movement, it has at least
    one physical side."""
    source = draw(from_locations)
    target = draw(to_locations)
    assume(not (is_virtual(source) and is_virtual(target)))
    lot = draw(st.sampled_from(["", "L1", "L2603-001"]))
    serial = draw(st.sampled_from(["", "", "SN-0001"]))
    return Movement(
        id=draw(st.integers(1, 10**9)),
        document_type=draw(document_types),
        document_id=draw(st.integers(1, 10**6)),
        item_code=draw(st.sampled_from(["R1", "PCBA-7", "SCREW-M3"])),
        lot_number=lot,
        serial_number=serial,
        quantity=D(1) if serial else draw(quantities),
        from_location=source,
        to_location=target,
        from_state=draw(states),
        to_state=draw(states),
        reversal=False,
        work_order=draw(work_orders),
        sales_order=draw(st.sampled_from(["", "SO-9"])),
        customer=draw(st.sampled_from(["", "ACME"])),
        supplier=draw(st.sampled_from(["", "Yageo"])),
        purchase_order=draw(st.sampled_from(["", "PO-3"])),
        posted_at=datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
        + timedelta(minutes=draw(st.integers(0, 10**6))),
    )


def realistic_movements() -> st.SearchStrategy[Movement]:
    """Movements as stock posts them: a requisition moves stock between physical locations
    only (stores to a production line); every other document may touch any location."""
    return st.one_of(
        movements(
            document_types=st.sampled_from([t for t in DOCUMENT_TYPES if t != "requisition"])
        ),
        movements(physical_locations, physical_locations, st.just("requisition")),
    )


# --- Movement.from_payload and node -----------------------------------------------------


def test_from_payload_reads_a_realistic_lot_movement() -> None:
    m = Movement.from_payload(
        payload(
            id=1203,
            document_type="requisition",
            document_id=88,
            quantity="1250.5",
            posted_at="2026-03-02T16:30:00+08:00",
            work_order="WO-2026-0042",
            sales_order="SO-9",
            purchase_order="PO-3",
            supplier="Yageo",
            customer="ACME",
        )
    )
    assert m.id == 1203 and m.document_type == "requisition" and m.document_id == 88
    assert m.item_code == "R-0402-10K" and m.lot_number == "L2603-001"
    assert m.serial_number == ""
    assert m.quantity == D("1250.5") and isinstance(m.quantity, Decimal)
    assert (m.from_location, m.to_location) == (STORE, LINE)
    assert (m.from_state, m.to_state) == (QUALIFIED, QUALIFIED)
    assert m.reversal is False
    assert m.work_order == "WO-2026-0042" and m.sales_order == "SO-9"
    assert m.purchase_order == "PO-3" and m.supplier == "Yageo" and m.customer == "ACME"
    assert m.posted_at.utcoffset() == timedelta(hours=8)
    assert m.posted_at == datetime(2026, 3, 2, 8, 30, tzinfo=UTC)


def test_from_payload_reads_utc_z_and_exact_small_quantities() -> None:
    m = move(quantity="0.25", posted_at="2026-03-02T08:30:00.123456Z")
    assert m.quantity == D("0.25")
    assert m.posted_at == datetime(2026, 3, 2, 8, 30, 0, 123456, tzinfo=UTC)
    assert m.posted_at.tzinfo is not None


def test_from_payload_reads_negative_offsets_as_the_same_instant() -> None:
    m = move(posted_at="2026-03-01T19:30:00-13:00")
    assert m.posted_at == datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
    assert m.posted_at.utcoffset() == timedelta(hours=-13)


def test_from_payload_reads_null_lot_and_serial_as_untracked() -> None:
    m = move(lot_number=None, serial_number=None)
    assert m.lot_number == "" and m.serial_number == ""
    assert m.node is None


def test_from_payload_sets_reversal_from_reversal_of_id() -> None:
    assert move(reversal_of_id=None).reversal is False
    assert move(reversal_of_id=41).reversal is True
    without = {k: v for k, v in payload().items() if k != "reversal_of_id"}
    assert Movement.from_payload(without).reversal is False


def test_from_payload_tolerates_missing_or_null_optional_fields() -> None:
    required = ("id", "item_code", "quantity", "from_location", "to_location", "posted_at")
    m = Movement.from_payload({k: payload()[k] for k in required})
    assert m.document_type == "" and m.document_id == 0
    assert m.from_state == "" and m.to_state == ""
    assert m.lot_number == "" and m.serial_number == ""
    assert (m.work_order, m.sales_order, m.customer, m.supplier, m.purchase_order) == (
        "",
        "",
        "",
        "",
        "",
    )
    nulls = move(
        document_type=None,
        document_id=None,
        work_order=None,
        sales_order=None,
        customer=None,
        supplier=None,
        purchase_order=None,
    )
    assert nulls.document_type == "" and nulls.document_id == 0 and nulls.work_order == ""


def test_from_payload_ignores_fields_trace_does_not_need() -> None:
    with_extras = move(unit_cost="9.99", value="49950", stage="wip", future_field=[1, 2])
    assert with_extras == move()


def test_node_is_the_serial_first_then_the_lot_then_none() -> None:
    unit = move(lot_number="L1", serial_number="SN-0001", quantity="1")
    assert unit.node == NodeKey("R-0402-10K", SERIAL, "SN-0001")
    assert move(lot_number="L1", serial_number=None).node == NodeKey("R-0402-10K", LOT, "L1")
    assert move(lot_number=None, serial_number="SN-0002").node == NodeKey(
        "R-0402-10K", SERIAL, "SN-0002"
    )
    assert move(lot_number="", serial_number="").node is None


def test_nodes_of_different_items_with_the_same_lot_number_differ() -> None:
    a = move(item_code="R1", lot_number="L1").node
    b = move(item_code="C1", lot_number="L1").node
    assert a is not None and b is not None and a != b


@settings(max_examples=200, deadline=None)
@given(
    quantity=quantities,
    offset_minutes=st.integers(-14 * 60, 14 * 60),
    lot=st.one_of(st.none(), st.text("ABC123-", min_size=1, max_size=12)),
    serial=st.one_of(st.none(), st.text("SN0123456789", min_size=1, max_size=12)),
    reversal_of=st.one_of(st.none(), st.integers(1, 10**9)),
)
def test_from_payload_round_trips_stock_json(
    quantity: Decimal,
    offset_minutes: int,
    lot: str | None,
    serial: str | None,
    reversal_of: int | None,
) -> None:
    instant = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
    local = instant.astimezone(timezone(timedelta(minutes=offset_minutes)))
    text = format(quantity.normalize(), "f")  # stock's JSON: no exponent, no trailing zeros
    m = move(
        quantity=text,
        posted_at=local.isoformat(),
        lot_number=lot,
        serial_number=serial,
        reversal_of_id=reversal_of,
    )
    assert m.quantity == quantity
    assert m.posted_at == instant
    assert m.reversal is (reversal_of is not None)
    if serial:
        assert m.node == NodeKey("R-0402-10K", SERIAL, serial)
    elif lot:
        assert m.node == NodeKey("R-0402-10K", LOT, lot)
    else:
        assert m.node is None


# --- action ---------------------------------------------------------------------------

ACTIONS = [
    # (id, payload overrides, action, action of its reversal)
    (
        "purchase receipt",
        dict(
            document_type="purchase_receipt",
            from_location=SUPPLIER,
            to_location=DOCK,
            from_state=PENDING,
            to_state=PENDING,
            supplier="Yageo",
            purchase_order="PO-3",
        ),
        "received",
        "unreceived",
    ),
    (
        "return to supplier",
        dict(
            document_type="supplier_return",
            from_location=STORE,
            to_location=SUPPLIER,
            from_state=DEFECTIVE,
            to_state=DEFECTIVE,
            supplier="Yageo",
        ),
        "returned",
        "unreturned",
    ),
    (
        "requisition issue",
        dict(document_type="requisition", from_location=STORE, to_location=LINE, work_order="WO-1"),
        "issued",
        "returned_from_issue",
    ),
    (
        "component consumption",
        dict(
            document_type="production_receipt",
            from_location=LINE,
            to_location=PRODUCTION,
            work_order="WO-1",
        ),
        "consumed",
        "unconsumed",
    ),
    (
        "production output",
        dict(
            document_type="production_receipt",
            from_location=PRODUCTION,
            to_location=FG,
            from_state=PENDING,
            to_state=PENDING,
            work_order="WO-1",
        ),
        "produced",
        "unproduced",
    ),
    (
        "shipment",
        dict(
            document_type="shipment",
            from_location=FG,
            to_location=CUSTOMER,
            sales_order="SO-9",
            customer="ACME",
        ),
        "shipped",
        "unshipped",
    ),
    (
        # Stock: a reversed customer return sends the units back to shipped.
        "customer return",
        dict(
            document_type="customer_return",
            from_location=CUSTOMER,
            to_location=DOCK,
            from_state=PENDING,
            to_state=PENDING,
            customer="ACME",
        ),
        "customer_return",
        "shipped",
    ),
    (
        "scrap",
        dict(
            document_type="scrap",
            from_location=STORE,
            to_location=SCRAPPED,
            from_state=DEFECTIVE,
            to_state=DEFECTIVE,
        ),
        "scrapped",
        "unscrapped",
    ),
    (
        "count gain",
        dict(document_type="stock_count", from_location=COUNT_ADJUSTMENT, to_location=STORE),
        "counted",
        "counted",
    ),
    (
        "count loss",
        dict(document_type="stock_count", from_location=STORE, to_location=COUNT_ADJUSTMENT),
        "counted",
        "counted",
    ),
    (
        "opening balance",
        dict(document_type="opening_balance", from_location=OPENING, to_location=STORE),
        "opening",
        "withdrawn",
    ),
    (
        "inspection",
        dict(
            document_type="inspection",
            from_location=DOCK,
            to_location=DOCK,
            from_state=PENDING,
            to_state=QUALIFIED,
        ),
        "inspected",
        "inspected",
    ),
    (
        "transfer",
        dict(document_type="transfer", from_location=DOCK, to_location=STORE),
        "moved",
        "moved",
    ),
]


@pytest.mark.parametrize(
    ("overrides", "expected", "expected_reversal"),
    [pytest.param(o, a, r, id=name) for name, o, a, r in ACTIONS],
)
def test_action_names_each_kind_and_its_reversal(
    overrides: dict[str, Any], expected: str, expected_reversal: str
) -> None:
    original = move(**overrides)
    reversal = move(
        **overrides
        | {
            "id": 42,
            "reversal_of_id": 41,
            "from_location": original.to_location,
            "to_location": original.from_location,
            "from_state": original.to_state,
            "to_state": original.from_state,
        }
    )
    assert action(original) == expected
    assert action(reversal) == expected_reversal
    assert reversal == replace(reversal_of(original, 42), posted_at=reversal.posted_at)


def test_requisition_without_a_work_order_is_a_plain_move() -> None:
    assert action(move(document_type="requisition", work_order="")) == "moved"


def test_transfer_with_a_work_order_is_not_an_issue() -> None:
    assert action(move(document_type="transfer", work_order="WO-1")) == "moved"


def test_state_change_while_moving_is_a_move_not_an_inspection() -> None:
    m = move(from_location=DOCK, to_location=STORE, from_state=PENDING, to_state=QUALIFIED)
    assert action(m) == "moved"


def test_production_wins_over_the_requisition_rule() -> None:
    m = move(document_type="requisition", work_order="WO-1", to_location=PRODUCTION)
    assert action(m) == "consumed"


def test_returning_scrapped_stock_without_a_reversal_is_unscrapped() -> None:
    assert action(move(from_location=SCRAPPED, to_location=STORE)) == "unscrapped"


@settings(max_examples=300, deadline=None)
@given(movements())
def test_action_of_a_reversal_is_never_the_forward_word_of_a_flow_that_has_one(
    m: Movement,
) -> None:
    """Wherever an `un...` word exists for the reversed flow, a reversal never reads as the
    original action: history shows the correction as a correction."""
    forward = action(m)
    back = action(reversal_of(m))
    pairs = {
        "received": "unreceived",
        "returned": "unreturned",
        "consumed": "unconsumed",
        "produced": "unproduced",
        "shipped": "unshipped",
        "issued": "returned_from_issue",
        "opening": "withdrawn",
    }
    if forward in pairs:
        assert back == pairs[forward]


# --- link_delta -----------------------------------------------------------------------


def test_consumption_makes_the_node_an_input() -> None:
    m = move(
        document_type="production_receipt",
        from_location=LINE,
        to_location=PRODUCTION,
        quantity="12.5",
        work_order="WO-1",
    )
    assert link_delta(m) == LinkDelta("WO-1", "input", "consumed", D("12.5"))


def test_output_makes_the_node_an_output() -> None:
    m = move(
        document_type="production_receipt",
        from_location=PRODUCTION,
        to_location=FG,
        quantity="10",
        work_order="WO-1",
    )
    assert link_delta(m) == LinkDelta("WO-1", "output", "produced", D(10))


def test_requisition_issue_makes_the_node_an_input() -> None:
    m = move(document_type="requisition", to_location=LINE, quantity="5000", work_order="WO-1")
    assert link_delta(m) == LinkDelta("WO-1", "input", "issued", D(5000))


def test_reversals_undo_the_same_link() -> None:
    consumed = move(to_location=PRODUCTION, from_location=LINE, work_order="WO-1", quantity="3")
    produced = move(from_location=PRODUCTION, to_location=FG, work_order="WO-1", quantity="2")
    issued = move(document_type="requisition", work_order="WO-1", quantity="7")
    assert link_delta(reversal_of(consumed)) == LinkDelta("WO-1", "input", "consumed", D(-3))
    assert link_delta(reversal_of(produced)) == LinkDelta("WO-1", "output", "produced", D(-2))
    assert link_delta(reversal_of(issued)) == LinkDelta("WO-1", "input", "issued", D(-7))


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param(dict(to_location=PRODUCTION), id="consumption"),
        pytest.param(dict(from_location=PRODUCTION, to_location=FG), id="output"),
        pytest.param(dict(document_type="requisition"), id="requisition"),
    ],
)
def test_without_a_work_order_there_is_no_link(overrides: dict[str, Any]) -> None:
    assert link_delta(move(work_order="", **overrides)) is None
    assert link_delta(move(work_order=None, **overrides)) is None


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param(dict(document_type="transfer"), id="transfer"),
        pytest.param(dict(document_type="inspection", to_location=STORE), id="inspection"),
        pytest.param(dict(document_type="shipment", to_location=CUSTOMER), id="shipment"),
        pytest.param(dict(document_type="scrap", to_location=SCRAPPED), id="scrap"),
        pytest.param(dict(document_type="purchase_receipt", from_location=SUPPLIER), id="receipt"),
    ],
)
def test_other_movements_with_a_work_order_make_no_link(overrides: dict[str, Any]) -> None:
    m = move(work_order="WO-1", **overrides)
    assert link_delta(m) is None
    assert link_delta(reversal_of(m)) is None


def test_requisition_to_a_virtual_location_issues_nothing() -> None:
    m = move(document_type="requisition", work_order="WO-1", to_location=SCRAPPED)
    assert link_delta(m) is None


@pytest.mark.parametrize(
    ("source", "target"),
    [
        pytest.param(STORE, SCRAPPED, id="to-virtual"),
        pytest.param(SUPPLIER, LINE, id="from-virtual"),
    ],
)
def test_requisition_touching_a_virtual_location_keeps_reversal_symmetry(
    source: str, target: str
) -> None:
    m = move(
        document_type="requisition", work_order="WO-1", from_location=source, to_location=target
    )
    forward, back = link_delta(m), link_delta(reversal_of(m))
    assert (forward is None) == (back is None)


@settings(max_examples=500, deadline=None)
@given(realistic_movements())
def test_a_reversal_undoes_exactly_the_link_of_its_original(m: Movement) -> None:
    forward = link_delta(m)
    back = link_delta(reversal_of(m))
    assert (forward is None) == (back is None)
    if forward is not None and back is not None:
        assert (forward.work_order, forward.role, forward.how) == (
            back.work_order,
            back.role,
            back.how,
        )
        assert forward.quantity + back.quantity == 0
        assert forward.quantity == m.quantity  # an original links +q, its reversal -q


@settings(max_examples=300, deadline=None)
@given(movements())
def test_links_need_a_work_order_and_name_it(m: Movement) -> None:
    for movement in (m, reversal_of(m)):
        delta = link_delta(movement)
        if not movement.work_order:
            assert delta is None
        elif delta is not None:
            assert delta.work_order == movement.work_order
            assert abs(delta.quantity) == movement.quantity
            assert (delta.role, delta.how) in {
                ("input", "consumed"),
                ("input", "issued"),
                ("output", "produced"),
            }


@settings(max_examples=300, deadline=None)
@given(movements())
def test_only_production_and_requisitions_link(m: Movement) -> None:
    touches_production = PRODUCTION in (m.from_location, m.to_location)
    if link_delta(m) is not None:
        assert touches_production or m.document_type == "requisition"


# --- stock_deltas ---------------------------------------------------------------------


def test_receipt_adds_to_the_receiving_location_only() -> None:
    m = move(from_location=SUPPLIER, to_location=DOCK, from_state=PENDING, to_state=PENDING)
    assert stock_deltas(m) == [(DOCK, PENDING, D(5000))]


def test_shipment_takes_from_the_shipping_location_only() -> None:
    m = move(from_location=FG, to_location=CUSTOMER, quantity="3")
    assert stock_deltas(m) == [(FG, QUALIFIED, D(-3))]


def test_transfer_moves_between_locations_in_their_states() -> None:
    assert stock_deltas(move(quantity="2.5")) == [
        (STORE, QUALIFIED, D("-2.5")),
        (LINE, QUALIFIED, D("2.5")),
    ]


def test_inspection_moves_between_states_at_one_location() -> None:
    m = move(from_location=DOCK, to_location=DOCK, from_state=PENDING, to_state=QUALIFIED)
    assert stock_deltas(m) == [(DOCK, PENDING, D(-5000)), (DOCK, QUALIFIED, D(5000))]


def test_virtual_to_virtual_changes_no_stock() -> None:
    assert stock_deltas(move(from_location=SUPPLIER, to_location=SCRAPPED)) == []


@settings(max_examples=300, deadline=None)
@given(movements(physical_locations, physical_locations))
def test_physical_to_physical_deltas_sum_to_zero(m: Movement) -> None:
    deltas = stock_deltas(m)
    assert len(deltas) == 2
    assert sum(q for _, _, q in deltas) == 0


@settings(max_examples=500, deadline=None)
@given(movements())
def test_a_movement_and_its_reversal_leave_every_bucket_as_it_was(m: Movement) -> None:
    assert all(q == 0 for q in summed(m, reversal_of(m)).values())


@settings(max_examples=300, deadline=None)
@given(movements())
def test_virtual_sides_contribute_nothing(m: Movement) -> None:
    deltas = stock_deltas(m)
    physical_sides = [loc for loc in (m.from_location, m.to_location) if not is_virtual(loc)]
    assert [loc for loc, _, _ in deltas] == physical_sides
    assert not any(is_virtual(loc) for loc, _, _ in deltas)
    for location, state, quantity in deltas:
        if location == m.from_location and quantity < 0:
            assert state == m.from_state and quantity == -m.quantity
        else:
            assert (location, state, quantity) == (m.to_location, m.to_state, m.quantity)


# --- whereabouts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "status"),
    [
        (PRODUCTION, "consumed"),
        (CUSTOMER, "shipped"),
        (SUPPLIER, "returned"),
        (SCRAPPED, "scrapped"),
        (COUNT_ADJUSTMENT, "lost"),
        (OPENING, "withdrawn"),
    ],
)
def test_a_unit_sent_to_a_virtual_location_has_left(target: str, status: str) -> None:
    assert whereabouts(move(to_location=target)) == Whereabouts(status, "", "")
    assert LEFT_AS[target] == status


def test_an_unknown_virtual_location_is_gone() -> None:
    assert whereabouts(move(to_location="VIRTUAL/TRANSIT")) == Whereabouts("gone", "", "")


def test_a_unit_at_a_physical_location_is_in_stock_there_in_its_new_state() -> None:
    m = move(from_location=DOCK, to_location=DOCK, from_state=PENDING, to_state=DEFECTIVE)
    assert whereabouts(m) == Whereabouts("in_stock", DOCK, DEFECTIVE)
    assert whereabouts(move(from_location=CUSTOMER, to_location=DOCK, to_state=PENDING)) == (
        Whereabouts("in_stock", DOCK, PENDING)
    )


@settings(max_examples=300, deadline=None)
@given(movements())
def test_whereabouts_agree_with_the_stock_the_movement_adds(m: Movement) -> None:
    for movement in (m, reversal_of(m)):
        where = whereabouts(movement)
        if is_virtual(movement.to_location):
            assert where.location_code == "" and where.quality_state == ""
            assert where.status == LEFT_AS[movement.to_location]
        else:
            assert where == Whereabouts("in_stock", movement.to_location, movement.to_state)
            assert stock_deltas(movement)[-1] == (
                where.location_code,
                where.quality_state,
                movement.quantity,
            )


# --- lot_facts and merge --------------------------------------------------------------


def test_lot_facts_from_payload() -> None:
    facts = lot_facts(
        {
            "item_code": "R1",
            "lot_number": "L1",
            "supplier": "Yageo",
            "receipt_date": "2026-11-26",
            "expiry_date": None,
        }
    )
    assert facts.item_code == "R1" and facts.supplier == "Yageo"
    assert facts.receipt_date == date(2026, 11, 26) and facts.expiry_date is None
    assert facts.date_code == "" and facts.purchase_order == ""
    assert facts.work_order == ""


def test_lot_facts_reads_the_work_order_of_a_produced_lot() -> None:
    facts = lot_facts(
        {
            "item_code": "PCBA-7",
            "lot_number": "WO-1-01",
            "work_order": "WO-1",
            "supplier": None,
            "receipt_date": "",
            "expiry_date": "2027-03-01",
        }
    )
    assert facts == LotFacts(
        item_code="PCBA-7",
        lot_number="WO-1-01",
        supplier="",
        supplier_lot="",
        date_code="",
        purchase_order="",
        receipt_date=None,
        expiry_date=date(2027, 3, 1),
        work_order="WO-1",
    )


def test_merge_fills_gaps_but_never_erases() -> None:
    known = lot_facts({"item_code": "R1", "lot_number": "L1", "supplier": "Yageo"})
    new = lot_facts(
        {
            "item_code": "R1",
            "lot_number": "L1",
            "supplier": "Murata",
            "date_code": "2545",
            "receipt_date": "2026-11-26",
            "work_order": "WO-1",
        }
    )
    merged = merge(known, new)
    assert merged.supplier == "Yageo"
    assert merged.date_code == "2545" and merged.receipt_date == date(2026, 11, 26)
    assert merged.work_order == "WO-1"


def test_merge_keeps_a_known_work_order() -> None:
    known = lot_facts({"item_code": "PCBA-7", "lot_number": "L9", "work_order": "WO-1"})
    new = lot_facts({"item_code": "PCBA-7", "lot_number": "L9", "work_order": "WO-2"})
    assert merge(known, new).work_order == "WO-1"
    assert merge(known, lot_facts({"item_code": "PCBA-7", "lot_number": "L9"})).work_order == (
        "WO-1"
    )


texts = st.sampled_from(["", "", "A", "B-2"])
dates = st.one_of(st.none(), st.dates(date(2024, 1, 1), date(2030, 12, 31)))


@st.composite
def facts(draw: st.DrawFn) -> LotFacts:
    return LotFacts(
        item_code="R1",
        lot_number="L1",
        supplier=draw(texts),
        supplier_lot=draw(texts),
        date_code=draw(texts),
        purchase_order=draw(texts),
        receipt_date=draw(dates),
        expiry_date=draw(dates),
        work_order=draw(texts),
    )


FACT_FIELDS = [
    "supplier",
    "supplier_lot",
    "date_code",
    "purchase_order",
    "receipt_date",
    "expiry_date",
    "work_order",
]


@settings(max_examples=300, deadline=None)
@given(facts(), facts())
def test_merge_keeps_every_known_fact_and_fills_only_gaps(known: LotFacts, new: LotFacts) -> None:
    merged = merge(known, new)
    assert (merged.item_code, merged.lot_number) == (known.item_code, known.lot_number)
    for name in FACT_FIELDS:
        mine, theirs = getattr(known, name), getattr(new, name)
        assert getattr(merged, name) == (mine if mine else theirs)
    assert merge(merged, new) == merged  # applying the same facts again changes nothing
    assert merge(known, known) == known


@settings(max_examples=200, deadline=None)
@given(facts())
def test_lot_facts_reads_back_what_a_payload_says(f: LotFacts) -> None:
    body: dict[str, Any] = {
        "item_code": f.item_code,
        "lot_number": f.lot_number,
        "supplier": f.supplier or None,
        "supplier_lot": f.supplier_lot,
        "date_code": f.date_code,
        "purchase_order": f.purchase_order,
        "receipt_date": f.receipt_date.isoformat() if f.receipt_date else None,
        "expiry_date": f.expiry_date.isoformat() if f.expiry_date else "",
        "work_order": f.work_order or None,
    }
    assert lot_facts(body) == f
