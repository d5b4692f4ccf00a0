"""Material requisitions (生产领料): components issued from stores to a work order's line.

A requisition is created as a draft, submitted (the state an approval flow will gate)
and then posted: posting takes qualified stock from stores (`requisition_plan`), earliest
expiry first and then earliest receipt (FEFO, then FIFO; expired lots never), unless a
line names its lot, and moves it to the production line, where it counts as work in
progress. A serial-tracked line names its units (one serial number per unit, each on one
line only); each is taken from wherever it is qualified in scope, with its own lot, and
moves as one movement of quantity 1. Posting locks everything it may touch before it
picks (`requisition_picking`), so it is exact and all lines or none: a short line or a
named unit that is not there is a 409 that changes nothing. A draft or submitted
requisition can be cancelled; a posted one reversed as a whole while the stock is still
at the line.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.clients import CatalogItem
from services.stock.db.models import Requisition
from services.stock.db.models import RequisitionLine as LineRow
from services.stock.db.queries import locations_by_codes, locations_by_ids, lots_by_numbers
from services.stock.domain.model import LocationType, Movement, QualityState, References
from services.stock.requisition_schemas import (
    PickSuggestion,
    RequisitionCreate,
    RequisitionLineIn,
    RequisitionOut,
    RequisitionStatus,
)
from services.stock.schemas import ApprovalDecision, ApprovalState, GatedDocument
from services.stock.usecases.approvals import ApprovalPending, approval_required
from services.stock.usecases.backdating import posting_time
from services.stock.usecases.document_lines import (
    Entered,
    emit_movements,
    names_lot,
    naming_short_lines,
    request_order,
    serials_twice,
    tracking_errors,
)
from services.stock.usecases.locations import stock_location_error
from services.stock.usecases.posting import (
    DocumentStatusConflict,
    InsufficientStockProblem,
    PostingContext,
    post_movements,
    reverse_document,
)
from services.stock.usecases.requisition_picking import lot_ids_of
from services.stock.usecases.requisition_plan import (
    ISSUABLE_TYPES,
    plan,
    shortage_problem,
    suggestion,
)
from services.stock.usecases.requisition_reading import (
    DOCUMENT_TYPE,
    get_requisition,
    item_codes,
    lines_of,
    list_requisitions,
    load_many,
    missing,
)
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, FieldError, InvalidInput

__all__ = [
    "DOCUMENT_TYPE",
    "ISSUABLE_TYPES",
    "DocumentStatusConflict",
    "cancel_requisition",
    "create_requisition",
    "get_requisition",
    "item_codes",
    "list_requisitions",
    "post_requisition",
    "reverse_requisition",
    "submit_requisition",
    "suggest_picks",
]


def _line_errors(index: int, line: RequisitionLineIn, item: CatalogItem | None) -> list[FieldError]:
    """Tracking as every document checks it (serial-tracked lines name their units), except
    that a lot-tracked line may leave its lot to picking."""
    return [
        error
        for error in tracking_errors(index, line, item, who_takes="requisitions take")
        if not (error.type == "missing" and error.field.endswith(".lot_number"))
    ]


async def create_requisition(
    uow: UnitOfWork,
    data: RequisitionCreate,
    items: Mapping[str, CatalogItem | None],
    *,
    entered: Sequence[Entered] = (),
    errors: Sequence[FieldError] = (),
) -> RequisitionOut:
    """Create a draft requisition after checking its locations, items, named lots and
    named units (a 422 naming every bad field, header first, then the lines in order).

    `data` has its quantities in stock units (`lines_in_stock_units`); `entered` says what
    each line entered when that was another unit, `errors` are the conversion's."""
    async with uow:
        session = uow.session
        errors = list(errors) + [
            error
            for index, line in enumerate(data.lines)
            for error in _line_errors(index, line, items.get(line.item_code))
        ]
        errors += serials_twice([(line.item_code, line.serial_numbers) for line in data.lines])
        codes = {data.to_location_code} | (
            {data.from_location_code} if data.from_location_code else set()
        )
        locations = await locations_by_codes(session, codes)
        target = locations.get(data.to_location_code)
        problem = stock_location_error("body.to_location_code", data.to_location_code, target)
        if problem is not None:
            errors.append(problem)
        elif target is not None and target.location_type != LocationType.PRODUCTION_LINE.value:
            errors.append(
                FieldError(
                    "body.to_location_code", f"{target.code} is not a production line", "invalid"
                )
            )
        source = locations.get(data.from_location_code) if data.from_location_code else None
        if data.from_location_code and (source is None or source.is_virtual):
            errors.append(
                FieldError(
                    "body.from_location_code",
                    f"no physical location {data.from_location_code!r}",
                    "not_found",
                )
            )
        named = {
            (line.item_code, line.lot_number or "")
            for line in data.lines
            if line.lot_number is not None and names_lot(items, line)
        }
        lots = await lots_by_numbers(session, named)
        for index, line in enumerate(data.lines):
            key = (line.item_code, line.lot_number or "")
            if key in named and key not in lots:
                errors.append(
                    FieldError(
                        f"body.lines.{index}.lot_number",
                        f"{line.item_code} has no lot {line.lot_number!r}",
                        "not_found",
                    )
                )
        if errors:
            errors.sort(key=request_order)
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
                serial_numbers=list(line.serial_numbers) if line.serial_numbers else None,
                entered_quantity=was[0] if (was := _entered(entered, index)) else None,
                entered_uom=was[1] if was else None,
            )
            for index, line in enumerate(data.lines)
        )
        await session.flush()
        return await _finish(uow, requisition, "create", "RequisitionCreated")


