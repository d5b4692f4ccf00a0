"""Checking a production receipt request: its locations, items, lots and units.

Outputs are semi-finished or finished goods, tracked as the catalog says (a lot-tracked
output names its lot; a serial-tracked one names its new units, a lot optional);
components are tracked as every document checks them, except that a lot-tracked line
without a lot is backflushed. A unit appears on one output line and one component line
of a document at most. Errors come header first, then the outputs, then the components,
each in request order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from services.stock.clients import CatalogClient, CatalogItem
from services.stock.db.models import Location, Lot
from services.stock.domain.model import LocationType, Tracking
from services.stock.production_receipt_schemas import (
    ComponentIn,
    OutputIn,
    ProductionReceiptCreate,
)
from services.stock.usecases.document_lines import catalog_items, serials_twice, tracking_errors
from services.stock.usecases.locations import stock_location_error
from shared.errors import FieldError

#: Item types a production receipt may produce.
PRODUCED_TYPES = frozenset({"semi_finished", "finished_good"})
#: Where output may go: stores, not a production line, quarantine or scrap.
OUTPUT_LOCATION_TYPES = frozenset({LocationType.FINISHED_GOODS.value, LocationType.STORAGE.value})


def names_lot(items: Mapping[str, CatalogItem], line: OutputIn | ComponentIn) -> bool:
    """The line names a lot of an item that has lots: lot-tracked (required) or
    serial-tracked (optional)."""
    item = items.get(line.item_code)
    return (
        item is not None
        and line.lot_number is not None
        and Tracking(item.tracking) in (Tracking.LOT, Tracking.SERIAL)
    )


# --- checking the request --------------------------------------------------------------------


def _under(part: str, errors: Iterable[FieldError]) -> list[FieldError]:
    """`tracking_errors` names `body.lines.<i>`; this document's lines are outputs or components."""
    return [
        FieldError(
            error.field.replace("body.lines.", f"body.{part}.", 1), error.message, error.type
        )
        for error in errors
    ]


def _output_errors(index: int, line: OutputIn, item: CatalogItem | None) -> list[FieldError]:
    errors = _under("outputs", tracking_errors(index, line, item, who_takes="production takes"))
    if item is not None and item.item_type not in PRODUCED_TYPES:
        errors.insert(
            0,
            FieldError(
                f"body.outputs.{index}.item_code",
                f"item {item.code} is a {item.item_type}: only semi-finished and finished "
                "goods are produced",
            ),
        )
    return errors


def _component_errors(index: int, line: ComponentIn, item: CatalogItem | None) -> list[FieldError]:
    """As for every document (serial-tracked lines name their units), except that a
    lot-tracked line without a lot is backflushed."""
    errors = tracking_errors(index, line, item, who_takes="production consumes")
    return _under(
        "components",
        (e for e in errors if not (e.type == "missing" and e.field.endswith(".lot_number"))),
    )


async def check_document(
    catalog: CatalogClient, data: ProductionReceiptCreate
) -> tuple[dict[str, CatalogItem], list[FieldError]]:
    """Ask the catalog about every item (outside any transaction) and collect line errors."""
    items = await catalog_items(
        catalog, [o.item_code for o in data.outputs] + [c.item_code for c in data.components]
    )
    errors = [
        *(e for i, o in enumerate(data.outputs) for e in _output_errors(i, o, items[o.item_code])),
        *(
            e
            for i, c in enumerate(data.components)
            for e in _component_errors(i, c, items[c.item_code])
        ),
        *serials_twice([(o.item_code, o.serial_numbers) for o in data.outputs], "body.outputs"),
        *serials_twice(
            [(c.item_code, c.serial_numbers) for c in data.components], "body.components"
        ),
    ]
    return {code: item for code, item in items.items() if item is not None}, errors


_LINE_PARTS = {"outputs": 1, "components": 2}


def request_order(error: FieldError) -> tuple[int, int]:
    """Sort key: header fields first, then the outputs, then the components, in request order."""
    parts = error.field.split(".")
    if len(parts) > 2 and parts[1] in _LINE_PARTS and parts[2].isdigit():
        return _LINE_PARTS[parts[1]], int(parts[2])
    return 0, 0


def _location_error(
    field: str, code: str, location: Location | None, allowed: frozenset[str], wanted: str
) -> FieldError | None:
    problem = stock_location_error(field, code, location)
    if problem is None and location is not None and location.location_type not in allowed:
        problem = FieldError(field, f"{code} is a {location.location_type}, not {wanted}")
    return problem


def header_errors(
    data: ProductionReceiptCreate, locations: Mapping[str, Location]
) -> list[FieldError]:
    target = data.to_location_code
    errors = [
        _location_error(
            "body.to_location_code",
            target,
            locations.get(target),
            OUTPUT_LOCATION_TYPES,
            "a finished-goods or storage location",
        )
    ]
    wip = data.wip_location_code
    if wip is not None:
        errors.append(
            _location_error(
                "body.wip_location_code",
                wip,
                locations.get(wip),
                frozenset({LocationType.PRODUCTION_LINE.value}),
                "a production line",
            )
        )
    elif data.components:
        errors.append(
            FieldError(
                "body.wip_location_code",
                "components are consumed at a production line: name it",
                "missing",
            )
        )
    return [error for error in errors if error is not None]


def unknown_lots(
    data: ProductionReceiptCreate,
    items: Mapping[str, CatalogItem],
    lots: Mapping[tuple[str, str], Lot],
) -> list[FieldError]:
    return [
        FieldError(
            f"body.components.{index}.lot_number",
            f"{line.item_code} has no lot {line.lot_number!r}",
            "not_found",
        )
        for index, line in enumerate(data.components)
        if line.lot_number is not None
        and names_lot(items, line)
        and (line.item_code, line.lot_number) not in lots
    ]
