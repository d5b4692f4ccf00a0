"""ERP connector benchmarks (vouchers from stock's feed, and the ERP pulling them), with erp
on PostgreSQL.

    make bench                      # runs this after the trace benchmark
    .venv/bin/python bench/erp.py [--scale 1.0] [--movements N] [--feed-batch N]
                                  [--rate 1000] [--lag-seconds 20] [--vouchers N]
                                  [--page 1000] [--profile 25] [--seed 20261128]
                                  [--strict] [--only ingest,lag,pull]

ingest and lag run erp in this process: `services.erp.app.create_app` on a fresh
PostgreSQL database (`BENCH_POSTGRES_URL`, default postgresql+asyncpg://postgres@127.0.0.1:5432;
created for the run, migrated with erp's Alembic migrations, dropped afterwards), background
tasks off, heap frozen at start as the services do, its lifespan run. Stock and the catalog
are a fake feed server (an in-process uvicorn on a free port, on the same event loop)
answering `GET /stock/v1/events?after=&limit=` and `GET /catalog/v1/events`. Before anything
is timed, two company books are opened through erp's own HTTP API (in-process, an admin
token): CAS from the 企业会计准则 template and SBAS from the 小企业会计准则 template, both
`per_document`. A firm keeps one standard, not two; two books double erp's work (every
document gives a voucher in each), and that doubled work is what is timed. Then erp's
catalog consumer catches up on `ItemCreated` events (payload: the catalog's `ItemOut`,
built with that model) for the 270 items the feed names: 200 raw materials (one in ten
not lot-tracked), 40 semi-finished and 30 finished goods (10 of them serial-tracked). The
item type is the valuation class erp needs for stock on the line.

The stock feed is what stock writes: every movement as a `MovementPosted` event whose
payload is stock's `MovementOut` (built with that model, decimals as strings, the stage
derived as stock derives it), a document's movements one after the other, then ONE event
of the document (`ReceiptPosted`, `RequisitionReversed`, ...: aggregate type and id the
document, payload its id, number, status, lines, and for receipts and inspections their
movements, as stock's ReceiptOut and InspectionOut carry them); that event closes the
document's vouchers. Each simulated day has:

* 5 purchase receipts of 1-6 lines (half of them one line) from VIRTUAL/SUPPLIER to
  WH1/RAW/A-01, pending inspection, stage raw, with supplier and purchase order (101);
  3 % are reversed at once (102, red ink, `ReceiptReversed`), the others inspected
  (an inspection per receipt, pending -> qualified in place: 321, which gives no voucher);
* 1 transfer of 1-3 lots between WH1/RAW/A-01 and WH1/RAW/B-02 (311, no voucher);
* 4 requisitions of 1-20 lines (uniform) issuing raw lots, and one line in five a
  semi-finished lot, first in first out, to LINE-1 for a work order (stage wip: 261);
  2 % are reversed (262, red ink);
* a production receipt for each work order not reversed: the components issued are
  consumed at the line into VIRTUAL/PRODUCTION (261/wip: no voucher lines, the template
  costed them at issue), and the output, valued at what was consumed, comes out of
  VIRTUAL/PRODUCTION into WH1/SF/A-01 (a semi-finished lot, 35 %) or WH1/FG/A-01 (a
  finished lot, or 1-6 serial-tracked units, one movement each), with the work order
  (101/work_order); 1 % are reversed;
* 3 shipments of 1-4 lines of finished stock to VIRTUAL/CUSTOMER (serials one movement
  each) with customer and sales order (601); 1 % are reversed (602, red ink).

Values are quantity x unit cost, positive, with 2, 3, 4 or 6 decimals (the item's).
The generator prints the mix it made. At full size: about 117 movements a day over 857
days, 100,012 movements in 18,247 documents; 35 % issues, 34 % consumption at the line,
8 % receipts and 8 % inspections, 7 % shipments, 5 % outputs, 2 % transfers, 1 %
reversals. 44 % give no voucher line (inspections, transfers, consumption at the line);
13,425 documents give a voucher in each book (26,850 vouchers in all).

* ingest: `app.state.consumers["stock"].catch_up()` over `--movements` (100,000) movements
  is timed, pulling pages of the size erp gives its stock subscription (`FeedConsumer.
  batch_size`) unless `--feed-batch` says otherwise; target >= 1,000 movements/s. Then
  the database is checked with SQL: in each book one voucher per document (or reversal)
  with at least one movement that gives a voucher line, by document type; none held;
  every voucher balances; each book's debits add up to the feed's values (rounded to
  the cent per movement, half up; reversals negative); nothing left open; every event
  processed once. Nothing vacuums or analyzes erp's tables meanwhile but PostgreSQL's
  autovacuum, if it is on (the line says). `--profile N` runs the catch-up under
  cProfile and prints the top N functions by cumulative time (the rate is then not a
  measurement).
* lag: the same setup on another fresh database, but the fake stock feed releases its
  events over time at `--rate` (1,000) movements/s for `--lag-seconds` (20): a document's
  events (its movements and its own event) become visible together, when the clock
  reaches its last movement, as stock commits them in one transaction; a page only shows
  released events. A loop calls `consumer.catch_up()` again and again (sleeping 0.02 s
  when it applied nothing), as the service's consumer does when nudged. A document's lag
  is the moment the catch_up() call that applied its event returned (its transaction had
  committed) minus its release; target p99 < 1 s, and every event applied within 2 s of
  the last release. Also reported: a tighter bound, the first feed request made after the
  page holding the document committed (the consumer asks for the next page only then).
* pull: the stack starts the way `make run` does, except that erp's database is a fresh
  PostgreSQL database and the gateway's rate limit is off. Book CAS is created through
  the gateway, then `--vouchers` (100,000) ready vouchers of CAS with 2 lines each
  (receipts, requisitions, production receipts and shipments, as erp writes them) are
  written straight into erp's tables with COPY (feed positions 1..N, the counters moved
  on), then VACUUM ANALYZEd. An ERP with an admin API key pulls them through the gateway:
  `GET /v1/vouchers?after=<next_after>&limit=1000` until `has_more` is false, after one
  warm-up request of one voucher; the whole pull is timed (target < 10 s) and every
  voucher must come back once with its 2 lines.

`--scale 0.05` shrinks the movements, the lag run and the vouchers for a quick run; the
default is the full size. pull runs first; its stack is stopped before ingest and lag.
Everything runs on this machine (2 cores here): in ingest and lag, erp and the fake feeds
share this one process and event loop, beside PostgreSQL; in pull, the load generator,
the gateway, the six services and PostgreSQL share the cores. Results go to
bench/results/erp-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import cProfile
import io
import os
import pstats
import random
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter, deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
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

TARGETS = {"ingest_per_s": 1000.0, "lag_p99_ms": 1000.0, "kept_up_s": 2.0, "pull_s": 10.0}
SECTIONS = ("ingest", "lag", "pull")
FULL = {"movements": 100_000, "lag_seconds": 20.0, "vouchers": 100_000}
BOOKS = (("CAS", "cas"), ("SBAS", "sbas"))
START = datetime(2026, 1, 5, 0, 30, tzinfo=UTC)
CENT = Decimal("0.01")
MICRO = Decimal("0.000001")

SUPPLIER, CUSTOMER, PRODUCTION = "VIRTUAL/SUPPLIER", "VIRTUAL/CUSTOMER", "VIRTUAL/PRODUCTION"
RAW_A, RAW_B, SEMI_STORE, FG_STORE = "WH1/RAW/A-01", "WH1/RAW/B-02", "WH1/SF/A-01", "WH1/FG/A-01"
LINE = "LINE-1"
PENDING, QUALIFIED = "pending_inspection", "qualified"
STAGE_OF_TYPE = {
    "raw_material": "raw",
    "semi_finished": "semi_finished",
    "finished_good": "finished",
}


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def summary(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(rank(ordered, 95), 1),
        "p99_ms": round(rank(ordered, 99), 1),
        "mean_ms": round(statistics.fmean(ordered), 1),
        "max_ms": round(ordered[-1], 1),
        "count": len(ordered),
    }


def expect(response: httpx.Response, status: int, what: str) -> Any:
    if response.status_code != status:
        raise SystemExit(f"{what}: {response.status_code} {response.text[:2000]}")
    return orjson.loads(response.content)


# --------------------------------------------------------------------------- items


@dataclass(frozen=True, slots=True)
class ItemSpec:
    code: str
    item_type: str
    tracking: str
    cost: Decimal  # what a unit costs (raw materials; the others are valued by production)
    places: int


def make_items(seed: int) -> dict[str, ItemSpec]:
    """200 raw materials (every tenth not lot-tracked), 40 semi-finished goods (lots),
    30 finished goods (the first 10 serial-tracked)."""
    rnd = random.Random(seed)
    items: dict[str, ItemSpec] = {}
    for n in range(200):
        places = rnd.choice((2, 3, 4, 6))
        low, high = (0.003, 0.6) if places == 6 else (0.05, 120.0)
        cost = Decimal(str(rnd.uniform(low, high))).quantize(Decimal(1).scaleb(-places))
        code = f"RM-{n:04d}"
        items[code] = ItemSpec(code, "raw_material", "none" if n % 10 == 9 else "lot", cost, places)
    for n in range(40):
        code = f"SA-{n:03d}"
        items[code] = ItemSpec(code, "semi_finished", "lot", Decimal(0), 6)
    for n in range(30):
        code = f"FG-{n:03d}"
        items[code] = ItemSpec(code, "finished_good", "serial" if n < 10 else "lot", Decimal(0), 6)
    return items


def catalog_events(items: dict[str, ItemSpec]) -> list[bytes]:
    """`ItemCreated` for every item, payload the catalog's `ItemOut` (built with it)."""
    from services.catalog.schemas import ItemOut

    events = []
    at = START - timedelta(days=30)
    for seq, spec in enumerate(items.values(), start=1):
        payload = ItemOut.model_validate(
            {
                "id": seq,
                "code": spec.code,
                "name": f"{spec.item_type.replace('_', ' ')} {spec.code}",
                "specification": "",
                "uom": "pcs",
                "item_type": spec.item_type,
                "procurement": "buy" if spec.item_type == "raw_material" else "make",
                "tracking": spec.tracking,
                "shelf_life_days": None,
                "category": None,
                "safety_stock": Decimal(0),
                "lead_time_days": 7,
                "lot_sizing": {
                    "policy": "lot_for_lot",
                    "fixed_quantity": None,
                    "minimum_quantity": None,
                    "multiple": None,
                },
                "lifecycle": "active",
                "standard_cost": None,
                "attributes": {},
                "version": 1,
                "created_at": at,
                "updated_at": at,
            }
        ).model_dump(mode="json")
        event = {
            "seq": seq,
            "event_id": str(uuid.UUID(int=seq, version=4)),
            "type": "ItemCreated",
            "aggregate_type": "item",
            "aggregate_id": str(seq),
            "occurred_at": at.isoformat(),
            "actor": "user:bench",
            "request_id": None,
            "payload": payload,
        }
        events.append(orjson.dumps(event))
    return events


