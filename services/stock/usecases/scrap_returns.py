"""Scrap, return to supplier and customer return: stock leaves or arrives at one location.

The three documents share a shape and a table; each line is one movement between the
document's physical location and a virtual one:

* scrap: `<state>@location -> VIRTUAL/SCRAPPED` (SAP movement type 551); the stock
  leaves the books.
* return to supplier: `<state>@location -> VIRTUAL/SUPPLIER`, defective (the default) or
  qualified stock, never stock still pending inspection.
* customer return: `VIRTUAL/CUSTOMER -> location`, always arriving pending inspection;
  lot-tracked items name an existing lot (a customer returns what was shipped).

A document is posted whole or not at all (one bad line, or one line without enough stock,
posts nothing) and can be reversed as a whole while the stock it moved is still where it
put it (a scrapped quantity comes back; a returned one must still be pending where it
arrived). Reversal appends opposite movements, it never edits the ledger.

Serial-tracked items name their units (`serial_numbers`, one per unit, each on one line
of the document); each unit is its own movement of quantity 1 in its lot (the line's, or
the one it was received in). Scrapped or returned units must be at the location in the
line's state (else 409 `insufficient_stock` naming the serial); they leave as scrapped or
returned. A customer may return only units that were shipped (and, when the line names a
lot, shipped from that lot): 409 `serial_conflict` names every other unit and its line.
Reversal brings scrapped and returned units back and sends returned-by-customer ones back
to shipped.

Any of the three can be saved as a draft (`"draft": true`, `usecases.drafts`): items,
locations and lots are checked and the lines written, nothing moves, no stock, serial or
shipped-unit check runs and the date is not checked; posting the draft runs all of them.

Scraps and supplier returns have approval gates (`scrap`, `supplier_return`): while one
is closed, posting such a document keeps it a draft that waits for workflow's decision
(`usecases/document_approvals.py`). Customer returns are never held.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.clients import CatalogClient, CatalogItem
from services.stock.db.models import (
    Location,
    Lot,
    MovementRow,
    ScrapReturn,
    ScrapReturnLine,
)
from services.stock.db.queries import (
    document_ledgers,
    location_by_code,
    locations_by_codes,
    locations_by_ids,
    lots_by_ids,
    lots_by_numbers,
    serial_rows,
)
from services.stock.domain.model import (
    VIRTUAL_LOCATIONS,
    LocationType,
    Movement,
    QualityState,
    References,
    SerialStatus,
)
from services.stock.schemas import ApprovalDecision, ApprovalState, DocumentStatus, GatedDocument
from services.stock.scrap_return_schemas import (
    CustomerReturnCreate,
    DocumentCreate,
    DocumentKind,
    ScrapCreate,
    ScrapReturnLineOut,
    ScrapReturnOut,
    SupplierReturnCreate,
)
from services.stock.usecases import document_approvals as approvals
from services.stock.usecases import drafts
from services.stock.usecases.backdating import posting_time
from services.stock.usecases.document_lines import (
    catalog_items,
    emit_movements,
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
    SerialConflict,
    post_movements,
    reverse_document,
)
from services.stock.usecases.receipts import movement_out
from shared.db.paging import page_by_id, where_equal
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, FieldError, InvalidInput, NotFound
from shared.http.pagination import PageParams


@dataclass(frozen=True, slots=True)
class KindSpec:
    #: Document number prefix (`SC-00000001`).
    prefix: str
    #: How messages name the document ("scrap SC-00000001").
    label: str
    #: Event type stem: `<stem>Drafted`, `<stem>Posted`, `<stem>Reversed`, `<stem>Cancelled`.
    event: str
    #: The virtual location on the other side of every line.
    virtual: LocationType
    #: Whether stock arrives at the document's location (else it leaves it).
    inbound: bool
    #: The create request (what a draft stores and posts).
    create: type[BaseModel]


SPECS: dict[DocumentKind, KindSpec] = {
    DocumentKind.SCRAP: KindSpec("SC", "scrap", "Scrap", LocationType.SCRAPPED, False, ScrapCreate),
    DocumentKind.SUPPLIER_RETURN: KindSpec(
        "RS",
        "supplier return",
        "SupplierReturn",
        LocationType.SUPPLIER,
        False,
        SupplierReturnCreate,
    ),
    DocumentKind.CUSTOMER_RETURN: KindSpec(
        "RC", "customer return", "CustomerReturn", LocationType.CUSTOMER, True, CustomerReturnCreate
    ),
}


def kind_of(data: DocumentCreate) -> DocumentKind:
    if isinstance(data, ScrapCreate):
        return DocumentKind.SCRAP
    if isinstance(data, SupplierReturnCreate):
        return DocumentKind.SUPPLIER_RETURN
    assert isinstance(data, CustomerReturnCreate)
    return DocumentKind.CUSTOMER_RETURN


@dataclass(frozen=True, slots=True)
class _Line:
    """A request line whatever the kind: what it moves and in which state."""

    item_code: str
    lot_number: str | None
    quantity: Decimal
    state: QualityState
    serial_numbers: list[str] | None


def _lines(data: DocumentCreate) -> list[_Line]:
    if isinstance(data, CustomerReturnCreate):
        return [
            _Line(
                ln.item_code,
                ln.lot_number,
                ln.quantity,
                QualityState.PENDING_INSPECTION,
                ln.serial_numbers,
            )
            for ln in data.lines
        ]
    return [
        _Line(
            ln.item_code,
            ln.lot_number,
            ln.quantity,
            QualityState(ln.quality_state),
            ln.serial_numbers,
        )
        for ln in data.lines
    ]


async def check_document(
    catalog: CatalogClient, data: DocumentCreate
) -> tuple[dict[str, CatalogItem], list[FieldError]]:
    """Ask the catalog about every item (outside any transaction) and collect line errors:
    lots and serials as the item's tracking wants them, each serial on one line only."""
    kind = kind_of(data)
    lines = _lines(data)
    items = await catalog_items(catalog, (line.item_code for line in lines))
    errors = [
        error
        for index, line in enumerate(lines)
        for error in tracking_errors(
            index, line, items[line.item_code], who_takes=f"a {SPECS[kind].label} takes"
        )
    ]
    errors += serials_twice([(line.item_code, line.serial_numbers) for line in lines])
    errors.sort(key=request_order)
    return {code: item for code, item in items.items() if item is not None}, errors


