"""MES completions: one event posts one production receipt in stock, then updates the work
order; a retry of the event changes nothing and answers as the first time.

The saga, step by step:

1. A completion already recorded under the event id answers at once (same body) or is
   refused (409 `completion_event_reused`, another body or another order).
2. The work order row is locked (`FOR UPDATE`; on SQLite the write lock) for the rest,
   so completions of one order run one after another and a backflush never takes the
   same shortfall twice.
3. Stock is asked to post the production receipt with `Idempotency-Key:
   mes-completion:<event id>`: if MRP fails after stock posted, the retry gets stock's
   stored answer instead of a second posting. A refusal (short stock, unknown serial,
   wrong lot) is passed on as stock gave it, with its code, and MRP keeps nothing.
4. In the same MRP transaction: the receipt's movements are counted on the order (claimed
   like the feed claims them, so the feed never counts them again), the scrap is added,
   the completion is recorded with its answer, and `OperationRecorded` goes on MRP's feed
   (operation, station, operator, times, result, lots and serials produced and consumed,
   the BOM revision built to) for trace.

Backflush (no `consumed` list): every component is consumed by BOM so that the order has
consumed, in total, `quantity_per x (produced + scrapped) + fixed quantity` of it; a
scrap-only event posts nothing in stock and its components follow with the next output.
"""

from __future__ import annotations

import hashlib
from decimal import ROUND_CEILING, Decimal
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.mrp.completion_schemas import CompletionIn, CompletionOut, CompletionRecordOut
from services.mrp.db.models import Completion, WorkOrder, WorkOrderComponent
from services.mrp.schemas import WorkOrderStatus
from services.mrp.usecases.stock_feed import apply_movements, movements_in
from services.mrp.usecases.work_orders import components_of, work_order_out
from shared.client import ServiceClient
from shared.db.database import Database
from shared.db.paging import page_by_id
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import (
    Conflict,
    FieldError,
    InvalidInput,
    NotFound,
    PassedOn,
    UpstreamError,
)
from shared.http.pagination import PageParams

ZERO = Decimal(0)
STEP = Decimal("0.000001")
ACCEPTING = (
    WorkOrderStatus.RELEASED.value,
    WorkOrderStatus.IN_PROGRESS.value,
    WorkOrderStatus.COMPLETED.value,
)


class CompletionEventReused(Conflict):
    code = "completion_event_reused"
    title = "The event id was used for another completion"


class WorkOrderNotOpen(Conflict):
    code = "work_order_not_open"
    title = "The work order does not take completions"


def fingerprint(order_id: int, body: CompletionIn) -> str:
    raw = f"{order_id}:{body.model_dump_json()}".encode()
    return hashlib.sha256(raw).hexdigest()


async def _replay(db: Database, order_id: int, body: CompletionIn) -> CompletionOut | None:
    async with db.read() as session:
        found = await session.scalar(select(Completion).where(Completion.event_id == body.event_id))
    if found is None:
        return None
    if found.fingerprint != fingerprint(order_id, body):
        raise CompletionEventReused(
            f"event {body.event_id!r} was recorded with another body or work order",
            errors=[FieldError("body.event_id", "already used for another completion", "reused")],
        )
    return CompletionOut.model_validate(found.response)


def _up(value: Decimal) -> Decimal:
    return value.quantize(STEP, rounding=ROUND_CEILING)


def backflush(parts: list[WorkOrderComponent], done_after: Decimal) -> list[dict[str, Any]]:
    """What each component still has to consume for `done_after` units made or scrapped."""
    lines = []
    for part in sorted(parts, key=lambda p: (p.position, p.item_code)):
        if not part.quantity_per and not part.fixed_quantity:
            continue
        target = _up(part.quantity_per * done_after + part.fixed_quantity)
        still = target - part.consumed_quantity
        if still > 0:
            lines.append({"item_code": part.item_code, "quantity": format(still, "f")})
    return lines


