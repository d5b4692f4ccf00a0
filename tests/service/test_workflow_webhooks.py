"""Event webhooks for integrators: subscriptions, events from the feeds delivered signed
and in order, retries with back-off, the dead-letter list, a crash between sending and
recording, replays, and two processes delivering at once.

Workflow runs alone, on each database, with fake feeds for the catalog, stock and mrp
(`GET /v1/events` over events the test adds) and a local receiver that verifies every
signature with the subscription's secret (`standardwebhooks`' `Webhook.verify`). Nothing
runs in the background: the test pulls the feeds and runs the dispatcher, with `now` when
time must have passed.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from services.workflow.app import create_app as workflow_app
from services.workflow.runtime import dispatcher_of
from services.workflow.settings import Settings as WorkflowSettings
from services.workflow.usecases.webhook_delivery import Dispatcher
from shared.auth.principal import INTEGRATION
from shared.db.tables import events
from shared.db.types import utcnow
from tests.conftest import TEST_SECRET, auth, running
from tests.service.test_gateway_support import HostDispatch

SOURCES = ("catalog", "stock", "mrp")
HOOKS = "hooks.test"
MAX_ATTEMPTS = 3
BACKOFF = 10.0
LEASE = 30.0
BATCH = 3


class FakeFeed:
    """A service's event feed: `GET /v1/events?after=&limit=` over the events added."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.app = FastAPI()
        self.app.add_api_route("/v1/events", self._page, methods=["GET"])

    def add(self, type_: str, **payload: Any) -> int:
        seq = len(self.events) + 1
        self.events.append(
            {
                "seq": seq,
                "event_id": str(uuid.uuid4()),
                "type": type_,
                "aggregate_type": "thing",
                "aggregate_id": str(seq),
                "occurred_at": datetime.now(UTC).isoformat(),
                "actor": "user:tester",
                "request_id": None,
                "payload": {"n": seq, **payload},
            }
        )
        return seq

    def seqs(self, type_: str) -> list[int]:
        return [e["seq"] for e in self.events if e["type"] == type_]

    async def _page(self, after: int = 0, limit: int = Query(100, le=1000)) -> Response:
        page = [e for e in self.events if e["seq"] > after][:limit]
        more = any(e["seq"] > after for e in self.events[len(page) :]) and len(page) == limit
        return JSONResponse(
            {"events": page, "next_after": page[-1]["seq"] if page else after, "has_more": more}
        )


@dataclass
class Attempt:
    name: str
    webhook_id: str
    status: int
    body: dict[str, Any]


@dataclass
class Receiver:
    """`POST http://hooks.test/<name>`: verifies the signature with `secrets[name]` (401 and
    kept in `rejected` when it does not verify), then answers what `script[name]` says
    next (status, Retry-After), else 500 for ids in `refuse`, else 200. Every attempt is
    kept in `attempts` (and sets `arrived`)."""

    secrets: dict[str, str] = field(default_factory=dict)
    script: dict[str, list[tuple[int, str | None]]] = field(default_factory=dict)
    refuse: set[str] = field(default_factory=set)
    attempts: list[Attempt] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    app: FastAPI = field(default_factory=FastAPI)

    def __post_init__(self) -> None:
        self.app.add_api_route("/{name}", self._receive, methods=["POST"])

    async def _receive(self, name: str, request: Request) -> Response:
        raw = await request.body()
        try:
            body = Webhook(self.secrets[name]).verify(raw, dict(request.headers))
        except Exception as exc:
            self.rejected.append(f"{name}: {type(exc).__name__}: {exc}")
            return JSONResponse({"error": "invalid signature"}, status_code=401)
        webhook_id = request.headers["webhook-id"]
        headers: dict[str, str] = {}
        if self.script.get(name):
            status, retry_after = self.script[name].pop(0)
            if retry_after is not None:
                headers["Retry-After"] = retry_after
        else:
            status = 500 if webhook_id in self.refuse else 200
        self.attempts.append(Attempt(name, webhook_id, status, body))
        self.arrived.set()
        return JSONResponse({"ok": status == 200}, status_code=status, headers=headers)

    def of(self, name: str) -> list[Attempt]:
        return [a for a in self.attempts if a.name == name]

    def accepted(self, name: str) -> list[str]:
        return [a.webhook_id for a in self.of(name) if a.status == 200]


