"""Entering counted quantities into a stock count (JSON lines; sheets go through here too).

A line names a bucket (item, location, lot, serial, quality state) and what was counted
there. A bucket of the frozen book is overwritten each time it is counted (who and when
are kept); a bucket the book did not have is stock found while counting and adds a line
with book 0, but only for an item the count covers, at a physical location in its scope
that holds stock, with an existing lot when the item is lot-tracked.

Serial-tracked items are counted one unit per line, named by `serial_number`: counted 1
(it is there) or 0 (it is not). A known serial keeps its lot (a line may leave the lot
out; naming another is refused). A serial may be counted present at one place only, and
a serial found is one this count shows elsewhere (misplaced), one a count lost, or one
never seen: a unit in stock at a place the count does not show, or one that left by a
document (shipped, consumed, scrapped, returned), is refused. Every bad field is named
and nothing is entered unless all lines are good.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.clients import CatalogItem
from services.stock.count_schemas import (
    CountLineIn,
    CountLinesIn,
    StockCountOut,
)
from services.stock.db.models import Location, Lot, Serial, StockCount, StockCountLine
from services.stock.db.queries import (
    location_subtree_ids,
    locations_by_codes,
    locations_by_ids,
    lots_by_ids,
    lots_by_numbers,
    serial_rows,
)
from services.stock.domain.model import QualityState, SerialStatus, Tracking
from services.stock.usecases.document_lines import request_order, tracking_errors
from services.stock.usecases.locations import stock_location_error
from services.stock.usecases.stock_count_views import (
    DOCUMENT_TYPE,
    count_lines,
    item_filters,
    load_count,
)
from services.stock.usecases.stock_counts import (
    FINDABLE,
    WHO_TAKES,
    expect_countable,
    locked_count,
)
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import FieldError, InvalidInput
from shared.schemas import plain

#: item, location id, lot number ("" none), serial number ("" none), state
BucketKey = tuple[str, int, str, str, str]


@dataclass(frozen=True, slots=True)
class Entry:
    """One checked count line: the bucket it counts and the quantity."""

    index: int
    item_code: str
    location: Location
    lot: Lot | None
    serial: str
    state: QualityState
    quantity: Decimal

    @property
    def key(self) -> BucketKey:
        lot = self.lot.lot_number if self.lot else ""
        return self.item_code, self.location.id, lot, self.serial, self.state.value


def _key(line: StockCountLine) -> BucketKey:
    return line.item_code, line.location_id, line.lot_key, line.serial_key, line.quality_state


@dataclass(frozen=True, slots=True)
class _Facts:
    """What count lines are checked against, read once per request."""

    count: StockCount
    root: Location
    #: The items the count covers; None: every item.
    allowed: frozenset[str] | None
    scope: frozenset[int]
    locations: Mapping[str, Location]
    lots: Mapping[tuple[str, str], Lot]
    #: The count's lines as they are (the frozen book, then stock found so far).
    lines: Sequence[StockCountLine]
    #: The serials the lines name that the ledger knows, their lots and where they are.
    serials: Mapping[tuple[str, str], Serial]
    serial_lots: Mapping[int, Lot]
    serial_places: Mapping[int, Location]

    @property
    def known(self) -> frozenset[BucketKey]:
        """Every bucket the count has a line for."""
        return frozenset(_key(line) for line in self.lines)

    @property
    def frozen(self) -> frozenset[BucketKey]:
        """The buckets of the frozen book (not stock found while counting)."""
        return frozenset(_key(line) for line in self.lines if not line.found)

    @property
    def frozen_serials(self) -> frozenset[tuple[str, str]]:
        """The serials of the frozen book (the units the count may find elsewhere)."""
        return frozenset(
            (line.item_code, line.serial_key)
            for line in self.lines
            if line.serial_key and not line.found
        )


def _is_serial(item: CatalogItem | None) -> bool:
    return item is not None and Tracking(item.tracking) is Tracking.SERIAL


def _tracking(index: int, line: CountLineIn, item: CatalogItem | None) -> list[FieldError]:
    """The tracking rules of a count line: a serial-tracked item counts one named unit
    (1 or 0) per line, other items name no serial and follow the lot rules."""
    path = f"body.lines.{index}"
    if item is not None and _is_serial(item):
        if line.serial_number is None:
            return [
                FieldError(
                    f"{path}.serial_number",
                    f"item {item.code} is serial-tracked: count each unit on a line of its own, "
                    "with its serial number",
                    "missing",
                )
            ]
        if line.counted_quantity not in (0, 1):
            return [
                FieldError(
                    f"{path}.counted_quantity",
                    f"a serial is there (1) or not (0), not {plain(line.counted_quantity)}",
                )
            ]
        return []
    if item is not None and line.serial_number is not None:
        return [
            FieldError(
                f"{path}.serial_number",
                f"item {item.code} is not serial-tracked: send no serial number",
            )
        ]
    return tracking_errors(index, line, item, who_takes=WHO_TAKES)


async def _facts(
    session: AsyncSession,
    count: StockCount,
    lines: Sequence[CountLineIn],
    tracked: set[int],
    serial_lines: set[int],
) -> _Facts:
    limited = await item_filters(session, [count.id])
    scope = await session.scalars(
        select(Location.id).where(Location.id.in_(location_subtree_ids(count.location_id)))
    )
    lots = await lots_by_numbers(
        session,
        {
            (line.item_code, line.lot_number)
            for index, line in enumerate(lines)
            if line.lot_number is not None and index in tracked
        },
    )
    serials = await serial_rows(
        session,
        (
            (line.item_code, line.serial_number)
            for index, line in enumerate(lines)
            if line.serial_number is not None and index in serial_lines
        ),
    )
    return _Facts(
        count=count,
        root=(await locations_by_ids(session, [count.location_id]))[count.location_id],
        allowed=frozenset(limited[count.id]) if count.id in limited else None,
        scope=frozenset(scope),
        locations=await locations_by_codes(session, {line.location_code for line in lines}),
        lots=lots,
        lines=await count_lines(session, count.id),
        serials=serials,
        serial_lots=await lots_by_ids(session, [row.lot_id for row in serials.values()]),
        serial_places=await locations_by_ids(
            session, [row.location_id for row in serials.values() if row.location_id]
        ),
    )


def _serial_lot(facts: _Facts, path: str, line: CountLineIn) -> tuple[Lot | None, list[FieldError]]:
    """A serial line's lot: a known serial's own (the line may leave it out), else the
    existing lot the line names, if any."""
    assert line.serial_number is not None
    known = facts.serials.get((line.item_code, line.serial_number))
    if known is None:
        return _named_lot(facts, path, line)
    lot = facts.serial_lots.get(known.lot_id) if known.lot_id is not None else None
    if line.lot_number is not None and line.lot_number != (lot.lot_number if lot else None):
        has = f"is of lot {lot.lot_number}" if lot else "has no lot"
        return None, [
            FieldError(
                f"{path}.lot_number",
                f"serial {line.serial_number} of {line.item_code} {has}: name that or none",
            )
        ]
    return lot, []


def _named_lot(facts: _Facts, path: str, line: CountLineIn) -> tuple[Lot | None, list[FieldError]]:
    if line.lot_number is None:
        return None, []
    lot = facts.lots.get((line.item_code, line.lot_number))
    if lot is None:
        return None, [
            FieldError(
                f"{path}.lot_number",
                f"{line.item_code} has no lot {line.lot_number!r}",
                "not_found",
            )
        ]
    return lot, []


def _found_serial_errors(facts: _Facts, path: str, entry: Entry) -> list[FieldError]:
    """A serial counted present where the frozen book does not have it must be able to
    come in: shown elsewhere by this count, lost by a count, or never seen."""
    known = facts.serials.get((entry.item_code, entry.serial))
    if entry.quantity != 1 or known is None or known.status in FINDABLE:
        return []
    unit = f"serial {entry.serial} of {entry.item_code}"
    if known.status == SerialStatus.IN_STOCK.value:
        if (entry.item_code, entry.serial) in facts.frozen_serials:
            return []  # misplaced: the count shows it at another bucket
        place = facts.serial_places.get(known.location_id) if known.location_id else None
        where = place.code if place else "another location"
        return [
            FieldError(
                f"{path}.serial_number",
                f"{unit} is in stock at {where}, which this count's book does not show (it "
                "is outside the count, or arrived after the count started): it cannot be "
                "found here too",
                "serial_conflict",
            )
        ]
    return [
        FieldError(
            f"{path}.serial_number",
            f"{unit} was {known.status}: a count finds only units it lost or never saw",
            "serial_conflict",
        )
    ]


def _check_line(
    facts: _Facts, index: int, line: CountLineIn, tracked: bool
) -> tuple[Entry | None, list[FieldError]]:
    """The line as an entry, or why not (`tracked`: its item and lot passed the tracking
    rules)."""
    path = f"body.lines.{index}"
    errors: list[FieldError] = []
    if facts.allowed is not None and line.item_code not in facts.allowed:
        covered = ", ".join(sorted(facts.allowed))
        errors.append(
            FieldError(
                f"{path}.item_code", f"stock count {facts.count.number} counts only {covered}"
            )
        )
    location = facts.locations.get(line.location_code)
    if location is None:
        errors.append(
            FieldError(f"{path}.location_code", f"no location {line.location_code!r}", "not_found")
        )
    elif location.id not in facts.scope:
        errors.append(
            FieldError(
                f"{path}.location_code",
                f"{location.code} is outside the count's scope ({facts.root.code} and below)",
            )
        )
    lot: Lot | None = None
    if tracked:
        if line.serial_number is not None:
            lot, problems = _serial_lot(facts, path, line)
        else:
            lot, problems = _named_lot(facts, path, line)
        errors.extend(problems)
    if errors or not tracked or location is None:
        return None, errors
    entry = Entry(
        index,
        line.item_code,
        location,
        lot,
        line.serial_number or "",
        line.quality_state,
        line.counted_quantity,
    )
    if entry.key not in facts.known:  # stock found where the book had none
        error = stock_location_error(f"{path}.location_code", location.code, location)
        if error is not None:
            return None, [error]
    if entry.serial and entry.key not in facts.frozen:
        found = _found_serial_errors(facts, path, entry)
        if found:
            return None, found
    return entry, []


def _present_twice(
    facts: _Facts, entries: Sequence[Entry], name_line: Callable[[int], str]
) -> list[FieldError]:
    """A serial counted present (1) on two buckets once these entries are in: an error on
    each entry that makes it so, naming the other line."""
    counted: dict[BucketKey, Decimal | None] = {
        _key(line): line.counted_quantity for line in facts.lines
    }
    counted.update({entry.key: entry.quantity for entry in entries})
    present: dict[tuple[str, str], list[BucketKey]] = {}
    for key, quantity in counted.items():
        if key[3] and quantity == 1:
            present.setdefault((key[0], key[3]), []).append(key)
    line_nos = {_key(line): line.line_no for line in facts.lines}
    entered = {entry.key: entry for entry in entries}
    errors = []
    for entry in entries:
        if not entry.serial or entry.quantity != 1:
            continue
        others = [k for k in present[(entry.item_code, entry.serial)] if k != entry.key]
        if not others:
            continue
        other = others[0]
        name = (
            name_line(entered[other].index)
            if other in entered
            else f"line {line_nos[other]} of the count"
        )
        errors.append(
            FieldError(
                f"body.lines.{entry.index}.serial_number",
                f"serial {entry.serial} of {entry.item_code} is counted present on {name} "
                "too: a unit is at one place (count the other 0)",
                "duplicate",
            )
        )
    return errors


async def plan_entries(
    session: AsyncSession,
    count: StockCount,
    lines: Sequence[CountLineIn],
    items: Mapping[str, CatalogItem | None],
    *,
    name_line: Callable[[int], str] = lambda index: f"line {index}",
) -> tuple[list[Entry], list[FieldError]]:
    """Check count lines against the count, the catalog and the locations; every error.

    Errors name `body.lines.<index>[.<field>]` in request order; `name_line(index)` names
    the other line of a duplicate bucket (or serial) in its message.
    """
    errors = [
        error
        for index, line in enumerate(lines)
        for error in _tracking(index, line, items.get(line.item_code))
    ]
    bad = {int(error.field.split(".")[2]) for error in errors}
    tracked = set(range(len(lines))) - bad
    serial_lines = {i for i in tracked if _is_serial(items.get(lines[i].item_code))}
    facts = await _facts(session, count, lines, tracked, serial_lines)
    entries: list[Entry] = []
    seen: dict[BucketKey, int] = {}
    for index, line in enumerate(lines):
        entry, found = _check_line(facts, index, line, index in tracked)
        errors.extend(found)
        if entry is None:
            continue
        if entry.key in seen:
            other = name_line(seen[entry.key])
            what = (
                "serial at the same place and state"
                if entry.serial
                else "item, location, lot and state"
            )
            errors.append(
                FieldError(f"body.lines.{index}", f"counts the same {what} as {other}", "duplicate")
            )
            continue
        seen[entry.key] = index
        entries.append(entry)
    errors.extend(_present_twice(facts, entries, name_line))
    errors.sort(key=request_order)
    return entries, errors


async def apply_entries(uow: UnitOfWork, count: StockCount, entries: Sequence[Entry]) -> None:
    """Write counted quantities: overwrite a line's count, or add a line found while counting."""
    session = uow.session
    lines = {_key(line): line for line in await count_lines(session, count.id)}
    next_no = max((line.line_no for line in lines.values()), default=0) + 1
    now = utcnow()
    for entry in entries:
        line = lines.get(entry.key)
        if line is None:
            line = StockCountLine(
                count_id=count.id,
                line_no=next_no,
                item_code=entry.item_code,
                location_id=entry.location.id,
                lot_key=entry.lot.lot_number if entry.lot else "",
                serial_key=entry.serial,
                lot_id=entry.lot.id if entry.lot else None,
                quality_state=entry.state.value,
                book_quantity=Decimal(0),
                found=True,
            )
            session.add(line)
            lines[entry.key] = line
            next_no += 1
        line.counted_quantity = entry.quantity
        line.counted_at = now
        line.counted_by = uow.actor
    await session.flush()
    counted = [
        {
            "item_code": e.item_code,
            "location_code": e.location.code,
            "lot_number": e.lot.lot_number if e.lot else None,
            "serial_number": e.serial or None,
            "quality_state": e.state.value,
            "counted_quantity": plain(e.quantity),
        }
        for e in entries
    ]
    await uow.audit("count", DOCUMENT_TYPE, str(count.id), after={"lines": counted})


async def enter_counts(
    uow: UnitOfWork, count_id: int, data: CountLinesIn, items: Mapping[str, CatalogItem | None]
) -> StockCountOut:
    """Enter counted quantities, all lines or none; every bad field is named. A count
    that waits for approval takes none (409 `approval_pending`)."""
    async with uow:
        count = await locked_count(uow, count_id)
        expect_countable(count)
        entries, errors = await plan_entries(uow.session, count, data.lines, items)
        if errors:
            raise InvalidInput(f"{len(errors)} field(s) are not valid", errors=errors)
        await apply_entries(uow, count, entries)
        out = await load_count(uow.session, count)
        await uow.commit()
        return out
