"""The thin slice's latency (issue #2): a purchase receipt posted through the gateway, and
how soon trace shows its lot.

    make bench                  # runs this after the gateway overhead
    .venv/bin/python bench/slice.py [--receipts 50] [--warmup 5] [--poll-ms 5]

Starts the stack the way `make run` does (own var dir, SQLite, free ports; trace's poll
interval set to a minute, so only stock's nudge after the commit can bring an event in
time), creates a lot-tracked item and a location, then posts `--receipts` receipts one
after the other, each of a new lot, with an admin API key. After each receipt's 201 this
process asks trace through the gateway (`GET /v1/genealogy/nodes?item_code=&lot_number=`)
every `--poll-ms` until the lot is there; the latency is from the receipt's answer to the
first answer that lists the lot (so it includes one gateway round trip to trace). Target:
every lot within 1 s (the slowest is judged), after `--warmup` receipts that are not
counted. Each lot is checked to be shown exactly once with the receipt's quantity state.

Everything runs on this machine: this process, the gateway and the six services share its
cores. Results go to bench/results/slice-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bench.common import CpuMeter, api_key, fmt_cpu, rank, report_verdicts  # noqa: E402
from tools.machine import machine  # noqa: E402
from tools.run import Stack, start_stack  # noqa: E402

TARGET_S = 1.0
#: Trace's poll interval in the benchmark's stack: far beyond the target.
TRACE_POLL_SECONDS = 60
SETUP = (
    "the stack as `make run` starts it (SQLite), trace polling stock's feed once a minute; "
    "receipts one at a time through the gateway, trace asked through the gateway"
)


async def run(stack: Stack, args: argparse.Namespace) -> dict[str, Any]:
    key = await api_key(stack, "bench-slice")
    headers = {"Authorization": f"Bearer {key}"}
    tag = uuid.uuid4().hex[:6].upper()
    item, location = f"BENCH-R-{tag}", f"BENCH-{tag}"
    async with httpx.AsyncClient(base_url=stack.gateway_url, headers=headers, timeout=30) as api:
        made = await api.post(
            "/v1/items",
            json={
                "code": item,
                "name": "Resistor 10k 0402",
                "uom": "pcs",
                "item_type": "raw_material",
                "tracking": "lot",
            },
        )
        made.raise_for_status()
        place = await api.post(
            "/v1/locations",
            json={"code": location, "name": "Bench store", "location_type": "storage"},
        )
        place.raise_for_status()
        meter = CpuMeter.of(stack)
        meter.start()
        latencies: list[float] = []
        posting: list[float] = []
        for index in range(args.warmup + args.receipts):
            lot = f"L{index:04d}"
            sent = time.perf_counter()
            receipt = await api.post(
                "/v1/receipts",
                json={
                    "item_code": item,
                    "location_code": location,
                    "lot_number": lot,
                    "quantity": "5000",
                    "supplier": "Yageo",
                    "supplier_lot": f"YG-{index}",
                    "purchase_order": "PO-BENCH",
                },
                headers={"Idempotency-Key": f"bench-slice-{tag}-{index}"},
            )
            answered = time.perf_counter()
            if receipt.status_code != 201:
                raise SystemExit(f"receipt {index}: {receipt.status_code} {receipt.text[:500]}")
            seen = await wait_for_lot(api, item, lot, answered, args)
            if index >= args.warmup:
                latencies.append(seen)
                posting.append(answered - sent)
        meter.stop()
        cpu = meter.per_unit_ms(len(latencies) + args.warmup)
    latencies.sort()
    posting.sort()
    return {
        "receipts": len(latencies),
        "lot_visible_s": {
            "p50": round(statistics.median(latencies), 4),
            "p95": round(rank(latencies, 95), 4),
            "max": round(latencies[-1], 4),
        },
        "receipt_answer_ms": {
            "p50": round(statistics.median(posting) * 1000, 1),
            "p95": round(rank(posting, 95) * 1000, 1),
        },
        "cpu_ms_per_receipt": cpu,
    }


async def wait_for_lot(
    api: httpx.AsyncClient, item: str, lot: str, since: float, args: argparse.Namespace
) -> float:
    """Seconds from `since` until trace lists the lot; fails past `--timeout`."""
    while True:
        found = await api.get("/v1/genealogy/nodes", params={"item_code": item, "lot_number": lot})
        found.raise_for_status()
        lots = [row for row in found.json()["items"] if row.get("lot_number") == lot]
        if lots:
            if len(lots) != 1:
                raise SystemExit(f"trace shows lot {lot} {len(lots)} times")
            return time.perf_counter() - since
        if time.perf_counter() - since > args.timeout:
            raise SystemExit(f"trace did not show lot {lot} within {args.timeout} s")
        await asyncio.sleep(args.poll_ms / 1000)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/slice.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--receipts", type=int, default=50, help="receipts timed")
    parser.add_argument("--warmup", type=int, default=5, help="receipts first, not timed")
    parser.add_argument("--poll-ms", type=float, default=5.0, help="how often trace is asked")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds a lot may take")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args(argv)
    if args.receipts < 1 or args.warmup < 0 or args.poll_ms <= 0:
        parser.error("--receipts takes 1 or more, --warmup 0 or more, --poll-ms more than 0")
    info = machine()
    started = time.perf_counter()
    var_dir = Path(tempfile.mkdtemp(prefix="bench-slice-"))
    print(f"setup: {SETUP}\nstarting the stack in {var_dir} ...", flush=True)
    stack = start_stack(
        var_dir,
        base_port=0,
        log_level="WARNING",
        extra_env={"trace": {"TRACE_EVENT_POLL_SECONDS": str(TRACE_POLL_SECONDS)}},
    )
    try:
        results = asyncio.run(run(stack, args))
    finally:
        stack.stop()
    seen = results["lot_visible_s"]
    print(
        f"\nreceipt -> lot in trace: p50 {seen['p50'] * 1000:.0f} ms, p95 "
        f"{seen['p95'] * 1000:.0f} ms, max {seen['max'] * 1000:.0f} ms over "
        f"{results['receipts']} receipts (receipt answered in "
        f"{results['receipt_answer_ms']['p50']} ms at p50)"
    )
    print(fmt_cpu("receipt", results["cpu_ms_per_receipt"]))
    report = {
        "benchmark": "slice",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": info,
        "setup": SETUP,
        "arguments": vars(args),
        "duration_s": round(time.perf_counter() - started, 1),
        "load_average_after": os.getloadavg(),
        "results": results,
    }
    rows = [
        (
            "slice",
            f"every lot in trace within {TARGET_S:g} s of its receipt's answer, slowest "
            f"{seen['max'] * 1000:.0f} ms",
            seen["max"] < TARGET_S,
        )
    ]
    return report_verdicts("slice", report, info, rows, strict=args.strict, width=6)


if __name__ == "__main__":
    raise SystemExit(main())