@dataclass
class Hooks:
    app: FastAPI
    client: httpx.AsyncClient
    feeds: dict[str, FakeFeed]
    receiver: Receiver
    transport: HostDispatch

    @property
    def dispatcher(self) -> Dispatcher:
        return dispatcher_of(self.app)

    async def pull(self) -> int:
        """Workflow reads every feed (the consumers' own unit of work per page)."""
        return sum([await c.catch_up() for c in self.app.state.consumers.values()])

    async def deliver(self, now: datetime | None = None) -> int:
        return await self.dispatcher.run_once(now)

    async def subscribe(self, name: str, patterns: list[str], **body: Any) -> dict[str, Any]:
        answer = await self.client.post(
            "/v1/webhooks",
            json={"name": name, "url": f"http://{HOOKS}/{name}", "event_types": patterns, **body},
        )
        assert answer.status_code == 201, answer.text
        made: dict[str, Any] = answer.json()
        self.receiver.secrets[name] = made["secret"]
        return made

    async def log(self, webhook: dict[str, Any], **params: Any) -> list[dict[str, Any]]:
        answer = await self.client.get(
            f"/v1/webhooks/{webhook['id']}/deliveries", params={"limit": 500, **params}
        )
        assert answer.status_code == 200, answer.text
        items: list[dict[str, Any]] = answer.json()["items"]
        return items

    async def emit_own(self, *types: str) -> list[int]:
        """Workflow's own events, written as every workflow use-case writes them."""
        uow = self.app.state.db.uow(actor="user:tester")
        async with uow:
            for type_ in types:
                uow.emit(type_, "flow", "1", {"type": type_})
            await uow.commit()
        async with self.app.state.db.read() as session:
            seqs = await session.scalars(select(events.c.seq).order_by(events.c.seq))
            return list(seqs)[-len(types) :]


@pytest.fixture(name="hooks")
async def hooks_fixture(
    database_factory: Callable[[str], Awaitable[str]],
) -> AsyncIterator[Hooks]:
    feeds = {source: FakeFeed() for source in SOURCES}
    receiver = Receiver()
    routes: dict[str, httpx.AsyncBaseTransport] = {
        f"{source}.test": httpx.ASGITransport(app=feed.app) for source, feed in feeds.items()
    }
    routes[HOOKS] = httpx.ASGITransport(app=receiver.app)
    transport = HostDispatch(routes)
    settings = WorkflowSettings(
        database_url=await database_factory("workflow"),
        internal_token_secret=TEST_SECRET,
        service_urls={source: f"http://{source}.test" for source in SOURCES},
        http_attempts=1,
        run_background_tasks=False,
        webhook_max_attempts=MAX_ATTEMPTS,
        webhook_backoff_seconds=BACKOFF,
        webhook_lease_seconds=LEASE,
        webhook_batch=BATCH,
    )
    app = workflow_app(settings, http_transport=transport)
    async with running(app) as client:
        yield Hooks(app, client, feeds, receiver, transport)
    await transport.aclose()


def ids(source: str, seqs: list[int], generation: int = 0) -> list[str]:
    tail = f"_r{generation}" if generation else ""
    return [f"evt_{source}_{seq}{tail}" for seq in seqs]


# --- subscriptions --------------------------------------------------------------------


