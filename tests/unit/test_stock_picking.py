"""FEFO, then FIFO: the pure picking rule behind requisitions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from services.stock.domain.picking import Candidate, pick

TODAY = date(2026, 11, 26)
D = Decimal


def lot(number: str, quantity: int, expiry: date | None, received: date, where: str = "A"):
    return Candidate("R1", where, number, D(quantity), expiry, received, lot_id=hash(number) % 997)


def test_first_expiring_then_first_received_then_skip_expired() -> None:
    candidates = [
        lot("EXPIRED", 100, date(2026, 1, 1), date(2025, 1, 1)),
        lot("NO-EXPIRY", 100, None, date(2024, 1, 1)),
        lot("SOON", 5, date(2027, 1, 1), date(2026, 6, 1)),
        lot("LATER", 5, date(2027, 6, 1), date(2026, 1, 1)),
    ]
    picks, shortages = pick([(1, "R1", D(12), None)], candidates, today=TODAY)
    assert shortages == []
    assert [(p.lot_number, p.quantity) for p in picks] == [
        ("SOON", 5),
        ("LATER", 5),
        ("NO-EXPIRY", 2),
    ]


def test_lines_share_one_pool_and_a_short_line_takes_nothing() -> None:
    candidates = [lot("L1", 10, None, date(2026, 1, 1))]
    picks, shortages = pick(
        [(1, "R1", D(7), None), (2, "R1", D(7), None), (3, "R1", D(3), "L1")],
        candidates,
        today=TODAY,
    )
    assert [(p.line, p.quantity) for p in picks] == [(1, 7), (3, 3)]
    assert [(s.line, s.available, s.needed) for s in shortages] == [(2, 3, 7)]


@given(
    st.lists(st.integers(0, 50), min_size=1, max_size=6),
    st.lists(st.integers(1, 40), min_size=1, max_size=6),
)
def test_never_picks_more_than_there_is(stock: list[int], wanted: list[int]) -> None:
    candidates = [lot(f"L{i}", q, None, date(2026, 1, i + 1)) for i, q in enumerate(stock)]
    lines = [(i + 1, "R1", D(q), None) for i, q in enumerate(wanted)]
    picks, shortages = pick(lines, candidates, today=TODAY)
    taken: dict[str, Decimal] = {}
    for p in picks:
        taken[p.lot_number] = taken.get(p.lot_number, D(0)) + p.quantity
    assert all(taken[c.lot_number] <= c.quantity for c in candidates if c.lot_number in taken)
    filled = {p.line for p in picks}
    short = {s.line for s in shortages}
    assert filled.isdisjoint(short) and filled | short == {line for line, *_ in lines}
    for line, _, quantity, _ in lines:
        if line in filled:
            assert sum(p.quantity for p in picks if p.line == line) == quantity
