"""Stock counts (盘点, SAP physical inventory 701/702): freeze the book, count, post differences.

* **Start** freezes the book of a location and every location below it (optionally only
  some items): one line per non-zero balance bucket (item, location, lot, serial, quality
  state) with its quantity at that moment; a serial-tracked item has one line per serial
  in stock, book 1. Two open counts never cover the same stock: a count whose scope
  overlaps an open one's (one location tree contains the other) for a shared item is
  refused, 409 naming the open count. Starts lock the scope root and its ancestors (top
  down, by id), so two overlapping starts queue and the second sees the first.
* **Counting** enters counted quantities (JSON or a count sheet): a bucket counted again
  is overwritten (who and when are kept); stock found in a bucket the book did not have
  adds a line with book 0, for a catalog item of the count, at a location in the scope,
  with a lot when the item is lot-tracked (an existing lot, as every document names).
  A serial is counted 1 (there) or 0 (not there); a serial found adds a line too (book
  0, counted 1), but only a unit this count shows elsewhere, one a count lost, or one
  never seen: a serial in stock at a place the count does not cover, or shipped,
  consumed, scrapped or returned, is refused.
* **Post** is refused while a line is uncounted. Each line's difference (counted minus
  the frozen book) is posted against today's balance: gains `VIRTUAL/COUNT-ADJUSTMENT ->
  location` (701), losses `location -> VIRTUAL/COUNT-ADJUSTMENT` (702), in the line's
  quality state. Movements made while counting are so kept, not overwritten; a loss
  larger than what is there now is the usual 409 `insufficient_stock` and nothing posts.
  A lost serial leaves as `lost`; a found one comes in (the posting core refuses a
  serial already in stock: 409 `serial_conflict` naming the line). A serial counted
  missing at one place and present at another was misplaced, not lost: it moves
  between the two in one movement, which a reversal simply takes back.
* Under a closed **approval gate** (`count_variance`) posting a count that has
  differences (movements to post) posts nothing: the count stays counting, `approval:
  pending`, and `ApprovalRequested` names each line's signed difference. A pending count
  takes no counts and cannot be posted (409 `approval_pending`); it can be cancelled
  (`ApprovalCancelled`). Workflow's approval posts it as posting does, against the
  balances at that moment; any other decision leaves it counting, to be recounted and
  posted (asking) again (`usecases/document_approvals.py`). A count without differences
  posts at once under a closed gate too.
* A count that is not posted can be **cancelled**; a posted one **reversed** as a whole
  while the stock it moved is still there (reversal appends opposite movements).
* A **blind** count hides book quantities and differences from every answer, sheet and
  event until it is posted, so counters count what they see. Serial-tracked units of the
  book are not listed at all until counted (a line per unit would give the book away):
  counters scan the units they find (a line naming the serial, counted 1), which matches
  each to its book line; a unit nobody scanned counts as missing when the count posts.

This module is the count's life (start, post, cancel, reverse); entering counts is
`stock_count_entries`, count sheets `stock_count_sheets`, reading `stock_count_views`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.stock.clients import CatalogClient, CatalogItem
from services.stock.count_schemas import StockCountCreate, StockCountOut, StockCountStatus
from services.stock.db.models import Balance, Location, StockCount, StockCountItem, StockCountLine
from services.stock.db.queries import (
    location_by_code,
    location_subtree_ids,
    locations_by_ids,
    serial_rows,
)
from services.stock.domain.model import (
    VIRTUAL_LOCATIONS,
    LocationType,
    Movement,
    QualityState,
    SerialStatus,
)
from services.stock.domain.posting import InsufficientStock
from services.stock.schemas import GatedDocument
from services.stock.usecases import document_approvals as approvals
from services.stock.usecases.document_lines import catalog_items, emit_movements, request_order
from services.stock.usecases.posting import (
    DocumentReversed,
    InsufficientStockProblem,
    PostingContext,
    SerialConflict,
    post_movements,
    reverse_document,
)
from services.stock.usecases.requisitions import DocumentStatusConflict
from services.stock.usecases.stock_count_views import (
    DOCUMENT_TYPE,
    book_visible,
    count_lines,
    item_filters,
    load_count,
    load_counts,
    missing,
    unit_to_scan,
)
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, FieldError, InvalidInput
from shared.schemas import plain

ADJUSTMENT = VIRTUAL_LOCATIONS[LocationType.COUNT_ADJUSTMENT]
#: How tracking messages name stock counts.
WHO_TAKES = "stock counts take"
#: How a serial a count may find last left our stock: it never did (never seen), or a
#: count lost it.
FINDABLE = frozenset({SerialStatus.LOST.value})


class CountScopeOverlap(Conflict):
    code = "count_scope_overlap"
    title = "An open stock count already covers this stock"


class CountIncomplete(Conflict):
    code = "count_incomplete"
    title = "The count has uncounted lines"


#: Stock counts posted with differences under their approval gate.
GATE: approvals.Gate[StockCountOut] = approvals.Gate(
    document_type=GatedDocument.COUNT_VARIANCE,
    model=StockCount,
    entity=DOCUMENT_TYPE,
    noun="stock count",
    load=load_counts,
    waiting=StockCountStatus.COUNTING.value,
)


def _invalid(errors: list[FieldError]) -> InvalidInput:
    errors.sort(key=request_order)
    return InvalidInput(f"{len(errors)} field(s) are not valid", errors=errors)


def _lot(line: StockCountLine) -> str:
    lot = f" lot {line.lot_key}" if line.lot_key else ""
    return f"{lot} serial {line.serial_key}" if line.serial_key else lot


# --- starting: freeze the book ---------------------------------------------------------------


async def check_start(catalog: CatalogClient, data: StockCountCreate) -> list[FieldError]:
    """Ask the catalog about the items a count is limited to (outside any transaction)."""
    if data.item_codes is None:
        return []
    items = await catalog_items(catalog, data.item_codes)
    return [
        FieldError(f"body.item_codes.{index}", f"the catalog has no item {code!r}", "not_found")
        for index, code in enumerate(data.item_codes)
        if items[code] is None
    ]


def location_ancestor_ids(location_id: int) -> Select[int]:
    """Ids of the location `location_id` and of every location above it (its parents)."""
    chain = (
        select(Location.id, Location.parent_id)
        .where(Location.id == location_id)
        .cte("location_ancestors", recursive=True)
    )
    parent = aliased(Location, name="parent")
    chain = chain.union(select(parent.id, parent.parent_id).where(parent.id == chain.c.parent_id))
    return select(chain.c.id)


async def _lock_scope(session: AsyncSession, root: Location) -> None:
    """Lock the scope root and its ancestors, by id: overlapping scopes share the outer root.

    `FOR NO KEY UPDATE` on PostgreSQL, so postings that only reference these locations
    (foreign keys take KEY SHARE) are not held up; SQLite's write lock covers it there.
    """
    await session.execute(
        select(Location.id)
        .where(Location.id.in_(location_ancestor_ids(root.id)))
        .order_by(Location.id)
        .with_for_update(key_share=True)
    )


def _common_items(ours: Sequence[str] | None, theirs: Sequence[str] | None) -> set[str] | None:
    """The items two counts share; None: every item (neither is limited)."""
    if ours is None:
        return None if theirs is None else set(theirs)
    if theirs is None:
        return set(ours)
    return set(ours) & set(theirs)


async def _refuse_overlap(
    session: AsyncSession, root: Location, item_codes: Sequence[str] | None
) -> None:
    """409 naming the first open count whose scope and items overlap these."""
    candidates = list(
        await session.scalars(
            select(StockCount)
            .where(
                StockCount.status == StockCountStatus.COUNTING.value,
                or_(
                    StockCount.location_id.in_(location_subtree_ids(root.id)),
                    StockCount.location_id.in_(location_ancestor_ids(root.id)),
                ),
            )
            .order_by(StockCount.id)
        )
    )
    if not candidates:
        return
    filters = await item_filters(session, [c.id for c in candidates])
    for other in candidates:
        common = _common_items(item_codes, filters.get(other.id))
        if common is not None and not common:
            continue
        place = (await locations_by_ids(session, [other.location_id]))[other.location_id]
        what = "every item" if common is None else f"item(s) {', '.join(sorted(common))}"
        raise CountScopeOverlap(
            f"stock count {other.number} is still counting {what} at {place.code} and below, "
            f"which overlaps {root.code} and below: post or cancel it first",
            extra={
                "open_count_id": other.id,
                "open_count_number": other.number,
                "open_count_location_code": place.code,
            },
        )


async def _frozen_book(
    session: AsyncSession, root: Location, item_codes: Sequence[str] | None
) -> list[Balance]:
    """Every non-zero balance in the scope, by location code, item, lot, serial and state."""
    query = (
        select(Balance)
        .join(Location, Location.id == Balance.location_id)
        .where(
            Balance.location_id.in_(location_subtree_ids(root.id)),
            Balance.quantity != 0,
        )
        .order_by(
            Location.code,
            Balance.item_code,
            Balance.lot_key,
            Balance.serial_key,
            Balance.quality_state,
        )
    )
    if item_codes is not None:
        query = query.where(Balance.item_code.in_(item_codes))
    return list(await session.scalars(query))


async def start_count(
    uow: UnitOfWork, data: StockCountCreate, errors: Sequence[FieldError]
) -> StockCountOut:
    """Start a count: freeze the book of the scope, one line per non-zero bucket."""
    async with uow:
        session = uow.session
        found: list[FieldError] = []  # the header field first, then the items in order
        root = await location_by_code(session, data.location_code)
        if root is None:
            found.append(
                FieldError("body.location_code", f"no location {data.location_code!r}", "not_found")
            )
        elif root.is_virtual:
            found.append(
                FieldError(
                    "body.location_code",
                    f"{root.code} is a virtual location; count a physical one",
                )
            )
        found.extend(errors)
        if found:
            raise _invalid(found)
        assert root is not None
        await _lock_scope(session, root)
        await _refuse_overlap(session, root, data.item_codes)
        now = utcnow()
        count = StockCount(
            number=f"tmp-{uuid.uuid4().hex[:24]}",
            status=StockCountStatus.COUNTING.value,
            location_id=root.id,
            blind=data.blind,
            note=data.note,
            created_at=now,
            created_by=uow.actor,
        )
        session.add(count)
        await session.flush()
        count.number = f"PI-{count.id:08d}"
        session.add_all(
            StockCountItem(count_id=count.id, item_code=code) for code in data.item_codes or ()
        )
        book = await _frozen_book(session, root, data.item_codes)
        session.add_all(
            StockCountLine(
                count_id=count.id,
                line_no=number,
                item_code=balance.item_code,
                location_id=balance.location_id,
                lot_key=balance.lot_key,
                serial_key=balance.serial_key,
                lot_id=balance.lot_id,
                quality_state=balance.quality_state,
                book_quantity=balance.quantity,
                found=False,
            )
            for number, balance in enumerate(book, start=1)
        )
        await session.flush()
        return await _finish(uow, count, "start", "StockCountStarted")


# --- the status of a count -------------------------------------------------------------------


async def locked_count(uow: UnitOfWork, count_id: int) -> StockCount:
    count = await uow.session.get(
        StockCount, count_id, with_for_update=True, populate_existing=True
    )
    if count is None:
        raise missing(count_id)
    return count


def expect_status(count: StockCount, allowed: StockCountStatus, *, doing: str) -> None:
    """409 unless the count is `allowed`; a reversed one is `document_reversed`."""
    if count.status == allowed.value:
        return
    if count.status == StockCountStatus.REVERSED.value and doing == "reversed":
        raise DocumentReversed(
            f"stock count {count.number} was reversed at "
            f"{count.reversed_at.isoformat() if count.reversed_at else '?'} by {count.reversed_by}"
        )
    raise DocumentStatusConflict(
        f"stock count {count.number} is {count.status}; only a {allowed.value} one can be {doing}"
    )


def expect_countable(count: StockCount) -> None:
    """Before entering counts: 409 unless the count is counting and does not wait for
    approval (`approval_pending`: what the approver sees must not change)."""
    expect_status(count, StockCountStatus.COUNTING, doing="counted")
    approvals.refuse_pending(GATE, count)


# --- posting, cancelling, reversing ----------------------------------------------------------


def _uncounted_problem(
    count: StockCount, lines: Sequence[StockCountLine], locations: Mapping[int, Location]
) -> CountIncomplete:
    return CountIncomplete(
        f"stock count {count.number} has {len(lines)} uncounted line(s): count them (0 when "
        "nothing is there) before posting",
        errors=[
            FieldError(
                f"lines.{line.line_no - 1}.counted_quantity",
                f"line {line.line_no}: {line.item_code}{_lot(line)} at "
                f"{locations[line.location_id].code} ({line.quality_state}) is not counted",
                "missing",
            )
            for line in lines
        ],
        extra={"uncounted_lines": [line.line_no for line in lines]},
    )


def _misplaced(lines: Sequence[StockCountLine]) -> dict[int, StockCountLine]:
    """Serials counted missing at one bucket and present at another (same lot): the line
    number of the missing line -> the line where the unit was found."""
    lost: dict[tuple[str, str, str], StockCountLine] = {}
    found: dict[tuple[str, str, str], StockCountLine] = {}
    for line in lines:
        if not line.serial_key or line.counted_quantity is None:
            continue
        difference = _difference(line)
        key = (line.item_code, line.serial_key, line.lot_key)
        if difference < 0:
            lost[key] = line
        elif difference > 0:
            found[key] = line
    return {line.line_no: found[key] for key, line in lost.items() if key in found}


def difference_movements(
    lines: Sequence[StockCountLine], locations: Mapping[int, Location]
) -> list[Movement]:
    """One movement per line whose count differs from its frozen book: gains from, losses to
    the count-adjustment location, in the line's quality state; a serial unit's movement
    names it. A misplaced serial (missing on one line, found on another) moves straight
    from the one to the other, in the missing line's place."""
    moved = _misplaced(lines)
    arrivals = {line.line_no for line in moved.values()}
    movements: list[Movement] = []
    for line in lines:
        difference = _difference(line)
        if difference == 0 or line.line_no in arrivals:
            continue
        place = locations[line.location_id].code
        state = QualityState(line.quality_state)
        if line.line_no in moved:
            there = moved[line.line_no]
            source, target = place, locations[there.location_id].code
            source_state, target_state = state, QualityState(there.quality_state)
        else:
            source, target = (ADJUSTMENT, place) if difference > 0 else (place, ADJUSTMENT)
            source_state = target_state = state
        movements.append(
            Movement(
                item_code=line.item_code,
                lot_number=line.lot_key,
                quantity=abs(difference),
                source_location=source,
                target_location=target,
                source_state=source_state,
                target_state=target_state,
                serial_number=line.serial_key,
            )
        )
    return movements


