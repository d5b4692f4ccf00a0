"""Applying stock's events: lots become genealogy nodes; receipts become their history."""

from __future__ import annotations

from dataclasses import asdict, fields
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from services.trace.db.models import LotHistory, TraceLot
from services.trace.domain.lots import LotFacts, lot_facts, merge
from shared.db.uow import UnitOfWork
from shared.events.schemas import FeedEvent

SOURCE = "stock"


async def apply_stock_event(uow: UnitOfWork, event: FeedEvent) -> None:
    """Feed handler for stock: called once per event, inside the consumer's unit of work."""
    if event.type == "LotCreated":
        await upsert_lot(uow, lot_facts(event.payload), event)
    elif event.type == "ReceiptPosted":
        received: dict[int, tuple[TraceLot, Decimal]] = {}
        for line in _received_lines(event.payload):
            lot = await upsert_lot(uow, lot_facts(line["lot"]), event)
            before = received.get(lot.id, (lot, Decimal(0)))[1]
            received[lot.id] = (lot, before + Decimal(str(line["quantity"])))
        for lot, quantity in received.values():  # one row per lot (two lines may share one)
            uow.session.add(
                LotHistory(
                    lot_id=lot.id,
                    source=SOURCE,
                    source_seq=event.seq,
                    event_type=event.type,
                    document_number=str(event.payload.get("number", "")),
                    location_code=str(event.payload.get("location_code", "")),
                    quantity=quantity,
                    occurred_at=event.occurred_at,
                )
            )
        await uow.session.flush()


def _received_lines(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The lines of a receipt that received into a lot (receipts posted before they had
    lines carry their one lot and quantity at the top)."""
    lines = payload.get("lines")
    if lines is None:
        lines = [payload]
    return [line for line in lines if line.get("lot")]


async def upsert_lot(uow: UnitOfWork, facts: LotFacts, event: FeedEvent) -> TraceLot:
    lot = (
        await uow.session.scalars(
            select(TraceLot).where(
                TraceLot.item_code == facts.item_code, TraceLot.lot_number == facts.lot_number
            )
        )
    ).one_or_none()
    if lot is None:
        lot = TraceLot(**asdict(facts), first_seen_at=event.occurred_at)
        uow.session.add(lot)
        await uow.session.flush()
        return lot
    known = LotFacts(**{f.name: getattr(lot, f.name) for f in fields(LotFacts)})
    for name, value in asdict(merge(known, facts)).items():
        setattr(lot, name, value)
    await uow.session.flush()
    return lot