# --------------------------------------------------------------------------- the stock feed


@dataclass
class FeedPlan:
    """The fake stock feed and what erp should make of it."""

    events: list[bytes] = field(default_factory=list)
    #: per event: movements written up to the end of its document (its release, in lag)
    release_slot: list[int] = field(default_factory=list)
    #: per document: (seq of its own event, its release slot)
    closings: list[tuple[int, int]] = field(default_factory=list)
    movements: int = 0
    kept: int = 0  # movements erp keeps (its type gives vouchers, it has a value)
    posting: int = 0  # of those, the ones that give voucher lines
    kinds: Counter[str] = field(default_factory=Counter)  # movements by kind
    documents: Counter[str] = field(default_factory=Counter)
    vouchers: Counter[str] = field(default_factory=Counter)  # expected per book, by document
    debit_total: Decimal = Decimal(0)  # expected per book (red ink negative)


@dataclass(slots=True)
class Lot:
    item: str
    lot: str | None
    remaining: Decimal
    cost: Decimal
    location: str
    semi: bool = False


@dataclass(slots=True)
class Logged:
    kind: str
    payload: dict[str, Any]
    posts: bool


#: Kinds of movement erp keeps but that give no voucher line (261/wip).
UNPOSTED = {"consumption", "consumption reversal"}
#: Kinds whose movement type gives no voucher (321, 311): erp does not keep them.
NO_VOUCHER = {"inspection", "transfer"}


def stage_of(item_type: str, source: str, target: str) -> str:
    """As stock derives it: the stage of the physical side (the target, unless it is
    virtual); stock at a production line is work in progress."""
    physical = source if target.startswith("VIRTUAL/") else target
    return "wip" if physical == LINE else STAGE_OF_TYPE[item_type]


