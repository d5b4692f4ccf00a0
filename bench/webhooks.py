"""Event webhook benchmarks (issue #9): deliveries to a local receiver, and the delivering
service killed mid-run and restarted, with workflow on PostgreSQL.

    make bench                      # runs this after bench/workflow_rules.py
    .venv/bin/python bench/webhooks.py [--scale 1.0] [--deliveries N] [--subscriptions 8]
                                       [--concurrency N] [--batch N] [--poll-seconds 0.1]
                                       [--lease-seconds 5] [--kill-at 0.4] [--timeout 600]
                                       [--profile 30] [--seed 20261128] [--strict]
                                       [--only throughput,kill]

Target (issue #9): 1,000 deliveries/s to a local receiver, none lost or doubled when the
delivering service is killed mid-run and restarted.

Each section has a fresh PostgreSQL database for workflow (`BENCH_POSTGRES_URL`, default
postgresql+asyncpg://postgres@127.0.0.1:5432; created for the run, migrated with
workflow's Alembic migrations, dropped afterwards) and goes through three steps:

* fill (timed apart; not part of the rate): a workflow app in this process
  (`services.workflow.app.create_app`, background tasks off, heap frozen at start as the
  services do, its lifespan run) makes `--subscriptions` (8) subscriptions to `stock.*`
  with its use-case (`webhooks.create_webhook`, what `POST /v1/webhooks` calls), each to
  `http://127.0.0.1:<receiver>/hooks/<n>`. A fake stock feed (an in-process uvicorn on
  this event loop, as in bench/erp.py) serves `--deliveries` / S `MovementPosted` events
  (payload stock's `MovementOut`, built with that model), and the app's stock consumer
  takes them (`consumers["stock"].catch_up()`, pages of 500 as the app subscribes): its
  batch handler queues one delivery row per event and subscription in the page's unit of
  work (`webhooks.enqueue_events`), as in production. The app is then shut down.
* the receiver: this file run as `bench/webhooks.py --receiver` in a process of its own
  (uvicorn, a bare ASGI app), so its CPU is counted apart and it outlives the kill. It
  answers 204 at once and keeps (arrival time, `/hooks/<n>`, webhook-id) of every request
  in memory; every 100th request's signature is verified with standardwebhooks'
  `Webhook(secret).verify` and its body's `data.seq` compared with its webhook-id. The
  bench polls `GET /stats` every 0.05 s and reads `GET /log` at the end.
* delivery: workflow as `make run` starts it (`python -m uvicorn
  services.workflow.app:create_app --factory`) on the section's database, background
  tasks on (its three feed consumers, the runner and the webhook dispatcher), with
  `WORKFLOW_WEBHOOK_POLL_SECONDS` `--poll-seconds` (0.1) and the service's own defaults
  for concurrency (16 subscriptions at once: with 8 subscriptions, 8 lanes) and batch
  (50) unless `--concurrency`/`--batch` say otherwise. Its feeds (stock, mrp, catalog)
  and its gateway URL point at this process's fake feed: the stock consumer finds itself
  caught up (empty pages), mrp and catalog are empty, so they poll quietly; anything else
  it asks is answered 404 and counted.

Sections:

* throughput: deliveries/s from the first to the last delivery the receiver saw; target
  >= 1,000/s. CPU milliseconds per delivery of workflow's process, PostgreSQL (every
  server process), the receiver, this process (the fake feed and the polling) and the
  rest of the machine, from the first delivery seen to the last (`bench.common.CpuMeter`).
  The default lease (60 s) applies.
* kill: the same on a new database with fresh rows, except that
  `WORKFLOW_WEBHOOK_LEASE_SECONDS` is `--lease-seconds` (5; the service's default is
  60) in both workflow processes, so that the leased rows come back quickly. Once the
  receiver has seen `--kill-at` (40 %) of the deliveries, workflow gets SIGKILL; the
  pending rows it had claimed (attempts >= 1, read right after the kill) are the ones
  in flight. It is restarted at once with the same settings, and the bench waits until
  every delivery row is `delivered`.

Checks, both sections (the kill section's verdict is made of them):

* lost: every queued (subscription, webhook-id) arrived at least once; 0 required;
* duplicates: the same webhook-id arriving again for a subscription. "None doubled" is
  judged as the Standard Webhooks contract has it: the receiver dedupes on the
  webhook-id (the same on every attempt), so the raw duplicates and the deduplicated
  count are reported apart. Raw duplicates are allowed only in the kill section and only
  for rows in flight at the kill (at most subscriptions x batch); none in throughput;
* order: per subscription, the ids in first-arrival order are the subscription's
  delivery order (its rows' id order, which is the feed's sequence) with none missing,
  and the raw arrivals go back at most once (the re-sent in-flight batch; never in
  throughput);
* database: every row `delivered` with `delivered_at`, one per (subscription, event);
  attempts 1, but 2 for the rows in flight at the kill;
* signatures: every sampled request verified.

`--profile N` runs the throughput section's workflow in a wrapper (`bench/webhooks.py
--serve-workflow PORT`: `uvicorn.run` of the same factory) under cProfile, with every SQL
statement timed (SQLAlchemy cursor events: wall time, waits on the loop included), and
prints the top N functions by own time and the statements by total time; the rate is
then not a measurement.

`--scale 0.1` (2,000 deliveries) is a quick run. Everything runs on this machine: this
process, the receiver's, workflow's and PostgreSQL share its cores (2 where this was
written), so each section prints what ran beside it: whether a pytest process was seen
during the measured window, and the CPU the machine's other processes used meanwhile.
Results go to bench/results/webhooks-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import pstats
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
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
    feed_page,
    feed_query,
    fmt_cpu,
    pg_dsn,
    pg_execute,
    report_verdicts,
    send_json,
)
from tools.machine import machine  # noqa: E402
from tools.run import _die_with_parent, ephemeral_port  # noqa: E402

TARGETS = {"deliveries_per_s": 1000.0}
FULL = {"deliveries": 20_000}
SECTIONS = ("throughput", "kill")
HOST = "127.0.0.1"
#: Every SAMPLE-th request the receiver gets has its signature verified.
SAMPLE = 100
#: How often the bench asks the receiver how far it is.
POLL_SECONDS = 0.05
#: The workflow app's stock subscription pulls pages of this size (services/workflow/app.py).
STOCK_PAGE = 500
START = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
PENDING, QUALIFIED = "pending_inspection", "qualified"
#: (document type, from, to, quality before, after, stage, references)
MOVES = (
    ("purchase_receipt", "VIRTUAL/SUPPLIER", "WH1/RAW/A-01", PENDING, PENDING, "raw", "supplier"),
    ("requisition", "WH1/RAW/A-01", "LINE-1", QUALIFIED, QUALIFIED, "wip", "work_order"),
    ("shipment", "WH1/FG/A-01", "VIRTUAL/CUSTOMER", QUALIFIED, QUALIFIED, "finished", "customer"),
)


# --------------------------------------------------------------------------- the feed


def stock_events(count: int, seed: int) -> list[bytes]:
    """`count` `MovementPosted` events as stock's feed carries them (seq 1..count), payload
    stock's `MovementOut`: receipts, issues to work orders and shipments over 200 raw
    materials and 30 finished goods."""
    from services.stock.schemas import MovementOut

    rnd = random.Random(seed)
    clock = START
    events = []
    for seq in range(1, count + 1):
        clock += timedelta(seconds=rnd.randint(1, 30))
        document_type, source, target, before, after, stage, reference = rnd.choice(MOVES)
        item = (
            f"FG-{rnd.randrange(30):03d}" if stage == "finished" else f"RM-{rnd.randrange(200):04d}"
        )
        quantity = Decimal(rnd.choice((1, 5, 10, 50, 100, 250)))
        cost = Decimal(rnd.randint(5, 50_000)) / 100
        references = {
            "supplier": {"supplier": f"Supplier {seq % 40:02d}", "purchase_order": f"PO-{seq:07d}"},
            "work_order": {"work_order": f"WO-{seq // 12:07d}"},
            "customer": {"customer": f"Customer {seq % 60:02d}", "sales_order": f"SO-{seq:07d}"},
        }[reference]
        payload = MovementOut.model_validate(
            {
                "id": seq,
                "document_type": document_type,
                "document_id": seq // 3 + 1,
                "item_code": item,
                "lot_number": f"L{seq // 7:07d}",
                "serial_number": None,
                "quantity": quantity,
                "from_location": source,
                "to_location": target,
                "from_state": before,
                "to_state": after,
                "stage": stage,
                "sequence": seq,
                "unit_cost": cost,
                "value": quantity * cost,
                "posted_at": clock,
                "posted_by": "user:bench",
                "reversal_of_id": None,
                **references,
            }
        ).model_dump(mode="json")
        event = {
            "seq": seq,
            "event_id": str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
            "type": "MovementPosted",
            "aggregate_type": "movement",
            "aggregate_id": str(seq),
            "occurred_at": payload["posted_at"],
            "actor": "user:bench",
            "request_id": f"bench-{document_type}-{seq // 3 + 1}",
            "payload": payload,
        }
        events.append(orjson.dumps(event))
    return events


class FakeFeeds:
    """An ASGI app: stock's feed at /stock/v1/events, empty mrp and catalog feeds; anything
    else 404, counted."""

    def __init__(self, events: list[bytes]) -> None:
        self.events = events
        self.pages: Counter[str] = Counter()
        self.unexpected: Counter[str] = Counter()

    def page(self, after: int, limit: int) -> bytes:
        return feed_page(self.events, after, limit)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        after, limit = feed_query(scope)
        path = scope["path"]
        status = 200
        if path == "/stock/v1/events":
            self.pages["stock"] += 1
            body = self.page(after, limit)
        elif path in ("/mrp/v1/events", "/catalog/v1/events"):
            self.pages[path.split("/")[1]] += 1
            body = b'{"events":[],"next_after":%d,"has_more":false}' % after
        else:
            self.unexpected[f"{scope['method']} {path}"] += 1
            status, body = 404, b'{"code":"not_found"}'
        await send_json(send, status, body)


def feed_urls(base: str) -> dict[str, str]:
    return {source: f"{base}/{source}" for source in ("stock", "mrp", "catalog")}


# --------------------------------------------------------------------------- the receiver


class Receiver:
    """The integrator's endpoint, a bare ASGI app: POST /hooks/<n> answers 204 at once and
    keeps (arrival time, n, webhook-id); every SAMPLE-th request's signature is verified.
    GET /stats: counts; GET /log: every arrival, in order."""

    def __init__(self, secrets_by_hook: dict[str, str]) -> None:
        from standardwebhooks.webhooks import Webhook

        self.webhooks = {hook: Webhook(secret) for hook, secret in secrets_by_hook.items()}
        self.log: list[tuple[float, str, str]] = []
        self.seen: set[tuple[str, str]] = set()
        self.verified = 0
        self.rejected: list[str] = []

    def check(self, hook: str, message_id: str, body: bytes, raw: list[Any]) -> None:
        webhook = self.webhooks.get(hook)
        if webhook is None:
            self.rejected.append(f"/hooks/{hook}: no such subscription")
            return
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in raw}
        try:
            event = webhook.verify(body, headers)
        except Exception as exc:
            self.rejected.append(f"/hooks/{hook} {message_id}: {exc!r}")
            return
        data = event.get("data", {})
        if event.get("type") != "stock.MovementPosted" or (
            f"evt_{data.get('source')}_{data.get('seq')}" != message_id
        ):
            self.rejected.append(f"/hooks/{hook} {message_id}: body of {event.get('type')}")
            return
        self.verified += 1

    def stats(self) -> dict[str, Any]:
        return {
            "received": len(self.log),
            "distinct": len(self.seen),
            "first": self.log[0][0] if self.log else None,
            "last": self.log[-1][0] if self.log else None,
            "verified": self.verified,
            "rejected": len(self.rejected),
            "rejections": self.rejected[:5],
        }

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        if scope["method"] == "POST" and path.startswith("/hooks/"):
            chunks = []
            while True:
                message = await receive()
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
            arrived = time.time()
            hook = path[len("/hooks/") :]
            message_id = ""
            for name, value in scope["headers"]:
                if name == b"webhook-id":
                    message_id = value.decode("latin-1")
                    break
            self.log.append((arrived, hook, message_id))
            self.seen.add((hook, message_id))
            if len(self.log) % SAMPLE == 0:
                self.check(hook, message_id, b"".join(chunks), scope["headers"])
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        status = 200
        if path == "/stats":
            body = orjson.dumps(self.stats())
        elif path == "/log":
            body = orjson.dumps(self.log)
        else:
            status, body = 404, b"{}"
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def serve_receiver(port: int, secrets_file: str) -> None:
    import uvicorn

    hooks = json.loads(Path(secrets_file).read_text())
    uvicorn.run(
        Receiver(hooks),
        host=HOST,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )


def serve_workflow(port: int, out: str) -> None:
    """Workflow's app as uvicorn runs it for `make run`, under cProfile, every SQL
    statement timed; written to `<out>.prof` and `<out>.sql.json` at shutdown."""
    import cProfile

    import uvicorn
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    statements: dict[str, list[float]] = {}

    def before(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def after(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        began = conn.info.pop("bench_started", None)
        if began is None:
            return
        key = " ".join(statement.split())[:240]
        entry = statements.setdefault(key, [0, 0.0, 0])
        entry[0] += 1
        entry[1] += time.perf_counter() - began
        entry[2] += len(parameters) if many and isinstance(parameters, list | tuple) else 1

    event.listen(Engine, "before_cursor_execute", before)
    event.listen(Engine, "after_cursor_execute", after)
    # uvicorn raises the SIGTERM it caught again once it has shut down: let it find a
    # handler that returns, so the profile is written below
    signal.signal(signal.SIGTERM, lambda *_: None)
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        uvicorn.run(
            "services.workflow.app:create_app",
            factory=True,
            host=HOST,
            port=port,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=5,
        )
    finally:
        profiler.disable()
        profiler.dump_stats(f"{out}.prof")
        Path(f"{out}.sql.json").write_text(json.dumps(statements))


# --------------------------------------------------------------------------- processes


def _ancestors() -> set[int]:
    """This process and the ones that started it (a shell whose command line names pytest,
    such as a loop waiting for it to end, is not a test run)."""
    found, pid = set(), os.getpid()
    while pid > 1 and pid not in found:
        found.add(pid)
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return found


def pytest_running() -> list[int]:
    """Pids of pytest processes on the machine (what `pgrep -f pytest` finds)."""
    found = []
    mine = _ancestors()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in mine:
            continue
        try:
            if b"pytest" in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@dataclass
class Beside:
    """Whether pytest ran during a measured window (sampled about once a second)."""

    samples: int = 0
    with_pytest: int = 0
    pids: set[int] = field(default_factory=set)
    _last: float = 0.0

    def sample(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < 1.0:
            return
        self._last = now
        found = pytest_running()
        self.samples += 1
        if found:
            self.with_pytest += 1
            self.pids.update(found)

    def describe(self) -> str:
        if not self.with_pytest:
            return f"no pytest process seen ({self.samples} samples)"
        return (
            f"pytest RAN in {self.with_pytest} of {self.samples} samples "
            f"(pids {sorted(self.pids)[:6]})"
        )


@dataclass
class Proc:
    name: str
    port: int
    log_path: Path
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid

    def tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 15.0) -> int | None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def launch(name: str, command: list[str], env: dict[str, str], port: int, log_dir: Path) -> Proc:
    log_path = log_dir / f"{name}.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
    return Proc(name, port, log_path, process)


def start_receiver(secrets_file: Path, port: int, log_dir: Path) -> Proc:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--receiver",
        str(port),
        "--secrets-file",
        str(secrets_file),
    ]
    return launch("receiver", command, {}, port, log_dir)


def workflow_env(
    url: str, base: str, args: argparse.Namespace, lease: float | None
) -> dict[str, str]:
    env = {
        "WORKFLOW_DATABASE_URL": url,
        "WORKFLOW_INTERNAL_TOKEN_SECRET": args.token_secret,
        "WORKFLOW_ENVIRONMENT": "development",
        "WORKFLOW_RUN_BACKGROUND_TASKS": "true",
        "WORKFLOW_SERVICE_URLS": json.dumps(feed_urls(base)),
        "WORKFLOW_GATEWAY_URL": base,
        "WORKFLOW_EVENT_SUBSCRIBERS": "[]",
        "WORKFLOW_LOG_LEVEL": "WARNING",
        "WORKFLOW_WEBHOOK_POLL_SECONDS": str(args.poll_seconds),
    }
    if lease is not None:
        env["WORKFLOW_WEBHOOK_LEASE_SECONDS"] = str(lease)
    if args.concurrency is not None:
        env["WORKFLOW_WEBHOOK_CONCURRENCY"] = str(args.concurrency)
    if args.batch is not None:
        env["WORKFLOW_WEBHOOK_BATCH"] = str(args.batch)
    return env


def start_workflow(
    name: str, env: dict[str, str], log_dir: Path, *, profile_out: str | None = None
) -> Proc:
    port = ephemeral_port(HOST)
    if profile_out:
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--serve-workflow",
            str(port),
            "--profile-out",
            profile_out,
        ]
    else:  # as tools/run.py starts it
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "services.workflow.app:create_app",
            "--factory",
            "--host",
            HOST,
            "--port",
            str(port),
            "--no-access-log",
            "--timeout-graceful-shutdown",
            "5",
        ]
    return launch(name, command, env, port, log_dir)


def service_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The dispatcher's settings a workflow process of the run gets."""
    from services.workflow.settings import Settings

    defaults = Settings.model_fields
    return {
        "concurrency": args.concurrency or defaults["webhook_concurrency"].default,
        "concurrency_is_default": args.concurrency is None,
        "batch": args.batch or defaults["webhook_batch"].default,
        "batch_is_default": args.batch is None,
        "poll_seconds": args.poll_seconds,
        "default_lease_seconds": defaults["webhook_lease_seconds"].default,
    }