# --- posting ---------------------------------------------------------------------------------


async def save_document(
    uow: UnitOfWork,
    catalog: CatalogClient,
    data: DocumentCreate,
    draft_id: int | None = None,
    expected: dict[str, Any] | None = None,
    *,
    approved_by: str | None = None,
) -> ScrapReturnOut:
    """Post a scrap or return, or save it as a draft (`data.draft`), new or in place of
    draft `draft_id` of the same kind; the catalog is asked first, outside the transaction.
    `approved_by`: workflow's approval of the draft that waits for it."""
    items, errors = await check_document(catalog, data)
    return await post_document(
        uow, data, items, errors, draft_id=draft_id, expected=expected, approved_by=approved_by
    )


async def _draft_for_update(
    session: AsyncSession,
    kind: DocumentKind,
    draft_id: int,
    expected: dict[str, Any] | None,
) -> ScrapReturn:
    """The draft `draft_id` of `kind`, locked: 404 for another kind's id (even a draft)."""
    row = await session.get(ScrapReturn, draft_id)
    if row is None or row.kind != kind.value:
        raise _missing(kind, draft_id)
    return await drafts.draft_for_update(
        session, ScrapReturn, draft_id, SPECS[kind].label, expected=expected
    )


async def post_document(
    uow: UnitOfWork,
    data: DocumentCreate,
    items: Mapping[str, CatalogItem],
    errors: Sequence[FieldError],
    *,
    draft_id: int | None = None,
    expected: dict[str, Any] | None = None,
    approved_by: str | None = None,
) -> ScrapReturnOut:
    """Post a scrap or return: the document, one movement per line (per unit for
    serial-tracked items), the balances, the serials' status. With `data.draft` only the
    document and its lines are saved; with `draft_id` that draft is replaced or posted.
    Under a closed approval gate a posting is saved as a draft that waits instead."""
    kind = kind_of(data)
    spec = SPECS[kind]
    lines = _lines(data)
    virtual_code = VIRTUAL_LOCATIONS[spec.virtual]
    async with uow:
        session = uow.session
        existing = (
            await _draft_for_update(session, kind, draft_id, expected)
            if draft_id is not None
            else None
        )
        held = await approvals.must_wait(
            session, GATES.get(kind), existing, posting=not data.draft, approved_by=approved_by
        )
        if held:
            data = data.model_copy(update={"draft": True})
        locations = await locations_by_codes(session, {data.location_code, virtual_code})
        found = list(errors)
        error = stock_location_error(
            "body.location_code", data.location_code, locations.get(data.location_code)
        )
        if error is not None:
            found.append(error)
        wanted = {
            (line.item_code, line.lot_number)
            for line in lines
            if line.lot_number is not None and names_lot(items, line)
        }
        lots = await lots_by_numbers(session, wanted)
        for index, line in enumerate(lines):
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
        place, virtual = locations[data.location_code], locations[virtual_code]
        if kind is DocumentKind.CUSTOMER_RETURN and not data.draft:
            await _check_shipped(session, lines, lots)
        units = [] if data.draft else await unit_lots(session, lines, lots)
        now = None if data.draft else posting_time(data.posted_at)
        document = existing or ScrapReturn(number=f"tmp-{uuid.uuid4().hex[:24]}", kind=kind.value)
        document.location_id = place.id
        document.counterparty = data.counterparty
        document.reference = data.reference
        document.reason = data.reason
        document.note = data.note
        drafts.stamp(document, uow, data, now)
        if held:
            approvals.hold(document)
        if existing is None:
            session.add(document)
            await session.flush()
            document.number = f"{spec.prefix}-{document.id:08d}"
        else:
            await session.execute(
                delete(ScrapReturnLine).where(ScrapReturnLine.document_id == document.id)
            )

        def lot_of(line: _Line) -> Lot | None:
            return lots.get((line.item_code, line.lot_number)) if line.lot_number else None

        rows = [
            ScrapReturnLine(
                document_id=document.id,
                line_no=index + 1,
                item_code=line.item_code,
                lot_id=lot.id if (lot := lot_of(line)) else None,
                quantity=line.quantity,
                quality_state=line.state.value,
                serial_numbers=line.serial_numbers or None,
            )
            for index, line in enumerate(lines)
        ]
        session.add_all(rows)
        places = {place.id: place, virtual.id: virtual}
        if data.draft:
            await session.flush()
            out = _out(document, rows, [], places, {lot.id: lot for lot in lots.values()})
            if held:
                requested = _requested(kind, data, lines, items)
                await approvals.request_approval(uow, GATES[kind], out, requested)
                return out
            await drafts.saved(
                uow,
                kind.value,
                f"{spec.event}Drafted",
                out,
                new=existing is None,
                document_id=out.id,
            )
            return out
        assert now is not None
        source, target = (virtual, place) if spec.inbound else (place, virtual)
        movements = [
            Movement(
                item_code=line.item_code,
                lot_number=lot_number,
                quantity=quantity,
                source_location=source.code,
                target_location=target.code,
                source_state=line.state,
                target_state=line.state,
                serial_number=serial,
            )
            for line, line_units in zip(lines, units, strict=True)
            for serial, lot_number, quantity in line_units
        ]
        context = PostingContext(
            document_type=kind.value,
            document_id=document.id,
            item_types={code: item.item_type for code, item in items.items()},
            locations={place.code: place, virtual.code: virtual},
            lot_ids={(item, number): lot.id for (item, number), lot in lots.items()},
            posted_at=now,
            references=_references(kind, data.counterparty),
        )
        try:
            ledger = await post_movements(uow, context, movements)
        except InsufficientStockProblem as exc:
            raise naming_short_lines(
                exc, lines=[(line, line.state) for line in lines]
            ) from exc.__cause__
        out = _out(document, rows, ledger, places, {lot.id: lot for lot in lots.values()})
        payload = out.model_dump(mode="json")
        await uow.audit("post", kind.value, str(out.id), after=payload)
        emit_movements(uow, out.movements)
        uow.emit(f"{spec.event}Posted", kind.value, str(out.id), payload)
        await uow.commit()
        return out


