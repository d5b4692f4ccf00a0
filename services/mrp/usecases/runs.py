"""MRP runs: read one snapshot, plan, store what the planning core answers.

Reading: the catalog's planning data in one call (items and every released BOM version at
one graph stamp), stock's availability snapshot (qualified in stores minus what
reservations hold, and stock pending inspection, all read at one moment) and MRP's own
open orders in one read transaction. Planning runs in a worker thread
(`domain.planning.plan`, pure). Storing: the run, its planned orders with their pegging,
exceptions, shortages and substitutions, in one transaction with bulk inserts.

What MRP plans for: open sales order lines (quantity - shipped), active forecasts (less
what sales order lines consume of them, `domain.forecasts`), and
the components still to go to open work orders (required - issued or consumed - what
their stock reservation still holds, dated on the order's start date). What it counts as
coming: open purchase order lines (quantity - received, on their due dates) and open
work orders (quantity - produced, on their due dates).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Select, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.mrp.clients import Availability, CatalogClient, PlanningData, StockClient
from services.mrp.db.models import (
    Forecast,
    MrpRun,
    PegRow,
    PlannedOrderRow,
    PurchaseOrder,
    PurchaseOrderLine,
    RunException,
    RunShortage,
    RunSubstitution,
    SalesOrder,
    SalesOrderLine,
    WorkOrder,
    WorkOrderComponent,
)
from services.mrp.domain.model import (
    ConsumptionWindow,
    Demand,
    DemandKind,
    PlanInput,
    PlanOptions,
    PlanResult,
    ScheduledReceipt,
    SupplyKind,
    WorkingCalendar,
)
from services.mrp.domain.planning import plan
from services.mrp.run_schemas import (
    ApprovalState,
    DemandShareOut,
    ExceptionOut,
    PegOut,
    PlannedOrderOut,
    RunCreate,
    RunMode,
    RunOut,
    RunSummary,
    ShortageOut,
    SubstitutionOut,
)
from services.mrp.schemas import ForecastStatus, OrderStatus
from services.mrp.usecases.pegging import demands_served, orders_serving
from services.mrp.usecases.work_orders import OPEN_STATUSES, component_held, component_open
from shared.db.database import Database
from shared.db.filters import one_of
from shared.db.paging import page_by_id, where_equal
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import FieldError, InvalidInput, NotFound
from shared.http.pagination import PageParams
from shared.schemas import plain

#: Rows per bulk INSERT statement when storing a run.
INSERT_CHUNK = 2000
#: Stored quantities keep 6 decimal places: orders round up, pegs to the nearest.
STEP = Decimal("0.000001")


def _up(value: Decimal) -> Decimal:
    return value.quantize(STEP, rounding=ROUND_CEILING)


def _near(value: Decimal) -> Decimal:
    return value.quantize(STEP, rounding=ROUND_HALF_UP)


def _today() -> date:
    return datetime.now(UTC).date()


async def read_orders(
    session: AsyncSession, ids: Mapping[str, int], *, receipts_only: bool = False
) -> tuple[list[Demand], list[ScheduledReceipt]]:
    """MRP's open demands and scheduled receipts of the items in `ids` (by code); with
    `receipts_only`, only the receipts, read for those items alone."""
    demands: list[Demand] = []
    receipts: list[ScheduledReceipt] = []
    if not receipts_only:
        await _read_demands(session, ids, demands)
    purchase_query = (
        select(
            PurchaseOrder.number,
            PurchaseOrderLine.line_no,
            PurchaseOrderLine.item_code,
            PurchaseOrderLine.quantity,
            PurchaseOrderLine.received_quantity,
            PurchaseOrderLine.due_date,
        )
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
        .where(PurchaseOrder.status == OrderStatus.OPEN.value)
        .where(PurchaseOrderLine.quantity > PurchaseOrderLine.received_quantity)
    )
    work_query = select(
        WorkOrder.number,
        WorkOrder.item_code,
        WorkOrder.quantity,
        WorkOrder.produced_quantity,
        WorkOrder.due_date,
    ).where(WorkOrder.status.in_(OPEN_STATUSES))
    if receipts_only:  # for those items alone; a run reads every open order anyway
        purchase_query = purchase_query.where(one_of(session, PurchaseOrderLine.item_code, ids))
        work_query = work_query.where(one_of(session, WorkOrder.item_code, ids))
    for number, line_no, item_code, ordered, received, due in await session.execute(purchase_query):
        if item_code in ids:
            receipts.append(
                ScheduledReceipt(
                    ref=f"{number}/{line_no}",
                    kind=SupplyKind.PURCHASE_ORDER,
                    item_id=ids[item_code],
                    quantity=ordered - received,
                    due=due,
                )
            )
    for number, item_code, ordered, produced, due in await session.execute(work_query):
        still = ordered - produced
        if still > 0 and item_code in ids:
            receipts.append(
                ScheduledReceipt(
                    ref=number,
                    kind=SupplyKind.WORK_ORDER,
                    item_id=ids[item_code],
                    quantity=still,
                    due=due,
                )
            )
    if not receipts_only:
        await _work_order_demands(session, ids, demands)
    return demands, receipts


async def _read_demands(
    session: AsyncSession, ids: Mapping[str, int], demands: list[Demand]
) -> None:
    sales = await session.execute(
        select(SalesOrderLine, SalesOrder.number)
        .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
        .where(SalesOrder.status == OrderStatus.OPEN.value)
        .where(SalesOrderLine.quantity > SalesOrderLine.shipped_quantity)
    )
    for line, number in sales:
        if line.item_code in ids:
            demands.append(
                Demand(
                    ref=f"{number}/{line.line_no}",
                    kind=DemandKind.SALES_ORDER,
                    item_id=ids[line.item_code],
                    quantity=line.quantity - line.shipped_quantity,
                    due=line.due_date,
                )
            )
    forecasts = await session.scalars(
        select(Forecast).where(Forecast.status == ForecastStatus.ACTIVE.value)
    )
    for forecast in forecasts:
        if forecast.item_code in ids:
            demands.append(
                Demand(
                    ref=forecast.number,
                    kind=DemandKind.FORECAST,
                    item_id=ids[forecast.item_code],
                    quantity=forecast.quantity,
                    due=forecast.due_date,
                )
            )


async def _work_order_demands(
    session: AsyncSession, ids: Mapping[str, int], demands: list[Demand]
) -> None:
    """Components still to go to open work orders, less what their reservations hold."""
    parts = await session.execute(
        select(WorkOrderComponent, WorkOrder.number, WorkOrder.start_date)
        .join(WorkOrder, WorkOrder.id == WorkOrderComponent.work_order_id)
        .where(WorkOrder.status.in_(OPEN_STATUSES))
    )
    for part, number, start in parts:
        need = component_open(part) - component_held(part)
        if need > 0 and part.item_code in ids:
            demands.append(
                Demand(
                    ref=f"{number}/{part.item_code}",
                    kind=DemandKind.WORK_ORDER,
                    item_id=ids[part.item_code],
                    quantity=need,
                    due=start,
                )
            )


def plan_input(
    planning: PlanningData,
    availability: Mapping[str, Availability],
    demands: Sequence[Demand],
    receipts: Sequence[ScheduledReceipt],
    options: PlanOptions,
) -> PlanInput:
    available: dict[int, Decimal] = {}
    pending: dict[int, Decimal] = {}
    for code, stock in availability.items():
        item_id = planning.ids.get(code)
        if item_id is None:
            continue
        available[item_id] = stock.available
        if stock.pending_inspection:
            pending[item_id] = stock.pending_inspection
    return PlanInput(
        items=planning.items,
        boms=planning.boms,
        available=available,
        pending_inspection=pending,
        scheduled_receipts=tuple(receipts),
        demands=tuple(demands),
        options=options,
    )


def _options(body: RunCreate, ids: Mapping[str, int], run_date: date) -> PlanOptions:
    chosen: frozenset[int] | None = None
    if body.mode is RunMode.NET_CHANGE:
        unknown = [
            FieldError(f"body.item_codes.{i}", f"no item {code!r} in the catalog", "not_found")
            for i, code in enumerate(body.item_codes)
            if code not in ids
        ]
        if unknown:
            raise InvalidInput("unknown items", errors=unknown)
        chosen = frozenset(ids[code] for code in body.item_codes)
    calendar = None
    if body.calendar is not None:
        calendar = WorkingCalendar(
            weekend=frozenset(body.calendar.weekend), holidays=frozenset(body.calendar.holidays)
        )
    consumption = body.forecast_consumption
    return PlanOptions(
        today=run_date,
        calendar=calendar,
        include_pending_inspection=body.include_pending_inspection,
        use_substitutes=body.use_substitutes,
        reschedule_out_days=body.reschedule_out_days,
        items=chosen,
        forecast_consumption=None
        if consumption is None
        else ConsumptionWindow(consumption.backward_days, consumption.forward_days),
    )


async def start_run(
    db: Database,
    uow: UnitOfWork,
    catalog: CatalogClient,
    stock: StockClient,
    body: RunCreate,
) -> RunOut:
    """Read the snapshot, plan, store. Nothing is stored when any step fails."""
    started = utcnow()
    clock = time.perf_counter()
    # the catalog and stock answer at the same time (two services, two processes), each
    # from one snapshot of its own
    planning, (availability, ledger_sequence) = await asyncio.gather(
        catalog.planning_data(), stock.availability_snapshot()
    )
    run_date = body.run_date or _today()
    options = _options(body, planning.ids, run_date)
    async with db.read() as session:
        demands, receipts = await read_orders(session, planning.ids)
    data = plan_input(planning, availability, demands, receipts, options)
    reading = time.perf_counter() - clock
    clock = time.perf_counter()
    result = await asyncio.to_thread(plan, data)
    planning_seconds = time.perf_counter() - clock
    clock = time.perf_counter()
    async with uow:
        run = MrpRun(
            number=f"MRP-tmp-{started.timestamp()}",
            mode=body.mode.value,
            status="completed",
            run_date=run_date,
            options=body.model_dump(mode="json"),
            summary={},
            catalog_stamp=planning.stamp,
            started_at=started,
            finished_at=started,
            created_by=uow.actor,
        )
        uow.session.add(run)
        await uow.session.flush()
        run.number = f"MRP-{run.id:08d}"
        await _store(uow.session, run.id, result, planning.codes)
        storing = time.perf_counter() - clock
        summary = _summary(
            result, data, planning, reading, planning_seconds, storing, ledger_sequence
        )
        run.summary = summary.model_dump(mode="json")
        run.finished_at = utcnow()
        await uow.session.flush()
        out = run_out(run)
        await uow.audit("run", "mrp_run", str(run.id), after=out)
        uow.emit("MrpRunCompleted", "mrp_run", str(run.id), out.model_dump(mode="json"))
        for short in result.shortages:  # one per item short: what integrators subscribe to
            uow.emit(
                "ShortageFound",
                "item",
                planning.codes[short.item_id],
                {
                    "run_id": run.id,
                    "run_number": run.number,
                    "item_code": planning.codes[short.item_id],
                    "first_short_on": short.first_short_on.isoformat(),
                    "quantity": plain(_up(short.quantity)),
                    "late_quantity": plain(_up(short.late_quantity)),
                },
            )
        await uow.commit()
    return out


def _summary(
    result: PlanResult,
    data: PlanInput,
    planning: PlanningData,
    reading: float,
    planning_seconds: float,
    storing: float,
    ledger_sequence: int,
) -> RunSummary:
    kinds = Counter(order.procurement.value for order in result.planned_orders)
    today = data.options.today
    return RunSummary(
        items_planned=len(result.planned_items),
        demands=sum(1 for demand in data.demands if demand.item_id in result.planned_items),
        scheduled_receipts=sum(
            1 for receipt in data.scheduled_receipts if receipt.item_id in result.planned_items
        ),
        planned_orders=len(result.planned_orders),
        planned_buy=kinds.get("buy", 0),
        planned_make=kinds.get("make", 0),
        pegs=sum(len(order.pegs) for order in result.planned_orders),
        exceptions=len(result.exceptions),
        shortages=len(result.shortages),
        late_planned_orders=sum(1 for o in result.planned_orders if o.release_date < today),
        substitutions=len(result.substitutions),
        bom_line_problems=[
            f"{p.item_code} BOM {p.bom_id}, component {p.component_code}: {p.problem}"
            for p in planning.problems
        ],
        seconds_reading=round(reading, 3),
        seconds_planning=round(planning_seconds, 3),
        seconds_storing=round(storing, 3),
        stock_ledger_sequence=ledger_sequence,
    )


async def _insert(
    session: AsyncSession, model: Any, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Bulk insert of plain tuples: COPY on PostgreSQL (a run stores hundreds of thousands
    of rows), executemany in chunks on SQLite."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        connection = await session.connection()
        raw = await connection.get_raw_connection()
        await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
            model.__tablename__, records=rows, columns=list(columns)
        )
        return
    table = model.__table__
    for start in range(0, len(rows), INSERT_CHUNK):
        chunk = rows[start : start + INSERT_CHUNK]
        await session.execute(
            insert(table), [dict(zip(columns, row, strict=True)) for row in chunk]
        )


ORDER_COLUMNS = (
    "run_id",
    "number",
    "item_id",
    "item_code",
    "procurement",
    "quantity",
    "release_date",
    "due_date",
    "bom_id",
    "low_level_code",
    "status",
    "firmed_as",
)
PEG_COLUMNS = (
    "run_id",
    "order_number",
    "position",
    "quantity",
    "demand_ref",
    "parent_number",
    "required_on",
    "safety_stock",
)


async def _store(
    session: AsyncSession, run_id: int, result: PlanResult, codes: Mapping[int, str]
) -> None:
    llc = result.low_level_codes
    orders = result.planned_orders
    await _insert(
        session,
        PlannedOrderRow,
        ORDER_COLUMNS,
        [
            (
                run_id,
                order.number,
                order.item_id,
                codes[order.item_id],
                order.procurement.value,
                _up(order.quantity),
                order.release_date,
                order.due_date,
                order.bom_id,
                llc.get(order.item_id, 0),
                "planned",
                "",
            )
            for order in orders
        ],
    )
    near = _near
    await _insert(
        session,
        PegRow,
        PEG_COLUMNS,
        [
            (
                run_id,
                order.number,
                position,
                quantity,
                peg.demand_ref,
                peg.parent_order,
                peg.required_on,
                peg.safety_stock,
            )
            for order in orders
            for position, peg in enumerate(order.pegs, start=1)
            if (quantity := near(peg.quantity)) > 0
        ],
    )
    await _insert(
        session,
        RunException,
        (
            "run_id",
            "kind",
            "item_code",
            "ref",
            "message",
            "quantity",
            "current_date",
            "suggested_date",
        ),
        [
            (
                run_id,
                exc.kind.value,
                codes.get(exc.item_id, str(exc.item_id)),
                exc.ref[:200],
                exc.message[:500],
                _near(exc.quantity),
                exc.current_date,
                exc.suggested_date,
            )
            for exc in result.exceptions
        ],
    )
    await _insert(
        session,
        RunShortage,
        ("run_id", "item_code", "first_short_on", "quantity", "late_quantity"),
        [
            (
                run_id,
                codes[short.item_id],
                short.first_short_on,
                _up(short.quantity),
                _up(short.late_quantity),
            )
            for short in result.shortages
        ],
    )
    await _insert(
        session,
        RunSubstitution,
        (
            "run_id",
            "primary_code",
            "substitute_code",
            "primary_quantity",
            "substitute_quantity",
            "required_on",
            "demand_ref",
            "parent_number",
        ),
        [
            (
                run_id,
                codes[sub.primary_id],
                codes[sub.substitute_id],
                _near(sub.primary_quantity),
                _up(sub.substitute_quantity),
                sub.required_on,
                sub.demand_ref,
                sub.parent_order,
            )
            for sub in result.substitutions
        ],
    )


# --- reading runs ----------------------------------------------------------------------


def run_out(run: MrpRun) -> RunOut:
    return RunOut(
        id=run.id,
        number=run.number,
        mode=RunMode(run.mode),
        status=run.status,
        run_date=run.run_date,
        options=RunCreate.model_validate(run.options),
        summary=RunSummary.model_validate(run.summary),
        catalog_stamp=run.catalog_stamp,
        started_at=run.started_at,
        finished_at=run.finished_at,
        created_by=run.created_by,
    )


async def get_run(session: AsyncSession, run_id: int) -> RunOut:
    run = await session.get(MrpRun, run_id)
    if run is None:
        raise NotFound(f"no MRP run {run_id}")
    return run_out(run)


async def list_runs(session: AsyncSession, page: PageParams) -> tuple[list[RunOut], str | None]:
    rows, cursor = await page_by_id(session, select(MrpRun), MrpRun.id, page)
    return [run_out(row) for row in rows], cursor


def planned_order_out(
    row: PlannedOrderRow, pegs: Iterable[PegRow], served: Mapping[str | None, Decimal]
) -> PlannedOrderOut:
    return PlannedOrderOut(
        id=row.id,
        run_id=row.run_id,
        number=row.number,
        item_code=row.item_code,
        procurement=row.procurement,
        quantity=row.quantity,
        release_date=row.release_date,
        due_date=row.due_date,
        bom_id=row.bom_id,
        low_level_code=row.low_level_code,
        status=row.status,
        firmed_as=row.firmed_as,
        approval=ApprovalState(row.approval),
        approval_ref=row.approval_ref,
        pegs=[
            PegOut(
                quantity=peg.quantity,
                demand_ref=peg.demand_ref,
                parent_order=peg.parent_number,
                required_on=peg.required_on,
                safety_stock=peg.safety_stock,
            )
            for peg in sorted(pegs, key=lambda peg: peg.position)
        ],
        demands=[
            DemandShareOut(demand_ref=ref, quantity=quantity)
            for ref, quantity in sorted(served.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))
        ],
    )


async def planned_order_outs(
    session: AsyncSession, rows: Sequence[PlannedOrderRow]
) -> list[PlannedOrderOut]:
    """Answers for planned orders of one run, their pegs and the demands they serve."""
    if not rows:
        return []
    run_id = rows[0].run_id
    numbers = [row.number for row in rows]
    pegs: dict[int, list[PegRow]] = {number: [] for number in numbers}
    for peg in await session.scalars(
        select(PegRow).where(PegRow.run_id == run_id, PegRow.order_number.in_(numbers))
    ):
        pegs[peg.order_number].append(peg)
    served = await demands_served(session, run_id, numbers)
    return [planned_order_out(row, pegs[row.number], served[row.number]) for row in rows]


async def _require_run(session: AsyncSession, run_id: int) -> None:
    if await session.get(MrpRun, run_id) is None:
        raise NotFound(f"no MRP run {run_id}")


async def list_planned_orders(
    session: AsyncSession,
    run_id: int,
    page: PageParams,
    *,
    item_code: str | None,
    procurement: str | None,
    demand_ref: str | None,
    status: str | None,
) -> tuple[list[PlannedOrderOut], str | None]:
    await _require_run(session, run_id)
    query: Select[Any] = where_equal(
        select(PlannedOrderRow).where(PlannedOrderRow.run_id == run_id),
        {
            PlannedOrderRow.item_code: item_code,
            PlannedOrderRow.procurement: procurement,
            PlannedOrderRow.status: status,
        },
    )
    if demand_ref:
        serving = await orders_serving(session, run_id, demand_ref)
        query = query.where(PlannedOrderRow.number.in_(sorted(serving)))
    rows, cursor = await page_by_id(session, query, PlannedOrderRow.id, page)
    return await planned_order_outs(session, rows), cursor


async def get_planned_order(session: AsyncSession, order_id: int) -> PlannedOrderOut:
    row = await session.get(PlannedOrderRow, order_id)
    if row is None:
        raise NotFound(f"no planned order {order_id}")
    return (await planned_order_outs(session, [row]))[0]


async def list_exceptions(
    session: AsyncSession, run_id: int, page: PageParams, *, kind: str | None, item_code: str | None
) -> tuple[list[ExceptionOut], str | None]:
    await _require_run(session, run_id)
    query: Select[Any] = where_equal(
        select(RunException).where(RunException.run_id == run_id),
        {RunException.kind: kind, RunException.item_code: item_code},
    )
    rows, cursor = await page_by_id(session, query, RunException.id, page)
    return [
        ExceptionOut(
            kind=row.kind,
            item_code=row.item_code,
            ref=row.ref,
            message=row.message,
            quantity=row.quantity,
            current_date=row.current_date,
            suggested_date=row.suggested_date,
        )
        for row in rows
    ], cursor


async def list_shortages(
    session: AsyncSession, run_id: int, page: PageParams, *, item_code: str | None
) -> tuple[list[ShortageOut], str | None]:
    await _require_run(session, run_id)
    query: Select[Any] = where_equal(
        select(RunShortage).where(RunShortage.run_id == run_id), {RunShortage.item_code: item_code}
    )
    rows, cursor = await page_by_id(session, query, RunShortage.id, page)
    return [
        ShortageOut(
            item_code=row.item_code,
            first_short_on=row.first_short_on,
            quantity=row.quantity,
            late_quantity=row.late_quantity,
        )
        for row in rows
    ], cursor


async def list_substitutions(
    session: AsyncSession, run_id: int, page: PageParams
) -> tuple[list[SubstitutionOut], str | None]:
    await _require_run(session, run_id)
    query = select(RunSubstitution).where(RunSubstitution.run_id == run_id)
    rows, cursor = await page_by_id(session, query, RunSubstitution.id, page)
    return [
        SubstitutionOut(
            primary_code=row.primary_code,
            substitute_code=row.substitute_code,
            primary_quantity=row.primary_quantity,
            substitute_quantity=row.substitute_quantity,
            required_on=row.required_on,
            demand_ref=row.demand_ref,
            parent_order=row.parent_number,
        )
        for row in rows
    ], cursor
