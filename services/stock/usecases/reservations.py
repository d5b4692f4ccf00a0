"""Reservations of qualified stock for work orders, and availability.

A reservation sets qualified stock aside for one component of one work order (one open
reservation per work order and item), anywhere or within a location's subtree (a
warehouse). What it still holds is its quantity minus what the work order's posted
requisitions have issued of the item, read from the ledger (reversals count back), so
issuing never needs a second bookkeeping step. Closing a reservation frees what it still
held; cancelling is for reservations nothing was issued against.

Availability per item: qualified stock in stores (storage, receiving, inspection,
finished goods; not production lines, quarantine or scrap) minus what open reservations
still hold. A reservation needs that much available, both company-wide and within its
scope; the check runs under the item's valuation lock, so two reservations never
promise the same stock. Reservations are soft otherwise (as SAP's): a posting that takes
reserved stock is not refused, availability then turns negative and shows it.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.clients import CatalogItem
from services.stock.db.models import Balance, Location, MovementRow, Requisition, Reservation
from services.stock.db.queries import (
    location_by_code,
    location_subtree_ids,
    locations_by_ids,
    valuations_for_update,
)
from services.stock.domain.model import LocationType, QualityState
from services.stock.reservation_schemas import (
    ReservationBatchOut,
    ReservationChange,
    ReservationCreate,
    ReservationOut,
    ReservationStatus,
)
from services.stock.usecases.requisitions import DOCUMENT_TYPE as REQUISITION
from services.stock.usecases.requisitions import ISSUABLE_TYPES, DocumentStatusConflict
from shared.db.database import Database
from shared.db.filters import one_of
from shared.db.paging import page_by_id, where_equal
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, FieldError, InvalidInput, NotFound
from shared.http.pagination import PageParams, next_cursor
from shared.schemas import plain

ZERO = Decimal(0)


class ReservationExists(Conflict):
    code = "reservation_exists"
    title = "The work order already has an open reservation of the item"


class NotEnoughAvailable(Conflict):
    code = "insufficient_available"
    title = "Not enough available stock to reserve"


async def _scope(session: AsyncSession, location_code: str | None, field: str) -> Location | None:
    if location_code is None:
        return None
    location = await location_by_code(session, location_code)
    if location is None or location.is_virtual:
        raise InvalidInput(
            f"no physical location {location_code!r}",
            errors=[FieldError(field, f"no physical location {location_code!r}", "not_found")],
        )
    return location


async def issued(
    session: AsyncSession, pairs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], Decimal]:
    """Net quantity the posted requisitions of each (work order, item) issued (reversals
    count back)."""
    wanted = set(pairs)
    if not wanted:
        return {}
    forward = MovementRow.reversal_of_id.is_(None)
    query = (
        select(
            Requisition.work_order,
            MovementRow.item_code,
            forward.label("forward"),
            func.sum(MovementRow.quantity),
        )
        .join(
            Requisition,
            (MovementRow.document_type == REQUISITION)
            & (MovementRow.document_id == Requisition.id),
        )
        .where(
            Requisition.work_order.in_({wo for wo, _ in wanted}),
            MovementRow.item_code.in_({item for _, item in wanted}),
        )
        .group_by(Requisition.work_order, MovementRow.item_code, forward)
    )
    result: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for work_order, item_code, is_forward, quantity in await session.execute(query):
        if (work_order, item_code) in wanted:
            result[(work_order, item_code)] += quantity if is_forward else -quantity
    return dict(result)


def _remaining(row: Reservation, done: Mapping[tuple[str, str], Decimal]) -> Decimal:
    if row.status != ReservationStatus.OPEN.value:
        return ZERO
    return max(ZERO, row.quantity - done.get((row.work_order, row.item_code), ZERO))


async def _open_reservations(
    session: AsyncSession, item_codes: Iterable[str] | None, scope: Any
) -> list[Reservation]:
    """Open reservations of `item_codes` (None: of every item) within `scope`."""
    query = select(Reservation).where(Reservation.status == ReservationStatus.OPEN.value)
    if item_codes is not None:
        query = query.where(one_of(session, Reservation.item_code, set(item_codes)))
    if scope is not None:
        query = query.where(Reservation.location_id.in_(scope))
    return list(await session.scalars(query))


@dataclass(frozen=True, slots=True)
class Availability:
    """One item's availability (`AvailabilityOut`'s fields): a plain record, because MRP
    asks for thousands at a time and models cost more to build and dump than the query."""

    item_code: str
    qualified: Decimal
    pending_inspection: Decimal
    defective: Decimal
    wip: Decimal
    reserved: Decimal
    available: Decimal

    def as_json(self) -> dict[str, str]:
        """`AvailabilityOut` as JSON types."""
        return {
            "item_code": self.item_code,
            "qualified": plain(self.qualified),
            "pending_inspection": plain(self.pending_inspection),
            "defective": plain(self.defective),
            "wip": plain(self.wip),
            "reserved": plain(self.reserved),
            "available": plain(self.available),
        }


async def availability(
    session: AsyncSession, item_codes: Iterable[str], root: Location | None
) -> dict[str, Availability]:
    """Availability of `item_codes` in `root`'s subtree (None: everywhere)."""
    codes = sorted(set(item_codes))
    if not codes:
        return {}
    return await _availability(session, codes, root)


