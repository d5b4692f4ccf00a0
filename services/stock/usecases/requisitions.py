"""Material requisitions (生产领料): components issued from stores to a work order's line.

A requisition is created as a draft, submitted (the state an approval flow will gate)
and then posted: posting picks qualified stock, earliest expiry first and then earliest
receipt (FEFO, then FIFO; expired lots never), unless a line names its lot, and moves it
to the production line, where it counts as work in progress. Posting is all lines or
none. A draft or submitted requisition can be cancelled; a posted one reversed.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.clients import CatalogItem
from services.stock.db.models import Balance, Location, Lot, MovementRow, Requisition
from services.stock.db.models import RequisitionLine as LineRow
from services.stock.db.queries import (
    location_subtree_ids,
    locations_by_codes,
    locations_by_ids,
    lots_by_ids,
    lots_by_numbers,
)
from services.stock.domain.model import LocationType, Movement, QualityState, Tracking
from services.stock.domain.picking import Candidate, Pick, Shortage, pick
from services.stock.domain.posting import InsufficientStock
from services.stock.requisition_schemas import (
    PickOut,
    PickSuggestion,
    RequisitionCreate,
    RequisitionLineOut,
    RequisitionOut,
    RequisitionStatus,
    ShortageOut,
)
from services.stock.usecases.document_lines import emit_movements
from services.stock.usecases.locations import stock_location_error
from services.stock.usecases.posting import (
    InsufficientStockProblem,
    PostingContext,
    post_movements,
    reverse_document,
)
from services.stock.usecases.receipts import movement_out
from shared.db.paging import page_by_id, where_equal
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, FieldError, InvalidInput, NotFound
from shared.http.pagination import PageParams
from shared.schemas import plain

DOCUMENT_TYPE = "requisition"
#: Where a requisition takes stock from: stores, not lines, quarantine or scrap.
ISSUABLE_TYPES = frozenset(
    {
        LocationType.STORAGE.value,
        LocationType.RECEIVING.value,
        LocationType.INSPECTION.value,
        LocationType.FINISHED_GOODS.value,
    }
)
#: Posting re-picks when a concurrent posting took the stock it had picked.
PICK_ATTEMPTS = 3


class DocumentStatusConflict(Conflict):
    code = "document_status_conflict"
    title = "The document is not in a status that allows this"


def _line_errors(
    index: int, item_code: str, lot_number: str | None, item: CatalogItem | None
) -> list[FieldError]:
    path = f"body.lines.{index}"
    if item is None:
        return [
            FieldError(f"{path}.item_code", f"the catalog has no item {item_code!r}", "not_found")
        ]
    tracking = Tracking(item.tracking)
    if tracking is Tracking.SERIAL:
        return [FieldError(f"{path}.item_code", "serial-tracked items are not handled yet")]
    if tracking is Tracking.NONE and lot_number is not None:
        return [FieldError(f"{path}.lot_number", f"item {item.code} is not lot-tracked")]
    return []


async def create_requisition(
    uow: UnitOfWork, data: RequisitionCreate, items: Mapping[str, CatalogItem | None]
) -> RequisitionOut:
    """Create a draft requisition after checking its locations, items and named lots."""
    async with uow:
        session = uow.session
        errors = [
            error
            for index, line in enumerate(data.lines)
            for error in _line_errors(
                index, line.item_code, line.lot_number, items.get(line.item_code)
            )
        ]
        codes = {data.to_location_code} | (
            {data.from_location_code} if data.from_location_code else set()
        )
        locations = await locations_by_codes(session, codes)
        target = locations.get(data.to_location_code)
        problem = stock_location_error("body.to_location_code", data.to_location_code, target)
        if problem is not None:
            errors.insert(0, problem)
        elif target is not None and target.location_type != LocationType.PRODUCTION_LINE.value:
            errors.insert(
                0,
                FieldError(
                    "body.to_location_code", f"{target.code} is not a production line", "invalid"
                ),
            )
        source = locations.get(data.from_location_code) if data.from_location_code else None
        if data.from_location_code and (source is None or source.is_virtual):
            errors.insert(
                0,
                FieldError(
                    "body.from_location_code",
                    f"no physical location {data.from_location_code!r}",
                    "not_found",
                ),
            )
        lot_tracked = {
            code
            for code, item in items.items()
            if item is not None and Tracking(item.tracking) is Tracking.LOT
        }
        named = {
            (line.item_code, line.lot_number)
            for line in data.lines
            if line.lot_number is not None and line.item_code in lot_tracked
        }
        lots = await lots_by_numbers(session, named)
        for index, line in enumerate(data.lines):
            if (line.item_code, line.lot_number) in named and (
                line.item_code,
                line.lot_number,
            ) not in lots:
                errors.append(
                    FieldError(
                        f"body.lines.{index}.lot_number",
                        f"{line.item_code} has no lot {line.lot_number!r}",
                        "not_found",
                    )
                )
        if errors:
            raise InvalidInput(f"{len(errors)} field(s) are not valid", errors=errors)
        assert target is not None
        now = utcnow()
        requisition = Requisition(
            number=f"tmp-{uuid.uuid4().hex[:24]}",
            status=RequisitionStatus.DRAFT.value,
            work_order=data.work_order,
            to_location_id=target.id,
            from_location_id=source.id if source else None,
            note=data.note,
            created_at=now,
            created_by=uow.actor,
        )
        session.add(requisition)
        await session.flush()
        requisition.number = f"MR-{requisition.id:08d}"
        session.add_all(
            LineRow(
                requisition_id=requisition.id,
                line_no=index + 1,
                item_code=line.item_code,
                quantity=line.quantity,
                lot_id=lots[(line.item_code, line.lot_number)].id if line.lot_number else None,
            )
            for index, line in enumerate(data.lines)
        )
        await session.flush()
        return await _finish(uow, requisition, "create", "RequisitionCreated")


async def _locked(uow: UnitOfWork, requisition_id: int) -> Requisition:
    requisition = await uow.session.get(Requisition, requisition_id, with_for_update=True)
    if requisition is None:
        raise NotFound(f"requisition {requisition_id} does not exist")
    return requisition


def _expect(requisition: Requisition, *allowed: RequisitionStatus, doing: str) -> None:
    if requisition.status not in {s.value for s in allowed}:
        raise DocumentStatusConflict(
            f"requisition {requisition.number} is {requisition.status}; "
            f"only a {' or '.join(s.value for s in allowed)} one can be {doing}"
        )


async def submit_requisition(uow: UnitOfWork, requisition_id: int) -> RequisitionOut:
    """Submit a draft: it now waits for approval and posting."""
    async with uow:
        requisition = await _locked(uow, requisition_id)
        _expect(requisition, RequisitionStatus.DRAFT, doing="submitted")
        requisition.status = RequisitionStatus.SUBMITTED.value
        requisition.submitted_at = utcnow()
        requisition.submitted_by = uow.actor
        await uow.session.flush()
        return await _finish(uow, requisition, "submit", "RequisitionSubmitted")


async def cancel_requisition(uow: UnitOfWork, requisition_id: int) -> RequisitionOut:
    """Cancel a draft or submitted requisition; nothing was posted, nothing is."""
    async with uow:
        requisition = await _locked(uow, requisition_id)
        _expect(
            requisition, RequisitionStatus.DRAFT, RequisitionStatus.SUBMITTED, doing="cancelled"
        )
        requisition.status = RequisitionStatus.CANCELLED.value
        requisition.cancelled_at = utcnow()
        requisition.cancelled_by = uow.actor
        await uow.session.flush()
        return await _finish(uow, requisition, "cancel", "RequisitionCancelled")


async def _lines(session: AsyncSession, requisition_id: int) -> list[LineRow]:
    return list(
        await session.scalars(
            select(LineRow)
            .where(LineRow.requisition_id == requisition_id)
            .order_by(LineRow.line_no)
        )
    )


async def _candidates(
    session: AsyncSession, requisition: Requisition, item_codes: set[str]
) -> list[Candidate]:
    """Qualified stock of these items that the requisition may take, with lot dates."""
    query = (
        select(Balance, Location.code, Lot)
        .join(Location, Location.id == Balance.location_id)
        .outerjoin(Lot, Lot.id == Balance.lot_id)
        .where(
            Balance.item_code.in_(item_codes),
            Balance.quality_state == QualityState.QUALIFIED.value,
            Balance.quantity > 0,
            Location.location_type.in_(ISSUABLE_TYPES),
            Location.active.is_(True),
            Location.id != requisition.to_location_id,
        )
    )
    if requisition.from_location_id is not None:
        query = query.where(Location.id.in_(location_subtree_ids(requisition.from_location_id)))
    rows = await session.execute(query)
    return [
        Candidate(
            item_code=balance.item_code,
            location_code=code,
            lot_number=balance.lot_key,
            quantity=balance.quantity,
            expiry_date=lot.expiry_date if lot else None,
            receipt_date=lot.receipt_date if lot else None,
            lot_id=lot.id if lot else None,
        )
        for balance, code, lot in rows
    ]


async def _plan(
    session: AsyncSession, requisition: Requisition, lines: Sequence[LineRow]
) -> tuple[list[Pick], list[Shortage], list[Candidate]]:
    named = await lots_by_ids(session, [line.lot_id for line in lines])
    candidates = await _candidates(session, requisition, {line.item_code for line in lines})
    picks, shortages = pick(
        (
            (
                line.line_no,
                line.item_code,
                line.quantity,
                named[line.lot_id].lot_number if line.lot_id else None,
            )
            for line in lines
        ),
        candidates,
        today=date.today(),
    )
    return picks, shortages, candidates


async def suggest_picks(session: AsyncSession, requisition_id: int) -> PickSuggestion:
    """What posting would take now (FEFO, then FIFO), and which lines would fall short."""
    requisition = await session.get(Requisition, requisition_id)
    if requisition is None:
        raise NotFound(f"requisition {requisition_id} does not exist")
    picks, shortages, candidates = await _plan(
        session, requisition, await _lines(session, requisition.id)
    )
    expiry = {(c.item_code, c.location_code, c.lot_number): c.expiry_date for c in candidates}
    return PickSuggestion(
        requisition_id=requisition.id,
        picks=[
            PickOut(
                line_no=p.line,
                item_code=p.item_code,
                location_code=p.location_code,
                lot_number=p.lot_number or None,
                quantity=p.quantity,
                expiry_date=expiry.get((p.item_code, p.location_code, p.lot_number)),
            )
            for p in picks
        ],
        shortages=[
            ShortageOut(
                line_no=s.line, item_code=s.item_code, available=s.available, needed=s.needed
            )
            for s in shortages
        ],
    )


def _shortage_problem(requisition: Requisition, shortages: list[Shortage]) -> Exception:
    first = shortages[0]
    return InsufficientStockProblem(
        f"requisition {requisition.number} cannot be posted: line {first.line} needs "
        f"{plain(first.needed)} of {first.item_code}, {plain(first.available)} qualified "
        "is available",
        errors=[
            FieldError(
                f"lines.{s.line - 1}.quantity",
                f"{plain(s.available)} of {s.item_code} available, {plain(s.needed)} needed",
                "insufficient_stock",
            )
            for s in shortages
        ],
        extra={
            "item_code": first.item_code,
            "available": plain(first.available),
            "needed": plain(first.needed),
        },
    )


async def post_requisition(
    uow: UnitOfWork, requisition_id: int, items: Mapping[str, CatalogItem | None]
) -> RequisitionOut:
    """Issue a submitted requisition: pick, move to the line, all lines or none."""
    async with uow:
        session = uow.session
        requisition = await _locked(uow, requisition_id)
        _expect(requisition, RequisitionStatus.SUBMITTED, doing="posted")
        lines = await _lines(session, requisition.id)
        missing = sorted({ln.item_code for ln in lines if items.get(ln.item_code) is None})
        if missing:
            raise Conflict(f"the catalog no longer knows {', '.join(missing)}")
        item_types = {code: item.item_type for code, item in items.items() if item is not None}
        now = utcnow()
        target = (await locations_by_ids(session, [requisition.to_location_id]))[
            requisition.to_location_id
        ]
        for attempt in range(PICK_ATTEMPTS):
            picks, shortages, candidates = await _plan(session, requisition, lines)
            if shortages:
                raise _shortage_problem(requisition, shortages)
            sources = await locations_by_codes(session, {p.location_code for p in picks})
            lot_ids = {(c.item_code, c.lot_number): c.lot_id for c in candidates}
            movements = [
                Movement(
                    item_code=p.item_code,
                    lot_number=p.lot_number,
                    quantity=p.quantity,
                    source_location=p.location_code,
                    target_location=target.code,
                    source_state=QualityState.QUALIFIED,
                    target_state=QualityState.QUALIFIED,
                )
                for p in picks
            ]
            try:
                await post_movements(
                    uow,
                    PostingContext(
                        document_type=DOCUMENT_TYPE,
                        document_id=requisition.id,
                        item_types=item_types,
                        locations={**sources, target.code: target},
                        lot_ids=lot_ids,
                        posted_at=now,
                    ),
                    movements,
                )
                break
            except InsufficientStockProblem as exc:
                # Another posting took the picked stock between reading and locking: the
                # rows are locked now, so the next pick sees what is really left.
                if attempt == PICK_ATTEMPTS - 1 or not isinstance(exc.__cause__, InsufficientStock):
                    raise
        requisition.status = RequisitionStatus.POSTED.value
        requisition.posted_at = now
        requisition.posted_by = uow.actor
        await session.flush()
        return await _finish(uow, requisition, "post", "RequisitionPosted", movements=True)


async def reverse_requisition(
    uow: UnitOfWork, requisition_id: int, items: Mapping[str, CatalogItem | None]
) -> RequisitionOut:
    """Return a posted requisition's stock from the line to where it was taken."""
    async with uow:
        requisition = await _locked(uow, requisition_id)
        _expect(requisition, RequisitionStatus.POSTED, doing="reversed")
        item_types = {code: item.item_type for code, item in items.items() if item is not None}
        now = utcnow()
        await reverse_document(uow, DOCUMENT_TYPE, requisition.id, item_types, now)
        requisition.status = RequisitionStatus.REVERSED.value
        requisition.reversed_at = now
        requisition.reversed_by = uow.actor
        await uow.session.flush()
        return await _finish(uow, requisition, "reverse", "RequisitionReversed", movements=True)