def _check(order: WorkOrder, body: CompletionIn) -> tuple[str, str]:
    if order.status not in ACCEPTING:
        raise WorkOrderNotOpen(
            f"work order {order.number} is {order.status}: it takes completions once released"
        )
    errors = [
        FieldError(
            f"body.produced.{i}.item_code",
            f"{out.item_code!r} is not the work order's item {order.item_code!r}",
            "wrong_item",
        )
        for i, out in enumerate(body.produced)
        if out.item_code is not None and out.item_code != order.item_code
    ]
    wip = body.wip_location_code or order.wip_location_code
    output = body.output_location_code or order.output_location_code
    if body.produced and not output:
        errors.append(
            FieldError("body.output_location_code", "the work order names no output location")
        )
    consuming = body.consumed is None or bool(body.consumed)
    if body.produced and consuming and not wip:
        errors.append(FieldError("body.wip_location_code", "the work order names no WIP location"))
    if errors:
        raise InvalidInput("the completion does not fit the work order", errors=errors)
    return wip, output


def _stock_errors(body: dict[str, Any], backflushed: bool) -> list[FieldError]:
    """Stock's field errors in the completion's terms."""
    found = []
    for error in body.get("errors") or []:
        field = str(error.get("field", ""))
        field = field.replace("body.outputs.", "body.produced.")
        if field.startswith("body.components.") and backflushed:
            field = "body.consumed"
        else:
            field = field.replace("body.components.", "body.consumed.")
        found.append(
            FieldError(field, str(error.get("message", "")), str(error.get("type", "invalid")))
        )
    return found


async def post_in_stock(
    client: ServiceClient, request: dict[str, Any], event_id: str, backflushed: bool
) -> dict[str, Any]:
    response: httpx.Response = await client.request(
        "stock",
        "POST",
        "/v1/production-receipts",
        json=request,
        idempotency_key=f"mes-completion:{event_id}",
    )
    if response.status_code == 201:
        return response.json()  # type: ignore[no-any-return]
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code in (409, 422) and isinstance(body, dict):
        raise PassedOn(
            "stock",
            response.status_code,
            body,
            refused="the production receipt",
            errors=_stock_errors(body, backflushed),
        )
    raise UpstreamError(f"stock answered {response.status_code} to a production receipt")


