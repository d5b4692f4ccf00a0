"""Event webhooks for integrators: subscriptions, queuing their deliveries, the log.

* **Subscriptions** (`wf_webhooks`) name event patterns (`stock.*Posted`); the secret
  (`whsec_<base64 of 24 random bytes>`) is answered only when made or rotated.
* **Queuing.** Every event workflow takes from the catalog's, stock's and mrp's feeds is
  matched in the consumer's unit of work (`enqueue_events`, called by `feeds` and
  `stock_feed`), so its delivery rows commit with the consumer's cursor: exactly one per
  event and matching subscription, whatever crashes. One query for the subscriptions and
  one multi-row insert per page. Workflow's own events are read from its own `events`
  table (`enqueue_own_events`, by the dispatcher) behind a cursor in `consumer_cursors`
  that moves in the same transaction: the table's sequence is gap-free and in commit
  order, so nothing is skipped and nothing doubled, and no writer of workflow events has
  to know about webhooks.
* **Replay** queues a subscription's matching events of one feed again, from a sequence
  number on, as a new generation (a new `webhook-id` per event), read over HTTP from the
  source's feed (workflow's from its table).
* Delivering them is `webhook_delivery.Dispatcher`'s job.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.workflow.db.models import Webhook, WebhookDelivery
from services.workflow.domain.event_patterns import Matcher, Patterns
from services.workflow.webhook_schemas import (
    DeliveryState,
    EventSource,
    ReplayIn,
    ReplayOut,
    WebhookDeliveryOut,
    WebhookIn,
    WebhookOut,
    WebhookWithSecret,
)
from shared.client import ServiceClient
from shared.db.database import Database
from shared.db.dialects import dialect_insert
from shared.db.paging import page_by_id, where_equal
from shared.db.tables import consumer_cursors, events
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, NotFound, PreconditionFailed, UpstreamError
from shared.events.schemas import FeedEvent, FeedPage
from shared.http.pagination import PageParams

SYSTEM = "system:webhooks"
WORKFLOW = EventSource.WORKFLOW.value
#: Workflow's own feed as the webhooks read it (a cursor of `consumer_cursors`).
OWN_CURSOR = "webhooks:workflow"
#: Rows per insert statement (14 parameters a row: well within both databases' limits).
INSERT_CHUNK = 1000
#: Own events queued per transaction.
OWN_PAGE = 500
#: A feed page read for a replay, and the most events one replay reads.
REPLAY_PAGE = 1000
REPLAY_MAX = 100_000


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def secret_hint(secret: str) -> str:
    return f"whsec_…{secret[-4:]}"


def webhook_id(source: str, seq: int, generation: int) -> str:
    """The `webhook-id` of a delivery: the same on every attempt, so receivers dedupe."""
    base = f"evt_{source}_{seq}"
    return base if generation == 0 else f"{base}_r{generation}"


# --- subscriptions --------------------------------------------------------------------


def webhook_out(row: Webhook) -> WebhookOut:
    return WebhookOut(
        id=row.id,
        name=row.name,
        url=row.url,
        event_types=list(row.event_types),
        active=row.active,
        description=row.description,
        secret_hint=secret_hint(row.secret),
        replays=row.replays,
        version=row.version,
        created_at=row.created_at,
        created_by=row.created_by,
        updated_at=row.updated_at,
    )


def _with_secret(row: Webhook) -> WebhookWithSecret:
    return WebhookWithSecret(**webhook_out(row).model_dump(), secret=row.secret)


def _columns(body: WebhookIn) -> dict[str, Any]:
    return {
        "name": body.name,
        "url": body.url,
        "event_types": list(dict.fromkeys(body.event_types)),
        "active": body.active,
        "description": body.description,
    }


#: How a subscription row is locked: FOR NO KEY UPDATE on PostgreSQL, which does not wait
#: for the key-share locks a feed consumer's delivery inserts hold on it (their foreign key)
#: until its page commits.
LOCK = {"key_share": True}


async def _webhook(session: AsyncSession, webhook_id_: int, *, lock: bool = False) -> Webhook:
    row = await session.get(
        Webhook, webhook_id_, with_for_update=LOCK if lock else None, populate_existing=lock
    )
    if row is None:
        raise NotFound(f"webhook {webhook_id_} does not exist")
    return row


async def create_webhook(uow: UnitOfWork, body: WebhookIn) -> WebhookWithSecret:
    async with uow:
        now = utcnow()
        row = Webhook(
            **_columns(body),
            secret=new_secret(),
            replays=0,
            created_at=now,
            created_by=uow.actor,
            updated_at=now,
        )
        uow.session.add(row)
        await uow.session.flush()
        out = _with_secret(row)
        await uow.audit(
            "create", "webhook", str(row.id), after=webhook_out(row).model_dump(mode="json")
        )
        await uow.commit()
        return out


async def update_webhook(
    uow: UnitOfWork, webhook_id_: int, body: WebhookIn, expected: int
) -> WebhookOut:
    async with uow:
        row = await _webhook(uow.session, webhook_id_, lock=True)
        if row.version != expected:
            raise PreconditionFailed(
                f"webhook {webhook_id_} is at version {row.version}, not {expected}"
            )
        before = webhook_out(row).model_dump(mode="json")
        for name, value in _columns(body).items():
            setattr(row, name, value)
        row.updated_at = utcnow()
        await uow.session.flush()
        out = webhook_out(row)
        await uow.audit(
            "update", "webhook", str(row.id), before=before, after=out.model_dump(mode="json")
        )
        await uow.commit()
        return out


async def deactivate_webhook(uow: UnitOfWork, webhook_id_: int) -> WebhookOut:
    """Stop queuing and sending (pending deliveries wait; the log stays)."""
    async with uow:
        row = await _webhook(uow.session, webhook_id_, lock=True)
        if row.active:
            row.active = False
            row.updated_at = utcnow()
            await uow.session.flush()
            await uow.audit("deactivate", "webhook", str(row.id))
        out = webhook_out(row)
        await uow.commit()
        return out


async def rotate_secret(uow: UnitOfWork, webhook_id_: int) -> WebhookWithSecret:
    """A new secret, used from the next attempt on; the old one stops at once."""
    async with uow:
        row = await _webhook(uow.session, webhook_id_, lock=True)
        row.secret = new_secret()
        row.updated_at = utcnow()
        await uow.session.flush()
        await uow.audit(
            "rotate_secret", "webhook", str(row.id), after={"secret_hint": secret_hint(row.secret)}
        )
        out = _with_secret(row)
        await uow.commit()
        return out


async def get_webhook(session: AsyncSession, webhook_id_: int) -> WebhookOut:
    return webhook_out(await _webhook(session, webhook_id_))


async def list_webhooks(
    session: AsyncSession, page: PageParams, *, active: bool | None
) -> tuple[list[WebhookOut], str | None]:
    query = where_equal(select(Webhook), {Webhook.active: active})
    rows, cursor = await page_by_id(session, query, Webhook.id, page)
    return [webhook_out(r) for r in rows], cursor


# --- queuing --------------------------------------------------------------------------


def _data(source: str, event: FeedEvent) -> dict[str, Any]:
    return {
        "source": source,
        "seq": event.seq,
        "event_id": event.event_id,
        "type": event.type,
        "aggregate_type": event.aggregate_type,
        "aggregate_id": event.aggregate_id,
        "occurred_at": event.occurred_at.isoformat(),
        "actor": event.actor,
        "payload": event.payload,
    }


async def enqueue_events(
    session: AsyncSession,
    source: str,
    feed: Sequence[FeedEvent],
    *,
    matcher: Matcher | None = None,
    generation: int = 0,
) -> int:
    """Queue a delivery of each of `feed`'s events (in order) for every active
    subscription that wants it (or those of `matcher`): one query for the subscriptions,
    one insert per `INSERT_CHUNK` rows. The number of deliveries queued."""
    if not feed:
        return 0
    if matcher is None:
        found = await session.execute(
            select(Webhook.id, Webhook.event_types).where(Webhook.active.is_(True))
        )
        matcher = Matcher.of((row.id, row.event_types) for row in found)
    if not matcher:
        return 0
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for event in feed:
        wanted = matcher.wanted_by(source, event.type)
        if not wanted:
            continue
        data = _data(source, event)
        for subscription_id in wanted:
            rows.append(
                {
                    "subscription_id": subscription_id,
                    "source": source,
                    "seq": event.seq,
                    "generation": generation,
                    "event_id": event.event_id,
                    "event_type": event.type,
                    "occurred_at": event.occurred_at,
                    "data": data,
                    "state": DeliveryState.PENDING.value,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "last_error": "",
                    "created_at": now,
                }
            )
    insert = dialect_insert(session)
    key = ["subscription_id", "source", "seq", "generation"]
    for start in range(0, len(rows), INSERT_CHUNK):
        chunk = rows[start : start + INSERT_CHUNK]
        await session.execute(
            insert(WebhookDelivery).values(chunk).on_conflict_do_nothing(index_elements=key)
        )
    return len(rows)


async def enqueue_own_events(db: Database) -> int:
    """Queue deliveries of workflow's own events not yet looked at (a page of them, in
    one transaction with the cursor); the number of events looked at."""
    async with db.read() as session:
        cursor = await session.scalar(
            select(consumer_cursors.c.last_seq).where(consumer_cursors.c.source == OWN_CURSOR)
        )
        newest = await session.scalar(select(func.max(events.c.seq)))
    if newest is None or newest <= (cursor or 0):
        return 0
    uow = db.uow(actor=SYSTEM)
    async with uow:
        session = uow.session
        if cursor is None:
            await session.execute(
                dialect_insert(session)(consumer_cursors)
                .values(source=OWN_CURSOR, last_seq=0, updated_at=utcnow())
                .on_conflict_do_nothing(index_elements=["source"])
            )
        after = await session.scalar(
            select(consumer_cursors.c.last_seq)
            .where(consumer_cursors.c.source == OWN_CURSOR)
            .with_for_update()
        )
        feed = await own_events(session, int(after or 0), OWN_PAGE)
        if not feed:
            return 0
        await enqueue_events(session, WORKFLOW, feed)
        await session.execute(
            update(consumer_cursors)
            .where(consumer_cursors.c.source == OWN_CURSOR)
            .values(last_seq=feed[-1].seq, updated_at=utcnow())
        )
        await uow.commit()
    return len(feed)


async def own_events(session: AsyncSession, after: int, limit: int) -> list[FeedEvent]:
    rows = await session.execute(
        select(events).where(events.c.seq > after).order_by(events.c.seq).limit(limit)
    )
    return [FeedEvent.model_validate(row._mapping) for row in rows]


# --- the log --------------------------------------------------------------------------


def delivery_out(row: WebhookDelivery) -> WebhookDeliveryOut:
    return WebhookDeliveryOut(
        id=row.id,
        subscription_id=row.subscription_id,
        source=row.source,
        seq=row.seq,
        generation=row.generation,
        event_id=row.event_id,
        event_type=f"{row.source}.{row.event_type}",
        webhook_id=webhook_id(row.source, row.seq, row.generation),
        occurred_at=row.occurred_at,
        state=DeliveryState(row.state),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_attempt_at=row.last_attempt_at,
        last_status=row.last_status,
        last_error=row.last_error,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
        data=row.data,
    )


async def list_deliveries(
    session: AsyncSession,
    webhook_id_: int,
    page: PageParams,
    *,
    state: DeliveryState | None,
    source: EventSource | None,
    after: int | None,
) -> tuple[list[WebhookDeliveryOut], str | None]:
    await _webhook(session, webhook_id_)
    query = where_equal(
        select(WebhookDelivery).where(WebhookDelivery.subscription_id == webhook_id_),
        {
            WebhookDelivery.state: state.value if state else None,
            WebhookDelivery.source: source.value if source else None,
        },
    )
    if after is not None:
        query = query.where(WebhookDelivery.id > after)
    rows, cursor = await page_by_id(session, query, WebhookDelivery.id, page)
    return [delivery_out(r) for r in rows], cursor


async def retry_delivery(uow: UnitOfWork, webhook_id_: int, delivery_id: int) -> WebhookDeliveryOut:
    """A dead delivery goes again from its first attempt (under its own webhook-id). It is
    older than what its subscription delivered since, so it goes first."""
    async with uow:
        row = await uow.session.get(
            WebhookDelivery, delivery_id, with_for_update=True, populate_existing=True
        )
        if row is None or row.subscription_id != webhook_id_:
            raise NotFound(f"webhook {webhook_id_} has no delivery {delivery_id}")
        if row.state != DeliveryState.DEAD.value:
            raise Conflict(f"delivery {delivery_id} is {row.state}; only dead ones are retried")
        row.state = DeliveryState.PENDING.value
        row.attempts = 0
        row.next_attempt_at = utcnow()
        await uow.session.flush()
        await uow.audit("retry", "webhook_delivery", str(delivery_id))
        out = delivery_out(row)
        await uow.commit()
        return out


# --- replay ---------------------------------------------------------------------------


async def _read_feed(
    db: Database, client: ServiceClient, source: str, after: int, limit: int
) -> FeedPage:
    if source == WORKFLOW:
        async with db.read() as session:
            found = await own_events(session, after, limit + 1)
        page = found[:limit]
        return FeedPage(
            events=page, next_after=page[-1].seq if page else after, has_more=len(found) > limit
        )
    response = await client.request(
        source, "GET", "/v1/events", params={"after": after, "limit": limit}
    )
    if response.status_code != 200:
        raise UpstreamError(f"{source}'s feed answered {response.status_code}")
    try:
        return FeedPage.model_validate(response.json())
    except ValueError as exc:
        raise UpstreamError(f"{source}'s feed answered something unreadable") from exc


async def replay(
    uow: UnitOfWork, db: Database, client: ServiceClient, webhook_id_: int, body: ReplayIn
) -> ReplayOut:
    """Queue again, as a new generation, every event of `body.source`'s feed from
    `from_seq` (through `to_seq`, at most `REPLAY_MAX` read) that the subscription
    matches. The feed is read first, outside the transaction; the deliveries are queued
    in one, so a replay is queued whole or not at all."""
    async with db.read() as session:
        row = await _webhook(session, webhook_id_)
        patterns = list(row.event_types)
    matcher = Matcher([(webhook_id_, Patterns.of(patterns))])
    source = body.source.value
    last = body.to_seq if body.to_seq is not None else 2**62
    after, scanned, has_more = body.from_seq - 1, 0, False
    wanted: list[FeedEvent] = []
    while after < last:
        limit = min(REPLAY_PAGE, REPLAY_MAX - scanned, last - after)
        page = await _read_feed(db, client, source, after, limit)
        taken = [e for e in page.events if e.seq <= last]
        scanned += len(taken)
        wanted.extend(e for e in taken if matcher.wanted_by(source, e.type))
        if not taken:
            break
        after = taken[-1].seq
        if not page.has_more or len(taken) < len(page.events):
            break
        if scanned >= REPLAY_MAX:
            has_more = True
            break
    async with uow:
        sub = await _webhook(uow.session, webhook_id_, lock=True)
        if not sub.active:
            raise Conflict(f"webhook {webhook_id_} is not active: activate it to replay")
        sub.replays += 1
        generation = sub.replays
        queued = await enqueue_events(
            uow.session, source, wanted, matcher=matcher, generation=generation
        )
        out = ReplayOut(
            subscription_id=webhook_id_,
            source=body.source,
            generation=generation,
            from_seq=body.from_seq,
            through_seq=after,
            scanned=scanned,
            queued=queued,
            has_more=has_more,
        )
        await uow.audit("replay", "webhook", str(webhook_id_), after=out.model_dump(mode="json"))
        await uow.commit()
        return out
