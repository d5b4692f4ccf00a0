"""Inventory health at a glance (`/v1/reports/inventory-health`): the stock value by stage,
the items whose availability is below their safety stock, the dead-stock top N and the
value aged over a limit, all read in one snapshot; and a workbook of it that a message can
link to.

Each part is the built-in report it summarizes (stock value, availability, dead stock,
aging), so the digest ties out with them. The workbook is kept in `report_files` behind
an unguessable token for `FILE_DAYS` days: `GET /v1/report-files/{token}` answers it
without credentials, because the people a DingTalk or WeCom group message reaches open it
in a browser that holds no token. Whoever has the link can read the file until it
expires; expired files are deleted when the next one is made.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import xlsxwriter
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.clients import CatalogClient, CatalogItem
from services.stock.db.models import ReportFile
from services.stock.health_schemas import (
    BelowSafetyItem,
    BelowSafetyStock,
    HealthAged,
    HealthDeadStock,
    HealthStockValue,
    InventoryHealth,
    ReportFileOut,
    StageValue,
)
from services.stock.report_schemas import AgingReport, DeadStockReport
from services.stock.stock_value_schemas import StockValueReport
from services.stock.usecases import aggregation
from services.stock.usecases.aging import DEFAULT_LIMITS, AgedStock, AgingGroup, aging, read_stock
from services.stock.usecases.report_export import write_cell, write_table
from services.stock.usecases.reports import StockScope, dead_stock
from services.stock.usecases.reservations import availability
from services.stock.usecases.stock_value import (
    StockAtDay,
    StockValueGroup,
    read_stock_value,
    stock_value,
)
from shared.db.database import Database
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import NotFound
from shared.spreadsheet_files import XLSX_MEDIA_TYPE

#: How long a workbook's link works.
FILE_DAYS = 7
_CENT = Decimal("0.01")
_HUNDRED = Decimal(100)
_EVERYTHING = StockScope()


@dataclass(frozen=True, slots=True)
class HealthRequest:
    idle_days: int = 90
    aged_days: int = 180
    top: int = 10


@dataclass(frozen=True, slots=True)
class _Read:
    """What one snapshot gave."""

    at_day: StockAtDay
    dead: DeadStockReport
    aged: AgedStock
    available: dict[str, Decimal]


def _percent(part: Decimal, whole: Decimal) -> Decimal:
    return (part * _HUNDRED / whole).quantize(_CENT)


async def inventory_health(
    db: Database, catalog: CatalogClient, request: HealthRequest
) -> tuple[InventoryHealth, AgingReport]:
    """The health check now, and the aging report (by stage) its aged value comes from."""
    now = utcnow()
    # the catalog first, outside the snapshot: which items have a safety stock
    safety = await catalog.safety_stocks()
    await aggregation.catch_up(db)  # every posting so far in the month-end closings
    async with db.snapshot() as session:
        read = await _read(session, now, request, list(safety))
    limits = sorted({*DEFAULT_LIMITS, request.aged_days})
    values = await stock_value(read.at_day, catalog, group_by=StockValueGroup.STAGE)
    ages = await aging(read.aged, catalog, limits=limits, group_by=AgingGroup.STAGE)
    total = values.total_value or Decimal(0)
    aged_value = sum(
        (
            cell.value or Decimal(0)
            for band, cell in zip(ages.buckets, ages.totals, strict=True)
            if band.min_days > request.aged_days
        ),
        Decimal(0),
    )
    health = InventoryHealth(
        as_of=now,
        stock_value=_stock_value(values),
        below_safety_stock=_below_safety(safety, read.available, request.top),
        dead_stock=HealthDeadStock(
            idle_days=request.idle_days,
            total_items=read.dead.total_items,
            total_value=read.dead.total_value,
            top=read.dead.items,
        ),
        aged=HealthAged(
            older_than_days=request.aged_days,
            value=aged_value,
            share_percent=_percent(aged_value, total) if total else None,
        ),
    )
    return health, ages


async def _read(
    session: AsyncSession, now: datetime, request: HealthRequest, codes: list[str]
) -> _Read:
    day = now.astimezone(UTC).date()
    return _Read(
        at_day=await read_stock_value(session, day=day, scope=_EVERYTHING, quality_state=None),
        dead=await dead_stock(
            session, idle_days=request.idle_days, limit=request.top, scope=_EVERYTHING
        ),
        aged=await read_stock(session, as_of=None, now=now, scope=_EVERYTHING, quality_state=None),
        available={
            code: row.available for code, row in (await availability(session, codes, None)).items()
        },
    )


def _stock_value(report: StockValueReport) -> HealthStockValue:
    return HealthStockValue(
        as_of_date=report.as_of_date,
        total_value=report.total_value,
        stages=[StageValue.model_validate({"stage": r.key, "value": r.value}) for r in report.rows],
    )


def _below_safety(
    safety: dict[str, tuple[CatalogItem, Decimal]], available: dict[str, Decimal], top: int
) -> BelowSafetyStock:
    short = []
    for code, (item, safety_stock) in safety.items():
        have = available.get(code, Decimal(0))
        if have < safety_stock:
            shortage = safety_stock - have
            short.append(
                BelowSafetyItem(
                    item_code=code,
                    item_name=item.name,
                    uom=item.uom,
                    safety_stock=safety_stock,
                    available=have,
                    shortage=shortage,
                    shortage_percent=_percent(shortage, safety_stock),
                )
            )
    short.sort(key=lambda row: (-row.shortage_percent, row.item_code))
    return BelowSafetyStock(count=len(short), items=short[:top])


# --- the workbook ----------------------------------------------------------------------


def to_xlsx(health: InventoryHealth, ages: AgingReport) -> bytes:
    """Four sheets: Summary (with a chart of the value by stage), Below safety stock, Dead
    stock (with a chart of the top's values) and Aging (by stage and band, with a chart)."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})
    money = book.add_format({"num_format": "#,##0.00"})
    _summary(book, bold, money, health)
    write_table(
        book.add_worksheet("Below safety stock"),
        bold,
        ["Item", "Name", "Unit", "Safety stock", "Available", "Shortage", "Shortage %"],
        [
            [
                r.item_code,
                r.item_name,
                r.uom,
                r.safety_stock,
                r.available,
                r.shortage,
                r.shortage_percent,
            ]
            for r in health.below_safety_stock.items
        ],
    )
    dead = book.add_worksheet("Dead stock")
    write_table(
        dead,
        bold,
        ["Item", "Quantity", "Value", "Idle days", "Last issue", "Last movement", "Locations"],
        [
            [
                r.item_code,
                r.quantity,
                r.value,
                r.idle_days,
                r.last_issue_at.date().isoformat() if r.last_issue_at else "",
                r.last_movement_at.date().isoformat(),
                ", ".join(r.locations),
            ]
            for r in health.dead_stock.top
        ],
    )
    if health.dead_stock.top:
        _chart(
            book,
            dead,
            "bar",
            "Dead stock by value",
            "Dead stock",
            0,
            2,
            len(health.dead_stock.top),
            anchor="I2",
        )
    sheet = book.add_worksheet("Aging")
    write_table(
        sheet,
        bold,
        ["Stage", *(b.label for b in ages.buckets), "Total"],
        [[row.key or "-", *(cell.value for cell in row.buckets), row.value] for row in ages.rows]
        + [["Total", *(cell.value for cell in ages.totals), ages.total_value]],
    )
    if ages.rows:
        chart = book.add_chart({"type": "column", "subtype": "stacked"})
        last = len(ages.rows)
        for index in range(len(ages.rows)):
            chart.add_series(
                {
                    "name": ["Aging", index + 1, 0],
                    "categories": ["Aging", 0, 1, 0, len(ages.buckets)],
                    "values": ["Aging", index + 1, 1, index + 1, len(ages.buckets)],
                }
            )
        chart.set_title({"name": "Stock value by age (days)"})
        sheet.insert_chart(last + 3, 0, chart)
    book.close()
    return buffer.getvalue()


def _summary(book: Any, bold: Any, money: Any, health: InventoryHealth) -> None:
    sheet = book.add_worksheet("Summary")
    sheet.set_column(0, 0, 34)
    sheet.set_column(1, 1, 18)
    value, dead, aged = health.stock_value, health.dead_stock, health.aged
    lines: list[tuple[str, Any]] = [
        ("Inventory health", health.as_of.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("Stock value", value.total_value),
        ("Items below safety stock", health.below_safety_stock.count),
        (f"Dead stock items (no issue for {dead.idle_days} days)", dead.total_items),
        ("Dead stock value", dead.total_value),
        (f"Value aged over {aged.older_than_days} days", aged.value),
        ("Aged share of stock value (%)", aged.share_percent),
        ("", None),
        ("Stock value by stage", None),
    ]
    lines += [(row.stage.value, row.value) for row in value.stages]
    for index, (label, cell) in enumerate(lines):
        sheet.write_string(index, 0, label, bold if index in (0, 8) else None)
        write_cell(sheet, index, 1, cell, money)
    if value.stages:
        first = 9
        _chart(
            book,
            sheet,
            "pie",
            "Stock value by stage",
            "Summary",
            first,
            1,
            len(value.stages),
            anchor="D2",
            label_col=0,
        )


def _chart(
    book: Any,
    sheet: Any,
    kind: str,
    title: str,
    name: str,
    first_row: int,
    value_col: int,
    rows: int,
    *,
    anchor: str,
    label_col: int = 0,
) -> None:
    """A chart of `rows` values in `value_col` from `first_row`, labelled by `label_col`
    (for a table with a header row, `first_row` 0 means the rows below the header)."""
    start = first_row if first_row else 1
    chart = book.add_chart({"type": kind})
    chart.add_series(
        {
            "name": title,
            "categories": [name, start, label_col, start + rows - 1, label_col],
            "values": [name, start, value_col, start + rows - 1, value_col],
        }
    )
    chart.set_title({"name": title})
    chart.set_legend({"none": kind != "pie"})
    sheet.insert_chart(anchor, chart)


# --- keeping the workbook ---------------------------------------------------------------


async def keep_file(
    uow: UnitOfWork, content: bytes, *, made_at: datetime, actor: str
) -> ReportFileOut:
    """Keep `content` for `FILE_DAYS` behind a new token; drop the expired ones."""
    async with uow:
        session = uow.session
        await session.execute(delete(ReportFile).where(ReportFile.expires_at < made_at))
        token = secrets.token_urlsafe(32)
        filename = f"inventory-health-{made_at.astimezone(UTC):%Y-%m-%d}.xlsx"
        row = ReportFile(
            token=token,
            filename=filename,
            media_type=XLSX_MEDIA_TYPE,
            content=content,
            created_at=made_at,
            created_by=actor,
            expires_at=made_at + timedelta(days=FILE_DAYS),
        )
        session.add(row)
        await uow.commit()
    return ReportFileOut(
        url=f"/v1/report-files/{token}", filename=filename, expires_at=row.expires_at
    )


async def read_file(session: AsyncSession, token: str) -> ReportFile:
    """The kept file behind `token`; 404 when there is none or it expired."""
    row = await session.scalar(select(ReportFile).where(ReportFile.token == token))
    if row is None or row.expires_at <= utcnow():
        raise NotFound("no such report file, or its link expired")
    return row
