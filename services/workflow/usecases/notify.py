"""Notifications: channels, the outbox, and delivering it.

Anything that wants to tell someone (an approval step waiting, a time limit passed, an
approval decided, a rule firing) calls `enqueue` in its own transaction: the message is
a row of `wf_messages`, so it is sent only if that transaction commits, and never lost.
The runner delivers (`deliver_due`), outside any transaction:

* each channel sends at most `per_minute` messages a minute (robots: 20, their limit);
  extra messages wait. When more are waiting for a group robot than its minute allows,
  they are merged into one digest message (the originals marked `merged` with the
  digest's id) instead of queuing for an hour;
* a failure that may pass (a robot's "too fast", HTTP 429/5xx, no connection) is tried
  again with exponential back-off; one that will not (a bad signature or address) or the
  last of `MAX_ATTEMPTS` leaves the message `dead`, listed for an admin to re-send;
* every attempt is logged (`wf_deliveries`) with what the far side answered;
* messages are claimed before sending (their next attempt is pushed a lease ahead), so
  two runners never send the same message at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.workflow.channels import Delivery as Sent
from services.workflow.channels import (
    DingTalkRobot,
    SmsProvider,
    SmtpServer,
    WebhookEndpoint,
    WeComRobot,
    send_dingtalk,
    send_email,
    send_sms,
    send_webhook,
    send_wecom,
)
from services.workflow.db.models import Channel, Delivery, Message, Person, RoleHolder
from services.workflow.domain.messages import Message as Text
from services.workflow.domain.messages import digest, render
from services.workflow.schemas import (
    SECRET_FIELDS,
    ChannelIn,
    ChannelKind,
    ChannelOut,
    DeliveryOut,
    MessageDetail,
    MessageOut,
    MessageStatus,
)
from shared.db.database import Database
from shared.db.dialects import dialect_insert
from shared.db.paging import page_by_id, where_equal
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import AlreadyExists, Conflict, NotFound, PreconditionFailed
from shared.http.pagination import PageParams

#: Tries before a message is given up (dead).
MAX_ATTEMPTS = 8
#: How long a claimed message is kept from other runners while it is being sent.
LEASE = timedelta(seconds=60)
#: Messages handled per pass.
BATCH = 100
ROBOTS = (ChannelKind.DINGTALK_ROBOT.value, ChannelKind.WECOM_ROBOT.value)
#: Robot messages a minute (DingTalk's and WeCom's limit).
ROBOT_PER_MINUTE = 20
OTHERS_PER_MINUTE = 600
PERSONAL = (ChannelKind.SMS.value, ChannelKind.EMAIL.value)


# --- channels -------------------------------------------------------------------------


def channel_out(row: Channel) -> ChannelOut:
    config = {
        key: ("***" if key in SECRET_FIELDS and value else value)
        for key, value in row.config.items()
    }
    return ChannelOut(
        id=row.id,
        code=row.code,
        name=row.name,
        kind=ChannelKind(row.kind),
        config=config,
        per_minute=row.per_minute,
        language=row.language,
        active=row.active,
        version=row.version,
        created_at=row.created_at,
    )


def _columns(body: ChannelIn, previous: Mapping[str, Any] | None) -> dict[str, Any]:
    config = body.config.model_dump(exclude_none=True)
    for key in SECRET_FIELDS:  # "***" (as read back) keeps the stored secret
        if config.get(key) == "***" and previous is not None and key in previous:
            config[key] = previous[key]
    default = ROBOT_PER_MINUTE if body.kind.value in ROBOTS else OTHERS_PER_MINUTE
    return {
        "code": body.code,
        "name": body.name,
        "kind": body.kind.value,
        "config": config,
        "per_minute": body.per_minute or default,
        "language": body.language,
        "active": body.active,
    }


async def save_channel(
    uow: UnitOfWork, body: ChannelIn, *, code: str | None = None, expected: int | None = None
) -> ChannelOut:
    async with uow:
        session = uow.session
        if code is None:
            row = Channel(**_columns(body, None))
            session.add(row)
            try:
                await session.flush()
            except IntegrityError:
                raise AlreadyExists(f"channel {body.code} already exists") from None
            action = "create"
        else:
            row = await _channel(session, code, lock=True)
            if expected is not None and row.version != expected:
                raise PreconditionFailed(
                    f"channel {code} is at version {row.version}, not {expected}"
                )
            if body.code != code:
                raise Conflict("a channel's code does not change")
            for name, value in _columns(body, row.config).items():
                setattr(row, name, value)
            await session.flush()
            action = "update"
        out = channel_out(row)
        await uow.audit(action, "channel", out.code, after=out.model_dump(mode="json"))
        await uow.commit()
        return out


async def _channel(session: AsyncSession, code: str, *, lock: bool = False) -> Channel:
    query = select(Channel).where(Channel.code == code)
    if lock:
        query = query.with_for_update()
    row = (await session.scalars(query)).first()
    if row is None:
        raise NotFound(f"channel {code} does not exist")
    return row


async def get_channel(session: AsyncSession, code: str) -> ChannelOut:
    return channel_out(await _channel(session, code))


async def list_channels(
    session: AsyncSession, page: PageParams
) -> tuple[list[ChannelOut], str | None]:
    rows, cursor = await page_by_id(session, select(Channel), Channel.id, page)
    return [channel_out(r) for r in rows], cursor


# --- the outbox -----------------------------------------------------------------------


async def channels_by_code(session: AsyncSession, codes: Sequence[str]) -> dict[str, Channel]:
    if not codes:
        return {}
    rows = await session.scalars(select(Channel).where(Channel.code.in_(list(codes))))
    return {row.code: row for row in rows}


async def people_of_role(
    session: AsyncSession, role: str, scopes: Sequence[str] = ("",)
) -> list[str]:
    rows = await session.scalars(
        select(RoleHolder.username).where(
            RoleHolder.role == role, RoleHolder.scope.in_(list(scopes))
        )
    )
    return list(dict.fromkeys(rows))


async def enqueue(
    session: AsyncSession,
    channel_codes: Sequence[str],
    template: str,
    values: Mapping[str, object],
    *,
    link: str = "",
    people: Sequence[str] = (),
    dedupe: str | None = None,
    payload: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> None:
    """Queue `template` on each channel: once for a group robot or webhook, once per
    person with a mobile (SMS) or address (e-mail) among `people`; with `dedupe`, a
    message queued before is not queued again."""
    moment = now or utcnow()
    channels = await channels_by_code(session, channel_codes)
    contacts: dict[str, tuple[str, str, str]] = {}
    if people and any(c.kind in PERSONAL for c in channels.values()):
        found = await session.execute(
            select(Person.username, Person.mobile, Person.email, Person.language).where(
                Person.username.in_(list(people)), Person.active.is_(True)
            )
        )
        contacts = {u: (m, e, lang) for u, m, e, lang in found}
    rows: list[dict[str, Any]] = []
    for code in channel_codes:
        channel = channels.get(code)
        targets: list[tuple[str, str]] = []  # (recipient, language)
        if channel is None or channel.kind not in PERSONAL:
            targets = [("", channel.language if channel else "zh")]
        else:
            for person in people:
                mobile, email, language = contacts.get(person, ("", "", "zh"))
                address = mobile if channel.kind == ChannelKind.SMS.value else email
                if address:
                    targets.append((address, language))
        for recipient, language in targets:
            text = render(template, language, values, link=link or None)
            rows.append(
                {
                    "channel_code": code,
                    "recipient": recipient,
                    "template": template,
                    "title": text.title[:500],
                    "body": text.body,
                    "link": link,
                    "payload": dict(payload or {}),
                    "dedupe_key": f"{dedupe}:{code}:{recipient}" if dedupe else None,
                    "status": MessageStatus.PENDING.value,
                    "attempts": 0,
                    "next_attempt_at": moment,
                    "last_error": "" if channel else f"no channel {code}",
                    "created_at": moment,
                }
            )
    if rows:  # a message queued before under the same key is not queued again
        await session.execute(
            dialect_insert(session)(Message).on_conflict_do_nothing(index_elements=["dedupe_key"]),
            rows,
        )


def message_out(row: Message) -> MessageOut:
    return MessageOut.model_validate(row, from_attributes=True)


async def list_messages(
    session: AsyncSession,
    page: PageParams,
    *,
    status: MessageStatus | None,
    channel_code: str | None,
) -> tuple[list[MessageOut], str | None]:
    query = where_equal(
        select(Message),
        {Message.status: status.value if status else None, Message.channel_code: channel_code},
    )
    rows, cursor = await page_by_id(session, query, Message.id, page)
    return [message_out(r) for r in rows], cursor


async def get_message(session: AsyncSession, message_id: int) -> MessageDetail:
    row = await session.get(Message, message_id)
    if row is None:
        raise NotFound(f"message {message_id} does not exist")
    deliveries = await session.scalars(
        select(Delivery).where(Delivery.message_id == message_id).order_by(Delivery.id)
    )
    return MessageDetail(
        **message_out(row).model_dump(),
        deliveries=[DeliveryOut.model_validate(d, from_attributes=True) for d in deliveries],
    )


async def resend(uow: UnitOfWork, message_id: int) -> MessageDetail:
    """Send a dead message again (from its first try)."""
    async with uow:
        row = await uow.session.get(Message, message_id, with_for_update=True)
        if row is None:
            raise NotFound(f"message {message_id} does not exist")
        if row.status != MessageStatus.DEAD.value:
            raise Conflict(f"message {message_id} is {row.status}; only dead ones are re-sent")
        row.status = MessageStatus.PENDING.value
        row.attempts = 0
        row.next_attempt_at = utcnow()
        await uow.session.flush()
        await uow.audit("resend", "message", str(message_id))
        await uow.commit()
        return await get_message(uow.session, message_id)


# --- delivering -----------------------------------------------------------------------


def _backoff(attempts: int, retry_after: float | None) -> timedelta:
    wait = min(2 ** min(attempts, 10) * 5, 3600)
    return timedelta(seconds=max(wait, retry_after or 0))


async def _send(
    http: httpx.AsyncClient, channel: Channel, message: Message, public_url: str
) -> Sent:
    config = channel.config
    link = f"{public_url}{message.link}" if message.link.startswith("/") else message.link
    text = Text(message.title, message.body, link or None)
    kind = channel.kind
    if kind == ChannelKind.DINGTALK_ROBOT.value:
        robot = DingTalkRobot(
            config["webhook_url"], config.get("secret"), config.get("message_kind", "markdown")
        )
        return await send_dingtalk(http, robot, text)
    if kind == ChannelKind.WECOM_ROBOT.value:
        return await send_wecom(http, WeComRobot(config["webhook_url"]), text)
    if kind == ChannelKind.SMS.value:
        provider = SmsProvider(
            config["url"],
            config.get("api_key"),
            config.get("header", "Authorization"),
            config.get("sender", ""),
        )
        return await send_sms(http, provider, message.recipient, text)
    if kind == ChannelKind.EMAIL.value:
        server = SmtpServer(
            config["host"],
            int(config["port"]),
            config["sender"],
            config.get("username"),
            config.get("password"),
            bool(config.get("starttls")),
            bool(config.get("use_tls")),
        )
        return await send_email(server, [message.recipient], text)
    endpoint = WebhookEndpoint(config["url"], config["secret"])
    payload = message.payload or {"title": message.title, "body": message.body}
    return await send_webhook(
        http,
        endpoint,
        event_type=str(payload.get("event_type", message.template)),
        payload=payload,
        message_id=f"msg_{message.id}",
    )


async def _sent_last_minute(session: AsyncSession, code: str, now: datetime) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.channel_code == code, Message.sent_at > now - timedelta(minutes=1))
        )
        or 0
    )


async def _claim(db: Database, now: datetime) -> tuple[list[int], dict[str, Channel]]:
    """Due messages, per channel no more than the channel's minute allows (robots with
    a backlog beyond that get one digest), claimed for a lease."""
    uow = db.uow(actor="system")
    async with uow:
        session = uow.session
        due = list(
            await session.scalars(
                select(Message)
                .where(
                    Message.status == MessageStatus.PENDING.value, Message.next_attempt_at <= now
                )
                .order_by(Message.id)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
        )
        channels = await channels_by_code(session, sorted({m.channel_code for m in due}))
        claimed: list[int] = []
        by_channel: dict[str, list[Message]] = {}
        for message in due:
            by_channel.setdefault(message.channel_code, []).append(message)
        for code, messages in by_channel.items():
            channel = channels.get(code)
            if channel is None or not channel.active:
                for message in messages:
                    message.status = MessageStatus.DEAD.value
                    message.last_error = f"channel {code} does not exist or is switched off"
                continue
            room = channel.per_minute - await _sent_last_minute(session, code, now)
            if room <= 0:
                for message in messages:
                    message.next_attempt_at = now + timedelta(seconds=15)
                continue
            if channel.kind in ROBOTS and len(messages) > room:
                merged = await _merge(session, channel, messages, now)
                messages = [merged]
            for message in messages[:room]:
                message.next_attempt_at = now + LEASE
                claimed.append(message.id)
            for message in messages[room:]:
                message.next_attempt_at = now + timedelta(seconds=15)
        await session.flush()
        await uow.commit()
    return claimed, channels


async def _merge(
    session: AsyncSession, channel: Channel, messages: list[Message], now: datetime
) -> Message:
    """One digest for a robot instead of a queue beyond its minute's limit."""
    title = f"{len(messages)} 条通知" if channel.language == "zh" else f"{len(messages)} notices"
    limit = 2000 if channel.kind == ChannelKind.WECOM_ROBOT.value else 18000
    more = "… 另有 {count} 条" if channel.language == "zh" else "… and {count} more"
    text = digest(
        [Text(m.title, m.body, m.link or None) for m in messages],
        title=title,
        limit_bytes=limit,
        more=more,
    )
    merged = Message(
        channel_code=channel.code,
        recipient="",
        template="digest",
        title=text.title[:500],
        body=text.body,
        link="",
        payload={},
        dedupe_key=None,
        status=MessageStatus.PENDING.value,
        attempts=0,
        next_attempt_at=now,
        last_error="",
        created_at=now,
    )
    session.add(merged)
    await session.flush()
    for message in messages:
        message.status = MessageStatus.MERGED.value
        message.merged_into = merged.id
    return merged


