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

from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.clients import CatalogClient, CatalogItem
from services.stock.db.models import DefectiveRelease, Location, Lot, MovementRow
from services.stock.db.queries import location_by_code
from services.stock.defective_release_schemas import (
    DefectiveReleaseCreate,
    DefectiveReleaseOut,
    ReleaseReason,
)
from services.stock.domain.model import Movement, QualityState, Tracking
from services.stock.domain.posting import InsufficientStock
from services.stock.schemas import ApprovalState, DocumentStatus, GatedDocument
from services.stock.usecases import document_approvals as approvals
from services.stock.usecases import drafts, single_lot
from services.stock.usecases.backdating import posting_time
from services.stock.usecases.document_lines import (
    emit_movements,
    serial_errors,
    unit_quantities,
)
from services.stock.usecases.posting import InsufficientStockProblem, post_movements
from shared.db.paging import page_by_id
from shared.db.uow import UnitOfWork
from shared.errors import FieldError, InvalidInput
from shared.http.pagination import PageParams
from shared.schemas import plain

DOCUMENT_TYPE = "defective_release"
ENTITY = "defective_release"
NOUN = "defective release"


async def check_item(
    catalog: CatalogClient, data: DefectiveReleaseCreate
) -> tuple[CatalogItem | None, list[FieldError]]:
    """Ask the catalog about the item (outside any transaction) and collect its errors."""
    item, errors = await single_lot.check_item(catalog, data.item_code, data.lot_number)
    if item is None:
        return None, errors
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
        existing, held, data = await approvals.open_posting(
            session,
            GATE,
            DefectiveRelease,
            draft_id,
            data,
            expected=expected,
            approved_by=approved_by,
        )
        # the target defaults to the location itself, which is checked once
        locations, problems = await single_lot.named_locations(
            session,
            {
                "body.location_code": data.location_code,
                "body.to_location_code": data.to_location_code,
            },
        )
        # an untracked item naming a lot is refused by `check_item`: no second error here
        lot, missing = await single_lot.named_lot(
            session,
            data.item_code,
            data.lot_number if item is not None else None,
            must_exist=item is not None and Tracking(item.tracking) is not Tracking.NONE,
        )
        found = [*errors, *problems, *missing]
        if found or item is None:
            raise InvalidInput(f"{len(found)} field(s) are not valid", errors=found)
        now = None if data.draft else posting_time(data.posted_at)
        place = locations[data.location_code]
        target = locations[data.to_location_code or data.location_code]
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
        lots = await single_lot.unit_lots(session, item.code, lot, data.serial_numbers or ())
        movements = [
            Movement(
                item_code=item.code,
                lot_number=lots.lot_number(serial),
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
                single_lot.posting_context(DOCUMENT_TYPE, release.id, item, locations, lots, now),
                movements,
            )
        except InsufficientStockProblem as exc:
            raise _naming_short(exc) from exc.__cause__
        out = _out(release, places, lot, lots.by_id, ledger)
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
    return await single_lot.reverse(
        uow,
        DefectiveRelease,
        release_id,
        item,
        document_type=DOCUMENT_TYPE,
        noun=NOUN,
        entity=ENTITY,
        event="DefectiveReleaseReversed",
        load=_load_many,
    )


async def release_item_code(session: AsyncSession, release_id: int) -> str:
    """The item a release moves (for the catalog look-up before reversing)."""
    return await single_lot.item_code_of(session, DefectiveRelease, release_id, NOUN)


# --- reading ---------------------------------------------------------------------------------


def _out(
    release: DefectiveRelease,
    locations: Mapping[int, Location],
    lot: Lot | None,
    lots: Mapping[int, Lot],
    ledger: Sequence[MovementRow],
) -> DefectiveReleaseOut:
    return DefectiveReleaseOut(
        **single_lot.common_fields(release, locations, lot, lots, ledger),
        to_location_code=locations[release.to_location_id].code,
        quantity=release.quantity,
        serial_numbers=list(release.serial_numbers or ()),
        reason=ReleaseReason(release.reason),
        approval=ApprovalState(release.approval),
        approval_ref=release.approval_ref,
    )


async def _load_many(
    session: AsyncSession, releases: Sequence[DefectiveRelease]
) -> list[DefectiveReleaseOut]:
    """Releases with their movements, in a fixed number of queries."""
    return await single_lot.load_many(
        session,
        DOCUMENT_TYPE,
        releases,
        _out,
        location_ids=lambda r: (r.location_id, r.to_location_id),
    )


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
    release = await drafts.document_or_404(session, DefectiveRelease, release_id, NOUN)
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
    query = single_lot.listing(
        DefectiveRelease,
        lot_number,
        {
            DefectiveRelease.item_code: item_code,
            DefectiveRelease.reason: reason.value if reason else None,
            DefectiveRelease.status: status.value if status else None,
        },
    )
    if location_code is not None:
        location = await location_by_code(session, location_code)
        location_id = location.id if location else -1  # an unknown code matches nothing
        query = query.where(DefectiveRelease.location_id == location_id)
    rows, cursor = await page_by_id(session, query, DefectiveRelease.id, page)
    return await _load_many(session, rows), cursor