# --------------------------------------------------------------------------- fill


@dataclass
class Fill:
    hooks: dict[str, int]  # /hooks/<n> -> subscription id
    secrets: dict[str, str]  # /hooks/<n> -> its secret
    events: int
    queued: int
    seconds: float
    cpu_ms: dict[str, float]


async def fill(url: str, dsn: str, base: str, receiver_port: int, args: argparse.Namespace) -> Fill:
    """Subscriptions made with the use-case, then the fake stock feed taken by the app's
    consumer, which queues the deliveries (timed)."""
    import asyncpg

    from services.workflow.app import create_app
    from services.workflow.settings import Settings
    from services.workflow.usecases.webhooks import create_webhook
    from services.workflow.webhook_schemas import WebhookIn

    settings = Settings(
        database_url=url,
        service_urls=feed_urls(base),
        gateway_url=base,
        run_background_tasks=False,
        freeze_heap_at_startup=True,
        internal_token_secret=args.token_secret,
        log_level="WARNING",
        event_subscribers=[],
    )
    app = create_app(settings)
    hooks: dict[str, int] = {}
    secrets_by_hook: dict[str, str] = {}
    cpu = CpuMeter({})
    async with app.router.lifespan_context(app):
        for n in range(1, args.subscriptions + 1):
            made = await create_webhook(
                app.state.db.uow(actor="user:bench"),
                WebhookIn(
                    name=f"bench receiver {n}",
                    url=f"http://{HOST}:{receiver_port}/hooks/{n}",
                    event_types=["stock.*"],
                    description="bench/webhooks.py",
                ),
            )
            hooks[str(n)] = made.id
            secrets_by_hook[str(n)] = made.secret
        consumer = app.state.consumers["stock"]
        cpu.start()
        started = time.perf_counter()
        applied = await consumer.catch_up()
        seconds = time.perf_counter() - started
        cpu.stop()
    connection = await asyncpg.connect(dsn)
    try:
        queued = await connection.fetchval(
            "SELECT count(*) FROM wf_webhook_deliveries WHERE state = 'pending' AND attempts = 0"
        )
    finally:
        await connection.close()
    if queued != applied * args.subscriptions:
        raise SystemExit(
            f"fill: {applied} events applied, {queued} deliveries queued, expected "
            f"{applied * args.subscriptions}"
        )
    return Fill(hooks, secrets_by_hook, applied, queued, seconds, cpu.per_unit_ms(queued))


