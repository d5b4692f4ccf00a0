"""Trace benchmarks (genealogy traces and feed ingestion), with trace on PostgreSQL.

    make bench                      # runs this after the mrp benchmark
    .venv/bin/python bench/trace.py [--scale 1.0] [--samples 200] [--warmup 20]
                                    [--repeats 5] [--movements N] [--feed-batch N]
                                    [--seed 20261127] [--only backward,forward,ingest]

The genealogy (backward, forward): starts the stack the way `make run` does, except that
trace's database is a fresh PostgreSQL database (dropped afterwards; `BENCH_POSTGRES_URL`,
default postgresql+asyncpg://postgres@127.0.0.1:5432) and the gateway's upstream read
timeout is 300 s (a slow trace is measured, not cut at 30 s). A generated genealogy of
1,000,000 edges (`trace_links` rows: a lot into a work order, `role="input"`, or a work
order's output, `role="output"`), 8 levels deep with a fan-in of 10, is written straight
into trace's tables with COPY (with its nodes, work orders, history, documents, incoming
QC records and work order operations, so the nodes look as the feeds would leave them),
then VACUUM ANALYZEd. Every request goes through the gateway with an admin API key:

* backward: `GET /v1/genealogy/backward?item_code=..&serial_number=..` of `--samples`
  (200) different finished serials, one after the other, after `--warmup` (20) others;
  target p99 < 50 ms. Each answer's `node_count` is checked against the generated graph.
* forward: `GET /v1/genealogy/forward?item_code=..&lot_number=..` of one purchased lot
  that reaches 10,000 finished serials, `--repeats` (5) times; target < 1 s (judged on the
  slowest). The answer must list exactly the lots and serials the graph says.

The graph follows production in time: level 0 are purchased lots (supplier, supplier lot,
date code, purchase order, receipt, incoming inspection); each work order of levels 1-7
consumes 10 lots of the level below and makes one lot, each of level 8 consumes 10 and
makes a batch of serial-tracked finished units (about 67 on average). A work order takes
its inputs from the lots current at its time (10 of the 15 nearest), so a part lot feeds
about 27 work orders and a sub-assembly lot about 10; every level-1 order also takes one
lot of a bulk material whose lots each last a long run of orders. One of those bulk lots
is the forward trace's start: the batch sizes of the finished orders it reaches are set
so that it reaches exactly 10,000 serials. A finished serial's backward trace holds about
400 distinct nodes (about 3,700 entries in the tree the API answers, one per edge).
Most finished units are shipped (with sales order and customer), recent lots are still in
stock.

ingest: a fake stock feed (an in-process uvicorn on a free port, on the same event loop)
serves `GET /v1/events?after=&limit=` pages of 100,000 `MovementPosted` events whose
payloads are stock's `MovementOut` (built with that model): purchase receipts into lots
from VIRTUAL/SUPPLIER and their inspections, requisitions issuing lots to work orders (a
few reversed), consumption into VIRTUAL/PRODUCTION and output lots and serials out of it
with the work order, shipments of serials to VIRTUAL/CUSTOMER with sales order and
customer, and a few untracked movements (no lot, no serial). A trace app is built
in-process (`services.trace.app.create_app`, background tasks off, heap frozen at start
as the services do) on another fresh PostgreSQL database migrated with trace's Alembic
migrations, its lifespan run, and `app.state.consumers["stock"].catch_up()` timed until
every event is applied, pulling pages of the size the trace app gives its stock
subscription (`FeedConsumer.batch_size`; FeedConsumer's own default is 100) unless
`--feed-batch` says otherwise; target >= 5,000 movements/s. Then the result is checked:
trace_history has one row per movement naming a lot or serial, the nodes are those named,
every link's net quantity is what the movements add up to, the shipped units are shipped.
The stack is not running then: only this process and PostgreSQL.

`--scale 0.05` shrinks everything (edges, lots, orders, the forward trace's serials, the
movements) for a quick run; the default is the full size. Everything runs on this
machine: the load generator, the gateway, the six services and PostgreSQL share its cores,
so the figures are those of a whole installation on one small box. Results go to
bench/results/trace-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import orjson

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bench.common import (  # noqa: E402
    CpuMeter,
    api_key,
    check_table,
    feed_page,
    feed_query,
    fmt_cpu,
    pg_dsn,
    pg_execute,
    rank,
    report_verdicts,
    send_json,
)
from tools.machine import machine  # noqa: E402
from tools.run import Stack, ephemeral_port, start_stack  # noqa: E402

RESULTS_DIR = REPO_ROOT / "bench" / "results"
TARGETS = {"backward_p99_ms": 50.0, "forward_ms": 1000.0, "ingest_per_s": 5000.0}
SECTIONS = ("backward", "forward", "ingest")
LEVELS = 8
FAN_IN = 10
#: Level 0 lots and work orders per level at scale 1; the links make up 1,000,000.
FULL = {
    "edges": 1_000_000,
    "part_lots": 3_000,
    "orders_per_level": 9_000,
    "final_orders": 4_000,
    "forward_serials": 10_000,
    "movements": 100_000,
}
START = datetime(2025, 1, 6, 7, 0, tzinfo=UTC)
DAYS = 360
DEC = [Decimal(n) for n in range(0, 3001)]


# --------------------------------------------------------------------------- figures


def summary(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(rank(ordered, 95), 1),
        "p99_ms": round(rank(ordered, 99), 1),
        "mean_ms": round(statistics.fmean(ordered), 1),
        "max_ms": round(ordered[-1], 1),
        "min_ms": round(ordered[0], 1),
        "count": len(ordered),
    }


def spread(values: list[int]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "min": ordered[0],
        "p50": statistics.median(ordered),
        "max": ordered[-1],
        "mean": round(statistics.fmean(ordered), 1),
    }


# --------------------------------------------------------------------------- the graph


@dataclass
class Genealogy:
    """Lots by level (0: purchased, 1-7: made), work orders by level (1-8), serials.

    Level 0 lots are numbered parts first (`0 .. parts-1`), then bulk lots. A lot of
    level 1-7 is the output of the work order of the same level and number.
    """

    parts: int
    bulk: int
    span: int  # level-1 orders per bulk lot
    orders: list[int]  # per level; orders[0] is unused
    inputs: list[list[list[int]]]  # inputs[k][j]: lots of level k-1 into order j of level k
    batches: list[int] = field(default_factory=list)  # serials of each final order
    first_serial: list[int] = field(default_factory=list)
    chosen: int = 0  # the level-0 lot the forward trace starts from
    reached_lots: int = 0  # lots of levels 1-7 it reaches
    reached_orders: list[int] = field(default_factory=list)  # final orders it reaches

    def lots(self, level: int) -> int:
        return self.parts + self.bulk if level == 0 else self.orders[level]

    @property
    def serials(self) -> int:
        return sum(self.batches)

    @property
    def links(self) -> int:
        inputs = sum(len(ins) for level in self.inputs[1:] for ins in level)
        return inputs + sum(self.orders[1:LEVELS]) + self.serials

    def order_of_serial(self, n: int) -> int:
        return bisect.bisect_right(self.first_serial, n) - 1

    # ---- names

    def lot_item(self, level: int, j: int) -> str:
        if level == 0:
            return "RM-RESIN-01" if j >= self.parts else f"RM-{j % 397:04d}"
        return f"SA{level}-{j % 60:03d}"

    def lot_code(self, level: int, j: int) -> str:
        if level == 0:
            return f"BK-{j - self.parts:05d}" if j >= self.parts else f"PL-{j:07d}"
        return f"L{level}-{j:07d}"

    @staticmethod
    def order_number(level: int, j: int) -> str:
        return f"WO{level}-{j:07d}"

    @staticmethod
    def final_item(j: int) -> str:
        return f"FG-{j % 40:03d}"

    @staticmethod
    def serial_code(n: int) -> str:
        return f"SN{n:09d}"

    @staticmethod
    def shipped(n: int) -> bool:
        return n % 5 != 0

    # ---- when

    def lot_time(self, level: int, j: int) -> datetime:
        if level == 0 and j >= self.parts:
            fraction = (j - self.parts) * self.span / self.orders[1]
            return START + timedelta(days=DAYS * fraction - 2)
        return START + timedelta(days=DAYS * j / self.lots(level), hours=8 * level)

    def order_time(self, level: int, j: int) -> datetime:
        return START + timedelta(days=DAYS * j / self.orders[level], hours=8 * level - 4)

    # ---- closures

    def backward_size(self, final_order: int) -> tuple[int, int]:
        """Distinct nodes (the serial included) and tree entries of a serial's trace."""
        nodes = 1
        entries = 1 + len(self.inputs[LEVELS][final_order])
        current = set(self.inputs[LEVELS][final_order])
        for level in range(LEVELS - 1, 0, -1):
            nodes += len(current)
            below: set[int] = set()
            for lot in current:
                below.update(self.inputs[level][lot])
                entries += len(self.inputs[level][lot])
            current = below
        return nodes + len(current), entries