async def _refuse_serials_found_twice(
    session: AsyncSession,
    count: StockCount,
    lines: Sequence[StockCountLine],
    movements: Sequence[Movement],
) -> None:
    """409 `serial_conflict` naming the lines whose found serial cannot come in: one in
    stock now (it arrived somewhere after the count started, or the count does not show
    it missing), or one that left by a document (shipped, consumed, scrapped, returned).
    The posting core refuses these too; this names the lines behind them."""
    gains = {
        (m.item_code, m.serial_number)
        for m in movements
        if m.serial_number and m.source_location == ADJUSTMENT
    }
    if not gains:
        return
    rows = await serial_rows(session, gains)
    blocked = {key: row for key, row in rows.items() if row.status not in FINDABLE}
    if not blocked:
        return
    places = await locations_by_ids(
        session, [row.location_id for row in blocked.values() if row.location_id is not None]
    )
    errors = []
    for line in lines:
        row = blocked.get((line.item_code, line.serial_key))
        if row is None or line.counted_quantity is None or _difference(line) <= 0:
            continue
        unit = f"serial {line.serial_key} of {line.item_code}"
        if row.status == SerialStatus.IN_STOCK.value and row.location_id is not None:
            why = (
                f"line {line.line_no}: {unit} is in stock at {places[row.location_id].code} "
                f"({row.quality_state}), which this count does not show missing: one unit "
                "cannot be found a second time"
            )
        else:
            why = (
                f"line {line.line_no}: {unit} was {row.status}: a count finds only units it "
                "lost or never saw"
            )
        errors.append(
            FieldError(f"lines.{line.line_no - 1}.counted_quantity", why, "serial_conflict")
        )
    raise SerialConflict(
        f"stock count {count.number} cannot be posted: {len(errors)} serial(s) found cannot "
        "come in",
        errors=errors,
    )


