"""Defective releases (不良品放行; a concession, SAP's usage decision on blocked stock):
defective stock becomes qualified again.

A release takes defective stock of one item at one location (one lot, or named units of
a serial-tracked item) and moves `quantity` of it to qualified, at the same location or
at `to_location_code`, for a reason: `concession` (the engineer accepts it for use as it
is), `rework` (it was reworked) or `reinspection` (inspected again and found good). It
posts through the same code as inspections (`posting.post_movements`): not enough
defective stock is 409 `insufficient_stock` naming what is short, and nothing moves. A
posted release can be reversed as a whole while the released stock is still qualified
where it put it: it becomes defective again where it was.

Lot-tracked items name the lot; untracked items name none. Serial-tracked items name the
units (`serial_numbers`, as many as the quantity), each defective at the location, in the
named lot or else the lot it was received in (else 409 `insufficient_stock` naming the
serial).

A release can be saved as a draft (`"draft": true`, `usecases/drafts.py`): the item, its
tracking, the locations and the named lot are checked, nothing moves and no stock is
checked until it is posted. It has an approval gate (`defective_release`): while it is
closed, posting a release keeps it a draft that waits for workflow's decision
(`usecases/document_approvals.py`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.clients import CatalogClient, CatalogItem
from services.stock.db.models import DefectiveRelease, Location, Lot, MovementRow
from services.stock.db.queries import (
    document_ledgers,
    location_by_code,
    locations_by_codes,
    locations_by_ids,
    lots_by_ids,
)
from services.stock.defective_release_schemas import (
    DefectiveReleaseCreate,
    DefectiveReleaseOut,
    ReleaseReason,
)
from services.stock.domain.model import Movement, QualityState, References, Tracking
from services.stock.domain.posting import InsufficientStock
from services.stock.schemas import ApprovalState, DocumentStatus, GatedDocument
from services.stock.usecases import document_approvals as approvals
from services.stock.usecases import drafts
from services.stock.usecases.backdating import posting_time
from services.stock.usecases.document_lines import (
    emit_movements,
    naming_short_lines,
    serial_errors,
    serial_lots,
    unit_quantities,
)
from services.stock.usecases.locations import stock_location_error
from services.stock.usecases.posting import (
    InsufficientStockProblem,
    PostingContext,
    post_movements,
    reverse_document,
)
from services.stock.usecases.receipts import lot_out, movement_out
from shared.db.paging import page_by_id, where_equal
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, FieldError, InvalidInput, NotFound
from shared.http.pagination import PageParams
from shared.schemas import plain

DOCUMENT_TYPE = "defective_release"
ENTITY = "defective_release"
NOUN = "defective release"


async def check_item(
    catalog: CatalogClient, data: DefectiveReleaseCreate
) -> tuple[CatalogItem | None, list[FieldError]]:
    """Ask the catalog about the item (outside any transaction) and collect its errors."""
    item = await catalog.item_by_code(data.item_code)
    if item is None:
        return None, [
            FieldError("body.item_code", f"the catalog has no item {data.item_code!r}", "not_found")
        ]
    tracking = Tracking(item.tracking)
    errors = []
    if tracking is Tracking.LOT and data.lot_number is None:
        errors.append(FieldError("body.lot_number", "the item is lot-tracked", "missing"))
    if tracking is Tracking.NONE and data.lot_number is not None:
        errors.append(FieldError("body.lot_number", "the item is not lot-tracked", "invalid"))
    errors += serial_errors("body", item, data.quantity, data.serial_numbers)
    return item, errors


async def save_release(
    uow: UnitOfWork,
    catalog: CatalogClient,
    data: DefectiveReleaseCreate,
    draft_id: int | None = None,
    expected: dict[str, Any] | None = None,
    *,
    approved_by: str | None = None,
) -> DefectiveReleaseOut:
    """Post a release, or save it as a draft (`data.draft`), new or in place of draft
    `draft_id`; the catalog is asked first, outside the transaction. `approved_by`:
    workflow's approval of the draft that waits for it."""
    item, errors = await check_item(catalog, data)
    return await post_release(
        uow, data, item, errors, draft_id=draft_id, expected=expected, approved_by=approved_by
    )


