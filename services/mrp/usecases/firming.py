"""Firming a planned order: a buy order becomes a purchase order, a make order a work order
(built to the BOM version the run exploded), once.

The planned order is locked while it is firmed, so two firmings of one planned order
never both create an order: the second gets 409 `planned_order_firmed`.
"""

from __future__ import annotations

from datetime import timedelta

from services.mrp.clients import CatalogItem, PlanningData
from services.mrp.db.models import MrpRun, PlannedOrderRow
from services.mrp.run_schemas import FirmOut, FirmRequest
from services.mrp.usecases.orders import insert_purchase_order
from services.mrp.usecases.runs import planned_order_outs
from services.mrp.usecases.work_orders import insert_work_order
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, FieldError, InvalidInput, NotFound


class PlannedOrderFirmed(Conflict):
    code = "planned_order_firmed"
    title = "The planned order was firmed already"


async def firm_planned_order(
    uow: UnitOfWork,
    order_id: int,
    body: FirmRequest,
    item: CatalogItem | None,
    planning: PlanningData | None,
) -> FirmOut:
    async with uow:
        row = await uow.session.get(PlannedOrderRow, order_id, with_for_update=True)
        if row is None:
            raise NotFound(f"no planned order {order_id}")
        if row.status != "planned":
            raise PlannedOrderFirmed(f"planned order {order_id} is already {row.firmed_as}")
        if item is None:
            raise NotFound(f"the catalog no longer has item {row.item_code}")
        run = await uow.session.get(MrpRun, row.run_id)
        assert run is not None
        reference = f"{run.number}/{row.number}"
        quantity = body.quantity or row.quantity
        due = body.due_date or row.due_date
        purchase_id = work_id = None
        if row.procurement == "buy":
            if body.supplier is None:
                raise InvalidInput(
                    "a supplier is needed",
                    errors=[FieldError("body.supplier", "required to firm a buy order", "missing")],
                )
            purchase = await insert_purchase_order(
                uow,
                number=body.number,
                supplier=body.supplier,
                note=f"from planned order {reference}",
                lines=[(item, quantity, due)],
                planned_order=reference,
            )
            purchase_id, number = purchase.id, purchase.number
        else:
            start = row.release_date
            if body.due_date is not None:
                start = body.due_date - timedelta(days=(row.due_date - row.release_date).days)
            revision = None
            if planning is not None and row.bom_id is not None:
                revision = planning.bom_revisions.get(row.bom_id)
            work = await insert_work_order(
                uow,
                number=body.number,
                item=item,
                quantity=quantity,
                start_date=start,
                due_date=due,
                wip_location_code=body.wip_location_code,
                output_location_code=body.output_location_code,
                note=f"from planned order {reference}",
                planned_order=reference,
                bom_id=row.bom_id,
                bom_revision=revision,
                release_with=planning if body.release else None,
            )
            work_id, number = work.id, work.number
        row.status = "firmed"
        row.firmed_as = number
        await uow.session.flush()
        (planned,) = await planned_order_outs(uow.session, [row])
        await uow.audit("firm", "planned_order", str(row.id), after=planned)
        uow.emit(
            "PlannedOrderFirmed",
            "planned_order",
            str(row.id),
            {"planned_order": planned.model_dump(mode="json"), "order_number": number},
        )
        await uow.commit()
    return FirmOut(
        planned_order=planned,
        purchase_order_id=purchase_id,
        work_order_id=work_id,
        order_number=number,
    )
