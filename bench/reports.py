"""Report benchmarks (issue #8), through the gateway, with the stock service on PostgreSQL.

    make bench                      # runs this after the stock benchmark
    .venv/bin/python bench/reports.py [--items 20000] [--movements 5000000] [--days 730]
                                      [--repeat 5] [--categories 20]
                                      [--keep | --reuse DATABASE:DIRECTORY]

Starts the stack the way `make run` does, except that the stock service's database is a
fresh PostgreSQL database (dropped afterwards; `BENCH_POSTGRES_URL`, default
postgresql+asyncpg://postgres@127.0.0.1:5432); the catalog stays on SQLite. It imports
`--items` items in `--categories` categories, then writes a ledger of `--movements`
movements over them and `--days` days straight into the stock database with COPY (hours
through the API): per item, cycles of a purchase receipt into a raw-material bin (pending
inspection, from one of 50 suppliers), its inspection, a transfer of half of it to a line
or finished-goods bin of the other warehouse, an issue to production and a shipment to
one of 200 customers; one item in ten stops being issued after the first year (dead
stock). Values are moving averages (bench/stock.py's re-implementation); balances, item
valuations and the ledger counter are set to match. The stock flows are then summed from
that ledger by migration 0026's SQL (downgrade to 0025 and upgrade again), which is
timed; stock's aggregation loop then builds the month-end closings of every month over
in the background (during the next step), a first posting through the API is timed until
the aggregation has caught up with it, and everything is ANALYZEd.

Then each report is asked `--repeat` times (after one untimed call): dead stock, aging
(by warehouse), turnover (12 months, total and by category), the in/out summary of a
year, stock value by warehouse half a year ago, and the dashboard query of a year by
month and category; targets: each built-in report under 1 s, the query under 500 ms.

Everything runs on this machine: the load generator, the gateway, the six services and
PostgreSQL share its cores (2 on the reference machine). Results go to
bench/results/reports-<timestamp>.json. `--keep` leaves the stock database and the stack's
directory (the catalog) in place and prints the `--reuse` argument that times the reports
again on them without the set-up (to compare changes on the same data).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from openpyxl import Workbook

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bench.common import api_key, pg_dsn, pg_execute, report_verdicts  # noqa: E402
from bench.stock import (  # noqa: E402
    BALANCE_DEFAULTS,
    XLSX,
    Move,
    Worth,
    balance_row,
    create_location,
    insertable_columns,
    money,
    price_of,
    receipt_body,
    summary,
    timed_get,
)
from tools.machine import machine  # noqa: E402
from tools.run import Stack, start_stack  # noqa: E402

TARGETS = {"report_ms": 1000.0, "query_ms": 500.0}
CYCLE = 5  # movements per cycle: receipt, inspection, transfer, issue, shipment
COLUMNS = (
    "sequence",
    "document_type",
    "document_id",
    "item_code",
    "quantity",
    "from_location_id",
    "to_location_id",
    "from_state",
    "to_state",
    "stage",
    "unit_cost",
    "value",
    "priced",
    "posted_at",
    "recorded_at",
    "posted_by",
    "supplier",
    "customer",
)


# --------------------------------------------------------------------------- set-up


def items_workbook(codes: list[str], categories: list[str]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("物料")
    sheet.append(["物料编码", "名称", "单位", "物料类型", "追踪方式", "分类"])
    for n, code in enumerate(codes):
        kind = "产成品" if n % 10 == 9 else "原材料"
        sheet.append(
            [code, f"Bench part {code}", "pcs", kind, "无", categories[n % len(categories)]]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def import_catalog(
    client: httpx.AsyncClient, codes: list[str], categories: list[str]
) -> float:
    started = time.perf_counter()
    for category in categories:
        made = await client.post("/v1/categories", json={"code": category, "name": category})
        if made.status_code != 201:
            raise SystemExit(f"category {category}: {made.status_code} {made.text[:500]}")
    for start in range(0, len(codes), 5000):
        part = codes[start : start + 5000]
        response = await client.post(
            "/v1/imports/items",
            params={"dry_run": "false"},
            files={"file": ("items.xlsx", items_workbook(part, categories), XLSX)},
            timeout=600,
        )
        if response.status_code not in (200, 201):
            raise SystemExit(f"item import: {response.status_code} {response.text[:2000]}")
    return time.perf_counter() - started


# --------------------------------------------------------------------------- the ledger


class Places:
    """Location ids: two warehouses, each with a raw bin and a line or goods bin."""

    def __init__(self, ids: dict[str, int], tag: str) -> None:
        self.raw = [ids[f"R{tag}-WH1/RAW"], ids[f"R{tag}-WH2/RAW"]]
        self.out = [ids[f"R{tag}-WH2/FG"], ids[f"R{tag}-WH1/FG"]]
        self.supplier = ids["VIRTUAL/SUPPLIER"]
        self.production = ids["VIRTUAL/PRODUCTION"]
        self.customer = ids["VIRTUAL/CUSTOMER"]
        self.virtual = frozenset({self.supplier, self.production, self.customer})


def item_moves(
    n: int, cycles: int, places: Places, start: datetime, days: int
) -> Iterator[tuple[str, Move, str, str, str, str]]:
    """(document type, move, from state, to state, supplier, customer) of item `n`."""
    dead = n % 10 == 3
    span = timedelta(days=days / 2 if dead else days) - timedelta(hours=CYCLE)
    step = span / cycles
    rng = random.Random(n)
    raw, out = places.raw[n % 2], places.out[n % 2]
    for cycle in range(cycles):
        at = start + step * cycle
        supplier = f"Supplier {rng.randrange(50):02d}"
        customer = f"Customer {rng.randrange(200):03d}"
        hour = timedelta(hours=1)
        yield (
            "purchase_receipt",
            Move(at, Decimal(20), places.supplier, raw, price_of(n + cycle)),
            "pending_inspection",
            "pending_inspection",
            supplier,
            "",
        )
        yield (
            "inspection",
            Move(at + hour, Decimal(20), raw, raw),
            "pending_inspection",
            "qualified",
            "",
            "",
        )
        yield (
            "transfer",
            Move(at + 2 * hour, Decimal(10), raw, out),
            "qualified",
            "qualified",
            "",
            "",
        )
        yield (
            "requisition",
            Move(at + 3 * hour, Decimal(8), raw, places.production),
            "qualified",
            "qualified",
            "",
            "",
        )
        yield (
            "shipment",
            Move(at + 4 * hour, Decimal(8), out, places.customer),
            "qualified",
            "qualified",
            "",
            customer,
        )


class Written:
    """What the generated movements left: balances, valuations, last times."""

    def __init__(self) -> None:
        self.balances: dict[tuple[str, int, str, str], Decimal] = {}
        self.updated: dict[tuple[str, int, str, str], datetime] = {}
        self.worth: dict[str, Worth] = {}
        self.last: dict[str, datetime] = {}
        self.count = 0


def records(
    codes: list[tuple[int, str]],
    first: int,
    cycles: int,
    places: Places,
    start: datetime,
    days: int,
    written: Written,
) -> Iterator[tuple[Any, ...]]:
    recorded = datetime.now(UTC)
    sequence = first
    for n, code in codes:
        stage = "finished" if n % 10 == 9 else "raw"
        worth = written.worth.setdefault(code, Worth())
        for kind, move, source_state, target_state, supplier, customer in item_moves(
            n, cycles, places, start, days
        ):
            value = worth.take(move, places.virtual)
            for location, state, sign in (
                (move.source, source_state, -1),
                (move.target, target_state, 1),
            ):
                if location not in places.virtual:
                    key = (code, location, state, stage)
                    written.balances[key] = (
                        written.balances.get(key, Decimal(0)) + sign * move.quantity
                    )
                    written.updated[key] = move.posted_at
            written.last[code] = move.posted_at
            yield (
                sequence,
                kind,
                sequence,
                code,
                move.quantity,
                move.source,
                move.target,
                source_state,
                target_state,
                stage,
                money(value / move.quantity),
                value,
                move.price is not None,
                move.posted_at,
                recorded,
                "bench",
                supplier,
                customer,
            )
            sequence += 1
            written.count += 1


async def write_ledger(
    dsn: str, codes: list[str], cycles: int, places: Places, start: datetime, days: int
) -> float:
    """COPY every item's movements, then their balances and valuations, and the counter."""
    import asyncpg

    started = time.perf_counter()
    connection = await asyncpg.connect(dsn)
    written = Written()
    try:
        balance_columns = await insertable_columns(connection, "balances", BALANCE_DEFAULTS)
        numbered = list(enumerate(codes))
        last = await connection.fetchval("SELECT last_sequence FROM ledger_counter WHERE id = 1")
        for chunk in range(0, len(numbered), 500):
            before = written.count
            async with connection.transaction():
                await connection.copy_records_to_table(
                    "movements",
                    records=records(
                        numbered[chunk : chunk + 500],
                        last + 1 + before,
                        cycles,
                        places,
                        start,
                        days,
                        written,
                    ),
                    columns=COLUMNS,
                )
            if chunk % 5000 == 0:
                print(f"  {written.count} movements written", flush=True)
        async with connection.transaction():
            await connection.execute(
                "UPDATE ledger_counter SET last_sequence = $1 WHERE id = 1", last + written.count
            )
            # the flows are summed after (`sum_flows`), not followed movement by movement
            await connection.execute(
                "UPDATE stock_aggregation SET flows_through = $1 WHERE id = 1",
                last + written.count,
            )
            await connection.copy_records_to_table(
                "balances",
                records=[
                    balance_row(
                        balance_columns,
                        item_code=code,
                        location_id=location,
                        quality_state=state,
                        stage=stage,
                        quantity=quantity,
                        updated_at=written.updated[(code, location, state, stage)],
                    )
                    for (code, location, state, stage), quantity in written.balances.items()
                ],
                columns=balance_columns,
            )
            await connection.copy_records_to_table(
                "item_valuations",
                records=[
                    (code, w.quantity, w.value, w.last_unit_cost, written.last[code])
                    for code, w in written.worth.items()
                ],
                columns=("item_code", "quantity", "value", "last_unit_cost", "updated_at"),
            )
    finally:
        await connection.close()
    return time.perf_counter() - started


