"""Catalog benchmarks (issue #3), through the gateway, with the catalog on PostgreSQL.

    make bench                      # runs this after the gateway benchmark
    .venv/bin/python bench/catalog.py [--items 20000] [--lines 50000] [--products 2000]

Starts the stack the way `make run` does, except that the catalog's database is a fresh
PostgreSQL database (dropped afterwards; `BENCH_POSTGRES_URL`, default
postgresql+asyncpg://postgres@127.0.0.1:5432). Then it measures:

* import: 20,000 items from one .xlsx (`POST /v1/imports/items?dry_run=false`), target
  under 10 s, and the dry run of the same file;
* explosion: `GET /v1/items/{id}/explosion` of a product 8 levels deep with 50,000 BOM
  lines under it, target under 300 ms (the first call after a release loads the
  released-BOM graph into the catalog's cache; it is reported apart as "cold");
* where-used: `GET /v1/items/{id}/where-used?multi_level=true` of a part used in 2,000
  products (directly in some, through sub-assemblies in the others), target under 200 ms.

Everything runs on this machine: the load generator, the gateway, the catalog and
PostgreSQL share its cores. Results go to bench/results/catalog-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from openpyxl import Workbook

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bench.common import pg_execute  # noqa: E402
from tools.machine import machine  # noqa: E402
from tools.run import Stack, start_stack  # noqa: E402

RESULTS_DIR = REPO_ROOT / "bench" / "results"
TARGETS_MS = {"import_20k_items": 10_000.0, "explosion": 300.0, "where_used": 200.0}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --------------------------------------------------------------------------- data


def items_workbook(rows: list[tuple[str, str, str, str, str]]) -> bytes:
    """An .xlsx with Chinese/English headers as ERP exports have them."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("物料")
    sheet.append(["物料编码", "名称", "规格型号", "单位", "物料类型"])
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def import_items(
    client: httpx.Client, content: bytes, *, dry_run: bool
) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    response = client.post(
        "/v1/imports/items",
        params={"dry_run": str(dry_run).lower()},
        files={"file": ("items.xlsx", content, XLSX)},
        timeout=300,
    )
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code not in (200, 201):
        raise SystemExit(f"import failed: {response.status_code} {response.text[:2000]}")
    return elapsed, response.json()


def parallel(jobs: list[Callable[[], Any]], workers: int = 4) -> list[Any]:
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda job: job(), jobs))


def create_and_release(client: httpx.Client, parent: str, lines: list[dict[str, str]]) -> int:
    created = client.post(
        "/v1/boms", json={"item_code": parent, "revision": "A", "lines": lines}, timeout=120
    )
    if created.status_code != 201:
        raise SystemExit(f"BOM of {parent}: {created.status_code} {created.text[:1000]}")
    bom = created.json()
    released = client.post(
        f"/v1/boms/{bom['id']}/release",
        json={"effective_from": "2026-01-01"},
        headers={"If-Match": created.headers["etag"]},
        timeout=120,
    )
    if released.status_code != 200:
        raise SystemExit(f"release of {parent}: {released.status_code} {released.text[:1000]}")
    return int(bom["id"])


def timed(
    client: httpx.Client,
    path: str,
    params: dict[str, str],
    repeat: int,
    *,
    vary: Callable[[int], dict[str, str]] | None = None,
) -> dict[str, Any]:
    """Time `repeat` GETs (the whole body received). With `vary`, each asks something
    else (another quantity or date), so the catalog computes every answer instead of
    replaying one it keeps until the graph changes."""
    samples: list[float] = []
    size = 0
    body: Any = None
    for n in range(repeat):
        query = params | vary(n) if vary else params
        started = time.perf_counter()
        response = client.get(path, params=query, timeout=120)
        samples.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"GET {path}: {response.status_code} {response.text[:1000]}")
        size = len(response.content)
        body = response.json() if n == repeat - 1 else None
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 1),
        "p90_ms": round(samples[max(0, int(len(samples) * 0.9) - 1)], 1),
        "max_ms": round(samples[-1], 1),
        "min_ms": round(samples[0], 1),
        "repeat": repeat,
        "response_bytes": size,
        "body": body,
    }


# --------------------------------------------------------------------------- the run


