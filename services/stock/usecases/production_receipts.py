"""Production receipts (完工入库): a work order's output into stock, its components out of the line.

One document, one transaction, all lines or none:

* outputs: `VIRTUAL/PRODUCTION -> to_location` (a finished-goods or storage location) in
  the line's quality state: qualified, or pending_inspection while final QC still has to
  pass. Only semi-finished and finished goods are produced. A lot-tracked output names
  its lot: a new lot is created (received today, expiring after the item's shelf life,
  recording the work order); an existing lot of the item is added to only when the same
  work order produced it, else the posting is refused with `lot_conflict`. A
  serial-tracked output names its new units (one serial number per unit, each on one
  line only; a lot is optional and follows the same rules) and moves one movement of
  quantity 1 per unit; a unit seen before is refused with `serial_conflict`, unless the
  receipt that produced it was reversed.
* components: `wip_location -> VIRTUAL/PRODUCTION`, always from qualified stock at the
  production line. A line naming its lot consumes that lot (even past its expiry: the
  line has already used it). A lot-tracked line without a lot is backflushed: the
  posting picks its lots first expiring, then first received (never expired ones,
  never what the lines naming their lots take), split across lots where one is not
  enough. Untracked items have no lot. A serial-tracked line names the units consumed,
  each qualified at the line, consumed with its own lot (`production_receipt_plan`).

The components are posted first and the outputs second (two `post_movements` calls in
one unit of work), so the outputs come in at what the consumed components were worth:
`unit_cost` = the consumed rows' value / the output quantity (per unit, serials or not).
Before either call, everything the document touches is locked in the posting's own lock
order, and the consumption is planned from the locked quantities
(`production_receipt_plan.plan`). The document keeps the units of every line (outputs,
and consumption per line and lot) and its events carry them.

A posted document is reversed as a whole while the stock it moved is still where it put
it: the outputs leave their location again (in the state they arrived in) and the
components return to the line. Reversal appends opposite movements, it never edits.

A receipt can be saved as a draft (`"draft": true`, `usecases.drafts`): locations, items
and the lots the components name are checked, and so is an existing output lot's work
order; the document stores its output lines (with their lot if it exists already) and
the component lines that name what they consume (a lot, an untracked item, units).
Nothing is locked, created, picked or moved and no unit is looked at: posting the draft
creates the output lots, backflushes, checks the units and rewrites those rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete

from services.stock.clients import CatalogClient, CatalogItem
from services.stock.db.models import (
    Location,
    Lot,
    ProductionConsumption,
    ProductionReceipt,
    ProductionReceiptOutput,
)
from services.stock.db.queries import locations_by_codes, lot_for_update_or_create, lots_by_numbers
from services.stock.domain.model import expiry_date
from services.stock.production_receipt_schemas import ProductionReceiptCreate, ProductionReceiptOut
from services.stock.usecases import drafts
from services.stock.usecases.backdating import posting_time
from services.stock.usecases.document_lines import emit_movements, naming_short_lines
from services.stock.usecases.posting import (
    InsufficientStockProblem,
    post_movements,
    reverse_document,
)
from services.stock.usecases.production_receipt_checks import (
    check_document,
    header_errors,
    names_lot,
    request_order,
    unknown_lots,
)
from services.stock.usecases.production_receipt_plan import (
    PRODUCTION,
    Plan,
    backflushed,
    output_movements,
    plan,
    unit_cost,
)
from services.stock.usecases.production_receipt_reading import (
    DOCUMENT_TYPE,
    document_item_codes,
    get_document,
    list_documents,
    load_many,
    missing,
)
from services.stock.usecases.receipts import LotConflict, lot_out
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, FieldError, InvalidInput

__all__ = [
    "DOCUMENT_TYPE",
    "cancel_document",
    "check_document",
    "document_item_codes",
    "get_document",
    "list_documents",
    "post_document",
    "reverse_posted",
    "save_document",
]

NOUN = "production receipt"


# --- output lots -----------------------------------------------------------------------------


async def _output_lots(
    uow: UnitOfWork,
    data: ProductionReceiptCreate,
    items: Mapping[str, CatalogItem],
    now: datetime,
) -> tuple[dict[tuple[str, str], Lot], list[Lot]]:
    """The output lots by (item, lot number), locked in sorted order; and those created now.

    An existing lot may grow only from the work order that produced it: a purchased lot,
    or one of another work order, would mix two histories under one lot number.
    """
    wanted = sorted(
        {(o.item_code, o.lot_number) for o in data.outputs if o.lot_number and names_lot(items, o)}
    )
    lots: dict[tuple[str, str], Lot] = {}
    created: list[Lot] = []
    today = now.date()
    for item_code, number in wanted:
        item = items[item_code]
        lot, new = await lot_for_update_or_create(
            uow.session,
            {
                "item_code": item_code,
                "lot_number": number,
                "supplier": "",
                "supplier_lot": "",
                "date_code": "",
                "purchase_order": "",
                "work_order": data.work_order,
                "receipt_date": today,
                "expiry_date": expiry_date(today, item.shelf_life_days),
                "created_at": now,
            },
        )
        if not new and lot.work_order != data.work_order:
            raise _lot_conflict(data, lot)
        lots[(item_code, number)] = lot
        if new:
            created.append(lot)
    return lots, created


def _lot_conflict(data: ProductionReceiptCreate, lot: Lot) -> LotConflict:
    origin = f"work order {lot.work_order}" if lot.work_order else "no work order (bought in)"
    message = f"lot {lot.lot_number} of {lot.item_code} exists from {origin}"
    return LotConflict(
        f"{message}; work order {data.work_order} cannot add to it",
        errors=[
            FieldError(f"body.outputs.{index}.lot_number", message, "conflict")
            for index, line in enumerate(data.outputs)
            if (line.item_code, line.lot_number) == (lot.item_code, lot.lot_number)
        ],
    )


# --- posting ---------------------------------------------------------------------------------


async def save_document(
    uow: UnitOfWork,
    catalog: CatalogClient,
    data: ProductionReceiptCreate,
    draft_id: int | None = None,
    expected: dict[str, Any] | None = None,
) -> ProductionReceiptOut:
    """Post a production receipt, or save it as a draft (`data.draft`), new or in place of
    draft `draft_id`; the catalog is asked first, outside the transaction."""
    items, errors = await check_document(catalog, data)
    return await post_document(uow, data, items, errors, draft_id=draft_id, expected=expected)


async def post_document(
    uow: UnitOfWork,
    data: ProductionReceiptCreate,
    items: Mapping[str, CatalogItem],
    errors: Sequence[FieldError],
    *,
    draft_id: int | None = None,
    expected: dict[str, Any] | None = None,
) -> ProductionReceiptOut:
    """Post a production receipt: output lots, the document, components then outputs. With
    `data.draft` only the document and the lines it names are saved; with `draft_id` that
    draft is replaced or posted (its rows rewritten as consumed and produced)."""
    async with uow:
        session = uow.session
        existing = (
            await drafts.draft_for_update(
                session, ProductionReceipt, draft_id, NOUN, expected=expected
            )
            if draft_id is not None
            else None
        )
        codes = {data.to_location_code, PRODUCTION} | (
            {data.wip_location_code} if data.wip_location_code else set()
        )
        locations = await locations_by_codes(session, codes)
        named = {
            (c.item_code, c.lot_number)
            for c in data.components
            if c.lot_number is not None and names_lot(items, c)
        }
        lots = await lots_by_numbers(session, named)
        found = [*header_errors(data, locations), *errors, *unknown_lots(data, items, lots)]
        if found:
            found.sort(key=request_order)
            raise InvalidInput(f"{len(found)} field(s) are not valid", errors=found)
        if data.draft:
            return await _save_draft(uow, data, items, locations, lots, existing)
        now = posting_time(data.posted_at)
        output_lots, created = await _output_lots(uow, data, items, now)
        planned = await plan(session, data, items, locations, {**lots, **output_lots}, now)
        document = await _document(uow, data, locations, planned, existing)
        context = replace(planned.context, document_id=document.id)
        consumed = (
            await post_movements(uow, context, planned.components) if planned.components else []
        )
        await post_movements(
            uow,
            context,
            output_movements(data, data.to_location_code, unit_cost(consumed, data.outputs)),
        )
        out = (await load_many(session, [document]))[0]
        payload = out.model_dump(mode="json")
        await uow.audit("post", DOCUMENT_TYPE, str(out.id), after=payload)
        for lot in created:
            uow.emit("LotCreated", "lot", str(lot.id), lot_out(lot).model_dump(mode="json"))
        emit_movements(uow, out.movements)
        uow.emit("ProductionReceiptPosted", DOCUMENT_TYPE, str(out.id), payload)
        await uow.commit()
        return out


async def _header(
    uow: UnitOfWork,
    data: ProductionReceiptCreate,
    locations: Mapping[str, Location],
    existing: ProductionReceipt | None,
    posted_at: datetime | None,
) -> ProductionReceipt:
    """The document row, new or the draft `existing` (whose rows are deleted), saved as a
    draft (`data.draft`) or posted at `posted_at`."""
    session = uow.session
    wip = locations[data.wip_location_code] if data.wip_location_code else None
    document = existing or ProductionReceipt(number=f"tmp-{uuid.uuid4().hex[:24]}")
    document.work_order = data.work_order
    document.to_location_id = locations[data.to_location_code].id
    document.wip_location_id = wip.id if wip else None
    document.note = data.note
    drafts.stamp(document, uow, data, posted_at)
    if existing is None:
        session.add(document)
        await session.flush()
        document.number = f"PR-{document.id:08d}"
    else:
        for table in (ProductionReceiptOutput, ProductionConsumption):
            await session.execute(delete(table).where(table.document_id == document.id))
    return document


async def _save_draft(
    uow: UnitOfWork,
    data: ProductionReceiptCreate,
    items: Mapping[str, CatalogItem],
    locations: Mapping[str, Location],
    lots: Mapping[tuple[str, str], Lot],
    existing: ProductionReceipt | None,
) -> ProductionReceiptOut:
    """A draft: the output lines (with their lot if it exists: an existing lot of another
    work order is refused now, as posting would) and the component lines that name what
    they consume; backflushed lines get their rows when the draft posts."""
    session = uow.session
    wanted = {
        (o.item_code, o.lot_number) for o in data.outputs if o.lot_number and names_lot(items, o)
    }
    output_lots = await lots_by_numbers(session, wanted)
    for key in sorted(output_lots):
        if output_lots[key].work_order != data.work_order:
            raise _lot_conflict(data, output_lots[key])
    document = await _header(uow, data, locations, existing, None)

    def lot_id(
        known: Mapping[tuple[str, str], Lot], item_code: str, number: str | None
    ) -> int | None:
        lot = known.get((item_code, number)) if number else None
        return lot.id if lot else None

    session.add_all(
        ProductionReceiptOutput(
            document_id=document.id,
            line_no=index + 1,
            item_code=line.item_code,
            lot_id=lot_id(output_lots, line.item_code, line.lot_number),
            quantity=line.quantity,
            quality_state=line.quality_state,
            serial_numbers=list(line.serial_numbers) if line.serial_numbers else None,
        )
        for index, line in enumerate(data.outputs)
    )
    session.add_all(
        ProductionConsumption(
            document_id=document.id,
            line_no=index + 1,
            item_code=line.item_code,
            lot_id=lot_id(lots, line.item_code, line.lot_number),
            quantity=line.quantity,
            backflushed=False,
            serial_numbers=list(line.serial_numbers) if line.serial_numbers else None,
        )
        for index, line in enumerate(data.components)
        if not backflushed(items, line)
    )
    await session.flush()
    out = (await load_many(session, [document]))[0]
    await drafts.saved(
        uow,
        DOCUMENT_TYPE,
        "ProductionReceiptDrafted",
        out,
        new=existing is None,
        document_id=out.id,
    )
    return out


async def _document(
    uow: UnitOfWork,
    data: ProductionReceiptCreate,
    locations: Mapping[str, Location],
    planned: Plan,
    existing: ProductionReceipt | None,
) -> ProductionReceipt:
    """The document row with its output lines and its consumption rows (one per lot)."""
    session = uow.session
    document = await _header(uow, data, locations, existing, planned.context.posted_at)
    lot_ids = planned.context.lot_ids
    session.add_all(
        ProductionReceiptOutput(
            document_id=document.id,
            line_no=index + 1,
            item_code=line.item_code,
            lot_id=lot_ids.get((line.item_code, line.lot_number)) if line.lot_number else None,
            quantity=line.quantity,
            quality_state=line.quality_state,
            serial_numbers=list(line.serial_numbers) if line.serial_numbers else None,
        )
        for index, line in enumerate(data.outputs)
    )
    session.add_all(
        ProductionConsumption(
            document_id=document.id,
            line_no=c.line + 1,
            item_code=c.item_code,
            lot_id=lot_ids.get((c.item_code, c.lot_number)) if c.lot_number else None,
            quantity=c.quantity,
            backflushed=c.backflushed,
            serial_numbers=list(c.serials) if c.serials else None,
        )
        for c in planned.consumptions
    )
    await session.flush()
    return document


# --- reversal --------------------------------------------------------------------------------


async def reverse_posted(
    uow: UnitOfWork, document_id: int, items: Mapping[str, CatalogItem | None]
) -> ProductionReceiptOut:
    """Take a posted document back as a whole: outputs leave, components return to the line."""
    async with uow:
        session = uow.session
        document = await session.get(
            ProductionReceipt, document_id, with_for_update=True, populate_existing=True
        )
        if document is None:
            raise missing(document_id)
        drafts.require_posted(document, NOUN)
        before = (await load_many(session, [document]))[0]
        codes = {o.item_code for o in before.outputs} | {c.item_code for c in before.components}
        unknown = sorted(code for code in codes if items.get(code) is None)
        if unknown:
            raise Conflict(f"the catalog no longer knows item(s) {', '.join(unknown)}")
        now = utcnow()
        item_types = {code: item.item_type for code, item in items.items() if item is not None}
        try:
            await reverse_document(uow, DOCUMENT_TYPE, document.id, item_types, now)
        except InsufficientStockProblem as exc:
            raise naming_short_lines(
                exc,
                prefix=f"production receipt {document.number} cannot be reversed, the stock "
                "moved on: ",
            ) from exc.__cause__
        return await drafts.finish_reversal(
            uow,
            document,
            before,
            now,
            entity=DOCUMENT_TYPE,
            event="ProductionReceiptReversed",
            load=load_many,
        )


async def cancel_document(uow: UnitOfWork, document_id: int) -> ProductionReceiptOut:
    """Cancel a draft production receipt."""
    return await drafts.cancel_document(
        uow,
        ProductionReceipt,
        document_id,
        noun=NOUN,
        entity=DOCUMENT_TYPE,
        event="ProductionReceiptCancelled",
        load=load_many,
    )