def sum_flows(stock_url: str) -> float:
    """Sum the flows from the written ledger with migration 0026's SQL."""
    from alembic import command

    from shared.db.migrate import alembic_config

    started = time.perf_counter()
    config = alembic_config("stock", stock_url)
    command.downgrade(config, "0025")
    command.upgrade(config, "head")
    return time.perf_counter() - started


COMPLETE = """SELECT NOT EXISTS (SELECT 1 FROM item_valuations v
    WHERE NOT EXISTS (SELECT 1 FROM catalog_items c WHERE c.code = v.item_code))"""


async def copy_catalog(dsn: str, replay: bool) -> float:
    """Wait until stock's copy of the catalog holds every item stock values, so their
    flows are in the rollups; with `replay`, first have stock read the catalog's feed from
    its start again (the flows were summed under a fresh schema, whose copy and rollups
    are empty), as after an upgrade: each page of items then moves their flows into the
    rollups (usecases/catalog_feed.py)."""
    import asyncpg

    connection = await asyncpg.connect(dsn)
    started = time.perf_counter()
    try:
        if replay:
            await connection.execute("DELETE FROM processed_events WHERE source = 'catalog'")
            await connection.execute("DELETE FROM consumer_cursors WHERE source = 'catalog'")
        while not await connection.fetchval(COMPLETE):
            if time.perf_counter() - started > 1800:
                raise SystemExit("stock's copy of the catalog did not fill within 30 minutes")
            await asyncio.sleep(0.5)
    finally:
        await connection.close()
    return time.perf_counter() - started