def _requested(
    kind: DocumentKind,
    data: DocumentCreate,
    lines: Sequence[_Line],
    items: Mapping[str, CatalogItem],
) -> approvals.Requested:
    """What workflow is told of a scrap or supplier return held for approval: a supplier
    return's counterparty is its supplier and its reference its purchase order."""
    to_supplier = kind is DocumentKind.SUPPLIER_RETURN
    return approvals.Requested(
        location_code=data.location_code,
        lines=[
            approvals.RequestedLine(
                line_no=number,
                item_code=line.item_code,
                quantity=line.quantity,
                uom=item.uom if (item := items.get(line.item_code)) else None,
                lot_number=line.lot_number,
            )
            for number, line in enumerate(lines, start=1)
        ],
        supplier=data.counterparty if to_supplier else "",
        purchase_order=data.reference if to_supplier else "",
        reason=data.reason,
        note=data.note,
    )


async def _check_shipped(
    session: AsyncSession, lines: Sequence[_Line], lots: Mapping[tuple[str, str], Lot]
) -> None:
    """A customer returns only units that were shipped, from the lot the line names (if it
    names one): 409 `serial_conflict` naming every other unit and its line, before anything
    moves. (The posting core checks the status again under lock.)"""
    known = await serial_rows(
        session, ((ln.item_code, s) for ln in lines for s in ln.serial_numbers or ())
    )
    errors = []
    for index, line in enumerate(lines):
        lot = lots.get((line.item_code, line.lot_number)) if line.lot_number else None
        for serial in line.serial_numbers or ():
            row = known.get((line.item_code, serial))
            name = f"serial {serial} of {line.item_code}"
            if row is None:
                problem = f"{name} was never in stock"
            elif row.status != SerialStatus.SHIPPED.value:
                problem = f"{name} is {row.status}, not shipped"
            elif lot is not None and row.lot_id != lot.id:
                problem = f"{name} is not of lot {line.lot_number}"
            else:
                continue
            errors.append(
                FieldError(f"body.lines.{index}.serial_numbers", problem, "serial_conflict")
            )
    if errors:
        raise SerialConflict(
            f"{len(errors)} unit(s) cannot come back from a customer: a customer returns "
            "shipped units only",
            errors=errors,
        )