def run(stack: Stack, args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with httpx.Client(base_url=stack.gateway_url, timeout=60) as login_client:
        login = login_client.post(
            "/v1/auth/token",
            data={
                "username": stack.secrets.admin_username,
                "password": stack.secrets.admin_password,
            },
        )
        login.raise_for_status()
        # An API key, not an access token: the setup outlives a token's 15 minutes.
        key = login_client.post(
            "/v1/api-keys",
            json={"name": "bench-catalog", "roles": ["admin"]},
            headers={"Authorization": f"Bearer {login.json()['access_token']}"},
        )
        key.raise_for_status()
        token = key.json()["secret"]
    client = httpx.Client(
        base_url=stack.gateway_url,
        headers={"Authorization": f"Bearer {token}"},
        limits=httpx.Limits(max_connections=8),
    )
    tag = uuid.uuid4().hex[:4].upper()

    # 1. 20,000 raw materials from one .xlsx.
    raws = [
        (f"RM-{tag}-{n:06d}", f"Part {n}", f"0402 {n % 97}k 1%", "pcs", "原材料")
        for n in range(args.items)
    ]
    content = items_workbook(raws)
    dry_ms, dry = import_items(client, content, dry_run=True)
    commit_ms, committed = import_items(client, content, dry_run=False)
    results["import_20k_items"] = {
        "rows": args.items,
        "file_bytes": len(content),
        "dry_run_ms": round(dry_ms, 1),
        "commit_ms": round(commit_ms, 1),
        "target_ms": TARGETS_MS["import_20k_items"],
        "met": commit_ms < TARGETS_MS["import_20k_items"],
    }
    print(
        f"import {args.items} items: dry run {dry_ms:.0f} ms, commit {commit_ms:.0f} ms", flush=True
    )
    del dry, committed
    raw_codes = [row[0] for row in raws]

    # 2. An 8-level product: a binary tree of assemblies (levels 0..7), each with leaves.
    depth = 8
    assemblies = [
        [f"ASM-{tag}-L{level}-{n:03d}" for n in range(2**level)] for level in range(depth)
    ]
    made = [(c, f"Assembly {c}", "", "pcs", "半成品") for level in assemblies for c in level]
    import_items(client, items_workbook(made), dry_run=False)
    count = sum(len(level) for level in assemblies)
    leaf_lines = args.lines - (count - 1)
    per_assembly = leaf_lines // count
    extra = leaf_lines - per_assembly * count
    cursor = 0
    for level in range(depth - 1, -1, -1):  # bottom-up: children are released first
        level_jobs: list[Callable[[], Any]] = []
        for index, code in enumerate(assemblies[level]):
            take = per_assembly + (1 if extra > 0 else 0)
            extra -= 1 if extra > 0 else 0
            lines = [
                {
                    "component_code": raw_codes[(cursor + k) % len(raw_codes)],
                    "quantity": "2",
                    "scrap_percent": "1",
                }
                for k in range(take)
            ]
            cursor += take
            if level + 1 < depth:
                lines += [
                    {"component_code": assemblies[level + 1][2 * index + j], "quantity": "1"}
                    for j in range(2)
                ]
            level_jobs.append(partial(create_and_release, client, code, lines))
        started = time.perf_counter()
        parallel(level_jobs)
        print(
            f"  level {level}: {len(level_jobs)} BOMs released in "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )
    top = client.get(f"/v1/items/by-code/{assemblies[0][0]}").json()
    explode = f"/v1/items/{top['id']}/explosion"
    cold = timed(client, explode, {}, 1)
    warm = timed(client, explode, {}, args.repeat, vary=lambda n: {"quantity": str(n + 3)})
    replay = timed(client, explode, {"quantity": "2"}, args.repeat)
    rows = warm.pop("body")
    cold.pop("body")
    replay.pop("body")
    row_count = len(rows["rows"])
    results["explosion"] = {
        "levels": depth,
        "bom_lines_under_product": args.lines,
        "rows_returned": row_count,
        "cold_ms": cold["p50_ms"],
        "replayed_answer_p50_ms": replay["p50_ms"],
        **warm,
        "target_ms": TARGETS_MS["explosion"],
        "met": warm["p50_ms"] < TARGETS_MS["explosion"],
    }
    print(
        f"explosion ({row_count} rows, {warm['response_bytes']} bytes): cold {cold['p50_ms']} ms,"
        f" computed p50 {warm['p50_ms']} ms (p90 {warm['p90_ms']} ms), replayed p50 "
        f"{replay['p50_ms']} ms",
        flush=True,
    )

    # 3. A capacitor used in 2,000 products: directly in half, via 50 sub-assemblies in the
    #    other half (each sub-assembly goes into 20 products).
    cap = f"CAP-{tag}"
    subs = [f"SUB-{tag}-{n:03d}" for n in range(50)]
    products = [f"FG-{tag}-{n:05d}" for n in range(args.products)]
    import_items(
        client,
        items_workbook([(cap, "Capacitor 100nF", "0402 X7R", "pcs", "原材料")]),
        dry_run=False,
    )
    import_items(client, items_workbook([(s, s, "", "pcs", "半成品") for s in subs]), dry_run=False)
    import_items(
        client, items_workbook([(p, p, "", "pcs", "成品") for p in products]), dry_run=False
    )
    started = time.perf_counter()
    parallel(
        [
            partial(
                create_and_release,
                client,
                s,
                [
                    {"component_code": cap, "quantity": "4"},
                    {"component_code": raw_codes[n], "quantity": "1"},
                ],
            )
            for n, s in enumerate(subs)
        ]
    )
    half = args.products // 2
    parallel(
        [
            partial(
                create_and_release,
                client,
                p,
                [
                    {"component_code": cap, "quantity": "2"}
                    if n < half
                    else {"component_code": subs[n % len(subs)], "quantity": "1"},
                    {"component_code": raw_codes[100 + n % 1000], "quantity": "3"},
                ],
            )
            for n, p in enumerate(products)
        ]
    )
    print(
        f"  {len(subs) + len(products)} BOMs released in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    cap_item = client.get(f"/v1/items/by-code/{cap}").json()
    path = f"/v1/items/{cap_item['id']}/where-used"
    cold = timed(client, path, {"multi_level": "true"}, 1)
    warm = timed(
        client,
        path,
        {"multi_level": "true"},
        args.repeat,
        vary=lambda n: {"date": f"2026-02-{n % 28 + 1:02d}"},
    )
    replay = timed(client, path, {"multi_level": "true"}, args.repeat)
    replay.pop("body")
    body = warm.pop("body")
    cold.pop("body")
    tops = body.get("top_products", []) if isinstance(body, dict) else []
    results["where_used"] = {
        "products": args.products,
        "top_products_returned": len(tops),
        "cold_ms": cold["p50_ms"],
        "replayed_answer_p50_ms": replay["p50_ms"],
        **warm,
        "target_ms": TARGETS_MS["where_used"],
        "met": warm["p50_ms"] < TARGETS_MS["where_used"],
    }
    print(
        f"where-used ({len(tops)} top products): cold {cold['p50_ms']} ms, "
        f"p50 {warm['p50_ms']} ms, p90 {warm['p90_ms']} ms",
        flush=True,
    )
    client.close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/catalog.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--products", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    pg_url = os.environ.get("BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432")
    database = f"bench_catalog_{uuid.uuid4().hex[:8]}"
    asyncio.run(pg_execute(pg_url, f'CREATE DATABASE "{database}"'))
    info = machine()
    var_dir = Path(tempfile.mkdtemp(prefix="bench-catalog-"))
    print(f"starting the stack in {var_dir} (catalog on PostgreSQL {database}) ...", flush=True)
    try:
        stack = start_stack(
            var_dir,
            base_port=0,
            log_level="WARNING",
            extra_env={"gateway": {"GATEWAY_RATE_LIMIT_PER_SECOND": "0"}},
            database_overrides={"catalog": f"{pg_url.rstrip('/')}/{database}"},
        )
        try:
            results = run(stack, args)
        finally:
            stack.stop()
    finally:
        asyncio.run(pg_execute(pg_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    report = {
        "benchmark": "catalog",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": info,
        "setup": "load generator, gateway, six services and PostgreSQL on this one machine",
        "results": results,
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"catalog-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nmachine: {info['cpu_model']}, {info['cores']} cores, Python {info['python']}")
    for name, result in results.items():
        figure = result.get("commit_ms", result.get("p50_ms"))
        print(
            f"  {name:<18} {figure} ms (target < {result['target_ms']:.0f} ms): "
            f"{'met' if result['met'] else 'MISSED'}"
        )
    print(f"results: {out}")
    missed = [name for name, result in results.items() if not result["met"]]
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