async def test_subscriptions_are_made_read_replaced_rotated_and_deactivated(hooks: Hooks) -> None:
    client = hooks.client
    bad = await client.post(
        "/v1/webhooks",
        json={
            "name": "bad",
            "url": "ftp://example.com/hook",
            "event_types": ["stock.MovementPosted", "erp.VoucherMade", "nodot", "stock.Bad-Name"],
        },
    )
    assert bad.status_code == 422, bad.text
    assert bad.headers["content-type"].startswith("application/problem+json")
    errors = {e["field"]: e["message"] for e in bad.json()["errors"]}
    assert set(errors) == {
        "body.url",
        "body.event_types.1",
        "body.event_types.2",
        "body.event_types.3",
    }
    assert "unknown source 'erp'" in errors["body.event_types.1"]
    empty = await client.post(
        "/v1/webhooks", json={"name": "x", "url": "https://example.com", "event_types": []}
    )
    assert empty.status_code == 422
    assert [e["field"] for e in empty.json()["errors"]] == ["body.event_types"]

    made = await client.post(
        "/v1/webhooks",
        json={
            "name": "ERP bridge",
            "url": "https://erp.example.com/hooks",
            "event_types": ["stock.*Posted", "mrp.WorkOrderStatusChanged", "workflow.Flow*"],
            "description": "postings to the ERP",
        },
    )
    assert made.status_code == 201, made.text
    assert made.headers["etag"] == 'W/"1"'
    webhook = made.json()
    secret = webhook["secret"]
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]{32}", secret)
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 24
    assert webhook["secret_hint"] == f"whsec_…{secret[-4:]}"
    assert webhook["active"] is True and webhook["replays"] == 0

    path = f"/v1/webhooks/{webhook['id']}"
    as_integration = auth(INTEGRATION, subject="apikey:9")
    read = await client.get(path, headers=as_integration)
    assert read.status_code == 200, read.text
    assert "secret" not in read.json()
    assert read.json()["secret_hint"] == webhook["secret_hint"]
    listed = await client.get("/v1/webhooks", headers=as_integration)
    assert [w["id"] for w in listed.json()["items"]] == [webhook["id"]]
    assert "secret" not in listed.json()["items"][0]
    refused = await client.post(
        "/v1/webhooks",
        headers=as_integration,
        json={"name": "x", "url": "https://example.com", "event_types": ["stock.*"]},
    )
    assert refused.status_code == 403
    assert (await client.get(path, headers=auth("planner"))).status_code == 403
    assert (await client.get("/v1/webhooks/999999")).status_code == 404

    replacement = {
        "name": "ERP bridge",
        "url": "https://erp.example.com/hooks/v2",
        "event_types": ["stock.MovementPosted"],
        "active": True,
    }
    assert (await client.put(path, json=replacement)).status_code == 428
    stale = await client.put(path, json=replacement, headers={"If-Match": 'W/"7"'})
    assert stale.status_code == 412
    bad_put = await client.put(
        path, json={**replacement, "event_types": ["mes.Done"]}, headers={"If-Match": 'W/"1"'}
    )
    assert [e["field"] for e in bad_put.json()["errors"]] == ["body.event_types.0"]
    replaced = await client.put(path, json=replacement, headers={"If-Match": 'W/"1"'})
    assert replaced.status_code == 200, replaced.text
    assert replaced.headers["etag"] == 'W/"2"'
    assert replaced.json()["event_types"] == ["stock.MovementPosted"]
    assert replaced.json()["secret_hint"] == webhook["secret_hint"]  # the secret stays

    rotated = await client.post(f"{path}/rotate-secret")
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["secret"] != secret
    assert rotated.json()["secret_hint"] == f"whsec_…{rotated.json()['secret'][-4:]}"

    gone = await client.delete(path)
    assert gone.status_code == 200 and gone.json()["active"] is False
    inactive = await client.get("/v1/webhooks", params={"active": "false"})
    assert [w["id"] for w in inactive.json()["items"]] == [webhook["id"]]
    assert (await client.get("/v1/webhooks", params={"active": "true"})).json()["items"] == []

    audit = await client.get(
        "/v1/audit", params={"entity_type": "webhook", "entity_id": str(webhook["id"])}
    )
    assert [e["action"] for e in audit.json()["items"]] == [
        "deactivate",
        "rotate_secret",
        "update",
        "create",
    ]
    assert secret not in audit.text and rotated.json()["secret"] not in audit.text


# --- delivering -----------------------------------------------------------------------


