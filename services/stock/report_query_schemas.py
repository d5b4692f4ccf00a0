"""The report query's models: the public contract of `POST /v1/reports/query` and
`/v1/report-definitions` (the engine: usecases/report_query.py)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.stock import report_examples as ex
from services.stock.domain.model import QualityState, Stage
from shared.http.pagination import Page


class Measure(StrEnum):
    """What a report row sums (see `MEASURES_DOC`)."""

    QUANTITY = "quantity"
    VALUE = "value"
    MOVEMENTS = "movements"
    RECEIVED_QUANTITY = "received_quantity"
    RECEIVED_VALUE = "received_value"
    ISSUED_QUANTITY = "issued_quantity"
    ISSUED_VALUE = "issued_value"


class Dimension(StrEnum):
    """What a report row is grouped by (see `DIMENSIONS_DOC`)."""

    ITEM = "item"
    CATEGORY = "category"
    ITEM_TYPE = "item_type"
    STAGE = "stage"
    QUALITY_STATE = "quality_state"
    WAREHOUSE = "warehouse"
    LOCATION = "location"
    SUPPLIER = "supplier"
    CUSTOMER = "customer"
    KIND = "kind"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class ReportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"


MEASURES_DOC = (
    "Measures. Flows over the date range (per time bucket with a time dimension), read from "
    "the stock flows: `received_quantity` / `received_value`: what arrived from outside the "
    "stock (a supplier, a customer, production, a count, an opening balance); "
    "`issued_quantity` / `issued_value`: what left the stock (to production, a customer, "
    "scrap, the supplier, a count loss), at moving-average cost; a reversal takes its "
    "original back. `movements`: ledger movements (a reversal counts -1); with a "
    "location-level dimension or filter (location, warehouse, stage, quality_state) a "
    "movement counts at each stock location it touches (a transfer twice), otherwise once. "
    "Stock: `quantity` / `value`: on hand at the end of the range (of each time bucket; the "
    "last bucket ends at date_to), the flows summed from the beginning; a group below the "
    "item (location, warehouse, stage, quality state) gets the item's value in proportion "
    "to its share of the item's quantity, as `GET /v1/stock-overview` does. Quantity "
    "measures are null in a row whose items mix stock units. `value`, `received_value` and "
    "`issued_value` need the finance or admin role (403 otherwise). Stock measures cannot be "
    "grouped or filtered by kind, supplier or customer."
)

DIMENSIONS_DOC = (
    "Dimensions, each a column of the rows: `item` (item code), `category`, `item_type` "
    "(the catalog's), `stage`, `quality_state`, `warehouse` (the topmost location of type "
    "warehouse above the stock, else the top of its tree), `location` (location code), "
    "`supplier`, `customer` (the documents' partners; null where none), `kind` (the "
    "movement kind, the ledger's document type: purchase_receipt, inspection, transfer, "
    "requisition, production_receipt, shipment, scrap, ...), and at most one time dimension: "
    "`day` (2026-11-27), `week` (ISO, Monday start: 2026-W48) or `month` (2026-11); the "
    "first and last buckets are cut at date_from and date_to."
)

_Code = Annotated[str, Field(min_length=1, max_length=200)]
_Codes = Annotated[list[_Code] | None, Field(max_length=1000)]


class ReportFilters(BaseModel):
    """What the rows count; every list filter keeps what matches any of its values."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ex.REPORT_FILTERS]})

    date_from: date | None = Field(
        None, description="First day (UTC, included); default the first day of date_to's month"
    )
    date_to: date | None = Field(
        None,
        description="Last day (UTC, included), not in the future; default today. At most "
        "3660 days from date_from to date_to",
    )
    item_code: _Codes = None
    category: _Codes = Field(None, description="The catalog's category codes")
    item_type: _Codes = Field(None, description="raw_material, semi_finished, finished_good...")
    stage: Annotated[list[Stage] | None, Field(max_length=10)] = None
    quality_state: Annotated[list[QualityState] | None, Field(max_length=10)] = None
    warehouse: _Codes = Field(None, description="Warehouse location codes (their whole tree)")
    location_code: _Codes = Field(None, description="Location codes (only these locations)")
    kind: _Codes = Field(None, description="Movement kinds (flow measures only)")
    supplier: _Codes = Field(None, description="Suppliers (flow measures only)")
    customer: _Codes = Field(None, description="Customers (flow measures only)")


class SortKey(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ex.SORT_KEY]})

    by: str = Field(
        min_length=1, max_length=40, description="A measure or a dimension of the query"
    )
    direction: Literal["asc", "desc"] = "asc"


class ReportQuery(BaseModel):
    """A report: measures per combination of dimensions, filtered, sorted and cut."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ex.REPORT_QUERY]})

    measures: list[Annotated[str, Field(max_length=40)]] = Field(
        min_length=1,
        max_length=len(Measure),
        description=MEASURES_DOC,
        json_schema_extra={"items": {"enum": [m.value for m in Measure], "type": "string"}},
    )
    dimensions: list[Annotated[str, Field(max_length=40)]] = Field(
        default_factory=list,
        max_length=len(Dimension),
        description=DIMENSIONS_DOC,
        json_schema_extra={"items": {"enum": [d.value for d in Dimension], "type": "string"}},
    )
    filters: ReportFilters = Field(default_factory=ReportFilters)
    sort: list[SortKey] = Field(
        default_factory=list,
        max_length=20,
        description="Sort keys, most significant first; rows are otherwise ordered by their "
        "dimensions in the order given (ascending; nulls last)",
    )
    limit: int = Field(1000, ge=1, le=10000, description="Rows returned (total_rows: all)")


class ReportSeries(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.REPORT_SERIES]})

    name: str = Field(description="The measure")
    data: list[str | int | None] = Field(description="One value per label (null: mixed units)")


class ReportChart(BaseModel):
    """Chart-ready: one label per row, one series per measure."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.REPORT_CHART]})

    labels: list[str] = Field(
        description="Each row's dimension values joined by ' / ' (the time label when the "
        "time dimension is the only one; 'Total' without dimensions)"
    )
    series: list[ReportSeries]


class ReportResult(BaseModel):
    """Rows of dimension values and measures (decimals as strings; quantity measures null
    where a row's items mix units)."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.REPORT_RESULT]})

    measures: list[str]
    dimensions: list[str]
    columns: list[str] = Field(description="The dimensions, then the measures")
    date_from: date
    date_to: date
    rows: list[dict[str, Any]] = Field(description="One object per row, keyed by column")
    total_rows: int = Field(description="Rows before the limit")
    chart: ReportChart


class ReportDefinitionIn(BaseModel):
    """A saved report query, shared with roles."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [ex.REPORT_DEFINITION_IN]}
    )

    name: str = Field(min_length=1, max_length=100, description="Unique")
    description: str = Field("", max_length=500)
    query: ReportQuery
    format: ReportFormat = Field(ReportFormat.JSON, description="What running it answers")
    shared_with_roles: list[Annotated[str, Field(max_length=40)]] = Field(
        default_factory=list,
        max_length=10,
        description="Roles that may see and run it (besides its owner and admin)",
    )


class ReportDefinitionOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.REPORT_DEFINITION]})

    id: int
    name: str
    description: str
    query: dict[str, Any] = Field(description="The saved query (as `POST /v1/reports/query`)")
    format: ReportFormat
    shared_with_roles: list[str]
    owner: str = Field(description="Who saved it (the principal's subject)")
    version: int
    created_at: datetime
    updated_at: datetime


ReportDefinitionPage = Page[ReportDefinitionOut]
