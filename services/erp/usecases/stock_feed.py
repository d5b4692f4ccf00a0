"""Stock's feed into vouchers: `MovementPosted` events are kept (classified), and the next
event that is not one of them (the document's own `...Posted` / `...Reversed`, which stock
writes right after its movements) builds their vouchers (usecases/vouchers.py).

A page of the feed is applied in one unit of work with the cursor, so a voucher is built
exactly once: a replayed event is skipped by the consumer, and a movement seen again is
ignored (`ON CONFLICT DO NOTHING` on its id). A page that fails is retried one event at a
time (`apply_stock_event`), which builds the same vouchers. `ItemRevalued` events are kept
for the revaluation worker (usecases/revaluations.py).
"""

from __future__ import annotations

from services.erp.usecases import revaluations, vouchers
from shared.db.uow import UnitOfWork
from shared.events.schemas import FeedEvent

SOURCE = "stock"
MOVEMENT = "MovementPosted"


async def apply_stock_event(uow: UnitOfWork, event: FeedEvent) -> None:
    await apply_stock_events(uow, [event])


async def apply_stock_events(uow: UnitOfWork, events: list[FeedEvent]) -> None:
    session = uow.session
    ref = await vouchers.Reference.load(session)
    page = await vouchers.Page.start(session, ref)
    for event in events:
        if event.type == MOVEMENT:
            payload = event.payload
            document = (
                str(payload["document_type"]),
                int(payload["document_id"]),
                payload.get("reversal_of_id") is not None,
            )
            if page.open_document not in (None, document):
                await page.close(None)  # another document began without its event
            row = vouchers.movement_row(ref, event.seq, payload)
            if row is not None:
                page.add(row)
            continue
        await page.close(event.payload)
        if event.type == revaluations.EVENT:
            await revaluations.record(session, event.seq, event.payload)
    await page.finish()
    if any(book.voucher_mode == "daily_summary" for book in ref.books):
        await vouchers.close_due(session)