async def _availability(
    session: AsyncSession, codes: list[str] | None, root: Location | None
) -> dict[str, Availability]:
    """Availability of `codes`; with None, of every item that has stock or an open
    reservation in `root`'s subtree (None: everywhere), by code."""
    scope = location_subtree_ids(root.id) if root is not None else None
    query = (
        select(
            Balance.item_code,
            Balance.quality_state,
            Location.location_type,
            func.sum(Balance.quantity),
        )
        .join(Location, Location.id == Balance.location_id)
        .group_by(Balance.item_code, Balance.quality_state, Location.location_type)
    )
    if codes is not None:
        query = query.where(one_of(session, Balance.item_code, codes))
    if scope is not None:
        query = query.where(Balance.location_id.in_(scope))
    sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for item_code, state, location_type, quantity in await session.execute(query):
        cell = sums[item_code]
        if location_type == LocationType.PRODUCTION_LINE.value:
            cell["wip"] += quantity
        elif state == QualityState.QUALIFIED.value:
            if location_type in ISSUABLE_TYPES:
                cell["qualified"] += quantity
        else:
            cell[state] += quantity
    reservations = await _open_reservations(session, codes, scope)
    done = await issued(session, {(r.work_order, r.item_code) for r in reservations})
    reserved: dict[str, Decimal] = defaultdict(Decimal)
    for row in reservations:
        reserved[row.item_code] += _remaining(row, done)
    if codes is None:  # balances never go negative: a held item has a sum above zero
        held = {code for code, cell in sums.items() if any(cell.values())}
        codes = sorted(held | {row.item_code for row in reservations})
    return {
        code: Availability(
            item_code=code,
            qualified=sums[code]["qualified"],
            pending_inspection=sums[code][QualityState.PENDING_INSPECTION.value],
            defective=sums[code][QualityState.DEFECTIVE.value],
            wip=sums[code]["wip"],
            reserved=reserved[code],
            available=sums[code]["qualified"] - reserved[code],
        )
        for code in codes
    }


async def availability_snapshot(
    db: Database, location_code: str | None
) -> tuple[list[Availability], int]:
    """Every item with stock or an open reservation, all read at one moment, by code; and
    the ledger's last sequence number then (the snapshot holds every movement up to it).

    One snapshot transaction (`Database.snapshot`), not pages: MRP nets against it, and
    pages read one after another could see a transfer leave one item's page and not
    yet arrive on another's.
    """
    async with db.snapshot() as session:
        root = await _scope(session, location_code, "query.location_code")
        found = await _availability(session, None, root)
        sequence = await session.scalar(select(func.max(MovementRow.sequence)))
    return list(found.values()), int(sequence or 0)


async def _available(
    session: AsyncSession, item_codes: Iterable[str], root: Location | None
) -> dict[str, Decimal]:
    """The smaller of what is available everywhere and within `root`'s subtree."""
    everywhere = await availability(session, item_codes, None)
    within = await availability(session, item_codes, root) if root is not None else everywhere
    return {code: min(everywhere[code].available, within[code].available) for code in everywhere}


