"""Rules benchmark: balance-change events through 200 active rules, workflow on PostgreSQL.

    make bench                      # runs this after bench/workflow.py
    .venv/bin/python bench/workflow_rules.py [--events 100000] [--items 5000] [--rules 200]
                                             [--round 5000] [--seed 20261127] [--strict]

A workflow app is built in-process (`services.workflow.app.create_app`, background tasks
off, heap frozen at start as the services do) on a fresh PostgreSQL database migrated with
workflow's Alembic migrations (`BENCH_POSTGRES_URL`, default
postgresql+asyncpg://postgres@127.0.0.1:5432; dropped afterwards). Stock's feed and the
facts the rules need are served by fakes in a process of their own (uvicorn on a local
port; in production catalog and stock are processes of their own too), generated from the
same seed there and here: `GET /v1/events` pages of `MovementPosted` events (what the
handler reads of them: the item), `GET /v1/items` (the catalog: category, item type,
safety stock, lot sizing) and `GET /v1/availability` (stock: qualified, reserved,
available), with figures drawn once per item and kept, so every rule's outcome is known.

`--rules` (200) active rules are created through the API: each scoped to one of 20
categories (10 per category), with a condition over availability and the item (a
multiple of the safety stock, of qualified, of reserved; some also over the item type),
and a to-do action; about one item in eight meets a given rule of its category.

The feed is released in rounds of `--round` (5,000) events, one second's worth at the
target, over `--items` (5,000) items (each round touches about 3,200 distinct items,
every item once per round or two). Each round: workflow's consumer pulls everything
released (pages of 500, as the app subscribes), then the runner runs until nothing is
left (items evaluated on their facts, episodes opened, to-dos written). The rate is the
events divided by the whole time, both steps included. Target (issue): at least 5,000
balance-change events a second through 200 active rules.

Checked at the end: every (rule, item) whose condition holds on the item's facts has one
open episode and one to-do, and no other exists (firing once per episode: later rounds
re-evaluate the same items on the same facts and fire nothing more).

Everything runs on this machine: this process (workflow), the fakes' process and
PostgreSQL. Results go to bench/results/workflow-rules-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Query

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bench.common import CpuMeter, fmt_cpu, pg_dsn, pg_execute, report_verdicts  # noqa: E402
from tools.machine import machine  # noqa: E402

CATEGORIES = [f"CAT{i:02d}" for i in range(20)]
ITEM_TYPES = ["raw_material", "semi_finished", "finished_good"]


class Facts:
    """Every item's catalog row and availability, drawn once."""

    def __init__(self, items: int, rng: random.Random) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.availability: dict[str, dict[str, Any]] = {}
        for n in range(items):
            code = f"ITEM-{n:06d}"
            safety = rng.choice([0, 100, 500, 1000, 5000])
            qualified = rng.randint(0, 12_000)
            reserved = rng.randint(0, min(qualified, 3_000))
            self.items[code] = {
                "code": code, "name": f"Part {n}", "uom": "pcs",
                "item_type": rng.choice(ITEM_TYPES), "category": rng.choice(CATEGORIES),
                "safety_stock": str(safety),
                "lot_sizing": {"policy": "fixed", "fixed_quantity": "1000",
                               "minimum_quantity": None, "multiple": None},
            }
            self.availability[code] = {
                "item_code": code, "qualified": str(qualified), "pending_inspection": "0",
                "defective": "0", "wip": "0", "reserved": str(reserved),
                "available": str(qualified - reserved),
            }


