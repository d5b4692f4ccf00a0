"""The units a production receipt names: locked in the posting's order, outputs new.

Every serial row the document names (outputs and components) is locked after the
balances and before the valuations, the posting core's lock order. An output names a new
unit: one never seen, or one whose only way out of stock was the reversal of the
production receipt that made it (a corrected receipt may produce it again). A unit in
stock, shipped, scrapped, returned, lost or consumed as a component is refused with
`serial_conflict` naming the output line.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.db.models import Location, MovementRow, Serial
from services.stock.db.queries import serials_for_update
from services.stock.domain.model import VIRTUAL_LOCATIONS, LocationType, SerialStatus
from services.stock.production_receipt_schemas import ProductionReceiptCreate
from services.stock.usecases.posting import SerialConflict
from services.stock.usecases.production_receipt_reading import DOCUMENT_TYPE
from shared.errors import FieldError

PRODUCTION = VIRTUAL_LOCATIONS[LocationType.PRODUCTION]


async def lock_serials(
    session: AsyncSession,
    data: ProductionReceiptCreate,
    locations: Mapping[str, Location],
    now: datetime,
) -> None:
    """Lock the serial row of every unit the document names (after the balances, before the
    valuations), and refuse outputs naming a unit seen before: in stock, shipped, scrapped,
    ... -- all but one whose production receipt was reversed (it left stock only that way)."""
    produced = [
        (index, line.item_code, serial)
        for index, line in enumerate(data.outputs)
        for serial in line.serial_numbers or ()
    ]
    consumed = [
        (line.item_code, serial) for line in data.components for serial in line.serial_numbers or ()
    ]
    rows = await serials_for_update(
        session, [(item, serial) for _, item, serial in produced] + consumed, now
    )
    seen = {
        (item, serial): rows[(item, serial)]
        for _, item, serial in produced
        if rows[(item, serial)].status != ""
    }
    if not seen:
        return
    again = await _reproducible(session, seen, locations[PRODUCTION].id)
    errors: list[FieldError] = []
    for index, item, serial in produced:
        row = seen.get((item, serial))
        if row is None or (item, serial) in again:
            continue
        status = SerialStatus(row.status)
        why = "is already in stock" if status is SerialStatus.IN_STOCK else f"was {status.value}"
        errors.append(
            FieldError(
                f"body.outputs.{index}.serial_numbers",
                f"serial {serial} of {item} {why}: an output names new units",
                "conflict",
            )
        )
    if errors:
        first = errors[0].message
        raise SerialConflict(
            f"the production receipt cannot be posted: {first}",
            errors=errors,
        )


async def _reproducible(
    session: AsyncSession, seen: Mapping[tuple[str, str], Serial], production_id: int
) -> set[tuple[str, str]]:
    """The units that left stock by the reversal of the production receipt that made them
    (consumed, and their last movement takes an output back to production)."""
    consumed = {key for key, row in seen.items() if row.status == SerialStatus.CONSUMED.value}
    if not consumed:
        return set()
    last: dict[tuple[str, str], MovementRow] = {}
    for row in await session.scalars(
        select(MovementRow)
        .where(
            MovementRow.item_code.in_({item for item, _ in consumed}),
            MovementRow.serial_number.in_({serial for _, serial in consumed}),
        )
        .order_by(MovementRow.id)
    ):
        last[(row.item_code, row.serial_number or "")] = row
    return {
        key
        for key in consumed
        if (latest := last.get(key)) is not None
        and latest.document_type == DOCUMENT_TYPE
        and latest.reversal_of_id is not None
        and latest.to_location_id == production_id
    }