async def test_feed_events_are_delivered_signed_in_order_once_per_subscription(
    hooks: Hooks,
) -> None:
    stock, mrp, catalog = hooks.feeds["stock"], hooks.feeds["mrp"], hooks.feeds["catalog"]
    postings = await hooks.subscribe("postings", ["stock.*Posted"])
    movements = await hooks.subscribe(
        "movements", ["stock.MovementPosted", "mrp.WorkOrderStatusChanged"]
    )
    boms = await hooks.subscribe("boms", ["catalog.BomReleased"], active=False)
    for n in range(4):
        stock.add("MovementPosted", item_code=f"R-{n}", quantity="5")
    stock.add("ReceiptPosted", number="RC-1")
    stock.add("LotCreated", lot_number="L1")
    stock.add("MovementPosted", item_code="R-9", quantity="1")
    mrp.add("WorkOrderCreated", number="WO-1")
    mrp.add("WorkOrderStatusChanged", number="WO-1", status="completed", previous="in_progress")
    catalog.add("BomReleased", item_code="PCBA-1")

    assert await hooks.pull() == 10
    await hooks.deliver()

    assert hooks.receiver.rejected == []
    posted = [1, 2, 3, 4, 5, 7]
    assert hooks.receiver.accepted("postings") == ids("stock", posted)
    assert hooks.receiver.accepted("movements") == ids("stock", [1, 2, 3, 4, 7]) + ids("mrp", [2])
    assert hooks.receiver.of("boms") == []  # inactive: nothing queued
    first = hooks.receiver.of("postings")[0].body
    assert first["type"] == "stock.MovementPosted"
    assert first["data"]["source"] == "stock" and first["data"]["seq"] == 1
    assert first["data"]["event_id"] == stock.events[0]["event_id"]
    assert first["data"]["payload"] == {"n": 1, "item_code": "R-0", "quantity": "5"}
    completed = hooks.receiver.of("movements")[-1].body
    assert completed["type"] == "mrp.WorkOrderStatusChanged"
    assert completed["data"]["payload"]["status"] == "completed"

    log = await hooks.log(postings)
    assert [(d["seq"], d["state"], d["attempts"], d["last_status"]) for d in log] == [
        (seq, "delivered", 1, 200) for seq in posted
    ]
    assert all(d["delivered_at"] for d in log)
    assert [d["webhook_id"] for d in log] == ids("stock", posted)
    assert [d["event_type"] for d in log][4] == "stock.ReceiptPosted"
    assert await hooks.log(boms) == []
    assert [d["source"] for d in await hooks.log(movements)] == ["stock"] * 5 + ["mrp"]
    paged = await hooks.client.get(f"/v1/webhooks/{postings['id']}/deliveries", params={"limit": 4})
    rest = await hooks.client.get(
        f"/v1/webhooks/{postings['id']}/deliveries",
        params={"limit": 4, "cursor": paged.json()["next_cursor"]},
    )
    assert [d["seq"] for d in paged.json()["items"] + rest.json()["items"]] == posted
    after = await hooks.log(postings, after=log[3]["id"], source="stock")
    assert [d["seq"] for d in after] == [5, 7]

    # Nothing is queued or sent twice: the feeds read again, the dispatcher run again
    assert await hooks.pull() == 0
    assert await hooks.deliver() == 0
    assert len(hooks.receiver.attempts) == 6 + 6

    # Later events follow, still in order, one query and one insert per page
    stock.add("ShipmentPosted", number="SH-1")
    stock.add("MovementPosted", item_code="R-1", quantity="-2")
    await hooks.pull()
    await hooks.deliver()
    assert hooks.receiver.accepted("postings") == ids("stock", [*posted, 8, 9])
    assert hooks.receiver.accepted("movements")[-1] == "evt_stock_9"


async def test_a_failing_page_queues_each_event_once_with_the_consumers_cursor(
    hooks: Hooks,
) -> None:
    """A page that fails is rolled back (its deliveries with it) and applied one event at a
    time, up to the failing event: what committed is queued once, the rest after the fix."""
    stock = hooks.feeds["stock"]
    await hooks.subscribe("paged", ["stock.*"])
    stock.add("MovementPosted", item_code="R-1")
    stock.add("ReceiptPosted", number="RC-1")
    broken = stock.add("MovementPosted")  # no item_code: workflow cannot apply it
    stock.add("MovementPosted", item_code="R-4")
    with pytest.raises(KeyError):
        await hooks.pull()
    await hooks.deliver()
    assert hooks.receiver.accepted("paged") == ids("stock", [1, 2])
    stock.events[broken - 1]["payload"]["item_code"] = "R-3"
    await hooks.pull()
    await hooks.pull()
    await hooks.deliver()
    assert hooks.receiver.accepted("paged") == ids("stock", [1, 2, 3, 4])


async def test_workflow_own_events_are_delivered_from_its_own_table(hooks: Hooks) -> None:
    flows = await hooks.subscribe("flows", ["workflow.Flow*"])
    seqs = await hooks.emit_own("FlowSaved", "SomethingElse", "FlowActivated")
    await hooks.deliver()
    assert hooks.receiver.accepted("flows") == ids("workflow", [seqs[0], seqs[2]])
    assert hooks.receiver.of("flows")[0].body["type"] == "workflow.FlowSaved"
    assert await hooks.deliver() == 0
    more = await hooks.emit_own("FlowDeactivated")
    await hooks.deliver()
    assert hooks.receiver.accepted("flows")[-1] == ids("workflow", more)[0]
    assert [d["source"] for d in await hooks.log(flows)] == ["workflow"] * 3