def _difference(line: StockCountLine) -> Decimal:
    assert line.counted_quantity is not None
    return line.counted_quantity - line.book_quantity


def _short_lines(
    exc: InsufficientStockProblem,
    count: StockCount,
    lines: Sequence[StockCountLine],
    locations: Mapping[int, Location],
    *,
    reversing: bool,
) -> InsufficientStockProblem:
    """The 409 shortage, also naming the count lines that take from the short bucket: the
    losses when posting, the gains when reversing. A blind count's messages keep its book
    to themselves."""
    cause = exc.__cause__
    if reversing:
        prefix = f"stock count {count.number} cannot be reversed, the stock moved on: "
    else:
        prefix = f"stock count {count.number} cannot be posted: "
    if not isinstance(cause, InsufficientStock):
        return InsufficientStockProblem(prefix + exc.detail, extra=dict(exc.extra))
    key, there = cause.key, plain(cause.available)

    def why(line: StockCountLine) -> str:
        taken = plain(abs(_difference(line)))
        if reversing:
            return (
                f"line {line.line_no}: reversing takes back the gain of {taken}; {there} is there"
            )
        if not book_visible(count):
            return f"line {line.line_no}: the loss counted is more than the {there} there now"
        counted = plain(line.book_quantity + _difference(line))
        return (
            f"line {line.line_no}: counted {counted} against a book of "
            f"{plain(line.book_quantity)}, a loss of {taken}; {there} is there now"
        )

    short = [
        FieldError(f"lines.{line.line_no - 1}.counted_quantity", why(line), "insufficient_stock")
        for line in lines
        if line.counted_quantity is not None
        and (_difference(line) > 0 if reversing else _difference(line) < 0)
        and (line.item_code, line.lot_key, line.serial_key, line.quality_state)
        == (key.item_code, key.lot_number, key.serial_number, key.quality_state.value)
        and locations[line.location_id].code == key.location_code
    ]
    return InsufficientStockProblem(prefix + exc.detail, errors=short, extra=dict(exc.extra))