# --- reversal --------------------------------------------------------------------------------


def _missing(kind: DocumentKind, document_id: int) -> NotFound:
    return NotFound(f"{SPECS[kind].label} {document_id} does not exist")


async def document_item_codes(
    session: AsyncSession, kind: DocumentKind, document_id: int
) -> list[str]:
    """The distinct items a document moves (for the catalog look-up before reversing)."""
    document = await session.get(ScrapReturn, document_id)
    if document is None or document.kind != kind.value:
        raise _missing(kind, document_id)
    codes = await session.scalars(
        select(ScrapReturnLine.item_code)
        .where(ScrapReturnLine.document_id == document_id)
        .distinct()
        .order_by(ScrapReturnLine.item_code)
    )
    return list(codes)


async def reverse_posted(
    uow: UnitOfWork,
    kind: DocumentKind,
    document_id: int,
    items: Mapping[str, CatalogItem | None],
) -> ScrapReturnOut:
    """Take a posted document back as a whole: every line returns to where it came from."""
    spec = SPECS[kind]
    async with uow:
        session = uow.session
        document = await session.get(
            ScrapReturn, document_id, with_for_update=True, populate_existing=True
        )
        if document is None or document.kind != kind.value:
            raise _missing(kind, document_id)
        drafts.require_posted(document, spec.label)
        before = (await _load_many(session, [document]))[0]
        unknown = sorted({ln.item_code for ln in before.lines if items.get(ln.item_code) is None})
        if unknown:
            raise Conflict(f"the catalog no longer knows item(s) {', '.join(unknown)}")
        now = utcnow()
        item_types = {code: item.item_type for code, item in items.items() if item is not None}
        try:
            await reverse_document(uow, kind.value, document.id, item_types, now)
        except InsufficientStockProblem as exc:
            raise naming_short_lines(
                exc,
                prefix=f"{spec.label} {document.number} cannot be reversed, the stock moved on: ",
            ) from exc.__cause__
        return await drafts.finish_reversal(
            uow,
            document,
            before,
            now,
            entity=kind.value,
            event=f"{spec.event}Reversed",
            load=_load_many,
        )