def pick(rnd: random.Random, center: float, half: int, size: int, count: int) -> list[int]:
    """`count` of the `2 * half + 1` lots nearest `center` (in time) among `size`."""
    width = min(size, 2 * half + 1)
    low = max(0, min(int(center - half), size - width))
    return rnd.sample(range(low, low + width), count)


def users_of(g: Genealogy) -> list[list[list[int]]]:
    """users[k][lot]: the orders of level k + 1 that lot `lot` of level k went into."""
    users: list[list[list[int]]] = [[]]
    for level in range(1, LEVELS):
        into: list[list[int]] = [[] for _ in range(g.orders[level])]
        for j, lots in enumerate(g.inputs[level + 1]):
            for lot in lots:
                into[lot].append(j)
        users.append(into)
    return users


def reach(users: list[list[list[int]]], first: int, last: int) -> tuple[int, set[int]]:
    """From level-1 orders `first .. last-1`: lots of levels 1-7 reached, final orders."""
    current = set(range(first, last))
    lots = len(current)
    for level in range(1, LEVELS):
        above: set[int] = set()
        for lot in current:
            above.update(users[level][lot])
        current = above
        if level + 1 < LEVELS:
            lots += len(current)
    return lots, current


def generate(scale: float, seed: int) -> Genealogy:
    rnd = random.Random(seed)
    parts = max(30, round(FULL["part_lots"] * scale))
    per_level = max(90, round(FULL["orders_per_level"] * scale))
    finals = max(40, round(FULL["final_orders"] * scale))
    orders = [0] + [per_level] * (LEVELS - 1) + [finals]
    inputs: list[list[list[int]]] = [[]]
    # level 1: 9 part lots near the order's time (the bulk lot is added below)
    ratio = parts / orders[1]
    inputs.append(
        [
            pick(rnd, (j + 0.5) * ratio, max(7, round(ratio)), parts, FAN_IN - 1)
            for j in range(orders[1])
        ]
    )
    for level in range(2, LEVELS + 1):
        below = orders[level - 1]
        ratio = below / orders[level]
        inputs.append(
            [
                pick(rnd, (j + 0.5) * ratio, max(7, round(ratio)), below, FAN_IN)
                for j in range(orders[level])
            ]
        )
    g = Genealogy(parts=parts, bulk=0, span=1, orders=orders, inputs=inputs)
    budget = round(FULL["edges"] * scale) - (FAN_IN + 1) * sum(orders[1:LEVELS])
    budget -= FAN_IN * finals
    if budget < 2 * finals:
        raise SystemExit(f"--scale {scale} leaves too few serials; use a larger scale")
    target = max(1, round(FULL["forward_serials"] * scale))
    wanted = target / (budget / finals)  # final orders the chosen lot should reach
    users = users_of(g)

    def middle(span: int) -> tuple[int, int]:
        count = -(-orders[1] // span)
        first = (count // 2) * span
        return first, min(first + span, orders[1])

    low, high = 1, orders[1]
    while low < high:  # the shortest bulk lot span whose middle lot reaches `wanted`
        span = (low + high) // 2
        if len(reach(users, *middle(span))[1]) >= wanted:
            high = span
        else:
            low = span + 1
    g.span = low
    g.bulk = -(-orders[1] // g.span)
    for j in range(orders[1]):
        inputs[1][j].append(parts + j // g.span)
    first, last = middle(g.span)
    g.chosen = parts + first // g.span
    g.reached_lots, finals_reached = reach(users, first, last)
    g.reached_orders = sorted(finals_reached)
    # batch sizes: the chosen lot reaches exactly `target` serials, the rest fill the budget
    target = max(target, len(g.reached_orders))
    others = [j for j in range(finals) if j not in finals_reached]
    rest = budget - target
    if others and rest < len(others):
        raise SystemExit(f"--scale {scale} leaves too few serials; use a larger scale")
    batches = [0] * finals
    for n, j in enumerate(g.reached_orders):
        batches[j] = target // len(g.reached_orders) + (
            1 if n < target % len(g.reached_orders) else 0
        )
    weights = [0.5 + rnd.random() for _ in others]
    total_weight = sum(weights)
    shares = [int(rest * w / total_weight) for w in weights]
    for n in range(rest - sum(shares)):
        shares[n % len(shares)] += 1
    for j, share in zip(others, shares, strict=True):
        batches[j] = share
    if not others:  # tiny scale: everything is reached
        batches[g.reached_orders[0]] += rest
    g.batches = batches
    position = 0
    for size in batches:
        g.first_serial.append(position)
        position += size
    return g


# --------------------------------------------------------------------------- rows


NODE_COLUMNS = (
    "id",
    "item_code",
    "kind",
    "code",
    "lot_number",
    "supplier",
    "supplier_lot",
    "date_code",
    "purchase_order",
    "receipt_number",
    "receipt_date",
    "expiry_date",
    "work_order",
    "status",
    "location_code",
    "quality_state",
    "sales_order",
    "customer",
    "first_seen_at",
    "updated_at",
)
ORDER_COLUMNS = ("number", "item_code", "bom_revision", "status", "quantity", "updated_at")
LINK_COLUMNS = ("id", "work_order", "role", "how", "node_id", "quantity")
STOCK_COLUMNS = ("node_id", "location_code", "quality_state", "quantity")
HISTORY_COLUMNS = (
    "id",
    "node_id",
    "source_seq",
    "movement_id",
    "action",
    "document_type",
    "document_id",
    "from_location",
    "to_location",
    "from_state",
    "to_state",
    "quantity",
    "reversal",
    "work_order",
    "sales_order",
    "customer",
    "supplier",
    "occurred_at",
)
DOCUMENT_COLUMNS = ("document_type", "document_id", "number")
QC_COLUMNS = (
    "id",
    "node_id",
    "record_key",
    "source",
    "kind",
    "document_number",
    "result",
    "inspector",
    "accepted_quantity",
    "rejected_quantity",
    "details",
    "occurred_at",
)
OPERATION_COLUMNS = (
    "id",
    "record_id",
    "source",
    "kind",
    "work_order",
    "node_id",
    "operation",
    "station",
    "operator",
    "result",
    "started_at",
    "finished_at",
    "details",
    "fingerprint",
    "recorded_at",
)
PRODUCTION = "VIRTUAL/PRODUCTION"
QUALIFIED = "qualified"


class Ids:
    """Node ids: level 0 lots, then the lots of levels 1-7, then the serials."""

    def __init__(self, g: Genealogy) -> None:
        self.offset = [0]
        for level in range(LEVELS):
            self.offset.append(self.offset[-1] + g.lots(level))
        self.serial_offset = self.offset[LEVELS]
        self.total = self.serial_offset + g.serials

    def lot(self, level: int, j: int) -> int:
        return self.offset[level] + j + 1

    def serial(self, n: int) -> int:
        return self.serial_offset + n + 1


def in_stock(g: Genealogy, level: int, j: int) -> bool:
    """The newest 5 % of each level's lots (and the last bulk lot) are still in stock."""
    if level > 0:
        return j >= g.lots(level) * 0.95
    return j >= g.parts * 0.95 if j < g.parts else j == g.lots(0) - 1


def lot_quantity(level: int, j: int) -> Decimal:
    return DEC[1000 + (j * 37) % 1000] if level == 0 else DEC[100 + (j * 13 + level) % 400]


def receipt_document(g: Genealogy, j: int) -> int:
    return j // 3 if j < g.parts else 1_000_000 + j


def node_rows(g: Genealogy, ids: Ids) -> Iterator[tuple[Any, ...]]:
    for j in range(g.lots(0)):
        at = g.lot_time(0, j)
        received = (at - timedelta(days=3)).date()
        bulk = j >= g.parts
        stocked = in_stock(g, 0, j)
        code = g.lot_code(0, j)
        year, week, _ = received.isocalendar()
        yield (
            ids.lot(0, j),
            g.lot_item(0, j),
            "lot",
            code,
            code,
            "Resin Supplier" if bulk else f"Supplier {j % 23:02d}",
            f"SL{(j * 7919) % 1_000_000:06d}",
            f"{year % 100:02d}{week:02d}",
            f"PO-{j // 12:06d}",
            f"GR-{receipt_document(g, j):07d}",
            received,
            received + timedelta(days=730) if j % 3 == 0 or bulk else None,
            "",
            "in_stock" if stocked else "consumed",
            "WH/RAW" if stocked else "",
            QUALIFIED if stocked else "",
            "",
            "",
            at - timedelta(days=3),
            at,
        )
    for level in range(1, LEVELS):
        for j in range(g.orders[level]):
            at = g.lot_time(level, j)
            stocked = in_stock(g, level, j)
            code = g.lot_code(level, j)
            yield (
                ids.lot(level, j),
                g.lot_item(level, j),
                "lot",
                code,
                code,
                "",
                "",
                "",
                "",
                "",
                None,
                None,
                g.order_number(level, j),
                "in_stock" if stocked else "consumed",
                "WH/WIP" if stocked else "",
                QUALIFIED if stocked else "",
                "",
                "",
                at,
                at,
            )
    for j, batch in enumerate(g.batches):
        at = g.order_time(LEVELS, j) + timedelta(hours=4)
        for n in range(g.first_serial[j], g.first_serial[j] + batch):
            shipped = g.shipped(n)
            yield (
                ids.serial(n),
                g.final_item(j),
                "serial",
                g.serial_code(n),
                "",
                "",
                "",
                "",
                "",
                "",
                None,
                None,
                g.order_number(LEVELS, j),
                "shipped" if shipped else "in_stock",
                "" if shipped else "WH/FG",
                "" if shipped else QUALIFIED,
                f"SO-{n // 200:06d}" if shipped else "",
                f"Customer {(n // 200 * 7) % 97:02d}" if shipped else "",
                at,
                at + timedelta(days=5) if shipped else at,
            )


def order_rows(g: Genealogy) -> Iterator[tuple[Any, ...]]:
    for level in range(1, LEVELS + 1):
        for j in range(g.orders[level]):
            item = g.final_item(j) if level == LEVELS else g.lot_item(level, j)
            quantity = Decimal(g.batches[j]) if level == LEVELS else lot_quantity(level, j)
            revision = "B" if (j // 500) % 3 == 2 else "A"
            yield (
                g.order_number(level, j),
                item,
                revision,
                "closed",
                quantity,
                g.order_time(level, j) + timedelta(hours=4),
            )


def input_quantity(level: int, j: int, lot: int) -> Decimal:
    return DEC[1 + (j * 31 + lot * 17 + level) % 40]


def link_rows(g: Genealogy, ids: Ids) -> Iterator[tuple[Any, ...]]:
    next_id = 1
    for level in range(1, LEVELS + 1):
        for j, lots in enumerate(g.inputs[level]):
            number = g.order_number(level, j)
            for lot in lots:
                quantity = input_quantity(level, j, lot)
                yield (next_id, number, "input", "consumed", ids.lot(level - 1, lot), quantity)
                next_id += 1
            if level < LEVELS:
                yield (
                    next_id,
                    number,
                    "output",
                    "produced",
                    ids.lot(level, j),
                    lot_quantity(level, j),
                )
                next_id += 1
                continue
            for n in range(g.first_serial[j], g.first_serial[j] + g.batches[j]):
                yield (next_id, number, "output", "produced", ids.serial(n), DEC[1])
                next_id += 1


def stock_rows(g: Genealogy, ids: Ids) -> Iterator[tuple[Any, ...]]:
    for level in range(LEVELS):
        for j in range(g.lots(level)):
            if in_stock(g, level, j):
                where = "WH/RAW" if level == 0 else "WH/WIP"
                yield (ids.lot(level, j), where, QUALIFIED, DEC[10 + j % 90])


def production_document(g: Genealogy, level: int, j: int) -> int:
    return sum(g.orders[1:level]) + j + 1


def history_rows(g: Genealogy, ids: Ids) -> Iterator[tuple[Any, ...]]:
    seq = 0
    for j in range(g.lots(0)):
        seq += 1
        at = g.lot_time(0, j) - timedelta(days=3)
        supplier = "Resin Supplier" if j >= g.parts else f"Supplier {j % 23:02d}"
        yield (
            seq,
            ids.lot(0, j),
            seq,
            seq,
            "received",
            "purchase_receipt",
            receipt_document(g, j),
            "VIRTUAL/SUPPLIER",
            "WH/RAW",
            "pending_inspection",
            "pending_inspection",
            lot_quantity(0, j),
            False,
            "",
            "",
            "",
            supplier,
            at,
        )
    for level in range(1, LEVELS + 1):
        for j, lots in enumerate(g.inputs[level]):
            number = g.order_number(level, j)
            document = production_document(g, level, j)
            at = g.order_time(level, j)
            for lot in lots:
                seq += 1
                yield (
                    seq,
                    ids.lot(level - 1, lot),
                    seq,
                    seq,
                    "consumed",
                    "production_receipt",
                    document,
                    "LINE/A",
                    PRODUCTION,
                    QUALIFIED,
                    QUALIFIED,
                    input_quantity(level, j, lot),
                    False,
                    number,
                    "",
                    "",
                    "",
                    at,
                )
            outputs: Iterable[tuple[int, Decimal]]
            if level < LEVELS:
                outputs = [(ids.lot(level, j), lot_quantity(level, j))]
            else:
                outputs = (
                    (ids.serial(n), DEC[1])
                    for n in range(g.first_serial[j], g.first_serial[j] + g.batches[j])
                )
            for node_id, quantity in outputs:
                seq += 1
                yield (
                    seq,
                    node_id,
                    seq,
                    seq,
                    "produced",
                    "production_receipt",
                    document,
                    PRODUCTION,
                    "WH/FG" if level == LEVELS else "WH/WIP",
                    QUALIFIED,
                    QUALIFIED,
                    quantity,
                    False,
                    number,
                    "",
                    "",
                    "",
                    at + timedelta(hours=4),
                )
    for j, batch in enumerate(g.batches):
        at = g.order_time(LEVELS, j) + timedelta(days=5)
        for n in range(g.first_serial[j], g.first_serial[j] + batch):
            if not g.shipped(n):
                continue
            seq += 1
            yield (
                seq,
                ids.serial(n),
                seq,
                seq,
                "shipped",
                "shipment",
                n // 20 + 1,
                "WH/FG",
                "VIRTUAL/CUSTOMER",
                QUALIFIED,
                QUALIFIED,
                DEC[1],
                False,
                "",
                f"SO-{n // 200:06d}",
                f"Customer {(n // 200 * 7) % 97:02d}",
                "",
                at,
            )


def document_rows(g: Genealogy) -> Iterator[tuple[Any, ...]]:
    receipts = sorted({receipt_document(g, j) for j in range(g.lots(0))})
    for key in receipts:
        yield ("purchase_receipt", key, f"GR-{key:07d}")
    for level in range(1, LEVELS + 1):
        for j in range(g.orders[level]):
            key = production_document(g, level, j)
            yield ("production_receipt", key, f"PR-{key:07d}")
    shipments = sorted({n // 20 + 1 for n in range(g.serials) if g.shipped(n)})
    for key in shipments:
        yield ("shipment", key, f"SH-{key:07d}")


def qc_rows(g: Genealogy, ids: Ids) -> Iterator[tuple[Any, ...]]:
    for j in range(g.lots(0)):
        number = f"IQC-{j:07d}"
        details = json.dumps(
            {"sample_size": 32, "defects": [], "note": "", "location_code": "WH/RAW"}
        )
        yield (
            j + 1,
            ids.lot(0, j),
            f"stock:{number}",
            "stock",
            "inspection",
            number,
            "accepted",
            f"Inspector {j % 4}",
            lot_quantity(0, j),
            DEC[0],
            details,
            g.lot_time(0, j) - timedelta(days=2),
        )


def operation_rows(g: Genealogy) -> Iterator[tuple[Any, ...]]:
    next_id = 1
    for level in range(1, LEVELS + 1):
        steps = ("0010", "0020", "0030", "0040") if level == LEVELS else ("0010", "0020")
        for j in range(g.orders[level]):
            number = g.order_number(level, j)
            at = g.order_time(level, j)
            for n, step in enumerate(steps):
                started = at + timedelta(minutes=40 * n)
                yield (
                    next_id,
                    f"OP-{number}-{step}",
                    "mrp",
                    "operation",
                    number,
                    None,
                    step,
                    f"L{level}-S{(j + n) % 6 + 1}",
                    f"op{(j * 7 + n) % 31:02d}",
                    "pass",
                    started,
                    started + timedelta(minutes=35),
                    "{}",
                    f"{next_id:064x}",
                    started + timedelta(minutes=36),
                )
                next_id += 1


# --------------------------------------------------------------------------- loading


async def load_genealogy(dsn: str, g: Genealogy) -> dict[str, Any]:
    """COPY the graph into trace's (empty, migrated) database, then VACUUM ANALYZE."""
    import asyncpg

    ids = Ids(g)
    tables: list[tuple[str, tuple[str, ...], Iterator[tuple[Any, ...]]]] = [
        ("trace_nodes", NODE_COLUMNS, node_rows(g, ids)),
        ("trace_work_orders", ORDER_COLUMNS, order_rows(g)),
        ("trace_links", LINK_COLUMNS, link_rows(g, ids)),
        ("trace_node_stock", STOCK_COLUMNS, stock_rows(g, ids)),
        ("trace_history", HISTORY_COLUMNS, history_rows(g, ids)),
        ("trace_documents", DOCUMENT_COLUMNS, document_rows(g)),
        ("trace_qc_records", QC_COLUMNS, qc_rows(g, ids)),
        ("trace_operations", OPERATION_COLUMNS, operation_rows(g)),
    ]
    rows: dict[str, int] = {}
    seconds: dict[str, float] = {}
    connection = await asyncpg.connect(dsn)
    try:
        for table, columns, _ in tables:
            await check_table(connection, table, columns, "bench/trace.py")
        if await connection.fetchval("SELECT count(*) FROM trace_nodes"):
            raise SystemExit("trace's database is not empty; the bench needs a fresh one")
        started = time.perf_counter()
        async with connection.transaction():
            for table, columns, records in tables:
                began = time.perf_counter()
                status = await connection.copy_records_to_table(
                    table, records=records, columns=columns
                )
                rows[table] = int(str(status).split()[-1])
                seconds[table] = round(time.perf_counter() - began, 1)
                print(f"  {table}: {rows[table]} rows in {seconds[table]} s", flush=True)
            for table in ("trace_nodes", "trace_links", "trace_history"):
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            for table in ("trace_qc_records", "trace_operations"):
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"
                )
        copy_s = time.perf_counter() - started
        started = time.perf_counter()
        for table, _, _ in tables:
            await connection.execute(f"VACUUM (ANALYZE) {table}")
        analyze_s = time.perf_counter() - started
        size = await connection.fetchval("SELECT pg_database_size(current_database())")
    finally:
        await connection.close()
    if rows["trace_links"] != g.links:
        raise SystemExit(f"wrote {rows['trace_links']} links, the graph has {g.links}")
    return {
        "rows": rows,
        "copy_s": round(copy_s, 1),
        "copy_s_by_table": seconds,
        "vacuum_analyze_s": round(analyze_s, 1),
        "database_mb": round(size / 1e6),
    }


# --------------------------------------------------------------------------- traces


def expect(response: httpx.Response, status: int, what: str) -> Any:
    if response.status_code != status:
        raise SystemExit(f"{what}: {response.status_code} {response.text[:2000]}")
    return orjson.loads(response.content)


def tree_entries(node: dict[str, Any]) -> int:
    count, stack = 0, [node]
    while stack:
        current = stack.pop()
        count += 1
        stack.extend(current.get("children", []))  # a repeated entry is a reference
    return count


async def backward_section(
    client: httpx.AsyncClient,
    g: Genealogy,
    args: argparse.Namespace,
    cpu: CpuMeter,
    shape: str = "tree",
) -> dict[str, Any]:
    """`shape=tree` (nested, the default) or `shape=graph` (nodes once, edges once)."""
    rnd = random.Random(args.seed + 1)
    chosen = rnd.sample(range(g.serials), min(g.serials, args.samples + args.warmup))
    warm, timed = chosen[: args.warmup], chosen[args.warmup :]

    def params(n: int) -> dict[str, str]:
        return {
            "item_code": g.final_item(g.order_of_serial(n)),
            "serial_number": g.serial_code(n),
            "shape": shape,
        }

    for n in warm:
        expect(await client.get("/v1/genealogy/backward", params=params(n)), 200, "warm-up")
    latencies: list[float] = []
    node_counts: list[int] = []
    entries: list[int] = []
    supplier_lots: list[int] = []
    sizes: list[int] = []
    wrong: list[str] = []
    cpu.start()
    for n in timed:
        started = time.perf_counter()
        response = await client.get("/v1/genealogy/backward", params=params(n))
        latencies.append((time.perf_counter() - started) * 1000)
        body = expect(response, 200, f"backward trace of {g.serial_code(n)}")
        sizes.append(len(response.content))
        nodes, tree = g.backward_size(g.order_of_serial(n))
        node_counts.append(body["node_count"])
        entries.append(tree_entries(body["root"]) if shape == "tree" else len(body["edges"]) + 1)
        supplier_lots.append(len(body["supplier_lots"]))
        if body["node_count"] != nodes or entries[-1] != tree or not body["complete"]:
            wrong.append(
                f"{g.serial_code(n)}: {body['node_count']} nodes, {entries[-1]} entries "
                f"(the graph: {nodes}, {tree})"
            )
    cpu.stop()
    figures = summary(latencies)
    cpu_ms = cpu.per_unit_ms(len(latencies))
    print(
        f"backward ({shape}): {len(latencies)} serials, p50 {figures['p50_ms']} ms, p95 "
        f"{figures['p95_ms']} ms, p99 {figures['p99_ms']} ms, mean {figures['mean_ms']} ms, "
        f"max {figures['max_ms']} ms; nodes per trace {spread(node_counts)}, tree entries "
        f"{spread(entries)}, answer {statistics.median(sizes) / 1e6:.2f} MB (median); "
        f"{len(wrong)} answers differ from the graph",
        flush=True,
    )
    print(
        fmt_cpu("trace", cpu_ms),
        flush=True,
    )
    return {
        "shape": shape,
        "samples": len(latencies),
        "warmup": len(warm),
        **figures,
        "node_count": spread(node_counts),
        "tree_entries": spread(entries),
        "supplier_lots": spread(supplier_lots),
        "answer_bytes_p50": statistics.median(sizes),
        "cpu_ms_per_trace": cpu_ms,
        "differ_from_graph": len(wrong),
        "examples": wrong[:5],
        "target": f"p99 < {TARGETS['backward_p99_ms']:.0f} ms",
        "met": figures["p99_ms"] < TARGETS["backward_p99_ms"] and not wrong,
    }


async def forward_section(
    client: httpx.AsyncClient, g: Genealogy, args: argparse.Namespace, cpu: CpuMeter
) -> dict[str, Any]:
    item, lot = g.lot_item(0, g.chosen), g.lot_code(0, g.chosen)
    serials = sum(g.batches[j] for j in g.reached_orders)
    shipped = sum(
        1
        for j in g.reached_orders
        for n in range(g.first_serial[j], g.first_serial[j] + g.batches[j])
        if g.shipped(n)
    )
    times: list[float] = []
    checks: list[str] = []
    counts: dict[str, Any] = {}
    cpu.start()
    for _ in range(args.repeats):
        started = time.perf_counter()
        response = await client.get(
            "/v1/genealogy/forward", params={"item_code": item, "lot_number": lot}
        )
        times.append((time.perf_counter() - started) * 1000)
        body = expect(response, 200, f"forward trace of {lot}")
        kinds = Counter(node["kind"] for node in body["nodes"])
        counts = {
            "nodes": len(body["nodes"]),
            "serials": kinds["serial"],
            "lots": kinds["lot"],
            "shipments": len(body["shipments"]),
            "max_depth": max((node["depth"] for node in body["nodes"]), default=0),
            "answer_bytes": len(response.content),
            "complete": body["complete"],
        }
        ok = (
            counts["serials"] == serials
            and counts["lots"] == g.reached_lots
            and counts["shipments"] == shipped
            and body["complete"]
        )
        checks.append("ok" if ok else f"WRONG {counts}")
    cpu.stop()
    cpu_ms = cpu.per_unit_ms(len(times))
    print(
        f"forward: lot {lot} of {item}, {args.repeats} times: "
        + ", ".join(f"{ms:.0f}" for ms in times)
        + f" ms (max {max(times):.0f} ms); {counts['nodes']} nodes ({counts['serials']} "
        f"serials, {counts['lots']} lots; the graph: {serials} and {g.reached_lots}), "
        f"{counts['shipments']} shipments, answer {counts['answer_bytes'] / 1e6:.1f} MB; "
        f"checks: {', '.join(sorted(set(checks)))}",
        flush=True,
    )
    print(
        fmt_cpu("trace", cpu_ms),
        flush=True,
    )
    return {
        "item_code": item,
        "lot_number": lot,
        "times_ms": [round(ms, 1) for ms in times],
        "max_ms": round(max(times), 1),
        "p50_ms": round(statistics.median(times), 1),
        "expected": {"serials": serials, "lots": g.reached_lots, "shipments": shipped},
        "answered": counts,
        "checks": checks,
        "cpu_ms_per_trace": cpu_ms,
        "target": f"< {TARGETS['forward_ms']:.0f} ms (the slowest of {args.repeats})",
        "met": max(times) < TARGETS["forward_ms"] and all(c == "ok" for c in checks),
    }


async def genealogy_run(
    stack: Stack, args: argparse.Namespace, g: Genealogy, dsn: str
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    print(
        f"setup: writing the genealogy ({g.links} links, {Ids(g).total} nodes) into "
        "trace's database ...",
        flush=True,
    )
    load = await load_genealogy(dsn, g)
    print(
        f"setup: COPY {load['copy_s']} s, VACUUM ANALYZE {load['vacuum_analyze_s']} s, "
        f"database {load['database_mb']} MB",
        flush=True,
    )
    results["load"] = load
    token = await api_key(stack, "bench-trace")
    async with httpx.AsyncClient(
        base_url=stack.gateway_url, headers={"Authorization": f"Bearer {token}"}, timeout=300
    ) as client:
        if "backward" in args.only:
            results["backward"] = await backward_section(client, g, args, CpuMeter.of(stack))
            results["backward_graph"] = await backward_section(
                client, g, args, CpuMeter.of(stack), shape="graph"
            )
        if "forward" in args.only:
            results["forward"] = await forward_section(client, g, args, CpuMeter.of(stack))
    return results


def describe(g: Genealogy) -> dict[str, Any]:
    per_level = [g.lots(0)] + [g.orders[k] for k in range(1, LEVELS)]
    sizes = [g.batches[j] for j in range(len(g.batches))]
    sample = random.Random(1).sample(range(g.orders[LEVELS]), min(50, g.orders[LEVELS]))
    backward = [g.backward_size(j) for j in sample]
    return {
        "links": g.links,
        "nodes": Ids(g).total,
        "levels": LEVELS,
        "fan_in": FAN_IN,
        "lots_per_level_0_to_7": per_level,
        "purchased_part_lots": g.parts,
        "bulk_lots": g.bulk,
        "level_1_orders_per_bulk_lot": g.span,
        "work_orders_per_level_1_to_8": g.orders[1:],
        "serials": g.serials,
        "serials_per_final_order": spread(sizes),
        "forward_start": g.lot_code(0, g.chosen),
        "forward_reaches": {
            "lots": g.reached_lots,
            "final_orders": len(g.reached_orders),
            "serials": sum(g.batches[j] for j in g.reached_orders),
        },
        "backward_nodes_of_50_serials": spread([nodes for nodes, _ in backward]),
        "backward_tree_entries_of_50_serials": spread([tree for _, tree in backward]),
    }


# --------------------------------------------------------------------------- ingestion


@dataclass
class FeedPlan:
    """The fake stock feed and what trace should make of it."""

    events: list[bytes] = field(default_factory=list)
    traced: int = 0  # movements that name a lot or a serial
    untracked: int = 0
    nodes: set[tuple[str, str, str]] = field(default_factory=set)
    links: dict[tuple[str, str, str, str, str, str], Decimal] = field(
        default_factory=lambda: defaultdict(Decimal)
    )
    shipped: set[str] = field(default_factory=set)
    kinds: Counter[str] = field(default_factory=Counter)


class FeedWriter:
    """Stock's movements as its feed carries them: `MovementPosted`, payload `MovementOut`."""

    def __init__(self, total: int, seed: int) -> None:
        from services.stock.schemas import MovementOut

        self.model = MovementOut
        self.total = total
        self.rnd = random.Random(seed)
        self.plan = FeedPlan()
        self.clock = START
        self.documents: Counter[str] = Counter()

    @property
    def full(self) -> bool:
        return len(self.plan.events) >= self.total

    def document(self, kind: str) -> int:
        self.documents[kind] += 1
        return self.documents[kind]

    def move(
        self,
        kind: str,
        document_type: str,
        document_id: int,
        item: str,
        quantity: Decimal,
        source: str,
        target: str,
        *,
        lot: str | None = None,
        serial: str | None = None,
        states: tuple[str, str] = (QUALIFIED, QUALIFIED),
        stage: str = "raw",
        reversal_of: int | None = None,
        link: tuple[str, str, Decimal] | None = None,
        **references: str,
    ) -> int:
        """Append one movement (nothing once the feed is full); returns its id. `link`
        (role, how, signed quantity) is what it should add to its node's link with its
        work order."""
        if self.full:
            return 0
        seq = len(self.plan.events) + 1
        self.clock += timedelta(seconds=40)
        payload = self.model.model_validate(
            {
                "id": seq,
                "document_type": document_type,
                "document_id": document_id,
                "item_code": item,
                "lot_number": lot,
                "serial_number": serial,
                "quantity": quantity,
                "from_location": source,
                "to_location": target,
                "from_state": states[0],
                "to_state": states[1],
                "stage": stage,
                "sequence": seq,
                "unit_cost": Decimal("1.25"),
                "value": quantity * Decimal("1.25"),
                "posted_at": self.clock,
                "posted_by": "user:bench",
                "reversal_of_id": reversal_of,
                **references,
            }
        ).model_dump(mode="json")
        event = {
            "seq": seq,
            "event_id": str(uuid.UUID(int=self.rnd.getrandbits(128), version=4)),
            "type": "MovementPosted",
            "aggregate_type": "movement",
            "aggregate_id": str(seq),
            "occurred_at": payload["posted_at"],
            "actor": "user:bench",
            "request_id": f"bench-{document_type}-{document_id}",
            "payload": payload,
        }
        self.plan.events.append(orjson.dumps(event))
        self.plan.kinds[kind] += 1
        if serial:
            self.plan.nodes.add((item, "serial", serial))
            self.plan.traced += 1
        elif lot:
            self.plan.nodes.add((item, "lot", lot))
            self.plan.traced += 1
        else:
            self.plan.untracked += 1
        if link is not None:
            role, how, signed = link
            kind, code = ("serial", serial) if serial else ("lot", str(lot))
            self.plan.links[(references["work_order"], role, how, item, kind, code)] += signed
        return seq


def feed_plan(total: int, seed: int) -> FeedPlan:
    """A factory's days: receipts and inspections, requisitions (a few returned),
    production receipts of sub-assembly lots and of serial-tracked finished units,
    shipments, and some untracked stock."""
    w = FeedWriter(total, seed)
    raw: list[list[Any]] = []  # [item, lot, remaining], oldest first
    wip: list[list[Any]] = []
    finished: list[tuple[str, str]] = []  # (item, serial) in stock, oldest first
    hundred, ten, fifty, one = DEC[100], DEC[10], DEC[50], DEC[1]
    day = 0
    while not w.full:
        day += 1
        w.clock = START + timedelta(days=day)
        receipt = w.document("purchase_receipt")
        inspection = w.document("inspection")
        supplier, purchase_order = f"Supplier {day % 23:02d}", f"PO-{day:06d}"
        for n in range(2):
            item, lot = f"RM-{w.rnd.randrange(200):04d}", f"PL{day:05d}-{n}"
            pending = ("pending_inspection", "pending_inspection")
            w.move(
                "receipt",
                "purchase_receipt",
                receipt,
                item,
                DEC[1000],
                "VIRTUAL/SUPPLIER",
                "WH/RAW",
                lot=lot,
                states=pending,
                supplier=supplier,
                purchase_order=purchase_order,
            )
            w.move(
                "inspection",
                "inspection",
                inspection,
                item,
                DEC[1000],
                "WH/RAW",
                "WH/RAW",
                lot=lot,
                states=("pending_inspection", QUALIFIED),
            )
            raw.append([item, lot, DEC[1000]])
        w.move(
            "untracked",
            "purchase_receipt",
            receipt,
            "CONS-GLUE",
            DEC[20],
            "VIRTUAL/SUPPLIER",
            "WH/RAW",
            supplier=supplier,
            purchase_order=purchase_order,
        )
        # three sub-assembly orders a day: 5 raw lots each, one lot out
        for n in range(3):
            number = f"WO-S{day:05d}-{n}"
            item_out, lot_out = f"SA-{(day * 3 + n) % 60:03d}", f"SL{day:05d}-{n}"
            extra = 1 if day % 10 == 0 and n == 0 else 0  # one line issued, then returned
            requisition = w.document("requisition")
            issued: list[tuple[str, str, int]] = []
            for item, lot in take(raw, 5 + extra, hundred):
                seq = w.move(
                    "issue",
                    "requisition",
                    requisition,
                    item,
                    hundred,
                    "WH/RAW",
                    "LINE/A",
                    lot=lot,
                    work_order=number,
                    link=("input", "issued", hundred),
                )
                issued.append((item, lot, seq))
            glue = n == 0  # not lot-tracked; used by the day's first order
            if glue:
                w.move(
                    "untracked", "requisition", requisition, "CONS-GLUE", one, "WH/RAW", "LINE/A"
                )
            if extra and issued:
                item, lot, seq = issued.pop()
                w.move(
                    "issue reversal",
                    "requisition",
                    requisition,
                    item,
                    hundred,
                    "LINE/A",
                    "WH/RAW",
                    lot=lot,
                    work_order=number,
                    reversal_of=seq,
                    link=("input", "issued", -hundred),
                )
                give_back(raw, lot, hundred)
            completion = w.document("production_receipt")
            for item, lot, _ in issued:
                w.move(
                    "consumption",
                    "production_receipt",
                    completion,
                    item,
                    hundred,
                    "LINE/A",
                    PRODUCTION,
                    lot=lot,
                    work_order=number,
                    link=("input", "consumed", hundred),
                )
            if glue:
                w.move(
                    "untracked",
                    "production_receipt",
                    completion,
                    "CONS-GLUE",
                    one,
                    "LINE/A",
                    PRODUCTION,
                )
            w.move(
                "output",
                "production_receipt",
                completion,
                item_out,
                fifty,
                PRODUCTION,
                "WH/WIP",
                lot=lot_out,
                stage="semi_finished",
                work_order=number,
                link=("output", "produced", fifty),
            )
            wip.append([item_out, lot_out, fifty])
        # one finished order a day: 3 sub-assembly lots and 2 raw lots, 8 serials out
        number, product = f"WO-F{day:05d}", f"FG-{day % 20:03d}"
        requisition = w.document("requisition")
        parts = [(item, lot, ten, "WH/WIP") for item, lot in take(wip, 3, ten)]
        parts += [(item, lot, fifty, "WH/RAW") for item, lot in take(raw, 2, fifty)]
        for item, lot, quantity, store in parts:
            w.move(
                "issue",
                "requisition",
                requisition,
                item,
                quantity,
                store,
                "LINE/A",
                lot=lot,
                work_order=number,
                link=("input", "issued", quantity),
            )
        completion = w.document("production_receipt")
        for item, lot, quantity, _ in parts:
            w.move(
                "consumption",
                "production_receipt",
                completion,
                item,
                quantity,
                "LINE/A",
                PRODUCTION,
                lot=lot,
                work_order=number,
                link=("input", "consumed", quantity),
            )
        for n in range(8):
            serial = f"SN{day:05d}{n:02d}"
            if w.move(
                "output",
                "production_receipt",
                completion,
                product,
                one,
                PRODUCTION,
                "WH/FG",
                serial=serial,
                stage="finished",
                work_order=number,
                link=("output", "produced", one),
            ):
                finished.append((product, serial))
        # ship the six oldest units
        shipment = w.document("shipment")
        sales_order, customer = f"SO-{day // 3:05d}", f"Customer {day % 17:02d}"
        for product, serial in finished[:6]:
            if w.move(
                "shipment",
                "shipment",
                shipment,
                product,
                one,
                "WH/FG",
                "VIRTUAL/CUSTOMER",
                serial=serial,
                stage="finished",
                sales_order=sales_order,
                customer=customer,
            ):
                w.plan.shipped.add(serial)
        del finished[:6]
    return w.plan


def take(pool: list[list[Any]], count: int, quantity: Decimal) -> list[tuple[str, str]]:
    """The `count` oldest lots with `quantity` left (first in, first out)."""
    chosen: list[tuple[str, str]] = []
    for entry in pool:
        if entry[2] >= quantity:
            entry[2] -= quantity
            chosen.append((entry[0], entry[1]))
            if len(chosen) == count:
                break
    pool[:] = [entry for entry in pool if entry[2] > 0]
    return chosen


def give_back(pool: list[list[Any]], lot: str, quantity: Decimal) -> None:
    for entry in pool:
        if entry[1] == lot:
            entry[2] += quantity
            return
    pool.insert(0, ["", lot, quantity])  # never the case: the lot was just issued


class FakeFeeds:
    """An ASGI app: stock's feed at /stock/v1/events, an empty mrp feed at /mrp/v1/events."""

    def __init__(self, events: list[bytes]) -> None:
        self.events = events
        self.pages = 0

    def page(self, after: int, limit: int) -> bytes:
        return feed_page(self.events, after, limit)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        after, limit = feed_query(scope)
        status = 200
        if scope["path"] == "/stock/v1/events":
            self.pages += 1
            body = self.page(after, limit)
        elif scope["path"] == "/mrp/v1/events":
            body = b'{"events":[],"next_after":%d,"has_more":false}' % after
        else:
            status, body = 404, b'{"code":"not_found"}'
        await send_json(send, status, body)


async def verify_ingest(dsn: str, plan: FeedPlan) -> dict[str, Any]:
    import asyncpg

    connection = await asyncpg.connect(dsn)
    try:
        history = await connection.fetchval("SELECT count(*) FROM trace_history")
        nodes = {
            (row["item_code"], row["kind"], row["code"])
            for row in await connection.fetch("SELECT item_code, kind, code FROM trace_nodes")
        }
        links = {
            (r["work_order"], r["role"], r["how"], r["item_code"], r["kind"], r["code"]): r[
                "quantity"
            ]
            for r in await connection.fetch(
                "SELECT l.work_order, l.role, l.how, n.item_code, n.kind, n.code, l.quantity"
                " FROM trace_links l JOIN trace_nodes n ON n.id = l.node_id"
            )
        }
        shipped = {
            row["code"]
            for row in await connection.fetch(
                "SELECT code FROM trace_nodes WHERE kind = 'serial' AND status = 'shipped'"
            )
        }
        processed = await connection.fetchval(
            "SELECT count(*) FROM processed_events WHERE source = 'stock'"
        )
        cursor = await connection.fetchval(
            "SELECT last_seq FROM consumer_cursors WHERE source = 'stock'"
        )
    finally:
        await connection.close()
    wrong_links = [key for key, quantity in plan.links.items() if links.get(key) != quantity]
    extra_links = [key for key in links if key not in plan.links]
    problems = []
    if history != plan.traced:
        problems.append(f"{history} history rows, {plan.traced} movements name a lot or serial")
    if nodes != plan.nodes:
        problems.append(
            f"{len(nodes)} nodes, {len(plan.nodes)} named ({len(plan.nodes - nodes)} missing)"
        )
    if wrong_links or extra_links:
        problems.append(
            f"{len(wrong_links)} of {len(plan.links)} links wrong or missing "
            f"(e.g. {wrong_links[:2]}), {len(extra_links)} unexpected"
        )
    if shipped != plan.shipped:
        problems.append(f"{len(shipped)} units shipped, {len(plan.shipped)} were")
    if processed != len(plan.events) or cursor != len(plan.events):
        problems.append(f"{processed} events processed, cursor at {cursor}")
    return {
        "history_rows": history,
        "nodes": len(nodes),
        "links": len(links),
        "links_checked": len(plan.links),
        "shipped_units": len(shipped),
        "processed_events": processed,
        "ok": not problems,
        "problems": problems,
    }


async def ingest_section(url: str, dsn: str, args: argparse.Namespace) -> dict[str, Any]:
    import uvicorn

    from services.trace.app import create_app
    from services.trace.settings import Settings

    started = time.perf_counter()
    plan = feed_plan(args.movements, args.seed)
    print(
        f"setup: {len(plan.events)} MovementPosted events generated in "
        f"{time.perf_counter() - started:.1f} s ({plan.traced} name a lot or serial, "
        f"{plan.untracked} untracked; {dict(plan.kinds)})",
        flush=True,
    )
    feeds = FakeFeeds(plan.events)
    port = ephemeral_port("127.0.0.1")
    server = uvicorn.Server(
        uvicorn.Config(
            feeds,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
            access_log=False,
        )
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            raise SystemExit(f"the fake feed server did not start: {serving.exception()!r}")
        await asyncio.sleep(0.02)
    base = f"http://127.0.0.1:{port}"
    settings = Settings(
        database_url=url,
        service_urls={"stock": f"{base}/stock", "mrp": f"{base}/mrp"},
        run_background_tasks=False,
        freeze_heap_at_startup=True,
        internal_token_secret=secrets.token_urlsafe(48),
        log_level="WARNING",
        event_subscribers=[],
    )
    app = create_app(settings)
    cpu = CpuMeter({})
    try:
        async with app.router.lifespan_context(app):
            consumer = app.state.consumers["stock"]
            if args.feed_batch:
                consumer.batch_size = args.feed_batch
            batch = consumer.batch_size
            cpu.start()
            started = time.perf_counter()
            applied = await consumer.catch_up()
            seconds = time.perf_counter() - started
            cpu.stop()
    finally:
        server.should_exit = True
        await serving
    rate = applied / seconds
    cpu_ms = cpu.per_unit_ms(applied)
    verified = await verify_ingest(dsn, plan)
    print(
        f"ingest: {applied} movements in {seconds:.1f} s = {rate:.0f}/s (pages of {batch}"
        f"{' as trace sets it' if not args.feed_batch else ''}, "
        f"{feeds.pages} pages served); verification: {verified['history_rows']} history rows, "
        f"{verified['nodes']} nodes, {verified['links']} links, {verified['shipped_units']} "
        f"units shipped: {'ok' if verified['ok'] else 'WRONG ' + '; '.join(verified['problems'])}",
        flush=True,
    )
    print(
        fmt_cpu("movement", cpu_ms)
        + " (trace and the fake feed both run in the load generator's process)",
        flush=True,
    )
    return {
        "movements": len(plan.events),
        "traced_movements": plan.traced,
        "untracked_movements": plan.untracked,
        "movement_kinds": dict(plan.kinds),
        "applied": applied,
        "page_size": batch,
        "page_size_is_default": not args.feed_batch,
        "pages": feeds.pages,
        "seconds": round(seconds, 2),
        "movements_per_s": round(rate, 1),
        "cpu_ms_per_movement": cpu_ms,
        "verification": verified,
        "target": f">= {TARGETS['ingest_per_s']:.0f} movements/s",
        "met": rate >= TARGETS["ingest_per_s"] and verified["ok"] and applied == len(plan.events),
    }


# --------------------------------------------------------------------------- the run


def verdicts(results: dict[str, Any]) -> list[tuple[str, str, bool]]:
    lines = []
    for key in ("backward", "backward_graph"):
        back = results.get(key)
        if back:
            lines.append(
                (
                    f"backward ({back['shape']})",
                    f"p50 {back['p50_ms']} ms, p95 {back['p95_ms']} ms, p99 {back['p99_ms']} ms, "
                    f"mean {back['mean_ms']} ms over {back['samples']} serials "
                    f"({back['node_count']['p50']} nodes, {back['tree_entries']['p50']} tree "
                    f"entries each, median; answer {back['answer_bytes_p50'] / 1e6:.2f} MB) "
                    f"(target {back['target']})",
                    back["met"],
                )
            )
    forward = results.get("forward")
    if forward:
        lines.append(
            (
                "forward",
                f"{', '.join(f'{ms:.0f}' for ms in forward['times_ms'])} ms, max "
                f"{forward['max_ms']} ms for {forward['answered'].get('serials')} serials "
                f"(target {forward['target']})",
                forward["met"],
            )
        )
    ingest = results.get("ingest")
    if ingest:
        lines.append(
            (
                "ingest",
                f"{ingest['movements_per_s']}/s ({ingest['applied']} movements in "
                f"{ingest['seconds']} s, pages of {ingest['page_size']}"
                f"{' as trace sets it' if ingest['page_size_is_default'] else ''}; verified "
                f"{ingest['verification']['ok']}) (target {ingest['target']})",
                ingest["met"],
            )
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/trace.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--scale", type=float, default=1.0, help="size of the data (1: the issue's; >= 0.01)"
    )
    parser.add_argument("--samples", type=int, default=200, help="backward traces timed")
    parser.add_argument("--warmup", type=int, default=20, help="backward traces first")
    parser.add_argument("--repeats", type=int, default=5, help="forward traces timed")
    parser.add_argument(
        "--movements", type=int, default=None, help="movements ingested (100,000 x scale)"
    )
    parser.add_argument(
        "--feed-batch",
        type=int,
        default=None,
        help="page size of the feed consumer (default: what the trace app sets)",
    )
    parser.add_argument("--seed", type=int, default=20261127, help="of every random choice")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--only",
        type=lambda text: set(text.split(",")),
        default=set(SECTIONS),
        help="sections to run, comma-separated: backward, forward, ingest (default all)",
    )
    args = parser.parse_args(argv)
    if not args.only <= set(SECTIONS):
        parser.error(f"--only takes {', '.join(SECTIONS)}")
    if not 0.01 <= args.scale <= 10:
        parser.error("--scale takes 0.01 to 10")
    if args.movements is None:
        args.movements = max(1_000, round(FULL["movements"] * args.scale))
    pg_url = os.environ.get("BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432")
    suffix = uuid.uuid4().hex[:8]
    tracing = bool(args.only & {"backward", "forward"})
    databases = {
        "genealogy": f"bench_trace_{suffix}" if tracing else None,
        "ingest": f"bench_trace_ingest_{suffix}" if "ingest" in args.only else None,
    }
    info = machine()
    started = time.perf_counter()
    results: dict[str, Any] = {}
    try:
        for database in databases.values():
            if database:
                asyncio.run(pg_execute(pg_url, f'CREATE DATABASE "{database}"'))
        if databases["genealogy"]:
            began = time.perf_counter()
            g = generate(args.scale, args.seed)
            results["graph"] = describe(g)
            graph = results["graph"]
            print(
                f"setup: genealogy of {g.links} links and {graph['nodes']} nodes generated in "
                f"{time.perf_counter() - began:.1f} s: lots per level 0-7 "
                f"{graph['lots_per_level_0_to_7']}, work orders per level 1-8 "
                f"{graph['work_orders_per_level_1_to_8']}, {g.serials} serials "
                f"({graph['serials_per_final_order']} per final order); forward start "
                f"{graph['forward_start']} reaches {graph['forward_reaches']}; a serial's "
                f"backward trace {graph['backward_nodes_of_50_serials']} nodes",
                flush=True,
            )
            var_dir = Path(tempfile.mkdtemp(prefix="bench-trace-"))
            print(
                f"starting the stack in {var_dir} (trace on PostgreSQL "
                f"{databases['genealogy']}) ...",
                flush=True,
            )
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
                database_overrides={"trace": f"{pg_url.rstrip('/')}/{databases['genealogy']}"},
            )
            try:
                results |= asyncio.run(
                    genealogy_run(stack, args, g, pg_dsn(pg_url, databases["genealogy"]))
                )
            finally:
                stack.stop()
        if databases["ingest"]:
            from shared.db.migrate import upgrade

            url = f"{pg_url.rstrip('/')}/{databases['ingest']}"
            upgrade("trace", url)
            results["ingest"] = asyncio.run(
                ingest_section(url, pg_dsn(pg_url, databases["ingest"]), args)
            )
    finally:
        for database in databases.values():
            if database:
                asyncio.run(
                    pg_execute(pg_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
                )
    report = {
        "benchmark": "trace",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": info,
        "setup": "backward and forward: load generator, gateway, six services and PostgreSQL "
        "on this one machine, trace on PostgreSQL, the other services on SQLite; ingest: "
        "the stack stopped, trace's app and the fake stock feed in this process (one event "
        "loop), PostgreSQL",
        "arguments": {**vars(args), "only": sorted(args.only)},
        "duration_s": round(time.perf_counter() - started, 1),
        "load_average_after": os.getloadavg(),
        "results": results,
    }
    return report_verdicts("trace", report, info, verdicts(results), strict=args.strict, width=9)


if __name__ == "__main__":
    raise SystemExit(main())