def rule_bodies(count: int, rng: random.Random) -> list[dict[str, Any]]:
    """`count` rules over the 20 categories, each with its own thresholds."""
    bodies = []
    for n in range(count):
        category = CATEGORIES[n % len(CATEGORIES)]
        factor = 1 + (n // len(CATEGORIES)) / 4
        kind = n % 4
        if kind == 0:
            condition = f"facts.availability.available < facts.item.safety_stock * {factor}"
        elif kind == 1:
            condition = (
                f"facts.availability.reserved > facts.availability.qualified * {0.1 * factor:.2f}"
                " && facts.item.safety_stock > 0"
            )
        elif kind == 2:
            condition = (
                f'facts.item.item_type == "{rng.choice(ITEM_TYPES)}" && '
                f"facts.availability.qualified < {2000 * factor:.0f}"
            )
        else:
            condition = (
                "facts.shortage > 0 && "
                f"facts.suggested_quantity >= {1000 * int(factor)}"
            )
        bodies.append({
            "code": f"bench-{n:03d}", "name": f"Bench rule {n}",
            "scope": {"categories": [category]},
            "facts": ["item", "availability"], "condition": condition,
            "actions": [{"kind": "todo", "todo_type": "bench", "assignee_role": "buyer",
                         "title": f'"rule {n}: " + subject.item_code',
                         "quantity": "facts.suggested_quantity"}],
            "active": True,
        })
    return bodies


def fake_app(facts: Facts, events: list[dict[str, Any]], released: list[int]) -> FastAPI:
    app = FastAPI()

    @app.post("/release")
    async def release(upto: int) -> dict[str, int]:
        released[0] = min(len(events), upto)
        return {"released": released[0]}

    @app.get("/v1/events")
    async def feed(after: int = 0, limit: int = 100) -> dict[str, Any]:
        end = min(released[0], after + limit)
        page = events[after:end]
        return {"events": page, "next_after": end, "has_more": end < released[0]}

    @app.get("/v1/items")
    async def items(code: list[str] = Query(default=[]), limit: int = 50) -> dict[str, Any]:
        return {"items": [facts.items[c] for c in code if c in facts.items],
                "next_cursor": None}

    @app.get("/v1/availability")
    async def availability(
        item_code: list[str] = Query(default=[]), limit: int = 50
    ) -> dict[str, Any]:
        rows = [facts.availability[c] for c in item_code if c in facts.availability]
        return {"items": rows, "next_cursor": None, "location_code": None}

    return app


def world(args: argparse.Namespace) -> tuple[Facts, list[dict[str, Any]], list[dict[str, Any]]]:
    """The items' facts, the rules and the feed, the same in every process (one seed)."""
    rng = random.Random(args.seed)
    facts = Facts(args.items, rng)
    bodies = rule_bodies(args.rules, rng)
    events = feed_events(args.events, sorted(facts.items), rng)
    return facts, bodies, events


def serve_fakes(args: argparse.Namespace, port: int) -> None:
    """The other services, in their own process as in production (catalog and stock are
    processes of their own): stock's feed and the facts, on 127.0.0.1:`port`."""
    import uvicorn

    facts, _, events = world(args)
    uvicorn.run(fake_app(facts, events, [0]), host="127.0.0.1", port=port,
                log_level="warning", access_log=False)


def feed_events(count: int, items: list[str], rng: random.Random) -> list[dict[str, Any]]:
    now = "2026-11-27T08:00:00+00:00"
    return [
        {
            "seq": seq, "event_id": uuid.uuid4().hex, "type": "MovementPosted",
            "aggregate_type": "movement", "aggregate_id": str(seq), "occurred_at": now,
            "actor": "user:bench", "request_id": None,
            "payload": {"id": seq, "item_code": rng.choice(items), "quantity": "1"},
        }
        for seq in range(1, count + 1)
    ]


def expected_fires(
    facts: Facts, bodies: list[dict[str, Any]], touched: set[str]
) -> set[tuple[str, str]]:
    """(rule code, item) pairs whose condition holds for the items the feed touches,
    computed here with the same CEL."""
    from decimal import Decimal

    from services.workflow.domain.conditions import celify, is_true
    from services.workflow.domain.rules import suggested_quantity

    holds = set()
    for code, item in facts.items.items():
        if code not in touched:
            continue
        available = facts.availability[code]
        shortage = max(Decimal(item["safety_stock"]) - Decimal(available["available"]),
                       Decimal(0))
        activation = celify({
            "subject": {"item_code": code},
            "facts": {
                "item": {**item, "safety_stock": Decimal(item["safety_stock"])},
                "availability": {k: Decimal(v) for k, v in available.items()
                                 if k != "item_code"},
                "shortage": shortage,
                "suggested_quantity": suggested_quantity(shortage, item["lot_sizing"]),
            },
        })
        for body in bodies:
            if item["category"] in body["scope"]["categories"] and is_true(
                body["condition"], activation
            ):
                holds.add((body["code"], code))
    return holds


async def run(url: str, dsn: str, args: argparse.Namespace) -> dict[str, Any]:
    import multiprocessing

    from tools.run import ephemeral_port

    facts, bodies, events = world(args)
    expected = expected_fires(facts, bodies, {e["payload"]["item_code"] for e in events})
    print(f"setup: {args.items} items, {len(bodies)} rules, {len(events)} events; "
          f"{len(expected)} (rule, item) pairs should fire", flush=True)
    port = ephemeral_port("127.0.0.1")
    fakes = multiprocessing.get_context("spawn").Process(
        target=serve_fakes, args=(args, port), daemon=True
    )
    fakes.start()
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base) as control:
        for _ in range(300):
            try:
                await control.post("/release", params={"upto": 0})
                break
            except httpx.TransportError:
                await asyncio.sleep(0.1)
        else:
            raise SystemExit("the fake services did not start")
        try:
            return await measure(url, dsn, args, bodies, events, expected, base, control)
        finally:
            fakes.terminate()


