"""Pushing vouchers to the ERP through an outbox (`erp_pushes`), exactly once.

A voucher that becomes ready in a book with a push target gets a push row, `pending`, in
the same transaction (`vouchers.enqueue`). The pusher (`run`, a service worker; `run_once` in
tests) takes a due row and:

1. claims it in a short transaction: `sent`, one attempt more, and a lease
   (`next_attempt_at`) so another replica leaves it alone; a process that dies here
   leaves it `sent`, which the next pass treats as unknown;
2. asks the ERP whether it already has our number (query before save), and saves only
   if it does not;
3. records the outcome in another short transaction:
   - saved, or found: `confirmed` with the ERP's number, and the voucher `exported`;
   - the request never left (`NotSent`): `pending` again, later;
   - no answer (`Lost`): `unknown`; the next pass asks the ERP and never sends blindly:
     found is confirmed, not found is sent then;
   - a duplicate number: the ERP has it: asked again, confirmed;
   - refused by the ERP: `failed`, the voucher `failed` with the reason, for finance to
     fix in the ERP and retry (`retry`).

Waits between attempts double from 2 s up to 5 minutes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import httpx
import structlog
from fastapi import FastAPI
from sqlalchemy import select

from services.erp.adapters import Adapter, Duplicate, Lost, NotSent, Refused, adapter_for
from services.erp.db.models import Push, Voucher, VoucherLine
from services.erp.domain.erp_payloads import Document, Entry
from services.erp.usecases import vouchers
from shared.db.database import Database
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, NotFound, UpstreamUnavailable

log = structlog.get_logger(__name__)

PENDING, SENT, UNKNOWN, CONFIRMED, FAILED = "pending", "sent", "unknown", "confirmed", "failed"
DUE_STATES = (PENDING, SENT, UNKNOWN)
MAX_WAIT = timedelta(minutes=5)


def wait_after(attempts: int) -> timedelta:
    return min(timedelta(seconds=2 ** max(attempts, 1)), MAX_WAIT)


async def _document(session: Any, voucher: Voucher) -> Document:
    lines = await session.scalars(
        select(VoucherLine)
        .where(VoucherLine.voucher_id == voucher.id)
        .order_by(VoucherLine.line_no)
    )
    return Document(
        number=voucher.number,
        date=voucher.date,
        year=voucher.year,
        period=voucher.period,
        word=voucher.word,
        preparer=voucher.preparer,
        attachments=voucher.attachments,
        entries=[
            Entry(
                line.summary,
                line.account,
                line.debit,
                line.credit,
                line.quantity,
                line.unit_price,
                dict(line.dimensions),
            )
            for line in lines
        ],
    )


async def push_one(
    db: Database, adapters: Mapping[str, Adapter], push_id: int, now: datetime | None = None
) -> str | None:
    """One attempt at one push; returns the state it ends in (None: not due, or taken)."""
    moment = now or utcnow()
    uow = db.uow(actor="system:erp-pusher")
    async with uow:
        session = uow.session
        push = (
            await session.scalars(select(Push).where(Push.id == push_id).with_for_update())
        ).first()
        if push is None or push.state not in DUE_STATES or push.next_attempt_at > moment:
            return None
        voucher = await session.get(Voucher, push.voucher_id)
        assert voucher is not None
        if voucher.status == vouchers.EXPORTED:  # acknowledged through the pull meanwhile
            push.state, push.erp_number, push.updated_at = CONFIRMED, voucher.erp_number, moment
            await uow.commit()
            return CONFIRMED
        adapter = adapters.get(push.target)
        if adapter is None:
            push.last_error = f"push target {push.target} is not configured (ERP_PUSH_TARGETS)"
            push.next_attempt_at = moment + MAX_WAIT
            await uow.commit()
            return push.state
        document = await _document(session, voucher)
        push.attempts += 1
        push.state = SENT
        push.next_attempt_at = moment + wait_after(push.attempts)
        push.updated_at = moment
        await uow.commit()
    state, detail, number = await _attempt(adapter, document)
    return await _record(db, push_id, state, detail, number, moment)


async def _attempt(adapter: Adapter, document: Document) -> tuple[str, str, str | None]:
    try:
        found = await adapter.find(document.number)
        if found is not None:
            return CONFIRMED, "", found
        try:
            return CONFIRMED, "", await adapter.save(document)
        except Duplicate as exc:
            found = await adapter.find(document.number)
            if found is not None:
                return CONFIRMED, "", found
            return UNKNOWN, f"duplicate, but not found: {exc}", None
    except NotSent as exc:
        return PENDING, f"not sent: {exc}", None
    except Lost as exc:
        return UNKNOWN, f"no answer: {exc}", None
    except Refused as exc:
        return FAILED, str(exc), None


async def _record(
    db: Database, push_id: int, state: str, detail: str, number: str | None, moment: datetime
) -> str:
    uow = db.uow(actor="system:erp-pusher")
    async with uow:
        session = uow.session
        push = (
            await session.scalars(select(Push).where(Push.id == push_id).with_for_update())
        ).first()
        assert push is not None
        voucher = await session.get(Voucher, push.voucher_id)
        assert voucher is not None
        push.state, push.last_error, push.updated_at = state, detail[:1000], utcnow()
        if state == CONFIRMED:
            push.erp_number = number
            if voucher.status != vouchers.EXPORTED:
                voucher.status = vouchers.EXPORTED
                voucher.erp_number = number
                voucher.exported_at = utcnow()
                await vouchers.publish(session, [voucher])
        elif state == FAILED:
            voucher.status = vouchers.FAILED
            await vouchers.publish(session, [voucher])
        else:
            push.next_attempt_at = moment + wait_after(push.attempts)
        await uow.audit(
            "push", "voucher", voucher.number, after={"state": state, "erp_number": number}
        )
        await uow.commit()
        log.info("voucher_push", voucher=voucher.number, target=push.target, state=state)
        return state


async def due(db: Database, now: datetime, limit: int = 50) -> list[int]:
    async with db.read() as session:
        return list(
            await session.scalars(
                select(Push.id)
                .where(Push.state.in_(DUE_STATES), Push.next_attempt_at <= now)
                .order_by(Push.id)
                .limit(limit)
            )
        )


def adapters_of(app: FastAPI) -> dict[str, Adapter]:
    """One adapter per configured target, kept on the app (sessions and tokens live on)."""
    found: dict[str, Adapter] | None = getattr(app.state, "erp_adapters", None)
    if found is None:
        settings = app.state.settings
        client = httpx.AsyncClient(
            transport=getattr(app.state, "erp_transport", None),
            timeout=settings.push_timeout_seconds,
        )
        app.state.erp_client = client
        found = {name: adapter_for(t, client) for name, t in settings.push_targets.items()}
        app.state.erp_adapters = found
    return found


async def run_once(app: FastAPI, now: datetime | None = None) -> dict[int, str | None]:
    """Every due push, once; what became of each."""
    moment = now or utcnow()
    adapters = adapters_of(app)
    return {
        push_id: await push_one(app.state.db, adapters, push_id, moment)
        for push_id in await due(app.state.db, moment)
    }


async def run(app: FastAPI) -> None:
    """The pusher: works off due pushes, looking again every `push_poll_seconds`."""
    poll = app.state.settings.push_poll_seconds
    try:
        while True:
            try:
                done = await run_once(app)
            except Exception:
                log.exception("voucher_push_pass_failed")
                done = {}
            if not done:
                await asyncio.sleep(poll)
    finally:
        client = getattr(app.state, "erp_client", None)
        if client is not None:
            await client.aclose()


async def retry(uow: UnitOfWork, voucher_id: int) -> None:
    """A failed push goes again (finance fixed what the ERP refused)."""
    async with uow:
        session = uow.session
        voucher = (
            await session.scalars(select(Voucher).where(Voucher.id == voucher_id).with_for_update())
        ).first()
        if voucher is None:
            raise NotFound(f"voucher {voucher_id} does not exist")
        push = (
            await session.scalars(
                select(Push).where(Push.voucher_id == voucher_id, Push.state == FAILED)
            )
        ).first()
        if push is None or voucher.status != vouchers.FAILED:
            raise Conflict(f"voucher {voucher.number} has no failed push to retry")
        push.state, push.next_attempt_at, push.updated_at = PENDING, utcnow(), utcnow()
        voucher.status = vouchers.READY
        await vouchers.publish(session, [voucher])
        await uow.audit("retry_push", "voucher", voucher.number, after={"target": push.target})
        await uow.commit()


async def void(
    db: Database, adapters: Mapping[str, Adapter], uow: UnitOfWork, voucher_id: int, reason: str
) -> tuple[int, int]:
    """Cancel a voucher in the ERP it was pushed to, then build its correction (the same
    movements, the map as it is now) under a new number, to be pushed like any other:
    (the voided voucher's id, the replacement's). Asking again after a lost answer is
    safe: the ERP takes a second cancel of the same voucher as done."""
    async with db.read() as session:
        voucher = await session.get(Voucher, voucher_id)
        if voucher is None:
            raise NotFound(f"voucher {voucher_id} does not exist")
        push = (
            await session.scalars(
                select(Push).where(Push.voucher_id == voucher_id, Push.state == CONFIRMED)
            )
        ).first()
        number, status = voucher.number, voucher.status
    if status == vouchers.VOIDED:
        raise Conflict(f"voucher {number} is voided already")
    if status != vouchers.EXPORTED or push is None:
        raise Conflict(
            f"voucher {number} is {status}: only a voucher pushed to an ERP and confirmed "
            "there can be voided there"
        )
    adapter = adapters.get(push.target)
    if adapter is None:
        raise Conflict(f"push target {push.target} is not configured (ERP_PUSH_TARGETS)")
    try:
        await adapter.void(number, reason)
    except Refused as exc:
        raise Conflict(f"{push.target} would not void {number}: {exc}") from exc
    except (NotSent, Lost) as exc:
        raise UpstreamUnavailable(
            f"{push.target} did not answer ({exc}); ask again: voiding twice is harmless"
        ) from exc
    async with uow:
        session = uow.session
        voucher = (
            await session.scalars(select(Voucher).where(Voucher.id == voucher_id).with_for_update())
        ).first()
        assert voucher is not None
        if voucher.status == vouchers.VOIDED:
            raise Conflict(f"voucher {number} is voided already")
        voucher.status = vouchers.VOIDED
        voucher.void_reason = reason
        voucher.voided_at = utcnow()
        replacement = await vouchers.replace(session, voucher)
        await vouchers.publish(session, [voucher, replacement])
        await uow.audit(
            "void",
            "voucher",
            number,
            after={"reason": reason, "replacement": replacement.number},
        )
        await uow.commit()
        return voucher.id, replacement.id