async def test_a_receiver_failing_twice_gets_the_same_webhook_id_after_a_back_off(
    hooks: Hooks,
) -> None:
    stock = hooks.feeds["stock"]
    flaky = await hooks.subscribe("flaky", ["stock.MovementPosted"])
    hooks.receiver.script["flaky"] = [(503, "120"), (500, None)]
    for n in range(3):
        stock.add("MovementPosted", item_code=f"R-{n}")
    await hooks.pull()
    start = utcnow()

    await hooks.deliver(start)
    first, second, third = await hooks.log(flaky)
    assert (first["state"], first["attempts"], first["last_status"]) == ("pending", 1, 503)
    assert "HTTP 503" in first["last_error"]
    waits = datetime.fromisoformat(first["next_attempt_at"]) - start
    assert waits >= timedelta(seconds=120)  # Retry-After over the 10 s back-off
    assert (second["attempts"], third["attempts"]) == (0, 0)  # nothing went before it

    assert await hooks.deliver(start + timedelta(seconds=60)) == 0
    assert len(hooks.receiver.of("flaky")) == 1

    retried = start + timedelta(seconds=121)
    await hooks.deliver(retried)
    first = (await hooks.log(flaky))[0]
    assert (first["attempts"], first["last_status"]) == (2, 500)
    waits = datetime.fromisoformat(first["next_attempt_at"]) - retried
    assert waits == timedelta(seconds=2 * BACKOFF)  # doubled
    assert await hooks.deliver(retried + timedelta(seconds=BACKOFF)) == 0

    await hooks.deliver(retried + timedelta(seconds=2 * BACKOFF))
    attempts = hooks.receiver.of("flaky")
    assert [(a.webhook_id, a.status) for a in attempts] == [
        ("evt_stock_1", 503),
        ("evt_stock_1", 500),
        ("evt_stock_1", 200),
        ("evt_stock_2", 200),
        ("evt_stock_3", 200),
    ]
    assert hooks.receiver.rejected == []
    log = await hooks.log(flaky)
    assert [(d["state"], d["attempts"]) for d in log] == [
        ("delivered", 3),
        ("delivered", 1),
        ("delivered", 1),
    ]


async def test_a_delivery_failing_every_time_goes_dead_and_the_next_one_follows(
    hooks: Hooks,
) -> None:
    stock = hooks.feeds["stock"]
    hook = await hooks.subscribe("picky", ["stock.*"])
    hooks.receiver.refuse.add("evt_stock_1")
    stock.add("MovementPosted", item_code="R-1")
    stock.add("ReceiptPosted", number="RC-1")
    await hooks.pull()
    moment = utcnow()
    for _ in range(MAX_ATTEMPTS):
        await hooks.deliver(moment)
        moment += timedelta(hours=2)
    assert [(a.webhook_id, a.status) for a in hooks.receiver.of("picky")] == [
        ("evt_stock_1", 500),
        ("evt_stock_1", 500),
        ("evt_stock_1", 500),
        ("evt_stock_2", 200),  # right after the first went dead
    ]
    dead = await hooks.log(hook, state="dead")
    assert [(d["seq"], d["attempts"], d["last_status"]) for d in dead] == [(1, MAX_ATTEMPTS, 500)]
    assert dead[0]["last_error"].startswith("HTTP 500")
    assert [d["seq"] for d in await hooks.log(hook, state="delivered")] == [2]
    assert await hooks.log(hook, state="pending") == []

    path = f"/v1/webhooks/{hook['id']}/deliveries"
    delivered = (await hooks.log(hook, state="delivered"))[0]
    assert (await hooks.client.post(f"{path}/{delivered['id']}/retry")).status_code == 409
    assert (await hooks.client.post(f"{path}/999999/retry")).status_code == 404
    hooks.receiver.refuse.clear()
    retried = await hooks.client.post(f"{path}/{dead[0]['id']}/retry")
    assert retried.status_code == 200, retried.text
    assert (retried.json()["state"], retried.json()["attempts"]) == ("pending", 0)
    await hooks.deliver()
    assert hooks.receiver.accepted("picky") == ["evt_stock_2", "evt_stock_1"]
    assert [d["state"] for d in await hooks.log(hook)] == ["delivered", "delivered"]