class FeedWriter:
    """Stock's feed: `MovementPosted` per movement (payload `MovementOut`), then the
    document's own event."""

    def __init__(self, total: int, seed: int, items: dict[str, ItemSpec]) -> None:
        from services.stock.schemas import MovementOut

        self.model = MovementOut
        self.total = total
        self.items = items
        self.rnd = random.Random(seed)
        self.plan = FeedPlan()
        self.clock = START
        self.ids: Counter[str] = Counter()
        self.log: list[Logged] = []  # the movements of the document being written
        self.last: list[Logged] = []  # those of the document written last

    @property
    def full(self) -> bool:
        return self.plan.movements >= self.total

    def begin(self, document_type: str) -> int:
        """A new document: its id."""
        self.clock += timedelta(seconds=self.rnd.randint(60, 600))
        self.ids[document_type] += 1
        self.log = []
        return self.ids[document_type]

    def _event(self, kind: str, aggregate: str, aggregate_id: str, payload: Any) -> None:
        event = {
            "seq": len(self.plan.events) + 1,
            "event_id": str(uuid.UUID(int=self.rnd.getrandbits(128), version=4)),
            "type": kind,
            "aggregate_type": aggregate,
            "aggregate_id": aggregate_id,
            "occurred_at": self.clock.isoformat(),
            "actor": "user:bench",
            "request_id": None,
            "payload": payload,
        }
        self.plan.events.append(orjson.dumps(event))

    def move(
        self,
        kind: str,
        document_type: str,
        document_id: int,
        item: str,
        quantity: Decimal,
        value: Decimal,
        source: str,
        target: str,
        *,
        unit_cost: Decimal,
        lot: str | None = None,
        serial: str | None = None,
        states: tuple[str, str] = (QUALIFIED, QUALIFIED),
        reversal_of: int | None = None,
        **references: str,
    ) -> dict[str, Any]:
        self.plan.movements += 1
        movement_id = self.plan.movements
        payload = self.model.model_validate(
            {
                "id": movement_id,
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
                "stage": stage_of(self.items[item].item_type, source, target),
                "sequence": movement_id,
                "unit_cost": unit_cost,
                "value": value,
                "posted_at": self.clock,
                "posted_by": "user:bench",
                "reversal_of_id": reversal_of,
                **references,
            }
        ).model_dump(mode="json")
        self._event("MovementPosted", "movement", str(movement_id), payload)
        self.plan.kinds[kind] += 1
        kept = kind.removesuffix(" reversal") not in NO_VOUCHER and value != 0
        posts = kept and kind not in UNPOSTED and cents(value) != 0
        if kept:
            self.plan.kept += 1
        if posts:
            self.plan.posting += 1
            self.plan.debit_total += -cents(value) if reversal_of is not None else cents(value)
        self.log.append(Logged(kind, payload, posts))
        return payload

    def close(
        self,
        event: str,
        aggregate: str,
        document_type: str,
        document_id: int,
        prefix: str,
        *,
        reversal: bool = False,
        shown: list[dict[str, Any]] | None = None,
    ) -> None:
        """The document's own event (after its movements); it closes them in erp."""
        payload: dict[str, Any] = {
            "id": document_id,
            "number": f"{prefix}-{document_id:08d}",
            "status": "reversed" if reversal else "posted",
            "posted_at": self.clock.isoformat(),
            "posted_by": "user:bench",
            "lines": [
                {
                    "line_no": n,
                    "item_code": entry.payload["item_code"],
                    "lot_number": entry.payload["lot_number"],
                    "serial_number": entry.payload["serial_number"],
                    "quantity": entry.payload["quantity"],
                }
                for n, entry in enumerate(self.log, start=1)
            ],
        }
        if shown is not None:  # receipts and inspections carry their movements
            payload["movements"] = shown
        self._event(event, aggregate, str(document_id), payload)
        slot = self.plan.movements
        self.plan.release_slot.extend(
            [slot] * (len(self.plan.events) - len(self.plan.release_slot))
        )
        self.plan.closings.append((len(self.plan.events), slot))
        label = document_type + (" reversal" if reversal else "")
        self.plan.documents[label] += 1
        if any(entry.posts for entry in self.log):
            self.plan.vouchers[label] += 1
        self.last = self.log

    def reverse(self, event: str, aggregate: str, document_type: str, document_id: int) -> None:
        """Take the document just written back: every movement the other way round."""
        self.clock += timedelta(seconds=self.rnd.randint(60, 900))
        posted, self.log = self.last, []
        for entry in posted:
            p = entry.payload
            self.move(
                f"{entry.kind} reversal",
                document_type,
                document_id,
                p["item_code"],
                Decimal(p["quantity"]),
                Decimal(p["value"]),
                p["to_location"],
                p["from_location"],
                unit_cost=Decimal(p["unit_cost"]),
                lot=p["lot_number"],
                serial=p["serial_number"],
                states=(p["to_state"], p["from_state"]),
                reversal_of=p["id"],
                purchase_order=p["purchase_order"],
                work_order=p["work_order"],
                sales_order=p["sales_order"],
                supplier=p["supplier"],
                customer=p["customer"],
            )
        shown = None
        if document_type == "purchase_receipt":
            shown = [e.payload for e in posted] + [e.payload for e in self.log]
        prefix = PREFIX[document_type]
        self.close(event, aggregate, document_type, document_id, prefix, reversal=True, shown=shown)


PREFIX = {
    "purchase_receipt": "GR",
    "inspection": "IQC",
    "transfer": "TR",
    "requisition": "REQ",
    "production_receipt": "PR",
    "shipment": "SH",
}


@dataclass
class Stores:
    raw: deque[Lot] = field(default_factory=deque)
    semi: deque[Lot] = field(default_factory=deque)
    finished: deque[Lot] = field(default_factory=deque)
    units: deque[tuple[str, str, Decimal]] = field(default_factory=deque)  # item, serial, value


def receipt(w: FeedWriter, stores: Stores, raw_items: list[str], day: int) -> None:
    if w.full:
        return
    doc = w.begin("purchase_receipt")
    supplier = f"Supplier {w.rnd.randrange(40):02d}"
    purchase_order = f"PO-{day:05d}-{doc % 7}"
    lines = w.rnd.choices((1, 2, 3, 4, 5, 6), weights=(50, 25, 12, 6, 4, 3))[0]
    received: list[Lot] = []
    for n, item in enumerate(w.rnd.sample(raw_items, lines)):
        spec = w.items[item]
        quantity = Decimal(w.rnd.choice((100, 200, 250, 500, 1000, 2000)))
        price = spec.cost * Decimal(str(round(w.rnd.uniform(0.95, 1.05), 3)))
        price = max(price.quantize(Decimal(1).scaleb(-spec.places)), Decimal(1).scaleb(-2))
        lot_number = f"L{doc:07d}-{n}" if spec.tracking == "lot" else None
        w.move(
            "receipt",
            "purchase_receipt",
            doc,
            item,
            quantity,
            quantity * price,
            SUPPLIER,
            RAW_A,
            unit_cost=price,
            lot=lot_number,
            states=(PENDING, PENDING),
            supplier=supplier,
            purchase_order=purchase_order,
        )
        received.append(Lot(item, lot_number, quantity, price, RAW_A))
    w.close(
        "ReceiptPosted",
        "receipt",
        "purchase_receipt",
        doc,
        "GR",
        shown=[e.payload for e in w.log],
    )
    if w.rnd.random() < 0.03:  # the wrong delivery: taken back before inspection
        w.reverse("ReceiptReversed", "receipt", "purchase_receipt", doc)
        return
    inspection = w.begin("inspection")
    for lot in received:
        w.move(
            "inspection",
            "inspection",
            inspection,
            lot.item,
            lot.remaining,
            lot.remaining * lot.cost,
            RAW_A,
            RAW_A,
            unit_cost=lot.cost,
            lot=lot.lot,
            states=(PENDING, QUALIFIED),
        )
    w.close(
        "InspectionPosted",
        "inspection",
        "inspection",
        inspection,
        "IQC",
        shown=[e.payload for e in w.log],
    )
    stores.raw.extend(received)


def transfer(w: FeedWriter, stores: Stores) -> None:
    if w.full or len(stores.raw) < 10:
        return
    doc = w.begin("transfer")
    for lot in w.rnd.sample(list(stores.raw)[-30:], w.rnd.randint(1, 3)):
        target = RAW_B if lot.location == RAW_A else RAW_A
        w.move(
            "transfer",
            "transfer",
            doc,
            lot.item,
            lot.remaining,
            lot.remaining * lot.cost,
            lot.location,
            target,
            unit_cost=lot.cost,
            lot=lot.lot,
        )
        lot.location = target
    w.close("TransferPosted", "transfer", "transfer", doc, "TR")


@dataclass
class Order:
    number: str
    issued: list[tuple[Lot, Decimal, Decimal]]  # lot, quantity, value