# --------------------------------------------------------------------------- checks


async def delivery_rows(connection: Any) -> list[Any]:
    return list(
        await connection.fetch(
            "SELECT id, subscription_id, source, seq, generation, state, attempts, "
            "delivered_at, next_attempt_at FROM wf_webhook_deliveries ORDER BY id"
        )
    )


def analyse(
    log: list[list[Any]],
    fill_: Fill,
    rows: list[Any],
    in_flight: set[tuple[int, int]],
    *,
    killed: bool,
    batch: int,
) -> dict[str, Any]:
    """What the receiver saw and what the database says, against what was queued;
    `in_flight` holds (subscription id, seq) of the rows claimed at the kill."""
    by_hook: dict[str, list[int]] = defaultdict(list)
    malformed: list[str] = []
    for _, hook, message_id in log:
        source, _, seq = message_id.removeprefix("evt_").partition("_")
        if source != "stock" or not seq.isdigit():
            malformed.append(f"/hooks/{hook} {message_id!r}")
            continue
        by_hook[hook].append(int(seq))
    expected = set(range(1, fill_.events + 1))
    # each subscription's delivery order: its rows in id order
    order: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        order[row["subscription_id"]].append(row["seq"])
    lost = duplicates = distinct = back_jumps_max = unexpected = 0
    unordered: list[str] = []
    outside: list[str] = []
    per_hook: dict[str, dict[str, int]] = {}
    for hook, subscription_id in fill_.hooks.items():
        seqs = by_hook.get(hook, [])
        counts = Counter(seqs)
        first: list[int] = list(dict.fromkeys(seqs))  # first arrivals, in order
        missing = len(expected - counts.keys())
        extra = len(counts.keys() - expected)
        doubled = [seq for seq, n in counts.items() if n > 1]
        jumps = sum(1 for a, b in itertools.pairwise(seqs) if b < a)
        lost += missing
        unexpected += extra
        distinct += len(counts)
        duplicates += len(seqs) - len(counts)
        back_jumps_max = max(back_jumps_max, jumps)
        if first != order.get(subscription_id) or first != sorted(first):
            unordered.append(f"/hooks/{hook}")
        outside += [
            f"/hooks/{hook} evt_stock_{seq}"
            for seq in doubled
            if (subscription_id, seq) not in in_flight
        ]
        per_hook[hook] = {
            "received": len(seqs),
            "distinct": len(counts),
            "lost": missing,
            "duplicates": len(seqs) - len(counts),
            "back_jumps": jumps,
        }
    unknown_hooks = sorted(set(by_hook) - set(fill_.hooks))
    # the database: one delivered row per (subscription, event), attempts 1 (2 in flight)
    states = Counter(row["state"] for row in rows)
    keys = Counter(
        (row["subscription_id"], row["source"], row["seq"], row["generation"]) for row in rows
    )
    retried = {(row["subscription_id"], row["seq"]) for row in rows if row["attempts"] > 1}
    attempts = Counter(row["attempts"] for row in rows)
    no_time = sum(1 for row in rows if row["state"] == "delivered" and row["delivered_at"] is None)
    db_problems = []
    if states.get("delivered", 0) != fill_.queued or len(rows) != fill_.queued:
        db_problems.append(f"{dict(states)} of {len(rows)} rows, {fill_.queued} queued")
    if any(n > 1 for n in keys.values()):
        db_problems.append("a (subscription, event) has more than one row")
    if no_time:
        db_problems.append(f"{no_time} delivered rows without delivered_at")
    if retried != in_flight:
        db_problems.append(
            f"{len(retried)} rows attempted more than once, {len(in_flight)} were in flight "
            f"({len(retried - in_flight)} not in flight)"
        )
    bound = len(in_flight)
    duplicates_ok = (
        duplicates == 0 if not killed else (not outside and duplicates <= bound)
    ) and bound <= len(fill_.hooks) * batch
    order_ok = not unordered and back_jumps_max <= (1 if killed else 0)
    problems = []
    if lost or unexpected or malformed or unknown_hooks:
        problems.append(
            f"{lost} lost, {unexpected} unexpected, {len(malformed)} malformed ids, "
            f"hooks {unknown_hooks} unknown"
        )
    if not duplicates_ok:
        problems.append(
            f"{duplicates} raw duplicates ({len(outside)} of rows not in flight, e.g. "
            f"{outside[:3]}; {bound} in flight)"
        )
    if not order_ok:
        problems.append(f"out of order: {unordered[:4]}, back jumps up to {back_jumps_max}")
    problems += db_problems
    return {
        "expected": fill_.queued,
        "received_raw": len(log),
        "received_deduplicated": distinct,
        "lost": lost,
        "unexpected": unexpected,
        "malformed_ids": malformed[:5],
        "unknown_hooks": unknown_hooks,
        "duplicates_raw": duplicates,
        "duplicates_of_rows_not_in_flight": len(outside),
        "in_flight_at_kill": bound,
        "in_flight_bound": len(fill_.hooks) * batch,
        "back_jumps_max": back_jumps_max,
        "out_of_order_hooks": unordered,
        "database": {
            "states": dict(states),
            "attempts": {str(k): v for k, v in sorted(attempts.items())},
            "retried_rows": len(retried),
            "ok": not db_problems,
        },
        "per_hook": per_hook,
        "lost_ok": lost == 0 and not unexpected and not malformed and not unknown_hooks,
        "duplicates_ok": duplicates_ok,
        "order_ok": order_ok,
        "ok": not problems,
        "problems": problems,
    }