async def record_completion(
    db: Database,
    uow: UnitOfWork,
    client: ServiceClient,
    order_id: int,
    body: CompletionIn,
) -> tuple[CompletionOut, bool]:
    """Post the completion once; `(answer, created)`."""
    replay = await _replay(db, order_id, body)
    if replay is not None:
        return replay, False
    async with uow:
        order = await uow.session.get(WorkOrder, order_id, with_for_update=True)
        if order is None:
            raise NotFound(f"no work order {order_id}")
        again = await uow.session.scalar(
            select(Completion).where(Completion.event_id == body.event_id)
        )
        if again is not None:  # recorded while we waited for the lock
            replay = await _replay(db, order_id, body)
            assert replay is not None
            return replay, False
        wip, output = _check(order, body)
        parts = (await components_of(uow.session, [order.id]))[order.id]
        produced = sum((out.quantity for out in body.produced), ZERO)
        receipt: dict[str, Any] | None = None
        backflushed = body.consumed is None
        if body.produced:
            if body.consumed is None:
                done_after = order.produced_quantity + order.scrapped_quantity
                done_after += produced + body.scrap_quantity
                components = backflush(parts, done_after)
            else:
                components = [
                    {
                        key: value
                        for key, value in {
                            "item_code": used.item_code,
                            "quantity": format(used.quantity, "f"),
                            "lot_number": used.lot_number,
                            "serial_numbers": used.serial_numbers,
                        }.items()
                        if value is not None
                    }
                    for used in body.consumed
                ]
            request: dict[str, Any] = {
                "work_order": order.number,
                "to_location_code": output,
                "outputs": [
                    {
                        key: value
                        for key, value in {
                            "item_code": order.item_code,
                            "quantity": format(out.quantity, "f"),
                            "lot_number": out.lot_number,
                            "serial_numbers": out.serial_numbers,
                            "quality_state": out.quality_state,
                        }.items()
                        if value is not None
                    }
                    for out in body.produced
                ],
                "components": components,
                "note": f"MES event {body.event_id}"[:500],
            }
            if components:
                request["wip_location_code"] = wip
            receipt = await post_in_stock(client, request, body.event_id, backflushed)
            await apply_movements(uow, movements_in(receipt))
        order.scrapped_quantity += body.scrap_quantity
        if body.scrap_quantity and order.status == WorkOrderStatus.RELEASED:
            order.status = WorkOrderStatus.IN_PROGRESS.value
        now = utcnow()
        order.updated_at = now
        order.updated_by = uow.actor
        await uow.session.flush()
        await uow.session.refresh(order)
        parts = (await components_of(uow.session, [order.id]))[order.id]
        out = CompletionOut(
            event_id=body.event_id,
            work_order=work_order_out(order, parts),
            production_receipt_id=receipt["id"] if receipt else None,
            production_receipt_number=receipt["number"] if receipt else None,
            produced_quantity=produced,
            scrapped_quantity=body.scrap_quantity,
            backflushed=backflushed and receipt is not None,
            recorded_at=now,
        )
        uow.session.add(
            Completion(
                event_id=body.event_id,
                work_order_id=order.id,
                fingerprint=fingerprint(order_id, body),
                production_receipt_id=receipt["id"] if receipt else 0,
                production_receipt_number=receipt["number"] if receipt else "",
                produced_quantity=produced,
                scrapped_quantity=body.scrap_quantity,
                operation=body.operation,
                station=body.station,
                operator=body.operator,
                started_at=body.started_at,
                finished_at=body.finished_at,
                response=out.model_dump(mode="json"),
                recorded_at=now,
                recorded_by=uow.actor,
            )
        )
        await uow.audit("complete", "work_order", str(order.id), after=out)
        uow.emit(
            "OperationRecorded",
            "work_order",
            str(order.id),
            _operation(order, body, receipt),
        )
        await uow.commit()
    return out, True


def _operation(
    order: WorkOrder, body: CompletionIn, receipt: dict[str, Any] | None
) -> dict[str, Any]:
    """What trace needs of an operation: who did what where, with which lots and units."""
    return {
        "event_id": body.event_id,
        "work_order": order.number,
        "item_code": order.item_code,
        "bom_revision": order.bom_revision,
        "operation": body.operation,
        "station": body.station,
        "operator": body.operator,
        "result": body.result,
        "started_at": body.started_at.isoformat() if body.started_at else None,
        "finished_at": body.finished_at.isoformat() if body.finished_at else None,
        "scrap_quantity": format(body.scrap_quantity, "f"),
        "production_receipt": receipt["number"] if receipt else None,
        "produced": receipt.get("outputs", []) if receipt else [],
        "consumed": receipt.get("components", []) if receipt else [],
    }


async def list_completions(
    session: AsyncSession, order_id: int, page: PageParams
) -> tuple[list[CompletionRecordOut], str | None]:
    if await session.get(WorkOrder, order_id) is None:
        raise NotFound(f"no work order {order_id}")
    query = select(Completion).where(Completion.work_order_id == order_id)
    rows, cursor = await page_by_id(session, query, Completion.id, page)
    return [
        CompletionRecordOut(
            event_id=row.event_id,
            production_receipt_number=row.production_receipt_number,
            produced_quantity=row.produced_quantity,
            scrapped_quantity=row.scrapped_quantity,
            operation=row.operation,
            station=row.station,
            operator=row.operator,
            started_at=row.started_at,
            finished_at=row.finished_at,
            recorded_at=row.recorded_at,
            recorded_by=row.recorded_by,
        )
        for row in rows
    ], cursor