async def test_a_crash_between_sending_and_recording_resends_under_the_same_webhook_id(
    hooks: Hooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    stock = hooks.feeds["stock"]
    hook = await hooks.subscribe("crash", ["stock.MovementPosted"])
    for n in range(2):
        stock.add("MovementPosted", item_code=f"R-{n}")
    await hooks.pull()
    dispatcher = hooks.dispatcher
    record = dispatcher._record
    crashes = [RuntimeError("the process died here")]

    async def dies_once(*args: Any) -> bool:
        if crashes:
            raise crashes.pop()
        return await record(*args)

    monkeypatch.setattr(dispatcher, "_record", dies_once)
    start = utcnow()
    await hooks.deliver(start)
    assert hooks.receiver.accepted("crash") == ids("stock", [1, 2])
    assert [(d["state"], d["attempts"]) for d in await hooks.log(hook)] == [("pending", 1)] * 2

    assert await hooks.deliver(start + timedelta(seconds=LEASE / 2)) == 0  # still leased
    await hooks.deliver(start + timedelta(seconds=LEASE + 1))
    assert hooks.receiver.accepted("crash") == ids("stock", [1, 2, 1, 2])  # same ids again
    assert set(hooks.receiver.accepted("crash")) == set(ids("stock", [1, 2]))  # none lost
    assert [(d["state"], d["attempts"]) for d in await hooks.log(hook)] == [("delivered", 2)] * 2


# --- replay ---------------------------------------------------------------------------


async def test_replay_from_a_sequence_redelivers_exactly_the_matching_events(
    hooks: Hooks,
) -> None:
    stock = hooks.feeds["stock"]
    hook = await hooks.subscribe("replayed", ["stock.MovementPosted"])
    for n in range(10):
        stock.add("MovementPosted" if n % 2 == 0 else "ReceiptPosted", item_code=f"R-{n}")
    moves = stock.seqs("MovementPosted")  # 1, 3, 5, 7, 9
    await hooks.pull()
    await hooks.deliver()
    assert hooks.receiver.accepted("replayed") == ids("stock", moves)

    path = f"/v1/webhooks/{hook['id']}/replay"
    replayed = await hooks.client.post(path, json={"source": "stock", "from_seq": 4})
    assert replayed.status_code == 202, replayed.text
    assert replayed.json() == {
        "subscription_id": hook["id"],
        "source": "stock",
        "generation": 1,
        "from_seq": 4,
        "through_seq": 10,
        "scanned": 7,
        "queued": 3,
        "has_more": False,
    }
    await hooks.deliver()
    assert hooks.receiver.accepted("replayed")[5:] == ids("stock", [5, 7, 9], generation=1)

    window = await hooks.client.post(path, json={"source": "stock", "from_seq": 2, "to_seq": 3})
    assert (window.json()["generation"], window.json()["queued"]) == (2, 1)
    await hooks.deliver()
    assert hooks.receiver.accepted("replayed")[8:] == ["evt_stock_3_r2"]
    assert hooks.receiver.rejected == []
    generations = [(d["seq"], d["generation"]) for d in await hooks.log(hook)]
    assert generations == [(s, 0) for s in moves] + [(5, 1), (7, 1), (9, 1), (3, 2)]

    nothing = await hooks.client.post(path, json={"source": "mrp", "from_seq": 1})
    assert (nothing.status_code, nothing.json()["queued"]) == (202, 0)
    bad = await hooks.client.post(path, json={"source": "erp", "from_seq": 0})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"body.source", "body.from_seq"}
    unknown = await hooks.client.post(
        "/v1/webhooks/999999/replay", json={"source": "stock", "from_seq": 1}
    )
    assert unknown.status_code == 404

    del hooks.transport.routes["stock.test"]  # stock is down
    down = await hooks.client.post(path, json={"source": "stock", "from_seq": 1})
    assert down.status_code == 503, down.text
    await hooks.client.delete(f"/v1/webhooks/{hook['id']}")
    inactive = await hooks.client.post(path, json={"source": "workflow", "from_seq": 1})
    assert inactive.status_code == 409