CAUGHT_UP = """SELECT a.flows_through >= c.last_sequence
    AND a.closed_through >= date_trunc('month', now() AT TIME ZONE 'UTC') - interval '1 month'
    FROM stock_aggregation a, ledger_counter c"""


async def caught_up(dsn: str) -> None:
    """Wait until stock's aggregation holds every movement and has closed the months over
    (services/stock/usecases/aggregation.py)."""
    import asyncpg

    connection = await asyncpg.connect(dsn)
    started = time.perf_counter()
    try:
        while not await connection.fetchval(CAUGHT_UP):
            if time.perf_counter() - started > 1800:
                raise SystemExit("stock's aggregation did not catch up within 30 minutes")
            await asyncio.sleep(0.2)
    finally:
        await connection.close()


async def analyze(dsn: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("VACUUM ANALYZE")
        counts = await connection.fetch(
            "SELECT grain, count(*) AS n FROM stock_flows GROUP BY grain ORDER BY grain"
        )
        rolled = await connection.fetch(
            "SELECT grain, count(*) AS n FROM stock_rollups GROUP BY grain ORDER BY grain"
        )
        closings = await connection.fetchval("SELECT count(*) FROM stock_closings")
        print(
            "  flow rows: "
            + ", ".join(f"{r['grain']} {r['n']}" for r in counts)
            + f"; closing rows: {closings}; rollup rows: "
            + ", ".join(f"{r['grain']} {r['n']}" for r in rolled),
            flush=True,
        )
    finally:
        await connection.close()


# --------------------------------------------------------------------------- the run


async def timed_post(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], repeat: int
) -> list[float]:
    samples: list[float] = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = await client.post(path, json=body, timeout=300)
        samples.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"POST {path}: {response.status_code} {response.text[:1000]}")
    return samples


