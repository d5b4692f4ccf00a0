"""Checking and planning a report query (`POST /v1/reports/query`, saved report
definitions): `plan_query` turns a `ReportQuery` into a `Plan` (every bad field named in
one 422), `check_cost_roles` keeps value measures for the roles that may see cost, and
`time_buckets` cuts the range into the day, week or month buckets of its time dimension.
The engine that reads and shapes a plan is usecases/report_query.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

from services.stock.domain.flows import days_in_month, month_of
from services.stock.report_query_schemas import Dimension, Measure, ReportQuery
from services.stock.schemas import COST_ROLES
from shared.auth.principal import Principal
from shared.errors import FieldError, Forbidden, InvalidInput

#: The longest range a report covers, in days (both ends included).
MAX_DAYS = 3660
TIME = (Dimension.DAY, Dimension.WEEK, Dimension.MONTH)
LOCATION_LEVEL = (
    Dimension.LOCATION,
    Dimension.WAREHOUSE,
    Dimension.STAGE,
    Dimension.QUALITY_STATE,
)
#: What stock on hand cannot be split by (it has no movement kind or partner).
FLOW_ONLY = (Dimension.KIND, Dimension.SUPPLIER, Dimension.CUSTOMER)
VALUES = (Measure.VALUE, Measure.RECEIVED_VALUE, Measure.ISSUED_VALUE)
QUANTITIES = (Measure.QUANTITY, Measure.RECEIVED_QUANTITY, Measure.ISSUED_QUANTITY)
STOCK = (Measure.QUANTITY, Measure.VALUE)
FLOWS = (
    Measure.MOVEMENTS,
    Measure.RECEIVED_QUANTITY,
    Measure.RECEIVED_VALUE,
    Measure.ISSUED_QUANTITY,
    Measure.ISSUED_VALUE,
)
_E = TypeVar("_E", Measure, Dimension)


@dataclass(frozen=True, slots=True)
class TimeBucket:
    label: str
    start: date
    end: date


@dataclass(frozen=True)
class Plan:
    """A checked query: what to read and how to shape it."""

    measures: tuple[Measure, ...]
    dimensions: tuple[Dimension, ...]
    first: date
    last: date
    #: filter name -> the values kept (only the filters given)
    filters: dict[str, tuple[str, ...]]
    sort: tuple[tuple[str, bool], ...]  # (column, descending)
    limit: int

    @property
    def time(self) -> Dimension | None:
        return next((d for d in self.dimensions if d in TIME), None)

    @property
    def location_level(self) -> bool:
        """Something needs the location grains (d, m): a dimension or a filter."""
        names = ("stage", "quality_state", "warehouse", "location_code")
        return any(d in LOCATION_LEVEL for d in self.dimensions) or any(
            name in self.filters for name in names
        )

    @property
    def partner_level(self) -> bool:
        """Something needs the movement kind or partner: a dimension or a filter."""
        return any(d in FLOW_ONLY for d in self.dimensions) or any(
            name in self.filters for name in ("kind", "supplier", "customer")
        )

    @property
    def by_item(self) -> bool:
        return Dimension.ITEM in self.dimensions

    @property
    def needs_units(self) -> bool:
        return not self.by_item and any(m in QUANTITIES for m in self.measures)

    @property
    def needs_catalog(self) -> bool:
        return (
            self.needs_units
            or any(d in (Dimension.CATEGORY, Dimension.ITEM_TYPE) for d in self.dimensions)
            or "category" in self.filters
            or "item_type" in self.filters
        )

    @property
    def groups_in_database(self) -> bool:
        """Flows grouped by the catalog's fields, not by item: PostgreSQL can sum them per
        group when given the items' fields (`run_report`)."""
        return self.needs_catalog and not self.by_item and any(m in FLOWS for m in self.measures)

    @property
    def rollable(self) -> bool:
        """The flow measures can be read from the rollups: nothing looks at single items
        or partners (usecases/rollups.py)."""
        return (
            any(m in FLOWS for m in self.measures)
            and not self.by_item
            and not any(d in (Dimension.SUPPLIER, Dimension.CUSTOMER) for d in self.dimensions)
            and not any(name in self.filters for name in ("item_code", "supplier", "customer"))
        )

    @property
    def needs_item(self) -> bool:
        """The rows read must keep the item apart."""
        return self.by_item or self.needs_catalog

    def buckets(self) -> list[TimeBucket]:
        return time_buckets(self.time, self.first, self.last)


# --- checking ----------------------------------------------------------------------------