async def _finish(
    uow: UnitOfWork, requisition: Requisition, action: str, event: str, *, movements: bool = False
) -> RequisitionOut:
    out = await load_out(uow.session, requisition)
    payload = out.model_dump(mode="json")
    await uow.audit(action, "requisition", str(out.id), after=payload)
    if movements:  # a reversal publishes only its own, new movements
        emit_movements(
            uow, (m for m in out.movements if action != "reverse" or m.reversal_of_id is not None)
        )
    uow.emit(event, "requisition", str(out.id), payload)
    await uow.commit()
    return out


async def load_out(session: AsyncSession, requisition: Requisition) -> RequisitionOut:
    lines = await _lines(session, requisition.id)
    ledger = list(
        await session.scalars(
            select(MovementRow)
            .where(
                MovementRow.document_type == DOCUMENT_TYPE,
                MovementRow.document_id == requisition.id,
            )
            .order_by(MovementRow.id)
        )
    )
    locations = await locations_by_ids(
        session,
        [requisition.to_location_id]
        + ([requisition.from_location_id] if requisition.from_location_id else [])
        + [m.from_location_id for m in ledger]
        + [m.to_location_id for m in ledger],
    )
    lots = await lots_by_ids(session, [ln.lot_id for ln in lines] + [m.lot_id for m in ledger])
    return RequisitionOut(
        id=requisition.id,
        number=requisition.number,
        status=RequisitionStatus(requisition.status),
        work_order=requisition.work_order,
        to_location_code=locations[requisition.to_location_id].code,
        from_location_code=(
            locations[requisition.from_location_id].code if requisition.from_location_id else None
        ),
        note=requisition.note,
        lines=[
            RequisitionLineOut(
                line_no=ln.line_no,
                item_code=ln.item_code,
                quantity=ln.quantity,
                lot_number=lots[ln.lot_id].lot_number if ln.lot_id else None,
            )
            for ln in lines
        ],
        created_at=requisition.created_at,
        created_by=requisition.created_by,
        submitted_at=requisition.submitted_at,
        submitted_by=requisition.submitted_by,
        posted_at=requisition.posted_at,
        posted_by=requisition.posted_by,
        cancelled_at=requisition.cancelled_at,
        cancelled_by=requisition.cancelled_by,
        reversed_at=requisition.reversed_at,
        reversed_by=requisition.reversed_by,
        movements=[movement_out(row, locations, lots) for row in ledger],
    )


async def item_codes(session: AsyncSession, requisition_id: int) -> list[str]:
    if await session.get(Requisition, requisition_id) is None:
        raise NotFound(f"requisition {requisition_id} does not exist")
    return sorted(
        set(
            await session.scalars(
                select(LineRow.item_code).where(LineRow.requisition_id == requisition_id)
            )
        )
    )


async def get_requisition(session: AsyncSession, requisition_id: int) -> RequisitionOut:
    requisition = await session.get(Requisition, requisition_id)
    if requisition is None:
        raise NotFound(f"requisition {requisition_id} does not exist")
    return await load_out(session, requisition)


async def list_requisitions(
    session: AsyncSession, page: PageParams, *, status: str | None, work_order: str | None
) -> tuple[list[RequisitionOut], str | None]:
    query = where_equal(
        select(Requisition),
        {Requisition.status: status, Requisition.work_order: work_order},
    )
    rows, cursor = await page_by_id(session, query, Requisition.id, page)
    return [await load_out(session, row) for row in rows], cursor