def requisition(w: FeedWriter, stores: Stores) -> Order | None:
    if w.full or not stores.raw:
        return None
    doc = w.begin("requisition")
    number = f"WO-{doc:07d}"
    issued: list[tuple[Lot, Decimal, Decimal]] = []
    for _ in range(w.rnd.randint(1, 20)):
        pool = stores.semi if stores.semi and w.rnd.random() < 0.2 else stores.raw
        if not pool:
            continue
        lot = pool[0]
        quantity = min(lot.remaining, Decimal(w.rnd.choice((5, 10, 20, 50, 100))))
        lot.remaining -= quantity
        if lot.remaining == 0:
            pool.popleft()
        value = quantity * lot.cost
        w.move(
            "issue",
            "requisition",
            doc,
            lot.item,
            quantity,
            value,
            lot.location,
            LINE,
            unit_cost=lot.cost,
            lot=lot.lot,
            work_order=number,
        )
        issued.append((lot, quantity, value))
    if not issued:
        return None
    w.close("RequisitionPosted", "requisition", "requisition", doc, "REQ")
    if w.rnd.random() < 0.02:  # the wrong order issued: all of it goes back
        w.reverse("RequisitionReversed", "requisition", "requisition", doc)
        for lot, quantity, _ in reversed(issued):
            if lot.remaining == 0:
                (stores.semi if lot.semi else stores.raw).appendleft(lot)
            lot.remaining += quantity
        return None
    return Order(number, issued)


def production(w: FeedWriter, stores: Stores, order: Order | None) -> None:
    if w.full or order is None:
        return
    doc = w.begin("production_receipt")
    for lot, quantity, value in order.issued:
        w.move(
            "consumption",
            "production_receipt",
            doc,
            lot.item,
            quantity,
            value,
            LINE,
            PRODUCTION,
            unit_cost=lot.cost,
            lot=lot.lot,
            work_order=order.number,
        )
    worth = sum((value for _, _, value in order.issued), Decimal(0)).quantize(MICRO)
    made: list[Lot] = []
    units: list[tuple[str, str, Decimal]] = []
    if w.rnd.random() < 0.35:
        item = f"SA-{w.rnd.randrange(40):03d}"
        quantity = Decimal(w.rnd.randint(10, 50))
        cost = (worth / quantity).quantize(MICRO)
        lot = Lot(item, f"S{doc:07d}", quantity, cost, SEMI_STORE, semi=True)
        w.move(
            "output",
            "production_receipt",
            doc,
            item,
            quantity,
            worth,
            PRODUCTION,
            SEMI_STORE,
            unit_cost=cost,
            lot=lot.lot,
            work_order=order.number,
        )
        made.append(lot)
    else:
        item = f"FG-{w.rnd.randrange(30):03d}"
        if w.items[item].tracking == "serial":
            count = w.rnd.randint(1, 6)
            each = (worth / count).quantize(MICRO, rounding=ROUND_DOWN)
            for n in range(count):
                value = each if n < count - 1 else worth - each * (count - 1)
                serial = f"SN{doc:07d}{n:02d}"
                w.move(
                    "output",
                    "production_receipt",
                    doc,
                    item,
                    Decimal(1),
                    value,
                    PRODUCTION,
                    FG_STORE,
                    unit_cost=value,
                    serial=serial,
                    work_order=order.number,
                )
                units.append((item, serial, value))
        else:
            quantity = Decimal(w.rnd.randint(5, 50))
            cost = (worth / quantity).quantize(MICRO)
            lot = Lot(item, f"F{doc:07d}", quantity, cost, FG_STORE)
            w.move(
                "output",
                "production_receipt",
                doc,
                item,
                quantity,
                worth,
                PRODUCTION,
                FG_STORE,
                unit_cost=cost,
                lot=lot.lot,
                work_order=order.number,
            )
            made.append(lot)
    w.close("ProductionReceiptPosted", "production_receipt", "production_receipt", doc, "PR")
    if w.rnd.random() < 0.01:
        w.reverse("ProductionReceiptReversed", "production_receipt", "production_receipt", doc)
        return
    for lot in made:
        (stores.semi if lot.semi else stores.finished).append(lot)
    stores.units.extend(units)


def shipment(w: FeedWriter, stores: Stores, day: int) -> None:
    if w.full or not (stores.finished or stores.units):
        return
    doc = w.begin("shipment")
    customer = f"Customer {w.rnd.randrange(60):02d}"
    sales_order = f"SO-{day:05d}-{doc % 5}"
    for _ in range(w.rnd.randint(1, 4)):
        if stores.units and (w.rnd.random() < 0.5 or not stores.finished):
            for _ in range(min(len(stores.units), w.rnd.randint(1, 3))):
                item, serial, value = stores.units.popleft()
                w.move(
                    "shipment",
                    "shipment",
                    doc,
                    item,
                    Decimal(1),
                    value,
                    FG_STORE,
                    CUSTOMER,
                    unit_cost=value,
                    serial=serial,
                    sales_order=sales_order,
                    customer=customer,
                )
        elif stores.finished:
            lot = stores.finished[0]
            quantity = min(lot.remaining, Decimal(w.rnd.randint(1, 10)))
            lot.remaining -= quantity
            if lot.remaining == 0:
                stores.finished.popleft()
            w.move(
                "shipment",
                "shipment",
                doc,
                lot.item,
                quantity,
                (quantity * lot.cost).quantize(MICRO),
                FG_STORE,
                CUSTOMER,
                unit_cost=lot.cost,
                lot=lot.lot,
                sales_order=sales_order,
                customer=customer,
            )
    if not w.log:
        return
    w.close("ShipmentPosted", "shipment", "shipment", doc, "SH")
    if w.rnd.random() < 0.01:
        w.reverse("ShipmentReversed", "shipment", "shipment", doc)


def feed_plan(total: int, seed: int, items: dict[str, ItemSpec]) -> FeedPlan:
    """A factory's days until `total` movements are written (the document in hand is
    finished, so a few more)."""
    w = FeedWriter(total, seed, items)
    stores = Stores()
    raw_items = [code for code, spec in items.items() if spec.item_type == "raw_material"]
    day = 0
    while not w.full:
        day += 1
        w.clock = START + timedelta(days=day)
        for _ in range(5):
            receipt(w, stores, raw_items, day)
        transfer(w, stores)
        orders = [requisition(w, stores) for _ in range(4)]
        for order in orders:
            production(w, stores, order)
        for _ in range(3):
            shipment(w, stores, day)
    return w.plan


def describe_plan(plan: FeedPlan) -> str:
    return (
        f"{len(plan.events)} events ({plan.movements} MovementPosted, "
        f"{len(plan.closings)} document events); movements by kind {dict(plan.kinds)}; "
        f"documents {dict(plan.documents)}; {plan.kept} movements erp keeps, {plan.posting} "
        f"give voucher lines; vouchers expected per book {sum(plan.vouchers.values())}"
    )


# --------------------------------------------------------------------------- fake feeds


class FakeFeeds:
    """An ASGI app: stock's feed at /stock/v1/events, the catalog's at /catalog/v1/events.

    With `release` (seconds after `start()` at which each stock event becomes visible), a
    page shows only the events released by then, as a live feed would."""

    def __init__(
        self, stock: list[bytes], catalog: list[bytes], release: list[float] | None = None
    ) -> None:
        self.stock = stock
        self.catalog = catalog
        self.release = release
        self.t0: float | None = None
        self.pages = 0
        self.served = 0  # the highest seq a stock page has carried
        self.requests: list[tuple[float, int]] = []  # (perf_counter, after), stock feed
        self.behind = 0  # the most released events not yet applied when a page was asked

    def start(self) -> None:
        self.t0 = time.perf_counter()

    def visible(self) -> int:
        if self.release is None:
            return len(self.stock)
        if self.t0 is None:
            return 0
        return bisect.bisect_right(self.release, time.perf_counter() - self.t0)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        after, limit = feed_query(scope)
        status = 200
        if scope["path"] == "/stock/v1/events":
            self.pages += 1
            if self.release is not None:
                self.requests.append((time.perf_counter(), after))
            visible = self.visible()
            self.behind = max(self.behind, visible - after)
            body = feed_page(self.stock, after, limit, visible)
            self.served = max(self.served, min(after + limit, visible))
        elif scope["path"] == "/catalog/v1/events":
            body = feed_page(self.catalog, after, limit)
        else:
            status, body = 404, b'{"code":"not_found"}'
        await send_json(send, status, body)