def plan_query(query: ReportQuery, today: date, prefix: str = "body") -> Plan:
    """The query checked: every bad field named in one 422."""
    errors: list[FieldError] = []
    measures = _known(query.measures, Measure, f"{prefix}.measures", "measure", errors)
    dimensions = _known(query.dimensions, Dimension, f"{prefix}.dimensions", "dimension", errors)
    times = [i for i, d in enumerate(query.dimensions) if d in {t.value for t in TIME}]
    for index in times[1:]:
        errors.append(
            FieldError(
                f"{prefix}.dimensions.{index}",
                "at most one time dimension (day, week or month)",
                "second_time_dimension",
            )
        )
    stock = any(m in STOCK for m in measures)
    if stock:
        for index, name in enumerate(query.dimensions):
            if name in {d.value for d in FLOW_ONLY}:
                errors.append(_flow_only(f"{prefix}.dimensions.{index}", name))
        for name in ("kind", "supplier", "customer"):
            if getattr(query.filters, name):
                errors.append(_flow_only(f"{prefix}.filters.{name}", name))
    columns = set(query.measures) | set(query.dimensions)
    for index, key in enumerate(query.sort):
        if key.by not in columns:
            errors.append(
                FieldError(
                    f"{prefix}.sort.{index}.by",
                    "sort by a measure or dimension of the query",
                    "not_in_query",
                )
            )
    first, last = _dates(query, today, prefix, errors)
    if errors:
        raise InvalidInput(f"{len(errors)} field(s) of the query are not valid", errors=errors)
    return Plan(
        measures=tuple(measures),
        dimensions=tuple(dimensions),
        first=first,
        last=last,
        filters=_filters(query),
        sort=tuple((key.by, key.direction == "desc") for key in query.sort),
        limit=query.limit,
    )


def _known(
    names: Sequence[str], enum: type[_E], path: str, what: str, errors: list[FieldError]
) -> list[_E]:
    found: list[_E] = []
    allowed = ", ".join(e.value for e in enum)
    for index, name in enumerate(names):
        try:
            value = enum(name)
        except ValueError:
            errors.append(
                FieldError(
                    f"{path}.{index}", f"unknown {what}; one of: {allowed}", f"unknown_{what}"
                )
            )
            continue
        if value in found:
            errors.append(FieldError(f"{path}.{index}", f"{name} is listed twice", "duplicate"))
            continue
        found.append(value)
    return found


def _flow_only(path: str, name: str) -> FieldError:
    return FieldError(
        path,
        f"stock on hand (quantity, value) has no {name}; ask for flow measures only",
        "not_with_stock_measures",
    )


def _dates(
    query: ReportQuery, today: date, prefix: str, errors: list[FieldError]
) -> tuple[date, date]:
    last = query.filters.date_to or today
    first = query.filters.date_from or last.replace(day=1)
    if last > today:
        errors.append(
            FieldError(f"{prefix}.filters.date_to", "must not be in the future", "future")
        )
    if first > last:
        errors.append(
            FieldError(f"{prefix}.filters.date_from", "must not be after date_to", "after_end")
        )
    elif (last - first).days + 1 > MAX_DAYS:
        errors.append(
            FieldError(
                f"{prefix}.filters.date_from",
                f"the range is longer than {MAX_DAYS} days",
                "too_long",
            )
        )
    return first, last


def _filters(query: ReportQuery) -> dict[str, tuple[str, ...]]:
    found: dict[str, tuple[str, ...]] = {}
    for name in type(query.filters).model_fields:
        if name in ("date_from", "date_to"):
            continue
        values = getattr(query.filters, name)
        if values:
            found[name] = tuple(dict.fromkeys(str(v) for v in values))
    return found


def check_cost_roles(plan: Plan, principal: Principal, prefix: str = "body") -> None:
    """Value measures are for the roles that may see cost: 403 naming each one asked."""
    if principal.has_any(COST_ROLES):
        return
    errors = [
        FieldError(
            f"{prefix}.measures.{index}",
            f"{measure.value} needs one of the roles: {', '.join(sorted(COST_ROLES))}",
            "forbidden",
        )
        for index, measure in enumerate(plan.measures)
        if measure in VALUES
    ]
    if errors:
        raise Forbidden(f"{len(errors)} measure(s) may not be read by your role", errors=errors)


# --- time buckets ------------------------------------------------------------------------


def natural_start(time: Dimension | None, day: date) -> date:
    """The start of the (uncut) time bucket holding `day`."""
    if time is Dimension.MONTH:
        return month_of(day)
    if time is Dimension.WEEK:
        return day - timedelta(days=day.weekday())
    if time is Dimension.DAY:
        return day
    return date.min


def time_buckets(time: Dimension | None, first: date, last: date) -> list[TimeBucket]:
    """The buckets of `first` .. `last` in order, the first and last cut at the range."""
    if time is None:
        return [TimeBucket("", first, last)]
    found: list[TimeBucket] = []
    start = natural_start(time, first)
    while start <= last:
        if time is Dimension.MONTH:
            end = start.replace(day=days_in_month(start))
            label = start.strftime("%Y-%m")
        elif time is Dimension.WEEK:
            end = start + timedelta(days=6)
            year, week, _ = start.isocalendar()
            label = f"{year}-W{week:02d}"
        else:
            end, label = start, start.isoformat()
        found.append(TimeBucket(label, max(start, first), min(end, last)))
        if end >= last:
            break
        start = end + timedelta(days=1)
    return found
