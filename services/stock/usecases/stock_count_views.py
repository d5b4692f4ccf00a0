"""Reading stock counts: one count with its lines and movements, and lists of summaries.

A blind count shows no book quantities and no differences (`null`) until it is posted;
every answer, sheet and event is built here, so they all hide the same things. Lists
carry no lines, only their totals, counted in one grouped query per page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import and_, case, func, not_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.count_schemas import (
    StockCountLineOut,
    StockCountOut,
    StockCountStatus,
    StockCountSummary,
)
from services.stock.db.models import (
    Location,
    StockCount,
    StockCountItem,
    StockCountLine,
)
from services.stock.db.queries import (
    document_ledgers,
    location_by_code,
    locations_by_ids,
    lots_by_ids,
)
from services.stock.domain.model import QualityState
from services.stock.schemas import ApprovalState
from services.stock.usecases.receipts import movement_out
from shared.db.paging import page_by_id, where_equal
from shared.errors import NotFound
from shared.http.pagination import PageParams

DOCUMENT_TYPE = "stock_count"
#: A count's book shows once the count is posted (and stays shown after a reversal).
_BOOK_SHOWN = frozenset({StockCountStatus.POSTED.value, StockCountStatus.REVERSED.value})


def missing(count_id: int) -> NotFound:
    return NotFound(f"stock count {count_id} does not exist")


def book_visible(count: StockCount) -> bool:
    """Whether answers show book quantities: always, except for a blind count not posted."""
    return not count.blind or count.status in _BOOK_SHOWN


def unit_to_scan(count: StockCount, line: StockCountLine) -> bool:
    """A serial-tracked unit of the book that a blind count has not seen yet: not shown
    (its serial number and the number of such lines would give the book away); counters
    scan the units they find, which matches them to it. Not scanned by posting: missing."""
    return not book_visible(count) and bool(line.serial_key) and line.counted_quantity is None


async def find_count(session: AsyncSession, count_id: int) -> StockCount:
    count = await session.get(StockCount, count_id)
    if count is None:
        raise missing(count_id)
    return count


async def count_lines(session: AsyncSession, count_id: int) -> list[StockCountLine]:
    """A count's lines by line number: the frozen book first, then stock found counting."""
    return list(
        await session.scalars(
            select(StockCountLine)
            .where(StockCountLine.count_id == count_id)
            .order_by(StockCountLine.line_no)
        )
    )


async def item_filters(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[str]]:
    """The items each count is limited to; a count without an entry counts every item."""
    found: dict[int, list[str]] = {}
    if not ids:
        return found
    for row in await session.scalars(
        select(StockCountItem)
        .where(StockCountItem.count_id.in_(ids))
        .order_by(StockCountItem.count_id, StockCountItem.item_code)
    ):
        found.setdefault(row.count_id, []).append(row.item_code)
    return found


@dataclass(frozen=True, slots=True)
class _Totals:
    lines: int = 0
    counted: int = 0
    different: int = 0


def _summary(
    count: StockCount, totals: _Totals, locations: Mapping[int, Location], items: list[str] | None
) -> StockCountSummary:
    shown = book_visible(count)
    return StockCountSummary(
        id=count.id,
        number=count.number,
        status=StockCountStatus(count.status),
        location_code=locations[count.location_id].code,
        item_codes=items,
        blind=count.blind,
        book_visible=shown,
        note=count.note,
        line_count=totals.lines,
        counted_lines=totals.counted,
        uncounted_lines=totals.lines - totals.counted,
        lines_with_difference=totals.different if shown else None,
        created_at=count.created_at,
        created_by=count.created_by,
        posted_at=count.posted_at,
        posted_by=count.posted_by,
        cancelled_at=count.cancelled_at,
        cancelled_by=count.cancelled_by,
        reversed_at=count.reversed_at,
        reversed_by=count.reversed_by,
        approval=ApprovalState(count.approval),
        approval_ref=count.approval_ref,
    )


def _line_out(
    line: StockCountLine, shown: bool, locations: Mapping[int, Location]
) -> StockCountLineOut:
    counted = line.counted_quantity
    return StockCountLineOut(
        line_no=line.line_no,
        item_code=line.item_code,
        location_code=locations[line.location_id].code,
        lot_number=line.lot_key or None,
        serial_number=line.serial_key or None,
        quality_state=QualityState(line.quality_state),
        book_quantity=line.book_quantity if shown else None,
        counted_quantity=counted,
        difference=counted - line.book_quantity if shown and counted is not None else None,
        found=line.found,
        counted_at=line.counted_at,
        counted_by=line.counted_by,
    )