def _entered(entered: Sequence[Entered], index: int) -> Entered:
    return entered[index] if index < len(entered) else None


async def _locked(uow: UnitOfWork, requisition_id: int) -> Requisition:
    requisition = await uow.session.get(
        Requisition, requisition_id, with_for_update=True, populate_existing=True
    )
    if requisition is None:
        raise missing(requisition_id)
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
        gated = await approval_required(uow.session, GatedDocument.MATERIAL_REQUISITION)
        state = ApprovalState.PENDING if gated else ApprovalState.NOT_REQUIRED
        requisition.approval = state.value
        requisition.approval_ref = ""
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


async def suggest_picks(session: AsyncSession, requisition_id: int) -> PickSuggestion:
    """What posting would take now (FEFO, then FIFO; named units where they are), and
    which lines would fall short."""
    requisition = await session.get(Requisition, requisition_id)
    if requisition is None:
        raise missing(requisition_id)
    return await suggestion(session, requisition, await lines_of(session, requisition.id))


async def post_requisition(
    uow: UnitOfWork,
    requisition_id: int,
    items: Mapping[str, CatalogItem | None],
    *,
    posted_at: datetime | None = None,
    approved_by: str | None = None,
) -> RequisitionOut:
    """Issue a submitted requisition: lock, pick, move to the line, all lines or none.

    One that waits for approval is posted only with `approved_by` (workflow's instance,
    from `decide_requisition`)."""
    async with uow:
        session = uow.session
        requisition = await _locked(uow, requisition_id)
        _expect(requisition, RequisitionStatus.SUBMITTED, doing="posted")
        if requisition.approval == ApprovalState.PENDING.value:
            if approved_by is None:
                raise ApprovalPending(
                    f"requisition {requisition.number} waits for its approval flow; it is "
                    "posted when the flow approves it"
                )
            requisition.approval = ApprovalState.APPROVED.value
            requisition.approval_ref = approved_by
        lines = await lines_of(session, requisition.id)
        unknown = sorted({ln.item_code for ln in lines if items.get(ln.item_code) is None})
        if unknown:
            raise Conflict(f"the catalog no longer knows {', '.join(unknown)}")
        item_types = {code: item.item_type for code, item in items.items() if item is not None}
        now = posting_time(posted_at)
        target = (await locations_by_ids(session, [requisition.to_location_id]))[
            requisition.to_location_id
        ]
        found = await plan(session, requisition, lines, lock_for=(target, item_types))
        if found.shortages or found.missing:
            raise await shortage_problem(session, requisition, found)
        movements = [
            Movement(
                item_code=take.stock.key.item_code,
                lot_number=take.stock.key.lot_number,
                quantity=take.quantity,
                source_location=take.stock.key.location_code,
                target_location=target.code,
                source_state=QualityState.QUALIFIED,
                target_state=QualityState.QUALIFIED,
                serial_number=take.stock.key.serial_number,
            )
            for take in found.takes
        ]
        sources = {take.stock.key.location_code: take.stock.location for take in found.takes}
        await post_movements(
            uow,
            PostingContext(
                document_type=DOCUMENT_TYPE,
                document_id=requisition.id,
                item_types=item_types,
                locations={**sources, target.code: target},
                lot_ids=lot_ids_of(found.stock),
                posted_at=now,
                references=References(work_order=requisition.work_order),
            ),
            movements,
        )
        requisition.status = RequisitionStatus.POSTED.value
        requisition.posted_at = now
        requisition.posted_by = uow.actor
        await session.flush()
        return await _finish(uow, requisition, "post", "RequisitionPosted", movements=True)