async def run(stack: Stack, args: argparse.Namespace, stock_url: str, dsn: str) -> dict[str, Any]:
    results: dict[str, Any] = {}
    token = await api_key(stack, "bench-reports")
    client = httpx.AsyncClient(
        base_url=stack.gateway_url, headers={"Authorization": f"Bearer {token}"}, timeout=300
    )
    if not args.reuse:
        results["setup"] = await set_up(client, args, stock_url, dsn)
    else:  # a database from before the copy and the rollups fills them from the feed
        waited = await copy_catalog(dsn, replay=False)
        print(f"reuse: stock's copy of the catalog complete after {waited:.1f} s", flush=True)
    await time_reports(client, args, results)
    await client.aclose()
    return results


async def set_up(
    client: httpx.AsyncClient, args: argparse.Namespace, stock_url: str, dsn: str
) -> dict[str, Any]:
    """The catalog's items, the locations, the ledger, its flows and closings (timed)."""
    tag = uuid.uuid4().hex[:4].upper()
    codes = [f"RP-{tag}-{n:05d}" for n in range(args.items)]
    categories = [f"RC-{tag}-{n:02d}" for n in range(args.categories)]
    seconds = await import_catalog(client, codes, categories)
    print(f"setup: {len(codes)} items in {len(categories)} categories imported in {seconds:.1f} s")
    for warehouse in ("WH1", "WH2"):
        await create_location(client, f"R{tag}-{warehouse}", "warehouse")
        for bin_name in ("RAW", "FG"):
            await create_location(
                client, f"R{tag}-{warehouse}/{bin_name}", "storage", parent=f"R{tag}-{warehouse}"
            )
    import asyncpg

    connection = await asyncpg.connect(dsn)
    try:
        ids = {r["code"]: r["id"] for r in await connection.fetch("SELECT id, code FROM locations")}
    finally:
        await connection.close()
    places = Places(ids, tag)
    cycles = max(1, args.movements // (args.items * CYCLE))
    now = datetime.now(UTC)
    start = now - timedelta(days=args.days + 1)
    seconds = await write_ledger(dsn, codes, cycles, places, start, args.days)
    total = cycles * CYCLE * args.items
    print(f"setup: {total} movements written in {seconds:.1f} s", flush=True)
    flows_s = await asyncio.to_thread(sum_flows, stock_url)
    print(f"setup: flows summed from the ledger (migration 0026) in {flows_s:.1f} s", flush=True)
    rollups_s = await copy_catalog(dsn, replay=True)
    print(
        f"setup: the catalog's feed replayed into stock's copy, the flows rolled up, in "
        f"{rollups_s:.1f} s",
        flush=True,
    )
    await analyze(dsn)
    # stock's aggregation loop has been closing the months over meanwhile (it found them
    # unclosed once the flows were summed); a first posting wakes it: timed until it has
    # caught up with that posting and every month is closed
    started = time.perf_counter()
    first = await client.post(
        "/v1/receipts", json=receipt_body(codes[0], f"R{tag}-WH1/RAW", "1", "1.00"), timeout=600
    )
    if first.status_code != 201:
        raise SystemExit(f"receipt: {first.status_code} {first.text[:1000]}")
    await caught_up(dsn)
    closing_s = time.perf_counter() - started
    print(
        f"setup: a first posting, and the aggregation caught up with it and the closings of "
        f"{args.days // 30} months, in {closing_s:.1f} s"
    )
    await analyze(dsn)
    return {
        "items": args.items,
        "movements": total,
        "days": args.days,
        "ledger_write_s": round(seconds, 1),
        "flows_from_ledger_s": round(flows_s, 1),
        "first_posting_and_closings_s": round(closing_s, 1),
        "catalog_copy_and_rollups_s": round(rollups_s, 1),
    }


async def time_reports(
    client: httpx.AsyncClient, args: argparse.Namespace, results: dict[str, Any]
) -> None:
    """Each report `--repeat` times after one untimed call, into `results`."""
    today = datetime.now(UTC).date()
    year_ago = today - timedelta(days=365)
    first_month = date(year_ago.year, year_ago.month, 1) + timedelta(days=31)
    reports: list[tuple[str, str, dict[str, Any]]] = [
        ("dead stock", "/v1/reports/dead-stock", {}),
        ("aging by warehouse", "/v1/reports/aging", {"group_by": "warehouse"}),
        ("turnover 12 months", "/v1/reports/turnover", {"periods": "12"}),
        (
            "turnover by category",
            "/v1/reports/turnover",
            {"periods": "12", "group_by": "category"},
        ),
        (
            "in/out of a year",
            "/v1/reports/movement-summary",
            {"date_from": year_ago.isoformat(), "date_to": today.isoformat()},
        ),
        (
            "stock value 180 days ago",
            "/v1/reports/stock-value",
            {"as_of_date": (today - timedelta(days=180)).isoformat()},
        ),
    ]
    for label, path, params in reports:
        await timed_get(client, path, params, 1)  # untimed: caches, plans
        samples, _ = await timed_get(client, path, params, args.repeat)
        figures = summary(samples)
        print(f"{label}: p50 {figures['p50_ms']} ms, max {figures['max_ms']} ms", flush=True)
        results[label] = {
            "path": path,
            "params": params,
            **figures,
            "target_ms": TARGETS["report_ms"],
            "met": figures["max_ms"] < TARGETS["report_ms"],
        }
    query = {
        "measures": ["received_value", "issued_value", "movements"],
        "dimensions": ["month", "category"],
        "filters": {"date_from": first_month.isoformat(), "date_to": today.isoformat()},
        "limit": 10000,
    }
    await timed_post(client, "/v1/reports/query", query, 1)
    samples = await timed_post(client, "/v1/reports/query", query, args.repeat)
    figures = summary(samples)
    print(f"query, a year by month and category: p50 {figures['p50_ms']} ms", flush=True)
    results["query year by month and category"] = {
        "body": query,
        **figures,
        "target_ms": TARGETS["query_ms"],
        "met": figures["max_ms"] < TARGETS["query_ms"],
    }


def verdicts(results: dict[str, Any]) -> list[tuple[str, str, bool]]:
    return [
        (
            label,
            f"max {figures['max_ms']} ms (target < {figures['target_ms']:.0f} ms)",
            figures["met"],
        )
        for label, figures in results.items()
        if label != "setup"
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/reports.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--movements", type=int, default=5_000_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--categories", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5, help="timed calls per report")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the stock database and the stack's directory, to time again with --reuse",
    )
    parser.add_argument(
        "--reuse",
        metavar="DATABASE:DIRECTORY",
        help="time the reports on a kept stock database and stack directory (no set-up)",
    )
    args = parser.parse_args(argv)
    pg_url = os.environ.get("BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432")
    if args.reuse:
        database, kept_dir = args.reuse.split(":", 1)
        var_dir = Path(kept_dir)
    else:
        database = f"bench_reports_{uuid.uuid4().hex[:8]}"
        asyncio.run(pg_execute(pg_url, f'CREATE DATABASE "{database}"'))
        var_dir = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    stock_url = f"{pg_url.rstrip('/')}/{database}"
    keep = args.keep or args.reuse
    info = machine()
    print(f"starting the stack in {var_dir} (stock on PostgreSQL {database}) ...", flush=True)
    started = time.perf_counter()
    try:
        stack = start_stack(
            var_dir,
            base_port=0,
            log_level="WARNING",
            extra_env={"gateway": {"GATEWAY_RATE_LIMIT_PER_SECOND": "0"}},
            database_overrides={"stock": stock_url},
        )
        try:
            results = asyncio.run(run(stack, args, stock_url, pg_dsn(pg_url, database)))
        finally:
            stack.stop()
    finally:
        if keep:
            print(f"kept: --reuse {database}:{var_dir} (drop the database when done)")
        else:
            asyncio.run(pg_execute(pg_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    report = {
        "benchmark": "reports",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": info,
        "setup": "load generator, gateway, six services and PostgreSQL on this one machine; "
        "stock on PostgreSQL, the other services on SQLite",
        "arguments": vars(args),
        "duration_s": round(time.perf_counter() - started, 1),
        "load_average_after": os.getloadavg(),
        "results": results,
    }
    return report_verdicts("reports", report, info, verdicts(results), strict=args.strict, width=34)


if __name__ == "__main__":
    raise SystemExit(main())
