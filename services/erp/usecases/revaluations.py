"""Revaluations: a back-dated posting makes stock recompute the values of the item's later
movements (`ItemRevalued` on its feed). Vouchers already built hold the old values, so
erp posts the differences.

* The feed handler keeps the event (`record`), in the page's transaction.
* `run_once` (the service's worker `run`, every few seconds) takes each pending one,
  asks stock for the item's movement values outside any transaction, and in one
  transaction posts, per book, a correction voucher: for every movement it had vouchered
  whose value changed, the difference (to the cent) on the accounts that movement posts
  to, in the same direction (a lower value gives negative amounts). The stored values
  move to the new ones, so a second revaluation posts only what changed since.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

import structlog
from fastapi import FastAPI
from sqlalchemy import select

from services.erp.clients import StockClient
from services.erp.db.models import Book, Movement, Revaluation, VoucherMovement
from services.erp.domain.vouchers import cents
from services.erp.usecases import vouchers
from shared.db.database import Database
from shared.db.dialects import dialect_insert
from shared.db.types import utcnow

log = structlog.get_logger(__name__)

PENDING, DONE, FAILED = "pending", "done", "failed"
EVENT = "ItemRevalued"


async def record(session: Any, seq: int, payload: dict[str, Any]) -> None:
    """Keep an `ItemRevalued` event (once per feed sequence)."""
    since = datetime.fromisoformat(str(payload["from"]).replace("Z", "+00:00"))
    insert = dialect_insert(session)
    await session.execute(
        insert(Revaluation)
        .values(
            event_seq=seq,
            item_code=str(payload["item_code"]),
            since=since,
            state=PENDING,
            detail="",
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["event_seq"])
    )


async def run_once(db: Database, stock: StockClient) -> int:
    """Post every pending revaluation; returns how many were done."""
    async with db.read() as session:
        pending = list(
            await session.execute(
                select(Revaluation.id, Revaluation.item_code)
                .where(Revaluation.state == PENDING)
                .order_by(Revaluation.event_seq)
            )
        )
    done = 0
    for revaluation_id, item_code in pending:
        values = await stock.movement_values(item_code)
        uow = db.uow(actor="system:erp-revaluations")
        async with uow:
            done += await _post(uow.session, revaluation_id, values)
            await uow.commit()
    return done


async def _post(session: Any, revaluation_id: int, values: dict[int, Decimal]) -> int:
    revaluation = await session.get(Revaluation, revaluation_id, with_for_update=True)
    if revaluation is None or revaluation.state != PENDING:
        return 0
    kept = list(
        await session.scalars(
            select(Movement)
            .where(Movement.item_code == revaluation.item_code, Movement.closed.is_(True))
            .order_by(Movement.event_seq)
        )
    )
    changed: list[tuple[Movement, Decimal]] = []
    for m in kept:
        now = values.get(m.id)
        if now is not None and cents(now) != cents(m.value):
            changed.append((m, cents(now) - cents(m.value)))
    posted = 0
    if changed:
        ref = await vouchers.Reference.load(session)
        await ref.load_items(session, [revaluation.item_code])
        in_books: dict[str, set[int]] = defaultdict(set)
        for book_code, movement_id in await session.execute(
            select(VoucherMovement.book_code, VoucherMovement.movement_id).where(
                VoucherMovement.movement_id.in_([m.id for m, _ in changed])
            )
        ):
            in_books[book_code].add(movement_id)
        for book in ref.books:
            deltas = [_with_value(m, delta) for m, delta in changed if m.id in in_books[book.code]]
            if deltas:
                await _voucher(session, ref, book, revaluation, deltas)
                posted += 1
        for m, _ in changed:
            m.value = values[m.id]
    revaluation.state = DONE
    revaluation.done_at = utcnow()
    revaluation.detail = f"{len(changed)} movement(s) changed value; {posted} voucher(s)"
    return 1


def _with_value(m: Movement, value: Decimal) -> Movement:
    """A copy of `m` (not in the session) worth `value`: what its postings must add."""
    columns = {c.key: getattr(m, c.key) for c in Movement.__table__.columns}
    columns["value"] = value
    return Movement(**columns)


async def _voucher(
    session: Any,
    ref: vouchers.Reference,
    book: Book,
    revaluation: Revaluation,
    deltas: list[Movement],
) -> None:
    built = vouchers.build(ref, book, deltas, lambda kind: f"重估 {revaluation.item_code}")
    if not built.postings and not built.reasons:
        return  # the accounts take no value there (e.g. work in progress consumed)
    voucher = await vouchers.new_voucher(
        session,
        book,
        deltas,
        built,
        grouping=f"revaluation:{revaluation.id}",
        day=vouchers.local_date(book, utcnow()),
        document_type=vouchers.REVALUATION,
        document_id=revaluation.id,
        document_number=f"{vouchers.REVALUATION_NUMBER}{revaluation.item_code}",
        red_ink=False,
    )
    await vouchers.publish(session, [voucher])


async def run(app: FastAPI) -> None:
    """The worker: posts pending revaluations every `revaluation_poll_seconds`."""
    stock = StockClient(app.state.client)
    while True:
        try:
            await run_once(app.state.db, stock)
        except Exception:
            log.exception("revaluations_pass_failed")
        await asyncio.sleep(app.state.settings.revaluation_poll_seconds)