@contextlib.asynccontextmanager
async def erp_in_process(url: str, feeds: FakeFeeds, items: int) -> AsyncIterator[Any]:
    """The fake feeds served, erp's app built and its lifespan run, the two books opened
    through its API, the catalog's feed applied; yields the app."""
    import uvicorn

    from services.erp.app import create_app
    from services.erp.settings import Settings
    from shared.auth.principal import ADMIN, Principal
    from shared.auth.tokens import mint_internal_token

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
    secret = secrets.token_urlsafe(48)
    settings = Settings(
        database_url=url,
        service_urls={"stock": f"{base}/stock", "catalog": f"{base}/catalog"},
        run_background_tasks=False,
        freeze_heap_at_startup=True,
        internal_token_secret=secret,
        log_level="WARNING",
        event_subscribers=[],
    )
    app = create_app(settings)
    try:
        async with app.router.lifespan_context(app):
            principal = Principal(subject="user:bench", roles=frozenset({ADMIN}), name="bench")
            token = mint_internal_token(secret, principal, 3600)
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://erp",
                headers={"Authorization": f"Bearer {token}"},
            ) as client:
                for code, template in BOOKS:
                    body = {"code": code, "name": code, "template": template}
                    expect(await client.post("/v1/books", json=body), 201, f"book {code}")
            applied = await app.state.consumers["catalog"].catch_up()
            if applied != items:
                raise SystemExit(f"the catalog feed: {applied} of {items} items applied")
            yield app
    finally:
        server.should_exit = True
        await serving


# --------------------------------------------------------------------------- ingest


async def verify_vouchers(dsn: str, plan: FeedPlan) -> dict[str, Any]:
    """What erp's tables say against what the feed should have given."""
    import asyncpg

    connection = await asyncpg.connect(dsn)
    try:
        by_book = {
            row["book_code"]: dict(row)
            for row in await connection.fetch(
                "SELECT book_code, count(*) AS vouchers,"
                " count(*) FILTER (WHERE status = 'ready') AS ready,"
                " count(*) FILTER (WHERE status = 'held') AS held,"
                " count(*) FILTER (WHERE red_ink) AS red_ink,"
                " count(*) FILTER (WHERE red_ink AND reverses_number IS NULL) AS red_unnamed,"
                " count(*) FILTER (WHERE document_number = '') AS unnumbered"
                " FROM erp_vouchers GROUP BY book_code"
            )
        }
        sums = {
            row["book_code"]: (row["debit"], row["credit"], row["lines"])
            for row in await connection.fetch(
                "SELECT v.book_code, sum(l.debit) AS debit, sum(l.credit) AS credit,"
                " count(*) AS lines FROM erp_voucher_lines l"
                " JOIN erp_vouchers v ON v.id = l.voucher_id GROUP BY v.book_code"
            )
        }
        kinds: Counter[tuple[str, str]] = Counter()
        for row in await connection.fetch(
            "SELECT book_code, document_type, red_ink, count(*) AS n FROM erp_vouchers"
            " GROUP BY 1, 2, 3"
        ):
            label = row["document_type"] + (" reversal" if row["red_ink"] else "")
            kinds[(row["book_code"], label)] = row["n"]
        unbalanced = [
            row["voucher_id"]
            for row in await connection.fetch(
                "SELECT voucher_id FROM erp_voucher_lines GROUP BY voucher_id"
                " HAVING sum(debit) <> sum(credit) LIMIT 20"
            )
        ]
        held = await connection.fetchval("SELECT count(*) FROM erp_vouchers WHERE status = 'held'")
        reasons = [
            f"{row['number']}: {row['hold_reasons'][:600]}"
            for row in await connection.fetch(
                "SELECT number, hold_reasons::text AS hold_reasons FROM erp_vouchers"
                " WHERE status = 'held' ORDER BY id LIMIT 3"
            )
        ]
        empty = await connection.fetchval(
            "SELECT count(*) FROM erp_vouchers v WHERE NOT EXISTS"
            " (SELECT 1 FROM erp_voucher_lines l WHERE l.voucher_id = v.id)"
        )
        kept = await connection.fetchval("SELECT count(*) FROM erp_movements")
        still_open = await connection.fetchval(
            "SELECT count(*) FROM erp_movements WHERE NOT closed"
        )
        processed = await connection.fetchval(
            "SELECT count(*) FROM processed_events WHERE source = 'stock'"
        )
        cursor = await connection.fetchval(
            "SELECT last_seq FROM consumer_cursors WHERE source = 'stock'"
        )
        autovacuum = await connection.fetchval("SHOW autovacuum")
    finally:
        await connection.close()
    expected = sum(plan.vouchers.values())
    problems = []
    for code, _ in BOOKS:
        book = by_book.get(code, {"vouchers": 0, "red_ink": 0, "red_unnamed": 0, "unnumbered": 0})
        if book["vouchers"] != expected:
            problems.append(f"{code}: {book['vouchers']} vouchers, {expected} documents give one")
        wrong = {
            label: (kinds[(code, label)], count)
            for label, count in plan.vouchers.items()
            if kinds[(code, label)] != count
        }
        if wrong:
            problems.append(f"{code}: vouchers by document (erp, feed) differ: {wrong}")
        debit, credit, _ = sums.get(code, (Decimal(0), Decimal(0), 0))
        if debit != plan.debit_total or credit != plan.debit_total:
            problems.append(
                f"{code}: debits {debit}, credits {credit}, the feed's values {plan.debit_total}"
            )
        if book["red_unnamed"] or book["unnumbered"]:
            problems.append(
                f"{code}: {book['red_unnamed']} red-ink vouchers name no original, "
                f"{book['unnumbered']} have no document number"
            )
    if held:
        problems.append(f"{held} vouchers held, e.g. {reasons}")
    if unbalanced:
        problems.append(f"vouchers that do not balance: {unbalanced}")
    if empty != held:
        problems.append(f"{empty} vouchers without lines ({held} held)")
    if kept != plan.kept or still_open:
        problems.append(f"{kept} movements kept ({plan.kept} expected), {still_open} still open")
    if processed != len(plan.events) or cursor != len(plan.events):
        problems.append(f"{processed} of {len(plan.events)} events processed, cursor {cursor}")
    return {
        "books": {
            code: {
                **{k: v for k, v in by_book.get(code, {}).items() if k != "book_code"},
                "debit_total": str(sums.get(code, (0, 0, 0))[0]),
                "lines": sums.get(code, (0, 0, 0))[2],
            }
            for code, _ in BOOKS
        },
        "expected_vouchers_per_book": expected,
        "expected_by_document": dict(plan.vouchers),
        "expected_debit_total": str(plan.debit_total),
        "held": held,
        "held_examples": reasons,
        "unbalanced": unbalanced,
        "movements_kept": kept,
        "processed_events": processed,
        "autovacuum": autovacuum,
        "ok": not problems,
        "problems": problems,
    }