def _item_types(items: Mapping[str, CatalogItem | None], codes: Iterable[str]) -> dict[str, str]:
    unknown = sorted({code for code in codes if items.get(code) is None})
    if unknown:
        raise Conflict(f"the catalog no longer knows item(s) {', '.join(unknown)}")
    return {code: item.item_type for code, item in items.items() if item is not None}


async def post_count(
    uow: UnitOfWork,
    count_id: int,
    items: Mapping[str, CatalogItem | None],
    *,
    approved_by: str | None = None,
) -> StockCountOut:
    """Post a fully counted count: each difference against today's balance, all or nothing.

    Under a closed `count_variance` gate a count with differences waits for approval
    instead (nothing posted, still counting); `approved_by`: workflow's approval of a
    count that waits (its reference), which posts it."""
    async with uow:
        session = uow.session
        count = await locked_count(uow, count_id)
        expect_status(count, StockCountStatus.COUNTING, doing="posted")
        gated = await approvals.must_wait(
            session, GATE, count, posting=True, approved_by=approved_by
        )
        lines = await count_lines(session, count.id)
        locations = await locations_by_ids(
            session, [count.location_id, *(line.location_id for line in lines)]
        )
        now = utcnow()
        unscanned = [line for line in lines if unit_to_scan(count, line)]
        for line in unscanned:  # a blind count's unit nobody scanned: missing
            line.counted_quantity, line.counted_at = Decimal(0), now
        uncounted = [line for line in lines if line.counted_quantity is None]
        if uncounted:
            raise _uncounted_problem(count, uncounted, locations)
        movements = difference_movements(lines, locations)
        await _refuse_serials_found_twice(session, count, lines, movements)
        item_types = _item_types(items, (m.item_code for m in movements)) if movements else {}
        if gated and movements:
            requested = _requested(count, lines, locations, items)
            for line in unscanned:  # still to scan, should the count be returned
                line.counted_quantity = line.counted_at = None
            approvals.hold(count)
            await session.flush()
            out = await load_count(session, count)
            await approvals.request_approval(uow, GATE, out, requested)
            return out
        if movements:
            virtual = await location_by_code(session, ADJUSTMENT)
            assert virtual is not None  # the first migration creates it
            context = PostingContext(
                document_type=DOCUMENT_TYPE,
                document_id=count.id,
                item_types=item_types,
                locations={virtual.code: virtual, **{loc.code: loc for loc in locations.values()}},
                lot_ids={(line.item_code, line.lot_key): line.lot_id for line in lines},
                posted_at=now,
            )
            try:
                await post_movements(uow, context, movements)
            except InsufficientStockProblem as exc:
                problem = _short_lines(exc, count, lines, locations, reversing=False)
                raise problem from exc.__cause__
        count.status = StockCountStatus.POSTED.value
        count.posted_at = now
        count.posted_by = uow.actor
        await session.flush()
        return await _finish(uow, count, "post", "StockCountPosted", movements=True)