async def return_requisition(
    uow: UnitOfWork, requisition_id: int, decision: ApprovalDecision
) -> RequisitionOut:
    """Workflow's decision other than approval (rejected, withdrawn, returned): a submitted
    requisition waiting for it goes back to draft, with nothing posted. Repeating the same
    decision answers the requisition as it is."""
    async with uow:
        requisition = await _locked(uow, requisition_id)
        if (
            requisition.status == RequisitionStatus.DRAFT.value
            and requisition.approval_ref == decision.reference
        ):
            return (await load_many(uow.session, [requisition]))[0]
        _expect(requisition, RequisitionStatus.SUBMITTED, doing=decision.decision.value)
        if requisition.approval != ApprovalState.PENDING.value:
            raise DocumentStatusConflict(
                f"requisition {requisition.number} does not wait for an approval"
            )
        requisition.status = RequisitionStatus.DRAFT.value
        requisition.approval = ApprovalState.NOT_REQUIRED.value
        requisition.approval_ref = decision.reference
        requisition.submitted_at = None
        requisition.submitted_by = None
        await uow.session.flush()
        return await _finish(
            uow,
            requisition,
            decision.decision.value,
            "RequisitionReturned",
            extra={"decision": decision.decision.value, "reason": decision.reason},
        )


async def reverse_requisition(
    uow: UnitOfWork, requisition_id: int, items: Mapping[str, CatalogItem | None]
) -> RequisitionOut:
    """Return a posted requisition's stock (and units) from the line to where it was taken;
    refused while any of it has moved on from the line."""
    async with uow:
        requisition = await _locked(uow, requisition_id)
        _expect(requisition, RequisitionStatus.POSTED, doing="reversed")
        item_types = {code: item.item_type for code, item in items.items() if item is not None}
        now = utcnow()
        try:
            await reverse_document(uow, DOCUMENT_TYPE, requisition.id, item_types, now)
        except InsufficientStockProblem as exc:
            raise naming_short_lines(
                exc,
                prefix=f"requisition {requisition.number} cannot be reversed, the stock moved on: ",
            ) from exc.__cause__
        requisition.status = RequisitionStatus.REVERSED.value
        requisition.reversed_at = now
        requisition.reversed_by = uow.actor
        await uow.session.flush()
        return await _finish(uow, requisition, "reverse", "RequisitionReversed", movements=True)


async def _finish(
    uow: UnitOfWork,
    requisition: Requisition,
    action: str,
    event: str,
    *,
    movements: bool = False,
    extra: Mapping[str, object] | None = None,
) -> RequisitionOut:
    out = (await load_many(uow.session, [requisition]))[0]
    payload = {**out.model_dump(mode="json"), **(extra or {})}
    await uow.audit(action, "requisition", str(out.id), after=payload)
    if movements:  # a reversal publishes only its own, new movements
        emit_movements(
            uow, (m for m in out.movements if action != "reverse" or m.reversal_of_id is not None)
        )
    uow.emit(event, "requisition", str(out.id), payload)
    await uow.commit()
    return out