# --- reading ---------------------------------------------------------------------------------


def _out(
    document: ScrapReturn,
    lines: Sequence[ScrapReturnLine],
    ledger: Sequence[MovementRow],
    locations: Mapping[int, Location],
    lots: Mapping[int, Lot],
) -> ScrapReturnOut:
    kind = DocumentKind(document.kind)
    return ScrapReturnOut(
        id=document.id,
        number=document.number,
        kind=kind,
        status=DocumentStatus(document.status),
        location_code=locations[document.location_id].code,
        counterparty=document.counterparty,
        reference=document.reference,
        reason=document.reason,
        note=document.note,
        created_at=document.created_at,
        created_by=document.created_by,
        posted_at=document.posted_at,
        posted_by=document.posted_by,
        cancelled_at=document.cancelled_at,
        cancelled_by=document.cancelled_by,
        reversed_at=document.reversed_at,
        reversed_by=document.reversed_by,
        lines=[
            ScrapReturnLineOut(
                line_no=line.line_no,
                item_code=line.item_code,
                lot_id=line.lot_id,
                lot_number=lots[line.lot_id].lot_number if line.lot_id is not None else None,
                quantity=line.quantity,
                serial_numbers=list(line.serial_numbers or ()),
                quality_state=QualityState(line.quality_state),
            )
            for line in sorted(lines, key=lambda line: line.line_no)
        ],
        movements=[movement_out(row, dict(locations), dict(lots)) for row in ledger],
        approval=ApprovalState(document.approval),
        approval_ref=document.approval_ref,
        draft_request=document.draft,
    )


async def _load_many(
    session: AsyncSession, documents: Sequence[ScrapReturn]
) -> list[ScrapReturnOut]:
    """Documents with their lines and movements, in a fixed number of queries."""
    if not documents:
        return []
    ids = [d.id for d in documents]
    lines: dict[int, list[ScrapReturnLine]] = {i: [] for i in ids}
    for line in await session.scalars(
        select(ScrapReturnLine)
        .where(ScrapReturnLine.document_id.in_(ids))
        .order_by(ScrapReturnLine.document_id, ScrapReturnLine.line_no)
    ):
        lines[line.document_id].append(line)
    ledger = await document_ledgers(session, {d.kind for d in documents}, ids)
    every_line = [line for group in lines.values() for line in group]
    every_row = [row for group in ledger.values() for row in group]
    locations = await locations_by_ids(
        session,
        [d.location_id for d in documents]
        + [r.from_location_id for r in every_row]
        + [r.to_location_id for r in every_row],
    )
    lots = await lots_by_ids(
        session, [line.lot_id for line in every_line] + [row.lot_id for row in every_row]
    )
    return [_out(d, lines[d.id], ledger[d.id], locations, lots) for d in documents]