async def test_replay_of_workflow_events_reads_its_own_table(hooks: Hooks) -> None:
    hook = await hooks.subscribe("own", ["workflow.FlowActivated"])
    seqs = await hooks.emit_own("FlowSaved", "FlowActivated", "FlowSaved", "FlowActivated")
    await hooks.deliver()
    replayed = await hooks.client.post(
        f"/v1/webhooks/{hook['id']}/replay", json={"source": "workflow", "from_seq": seqs[2]}
    )
    assert replayed.status_code == 202, replayed.text
    assert replayed.json()["queued"] == 1
    await hooks.deliver()
    assert hooks.receiver.accepted("own") == [
        *ids("workflow", [seqs[1], seqs[3]]),
        *ids("workflow", [seqs[3]], generation=1),
    ]


# --- ordering -------------------------------------------------------------------------


async def test_order_holds_per_subscription_while_another_is_held_back(hooks: Hooks) -> None:
    stock, mrp = hooks.feeds["stock"], hooks.feeds["mrp"]
    await hooks.subscribe("slow", ["stock.*", "mrp.*"])
    await hooks.subscribe("fast", ["stock.*", "mrp.*"])
    hooks.receiver.script["slow"] = [(503, None), (503, None)]
    for n in range(4):
        stock.add("MovementPosted", item_code=f"R-{n}")
        mrp.add("WorkOrderCreated", number=f"WO-{n}")
    await hooks.pull()
    start = utcnow()
    await hooks.deliver(start)
    assert len(hooks.receiver.accepted("fast")) == 8  # in several batches of 3
    assert [a.status for a in hooks.receiver.of("slow")] == [503]
    for seconds in (BACKOFF, 3 * BACKOFF):
        await hooks.deliver(start + timedelta(seconds=seconds))
    expected = hooks.receiver.accepted("fast")
    assert hooks.receiver.accepted("slow") == expected
    for name in ("slow", "fast"):
        for source in ("stock", "mrp"):  # each feed's events in its order
            seqs = [
                a.body["data"]["seq"]
                for a in hooks.receiver.of(name)
                if a.status == 200 and a.body["data"]["source"] == source
            ]
            assert seqs == [1, 2, 3, 4]
    slow = [a.webhook_id for a in hooks.receiver.of("slow")]
    assert slow[:3] == [expected[0]] * 3  # nothing went before the first was delivered


async def test_two_processes_delivering_at_once_send_each_event_once_in_order(
    hooks: Hooks,
) -> None:
    stock = hooks.feeds["stock"]
    for name in ("a", "b", "c"):
        await hooks.subscribe(name, ["stock.MovementPosted"])
    for n in range(12):
        stock.add("MovementPosted", item_code=f"R-{n}")
    await hooks.pull()
    other = Dispatcher(
        hooks.app.state.db,
        hooks.app.state.client.http,
        max_attempts=MAX_ATTEMPTS,
        lease_seconds=LEASE,
        batch=BATCH,
    )
    await asyncio.gather(hooks.dispatcher.run_once(), other.run_once(), hooks.deliver())
    await hooks.deliver()
    for name in ("a", "b", "c"):
        assert hooks.receiver.accepted(name) == ids("stock", list(range(1, 13)))
    assert len(hooks.receiver.attempts) == 36


async def test_the_dispatcher_loop_delivers_in_the_background_and_stops_cleanly(
    hooks: Hooks,
) -> None:
    stock = hooks.feeds["stock"]
    for name in ("x", "y"):
        await hooks.subscribe(name, ["stock.MovementPosted", "workflow.FlowSaved"])
    for n in range(7):
        stock.add("MovementPosted", item_code=f"R-{n}")
    own = await hooks.emit_own("FlowSaved")
    loop = Dispatcher(
        hooks.app.state.db, hooks.app.state.client.http, batch=BATCH, poll_seconds=0.05
    )
    task = asyncio.create_task(loop.run_forever())
    try:
        await hooks.pull()
        expected = [*ids("workflow", own), *ids("stock", list(range(1, 8)))]
        async with asyncio.timeout(10):
            while True:
                hooks.receiver.arrived.clear()
                if all(len(hooks.receiver.accepted(n)) == len(expected) for n in ("x", "y")):
                    break
                await hooks.receiver.arrived.wait()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    for name in ("x", "y"):
        assert sorted(hooks.receiver.accepted(name)) == sorted(expected)
        stock_ids = [i for i in hooks.receiver.accepted(name) if i.startswith("evt_stock")]
        assert stock_ids == ids("stock", list(range(1, 8)))
    assert loop._lanes == {}