def _requested(
    count: StockCount,
    lines: Sequence[StockCountLine],
    locations: Mapping[int, Location],
    items: Mapping[str, CatalogItem | None],
) -> approvals.Requested:
    """What workflow is told of a count held for approval: each line that differs, its
    signed difference in the stock unit (+ found more, - missing) and where it is."""
    return approvals.Requested(
        location_code=locations[count.location_id].code,
        lines=[
            approvals.RequestedLine(
                line_no=line.line_no,
                item_code=line.item_code,
                quantity=_difference(line),
                uom=item.uom if (item := items.get(line.item_code)) else None,
                lot_number=line.lot_key or None,
                location_code=locations[line.location_id].code,
            )
            for line in lines
            if _difference(line) != 0
        ],
        note=count.note,
    )


async def cancel_count(uow: UnitOfWork, count_id: int) -> StockCountOut:
    """Cancel a count that is still counting; nothing was posted, nothing is. One that
    waited for approval ends it (`ApprovalCancelled`)."""
    async with uow:
        count = await locked_count(uow, count_id)
        expect_status(count, StockCountStatus.COUNTING, doing="cancelled")
        count.status = StockCountStatus.CANCELLED.value
        count.cancelled_at = utcnow()
        count.cancelled_by = uow.actor
        await uow.session.flush()
        return await _finish(
            uow, count, "cancel", "StockCountCancelled", then=approvals.announce_cancel(GATE)
        )