def _gate(kind: DocumentKind) -> approvals.Gate[ScrapReturnOut]:
    return approvals.Gate(
        document_type=GatedDocument(kind.value),  # workflow's names are the kinds'
        model=ScrapReturn,
        entity=kind.value,
        noun=SPECS[kind].label,
        load=_load_many,
        kind=kind.value,
    )


#: The kinds an approval gate can hold (customer returns never wait).
GATES = {kind: _gate(kind) for kind in (DocumentKind.SCRAP, DocumentKind.SUPPLIER_RETURN)}


async def cancel_document(uow: UnitOfWork, kind: DocumentKind, document_id: int) -> ScrapReturnOut:
    """Cancel a draft of `kind` (another kind's id does not exist here); one that waited
    for approval ends it."""

    async def load(session: AsyncSession, documents: Sequence[ScrapReturn]) -> list[ScrapReturnOut]:
        if any(document.kind != kind.value for document in documents):
            raise _missing(kind, document_id)
        return await _load_many(session, documents)

    return await drafts.cancel_document(
        uow,
        ScrapReturn,
        document_id,
        noun=SPECS[kind].label,
        entity=kind.value,
        event=f"{SPECS[kind].event}Cancelled",
        load=load,
        announce=approvals.announce_cancel(GATES.get(kind)),
    )


async def return_document(
    uow: UnitOfWork, kind: DocumentKind, document_id: int, decision: ApprovalDecision
) -> ScrapReturnOut:
    """Workflow's decision other than approval: the document stays a draft, not waiting."""
    return await approvals.return_to_draft(uow, GATES[kind], document_id, decision)


async def require_kind(session: AsyncSession, kind: DocumentKind, document_id: int) -> None:
    """404 unless `document_id` is a document of `kind`."""
    document = await session.get(ScrapReturn, document_id)
    if document is None or document.kind != kind.value:
        raise _missing(kind, document_id)


async def get_document(
    session: AsyncSession, kind: DocumentKind, document_id: int
) -> ScrapReturnOut:
    """One document of `kind`; an id of another kind does not exist here."""
    document = await session.get(ScrapReturn, document_id)
    if document is None or document.kind != kind.value:
        raise _missing(kind, document_id)
    return (await _load_many(session, [document]))[0]


async def list_documents(
    session: AsyncSession,
    kind: DocumentKind,
    page: PageParams,
    *,
    item_code: str | None,
    location_code: str | None,
    status: DocumentStatus | None,
    reference: str | None,
    counterparty: str | None = None,
) -> tuple[list[ScrapReturnOut], str | None]:
    """Documents of `kind` in posting order; by an item on any line, location, status,
    reference, counterparty."""
    query = where_equal(
        select(ScrapReturn).where(ScrapReturn.kind == kind.value),
        {
            ScrapReturn.status: status.value if status else None,
            ScrapReturn.reference: reference,
            ScrapReturn.counterparty: counterparty,
        },
    )
    if item_code is not None:
        query = query.where(
            ScrapReturn.id.in_(
                select(ScrapReturnLine.document_id).where(ScrapReturnLine.item_code == item_code)
            )
        )
    if location_code is not None:
        location = await location_by_code(session, location_code)
        location_id = location.id if location else -1  # an unknown code matches nothing
        query = query.where(ScrapReturn.location_id == location_id)
    rows, cursor = await page_by_id(session, query, ScrapReturn.id, page)
    return await _load_many(session, rows), cursor


def _references(kind: DocumentKind, counterparty: str) -> References:
    """A supplier return refers to its supplier, a customer return to its customer."""
    if kind is DocumentKind.SUPPLIER_RETURN:
        return References(supplier=counterparty)
    if kind is DocumentKind.CUSTOMER_RETURN:
        return References(customer=counterparty)
    return References()
