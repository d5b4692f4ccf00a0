"""What the one-item, one-lot documents share: inspections and defective releases.

Such a document moves one catalog item at one location, in the lot it names (a
serial-tracked item's units may name none: each moves in the lot it was received in),
to one or more named locations. Written once here: the catalog check of the item and its
lot, the named locations and lot, the units' lots and the posting context, the answer's
common fields and the reading of many documents, reversal, and the listing's filters.
Each document keeps what is its own (quantities, serial lists, reasons, its 409s).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.clients import CatalogClient, CatalogItem
from services.stock.db.models import Location, Lot, MovementRow
from services.stock.db.queries import (
    document_ledgers,
    locations_by_codes,
    locations_by_ids,
    lots_by_ids,
)
from services.stock.domain.model import References, Tracking
from services.stock.schemas import DocumentStatus
from services.stock.usecases import drafts
from services.stock.usecases.document_lines import naming_short_lines, serial_lots
from services.stock.usecases.locations import stock_location_error
from services.stock.usecases.posting import (
    InsufficientStockProblem,
    PostingContext,
    reverse_document,
)
from services.stock.usecases.receipts import lot_out, movement_out
from shared.db.paging import where_equal
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, FieldError, NotFound


class SingleLotDocument(drafts.DocumentHeader, Protocol):
    """The columns a one-item, one-lot document has besides a draftable header."""

    item_code: str
    lot_id: int | None
    location_id: int
    note: str


D = TypeVar("D", bound=SingleLotDocument)
Out = TypeVar("Out", bound=BaseModel)

#: A document's answer from its row, its locations by id, its lot, every lot by id and
#: its ledger rows.
Shape = Callable[
    [D, Mapping[int, Location], Lot | None, Mapping[int, Lot], Sequence[MovementRow]], Out
]


# --- checking --------------------------------------------------------------------------


async def check_item(
    catalog: CatalogClient, item_code: str, lot_number: str | None
) -> tuple[CatalogItem | None, list[FieldError]]:
    """Ask the catalog about the item (outside any transaction): an unknown item is the
    only error; else a lot-tracked item must name a lot and an untracked one none. The
    serial numbers are each document's own to check."""
    item = await catalog.item_by_code(item_code)
    if item is None:
        return None, [
            FieldError("body.item_code", f"the catalog has no item {item_code!r}", "not_found")
        ]
    tracking = Tracking(item.tracking)
    errors = []
    if tracking is Tracking.LOT and lot_number is None:
        errors.append(FieldError("body.lot_number", "the item is lot-tracked", "missing"))
    if tracking is Tracking.NONE and lot_number is not None:
        errors.append(FieldError("body.lot_number", "the item is not lot-tracked", "invalid"))
    return item, errors


async def named_locations(
    session: AsyncSession, named: Mapping[str, str | None]
) -> tuple[dict[str, Location], list[FieldError]]:
    """The locations a document names (field -> code) by code, and an error for every
    field whose code is not a stock location, in `named`'s order. A field given as None
    (it defaults to a location another field names) is neither read nor checked."""
    codes = {code for code in named.values() if code is not None}
    locations = await locations_by_codes(session, codes)
    errors = []
    for field, code in named.items():
        if code is None:
            continue
        problem = stock_location_error(field, code, locations.get(code))
        if problem is not None:
            errors.append(problem)
    return locations, errors


async def named_lot(
    session: AsyncSession, item_code: str, lot_number: str | None, *, must_exist: bool
) -> tuple[Lot | None, list[FieldError]]:
    """The lot the document names, if it names one that exists; where `must_exist`, a
    named lot that does not exist is a `body.lot_number` error."""
    if lot_number is None:
        return None, []
    lot = (
        await session.scalars(
            select(Lot).where(Lot.item_code == item_code, Lot.lot_number == lot_number)
        )
    ).one_or_none()
    if lot is None and must_exist:
        return None, [
            FieldError("body.lot_number", f"{item_code} has no lot {lot_number!r}", "not_found")
        ]
    return lot, []


# --- posting ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnitLots:
    """The lots a posting moves: the named lot, or else each serial-tracked unit's own."""

    item_code: str
    lot: Lot | None
    units: Mapping[tuple[str, str], Lot]

    @property
    def by_id(self) -> dict[int, Lot]:
        return {each.id: each for each in [*self.units.values(), *([self.lot] if self.lot else [])]}

    def lot_number(self, serial: str) -> str:
        """The lot a movement (of unit `serial`, or "") is in: the named one, else the
        unit's own, else none."""
        own = self.lot or self.units.get((self.item_code, serial))
        return own.lot_number if own else ""


async def unit_lots(
    session: AsyncSession, item_code: str, lot: Lot | None, serials: Iterable[str]
) -> UnitLots:
    """A serial-tracked unit keeps its own lot unless the document names one."""
    units = await serial_lots(session, ((item_code, s) for s in serials)) if lot is None else {}
    return UnitLots(item_code, lot, units)