async def reverse_count(
    uow: UnitOfWork, count_id: int, items: Mapping[str, CatalogItem | None]
) -> StockCountOut:
    """Take a posted count back as a whole: every difference returns while the stock is there."""
    async with uow:
        session = uow.session
        count = await locked_count(uow, count_id)
        expect_status(count, StockCountStatus.POSTED, doing="reversed")
        before = await load_count(session, count)
        now = utcnow()
        item_types = _item_types(items, (m.item_code for m in before.movements))
        try:
            await reverse_document(uow, DOCUMENT_TYPE, count.id, item_types, now)
        except InsufficientStockProblem as exc:
            lines = await count_lines(session, count.id)
            locations = await locations_by_ids(session, [line.location_id for line in lines])
            problem = _short_lines(exc, count, lines, locations, reversing=True)
            raise problem from exc.__cause__
        count.status = StockCountStatus.REVERSED.value
        count.reversed_at = now
        count.reversed_by = uow.actor
        await session.flush()
        return await _finish(
            uow, count, "reverse", "StockCountReversed", movements=True, before=before
        )


async def _finish(
    uow: UnitOfWork,
    count: StockCount,
    action: str,
    event: str,
    *,
    movements: bool = False,
    before: StockCountOut | None = None,
    then: Callable[[UnitOfWork, StockCount], None] | None = None,
) -> StockCountOut:
    """Audit, events (a reversal publishes only its own new movements; `then` emits what
    else the change ends), commit."""
    out = await load_count(uow.session, count)
    payload = out.model_dump(mode="json")
    await uow.audit(
        action,
        DOCUMENT_TYPE,
        str(out.id),
        before=before.model_dump(mode="json") if before else None,
        after=payload,
    )
    if movements:
        emit_movements(
            uow, (m for m in out.movements if action != "reverse" or m.reversal_of_id is not None)
        )
    uow.emit(event, DOCUMENT_TYPE, str(out.id), payload)
    if then is not None:
        then(uow, count)
    await uow.commit()
    return out
