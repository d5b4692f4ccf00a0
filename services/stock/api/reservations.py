"""Reservation routes (stock set aside for work orders) and availability."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import Field

from services.stock import document_examples as ex
from services.stock.api.deps import Catalog, SubtreeCode
from services.stock.reservation_schemas import (
    AvailabilityPage,
    AvailabilitySnapshot,
    ReservationBatchOut,
    ReservationChange,
    ReservationCreate,
    ReservationOut,
    ReservationPage,
    ReservationStatus,
)
from services.stock.usecases import reservations as usecases
from services.stock.usecases.document_lines import catalog_items
from shared.auth.principal import PLANNER, WAREHOUSE
from shared.db.uow import UnitOfWork
from shared.http.commands import render, render_payload, run_command
from shared.http.context import Reader, RequestContext, request_context
from shared.http.pagination import PageParams, page_params
from shared.http.params import IdPath
from shared.http.problems import problem_responses

router = APIRouter(tags=["reservations"])
#: A reservation's id: RS-00000001.
ReservationId = Annotated[IdPath, Path(examples=[ex.RESERVATION_ID])]
#: Planners reserve for their work orders; the warehouse may too.
Planner = Annotated[RequestContext, Depends(request_context((PLANNER, WAREHOUSE)))]


@router.post(
    "/v1/reservations",
    status_code=201,
    response_model=ReservationBatchOut,
    operation_id="create_reservations",
    responses=problem_responses(401, 403, 409, 422, 502, 503),
)
async def create_reservations(ctx: Planner, catalog: Catalog, body: ReservationCreate) -> Response:
    """Reserve qualified stock of each line's item for a work order, all lines or none
    (accepts Idempotency-Key). 409 `insufficient_available` names every short line."""

    async def command(uow: UnitOfWork) -> ReservationBatchOut:
        items = await catalog_items(catalog, (line.item_code for line in body.lines))
        return await usecases.create_reservations(uow, body, items)

    return await run_command(ctx, command, body=body, status_code=201)


@router.get(
    "/v1/reservations",
    response_model=ReservationPage,
    operation_id="list_reservations",
    responses=problem_responses(401, 422),
)
async def list_reservations(
    ctx: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    status: ReservationStatus | None = None,
    work_order: Annotated[str | None, Query(max_length=100)] = None,
    item_code: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """Reservations, oldest first, with what each has issued and still holds."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_reservations(
            session,
            page,
            status=status.value if status else None,
            work_order=work_order,
            item_code=item_code,
        )
    return render(ctx, ReservationPage(items=items, next_cursor=cursor))


@router.get(
    "/v1/reservations/{reservation_id}",
    response_model=ReservationOut,
    operation_id="get_reservation",
    responses=problem_responses(401, 404, 422),
)
async def get_reservation(ctx: Reader, reservation_id: ReservationId) -> Response:
    async with ctx.db.read() as session:
        return render(ctx, await usecases.get_reservation(session, reservation_id))


@router.patch(
    "/v1/reservations/{reservation_id}",
    response_model=ReservationOut,
    operation_id="change_reservation",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def change_reservation(
    ctx: Planner, reservation_id: ReservationId, body: ReservationChange
) -> Response:
    """Change an open reservation's quantity (not below what was issued) or date."""

    async def command(uow: UnitOfWork) -> ReservationOut:
        return await usecases.change_reservation(uow, reservation_id, body)

    return await run_command(ctx, command, body=body)


@router.post(
    "/v1/reservations/{reservation_id}/close",
    response_model=ReservationOut,
    operation_id="close_reservation",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def close_reservation(ctx: Planner, reservation_id: ReservationId) -> Response:
    """Close an open reservation: what it still held is available again."""

    async def command(uow: UnitOfWork) -> ReservationOut:
        return await usecases.close_reservation(uow, reservation_id)

    return await run_command(ctx, command)


@router.post(
    "/v1/reservations/{reservation_id}/cancel",
    response_model=ReservationOut,
    operation_id="cancel_reservation",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def cancel_reservation(ctx: Planner, reservation_id: ReservationId) -> Response:
    """Cancel an open reservation nothing was issued against."""

    async def command(uow: UnitOfWork) -> ReservationOut:
        return await usecases.cancel_reservation(uow, reservation_id)

    return await run_command(ctx, command)


@router.get(
    "/v1/availability/snapshot",
    response_model=AvailabilitySnapshot,
    operation_id="get_availability_snapshot",
    responses=problem_responses(401, 422),
)
async def get_availability_snapshot(
    ctx: Reader,
    location_code: SubtreeCode = None,
) -> Response:
    """Every item with stock or open reservations in one answer, read at one moment (what
    an MRP run nets against); the pages of `GET /v1/availability` are each read anew."""
    items, sequence = await usecases.availability_snapshot(ctx.db, location_code)
    payload = {
        "items": [row.as_json() for row in items],
        "location_code": location_code,
        "ledger_sequence": sequence,
    }
    return render_payload(ctx, payload, AvailabilitySnapshot)


@router.get(
    "/v1/availability",
    response_model=AvailabilityPage,
    operation_id="list_availability",
    responses=problem_responses(401, 422),
)
async def list_availability(
    ctx: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    item_code: Annotated[
        list[Annotated[str, Field(max_length=64)]] | None,
        Query(
            max_length=500,
            description="Repeat for several items (up to 500); default: "
            "every item with stock or open reservations, by code, paged",
        ),
    ] = None,
    location_code: SubtreeCode = None,
) -> Response:
    """Qualified in stores, reserved and available per item (what MRP nets against)."""
    codes = list(dict.fromkeys(item_code or []))
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_availability(
            session, page, item_codes=codes, location_code=location_code
        )
    payload = {
        "items": [row.as_json() for row in items],
        "next_cursor": cursor,
        "location_code": location_code,
    }
    return render_payload(ctx, payload, AvailabilityPage)
