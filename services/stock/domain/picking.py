"""Which stock a requisition takes: first expiring first, then first received first."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Candidate:
    """Qualified stock of one item that a requisition may take."""

    item_code: str
    location_code: str
    lot_number: str  # "" for untracked items
    quantity: Decimal
    expiry_date: date | None
    receipt_date: date | None
    lot_id: int | None = None

    def order(self) -> tuple[date, date, int, str]:
        """FEFO, then FIFO: earliest expiry (none last), earliest receipt, oldest lot."""
        return (
            self.expiry_date or date.max,
            self.receipt_date or date.max,
            self.lot_id or 0,
            self.location_code,
        )


@dataclass(frozen=True, slots=True)
class Pick:
    line: int
    item_code: str
    location_code: str
    lot_number: str
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class Shortage:
    line: int
    item_code: str
    available: Decimal
    needed: Decimal


def pick(
    lines: Iterable[tuple[int, str, Decimal, str | None]],
    candidates: Iterable[Candidate],
    *,
    today: date,
) -> tuple[list[Pick], list[Shortage]]:
    """Allocate each line (index, item, quantity, named lot or None) from `candidates`.

    Expired lots are never picked. Lines draw from one shared pool in line order, so two
    lines of the same item never take the same unit twice. A line that cannot be filled
    is a shortage (with what was left for it) and takes nothing.
    """
    pool: dict[tuple[str, str, str], Decimal] = {}
    by_item: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        if candidate.quantity <= 0:
            continue
        if candidate.expiry_date is not None and candidate.expiry_date < today:
            continue
        key = (candidate.item_code, candidate.location_code, candidate.lot_number)
        pool[key] = pool.get(key, Decimal(0)) + candidate.quantity
        by_item.setdefault(candidate.item_code, []).append(candidate)
    for found in by_item.values():
        found.sort(key=Candidate.order)
    picks: list[Pick] = []
    shortages: list[Shortage] = []
    for index, item_code, quantity, lot_number in lines:
        usable = [
            c
            for c in by_item.get(item_code, [])
            if lot_number is None or c.lot_number == lot_number
        ]
        keys = list(dict.fromkeys((c.item_code, c.location_code, c.lot_number) for c in usable))
        available = sum((pool[k] for k in keys), Decimal(0))
        if available < quantity:
            shortages.append(Shortage(index, item_code, available, quantity))
            continue
        remaining = quantity
        for key in keys:
            take = min(pool[key], remaining)
            if take <= 0:
                continue
            pool[key] -= take
            remaining -= take
            picks.append(Pick(index, key[0], key[1], key[2], take))
            if remaining == 0:
                break
    return picks, shortages


def totals(picks: Iterable[Pick]) -> Mapping[int, Decimal]:
    result: dict[int, Decimal] = {}
    for p in picks:
        result[p.line] = result.get(p.line, Decimal(0)) + p.quantity
    return result