async def deliver_due(
    db: Database, http: httpx.AsyncClient, now: datetime | None = None, *, public_url: str = ""
) -> int:
    """Send what is due; the number of messages tried. Links stored relative
    (`/v1/approvals/7`) are sent under `public_url`."""
    moment = now or utcnow()
    claimed, channels = await _claim(db, moment)
    for message_id in claimed:
        async with db.read() as session:
            message = await session.get(Message, message_id)
            if message is None:
                continue
            channel = channels[message.channel_code]
            session.expunge(message)
        try:
            sent = await _send(http, channel, message, public_url)
        except (KeyError, ValueError, TypeError) as exc:  # settings the channel lacks
            sent = Sent(ok=False, retryable=False, detail=f"cannot send: {exc}")
        await _record(db, message_id, sent, utcnow())
    return len(claimed)


async def _record(db: Database, message_id: int, sent: Sent, now: datetime) -> None:
    uow = db.uow(actor="system")
    async with uow:
        session = uow.session
        row = await session.get(Message, message_id, with_for_update=True)
        if row is None or row.status != MessageStatus.PENDING.value:
            return
        row.attempts += 1
        session.add(
            Delivery(
                message_id=message_id,
                attempt=row.attempts,
                at=now,
                ok=sent.ok,
                status=sent.status,
                detail=sent.detail[:1000],
            )
        )
        if sent.ok:
            row.status = MessageStatus.SENT.value
            row.sent_at = now
            row.last_error = ""
        elif sent.retryable and row.attempts < MAX_ATTEMPTS:
            row.next_attempt_at = now + _backoff(row.attempts, sent.retry_after)
            row.last_error = sent.detail[:1000]
        else:
            row.status = MessageStatus.DEAD.value
            row.last_error = sent.detail[:1000]
        await session.flush()
        await uow.commit()