async def post_release(
    uow: UnitOfWork,
    data: DefectiveReleaseCreate,
    item: CatalogItem | None,
    errors: Sequence[FieldError],
    *,
    draft_id: int | None = None,
    expected: dict[str, Any] | None = None,
    approved_by: str | None = None,
) -> DefectiveReleaseOut:
    """Post a release: defective -> qualified, and keep the record. With `data.draft` only
    the record is saved; with `draft_id` that draft is replaced or posted. Under a closed
    approval gate a posting is saved as a draft that waits instead."""
    async with uow:
        session = uow.session
        existing = (
            await drafts.draft_for_update(
                session, DefectiveRelease, draft_id, NOUN, expected=expected
            )
            if draft_id is not None
            else None
        )
        held = await approvals.must_wait(
            session, GATE, existing, posting=not data.draft, approved_by=approved_by
        )
        if held:
            data = data.model_copy(update={"draft": True})
        named = {
            "body.location_code": data.location_code,
            "body.to_location_code": data.to_location_code or data.location_code,
        }
        locations = await locations_by_codes(session, set(named.values()))
        found = list(errors)
        for field, code in named.items():
            if field == "body.to_location_code" and data.to_location_code is None:
                continue  # the location itself, checked once
            problem = stock_location_error(field, code, locations.get(code))
            if problem is not None:
                found.append(problem)
        lot: Lot | None = None
        if data.lot_number is not None and item is not None:
            lot = (
                await session.scalars(
                    select(Lot).where(
                        Lot.item_code == data.item_code, Lot.lot_number == data.lot_number
                    )
                )
            ).one_or_none()
            if lot is None and Tracking(item.tracking) is not Tracking.NONE:
                found.append(
                    FieldError(
                        "body.lot_number",
                        f"{data.item_code} has no lot {data.lot_number!r}",
                        "not_found",
                    )
                )
        if found or item is None:
            raise InvalidInput(f"{len(found)} field(s) are not valid", errors=found)
        now = None if data.draft else posting_time(data.posted_at)
        place = locations[data.location_code]
        target = locations[named["body.to_location_code"]]
        release = existing or DefectiveRelease(number=f"tmp-{uuid.uuid4().hex[:24]}")
        release.item_code = item.code
        release.lot_id = lot.id if lot else None
        release.location_id = place.id
        release.to_location_id = target.id
        release.quantity = data.quantity
        release.serial_numbers = data.serial_numbers or None
        release.reason = data.reason.value
        release.note = data.note
        drafts.stamp(release, uow, data, now)
        if held:
            approvals.hold(release)
        if existing is None:
            session.add(release)
            await session.flush()
            release.number = f"DR-{release.id:08d}"
        await session.flush()
        places = {loc.id: loc for loc in locations.values()}
        if now is None:
            out = _out(release, places, lot, {}, [])
            if held:
                await approvals.request_approval(uow, GATE, out, _requested(data, item))
                return out
            await drafts.saved(
                uow,
                ENTITY,
                "DefectiveReleaseDrafted",
                out,
                new=existing is None,
                document_id=out.id,
            )
            return out
        # a serial-tracked unit keeps its own lot unless the release names one
        units = (
            await serial_lots(session, ((item.code, s) for s in data.serial_numbers or ()))
            if lot is None
            else {}
        )
        lots = {each.id: each for each in [*units.values(), *([lot] if lot else [])]}

        def lot_key(serial: str) -> str:
            own = lot or units.get((item.code, serial))
            return own.lot_number if own else ""

        movements = [
            Movement(
                item_code=item.code,
                lot_number=lot_key(serial),
                quantity=quantity,
                source_location=place.code,
                target_location=target.code,
                source_state=QualityState.DEFECTIVE,
                target_state=QualityState.QUALIFIED,
                serial_number=serial,
            )
            for serial, quantity in unit_quantities(data.quantity, data.serial_numbers)
        ]
        try:
            ledger = await post_movements(
                uow,
                PostingContext(
                    document_type=DOCUMENT_TYPE,
                    document_id=release.id,
                    item_types={item.code: item.item_type},
                    locations=locations,
                    lot_ids={(item.code, each.lot_number): each.id for each in lots.values()},
                    posted_at=now,
                    # the lot's purchase: releases read by order and supplier, as QC results
                    references=References(purchase_order=lot.purchase_order, supplier=lot.supplier)
                    if lot is not None
                    else References(),
                ),
                movements,
            )
        except InsufficientStockProblem as exc:
            raise _naming_short(exc) from exc.__cause__
        out = _out(release, places, lot, lots, ledger)
        payload = out.model_dump(mode="json")
        await uow.audit("post", ENTITY, str(out.id), after=payload)
        emit_movements(uow, out.movements)
        uow.emit("DefectiveReleasePosted", ENTITY, str(out.id), payload)
        await uow.commit()
        return out


