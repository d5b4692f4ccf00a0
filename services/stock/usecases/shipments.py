"""Sales shipments (SAP movement type 601, reversed by 602): finished goods leave for a customer.

* Only qualified finished stock ships. Every line's item is a finished good in the catalog
  (raw materials and semi-finished items are refused); the stock is taken in the qualified
  state only (pending or defective stock never ships) from a store: a storage, receiving,
  inspection or finished-goods location, never a production line (that stock is work in
  progress), quarantine or a scrap area. Every line moves
  `from_location (qualified) -> VIRTUAL/CUSTOMER`.
* A lot-tracked line that names its lot ships that lot. A lot whose expiry date is before
  today is expired and never ships (the rule requisitions pick by: a lot still ships on its
  expiry date); naming one is refused. A lot-tracked line without a lot is picked from the
  qualified stock at the location, earliest expiry first, then earliest receipt (FEFO, then
  FIFO, `domain.picking`), never from an expired lot, and split across lots when one is not
  enough. Lines that name their lot are served first, so a line that leaves the choice to
  the warehouse never takes the lot another line asked for.
* A serial-tracked line names the units it ships (scanned, never picked): one serial
  number per unit, each on one line of the shipment only. Each unit must be qualified at
  the location, in the line's lot when the line names one, never in an expired lot; it
  ships with its own lot, one movement of quantity 1 per unit, and the shipment keeps
  one row per line and lot with the serial numbers (events carry them). A unit that is
  not there is a 409 naming it and where it is instead.
* A shipment posts whole or not at all: bad input is a 422 naming every bad field; too
  little stock is a 409 naming item, location, lot, available, needed and the lines behind
  it. Posting locks every bucket it may take from before it picks (`shipment_picking`),
  so the picks are exact and never retried.
* Reversal (602) takes the whole shipment back: every lot and unit returns, qualified, to
  the location it left. A shipment is reversed at most once; reversal appends opposite
  movements, it never edits the ledger.
* A shipment can be saved as a draft (`"draft": true`, `usecases.drafts`): items, the
  location and the lots it names are checked (existing, not expired) and its lines stored
  as the request gives them (no lot where picking is to choose one); nothing is locked,
  picked or moved and no unit is looked at. Posting the draft runs everything above; a
  draft that cannot post (too little stock, say) stays a draft.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.clients import CatalogClient, CatalogItem
from services.stock.db.models import Location, Lot, Shipment, ShipmentLine
from services.stock.db.queries import locations_by_codes, lots_by_ids, lots_by_numbers
from services.stock.domain.model import (
    VIRTUAL_LOCATIONS,
    LocationType,
    Movement,
    QualityState,
    References,
)
from services.stock.shipment_schemas import ShipmentCreate, ShipmentLineIn, ShipmentOut
from services.stock.usecases import drafts
from services.stock.usecases.backdating import posting_time
from services.stock.usecases.document_lines import (
    catalog_items,
    emit_movements,
    names_lot,
    request_order,
    serials_twice,
    tracking_errors,
    unit_quantities,
)
from services.stock.usecases.locations import stock_location_error
from services.stock.usecases.posting import (
    InsufficientStockProblem,
    PostingContext,
    post_movements,
    reverse_document,
)
from services.stock.usecases.requisition_picking import lot_ids_of
from services.stock.usecases.shipment_picking import expired, naming_lines, take_locked
from services.stock.usecases.shipment_reading import (
    DOCUMENT_TYPE,
    get_shipment,
    list_shipments,
    load_many,
    missing,
    shipment_item_codes,
    shipment_out,
)
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, FieldError, InvalidInput

__all__ = [
    "DOCUMENT_TYPE",
    "cancel_shipment",
    "check_shipment",
    "get_shipment",
    "list_shipments",
    "post_shipment",
    "reverse_shipment",
    "save_shipment",
    "shipment_item_codes",
]

FINISHED_GOOD = "finished_good"
CUSTOMER = VIRTUAL_LOCATIONS[LocationType.CUSTOMER]
QUALIFIED = QualityState.QUALIFIED
#: Where goods ship from: stores. A line holds work in progress; quarantine and scrap areas
#: hold stock that must not leave for a customer.
SHIPPABLE_FROM = frozenset(
    {
        LocationType.STORAGE.value,
        LocationType.RECEIVING.value,
        LocationType.INSPECTION.value,
        LocationType.FINISHED_GOODS.value,
    }
)


# --- checking --------------------------------------------------------------------------------


async def check_shipment(
    catalog: CatalogClient, data: ShipmentCreate
) -> tuple[dict[str, CatalogItem], list[FieldError]]:
    """Ask the catalog about every item (outside any transaction) and collect line errors."""
    items = await catalog_items(catalog, (line.item_code for line in data.lines))
    errors = [
        error
        for index, line in enumerate(data.lines)
        for error in _line_errors(index, line, items[line.item_code])
    ]
    errors += serials_twice([(line.item_code, line.serial_numbers) for line in data.lines])
    return {code: item for code, item in items.items() if item is not None}, errors


def _line_errors(index: int, line: ShipmentLineIn, item: CatalogItem | None) -> list[FieldError]:
    """Tracking as every document checks it (serial-tracked lines name their units), except
    that a lot-tracked line may leave its lot to picking; then the item must be a finished
    good."""
    errors = [
        error
        for error in tracking_errors(index, line, item, who_takes="shipments take")
        if not (error.type == "missing" and error.field.endswith(".lot_number"))
    ]
    field = f"body.lines.{index}.item_code"
    if (
        item is not None
        and item.item_type != FINISHED_GOOD
        and all(error.field != field for error in errors)
    ):
        errors.insert(
            0,
            FieldError(field, f"item {item.code} is a {item.item_type}; only finished goods ship"),
        )
    return errors


def _source_error(code: str, location: Location | None) -> FieldError | None:
    field = "body.from_location_code"
    error = stock_location_error(field, code, location)
    if error is not None or location is None:
        return error
    if location.location_type == LocationType.PRODUCTION_LINE.value:
        return FieldError(
            field,
            f"{code} is a production line: its stock is work in progress; finished goods "
            "ship from stores",
        )
    if location.location_type not in SHIPPABLE_FROM:
        return FieldError(
            field,
            f"{code} is a {location.location_type} location; shipments leave from storage, "
            "receiving, inspection or finished-goods locations",
        )
    return None


def _lot_errors(
    lines: Sequence[ShipmentLineIn],
    items: Mapping[str, CatalogItem],
    lots: Mapping[tuple[str, str], Lot],
    today: date,
) -> list[FieldError]:
    """A named lot must exist and must not have expired."""
    errors: list[FieldError] = []
    for index, line in enumerate(lines):
        if line.lot_number is None or not names_lot(items, line):
            continue
        field = f"body.lines.{index}.lot_number"
        lot = lots.get((line.item_code, line.lot_number))
        if lot is None:
            message = f"{line.item_code} has no lot {line.lot_number!r}"
            errors.append(FieldError(field, message, "not_found"))
        elif lot.expiry_date is not None and expired(lot.expiry_date, today):
            message = (
                f"lot {lot.lot_number} of {line.item_code} expired on "
                f"{lot.expiry_date.isoformat()}; expired lots never ship"
            )
            errors.append(FieldError(field, message, "expired"))
    return errors


async def _checked(
    session: AsyncSession,
    data: ShipmentCreate,
    items: Mapping[str, CatalogItem],
    errors: Sequence[FieldError],
    today: date,
) -> tuple[Location, Location, dict[tuple[str, str], Lot]]:
    """The location shipped from, VIRTUAL/CUSTOMER and the lots the lines name, or a 422
    naming every bad field."""
    locations = await locations_by_codes(session, {data.from_location_code, CUSTOMER})
    found = list(errors)
    error = _source_error(data.from_location_code, locations.get(data.from_location_code))
    if error is not None:
        found.append(error)
    named = {
        (line.item_code, line.lot_number)
        for line in data.lines
        if line.lot_number is not None and names_lot(items, line)
    }
    lots = await lots_by_numbers(session, named)
    found += _lot_errors(data.lines, items, lots, today)
    if found:
        found.sort(key=request_order)
        raise InvalidInput(f"{len(found)} field(s) are not valid", errors=found)
    return locations[data.from_location_code], locations[CUSTOMER], lots


# --- posting ---------------------------------------------------------------------------------


async def save_shipment(
    uow: UnitOfWork,
    catalog: CatalogClient,
    data: ShipmentCreate,
    draft_id: int | None = None,
    expected: dict[str, Any] | None = None,
) -> ShipmentOut:
    """Post a shipment, or save it as a draft (`data.draft`), new or in place of draft
    `draft_id`; the catalog is asked first, outside the transaction."""
    items, errors = await check_shipment(catalog, data)
    return await post_shipment(uow, data, items, errors, draft_id=draft_id, expected=expected)


async def post_shipment(
    uow: UnitOfWork,
    data: ShipmentCreate,
    items: Mapping[str, CatalogItem],
    errors: Sequence[FieldError],
    *,
    draft_id: int | None = None,
    expected: dict[str, Any] | None = None,
) -> ShipmentOut:
    """Post a shipment: check it, lock and pick, move the goods to the customer, all or none.
    With `data.draft` only the document and its lines as requested are saved; with
    `draft_id` that draft is replaced or posted (its draft lines give way to those shipped)."""
    async with uow:
        session = uow.session
        existing = (
            await drafts.draft_for_update(
                session, Shipment, draft_id, "shipment", expected=expected
            )
            if draft_id is not None
            else None
        )
        today = date.today()
        source, customer, named = await _checked(session, data, items, errors, today)
        now = None if data.draft else posting_time(data.posted_at)
        shipment = existing or Shipment(number=f"tmp-{uuid.uuid4().hex[:24]}")
        shipment.sales_order = data.sales_order
        shipment.customer = data.customer
        shipment.from_location_id = source.id
        shipment.carrier = data.carrier
        shipment.tracking_number = data.tracking_number
        shipment.note = data.note
        drafts.stamp(shipment, uow, data, now)
        if existing is None:
            session.add(shipment)
            await session.flush()
            shipment.number = f"SH-{shipment.id:08d}"
        else:
            await session.execute(
                delete(ShipmentLine).where(ShipmentLine.shipment_id == shipment.id)
            )
        places = {source.id: source, customer.id: customer}
        if data.draft:
            return await _save_draft(uow, shipment, data, places, named, new=existing is None)
        assert now is not None
        taken, stock = await take_locked(session, data.lines, items, source, today)
        movements = [
            Movement(
                item_code=row.stock.key.item_code,
                lot_number=row.stock.key.lot_number,
                quantity=quantity,
                source_location=source.code,
                target_location=customer.code,
                source_state=QUALIFIED,
                target_state=QUALIFIED,
                serial_number=serial,
            )
            for row in taken
            for serial, quantity in unit_quantities(row.quantity, row.serials)
        ]
        context = PostingContext(
            document_type=DOCUMENT_TYPE,
            document_id=shipment.id,
            item_types={code: item.item_type for code, item in items.items()},
            locations={source.code: source, customer.code: customer},
            lot_ids=lot_ids_of(stock),
            posted_at=now,
            references=References(sales_order=data.sales_order, customer=data.customer),
        )
        try:
            ledger = await post_movements(uow, context, movements)
        except InsufficientStockProblem as exc:  # a back-dated posting a later balance refuses
            raise naming_lines(exc, data.lines) from exc.__cause__
        rows = [
            ShipmentLine(
                shipment_id=shipment.id,
                line_no=row.line + 1,
                sales_order_line=data.lines[row.line].sales_order_line,
                item_code=row.stock.key.item_code,
                lot_id=row.stock.lot_id,
                quantity=row.quantity,
                serial_numbers=row.serials or None,
            )
            for row in taken
        ]
        session.add_all(rows)
        await session.flush()
        lots = await lots_by_ids(session, [row.lot_id for row in rows])
        out = shipment_out(shipment, rows, ledger, places, lots)
        payload = out.model_dump(mode="json")
        await uow.audit("post", DOCUMENT_TYPE, str(out.id), after=payload)
        emit_movements(uow, out.movements)
        uow.emit("ShipmentPosted", DOCUMENT_TYPE, str(out.id), payload)
        await uow.commit()
        return out


async def _save_draft(
    uow: UnitOfWork,
    shipment: Shipment,
    data: ShipmentCreate,
    places: Mapping[int, Location],
    named: Mapping[tuple[str, str], Lot],
    *,
    new: bool,
) -> ShipmentOut:
    """A draft's lines: one per request line, with the lot it names (else none: picking
    chooses at posting) and the units it names; then audit, announce, commit."""

    def lot_of(line: ShipmentLineIn) -> Lot | None:
        return named.get((line.item_code, line.lot_number)) if line.lot_number else None

    rows = [
        ShipmentLine(
            shipment_id=shipment.id,
            line_no=index + 1,
            sales_order_line=line.sales_order_line,
            item_code=line.item_code,
            lot_id=lot.id if (lot := lot_of(line)) else None,
            quantity=line.quantity,
            serial_numbers=line.serial_numbers or None,
        )
        for index, line in enumerate(data.lines)
    ]
    uow.session.add_all(rows)
    await uow.session.flush()
    out = shipment_out(shipment, rows, [], places, {lot.id: lot for lot in named.values()})
    await drafts.saved(uow, DOCUMENT_TYPE, "ShipmentDrafted", out, new=new, document_id=out.id)
    return out


# --- reversal --------------------------------------------------------------------------------


async def reverse_shipment(
    uow: UnitOfWork, shipment_id: int, items: Mapping[str, CatalogItem | None]
) -> ShipmentOut:
    """Take a posted shipment back as a whole: the goods return, qualified, where they left.

    The goods come back from VIRTUAL/CUSTOMER, which keeps no balance, so unlike other
    reversals this one cannot find the stock moved on; it is refused only once reversed.
    Shipped units come back as in stock again (the core checks each left as shipped).
    """
    async with uow:
        session = uow.session
        shipment = await session.get(
            Shipment, shipment_id, with_for_update=True, populate_existing=True
        )
        if shipment is None:
            raise missing(shipment_id)
        drafts.require_posted(shipment, "shipment")
        before = (await load_many(session, [shipment]))[0]
        unknown = sorted({ln.item_code for ln in before.lines if items.get(ln.item_code) is None})
        if unknown:
            raise Conflict(f"the catalog no longer knows item(s) {', '.join(unknown)}")
        now = utcnow()
        item_types = {code: item.item_type for code, item in items.items() if item is not None}
        await reverse_document(uow, DOCUMENT_TYPE, shipment.id, item_types, now)
        return await drafts.finish_reversal(
            uow,
            shipment,
            before,
            now,
            entity=DOCUMENT_TYPE,
            event="ShipmentReversed",
            load=load_many,
        )


async def cancel_shipment(uow: UnitOfWork, shipment_id: int) -> ShipmentOut:
    """Cancel a draft shipment."""
    return await drafts.cancel_document(
        uow,
        Shipment,
        shipment_id,
        noun="shipment",
        entity=DOCUMENT_TYPE,
        event="ShipmentCancelled",
        load=load_many,
    )