def per_second(times: list[float]) -> dict[str, Any]:
    """Deliveries in each whole second from the first arrival (the last partial one left
    out)."""
    if len(times) < 2:
        return {}
    first = times[0]
    counts = Counter(int(t - first) for t in times)
    whole = [counts.get(s, 0) for s in range(int(times[-1] - first))]
    if not whole:
        return {}
    return {"min": min(whole), "max": max(whole), "seconds": len(whole), "each": whole}


# --------------------------------------------------------------------------- sections


async def stats_of(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/stats")
    response.raise_for_status()
    return dict(orjson.loads(response.content))


async def wait_receiver(client: httpx.AsyncClient, receiver: Proc) -> None:
    for _ in range(300):
        if receiver.process.poll() is not None:
            raise SystemExit(f"the receiver exited:\n{receiver.tail()}")
        try:
            await stats_of(client)
            return
        except httpx.TransportError:
            await asyncio.sleep(0.1)
    raise SystemExit("the receiver did not start")


async def pending_count(connection: Any) -> int:
    return int(
        await connection.fetchval(
            "SELECT count(*) FROM wf_webhook_deliveries WHERE state = 'pending'"
        )
    )


def alive(proc: Proc) -> None:
    if proc.process.poll() is not None:
        raise SystemExit(
            f"{proc.name} exited with {proc.process.returncode}; last lines of "
            f"{proc.log_path}:\n{proc.tail()}"
        )


async def section(
    kind: str, url: str, dsn: str, args: argparse.Namespace, events: list[bytes], work: Path
) -> dict[str, Any]:
    import asyncpg
    import uvicorn

    feeds = FakeFeeds(events)
    feed_port = ephemeral_port(HOST)
    server = uvicorn.Server(
        uvicorn.Config(
            feeds, host=HOST, port=feed_port, log_level="warning", lifespan="off", access_log=False
        )
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            raise SystemExit(f"the fake feed server did not start: {serving.exception()!r}")
        await asyncio.sleep(0.02)
    base = f"http://{HOST}:{feed_port}"
    receiver_port = ephemeral_port(HOST)
    processes: list[Proc] = []
    try:
        made = await fill(url, dsn, base, receiver_port, args)
        print(
            f"{kind} fill: {made.events} MovementPosted events x {args.subscriptions} "
            f"subscriptions = {made.queued} deliveries queued by the stock consumer in "
            f"{made.seconds:.2f} s = {made.queued / made.seconds:.0f} deliveries/s "
            f"({made.events / made.seconds:.0f} events/s, pages of {STOCK_PAGE})",
            flush=True,
        )
        print(
            fmt_cpu("delivery queued", made.cpu_ms)
            + " (workflow's consumer and the fake feed both run in the load generator)",
            flush=True,
        )
        secrets_file = work / f"{kind}-secrets.json"
        secrets_file.write_text(json.dumps(made.secrets))
        receiver = start_receiver(secrets_file, receiver_port, work / kind)
        processes.append(receiver)
        connection = await asyncpg.connect(dsn)
        try:
            async with httpx.AsyncClient(
                base_url=f"http://{HOST}:{receiver_port}", timeout=60
            ) as client:
                await wait_receiver(client, receiver)
                if kind == "throughput":
                    figures = await throughput(
                        args, url, base, made, client, connection, receiver, work, processes
                    )
                else:
                    figures = await killed(
                        args, url, base, made, client, connection, receiver, work, processes
                    )
                stats = await stats_of(client)
                log = orjson.loads((await client.get("/log")).content)
            rows = await delivery_rows(connection)
        finally:
            await connection.close()
    finally:
        for proc in processes:
            proc.stop()
        server.should_exit = True
        await serving
    batch = service_settings(args)["batch"]
    checks = analyse(log, made, rows, figures.pop("in_flight"), killed=kind == "kill", batch=batch)
    signatures_ok = stats["rejected"] == 0 and stats["verified"] == stats["received"] // SAMPLE
    verdict = "ok" if checks["ok"] and signatures_ok else "WRONG " + "; ".join(checks["problems"])
    figures |= {
        "fill": {
            "events": made.events,
            "subscriptions": args.subscriptions,
            "queued": made.queued,
            "seconds": round(made.seconds, 2),
            "deliveries_per_s": round(made.queued / made.seconds, 1),
            "cpu_ms_per_delivery": made.cpu_ms,
        },
        "signatures": {
            "verified": stats["verified"],
            "sampled_every": SAMPLE,
            "rejected": stats["rejected"],
            "rejections": stats["rejections"],
            "ok": signatures_ok,
        },
        "feed_requests": dict(feeds.pages),
        "unexpected_requests": dict(feeds.unexpected),
        "checks": checks,
    }
    print(
        f"{kind} checks: {checks['received_deduplicated']} of {checks['expected']} arrived "
        f"(deduplicated on webhook-id), {checks['lost']} lost; {checks['duplicates_raw']} raw "
        f"duplicates ({checks['in_flight_at_kill']} rows in flight at a kill, "
        f"{checks['duplicates_of_rows_not_in_flight']} duplicates of rows not in flight); "
        f"order per subscription {'ok' if checks['order_ok'] else 'WRONG'} (raw arrivals "
        f"went back at most {checks['back_jumps_max']} time(s)); database "
        f"{checks['database']['states']}, attempts {checks['database']['attempts']}; "
        f"signatures {stats['verified']} of every {SAMPLE}th verified, {stats['rejected']} "
        f"rejected: {verdict}",
        flush=True,
    )
    if feeds.unexpected:
        print(f"  workflow asked the fake feed for other things: {dict(feeds.unexpected)}")
    return figures


async def throughput(
    args: argparse.Namespace,
    url: str,
    base: str,
    made: Fill,
    client: httpx.AsyncClient,
    connection: Any,
    receiver: Proc,
    work: Path,
    processes: list[Proc],
) -> dict[str, Any]:
    profile_out = str(work / "throughput" / "workflow") if args.profile else None
    beside = Beside()
    beside.sample(force=True)
    load_before = os.getloadavg()
    spawned = time.time()
    workflow = start_workflow(
        "workflow",
        workflow_env(url, base, args, None),
        work / "throughput",
        profile_out=profile_out,
    )
    processes.append(workflow)
    cpu = CpuMeter({"workflow": workflow.pid, "receiver": receiver.pid})
    deadline = time.monotonic() + args.timeout
    counted_from = counted_to = 0
    metering = False
    while True:
        stats = await stats_of(client)
        if not metering and stats["received"]:
            cpu.start()
            metering = True
            counted_from = stats["received"]
        if stats["distinct"] >= made.queued:
            if metering:
                cpu.stop()
            counted_to = stats["received"]
            break
        alive(workflow)
        if time.monotonic() > deadline:
            raise SystemExit(
                f"throughput: {stats['distinct']} of {made.queued} delivered after "
                f"{args.timeout} s; workflow's log:\n{workflow.tail()}"
            )
        if metering:
            beside.sample()
        await asyncio.sleep(POLL_SECONDS)
    beside.sample(force=True)
    while await pending_count(connection):  # the last batch being recorded
        alive(workflow)
        await asyncio.sleep(0.05)
    load_after = os.getloadavg()
    workflow.stop()
    first, last = stats["first"], stats["last"]
    seconds = last - first
    rate = stats["received"] / seconds if seconds > 0 else 0.0
    log = orjson.loads((await client.get("/log")).content)
    spread = per_second([row[0] for row in log])
    units = max(1, counted_to - counted_from)
    cpu_ms = cpu.per_unit_ms(units)
    known = sum(v for k, v in cpu.spent_s.items() if k != "machine")
    cpu_ms["other processes"] = round(1000 * (cpu.spent_s.get("machine", 0.0) - known) / units, 2)
    settings = service_settings(args)
    defaults = settings["concurrency_is_default"] and settings["batch_is_default"]
    seconds_text = f"; {spread['min']}-{spread['max']} in each whole second" if spread else ""
    print(
        f"throughput: {stats['received']} deliveries in {seconds:.2f} s = {rate:.0f}/s (first "
        f"to last arrival at the receiver; workflow spawned {first - spawned:.1f} s before "
        f"the first){seconds_text}; concurrency "
        f"{settings['concurrency']}, batch {settings['batch']}"
        f"{' (the service defaults)' if defaults else ''}, "
        f"poll {args.poll_seconds} s, lease {settings['default_lease_seconds']:g} s (default)"
        f"{'; UNDER cProfile: not a measurement' if args.profile else ''}",
        flush=True,
    )
    print(fmt_cpu("delivery", cpu_ms) + f" (over {units} deliveries)", flush=True)
    print(
        f"  beside: workflow (pid {workflow.pid}), the receiver (pid {receiver.pid}), "
        f"PostgreSQL and this process (fake feeds, polling) on {os.cpu_count()} cores; "
        f"{beside.describe()}; other processes' CPU {cpu_ms['other processes']} ms per "
        f"delivery; load {load_before[0]:.2f} -> {load_after[0]:.2f}",
        flush=True,
    )
    profile = report_profile(profile_out, args.profile) if profile_out else None
    return {
        "deliveries": stats["received"],
        "seconds": round(seconds, 3),
        "deliveries_per_s": round(rate, 1),
        "startup_to_first_s": round(first - spawned, 2),
        "lanes": min(settings["concurrency"], len(made.hooks)),
        "per_second": spread,
        "settings": settings | {"lease_seconds": settings["default_lease_seconds"]},
        "cpu_ms_per_delivery": cpu_ms,
        "cpu_window_deliveries": units,
        "beside": {
            "pytest_samples": beside.with_pytest,
            "samples": beside.samples,
            "pytest_pids": sorted(beside.pids),
            "load_before": load_before,
            "load_after": load_after,
        },
        "profiled": bool(args.profile),
        "profile": profile,
        "in_flight": set(),
        "target": f">= {TARGETS['deliveries_per_s']:.0f} deliveries/s",
        "met": rate >= TARGETS["deliveries_per_s"] and not args.profile,
    }


async def killed(
    args: argparse.Namespace,
    url: str,
    base: str,
    made: Fill,
    client: httpx.AsyncClient,
    connection: Any,
    receiver: Proc,
    work: Path,
    processes: list[Proc],
) -> dict[str, Any]:
    env = workflow_env(url, base, args, args.lease_seconds)
    kill_at = max(1, round(made.queued * args.kill_at))
    beside = Beside()
    beside.sample(force=True)
    load_before = os.getloadavg()
    first_process = start_workflow("workflow-1", env, work / "kill")
    processes.append(first_process)
    deadline = time.monotonic() + args.timeout
    while True:
        stats = await stats_of(client)
        if stats["received"] >= kill_at:
            first_process.process.send_signal(signal.SIGKILL)
            killed_at = time.time()
            first_process.process.wait()
            break
        alive(first_process)
        if time.monotonic() > deadline:
            raise SystemExit(f"kill: {stats['received']} delivered after {args.timeout} s")
        beside.sample()
        await asyncio.sleep(0.01)
    at_kill = await stats_of(client)
    claimed = await connection.fetch(
        "SELECT subscription_id, seq FROM wf_webhook_deliveries"
        " WHERE state = 'pending' AND attempts > 0"
    )
    in_flight = {(row["subscription_id"], row["seq"]) for row in claimed}
    recorded = await connection.fetchval(
        "SELECT count(*) FROM wf_webhook_deliveries WHERE state = 'delivered'"
    )
    print(
        f"kill: SIGKILL after {at_kill['received']} arrivals ({at_kill['distinct']} distinct; "
        f"{recorded} recorded delivered, {len(in_flight)} claimed in flight)",
        flush=True,
    )
    restarted_at = time.time()
    second_process = start_workflow("workflow-2", env, work / "kill")
    processes.append(second_process)
    cpu = CpuMeter({"workflow": second_process.pid, "receiver": receiver.pid})
    cpu.start()
    while True:
        stats = await stats_of(client)
        if stats["distinct"] >= made.queued and not await pending_count(connection):
            cpu.stop()
            break
        alive(second_process)
        if time.monotonic() > deadline:
            raise SystemExit(
                f"kill: {stats['distinct']} of {made.queued} delivered after {args.timeout} s; "
                f"workflow's log:\n{second_process.tail()}"
            )
        beside.sample()
        await asyncio.sleep(POLL_SECONDS)
    beside.sample(force=True)
    load_after = os.getloadavg()
    done_at = time.time()
    second_process.stop()
    log = orjson.loads((await client.get("/log")).content)
    after_restart = [row[0] for row in log if row[0] > restarted_at]
    resumed = after_restart[0] - restarted_at if after_restart else None
    tail_rate = (
        len(after_restart) / (after_restart[-1] - after_restart[0])
        if len(after_restart) > 1
        else 0.0
    )
    before_kill = [row[0] for row in log if row[0] <= killed_at]
    head_rate = (
        len(before_kill) / (before_kill[-1] - before_kill[0]) if len(before_kill) > 1 else 0.0
    )
    units = max(1, len(after_restart))
    cpu_ms = cpu.per_unit_ms(units)
    print(
        f"kill: restarted at once (lease {args.lease_seconds:g} s in both processes); first "
        f"delivery {resumed:.1f} s after the restart, all {made.queued} delivered "
        f"{done_at - restarted_at:.1f} s after it; {head_rate:.0f}/s before the kill, "
        f"{tail_rate:.0f}/s from the first to the last arrival after the restart (the "
        f"lease wait inside)",
        flush=True,
    )
    print(
        fmt_cpu("delivery after the restart", cpu_ms) + " (startup and the lease wait included)",
        flush=True,
    )
    print(
        f"  beside: workflow, the receiver, PostgreSQL and this process on {os.cpu_count()} "
        f"cores; {beside.describe()}; load {load_before[0]:.2f} -> {load_after[0]:.2f}",
        flush=True,
    )
    return {
        "kill_at": kill_at,
        "arrived_at_kill": at_kill["received"],
        "recorded_delivered_at_kill": recorded,
        "lease_seconds": args.lease_seconds,
        "restart_to_first_delivery_s": round(resumed, 2) if resumed is not None else None,
        "restart_to_all_delivered_s": round(done_at - restarted_at, 2),
        "deliveries_per_s_before_kill": round(head_rate, 1),
        "deliveries_per_s_after_restart": round(tail_rate, 1),
        "settings": service_settings(args) | {"lease_seconds": args.lease_seconds},
        "cpu_ms_per_delivery_after_restart": cpu_ms,
        "beside": {
            "pytest_samples": beside.with_pytest,
            "samples": beside.samples,
            "pytest_pids": sorted(beside.pids),
            "load_before": load_before,
            "load_after": load_after,
        },
        "in_flight": in_flight,
        "target": "none lost; duplicates only of rows in flight at the kill",
    }


def report_profile(out: str, top: int) -> dict[str, Any]:
    """Print the top functions by own time and the SQL statements by total time."""
    stats = pstats.Stats(f"{out}.prof")
    entries = []
    raw: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    for (path, line, name), (_, calls, own, cumulative, _) in raw.items():
        short = path.split("site-packages/")[-1] if "site-packages/" in path else Path(path).name
        entries.append((own, cumulative, calls, f"{short}:{line}({name})", path))
    entries.sort(reverse=True)
    total = sum(entry[0] for entry in entries) or 1.0
    packages: Counter[str] = Counter()
    for own, _, _, where, path in entries:
        packages[package_of(path, where)] += own
    print(f"profile: own time by package (of {total:.1f} s profiled in workflow's process):")
    print(
        "  "
        + ", ".join(f"{name} {100 * own / total:.1f} %" for name, own in packages.most_common(14))
    )
    print(f"profile: top {top} functions by own time:")
    functions = []
    for own, cumulative, calls, where, _ in entries[:top]:
        print(
            f"  {own:7.2f} s {100 * own / total:5.1f} %  cum {cumulative:7.2f} s  "
            f"{calls:>8}  {where}"
        )
        functions.append(
            {
                "own_s": round(own, 3),
                "cum_s": round(cumulative, 3),
                "calls": calls,
                "function": where,
            }
        )
    ours = sorted(
        (entry for entry in entries if "/services/workflow/" in entry[4] or "/shared/" in entry[4]),
        key=lambda entry: entry[1],
        reverse=True,
    )[:top]
    print("profile: workflow's and shared's functions by cumulative time:")
    for own, cumulative, calls, where, _ in ours:
        print(f"  cum {cumulative:7.2f} s  own {own:6.2f} s  {calls:>8}  {where}")
    statements = json.loads(Path(f"{out}.sql.json").read_text())
    ranked = sorted(statements.items(), key=lambda item: item[1][1], reverse=True)[:12]
    print("profile: SQL statements by total wall time (executions, rows or parameter sets):")
    sql = []
    for text, (count, seconds, rows) in ranked:
        print(
            f"  {seconds:7.2f} s  {count:>6} x  {1000 * seconds / max(count, 1):6.2f} ms  "
            f"{int(rows):>7}  {text[:150]}"
        )
        sql.append(
            {"seconds": round(seconds, 3), "executions": count, "rows": rows, "statement": text}
        )
    return {
        "own_time_by_package": {name: round(own, 3) for name, own in packages.most_common(30)},
        "functions": functions,
        "cumulative": [e[3] for e in ours],
        "sql": sql,
    }


#: What a package's own time is counted as in the profile's summary.
HTTP_CLIENT = {"httpx", "httpcore", "anyio", "h11", "sniffio", "certifi"}


def package_of(path: str, where: str) -> str:
    if "site-packages/" in path:
        top = path.split("site-packages/")[1].split("/")[0]
        return "http client (httpx, httpcore, anyio, h11)" if top in HTTP_CLIENT else top
    root = str(REPO_ROOT) + "/"
    if path.startswith(root):
        return "/".join(path[len(root) :].split("/")[:2])
    if path == "~":
        return "builtins"
    return "stdlib"


# --------------------------------------------------------------------------- the run


def verdicts(results: dict[str, Any]) -> list[tuple[str, str, bool]]:
    lines = []
    run = results.get("throughput")
    if run:
        checks = run["checks"]
        lines.append(
            (
                "throughput",
                f"{run['deliveries_per_s']:.0f} deliveries/s ({run['deliveries']} in "
                f"{run['seconds']} s, {run['lanes']} lanes of concurrency "
                f"{run['settings']['concurrency']}, batch "
                f"{run['settings']['batch']}; workflow "
                f"{run['cpu_ms_per_delivery'].get('workflow')} CPU ms per delivery; "
                f"{checks['lost']} lost, {checks['duplicates_raw']} duplicates, checks "
                f"{checks['ok'] and run['signatures']['ok']}"
                f"{', under cProfile' if run['profiled'] else ''}) (target {run['target']})",
                run["met"] and checks["ok"] and run["signatures"]["ok"],
            )
        )
    run = results.get("kill")
    if run:
        checks = run["checks"]
        lines.append(
            (
                "kill",
                f"{checks['lost']} lost, {checks['duplicates_raw']} raw duplicates of "
                f"{checks['in_flight_at_kill']} rows in flight (deduplicated: "
                f"{checks['received_deduplicated']} of {checks['expected']}, each once); order "
                f"{checks['order_ok']}, database {checks['database']['ok']}, signatures "
                f"{run['signatures']['ok']} (target {run['target']})",
                checks["ok"] and run["signatures"]["ok"],
            )
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/webhooks.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--scale", type=float, default=1.0, help="size of the run (1: 20,000 deliveries)"
    )
    parser.add_argument(
        "--deliveries", type=int, default=None, help="deliveries per section (20,000 x scale)"
    )
    parser.add_argument("--subscriptions", type=int, default=8, help="subscriptions to stock.*")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=None,
        help="WORKFLOW_WEBHOOK_CONCURRENCY (default: the service's)",
    )
    parser.add_argument(
        "--batch", type=int, default=None, help="WORKFLOW_WEBHOOK_BATCH (default: the service's)"
    )
    parser.add_argument(
        "--poll-seconds", type=float, default=0.1, help="WORKFLOW_WEBHOOK_POLL_SECONDS"
    )
    parser.add_argument(
        "--lease-seconds", type=float, default=5.0, help="kill: WORKFLOW_WEBHOOK_LEASE_SECONDS"
    )
    parser.add_argument(
        "--kill-at", type=float, default=0.4, help="kill: the share delivered at the SIGKILL"
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds a section may take")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        help="throughput: workflow under cProfile, SQL timed; print the top N functions",
    )
    parser.add_argument("--seed", type=int, default=20261128, help="of every random choice")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--only",
        type=lambda text: set(text.split(",")),
        default=set(SECTIONS),
        help="sections to run, comma-separated: throughput, kill (default both)",
    )
    parser.add_argument("--receiver", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--secrets-file", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--serve-workflow", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.receiver is not None:
        serve_receiver(args.receiver, args.secrets_file)
        return 0
    if args.serve_workflow is not None:
        serve_workflow(args.serve_workflow, args.profile_out)
        return 0
    if not args.only <= set(SECTIONS):
        parser.error(f"--only takes {', '.join(SECTIONS)}")
    if not 0.01 <= args.scale <= 10:
        parser.error("--scale takes 0.01 to 10")
    if not 1 <= args.subscriptions <= 256:
        parser.error("--subscriptions takes 1 to 256")
    if not 0 < args.kill_at < 1:
        parser.error("--kill-at takes a share between 0 and 1")
    if args.deliveries is None:
        args.deliveries = max(args.subscriptions * 10, round(FULL["deliveries"] * args.scale))
    events_count = -(-args.deliveries // args.subscriptions)
    args.token_secret = secrets.token_urlsafe(48)
    pg_url = os.environ.get("BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432")
    suffix = uuid.uuid4().hex[:8]
    databases = {
        name: f"bench_webhooks_{name}_{suffix}" if name in args.only else None for name in SECTIONS
    }
    info = machine()
    started = time.perf_counter()
    began = time.perf_counter()
    events = stock_events(events_count, args.seed)
    print(
        f"setup: {len(events)} MovementPosted events generated in "
        f"{time.perf_counter() - began:.1f} s (about {sum(map(len, events)) // len(events)} "
        f"bytes each on the feed); {args.subscriptions} subscriptions to stock.* make "
        f"{len(events) * args.subscriptions} deliveries per section",
        flush=True,
    )
    work = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    results: dict[str, Any] = {}
    from shared.db.migrate import upgrade

    try:
        for name, database in databases.items():
            if not database:
                continue
            asyncio.run(pg_execute(pg_url, f'CREATE DATABASE "{database}"'))
            url = f"{pg_url.rstrip('/')}/{database}"
            began = time.perf_counter()
            upgrade("workflow", url)
            print(
                f"setup: {database} created and migrated in {time.perf_counter() - began:.1f} s",
                flush=True,
            )
            (work / name).mkdir(exist_ok=True)
            results[name] = asyncio.run(
                section(name, url, pg_dsn(pg_url, database), args, events, work)
            )
    finally:
        for database in databases.values():
            if database:
                asyncio.run(
                    pg_execute(pg_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
                )
    print(f"logs: {work}")
    report = {
        "benchmark": "webhooks",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": info,
        "setup": "fill: workflow's app and the fake stock feed in this process, PostgreSQL; "
        "delivery: workflow as its own uvicorn process (background tasks on), the receiver "
        "as another process, the fake feeds and the polling in this process, PostgreSQL, "
        "all on this one machine",
        "arguments": {k: v for k, v in vars(args).items() if k != "token_secret"}
        | {"only": sorted(args.only)},
        "duration_s": round(time.perf_counter() - started, 1),
        "load_average_after": os.getloadavg(),
        "results": results,
    }
    return report_verdicts(
        "webhooks", report, info, verdicts(results), strict=args.strict, width=10
    )


if __name__ == "__main__":
    raise SystemExit(main())