def _requested(data: DefectiveReleaseCreate, item: CatalogItem) -> approvals.Requested:
    """What workflow is told of a release held for approval."""
    return approvals.Requested(
        location_code=data.location_code,
        lines=[
            approvals.RequestedLine(
                line_no=1,
                item_code=data.item_code,
                quantity=data.quantity,
                uom=item.uom,
                lot_number=data.lot_number,
            )
        ],
        reason=data.reason.value,
        note=data.note,
    )


def _naming_short(exc: InsufficientStockProblem) -> InsufficientStockProblem:
    """The 409 of a release without enough defective stock, naming the field that asks for
    it: `quantity`, or `serial_numbers` for a unit that is not defective there."""
    cause = exc.__cause__
    if not isinstance(cause, InsufficientStock):
        return exc
    key = cause.key
    lot = f" in lot {key.lot_number}" if key.lot_number else ""
    if key.serial_number:
        error = FieldError(
            "body.serial_numbers",
            f"serial {key.serial_number} of {key.item_code} is not defective at "
            f"{key.location_code}{lot}",
            "insufficient_stock",
        )
    else:
        error = FieldError(
            "body.quantity",
            f"{plain(cause.available)} of {key.item_code}{lot} defective at "
            f"{key.location_code}; the release needs {plain(cause.needed)}",
            "insufficient_stock",
        )
    return InsufficientStockProblem(exc.detail, errors=[error], extra=dict(exc.extra))


# --- reversal --------------------------------------------------------------------------------


async def reverse_release(
    uow: UnitOfWork, release_id: int, item: CatalogItem | None
) -> DefectiveReleaseOut:
    """Take a posted release back: its qualified stock becomes defective where it was."""
    async with uow:
        session = uow.session
        release = await session.get(
            DefectiveRelease, release_id, with_for_update=True, populate_existing=True
        )
        if release is None:
            raise _missing(release_id)
        drafts.require_posted(release, NOUN)
        if item is None:
            raise Conflict(f"the catalog no longer knows item {release.item_code!r}")
        (before,) = await _load_many(session, [release])
        now = utcnow()
        try:
            await reverse_document(uow, DOCUMENT_TYPE, release.id, {item.code: item.item_type}, now)
        except InsufficientStockProblem as exc:
            raise naming_short_lines(
                exc,
                prefix=f"{NOUN} {release.number} cannot be reversed, the stock moved on: ",
            ) from exc.__cause__
        return await drafts.finish_reversal(
            uow,
            release,
            before,
            now,
            entity=ENTITY,
            event="DefectiveReleaseReversed",
            load=_load_many,
        )


async def release_item_code(session: AsyncSession, release_id: int) -> str:
    """The item a release moves (for the catalog look-up before reversing)."""
    code = await session.scalar(
        select(DefectiveRelease.item_code).where(DefectiveRelease.id == release_id)
    )
    if code is None:
        raise _missing(release_id)
    return code


def _missing(release_id: int) -> NotFound:
    return NotFound(f"{NOUN} {release_id} does not exist")


# --- reading ---------------------------------------------------------------------------------


