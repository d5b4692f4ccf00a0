"""Delivering webhook subscriptions' events, in order per subscription, at least once,
each attempt under the delivery's stable `webhook-id` (receivers dedupe on it).

One loop per process (`Dispatcher.run_forever`, an app worker beside the runner): it
queues workflow's own new events (`webhooks.enqueue_own_events`), then runs a *lane* for
each active subscription whose oldest pending delivery is due, several subscriptions at
once (`concurrency`), at most one lane per subscription in a process. A lane repeats:

1. **claim**, in one short transaction: lock the subscription row (FOR NO KEY UPDATE,
   so processes take turns per subscription), read its oldest pending deliveries in id
   order and take the ones due from the oldest on (up to `batch`); each taken row counts
   an attempt and is leased (`next_attempt_at` pushed `lease` ahead), so no other
   process sends it, nor, since the oldest is leased, anything after it;
2. **send** them one after the other, outside any transaction, stopping at the first
   failure (nothing later goes before it) or when half the lease is used;
3. **record** the outcomes in another transaction: delivered; the failed one due again
   after an exponential back-off (at least the receiver's Retry-After), or `dead` after
   `max_attempts`, and then the next one is free to go; the unsent ones released.

Id order is each feed's order: a feed's deliveries are inserted page after page by its
one consumer (or replay), in sequence order; deliveries of different feeds have no order
between them but the one they were committed in.

A process that dies between sending and recording leaves its rows leased: once the lease
runs out they are claimed again and resent under the same `webhook-id`, so nothing is
lost, and a receiver that keeps the ids it has seen takes nothing twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import structlog
from sqlalchemy import func, select, update

from services.workflow.channels import Delivery as Sent
from services.workflow.channels import WebhookEndpoint, send_webhook
from services.workflow.db.models import Webhook, WebhookDelivery
from services.workflow.usecases.webhooks import (
    LOCK,
    OWN_PAGE,
    SYSTEM,
    enqueue_own_events,
    webhook_id,
)
from services.workflow.webhook_schemas import DeliveryState
from shared.db.database import Database
from shared.db.types import utcnow

log = structlog.get_logger(__name__)

PENDING = DeliveryState.PENDING.value
#: The longest Retry-After honoured.
MAX_RETRY_AFTER = 24 * 3600.0


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    message_id: str
    event_type: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Batch:
    subscription_id: int
    url: str
    secret: str
    deliveries: list[Claimed]


class Dispatcher:
    def __init__(
        self,
        db: Database,
        http: httpx.AsyncClient,
        *,
        max_attempts: int = 10,
        backoff_seconds: float = 5.0,
        backoff_max_seconds: float = 3600.0,
        lease_seconds: float = 60.0,
        concurrency: int = 16,
        batch: int = 50,
        poll_seconds: float = 0.5,
    ) -> None:
        self.db = db
        self.http = http
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.backoff_max_seconds = backoff_max_seconds
        self.lease = timedelta(seconds=lease_seconds)
        self.concurrency = concurrency
        self.batch = batch
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._lanes: dict[int, asyncio.Task[int]] = {}

    def wake(self) -> None:
        self._wake.set()

    # --- the loop ---------------------------------------------------------------------

    async def run_forever(self) -> None:
        try:
            while True:
                busy = False
                try:
                    busy = await self._pass()
                except Exception:  # the loop must outlive any one failure
                    log.exception("webhook_dispatcher_failed")
                if busy:
                    await asyncio.sleep(0)
                    continue
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.poll_seconds):
                        await self._wake.wait()
                self._wake.clear()
        finally:
            lanes = list(self._lanes.values())
            for task in lanes:
                task.cancel()
            await asyncio.gather(*lanes, return_exceptions=True)

    async def _pass(self) -> bool:
        """Queue own events; start lanes for due subscriptions that have none running.
        True when more own events wait."""
        looked = await enqueue_own_events(self.db)
        room = self.concurrency - len(self._lanes)
        if room > 0:
            for subscription_id in await self.due_subscriptions():
                if room <= 0:
                    break
                if subscription_id not in self._lanes:
                    self._start_lane(subscription_id)
                    room -= 1
        return looked >= OWN_PAGE

    def _start_lane(self, subscription_id: int) -> None:
        task = asyncio.create_task(
            self._lane(subscription_id), name=f"webhook-lane-{subscription_id}"
        )
        self._lanes[subscription_id] = task

        def done(_: asyncio.Task[int]) -> None:
            self._lanes.pop(subscription_id, None)
            self._wake.set()  # room for another lane; this one may have more due soon

        task.add_done_callback(done)

    async def _lane(self, subscription_id: int) -> int:
        try:  # a bounded turn: with more subscriptions than lanes, each gets its turn
            return await self.deliver_subscription(subscription_id, limit=self.batch * 20)
        except Exception:
            log.exception("webhook_lane_failed", subscription=subscription_id)
            return 0

    async def run_once(self, now: datetime | None = None) -> int:
        """Queue every own event waiting, then deliver every subscription's due deliveries
        (with `now`: those due by then); the number of events and attempts handled."""
        done = 0
        while True:
            looked = await enqueue_own_events(self.db)
            done += looked
            if looked < OWN_PAGE:
                break
        gate = asyncio.Semaphore(self.concurrency)

        async def one(subscription_id: int) -> int:
            async with gate:
                return await self.deliver_subscription(subscription_id, now)

        due = await self.due_subscriptions(now)
        for result in await asyncio.gather(*(one(s) for s in due), return_exceptions=True):
            if isinstance(result, Exception):
                log.error("webhook_lane_failed", error=repr(result))
            elif isinstance(result, BaseException):
                raise result
            else:
                done += result
        return done

    async def due_subscriptions(self, now: datetime | None = None) -> list[int]:
        """Active subscriptions whose oldest pending delivery is due."""
        moment = now or utcnow()
        oldest = (
            select(func.min(WebhookDelivery.id))
            .where(
                WebhookDelivery.subscription_id == Webhook.id,
                WebhookDelivery.state == PENDING,
            )
            .correlate(Webhook)
            .scalar_subquery()
        )
        heads = select(oldest).select_from(Webhook).where(Webhook.active.is_(True))
        async with self.db.read() as session:
            found = await session.scalars(
                select(WebhookDelivery.subscription_id)
                .where(WebhookDelivery.id.in_(heads), WebhookDelivery.next_attempt_at <= moment)
                .order_by(WebhookDelivery.id)
            )
            return list(found)

    # --- one subscription -------------------------------------------------------------

    async def deliver_subscription(
        self, subscription_id: int, now: datetime | None = None, *, limit: int | None = None
    ) -> int:
        """Deliver the subscription's due deliveries in order, batch after batch, until
        none is due, one fails or `limit` attempts are made; the number of attempts."""
        attempts = 0
        while limit is None or attempts < limit:
            batch = await self._claim(subscription_id, now or utcnow())
            if batch is None:
                return attempts
            outcomes = await self._send(batch)
            held = await self._record(batch, outcomes, now or utcnow())
            attempts += len(outcomes)
            if held:  # the oldest waits for its next attempt, and the rest behind it
                return attempts
        return attempts

    async def _claim(self, subscription_id: int, now: datetime) -> Batch | None:
        uow = self.db.uow(actor=SYSTEM)
        async with uow:
            session = uow.session
            sub = await session.get(
                Webhook, subscription_id, with_for_update=LOCK, populate_existing=True
            )
            if sub is None or not sub.active:
                return None
            rows = (
                await session.execute(
                    select(
                        WebhookDelivery.id,
                        WebhookDelivery.source,
                        WebhookDelivery.seq,
                        WebhookDelivery.generation,
                        WebhookDelivery.event_type,
                        WebhookDelivery.data,
                        WebhookDelivery.next_attempt_at,
                    )
                    .where(
                        WebhookDelivery.subscription_id == subscription_id,
                        WebhookDelivery.state == PENDING,
                    )
                    .order_by(WebhookDelivery.id)
                    .limit(self.batch)
                )
            ).all()
            taken = []
            for row in rows:  # from the oldest on, as long as they are due
                if row.next_attempt_at > now:
                    break
                taken.append(row)
            if not taken:
                return None
            await session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id.in_([row.id for row in taken]))
                .values(attempts=WebhookDelivery.attempts + 1, next_attempt_at=now + self.lease)
                .execution_options(synchronize_session=False)
            )
            batch = Batch(
                subscription_id,
                sub.url,
                sub.secret,
                [
                    Claimed(
                        row.id,
                        webhook_id(row.source, row.seq, row.generation),
                        f"{row.source}.{row.event_type}",
                        row.data,
                    )
                    for row in taken
                ],
            )
            await uow.commit()
        return batch

    async def _send(self, batch: Batch) -> list[tuple[int, Sent]]:
        """Send in order, outside any transaction: up to the first failure, or as many as
        half the lease allows (the rest are released and claimed again)."""
        deadline = time.monotonic() + self.lease.total_seconds() / 2
        try:
            endpoint = WebhookEndpoint(batch.url, batch.secret)
        except ValueError as exc:
            first = batch.deliveries[0].id
            return [(first, Sent(ok=False, retryable=False, detail=f"cannot sign: {exc}"))]
        outcomes: list[tuple[int, Sent]] = []
        for delivery in batch.deliveries:
            if outcomes and time.monotonic() > deadline:
                break
            sent = await send_webhook(
                self.http,
                endpoint,
                event_type=delivery.event_type,
                payload=delivery.data,
                message_id=delivery.message_id,
            )
            outcomes.append((delivery.id, sent))
            if not sent.ok:
                break
        return outcomes

    def backoff(self, attempts: int, retry_after: float | None) -> timedelta:
        """The wait after the `attempts`-th failed attempt: doubling from
        `backoff_seconds` up to `backoff_max_seconds`, never less than Retry-After."""
        wait = min(self.backoff_seconds * 2 ** min(attempts - 1, 30), self.backoff_max_seconds)
        if retry_after is not None:
            wait = max(wait, min(retry_after, MAX_RETRY_AFTER))
        return timedelta(seconds=wait)

    async def _record(self, batch: Batch, outcomes: list[tuple[int, Sent]], now: datetime) -> bool:
        """Record what the receiver answered; True when a failed delivery now holds the
        subscription back until its next attempt (False: delivered, or dead)."""
        held = False
        uow = self.db.uow(actor=SYSTEM)
        async with uow:
            session = uow.session
            delivered = [
                {
                    "id": delivery_id,
                    "state": DeliveryState.DELIVERED.value,
                    "delivered_at": now,
                    "last_attempt_at": now,
                    "last_status": sent.status,
                    "last_error": "",
                }
                for delivery_id, sent in outcomes
                if sent.ok
            ]
            if delivered:
                await session.execute(update(WebhookDelivery), delivered)
            if outcomes and not outcomes[-1][1].ok:
                held = await self._failed(session, outcomes[-1][0], outcomes[-1][1], now)
            unsent = [d.id for d in batch.deliveries[len(outcomes) :]]
            if unsent:
                await session.execute(
                    update(WebhookDelivery)
                    .where(WebhookDelivery.id.in_(unsent), WebhookDelivery.state == PENDING)
                    .values(attempts=WebhookDelivery.attempts - 1, next_attempt_at=now)
                    .execution_options(synchronize_session=False)
                )
            await uow.commit()
        return held

    async def _failed(self, session: Any, delivery_id: int, sent: Sent, now: datetime) -> bool:
        """Back off, or give up (dead); True when it waits for another attempt."""
        row = await session.get(
            WebhookDelivery, delivery_id, with_for_update=True, populate_existing=True
        )
        if row is None or row.state != PENDING:
            return False
        row.last_attempt_at = now
        row.last_status = sent.status
        row.last_error = sent.detail[:1000]
        if row.attempts >= self.max_attempts:
            row.state = DeliveryState.DEAD.value
            row.next_attempt_at = now
            log.warning("webhook_delivery_dead", subscription=row.subscription_id, delivery=row.id)
            held = False
        else:
            row.next_attempt_at = now + self.backoff(row.attempts, sent.retry_after)
            held = True
        await session.flush()
        return held