async def load_count(session: AsyncSession, count: StockCount) -> StockCountOut:
    """One count with its lines and movements, in a fixed number of queries."""
    lines = await count_lines(session, count.id)
    ledger = (await document_ledgers(session, [DOCUMENT_TYPE], [count.id]))[count.id]
    locations = await locations_by_ids(
        session,
        [count.location_id]
        + [line.location_id for line in lines]
        + [m.from_location_id for m in ledger]
        + [m.to_location_id for m in ledger],
    )
    lots = await lots_by_ids(session, [m.lot_id for m in ledger])
    filters = await item_filters(session, [count.id])
    lines = [line for line in lines if not unit_to_scan(count, line)]
    totals = _Totals(
        lines=len(lines),
        counted=sum(1 for line in lines if line.counted_quantity is not None),
        different=sum(
            1
            for line in lines
            if line.counted_quantity is not None and line.counted_quantity != line.book_quantity
        ),
    )
    shown = book_visible(count)
    return StockCountOut(
        **_summary(count, totals, locations, filters.get(count.id)).model_dump(),
        lines=[_line_out(line, shown, locations) for line in lines],
        movements=[movement_out(row, locations, lots) for row in ledger],
    )


async def load_counts(session: AsyncSession, counts: Sequence[StockCount]) -> list[StockCountOut]:
    """Counts as `load_count` reads them (the approval mechanism reads one at a time)."""
    return [await load_count(session, count) for count in counts]


async def get_count(session: AsyncSession, count_id: int) -> StockCountOut:
    return await load_count(session, await find_count(session, count_id))


async def line_item_codes(session: AsyncSession, count_id: int) -> list[str]:
    """The distinct items on a count's lines (for the catalog look-up before posting)."""
    await find_count(session, count_id)
    codes = await session.scalars(
        select(StockCountLine.item_code)
        .where(StockCountLine.count_id == count_id)
        .distinct()
        .order_by(StockCountLine.item_code)
    )
    return list(codes)


async def _totals(
    session: AsyncSession, ids: Sequence[int], blind: Sequence[int] = ()
) -> dict[int, _Totals]:
    """Line counts per count in one grouped query; for the `blind` ones (book hidden), the
    units still to scan are left out, as the counts themselves show them."""
    if not ids:
        return {}
    counted = StockCountLine.counted_quantity
    to_scan = and_(
        StockCountLine.count_id.in_(blind or [-1]),
        StockCountLine.serial_key != "",
        counted.is_(None),
    )
    rows = await session.execute(
        select(
            StockCountLine.count_id,
            func.count(),
            func.count(counted),
            func.sum(
                case(
                    (and_(counted.is_not(None), counted != StockCountLine.book_quantity), 1),
                    else_=0,
                )
            ),
        )
        .where(StockCountLine.count_id.in_(ids), not_(to_scan))
        .group_by(StockCountLine.count_id)
    )
    return {
        count_id: _Totals(int(lines), int(done), int(different or 0))
        for count_id, lines, done, different in rows
    }


async def list_counts(
    session: AsyncSession,
    page: PageParams,
    *,
    status: StockCountStatus | None,
    location_code: str | None,
) -> tuple[list[StockCountSummary], str | None]:
    """Counts in the order they were started, by status and scope location (no lines)."""
    query = where_equal(select(StockCount), {StockCount.status: status.value if status else None})
    if location_code is not None:
        location = await location_by_code(session, location_code)
        query = query.where(StockCount.location_id == (location.id if location else -1))
    rows, cursor = await page_by_id(session, query, StockCount.id, page)
    ids = [row.id for row in rows]
    totals = await _totals(session, ids, [row.id for row in rows if not book_visible(row)])
    filters = await item_filters(session, ids)
    locations = await locations_by_ids(session, [row.location_id for row in rows])
    summaries = [
        _summary(row, totals.get(row.id, _Totals()), locations, filters.get(row.id)) for row in rows
    ]
    return summaries, cursor