def _out(
    release: DefectiveRelease,
    locations: Mapping[int, Location],
    lot: Lot | None,
    lots: Mapping[int, Lot],
    ledger: Sequence[MovementRow],
) -> DefectiveReleaseOut:
    return DefectiveReleaseOut(
        id=release.id,
        number=release.number,
        status=DocumentStatus(release.status),
        item_code=release.item_code,
        lot=lot_out(lot) if lot else None,
        location_code=locations[release.location_id].code,
        to_location_code=locations[release.to_location_id].code,
        quantity=release.quantity,
        serial_numbers=list(release.serial_numbers or ()),
        reason=ReleaseReason(release.reason),
        note=release.note,
        created_at=release.created_at,
        created_by=release.created_by,
        posted_at=release.posted_at,
        posted_by=release.posted_by,
        cancelled_at=release.cancelled_at,
        cancelled_by=release.cancelled_by,
        reversed_at=release.reversed_at,
        reversed_by=release.reversed_by,
        movements=[movement_out(row, dict(locations), dict(lots)) for row in ledger],
        approval=ApprovalState(release.approval),
        approval_ref=release.approval_ref,
        draft_request=release.draft,
    )


async def _load_many(
    session: AsyncSession, releases: Sequence[DefectiveRelease]
) -> list[DefectiveReleaseOut]:
    """Releases with their movements, in a fixed number of queries."""
    if not releases:
        return []
    ledger = await document_ledgers(session, [DOCUMENT_TYPE], [r.id for r in releases])
    every_row = [row for group in ledger.values() for row in group]
    locations = await locations_by_ids(
        session,
        [r.location_id for r in releases]
        + [r.to_location_id for r in releases]
        + [row.from_location_id for row in every_row]
        + [row.to_location_id for row in every_row],
    )
    lots = await lots_by_ids(
        session, [r.lot_id for r in releases] + [row.lot_id for row in every_row]
    )
    return [
        _out(r, locations, lots[r.lot_id] if r.lot_id else None, lots, ledger[r.id])
        for r in releases
    ]


#: How releases meet their approval gate.
GATE: approvals.Gate[DefectiveReleaseOut] = approvals.Gate(
    document_type=GatedDocument.DEFECTIVE_RELEASE,
    model=DefectiveRelease,
    entity=ENTITY,
    noun=NOUN,
    load=_load_many,
)


async def cancel_release(uow: UnitOfWork, release_id: int) -> DefectiveReleaseOut:
    """Cancel a draft release; one that waited for approval ends it."""
    return await drafts.cancel_document(
        uow,
        DefectiveRelease,
        release_id,
        noun=NOUN,
        entity=ENTITY,
        event="DefectiveReleaseCancelled",
        load=_load_many,
        announce=approvals.announce_cancel(GATE),
    )


async def get_release(session: AsyncSession, release_id: int) -> DefectiveReleaseOut:
    release = await session.get(DefectiveRelease, release_id)
    if release is None:
        raise _missing(release_id)
    (out,) = await _load_many(session, [release])
    return out


async def list_releases(
    session: AsyncSession,
    page: PageParams,
    *,
    item_code: str | None,
    lot_number: str | None,
    location_code: str | None,
    reason: ReleaseReason | None,
    status: DocumentStatus | None,
) -> tuple[list[DefectiveReleaseOut], str | None]:
    """Releases in posting order, by item, lot, location (where the stock was), reason,
    status."""
    query = where_equal(
        select(DefectiveRelease),
        {
            DefectiveRelease.item_code: item_code,
            DefectiveRelease.reason: reason.value if reason else None,
            DefectiveRelease.status: status.value if status else None,
        },
    )
    if lot_number is not None:
        query = query.where(
            DefectiveRelease.lot_id.in_(select(Lot.id).where(Lot.lot_number == lot_number))
        )
    if location_code is not None:
        location = await location_by_code(session, location_code)
        location_id = location.id if location else -1  # an unknown code matches nothing
        query = query.where(DefectiveRelease.location_id == location_id)
    rows, cursor = await page_by_id(session, query, DefectiveRelease.id, page)
    return await _load_many(session, rows), cursor
