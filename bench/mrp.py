"""MRP benchmarks (issue #5), through the gateway, with catalog, stock and MRP on PostgreSQL.

    make bench                      # runs this after the gateway, catalog and stock benchmarks
    .venv/bin/python bench/mrp.py [--items 20000] [--lines 100000] [--levels 8] [--tops 500]
                                  [--demand-lines 5000] [--runs 3] [--components 2000]
                                  [--events 2000] [--workers 16]
                                  [--only run,material,completions]

Starts the stack the way `make run` does, except that the catalog's, stock's and MRP's
databases are fresh PostgreSQL databases (dropped afterwards; `BENCH_POSTGRES_URL`,
default postgresql+asyncpg://postgres@127.0.0.1:5432) and the gateway's upstream read
timeout is 300 s (so a slow run is measured, not cut at 30 s). Every request goes through
the gateway with an admin API key. Then it measures:

* run: a regenerative MRP run (`POST /v1/mrp-runs` with the run date) over 20,000 items,
  100,000 released BOM lines 8 levels deep and 5,000 sales order lines, 3 times; target
  under 10 s end to end (wall time of the request, judged on the median; the first run is
  also the first after the BOMs were released). Each run's `seconds_reading`,
  `seconds_planning` (the planning core alone) and `seconds_storing` are reported, with
  what it produced (planned orders, pegs, exceptions, shortages).
* material: `GET /v1/work-orders/{id}/material-check` of a released work order for a
  product with 2,000 distinct components over 3 levels (half of its raw parts in stock,
  some with open purchase orders), 20 times after 2 warm-ups; target p95 under 300 ms.
* completions: MES completions (`POST /v1/work-orders/{id}/completions`, backflushed:
  each event produces one unit and consumes one of each of 3 untracked components from
  the line) over 16 released work orders, from 16 concurrent workers (asyncio + httpx),
  2,000 events after a 100-event warm-up; target >= 200 events/s. Then 10 % of the
  events are sent again (same bodies): each must answer 201 with `Idempotent-Replayed:
  true` and the first answer's body. Last, nothing lost or doubled: per work order,
  `produced_quantity` is its number of distinct events, its completions list names each
  event once, and stock has exactly one production receipt per event (by the event id
  in the receipt's note), checked again after MRP has read stock's feed.

The data of the run (all generated, deterministic for a given tag):

* items, from one .xlsx (`POST /v1/imports/items`) with procurement, lead time and lot
  sizing columns: `--tops` (500) finished goods and as many sub-assemblies on each of the
  levels 1 to 7 (make, lot-for-lot, lead time 1-3 days), the rest (16,000) bought raw
  materials (lead time 5-24 days, minimum order quantity 500-5,000 in multiples of
  100-1,000, every 10th with a safety stock of 100);
* BOMs, imported and released one parent-child sheet per level, deepest first
  (`POST /v1/imports/boms?release=true`: 150 s here, against 275 s creating and
  releasing each through `/v1/boms` 4 at a time): the make item j of level k uses make
  item j of level k+1 (quantity 1; every product is a chain of 8 levels, every
  sub-assembly has one parent) and raw materials (quantity 1-4, every 5th line with
  2 % scrap), up to `--lines` lines in all; the deepest level uses raw materials only;
* stock: one opening balance upload (`POST /v1/opening-balances`, qualified) of 5,000
  raw materials (1,000-10,000 each) and every 5th finished good (20 each);
* demands: 10 sales orders of 500 lines on the finished goods (5-100 each), due over 90
  days from 30 days after the run date (an import releases BOMs effective today, so
  the demands leave room for the 8 levels of make lead times: no make order is released
  before the run date); 1,000 open purchase order lines on raw materials (10 orders of
  100 lines), due 3 to 62 days after it.

Pegging is single-level (a component order is pegged to the parent orders it serves,
the demands above are found by walking up), so the output grows with the planned
orders, not with orders x demands.
The material check and the completions use items of their own; when the run's section
ran before them, MRP also holds its 5,000 sales order lines and 1,000 purchase order
lines (as it would in production).

Everything runs on this machine: the load generator, the gateway, the six services and
PostgreSQL share its cores (2 on the reference machine), so the figures are those of a
whole installation on one small box. Results go to bench/results/mrp-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import itertools
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from openpyxl import Workbook

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bench.common import (  # noqa: E402
    CpuMeter,
    Load,
    api_key,
    fmt_cpu,
    hammer,
    pg_execute,
    rank,
    report_verdicts,
)
from tools.machine import machine  # noqa: E402
from tools.run import Stack, start_stack  # noqa: E402

RESULTS_DIR = REPO_ROOT / "bench" / "results"
TARGETS = {"run_s": 10.0, "material_check_ms": 300.0, "completions_per_s": 200.0}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: The services whose databases the benchmark puts on PostgreSQL.
ON_POSTGRES = ("catalog", "stock", "mrp")
SECTIONS = ("run", "material", "completions")


# --------------------------------------------------------------------------- figures


def summary(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(rank(ordered, 95), 1),
        "p99_ms": round(rank(ordered, 99), 1),
        "max_ms": round(ordered[-1], 1),
        "min_ms": round(ordered[0], 1),
        "count": len(ordered),
    }


# --------------------------------------------------------------------------- HTTP


def expect(response: httpx.Response, status: int, what: str) -> Any:
    if response.status_code != status:
        raise SystemExit(f"{what}: {response.status_code} {response.text[:2000]}")
    return response.json()


@dataclass(frozen=True, slots=True)
class ItemRow:
    code: str
    item_type: str  # 原材料 / 半成品 / 成品
    procurement: str  # buy / make
    lead_time_days: int
    lot_policy: str = "lot_for_lot"
    moq: int | None = None
    multiple: int | None = None
    safety_stock: int | None = None


def items_workbook(rows: list[ItemRow]) -> bytes:
    """An .xlsx with the headers ERP exports have, planning columns included."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("物料")
    sheet.append(
        [
            "物料编码",
            "名称",
            "规格型号",
            "单位",
            "物料类型",
            "Procurement",
            "Lead Time Days",
            "Lot Sizing",
            "MOQ",
            "Order Multiple",
            "Safety Stock",
        ]
    )
    for row in rows:
        sheet.append(
            [
                row.code,
                f"Bench {row.code}",
                "",
                "pcs",
                row.item_type,
                row.procurement,
                row.lead_time_days,
                row.lot_policy,
                row.moq,
                row.multiple,
                row.safety_stock,
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def import_items(client: httpx.AsyncClient, rows: list[ItemRow]) -> float:
    started = time.perf_counter()
    response = await client.post(
        "/v1/imports/items",
        params={"dry_run": "false"},
        files={"file": ("items.xlsx", items_workbook(rows), XLSX)},
        timeout=600,
    )
    if response.status_code not in (200, 201):
        raise SystemExit(f"item import failed: {response.status_code} {response.text[:2000]}")
    return time.perf_counter() - started


def opening_workbook(rows: list[tuple[str, str, int]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("期初库存")
    sheet.append(["物料编码", "库位", "数量", "单价"])
    for item, location, quantity in rows:
        sheet.append([item, location, quantity, 0.05])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def opening_balance(client: httpx.AsyncClient, rows: list[tuple[str, str, int]]) -> float:
    started = time.perf_counter()
    response = await client.post(
        "/v1/opening-balances",
        params={"dry_run": "false"},
        files={"file": ("opening.xlsx", opening_workbook(rows), XLSX)},
        data={"note": "bench opening stock"},
        timeout=600,
    )
    expect(response, 201, "opening balance")
    return time.perf_counter() - started


async def create_location(client: httpx.AsyncClient, code: str, location_type: str) -> None:
    body = {"code": code, "name": f"Bench {code}", "location_type": location_type}
    expect(await client.post("/v1/locations", json=body), 201, f"location {code}")


def boms_workbook(boms: list[tuple[str, list[dict[str, str]]]]) -> bytes:
    """A parent-child BOM sheet, one row per line, as ERP exports have it."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("BOM")
    sheet.append(["父项编码", "子项编码", "用量", "损耗率"])
    for parent, lines in boms:
        for line in lines:
            sheet.append(
                [parent, line["component_code"], line["quantity"], line.get("scrap_percent")]
            )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def import_boms(
    client: httpx.AsyncClient, levels: list[list[tuple[str, list[dict[str, str]]]]], label: str
) -> float:
    """Import and release the BOMs of `levels` (index 0 = top), one sheet per level,
    deepest level first (`POST /v1/imports/boms?release=true`: effective today)."""
    started = time.perf_counter()
    for depth in range(len(levels) - 1, -1, -1):
        level_started = time.perf_counter()
        response = await client.post(
            "/v1/imports/boms",
            params={"dry_run": "false", "shape": "parent_child", "release": "true"},
            files={"file": ("boms.xlsx", boms_workbook(levels[depth]), XLSX)},
            timeout=600,
        )
        created = expect(response, 201, f"BOM import of level {depth}")["created"]
        refused = [bom["item_code"] for bom in created if bom["status"] != "released"]
        if len(created) != len(levels[depth]) or refused:
            raise SystemExit(f"BOM import of level {depth}: not released: {refused[:5]}")
        if len(levels) > 1:
            print(
                f"  {label} level {depth}: {len(created)} BOMs imported and released in "
                f"{time.perf_counter() - level_started:.1f} s",
                flush=True,
            )
    return time.perf_counter() - started


async def gather_limited(jobs: Sequence[Callable[[], Awaitable[Any]]], workers: int) -> list[Any]:
    """Run `jobs` with at most `workers` at a time; results in job order."""
    results: list[Any] = [None] * len(jobs)
    counter = itertools.count()

    async def worker() -> None:
        while (n := next(counter)) < len(jobs):
            results[n] = await jobs[n]()

    await asyncio.gather(*(worker() for _ in range(min(workers, len(jobs)))))
    return results


async def create_orders(
    client: httpx.AsyncClient, path: str, bodies: list[dict[str, Any]], workers: int
) -> float:
    started = time.perf_counter()
    jobs = [partial(_post_order, client, path, body) for body in bodies]
    await gather_limited(jobs, workers)
    return time.perf_counter() - started


async def _post_order(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> Any:
    return expect(await client.post(path, json=body, timeout=300), 201, f"POST {path}")


async def pages(client: httpx.AsyncClient, path: str, params: dict[str, Any]) -> list[Any]:
    """Every item of a cursor-paged list."""
    found: list[Any] = []
    cursor: str | None = None
    while True:
        query = {**params, "limit": 500, **({"cursor": cursor} if cursor else {})}
        page = expect(await client.get(path, params=query, timeout=120), 200, f"GET {path}")
        found.extend(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return found


# --------------------------------------------------------------------------- 1. the run


@dataclass
class Plant:
    """The generated data of the MRP run."""

    makes: list[list[str]]  # makes[level][j], level 0 = finished goods
    raws: list[str]
    items: list[ItemRow]
    boms: list[list[tuple[str, list[dict[str, str]]]]]  # per level: (parent, lines)
    line_count: int


def raw_row(code: str, r: int) -> ItemRow:
    moq = (500, 1000, 2000, 5000)[r % 4]
    return ItemRow(
        code,
        "原材料",
        "buy",
        lead_time_days=5 + r % 20,
        lot_policy="minimum",
        moq=moq,
        multiple=(100, 500, 1000)[r % 3] if moq >= 1000 else 100,
        safety_stock=100 if r % 10 == 0 else None,
    )


def plant(args: argparse.Namespace, tag: str) -> Plant:
    levels, tops = args.levels, args.tops
    make_count = levels * tops
    raw_count = args.items - make_count
    if raw_count < 50:
        raise SystemExit(f"--items {args.items} leaves {raw_count} raw materials: too few")
    makes = [[f"MA-{tag}-L{k}-{j:04d}" for j in range(tops)] for k in range(levels)]
    raws = [f"MR-{tag}-{r:06d}" for r in range(raw_count)]
    items = [
        ItemRow(code, "成品" if k == 0 else "半成品", "make", lead_time_days=1 + (j + k) % 3)
        for k, level in enumerate(makes)
        for j, code in enumerate(level)
    ] + [raw_row(code, r) for r, code in enumerate(raws)]
    per_bom, extra = divmod(args.lines, make_count)
    if per_bom < 2:
        raise SystemExit(f"--lines {args.lines} gives fewer than 2 lines per BOM")
    # A stride coprime with the number of raw materials spreads each BOM's parts apart.
    stride = next(s for s in range(7, raw_count) if _coprime(s, raw_count))
    cursor = 0
    boms: list[list[tuple[str, list[dict[str, str]]]]] = []
    total = 0
    for k in range(levels):
        level_boms = []
        for j, parent in enumerate(makes[k]):
            take = per_bom + (1 if extra > 0 else 0)
            extra -= 1 if extra > 0 else 0
            lines: list[dict[str, str]] = []
            if k + 1 < levels:
                lines.append({"component_code": makes[k + 1][j], "quantity": "1"})
            used: set[str] = set()
            while len(lines) < take:
                code = raws[(cursor * stride) % raw_count]
                cursor += 1
                if code in used:
                    continue
                used.add(code)
                line = {"component_code": code, "quantity": str(1 + cursor % 4)}
                if cursor % 5 == 0:
                    line["scrap_percent"] = "2"
                lines.append(line)
            total += len(lines)
            level_boms.append((parent, lines))
        boms.append(level_boms)
    return Plant(makes=makes, raws=raws, items=items, boms=boms, line_count=total)


def _coprime(a: int, b: int) -> bool:
    while b:
        a, b = b, a % b
    return a == 1


async def set_up_run(
    client: httpx.AsyncClient, args: argparse.Namespace, tag: str, run_date: date
) -> dict[str, Any]:
    data = plant(args, tag)
    setup: dict[str, Any] = {
        "items": len(data.items),
        "make_items": sum(len(level) for level in data.makes),
        "raw_materials": len(data.raws),
        "bom_lines": data.line_count,
        "levels": args.levels,
    }
    seconds = await import_items(client, data.items)
    setup["item_import_s"] = round(seconds, 1)
    print(f"setup: {len(data.items)} items imported in {seconds:.1f} s", flush=True)
    seconds = await import_boms(client, data.boms, "run")
    setup["bom_release_s"] = round(seconds, 1)
    print(
        f"setup: {setup['make_items']} BOMs ({data.line_count} lines, {args.levels} levels) "
        f"released in {seconds:.1f} s",
        flush=True,
    )
    store = f"M{tag}/STORE"
    await create_location(client, store, "storage")
    stocked = min(args.stocked, len(data.raws))
    rows = [
        (data.raws[i * len(data.raws) // stocked], store, 1000 * (1 + i % 10))
        for i in range(stocked)
    ]
    rows += [(code, store, 20) for j, code in enumerate(data.makes[0]) if j % 5 == 0]
    seconds = await opening_balance(client, rows)
    setup["opening_balance_rows"] = len(rows)
    setup["opening_balance_s"] = round(seconds, 1)
    print(f"setup: opening balance of {len(rows)} rows posted in {seconds:.1f} s", flush=True)
    per_order = -(-args.demand_lines // args.sales_orders)
    tops = data.makes[0]
    # The BOMs are effective from today: the first due date leaves room for the longest
    # chain of make lead times (3 days a level), so no make order is released before today.
    first_due = 3 * args.levels + 6
    sales = []
    for s in range(args.sales_orders):
        lines = []
        for n in range(s * per_order, min(args.demand_lines, (s + 1) * per_order)):
            due = run_date + timedelta(days=first_due + (n * 37) % 90)
            lines.append(
                {
                    "item_code": tops[n % len(tops)],
                    "quantity": str(5 * (1 + n % 20)),
                    "due_date": due.isoformat(),
                }
            )
        sales.append({"customer": f"Customer {s % 4}", "lines": lines})
    seconds = await create_orders(client, "/v1/sales-orders", sales, args.setup_workers)
    setup["sales_orders"] = len(sales)
    setup["sales_order_lines"] = args.demand_lines
    print(
        f"setup: {len(sales)} sales orders ({args.demand_lines} lines) in {seconds:.1f} s",
        flush=True,
    )
    po_count = max(1, -(-args.po_lines // 100))
    purchases = []
    for p in range(po_count):
        lines = []
        for i in range(p * 100, min(args.po_lines, (p + 1) * 100)):
            lines.append(
                {
                    "item_code": data.raws[(i * 11) % len(data.raws)],
                    "quantity": str(1000 + 500 * (i % 8)),
                    "due_date": (run_date + timedelta(days=3 + i % 60)).isoformat(),
                }
            )
        purchases.append({"supplier": f"Supplier {p % 3}", "lines": lines})
    seconds = await create_orders(client, "/v1/purchase-orders", purchases, args.setup_workers)
    setup["purchase_orders"] = len(purchases)
    setup["purchase_order_lines"] = args.po_lines
    print(
        f"setup: {len(purchases)} purchase orders ({args.po_lines} lines) in {seconds:.1f} s",
        flush=True,
    )
    return setup


async def run_section(
    client: httpx.AsyncClient, args: argparse.Namespace, tag: str
) -> dict[str, Any]:
    run_date = datetime.now(UTC).date()
    setup = await set_up_run(client, args, tag, run_date)
    runs = []
    for n in range(args.runs):
        started = time.perf_counter()
        response = await client.post(
            "/v1/mrp-runs", json={"run_date": run_date.isoformat()}, timeout=900
        )
        wall = time.perf_counter() - started
        run = expect(response, 201, "MRP run")
        numbers = run["summary"]
        record = {
            "run": run["number"],
            "wall_s": round(wall, 2),
            "seconds_reading": numbers["seconds_reading"],
            "seconds_planning": numbers["seconds_planning"],
            "seconds_storing": numbers["seconds_storing"],
            "items_planned": numbers["items_planned"],
            "demands": numbers["demands"],
            "scheduled_receipts": numbers["scheduled_receipts"],
            "planned_orders": numbers["planned_orders"],
            "planned_buy": numbers["planned_buy"],
            "planned_make": numbers["planned_make"],
            "pegs": numbers["pegs"],
            "exceptions": numbers["exceptions"],
            "shortages": numbers["shortages"],
            "late_planned_orders": numbers["late_planned_orders"],
            "bom_line_problems": len(numbers["bom_line_problems"]),
        }
        runs.append(record)
        print(
            f"MRP run {n + 1}: {wall:.2f} s (reading {record['seconds_reading']} s, planning "
            f"{record['seconds_planning']} s, storing {record['seconds_storing']} s); "
            f"{record['items_planned']} items, {record['planned_orders']} planned orders, "
            f"{record['pegs']} pegs, {record['exceptions']} exceptions, "
            f"{record['shortages']} shortages",
            flush=True,
        )
    walls = sorted(r["wall_s"] for r in runs)
    median = statistics.median(walls)
    return {
        "setup": setup,
        "run_date": run_date.isoformat(),
        "runs": runs,
        "wall_p50_s": round(median, 2),
        "wall_max_s": walls[-1],
        "target_s": TARGETS["run_s"],
        "every_run_met": walls[-1] < TARGETS["run_s"],
        "met": median < TARGETS["run_s"],
    }


# --------------------------------------------------------------------------- 2. material


async def material_section(
    client: httpx.AsyncClient, args: argparse.Namespace, tag: str, cpu: CpuMeter
) -> dict[str, Any]:
    """A product with `--components` distinct items below it over 3 levels: 20
    sub-assemblies under the product, 4 under each of those, raw materials under all."""
    product = f"MC-{tag}-TOP"
    first = [f"MC-{tag}-S1-{n:02d}" for n in range(20)]
    second = [f"MC-{tag}-S2-{n:03d}" for n in range(len(first) * 4)]
    raw_count = args.components - len(first) - len(second)
    if raw_count < 200:
        raise SystemExit(f"--components {args.components} is too few (at least 300)")
    raws = [f"MC-{tag}-R{n:05d}" for n in range(raw_count)]
    rows = [ItemRow(product, "成品", "make", 2)]
    rows += [ItemRow(code, "半成品", "make", 1) for code in first + second]
    rows += [raw_row(code, r) for r, code in enumerate(raws)]
    await import_items(client, rows)
    # Raw materials: 4 % under the product, 20 % under the first level, the rest under the
    # second; each raw material in exactly one BOM.
    at_top = raws[: raw_count // 25]
    at_first = raws[len(at_top) : len(at_top) + raw_count // 5]
    at_second = raws[len(at_top) + len(at_first) :]

    def spread(parents: list[str], parts: list[str]) -> dict[str, list[str]]:
        share: dict[str, list[str]] = {parent: [] for parent in parents}
        for n, part in enumerate(parts):
            share[parents[n % len(parents)]].append(part)
        return share

    def lines(subs: list[str], parts: list[str]) -> list[dict[str, str]]:
        return [{"component_code": s, "quantity": "1"} for s in subs] + [
            {"component_code": p, "quantity": str(1 + n % 3)} for n, p in enumerate(parts)
        ]

    top_parts = spread([product], at_top)
    first_parts = spread(first, at_first)
    second_parts = spread(second, at_second)
    levels = [
        [(product, lines(first, top_parts[product]))],
        [(s, lines(second[4 * n : 4 * n + 4], first_parts[s])) for n, s in enumerate(first)],
        [(s, lines([], second_parts[s])) for s in second],
    ]
    today = datetime.now(UTC).date()
    seconds = await import_boms(client, levels, "material")
    bom_lines = sum(len(ls) for level in levels for _, ls in level)
    print(
        f"setup: product with {args.components} components ({bom_lines} BOM lines) released "
        f"in {seconds:.1f} s",
        flush=True,
    )
    store = f"C{tag}/STORE"
    await create_location(client, store, "storage")
    # Half the raw materials in stock (plenty for some, too little for others), and open
    # purchase orders for a third of them.
    await opening_balance(
        client, [(code, store, 5 if n % 4 == 0 else 500) for n, code in enumerate(raws[::2])]
    )
    po_parts = raws[::3]
    for start in range(0, len(po_parts), 500):
        chunk = po_parts[start : start + 500]
        order_body = {
            "supplier": "Material Supplier",
            "lines": [
                {
                    "item_code": code,
                    "quantity": "300",
                    "due_date": (today + timedelta(days=5 + n % 30)).isoformat(),
                }
                for n, code in enumerate(chunk)
            ],
        }
        expect(await client.post("/v1/purchase-orders", json=order_body), 201, "purchase order")
    order = expect(
        await client.post(
            "/v1/work-orders",
            json={
                "item_code": product,
                "quantity": "100",
                "start_date": (today + timedelta(days=7)).isoformat(),
                "due_date": (today + timedelta(days=14)).isoformat(),
                "release": True,
            },
            timeout=120,
        ),
        201,
        "work order",
    )
    path = f"/v1/work-orders/{order['id']}/material-check"
    samples: list[float] = []
    body: Any = None
    for n in range(args.check_warmup + args.checks):
        if n == args.check_warmup:
            cpu.start()
        started = time.perf_counter()
        response = await client.get(path, timeout=120)
        elapsed = (time.perf_counter() - started) * 1000
        body = expect(response, 200, "material check")
        if n >= args.check_warmup:
            samples.append(elapsed)
        size = len(response.content)
    cpu.stop()
    figures = summary(samples)
    cpu_ms = cpu.per_unit_ms(len(samples))
    print(
        fmt_cpu("check", cpu_ms),
        flush=True,
    )
    short = sum(1 for total in body["totals"] if Decimal(total["short"]) > 0)
    print(
        f"material check ({len(body['rows'])} rows, {len(body['totals'])} items, {short} short,"
        f" {size} bytes): p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, "
        f"max {figures['max_ms']} ms",
        flush=True,
    )
    return {
        "components": args.components,
        "with_the_run_data": "run" in args.only,
        "bom_lines": bom_lines,
        "levels": 3,
        "rows_returned": len(body["rows"]),
        "items_returned": len(body["totals"]),
        "items_short": short,
        "complete": body["complete"],
        "response_bytes": size,
        "warmup": args.check_warmup,
        **figures,
        "cpu_ms_per_check": cpu_ms,
        "target_ms": TARGETS["material_check_ms"],
        "met": figures["p95_ms"] < TARGETS["material_check_ms"],
    }


# --------------------------------------------------------------------------- 3. completions


async def completions_section(
    client: httpx.AsyncClient, args: argparse.Namespace, tag: str, cpu: CpuMeter
) -> dict[str, Any]:
    product = f"ME-{tag}-FG"
    parts = [f"ME-{tag}-C{n}" for n in range(3)]
    await import_items(
        client,
        [ItemRow(product, "成品", "make", 1)]
        + [ItemRow(code, "原材料", "buy", 5) for code in parts],
    )
    today = datetime.now(UTC).date()
    await import_boms(
        client, [[(product, [{"component_code": code, "quantity": "1"} for code in parts])]], ""
    )
    store, line, finished = f"E{tag}/RAW", f"E{tag}/LINE", f"E{tag}/FG"
    await create_location(client, store, "storage")
    await create_location(client, line, "production_line")
    await create_location(client, finished, "finished_goods")
    total_events = args.warmup + args.events
    per_order = -(-total_events // args.work_orders)
    need = per_order * args.work_orders
    for code in parts:  # received, then inspected: qualified stock in stores
        receipt = {
            "item_code": code,
            "location_code": store,
            "quantity": str(need),
            "supplier": "Bench Supplier",
        }
        expect(await client.post("/v1/receipts", json=receipt), 201, "receipt")
        inspection = {
            "item_code": code,
            "location_code": store,
            "accepted_quantity": str(need),
            "rejected_quantity": "0",
            "sample_size": 5,
            "inspector": "QC Bench",
        }
        expect(await client.post("/v1/inspections", json=inspection), 201, "inspection")
    orders = []
    for n in range(args.work_orders):
        order = expect(
            await client.post(
                "/v1/work-orders",
                json={
                    "number": f"WO-{tag}-{n:02d}",
                    "item_code": product,
                    "quantity": str(per_order + 10),
                    "start_date": today.isoformat(),
                    "due_date": (today + timedelta(days=7)).isoformat(),
                    "wip_location_code": line,
                    "output_location_code": finished,
                    "release": True,
                },
            ),
            201,
            "work order",
        )
        orders.append(order)
        # Each order's components go to the line with a requisition naming it.
        requisition = expect(
            await client.post(
                "/v1/requisitions",
                json={
                    "work_order": order["number"],
                    "to_location_code": line,
                    "from_location_code": store,
                    "lines": [{"item_code": code, "quantity": str(per_order)} for code in parts],
                },
            ),
            201,
            "requisition",
        )
        for step in ("submit", "post"):
            expect(
                await client.post(f"/v1/requisitions/{requisition['id']}/{step}"),
                200,
                f"requisition {step}",
            )
    print(
        f"setup: {len(orders)} released work orders, {need} of each of {len(parts)} components "
        "received, inspected and issued to the line",
        flush=True,
    )
    events = [f"MES-{tag}-{n:06d}" for n in range(total_events)]
    order_of = {event: orders[n % len(orders)] for n, event in enumerate(events)}
    bodies = {
        event: {
            "event_id": event,
            "produced": [{"quantity": "1"}],
            "operation": "0010",
            "station": f"S{n % 4 + 1}",
            "operator": "op",
        }
        for n, event in enumerate(events)
    }
    first_answers: dict[str, Any] = {}

    def complete(event: str) -> Awaitable[httpx.Response]:
        return client.post(
            f"/v1/work-orders/{order_of[event]['id']}/completions", json=bodies[event]
        )

    async def send(event: str) -> httpx.Response:
        response = await complete(event)
        if response.status_code == 201:
            first_answers[event] = response.json()
        return response

    warm = await hammer(args.warmup, args.workers, lambda n: send(events[n]), 201)
    print(line_of(warm, "completions warm-up"), flush=True)
    cpu.start()
    load = await hammer(args.events, args.workers, lambda n: send(events[args.warmup + n]), 201)
    cpu.stop()
    print(line_of(load, f"completions x{args.workers}"), flush=True)
    cpu_ms = cpu.per_unit_ms(len(load.latencies_ms))
    print(
        fmt_cpu("completion", cpu_ms)
        + f" (machine busy {cpu.spent_s.get('machine', 0) / max(load.wall_s, 1e-9):.2f}"
        " cores on average)",
        flush=True,
    )
    if load.failures or warm.failures:
        print(f"  first failure: {(warm.failures + load.failures)[0]}", flush=True)
    figures = summary(load.latencies_ms)
    rate = len(load.latencies_ms) / load.wall_s

    # Re-send 10 % of the events (spread over the run): same answer, nothing changes.
    step = max(1, round(100 / args.replay_percent))
    replayed = events[::step]
    answers: dict[str, httpx.Response] = {}

    async def again(n: int) -> httpx.Response:
        answers[replayed[n]] = await complete(replayed[n])
        return answers[replayed[n]]

    replay = await hammer(len(replayed), args.workers, again, 201)
    print(line_of(replay, "replays"), flush=True)
    replay_problems = [
        event
        for event, response in answers.items()
        if response.status_code != 201
        or response.headers.get("idempotent-replayed") != "true"
        or response.json() != first_answers.get(event)
    ]
    replay_problems += [event for event in replayed if event not in answers]
    verified = await verify_completions(client, orders, order_of, first_answers)
    await asyncio.sleep(args.feed_wait)  # MRP reads stock's feed of the same receipts
    after_feed = await verify_completions(client, orders, order_of, first_answers)
    ok = (
        verified["ok"]
        and after_feed["ok"]
        and not replay_problems
        and not load.failures
        and not warm.failures
    )
    print(
        f"replays: {len(replayed)} sent, {len(replay_problems)} not replayed as the first "
        f"answer; verification: {verified['summary']}; after {args.feed_wait} s (stock's "
        f"feed read): {after_feed['summary']}",
        flush=True,
    )
    return {
        "events": args.events,
        "warmup": args.warmup,
        "concurrency": args.workers,
        "work_orders": len(orders),
        "failed": len(load.failures) + len(warm.failures),
        "first_failures": (warm.failures + load.failures)[:3],
        "wall_s": round(load.wall_s, 2),
        "events_per_s": round(rate, 1),
        **figures,
        "cpu_ms_per_event": cpu_ms,
        "replays": {
            "sent": len(replayed),
            "p50_ms": summary(replay.latencies_ms)["p50_ms"] if replay.latencies_ms else None,
            "not_replayed_as_first": len(replay_problems),
            "examples": replay_problems[:5],
        },
        "verification": {"after_replays": verified, "after_feed": after_feed},
        "none_lost_or_doubled": ok,
        "target": f">= {TARGETS['completions_per_s']:.0f}/s, none lost or doubled",
        "met": rate >= TARGETS["completions_per_s"] and ok,
    }


async def verify_completions(
    client: httpx.AsyncClient,
    orders: list[dict[str, Any]],
    order_of: dict[str, dict[str, Any]],
    answered: dict[str, Any],
) -> dict[str, Any]:
    """Per work order: produced = distinct events, each event listed once, one production
    receipt per event in stock."""
    sent: dict[str, set[str]] = {order["number"]: set() for order in orders}
    for event in answered:  # events whose first answer was 201
        sent[order_of[event]["number"]].add(event)
    problems: list[str] = []
    produced_total = Decimal(0)
    receipts_total = 0
    listed_total = 0
    for order in orders:
        number, expected = order["number"], sent[order["number"]]
        current = expect(
            await client.get(f"/v1/work-orders/{order['id']}"), 200, f"work order {number}"
        )
        produced = Decimal(current["produced_quantity"])
        produced_total += produced
        if produced != len(expected):
            problems.append(f"{number}: produced {produced}, {len(expected)} events")
        listed = [
            row["event_id"]
            for row in await pages(client, f"/v1/work-orders/{order['id']}/completions", {})
        ]
        listed_total += len(listed)
        doubled = [e for e, count in Counter(listed).items() if count > 1]
        if doubled or set(listed) != expected:
            problems.append(
                f"{number}: completions list {len(listed)} rows ({len(doubled)} doubled), "
                f"{len(expected - set(listed))} missing"
            )
        receipts = await pages(
            client, "/v1/production-receipts", {"work_order": number, "status": "posted"}
        )
        receipts_total += len(receipts)
        notes = Counter(r["note"].removeprefix("MES event ") for r in receipts)
        doubled = [e for e, count in notes.items() if count > 1]
        if doubled or set(notes) != expected:
            problems.append(
                f"{number}: {len(receipts)} production receipts ({len(doubled)} doubled), "
                f"{len(expected - set(notes))} events without one"
            )
    ok = not problems
    return {
        "ok": ok,
        "events_answered_201": len(answered),
        "produced_total": str(produced_total),
        "completions_listed": listed_total,
        "production_receipts": receipts_total,
        "problems": problems[:10],
        "summary": (
            f"{len(answered)} events, produced {produced_total}, {listed_total} listed, "
            f"{receipts_total} production receipts: {'ok' if ok else 'WRONG'}"
        ),
    }


def line_of(load: Load, label: str) -> str:
    if not load.latencies_ms:
        return f"{label}: nothing answered, {len(load.failures)} failed"
    figures = summary(load.latencies_ms)
    rate = len(load.latencies_ms) / load.wall_s
    return (
        f"{label}: {len(load.latencies_ms)} in {load.wall_s:.1f} s = {rate:.0f}/s, "
        f"p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, p99 {figures['p99_ms']} ms, "
        f"max {figures['max_ms']} ms, {len(load.failures)} failed"
    )


# --------------------------------------------------------------------------- the run


async def run(stack: Stack, args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {}
    token = await api_key(stack, "bench-mrp")
    client = httpx.AsyncClient(
        base_url=stack.gateway_url,
        headers={"Authorization": f"Bearer {token}"},
        timeout=120,
        limits=httpx.Limits(max_connections=args.workers, max_keepalive_connections=args.workers),
    )
    tag = uuid.uuid4().hex[:4].upper()
    try:
        if "run" in args.only:
            results["mrp_run"] = await run_section(client, args, tag)
        if "material" in args.only:
            results["material_check"] = await material_section(
                client, args, tag, CpuMeter.of(stack)
            )
        if "completions" in args.only:
            results["completions"] = await completions_section(
                client, args, tag, CpuMeter.of(stack)
            )
    finally:
        await client.aclose()
    return results


def verdicts(results: dict[str, Any]) -> list[tuple[str, str, bool]]:
    lines = []
    run_result = results.get("mrp_run")
    if run_result:
        each = ", ".join(
            f"{r['wall_s']} s (read {r['seconds_reading']}, plan {r['seconds_planning']}, "
            f"store {r['seconds_storing']})"
            for r in run_result["runs"]
        )
        lines.append(
            (
                "mrp_run",
                f"p50 {run_result['wall_p50_s']} s (target < {TARGETS['run_s']:.0f} s); {each}",
                run_result["met"],
            )
        )
    check = results.get("material_check")
    if check:
        lines.append(
            (
                "material_check",
                f"p50 {check['p50_ms']} ms, p95 {check['p95_ms']} ms, max {check['max_ms']} ms "
                f"(target p95 < {TARGETS['material_check_ms']:.0f} ms)",
                check["met"],
            )
        )
    done = results.get("completions")
    if done:
        lines.append(
            (
                "completions",
                f"{done['events_per_s']}/s, p50 {done['p50_ms']} ms, p99 {done['p99_ms']} ms, "
                f"none lost or doubled: {done['none_lost_or_doubled']} (target {done['target']})",
                done["met"],
            )
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/mrp.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--items", type=int, default=20_000, help="items of the run")
    parser.add_argument("--lines", type=int, default=100_000, help="BOM lines of the run")
    parser.add_argument("--levels", type=int, default=8, help="BOM levels of the run")
    parser.add_argument("--tops", type=int, default=500, help="finished goods (items per level)")
    parser.add_argument("--demand-lines", type=int, default=5_000, help="sales order lines")
    parser.add_argument("--sales-orders", type=int, default=10, help="sales orders")
    parser.add_argument("--po-lines", type=int, default=1_000, help="open purchase order lines")
    parser.add_argument("--stocked", type=int, default=5_000, help="raw materials in stock")
    parser.add_argument("--runs", type=int, default=3, help="MRP runs timed")
    parser.add_argument("--components", type=int, default=2_000, help="material check items")
    parser.add_argument("--checks", type=int, default=20, help="material checks timed")
    parser.add_argument("--check-warmup", type=int, default=2, help="material checks first")
    parser.add_argument("--events", type=int, default=2_000, help="timed completions")
    parser.add_argument("--warmup", type=int, default=100, help="completions before timing")
    parser.add_argument("--workers", type=int, default=16, help="concurrent completions")
    parser.add_argument("--work-orders", type=int, default=16, help="work orders completed")
    parser.add_argument(
        "--replay-percent", type=float, default=10.0, help="events sent again (percent)"
    )
    parser.add_argument(
        "--feed-wait", type=float, default=5.0, help="seconds before checking again"
    )
    parser.add_argument(
        "--setup-workers", type=int, default=4, help="concurrent requests while setting up"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--only",
        type=lambda text: set(text.split(",")),
        default=set(SECTIONS),
        help="sections to run, comma-separated: run, material, completions (default all)",
    )
    args = parser.parse_args(argv)
    if not args.only <= set(SECTIONS):
        parser.error(f"--only takes {', '.join(SECTIONS)}")
    pg_url = os.environ.get("BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432")
    suffix = uuid.uuid4().hex[:8]
    databases = {service: f"bench_mrp_{service}_{suffix}" for service in ON_POSTGRES}
    for database in databases.values():
        asyncio.run(pg_execute(pg_url, f'CREATE DATABASE "{database}"'))
    info = machine()
    var_dir = Path(tempfile.mkdtemp(prefix="bench-mrp-"))
    print(
        f"starting the stack in {var_dir} (catalog, stock and MRP on PostgreSQL "
        f"{', '.join(databases.values())}) ...",
        flush=True,
    )
    started = time.perf_counter()
    try:
        stack = start_stack(
            var_dir,
            base_port=0,
            log_level="WARNING",
            extra_env={
                "gateway": {
                    "GATEWAY_RATE_LIMIT_PER_SECOND": "0",
                    "GATEWAY_PROXY_READ_TIMEOUT_SECONDS": "300",
                }
            },
            database_overrides={
                service: f"{pg_url.rstrip('/')}/{database}"
                for service, database in databases.items()
            },
        )
        try:
            results = asyncio.run(run(stack, args))
        finally:
            stack.stop()
    finally:
        for database in databases.values():
            asyncio.run(pg_execute(pg_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    report = {
        "benchmark": "mrp",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": info,
        "setup": "load generator, gateway, six services and PostgreSQL on this one machine; "
        "catalog, stock and MRP on PostgreSQL, the gateway, trace and workflow on SQLite",
        "arguments": {**vars(args), "only": sorted(args.only)},
        "duration_s": round(time.perf_counter() - started, 1),
        "load_average_after": os.getloadavg(),
        "results": results,
    }
    return report_verdicts("mrp", report, info, verdicts(results), strict=args.strict, width=15)


if __name__ == "__main__":
    raise SystemExit(main())
