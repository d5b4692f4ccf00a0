"""What every multi-line stock document does with its lines, written once.

Transfers, scrap and returns ask the catalog about their items outside the
transaction, check each line's lot against the item's tracking, report errors header
first and then by line, name the lines behind a shortage, and publish a
`MovementPosted` event per movement.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.clients import BATCH, CatalogClient, CatalogItem, ConversionRefused, convert
from services.stock.db.models import Lot
from services.stock.db.queries import lots_by_ids, serial_rows
from services.stock.domain.model import QualityState, Tracking
from services.stock.domain.posting import InsufficientStock
from services.stock.schemas import MovementOut
from services.stock.usecases.posting import InsufficientStockProblem
from shared.db.uow import UnitOfWork
from shared.errors import FieldError
from shared.schemas import plain

#: How many catalog look-ups run at once for a document with many distinct items.
CATALOG_CONCURRENCY = 8


class DocumentLine(Protocol):
    @property
    def item_code(self) -> str: ...

    @property
    def lot_number(self) -> str | None: ...


async def catalog_items(
    catalog: CatalogClient, codes: Iterable[str]
) -> dict[str, CatalogItem | None]:
    """The catalog's item for every distinct code (None where it has none): one call per
    `BATCH` codes, a few calls at a time."""
    wanted = sorted(set(codes))
    gate = asyncio.Semaphore(CATALOG_CONCURRENCY)

    async def batch(chunk: list[str]) -> dict[str, CatalogItem]:
        async with gate:
            return await catalog.items_by_codes(chunk)

    chunks = [wanted[start : start + BATCH] for start in range(0, len(wanted), BATCH)]
    # return_exceptions: every call finishes before the first failure is raised
    found = await asyncio.gather(*(batch(chunk) for chunk in chunks), return_exceptions=True)
    items: dict[str, CatalogItem | None] = dict.fromkeys(wanted)
    for outcome in found:
        if isinstance(outcome, BaseException):
            raise outcome
        items.update(outcome)
    return items


#: (quantity, unit) as a line was entered, when that was not the item's stock unit.
Entered = tuple[Decimal, str] | None


async def to_stock_unit(
    catalog: CatalogClient, path: str, item: CatalogItem, quantity: Decimal, uom: str | None
) -> tuple[Decimal, Entered, list[FieldError]]:
    """`quantity` in `uom` as a quantity of the item's stock unit, by the catalog's rules
    (item-specific first). A result the stock unit cannot hold exactly (7.5 pcs) is
    refused, never rounded; errors are named under `path` (`.uom`, `.quantity`)."""
    if uom is None or uom == item.uom:
        return quantity, None, []
    try:
        converted = await convert(catalog, item, quantity, uom)
    except ConversionRefused as exc:
        return quantity, None, [FieldError(f"{path}.uom", exc.detail, "not_convertible")]
    if converted.exact != converted.rounded:
        message = (
            f"{plain(quantity)} {uom} is {plain(converted.exact)} {item.uom}, which {item.uom} "
            f"cannot hold (it would round to {plain(converted.rounded)})"
        )
        return quantity, None, [FieldError(f"{path}.quantity", message)]
    return converted.exact, (quantity, uom), []


L = TypeVar("L", bound=BaseModel)


async def lines_in_stock_units(
    catalog: CatalogClient,
    lines: Sequence[L],
    items: Mapping[str, CatalogItem | None],
    path: str = "body.lines",
) -> tuple[list[L], list[Entered], list[FieldError]]:
    """Request lines (models with `item_code`, `quantity`, `uom`) with their quantities in
    the item's stock unit (`uom` cleared), what each line entered, and every conversion
    error. Lines of unknown items are left as they are (their error is named elsewhere)."""
    converted: list[L] = []
    entered: list[Entered] = []
    errors: list[FieldError] = []
    for index, line in enumerate(lines):
        fields: Any = line  # a line model: item_code, quantity, uom
        item = items.get(fields.item_code)
        uom = fields.uom
        if item is None or uom is None:
            converted.append(line)
            entered.append(None)
            continue
        quantity, was, problems = await to_stock_unit(
            catalog, f"{path}.{index}", item, fields.quantity, uom
        )
        errors += problems
        converted.append(line.model_copy(update={"quantity": quantity, "uom": None}))
        entered.append(was)
    return converted, entered, errors


def serial_errors(
    path: str,
    item: CatalogItem,
    quantity: Decimal,
    serials: Sequence[str] | None,
    *,
    who_takes: str | None = None,
    field: str = "serial_numbers",
) -> list[FieldError]:
    """A serial-tracked item names one serial per unit (as many as the quantity, each
    once); other items name none. `who_takes` refuses serial-tracked items altogether
    (a document that does not move them: "counts take")."""
    tracking = Tracking(item.tracking)
    if tracking is not Tracking.SERIAL:
        if serials:
            return [FieldError(f"{path}.{field}", f"item {item.code} is not serial-tracked")]
        return []
    if who_takes is not None:
        return [
            FieldError(
                f"{path}.item_code",
                f"item {item.code} is serial-tracked; {who_takes} lot-tracked and untracked "
                "items only",
            )
        ]
    if not serials:
        return [
            FieldError(
                f"{path}.{field}",
                f"item {item.code} is serial-tracked: name one serial number per unit",
                "missing",
            )
        ]
    errors = []
    if Decimal(len(serials)) != quantity:
        errors.append(
            FieldError(
                f"{path}.{field}",
                f"{len(serials)} serial number(s) for a quantity of {plain(quantity)}",
            )
        )
    twice = sorted({s for s in serials if serials.count(s) > 1})
    if twice:
        errors.append(
            FieldError(f"{path}.{field}", f"named more than once: {', '.join(twice)}", "duplicate")
        )
    return errors


def serials_twice(
    lines: Sequence[tuple[str, Sequence[str] | None]], prefix: str = "body.lines"
) -> list[FieldError]:
    """A serial may appear on one line of a document only: (item code, serials) per line."""
    seen: dict[tuple[str, str], int] = {}
    errors = []
    for index, (item_code, serials) in enumerate(lines):
        for serial in dict.fromkeys(serials or ()):
            first = seen.setdefault((item_code, serial), index)
            if first != index:
                errors.append(
                    FieldError(
                        f"{prefix}.{index}.serial_numbers",
                        f"serial {serial} of {item_code} is already on line {first + 1}",
                        "duplicate",
                    )
                )
    return errors


def unit_quantities(quantity: Decimal, serials: Sequence[str] | None) -> list[tuple[str, Decimal]]:
    """A line as movements: one of quantity 1 per serial, or one of the whole quantity."""
    if serials:
        return [(serial, Decimal(1)) for serial in serials]
    return [("", quantity)]


def tracking_errors(
    index: int, line: DocumentLine, item: CatalogItem | None, *, who_takes: str
) -> list[FieldError]:
    """The line's item must exist; a lot is required for lot-tracked items and refused
    for untracked ones; serial-tracked items name their serials when the line has a
    `serial_numbers` field and are refused otherwise (`who_takes` names the document in
    that message: "transfers take")."""
    path = f"body.lines.{index}"
    if item is None:
        return [
            FieldError(
                f"{path}.item_code", f"the catalog has no item {line.item_code!r}", "not_found"
            )
        ]
    tracking = Tracking(item.tracking)
    if tracking is Tracking.SERIAL or getattr(line, "serial_numbers", None):
        takes_serials = hasattr(line, "serial_numbers")
        errors = serial_errors(
            path,
            item,
            getattr(line, "quantity", Decimal(0)),
            getattr(line, "serial_numbers", None),
            who_takes=None if takes_serials else who_takes,
        )
        if tracking is Tracking.SERIAL or errors:
            return errors
    if tracking is Tracking.LOT and line.lot_number is None:
        return [
            FieldError(
                f"{path}.lot_number",
                f"item {item.code} is lot-tracked: a lot number is required",
                "missing",
            )
        ]
    if tracking is Tracking.NONE and line.lot_number is not None:
        return [
            FieldError(
                f"{path}.lot_number", f"item {item.code} is not lot-tracked: send no lot number"
            )
        ]
    return []


def request_order(error: FieldError) -> tuple[int, int]:
    """Sort key: header fields first, then the lines in request order."""
    parts = error.field.split(".")
    if len(parts) > 2 and parts[1] == "lines" and parts[2].isdigit():
        return 1, int(parts[2])
    return 0, 0


def has_lot(items: Mapping[str, CatalogItem], line: DocumentLine) -> bool:
    item = items.get(line.item_code)
    return item is not None and Tracking(item.tracking) is Tracking.LOT


def naming_short_lines(
    exc: InsufficientStockProblem,
    prefix: str = "",
    lines: Sequence[tuple[DocumentLine, QualityState]] = (),
) -> InsufficientStockProblem:
    """The same 409 (detail and extra name item, lot, serial, location, state, available,
    needed), also naming the request lines (with the state each takes from) that drain the
    bucket that is short; for a serial-tracked unit, the line that names the unit
    (`body.lines.N.serial_numbers`)."""
    cause = exc.__cause__
    if not isinstance(cause, InsufficientStock):
        return exc
    key = cause.key
    if key.serial_number:
        where = f" in lot {key.lot_number}" if key.lot_number else ""
        units = [
            FieldError(
                f"body.lines.{index}.serial_numbers",
                f"serial {key.serial_number} of {key.item_code} is not at {key.location_code}"
                f"{where} ({key.quality_state.value})",
                "insufficient_stock",
            )
            for index, (line, state) in enumerate(lines)
            if line.item_code == key.item_code
            and key.serial_number in (getattr(line, "serial_numbers", None) or ())
            and state is key.quality_state
        ]
        return InsufficientStockProblem(prefix + exc.detail, errors=units, extra=dict(exc.extra))
    lot = f" lot {key.lot_number}" if key.lot_number else ""
    short = [
        FieldError(
            f"body.lines.{index}.quantity",
            f"{plain(cause.available)} of {key.item_code}{lot} ({key.quality_state.value}) "
            f"available at {key.location_code}; the lines of that item, lot and state need "
            f"{plain(cause.needed)} together",
            "insufficient_stock",
        )
        for index, (line, state) in enumerate(lines)
        if line.item_code == key.item_code
        and (line.lot_number or "") == key.lot_number
        and state is key.quality_state
    ]
    return InsufficientStockProblem(prefix + exc.detail, errors=short, extra=dict(exc.extra))


def emit_movements(uow: UnitOfWork, movements: Iterable[MovementOut]) -> None:
    for movement in movements:
        uow.emit("MovementPosted", "movement", str(movement.id), movement.model_dump(mode="json"))


# --- serial-tracked units and named lots -------------------------------------------------


class UnitLine(DocumentLine, Protocol):
    @property
    def quantity(self) -> Decimal: ...

    @property
    def serial_numbers(self) -> Sequence[str] | None: ...


def names_lot(items: Mapping[str, CatalogItem | None], line: DocumentLine) -> bool:
    """Whether the line's lot number names a lot that must exist: lot-tracked items always
    name one, serial-tracked ones may (untracked ones are refused one earlier)."""
    item = items.get(line.item_code)
    return item is not None and Tracking(item.tracking) in (Tracking.LOT, Tracking.SERIAL)


async def serial_lots(
    session: AsyncSession, pairs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], Lot]:
    """The lot of every known serial among `(item_code, serial_number)` pairs that has one,
    by that pair (units never seen, or received without a lot, are left out)."""
    rows = await serial_rows(session, pairs)
    lots = await lots_by_ids(session, (row.lot_id for row in rows.values()))
    return {key: lots[row.lot_id] for key, row in rows.items() if row.lot_id is not None}


async def unit_lots(
    session: AsyncSession, lines: Sequence[UnitLine], lots: dict[tuple[str, str], Lot]
) -> list[list[tuple[str, str, Decimal]]]:
    """Each line as (serial number, lot number, quantity) movements: one per serial of a
    serial-tracked line, in the line's lot or else in the lot its unit was received in;
    one of the whole quantity otherwise. Adds the units' lots to `lots`."""
    known = await serial_lots(
        session,
        (
            (line.item_code, serial)
            for line in lines
            if line.lot_number is None
            for serial in line.serial_numbers or ()
        ),
    )
    for (item, _serial), lot in known.items():
        lots.setdefault((item, lot.lot_number), lot)
    units = []
    for line in lines:
        moves = []
        for serial, quantity in unit_quantities(line.quantity, line.serial_numbers):
            own = known.get((line.item_code, serial)) if line.lot_number is None else None
            moves.append((serial, line.lot_number or (own.lot_number if own else ""), quantity))
        units.append(moves)
    return units
