"""Transfers: put-away and relocation of stock between two physical locations.

A transfer moves every line from one location to another, keeping each line's quality
state; it is posted whole or not at all (one bad line, or one line without enough stock,
posts nothing). A posted transfer can be reversed as a whole while the stock it moved is
still where it put it; reversal appends opposite movements, it never edits the ledger.

Serial-tracked items name their units (`serial_numbers`, one per unit, each on one line
of the document); every unit moves as its own movement of quantity 1 and keeps its lot
(the line may name it; otherwise it is the lot the unit was received in). A unit that is
not at the source location in the line's state, in that lot, is short like any stock: 409
`insufficient_stock` naming the serial and the line. The serial helpers at the end of
this module are shared with scrap, returns and inspections.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.clients import CatalogClient, CatalogItem
from services.stock.db.models import (
    Location,
    Lot,
    MovementRow,
    Transfer,
    TransferLine,
)
from services.stock.db.queries import (
    document_ledgers,
    location_by_code,
    locations_by_codes,
    locations_by_ids,
    lots_by_ids,
    lots_by_numbers,
)
from services.stock.domain.model import Movement, QualityState
from services.stock.schemas import DocumentStatus
from services.stock.transfer_schemas import (
    TransferCreate,
    TransferLineIn,
    TransferLineOut,
    TransferOut,
)
from services.stock.usecases import drafts
from services.stock.usecases.backdating import posting_time
from services.stock.usecases.document_lines import (
    Entered,
    catalog_items,
    emit_movements,
    lines_in_stock_units,
    names_lot,
    naming_short_lines,
    request_order,
    serials_twice,
    tracking_errors,
    unit_lots,
)
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

DOCUMENT_TYPE = "transfer"


async def check_transfer(
    catalog: CatalogClient,
    data: TransferCreate,
    items: Mapping[str, CatalogItem | None] | None = None,
) -> tuple[dict[str, CatalogItem], list[FieldError]]:
    """Ask the catalog about every item (outside any transaction; unless `items` has them)
    and collect line errors: lots and serials as the item's tracking wants them, each
    serial on one line only."""
    if items is None:
        items = await catalog_items(catalog, (line.item_code for line in data.lines))
    errors = [
        error
        for index, line in enumerate(data.lines)
        for error in tracking_errors(index, line, items[line.item_code], who_takes="transfers take")
    ]
    errors += serials_twice([(line.item_code, line.serial_numbers) for line in data.lines])
    errors.sort(key=request_order)
    return {code: item for code, item in items.items() if item is not None}, errors


# --- posting ---------------------------------------------------------------------------------


async def save_transfer(
    uow: UnitOfWork,
    catalog: CatalogClient,
    data: TransferCreate,
    draft_id: int | None = None,
    expected: dict[str, Any] | None = None,
) -> TransferOut:
    """Post a transfer, or save it as a draft (`data.draft`), new or in place of draft
    `draft_id`; the catalog is asked first, outside the transaction."""
    known = await catalog_items(catalog, (line.item_code for line in data.lines))
    lines, entered, conversion = await lines_in_stock_units(catalog, data.lines, known)
    converted = data.model_copy(update={"lines": lines})
    items, errors = await check_transfer(catalog, converted, known)
    return await post_transfer(
        uow,
        converted,
        items,
        sorted([*errors, *conversion], key=request_order),
        draft_id=draft_id,
        expected=expected,
        request=data,
        entered=entered,
    )


async def post_transfer(
    uow: UnitOfWork,
    data: TransferCreate,
    items: Mapping[str, CatalogItem],
    errors: Sequence[FieldError],
    *,
    draft_id: int | None = None,
    expected: dict[str, Any] | None = None,
    request: TransferCreate | None = None,
    entered: Sequence[Entered] = (),
) -> TransferOut:
    """Post a transfer: the document, one movement per line (per unit for serial-tracked
    items) from -> to, the balances, the serials' places. With `data.draft` only the
    document and its lines are saved; with `draft_id` that draft is replaced or posted.

    `data` has its quantities in stock units; `request` is the body as sent (what a draft
    keeps, default `data`) and `entered` what each line entered in another unit."""
    async with uow:
        session = uow.session
        existing = (
            await drafts.draft_for_update(
                session, Transfer, draft_id, "transfer", expected=expected
            )
            if draft_id is not None
            else None
        )
        codes = {"from": data.from_location_code, "to": data.to_location_code}
        locations = await locations_by_codes(session, codes.values())
        found = list(errors)
        for end, code in codes.items():
            error = stock_location_error(f"body.{end}_location_code", code, locations.get(code))
            if error is not None:
                found.append(error)
        if data.from_location_code == data.to_location_code:
            found.append(FieldError("body.to_location_code", "must differ from from_location_code"))
        wanted = {
            (line.item_code, line.lot_number)
            for line in data.lines
            if line.lot_number is not None and names_lot(items, line)
        }
        lots = await lots_by_numbers(session, wanted)
        for index, line in enumerate(data.lines):
            if (
                line.lot_number is not None
                and names_lot(items, line)
                and (line.item_code, line.lot_number) not in lots
            ):
                found.append(
                    FieldError(
                        f"body.lines.{index}.lot_number",
                        f"{line.item_code} has no lot {line.lot_number!r}",
                        "not_found",
                    )
                )
        if found:
            found.sort(key=request_order)
            raise InvalidInput(f"{len(found)} field(s) are not valid", errors=found)
        source, target = locations[data.from_location_code], locations[data.to_location_code]
        units = [] if data.draft else await unit_lots(session, data.lines, lots)
        now = None if data.draft else posting_time(data.posted_at)
        transfer = existing or Transfer(number=f"tmp-{uuid.uuid4().hex[:24]}")
        transfer.from_location_id = source.id
        transfer.to_location_id = target.id
        transfer.note = data.note
        drafts.stamp(transfer, uow, request or data, now)
        if existing is None:
            session.add(transfer)
            await session.flush()
            transfer.number = f"TR-{transfer.id:08d}"
        else:
            await session.execute(
                delete(TransferLine).where(TransferLine.transfer_id == transfer.id)
            )

        def lot_of(line: TransferLineIn) -> Lot | None:
            return lots.get((line.item_code, line.lot_number)) if line.lot_number else None

        lines = [
            TransferLine(
                transfer_id=transfer.id,
                line_no=index + 1,
                item_code=line.item_code,
                lot_id=lot.id if (lot := lot_of(line)) else None,
                quantity=line.quantity,
                quality_state=line.quality_state.value,
                serial_numbers=line.serial_numbers or None,
                entered_quantity=was[0] if (was := entered[index] if entered else None) else None,
                entered_uom=was[1] if was else None,
            )
            for index, line in enumerate(data.lines)
        ]
        session.add_all(lines)
        places = {source.id: source, target.id: target}
        if data.draft:
            await session.flush()
            out = _out(transfer, lines, [], places, {lot.id: lot for lot in lots.values()})
            await drafts.saved(
                uow, "transfer", "TransferDrafted", out, new=existing is None, document_id=out.id
            )
            return out
        assert now is not None
        movements = [
            Movement(
                item_code=line.item_code,
                lot_number=lot_number,
                quantity=quantity,
                source_location=source.code,
                target_location=target.code,
                source_state=line.quality_state,
                target_state=line.quality_state,
                serial_number=serial,
            )
            for line, line_units in zip(data.lines, units, strict=True)
            for serial, lot_number, quantity in line_units
        ]
        context = PostingContext(
            document_type=DOCUMENT_TYPE,
            document_id=transfer.id,
            item_types={code: item.item_type for code, item in items.items()},
            locations={source.code: source, target.code: target},
            lot_ids={(item, number): lot.id for (item, number), lot in lots.items()},
            posted_at=now,
        )
        try:
            ledger = await post_movements(uow, context, movements)
        except InsufficientStockProblem as exc:
            raise naming_short_lines(
                exc, lines=[(line, line.quality_state) for line in data.lines]
            ) from exc.__cause__
        out = _out(
            transfer,
            lines,
            ledger,
            {source.id: source, target.id: target},
            {lot.id: lot for lot in lots.values()},
        )
        payload = out.model_dump(mode="json")
        await uow.audit("post", "transfer", str(out.id), after=payload)
        emit_movements(uow, out.movements)
        uow.emit("TransferPosted", "transfer", str(out.id), payload)
        await uow.commit()
        return out


# --- reversal --------------------------------------------------------------------------------


async def transfer_item_codes(session: AsyncSession, transfer_id: int) -> list[str]:
    """The distinct items a transfer moves (for the catalog look-up before reversing)."""
    if await session.get(Transfer, transfer_id) is None:
        raise NotFound(f"transfer {transfer_id} does not exist")
    codes = await session.scalars(
        select(TransferLine.item_code)
        .where(TransferLine.transfer_id == transfer_id)
        .distinct()
        .order_by(TransferLine.item_code)
    )
    return list(codes)


async def reverse_transfer(
    uow: UnitOfWork, transfer_id: int, items: Mapping[str, CatalogItem | None]
) -> TransferOut:
    """Take a posted transfer back as a whole: every line returns to where it came from."""
    async with uow:
        session = uow.session
        transfer = await session.get(
            Transfer, transfer_id, with_for_update=True, populate_existing=True
        )
        if transfer is None:
            raise NotFound(f"transfer {transfer_id} does not exist")
        drafts.require_posted(transfer, "transfer")
        before = (await _load_many(session, [transfer]))[0]
        unknown = sorted({ln.item_code for ln in before.lines if items.get(ln.item_code) is None})
        if unknown:
            raise Conflict(f"the catalog no longer knows item(s) {', '.join(unknown)}")
        now = utcnow()
        item_types = {code: item.item_type for code, item in items.items() if item is not None}
        try:
            await reverse_document(uow, DOCUMENT_TYPE, transfer.id, item_types, now)
        except InsufficientStockProblem as exc:
            raise naming_short_lines(
                exc, prefix=f"transfer {transfer.number} cannot be reversed, the stock moved on: "
            ) from exc.__cause__
        return await drafts.finish_reversal(
            uow,
            transfer,
            before,
            now,
            entity="transfer",
            event="TransferReversed",
            load=_load_many,
        )


# --- reading ---------------------------------------------------------------------------------


def _out(
    transfer: Transfer,
    lines: Sequence[TransferLine],
    ledger: Sequence[MovementRow],
    locations: Mapping[int, Location],
    lots: Mapping[int, Lot],
) -> TransferOut:
    return TransferOut(
        id=transfer.id,
        number=transfer.number,
        status=DocumentStatus(transfer.status),
        from_location_code=locations[transfer.from_location_id].code,
        to_location_code=locations[transfer.to_location_id].code,
        note=transfer.note,
        created_at=transfer.created_at,
        created_by=transfer.created_by,
        posted_at=transfer.posted_at,
        posted_by=transfer.posted_by,
        cancelled_at=transfer.cancelled_at,
        cancelled_by=transfer.cancelled_by,
        reversed_at=transfer.reversed_at,
        reversed_by=transfer.reversed_by,
        lines=[
            TransferLineOut(
                line_no=line.line_no,
                item_code=line.item_code,
                lot_id=line.lot_id,
                lot_number=lots[line.lot_id].lot_number if line.lot_id is not None else None,
                quantity=line.quantity,
                serial_numbers=list(line.serial_numbers or ()),
                quality_state=QualityState(line.quality_state),
                entered_quantity=line.entered_quantity,
                entered_uom=line.entered_uom,
            )
            for line in sorted(lines, key=lambda line: line.line_no)
        ],
        movements=[movement_out(row, dict(locations), dict(lots)) for row in ledger],
        draft_request=transfer.draft,
    )


async def _load_many(session: AsyncSession, transfers: Sequence[Transfer]) -> list[TransferOut]:
    """Transfers with their lines and movements, in a fixed number of queries."""
    if not transfers:
        return []
    ids = [t.id for t in transfers]
    lines: dict[int, list[TransferLine]] = {i: [] for i in ids}
    for line in await session.scalars(
        select(TransferLine)
        .where(TransferLine.transfer_id.in_(ids))
        .order_by(TransferLine.transfer_id, TransferLine.line_no)
    ):
        lines[line.transfer_id].append(line)
    ledger = await document_ledgers(session, [DOCUMENT_TYPE], ids)
    every_line = [line for group in lines.values() for line in group]
    every_row = [row for group in ledger.values() for row in group]
    locations = await locations_by_ids(
        session,
        [t.from_location_id for t in transfers]
        + [t.to_location_id for t in transfers]
        + [r.from_location_id for r in every_row]
        + [r.to_location_id for r in every_row],
    )
    lots = await lots_by_ids(
        session, [line.lot_id for line in every_line] + [row.lot_id for row in every_row]
    )
    return [_out(t, lines[t.id], ledger[t.id], locations, lots) for t in transfers]


async def cancel_transfer(uow: UnitOfWork, transfer_id: int) -> TransferOut:
    """Cancel a draft transfer."""
    return await drafts.cancel_document(
        uow,
        Transfer,
        transfer_id,
        noun="transfer",
        entity="transfer",
        event="TransferCancelled",
        load=_load_many,
    )


async def get_transfer(session: AsyncSession, transfer_id: int) -> TransferOut:
    transfer = await session.get(Transfer, transfer_id)
    if transfer is None:
        raise NotFound(f"transfer {transfer_id} does not exist")
    return (await _load_many(session, [transfer]))[0]


async def list_transfers(
    session: AsyncSession,
    page: PageParams,
    *,
    item_code: str | None,
    location_code: str | None,
    status: DocumentStatus | None,
) -> tuple[list[TransferOut], str | None]:
    """Transfers in posting order; by an item on any line, a location at either end, status."""
    query = where_equal(select(Transfer), {Transfer.status: status.value if status else None})
    if item_code is not None:
        query = query.where(
            Transfer.id.in_(
                select(TransferLine.transfer_id).where(TransferLine.item_code == item_code)
            )
        )
    if location_code is not None:
        location = await location_by_code(session, location_code)
        location_id = location.id if location else -1  # an unknown code matches nothing
        query = query.where(
            (Transfer.from_location_id == location_id) | (Transfer.to_location_id == location_id)
        )
    rows, cursor = await page_by_id(session, query, Transfer.id, page)
    return await _load_many(session, rows), cursor