async def create_reservations(
    uow: UnitOfWork, data: ReservationCreate, items: Mapping[str, CatalogItem | None]
) -> ReservationBatchOut:
    """Reserve every line for the work order, or nothing."""
    async with uow:
        session = uow.session
        errors: list[FieldError] = []
        root: Location | None = None
        try:
            root = await _scope(session, data.location_code, "body.location_code")
        except InvalidInput as exc:
            errors.extend(exc.errors)
        seen: dict[str, int] = {}
        for index, line in enumerate(data.lines):
            field = f"body.lines.{index}.item_code"
            if items.get(line.item_code) is None:
                errors.append(
                    FieldError(field, f"the catalog has no item {line.item_code!r}", "not_found")
                )
            elif line.item_code in seen:
                errors.append(
                    FieldError(
                        field,
                        f"{line.item_code} is already on line {seen[line.item_code] + 1}",
                        "duplicate",
                    )
                )
            seen.setdefault(line.item_code, index)
        if errors:
            raise InvalidInput(f"{len(errors)} field(s) are not valid", errors=errors)
        codes = [line.item_code for line in data.lines]
        await valuations_for_update(session, codes)  # the items' lock: no double promise
        existing = {
            row.item_code: row
            for row in await session.scalars(
                select(Reservation).where(
                    Reservation.work_order == data.work_order,
                    Reservation.item_code.in_(codes),
                    Reservation.status == ReservationStatus.OPEN.value,
                )
            )
        }
        if existing:
            raise ReservationExists(
                f"work order {data.work_order} already reserves "
                f"{', '.join(sorted(existing))}: change those reservations instead",
                errors=[
                    FieldError(
                        f"body.lines.{index}.item_code",
                        f"open reservation {existing[line.item_code].number}",
                        "conflict",
                    )
                    for index, line in enumerate(data.lines)
                    if line.item_code in existing
                ],
            )
        available = await _available(session, codes, root)
        short = [
            (index, line)
            for index, line in enumerate(data.lines)
            if line.quantity > available[line.item_code]
        ]
        if short:
            raise NotEnoughAvailable(
                "; ".join(
                    f"{line.item_code}: {plain(max(ZERO, available[line.item_code]))} available, "
                    f"{plain(line.quantity)} needed"
                    for _, line in short
                ),
                errors=[
                    FieldError(
                        f"body.lines.{index}.quantity",
                        f"{plain(max(ZERO, available[line.item_code]))} of {line.item_code} "
                        "available",
                        "insufficient_available",
                    )
                    for index, line in short
                ],
            )
        now = utcnow()
        rows = [
            Reservation(
                number=f"tmp-{uuid.uuid4().hex[:24]}",
                status=ReservationStatus.OPEN.value,
                work_order=data.work_order,
                item_code=line.item_code,
                location_id=root.id if root else None,
                quantity=line.quantity,
                required_date=data.required_date,
                note=data.note,
                created_at=now,
                created_by=uow.actor,
                updated_at=now,
                updated_by=uow.actor,
            )
            for line in data.lines
        ]
        session.add_all(rows)
        await session.flush()
        for row in rows:
            row.number = f"RS-{row.id:08d}"
        await session.flush()
        outs = await _outs(session, rows)
        for out in outs:
            await _record(uow, "create", "ReservationCreated", out)
        await uow.commit()
        return ReservationBatchOut(work_order=data.work_order, reservations=outs)


async def _locked(uow: UnitOfWork, reservation_id: int) -> Reservation:
    row = await uow.session.get(Reservation, reservation_id)
    if row is None:
        raise NotFound(f"reservation {reservation_id} does not exist")
    await valuations_for_update(uow.session, [row.item_code])  # item first, then the row
    locked = await uow.session.get(
        Reservation, reservation_id, with_for_update=True, populate_existing=True
    )
    assert locked is not None
    return locked


def _expect_open(row: Reservation, doing: str) -> None:
    if row.status != ReservationStatus.OPEN.value:
        raise DocumentStatusConflict(
            f"reservation {row.number} is {row.status}; only an open one can be {doing}"
        )


async def change_reservation(
    uow: UnitOfWork, reservation_id: int, data: ReservationChange
) -> ReservationOut:
    """A new quantity (not below what was issued; an increase needs availability) or date."""
    async with uow:
        session = uow.session
        row = await _locked(uow, reservation_id)
        _expect_open(row, "changed")
        if data.quantity is not None:
            done = (await issued(session, [(row.work_order, row.item_code)])).get(
                (row.work_order, row.item_code), ZERO
            )
            if data.quantity < done:
                raise InvalidInput(
                    "a reservation cannot go below what was issued",
                    errors=[
                        FieldError(
                            "body.quantity",
                            f"{plain(done)} already issued to {row.work_order}",
                            "too_small",
                        )
                    ],
                )
            more = max(ZERO, data.quantity - done) - _remaining(
                row, {(row.work_order, row.item_code): done}
            )
            if more > 0:
                root = (
                    (await locations_by_ids(session, [row.location_id]))[row.location_id]
                    if row.location_id
                    else None
                )
                available = (await _available(session, [row.item_code], root))[row.item_code]
                if more > available:
                    raise NotEnoughAvailable(
                        f"{row.item_code}: {plain(max(ZERO, available))} available, "
                        f"{plain(more)} more needed",
                        errors=[
                            FieldError(
                                "body.quantity",
                                f"only {plain(max(ZERO, available))} more of {row.item_code} "
                                "available",
                                "insufficient_available",
                            )
                        ],
                    )
            row.quantity = data.quantity
        if "required_date" in data.model_fields_set:
            row.required_date = data.required_date
        return await _save(uow, row, "change", "ReservationChanged")