async def measure(
    url: str, dsn: str, args: argparse.Namespace, bodies: list[dict[str, Any]],
    events: list[dict[str, Any]], expected: set[tuple[str, str]], base: str,
    control: httpx.AsyncClient,
) -> dict[str, Any]:
    import asyncpg

    from services.workflow.app import create_app
    from services.workflow.runtime import runner_of
    from services.workflow.settings import Settings

    settings = Settings(
        database_url=url,
        service_urls={"stock": base, "catalog": base, "mrp": base},
        run_background_tasks=False,
        freeze_heap_at_startup=True,
        internal_token_secret=secrets.token_urlsafe(48),
        log_level="WARNING",
        event_subscribers=[],
    )
    app = create_app(settings)
    admin = {"Authorization": "Bearer " + _admin_token(settings.internal_token_secret)}
    rounds: list[float] = []
    async with app.router.lifespan_context(app):
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                   base_url="http://workflow", headers=admin)
        for body in bodies:
            made = await client.post("/v1/rules", json=body)
            assert made.status_code == 201, made.text
        consumer = app.state.consumers["stock"]
        runner = runner_of(app)
        cpu = CpuMeter({})
        cpu.start()
        started = time.perf_counter()
        evaluated = 0
        released = 0
        while released < len(events):
            began = time.perf_counter()
            released = min(len(events), released + args.round)
            await control.post("/release", params={"upto": released})
            await consumer.catch_up()
            while True:
                done = await runner.run_once()
                evaluated += done
                if not done:
                    break
            rounds.append(time.perf_counter() - began)
        seconds = time.perf_counter() - started
        cpu.stop()
        await client.aclose()
    rate = len(events) / seconds
    conn = await asyncpg.connect(dsn)
    try:
        episodes = {
            (r["code"], r["key"])
            for r in await conn.fetch(
                "SELECT r.code, e.key FROM wf_episodes e JOIN wf_rules r ON r.id = e.rule_id "
                "WHERE e.open AND e.fired = 1"
            )
        }
        twice = await conn.fetchval("SELECT count(*) FROM wf_episodes WHERE fired > 1")
        todos = await conn.fetchval("SELECT count(*) FROM wf_todos WHERE todo_type = 'bench'")
    finally:
        await conn.close()
    ok = episodes == expected and todos == len(expected) and twice == 0
    cpu_ms = cpu.per_unit_ms(len(events))
    print(
        f"rules: {len(events)} events through {len(bodies)} rules in {seconds:.1f} s = "
        f"{rate:.0f} events/s (rounds of {args.round}: slowest {max(rounds):.2f} s, "
        f"median {sorted(rounds)[len(rounds) // 2]:.2f} s; {evaluated} runner steps); "
        f"check: {len(episodes)} episodes, {todos} to-dos, expected {len(expected)}: "
        f"{'ok' if ok else 'WRONG'}",
        flush=True,
    )
    print(fmt_cpu("event", cpu_ms) + " (the load generator is workflow itself; the fake "
          "feed and facts run in a process of their own, counted in machine)", flush=True)
    return {
        "events": len(events), "items": args.items, "rules": len(bodies),
        "seconds": round(seconds, 2), "events_per_s": round(rate),
        "round_events": args.round, "round_seconds": [round(r, 3) for r in rounds],
        "episodes": len(episodes), "todos": todos, "expected": len(expected),
        "fired_twice": twice, "verified": ok, "cpu_ms_per_event": cpu_ms,
    }


def _admin_token(secret: str) -> str:
    from shared.auth.principal import ADMIN, Principal
    from shared.auth.tokens import mint_internal_token

    return mint_internal_token(secret, Principal("user:bench", frozenset({ADMIN})), 3600)


def verdicts(results: dict[str, Any]) -> list[tuple[str, str, bool]]:
    r = results["rules"]
    return [(
        "rules",
        f"{r['events_per_s']} balance-change events/s through {r['rules']} rules "
        f"(target >= 5,000/s), outcome {'verified' if r['verified'] else 'WRONG'}",
        r["events_per_s"] >= 5000 and r["verified"],
    )]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=5_000)
    parser.add_argument("--rules", type=int, default=200)
    parser.add_argument("--round", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    pg_url = os.environ.get("BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432")
    database = f"bench_rules_{uuid.uuid4().hex[:8]}"
    info = machine()
    started = time.perf_counter()
    asyncio.run(pg_execute(pg_url, f'CREATE DATABASE "{database}"'))
    try:
        from shared.db.migrate import upgrade

        url = f"{pg_url.rstrip('/')}/{database}"
        upgrade("workflow", url)
        results = {"rules": asyncio.run(run(url, pg_dsn(pg_url, database), args))}
    finally:
        asyncio.run(pg_execute(pg_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    report = {
        "benchmark": "workflow-rules",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": info,
        "setup": "workflow's app in this process, the fake feed and facts in another, "
        "PostgreSQL; nothing else",
        "arguments": vars(args),
        "duration_s": round(time.perf_counter() - started, 1),
        "load_average_after": os.getloadavg(),
        "results": results,
    }
    return report_verdicts("workflow-rules", report, info, verdicts(results),
                           strict=args.strict, width=6)


if __name__ == "__main__":
    raise SystemExit(main())
