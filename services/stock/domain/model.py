"""The words of the stock ledger: location types, stages, quality states, movements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from shared.errors import InvalidInput


class LocationType(StrEnum):
    #: A top-level grouping node (WH1) with areas and bins under it; it holds no stock.
    WAREHOUSE = "warehouse"
    STORAGE = "storage"
    RECEIVING = "receiving"
    INSPECTION = "inspection"
    PRODUCTION_LINE = "production_line"
    FINISHED_GOODS = "finished_goods"
    QUARANTINE = "quarantine"
    SCRAP = "scrap"
    # virtual locations: the other side of every double entry
    SUPPLIER = "supplier"
    CUSTOMER = "customer"
    PRODUCTION = "production"
    COUNT_ADJUSTMENT = "count_adjustment"
    #: Where scrapped stock goes: it leaves the books (SAP movement type 551).
    SCRAPPED = "scrapped"
    #: Where opening balances come from when a firm starts on the system (SAP 561).
    OPENING = "opening"


VIRTUAL_TYPES = frozenset(
    {
        LocationType.SUPPLIER,
        LocationType.CUSTOMER,
        LocationType.PRODUCTION,
        LocationType.COUNT_ADJUSTMENT,
        LocationType.SCRAPPED,
        LocationType.OPENING,
    }
)

#: The virtual locations every stock database has, by code.
VIRTUAL_LOCATIONS = {
    LocationType.SUPPLIER: "VIRTUAL/SUPPLIER",
    LocationType.CUSTOMER: "VIRTUAL/CUSTOMER",
    LocationType.PRODUCTION: "VIRTUAL/PRODUCTION",
    LocationType.COUNT_ADJUSTMENT: "VIRTUAL/COUNT-ADJUSTMENT",
    LocationType.SCRAPPED: "VIRTUAL/SCRAPPED",
    LocationType.OPENING: "VIRTUAL/OPENING",
}


#: Physical locations that only group others: nothing is ever posted into or out of them.
GROUPING_TYPES = frozenset({LocationType.WAREHOUSE})


class QualityState(StrEnum):
    PENDING_INSPECTION = "pending_inspection"  # 待检
    QUALIFIED = "qualified"  # 合格
    DEFECTIVE = "defective"  # 不良


class Stage(StrEnum):
    RAW = "raw"
    WIP = "wip"
    SEMI_FINISHED = "semi_finished"
    FINISHED = "finished"


class SerialStatus(StrEnum):
    """Where a serial-tracked unit is: in our stock, or which way it left."""

    IN_STOCK = "in_stock"
    CONSUMED = "consumed"  # into production
    SHIPPED = "shipped"  # to a customer
    SCRAPPED = "scrapped"
    RETURNED = "returned"  # to the supplier
    LOST = "lost"  # a count found it missing
    WITHDRAWN = "withdrawn"  # its opening balance was reversed; a corrected one may load it


#: How a serial leaves our stock, by the virtual location it goes to; a serial that comes
#: back from one of them must have left that way (a customer return needs a shipped
#: serial, a reversed scrap a scrapped one).
LEFT_AS = {
    LocationType.PRODUCTION: SerialStatus.CONSUMED,
    LocationType.CUSTOMER: SerialStatus.SHIPPED,
    LocationType.SCRAPPED: SerialStatus.SCRAPPED,
    LocationType.SUPPLIER: SerialStatus.RETURNED,
    LocationType.COUNT_ADJUSTMENT: SerialStatus.LOST,
    LocationType.OPENING: SerialStatus.WITHDRAWN,
}

#: Virtual locations a serial seen for the first time may come from.
FIRST_ARRIVALS = frozenset(
    {
        LocationType.SUPPLIER,
        LocationType.PRODUCTION,
        LocationType.COUNT_ADJUSTMENT,
        LocationType.OPENING,
    }
)


class Tracking(StrEnum):
    NONE = "none"
    LOT = "lot"
    SERIAL = "serial"


_STAGE_BY_ITEM_TYPE = {
    "raw_material": Stage.RAW,
    "semi_finished": Stage.SEMI_FINISHED,
    "finished_good": Stage.FINISHED,
}


class NoStockAtLocation(InvalidInput):
    """A movement names a grouping location (a warehouse node), which holds no stock."""

    code = "location_holds_no_stock"
    title = "The location holds no stock"


def stage_for(item_type: str, location_type: LocationType) -> Stage:
    """Stock at a production line is work in progress; elsewhere the item type decides.

    A grouping location (a warehouse) has no stage because it never holds stock: asking
    is refused with `NoStockAtLocation`, so no posting can reach one.
    """
    if location_type in GROUPING_TYPES:
        raise NoStockAtLocation(
            f"a {location_type.value} location only groups others and holds no stock: "
            "post to an area or bin under it"
        )
    if location_type is LocationType.PRODUCTION_LINE:
        return Stage.WIP
    try:
        return _STAGE_BY_ITEM_TYPE[item_type]
    except KeyError as exc:
        raise ValueError(f"unknown item type {item_type!r}") from exc


def expiry_date(received: date, shelf_life_days: int | None) -> date | None:
    """A lot expires `shelf_life_days` after receipt; no shelf life, no expiry."""
    return None if shelf_life_days is None else received + timedelta(days=shelf_life_days)


@dataclass(frozen=True, slots=True, order=True)
class BalanceKey:
    """One balance bucket; ordered so rows are always locked in the same order."""

    item_code: str
    location_code: str
    lot_number: str  # "" for items without lots
    quality_state: QualityState
    serial_number: str = ""  # "" for items without serials


@dataclass(frozen=True, slots=True)
class References:
    """What a document's movements refer to outside stock ("" where nothing): the order it
    fulfils and the business partner. Every movement of the document carries them, so
    the ledger and its feed can be read by order or partner without the documents."""

    purchase_order: str = ""
    work_order: str = ""
    sales_order: str = ""
    supplier: str = ""
    customer: str = ""


NO_REFERENCES = References()


@dataclass(frozen=True, slots=True)
class Movement:
    """A double entry: `quantity` leaves `source` and arrives at `target`."""

    item_code: str
    lot_number: str
    quantity: Decimal
    source_location: str
    target_location: str
    source_state: QualityState
    target_state: QualityState
    #: Id of the ledger row this movement takes back, for reversals.
    reverses: int | None = None
    #: What one unit of stock arriving from a virtual location is worth (a purchase price,
    #: the cost of the components a production receipt consumed); None values it at the
    #: item's moving average. Ignored for every other movement.
    unit_cost: Decimal | None = None
    #: The unit's serial number for serial-tracked items (then the quantity is 1).
    serial_number: str = ""

    def reversed(self, row_id: int) -> Movement:
        """The movement that takes this one back: same quantity, the other way round."""
        return Movement(
            item_code=self.item_code,
            lot_number=self.lot_number,
            quantity=self.quantity,
            source_location=self.target_location,
            target_location=self.source_location,
            source_state=self.target_state,
            target_state=self.source_state,
            reverses=row_id,
            serial_number=self.serial_number,
        )