def posting_context(
    document_type: str,
    document_id: int,
    item: CatalogItem,
    locations: dict[str, Location],
    lots: UnitLots,
    posted_at: datetime,
) -> PostingContext:
    """How the document posts: its item, locations and lots, at `posted_at`."""
    lot = lots.lot
    return PostingContext(
        document_type=document_type,
        document_id=document_id,
        item_types={item.code: item.item_type},
        locations=locations,
        lot_ids={(item.code, each.lot_number): each.id for each in lots.by_id.values()},
        posted_at=posted_at,
        # the lot's purchase: QC results and releases are read by order and supplier
        references=References(purchase_order=lot.purchase_order, supplier=lot.supplier)
        if lot is not None
        else References(),
    )


# --- reading ---------------------------------------------------------------------------


def common_fields(
    row: SingleLotDocument,
    locations: Mapping[int, Location],
    lot: Lot | None,
    lots: Mapping[int, Lot],
    ledger: Sequence[MovementRow],
) -> dict[str, Any]:
    """The fields every one-lot document's answer has: header, item, lot, the location
    it takes from, note, stamps, movements and the stored draft request."""
    return {
        "id": row.id,
        "number": row.number,
        "status": DocumentStatus(row.status),
        "item_code": row.item_code,
        "lot": lot_out(lot) if lot else None,
        "location_code": locations[row.location_id].code,
        "note": row.note,
        "created_at": row.created_at,
        "created_by": row.created_by,
        "posted_at": row.posted_at,
        "posted_by": row.posted_by,
        "cancelled_at": row.cancelled_at,
        "cancelled_by": row.cancelled_by,
        "reversed_at": row.reversed_at,
        "reversed_by": row.reversed_by,
        "movements": [movement_out(each, dict(locations), dict(lots)) for each in ledger],
        "draft_request": row.draft,
    }


async def load_many(
    session: AsyncSession,
    document_type: str,
    rows: Sequence[D],
    shape: Shape[D, Out],
    *,
    location_ids: Callable[[D], Iterable[int]],
) -> list[Out]:
    """Documents with their movements, in a fixed number of queries; `location_ids` are
    the locations a row names."""
    if not rows:
        return []
    ledger = await document_ledgers(session, [document_type], [row.id for row in rows])
    every_row = [each for group in ledger.values() for each in group]
    locations = await locations_by_ids(
        session,
        [place for row in rows for place in location_ids(row)]
        + [each.from_location_id for each in every_row]
        + [each.to_location_id for each in every_row],
    )
    lots = await lots_by_ids(session, [row.lot_id for row in rows] + [r.lot_id for r in every_row])
    return [
        shape(row, locations, lots[row.lot_id] if row.lot_id else None, lots, ledger[row.id])
        for row in rows
    ]


async def item_code_of(session: AsyncSession, model: Any, document_id: int, noun: str) -> str:
    """The item a document moves (for the catalog look-up before reversing)."""
    code = await session.scalar(select(model.item_code).where(model.id == document_id))
    if code is None:
        raise NotFound(f"{noun} {document_id} does not exist")
    return str(code)


def listing(model: Any, lot_number: str | None, equal: Mapping[Any, Any]) -> Select[Any]:
    """The documents with the `equal` column values that are given, in lot `lot_number`
    (of any item) when it is given."""
    query = where_equal(select(model), equal)
    if lot_number is not None:
        query = query.where(model.lot_id.in_(select(Lot.id).where(Lot.lot_number == lot_number)))
    return query


# --- reversal --------------------------------------------------------------------------


async def reverse(
    uow: UnitOfWork,
    model: type[D],
    document_id: int,
    item: CatalogItem | None,
    *,
    document_type: str,
    noun: str,
    entity: str,
    event: str,
    load: Callable[[AsyncSession, Sequence[D]], Awaitable[list[Out]]],
) -> Out:
    """Take a posted document back as a whole (`posting.reverse_document`): 404 if it does
    not exist, 409 if it is not posted, if the catalog no longer knows its item (`item`)
    or if the stock it moved has moved on."""
    async with uow:
        session = uow.session
        row = await session.get(model, document_id, with_for_update=True, populate_existing=True)
        if row is None:
            raise NotFound(f"{noun} {document_id} does not exist")
        drafts.require_posted(row, noun)
        if item is None:
            raise Conflict(f"the catalog no longer knows item {row.item_code!r}")
        (before,) = await load(session, [row])
        now = utcnow()
        try:
            await reverse_document(uow, document_type, row.id, {item.code: item.item_type}, now)
        except InsufficientStockProblem as exc:
            raise naming_short_lines(
                exc, prefix=f"{noun} {row.number} cannot be reversed, the stock moved on: "
            ) from exc.__cause__
        return await drafts.finish_reversal(
            uow, row, before, now, entity=entity, event=event, load=load
        )