def profile_text(profiler: cProfile.Profile, top: int) -> str:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


async def ingest_section(url: str, dsn: str, args: argparse.Namespace) -> dict[str, Any]:
    items = make_items(args.seed)
    started = time.perf_counter()
    plan = feed_plan(args.movements, args.seed, items)
    print(
        f"setup: {describe_plan(plan)}; generated in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    feeds = FakeFeeds(plan.events, catalog_events(items))
    cpu = CpuMeter({})
    profiler = cProfile.Profile() if args.profile else None
    async with erp_in_process(url, feeds, len(items)) as app:
        consumer = app.state.consumers["stock"]
        if args.feed_batch:
            consumer.batch_size = args.feed_batch
        batch = consumer.batch_size
        cpu.start()
        started = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        applied = await consumer.catch_up()
        if profiler is not None:
            profiler.disable()
        seconds = time.perf_counter() - started
        cpu.stop()
    rate = plan.movements / seconds
    cpu_ms = cpu.per_unit_ms(plan.movements)
    verified = await verify_vouchers(dsn, plan)
    print(
        f"ingest: {plan.movements} movements ({applied} events) in {seconds:.1f} s = "
        f"{rate:.0f} movements/s (pages of {batch}"
        f"{' as erp sets it' if not args.feed_batch else ''}, {feeds.pages} pages served"
        f"{'; under cProfile' if profiler else ''}; autovacuum {verified['autovacuum']}); "
        f"{verified['expected_vouchers_per_book']} "
        f"vouchers per book in {len(BOOKS)} books; verification: "
        f"{'ok' if verified['ok'] else 'WRONG ' + '; '.join(verified['problems'])}",
        flush=True,
    )
    print(
        fmt_cpu("movement", cpu_ms)
        + " (erp and the fake feeds both run in the load generator's process)",
        flush=True,
    )
    profile = ""
    if profiler is not None:
        profile = profile_text(profiler, args.profile)
        print(profile, flush=True)
    return {
        "movements": plan.movements,
        "events": len(plan.events),
        "movement_kinds": dict(plan.kinds),
        "documents": dict(plan.documents),
        "movements_kept": plan.kept,
        "movements_posting": plan.posting,
        "books": [code for code, _ in BOOKS],
        "applied_events": applied,
        "page_size": batch,
        "page_size_is_default": not args.feed_batch,
        "pages": feeds.pages,
        "seconds": round(seconds, 2),
        "movements_per_s": round(rate, 1),
        "vouchers_per_s": round(len(BOOKS) * sum(plan.vouchers.values()) / seconds, 1),
        "cpu_ms_per_movement": cpu_ms,
        "profiled": profiler is not None,
        "profile": profile,
        "verification": verified,
        "target": f">= {TARGETS['ingest_per_s']:.0f} movements/s",
        "met": rate >= TARGETS["ingest_per_s"]
        and verified["ok"]
        and applied == len(plan.events)
        and profiler is None,
    }


# --------------------------------------------------------------------------- lag


async def lag_section(url: str, dsn: str, args: argparse.Namespace) -> dict[str, Any]:
    items = make_items(args.seed)
    total = max(1, round(args.rate * args.lag_seconds))
    plan = feed_plan(total, args.seed + 1, items)
    release = [slot / args.rate for slot in plan.release_slot]
    last_release = release[-1]
    print(
        f"setup (lag): {describe_plan(plan)}; released at {args.rate:.0f} movements/s over "
        f"{last_release:.1f} s",
        flush=True,
    )
    feeds = FakeFeeds(plan.events, catalog_events(items), release)
    cpu = CpuMeter({})
    lags: list[float] = []  # seconds, per document: catch_up() returned - released
    bounds: list[float] = []  # seconds: the next page request after its commit - released
    calls = idle = 0
    finished_at: float | None = None
    async with erp_in_process(url, feeds, len(items)) as app:
        consumer = app.state.consumers["stock"]
        if args.feed_batch:
            consumer.batch_size = args.feed_batch
        batch = consumer.batch_size
        deadline = last_release + 60
        cpu.start()
        feeds.start()
        assert feeds.t0 is not None
        t0 = feeds.t0
        measured = request = 0
        while True:
            applied = await consumer.catch_up()
            now = time.perf_counter() - t0
            calls += 1
            served = feeds.served
            while measured < len(plan.closings) and plan.closings[measured][0] <= served:
                seq, slot = plan.closings[measured]
                released = slot / args.rate
                lags.append(now - released)
                while request < len(feeds.requests) and feeds.requests[request][1] < seq:
                    request += 1
                asked = feeds.requests[request][0] - t0 if request < len(feeds.requests) else now
                bounds.append(min(asked, now) - released)
                measured += 1
            if served >= len(plan.events):
                finished_at = now
                break
            if now > deadline:
                break
            if applied == 0:
                idle += 1
                await asyncio.sleep(0.02)
        cpu.stop()
    cpu_ms = cpu.per_unit_ms(plan.movements)
    verified = await verify_vouchers(dsn, plan) if finished_at is not None else None
    figures = summary([s * 1000 for s in lags]) if lags else {}
    tight = summary([s * 1000 for s in bounds]) if bounds else {}
    behind = None if finished_at is None else round(finished_at - last_release, 2)
    kept_up = behind is not None and behind <= TARGETS["kept_up_s"]
    print(
        f"lag: {len(lags)} of {len(plan.closings)} documents, lag p50 {figures.get('p50_ms')} "
        f"ms, p95 {figures.get('p95_ms')} ms, p99 {figures.get('p99_ms')} ms, max "
        f"{figures.get('max_ms')} ms (tighter bound, next page asked: p50 {tight.get('p50_ms')}"
        f" ms, p99 {tight.get('p99_ms')} ms); all applied "
        + (f"{behind:.2f} s after the last release" if behind is not None else "NOT in time")
        + f"; {calls} catch_up() calls ({idle} found nothing), pages of {batch}, at most "
        f"{feeds.behind} released events not yet applied when a page was asked; verification: "
        + (
            "not run"
            if verified is None
            else ("ok" if verified["ok"] else "WRONG " + "; ".join(verified["problems"]))
        ),
        flush=True,
    )
    print(fmt_cpu("movement", cpu_ms) + " (erp and the fake feeds in this process)", flush=True)
    return {
        "rate_per_s": args.rate,
        "seconds": args.lag_seconds,
        "movements": plan.movements,
        "events": len(plan.events),
        "documents": len(plan.closings),
        "documents_measured": len(lags),
        "page_size": batch,
        **figures,
        "next_request_bound": tight,
        "applied_after_last_release_s": behind,
        "catch_up_calls": calls,
        "idle_calls": idle,
        "most_events_behind": feeds.behind,
        "cpu_ms_per_movement": cpu_ms,
        "verification": verified,
        "target": f"p99 < {TARGETS['lag_p99_ms']:.0f} ms, all applied within "
        f"{TARGETS['kept_up_s']:.0f} s of the last release",
        "met": bool(figures)
        and figures["p99_ms"] < TARGETS["lag_p99_ms"]
        and kept_up
        and verified is not None
        and verified["ok"],
    }


# --------------------------------------------------------------------------- pull


VOUCHER_COLUMNS = (
    "id",
    "number",
    "book_code",
    "status",
    "grouping",
    "date",
    "year",
    "period",
    "word",
    "preparer",
    "attachments",
    "currency",
    "document_type",
    "document_id",
    "document_number",
    "movement_types",
    "red_ink",
    "reverses_number",
    "total",
    "hold_reasons",
    "erp_number",
    "exported_at",
    "feed_seq",
    "created_at",
    "updated_at",
)
LINE_COLUMNS = (
    "id",
    "voucher_id",
    "line_no",
    "summary",
    "account",
    "currency",
    "debit",
    "credit",
    "quantity",
    "unit_price",
    "dimensions",
)
#: document type, prefix, movement type, summary word, debit and credit account, and
#: whether each tracks quantity, as the CAS template posts them
PULL_KINDS = (
    ("purchase_receipt", "GR", "101", "收货", ("1403", True), ("2202.02", False)),
    ("requisition", "REQ", "261", "发料到工单", ("5001", False), ("1403", True)),
    ("production_receipt", "PR", "101", "收货", ("1405", True), ("5001", False)),
    ("shipment", "SH", "601", "销售出库", ("6401", False), ("1405", True)),
)
PULL_WEIGHTS = (5, 4, 4, 3)


def pull_rows(count: int, seed: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """`count` ready vouchers of book CAS with their 2 lines each."""
    rnd = random.Random(seed)
    vouchers: list[tuple[Any, ...]] = []
    lines: list[tuple[Any, ...]] = []
    ids: Counter[str] = Counter()
    for n in range(1, count + 1):
        kind, prefix, movement_type, word, debit, credit = rnd.choices(
            PULL_KINDS, weights=PULL_WEIGHTS
        )[0]
        ids[kind] += 1
        document = ids[kind]
        at = START + timedelta(minutes=5 * n)
        day = (at + timedelta(hours=8)).date()
        number = f"{prefix}-{document:08d}"
        quantity = Decimal(rnd.choice((1, 5, 10, 50, 100, 250, 1000)))
        total = Decimal(rnd.randint(1, 5_000_000)) / 100
        price = (total / quantity).quantize(MICRO, rounding=ROUND_HALF_UP)
        item = f"RM-{rnd.randrange(200):04d}" if kind != "shipment" else f"FG-{n % 30:03d}"
        summary_text = f"{word} {number}"
        dims = {
            "1403": {"material": item, "warehouse": "WH1"},
            "1405": {"material": item, "warehouse": "WH1"},
            "2202.02": {"supplier": f"Supplier {n % 40:02d}"},
            "5001": {"work_order": f"WO-{document:07d}", "material": item},
            "6401": {"customer": f"Customer {n % 60:02d}", "material": item},
        }
        vouchers.append(
            (
                n,
                f"CAS-{n:08d}",
                "CAS",
                "ready",
                f"doc:{kind}:{document}:posting",
                day,
                day.year,
                day.month,
                "记",
                "erp-connector",
                1,
                "CNY",
                kind,
                document,
                number,
                orjson.dumps([movement_type]).decode(),
                False,
                None,
                total,
                "[]",
                None,
                None,
                n,
                at,
                at,
            )
        )
        for line_no, (account, tracks), side in ((1, debit, "debit"), (2, credit, "credit")):
            lines.append(
                (
                    2 * n - 2 + line_no,
                    n,
                    line_no,
                    summary_text,
                    account,
                    "CNY",
                    total if side == "debit" else Decimal(0),
                    total if side == "credit" else Decimal(0),
                    quantity if tracks else None,
                    price if tracks else None,
                    orjson.dumps(dims[account]).decode(),
                )
            )
    return vouchers, lines


async def load_vouchers(dsn: str, count: int, seed: int) -> dict[str, Any]:
    """COPY the vouchers into erp's database (book CAS exists, nothing else), move the
    counters on, VACUUM ANALYZE."""
    import asyncpg

    vouchers, lines = pull_rows(count, seed)
    connection = await asyncpg.connect(dsn)
    try:
        await check_table(connection, "erp_vouchers", VOUCHER_COLUMNS, "bench/erp.py")
        await check_table(connection, "erp_voucher_lines", LINE_COLUMNS, "bench/erp.py")
        if await connection.fetchval("SELECT count(*) FROM erp_vouchers"):
            raise SystemExit("erp's database has vouchers; the bench needs a fresh one")
        started = time.perf_counter()
        async with connection.transaction():
            await connection.copy_records_to_table(
                "erp_vouchers", records=vouchers, columns=VOUCHER_COLUMNS
            )
            await connection.copy_records_to_table(
                "erp_voucher_lines", records=lines, columns=LINE_COLUMNS
            )
            for table in ("erp_vouchers", "erp_voucher_lines"):
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            await connection.execute(
                "UPDATE erp_counters SET value = $1"
                " WHERE name IN ('voucher_feed', 'voucher_number')",
                count,
            )
        copy_s = time.perf_counter() - started
        started = time.perf_counter()
        for table in ("erp_vouchers", "erp_voucher_lines"):
            await connection.execute(f"VACUUM (ANALYZE) {table}")
        analyze_s = time.perf_counter() - started
        size = await connection.fetchval("SELECT pg_database_size(current_database())")
    finally:
        await connection.close()
    return {
        "vouchers": len(vouchers),
        "lines": len(lines),
        "copy_s": round(copy_s, 1),
        "vacuum_analyze_s": round(analyze_s, 1),
        "database_mb": round(size / 1e6),
    }


async def pull_section(stack: Stack, dsn: str, args: argparse.Namespace) -> dict[str, Any]:
    token = await api_key(stack, "bench-erp")
    async with httpx.AsyncClient(
        base_url=stack.gateway_url, headers={"Authorization": f"Bearer {token}"}, timeout=300
    ) as client:
        body = {"code": "CAS", "name": "CAS", "template": "cas"}
        expect(await client.post("/v1/books", json=body), 201, "book CAS")
        print(f"setup: writing {args.vouchers} vouchers of book CAS ...", flush=True)
        load = await load_vouchers(dsn, args.vouchers, args.seed)
        print(
            f"setup: COPY {load['copy_s']} s, VACUUM ANALYZE {load['vacuum_analyze_s']} s, "
            f"database {load['database_mb']} MB",
            flush=True,
        )
        expect(await client.get("/v1/vouchers", params={"limit": 1}), 200, "warm-up")
        cpu = CpuMeter.of(stack)
        after = pages = body_bytes = wire_bytes = seen = 0
        numbers: set[str] = set()
        odd: list[str] = []
        latencies: list[float] = []
        cpu.start()
        started = time.perf_counter()
        while True:
            began = time.perf_counter()
            response = await client.get("/v1/vouchers", params={"after": after, "limit": args.page})
            page = expect(response, 200, f"vouchers after {after}")
            latencies.append((time.perf_counter() - began) * 1000)
            pages += 1
            body_bytes += len(response.content)
            wire_bytes += response.num_bytes_downloaded
            for voucher in page["items"]:
                seen += 1
                numbers.add(voucher["number"])
                if len(voucher["lines"]) != 2 or voucher["status"] != "ready":
                    odd.append(f"{voucher['number']}: {voucher['status']}, {len(voucher['lines'])}")
            after = page["next_after"]
            if not page["has_more"]:
                break
        seconds = time.perf_counter() - started
        cpu.stop()
    cpu_ms = cpu.per_unit_ms(seen)
    ok = seen == args.vouchers and len(numbers) == args.vouchers and not odd
    figures = summary(latencies)
    print(
        f"pull: {seen} vouchers ({len(numbers)} distinct) in {pages} pages of {args.page} in "
        f"{seconds:.2f} s = {seen / seconds:.0f} vouchers/s; page p50 {figures['p50_ms']} ms, "
        f"p99 {figures['p99_ms']} ms; {body_bytes / 1e6:.1f} MB of JSON "
        f"({wire_bytes / 1e6:.1f} MB on the wire); checks: "
        f"{'ok' if ok else 'WRONG ' + '; '.join(odd[:5])}",
        flush=True,
    )
    print(fmt_cpu("voucher", cpu_ms), flush=True)
    return {
        "load": load,
        "vouchers": seen,
        "distinct": len(numbers),
        "not_ready_or_not_2_lines": len(odd),
        "pages": pages,
        "page_size": args.page,
        "seconds": round(seconds, 2),
        "vouchers_per_s": round(seen / seconds, 1),
        "page_latency": figures,
        "json_mb": round(body_bytes / 1e6, 1),
        "wire_mb": round(wire_bytes / 1e6, 1),
        "cpu_ms_per_voucher": cpu_ms,
        "target": f"< {TARGETS['pull_s']:.0f} s for {args.vouchers} vouchers",
        "met": seconds < TARGETS["pull_s"] and ok,
    }


# --------------------------------------------------------------------------- the run


def verdicts(results: dict[str, Any]) -> list[tuple[str, str, bool]]:
    lines = []
    ingest = results.get("ingest")
    if ingest:
        lines.append(
            (
                "ingest",
                f"{ingest['movements_per_s']} movements/s ({ingest['movements']} movements, "
                f"{ingest['applied_events']} events in {ingest['seconds']} s, pages of "
                f"{ingest['page_size']}"
                f"{' as erp sets it' if ingest['page_size_is_default'] else ''}, "
                f"{len(ingest['books'])} books; verified {ingest['verification']['ok']}"
                f"{', under cProfile' if ingest['profiled'] else ''}) "
                f"(target {ingest['target']})",
                ingest["met"],
            )
        )
    lag = results.get("lag")
    if lag:
        verified = lag["verification"]["ok"] if lag["verification"] else None
        lines.append(
            (
                "lag",
                f"p50 {lag.get('p50_ms')} ms, p95 {lag.get('p95_ms')} ms, p99 "
                f"{lag.get('p99_ms')} ms, max {lag.get('max_ms')} ms over "
                f"{lag['documents_measured']} documents at {lag['rate_per_s']:.0f} movements/s "
                f"for {lag['seconds']:g} s; all applied "
                f"{lag['applied_after_last_release_s']} s after the last release; verified "
                f"{verified} (target {lag['target']})",
                lag["met"],
            )
        )
    pull = results.get("pull")
    if pull:
        lines.append(
            (
                "pull",
                f"{pull['seconds']} s for {pull['vouchers']} vouchers ({pull['pages']} pages, "
                f"{pull['vouchers_per_s']:.0f}/s, {pull['json_mb']} MB; checks "
                f"{pull['distinct'] == pull['vouchers'] and not pull['not_ready_or_not_2_lines']}"
                f") (target {pull['target']})",
                pull["met"],
            )
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/erp.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--scale", type=float, default=1.0, help="size of the data (1: the issue's; >= 0.01)"
    )
    parser.add_argument(
        "--movements", type=int, default=None, help="movements ingested (100,000 x scale)"
    )
    parser.add_argument(
        "--feed-batch",
        type=int,
        default=None,
        help="page size of the stock feed consumer (default: what the erp app sets)",
    )
    parser.add_argument(
        "--rate", type=float, default=1000.0, help="lag: movements released per second"
    )
    parser.add_argument(
        "--lag-seconds", type=float, default=None, help="lag: seconds of release (20 x scale)"
    )
    parser.add_argument(
        "--vouchers", type=int, default=None, help="vouchers pulled (100,000 x scale)"
    )
    parser.add_argument("--page", type=int, default=1000, help="pull: vouchers per page")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        help="ingest: run the catch-up under cProfile, print the top N by cumulative time",
    )
    parser.add_argument("--seed", type=int, default=20261128, help="of every random choice")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--only",
        type=lambda text: set(text.split(",")),
        default=set(SECTIONS),
        help="sections to run, comma-separated: ingest, lag, pull (default all)",
    )
    args = parser.parse_args(argv)
    if not args.only <= set(SECTIONS):
        parser.error(f"--only takes {', '.join(SECTIONS)}")
    if not 0.01 <= args.scale <= 10:
        parser.error("--scale takes 0.01 to 10")
    if not 1 <= args.page <= 1000:
        parser.error("--page takes 1 to 1000 (the API's limit)")
    if args.movements is None:
        args.movements = max(1_000, round(FULL["movements"] * args.scale))
    if args.lag_seconds is None:
        args.lag_seconds = max(2.0, FULL["lag_seconds"] * args.scale)
    if args.vouchers is None:
        args.vouchers = max(1_000, round(FULL["vouchers"] * args.scale))
    pg_url = os.environ.get("BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432")
    suffix = uuid.uuid4().hex[:8]
    databases = {
        section: f"bench_erp_{section}_{suffix}" if section in args.only else None
        for section in SECTIONS
    }
    info = machine()
    started = time.perf_counter()
    results: dict[str, Any] = {}
    try:
        for database in databases.values():
            if database:
                asyncio.run(pg_execute(pg_url, f'CREATE DATABASE "{database}"'))
        if databases["pull"]:  # first: a stack that does not start fails the run early
            var_dir = Path(tempfile.mkdtemp(prefix="bench-erp-"))
            print(
                f"starting the stack in {var_dir} (erp on PostgreSQL {databases['pull']}) ...",
                flush=True,
            )
            stack = start_stack(
                var_dir,
                base_port=0,
                log_level="WARNING",
                extra_env={"gateway": {"GATEWAY_RATE_LIMIT_PER_SECOND": "0"}},
                database_overrides={"erp": f"{pg_url.rstrip('/')}/{databases['pull']}"},
            )
            try:
                results["pull"] = asyncio.run(
                    pull_section(stack, pg_dsn(pg_url, databases["pull"]), args)
                )
            finally:
                stack.stop()
        from shared.db.migrate import upgrade

        for section, run in (("ingest", ingest_section), ("lag", lag_section)):
            database = databases[section]
            if database:
                url = f"{pg_url.rstrip('/')}/{database}"
                upgrade("erp", url)
                results[section] = asyncio.run(run(url, pg_dsn(pg_url, database), args))
    finally:
        for database in databases.values():
            if database:
                asyncio.run(
                    pg_execute(pg_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
                )
    report = {
        "benchmark": "erp",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": info,
        "setup": "ingest and lag: the stack stopped, erp's app (books CAS and SBAS, both "
        "per_document) and the fake stock and catalog feeds in this process (one event "
        "loop), PostgreSQL; pull: load generator, gateway, six services and PostgreSQL on "
        "this one machine, erp on PostgreSQL, the other services on SQLite",
        "arguments": {**vars(args), "only": sorted(args.only)},
        "duration_s": round(time.perf_counter() - started, 1),
        "load_average_after": os.getloadavg(),
        "results": results,
    }
    return report_verdicts("erp", report, info, verdicts(results), strict=args.strict, width=6)


if __name__ == "__main__":
    raise SystemExit(main())