async def close_reservation(uow: UnitOfWork, reservation_id: int) -> ReservationOut:
    """The work order needs no more: what the reservation still held is free again."""
    async with uow:
        row = await _locked(uow, reservation_id)
        _expect_open(row, "closed")
        row.status = ReservationStatus.CLOSED.value
        return await _save(uow, row, "close", "ReservationClosed")


async def cancel_reservation(uow: UnitOfWork, reservation_id: int) -> ReservationOut:
    """Withdraw a reservation nothing was issued against (else close it)."""
    async with uow:
        row = await _locked(uow, reservation_id)
        _expect_open(row, "cancelled")
        done = (await issued(uow.session, [(row.work_order, row.item_code)])).get(
            (row.work_order, row.item_code), ZERO
        )
        if done != 0:
            raise DocumentStatusConflict(
                f"{plain(done)} of {row.item_code} was issued against reservation {row.number}: "
                "close it instead"
            )
        row.status = ReservationStatus.CANCELLED.value
        return await _save(uow, row, "cancel", "ReservationCancelled")


async def _save(uow: UnitOfWork, row: Reservation, action: str, event: str) -> ReservationOut:
    row.updated_at = utcnow()
    row.updated_by = uow.actor
    await uow.session.flush()
    (out,) = await _outs(uow.session, [row])
    await _record(uow, action, event, out)
    await uow.commit()
    return out


async def _record(uow: UnitOfWork, action: str, event: str, out: ReservationOut) -> None:
    payload = out.model_dump(mode="json")
    await uow.audit(action, "reservation", str(out.id), after=payload)
    uow.emit(event, "reservation", str(out.id), payload)


async def _outs(session: AsyncSession, rows: list[Reservation]) -> list[ReservationOut]:
    done = await issued(session, {(r.work_order, r.item_code) for r in rows})
    locations = await locations_by_ids(session, [r.location_id for r in rows if r.location_id])
    return [
        ReservationOut(
            id=row.id,
            number=row.number,
            status=ReservationStatus(row.status),
            work_order=row.work_order,
            item_code=row.item_code,
            location_code=locations[row.location_id].code if row.location_id else None,
            quantity=row.quantity,
            issued=done.get((row.work_order, row.item_code), ZERO),
            remaining=_remaining(row, done),
            required_date=row.required_date,
            note=row.note,
            created_at=row.created_at,
            created_by=row.created_by,
            updated_at=row.updated_at,
            updated_by=row.updated_by,
        )
        for row in rows
    ]


async def get_reservation(session: AsyncSession, reservation_id: int) -> ReservationOut:
    row = await session.get(Reservation, reservation_id)
    if row is None:
        raise NotFound(f"reservation {reservation_id} does not exist")
    (out,) = await _outs(session, [row])
    return out


async def list_reservations(
    session: AsyncSession,
    page: PageParams,
    *,
    status: str | None,
    work_order: str | None,
    item_code: str | None,
) -> tuple[list[ReservationOut], str | None]:
    query = where_equal(
        select(Reservation),
        {
            Reservation.status: status,
            Reservation.work_order: work_order,
            Reservation.item_code: item_code,
        },
    )
    rows, cursor = await page_by_id(session, query, Reservation.id, page)
    return await _outs(session, rows), cursor


async def list_availability(
    session: AsyncSession,
    page: PageParams,
    *,
    item_codes: list[str],
    location_code: str | None,
) -> tuple[list[Availability], str | None]:
    """Availability of the named items, or page by item code through every item that has
    stock or open reservations."""
    root = await _scope(session, location_code, "query.location_code")
    if item_codes:
        found = await availability(session, item_codes, root)
        return [found[code] for code in sorted(found)], None
    after = str(page.cursor[0]) if page.cursor else ""
    held = union(
        select(Balance.item_code.label("code")).where(Balance.quantity != 0),
        select(Reservation.item_code.label("code")).where(
            Reservation.status == ReservationStatus.OPEN.value
        ),
    ).subquery("held")
    codes = list(
        await session.scalars(
            select(held.c.code)
            .where(held.c.code > after)
            .order_by(held.c.code)
            .limit(page.limit + 1)
        )
    )
    shown, cursor = next_cursor(codes, page.limit, lambda code: [code])
    found = await availability(session, shown, root)
    return [found[code] for code in shown], cursor
